//! zarrkit plugin: the `vlen-utf8` array→bytes codec for variable-length UTF-8 strings.
//!
//! - V3 name `vlen-utf8` (alias `numcodecs.vlen-utf8`), configuration `{}` (or absent).
//! - Zarr V2 / numcodecs id `vlen-utf8` (`{"id": "vlen-utf8"}`), the object codec of `|O`
//!   string arrays.
//!
//! The encoding is numcodecs' `VLenUTF8` framing: a `u32` little-endian element count, then
//! for each element (C order) a `u32` little-endian byte length followed by its bytes.
//!
//! Decoding checks the count against the chunk's element count, that every length fits in
//! what is left of the buffer (checked arithmetic, no allocation from a claimed count or
//! length beyond the buffer), that nothing trails the last element, and that every element
//! is valid UTF-8 (an error names the element index).

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use zarrkit_core::array_bytes::ArrayBytes;
use zarrkit_core::codec::{
    ArrayToBytesCodecTraits, Bytes, BytesRepresentation, ChunkRepresentation, Codec, CodecTraits,
};
use zarrkit_core::data_type::DataTypeSize;
use zarrkit_core::error::{CodecError, ExtensionKind, PluginError};
use zarrkit_core::metadata::MetadataV3;
use zarrkit_core::registry::{CodecPlugin, CodecV2Context};
use zarrkit_core::serde_json::{Map, Value};
use zarrkit_core::CodecOptions;

/// The V3 name of the codec.
pub const NAME: &str = "vlen-utf8";
const ALIASES: &[&str] = &["numcodecs.vlen-utf8"];

/// The configuration of the codec (empty).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VlenUtf8CodecConfiguration {}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct VlenUtf8CodecConfigurationNumcodecs {
    #[allow(dead_code)]
    id: String,
}

/// The `vlen-utf8` codec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VlenUtf8Codec {
    name: &'static str,
}

impl Default for VlenUtf8Codec {
    fn default() -> Self {
        Self::new()
    }
}

impl VlenUtf8Codec {
    /// The codec.
    pub fn new() -> Self {
        Self { name: NAME }
    }
}

fn err(message: impl std::fmt::Display) -> CodecError {
    CodecError::new(NAME, message)
}

fn check_variable(decoded: &ChunkRepresentation) -> Result<(), CodecError> {
    match decoded.data_type.size() {
        DataTypeSize::Variable => Ok(()),
        DataTypeSize::Fixed(_) => Err(CodecError::Unsupported {
            codec: NAME.into(),
            message: format!(
                "data type {} has a fixed size; {NAME} encodes variable-size elements",
                decoded.data_type.name()
            ),
        }),
    }
}

/// Encode variable-size elements in numcodecs' framing.
pub fn encode_vlen(bytes: &[u8], offsets: &[usize]) -> Result<Vec<u8>, CodecError> {
    zarrkit_core::codec::vlen::encode(NAME, bytes, offsets, true)
}

/// Decode numcodecs' framing into `num_elements` variable-size elements.
pub fn decode_vlen(input: &[u8], num_elements: usize) -> Result<ArrayBytes, CodecError> {
    zarrkit_core::codec::vlen::decode(NAME, input, num_elements, true)
}

impl CodecTraits for VlenUtf8Codec {
    fn name(&self) -> &str {
        self.name
    }

    fn configuration(&self) -> Option<Map<String, Value>> {
        Some(Map::new())
    }
}

impl ArrayToBytesCodecTraits for VlenUtf8Codec {
    fn encoded_representation(
        &self,
        decoded: &ChunkRepresentation,
    ) -> Result<BytesRepresentation, CodecError> {
        check_variable(decoded)?;
        Ok(BytesRepresentation::Unbounded)
    }

    fn encode(
        &self,
        input: ArrayBytes,
        decoded: &ChunkRepresentation,
        _options: &CodecOptions,
    ) -> Result<Vec<u8>, CodecError> {
        check_variable(decoded)?;
        let n = decoded.num_elements_usize()?;
        match &input {
            ArrayBytes::Variable { bytes, offsets } if offsets.len() == n + 1 => {
                encode_vlen(bytes, offsets)
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
        check_variable(decoded)?;
        decode_vlen(&input, decoded.num_elements_usize()?)
    }
}

fn create(metadata: &MetadataV3) -> Result<Codec, PluginError> {
    let _: VlenUtf8CodecConfiguration = metadata
        .to_configuration()
        .map_err(|m| PluginError::config(ExtensionKind::Codec, metadata.name(), m))?;
    let name = ALIASES
        .iter()
        .copied()
        .find(|a| *a == metadata.name())
        .unwrap_or(NAME);
    Ok(Codec::ArrayToBytes(Arc::new(VlenUtf8Codec { name })))
}

fn create_v2(config: &Map<String, Value>, _context: &CodecV2Context) -> Result<Codec, PluginError> {
    let _: VlenUtf8CodecConfigurationNumcodecs =
        zarrkit_core::serde_json::from_value(Value::Object(config.clone()))
            .map_err(|e| PluginError::config(ExtensionKind::Codec, NAME, e))?;
    Ok(Codec::ArrayToBytes(Arc::new(VlenUtf8Codec::new())))
}

zarrkit_core::inventory::submit! {
    CodecPlugin::new(NAME, create).with_aliases(ALIASES).with_v2(&["vlen-utf8"], create_v2)
}

#[cfg(test)]
mod tests;
