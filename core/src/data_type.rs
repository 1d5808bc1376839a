//! The data type extension point.
//!
//! A data type plugin implements [`DataTypeExtension`]. Codecs never look at data type
//! names: they ask for capabilities ([`DataTypeExtension::size`],
//! [`DataTypeExtension::endianness_unit`], [`DataTypeExtension::element_kind`]), so a new
//! data type works with existing codecs by implementing the capabilities.

use std::fmt::Debug;
use std::sync::Arc;

use serde_json::Value;

use crate::element::ElementKind;
use crate::fill_value::{FillValue, FillValueError};

/// The size of one element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataTypeSize {
    /// Every element has this many bytes.
    Fixed(usize),
    /// Elements have variable size (strings, variable-length bytes).
    Variable,
}

impl DataTypeSize {
    /// The fixed size, if fixed.
    pub fn fixed(&self) -> Option<usize> {
        match self {
            Self::Fixed(n) => Some(*n),
            Self::Variable => None,
        }
    }
}

/// A Zarr data type, implemented by a plugin.
pub trait DataTypeExtension: Send + Sync + Debug {
    /// The V3 name (as written by this implementation, e.g. `"int32"`, `"r16"`).
    fn name(&self) -> String;

    /// The V3 `configuration`, if the data type has one.
    fn configuration(&self) -> Option<serde_json::Map<String, Value>> {
        None
    }

    /// The size of one element in memory and in the `bytes` codec's encoding.
    fn size(&self) -> DataTypeSize;

    /// Parse a V3 fill value from JSON into element bytes (native endian).
    fn fill_value_from_json(&self, json: &Value) -> Result<FillValue, FillValueError>;

    /// Write a fill value as V3 JSON.
    fn fill_value_to_json(&self, fill_value: &FillValue) -> Result<Value, FillValueError>;

    /// Capability for the `bytes` codec: the size of the unit whose bytes are swapped to
    /// change endianness (4 for float32, 4 for complex64, whose two components are swapped
    /// separately). `None` when the type has no endianness (1-byte types, raw bits).
    fn endianness_unit(&self) -> Option<usize> {
        None
    }

    /// Capability for the `bytes` codec, for elements made of parts of different sizes
    /// (records): the byte runs `(offset, unit, count)` of one element whose `unit`-byte
    /// groups are reversed between memory and the stored order `little` (`Some(true)`
    /// little, `Some(false)` big, `None`: the codec has no `endian`, so the type's own
    /// stored order applies). An empty list: nothing to swap. `Some(Err)`: the type cannot be
    /// stored that way (the message says why). `None` (the default): not such a type — the
    /// codec uses [`DataTypeExtension::endianness_unit`].
    #[allow(clippy::type_complexity)]
    fn byte_swaps(
        &self,
        _little: Option<bool>,
    ) -> Option<Result<Vec<(usize, usize, usize)>, String>> {
        None
    }

    /// Capability for typed access: the Rust element type that matches this data type, if
    /// any (see [`crate::Element`]).
    fn element_kind(&self) -> Option<ElementKind> {
        None
    }

    /// Parse a Zarr V2 fill value (`null` is handled by the caller). The default uses the
    /// V3 rules, which V2 numeric fill values follow.
    fn fill_value_from_json_v2(&self, json: &Value) -> Result<FillValue, FillValueError> {
        self.fill_value_from_json(json)
    }

    /// Write a fill value as Zarr V2 JSON. The default uses the V3 form.
    fn fill_value_to_json_v2(&self, fill_value: &FillValue) -> Result<Value, FillValueError> {
        self.fill_value_to_json(fill_value)
    }

    /// The Zarr V2 `dtype` string for this type with the given byte order character
    /// (`<`, `>` or `|`), or `None` if V2 cannot represent it.
    fn to_v2_dtype(&self, _byte_order: char) -> Option<String> {
        None
    }

    /// The array->bytes codec an array of this type gets when its builder names none.
    /// `None` (the default): little-endian `bytes` for fixed-size types; a variable-size
    /// type without one must be given a codec explicitly.
    fn default_array_to_bytes_codec(&self) -> Option<crate::metadata::MetadataV3> {
        None
    }

    /// Validate decoded element bytes (e.g. that bools are 0 or 1). Called on data decoded
    /// from a store before it is handed out as typed elements.
    fn validate_elements(&self, _bytes: &[u8]) -> Result<(), String> {
        Ok(())
    }
}

/// A data type resolved from metadata.
pub type DataType = Arc<dyn DataTypeExtension>;
