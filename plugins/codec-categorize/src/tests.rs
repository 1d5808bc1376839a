use std::sync::Arc;

use proptest::prelude::*;
use zarrkit_core::codec::{ArrayToBytesCodecTraits, Bytes, CodecChain};
use zarrkit_core::registry::{create_codec, create_codec_v2, data_type_by_name, data_type_from_v2};
use zarrkit_core::serde_json;
use zarrkit_core::storage::{
    ListableStorageTraits, MemoryStore, ReadableStorageExt, StoreKey, WritableStorageTraits,
};
use zarrkit_core::{Array, ArrayBuilder, ArraySubset};
use zarrkit_dtype_string as _;
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

fn strings(v: &Value) -> Result<Vec<String>, String> {
    v.as_array()
        .ok_or_else(|| format!("not a list: {v}"))?
        .iter()
        .map(|x| x.as_str().map(str::to_string).ok_or_else(|| format!("{x}")))
        .collect()
}

fn obj(v: &Value) -> Result<Map<String, Value>, String> {
    v.as_object()
        .cloned()
        .ok_or_else(|| format!("not an object: {v}"))
}

/// The data type of a V2 dtype (`|O`: `string`).
fn data_type(dtype: &str) -> Result<DataType, E> {
    Ok(if parse_string_dtype(dtype) == Some(StringKind::Object) {
        data_type_by_name("string")?
    } else {
        data_type_from_v2(dtype)?
    })
}

fn repr(dtype: &str, n: u64) -> Result<ChunkRepresentation, E> {
    let d = data_type(dtype)?;
    let fill = vec![0; d.size().fixed().unwrap_or(0)];
    Ok(ChunkRepresentation::new(vec![n], d, FillValue::new(fill)))
}

/// Strings as the native-endian UCS-4 elements of `<U<chars>`.
fn utf32(values: &[String], chars: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for v in values {
        let mut units: Vec<u32> = v.chars().map(u32::from).take(chars).collect();
        units.resize(chars, 0);
        out.extend(units.iter().flat_map(|u| u.to_ne_bytes()));
    }
    out
}

/// Native-endian UCS-4 elements as strings (trailing NULs dropped, as NumPy does).
fn from_utf32(b: &[u8], chars: usize) -> Result<Vec<String>, String> {
    b.chunks_exact(chars * 4)
        .map(|e| {
            let mut units: Vec<u32> = e
                .chunks_exact(4)
                .map(|c| u32::from_ne_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            while units.last() == Some(&0) {
                units.pop();
            }
            units
                .into_iter()
                .map(|u| char::from_u32(u).ok_or(format!("{u:#x}")))
                .collect()
        })
        .collect()
}

/// Decoded array bytes as strings.
fn decoded_strings(b: &ArrayBytes, kind: StringKind) -> Result<Vec<String>, String> {
    match (kind, b) {
        (StringKind::Object, ArrayBytes::Variable { .. }) => b
            .as_variable()
            .ok_or("offsets")?
            .strs()
            .map(|s| s.map(str::to_string).map_err(|e| e.to_string()))
            .collect(),
        (StringKind::Utf32 { chars, .. }, ArrayBytes::Fixed(f)) => from_utf32(f, chars),
        _ => Err("wrong kind of array bytes".into()),
    }
}

fn input_of(values: &[String], kind: StringKind) -> ArrayBytes {
    match kind {
        StringKind::Object => ArrayBytes::from_strs(values),
        StringKind::Utf32 { chars, .. } => ArrayBytes::Fixed(utf32(values, chars)),
    }
}

/// The V2 chain of an array of dtype `dtype` with this filter: the filter, then `bytes`
/// with the array's byte order (none for objects), as the core binds a V2 array.
fn v2_chain(codec: CategorizeCodec, dtype: &str) -> Result<CodecChain, E> {
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

/// Every numcodecs case through zarrkit's V2 chain: the stored codes equal numcodecs'
/// encoding (`<U` inputs also from the exact bytes NumPy holds), NumPy's OverflowError is an
/// error when encoding, and decoding gives numcodecs' strings (and bytes).
#[test]
fn numcodecs_cases_byte_exact() -> R {
    let v = vectors()?;
    let cases = v["cases"].as_array().ok_or("cases")?;
    assert!(cases.len() >= 45);
    for c in cases {
        let config = obj(&c["config"])?;
        let what = format!("{config:?}");
        let dtype = s(&c["config"], "dtype")?;
        let kind = parse_string_dtype(dtype).ok_or("dtype")?;
        let values = strings(&c["input"])?;
        let chain = v2_chain(CategorizeCodec::from_v2(&config, None)?, dtype)?;
        let r = repr(dtype, values.len() as u64)?;
        chain.validate(&r)?;
        let mut input = input_of(&values, kind);
        if let Some(b) = c.get("input_bytes").and_then(Value::as_str) {
            let mut b = hex(b)?;
            if dtype.starts_with('>') != cfg!(target_endian = "big") {
                numpy::swap_units(&mut b, 4);
            }
            assert_eq!(input, ArrayBytes::Fixed(b), "the input of {what}");
            input = input_of(&values, kind);
        }
        let stored = if c.get("encode_error").is_some() {
            assert!(
                chain.encode(input, &r, &opts()).is_err(),
                "{what}: numcodecs raises {}",
                c["encode_error"]
            );
            hex(s(c, "stored")?)?
        } else {
            let stored = chain.encode(input, &r, &opts())?;
            assert_eq!(stored, hex(s(c, "encoded")?)?, "encode {what}");
            stored
        };
        let want = strings(&c["decoded"])?;
        let r = repr(dtype, want.len() as u64)?;
        let decoded = chain.decode(Bytes::from(stored), &r, &opts())?;
        assert_eq!(decoded_strings(&decoded, kind)?, want, "decode {what}");
        if let Some(b) = c.get("decoded_bytes").and_then(Value::as_str) {
            let mut b = hex(b)?;
            if dtype.starts_with('>') != cfg!(target_endian = "big") {
                numpy::swap_units(&mut b, 4);
            }
            assert_eq!(decoded, ArrayBytes::Fixed(b), "decoded bytes of {what}");
        }
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

/// `dtype-string` claims `categorize` as a V2 object codec of strings (nothing to register).
fn string_claims_categorize() {}

/// Arrays written by zarr-python 2.18 (object and fixed-length unicode, both byte orders, F
/// order, zlib) read back through zarrkit's Array API as zarr-python reads them; writing the
/// same strings again with zarrkit stores the same chunk bytes.
#[test]
fn zarr_python_2_arrays() -> R {
    string_claims_categorize();
    let v = vectors()?;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors/zarr2");
    let store = Arc::new(FilesystemStore::new(&root)?);
    let arrays = v["zarr2"].as_object().ok_or("zarr2")?;
    assert!(arrays.len() >= 6);
    for (name, a) in arrays {
        let dtype = s(a, "dtype")?;
        let kind = parse_string_dtype(dtype).ok_or("dtype")?;
        let shape: Vec<u64> = a["shape"]
            .as_array()
            .ok_or("shape")?
            .iter()
            .filter_map(Value::as_u64)
            .collect();
        let want = strings(&a["data"])?;
        let array = Array::open(store.clone(), &format!("/{name}"))?;
        let all = ArraySubset::new_with_shape(shape.clone());
        let got = array.retrieve_array_subset(&all)?;
        assert_eq!(decoded_strings(&got, kind)?, want, "{name}");
        if shape.len() == 2 {
            let sub = ArraySubset::new_with_ranges(&[1..4, 2..4])?;
            let expect: Vec<String> = sub
                .indices()
                .map(|i| want[(i[0] * shape[1] + i[1]) as usize].clone())
                .collect();
            let part = array.retrieve_array_subset(&sub)?;
            assert_eq!(decoded_strings(&part, kind)?, expect, "{name} region");
        }
        let mem = Arc::new(MemoryStore::new());
        let zarray = std::fs::read(root.join(name).join(".zarray"))?;
        mem.set(&StoreKey::new(format!("{name}/.zarray"))?, zarray.into())?;
        let again = Array::open(mem.clone(), &format!("/{name}"))?;
        again.store_array_subset(&all, input_of(&strings(&a["input"])?, kind))?;
        let zarray: Value =
            serde_json::from_slice(&std::fs::read(root.join(name).join(".zarray"))?)?;
        let chunks = list_chunks(&root.join(name))?;
        let mut written = 0;
        for k in &chunks {
            let theirs = std::fs::read(root.join(name).join(k))?;
            // zarrkit erases chunks that hold only the fill value ('' is code 0).
            match mem.get(&StoreKey::new(format!("{name}/{k}"))?)? {
                Some(stored) => {
                    written += 1;
                    assert_eq!(
                        uncompressed(&zarray, stored.to_vec())?,
                        uncompressed(&zarray, theirs)?,
                        "{name}/{k}"
                    );
                }
                None => assert!(
                    uncompressed(&zarray, theirs)?.iter().all(|&b| b == 0),
                    "{name}/{k} not written"
                ),
            }
        }
        assert_eq!(mem.list()?.len(), written + 1, "{name}: the chunk keys");
    }
    Ok(())
}

#[test]
fn dtype_strings() {
    assert_eq!(parse_string_dtype("|O"), Some(StringKind::Object));
    assert_eq!(parse_string_dtype("object"), Some(StringKind::Object));
    assert_eq!(
        parse_string_dtype(">U4"),
        Some(StringKind::Utf32 {
            chars: 4,
            order: Order::Big
        })
    );
    assert_eq!(
        parse_string_dtype("U12"),
        Some(StringKind::Utf32 {
            chars: 12,
            order: Order::NATIVE
        })
    );
    for bad in ["<U0", "<U", "|S4", "<f8", "<Ux", "<U99999999999999999999"] {
        assert_eq!(parse_string_dtype(bad), None, "{bad}");
    }
}

#[test]
fn configuration_and_registry() -> R {
    for (json, name) in [
        (
            r#"{"name":"numcodecs.categorize","configuration":{"labels":["a","b"],"dtype":"|O","astype":"|u1"}}"#,
            "numcodecs.categorize",
        ),
        (
            r#"{"name":"categorize","configuration":{"labels":[],"dtype":"<U3"}}"#,
            "categorize",
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
        r#"{"name":"numcodecs.categorize"}"#,
        r#"{"name":"numcodecs.categorize","configuration":{"labels":["a"]}}"#,
        r#"{"name":"numcodecs.categorize","configuration":{"dtype":"|O"}}"#,
        r#"{"name":"numcodecs.categorize","configuration":{"labels":[1],"dtype":"|O"}}"#,
        r#"{"name":"numcodecs.categorize","configuration":{"labels":"a","dtype":"|O"}}"#,
        r#"{"name":"numcodecs.categorize","configuration":{"labels":["a"],"dtype":"<f8"}}"#,
        r#"{"name":"numcodecs.categorize","configuration":{"labels":["a"],"dtype":"|O","astype":"|O"}}"#,
        r#"{"name":"numcodecs.categorize","configuration":{"labels":["a"],"dtype":"|O","x":1}}"#,
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
        r#"{"id":"categorize","labels":["a","b"],"dtype":"|O","astype":"|u1"}"#,
    )?;
    let c = create_codec_v2(&v2)?;
    assert_eq!(c.configuration_v2(), Some(v2));
    // Object array, two-byte codes: raw bytes in astype's order; no V3 form.
    let v2: Map<String, Value> =
        serde_json::from_str(r#"{"id":"categorize","labels":["a"],"dtype":"|O","astype":">u2"}"#)?;
    let c = CategorizeCodec::from_v2(&v2, None)?;
    assert!(c.v2_layout().raw_out);
    let v3 = MetadataV3::new_with_configuration(NAME, c.configuration().unwrap_or_default());
    let e = create_codec(&v3)
        .err()
        .ok_or("a V2-only layout made a V3 codec")?;
    assert!(e.to_string().contains("no Zarr V3 equivalent"), "{e}");
    Ok(())
}

#[test]
fn mismatches_and_bad_input_are_errors() -> R {
    let c = CategorizeCodec::new(&["a", "bb"], "<U4", None)?;
    for wrong in ["<U5", "<i4", "|S16", "|V16"] {
        assert!(
            c.encoded_representation(&repr(wrong, 2)?).is_err(),
            "{wrong}"
        );
    }
    assert!(c.encoded_representation(&repr("|O", 2)?).is_err());
    let r = repr("<U4", 3)?;
    assert!(c
        .encode(ArrayBytes::Fixed(vec![0; 47]), &r, &opts())
        .is_err());
    assert!(c
        .encode(ArrayBytes::from_strs(&["a", "b", "c"]), &r, &opts())
        .is_err());
    assert!(c
        .decode(ArrayBytes::Fixed(vec![0; 2]), &r, &opts())
        .is_err());
    assert!(c
        .decode(ArrayBytes::Fixed(vec![0; 4]), &r, &opts())
        .is_err());
    let o = CategorizeCodec::new(&["a", "bb"], "|O", Some("<i2"))?;
    let r = repr("|O", 3)?;
    assert!(o.encoded_representation(&repr("<U4", 2)?).is_err());
    // Malformed offsets.
    let bad = ArrayBytes::Variable {
        bytes: b"abc".to_vec(),
        offsets: vec![0, 2, 1, 3],
    };
    assert!(o.encode(bad, &r, &opts()).is_err());
    let short = ArrayBytes::Variable {
        bytes: b"abc".to_vec(),
        offsets: vec![0, 3],
    };
    assert!(o.encode(short, &r, &opts()).is_err());
    assert!(o
        .decode(ArrayBytes::Fixed(vec![0; 5]), &r, &opts())
        .is_err());
    // Any stored codes decode (unknown ones to ''), and a hostile chunk shape is an error.
    let d = o.decode(ArrayBytes::Fixed(vec![1, 0, 0xff, 0x7f, 2, 0]), &r, &opts())?;
    assert_eq!(decoded_strings(&d, StringKind::Object)?, ["a", "", "bb"]);
    let huge =
        ChunkRepresentation::new(vec![u64::MAX, 2], r.data_type.clone(), r.fill_value.clone());
    assert!(o
        .decode(ArrayBytes::Fixed(vec![0; 4]), &huge, &opts())
        .is_err());
    Ok(())
}

#[test]
fn encoded_fill_value() -> R {
    let c = CategorizeCodec::new(&["a", "bb"], "|O", Some("<u2"))?;
    let d = data_type_by_name("string")?;
    let r = ChunkRepresentation::new(vec![3], d, FillValue::new(b"bb".to_vec()));
    assert_eq!(
        c.encoded_representation(&r)?.fill_value.as_bytes(),
        2u16.to_ne_bytes()
    );
    Ok(())
}

#[test]
fn array_round_trip_v3() -> R {
    let store = Arc::new(MemoryStore::new());
    let codecs: Vec<MetadataV3> = serde_json::from_str(
        r#"[{"name":"numcodecs.categorize","configuration":{"labels":["red","green","blue"],"dtype":"|O","astype":"<u2"}},
            {"name":"bytes","configuration":{"endian":"big"}}]"#,
    )?;
    let a = ArrayBuilder::new(vec![5, 7], vec![2, 3], "string", "")
        .codecs_metadata(codecs)
        .build(store.clone(), "/a")?;
    a.store_metadata()?;
    let all = ArraySubset::new_with_shape(vec![5, 7]);
    let pool = ["red", "green", "blue", "", "mauve"];
    let data: Vec<&str> = (0..35).map(|i| pool[(i * 7 + 3) % 5]).collect();
    a.store_array_subset_strings(&all, &data)?;
    let b = Array::open(store.clone(), "/a")?;
    let want: Vec<&str> = data
        .iter()
        .map(|&s| if s == "mauve" { "" } else { s })
        .collect();
    assert_eq!(b.retrieve_array_subset_strings(&all)?, want);
    let sub = ArraySubset::new_with_ranges(&[1..4, 2..6])?;
    let part: Vec<&str> = sub
        .indices()
        .map(|i| want[(i[0] * 7 + i[1]) as usize])
        .collect();
    assert_eq!(b.retrieve_array_subset_strings(&sub)?, part);
    let chunk = store.get(&StoreKey::new("a/c/0/0")?)?.ok_or("chunk")?;
    assert_eq!(chunk.len(), 12);
    Ok(())
}

proptest! {
    #[test]
    fn round_trip_of_labels(picks in prop::collection::vec(0usize..6, 0..64)) {
        let labels = ["", "a", "ßàř", "ƪùüx", "😀😀", "a"];
        for dtype in ["|O", "<U4", ">U2"] {
            let c = CategorizeCodec::new(&labels, dtype, Some("<i4")).map_err(TestCaseError::fail)?;
            let kind = parse_string_dtype(dtype).ok_or_else(|| TestCaseError::fail("dtype"))?;
            let values: Vec<String> = picks.iter().map(|&i| labels[i].to_string()).collect();
            let r = repr(dtype, values.len() as u64).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let e = c.encode(input_of(&values, kind), &r, &opts()).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let d = c.decode(e, &r, &opts()).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let got = decoded_strings(&d, kind).map_err(TestCaseError::fail)?;
            let chars = match kind { StringKind::Utf32 { chars, .. } => chars, StringKind::Object => usize::MAX };
            let want: Vec<String> = values.iter().map(|v| {
                // Labels longer than the element never match; the element keeps its own value
                // only if it is a label.
                if v.chars().count() > chars { String::new() } else { v.clone() }
            }).collect();
            prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn any_codes_decode(codes in prop::collection::vec(any::<u8>(), 0..64)) {
        let c = CategorizeCodec::new(&["x", "yy"], "|O", Some("|i1")).map_err(TestCaseError::fail)?;
        let r = repr("|O", codes.len() as u64).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let d = c.decode(ArrayBytes::Fixed(codes.clone()), &r, &opts()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(d.validate(codes.len(), None).is_ok());
    }
}
