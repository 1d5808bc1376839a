//! zarrkit plugin: the `zarrkit.vlen_array` data type, whose elements are variable-length
//! 1-D arrays of a fixed-size numeric type (ragged arrays): what numcodecs' `VLenArray`
//! object codec stores in a Zarr V2 `|O` array.
//!
//! - V3 name `zarrkit.vlen_array`. **No Zarr V3 specification exists** for this: numcodecs
//!   registers no V3 form of `vlen-array`, zarr-extensions registers no ragged-array data
//!   type (a `vlen-ndarray` data type has been drafted elsewhere, not registered, its grammar
//!   still changing), and `zarrs.vlen` / `zarrs.vlen_v2` are codecs for variable-size types,
//!   not data types (`zarrs.vlen_v2`'s framing is the same as `vlen-array`'s, but zarrs has no
//!   data type for ragged numbers). Other implementations cannot read the V3 form.
//! - Configuration (optional): `{"data_type": <V3 data type>}`, e.g.
//!   `{"data_type": "int32"}`, the element type, resolved through the registry (it must have
//!   a fixed size). Without it the element type is whatever the array→bytes codec says
//!   (the `vlen-array` codec's `dtype`): that is how a Zarr V2 array binds, because core
//!   creates an object array's data type from the object codec id alone, without the codec's
//!   configuration. The configuration that was read is written back.
//! - Zarr V2: `|O` arrays whose object codec (first filter) is `vlen-array` select this data
//!   type; `to_v2_dtype` is `|O`.
//! - In memory a chunk is [`ArrayBytes::Variable`]: element `i` is the **little-endian** bytes
//!   of its numbers (the byte order numcodecs writes for `<` dtypes; the same on every host).
//!   The codec converts from and to the stored byte order. Typed access: [`Ragged<T>`]
//!   (`array.read::<Ragged<i32>>(region)`, `array.write(region, &Ragged(vec![...]))`), or
//!   `ArrayBytes` and [`zarrkit_core::array_bytes::VariableView`] directly.
//! - Fill value: a JSON list of numbers in the element type's fill value form (`[]`,
//!   `[1, 2]`, `["NaN"]`); without a configured element type only `[]`. zarr-python 2's V2
//!   fill values `0` and `null` read as the empty array (core's rule for variable-size types).
//! - `element_kind()` is `None`: core's `ElementKind` has no variant for ragged arrays, so
//!   `Vec<T>`, `Vec<String>` and `Vec<Vec<u8>>` reads are refused; [`Ragged<T>`] implements
//!   core's `ArrayOutput` / `ArrayInput` instead.

use std::sync::Arc;

use zarrkit_core::array::{ArrayInput, ArrayOutput, ArrayOutputKind, InputBytes};
use zarrkit_core::array_bytes::ArrayBytes;
use zarrkit_core::data_type::{DataType, DataTypeExtension, DataTypeSize};
use zarrkit_core::element::{Element, ElementKind};
use zarrkit_core::error::{ArrayError, CodecError, ExtensionKind, PluginError};
use zarrkit_core::fill_value::{FillValue, FillValueError};
use zarrkit_core::metadata::MetadataV3;
use zarrkit_core::registry::DataTypePlugin;
use zarrkit_core::serde_json::{Map, Value};

/// The V3 name of the data type.
pub const NAME: &str = "zarrkit.vlen_array";
/// The numcodecs object codec id that selects this data type for V2 `|O` arrays.
pub const V2_OBJECT_CODEC: &str = "vlen-array";

/// The element type of a configured [`VlenArrayDataType`].
#[derive(Debug, Clone)]
pub struct ElementType {
    metadata: MetadataV3,
    data_type: DataType,
    size: usize,
}

impl ElementType {
    /// The element type's metadata, as configured.
    pub fn metadata(&self) -> &MetadataV3 {
        &self.metadata
    }
    /// The element type.
    pub fn data_type(&self) -> &DataType {
        &self.data_type
    }
    /// The size of one number in bytes.
    pub fn size(&self) -> usize {
        self.size
    }
}

/// The `zarrkit.vlen_array` data type.
#[derive(Debug, Clone)]
pub struct VlenArrayDataType {
    element: Option<ElementType>,
}

impl VlenArrayDataType {
    /// The data type without an element type (the codec defines it; Zarr V2 arrays).
    pub fn untyped() -> Self {
        Self { element: None }
    }

    /// The data type with elements of `element` (V3 metadata of a fixed-size data type,
    /// resolved through the registry).
    pub fn new(element: MetadataV3) -> Result<Self, PluginError> {
        let data_type = zarrkit_core::registry::create_data_type(&element)?;
        let size = data_type.size().fixed().filter(|&s| s > 0).ok_or_else(|| {
            PluginError::config(
                ExtensionKind::DataType,
                NAME,
                format!(
                    "element data type {} does not have a fixed size",
                    data_type.name()
                ),
            )
        })?;
        Ok(Self {
            element: Some(ElementType {
                metadata: element,
                data_type,
                size,
            }),
        })
    }

    /// The configured element type, if any.
    pub fn element(&self) -> Option<&ElementType> {
        self.element.as_ref()
    }
}

/// Convert between native-endian and little-endian numbers in place (a no-op on
/// little-endian hosts): `unit` is the data type's endianness unit.
pub fn native_to_le(bytes: &mut [u8], unit: Option<usize>) {
    if cfg!(target_endian = "big") {
        if let Some(u) = unit.filter(|&u| u > 1) {
            for c in bytes.chunks_exact_mut(u) {
                c.reverse();
            }
        }
    }
}

fn fill_err(json: &Value, message: impl Into<String>) -> FillValueError {
    FillValueError::new(NAME, json, message.into())
}

impl DataTypeExtension for VlenArrayDataType {
    fn name(&self) -> String {
        NAME.to_string()
    }

    fn configuration(&self) -> Option<Map<String, Value>> {
        let e = self.element.as_ref()?;
        let mut m = Map::new();
        m.insert(
            "data_type".into(),
            zarrkit_core::serde_json::to_value(&e.metadata).unwrap_or(Value::Null),
        );
        Some(m)
    }

    fn size(&self) -> DataTypeSize {
        DataTypeSize::Variable
    }

    fn fill_value_from_json(&self, json: &Value) -> Result<FillValue, FillValueError> {
        let items = json
            .as_array()
            .ok_or_else(|| fill_err(json, "expected a list of numbers"))?;
        if items.is_empty() {
            return Ok(FillValue::new(Vec::new()));
        }
        let e = self.element.as_ref().ok_or_else(|| {
            fill_err(
                json,
                "only [] without a configured element data type (the codec knows the numbers' type)",
            )
        })?;
        let mut bytes = Vec::new();
        for item in items {
            let f = e.data_type.fill_value_from_json(item)?;
            let mut b = f.as_bytes().to_vec();
            native_to_le(&mut b, e.data_type.endianness_unit());
            bytes.extend_from_slice(&b);
        }
        Ok(FillValue::new(bytes))
    }

    fn fill_value_to_json(&self, fill_value: &FillValue) -> Result<Value, FillValueError> {
        let b = fill_value.as_bytes();
        if b.is_empty() {
            return Ok(Value::Array(Vec::new()));
        }
        let e = self.element.as_ref().ok_or_else(|| {
            fill_err(&Value::Null, "a non-empty fill value needs an element type")
        })?;
        if !b.len().is_multiple_of(e.size) {
            return Err(fill_err(
                &Value::Null,
                format!(
                    "{} bytes are not a whole number of {}-byte elements",
                    b.len(),
                    e.size
                ),
            ));
        }
        b.chunks_exact(e.size)
            .map(|c| {
                let mut c = c.to_vec();
                native_to_le(&mut c, e.data_type.endianness_unit());
                e.data_type.fill_value_to_json(&FillValue::new(c))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array)
    }

    fn to_v2_dtype(&self, _byte_order: char) -> Option<String> {
        Some("|O".to_string())
    }

    /// With an element type: the bytes must be whole numbers of it and valid for it (bools
    /// 0 or 1). Element lengths are checked by the codec.
    fn validate_elements(&self, bytes: &[u8]) -> Result<(), String> {
        let Some(e) = &self.element else {
            return Ok(());
        };
        if !bytes.len().is_multiple_of(e.size) {
            return Err(format!(
                "{} bytes are not a whole number of {}-byte numbers",
                bytes.len(),
                e.size
            ));
        }
        if e.size == 1 || cfg!(target_endian = "little") {
            e.data_type.validate_elements(bytes)?;
        }
        Ok(())
    }
}

fn create(metadata: &MetadataV3) -> Result<DataType, PluginError> {
    let Some(conf) = metadata.configuration().filter(|c| !c.is_empty()) else {
        return Ok(Arc::new(VlenArrayDataType::untyped()));
    };
    let bad = |m: String| PluginError::config(ExtensionKind::DataType, NAME, m);
    if let Some(k) = conf.keys().find(|k| *k != "data_type") {
        return Err(bad(format!("unknown configuration member {k:?}")));
    }
    let element: MetadataV3 = conf
        .get("data_type")
        .cloned()
        .map(zarrkit_core::serde_json::from_value)
        .transpose()
        .map_err(|e| bad(format!("`data_type`: {e}")))?
        .ok_or_else(|| bad("`data_type` is missing".into()))?;
    Ok(Arc::new(VlenArrayDataType::new(element)?))
}

zarrkit_core::inventory::submit! {
    DataTypePlugin::new(NAME, create).with_v2_object_codec_ids(&[V2_OBJECT_CODEC])
}

/// Ragged arrays as Rust vectors: one `Vec<T>` per array element, for typed reads and
/// writes of `zarrkit.vlen_array` arrays (`T` an [`Element`] number type).
///
/// A configured element type must match `T`; an unconfigured one (Zarr V2, where the
/// codec's `dtype` gives the type) is not checked against `T` beyond every element being a
/// whole number of `T`s — the array's `vlen-array` codec configuration says what it is.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Ragged<T>(pub Vec<Vec<T>>);

fn check_kind<T: Element>(data_type: &DataType) -> Result<(), ArrayError> {
    let mismatch = || ArrayError::ElementTypeMismatch {
        requested: format!("Ragged<{}>", std::any::type_name::<T>()),
        data_type: data_type.name(),
    };
    if data_type.name() != NAME {
        return Err(mismatch());
    }
    let conf = data_type.configuration();
    if let Some(m) = conf.as_ref().and_then(|c| c.get("data_type")) {
        let m: MetadataV3 =
            zarrkit_core::serde_json::from_value(m.clone()).map_err(|_| mismatch())?;
        let inner = zarrkit_core::registry::create_data_type(&m).map_err(|_| mismatch())?;
        if inner.element_kind() != Some(T::kind())
            || inner.size().fixed() != Some(std::mem::size_of::<T>())
        {
            return Err(mismatch());
        }
    }
    Ok(())
}

/// The unit whose bytes are swapped between little-endian and native order for `T`.
fn unit_of<T: Element>() -> usize {
    match T::kind() {
        ElementKind::Complex64 => 4,
        ElementKind::Complex128 => 8,
        ElementKind::RawBytes(_) => 1,
        _ => std::mem::size_of::<T>(),
    }
}

fn invalid(message: String) -> ArrayError {
    ArrayError::Codec {
        key: String::new(),
        source: CodecError::InvalidElements(message),
    }
}

impl<T: Element> Ragged<T> {
    /// The ragged elements of variable-size array bytes (each element's little-endian
    /// numbers).
    pub fn from_array_bytes(bytes: &ArrayBytes) -> Result<Self, ArrayError> {
        let view = bytes
            .as_variable()
            .ok_or_else(|| invalid("expected well-formed variable-size element bytes".into()))?;
        let size = std::mem::size_of::<T>();
        let unit = unit_of::<T>();
        let mut out = Vec::new();
        out.try_reserve_exact(view.len())
            .map_err(|_| ArrayError::TooLarge(view.len() as u128))?;
        for (i, e) in view.iter().enumerate() {
            if size == 0 || !e.len().is_multiple_of(size) {
                return Err(invalid(format!(
                    "element {i} has {} bytes, not a whole number of {size}-byte numbers",
                    e.len()
                )));
            }
            let mut b = e.to_vec();
            native_to_le(&mut b, Some(unit));
            out.push(zarrkit_core::element::bytes_to_elements::<T>(&b)?);
        }
        Ok(Self(out))
    }

    /// Variable-size array bytes of these elements (little-endian numbers).
    pub fn to_array_bytes(&self) -> ArrayBytes {
        let unit = unit_of::<T>();
        let mut bytes = Vec::new();
        let mut offsets = Vec::with_capacity(self.0.len() + 1);
        offsets.push(0);
        for e in &self.0 {
            let start = bytes.len();
            bytes.extend_from_slice(zarrkit_core::element::elements_as_bytes(e));
            native_to_le(&mut bytes[start..], Some(unit));
            offsets.push(bytes.len());
        }
        ArrayBytes::Variable { bytes, offsets }
    }
}

impl<T: Element> ArrayOutput for Ragged<T> {
    type Elem = u8;
    fn kind(data_type: &DataType) -> Result<ArrayOutputKind, ArrayError> {
        check_kind::<T>(data_type)?;
        Ok(ArrayOutputKind::Variable)
    }
    fn from_fixed(_: Vec<u8>, _: &[u64]) -> Result<Self, ArrayError> {
        Err(ArrayError::Internal(
            "fixed-size output for a ragged read".into(),
        ))
    }
    fn from_variable(bytes: ArrayBytes, _shape: &[u64]) -> Result<Self, ArrayError> {
        Self::from_array_bytes(&bytes)
    }
}

impl<T: Element> ArrayInput for Ragged<T> {
    fn input_bytes(&self, data_type: &DataType) -> Result<InputBytes<'_>, ArrayError> {
        check_kind::<T>(data_type)?;
        Ok(InputBytes::Owned(self.to_array_bytes()))
    }
}

#[cfg(test)]
mod tests;
