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
    /// A borrowed view.
    pub fn as_bytes_ref(&self) -> ArrayBytesRef<'_> {
        self.into()
    }

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

    /// Check that the bytes are well formed for `n` elements (fixed: the exact length;
    /// variable: `n + 1` well-formed offsets).
    pub fn validate(&self, num_elements: usize, fixed_size: Option<usize>) -> Result<(), String> {
        self.as_bytes_ref().validate(num_elements, fixed_size)
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

/// Borrowed element data: the input of writes (a caller's buffer is never copied whole)
/// and of subset extraction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArrayBytesRef<'a> {
    /// Fixed-size elements, native endian, C order.
    Fixed(&'a [u8]),
    /// Variable-size elements: element `i` is `bytes[offsets[i]..offsets[i + 1]]`.
    Variable {
        /// Concatenated element bytes.
        bytes: &'a [u8],
        /// `n + 1` offsets.
        offsets: &'a [usize],
    },
}

impl<'a> From<&'a ArrayBytes> for ArrayBytesRef<'a> {
    fn from(b: &'a ArrayBytes) -> Self {
        match b {
            ArrayBytes::Fixed(v) => Self::Fixed(v),
            ArrayBytes::Variable { bytes, offsets } => Self::Variable { bytes, offsets },
        }
    }
}

impl<'a> From<&'a [u8]> for ArrayBytesRef<'a> {
    fn from(b: &'a [u8]) -> Self {
        Self::Fixed(b)
    }
}

impl<'a> From<&'a Vec<u8>> for ArrayBytesRef<'a> {
    fn from(b: &'a Vec<u8>) -> Self {
        Self::Fixed(b)
    }
}

impl ArrayBytesRef<'_> {
    /// An owned copy.
    pub fn to_owned_bytes(&self) -> Result<ArrayBytes, String> {
        Ok(match *self {
            Self::Fixed(b) => ArrayBytes::Fixed(try_copy(b)?),
            Self::Variable { bytes, offsets } => ArrayBytes::Variable {
                bytes: try_copy(bytes)?,
                offsets: try_copy(offsets)?,
            },
        })
    }

    /// See [`ArrayBytes::validate`].
    pub fn validate(&self, num_elements: usize, fixed_size: Option<usize>) -> Result<(), String> {
        match (*self, fixed_size) {
            (Self::Fixed(b), Some(s)) => {
                let expected = num_elements.checked_mul(s).ok_or("size overflow")?;
                if b.len() == expected {
                    Ok(())
                } else {
                    Err(format!("expected {expected} bytes, got {}", b.len()))
                }
            }
            (Self::Variable { bytes, offsets }, None) => {
                if offsets.len() != num_elements.saturating_add(1) {
                    return Err(format!(
                        "expected {} offsets, got {}",
                        num_elements.saturating_add(1),
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

/// A fallible copy of a slice.
fn try_copy<T: Copy>(s: &[T]) -> Result<Vec<T>, String> {
    let mut v = Vec::new();
    v.try_reserve_exact(s.len())
        .map_err(|e| format!("cannot allocate {} elements: {e}", s.len()))?;
    v.extend_from_slice(s);
    Ok(v)
}

/// A fallible `Vec` with room for `n` elements.
pub(crate) fn try_with_capacity<T>(n: usize) -> Result<Vec<T>, String> {
    let mut v = Vec::new();
    v.try_reserve_exact(n)
        .map_err(|e| format!("cannot allocate {n} elements: {e}"))?;
    Ok(v)
}

/// Extract `subset` of a chunk of `shape` (C order) from `bytes` (allocations are fallible:
/// an absurd subset is an error, not an abort).
pub fn extract_subset<'a>(
    bytes: impl Into<ArrayBytesRef<'a>>,
    shape: &[u64],
    subset: &crate::subset::ArraySubset,
    size: crate::data_type::DataTypeSize,
) -> Result<ArrayBytes, String> {
    use crate::data_type::DataTypeSize;
    use crate::subset::ArraySubset;
    let bytes = bytes.into();
    if !subset.inbounds(shape) {
        return Err(format!(
            "subset {subset} is out of bounds of shape {shape:?}"
        ));
    }
    let n = shape
        .iter()
        .try_fold(1u64, |a, &b| a.checked_mul(b))
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| format!("shape {shape:?} is too large"))?;
    let count = usize::try_from(subset.num_elements())
        .map_err(|_| format!("subset {subset} is too large"))?;
    match (bytes, size) {
        (ArrayBytesRef::Fixed(b), DataTypeSize::Fixed(elem)) => {
            if Some(b.len()) != n.checked_mul(elem) {
                return Err(format!(
                    "expected {n} elements of {elem} bytes, got {} bytes",
                    b.len()
                ));
            }
            if subset.shape() == shape {
                return Ok(ArrayBytes::Fixed(try_copy(b)?));
            }
            let len = count
                .checked_mul(elem)
                .ok_or_else(|| format!("subset {subset} is too large"))?;
            let mut out = crate::codec::zeroed_checked(len)
                .ok_or_else(|| format!("cannot allocate {len} bytes for subset {subset}"))?;
            let dst = ArraySubset::new_with_shape(subset.shape().to_vec());
            crate::subset::copy_subset(b, shape, subset, &mut out, subset.shape(), &dst, elem);
            Ok(ArrayBytes::Fixed(out))
        }
        (ArrayBytesRef::Variable { bytes, offsets }, DataTypeSize::Variable) => {
            bytes_variable_check(bytes, offsets, n)?;
            let lin = |idx: &[u64]| -> usize {
                let mut lin = 0u64;
                for (s, i) in shape.iter().zip(idx) {
                    lin = lin * s + i;
                }
                lin as usize
            };
            let total: usize = subset
                .indices()
                .map(|idx| {
                    let l = lin(&idx);
                    offsets[l + 1] - offsets[l]
                })
                .sum();
            let mut ob = try_with_capacity(total)?;
            let mut oo = try_with_capacity(count + 1)?;
            oo.push(0);
            for idx in subset.indices() {
                let l = lin(&idx);
                ob.extend_from_slice(&bytes[offsets[l]..offsets[l + 1]]);
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

/// Assemble variable-size parts, each the elements of a region of the output (relative to
/// it, disjoint, together covering it), into one C-order output of `shape`.
pub fn assemble_variable(
    shape: &[u64],
    parts: &[(crate::subset::ArraySubset, ArrayBytes)],
) -> Result<ArrayBytes, String> {
    let n = shape
        .iter()
        .try_fold(1u64, |a, &b| a.checked_mul(b))
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| format!("output shape {shape:?} is too large"))?;
    let lin = |idx: &[u64]| -> usize {
        let mut o = 0u64;
        for (s, i) in shape.iter().zip(idx) {
            o = o * s + i;
        }
        o as usize
    };
    // Element lengths first (checking every part), then the offsets, then the bytes in one
    // pass: memory is the output plus one offset per element.
    let mut offsets: Vec<usize> = try_with_capacity(n + 1)?;
    offsets.resize(n + 1, usize::MAX);
    let mut total = 0usize;
    for (region, b) in parts {
        let ArrayBytes::Variable { bytes, offsets: o } = b else {
            return Err("fixed bytes for a variable-size data type".into());
        };
        let count =
            usize::try_from(region.num_elements()).map_err(|_| "part too large".to_string())?;
        bytes_variable_check(bytes, o, count)?;
        if !region.inbounds(shape) {
            return Err(format!("part {region} is outside the output {shape:?}"));
        }
        for (e, idx) in region.indices().enumerate() {
            let l = o[e + 1] - o[e];
            offsets[lin(&idx) + 1] = l;
            total = total.checked_add(l).ok_or("output too large")?;
        }
    }
    offsets[0] = 0;
    for i in 1..=n {
        if offsets[i] == usize::MAX {
            return Err(format!(
                "output element {} was not covered by any part",
                i - 1
            ));
        }
        offsets[i] += offsets[i - 1];
    }
    let mut out = crate::codec::zeroed_checked(total)
        .ok_or_else(|| format!("cannot allocate {total} bytes of variable-size output"))?;
    for (region, b) in parts {
        let ArrayBytes::Variable { bytes, offsets: o } = b else {
            continue;
        };
        for (e, idx) in region.indices().enumerate() {
            let at = offsets[lin(&idx)];
            let len = o[e + 1] - o[e];
            out[at..at + len].copy_from_slice(&bytes[o[e]..o[e + 1]]);
        }
    }
    Ok(ArrayBytes::Variable {
        bytes: out,
        offsets,
    })
}

fn bytes_variable_check(bytes: &[u8], offsets: &[usize], n: usize) -> Result<(), String> {
    if offsets.len() != n + 1 {
        return Err("malformed variable-size offsets".into());
    }
    VariableView::new(bytes, offsets).map(|_| ())
}

/// Overwrite `region` of a chunk of `shape` with `src` (the region's elements, C order).
pub fn update_subset<'a>(
    chunk: ArrayBytes,
    shape: &[u64],
    region: &crate::subset::ArraySubset,
    src: impl Into<ArrayBytesRef<'a>>,
    elem: Option<usize>,
) -> Result<ArrayBytes, String> {
    use crate::subset::ArraySubset;
    let src = src.into();
    if !region.inbounds(shape) {
        return Err(format!(
            "region {region} is out of bounds of shape {shape:?}"
        ));
    }
    let n = region.num_elements() as usize;
    match (chunk, src, elem) {
        (ArrayBytes::Fixed(mut c), ArrayBytesRef::Fixed(s), Some(elem)) => {
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
            ArrayBytesRef::Variable {
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
