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

/// numcodecs 0.16.6 `LZ4(1).encode(DATA)`.
const REFERENCE: &str = concat!(
    "a4000000ff0a7a6172726b6974207265666572656e636520766563746f7220190038f0310001020304050607",
    "08090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f30313233",
    "3435363738393a3b3c3d3e3f",
);

/// numcodecs 0.16.6 `LZ4(20).encode(DATA)`.
const REFERENCE_ACCEL20: &str = concat!(
    "a4000000f0957a6172726b6974207265666572656e636520766563746f72207a6172726b6974207265666572",
    "656e636520766563746f72207a6172726b6974207265666572656e636520766563746f72207a6172726b6974",
    "207265666572656e636520766563746f7220000102030405060708090a0b0c0d0e0f10111213141516171819",
    "1a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f",
);

/// numcodecs 0.16.6 `LZ4(1).encode(b"")`.
const REFERENCE_EMPTY: &str = "0000000000";

#[test]
fn decodes_numcodecs_reference_exactly() -> TestResult {
    let data = hex(DATA);
    let c = Lz4Codec::new(1);
    for r in [REFERENCE, REFERENCE_ACCEL20] {
        for repr in [
            BytesRepresentation::Fixed(data.len() as u64),
            BytesRepresentation::Bounded(1000),
            BytesRepresentation::Unbounded,
        ] {
            assert_eq!(c.decode(hex(r).into(), &repr, &opts())?, data, "{repr:?}");
        }
    }
    assert!(c
        .decode(
            hex(REFERENCE_EMPTY).into(),
            &BytesRepresentation::Fixed(0),
            &opts()
        )?
        .is_empty());
    // The header of what we write is numcodecs' header.
    let enc = c.encode(data.clone(), &opts())?;
    assert_eq!(enc[..4], hex(REFERENCE)[..4]);
    Ok(())
}

#[test]
fn corrupt_input_is_an_error() -> TestResult {
    let c = Lz4Codec::new(1);
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
    // A wrong size in the header: smaller, larger, negative, huge.
    for size in [163i32, 165, -1, i32::MAX] {
        let mut bad = good.clone();
        bad[..4].copy_from_slice(&size.to_le_bytes());
        for repr in [
            BytesRepresentation::Unbounded,
            BytesRepresentation::Bounded(1 << 40),
        ] {
            assert!(
                c.decode(bad.clone().into(), &repr, &opts()).is_err(),
                "{size}"
            );
        }
    }
    // Trailing bytes after the block.
    let mut bad = good;
    bad.push(0);
    assert!(c
        .decode(bad.into(), &BytesRepresentation::Unbounded, &opts())
        .is_err());
    Ok(())
}

#[test]
fn huge_header_is_rejected_before_allocating() -> TestResult {
    let c = Lz4Codec::new(1);
    // 2^31 - 1 claimed, a tiny block: rejected by the bound and by the LZ4 ratio.
    let bad = [&i32::MAX.to_le_bytes()[..], &[0x00]].concat();
    assert!(c
        .decode(
            bad.clone().into(),
            &BytesRepresentation::Bounded(320),
            &opts()
        )
        .is_err());
    assert!(c
        .decode(bad.into(), &BytesRepresentation::Unbounded, &opts())
        .is_err());
    Ok(())
}

#[test]
fn configuration() -> TestResult {
    let data = hex(DATA);
    let repr = BytesRepresentation::Fixed(data.len() as u64);
    for (json, name, accel) in [
        (
            r#"{"name":"numcodecs.lz4","configuration":{"acceleration":3}}"#,
            "numcodecs.lz4",
            3,
        ),
        (r#"{"name":"lz4"}"#, "lz4", 1),
    ] {
        let m: MetadataV3 = zarrkit_core::serde_json::from_str(json)?;
        let c = create_codec(&m)?;
        assert_eq!(c.name(), name);
        assert_eq!(
            zarrkit_core::serde_json::to_value(c.metadata())?["configuration"]["acceleration"],
            accel
        );
        let Codec::BytesToBytes(c) = c else {
            return Err("not bytes-to-bytes".into());
        };
        let enc = c.encode(data.clone(), &opts())?;
        assert_eq!(c.decode(enc.into(), &repr, &opts())?, data);
    }
    let m: MetadataV3 =
        zarrkit_core::serde_json::from_str(r#"{"name":"lz4","configuration":{"level":1}}"#)?;
    assert!(create_codec(&m).is_err());
    let v2: Map<String, Value> =
        zarrkit_core::serde_json::from_str(r#"{"id":"lz4","acceleration":1}"#)?;
    let c = create_codec_v2(&v2)?;
    assert_eq!(c.name(), "numcodecs.lz4");
    let v2: Map<String, Value> = zarrkit_core::serde_json::from_str(r#"{"id":"lz4","x":1}"#)?;
    assert!(create_codec_v2(&v2).is_err());
    Ok(())
}

proptest! {
    #[test]
    fn round_trip(data in prop::collection::vec(any::<u8>(), 0..5000), compressible in any::<bool>()) {
        let data: Vec<u8> = if compressible { data.iter().map(|b| b % 4).collect() } else { data };
        let c = Lz4Codec::new(1);
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
    fn arbitrary_input_never_panics(data in prop::collection::vec(any::<u8>(), 0..300)) {
        let c = Lz4Codec::new(1);
        let _ = c.decode(data.clone().into(), &BytesRepresentation::Bounded(1000), &opts());
        let _ = c.decode(data.into(), &BytesRepresentation::Unbounded, &opts());
    }
}
