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

/// numcodecs 0.16.6 `BZ2(9).encode(DATA)`.
const REFERENCE: &str = concat!(
    "425a683931415926535977049937000051f9807fffffffffffffffab299510200064255432034006464d01a0",
    "06020000193412a91a68d00343468000c864c8d0190001ea5e8f210464ca97326ce4a7d0a34a9d4ab5abd84d",
    "4b36955adaf72ec17e10f40846c2c62c7932e6cfa34ea65a6dc75e7f5ecdbbb7f0e3cb9f4ebdbbc4108600f8",
    "110300400887e04c2286404032098460fc080940a24923f8bb9229c28483b824c9b8",
);

/// numcodecs 0.16.6 `BZ2(1).encode(DATA)`.
const REFERENCE_LEVEL1: &str = concat!(
    "425a683131415926535977049937000051f9807fffffffffffffffab299510200064255432034006464d01a0",
    "06020000193412a91a68d00343468000c864c8d0190001ea5e8f210464ca97326ce4a7d0a34a9d4ab5abd84d",
    "4b36955adaf72ec17e10f40846c2c62c7932e6cfa34ea65a6dc75e7f5ecdbbb7f0e3cb9f4ebdbbc4108600f8",
    "110300400887e04c2286404032098460fc080940a24923f8bb9229c28483b824c9b8",
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
    let c = Bz2Codec::new(1)?;
    for r in [REFERENCE, REFERENCE_LEVEL1] {
        for repr in [
            BytesRepresentation::Fixed(data.len() as u64),
            BytesRepresentation::Bounded(1000),
            BytesRepresentation::Unbounded,
        ] {
            assert_eq!(c.decode(hex(r).into(), &repr, &opts())?, data, "{repr:?}");
        }
    }
    // bzip2 is deterministic: the same level gives the same bytes as libbzip2.
    assert_eq!(
        Bz2Codec::new(9)?.encode(data.clone(), &opts())?,
        hex(REFERENCE)
    );
    // Concatenated streams decode to the concatenation.
    let two = [hex(REFERENCE), hex(REFERENCE_LEVEL1)].concat();
    assert_eq!(
        c.decode(two.into(), &BytesRepresentation::Unbounded, &opts())?,
        [data.clone(), data].concat()
    );
    Ok(())
}

#[test]
fn corrupt_input_is_an_error() -> TestResult {
    let c = Bz2Codec::new(1)?;
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
    // Bad magic, bad block size.
    for (i, v) in [(0, b'C'), (3, b'0')] {
        let mut bad = good.clone();
        bad[i] = v;
        assert!(c.decode(bad.into(), &fixed, &opts()).is_err(), "{i}");
    }
    // Flipped bits in the block (CRC or structure errors) and in the stream CRC.
    for i in [12, 30, 60, good.len() - 3] {
        let mut bad = good.clone();
        bad[i] ^= 0x08;
        assert!(
            c.decode(bad.into(), &BytesRepresentation::Unbounded, &opts())
                .is_err(),
            "byte {i}"
        );
    }
    // Trailing garbage.
    let mut bad = good;
    bad.extend_from_slice(b"xyz");
    assert!(c
        .decode(bad.into(), &BytesRepresentation::Unbounded, &opts())
        .is_err());
    Ok(())
}

#[test]
fn output_is_bounded_by_the_decoded_representation() -> TestResult {
    let c = Bz2Codec::new(9)?;
    let enc = c.encode(vec![7u8; 1 << 20], &opts())?;
    assert!(enc.len() < 200);
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
        r#"{"name":"numcodecs.bz2","configuration":{"level":10}}"#,
        r#"{"name":"bz2","configuration":{"level":0}}"#,
        r#"{"name":"bz2","configuration":{"level":1,"x":1}}"#,
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
    let data = hex(DATA);
    let repr = BytesRepresentation::Fixed(data.len() as u64);
    for (json, name) in [
        (
            r#"{"name":"numcodecs.bz2","configuration":{"level":5}}"#,
            "numcodecs.bz2",
        ),
        (r#"{"name":"bz2"}"#, "bz2"),
    ] {
        let m: MetadataV3 = zarrkit_core::serde_json::from_str(json)?;
        let c = b2b(create_codec(&m)?)?;
        assert_eq!(c.name(), name);
        let enc = c.encode(data.clone(), &opts())?;
        assert_eq!(c.decode(enc.into(), &repr, &opts())?, data);
    }
    let v2: Map<String, Value> = zarrkit_core::serde_json::from_str(r#"{"id":"bz2","level":9}"#)?;
    let c = create_codec_v2(&v2)?;
    assert_eq!(
        zarrkit_core::serde_json::to_value(c.metadata())?,
        zarrkit_core::serde_json::json!({"name": "numcodecs.bz2", "configuration": {"level": 9}})
    );
    assert_eq!(b2b(c)?.decode(hex(REFERENCE).into(), &repr, &opts())?, data);
    for bad in [r#"{"id":"bz2","level":0}"#, r#"{"id":"bz2","y":0}"#] {
        let v2: Map<String, Value> = zarrkit_core::serde_json::from_str(bad)?;
        assert!(create_codec_v2(&v2).is_err(), "{bad}");
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn round_trip(data in prop::collection::vec(any::<u8>(), 0..3000), level in 1u32..=9, compressible in any::<bool>()) {
        let data: Vec<u8> = if compressible { data.iter().map(|b| b % 4).collect() } else { data };
        let c = Bz2Codec::new(level).map_err(|e| TestCaseError::fail(e.to_string()))?;
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
    fn arbitrary_input_never_panics(mut data in prop::collection::vec(any::<u8>(), 0..300), magic in any::<bool>()) {
        if magic && data.len() >= 4 {
            data[..4].copy_from_slice(b"BZh9");
        }
        let c = Bz2Codec::new(1).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let _ = c.decode(data.clone().into(), &BytesRepresentation::Bounded(1000), &opts());
        let _ = c.decode(data.into(), &BytesRepresentation::Unbounded, &opts());
    }
}
