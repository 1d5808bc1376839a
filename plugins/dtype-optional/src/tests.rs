use super::*;
use proptest::prelude::*;
use std::sync::Arc;
use zarrkit_core::codec::ChunkRepresentation;
use zarrkit_core::registry::create_data_type;
use zarrkit_core::serde_json::{self, json};
use zarrkit_core::storage::MemoryStore;
use zarrkit_core::{Array, ArrayBuilder, ArrayMetadata, ArraySubset};

// Link the plugins the tests resolve by name.
use zarrkit_codec_bytes as _;
use zarrkit_codec_optional as _;
use zarrkit_codec_packbits as _;
use zarrkit_codec_vlen_bytes as _;
use zarrkit_codec_vlen_utf8 as _;
use zarrkit_dtype_bytes as _;
use zarrkit_dtype_datetime as _;
use zarrkit_dtype_numeric as _;
use zarrkit_dtype_string as _;
use zarrkit_grid_regular as _;
use zarrkit_key_default as _;

type R = Result<(), Box<dyn std::error::Error>>;

fn dt(json: Value) -> Result<DataType, Box<dyn std::error::Error>> {
    let m: MetadataV3 = serde_json::from_value(json)?;
    Ok(create_data_type(&m)?)
}

fn opt(inner: &str) -> Value {
    json!({"name": "zarrs.optional", "configuration": {"name": inner, "configuration": {}}})
}

/// The JSON form of `expected.json` (`null` missing, `[v]` present, floats as hex bits, byte
/// strings as hex) of every element of `bytes`, decoded as `element` (`option<uint8>`,
/// `option<option<string>>`, ...).
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
fn names_configuration_and_sizes() -> R {
    let d = dt(opt("uint16"))?;
    assert_eq!(d.name(), "zarrs.optional");
    assert_eq!(d.size(), DataTypeSize::Fixed(3));
    assert_eq!(
        d.configuration(),
        json!({"name": "uint16", "configuration": {}})
            .as_object()
            .cloned()
    );
    // The older name is read and written back.
    let d =
        dt(json!({"name": "optional", "configuration": {"name": "int32", "configuration": {}}}))?;
    assert_eq!(d.name(), "optional");
    assert_eq!(d.size(), DataTypeSize::Fixed(5));
    // zarr-extensions: the inner configuration may be missing; written back as read.
    let d = dt(json!({"name": "zarrs.optional", "configuration": {"name": "float64"}}))?;
    assert_eq!(d.size(), DataTypeSize::Fixed(9));
    assert_eq!(
        d.configuration(),
        json!({"name": "float64"}).as_object().cloned()
    );
    // Variable-size and nested inner types.
    assert_eq!(dt(opt("string"))?.size(), DataTypeSize::Variable);
    let nested =
        json!({"name": "zarrs.optional", "configuration": opt("uint8")["configuration"].clone()});
    let nested = json!({"name": "zarrs.optional", "configuration": {"name": "zarrs.optional", "configuration": nested["configuration"]}});
    assert_eq!(dt(nested)?.size(), DataTypeSize::Fixed(3));
    // An inner type with a configuration of its own.
    let d = dt(
        json!({"name": "zarrs.optional", "configuration": {"name": "numpy.datetime64", "configuration": {"unit": "s", "scale_factor": 1}}}),
    )?;
    assert_eq!(d.size(), DataTypeSize::Fixed(9));
    // Built in code: zarrs' form, `configuration: {}` for an inner type without one.
    let d = OptionalDataType::new(zarrkit_core::registry::data_type_by_name("bool")?);
    assert_eq!(
        d.configuration(),
        json!({"name": "bool", "configuration": {}})
            .as_object()
            .cloned()
    );
    assert_eq!(d.inner().name(), "bool");
    Ok(())
}

#[test]
fn bad_configurations_are_rejected() -> R {
    for bad in [
        json!({"name": "zarrs.optional"}),
        json!({"name": "zarrs.optional", "configuration": {}}),
        json!({"name": "zarrs.optional", "configuration": {"name": 3}}),
        json!({"name": "zarrs.optional", "configuration": {"name": "uint8", "configuration": 1}}),
        json!({"name": "zarrs.optional", "configuration": {"name": "uint8", "configuration": {}, "x": 1}}),
        json!({"name": "zarrs.optional", "configuration": {"name": "no_such_type", "configuration": {}}}),
        json!({"name": "zarrs.optional", "configuration": {"name": "uint8", "configuration": {"a": 1}}}),
    ] {
        assert!(dt(bad.clone()).is_err(), "{bad}");
    }
    Ok(())
}

#[test]
fn fill_values() -> R {
    let d = dt(opt("uint8"))?;
    assert_eq!(d.fill_value_from_json(&json!(null))?.as_bytes(), &[0, 0]);
    assert_eq!(d.fill_value_from_json(&json!([42]))?.as_bytes(), &[1, 42]);
    assert_eq!(
        d.fill_value_to_json(&FillValue::new(vec![1, 42]))?,
        json!([42])
    );
    assert_eq!(
        d.fill_value_to_json(&FillValue::new(vec![0, 0]))?,
        json!(null)
    );
    for bad in [
        json!([]),
        json!([1, 2]),
        json!(5),
        json!("x"),
        json!([300]),
        json!([null]),
        json!({}),
    ] {
        assert!(d.fill_value_from_json(&bad).is_err(), "{bad}");
    }
    assert!(d.fill_value_to_json(&FillValue::new(vec![2, 0])).is_err());
    assert!(d.fill_value_to_json(&FillValue::new(vec![])).is_err());
    let s = dt(opt("string"))?;
    assert_eq!(s.fill_value_from_json(&json!(null))?.as_bytes(), &[0]);
    assert_eq!(
        s.fill_value_from_json(&json!(["NA"]))?.as_bytes(),
        b"\x01NA"
    );
    assert_eq!(
        s.fill_value_to_json(&FillValue::new(b"\x01".to_vec()))?,
        json!([""])
    );
    let f = dt(opt("float32"))?;
    assert_eq!(
        f.fill_value_to_json(&f.fill_value_from_json(&json!(["NaN"]))?)?,
        json!(["NaN"])
    );
    let nn = dt(json!({"name": "zarrs.optional", "configuration": opt("uint8")}))?;
    assert_eq!(
        nn.fill_value_from_json(&json!(null))?.as_bytes(),
        &[0, 0, 0]
    );
    assert_eq!(
        nn.fill_value_from_json(&json!([null]))?.as_bytes(),
        &[1, 0, 0]
    );
    assert_eq!(
        nn.fill_value_from_json(&json!([[42]]))?.as_bytes(),
        &[1, 1, 42]
    );
    assert_eq!(
        nn.fill_value_to_json(&FillValue::new(vec![1, 1, 42]))?,
        json!([[42]])
    );
    assert!(nn.fill_value_from_json(&json!([[[1]]])).is_err());
    Ok(())
}

#[test]
fn element_validation() -> R {
    let d = dt(opt("bool"))?;
    assert!(d.validate_elements(&[0, 0, 1, 1, 1, 0]).is_ok());
    assert!(d.validate_elements(&[2, 0]).is_err(), "mask byte 2");
    assert!(
        d.validate_elements(&[1, 2]).is_err(),
        "the bool inside is 2"
    );
    assert!(
        d.validate_elements(&[0, 0, 1]).is_err(),
        "not whole elements"
    );
    assert!(
        d.validate_elements(&[0, 1]).is_err(),
        "a missing element with a payload"
    );
    let s = dt(opt("string"))?;
    assert!(
        s.validate_elements(&[7, 7]).is_ok(),
        "variable: not checked here"
    );
    Ok(())
}

#[test]
fn element_helpers() -> R {
    let v = vec![Some(1u16), None, Some(65535)];
    let b = encode_fixed(&v);
    assert_eq!(b, [1, 1, 0, 0, 0, 0, 1, 255, 255]);
    assert_eq!(decode_fixed::<u16>(&b)?, v);
    assert!(decode_fixed::<u16>(&b[..8]).is_err());
    assert!(decode_fixed::<u16>(&[3, 0, 0]).is_err());
    let s = from_byte_strings(&[Some("ab"), None, Some("")]);
    assert_eq!(
        s,
        ArrayBytes::Variable {
            bytes: b"\x01ab\x00\x01".to_vec(),
            offsets: vec![0, 3, 4, 5]
        }
    );
    assert_eq!(
        to_byte_strings(&s)?,
        vec![Some(&b"ab"[..]), None, Some(&b""[..])]
    );
    assert!(to_byte_strings(&ArrayBytes::Variable {
        bytes: vec![],
        offsets: vec![0, 0]
    })
    .is_err());
    assert_eq!(
        element_value(&[1, 1, 5])?.map(element_value).transpose()?,
        Some(Some(&[5u8][..]))
    );
    Ok(())
}

#[test]
fn fill_chunk() -> R {
    let d = dt(opt("string"))?;
    let f = d.fill_value_from_json(&json!(["NA"]))?;
    let r = ChunkRepresentation::new(vec![2], d, f);
    assert_eq!(r.fill()?, from_byte_strings(&[Some("NA"), Some("NA")]));
    Ok(())
}

proptest! {
    #[test]
    fn fixed_helpers_round_trip(v in proptest::collection::vec(proptest::option::of(any::<i32>()), 0..50)) {
        let b = encode_fixed(&v);
        prop_assert_eq!(b.len(), v.len() * 5);
        prop_assert_eq!(decode_fixed::<i32>(&b).map_err(TestCaseError::fail)?, v);
    }
}

/// Whole arrays through the Array API on a `MemoryStore` (data type + `zarrs.optional` codec).
#[test]
fn array_round_trip_memory() -> R {
    let store = Arc::new(MemoryStore::new());
    let array = ArrayBuilder::new(vec![5, 3], vec![2, 2], NAME, json!([9]))
        .data_type(serde_json::from_value(opt("uint16"))?)
        .codecs_metadata(vec![serde_json::from_value(
            json!({"name": "zarrs.optional", "configuration": {
            "mask_codecs": [{"name": "packbits"}],
            "data_codecs": [{"name": "bytes", "configuration": {"endian": "big"}}]}}),
        )?])
        .build(store.clone(), "/a")?;
    array.store_metadata()?;
    let values: Vec<Option<u16>> = (0..15u16)
        .map(|i| if i % 4 == 1 { None } else { Some(i * 1000) })
        .collect();
    let all = ArraySubset::new_with_shape(vec![5, 3]);
    array.store_array_subset(&all, encode_fixed(&values))?;
    let back = Array::open(store.clone(), "/a")?;
    let got = back.retrieve_array_subset(&all)?;
    assert_eq!(
        decode_fixed::<u16>(got.as_fixed().ok_or("not fixed")?)?,
        values
    );
    // A region, and a chunk never written (the fill value [9]).
    let empty = Array::open(store, "/a")?;
    let r = ArraySubset::new_with_ranges(&[1..3, 1..3])?;
    let got = empty.retrieve_array_subset(&r)?;
    assert_eq!(
        decode_fixed::<u16>(got.as_fixed().ok_or("not fixed")?)?,
        vec![Some(4000), None, Some(7000), Some(8000)]
    );

    // Strings, nested.
    let store = Arc::new(MemoryStore::new());
    let nested = json!({"name": "zarrs.optional", "configuration": opt("string")});
    let inner = json!({"name": "zarrs.optional", "configuration": {
        "mask_codecs": [{"name": "packbits"}], "data_codecs": [{"name": "vlen-utf8"}]}});
    let array = ArrayBuilder::new(vec![4], vec![4], NAME, json!([null]))
        .data_type(serde_json::from_value(nested)?)
        .codecs_metadata(vec![serde_json::from_value(
            json!({"name": "zarrs.optional", "configuration": {
            "mask_codecs": [{"name": "packbits"}], "data_codecs": [inner]}}),
        )?])
        .build(store.clone(), "/s")?;
    let elems = from_byte_strings(&[
        Some(b"\x01x".to_vec()),
        None,
        Some(b"\x00".to_vec()),
        Some(b"\x01".to_vec()),
    ]);
    array.store_array_subset(&ArraySubset::new_with_shape(vec![4]), elems.clone())?;
    let got = array.retrieve_array_subset(&ArraySubset::new_with_shape(vec![4]))?;
    assert_eq!(got, elems);
    Ok(())
}

/// zarrs 0.23.14's own arrays (see `vectors/zarrs-writer`): the data type and fill value
/// metadata zarrs wrote parse and are written back identically, and the arrays read through
/// the Array API (the second chunk, not stored, reads as the fill value).
#[test]
fn zarrs_vectors() -> R {
    let expected: Value = serde_json::from_str(include_str!("../vectors/expected.json"))?;
    let stores = expected["stores"].as_object().ok_or("no stores")?;
    assert!(stores.len() >= 9);
    for (name, e) in stores {
        let dir = format!("{}/vectors/{name}.zarr", env!("CARGO_MANIFEST_DIR"));
        let zarr_json = std::fs::read(format!("{dir}/zarr.json"))?;
        let md = zarrkit_core::ArrayMetadataV3::from_json(&zarr_json, name)?;
        let d = create_data_type(&md.data_type)?;
        assert_eq!(
            Value::Object(d.configuration().ok_or("no configuration")?),
            e["data_type"]["configuration"],
            "{name}"
        );
        let fv = d.fill_value_from_json(&md.fill_value)?;
        let written = d.fill_value_to_json(&fv)?;
        assert_eq!(d.fill_value_from_json(&written)?, fv, "{name}");
        if name == "opt_datetime64_nat" {
            // zarrs writes NaT as "NaT", zarrkit's datetime type (like zarr-python) as the
            // integer i64::MIN: the same value.
            assert_eq!(written, json!([i64::MIN]));
        } else {
            assert_eq!(written, e["fill_value"], "{name}");
        }
        let store = Arc::new(zarrkit_store_filesystem::FilesystemStore::new(&dir)?);
        let array = Array::open(store, "/")?;
        assert!(matches!(array.metadata(), ArrayMetadata::V3(_)));
        let shape: Vec<u64> = serde_json::from_value(e["shape"].clone())?;
        let got = array.retrieve_array_subset(&ArraySubset::new_with_shape(shape))?;
        let element = e["element"].as_str().ok_or("no element")?;
        let got = elements_json(element, &got).map_err(|m| format!("{name}: {m}"))?;
        check_values(name, &e["values"], &got)?;
    }
    Ok(())
}
