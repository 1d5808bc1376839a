//! zarrkit plugin: numcodecs' `VLenArray` object codec (`vlen-array`), an array→bytes codec
//! for ragged arrays: every element is a variable-length 1-D array of numbers.
//!
//! - V3 name `numcodecs.vlen-array` (alias `vlen-array`). numcodecs registers no V3 form of
//!   this codec; the name follows zarrkit's rule for numcodecs codecs without a
//!   zarr-extensions name, and only zarrkit reads it. The name read is written back.
//! - Zarr V2 / numcodecs id `vlen-array`, configuration `{"dtype": "<i4"}` (required: the
//!   NumPy dtype of the numbers, as numcodecs writes `dtype.str`; resolved through the
//!   registry's V2 dtypes, so any fixed-size V2 dtype a data type plugin knows works:
//!   integers, floats, complex, bool, datetimes). For `|O` arrays it is the object codec,
//!   which selects the `zarrkit.vlen_array` data type (`dtype-vlen-array`).
//!
//! ## Format
//!
//! numcodecs' variable-length framing (the same as `vlen-utf8` / `vlen-bytes`): a u32 LE
//! element count, then per element (in memory order: C order, or F order for an `order: F`
//! V2 array, which zarrkit reads through a `transpose`) a u32 LE **byte** length and the
//! element's numbers in the dtype's byte order (`<` little, `>` big, `|` one byte). numcodecs
//! writes `None` as an empty array.
//!
//! ## Memory form
//!
//! `ArrayBytes::Variable`, element `i` the little-endian bytes of its numbers (see
//! `dtype-vlen-array`): decoding a `>` dtype swaps each number, encoding swaps back.
//!
//! ## What is checked
//!
//! The count must equal the chunk's element count, every length must fit in the remaining
//! input before anything is copied (no allocation from a claimed length), nothing may trail
//! the last element (numcodecs ignores trailing bytes; its encoder never writes any), and
//! every element must be a whole number of numbers (numcodecs would raise when viewing it).
//! Encoding checks the same of its input. At binding, the data type must have variable-size
//! elements; a `zarrkit.vlen_array` data type configured with an element type must have this
//! codec's `dtype` (an unconfigured one, as V2 arrays bind, takes the codec's).

use std::sync::Arc;

use zarrkit_core::array_bytes::ArrayBytes;
use zarrkit_core::codec::{
    ArrayToBytesCodecTraits, Bytes, BytesRepresentation, ChunkRepresentation, Codec, CodecTraits,
};
use zarrkit_core::data_type::{DataType, DataTypeSize};
use zarrkit_core::error::{CodecError, ExtensionKind, PluginError};
use zarrkit_core::metadata::MetadataV3;
use zarrkit_core::registry::{CodecPlugin, CodecV2Context};
use zarrkit_core::serde_json::{Map, Value};
use zarrkit_core::CodecOptions;

/// The V3 name of the codec.
pub const NAME: &str = "numcodecs.vlen-array";
/// The numcodecs id (also a V3 alias).
pub const ID: &str = "vlen-array";
const ALIASES: &[&str] = &[ID];
/// The name of the data type this codec is made for (`dtype-vlen-array`).
const VLEN_ARRAY_DATA_TYPE: &str = "zarrkit.vlen_array";

/// The `vlen-array` codec.
#[derive(Debug, Clone)]
pub struct VlenArrayCodec {
    name: &'static str,
    dtype: String,
    element: DataType,
    size: usize,
    /// Whether stored numbers are big-endian (swapped to and from the little-endian memory
    /// form), and the unit swapped.
    swap: Option<usize>,
}

impl PartialEq for VlenArrayCodec {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.dtype == other.dtype
    }
}

fn config_err(message: impl std::fmt::Display) -> PluginError {
    PluginError::config(ExtensionKind::Codec, NAME, message)
}

fn err(message: impl std::fmt::Display) -> CodecError {
    CodecError::new(NAME, message)
}

impl VlenArrayCodec {
    /// The codec for numbers of the NumPy dtype `dtype` (`"<i4"`, `">f8"`, `"|u1"`), which
    /// a registered data type plugin must know.
    pub fn new(dtype: &str) -> Result<Self, PluginError> {
        Self::with_name(NAME, dtype)
    }

    fn with_name(name: &'static str, dtype: &str) -> Result<Self, PluginError> {
        let element = zarrkit_core::registry::data_type_from_v2(dtype)
            .map_err(|e| config_err(format!("`dtype` {dtype:?}: {e}")))?;
        let size = element
            .size()
            .fixed()
            .filter(|&s| s > 0)
            .ok_or_else(|| config_err(format!("`dtype` {dtype:?} has no fixed size")))?;
        let swap = match dtype.chars().next() {
            Some('>') => element.endianness_unit().filter(|&u| u > 1),
            Some('=') if cfg!(target_endian = "big") => {
                element.endianness_unit().filter(|&u| u > 1)
            }
            _ => None,
        };
        Ok(Self {
            name,
            dtype: dtype.to_string(),
            element,
            size,
            swap,
        })
    }

    /// The dtype of the numbers.
    pub fn dtype(&self) -> &str {
        &self.dtype
    }

    fn check(&self, decoded: &ChunkRepresentation) -> Result<(), CodecError> {
        let dt = &decoded.data_type;
        if dt.size() != DataTypeSize::Variable {
            return Err(CodecError::unsupported(
                NAME,
                format!(
                    "data type {} has a fixed size; {NAME} encodes variable-length arrays",
                    dt.name()
                ),
            ));
        }
        if dt.name() == VLEN_ARRAY_DATA_TYPE {
            if let Some(m) = dt.configuration().and_then(|c| c.get("data_type").cloned()) {
                let m: MetadataV3 = zarrkit_core::serde_json::from_value(m)
                    .map_err(|e| CodecError::unsupported(NAME, e.to_string()))?;
                let inner = zarrkit_core::registry::create_data_type(&m)
                    .map_err(|e| CodecError::unsupported(NAME, e.to_string()))?;
                if inner.name() != self.element.name()
                    || inner.configuration() != self.element.configuration()
                {
                    return Err(CodecError::unsupported(
                        NAME,
                        format!(
                            "the data type's elements are {} but the codec's dtype {} is {}",
                            inner.name(),
                            self.dtype,
                            self.element.name()
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    fn swap_in_place(&self, bytes: &mut [u8]) {
        if let Some(u) = self.swap {
            for c in bytes.chunks_exact_mut(u) {
                c.reverse();
            }
        }
    }

    fn check_lengths(&self, offsets: &[usize]) -> Result<(), CodecError> {
        for (i, w) in offsets.windows(2).enumerate() {
            let len = w[1].saturating_sub(w[0]);
            if !len.is_multiple_of(self.size) {
                return Err(err(format!(
                    "element {i} has {len} bytes, not a whole number of {}-byte numbers ({})",
                    self.size, self.dtype
                )));
            }
        }
        Ok(())
    }
}

impl CodecTraits for VlenArrayCodec {
    fn name(&self) -> &str {
        self.name
    }

    fn configuration(&self) -> Option<Map<String, Value>> {
        let mut m = Map::new();
        m.insert("dtype".into(), Value::String(self.dtype.clone()));
        Some(m)
    }
}

impl ArrayToBytesCodecTraits for VlenArrayCodec {
    fn encoded_representation(
        &self,
        decoded: &ChunkRepresentation,
    ) -> Result<BytesRepresentation, CodecError> {
        self.check(decoded)?;
        Ok(BytesRepresentation::Unbounded)
    }

    fn encode(
        &self,
        input: ArrayBytes,
        decoded: &ChunkRepresentation,
        _options: &CodecOptions,
    ) -> Result<Vec<u8>, CodecError> {
        self.check(decoded)?;
        let n = decoded.num_elements_usize()?;
        match input {
            ArrayBytes::Variable { mut bytes, offsets } if offsets.len() == n + 1 => {
                zarrkit_core::array_bytes::VariableView::new(&bytes, &offsets)
                    .map_err(|e| err(format!("malformed variable-size offsets: {e}")))?;
                self.check_lengths(&offsets)?;
                self.swap_in_place(&mut bytes);
                zarrkit_core::codec::vlen::encode(NAME, &bytes, &offsets, false)
            }
            ArrayBytes::Variable { offsets, .. } => Err(err(format!(
                "expected {n} elements, got {}",
                offsets.len().saturating_sub(1)
            ))),
            ArrayBytes::Fixed(_) => Err(err("expected variable-size array bytes")),
        }
    }

    fn decode(
        &self,
        input: Bytes,
        decoded: &ChunkRepresentation,
        _options: &CodecOptions,
    ) -> Result<ArrayBytes, CodecError> {
        self.check(decoded)?;
        let n = decoded.num_elements_usize()?;
        match zarrkit_core::codec::vlen::decode(NAME, &input, n, false)? {
            ArrayBytes::Variable { mut bytes, offsets } => {
                self.check_lengths(&offsets)?;
                self.swap_in_place(&mut bytes);
                Ok(ArrayBytes::Variable { bytes, offsets })
            }
            ArrayBytes::Fixed(_) => Err(err("internal: fixed-size framing output")),
        }
    }
}

fn dtype_of(conf: Option<&Map<String, Value>>) -> Result<String, PluginError> {
    let conf = conf.ok_or_else(|| config_err("the configuration needs `dtype`"))?;
    if let Some(k) = conf.keys().find(|k| *k != "dtype" && *k != "id") {
        return Err(config_err(format!("unknown configuration member {k:?}")));
    }
    match conf.get("dtype") {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(v) => Err(config_err(format!("`dtype` must be a string, got {v}"))),
        None => Err(config_err("the configuration needs `dtype`")),
    }
}

fn create(metadata: &MetadataV3) -> Result<Codec, PluginError> {
    let name = ALIASES
        .iter()
        .copied()
        .find(|a| *a == metadata.name())
        .unwrap_or(NAME);
    if metadata
        .configuration()
        .is_some_and(|c| c.contains_key("id"))
    {
        return Err(config_err("a V3 configuration has no `id`"));
    }
    let dtype = dtype_of(metadata.configuration())?;
    Ok(Codec::ArrayToBytes(Arc::new(VlenArrayCodec::with_name(
        name, &dtype,
    )?)))
}

fn create_v2(config: &Map<String, Value>, _context: &CodecV2Context) -> Result<Codec, PluginError> {
    let dtype = dtype_of(Some(config))?;
    Ok(Codec::ArrayToBytes(Arc::new(VlenArrayCodec::new(&dtype)?)))
}

zarrkit_core::inventory::submit! {
    CodecPlugin::new(NAME, create).with_aliases(ALIASES).with_v2(&[ID], create_v2)
}

#[cfg(test)]
mod tests;
