use super::*;
use std::sync::Arc;
use zarrkit_core::data_type::DataType;
use zarrkit_core::serde_json::{self, json};
use zarrkit_core::storage::MemoryStore;
use zarrkit_core::{Array, ArrayBuilder, ArraySubset, FillValue};

// Link the plugins the tests resolve by name.
use zarrkit_codec_bytes as _;
use zarrkit_codec_sharding as _;
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

fn repr(dtype: &str, shape: &[u64]) -> Result<ChunkRepresentation, PluginError> {
    let d: DataType = zarrkit_core::registry::data_type_by_name(dtype)?;
    let size = d.size().fixed().unwrap_or(0);
    Ok(ChunkRepresentation::new(
        shape.to_vec(),
        d,
        FillValue::new(vec![0; size]),
    ))
}

fn codec(config: Value) -> Result<Arc<dyn ArrayToBytesCodecTraits>, Box<dyn std::error::Error>> {
    let m: MetadataV3 = serde_json::from_value(json!({"name": "zfp", "configuration": config}))?;
    match zarrkit_core::registry::create_codec(&m)? {
        Codec::ArrayToBytes(c) => Ok(c),
        _ => Err("not array->bytes".into()),
    }
}

/// Reference vectors from zfpy 1.0.1 (zfp 1.0.1): `compress_numpy(a, write_header=False,
/// ...)` for the encoding, and `decompress_numpy(compress_numpy(a, ...))` for the decoded
/// values (little-endian element bytes).
const VECTORS: &str = include_str!("vectors.jsonl");

#[test]
fn reference_vectors() -> R {
    if cfg!(target_endian = "big") {
        return Ok(());
    }
    let opts = CodecOptions::default();
    let mut count = 0;
    for line in VECTORS.lines().filter(|l| !l.trim().is_empty()) {
        let v: Value = serde_json::from_str(line)?;
        let name = v["name"].as_str().ok_or("name")?;
        let shape: Vec<u64> = serde_json::from_value(v["shape"].clone())?;
        let r = repr(v["dtype"].as_str().ok_or("dtype")?, &shape)?;
        let c = codec(v["config"].clone())?;
        let input = hex(v["input"].as_str().ok_or("input")?);
        let encoded = hex(v["encoded"].as_str().ok_or("encoded")?);
        let decoded = hex(v["decoded"].as_str().ok_or("decoded")?);
        let e = c.encode(ArrayBytes::Fixed(input.clone()), &r, &opts)?;
        assert_eq!(e, encoded, "{name}: encoding");
        assert!(e.len() as u64 <= c.encoded_representation(&r)?.bound().unwrap_or(0));
        let d = c.decode(encoded.into(), &r, &opts)?;
        assert_eq!(d, ArrayBytes::Fixed(decoded.clone()), "{name}: decoding");
        if v["config"]["mode"] == "reversible" {
            assert_eq!(decoded, input, "{name}: reversible");
        }
        count += 1;
    }
    assert_eq!(count, 10);
    Ok(())
}

fn round_trip(
    dtype: &str,
    shape: &[u64],
    bytes: Vec<u8>,
    config: Value,
) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let c = codec(config)?;
    let r = repr(dtype, shape)?;
    let opts = CodecOptions::default();
    let e = c.encode(ArrayBytes::Fixed(bytes), &r, &opts)?;
    Ok(c.decode(e.into(), &r, &opts)?.into_fixed().ok_or("fixed")?)
}

fn ne<T: Copy, const N: usize>(v: &[T], f: impl Fn(T) -> [u8; N]) -> Vec<u8> {
    v.iter().flat_map(|x| f(*x)).collect()
}

#[test]
fn reversible_round_trips_every_type() -> R {
    let rev = json!({"mode": "reversible"});
    let i8s: Vec<i8> = (-128..=127).collect();
    let b = ne(&i8s, |x: i8| x.to_ne_bytes());
    assert_eq!(round_trip("int8", &[16, 16], b.clone(), rev.clone())?, b);
    let u8s: Vec<u8> = (0..=255).collect();
    assert_eq!(round_trip("uint8", &[256], u8s.clone(), rev.clone())?, u8s);
    let i16s: Vec<i16> = (0..100).map(|i| (i * 655 - 32768) as i16).collect();
    let b = ne(&i16s, |x: i16| x.to_ne_bytes());
    assert_eq!(round_trip("int16", &[10, 10], b.clone(), rev.clone())?, b);
    let u16s: Vec<u16> = (0..64)
        .map(|i| (i * 1000) as u16)
        .chain([0, u16::MAX])
        .collect();
    let b = ne(&u16s, |x: u16| x.to_ne_bytes());
    assert_eq!(round_trip("uint16", &[66], b.clone(), rev.clone())?, b);
    let u32s: Vec<u32> = vec![0, 1, u32::MAX, 1 << 31, 12345, u32::MAX - 7, 99, 100];
    let b = ne(&u32s, |x: u32| x.to_ne_bytes());
    assert_eq!(round_trip("uint32", &[2, 2, 2], b.clone(), rev.clone())?, b);
    let u64s: Vec<u64> = vec![0, 1, u64::MAX >> 3, 1 << 40, 12345, 7];
    let b = ne(&u64s, |x: u64| x.to_ne_bytes());
    assert_eq!(round_trip("uint64", &[1, 2, 3], b.clone(), rev.clone())?, b);
    let f16s: Vec<half::f16> = (0..40)
        .map(|i| half::f16::from_f32(i as f32 * 0.37 - 3.0))
        .collect();
    let b = ne(&f16s, |x: half::f16| x.to_ne_bytes());
    assert_eq!(
        round_trip("float16", &[2, 4, 5], b.clone(), rev.clone())?,
        b
    );
    let bf: Vec<half::bf16> = (0..16)
        .map(|i| half::bf16::from_f32(i as f32 * 1.7))
        .collect();
    let b = ne(&bf, |x: half::bf16| x.to_ne_bytes());
    assert_eq!(
        round_trip("bfloat16", &[1, 2, 2, 4], b.clone(), rev.clone())?,
        b
    );
    // A 0-dimensional chunk is a 1D field of one value.
    let b = 42.5f64.to_ne_bytes().to_vec();
    assert_eq!(round_trip("float64", &[], b.clone(), rev)?, b);
    Ok(())
}

#[test]
fn lossy_modes_stay_close() -> R {
    let data: Vec<f64> = (0..1000).map(|i| (i as f64 * 0.01).sin()).collect();
    let b = ne(&data, |x: f64| x.to_ne_bytes());
    for (config, tol) in [
        (json!({"mode": "fixed_accuracy", "tolerance": 1e-3}), 1e-3),
        (json!({"mode": "fixed_precision", "precision": 24}), 1e-5),
        (json!({"mode": "fixed_rate", "rate": 16.0}), 1e-3),
        (
            json!({"mode": "expert", "minbits": 1, "maxbits": 4096, "maxprec": 32, "minexp": -30}),
            1e-6,
        ),
    ] {
        let back = round_trip("float64", &[10, 100], b.clone(), config.clone())?;
        for (i, c) in back.chunks_exact(8).enumerate() {
            let x = f64::from_ne_bytes(c.try_into()?);
            assert!((x - data[i]).abs() <= tol, "{config}: {x} vs {}", data[i]);
        }
    }
    Ok(())
}

#[test]
fn configurations() -> R {
    for (config, ok) in [
        (json!({"mode": "reversible"}), true),
        (json!({"mode": "fixed_rate", "rate": 10.5}), true),
        (json!({"mode": "fixed_precision", "precision": 12}), true),
        (json!({"mode": "fixed_accuracy", "tolerance": 0.05}), true),
        (
            json!({"mode": "expert", "minbits": 0, "maxbits": 1000, "maxprec": 20, "minexp": -100}),
            true,
        ),
        (json!({}), false),
        (json!({"mode": "lossless"}), false),
        (json!({"mode": 1}), false),
        (json!({"mode": "fixed_rate"}), false),
        (json!({"mode": "fixed_rate", "rate": -1}), false),
        (json!({"mode": "fixed_rate", "rate": "8"}), false),
        (json!({"mode": "fixed_precision", "precision": -3}), false),
        (json!({"mode": "fixed_accuracy", "tolerance": -0.1}), false),
        (json!({"mode": "reversible", "rate": 8}), false),
        (
            json!({"mode": "expert", "minbits": 0, "maxbits": 1000, "maxprec": 20}),
            false,
        ),
    ] {
        let r = codec(config.clone());
        assert_eq!(r.is_ok(), ok, "{config}");
        if let Ok(c) = r {
            // Written back as read.
            assert_eq!(c.configuration().map(Value::Object), Some(config));
        }
    }
    // Bound to the chunk: ranks, types and accuracy on integers.
    let c = codec(json!({"mode": "fixed_accuracy", "tolerance": 0.1}))?;
    assert!(c
        .encoded_representation(&repr("float32", &[2, 2, 2, 2])?)
        .is_ok());
    assert!(c
        .encoded_representation(&repr("float32", &[2, 2, 2, 2, 2])?)
        .is_err());
    assert!(c.encoded_representation(&repr("int32", &[4])?).is_err());
    assert!(c.encoded_representation(&repr("bool", &[4])?).is_err());
    assert!(c.encoded_representation(&repr("complex64", &[4])?).is_err());
    Ok(())
}

#[test]
fn corrupt_and_truncated_streams_are_errors() -> R {
    let opts = CodecOptions::default();
    let data: Vec<f32> = (0..512).map(|i| (i as f32).cos() * 100.0).collect();
    let b = ne(&data, |x: f32| x.to_ne_bytes());
    for config in [
        json!({"mode": "reversible"}),
        json!({"mode": "fixed_rate", "rate": 8.0}),
        json!({"mode": "fixed_accuracy", "tolerance": 0.01}),
    ] {
        let c = codec(config.clone())?;
        let r = repr("float32", &[8, 8, 8])?;
        let enc = c.encode(ArrayBytes::Fixed(b.clone()), &r, &opts)?;
        // Every truncation short of the last word fails; none reads out of bounds.
        for len in 0..enc.len().saturating_sub(8) {
            assert!(
                c.decode(enc[..len].to_vec().into(), &r, &opts).is_err(),
                "{config}: len {len}"
            );
        }
        // Flipped bytes never crash (they may decode to other values).
        for i in (0..enc.len()).step_by(3) {
            let mut bad = enc.clone();
            bad[i] ^= 0xa5;
            let _ = c.decode(bad.into(), &r, &opts);
        }
        // Garbage of any length decodes to an error or values, within bounds.
        for len in [0usize, 1, 7, 100, 5000] {
            let _ = c.decode(vec![0xff; len].into(), &r, &opts);
        }
    }
    Ok(())
}

#[test]
fn arrays_and_shards() -> R {
    let store = Arc::new(MemoryStore::new());
    let codecs: Vec<MetadataV3> = serde_json::from_value(json!([{
        "name": "sharding_indexed", "configuration": {
            "chunk_shape": [4, 4, 4],
            "codecs": [{"name": "zfp", "configuration": {"mode": "reversible"}}],
            "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}}],
            "index_location": "end"
        }
    }]))?;
    let a = ArrayBuilder::new(vec![10, 9, 8], vec![8, 8, 8], "float32", 0.0)
        .codecs_metadata(codecs)
        .build(store.clone(), "/z")?;
    a.store_metadata()?;
    let all = ArraySubset::new_with_shape(vec![10, 9, 8]);
    let data: Vec<f32> = (0..720).map(|i| (i as f32 * 0.1).sin()).collect();
    a.store_array_subset_elements(&all, &data)?;
    let b = Array::open(store, "/z")?;
    assert_eq!(b.retrieve_array_subset_elements::<f32>(&all)?, data);
    let s = ArraySubset::new_with_ranges(&[3..9, 2..7, 1..8])?;
    let expect: Vec<f32> = s
        .indices()
        .map(|i| data[(i[0] * 72 + i[1] * 8 + i[2]) as usize])
        .collect();
    assert_eq!(b.retrieve_array_subset_elements::<f32>(&s)?, expect);
    Ok(())
}

/// A chunk shape whose element count overflows is an error before zfp sees a field (a
/// wrapped count would let zfp read or write past the buffer).
#[test]
fn overflowing_chunk_shapes_are_errors() -> R {
    let c = codec(json!({"mode": "reversible"}))?;
    let r = repr("float32", &[1 << 32, 1 << 32, 4])?;
    let opts = CodecOptions::default();
    assert!(c.encode(ArrayBytes::Fixed(Vec::new()), &r, &opts).is_err());
    assert!(c.decode(vec![0u8; 64].into(), &r, &opts).is_err());
    Ok(())
}
