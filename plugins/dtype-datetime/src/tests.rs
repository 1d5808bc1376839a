use super::*;
use std::sync::Arc;
use zarrkit_core::serde_json::{self, json};
use zarrkit_core::storage::{MemoryStore, ReadableStorageExt, StoreKey, WritableStorageTraits};
use zarrkit_core::{Array, ArrayMetadata, ArraySubset};

// Link the plugins the array tests resolve by name.
use zarrkit_codec_bytes as _;
use zarrkit_grid_regular as _;
use zarrkit_key_default as _;
use zarrkit_key_v2 as _;

type R = Result<(), Box<dyn std::error::Error>>;

fn md(v: Value) -> Result<MetadataV3, serde_json::Error> {
    serde_json::from_value(v)
}

#[test]
fn v3_names_and_configuration() -> R {
    for (name, kind) in [
        (DATETIME64, TimeKind::DateTime),
        (TIMEDELTA64, TimeKind::TimeDelta),
    ] {
        for unit in UNITS {
            let m = md(json!({"name": name, "configuration": {"unit": unit, "scale_factor": 10}}))?;
            let d = zarrkit_core::registry::create_data_type(&m)?;
            assert_eq!(d.name(), name);
            assert_eq!(d.size(), DataTypeSize::Fixed(8));
            assert_eq!(d.endianness_unit(), Some(8));
            assert_eq!(d.element_kind(), Some(ElementKind::Int64));
            // The configuration is written back as read.
            assert_eq!(
                d.configuration().map(Value::Object),
                Some(json!({"unit": unit, "scale_factor": 10}))
            );
        }
        let d = TimeDataType::new(kind, "ns", 1)?;
        assert_eq!(d.kind(), kind);
    }
    for bad in [
        json!({"name": DATETIME64}),
        json!({"name": DATETIME64, "configuration": {"unit": "ms"}}),
        json!({"name": DATETIME64, "configuration": {"scale_factor": 1}}),
        json!({"name": DATETIME64, "configuration": {"unit": "ms", "scale_factor": 0}}),
        json!({"name": DATETIME64, "configuration": {"unit": "ms", "scale_factor": 2147483648u64}}),
        json!({"name": DATETIME64, "configuration": {"unit": "ms", "scale_factor": -1}}),
        json!({"name": DATETIME64, "configuration": {"unit": "ms", "scale_factor": 1.5}}),
        json!({"name": DATETIME64, "configuration": {"unit": "sec", "scale_factor": 1}}),
        json!({"name": DATETIME64, "configuration": {"unit": 1, "scale_factor": 1}}),
        json!({"name": TIMEDELTA64, "configuration": {"unit": "s", "scale_factor": 1, "x": 0}}),
    ] {
        let m = md(bad.clone())?;
        assert!(
            zarrkit_core::registry::create_data_type(&m).is_err(),
            "{bad}"
        );
    }
    Ok(())
}

#[test]
fn fill_values_as_zarr_python_writes_them() -> R {
    let d = TimeDataType::new(TimeKind::DateTime, "ms", 10)?;
    // zarr-python writes NaT as the integer i64::MIN and reads "NaT" too.
    let nat = d.fill_value_from_json(&json!("NaT"))?;
    assert_eq!(nat.as_bytes(), NAT.to_ne_bytes());
    assert_eq!(d.fill_value_to_json(&nat)?, json!(-9223372036854775808i64));
    assert_eq!(
        d.fill_value_from_json(&json!(-9223372036854775808i64))?,
        nat
    );
    for v in [0i64, 5, -1, i64::MAX] {
        let f = d.fill_value_from_json(&json!(v))?;
        assert_eq!(f.as_bytes(), v.to_ne_bytes());
        assert_eq!(d.fill_value_to_json(&f)?, json!(v));
    }
    for bad in [
        json!("nat"),
        json!(1.5),
        json!(9223372036854775808u64),
        json!(null),
        json!("2024-01-01"),
    ] {
        assert!(d.fill_value_from_json(&bad).is_err(), "{bad}");
    }
    assert!(d.fill_value_to_json(&FillValue::new(vec![0; 4])).is_err());
    Ok(())
}

#[test]
fn v2_dtype_strings() -> R {
    for (s, kind, unit, scale) in [
        ("<M8", TimeKind::DateTime, "generic", 1),
        (">M8[ns]", TimeKind::DateTime, "ns", 1),
        ("<m8[10s]", TimeKind::TimeDelta, "s", 10),
        (">m8[3us]", TimeKind::TimeDelta, "us", 3),
        ("<M8[D]", TimeKind::DateTime, "D", 1),
        ("=m8[ms]", TimeKind::TimeDelta, "ms", 1),
    ] {
        let d = TimeDataType::from_v2_dtype(s).ok_or(s)?;
        assert_eq!(
            (d.kind(), d.unit(), d.scale_factor()),
            (kind, unit, scale),
            "{s}"
        );
        // Written back with the bytes codec's byte order.
        let order = if s.starts_with('>') { '>' } else { '<' };
        assert_eq!(
            d.to_v2_dtype(order).as_deref(),
            Some(s.replace('=', "<").as_str())
        );
        // Through the registry's V2 hook.
        let r = zarrkit_core::registry::data_type_from_v2(s)?;
        assert_eq!(r.name(), kind.name());
    }
    for bad in [
        "M8",
        "|M8",
        "<M4",
        "<M8[]",
        "<M8[ns",
        "<M8[0s]",
        "<M8[xs]",
        "<M8[generic]",
        "<i8",
        "<M8[2147483648s]",
        "<m8[-1s]",
    ] {
        assert!(TimeDataType::from_v2_dtype(bad).is_none(), "{bad}");
    }
    // A generic unit with a scale has no NumPy dtype string.
    let d = TimeDataType::new(TimeKind::DateTime, "generic", 2)?;
    assert_eq!(d.to_v2_dtype('<'), None);
    Ok(())
}

fn put(store: &MemoryStore, key: &str, value: &[u8]) -> R {
    store.set(&StoreKey::new(key)?, value.to_vec().into())?;
    Ok(())
}

#[test]
fn reads_zarr_python_v3_datetime() -> R {
    // zarr.create_array(shape=(3,), dtype="M8[ms]", compressors=None, fill_value=NaT) with
    // ["2024-01-02T03:04:05.006", "NaT", "1969-12-31T23:59:59.999"] (zarr-python 3.1).
    let store = Arc::new(MemoryStore::new());
    put(&store, "t/zarr.json", br#"{"shape": [3], "data_type": {"name": "numpy.datetime64", "configuration": {"unit": "ms", "scale_factor": 1}}, "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [3]}}, "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}}, "fill_value": -9223372036854775808, "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}], "attributes": {}, "zarr_format": 3, "node_type": "array", "storage_transformers": []}"#)?;
    put(
        &store,
        "t/c/0",
        &[
            0x8e, 0xd8, 0x20, 0xc8, 0x8c, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0xff, 0xff,
            0xff, 0xff, 0xff, 0xff, 0xff,
        ],
    )?;
    let a = Array::open(store.clone(), "/t")?;
    let all = ArraySubset::new_with_shape(vec![3]);
    let v: Vec<i64> = a.retrieve_array_subset_elements(&all)?;
    assert_eq!(v, vec![1_704_164_645_006, NAT, -1]);
    assert_eq!(a.fill_value().as_bytes(), NAT.to_ne_bytes());
    // Written back identically (field order aside).
    let back: Value = serde_json::from_slice(&a.metadata_json())?;
    let orig: Value = serde_json::from_slice(
        &store
            .get(&StoreKey::new("t/zarr.json")?)?
            .ok_or("missing")?,
    )?;
    assert_eq!(back, orig);
    // Typed writes of i64; other element types are refused.
    a.store_array_subset_elements(&all, &[1i64, 2, NAT])?;
    assert_eq!(
        a.retrieve_array_subset_elements::<i64>(&all)?,
        vec![1, 2, NAT]
    );
    assert!(a.retrieve_array_subset_elements::<u64>(&all).is_err());
    Ok(())
}

#[test]
fn reads_zarr_python_v2_timedelta_and_converts() -> R {
    // zarr.create_array(shape=(3,), dtype=">m8[10s]", compressors=None, zarr_format=2,
    // fill_value=-1) with [1, -2, NaT].
    let store = Arc::new(MemoryStore::new());
    put(&store, "t/.zarray", br#"{"shape": [3], "chunks": [3], "dtype": ">m8[10s]", "fill_value": -1, "order": "C", "filters": null, "dimension_separator": ".", "compressor": null, "zarr_format": 2}"#)?;
    put(
        &store,
        "t/0",
        &[
            0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0x80, 0, 0, 0,
            0, 0, 0, 0,
        ],
    )?;
    let a = Array::open(store.clone(), "/t")?;
    let all = ArraySubset::new_with_shape(vec![3]);
    assert_eq!(
        a.retrieve_array_subset_elements::<i64>(&all)?,
        vec![1, -2, NAT]
    );
    assert_eq!(a.data_type().name(), TIMEDELTA64);
    // To V3: the data type with its unit and scale, big-endian bytes; same data.
    let m = a.to_v3()?;
    assert_eq!(
        serde_json::to_value(&m.data_type)?,
        json!({"name": "numpy.timedelta64", "configuration": {"unit": "s", "scale_factor": 10}})
    );
    let v3 = Array::new_with_metadata(store.clone(), "/t", m)?;
    assert_eq!(
        v3.retrieve_array_subset_elements::<i64>(&all)?,
        vec![1, -2, NAT]
    );
    // And back to V2 with the same dtype string.
    let m2 = v3.to_v2()?;
    assert_eq!(m2.dtype, ">m8[10s]");
    assert_eq!(m2.fill_value, json!(-1));
    assert!(matches!(a.metadata(), ArrayMetadata::V2(_)));
    Ok(())
}
