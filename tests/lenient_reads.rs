//! Metadata other writers produce that a strict reader refuses, read as those writers read
//! it (issue: "read everything other implementations write"). Each document is byte for
//! byte what zarr-python writes for the case; `conformance/foreign` writes the same cases
//! with zarr-python itself.

use std::sync::Arc;

use zarrkit::json;
use zarrkit::serde_json::Value;
use zarrkit::storage::{ReadableStorageExt, StoreKey, WritableStorageTraits};
use zarrkit::{Array, ArraySubset, Group};
use zarrkit_core::storage::MemoryStore;

type R = Result<(), Box<dyn std::error::Error>>;

fn put(store: &MemoryStore, key: &str, text: &str) -> R {
    store.set(&StoreKey::new(key)?, text.as_bytes().to_vec().into())?;
    Ok(())
}

fn get(store: &MemoryStore, key: &str) -> Result<String, Box<dyn std::error::Error>> {
    let b = store.get(&StoreKey::new(key)?)?.ok_or("missing")?;
    Ok(String::from_utf8(b.to_vec())?)
}

/// zarr-python (Python's `json`) writes non-finite attribute values as bare tokens.
#[test]
fn bare_non_finite_tokens_in_v3_metadata() -> R {
    let store = Arc::new(MemoryStore::new());
    put(
        &store,
        "zarr.json",
        r#"{
  "shape": [4],
  "data_type": "float64",
  "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [2]}},
  "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
  "fill_value": "NaN",
  "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}],
  "attributes": {"_FillValue": NaN, "valid_range": [-Infinity, Infinity], "units": "K", "note": "NaN stays a string"},
  "zarr_format": 3,
  "node_type": "array",
  "storage_transformers": []
}"#,
    )?;
    let a = Array::open(store.clone(), "/")?;
    let attrs = a.attributes();
    assert!(json::as_f64(&attrs["_FillValue"]).is_some_and(f64::is_nan));
    assert_eq!(
        json::as_f64(&attrs["valid_range"][0]),
        Some(f64::NEG_INFINITY)
    );
    assert_eq!(json::as_f64(&attrs["valid_range"][1]), Some(f64::INFINITY));
    assert_eq!(attrs["note"], Value::from("NaN stays a string"));
    let v: Vec<f64> = a.read(ArraySubset::new_with_shape(vec![4]))?;
    assert!(v.iter().all(|x| x.is_nan()));
    // Written back as read: bare tokens, the string untouched.
    a.store_metadata()?;
    let text = get(&store, "zarr.json")?;
    assert!(text.contains("\"_FillValue\": NaN"), "{text}");
    assert!(text.contains("-Infinity,"), "{text}");
    assert!(text.contains("\"NaN stays a string\""), "{text}");
    assert!(!text.contains("__zarrkit"), "{text}");
    Array::open(store.clone(), "/")?;
    Ok(())
}

/// V2: `.zattrs` with bare tokens, and a float fill value written as bare `NaN`.
#[test]
fn bare_non_finite_tokens_in_v2_metadata() -> R {
    let store = Arc::new(MemoryStore::new());
    put(&store, ".zgroup", "{\n    \"zarr_format\": 2\n}")?;
    put(&store, ".zattrs", "{\n    \"missing\": NaN\n}")?;
    put(
        &store,
        "t/.zarray",
        r#"{
    "chunks": [2],
    "compressor": null,
    "dtype": "<f4",
    "fill_value": NaN,
    "filters": null,
    "order": "C",
    "shape": [3],
    "zarr_format": 2
}"#,
    )?;
    put(&store, "t/.zattrs", "{\n    \"scale\": -Infinity\n}")?;
    let g = Group::open(store.clone(), "/")?;
    assert!(json::as_f64(&g.attributes()["missing"]).is_some_and(f64::is_nan));
    let a = Array::open(store.clone(), "/t")?;
    assert_eq!(
        json::as_f64(&a.attributes()["scale"]),
        Some(f64::NEG_INFINITY)
    );
    let v: Vec<f32> = a.read(ArraySubset::new_with_shape(vec![3]))?;
    assert!(v.iter().all(|x| x.is_nan()));
    a.store_metadata()?;
    assert!(get(&store, "t/.zarray")?.contains("\"fill_value\": NaN"));
    assert!(get(&store, "t/.zattrs")?.contains("-Infinity"));
    Ok(())
}

/// zarr-python 2 wrote `"fill_value": 0` for every object (vlen-utf8 / vlen-bytes) array,
/// and for `|S` / `<U` arrays: read as the empty element (`""`, `b""`, all-zero bytes).
#[test]
fn v2_string_arrays_with_fill_value_zero() -> R {
    let store = Arc::new(MemoryStore::new());
    for (name, dtype, filters) in [
        ("o", "\"|O\"", r#"[{"id": "vlen-utf8"}]"#),
        ("b", "\"|O\"", r#"[{"id": "vlen-bytes"}]"#),
        ("s", "\"|S3\"", "null"),
        ("u", "\"<U2\"", "null"),
    ] {
        put(
            &store,
            &format!("{name}/.zarray"),
            &format!(
                r#"{{"chunks": [2], "compressor": null, "dtype": {dtype}, "fill_value": 0,
                "filters": {filters}, "order": "C", "shape": [3], "zarr_format": 2}}"#
            ),
        )?;
    }
    let all = ArraySubset::new_with_shape(vec![3]);
    let o: Vec<String> = Array::open(store.clone(), "/o")?.read(&all)?;
    assert_eq!(o, vec![String::new(); 3]);
    let b: Vec<Vec<u8>> = Array::open(store.clone(), "/b")?.read(&all)?;
    assert_eq!(b, vec![Vec::<u8>::new(); 3]);
    let s = Array::open(store.clone(), "/s")?;
    assert_eq!(s.fill_value().as_bytes(), &[0, 0, 0]);
    let u = Array::open(store.clone(), "/u")?;
    assert_eq!(u.fill_value().as_bytes(), &[0; 8]);
    Ok(())
}

/// Invalid metadata that used to be accepted: `"separator": null`, and a `.zarray` without
/// the (required) `compressor` member. Each error names the member.
#[test]
fn invalid_members_are_refused() -> R {
    let store = Arc::new(MemoryStore::new());
    put(
        &store,
        "k/zarr.json",
        r#"{"shape": [4], "data_type": "uint8", "zarr_format": 3, "node_type": "array",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [2]}},
        "chunk_key_encoding": {"name": "default", "configuration": {"separator": null}},
        "fill_value": 0, "codecs": [{"name": "bytes"}]}"#,
    )?;
    let e = Array::open(store.clone(), "/k").expect_err("separator null");
    assert!(e.to_string().contains("separator"), "{e}");
    put(
        &store,
        "c/.zarray",
        r#"{"chunks": [2], "dtype": "|u1", "fill_value": 0, "filters": null,
        "order": "C", "shape": [3], "zarr_format": 2}"#,
    )?;
    let e = Array::open(store.clone(), "/c").expect_err("no compressor");
    assert!(e.to_string().contains("compressor"), "{e}");
    Ok(())
}
