//! zarrkit plugin: the numcodecs `lz4` bytes→bytes codec (an LZ4 block after a size header,
//! via the pure-Rust `lz4_flex`).
//!
//! - V3 name `numcodecs.lz4` (the zarr-extensions name; `lz4` is accepted as an alias and
//!   the name read is written back), configuration `{"acceleration": N}` (default 1).
//! - Zarr V2 / numcodecs id `lz4`: `{"id": "lz4", "acceleration": N}`.
//!
//! The encoding is numcodecs' `LZ4` framing: the decoded size as a 4-byte little-endian
//! integer, then one raw LZ4 block. `acceleration` trades ratio for speed in the reference
//! encoder; it is kept in the metadata, but `lz4_flex` has a single speed, so it does not
//! change what this codec writes (any valid LZ4 block decodes the same everywhere).
//!
//! Decoding checks the claimed size against the decoded representation's bound and against
//! the most an LZ4 block of that length can expand to (255 : 1) *before* allocating, then
//! requires the block to decode to exactly that size with no bytes left over.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use zarrkit_core::codec::{
    Bytes, BytesRepresentation, BytesToBytesCodecTraits, Codec, CodecTraits,
};
use zarrkit_core::error::{CodecError, ExtensionKind, PluginError};
use zarrkit_core::metadata::MetadataV3;
use zarrkit_core::registry::{CodecPlugin, CodecV2Context};
use zarrkit_core::serde_json::{Map, Value};
use zarrkit_core::CodecOptions;

/// The V3 name of the codec.
pub const NAME: &str = "numcodecs.lz4";
const ALIASES: &[&str] = &["lz4"];

/// The size of the header holding the decoded size.
pub const HEADER_SIZE: usize = 4;

/// The most an LZ4 block expands: a 1-byte token can produce at most 255 bytes per extra
/// input byte (plus a small constant).
const LZ4_MAX_RATIO: usize = 255;

fn default_acceleration() -> i64 {
    1
}

/// The configuration of the `lz4` codec (Zarr V3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lz4CodecConfiguration {
    /// numcodecs' acceleration (1 = default; larger is faster, with a lower ratio).
    #[serde(default = "default_acceleration")]
    pub acceleration: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Lz4CodecConfigurationNumcodecs {
    #[allow(dead_code)]
    id: String,
    #[serde(default = "default_acceleration")]
    acceleration: i64,
}

/// The `lz4` codec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lz4Codec {
    name: &'static str,
    acceleration: i64,
}

impl Lz4Codec {
    /// An lz4 codec with numcodecs' `acceleration` (recorded in the metadata).
    pub fn new(acceleration: i64) -> Self {
        Self {
            name: NAME,
            acceleration,
        }
    }

    /// The acceleration.
    pub fn acceleration(&self) -> i64 {
        self.acceleration
    }
}

fn err(message: impl std::fmt::Display) -> CodecError {
    CodecError::new(NAME, message)
}

fn lz4_bound(n: u64) -> u64 {
    n.saturating_add(n / 255)
        .saturating_add(16 + HEADER_SIZE as u64)
}

impl CodecTraits for Lz4Codec {
    fn name(&self) -> &str {
        self.name
    }

    fn configuration(&self) -> Option<Map<String, Value>> {
        let mut m = Map::new();
        m.insert("acceleration".into(), Value::from(self.acceleration));
        Some(m)
    }
}

impl BytesToBytesCodecTraits for Lz4Codec {
    fn encoded_representation(&self, decoded: &BytesRepresentation) -> BytesRepresentation {
        match decoded.bound() {
            Some(n) => BytesRepresentation::Bounded(lz4_bound(n)),
            None => BytesRepresentation::Unbounded,
        }
    }

    fn encode(&self, input: Vec<u8>, _options: &CodecOptions) -> Result<Vec<u8>, CodecError> {
        let size = i32::try_from(input.len()).map_err(|_| {
            err(format!(
                "{} bytes is too large for the 4-byte size header",
                input.len()
            ))
        })?;
        let max = lz4_flex::block::get_maximum_output_size(input.len());
        let mut out = Vec::new();
        out.try_reserve_exact(HEADER_SIZE + max)
            .map_err(|e| err(format!("cannot allocate {} bytes: {e}", HEADER_SIZE + max)))?;
        out.extend_from_slice(&size.to_le_bytes());
        out.resize(HEADER_SIZE + max, 0);
        let n = lz4_flex::block::compress_into(&input, &mut out[HEADER_SIZE..])
            .map_err(|e| err(format!("compression failed: {e}")))?;
        out.truncate(HEADER_SIZE + n);
        Ok(out)
    }

    fn decode(
        &self,
        input: Bytes,
        decoded: &BytesRepresentation,
        _options: &CodecOptions,
    ) -> Result<Bytes, CodecError> {
        let header: [u8; HEADER_SIZE] = input
            .get(..HEADER_SIZE)
            .and_then(|h| h.try_into().ok())
            .ok_or_else(|| {
                err(format!(
                    "{} bytes is too short for the 4-byte size header (truncated?)",
                    input.len()
                ))
            })?;
        let claimed = i32::from_le_bytes(header);
        let size = u64::try_from(claimed)
            .map_err(|_| err(format!("negative decoded size {claimed} in the header")))?;
        match decoded {
            BytesRepresentation::Fixed(n) if size != *n => {
                return Err(CodecError::UnexpectedSize {
                    codec: NAME.into(),
                    expected: *n,
                    actual: size,
                })
            }
            BytesRepresentation::Bounded(n) if size > *n => {
                return Err(err(format!(
                    "the header claims {size} decoded bytes, more than the bound of {n}"
                )))
            }
            _ => {}
        }
        let block = &input[HEADER_SIZE..];
        let most = (block.len() as u64)
            .saturating_mul(LZ4_MAX_RATIO as u64)
            .saturating_add(16);
        if size > most {
            return Err(err(format!(
                "the header claims {size} decoded bytes, more than a {}-byte LZ4 block can hold",
                block.len()
            )));
        }
        let size = usize::try_from(size).map_err(|_| err("decoded size too large"))?;
        let mut out = Vec::new();
        out.try_reserve_exact(size)
            .map_err(|e| err(format!("cannot allocate {size} bytes: {e}")))?;
        out.resize(size, 0);
        let n = lz4_flex::block::decompress_into(block, &mut out)
            .map_err(|e| err(format!("invalid LZ4 block: {e}")))?;
        if n != size {
            return Err(err(format!(
                "the LZ4 block decodes to {n} bytes but the header claims {size}"
            )));
        }
        Ok(out.into())
    }
}

fn create(metadata: &MetadataV3) -> Result<Codec, PluginError> {
    let c: Lz4CodecConfiguration = metadata
        .to_configuration()
        .map_err(|m| PluginError::config(ExtensionKind::Codec, metadata.name(), m))?;
    let name = ALIASES
        .iter()
        .copied()
        .find(|a| *a == metadata.name())
        .unwrap_or(NAME);
    Ok(Codec::BytesToBytes(Arc::new(Lz4Codec {
        name,
        acceleration: c.acceleration,
    })))
}

fn create_v2(config: &Map<String, Value>, _context: &CodecV2Context) -> Result<Codec, PluginError> {
    let c: Lz4CodecConfigurationNumcodecs =
        zarrkit_core::serde_json::from_value(Value::Object(config.clone()))
            .map_err(|e| PluginError::config(ExtensionKind::Codec, "lz4", e))?;
    Ok(Codec::BytesToBytes(Arc::new(Lz4Codec::new(c.acceleration))))
}

zarrkit_core::inventory::submit! {
    CodecPlugin::new(NAME, create).with_aliases(ALIASES).with_v2(&["lz4"], create_v2)
}

#[cfg(test)]
mod tests;
