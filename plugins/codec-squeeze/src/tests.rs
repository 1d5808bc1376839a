use super::*;
use proptest::prelude::*;
use zarrkit_core::codec::{ArrayToBytesCodecTraits, Bytes, CodecChain};
use zarrkit_core::data_type::DataType;
use zarrkit_core::serde_json::{self, json};
use zarrkit_core::storage::MemoryStore;
use zarrkit_core::{Array, ArrayBuilder, FillValue};

// Link the plugins the tests resolve by name.
use zarrkit_codec_bytes as _;
use zarrkit_codec_transpose as _;
use zarrkit_codec_vlen_utf8 as _;
use zarrkit_dtype_numeric as _;
use zarrkit_dtype_string as _;
use zarrkit_grid_regular as _;
use zarrkit_key_default as _;

type R = Result<(), Box<dyn std::error::Error>>;

fn repr(dtype: &str, shape: &[u64]) -> Result<ChunkRepresentation, Box<dyn std::error::Error>> {
    let d: DataType = zarrkit_core::registry::data_type_by_name(dtype)?;
    let n = d.size().fixed().unwrap_or(0);
    Ok(ChunkRepresentation::new(
        shape.to_vec(),
        d,
        FillValue::new(vec![0; n]),
    ))
}

fn subset(start: &[u64], shape: &[u64]) -> Result<ArraySubset, Box<dyn std::error::Error>> {
    Ok(ArraySubset::new(start.to_vec(), shape.to_vec())?)
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
fn shapes() -> R {
    for (decoded, encoded) in [
        (&[1, 5, 1, 6][..], &[5, 6][..]),
        (&[3, 1, 2], &[3, 2]),
        (&[1, 1, 1], &[1]),
        (&[1], &[1]),
        (&[7], &[7]),
        (&[2, 3], &[2, 3]),
    ] {
        let r = SqueezeCodec.encoded_representation(&repr("uint16", decoded)?)?;
        assert_eq!(r.shape, encoded, "{decoded:?}");
        assert_eq!(r.data_type.name(), "uint16");
    }
    Ok(())
}

#[test]
fn encoded_regions() -> R {
    let r = repr("uint8", &[1, 5, 1, 6])?;
    assert_eq!(
        SqueezeCodec.encoded_region(&subset(&[0, 1, 0, 2], &[1, 3, 1, 4])?, &r),
        Some(subset(&[1, 2], &[3, 4])?)
    );
    let r = repr("uint8", &[1, 1])?;
    assert_eq!(
        SqueezeCodec.encoded_region(&subset(&[0, 0], &[1, 1])?, &r),
        Some(subset(&[0], &[1])?)
    );
    assert_eq!(
        SqueezeCodec.encoded_region(&subset(&[0], &[1])?, &r),
        None,
        "wrong rank"
    );
    Ok(())
}

#[test]
fn configuration() -> R {
    let create = |j: Value| -> Result<Codec, Box<dyn std::error::Error>> {
        let m: MetadataV3 = serde_json::from_value(j)?;
        Ok(zarrkit_core::registry::create_codec(&m)?)
    };
    assert!(create(json!({"name": NAME}))?
        .metadata()
        .configuration()
        .is_some());
    assert!(create(json!({"name": NAME, "configuration": {"x": 1}})).is_err());
    let v2 =
        zarrkit_core::registry::create_codec_v2(json!({"id": NAME}).as_object().ok_or("obj")?)?;
    assert_eq!(v2.name(), NAME);
    assert!(zarrkit_core::registry::create_codec_v2(
        json!({"id": NAME, "axis": 0}).as_object().ok_or("obj")?
    )
    .is_err());
    Ok(())
}

proptest! {
    /// Through a chain `[squeeze, bytes]`: the stored bytes are the `bytes` encoding of the
    /// unchanged elements, whatever the size-1 dimensions.
    #[test]
    fn chain_round_trip(shape in proptest::collection::vec(1u64..4, 1..5), seed in any::<u8>()) {
        let run = || -> Result<(), Box<dyn std::error::Error>> {
            let md: Vec<MetadataV3> = serde_json::from_value(json!([{"name": NAME}, {"name": "bytes", "configuration": {"endian": "big"}}]))?;
            let chain = zarrkit_core::array::codecs_from_metadata("/", &md)?;
            let r = repr("uint16", &shape)?;
            let n = r.num_elements_usize()?;
            let data: Vec<u8> = (0..2 * n).map(|i| (i as u8).wrapping_mul(seed)).collect();
            let o = CodecOptions::default();
            let enc = chain.encode(ArrayBytes::Fixed(data.clone()), &r, &o)?;
            let swapped: Vec<u8> = data.chunks_exact(2).flat_map(|c| [c[1], c[0]]).collect();
            if enc != swapped { return Err("not the bytes encoding".into()); }
            if chain.decode(Bytes::from(enc), &r, &o)? != ArrayBytes::Fixed(data) { return Err("round trip".into()); }
            Ok(())
        };
        run().map_err(|e| TestCaseError::fail(e.to_string()))?;
    }
}

/// A region read of a squeezed array through the Array API (the partial decoder maps the
/// region through `encoded_region`).
#[test]
fn array_region_read() -> R {
    let store = Arc::new(MemoryStore::new());
    let array = ArrayBuilder::new(vec![1, 6, 1, 8], vec![1, 3, 1, 4], "uint32", json!(0))
        .codecs_metadata(serde_json::from_value(
            json!([{"name": NAME}, {"name": "bytes", "configuration": {"endian": "little"}}]),
        )?)
        .build(store.clone(), "/")?;
    array.store_metadata()?;
    let all = ArraySubset::new_with_shape(vec![1, 6, 1, 8]);
    let v: Vec<u32> = (0..48).collect();
    array.store_array_subset_elements(&all, &v)?;
    let back = Array::open(store, "/")?;
    let got: Vec<u32> =
        back.retrieve_array_subset_elements(&subset(&[0, 2, 0, 3], &[1, 3, 1, 3])?)?;
    assert_eq!(got, vec![19, 20, 21, 27, 28, 29, 35, 36, 37]);
    Ok(())
}

/// zarrs 0.23.14's own stores (see `vectors/zarrs-writer`): every element read through the
/// Array API equals what zarrs wrote, and re-encoding each chunk gives zarrs' bytes exactly.
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
        let chain: &CodecChain = array.codecs();
        for idx in ArraySubset::new_with_shape(array.chunk_grid().grid_shape(&shape)).indices() {
            let Some(stored) = array.retrieve_encoded_chunk(&idx)? else {
                continue;
            };
            let r = array.chunk_representation(&idx)?;
            let decoded = chain.decode(Bytes::from(stored.clone()), &r, &o)?;
            assert_eq!(
                chain.encode(decoded, &r, &o)?,
                stored,
                "{name} chunk {idx:?}"
            );
            exact += 1;
        }
    }
    assert!(exact >= 10);
    Ok(())
}
