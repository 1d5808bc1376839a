//! zarrkit plugin: the fixed-length string and byte data types of NumPy and Zarr V2, under
//! the V3 names zarr-python 3 writes for them:
//!
//! | V2 dtype | V3 data type | element | fill value JSON |
//! | --- | --- | --- | --- |
//! | `\|S<n>` | `{"name": "null_terminated_bytes", "configuration": {"length_bytes": n}}` | n bytes, NUL padded | base64 of up to n bytes (zarr-python writes `""` for all zeros) |
//! | `\|V<n>` | `{"name": "raw_bytes", "configuration": {"length_bytes": n}}` | n raw bytes | base64 of up to n bytes |
//! | `<U<n>`, `>U<n>` | `{"name": "fixed_length_utf32", "configuration": {"length_bytes": 4n}}` | n UCS-4 code units | a string of at most n characters |
//!
//! In memory an element is its bytes; a `fixed_length_utf32` element is n native-endian
//! `u32` code units, so the `bytes` codec swaps each 4-byte unit (`endianness_unit` 4) and
//! the V2 byte order character becomes the `bytes` codec's `endian`. Shorter fill values
//! are padded with zeros, as NumPy does; written fill values drop trailing NULs, as
//! zarr-python does.

use std::sync::Arc;

use serde::Deserialize;
use zarrkit_core::data_type::{DataType, DataTypeExtension, DataTypeSize};
use zarrkit_core::element::ElementKind;
use zarrkit_core::error::{ExtensionKind, PluginError};
use zarrkit_core::fill_value::{FillValue, FillValueError};
use zarrkit_core::metadata::MetadataV3;
use zarrkit_core::registry::DataTypePlugin;
use zarrkit_core::serde_json::{Map, Value};

/// The largest element accepted, in bytes (keeps hostile metadata from asking for huge
/// fill values).
pub const MAX_LENGTH_BYTES: usize = 1 << 20;

/// V3 name of `|S<n>`.
pub const NULL_TERMINATED_BYTES: &str = "null_terminated_bytes";
/// V3 name of `|V<n>`.
pub const RAW_BYTES: &str = "raw_bytes";
/// V3 name of `<U<n>`.
pub const FIXED_LENGTH_UTF32: &str = "fixed_length_utf32";

/// Which fixed-length type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FixedKind {
    /// `|S<n>`: NUL-padded bytes.
    NullTerminatedBytes,
    /// `|V<n>`: raw bytes.
    RawBytes,
    /// `<U<n>`: UCS-4 code units.
    Utf32,
}

impl FixedKind {
    /// The V3 name.
    pub fn name(self) -> &'static str {
        match self {
            Self::NullTerminatedBytes => NULL_TERMINATED_BYTES,
            Self::RawBytes => RAW_BYTES,
            Self::Utf32 => FIXED_LENGTH_UTF32,
        }
    }
}

/// A fixed-length data type of `length_bytes` bytes per element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedDataType {
    kind: FixedKind,
    length_bytes: usize,
}

impl FixedDataType {
    /// A type of `length_bytes` bytes (at least 1, at most [`MAX_LENGTH_BYTES`], a multiple
    /// of 4 for [`FixedKind::Utf32`]).
    pub fn new(kind: FixedKind, length_bytes: usize) -> Result<Self, String> {
        if length_bytes == 0 || length_bytes > MAX_LENGTH_BYTES {
            return Err(format!(
                "length_bytes {length_bytes} must be between 1 and {MAX_LENGTH_BYTES}"
            ));
        }
        if kind == FixedKind::Utf32 && !length_bytes.is_multiple_of(4) {
            return Err(format!(
                "length_bytes {length_bytes} of fixed_length_utf32 must be a multiple of 4"
            ));
        }
        Ok(Self { kind, length_bytes })
    }

    /// The kind.
    pub fn kind(&self) -> FixedKind {
        self.kind
    }

    /// The element size in bytes.
    pub fn length_bytes(&self) -> usize {
        self.length_bytes
    }

    fn err(&self, json: &Value, reason: impl Into<String>) -> FillValueError {
        FillValueError::new(self.kind.name(), json, reason)
    }
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding.
pub fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for c in bytes.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                out.push(char::from(B64[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Decode standard base64 (padding optional; whitespace not allowed).
pub fn base64_decode(s: &str) -> Result<Vec<u8>, String> {
    let body = s.trim_end_matches('=');
    if s.len() - body.len() > 2 {
        return Err("too much padding".into());
    }
    let mut out = Vec::with_capacity(body.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for ch in body.bytes() {
        let v = B64
            .iter()
            .position(|&b| b == ch)
            .ok_or_else(|| format!("invalid base64 character {:?}", char::from(ch)))?;
        acc = (acc << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    if bits >= 6 {
        return Err("truncated base64".into());
    }
    Ok(out)
}

impl DataTypeExtension for FixedDataType {
    fn name(&self) -> String {
        self.kind.name().to_string()
    }

    fn configuration(&self) -> Option<Map<String, Value>> {
        let mut m = Map::new();
        m.insert("length_bytes".into(), Value::from(self.length_bytes));
        Some(m)
    }

    fn size(&self) -> DataTypeSize {
        DataTypeSize::Fixed(self.length_bytes)
    }

    fn fill_value_from_json(&self, json: &Value) -> Result<FillValue, FillValueError> {
        let Value::String(s) = json else {
            return Err(self.err(
                json,
                match self.kind {
                    FixedKind::Utf32 => "expected a string",
                    _ => "expected a base64 string",
                },
            ));
        };
        let mut bytes = match self.kind {
            FixedKind::NullTerminatedBytes | FixedKind::RawBytes => {
                base64_decode(s).map_err(|e| self.err(json, e))?
            }
            FixedKind::Utf32 => s.chars().flat_map(|c| u32::from(c).to_ne_bytes()).collect(),
        };
        if bytes.len() > self.length_bytes {
            return Err(self.err(
                json,
                format!(
                    "longer than the element size of {} bytes",
                    self.length_bytes
                ),
            ));
        }
        bytes.resize(self.length_bytes, 0);
        Ok(FillValue::new(bytes))
    }

    /// V2: as V3, and the integer `0` (what zarr-python 2 wrote for `|S`, `|V` and `<U`
    /// arrays created without a fill value) is all zero bytes — the empty string.
    fn fill_value_from_json_v2(&self, json: &Value) -> Result<FillValue, FillValueError> {
        if json.as_u64() == Some(0) {
            return Ok(FillValue::new(vec![0; self.length_bytes]));
        }
        self.fill_value_from_json(json)
    }

    fn fill_value_to_json(&self, fill_value: &FillValue) -> Result<Value, FillValueError> {
        let b = fill_value.as_bytes();
        if b.len() != self.length_bytes {
            return Err(self.err(
                &Value::Null,
                format!(
                    "fill value has {} bytes, expected {}",
                    b.len(),
                    self.length_bytes
                ),
            ));
        }
        Ok(Value::String(match self.kind {
            FixedKind::RawBytes => base64_encode(b),
            FixedKind::NullTerminatedBytes => {
                let end = b.iter().rposition(|&x| x != 0).map_or(0, |i| i + 1);
                base64_encode(&b[..end])
            }
            FixedKind::Utf32 => {
                let units: Vec<u32> = b
                    .chunks_exact(4)
                    .map(|c| u32::from_ne_bytes([c[0], c[1], c[2], c[3]]))
                    .collect();
                let end = units.iter().rposition(|&u| u != 0).map_or(0, |i| i + 1);
                units[..end]
                    .iter()
                    .map(|&u| {
                        char::from_u32(u).ok_or_else(|| {
                            self.err(&Value::Null, format!("code unit {u:#x} is not a character"))
                        })
                    })
                    .collect::<Result<String, _>>()?
            }
        }))
    }

    fn endianness_unit(&self) -> Option<usize> {
        match self.kind {
            FixedKind::Utf32 => Some(4),
            _ => None,
        }
    }

    fn element_kind(&self) -> Option<ElementKind> {
        match self.kind {
            FixedKind::Utf32 => None,
            _ => Some(ElementKind::RawBytes(self.length_bytes)),
        }
    }

    fn to_v2_dtype(&self, byte_order: char) -> Option<String> {
        match self.kind {
            FixedKind::NullTerminatedBytes => Some(format!("|S{}", self.length_bytes)),
            FixedKind::RawBytes => Some(format!("|V{}", self.length_bytes)),
            FixedKind::Utf32 => match byte_order {
                '<' | '>' => Some(format!("{byte_order}U{}", self.length_bytes / 4)),
                _ => None,
            },
        }
    }
}

/// Parse a V2 dtype of this plugin: `|S<n>`, `|V<n>`, `<U<n>` / `>U<n>` / `=U<n>`.
pub fn data_type_from_v2(dtype: &str) -> Option<FixedDataType> {
    let mut chars = dtype.chars();
    let order = chars.next()?;
    let code = chars.next()?;
    let digits = chars.as_str();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: usize = digits.parse().ok()?;
    let (kind, bytes) = match (order, code) {
        ('|', 'S') => (FixedKind::NullTerminatedBytes, n),
        ('|', 'V') => (FixedKind::RawBytes, n),
        ('<' | '>' | '=', 'U') => (FixedKind::Utf32, n.checked_mul(4)?),
        _ => return None,
    };
    FixedDataType::new(kind, bytes).ok()
}

fn from_v2_as(kind: FixedKind, dtype: &str) -> Option<DataType> {
    data_type_from_v2(dtype)
        .filter(|d| d.kind == kind)
        .map(|d| Arc::new(d) as DataType)
}

fn from_v2_s(dtype: &str) -> Option<DataType> {
    from_v2_as(FixedKind::NullTerminatedBytes, dtype)
}
fn from_v2_v(dtype: &str) -> Option<DataType> {
    from_v2_as(FixedKind::RawBytes, dtype)
}
fn from_v2_u(dtype: &str) -> Option<DataType> {
    from_v2_as(FixedKind::Utf32, dtype)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Configuration {
    length_bytes: u64,
}

fn create_as(kind: FixedKind, metadata: &MetadataV3) -> Result<DataType, PluginError> {
    let err = |m: String| PluginError::config(ExtensionKind::DataType, metadata.name(), m);
    let c: Configuration = metadata.to_configuration().map_err(err)?;
    let n = usize::try_from(c.length_bytes).map_err(|e| err(e.to_string()))?;
    Ok(Arc::new(FixedDataType::new(kind, n).map_err(err)?))
}

fn create_s(metadata: &MetadataV3) -> Result<DataType, PluginError> {
    create_as(FixedKind::NullTerminatedBytes, metadata)
}
fn create_v(metadata: &MetadataV3) -> Result<DataType, PluginError> {
    create_as(FixedKind::RawBytes, metadata)
}
fn create_u(metadata: &MetadataV3) -> Result<DataType, PluginError> {
    create_as(FixedKind::Utf32, metadata)
}

zarrkit_core::inventory::submit! {
    DataTypePlugin::new(NULL_TERMINATED_BYTES, create_s).with_from_v2(from_v2_s)
}
zarrkit_core::inventory::submit! {
    DataTypePlugin::new(RAW_BYTES, create_v).with_from_v2(from_v2_v)
}
zarrkit_core::inventory::submit! {
    DataTypePlugin::new(FIXED_LENGTH_UTF32, create_u).with_from_v2(from_v2_u)
}

#[cfg(test)]
mod tests {
    use super::*;
    use zarrkit_core::registry;
    use zarrkit_core::serde_json::json;

    type R = Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn base64_round_trip() -> R {
        for n in 0..20usize {
            let b: Vec<u8> = (0..n as u8).map(|i| i.wrapping_mul(37)).collect();
            let e = base64_encode(&b);
            assert_eq!(base64_decode(&e)?, b);
            assert_eq!(base64_decode(e.trim_end_matches('='))?, b);
        }
        assert_eq!(base64_encode(b"abc\0"), "YWJjAA==");
        assert!(base64_decode("a").is_err());
        assert!(base64_decode("YW*j").is_err());
        assert!(base64_decode("YQ===").is_err());
        Ok(())
    }

    #[test]
    fn v2_dtypes() -> R {
        let s = registry::data_type_from_v2("|S6")?;
        assert_eq!(s.name(), "null_terminated_bytes");
        assert_eq!(
            s.configuration(),
            json!({"length_bytes": 6}).as_object().cloned()
        );
        assert_eq!(s.size(), DataTypeSize::Fixed(6));
        assert_eq!(s.to_v2_dtype('|').as_deref(), Some("|S6"));
        let v = registry::data_type_from_v2("|V3")?;
        assert_eq!(v.name(), "raw_bytes");
        assert_eq!(v.to_v2_dtype('<').as_deref(), Some("|V3"));
        let u = registry::data_type_from_v2("<U5")?;
        assert_eq!(u.name(), "fixed_length_utf32");
        assert_eq!(
            u.configuration(),
            json!({"length_bytes": 20}).as_object().cloned()
        );
        assert_eq!(u.endianness_unit(), Some(4));
        assert_eq!(u.to_v2_dtype('>').as_deref(), Some(">U5"));
        assert!(u.to_v2_dtype('|').is_none());
        for bad in [
            "|S0",
            "<S6",
            "|U5",
            "|S",
            "|S6x",
            "<U99999999999999999999",
            "|S2000000",
        ] {
            assert!(data_type_from_v2(bad).is_none(), "{bad}");
        }
        Ok(())
    }

    #[test]
    fn v3_metadata() -> R {
        let m: MetadataV3 = zarrkit_core::serde_json::from_value(
            json!({"name": "fixed_length_utf32", "configuration": {"length_bytes": 8}}),
        )?;
        assert_eq!(
            registry::create_data_type(&m)?.size(),
            DataTypeSize::Fixed(8)
        );
        for bad in [
            json!({"name": "fixed_length_utf32", "configuration": {"length_bytes": 6}}),
            json!({"name": "null_terminated_bytes", "configuration": {"length_bytes": 0}}),
            json!({"name": "raw_bytes"}),
            json!({"name": "raw_bytes", "configuration": {"length_bytes": 2, "x": 1}}),
        ] {
            let m: MetadataV3 = zarrkit_core::serde_json::from_value(bad.clone())?;
            assert!(registry::create_data_type(&m).is_err(), "{bad}");
        }
        Ok(())
    }

    #[test]
    fn fill_values() -> R {
        let s = registry::data_type_from_v2("|S6")?;
        assert_eq!(s.fill_value_from_json_v2(&json!(""))?.as_bytes(), &[0; 6]);
        let fv = s.fill_value_from_json(&json!("YWI="))?;
        assert_eq!(fv.as_bytes(), b"ab\0\0\0\0");
        assert_eq!(s.fill_value_to_json(&fv)?, json!("YWI="));
        assert_eq!(
            s.fill_value_to_json(&FillValue::new(vec![0; 6]))?,
            json!("")
        );
        assert!(s
            .fill_value_from_json(&json!(base64_encode(b"1234567")))
            .is_err());
        assert!(s.fill_value_from_json(&json!(0)).is_err());
        let v = registry::data_type_from_v2("|V2")?;
        let fv = v.fill_value_from_json(&json!("AAE="))?;
        assert_eq!(fv.as_bytes(), &[0, 1]);
        assert_eq!(
            v.fill_value_to_json(&FillValue::new(vec![0, 0]))?,
            json!("AAA=")
        );
        let u = registry::data_type_from_v2("<U3")?;
        let fv = u.fill_value_from_json(&json!("é"))?;
        let mut want = 0xe9u32.to_ne_bytes().to_vec();
        want.resize(12, 0);
        assert_eq!(fv.as_bytes(), want.as_slice());
        assert_eq!(u.fill_value_to_json(&fv)?, json!("é"));
        assert_eq!(u.fill_value_from_json_v2(&json!(""))?.as_bytes(), &[0; 12]);
        assert!(u.fill_value_from_json(&json!("abcd")).is_err());
        let bad = FillValue::new([0xd800u32.to_ne_bytes(), [0; 4], [0; 4]].concat());
        assert!(u.fill_value_to_json(&bad).is_err());
        Ok(())
    }
}
