use super::*;
use proptest::prelude::*;
use zarrkit_core::serde_json::{self, json};
use zarrkit_core::storage::{MemoryStore, ReadableStorageExt, StoreKey, WritableStorageTraits};
use zarrkit_core::{Array, ArrayBuilder, ArraySubset};

// Link the plugins the array tests resolve by name.
use zarrkit_codec_bytes as _;
use zarrkit_codec_packbits as _;
use zarrkit_grid_regular as _;
use zarrkit_key_default as _;

type R = Result<(), Box<dyn std::error::Error>>;

/// ml_dtypes 0.7.0 vectors (`vectors/generate.py`).
const ML_DTYPES: &str = include_str!("../vectors/ml_dtypes.json");

fn vectors() -> Result<Value, serde_json::Error> {
    serde_json::from_str(ML_DTYPES)
}

fn f64_of(hex: &Value) -> Result<f64, Box<dyn std::error::Error>> {
    let s = hex.as_str().ok_or("not a string")?;
    Ok(f64::from_bits(u64::from_str_radix(s, 16)?))
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .filter_map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

fn same(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a.to_bits() == b.to_bits()
}

fn types(v: &Value) -> Result<&zarrkit_core::serde_json::Map<String, Value>, &'static str> {
    v["types"].as_object().ok_or("no types")
}

#[test]
fn every_format_is_in_the_vectors() -> R {
    let v = vectors()?;
    assert_eq!(v["ml_dtypes"], json!("0.7.0"));
    let t = types(&v)?;
    assert_eq!(t.len(), FORMATS.len());
    for f in FORMATS {
        let e = &t[f.name()];
        assert_eq!(
            e["bits"].as_u64(),
            Some(u64::from(f.bits())),
            "{}",
            f.name()
        );
        assert_eq!(e["has_nan"].as_bool(), Some(f.canonical_nan().is_some()));
        assert_eq!(e["has_inf"].as_bool(), Some(f.has_infinity()));
        let fi = &e["finfo"];
        assert_eq!(fi["max"].as_f64(), Some(f.max()), "{}", f.name());
        // The smallest normal and subnormal values are among the decoded values.
        let vals: Vec<f64> = (0..=f.mask()).map(|b| f.to_f64(b)).collect();
        for k in ["smallest_normal", "smallest_subnormal"] {
            let x = fi[k].as_f64().ok_or(k)?;
            assert!(vals.contains(&x), "{} {k} {x}", f.name());
        }
    }
    Ok(())
}

#[test]
fn decode_every_bit_pattern_as_ml_dtypes() -> R {
    let v = vectors()?;
    for (name, e) in types(&v)? {
        let f = format_by_name(name).ok_or("format")?;
        let dec = e["decode"].as_array().ok_or("decode")?;
        assert_eq!(dec.len(), 1 << f.bits());
        for (b, x) in dec.iter().enumerate() {
            let want = f64_of(x)?;
            let got = f.to_f64(b as u8);
            assert!(same(got, want), "{name} {b:#04x}: {got} vs {want}");
            assert_eq!(f.is_nan(b as u8), want.is_nan(), "{name} {b:#04x}");
        }
        if f.bits() < 8 {
            // The upper bits are ignored (the spec); ml_dtypes does not ignore them.
            let all = e["ml_dtypes_decode_all"].as_array().ok_or("all")?;
            let mut differ = 0;
            for (b, x) in all.iter().enumerate() {
                let ours = f.to_f64(b as u8);
                assert!(same(ours, f.to_f64(b as u8 & f.mask())));
                if !same(ours, f64_of(x)?) {
                    differ += 1;
                    assert!(b > usize::from(f.mask()), "{name} {b:#04x}");
                }
            }
            assert!(
                differ > 0,
                "{name}: ml_dtypes now ignores the upper bits too"
            );
        }
    }
    // The documented example: ml_dtypes reads float4 0x17 as -6.0, the spec as 6.0.
    assert_eq!(FLOAT4_E2M1FN.to_f64(0x17), 6.0);
    Ok(())
}

#[test]
fn encode_as_ml_dtypes() -> R {
    let v = vectors()?;
    let mut n = 0;
    for (name, e) in types(&v)? {
        let f = format_by_name(name).ok_or("format")?;
        for pair in e["encode"].as_array().ok_or("encode")? {
            let x = f64_of(&pair[0])?;
            let want = pair[1].as_u64().ok_or("byte")? as u8;
            let got = f.from_f64(x);
            assert_eq!(
                got,
                want,
                "{name}: {x:e} ({:#x}) gave {got:#04x}",
                x.to_bits()
            );
            n += 1;
        }
    }
    assert!(n > 10_000, "{n} vectors");
    Ok(())
}

#[test]
fn fill_values_as_ml_dtypes_and_the_spec() -> R {
    let v = vectors()?;
    for (name, e) in types(&v)? {
        let d = data_type(name).ok_or("data type")?;
        for pair in e["fill"].as_array().ok_or("fill")? {
            let text = pair[0].as_str().ok_or("text")?;
            let j: Value = serde_json::from_str(text)?;
            match pair[1].as_str() {
                Some(hex) => {
                    let fv = d.fill_value_from_json(&j)?;
                    assert_eq!(fv.as_bytes(), unhex(hex), "{name} {text}");
                }
                None => assert!(
                    d.fill_value_from_json(&j).is_err(),
                    "{name} accepted {text}"
                ),
            }
        }
        let Some(cname) = format_by_name(name).and_then(|f| f.complex_name()) else {
            continue;
        };
        let c = data_type(cname).ok_or("complex data type")?;
        for pair in e["complex_fill"].as_array().ok_or("complex_fill")? {
            let text = pair[0].as_str().ok_or("text")?;
            let j: Value = serde_json::from_str(text)?;
            match pair[1].as_str() {
                Some(hex) => {
                    let fv = c.fill_value_from_json(&j)?;
                    assert_eq!(fv.as_bytes(), unhex(hex), "{cname} {text}");
                }
                None => assert!(
                    c.fill_value_from_json(&j).is_err(),
                    "{cname} accepted {text}"
                ),
            }
        }
    }
    Ok(())
}

#[test]
fn every_bit_pattern_round_trips_through_json() -> R {
    for f in FORMATS {
        let d = data_type(f.name()).ok_or("data type")?;
        for b in 0..=f.mask() {
            let j = d.fill_value_to_json(&FillValue::new(vec![b]))?;
            let back = d.fill_value_from_json(&j)?;
            assert_eq!(back.as_bytes(), [b], "{} {b:#04x} -> {j}", f.name());
            // Upper bits of the 4- and 6-bit types are ignored when written.
            if f.bits() < 8 {
                let j2 = d.fill_value_to_json(&FillValue::new(vec![b | !f.mask()]))?;
                assert_eq!(j2, j);
            }
        }
        // NaN forms.
        if let Some(nan) = f.canonical_nan() {
            assert_eq!(
                d.fill_value_to_json(&FillValue::new(vec![nan]))?,
                json!("NaN")
            );
        }
    }
    // Non-canonical NaNs keep their bits.
    let d = data_type("float8_e4m3").ok_or("dt")?;
    assert_eq!(
        d.fill_value_to_json(&FillValue::new(vec![0xfc]))?,
        json!("0xfc")
    );
    assert_eq!(
        d.fill_value_to_json(&FillValue::new(vec![0x7d]))?,
        json!("0x7d")
    );
    let d = data_type("float8_e4m3fn").ok_or("dt")?;
    assert_eq!(
        d.fill_value_to_json(&FillValue::new(vec![0xff]))?,
        json!("0xff")
    );
    assert_eq!(
        d.fill_value_to_json(&FillValue::new(vec![0x7e]))?,
        json!(448.0)
    );
    let d = data_type("float8_e5m2").ok_or("dt")?;
    assert_eq!(
        d.fill_value_to_json(&FillValue::new(vec![0xfc]))?,
        json!("-Infinity")
    );
    assert_eq!(
        d.fill_value_to_json(&FillValue::new(vec![0x80]))?,
        json!(-0.0)
    );
    let c = data_type("complex_float8_e5m2").ok_or("dt")?;
    assert_eq!(
        c.fill_value_to_json(&FillValue::new(vec![0x3c, 0x7e]))?,
        json!([1.0, "NaN"])
    );
    // Wrong sizes are errors, not panics.
    assert!(d.fill_value_to_json(&FillValue::new(vec![])).is_err());
    assert!(d.fill_value_to_json(&FillValue::new(vec![1, 2])).is_err());
    assert!(c.fill_value_to_json(&FillValue::new(vec![1])).is_err());
    Ok(())
}

#[test]
fn names_sizes_and_configuration() -> R {
    let mut names = 0;
    for f in FORMATS {
        for (name, size) in [(Some(f.name()), 1), (f.complex_name(), 2)] {
            let Some(name) = name else { continue };
            names += 1;
            let d = zarrkit_core::registry::data_type_by_name(name)?;
            assert_eq!(d.name(), name);
            assert_eq!(d.size(), DataTypeSize::Fixed(size));
            assert_eq!(d.endianness_unit(), None);
            assert_eq!(d.element_kind(), Some(ElementKind::RawBytes(size)));
            assert_eq!(d.to_v2_dtype('<'), None);
            assert!(d.validate_elements(&(0..=255).collect::<Vec<u8>>()).is_ok());
            // `{"name": ..., "configuration": {}}` is the same type; a key is an error.
            let m: MetadataV3 = serde_json::from_value(json!({"name": name, "configuration": {}}))?;
            assert_eq!(zarrkit_core::registry::create_data_type(&m)?.name(), name);
            let m: MetadataV3 =
                serde_json::from_value(json!({"name": name, "configuration": {"x": 1}}))?;
            assert!(zarrkit_core::registry::create_data_type(&m).is_err());
        }
    }
    assert_eq!(names, 21);
    assert!(zarrkit_core::registry::data_type_by_name("complex_float8_e4m3fn").is_err());
    assert!(zarrkit_core::registry::data_type_by_name("float8_e5m3fnu").is_err());
    Ok(())
}

#[test]
fn microfloat_matches_for_f32_inputs_but_not_f64() -> R {
    let mut mismatches: Vec<(&str, f64, u8, u8)> = Vec::new();
    // Decoding: microfloat agrees for every pattern.
    macro_rules! check {
        ($t:ty, $m:ty) => {{
            let f = <$t>::FORMAT;
            for b in 0..=f.mask() {
                let ours = <$t>::from_bits(b).to_f64();
                let theirs = <$m>::from_bits(b).to_f64();
                assert!(
                    same(ours, theirs),
                    "{} {b:#04x}: {ours} vs {theirs}",
                    f.name()
                );
                let back: $m = <$t>::from_bits(b).into();
                assert_eq!(back.to_bits(), b);
            }
            // Encoding f32 values: the same bits as ml_dtypes (and so as this crate).
            let v = vectors()?;
            for pair in v["types"][f.name()]["encode"].as_array().ok_or("encode")? {
                let x = f64_of(&pair[0])?;
                if f64::from(x as f32).to_bits() != x.to_bits() {
                    continue;
                }
                let want = pair[1].as_u64().ok_or("byte")? as u8;
                assert_eq!(<$t>::from_f32(x as f32).to_bits(), want);
                let m = <$m>::from_f32(x as f32).to_bits();
                if !x.is_nan() && m != want {
                    mismatches.push((f.name(), x, m, want));
                }
            }
        }};
    }
    check!(Float4E2M1FN, microfloat::f4e2m1fn);
    check!(Float6E2M3FN, microfloat::f6e2m3fn);
    check!(Float6E3M2FN, microfloat::f6e3m2fn);
    check!(Float8E3M4, microfloat::f8e3m4);
    check!(Float8E4M3, microfloat::f8e4m3);
    check!(Float8E4M3FN, microfloat::f8e4m3fn);
    check!(Float8E4M3FNUZ, microfloat::f8e4m3fnuz);
    check!(Float8E4M3B11FNUZ, microfloat::f8e4m3b11fnuz);
    check!(Float8E5M2, microfloat::f8e5m2);
    check!(Float8E5M2FNUZ, microfloat::f8e5m2fnuz);
    check!(Float8E8M0FNU, microfloat::f8e8m0fnu);
    // microfloat 0.1.3 differs from ml_dtypes for f32 inputs only here: 1.5 * 2^127 (the
    // tie above float8_e8m0fnu's largest value) saturates to 0xfe instead of NaN.
    mismatches.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    mismatches.dedup();
    assert_eq!(
        mismatches,
        vec![("float8_e8m0fnu", 1.5 * 2f64.powi(127), 0xfe, 0xff)],
        "{mismatches:?}"
    );
    // f64 inputs: microfloat rounds through f32 first; ml_dtypes (and this crate) do not.
    let x = 1.0625 + 2f64.powi(-30);
    assert_eq!(microfloat::f8e4m3::from_f64(x).to_bits(), 0x38);
    assert_eq!(Float8E4M3::from_f64(x).to_bits(), 0x39);
    Ok(())
}

#[test]
fn special_conversions() {
    // "NaN" bytes of the zarr-extensions READMEs.
    let nans: Vec<Option<u8>> = FORMATS.iter().map(|f| f.canonical_nan()).collect();
    assert_eq!(
        nans,
        vec![
            None,
            None,
            None,
            Some(0x78),
            Some(0x7c),
            Some(0x7f),
            Some(0x80),
            Some(0x80),
            Some(0x7e),
            Some(0x80),
            Some(0xff)
        ]
    );
    let max: Vec<f64> = FORMATS.iter().map(|f| f.max()).collect();
    assert_eq!(
        max,
        vec![
            6.0,
            7.5,
            28.0,
            15.5,
            240.0,
            448.0,
            240.0,
            30.0,
            57344.0,
            57344.0,
            2f64.powi(127)
        ]
    );
    assert_eq!(Float8E8M0FNU::from_f64(1.0).to_bits(), 0x7f);
    assert_eq!(Float8E8M0FNU::from_f64(0.0).to_bits(), 0xff);
    assert_eq!(Float8E8M0FNU::from_bits(0).to_f64(), 2f64.powi(-127));
    assert_eq!(Float8E4M3FNUZ::from_f64(-0.0).to_bits(), 0);
    assert!(Float8E4M3FNUZ::from_bits(0x80).is_nan());
    assert_eq!(Float4E2M1FN::from_f64(f64::INFINITY).to_bits(), 0x07);
    assert_eq!(Float8E5M2::from_f64(1e6).to_bits(), 0x7c);
    assert_eq!(Float8E4M3FN::from_f64(-1e6).to_bits(), 0xff);
    assert_eq!(
        ComplexFloat8E5M2::new(Float8E5M2::from_f64(1.0), Float8E5M2::from_f64(-2.0))
            .im
            .to_f32(),
        -2.0
    );
}

fn put(store: &MemoryStore, key: &str, value: &[u8]) -> R {
    store.set(&StoreKey::new(key)?, value.to_vec().into())?;
    Ok(())
}

#[test]
fn arrays_round_trip_every_type() -> R {
    for f in FORMATS {
        for (name, comps) in [(Some(f.name()), 1usize), (f.complex_name(), 2)] {
            let Some(name) = name else { continue };
            let store = Arc::new(MemoryStore::new());
            let d = data_type(name).ok_or("dt")?;
            // A fill value that is not zero bytes.
            let fill_bits = f.from_f64(1.0);
            let fill_json = d.fill_value_to_json(&FillValue::new(vec![fill_bits; comps]))?;
            let n = usize::from(f.mask()) + 1; // every bit pattern
            let a = ArrayBuilder::new(vec![n as u64 + 10], vec![n as u64], name, fill_json.clone())
                .build(store.clone(), "/a")?;
            a.store_metadata()?;
            let data: Vec<u8> = (0..n * comps).map(|i| (i % n) as u8).collect();
            let sub = ArraySubset::new_with_shape(vec![n as u64]);
            a.write(sub.clone(), &zarrkit_core::ArrayBytes::Fixed(data.clone()))?;
            // Stored through `bytes` exactly as in memory.
            let chunk = store.get(&StoreKey::new("a/c/0")?)?.ok_or("no chunk")?;
            assert_eq!(&chunk[..], data.as_slice(), "{name}");
            let b = Array::open(store.clone(), "/a")?;
            assert_eq!(b.data_type().name(), name);
            let all: zarrkit_core::ArrayBytes =
                b.read(ArraySubset::new_with_shape(vec![n as u64 + 10]))?;
            let all = all.into_fixed().ok_or("fixed")?;
            assert_eq!(&all[..n * comps], data.as_slice());
            assert!(all[n * comps..].iter().all(|&x| x == fill_bits), "{name}");
            // The metadata is written back as read.
            let back: Value = serde_json::from_slice(&b.metadata_json())?;
            assert_eq!(back["fill_value"], fill_json);
            assert_eq!(back["data_type"], json!(name));
            // Typed reads as raw bytes; numeric types are refused.
            if comps == 1 {
                let raw: Vec<[u8; 1]> = b.read(sub.clone())?;
                assert_eq!(raw.len(), n);
                assert!(b.read::<Vec<u8>>(sub.clone()).is_err());
                assert!(b.read::<Vec<i8>>(sub.clone()).is_err());
            } else {
                let raw: Vec<[u8; 2]> = b.read(sub.clone())?;
                assert_eq!(raw.len(), n);
                assert!(b.read::<Vec<[u8; 1]>>(sub.clone()).is_err());
            }
        }
    }
    Ok(())
}

#[test]
fn typed_elements_through_the_array_api() -> R {
    let store = Arc::new(MemoryStore::new());
    let a = ArrayBuilder::new(vec![6], vec![4], "float8_e4m3", "NaN").build(store.clone(), "/e")?;
    a.store_metadata()?;
    let vals = [0.0, -1.5, 240.0, 1e6, -0.0001];
    let input: Vec<Float8E4M3> = vals.iter().map(|&x| Float8E4M3::from_f64(x)).collect();
    a.write(ArraySubset::new_with_shape(vec![5]), &input)?;
    let out: Vec<Float8E4M3> = a.read(ArraySubset::new_with_shape(vec![6]))?;
    let f: Vec<f64> = out.iter().map(|x| x.to_f64()).collect();
    assert_eq!(&f[..3], &[0.0, -1.5, 240.0]);
    assert_eq!(f[3], f64::INFINITY);
    assert_eq!(out[4].to_bits(), 0x80); // -0.0001 underflows to -0
    assert!(out[5].is_nan());
    assert_eq!(out[5].to_bits(), 0x7c);

    let c = ArrayBuilder::new(
        vec![3],
        vec![3],
        "complex_float4_e2m1fn",
        json!([0.5, -6.0]),
    )
    .build(store.clone(), "/c")?;
    c.store_metadata()?;
    let z = [ComplexFloat4E2M1FN::new(
        Float4E2M1FN::from_f64(3.0),
        Float4E2M1FN::from_f64(-0.5),
    )];
    c.write(
        ArraySubset::new_with_ranges(std::slice::from_ref(&(1..2)))?,
        &z,
    )?;
    let out: Vec<ComplexFloat4E2M1FN> = c.read(ArraySubset::new_with_shape(vec![3]))?;
    assert_eq!(out[1], z[0]);
    assert_eq!((out[0].re.to_f32(), out[0].im.to_f32()), (0.5, -6.0));
    assert_eq!(
        store
            .get(&StoreKey::new("c/c/0")?)?
            .ok_or("chunk")?
            .to_vec(),
        vec![0x01, 0x0f, 0x05, 0x09, 0x01, 0x0f]
    );
    Ok(())
}

#[test]
fn bad_input_is_an_error() -> R {
    let store = Arc::new(MemoryStore::new());
    let a = ArrayBuilder::new(vec![8], vec![8], "float8_e5m2", 0.0).build(store.clone(), "/t")?;
    a.store_metadata()?;
    // A truncated or oversized chunk.
    for len in [0usize, 7, 9] {
        put(&store, "t/c/0", &vec![0x3c; len])?;
        let b = Array::open(store.clone(), "/t")?;
        assert!(
            b.read::<zarrkit_core::ArrayBytes>(ArraySubset::new_with_shape(vec![8]))
                .is_err(),
            "{len}"
        );
    }
    // Invalid metadata fill values fail at open, naming the problem.
    for (dt, fill) in [
        ("float4_e2m1fn", json!("NaN")),
        ("float8_e4m3fnuz", json!("Infinity")),
        ("float6_e3m2fn", json!("0x40")),
        ("complex_float8_e3m4", json!(1.0)),
    ] {
        let doc = json!({"zarr_format": 3, "node_type": "array", "shape": [4],
            "data_type": dt, "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [4]}},
            "chunk_key_encoding": {"name": "default"}, "fill_value": fill,
            "codecs": [{"name": "bytes"}]});
        put(&store, "x/zarr.json", &serde_json::to_vec(&doc)?)?;
        let e = Array::open(store.clone(), "/x").err().ok_or("opened")?;
        assert!(e.to_string().contains(dt), "{e}");
    }
    Ok(())
}

#[test]
fn packbits_refuses_these_types() -> R {
    // zarr-extensions `packbits` would store float4/float6 in 4/6 bits; the `packbits` plugin
    // cannot learn the bit width from a data type (no capability in core) and refuses them
    // at open instead of writing 8-bit fields.
    let store = Arc::new(MemoryStore::new());
    for dt in ["float4_e2m1fn", "float8_e4m3", "complex_float6_e2m3fn"] {
        let doc = json!({"zarr_format": 3, "node_type": "array", "shape": [4],
            "data_type": dt, "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [4]}},
            "chunk_key_encoding": {"name": "default"},
            "fill_value": if dt.starts_with("complex") { json!([0.0, 0.0]) } else { json!(0.0) },
            "codecs": [{"name": "packbits"}]});
        put(&store, "p/zarr.json", &serde_json::to_vec(&doc)?)?;
        let e = Array::open(store.clone(), "/p").err().ok_or("opened")?;
        assert!(e.to_string().contains("packbits"), "{e}");
    }
    Ok(())
}

macro_rules! tensorstore_store {
    ($($name:literal),*) => {
        &[$(($name,
            include_bytes!(concat!("../vectors/tensorstore/", $name, "/zarr.json")).as_slice(),
            include_bytes!(concat!("../vectors/tensorstore/", $name, "/c/0")).as_slice())),*]
    };
}

#[test]
fn reads_stores_written_by_tensorstore() -> R {
    let stores: &[(&str, &[u8], &[u8])] = tensorstore_store!(
        "float4_e2m1fn",
        "float8_e3m4",
        "float8_e4m3fn",
        "float8_e4m3fnuz",
        "float8_e4m3b11fnuz",
        "float8_e5m2",
        "float8_e5m2fnuz",
        "float8_e8m0fnu"
    );
    let expected: Value =
        serde_json::from_str(include_str!("../vectors/tensorstore/expected.json"))?;
    assert_eq!(expected["tensorstore"], json!("0.1.86"));
    assert_eq!(
        expected["arrays"].as_object().map(|o| o.len()),
        Some(stores.len())
    );
    for (name, zarr_json, chunk) in stores {
        let store = Arc::new(MemoryStore::new());
        put(&store, "a/zarr.json", zarr_json)?;
        put(&store, "a/c/0", chunk)?;
        let a = Array::open(store.clone(), "/a")?;
        let e = &expected["arrays"][*name];
        let n = e["n"].as_u64().ok_or("n")?;
        let all = ArraySubset::new_with_shape(vec![n + 64]);
        let got = a
            .read::<zarrkit_core::ArrayBytes>(all)?
            .into_fixed()
            .ok_or("fixed")?;
        let theirs = unhex(e["elements"].as_str().ok_or("elements")?);
        let their_fill = unhex(e["fill_bytes"].as_str().ok_or("fill")?);
        // The stored elements: every bit pattern, as tensorstore reads them.
        assert_eq!(&got[..n as usize], &theirs[..n as usize], "{name}");
        assert_eq!(
            got[..n as usize],
            (0..n).map(|b| b as u8).collect::<Vec<_>>()
        );
        // The unwritten chunk: the fill value. tensorstore's float8_e8m0fnu `0.0` is its own
        // reading (0x00); ml_dtypes and this crate read it as NaN (documented deviation).
        let ours = a.fill_value().as_bytes().to_vec();
        if *name == "float8_e8m0fnu" {
            assert_eq!(their_fill, [0x00]);
            assert_eq!(ours, [0xff]);
        } else {
            assert_eq!(ours, their_fill, "{name}");
            assert_eq!(&theirs[n as usize..], vec![their_fill[0]; 64].as_slice());
        }
        assert!(got[n as usize..].iter().all(|&b| b == ours[0]), "{name}");
        // Values as tensorstore's own reader (ml_dtypes) gives them.
        let f = format_by_name(name).ok_or("format")?;
        let v = vectors()?;
        for (b, x) in v["types"][*name]["decode"]
            .as_array()
            .ok_or("decode")?
            .iter()
            .enumerate()
        {
            assert!(same(f.to_f64(got[b]), f64_of(x)?));
        }
        // Metadata written back as tensorstore wrote it.
        let back: Value = serde_json::from_slice(&a.metadata_json())?;
        let orig: Value = serde_json::from_slice(zarr_json)?;
        assert_eq!(back, orig, "{name}");
    }
    Ok(())
}

proptest! {
    #[test]
    fn f64_to_bits_and_back_is_nearest(x in proptest::num::f64::ANY) {
        for f in FORMATS {
            let b = f.from_f64(x);
            let y = f.to_f64(b);
            if x.is_nan() || y.is_nan() || y.is_infinite() || !x.is_finite() {
                continue;
            }
            // No representable value is strictly closer to x.
            for c in 0..=f.mask() {
                let z = f.to_f64(c);
                if z.is_finite() && (f.specials() != Specials::E8M0 || x > 0.0) {
                    prop_assert!((z - x).abs() >= (y - x).abs() || (y == f.max() || y == -f.max()),
                        "{} {x:e}: {y} but {z} is closer", f.name());
                }
            }
        }
    }

    #[test]
    fn json_numbers_parse_like_from_f64(x in -1e6f64..1e6) {
        for f in FORMATS {
            let d = data_type(f.name()).ok_or_else(|| TestCaseError::fail("dt"))?;
            let fv = d.fill_value_from_json(&json!(x)).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(fv.as_bytes(), &[f.from_f64(x)]);
        }
    }
}
