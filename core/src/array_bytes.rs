//! [`ArrayBytes`]: the decoded bytes of a chunk or subset.

/// Decoded element data: fixed-size element bytes in C order, or variable-size elements as
/// concatenated bytes plus `n + 1` offsets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArrayBytes {
    /// Fixed-size elements, native endian, C order.
    Fixed(Vec<u8>),
    /// Variable-size elements: element `i` is `bytes[offsets[i]..offsets[i + 1]]`.
    Variable {
        /// Concatenated element bytes.
        bytes: Vec<u8>,
        /// `n + 1` offsets, non-decreasing, first 0, last `bytes.len()`.
        offsets: Vec<usize>,
    },
}

impl ArrayBytes {
    /// The fixed bytes, or `None` for variable-size data.
    pub fn as_fixed(&self) -> Option<&[u8]> {
        match self {
            Self::Fixed(b) => Some(b),
            Self::Variable { .. } => None,
        }
    }

    /// Take the fixed bytes, or `None` for variable-size data.
    pub fn into_fixed(self) -> Option<Vec<u8>> {
        match self {
            Self::Fixed(b) => Some(b),
            Self::Variable { .. } => None,
        }
    }

    /// The number of bytes of element data.
    pub fn size(&self) -> usize {
        match self {
            Self::Fixed(b) => b.len(),
            Self::Variable { bytes, .. } => bytes.len(),
        }
    }

    /// Check that variable offsets are well formed for `n` elements.
    pub fn validate(&self, num_elements: usize, fixed_size: Option<usize>) -> Result<(), String> {
        match (self, fixed_size) {
            (Self::Fixed(b), Some(s)) => {
                let expected = num_elements.checked_mul(s).ok_or("size overflow")?;
                if b.len() == expected {
                    Ok(())
                } else {
                    Err(format!("expected {expected} bytes, got {}", b.len()))
                }
            }
            (Self::Variable { bytes, offsets }, None) => {
                if offsets.len() != num_elements + 1 {
                    return Err(format!(
                        "expected {} offsets, got {}",
                        num_elements + 1,
                        offsets.len()
                    ));
                }
                VariableView::new(bytes, offsets).map(|_| ())
            }
            (Self::Fixed(_), None) => Err("fixed-size bytes for a variable-size data type".into()),
            (Self::Variable { .. }, Some(_)) => {
                Err("variable-size bytes for a fixed-size data type".into())
            }
        }
    }
}

impl ArrayBytes {
    /// A borrowed view of variable-size elements (no per-element allocation), or `None` for
    /// fixed-size data or malformed offsets (see [`VariableView::new`]).
    ///
    /// ```
    /// # use zarrkit_core::ArrayBytes;
    /// let b = ArrayBytes::from_strs(&["a", "", "héllo"]);
    /// let v = b.as_variable().ok_or("not variable")?;
    /// assert_eq!(v.len(), 3);
    /// assert_eq!(v.str(2)?, "héllo");
    /// assert_eq!(v.iter().map(<[u8]>::len).collect::<Vec<_>>(), vec![1, 0, 6]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn as_variable(&self) -> Option<VariableView<'_>> {
        match self {
            Self::Fixed(_) => None,
            Self::Variable { bytes, offsets } => VariableView::new(bytes, offsets).ok(),
        }
    }

    /// Variable-size element bytes from byte strings (in order).
    pub fn from_byte_strings<B: AsRef<[u8]>>(elements: &[B]) -> Self {
        let total = elements.iter().map(|e| e.as_ref().len()).sum();
        let mut bytes = Vec::with_capacity(total);
        let mut offsets = Vec::with_capacity(elements.len() + 1);
        offsets.push(0);
        for e in elements {
            bytes.extend_from_slice(e.as_ref());
            offsets.push(bytes.len());
        }
        Self::Variable { bytes, offsets }
    }

    /// Variable-size element bytes from strings (their UTF-8, in order).
    pub fn from_strs<S: AsRef<str>>(elements: &[S]) -> Self {
        let total = elements.iter().map(|e| e.as_ref().len()).sum();
        let mut bytes = Vec::with_capacity(total);
        let mut offsets = Vec::with_capacity(elements.len() + 1);
        offsets.push(0);
        for e in elements {
            bytes.extend_from_slice(e.as_ref().as_bytes());
            offsets.push(bytes.len());
        }
        Self::Variable { bytes, offsets }
    }
}

/// Why an element of a [`VariableView`] could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VariableElementError {
    /// The index is past the last element.
    #[error("element {index} is out of bounds ({len} elements)")]
    OutOfBounds {
        /// The index asked for.
        index: usize,
        /// The number of elements.
        len: usize,
    },
    /// The element is not valid UTF-8.
    #[error("element {index} is not valid UTF-8: {source}")]
    InvalidUtf8 {
        /// The element index.
        index: usize,
        /// The UTF-8 error.
        #[source]
        source: std::str::Utf8Error,
    },
}

/// A borrowed view of variable-size elements (`bytes` + `n + 1` offsets): element `i` is a
/// slice of the shared buffer, so reading every element allocates nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VariableView<'a> {
    bytes: &'a [u8],
    offsets: &'a [usize],
}

impl<'a> VariableView<'a> {
    /// A view over `bytes` and `offsets`, which must be well formed: at least one offset,
    /// the first 0, non-decreasing, the last `bytes.len()`.
    pub fn new(bytes: &'a [u8], offsets: &'a [usize]) -> Result<Self, String> {
        if offsets.first() != Some(&0) || offsets.last() != Some(&bytes.len()) {
            return Err("offsets do not span the bytes".into());
        }
        if offsets.windows(2).any(|w| w[0] > w[1]) {
            return Err("offsets decrease".into());
        }
        Ok(Self { bytes, offsets })
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// Whether there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes of element `i`, or `None` if `i` is out of bounds.
    pub fn get(&self, i: usize) -> Option<&'a [u8]> {
        let start = *self.offsets.get(i)?;
        let end = *self.offsets.get(i.checked_add(1)?)?;
        self.bytes.get(start..end)
    }

    /// Element `i` as a string slice (checked UTF-8).
    pub fn str(&self, i: usize) -> Result<&'a str, VariableElementError> {
        let b = self.get(i).ok_or(VariableElementError::OutOfBounds {
            index: i,
            len: self.len(),
        })?;
        std::str::from_utf8(b)
            .map_err(|source| VariableElementError::InvalidUtf8 { index: i, source })
    }

    /// The elements' bytes, in order.
    pub fn iter(&self) -> VariableIter<'a> {
        VariableIter {
            view: *self,
            next: 0,
        }
    }

    /// The elements as string slices, in order (each checked UTF-8).
    pub fn strs(
        &self,
    ) -> impl ExactSizeIterator<Item = Result<&'a str, VariableElementError>> + 'a {
        self.iter().enumerate().map(|(index, b)| {
            std::str::from_utf8(b)
                .map_err(|source| VariableElementError::InvalidUtf8 { index, source })
        })
    }

    /// The concatenated element bytes.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The `n + 1` offsets.
    pub fn offsets(&self) -> &'a [usize] {
        self.offsets
    }
}

impl<'a> IntoIterator for VariableView<'a> {
    type Item = &'a [u8];
    type IntoIter = VariableIter<'a>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// The iterator of [`VariableView::iter`]: each element's bytes, borrowed.
#[derive(Debug, Clone)]
pub struct VariableIter<'a> {
    view: VariableView<'a>,
    next: usize,
}

impl<'a> Iterator for VariableIter<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<Self::Item> {
        let e = self.view.get(self.next)?;
        self.next += 1;
        Some(e)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.view.len().saturating_sub(self.next);
        (n, Some(n))
    }
}

impl ExactSizeIterator for VariableIter<'_> {}

impl From<Vec<u8>> for ArrayBytes {
    fn from(v: Vec<u8>) -> Self {
        Self::Fixed(v)
    }
}

impl From<&[u8]> for ArrayBytes {
    fn from(v: &[u8]) -> Self {
        Self::Fixed(v.to_vec())
    }
}

/// Extract `subset` of a chunk of `shape` (C order) from `bytes`.
pub fn extract_subset(
    bytes: &ArrayBytes,
    shape: &[u64],
    subset: &crate::subset::ArraySubset,
    size: crate::data_type::DataTypeSize,
) -> Result<ArrayBytes, String> {
    use crate::data_type::DataTypeSize;
    use crate::subset::ArraySubset;
    if !subset.inbounds(shape) {
        return Err(format!(
            "subset {subset} is out of bounds of shape {shape:?}"
        ));
    }
    let n: usize = shape.iter().product::<u64>() as usize;
    match (bytes, size) {
        (ArrayBytes::Fixed(b), DataTypeSize::Fixed(elem)) => {
            if b.len() != n * elem {
                return Err(format!("expected {} bytes, got {}", n * elem, b.len()));
            }
            if subset.shape() == shape {
                return Ok(ArrayBytes::Fixed(b.clone()));
            }
            let mut out = vec![0u8; subset.num_elements() as usize * elem];
            let dst = ArraySubset::new_with_shape(subset.shape().to_vec());
            crate::subset::copy_subset(b, shape, subset, &mut out, subset.shape(), &dst, elem);
            Ok(ArrayBytes::Fixed(out))
        }
        (ArrayBytes::Variable { bytes, offsets }, DataTypeSize::Variable) => {
            bytes_variable_check(bytes, offsets, n)?;
            let mut ob = Vec::new();
            let mut oo = Vec::with_capacity(subset.num_elements() as usize + 1);
            oo.push(0);
            for idx in subset.indices() {
                let mut lin = 0u64;
                for (s, i) in shape.iter().zip(&idx) {
                    lin = lin * s + i;
                }
                let lin = lin as usize;
                ob.extend_from_slice(&bytes[offsets[lin]..offsets[lin + 1]]);
                oo.push(ob.len());
            }
            Ok(ArrayBytes::Variable {
                bytes: ob,
                offsets: oo,
            })
        }
        _ => Err("array bytes do not match the data type size".into()),
    }
}

fn bytes_variable_check(bytes: &[u8], offsets: &[usize], n: usize) -> Result<(), String> {
    if offsets.len() != n + 1 {
        return Err("malformed variable-size offsets".into());
    }
    VariableView::new(bytes, offsets).map(|_| ())
}

/// Overwrite `region` of a chunk of `shape` with `src` (the region's elements, C order).
pub fn update_subset(
    chunk: ArrayBytes,
    shape: &[u64],
    region: &crate::subset::ArraySubset,
    src: &ArrayBytes,
    elem: Option<usize>,
) -> Result<ArrayBytes, String> {
    use crate::subset::ArraySubset;
    if !region.inbounds(shape) {
        return Err(format!(
            "region {region} is out of bounds of shape {shape:?}"
        ));
    }
    let n = region.num_elements() as usize;
    match (chunk, src, elem) {
        (ArrayBytes::Fixed(mut c), ArrayBytes::Fixed(s), Some(elem)) => {
            let total = shape.iter().product::<u64>() as usize * elem;
            if c.len() != total || s.len() != n * elem {
                return Err("element bytes of the wrong length".into());
            }
            let rs = ArraySubset::new_with_shape(region.shape().to_vec());
            crate::subset::copy_subset(s, region.shape(), &rs, &mut c, shape, region, elem);
            Ok(ArrayBytes::Fixed(c))
        }
        (
            ArrayBytes::Variable { bytes, offsets },
            ArrayBytes::Variable {
                bytes: sb,
                offsets: so,
            },
            None,
        ) => {
            let total = shape.iter().product::<u64>() as usize;
            bytes_variable_check(&bytes, &offsets, total)?;
            bytes_variable_check(sb, so, n)?;
            let lin = |idx: &[u64]| -> usize {
                let mut o = 0u64;
                for (s, i) in shape.iter().zip(idx) {
                    o = o * s + i;
                }
                o as usize
            };
            let mut from_src: Vec<Option<usize>> = vec![None; total];
            for (e, idx) in region.indices().enumerate() {
                from_src[lin(&idx)] = Some(e);
            }
            let mut ob = Vec::with_capacity(bytes.len());
            let mut oo = Vec::with_capacity(total + 1);
            oo.push(0);
            for (i, f) in from_src.iter().enumerate() {
                match f {
                    Some(e) => ob.extend_from_slice(&sb[so[*e]..so[*e + 1]]),
                    None => ob.extend_from_slice(&bytes[offsets[i]..offsets[i + 1]]),
                }
                oo.push(ob.len());
            }
            Ok(ArrayBytes::Variable {
                bytes: ob,
                offsets: oo,
            })
        }
        _ => Err("array bytes do not match the data type size".into()),
    }
}

/// Whether every element equals the fill value.
pub fn is_fill(bytes: &ArrayBytes, fill_value: &crate::fill_value::FillValue) -> bool {
    match bytes {
        ArrayBytes::Fixed(b) => fill_value.equals_all(b),
        ArrayBytes::Variable { bytes, offsets } => {
            let fv = fill_value.as_bytes();
            offsets
                .windows(2)
                .all(|w| bytes.get(w[0]..w[1]) == Some(fv))
        }
    }
}
