//! zarrkit plugin: the `gzip` bytes→bytes codec (RFC 1952, via `flate2`).
//!
//! - V3 name `gzip` (alias `numcodecs.gzip`), configuration `{"level": 0..=9}`.
//! - Zarr V2 / numcodecs id `gzip`, configuration `{"id": "gzip", "level": N}` (level
//!   defaults to 1, as in numcodecs).
//!
//! Decoding accepts one or more concatenated gzip members, checks the magic bytes, the
//! deflate stream and every member's trailer (CRC32 and size), and errors on truncation or
//! trailing garbage. The output never grows past the decoded representation's bound (nor
//! past 1032 × the input size, the largest expansion deflate allows); input that would
//! decode to more is an error, found without allocating the excess.

use std::io::{Read, Write};
use std::sync::Arc;

use flate2::bufread::MultiGzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;
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
pub const GZIP: &str = "gzip";

/// The largest compression ratio deflate can achieve (a 258-byte match costs at least
/// two bits), so no gzip input of `n` bytes decodes to more than `n * 1032` bytes.
const DEFLATE_MAX_RATIO: usize = 1032;

/// The configuration of the `gzip` codec (Zarr V3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GzipCodecConfiguration {
    /// The compression level, 0 (none) to 9 (best). Under the name `numcodecs.gzip` (and in
    /// V2) -1 (Python zlib's `Z_DEFAULT_COMPRESSION`) means zlib's default, 6, and any other
    /// value opens for reading (decoding does not use the level) and fails only when
    /// encoding; the spec's `gzip` requires 0 to 9, as every other implementation does.
    pub level: i64,
}

/// The numcodecs (Zarr V2) configuration of the `gzip` codec.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct GzipCodecConfigurationNumcodecs {
    #[allow(dead_code)]
    id: String,
    #[serde(default = "default_v2_level")]
    level: i64,
}

fn default_v2_level() -> i64 {
    1
}

/// The `gzip` codec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GzipCodec {
    level: i64,
}

impl GzipCodec {
    /// A gzip codec with compression `level` (0 to 9).
    pub fn new(level: u32) -> Result<Self, PluginError> {
        if level > 9 {
            return Err(PluginError::config(
                ExtensionKind::Codec,
                GZIP,
                format!("level must be an integer from 0 to 9, got {level}"),
            ));
        }
        Ok(Self {
            level: i64::from(level),
        })
    }

    /// A gzip codec from a stored configuration: any level opens (decoding does not use
    /// it); one outside -1..=9 fails when encoding.
    pub fn new_with_configuration(configuration: &GzipCodecConfiguration) -> Self {
        Self {
            level: configuration.level,
        }
    }

    /// The compression level as stored.
    pub fn level(&self) -> i64 {
        self.level
    }

    /// The level deflate encodes with: 0 to 9, -1 meaning zlib's default (6).
    fn encode_level(&self) -> Result<u32, CodecError> {
        match self.level {
            -1 => Ok(6),
            l @ 0..=9 => Ok(l as u32),
            l => Err(CodecError::Unsupported {
                codec: GZIP.into(),
                message: format!("cannot encode at level {l} (gzip levels are 0 to 9, or -1)"),
            }),
        }
    }

    /// The configuration.
    pub fn configuration_struct(&self) -> GzipCodecConfiguration {
        GzipCodecConfiguration { level: self.level }
    }
}

/// An upper bound of the gzip encoding of `n` bytes: zlib's conservative deflate bound plus
/// the 10-byte header and 8-byte trailer (with room to spare).
fn gzip_bound(n: u64) -> u64 {
    n.saturating_add((n.saturating_add(7)) / 8)
        .saturating_add((n.saturating_add(63)) / 64)
        .saturating_add(5 + 18 + 16)
}

/// Read all of `reader` into a vector of at most `limit` bytes, starting with `initial`
/// bytes of capacity and never allocating more than `limit + 1`. Errors (without reading
/// further) when the reader has more than `limit` bytes.
fn read_bounded(
    mut reader: impl Read,
    limit: usize,
    initial: usize,
) -> Result<Vec<u8>, CodecError> {
    let hard_cap = limit.saturating_add(1);
    let mut buf: Vec<u8> = Vec::new();
    let mut filled = 0usize;
    let mut cap = initial.clamp(1, hard_cap);
    buf.try_reserve_exact(cap)
        .map_err(|e| CodecError::new(GZIP, format!("cannot allocate {cap} bytes: {e}")))?;
    buf.resize(cap, 0);
    loop {
        if filled == buf.len() {
            if buf.len() >= hard_cap {
                return Err(CodecError::new(
                    GZIP,
                    format!("the decoded data is larger than its bound of {limit} bytes"),
                ));
            }
            cap = buf.len().saturating_mul(2).min(hard_cap);
            buf.try_reserve_exact(cap - buf.len())
                .map_err(|e| CodecError::new(GZIP, format!("cannot allocate {cap} bytes: {e}")))?;
            buf.resize(cap, 0);
        }
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(CodecError::new(GZIP, format!("invalid gzip stream: {e}"))),
        }
    }
    if filled > limit {
        return Err(CodecError::new(
            GZIP,
            format!("the decoded data is larger than its bound of {limit} bytes"),
        ));
    }
    buf.truncate(filled);
    Ok(buf)
}

impl CodecTraits for GzipCodec {
    fn name(&self) -> &str {
        GZIP
    }

    fn configuration(&self) -> Option<Map<String, Value>> {
        let mut m = Map::new();
        m.insert("level".into(), Value::from(self.level));
        Some(m)
    }
}

impl BytesToBytesCodecTraits for GzipCodec {
    fn encoded_representation(&self, decoded: &BytesRepresentation) -> BytesRepresentation {
        match decoded.bound() {
            Some(n) => BytesRepresentation::Bounded(gzip_bound(n)),
            None => BytesRepresentation::Unbounded,
        }
    }

    fn encode(&self, input: Vec<u8>, _options: &CodecOptions) -> Result<Vec<u8>, CodecError> {
        let cap = usize::try_from(gzip_bound(input.len() as u64)).unwrap_or(usize::MAX);
        let mut out = Vec::new();
        out.try_reserve(cap)
            .map_err(|e| CodecError::new(GZIP, format!("cannot allocate {cap} bytes: {e}")))?;
        let mut enc = GzEncoder::new(out, Compression::new(self.encode_level()?));
        enc.write_all(&input)
            .map_err(|e| CodecError::new(GZIP, e))?;
        enc.finish().map_err(|e| CodecError::new(GZIP, e))
    }

    fn decode(
        &self,
        input: Bytes,
        decoded: &BytesRepresentation,
        _options: &CodecOptions,
    ) -> Result<Bytes, CodecError> {
        // The smallest gzip member: 10-byte header, 2-byte empty deflate block, 8-byte trailer.
        if input.len() < 20 {
            return Err(CodecError::new(
                GZIP,
                format!(
                    "{} bytes is too short for a gzip stream (truncated?)",
                    input.len()
                ),
            ));
        }
        if input[..2] != [0x1f, 0x8b] {
            return Err(CodecError::new(
                GZIP,
                format!(
                    "bad magic bytes {:02x} {:02x} (not a gzip stream)",
                    input[0], input[1]
                ),
            ));
        }
        let ratio_limit = input.len().saturating_mul(DEFLATE_MAX_RATIO);
        let limit = match decoded.bound() {
            Some(b) => usize::try_from(b).unwrap_or(usize::MAX).min(ratio_limit),
            None => ratio_limit,
        };
        let initial = match decoded {
            BytesRepresentation::Fixed(_) => limit.saturating_add(1),
            _ => input.len().saturating_mul(4).max(4096),
        };
        let out = read_bounded(MultiGzDecoder::new(&input[..]), limit, initial)?;
        if let BytesRepresentation::Fixed(n) = decoded {
            if out.len() as u64 != *n {
                return Err(CodecError::UnexpectedSize {
                    codec: GZIP.into(),
                    expected: *n,
                    actual: out.len() as u64,
                });
            }
        }
        Ok(out.into())
    }
}

fn create(metadata: &MetadataV3) -> Result<Codec, PluginError> {
    let c: GzipCodecConfiguration = metadata
        .to_configuration()
        .map_err(|m| PluginError::config(ExtensionKind::Codec, metadata.name(), m))?;
    // The spec's `gzip` allows levels 0 to 9 and zarr-python, tensorstore and zarrs all
    // refuse others, so an array that says otherwise is invalid; numcodecs' own form
    // (`numcodecs.gzip`, as V2) takes any level and fails only when encoding.
    if metadata.name() == GZIP && !(0..=9).contains(&c.level) {
        return Err(PluginError::config(
            ExtensionKind::Codec,
            GZIP,
            format!("level must be an integer from 0 to 9, got {}", c.level),
        ));
    }
    Ok(Codec::BytesToBytes(Arc::new(
        GzipCodec::new_with_configuration(&c),
    )))
}

fn create_v2(config: &Map<String, Value>, _context: &CodecV2Context) -> Result<Codec, PluginError> {
    let c: GzipCodecConfigurationNumcodecs =
        zarrkit_core::serde_json::from_value(Value::Object(config.clone()))
            .map_err(|e| PluginError::config(ExtensionKind::Codec, GZIP, e))?;
    Ok(Codec::BytesToBytes(Arc::new(GzipCodec { level: c.level })))
}

zarrkit_core::inventory::submit! {
    CodecPlugin::new(GZIP, create).with_aliases(&["numcodecs.gzip"]).with_v2(&["gzip"], create_v2)
}

#[cfg(test)]
mod tests;
