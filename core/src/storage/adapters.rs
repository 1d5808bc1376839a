//! Storage adapters: each wraps a store and forwards **every** method (the read primitive, the
//! scatter fast path, conditional writes, listing), sync and — with the `async` feature —
//! async, so an adapter never costs a fast path.
//!
//! - [`UsageLogAdapter`]: one line per store call (method, key, ranges, outcome, time).
//! - [`PerformanceMetricsAdapter`]: counts requests, bytes and time per operation.
//! - [`AtomicWriteAdapter`]: gives a store without conditional writes atomic
//!   compare-and-swap ([`WritableStorageTraits::set_if`]) for the writers of this process,
//!   by a per-key lock around "check the version, then write".

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use super::{
    ByteRange, Bytes, ListDir, ListableStorageTraits, ReadResult, ReadableStorageTraits,
    SetCondition, StoreKey, StorePrefix, Version, WritableStorageTraits,
};
use crate::error::StorageError;
use crate::locks::KeyLocks;

pub(crate) fn ranges_text(ranges: &[ByteRange]) -> String {
    let v: Vec<String> = ranges.iter().map(ToString::to_string).collect();
    format!("[{}]", v.join(", "))
}

pub(crate) fn outcome_text<T>(
    r: &Result<T, StorageError>,
    ok: impl FnOnce(&T) -> String,
) -> String {
    match r {
        Ok(v) => ok(v),
        Err(e) => format!("error: {e}"),
    }
}

pub(crate) fn read_outcome(r: &Option<ReadResult>) -> String {
    match r {
        None => "absent".into(),
        Some(r) => format!(
            "{} bytes of {} ({:?})",
            r.bytes.iter().map(|b| b.len()).sum::<usize>(),
            r.size,
            r.version
        ),
    }
}

/// Logs every store call to a writer, one line each: `[elapsed] method key ... -> outcome`.
pub struct UsageLogAdapter<S: ?Sized> {
    inner: Arc<S>,
    log: Mutex<Box<dyn Write + Send>>,
    start: Instant,
}

impl<S: ?Sized> UsageLogAdapter<S> {
    /// Log the calls made to `inner` to `log`.
    pub fn new(inner: Arc<S>, log: impl Write + Send + 'static) -> Self {
        Self {
            inner,
            log: Mutex::new(Box::new(log)),
            start: Instant::now(),
        }
    }

    /// The wrapped store.
    pub fn inner(&self) -> &Arc<S> {
        &self.inner
    }

    pub(crate) fn line(&self, text: std::fmt::Arguments<'_>) {
        let t = self.start.elapsed().as_secs_f64();
        // A log that cannot be written must not fail the store call.
        let _ = writeln!(self.log.lock(), "[{t:>10.6}] {text}");
    }
}

impl<S: ReadableStorageTraits + ?Sized> ReadableStorageTraits for UsageLogAdapter<S> {
    fn read(
        &self,
        key: &StoreKey,
        ranges: &[ByteRange],
        if_version: Option<&Version>,
    ) -> Result<Option<ReadResult>, StorageError> {
        let r = self.inner.read(key, ranges, if_version);
        self.line(format_args!(
            "read {key} {} if_version={if_version:?} -> {}",
            ranges_text(ranges),
            outcome_text(&r, read_outcome)
        ));
        r
    }

    fn get_into(&self, key: &StoreKey, bufs: &mut [&mut [u8]]) -> Result<bool, StorageError> {
        let n: usize = bufs.iter().map(|b| b.len()).sum();
        let r = self.inner.get_into(key, bufs);
        self.line(format_args!(
            "get_into {key} ({} buffers, {n} bytes) -> {}",
            bufs.len(),
            outcome_text(&r, |p| if *p { "ok".into() } else { "absent".into() })
        ));
        r
    }
}

impl<S: WritableStorageTraits + ?Sized> WritableStorageTraits for UsageLogAdapter<S> {
    fn set(&self, key: &StoreKey, value: Bytes) -> Result<(), StorageError> {
        let n = value.len();
        let r = self.inner.set(key, value);
        self.line(format_args!(
            "set {key} ({n} bytes) -> {}",
            outcome_text(&r, |_| "ok".into())
        ));
        r
    }
    fn set_if(
        &self,
        key: &StoreKey,
        value: Bytes,
        condition: &SetCondition,
    ) -> Result<(), StorageError> {
        let n = value.len();
        let r = self.inner.set_if(key, value, condition);
        self.line(format_args!(
            "set_if {key} ({n} bytes) {condition:?} -> {}",
            outcome_text(&r, |_| "ok".into())
        ));
        r
    }
    fn erase_if(&self, key: &StoreKey, version: &Version) -> Result<(), StorageError> {
        let r = self.inner.erase_if(key, version);
        self.line(format_args!(
            "erase_if {key} {version:?} -> {}",
            outcome_text(&r, |_| "ok".into())
        ));
        r
    }
    fn supports_conditional_writes(&self) -> bool {
        self.inner.supports_conditional_writes()
    }
    fn erase(&self, key: &StoreKey) -> Result<(), StorageError> {
        let r = self.inner.erase(key);
        self.line(format_args!(
            "erase {key} -> {}",
            outcome_text(&r, |_| "ok".into())
        ));
        r
    }
    fn erase_prefix(&self, prefix: &StorePrefix) -> Result<(), StorageError> {
        let r = self.inner.erase_prefix(prefix);
        self.line(format_args!(
            "erase_prefix {prefix:?} -> {}",
            outcome_text(&r, |_| "ok".into())
        ));
        r
    }
}

impl<S: ListableStorageTraits + ?Sized> ListableStorageTraits for UsageLogAdapter<S> {
    fn list(&self) -> Result<Vec<StoreKey>, StorageError> {
        let r = self.inner.list();
        self.line(format_args!(
            "list -> {}",
            outcome_text(&r, |v| format!("{} keys", v.len()))
        ));
        r
    }
    fn list_prefix(&self, prefix: &StorePrefix) -> Result<Vec<StoreKey>, StorageError> {
        let r = self.inner.list_prefix(prefix);
        self.line(format_args!(
            "list_prefix {prefix:?} -> {}",
            outcome_text(&r, |v| format!("{} keys", v.len()))
        ));
        r
    }
    fn list_dir(&self, prefix: &StorePrefix) -> Result<ListDir, StorageError> {
        let r = self.inner.list_dir(prefix);
        self.line(format_args!(
            "list_dir {prefix:?} -> {}",
            outcome_text(&r, |d| format!(
                "{} keys, {} prefixes",
                d.keys.len(),
                d.prefixes.len()
            ))
        ));
        r
    }
}

/// Counters of [`PerformanceMetricsAdapter`] (a snapshot).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PerformanceMetrics {
    /// Read requests (`read` and `get_into` calls).
    pub reads: u64,
    /// Bytes returned by reads.
    pub bytes_read: u64,
    /// Time spent in reads.
    pub read_time: Duration,
    /// Write requests (`set`, `set_if`).
    pub writes: u64,
    /// Bytes written.
    pub bytes_written: u64,
    /// Time spent in writes.
    pub write_time: Duration,
    /// Erase requests (`erase`, `erase_if`, `erase_prefix`).
    pub erases: u64,
    /// List requests.
    pub lists: u64,
    /// Requests that failed.
    pub errors: u64,
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    reads: AtomicU64,
    bytes_read: AtomicU64,
    read_nanos: AtomicU64,
    writes: AtomicU64,
    bytes_written: AtomicU64,
    write_nanos: AtomicU64,
    erases: AtomicU64,
    lists: AtomicU64,
    errors: AtomicU64,
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl Counters {
    pub(crate) fn read<T>(&self, started: Instant, bytes: u64, r: &Result<T, StorageError>) {
        self.reads.fetch_add(1, Ordering::Relaxed);
        self.bytes_read.fetch_add(bytes, Ordering::Relaxed);
        self.read_nanos
            .fetch_add(nanos(started.elapsed()), Ordering::Relaxed);
        self.error(r);
    }
    pub(crate) fn write<T>(&self, started: Instant, bytes: u64, r: &Result<T, StorageError>) {
        self.writes.fetch_add(1, Ordering::Relaxed);
        self.bytes_written.fetch_add(bytes, Ordering::Relaxed);
        self.write_nanos
            .fetch_add(nanos(started.elapsed()), Ordering::Relaxed);
        self.error(r);
    }
    pub(crate) fn erase<T>(&self, r: &Result<T, StorageError>) {
        self.erases.fetch_add(1, Ordering::Relaxed);
        self.error(r);
    }
    pub(crate) fn list<T>(&self, r: &Result<T, StorageError>) {
        self.lists.fetch_add(1, Ordering::Relaxed);
        self.error(r);
    }
    fn error<T>(&self, r: &Result<T, StorageError>) {
        if r.is_err() {
            self.errors.fetch_add(1, Ordering::Relaxed);
        }
    }
    fn snapshot(&self) -> PerformanceMetrics {
        let l = |a: &AtomicU64| a.load(Ordering::Relaxed);
        PerformanceMetrics {
            reads: l(&self.reads),
            bytes_read: l(&self.bytes_read),
            read_time: Duration::from_nanos(l(&self.read_nanos)),
            writes: l(&self.writes),
            bytes_written: l(&self.bytes_written),
            write_time: Duration::from_nanos(l(&self.write_nanos)),
            erases: l(&self.erases),
            lists: l(&self.lists),
            errors: l(&self.errors),
        }
    }
}

pub(crate) fn read_bytes(r: &Result<Option<ReadResult>, StorageError>) -> u64 {
    match r {
        Ok(Some(r)) => r.bytes.iter().map(|b| b.len() as u64).sum(),
        _ => 0,
    }
}

/// Accumulates request counts, bytes and time per operation of the store it wraps.
pub struct PerformanceMetricsAdapter<S: ?Sized> {
    inner: Arc<S>,
    pub(crate) counters: Counters,
}

impl<S: ?Sized> PerformanceMetricsAdapter<S> {
    /// Measure the calls made to `inner`.
    pub fn new(inner: Arc<S>) -> Self {
        Self {
            inner,
            counters: Counters::default(),
        }
    }

    /// The wrapped store.
    pub fn inner(&self) -> &Arc<S> {
        &self.inner
    }

    /// The counters so far.
    pub fn metrics(&self) -> PerformanceMetrics {
        self.counters.snapshot()
    }

    /// Set every counter back to zero.
    pub fn reset(&self) {
        let c = &self.counters;
        for a in [
            &c.reads,
            &c.bytes_read,
            &c.read_nanos,
            &c.writes,
            &c.bytes_written,
            &c.write_nanos,
            &c.erases,
            &c.lists,
            &c.errors,
        ] {
            a.store(0, Ordering::Relaxed);
        }
    }
}

impl<S: ReadableStorageTraits + ?Sized> ReadableStorageTraits for PerformanceMetricsAdapter<S> {
    fn read(
        &self,
        key: &StoreKey,
        ranges: &[ByteRange],
        if_version: Option<&Version>,
    ) -> Result<Option<ReadResult>, StorageError> {
        let t = Instant::now();
        let r = self.inner.read(key, ranges, if_version);
        self.counters.read(t, read_bytes(&r), &r);
        r
    }

    fn get_into(&self, key: &StoreKey, bufs: &mut [&mut [u8]]) -> Result<bool, StorageError> {
        let t = Instant::now();
        let r = self.inner.get_into(key, bufs);
        let n = match r {
            Ok(true) => bufs.iter().map(|b| b.len() as u64).sum(),
            _ => 0,
        };
        self.counters.read(t, n, &r);
        r
    }
}

impl<S: WritableStorageTraits + ?Sized> WritableStorageTraits for PerformanceMetricsAdapter<S> {
    fn set(&self, key: &StoreKey, value: Bytes) -> Result<(), StorageError> {
        let (t, n) = (Instant::now(), value.len() as u64);
        let r = self.inner.set(key, value);
        self.counters.write(t, n, &r);
        r
    }
    fn set_if(
        &self,
        key: &StoreKey,
        value: Bytes,
        condition: &SetCondition,
    ) -> Result<(), StorageError> {
        let (t, n) = (Instant::now(), value.len() as u64);
        let r = self.inner.set_if(key, value, condition);
        self.counters.write(t, n, &r);
        r
    }
    fn erase_if(&self, key: &StoreKey, version: &Version) -> Result<(), StorageError> {
        let r = self.inner.erase_if(key, version);
        self.counters.erase(&r);
        r
    }
    fn supports_conditional_writes(&self) -> bool {
        self.inner.supports_conditional_writes()
    }
    fn erase(&self, key: &StoreKey) -> Result<(), StorageError> {
        let r = self.inner.erase(key);
        self.counters.erase(&r);
        r
    }
    fn erase_prefix(&self, prefix: &StorePrefix) -> Result<(), StorageError> {
        let r = self.inner.erase_prefix(prefix);
        self.counters.erase(&r);
        r
    }
}

impl<S: ListableStorageTraits + ?Sized> ListableStorageTraits for PerformanceMetricsAdapter<S> {
    fn list(&self) -> Result<Vec<StoreKey>, StorageError> {
        let r = self.inner.list();
        self.counters.list(&r);
        r
    }
    fn list_prefix(&self, prefix: &StorePrefix) -> Result<Vec<StoreKey>, StorageError> {
        let r = self.inner.list_prefix(prefix);
        self.counters.list(&r);
        r
    }
    fn list_dir(&self, prefix: &StorePrefix) -> Result<ListDir, StorageError> {
        let r = self.inner.list_dir(prefix);
        self.counters.list(&r);
        r
    }
}

/// Conditional writes for a store that has none: `set_if` / `erase_if` take a per-key lock,
/// read the current version and write only if it matches. Atomic for every writer that goes
/// through this adapter (one process); writers elsewhere are not seen, so this is for stores
/// that one process owns. A store with its own conditional writes is forwarded untouched.
pub struct AtomicWriteAdapter<S: ?Sized> {
    inner: Arc<S>,
    pub(crate) locks: KeyLocks,
}

impl<S: ?Sized> AtomicWriteAdapter<S> {
    /// Give `inner` conditional writes.
    pub fn new(inner: Arc<S>) -> Self {
        Self {
            inner,
            locks: KeyLocks::default(),
        }
    }

    /// The wrapped store.
    pub fn inner(&self) -> &Arc<S> {
        &self.inner
    }
}

/// Whether a value of version `current` (`None`: absent) meets `condition`.
pub(crate) fn condition_holds(
    key: &StoreKey,
    condition: &SetCondition,
    current: Option<&Version>,
) -> Result<(), StorageError> {
    match (condition, current) {
        (SetCondition::Absent, None) => Ok(()),
        (SetCondition::Absent, Some(_)) => Err(StorageError::Exists {
            key: key.to_string(),
        }),
        (SetCondition::Version(want), Some(have)) if want == have => Ok(()),
        (SetCondition::Version(_), _) => Err(StorageError::Changed {
            key: key.to_string(),
        }),
    }
}

impl<S: ReadableStorageTraits + ?Sized> ReadableStorageTraits for AtomicWriteAdapter<S> {
    fn read(
        &self,
        key: &StoreKey,
        ranges: &[ByteRange],
        if_version: Option<&Version>,
    ) -> Result<Option<ReadResult>, StorageError> {
        self.inner.read(key, ranges, if_version)
    }
    fn get_into(&self, key: &StoreKey, bufs: &mut [&mut [u8]]) -> Result<bool, StorageError> {
        self.inner.get_into(key, bufs)
    }
}

impl<S: ReadableStorageTraits + WritableStorageTraits + ?Sized> WritableStorageTraits
    for AtomicWriteAdapter<S>
{
    fn set(&self, key: &StoreKey, value: Bytes) -> Result<(), StorageError> {
        // Under the key's lock: a plain write must not land between another writer's
        // version check and its write.
        self.locks.with(key, || self.inner.set(key, value))
    }
    fn set_if(
        &self,
        key: &StoreKey,
        value: Bytes,
        condition: &SetCondition,
    ) -> Result<(), StorageError> {
        if self.inner.supports_conditional_writes() {
            return self.inner.set_if(key, value, condition);
        }
        self.locks.with(key, || {
            let current = self.inner.read(key, &[], None)?.map(|r| r.version);
            condition_holds(key, condition, current.as_ref())?;
            self.inner.set(key, value)
        })
    }
    fn erase_if(&self, key: &StoreKey, version: &Version) -> Result<(), StorageError> {
        if self.inner.supports_conditional_writes() {
            return self.inner.erase_if(key, version);
        }
        self.locks.with(key, || {
            let current = self.inner.read(key, &[], None)?.map(|r| r.version);
            condition_holds(
                key,
                &SetCondition::Version(version.clone()),
                current.as_ref(),
            )?;
            self.inner.erase(key)
        })
    }
    fn supports_conditional_writes(&self) -> bool {
        true
    }
    fn erase(&self, key: &StoreKey) -> Result<(), StorageError> {
        self.locks.with(key, || self.inner.erase(key))
    }
    fn erase_prefix(&self, prefix: &StorePrefix) -> Result<(), StorageError> {
        self.inner.erase_prefix(prefix)
    }
}

impl<S: ListableStorageTraits + ?Sized> ListableStorageTraits for AtomicWriteAdapter<S> {
    fn list(&self) -> Result<Vec<StoreKey>, StorageError> {
        self.inner.list()
    }
    fn list_prefix(&self, prefix: &StorePrefix) -> Result<Vec<StoreKey>, StorageError> {
        self.inner.list_prefix(prefix)
    }
    fn list_dir(&self, prefix: &StorePrefix) -> Result<ListDir, StorageError> {
        self.inner.list_dir(prefix)
    }
}
