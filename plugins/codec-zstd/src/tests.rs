use super::*;
use proptest::prelude::*;
use zarrkit_core::registry::{create_codec, create_codec_v2};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn opts() -> CodecOptions {
    CodecOptions::default().with_validate_checksums(true)
}

fn reference_decoded() -> Vec<u8> {
    let mut v = b"zarrkit zstd reference vector ".repeat(3);
    v.extend(0u8..40);
    v
}

/// `zstd -19 --check` (zstd CLI 1.5.4) of [`reference_decoded`]: content size and checksum.
const REFERENCE: &[u8] = &[
    0x28, 0xb5, 0x2f, 0xfd, 0x24, 0x82, 0x75, 0x02, 0x00, 0x64, 0x04, 0x7a, 0x61, 0x72, 0x72, 0x6b,
    0x69, 0x74, 0x20, 0x7a, 0x73, 0x74, 0x64, 0x20, 0x72, 0x65, 0x66, 0x65, 0x72, 0x65, 0x6e, 0x63,
    0x65, 0x20, 0x76, 0x65, 0x63, 0x74, 0x6f, 0x72, 0x20, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
    0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16,
    0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26,
    0x27, 0x01, 0x00, 0x26, 0x48, 0xca, 0x09, 0xc8, 0x57, 0xb6, 0xca,
];

/// `cat data | zstd -3 --no-check` of [`reference_decoded`]: no content size, no checksum.
const REFERENCE_NO_SIZE: &[u8] = &[
    0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x58, 0x75, 0x02, 0x00, 0x64, 0x04, 0x7a, 0x61, 0x72, 0x72, 0x6b,
    0x69, 0x74, 0x20, 0x7a, 0x73, 0x74, 0x64, 0x20, 0x72, 0x65, 0x66, 0x65, 0x72, 0x65, 0x6e, 0x63,
    0x65, 0x20, 0x76, 0x65, 0x63, 0x74, 0x6f, 0x72, 0x20, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
    0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16,
    0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26,
    0x27, 0x01, 0x00, 0x26, 0x48, 0xca, 0x09,
];

/// Two frames: `b"first frame,"` (no checksum) then `b" second frame"` (checksum).
const TWO_FRAMES: &[u8] = &[
    0x28, 0xb5, 0x2f, 0xfd, 0x20, 0x0c, 0x61, 0x00, 0x00, 0x66, 0x69, 0x72, 0x73, 0x74, 0x20, 0x66,
    0x72, 0x61, 0x6d, 0x65, 0x2c, 0x28, 0xb5, 0x2f, 0xfd, 0x24, 0x0d, 0x69, 0x00, 0x00, 0x20, 0x73,
    0x65, 0x63, 0x6f, 0x6e, 0x64, 0x20, 0x66, 0x72, 0x61, 0x6d, 0x65, 0xec, 0x6b, 0xbd, 0x5c,
];

fn all_reprs(n: u64) -> [BytesRepresentation; 3] {
    [
        BytesRepresentation::Fixed(n),
        BytesRepresentation::Bounded(n + 100),
        BytesRepresentation::Unbounded,
    ]
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

/// Deterministic incompressible bytes (xorshift).
fn noise(n: usize, mut seed: u64) -> Vec<u8> {
    (0..n)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 32) as u8
        })
        .collect()
}

#[test]
fn decodes_cli_references_exactly() -> TestResult {
    let c = ZstdCodec::new(3, false)?;
    let expected = reference_decoded();
    for stream in [REFERENCE, REFERENCE_NO_SIZE] {
        for repr in all_reprs(expected.len() as u64) {
            assert_eq!(
                c.decode(stream.to_vec().into(), &repr, &opts())?,
                expected,
                "{repr:?}"
            );
        }
    }
    Ok(())
}

#[test]
fn decodes_concatenated_and_skippable_frames() -> TestResult {
    let c = ZstdCodec::new(3, false)?;
    let expected = b"first frame, second frame".to_vec();
    for repr in all_reprs(expected.len() as u64) {
        assert_eq!(
            c.decode(TWO_FRAMES.to_vec().into(), &repr, &opts())?,
            expected,
            "{repr:?}"
        );
    }
    // A skippable frame (magic 0x184D2A5?, 4-byte length, payload) between the frames.
    let mut with_skippable = TWO_FRAMES[..21].to_vec();
    with_skippable.extend_from_slice(&[0x53, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 9, 9, 9]);
    with_skippable.extend_from_slice(&TWO_FRAMES[21..]);
    for repr in all_reprs(expected.len() as u64) {
        assert_eq!(
            c.decode(with_skippable.clone().into(), &repr, &opts())?,
            expected,
            "{repr:?}"
        );
    }
    Ok(())
}

#[test]
fn encode_writes_content_size_and_checksum_flag() -> TestResult {
    let data = reference_decoded();
    for checksum in [false, true] {
        let enc = ZstdCodec::new(5, checksum)?.encode(data.clone(), &opts())?;
        assert_eq!(&enc[..4], &[0x28, 0xb5, 0x2f, 0xfd]);
        // Frame header descriptor bit 2: content checksum flag.
        assert_eq!(enc[4] & 0x04 != 0, checksum);
        assert_eq!(
            zstd_safe::get_frame_content_size(&enc).ok().flatten(),
            Some(data.len() as u64)
        );
    }
    Ok(())
}

#[test]
fn flipped_bit_in_a_checksummed_raw_block_is_detected() -> TestResult {
    let data = noise(4096, 0x9e37_79b9_7f4a_7c15);
    let c = ZstdCodec::new(1, true)?;
    let enc = c.encode(data.clone(), &opts())?;
    // Incompressible: a raw block, so the payload is the data itself.
    assert!(enc.len() > data.len());
    let mut bad = enc.clone();
    let i = bad.len() / 2;
    bad[i] ^= 0x20;
    let repr = BytesRepresentation::Fixed(data.len() as u64);
    for r in all_reprs(data.len() as u64) {
        let e = c.decode(bad.clone().into(), &r, &opts());
        assert!(e.is_err(), "{r:?}");
    }
    // With checksum validation off, the corruption goes through unnoticed.
    let off = opts().with_validate_checksums(false);
    let dec = c.decode(bad.into(), &repr, &off)?;
    assert_eq!(dec.len(), data.len());
    assert_ne!(dec, data);
    // And the checksum byte itself.
    let mut bad = enc;
    let last = bad.len() - 1;
    bad[last] ^= 1;
    assert!(c.decode(bad.clone().into(), &repr, &opts()).is_err());
    assert_eq!(c.decode(bad.into(), &repr, &off)?, data);
    Ok(())
}

#[test]
fn corrupt_input_is_an_error() -> TestResult {
    let c = ZstdCodec::new(3, false)?;
    let n = reference_decoded().len() as u64;
    for stream in [REFERENCE, REFERENCE_NO_SIZE, TWO_FRAMES] {
        for len in 0..stream.len() {
            if stream == TWO_FRAMES && len == 21 {
                continue; // exactly the first frame: a valid stream
            }
            for repr in all_reprs(n) {
                assert!(
                    c.decode(stream[..len].to_vec().into(), &repr, &opts())
                        .is_err(),
                    "truncated to {len}, {repr:?}"
                );
            }
        }
    }
    // Bad magic, trailing garbage.
    let mut bad = REFERENCE.to_vec();
    bad[0] = 0x29;
    for repr in all_reprs(n) {
        assert!(c.decode(bad.clone().into(), &repr, &opts()).is_err());
    }
    let mut bad = REFERENCE.to_vec();
    bad.extend_from_slice(&[1, 2, 3]);
    for repr in all_reprs(n) {
        assert!(c.decode(bad.clone().into(), &repr, &opts()).is_err());
    }
    // A legacy (v0.7) frame magic is refused.
    let mut bad = REFERENCE.to_vec();
    bad[..4].copy_from_slice(&0xFD2F_B527u32.to_le_bytes());
    assert!(c
        .decode(bad.into(), &BytesRepresentation::Unbounded, &opts())
        .is_err());
    Ok(())
}

#[test]
fn header_claiming_a_huge_size_is_refused_up_front() -> TestResult {
    // A frame header with an 8-byte content size of 2^40 and a single empty raw block.
    let mut frame = vec![0x28, 0xb5, 0x2f, 0xfd, 0xe0];
    frame.extend_from_slice(&(1u64 << 40).to_le_bytes());
    frame.extend_from_slice(&[0x01, 0x00, 0x00]);
    let c = ZstdCodec::new(3, false)?;
    for repr in [
        BytesRepresentation::Fixed(320),
        BytesRepresentation::Bounded(320),
    ] {
        let e = c.decode(frame.clone().into(), &repr, &opts());
        assert!(
            e.as_ref().is_err_and(|e| e.to_string().contains("declare")),
            "{e:?}"
        );
    }
    // Unbounded: the declared size is not trusted for allocation; decoding fails.
    assert!(c
        .decode(frame.into(), &BytesRepresentation::Unbounded, &opts())
        .is_err());
    Ok(())
}

#[test]
fn output_is_bounded_by_the_decoded_representation() -> TestResult {
    let c = ZstdCodec::new(3, false)?;
    let big = vec![7u8; 1 << 20];
    let enc = c.encode(big.clone(), &opts())?;
    assert!(c
        .decode(
            enc.clone().into(),
            &BytesRepresentation::Bounded(320),
            &opts()
        )
        .is_err());
    assert!(c
        .decode(
            enc.clone().into(),
            &BytesRepresentation::Fixed((1 << 20) - 1),
            &opts()
        )
        .is_err());
    assert!(c
        .decode(
            enc.clone().into(),
            &BytesRepresentation::Fixed((1 << 20) + 1),
            &opts()
        )
        .is_err());
    assert_eq!(
        c.decode(enc.into(), &BytesRepresentation::Bounded(1 << 20), &opts())?,
        big
    );
    // A frame without a content size that decodes to more than the bound.
    let n = reference_decoded().len() as u64;
    for repr in [
        BytesRepresentation::Bounded(n - 1),
        BytesRepresentation::Fixed(n - 1),
    ] {
        assert!(
            c.decode(REFERENCE_NO_SIZE.to_vec().into(), &repr, &opts())
                .is_err(),
            "{repr:?}"
        );
    }
    Ok(())
}

/// A stored level outside zstd's range (zstd level 100, written by users of libraries that
/// pass it through) opens, is written back as read and encodes clamped, as libzstd clamps.
#[test]
fn out_of_range_levels_clamp_at_encode() -> TestResult {
    let data = b"clamped levels still encode ".repeat(200);
    let repr = BytesRepresentation::Fixed(data.len() as u64);
    for (json, clamped) in [
        (
            r#"{"name":"zstd","configuration":{"level":100,"checksum":false}}"#,
            MAX_LEVEL,
        ),
        (
            r#"{"name":"zstd","configuration":{"level":-200000,"checksum":false}}"#,
            MIN_LEVEL,
        ),
        (r#"{"id":"zstd","level":99}"#, MAX_LEVEL),
    ] {
        let c = if json.contains("\"id\"") {
            create_codec_v2(&v2(json)?)?
        } else {
            create_codec(&metadata(json)?)?
        };
        let stored = c
            .metadata()
            .configuration()
            .and_then(|m| m.get("level").cloned());
        let expected: Value = zarrkit_core::serde_json::from_str::<Value>(json)?
            .pointer(if json.contains("\"id\"") {
                "/level"
            } else {
                "/configuration/level"
            })
            .cloned()
            .ok_or("level")?;
        assert_eq!(stored, Some(expected), "{json}");
        let Codec::BytesToBytes(c) = c else {
            return Err("not bytes to bytes".into());
        };
        let enc = c.encode(data.clone(), &CodecOptions::default())?;
        let want =
            ZstdCodec::new(clamped, false)?.encode(data.clone(), &CodecOptions::default())?;
        assert_eq!(enc, want, "{json}");
        assert_eq!(
            &c.decode(enc.into(), &repr, &CodecOptions::default())?[..],
            &data[..]
        );
    }
    Ok(())
}

#[test]
fn configuration_errors() -> TestResult {
    for bad in [
        r#"{"name":"zstd","configuration":{"level":"3","checksum":false}}"#,
        r#"{"name":"zstd","configuration":{"level":3,"checksum":1}}"#,
        r#"{"name":"zstd","configuration":{"checksum":true}}"#,
        r#"{"name":"zstd","configuration":{"level":3,"checksum":true,"x":1}}"#,
        r#"{"name":"zstd"}"#,
    ] {
        let r = create_codec(&metadata(bad)?);
        assert!(
            matches!(r, Err(PluginError::InvalidConfiguration { .. })),
            "{bad}: {r:?}"
        );
    }
    for bad in [
        r#"{"id":"zstd","level":1.5}"#,
        r#"{"id":"zstd","level":1,"foo":2}"#,
    ] {
        let r = create_codec_v2(&v2(bad)?);
        assert!(
            matches!(r, Err(PluginError::InvalidConfiguration { .. })),
            "{bad}: {r:?}"
        );
    }
    assert!(ZstdCodec::new(MIN_LEVEL, false).is_ok());
    assert!(ZstdCodec::new(MAX_LEVEL + 1, false).is_err());
    Ok(())
}

#[test]
fn created_through_the_registry() -> TestResult {
    let data = reference_decoded();
    let repr = BytesRepresentation::Fixed(data.len() as u64);
    for json in [
        r#"{"name":"zstd","configuration":{"level":0,"checksum":false}}"#,
        r#"{"name":"zstd","configuration":{"level":-5,"checksum":true}}"#,
        r#"{"name":"zstd","configuration":{"level":22}}"#,
        r#"{"name":"numcodecs.zstd","configuration":{"level":1,"checksum":false}}"#,
    ] {
        let c = b2b(create_codec(&metadata(json)?)?)?;
        assert_eq!(c.name(), "zstd");
        let enc = c.encode(data.clone(), &opts())?;
        assert_eq!(c.decode(enc.into(), &repr, &opts())?, data);
        assert_eq!(c.decode(REFERENCE.to_vec().into(), &repr, &opts())?, data);
    }
    let c = create_codec(&metadata(
        r#"{"name":"zstd","configuration":{"level":-2,"checksum":true}}"#,
    )?)?;
    assert_eq!(
        zarrkit_core::serde_json::to_value(c.metadata())?,
        zarrkit_core::serde_json::json!({"name": "zstd", "configuration": {"level": -2, "checksum": true}})
    );
    for json in [
        r#"{"id":"zstd","level":3}"#,
        r#"{"id":"zstd","level":5,"checksum":true}"#,
        r#"{"id":"zstd"}"#,
    ] {
        let c = b2b(create_codec_v2(&v2(json)?)?)?;
        let enc = c.encode(data.clone(), &opts())?;
        assert_eq!(c.decode(enc.into(), &repr, &opts())?, data);
    }
    let c = b2b(create_codec_v2(&v2(
        r#"{"id":"zstd","level":5,"checksum":true}"#,
    )?)?)?;
    assert_eq!(c.configuration(), ZstdCodec::new(5, true)?.configuration());
    Ok(())
}

proptest! {
    #[test]
    fn round_trip(
        data in prop::collection::vec(any::<u8>(), 0..5000),
        level in prop_oneof![-50i32..=-1, 0i32..=9, Just(19), Just(22)],
        checksum in any::<bool>(),
        compressible in any::<bool>(),
    ) {
        let data = if compressible { data.iter().map(|b| b % 4).collect() } else { data };
        let c = ZstdCodec::new(level, checksum).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let n = data.len() as u64;
        let enc = c.encode(data.clone(), &opts()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let bound = c.encoded_representation(&BytesRepresentation::Fixed(n)).bound();
        prop_assert!(bound.is_some_and(|b| enc.len() as u64 <= b));
        for repr in all_reprs(n) {
            let dec = c.decode(enc.clone().into(), &repr, &opts()).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(&dec, &data);
        }
    }

    #[test]
    fn arbitrary_input_never_panics(mut data in prop::collection::vec(any::<u8>(), 0..300), magic in any::<bool>()) {
        if magic && data.len() >= 4 {
            data[..4].copy_from_slice(&[0x28, 0xb5, 0x2f, 0xfd]);
        }
        let c = ZstdCodec::new(1, true).map_err(|e| TestCaseError::fail(e.to_string()))?;
        for repr in [BytesRepresentation::Bounded(1000), BytesRepresentation::Unbounded] {
            let _ = c.decode(data.clone().into(), &repr, &opts());
        }
    }
}

/// Compressible test data of `n` bytes (runs of a slowly changing pattern plus noise).
fn compressible(n: usize) -> Vec<u8> {
    let noise = noise(n, 7);
    (0..n)
        .map(|i| ((i / 300) as u8).wrapping_add(noise[i] & 3))
        .collect()
}

#[test]
fn decode_ranges_decodes_prefixes_exactly() -> TestResult {
    use zarrkit_core::codec::Bytes;
    let data = compressible(1 << 20);
    let repr = BytesRepresentation::Fixed(data.len() as u64);
    for checksum in [false, true] {
        let codec = ZstdCodec::new(3, checksum)?;
        let enc: Bytes = codec.encode(data.clone(), &opts())?.into();
        // A prefix of the frame decodes only what is asked for; checksummed frames with
        // validation on, suffix ranges and ranges near the end decode the whole frame.
        for validate in [false, true] {
            let o = opts().with_validate_checksums(validate);
            let ranges = [
                ByteRange::FromStart(0, Some(10)),
                ByteRange::FromStart(1000, Some(5000)),
                ByteRange::FromStart(300_000, Some(1)),
                ByteRange::FromStart(1_000_000, Some(48_576)),
                ByteRange::Suffix(7),
            ];
            for r in ranges {
                let got = codec
                    .decode_ranges(enc.clone(), std::slice::from_ref(&r), &repr, &o)?
                    .pop()
                    .ok_or("no output")?;
                let rr = r.to_range(data.len() as u64).ok_or("range")?;
                assert_eq!(got, &data[rr.start as usize..rr.end as usize], "{r}");
            }
            let all = codec.decode_ranges(enc.clone(), &ranges, &repr, &o)?;
            assert_eq!(all.len(), ranges.len());
        }
    }
    // Corrupt input and out-of-bounds ranges.
    let codec = ZstdCodec::new(3, false)?;
    let mut enc = codec.encode(data.clone(), &opts())?;
    assert!(codec
        .decode_ranges(
            enc.clone().into(),
            &[ByteRange::FromStart(data.len() as u64, Some(1))],
            &repr,
            &opts()
        )
        .is_err());
    let n = enc.len();
    enc.truncate(n / 2);
    assert!(codec
        .decode_ranges(
            enc.into(),
            &[ByteRange::FromStart(900_000, Some(10))],
            &repr,
            &opts()
        )
        .is_err());
    Ok(())
}

/// A frame that does not declare its size and decodes to more than the chunk's size is
/// reported as such (recognised by zstd's error code, not its message text).
#[test]
fn undeclared_frame_larger_than_the_chunk() -> TestResult {
    let data = vec![7u8; 1000];
    let mut cctx = zstd_safe::CCtx::create();
    cctx.set_parameter(zstd_safe::CParameter::ContentSizeFlag(false))
        .map_err(|c| zstd_safe::get_error_name(c).to_string())?;
    let mut enc: Vec<u8> = Vec::with_capacity(zstd_safe::compress_bound(data.len()));
    cctx.compress2(&mut enc, &data)
        .map_err(|c| zstd_safe::get_error_name(c).to_string())?;
    let c = ZstdCodec::new(3, false)?;
    let e = c
        .decode(enc.into(), &BytesRepresentation::Fixed(500), &opts())
        .err()
        .ok_or("an oversized frame decoded")?;
    assert!(
        e.to_string().contains("larger than its bound of 500"),
        "{e}"
    );
    Ok(())
}
