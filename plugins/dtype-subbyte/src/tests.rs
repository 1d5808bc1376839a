use super::*;
use proptest::prelude::*;
use zarrkit_core::serde_json::{self, json};
use zarrkit_core::storage::{MemoryStore, ReadableStorageExt, StoreKey, WritableStorageTraits};
use zarrkit_core::{Array, ArrayBuilder, ArrayBytes, ArraySubset};

// Link the plugins the array tests resolve by name.
use zarrkit_codec_bytes as _;
use zarrkit_codec_packbits as _;
use zarrkit_grid_regular as _;
use zarrkit_key_default as _;

type R = Result<(), Box<dyn std::error::Error>>;

/// ml_dtypes 0.7.0 vectors (`vectors/generate.py`).
const ML_DTYPES: &str = include_str!("../vectors/ml_dtypes.json");

fn kind(name: &str) -> Result<SubByteKind, String> {
    SubByteKind::ALL
        .into_iter()
        .find(|k| k.name() == name)
        .ok_or_else(|| name.to_string())
}

fn put(store: &MemoryStore, key: &str, value: &[u8]) -> R {
    store.set(&StoreKey::new(key)?, value.to_vec().into())?;
    Ok(())
}

#[test]
fn ml_dtypes_vectors() -> R {
    let v: Value = serde_json::from_str(ML_DTYPES)?;
    assert_eq!(v["ml_dtypes"], json!("0.7.0"));
    let types = v["types"].as_object().ok_or("types")?;
    assert_eq!(types.len(), 4);
    for (name, t) in types {
        let k = kind(name)?;
        let d = data_type(name).ok_or("data type")?;
        assert_eq!(t["bits"].as_u64(), Some(u64::from(k.bits())));
        assert_eq!(t["min"].as_i64(), Some(i64::from(k.min())));
        assert_eq!(t["max"].as_i64(), Some(i64::from(k.max())));
        // Reading: every byte, upper bits ignored, as ml_dtypes reads it.
        let dec = t["decode"].as_array().ok_or("decode")?;
        assert_eq!(dec.len(), 256);
        for (b, x) in dec.iter().enumerate() {
            assert_eq!(
                Some(i64::from(k.value(b as u8))),
                x.as_i64(),
                "{name} {b:#04x}"
            );
            // And through the fill value JSON writer.
            assert_eq!(
                d.fill_value_to_json(&FillValue::new(vec![b as u8]))?,
                x.clone(),
                "{name} {b:#04x}"
            );
        }
        // Writing: the byte ml_dtypes stores.
        for pair in t["encode"].as_array().ok_or("encode")? {
            let value = pair[0].as_i64().ok_or("value")? as i8;
            let byte = pair[1].as_u64().ok_or("byte")? as u8;
            assert_eq!(k.byte(value), Some(byte), "{name} {value}");
        }
        // Fill values.
        for pair in t["fill"].as_array().ok_or("fill")? {
            let text = pair[0].as_str().ok_or("text")?;
            let j: Value = serde_json::from_str(text)?;
            match pair[1].as_str() {
                Some(hex) => {
                    let fv = d.fill_value_from_json(&j)?;
                    assert_eq!(
                        fv.as_bytes(),
                        [u8::from_str_radix(hex, 16)?],
                        "{name} {text}"
                    );
                    assert_eq!(d.fill_value_to_json(&fv)?, j);
                }
                None => assert!(
                    d.fill_value_from_json(&j).is_err(),
                    "{name} accepted {text}"
                ),
            }
        }
    }
    Ok(())
}

#[test]
fn names_and_capabilities() -> R {
    for k in SubByteKind::ALL {
        let d = zarrkit_core::registry::data_type_by_name(k.name())?;
        assert_eq!(d.name(), k.name());
        assert_eq!(d.size(), DataTypeSize::Fixed(1));
        assert_eq!(d.endianness_unit(), None);
        assert_eq!(d.element_kind(), Some(ElementKind::RawBytes(1)));
        assert_eq!(d.to_v2_dtype('|'), None);
        assert!(d.validate_elements(&(0..=255).collect::<Vec<u8>>()).is_ok());
        let m: MetadataV3 = serde_json::from_value(json!({"name": k.name(), "configuration": {}}))?;
        assert_eq!(
            zarrkit_core::registry::create_data_type(&m)?.name(),
            k.name()
        );
        let m: MetadataV3 =
            serde_json::from_value(json!({"name": k.name(), "configuration": {"bits": 4}}))?;
        assert!(zarrkit_core::registry::create_data_type(&m).is_err());
        assert!(d.fill_value_to_json(&FillValue::new(vec![])).is_err());
        assert!(d.fill_value_to_json(&FillValue::new(vec![0, 0])).is_err());
    }
    assert!(zarrkit_core::registry::data_type_by_name("int1").is_err());
    Ok(())
}

#[test]
fn element_types() {
    assert_eq!(Int4::new(-1).map(Int4::to_bits), Some(0x0f));
    assert_eq!(Int4::new(8), None);
    assert_eq!(Int4::new(-9), None);
    assert_eq!(Int4::from_bits(0xff).get(), -1); // zarrs' sign-extended form
    assert_eq!(Int4::from_bits(0x17).get(), 7); // garbage upper bits
    assert_eq!(Int4::from_bits(0xff), Int4::from_bits(0x0f));
    assert_eq!(Int4::new_wrapping(9).get(), -7);
    assert_eq!((Int4::MIN.get(), Int4::MAX.get()), (-8, 7));
    assert_eq!((Int2::MIN.get(), Int2::MAX.get()), (-2, 1));
    assert_eq!((UInt2::MIN.get(), UInt2::MAX.get()), (0, 3));
    assert_eq!((UInt4::MIN.get(), UInt4::MAX.get()), (0, 15));
    assert_eq!(UInt4::new(-1), None);
    assert_eq!(UInt2::from_bits(0xfe).get(), 2);
    assert_eq!(Int2::try_from(-2).map(i8::from), Ok(-2));
    assert_eq!(Int2::try_from(2), Err(2));
}

#[test]
fn arrays_round_trip_every_type() -> R {
    for k in SubByteKind::ALL {
        let store = Arc::new(MemoryStore::new());
        let n = (i16::from(k.max()) - i16::from(k.min()) + 1) as u64;
        let a = ArrayBuilder::new(vec![n + 3], vec![n], k.name(), k.max())
            .build(store.clone(), "/a")?;
        a.store_metadata()?;
        let values: Vec<i8> = (k.min()..=k.max()).collect();
        let bytes: Vec<u8> = values.iter().filter_map(|&v| k.byte(v)).collect();
        let sub = ArraySubset::new_with_shape(vec![n]);
        macro_rules! typed {
            ($t:ty) => {{
                let input: Vec<$t> = values.iter().filter_map(|&v| <$t>::new(v)).collect();
                a.write(sub.clone(), &input)?;
                let b = Array::open(store.clone(), "/a")?;
                let all: Vec<$t> = b.read(ArraySubset::new_with_shape(vec![n + 3]))?;
                let got: Vec<i8> = all.iter().map(|x| x.get()).collect();
                assert_eq!(&got[..n as usize], values.as_slice());
                assert!(got[n as usize..].iter().all(|&x| x == k.max()));
            }};
        }
        match k {
            SubByteKind::Int2 => typed!(Int2),
            SubByteKind::Int4 => typed!(Int4),
            SubByteKind::UInt2 => typed!(UInt2),
            SubByteKind::UInt4 => typed!(UInt4),
        }
        // Stored masked, as ml_dtypes and tensorstore store them.
        let chunk = store.get(&StoreKey::new("a/c/0")?)?.ok_or("chunk")?;
        assert_eq!(&chunk[..], bytes.as_slice(), "{}", k.name());
        // Numeric element types are refused; raw bytes are the stored bytes.
        let b = Array::open(store.clone(), "/a")?;
        assert!(b.read::<Vec<i8>>(sub.clone()).is_err());
        assert!(b.read::<Vec<u8>>(sub.clone()).is_err());
        let raw: Vec<[u8; 1]> = b.read(sub.clone())?;
        assert_eq!(raw.iter().map(|r| r[0]).collect::<Vec<_>>(), bytes);
        // Sign-extended bytes (zarrs) and garbage upper bits read as the same values.
        let foreign: Vec<u8> = values
            .iter()
            .map(|&v| v as u8 | if k.signed() { 0 } else { 0xa0 })
            .collect();
        put(&store, "a/c/0", &foreign)?;
        let got: ArrayBytes = b.read(sub.clone())?;
        let got = got.into_fixed().ok_or("fixed")?;
        assert_eq!(got.iter().map(|&x| k.value(x)).collect::<Vec<_>>(), values);
        // Metadata written back as read.
        let back: Value = serde_json::from_slice(&b.metadata_json())?;
        assert_eq!(back["fill_value"], json!(k.max()));
        assert_eq!(back["data_type"], json!(k.name()));
    }
    Ok(())
}

#[test]
fn bad_input_is_an_error() -> R {
    let store = Arc::new(MemoryStore::new());
    let a = ArrayBuilder::new(vec![4], vec![4], "int4", -8).build(store.clone(), "/t")?;
    a.store_metadata()?;
    for len in [0usize, 3, 5] {
        put(&store, "t/c/0", &vec![0xff; len])?;
        let b = Array::open(store.clone(), "/t")?;
        assert!(
            b.read::<ArrayBytes>(ArraySubset::new_with_shape(vec![4]))
                .is_err(),
            "{len}"
        );
    }
    for (dt, fill) in [
        ("int4", json!(8)),
        ("uint2", json!(-1)),
        ("int2", json!(1.0)),
        ("uint4", json!("0x1")),
    ] {
        let doc = json!({"zarr_format": 3, "node_type": "array", "shape": [4],
            "data_type": dt, "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [4]}},
            "chunk_key_encoding": {"name": "default"}, "fill_value": fill,
            "codecs": [{"name": "bytes"}]});
        put(&store, "x/zarr.json", &serde_json::to_vec(&doc)?)?;
        let e = Array::open(store.clone(), "/x").err().ok_or("opened")?;
        assert!(e.to_string().contains(dt), "{e}");
    }
    Ok(())
}

#[test]
fn packbits_refuses_these_types() -> R {
    // zarr-extensions `packbits` stores these in 2 or 4 bits; the registered `packbits`
    // codec cannot learn that width from a data type and refuses them at open.
    let store = Arc::new(MemoryStore::new());
    for dt in ["int2", "int4", "uint2", "uint4"] {
        let doc = json!({"zarr_format": 3, "node_type": "array", "shape": [4],
            "data_type": dt, "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [4]}},
            "chunk_key_encoding": {"name": "default"}, "fill_value": 0,
            "codecs": [{"name": "packbits", "configuration": {"padding_encoding": "first_byte"}}]});
        put(&store, "p/zarr.json", &serde_json::to_vec(&doc)?)?;
        let e = Array::open(store.clone(), "/p").err().ok_or("opened")?;
        assert!(e.to_string().contains("packbits"), "{e}");
    }
    Ok(())
}

#[test]
fn reads_stores_written_by_tensorstore() -> R {
    let stores: [(&str, &[u8], &[u8]); 2] = [
        (
            "int2",
            include_bytes!("../vectors/tensorstore/int2/zarr.json"),
            include_bytes!("../vectors/tensorstore/int2/c/0"),
        ),
        (
            "int4",
            include_bytes!("../vectors/tensorstore/int4/zarr.json"),
            include_bytes!("../vectors/tensorstore/int4/c/0"),
        ),
    ];
    let expected: Value =
        serde_json::from_str(include_str!("../vectors/tensorstore/expected.json"))?;
    assert_eq!(expected["tensorstore"], json!("0.1.86"));
    for (name, zarr_json, chunk) in stores {
        let k = kind(name)?;
        let e = &expected["arrays"][name];
        let n = e["n"].as_u64().ok_or("n")?;
        // tensorstore stores the masked bytes (int4 -8..=7 = 08 .. 0f 00 .. 07).
        let masked: Vec<u8> = (k.min()..=k.max()).filter_map(|v| k.byte(v)).collect();
        assert_eq!(chunk, masked.as_slice(), "{name}");
        let store = Arc::new(MemoryStore::new());
        put(&store, "a/zarr.json", zarr_json)?;
        put(&store, "a/c/0", chunk)?;
        let a = Array::open(store.clone(), "/a")?;
        macro_rules! values {
            ($t:ty) => {{
                let v: Vec<$t> = a.read(ArraySubset::new_with_shape(vec![n + 4]))?;
                v.iter().map(|x| i64::from(x.get())).collect::<Vec<i64>>()
            }};
        }
        let got = match k {
            SubByteKind::Int2 => values!(Int2),
            _ => values!(Int4),
        };
        let theirs: Vec<i64> = e["values"]
            .as_array()
            .ok_or("values")?
            .iter()
            .filter_map(Value::as_i64)
            .collect();
        assert_eq!(got, theirs, "{name}");
        assert_eq!(
            a.data_type().fill_value_to_json(a.fill_value())?,
            e["fill"].clone()
        );
        let back: Value = serde_json::from_slice(&a.metadata_json())?;
        assert_eq!(back, serde_json::from_slice::<Value>(zarr_json)?, "{name}");
    }
    Ok(())
}

proptest! {
    #[test]
    fn value_ignores_upper_bits(b in any::<u8>()) {
        for k in SubByteKind::ALL {
            let v = k.value(b);
            prop_assert!(k.min() <= v && v <= k.max());
            prop_assert_eq!(v, k.value(b & k.mask()));
            prop_assert_eq!(k.byte(v), Some(b & k.mask()));
        }
    }
}
