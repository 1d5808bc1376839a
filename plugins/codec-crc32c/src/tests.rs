use super::*;
use proptest::prelude::*;
use zarrkit_core::registry::{create_codec, create_codec_v2};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn opts() -> CodecOptions {
    CodecOptions::default().with_validate_checksums(true)
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
fn reference_vectors() -> TestResult {
    let c = Crc32cCodec::new();
    // The CRC-32C check value: crc32c("123456789") = 0xe3069283.
    let enc = c.encode(b"123456789".to_vec(), &opts())?;
    assert_eq!(enc, b"123456789\x83\x92\x06\xe3");
    assert_eq!(c.encode(Vec::new(), &opts())?, vec![0, 0, 0, 0]);
    assert_eq!(
        c.encode(vec![0; 32], &opts())?[32..],
        [0xaa, 0x36, 0x91, 0x8a]
    );
    assert_eq!(
        c.decode(enc.into(), &BytesRepresentation::Fixed(9), &opts())?,
        &b"123456789"[..]
    );
    // numcodecs location="start".
    let s = Crc32cCodec::new_with_location(ChecksumLocation::Start);
    let enc = s.encode(b"123456789".to_vec(), &opts())?;
    assert_eq!(enc, b"\x83\x92\x06\xe3123456789");
    assert_eq!(
        s.decode(enc.into(), &BytesRepresentation::Unbounded, &opts())?,
        &b"123456789"[..]
    );
    Ok(())
}

#[test]
fn corrupt_input_is_an_error() -> TestResult {
    let c = Crc32cCodec::new();
    let enc = c.encode(b"123456789".to_vec(), &opts())?;
    // Every single-bit flip is detected.
    for i in 0..enc.len() {
        for bit in 0..8 {
            let mut bad = enc.clone();
            bad[i] ^= 1 << bit;
            let r = c.decode(bad.into(), &BytesRepresentation::Unbounded, &opts());
            assert!(
                matches!(r, Err(CodecError::ChecksumMismatch { .. })),
                "byte {i} bit {bit}: {r:?}"
            );
        }
    }
    // Without validation the checksum is stripped unchecked.
    let mut bad = enc.clone();
    bad[0] = b'x';
    let off = opts().with_validate_checksums(false);
    assert_eq!(
        c.decode(bad.into(), &BytesRepresentation::Fixed(9), &off)?,
        &b"x23456789"[..]
    );
    // Shorter than the checksum.
    for n in 0..4 {
        let r = c.decode(vec![0; n].into(), &BytesRepresentation::Unbounded, &opts());
        assert!(matches!(r, Err(CodecError::Corrupt { .. })), "{n}: {r:?}");
        assert!(c
            .decode(vec![0; n].into(), &BytesRepresentation::Unbounded, &off)
            .is_err());
    }
    // Wrong size for the decoded representation.
    assert!(c
        .decode(enc.clone().into(), &BytesRepresentation::Fixed(8), &opts())
        .is_err());
    assert!(c
        .decode(enc.clone().into(), &BytesRepresentation::Fixed(10), &opts())
        .is_err());
    assert!(c
        .decode(
            enc.clone().into(),
            &BytesRepresentation::Bounded(8),
            &opts()
        )
        .is_err());
    assert!(c
        .decode(enc.into(), &BytesRepresentation::Bounded(9), &opts())
        .is_ok());
    Ok(())
}

#[test]
fn encoded_representation_adds_four_bytes() {
    let c = Crc32cCodec::new();
    assert_eq!(
        c.encoded_representation(&BytesRepresentation::Fixed(10)),
        BytesRepresentation::Fixed(14)
    );
    assert_eq!(
        c.encoded_representation(&BytesRepresentation::Bounded(10)),
        BytesRepresentation::Bounded(14)
    );
    assert_eq!(
        c.encoded_representation(&BytesRepresentation::Unbounded),
        BytesRepresentation::Unbounded
    );
}

#[test]
fn configuration() -> TestResult {
    for ok in [
        r#"{"name":"crc32c"}"#,
        r#""crc32c""#,
        r#"{"name":"crc32c","configuration":{}}"#,
        r#"{"name":"numcodecs.crc32c","configuration":{"location":"end"}}"#,
    ] {
        let c = b2b(create_codec(&metadata(ok)?)?)?;
        assert_eq!(c.name(), "crc32c");
        let enc = c.encode(b"123456789".to_vec(), &opts())?;
        assert_eq!(enc, b"123456789\x83\x92\x06\xe3");
        assert_eq!(
            c.decode(enc.into(), &BytesRepresentation::Fixed(9), &opts())?,
            &b"123456789"[..]
        );
    }
    // No configuration member is written for the V3 codec.
    let c = b2b(create_codec(&metadata(
        r#"{"name":"crc32c","configuration":{}}"#,
    )?)?)?;
    assert_eq!(c.configuration(), None);
    for bad in [
        r#"{"name":"crc32c","configuration":{"x":1}}"#,
        r#"{"name":"crc32c","configuration":{"location":"middle"}}"#,
    ] {
        let r = create_codec(&metadata(bad)?);
        assert!(
            matches!(r, Err(PluginError::InvalidConfiguration { .. })),
            "{bad}: {r:?}"
        );
    }
    // V2 / numcodecs.
    let c = b2b(create_codec_v2(&v2(r#"{"id":"crc32c"}"#)?)?)?;
    assert_eq!(
        c.encode(b"123456789".to_vec(), &opts())?,
        b"123456789\x83\x92\x06\xe3"
    );
    let c = b2b(create_codec_v2(&v2(
        r#"{"id":"crc32c","location":"start"}"#,
    )?)?)?;
    assert_eq!(
        c.encode(b"123456789".to_vec(), &opts())?,
        b"\x83\x92\x06\xe3123456789"
    );
    assert!(create_codec_v2(&v2(r#"{"id":"crc32c","level":1}"#)?).is_err());
    Ok(())
}

proptest! {
    #[test]
    fn round_trip(data in prop::collection::vec(any::<u8>(), 0..3000), start in any::<bool>()) {
        let c = if start { Crc32cCodec::new_with_location(ChecksumLocation::Start) } else { Crc32cCodec::new() };
        let n = data.len() as u64;
        let enc = c.encode(data.clone(), &opts()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(enc.len(), data.len() + 4);
        for repr in [BytesRepresentation::Fixed(n), BytesRepresentation::Bounded(n), BytesRepresentation::Unbounded] {
            let dec = c.decode(enc.clone().into(), &repr, &opts()).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(&dec, &data);
        }
    }
}
