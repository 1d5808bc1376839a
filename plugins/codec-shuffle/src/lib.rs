//! zarrkit plugin: the numcodecs `shuffle` bytes→bytes filter (byte shuffle).
//!
//! - V3 name `numcodecs.shuffle` (the zarr-extensions name; `shuffle` is accepted as an alias
//!   and the name read is written back), configuration `{"elementsize": N}` (default 4).
//! - Zarr V2 / numcodecs id `shuffle`: `{"id": "shuffle", "elementsize": N}`.
//!
//! With `elementsize` n > 1 and `count` = len / n elements, encoded byte `j * count + i` is
//! byte `j` of element `i` (all first bytes, then all second bytes, ...); decoding inverts
//! it. As in numcodecs, the length must be a multiple of `elementsize` (else an error), and
//! `elementsize` 0 or 1 copies the bytes unchanged.

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
pub const NAME: &str = "numcodecs.shuffle";
const ALIASES: &[&str] = &["shuffle"];

fn default_elementsize() -> usize {
    4
}

/// The configuration of the `shuffle` codec (Zarr V3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShuffleCodecConfiguration {
    /// The element size in bytes (default 4).
    #[serde(default = "default_elementsize")]
    pub elementsize: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ShuffleCodecConfigurationNumcodecs {
    #[allow(dead_code)]
    id: String,
    #[serde(default = "default_elementsize")]
    elementsize: usize,
}

/// The `shuffle` codec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShuffleCodec {
    name: &'static str,
    elementsize: usize,
}

impl ShuffleCodec {
    /// A shuffle codec for elements of `elementsize` bytes.
    pub fn new(elementsize: usize) -> Self {
        Self {
            name: NAME,
            elementsize,
        }
    }

    /// The element size.
    pub fn elementsize(&self) -> usize {
        self.elementsize
    }

    fn check(&self, len: usize) -> Result<(), CodecError> {
        if self.elementsize > 1 && !len.is_multiple_of(self.elementsize) {
            return Err(CodecError::new(
                NAME,
                format!(
                    "{len} bytes is not a multiple of the element size {}",
                    self.elementsize
                ),
            ));
        }
        Ok(())
    }
}

/// Shuffle `input` (a whole number of `n`-byte elements); the output is allocated
/// fallibly.
pub fn shuffle(input: &[u8], n: usize) -> Result<Vec<u8>, CodecError> {
    let mut out = zarrkit_core::codec::zeroed_for(input.len(), NAME)?;
    if n <= 1 {
        out.copy_from_slice(input);
        return Ok(out);
    }
    let count = input.len() / n;
    for (i, e) in input.chunks_exact(n).enumerate() {
        for (j, &b) in e.iter().enumerate() {
            out[j * count + i] = b;
        }
    }
    Ok(out)
}

/// Undo [`shuffle`].
pub fn unshuffle(input: &[u8], n: usize) -> Result<Vec<u8>, CodecError> {
    let mut out = zarrkit_core::codec::zeroed_for(input.len(), NAME)?;
    if n <= 1 {
        out.copy_from_slice(input);
        return Ok(out);
    }
    let count = input.len() / n;
    for (i, e) in out.chunks_exact_mut(n).enumerate() {
        for (j, b) in e.iter_mut().enumerate() {
            *b = input[j * count + i];
        }
    }
    Ok(out)
}

impl CodecTraits for ShuffleCodec {
    fn name(&self) -> &str {
        self.name
    }

    fn configuration(&self) -> Option<Map<String, Value>> {
        let mut m = Map::new();
        m.insert("elementsize".into(), Value::from(self.elementsize));
        Some(m)
    }
}

impl BytesToBytesCodecTraits for ShuffleCodec {
    fn encoded_representation(&self, decoded: &BytesRepresentation) -> BytesRepresentation {
        *decoded
    }

    fn encode(&self, input: Vec<u8>, _options: &CodecOptions) -> Result<Vec<u8>, CodecError> {
        self.check(input.len())?;
        shuffle(&input, self.elementsize)
    }

    fn decode(
        &self,
        input: Bytes,
        decoded: &BytesRepresentation,
        _options: &CodecOptions,
    ) -> Result<Bytes, CodecError> {
        let len = input.len() as u64;
        match decoded {
            BytesRepresentation::Fixed(n) if len != *n => {
                return Err(CodecError::UnexpectedSize {
                    codec: NAME.into(),
                    expected: *n,
                    actual: len,
                })
            }
            BytesRepresentation::Bounded(n) if len > *n => {
                return Err(CodecError::new(
                    NAME,
                    format!("{len} bytes exceed the decoded bound of {n}"),
                ))
            }
            _ => {}
        }
        self.check(input.len())?;
        Ok(unshuffle(&input, self.elementsize)?.into())
    }
}

fn create(metadata: &MetadataV3) -> Result<Codec, PluginError> {
    let c: ShuffleCodecConfiguration = metadata
        .to_configuration()
        .map_err(|m| PluginError::config(ExtensionKind::Codec, metadata.name(), m))?;
    let name = ALIASES
        .iter()
        .copied()
        .find(|a| *a == metadata.name())
        .unwrap_or(NAME);
    Ok(Codec::BytesToBytes(Arc::new(ShuffleCodec {
        name,
        elementsize: c.elementsize,
    })))
}

fn create_v2(config: &Map<String, Value>, _context: &CodecV2Context) -> Result<Codec, PluginError> {
    let c: ShuffleCodecConfigurationNumcodecs =
        zarrkit_core::serde_json::from_value(Value::Object(config.clone()))
            .map_err(|e| PluginError::config(ExtensionKind::Codec, "shuffle", e))?;
    Ok(Codec::BytesToBytes(Arc::new(ShuffleCodec::new(
        c.elementsize,
    ))))
}

zarrkit_core::inventory::submit! {
    CodecPlugin::new(NAME, create).with_aliases(ALIASES).with_v2(&["shuffle"], create_v2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use zarrkit_core::registry::{create_codec, create_codec_v2};

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn opts() -> CodecOptions {
        CodecOptions::default()
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len() / 2)
            .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap_or(0))
            .collect()
    }

    /// The reference data: `b"zarrkit reference vector " * 4 + bytes(range(64))`.
    const DATA: &str = concat!(
        "7a6172726b6974207265666572656e636520766563746f72207a6172726b6974207265666572656e63652076",
        "6563746f72207a6172726b6974207265666572656e636520766563746f72207a6172726b6974207265666572",
        "656e636520766563746f7220000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
        "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f",
    );

    /// numcodecs 0.16.6 `Shuffle(4).encode(DATA[:164])`.
    const SHUFFLED4: &str = concat!(
        "7a6b72726563207220656365727274666e766f6169656520740004080c1014181c2024282c3034383c616965",
        "6520747a6b72726563207220656365727274666e766f0105090d1115191d2125292d3135393d7274666e766f",
        "6169656520747a6b727265632072206563657202060a0e12161a1e22262a2e32363a3e722065636572727466",
        "6e766f6169656520747a6b727265632003070b0f13171b1f23272b2f33373b3f",
    );

    /// numcodecs 0.16.6 `Shuffle(8).encode(DATA[:160])`.
    const SHUFFLED8: &str = concat!(
        "7a726520206372746e6f696574040c141c242c346165207a726520206372746e6f050d151d252d3572667661",
        "65207a726520206372060e161e262e367265657266766165207a726520070f171f272f376b72637265657266",
        "7661652000081018202830386965746b72637265657266760109111921293139746e6f6965746b7263726565",
        "020a121a222a323a206372746e6f6965746b7263030b131b232b333b",
    );

    #[test]
    fn matches_numcodecs_exactly() -> TestResult {
        let data = hex(DATA);
        for (n, len, r) in [(4, 164, SHUFFLED4), (8, 160, SHUFFLED8)] {
            let c = ShuffleCodec::new(n);
            let input = data[..len].to_vec();
            assert_eq!(c.encode(input.clone(), &opts())?, hex(r));
            let repr = BytesRepresentation::Fixed(len as u64);
            assert_eq!(c.decode(hex(r).into(), &repr, &opts())?, input);
        }
        Ok(())
    }

    #[test]
    fn bad_lengths_are_errors() -> TestResult {
        let c = ShuffleCodec::new(8);
        let r = hex(SHUFFLED8);
        // Not a multiple of the element size.
        assert!(c
            .decode(
                r[..159].to_vec().into(),
                &BytesRepresentation::Unbounded,
                &opts()
            )
            .is_err());
        assert!(c.encode(vec![0; 9], &opts()).is_err());
        // Not the size the chunk needs, or over its bound.
        assert!(matches!(
            c.decode(r.clone().into(), &BytesRepresentation::Fixed(168), &opts()),
            Err(CodecError::UnexpectedSize { .. })
        ));
        assert!(c
            .decode(r.into(), &BytesRepresentation::Bounded(152), &opts())
            .is_err());
        // Element size 0 and 1 copy.
        for n in [0, 1] {
            let c = ShuffleCodec::new(n);
            assert_eq!(c.encode(vec![1, 2, 3], &opts())?, vec![1, 2, 3]);
            assert_eq!(
                c.decode(
                    vec![1, 2, 3].into(),
                    &BytesRepresentation::Fixed(3),
                    &opts()
                )?,
                vec![1, 2, 3]
            );
        }
        Ok(())
    }

    #[test]
    fn configuration() -> TestResult {
        for (json, name, n) in [
            (
                r#"{"name":"numcodecs.shuffle","configuration":{"elementsize":8}}"#,
                "numcodecs.shuffle",
                8,
            ),
            (r#"{"name":"shuffle"}"#, "shuffle", 4),
        ] {
            let m: MetadataV3 = zarrkit_core::serde_json::from_str(json)?;
            let c = create_codec(&m)?;
            assert_eq!(c.name(), name);
            assert_eq!(
                zarrkit_core::serde_json::to_value(c.metadata())?["configuration"]["elementsize"],
                n
            );
        }
        for bad in [
            r#"{"name":"shuffle","configuration":{"elementsize":-1}}"#,
            r#"{"name":"shuffle","configuration":{"elementsize":4,"x":1}}"#,
        ] {
            let m: MetadataV3 = zarrkit_core::serde_json::from_str(bad)?;
            assert!(create_codec(&m).is_err(), "{bad}");
        }
        let v2: Map<String, Value> =
            zarrkit_core::serde_json::from_str(r#"{"id":"shuffle","elementsize":8}"#)?;
        let Codec::BytesToBytes(c) = create_codec_v2(&v2)? else {
            return Err("not bytes-to-bytes".into());
        };
        assert_eq!(
            c.encode(hex(DATA)[..160].to_vec(), &opts())?,
            hex(SHUFFLED8)
        );
        let v2: Map<String, Value> =
            zarrkit_core::serde_json::from_str(r#"{"id":"shuffle","q":8}"#)?;
        assert!(create_codec_v2(&v2).is_err());
        Ok(())
    }

    proptest! {
        #[test]
        fn round_trip(n in 0usize..20, count in 0usize..100, seed in any::<u8>()) {
            let len = n.max(1) * count;
            let data: Vec<u8> = (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect();
            let c = ShuffleCodec::new(n);
            let enc = c.encode(data.clone(), &opts()).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(enc.len(), len);
            let dec = c.decode(enc.into(), &BytesRepresentation::Fixed(len as u64), &opts()).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(dec, data);
        }

        #[test]
        fn arbitrary_input_never_panics(data in prop::collection::vec(any::<u8>(), 0..300), n in 0usize..17) {
            let _ = ShuffleCodec::new(n).decode(data.into(), &BytesRepresentation::Unbounded, &opts());
        }
    }
}
