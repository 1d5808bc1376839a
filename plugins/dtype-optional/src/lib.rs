//! zarrkit plugin: the `zarrs.optional` data type (nullable elements of an inner data type).
//!
//! - V3 name `zarrs.optional`, as zarrs ≥ 0.23 writes it; alias `optional` (older zarrs and
//!   the zarr-extensions registration). The name read is written back.
//! - Configuration: `{"name": <inner name>, "configuration": <inner configuration>}`. The
//!   inner type is any registered data type, another `zarrs.optional` included (nesting).
//!   zarrs requires the inner `configuration` member (and writes `{}`); zarr-extensions makes
//!   it optional: a missing one is accepted. No other member is allowed. The configuration
//!   is written back as it was read; a type built with [`OptionalDataType::new`] writes
//!   `configuration: {}` for an inner type without one, as zarrs does.
//! - Fill value JSON: `null` is a missing element; `[v]` (one-element array) is a present
//!   element whose inner fill value is `v`, recursively (`Option<Option<u8>>`: `null`,
//!   `[null]`, `[[42]]`).
//! - No Zarr V2 form (zarrs has none for it either).
//!
//! # In-memory layout (zarrkit's, not a storage format)
//!
//! Core's [`ArrayBytes`] has fixed-size and variable-size elements but no mask, so an
//! optional element is **one mask byte followed by the inner element's bytes**:
//!
//! - inner fixed size `s`: the optional type has fixed size `s + 1`; a present element is
//!   `[1, inner bytes..]`, a missing one `[0, 0 × s]` (the codec always decodes missing
//!   elements with zero payload; an encoder ignores the payload of a missing element);
//! - inner variable size: the optional type is variable-size; a present element is
//!   `[1, inner bytes..]`, a missing one is the single byte `[0]`;
//! - nesting applies the rule again: `Option<Option<u16>>` elements are 4 bytes,
//!   `[outer mask, inner mask, u16 LE/BE native..]`.
//!
//! Fill values use the same layout. (zarrs keeps a separate mask; its fill value bytes put
//! the mask byte *after* the inner bytes and do not pad a missing value. That is an
//! implementation detail of zarrs that never reaches storage: on disk only the
//! `zarrs.optional` codec's mask and data streams exist.) The mask byte comes first so that
//! reading it needs no knowledge of the inner size, and so that nested elements are read
//! outside in. [`element_value`], [`encode_fixed`] / [`decode_fixed`] and
//! [`from_byte_strings`] / [`to_byte_strings`] build and read elements.
//!
//! Elements are encoded by the `zarrs.optional` codec (`zarrkit-codec-optional`), which
//! splits them into the mask and the present elements. The type reports no endianness and
//! no element kind; [`DataTypeExtension::validate_elements`] checks every mask byte (0 or 1),
//! that missing fixed-size elements are all zeros and the inner bytes of present ones.
//!
//! Known limitation (core has no capability to say so): a fixed-size optional type is not
//! refused by the `bytes` codec, which would store the in-memory layout above, a format no
//! other implementation reads (zarrs refuses `bytes` for optional types). Use the
//! `zarrs.optional` codec.

use std::sync::Arc;

use zarrkit_core::array_bytes::ArrayBytes;
use zarrkit_core::data_type::{DataType, DataTypeExtension, DataTypeSize};
use zarrkit_core::element::{elements_as_bytes, Element};
use zarrkit_core::error::{ExtensionKind, PluginError};
use zarrkit_core::fill_value::{FillValue, FillValueError};
use zarrkit_core::metadata::MetadataV3;
use zarrkit_core::registry::DataTypePlugin;
use zarrkit_core::serde_json::{Map, Value};

/// The V3 name of the data type (as zarrs writes it).
pub const NAME: &str = "zarrs.optional";
/// Other V3 names read (and written back when read).
pub const ALIASES: &[&str] = &["optional"];
/// The mask byte of a present element.
pub const PRESENT: u8 = 1;
/// The mask byte of a missing element.
pub const MISSING: u8 = 0;

/// The `zarrs.optional` data type.
#[derive(Debug, Clone)]
pub struct OptionalDataType {
    name: &'static str,
    inner: DataType,
    configuration: Map<String, Value>,
}

impl OptionalDataType {
    /// An optional type over `inner`, named `zarrs.optional`.
    pub fn new(inner: DataType) -> Self {
        let mut configuration = Map::new();
        configuration.insert("name".into(), Value::String(inner.name()));
        configuration.insert(
            "configuration".into(),
            Value::Object(inner.configuration().unwrap_or_default()),
        );
        Self {
            name: NAME,
            inner,
            configuration,
        }
    }

    /// The inner data type.
    pub fn inner(&self) -> &DataType {
        &self.inner
    }

    /// The element bytes of a missing element.
    pub fn missing_element(&self) -> Vec<u8> {
        let mut v = vec![MISSING];
        if let Some(s) = self.inner.size().fixed() {
            v.resize(s + 1, 0);
        }
        v
    }

    /// The element bytes of a present element whose inner bytes are `inner`.
    pub fn present_element(&self, inner: &[u8]) -> Vec<u8> {
        let mut v = Vec::with_capacity(inner.len() + 1);
        v.push(PRESENT);
        v.extend_from_slice(inner);
        v
    }
}

/// The value of an optional element: `None` if missing, else the inner element's bytes.
/// An empty element or a mask byte other than 0 and 1 is an error.
pub fn element_value(element: &[u8]) -> Result<Option<&[u8]>, String> {
    match element.split_first() {
        Some((&MISSING, _)) => Ok(None),
        Some((&PRESENT, rest)) => Ok(Some(rest)),
        Some((m, _)) => Err(format!("mask byte {m} (expected 0 or 1)")),
        None => Err("an empty optional element (no mask byte)".into()),
    }
}

/// The fixed-size optional elements of `values` (an optional type over `T`'s data type).
pub fn encode_fixed<T: Element>(values: &[Option<T>]) -> Vec<u8> {
    let size = std::mem::size_of::<T>();
    let mut out = Vec::with_capacity(values.len() * (size + 1));
    for v in values {
        match v {
            Some(v) => {
                out.push(PRESENT);
                out.extend_from_slice(elements_as_bytes(std::slice::from_ref(v)));
            }
            None => out.extend(std::iter::repeat_n(0u8, size + 1)),
        }
    }
    out
}

/// Read fixed-size optional elements over `T` (the inner bytes are checked with
/// [`Element::validate`]).
pub fn decode_fixed<T: Element>(bytes: &[u8]) -> Result<Vec<Option<T>>, String> {
    let size = std::mem::size_of::<T>() + 1;
    if !bytes.len().is_multiple_of(size) {
        return Err(format!(
            "{} bytes are not a whole number of {size}-byte optional elements",
            bytes.len()
        ));
    }
    bytes
        .chunks_exact(size)
        .enumerate()
        .map(
            |(i, e)| match element_value(e).map_err(|m| format!("element {i}: {m}"))? {
                None => Ok(None),
                Some(inner) => zarrkit_core::element::bytes_to_elements::<T>(inner)
                    .map_err(|m| format!("element {i}: {m}"))
                    .and_then(|v| {
                        v.first()
                            .copied()
                            .ok_or_else(|| format!("element {i}: empty"))
                    })
                    .map(Some),
            },
        )
        .collect()
}

/// Variable-size optional elements (an optional type over `string` or `bytes`) from byte
/// strings.
pub fn from_byte_strings<B: AsRef<[u8]>>(values: &[Option<B>]) -> ArrayBytes {
    let total: usize = values
        .iter()
        .map(|v| 1 + v.as_ref().map_or(0, |b| b.as_ref().len()))
        .sum();
    let mut bytes = Vec::with_capacity(total);
    let mut offsets = Vec::with_capacity(values.len() + 1);
    offsets.push(0);
    for v in values {
        match v {
            Some(b) => {
                bytes.push(PRESENT);
                bytes.extend_from_slice(b.as_ref());
            }
            None => bytes.push(MISSING),
        }
        offsets.push(bytes.len());
    }
    ArrayBytes::Variable { bytes, offsets }
}

/// The values of variable-size optional elements: `None` for a missing element, else the
/// inner element's bytes (no copy).
pub fn to_byte_strings(bytes: &ArrayBytes) -> Result<Vec<Option<&[u8]>>, String> {
    let view = bytes
        .as_variable()
        .ok_or("not well-formed variable-size element bytes")?;
    view.iter()
        .enumerate()
        .map(|(i, e)| element_value(e).map_err(|m| format!("element {i}: {m}")))
        .collect()
}

fn fv_err(value: &Value, reason: impl Into<String>) -> FillValueError {
    FillValueError::new(NAME, value, reason)
}

impl DataTypeExtension for OptionalDataType {
    fn name(&self) -> String {
        self.name.to_string()
    }

    fn configuration(&self) -> Option<Map<String, Value>> {
        Some(self.configuration.clone())
    }

    /// The inner size plus the mask byte, or variable.
    fn size(&self) -> DataTypeSize {
        match self.inner.size() {
            DataTypeSize::Fixed(s) => DataTypeSize::Fixed(s.saturating_add(1)),
            DataTypeSize::Variable => DataTypeSize::Variable,
        }
    }

    fn fill_value_from_json(&self, json: &Value) -> Result<FillValue, FillValueError> {
        match json {
            Value::Null => Ok(FillValue::new(self.missing_element())),
            Value::Array(a) if a.len() == 1 => {
                let inner = self
                    .inner
                    .fill_value_from_json(&a[0])
                    .map_err(|e| fv_err(json, format!("the inner fill value: {e}")))?;
                if let Some(s) = self.inner.size().fixed() {
                    if inner.size() != s {
                        return Err(fv_err(
                            json,
                            format!("the inner fill value has {} bytes, not {s}", inner.size()),
                        ));
                    }
                }
                Ok(FillValue::new(self.present_element(inner.as_bytes())))
            }
            _ => Err(fv_err(
                json,
                "expected null (missing) or a one-element array [inner fill value]",
            )),
        }
    }

    fn fill_value_to_json(&self, fill_value: &FillValue) -> Result<Value, FillValueError> {
        let null = Value::Null;
        match element_value(fill_value.as_bytes()).map_err(|m| fv_err(&null, m))? {
            None => Ok(Value::Null),
            Some(inner) => {
                let v = self
                    .inner
                    .fill_value_to_json(&FillValue::new(inner.to_vec()))?;
                Ok(Value::Array(vec![v]))
            }
        }
    }

    /// Every mask byte must be 0 or 1, a missing fixed-size element all zeros (the
    /// canonical form decoding gives) and a present one a valid inner element. (Variable-size elements cannot be told apart in the concatenated bytes
    /// this hook receives: nothing is checked.)
    fn validate_elements(&self, bytes: &[u8]) -> Result<(), String> {
        let Some(s) = self.inner.size().fixed() else {
            return Ok(());
        };
        let size = s + 1;
        if !bytes.len().is_multiple_of(size) {
            return Err(format!(
                "{} bytes are not a whole number of {size}-byte optional elements",
                bytes.len()
            ));
        }
        for (i, e) in bytes.chunks_exact(size).enumerate() {
            match element_value(e).map_err(|m| format!("element {i}: {m}"))? {
                Some(inner) => self
                    .inner
                    .validate_elements(inner)
                    .map_err(|m| format!("element {i}: {m}"))?,
                None if e.iter().any(|&b| b != 0) => {
                    return Err(format!("element {i} is missing but has a non-zero payload"))
                }
                None => {}
            }
        }
        Ok(())
    }
}

fn create(metadata: &MetadataV3) -> Result<DataType, PluginError> {
    let name = std::iter::once(NAME)
        .chain(ALIASES.iter().copied())
        .find(|n| *n == metadata.name())
        .unwrap_or(NAME);
    let perr = |m: String| PluginError::config(ExtensionKind::DataType, name, m);
    let conf = metadata.configuration().ok_or_else(|| {
        perr(
            "a configuration {\"name\": <inner data type>, \"configuration\": {..}} is required"
                .into(),
        )
    })?;
    if let Some(k) = conf.keys().find(|k| *k != "name" && *k != "configuration") {
        return Err(perr(format!("unknown configuration member {k:?}")));
    }
    let inner_name = match conf.get("name") {
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(perr("the inner data type `name` must be a string".into())),
        None => return Err(perr("the inner data type `name` is missing".into())),
    };
    let inner_md = match conf.get("configuration") {
        None => MetadataV3::new(inner_name),
        Some(Value::Object(c)) => MetadataV3::new_with_configuration(inner_name, c.clone()),
        Some(_) => {
            return Err(perr(
                "the inner data type `configuration` must be an object".into(),
            ))
        }
    };
    let inner = zarrkit_core::registry::create_data_type(&inner_md)
        .map_err(|e| perr(format!("the inner data type: {e}")))?;
    Ok(Arc::new(OptionalDataType {
        name,
        inner,
        configuration: conf.clone(),
    }))
}

zarrkit_core::inventory::submit! {
    DataTypePlugin::new(NAME, create).with_aliases(ALIASES)
}

#[cfg(test)]
mod tests;
