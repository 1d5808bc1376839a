//! zarrkit plugin: the numcodecs `base64` bytes→bytes codec.
//!
//! - V3 name `numcodecs.base64`. zarr-python registers no V3 codec for `base64` (it is not
//!   among its 21 `numcodecs.*` names), so no other implementation writes or reads it in V3;
//!   the name follows zarrkit's rule for numcodecs codecs without a zarr-extensions name
//!   (`numcodecs.<id>`, which is also what zarr-python's wrapper scheme would call it), and
//!   the bare `base64` is accepted as an alias (the name read is written back).
//! - Zarr V2 / numcodecs id `base64`: `{"id": "base64"}`.
//!
//! Configuration: none (`{}` or absent; written back as read).
//!
//! # Byte format
//!
//! As numcodecs' `Base64` writes it (Python's `base64.standard_b64encode`): RFC 4648 §4,
//! the standard alphabet `A–Z a–z 0–9 + /`, `=` padding, no line breaks; `n` bytes encode
//! to `4 · ceil(n / 3)`.
//!
//! # Decoding
//!
//! Exactly what numcodecs reads (Python's `standard_b64decode`, i.e. `binascii.a2b_base64`
//! in its non-strict mode), so everything it decodes decodes the same here:
//!
//! - bytes outside the alphabet (line breaks, spaces, `-`, `_`, non-ASCII) are skipped;
//! - `=` before the second character of a quantum is skipped; once the padding completes a
//!   quantum (`xx==`, `xxx=`, with skipped bytes in between allowed) decoding stops and the
//!   rest of the input is ignored;
//! - the low bits of a final partial quantum are dropped even when not zero;
//! - a final quantum of one character ("1 more than a multiple of 4") and a partial
//!   quantum without its padding ("incorrect padding") are errors.
//!
//! The decoded size is computed before anything is allocated and checked against the
//! decoded representation (exactly for a chunk of known size, as a maximum otherwise); then
//! the output is allocated once at that size and decoded. Base64 detects no corruption: a
//! changed character decodes to other bytes (of the same size).

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
pub const NAME: &str = "numcodecs.base64";
const ALIASES: &[&str] = &["base64"];
/// The numcodecs (Zarr V2) id.
pub const V2_ID: &str = "base64";

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const PAD: u8 = b'=';
const INVALID: u8 = 0xff;

/// Byte → 6-bit value, [`INVALID`] outside the alphabet.
const DECODE: [u8; 256] = {
    let mut t = [INVALID; 256];
    let mut i = 0;
    while i < 64 {
        t[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    t
};

/// The base64 encoding of `data` (standard alphabet, padded).
pub fn encode(data: &[u8]) -> Result<Vec<u8>, CodecError> {
    let n = encoded_len(data.len() as u64);
    let n = usize::try_from(n).map_err(|_| CodecError::allocation(NAME, format!("{n} bytes")))?;
    let mut out = Vec::new();
    out.try_reserve_exact(n)
        .map_err(|e| CodecError::allocation(NAME, format!("{n} bytes: {e}")))?;
    let sym = |v: u32| ALPHABET[(v & 0x3f) as usize];
    let mut groups = data.chunks_exact(3);
    for g in groups.by_ref() {
        let v = u32::from(g[0]) << 16 | u32::from(g[1]) << 8 | u32::from(g[2]);
        out.extend_from_slice(&[sym(v >> 18), sym(v >> 12), sym(v >> 6), sym(v)]);
    }
    match *groups.remainder() {
        [a] => {
            let v = u32::from(a) << 16;
            out.extend_from_slice(&[sym(v >> 18), sym(v >> 12), PAD, PAD]);
        }
        [a, b] => {
            let v = u32::from(a) << 16 | u32::from(b) << 8;
            out.extend_from_slice(&[sym(v >> 18), sym(v >> 12), sym(v >> 6), PAD]);
        }
        _ => {}
    }
    Ok(out)
}

/// The encoded size of `n` bytes.
pub fn encoded_len(n: u64) -> u64 {
    n.div_ceil(3).saturating_mul(4)
}

/// Where decoded bytes go: counted (first pass) or stored (second pass).
trait Sink {
    fn push(&mut self, b: u8);
    fn push3(&mut self, b: [u8; 3]);
}

struct Count(usize);

impl Sink for Count {
    #[inline]
    fn push(&mut self, _: u8) {
        self.0 += 1;
    }
    #[inline]
    fn push3(&mut self, _: [u8; 3]) {
        self.0 += 3;
    }
}

impl Sink for Vec<u8> {
    #[inline]
    fn push(&mut self, b: u8) {
        Vec::push(self, b);
    }
    #[inline]
    fn push3(&mut self, b: [u8; 3]) {
        self.extend_from_slice(&b);
    }
}

/// CPython's non-strict `a2b_base64`, writing into `out`.
fn decode_into(input: &[u8], out: &mut impl Sink) -> Result<(), String> {
    let (mut quad_pos, mut pads, mut left, mut data_chars) = (0u8, 0u8, 0u32, 0usize);
    let mut i = 0;
    while i < input.len() {
        // Whole quanta of alphabet characters (all of canonical input but its end).
        if quad_pos == 0 {
            while let Some(q) = input.get(i..i + 4) {
                let (a, b, c, d) = (
                    DECODE[usize::from(q[0])],
                    DECODE[usize::from(q[1])],
                    DECODE[usize::from(q[2])],
                    DECODE[usize::from(q[3])],
                );
                if (a | b | c | d) & 0xc0 != 0 {
                    break;
                }
                let v = u32::from(a) << 18 | u32::from(b) << 12 | u32::from(c) << 6 | u32::from(d);
                out.push3([(v >> 16) as u8, (v >> 8) as u8, v as u8]);
                pads = 0;
                data_chars += 4;
                i += 4;
            }
            if i >= input.len() {
                break;
            }
        }
        let ch = input[i];
        i += 1;
        if ch == PAD {
            if quad_pos >= 2 {
                pads += 1;
                if quad_pos + pads >= 4 {
                    // The padding completes the quantum: the rest is ignored.
                    return Ok(());
                }
            }
            continue;
        }
        let v = DECODE[usize::from(ch)];
        if v == INVALID {
            continue;
        }
        pads = 0;
        data_chars += 1;
        let v = u32::from(v);
        match quad_pos {
            0 => {
                left = v;
                quad_pos = 1;
            }
            1 => {
                out.push(((left << 2) | (v >> 4)) as u8);
                left = v & 0x0f;
                quad_pos = 2;
            }
            2 => {
                out.push(((left << 4) | (v >> 2)) as u8);
                left = v & 0x03;
                quad_pos = 3;
            }
            _ => {
                out.push(((left << 6) | v) as u8);
                left = 0;
                quad_pos = 0;
            }
        }
    }
    match quad_pos {
        0 => Ok(()),
        1 => Err(format!(
            "invalid base64: the number of data characters ({}) cannot be 1 more than a \
             multiple of 4",
            data_chars / 4 * 4 + 1
        )),
        _ => Err("invalid base64: incorrect padding (truncated?)".into()),
    }
}

/// The bytes numcodecs' `Base64().decode` (Python's `standard_b64decode`) makes of `input`.
pub fn decode(input: &[u8]) -> Result<Vec<u8>, CodecError> {
    decode_bounded(input, &BytesRepresentation::Unbounded, NAME)
}

fn decode_bounded(
    input: &[u8],
    decoded: &BytesRepresentation,
    codec: &str,
) -> Result<Vec<u8>, CodecError> {
    let mut count = Count(0);
    decode_into(input, &mut count).map_err(|m| CodecError::new(codec, m))?;
    let n = count.0;
    match decoded {
        BytesRepresentation::Fixed(f) if n as u64 != *f => {
            return Err(CodecError::UnexpectedSize {
                codec: codec.into(),
                expected: *f,
                actual: n as u64,
            })
        }
        BytesRepresentation::Bounded(b) if n as u64 > *b => {
            return Err(CodecError::new(
                codec,
                format!("the decoded data ({n} bytes) is larger than its bound of {b} bytes"),
            ))
        }
        _ => {}
    }
    let mut out = Vec::new();
    out.try_reserve_exact(n)
        .map_err(|e| CodecError::allocation(codec, format!("{n} bytes: {e}")))?;
    decode_into(input, &mut out).map_err(|m| CodecError::new(codec, m))?;
    Ok(out)
}

/// The `base64` codec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Base64Codec {
    name: &'static str,
    /// The configuration as read (empty), `None` when absent.
    configuration: Option<Map<String, Value>>,
}

impl Default for Base64Codec {
    fn default() -> Self {
        Self::new()
    }
}

impl Base64Codec {
    /// numcodecs' `Base64()`, configuration `{}`.
    pub fn new() -> Self {
        Self {
            name: NAME,
            configuration: Some(Map::new()),
        }
    }

    fn from_configuration(
        name: &'static str,
        configuration: Option<Map<String, Value>>,
    ) -> Result<Self, PluginError> {
        if let Some(k) = configuration.iter().flatten().map(|(k, _)| k).next() {
            return Err(PluginError::config(
                ExtensionKind::Codec,
                name,
                format!("unknown member {k:?} (base64 has no configuration)"),
            ));
        }
        Ok(Self {
            name,
            configuration,
        })
    }
}

impl CodecTraits for Base64Codec {
    fn name(&self) -> &str {
        self.name
    }

    fn configuration(&self) -> Option<Map<String, Value>> {
        self.configuration.clone()
    }

    fn configuration_v2(&self) -> Option<Map<String, Value>> {
        let mut m = Map::new();
        m.insert("id".into(), Value::from(V2_ID));
        Some(m)
    }
}

impl BytesToBytesCodecTraits for Base64Codec {
    fn encoded_representation(&self, decoded: &BytesRepresentation) -> BytesRepresentation {
        match decoded {
            BytesRepresentation::Fixed(n) => BytesRepresentation::Fixed(encoded_len(*n)),
            BytesRepresentation::Bounded(n) => BytesRepresentation::Bounded(encoded_len(*n)),
            BytesRepresentation::Unbounded => BytesRepresentation::Unbounded,
        }
    }

    fn encode(&self, input: Vec<u8>, _options: &CodecOptions) -> Result<Vec<u8>, CodecError> {
        encode(&input)
    }

    fn decode(
        &self,
        input: Bytes,
        decoded: &BytesRepresentation,
        _options: &CodecOptions,
    ) -> Result<Bytes, CodecError> {
        decode_bounded(&input, decoded, self.name).map(Bytes::from)
    }
}

fn create(metadata: &MetadataV3) -> Result<Codec, PluginError> {
    let name = ALIASES
        .iter()
        .copied()
        .find(|a| *a == metadata.name())
        .unwrap_or(NAME);
    Ok(Codec::BytesToBytes(Arc::new(
        Base64Codec::from_configuration(name, metadata.configuration().cloned())?,
    )))
}

fn create_v2(config: &Map<String, Value>, _context: &CodecV2Context) -> Result<Codec, PluginError> {
    let mut c = config.clone();
    c.remove("id");
    Ok(Codec::BytesToBytes(Arc::new(
        Base64Codec::from_configuration(NAME, Some(c))?,
    )))
}

zarrkit_core::inventory::submit! {
    CodecPlugin::new(NAME, create).with_aliases(ALIASES).with_v2(&[V2_ID], create_v2)
}

#[cfg(test)]
mod tests;
