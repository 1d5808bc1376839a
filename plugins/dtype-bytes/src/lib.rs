//! zarrkit plugin: the `variable_length_bytes` data type (variable-length byte strings).
//!
//! - V3 name `variable_length_bytes` (as zarr-python 3 writes it), alias `bytes` (the name in
//!   the zarr-extensions registry, which zarr-python also reads). No configuration; the name
//!   that was read is written back.
//! - Elements have variable size; in memory a chunk is
//!   [`ArrayBytes::Variable`](zarrkit_core::ArrayBytes::Variable).
//! - The fill value is written as zarr-python writes it: a base64 string (standard alphabet,
//!   padded; `""` is the empty byte string). An array of integers 0–255 is accepted too.
//! - Zarr V2: object arrays (`dtype: "|O"`) whose object codec is `vlen-bytes` select it.

use std::sync::Arc;

use zarrkit_core::data_type::{DataType, DataTypeExtension, DataTypeSize};
use zarrkit_core::element::ElementKind;
use zarrkit_core::error::{ExtensionKind, PluginError};
use zarrkit_core::fill_value::{FillValue, FillValueError};
use zarrkit_core::metadata::MetadataV3;
use zarrkit_core::registry::DataTypePlugin;
use zarrkit_core::serde_json::Value;

/// The V3 name of the data type.
pub const VARIABLE_LENGTH_BYTES: &str = "variable_length_bytes";
/// The alias of the data type (zarr-extensions `bytes`).
pub const BYTES: &str = "bytes";

/// The `variable_length_bytes` data type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BytesDataType {
    name: &'static str,
}

impl Default for BytesDataType {
    fn default() -> Self {
        Self::new()
    }
}

impl BytesDataType {
    /// The data type, named `variable_length_bytes`.
    pub fn new() -> Self {
        Self {
            name: VARIABLE_LENGTH_BYTES,
        }
    }

    /// The data type under its alias `bytes`.
    pub fn new_bytes_alias() -> Self {
        Self { name: BYTES }
    }
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding.
pub fn base64_encode(data: &[u8]) -> String {
    let mut s = String::with_capacity(data.len().div_ceil(3) * 4);
    for c in data.chunks(3) {
        let b = [c[0], *c.get(1).unwrap_or(&0), *c.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= c.len() {
                s.push(char::from(B64[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                s.push('=');
            }
        }
    }
    s
}

/// Strict standard base64 with padding (length a multiple of 4, `=` only at the end, no
/// non-zero bits in the padding).
pub fn base64_decode(s: &str) -> Result<Vec<u8>, String> {
    let b = s.as_bytes();
    if !b.len().is_multiple_of(4) {
        return Err("base64 length is not a multiple of 4".into());
    }
    let val = |c: u8| -> Option<u32> {
        match c {
            b'A'..=b'Z' => Some(u32::from(c - b'A')),
            b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
            b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
            b'+' => Some(62),
            b'/' => Some(63),
            _ => None,
        }
    };
    let mut out = Vec::with_capacity(b.len() / 4 * 3);
    let groups = b.len() / 4;
    for (gi, g) in b.chunks_exact(4).enumerate() {
        let pad = g.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && gi + 1 != groups) {
            return Err("misplaced base64 padding".into());
        }
        let mut n = 0u32;
        for &c in &g[..4 - pad] {
            n = (n << 6)
                | val(c).ok_or_else(|| format!("invalid base64 character {:?}", c as char))?;
        }
        n <<= 6 * pad as u32;
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        if bytes[3 - pad..].iter().any(|&x| x != 0) {
            return Err("non-zero bits in base64 padding".into());
        }
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    Ok(out)
}

impl DataTypeExtension for BytesDataType {
    fn name(&self) -> String {
        self.name.to_string()
    }

    fn size(&self) -> DataTypeSize {
        DataTypeSize::Variable
    }

    /// zarr-python writes variable-length bytes with `vlen-bytes`.
    fn default_array_to_bytes_codec(&self) -> Option<MetadataV3> {
        Some(MetadataV3::new("vlen-bytes"))
    }

    /// Capability for typed access: variable-length byte strings.
    fn element_kind(&self) -> Option<ElementKind> {
        Some(ElementKind::ByteString)
    }

    fn fill_value_from_json(&self, json: &Value) -> Result<FillValue, FillValueError> {
        let err = |r: String| FillValueError::new(self.name, json, r);
        match json {
            Value::String(s) => base64_decode(s).map(FillValue::new).map_err(err),
            Value::Array(a) => a
                .iter()
                .map(|v| {
                    v.as_u64()
                        .and_then(|u| u8::try_from(u).ok())
                        .ok_or_else(|| err("byte values must be integers 0-255".into()))
                })
                .collect::<Result<Vec<u8>, _>>()
                .map(FillValue::new),
            _ => Err(err(
                "expected a base64 string or an array of byte values".into()
            )),
        }
    }

    fn fill_value_to_json(&self, fill_value: &FillValue) -> Result<Value, FillValueError> {
        Ok(Value::String(base64_encode(fill_value.as_bytes())))
    }

    fn to_v2_dtype(&self, _byte_order: char) -> Option<String> {
        Some("|O".to_string())
    }
}

fn create(metadata: &MetadataV3) -> Result<DataType, PluginError> {
    if metadata.configuration().is_some_and(|c| !c.is_empty()) {
        return Err(PluginError::config(
            ExtensionKind::DataType,
            metadata.name(),
            "the variable_length_bytes data type takes no configuration",
        ));
    }
    Ok(Arc::new(if metadata.name() == BYTES {
        BytesDataType::new_bytes_alias()
    } else {
        BytesDataType::new()
    }))
}

zarrkit_core::inventory::submit! {
    DataTypePlugin::new(VARIABLE_LENGTH_BYTES, create).with_aliases(&[BYTES]).with_v2_object_codec_ids(&["vlen-bytes"])
}

#[cfg(test)]
mod tests {
    use super::*;
    use zarrkit_core::registry::{data_type_by_name, DATA_TYPES};
    use zarrkit_core::serde_json::json;

    #[test]
    fn names() -> Result<(), Box<dyn std::error::Error>> {
        for n in ["variable_length_bytes", "bytes"] {
            let d = data_type_by_name(n)?;
            assert_eq!(d.name(), n);
            assert_eq!(d.size(), DataTypeSize::Variable);
        }
        let p = DATA_TYPES.get_v2("vlen-bytes").ok_or("no plugin")?;
        assert_eq!(
            zarrkit_core::registry::PluginEntry::name(p),
            VARIABLE_LENGTH_BYTES
        );
        Ok(())
    }

    #[test]
    fn base64_matches_python() -> Result<(), String> {
        // base64.standard_b64encode(x) for each x.
        for (raw, enc) in [
            (&b""[..], ""),
            (b"f", "Zg=="),
            (b"fo", "Zm8="),
            (b"foo", "Zm9v"),
            (b"\x00\xff\x10", "AP8Q"),
            (b"\xfb\xff", "+/8="),
        ] {
            assert_eq!(base64_encode(raw), enc);
            assert_eq!(base64_decode(enc)?, raw);
        }
        for bad in ["Zg=", "Z===", "Zg==Zg==", "Zh==", "Zm9v!", "=AAA"] {
            assert!(base64_decode(bad).is_err(), "{bad}");
        }
        Ok(())
    }

    #[test]
    fn fill_values() -> Result<(), Box<dyn std::error::Error>> {
        let d = BytesDataType::new();
        let f = d.fill_value_from_json(&json!(""))?;
        assert!(f.as_bytes().is_empty());
        assert_eq!(d.fill_value_to_json(&f)?, json!(""));
        let f = d.fill_value_from_json(&json!("AP8Q"))?;
        assert_eq!(f.as_bytes(), &[0, 255, 16]);
        assert_eq!(d.fill_value_to_json(&f)?, json!("AP8Q"));
        let f = d.fill_value_from_json(&json!([1, 2, 255]))?;
        assert_eq!(f.as_bytes(), &[1, 2, 255]);
        for bad in [json!(1), json!("not base64!"), json!([256]), json!(null)] {
            assert!(d.fill_value_from_json(&bad).is_err(), "{bad}");
        }
        Ok(())
    }
}
