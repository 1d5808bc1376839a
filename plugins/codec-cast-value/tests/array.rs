//! Whole arrays through zarrkit's Array API: the hand-built stores of `vectors/generate.py`,
//! and round trips on a `MemoryStore`.

use std::sync::Arc;

use zarrkit_core::serde_json::{self, json, Value};
use zarrkit_core::storage::MemoryStore;
use zarrkit_core::{Array, ArrayBuilder, ArraySubset, MetadataV3};
use zarrkit_store_filesystem::FilesystemStore;

use zarrkit_codec_bytes as _;
use zarrkit_codec_cast_value as _;
use zarrkit_codec_scale_offset as _;
use zarrkit_dtype_numeric as _;
use zarrkit_grid_regular as _;
use zarrkit_key_default as _;

type R = Result<(), Box<dyn std::error::Error>>;

const VECTORS: &str = include_str!("../vectors/vectors.json");

#[test]
fn hand_built_stores_read() -> R {
    let v: Value = serde_json::from_str(VECTORS)?;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors");
    let stores = v["stores"].as_array().ok_or("stores")?;
    assert_eq!(stores.len(), 2);
    for s in stores {
        let name = s["store"].as_str().ok_or("store")?;
        let array = Array::open(Arc::new(FilesystemStore::new(dir.join(name))?), "/")?;
        let all = ArraySubset::new_with_shape(array.shape().to_vec());
        let want: Vec<f64> = s["expected"]
            .as_array()
            .ok_or("expected")?
            .iter()
            .map(|x| x.as_f64().unwrap_or(f64::NAN))
            .collect();
        let got: Vec<f64> = match s["dtype"].as_str() {
            Some("float64") => array.read::<Vec<f64>>(&all)?,
            Some("float32") => array
                .read::<Vec<f32>>(&all)?
                .into_iter()
                .map(f64::from)
                .collect(),
            other => return Err(format!("{other:?}").into()),
        };
        assert_eq!(got, want, "{name}");
        // Metadata written back as read (the README's "+Infinity" included).
        let written: Value = serde_json::from_slice(&array.metadata_json())?;
        let read: Value =
            serde_json::from_slice(&std::fs::read(dir.join(name).join("zarr.json"))?)?;
        assert_eq!(written["codecs"], read["codecs"], "{name}");
    }
    Ok(())
}

fn codecs(v: Value) -> Result<Vec<MetadataV3>, serde_json::Error> {
    serde_json::from_value(v)
}

#[test]
fn memory_round_trips() -> R {
    let store = Arc::new(MemoryStore::new());
    // float64 stored as float32: the chunk after the codec is float32 (4 bytes per element).
    let a = ArrayBuilder::new(vec![10], vec![4], "float64", "NaN")
        .codecs_metadata(codecs(json!([
            {"name": "cast_value", "configuration": {"data_type": "float32", "out_of_range": "clamp"}},
            {"name": "bytes", "configuration": {"endian": "little"}}
        ]))?)
        .build(store.clone(), "/f")?;
    a.store_metadata()?;
    let values = [0.5, -1.25, 1e300, 3.0, 0.1, 7.0, -0.0, f64::INFINITY];
    a.write(ArraySubset::new_with_shape(vec![8]), &values)?;
    let a = Array::open(store.clone(), "/f")?;
    let got: Vec<f64> = a.read(ArraySubset::new_with_shape(vec![10]))?;
    assert_eq!(&got[..4], &[0.5, -1.25, f64::INFINITY, 3.0]);
    assert_eq!(got[4], f64::from(0.1f32));
    assert!(got[6] == 0.0 && got[6].is_sign_negative());
    assert!(
        got[8].is_nan() && got[9].is_nan(),
        "missing elements read as the fill value"
    );
    assert_eq!(a.retrieve_encoded_chunk(&[0])?.map(|c| c.len()), Some(16));

    // Integers through scale_offset and a narrowing cast with wrap.
    let b = ArrayBuilder::new(vec![6], vec![3], "int32", 1000)
        .codecs_metadata(codecs(json!([
            {"name": "scale_offset", "configuration": {"offset": 1000, "scale": 1}},
            {"name": "cast_value", "configuration": {"data_type": "int8", "out_of_range": "wrap"}},
            {"name": "bytes"}
        ]))?)
        .build(store.clone(), "/i")?;
    b.store_metadata()?;
    let ints = [1000, 1127, 872, 1001, 999, 1128];
    b.write(ArraySubset::new_with_shape(vec![6]), &ints)?;
    let got: Vec<i32> =
        Array::open(store.clone(), "/i")?.read(ArraySubset::new_with_shape(vec![6]))?;
    // 1128 - 1000 = 128 wraps to -128, which decodes to 872: `wrap` is lossy by design.
    assert_eq!(got, vec![1000, 1127, 872, 1001, 999, 872]);

    // A fill value that does not survive the round trip: opens, reads, refuses writes.
    let c = ArrayBuilder::new(vec![4], vec![2], "float64", 0.1)
        .codecs_metadata(codecs(json!([
            {"name": "cast_value", "configuration": {"data_type": "float32"}},
            {"name": "bytes", "configuration": {"endian": "little"}}
        ]))?)
        .build(store.clone(), "/c")?;
    c.store_metadata()?;
    let c = Array::open(store, "/c")?;
    assert_eq!(
        c.read::<Vec<f64>>(ArraySubset::new_with_shape(vec![4]))?,
        vec![0.1; 4]
    );
    let e = c
        .write(ArraySubset::new_with_shape(vec![2]), &[1.0f64, 2.0])
        .err()
        .ok_or("wrote with a fill value that does not round-trip")?;
    assert!(e.to_string().contains("does not survive"), "{e}");
    Ok(())
}
