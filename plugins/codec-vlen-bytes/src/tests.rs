use super::*;
use proptest::prelude::*;
use zarrkit_core::registry::{create_codec, create_codec_v2, data_type_by_name};
use zarrkit_core::FillValue;
use zarrkit_dtype_bytes as _;
use zarrkit_dtype_numeric as _;

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// numcodecs 0.16.6 `VLenBytes().encode(np.array([b"", b"\x00\xff\x10", b"bytes", b"y" * 260], dtype=object))`.
const REFERENCE: &str = concat!(
    "04000000000000000300000000ff100500000062797465730401000079797979797979797979797979797979",
    "7979797979797979797979797979797979797979797979797979797979797979797979797979797979797979",
    "7979797979797979797979797979797979797979797979797979797979797979797979797979797979797979",
    "7979797979797979797979797979797979797979797979797979797979797979797979797979797979797979",
    "7979797979797979797979797979797979797979797979797979797979797979797979797979797979797979",
    "7979797979797979797979797979797979797979797979797979797979797979797979797979797979797979",
    "797979797979797979797979797979797979797979797979",
);

fn hex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap_or(0))
        .collect()
}

fn elements() -> Vec<Vec<u8>> {
    vec![
        Vec::new(),
        vec![0x00, 0xff, 0x10],
        b"bytes".to_vec(),
        vec![b'y'; 260],
    ]
}

fn to_array_bytes(v: &[Vec<u8>]) -> ArrayBytes {
    let mut bytes = Vec::new();
    let mut offsets = vec![0];
    for s in v {
        bytes.extend_from_slice(s);
        offsets.push(bytes.len());
    }
    ArrayBytes::Variable { bytes, offsets }
}

fn repr(shape: Vec<u64>) -> Result<ChunkRepresentation, Box<dyn std::error::Error>> {
    Ok(ChunkRepresentation::new(
        shape,
        data_type_by_name("variable_length_bytes")?,
        FillValue::new(Vec::new()),
    ))
}

fn opts() -> CodecOptions {
    CodecOptions::default()
}

#[test]
fn decodes_numcodecs_reference_exactly() -> TestResult {
    let c = VlenBytesCodec::new();
    let r = repr(vec![2, 2])?;
    let dec = c.decode(hex(REFERENCE).into(), &r, &opts())?;
    assert_eq!(dec, to_array_bytes(&elements()));
    assert_eq!(c.encode(dec, &r, &opts())?, hex(REFERENCE));
    Ok(())
}

#[test]
fn invalid_utf8_is_fine_for_bytes() -> TestResult {
    let c = VlenBytesCodec::new();
    let a = to_array_bytes(&[vec![0xff, 0xfe]]);
    let r = repr(vec![1])?;
    let enc = c.encode(a.clone(), &r, &opts())?;
    assert_eq!(c.decode(enc.into(), &r, &opts())?, a);
    Ok(())
}

#[test]
fn corrupt_input_is_an_error() -> TestResult {
    let c = VlenBytesCodec::new();
    let r = repr(vec![4])?;
    let good = hex(REFERENCE);
    for n in 0..good.len() {
        assert!(
            c.decode(good[..n].to_vec().into(), &r, &opts()).is_err(),
            "{n}"
        );
    }
    let mut bad = good.clone();
    bad.extend_from_slice(b"xx");
    assert!(c.decode(bad.into(), &r, &opts()).is_err());
    for count in [3u32, 5, u32::MAX] {
        let mut bad = good.clone();
        bad[..4].copy_from_slice(&count.to_le_bytes());
        assert!(c.decode(bad.into(), &r, &opts()).is_err(), "{count}");
    }
    for len in [1u32, 300, u32::MAX] {
        let mut bad = good.clone();
        // The length of element 1 is at byte 8.
        bad[8..12].copy_from_slice(&len.to_le_bytes());
        assert!(c.decode(bad.into(), &r, &opts()).is_err(), "{len}");
    }
    // A claimed count matching a huge chunk, with a tiny buffer.
    let r = repr(vec![1 << 21, 1 << 21])?;
    assert!(c
        .decode(vec![0, 0, 0, 0, 0, 0, 0, 0].into(), &r, &opts())
        .is_err());
    Ok(())
}

#[test]
fn registry_names_and_configuration() -> TestResult {
    for json in [
        r#"{"name":"vlen-bytes","configuration":{}}"#,
        r#"{"name":"vlen-bytes"}"#,
        r#"{"name":"numcodecs.vlen-bytes"}"#,
    ] {
        let m: MetadataV3 = zarrkit_core::serde_json::from_str(json)?;
        let c = create_codec(&m)?;
        assert!(matches!(c, Codec::ArrayToBytes(_)));
        assert_eq!(c.name(), m.name());
    }
    let m: MetadataV3 =
        zarrkit_core::serde_json::from_str(r#"{"name":"vlen-bytes","configuration":{"x":1}}"#)?;
    assert!(create_codec(&m).is_err());
    let v2: Map<String, Value> = zarrkit_core::serde_json::from_str(r#"{"id":"vlen-bytes"}"#)?;
    assert_eq!(create_codec_v2(&v2)?.name(), "vlen-bytes");
    let r = ChunkRepresentation::new(
        vec![2],
        data_type_by_name("int16")?,
        FillValue::new(vec![0, 0]),
    );
    assert!(VlenBytesCodec::new().encoded_representation(&r).is_err());
    Ok(())
}

proptest! {
    #[test]
    fn round_trip(v in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..30), 0..40)) {
        let c = VlenBytesCodec::new();
        let r = repr(vec![v.len() as u64]).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let a = to_array_bytes(&v);
        let enc = c.encode(a.clone(), &r, &opts()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let dec = c.decode(enc.into(), &r, &opts()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(dec, a);
    }

    #[test]
    fn arbitrary_input_never_panics(data in prop::collection::vec(any::<u8>(), 0..200), n in 0u64..20) {
        let c = VlenBytesCodec::new();
        let r = repr(vec![n]).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let _ = c.decode(data.into(), &r, &opts());
    }
}
