use super::*;
use proptest::prelude::*;
use zarrkit_core::serde_json::json;

use zarrkit_codec_scale_offset as _;
use zarrkit_dtype_numeric as _;

const VECTORS: &str = include_str!("../vectors/vectors.json");

type R = Result<(), Box<dyn std::error::Error>>;

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .filter_map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

fn le_to_ne(mut b: Vec<u8>, size: usize) -> Vec<u8> {
    if cfg!(target_endian = "big") {
        b.chunks_exact_mut(size).for_each(<[u8]>::reverse);
    }
    b
}

fn dt(name: &str) -> Result<DataType, PluginError> {
    zarrkit_core::registry::data_type_by_name(name)
}

fn size_of(name: &str) -> Result<usize, Box<dyn std::error::Error>> {
    Ok(dt(name)?.size().fixed().ok_or("variable")?)
}

fn codec(name: &str, conf: Value) -> Result<Arc<dyn ArrayToArrayCodecTraits>, PluginError> {
    let m = MetadataV3::new_with_configuration(name, conf.as_object().cloned().unwrap_or_default());
    match zarrkit_core::registry::create_codec(&m)? {
        Codec::ArrayToArray(c) => Ok(c),
        _ => Err(PluginError::config(ExtensionKind::Codec, name, "kind")),
    }
}

fn repr(dtype: &str, n: usize) -> Result<ChunkRepresentation, Box<dyn std::error::Error>> {
    let d = dt(dtype)?;
    let size = d.size().fixed().ok_or("variable")?;
    Ok(ChunkRepresentation::new(
        vec![n as u64],
        d,
        FillValue::new(vec![0; size]),
    ))
}

fn o() -> CodecOptions {
    CodecOptions::default()
}

#[test]
fn numpy_derived_casts() -> R {
    let v: Value = serde_json::from_str(VECTORS)?;
    let casts = v["casts"].as_array().ok_or("casts")?;
    assert!(casts.len() >= 80);
    for c in casts {
        let source = c["source"].as_str().ok_or("source")?;
        let target = c["configuration"]["data_type"].as_str().ok_or("target")?;
        let (ss, ts) = (size_of(source)?, size_of(target)?);
        let codec = codec(NAME, c["configuration"].clone())?;
        let input = le_to_ne(unhex(c["input_le"].as_str().ok_or("in")?), ss);
        let want = le_to_ne(unhex(c["expected_le"].as_str().ok_or("out")?), ts);
        let errors: Vec<usize> = c["errors"]
            .as_array()
            .ok_or("errors")?
            .iter()
            .filter_map(Value::as_u64)
            .map(|i| i as usize)
            .collect();
        let n = input.len() / ss;
        // Element by element: an error exactly where expected, the bytes elsewhere.
        for i in 0..n {
            let one = codec.encode(
                ArrayBytes::Fixed(input[i * ss..(i + 1) * ss].to_vec()),
                &repr(source, 1)?,
                &o(),
            );
            match one {
                Ok(b) if !errors.contains(&i) => assert_eq!(
                    b.as_fixed(),
                    Some(&want[i * ts..(i + 1) * ts]),
                    "{} element {i}",
                    c["configuration"]
                ),
                Ok(b) => panic!(
                    "{} element {i}: expected an error, got {b:?}",
                    c["configuration"]
                ),
                Err(e) if errors.contains(&i) => {
                    assert!(matches!(e, CodecError::InvalidElements(_)), "{e}");
                }
                Err(e) => panic!("{} element {i}: {e}", c["configuration"]),
            }
        }
        // The whole chunk: the first error is reported, by index.
        let all = codec.encode(ArrayBytes::Fixed(input.clone()), &repr(source, n)?, &o());
        match (all, errors.first()) {
            (Ok(b), None) => assert_eq!(b.as_fixed(), Some(want.as_slice())),
            (Err(e), Some(i)) => assert!(e.to_string().contains(&format!("element {i} ")), "{e}"),
            (r, e) => panic!("{}: {r:?} vs errors {e:?}", c["configuration"]),
        }
    }
    Ok(())
}

/// Values given in fill-value JSON of a type, as native bytes.
fn values(dtype: &str, v: &Value) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let d = dt(dtype)?;
    let mut out = Vec::new();
    for x in v.as_array().ok_or("values")? {
        out.extend_from_slice(d.fill_value_from_json(x)?.as_bytes());
    }
    Ok(out)
}

#[test]
fn spec_examples() -> R {
    let v: Value = serde_json::from_str(VECTORS)?;
    for c in v["spec"].as_array().ok_or("spec")? {
        let source = c["source"].as_str().ok_or("source")?;
        let target = c["configuration"]["data_type"].as_str().ok_or("target")?;
        let codec = codec(NAME, c["configuration"].clone())?;
        let input = values(source, &c["input"])?;
        let n = input.len() / size_of(source)?;
        let got = codec.encode(ArrayBytes::Fixed(input), &repr(source, n)?, &o());
        match &c["expected"] {
            Value::String(s) if s == "error" => {
                assert!(got.is_err(), "{c}: {got:?}");
            }
            want => assert_eq!(
                got?.as_fixed(),
                Some(values(target, want)?.as_slice()),
                "{c}"
            ),
        }
    }
    Ok(())
}

#[test]
fn numcodecs_fixedscaleoffset_is_scale_offset_then_cast_value() -> R {
    let v: Value = serde_json::from_str(VECTORS)?;
    for c in v["fixedscaleoffset"].as_array().ok_or("fso")? {
        let astype = c["astype"].as_str().ok_or("astype")?;
        let so = codec(
            "scale_offset",
            json!({"offset": c["offset"], "scale": c["scale"]}),
        )?;
        let cv = codec(NAME, json!({"data_type": astype, "out_of_range": "wrap"}))?;
        let data = le_to_ne(unhex(c["data_le"].as_str().ok_or("data")?), 4);
        let n = data.len() / 4;
        // A fill value that survives the round trip (the offset encodes to 0).
        let offset = c["offset"].as_f64().ok_or("offset")? as f32;
        let r0 = ChunkRepresentation::new(vec![n as u64], dt("float32")?, FillValue::from(offset));
        let r1 = so.encoded_representation(&r0)?;
        let e1 = so.encode(ArrayBytes::Fixed(data.clone()), &r0, &o())?;
        let enc = cv.encode(e1, &r1, &o())?;
        let ts = size_of(astype)?;
        let want = le_to_ne(unhex(c["encoded_le"].as_str().ok_or("enc")?), ts);
        assert_eq!(enc.as_fixed(), Some(want.as_slice()), "{astype}");
        // Decoding: numcodecs divides in float64 and rounds once to float32, the V3 chain
        // computes in float32: the same to within one float32 ulp.
        let d = so.decode(cv.decode(enc, &r1, &o())?, &r0, &o())?;
        let theirs = le_to_ne(unhex(c["numcodecs_decoded_le"].as_str().ok_or("dec")?), 4);
        for (a, b) in d
            .as_fixed()
            .unwrap_or_default()
            .chunks_exact(4)
            .zip(theirs.chunks_exact(4))
        {
            let (a, b) = (
                f32::from_ne_bytes(a.try_into()?),
                f32::from_ne_bytes(b.try_into()?),
            );
            assert!((a - b).abs() <= b.abs() * f32::EPSILON, "{a} vs {b}");
        }
    }
    Ok(())
}

#[test]
fn invalid_configurations() {
    for (name, conf, needle) in [
        (NAME, json!({}), "missing `data_type`"),
        (
            NAME,
            json!({"data_type": "int8", "range": "clamp"}),
            "unknown configuration member `range`",
        ),
        (
            LEGACY_NAME,
            json!({"data_type": "int8", "out_of_range": "clamp"}),
            "unknown configuration member `out_of_range`",
        ),
        (
            LEGACY_NAME,
            json!({"data_type": "int8", "scalar_map": {}}),
            "unknown configuration member `scalar_map`",
        ),
        (
            NAME,
            json!({"data_type": "int8", "extra": 1}),
            "unknown configuration member `extra`",
        ),
        (
            NAME,
            json!({"data_type": "float32", "out_of_range": "wrap"}),
            "only defined for an integer",
        ),
        (
            NAME,
            json!({"data_type": "int8", "out_of_range": "saturate"}),
            "unknown `out_of_range`",
        ),
        (
            NAME,
            json!({"data_type": "int8", "rounding": "up"}),
            "unknown `rounding`",
        ),
        (
            NAME,
            json!({"data_type": "int8", "rounding": 1}),
            "must be a string",
        ),
        (
            NAME,
            json!({"data_type": "bool"}),
            "not an integer or floating-point",
        ),
        (
            NAME,
            json!({"data_type": "complex64"}),
            "not an integer or floating-point",
        ),
        (NAME, json!({"data_type": "nope"}), "`data_type`"),
        (NAME, json!({"data_type": 5}), "`data_type`"),
        (
            NAME,
            json!({"data_type": "int8", "scalar_map": []}),
            "must be an object",
        ),
        (
            NAME,
            json!({"data_type": "int8", "scalar_map": {"both": []}}),
            "unknown member `both`",
        ),
        (
            NAME,
            json!({"data_type": "int8", "scalar_map": {"encode": [[1]]}}),
            "must be a pair",
        ),
        (
            NAME,
            json!({"data_type": "int8", "scalar_map": {"encode": [["NaN", 300]]}}),
            "value 300 is not a value of int8",
        ),
        (
            NAME,
            json!({"data_type": "int8", "scalar_map": {"decode": [[1.5, 0]]}}),
            "key 1.5 is not a value of int8",
        ),
    ] {
        let e = codec(name, conf.clone())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains(needle), "{name} {conf}: {e:?}");
    }
    let missing = zarrkit_core::registry::create_codec(&MetadataV3::new(NAME));
    assert!(missing.is_err_and(|e| e.to_string().contains("missing configuration")));
}

#[test]
fn binding_to_the_array() -> R {
    let c = codec(
        NAME,
        json!({"data_type": "uint8", "scalar_map": {"encode": [[1.5, 3]]}}),
    )?;
    // The array's data type must be numeric, and the map keys values of it.
    let e = c
        .encoded_representation(&repr("bool", 2)?)
        .err()
        .ok_or("bool bound")?;
    assert!(
        e.to_string().contains("not an integer or floating-point"),
        "{e}"
    );
    let e = c
        .encoded_representation(&repr("int32", 2)?)
        .err()
        .ok_or("int key bound")?;
    assert!(
        e.to_string().contains("key 1.5 is not a value of int32"),
        "{e}"
    );
    // The chunk after the codec has the target type and the fill value cast.
    let f = ChunkRepresentation::new(vec![3], dt("float64")?, FillValue::from(1.5f64));
    let r = c.encoded_representation(&f)?;
    assert_eq!(r.data_type.name(), "uint8");
    assert_eq!(r.fill_value, FillValue::new(vec![3]));
    let plain = codec(
        NAME,
        json!({"data_type": "int16", "rounding": "towards-negative"}),
    )?;
    let f = ChunkRepresentation::new(vec![3], dt("float32")?, FillValue::from(-2.5f32));
    assert_eq!(
        plain.encoded_representation(&f)?.fill_value,
        FillValue::from(-3i16)
    );
    // A fill value that cannot be cast is an error at open.
    let nan = ChunkRepresentation::new(vec![3], dt("float32")?, FillValue::from(f32::NAN));
    let e = plain
        .encoded_representation(&nan)
        .err()
        .ok_or("NaN fill cast")?;
    assert!(
        e.to_string()
            .contains("fill value \"NaN\" cannot be cast to int16"),
        "{e}"
    );
    Ok(())
}

#[test]
fn fill_value_round_trip_is_checked_when_writing() -> R {
    let c = codec(NAME, json!({"data_type": "float32"}))?;
    let r = ChunkRepresentation::new(vec![2], dt("float64")?, FillValue::from(0.1f64));
    // Opening and decoding work.
    let enc_repr = c.encoded_representation(&r)?;
    let stored = [1.0f32.to_ne_bytes(), 2.5f32.to_ne_bytes()].concat();
    let d = c.decode(ArrayBytes::Fixed(stored), &r, &o())?;
    assert_eq!(
        d.as_fixed(),
        Some(&[1.0f64.to_ne_bytes(), 2.5f64.to_ne_bytes()].concat()[..])
    );
    assert_eq!(enc_repr.fill_value, FillValue::from(0.1f32));
    // Writing is an error naming the fill value.
    let e = c
        .encode(ArrayBytes::Fixed(vec![0; 16]), &r, &o())
        .err()
        .ok_or("wrote with a fill value that does not round-trip")?;
    assert!(
        e.to_string().contains("fill value 0.1 does not survive"),
        "{e}"
    );
    // A NaN fill needs both maps to survive a cast to an integer type.
    let one_way = codec(
        NAME,
        json!({"data_type": "int8", "scalar_map": {"encode": [["NaN", -128]]}}),
    )?;
    let nan = ChunkRepresentation::new(vec![1], dt("float32")?, FillValue::from(f32::NAN));
    assert!(one_way
        .encode(ArrayBytes::Fixed(vec![0; 4]), &nan, &o())
        .is_err());
    let both = codec(
        NAME,
        json!({"data_type": "int8", "scalar_map": {"encode": [["NaN", -128]], "decode": [[-128, "NaN"]]}}),
    )?;
    let e = both.encode(
        ArrayBytes::Fixed(f32::NAN.to_ne_bytes().to_vec()),
        &nan,
        &o(),
    )?;
    assert_eq!(e.as_fixed(), Some(&[0x80u8][..]));
    let d = both.decode(e, &nan, &o())?;
    assert!(f32::from_ne_bytes(d.as_fixed().unwrap_or_default().try_into()?).is_nan());
    Ok(())
}

#[test]
fn decode_errors_and_sizes() -> R {
    let c = codec(NAME, json!({"data_type": "int16"}))?;
    // Stored int16 values that do not fit the int8 array: corrupt for this configuration.
    let stored: Vec<u8> = [5i16, 300].iter().flat_map(|v| v.to_ne_bytes()).collect();
    let e = c
        .decode(ArrayBytes::Fixed(stored), &repr("int8", 2)?, &o())
        .err()
        .ok_or("300 decoded into int8")?;
    assert!(matches!(e, CodecError::Corrupt { .. }), "{e}");
    assert!(e.to_string().contains("element 1 (300)"), "{e}");
    // With wrap, decoding wraps too (the same procedure, types swapped).
    let w = codec(NAME, json!({"data_type": "int16", "out_of_range": "wrap"}))?;
    let stored: Vec<u8> = [5i16, 300].iter().flat_map(|v| v.to_ne_bytes()).collect();
    let d = w.decode(ArrayBytes::Fixed(stored), &repr("int8", 2)?, &o())?;
    assert_eq!(d.as_fixed(), Some(&[5u8, 44][..]));
    // Wrong sizes in both directions.
    assert!(c
        .decode(ArrayBytes::Fixed(vec![0; 3]), &repr("int8", 2)?, &o())
        .is_err());
    assert!(c
        .encode(ArrayBytes::Fixed(vec![0; 3]), &repr("int8", 2)?, &o())
        .is_err());
    assert!(c
        .encode(
            ArrayBytes::Variable {
                bytes: vec![],
                offsets: vec![0, 0, 0]
            },
            &repr("int8", 2)?,
            &o()
        )
        .is_err());
    Ok(())
}

#[test]
fn legacy_draft_and_lenient_values() -> R {
    // The older `cast-value` with `range`: "error" explicit, clamp of infinities to bounds.
    let c = codec(
        LEGACY_NAME,
        json!({"data_type": "uint8", "range": "clamp", "rounding": "towards-zero"}),
    )?;
    let input: Vec<u8> = [f64::INFINITY, -7.9, 3.9]
        .iter()
        .flat_map(|v| v.to_ne_bytes())
        .collect();
    let e = c.encode(ArrayBytes::Fixed(input), &repr("float64", 3)?, &o())?;
    assert_eq!(e.as_fixed(), Some(&[255u8, 0, 3][..]));
    assert_eq!(c.name(), LEGACY_NAME);
    // `rounding` does not apply to float targets in the draft: nearest.
    let f = codec(
        LEGACY_NAME,
        json!({"data_type": "float32", "rounding": "towards-zero", "range": "error"}),
    )?;
    let x = 1.0f64 + f64::from(f32::EPSILON) * 0.75;
    let e = f.encode(
        ArrayBytes::Fixed(x.to_ne_bytes().to_vec()),
        &repr("float64", 1)?,
        &o(),
    )?;
    assert_eq!(e.as_fixed(), Some(&(x as f32).to_ne_bytes()[..]));
    // `out_of_range: "error"` (the older README's value) means absent, and is written back.
    let err = codec(NAME, json!({"data_type": "int8", "out_of_range": "error"}))?;
    assert!(err
        .encode(ArrayBytes::Fixed(vec![1, 2]), &repr("int16", 1)?, &o())
        .is_err_and(|e| e.to_string().contains("out of the target's range")));
    assert_eq!(
        err.configuration().map(Value::Object),
        Some(json!({"data_type": "int8", "out_of_range": "error"}))
    );
    // "+Infinity" in scalar_map (the README's example), written back as read.
    let m = codec(
        NAME,
        json!({"data_type": "uint8", "scalar_map": {"encode": [["+Infinity", 9]]}}),
    )?;
    let e = m.encode(
        ArrayBytes::Fixed(f32::INFINITY.to_ne_bytes().to_vec()),
        &repr("float32", 1)?,
        &o(),
    )?;
    assert_eq!(e.as_fixed(), Some(&[9u8][..]));
    assert_eq!(
        m.configuration().map(Value::Object),
        Some(json!({"data_type": "uint8", "scalar_map": {"encode": [["+Infinity", 9]]}}))
    );
    Ok(())
}

#[test]
fn constructor() -> R {
    let c = CastValueCodec::new(
        MetadataV3::new("int16").in_short_form(),
        Some(Rounding::TowardsZero),
        Some(OutOfRange::Clamp),
    )?;
    assert_eq!(
        c.configuration().map(Value::Object),
        Some(json!({"data_type": "int16", "rounding": "towards-zero", "out_of_range": "clamp"}))
    );
    assert_eq!(c.data_type().name(), "int16");
    Ok(())
}

fn prop_err(e: impl std::fmt::Display) -> TestCaseError {
    TestCaseError::fail(e.to_string())
}

proptest! {
    /// Widening integer casts round-trip exactly.
    #[test]
    fn int_widening_round_trip(v in proptest::collection::vec(any::<i16>(), 1..40)) {
        let c = codec(NAME, json!({"data_type": "int64"})).map_err(prop_err)?;
        let r = repr("int16", v.len()).map_err(prop_err)?;
        let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_ne_bytes()).collect();
        let e = c.encode(ArrayBytes::Fixed(bytes.clone()), &r, &o()).map_err(prop_err)?;
        let wide: Vec<i64> = e.as_fixed().unwrap_or_default().chunks_exact(8).map(|b| i64::from_ne_bytes(b.try_into().unwrap_or_default())).collect();
        prop_assert_eq!(wide, v.iter().map(|&x| i64::from(x)).collect::<Vec<_>>());
        let d = c.decode(e, &r, &o()).map_err(prop_err)?;
        prop_assert_eq!(d.as_fixed(), Some(bytes.as_slice()));
    }

    /// float64 -> float32 nearest-even with clamp is Rust's `as f32` (IEEE), NaN aside.
    #[test]
    fn float_narrowing_is_ieee(bits in any::<u64>()) {
        let x = f64::from_bits(bits);
        let c = codec(NAME, json!({"data_type": "float32", "out_of_range": "clamp"})).map_err(prop_err)?;
        let e = c.encode(ArrayBytes::Fixed(x.to_ne_bytes().to_vec()), &repr("float64", 1).map_err(prop_err)?, &o()).map_err(prop_err)?;
        let y = f32::from_ne_bytes(e.as_fixed().unwrap_or_default().try_into().unwrap_or_default());
        if x.is_nan() {
            prop_assert!(y.is_nan());
            prop_assert_eq!(y.is_sign_negative(), x.is_sign_negative());
        } else {
            prop_assert_eq!(y.to_bits(), (x as f32).to_bits());
        }
    }

    /// float -> int: towards-zero and clamp is Rust's saturating `as` (NaN mapped to 0).
    #[test]
    fn float_to_int_saturating(x in any::<f64>()) {
        let c = codec(NAME, json!({"data_type": "int32", "rounding": "towards-zero", "out_of_range": "clamp",
            "scalar_map": {"encode": [["NaN", 0], ["Infinity", 2147483647], ["-Infinity", -2147483648]]}})).map_err(prop_err)?;
        let e = c.encode(ArrayBytes::Fixed(x.to_ne_bytes().to_vec()), &repr("float64", 1).map_err(prop_err)?, &o()).map_err(prop_err)?;
        let y = i32::from_ne_bytes(e.as_fixed().unwrap_or_default().try_into().unwrap_or_default());
        prop_assert_eq!(y, x as i32);
    }

    /// int64 -> float32 in every mode brackets the exact value correctly.
    #[test]
    fn int_to_float_brackets(v in any::<i64>(), mode in 0usize..5) {
        let names = ["nearest-even", "towards-zero", "towards-positive", "towards-negative", "nearest-away"];
        let c = codec(NAME, json!({"data_type": "float32", "rounding": names[mode]})).map_err(prop_err)?;
        let e = c.encode(ArrayBytes::Fixed(v.to_ne_bytes().to_vec()), &repr("int64", 1).map_err(prop_err)?, &o()).map_err(prop_err)?;
        let y = f32::from_ne_bytes(e.as_fixed().unwrap_or_default().try_into().unwrap_or_default());
        let yi = y as f64 as i128; // exact: |y| <= 2^63
        let v = i128::from(v);
        match mode {
            1 => prop_assert!(yi.abs() <= v.abs() && (yi >= 0) == (v >= 0) || yi == 0),
            2 => prop_assert!(yi >= v),
            3 => prop_assert!(yi <= v),
            _ => prop_assert!((yi - v).abs() <= (1i128 << 40)),
        }
    }
}
