use super::*;
use proptest::prelude::*;
use zarrkit_core::registry::{create_codec, create_codec_v2, data_type_by_name};
use zarrkit_core::FillValue;
use zarrkit_dtype_numeric as _;
use zarrkit_dtype_string as _;

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// numcodecs 0.16.6 `VLenUTF8().encode(np.array(["", "hello", "héllo wörld ✓", "a\0b", "x" * 300, "zarr"], dtype=object))`.
const REFERENCE: &str = concat!(
    "06000000000000000500000068656c6c6f1100000068c3a96c6c6f2077c3b6726c6420e29c93030000006100",
    "622c010000787878787878787878787878787878787878787878787878787878787878787878787878787878",
    "7878787878787878787878787878787878787878787878787878787878787878787878787878787878787878",
    "7878787878787878787878787878787878787878787878787878787878787878787878787878787878787878",
    "7878787878787878787878787878787878787878787878787878787878787878787878787878787878787878",
    "7878787878787878787878787878787878787878787878787878787878787878787878787878787878787878",
    "7878787878787878787878787878787878787878787878787878787878787878787878787878787878787878",
    "7878787878787878787878787878787878787878787878787878787878787878787878787878787878040000",
    "007a617272",
);

fn hex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap_or(0))
        .collect()
}

fn strings() -> Vec<String> {
    vec![
        String::new(),
        "hello".into(),
        "héllo wörld ✓".into(),
        "a\0b".into(),
        "x".repeat(300),
        "zarr".into(),
    ]
}

fn to_array_bytes(v: &[String]) -> ArrayBytes {
    let mut bytes = Vec::new();
    let mut offsets = vec![0];
    for s in v {
        bytes.extend_from_slice(s.as_bytes());
        offsets.push(bytes.len());
    }
    ArrayBytes::Variable { bytes, offsets }
}

fn repr(shape: Vec<u64>) -> Result<ChunkRepresentation, Box<dyn std::error::Error>> {
    Ok(ChunkRepresentation::new(
        shape,
        data_type_by_name("string")?,
        FillValue::new(Vec::new()),
    ))
}

fn opts() -> CodecOptions {
    CodecOptions::default()
}

#[test]
fn decodes_numcodecs_reference_exactly() -> TestResult {
    let c = VlenUtf8Codec::new();
    let r = repr(vec![2, 3])?;
    let dec = c.decode(hex(REFERENCE).into(), &r, &opts())?;
    assert_eq!(dec, to_array_bytes(&strings()));
    // And encoding gives numcodecs' bytes back.
    assert_eq!(c.encode(dec, &r, &opts())?, hex(REFERENCE));
    Ok(())
}

#[test]
fn corrupt_input_is_an_error() -> TestResult {
    let c = VlenUtf8Codec::new();
    let r = repr(vec![6])?;
    let good = hex(REFERENCE);
    // Truncated anywhere.
    for n in 0..good.len() {
        assert!(
            c.decode(good[..n].to_vec().into(), &r, &opts()).is_err(),
            "{n}"
        );
    }
    // Trailing bytes.
    let mut bad = good.clone();
    bad.push(0);
    assert!(c.decode(bad.into(), &r, &opts()).is_err());
    // Wrong count (more, fewer, huge).
    for count in [5u32, 7, u32::MAX] {
        let mut bad = good.clone();
        bad[..4].copy_from_slice(&count.to_le_bytes());
        assert!(c.decode(bad.into(), &r, &opts()).is_err(), "{count}");
    }
    // A length that runs past the end, and one that would overflow.
    for len in [6u32, 1000, u32::MAX] {
        let mut bad = good.clone();
        bad[8..12].copy_from_slice(&len.to_le_bytes());
        assert!(c.decode(bad.into(), &r, &opts()).is_err(), "{len}");
    }
    Ok(())
}

#[test]
fn invalid_utf8_names_the_element() -> TestResult {
    let c = VlenUtf8Codec::new();
    let r = repr(vec![6])?;
    let mut bad = hex(REFERENCE);
    // Element 1 ("hello") starts at byte 12.
    bad[12] = 0xff;
    bad[13] = 0xfe;
    let e = c
        .decode(bad.into(), &r, &opts())
        .err()
        .ok_or("invalid UTF-8 was accepted")?;
    assert!(e.to_string().contains("element 1"), "{e}");
    // A multi-byte character cut between two elements is invalid in each.
    let split = to_array_bytes(&["é".into()]);
    let ArrayBytes::Variable { bytes, .. } = split else {
        return Err("variable".into());
    };
    let framed = [
        &2u32.to_le_bytes()[..],
        &1u32.to_le_bytes(),
        &bytes[..1],
        &1u32.to_le_bytes(),
        &bytes[1..],
    ]
    .concat();
    assert!(c.decode(framed.into(), &repr(vec![2])?, &opts()).is_err());
    // Encoding refuses invalid UTF-8 too.
    let bad = ArrayBytes::Variable {
        bytes: vec![0xff],
        offsets: vec![0, 1],
    };
    assert!(c.encode(bad, &repr(vec![1])?, &opts()).is_err());
    Ok(())
}

#[test]
fn huge_claimed_count_does_not_allocate() -> TestResult {
    // A chunk of 2^40 elements and an input claiming that many: rejected before allocating.
    let c = VlenUtf8Codec::new();
    let r = repr(vec![1 << 20, 1 << 20])?;
    let input = [&0u32.to_le_bytes()[..], &[0u8; 16]].concat();
    assert!(c.decode(input.into(), &r, &opts()).is_err());
    Ok(())
}

#[test]
fn empty_chunk_round_trips() -> TestResult {
    let c = VlenUtf8Codec::new();
    let r = repr(vec![0, 4])?;
    let enc = c.encode(to_array_bytes(&[]), &r, &opts())?;
    assert_eq!(enc, vec![0, 0, 0, 0]);
    assert_eq!(c.decode(enc.into(), &r, &opts())?, to_array_bytes(&[]));
    Ok(())
}

#[test]
fn rejects_fixed_size_data_types() -> TestResult {
    let c = VlenUtf8Codec::new();
    let r = ChunkRepresentation::new(
        vec![2],
        data_type_by_name("uint8")?,
        FillValue::new(vec![0]),
    );
    assert!(c.encoded_representation(&r).is_err());
    assert!(c.decode(vec![2, 0, 0, 0].into(), &r, &opts()).is_err());
    Ok(())
}

#[test]
fn registry_names_and_configuration() -> TestResult {
    for json in [
        r#"{"name":"vlen-utf8","configuration":{}}"#,
        r#"{"name":"vlen-utf8"}"#,
        r#""vlen-utf8""#,
        r#"{"name":"numcodecs.vlen-utf8"}"#,
    ] {
        let m: MetadataV3 = zarrkit_core::serde_json::from_str(json)?;
        let c = create_codec(&m)?;
        assert!(matches!(c, Codec::ArrayToBytes(_)));
        assert_eq!(c.name(), m.name());
    }
    let m: MetadataV3 =
        zarrkit_core::serde_json::from_str(r#"{"name":"vlen-utf8","configuration":{"x":1}}"#)?;
    assert!(matches!(
        create_codec(&m),
        Err(PluginError::InvalidConfiguration { .. })
    ));
    let v2: Map<String, Value> = zarrkit_core::serde_json::from_str(r#"{"id":"vlen-utf8"}"#)?;
    let c = create_codec_v2(&v2)?;
    assert_eq!(c.name(), "vlen-utf8");
    assert_eq!(
        zarrkit_core::serde_json::to_value(c.metadata())?,
        zarrkit_core::serde_json::json!({"name": "vlen-utf8", "configuration": {}})
    );
    let v2: Map<String, Value> = zarrkit_core::serde_json::from_str(r#"{"id":"vlen-utf8","x":1}"#)?;
    assert!(create_codec_v2(&v2).is_err());
    Ok(())
}

#[test]
fn partial_decode_extracts_subsets() -> TestResult {
    let c = Arc::new(zarrkit_core::codec::CodecChain::new(
        vec![],
        Arc::new(VlenUtf8Codec::new()),
        vec![],
    ));
    let r = repr(vec![2, 3])?;
    let s = zarrkit_core::ArraySubset::new_with_ranges(&[0..2, 1..2])?;
    let machine = c.partial_decode(&r, &[s], None, &opts())?;
    let out = zarrkit_core::codec::decode_from_memory(machine, &hex(REFERENCE).into())?;
    assert_eq!(
        out,
        vec![to_array_bytes(&["hello".into(), "x".repeat(300)])]
    );
    Ok(())
}

proptest! {
    #[test]
    fn round_trip(v in prop::collection::vec(".{0,20}", 0..40)) {
        let c = VlenUtf8Codec::new();
        let r = repr(vec![v.len() as u64]).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let a = to_array_bytes(&v);
        let enc = c.encode(a.clone(), &r, &opts()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let dec = c.decode(enc.into(), &r, &opts()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(dec, a);
    }

    #[test]
    fn arbitrary_input_never_panics(data in prop::collection::vec(any::<u8>(), 0..200), n in 0u64..20) {
        let c = VlenUtf8Codec::new();
        let r = repr(vec![n]).map_err(|e| TestCaseError::fail(e.to_string()))?;
        if let Ok(ArrayBytes::Variable { bytes, offsets }) = c.decode(data.into(), &r, &opts()) {
            prop_assert_eq!(offsets.len() as u64, n + 1);
            prop_assert!(std::str::from_utf8(&bytes).is_ok());
        }
    }
}
