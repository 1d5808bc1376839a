//! zarrkit plugin: the numcodecs `bz2` bytes→bytes codec (bzip2 streams, via the `bzip2`
//! crate, whose default backend `libbz2-rs-sys` is pure Rust: nothing to build or link from
//! the system).
//!
//! - V3 name `numcodecs.bz2` (the zarr-extensions name; `bz2` is accepted as an alias and
//!   the name read is written back), configuration `{"level": 1..=9}` (default 1).
//! - Zarr V2 / numcodecs id `bz2`: `{"id": "bz2", "level": N}`.
//!
//! Decoding accepts one or more concatenated bzip2 streams (as Python's `bz2.decompress`
//! does), checks every block and stream CRC, and errors on truncation or trailing bytes.
//! The output never grows past the decoded representation's bound; input that would decode
//! to more is an error, found without allocating the excess.

use std::io::Write;
use std::sync::Arc;

use bzip2::write::BzEncoder;
use bzip2::{Compression, Decompress, Status};
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
pub const NAME: &str = "numcodecs.bz2";
const ALIASES: &[&str] = &["bz2"];

fn default_level() -> u32 {
    1
}

/// The configuration of the `bz2` codec (Zarr V3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bz2CodecConfiguration {
    /// The compression level (block size in 100 kB units), 1 to 9; 1 when absent.
    #[serde(default = "default_level")]
    pub level: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Bz2CodecConfigurationNumcodecs {
    #[allow(dead_code)]
    id: String,
    #[serde(default = "default_level")]
    level: u32,
}

/// The `bz2` codec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bz2Codec {
    name: &'static str,
    level: u32,
}

fn check_level(name: &str, level: u32) -> Result<(), PluginError> {
    if (1..=9).contains(&level) {
        Ok(())
    } else {
        Err(PluginError::config(
            ExtensionKind::Codec,
            name,
            format!("level must be an integer from 1 to 9, got {level}"),
        ))
    }
}

impl Bz2Codec {
    /// A bz2 codec with compression `level` (1 to 9).
    pub fn new(level: u32) -> Result<Self, PluginError> {
        check_level(NAME, level)?;
        Ok(Self { name: NAME, level })
    }

    /// The compression level.
    pub fn level(&self) -> u32 {
        self.level
    }
}

fn err(message: impl std::fmt::Display) -> CodecError {
    CodecError::new(NAME, message)
}

/// An upper bound of the bzip2 encoding of `n` bytes (the bzip2 manual: 1% + 600 bytes).
fn bz2_bound(n: u64) -> u64 {
    n.saturating_add(n / 100).saturating_add(600)
}

/// Decode concatenated bzip2 streams spanning all of `input` into at most `limit` bytes.
fn decompress_bounded(input: &[u8], limit: usize, initial: usize) -> Result<Vec<u8>, CodecError> {
    let hard_cap = limit.saturating_add(1);
    let mut out: Vec<u8> = Vec::new();
    let first = initial.clamp(1, hard_cap);
    out.try_reserve_exact(first)
        .map_err(|e| err(format!("cannot allocate {first} bytes: {e}")))?;
    let mut pos = 0usize;
    loop {
        // One stream starting at `pos`.
        if input.get(pos..pos + 3) != Some(b"BZh") {
            return Err(err(if pos == 0 {
                "bad magic bytes (not a bzip2 stream)".to_string()
            } else {
                format!(
                    "{} unexpected bytes after the bzip2 stream",
                    input.len() - pos
                )
            }));
        }
        let mut d = Decompress::new(false);
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
            let consumed = pos.saturating_add(usize::try_from(d.total_in()).unwrap_or(usize::MAX));
            let rest = input.get(consumed..).unwrap_or_default();
            let (in_before, out_before) = (d.total_in(), out.len());
            let status = d
                .decompress_vec(rest, &mut out)
                .map_err(|e| err(format!("invalid bzip2 stream: {e:?}")))?;
            if status == Status::StreamEnd {
                break;
            }
            let progressed = d.total_in() != in_before || out.len() != out_before;
            if !progressed && out.len() < out.capacity() {
                return Err(err(
                    "the bzip2 stream ends before its end marker (truncated?)",
                ));
            }
        }
        pos = pos.saturating_add(usize::try_from(d.total_in()).unwrap_or(usize::MAX));
        if out.len() > limit {
            return Err(err(format!(
                "the decoded data is larger than its bound of {limit} bytes"
            )));
        }
        if pos >= input.len() {
            return Ok(out);
        }
    }
}

impl CodecTraits for Bz2Codec {
    fn name(&self) -> &str {
        self.name
    }

    fn configuration(&self) -> Option<Map<String, Value>> {
        let mut m = Map::new();
        m.insert("level".into(), Value::from(self.level));
        Some(m)
    }
}

impl BytesToBytesCodecTraits for Bz2Codec {
    fn encoded_representation(&self, decoded: &BytesRepresentation) -> BytesRepresentation {
        match decoded.bound() {
            Some(n) => BytesRepresentation::Bounded(bz2_bound(n)),
            None => BytesRepresentation::Unbounded,
        }
    }

    fn encode(&self, input: Vec<u8>, _options: &CodecOptions) -> Result<Vec<u8>, CodecError> {
        let cap = usize::try_from(bz2_bound(input.len() as u64)).unwrap_or(usize::MAX);
        let mut out = Vec::new();
        out.try_reserve(cap)
            .map_err(|e| err(format!("cannot allocate {cap} bytes: {e}")))?;
        let mut enc = BzEncoder::new(out, Compression::new(self.level));
        enc.write_all(&input).map_err(err)?;
        enc.finish().map_err(err)
    }

    fn decode(
        &self,
        input: Bytes,
        decoded: &BytesRepresentation,
        _options: &CodecOptions,
    ) -> Result<Bytes, CodecError> {
        let limit = match decoded.bound() {
            Some(b) => usize::try_from(b).unwrap_or(usize::MAX),
            None => usize::MAX - 1,
        };
        let initial = match decoded {
            BytesRepresentation::Fixed(_) => limit.saturating_add(1),
            _ => input.len().saturating_mul(4).max(4096),
        };
        let out = decompress_bounded(&input, limit, initial)?;
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

fn create(metadata: &MetadataV3) -> Result<Codec, PluginError> {
    let c: Bz2CodecConfiguration = metadata
        .to_configuration()
        .map_err(|m| PluginError::config(ExtensionKind::Codec, metadata.name(), m))?;
    check_level(metadata.name(), c.level)?;
    let name = ALIASES
        .iter()
        .copied()
        .find(|a| *a == metadata.name())
        .unwrap_or(NAME);
    Ok(Codec::BytesToBytes(Arc::new(Bz2Codec {
        name,
        level: c.level,
    })))
}

fn create_v2(config: &Map<String, Value>, _context: &CodecV2Context) -> Result<Codec, PluginError> {
    let c: Bz2CodecConfigurationNumcodecs =
        zarrkit_core::serde_json::from_value(Value::Object(config.clone()))
            .map_err(|e| PluginError::config(ExtensionKind::Codec, "bz2", e))?;
    check_level("bz2", c.level)?;
    Ok(Codec::BytesToBytes(Arc::new(Bz2Codec::new(c.level)?)))
}

zarrkit_core::inventory::submit! {
    CodecPlugin::new(NAME, create).with_aliases(ALIASES).with_v2(&["bz2"], create_v2)
}

#[cfg(test)]
mod tests;
