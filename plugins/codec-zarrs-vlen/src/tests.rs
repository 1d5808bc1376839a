use super::*;
use proptest::prelude::*;
use zarrkit_core::serde_json::json;
use zarrkit_core::storage::MemoryStore;
use zarrkit_core::{Array, ArrayBuilder, ArraySubset};

// Link the plugins the tests resolve by name.
use zarrkit_codec_bytes as _;
use zarrkit_codec_gzip as _;
use zarrkit_dtype_bytes as _;
use zarrkit_dtype_numeric as _;
use zarrkit_dtype_string as _;
use zarrkit_grid_regular as _;
use zarrkit_key_default as _;

type R = Result<(), Box<dyn std::error::Error>>;

fn codec(config: Value) -> Result<Arc<dyn ArrayToBytesCodecTraits>, Box<dyn std::error::Error>> {
    let m: MetadataV3 = serde_json::from_value(json!({"name": NAME, "configuration": config}))?;
    match zarrkit_core::registry::create_codec(&m)? {
        Codec::ArrayToBytes(c) => Ok(c),
        _ => Err("not array->bytes".into()),
    }
}

fn config(index_type: &str, location: Option<&str>) -> Value {
    let mut c = json!({
        "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}}],
        "data_codecs": [{"name": "bytes"}],
        "index_data_type": index_type,
    });
    if let Some(l) = location {
        c["index_location"] = json!(l);
    }
    c
}

fn strings(n: u64) -> Result<ChunkRepresentation, Box<dyn std::error::Error>> {
    let d = zarrkit_core::registry::data_type_by_name("string")?;
    Ok(ChunkRepresentation::new(
        vec![n],
        d,
        FillValue::new(Vec::new()),
    ))
}

/// The JSON form of `expected.json` (`null` missing, `[v]` present, floats as hex bits, byte
/// strings as hex) of every element of `bytes`, decoded as `element` (`option<uint8>`,
/// `option<option<string>>`, ...).
#[allow(dead_code)]
fn elements_json(element: &str, bytes: &ArrayBytes) -> Result<Vec<Value>, String> {
    match (bytes, element_size(element)) {
        (ArrayBytes::Fixed(b), Some(s)) => b
            .chunks_exact(s.max(1))
            .map(|e| element_json(element, e))
            .collect(),
        (ArrayBytes::Variable { .. }, None) => {
            let v = bytes.as_variable().ok_or("malformed variable-size bytes")?;
            v.iter().map(|e| element_json(element, e)).collect()
        }
        _ => Err(format!("{element}: bytes of the wrong kind")),
    }
}

fn element_size(element: &str) -> Option<usize> {
    if let Some(inner) = element
        .strip_prefix("option<")
        .and_then(|s| s.strip_suffix('>'))
    {
        return element_size(inner).map(|s| s + 1);
    }
    match element {
        "bool" | "uint8" => Some(1),
        "uint16" => Some(2),
        "int32" | "uint32" | "float32" => Some(4),
        "int64" | "float64" | "numpy.datetime64" => Some(8),
        _ => None,
    }
}

fn element_json(element: &str, e: &[u8]) -> Result<Value, String> {
    if let Some(inner) = element
        .strip_prefix("option<")
        .and_then(|s| s.strip_suffix('>'))
    {
        return match e.split_first() {
            Some((0, rest)) => {
                if rest.iter().any(|&b| b != 0) && element_size(inner).is_some() {
                    return Err(format!("a missing element with a payload: {e:?}"));
                }
                if element_size(inner).is_none() && !rest.is_empty() {
                    return Err(format!("a missing variable element with a payload: {e:?}"));
                }
                Ok(Value::Null)
            }
            Some((1, rest)) => Ok(Value::Array(vec![element_json(inner, rest)?])),
            _ => Err(format!("bad optional element {e:?}")),
        };
    }
    let arr = |n: usize| -> Result<[u8; 8], String> {
        if e.len() != n {
            return Err(format!("{element}: {} bytes", e.len()));
        }
        let mut a = [0u8; 8];
        a[..n].copy_from_slice(e);
        Ok(a)
    };
    Ok(match element {
        "bool" => Value::Bool(arr(1)?[0] != 0),
        "uint8" => json!(arr(1)?[0]),
        "uint16" => json!(u16::from_ne_bytes(e.try_into().map_err(|_| "size")?)),
        "uint32" => json!(u32::from_ne_bytes(e.try_into().map_err(|_| "size")?)),
        "int32" => json!(i32::from_ne_bytes(e.try_into().map_err(|_| "size")?)),
        "int64" | "numpy.datetime64" => json!(i64::from_ne_bytes(arr(8)?)),
        "float32" => json!(format!(
            "0x{:08x}",
            f32::from_ne_bytes(e.try_into().map_err(|_| "size")?).to_bits()
        )),
        "float64" => json!(format!("0x{:016x}", f64::from_ne_bytes(arr(8)?).to_bits())),
        "string" => json!(std::str::from_utf8(e).map_err(|x| x.to_string())?),
        "bytes" => json!(e.iter().map(|b| format!("{b:02x}")).collect::<String>()),
        _ => return Err(format!("unknown element type {element}")),
    })
}

/// `expected.json`'s `values`: the list itself, or (large arrays) its count, FNV-1a 64 hash
/// of the compact JSON text and first 8 values.
fn check_values(name: &str, expected: &Value, got: &[Value]) -> Result<(), String> {
    if let Some(list) = expected.as_array() {
        if list.as_slice() != got {
            return Err(format!("{name}: read {got:?}, zarrs wrote {list:?}"));
        }
        return Ok(());
    }
    let count = expected["count"].as_u64().ok_or("no count")? as usize;
    if got.len() != count {
        return Err(format!("{name}: {} elements, expected {count}", got.len()));
    }
    if expected["head"].as_array().map(Vec::as_slice) != got.get(..8) {
        return Err(format!("{name}: first elements {:?}", got.get(..8)));
    }
    let text = zarrkit_core::serde_json::to_string(got).map_err(|e| e.to_string())?;
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    if expected["fnv1a64"].as_str() != Some(format!("{h:016x}").as_str()) {
        return Err(format!(
            "{name}: the elements' hash differs from zarrs' ({h:016x})"
        ));
    }
    Ok(())
}

#[test]
fn layouts() -> R {
    let o = CodecOptions::default();
    let r = strings(3)?;
    let input = ArrayBytes::from_strs(&["ab", "", "c"]);
    let start = codec(config("uint32", Some("start")))?.encode(input.clone(), &r, &o)?;
    let index = [0u8, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0];
    assert_eq!(start, [&16u64.to_le_bytes()[..], &index, b"abc"].concat());
    let end = codec(config("uint32", Some("end")))?.encode(input.clone(), &r, &o)?;
    assert_eq!(end, [&b"abc"[..], &index, &16u64.to_le_bytes()].concat());
    let v0 = codec(config("uint32", None))?;
    assert_eq!(v0.encode(input.clone(), &r, &o)?, start, "V0 = start");
    // A V0 configuration reads both layouts (older zarrs dropped `end` from the metadata).
    assert_eq!(v0.decode(Bytes::from(start.clone()), &r, &o)?, input);
    assert_eq!(v0.decode(Bytes::from(end.clone()), &r, &o)?, input);
    // With the location given, only that layout.
    assert!(codec(config("uint32", Some("start")))?
        .decode(Bytes::from(end), &r, &o)
        .is_err());
    // uint64 offsets; all elements empty: no data at all.
    let c = codec(config("uint64", Some("start")))?;
    let empty = ArrayBytes::from_strs(&["", "", ""]);
    let e = c.encode(empty.clone(), &r, &o)?;
    assert_eq!(e, [&32u64.to_le_bytes()[..], &[0u8; 32]].concat());
    assert_eq!(c.decode(Bytes::from(e), &r, &o)?, empty);
    Ok(())
}

#[test]
fn bad_input_is_an_error() -> R {
    let o = CodecOptions::default();
    let r = strings(3)?;
    let c = codec(config("uint32", Some("start")))?;
    let good = c.encode(ArrayBytes::from_strs(&["ab", "", "cde"]), &r, &o)?;
    for n in 0..good.len() {
        assert!(
            c.decode(Bytes::copy_from_slice(&good[..n]), &r, &o)
                .is_err(),
            "truncated to {n}"
        );
    }
    assert!(
        c.decode(Bytes::from([&good[..], b"x"].concat()), &r, &o)
            .is_err(),
        "trailing data"
    );
    let with = |at: usize, b: &[u8]| {
        let mut h = good.clone();
        h[at..at + b.len()].copy_from_slice(b);
        Bytes::from(h)
    };
    for len in [u64::MAX, 1 << 40, 15, 17, 0] {
        assert!(
            c.decode(with(0, &len.to_le_bytes()), &r, &o).is_err(),
            "index length {len}"
        );
    }
    // Offsets: not starting at 0, decreasing, past the data, beyond the limit.
    for (at, v) in [(8, 1u32), (12, 3), (16, 1), (20, 6), (20, u32::MAX)] {
        assert!(
            c.decode(with(at, &v.to_le_bytes()), &r, &o).is_err(),
            "offset at {at} = {v}"
        );
    }
    let small = CodecOptions {
        max_unbounded_decoded_bytes: 4,
        ..CodecOptions::default()
    };
    assert!(
        c.decode(Bytes::from(good.clone()), &r, &small).is_err(),
        "over the limit"
    );
    // The V0 fallback to `end` reports `start`'s error when neither layout works.
    let v0 = codec(config("uint32", None))?;
    let e = v0
        .decode(with(0, &99u64.to_le_bytes()), &r, &o)
        .err()
        .ok_or("decoded")?;
    assert!(e.to_string().contains("Start"), "{e}");
    // Fixed-size data types and a wrong element count are refused.
    let d = zarrkit_core::registry::data_type_by_name("uint8")?;
    let fixed = ChunkRepresentation::new(vec![3], d, FillValue::new(vec![0]));
    assert!(matches!(
        c.encoded_representation(&fixed),
        Err(CodecError::Unsupported { .. })
    ));
    assert!(c
        .encode(ArrayBytes::Fixed(vec![1, 2, 3]), &fixed, &o)
        .is_err());
    assert!(
        c.encode(ArrayBytes::from_strs(&["a", "b"]), &r, &o)
            .is_err(),
        "wrong count"
    );
    for bad in [
        json!({"index_codecs": [], "data_codecs": [{"name": "bytes"}], "index_data_type": "uint32"}),
        json!({"index_codecs": [{"name": "bytes"}], "data_codecs": [{"name": "bytes"}]}),
        json!({"index_codecs": [{"name": "bytes"}], "data_codecs": [{"name": "bytes"}], "index_data_type": "uint16"}),
        json!({"index_codecs": [{"name": "bytes"}], "data_codecs": [{"name": "bytes"}], "index_data_type": "uint32", "index_location": "middle"}),
        json!({"index_codecs": [{"name": "bytes"}], "data_codecs": [{"name": "bytes"}], "index_data_type": "uint32", "x": 1}),
    ] {
        assert!(codec(bad.clone()).is_err(), "{bad}");
    }
    // The index codecs must suit the index (bytes needs an endian for uint32).
    let c = codec(
        json!({"index_codecs": [{"name": "bytes"}], "data_codecs": [{"name": "bytes"}], "index_data_type": "uint32"}),
    )?;
    assert!(c.encoded_representation(&r).is_err());
    Ok(())
}

proptest! {
    #[test]
    fn round_trip(v in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..20), 1..40), end in any::<bool>(), wide in any::<bool>()) {
        let run = || -> Result<ArrayBytes, Box<dyn std::error::Error>> {
            let c = codec(config(if wide { "uint64" } else { "uint32" }, Some(if end { "end" } else { "start" })))?;
            let d = zarrkit_core::registry::data_type_by_name("bytes")?;
            let r = ChunkRepresentation::new(vec![v.len() as u64], d, FillValue::new(Vec::new()));
            let o = CodecOptions::default();
            let e = c.encode(ArrayBytes::from_byte_strings(&v), &r, &o)?;
            Ok(c.decode(Bytes::from(e), &r, &o)?)
        };
        prop_assert_eq!(run().map_err(|e| TestCaseError::fail(e.to_string()))?, ArrayBytes::from_byte_strings(&v));
    }
}

/// Strings through the Array API on a `MemoryStore`, with a region read and a partial write.
#[test]
fn array_round_trip_memory() -> R {
    let store = Arc::new(MemoryStore::new());
    let array = ArrayBuilder::new(vec![4, 3], vec![2, 2], "string", json!(""))
        .codecs_metadata(vec![serde_json::from_value(
            json!({"name": NAME, "configuration": config("uint32", Some("end"))}),
        )?])
        .build(store.clone(), "/")?;
    array.store_metadata()?;
    let all = ArraySubset::new_with_shape(vec![4, 3]);
    let v: Vec<String> = (0..12).map(|i| "é".repeat(i % 4)).collect();
    array.store_array_subset(&all, ArrayBytes::from_strs(&v))?;
    array.store_array_subset(
        &ArraySubset::new_with_ranges(&[1..2, 1..3])?,
        ArrayBytes::from_strs(&["x", "yz"]),
    )?;
    let back = Array::open(store, "/")?;
    let got = back.retrieve_array_subset_strings(&ArraySubset::new_with_ranges(&[0..2, 1..3])?)?;
    assert_eq!(
        got,
        vec![v[1].clone(), v[2].clone(), "x".into(), "yz".into()]
    );
    Ok(())
}

/// zarrs 0.23.14's own stores (see `vectors/zarrs-writer`), the simulated older-zarrs
/// metadata included: every element read through the Array API equals what zarrs wrote, and
/// re-encoding each chunk gives zarrs' bytes exactly (gzip chains: a round trip).
#[test]
fn zarrs_vectors() -> R {
    let expected: Value = serde_json::from_str(include_str!("../vectors/expected.json"))?;
    let stores = expected["stores"].as_object().ok_or("no stores")?;
    assert!(stores.len() >= 7);
    let o = CodecOptions::default();
    let mut exact = 0;
    for (name, e) in stores {
        let dir = format!("{}/vectors/{name}.zarr", env!("CARGO_MANIFEST_DIR"));
        let store = Arc::new(zarrkit_store_filesystem::FilesystemStore::new(&dir)?);
        let array = Array::open(store, "/")?;
        let shape: Vec<u64> = serde_json::from_value(e["shape"].clone())?;
        let got = array.retrieve_array_subset(&ArraySubset::new_with_shape(shape.clone()))?;
        let element = e["element"].as_str().ok_or("no element")?;
        let got = elements_json(element, &got).map_err(|m| format!("{name}: {m}"))?;
        check_values(name, &e["values"], &got)?;
        let text = std::fs::read_to_string(format!("{dir}/zarr.json"))?;
        let chain: &CodecChain = array.codecs();
        for idx in ArraySubset::new_with_shape(array.chunk_grid().grid_shape(&shape)).indices() {
            let Some(stored) = array.retrieve_encoded_chunk(&idx)? else {
                continue;
            };
            let r = array.chunk_representation(&idx)?;
            let decoded = chain.decode(Bytes::from(stored.clone()), &r, &o)?;
            let again = chain.encode(decoded.clone(), &r, &o)?;
            if text.contains("gzip") {
                assert_eq!(
                    chain.decode(Bytes::from(again), &r, &o)?,
                    decoded,
                    "{name} {idx:?}"
                );
            } else if name == "vlen_v0_end_dropped" {
                // Written back as the V0 configuration says (start).
            } else {
                assert_eq!(again, stored, "{name} chunk {idx:?}");
                exact += 1;
            }
        }
    }
    assert!(exact >= 10, "{exact}");
    Ok(())
}
