//! Canonical element bytes (see the corpus README): fixed-size elements with every
//! endianness unit little endian; variable-size elements as a u32 little-endian length
//! followed by the element bytes.
//!
//! # Extensions for the types the shared corpus README does not cover
//!
//! The foreign-data run (`--foreign`, [`crate::foreign`]) reads arrays of types the shared
//! corpus has none of. Their canonical bytes, as `conformance/python/foreign_corpus.py`
//! computes them from NumPy arrays:
//!
//! - **datetime64 / timedelta64** (V2 `<M8[ns]`, `>m8[10s]`, ...; `numpy.datetime64` /
//!   `numpy.timedelta64`): the i64 value little endian (NaT is `i64::MIN`). zarrkit holds
//!   them as native `i64` with endianness unit 8, so this is the general fixed-size rule.
//! - **records** (V2 structured dtypes, V3 `struct`): each field's canonical bytes in field
//!   order, recursively (nested records inline, subarray fields element by element in C
//!   order), one record after another; the record has no padding (zarrkit's and zarr-python's
//!   records are packed). zarrkit holds every field in native byte order, so on a
//!   little-endian host the bytes are the element bytes; on a big-endian host the runs the
//!   data type reports through `byte_swaps(Some(true))` are swapped.
//! - **ragged arrays** (V2 `|O` + `vlen-array`, `zarrkit.vlen_array`): per element a u32
//!   little-endian **count** of its numbers (not a byte length), then the numbers' canonical
//!   bytes ([`canonical_ragged_bytes`]; zarrkit holds the numbers little endian already).
//! - **fixed-length strings** `|S<n>` / `|V<n>` (raw bytes) and `<U<n>` / `>U<n>` (UCS-4 code
//!   units little endian) are as the README says: the fixed-size rule with endianness unit
//!   1 and 4.

use sha2::{Digest, Sha256};
use zarrkit_core::{ArrayBytes, DataType, DataTypeSize};

/// The canonical bytes of decoded array data of `num_elements` elements of `data_type`.
pub fn canonical_bytes(
    bytes: &ArrayBytes,
    data_type: &DataType,
    num_elements: usize,
) -> Result<Vec<u8>, String> {
    if cfg!(target_endian = "big") {
        // Records: swap the runs the data type names (fields of different sizes).
        if let (DataTypeSize::Fixed(elem), Some(runs)) =
            (data_type.size(), data_type.byte_swaps(Some(true)))
        {
            let runs = runs.map_err(|e| format!("canonical bytes of {}: {e}", data_type.name()))?;
            let mut out =
                canonical_bytes_with(bytes, DataTypeSize::Fixed(elem), None, num_elements)?;
            swap_runs(&mut out, elem, &runs)?;
            return Ok(out);
        }
    }
    canonical_bytes_with(
        bytes,
        data_type.size(),
        data_type.endianness_unit(),
        num_elements,
    )
}

/// Reverse the `unit`-byte groups of each run `(offset, unit, count)` in every `elem`-byte
/// element of `out`.
fn swap_runs(out: &mut [u8], elem: usize, runs: &[(usize, usize, usize)]) -> Result<(), String> {
    if elem == 0 {
        return Ok(());
    }
    for element in out.chunks_exact_mut(elem) {
        for &(offset, unit, count) in runs {
            let end = unit
                .checked_mul(count)
                .and_then(|n| n.checked_add(offset))
                .filter(|&e| e <= elem)
                .ok_or_else(|| {
                    format!(
                        "byte swap run ({offset}, {unit}, {count}) leaves the {elem}-byte element"
                    )
                })?;
            if unit > 1 {
                for c in element[offset..end].chunks_exact_mut(unit) {
                    c.reverse();
                }
            }
        }
    }
    Ok(())
}

/// The canonical bytes of a ragged array (`zarrkit.vlen_array`: every element a
/// variable-length list of `number_size`-byte numbers, held little endian): per element a
/// u32 little-endian count of numbers, then the numbers.
pub fn canonical_ragged_bytes(
    bytes: &ArrayBytes,
    number_size: usize,
    num_elements: usize,
) -> Result<Vec<u8>, String> {
    let ArrayBytes::Variable { bytes, offsets } = bytes else {
        return Err("decoded fixed-size data for a ragged data type".into());
    };
    if number_size == 0 {
        return Err("ragged numbers of size 0".into());
    }
    let view = zarrkit_core::array_bytes::VariableView::new(bytes, offsets)
        .map_err(|e| format!("invalid element offsets: {e}"))?;
    if offsets.len() != num_elements.saturating_add(1) {
        return Err(format!(
            "variable-size data has {} offsets for {num_elements} elements (need n + 1)",
            offsets.len()
        ));
    }
    let mut out = Vec::with_capacity(bytes.len() + 4 * num_elements);
    for (i, element) in view.iter().enumerate() {
        if element.len() % number_size != 0 {
            return Err(format!(
                "ragged element {i} has {} bytes, not a whole number of {number_size}-byte numbers",
                element.len()
            ));
        }
        let count = u32::try_from(element.len() / number_size)
            .map_err(|_| format!("ragged element {i} has more than u32::MAX numbers"))?;
        out.extend_from_slice(&count.to_le_bytes());
        out.extend_from_slice(element);
    }
    Ok(out)
}

/// [`canonical_bytes`] given the data type's capabilities: its element size and the size of
/// its endianness unit (`None`: no byte swapping).
pub fn canonical_bytes_with(
    bytes: &ArrayBytes,
    size: DataTypeSize,
    endianness_unit: Option<usize>,
    num_elements: usize,
) -> Result<Vec<u8>, String> {
    match (size, bytes) {
        (DataTypeSize::Fixed(elem), ArrayBytes::Fixed(b)) => {
            let expected = num_elements
                .checked_mul(elem)
                .ok_or_else(|| format!("{num_elements} elements of {elem} bytes overflow usize"))?;
            if b.len() != expected {
                return Err(format!(
                    "decoded {} bytes, but {num_elements} elements of {elem} bytes need {expected}",
                    b.len()
                ));
            }
            let mut out = b.clone();
            if cfg!(target_endian = "big") {
                if let Some(unit) = endianness_unit.filter(|&u| u > 1) {
                    if elem % unit != 0 {
                        return Err(format!(
                            "element size {elem} is not a multiple of the endianness unit {unit}"
                        ));
                    }
                    for c in out.chunks_exact_mut(unit) {
                        c.reverse();
                    }
                }
            }
            Ok(out)
        }
        (DataTypeSize::Variable, ArrayBytes::Variable { bytes, offsets }) => {
            if offsets.len() != num_elements.saturating_add(1) {
                return Err(format!(
                    "variable-size data has {} offsets for {num_elements} elements (need n + 1)",
                    offsets.len()
                ));
            }
            if offsets.first().copied().unwrap_or(0) != 0
                || offsets.last().copied().unwrap_or(0) != bytes.len()
            {
                return Err(format!(
                    "variable-size offsets must start at 0 and end at {} (the byte length)",
                    bytes.len()
                ));
            }
            let mut out = Vec::with_capacity(bytes.len() + 4 * num_elements);
            for (i, w) in offsets.windows(2).enumerate() {
                let (start, end) = (w[0], w[1]);
                let element = bytes
                    .get(start..end)
                    .ok_or_else(|| format!("element {i} has invalid offsets {start}..{end}"))?;
                let len = u32::try_from(element.len()).map_err(|_| {
                    format!(
                        "element {i} is {} bytes long, more than u32::MAX",
                        element.len()
                    )
                })?;
                out.extend_from_slice(&len.to_le_bytes());
                out.extend_from_slice(element);
            }
            Ok(out)
        }
        (DataTypeSize::Fixed(elem), ArrayBytes::Variable { .. }) => Err(format!(
            "decoded variable-size data for a fixed-size data type of {elem} bytes"
        )),
        (DataTypeSize::Variable, ArrayBytes::Fixed(_)) => {
            Err("decoded fixed-size data for a variable-size data type".to_string())
        }
    }
}

/// Lowercase hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// How canonical bytes split into elements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CanonicalForm {
    /// Fixed-size elements of this many bytes.
    Fixed(usize),
    /// A u32 little-endian byte length, then the bytes (strings, byte strings).
    LengthPrefixed,
    /// A u32 little-endian count of numbers of this size, then the numbers (ragged arrays).
    CountPrefixed(usize),
}

impl From<DataTypeSize> for CanonicalForm {
    fn from(size: DataTypeSize) -> Self {
        match size {
            DataTypeSize::Fixed(n) => Self::Fixed(n),
            DataTypeSize::Variable => Self::LengthPrefixed,
        }
    }
}

/// Split canonical bytes into elements: fixed-size chunks, or u32-prefixed records.
/// A trailing partial element is returned as the last item.
fn split_elements(bytes: &[u8], form: CanonicalForm) -> Vec<&[u8]> {
    let unit = match form {
        CanonicalForm::Fixed(0) => return Vec::new(),
        CanonicalForm::Fixed(n) => return bytes.chunks(n).collect(),
        CanonicalForm::LengthPrefixed => 1,
        CanonicalForm::CountPrefixed(n) => n.max(1),
    };
    let mut out = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let Some((len, body)) = rest.split_first_chunk::<4>() else {
            out.push(rest);
            break;
        };
        let len = (u32::from_le_bytes(*len) as usize).saturating_mul(unit);
        let end = len.min(body.len());
        out.push(&body[..end]);
        rest = &body[end..];
    }
    out
}

/// Describe the first element where canonical bytes `actual` and `expected` differ, or
/// `None` if they are equal.
pub fn first_difference(actual: &[u8], expected: &[u8], size: DataTypeSize) -> Option<String> {
    first_difference_in(actual, expected, size.into())
}

/// [`first_difference`] for any [`CanonicalForm`].
pub fn first_difference_in(actual: &[u8], expected: &[u8], form: CanonicalForm) -> Option<String> {
    if actual == expected {
        return None;
    }
    let a = split_elements(actual, form);
    let e = split_elements(expected, form);
    for (i, (x, y)) in a.iter().zip(e.iter()).enumerate() {
        if x != y {
            return Some(format!(
                "first difference at element {i}: got {}, expected {}",
                hex_or_empty(x),
                hex_or_empty(y)
            ));
        }
    }
    Some(format!(
        "got {} elements ({} bytes), expected {} elements ({} bytes); the common prefix matches",
        a.len(),
        actual.len(),
        e.len(),
        expected.len()
    ))
}

fn hex_or_empty(b: &[u8]) -> String {
    const MAX: usize = 64;
    if b.is_empty() {
        "(empty)".into()
    } else if b.len() > MAX {
        format!("0x{}... ({} bytes)", hex::encode(&b[..MAX]), b.len())
    } else {
        format!("0x{}", hex::encode(b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_bytes_are_native_little_endian() -> Result<(), String> {
        let values: [u32; 3] = [1, 0x0102_0304, u32::MAX];
        let native: Vec<u8> = values.iter().flat_map(|v| v.to_ne_bytes()).collect();
        let le: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        let out = canonical_bytes_with(
            &ArrayBytes::Fixed(native),
            DataTypeSize::Fixed(4),
            Some(4),
            3,
        )?;
        assert_eq!(out, le);
        Ok(())
    }

    #[test]
    fn complex_swaps_per_component() -> Result<(), String> {
        let (re, im) = (1.5f32, -2.0f32);
        let native: Vec<u8> = [re.to_ne_bytes(), im.to_ne_bytes()].concat();
        let le: Vec<u8> = [re.to_le_bytes(), im.to_le_bytes()].concat();
        let out = canonical_bytes_with(
            &ArrayBytes::Fixed(native),
            DataTypeSize::Fixed(8),
            Some(4),
            1,
        )?;
        assert_eq!(out, le);
        Ok(())
    }

    #[test]
    fn fixed_length_is_checked() {
        let r = canonical_bytes_with(
            &ArrayBytes::Fixed(vec![0; 7]),
            DataTypeSize::Fixed(4),
            Some(4),
            2,
        );
        assert!(r.is_err());
        let r = canonical_bytes_with(
            &ArrayBytes::Fixed(vec![0; 8]),
            DataTypeSize::Variable,
            None,
            2,
        );
        assert!(r.is_err());
    }

    #[test]
    fn variable_elements_are_length_prefixed() -> Result<(), String> {
        let bytes = ArrayBytes::Variable {
            bytes: b"abxyz".to_vec(),
            offsets: vec![0, 2, 2, 5],
        };
        let out = canonical_bytes_with(&bytes, DataTypeSize::Variable, None, 3)?;
        assert_eq!(out, b"\x02\0\0\0ab\0\0\0\0\x03\0\0\0xyz".to_vec());
        let bad = ArrayBytes::Variable {
            bytes: b"ab".to_vec(),
            offsets: vec![0, 3],
        };
        assert!(canonical_bytes_with(&bad, DataTypeSize::Variable, None, 1).is_err());
        let bad = ArrayBytes::Variable {
            bytes: b"ab".to_vec(),
            offsets: vec![0, 2, 1, 2],
        };
        assert!(canonical_bytes_with(&bad, DataTypeSize::Variable, None, 3).is_err());
        Ok(())
    }

    /// A minimal data type plugin (not registered) for [`canonical_bytes`].
    #[derive(Debug)]
    struct TestType(DataTypeSize, Option<usize>);

    impl zarrkit_core::data_type::DataTypeExtension for TestType {
        fn name(&self) -> String {
            "x-test".into()
        }
        fn size(&self) -> DataTypeSize {
            self.0
        }
        fn fill_value_from_json(
            &self,
            _json: &serde_json::Value,
        ) -> Result<zarrkit_core::FillValue, zarrkit_core::fill_value::FillValueError> {
            Ok(zarrkit_core::FillValue::new(Vec::new()))
        }
        fn fill_value_to_json(
            &self,
            _fill_value: &zarrkit_core::FillValue,
        ) -> Result<serde_json::Value, zarrkit_core::fill_value::FillValueError> {
            Ok(serde_json::Value::Null)
        }
        fn endianness_unit(&self) -> Option<usize> {
            self.1
        }
    }

    #[test]
    fn canonical_bytes_of_a_small_array() -> Result<(), String> {
        // A 2x3 uint16 array as decoded (native endian, C order).
        let values: [u16; 6] = [0, 1, 0x0102, 0x7fff, 0x8000, u16::MAX];
        let native: Vec<u8> = values.iter().flat_map(|v| v.to_ne_bytes()).collect();
        let dt: DataType = std::sync::Arc::new(TestType(DataTypeSize::Fixed(2), Some(2)));
        let out = canonical_bytes(&ArrayBytes::Fixed(native), &dt, 6)?;
        let le: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        assert_eq!(out, le);
        assert_eq!(sha256_hex(&out), sha256_hex(&le));

        // Three strings, one empty and one non-ASCII.
        let strings = ["a", "", "\u{fc}b"];
        let mut bytes = Vec::new();
        let mut offsets = vec![0];
        for s in strings {
            bytes.extend_from_slice(s.as_bytes());
            offsets.push(bytes.len());
        }
        let dt: DataType = std::sync::Arc::new(TestType(DataTypeSize::Variable, None));
        let out = canonical_bytes(&ArrayBytes::Variable { bytes, offsets }, &dt, 3)?;
        assert_eq!(out, b"\x01\0\0\0a\0\0\0\0\x03\0\0\0\xc3\xbcb".to_vec());
        Ok(())
    }

    #[test]
    fn ragged_elements_are_count_prefixed() -> Result<(), String> {
        // Two int16 lists: [1, -2] and [].
        let bytes = ArrayBytes::Variable {
            bytes: [1i16, -2].iter().flat_map(|v| v.to_le_bytes()).collect(),
            offsets: vec![0, 4, 4],
        };
        let out = canonical_ragged_bytes(&bytes, 2, 2)?;
        assert_eq!(out, b"\x02\0\0\0\x01\0\xfe\xff\0\0\0\0".to_vec());
        let bad = ArrayBytes::Variable {
            bytes: vec![0; 3],
            offsets: vec![0, 3],
        };
        assert!(canonical_ragged_bytes(&bad, 2, 1).is_err());
        assert!(canonical_ragged_bytes(&bytes, 2, 3).is_err());
        assert!(canonical_ragged_bytes(&ArrayBytes::Fixed(vec![0; 4]), 2, 2).is_err());
        let other = b"\x02\0\0\0\x01\0\xfd\xff\0\0\0\0";
        let d =
            first_difference_in(&out, other, CanonicalForm::CountPrefixed(2)).unwrap_or_default();
        assert!(d.contains("element 0"), "{d}");
        let d = first_difference_in(&out, &out[..8], CanonicalForm::CountPrefixed(2))
            .unwrap_or_default();
        assert!(d.contains("got 2 elements"), "{d}");
        Ok(())
    }

    #[test]
    fn swap_runs_reverses_each_unit() -> Result<(), String> {
        // Records of {a: u16, b: u32, c: u8}: 7 bytes.
        let mut b = vec![1, 2, 3, 4, 5, 6, 7, 11, 12, 13, 14, 15, 16, 17];
        swap_runs(&mut b, 7, &[(0, 2, 1), (2, 4, 1)])?;
        assert_eq!(b, vec![2, 1, 6, 5, 4, 3, 7, 12, 11, 16, 15, 14, 13, 17]);
        assert!(swap_runs(&mut b, 7, &[(4, 4, 1)]).is_err());
        Ok(())
    }

    #[test]
    fn sha256_of_empty_input() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn first_difference_reports_element() {
        let a = [1u8, 0, 2, 0, 3, 0];
        let b = [1u8, 0, 2, 1, 3, 0];
        let d = first_difference(&a, &b, DataTypeSize::Fixed(2)).unwrap_or_default();
        assert!(
            d.contains("element 1") && d.contains("0x0200") && d.contains("0x0201"),
            "{d}"
        );
        assert_eq!(first_difference(&a, &a, DataTypeSize::Fixed(2)), None);
        let d = first_difference(&a[..4], &a, DataTypeSize::Fixed(2)).unwrap_or_default();
        assert!(d.contains("got 2 elements"), "{d}");
        let va = b"\x01\0\0\0a\x02\0\0\0bc";
        let vb = b"\x01\0\0\0a\x02\0\0\0bd";
        let d = first_difference(va, vb, DataTypeSize::Variable).unwrap_or_default();
        assert!(
            d.contains("element 1") && d.contains("0x6263") && d.contains("0x6264"),
            "{d}"
        );
    }
}
