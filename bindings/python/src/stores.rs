//! The store of one chunk, as the single-chunk array of a request sees it.
//!
//! Every chunk zarr-python hands over is read or written through a zarrkit array whose only
//! chunk is that chunk (see `template`); its store maps that array's one chunk key to where
//! the chunk really is:
//!
//! - [`Keyed`]: a key of a native zarrkit store (the filesystem store at a `LocalStore`'s
//!   root, the zip store of a read-mode `ZipStore`, the object store of an obstore store);
//! - [`Prefetched`]: a `MemoryStore` value read under the GIL before the request (and the
//!   value to store, handed back to be put into the dict under the GIL after it);
//! - [`crate::bridge::Bridge`]: any other store, through zarr-python's own async store
//!   methods on the caller's event loop (used through core's async→sync adapter).

use std::sync::Arc;

use parking_lot::Mutex;
use zarrkit::storage::{
    read_from_memory, ByteRange, Bytes, ReadResult, ReadableStorageTraits, SetCondition, StoreKey,
    StorePrefix, Version, WritableStorageTraits,
};
use zarrkit::StorageError;

/// A readable and maybe writable native store.
#[derive(Clone)]
pub struct Native {
    /// Reads.
    pub read: Arc<dyn ReadableStorageTraits>,
    /// Writes (`None`: a read-only store).
    pub write: Option<Arc<dyn WritableStorageTraits>>,
    /// What the store is, for messages.
    pub label: String,
    /// Whether its reads and writes wait on a network (an object store): requests on
    /// such a store run on the I/O pool (`async.concurrency` threads), not the CPU pool,
    /// so that as many requests are in flight as zarr's config asks for, not one per core.
    pub remote: bool,
}

impl std::fmt::Debug for Native {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.label)
    }
}

fn read_only(label: &str) -> StorageError {
    StorageError::Unsupported(format!("writes ({label} is read-only)"))
}

/// One key of a native store.
pub struct Keyed {
    /// The store.
    pub store: Native,
    /// The chunk's key in it.
    pub key: StoreKey,
}

impl ReadableStorageTraits for Keyed {
    fn read(
        &self,
        _key: &StoreKey,
        ranges: &[ByteRange],
        if_version: Option<&Version>,
    ) -> Result<Option<ReadResult>, StorageError> {
        self.store.read.read(&self.key, ranges, if_version)
    }
    fn get_into(&self, _key: &StoreKey, bufs: &mut [&mut [u8]]) -> Result<bool, StorageError> {
        self.store.read.get_into(&self.key, bufs)
    }
}

impl WritableStorageTraits for Keyed {
    fn set(&self, _key: &StoreKey, value: Bytes) -> Result<(), StorageError> {
        match &self.store.write {
            Some(w) => w.set(&self.key, value),
            None => Err(read_only(&self.store.label)),
        }
    }
    fn set_if(
        &self,
        _key: &StoreKey,
        value: Bytes,
        condition: &SetCondition,
    ) -> Result<(), StorageError> {
        match &self.store.write {
            Some(w) => w.set_if(&self.key, value, condition),
            None => Err(read_only(&self.store.label)),
        }
    }
    fn erase_if(&self, _key: &StoreKey, version: &Version) -> Result<(), StorageError> {
        match &self.store.write {
            Some(w) => w.erase_if(&self.key, version),
            None => Err(read_only(&self.store.label)),
        }
    }
    fn supports_conditional_writes(&self) -> bool {
        self.store
            .write
            .as_ref()
            .is_some_and(|w| w.supports_conditional_writes())
    }
    fn erase(&self, _key: &StoreKey) -> Result<(), StorageError> {
        match &self.store.write {
            Some(w) => w.erase(&self.key),
            None => Err(read_only(&self.store.label)),
        }
    }
    fn erase_prefix(&self, _prefix: &StorePrefix) -> Result<(), StorageError> {
        Err(StorageError::Unsupported(
            "erasing a prefix through a chunk's store".into(),
        ))
    }
}

/// What a write did to a prefetched value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Put {
    /// Store these bytes.
    Set(Bytes),
    /// Delete the key.
    Delete,
}

/// A value read before the request (a `MemoryStore` entry), and what the request writes.
#[derive(Debug)]
pub struct Prefetched {
    value: Mutex<Option<Bytes>>,
    version: Mutex<u64>,
    put: Mutex<Option<Put>>,
}

impl Prefetched {
    /// A chunk whose stored value is `value` (`None`: absent).
    pub fn new(value: Option<Bytes>) -> Self {
        Self {
            value: Mutex::new(value),
            version: Mutex::new(0),
            put: Mutex::new(None),
        }
    }

    /// What the request wrote (`None`: nothing).
    pub fn take_put(&self) -> Option<Put> {
        self.put.lock().take()
    }
}

impl ReadableStorageTraits for Prefetched {
    fn read(
        &self,
        key: &StoreKey,
        ranges: &[ByteRange],
        if_version: Option<&Version>,
    ) -> Result<Option<ReadResult>, StorageError> {
        let v = self.value.lock().clone();
        let version = Version::from_u64(*self.version.lock());
        match v {
            None => match if_version {
                Some(_) => Err(StorageError::Changed {
                    key: key.to_string(),
                }),
                None => Ok(None),
            },
            Some(b) => read_from_memory(key, &b, &version, ranges, if_version).map(Some),
        }
    }
}

impl WritableStorageTraits for Prefetched {
    fn set(&self, _key: &StoreKey, value: Bytes) -> Result<(), StorageError> {
        *self.value.lock() = Some(value.clone());
        *self.version.lock() += 1;
        *self.put.lock() = Some(Put::Set(value));
        Ok(())
    }
    fn erase(&self, _key: &StoreKey) -> Result<(), StorageError> {
        *self.value.lock() = None;
        *self.version.lock() += 1;
        *self.put.lock() = Some(Put::Delete);
        Ok(())
    }
    fn erase_prefix(&self, _prefix: &StorePrefix) -> Result<(), StorageError> {
        Err(StorageError::Unsupported(
            "erasing a prefix through a chunk's store".into(),
        ))
    }
}

/// A store that does nothing (the placeholder of template arrays, which are only used
/// through `Array::with_storage`).
#[derive(Debug, Default)]
pub struct Nothing;

impl ReadableStorageTraits for Nothing {
    fn read(
        &self,
        _key: &StoreKey,
        _ranges: &[ByteRange],
        _if_version: Option<&Version>,
    ) -> Result<Option<ReadResult>, StorageError> {
        Ok(None)
    }
}

impl WritableStorageTraits for Nothing {
    fn set(&self, _key: &StoreKey, _value: Bytes) -> Result<(), StorageError> {
        Err(StorageError::Unsupported("placeholder store".into()))
    }
    fn erase(&self, _key: &StoreKey) -> Result<(), StorageError> {
        Err(StorageError::Unsupported("placeholder store".into()))
    }
    fn erase_prefix(&self, _prefix: &StorePrefix) -> Result<(), StorageError> {
        Err(StorageError::Unsupported("placeholder store".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefetched_records_the_last_write() -> Result<(), StorageError> {
        let k = StoreKey::new("c/0")?;
        let p = Prefetched::new(Some(Bytes::from_static(b"abcd")));
        let r = p.read(&k, &[ByteRange::new(1, 2)], None)?;
        assert_eq!(r.map(|r| r.bytes), Some(vec![Bytes::from_static(b"bc")]));
        p.set(&k, Bytes::from_static(b"xy"))?;
        p.erase(&k)?;
        assert_eq!(p.take_put(), Some(Put::Delete));
        assert!(p.read(&k, &[ByteRange::ALL], None)?.is_none());
        Ok(())
    }
}
