//! zarrkit plugin: a read-only Zarr store inside a zip archive that lives on **any readable
//! store** (a file through the filesystem store, an object in S3, a file on an HTTP server),
//! and a writer of zip archives (OME-Zarr `.ozx` files included).
//!
//! # Reading: [`ZipStore`] (sync) and [`AsyncZipStore`] (feature `async`)
//!
//! Generic over the inner store; every read of the archive is a **ranged read of the inner
//! store's key**, demanding the archive's version:
//!
//! - **Open** (the directory): one suffix read of the archive's last
//!   [`ZipStoreOptions::with_tail_read_bytes`] bytes (default 65 KiB: room for the end of
//!   central directory record with the longest comment, the ZIP64 locator and record) that
//!   holds the end records and, for most archives, the whole central directory; one more
//!   read for a central directory that does not fit in the tail. An archive shorter than the
//!   tail is read whole after the store answered the suffix with
//!   [`StorageError::RangeOutOfBounds`] (two requests; everything after is served from
//!   memory). The tail stays in memory: entries inside it cost no request.
//! - **A value** (`read` of ranges): *stored* entries (method 0) are served by byte range
//!   straight from the archive. The data offset needs the local header's name and extra
//!   lengths: the first read of an entry asks for its local header **and** the wanted ranges
//!   at the offset the central directory's lengths predict, in one request (ranges that touch
//!   are merged: a whole-entry read is a single range), and asks again only when the local
//!   extra field differs; the offset is then cached per entry. So **an entry read is one
//!   request**, first time or not. *Deflated* entries (method 8) are read and decoded whole
//!   (bounded, below) and the ranges served from the decoded bytes; the last decoded entries
//!   are kept ([`ZipStoreOptions::with_decoded_cache_bytes`]). Other methods (bzip2, lzma,
//!   zstd, deflate64) and encrypted entries are [`StorageError::Unsupported`].
//! - A read of no ranges (size and version), an absent key and listings (`list_prefix`,
//!   `list_dir`, from the central directory) cost no request.
//! - **Versions**: the version of every value is the archive's version, so a replaced archive
//!   mixes nothing: every read of the inner store demands the version the directory was read
//!   from; when the inner store answers "changed", the store reads the new directory and
//!   serves the read from the new archive (or answers "changed" to a caller who demanded the
//!   old version; zarrkit's drivers then plan again). Answers that need no request (absent
//!   keys, sizes, listings, entries inside the tail) come from the directory as it was read:
//!   a snapshot until a read notices the replacement, [`ZipStore::refresh`] is called, or —
//!   with [`ZipStoreOptions::with_revalidate`] — every call first checks the archive's
//!   version (one read of no ranges, a `HEAD`).
//! - **Names**: entry names are keys, relative to a root folder of the archive
//!   ([`ZipStoreOptions::with_root`]: `"data.zarr/"` for an archive whose Zarr root is a
//!   top-level folder); UTF-8 when flag bit 11 is set, else code page 437 (as Python's
//!   `zipfile`). Directory entries, names outside the root and names that are no valid keys
//!   (`../x`, `/x`, `a\b`, empty components) are not keys. **Duplicate names: the last one in
//!   the central directory wins** (as in Python's `zipfile`; zarr-python 2's `ZipStore`
//!   writes a key twice when it is overwritten). Data before the archive (a
//!   self-extracting stub, or an archive appended to another file) is found as Python finds
//!   it, from where the central directory ends.
//! - **Hostile archives** give errors, never panics or unbounded allocations: offsets and
//!   sizes are checked against the archive (checked arithmetic throughout); each entry must
//!   end before the next entry's local header (by offset) or the central directory starts,
//!   so overlapping entries — the "overlapping files" zip bomb, several names sharing one
//!   local header — cannot be read (as CPython 3.12 refuses them); the local header's name
//!   must be the central directory's; the entry count and the central directory's size are
//!   limited ([`ZipStoreOptions::with_max_entries`],
//!   [`ZipStoreOptions::with_max_central_directory_bytes`]) before anything is allocated;
//!   a deflated entry is decoded only if its declared size is within
//!   [`ZipStoreOptions::with_max_inflated_bytes`] (default 1 GiB) and within what DEFLATE can
//!   expand its compressed bytes to (1032 : 1), never to more than that size, and must
//!   decode to exactly it with the right CRC-32. A stored entry read whole is checked
//!   against its CRC-32 too ([`ZipStoreOptions::with_verify_crc`]). Multi-disk archives are
//!   unsupported.
//! - Writes are [`StorageError::Unsupported`] (the store is read-only).
//!
//! # Writing: [`write_zip`]
//!
//! A new archive from the contents of any listable store, to any `std::io::Write` (or, with
//! [`write_zip_to_store`], as one value of a store). Stored entries by default
//! ([`ZipCompression::Deflated`] on request, an entry that does not shrink is stored), each
//! value read whole and written with its final local header (no data descriptors), ZIP64
//! where needed ([`Zip64Mode::Auto`], with Python's thresholds) or for everything
//! ([`Zip64Mode::Always`]), metadata documents first ([`EntryOrder::MetadataFirst`]),
//! DOS date 1980-01-01 and mode 0644 on every entry: the same contents give the same bytes —
//! for stored entries without ZIP64, byte for byte what Python's `zipfile` writes for the same
//! entries, order and attributes (a test proves it). ZIP64 is not byte-identical to Python's
//! ([`Zip64Mode::Always`] also puts ZIP64 fields in the central directory; Python's
//! `force_zip64` only in local headers) but is read back by it (tested).
//!
//! **OME-Zarr `.ozx`** ([`ZipWriteOptions::ozx`]), from RFC-9 ("Zipped OME-Zarr"): the root
//! of the archive is the hierarchy's root and must hold its `zarr.json` (required); ZIP64
//! irrespective of size; no zip-level compression; the root `zarr.json` is the first entry
//! and the first central directory record, the other `zarr.json` documents follow
//! breadth-first; the archive comment is
//! `{"ome":{"version":"0.5","zipFile":{"centralDirectory":{"jsonFirst":true}}}}` (RFC-9
//! asks for `{"ome": {"version": …}}`; the `zipFile.centralDirectory.jsonFirst` flag is
//! what ngff-zarr and the `.ozx` tools write to say the metadata comes first), the version
//! taken from the root `zarr.json`'s `attributes.ome.version`.
//!
//! # URLs
//!
//! Registered schemes `zip+file`, `zip+http`, `zip+https`, `zip+s3`, `zip+gs`, `zip+az`:
//! `zip+<scheme>://<path to the archive>[#<root folder in the archive>]`, e.g.
//! `zip+file:///data/image.ozx`, `zip+s3://bucket/data/image.zip#image.zarr/`. The part
//! after `zip+` up to the last `/` is opened through the registry as the inner store (so an
//! `s3` plugin makes `zip+s3` work without a change here), the last component is the
//! archive's key. The sync form opens the directory at once; the async form reads it at the
//! first call (URL openers cannot wait).
//!
//! # Deviations
//! - zarr-python's `ZipStore` (2 and 3) opens archives through Python's `zipfile`, which
//!   reads the whole central directory from a seekable file; this store needs only ranged
//!   reads. Both read each other's archives (tests: Python-written archives stored,
//!   deflated, ZIP64, with a root folder, prepended data, duplicate names and a code page
//!   437 name; zarrkit-written archives read back by Python's `zipfile` and zarr-python).
//! - Info-ZIP Unicode path extra fields (0x7075) are ignored (Python's `zipfile` ignores them
//!   too).

mod format;
mod reader;
mod store;
mod writer;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use zarrkit_core::registry::StorePlugin;
use zarrkit_core::storage::{ReadableWritableListableStorage, StoreKey, StorePrefix};
use zarrkit_core::StorageError;

#[cfg(feature = "async")]
pub use store::AsyncZipStore;
pub use store::{ArchiveInfo, ZipStore};
pub use writer::{
    ozx_comment, write_zip, write_zip_to_store, EntryOrder, Zip64Mode, ZipCompression, ZipSummary,
    ZipWriteOptions,
};

/// Options of [`ZipStore`] and [`AsyncZipStore`].
#[derive(Debug, Clone)]
pub struct ZipStoreOptions {
    pub(crate) root: StorePrefix,
    pub(crate) tail_read_bytes: u64,
    pub(crate) max_entries: usize,
    pub(crate) max_central_directory_bytes: u64,
    pub(crate) max_inflated_bytes: u64,
    pub(crate) verify_crc: bool,
    pub(crate) revalidate: bool,
    pub(crate) decoded_cache_bytes: usize,
}

impl Default for ZipStoreOptions {
    fn default() -> Self {
        Self {
            root: StorePrefix::root(),
            tail_read_bytes: 65 << 10,
            max_entries: 1 << 22,
            max_central_directory_bytes: 1 << 30,
            max_inflated_bytes: 1 << 30,
            verify_crc: true,
            revalidate: false,
            decoded_cache_bytes: 32 << 20,
        }
    }
}

impl ZipStoreOptions {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// The folder of the archive that is the store's root (`""`, the default, or
    /// `"data.zarr/"`): entry `data.zarr/zarr.json` is then key `zarr.json`, and entries
    /// outside the folder are not keys.
    pub fn with_root(mut self, root: StorePrefix) -> Self {
        self.root = root;
        self
    }

    /// How many bytes of the archive's end the first read asks for (at least 98, the end
    /// records of an archive without a comment; default 65 KiB). Larger: more archives whose central directory comes with the first read.
    pub fn with_tail_read_bytes(mut self, n: u64) -> Self {
        self.tail_read_bytes = n;
        self
    }

    /// The most central directory entries accepted (default 4 194 304).
    pub fn with_max_entries(mut self, n: usize) -> Self {
        self.max_entries = n;
        self
    }

    /// The largest central directory accepted, in bytes (default 1 GiB).
    pub fn with_max_central_directory_bytes(mut self, n: u64) -> Self {
        self.max_central_directory_bytes = n;
        self
    }

    /// The largest decoded size of a deflated entry (default 1 GiB).
    pub fn with_max_inflated_bytes(mut self, n: u64) -> Self {
        self.max_inflated_bytes = n;
        self
    }

    /// Whether entries read whole are checked against their CRC-32 (default on).
    pub fn with_verify_crc(mut self, on: bool) -> Self {
        self.verify_crc = on;
        self
    }

    /// Check the archive's version before every call (one read of no ranges of the inner
    /// store), so that absent keys, sizes and listings follow a replaced archive at once
    /// (default off: they follow it from the first read that notices it).
    pub fn with_revalidate(mut self, on: bool) -> Self {
        self.revalidate = on;
        self
    }

    /// Bytes of decoded deflated entries kept for later reads (default 32 MiB; 0: none).
    pub fn with_decoded_cache_bytes(mut self, n: usize) -> Self {
        self.decoded_cache_bytes = n;
        self
    }
}

/// The URL schemes of this plugin (each `zip+` followed by the scheme of the inner store).
pub const SCHEMES: &[&str] = &[
    "zip+file",
    "zip+http",
    "zip+https",
    "zip+s3",
    "zip+gs",
    "zip+az",
];

/// A `zip+<scheme>://<archive>[#<root>]` URL split into the inner store's URL (the archive's
/// parent), the archive's key in it, and the root folder inside the archive.
pub fn parse_url(url: &str) -> Result<(String, StoreKey, StorePrefix), StorageError> {
    let bad = |why: &str| StorageError::Other(format!("invalid zip store URL {url:?}: {why}"));
    let rest = url
        .strip_prefix("zip+")
        .ok_or_else(|| bad("it does not start with zip+"))?;
    let (inner, root) = match rest.split_once('#') {
        Some((i, r)) => (i, r),
        None => (rest, ""),
    };
    let root = match root {
        "" => StorePrefix::root(),
        r if r.ends_with('/') => StorePrefix::new(r)?,
        r => StorePrefix::new(format!("{r}/"))?,
    };
    let (scheme, path) = inner
        .split_once("://")
        .ok_or_else(|| bad("no :// after the scheme"))?;
    let (parent, name) = match path.rfind('/') {
        Some(i) => (
            path.get(..=i).unwrap_or_default(),
            path.get(i + 1..).unwrap_or_default(),
        ),
        None => ("", path),
    };
    if name.is_empty() {
        return Err(bad("it names no archive (the path ends with /)"));
    }
    let parent = match (parent, scheme) {
        ("", "file") => "file://.".to_string(),
        ("", _) => return Err(bad("no store holds the archive (no / before its name)")),
        (p, s) => format!("{s}://{p}"),
    };
    Ok((parent, StoreKey::new(name)?, root))
}

fn open_url(url: &str) -> Result<ReadableWritableListableStorage, StorageError> {
    let (parent, key, root) = parse_url(url)?;
    let inner = zarrkit_core::registry::open_store(&parent)?;
    Ok(Arc::new(ZipStore::open(
        inner,
        key,
        ZipStoreOptions::default().with_root(root),
    )?))
}

#[cfg(feature = "async")]
fn open_url_async(
    url: &str,
) -> Result<zarrkit_core::storage::asynchronous::AsyncReadableWritableListableStorage, StorageError>
{
    let (parent, key, root) = parse_url(url)?;
    let inner = zarrkit_core::registry::open_store_async(&parent)?;
    Ok(Arc::new(AsyncZipStore::new(
        inner,
        key,
        ZipStoreOptions::default().with_root(root),
    )))
}

const fn plugin(scheme: &'static str) -> StorePlugin {
    let p = StorePlugin::new(scheme, open_url);
    #[cfg(feature = "async")]
    let p = p.with_async(open_url_async);
    p
}

zarrkit_core::inventory::submit! { plugin("zip+file") }
zarrkit_core::inventory::submit! { plugin("zip+http") }
zarrkit_core::inventory::submit! { plugin("zip+https") }
zarrkit_core::inventory::submit! { plugin("zip+s3") }
zarrkit_core::inventory::submit! { plugin("zip+gs") }
zarrkit_core::inventory::submit! { plugin("zip+az") }
