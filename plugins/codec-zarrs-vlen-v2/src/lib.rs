//! zarrkit plugin: the `zarrs.vlen_v2` array→bytes codec: numcodecs' interleaved
//! variable-length framing (that of `vlen-utf8`, `vlen-bytes` and `vlen-array`) for any
//! variable-size data type.
//!
//! - V3 name `zarrs.vlen_v2` (zarrs ≥ 0.20); aliases
//!   `https://codec.zarrs.dev/array_to_bytes/vlen_v2` (zarrs < 0.20) and `vlen_v2` (the name
//!   zarrs 0.19 wrote, which zarrs itself never registered). The name read is written back.
//!   Zarr V2 id `zarrs.vlen_v2` (zarrs 0.20–0.22), `{"id": "zarrs.vlen_v2"}`.
//! - Configuration: none or `{}`; any member is an error (as in zarrs).
//!
//! # Encoded chunk
//!
//! ```text
//! [u32 LE: element count n] n × ([u32 LE: byte length L] [L bytes])
//! ```
//!
//! Unlike `vlen-utf8` / `vlen-bytes`, the codec is not tied to one data type: it takes any
//! variable-size type (`string`, `bytes`, ...). zarrs' optional data type is refused, as
//! zarrs' `zarrs.vlen` refuses it (recognised by name: `zarrs.optional`, `optional`).
//!
//! # Decoding and its checks
//!
//! The count must equal the chunk's element count, every length must fit in what is left of
//! the buffer (checked before anything proportional to it is allocated), and nothing may
//! follow the last element (zarrs ignores trailing bytes but never writes any; it panics on a
//! length past the end, zarrkit reports it). Elements of a data type whose element kind is
//! UTF-8 strings are checked to be valid UTF-8 (the error names the element), as
//! `vlen-utf8` does; zarrs checks nothing.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use zarrkit_core::array_bytes::ArrayBytes;
use zarrkit_core::codec::{
    ArrayToBytesCodecTraits, Bytes, BytesRepresentation, ChunkRepresentation, Codec, CodecTraits,
};
use zarrkit_core::data_type::DataTypeSize;
use zarrkit_core::element::ElementKind;
use zarrkit_core::error::{CodecError, ExtensionKind, PluginError};
use zarrkit_core::metadata::MetadataV3;
use zarrkit_core::registry::{CodecPlugin, CodecV2Context};
use zarrkit_core::serde_json::{Map, Value};
use zarrkit_core::CodecOptions;

/// The V3 name of the codec (also its V2 id).
pub const NAME: &str = "zarrs.vlen_v2";
/// Other V3 names read (and written back when read).
pub const ALIASES: &[&str] = &["https://codec.zarrs.dev/array_to_bytes/vlen_v2", "vlen_v2"];
/// Names of zarrs' optional data type, which this codec refuses.
const OPTIONAL_DATA_TYPE_NAMES: &[&str] = &["zarrs.optional", "optional"];

/// The configuration of the codec (empty).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VlenV2CodecConfiguration {}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct VlenV2CodecConfigurationV2 {
    #[allow(dead_code)]
    id: String,
}

/// The `zarrs.vlen_v2` codec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VlenV2Codec {
    name: &'static str,
}

impl Default for VlenV2Codec {
    fn default() -> Self {
        Self::new()
    }
}

impl VlenV2Codec {
    /// The codec.
    pub fn new() -> Self {
        Self { name: NAME }
    }
}

fn check_data_type(decoded: &ChunkRepresentation) -> Result<bool, CodecError> {
    let name = decoded.data_type.name();
    if OPTIONAL_DATA_TYPE_NAMES.contains(&name.as_str()) {
        return Err(CodecError::unsupported(
            NAME,
            format!("data type {name}: optional data types are encoded by zarrs.optional"),
        ));
    }
    match decoded.data_type.size() {
        DataTypeSize::Variable => {
            Ok(decoded.data_type.element_kind() == Some(ElementKind::Utf8String))
        }
        DataTypeSize::Fixed(_) => Err(CodecError::unsupported(
            NAME,
            format!("data type {name} has a fixed size; {NAME} encodes variable-size elements"),
        )),
    }
}

impl CodecTraits for VlenV2Codec {
    fn name(&self) -> &str {
        self.name
    }

    fn configuration(&self) -> Option<Map<String, Value>> {
        Some(Map::new())
    }
}

impl ArrayToBytesCodecTraits for VlenV2Codec {
    fn encoded_representation(
        &self,
        decoded: &ChunkRepresentation,
    ) -> Result<BytesRepresentation, CodecError> {
        check_data_type(decoded)?;
        Ok(BytesRepresentation::Unbounded)
    }

    fn encode(
        &self,
        input: ArrayBytes,
        decoded: &ChunkRepresentation,
        _options: &CodecOptions,
    ) -> Result<Vec<u8>, CodecError> {
        let utf8 = check_data_type(decoded)?;
        let n = decoded.num_elements_usize()?;
        match &input {
            ArrayBytes::Variable { bytes, offsets } if offsets.len() == n + 1 => {
                zarrkit_core::codec::vlen::encode(NAME, bytes, offsets, utf8)
            }
            ArrayBytes::Variable { offsets, .. } => Err(CodecError::unsupported(
                NAME,
                format!(
                    "expected {n} elements, got {}",
                    offsets.len().saturating_sub(1)
                ),
            )),
            ArrayBytes::Fixed(_) => Err(CodecError::unsupported(
                NAME,
                "expected variable-size array bytes",
            )),
        }
    }

    fn decode(
        &self,
        input: Bytes,
        decoded: &ChunkRepresentation,
        _options: &CodecOptions,
    ) -> Result<ArrayBytes, CodecError> {
        let utf8 = check_data_type(decoded)?;
        zarrkit_core::codec::vlen::decode(NAME, &input, decoded.num_elements_usize()?, utf8)
    }
}

fn create(metadata: &MetadataV3) -> Result<Codec, PluginError> {
    let _: VlenV2CodecConfiguration = metadata
        .to_configuration()
        .map_err(|m| PluginError::config(ExtensionKind::Codec, metadata.name(), m))?;
    let name = std::iter::once(NAME)
        .chain(ALIASES.iter().copied())
        .find(|n| *n == metadata.name())
        .unwrap_or(NAME);
    Ok(Codec::ArrayToBytes(Arc::new(VlenV2Codec { name })))
}

fn create_v2(config: &Map<String, Value>, _context: &CodecV2Context) -> Result<Codec, PluginError> {
    let _: VlenV2CodecConfigurationV2 =
        zarrkit_core::serde_json::from_value(Value::Object(config.clone()))
            .map_err(|e| PluginError::config(ExtensionKind::Codec, NAME, e))?;
    Ok(Codec::ArrayToBytes(Arc::new(VlenV2Codec::new())))
}

zarrkit_core::inventory::submit! {
    CodecPlugin::new(NAME, create).with_aliases(ALIASES).with_v2(&[NAME], create_v2)
}

#[cfg(test)]
mod tests;
