//! zarrkit plugin: the `zarrs.squeeze` array→array codec, which removes the size-1 dimensions
//! of a chunk.
//!
//! - V3 name `zarrs.squeeze` (zarrs ≥ 0.20, experimental there); configuration `{}` (absent
//!   is read as `{}`; any member is an error, as in zarrs). Zarr V2 id `zarrs.squeeze` (the
//!   V2 name zarrs 0.20–0.22 registered; `{"id": "zarrs.squeeze"}`).
//! - The encoded chunk shape is the decoded chunk shape without its dimensions of size 1;
//!   if every dimension has size 1 it is `[1]`. The element bytes are unchanged (C order does
//!   not change when size-1 dimensions are dropped): only the shape the next codec sees
//!   changes. Any data type, fixed or variable size; data type and fill value unchanged.
//! - The encoded shape depends on the chunk shape, which regular grids give in full for edge
//!   chunks too, as in zarrs.
//! - Region-local: a region of the decoded chunk is the same elements of the encoded chunk
//!   with the size-1 dimensions dropped ([`ArrayToArrayCodecTraits::encoded_region`]), so
//!   partial reads go through it (a `bytes` codec after it reads only the needed rows).
//!
//! Decoding checks nothing beyond what the chain checks (the element count of both shapes
//! is the same by construction). zarrs' own rule is `dim > 1`; zarrkit drops `dim == 1`,
//! which is the same for every shape zarrs allows (no zero-size dimensions).

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use zarrkit_core::array_bytes::ArrayBytes;
use zarrkit_core::codec::{ArrayToArrayCodecTraits, ChunkRepresentation, Codec, CodecTraits};
use zarrkit_core::config::CodecOptions;
use zarrkit_core::error::{CodecError, ExtensionKind, PluginError};
use zarrkit_core::metadata::MetadataV3;
use zarrkit_core::registry::{CodecPlugin, CodecV2Context};
use zarrkit_core::serde_json::{Map, Value};
use zarrkit_core::subset::ArraySubset;

/// The V3 name of the codec (also its V2 id).
pub const NAME: &str = "zarrs.squeeze";

/// The configuration of the codec (empty).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SqueezeCodecConfiguration {}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct SqueezeCodecConfigurationV2 {
    #[allow(dead_code)]
    id: String,
}

/// The `zarrs.squeeze` codec.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SqueezeCodec;

impl SqueezeCodec {
    /// The codec.
    pub fn new() -> Self {
        Self
    }

    /// The encoded (squeezed) shape of a decoded chunk shape.
    pub fn squeezed_shape(decoded_shape: &[u64]) -> Vec<u64> {
        let s: Vec<u64> = decoded_shape.iter().copied().filter(|&d| d != 1).collect();
        if s.is_empty() {
            vec![1]
        } else {
            s
        }
    }
}

impl CodecTraits for SqueezeCodec {
    fn name(&self) -> &str {
        NAME
    }

    fn configuration(&self) -> Option<Map<String, Value>> {
        Some(Map::new())
    }
}

impl ArrayToArrayCodecTraits for SqueezeCodec {
    fn encoded_representation(
        &self,
        decoded: &ChunkRepresentation,
    ) -> Result<ChunkRepresentation, CodecError> {
        Ok(ChunkRepresentation::new(
            Self::squeezed_shape(&decoded.shape),
            decoded.data_type.clone(),
            decoded.fill_value.clone(),
        ))
    }

    fn encode(
        &self,
        input: ArrayBytes,
        _decoded: &ChunkRepresentation,
        _options: &CodecOptions,
    ) -> Result<ArrayBytes, CodecError> {
        Ok(input)
    }

    fn decode(
        &self,
        input: ArrayBytes,
        _decoded: &ChunkRepresentation,
        _options: &CodecOptions,
    ) -> Result<ArrayBytes, CodecError> {
        Ok(input)
    }

    fn encoded_region(
        &self,
        region: &ArraySubset,
        decoded: &ChunkRepresentation,
    ) -> Option<ArraySubset> {
        if region.dimensionality() != decoded.shape.len() {
            return None;
        }
        let (start, shape): (Vec<u64>, Vec<u64>) = decoded
            .shape
            .iter()
            .zip(region.start().iter().zip(region.shape()))
            .filter(|(&d, _)| d != 1)
            .map(|(_, (&s, &n))| (s, n))
            .unzip();
        if start.is_empty() {
            // Every dimension has size 1: the region is the one element (or none).
            let n = region.shape().iter().product::<u64>().min(1);
            return ArraySubset::new(vec![0], vec![n]).ok();
        }
        ArraySubset::new(start, shape).ok()
    }
}

fn create(metadata: &MetadataV3) -> Result<Codec, PluginError> {
    let _: SqueezeCodecConfiguration = metadata
        .to_configuration()
        .map_err(|m| PluginError::config(ExtensionKind::Codec, metadata.name(), m))?;
    Ok(Codec::ArrayToArray(Arc::new(SqueezeCodec)))
}

fn create_v2(config: &Map<String, Value>, _context: &CodecV2Context) -> Result<Codec, PluginError> {
    let _: SqueezeCodecConfigurationV2 =
        zarrkit_core::serde_json::from_value(Value::Object(config.clone()))
            .map_err(|e| PluginError::config(ExtensionKind::Codec, NAME, e))?;
    Ok(Codec::ArrayToArray(Arc::new(SqueezeCodec)))
}

zarrkit_core::inventory::submit! {
    CodecPlugin::new(NAME, create).with_v2(&[NAME], create_v2)
}

#[cfg(test)]
mod tests;
