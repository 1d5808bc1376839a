//! Whole arrays through zarrkit's Array API: the hand-built stores of `vectors/generate.py`
//! (chunks encoded by numpy with zarr-python's expressions), and a `MemoryStore` round trip.

use std::sync::Arc;

use zarrkit_core::serde_json::{self, json, Value};
use zarrkit_core::storage::MemoryStore;
use zarrkit_core::{Array, ArrayBuilder, ArrayBytes, ArraySubset, MetadataV3};
use zarrkit_store_filesystem::FilesystemStore;

use zarrkit_codec_bytes as _;
use zarrkit_codec_scale_offset as _;
use zarrkit_dtype_numeric as _;
use zarrkit_grid_regular as _;
use zarrkit_key_default as _;

type R = Result<(), Box<dyn std::error::Error>>;

const VECTORS: &str = include_str!("../vectors/vectors.json");

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .filter_map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[test]
fn hand_built_stores_read() -> R {
    let v: Value = serde_json::from_str(VECTORS)?;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors");
    for s in v["stores"].as_array().ok_or("stores")? {
        let name = s["store"].as_str().ok_or("store")?;
        let array = Array::open(Arc::new(FilesystemStore::new(dir.join(name))?), "/")?;
        let all = ArraySubset::new_with_shape(array.shape().to_vec());
        let got = array.read::<ArrayBytes>(&all)?;
        let size = array.data_type().size().fixed().ok_or("size")?;
        let mut want = unhex(s["expected_le"].as_str().ok_or("expected")?);
        if cfg!(target_endian = "big") {
            want.chunks_exact_mut(size).for_each(<[u8]>::reverse);
        }
        assert_eq!(got.as_fixed(), Some(want.as_slice()), "{name}");
    }
    Ok(())
}

#[test]
fn memory_round_trip() -> R {
    let store = Arc::new(MemoryStore::new());
    let codecs: Vec<MetadataV3> = serde_json::from_value(json!([
        {"name": "scale_offset", "configuration": {"offset": -1000, "scale": 4}},
        {"name": "bytes", "configuration": {"endian": "little"}}
    ]))?;
    let array = ArrayBuilder::new(vec![9, 7], vec![4, 4], "int32", 17)
        .codecs_metadata(codecs)
        .build(store.clone(), "/i")?;
    array.store_metadata()?;
    let values: Vec<i32> = (0..63).map(|i| i * 101 - 3000).collect();
    let region = ArraySubset::new_with_ranges(&[0..9, 0..7])?;
    array.write(&region, &values)?;
    let again = Array::open(store.clone(), "/i")?;
    assert_eq!(again.read::<Vec<i32>>(&region)?, values);
    // A stored chunk holds (x - offset) * scale.
    let chunk = again.retrieve_encoded_chunk(&[0, 0])?.ok_or("no chunk")?;
    assert_eq!(&chunk[..4], &((values[0] + 1000) * 4).to_le_bytes());
    // Missing chunks read as the fill value; a partial region through the partial decoder.
    let big = ArrayBuilder::new(vec![20], vec![5], "float32", 2.5)
        .codecs_metadata(serde_json::from_value(json!([
            {"name": "scale_offset", "configuration": {"offset": 2, "scale": 0.5}},
            {"name": "bytes", "configuration": {"endian": "big"}}
        ]))?)
        .build(store.clone(), "/f")?;
    big.store_metadata()?;
    big.write(
        ArraySubset::new_with_shape(vec![5]).offset_by(&[5]),
        &[1.0f32, 2.0, 3.0, 4.0, 5.0],
    )?;
    let f = Array::open(store, "/f")?;
    let got: Vec<f32> = f.read(ArraySubset::new_with_shape(vec![9]).offset_by(&[3]))?;
    assert_eq!(got, vec![2.5, 2.5, 1.0, 2.0, 3.0, 4.0, 5.0, 2.5, 2.5]);
    Ok(())
}
