//! zarrkit plugin: the numcodecs `jenkins_lookup3` bytes→bytes checksum codec (Bob
//! Jenkins' lookup3 hash, as HDF5 uses it for its metadata checksums).
//!
//! - V3 name `numcodecs.jenkins_lookup3` (as zarr-python registers it; there is no
//!   zarr-extensions name). The bare `jenkins_lookup3` is accepted as an alias (an
//!   in-progress zarr-python writes it) and the name read is written back.
//! - Zarr V2 / numcodecs id `jenkins_lookup3`: `{"id": "jenkins_lookup3", "initval": 0,
//!   "prefix": null}`.
//!
//! # Configuration
//!
//! `initval` (the hash seed, an unsigned 32-bit integer, default 0) and `prefix` (bytes
//! hashed before the data but not stored, default none), both optional; the configuration
//! is written back as read. numcodecs cannot serialise a prefix (its `get_config` returns a
//! NumPy array, which is not JSON, and `from_config` wants a buffer), so in metadata written
//! by anyone else `prefix` is `null`. zarrkit also reads and writes it as a list of byte
//! values (`[70, 65, 68, 66]`), which numcodecs cannot read back.
//!
//! # Byte format
//!
//! As numcodecs' `JenkinsLookup3` writes it: `data || u32le(hash(prefix || data, initval))`,
//! always at the end (there is no `location`). The hash is lookup3's `hashlittle` in HDF5's
//! formulation (`H5_checksum_lookup3`), 32-bit wrapping arithmetic:
//!
//! - `a = b = c = 0xDEADBEEF + (len as u32) + initval`; an empty input hashes to `c`;
//! - while more than 12 bytes remain: add bytes 0–3, 4–7, 8–11 to `a`, `b`, `c` as
//!   little-endian words, `mix`, advance 12;
//! - the last 1–12 bytes, zero-padded to 12, are added the same way, then `final`; the
//!   hash is `c`.
//!
//! Decoding requires the 4 checksum bytes and a payload of the chunk's size, verifies the
//! checksum when [`CodecOptions::validate_checksums`] is on ([`CodecError::ChecksumMismatch`]
//! otherwise) and returns the payload as a slice of the input (no copy). numcodecs does not
//! check the length: a buffer shorter than 4 bytes fails there with an indexing error.

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
pub const NAME: &str = "numcodecs.jenkins_lookup3";
const ALIASES: &[&str] = &["jenkins_lookup3"];
/// The numcodecs (Zarr V2) id.
pub const V2_ID: &str = "jenkins_lookup3";

/// The size of the checksum in bytes.
pub const CHECKSUM_SIZE: usize = 4;

#[inline]
fn word(b: &[u8]) -> u32 {
    let mut w = [0u8; 4];
    w.copy_from_slice(&b[..4]);
    u32::from_le_bytes(w)
}

#[inline]
fn mix(a: &mut u32, b: &mut u32, c: &mut u32) {
    *a = a.wrapping_sub(*c);
    *a ^= c.rotate_left(4);
    *c = c.wrapping_add(*b);
    *b = b.wrapping_sub(*a);
    *b ^= a.rotate_left(6);
    *a = a.wrapping_add(*c);
    *c = c.wrapping_sub(*b);
    *c ^= b.rotate_left(8);
    *b = b.wrapping_add(*a);
    *a = a.wrapping_sub(*c);
    *a ^= c.rotate_left(16);
    *c = c.wrapping_add(*b);
    *b = b.wrapping_sub(*a);
    *b ^= a.rotate_left(19);
    *a = a.wrapping_add(*c);
    *c = c.wrapping_sub(*b);
    *c ^= b.rotate_left(4);
    *b = b.wrapping_add(*a);
}

#[inline]
fn final_mix(a: &mut u32, b: &mut u32, c: &mut u32) {
    *c ^= *b;
    *c = c.wrapping_sub(b.rotate_left(14));
    *a ^= *c;
    *a = a.wrapping_sub(c.rotate_left(11));
    *b ^= *a;
    *b = b.wrapping_sub(a.rotate_left(25));
    *c ^= *b;
    *c = c.wrapping_sub(b.rotate_left(16));
    *a ^= *c;
    *a = a.wrapping_sub(c.rotate_left(4));
    *b ^= *a;
    *b = b.wrapping_sub(a.rotate_left(14));
    *c ^= *b;
    *c = c.wrapping_sub(b.rotate_left(24));
}

/// Bob Jenkins' lookup3 `hashlittle` of `data` with seed `initval`, as HDF5's
/// `H5_checksum_lookup3` and numcodecs' `jenkins_lookup3` compute it.
pub fn jenkins_lookup3(data: &[u8], initval: u32) -> u32 {
    let init = 0xDEAD_BEEFu32
        .wrapping_add(data.len() as u32)
        .wrapping_add(initval);
    let (mut a, mut b, mut c) = (init, init, init);
    if data.is_empty() {
        return c;
    }
    // All blocks but the last (which has 1 to 12 bytes).
    let body = (data.len() - 1) / 12 * 12;
    let (blocks, tail) = data.split_at(body);
    for k in blocks.chunks_exact(12) {
        a = a.wrapping_add(word(&k[0..4]));
        b = b.wrapping_add(word(&k[4..8]));
        c = c.wrapping_add(word(&k[8..12]));
        mix(&mut a, &mut b, &mut c);
    }
    let mut k = [0u8; 12];
    k[..tail.len()].copy_from_slice(tail);
    a = a.wrapping_add(word(&k[0..4]));
    b = b.wrapping_add(word(&k[4..8]));
    c = c.wrapping_add(word(&k[8..12]));
    final_mix(&mut a, &mut b, &mut c);
    c
}

/// The `jenkins_lookup3` codec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JenkinsLookup3Codec {
    name: &'static str,
    initval: u32,
    prefix: Vec<u8>,
    /// The configuration as read (written back unchanged), `None` when absent.
    configuration: Option<Map<String, Value>>,
}

impl Default for JenkinsLookup3Codec {
    fn default() -> Self {
        Self::new(0)
    }
}

impl JenkinsLookup3Codec {
    /// numcodecs' `JenkinsLookup3(initval=initval)`: `{"initval": initval, "prefix": null}`.
    pub fn new(initval: u32) -> Self {
        let mut m = Map::new();
        m.insert("initval".into(), Value::from(initval));
        m.insert("prefix".into(), Value::Null);
        Self {
            name: NAME,
            initval,
            prefix: Vec::new(),
            configuration: Some(m),
        }
    }

    /// numcodecs' `JenkinsLookup3(initval, prefix)`: `prefix` is hashed before the data
    /// (HDF5 hashes a block's header with its payload). Written as a list of byte values,
    /// which only zarrkit reads.
    pub fn new_with_prefix(initval: u32, prefix: &[u8]) -> Self {
        let mut m = Map::new();
        m.insert("initval".into(), Value::from(initval));
        m.insert(
            "prefix".into(),
            Value::Array(prefix.iter().map(|&b| Value::from(b)).collect()),
        );
        Self {
            name: NAME,
            initval,
            prefix: prefix.to_vec(),
            configuration: Some(m),
        }
    }

    /// The hash seed.
    pub fn initval(&self) -> u32 {
        self.initval
    }

    /// The bytes hashed before the data.
    pub fn prefix(&self) -> &[u8] {
        &self.prefix
    }

    fn from_configuration(
        name: &'static str,
        configuration: Option<Map<String, Value>>,
    ) -> Result<Self, PluginError> {
        let err = |m: String| PluginError::config(ExtensionKind::Codec, name, m);
        let mut initval = 0u32;
        let mut prefix = Vec::new();
        for (k, v) in configuration.iter().flatten() {
            match k.as_str() {
                "initval" => {
                    initval = v
                        .as_u64()
                        .and_then(|x| u32::try_from(x).ok())
                        .ok_or_else(|| {
                            err(format!(
                                "initval must be an integer from 0 to 4294967295, got {v}"
                            ))
                        })?;
                }
                "prefix" => match v {
                    Value::Null => {}
                    Value::Array(items) => {
                        prefix.try_reserve_exact(items.len()).map_err(|e| {
                            err(format!(
                                "cannot allocate a prefix of {} bytes: {e}",
                                items.len()
                            ))
                        })?;
                        for x in items {
                            prefix.push(x.as_u64().and_then(|b| u8::try_from(b).ok()).ok_or_else(
                                || err(format!("prefix must hold byte values 0 to 255, got {x}")),
                            )?);
                        }
                    }
                    v => {
                        return Err(err(format!(
                            "prefix must be null or a list of byte values, got {v}"
                        )))
                    }
                },
                k => {
                    return Err(err(format!(
                        "unknown member {k:?} (jenkins_lookup3 takes initval, prefix)"
                    )))
                }
            }
        }
        Ok(Self {
            name,
            initval,
            prefix,
            configuration,
        })
    }

    fn hash(&self, data: &[u8]) -> Result<u32, CodecError> {
        if self.prefix.is_empty() {
            return Ok(jenkins_lookup3(data, self.initval));
        }
        let n = self.prefix.len().saturating_add(data.len());
        let mut all = Vec::new();
        all.try_reserve_exact(n)
            .map_err(|e| CodecError::allocation(self.name, format!("{n} bytes: {e}")))?;
        all.extend_from_slice(&self.prefix);
        all.extend_from_slice(data);
        Ok(jenkins_lookup3(&all, self.initval))
    }
}

fn plus_checksum(r: &BytesRepresentation) -> BytesRepresentation {
    match r {
        BytesRepresentation::Fixed(n) => BytesRepresentation::Fixed(n.saturating_add(4)),
        BytesRepresentation::Bounded(n) => BytesRepresentation::Bounded(n.saturating_add(4)),
        BytesRepresentation::Unbounded => BytesRepresentation::Unbounded,
    }
}

impl CodecTraits for JenkinsLookup3Codec {
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

impl BytesToBytesCodecTraits for JenkinsLookup3Codec {
    fn encoded_representation(&self, decoded: &BytesRepresentation) -> BytesRepresentation {
        plus_checksum(decoded)
    }

    fn encode(&self, mut input: Vec<u8>, _options: &CodecOptions) -> Result<Vec<u8>, CodecError> {
        let sum = self.hash(&input)?.to_le_bytes();
        input
            .try_reserve_exact(CHECKSUM_SIZE)
            .map_err(|e| CodecError::allocation(self.name, format!("4 more bytes: {e}")))?;
        input.extend_from_slice(&sum);
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
        let payload = input.slice(..payload_len);
        if options.validate_checksums {
            let stored = word(&input[payload_len..]);
            let computed = self.hash(&payload)?;
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
        JenkinsLookup3Codec::from_configuration(name, metadata.configuration().cloned())?,
    )))
}

fn create_v2(config: &Map<String, Value>, _context: &CodecV2Context) -> Result<Codec, PluginError> {
    let mut c = config.clone();
    c.remove("id");
    Ok(Codec::BytesToBytes(Arc::new(
        JenkinsLookup3Codec::from_configuration(NAME, Some(c))?,
    )))
}

zarrkit_core::inventory::submit! {
    CodecPlugin::new(NAME, create).with_aliases(ALIASES).with_v2(&[V2_ID], create_v2)
}

#[cfg(test)]
mod tests;
