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

/// The decoded reference data: `b"zarrkit reference vector " * 4 + bytes(range(64))`.
const DATA: &str = concat!(
    "7a6172726b6974207265666572656e636520766563746f72207a6172726b6974207265666572656e63652076",
    "6563746f72207a6172726b6974207265666572656e636520766563746f72207a6172726b6974207265666572",
    "656e636520766563746f7220000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
    "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f",
);

/// numcodecs 0.16.6 `Zlib(5).encode(DATA)`.
const REFERENCE: &str = concat!(
    "785eab4a2c2acace2c51284a4d4b2d4acd4b4e55284b4d2ec92f52a8a29e04032313330b2b1b3b072717370f",
    "2f1fbf80a090b088a898b884a494b48cac9cbc82a292b28aaa9aba86a696b68eae9ebe81a191b189a999b985",
    "a595b58dad9d3d0004b82e85",
);

/// numcodecs 0.16.6 `Zlib(0).encode(DATA)` (stored blocks).
const REFERENCE_LEVEL0: &str = concat!(
    "780101a4005bff7a6172726b6974207265666572656e636520766563746f72207a6172726b69742072656665",
    "72656e636520766563746f72207a6172726b6974207265666572656e636520766563746f72207a6172726b69",
    "74207265666572656e636520766563746f7220000102030405060708090a0b0c0d0e0f101112131415161718",
    "191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f04b82e85",
);

fn b2b(c: Codec) -> Result<Arc<dyn BytesToBytesCodecTraits>, Box<dyn std::error::Error>> {
    match c {
        Codec::BytesToBytes(c) => Ok(c),
        other => Err(format!("expected a bytes-to-bytes codec, got {}", other.name()).into()),
    }
}

#[test]
fn decodes_numcodecs_reference_exactly() -> TestResult {
    let data = hex(DATA);
    let c = ZlibCodec::new(1)?;
    for r in [REFERENCE, REFERENCE_LEVEL0] {
        for repr in [
            BytesRepresentation::Fixed(data.len() as u64),
            BytesRepresentation::Bounded(1000),
            BytesRepresentation::Unbounded,
        ] {
            assert_eq!(c.decode(hex(r).into(), &repr, &opts())?, data, "{repr:?}");
        }
    }
    // The encoder (miniz_oxide) need not match zlib byte for byte, but writes a zlib
    // stream (deflate, 32 KiB window) that zlib reads.
    assert_eq!(ZlibCodec::new(5)?.encode(data, &opts())?[0], 0x78);
    Ok(())
}

#[test]
fn corrupt_input_is_an_error() -> TestResult {
    let c = ZlibCodec::new(1)?;
    let good = hex(REFERENCE);
    let fixed = BytesRepresentation::Fixed(hex(DATA).len() as u64);
    for n in 0..good.len() {
        for repr in [fixed, BytesRepresentation::Unbounded] {
            assert!(
                c.decode(good[..n].to_vec().into(), &repr, &opts()).is_err(),
                "truncated to {n}"
            );
        }
    }
    // Bad header.
    let mut bad = good.clone();
    bad[1] ^= 1;
    assert!(c.decode(bad.into(), &fixed, &opts()).is_err());
    // Adler-32 trailer mismatch.
    for back in 1..=4 {
        let mut bad = good.clone();
        let i = bad.len() - back;
        bad[i] ^= 0x40;
        assert!(
            c.decode(bad.into(), &BytesRepresentation::Unbounded, &opts())
                .is_err(),
            "trailer byte -{back}"
        );
    }
    // Stored block with a corrupted length / payload (caught by LEN/NLEN or the checksum).
    let mut bad = hex(REFERENCE_LEVEL0);
    bad[3] ^= 1;
    assert!(c.decode(bad.into(), &fixed, &opts()).is_err());
    let mut bad = hex(REFERENCE_LEVEL0);
    bad[20] ^= 1;
    assert!(c.decode(bad.into(), &fixed, &opts()).is_err());
    // Trailing garbage.
    let mut bad = good;
    bad.push(0);
    assert!(c
        .decode(bad.into(), &BytesRepresentation::Unbounded, &opts())
        .is_err());
    Ok(())
}

#[test]
fn output_is_bounded_by_the_decoded_representation() -> TestResult {
    let c = ZlibCodec::new(9)?;
    let enc = c.encode(vec![0u8; 1 << 20], &opts())?;
    for repr in [
        BytesRepresentation::Bounded(320),
        BytesRepresentation::Fixed(320),
        BytesRepresentation::Bounded((1 << 20) - 1),
    ] {
        assert!(
            c.decode(enc.clone().into(), &repr, &opts()).is_err(),
            "{repr:?}"
        );
    }
    assert_eq!(
        c.decode(
            enc.clone().into(),
            &BytesRepresentation::Bounded(1 << 20),
            &opts()
        )?
        .len(),
        1 << 20
    );
    assert!(matches!(
        c.decode(
            enc.into(),
            &BytesRepresentation::Fixed((1 << 20) + 1),
            &opts()
        ),
        Err(CodecError::UnexpectedSize { .. })
    ));
    Ok(())
}

#[test]
fn configuration() -> TestResult {
    for bad in [
        r#"{"name":"zlib","configuration":{"level":1,"x":1}}"#,
        r#"{"name":"zlib","configuration":{"level":1.5}}"#,
    ] {
        let m: MetadataV3 = zarrkit_core::serde_json::from_str(bad)?;
        assert!(
            matches!(
                create_codec(&m),
                Err(PluginError::InvalidConfiguration { .. })
            ),
            "{bad}"
        );
    }
    assert!(ZlibCodec::new(10).is_err());
    let data = hex(DATA);
    let repr = BytesRepresentation::Fixed(data.len() as u64);
    for (json, name) in [
        (
            r#"{"name":"numcodecs.zlib","configuration":{"level":5}}"#,
            "numcodecs.zlib",
        ),
        (r#"{"name":"zlib","configuration":{"level":0}}"#, "zlib"),
        (r#"{"name":"zlib"}"#, "zlib"),
    ] {
        let m: MetadataV3 = zarrkit_core::serde_json::from_str(json)?;
        let c = b2b(create_codec(&m)?)?;
        assert_eq!(c.name(), name);
        let enc = c.encode(data.clone(), &opts())?;
        assert_eq!(c.decode(enc.into(), &repr, &opts())?, data);
    }
    for json in [r#"{"id":"zlib","level":5}"#, r#"{"id":"zlib"}"#] {
        let v2: Map<String, Value> = zarrkit_core::serde_json::from_str(json)?;
        let c = b2b(create_codec_v2(&v2)?)?;
        assert_eq!(c.decode(hex(REFERENCE).into(), &repr, &opts())?, data);
    }
    let v2: Map<String, Value> = zarrkit_core::serde_json::from_str(r#"{"id":"zlib","level":5}"#)?;
    let c = create_codec_v2(&v2)?;
    assert_eq!(
        zarrkit_core::serde_json::to_value(c.metadata())?,
        zarrkit_core::serde_json::json!({"name": "numcodecs.zlib", "configuration": {"level": 5}})
    );
    for bad in [r#"{"id":"zlib","level":"1"}"#, r#"{"id":"zlib","x":0}"#] {
        let v2: Map<String, Value> = zarrkit_core::serde_json::from_str(bad)?;
        assert!(create_codec_v2(&v2).is_err(), "{bad}");
    }
    Ok(())
}

/// Levels that only matter when encoding open for reading: -1 encodes as zlib's default
/// (6); a level outside 0..=9 reads, is written back as read, and fails only at encode.
#[test]
fn encode_only_levels_open() -> TestResult {
    let data = hex(DATA);
    let repr = BytesRepresentation::Fixed(data.len() as u64);
    let six = ZlibCodec::new(6)?.encode(data.clone(), &opts())?;
    let v3 = |j: &str| -> Result<Codec, Box<dyn std::error::Error>> {
        Ok(create_codec(&zarrkit_core::serde_json::from_str::<
            MetadataV3,
        >(j)?)?)
    };
    let v2 = |j: &str| -> Result<Codec, Box<dyn std::error::Error>> {
        Ok(create_codec_v2(&zarrkit_core::serde_json::from_str::<
            Map<String, Value>,
        >(j)?)?)
    };
    for c in [
        v3(r#"{"name":"zlib","configuration":{"level":-1}}"#)?,
        v2(r#"{"id":"zlib","level":-1}"#)?,
    ] {
        assert_eq!(b2b(c)?.encode(data.clone(), &opts())?, six);
    }
    for (c, level) in [
        (
            v3(r#"{"name":"numcodecs.zlib","configuration":{"level":10}}"#)?,
            10,
        ),
        (v2(r#"{"id":"zlib","level":100}"#)?, 100),
    ] {
        assert_eq!(
            c.metadata()
                .configuration()
                .and_then(|m| m.get("level").cloned()),
            Some(Value::from(level))
        );
        let c = b2b(c)?;
        assert_eq!(c.decode(six.clone().into(), &repr, &opts())?, data);
        let e = c
            .encode(data.clone(), &opts())
            .expect_err("level out of range");
        assert!(
            matches!(e, CodecError::Unsupported { .. }) && e.to_string().contains("level"),
            "{e}"
        );
    }
    Ok(())
}

proptest! {
    #[test]
    fn round_trip(data in prop::collection::vec(any::<u8>(), 0..5000), level in 0u32..=9, compressible in any::<bool>()) {
        let data: Vec<u8> = if compressible { data.iter().map(|b| b % 4).collect() } else { data };
        let c = ZlibCodec::new(level).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let n = data.len() as u64;
        let enc = c.encode(data.clone(), &opts()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let bound = c.encoded_representation(&BytesRepresentation::Fixed(n)).bound();
        prop_assert!(bound.is_some_and(|b| enc.len() as u64 <= b));
        for repr in [BytesRepresentation::Fixed(n), BytesRepresentation::Bounded(n + 3), BytesRepresentation::Unbounded] {
            let dec = c.decode(enc.clone().into(), &repr, &opts()).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(&dec, &data);
        }
    }

    #[test]
    fn arbitrary_input_never_panics(mut data in prop::collection::vec(any::<u8>(), 0..300), header in any::<bool>()) {
        if header && data.len() >= 2 {
            data[0] = 0x78; data[1] = 0x9c;
        }
        let c = ZlibCodec::new(1).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let _ = c.decode(data.clone().into(), &BytesRepresentation::Bounded(1000), &opts());
        let _ = c.decode(data.into(), &BytesRepresentation::Unbounded, &opts());
    }
}
