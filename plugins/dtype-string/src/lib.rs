//! zarrkit plugin: the `string` data type (variable-length UTF-8 strings).
//!
//! - V3 name `string` (as zarr-python 3 writes it), no configuration. Elements have variable
//!   size ([`DataTypeSize::Variable`]); in memory a chunk is
//!   [`ArrayBytes::Variable`](zarrkit_core::ArrayBytes::Variable): the concatenated UTF-8 of
//!   the elements plus `n + 1` offsets.
//! - The fill value is a JSON string (`""`, `"NA"`, ...), held as its UTF-8 bytes.
//! - Zarr V2: object arrays (`dtype: "|O"`) whose object codec is `vlen-utf8` select this
//!   data type; there is no V2 `dtype` string of its own.
//!
//! Strings are encoded by an array→bytes codec such as `vlen-utf8`, which checks the UTF-8
//! of every element when decoding.

use std::sync::Arc;

use zarrkit_core::data_type::{DataType, DataTypeExtension, DataTypeSize};
use zarrkit_core::element::ElementKind;
use zarrkit_core::error::{ExtensionKind, PluginError};
use zarrkit_core::fill_value::{FillValue, FillValueError};
use zarrkit_core::metadata::MetadataV3;
use zarrkit_core::registry::DataTypePlugin;
use zarrkit_core::serde_json::Value;

/// The V3 name of the data type.
pub const STRING: &str = "string";

/// The `string` data type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StringDataType;

impl StringDataType {
    /// The `string` data type.
    pub fn new() -> Self {
        Self
    }
}

impl DataTypeExtension for StringDataType {
    fn name(&self) -> String {
        STRING.to_string()
    }

    fn size(&self) -> DataTypeSize {
        DataTypeSize::Variable
    }

    /// zarr-python writes `string` arrays with `vlen-utf8`.
    fn default_array_to_bytes_codec(&self) -> Option<MetadataV3> {
        Some(MetadataV3::new("vlen-utf8"))
    }

    /// Capability for typed access: variable-length UTF-8 strings.
    fn element_kind(&self) -> Option<ElementKind> {
        Some(ElementKind::Utf8String)
    }

    fn fill_value_from_json(&self, json: &Value) -> Result<FillValue, FillValueError> {
        match json {
            Value::String(s) => Ok(FillValue::new(s.as_bytes().to_vec())),
            _ => Err(FillValueError::new(STRING, json, "expected a JSON string")),
        }
    }

    fn fill_value_to_json(&self, fill_value: &FillValue) -> Result<Value, FillValueError> {
        std::str::from_utf8(fill_value.as_bytes())
            .map(|s| Value::String(s.to_string()))
            .map_err(|e| FillValueError::new(STRING, &Value::Null, format!("not valid UTF-8: {e}")))
    }

    fn to_v2_dtype(&self, _byte_order: char) -> Option<String> {
        Some("|O".to_string())
    }

    /// The bytes must be valid UTF-8 (for a whole chunk, the concatenation of its elements;
    /// the `vlen-utf8` codec checks each element on its own when decoding).
    fn validate_elements(&self, bytes: &[u8]) -> Result<(), String> {
        std::str::from_utf8(bytes)
            .map(|_| ())
            .map_err(|e| format!("string data is not valid UTF-8: {e}"))
    }
}

fn create(metadata: &MetadataV3) -> Result<DataType, PluginError> {
    if metadata.configuration().is_some_and(|c| !c.is_empty()) {
        return Err(PluginError::config(
            ExtensionKind::DataType,
            metadata.name(),
            "the string data type takes no configuration",
        ));
    }
    Ok(Arc::new(StringDataType))
}

zarrkit_core::inventory::submit! {
    DataTypePlugin::new(STRING, create).with_v2_object_codec_ids(&["vlen-utf8", "json2", "msgpack2", "categorize"])
}

#[cfg(test)]
mod tests {
    use super::*;
    use zarrkit_core::codec::ChunkRepresentation;
    use zarrkit_core::registry::{data_type_by_name, DATA_TYPES};
    use zarrkit_core::serde_json::json;
    use zarrkit_core::ArrayBytes;

    #[test]
    fn resolves_by_name_and_v2_object_codec() -> Result<(), Box<dyn std::error::Error>> {
        let d = data_type_by_name("string")?;
        assert_eq!(d.name(), "string");
        assert_eq!(d.size(), DataTypeSize::Variable);
        assert_eq!(d.configuration(), None);
        let p = DATA_TYPES
            .get_v2("vlen-utf8")
            .ok_or("no plugin for vlen-utf8")?;
        assert_eq!(zarrkit_core::registry::PluginEntry::name(p), "string");
        assert_eq!(d.to_v2_dtype('|').as_deref(), Some("|O"));
        Ok(())
    }

    #[test]
    fn configuration_is_rejected() -> Result<(), Box<dyn std::error::Error>> {
        let m: MetadataV3 = zarrkit_core::serde_json::from_value(
            json!({"name": "string", "configuration": {"x": 1}}),
        )?;
        assert!(zarrkit_core::registry::create_data_type(&m).is_err());
        let m: MetadataV3 =
            zarrkit_core::serde_json::from_value(json!({"name": "string", "configuration": {}}))?;
        assert!(zarrkit_core::registry::create_data_type(&m).is_ok());
        Ok(())
    }

    #[test]
    fn fill_values() -> Result<(), Box<dyn std::error::Error>> {
        let d = StringDataType::new();
        for s in ["", "NA", "héllo ✓", "a\u{0}b"] {
            let f = d.fill_value_from_json(&json!(s))?;
            assert_eq!(f.as_bytes(), s.as_bytes());
            assert_eq!(d.fill_value_to_json(&f)?, json!(s));
        }
        for bad in [json!(0), json!(null), json!(["a"]), json!(true)] {
            assert!(d.fill_value_from_json(&bad).is_err(), "{bad}");
        }
        assert!(d
            .fill_value_to_json(&FillValue::new(vec![0xff, 0xfe]))
            .is_err());
        Ok(())
    }

    #[test]
    fn validates_utf8() {
        let d = StringDataType::new();
        assert!(d.validate_elements("ok ✓".as_bytes()).is_ok());
        assert!(d.validate_elements(&[b'a', 0xff]).is_err());
    }

    #[test]
    fn fill_chunk_is_variable() -> Result<(), Box<dyn std::error::Error>> {
        let d: DataType = Arc::new(StringDataType);
        let f = d.fill_value_from_json(&json!("NA"))?;
        let r = ChunkRepresentation::new(vec![3], d, f);
        assert_eq!(
            r.fill()?,
            ArrayBytes::Variable {
                bytes: b"NANANA".to_vec(),
                offsets: vec![0, 2, 4, 6]
            }
        );
        Ok(())
    }
}
