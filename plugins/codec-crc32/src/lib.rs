//! zarrkit plugin: the numcodecs `crc32` bytes→bytes checksum codec.
//!
//! - V3 name `numcodecs.crc32` (as zarr-python registers it; there is no zarr-extensions
//!   name). The bare `crc32` is accepted as an alias and the name read is written back.
//! - Zarr V2 / numcodecs id `crc32`: `{"id": "crc32"}`, optionally with `"location"`.
//!
//! Configuration: `{}` or `{"location": "start" | "end"}` (`null` means the default); it
//! is written back as read. numcodecs stores `location` only when it was given, so a
//! default codec is `{"id": "crc32"}` / `{}`.
//!
//! As numcodecs' `CRC32` writes it: zlib's CRC-32 (CRC-32/ISO-HDLC: reflected polynomial
//! `0xEDB88320`, initial value and final XOR `0xFFFFFFFF`; computed with `crc32fast`) of the
//! data as a 4-byte **little-endian** integer, placed at the **start** of the data by
//! default (numcodecs' `Checksum32` default; only `crc32c` defaults to the end), or after
//! it with `location: "end"`. Decoding requires at least the 4 checksum bytes and a payload
//! of the chunk's size, verifies the checksum when [`CodecOptions::validate_checksums`] is
//! on ([`CodecError::ChecksumMismatch`] otherwise) and returns the payload as a slice of the
//! input (no copy).
//!
//! `location` decides the byte layout, so a value other than `start` / `end` is an error
//! when the array opens (numcodecs raises `ValueError` when it constructs the codec).

use std::sync::Arc;

use zarrkit_core::codec::{
    Bytes, BytesRepresentation, BytesToBytesCodecTraits, Codec, CodecTraits,
};
use zarrkit_core::error::{CodecError, ExtensionKind, PluginError};
use zarrkit_core::metadata::MetadataV3;
use zarrkit_core::registry::{CodecPlugin, CodecV2Context};
use zarrkit_core::serde_json::{Map, Value};
use zarrkit_core::CodecOptions;

/// The V3 name of the codec.
pub const NAME: &str = "numcodecs.crc32";
const ALIASES: &[&str] = &["crc32"];
/// The numcodecs (Zarr V2) id.
pub const V2_ID: &str = "crc32";

/// The size of the checksum in bytes.
pub const CHECKSUM_SIZE: usize = 4;

/// Where the checksum is stored relative to the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ChecksumLocation {
    /// Before the data (numcodecs' default for `CRC32`).
    #[default]
    Start,
    /// After the data.
    End,
}

impl ChecksumLocation {
    /// The configuration value (`"start"` / `"end"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Start => "start",
            Self::End => "end",
        }
    }
}

/// The `crc32` codec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crc32Codec {
    name: &'static str,
    location: ChecksumLocation,
    /// The configuration as read (written back unchanged), `None` when absent.
    configuration: Option<Map<String, Value>>,
}

impl Default for Crc32Codec {
    fn default() -> Self {
        Self::new()
    }
}

impl Crc32Codec {
    /// numcodecs' `CRC32()`: the checksum at the start, configuration `{}`.
    pub fn new() -> Self {
        Self {
            name: NAME,
            location: ChecksumLocation::Start,
            configuration: Some(Map::new()),
        }
    }

    /// numcodecs' `CRC32(location=...)`.
    pub fn new_with_location(location: ChecksumLocation) -> Self {
        let mut m = Map::new();
        m.insert("location".into(), Value::from(location.as_str()));
        Self {
            name: NAME,
            location,
            configuration: Some(m),
        }
    }

    /// Where the checksum is stored.
    pub fn location(&self) -> ChecksumLocation {
        self.location
    }

    fn from_configuration(
        name: &'static str,
        configuration: Option<Map<String, Value>>,
    ) -> Result<Self, PluginError> {
        let err = |m: String| PluginError::config(ExtensionKind::Codec, name, m);
        let mut location = ChecksumLocation::Start;
        for (k, v) in configuration.iter().flatten() {
            match (k.as_str(), v) {
                ("location", Value::Null) => {}
                ("location", Value::String(s)) if s == "start" => {}
                ("location", Value::String(s)) if s == "end" => location = ChecksumLocation::End,
                ("location", v) => {
                    return Err(err(format!(
                        "location must be \"start\" or \"end\", got {v}"
                    )))
                }
                (k, _) => return Err(err(format!("unknown member {k:?} (crc32 takes location)"))),
            }
        }
        Ok(Self {
            name,
            location,
            configuration,
        })
    }
}

/// zlib's CRC-32 of `data` (what Python's `zlib.crc32(data)` returns).
pub fn crc32(data: &[u8]) -> u32 {
    crc32fast::hash(data)
}

fn plus_checksum(r: &BytesRepresentation) -> BytesRepresentation {
    match r {
        BytesRepresentation::Fixed(n) => BytesRepresentation::Fixed(n.saturating_add(4)),
        BytesRepresentation::Bounded(n) => BytesRepresentation::Bounded(n.saturating_add(4)),
        BytesRepresentation::Unbounded => BytesRepresentation::Unbounded,
    }
}

impl CodecTraits for Crc32Codec {
    fn name(&self) -> &str {
        self.name
    }

    fn configuration(&self) -> Option<Map<String, Value>> {
        self.configuration.clone()
    }

    fn configuration_v2(&self) -> Option<Map<String, Value>> {
        let mut m = Map::new();
        m.insert("id".into(), Value::from(V2_ID));
        for (k, v) in self.configuration.iter().flatten() {
            m.insert(k.clone(), v.clone());
        }
        Some(m)
    }
}

impl BytesToBytesCodecTraits for Crc32Codec {
    fn encoded_representation(&self, decoded: &BytesRepresentation) -> BytesRepresentation {
        plus_checksum(decoded)
    }

    fn encode(&self, mut input: Vec<u8>, _options: &CodecOptions) -> Result<Vec<u8>, CodecError> {
        let sum = crc32(&input).to_le_bytes();
        input
            .try_reserve_exact(CHECKSUM_SIZE)
            .map_err(|e| CodecError::allocation(self.name, format!("4 more bytes: {e}")))?;
        match self.location {
            ChecksumLocation::End => input.extend_from_slice(&sum),
            ChecksumLocation::Start => {
                input.splice(0..0, sum);
            }
        }
        Ok(input)
    }

    fn decode(
        &self,
        input: Bytes,
        decoded: &BytesRepresentation,
        options: &CodecOptions,
    ) -> Result<Bytes, CodecError> {
        let Some(payload_len) = input.len().checked_sub(CHECKSUM_SIZE) else {
            return Err(CodecError::new(
                self.name,
                format!(
                    "{} bytes is shorter than the 4-byte checksum (truncated?)",
                    input.len()
                ),
            ));
        };
        match decoded {
            BytesRepresentation::Fixed(n) if payload_len as u64 != *n => {
                return Err(CodecError::UnexpectedSize {
                    codec: self.name.into(),
                    expected: *n,
                    actual: payload_len as u64,
                })
            }
            BytesRepresentation::Bounded(n) if payload_len as u64 > *n => {
                return Err(CodecError::new(
                    self.name,
                    format!("{payload_len} bytes exceed the decoded bound of {n}"),
                ))
            }
            _ => {}
        }
        let (sum, payload) = match self.location {
            ChecksumLocation::Start => (input.slice(..CHECKSUM_SIZE), input.slice(CHECKSUM_SIZE..)),
            ChecksumLocation::End => (input.slice(payload_len..), input.slice(..payload_len)),
        };
        if options.validate_checksums {
            let mut s = [0u8; CHECKSUM_SIZE];
            s.copy_from_slice(&sum);
            let stored = u32::from_le_bytes(s);
            let computed = crc32(&payload);
            if stored != computed {
                return Err(CodecError::ChecksumMismatch {
                    codec: self.name.into(),
                    stored: u64::from(stored),
                    computed: u64::from(computed),
                });
            }
        }
        Ok(payload)
    }
}

fn create(metadata: &MetadataV3) -> Result<Codec, PluginError> {
    let name = ALIASES
        .iter()
        .copied()
        .find(|a| *a == metadata.name())
        .unwrap_or(NAME);
    Ok(Codec::BytesToBytes(Arc::new(
        Crc32Codec::from_configuration(name, metadata.configuration().cloned())?,
    )))
}

fn create_v2(config: &Map<String, Value>, _context: &CodecV2Context) -> Result<Codec, PluginError> {
    let mut c = config.clone();
    c.remove("id");
    Ok(Codec::BytesToBytes(Arc::new(
        Crc32Codec::from_configuration(NAME, Some(c))?,
    )))
}

zarrkit_core::inventory::submit! {
    CodecPlugin::new(NAME, create).with_aliases(ALIASES).with_v2(&[V2_ID], create_v2)
}

#[cfg(test)]
mod tests;
