//! The `zip+file` URL scheme through the store registry, sync and async, over the
//! filesystem store.

use std::sync::Arc;

use zarrkit_core::storage::{
    Bytes, ListableStorageTraits, MemoryStore, ReadableStorageExt, StoreKey, StorePrefix,
    WritableStorageTraits,
};
use zarrkit_core::{Array, ArrayBuilder, Region, StorageError};
use zarrkit_store_zip::{write_zip, ZipWriteOptions};

use zarrkit_codec_bytes as _;
use zarrkit_codec_gzip as _;
use zarrkit_dtype_numeric as _;
use zarrkit_grid_regular as _;
use zarrkit_key_default as _;
use zarrkit_store_filesystem as _;

type R = Result<(), Box<dyn std::error::Error>>;

fn write_archive(path: &std::path::Path, root: &str) -> R {
    let src = Arc::new(MemoryStore::new());
    let a = ArrayBuilder::new(vec![6, 8], vec![3, 4], "int32", -1)
        .codecs_metadata(vec![
            zarrkit_core::serde_json::from_str(
                r#"{"name":"bytes","configuration":{"endian":"little"}}"#,
            )?,
            zarrkit_core::serde_json::from_str(r#"{"name":"gzip","configuration":{"level":5}}"#)?,
        ])
        .build(src.clone(), "/")?;
    a.store_metadata()?;
    a.write(Region::all(&[6, 8]), &(0..48).collect::<Vec<i32>>())?;
    let f = std::fs::File::create(path)?;
    write_zip(
        &*src,
        f,
        &ZipWriteOptions::new().with_root(StorePrefix::new(root)?),
    )?;
    Ok(())
}

#[test]
fn zip_file_urls() -> R {
    let dir = tempfile::tempdir()?;
    let plain = dir.path().join("a.zip");
    write_archive(&plain, "")?;
    let nested = dir.path().join("nested.zip");
    write_archive(&nested, "data.zarr/")?;
    for url in [
        format!("zip+file://{}", plain.display()),
        format!("zip+file://{}#data.zarr", nested.display()),
        format!("zip+file://{}#data.zarr/", nested.display()),
    ] {
        let store = zarrkit_core::registry::open_store(&url)?;
        assert_eq!(store.list()?.len(), 1 + 4);
        let a = Array::open(store.clone(), "/")?;
        assert_eq!(
            a.read::<Vec<i32>>(Region::all(&[6, 8]))?,
            (0..48).collect::<Vec<i32>>()
        );
        assert!(matches!(
            store.set(&StoreKey::new("x")?, Bytes::new()),
            Err(StorageError::Unsupported(_))
        ));
        let store = zarrkit_core::registry::open_store_async(&url)?;
        let got: Vec<i32> = futures::executor::block_on(async {
            let a = Array::open_async(store, "/").await?;
            a.read_async(Region::all(&[6, 8])).await
        })?;
        assert_eq!(got, (0..48).collect::<Vec<i32>>());
    }
    // A missing archive: an error at open (sync), at the first call (async).
    let missing = format!("zip+file://{}", dir.path().join("missing.zip").display());
    assert!(zarrkit_core::registry::open_store(&missing).is_err());
    let store = zarrkit_core::registry::open_store_async(&missing)?;
    let r = futures::executor::block_on(async {
        use zarrkit_core::storage::asynchronous::AsyncReadableStorageExt;
        store.get(&StoreKey::new("zarr.json")?).await
    });
    assert!(r.is_err());
    // Through the store's own key API too.
    let store = zarrkit_core::registry::open_store(&format!("zip+file://{}", plain.display()))?;
    assert!(store.get(&StoreKey::new("zarr.json")?)?.is_some());
    Ok(())
}
