//! The archive's directory (a snapshot of one version of the archive) and the reads of its
//! entries. Written once, as async code over a [`Source`]: the async store awaits its inner
//! store; the sync store polls the very same future once over a sync inner store, whose every
//! `await` is ready at once (nothing here waits on anything but the source: no async lock,
//! no channel, no timer).

use std::collections::VecDeque;
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use futures::future::BoxFuture;
use parking_lot::{Mutex, RwLock};
use zarrkit_core::storage::{
    ByteRange, Bytes, ListDir, ReadResult, StoreKey, StorePrefix, Version,
};
use zarrkit_core::StorageError;

use crate::format::{
    corrupt, decode_name, find_end_record, method_name, parse_central, parse_local, EndRecord, Le,
    Zip64EndRecord, Zip64Locator, ZipError, CENTRAL_LEN, DEFLATE_MAX_RATIO, EOCD_LEN,
    FLAG_ENCRYPTED, FLAG_MASKED, FLAG_STRONG_ENCRYPTION, LOCAL_LEN, MAX_END_RECORDS,
    METHOD_DEFLATED, METHOD_STORED, ZIP64_EOCD_LEN, ZIP64_LOCATOR_LEN,
};
use crate::ZipStoreOptions;

/// How many times a read re-opens an archive that was replaced under it before it gives up
/// with [`StorageError::Changed`].
const MAX_RELOADS: usize = 3;
/// A data offset not read from its local header yet.
const UNKNOWN: u64 = u64::MAX;

/// The store an archive lives in, sync or async, as one read primitive.
pub(crate) trait Source: Send + Sync {
    fn read<'a>(
        &'a self,
        key: &'a StoreKey,
        ranges: &'a [ByteRange],
        if_version: Option<&'a Version>,
    ) -> BoxFuture<'a, Result<Option<ReadResult>, StorageError>>;
}

/// A sync store as a [`Source`] (each read is done when the future is made).
pub(crate) struct SyncSource<'s, S: ?Sized>(pub &'s S);

impl<S: zarrkit_core::storage::ReadableStorageTraits + ?Sized> Source for SyncSource<'_, S> {
    fn read<'a>(
        &'a self,
        key: &'a StoreKey,
        ranges: &'a [ByteRange],
        if_version: Option<&'a Version>,
    ) -> BoxFuture<'a, Result<Option<ReadResult>, StorageError>> {
        Box::pin(std::future::ready(self.0.read(key, ranges, if_version)))
    }
}

/// An async store as a [`Source`].
#[cfg(feature = "async")]
pub(crate) struct AsyncSource<'s, S: ?Sized>(pub &'s S);

#[cfg(feature = "async")]
impl<S: zarrkit_core::storage::asynchronous::AsyncReadableStorageTraits + ?Sized> Source
    for AsyncSource<'_, S>
{
    fn read<'a>(
        &'a self,
        key: &'a StoreKey,
        ranges: &'a [ByteRange],
        if_version: Option<&'a Version>,
    ) -> BoxFuture<'a, Result<Option<ReadResult>, StorageError>> {
        self.0.read(key, ranges, if_version)
    }
}

/// Run a future over a [`SyncSource`] to completion: one poll (it never waits).
pub(crate) fn run_sync<T>(
    f: impl std::future::Future<Output = Result<T, StorageError>>,
) -> Result<T, StorageError> {
    futures::FutureExt::now_or_never(f).unwrap_or_else(|| {
        Err(StorageError::Other(
            "internal error: a read of a zip archive over a sync store did not complete".into(),
        ))
    })
}

/// One entry of the directory that is a key.
#[derive(Debug)]
pub(crate) struct Entry {
    /// Absolute offset of the local file header.
    lho: u64,
    /// Where the next entry's local header (or the central directory) starts: the entry's
    /// data must end there at the latest (no entry overlaps another).
    limit: u64,
    compressed_size: u64,
    size: u64,
    crc32: u32,
    method: u16,
    flags: u16,
    name_len: u16,
    extra_len: u16,
    /// Absolute offset of the data, once the local header was read ([`UNKNOWN`] before).
    data_offset: AtomicU64,
}

/// One version of the archive: its directory, and the bytes of its tail read at open.
#[derive(Debug)]
pub(crate) struct Snapshot {
    id: u64,
    pub(crate) version: Version,
    pub(crate) size: u64,
    tail_offset: u64,
    tail: Bytes,
    /// The keys, sorted; `entries[i]` is the entry of `keys[i]`.
    keys: Vec<StoreKey>,
    entries: Vec<Entry>,
    pub(crate) comment: Bytes,
    pub(crate) zip64: bool,
    pub(crate) entry_count: usize,
}

impl Snapshot {
    fn find(&self, key: &StoreKey) -> Option<usize> {
        self.keys.binary_search(key).ok()
    }

    /// The keys under `prefix` (a contiguous run of the sorted keys).
    fn under<'a>(&'a self, prefix: &'a StorePrefix) -> impl Iterator<Item = &'a StoreKey> + 'a {
        let start = self.keys.partition_point(|k| k.as_str() < prefix.as_str());
        self.keys
            .get(start..)
            .unwrap_or_default()
            .iter()
            .take_while(move |k| k.as_str().starts_with(prefix.as_str()))
    }

    pub(crate) fn list_prefix(&self, prefix: &StorePrefix) -> Vec<StoreKey> {
        self.under(prefix).cloned().collect()
    }

    pub(crate) fn list_dir(&self, prefix: &StorePrefix) -> Result<ListDir, StorageError> {
        let mut out = ListDir::default();
        for k in self.under(prefix) {
            let rest = k.as_str().get(prefix.as_str().len()..).unwrap_or_default();
            match rest.find('/') {
                Some(i) => {
                    let p = format!("{}{}/", prefix.as_str(), rest.get(..i).unwrap_or_default());
                    if out.prefixes.last().map(StorePrefix::as_str) != Some(p.as_str()) {
                        out.prefixes.push(StorePrefix::new(p)?);
                    }
                }
                None => out.keys.push(k.clone()),
            }
        }
        out.prefixes.sort();
        out.prefixes.dedup();
        Ok(out)
    }

    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }
}

/// The state a sync and an async store over one archive share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) key: StoreKey,
    pub(crate) options: ZipStoreOptions,
    current: RwLock<Option<Arc<Snapshot>>>,
    next_id: AtomicU64,
    decoded: Mutex<DecodedCache>,
}

fn absent(key: &StoreKey) -> StorageError {
    StorageError::Other(format!("no zip archive at {key:?} (the key is absent)"))
}

fn changed(key: &StoreKey) -> StorageError {
    StorageError::Changed {
        key: key.to_string(),
    }
}

/// A [`ZipError`] as a [`StorageError`] naming the archive (and the entry).
pub(crate) fn zip_err(archive: &StoreKey, entry: Option<&str>, e: ZipError) -> StorageError {
    let at = match entry {
        Some(n) => format!("zip archive {archive:?}, entry {n:?}"),
        None => format!("zip archive {archive:?}"),
    };
    match e {
        ZipError::Corrupt(m) => StorageError::Other(format!("corrupt {at}: {m}")),
        ZipError::Unsupported(m) => StorageError::Unsupported(format!("{m} ({at})")),
        ZipError::Refused(m) => StorageError::Other(format!("{at} refused: {m}")),
    }
}

impl Shared {
    pub(crate) fn new(key: StoreKey, options: ZipStoreOptions) -> Self {
        let budget = options.decoded_cache_bytes;
        Self {
            key,
            options,
            current: RwLock::new(None),
            next_id: AtomicU64::new(1),
            decoded: Mutex::new(DecodedCache::new(budget)),
        }
    }

    pub(crate) fn current(&self) -> Option<Arc<Snapshot>> {
        self.current.read().clone()
    }

    fn err(&self, entry: Option<&str>, e: ZipError) -> StorageError {
        zip_err(&self.key, entry, e)
    }

    /// Read the archive's directory afresh and make it current (unless a load that started
    /// later finished first).
    async fn load_new<Src: Source + ?Sized>(
        &self,
        src: &Src,
    ) -> Result<Arc<Snapshot>, StorageError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let s = Arc::new(load(src, &self.key, &self.options, id).await?);
        let mut cur = self.current.write();
        match &*cur {
            Some(c) if c.id > s.id => Ok(c.clone()),
            _ => {
                *cur = Some(s.clone());
                Ok(s)
            }
        }
    }

    /// The current snapshot: loaded on first use; with `revalidate`, checked against the
    /// archive's version first (one read of no ranges) and reloaded if it was replaced.
    pub(crate) async fn snapshot<Src: Source + ?Sized>(
        &self,
        src: &Src,
    ) -> Result<Arc<Snapshot>, StorageError> {
        match self.current() {
            None => self.load_new(src).await,
            Some(s) if self.options.revalidate => match src.read(&self.key, &[], None).await? {
                Some(r) if r.version == s.version => Ok(s),
                Some(_) => self.reload(src, &s).await,
                None => Err(absent(&self.key)),
            },
            Some(s) => Ok(s),
        }
    }

    /// Replace `stale` by a fresh snapshot (or by one another caller loaded meanwhile).
    async fn reload<Src: Source + ?Sized>(
        &self,
        src: &Src,
        stale: &Arc<Snapshot>,
    ) -> Result<Arc<Snapshot>, StorageError> {
        if let Some(cur) = self.current() {
            if !Arc::ptr_eq(&cur, stale) {
                return Ok(cur);
            }
        }
        self.load_new(src).await
    }

    /// Read the directory again now.
    pub(crate) async fn refresh<Src: Source + ?Sized>(
        &self,
        src: &Src,
    ) -> Result<(), StorageError> {
        self.load_new(src).await.map(|_| ())
    }

    /// The read primitive for an entry.
    pub(crate) async fn read<Src: Source + ?Sized>(
        &self,
        src: &Src,
        key: &StoreKey,
        ranges: &[ByteRange],
        if_version: Option<&Version>,
    ) -> Result<Option<ReadResult>, StorageError> {
        let mut snap = self.snapshot(src).await?;
        for _ in 0..MAX_RELOADS {
            if if_version.is_some_and(|v| *v != snap.version) {
                return Err(changed(key));
            }
            let Some(idx) = snap.find(key) else {
                return match if_version {
                    Some(_) => Err(changed(key)),
                    None => Ok(None),
                };
            };
            let size = snap.entries.get(idx).map_or(0, |e| e.size);
            let resolved = ranges
                .iter()
                .map(|r| r.resolve(key, size))
                .collect::<Result<Vec<_>, _>>()?;
            if resolved.is_empty() {
                return Ok(Some(ReadResult {
                    bytes: Vec::new(),
                    size,
                    version: snap.version.clone(),
                }));
            }
            match self.read_entry(src, &snap, idx, &resolved).await {
                Ok(bytes) => {
                    return Ok(Some(ReadResult {
                        bytes,
                        size,
                        version: snap.version.clone(),
                    }))
                }
                // The archive was replaced (or erased) since the snapshot was taken: take a
                // new one. A caller who demanded a version is told; others are served from
                // the new archive.
                Err(StorageError::Changed { .. }) => {
                    snap = self.reload(src, &snap).await?;
                    if if_version.is_some() {
                        return Err(changed(key));
                    }
                }
                Err(e) => return Err(e),
            }
        }
        Err(changed(key))
    }

    pub(crate) async fn list_prefix<Src: Source + ?Sized>(
        &self,
        src: &Src,
        prefix: &StorePrefix,
    ) -> Result<Vec<StoreKey>, StorageError> {
        Ok(self.snapshot(src).await?.list_prefix(prefix))
    }

    pub(crate) async fn list_dir<Src: Source + ?Sized>(
        &self,
        src: &Src,
        prefix: &StorePrefix,
    ) -> Result<ListDir, StorageError> {
        self.snapshot(src).await?.list_dir(prefix)
    }

    /// The bytes of `ranges` (resolved, within the entry) of entry `idx`.
    async fn read_entry<Src: Source + ?Sized>(
        &self,
        src: &Src,
        snap: &Snapshot,
        idx: usize,
        ranges: &[Range<u64>],
    ) -> Result<Vec<Bytes>, StorageError> {
        let (Some(e), Some(key)) = (snap.entries.get(idx), snap.keys.get(idx)) else {
            return Err(StorageError::Other("internal error: entry index".into()));
        };
        let name = format!("{}{}", self.options.root.as_str(), key.as_str());
        let fail = |z: ZipError| self.err(Some(&name), z);
        if e.flags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION | FLAG_MASKED) != 0 {
            return Err(fail(ZipError::Unsupported("encrypted zip entries".into())));
        }
        match e.method {
            METHOD_STORED => {
                if e.compressed_size != e.size {
                    return Err(fail(corrupt(format!(
                        "a stored entry of {} bytes occupies {} bytes",
                        e.size, e.compressed_size
                    ))));
                }
                let bytes = self.entry_data(src, snap, e, &name, ranges).await?;
                if self.options.verify_crc {
                    for (r, b) in ranges.iter().zip(&bytes) {
                        if r.start == 0 && r.end == e.size {
                            check_crc(e, b).map_err(fail)?;
                        }
                    }
                }
                Ok(bytes)
            }
            METHOD_DEFLATED => {
                let cached = self.decoded.lock().get(snap.id, idx);
                let decoded = match cached {
                    Some(d) => d,
                    None => {
                        let d = self.inflate(src, snap, e, &name).await?;
                        self.decoded.lock().insert(snap.id, idx, d.clone());
                        d
                    }
                };
                ranges
                    .iter()
                    .map(|r| {
                        let (s, t) = (usize::try_from(r.start), usize::try_from(r.end));
                        match (s, t) {
                            (Ok(s), Ok(t)) if s <= t && t <= decoded.len() => {
                                Ok(decoded.slice(s..t))
                            }
                            _ => Err(fail(corrupt("a range outside the decoded entry"))),
                        }
                    })
                    .collect()
            }
            m => Err(fail(ZipError::Unsupported(format!(
                "{}-compressed zip entries (only stored and deflate are read)",
                method_name(m)
            )))),
        }
    }

    /// Decode a deflated entry whole: bounded by its declared size (itself bounded by the
    /// limit and by what DEFLATE can expand its compressed bytes to), which it must have
    /// exactly, and checked against its CRC-32.
    async fn inflate<Src: Source + ?Sized>(
        &self,
        src: &Src,
        snap: &Snapshot,
        e: &Entry,
        name: &str,
    ) -> Result<Bytes, StorageError> {
        let fail = |z: ZipError| self.err(Some(name), z);
        if e.size > self.options.max_inflated_bytes {
            return Err(fail(ZipError::Refused(format!(
                "the entry decodes to {} bytes, more than the limit of {} (ZipStoreOptions::with_max_inflated_bytes)",
                e.size, self.options.max_inflated_bytes
            ))));
        }
        if e.size
            > e.compressed_size
                .saturating_mul(DEFLATE_MAX_RATIO)
                .saturating_add(64)
        {
            return Err(fail(corrupt(format!(
                "the entry declares {} bytes from {} compressed bytes, more than DEFLATE can produce",
                e.size, e.compressed_size
            ))));
        }
        let compressed = self
            .entry_data(
                src,
                snap,
                e,
                name,
                std::slice::from_ref(&(0..e.compressed_size)),
            )
            .await?
            .pop()
            .unwrap_or_default();
        let decoded = inflate_exact(&compressed, e.size).map_err(fail)?;
        if self.options.verify_crc {
            check_crc(e, &decoded).map_err(fail)?;
        }
        Ok(Bytes::from(decoded))
    }

    /// `ranges` (relative to the start of the entry's stored bytes) of an entry's stored
    /// bytes. The data offset comes from the local header, read once and cached; that first
    /// read guesses the offset from the central directory's name and extra lengths and asks
    /// for the header and the ranges in one request, and asks again only if the guess was
    /// wrong (a local extra field unlike the central one).
    async fn entry_data<Src: Source + ?Sized>(
        &self,
        src: &Src,
        snap: &Snapshot,
        e: &Entry,
        name: &str,
        ranges: &[Range<u64>],
    ) -> Result<Vec<Bytes>, StorageError> {
        let fail = |z: ZipError| self.err(Some(name), z);
        let shift = |d: u64| -> Result<Vec<Range<u64>>, StorageError> {
            ranges
                .iter()
                .map(|r| match (d.checked_add(r.start), d.checked_add(r.end)) {
                    (Some(s), Some(t)) => Ok(s..t),
                    _ => Err(fail(corrupt("the entry's data lies beyond 2^64 bytes"))),
                })
                .collect()
        };
        let known = e.data_offset.load(Ordering::Relaxed);
        if known != UNKNOWN {
            return self.fetch(src, snap, &shift(known)?).await;
        }
        let name_end = e
            .lho
            .checked_add(LOCAL_LEN + u64::from(e.name_len))
            .filter(|&end| end <= e.limit)
            .ok_or_else(|| {
                fail(corrupt(
                    "the local header lies outside the archive's entries, or overlaps the next entry",
                ))
            })?;
        let guess = name_end.checked_add(e.extra_len.into());
        let mut ask = Vec::with_capacity(ranges.len() + 1);
        ask.push(e.lho..name_end);
        let speculative = match guess {
            Some(g)
                if g.checked_add(e.compressed_size)
                    .is_some_and(|end| end <= e.limit) =>
            {
                ask.extend(shift(g)?);
                true
            }
            _ => false,
        };
        let mut got = self.fetch(src, snap, &ask).await?;
        let header = got.first().cloned().unwrap_or_default();
        let (local_name, name_len, extra_len) = parse_local(&header).map_err(fail)?;
        if name_len != e.name_len || decode_name(local_name, e.flags).as_deref() != Some(name) {
            return Err(fail(corrupt(
                "the local header's file name differs from the central directory's",
            )));
        }
        let data = e
            .lho
            .checked_add(LOCAL_LEN + u64::from(name_len) + u64::from(extra_len))
            .filter(|d| {
                d.checked_add(e.compressed_size)
                    .is_some_and(|end| end <= e.limit)
            })
            .ok_or_else(|| {
                fail(corrupt(
                    "the entry's data runs into the next entry or the central directory (overlapping entries: a zip bomb?)",
                ))
            })?;
        e.data_offset.store(data, Ordering::Relaxed);
        if speculative && Some(data) == guess {
            got.remove(0);
            return Ok(got);
        }
        self.fetch(src, snap, &shift(data)?).await
    }

    /// Absolute ranges of the archive: from the tail read at open where they lie in it, the
    /// others in one read of the source (ranges that touch or overlap merged) demanding the
    /// snapshot's version.
    async fn fetch<Src: Source + ?Sized>(
        &self,
        src: &Src,
        snap: &Snapshot,
        ranges: &[Range<u64>],
    ) -> Result<Vec<Bytes>, StorageError> {
        let mut out: Vec<Option<Bytes>> = vec![None; ranges.len()];
        let mut far: Vec<usize> = Vec::new();
        for (i, r) in ranges.iter().enumerate() {
            if r.start > r.end || r.end > snap.size {
                return Err(self.err(
                    None,
                    corrupt(format!(
                        "bytes {}..{} lie outside the archive of {} bytes",
                        r.start, r.end, snap.size
                    )),
                ));
            }
            if r.start >= snap.tail_offset {
                let (s, t) = (
                    usize::try_from(r.start - snap.tail_offset),
                    usize::try_from(r.end - snap.tail_offset),
                );
                if let (Ok(s), Ok(t)) = (s, t) {
                    if t <= snap.tail.len() {
                        out[i] = Some(snap.tail.slice(s..t));
                        continue;
                    }
                }
            }
            far.push(i);
        }
        if !far.is_empty() {
            far.sort_by_key(|&i| ranges.get(i).map_or(0, |r| r.start));
            // Groups of touching or overlapping ranges: (start, end, members).
            let mut groups: Vec<(u64, u64, Vec<usize>)> = Vec::new();
            for i in far {
                let r = ranges.get(i).cloned().unwrap_or(0..0);
                match groups.last_mut() {
                    Some(g) if r.start <= g.1 => {
                        g.1 = g.1.max(r.end);
                        g.2.push(i);
                    }
                    _ => groups.push((r.start, r.end, vec![i])),
                }
            }
            let ask: Vec<ByteRange> = groups
                .iter()
                .map(|g| ByteRange::new(g.0, g.1 - g.0))
                .collect();
            let r = src
                .read(&self.key, &ask, Some(&snap.version))
                .await?
                .ok_or_else(|| changed(&self.key))?;
            r.check(&self.key, &ask)?;
            if r.version != snap.version || r.size != snap.size {
                return Err(changed(&self.key));
            }
            for (g, b) in groups.iter().zip(r.bytes) {
                for &i in &g.2 {
                    let Some(want) = ranges.get(i) else { continue };
                    let (s, t) = (want.start - g.0, want.end - g.0);
                    // Within the group, whose bytes were checked to be g.1 - g.0 long.
                    let (s, t) = (s as usize, t as usize);
                    if t <= b.len() && s <= t {
                        out[i] = Some(b.slice(s..t));
                    }
                }
            }
        }
        out.into_iter()
            .map(|b| {
                b.ok_or_else(|| {
                    StorageError::Other("internal error: a range was not served".into())
                })
            })
            .collect()
    }
}

fn check_crc(e: &Entry, data: &[u8]) -> Result<(), ZipError> {
    let got = crc32fast::hash(data);
    if got == e.crc32 {
        Ok(())
    } else {
        Err(corrupt(format!(
            "CRC-32 mismatch (the directory says {:#010x}, the data gives {got:#010x})",
            e.crc32
        )))
    }
}

/// Raw DEFLATE of `input` to exactly `size` bytes (an error if it decodes to more or fewer,
/// or if the stream is truncated); never allocates more than `size + 1` bytes.
pub(crate) fn inflate_exact(input: &[u8], size: u64) -> Result<Vec<u8>, ZipError> {
    use flate2::{Decompress, FlushDecompress, Status};
    let n = usize::try_from(size)
        .ok()
        .and_then(|n| n.checked_add(1))
        .ok_or_else(|| ZipError::Refused(format!("{size} bytes do not fit in memory")))?;
    let mut out: Vec<u8> = Vec::new();
    out.try_reserve_exact(n)
        .map_err(|e| ZipError::Refused(format!("cannot allocate {size} bytes: {e}")))?;
    let mut d = Decompress::new(false);
    loop {
        let consumed = usize::try_from(d.total_in()).unwrap_or(usize::MAX);
        let rest = input.get(consumed..).unwrap_or_default();
        let (in_before, out_before) = (d.total_in(), out.len());
        let status = d
            .decompress_vec(rest, &mut out, FlushDecompress::None)
            .map_err(|e| corrupt(format!("invalid DEFLATE data: {e}")))?;
        if out.len() as u64 > size {
            return Err(corrupt(format!(
                "the entry decodes to more than its declared {size} bytes"
            )));
        }
        if status == Status::StreamEnd {
            break;
        }
        if d.total_in() == in_before && out.len() == out_before {
            return Err(corrupt(
                "the DEFLATE data ends before its last block (truncated?)",
            ));
        }
    }
    if out.len() as u64 != size {
        return Err(corrupt(format!(
            "the entry decodes to {} bytes, its directory entry says {size}",
            out.len()
        )));
    }
    Ok(out)
}

/// Decoded deflated entries, most recent last, within a byte budget (a partial read of a
/// deflated shard then decodes it once, not once per request).
#[derive(Debug)]
struct DecodedCache {
    budget: usize,
    used: usize,
    items: VecDeque<(u64, usize, Bytes)>,
}

impl DecodedCache {
    fn new(budget: usize) -> Self {
        Self {
            budget,
            used: 0,
            items: VecDeque::new(),
        }
    }
    fn get(&self, id: u64, idx: usize) -> Option<Bytes> {
        self.items
            .iter()
            .find(|(i, j, _)| *i == id && *j == idx)
            .map(|(_, _, b)| b.clone())
    }
    fn insert(&mut self, id: u64, idx: usize, b: Bytes) {
        if b.len() > self.budget || self.get(id, idx).is_some() {
            return;
        }
        while self.used + b.len() > self.budget {
            match self.items.pop_front() {
                Some((_, _, old)) => self.used -= old.len(),
                None => break,
            }
        }
        self.used += b.len();
        self.items.push_back((id, idx, b));
    }
}

/// The tail of the archive read at open, and further reads of the same version.
struct Tail<'s, Src: ?Sized> {
    src: &'s Src,
    key: &'s StoreKey,
    version: Version,
    size: u64,
    offset: u64,
    bytes: Bytes,
}

impl<Src: Source + ?Sized> Tail<'_, Src> {
    async fn fetch(&self, r: Range<u64>) -> Result<Bytes, StorageError> {
        if r.start >= self.offset && r.end <= self.size && r.start <= r.end {
            // Both within the tail, which is shorter than a usize.
            let (s, t) = (
                (r.start - self.offset) as usize,
                (r.end - self.offset) as usize,
            );
            return Ok(self.bytes.slice(s..t));
        }
        let ask = [ByteRange::new(r.start, r.end.saturating_sub(r.start))];
        let got = self
            .src
            .read(self.key, &ask, Some(&self.version))
            .await?
            .ok_or_else(|| changed(self.key))?;
        got.check(self.key, &ask)?;
        got.into_single(self.key)
    }
}

#[derive(Debug)]
struct RawEntry<'a> {
    name: &'a [u8],
    flags: u16,
    method: u16,
    crc32: u32,
    compressed_size: u64,
    size: u64,
    lho: u64,
    name_len: u16,
    extra_len: u16,
}

/// Read an archive's directory: one suffix read of its tail (which holds the end records and,
/// for most archives, the whole central directory), one more read for a central directory
/// that does not fit in the tail. An archive shorter than the tail read is read whole, in a
/// second request, after the store said the suffix was out of bounds.
pub(crate) async fn load<Src: Source + ?Sized>(
    src: &Src,
    key: &StoreKey,
    o: &ZipStoreOptions,
    id: u64,
) -> Result<Snapshot, StorageError> {
    let e = |z: ZipError| zip_err(key, None, z);
    // At least the end records of an archive without a comment (EOCD, ZIP64 locator and
    // record), so that a small tail costs no extra request for them.
    let want = o
        .tail_read_bytes
        .max(EOCD_LEN + ZIP64_LOCATOR_LEN + ZIP64_EOCD_LEN);
    let suffix = [ByteRange::Suffix(want)];
    let (first, asked) = match src.read(key, &suffix, None).await {
        Ok(Some(r)) => (r, &suffix[..]),
        Ok(None) => return Err(absent(key)),
        Err(StorageError::RangeOutOfBounds { .. }) => (
            src.read(key, &[ByteRange::ALL], None)
                .await?
                .ok_or_else(|| absent(key))?,
            &[ByteRange::ALL][..],
        ),
        Err(err) => return Err(err),
    };
    first.check(key, asked)?;
    let (size, version) = (first.size, first.version.clone());
    let bytes = first.into_single(key)?;
    if size < EOCD_LEN {
        return Err(e(corrupt(format!(
            "{size} bytes are too few for a zip archive (not a zip archive?)"
        ))));
    }
    let mut tail = Tail {
        src,
        key,
        version,
        size,
        offset: size - bytes.len() as u64,
        bytes,
    };
    let pos = match find_end_record(&tail.bytes) {
        Some(p) => p,
        None if tail.offset > 0 && (tail.bytes.len() as u64) < MAX_END_RECORDS => {
            let n = MAX_END_RECORDS.min(size);
            tail.bytes = tail.fetch(size - n..size).await?;
            tail.offset = size - n;
            find_end_record(&tail.bytes).ok_or_else(|| {
                e(corrupt(
                    "no end of central directory record (not a zip archive?)",
                ))
            })?
        }
        None => {
            return Err(e(corrupt(
                "no end of central directory record (not a zip archive?)",
            )))
        }
    };
    let eocd_at = tail.offset + pos as u64;
    let eocd = tail
        .bytes
        .get(pos..)
        .and_then(EndRecord::parse)
        .ok_or_else(|| e(corrupt("the end of central directory record is cut short")))?;
    let comment = {
        let s = pos + EOCD_LEN as usize;
        let t = (s + eocd.comment_len as usize).min(tail.bytes.len());
        tail.bytes.slice(s.min(t)..t)
    };

    // ZIP64: a locator right before the end record, and the ZIP64 record right before the
    // locator (where Python looks for it) or where the locator says.
    let mut zip64 = None;
    if eocd_at >= ZIP64_LOCATOR_LEN {
        let loc_at = eocd_at - ZIP64_LOCATOR_LEN;
        let loc_bytes = tail.fetch(loc_at..eocd_at).await?;
        if let Some(loc) = Zip64Locator::parse(&loc_bytes) {
            if loc.disks > 1 || loc.disk != 0 {
                return Err(e(ZipError::Unsupported(
                    "zip archives split over several files (disks)".into(),
                )));
            }
            let mut rec = None;
            if loc_at >= ZIP64_EOCD_LEN {
                let at = loc_at - ZIP64_EOCD_LEN;
                rec = Zip64EndRecord::parse(&tail.fetch(at..loc_at).await?).map(|r| (at, r));
            }
            if rec.is_none() {
                let at = loc.record_offset;
                if at
                    .checked_add(ZIP64_EOCD_LEN)
                    .is_some_and(|end| end <= loc_at)
                {
                    let b = tail.fetch(at..at + ZIP64_EOCD_LEN).await?;
                    rec = Zip64EndRecord::parse(&b).map(|r| (at, r));
                }
            }
            zip64 = Some(rec.ok_or_else(|| {
                e(corrupt(
                    "a ZIP64 end of central directory locator without its record",
                ))
            })?);
        }
    }
    let (cd_end, declared, cd_size, cd_offset) = match zip64 {
        Some((at, r)) => {
            if r.disk != 0 || r.cd_disk != 0 || r.entries_disk != r.entries {
                return Err(e(ZipError::Unsupported(
                    "zip archives split over several files (disks)".into(),
                )));
            }
            (at, r.entries, r.cd_size, r.cd_offset)
        }
        None => {
            let multi = |d: u16| d != 0 && d != u16::MAX;
            if multi(eocd.disk) || multi(eocd.cd_disk) {
                return Err(e(ZipError::Unsupported(
                    "zip archives split over several files (disks)".into(),
                )));
            }
            let _ = eocd.entries_disk;
            (
                eocd_at,
                u64::from(eocd.entries),
                u64::from(eocd.cd_size),
                u64::from(eocd.cd_offset),
            )
        }
    };
    if declared > o.max_entries as u64 {
        return Err(e(ZipError::Refused(format!(
            "the archive declares {declared} entries, more than the limit of {} (ZipStoreOptions::with_max_entries)",
            o.max_entries
        ))));
    }
    if cd_size > o.max_central_directory_bytes {
        return Err(e(ZipError::Refused(format!(
            "the central directory has {cd_size} bytes, more than the limit of {} (ZipStoreOptions::with_max_central_directory_bytes)",
            o.max_central_directory_bytes
        ))));
    }
    // Data before the archive (a self-extracting stub, or an archive appended to another
    // file): the offsets are relative to where the archive starts, as Python computes it.
    let base = cd_end
        .checked_sub(cd_size)
        .and_then(|x| x.checked_sub(cd_offset))
        .ok_or_else(|| {
            e(corrupt(format!(
                "the central directory ({cd_size} bytes at offset {cd_offset}) does not end before the end record at {cd_end}"
            )))
        })?;
    let cd_start = cd_end - cd_size;
    let cd = tail.fetch(cd_start..cd_end).await?;

    let mut raw: Vec<RawEntry<'_>> = Vec::new();
    let cap = declared
        .min(cd_size / CENTRAL_LEN)
        .min(o.max_entries as u64) as usize;
    raw.try_reserve_exact(cap).map_err(|err| {
        e(ZipError::Refused(format!(
            "cannot allocate the directory: {err}"
        )))
    })?;
    let mut r = Le::new(&cd);
    while r.remaining() > 0 {
        if raw.len() >= o.max_entries {
            return Err(e(ZipError::Refused(format!(
                "the central directory holds more than the limit of {} entries (ZipStoreOptions::with_max_entries)",
                o.max_entries
            ))));
        }
        let c = parse_central(&mut r).map_err(e)?;
        let lho = base
            .checked_add(c.local_header_offset)
            .ok_or_else(|| e(corrupt("a local header offset beyond 2^64 bytes")))?;
        raw.push(RawEntry {
            name: c.name,
            flags: c.flags,
            method: c.method,
            crc32: c.crc32,
            compressed_size: c.compressed_size,
            size: c.size,
            lho,
            name_len: c.name.len() as u16,
            extra_len: c.extra_len,
        });
    }

    // Each entry ends where the next one (by offset) starts, or at the central directory;
    // entries sharing a local header overlap entirely, and none of them can be read.
    let mut limits: Vec<u64> = Vec::new();
    let mut order: Vec<u32> = Vec::new();
    limits
        .try_reserve_exact(raw.len())
        .and_then(|_| order.try_reserve_exact(raw.len()))
        .map_err(|err| {
            e(ZipError::Refused(format!(
                "cannot allocate the directory: {err}"
            )))
        })?;
    limits.resize(raw.len(), cd_start);
    order.extend(0..raw.len() as u32);
    order.sort_by_key(|&i| raw.get(i as usize).map_or(0, |r| r.lho));
    for (k, &i) in order.iter().enumerate() {
        let lho = raw.get(i as usize).map_or(0, |r| r.lho);
        let prev = k
            .checked_sub(1)
            .and_then(|p| order.get(p))
            .and_then(|&j| raw.get(j as usize))
            .map(|r| r.lho);
        let next = order
            .get(k + 1)
            .and_then(|&j| raw.get(j as usize))
            .map(|r| r.lho);
        let limit = if prev == Some(lho) || next == Some(lho) {
            lho
        } else {
            next.unwrap_or(cd_start).min(cd_start)
        };
        if let Some(l) = limits.get_mut(i as usize) {
            *l = limit;
        }
    }

    // Names → keys: under the root, not directories, valid keys; the last of duplicates wins
    // (as in Python's zipfile, and as zarr-python's ZipStore overwrites keys).
    let root = o.root.as_str();
    let mut visible: Vec<(StoreKey, usize)> = Vec::new();
    visible.try_reserve_exact(raw.len()).map_err(|err| {
        e(ZipError::Refused(format!(
            "cannot allocate the directory: {err}"
        )))
    })?;
    for (i, c) in raw.iter().enumerate() {
        let Some(name) = decode_name(c.name, c.flags) else {
            continue;
        };
        let Some(rel) = name.strip_prefix(root) else {
            continue;
        };
        if rel.is_empty() || rel.ends_with('/') {
            continue;
        }
        if let Ok(k) = StoreKey::new(rel) {
            visible.push((k, i));
        }
    }
    visible.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut keys = Vec::new();
    let mut entries = Vec::new();
    keys.try_reserve_exact(visible.len())
        .and_then(|_| entries.try_reserve_exact(visible.len()))
        .map_err(|err| {
            e(ZipError::Refused(format!(
                "cannot allocate the directory: {err}"
            )))
        })?;
    let mut it = visible.into_iter().peekable();
    while let Some((k, i)) = it.next() {
        if it.peek().is_some_and(|(next, _)| *next == k) {
            continue;
        }
        let (Some(c), Some(&limit)) = (raw.get(i), limits.get(i)) else {
            continue;
        };
        keys.push(k);
        entries.push(Entry {
            lho: c.lho,
            limit,
            compressed_size: c.compressed_size,
            size: c.size,
            crc32: c.crc32,
            method: c.method,
            flags: c.flags,
            name_len: c.name_len,
            extra_len: c.extra_len,
            data_offset: AtomicU64::new(UNKNOWN),
        });
    }
    Ok(Snapshot {
        id,
        version: tail.version.clone(),
        size,
        tail_offset: tail.offset,
        entry_count: raw.len(),
        tail: tail.bytes,
        keys,
        entries,
        comment,
        zip64: zip64.is_some(),
    })
}
