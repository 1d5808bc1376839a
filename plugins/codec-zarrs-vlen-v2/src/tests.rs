use super::*;
use proptest::prelude::*;
use zarrkit_core::codec::CodecChain;
use zarrkit_core::fill_value::FillValue;
use zarrkit_core::serde_json::{self, json};
use zarrkit_core::storage::MemoryStore;
use zarrkit_core::{Array, ArrayBuilder, ArraySubset};

// Link the plugins the tests resolve by name.
use zarrkit_codec_gzip as _;
use zarrkit_codec_vlen_utf8 as _;
use zarrkit_dtype_bytes as _;
use zarrkit_dtype_numeric as _;
use zarrkit_dtype_string as _;
use zarrkit_grid_regular as _;
use zarrkit_key_default as _;

type R = Result<(), Box<dyn std::error::Error>>;

fn repr(dtype: &str, n: u64) -> Result<ChunkRepresentation, Box<dyn std::error::Error>> {
    let d = zarrkit_core::registry::data_type_by_name(dtype)?;
    let f = FillValue::new(vec![0; d.size().fixed().unwrap_or(0)]);
    Ok(ChunkRepresentation::new(vec![n], d, f))
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
fn framing_and_checks() -> R {
    let c = VlenV2Codec::new();
    let o = CodecOptions::default();
    let r = repr("bytes", 3)?;
    let input = ArrayBytes::from_byte_strings(&[&b"ab"[..], b"", &[0xff]]);
    let e = c.encode(input.clone(), &r, &o)?;
    assert_eq!(
        e,
        [3, 0, 0, 0, 2, 0, 0, 0, b'a', b'b', 0, 0, 0, 0, 1, 0, 0, 0, 0xff]
    );
    assert_eq!(c.decode(Bytes::from(e.clone()), &r, &o)?, input);
    for n in 0..e.len() {
        assert!(
            c.decode(Bytes::copy_from_slice(&e[..n]), &r, &o).is_err(),
            "truncated to {n}"
        );
    }
    assert!(
        c.decode(Bytes::from([&e[..], &[0]].concat()), &r, &o)
            .is_err(),
        "trailing byte"
    );
    let mut h = e.clone();
    h[0] = 4;
    assert!(c.decode(Bytes::from(h), &r, &o).is_err(), "count");
    let mut h = e.clone();
    h[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(
        c.decode(Bytes::from(h), &r, &o).is_err(),
        "length past the end"
    );
    let mut h = e.clone();
    h[..4].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(
        c.decode(Bytes::from(h), &repr("bytes", u64::from(u32::MAX))?, &o)
            .is_err(),
        "huge count, short buffer"
    );
    // Strings are checked to be UTF-8; byte strings are not.
    let s = repr("string", 3)?;
    assert!(
        c.decode(Bytes::from(e.clone()), &s, &o).is_err(),
        "0xff is not UTF-8"
    );
    assert!(c.encode(input, &s, &o).is_err());
    // Fixed-size types are refused.
    assert!(matches!(
        c.encoded_representation(&repr("uint8", 3)?),
        Err(CodecError::Unsupported { .. })
    ));
    Ok(())
}

#[test]
fn configuration() -> R {
    let create = |j: Value| -> Result<Codec, Box<dyn std::error::Error>> {
        let m: MetadataV3 = serde_json::from_value(j)?;
        Ok(zarrkit_core::registry::create_codec(&m)?)
    };
    assert!(create(json!({"name": NAME, "configuration": {"x": 1}})).is_err());
    for name in [
        NAME,
        "vlen_v2",
        "https://codec.zarrs.dev/array_to_bytes/vlen_v2",
    ] {
        let m: MetadataV3 = serde_json::from_value(json!({"name": name}))?;
        let chain = zarrkit_core::array::codecs_from_metadata("/", &[m])?;
        assert_eq!(chain.create_metadatas()[0].name(), name);
    }
    let v2 =
        zarrkit_core::registry::create_codec_v2(json!({"id": NAME}).as_object().ok_or("obj")?)?;
    assert_eq!(v2.name(), NAME);
    Ok(())
}

proptest! {
    #[test]
    fn round_trip(v in proptest::collection::vec(".{0,10}", 1..50)) {
        let run = || -> Result<ArrayBytes, Box<dyn std::error::Error>> {
            let r = repr("string", v.len() as u64)?;
            let o = CodecOptions::default();
            let e = VlenV2Codec::new().encode(ArrayBytes::from_strs(&v), &r, &o)?;
            // The same bytes as numcodecs' vlen-utf8.
            let u = zarrkit_core::codec::vlen::encode("vlen-utf8", ArrayBytes::from_strs(&v).as_variable().ok_or("v")?.bytes(), ArrayBytes::from_strs(&v).as_variable().ok_or("v")?.offsets(), true)?;
            if e != u { return Err("differs from vlen-utf8".into()); }
            Ok(VlenV2Codec::new().decode(Bytes::from(e), &r, &o)?)
        };
        prop_assert_eq!(run().map_err(|e| TestCaseError::fail(e.to_string()))?, ArrayBytes::from_strs(&v));
    }
}

/// Byte strings through the Array API on a `MemoryStore`.
#[test]
fn array_round_trip_memory() -> R {
    let store = Arc::new(MemoryStore::new());
    let array = ArrayBuilder::new(vec![5], vec![2], "bytes", json!([]))
        .codecs_metadata(vec![serde_json::from_value(json!({"name": NAME}))?])
        .build(store.clone(), "/")?;
    array.store_metadata()?;
    let v: Vec<Vec<u8>> = (0..5u8).map(|i| vec![i; i as usize]).collect();
    array.store_array_subset(
        &ArraySubset::new_with_shape(vec![5]),
        ArrayBytes::from_byte_strings(&v),
    )?;
    let back = Array::open(store, "/")?;
    let got = back.retrieve_array_subset_byte_strings(&ArraySubset::new(vec![1], vec![3])?)?;
    assert_eq!(got, v[1..4].to_vec());
    Ok(())
}

/// zarrs 0.23.14's own stores (see `vectors/zarrs-writer`), older names included: every
/// element read through the Array API equals what zarrs wrote, and re-encoding each chunk
/// gives zarrs' bytes exactly (gzip: a round trip).
#[test]
fn zarrs_vectors() -> R {
    let expected: Value = serde_json::from_str(include_str!("../vectors/expected.json"))?;
    let stores = expected["stores"].as_object().ok_or("no stores")?;
    assert!(stores.len() >= 5);
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
        let gzip = std::fs::read_to_string(format!("{dir}/zarr.json"))?.contains("gzip");
        let chain: &CodecChain = array.codecs();
        for idx in ArraySubset::new_with_shape(array.chunk_grid().grid_shape(&shape)).indices() {
            let Some(stored) = array.retrieve_encoded_chunk(&idx)? else {
                continue;
            };
            let r = array.chunk_representation(&idx)?;
            let decoded = chain.decode(Bytes::from(stored.clone()), &r, &o)?;
            let again = chain.encode(decoded.clone(), &r, &o)?;
            if gzip {
                assert_eq!(
                    chain.decode(Bytes::from(again), &r, &o)?,
                    decoded,
                    "{name} {idx:?}"
                );
            } else {
                assert_eq!(again, stored, "{name} chunk {idx:?}");
                exact += 1;
            }
        }
    }
    assert!(exact >= 10, "{exact}");
    Ok(())
}
