use super::*;
use proptest::prelude::*;
use zarrkit_core::registry::{create_codec, create_codec_v2, data_type_by_name};
use zarrkit_dtype_numeric as _;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn opts() -> CodecOptions {
    CodecOptions::default()
}

fn repr(dt: &str, shape: Vec<u64>) -> Result<ChunkRepresentation, Box<dyn std::error::Error>> {
    let d = data_type_by_name(dt)?;
    let size = d.size().fixed().ok_or("fixed")?;
    Ok(ChunkRepresentation::new(
        shape,
        d,
        FillValue::new(vec![0; size]),
    ))
}

const BOOLS: [u8; 11] = [1, 0, 0, 1, 1, 1, 0, 1, 0, 1, 1];
/// numcodecs 0.16.6 `PackBits().encode(np.array([1,0,0,1,1,1,0,1,0,1,1], bool))`.
const NUMCODECS_PACKED: [u8; 3] = [0x05, 0x9d, 0x60];

fn spec(
    padding: PaddingEncoding,
    first: Option<u32>,
    last: Option<u32>,
) -> Result<PackBitsCodec, String> {
    PackBitsCodec::new(PackBitsCodecConfiguration {
        padding_encoding: Some(padding),
        first_bit: first,
        last_bit: last,
    })
}

#[test]
fn numcodecs_filter_matches_exactly() -> TestResult {
    let c = NumcodecsPackBitsCodec::new();
    let r = repr("bool", vec![11])?;
    let er = c.encoded_representation(&r)?;
    assert_eq!(er.shape, vec![3]);
    assert_eq!(er.data_type.name(), "uint8");
    let enc = c.encode(ArrayBytes::Fixed(BOOLS.to_vec()), &r, &opts())?;
    assert_eq!(enc, ArrayBytes::Fixed(NUMCODECS_PACKED.to_vec()));
    assert_eq!(
        c.decode(ArrayBytes::Fixed(NUMCODECS_PACKED.to_vec()), &r, &opts())?,
        ArrayBytes::Fixed(BOOLS.to_vec())
    );
    // Corrupt: wrong padding count, wrong length.
    assert!(c
        .decode(ArrayBytes::Fixed(vec![4, 0x9d, 0x60]), &r, &opts())
        .is_err());
    assert!(c
        .decode(ArrayBytes::Fixed(vec![5, 0x9d]), &r, &opts())
        .is_err());
    assert!(c.encoded_representation(&repr("uint8", vec![2])?).is_err());
    Ok(())
}

#[test]
fn spec_bool_bits_are_lsb_first() -> TestResult {
    let r = repr("bool", vec![11])?;
    for (p, expected) in [
        (PaddingEncoding::None, vec![0xb9, 0x06]),
        (PaddingEncoding::FirstByte, vec![0x05, 0xb9, 0x06]),
        (PaddingEncoding::LastByte, vec![0xb9, 0x06, 0x05]),
    ] {
        let c = spec(p, None, None)?;
        assert_eq!(
            c.encoded_representation(&r)?,
            BytesRepresentation::Fixed(expected.len() as u64)
        );
        let enc = c.encode(ArrayBytes::Fixed(BOOLS.to_vec()), &r, &opts())?;
        assert_eq!(enc, expected, "{p:?}");
        assert_eq!(
            c.decode(enc.into(), &r, &opts())?,
            ArrayBytes::Fixed(BOOLS.to_vec())
        );
    }
    Ok(())
}

#[test]
fn spec_signed_bits_sign_extend() -> TestResult {
    let c = spec(PaddingEncoding::None, Some(0), Some(3))?;
    let r = repr("int8", vec![4])?;
    let v: Vec<u8> = [-1i8, 7, -8, 3].iter().map(|x| *x as u8).collect();
    let enc = c.encode(ArrayBytes::Fixed(v.clone()), &r, &opts())?;
    assert_eq!(enc, vec![0x7f, 0x38]);
    assert_eq!(c.decode(enc.into(), &r, &opts())?, ArrayBytes::Fixed(v));
    // first_bit: keep bits 4..=11 of uint16, decoded back in place.
    let c = spec(PaddingEncoding::None, Some(4), Some(11))?;
    let r = repr("uint16", vec![2])?;
    let v: Vec<u8> = [0x0abcu16, 0xf123]
        .iter()
        .flat_map(|x| x.to_ne_bytes())
        .collect();
    let enc = c.encode(ArrayBytes::Fixed(v), &r, &opts())?;
    assert_eq!(enc, vec![0xab, 0x12]);
    let back: Vec<u8> = [0x0ab0u16, 0x0120]
        .iter()
        .flat_map(|x| x.to_ne_bytes())
        .collect();
    assert_eq!(c.decode(enc.into(), &r, &opts())?, ArrayBytes::Fixed(back));
    Ok(())
}

#[test]
fn spec_corrupt_input_is_an_error() -> TestResult {
    let r = repr("bool", vec![11])?;
    let c = spec(PaddingEncoding::FirstByte, None, None)?;
    assert!(c.decode(vec![0x05, 0xb9].into(), &r, &opts()).is_err());
    assert!(c
        .decode(vec![0x05, 0xb9, 0x06, 0].into(), &r, &opts())
        .is_err());
    assert!(c
        .decode(vec![0x04, 0xb9, 0x06].into(), &r, &opts())
        .is_err());
    let c = spec(PaddingEncoding::None, None, None)?;
    assert!(c.decode(vec![].into(), &r, &opts()).is_err());
    // Bits that do not fit the type.
    assert!(spec(PaddingEncoding::None, None, Some(8))?
        .encoded_representation(&repr("uint8", vec![1])?)
        .is_err());
    assert!(spec(PaddingEncoding::None, Some(3), Some(2)).is_err());
    Ok(())
}

#[test]
fn registry_selects_the_form() -> TestResult {
    let m: MetadataV3 = zarrkit_core::serde_json::from_str(
        r#"{"name":"packbits","configuration":{"padding_encoding":"first_byte"}}"#,
    )?;
    let c = create_codec(&m)?;
    assert!(matches!(c, Codec::ArrayToBytes(_)));
    assert_eq!(
        zarrkit_core::serde_json::to_value(c.metadata())?,
        zarrkit_core::serde_json::to_value(&m)?
    );
    let m: MetadataV3 = zarrkit_core::serde_json::from_str(r#"{"name":"numcodecs.packbits"}"#)?;
    let c = create_codec(&m)?;
    assert!(matches!(c, Codec::ArrayToArray(_)));
    assert_eq!(c.name(), "numcodecs.packbits");
    let v2: Map<String, Value> = zarrkit_core::serde_json::from_str(r#"{"id":"packbits"}"#)?;
    assert!(matches!(create_codec_v2(&v2)?, Codec::ArrayToArray(_)));
    for bad in [
        r#"{"name":"packbits","configuration":{"padding_encoding":"middle"}}"#,
        r#"{"name":"packbits","configuration":{"x":1}}"#,
        r#"{"name":"packbits","configuration":{"first_bit":5,"last_bit":1}}"#,
        r#"{"name":"numcodecs.packbits","configuration":{"x":1}}"#,
    ] {
        let m: MetadataV3 = zarrkit_core::serde_json::from_str(bad)?;
        assert!(create_codec(&m).is_err(), "{bad}");
    }
    Ok(())
}

proptest! {
    #[test]
    fn round_trip_bools(v in prop::collection::vec(0u8..2, 0..100), p in 0usize..3) {
        let r = repr("bool", vec![v.len() as u64]).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let pad = [PaddingEncoding::None, PaddingEncoding::FirstByte, PaddingEncoding::LastByte][p];
        let c = spec(pad, None, None).map_err(TestCaseError::fail)?;
        let enc = c.encode(ArrayBytes::Fixed(v.clone()), &r, &opts()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(c.decode(enc.into(), &r, &opts()).map_err(|e| TestCaseError::fail(e.to_string()))?, ArrayBytes::Fixed(v.clone()));
        let n = NumcodecsPackBitsCodec::new();
        let enc = n.encode(ArrayBytes::Fixed(v.clone()), &r, &opts()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(n.decode(enc, &r, &opts()).map_err(|e| TestCaseError::fail(e.to_string()))?, ArrayBytes::Fixed(v));
    }

    #[test]
    fn round_trip_i16_low_bits(v in prop::collection::vec(-64i16..64, 0..50)) {
        // 7 bits hold -64..64 exactly.
        let r = repr("int16", vec![v.len() as u64]).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let c = spec(PaddingEncoding::LastByte, None, Some(6)).map_err(TestCaseError::fail)?;
        let b: Vec<u8> = v.iter().flat_map(|x| x.to_ne_bytes()).collect();
        let enc = c.encode(ArrayBytes::Fixed(b.clone()), &r, &opts()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(enc.len(), (v.len() * 7).div_ceil(8) + 1);
        prop_assert_eq!(c.decode(enc.into(), &r, &opts()).map_err(|e| TestCaseError::fail(e.to_string()))?, ArrayBytes::Fixed(b));
    }

    #[test]
    fn arbitrary_input_never_panics(data in prop::collection::vec(any::<u8>(), 0..40), n in 0u64..100) {
        let r = repr("int32", vec![n]).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let c = spec(PaddingEncoding::FirstByte, Some(2), Some(9)).map_err(TestCaseError::fail)?;
        let _ = c.decode(data.into(), &r, &opts());
    }
}
