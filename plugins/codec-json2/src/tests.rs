use super::*;
use proptest::prelude::*;
use std::path::Path;
use zarrkit_core::data_type::DataType;
use zarrkit_core::registry::{create_codec, create_codec_v2, data_type_by_name};
use zarrkit_core::serde_json::{self as serde_json, json};
use zarrkit_core::storage::{MemoryStore, ReadableStorageExt, StoreKey, WritableStorageTraits};
use zarrkit_core::{Array, ArrayBuilder, ArraySubset, FillValue};

// Link the plugins the tests resolve by name.
use zarrkit_codec_blosc as _;
use zarrkit_codec_bytes as _;
use zarrkit_codec_transpose as _;
use zarrkit_codec_vlen_utf8 as _;
use zarrkit_dtype_numeric as _;
use zarrkit_dtype_string as _;
use zarrkit_grid_regular as _;
use zarrkit_key_default as _;
use zarrkit_key_v2 as _;

type R = Result<(), Box<dyn std::error::Error>>;

const NUMCODECS: &str = include_str!("../vectors/numcodecs.json");
const ZARR2: &str = include_str!("../vectors/zarr2.json");
const ANNDATA: &str = include_str!("../vectors/anndata.json");

/// `dtype-string` claims `json2` as a V2 object codec of strings (nothing to register).
fn claim_json2_for_strings() {}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .filter_map(|i| u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

fn opts() -> CodecOptions {
    CodecOptions::default()
}

fn a2b(c: Codec) -> Result<Arc<dyn ArrayToBytesCodecTraits>, Box<dyn std::error::Error>> {
    match c {
        Codec::ArrayToBytes(c) => Ok(c),
        _ => Err("not array->bytes".into()),
    }
}

fn repr(dtype: &str, shape: Vec<u64>) -> Result<ChunkRepresentation, Box<dyn std::error::Error>> {
    let d: DataType = if dtype == "|O" {
        data_type_by_name("string")?
    } else {
        zarrkit_core::registry::data_type_from_v2(dtype)?
    };
    let size = d.size().fixed().unwrap_or(0);
    Ok(ChunkRepresentation::new(
        shape,
        d,
        FillValue::new(vec![0; size]),
    ))
}

fn strs(values: &[Value]) -> Result<ArrayBytes, Box<dyn std::error::Error>> {
    // null (None) and 0 read as "".
    let v: Vec<String> = values
        .iter()
        .map(|v| match v {
            Value::String(s) => Ok(s.clone()),
            Value::Null => Ok(String::new()),
            v if v.as_u64() == Some(0) => Ok(String::new()),
            other => Err(format!("not a string: {other}")),
        })
        .collect::<Result<_, _>>()?;
    Ok(ArrayBytes::from_strs(&v))
}

fn shape_of(v: &Value) -> Vec<u64> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_u64).collect())
        .unwrap_or_default()
}

#[test]
fn numcodecs_vectors() -> R {
    let doc: Value = serde_json::from_str(NUMCODECS)?;
    let cases = doc["cases"].as_array().ok_or("cases")?;
    assert!(cases.len() > 30);
    for c in cases {
        let name = c["name"].as_str().ok_or("name")?;
        let config = c["config"].as_object().ok_or("config")?;
        let codec = a2b(create_codec_v2(config)?)?;
        let dtype = c["dtype"].as_str().ok_or("dtype")?;
        let r = repr(dtype, shape_of(&c["shape"]))?;
        let encoded = hex(c["encoded_hex"].as_str().ok_or("hex")?);
        let dec = codec.decode(encoded.clone().into(), &r, &opts());
        if c["expect_error"].as_bool() == Some(true) {
            assert!(dec.is_err(), "{name}: decoded {dec:?}");
            continue;
        }
        let dec = dec.map_err(|e| format!("{name}: {e}"))?;
        if dtype == "|O" {
            assert_eq!(
                dec,
                strs(c["values"].as_array().ok_or("values")?)?,
                "{name}"
            );
        } else if cfg!(target_endian = "little") {
            assert_eq!(
                dec,
                ArrayBytes::Fixed(hex(c["data_hex"].as_str().ok_or("data")?)),
                "{name}"
            );
        }
        if c["byte_exact"].as_bool() == Some(true) {
            let enc = codec.encode(dec, &r, &opts())?;
            assert_eq!(
                String::from_utf8_lossy(&enc),
                String::from_utf8_lossy(&encoded),
                "{name}"
            );
            assert_eq!(enc, encoded, "{name}");
        }
    }
    Ok(())
}

#[test]
fn python_float_repr_vectors() -> R {
    let doc: Value = serde_json::from_str(NUMCODECS)?;
    let v = doc["float_reprs"].as_array().ok_or("float_reprs")?;
    assert!(v.len() >= 3000);
    for pair in v {
        let bits = hex(pair[0].as_str().ok_or("bits")?);
        let x = f64::from_le_bytes(bits.as_slice().try_into()?);
        let mut s = String::new();
        pyjson::write_float_repr(&mut s, x);
        assert_eq!(s, pair[1].as_str().ok_or("repr")?, "{x:e}");
        // And the text reads back to the same float.
        assert_eq!(s.parse::<f64>()?.to_bits(), x.to_bits());
    }
    Ok(())
}

fn fs_store(
    dir: &str,
) -> Result<Arc<zarrkit_store_filesystem::FilesystemStore>, Box<dyn std::error::Error>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("vectors")
        .join(dir);
    Ok(Arc::new(zarrkit_store_filesystem::FilesystemStore::new(
        root,
    )?))
}

/// Every array of the zarr-python 2 store reads back as zarr-python 2 reads it (F-order
/// arrays included: see the crate documentation), `None` and `0` as "".
#[test]
fn zarr_python2_store() -> R {
    claim_json2_for_strings();
    let doc: Value = serde_json::from_str(ZARR2)?;
    let store = fs_store("zarr2")?;
    let arrays = doc["arrays"].as_object().ok_or("arrays")?;
    assert!(arrays.len() >= 9);
    for (name, a) in arrays {
        let array =
            Array::open(store.clone(), &format!("/{name}")).map_err(|e| format!("{name}: {e}"))?;
        let shape = shape_of(&a["shape"]);
        assert_eq!(array.shape(), shape.as_slice(), "{name}");
        let all = ArraySubset::new_with_shape(shape.clone());
        let got = array
            .retrieve_array_subset(&all)
            .map_err(|e| format!("{name}: {e}"))?;
        if a["dtype"] == "|O" {
            assert_eq!(
                got,
                strs(a["read_back"].as_array().ok_or("read_back")?)?,
                "{name}"
            );
            if a["order"] == "C" {
                if let Some(w) = a["written"].as_array() {
                    assert_eq!(got, strs(w)?, "{name}");
                }
            }
        } else if cfg!(target_endian = "little") {
            let want = hex(a["read_back_hex"].as_str().ok_or("hex")?);
            assert_eq!(got, ArrayBytes::Fixed(want), "{name}");
        }
    }
    Ok(())
}

/// zarrkit writes zarr-python 2's chunk files byte for byte (whole chunks: zarr-python 2
/// pads edge chunks with its fill value `0`, zarrkit with the empty string it reads `0` as),
/// and what it writes for an F-order array zarr-python 2 reads back correctly (checked by
/// reading it back here the way zarr-python 2 reads, which is how zarrkit reads).
#[test]
fn writes_what_zarr_python2_writes() -> R {
    claim_json2_for_strings();
    let doc: Value = serde_json::from_str(ZARR2)?;
    let src = fs_store("zarr2")?;
    for (name, full_chunks) in [
        ("strings_2d", &["0.0", "1.0"][..]),
        ("int32", &["0", "1"][..]),
    ] {
        let a = &doc["arrays"][name];
        let mem = Arc::new(MemoryStore::new());
        let zarray_key = StoreKey::new(format!("{name}/.zarray"))?;
        let zarray = src.get(&zarray_key)?.ok_or("no .zarray")?;
        mem.set(&zarray_key, zarray)?;
        let array = Array::open(mem.clone(), &format!("/{name}"))?;
        let all = ArraySubset::new_with_shape(shape_of(&a["shape"]));
        if name == "int32" {
            let v: Vec<i32> = (0..10).map(|i| i * 7 - 20).collect();
            array.store_array_subset_elements(&all, &v)?;
        } else {
            array.store_array_subset(&all, strs(a["written"].as_array().ok_or("written")?)?)?;
        }
        for chunk in full_chunks {
            let key = StoreKey::new(format!("{name}/{chunk}"))?;
            let ours = mem.get(&key)?.ok_or("chunk not written")?;
            let theirs = src.get(&key)?.ok_or("no chunk")?;
            assert_eq!(
                String::from_utf8_lossy(&ours),
                String::from_utf8_lossy(&theirs),
                "{name}/{chunk}"
            );
        }
    }
    Ok(())
}

/// A V2 F-order json2 array written and read by zarrkit keeps its data, and its chunks
/// hold the transposed chunk with its own shape (which zarr-python 2 reads correctly).
#[test]
fn f_order_round_trip() -> R {
    claim_json2_for_strings();
    let mem = Arc::new(MemoryStore::new());
    let zarray = json!({"shape": [4, 5], "chunks": [2, 3], "dtype": "|O", "fill_value": 0,
        "order": "F", "compressor": null, "zarr_format": 2,
        "filters": [{"id": "json2", "encoding": "utf-8", "ensure_ascii": true, "indent": null,
            "separators": [",", ":"], "skipkeys": false, "sort_keys": true, "strict": true,
            "allow_nan": true, "check_circular": true}]});
    mem.set(
        &StoreKey::new("f/.zarray")?,
        serde_json::to_vec(&zarray)?.into(),
    )?;
    let a = Array::open(mem.clone(), "/f")?;
    let data: Vec<String> = (0..20).map(|i| format!("s{i}")).collect();
    let all = ArraySubset::new_with_shape(vec![4, 5]);
    a.store_array_subset(&all, ArrayBytes::from_strs(&data))?;
    let back = Array::open(mem.clone(), "/f")?.retrieve_array_subset_strings(&all)?;
    assert_eq!(back, data);
    let chunk = mem.get(&StoreKey::new("f/0.0")?)?.ok_or("chunk")?;
    // The chunk (rows 0-1, columns 0-2) transposed: columns as rows.
    assert_eq!(
        std::str::from_utf8(&chunk)?,
        r#"[["s0","s5"],["s1","s6"],["s2","s7"],"|O",[3,2]]"#
    );
    Ok(())
}

/// anndata's string columns (vlen-utf8 through zarr-python 2, blosc-compressed) read back.
#[test]
fn anndata_string_columns() -> R {
    let doc: Value = serde_json::from_str(ANNDATA)?;
    let store = fs_store("anndata")?;
    for key in ["obs/_index", "obs/cell_type/categories", "obs/donor"] {
        let want: Vec<String> = doc[key]
            .as_array()
            .ok_or("strings")?
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        let a = Array::open(store.clone(), &format!("/{key}"))?;
        let got =
            a.retrieve_array_subset_strings(&ArraySubset::new_with_shape(a.shape().to_vec()))?;
        assert_eq!(got, want, "{key}");
    }
    let codes = Array::open(store.clone(), "/obs/cell_type/codes")?;
    let want: Vec<i8> = doc["obs/cell_type/codes"]
        .as_array()
        .ok_or("codes")?
        .iter()
        .filter_map(|v| v.as_i64().map(|x| x as i8))
        .collect();
    assert_eq!(
        codes.retrieve_array_subset_elements::<i8>(&ArraySubset::new_with_shape(vec![8]))?,
        want
    );
    Ok(())
}

#[test]
fn names_and_configuration_round_trip() -> R {
    for name in [NAME, ID] {
        let m: MetadataV3 = serde_json::from_value(json!({"name": name,
            "configuration": {"indent": 2, "ensure_ascii": false, "extra": [1]}}))?;
        let c = create_codec(&m)?;
        assert_eq!(c.metadata(), m);
    }
    // The V2 form keeps every member but `id`.
    let c = create_codec_v2(
        json!({"id": "json2", "indent": true})
            .as_object()
            .ok_or("obj")?,
    )?;
    assert_eq!(c.name(), NAME);
    assert_eq!(
        c.metadata().configuration(),
        json!({"indent": true}).as_object()
    );
    // Decoding options are checked at open; encoding options when encoding.
    for bad in [
        json!({"encoding": 1}),
        json!({"strict": "yes"}),
        json!({"id": "json2"}),
    ] {
        let m: MetadataV3 = serde_json::from_value(json!({"name": NAME, "configuration": bad}))?;
        assert!(create_codec(&m).is_err(), "{bad}");
    }
    let r = repr("|O", vec![2])?;
    let strings = ArrayBytes::from_strs(&["a", "b"]);
    for conf in [
        json!({"indent": 1.5}),
        json!({"separators": [1, 2]}),
        json!({"encoding": "utf-16"}),
    ] {
        let m: MetadataV3 = serde_json::from_value(json!({"name": NAME, "configuration": conf}))?;
        let c = a2b(create_codec(&m)?)?;
        assert!(c.encode(strings.clone(), &r, &opts()).is_err(), "{conf}");
    }
    // An unknown text encoding decodes nothing, but the array opens.
    let m: MetadataV3 =
        serde_json::from_value(json!({"name": NAME, "configuration": {"encoding": "utf-16"}}))?;
    let c = a2b(create_codec(&m)?)?;
    assert!(matches!(
        c.decode(br#"["a","b","|O",[2]]"#.to_vec().into(), &r, &opts()),
        Err(CodecError::Unsupported { .. })
    ));
    // `strict: false` accepts raw control characters in strings.
    let doc = b"[\"a\tb\",\"c\",\"|O\",[2]]".to_vec();
    let strict = Json2Codec::new();
    assert!(strict.decode(doc.clone().into(), &r, &opts()).is_err());
    let mut conf = Map::new();
    conf.insert("strict".into(), Value::Bool(false));
    let lax = Json2Codec::from_configuration(NAME, conf)?;
    assert_eq!(
        lax.decode(doc.into(), &r, &opts())?,
        ArrayBytes::from_strs(&["a\tb", "c"])
    );
    // allow_nan false refuses NaN when encoding.
    let mut conf = Map::new();
    conf.insert("allow_nan".into(), Value::Bool(false));
    let c = Json2Codec::from_configuration(NAME, conf)?;
    let f = repr("<f8", vec![1])?;
    assert!(c
        .encode(
            ArrayBytes::Fixed(f64::NAN.to_ne_bytes().to_vec()),
            &f,
            &opts()
        )
        .is_err());
    Ok(())
}

#[test]
fn unsupported_data_types() -> R {
    let c = Json2Codec::new();
    for dt in ["complex64", "variable_length_bytes"] {
        if let Ok(d) = data_type_by_name(dt) {
            let size = d.size().fixed().unwrap_or(0);
            let r = ChunkRepresentation::new(vec![2], d, FillValue::new(vec![0; size]));
            assert!(c.encoded_representation(&r).is_err(), "{dt}");
        }
    }
    Ok(())
}

#[test]
fn corrupt_and_hostile_documents_are_errors() -> R {
    let c = Json2Codec::new();
    let r = repr("|O", vec![3])?;
    let good = br#"["foo","b\u00e9r","baz","|O",[3]]"#.to_vec();
    assert!(c.decode(good.clone().into(), &r, &opts()).is_ok());
    // Truncated anywhere.
    for n in 0..good.len() {
        assert!(
            c.decode(good[..n].to_vec().into(), &r, &opts()).is_err(),
            "{n}"
        );
    }
    // Every byte replaced by several others: never a panic.
    for i in 0..good.len() {
        for b in [b'"', b'[', b']', b',', b'\\', 0xff, b'0', b'9', b' '] {
            let mut bad = good.clone();
            bad[i] = b;
            let _ = c.decode(bad.into(), &r, &opts());
        }
    }
    for bad in [
        &br#"["foo","bar","baz","|O",[3]] x"#[..], // extra data
        br#"["foo","bar","|O",[3]]"#,              // too few items
        br#"["foo","bar","baz","qux","|O",[3]]"#,  // too many items
        br#"["foo","bar","baz","|O",[4]]"#,        // wrong count
        br#"["foo","bar","baz","|O",[3,1]]"#,      // wrong rank
        br#"["foo","bar","baz",1,[3]]"#,           // dtype not a string
        br#"["foo","bar","baz","|O",3]"#,          // shape not a list
        br#"["foo","bar","baz","|O",[-3]]"#,       // negative shape
        br#"["foo","bar","baz","|O",[3.0]]"#,      // float shape
        br#"[["foo"],"bar","baz","|O",[3]]"#,      // a list where a scalar belongs
        br#"["foo",true,"baz","|O",[3]]"#,         // not a string
        br#"["foo",1.5,"baz","|O",[3]]"#,          // not a string
        br#"["foo","\ud800","baz","|O",[3]]"#,     // lone surrogate
        br#"{"a":1}"#,
        br#""foo""#,
        b"[\"foo\",\"\xff\",\"baz\",\"|O\",[3]]", // not UTF-8
        br#"[]"#,
        br#""#,
    ] {
        assert!(
            c.decode(bad.to_vec().into(), &r, &opts()).is_err(),
            "{}",
            String::from_utf8_lossy(bad)
        );
    }
    // A huge claimed shape: an error before any allocation.
    let big = repr("<f8", vec![1 << 40])?;
    let doc = format!("[1,\"<f8\",[{}]]", 1u64 << 40);
    assert!(c.decode(doc.into_bytes().into(), &big, &opts()).is_err());
    let doc = b"[\"<f8\",[18446744073709551615,18446744073709551615]]".to_vec();
    assert!(c
        .decode(doc.into(), &repr("<f8", vec![2, 2])?, &opts())
        .is_err());
    // Deep nesting neither overflows the stack nor allocates.
    let deep = "[".repeat(200_000) + &"]".repeat(200_000);
    assert!(c.decode(deep.into_bytes().into(), &r, &opts()).is_err());
    let deep = format!(
        "[{}{},\"|O\",[3]]",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    assert!(c.decode(deep.into_bytes().into(), &r, &opts()).is_err());
    // Numbers out of range for the integer type.
    let i8r = repr("|i1", vec![2])?;
    for doc in [
        r#"[1,128,"|i1",[2]]"#,
        r#"[1,-129,"|i1",[2]]"#,
        r#"[1,1.0,"|i1",[2]]"#,
        r#"[1,NaN,"|i1",[2]]"#,
        r#"[1,"1","|i1",[2]]"#,
        r#"[1,99999999999999999999999999999999999999999,"|i1",[2]]"#,
    ] {
        assert!(
            c.decode(doc.as_bytes().to_vec().into(), &i8r, &opts())
                .is_err(),
            "{doc}"
        );
    }
    Ok(())
}

#[test]
fn nested_layouts() -> R {
    let c = Json2Codec::new();
    let r = repr("<i4", vec![2, 0, 3])?;
    let enc = c.encode(ArrayBytes::Fixed(Vec::new()), &r, &opts())?;
    assert_eq!(enc, br#"[[],[],"<i4",[2,0,3]]"#);
    assert_eq!(
        c.decode(enc.into(), &r, &opts())?,
        ArrayBytes::Fixed(Vec::new())
    );
    let r = repr("<i4", vec![])?;
    let enc = c.encode(ArrayBytes::Fixed(7i32.to_ne_bytes().to_vec()), &r, &opts())?;
    assert_eq!(enc, br#"[7,"<i4",[]]"#);
    // Whitespace anywhere Python's json allows it.
    let doc = b" [ [ 1 , 2 ] ,\n[3,\t4] , \"<i4\" , [ 2 , 2 ] ] \r\n".to_vec();
    let r = repr("<i4", vec![2, 2])?;
    let want: Vec<u8> = [1i32, 2, 3, 4]
        .iter()
        .flat_map(|x| x.to_ne_bytes())
        .collect();
    assert_eq!(c.decode(doc.into(), &r, &opts())?, ArrayBytes::Fixed(want));
    Ok(())
}

#[test]
fn arrays_v3_and_v2() -> R {
    claim_json2_for_strings();
    // V3: strings and floats through the codec.
    let store = Arc::new(MemoryStore::new());
    let codecs: Vec<MetadataV3> = serde_json::from_value(json!([
        {"name": "numcodecs.json2", "configuration": {"indent": 1}}
    ]))?;
    let a = ArrayBuilder::new(vec![7, 5], vec![3, 2], "string", "NA")
        .codecs_metadata(codecs.clone())
        .build(store.clone(), "/s")?;
    a.store_metadata()?;
    let all = ArraySubset::new_with_shape(vec![7, 5]);
    let data: Vec<String> = (0..35).map(|i| format!("é{i}\"\\\n")).collect();
    a.store_array_subset(&all, ArrayBytes::from_strs(&data))?;
    let b = Array::open(store.clone(), "/s")?;
    assert_eq!(b.retrieve_array_subset_strings(&all)?, data);
    let s = ArraySubset::new_with_ranges(&[2..6, 1..4])?;
    let want: Vec<String> = s
        .indices()
        .map(|i| data[(i[0] * 5 + i[1]) as usize].clone())
        .collect();
    assert_eq!(b.retrieve_array_subset_strings(&s)?, want);
    let f = ArrayBuilder::new(vec![10], vec![4], "float32", 0.0)
        .codecs_metadata(codecs)
        .build(store.clone(), "/f")?;
    let v: Vec<f32> = (0..10).map(|i| i as f32 / 3.0).collect();
    f.store_array_subset_elements(&ArraySubset::new_with_shape(vec![10]), &v)?;
    assert_eq!(
        f.retrieve_array_subset_elements::<f32>(&ArraySubset::new_with_shape(vec![10]))?,
        v
    );
    // V2 |O: json2 is the object codec; conversion to V3 and back keeps it.
    let zarray = json!({"shape": [5], "chunks": [2], "dtype": "|O", "fill_value": "",
        "order": "C", "compressor": null, "zarr_format": 2, "filters": [{"id": "json2"}]});
    store.set(
        &StoreKey::new("v/.zarray")?,
        serde_json::to_vec(&zarray)?.into(),
    )?;
    let v2 = Array::open(store.clone(), "/v")?;
    let words = ["a", "", "ü", "x y", "z"];
    v2.store_array_subset(
        &ArraySubset::new_with_shape(vec![5]),
        ArrayBytes::from_strs(&words),
    )?;
    assert_eq!(
        v2.retrieve_array_subset_strings(&ArraySubset::new_with_shape(vec![5]))?,
        words
    );
    assert_eq!(
        store.get(&StoreKey::new("v/0")?)?.as_deref(),
        Some(&br#"["a","","|O",[2]]"#[..])
    );
    let v3 = v2.to_v3()?;
    assert_eq!(v3.codecs[0].name(), NAME);
    let back = Array::new_with_metadata(store.clone(), "/v", v3)?.to_v2()?;
    assert_eq!(back.filters.as_ref().map(Vec::len), Some(1));
    Ok(())
}

proptest! {
    #[test]
    fn strings_round_trip(v in proptest::collection::vec(any::<String>(), 0..20), ascii in any::<bool>()) {
        let mut conf = Map::new();
        conf.insert("ensure_ascii".into(), Value::Bool(ascii));
        let c = Json2Codec::from_configuration(NAME, conf).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let r = repr("|O", vec![v.len() as u64]).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let input = ArrayBytes::from_strs(&v);
        let enc = c.encode(input.clone(), &r, &opts()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(c.decode(enc.into(), &r, &opts()).map_err(|e| TestCaseError::fail(e.to_string()))?, input);
    }

    #[test]
    fn floats_round_trip(v in proptest::collection::vec(any::<u64>(), 1..20)) {
        let c = Json2Codec::new();
        let r = repr("<f8", vec![v.len() as u64]).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let bytes: Vec<u8> = v.iter().flat_map(|b| f64::from_bits(*b).to_ne_bytes()).collect();
        let enc = c.encode(ArrayBytes::Fixed(bytes.clone()), &r, &opts()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let dec = c.decode(enc.into(), &r, &opts()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let dec = dec.into_fixed().unwrap_or_default();
        for (a, b) in bytes.chunks(8).zip(dec.chunks(8)) {
            let (x, y) = (f64::from_ne_bytes(a.try_into().unwrap_or_default()), f64::from_ne_bytes(b.try_into().unwrap_or_default()));
            // NaN payloads become Python's NaN; everything else is exact.
            prop_assert!(x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()));
        }
    }

    #[test]
    fn ints_round_trip(v in proptest::collection::vec(any::<i64>(), 0..20), rows in 1u64..3) {
        let c = Json2Codec::new();
        let n = v.len() as u64 * rows;
        let r = repr("<i8", vec![rows, v.len() as u64]).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let bytes: Vec<u8> = (0..rows).flat_map(|_| v.iter().flat_map(|x| x.to_ne_bytes())).collect();
        prop_assert_eq!(bytes.len() as u64, n * 8);
        let enc = c.encode(ArrayBytes::Fixed(bytes.clone()), &r, &opts()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(c.decode(enc.into(), &r, &opts()).map_err(|e| TestCaseError::fail(e.to_string()))?, ArrayBytes::Fixed(bytes));
    }
}
