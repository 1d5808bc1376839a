use super::*;
use proptest::prelude::*;
use zarrkit_core::registry::{create_codec, create_codec_v2};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn opts() -> CodecOptions {
    CodecOptions::default()
}

/// `gzip.compress(b"zarrkit gzip reference vector " * 3 + bytes(range(40)), 6, mtime=0)`
/// from Python 3.
const REFERENCE: &[u8] = &[
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xab, 0x4a, 0x2c, 0x2a, 0xca, 0xce,
    0x2c, 0x51, 0x48, 0xaf, 0xca, 0x2c, 0x50, 0x28, 0x4a, 0x4d, 0x4b, 0x2d, 0x4a, 0xcd, 0x4b, 0x4e,
    0x55, 0x28, 0x4b, 0x4d, 0x2e, 0xc9, 0x2f, 0x52, 0xa8, 0xa2, 0x40, 0x96, 0x81, 0x91, 0x89, 0x99,
    0x85, 0x95, 0x8d, 0x9d, 0x83, 0x93, 0x8b, 0x9b, 0x87, 0x97, 0x8f, 0x5f, 0x40, 0x50, 0x48, 0x58,
    0x44, 0x54, 0x4c, 0x5c, 0x42, 0x52, 0x4a, 0x5a, 0x46, 0x56, 0x4e, 0x5e, 0x41, 0x51, 0x49, 0x59,
    0x45, 0x55, 0x4d, 0x1d, 0x00, 0x26, 0x38, 0x40, 0x08, 0x82, 0x00, 0x00, 0x00,
];

fn reference_decoded() -> Vec<u8> {
    let mut v = b"zarrkit gzip reference vector ".repeat(3);
    v.extend(0u8..40);
    v
}

/// `gzip.compress(b"first member,", mtime=0) + gzip.compress(b" second member", mtime=0)`.
const TWO_MEMBERS: &[u8] = &[
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0x4b, 0xcb, 0x2c, 0x2a, 0x2e, 0x51,
    0xc8, 0x4d, 0xcd, 0x4d, 0x4a, 0x2d, 0xd2, 0x01, 0x00, 0x5a, 0x71, 0x88, 0xd8, 0x0d, 0x00, 0x00,
    0x00, 0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0x53, 0x28, 0x4e, 0x4d, 0xce,
    0xcf, 0x4b, 0x51, 0xc8, 0x4d, 0xcd, 0x4d, 0x4a, 0x2d, 0x02, 0x00, 0xb9, 0x33, 0x51, 0x8c, 0x0e,
    0x00, 0x00, 0x00,
];

fn codec(level: u32) -> Result<GzipCodec, PluginError> {
    GzipCodec::new(level)
}

fn metadata(json: &str) -> Result<MetadataV3, Box<dyn std::error::Error>> {
    Ok(zarrkit_core::serde_json::from_str(json)?)
}

fn v2(json: &str) -> Result<Map<String, Value>, Box<dyn std::error::Error>> {
    Ok(zarrkit_core::serde_json::from_str(json)?)
}

fn b2b(c: Codec) -> Result<Arc<dyn BytesToBytesCodecTraits>, Box<dyn std::error::Error>> {
    match c {
        Codec::BytesToBytes(c) => Ok(c),
        other => Err(format!("expected a bytes-to-bytes codec, got {}", other.name()).into()),
    }
}

#[test]
fn decodes_python_reference_exactly() -> TestResult {
    let expected = reference_decoded();
    let c = codec(1)?;
    for repr in [
        BytesRepresentation::Fixed(expected.len() as u64),
        BytesRepresentation::Bounded(1000),
        BytesRepresentation::Unbounded,
    ] {
        assert_eq!(
            c.decode(REFERENCE.to_vec().into(), &repr, &opts())?,
            expected,
            "{repr:?}"
        );
    }
    Ok(())
}

#[test]
fn decodes_concatenated_members() -> TestResult {
    let out = codec(5)?.decode(
        TWO_MEMBERS.to_vec().into(),
        &BytesRepresentation::Unbounded,
        &opts(),
    )?;
    assert_eq!(out, &b"first member, second member"[..]);
    Ok(())
}

#[test]
fn encode_writes_a_standard_gzip_member() -> TestResult {
    let enc = codec(9)?.encode(b"hello".to_vec(), &opts())?;
    assert_eq!(&enc[..3], &[0x1f, 0x8b, 0x08]);
    // The trailer: CRC32 of "hello" (0x3610a686) and the size, little-endian.
    assert_eq!(&enc[enc.len() - 8..], &[0x86, 0xa6, 0x10, 0x36, 5, 0, 0, 0]);
    Ok(())
}

#[test]
fn empty_input_round_trips() -> TestResult {
    let c = codec(6)?;
    let enc = c.encode(Vec::new(), &opts())?;
    assert!(c
        .decode(enc.into(), &BytesRepresentation::Fixed(0), &opts())?
        .is_empty());
    Ok(())
}

#[test]
fn corrupt_input_is_an_error() -> TestResult {
    let c = codec(1)?;
    let fixed = BytesRepresentation::Fixed(reference_decoded().len() as u64);
    let o = opts();
    // Truncated at every length.
    for n in 0..REFERENCE.len() {
        assert!(
            c.decode(REFERENCE[..n].to_vec().into(), &fixed, &o)
                .is_err(),
            "truncated to {n}"
        );
        assert!(
            c.decode(
                REFERENCE[..n].to_vec().into(),
                &BytesRepresentation::Unbounded,
                &o
            )
            .is_err(),
            "truncated to {n}"
        );
    }
    // Bad magic.
    let mut bad = REFERENCE.to_vec();
    bad[0] = 0x1e;
    assert!(c.decode(bad.into(), &fixed, &o).is_err());
    // Flipped CRC byte and size byte in the trailer.
    for back in [8, 5, 4, 1] {
        let mut bad = REFERENCE.to_vec();
        let i = bad.len() - back;
        bad[i] ^= 0x01;
        assert!(
            c.decode(bad.into(), &BytesRepresentation::Unbounded, &o)
                .is_err(),
            "trailer byte -{back}"
        );
    }
    // A flipped bit in the deflate payload: a corrupt stream or a CRC mismatch. (The last
    // deflate byte holds padding bits that decoders ignore, so it is left out.)
    for i in 10..REFERENCE.len() - 9 {
        let mut bad = REFERENCE.to_vec();
        bad[i] ^= 0x10;
        assert!(
            c.decode(bad.into(), &BytesRepresentation::Unbounded, &o)
                .is_err(),
            "payload byte {i}"
        );
    }
    // Trailing garbage after a member.
    let mut bad = REFERENCE.to_vec();
    bad.extend_from_slice(b"garbage");
    assert!(c
        .decode(bad.into(), &BytesRepresentation::Unbounded, &o)
        .is_err());
    Ok(())
}

#[test]
fn output_is_bounded_by_the_decoded_representation() -> TestResult {
    let c = codec(9)?;
    // 1 MiB of zeros compresses to about 1 KiB.
    let enc = c.encode(vec![0u8; 1 << 20], &opts())?;
    for repr in [
        BytesRepresentation::Bounded(320),
        BytesRepresentation::Fixed(320),
    ] {
        assert!(
            c.decode(enc.clone().into(), &repr, &opts()).is_err(),
            "{repr:?}"
        );
    }
    // Exact bound is fine; one less is not.
    assert_eq!(
        c.decode(
            enc.clone().into(),
            &BytesRepresentation::Bounded(1 << 20),
            &opts()
        )?
        .len(),
        1 << 20
    );
    assert!(c
        .decode(
            enc.clone().into(),
            &BytesRepresentation::Bounded((1 << 20) - 1),
            &opts()
        )
        .is_err());
    // Fixed but shorter than expected.
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

/// A codec from V3 (`name`) or V2 (`id`) JSON.
fn from_json(json: &str) -> Result<Arc<dyn BytesToBytesCodecTraits>, Box<dyn std::error::Error>> {
    if json.contains("\"id\"") {
        b2b(create_codec_v2(&v2(json)?)?)
    } else {
        b2b(create_codec(&metadata(json)?)?)
    }
}

/// Levels that only matter when encoding open for reading: -1 (zlib's default, as Python's
/// zlib writes it) encodes at level 6; levels outside 0..=9 fail at encode, naming the level.
#[test]
fn encode_only_levels_open() -> TestResult {
    let data = b"levels only matter when encoding ".repeat(100);
    let six = GzipCodec::new(6)?.encode(data.clone(), &opts())?;
    for json in [
        r#"{"name":"numcodecs.gzip","configuration":{"level":-1}}"#,
        r#"{"id":"gzip","level":-1}"#,
    ] {
        let c = from_json(json)?;
        assert_eq!(c.encode(data.clone(), &opts())?, six, "{json}");
    }
    for json in [
        r#"{"name":"numcodecs.gzip","configuration":{"level":10}}"#,
        r#"{"id":"gzip","level":100}"#,
    ] {
        let c = from_json(json)?;
        // Reads work: the level plays no part in decoding.
        let back = c.decode(
            six.clone().into(),
            &BytesRepresentation::Fixed(data.len() as u64),
            &opts(),
        )?;
        assert_eq!(&back[..], &data[..]);
        // The configuration is written back as read.
        let level = c.configuration().and_then(|m| m.get("level").cloned());
        assert!(matches!(level, Some(v) if v == 10 || v == 100), "{json}");
        let err = c
            .encode(data.clone(), &opts())
            .expect_err("level out of range");
        assert!(matches!(err, CodecError::Unsupported { .. }), "{err}");
        assert!(err.to_string().contains("level"), "{err}");
    }
    Ok(())
}

#[test]
fn configuration_errors() -> TestResult {
    for bad in [
        r#"{"name":"gzip","configuration":{"level":10}}"#,
        r#"{"name":"gzip","configuration":{"level":-1}}"#,
        r#"{"name":"gzip","configuration":{"level":"5"}}"#,
        r#"{"name":"gzip","configuration":{"level":1.5}}"#,
        r#"{"name":"gzip","configuration":{}}"#,
        r#"{"name":"gzip"}"#,
        r#"{"name":"gzip","configuration":{"level":1,"extra":true}}"#,
    ] {
        let r = create_codec(&metadata(bad)?);
        assert!(
            matches!(r, Err(PluginError::InvalidConfiguration { .. })),
            "{bad}: {r:?}"
        );
    }
    assert!(GzipCodec::new(10).is_err());
    for bad in [
        r#"{"id":"gzip","level":1,"x":0}"#,
        r#"{"id":"gzip","level":"1"}"#,
    ] {
        let r = create_codec_v2(&v2(bad)?);
        assert!(
            matches!(r, Err(PluginError::InvalidConfiguration { .. })),
            "{bad}: {r:?}"
        );
    }
    Ok(())
}

#[test]
fn created_through_the_registry() -> TestResult {
    let data = reference_decoded();
    let repr = BytesRepresentation::Fixed(data.len() as u64);
    for json in [
        r#"{"name":"gzip","configuration":{"level":5}}"#,
        r#"{"name":"numcodecs.gzip","configuration":{"level":0}}"#,
    ] {
        let c = b2b(create_codec(&metadata(json)?)?)?;
        assert_eq!(c.name(), "gzip");
        let enc = c.encode(data.clone(), &opts())?;
        assert_eq!(c.decode(enc.into(), &repr, &opts())?, data);
        assert_eq!(c.decode(REFERENCE.to_vec().into(), &repr, &opts())?, data);
    }
    let c = create_codec(&metadata(r#"{"name":"gzip","configuration":{"level":7}}"#)?)?;
    assert_eq!(
        zarrkit_core::serde_json::to_value(c.metadata())?,
        zarrkit_core::serde_json::json!({"name": "gzip", "configuration": {"level": 7}})
    );
    for json in [r#"{"id":"gzip","level":3}"#, r#"{"id":"gzip"}"#] {
        let c = b2b(create_codec_v2(&v2(json)?)?)?;
        let enc = c.encode(data.clone(), &opts())?;
        assert_eq!(c.decode(enc.into(), &repr, &opts())?, data);
    }
    let c = b2b(create_codec_v2(&v2(r#"{"id":"gzip","level":3}"#)?)?)?;
    assert_eq!(c.configuration(), GzipCodec::new(3)?.configuration());
    Ok(())
}

#[test]
fn decode_ranges_decodes_ranges() -> TestResult {
    use zarrkit_core::storage::ByteRange;
    let data: Vec<u8> = (0..=255u8).cycle().take(5000).collect();
    let c = codec(4)?;
    let enc: zarrkit_core::codec::Bytes = c.encode(data.clone(), &opts())?.into();
    let repr = BytesRepresentation::Fixed(5000);
    assert_eq!(c.decode(enc.clone(), &repr, &opts())?, data);
    let parts = c.decode_ranges(enc, &[ByteRange::FromStart(10, Some(3))], &repr, &opts())?;
    assert_eq!(parts, vec![vec![10u8, 11, 12]]);
    Ok(())
}

proptest! {
    #[test]
    fn round_trip(data in prop::collection::vec(any::<u8>(), 0..5000), level in 0u32..=9, compressible in any::<bool>()) {
        let data = if compressible { data.iter().map(|b| b % 4).collect() } else { data };
        let c = GzipCodec::new(level).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let n = data.len() as u64;
        let enc = c.encode(data.clone(), &opts()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let bound = c.encoded_representation(&BytesRepresentation::Fixed(n)).bound();
        prop_assert!(bound.is_some_and(|b| enc.len() as u64 <= b), "{} > {bound:?}", enc.len());
        for repr in [BytesRepresentation::Fixed(n), BytesRepresentation::Bounded(n + 7), BytesRepresentation::Unbounded] {
            let dec = c.decode(enc.clone().into(), &repr, &opts()).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(&dec, &data);
        }
    }

    #[test]
    fn arbitrary_input_never_panics(mut data in prop::collection::vec(any::<u8>(), 0..300), magic in any::<bool>()) {
        if magic && data.len() >= 3 {
            data[0] = 0x1f; data[1] = 0x8b; data[2] = 8;
        }
        let c = GzipCodec::new(1).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let _ = c.decode(data.clone().into(), &BytesRepresentation::Bounded(1000), &opts());
        let _ = c.decode(data.into(), &BytesRepresentation::Unbounded, &opts());
    }
}
