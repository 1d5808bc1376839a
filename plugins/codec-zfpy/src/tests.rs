use super::*;
use proptest::prelude::*;
use zarrkit_core::data_type::DataType;
use zarrkit_core::serde_json::{self, json};
use zarrkit_core::storage::{MemoryStore, ReadableStorageExt, StoreKey, WritableStorageTraits};
use zarrkit_core::{Array, ArrayBuilder, ArraySubset, FillValue};

// Link the plugins the tests resolve by name.
use zarrkit_codec_bytes as _;
use zarrkit_codec_crc32c as _;
use zarrkit_codec_delta as _;
use zarrkit_codec_transpose as _;
use zarrkit_dtype_numeric as _;
use zarrkit_grid_regular as _;
use zarrkit_key_default as _;
use zarrkit_key_v2 as _;

type R = Result<(), Box<dyn std::error::Error>>;

/// Reference vectors from numcodecs 0.15.1 / zfpy 1.0.1 (libzfp 1.0.1) and zarr-python
/// 2.18.6: see `vectors/generate.py`.
const VECTORS: &str = include_str!("../vectors/zfpy.json");

fn vectors() -> Result<Value, Box<dyn std::error::Error>> {
    Ok(serde_json::from_str(VECTORS)?)
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .filter_map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

fn s<'a>(v: &'a Value, k: &str) -> Result<&'a str, Box<dyn std::error::Error>> {
    v[k].as_str()
        .ok_or_else(|| format!("{k} is not a string").into())
}

fn repr(dtype: &str, shape: &[u64]) -> Result<ChunkRepresentation, PluginError> {
    let d: DataType = zarrkit_core::registry::data_type_by_name(dtype)?;
    let size = d.size().fixed().unwrap_or(0);
    Ok(ChunkRepresentation::new(
        shape.to_vec(),
        d,
        FillValue::new(vec![0; size]),
    ))
}

type A2B = Arc<dyn ArrayToBytesCodecTraits>;

fn a2b(c: Codec) -> Result<A2B, Box<dyn std::error::Error>> {
    match c {
        Codec::ArrayToBytes(c) => Ok(c),
        _ => Err("not array->bytes".into()),
    }
}

fn codec(name: &str, config: Value) -> Result<A2B, Box<dyn std::error::Error>> {
    let m: MetadataV3 = serde_json::from_value(json!({"name": name, "configuration": config}))?;
    a2b(zarrkit_core::registry::create_codec(&m)?)
}

fn codec_v2(config: &Value) -> Result<A2B, Box<dyn std::error::Error>> {
    let map = config.as_object().ok_or("config")?;
    a2b(zarrkit_core::registry::create_codec_v2(map)?)
}

fn without_id(config: &Value) -> Value {
    let mut c = config.clone();
    if let Some(m) = c.as_object_mut() {
        m.remove("id");
    }
    c
}

/// The little-endian element bytes of the vectors as this machine's element bytes.
fn native(bytes: Vec<u8>, size: usize) -> Vec<u8> {
    if cfg!(target_endian = "little") {
        return bytes;
    }
    bytes
        .chunks_exact(size)
        .flat_map(|c| c.iter().rev().copied().collect::<Vec<_>>())
        .collect()
}

fn size_of(dtype: &str) -> usize {
    if dtype.ends_with("32") {
        4
    } else {
        8
    }
}

/// Every numcodecs case: zarrkit's encoding is numcodecs' byte for byte (the "libzfp" cases
/// included: a fixed rate below the float header), and zarrkit decodes it to the values
/// numcodecs decodes.
#[test]
fn reference_vectors() -> R {
    let v = vectors()?;
    assert_eq!(
        v["libzfp"]
            .as_str()
            .map(|s| s.starts_with("zfp version 1.0.1")),
        Some(true)
    );
    let opts = CodecOptions::default();
    let mut count = 0;
    let mut libzfp = 0;
    for case in v["cases"].as_array().ok_or("cases")? {
        let name = s(case, "name")?;
        let input = &v["inputs"][s(case, "input")?];
        let dtype = s(input, "dtype")?;
        let shape: Vec<u64> = serde_json::from_value(input["shape"].clone())?;
        let r = repr(dtype, &shape)?;
        let data = native(hex(s(input, "hex")?), size_of(dtype));
        let encoded = hex(s(case, "encoded")?);
        let decoded = match case["decoded"].as_str() {
            Some(h) => native(hex(h), size_of(dtype)),
            None => data.clone(),
        };
        // The V3 form (zarr-python's: the V2 config without its id) and the V2 form.
        let c = codec(NAME, without_id(&case["config"]))?;
        let c2 = codec_v2(&case["config"])?;
        assert_eq!(
            c2.configuration_v2().map(Value::Object).as_ref(),
            Some(&case["config"]),
            "{name}: V2 configuration written back"
        );
        let e = c.encode(ArrayBytes::Fixed(data.clone()), &r, &opts)?;
        if cfg!(target_endian = "little") {
            assert_eq!(hex_of(&e), hex_of(&encoded), "{name}: encoding");
        }
        assert_eq!(c2.encode(ArrayBytes::Fixed(data.clone()), &r, &opts)?, e);
        let bound = c.encoded_representation(&r)?.bound().ok_or("unbounded")?;
        assert!(
            e.len() as u64 <= bound,
            "{name}: {} > bound {bound}",
            e.len()
        );
        let d = c.decode(encoded.into(), &r, &opts)?;
        assert!(d == ArrayBytes::Fixed(decoded), "{name}: decoding");
        if case["writer"] == "libzfp" {
            libzfp += 1;
        }
        count += 1;
    }
    assert_eq!((count, libzfp), (180, 5));
    Ok(())
}

fn hex_of(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Streams whose field shape is not the chunk's (numcodecs writes them): same element count,
/// decoded in the stream's own C order.
#[test]
fn decode_only_vectors() -> R {
    let v = vectors()?;
    let opts = CodecOptions::default();
    let cases = v["decode_only"].as_array().ok_or("decode_only")?;
    assert_eq!(cases.len(), 2);
    for case in cases {
        let name = s(case, "name")?;
        let dtype = s(case, "dtype")?;
        let shape: Vec<u64> = serde_json::from_value(case["shape"].clone())?;
        let c = codec_v2(&case["config"])?;
        let d = c.decode(
            hex(s(case, "encoded")?).into(),
            &repr(dtype, &shape)?,
            &opts,
        )?;
        let expect = native(hex(s(case, "decoded")?), size_of(dtype));
        assert!(d == ArrayBytes::Fixed(expect), "{name}");
        // A different count or type is an error.
        let mut other = shape.clone();
        other[0] += 1;
        assert!(c
            .decode(
                hex(s(case, "encoded")?).into(),
                &repr(dtype, &other)?,
                &opts
            )
            .is_err());
        let t = if dtype == "float64" {
            "int64"
        } else {
            "float32"
        };
        assert!(c
            .decode(hex(s(case, "encoded")?).into(), &repr(t, &shape)?, &opts)
            .is_err());
    }
    Ok(())
}

fn key(k: &str) -> Result<StoreKey, Box<dyn std::error::Error>> {
    Ok(StoreKey::new(k)?)
}

/// zarr-python 2 stores: zarrkit reads them through the Array API; writing the same data
/// again gives numcodecs' chunks byte for byte where zarrkit's chain hands zfpy the same
/// array (C order, and the F-order array whose chunks are zarrkit's own).
#[test]
fn zarr_python_arrays() -> R {
    if cfg!(target_endian = "big") {
        return Ok(());
    }
    let v = vectors()?;
    let arrays = v["arrays"].as_array().ok_or("arrays")?;
    assert_eq!(arrays.len(), 4);
    for (i, a) in arrays.iter().enumerate() {
        let name = s(a, "name")?;
        let shape: Vec<u64> = serde_json::from_value(a["shape"].clone())?;
        let store = Arc::new(MemoryStore::new());
        let files = a["files"].as_object().ok_or("files")?;
        for (k, h) in files {
            store.set(
                &key(&format!("a/{k}"))?,
                hex(h.as_str().ok_or("hex")?).into(),
            )?;
        }
        let array = Array::open(store.clone(), "/a")?;
        let all = ArraySubset::new_with_shape(shape.clone());
        let got = array.retrieve_array_subset(&all)?;
        assert!(got == ArrayBytes::Fixed(hex(s(a, "data")?)), "{name}: read");
        // Write the data again, with the same .zarray, into a fresh store.
        let fresh = Arc::new(MemoryStore::new());
        fresh.set(
            &key("a/.zarray")?,
            hex(files[".zarray"].as_str().ok_or("zarray")?).into(),
        )?;
        let again = Array::open(fresh.clone(), "/a")?;
        again.store_array_subset(&all, got)?;
        let back = Array::open(fresh.clone(), "/a")?.retrieve_array_subset(&all)?;
        let data = hex(s(a, "data")?);
        if i == 2 {
            // Lossy (tolerance 0.01): re-encoding decoded values need not restore them.
            let f = |b: &[u8]| -> Vec<f64> {
                b.chunks_exact(8)
                    .filter_map(|c| c.try_into().ok().map(f64::from_le_bytes))
                    .collect()
            };
            let back = f(&back.into_fixed().ok_or("fixed")?);
            assert!(f(&data)
                .iter()
                .zip(&back)
                .all(|(x, y)| (x - y).abs() <= 0.01));
        } else {
            assert!(back == ArrayBytes::Fixed(data), "{name}: read back");
        }
        let identical = matches!(i, 0 | 3);
        for (k, h) in files.iter().filter(|(k, _)| !k.starts_with('.')) {
            let ours = fresh
                .get(&key(&format!("a/{k}"))?)?
                .ok_or("missing chunk")?;
            if identical {
                assert_eq!(hex_of(&ours), *h, "{name}: chunk {k}");
            }
        }
    }
    Ok(())
}

fn round_trip(
    dtype: &str,
    shape: &[u64],
    bytes: Vec<u8>,
    config: Value,
) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let c = codec(NAME, config)?;
    let r = repr(dtype, shape)?;
    let opts = CodecOptions::default();
    let e = c.encode(ArrayBytes::Fixed(bytes), &r, &opts)?;
    assert!(e.len() as u64 <= c.encoded_representation(&r)?.bound().unwrap_or(0));
    Ok(c.decode(e.into(), &r, &opts)?.into_fixed().ok_or("fixed")?)
}

fn ne<T: Copy, const N: usize>(v: &[T], f: impl Fn(T) -> [u8; N]) -> Vec<u8> {
    v.iter().flat_map(|x| f(*x)).collect()
}

#[test]
fn shapes_beyond_four_dimensions_and_scalars() -> R {
    let data: Vec<f64> = (0..96).map(|i| (i as f64 * 0.37).sin() * 1e3).collect();
    let b = ne(&data, f64::to_ne_bytes);
    // More than 4 dimensions: one 1-D field of all elements (as after numcodecs' Delta).
    let c = codec(NAME, json!({}))?;
    let r5 = repr("float64", &[2, 3, 2, 4, 2])?;
    let opts = CodecOptions::default();
    let e5 = c.encode(ArrayBytes::Fixed(b.clone()), &r5, &opts)?;
    let e1 = c.encode(
        ArrayBytes::Fixed(b.clone()),
        &repr("float64", &[96])?,
        &opts,
    )?;
    assert_eq!(e5, e1);
    assert_eq!(
        c.decode(e5.into(), &r5, &opts)?,
        ArrayBytes::Fixed(b.clone())
    );
    // 0-dimensional: one value.
    let one = 42.5f64.to_ne_bytes().to_vec();
    assert_eq!(round_trip("float64", &[], one.clone(), json!({}))?, one);
    // Empty extents cannot be a zfp field; 4-D extents above 4096 do not fit the header.
    assert!(c
        .encoded_representation(&repr("float64", &[3, 0])?)
        .is_err());
    let big = repr("int32", &[1, 1, 1, 5000])?;
    assert!(c
        .encode(ArrayBytes::Fixed(vec![0; 20000]), &big, &opts)
        .is_err());
    Ok(())
}

#[test]
fn unsupported_data_types() -> R {
    let c = codec(NAME, json!({}))?;
    for t in [
        "uint32",
        "int16",
        "uint8",
        "float16",
        "bool",
        "complex64",
        "uint64",
    ] {
        let r = repr(t, &[4])?;
        assert!(
            matches!(
                c.encoded_representation(&r),
                Err(CodecError::Unsupported { .. })
            ),
            "{t}"
        );
        assert!(c
            .decode(vec![0u8; 64].into(), &r, &CodecOptions::default())
            .is_err());
    }
    Ok(())
}

#[test]
fn configurations() -> R {
    let opts = CodecOptions::default();
    let r = repr("float32", &[4, 4])?;
    let data = ne(
        &(0..16).map(|i| i as f32).collect::<Vec<_>>(),
        f32::to_ne_bytes,
    );
    // Written back exactly as read, under the name read.
    for (name, config) in [
        (NAME, json!({"mode": 4, "tolerance": 0.01})),
        ("zfpy", json!({"mode": 2, "rate": 8})),
        (NAME, json!({})),
        (
            NAME,
            json!({"mode": 3, "precision": 16, "tolerance": -1, "rate": -1.0,
            "compression_kwargs": {"precision": 16}}),
        ),
    ] {
        let c = codec(name, config.clone())?;
        assert_eq!(c.name(), name);
        assert_eq!(c.configuration().map(Value::Object), Some(config));
        c.encode(ArrayBytes::Fixed(data.clone()), &r, &opts)?;
    }
    // What each configuration encodes with: only the parameter of the mode counts.
    for (config, mode) in [
        (json!({}), ZfpyMode::Reversible),
        (
            json!({"mode": 4, "tolerance": -1, "rate": 8}),
            ZfpyMode::Reversible,
        ),
        (
            json!({"mode": 2, "rate": -1, "tolerance": 0.5}),
            ZfpyMode::Reversible,
        ),
        (json!({"mode": 3, "precision": -1}), ZfpyMode::Reversible),
        (json!({"mode": 3}), ZfpyMode::Reversible),
        (
            json!({"mode": 4.0, "tolerance": 0}),
            ZfpyMode::FixedAccuracy { tolerance: 0.0 },
        ),
        (
            json!({"mode": 2, "rate": 3}),
            ZfpyMode::FixedRate { rate: 3.0 },
        ),
        (
            json!({"mode": 3, "precision": 0}),
            ZfpyMode::FixedPrecision { precision: 0 },
        ),
    ] {
        let m = config.as_object().ok_or("object")?;
        assert_eq!(ZfpyMode::from_configuration(m), Ok(mode), "{config}");
    }
    // Configurations that cannot encode still open (and decode); encoding is Unsupported.
    let good = codec(NAME, json!({}))?.encode(ArrayBytes::Fixed(data.clone()), &r, &opts)?;
    for config in [
        json!({"mode": 1}),
        json!({"mode": 5, "tolerance": 0.1}),
        json!({"mode": "4"}),
        json!({"mode": 4, "tolerance": "0.1"}),
        json!({"mode": 3, "precision": 2.5}),
        json!({"mode": 3, "precision": 4294967296u64}),
        json!({"mode": 4, "level": 3}),
        json!({"mode": 2, "rate": 0}),
        json!({"mode": 2, "rate": 1e9}),
    ] {
        let c = codec(NAME, config.clone())?;
        assert_eq!(
            c.decode(good.clone().into(), &r, &opts)?,
            ArrayBytes::Fixed(data.clone())
        );
        assert!(
            matches!(
                c.encode(ArrayBytes::Fixed(data.clone()), &r, &opts),
                Err(CodecError::Unsupported { .. })
            ),
            "{config}"
        );
    }
    // A V2 configuration needs its id; `new` writes numcodecs' get_config().
    assert!(zarrkit_core::registry::create_codec_v2(
        json!({"id": "zfpy"}).as_object().ok_or("object")?
    )
    .is_ok());
    assert_eq!(
        ZfpyCodec::new(ZfpyMode::FixedRate { rate: 8.0 })
            .configuration_v2()
            .map(Value::Object),
        Some(
            json!({"id": "zfpy", "mode": 2, "compression_kwargs": {"rate": 8.0},
            "tolerance": -1, "rate": 8.0, "precision": -1})
        )
    );
    assert_eq!(
        ZfpyCodec::new(ZfpyMode::Reversible)
            .configuration_v2()
            .map(Value::Object),
        Some(
            json!({"id": "zfpy", "mode": 4, "compression_kwargs": {"tolerance": -1},
            "tolerance": -1, "rate": -1, "precision": -1})
        )
    );
    Ok(())
}

fn first_case(
    v: &Value,
    name: &str,
) -> Result<(ChunkRepresentation, A2B, Vec<u8>), Box<dyn std::error::Error>> {
    let case = v["cases"]
        .as_array()
        .ok_or("cases")?
        .iter()
        .find(|c| c["name"] == name)
        .ok_or("no such case")?;
    let input = &v["inputs"][s(case, "input")?];
    let shape: Vec<u64> = serde_json::from_value(input["shape"].clone())?;
    Ok((
        repr(s(input, "dtype")?, &shape)?,
        codec_v2(&case["config"])?,
        hex(s(case, "encoded")?),
    ))
}

#[test]
fn corrupt_truncated_and_hostile_streams_are_errors() -> R {
    let v = vectors()?;
    let opts = CodecOptions::default();
    for wanted in [
        "float64-2 {}",
        "int32-3 {\"mode\": 2, \"rate\": 8}",
        "float32-4 {\"mode\": 4, \"tolerance\": 1.5}",
        "float32-0 {\"mode\": 2, \"rate\": 0.5}",
    ] {
        let (r, c, enc) = first_case(&v, wanted)?;
        let full = c.decode(enc.clone().into(), &r, &opts)?;
        // Every cut is an error, or (a cut of skipped padding) the same values.
        for len in 0..enc.len() {
            match c.decode(enc[..len].to_vec().into(), &r, &opts) {
                Err(_) => {}
                Ok(d) => assert!(d == full && len + 8 > enc.len(), "{wanted}: cut at {len}"),
            }
        }
        // Flipped bytes never crash (they may decode to other values).
        for i in 0..enc.len() {
            let mut bad = enc.clone();
            bad[i] ^= 0xa5;
            let _ = c.decode(bad.into(), &r, &opts);
        }
        // The header: magic, codec version, type and count are checked.
        for (byte, xor) in [(0usize, 1u8), (3, 1), (4, 1), (5, 0x10)] {
            let mut bad = enc.clone();
            bad[byte] ^= xor;
            assert!(
                c.decode(bad.into(), &r, &opts).is_err(),
                "{wanted}: header byte {byte}"
            );
        }
        // Garbage of any length.
        for len in [0usize, 1, 11, 12, 100, 5000] {
            let _ = c.decode(vec![0xff; len].into(), &r, &opts);
            let _ = c.decode(vec![0; len].into(), &r, &opts);
        }
    }
    Ok(())
}

/// A header may claim any field: one far larger than the chunk is refused before anything
/// is allocated, and a mode word zfp cannot use is an error.
#[test]
fn hostile_headers() -> R {
    let opts = CodecOptions::default();
    let c = codec(NAME, json!({}))?;
    let r = repr("float64", &[4, 4])?;
    let header = |meta: u64, mode: u64| -> Vec<u8> {
        let mut b = vec![b'z', b'f', b'p', 5];
        b.extend_from_slice(&(meta | (mode << 52)).to_le_bytes());
        b.extend_from_slice(&[0; 20]);
        b
    };
    // float64 (type 3), 1-D, nx = 2^48: a count that is not the chunk's.
    let huge = 3 | ((1u64 << 48) - 1) << 4;
    assert!(c.decode(header(huge, 2176).into(), &r, &opts).is_err());
    // 4-D 4096^4 (overflows a 64-bit count on the way).
    let d4 = 3 | 3 << 2 | ((1u64 << 48) - 1) << 4;
    assert!(c.decode(header(d4, 2176).into(), &r, &opts).is_err());
    // 2-D 4 x 4 float64 with an invalid precision (2048 + 127: maxprec 128).
    let ok_meta = 3 | 1 << 2 | 3 << 4 | 3 << 28;
    assert!(c
        .decode(header(ok_meta, 2048 + 127).into(), &r, &opts)
        .is_err());
    // A valid header over missing blocks, or cut inside its own bits: truncated.
    let mut short = header(ok_meta, 2176);
    short.truncate(12);
    assert!(c.decode(short.clone().into(), &r, &opts).is_err());
    short.extend_from_slice(&[0xff; 4]);
    assert!(c.decode(short.into(), &r, &opts).is_err());
    // The same header over zero blocks decodes zeros (zero bits: all-zero blocks).
    let mut zeros = header(ok_meta, 2176);
    zeros.extend_from_slice(&[0; 64]);
    assert_eq!(
        c.decode(zeros.into(), &r, &opts)?,
        ArrayBytes::Fixed(vec![0; 128])
    );
    Ok(())
}

/// numcodecs' fixed rate below the float header (zfpy overflows its buffer there): zarrkit
/// writes libzfp's stream and reads it back as libzfp does, losslessly for these values.
#[test]
fn rates_below_the_float_header() -> R {
    let data: Vec<f32> = (0..37).map(|i| (i as f32 * 0.3).sin() * 100.0).collect();
    let b = ne(&data, f32::to_ne_bytes);
    let back = round_trip("float32", &[37], b.clone(), json!({"mode": 2, "rate": 1}))?;
    assert_eq!(back, b);
    Ok(())
}

#[test]
fn arrays_v3_with_a_checksum() -> R {
    let store = Arc::new(MemoryStore::new());
    let codecs: Vec<MetadataV3> = serde_json::from_value(json!([
        {"name": "numcodecs.zfpy", "configuration": {"mode": 4, "tolerance": 0.001}},
        {"name": "crc32c"}
    ]))?;
    let a = ArrayBuilder::new(vec![30, 17, 5], vec![8, 8, 5], "float64", 0.0)
        .codecs_metadata(codecs)
        .build(store.clone(), "/z")?;
    a.store_metadata()?;
    let all = ArraySubset::new_with_shape(vec![30, 17, 5]);
    let data: Vec<f64> = (0..2550).map(|i| (i as f64 * 0.01).sin()).collect();
    a.store_array_subset_elements(&all, &data)?;
    let b = Array::open(store.clone(), "/z")?;
    let got = b.retrieve_array_subset_elements::<f64>(&all)?;
    assert!(got.iter().zip(&data).all(|(x, y)| (x - y).abs() <= 0.001));
    let s = ArraySubset::new_with_ranges(&[5..21, 3..9, 1..4])?;
    let expect: Vec<f64> = s
        .indices()
        .map(|i| got[(i[0] * 85 + i[1] * 5 + i[2]) as usize])
        .collect();
    assert_eq!(b.retrieve_array_subset_elements::<f64>(&s)?, expect);
    // Reversible int64 (the `zfpy` alias), read back exactly.
    let codecs: Vec<MetadataV3> = serde_json::from_value(
        json!([{"name": "zfpy", "configuration": {"mode": 4, "tolerance": -1}}]),
    )?;
    let a = ArrayBuilder::new(vec![9, 11], vec![4, 4], "int64", 0)
        .codecs_metadata(codecs)
        .build(store.clone(), "/i")?;
    a.store_metadata()?;
    let all = ArraySubset::new_with_shape(vec![9, 11]);
    let data: Vec<i64> = (0..99).map(|i| i * i * 1_000_003 - (1 << 40)).collect();
    a.store_array_subset_elements(&all, &data)?;
    let b = Array::open(store.clone(), "/i")?;
    assert_eq!(b.retrieve_array_subset_elements::<i64>(&all)?, data);
    let doc: Value = serde_json::from_slice(&store.get(&key("i/zarr.json")?)?.ok_or("zarr.json")?)?;
    assert_eq!(doc["codecs"][0]["name"], json!("zfpy"));
    Ok(())
}

fn shapes() -> impl Strategy<Value = Vec<u64>> {
    prop::collection::vec(1u64..6, 1..=4)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Reversible mode restores every bit pattern (NaN payloads included) of every type.
    #[test]
    fn reversible_round_trips(shape in shapes(), seed in any::<u64>(), t in 0usize..4) {
        let n: u64 = shape.iter().product();
        let (dtype, size) = [("int32", 4), ("int64", 8), ("float32", 4), ("float64", 8)][t];
        let mut x = seed | 1;
        let bytes: Vec<u8> = (0..n as usize * size)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        let back = round_trip(dtype, &shape, bytes.clone(), json!({})).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(back, bytes);
    }

    /// Fixed accuracy keeps every value within the tolerance.
    #[test]
    fn fixed_accuracy_bounds_the_error(shape in shapes(), values in prop::collection::vec(-1e6f64..1e6, 625), tol in 1e-6f64..10.0) {
        let n: u64 = shape.iter().product();
        let v = &values[..n as usize];
        let back = round_trip("float64", &shape, ne(v, f64::to_ne_bytes), json!({"mode": 4, "tolerance": tol}))
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        for (c, x) in back.chunks_exact(8).zip(v) {
            let y = f64::from_ne_bytes(c.try_into().map_err(|_| TestCaseError::fail("8 bytes"))?);
            prop_assert!((x - y).abs() <= tol, "{} vs {}", x, y);
        }
    }
}
