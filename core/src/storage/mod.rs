//! Storage: keys, byte ranges, versions, the store traits (sync, and async behind the
//! `async` feature), adapters and the in-memory store.
//!
//! A store has **one read primitive**, [`ReadableStorageTraits::read`]: byte ranges of one
//! key in; the bytes ([`bytes::Bytes`], zero-copy where the store allows), the value's size
//! and an opaque [`Version`] out. A read may demand a version: if the value was replaced (or
//! erased) since, the read fails with [`StorageError::Changed`] and the caller plans again, so
//! a reader never mixes bytes of two versions of a value. Everything else a reader needs
//! (`get`, `size_key`) is derived from it in [`ReadableStorageExt`], so an adapter that
//! forwards `read` (and the scatter fast path [`ReadableStorageTraits::get_into`]) loses
//! nothing. Codecs never see a store: the array plans the byte ranges its codecs ask for and
//! a sync or an async driver fetches them.

use std::sync::Arc;

pub use bytes::Bytes;

use crate::error::StorageError;

mod adapters;
#[cfg(feature = "async")]
pub mod asynchronous;
mod memory;

pub use adapters::{
    AtomicWriteAdapter, PerformanceMetrics, PerformanceMetricsAdapter, UsageLogAdapter,
};
pub use memory::MemoryStore;

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
    /// The first `n` bytes, or the whole value if it is shorter (never out of bounds; as an
    /// HTTP `Range: bytes=0-(n-1)`). A reader that must not read more than it could use asks
    /// for one byte more than that and sees whether it got it.
    Prefix(u64),
}

impl std::fmt::Display for ByteRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::FromStart(o, Some(l)) => write!(f, "{o}..{}", o.saturating_add(*l)),
            Self::FromStart(o, None) => write!(f, "{o}.."),
            Self::Suffix(n) => write!(f, "last {n} bytes"),
            Self::Prefix(n) => write!(f, "first {n} bytes (at most)"),
        }
    }
}

impl ByteRange {
    /// The whole value.
    pub const ALL: ByteRange = ByteRange::FromStart(0, None);

    /// `offset..offset + len`.
    pub fn new(offset: u64, len: u64) -> Self {
        Self::FromStart(offset, Some(len))
    }

    /// Resolve to `start..end` within a value of `size` bytes, or `None` if out of bounds.
    pub fn to_range(&self, size: u64) -> Option<std::ops::Range<u64>> {
        match *self {
            Self::FromStart(o, None) => (o <= size).then_some(o..size),
            Self::FromStart(o, Some(l)) => {
                let end = o.checked_add(l)?;
                (end <= size).then_some(o..end)
            }
            Self::Suffix(n) => (n <= size).then(|| size - n..size),
            Self::Prefix(n) => Some(0..n.min(size)),
        }
    }

    /// Resolve to `start..end` within a value of `size` bytes, or an error naming `key`.
    pub fn resolve(&self, key: &StoreKey, size: u64) -> Result<std::ops::Range<u64>, StorageError> {
        self.to_range(size)
            .ok_or_else(|| StorageError::RangeOutOfBounds {
                key: key.to_string(),
                range: self.to_string(),
                size,
            })
    }

    /// This range of a value held in memory (zero-copy), or an error naming `key`.
    pub fn slice(&self, key: &StoreKey, value: &Bytes) -> Result<Bytes, StorageError> {
        let r = self.resolve(key, value.len() as u64)?;
        // Both ends are <= value.len(), which is a usize.
        Ok(value.slice(r.start as usize..r.end as usize))
    }

    /// The same bytes as a range of an enclosing value in which this range's value starts at
    /// `base` and has `len` bytes (suffixes become offsets), or `None` if out of bounds.
    pub fn within(&self, base: u64, len: u64) -> Option<ByteRange> {
        let r = self.to_range(len)?;
        Some(ByteRange::FromStart(
            base.checked_add(r.start)?,
            Some(r.end - r.start),
        ))
    }
}

/// The version of a stored value: an opaque token that changes whenever the value is
/// replaced (an ETag or generation on object stores and HTTP; inode, size and modification
/// time on a filesystem; a counter in memory). Equal versions mean the same bytes.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Version(Bytes);

impl Version {
    /// A version from opaque bytes (an ETag, a generation number, ...).
    pub fn from_bytes(bytes: impl Into<Bytes>) -> Self {
        Self(bytes.into())
    }

    /// A version from a number.
    pub fn from_u64(n: u64) -> Self {
        Self(Bytes::copy_from_slice(&n.to_le_bytes()))
    }

    /// A version from a string (an ETag).
    pub fn from_string(s: impl Into<String>) -> Self {
        Self(Bytes::from(s.into().into_bytes()))
    }

    /// The version's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The version as text, when it is UTF-8 (an ETag).
    pub fn as_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.0).ok()
    }
}

impl std::fmt::Debug for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.as_str() {
            Some(s) if s.chars().all(|c| !c.is_control()) => write!(f, "Version({s:?})"),
            _ => write!(f, "Version({})", hex_string(&self.0)),
        }
    }
}

fn hex_string(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// What [`ReadableStorageTraits::read`] returns for a present value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadResult {
    /// The bytes of each requested range, in request order.
    pub bytes: Vec<Bytes>,
    /// The size of the whole value.
    pub size: u64,
    /// The version of the value the bytes were read from.
    pub version: Version,
}

impl ReadResult {
    /// The bytes of the only range requested.
    pub fn into_single(mut self, key: &StoreKey) -> Result<Bytes, StorageError> {
        match (self.bytes.pop(), self.bytes.is_empty()) {
            (Some(b), true) => Ok(b),
            _ => Err(StorageError::Other(format!(
                "the store returned the wrong number of byte ranges for {key:?}"
            ))),
        }
    }

    /// Check that the store answered every range with bytes of the range's length (a store
    /// or server that returns fewer or more bytes than asked gives an error, never data).
    pub fn check(&self, key: &StoreKey, ranges: &[ByteRange]) -> Result<(), StorageError> {
        if self.bytes.len() != ranges.len() {
            return Err(StorageError::Other(format!(
                "the store returned {} byte ranges for {key:?}, {} were asked for",
                self.bytes.len(),
                ranges.len()
            )));
        }
        for (r, b) in ranges.iter().zip(&self.bytes) {
            let want = r.resolve(key, self.size)?;
            if b.len() as u64 != want.end - want.start {
                return Err(StorageError::ValueSize {
                    key: format!("{key} (range {r})"),
                    expected: want.end - want.start,
                    actual: b.len() as u64,
                });
            }
        }
        Ok(())
    }
}

/// The condition of a conditional write ([`WritableStorageTraits::set_if`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetCondition {
    /// Only if the key is absent (create).
    Absent,
    /// Only if the key holds this version (compare and swap).
    Version(Version),
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

/// A store that can be read.
pub trait ReadableStorageTraits: Send + Sync {
    /// **The read primitive.** Byte ranges of `key`'s value (none: only the size and
    /// version), or `None` if the key is absent. A range past the end of the value is an
    /// error. With `if_version`, the read succeeds only if the value still has that version:
    /// a value replaced or erased since gives [`StorageError::Changed`].
    fn read(
        &self,
        key: &StoreKey,
        ranges: &[ByteRange],
        if_version: Option<&Version>,
    ) -> Result<Option<ReadResult>, StorageError>;

    /// Read the whole value of `key` into `bufs`, filled one after another; `Ok(false)` if the
    /// key is absent (`bufs` untouched). The value must be exactly as long as the buffers
    /// together, or it is an error naming the key and both sizes. Stores that can read
    /// straight into scattered memory (a file: `readv`) avoid an intermediate buffer; the
    /// default reads the value and copies.
    fn get_into(&self, key: &StoreKey, bufs: &mut [&mut [u8]]) -> Result<bool, StorageError> {
        let Some(value) = self.get(key)? else {
            return Ok(false);
        };
        scatter_value(key, &value, bufs)?;
        Ok(true)
    }
}

/// Reads derived from [`ReadableStorageTraits::read`], for every readable store.
pub trait ReadableStorageExt: ReadableStorageTraits {
    /// The whole value of a key, or `None` if absent.
    fn get(&self, key: &StoreKey) -> Result<Option<Bytes>, StorageError> {
        match self.read(key, &[ByteRange::ALL], None)? {
            None => Ok(None),
            Some(r) => r.into_single(key).map(Some),
        }
    }

    /// Byte ranges of a key's value, or `None` if the key is absent.
    fn get_ranges(
        &self,
        key: &StoreKey,
        ranges: &[ByteRange],
    ) -> Result<Option<Vec<Bytes>>, StorageError> {
        Ok(self.read(key, ranges, None)?.map(|r| r.bytes))
    }

    /// The size of a key's value, or `None` if absent.
    fn size_key(&self, key: &StoreKey) -> Result<Option<u64>, StorageError> {
        Ok(self.read(key, &[], None)?.map(|r| r.size))
    }

    /// The version of a key's value, or `None` if absent.
    fn version(&self, key: &StoreKey) -> Result<Option<Version>, StorageError> {
        Ok(self.read(key, &[], None)?.map(|r| r.version))
    }
}

impl<T: ReadableStorageTraits + ?Sized> ReadableStorageExt for T {}

/// A store that can be written.
pub trait WritableStorageTraits: Send + Sync {
    /// Store a value. A reader never observes a partially written value.
    fn set(&self, key: &StoreKey, value: Bytes) -> Result<(), StorageError>;

    /// Store a value only if `condition` holds (the key is absent, or holds a version):
    /// otherwise [`StorageError::Changed`] (or [`StorageError::Exists`] for
    /// [`SetCondition::Absent`]). Atomic with respect to other conditional writes, also
    /// from other processes where the store says so
    /// ([`WritableStorageTraits::supports_conditional_writes`]). The default is
    /// [`StorageError::Unsupported`].
    fn set_if(
        &self,
        key: &StoreKey,
        value: Bytes,
        condition: &SetCondition,
    ) -> Result<(), StorageError> {
        let _ = (key, value, condition);
        Err(StorageError::Unsupported(
            "conditional writes (set_if)".into(),
        ))
    }

    /// Erase a key only if it holds `version` (otherwise [`StorageError::Changed`]). The
    /// default is [`StorageError::Unsupported`].
    fn erase_if(&self, key: &StoreKey, version: &Version) -> Result<(), StorageError> {
        let _ = (key, version);
        Err(StorageError::Unsupported(
            "conditional erasure (erase_if)".into(),
        ))
    }

    /// Whether [`Self::set_if`] is implemented (atomically, across every writer the store
    /// serves). Read-modify-write of a chunk then becomes a compare-and-swap on its version,
    /// so writers in other processes never lose each other's updates.
    fn supports_conditional_writes(&self) -> bool {
        false
    }

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

/// A readable and writable store.
pub trait ReadableWritableStorageTraits: ReadableStorageTraits + WritableStorageTraits {}
impl<T: ReadableStorageTraits + WritableStorageTraits + ?Sized> ReadableWritableStorageTraits
    for T
{
}

/// A readable store behind a trait object.
pub type ReadableStorage = Arc<dyn ReadableStorageTraits>;
/// A readable and writable store behind a trait object.
pub type ReadableWritableStorage = Arc<dyn ReadableWritableStorageTraits>;
/// A readable, writable and listable store behind a trait object.
pub type ReadableWritableListableStorage = Arc<dyn ReadableWritableListableStorageTraits>;

impl<T: ReadableStorageTraits + ?Sized> ReadableStorageTraits for Arc<T> {
    fn read(
        &self,
        key: &StoreKey,
        ranges: &[ByteRange],
        if_version: Option<&Version>,
    ) -> Result<Option<ReadResult>, StorageError> {
        (**self).read(key, ranges, if_version)
    }
    fn get_into(&self, key: &StoreKey, bufs: &mut [&mut [u8]]) -> Result<bool, StorageError> {
        (**self).get_into(key, bufs)
    }
}

impl<T: WritableStorageTraits + ?Sized> WritableStorageTraits for Arc<T> {
    fn set(&self, key: &StoreKey, value: Bytes) -> Result<(), StorageError> {
        (**self).set(key, value)
    }
    fn set_if(
        &self,
        key: &StoreKey,
        value: Bytes,
        condition: &SetCondition,
    ) -> Result<(), StorageError> {
        (**self).set_if(key, value, condition)
    }
    fn erase_if(&self, key: &StoreKey, version: &Version) -> Result<(), StorageError> {
        (**self).erase_if(key, version)
    }
    fn supports_conditional_writes(&self) -> bool {
        (**self).supports_conditional_writes()
    }
    fn erase(&self, key: &StoreKey) -> Result<(), StorageError> {
        (**self).erase(key)
    }
    fn erase_prefix(&self, prefix: &StorePrefix) -> Result<(), StorageError> {
        (**self).erase_prefix(prefix)
    }
}

impl<T: ListableStorageTraits + ?Sized> ListableStorageTraits for Arc<T> {
    fn list(&self) -> Result<Vec<StoreKey>, StorageError> {
        (**self).list()
    }
    fn list_prefix(&self, prefix: &StorePrefix) -> Result<Vec<StoreKey>, StorageError> {
        (**self).list_prefix(prefix)
    }
    fn list_dir(&self, prefix: &StorePrefix) -> Result<ListDir, StorageError> {
        (**self).list_dir(prefix)
    }
}

/// Serve a read of a value held in memory: the ranges as zero-copy slices, after the version
/// check. For stores that keep values as [`Bytes`].
pub fn read_from_memory(
    key: &StoreKey,
    value: &Bytes,
    version: &Version,
    ranges: &[ByteRange],
    if_version: Option<&Version>,
) -> Result<ReadResult, StorageError> {
    if let Some(want) = if_version {
        if want != version {
            return Err(StorageError::Changed {
                key: key.to_string(),
            });
        }
    }
    let bytes = ranges
        .iter()
        .map(|r| r.slice(key, value))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ReadResult {
        bytes,
        size: value.len() as u64,
        version: version.clone(),
    })
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
        assert_eq!(
            ByteRange::Suffix(4).within(100, 10),
            Some(ByteRange::FromStart(106, Some(4)))
        );
        assert_eq!(
            ByteRange::FromStart(2, None).within(100, 10),
            Some(ByteRange::FromStart(102, Some(8)))
        );
        assert_eq!(ByteRange::Suffix(11).within(100, 10), None);
    }

    #[test]
    fn versions_compare_by_bytes() {
        assert_eq!(Version::from_u64(7), Version::from_u64(7));
        assert_ne!(Version::from_u64(7), Version::from_u64(8));
        assert_eq!(
            Version::from_string("\"abc\""),
            Version::from_bytes(&b"\"abc\""[..])
        );
        assert_eq!(
            format!("{:?}", Version::from_string("e1")),
            "Version(\"e1\")"
        );
    }

    #[test]
    fn read_result_checks_lengths() -> Result<(), StorageError> {
        let k = StoreKey::new("k")?;
        let r = ReadResult {
            bytes: vec![Bytes::from_static(b"abc")],
            size: 10,
            version: Version::from_u64(1),
        };
        r.check(&k, &[ByteRange::new(0, 3)])?;
        assert!(r.check(&k, &[ByteRange::new(0, 4)]).is_err());
        assert!(r.check(&k, &[]).is_err());
        assert!(r.check(&k, &[ByteRange::new(9, 3)]).is_err());
        Ok(())
    }
}
