//! zarrkit plugin: the `crc32c` bytes→bytes checksum codec.
//!
//! - V3 name `crc32c` (alias `numcodecs.crc32c`), no configuration (absent or `{}`).
//!   Encoding appends the CRC32C (Castagnoli) of the data as 4 little-endian bytes;
//!   decoding verifies it (when [`CodecOptions::validate_checksums`] is on) and strips it.
//! - Zarr V2 / numcodecs id `crc32c`: `{"id": "crc32c"}`, optionally with numcodecs'
//!   `"location": "end" | "start"` (where the checksum sits; `end` by default, as in
//!   numcodecs' `CRC32C`). The same `location` member is accepted in V3 configurations
//!   (written by numcodecs' zarr 3 wrappers) and written back only when it was given.

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
pub const CRC32C: &str = "crc32c";

/// The size of the checksum in bytes.
pub const CHECKSUM_SIZE: usize = 4;

/// Where the checksum is stored relative to the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChecksumLocation {
    /// After the data (the Zarr V3 `crc32c` codec; numcodecs' default for `CRC32C`).
    #[default]
    End,
    /// Before the data (numcodecs `location="start"`).
    Start,
}

/// The configuration of the `crc32c` codec (Zarr V3): empty, or numcodecs' `location`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Crc32cCodecConfiguration {
    /// Where the checksum is stored (not part of the V3 spec; `end` when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<ChecksumLocation>,
}

/// The numcodecs (Zarr V2) configuration of the `crc32c` codec.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Crc32cCodecConfigurationNumcodecs {
    #[allow(dead_code)]
    id: String,
    #[serde(default)]
    location: Option<ChecksumLocation>,
}

/// The `crc32c` codec.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Crc32cCodec {
    location: Option<ChecksumLocation>,
}

impl Crc32cCodec {
    /// The `crc32c` codec of the Zarr V3 spec (checksum appended).
    pub fn new() -> Self {
        Self { location: None }
    }

    /// A `crc32c` codec with the checksum at `location` (numcodecs compatibility).
    pub fn new_with_location(location: ChecksumLocation) -> Self {
        Self {
            location: Some(location),
        }
    }

    /// A `crc32c` codec from its configuration.
    pub fn new_with_configuration(configuration: &Crc32cCodecConfiguration) -> Self {
        Self {
            location: configuration.location,
        }
    }

    /// Where the checksum is stored.
    pub fn location(&self) -> ChecksumLocation {
        self.location.unwrap_or_default()
    }
}

/// Add 4 bytes to a size representation.
fn plus_checksum(r: &BytesRepresentation) -> BytesRepresentation {
    match r {
        BytesRepresentation::Fixed(n) => {
            BytesRepresentation::Fixed(n.saturating_add(CHECKSUM_SIZE as u64))
        }
        BytesRepresentation::Bounded(n) => {
            BytesRepresentation::Bounded(n.saturating_add(CHECKSUM_SIZE as u64))
        }
        BytesRepresentation::Unbounded => BytesRepresentation::Unbounded,
    }
}

impl CodecTraits for Crc32cCodec {
    fn name(&self) -> &str {
        CRC32C
    }

    fn configuration(&self) -> Option<Map<String, Value>> {
        let location = self.location?;
        let mut m = Map::new();
        let v = match location {
            ChecksumLocation::End => "end",
            ChecksumLocation::Start => "start",
        };
        m.insert("location".into(), Value::from(v));
        Some(m)
    }
}

impl BytesToBytesCodecTraits for Crc32cCodec {
    fn encoded_representation(&self, decoded: &BytesRepresentation) -> BytesRepresentation {
        plus_checksum(decoded)
    }

    fn encode(&self, mut input: Vec<u8>, _options: &CodecOptions) -> Result<Vec<u8>, CodecError> {
        let crc = crc32c::crc32c(&input).to_le_bytes();
        input
            .try_reserve_exact(CHECKSUM_SIZE)
            .map_err(|e| CodecError::new(CRC32C, format!("cannot allocate: {e}")))?;
        match self.location() {
            ChecksumLocation::End => input.extend_from_slice(&crc),
            ChecksumLocation::Start => {
                input.splice(0..0, crc);
            }
        }
        Ok(input)
    }

    fn decode(
        &self,
        mut input: Bytes,
        decoded: &BytesRepresentation,
        options: &CodecOptions,
    ) -> Result<Bytes, CodecError> {
        if input.len() < CHECKSUM_SIZE {
            return Err(CodecError::new(
                CRC32C,
                format!("{} bytes is shorter than the 4-byte checksum", input.len()),
            ));
        }
        let n = input.len() - CHECKSUM_SIZE;
        let (data_range, crc_range) = match self.location() {
            ChecksumLocation::End => (0..n, n..input.len()),
            ChecksumLocation::Start => (CHECKSUM_SIZE..input.len(), 0..CHECKSUM_SIZE),
        };
        if let Some(b) = decoded.bound() {
            let bad_size = match decoded {
                BytesRepresentation::Fixed(_) => n as u64 != b,
                _ => n as u64 > b,
            };
            if bad_size {
                return Err(CodecError::UnexpectedSize {
                    codec: CRC32C.into(),
                    expected: b,
                    actual: n as u64,
                });
            }
        }
        if options.validate_checksums {
            let mut stored = [0u8; CHECKSUM_SIZE];
            stored.copy_from_slice(&input[crc_range]);
            let stored = u32::from_le_bytes(stored);
            let computed = crc32c::crc32c(&input[data_range]);
            if stored != computed {
                return Err(CodecError::ChecksumMismatch {
                    codec: CRC32C.into(),
                    stored: stored.into(),
                    computed: computed.into(),
                });
            }
        }
        match self.location() {
            ChecksumLocation::End => input.truncate(n),
            ChecksumLocation::Start => {
                input = input.slice(CHECKSUM_SIZE..);
            }
        }
        Ok(input)
    }
}

fn create(metadata: &MetadataV3) -> Result<Codec, PluginError> {
    let c: Crc32cCodecConfiguration = metadata
        .to_configuration()
        .map_err(|m| PluginError::config(ExtensionKind::Codec, metadata.name(), m))?;
    Ok(Codec::BytesToBytes(Arc::new(
        Crc32cCodec::new_with_configuration(&c),
    )))
}

fn create_v2(config: &Map<String, Value>, _context: &CodecV2Context) -> Result<Codec, PluginError> {
    let c: Crc32cCodecConfigurationNumcodecs =
        zarrkit_core::serde_json::from_value(Value::Object(config.clone()))
            .map_err(|e| PluginError::config(ExtensionKind::Codec, CRC32C, e))?;
    Ok(Codec::BytesToBytes(Arc::new(Crc32cCodec {
        location: c.location,
    })))
}

zarrkit_core::inventory::submit! {
    CodecPlugin::new(CRC32C, create).with_aliases(&["numcodecs.crc32c"]).with_v2(&["crc32c"], create_v2)
}

#[cfg(test)]
mod tests;
