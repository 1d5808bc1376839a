use super::*;
use proptest::prelude::*;
use zarrkit_core::data_type::DataType;
use zarrkit_core::serde_json::json;
use zarrkit_core::storage::{MemoryStore, WritableStorageTraits};
use zarrkit_core::{Array, ArrayBuilder, ArraySubset, FillValue};

// Link the plugins the tests resolve by name.
use zarrkit_codec_bytes as _;
use zarrkit_codec_crc32c as _;
use zarrkit_dtype_numeric as _;
use zarrkit_grid_regular as _;
use zarrkit_key_default as _;
use zarrkit_key_v2 as _;

type R = Result<(), Box<dyn std::error::Error>>;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .filter_map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

fn repr(dtype: &str, n: u64) -> Result<ChunkRepresentation, PluginError> {
    let d: DataType = zarrkit_core::registry::data_type_by_name(dtype)?;
    let size = d.size().fixed().unwrap_or(0);
    Ok(ChunkRepresentation::new(
        vec![n],
        d,
        FillValue::new(vec![0; size]),
    ))
}

fn codec(config: Value) -> Result<Arc<dyn ArrayToBytesCodecTraits>, Box<dyn std::error::Error>> {
    let m: MetadataV3 = serde_json::from_value(json!({"name": NAME, "configuration": config}))?;
    match zarrkit_core::registry::create_codec(&m)? {
        Codec::ArrayToBytes(c) => Ok(c),
        _ => Err("not array->bytes".into()),
    }
}

fn le_bytes<T: Element>(v: &[T]) -> Vec<u8> {
    elements_as_bytes(v).to_vec()
}

/// Reference vectors: numcodecs 0.16 `PCodec(**config).encode(array)` with python pcodec
/// 0.3.6 (pco format 2) and `pcodec.standalone.simple_compress` of pcodec 1.1.0 with the same
/// chunk configuration (pco format 3, which this crate writes byte for byte).
struct Vector {
    dtype: &'static str,
    config: Value,
    data: Vec<u8>,
    numcodecs_pco03: &'static str,
    pco11: &'static str,
}

fn vectors() -> Vec<Vector> {
    let linspace: Vec<f64> = (0..50)
        .map(|i| {
            if i == 49 {
                1.0
            } else {
                i as f64 * (1.0 / 49.0)
            }
        })
        .collect();
    vec![
        Vector {
            dtype: "int32",
            config: json!({}),
            data: le_bytes(&(0..100).map(|i| i * 3 - 50).collect::<Vec<i32>>()),
            numcodecs_pco03: "70636f21020619030363000031000000100101800000004000020000000000009aaaaa2a00",
            pco11: "70636f210300061904010363000031000000100101800000004000020000000000009aaaaa2a00",
        },
        Vector {
            dtype: "float64",
            config: json!({"level": 4, "mode_spec": "classic", "delta_spec": "none"}),
            data: le_bytes(&linspace),
            numcodecs_pco03: "70636f2102850c03063100000022000000000000000000d0a70f8df5a1b13ef46f0d000000f4ff7f0000000000000000720a5e4ec1cb29ff9c829753f072d2dffad0581f1aebf5cf297839052fa7fd0f8df5a1b13e747feb43637d68acdf5f922449922449f8cf297839052f27fec1cb297839058fff43637d68ac0fe5dfe514bc9c8297f9b73e34d687c67afe0100000000000015bc9c82975338052fa7e0e514fbd0581f1aebe3297839052fa788c6fad0581f1afbd0581f1aeb932449922449923a052fa7e0e514bc9c829753f0221aeb43637d689853f0720a5eeefad0581f1aeb0100000000004015bc9c82975348052fa7e0e514fdd0581f1aebe3297839052fa78cc6fad0581f9afbd0581f1aebb32449922449923e052fa7e0e554bc9c829753f02a1aeb43637d689953f0720a5eae7d68ac0f8df5fdd0581f1aebc3499224499224794ec1cb297839770a5e4ec1cbe9637d68ac0f8d0d2fa7e0e514bc35d687c6fad038d1581f1aeb4377dbb66ddbb6ed9853f0720a5e5e7839052fa7e00300",
            pco11: "70636f210300850c0401063100000022000000000000000000d0a70f8df5a1b13ef46f0d000000f4ff7f0000000000000000720a5e4ec1cb29ff9c829753f072d2dffad0581f1aebf5cf297839052fa7fd0f8df5a1b13e747feb43637d68acdf5f922449922449f8cf297839052f27fec1cb297839058fff43637d68ac0fe5dfe514bc9c8297f9b73e34d687c67afe0100000000000015bc9c82975338052fa7e0e514fbd0581f1aebe3297839052fa788c6fad0581f1afbd0581f1aeb932449922449923a052fa7e0e514bc9c829753f0221aeb43637d689853f0720a5eeefad0581f1aeb0100000000004015bc9c82975348052fa7e0e514fdd0581f1aebe3297839052fa78cc6fad0581f9afbd0581f1aebb32449922449923e052fa7e0e554bc9c829753f02a1aeb43637d689953f0720a5eae7d68ac0f8df5fdd0581f1aebc3499224499224794ec1cb297839770a5e4ec1cbe9637d68ac0f8d0d2fa7e0e514bc35d687c6fad038d1581f1aeb4377dbb66ddbb6ed9853f0720a5e5e7839052fa7e00300",
        },
        Vector {
            dtype: "uint16",
            config: json!({"level": 0, "delta_spec": "try_consecutive", "delta_encoding_order": 2}),
            data: le_bytes(&(0..64u16).map(|i| (i * i) % 1000).collect::<Vec<u16>>()),
            numcodecs_pco03: "70636f2102061003073f0000100201000dbe0500000100e8431ffad0873ef4a10f7de8431ffad0873ef4a10f7de8431ffad0873ef4a10f7de8431ffad0873ef40100fae8431ffad0873ef4a10f7de8431ffa00007df4a10f7de8431ffad0873e00401f7de8431ffad0873ef40100",
            pco11: "70636f21030006100401073f0000100201000dbe0500000100e8431ffad0873ef4a10f7de8431ffad0873ef4a10f7de8431ffad0873ef4a10f7de8431ffad0873ef40100fae8431ffad0873ef4a10f7de8431ffa00007df4a10f7de8431ffad0873e00401f7de8431ffad0873ef40100",
        },
        Vector {
            dtype: "int64",
            config: json!({"level": 12, "delta_spec": "try_lookback"}),
            data: le_bytes(&[5i64, 7, 5, 7, 5, 7, 100, -3].repeat(4)),
            numcodecs_pco03: "70636f2102050803041f0000200440002000000060a80100b0ffffffffffffff037000000000000000404010000000000000003c0005000000000000802d10014892644b927f4b927f4b925fc01cd00500",
            pco11: "70636f21030005080401041f0000200440002000000060a80100b0ffffffffffffff037000000000000000404010000000000000003c0005000000000000802d10014892644b927f4b927f4b925fc01cd00500",
        },
        Vector {
            dtype: "float16",
            config: json!({"equal_pages_up_to": 8}),
            data: le_bytes(&(0..20).map(|i| half::f16::from_f32(i as f32 / 4.0)).collect::<Vec<_>>()),
            numcodecs_pco03: "70636f2102040503090600000010000000740000000d8003e8003c400fe003090600001031020003020200040200bf5302010905000000100000184e000001040a183800",
            pco11: "70636f21030004050401090600000010000000740000000d8003e8003c400fe0030906000000100000f855000004188080020c380905000000100000184e000001040a183800",
        },
    ]
}

#[test]
fn reference_vectors() -> R {
    if cfg!(target_endian = "big") {
        return Ok(()); // the expected element bytes above are little-endian
    }
    for v in vectors() {
        let n = (v.data.len()
            / zarrkit_core::registry::data_type_by_name(v.dtype)?
                .size()
                .fixed()
                .unwrap_or(1)) as u64;
        let r = repr(v.dtype, n)?;
        let c = codec(v.config.clone())?;
        let opts = CodecOptions::default();
        // Both format versions decode to the data.
        for enc in [v.numcodecs_pco03, v.pco11] {
            let d = c.decode(hex(enc).into(), &r, &opts)?;
            assert_eq!(
                d,
                ArrayBytes::Fixed(v.data.clone()),
                "{} {}",
                v.dtype,
                v.config
            );
        }
        // Encoding is byte-exact with pcodec 1.1.
        let e = c.encode(ArrayBytes::Fixed(v.data.clone()), &r, &opts)?;
        assert_eq!(e, hex(v.pco11), "{} {}", v.dtype, v.config);
        // Within the declared bound.
        let bound = c.encoded_representation(&r)?.bound().ok_or("no bound")?;
        assert!(e.len() as u64 <= bound);
    }
    Ok(())
}

#[test]
fn configuration_forms() -> R {
    // Absent configuration and the short name form give numcodecs' defaults.
    let m: MetadataV3 = serde_json::from_value(json!("numcodecs.pcodec"))?;
    let Codec::ArrayToBytes(c) = zarrkit_core::registry::create_codec(&m)? else {
        return Err("kind".into());
    };
    assert_eq!(
        c.configuration().map(Value::Object),
        Some(
            json!({"level": 8, "mode_spec": "auto", "delta_spec": "auto",
            "paging_spec": "equal_pages_up_to", "delta_encoding_order": null,
            "equal_pages_up_to": 262144})
        )
    );
    assert_eq!(
        c.configuration_v2().and_then(|m| m.get("id").cloned()),
        Some(json!("pcodec"))
    );
    // The alias is written back as read.
    let m: MetadataV3 =
        serde_json::from_value(json!({"name": "pcodec", "configuration": {"level": 3}}))?;
    let Codec::ArrayToBytes(c) = zarrkit_core::registry::create_codec(&m)? else {
        return Err("kind".into());
    };
    assert_eq!(c.name(), "pcodec");
    // The zarr-extensions example.
    codec(
        json!({"level": 5, "mode_spec": "auto", "delta_spec": "auto",
        "paging_spec": "equal_pages_up_to", "delta_encoding_order": null,
        "equal_pages_up_to": 262144}),
    )?;
    // Numcodecs' backward-compatible reading: an order with "auto".
    codec(json!({"delta_spec": "auto", "delta_encoding_order": 3}))?;
    // Not a configuration at all: an error at open.
    for bad in [
        json!({"level": -1}),
        json!({"mode_spec": "try_dict"}),
        json!({"delta_spec": "conv"}),
        json!({"paging_spec": "exact"}),
        json!({"unknown": 1}),
    ] {
        assert!(codec(bad.clone()).is_err(), "{bad}");
    }
    // Well-formed but not encodable: opens and decodes (a pco stream describes itself);
    // encoding names the problem.
    let data: Vec<i32> = (0..1000).map(|i| i * 7 - 300).collect();
    let r = repr("int32", data.len() as u64)?;
    let stream = codec(json!({}))?.encode(
        ArrayBytes::Fixed(le_bytes(&data)),
        &r,
        &CodecOptions::default(),
    )?;
    for bad in [
        json!({"level": 13}),
        json!({"delta_spec": "none", "delta_encoding_order": 1}),
        json!({"delta_spec": "try_consecutive"}),
        json!({"delta_encoding_order": 8}),
        json!({"equal_pages_up_to": 0}),
    ] {
        let c = codec(bad.clone())?;
        assert_eq!(
            c.decode(stream.clone().into(), &r, &CodecOptions::default())?,
            ArrayBytes::Fixed(le_bytes(&data)),
            "{bad}"
        );
        let e = c
            .encode(
                ArrayBytes::Fixed(le_bytes(&data)),
                &r,
                &CodecOptions::default(),
            )
            .expect_err("not encodable");
        assert!(matches!(e, CodecError::Unsupported { .. }), "{bad}: {e}");
        assert!(
            PcodecCodec::new(serde_json::from_value(bad.clone())?).is_err(),
            "{bad}"
        );
    }
    // Newer numcodecs names "no delta" `no_op`; it encodes like `none` and is written back.
    let c = codec(json!({"delta_spec": "no_op"}))?;
    assert_eq!(
        c.configuration().and_then(|m| m.get("delta_spec").cloned()),
        Some(json!("no_op"))
    );
    let none = codec(json!({"delta_spec": "none"}))?;
    assert_eq!(
        c.encode(
            ArrayBytes::Fixed(le_bytes(&data)),
            &r,
            &CodecOptions::default()
        )?,
        none.encode(
            ArrayBytes::Fixed(le_bytes(&data)),
            &r,
            &CodecOptions::default()
        )?
    );
    // V2 form.
    let v2 = zarrkit_core::registry::create_codec_v2(
        json!({"id": "pcodec", "level": 8, "mode_spec": "auto", "delta_spec": "auto",
            "paging_spec": "equal_pages_up_to", "delta_encoding_order": null,
            "equal_pages_up_to": 262144})
        .as_object()
        .ok_or("object")?,
    )?;
    assert!(matches!(v2, Codec::ArrayToBytes(_)));
    Ok(())
}

#[test]
fn unsupported_data_types() -> R {
    let c = codec(json!({}))?;
    for d in ["int8", "uint8", "bool", "complex64"] {
        assert!(c.encoded_representation(&repr(d, 4)?).is_err(), "{d}");
    }
    Ok(())
}

#[test]
fn corrupt_and_truncated_streams_are_errors() -> R {
    let c = codec(json!({}))?;
    let r = repr("int32", 100)?;
    let opts = CodecOptions::default();
    let data = le_bytes(&(0..100).map(|i| i * i).collect::<Vec<i32>>());
    let enc = c.encode(ArrayBytes::Fixed(data.clone()), &r, &opts)?;
    // Every truncation fails (none panics).
    for len in 0..enc.len() {
        assert!(
            c.decode(enc[..len].to_vec().into(), &r, &opts).is_err(),
            "len {len}"
        );
    }
    // Bytes after the stream's footer are ignored, as pco and numcodecs ignore them.
    let mut long = enc.clone();
    long.extend_from_slice(&enc);
    assert_eq!(
        c.decode(long.into(), &r, &opts)?,
        ArrayBytes::Fixed(data.clone())
    );
    // A chunk of another size fails.
    assert!(c
        .decode(enc.clone().into(), &repr("int32", 99)?, &opts)
        .is_err());
    assert!(c
        .decode(enc.clone().into(), &repr("int32", 101)?, &opts)
        .is_err());
    // The wrong number type fails.
    assert!(c
        .decode(enc.clone().into(), &repr("uint32", 100)?, &opts)
        .is_err());
    // Flipped bytes never panic (they may decode to other numbers).
    for i in 0..enc.len() {
        for x in [0x01u8, 0x80, 0xff] {
            let mut bad = enc.clone();
            bad[i] ^= x;
            let _ = c.decode(bad.into(), &r, &opts);
        }
    }
    Ok(())
}

proptest! {
    #[test]
    fn round_trip(values in prop::collection::vec(any::<i64>(), 0..300), level in 0u64..=12) {
        let c = codec(json!({"level": level})).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let r = repr("int64", values.len() as u64).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let opts = CodecOptions::default();
        let data = le_bytes(&values);
        let enc = c.encode(ArrayBytes::Fixed(data.clone()), &r, &opts).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(enc.len() as u64 <= c.encoded_representation(&r).map_err(|e| TestCaseError::fail(e.to_string()))?.bound().unwrap_or(0));
        let dec = c.decode(enc.into(), &r, &opts).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(dec, ArrayBytes::Fixed(data));
    }

    #[test]
    fn round_trip_floats(values in prop::collection::vec(any::<f32>(), 0..200)) {
        let c = codec(json!({"mode_spec": "classic"})).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let r = repr("float32", values.len() as u64).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let opts = CodecOptions::default();
        let data = le_bytes(&values);
        let enc = c.encode(ArrayBytes::Fixed(data.clone()), &r, &opts).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let dec = c.decode(enc.into(), &r, &opts).map_err(|e| TestCaseError::fail(e.to_string()))?;
        // Bit-exact (NaN payloads included).
        prop_assert_eq!(dec, ArrayBytes::Fixed(data));
    }
}

#[test]
fn array_v3_and_v2() -> R {
    // V3 with a checksum after pcodec (bounded by pcodec's declared size).
    let store = Arc::new(MemoryStore::new());
    let codecs: Vec<MetadataV3> = serde_json::from_value(json!([
        {"name": "numcodecs.pcodec", "configuration": {"level": 8}},
        {"name": "crc32c"}
    ]))?;
    let a = ArrayBuilder::new(vec![30, 17], vec![8, 8], "float64", 0.0)
        .codecs_metadata(codecs)
        .build(store.clone(), "/p")?;
    a.store_metadata()?;
    let all = ArraySubset::new_with_shape(vec![30, 17]);
    let data: Vec<f64> = (0..510).map(|i| (i as f64).sin()).collect();
    a.store_array_subset_elements(&all, &data)?;
    let b = Array::open(store.clone(), "/p")?;
    assert_eq!(b.retrieve_array_subset_elements::<f64>(&all)?, data);
    let s = ArraySubset::new_with_ranges(&[5..21, 3..9])?;
    let expect: Vec<f64> = s
        .indices()
        .map(|i| data[(i[0] * 17 + i[1]) as usize])
        .collect();
    assert_eq!(b.retrieve_array_subset_elements::<f64>(&s)?, expect);

    // V2: numcodecs writes pcodec as the compressor; it binds in place of `bytes`.
    if cfg!(target_endian = "big") {
        return Ok(());
    }
    let store = Arc::new(MemoryStore::new());
    let zarray = json!({"shape": [100], "chunks": [100], "dtype": "<i4", "fill_value": 0,
        "order": "C", "filters": null, "dimension_separator": ".", "zarr_format": 2,
        "compressor": {"id": "pcodec", "level": 8, "mode_spec": "auto", "delta_spec": "auto",
            "paging_spec": "equal_pages_up_to", "delta_encoding_order": null,
            "equal_pages_up_to": 262144}});
    let key = |k: &str| zarrkit_core::storage::StoreKey::new(k);
    store.set(&key("v/.zarray")?, serde_json::to_vec(&zarray)?.into())?;
    store.set(&key("v/0")?, hex(vectors()[0].numcodecs_pco03).into())?;
    let v = Array::open(store.clone(), "/v")?;
    let expect: Vec<i32> = (0..100).map(|i| i * 3 - 50).collect();
    assert_eq!(
        v.retrieve_array_subset_elements::<i32>(&ArraySubset::new_with_shape(vec![100]))?,
        expect
    );
    Ok(())
}
