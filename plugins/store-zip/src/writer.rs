//! Writing a new zip archive from the contents of any listable store.

use std::io::Write;

use zarrkit_core::serde_json::{self, Value};
use zarrkit_core::storage::{
    Bytes, ListableStorageTraits, ReadableStorageExt, ReadableStorageTraits, StoreKey, StorePrefix,
    WritableStorageTraits,
};
use zarrkit_core::StorageError;

use crate::format::{
    CENTRAL_SIG, EOCD_SIG, FLAG_UTF8, LOCAL_SIG, METHOD_DEFLATED, METHOD_STORED, ZIP64_EOCD_SIG,
    ZIP64_LOCATOR_SIG,
};

/// Sizes and offsets above this get ZIP64 fields (Python's `zipfile.ZIP64_LIMIT`, 2³¹ − 1:
/// readers that take the 32-bit fields as signed read them right too).
const ZIP64_LIMIT: u64 = 0x7FFF_FFFF;
/// Entry counts from this on get a ZIP64 end record (0xFFFF is the "see ZIP64" marker).
const COUNT_LIMIT: u64 = 0xFFFF;
/// The DOS date of every entry: 1980-01-01 (time 00:00:00), so that an archive written twice
/// from the same contents is the same bytes.
const DOS_DATE: u16 = (1 << 5) | 1;
/// `-rw-r--r--`, a regular file, in the upper half of the external attributes (Unix).
const EXTERNAL_ATTRIBUTES: u32 = 0o100_644 << 16;

/// How entries are compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZipCompression {
    /// Method 0, no compression (the default; what OME-Zarr `.ozx` files use, and what lets
    /// readers serve byte ranges straight from the archive).
    Stored,
    /// Method 8, DEFLATE at a level from 0 to 9. An entry that does not get smaller is
    /// stored instead.
    Deflated(u32),
}

/// When the ZIP64 extensions are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zip64Mode {
    /// Only where a size, an offset or the entry count needs them (as Python's `zipfile`).
    Auto,
    /// For every entry (local and central headers) and the end of the archive, whatever the
    /// sizes (OME-Zarr RFC-9 recommends ZIP64 "irrespective of the ZIP file size").
    Always,
}

/// The order of the entries in the archive (the central directory has the same order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryOrder {
    /// The root `zarr.json` first, then every other metadata document (`zarr.json`,
    /// `.zgroup`, `.zarray`, `.zattrs`, `.zmetadata`) breadth-first (by depth, then by path
    /// component by component), then every other key in the same order. The OME-Zarr RFC-9
    /// layout ("jsonFirst").
    MetadataFirst,
    /// Sorted by key.
    Sorted,
}

/// Options of [`write_zip`].
#[derive(Debug, Clone)]
pub struct ZipWriteOptions {
    compression: ZipCompression,
    zip64: Zip64Mode,
    order: EntryOrder,
    root: StorePrefix,
    comment: Vec<u8>,
    /// `Some`: an OME-Zarr zip file (`Some(None)`: the version from the root `zarr.json`).
    ozx: Option<Option<String>>,
}

impl Default for ZipWriteOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl ZipWriteOptions {
    /// Stored entries, ZIP64 where needed, metadata first, no comment, keys at the root of
    /// the archive.
    pub fn new() -> Self {
        Self {
            compression: ZipCompression::Stored,
            zip64: Zip64Mode::Auto,
            order: EntryOrder::MetadataFirst,
            root: StorePrefix::root(),
            comment: Vec::new(),
            ozx: None,
        }
    }

    /// An OME-Zarr zip file (RFC-9, `.ozx`): stored entries, ZIP64 always, the root
    /// `zarr.json` first and the other `zarr.json` documents right after it breadth-first,
    /// and the archive comment
    /// `{"ome":{"version":"…","zipFile":{"centralDirectory":{"jsonFirst":true}}}}` with the
    /// version read from the root `zarr.json`'s `attributes.ome.version` (or given with
    /// [`Self::with_ozx_version`]). The source must have a root `zarr.json` (RFC-9: the
    /// archive's root is the hierarchy's root, so [`Self::with_root`] should stay empty).
    pub fn ozx() -> Self {
        Self {
            zip64: Zip64Mode::Always,
            ozx: Some(None),
            ..Self::new()
        }
    }

    /// How entries are compressed.
    pub fn with_compression(mut self, compression: ZipCompression) -> Self {
        self.compression = compression;
        self
    }

    /// When ZIP64 extensions are written.
    pub fn with_zip64(mut self, zip64: Zip64Mode) -> Self {
        self.zip64 = zip64;
        self
    }

    /// The order of the entries.
    pub fn with_order(mut self, order: EntryOrder) -> Self {
        self.order = order;
        self
    }

    /// A folder of the archive to put the keys in (`"data.zarr/"`): entry names are this
    /// prefix followed by the key.
    pub fn with_root(mut self, root: StorePrefix) -> Self {
        self.root = root;
        self
    }

    /// The archive comment (at most 65 535 bytes; replaced by the OME-Zarr comment in `.ozx`
    /// mode).
    pub fn with_comment(mut self, comment: impl Into<Vec<u8>>) -> Self {
        self.comment = comment.into();
        self
    }

    /// The OME-Zarr version of the `.ozx` comment (turns on `.ozx` mode's comment and the
    /// root `zarr.json` requirement, not its other settings).
    pub fn with_ozx_version(mut self, version: impl Into<String>) -> Self {
        self.ozx = Some(Some(version.into()));
        self
    }
}

/// What [`write_zip`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZipSummary {
    /// Entries written (one per key).
    pub entries: usize,
    /// The archive's size in bytes.
    pub bytes: u64,
    /// Whether the archive has a ZIP64 end of central directory record.
    pub zip64: bool,
}

struct Counting<W> {
    w: W,
    n: u64,
}

impl<W: Write> Counting<W> {
    fn put(&mut self, b: &[u8]) -> Result<(), StorageError> {
        self.w.write_all(b).map_err(io_err)?;
        self.n += b.len() as u64;
        Ok(())
    }
}

fn io_err(e: std::io::Error) -> StorageError {
    StorageError::Io {
        key: "(the zip archive being written)".into(),
        source: e,
    }
}

struct Central {
    name: String,
    flags: u16,
    method: u16,
    crc32: u32,
    compressed_size: u64,
    size: u64,
    offset: u64,
    local_zip64: bool,
}

fn sort_key(key: &StoreKey, order: EntryOrder) -> (u8, usize, Vec<String>) {
    let s = key.as_str();
    let parts: Vec<String> = s.split('/').map(str::to_string).collect();
    if order == EntryOrder::Sorted {
        return (0, 0, parts);
    }
    let last = parts.last().map(String::as_str).unwrap_or_default();
    let meta = matches!(
        last,
        "zarr.json" | ".zgroup" | ".zarray" | ".zattrs" | ".zmetadata"
    );
    match (s == "zarr.json", meta) {
        (true, _) => (0, 0, parts),
        (false, true) => (1, parts.len(), parts),
        (false, false) => (2, 0, parts),
    }
}

/// The `.ozx` archive comment for an OME-Zarr version.
pub fn ozx_comment(version: &str) -> Vec<u8> {
    let v = serde_json::json!({
        "ome": {"version": version, "zipFile": {"centralDirectory": {"jsonFirst": true}}}
    });
    v.to_string().into_bytes()
}

fn ome_version(doc: &[u8]) -> Result<String, StorageError> {
    let v: Value = serde_json::from_slice(doc)
        .map_err(|e| StorageError::Other(format!("the root zarr.json is not JSON: {e}")))?;
    v.pointer("/attributes/ome/version")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| {
            StorageError::Other(
                "an .ozx archive needs an OME-Zarr hierarchy: the root zarr.json has no \
                 attributes.ome.version (or give the version with with_ozx_version)"
                    .into(),
            )
        })
}

fn deflate(data: &[u8], level: u32) -> Result<Vec<u8>, StorageError> {
    if level > 9 {
        return Err(StorageError::Unsupported(format!(
            "DEFLATE level {level} (levels are 0 to 9)"
        )));
    }
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::new(level));
    e.write_all(data).map_err(io_err)?;
    e.finish().map_err(io_err)
}

fn u16_len(what: &str, n: usize) -> Result<u16, StorageError> {
    u16::try_from(n).map_err(|_| {
        StorageError::Other(format!(
            "{what} of {n} bytes is longer than a zip archive allows (65 535 bytes)"
        ))
    })
}

/// Write a new zip archive holding every key of `source` (entry name = root folder + key)
/// to `dest`, value by value (each value is read whole, its CRC-32 computed, and written with
/// its final local header: no data descriptors, no seeking, so `dest` may be a pipe).
/// Entries get the DOS date 1980-01-01 and Unix mode 0644: an archive written twice from the
/// same contents with the same options is the same bytes.
pub fn write_zip<S, W>(
    source: &S,
    dest: W,
    options: &ZipWriteOptions,
) -> Result<ZipSummary, StorageError>
where
    S: ReadableStorageTraits + ListableStorageTraits + ?Sized,
    W: Write,
{
    let always = options.zip64 == Zip64Mode::Always;
    let mut keys = source.list()?;
    keys.sort_by_cached_key(|k| sort_key(k, options.order));
    let comment = match &options.ozx {
        None => options.comment.clone(),
        Some(v) => {
            let root = StoreKey::new("zarr.json")?;
            let doc = source.get(&root)?.ok_or_else(|| {
                StorageError::Other(
                    "an .ozx archive needs the hierarchy's root zarr.json, and the source has none"
                        .into(),
                )
            })?;
            match v {
                Some(v) => ozx_comment(v),
                None => ozx_comment(&ome_version(&doc)?),
            }
        }
    };
    let comment_len = u16_len("the archive comment", comment.len())?;
    let mut w = Counting { w: dest, n: 0 };
    let mut central = Vec::with_capacity(keys.len());
    for key in &keys {
        let value = source.get(key)?.ok_or_else(|| {
            StorageError::Other(format!(
                "{key} was listed but is absent: the source changed while the archive was written"
            ))
        })?;
        let name = format!("{}{}", options.root.as_str(), key.as_str());
        let name_len = u16_len("an entry name", name.len())?;
        let flags = if name.is_ascii() { 0 } else { FLAG_UTF8 };
        let crc32 = crc32fast::hash(&value);
        let (method, data): (u16, Bytes) = match options.compression {
            ZipCompression::Stored => (METHOD_STORED, value.clone()),
            ZipCompression::Deflated(level) => {
                let c = deflate(&value, level)?;
                if c.len() < value.len() {
                    (METHOD_DEFLATED, Bytes::from(c))
                } else {
                    (METHOD_STORED, value.clone())
                }
            }
        };
        let (size, csize) = (value.len() as u64, data.len() as u64);
        let offset = w.n;
        let local_zip64 = always || size > ZIP64_LIMIT || csize > ZIP64_LIMIT;
        let mut h = Vec::with_capacity(30 + name.len() + 20);
        h.extend(LOCAL_SIG.to_le_bytes());
        h.extend(if local_zip64 { 45u16 } else { 20 }.to_le_bytes());
        h.extend(flags.to_le_bytes());
        h.extend(method.to_le_bytes());
        h.extend(0u16.to_le_bytes());
        h.extend(DOS_DATE.to_le_bytes());
        h.extend(crc32.to_le_bytes());
        if local_zip64 {
            h.extend(u32::MAX.to_le_bytes());
            h.extend(u32::MAX.to_le_bytes());
        } else {
            h.extend((csize as u32).to_le_bytes());
            h.extend((size as u32).to_le_bytes());
        }
        h.extend(name_len.to_le_bytes());
        h.extend(if local_zip64 { 20u16 } else { 0 }.to_le_bytes());
        h.extend(name.as_bytes());
        if local_zip64 {
            h.extend(1u16.to_le_bytes());
            h.extend(16u16.to_le_bytes());
            h.extend(size.to_le_bytes());
            h.extend(csize.to_le_bytes());
        }
        w.put(&h)?;
        w.put(&data)?;
        central.push(Central {
            name,
            flags,
            method,
            crc32,
            compressed_size: csize,
            size,
            offset,
            local_zip64,
        });
    }
    let cd_offset = w.n;
    for c in &central {
        let mut extra: Vec<u64> = Vec::new();
        let sizes64 = always || c.size > ZIP64_LIMIT || c.compressed_size > ZIP64_LIMIT;
        let (size, csize) = if sizes64 {
            extra.push(c.size);
            extra.push(c.compressed_size);
            (u32::MAX, u32::MAX)
        } else {
            (c.size as u32, c.compressed_size as u32)
        };
        let offset = if always || c.offset > ZIP64_LIMIT {
            extra.push(c.offset);
            u32::MAX
        } else {
            c.offset as u32
        };
        let version: u16 = if c.local_zip64 || !extra.is_empty() {
            45
        } else {
            20
        };
        let extra_len = if extra.is_empty() {
            0
        } else {
            4 + 8 * extra.len() as u16
        };
        let mut h = Vec::with_capacity(46 + c.name.len() + extra_len as usize);
        h.extend(CENTRAL_SIG.to_le_bytes());
        h.extend((0x0300 | version).to_le_bytes());
        h.extend(version.to_le_bytes());
        h.extend(c.flags.to_le_bytes());
        h.extend(c.method.to_le_bytes());
        h.extend(0u16.to_le_bytes());
        h.extend(DOS_DATE.to_le_bytes());
        h.extend(c.crc32.to_le_bytes());
        h.extend(csize.to_le_bytes());
        h.extend(size.to_le_bytes());
        h.extend((c.name.len() as u16).to_le_bytes());
        h.extend(extra_len.to_le_bytes());
        h.extend(0u16.to_le_bytes()); // comment
        h.extend(0u16.to_le_bytes()); // disk
        h.extend(0u16.to_le_bytes()); // internal attributes
        h.extend(EXTERNAL_ATTRIBUTES.to_le_bytes());
        h.extend(offset.to_le_bytes());
        h.extend(c.name.as_bytes());
        if !extra.is_empty() {
            h.extend(1u16.to_le_bytes());
            h.extend((8 * extra.len() as u16).to_le_bytes());
            for v in extra {
                h.extend(v.to_le_bytes());
            }
        }
        w.put(&h)?;
    }
    let cd_size = w.n - cd_offset;
    let count = central.len() as u64;
    let zip64_end =
        always || count >= COUNT_LIMIT || cd_size > ZIP64_LIMIT || cd_offset > ZIP64_LIMIT;
    let mut t = Vec::with_capacity(22 + 56 + 20 + comment.len());
    if zip64_end {
        let at = w.n;
        t.extend(ZIP64_EOCD_SIG.to_le_bytes());
        t.extend(44u64.to_le_bytes());
        t.extend(45u16.to_le_bytes());
        t.extend(45u16.to_le_bytes());
        t.extend(0u32.to_le_bytes());
        t.extend(0u32.to_le_bytes());
        t.extend(count.to_le_bytes());
        t.extend(count.to_le_bytes());
        t.extend(cd_size.to_le_bytes());
        t.extend(cd_offset.to_le_bytes());
        t.extend(ZIP64_LOCATOR_SIG.to_le_bytes());
        t.extend(0u32.to_le_bytes());
        t.extend(at.to_le_bytes());
        t.extend(1u32.to_le_bytes());
    }
    let c16 = count.min(0xFFFF) as u16;
    t.extend(EOCD_SIG.to_le_bytes());
    t.extend(0u16.to_le_bytes());
    t.extend(0u16.to_le_bytes());
    t.extend(c16.to_le_bytes());
    t.extend(c16.to_le_bytes());
    t.extend((cd_size.min(0xFFFF_FFFF) as u32).to_le_bytes());
    t.extend((cd_offset.min(0xFFFF_FFFF) as u32).to_le_bytes());
    t.extend(comment_len.to_le_bytes());
    t.extend(&comment);
    w.put(&t)?;
    w.w.flush().map_err(io_err)?;
    Ok(ZipSummary {
        entries: central.len(),
        bytes: w.n,
        zip64: zip64_end,
    })
}

/// [`write_zip`] into memory, then one `set` of `key` in `dest` (a reader of `dest` sees no
/// half-written archive).
pub fn write_zip_to_store<S, D>(
    source: &S,
    dest: &D,
    key: &StoreKey,
    options: &ZipWriteOptions,
) -> Result<ZipSummary, StorageError>
where
    S: ReadableStorageTraits + ListableStorageTraits + ?Sized,
    D: WritableStorageTraits + ?Sized,
{
    let mut buf = Vec::new();
    let s = write_zip(source, &mut buf, options)?;
    dest.set(key, Bytes::from(buf))?;
    Ok(s)
}
