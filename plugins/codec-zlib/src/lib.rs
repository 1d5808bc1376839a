//! zarrkit plugin: the numcodecs `zlib` bytes→bytes codec (RFC 1950 zlib streams, via
//! `flate2`).
//!
//! - V3 name `numcodecs.zlib` (there is no `zlib` in the zarr-extensions registry; `zlib` is
//!   accepted as an alias and the name read is written back), configuration `{"level": 0..=9}`
//!   (level defaults to 1, as in numcodecs).
//! - Zarr V2 / numcodecs id `zlib`: `{"id": "zlib", "level": N}`.
//!
//! Decoding checks the zlib header, the deflate stream and the Adler-32 trailer, and errors
//! on truncation or trailing bytes. The output never grows past the decoded
//! representation's bound (nor past 1032 × the input size, the most deflate can expand);
//! input that would decode to more is an error, found without allocating the excess.

use std::io::Write;
use std::sync::Arc;

use flate2::write::ZlibEncoder;
use flate2::{Compression, Decompress, FlushDecompress, Status};
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
pub const NAME: &str = "numcodecs.zlib";
const ALIASES: &[&str] = &["zlib"];

/// The most deflate can expand: no input of `n` bytes decodes to more than `n * 1032`.
const DEFLATE_MAX_RATIO: usize = 1032;

fn default_level() -> i64 {
    1
}

/// The configuration of the `zlib` codec (Zarr V3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZlibCodecConfiguration {
    /// The compression level, 0 (none) to 9 (best); 1 when absent. -1 (Python zlib's
    /// `Z_DEFAULT_COMPRESSION`) means zlib's default, 6. Any other value opens for reading
    /// (decoding does not use the level) and is an error only when encoding.
    #[serde(default = "default_level")]
    pub level: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ZlibCodecConfigurationNumcodecs {
    #[allow(dead_code)]
    id: String,
    #[serde(default = "default_level")]
    level: i64,
}

/// The `zlib` codec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZlibCodec {
    name: &'static str,
    level: i64,
}

impl ZlibCodec {
    /// A zlib codec with compression `level` (0 to 9).
    pub fn new(level: u32) -> Result<Self, PluginError> {
        if level > 9 {
            return Err(PluginError::config(
                ExtensionKind::Codec,
                NAME,
                format!("level must be an integer from 0 to 9, got {level}"),
            ));
        }
        Ok(Self {
            name: NAME,
            level: i64::from(level),
        })
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
                codec: self.name.into(),
                message: format!("cannot encode at level {l} (zlib levels are 0 to 9, or -1)"),
            }),
        }
    }
}

fn err(message: impl std::fmt::Display) -> CodecError {
    CodecError::new(NAME, message)
}

/// An upper bound of the zlib encoding of `n` bytes (zlib's `compressBound` with room).
fn zlib_bound(n: u64) -> u64 {
    n.saturating_add(n / 4096 * 5 + n / 8 + 64)
}

/// Decode one zlib stream that must span all of `input`, into at most `limit` bytes.
fn inflate_bounded(input: &[u8], limit: usize, initial: usize) -> Result<Vec<u8>, CodecError> {
    let hard_cap = limit.saturating_add(1);
    let mut out: Vec<u8> = Vec::new();
    let first = initial.clamp(1, hard_cap);
    out.try_reserve_exact(first)
        .map_err(|e| err(format!("cannot allocate {first} bytes: {e}")))?;
    let mut d = Decompress::new(true);
    loop {
        if out.len() == out.capacity() {
            if out.len() >= hard_cap {
                return Err(err(format!(
                    "the decoded data is larger than its bound of {limit} bytes"
                )));
            }
            let target = out.capacity().saturating_mul(2).min(hard_cap);
            out.try_reserve_exact(target - out.len())
                .map_err(|e| err(format!("cannot allocate {target} bytes: {e}")))?;
        }
        let consumed = usize::try_from(d.total_in()).unwrap_or(usize::MAX);
        let rest = input.get(consumed..).unwrap_or_default();
        let (in_before, out_before) = (d.total_in(), out.len());
        let status = d
            .decompress_vec(rest, &mut out, FlushDecompress::None)
            .map_err(|e| err(format!("invalid zlib stream: {e}")))?;
        if status == Status::StreamEnd {
            break;
        }
        let progressed = d.total_in() != in_before || out.len() != out_before;
        if !progressed && out.len() < out.capacity() {
            return Err(err(
                "the zlib stream ends before its end marker (truncated?)",
            ));
        }
    }
    if out.len() > limit {
        return Err(err(format!(
            "the decoded data is larger than its bound of {limit} bytes"
        )));
    }
    let consumed = usize::try_from(d.total_in()).unwrap_or(usize::MAX);
    if consumed != input.len() {
        return Err(err(format!(
            "{} unexpected bytes after the zlib stream",
            input.len().saturating_sub(consumed)
        )));
    }
    Ok(out)
}

impl CodecTraits for ZlibCodec {
    fn name(&self) -> &str {
        self.name
    }

    fn configuration(&self) -> Option<Map<String, Value>> {
        let mut m = Map::new();
        m.insert("level".into(), Value::from(self.level));
        Some(m)
    }
}

impl BytesToBytesCodecTraits for ZlibCodec {
    fn encoded_representation(&self, decoded: &BytesRepresentation) -> BytesRepresentation {
        match decoded.bound() {
            Some(n) => BytesRepresentation::Bounded(zlib_bound(n)),
            None => BytesRepresentation::Unbounded,
        }
    }

    fn encode(&self, input: Vec<u8>, _options: &CodecOptions) -> Result<Vec<u8>, CodecError> {
        let cap = usize::try_from(zlib_bound(input.len() as u64)).unwrap_or(usize::MAX);
        let mut out = Vec::new();
        out.try_reserve(cap)
            .map_err(|e| err(format!("cannot allocate {cap} bytes: {e}")))?;
        let mut enc = ZlibEncoder::new(out, Compression::new(self.encode_level()?));
        enc.write_all(&input).map_err(err)?;
        enc.finish().map_err(err)
    }

    fn decode(
        &self,
        input: Bytes,
        decoded: &BytesRepresentation,
        _options: &CodecOptions,
    ) -> Result<Bytes, CodecError> {
        if input.len() < 8 {
            return Err(err(format!(
                "{} bytes is too short for a zlib stream (truncated?)",
                input.len()
            )));
        }
        let (cmf, flg) = (input[0], input[1]);
        if cmf & 0x0f != 8 || (u16::from(cmf) << 8 | u16::from(flg)) % 31 != 0 {
            return Err(err(format!(
                "bad zlib header {cmf:02x} {flg:02x} (not a zlib stream)"
            )));
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
        let out = inflate_bounded(&input, limit, initial)?;
        if let BytesRepresentation::Fixed(n) = decoded {
            if out.len() as u64 != *n {
                return Err(CodecError::UnexpectedSize {
                    codec: NAME.into(),
                    expected: *n,
                    actual: out.len() as u64,
                });
            }
        }
        Ok(out.into())
    }
}

fn config_err(name: &str, e: impl std::fmt::Display) -> PluginError {
    PluginError::config(ExtensionKind::Codec, name, e)
}

fn create(metadata: &MetadataV3) -> Result<Codec, PluginError> {
    let c: ZlibCodecConfiguration = metadata
        .to_configuration()
        .map_err(|m| config_err(metadata.name(), m))?;
    let name = ALIASES
        .iter()
        .copied()
        .find(|a| *a == metadata.name())
        .unwrap_or(NAME);
    Ok(Codec::BytesToBytes(Arc::new(ZlibCodec {
        name,
        level: c.level,
    })))
}

fn create_v2(config: &Map<String, Value>, _context: &CodecV2Context) -> Result<Codec, PluginError> {
    let c: ZlibCodecConfigurationNumcodecs =
        zarrkit_core::serde_json::from_value(Value::Object(config.clone()))
            .map_err(|e| config_err("zlib", e))?;
    Ok(Codec::BytesToBytes(Arc::new(ZlibCodec {
        name: NAME,
        level: c.level,
    })))
}

zarrkit_core::inventory::submit! {
    CodecPlugin::new(NAME, create).with_aliases(ALIASES).with_v2(&["zlib"], create_v2)
}

#[cfg(test)]
mod tests;
