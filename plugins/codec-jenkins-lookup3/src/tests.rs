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
const VECTORS: &str = include_str!("../vectors/jenkins_lookup3.json");

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

fn v3(json: Value) -> Result<Dyn, Box<dyn std::error::Error>> {
    let m: MetadataV3 = serde_json::from_value(json)?;
    b2b(create_codec(&m)?)
}

fn fixed(n: usize) -> BytesRepresentation {
    BytesRepresentation::Fixed(n as u64)
}

/// numcodecs' test_jenkins.py values (also in the vectors, computed by numcodecs).
#[test]
fn numcodecs_test_vectors() -> R {
    assert_eq!(jenkins_lookup3(b"", 0), 0xDEAD_BEEF);
    assert_eq!(jenkins_lookup3(b"", 0xDEAD_BEEF), 0xBD5B_7DDE);
    let four = b"Four score and seven years ago";
    assert_eq!(jenkins_lookup3(four, 0), 0x1777_0551);
    assert_eq!(jenkins_lookup3(four, 1), 0xCD62_8161);
    assert_eq!(jenkins_lookup3(b"jenkins", 0), 202_276_345);
    let enc = JenkinsLookup3Codec::new(0).encode(four.to_vec(), &opts())?;
    assert_eq!(enc[30..], [0x51, 0x05, 0x77, 0x17]);
    let enc = JenkinsLookup3Codec::new(1230).encode(four.to_vec(), &opts())?;
    assert_eq!(enc[30..], [0xd7, 0x5a, 0xe2, 0x0e]);
    // The chain h_{k+1} = h("", h_k) never repeats (test_jenkins.py).
    let v: Value = serde_json::from_str(VECTORS)?;
    let chain: Vec<u32> = serde_json::from_value(v["empty_chain"].clone())?;
    assert_eq!(chain.len(), 10);
    for w in chain.windows(2) {
        assert_eq!(jenkins_lookup3(b"", w[0]), w[1]);
    }
    Ok(())
}

#[test]
fn hashes_match_numcodecs() -> R {
    let v: Value = serde_json::from_str(VECTORS)?;
    let hashes = v["hashes"].as_array().ok_or("hashes")?;
    assert!(hashes.len() > 200);
    for h in hashes {
        let data = hex(s(h, "hex")?);
        let seed = h["initval"].as_u64().ok_or("initval")? as u32;
        assert_eq!(
            Some(u64::from(jenkins_lookup3(&data, seed))),
            h["hash"].as_u64(),
            "{} bytes, seed {seed}",
            data.len()
        );
    }
    Ok(())
}

/// HDF5's fixed-array data block checksum (hashed with the block's header as prefix).
#[test]
fn hdf5_block_with_prefix() -> R {
    let v: Value = serde_json::from_str(VECTORS)?;
    let enc = hex(s(&v["hdf5"], "encoded")?);
    let prefix = hex(s(&v["hdf5"], "prefix_hex")?);
    assert_eq!(enc[enc.len() - 4..], [0x6e, 0x96, 0x07, 0x85]);
    let c = JenkinsLookup3Codec::new_with_prefix(0, &prefix);
    let payload = enc[..enc.len() - 4].to_vec();
    assert_eq!(c.encode(payload.clone(), &opts())?, enc);
    assert_eq!(
        c.decode(enc.clone().into(), &fixed(payload.len()), &opts())?,
        payload
    );
    // Without the prefix it does not verify.
    assert!(matches!(
        JenkinsLookup3Codec::new(0).decode(enc.into(), &fixed(payload.len()), &opts()),
        Err(CodecError::ChecksumMismatch { .. })
    ));
    // From metadata, the prefix as byte values.
    let m = v3(json!({"name": "numcodecs.jenkins_lookup3",
        "configuration": {"initval": 0, "prefix": prefix}}))?;
    assert_eq!(m.encode(payload, &opts())?[256..], [0x6e, 0x96, 0x07, 0x85]);
    Ok(())
}

#[test]
fn matches_numcodecs_byte_for_byte() -> R {
    let v: Value = serde_json::from_str(VECTORS)?;
    let inputs = v["inputs"].as_array().ok_or("inputs")?;
    let cases = v["cases"].as_array().ok_or("cases")?;
    assert_eq!(cases.len(), 4 * inputs.len());
    for c in cases {
        let i = c["input"].as_u64().ok_or("input")? as usize;
        let data = hex(s(&inputs[i], "hex")?);
        let enc = hex(s(c, "encoded")?);
        let config = c["config"].as_object().ok_or("config")?;
        let mut v3c = config.clone();
        v3c.remove("id");
        let mut codecs = vec![
            b2b(create_codec_v2(config)?)?,
            v3(json!({"name": "numcodecs.jenkins_lookup3", "configuration": v3c}))?,
        ];
        if let Some(p) = c["prefix_hex"].as_str() {
            let initval = config["initval"].as_u64().ok_or("initval")? as u32;
            codecs.push(Arc::new(JenkinsLookup3Codec::new_with_prefix(
                initval,
                &hex(p),
            )));
        }
        for codec in codecs {
            assert_eq!(
                codec.encode(data.clone(), &opts())?,
                enc,
                "{config:?} on {i}"
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

#[test]
fn corrupt_input_is_an_error() -> R {
    let data: Vec<u8> = (0..100u32).map(|i| (i * 13) as u8).collect();
    let n = data.len();
    for c in [
        JenkinsLookup3Codec::new(0),
        JenkinsLookup3Codec::new_with_prefix(5, b"pre"),
    ] {
        let good = c.encode(data.clone(), &opts())?;
        for i in 0..good.len() {
            let mut bad = good.clone();
            bad[i] ^= 0x04;
            let e = c.decode(bad.into(), &fixed(n), &opts());
            assert!(
                matches!(e, Err(CodecError::ChecksumMismatch { .. })),
                "{i}: {e:?}"
            );
        }
        for cut in 0..good.len() {
            assert!(c
                .decode(good[..cut].to_vec().into(), &fixed(n), &opts())
                .is_err());
            assert!(
                c.decode(
                    good[..cut].to_vec().into(),
                    &BytesRepresentation::Unbounded,
                    &opts()
                )
                .is_err(),
                "{cut}"
            );
        }
        assert!(matches!(
            c.decode(good.clone().into(), &fixed(n - 1), &opts()),
            Err(CodecError::UnexpectedSize { .. })
        ));
        assert!(c
            .decode(
                good.clone().into(),
                &BytesRepresentation::Bounded(n as u64 - 1),
                &opts()
            )
            .is_err());
        let mut bad = good.clone();
        bad[n] ^= 1;
        let off = opts().with_validate_checksums(false);
        assert_eq!(c.decode(bad.into(), &fixed(n), &off)?, data);
        let dec = c.decode(Bytes::from(good.clone()), &fixed(n), &opts())?;
        assert_eq!(dec, data);
    }
    Ok(())
}

#[test]
fn configuration_forms() -> R {
    for j in [
        json!({"name": "numcodecs.jenkins_lookup3", "configuration": {"initval": 0, "prefix": null}}),
        json!({"name": "numcodecs.jenkins_lookup3", "configuration": {}}),
        json!({"name": "numcodecs.jenkins_lookup3"}),
        json!({"name": "jenkins_lookup3", "configuration": {"initval": 7}}),
        json!({"name": "jenkins_lookup3", "configuration": {"initval": 4294967295u64, "prefix": [1, 2, 255]}}),
    ] {
        let m: MetadataV3 = serde_json::from_value(j.clone())?;
        let c = create_codec(&m)?;
        assert_eq!(serde_json::to_value(c.metadata())?, j);
        let v2c = c.configuration_v2().ok_or("v2")?;
        assert_eq!(v2c["id"], "jenkins_lookup3");
        let a = b2b(c)?.encode(b"xyz".to_vec(), &opts())?;
        assert_eq!(
            b2b(create_codec_v2(&v2c)?)?.encode(b"xyz".to_vec(), &opts())?,
            a
        );
    }
    assert_eq!(
        serde_json::to_value(JenkinsLookup3Codec::new(3).configuration())?,
        json!({"initval": 3, "prefix": null})
    );
    let v2c: Map<String, Value> =
        serde_json::from_value(json!({"id": "jenkins_lookup3", "initval": 0, "prefix": null}))?;
    assert_eq!(
        serde_json::to_value(create_codec_v2(&v2c)?.metadata())?,
        json!({"name": "numcodecs.jenkins_lookup3", "configuration": {"initval": 0, "prefix": null}})
    );
    for bad in [
        json!({"initval": -1}),
        json!({"initval": 4294967296u64}),
        json!({"initval": 1.5}),
        json!({"initval": "0"}),
        json!({"prefix": "FADB"}),
        json!({"prefix": [256]}),
        json!({"prefix": [-1]}),
        json!({"prefix": {}}),
        json!({"location": "end"}),
    ] {
        let m: MetadataV3 = serde_json::from_value(
            json!({"name": "numcodecs.jenkins_lookup3", "configuration": bad}),
        )?;
        assert!(
            matches!(
                create_codec(&m),
                Err(PluginError::InvalidConfiguration { .. })
            ),
            "{bad}"
        );
        let mut v2c = bad.as_object().ok_or("object")?.clone();
        v2c.insert("id".into(), "jenkins_lookup3".into());
        assert!(create_codec_v2(&v2c).is_err(), "{bad}");
    }
    Ok(())
}

fn put(store: &MemoryStore, key: &str, value: Vec<u8>) -> R {
    store.set(&StoreKey::new(key)?, value.into())?;
    Ok(())
}

/// zarr-python 2 arrays (as compressor and filter, seeds, F order, edge chunks, `|S3`,
/// big-endian) read through the Array API, and written again by zarrkit to the same bytes.
#[test]
fn zarr_python_2_arrays() -> R {
    if cfg!(target_endian = "big") {
        return Ok(());
    }
    let v: Value = serde_json::from_str(VECTORS)?;
    let arrays = v["arrays"].as_array().ok_or("arrays")?;
    assert_eq!(arrays.len(), 4);
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

/// A V3 array with the codec as zarr-python 3.1.6 writes it (`configuration: {}`).
#[test]
fn v3_array() -> R {
    let store = Arc::new(MemoryStore::new());
    let codecs: Vec<MetadataV3> = serde_json::from_value(json!([
        {"name": "bytes", "configuration": {"endian": "little"}},
        {"name": "numcodecs.jenkins_lookup3", "configuration": {}}
    ]))?;
    let a = ArrayBuilder::new(vec![25, 9], vec![10, 4], "uint16", 0u16)
        .codecs_metadata(codecs)
        .build(store.clone(), "/j")?;
    a.store_metadata()?;
    let all = ArraySubset::new_with_shape(vec![25, 9]);
    let data: Vec<u16> = (0..225).map(|i| i * 291).collect();
    a.store_array_subset_elements(&all, &data)?;
    let b = Array::open(store.clone(), "/j")?;
    assert_eq!(b.retrieve_array_subset_elements::<u16>(&all)?, data);
    let chunk = store.get(&StoreKey::new("j/c/0/0")?)?.ok_or("chunk")?;
    assert_eq!(chunk.len(), 80 + 4);
    assert_eq!(chunk[80..], jenkins_lookup3(&chunk[..80], 0).to_le_bytes());
    Ok(())
}

proptest! {
    #[test]
    fn round_trip(data in prop::collection::vec(any::<u8>(), 0..2000), initval in any::<u32>(), prefix in prop::collection::vec(any::<u8>(), 0..20)) {
        let c = JenkinsLookup3Codec::new_with_prefix(initval, &prefix);
        let n = data.len() as u64;
        let enc = c.encode(data.clone(), &opts()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(enc.len() as u64, n + 4);
        let mut all = prefix.clone();
        all.extend_from_slice(&data);
        prop_assert_eq!(&enc[data.len()..], &jenkins_lookup3(&all, initval).to_le_bytes()[..]);
        let dec = c.decode(enc.into(), &BytesRepresentation::Fixed(n), &opts()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(dec, data);
    }

    #[test]
    fn arbitrary_input_never_panics(data in prop::collection::vec(any::<u8>(), 0..100)) {
        for repr in [BytesRepresentation::Unbounded, BytesRepresentation::Fixed(10)] {
            let _ = JenkinsLookup3Codec::new(0).decode(data.clone().into(), &repr, &opts());
        }
    }
}
