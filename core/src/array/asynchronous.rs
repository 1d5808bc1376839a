//! The async driver (feature `async`): the same plan and the same codecs as the sync one.
//! Up to [`CodecOptions::io_concurrency`] chunks are in flight; each chunk's requests are
//! awaited, and **every fetched chunk is decoded on the rayon pool**, so decoding runs in
//! parallel across chunks while more are fetched (zarrs' async API decodes one chunk at a
//! time on the polling thread).
//!
//! Outputs are owned: the read decodes into a [`SharedBuffer`] that each decode task holds,
//! so dropping a read's future at any `.await` never leaves a decode writing into freed
//! memory. Partial writes hold the chunk's lock across their `.await`s (an async lock), and
//! every store write is atomic, so a cancelled write leaves each chunk old or new, never half
//! written.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures::stream::{self, StreamExt, TryStreamExt};

use super::cache::{CachedChunk, ChunkCacheKind};
use super::layout::ChunkPart;
use super::read::Fetched;
use super::region::{Region, Resolved};
use super::typed::ArrayOutputKind;
use super::write::{backoff, Update, MAX_WRITE_ATTEMPTS};
use super::{Array, ArrayOutput};
use crate::array_bytes::{assemble_variable, ArrayBytes, ArrayBytesRef};
use crate::buffer::{ScatterTarget, SharedBuffer};
use crate::codec::{
    take_whole_value, whole_value_range, ArrayToBytesCodecTraits, ChunkRepresentation, PartialStep,
};
use crate::config::CodecOptions;
use crate::data_type::{DataType, DataTypeSize};
use crate::element::{check_element, Element};
use crate::error::{ArrayError, StorageError};
use crate::node::{read_node_metadata_async, NodePath};
use crate::storage::asynchronous::{AsyncReadableStorageTraits, AsyncWritableStorageTraits};
use crate::storage::{ByteRange, Bytes, SetCondition, StoreKey, Version};
use crate::subset::ArraySubset;

/// The order to start `n` chunks in with `k` in flight: `0, s, 2s, …, 1, s+1, …` for
/// `s = ⌈n/k⌉`, so the chunks in flight together are far apart in the output. Neighbouring
/// chunks share output pages, and threads first-touching the same pages at once contend in
/// the kernel's fault path (measured: 60 % more page faults and 30 % more time reading a
/// 512 MiB array of 128³ chunks in order than in this order; rayon's halving split gives the
/// sync driver the same spread).
pub(crate) fn spread_order(n: usize, k: usize) -> impl Iterator<Item = usize> {
    let k = k.clamp(1, n.max(1));
    let s = n.div_ceil(k);
    (0..s).flat_map(move |j| (0..k).map(move |i| i * s + j).filter(move |&x| x < n))
}

/// Run CPU work on the rayon pool and await it. A panic in the work is an error, never an
/// abort of the pool.
pub(crate) async fn spawn_cpu<R: Send + 'static>(
    f: impl FnOnce() -> R + Send + 'static,
) -> Result<R, ArrayError> {
    let (tx, rx) = futures::channel::oneshot::channel();
    rayon::spawn(move || {
        let r = std::panic::catch_unwind(AssertUnwindSafe(f));
        let _ = tx.send(r);
    });
    match rx.await {
        Ok(Ok(r)) => Ok(r),
        Ok(Err(_)) => Err(ArrayError::Internal("a decode task panicked".into())),
        Err(_) => Err(ArrayError::Internal("a decode task stopped".into())),
    }
}

/// Rounds of fewer stored bytes than this are decoded on the polling thread: a hop to the
/// rayon pool and back costs more than copying or decoding them.
pub(crate) const INLINE_BYTES: usize = 64 << 10;

fn finished_twice() -> ArrayError {
    ArrayError::Internal("a chunk decode finished twice".into())
}

/// One round of an async chunk decode: done (with what the machine learned), or another
/// request.
enum Round<R, F> {
    Done(R, Option<crate::codec::ReusableState>),
    More(
        Box<dyn crate::codec::PartialDecode>,
        Vec<ByteRange>,
        F,
        Option<crate::codec::ReusableState>,
    ),
}

/// `f` on the polling thread (`inline`) or on the rayon pool.
pub(crate) async fn run_cpu<R: Send + 'static>(
    inline: bool,
    f: impl FnOnce() -> R + Send + 'static,
) -> Result<R, ArrayError> {
    if inline {
        Ok(f())
    } else {
        spawn_cpu(f).await
    }
}

/// What the CPU task of a chunk write did: stored it, encoded it for the async store, or
/// left a partial update to read-modify-write.
enum ChunkWrite {
    Stored,
    Encoded(Option<Vec<u8>>),
    Partial(ArrayBytes),
}

/// Run `f` on `pool` and await it (a panic is an error).
pub(crate) async fn spawn_on<R: Send + 'static>(
    pool: &rayon::ThreadPool,
    f: impl FnOnce() -> R + Send + 'static,
) -> Result<R, ArrayError> {
    let (tx, rx) = futures::channel::oneshot::channel();
    pool.spawn(move || {
        let r = std::panic::catch_unwind(AssertUnwindSafe(f));
        let _ = tx.send(r);
    });
    match rx.await {
        Ok(Ok(r)) => Ok(r),
        Ok(Err(_)) => Err(ArrayError::Internal("a read task panicked".into())),
        Err(_) => Err(ArrayError::Internal("a read task stopped".into())),
    }
}

/// Owned input of an async write: shared by the encode tasks, so dropping the write's future
/// never leaves a task reading freed memory.
#[derive(Clone)]
pub struct OwnedInput {
    data: Arc<dyn OwnedInputData>,
    check: fn(&DataType) -> Result<(), ArrayError>,
}

trait OwnedInputData: Send + Sync {
    fn bytes(&self) -> ArrayBytesRef<'_>;
}

impl OwnedInputData for ArrayBytes {
    fn bytes(&self) -> ArrayBytesRef<'_> {
        self.as_bytes_ref()
    }
}

struct Elements<T>(Vec<T>);

impl<T: Element> OwnedInputData for Elements<T> {
    fn bytes(&self) -> ArrayBytesRef<'_> {
        ArrayBytesRef::Fixed(crate::element::elements_as_bytes(&self.0))
    }
}

fn no_check(_: &DataType) -> Result<(), ArrayError> {
    Ok(())
}

impl OwnedInput {
    fn bytes(&self) -> ArrayBytesRef<'_> {
        self.data.bytes()
    }
}

impl From<ArrayBytes> for OwnedInput {
    fn from(b: ArrayBytes) -> Self {
        Self {
            data: Arc::new(b),
            check: no_check,
        }
    }
}

impl<T: Element> From<Vec<T>> for OwnedInput {
    fn from(v: Vec<T>) -> Self {
        Self {
            data: Arc::new(Elements(v)),
            check: |dt| check_element::<T>(&**dt),
        }
    }
}

impl From<Vec<String>> for OwnedInput {
    fn from(v: Vec<String>) -> Self {
        Self {
            data: Arc::new(ArrayBytes::from_strs(&v)),
            check: |dt| {
                crate::element::check_element_kind(
                    &**dt,
                    &[crate::element::ElementKind::Utf8String],
                    "String",
                )
            },
        }
    }
}

impl From<Vec<Vec<u8>>> for OwnedInput {
    fn from(v: Vec<Vec<u8>>) -> Self {
        Self {
            data: Arc::new(ArrayBytes::from_byte_strings(&v)),
            check: |dt| {
                crate::element::check_element_kind(
                    &**dt,
                    &[crate::element::ElementKind::ByteString],
                    "Vec<u8>",
                )
            },
        }
    }
}

impl<S: AsyncReadableStorageTraits + ?Sized + 'static> Array<S> {
    /// Open the array at `path` of an async store.
    pub async fn open_async(storage: Arc<S>, path: &str) -> Result<Self, ArrayError> {
        let node = NodePath::new(path)?;
        match read_node_metadata_async(&*storage, &node).await? {
            None => Err(ArrayError::NotFound(path.to_string())),
            Some(crate::metadata::NodeMetadata::Group(_)) => {
                Err(ArrayError::NotAnArray(path.to_string()))
            }
            Some(crate::metadata::NodeMetadata::Array(m)) => {
                Self::new_with_metadata(storage, path, m)
            }
        }
    }

    /// Read a region as `T` (see [`Array::read`]), fetching up to
    /// [`CodecOptions::io_concurrency`] chunks at once and decoding them in parallel.
    pub async fn read_async<T: ArrayOutput>(
        &self,
        region: impl Into<Region>,
    ) -> Result<T, ArrayError> {
        self.read_async_opt(region, &CodecOptions::default()).await
    }

    /// [`Array::read_async`] with options.
    pub async fn read_async_opt<T: ArrayOutput>(
        &self,
        region: impl Into<Region>,
        options: &CodecOptions,
    ) -> Result<T, ArrayError> {
        let region = region.into();
        if let Region::Selection(sel) = &region {
            return self.read_selection_async_opt(sel, options).await;
        }
        let region = self.resolve(&region)?;
        let shape = region.shape().to_vec();
        match T::kind(&self.data_type)? {
            ArrayOutputKind::Fixed => {
                let buf = self.output_buffer::<T>(&shape, options)?;
                let shared = SharedBuffer::new(buf);
                self.read_fixed_async(&region, shared.clone(), options)
                    .await?;
                let mut buf: Vec<T::Elem> = SharedBuffer::into_inner(shared)?;
                self.validate_output(&mut buf)?;
                T::from_fixed(buf, &shape)
            }
            ArrayOutputKind::Variable => {
                let bytes = self.read_variable_async(&region, options).await?;
                T::from_variable(bytes, &shape)
            }
        }
    }

    /// The encoded bytes of a chunk, or `None` if it is not stored.
    pub async fn retrieve_encoded_chunk_async(
        &self,
        chunk_indices: &[u64],
    ) -> Result<Option<Bytes>, ArrayError> {
        self.check_chunk(chunk_indices)?;
        let key = self.chunk_key(chunk_indices)?;
        match self.storage.read(&key, &[ByteRange::ALL], None).await? {
            None => Ok(None),
            Some(r) => Ok(Some(r.into_single(&key)?)),
        }
    }

    /// Run a chunk's partial decode against the async store and finish it with `finish`.
    /// Each supply (bytes→bytes decoding) runs on the rayon pool, and the last one finishes
    /// the decode in the same task (one thread hop per round); a round of fewer than
    /// [`INLINE_BYTES`] runs on the polling thread instead, where a hop would cost more than
    /// the work ([`crate::codec::PartialDecode::cost`]). `None`: the chunk is not stored.
    pub(crate) async fn decode_chunk_async<R, F>(
        &self,
        key: &StoreKey,
        repr: &ChunkRepresentation,
        regions: &[ArraySubset],
        options: &CodecOptions,
        finish: F,
    ) -> Result<Option<R>, ArrayError>
    where
        R: Send + 'static,
        F: FnOnce(Fetched) -> Result<R, ArrayError> + Send + 'static,
    {
        if self.caches.chunk_config().is_some() {
            return match self
                .fetch_through_chunk_cache_async(key, repr, regions, options)
                .await?
            {
                Fetched::Absent => Ok(None),
                f => run_cpu(false, move || finish(f)).await?.map(Some),
            };
        }
        let mut finish = Some(finish);
        let mut attempt = 0;
        'attempt: loop {
            attempt += 1;
            let (mut machine, mut version) =
                self.make_decode(key, repr, regions, attempt == 1, options)?;
            let mut step = machine.start().map_err(|e| Self::codec_err(key, e))?;
            let mut first = version.is_none();
            loop {
                let ranges = match step {
                    PartialStep::Ready => {
                        let f = finish.take().ok_or_else(finished_twice)?;
                        return run_cpu(false, move || f(Fetched::Ready(machine)))
                            .await?
                            .map(Some);
                    }
                    PartialStep::Need(r) => r,
                };
                let r = match self.storage.read(key, &ranges, version.as_ref()).await {
                    Ok(Some(r)) => r,
                    Ok(None) if version.is_none() => return Ok(None),
                    Ok(None) | Err(StorageError::Changed { .. }) => {
                        self.retry_or_give_up(key, attempt)?;
                        continue 'attempt;
                    }
                    Err(e) => return Err(e.into()),
                };
                r.check(key, &ranges)?;
                let fetched = r.bytes.iter().map(Bytes::len).sum::<usize>() as u64;
                let small = fetched.saturating_add(machine.cost()) < INLINE_BYTES as u64;
                let v = r.version;
                let k = key.clone();
                let f = finish.take().ok_or_else(finished_twice)?;
                let round = run_cpu(small, move || -> Result<Round<R, F>, ArrayError> {
                    let step = machine
                        .supply(r.bytes, r.size)
                        .map_err(|e| Self::codec_err(&k, e))?;
                    let reusable = machine.reusable();
                    Ok(match step {
                        PartialStep::Ready => Round::Done(f(Fetched::Ready(machine))?, reusable),
                        PartialStep::Need(n) => Round::More(machine, n, f, reusable),
                    })
                })
                .await??;
                let reusable = match round {
                    Round::Done(out, reusable) => {
                        if let (true, Some(state)) = (first, reusable) {
                            self.caches.partial_insert(key, v, state);
                        }
                        return Ok(Some(out));
                    }
                    Round::More(m, n, f, reusable) => {
                        machine = m;
                        step = PartialStep::Need(n);
                        finish = Some(f);
                        reusable
                    }
                };
                if first {
                    if let Some(state) = reusable {
                        self.caches.partial_insert(key, v.clone(), state);
                    }
                    first = false;
                }
                version = Some(v);
            }
        }
    }

    async fn fetch_through_chunk_cache_async(
        &self,
        key: &StoreKey,
        repr: &ChunkRepresentation,
        regions: &[ArraySubset],
        options: &CodecOptions,
    ) -> Result<Fetched, ArrayError> {
        let Some(cfg) = self.caches.chunk_config().copied() else {
            return Err(ArrayError::Internal("no chunk cache".into()));
        };
        if let Some(hit) = self.caches.chunk_get(key) {
            let valid = !cfg.validate
                || match self.storage.read(key, &[], Some(hit.version())).await {
                    Ok(Some(_)) => true,
                    Ok(None) | Err(StorageError::Changed { .. }) => false,
                    Err(e) => return Err(e.into()),
                };
            if valid {
                return match hit {
                    CachedChunk::Decoded(_, d) => Ok(Fetched::Decoded(d)),
                    CachedChunk::Encoded(_, e) => {
                        self.decode_in_memory(key, repr, regions, e, options).await
                    }
                };
            }
        }
        let Some(r) = self.storage.read(key, &[ByteRange::ALL], None).await? else {
            return Ok(Fetched::Absent);
        };
        let version = r.version.clone();
        let encoded = r.into_single(key)?;
        match cfg.kind {
            ChunkCacheKind::Encoded => {
                self.caches
                    .chunk_insert(key, CachedChunk::Encoded(version, encoded.clone()));
                self.decode_in_memory(key, repr, regions, encoded, options)
                    .await
            }
            ChunkCacheKind::Decoded => {
                let (codecs, repr2, opts, k) =
                    (self.codecs.clone(), repr.clone(), *options, key.clone());
                let d = spawn_cpu(move || {
                    codecs
                        .decode(encoded, &repr2, &opts)
                        .map_err(|e| Self::codec_err(&k, e))
                })
                .await??;
                let d = Arc::new(d);
                self.caches
                    .chunk_insert(key, CachedChunk::Decoded(version, d.clone()));
                Ok(Fetched::Decoded(d))
            }
        }
    }

    async fn decode_in_memory(
        &self,
        key: &StoreKey,
        repr: &ChunkRepresentation,
        regions: &[ArraySubset],
        encoded: Bytes,
        options: &CodecOptions,
    ) -> Result<Fetched, ArrayError> {
        let (mut m, _) = self.make_decode(key, repr, regions, false, options)?;
        let k = key.clone();
        let m = spawn_cpu(move || {
            crate::codec::run_from_memory(m.as_mut(), &encoded)
                .map(|()| m)
                .map_err(|e| Self::codec_err(&k, e))
        })
        .await??;
        Ok(Fetched::Ready(m))
    }

    /// Decode `region` of one chunk into region `out_region` of `out` (of shape
    /// `out_shape`).
    #[allow(clippy::too_many_arguments)]
    async fn read_chunk_async(
        &self,
        indices: &[u64],
        region: &ArraySubset,
        out: Arc<SharedBuffer>,
        out_shape: Arc<Vec<u64>>,
        out_region: ArraySubset,
        identity: Option<bool>,
        options: &CodecOptions,
    ) -> Result<(), ArrayError> {
        let repr = self.chunk_representation(indices)?;
        let key = self.chunk_key(indices)?;
        let whole = region.shape() == repr.shape.as_slice();
        let identity = identity.unwrap_or_else(|| self.codecs.is_identity(&repr))
            && self.codecs.is_identity(&repr);
        let fill = self.fill_value.clone();
        let fill_out =
            |out: Arc<SharedBuffer>, shape: Arc<Vec<u64>>, region: ArraySubset, key: StoreKey| {
                spawn_cpu(move || {
                    // SAFETY: regions of distinct chunks of one read are disjoint.
                    let mut view = unsafe { out.view(&shape, region) };
                    view.fill(fill.as_bytes())
                        .map_err(|e| Self::codec_err(&key, e))
                })
            };
        if whole && identity && self.caches.chunk_config().is_none() {
            let elem = self.element_size().unwrap_or(1);
            let (offsets, run) = crate::subset::runs_of(out.len(), &out_shape, &out_region, elem)
                .ok_or_else(|| {
                ArrayError::Internal(format!("region {out_region} does not fit the output"))
            })?;
            let runs: Vec<(usize, usize)> = offsets.into_iter().map(|o| (o, run)).collect();
            // SAFETY: the runs of this chunk's region are disjoint from every other chunk's.
            let target = unsafe { ScatterTarget::new(out.clone(), runs) }
                .map_err(|e| Self::codec_err(&key, e))?;
            if !self.storage.get_into(&key, target).await? {
                Self::check_missing(&key, options)?;
                fill_out(out, out_shape, out_region, key).await??;
            }
            return Ok(());
        }
        let regions = vec![region.clone()];
        let (k, r2, regs) = (key.clone(), repr.clone(), regions.clone());
        let (o2, sh2, reg2) = (out.clone(), out_shape.clone(), out_region.clone());
        let done = self
            .decode_chunk_async(&key, &repr, &regions, options, move |f| {
                // SAFETY: regions of distinct chunks of one read are disjoint.
                let mut view = unsafe { o2.view(&sh2, reg2) };
                match f {
                    Fetched::Ready(m) => m
                        .finish_into(std::slice::from_mut(&mut view))
                        .map_err(|e| Self::codec_err(&k, e)),
                    Fetched::Decoded(d) => {
                        Self::write_cached(&k, &d, &r2, &regs, std::slice::from_mut(&mut view))
                    }
                    Fetched::Absent => Err(ArrayError::Internal("absent chunk decoded".into())),
                }
            })
            .await?;
        if done.is_none() {
            Self::check_missing(&key, options)?;
            fill_out(out, out_shape, out_region, key).await??;
        }
        Ok(())
    }

    /// This array over the sync store behind the async one, if the store has one
    /// ([`AsyncReadableStorageTraits::as_sync_readable`]).
    fn sync_reader(&self) -> Option<Arc<Array<dyn crate::storage::ReadableStorageTraits>>> {
        self.storage
            .as_sync_readable()
            .map(|s| Arc::new(self.with_storage(s)))
    }

    pub(crate) async fn read_fixed_async(
        &self,
        region: &Resolved,
        out: Arc<SharedBuffer>,
        options: &CodecOptions,
    ) -> Result<(), ArrayError> {
        let shape = Arc::new(region.shape().to_vec());
        if shape.contains(&0) {
            return Ok(());
        }
        let sync = self.sync_reader();
        match region {
            Resolved::InChunk { indices, subset } => {
                let whole = ArraySubset::new_with_shape(shape.to_vec());
                match sync {
                    Some(a) => {
                        let (idx, sub, o) = (indices.clone(), subset.clone(), *options);
                        spawn_cpu(move || {
                            // SAFETY: the only view of this buffer.
                            let mut view = unsafe { out.view(&shape, whole) };
                            a.read_chunk_into(&idx, &sub, &mut view, None, &o)
                        })
                        .await?
                    }
                    None => {
                        self.read_chunk_async(indices, subset, out, shape, whole, None, options)
                            .await
                    }
                }
            }
            Resolved::Array(subset) => {
                let mut parts = self.chunk_parts(subset)?;
                let total = usize::try_from(parts.count()).unwrap_or(usize::MAX);
                let opts = Self::split_concurrency(options, total.min(options.io_concurrency));
                let mut identity: Option<bool> = None;
                loop {
                    let batch = parts.next_batch()?;
                    let Some(first) = batch.first() else {
                        return Ok(());
                    };
                    let identity = *identity.get_or_insert_with(|| {
                        self.chunk_representation(&first.indices)
                            .is_ok_and(|r| self.codecs.is_identity(&r))
                    });
                    let (out, shape, opts, sync) = (&out, &shape, &opts, &sync);
                    // Over a sync store, each chunk is the sync driver's work in one task: on
                    // the I/O pool for chunks that are only read, on the rayon pool for
                    // chunks that are decoded.
                    // (One chunk needs no pool of its own: as in the sync driver.)
                    let io = match (sync, identity && options.io_concurrency > 1 && total > 1) {
                        (Some(_), true) => Some(super::io_pool(options.io_concurrency)?),
                        _ => None,
                    };
                    let io = &io;
                    let k = options.io_concurrency.max(1);
                    stream::iter(
                        spread_order(batch.len(), k)
                            .map(|i| Ok::<&ChunkPart, ArrayError>(&batch[i])),
                    )
                    .try_for_each_concurrent(k, |p| async move {
                        match sync {
                            Some(a) => {
                                let (a, out, shape, o) =
                                    (a.clone(), out.clone(), shape.clone(), *opts);
                                let (idx, sub, reg) =
                                    (p.indices.clone(), p.in_chunk.clone(), p.in_request.clone());
                                let work = move || {
                                    // SAFETY: regions of distinct chunks of one read are
                                    // disjoint.
                                    let mut view = unsafe { out.view(&shape, reg) };
                                    a.read_chunk_into(&idx, &sub, &mut view, Some(identity), &o)
                                };
                                match io {
                                    Some(pool) => spawn_on(pool, work).await?,
                                    None => spawn_cpu(work).await?,
                                }
                            }
                            None => {
                                self.read_chunk_async(
                                    &p.indices,
                                    &p.in_chunk,
                                    out.clone(),
                                    shape.clone(),
                                    p.in_request.clone(),
                                    Some(identity),
                                    opts,
                                )
                                .await
                            }
                        }
                    })
                    .await?;
                }
            }
        }
    }

    pub(crate) async fn read_chunk_regions_async(
        &self,
        indices: &[u64],
        regions: Vec<ArraySubset>,
        options: &CodecOptions,
    ) -> Result<Vec<ArrayBytes>, ArrayError> {
        if let Some(a) = self.sync_reader() {
            let (idx, o) = (indices.to_vec(), *options);
            return spawn_cpu(move || a.read_chunk_regions(&idx, &regions, &o)).await?;
        }
        let repr = self.chunk_representation(indices)?;
        let key = self.chunk_key(indices)?;
        let (k, r2, regs) = (key.clone(), repr.clone(), regions.clone());
        let done = self
            .decode_chunk_async(&key, &repr, &regions, options, move |f| match f {
                Fetched::Ready(m) => m.finish().map_err(|e| Self::codec_err(&k, e)),
                Fetched::Decoded(d) => Self::extract_cached(&k, &d, &r2, &regs),
                Fetched::Absent => Err(ArrayError::Internal("absent chunk decoded".into())),
            })
            .await?;
        match done {
            Some(parts) => Ok(parts),
            None => self.fill_regions(&key, &repr, &regions, options),
        }
    }

    pub(crate) async fn read_variable_async(
        &self,
        region: &Resolved,
        options: &CodecOptions,
    ) -> Result<ArrayBytes, ArrayError> {
        if self.data_type.size() != DataTypeSize::Variable {
            return Err(ArrayError::Internal("not a variable-size data type".into()));
        }
        let shape = region.shape().to_vec();
        let n = ArraySubset::new_with_shape(shape.clone()).num_elements_usize()?;
        options.check_request(n as u64, 0)?;
        if n == 0 {
            return Ok(ArrayBytes::Variable {
                bytes: Vec::new(),
                offsets: vec![0],
            });
        }
        match region {
            Resolved::InChunk { indices, subset } => self
                .read_chunk_regions_async(indices, vec![subset.clone()], options)
                .await?
                .pop()
                .ok_or_else(|| ArrayError::Internal("no region decoded".into())),
            Resolved::Array(subset) => {
                let mut parts = self.chunk_parts(subset)?;
                let total = usize::try_from(parts.count()).unwrap_or(usize::MAX);
                let opts = Self::split_concurrency(options, total.min(options.io_concurrency));
                let mut all: Vec<(ArraySubset, ArrayBytes)> = Vec::new();
                loop {
                    let batch = parts.next_batch()?;
                    if batch.is_empty() {
                        break;
                    }
                    let opts = &opts;
                    let got: Vec<(ArraySubset, ArrayBytes)> = stream::iter(batch)
                        .map(|p| async move {
                            let mut v = self
                                .read_chunk_regions_async(
                                    &p.indices,
                                    vec![p.in_chunk.clone()],
                                    opts,
                                )
                                .await?;
                            let b = v
                                .pop()
                                .ok_or_else(|| ArrayError::Internal("no region decoded".into()))?;
                            Ok::<_, ArrayError>((p.in_request, b))
                        })
                        .buffer_unordered(options.io_concurrency.max(1))
                        .try_collect()
                        .await?;
                    all.extend(got);
                }
                spawn_cpu(move || assemble_variable(&shape, &all).map_err(ArrayError::InvalidInput))
                    .await?
            }
        }
    }
}

impl<S: AsyncWritableStorageTraits + ?Sized + 'static> Array<S> {
    /// Write the metadata: `zarr.json` (V3), or `.zarray` and `.zattrs` (V2).
    pub async fn store_metadata_async(&self) -> Result<(), ArrayError> {
        for (name, doc) in self.metadata_documents() {
            self.storage.set(&self.path.key(name)?, doc).await?;
        }
        Ok(())
    }

    /// Erase the metadata.
    pub async fn erase_metadata_async(&self) -> Result<(), ArrayError> {
        for name in self.metadata_names() {
            self.storage.erase(&self.path.key(name)?).await?;
        }
        Ok(())
    }

    /// Store (or erase) an encoded chunk under the chunk's lock.
    async fn put_chunk_async(
        &self,
        key: &StoreKey,
        encoded: Option<Vec<u8>>,
    ) -> Result<(), ArrayError> {
        self.locks
            .with_async(key, async {
                match encoded {
                    Some(e) => self.storage.set(key, Bytes::from(e)).await,
                    None => self.storage.erase(key).await,
                }
            })
            .await?;
        self.invalidate(key);
        Ok(())
    }

    /// Store already-encoded chunk bytes as they are.
    pub async fn store_encoded_chunk_async(
        &self,
        chunk_indices: &[u64],
        encoded: Vec<u8>,
    ) -> Result<(), ArrayError> {
        self.check_chunk(chunk_indices)?;
        let key = self.chunk_key(chunk_indices)?;
        self.put_chunk_async(&key, Some(encoded)).await
    }

    /// Erase a chunk.
    pub async fn erase_chunk_async(&self, chunk_indices: &[u64]) -> Result<(), ArrayError> {
        self.check_chunk(chunk_indices)?;
        let key = self.chunk_key(chunk_indices)?;
        self.put_chunk_async(&key, None).await
    }
}

impl<S: AsyncReadableStorageTraits + AsyncWritableStorageTraits + ?Sized + 'static> Array<S> {
    /// Write a region from owned input (see [`OwnedInput`]: [`ArrayBytes`], `Vec<T>`,
    /// strings, byte strings). Chunks are encoded in parallel on the rayon pool, up to
    /// [`CodecOptions::io_concurrency`] at a time; partial chunks are read-modify-write
    /// under the chunk's async lock (a compare-and-swap where the store supports it).
    pub async fn write_async(
        &self,
        region: impl Into<Region>,
        input: impl Into<OwnedInput>,
    ) -> Result<(), ArrayError> {
        self.write_async_opt(region, input, &CodecOptions::default())
            .await
    }

    /// [`Array::write_async`] with options.
    pub async fn write_async_opt(
        &self,
        region: impl Into<Region>,
        input: impl Into<OwnedInput>,
        options: &CodecOptions,
    ) -> Result<(), ArrayError> {
        let region = region.into();
        let input: OwnedInput = input.into();
        if let Region::Selection(sel) = &region {
            (input.check)(&self.data_type)?;
            return Box::pin(self.write_selection_async_opt(sel, &input.bytes(), options)).await;
        }
        let region = self.resolve(&region)?;
        self.write_resolved_async(region, input, options).await
    }

    /// Write a resolved region (see [`Array::write_async_opt`]).
    pub(crate) async fn write_resolved_async(
        &self,
        region: Resolved,
        input: OwnedInput,
        options: &CodecOptions,
    ) -> Result<(), ArrayError> {
        (input.check)(&self.data_type)?;
        let shape = region.shape().to_vec();
        let n = ArraySubset::new_with_shape(shape.clone()).num_elements();
        self.check_bytes(input.bytes(), n)?;
        if n == 0 {
            return Ok(());
        }
        match &region {
            Resolved::InChunk { indices, subset } => {
                let repr = self.chunk_representation(indices)?;
                let key = self.chunk_key(indices)?;
                let whole = subset.shape() == repr.shape.as_slice();
                let (inp, r2, k, opts, this) = (
                    input.clone(),
                    repr.clone(),
                    key.clone(),
                    *options,
                    self.cpu_half(),
                );
                if whole {
                    let encoded = spawn_cpu(move || {
                        let b = inp
                            .bytes()
                            .to_owned_bytes()
                            .map_err(ArrayError::InvalidInput)?;
                        this.encode_for_store(&k, &r2, b, &opts)
                    })
                    .await??;
                    self.put_chunk_async(&key, encoded).await
                } else {
                    let b = input
                        .bytes()
                        .to_owned_bytes()
                        .map_err(ArrayError::InvalidInput)?;
                    self.update_chunk_async(&key, &repr, vec![(subset.clone(), b)], options)
                        .await
                }
            }
            Resolved::Array(subset) => self.write_subset_async(subset, input, options).await,
        }
    }

    /// A copy of this array without its store (metadata, codecs and caches shared), for CPU
    /// tasks that must be `'static`.
    fn cpu_half(&self) -> Array<()> {
        self.with_storage(Arc::new(()))
    }

    async fn write_subset_async(
        &self,
        subset: &ArraySubset,
        input: OwnedInput,
        options: &CodecOptions,
    ) -> Result<(), ArrayError> {
        let mut parts = self.chunk_parts(subset)?;
        let total = usize::try_from(parts.count()).unwrap_or(usize::MAX);
        let opts = Self::split_concurrency(options, total.min(options.io_concurrency));
        let shape = Arc::new(subset.shape().to_vec());
        let size = self.data_type.size();
        let array_shape = ArraySubset::new_with_shape(self.shape().to_vec());
        // Over a sync store with conditional writes, a whole chunk is encoded and stored in
        // one CPU task (no hop to an I/O thread; a concurrent read-modify-write notices the
        // new version through its compare-and-swap, so no lock is needed for the store).
        let direct = self
            .storage
            .as_sync_writable()
            .filter(|w| w.supports_conditional_writes());
        loop {
            let batch = parts.next_batch()?;
            if batch.is_empty() {
                return Ok(());
            }
            let (input, shape, opts, array_shape, direct) =
                (&input, &shape, &opts, &array_shape, &direct);
            stream::iter(batch.into_iter().map(Ok::<ChunkPart, ArrayError>))
                .try_for_each_concurrent(options.io_concurrency.max(1), |p| async move {
                    let repr = self.chunk_representation(&p.indices)?;
                    let key = self.chunk_key(&p.indices)?;
                    let bounded = p.chunk_subset.overlap(array_shape);
                    let whole = p.in_chunk.offset_by(p.chunk_subset.start()) == bounded;
                    let (inp, sh, k, r2, o, this, w) = (
                        input.clone(),
                        shape.clone(),
                        key.clone(),
                        repr.clone(),
                        *opts,
                        self.cpu_half(),
                        direct.clone(),
                    );
                    let p2 = p.clone();
                    let work = spawn_cpu(move || -> Result<ChunkWrite, ArrayError> {
                        let part = crate::array_bytes::extract_subset(
                            inp.bytes(),
                            &sh,
                            &p2.in_request,
                            size,
                        )
                        .map_err(ArrayError::InvalidInput)?;
                        if !whole {
                            return Ok(ChunkWrite::Partial(part));
                        }
                        let chunk = this.whole_chunk_bytes(&k, &r2, &p2, part)?;
                        let encoded = this.encode_for_store(&k, &r2, chunk, &o)?;
                        let Some(w) = w else {
                            return Ok(ChunkWrite::Encoded(encoded));
                        };
                        match encoded {
                            Some(e) => w.set(&k, Bytes::from(e))?,
                            None => w.erase(&k)?,
                        }
                        this.invalidate(&k);
                        Ok(ChunkWrite::Stored)
                    })
                    .await??;
                    let work = match work {
                        ChunkWrite::Stored => return Ok(()),
                        ChunkWrite::Encoded(encoded) => Ok(encoded),
                        ChunkWrite::Partial(part) => Err(part),
                    };
                    match work {
                        Ok(encoded) => self.put_chunk_async(&key, encoded).await,
                        Err(part) => {
                            self.update_chunk_async(
                                &key,
                                &repr,
                                vec![(p.in_chunk.clone(), part)],
                                opts,
                            )
                            .await
                        }
                    }
                })
                .await?;
        }
    }

    /// Read-modify-write of one chunk (see the sync `update_chunk`), holding the chunk's
    /// async lock across the read, the re-encoding (on the rayon pool) and the write.
    pub(crate) async fn update_chunk_async(
        &self,
        key: &StoreKey,
        repr: &ChunkRepresentation,
        updates: Vec<(ArraySubset, ArrayBytes)>,
        options: &CodecOptions,
    ) -> Result<(), ArrayError> {
        let options = options.with_concurrent_target(1);
        let cas = self.storage.supports_conditional_writes();
        let updates = Arc::new(updates);
        let limit = self
            .codecs
            .stored_limit(repr, &options)
            .map_err(|e| Self::codec_err(key, e))?;
        let r = self
            .locks
            .with_async(key, async {
                for attempt in 0..MAX_WRITE_ATTEMPTS {
                    let (bytes, version): (Option<Bytes>, Option<Version>) = match self
                        .storage
                        .read(key, &[whole_value_range(limit)], None)
                        .await?
                    {
                        Some(r) => (
                            Some(
                                take_whole_value(r.bytes, r.size, limit)
                                    .map_err(|e| Self::codec_err(key, e))?,
                            ),
                            Some(r.version),
                        ),
                        None => (None, None),
                    };
                    let (this, k, r2, u) =
                        (self.cpu_half(), key.clone(), repr.clone(), updates.clone());
                    let update =
                        spawn_cpu(move || this.apply_updates(&k, &r2, bytes, &u, &options))
                            .await??;
                    let result = if cas {
                        self.store_conditionally_async(key, repr, update, version, &options)
                            .await
                    } else {
                        match update {
                            Update::Set(e) => self
                                .storage
                                .set(key, Bytes::from(e))
                                .await
                                .map_err(Into::into),
                            Update::Erase => self.storage.erase(key).await.map_err(Into::into),
                        }
                    };
                    match result {
                        Ok(()) => return Ok(()),
                        Err(ArrayError::Storage(
                            StorageError::Changed { .. } | StorageError::Exists { .. },
                        )) => async_sleep(backoff(attempt)).await,
                        Err(e) => return Err(e),
                    }
                }
                Err(ArrayError::Unstable {
                    key: key.to_string(),
                    attempts: MAX_WRITE_ATTEMPTS,
                })
            })
            .await;
        self.invalidate(key);
        r
    }

    async fn store_conditionally_async(
        &self,
        key: &StoreKey,
        repr: &ChunkRepresentation,
        update: Update,
        version: Option<Version>,
        options: &CodecOptions,
    ) -> Result<(), ArrayError> {
        let condition = match &version {
            Some(v) => SetCondition::Version(v.clone()),
            None => SetCondition::Absent,
        };
        match (update, version) {
            (Update::Set(e), _) => Ok(self.storage.set_if(key, Bytes::from(e), &condition).await?),
            (Update::Erase, None) => Ok(()),
            (Update::Erase, Some(v)) => match self.storage.erase_if(key, &v).await {
                Err(StorageError::Unsupported(_)) => {
                    let e = self.encode_fill(key, repr, options)?;
                    Ok(self.storage.set_if(key, Bytes::from(e), &condition).await?)
                }
                r => Ok(r?),
            },
        }
    }
}

/// Sleep without a runtime: a timer thread wakes the future. (Only conflicting writes
/// sleep, rarely, so a thread per sleep is cheap enough and keeps core runtime-agnostic.)
pub(crate) async fn async_sleep(d: std::time::Duration) {
    let (tx, rx) = futures::channel::oneshot::channel::<()>();
    std::thread::spawn(move || {
        std::thread::sleep(d);
        let _ = tx.send(());
    });
    let _ = rx.await;
}
