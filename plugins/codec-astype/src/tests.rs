use std::sync::Arc;

use proptest::prelude::*;
use zarrkit_core::codec::{ArrayToBytesCodecTraits, Bytes, CodecChain};
use zarrkit_core::registry::{create_codec, create_codec_v2, data_type_from_v2};
use zarrkit_core::serde_json;
use zarrkit_core::storage::{
    ListableStorageTraits, MemoryStore, ReadableStorageExt, StoreKey, WritableStorageTraits,
};
use zarrkit_core::{Array, ArraySubset};
use zarrkit_store_filesystem::FilesystemStore;
use {
    zarrkit_codec_bytes as _, zarrkit_codec_transpose as _, zarrkit_codec_zlib as _,
    zarrkit_dtype_fixed as _, zarrkit_dtype_numeric as _, zarrkit_grid_regular as _,
    zarrkit_key_default as _, zarrkit_key_v2 as _,
};

use super::*;

type R = Result<(), Box<dyn std::error::Error>>;

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

fn vectors() -> Result<Value, Box<dyn std::error::Error>> {
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

/// The element size and byte order of a V2 dtype string.
fn order_of(dtype: &str) -> Result<(usize, Option<Order>), String> {
    let t = numpy::parse_dtype(dtype).ok_or_else(|| format!("dtype {dtype}"))?;
    Ok((numpy::size_of(t.kind), t.order))
}

/// Bytes in `order` to native element bytes (and back: the same swap).
fn to_native(mut b: Vec<u8>, size: usize, order: Option<Order>) -> Vec<u8> {
    if order.is_some_and(|o| o != Order::NATIVE) {
        numpy::swap_units(&mut b, size);
    }
    b
}

/// The V2 chain of an array of dtype `dtype` with this filter: the filter, then `bytes`
/// with the array's byte order (as the core binds a V2 array).
fn v2_chain(codec: AsTypeCodec, dtype: &str) -> Result<CodecChain, Box<dyn std::error::Error>> {
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

fn repr(dtype: &str, n: u64) -> Result<ChunkRepresentation, Box<dyn std::error::Error>> {
    let d = data_type_from_v2(dtype)?;
    let size = d.size().fixed().ok_or("fixed")?;
    Ok(ChunkRepresentation::new(
        vec![n],
        d,
        FillValue::new(vec![0; size]),
    ))
}

/// Every numcodecs case, through zarrkit's V2 chain (the filter and `bytes` of the array's
/// byte order): the stored bytes equal numcodecs' encoding, and decoding them gives what
/// numcodecs decodes.
#[test]
fn numcodecs_cases_byte_exact() -> R {
    let v = vectors()?;
    let cases = v["cases"].as_array().ok_or("cases")?;
    assert!(cases.len() > 200);
    for c in cases {
        let config = obj(&c["config"])?;
        let dtype = s(c, "decoded_dtype")?;
        let (size, order) = order_of(dtype)?;
        let input = to_native(hex(s(c, "input")?)?, size, order);
        let n = (input.len() / size) as u64;
        let codec = AsTypeCodec::from_v2(&config, None)?;
        let chain = v2_chain(codec, dtype)?;
        let r = repr(dtype, n)?;
        chain.validate(&r)?;
        let what = format!("{config:?}");
        let stored = chain.encode(ArrayBytes::Fixed(input), &r, &opts())?;
        assert_eq!(stored, hex(s(c, "encoded")?)?, "encode {what}");
        let decoded = chain.decode(Bytes::from(stored), &r, &opts())?;
        let want = to_native(hex(s(c, "decoded")?)?, size, order);
        assert_eq!(decoded, ArrayBytes::Fixed(want), "decode {what}");
    }
    Ok(())
}

/// As zarr-python 3 uses it in V3 (value semantics: the `bytes` codec decides the byte
/// order): the same values as numcodecs computes.
#[test]
fn v3_values_match_numcodecs() -> R {
    let v = vectors()?;
    for c in v["cases"].as_array().ok_or("cases")? {
        let config = obj(&c["config"])?;
        let dtype = s(c, "decoded_dtype")?;
        let (size, order) = order_of(dtype)?;
        let codec = AsTypeCodec::new(
            s(&c["config"], "encode_dtype")?,
            Some(s(&c["config"], "decode_dtype")?),
        )?;
        assert!(codec.v2_layout().is_plain());
        let input = to_native(hex(s(c, "input")?)?, size, order);
        let r = repr(dtype, (input.len() / size) as u64)?;
        let enc = ArrayToArrayCodecTraits::encode(&codec, ArrayBytes::Fixed(input), &r, &opts())?;
        let et = numpy::parse_dtype(s(&c["config"], "encode_dtype")?).ok_or("astype")?;
        let want = to_native(hex(s(c, "encoded")?)?, numpy::size_of(et.kind), et.order);
        assert_eq!(enc, ArrayBytes::Fixed(want), "{config:?}");
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
fn uncompressed(zarray: &Value, chunk: Vec<u8>) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
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
    assert!(arrays.len() >= 7);
    for (name, a) in arrays {
        // The filter's decode_dtype byte order differs from the array's: NumPy reinterprets
        // the bytes, which zarrkit reproduces only when told the array's byte order (the
        // core does not pass it to V2 filters yet): checked below at the chain level.
        if name == "be_f8_view_le_f8" {
            continue;
        }
        let dtype = s(a, "dtype")?;
        let (size, order) = order_of(dtype)?;
        let shape: Vec<u64> = a["shape"]
            .as_array()
            .ok_or("shape")?
            .iter()
            .filter_map(Value::as_u64)
            .collect();
        let want = to_native(hex(s(a, "data")?)?, size, order);
        let array = Array::open(store.clone(), &format!("/{name}"))?;
        let all = ArraySubset::new_with_shape(shape.clone());
        let got = array.retrieve_array_subset(&all)?;
        assert_eq!(got, ArrayBytes::Fixed(want.clone()), "{name}");
        // A region (partial decoding through the element-wise filter).
        if shape.len() == 2 && shape[0] > 3 && shape[1] > 2 {
            let sub = ArraySubset::new_with_ranges(&[1..3, 1..3])?;
            let part = array.retrieve_array_subset(&sub)?;
            let mut expect = Vec::new();
            for i in 1..3u64 {
                for j in 1..3u64 {
                    let k = ((i * shape[1] + j) as usize) * size;
                    expect.extend_from_slice(&want[k..k + size]);
                }
            }
            assert_eq!(part, ArrayBytes::Fixed(expect), "{name} region");
        }
        // Write the data again with zarrkit: the same chunks as zarr-python stored.
        let mem = Arc::new(MemoryStore::new());
        let zarray = std::fs::read(root.join(name).join(".zarray"))?;
        mem.set(&StoreKey::new(format!("{name}/.zarray"))?, zarray.into())?;
        let again = Array::open(mem.clone(), &format!("/{name}"))?;
        // The data zarr-python was given (writing the decoded data may round otherwise).
        let t_in = to_native(hex(s(a, "input")?)?, size, order);
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
            "{name}: the same chunk keys"
        );
    }
    Ok(())
}

/// The array whose filter views its big-endian chunks as little-endian float64: with the
/// array's byte order given, zarrkit decodes the stored chunks as zarr-python does.
#[test]
fn dtype_byte_order_differing_from_the_array() -> R {
    let v = vectors()?;
    let a = &v["zarr2"]["be_f8_view_le_f8"];
    let root =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors/zarr2/be_f8_view_le_f8");
    let zarray: Value = serde_json::from_slice(&std::fs::read(root.join(".zarray"))?)?;
    let config = obj(&zarray["filters"][0])?;
    let codec = AsTypeCodec::from_v2(&config, Some('>'))?;
    assert!(codec.v2_layout().swap_in);
    let chain = v2_chain(codec, ">f8")?;
    let r = repr(">f8", 4)?;
    let chunk = std::fs::read(root.join("0"))?;
    let got = chain.decode(Bytes::from(chunk.clone()), &r, &opts())?;
    let want = to_native(hex(s(a, "data")?)?, 8, Some(Order::Big));
    assert_eq!(got, ArrayBytes::Fixed(want.clone()));
    assert_eq!(chain.encode(ArrayBytes::Fixed(want), &r, &opts())?, chunk);
    Ok(())
}

#[test]
fn layouts_of_v2_configurations() -> R {
    let cfg = |e: &str, d: &str| -> Result<Map<String, Value>, serde_json::Error> {
        serde_json::from_str(&format!(
            r#"{{"id":"astype","encode_dtype":"{e}","decode_dtype":"{d}"}}"#
        ))
    };
    // Same byte order: plain, written back as read, V3 form without the marker.
    let c = AsTypeCodec::from_v2(&cfg("<f4", "<f8")?, None)?;
    assert!(c.v2_layout().is_plain());
    assert_eq!(c.configuration_v2(), Some(cfg("<f4", "<f8")?));
    assert!(!c
        .configuration()
        .unwrap_or_default()
        .contains_key(V2_LAYOUT_MEMBER));
    // Other byte order of astype: stored swapped; no V3 form.
    let c = AsTypeCodec::from_v2(&cfg(">i2", "<f8")?, None)?;
    assert!(c.v2_layout().swap_out && !c.v2_layout().swap_in);
    let v3 = MetadataV3::new_with_configuration(NAME, c.configuration().unwrap_or_default());
    let e = create_codec(&v3)
        .err()
        .ok_or("a V2-only layout made a V3 codec")?;
    assert!(e.to_string().contains("no Zarr V3 equivalent"), "{e}");
    // One-byte array, two-byte astype: raw bytes in astype's order.
    let c = AsTypeCodec::from_v2(&cfg(">u2", "|u1")?, None)?;
    assert!(c.v2_layout().raw_out);
    let r = repr("|u1", 3)?;
    let enc = c.encoded_representation(&r)?;
    assert_eq!(enc.data_type.endianness_unit().unwrap_or(1), 1);
    let out = ArrayToArrayCodecTraits::encode(&c, ArrayBytes::Fixed(vec![1, 2, 255]), &r, &opts())?;
    assert_eq!(out, ArrayBytes::Fixed(vec![0, 1, 0, 2, 0, 255]));
    Ok(())
}

#[test]
fn configuration_and_registry() -> R {
    for (json, name) in [
        (
            r#"{"name":"numcodecs.astype","configuration":{"encode_dtype":"<f4","decode_dtype":"<f8"}}"#,
            "numcodecs.astype",
        ),
        (
            r#"{"name":"astype","configuration":{"encode_dtype":"float32"}}"#,
            "astype",
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
        r#"{"name":"numcodecs.astype"}"#,
        r#"{"name":"numcodecs.astype","configuration":{"decode_dtype":"<f8"}}"#,
        r#"{"name":"numcodecs.astype","configuration":{"encode_dtype":"<c8"}}"#,
        r#"{"name":"numcodecs.astype","configuration":{"encode_dtype":"<f4","x":1}}"#,
        r#"{"name":"numcodecs.astype","configuration":{"encode_dtype":4}}"#,
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
    let v2: Map<String, Value> =
        serde_json::from_str(r#"{"id":"astype","encode_dtype":"<i2","decode_dtype":"<i4"}"#)?;
    let c = create_codec_v2(&v2)?;
    assert_eq!(c.configuration_v2(), Some(v2));
    for bad in [
        r#"{"id":"astype","encode_dtype":"<i2"}"#,
        r#"{"id":"astype","decode_dtype":"<i2"}"#,
        r#"{"id":"astype","encode_dtype":"|O","decode_dtype":"<i2"}"#,
    ] {
        let m: Map<String, Value> = serde_json::from_str(bad)?;
        assert!(create_codec_v2(&m).is_err(), "{bad}");
    }
    Ok(())
}

#[test]
fn mismatches_and_bad_input_are_errors() -> R {
    let c = AsTypeCodec::new("<f4", Some("<f8"))?;
    assert!(c.encoded_representation(&repr("<f4", 4)?).is_err());
    assert!(c.encoded_representation(&repr("<i8", 4)?).is_err());
    let r = repr("<f8", 4)?;
    for bad in [vec![0u8; 31], vec![0u8; 33], vec![]] {
        assert!(
            ArrayToArrayCodecTraits::encode(&c, ArrayBytes::Fixed(bad.clone()), &r, &opts())
                .is_err()
        );
        assert!(ArrayToArrayCodecTraits::decode(&c, ArrayBytes::Fixed(bad), &r, &opts()).is_err());
    }
    let variable = ArrayBytes::Variable {
        bytes: vec![],
        offsets: vec![0; 5],
    };
    assert!(ArrayToArrayCodecTraits::decode(&c, variable, &r, &opts()).is_err());
    // A hostile chunk shape: an error, not an allocation.
    let huge =
        ChunkRepresentation::new(vec![u64::MAX, 4], r.data_type.clone(), r.fill_value.clone());
    assert!(
        ArrayToArrayCodecTraits::decode(&c, ArrayBytes::Fixed(vec![0; 16]), &huge, &opts())
            .is_err()
    );
    // Without decode_dtype: the array's data type (not a complex one).
    let c = AsTypeCodec::new("|u1", None)?;
    assert!(c.encoded_representation(&repr("<i4", 2)?).is_ok());
    assert!(c.encoded_representation(&repr("<c8", 2)?).is_err());
    Ok(())
}

#[test]
fn encoded_fill_value() -> R {
    let c = AsTypeCodec::new("<i2", Some("<f8"))?;
    let d = data_type_from_v2("<f8")?;
    let r = ChunkRepresentation::new(
        vec![3],
        d,
        FillValue::new(70000.9f64.to_ne_bytes().to_vec()),
    );
    let e = c.encoded_representation(&r)?;
    assert_eq!(e.fill_value.as_bytes(), 4464i16.to_ne_bytes());
    Ok(())
}

#[test]
fn array_round_trip_v3() -> R {
    use zarrkit_core::ArrayBuilder;
    let store = Arc::new(MemoryStore::new());
    let codecs: Vec<MetadataV3> = serde_json::from_str(
        r#"[{"name":"numcodecs.astype","configuration":{"encode_dtype":"<i2","decode_dtype":"<i8"}},
            {"name":"bytes","configuration":{"endian":"big"}}]"#,
    )?;
    let a = ArrayBuilder::new(vec![9, 11], vec![4, 4], "int64", 0i64)
        .codecs_metadata(codecs)
        .build(store.clone(), "/a")?;
    a.store_metadata()?;
    let all = ArraySubset::new_with_shape(vec![9, 11]);
    let data: Vec<i64> = (0..99).map(|i| i * 1000 - 40000).collect();
    a.store_array_subset_elements(&all, &data)?;
    let b = Array::open(store.clone(), "/a")?;
    let wrapped: Vec<i64> = data.iter().map(|&x| i64::from(x as i16)).collect();
    assert_eq!(b.retrieve_array_subset_elements::<i64>(&all)?, wrapped);
    // The stored chunk is big-endian int16.
    let chunk = store.get(&StoreKey::new("a/c/0/0")?)?.ok_or("chunk")?;
    assert_eq!(chunk.len(), 32);
    assert_eq!(&chunk[..2], &((-40000i64) as i16).to_be_bytes());
    // A little-endian V3 array converts to V2 with the numcodecs configuration.
    let codecs: Vec<MetadataV3> = serde_json::from_str(
        r#"[{"name":"numcodecs.astype","configuration":{"encode_dtype":"<i2","decode_dtype":"<i8"}},
            {"name":"bytes","configuration":{"endian":"little"}}]"#,
    )?;
    let c = ArrayBuilder::new(vec![9, 11], vec![4, 4], "int64", 0i64)
        .codecs_metadata(codecs)
        .chunk_key_encoding(serde_json::from_str(
            r#"{"name":"v2","configuration":{"separator":"."}}"#,
        )?)
        .build(store.clone(), "/c")?;
    let v2 = c.to_v2()?;
    assert_eq!(v2.dtype, "<i8");
    let filters = v2.filters.clone().unwrap_or_default();
    let want: Map<String, Value> =
        serde_json::from_str(r#"{"id":"astype","encode_dtype":"<i2","decode_dtype":"<i8"}"#)?;
    assert_eq!(filters, vec![want]);
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
        let (size, _) = order_of(s(a, "dtype")?)?;
        let want = to_native(hex(s(a, "data")?)?, size, Some(Order::Little));
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
        let input = to_native(hex(s(a, "input")?)?, size, Some(Order::Little));
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

proptest! {
    #[test]
    fn round_trip_exact_casts(v in prop::collection::vec(any::<i16>(), 0..64)) {
        // int16 -> int32 -> int16 and int16 -> float32 -> int16 are exact.
        for enc in ["<i4", ">f4", "<f8"] {
            let c = AsTypeCodec::new(enc, Some("<i2")).map_err(TestCaseError::fail)?;
            let r = repr("<i2", v.len() as u64).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let b: Vec<u8> = v.iter().flat_map(|x| x.to_ne_bytes()).collect();
            let e = ArrayToArrayCodecTraits::encode(&c, ArrayBytes::Fixed(b.clone()), &r, &opts())
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            let d = ArrayToArrayCodecTraits::decode(&c, e, &r, &opts())
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(d, ArrayBytes::Fixed(b));
        }
    }

    #[test]
    fn any_float_casts_without_panicking(v in prop::collection::vec(any::<u64>(), 0..64)) {
        let b: Vec<u8> = v.iter().flat_map(|x| x.to_ne_bytes()).collect();
        for enc in ["|i1", "<u2", "<i4", "<u4", "<i8", "<u8", "<f2", "<f4", "|b1"] {
            let c = AsTypeCodec::new(enc, Some("<f8")).map_err(TestCaseError::fail)?;
            let r = repr("<f8", v.len() as u64).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let e = ArrayToArrayCodecTraits::encode(&c, ArrayBytes::Fixed(b.clone()), &r, &opts())
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert!(ArrayToArrayCodecTraits::decode(&c, e, &r, &opts()).is_ok());
        }
    }
}
