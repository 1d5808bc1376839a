use super::*;
use proptest::prelude::*;
use std::time::{Duration, Instant};
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

/// numcodecs 0.15.1 + zarr-python 2.18.6 with liblzma 5.4.1 (`vectors/generate.py`).
const VECTORS: &str = include_str!("../vectors/lzma.json");

fn opts() -> CodecOptions {
    CodecOptions::default()
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap_or(0))
        .collect()
}

fn vectors() -> Result<Value, Box<dyn std::error::Error>> {
    Ok(serde_json::from_str(VECTORS)?)
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
    let m = config.as_object().ok_or("config is not an object")?;
    b2b(create_codec_v2(m)?)
}

fn v3(json: Value) -> Result<Dyn, Box<dyn std::error::Error>> {
    let m: MetadataV3 = serde_json::from_value(json)?;
    b2b(create_codec(&m)?)
}

/// The V3 form of a V2 config: `numcodecs.lzma` with the config minus `id`.
fn v3_of(config: &Value) -> Result<Dyn, Box<dyn std::error::Error>> {
    let mut c = config.as_object().ok_or("config is not an object")?.clone();
    c.remove("id");
    v3(json!({"name": "numcodecs.lzma", "configuration": c}))
}

fn fixed(n: usize) -> BytesRepresentation {
    BytesRepresentation::Fixed(n as u64)
}

#[test]
fn decodes_every_reference_vector() -> R {
    let v = vectors()?;
    let inputs = v["inputs"].as_array().ok_or("inputs")?;
    let cases = v["cases"].as_array().ok_or("cases")?;
    assert!(cases.len() >= 100, "{} cases", cases.len());
    for c in cases {
        let i = c["input"].as_u64().ok_or("input")? as usize;
        let data = hex(s(&inputs[i], "hex")?);
        let enc = hex(s(c, "encoded")?);
        for codec in [v2(&c["config"])?, v3_of(&c["config"])?] {
            for repr in [
                fixed(data.len()),
                BytesRepresentation::Bounded(data.len() as u64 + 100),
                BytesRepresentation::Unbounded,
            ] {
                let dec = codec.decode(enc.clone().into(), &repr, &opts());
                assert_eq!(
                    dec.as_deref().ok(),
                    Some(&data[..]),
                    "{} on input {i} ({repr:?}): {:?}",
                    c["config"],
                    dec.as_ref().err()
                );
            }
            // Exactly one byte too few is refused.
            if !data.is_empty() {
                let short = BytesRepresentation::Bounded(data.len() as u64 - 1);
                assert!(codec.decode(enc.clone().into(), &short, &opts()).is_err());
            }
        }
    }
    Ok(())
}

/// liblzma 5.8 (bundled) writes what the system's liblzma 5.4.1 wrote for numcodecs, byte
/// for byte, for every configuration numcodecs can encode.
#[test]
fn encodes_every_reference_vector_byte_for_byte() -> R {
    let v = vectors()?;
    let inputs = v["inputs"].as_array().ok_or("inputs")?;
    let mut n = 0;
    for c in v["cases"].as_array().ok_or("cases")? {
        let i = c["input"].as_u64().ok_or("input")? as usize;
        let data = hex(s(&inputs[i], "hex")?);
        let enc = v2(&c["config"])?.encode(data.clone(), &opts())?;
        assert_eq!(enc, hex(s(c, "encoded")?), "{} on input {i}", c["config"]);
        let bound = v2(&c["config"])?
            .encoded_representation(&fixed(data.len()))
            .bound();
        assert!(bound.is_some_and(|b| enc.len() as u64 <= b));
        n += 1;
    }
    assert!(n >= 100);
    Ok(())
}

#[test]
fn decodes_what_numcodecs_decodes_but_does_not_write() -> R {
    let v = vectors()?;
    let cases = v["decode_only"].as_array().ok_or("decode_only")?;
    assert_eq!(cases.len(), 5);
    for c in cases {
        let data = hex(s(c, "decoded")?);
        let enc = hex(s(c, "encoded")?);
        for codec in [v2(&c["config"])?, v3_of(&c["config"])?] {
            let dec = codec.decode(enc.clone().into(), &fixed(data.len()), &opts());
            assert_eq!(
                dec.as_deref().ok(),
                Some(&data[..]),
                "{}: {:?}",
                c["note"],
                dec.as_ref().err()
            );
        }
    }
    Ok(())
}

/// Where Python's `lzma.decompress` and the .xz format (zarrkit) disagree: the recorded
/// Python result, and zarrkit's.
#[test]
fn trailing_data_deviations_from_python() -> R {
    let v = vectors()?;
    let cases = v["deviations"].as_array().ok_or("deviations")?;
    assert_eq!(cases.len(), 4);
    let mut differ = 0;
    for c in cases {
        let enc = hex(s(c, "encoded")?);
        let got = v2(&c["config"])?
            .decode(enc.into(), &BytesRepresentation::Bounded(10_000), &opts())
            .ok()
            .map(|b| b.to_vec());
        let want = c["zarrkit"].as_str().map(hex);
        assert_eq!(got, want, "{}", c["note"]);
        if c["python"].as_str().map(hex) != want {
            differ += 1;
        }
    }
    // The last case (3 bytes of garbage) is an error for both.
    assert_eq!(differ, 3);
    Ok(())
}

fn put(store: &MemoryStore, key: &str, value: Vec<u8>) -> R {
    store.set(&StoreKey::new(key)?, value.into())?;
    Ok(())
}

/// zarr-python 2 arrays (lzma as the compressor: xz, .lzma, raw with a delta filter, F
/// order, edge chunks, a big-endian dtype, datetimes, `|S3`) read through the Array API;
/// written again by zarrkit, the chunks are numcodecs' bytes.
#[test]
fn zarr_python_2_arrays() -> R {
    if cfg!(target_endian = "big") {
        return Ok(());
    }
    let v = vectors()?;
    let arrays = v["arrays"].as_array().ok_or("arrays")?;
    assert_eq!(arrays.len(), 6);
    for (n, a) in arrays.iter().enumerate() {
        let store = Arc::new(MemoryStore::new());
        let keys = a["keys"].as_object().ok_or("keys")?;
        for (k, val) in keys {
            put(&store, &format!("a/{k}"), hex(val.as_str().ok_or("key")?))?;
        }
        let shape: Vec<u64> = serde_json::from_value(a["shape"].clone())?;
        let all = ArraySubset::new_with_shape(shape.clone());
        let array = Array::open(store.clone(), "/a")?;
        let got = array
            .retrieve_array_subset(&all)?
            .into_fixed()
            .ok_or("fixed")?;
        let data = hex(s(a, "data")?);
        assert_eq!(got, data, "array {n} ({})", a["dtype"]);

        // Written by zarrkit (into a copy holding only the metadata): the same chunks.
        let copy = Arc::new(MemoryStore::new());
        put(&copy, "a/.zarray", hex(s(&a["keys"], ".zarray")?))?;
        let w = Array::open(copy.clone(), "/a")?;
        w.store_array_subset(&all, ArrayBytes::Fixed(data.clone()))?;
        for (k, val) in keys {
            if k.starts_with('.') {
                continue;
            }
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

/// A V3 array as zarr-python 3.1.6 writes it (`compressors=[numcodecs.LZMA()]`,
/// `configuration: {}`), chunks included; and V3 arrays written and read by zarrkit.
#[test]
fn zarr_python_3_array_and_v3_round_trip() -> R {
    if cfg!(target_endian = "big") {
        return Ok(());
    }
    let zarr_json = json!({
        "shape": [12], "data_type": "int32",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [6]}},
        "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
        "fill_value": 0,
        "codecs": [{"name": "bytes", "configuration": {"endian": "little"}},
                   {"name": "numcodecs.lzma", "configuration": {}}],
        "attributes": {}, "zarr_format": 3, "node_type": "array", "storage_transformers": []
    });
    let store = Arc::new(MemoryStore::new());
    put(&store, "z/zarr.json", serde_json::to_vec(&zarr_json)?)?;
    put(&store, "z/c/0", hex("fd377a585a000004e6d6b4460200210116000000742fe5a3e0001700135d007dbff01fd08600f8691d55c85b8edbab39b62a00008bdc487c2d5632eb00012f181015f6211fb6f37d010000000004595a"))?;
    put(&store, "z/c/1", hex("fd377a585a000004e6d6b4460200210116000000742fe5a3e0001700115d00068034faa30a669f761e48699af62da64a00000000971e7cd19ab9251200012d189277c0131fb6f37d010000000004595a"))?;
    let a = Array::open(store.clone(), "/z")?;
    let all = ArraySubset::new_with_shape(vec![12]);
    let expect: Vec<i32> = (0..12).map(|i| i * 3 - 5).collect();
    assert_eq!(a.retrieve_array_subset_elements::<i32>(&all)?, expect);
    // Rewritten: the same bytes, and the metadata keeps `configuration: {}`.
    a.store_array_subset_elements(&all, &expect)?;
    let c0 = store.get(&StoreKey::new("z/c/0")?)?.ok_or("c/0")?;
    assert_eq!(&c0[..], &hex("fd377a585a000004e6d6b4460200210116000000742fe5a3e0001700135d007dbff01fd08600f8691d55c85b8edbab39b62a00008bdc487c2d5632eb00012f181015f6211fb6f37d010000000004595a")[..]);
    a.store_metadata()?;
    let md: Value = serde_json::from_slice(
        &store
            .get(&StoreKey::new("z/zarr.json")?)?
            .ok_or("zarr.json")?,
    )?;
    assert_eq!(
        md["codecs"][1],
        json!({"name": "numcodecs.lzma", "configuration": {}})
    );

    for codecs in [
        json!([{"name": "bytes", "configuration": {"endian": "little"}},
               {"name": "lzma", "configuration": {"format": 2, "preset": 1}}]),
        json!([{"name": "bytes", "configuration": {"endian": "big"}},
               {"name": "numcodecs.lzma", "configuration": {"format": 3,
                 "filters": [{"id": 3, "dist": 8}, {"id": 33, "preset": 1}]}}]),
        json!([{"name": "bytes", "configuration": {"endian": "little"}},
               {"name": "numcodecs.lzma", "configuration": {"check": 10, "preset": 9}}]),
    ] {
        let store = Arc::new(MemoryStore::new());
        let codecs: Vec<MetadataV3> = serde_json::from_value(codecs)?;
        let a = ArrayBuilder::new(vec![30, 17], vec![8, 8], "float64", 0.0)
            .codecs_metadata(codecs.clone())
            .build(store.clone(), "/p")?;
        a.store_metadata()?;
        let all = ArraySubset::new_with_shape(vec![30, 17]);
        let data: Vec<f64> = (0..510).map(|i| (i as f64 * 0.1).sin()).collect();
        a.store_array_subset_elements(&all, &data)?;
        let b = Array::open(store.clone(), "/p")?;
        assert_eq!(b.retrieve_array_subset_elements::<f64>(&all)?, data);
        let s = ArraySubset::new_with_ranges(&[5..21, 3..9])?;
        let expect: Vec<f64> = s
            .indices()
            .map(|i| data[(i[0] * 17 + i[1]) as usize])
            .collect();
        assert_eq!(b.retrieve_array_subset_elements::<f64>(&s)?, expect);
        let md: Value =
            serde_json::from_slice(&store.get(&StoreKey::new("p/zarr.json")?)?.ok_or("md")?)?;
        assert_eq!(md["codecs"][1], serde_json::to_value(&codecs[1])?);
    }
    Ok(())
}

#[test]
fn configuration_forms() -> R {
    // As zarr-python 3 writes them (only the members given), and as numcodecs does.
    for (j, format) in [
        (
            json!({"name": "numcodecs.lzma", "configuration": {}}),
            LzmaFormat::Xz,
        ),
        (json!({"name": "numcodecs.lzma"}), LzmaFormat::Xz),
        (
            json!({"name": "numcodecs.lzma", "configuration": {"preset": 1}}),
            LzmaFormat::Xz,
        ),
        (
            json!({"name": "numcodecs.lzma", "configuration": {"format": 2}}),
            LzmaFormat::Alone,
        ),
        (
            json!({"name": "lzma", "configuration": {"format": 3, "filters": [{"id": 33, "preset": 1}]}}),
            LzmaFormat::Raw,
        ),
        (
            json!({"name": "lzma", "configuration": {"filters": null, "preset": null, "format": 1, "check": -1}}),
            LzmaFormat::Xz,
        ),
        (
            json!({"name": "lzma", "configuration": {"format": 0}}),
            LzmaFormat::Auto,
        ),
    ] {
        let m: MetadataV3 = serde_json::from_value(j.clone())?;
        let c = create_codec(&m)?;
        // Written back exactly as read (name and configuration).
        assert_eq!(serde_json::to_value(c.metadata())?, j);
        let Codec::BytesToBytes(b) = &c else {
            return Err("not bytes-to-bytes".into());
        };
        if format != LzmaFormat::Auto {
            let data = b"zarrkit lzma configuration forms".repeat(20);
            let enc = b.encode(data.clone(), &opts())?;
            assert_eq!(b.decode(enc.into(), &fixed(data.len()), &opts())?, data);
        }
        // The V2 form: the configuration plus `id`.
        let v2c = c.configuration_v2().ok_or("v2")?;
        assert_eq!(v2c["id"], "lzma");
        let back = create_codec_v2(&v2c)?;
        assert_eq!(
            back.metadata().configuration(),
            m.configuration().or(Some(&Map::new()))
        );
    }
    // From V2: the V3 form is numcodecs' configuration without `id`.
    let m: Map<String, Value> = serde_json::from_value(
        json!({"id": "lzma", "format": 1, "check": -1, "preset": 1, "filters": null}),
    )?;
    let c = create_codec_v2(&m)?;
    assert_eq!(
        serde_json::to_value(c.metadata())?,
        json!({"name": "numcodecs.lzma", "configuration": {"format": 1, "check": -1, "preset": 1, "filters": null}})
    );
    assert_eq!(
        serde_json::to_value(LzmaCodec::new().configuration())?,
        json!({"format": 1, "check": -1, "preset": null, "filters": null})
    );
    assert!(LzmaCodec::with_preset(10).is_err());
    assert_eq!(
        LzmaCodec::with_preset(9 | PRESET_EXTREME)?.format(),
        LzmaFormat::Xz
    );
    Ok(())
}

/// What decoding needs is checked when the array opens.
#[test]
fn invalid_configurations_fail_at_open() -> R {
    for c in [
        json!({"format": 4}),
        json!({"format": -1}),
        json!({"format": "xz"}),
        json!({"format": null}),
        json!({"format": 1.0}),
        json!({"level": 1}),
        json!({"format": 3}),
        json!({"format": 3, "filters": null}),
        json!({"format": 3, "filters": []}),
        json!({"format": 3, "filters": {"id": 33}}),
        json!({"format": 3, "filters": [{"id": 99}]}),
        json!({"format": 3, "filters": [{"preset": 1}]}),
        json!({"format": 3, "filters": [{"id": 33, "level": 1}]}),
        json!({"format": 3, "filters": [{"id": 33, "preset": 10}]}),
        json!({"format": 3, "filters": [{"id": 33, "dict_size": -1}]}),
        json!({"format": 3, "filters": [{"id": 33, "mode": "fast"}]}),
        json!({"format": 3, "filters": [{"id": 33}, {"id": 3}]}),
        json!({"format": 3, "filters": [{"id": 3, "dist": 0}, {"id": 33}]}),
        json!({"format": 3, "filters": [{"id": 3, "dist": 257}, {"id": 33}]}),
        json!({"format": 3, "filters": [{"id": 4, "dist": 1}, {"id": 33}]}),
        json!({"format": 3, "filters": [{"id": 3}, {"id": 3}, {"id": 3}, {"id": 3}, {"id": 33}]}),
    ] {
        let m: MetadataV3 =
            serde_json::from_value(json!({"name": "numcodecs.lzma", "configuration": c}))?;
        assert!(
            matches!(
                create_codec(&m),
                Err(PluginError::InvalidConfiguration { .. })
            ),
            "{c}"
        );
        let mut v2c = c.as_object().ok_or("object")?.clone();
        v2c.insert("id".into(), "lzma".into());
        assert!(create_codec_v2(&v2c).is_err(), "{c}");
    }
    Ok(())
}

/// Parameters that only matter when encoding open and decode; encoding refuses them, with
/// Python's rules.
#[test]
fn encode_only_parameters_are_checked_when_encoding() -> R {
    let data = b"encode-only parameters ".repeat(10);
    let good = LzmaCodec::new().encode(data.clone(), &opts())?;
    let good_alone = v3(json!({"name": "lzma", "configuration": {"format": 2}}))?
        .encode(data.clone(), &opts())?;
    for (c, enc) in [
        (json!({"check": 99}), &good),
        (json!({"check": 2}), &good),
        (json!({"check": "crc64"}), &good),
        (json!({"preset": 10}), &good),
        (json!({"preset": -1}), &good),
        (json!({"preset": 6.0}), &good),
        (json!({"preset": 6, "filters": [{"id": 33}]}), &good),
        // numcodecs cannot even decode these (filters except with raw), zarrkit can.
        (json!({"filters": [{"id": 99}]}), &good),
        (json!({"filters": "lzma2"}), &good),
        (json!({"filters": [{"id": 33, "mode": 7}]}), &good),
        (json!({"filters": [{"id": 33, "mf": 1}]}), &good),
        (json!({"format": 2, "check": 1}), &good_alone),
        (json!({"format": 2, "filters": [{"id": 33}]}), &good_alone),
        (
            json!({"format": 2, "filters": [{"id": 3}, {"id": 4611686018427387905u64}]}),
            &good_alone,
        ),
        (json!({"format": 0}), &good),
        (json!({"format": 0}), &good_alone),
    ] {
        let codec = v3(json!({"name": "numcodecs.lzma", "configuration": c.clone()}))?;
        assert_eq!(
            codec.decode(enc.clone().into(), &fixed(data.len()), &opts())?,
            data,
            "{c}"
        );
        let e = codec
            .encode(data.clone(), &opts())
            .err()
            .ok_or(format!("{c} encoded"))?;
        assert!(matches!(e, CodecError::Unsupported { .. }), "{c}: {e}");
    }
    // Raw encoding checks the encoder-only options of its chain (liblzma's LZMA2 decoder
    // does not look at lc + lp, its encoder refuses more than 4).
    let raw = v3(json!({"name": "lzma", "configuration": {"format": 3,
        "filters": [{"id": 33, "lc": 4, "lp": 1}]}}))?;
    assert!(matches!(
        raw.encode(data.clone(), &opts()),
        Err(CodecError::Unsupported { .. })
    ));
    let raw = v3(json!({"name": "lzma", "configuration": {"format": 3,
        "filters": [{"id": 33, "preset": 1, "mode": 9}]}}))?;
    let ok = v3(json!({"name": "lzma", "configuration": {"format": 3,
        "filters": [{"id": 33, "preset": 1}]}}))?
    .encode(data.clone(), &opts())?;
    assert_eq!(raw.decode(ok.into(), &fixed(data.len()), &opts())?, data);
    assert!(matches!(
        raw.encode(data, &opts()),
        Err(CodecError::Unsupported { .. })
    ));
    Ok(())
}

fn xz() -> Result<Dyn, Box<dyn std::error::Error>> {
    v3(json!({"name": "numcodecs.lzma", "configuration": {}}))
}

#[test]
fn truncated_and_corrupt_streams_are_errors() -> R {
    let data: Vec<u8> = (0..3000u32)
        .map(|i| (i % 251) as u8 ^ (i / 97) as u8)
        .collect();
    let n = data.len();
    for (config, checked) in [
        (json!({}), true),
        (json!({"check": 1}), true),
        (json!({"check": 10}), true),
        (json!({"check": 0}), false),
        (json!({"format": 2}), false),
        (
            json!({"format": 3, "filters": [{"id": 33, "preset": 1}]}),
            false,
        ),
        (
            json!({"format": 3, "filters": [{"id": 4611686018427387905u64}]}),
            false,
        ),
    ] {
        let c = v3(json!({"name": "lzma", "configuration": config.clone()}))?;
        let enc = c.encode(data.clone(), &opts())?;
        for cut in 0..enc.len() {
            for repr in [fixed(n), BytesRepresentation::Bounded(1 << 20)] {
                let r = c.decode(enc[..cut].to_vec().into(), &repr, &opts());
                assert!(r.is_err(), "{config} truncated to {cut} of {}", enc.len());
            }
        }
        // Flipped bits: an error or (only without an integrity check) other bytes, never
        // a panic or more than the chunk.
        for i in (0..enc.len()).step_by(7) {
            let mut bad = enc.clone();
            bad[i] ^= 0x10;
            if let Ok(d) = c.decode(bad.into(), &fixed(n), &opts()) {
                assert!(!checked || d == data, "{config}: flip at {i} undetected");
            }
        }
        // Trailing bytes that are not a stream.
        let mut long = enc.clone();
        long.extend_from_slice(b"\x01garbage");
        assert!(
            c.decode(long.into(), &fixed(n), &opts()).is_err(),
            "{config}"
        );
    }
    // Not a stream at all.
    for junk in [
        &b""[..],
        b"\0",
        b"not lzma data at all",
        &[0xfd, b'7', b'z', b'X', b'Z', 0],
    ] {
        assert!(xz()?
            .decode(junk.to_vec().into(), &fixed(1), &opts())
            .is_err());
    }
    // With validation off a corrupted check is not looked at.
    let mut enc = LzmaCodec::new().encode(data.clone(), &opts())?;
    // The CRC64 of the block precedes the index, whose size the stream footer gives.
    let f = enc.len() - 12;
    let backward = u32::from_le_bytes([enc[f + 4], enc[f + 5], enc[f + 6], enc[f + 7]]);
    let at = f - (backward as usize + 1) * 4 - 1;
    enc[at] ^= 1;
    assert!(xz()?
        .decode(enc.clone().into(), &fixed(n), &opts())
        .is_err());
    let off = opts().with_validate_checksums(false);
    assert_eq!(xz()?.decode(enc.into(), &fixed(n), &off)?, data);
    Ok(())
}

/// A decompression bomb stops at the chunk's size: the output never grows past the bound
/// plus one byte, so it fails fast whatever the stream would expand to.
#[test]
fn decompression_bombs_stop_at_the_bound() -> R {
    let zeros = vec![0u8; 32 << 20];
    for config in [
        json!({"preset": 0}),
        json!({"format": 2, "preset": 0}),
        json!({"format": 3, "filters": [{"id": 33, "preset": 0}]}),
    ] {
        let c = v3(json!({"name": "lzma", "configuration": config.clone()}))?;
        let bomb = c.encode(zeros.clone(), &opts())?;
        assert!(bomb.len() < 32 << 10, "{}", bomb.len());
        let t = Instant::now();
        for repr in [
            fixed(4096),
            BytesRepresentation::Bounded(4096),
            BytesRepresentation::Bounded(1 << 20),
            fixed((32 << 20) - 1),
        ] {
            let e = c.decode(bomb.clone().into(), &repr, &opts());
            assert!(e.is_err(), "{config} {repr:?}");
        }
        assert!(t.elapsed() < Duration::from_secs(20), "{:?}", t.elapsed());
        assert!(matches!(
            c.decode(bomb.clone().into(), &fixed((32 << 20) + 1), &opts()),
            Err(CodecError::UnexpectedSize { .. })
        ));
        assert_eq!(
            c.decode(bomb.clone().into(), &fixed(32 << 20), &opts())?
                .len(),
            32 << 20
        );
        // 256 streams back to back: 8 GiB of zeros from a few MiB. Decoding stops after
        // the first 4 KiB (anything else would run for minutes or run out of memory).
        let big: Vec<u8> = bomb.repeat(256);
        let t = Instant::now();
        for repr in [fixed(4096), BytesRepresentation::Bounded(4096)] {
            assert!(c.decode(big.clone().into(), &repr, &opts()).is_err());
        }
        assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
    }
    Ok(())
}

/// CRC32 (IEEE), for patching xz block headers in tests.
fn crc32(data: &[u8]) -> u32 {
    let mut c = !0u32;
    for &b in data {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 == 1 {
                (c >> 1) ^ 0xEDB8_8320
            } else {
                c >> 1
            };
        }
    }
    !c
}

/// Streams whose headers ask for a huge dictionary are refused before liblzma allocates it.
#[test]
fn hostile_dictionary_sizes_are_refused() -> R {
    let data = b"hostile dictionary".repeat(10);
    let n = data.len();
    // xz: the LZMA2 filter properties of the block header say 4 GiB - 1 (byte 40); the
    // header's CRC32 is recomputed so only the size is wrong.
    let mut enc = LzmaCodec::new().encode(data.clone(), &opts())?;
    let hsize = (usize::from(enc[12]) + 1) * 4;
    let header = 12..12 + hsize;
    let at = enc[header.clone()]
        .windows(2)
        .position(|w| w == [0x21, 0x01])
        .ok_or("no LZMA2 filter flags")?
        + 12
        + 2;
    enc[at] = 40;
    let crc = crc32(&enc[12..12 + hsize - 4]).to_le_bytes();
    enc[12 + hsize - 4..12 + hsize].copy_from_slice(&crc);
    for repr in [fixed(n), BytesRepresentation::Bounded(1 << 20)] {
        let e = xz()?.decode(enc.clone().into(), &repr, &opts());
        assert!(
            matches!(e, Err(CodecError::AllocationRefused { .. })),
            "{e:?}"
        );
    }

    // .lzma: a header with a 4 GiB - 1 dictionary, and one with a huge uncompressed size.
    let alone = v3(json!({"name": "lzma", "configuration": {"format": 2}}))?;
    let good = alone.encode(data.clone(), &opts())?;
    let mut bad = good.clone();
    bad[1..5].copy_from_slice(&u32::MAX.to_le_bytes());
    let e = alone.decode(bad.into(), &fixed(n), &opts());
    assert!(
        matches!(e, Err(CodecError::AllocationRefused { .. })),
        "{e:?}"
    );
    let mut bad = good.clone();
    bad[5..13].copy_from_slice(&(1u64 << 40).to_le_bytes());
    assert!(alone.decode(bad.into(), &fixed(n), &opts()).is_err());
    // A raw chain may name a 1.5 GiB dictionary: it is clamped to the chunk.
    let raw = |dict: u64| {
        v3(json!({"name": "lzma", "configuration": {"format": 3,
            "filters": [{"id": 33, "preset": 1, "dict_size": dict}]}}))
    };
    let enc = raw(1 << 20)?.encode(data.clone(), &opts())?;
    let t = Instant::now();
    assert_eq!(raw(3 << 29)?.decode(enc.into(), &fixed(n), &opts())?, data);
    assert!(t.elapsed() < Duration::from_secs(5));
    Ok(())
}

proptest! {
    #[test]
    fn round_trip(
        data in prop::collection::vec(any::<u8>(), 0..5000),
        compressible in any::<bool>(),
        form in 0usize..6,
        preset in 0u32..=3,
    ) {
        let data: Vec<u8> = if compressible { data.iter().map(|b| b % 3).collect() } else { data };
        let config = match form {
            0 => json!({"preset": preset}),
            1 => json!({"check": 0, "preset": preset}),
            2 => json!({"format": 2, "preset": preset}),
            3 => json!({"format": 3, "filters": [{"id": 33, "preset": preset}]}),
            4 => json!({"format": 3, "filters": [{"id": 3, "dist": 2}, {"id": 4611686018427387905u64, "preset": preset}]}),
            _ => json!({"filters": [{"id": 7}, {"id": 33, "preset": preset, "lc": 0, "lp": 2}]}),
        };
        let c = v3(json!({"name": "numcodecs.lzma", "configuration": config}))
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let n = data.len() as u64;
        let enc = c.encode(data.clone(), &opts()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let bound = c.encoded_representation(&BytesRepresentation::Fixed(n)).bound();
        prop_assert!(bound.is_some_and(|b| enc.len() as u64 <= b));
        for repr in [BytesRepresentation::Fixed(n), BytesRepresentation::Bounded(n + 3), BytesRepresentation::Unbounded] {
            let dec = c.decode(enc.clone().into(), &repr, &opts()).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(&dec, &data);
        }
        // Two streams back to back decode to both.
        let mut two = enc.clone();
        two.extend_from_slice(&enc);
        let dec = c.decode(two.into(), &BytesRepresentation::Fixed(2 * n), &opts()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(dec.len() as u64, 2 * n);
    }

    #[test]
    fn arbitrary_input_never_panics(mut data in prop::collection::vec(any::<u8>(), 0..400), header in 0usize..3, format in 0i64..4) {
        if header == 1 && data.len() >= 6 {
            data[..6].copy_from_slice(&XZ_MAGIC);
        } else if header == 2 && data.len() >= 13 {
            data[0] = 0x5d;
        }
        let config = if format == 3 { json!({"format": 3, "filters": [{"id": 33}]}) } else { json!({"format": format}) };
        let c = v3(json!({"name": "numcodecs.lzma", "configuration": config})).map_err(|e| TestCaseError::fail(e.to_string()))?;
        for repr in [BytesRepresentation::Bounded(1000), BytesRepresentation::Fixed(100), BytesRepresentation::Unbounded] {
            if let Ok(d) = c.decode(data.clone().into(), &repr, &opts()) {
                prop_assert!(repr.bound().is_none_or(|b| d.len() as u64 <= b));
            }
        }
    }
}
