//! Async storage (feature `async`): the same traits as the sync ones, with boxed futures so
//! they are dyn-compatible; no runtime is assumed (tokio lives in store plugins and in the
//! `tokio` feature's [`TokioBlockOn`]).
//!
//! Adapters: [`SyncToAsyncAdapter`] makes any sync store an async one (its calls run on an
//! I/O thread pool, or inline), [`AsyncToSyncAdapter`] any async store a sync one (through a
//! [`BlockOn`]); [`super::UsageLogAdapter`], [`super::PerformanceMetricsAdapter`] and
//! [`super::AtomicWriteAdapter`] implement the async traits too, forwarding every method.

use std::sync::Arc;
use std::time::Instant;

use futures::future::BoxFuture;

use super::adapters::{condition_holds, outcome_text, ranges_text, read_bytes, read_outcome};
use super::{
    scatter_value, AtomicWriteAdapter, ByteRange, Bytes, ListDir, ListableStorageTraits,
    PerformanceMetricsAdapter, ReadResult, ReadableStorageTraits, SetCondition, StoreKey,
    StorePrefix, UsageLogAdapter, Version, WritableStorageTraits,
};
pub use crate::buffer::ScatterTarget;
use crate::error::StorageError;

/// An async store that can be read. See [`ReadableStorageTraits`] for the semantics.
pub trait AsyncReadableStorageTraits: Send + Sync {
    /// The read primitive: byte ranges of `key` (none: size and version only), `None` if
    /// absent, [`StorageError::Changed`] if `if_version` is given and no longer current.
    fn read<'a>(
        &'a self,
        key: &'a StoreKey,
        ranges: &'a [ByteRange],
        if_version: Option<&'a Version>,
    ) -> BoxFuture<'a, Result<Option<ReadResult>, StorageError>>;

    /// Read the whole value of `key` into `target` (owned buffers the value must exactly
    /// fill); `Ok(false)` if absent. The default reads the value and copies; a store that
    /// can read into memory directly (a file) fills the target itself.
    fn get_into<'a>(
        &'a self,
        key: &'a StoreKey,
        mut target: ScatterTarget,
    ) -> BoxFuture<'a, Result<bool, StorageError>> {
        Box::pin(async move {
            let Some(r) = self.read(key, &[ByteRange::ALL], None).await? else {
                return Ok(false);
            };
            let value = r.into_single(key)?;
            target.with_buffers(|bufs| scatter_value(key, &value, bufs))?;
            Ok(true)
        })
    }

    /// Capability: the sync store this async store is (a [`SyncToAsyncAdapter`]), which the
    /// async driver may call from its CPU tasks: a chunk's reads and its decode then run in
    /// one task on a worker thread, as in the sync driver — no hop between an I/O thread and
    /// a decode thread, and every buffer freed on the thread that allocated it. `None` (the
    /// default) for stores that are async through and through.
    fn as_sync_readable(&self) -> Option<Arc<dyn ReadableStorageTraits>> {
        None
    }
}

/// Reads derived from [`AsyncReadableStorageTraits::read`].
pub trait AsyncReadableStorageExt: AsyncReadableStorageTraits {
    /// The whole value of a key, or `None` if absent.
    fn get<'a>(&'a self, key: &'a StoreKey) -> BoxFuture<'a, Result<Option<Bytes>, StorageError>> {
        Box::pin(async move {
            match self.read(key, &[ByteRange::ALL], None).await? {
                None => Ok(None),
                Some(r) => r.into_single(key).map(Some),
            }
        })
    }

    /// Byte ranges of a key's value, or `None` if absent.
    fn get_ranges<'a>(
        &'a self,
        key: &'a StoreKey,
        ranges: &'a [ByteRange],
    ) -> BoxFuture<'a, Result<Option<Vec<Bytes>>, StorageError>> {
        Box::pin(async move { Ok(self.read(key, ranges, None).await?.map(|r| r.bytes)) })
    }

    /// The size of a key's value, or `None` if absent.
    fn size_key<'a>(
        &'a self,
        key: &'a StoreKey,
    ) -> BoxFuture<'a, Result<Option<u64>, StorageError>> {
        Box::pin(async move { Ok(self.read(key, &[], None).await?.map(|r| r.size)) })
    }

    /// The version of a key's value, or `None` if absent.
    fn version<'a>(
        &'a self,
        key: &'a StoreKey,
    ) -> BoxFuture<'a, Result<Option<Version>, StorageError>> {
        Box::pin(async move { Ok(self.read(key, &[], None).await?.map(|r| r.version)) })
    }
}

impl<T: AsyncReadableStorageTraits + ?Sized> AsyncReadableStorageExt for T {}

/// An async store that can be written. See [`WritableStorageTraits`] for the semantics.
pub trait AsyncWritableStorageTraits: Send + Sync {
    /// Store a value atomically.
    fn set<'a>(
        &'a self,
        key: &'a StoreKey,
        value: Bytes,
    ) -> BoxFuture<'a, Result<(), StorageError>>;

    /// Store a value only if `condition` holds. The default is [`StorageError::Unsupported`].
    fn set_if<'a>(
        &'a self,
        key: &'a StoreKey,
        value: Bytes,
        condition: &'a SetCondition,
    ) -> BoxFuture<'a, Result<(), StorageError>> {
        let _ = (key, value, condition);
        Box::pin(async {
            Err(StorageError::Unsupported(
                "conditional writes (set_if)".into(),
            ))
        })
    }

    /// Erase a key only if it holds `version`. The default is [`StorageError::Unsupported`].
    fn erase_if<'a>(
        &'a self,
        key: &'a StoreKey,
        version: &'a Version,
    ) -> BoxFuture<'a, Result<(), StorageError>> {
        let _ = (key, version);
        Box::pin(async {
            Err(StorageError::Unsupported(
                "conditional erasure (erase_if)".into(),
            ))
        })
    }

    /// Whether [`Self::set_if`] is implemented atomically for every writer of the store.
    fn supports_conditional_writes(&self) -> bool {
        false
    }

    /// Capability: the sync store this async store is (see
    /// [`AsyncReadableStorageTraits::as_sync_readable`]), for whole-chunk writes encoded and
    /// stored in one CPU task.
    fn as_sync_writable(&self) -> Option<Arc<dyn WritableStorageTraits>> {
        None
    }

    /// Erase a key (absent keys are fine).
    fn erase<'a>(&'a self, key: &'a StoreKey) -> BoxFuture<'a, Result<(), StorageError>>;

    /// Erase every key under a prefix.
    fn erase_prefix<'a>(
        &'a self,
        prefix: &'a StorePrefix,
    ) -> BoxFuture<'a, Result<(), StorageError>>;
}

/// An async store whose keys can be listed.
pub trait AsyncListableStorageTraits: Send + Sync {
    /// Every key, sorted.
    fn list(&self) -> BoxFuture<'_, Result<Vec<StoreKey>, StorageError>> {
        Box::pin(async move { self.list_prefix(&StorePrefix::root()).await })
    }
    /// Every key under a prefix, sorted.
    fn list_prefix<'a>(
        &'a self,
        prefix: &'a StorePrefix,
    ) -> BoxFuture<'a, Result<Vec<StoreKey>, StorageError>>;
    /// The keys and sub-prefixes directly under a prefix.
    fn list_dir<'a>(
        &'a self,
        prefix: &'a StorePrefix,
    ) -> BoxFuture<'a, Result<ListDir, StorageError>>;
}

/// A readable, writable and listable async store.
pub trait AsyncReadableWritableListableStorageTraits:
    AsyncReadableStorageTraits + AsyncWritableStorageTraits + AsyncListableStorageTraits
{
}
impl<
        T: AsyncReadableStorageTraits
            + AsyncWritableStorageTraits
            + AsyncListableStorageTraits
            + ?Sized,
    > AsyncReadableWritableListableStorageTraits for T
{
}

/// A readable async store behind a trait object.
pub type AsyncReadableStorage = Arc<dyn AsyncReadableStorageTraits>;
/// A readable, writable and listable async store behind a trait object.
pub type AsyncReadableWritableListableStorage = Arc<dyn AsyncReadableWritableListableStorageTraits>;

impl<T: AsyncReadableStorageTraits + ?Sized> AsyncReadableStorageTraits for Arc<T> {
    fn read<'a>(
        &'a self,
        key: &'a StoreKey,
        ranges: &'a [ByteRange],
        if_version: Option<&'a Version>,
    ) -> BoxFuture<'a, Result<Option<ReadResult>, StorageError>> {
        (**self).read(key, ranges, if_version)
    }
    fn get_into<'a>(
        &'a self,
        key: &'a StoreKey,
        target: ScatterTarget,
    ) -> BoxFuture<'a, Result<bool, StorageError>> {
        (**self).get_into(key, target)
    }
    fn as_sync_readable(&self) -> Option<Arc<dyn ReadableStorageTraits>> {
        (**self).as_sync_readable()
    }
}

impl<T: AsyncWritableStorageTraits + ?Sized> AsyncWritableStorageTraits for Arc<T> {
    fn set<'a>(
        &'a self,
        key: &'a StoreKey,
        value: Bytes,
    ) -> BoxFuture<'a, Result<(), StorageError>> {
        (**self).set(key, value)
    }
    fn set_if<'a>(
        &'a self,
        key: &'a StoreKey,
        value: Bytes,
        condition: &'a SetCondition,
    ) -> BoxFuture<'a, Result<(), StorageError>> {
        (**self).set_if(key, value, condition)
    }
    fn erase_if<'a>(
        &'a self,
        key: &'a StoreKey,
        version: &'a Version,
    ) -> BoxFuture<'a, Result<(), StorageError>> {
        (**self).erase_if(key, version)
    }
    fn supports_conditional_writes(&self) -> bool {
        (**self).supports_conditional_writes()
    }
    fn as_sync_writable(&self) -> Option<Arc<dyn WritableStorageTraits>> {
        (**self).as_sync_writable()
    }
    fn erase<'a>(&'a self, key: &'a StoreKey) -> BoxFuture<'a, Result<(), StorageError>> {
        (**self).erase(key)
    }
    fn erase_prefix<'a>(
        &'a self,
        prefix: &'a StorePrefix,
    ) -> BoxFuture<'a, Result<(), StorageError>> {
        (**self).erase_prefix(prefix)
    }
}

impl<T: AsyncListableStorageTraits + ?Sized> AsyncListableStorageTraits for Arc<T> {
    fn list(&self) -> BoxFuture<'_, Result<Vec<StoreKey>, StorageError>> {
        (**self).list()
    }
    fn list_prefix<'a>(
        &'a self,
        prefix: &'a StorePrefix,
    ) -> BoxFuture<'a, Result<Vec<StoreKey>, StorageError>> {
        (**self).list_prefix(prefix)
    }
    fn list_dir<'a>(
        &'a self,
        prefix: &'a StorePrefix,
    ) -> BoxFuture<'a, Result<ListDir, StorageError>> {
        (**self).list_dir(prefix)
    }
}

// ---------------------------------------------------------------------------------------
// Sync → async.

/// Makes a sync store an async one. By default each call runs on a thread of the
/// [`blocking`] crate's pool, which starts threads on demand and lets idle ones exit (so
/// calls that block on a disk proceed in parallel and never block the caller's executor,
/// and an adapter costs no threads until it is used: a fixed pool of
/// [`crate::config::CodecOptions::io_concurrency`] threads cost 0.4 ms to start, a third of
/// a one-chunk read); the array drivers bound how many calls are in flight.
/// [`SyncToAsyncAdapter::inline`] runs calls on the polling thread instead (for a store
/// that never blocks, such as [`super::MemoryStore`]). A call whose future is dropped still
/// completes on its thread (each write stays atomic).
pub struct SyncToAsyncAdapter<S: ?Sized> {
    inner: Arc<S>,
    threads: bool,
}

impl<S: ?Sized> SyncToAsyncAdapter<S> {
    /// Run `inner`'s calls on I/O threads.
    pub fn new(inner: Arc<S>) -> Result<Self, StorageError> {
        Ok(Self {
            inner,
            threads: true,
        })
    }

    /// Run `inner`'s calls on the thread that polls the future.
    pub fn inline(inner: Arc<S>) -> Self {
        Self {
            inner,
            threads: false,
        }
    }

    /// The wrapped store.
    pub fn inner(&self) -> &Arc<S> {
        &self.inner
    }
}

impl<S: ?Sized + Send + Sync + 'static> SyncToAsyncAdapter<S> {
    fn run<R: Send + 'static>(
        &self,
        f: impl FnOnce(&S) -> Result<R, StorageError> + Send + 'static,
    ) -> BoxFuture<'static, Result<R, StorageError>> {
        let inner = self.inner.clone();
        if !self.threads {
            let r = f(&inner);
            return Box::pin(async move { r });
        }
        let (tx, rx) = futures::channel::oneshot::channel();
        // Detached: the call completes even if its future is dropped.
        blocking::unblock(move || {
            let _ = tx.send(f(&inner));
        })
        .detach();
        Box::pin(async move {
            rx.await.map_err(|_| {
                StorageError::Other("an I/O thread stopped before it answered".into())
            })?
        })
    }
}

impl<S: ReadableStorageTraits + ?Sized + 'static> AsyncReadableStorageTraits
    for SyncToAsyncAdapter<S>
{
    fn read<'a>(
        &'a self,
        key: &'a StoreKey,
        ranges: &'a [ByteRange],
        if_version: Option<&'a Version>,
    ) -> BoxFuture<'a, Result<Option<ReadResult>, StorageError>> {
        let (key, ranges, v) = (key.clone(), ranges.to_vec(), if_version.cloned());
        self.run(move |s| s.read(&key, &ranges, v.as_ref()))
    }

    /// The sync store's own `get_into` (`readv` for a file) on the I/O thread, straight into
    /// the target's buffers.
    fn get_into<'a>(
        &'a self,
        key: &'a StoreKey,
        mut target: ScatterTarget,
    ) -> BoxFuture<'a, Result<bool, StorageError>> {
        let key = key.clone();
        self.run(move |s| target.with_buffers(|bufs| s.get_into(&key, bufs)))
    }

    fn as_sync_readable(&self) -> Option<Arc<dyn ReadableStorageTraits>> {
        Some(Arc::new(SyncView(self.inner.clone())))
    }
}

/// The sync store inside a [`SyncToAsyncAdapter`], as a sized store (so that it can be a
/// trait object whatever the inner store's type).
struct SyncView<S: ?Sized>(Arc<S>);

impl<S: ReadableStorageTraits + ?Sized> ReadableStorageTraits for SyncView<S> {
    fn read(
        &self,
        key: &StoreKey,
        ranges: &[ByteRange],
        if_version: Option<&Version>,
    ) -> Result<Option<ReadResult>, StorageError> {
        self.0.read(key, ranges, if_version)
    }
    fn get_into(&self, key: &StoreKey, bufs: &mut [&mut [u8]]) -> Result<bool, StorageError> {
        self.0.get_into(key, bufs)
    }
}

impl<S: WritableStorageTraits + ?Sized> WritableStorageTraits for SyncView<S> {
    fn set(&self, key: &StoreKey, value: Bytes) -> Result<(), StorageError> {
        self.0.set(key, value)
    }
    fn set_if(
        &self,
        key: &StoreKey,
        value: Bytes,
        condition: &SetCondition,
    ) -> Result<(), StorageError> {
        self.0.set_if(key, value, condition)
    }
    fn erase_if(&self, key: &StoreKey, version: &Version) -> Result<(), StorageError> {
        self.0.erase_if(key, version)
    }
    fn supports_conditional_writes(&self) -> bool {
        self.0.supports_conditional_writes()
    }
    fn erase(&self, key: &StoreKey) -> Result<(), StorageError> {
        self.0.erase(key)
    }
    fn erase_prefix(&self, prefix: &StorePrefix) -> Result<(), StorageError> {
        self.0.erase_prefix(prefix)
    }
}

impl<S: WritableStorageTraits + ?Sized + 'static> AsyncWritableStorageTraits
    for SyncToAsyncAdapter<S>
{
    fn set<'a>(
        &'a self,
        key: &'a StoreKey,
        value: Bytes,
    ) -> BoxFuture<'a, Result<(), StorageError>> {
        let key = key.clone();
        self.run(move |s| s.set(&key, value))
    }
    fn set_if<'a>(
        &'a self,
        key: &'a StoreKey,
        value: Bytes,
        condition: &'a SetCondition,
    ) -> BoxFuture<'a, Result<(), StorageError>> {
        let (key, condition) = (key.clone(), condition.clone());
        self.run(move |s| s.set_if(&key, value, &condition))
    }
    fn erase_if<'a>(
        &'a self,
        key: &'a StoreKey,
        version: &'a Version,
    ) -> BoxFuture<'a, Result<(), StorageError>> {
        let (key, version) = (key.clone(), version.clone());
        self.run(move |s| s.erase_if(&key, &version))
    }
    fn supports_conditional_writes(&self) -> bool {
        self.inner.supports_conditional_writes()
    }
    fn as_sync_writable(&self) -> Option<Arc<dyn WritableStorageTraits>> {
        Some(Arc::new(SyncView(self.inner.clone())))
    }
    fn erase<'a>(&'a self, key: &'a StoreKey) -> BoxFuture<'a, Result<(), StorageError>> {
        let key = key.clone();
        self.run(move |s| s.erase(&key))
    }
    fn erase_prefix<'a>(
        &'a self,
        prefix: &'a StorePrefix,
    ) -> BoxFuture<'a, Result<(), StorageError>> {
        let prefix = prefix.clone();
        self.run(move |s| s.erase_prefix(&prefix))
    }
}

impl<S: ListableStorageTraits + ?Sized + 'static> AsyncListableStorageTraits
    for SyncToAsyncAdapter<S>
{
    fn list(&self) -> BoxFuture<'_, Result<Vec<StoreKey>, StorageError>> {
        self.run(|s| s.list())
    }
    fn list_prefix<'a>(
        &'a self,
        prefix: &'a StorePrefix,
    ) -> BoxFuture<'a, Result<Vec<StoreKey>, StorageError>> {
        let prefix = prefix.clone();
        self.run(move |s| s.list_prefix(&prefix))
    }
    fn list_dir<'a>(
        &'a self,
        prefix: &'a StorePrefix,
    ) -> BoxFuture<'a, Result<ListDir, StorageError>> {
        let prefix = prefix.clone();
        self.run(move |s| s.list_dir(&prefix))
    }
}

// ---------------------------------------------------------------------------------------
// Async → sync.

/// Runs a future to completion on the calling thread (a runtime, or a handle to one).
pub trait BlockOn: Send + Sync {
    /// Block until `future` is done.
    fn block_on<F: std::future::Future>(&self, future: F) -> F::Output;
}

/// [`BlockOn`] with `futures`' own executor (no runtime). Stores whose futures need a
/// runtime's reactor (tokio's timers and sockets: object_store, reqwest) need
/// [`TokioBlockOn`] instead.
#[derive(Debug, Clone, Copy, Default)]
pub struct FuturesBlockOn;

impl BlockOn for FuturesBlockOn {
    fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        futures::executor::block_on(future)
    }
}

/// [`BlockOn`] with a tokio runtime handle (feature `tokio`). Must not be called from a
/// thread that is itself running tokio tasks (tokio refuses to block there); the sync API's
/// calls come from the caller's thread or the rayon pool, which are not.
#[cfg(feature = "tokio")]
#[derive(Debug, Clone)]
pub struct TokioBlockOn(pub tokio::runtime::Handle);

#[cfg(feature = "tokio")]
impl BlockOn for TokioBlockOn {
    fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.0.block_on(future)
    }
}

/// Makes an async store a sync one: each call blocks on the store's future with `B`.
pub struct AsyncToSyncAdapter<S: ?Sized, B> {
    inner: Arc<S>,
    block_on: B,
}

impl<S: ?Sized, B: BlockOn> AsyncToSyncAdapter<S, B> {
    /// Block on `inner`'s futures with `block_on`.
    pub fn new(inner: Arc<S>, block_on: B) -> Self {
        Self { inner, block_on }
    }

    /// The wrapped store.
    pub fn inner(&self) -> &Arc<S> {
        &self.inner
    }
}

impl<S: AsyncReadableStorageTraits + ?Sized, B: BlockOn> ReadableStorageTraits
    for AsyncToSyncAdapter<S, B>
{
    fn read(
        &self,
        key: &StoreKey,
        ranges: &[ByteRange],
        if_version: Option<&Version>,
    ) -> Result<Option<ReadResult>, StorageError> {
        self.block_on
            .block_on(self.inner.read(key, ranges, if_version))
    }
}

impl<S: AsyncWritableStorageTraits + ?Sized, B: BlockOn> WritableStorageTraits
    for AsyncToSyncAdapter<S, B>
{
    fn set(&self, key: &StoreKey, value: Bytes) -> Result<(), StorageError> {
        self.block_on.block_on(self.inner.set(key, value))
    }
    fn set_if(
        &self,
        key: &StoreKey,
        value: Bytes,
        condition: &SetCondition,
    ) -> Result<(), StorageError> {
        self.block_on
            .block_on(self.inner.set_if(key, value, condition))
    }
    fn erase_if(&self, key: &StoreKey, version: &Version) -> Result<(), StorageError> {
        self.block_on.block_on(self.inner.erase_if(key, version))
    }
    fn supports_conditional_writes(&self) -> bool {
        self.inner.supports_conditional_writes()
    }
    fn erase(&self, key: &StoreKey) -> Result<(), StorageError> {
        self.block_on.block_on(self.inner.erase(key))
    }
    fn erase_prefix(&self, prefix: &StorePrefix) -> Result<(), StorageError> {
        self.block_on.block_on(self.inner.erase_prefix(prefix))
    }
}

impl<S: AsyncListableStorageTraits + ?Sized, B: BlockOn> ListableStorageTraits
    for AsyncToSyncAdapter<S, B>
{
    fn list(&self) -> Result<Vec<StoreKey>, StorageError> {
        self.block_on.block_on(self.inner.list())
    }
    fn list_prefix(&self, prefix: &StorePrefix) -> Result<Vec<StoreKey>, StorageError> {
        self.block_on.block_on(self.inner.list_prefix(prefix))
    }
    fn list_dir(&self, prefix: &StorePrefix) -> Result<ListDir, StorageError> {
        self.block_on.block_on(self.inner.list_dir(prefix))
    }
}

// ---------------------------------------------------------------------------------------
// The adapters, async.

impl<S: AsyncReadableStorageTraits + ?Sized> AsyncReadableStorageTraits for UsageLogAdapter<S> {
    fn read<'a>(
        &'a self,
        key: &'a StoreKey,
        ranges: &'a [ByteRange],
        if_version: Option<&'a Version>,
    ) -> BoxFuture<'a, Result<Option<ReadResult>, StorageError>> {
        Box::pin(async move {
            let r = self.inner().read(key, ranges, if_version).await;
            self.line(format_args!(
                "read_async {key} {} if_version={if_version:?} -> {}",
                ranges_text(ranges),
                outcome_text(&r, read_outcome)
            ));
            r
        })
    }
    fn get_into<'a>(
        &'a self,
        key: &'a StoreKey,
        target: ScatterTarget,
    ) -> BoxFuture<'a, Result<bool, StorageError>> {
        Box::pin(async move {
            let n = target.len();
            let r = self.inner().get_into(key, target).await;
            self.line(format_args!(
                "get_into_async {key} ({n} bytes) -> {}",
                outcome_text(&r, |p| if *p { "ok".into() } else { "absent".into() })
            ));
            r
        })
    }
}

impl<S: AsyncWritableStorageTraits + ?Sized> AsyncWritableStorageTraits for UsageLogAdapter<S> {
    fn set<'a>(
        &'a self,
        key: &'a StoreKey,
        value: Bytes,
    ) -> BoxFuture<'a, Result<(), StorageError>> {
        Box::pin(async move {
            let n = value.len();
            let r = self.inner().set(key, value).await;
            self.line(format_args!(
                "set_async {key} ({n} bytes) -> {}",
                outcome_text(&r, |_| "ok".into())
            ));
            r
        })
    }
    fn set_if<'a>(
        &'a self,
        key: &'a StoreKey,
        value: Bytes,
        condition: &'a SetCondition,
    ) -> BoxFuture<'a, Result<(), StorageError>> {
        Box::pin(async move {
            let n = value.len();
            let r = self.inner().set_if(key, value, condition).await;
            self.line(format_args!(
                "set_if_async {key} ({n} bytes) {condition:?} -> {}",
                outcome_text(&r, |_| "ok".into())
            ));
            r
        })
    }
    fn erase_if<'a>(
        &'a self,
        key: &'a StoreKey,
        version: &'a Version,
    ) -> BoxFuture<'a, Result<(), StorageError>> {
        Box::pin(async move {
            let r = self.inner().erase_if(key, version).await;
            self.line(format_args!(
                "erase_if_async {key} {version:?} -> {}",
                outcome_text(&r, |_| "ok".into())
            ));
            r
        })
    }
    fn supports_conditional_writes(&self) -> bool {
        self.inner().supports_conditional_writes()
    }
    fn erase<'a>(&'a self, key: &'a StoreKey) -> BoxFuture<'a, Result<(), StorageError>> {
        Box::pin(async move {
            let r = self.inner().erase(key).await;
            self.line(format_args!(
                "erase_async {key} -> {}",
                outcome_text(&r, |_| "ok".into())
            ));
            r
        })
    }
    fn erase_prefix<'a>(
        &'a self,
        prefix: &'a StorePrefix,
    ) -> BoxFuture<'a, Result<(), StorageError>> {
        Box::pin(async move {
            let r = self.inner().erase_prefix(prefix).await;
            self.line(format_args!(
                "erase_prefix_async {prefix:?} -> {}",
                outcome_text(&r, |_| "ok".into())
            ));
            r
        })
    }
}

impl<S: AsyncListableStorageTraits + ?Sized> AsyncListableStorageTraits for UsageLogAdapter<S> {
    fn list(&self) -> BoxFuture<'_, Result<Vec<StoreKey>, StorageError>> {
        Box::pin(async move {
            let r = self.inner().list().await;
            self.line(format_args!(
                "list_async -> {}",
                outcome_text(&r, |v| format!("{} keys", v.len()))
            ));
            r
        })
    }
    fn list_prefix<'a>(
        &'a self,
        prefix: &'a StorePrefix,
    ) -> BoxFuture<'a, Result<Vec<StoreKey>, StorageError>> {
        Box::pin(async move {
            let r = self.inner().list_prefix(prefix).await;
            self.line(format_args!(
                "list_prefix_async {prefix:?} -> {}",
                outcome_text(&r, |v| format!("{} keys", v.len()))
            ));
            r
        })
    }
    fn list_dir<'a>(
        &'a self,
        prefix: &'a StorePrefix,
    ) -> BoxFuture<'a, Result<ListDir, StorageError>> {
        Box::pin(async move {
            let r = self.inner().list_dir(prefix).await;
            self.line(format_args!(
                "list_dir_async {prefix:?} -> {}",
                outcome_text(&r, |d| format!(
                    "{} keys, {} prefixes",
                    d.keys.len(),
                    d.prefixes.len()
                ))
            ));
            r
        })
    }
}

impl<S: AsyncReadableStorageTraits + ?Sized> AsyncReadableStorageTraits
    for PerformanceMetricsAdapter<S>
{
    fn read<'a>(
        &'a self,
        key: &'a StoreKey,
        ranges: &'a [ByteRange],
        if_version: Option<&'a Version>,
    ) -> BoxFuture<'a, Result<Option<ReadResult>, StorageError>> {
        Box::pin(async move {
            let t = Instant::now();
            let r = self.inner().read(key, ranges, if_version).await;
            self.counters.read(t, read_bytes(&r), &r);
            r
        })
    }
    fn get_into<'a>(
        &'a self,
        key: &'a StoreKey,
        target: ScatterTarget,
    ) -> BoxFuture<'a, Result<bool, StorageError>> {
        Box::pin(async move {
            let (t, n) = (Instant::now(), target.len());
            let r = self.inner().get_into(key, target).await;
            let got = if matches!(r, Ok(true)) { n } else { 0 };
            self.counters.read(t, got, &r);
            r
        })
    }
}

impl<S: AsyncWritableStorageTraits + ?Sized> AsyncWritableStorageTraits
    for PerformanceMetricsAdapter<S>
{
    fn set<'a>(
        &'a self,
        key: &'a StoreKey,
        value: Bytes,
    ) -> BoxFuture<'a, Result<(), StorageError>> {
        Box::pin(async move {
            let (t, n) = (Instant::now(), value.len() as u64);
            let r = self.inner().set(key, value).await;
            self.counters.write(t, n, &r);
            r
        })
    }
    fn set_if<'a>(
        &'a self,
        key: &'a StoreKey,
        value: Bytes,
        condition: &'a SetCondition,
    ) -> BoxFuture<'a, Result<(), StorageError>> {
        Box::pin(async move {
            let (t, n) = (Instant::now(), value.len() as u64);
            let r = self.inner().set_if(key, value, condition).await;
            self.counters.write(t, n, &r);
            r
        })
    }
    fn erase_if<'a>(
        &'a self,
        key: &'a StoreKey,
        version: &'a Version,
    ) -> BoxFuture<'a, Result<(), StorageError>> {
        Box::pin(async move {
            let r = self.inner().erase_if(key, version).await;
            self.counters.erase(&r);
            r
        })
    }
    fn supports_conditional_writes(&self) -> bool {
        self.inner().supports_conditional_writes()
    }
    fn erase<'a>(&'a self, key: &'a StoreKey) -> BoxFuture<'a, Result<(), StorageError>> {
        Box::pin(async move {
            let r = self.inner().erase(key).await;
            self.counters.erase(&r);
            r
        })
    }
    fn erase_prefix<'a>(
        &'a self,
        prefix: &'a StorePrefix,
    ) -> BoxFuture<'a, Result<(), StorageError>> {
        Box::pin(async move {
            let r = self.inner().erase_prefix(prefix).await;
            self.counters.erase(&r);
            r
        })
    }
}

impl<S: AsyncListableStorageTraits + ?Sized> AsyncListableStorageTraits
    for PerformanceMetricsAdapter<S>
{
    fn list(&self) -> BoxFuture<'_, Result<Vec<StoreKey>, StorageError>> {
        Box::pin(async move {
            let r = self.inner().list().await;
            self.counters.list(&r);
            r
        })
    }
    fn list_prefix<'a>(
        &'a self,
        prefix: &'a StorePrefix,
    ) -> BoxFuture<'a, Result<Vec<StoreKey>, StorageError>> {
        Box::pin(async move {
            let r = self.inner().list_prefix(prefix).await;
            self.counters.list(&r);
            r
        })
    }
    fn list_dir<'a>(
        &'a self,
        prefix: &'a StorePrefix,
    ) -> BoxFuture<'a, Result<ListDir, StorageError>> {
        Box::pin(async move {
            let r = self.inner().list_dir(prefix).await;
            self.counters.list(&r);
            r
        })
    }
}

impl<S: AsyncReadableStorageTraits + ?Sized> AsyncReadableStorageTraits for AtomicWriteAdapter<S> {
    fn read<'a>(
        &'a self,
        key: &'a StoreKey,
        ranges: &'a [ByteRange],
        if_version: Option<&'a Version>,
    ) -> BoxFuture<'a, Result<Option<ReadResult>, StorageError>> {
        self.inner().read(key, ranges, if_version)
    }
    fn get_into<'a>(
        &'a self,
        key: &'a StoreKey,
        target: ScatterTarget,
    ) -> BoxFuture<'a, Result<bool, StorageError>> {
        self.inner().get_into(key, target)
    }
}

impl<S: AsyncReadableStorageTraits + AsyncWritableStorageTraits + ?Sized> AsyncWritableStorageTraits
    for AtomicWriteAdapter<S>
{
    fn set<'a>(
        &'a self,
        key: &'a StoreKey,
        value: Bytes,
    ) -> BoxFuture<'a, Result<(), StorageError>> {
        Box::pin(self.locks.with_async(key, self.inner().set(key, value)))
    }
    fn set_if<'a>(
        &'a self,
        key: &'a StoreKey,
        value: Bytes,
        condition: &'a SetCondition,
    ) -> BoxFuture<'a, Result<(), StorageError>> {
        if self.inner().supports_conditional_writes() {
            return self.inner().set_if(key, value, condition);
        }
        Box::pin(self.locks.with_async(key, async move {
            let current = self.inner().read(key, &[], None).await?.map(|r| r.version);
            condition_holds(key, condition, current.as_ref())?;
            self.inner().set(key, value).await
        }))
    }
    fn erase_if<'a>(
        &'a self,
        key: &'a StoreKey,
        version: &'a Version,
    ) -> BoxFuture<'a, Result<(), StorageError>> {
        if self.inner().supports_conditional_writes() {
            return self.inner().erase_if(key, version);
        }
        Box::pin(self.locks.with_async(key, async move {
            let current = self.inner().read(key, &[], None).await?.map(|r| r.version);
            condition_holds(
                key,
                &SetCondition::Version(version.clone()),
                current.as_ref(),
            )?;
            self.inner().erase(key).await
        }))
    }
    fn supports_conditional_writes(&self) -> bool {
        true
    }
    fn erase<'a>(&'a self, key: &'a StoreKey) -> BoxFuture<'a, Result<(), StorageError>> {
        Box::pin(self.locks.with_async(key, self.inner().erase(key)))
    }
    fn erase_prefix<'a>(
        &'a self,
        prefix: &'a StorePrefix,
    ) -> BoxFuture<'a, Result<(), StorageError>> {
        self.inner().erase_prefix(prefix)
    }
}

impl<S: AsyncListableStorageTraits + ?Sized> AsyncListableStorageTraits for AtomicWriteAdapter<S> {
    fn list(&self) -> BoxFuture<'_, Result<Vec<StoreKey>, StorageError>> {
        self.inner().list()
    }
    fn list_prefix<'a>(
        &'a self,
        prefix: &'a StorePrefix,
    ) -> BoxFuture<'a, Result<Vec<StoreKey>, StorageError>> {
        self.inner().list_prefix(prefix)
    }
    fn list_dir<'a>(
        &'a self,
        prefix: &'a StorePrefix,
    ) -> BoxFuture<'a, Result<ListDir, StorageError>> {
        self.inner().list_dir(prefix)
    }
}
