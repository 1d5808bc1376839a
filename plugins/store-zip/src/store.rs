//! [`ZipStore`] (sync) and [`AsyncZipStore`]: the same reader over a sync or an async store.

use std::sync::Arc;

use zarrkit_core::storage::{
    ByteRange, Bytes, ListDir, ListableStorageTraits, ReadResult, ReadableStorageTraits,
    SetCondition, StoreKey, StorePrefix, Version, WritableStorageTraits,
};
use zarrkit_core::StorageError;

use crate::reader::{run_sync, Shared, Snapshot, SyncSource};
use crate::ZipStoreOptions;

fn read_only() -> StorageError {
    StorageError::Unsupported(
        "writing to a zip archive (zip stores are read-only: build a new archive with \
         zarrkit_store_zip::write_zip)"
            .into(),
    )
}

/// What a store knows about the archive it reads (from its current snapshot).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveInfo {
    /// The archive's version in the inner store: the version of every value read.
    pub version: Version,
    /// The archive's size in bytes.
    pub size: u64,
    /// Entries of the central directory.
    pub entries: usize,
    /// Of which are keys (the others: directories, names outside the root or not valid
    /// keys, older duplicates of a name).
    pub keys: usize,
    /// Whether the archive has ZIP64 end records.
    pub zip64: bool,
    /// The archive comment (`.ozx`: OME-Zarr JSON).
    pub comment: Bytes,
}

impl ArchiveInfo {
    fn of(s: &Snapshot) -> Self {
        Self {
            version: s.version.clone(),
            size: s.size,
            entries: s.entry_count,
            keys: s.len(),
            zip64: s.zip64,
            comment: s.comment.clone(),
        }
    }
}

/// A read-only Zarr store inside a zip archive that is the value of `key` in the store
/// `inner` (any readable store: a directory, an object store, HTTP).
///
/// Every byte of the archive is a ranged read of `inner` demanding the archive's version;
/// see the crate documentation for what each operation costs.
pub struct ZipStore<S: ?Sized> {
    inner: Arc<S>,
    shared: Arc<Shared>,
}

impl<S: ?Sized> std::fmt::Debug for ZipStore<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZipStore")
            .field("archive", &self.shared.key)
            .field("root", &self.shared.options.root)
            .finish_non_exhaustive()
    }
}

impl<S: ReadableStorageTraits + ?Sized> ZipStore<S> {
    /// Open the archive at `key` of `inner`: reads its directory now (one suffix read of
    /// the tail, one more if the central directory does not fit in it), so that a missing or
    /// broken archive is an error here.
    pub fn open(
        inner: Arc<S>,
        key: StoreKey,
        options: ZipStoreOptions,
    ) -> Result<Self, StorageError> {
        let shared = Arc::new(Shared::new(key, options));
        run_sync(shared.snapshot(&SyncSource(&*inner)))?;
        Ok(Self { inner, shared })
    }

    /// Read the archive's directory again (after the archive was replaced: reads notice a
    /// replaced archive by themselves, listings and absent keys do not unless
    /// [`ZipStoreOptions::with_revalidate`]).
    pub fn refresh(&self) -> Result<(), StorageError> {
        run_sync(self.shared.refresh(&SyncSource(&*self.inner)))
    }

    /// The archive as of the current directory.
    pub fn info(&self) -> Result<ArchiveInfo, StorageError> {
        let s = run_sync(self.shared.snapshot(&SyncSource(&*self.inner)))?;
        Ok(ArchiveInfo::of(&s))
    }
}

impl<S: ?Sized> ZipStore<S> {
    /// The store holding the archive.
    pub fn inner(&self) -> &Arc<S> {
        &self.inner
    }

    /// The archive's key in the inner store.
    pub fn archive_key(&self) -> &StoreKey {
        &self.shared.key
    }

    /// The options.
    pub fn options(&self) -> &ZipStoreOptions {
        &self.shared.options
    }
}

impl<S: ReadableStorageTraits + ?Sized> ReadableStorageTraits for ZipStore<S> {
    fn read(
        &self,
        key: &StoreKey,
        ranges: &[ByteRange],
        if_version: Option<&Version>,
    ) -> Result<Option<ReadResult>, StorageError> {
        run_sync(
            self.shared
                .read(&SyncSource(&*self.inner), key, ranges, if_version),
        )
    }
}

impl<S: ReadableStorageTraits + ?Sized> ListableStorageTraits for ZipStore<S> {
    fn list_prefix(&self, prefix: &StorePrefix) -> Result<Vec<StoreKey>, StorageError> {
        run_sync(self.shared.list_prefix(&SyncSource(&*self.inner), prefix))
    }

    fn list_dir(&self, prefix: &StorePrefix) -> Result<ListDir, StorageError> {
        run_sync(self.shared.list_dir(&SyncSource(&*self.inner), prefix))
    }
}

/// Read-only: every write is [`StorageError::Unsupported`] (so that the store can be what
/// the URL registry returns, a readable, writable and listable store).
impl<S: ?Sized + Send + Sync> WritableStorageTraits for ZipStore<S> {
    fn set(&self, _key: &StoreKey, _value: Bytes) -> Result<(), StorageError> {
        Err(read_only())
    }
    fn set_if(
        &self,
        _key: &StoreKey,
        _value: Bytes,
        _condition: &SetCondition,
    ) -> Result<(), StorageError> {
        Err(read_only())
    }
    fn erase_if(&self, _key: &StoreKey, _version: &Version) -> Result<(), StorageError> {
        Err(read_only())
    }
    fn erase(&self, _key: &StoreKey) -> Result<(), StorageError> {
        Err(read_only())
    }
    fn erase_prefix(&self, _prefix: &StorePrefix) -> Result<(), StorageError> {
        Err(read_only())
    }
}

#[cfg(feature = "async")]
pub use asynchronous::AsyncZipStore;

#[cfg(feature = "async")]
mod asynchronous {
    use super::*;
    use crate::reader::AsyncSource;
    use futures::future::BoxFuture;
    use zarrkit_core::storage::asynchronous::{
        AsyncListableStorageTraits, AsyncReadableStorageTraits, AsyncWritableStorageTraits,
    };

    /// [`ZipStore`] over an async store. Its directory is read at [`AsyncZipStore::open`],
    /// or at the first call after [`AsyncZipStore::new`] (what the URL opener uses: it
    /// cannot wait).
    pub struct AsyncZipStore<S: ?Sized> {
        inner: Arc<S>,
        shared: Arc<Shared>,
    }

    impl<S: ?Sized> std::fmt::Debug for AsyncZipStore<S> {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("AsyncZipStore")
                .field("archive", &self.shared.key)
                .field("root", &self.shared.options.root)
                .finish_non_exhaustive()
        }
    }

    impl<S: AsyncReadableStorageTraits + ?Sized> AsyncZipStore<S> {
        /// A store over the archive at `key` of `inner`, whose directory is read at the
        /// first call (errors of a missing or broken archive come then).
        pub fn new(inner: Arc<S>, key: StoreKey, options: ZipStoreOptions) -> Self {
            Self {
                inner,
                shared: Arc::new(Shared::new(key, options)),
            }
        }

        /// Open the archive at `key` of `inner`, reading its directory now.
        pub async fn open(
            inner: Arc<S>,
            key: StoreKey,
            options: ZipStoreOptions,
        ) -> Result<Self, StorageError> {
            let s = Self::new(inner, key, options);
            s.shared.snapshot(&AsyncSource(&*s.inner)).await?;
            Ok(s)
        }

        /// Read the archive's directory again.
        pub async fn refresh(&self) -> Result<(), StorageError> {
            self.shared.refresh(&AsyncSource(&*self.inner)).await
        }

        /// The archive as of the current directory.
        pub async fn info(&self) -> Result<ArchiveInfo, StorageError> {
            let s = self.shared.snapshot(&AsyncSource(&*self.inner)).await?;
            Ok(ArchiveInfo::of(&s))
        }
    }

    impl<S: ?Sized> AsyncZipStore<S> {
        /// The store holding the archive.
        pub fn inner(&self) -> &Arc<S> {
            &self.inner
        }

        /// The archive's key in the inner store.
        pub fn archive_key(&self) -> &StoreKey {
            &self.shared.key
        }
    }

    impl<S: AsyncReadableStorageTraits + ?Sized> AsyncReadableStorageTraits for AsyncZipStore<S> {
        fn read<'a>(
            &'a self,
            key: &'a StoreKey,
            ranges: &'a [ByteRange],
            if_version: Option<&'a Version>,
        ) -> BoxFuture<'a, Result<Option<ReadResult>, StorageError>> {
            Box::pin(async move {
                let src = AsyncSource(&*self.inner);
                self.shared.read(&src, key, ranges, if_version).await
            })
        }

        /// A sync [`ZipStore`] sharing this store's directory, when the inner store has a
        /// sync form (a [`SyncToAsyncAdapter`](zarrkit_core::storage::asynchronous::SyncToAsyncAdapter)):
        /// the async driver then reads and decodes a chunk in one CPU task.
        fn as_sync_readable(&self) -> Option<Arc<dyn ReadableStorageTraits>> {
            let sync = self.inner.as_sync_readable()?;
            Some(Arc::new(ZipStore {
                inner: sync,
                shared: self.shared.clone(),
            }))
        }
    }

    impl<S: AsyncReadableStorageTraits + ?Sized> AsyncListableStorageTraits for AsyncZipStore<S> {
        fn list_prefix<'a>(
            &'a self,
            prefix: &'a StorePrefix,
        ) -> BoxFuture<'a, Result<Vec<StoreKey>, StorageError>> {
            Box::pin(async move {
                let src = AsyncSource(&*self.inner);
                self.shared.list_prefix(&src, prefix).await
            })
        }

        fn list_dir<'a>(
            &'a self,
            prefix: &'a StorePrefix,
        ) -> BoxFuture<'a, Result<ListDir, StorageError>> {
            Box::pin(async move {
                let src = AsyncSource(&*self.inner);
                self.shared.list_dir(&src, prefix).await
            })
        }
    }

    /// Read-only: every write is [`StorageError::Unsupported`].
    impl<S: ?Sized + Send + Sync> AsyncWritableStorageTraits for AsyncZipStore<S> {
        fn set<'a>(
            &'a self,
            _key: &'a StoreKey,
            _value: Bytes,
        ) -> BoxFuture<'a, Result<(), StorageError>> {
            Box::pin(async { Err(read_only()) })
        }
        fn set_if<'a>(
            &'a self,
            _key: &'a StoreKey,
            _value: Bytes,
            _condition: &'a SetCondition,
        ) -> BoxFuture<'a, Result<(), StorageError>> {
            Box::pin(async { Err(read_only()) })
        }
        fn erase_if<'a>(
            &'a self,
            _key: &'a StoreKey,
            _version: &'a Version,
        ) -> BoxFuture<'a, Result<(), StorageError>> {
            Box::pin(async { Err(read_only()) })
        }
        fn erase<'a>(&'a self, _key: &'a StoreKey) -> BoxFuture<'a, Result<(), StorageError>> {
            Box::pin(async { Err(read_only()) })
        }
        fn erase_prefix<'a>(
            &'a self,
            _prefix: &'a StorePrefix,
        ) -> BoxFuture<'a, Result<(), StorageError>> {
            Box::pin(async { Err(read_only()) })
        }
    }
}
