use super::*;
use proptest::prelude::*;
use zarrkit_core::registry::{create_codec, create_codec_v2};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn opts() -> CodecOptions {
    CodecOptions::default()
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

const COMPRESSORS: [BloscCompressor; 5] = [
    BloscCompressor::Blosclz,
    BloscCompressor::Lz4,
    BloscCompressor::Lz4hc,
    BloscCompressor::Zlib,
    BloscCompressor::Zstd,
];
const SHUFFLES: [BloscShuffle; 3] = [
    BloscShuffle::NoShuffle,
    BloscShuffle::Shuffle,
    BloscShuffle::BitShuffle,
];

/// A blosc header (format version 2) followed by `payload`.
fn header(flags: u8, typesize: u8, nbytes: u32, blocksize: u32, cbytes: u32) -> Vec<u8> {
    let mut h = vec![2, 1, flags, typesize];
    h.extend_from_slice(&nbytes.to_le_bytes());
    h.extend_from_slice(&blocksize.to_le_bytes());
    h.extend_from_slice(&cbytes.to_le_bytes());
    h
}

/// Little-endian u32 values 0, 1, 2, ... (compressible after shuffling).
fn ramp(n: usize) -> Vec<u8> {
    (0..n as u32).flat_map(u32::to_le_bytes).collect()
}

#[test]
fn decodes_a_hand_made_memcpyed_buffer_exactly() -> TestResult {
    // The blosc format: 16-byte header, flags bit 1 (0x02) = stored without compression.
    let data = b"zarrkit blosc reference".to_vec();
    let n = data.len() as u32;
    let mut buf = header(0x02, 1, n, n, n + 16);
    buf.extend_from_slice(&data);
    let c = BloscCodec::new(BloscCompressor::Lz4, 5, BloscShuffle::NoShuffle, None, 0)?;
    for repr in [
        BytesRepresentation::Fixed(n.into()),
        BytesRepresentation::Bounded(1000),
        BytesRepresentation::Unbounded,
    ] {
        assert_eq!(
            c.decode(buf.clone().into(), &repr, &opts())?,
            data,
            "{repr:?}"
        );
    }
    // clevel 0 stores the data the same way.
    let enc = BloscCodec::new(
        BloscCompressor::Blosclz,
        0,
        BloscShuffle::NoShuffle,
        None,
        0,
    )?
    .encode(data.clone(), &opts())?;
    assert_eq!(enc.len(), data.len() + 16);
    assert_eq!(&enc[16..], &data[..]);
    assert_ne!(enc[2] & 0x02, 0, "memcpyed flag");
    assert_eq!(&enc[4..8], &n.to_le_bytes());
    assert_eq!(&enc[12..16], &(n + 16).to_le_bytes());
    Ok(())
}

#[test]
fn every_compressor_and_shuffle_round_trips() -> TestResult {
    let data = ramp(10_000);
    let n = data.len() as u64;
    for cname in COMPRESSORS {
        for shuffle in SHUFFLES {
            for (clevel, blocksize) in [(1, 0), (5, 0), (9, 4096)] {
                let c = BloscCodec::new(cname, clevel, shuffle, Some(4), blocksize)?;
                let enc = c.encode(data.clone(), &opts())?;
                assert!(enc.len() as u64 <= n + 16);
                if clevel == 9 && shuffle == BloscShuffle::Shuffle {
                    assert!(
                        enc.len() < data.len() / 2,
                        "{cname:?} did not compress: {}",
                        enc.len()
                    );
                }
                for repr in [
                    BytesRepresentation::Fixed(n),
                    BytesRepresentation::Bounded(n),
                    BytesRepresentation::Unbounded,
                ] {
                    assert_eq!(
                        c.decode(enc.clone().into(), &repr, &opts())?,
                        data,
                        "{cname:?} {shuffle:?}"
                    );
                }
            }
        }
    }
    Ok(())
}

#[test]
fn empty_input_round_trips() -> TestResult {
    let c = BloscCodec::new(BloscCompressor::Zstd, 5, BloscShuffle::Shuffle, Some(8), 0)?;
    let enc = c.encode(Vec::new(), &opts())?;
    assert_eq!(enc.len(), 16);
    assert!(c
        .decode(enc.into(), &BytesRepresentation::Fixed(0), &opts())?
        .is_empty());
    Ok(())
}

#[test]
fn header_claiming_a_huge_size_errors_without_allocating() -> TestResult {
    let c = BloscCodec::new(BloscCompressor::Lz4, 5, BloscShuffle::NoShuffle, None, 0)?;
    // nbytes = 2^31 (more than c-blosc's maximum) and 2^30 (allowed by c-blosc), with a
    // compressed size that matches the input: refused against a bound of 320 before any
    // allocation (an allocation of 1-2 GiB would be visible as a slow or failing test).
    for nbytes in [1u32 << 31, 1 << 30, 321] {
        let mut buf = header(0x01, 4, nbytes, 256, 64);
        buf.resize(64, 0);
        for repr in [
            BytesRepresentation::Fixed(320),
            BytesRepresentation::Bounded(320),
        ] {
            let r = c.decode(buf.clone().into(), &repr, &opts());
            assert!(r.is_err(), "{nbytes} {repr:?}");
        }
    }
    // Unbounded: c-blosc's own limit still refuses 2^31.
    let mut buf = header(0x01, 4, 1 << 31, 256, 64);
    buf.resize(64, 0);
    assert!(c
        .decode(buf.into(), &BytesRepresentation::Unbounded, &opts())
        .is_err());
    Ok(())
}

#[test]
fn corrupt_input_is_an_error() -> TestResult {
    let data = ramp(2000);
    let n = data.len() as u64;
    let c = BloscCodec::new(BloscCompressor::Lz4, 5, BloscShuffle::Shuffle, Some(4), 0)?;
    let enc = c.encode(data.clone(), &opts())?;
    // Truncated at every length.
    for len in 0..enc.len() {
        for repr in [
            BytesRepresentation::Fixed(n),
            BytesRepresentation::Unbounded,
        ] {
            assert!(
                c.decode(enc[..len].to_vec().into(), &repr, &opts())
                    .is_err(),
                "truncated to {len}"
            );
        }
    }
    // Trailing bytes are padding after the frame (as c-blosc reads it): decoded, ignored.
    let mut padded = enc.clone();
    padded.push(0);
    assert_eq!(
        &c.decode(padded.into(), &BytesRepresentation::Unbounded, &opts())?[..],
        &data[..]
    );
    // Bad version byte.
    let mut bad = enc.clone();
    bad[0] = 3;
    assert!(c
        .decode(bad.into(), &BytesRepresentation::Unbounded, &opts())
        .is_err());
    // A header that says memcpyed but sizes that disagree.
    let mut bad = header(0x02, 1, 20, 20, 30);
    bad.resize(30, 0);
    assert!(c
        .decode(bad.into(), &BytesRepresentation::Unbounded, &opts())
        .is_err());
    // Wrong fixed size.
    assert!(matches!(
        c.decode(
            enc.clone().into(),
            &BytesRepresentation::Fixed(n - 1),
            &opts()
        ),
        Err(CodecError::UnexpectedSize { .. })
    ));
    assert!(c
        .decode(
            enc.clone().into(),
            &BytesRepresentation::Bounded(n - 1),
            &opts()
        )
        .is_err());
    // Corrupted compressed bytes: an error or wrong data, never a panic.
    for i in 16..enc.len() {
        let mut bad = enc.clone();
        bad[i] ^= 0x5a;
        if let Ok(d) = c.decode(bad.into(), &BytesRepresentation::Fixed(n), &opts()) {
            assert_eq!(d.len(), data.len());
        }
    }
    Ok(())
}

/// What matters only to encoding (a compressor this build lacks, the level, the element
/// size shuffling needs) opens for reading: the frame header says how to decode. Encoding
/// with it is a clear error.
#[test]
fn encode_only_parameters_are_checked_at_encode() -> TestResult {
    let data = ramp(5000);
    let repr = BytesRepresentation::Fixed(data.len() as u64);
    let frame = BloscCodec::new(BloscCompressor::Lz4, 5, BloscShuffle::Shuffle, Some(2), 0)?
        .encode(data.clone(), &opts())?;
    for json in [
        r#"{"name":"blosc","configuration":{"cname":"snappy","clevel":5,"shuffle":"noshuffle","blocksize":0}}"#,
        r#"{"name":"numcodecs.blosc","configuration":{"cname":"lz4","clevel":10,"shuffle":0,"blocksize":0}}"#,
        r#"{"name":"blosc","configuration":{"cname":"lz4","clevel":5,"shuffle":"shuffle","blocksize":0}}"#,
        r#"{"name":"blosc","configuration":{"cname":"lz4","clevel":5,"shuffle":"shuffle","typesize":0,"blocksize":0}}"#,
        r#"{"name":"numcodecs.blosc","configuration":{"cname":"snappy","clevel":5,"shuffle":1,"typesize":2,"blocksize":0}}"#,
    ] {
        let c = b2b(create_codec(&metadata(json)?)?)?;
        assert_eq!(
            &c.decode(frame.clone().into(), &repr, &opts())?[..],
            &data[..],
            "{json}"
        );
        let e = c.encode(data.clone(), &opts()).expect_err(json);
        assert!(matches!(e, CodecError::Unsupported { .. }), "{json}: {e}");
    }
    let c = b2b(create_codec_v2(&v2(
        r#"{"id":"blosc","cname":"snappy","clevel":5,"shuffle":1,"blocksize":0}"#,
    )?)?)?;
    assert_eq!(&c.decode(frame.into(), &repr, &opts())?[..], &data[..]);
    assert!(BloscCodec::new(BloscCompressor::Snappy, 5, BloscShuffle::NoShuffle, None, 0).is_err());
    Ok(())
}

/// z5py appends 16 bytes to every blosc chunk; c-blosc reads only the `cbytes` the header
/// declares, and so does this codec (whole and ranged decodes). A frame cut short is still
/// an error.
#[test]
fn trailing_padding_after_a_frame_is_ignored() -> TestResult {
    let data = ramp(300_000);
    let repr = BytesRepresentation::Fixed(data.len() as u64);
    let c = BloscCodec::new(
        BloscCompressor::Zstd,
        3,
        BloscShuffle::Shuffle,
        Some(4),
        16384,
    )?;
    let frame = c.encode(data.clone(), &opts())?;
    let mut padded = frame.clone();
    padded.extend_from_slice(&[0u8; 16]);
    assert_eq!(
        &c.decode(padded.clone().into(), &repr, &opts())?[..],
        &data[..]
    );
    let ranges = [
        ByteRange::FromStart(70_000, Some(100)),
        ByteRange::Suffix(10),
    ];
    let parts = c.decode_ranges(padded.into(), &ranges, &repr, &opts())?;
    assert_eq!(&parts[0][..], &data[70_000..70_100]);
    assert_eq!(&parts[1][..], &data[data.len() - 10..]);
    let short = frame[..frame.len() - 1].to_vec();
    assert!(c.decode(short.into(), &repr, &opts()).is_err());
    Ok(())
}

#[test]
fn configuration_errors() -> TestResult {
    for bad in [
        r#"{"name":"blosc","configuration":{"cname":"lz5","clevel":5,"shuffle":"noshuffle","blocksize":0}}"#,
        r#"{"name":"blosc","configuration":{"cname":"lz4","clevel":-1,"shuffle":"noshuffle","blocksize":0}}"#,
        r#"{"name":"blosc","configuration":{"cname":"lz4","clevel":10,"shuffle":"noshuffle","blocksize":0}}"#,
        r#"{"name":"blosc","configuration":{"cname":"lz4","clevel":5,"shuffle":"byte","typesize":4,"blocksize":0}}"#,
        r#"{"name":"blosc","configuration":{"cname":"lz4","clevel":5,"shuffle":"noshuffle"}}"#,
        r#"{"name":"blosc","configuration":{"cname":"lz4","clevel":5,"shuffle":"noshuffle","blocksize":0,"x":1}}"#,
        r#"{"name":"blosc"}"#,
    ] {
        let r = create_codec(&metadata(bad)?);
        assert!(
            matches!(r, Err(PluginError::InvalidConfiguration { .. })),
            "{bad}: {r:?}"
        );
    }
    for bad in [
        r#"{"id":"blosc","cname":"lz5","clevel":5,"shuffle":1,"blocksize":0}"#,
        r#"{"id":"blosc","cname":"lz4","clevel":5,"shuffle":3,"blocksize":0}"#,
        r#"{"id":"blosc","cname":"lz4","clevel":5,"shuffle":1,"blocksize":0,"x":0}"#,
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
    let data = ramp(3000);
    let repr = BytesRepresentation::Fixed(data.len() as u64);
    for json in [
        r#"{"name":"blosc","configuration":{"cname":"zstd","clevel":5,"shuffle":"shuffle","typesize":4,"blocksize":0}}"#,
        r#"{"name":"blosc","configuration":{"cname":"lz4","clevel":1,"shuffle":"noshuffle","blocksize":0}}"#,
        r#"{"name":"numcodecs.blosc","configuration":{"cname":"blosclz","clevel":9,"shuffle":"bitshuffle","typesize":2,"blocksize":1024}}"#,
    ] {
        let c = b2b(create_codec(&metadata(json)?)?)?;
        assert_eq!(c.name(), "blosc");
        let enc = c.encode(data.clone(), &opts())?;
        assert_eq!(c.decode(enc.into(), &repr, &opts())?, data);
    }
    let json = r#"{"name":"blosc","configuration":{"cname":"zstd","clevel":5,"shuffle":"shuffle","typesize":4,"blocksize":0}}"#;
    let c = create_codec(&metadata(json)?)?;
    assert_eq!(
        zarrkit_core::serde_json::to_value(c.metadata())?,
        zarrkit_core::serde_json::from_str::<Value>(json)?
    );
    // V2 / numcodecs, including autoshuffle and the defaults.
    for (json, shuffle, typesize) in [
        (
            r#"{"id":"blosc","cname":"lz4","clevel":5,"shuffle":1,"blocksize":0}"#,
            "shuffle",
            1,
        ),
        (
            r#"{"id":"blosc","cname":"zstd","clevel":3,"shuffle":2,"blocksize":0}"#,
            "bitshuffle",
            1,
        ),
        (
            r#"{"id":"blosc","cname":"zlib","clevel":1,"shuffle":0,"blocksize":0}"#,
            "noshuffle",
            1,
        ),
        (
            r#"{"id":"blosc","cname":"lz4","clevel":5,"shuffle":-1,"blocksize":0}"#,
            "bitshuffle",
            1,
        ),
        (
            r#"{"id":"blosc","cname":"lz4","clevel":5,"shuffle":-1,"blocksize":0,"typesize":4}"#,
            "shuffle",
            4,
        ),
        (r#"{"id":"blosc"}"#, "shuffle", 1),
    ] {
        let c = b2b(create_codec_v2(&v2(json)?)?)?;
        let conf = c.configuration().ok_or("no configuration")?;
        // The same configuration without `id` under the V3 name `numcodecs.blosc`.
        let mut m = v2(json)?;
        m.remove("id");
        if m.contains_key("shuffle") {
            let c3 = b2b(create_codec(&MetadataV3::new_with_configuration(
                "numcodecs.blosc",
                m,
            ))?)?;
            assert_eq!(c3.configuration().as_ref(), Some(&conf), "{json}");
        }
        assert_eq!(conf.get("shuffle"), Some(&Value::from(shuffle)), "{json}");
        assert_eq!(conf.get("typesize"), Some(&Value::from(typesize)), "{json}");
        let enc = c.encode(data.clone(), &opts())?;
        assert_eq!(c.decode(enc.into(), &repr, &opts())?, data);
    }
    Ok(())
}

/// A V2 configuration takes its element size from the array (a `typesize` member wins), and
/// the codec writes itself back to V2 without it.
#[test]
fn v2_element_size_comes_from_the_array() -> TestResult {
    use zarrkit_core::registry::{create_codec_v2_for, CodecV2Context};
    let json = r#"{"id":"blosc","cname":"zstd","clevel":3,"shuffle":1,"blocksize":0}"#;
    for (element_size, typesize) in [(Some(4), 4), (Some(8), 8), (None, 1), (Some(300), 1)] {
        let ctx = CodecV2Context::with_element_size(element_size);
        let c = b2b(create_codec_v2_for(&v2(json)?, &ctx)?)?;
        let conf = c.configuration().ok_or("no configuration")?;
        assert_eq!(
            conf.get("typesize"),
            Some(&Value::from(typesize)),
            "{element_size:?}"
        );
        assert_eq!(conf.get("shuffle"), Some(&Value::from("shuffle")));
        // Back to V2: the numcodecs form without typesize; re-created for the same array it
        // is the same codec.
        let back = c.configuration_v2().ok_or("no V2 configuration")?;
        assert_eq!(back, v2(json)?);
        let again = b2b(create_codec_v2_for(&back, &ctx)?)?;
        assert_eq!(again.configuration(), Some(conf));
    }
    let explicit =
        v2(r#"{"id":"blosc","cname":"lz4","clevel":5,"shuffle":1,"blocksize":0,"typesize":2}"#)?;
    let c = b2b(create_codec_v2_for(
        &explicit,
        &CodecV2Context::with_element_size(Some(8)),
    )?)?;
    assert_eq!(
        c.configuration().and_then(|m| m.get("typesize").cloned()),
        Some(Value::from(2))
    );
    Ok(())
}

#[test]
fn decode_ranges_decodes_ranges() -> TestResult {
    use zarrkit_core::storage::ByteRange;
    let data = ramp(1000);
    let c = Arc::new(BloscCodec::new(
        BloscCompressor::Lz4,
        5,
        BloscShuffle::Shuffle,
        Some(4),
        0,
    )?);
    let enc = c.encode(data.clone(), &opts())?;
    let parts = c.decode_ranges(
        enc.into(),
        &[ByteRange::FromStart(8, Some(4)), ByteRange::Suffix(4)],
        &BytesRepresentation::Fixed(4000),
        &opts(),
    )?;
    assert_eq!(
        parts,
        vec![2u32.to_le_bytes().to_vec(), 999u32.to_le_bytes().to_vec()]
    );
    Ok(())
}

#[test]
fn concurrent_use_is_safe() -> TestResult {
    let c = Arc::new(BloscCodec::new(
        BloscCompressor::Zstd,
        5,
        BloscShuffle::Shuffle,
        Some(4),
        0,
    )?);
    let handles: Vec<_> = (0..8)
        .map(|t| {
            let c = c.clone();
            std::thread::spawn(move || -> Result<(), CodecError> {
                for i in 0..20 {
                    let data = ramp(1000 + 37 * i + t);
                    let enc = c.encode(data.clone(), &opts())?;
                    let dec = c.decode(
                        enc.into(),
                        &BytesRepresentation::Fixed(data.len() as u64),
                        &opts(),
                    )?;
                    if dec != data {
                        return Err(CodecError::new("test", "mismatch"));
                    }
                }
                Ok(())
            })
        })
        .collect();
    for h in handles {
        h.join().map_err(|_| "thread panicked")??;
    }
    Ok(())
}

proptest! {
    #[test]
    fn round_trip(
        data in prop::collection::vec(any::<u8>(), 0..5000),
        cname in prop::sample::select(COMPRESSORS.to_vec()),
        shuffle in prop::sample::select(SHUFFLES.to_vec()),
        clevel in 0u8..=9,
        typesize in 1usize..=16,
        blocksize in prop_oneof![Just(0usize), 1usize..5000],
    ) {
        let c = BloscCodec::new(cname, clevel, shuffle, Some(typesize), blocksize)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let n = data.len() as u64;
        let enc = c.encode(data.clone(), &opts()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let bound = c.encoded_representation(&BytesRepresentation::Fixed(n)).bound();
        prop_assert!(bound.is_some_and(|b| enc.len() as u64 <= b));
        let dec = c.decode(enc.into(), &BytesRepresentation::Fixed(n), &opts()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(dec, data);
    }

    #[test]
    fn arbitrary_input_never_panics(
        body in prop::collection::vec(any::<u8>(), 0..400),
        flags in any::<u8>(),
        typesize in any::<u8>(),
        nbytes in 0u32..2000,
        blocksize in 0u32..3000,
    ) {
        // A plausible header whose compressed size matches, over random bytes.
        let cbytes = (body.len() + 16) as u32;
        let mut buf = header(flags, typesize, nbytes, blocksize, cbytes);
        buf.extend_from_slice(&body);
        let c = BloscCodec::new(BloscCompressor::Lz4, 5, BloscShuffle::NoShuffle, None, 0)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        for repr in [BytesRepresentation::Bounded(1000), BytesRepresentation::Unbounded] {
            if let Ok(d) = c.decode(buf.clone().into(), &repr, &opts()) {
                prop_assert_eq!(d.len() as u32, nbytes);
            }
        }
        let _ = c.decode(body.into(), &BytesRepresentation::Unbounded, &opts());
    }
}

#[test]
fn decode_ranges_decodes_only_the_blocks_needed() -> Result<(), Box<dyn std::error::Error>> {
    let n = 1usize << 20;
    let data: Vec<u8> = (0..n)
        .map(|i| ((i / 700) as u8) ^ ((i % 7) as u8))
        .collect();
    for (typesize, shuffle, blocksize) in [
        (2, BloscShuffle::BitShuffle, 0),
        (4, BloscShuffle::Shuffle, 16384),
        (1, BloscShuffle::NoShuffle, 0),
    ] {
        let codec = Arc::new(BloscCodec::new(
            BloscCompressor::Blosclz,
            9,
            shuffle,
            Some(typesize),
            blocksize,
        )?);
        let enc = codec.encode(data.clone(), &opts())?;
        let repr = BytesRepresentation::Fixed(n as u64);
        let enc = zarrkit_core::codec::Bytes::from(enc);
        let ranges = [
            ByteRange::FromStart(0, Some(3)),
            ByteRange::FromStart(1001, Some(77_777)),
            ByteRange::FromStart(500_001, Some(0)),
            ByteRange::FromStart(700_003, Some(5)),
            ByteRange::Suffix(9),
        ];
        let got = codec.decode_ranges(enc.clone(), &ranges, &repr, &opts())?;
        for (r, g) in ranges.iter().zip(got) {
            let rr = r.to_range(n as u64).ok_or("range")?;
            assert_eq!(g, &data[rr.start as usize..rr.end as usize], "{r}");
        }
        assert!(codec
            .decode_ranges(
                enc,
                &[ByteRange::FromStart(n as u64, Some(1))],
                &repr,
                &opts()
            )
            .is_err());
    }
    // Corrupt input.
    let codec = Arc::new(BloscCodec::new(
        BloscCompressor::Lz4,
        5,
        BloscShuffle::Shuffle,
        Some(2),
        0,
    )?);
    let repr = BytesRepresentation::Fixed(n as u64);
    let mut enc = codec.encode(data.clone(), &opts())?;
    let last = enc.len() - 1;
    enc.truncate(last);
    assert!(codec
        .decode_ranges(
            enc.into(),
            &[ByteRange::FromStart(0, Some(1))],
            &repr,
            &opts()
        )
        .is_err());
    Ok(())
}
