use super::*;
use proptest::prelude::*;
use zarrkit_core::registry::{create_codec, create_codec_v2};
use zarrkit_core::serde_json::{self as serde_json, json};
use zarrkit_core::storage::{MemoryStore, ReadableStorageExt, StoreKey, WritableStorageTraits};
use zarrkit_core::{Array, ArrayBuilder, ArrayBytes, ArraySubset};

use zarrkit_codec_bytes as _;
use zarrkit_codec_transpose as _;
use zarrkit_dtype_fixed as _;
use zarrkit_dtype_numeric as _;
use zarrkit_grid_regular as _;
use zarrkit_key_default as _;
use zarrkit_key_v2 as _;

type R = Result<(), Box<dyn std::error::Error>>;
type Dyn = Arc<dyn BytesToBytesCodecTraits>;

/// numcodecs 0.15.1 + zarr-python 2.18.6 (`vectors/generate.py`).
const VECTORS: &str = include_str!("../vectors/base64.json");

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

fn fixed(n: usize) -> BytesRepresentation {
    BytesRepresentation::Fixed(n as u64)
}

fn count(input: &[u8]) -> Result<usize, String> {
    let mut c = Count(0);
    decode_into(input, &mut c)?;
    Ok(c.0)
}

#[test]
fn matches_numcodecs_byte_for_byte() -> R {
    let v: Value = serde_json::from_str(VECTORS)?;
    let config = v["config"].as_object().ok_or("config")?;
    let m: MetadataV3 = serde_json::from_value(json!({"name": "numcodecs.base64"}))?;
    let codecs = [
        b2b(create_codec_v2(config)?)?,
        b2b(create_codec(&m)?)?,
        Arc::new(Base64Codec::new()) as Dyn,
    ];
    let inputs = v["inputs"].as_array().ok_or("inputs")?;
    let cases = v["cases"].as_array().ok_or("cases")?;
    assert_eq!(cases.len(), inputs.len());
    for c in cases {
        let i = c["input"].as_u64().ok_or("input")? as usize;
        let data = hex(s(&inputs[i], "hex")?);
        let enc = s(c, "encoded")?.as_bytes().to_vec();
        for codec in &codecs {
            assert_eq!(codec.encode(data.clone(), &opts())?, enc, "input {i}");
            assert_eq!(
                codec.encoded_representation(&fixed(data.len())),
                fixed(enc.len())
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
    Ok(())
}

/// Non-canonical input decodes exactly as numcodecs decodes it (or fails where it fails).
#[test]
fn decodes_what_numcodecs_decodes() -> R {
    let v: Value = serde_json::from_str(VECTORS)?;
    let cases = v["decode"].as_array().ok_or("decode")?;
    assert!(cases.len() >= 30);
    let (mut ok, mut err) = (0, 0);
    for c in cases {
        let input = hex(s(c, "encoded_hex")?);
        let want = c["decoded"].as_str().map(hex);
        let got = decode(&input).ok();
        assert_eq!(got, want, "{:?}", String::from_utf8_lossy(&input));
        match want {
            Some(w) => {
                ok += 1;
                // The exact size is accepted, any other refused.
                let c = Base64Codec::new();
                assert_eq!(c.decode(input.clone().into(), &fixed(w.len()), &opts())?, w);
                assert!(c
                    .decode(input.clone().into(), &fixed(w.len() + 1), &opts())
                    .is_err());
            }
            None => {
                err += 1;
                let e = Base64Codec::new().decode(
                    input.into(),
                    &BytesRepresentation::Unbounded,
                    &opts(),
                );
                assert!(matches!(e, Err(CodecError::Corrupt { .. })), "{e:?}");
            }
        }
    }
    assert!(ok >= 20 && err >= 5, "{ok} {err}");
    Ok(())
}

#[test]
fn output_is_bounded_before_it_is_allocated() -> R {
    let c = Base64Codec::new();
    let data = vec![7u8; 3000];
    let enc = c.encode(data.clone(), &opts())?;
    for repr in [
        fixed(2999),
        fixed(3001),
        BytesRepresentation::Bounded(2999),
        BytesRepresentation::Bounded(0),
    ] {
        assert!(
            c.decode(enc.clone().into(), &repr, &opts()).is_err(),
            "{repr:?}"
        );
    }
    assert_eq!(
        c.decode(
            enc.clone().into(),
            &BytesRepresentation::Bounded(3000),
            &opts()
        )?,
        data
    );
    // Truncated anywhere: an error or fewer bytes (base64 has no length of its own).
    for cut in 0..enc.len() {
        let r = c.decode(enc[..cut].to_vec().into(), &fixed(3000), &opts());
        assert!(r.is_err(), "{cut}");
        if let Ok(d) = c.decode(
            enc[..cut].to_vec().into(),
            &BytesRepresentation::Unbounded,
            &opts(),
        ) {
            assert!(d.len() < 3000 && cut % 4 == 0);
        }
    }
    // Junk is skipped, not decoded: a large input of junk decodes to nothing.
    let junk = vec![b'\n'; 1 << 20];
    assert_eq!(
        c.decode(junk.into(), &BytesRepresentation::Bounded(0), &opts())?
            .len(),
        0
    );
    Ok(())
}

#[test]
fn configuration_forms() -> R {
    for j in [
        json!({"name": "numcodecs.base64"}),
        json!({"name": "numcodecs.base64", "configuration": {}}),
        json!({"name": "base64", "configuration": {}}),
        json!({"name": "base64"}),
    ] {
        let m: MetadataV3 = serde_json::from_value(j.clone())?;
        let c = create_codec(&m)?;
        assert_eq!(serde_json::to_value(c.metadata())?, j);
        assert_eq!(
            serde_json::to_value(c.configuration_v2())?,
            json!({"id": "base64"})
        );
    }
    let v2c: Map<String, Value> = serde_json::from_value(json!({"id": "base64"}))?;
    assert_eq!(
        serde_json::to_value(create_codec_v2(&v2c)?.metadata())?,
        json!({"name": "numcodecs.base64", "configuration": {}})
    );
    let m: MetadataV3 =
        serde_json::from_value(json!({"name": "base64", "configuration": {"altchars": "-_"}}))?;
    assert!(matches!(
        create_codec(&m),
        Err(PluginError::InvalidConfiguration { .. })
    ));
    let v2c: Map<String, Value> = serde_json::from_value(json!({"id": "base64", "x": 1}))?;
    assert!(create_codec_v2(&v2c).is_err());
    Ok(())
}

fn put(store: &MemoryStore, key: &str, value: Vec<u8>) -> R {
    store.set(&StoreKey::new(key)?, value.into())?;
    Ok(())
}

/// zarr-python 2 arrays (base64 as compressor, as filter, and both) read through the Array
/// API, and written again by zarrkit to the same bytes.
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
    }
    Ok(())
}

#[test]
fn v3_array() -> R {
    let store = Arc::new(MemoryStore::new());
    let codecs: Vec<MetadataV3> = serde_json::from_value(json!([
        {"name": "bytes", "configuration": {"endian": "little"}},
        {"name": "numcodecs.base64"}
    ]))?;
    let a = ArrayBuilder::new(vec![11, 3], vec![4, 3], "int16", 0i16)
        .codecs_metadata(codecs)
        .build(store.clone(), "/b")?;
    a.store_metadata()?;
    let all = ArraySubset::new_with_shape(vec![11, 3]);
    let data: Vec<i16> = (0..33).map(|i| i * 1000 - 16000).collect();
    a.store_array_subset_elements(&all, &data)?;
    assert_eq!(
        Array::open(store.clone(), "/b")?.retrieve_array_subset_elements::<i16>(&all)?,
        data
    );
    let chunk = store.get(&StoreKey::new("b/c/0/0")?)?.ok_or("chunk")?;
    assert_eq!(chunk.len(), 32);
    assert!(chunk.iter().all(|b| ALPHABET.contains(b) || *b == b'='));
    Ok(())
}

proptest! {
    #[test]
    fn round_trip(data in prop::collection::vec(any::<u8>(), 0..2000), junk in prop::collection::vec((any::<usize>(), prop::sample::select(vec![b'\n', b' ', b'\r', b'-', b'_', 0x80u8])), 0..20)) {
        let c = Base64Codec::new();
        let n = data.len() as u64;
        let enc = c.encode(data.clone(), &opts()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(enc.len() as u64, encoded_len(n));
        let dec = c.decode(enc.clone().into(), &BytesRepresentation::Fixed(n), &opts()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&dec, &data);
        // Bytes outside the alphabet anywhere are skipped.
        let mut noisy = enc.clone();
        for (at, b) in junk {
            noisy.insert(at % (noisy.len() + 1), b);
        }
        let dec = c.decode(noisy.into(), &BytesRepresentation::Fixed(n), &opts()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&dec, &data);
    }

    /// The size pass and the decoding pass agree on any input, and nothing panics.
    #[test]
    fn arbitrary_input(data in prop::collection::vec(prop::sample::select(b"AQgw+/=\n!9".to_vec()), 0..200)) {
        match (count(&data), decode(&data)) {
            (Ok(n), Ok(d)) => prop_assert_eq!(n, d.len()),
            (Err(_), Err(_)) => {}
            (a, b) => prop_assert!(false, "{:?} {:?}", a, b.map(|d| d.len())),
        }
    }
}
