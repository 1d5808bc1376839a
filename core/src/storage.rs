//! Storage: keys, byte ranges, the store traits and the in-memory store.
//!
//! Stores are synchronous here; the codec chain never touches I/O itself (it reads through a
//! [`crate::codec::BytesPartialDecoder`]), so an async API can reuse the same codecs.

use std::collections::BTreeMap;
use std::sync::Arc;

use parking_lot::RwLock;

use crate::error::StorageError;

/// A validated store key: `/`-separated components, no leading or trailing `/`, no empty,
/// `.` or `..` component, no backslash or NUL.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StoreKey(String);

fn validate_components(s: &str, what: &str) -> Result<(), StorageError> {
    let bad = |reason: &str| StorageError::InvalidKey {
        key: s.to_string(),
        reason: format!("{what} {reason}"),
    };
    if s.contains('\\') {
        return Err(bad("contains a backslash"));
    }
    if s.contains('\0') {
        return Err(bad("contains a NUL byte"));
    }
    for c in s.split('/') {
        match c {
            "" => return Err(bad("has an empty path component")),
            "." | ".." => return Err(bad("has a `.` or `..` component")),
            _ => {}
        }
    }
    Ok(())
}

impl StoreKey {
    /// Validate and create a key.
    pub fn new(key: impl Into<String>) -> Result<Self, StorageError> {
        let key = key.into();
        if key.is_empty() {
            return Err(StorageError::InvalidKey {
                key,
                reason: "key is empty".into(),
            });
        }
        if key.starts_with('/') {
            return Err(StorageError::InvalidKey {
                key,
                reason: "key is absolute (starts with `/`)".into(),
            });
        }
        validate_components(&key, "key")?;
        Ok(Self(key))
    }

    /// The key as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key's parent prefix (`""` for a top-level key).
    pub fn parent(&self) -> StorePrefix {
        match self.0.rfind('/') {
            Some(i) => StorePrefix(self.0[..=i].to_string()),
            None => StorePrefix(String::new()),
        }
    }
}

impl std::fmt::Display for StoreKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A validated store prefix: `""` (the root) or components followed by `/`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StorePrefix(String);

impl StorePrefix {
    /// The root prefix.
    pub fn root() -> Self {
        Self(String::new())
    }

    /// Validate and create a prefix (`""` or ending in `/`).
    pub fn new(prefix: impl Into<String>) -> Result<Self, StorageError> {
        let prefix = prefix.into();
        if prefix.is_empty() {
            return Ok(Self(prefix));
        }
        let Some(body) = prefix.strip_suffix('/') else {
            return Err(StorageError::InvalidKey {
                key: prefix,
                reason: "prefix must be empty or end with `/`".into(),
            });
        };
        if body.starts_with('/') {
            return Err(StorageError::InvalidKey {
                key: prefix,
                reason: "prefix is absolute (starts with `/`)".into(),
            });
        }
        validate_components(body, "prefix")?;
        Ok(Self(prefix))
    }

    /// The prefix as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key formed by this prefix and a relative key.
    pub fn join(&self, relative: &str) -> Result<StoreKey, StorageError> {
        StoreKey::new(format!("{}{}", self.0, relative))
    }
}

impl std::fmt::Display for StorePrefix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A byte range of a stored value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ByteRange {
    /// `offset` and an optional length (to the end when `None`).
    FromStart(u64, Option<u64>),
    /// The last `n` bytes.
    Suffix(u64),
}

impl std::fmt::Display for ByteRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::FromStart(o, Some(l)) => write!(f, "{o}..{}", o.saturating_add(*l)),
            Self::FromStart(o, None) => write!(f, "{o}.."),
            Self::Suffix(n) => write!(f, "last {n} bytes"),
        }
    }
}

impl ByteRange {
    /// The whole value.
    pub const ALL: ByteRange = ByteRange::FromStart(0, None);

    /// Resolve to `start..end` within a value of `size` bytes, or `None` if out of bounds.
    pub fn to_range(&self, size: u64) -> Option<std::ops::Range<u64>> {
        match *self {
            Self::FromStart(o, None) => (o <= size).then_some(o..size),
            Self::FromStart(o, Some(l)) => {
                let end = o.checked_add(l)?;
                (end <= size).then_some(o..end)
            }
            Self::Suffix(n) => (n <= size).then(|| size - n..size),
        }
    }

    /// Extract this range from a value, with an error naming the key when out of bounds.
    pub fn extract(&self, key: &StoreKey, value: &[u8]) -> Result<Vec<u8>, StorageError> {
        let r =
            self.to_range(value.len() as u64)
                .ok_or_else(|| StorageError::RangeOutOfBounds {
                    key: key.to_string(),
                    range: self.to_string(),
                    size: value.len() as u64,
                })?;
        // Both ends are <= value.len(), which is a usize.
        Ok(value[r.start as usize..r.end as usize].to_vec())
    }
}

/// For [`ReadableStorageTraits::get_into`]: an error unless a value of `size` bytes exactly
/// fills `bufs`.
pub fn check_value_size(key: &StoreKey, size: u64, bufs: &[&mut [u8]]) -> Result<(), StorageError> {
    let want: u64 = bufs.iter().map(|b| b.len() as u64).sum();
    if size == want {
        Ok(())
    } else {
        Err(StorageError::ValueSize {
            key: key.to_string(),
            expected: want,
            actual: size,
        })
    }
}

/// For [`ReadableStorageTraits::get_into`] of a value in memory: copy it into `bufs`, one
/// after another, after checking with [`check_value_size`].
pub fn scatter_value(
    key: &StoreKey,
    value: &[u8],
    bufs: &mut [&mut [u8]],
) -> Result<(), StorageError> {
    check_value_size(key, value.len() as u64, bufs)?;
    let mut at = 0;
    for b in bufs.iter_mut() {
        b.copy_from_slice(&value[at..at + b.len()]);
        at += b.len();
    }
    Ok(())
}

/// One stored value, pinned as it was when opened: every read sees the same bytes even if the
/// key is replaced meanwhile (a file kept open across an atomic rename, a snapshot of a value
/// in memory). Readers that need several requests to agree — a shard's index, then the inner
/// chunks it points at — read through one.
pub trait StoreValueReader: Send + Sync {
    /// The value's size in bytes.
    fn size(&self) -> u64;
    /// Byte ranges of the value; a range past its end is an error.
    fn get_ranges(&self, ranges: &[ByteRange]) -> Result<Vec<Vec<u8>>, StorageError>;
}

/// What [`ReadableStorageTraits::open_value`] found.
pub enum OpenedValue {
    /// The key is absent.
    Absent,
    /// The value, pinned.
    Pinned(Box<dyn StoreValueReader>),
    /// The store cannot pin values: read with `get_partial` and accept that requests may see
    /// different versions.
    Unsupported,
}

/// A store that can be read.
pub trait ReadableStorageTraits: Send + Sync {
    /// The whole value of a key, or `None` if absent.
    fn get(&self, key: &StoreKey) -> Result<Option<Vec<u8>>, StorageError>;

    /// Byte ranges of a key's value, or `None` if the key is absent. A range past the end of
    /// the value is an error.
    fn get_partial(
        &self,
        key: &StoreKey,
        ranges: &[ByteRange],
    ) -> Result<Option<Vec<Vec<u8>>>, StorageError> {
        let Some(value) = self.get(key)? else {
            return Ok(None);
        };
        ranges
            .iter()
            .map(|r| r.extract(key, &value))
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    /// The size of a key's value, or `None` if absent.
    fn size_key(&self, key: &StoreKey) -> Result<Option<u64>, StorageError> {
        Ok(self.get(key)?.map(|v| v.len() as u64))
    }

    /// Open the value of `key` for several reads that must see the same version (see
    /// [`StoreValueReader`]). The default cannot: [`OpenedValue::Unsupported`].
    fn open_value(&self, key: &StoreKey) -> Result<OpenedValue, StorageError> {
        let _ = key;
        Ok(OpenedValue::Unsupported)
    }

    /// Read the whole value of `key` into `bufs`, filled one after another; `Ok(false)` if the
    /// key is absent (`bufs` untouched). The value must be exactly as long as the buffers
    /// together, or it is an error naming the key and both sizes. Stores that can read
    /// straight into scattered memory (a file: `readv`) avoid an intermediate buffer; the
    /// default gets the value and copies.
    fn get_into(&self, key: &StoreKey, bufs: &mut [&mut [u8]]) -> Result<bool, StorageError> {
        let Some(value) = self.get(key)? else {
            return Ok(false);
        };
        scatter_value(key, &value, bufs)?;
        Ok(true)
    }

    /// Byte ranges of a key's value and the value's size, or `None` if absent. Stores that
    /// learn the size while reading (a file, an HTTP reply's `Content-Range`) answer in one
    /// request; the default asks [`Self::size_key`] and then [`Self::get_partial`], so a value
    /// replaced in between may pair the new size with the old bytes (or fail as absent).
    #[allow(clippy::type_complexity)]
    fn get_partial_and_size(
        &self,
        key: &StoreKey,
        ranges: &[ByteRange],
    ) -> Result<Option<(Vec<Vec<u8>>, u64)>, StorageError> {
        let Some(size) = self.size_key(key)? else {
            return Ok(None);
        };
        Ok(self.get_partial(key, ranges)?.map(|v| (v, size)))
    }
}

/// A store that can be written.
pub trait WritableStorageTraits: Send + Sync {
    /// Store a value. A reader never observes a partially written value.
    fn set(&self, key: &StoreKey, value: &[u8]) -> Result<(), StorageError>;
    /// Erase a key (absent keys are fine).
    fn erase(&self, key: &StoreKey) -> Result<(), StorageError>;
    /// Erase every key under a prefix.
    fn erase_prefix(&self, prefix: &StorePrefix) -> Result<(), StorageError>;
}

/// A store whose keys can be listed.
pub trait ListableStorageTraits: Send + Sync {
    /// Every key, sorted.
    fn list(&self) -> Result<Vec<StoreKey>, StorageError> {
        self.list_prefix(&StorePrefix::root())
    }
    /// Every key under a prefix, sorted.
    fn list_prefix(&self, prefix: &StorePrefix) -> Result<Vec<StoreKey>, StorageError>;
    /// The keys and sub-prefixes directly under a prefix, each sorted.
    fn list_dir(&self, prefix: &StorePrefix) -> Result<ListDir, StorageError>;
}

/// The result of [`ListableStorageTraits::list_dir`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListDir {
    /// Keys directly under the prefix.
    pub keys: Vec<StoreKey>,
    /// Prefixes directly under the prefix (each ending in `/`).
    pub prefixes: Vec<StorePrefix>,
}

/// A readable, writable and listable store.
pub trait ReadableWritableListableStorageTraits:
    ReadableStorageTraits + WritableStorageTraits + ListableStorageTraits
{
}
impl<T: ReadableStorageTraits + WritableStorageTraits + ListableStorageTraits + ?Sized>
    ReadableWritableListableStorageTraits for T
{
}

/// A readable store behind a trait object.
pub type ReadableStorage = Arc<dyn ReadableStorageTraits>;
/// A readable, writable and listable store behind a trait object.
pub type ReadableWritableListableStorage = Arc<dyn ReadableWritableListableStorageTraits>;

impl<T: ReadableStorageTraits + ?Sized> ReadableStorageTraits for Arc<T> {
    fn get(&self, key: &StoreKey) -> Result<Option<Vec<u8>>, StorageError> {
        (**self).get(key)
    }
    fn get_partial(
        &self,
        key: &StoreKey,
        ranges: &[ByteRange],
    ) -> Result<Option<Vec<Vec<u8>>>, StorageError> {
        (**self).get_partial(key, ranges)
    }
    fn size_key(&self, key: &StoreKey) -> Result<Option<u64>, StorageError> {
        (**self).size_key(key)
    }
    fn get_partial_and_size(
        &self,
        key: &StoreKey,
        ranges: &[ByteRange],
    ) -> Result<Option<(Vec<Vec<u8>>, u64)>, StorageError> {
        (**self).get_partial_and_size(key, ranges)
    }
    fn get_into(&self, key: &StoreKey, bufs: &mut [&mut [u8]]) -> Result<bool, StorageError> {
        (**self).get_into(key, bufs)
    }
    fn open_value(&self, key: &StoreKey) -> Result<OpenedValue, StorageError> {
        (**self).open_value(key)
    }
}

/// An in-memory store (a sorted map of keys to values).
#[derive(Debug, Default)]
pub struct MemoryStore {
    data: RwLock<BTreeMap<StoreKey, Arc<Vec<u8>>>>,
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

    /// The value of `key` as it is now (an `Arc`, not a copy).
    fn snapshot(&self, key: &StoreKey) -> Option<MemoryValue> {
        let value = self.data.read().get(key).cloned()?;
        Some(MemoryValue {
            key: key.clone(),
            value,
        })
    }
}

impl ReadableStorageTraits for MemoryStore {
    fn get(&self, key: &StoreKey) -> Result<Option<Vec<u8>>, StorageError> {
        Ok(self.data.read().get(key).map(|v| v.as_ref().clone()))
    }

    fn get_partial(
        &self,
        key: &StoreKey,
        ranges: &[ByteRange],
    ) -> Result<Option<Vec<Vec<u8>>>, StorageError> {
        Ok(self.get_partial_and_size(key, ranges)?.map(|(v, _)| v))
    }

    fn size_key(&self, key: &StoreKey) -> Result<Option<u64>, StorageError> {
        Ok(self.data.read().get(key).map(|v| v.len() as u64))
    }

    /// A snapshot: the value stays as it was even if the key is set again.
    fn open_value(&self, key: &StoreKey) -> Result<OpenedValue, StorageError> {
        Ok(match self.snapshot(key) {
            None => OpenedValue::Absent,
            Some(v) => OpenedValue::Pinned(Box::new(v)),
        })
    }

    fn get_into(&self, key: &StoreKey, bufs: &mut [&mut [u8]]) -> Result<bool, StorageError> {
        let value = self.data.read().get(key).cloned();
        let Some(value) = value else {
            return Ok(false);
        };
        scatter_value(key, &value, bufs)?;
        Ok(true)
    }

    fn get_partial_and_size(
        &self,
        key: &StoreKey,
        ranges: &[ByteRange],
    ) -> Result<Option<(Vec<Vec<u8>>, u64)>, StorageError> {
        let Some(v) = self.snapshot(key) else {
            return Ok(None);
        };
        Ok(Some((v.get_ranges(ranges)?, v.size())))
    }
}

/// A snapshot of one value of a [`MemoryStore`].
struct MemoryValue {
    key: StoreKey,
    value: Arc<Vec<u8>>,
}

impl StoreValueReader for MemoryValue {
    fn size(&self) -> u64 {
        self.value.len() as u64
    }
    fn get_ranges(&self, ranges: &[ByteRange]) -> Result<Vec<Vec<u8>>, StorageError> {
        ranges
            .iter()
            .map(|r| r.extract(&self.key, &self.value))
            .collect()
    }
}

impl WritableStorageTraits for MemoryStore {
    fn set(&self, key: &StoreKey, value: &[u8]) -> Result<(), StorageError> {
        self.data
            .write()
            .insert(key.clone(), Arc::new(value.to_vec()));
        Ok(())
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

    #[test]
    fn keys_reject_escapes() {
        for bad in [
            "", "/abs", "a/../b", "..", "a//b", "a/", "./a", "a\\b", "a\0",
        ] {
            assert!(StoreKey::new(bad).is_err(), "{bad:?} accepted");
        }
        assert!(StoreKey::new("a/b/zarr.json").is_ok());
        assert!(StorePrefix::new("a/b/").is_ok());
        assert!(StorePrefix::new("a/../").is_err());
        assert!(StorePrefix::new("a").is_err());
    }

    #[test]
    fn byte_ranges() {
        assert_eq!(ByteRange::FromStart(2, Some(3)).to_range(10), Some(2..5));
        assert_eq!(ByteRange::Suffix(4).to_range(10), Some(6..10));
        assert_eq!(ByteRange::Suffix(11).to_range(10), None);
        assert_eq!(ByteRange::FromStart(8, Some(3)).to_range(10), None);
        assert_eq!(ByteRange::FromStart(u64::MAX, Some(3)).to_range(10), None);
    }

    #[test]
    fn memory_store_list_dir() -> Result<(), StorageError> {
        let s = MemoryStore::new();
        for k in ["zarr.json", "a/zarr.json", "a/c/0/0", "b/zarr.json"] {
            s.set(&StoreKey::new(k)?, b"x")?;
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
}
