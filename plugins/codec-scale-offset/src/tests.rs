use super::*;
use proptest::prelude::*;
use zarrkit_core::serde_json::{self, json};

use zarrkit_dtype_numeric as _;

const VECTORS: &str = include_str!("../vectors/vectors.json");

type R = Result<(), Box<dyn std::error::Error>>;

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .filter_map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Little-endian element bytes (the vectors) to native-endian ones.
fn le_to_ne(mut b: Vec<u8>, size: usize) -> Vec<u8> {
    if cfg!(target_endian = "big") {
        b.chunks_exact_mut(size).for_each(<[u8]>::reverse);
    }
    b
}

fn codec_of(conf: Value) -> Result<Arc<dyn ArrayToArrayCodecTraits>, Box<dyn std::error::Error>> {
    let m: MetadataV3 = serde_json::from_value(json!({"name": NAME, "configuration": conf}))?;
    match zarrkit_core::registry::create_codec(&m)? {
        Codec::ArrayToArray(c) => Ok(c),
        _ => Err("not array->array".into()),
    }
}

fn repr(dtype: &str, n: usize) -> Result<ChunkRepresentation, Box<dyn std::error::Error>> {
    let dt = zarrkit_core::registry::data_type_by_name(dtype)?;
    let size = dt.size().fixed().ok_or("variable")?;
    Ok(ChunkRepresentation::new(
        vec![n as u64],
        dt,
        FillValue::new(vec![0; size]),
    ))
}

#[test]
fn numpy_expressions_of_zarr_python() -> R {
    let v: Value = serde_json::from_str(VECTORS)?;
    let o = CodecOptions::default();
    for c in v["cases"].as_array().ok_or("cases")? {
        let dtype = c["dtype"].as_str().ok_or("dtype")?;
        let codec = codec_of(json!({"offset": c["offset"], "scale": c["scale"]}))?;
        let input = unhex(c["input_le"].as_str().ok_or("input")?);
        let size = zarrkit_core::registry::data_type_by_name(dtype)?
            .size()
            .fixed()
            .ok_or("size")?;
        let r = repr(dtype, input.len() / size)?;
        let input = le_to_ne(input, size);
        let encoded = le_to_ne(unhex(c["encoded_le"].as_str().ok_or("enc")?), size);
        let decoded = le_to_ne(unhex(c["decoded_le"].as_str().ok_or("dec")?), size);
        let got = codec.encode(ArrayBytes::Fixed(input.clone()), &r, &o);
        if c["encode_overflows"].as_bool() == Some(true) {
            // numpy wraps; zarrkit (as zarrs) refuses to write a value it cannot decode back.
            let e = got.err().ok_or(format!("{c}: overflow encoded"))?;
            assert!(e.to_string().contains("overflows"), "{e}");
        } else {
            assert_eq!(got?.as_fixed(), Some(encoded.as_slice()), "encode {c}");
        }
        // Decoding what numpy encoded gives what numpy decodes; only wrapped values (which
        // no implementation decodes back to the input) may be refused.
        match codec.decode(ArrayBytes::Fixed(encoded), &r, &o) {
            Ok(d) => assert_eq!(d.as_fixed(), Some(decoded.as_slice()), "decode {c}"),
            Err(e) => {
                assert_eq!(
                    c["encode_overflows"].as_bool(),
                    Some(true),
                    "decode {c}: {e}"
                );
                let m = e.to_string();
                assert!(
                    m.contains("non-zero remainder") || m.contains("outside the range"),
                    "{m}"
                );
            }
        }
    }
    Ok(())
}

#[test]
fn integer_decode_is_exact_or_an_error() -> R {
    let v: Value = serde_json::from_str(VECTORS)?;
    let o = CodecOptions::default();
    // These vectors were made to show numpy's floor division and wrapping: every one holds a
    // stored value that is not a multiple of its scale, or whose quotient does not fit
    // (-128 / -1 in int8); numpy_floor_le is what numpy 2 decodes. Exact decoding refuses
    // each, naming the first such element.
    let cases = v["decodes"].as_array().ok_or("decodes")?;
    assert!(!cases.is_empty());
    for c in cases {
        let dtype = c["dtype"].as_str().ok_or("dtype")?;
        let codec = codec_of(json!({"offset": c["offset"], "scale": c["scale"]}))?;
        let stored = unhex(c["stored_le"].as_str().ok_or("stored")?);
        let size = zarrkit_core::registry::data_type_by_name(dtype)?
            .size()
            .fixed()
            .ok_or("size")?;
        let r = repr(dtype, stored.len() / size)?;
        let e = codec
            .decode(ArrayBytes::Fixed(le_to_ne(stored, size)), &r, &o)
            .err()
            .ok_or(format!("{c}: decoded"))?;
        let m = e.to_string();
        assert!(
            m.contains("non-zero remainder") || m.contains("outside the range of dtype"),
            "{c}: {m}"
        );
    }
    let int = |dtype: &str, conf: Value, stored: Vec<u8>| -> Result<ArrayBytes, CodecError> {
        let n = stored.len() / if dtype == "int8" { 1 } else { 4 };
        codec_of(conf)
            .map_err(|e| CodecError::Internal(e.to_string()))?
            .decode(
                ArrayBytes::Fixed(stored),
                &repr(dtype, n).map_err(|e| CodecError::Internal(e.to_string()))?,
                &o,
            )
    };
    // zarr-python 3.4.2's test_integer_decode_rejects_non_exact_division: int8 [2, 3, 4] / 2.
    let e = int("int8", json!({"scale": 2}), vec![2, 3, 4])
        .err()
        .ok_or("3 / 2 decoded")?;
    assert!(e.to_string().contains("element 1 (stored 3)"), "{e}");
    assert!(e.to_string().contains("non-zero remainder"), "{e}");
    // -7 / 2: numpy's floor gave -4, zarrs' truncation -3; neither is a value written.
    let m = int("int32", json!({"scale": 2}), (-7i32).to_ne_bytes().to_vec());
    assert!(m.is_err());
    let d = int("int32", json!({"scale": 2}), (-8i32).to_ne_bytes().to_vec())?;
    assert_eq!(d.as_fixed(), Some(&(-4i32).to_ne_bytes()[..]));
    // test_decode_rejects_integer_overflow_on_offset_add: int8 100 / 1 + 100 = 200.
    let e = int("int8", json!({"offset": 100, "scale": 1}), vec![0, 50, 100])
        .err()
        .ok_or("200 decoded as int8")?;
    assert!(
        e.to_string().contains("outside the range of dtype int8"),
        "{e}"
    );
    // -128 / -1 = 128 does not fit int8, but 128 + -1 does: exact arithmetic, no wrap.
    let d = int("int8", json!({"offset": -1, "scale": -1}), vec![0x80])?;
    assert_eq!(d.as_fixed(), Some(&[127u8][..]));
    Ok(())
}

#[test]
fn integer_errors() -> R {
    let o = CodecOptions::default();
    // Encode overflow names the element and its value.
    let codec = codec_of(json!({"offset": -100, "scale": 2}))?;
    let e = codec
        .encode(
            ArrayBytes::Fixed(vec![0, 5, 100u8 as i8 as u8]),
            &repr("int8", 3)?,
            &o,
        )
        .err()
        .ok_or("overflow encoded")?
        .to_string();
    assert!(e.contains("element 0") && e.contains("(0)"), "{e}");
    // Scale 0 cannot be decoded, nor encoded, for integers.
    let zero = codec_of(json!({"scale": 0}))?;
    let e = zero
        .decode(ArrayBytes::Fixed(vec![1, 2]), &repr("uint8", 2)?, &o)
        .err()
        .ok_or("decoded with scale 0")?;
    assert!(matches!(e, CodecError::Corrupt { .. }), "{e}");
    assert!(zero
        .encode(ArrayBytes::Fixed(vec![1, 2]), &repr("uint8", 2)?, &o)
        .is_err());
    // Floats: scale 0 is IEEE arithmetic (0, then NaN), not an error.
    let d = zero.decode(
        ArrayBytes::Fixed(1.0f32.to_ne_bytes().to_vec()),
        &repr("float32", 1)?,
        &o,
    )?;
    assert!(f32::from_ne_bytes(arr(d.as_fixed().unwrap_or_default())?).is_infinite());
    // Wrong input sizes.
    assert!(codec
        .decode(ArrayBytes::Fixed(vec![0; 5]), &repr("int16", 3)?, &o)
        .is_err());
    assert!(codec
        .encode(ArrayBytes::Fixed(vec![0; 7]), &repr("int16", 3)?, &o)
        .is_err());
    Ok(())
}

#[test]
fn binding_checks_parameters_and_data_type() -> R {
    for (conf, dtype, needle) in [
        (
            json!({"offset": 300}),
            "int8",
            "not a value of data type int8",
        ),
        (
            json!({"scale": 1.5}),
            "int32",
            "not a value of data type int32",
        ),
        (json!({"scale": "NaN"}), "uint16", "not a value"),
        (json!({"offset": 1}), "bool", "neither an integer"),
        (json!({"offset": 1}), "complex64", "neither an integer"),
    ] {
        let codec = codec_of(conf.clone())?;
        let e = codec
            .encoded_representation(&repr(dtype, 4)?)
            .err()
            .ok_or(format!("{conf} bound to {dtype}"))?
            .to_string();
        assert!(e.contains(needle), "{conf} {dtype}: {e}");
    }
    // Hex and special strings are valid for floats.
    let codec = codec_of(json!({"offset": "0x3f800000", "scale": "Infinity"}))?;
    let enc = codec.encode(
        ArrayBytes::Fixed(2.0f32.to_ne_bytes().to_vec()),
        &repr("float32", 1)?,
        &CodecOptions::default(),
    )?;
    assert_eq!(enc.as_fixed(), Some(&f32::INFINITY.to_ne_bytes()[..]));
    Ok(())
}

#[test]
fn configurations() -> R {
    for (conf, needle) in [
        (
            json!({"offset": 1, "factor": 2}),
            "unknown configuration member `factor`",
        ),
        (json!({"offset": [1]}), "must be a number"),
        (json!({"scale": null}), "must be a number"),
        (json!({"scale": true}), "must be a number"),
    ] {
        let e = codec_of(conf.clone())
            .err()
            .ok_or(format!("{conf} accepted"))?;
        assert!(e.to_string().contains(needle), "{conf}: {e}");
    }
    // Written back as read: no configuration stays none, absent members stay absent.
    let bare = zarrkit_core::registry::create_codec(&MetadataV3::new(NAME))?;
    assert_eq!(bare.metadata(), MetadataV3::new(NAME));
    let c = codec_of(json!({"scale": 0.1}))?;
    assert_eq!(
        c.configuration().map(Value::Object),
        Some(json!({"scale": 0.1}))
    );
    let c = codec_of(json!({}))?;
    assert_eq!(c.configuration().map(Value::Object), Some(json!({})));
    // Identity without configuration.
    let d = match bare {
        Codec::ArrayToArray(c) => c,
        _ => return Err("kind".into()),
    };
    let x: Vec<u8> = (0..16).collect();
    let e = d.encode(
        ArrayBytes::Fixed(x.clone()),
        &repr("uint32", 4)?,
        &CodecOptions::default(),
    )?;
    assert_eq!(e.as_fixed(), Some(x.as_slice()));
    Ok(())
}

#[test]
fn fill_value_is_encoded() -> R {
    let codec = codec_of(json!({"offset": 10, "scale": 4}))?;
    let dt = zarrkit_core::registry::data_type_by_name("int16")?;
    let r = ChunkRepresentation::new(vec![3], dt.clone(), FillValue::from(12i16));
    assert_eq!(
        codec.encoded_representation(&r)?.fill_value,
        FillValue::from(8i16)
    );
    // An encoded fill value that overflows wraps (as zarr-python), so the array opens.
    let r = ChunkRepresentation::new(vec![3], dt, FillValue::from(i16::MAX));
    assert_eq!(
        codec.encoded_representation(&r)?.fill_value,
        FillValue::from((i16::MAX).wrapping_sub(10).wrapping_mul(4))
    );
    let f = codec_of(json!({"offset": 5, "scale": 0.1}))?;
    let r = ChunkRepresentation::new(
        vec![3],
        zarrkit_core::registry::data_type_by_name("float64")?,
        FillValue::from(6.0f64),
    );
    assert_eq!(
        f.encoded_representation(&r)?.fill_value,
        FillValue::from((6.0f64 - 5.0) * 0.1)
    );
    Ok(())
}

#[test]
fn half_precision_rounds_after_each_operation() -> R {
    // 65504 - 2 = 65502 rounds to 65504 in float16 before the multiplication (numpy's
    // float16 arithmetic); computing (x - o) * s in f32 would give 32751.
    let codec = codec_of(json!({"offset": 2, "scale": 0.5}))?;
    let x = f16::from_f32(65504.0);
    let e = codec.encode(
        ArrayBytes::Fixed(x.to_ne_bytes().to_vec()),
        &repr("float16", 1)?,
        &CodecOptions::default(),
    )?;
    assert_eq!(
        e.as_fixed(),
        Some(&f16::from_f32(32752.0).to_ne_bytes()[..])
    );
    let b = codec.encode(
        ArrayBytes::Fixed(bf16::from_f32(3.0).to_ne_bytes().to_vec()),
        &repr("bfloat16", 1)?,
        &CodecOptions::default(),
    )?;
    assert_eq!(b.as_fixed(), Some(&bf16::from_f32(0.5).to_ne_bytes()[..]));
    Ok(())
}

proptest! {
    /// Integers: whenever encoding succeeds, decoding gives the input back; encoding fails
    /// exactly when the exact result is out of range.
    #[test]
    fn int32_round_trip(x in any::<i32>(), o in -1000i32..1000, s in prop_oneof![-50i32..-1, 1i32..50]) {
        let codec = codec_of(json!({"offset": o, "scale": s})).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let r = repr("int32", 1).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let opt = CodecOptions::default();
        let exact = (i64::from(x) - i64::from(o)) * i64::from(s);
        match codec.encode(ArrayBytes::Fixed(x.to_ne_bytes().to_vec()), &r, &opt) {
            Ok(e) => {
                prop_assert!(i32::try_from(exact).is_ok());
                let d = codec.decode(e, &r, &opt).map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!(d.as_fixed(), Some(&x.to_ne_bytes()[..]));
            }
            Err(_) => prop_assert!(i32::try_from(exact).is_err()),
        }
    }

    /// Integer decoding never panics: for a non-zero scale it is the exact `x / s + o`
    /// when `s` divides `x` and the result fits int8, and an error otherwise.
    #[test]
    fn int8_decode_exact(x in any::<i8>(), o in any::<i8>(), s in any::<i8>().prop_filter("non-zero", |s| *s != 0)) {
        let codec = codec_of(json!({"offset": o, "scale": s})).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let r = repr("int8", 1).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let got = codec.decode(ArrayBytes::Fixed(vec![x as u8]), &r, &CodecOptions::default());
        let (x, o, s) = (i32::from(x), i32::from(o), i32::from(s));
        let exact = (x % s == 0).then(|| x / s + o).and_then(|y| i8::try_from(y).ok());
        match (got, exact) {
            (Ok(d), Some(y)) => prop_assert_eq!(d.as_fixed(), Some(&[y as u8][..])),
            (Err(_), None) => {}
            (g, e) => prop_assert!(false, "decoded {:?}, exact {:?}", g.map(|d| d.as_fixed().map(<[u8]>::to_vec)), e),
        }
    }

    /// Floats: decode(encode(x)) is x up to rounding (relative error of a few ulps).
    #[test]
    fn float64_round_trip(x in -1e12f64..1e12, o in -1e6f64..1e6, s in 1e-3f64..1e3) {
        let codec = codec_of(json!({"offset": o, "scale": s})).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let r = repr("float64", 1).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let opt = CodecOptions::default();
        let e = codec.encode(ArrayBytes::Fixed(x.to_ne_bytes().to_vec()), &r, &opt).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(e.as_fixed(), Some(&((x - o) * s).to_ne_bytes()[..]));
        let d = codec.decode(e, &r, &opt).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let y = f64::from_ne_bytes(arr(d.as_fixed().unwrap_or_default()).map_err(TestCaseError::fail)?);
        prop_assert!((y - x).abs() <= 1e-9 * (x.abs() + o.abs() + 1.0));
    }
}
