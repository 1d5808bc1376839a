//! zarrkit plugin: the numcodecs `fletcher32` bytes→bytes checksum codec.
//!
//! - V3 name `numcodecs.fletcher32` (the zarr-extensions name; `fletcher32` is accepted as an
//!   alias and the name read is written back), configuration `{}`.
//! - Zarr V2 / numcodecs id `fletcher32`: `{"id": "fletcher32"}`.
//!
//! As numcodecs' `Fletcher32` writes it: HDF5's Fletcher-32 of the data (16-bit words read
//! big-endian, an odd last byte as the high byte of a word, sums folded with end-around
//! carry, so a sum may be `0xffff` where a plain modulo gives 0), appended as a 4-byte
//! **little-endian** integer. Decoding verifies it when
//! [`CodecOptions::validate_checksums`] is on and strips it.

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
pub const NAME: &str = "numcodecs.fletcher32";
const ALIASES: &[&str] = &["fletcher32"];

/// The size of the checksum in bytes.
pub const CHECKSUM_SIZE: usize = 4;

/// The configuration of the codec (empty).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fletcher32CodecConfiguration {}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Fletcher32CodecConfigurationNumcodecs {
    #[allow(dead_code)]
    id: String,
}

/// The `fletcher32` codec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fletcher32Codec {
    name: &'static str,
}

impl Default for Fletcher32Codec {
    fn default() -> Self {
        Self::new()
    }
}

impl Fletcher32Codec {
    /// The codec.
    pub fn new() -> Self {
        Self { name: NAME }
    }
}

/// HDF5's (and numcodecs') Fletcher-32 checksum.
pub fn fletcher32(data: &[u8]) -> u32 {
    let (mut sum1, mut sum2) = (0u32, 0u32);
    // 360 words keep both sums within u32 before folding.
    for block in data.chunks(720) {
        for w in block.chunks_exact(2) {
            sum1 = sum1.wrapping_add((u32::from(w[0]) << 8) | u32::from(w[1]));
            sum2 = sum2.wrapping_add(sum1);
        }
        if block.len() % 2 == 1 {
            // Only the last block can be odd.
            sum1 = sum1.wrapping_add(u32::from(block[block.len() - 1]) << 8);
            sum2 = sum2.wrapping_add(sum1);
        }
        sum1 = (sum1 & 0xffff) + (sum1 >> 16);
        sum2 = (sum2 & 0xffff) + (sum2 >> 16);
    }
    sum1 = (sum1 & 0xffff) + (sum1 >> 16);
    sum2 = (sum2 & 0xffff) + (sum2 >> 16);
    (sum2 << 16) | sum1
}

impl CodecTraits for Fletcher32Codec {
    fn name(&self) -> &str {
        self.name
    }

    fn configuration(&self) -> Option<Map<String, Value>> {
        Some(Map::new())
    }
}

impl BytesToBytesCodecTraits for Fletcher32Codec {
    fn encoded_representation(&self, decoded: &BytesRepresentation) -> BytesRepresentation {
        match decoded {
            BytesRepresentation::Fixed(n) => BytesRepresentation::Fixed(n.saturating_add(4)),
            BytesRepresentation::Bounded(n) => BytesRepresentation::Bounded(n.saturating_add(4)),
            BytesRepresentation::Unbounded => BytesRepresentation::Unbounded,
        }
    }

    fn encode(&self, mut input: Vec<u8>, _options: &CodecOptions) -> Result<Vec<u8>, CodecError> {
        let sum = fletcher32(&input).to_le_bytes();
        input
            .try_reserve_exact(CHECKSUM_SIZE)
            .map_err(|e| CodecError::new(NAME, format!("cannot allocate: {e}")))?;
        input.extend_from_slice(&sum);
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
                NAME,
                format!("{} bytes is shorter than the 4-byte checksum", input.len()),
            ));
        }
        let n = input.len() - CHECKSUM_SIZE;
        match decoded {
            BytesRepresentation::Fixed(b) if n as u64 != *b => {
                return Err(CodecError::UnexpectedSize {
                    codec: NAME.into(),
                    expected: *b,
                    actual: n as u64,
                })
            }
            BytesRepresentation::Bounded(b) if n as u64 > *b => {
                return Err(CodecError::new(
                    NAME,
                    format!("{n} bytes exceed the decoded bound of {b}"),
                ))
            }
            _ => {}
        }
        if options.validate_checksums {
            let s = &input[n..];
            let stored = u32::from_le_bytes([s[0], s[1], s[2], s[3]]);
            let computed = fletcher32(&input[..n]);
            if stored != computed {
                return Err(CodecError::ChecksumMismatch {
                    codec: NAME.into(),
                    stored: u64::from(stored),
                    computed: u64::from(computed),
                });
            }
        }
        input.truncate(n);
        Ok(input)
    }
}

fn create(metadata: &MetadataV3) -> Result<Codec, PluginError> {
    let _: Fletcher32CodecConfiguration = metadata
        .to_configuration()
        .map_err(|m| PluginError::config(ExtensionKind::Codec, metadata.name(), m))?;
    let name = ALIASES
        .iter()
        .copied()
        .find(|a| *a == metadata.name())
        .unwrap_or(NAME);
    Ok(Codec::BytesToBytes(Arc::new(Fletcher32Codec { name })))
}

fn create_v2(config: &Map<String, Value>, _context: &CodecV2Context) -> Result<Codec, PluginError> {
    let _: Fletcher32CodecConfigurationNumcodecs =
        zarrkit_core::serde_json::from_value(Value::Object(config.clone()))
            .map_err(|e| PluginError::config(ExtensionKind::Codec, "fletcher32", e))?;
    Ok(Codec::BytesToBytes(Arc::new(Fletcher32Codec::new())))
}

zarrkit_core::inventory::submit! {
    CodecPlugin::new(NAME, create).with_aliases(ALIASES).with_v2(&["fletcher32"], create_v2)
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

    /// numcodecs 0.16.6 `Fletcher32().encode(DATA)`.
    const REFERENCE: &str = concat!(
        "7a6172726b6974207265666572656e636520766563746f72207a6172726b6974207265666572656e63652076",
        "6563746f72207a6172726b6974207265666572656e636520766563746f72207a6172726b6974207265666572",
        "656e636520766563746f7220000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
        "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f6949f44d",
    );

    /// numcodecs 0.16.6 `Fletcher32().encode(DATA[:33])` (an odd length).
    const REFERENCE_ODD: &str =
        "7a6172726b6974207265666572656e636520766563746f72207a6172726b6974202ab23dcb";

    #[test]
    fn matches_numcodecs_exactly() -> TestResult {
        let data = hex(DATA);
        let c = Fletcher32Codec::new();
        for (input, r) in [
            (data.clone(), REFERENCE),
            (data[..33].to_vec(), REFERENCE_ODD),
        ] {
            assert_eq!(c.encode(input.clone(), &opts())?, hex(r));
            let fixed = BytesRepresentation::Fixed(input.len() as u64);
            assert_eq!(c.decode(hex(r).into(), &fixed, &opts())?, input);
        }
        // numcodecs: Fletcher32().encode(b"\xff" * 100)[-4:] == ff ff ff ff (end-around
        // carry keeps 0xffff), and b"\xff" * 3 gives 00 ff 00 ff.
        assert_eq!(fletcher32(&[0xff; 100]).to_le_bytes(), [0xff; 4]);
        assert_eq!(
            fletcher32(&[0xff; 3]).to_le_bytes(),
            [0x00, 0xff, 0x00, 0xff]
        );
        // Large inputs (several 360-word blocks) agree with a direct computation.
        let big: Vec<u8> = (0..10_001u32).map(|i| (i * 7919 % 251) as u8).collect();
        let (mut s1, mut s2) = (0u64, 0u64);
        for w in big.chunks(2) {
            let v = (u64::from(w[0]) << 8) | w.get(1).map_or(0, |&b| u64::from(b));
            s1 = (s1 + v) % 65535;
            s2 = (s2 + s1) % 65535;
        }
        let f = fletcher32(&big);
        assert_eq!(
            (u64::from(f & 0xffff) % 65535, u64::from(f >> 16) % 65535),
            (s1, s2)
        );
        Ok(())
    }

    #[test]
    fn corrupt_input_is_an_error() -> TestResult {
        let c = Fletcher32Codec::new();
        let good = hex(REFERENCE);
        let un = BytesRepresentation::Unbounded;
        for i in [0, 1, 77, good.len() - 4, good.len() - 1] {
            let mut bad = good.clone();
            bad[i] ^= 0x20;
            assert!(
                matches!(
                    c.decode(bad.into(), &un, &opts()),
                    Err(CodecError::ChecksumMismatch { .. })
                ),
                "{i}"
            );
        }
        for n in 0..4 {
            assert!(c.decode(good[..n].to_vec().into(), &un, &opts()).is_err());
        }
        assert!(c.decode(good[1..].to_vec().into(), &un, &opts()).is_err());
        assert!(c
            .decode(
                good.clone().into(),
                &BytesRepresentation::Fixed(10),
                &opts()
            )
            .is_err());
        assert!(c
            .decode(good.into(), &BytesRepresentation::Bounded(10), &opts())
            .is_err());
        Ok(())
    }

    #[test]
    fn configuration() -> TestResult {
        for (json, name) in [
            (r#"{"name":"numcodecs.fletcher32"}"#, "numcodecs.fletcher32"),
            (r#"{"name":"fletcher32","configuration":{}}"#, "fletcher32"),
        ] {
            let m: MetadataV3 = zarrkit_core::serde_json::from_str(json)?;
            assert_eq!(create_codec(&m)?.name(), name);
        }
        let m: MetadataV3 = zarrkit_core::serde_json::from_str(
            r#"{"name":"fletcher32","configuration":{"location":"end"}}"#,
        )?;
        assert!(create_codec(&m).is_err());
        let v2: Map<String, Value> = zarrkit_core::serde_json::from_str(r#"{"id":"fletcher32"}"#)?;
        assert_eq!(create_codec_v2(&v2)?.name(), NAME);
        Ok(())
    }

    proptest! {
        #[test]
        fn round_trip(data in prop::collection::vec(any::<u8>(), 0..3000)) {
            let c = Fletcher32Codec::new();
            let n = data.len() as u64;
            let enc = c.encode(data.clone(), &opts()).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let dec = c.decode(enc.into(), &BytesRepresentation::Fixed(n), &opts()).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(dec, data);
        }

        #[test]
        fn arbitrary_input_never_panics(data in prop::collection::vec(any::<u8>(), 0..100)) {
            let _ = Fletcher32Codec::new().decode(data.into(), &BytesRepresentation::Unbounded, &opts());
        }
    }
}
