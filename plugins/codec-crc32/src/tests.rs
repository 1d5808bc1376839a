use super::*;
use proptest::prelude::*;
use zarrkit_core::registry::{create_codec, create_codec_v2};
use zarrkit_core::serde_json::{self as serde_json, json};
use zarrkit_core::storage::{MemoryStore, ReadableStorageExt, StoreKey, WritableStorageTraits};
use zarrkit_core::{Array, ArrayBuilder, ArrayBytes, ArraySubset};

use zarrkit_codec_bytes as _;
use zarrkit_codec_transpose as _;
use zarrkit_dtype_datetime as _;
use zarrkit_dtype_fixed as _;
use zarrkit_dtype_numeric as _;
use zarrkit_grid_regular as _;
use zarrkit_key_default as _;
use zarrkit_key_v2 as _;

type R = Result<(), Box<dyn std::error::Error>>;
type Dyn = Arc<dyn BytesToBytesCodecTraits>;

/// numcodecs 0.15.1 + zarr-python 2.18.6 (`vectors/generate.py`).
const VECTORS: &str = include_str!("../vectors/crc32.json");

fn opts() -> CodecOptions {
    CodecOptions::default()
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap_or(0))
        .collect()
}

fn s<'a>(v: &'a Value, k: &str) -> Result<&'a str, Box<dyn std::error::Error>> {
    v[k].as_str()
        .ok_or_else(|| format!("{k} is not a string").into())
}

fn b2b(c: Codec) -> Result<Dyn, Box<dyn std::error::Error>> {
    match c {
        Codec::BytesToBytes(c) => Ok(c),
        other => Err(format!("expected a bytes-to-bytes codec, got {}", other.name()).into()),
    }
}

fn v2(config: &Value) -> Result<Dyn, Box<dyn std::error::Error>> {
    b2b(create_codec_v2(config.as_object().ok_or("not an object")?)?)
}

fn v3(json: Value) -> Result<Dyn, Box<dyn std::error::Error>> {
    let m: MetadataV3 = serde_json::from_value(json)?;
    b2b(create_codec(&m)?)
}

fn v3_of(config: &Value) -> Result<Dyn, Box<dyn std::error::Error>> {
    let mut c = config.as_object().ok_or("not an object")?.clone();
    c.remove("id");
    v3(json!({"name": "numcodecs.crc32", "configuration": c}))
}

fn fixed(n: usize) -> BytesRepresentation {
    BytesRepresentation::Fixed(n as u64)
}

#[test]
fn matches_numcodecs_byte_for_byte() -> R {
    let v: Value = serde_json::from_str(VECTORS)?;
    let inputs = v["inputs"].as_array().ok_or("inputs")?;
    let cases = v["cases"].as_array().ok_or("cases")?;
    assert_eq!(cases.len(), 3 * inputs.len());
    for c in cases {
        let i = c["input"].as_u64().ok_or("input")? as usize;
        let data = hex(s(&inputs[i], "hex")?);
        let enc = hex(s(c, "encoded")?);
        assert_eq!(Some(u64::from(crc32(&data))), c["checksum"].as_u64());
        for codec in [v2(&c["config"])?, v3_of(&c["config"])?] {
            assert_eq!(
                codec.encode(data.clone(), &opts())?,
                enc,
                "{} {i}",
                c["config"]
            );
            for repr in [
                fixed(data.len()),
                BytesRepresentation::Bounded(data.len() as u64),
                BytesRepresentation::Unbounded,
            ] {
                assert_eq!(codec.decode(enc.clone().into(), &repr, &opts())?, data);
            }
        }
    }
    // The check value of CRC-32/ISO-HDLC.
    assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    assert_eq!(crc32(b""), 0);
    Ok(())
}

#[test]
fn decode_returns_a_slice_of_the_input() -> R {
    let enc = Bytes::from(Crc32Codec::new().encode(b"payload".to_vec(), &opts())?);
    let dec = Crc32Codec::new().decode(enc.clone(), &fixed(7), &opts())?;
    assert_eq!(dec.as_ptr(), enc[4..].as_ptr());
    Ok(())
}

#[test]
fn corrupt_input_is_an_error() -> R {
    let data: Vec<u8> = (0..200u32).map(|i| (i * 7) as u8).collect();
    let n = data.len();
    for c in [
        Crc32Codec::new(),
        Crc32Codec::new_with_location(ChecksumLocation::End),
    ] {
        let good = c.encode(data.clone(), &opts())?;
        for i in 0..good.len() {
            for bit in [0x01, 0x80] {
                let mut bad = good.clone();
                bad[i] ^= bit;
                let e = c.decode(bad.into(), &fixed(n), &opts());
                assert!(
                    matches!(e, Err(CodecError::ChecksumMismatch { .. })),
                    "{i}: {e:?}"
                );
            }
        }
        for cut in 0..good.len() {
            assert!(c
                .decode(good[..cut].to_vec().into(), &fixed(n), &opts())
                .is_err());
            // Without a known size only the checksum can tell.
            let un = c.decode(
                good[..cut].to_vec().into(),
                &BytesRepresentation::Unbounded,
                &opts(),
            );
            assert!(un.is_err(), "cut {cut}");
        }
        assert!(matches!(
            c.decode(good.clone().into(), &fixed(n + 1), &opts()),
            Err(CodecError::UnexpectedSize { .. })
        ));
        assert!(c
            .decode(
                good.clone().into(),
                &BytesRepresentation::Bounded(n as u64 - 1),
                &opts()
            )
            .is_err());
        // With validation off a mismatch passes.
        let mut bad = good.clone();
        bad[0] ^= 1;
        bad[n + 3] ^= 1;
        let off = opts().with_validate_checksums(false);
        let dec = c.decode(bad.into(), &fixed(n), &off)?;
        assert_eq!(dec.len(), n);
    }
    // Shorter than the checksum: an error for every size.
    for k in 0..4 {
        assert!(Crc32Codec::new()
            .decode(vec![0; k].into(), &BytesRepresentation::Unbounded, &opts())
            .is_err());
    }
    Ok(())
}

#[test]
fn configuration_forms() -> R {
    for (j, loc) in [
        (
            json!({"name": "numcodecs.crc32", "configuration": {}}),
            ChecksumLocation::Start,
        ),
        (json!({"name": "numcodecs.crc32"}), ChecksumLocation::Start),
        (
            json!({"name": "crc32", "configuration": {"location": "end"}}),
            ChecksumLocation::End,
        ),
        (
            json!({"name": "numcodecs.crc32", "configuration": {"location": "start"}}),
            ChecksumLocation::Start,
        ),
        (
            json!({"name": "crc32", "configuration": {"location": null}}),
            ChecksumLocation::Start,
        ),
    ] {
        let m: MetadataV3 = serde_json::from_value(j.clone())?;
        let c = create_codec(&m)?;
        assert_eq!(serde_json::to_value(c.metadata())?, j);
        let b = b2b(c.clone())?;
        let enc = b.encode(b"abc".to_vec(), &opts())?;
        let sum = crc32(b"abc").to_le_bytes();
        match loc {
            ChecksumLocation::Start => assert_eq!(enc[..4], sum),
            ChecksumLocation::End => assert_eq!(enc[3..], sum),
        }
        let v2c = c.configuration_v2().ok_or("v2")?;
        assert_eq!(v2c["id"], "crc32");
        let back = b2b(create_codec_v2(&v2c)?)?;
        assert_eq!(back.encode(b"abc".to_vec(), &opts())?, enc);
    }
    let v2c: Map<String, Value> = serde_json::from_value(json!({"id": "crc32"}))?;
    assert_eq!(
        serde_json::to_value(create_codec_v2(&v2c)?.metadata())?,
        json!({"name": "numcodecs.crc32", "configuration": {}})
    );
    for bad in [
        json!({"location": "middle"}),
        json!({"location": 0}),
        json!({"location": "START"}),
        json!({"loc": "end"}),
    ] {
        let m: MetadataV3 =
            serde_json::from_value(json!({"name": "numcodecs.crc32", "configuration": bad}))?;
        assert!(
            matches!(
                create_codec(&m),
                Err(PluginError::InvalidConfiguration { .. })
            ),
            "{bad}"
        );
        let mut v2c = bad.as_object().ok_or("object")?.clone();
        v2c.insert("id".into(), "crc32".into());
        assert!(create_codec_v2(&v2c).is_err(), "{bad}");
    }
    Ok(())
}

fn put(store: &MemoryStore, key: &str, value: Vec<u8>) -> R {
    store.set(&StoreKey::new(key)?, value.into())?;
    Ok(())
}

/// zarr-python 2 arrays (crc32 as the compressor and as a filter, both locations, F order,
/// edge chunks, `|S3`, datetimes, big-endian) read through the Array API, and written again
/// by zarrkit to the same chunk bytes.
#[test]
fn zarr_python_2_arrays() -> R {
    if cfg!(target_endian = "big") {
        return Ok(());
    }
    let v: Value = serde_json::from_str(VECTORS)?;
    let arrays = v["arrays"].as_array().ok_or("arrays")?;
    assert_eq!(arrays.len(), 5);
    for (n, a) in arrays.iter().enumerate() {
        let store = Arc::new(MemoryStore::new());
        let keys = a["keys"].as_object().ok_or("keys")?;
        for (k, val) in keys {
            put(&store, &format!("a/{k}"), hex(val.as_str().ok_or("key")?))?;
        }
        let shape: Vec<u64> = serde_json::from_value(a["shape"].clone())?;
        let all = ArraySubset::new_with_shape(shape);
        let got = Array::open(store.clone(), "/a")?
            .retrieve_array_subset(&all)?
            .into_fixed()
            .ok_or("fixed")?;
        let data = hex(s(a, "data")?);
        assert_eq!(got, data, "array {n}");
        let copy = Arc::new(MemoryStore::new());
        put(&copy, "a/.zarray", hex(s(&a["keys"], ".zarray")?))?;
        Array::open(copy.clone(), "/a")?.store_array_subset(&all, ArrayBytes::Fixed(data))?;
        for (k, val) in keys.iter().filter(|(k, _)| !k.starts_with('.')) {
            let stored = copy
                .get(&StoreKey::new(format!("a/{k}"))?)?
                .ok_or("chunk")?;
            assert_eq!(
                &stored[..],
                &hex(val.as_str().ok_or("key")?)[..],
                "array {n} chunk {k}"
            );
        }
        // A corrupted chunk is a checksum error through the Array API.
        let (k, val) = keys
            .iter()
            .find(|(k, _)| !k.starts_with('.'))
            .ok_or("no chunk")?;
        let mut bad = hex(val.as_str().ok_or("key")?);
        let last = bad.len() - 1;
        bad[last] ^= 1;
        put(&store, &format!("a/{k}"), bad)?;
        assert!(Array::open(store.clone(), "/a")?
            .retrieve_array_subset(&all)
            .is_err());
    }
    Ok(())
}

/// A V3 array as zarr-python 3.1.6 writes it (`compressors=[numcodecs.CRC32()]`:
/// `{"name": "numcodecs.crc32", "configuration": {}}`, checksum first).
#[test]
fn v3_arrays() -> R {
    if cfg!(target_endian = "big") {
        return Ok(());
    }
    for (config, first) in [(json!({}), true), (json!({"location": "end"}), false)] {
        let store = Arc::new(MemoryStore::new());
        let codecs: Vec<MetadataV3> = serde_json::from_value(json!([
            {"name": "bytes", "configuration": {"endian": "little"}},
            {"name": "numcodecs.crc32", "configuration": config}
        ]))?;
        let a = ArrayBuilder::new(vec![10], vec![10], "int32", 0i32)
            .codecs_metadata(codecs)
            .build(store.clone(), "/z")?;
        a.store_metadata()?;
        let data: Vec<i32> = (0..10).collect();
        let all = ArraySubset::new_with_shape(vec![10]);
        a.store_array_subset_elements(&all, &data)?;
        let chunk = store.get(&StoreKey::new("z/c/0")?)?.ok_or("chunk")?;
        // zarr-python 3.1.6 wrote `0279ef8d` + the 40 data bytes for this chunk.
        let sum = hex("0279ef8d");
        if first {
            assert_eq!(chunk[..4], sum[..]);
        } else {
            assert_eq!(chunk[40..], sum[..]);
        }
        assert_eq!(
            Array::open(store.clone(), "/z")?.retrieve_array_subset_elements::<i32>(&all)?,
            data
        );
    }
    Ok(())
}

proptest! {
    #[test]
    fn round_trip(data in prop::collection::vec(any::<u8>(), 0..3000), end in any::<bool>()) {
        let c = if end { Crc32Codec::new_with_location(ChecksumLocation::End) } else { Crc32Codec::new() };
        let n = data.len() as u64;
        let enc = c.encode(data.clone(), &opts()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(enc.len() as u64, n + 4);
        prop_assert_eq!(c.encoded_representation(&BytesRepresentation::Fixed(n)), BytesRepresentation::Fixed(n + 4));
        let dec = c.decode(enc.into(), &BytesRepresentation::Fixed(n), &opts()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(dec, data);
    }

    #[test]
    fn arbitrary_input_never_panics(data in prop::collection::vec(any::<u8>(), 0..100), end in any::<bool>()) {
        let c = if end { Crc32Codec::new_with_location(ChecksumLocation::End) } else { Crc32Codec::new() };
        for repr in [BytesRepresentation::Unbounded, BytesRepresentation::Fixed(10), BytesRepresentation::Bounded(10)] {
            let _ = c.decode(data.clone().into(), &repr, &opts());
        }
    }
}
