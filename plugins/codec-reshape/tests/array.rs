//! Whole arrays through zarrkit's Array API: stores hand-built from the spec text (see
//! `vectors/generate.py`), and round trips on a `MemoryStore`.

use std::sync::Arc;

use zarrkit_core::serde_json::{self, json, Value};
use zarrkit_core::storage::MemoryStore;
use zarrkit_core::{Array, ArrayBuilder, ArraySubset, MetadataV3};
use zarrkit_store_filesystem::FilesystemStore;

use zarrkit_codec_bytes as _;
use zarrkit_codec_reshape as _;
use zarrkit_codec_transpose as _;
use zarrkit_codec_vlen_utf8 as _;
use zarrkit_dtype_numeric as _;
use zarrkit_dtype_string as _;
use zarrkit_grid_regular as _;
use zarrkit_key_default as _;

type R = Result<(), Box<dyn std::error::Error>>;

const VECTORS: &str = include_str!("../vectors/vectors.json");

fn vectors_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors")
}

fn as_f64(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

#[test]
fn hand_built_stores_read() -> R {
    let v: Value = serde_json::from_str(VECTORS)?;
    let cases = v["cases"].as_array().ok_or("no cases")?;
    assert_eq!(cases.len(), 4);
    for case in cases {
        let name = case["store"].as_str().ok_or("store")?;
        let store = Arc::new(FilesystemStore::new(vectors_dir().join(name))?);
        let array = Array::open(store, "/")?;
        let shape = array.shape().to_vec();
        let all = ArraySubset::new_with_shape(shape.clone());
        let want = case["values"].as_array().ok_or("values")?;
        let got: Vec<f64> = match case["dtype"].as_str() {
            Some("int32") => array
                .read::<Vec<i32>>(&all)?
                .into_iter()
                .map(f64::from)
                .collect(),
            Some("float32") => array
                .read::<Vec<f32>>(&all)?
                .into_iter()
                .map(f64::from)
                .collect(),
            Some("uint16") => array
                .read::<Vec<u16>>(&all)?
                .into_iter()
                .map(f64::from)
                .collect(),
            Some("int16") => array
                .read::<Vec<i16>>(&all)?
                .into_iter()
                .map(f64::from)
                .collect(),
            other => return Err(format!("dtype {other:?}").into()),
        };
        let want: Vec<f64> = want.iter().map(as_f64).collect();
        assert_eq!(got, want, "{name}");
        // A region inside one chunk, and one across chunks.
        let region =
            ArraySubset::new_with_ranges(&shape.iter().map(|&s| (s / 3)..s).collect::<Vec<_>>())?;
        let part = array.read::<zarrkit_core::ArrayBytes>(&region)?;
        let whole = array.read::<zarrkit_core::ArrayBytes>(&all)?;
        let expected = zarrkit_core::array_bytes::extract_subset(
            &whole,
            &shape,
            &region,
            array.data_type().size(),
        )?;
        assert_eq!(part, expected, "{name} region {region}");
        // The metadata written back is the metadata read.
        let written: Value = serde_json::from_slice(&array.metadata_json())?;
        let read: Value =
            serde_json::from_slice(&std::fs::read(vectors_dir().join(name).join("zarr.json"))?)?;
        assert_eq!(written["codecs"], read["codecs"], "{name}");
    }
    Ok(())
}

fn codecs(list: Value) -> Result<Vec<MetadataV3>, serde_json::Error> {
    serde_json::from_value(list)
}

#[test]
fn memory_round_trip_numeric_and_strings() -> R {
    let store = Arc::new(MemoryStore::new());
    let array = ArrayBuilder::new(vec![7, 9], vec![3, 4], "int64", -1)
        .codecs_metadata(codecs(json!([
            {"name": "reshape", "configuration": {"shape": [-1, [1]]}},
            {"name": "transpose", "configuration": {"order": [1, 0]}},
            {"name": "reshape", "configuration": {"shape": [2, 6]}},
            {"name": "bytes", "configuration": {"endian": "big"}}
        ]))?)
        .build(store.clone(), "/a")?;
    array.store_metadata()?;
    let values: Vec<i64> = (0..63).map(|i| i * 1_000_000_007 - 5).collect();
    let all = ArraySubset::new_with_shape(vec![7, 9]);
    array.write(&all, &values)?;
    let again = Array::open(store.clone(), "/a")?;
    assert_eq!(again.read::<Vec<i64>>(&all)?, values);
    let region = ArraySubset::new_with_ranges(&[2..6, 1..8])?;
    let part: Vec<i64> = again.read(&region)?;
    let want: Vec<i64> = (2..6)
        .flat_map(|r| (1..8).map(move |c| r * 9 + c))
        .map(|i| values[i as usize])
        .collect();
    assert_eq!(part, want);

    // Variable-size elements pass through unchanged too.
    let s = ArrayBuilder::new(vec![4, 6], vec![2, 3], "string", "")
        .codecs_metadata(codecs(json!([
            {"name": "reshape", "configuration": {"shape": [[0, 1]]}},
            {"name": "vlen-utf8"}
        ]))?)
        .build(store.clone(), "/s")?;
    s.store_metadata()?;
    let strings: Vec<String> = (0..24).map(|i| format!("é{}", "x".repeat(i))).collect();
    let all = ArraySubset::new_with_shape(vec![4, 6]);
    s.write(&all, &strings)?;
    let s2 = Array::open(store, "/s")?;
    assert_eq!(s2.read::<Vec<String>>(&all)?, strings);
    Ok(())
}

#[test]
fn open_fails_when_the_shape_does_not_fit_the_chunks() -> R {
    let store = Arc::new(MemoryStore::new());
    let r = ArrayBuilder::new(vec![10, 10], vec![5, 5], "uint8", 0)
        .codecs_metadata(codecs(json!([
            {"name": "reshape", "configuration": {"shape": [4, -1]}},
            {"name": "bytes"}
        ]))?)
        .build(store, "/a");
    let e = r
        .err()
        .ok_or("a reshape that cannot fit the chunk opened")?;
    assert!(e.to_string().contains("no size makes"), "{e}");
    Ok(())
}
