//! zarrkit plugin: the numcodecs `adler32` bytes→bytes checksum codec.
//!
//! - V3 name `numcodecs.adler32` (the zarr-extensions name; `adler32` is accepted as an
//!   alias and the name read is written back), configuration `{}` or
//!   `{"location": "start" | "end"}`.
//! - Zarr V2 / numcodecs id `adler32`: `{"id": "adler32", "location": ...}`.
//!
//! As numcodecs' `Adler32` writes it: the Adler-32 (zlib's, initial value 1) of the data as
//! a 4-byte **little-endian** integer, placed at the **start** of the data by default
//! (`location: "end"` appends it). Decoding verifies it when
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
pub const NAME: &str = "numcodecs.adler32";
const ALIASES: &[&str] = &["adler32"];

/// The size of the checksum in bytes.
pub const CHECKSUM_SIZE: usize = 4;

/// Where the checksum is stored relative to the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChecksumLocation {
    /// Before the data (numcodecs' default for `Adler32`).
    #[default]
    Start,
    /// After the data.
    End,
}

/// The configuration of the codec (Zarr V3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Adler32CodecConfiguration {
    /// Where the checksum is stored (`start` when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<ChecksumLocation>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Adler32CodecConfigurationNumcodecs {
    #[allow(dead_code)]
    id: String,
    #[serde(default)]
    location: Option<ChecksumLocation>,
}

/// The `adler32` codec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adler32Codec {
    name: &'static str,
    location: Option<ChecksumLocation>,
}

impl Default for Adler32Codec {
    fn default() -> Self {
        Self::new()
    }
}

impl Adler32Codec {
    /// The codec with numcodecs' default location (start).
    pub fn new() -> Self {
        Self {
            name: NAME,
            location: None,
        }
    }

    /// The codec with the checksum at `location`.
    pub fn new_with_location(location: ChecksumLocation) -> Self {
        Self {
            name: NAME,
            location: Some(location),
        }
    }

    /// Where the checksum is stored.
    pub fn location(&self) -> ChecksumLocation {
        self.location.unwrap_or_default()
    }
}

/// The Adler-32 checksum of `data` (RFC 1950, initial value 1).
pub fn adler32(data: &[u8]) -> u32 {
    const MOD: u32 = 65521;
    // The largest n such that 255 n (n + 1) / 2 + (n + 1) (MOD - 1) fits in u32.
    const NMAX: usize = 5552;
    let (mut a, mut b) = (1u32, 0u32);
    for block in data.chunks(NMAX) {
        for &x in block {
            a += u32::from(x);
            b += a;
        }
        a %= MOD;
        b %= MOD;
    }
    (b << 16) | a
}

fn plus_checksum(r: &BytesRepresentation) -> BytesRepresentation {
    match r {
        BytesRepresentation::Fixed(n) => BytesRepresentation::Fixed(n.saturating_add(4)),
        BytesRepresentation::Bounded(n) => BytesRepresentation::Bounded(n.saturating_add(4)),
        BytesRepresentation::Unbounded => BytesRepresentation::Unbounded,
    }
}

impl CodecTraits for Adler32Codec {
    fn name(&self) -> &str {
        self.name
    }

    fn configuration(&self) -> Option<Map<String, Value>> {
        let mut m = Map::new();
        if let Some(l) = self.location {
            let v = match l {
                ChecksumLocation::Start => "start",
                ChecksumLocation::End => "end",
            };
            m.insert("location".into(), Value::from(v));
        }
        Some(m)
    }
}

impl BytesToBytesCodecTraits for Adler32Codec {
    fn encoded_representation(&self, decoded: &BytesRepresentation) -> BytesRepresentation {
        plus_checksum(decoded)
    }

    fn encode(&self, mut input: Vec<u8>, _options: &CodecOptions) -> Result<Vec<u8>, CodecError> {
        let sum = adler32(&input).to_le_bytes();
        input
            .try_reserve_exact(CHECKSUM_SIZE)
            .map_err(|e| CodecError::new(NAME, format!("cannot allocate: {e}")))?;
        match self.location() {
            ChecksumLocation::End => input.extend_from_slice(&sum),
            ChecksumLocation::Start => {
                input.splice(0..0, sum);
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
                NAME,
                format!("{} bytes is shorter than the 4-byte checksum", input.len()),
            ));
        }
        let payload_len = (input.len() - CHECKSUM_SIZE) as u64;
        match decoded {
            BytesRepresentation::Fixed(n) if payload_len != *n => {
                return Err(CodecError::UnexpectedSize {
                    codec: NAME.into(),
                    expected: *n,
                    actual: payload_len,
                })
            }
            BytesRepresentation::Bounded(n) if payload_len > *n => {
                return Err(CodecError::new(
                    NAME,
                    format!("{payload_len} bytes exceed the decoded bound of {n}"),
                ))
            }
            _ => {}
        }
        let (sum_at, payload) = match self.location() {
            ChecksumLocation::Start => (0, CHECKSUM_SIZE..input.len()),
            ChecksumLocation::End => (input.len() - CHECKSUM_SIZE, 0..input.len() - CHECKSUM_SIZE),
        };
        if options.validate_checksums {
            let s = &input[sum_at..sum_at + CHECKSUM_SIZE];
            let stored = u32::from_le_bytes([s[0], s[1], s[2], s[3]]);
            let computed = adler32(&input[payload.clone()]);
            if stored != computed {
                return Err(CodecError::ChecksumMismatch {
                    codec: NAME.into(),
                    stored: u64::from(stored),
                    computed: u64::from(computed),
                });
            }
        }
        match self.location() {
            ChecksumLocation::Start => {
                input = input.slice(CHECKSUM_SIZE..);
            }
            ChecksumLocation::End => input.truncate(payload.end),
        }
        Ok(input)
    }
}

fn create(metadata: &MetadataV3) -> Result<Codec, PluginError> {
    let c: Adler32CodecConfiguration = metadata
        .to_configuration()
        .map_err(|m| PluginError::config(ExtensionKind::Codec, metadata.name(), m))?;
    let name = ALIASES
        .iter()
        .copied()
        .find(|a| *a == metadata.name())
        .unwrap_or(NAME);
    Ok(Codec::BytesToBytes(Arc::new(Adler32Codec {
        name,
        location: c.location,
    })))
}

fn create_v2(config: &Map<String, Value>, _context: &CodecV2Context) -> Result<Codec, PluginError> {
    let c: Adler32CodecConfigurationNumcodecs =
        zarrkit_core::serde_json::from_value(Value::Object(config.clone()))
            .map_err(|e| PluginError::config(ExtensionKind::Codec, "adler32", e))?;
    Ok(Codec::BytesToBytes(Arc::new(Adler32Codec {
        name: NAME,
        location: c.location,
    })))
}

zarrkit_core::inventory::submit! {
    CodecPlugin::new(NAME, create).with_aliases(ALIASES).with_v2(&["adler32"], create_v2)
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

    /// numcodecs 0.16.6 `Adler32().encode(DATA)` (checksum first).
    const AT_START: &str = concat!(
        "852eb8047a6172726b6974207265666572656e636520766563746f72207a6172726b6974207265666572656e",
        "636520766563746f72207a6172726b6974207265666572656e636520766563746f72207a6172726b69742072",
        "65666572656e636520766563746f7220000102030405060708090a0b0c0d0e0f101112131415161718191a1b",
        "1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f",
    );

    /// numcodecs 0.16.6 `Adler32(location="end").encode(DATA)`.
    const AT_END: &str = concat!(
        "7a6172726b6974207265666572656e636520766563746f72207a6172726b6974207265666572656e63652076",
        "6563746f72207a6172726b6974207265666572656e636520766563746f72207a6172726b6974207265666572",
        "656e636520766563746f7220000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
        "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f852eb804",
    );

    #[test]
    fn matches_numcodecs_exactly() -> TestResult {
        let data = hex(DATA);
        let fixed = BytesRepresentation::Fixed(data.len() as u64);
        for (c, r) in [
            (Adler32Codec::new(), AT_START),
            (
                Adler32Codec::new_with_location(ChecksumLocation::Start),
                AT_START,
            ),
            (
                Adler32Codec::new_with_location(ChecksumLocation::End),
                AT_END,
            ),
        ] {
            assert_eq!(c.encode(data.clone(), &opts())?, hex(r));
            assert_eq!(c.decode(hex(r).into(), &fixed, &opts())?, data);
        }
        // zlib's known value.
        assert_eq!(adler32(b"Wikipedia"), 0x11E6_0398);
        assert_eq!(adler32(&vec![0xff; 100_000]), {
            let (mut a, mut b) = (1u64, 0u64);
            for _ in 0..100_000 {
                a = (a + 255) % 65521;
                b = (b + a) % 65521;
            }
            ((b << 16) | a) as u32
        });
        Ok(())
    }

    #[test]
    fn corrupt_input_is_an_error() -> TestResult {
        let c = Adler32Codec::new();
        let good = hex(AT_START);
        let un = BytesRepresentation::Unbounded;
        for i in [0, 3, 4, 50, good.len() - 1] {
            let mut bad = good.clone();
            bad[i] ^= 0x01;
            assert!(
                matches!(
                    c.decode(bad.into(), &un, &opts()),
                    Err(CodecError::ChecksumMismatch { .. })
                ),
                "{i}"
            );
        }
        // Truncated: shorter than the checksum, or a payload of the wrong size.
        for n in 0..4 {
            assert!(c.decode(good[..n].to_vec().into(), &un, &opts()).is_err());
        }
        assert!(c
            .decode((good[..good.len() - 1].to_vec()).into(), &un, &opts())
            .is_err());
        assert!(matches!(
            c.decode(good.clone().into(), &BytesRepresentation::Fixed(1), &opts()),
            Err(CodecError::UnexpectedSize { .. })
        ));
        // With validation off, a mismatch passes.
        let mut bad = good;
        bad[0] ^= 1;
        let o = opts().with_validate_checksums(false);
        assert_eq!(c.decode(bad.into(), &un, &o)?, hex(DATA));
        Ok(())
    }

    #[test]
    fn configuration() -> TestResult {
        for (json, name, conf) in [
            (
                r#"{"name":"numcodecs.adler32"}"#,
                "numcodecs.adler32",
                zarrkit_core::serde_json::json!({}),
            ),
            (
                r#"{"name":"adler32","configuration":{"location":"end"}}"#,
                "adler32",
                zarrkit_core::serde_json::json!({"location": "end"}),
            ),
        ] {
            let m: MetadataV3 = zarrkit_core::serde_json::from_str(json)?;
            let c = create_codec(&m)?;
            assert_eq!(c.name(), name);
            assert_eq!(
                zarrkit_core::serde_json::to_value(c.metadata())?["configuration"],
                conf
            );
        }
        for bad in [
            r#"{"name":"adler32","configuration":{"location":"middle"}}"#,
            r#"{"name":"adler32","configuration":{"x":1}}"#,
        ] {
            let m: MetadataV3 = zarrkit_core::serde_json::from_str(bad)?;
            assert!(create_codec(&m).is_err(), "{bad}");
        }
        let v2: Map<String, Value> =
            zarrkit_core::serde_json::from_str(r#"{"id":"adler32","location":"end"}"#)?;
        let Codec::BytesToBytes(c) = create_codec_v2(&v2)? else {
            return Err("not bytes-to-bytes".into());
        };
        assert_eq!(c.encode(hex(DATA), &opts())?, hex(AT_END));
        let v2: Map<String, Value> = zarrkit_core::serde_json::from_str(r#"{"id":"adler32"}"#)?;
        let Codec::BytesToBytes(c) = create_codec_v2(&v2)? else {
            return Err("not bytes-to-bytes".into());
        };
        assert_eq!(c.encode(hex(DATA), &opts())?, hex(AT_START));
        Ok(())
    }

    proptest! {
        #[test]
        fn round_trip(data in prop::collection::vec(any::<u8>(), 0..2000), end in any::<bool>()) {
            let c = if end { Adler32Codec::new_with_location(ChecksumLocation::End) } else { Adler32Codec::new() };
            let n = data.len() as u64;
            let enc = c.encode(data.clone(), &opts()).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(enc.len() as u64, n + 4);
            let dec = c.decode(enc.into(), &BytesRepresentation::Fixed(n), &opts()).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(dec, data);
        }

        #[test]
        fn arbitrary_input_never_panics(data in prop::collection::vec(any::<u8>(), 0..100)) {
            let _ = Adler32Codec::new().decode(data.into(), &BytesRepresentation::Unbounded, &opts());
        }
    }
}
