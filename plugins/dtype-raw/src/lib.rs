//! zarrkit plugin: raw bits data types `r8`, `r16`, `r24`, ... (any positive multiple of 8
//! bits). Elements are opaque byte strings with no endianness; the fill value is a JSON array
//! of one integer (0–255) per byte, or a hex bit pattern string of the right width.

use std::sync::Arc;

use zarrkit_core::data_type::{DataType, DataTypeExtension, DataTypeSize};
use zarrkit_core::element::ElementKind;
use zarrkit_core::error::{ExtensionKind, PluginError};
use zarrkit_core::fill_value::{FillValue, FillValueError};
use zarrkit_core::metadata::MetadataV3;
use zarrkit_core::registry::DataTypePlugin;
use zarrkit_core::serde_json::Value;

/// A raw bits data type of `bytes` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawBitsDataType {
    bytes: usize,
}

/// The largest raw type accepted (bits), to keep element sizes sane.
pub const MAX_BITS: usize = 1 << 20;

impl RawBitsDataType {
    /// Parse `r<bits>`.
    pub fn from_name(name: &str) -> Option<Self> {
        let digits = name.strip_prefix('r')?;
        if digits.is_empty()
            || !digits.bytes().all(|b| b.is_ascii_digit())
            || digits.starts_with('0')
        {
            return None;
        }
        let bits: usize = digits.parse().ok()?;
        (bits.is_multiple_of(8) && bits > 0 && bits <= MAX_BITS).then_some(Self { bytes: bits / 8 })
    }

    /// The element size in bytes.
    pub fn bytes(&self) -> usize {
        self.bytes
    }
}

impl DataTypeExtension for RawBitsDataType {
    fn name(&self) -> String {
        format!("r{}", self.bytes * 8)
    }

    fn size(&self) -> DataTypeSize {
        DataTypeSize::Fixed(self.bytes)
    }

    fn fill_value_from_json(&self, json: &Value) -> Result<FillValue, FillValueError> {
        let name = self.name();
        let err = |r: String| FillValueError::new(&name, json, r);
        match json {
            Value::Array(a) => {
                if a.len() != self.bytes {
                    return Err(err(format!("expected {} byte values", self.bytes)));
                }
                a.iter()
                    .map(|v| {
                        v.as_u64()
                            .and_then(|u| u8::try_from(u).ok())
                            .ok_or_else(|| err("byte values must be integers 0-255".into()))
                    })
                    .collect::<Result<Vec<u8>, _>>()
                    .map(FillValue::new)
            }
            Value::String(s) => {
                let h = s
                    .strip_prefix("0x")
                    .ok_or_else(|| err("expected an array of bytes or a hex string".into()))?;
                if h.len() != self.bytes * 2 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(err(format!("expected {} hex digits", self.bytes * 2)));
                }
                (0..self.bytes)
                    .map(|i| {
                        u8::from_str_radix(&h[2 * i..2 * i + 2], 16).map_err(|e| err(e.to_string()))
                    })
                    .collect::<Result<Vec<u8>, _>>()
                    .map(FillValue::new)
            }
            _ => Err(err("expected an array of bytes".into())),
        }
    }

    fn fill_value_to_json(&self, fill_value: &FillValue) -> Result<Value, FillValueError> {
        if fill_value.size() != self.bytes {
            return Err(FillValueError::new(
                &self.name(),
                &Value::Null,
                "wrong fill value size",
            ));
        }
        Ok(Value::Array(
            fill_value
                .as_bytes()
                .iter()
                .map(|&b| Value::from(b))
                .collect(),
        ))
    }

    fn element_kind(&self) -> Option<ElementKind> {
        Some(ElementKind::RawBytes(self.bytes))
    }
}

fn matches(name: &str) -> bool {
    RawBitsDataType::from_name(name).is_some()
}

fn create(metadata: &MetadataV3) -> Result<DataType, PluginError> {
    if metadata.configuration().is_some_and(|c| !c.is_empty()) {
        return Err(PluginError::config(
            ExtensionKind::DataType,
            metadata.name(),
            "raw bits types take no configuration",
        ));
    }
    RawBitsDataType::from_name(metadata.name())
        .map(|d| Arc::new(d) as DataType)
        .ok_or_else(|| PluginError::Unknown {
            kind: ExtensionKind::DataType,
            name: metadata.name().to_string(),
        })
}

zarrkit_core::inventory::submit! {
    DataTypePlugin::new("r*", create).with_matcher(matches)
}

#[cfg(test)]
mod tests {
    use super::*;
    use zarrkit_core::serde_json::json;

    #[test]
    fn names() -> Result<(), PluginError> {
        for (n, b) in [("r8", 1), ("r16", 2), ("r24", 3), ("r128", 16)] {
            let d = zarrkit_core::registry::data_type_by_name(n)?;
            assert_eq!(d.size(), DataTypeSize::Fixed(b));
            assert_eq!(d.name(), n);
        }
        for bad in ["r0", "r7", "r", "r08", "rx", "r-8", "int8x"] {
            assert!(
                zarrkit_core::registry::data_type_by_name(bad).is_err(),
                "{bad}"
            );
        }
        Ok(())
    }

    #[test]
    fn fill_values() -> Result<(), Box<dyn std::error::Error>> {
        let d = zarrkit_core::registry::data_type_by_name("r16")?;
        let fv = d.fill_value_from_json(&json!([1, 255]))?;
        assert_eq!(fv.as_bytes(), &[1, 255]);
        assert_eq!(d.fill_value_to_json(&fv)?, json!([1, 255]));
        assert_eq!(d.fill_value_from_json(&json!("0x01ff"))?, fv);
        assert!(d.fill_value_from_json(&json!([1])).is_err());
        assert!(d.fill_value_from_json(&json!([1, 256])).is_err());
        assert!(d.fill_value_from_json(&json!(0)).is_err());
        Ok(())
    }
}
