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
                if offsets.first() != Some(&0) || offsets.last() != Some(&bytes.len()) {
                    return Err("offsets do not span the bytes".into());
                }
                if offsets.windows(2).any(|w| w[0] > w[1]) {
                    return Err("offsets decrease".into());
                }
                Ok(())
            }
            (Self::Fixed(_), None) => Err("fixed-size bytes for a variable-size data type".into()),
            (Self::Variable { .. }, Some(_)) => {
                Err("variable-size bytes for a fixed-size data type".into())
            }
        }
    }
}

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
    if offsets.len() != n + 1
        || offsets.first() != Some(&0)
        || offsets.last() != Some(&bytes.len())
        || offsets.windows(2).any(|w| w[0] > w[1])
    {
        return Err("malformed variable-size offsets".into());
    }
    Ok(())
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
