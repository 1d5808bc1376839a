//! The zarrkit-conformance store suite on the zip store.
//!
//! The zip store is read-only, and the suite writes; so it runs on a wrapper whose writes go
//! to a staging `MemoryStore` after which the wrapper writes a new archive of the staging
//! store's contents with `write_zip` (a new value of the archive's key, so a new version)
//! — while **every read and listing goes through the zip store** over the archive, which
//! must notice each new archive (`with_revalidate`). The suite's read parts (absent keys,
//! values, byte ranges, scatter reads, out-of-bounds ranges, versions and stale-version
//! reads, listings) thus check the zip store; its write parts check the wrapper.

use std::sync::Arc;

use zarrkit_conformance::suites::store::store_suite;
use zarrkit_core::storage::asynchronous::{AsyncToSyncAdapter, FuturesBlockOn, SyncToAsyncAdapter};
use zarrkit_core::storage::{
    ByteRange, Bytes, ListDir, ListableStorageTraits, MemoryStore, ReadResult,
    ReadableStorageTraits, StoreKey, StorePrefix, Version, WritableStorageTraits,
};
use zarrkit_core::StorageError;
use zarrkit_store_zip::{
    write_zip_to_store, AsyncZipStore, Zip64Mode, ZipCompression, ZipStore, ZipStoreOptions,
    ZipWriteOptions,
};

type R = Result<(), Box<dyn std::error::Error>>;

struct Rebuilding<Z> {
    staging: MemoryStore,
    archive: Arc<MemoryStore>,
    key: StoreKey,
    write: ZipWriteOptions,
    zip: Z,
}

impl<Z> Rebuilding<Z> {
    fn rebuild(&self) -> Result<(), StorageError> {
        write_zip_to_store(&self.staging, &*self.archive, &self.key, &self.write).map(|_| ())
    }
}

impl<Z: ReadableStorageTraits> ReadableStorageTraits for Rebuilding<Z> {
    fn read(
        &self,
        key: &StoreKey,
        ranges: &[ByteRange],
        if_version: Option<&Version>,
    ) -> Result<Option<ReadResult>, StorageError> {
        self.zip.read(key, ranges, if_version)
    }
    fn get_into(&self, key: &StoreKey, bufs: &mut [&mut [u8]]) -> Result<bool, StorageError> {
        self.zip.get_into(key, bufs)
    }
}

impl<Z: ListableStorageTraits> ListableStorageTraits for Rebuilding<Z> {
    fn list_prefix(&self, prefix: &StorePrefix) -> Result<Vec<StoreKey>, StorageError> {
        self.zip.list_prefix(prefix)
    }
    fn list_dir(&self, prefix: &StorePrefix) -> Result<ListDir, StorageError> {
        self.zip.list_dir(prefix)
    }
}

impl<Z: Send + Sync> WritableStorageTraits for Rebuilding<Z> {
    fn set(&self, key: &StoreKey, value: Bytes) -> Result<(), StorageError> {
        self.staging.set(key, value)?;
        self.rebuild()
    }
    fn erase(&self, key: &StoreKey) -> Result<(), StorageError> {
        self.staging.erase(key)?;
        self.rebuild()
    }
    fn erase_prefix(&self, prefix: &StorePrefix) -> Result<(), StorageError> {
        self.staging.erase_prefix(prefix)?;
        self.rebuild()
    }
}

fn start(
    write: &ZipWriteOptions,
) -> Result<(MemoryStore, Arc<MemoryStore>, StoreKey), StorageError> {
    let staging = MemoryStore::new();
    let archive = Arc::new(MemoryStore::new());
    let key = StoreKey::new("store.zip")?;
    write_zip_to_store(&staging, &*archive, &key, write)?;
    Ok((staging, archive, key))
}

fn configurations() -> Result<Vec<(ZipWriteOptions, ZipStoreOptions)>, StorageError> {
    let root = StorePrefix::new("root.zarr/")?;
    Ok(vec![
        (ZipWriteOptions::new(), ZipStoreOptions::new()),
        // Deflated entries, a tail too small to hold entries: every read goes to the archive.
        (
            ZipWriteOptions::new().with_compression(ZipCompression::Deflated(6)),
            ZipStoreOptions::new().with_tail_read_bytes(0),
        ),
        (
            ZipWriteOptions::new()
                .with_zip64(Zip64Mode::Always)
                .with_root(root.clone()),
            ZipStoreOptions::new()
                .with_root(root)
                .with_tail_read_bytes(0),
        ),
    ])
}

#[test]
fn store_suite_sync() -> R {
    for (write, read) in configurations()? {
        let (staging, archive, key) = start(&write)?;
        let zip = ZipStore::open(archive.clone(), key.clone(), read.with_revalidate(true))?;
        let store = Rebuilding {
            staging,
            archive,
            key,
            write,
            zip,
        };
        let report = store_suite(&store)?;
        assert!(report.failures.is_empty());
    }
    Ok(())
}

#[test]
fn store_suite_async() -> R {
    for (write, read) in configurations()? {
        let (staging, archive, key) = start(&write)?;
        let inner = Arc::new(SyncToAsyncAdapter::inline(archive.clone()));
        let zip = AsyncZipStore::new(inner, key.clone(), read.with_revalidate(true));
        let zip = AsyncToSyncAdapter::new(Arc::new(zip), FuturesBlockOn);
        let store = Rebuilding {
            staging,
            archive,
            key,
            write,
            zip,
        };
        store_suite(&store)?;
    }
    Ok(())
}
