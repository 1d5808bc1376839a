use std::sync::Arc;

use proptest::prelude::*;
use zarrkit_core::codec::{ArrayToBytesCodecTraits, Bytes, CodecChain};
use zarrkit_core::registry::{create_codec, create_codec_v2, data_type_from_v2};
use zarrkit_core::serde_json;
use zarrkit_core::storage::{
    ListableStorageTraits, MemoryStore, ReadableStorageExt, StoreKey, WritableStorageTraits,
};
use zarrkit_core::{Array, ArrayBuilder, ArraySubset};
use zarrkit_store_filesystem::FilesystemStore;
use {
    zarrkit_codec_bytes as _, zarrkit_codec_transpose as _, zarrkit_codec_zlib as _,
    zarrkit_dtype_fixed as _, zarrkit_dtype_numeric as _, zarrkit_grid_regular as _,
    zarrkit_key_default as _, zarrkit_key_v2 as _,
};

use super::*;

type R = Result<(), Box<dyn std::error::Error>>;
type E = Box<dyn std::error::Error>;

const VECTORS: &str = include_str!("../vectors/vectors.json");

fn opts() -> CodecOptions {
    CodecOptions::default()
}

fn hex(s: &str) -> Result<Vec<u8>, String> {
    if !s.len().is_multiple_of(2) {
        return Err(format!("odd hex length {}", s.len()));
    }
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).map_err(|e| e.to_string()))
        .collect()
}

fn vectors() -> Result<Value, E> {
    Ok(serde_json::from_str(VECTORS)?)
}

fn s<'a>(v: &'a Value, key: &str) -> Result<&'a str, String> {
    v.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("no string `{key}` in {v}"))
}

fn obj(v: &Value) -> Result<Map<String, Value>, String> {
    v.as_object()
        .cloned()
        .ok_or_else(|| format!("not an object: {v}"))
}

fn np(dtype: &str) -> Result<NpType, String> {
    numpy::parse_dtype(dtype).ok_or_else(|| format!("dtype {dtype}"))
}

/// Bytes in `t`'s byte order to native element bytes (and back: the same swap).
fn to_native(mut b: Vec<u8>, t: NpType) -> Vec<u8> {
    if t.order.is_some_and(|o| o != Order::NATIVE) {
        numpy::swap_units(&mut b, numpy::size_of(t.kind));
    }
    b
}

/// The V2 chain of an array of dtype `dtype` with this filter: the filter, then `bytes`
/// with the array's byte order (as the core binds a V2 array).
fn v2_chain(codec: FixedScaleOffsetCodec, dtype: &str) -> Result<CodecChain, E> {
    let endian = match dtype.chars().next() {
        Some('<') => r#"{"endian":"little"}"#,
        Some('>') => r#"{"endian":"big"}"#,
        _ => "{}",
    };
    let m: MetadataV3 =
        serde_json::from_str(&format!(r#"{{"name":"bytes","configuration":{endian}}}"#))?;
    let Codec::ArrayToBytes(bytes) = create_codec(&m)? else {
        return Err("bytes is not array->bytes".into());
    };
    Ok(CodecChain::new(vec![Arc::new(codec)], bytes, vec![]))
}

fn repr(dtype: &str, n: u64) -> Result<ChunkRepresentation, E> {
    let d = data_type_from_v2(dtype)?;
    let size = d.size().fixed().ok_or("fixed")?;
    Ok(ChunkRepresentation::new(
        vec![n],
        d,
        FillValue::new(vec![0; size]),
    ))
}

/// Every numcodecs case through zarrkit's V2 chain (the filter, then `bytes` of the array's
/// byte order): the stored bytes equal numcodecs' encoding, and decoding them gives what
/// numcodecs decodes; NumPy's OverflowError is an error when encoding, and such data still
/// decodes.
#[test]
fn numcodecs_cases_byte_exact() -> R {
    let v = vectors()?;
    let cases = v["cases"].as_array().ok_or("cases")?;
    assert!(cases.len() > 150);
    let mut errors = 0;
    for c in cases {
        let config = obj(&c["config"])?;
        let what = format!("{config:?}");
        let dtype = s(&c["config"], "dtype")?;
        let t = np(dtype)?;
        let input = to_native(hex(s(c, "input")?)?, t);
        let n = (input.len() / numpy::size_of(t.kind)) as u64;
        let chain = v2_chain(FixedScaleOffsetCodec::from_v2(&config, None)?, dtype)?;
        let r = repr(dtype, n)?;
        chain.validate(&r)?;
        if c.get("encode_error").is_some() {
            errors += 1;
            let e = chain.encode(ArrayBytes::Fixed(input), &r, &opts());
            assert!(e.is_err(), "{what}: numcodecs raises {}", c["encode_error"]);
            let stored = hex(s(c, "stored")?)?;
            let astype = np(s(&c["config"], "astype")?)?;
            let r = repr(dtype, (stored.len() / numpy::size_of(astype.kind)) as u64)?;
            let decoded = chain.decode(Bytes::from(stored), &r, &opts())?;
            let want = to_native(hex(s(c, "stored_decoded")?)?, t);
            assert_eq!(decoded, ArrayBytes::Fixed(want), "decode {what}");
            continue;
        }
        let stored = chain.encode(ArrayBytes::Fixed(input), &r, &opts())?;
        assert_eq!(stored, hex(s(c, "encoded")?)?, "encode {what}");
        let decoded = chain.decode(Bytes::from(stored), &r, &opts())?;
        let want = to_native(hex(s(c, "decoded")?)?, t);
        assert_eq!(decoded, ArrayBytes::Fixed(want), "decode {what}");
    }
    assert!(errors >= 8);
    Ok(())
}

/// As zarr-python 3 uses it in V3 (the `bytes` codec decides the byte order): the same
/// values as numcodecs computes.
#[test]
fn v3_values_match_numcodecs() -> R {
    let v = vectors()?;
    for c in v["cases"].as_array().ok_or("cases")? {
        if c.get("encode_error").is_some() {
            continue;
        }
        let mut config = obj(&c["config"])?;
        config.remove("id");
        let codec = FixedScaleOffsetCodec::from_configuration(&config)?;
        assert!(codec.v2_layout().is_plain());
        let t = np(s(&c["config"], "dtype")?)?;
        let a = np(s(&c["config"], "astype")?)?;
        let input = to_native(hex(s(c, "input")?)?, t);
        let r = repr(
            numpy::lookup_str(t.kind).ok_or("kind")?,
            (input.len() / numpy::size_of(t.kind)) as u64,
        )?;
        let enc = codec.encode(ArrayBytes::Fixed(input), &r, &opts())?;
        let want = to_native(hex(s(c, "encoded")?)?, a);
        assert_eq!(enc, ArrayBytes::Fixed(want), "{config:?}");
        let dec = codec.decode(enc, &r, &opts())?;
        assert_eq!(
            dec,
            ArrayBytes::Fixed(to_native(hex(s(c, "decoded")?)?, t)),
            "{config:?}"
        );
    }
    Ok(())
}

fn list_chunks(dir: &std::path::Path) -> Result<Vec<String>, std::io::Error> {
    let mut v = Vec::new();
    for e in std::fs::read_dir(dir)? {
        let name = e?.file_name().to_string_lossy().into_owned();
        if !name.starts_with('.') {
            v.push(name);
        }
    }
    v.sort();
    Ok(v)
}

/// A stored chunk without the array's compressor (zlib streams of different
/// implementations differ; the filter's bytes must not).
fn uncompressed(zarray: &Value, chunk: Vec<u8>) -> Result<Vec<u8>, E> {
    let Some(c) = zarray["compressor"].as_object() else {
        return Ok(chunk);
    };
    let Codec::BytesToBytes(c) = create_codec_v2(c)? else {
        return Err("the compressor is not bytes->bytes".into());
    };
    let repr = zarrkit_core::codec::BytesRepresentation::Bounded(1 << 20);
    Ok(c.decode(Bytes::from(chunk), &repr, &opts())?.to_vec())
}

/// Arrays written by zarr-python 2.18 read back through zarrkit's Array API as zarr-python
/// reads them; writing that data again with zarrkit stores the same chunk bytes.
#[test]
fn zarr_python_2_arrays() -> R {
    let v = vectors()?;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors/zarr2");
    let store = Arc::new(FilesystemStore::new(&root)?);
    let arrays = v["zarr2"].as_object().ok_or("zarr2")?;
    assert!(arrays.len() >= 9);
    for (name, a) in arrays {
        // The filter's dtype byte order differs from the array's: NumPy reinterprets the
        // bytes, which zarrkit reproduces only when told the array's byte order (the core
        // does not pass it to V2 filters yet): checked below at the chain level.
        if name == "be_f8_view_le_f8" {
            continue;
        }
        let t = np(s(a, "dtype")?)?;
        let size = numpy::size_of(t.kind);
        let shape: Vec<u64> = a["shape"]
            .as_array()
            .ok_or("shape")?
            .iter()
            .filter_map(Value::as_u64)
            .collect();
        let want = to_native(hex(s(a, "data")?)?, t);
        let array = Array::open(store.clone(), &format!("/{name}"))?;
        let all = ArraySubset::new_with_shape(shape.clone());
        assert_eq!(
            array.retrieve_array_subset(&all)?,
            ArrayBytes::Fixed(want.clone()),
            "{name}"
        );
        if shape.len() == 2 && shape[0] > 3 && shape[1] > 2 {
            let sub = ArraySubset::new_with_ranges(&[1..3, 1..3])?;
            let mut expect = Vec::new();
            for i in 1..3u64 {
                for j in 1..3u64 {
                    let k = ((i * shape[1] + j) as usize) * size;
                    expect.extend_from_slice(&want[k..k + size]);
                }
            }
            assert_eq!(
                array.retrieve_array_subset(&sub)?,
                ArrayBytes::Fixed(expect),
                "{name} region"
            );
        }
        let mem = Arc::new(MemoryStore::new());
        let zarray = std::fs::read(root.join(name).join(".zarray"))?;
        mem.set(&StoreKey::new(format!("{name}/.zarray"))?, zarray.into())?;
        let again = Array::open(mem.clone(), &format!("/{name}"))?;
        // The data zarr-python was given (writing the decoded data may round otherwise).
        let t_in = to_native(hex(s(a, "input")?)?, t);
        again.store_array_subset(&all, ArrayBytes::Fixed(t_in))?;
        let chunks = list_chunks(&root.join(name))?;
        assert!(!chunks.is_empty());
        let zarray: Value =
            serde_json::from_slice(&std::fs::read(root.join(name).join(".zarray"))?)?;
        for k in &chunks {
            let stored = mem
                .get(&StoreKey::new(format!("{name}/{k}"))?)?
                .ok_or_else(|| format!("{name}/{k} not written"))?;
            let theirs = std::fs::read(root.join(name).join(k))?;
            assert_eq!(
                uncompressed(&zarray, stored.to_vec())?,
                uncompressed(&zarray, theirs)?,
                "{name}/{k}"
            );
        }
        assert_eq!(
            mem.list()?.len(),
            chunks.len() + 1,
            "{name}: the chunk keys"
        );
    }
    Ok(())
}

/// The array whose filter views its big-endian chunks as little-endian float64: with the
/// array's byte order given, zarrkit decodes and encodes its chunks as zarr-python does.
#[test]
fn dtype_byte_order_differing_from_the_array() -> R {
    let v = vectors()?;
    let a = &v["zarr2"]["be_f8_view_le_f8"];
    let root =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors/zarr2/be_f8_view_le_f8");
    let zarray: Value = serde_json::from_slice(&std::fs::read(root.join(".zarray"))?)?;
    let codec = FixedScaleOffsetCodec::from_v2(&obj(&zarray["filters"][0])?, Some('>'))?;
    assert!(codec.v2_layout().swap_in && codec.v2_layout().swap_out);
    let chain = v2_chain(codec, ">f8")?;
    let r = repr(">f8", 4)?;
    let chunk = std::fs::read(root.join("0"))?;
    let got = chain.decode(Bytes::from(chunk.clone()), &r, &opts())?;
    let want = to_native(hex(s(a, "data")?)?, np(">f8")?);
    assert_eq!(got, ArrayBytes::Fixed(want.clone()));
    assert_eq!(chain.encode(ArrayBytes::Fixed(want), &r, &opts())?, chunk);
    Ok(())
}

/// A V2 array converts to V3 (the chunks are not rewritten) when the filter stores the byte
/// order of its array; one storing another has no V3 form and converting it is an error.
#[test]
fn v2_arrays_to_v3() -> R {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors/zarr2");
    let store = Arc::new(FilesystemStore::new(&root)?);
    let a = Array::open(store.clone(), "/f8_u1")?;
    let v3 = a.to_v3()?;
    let codecs = serde_json::to_value(&v3.codecs)?;
    assert_eq!(codecs[0]["name"], "numcodecs.fixedscaleoffset");
    assert_eq!(codecs[0]["configuration"]["offset"], 1000);
    assert_eq!(codecs[0]["configuration"]["astype"], "|u1");
    let b = Array::open(store.clone(), "/f8_be_u2")?;
    let e = b.to_v3().err().ok_or("converted a V2-only layout")?;
    assert!(e.to_string().contains("no Zarr V3 equivalent"), "{e}");
    Ok(())
}

#[test]
fn numbers_as_python_reads_them() -> R {
    for (json, num) in [
        ("1000", Num::Int(1000)),
        ("-7", Num::Int(-7)),
        ("1000.0", Num::Float(1000.0)),
        ("1e3", Num::Float(1000.0)),
        ("2.5E-3", Num::Float(0.0025)),
        (
            "1180591620717411303424000000000000000000000",
            Num::BigInt(1.180_591_620_717_411_3e42),
        ),
    ] {
        let v: Value = serde_json::from_str(json)?;
        assert_eq!(Num::from_json(&v), Some(num), "{json}");
    }
    assert_eq!(Num::from_json(&Value::from("1")), None);
    // Written back exactly as read.
    let m: MetadataV3 = serde_json::from_str(
        r#"{"name":"numcodecs.fixedscaleoffset","configuration":{"offset":1000.10000000000000000001,"scale":1E1,"dtype":"<f8","astype":"|u1"}}"#,
    )?;
    let c = create_codec(&m)?;
    assert_eq!(
        serde_json::to_string(&c.metadata())?,
        serde_json::to_string(&m)?
    );
    Ok(())
}

#[test]
fn configuration_and_registry() -> R {
    for (json, name) in [
        (
            r#"{"name":"numcodecs.fixedscaleoffset","configuration":{"offset":1000,"scale":10,"dtype":"<f8","astype":"|u1"}}"#,
            "numcodecs.fixedscaleoffset",
        ),
        (
            r#"{"name":"fixedscaleoffset","configuration":{"offset":0.5,"scale":2}}"#,
            "fixedscaleoffset",
        ),
        (
            r#"{"name":"numcodecs.fixedscaleoffset","configuration":{"offset":1,"scale":2,"dtype":"float64"}}"#,
            "numcodecs.fixedscaleoffset",
        ),
    ] {
        let m: MetadataV3 = serde_json::from_str(json)?;
        let c = create_codec(&m)?;
        assert_eq!(c.name(), name);
        assert_eq!(
            serde_json::to_value(c.metadata())?,
            serde_json::to_value(&m)?
        );
    }
    for bad in [
        r#"{"name":"numcodecs.fixedscaleoffset"}"#,
        r#"{"name":"numcodecs.fixedscaleoffset","configuration":{"offset":1}}"#,
        r#"{"name":"numcodecs.fixedscaleoffset","configuration":{"offset":"1","scale":1}}"#,
        r#"{"name":"numcodecs.fixedscaleoffset","configuration":{"offset":1,"scale":1,"dtype":"|b1"}}"#,
        r#"{"name":"numcodecs.fixedscaleoffset","configuration":{"offset":1,"scale":1,"dtype":"|O"}}"#,
        r#"{"name":"numcodecs.fixedscaleoffset","configuration":{"offset":1,"scale":1,"astype":"<c8"}}"#,
        r#"{"name":"numcodecs.fixedscaleoffset","configuration":{"offset":1,"scale":1,"extra":1}}"#,
    ] {
        let m: MetadataV3 = serde_json::from_str(bad)?;
        assert!(
            matches!(
                create_codec(&m),
                Err(PluginError::InvalidConfiguration { .. })
            ),
            "{bad}"
        );
    }
    let v2: Map<String, Value> = serde_json::from_str(
        r#"{"id":"fixedscaleoffset","offset":1000,"scale":10,"dtype":"<f8","astype":"|u1"}"#,
    )?;
    let c = create_codec_v2(&v2)?;
    assert_eq!(c.configuration_v2(), Some(v2));
    for bad in [
        r#"{"id":"fixedscaleoffset","offset":1,"scale":1}"#,
        r#"{"id":"fixedscaleoffset","scale":1,"dtype":"<f8"}"#,
    ] {
        let m: Map<String, Value> = serde_json::from_str(bad)?;
        assert!(create_codec_v2(&m).is_err(), "{bad}");
    }
    // A V2 filter storing another byte order than its array's has no V3 form.
    let v2: Map<String, Value> = serde_json::from_str(
        r#"{"id":"fixedscaleoffset","offset":0,"scale":10,"dtype":"<f8","astype":">i2"}"#,
    )?;
    let c = FixedScaleOffsetCodec::from_v2(&v2, None)?;
    assert!(c.v2_layout().swap_out);
    let v3 = MetadataV3::new_with_configuration(NAME, c.configuration().unwrap_or_default());
    let e = create_codec(&v3)
        .err()
        .ok_or("a V2-only layout made a V3 codec")?;
    assert!(e.to_string().contains("no Zarr V3 equivalent"), "{e}");
    Ok(())
}

#[test]
fn mismatches_and_bad_input_are_errors() -> R {
    let c = FixedScaleOffsetCodec::new(Value::from(1), Value::from(10), Some("<f8"), Some("|u1"))?;
    assert!(c.encoded_representation(&repr("<f4", 4)?).is_err());
    assert!(c.encoded_representation(&repr("<i8", 4)?).is_err());
    let r = repr("<f8", 4)?;
    for (bad_decoded, bad_encoded) in [(vec![0u8; 31], vec![0u8; 3]), (vec![0; 33], vec![0; 5])] {
        assert!(c
            .encode(ArrayBytes::Fixed(bad_decoded), &r, &opts())
            .is_err());
        assert!(c
            .decode(ArrayBytes::Fixed(bad_encoded), &r, &opts())
            .is_err());
    }
    let variable = ArrayBytes::Variable {
        bytes: vec![],
        offsets: vec![0; 5],
    };
    assert!(c.decode(variable, &r, &opts()).is_err());
    let huge =
        ChunkRepresentation::new(vec![u64::MAX, 4], r.data_type.clone(), r.fill_value.clone());
    assert!(c
        .decode(ArrayBytes::Fixed(vec![0; 4]), &huge, &opts())
        .is_err());
    // No dtype: the array's (integer or float, not bool).
    let c = FixedScaleOffsetCodec::new(Value::from(1), Value::from(10), None, Some("|u1"))?;
    assert!(c.encoded_representation(&repr("<i4", 2)?).is_ok());
    assert!(c.encoded_representation(&repr("|b1", 2)?).is_err());
    // An operand that does not fit an integer dtype: the array opens (and decodes), encoding
    // fails as in numcodecs.
    let c = FixedScaleOffsetCodec::new(Value::from(1000), Value::from(10), Some("|u1"), None)?;
    let r = repr("|u1", 3)?;
    let e = c.encoded_representation(&r)?;
    assert_eq!(e.fill_value.as_bytes(), [0]);
    assert!(c
        .encode(ArrayBytes::Fixed(vec![1, 2, 3]), &r, &opts())
        .is_err());
    assert!(c
        .decode(ArrayBytes::Fixed(vec![1, 2, 3]), &r, &opts())
        .is_ok());
    Ok(())
}

#[test]
fn encoded_fill_value() -> R {
    let c =
        FixedScaleOffsetCodec::new(Value::from(1000), Value::from(10), Some("<f8"), Some("|u1"))?;
    let d = data_type_from_v2("<f8")?;
    let r = ChunkRepresentation::new(
        vec![3],
        d,
        FillValue::new(1002.56f64.to_ne_bytes().to_vec()),
    );
    assert_eq!(c.encoded_representation(&r)?.fill_value.as_bytes(), [26]);
    Ok(())
}

#[test]
fn array_round_trip_v3() -> R {
    let store = Arc::new(MemoryStore::new());
    let codecs: Vec<MetadataV3> = serde_json::from_str(
        r#"[{"name":"numcodecs.fixedscaleoffset","configuration":{"offset":10,"scale":100,"dtype":"<f8","astype":"<i4"}},
            {"name":"bytes","configuration":{"endian":"big"}}]"#,
    )?;
    let a = ArrayBuilder::new(vec![9, 11], vec![4, 4], "float64", 0.0)
        .codecs_metadata(codecs)
        .build(store.clone(), "/a")?;
    a.store_metadata()?;
    let all = ArraySubset::new_with_shape(vec![9, 11]);
    let data: Vec<f64> = (0..99).map(|i| f64::from(i) * 0.731 - 20.0).collect();
    a.store_array_subset_elements(&all, &data)?;
    let b = Array::open(store.clone(), "/a")?;
    let want: Vec<f64> = data
        .iter()
        .map(|&x| (((x - 10.0) * 100.0).round_ties_even() as i32) as f64 / 100.0 + 10.0)
        .collect();
    assert_eq!(b.retrieve_array_subset_elements::<f64>(&all)?, want);
    let chunk = store.get(&StoreKey::new("a/c/0/0")?)?.ok_or("chunk")?;
    assert_eq!(chunk.len(), 64);
    assert_eq!(&chunk[..4], &(-3000i32).to_be_bytes());
    // A region.
    let sub = ArraySubset::new_with_ranges(&[2..7, 3..5])?;
    let part: Vec<f64> = sub
        .indices()
        .map(|i| want[(i[0] * 11 + i[1]) as usize])
        .collect();
    assert_eq!(b.retrieve_array_subset_elements::<f64>(&sub)?, part);
    Ok(())
}

fn files_under(
    dir: &std::path::Path,
    prefix: &str,
    out: &mut Vec<String>,
) -> Result<(), std::io::Error> {
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        let name = format!("{prefix}{}", e.file_name().to_string_lossy());
        if e.file_type()?.is_dir() {
            files_under(&e.path(), &format!("{name}/"), out)?;
        } else {
            out.push(name);
        }
    }
    Ok(())
}

/// Arrays written by zarr-python 3.1 with numcodecs 0.16 (V3 metadata as zarr-python writes
/// it) read through zarrkit's Array API as the codec round trip gives them — also those
/// zarr-python itself misreads (see `zarr_python_reads` in the vectors) — and writing the same
/// data with zarrkit stores the same chunks.
#[test]
fn zarr_python_3_arrays() -> R {
    let v: Value = serde_json::from_str(include_str!("../vectors/vectors_v3.json"))?;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors/zarr3");
    let store = Arc::new(FilesystemStore::new(&root)?);
    let arrays = v["arrays"].as_object().ok_or("arrays")?;
    assert!(arrays.len() >= 3);
    for (name, a) in arrays {
        let shape: Vec<u64> = a["shape"]
            .as_array()
            .ok_or("shape")?
            .iter()
            .filter_map(Value::as_u64)
            .collect();
        let le = np(&format!("<{}", &s(a, "dtype")?[1..]))?;
        let want = to_native(hex(s(a, "data")?)?, le);
        let array = Array::open(store.clone(), &format!("/{name}"))?;
        let all = ArraySubset::new_with_shape(shape.clone());
        assert_eq!(
            array.retrieve_array_subset(&all)?,
            ArrayBytes::Fixed(want),
            "{name}"
        );
        let mem = Arc::new(MemoryStore::new());
        let meta = std::fs::read(root.join(name).join("zarr.json"))?;
        mem.set(&StoreKey::new(format!("{name}/zarr.json"))?, meta.into())?;
        let again = Array::open(mem.clone(), &format!("/{name}"))?;
        let input = to_native(hex(s(a, "input")?)?, le);
        again.store_array_subset(&all, ArrayBytes::Fixed(input))?;
        let mut chunks = Vec::new();
        files_under(&root.join(name).join("c"), "c/", &mut chunks)?;
        assert!(!chunks.is_empty());
        for k in &chunks {
            let stored = mem
                .get(&StoreKey::new(format!("{name}/{k}"))?)?
                .ok_or_else(|| format!("{name}/{k} not written"))?;
            assert_eq!(
                stored.to_vec(),
                std::fs::read(root.join(name).join(k))?,
                "{name}/{k}"
            );
        }
        assert_eq!(
            mem.list()?.len(),
            chunks.len() + 1,
            "{name}: the chunk keys"
        );
    }
    Ok(())
}

#[test]
fn integer_overflow_decodes_as_numpy_does() -> Result<(), Box<dyn std::error::Error>> {
    // numcodecs 0.15 / NumPy 2 on x86-64: FixedScaleOffset(offset=-12345, scale=1,
    // dtype='<i4') encodes [2147471303, -5] to [-2147483648, 12340] (the subtraction wraps)
    // and decodes that to [-2147483648, -5] (float64 -2147495993.0 cast to int32: INT_MIN).
    let c = FixedScaleOffsetCodec::new(Value::from(-12345), Value::from(1), Some("<i4"), None)?;
    let r = repr("<i4", 2)?;
    let b: Vec<u8> = [2147471303i32, -5]
        .iter()
        .flat_map(|x| x.to_ne_bytes())
        .collect();
    let e = c.encode(ArrayBytes::Fixed(b), &r, &opts())?;
    let want_e: Vec<u8> = [i32::MIN, 12340]
        .iter()
        .flat_map(|x| x.to_ne_bytes())
        .collect();
    assert_eq!(e, ArrayBytes::Fixed(want_e));
    let d = c.decode(e, &r, &opts())?;
    let want_d: Vec<u8> = [i32::MIN, -5]
        .iter()
        .flat_map(|x| x.to_ne_bytes())
        .collect();
    assert_eq!(d, ArrayBytes::Fixed(want_d));
    Ok(())
}

proptest! {
    #[test]
    fn float_round_trip_within_half_a_step(v in prop::collection::vec(-1000.0f64..1000.0, 0..64)) {
        let c = FixedScaleOffsetCodec::new(Value::from(3.5), Value::from(1000), Some("<f8"), Some("<i4"))
            .map_err(TestCaseError::fail)?;
        let r = repr("<f8", v.len() as u64).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let b: Vec<u8> = v.iter().flat_map(|x| x.to_ne_bytes()).collect();
        let e = c.encode(ArrayBytes::Fixed(b), &r, &opts()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let d = c.decode(e, &r, &opts()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let d = d.into_fixed().unwrap_or_default();
        for (x, y) in v.iter().zip(d.chunks_exact(8)) {
            let y = f64::from_ne_bytes(<[u8; 8]>::try_from(y).unwrap_or_default());
            prop_assert!((x - y).abs() <= 0.0005 + 1e-9, "{x} {y}");
        }
    }

    #[test]
    fn integer_arithmetic_round_trips(v in prop::collection::vec(i32::MIN..=i32::MAX - 12345, 0..64)) {
        // With scale 1 the round trip is exact while `v - offset` fits `int32`: the encode
        // is integer arithmetic, the decode divides in float64 (as numcodecs does), which
        // is exact for every int32. Where the subtraction wraps the decode does not invert
        // it (see `integer_overflow_decodes_as_numpy_does`).
        let c = FixedScaleOffsetCodec::new(Value::from(-12345), Value::from(1), Some("<i4"), None)
            .map_err(TestCaseError::fail)?;
        let r = repr("<i4", v.len() as u64).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let b: Vec<u8> = v.iter().flat_map(|x| x.to_ne_bytes()).collect();
        let e = c.encode(ArrayBytes::Fixed(b.clone()), &r, &opts()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let d = c.decode(e, &r, &opts()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(d, ArrayBytes::Fixed(b));
    }

    #[test]
    fn any_bits_never_panic(v in prop::collection::vec(any::<u64>(), 0..32)) {
        let b: Vec<u8> = v.iter().flat_map(|x| x.to_ne_bytes()).collect();
        for at in ["|i1", "<u2", "<u4", "<i8", "<u8", "<f2", "<f4", "|b1"] {
            let c = FixedScaleOffsetCodec::new(Value::from(0.5), Value::from(3), Some("<f8"), Some(at))
                .map_err(TestCaseError::fail)?;
            let r = repr("<f8", v.len() as u64).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let e = c.encode(ArrayBytes::Fixed(b.clone()), &r, &opts()).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert!(c.decode(e, &r, &opts()).is_ok());
        }
    }
}
