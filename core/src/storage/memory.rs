//! [`MemoryStore`]: a sorted map of keys to values in memory.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::RwLock;

use super::{
    read_from_memory, scatter_value, ByteRange, Bytes, ListDir, ListableStorageTraits, ReadResult,
    ReadableStorageTraits, SetCondition, StoreKey, StorePrefix, Version, WritableStorageTraits,
};
use crate::error::StorageError;

/// An in-memory store (a sorted map of keys to values). Reads return zero-copy slices of
/// the stored values; each `set` gives the value a new [`Version`] (a counter), and
/// conditional writes are atomic.
#[derive(Debug, Default)]
pub struct MemoryStore {
    data: RwLock<BTreeMap<StoreKey, (Version, Bytes)>>,
    counter: AtomicU64,
}

impl MemoryStore {
    /// A new empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// The number of keys.
    pub fn len(&self) -> usize {
        self.data.read().len()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.data.read().is_empty()
    }

    fn next_version(&self) -> Version {
        Version::from_u64(self.counter.fetch_add(1, Ordering::Relaxed) + 1)
    }
}

impl ReadableStorageTraits for MemoryStore {
    fn read(
        &self,
        key: &StoreKey,
        ranges: &[ByteRange],
        if_version: Option<&Version>,
    ) -> Result<Option<ReadResult>, StorageError> {
        let entry = self.data.read().get(key).cloned();
        match entry {
            None if if_version.is_some() => Err(StorageError::Changed {
                key: key.to_string(),
            }),
            None => Ok(None),
            Some((version, value)) => {
                read_from_memory(key, &value, &version, ranges, if_version).map(Some)
            }
        }
    }

    fn get_into(&self, key: &StoreKey, bufs: &mut [&mut [u8]]) -> Result<bool, StorageError> {
        let value = self.data.read().get(key).map(|(_, v)| v.clone());
        let Some(value) = value else {
            return Ok(false);
        };
        scatter_value(key, &value, bufs)?;
        Ok(true)
    }
}

impl WritableStorageTraits for MemoryStore {
    fn set(&self, key: &StoreKey, value: Bytes) -> Result<(), StorageError> {
        let v = self.next_version();
        self.data.write().insert(key.clone(), (v, value));
        Ok(())
    }

    fn set_if(
        &self,
        key: &StoreKey,
        value: Bytes,
        condition: &SetCondition,
    ) -> Result<(), StorageError> {
        let mut data = self.data.write();
        match (condition, data.get(key)) {
            (SetCondition::Absent, None) => {}
            (SetCondition::Absent, Some(_)) => {
                return Err(StorageError::Exists {
                    key: key.to_string(),
                })
            }
            (SetCondition::Version(want), Some((have, _))) if want == have => {}
            (SetCondition::Version(_), _) => {
                return Err(StorageError::Changed {
                    key: key.to_string(),
                })
            }
        }
        let v = self.next_version();
        data.insert(key.clone(), (v, value));
        Ok(())
    }

    fn erase_if(&self, key: &StoreKey, version: &Version) -> Result<(), StorageError> {
        let mut data = self.data.write();
        match data.get(key) {
            Some((have, _)) if have == version => {
                data.remove(key);
                Ok(())
            }
            _ => Err(StorageError::Changed {
                key: key.to_string(),
            }),
        }
    }

    fn supports_conditional_writes(&self) -> bool {
        true
    }

    fn erase(&self, key: &StoreKey) -> Result<(), StorageError> {
        self.data.write().remove(key);
        Ok(())
    }

    fn erase_prefix(&self, prefix: &StorePrefix) -> Result<(), StorageError> {
        self.data
            .write()
            .retain(|k, _| !k.as_str().starts_with(prefix.as_str()));
        Ok(())
    }
}

impl ListableStorageTraits for MemoryStore {
    fn list_prefix(&self, prefix: &StorePrefix) -> Result<Vec<StoreKey>, StorageError> {
        Ok(self
            .data
            .read()
            .keys()
            .filter(|k| k.as_str().starts_with(prefix.as_str()))
            .cloned()
            .collect())
    }

    fn list_dir(&self, prefix: &StorePrefix) -> Result<ListDir, StorageError> {
        let mut out = ListDir::default();
        let mut prefixes = std::collections::BTreeSet::new();
        for k in self.data.read().keys() {
            let Some(rest) = k.as_str().strip_prefix(prefix.as_str()) else {
                continue;
            };
            match rest.find('/') {
                Some(i) => {
                    prefixes.insert(format!("{}{}/", prefix.as_str(), &rest[..i]));
                }
                None => out.keys.push(k.clone()),
            }
        }
        out.prefixes = prefixes
            .into_iter()
            .map(StorePrefix::new)
            .collect::<Result<_, _>>()?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::ReadableStorageExt;

    #[test]
    fn memory_store_list_dir() -> Result<(), StorageError> {
        let s = MemoryStore::new();
        for k in ["zarr.json", "a/zarr.json", "a/c/0/0", "b/zarr.json"] {
            s.set(&StoreKey::new(k)?, Bytes::from_static(b"x"))?;
        }
        let d = s.list_dir(&StorePrefix::root())?;
        assert_eq!(d.keys, vec![StoreKey::new("zarr.json")?]);
        assert_eq!(
            d.prefixes,
            vec![StorePrefix::new("a/")?, StorePrefix::new("b/")?]
        );
        s.erase_prefix(&StorePrefix::new("a/")?)?;
        assert_eq!(s.list()?.len(), 2);
        Ok(())
    }

    #[test]
    fn versions_and_conditional_writes() -> Result<(), StorageError> {
        let s = MemoryStore::new();
        let k = StoreKey::new("k")?;
        s.set_if(&k, Bytes::from_static(b"one"), &SetCondition::Absent)?;
        assert!(matches!(
            s.set_if(&k, Bytes::from_static(b"x"), &SetCondition::Absent),
            Err(StorageError::Exists { .. })
        ));
        let v1 = s.version(&k)?.ok_or(StorageError::Other("absent".into()))?;
        s.set_if(
            &k,
            Bytes::from_static(b"two"),
            &SetCondition::Version(v1.clone()),
        )?;
        assert!(matches!(
            s.set_if(
                &k,
                Bytes::from_static(b"x"),
                &SetCondition::Version(v1.clone())
            ),
            Err(StorageError::Changed { .. })
        ));
        assert!(matches!(
            s.read(&k, &[ByteRange::ALL], Some(&v1)),
            Err(StorageError::Changed { .. })
        ));
        let v2 = s.version(&k)?.ok_or(StorageError::Other("absent".into()))?;
        let r = s
            .read(&k, &[ByteRange::new(1, 2)], Some(&v2))?
            .ok_or(StorageError::Other("absent".into()))?;
        assert_eq!(r.bytes, vec![Bytes::from_static(b"wo")]);
        assert!(s.erase_if(&k, &v1).is_err());
        s.erase_if(&k, &v2)?;
        assert!(matches!(
            s.read(&k, &[], Some(&v2)),
            Err(StorageError::Changed { .. })
        ));
        assert_eq!(s.get(&k)?, None);
        Ok(())
    }
}
