//! The sync read driver: plan the chunks a region touches, fetch what each chunk's partial
//! decode asks for, decode in parallel straight into the output.

use std::sync::Arc;

use rayon::prelude::*;

use super::cache::{CachedChunk, ChunkCacheKind};
use super::layout::ChunkPart;
use super::region::Resolved;
use super::Array;
use crate::array_bytes::{assemble_variable, ArrayBytes};
use crate::codec::{
    ArrayOutputView, ArrayToBytesCodecTraits, ChunkRepresentation, PartialDecode, PartialStep,
};
use crate::config::CodecOptions;
use crate::data_type::DataTypeSize;
use crate::error::{ArrayError, StorageError};
use crate::storage::{ByteRange, ReadableStorageExt, ReadableStorageTraits, StoreKey, Version};
use crate::subset::ArraySubset;

/// How many times a read starts again when the stored value changes under it (each time a
/// new version appeared between two of its requests) before giving up.
pub(crate) const MAX_READ_ATTEMPTS: u32 = 8;

/// What the sync driver made of a chunk.
pub(crate) enum Fetched {
    /// The chunk is not stored.
    Absent,
    /// The decode has every byte it needs.
    Ready(Box<dyn PartialDecode>),
    /// A cached decoded chunk.
    Decoded(Arc<ArrayBytes>),
}

impl<S: ?Sized> Array<S> {
    /// Make the partial decode of `regions` of a chunk, with the cached reusable state (a
    /// shard index) if there is one; returns the version that state is valid for.
    pub(crate) fn make_decode(
        &self,
        key: &StoreKey,
        repr: &ChunkRepresentation,
        regions: &[ArraySubset],
        use_cache: bool,
        options: &CodecOptions,
    ) -> Result<(Box<dyn PartialDecode>, Option<Version>), ArrayError> {
        let cached = if use_cache {
            self.caches.partial_get(key)
        } else {
            None
        };
        let machine = self
            .codecs
            .partial_decode(repr, regions, cached.as_ref().map(|c| &c.1), options)
            .map_err(|e| Self::codec_err(key, e))?;
        Ok((machine, cached.map(|c| c.0)))
    }

    /// After a machine's first read of a value of `version`: keep what it learned.
    pub(crate) fn remember(&self, key: &StoreKey, version: &Version, machine: &dyn PartialDecode) {
        if let Some(state) = machine.reusable() {
            self.caches.partial_insert(key, version.clone(), state);
        }
    }

    /// The error after too many changes, or the signal to try again.
    pub(crate) fn retry_or_give_up(&self, key: &StoreKey, attempt: u32) -> Result<(), ArrayError> {
        self.caches.partial_remove(key);
        if attempt >= MAX_READ_ATTEMPTS {
            Err(ArrayError::Unstable {
                key: key.to_string(),
                attempts: attempt,
            })
        } else {
            Ok(())
        }
    }

    /// The error for an absent chunk when missing chunks are not read as the fill value.
    pub(crate) fn check_missing(key: &StoreKey, options: &CodecOptions) -> Result<(), ArrayError> {
        if options.fill_missing_chunks {
            Ok(())
        } else {
            Err(ArrayError::MissingChunk {
                key: key.to_string(),
            })
        }
    }

    /// Fill views with the fill value (an absent chunk).
    pub(crate) fn fill_views(
        &self,
        key: &StoreKey,
        views: &mut [ArrayOutputView<'_>],
        options: &CodecOptions,
    ) -> Result<(), ArrayError> {
        Self::check_missing(key, options)?;
        for v in views {
            v.fill(self.fill_value.as_bytes())
                .map_err(|e| Self::codec_err(key, e))?;
        }
        Ok(())
    }

    /// The regions of an absent chunk (variable-size or owned output).
    pub(crate) fn fill_regions(
        &self,
        key: &StoreKey,
        repr: &ChunkRepresentation,
        regions: &[ArraySubset],
        options: &CodecOptions,
    ) -> Result<Vec<ArrayBytes>, ArrayError> {
        Self::check_missing(key, options)?;
        regions
            .iter()
            .map(|r| {
                ChunkRepresentation::new(
                    r.shape().to_vec(),
                    repr.data_type.clone(),
                    repr.fill_value.clone(),
                )
                .fill()
                .map_err(|e| Self::codec_err(key, e))
            })
            .collect()
    }

    /// Write regions of a cached decoded chunk into views.
    pub(crate) fn write_cached(
        key: &StoreKey,
        chunk: &ArrayBytes,
        repr: &ChunkRepresentation,
        regions: &[ArraySubset],
        views: &mut [ArrayOutputView<'_>],
    ) -> Result<(), ArrayError> {
        crate::codec::write_regions(chunk, repr, regions, views)
            .map_err(|e| Self::codec_err(key, e))
    }

    /// Regions of a cached decoded chunk as owned bytes.
    pub(crate) fn extract_cached(
        key: &StoreKey,
        chunk: &ArrayBytes,
        repr: &ChunkRepresentation,
        regions: &[ArraySubset],
    ) -> Result<Vec<ArrayBytes>, ArrayError> {
        crate::codec::extract_regions(chunk.clone(), repr, regions)
            .map_err(|e| Self::codec_err(key, e))
    }
}

impl<S: ReadableStorageTraits + ?Sized + 'static> Array<S> {
    /// Run a chunk's partial decode against the store until it has what it needs. A value
    /// replaced between requests (or since a cached shard index was read) makes the store
    /// answer "changed", and the decode starts again from a fresh read.
    pub(crate) fn fetch_sync(
        &self,
        key: &StoreKey,
        repr: &ChunkRepresentation,
        regions: &[ArraySubset],
        options: &CodecOptions,
    ) -> Result<Fetched, ArrayError> {
        if self.caches.chunk_config().is_some() {
            return self.fetch_through_chunk_cache(key, repr, regions, options);
        }
        let mut attempt = 0;
        'attempt: loop {
            attempt += 1;
            let (mut machine, mut version) =
                self.make_decode(key, repr, regions, attempt == 1, options)?;
            let mut step = machine.start().map_err(|e| Self::codec_err(key, e))?;
            let mut first = version.is_none();
            loop {
                let ranges = match step {
                    PartialStep::Ready => return Ok(Fetched::Ready(machine)),
                    PartialStep::Need(r) => r,
                };
                let r = match self.storage.read(key, &ranges, version.as_ref()) {
                    Ok(Some(r)) => r,
                    Ok(None) if version.is_none() => return Ok(Fetched::Absent),
                    Ok(None) | Err(StorageError::Changed { .. }) => {
                        self.retry_or_give_up(key, attempt)?;
                        continue 'attempt;
                    }
                    Err(e) => return Err(e.into()),
                };
                r.check(key, &ranges)?;
                let v = r.version;
                step = machine
                    .supply(r.bytes, r.size)
                    .map_err(|e| Self::codec_err(key, e))?;
                if first {
                    self.remember(key, &v, machine.as_ref());
                    first = false;
                }
                version = Some(v);
            }
        }
    }

    /// [`Self::fetch_sync`] through the chunk cache.
    fn fetch_through_chunk_cache(
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
                || match self.storage.read(key, &[], Some(hit.version())) {
                    Ok(Some(_)) => true,
                    Ok(None) | Err(StorageError::Changed { .. }) => false,
                    Err(e) => return Err(e.into()),
                };
            if valid {
                return match hit {
                    CachedChunk::Decoded(_, d) => Ok(Fetched::Decoded(d)),
                    CachedChunk::Encoded(_, e) => {
                        let (mut m, _) = self.make_decode(key, repr, regions, false, options)?;
                        crate::codec::run_from_memory(m.as_mut(), &e)
                            .map_err(|e| Self::codec_err(key, e))?;
                        Ok(Fetched::Ready(m))
                    }
                };
            }
        }
        let Some(r) = self.storage.read(key, &[ByteRange::ALL], None)? else {
            return Ok(Fetched::Absent);
        };
        let version = r.version.clone();
        let encoded = r.into_single(key)?;
        match cfg.kind {
            ChunkCacheKind::Encoded => {
                self.caches
                    .chunk_insert(key, CachedChunk::Encoded(version, encoded.clone()));
                let (mut m, _) = self.make_decode(key, repr, regions, false, options)?;
                crate::codec::run_from_memory(m.as_mut(), &encoded)
                    .map_err(|e| Self::codec_err(key, e))?;
                Ok(Fetched::Ready(m))
            }
            ChunkCacheKind::Decoded => {
                let d = Arc::new(
                    self.codecs
                        .decode(encoded, repr, options)
                        .map_err(|e| Self::codec_err(key, e))?,
                );
                self.caches
                    .chunk_insert(key, CachedChunk::Decoded(version, d.clone()));
                Ok(Fetched::Decoded(d))
            }
        }
    }

    /// Decode `region` of one chunk into `view`.
    pub(crate) fn read_chunk_into(
        &self,
        indices: &[u64],
        region: &ArraySubset,
        view: &mut ArrayOutputView<'_>,
        identity: Option<bool>,
        options: &CodecOptions,
    ) -> Result<(), ArrayError> {
        let repr = self.chunk_representation(indices)?;
        let key = self.chunk_key(indices)?;
        let whole = region.shape() == repr.shape.as_slice();
        let identity = identity.unwrap_or_else(|| self.codecs.is_identity(&repr))
            && self.codecs.is_identity(&repr);
        if whole && identity && self.caches.chunk_config().is_none() {
            // Nothing to decode: the stored bytes go straight into their places in the
            // output (`readv` for a file), with no intermediate buffer.
            let elem = self.element_size().unwrap_or(1);
            let present = {
                let mut runs = view.runs_mut(elem).map_err(|e| Self::codec_err(&key, e))?;
                self.storage.get_into(&key, &mut runs)?
            };
            if !present {
                self.fill_views(&key, std::slice::from_mut(view), options)?;
            }
            return Ok(());
        }
        let regions = std::slice::from_ref(region);
        match self.fetch_sync(&key, &repr, regions, options)? {
            Fetched::Absent => self.fill_views(&key, std::slice::from_mut(view), options),
            Fetched::Ready(m) => m
                .finish_into(std::slice::from_mut(view))
                .map_err(|e| Self::codec_err(&key, e)),
            Fetched::Decoded(d) => {
                Self::write_cached(&key, &d, &repr, regions, std::slice::from_mut(view))
            }
        }
    }

    /// Decode regions of one chunk to owned bytes (any data type).
    pub(crate) fn read_chunk_regions(
        &self,
        indices: &[u64],
        regions: &[ArraySubset],
        options: &CodecOptions,
    ) -> Result<Vec<ArrayBytes>, ArrayError> {
        let repr = self.chunk_representation(indices)?;
        let key = self.chunk_key(indices)?;
        match self.fetch_sync(&key, &repr, regions, options)? {
            Fetched::Absent => self.fill_regions(&key, &repr, regions, options),
            Fetched::Ready(m) => m.finish().map_err(|e| Self::codec_err(&key, e)),
            Fetched::Decoded(d) => Self::extract_cached(&key, &d, &repr, regions),
        }
    }

    /// Read a resolved region of a fixed-size array into `out` (exactly its size in bytes,
    /// C order).
    pub(crate) fn read_fixed_into(
        &self,
        region: &Resolved,
        out: &mut [u8],
        options: &CodecOptions,
    ) -> Result<(), ArrayError> {
        let elem = self.element_size().ok_or_else(|| {
            ArrayError::Unsupported(
                "variable-size data cannot be decoded into a fixed buffer".into(),
            )
        })?;
        let shape = region.shape().to_vec();
        let expected = shape
            .iter()
            .try_fold(elem as u64, |a, &b| a.checked_mul(b))
            .ok_or(ArrayError::TooLarge(u128::MAX))?;
        if out.len() as u64 != expected {
            return Err(ArrayError::InvalidBytesLength {
                expected,
                actual: out.len() as u64,
            });
        }
        if shape.contains(&0) {
            return Ok(());
        }
        match region {
            Resolved::InChunk { indices, subset } => {
                let mut view =
                    ArrayOutputView::new(out, &shape, ArraySubset::new_with_shape(shape.clone()));
                self.read_chunk_into(indices, subset, &mut view, None, options)
            }
            Resolved::Array(subset) => self.read_subset_into(subset, out, options),
        }
    }

    /// Read an array subset of fixed-size elements into `out`, each chunk straight into its
    /// place, chunks in parallel.
    fn read_subset_into(
        &self,
        subset: &ArraySubset,
        out: &mut [u8],
        options: &CodecOptions,
    ) -> Result<(), ArrayError> {
        let mut parts = self.chunk_parts(subset)?;
        let total = parts.count();
        let opts = Self::split_concurrency(options, usize::try_from(total).unwrap_or(usize::MAX));
        let ptr = out.as_mut_ptr() as usize;
        let len = out.len();
        let out_shape = subset.shape().to_vec();
        let mut identity: Option<bool> = None;
        loop {
            let batch = parts.next_batch()?;
            let Some(first) = batch.first() else {
                return Ok(());
            };
            // Regular grids give every chunk the same representation; each chunk checks its
            // own too.
            let identity = *identity.get_or_insert_with(|| {
                self.chunk_representation(&first.indices)
                    .is_ok_and(|r| self.codecs.is_identity(&r))
            });
            let work = |p: &ChunkPart| -> Result<(), ArrayError> {
                // SAFETY: the chunks tile the array (checked per part), so their overlaps with
                // `subset` are disjoint regions of `out`, which outlives this call.
                let mut view = unsafe {
                    ArrayOutputView::new_unchecked(
                        ptr as *mut u8,
                        len,
                        &out_shape,
                        p.in_request.clone(),
                    )
                };
                self.read_chunk_into(&p.indices, &p.in_chunk, &mut view, Some(identity), &opts)
            };
            if total == 1 || options.concurrent_target <= 1 {
                batch.iter().try_for_each(work)?;
            } else if identity && options.io_concurrency > 1 {
                // Uncompressed chunks cost no CPU to decode, only waiting for the store: read
                // them with more requests in flight than there are cores.
                super::io_pool(options.io_concurrency)?
                    .install(|| batch.par_iter().with_max_len(1).try_for_each(work))?;
            } else {
                batch.par_iter().try_for_each(work)?;
            }
        }
    }

    /// Read a resolved region of a variable-size array.
    pub(crate) fn read_variable(
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
                .read_chunk_regions(indices, std::slice::from_ref(subset), options)?
                .pop()
                .ok_or_else(|| ArrayError::Internal("no region decoded".into())),
            Resolved::Array(subset) => {
                let mut parts = self.chunk_parts(subset)?;
                let opts = Self::split_concurrency(
                    options,
                    usize::try_from(parts.count()).unwrap_or(usize::MAX),
                );
                let mut all: Vec<(ArraySubset, ArrayBytes)> = Vec::new();
                loop {
                    let batch = parts.next_batch()?;
                    if batch.is_empty() {
                        break;
                    }
                    let got: Vec<(ArraySubset, ArrayBytes)> = batch
                        .par_iter()
                        .map(|p| {
                            let mut v = self.read_chunk_regions(
                                &p.indices,
                                std::slice::from_ref(&p.in_chunk),
                                &opts,
                            )?;
                            let b = v
                                .pop()
                                .ok_or_else(|| ArrayError::Internal("no region decoded".into()))?;
                            Ok((p.in_request.clone(), b))
                        })
                        .collect::<Result<_, ArrayError>>()?;
                    all.extend(got);
                }
                assemble_variable(&shape, &all).map_err(ArrayError::InvalidInput)
            }
        }
    }

    /// The encoded bytes of a chunk, or `None` if it is not stored.
    pub fn retrieve_encoded_chunk(
        &self,
        chunk_indices: &[u64],
    ) -> Result<Option<Vec<u8>>, ArrayError> {
        self.check_chunk(chunk_indices)?;
        Ok(self
            .storage
            .get(&self.chunk_key(chunk_indices)?)?
            .map(Vec::from))
    }

    /// Decode a chunk, or `None` if it is not stored.
    pub fn retrieve_chunk_if_exists_opt(
        &self,
        chunk_indices: &[u64],
        options: &CodecOptions,
    ) -> Result<Option<ArrayBytes>, ArrayError> {
        let key = self.chunk_key(chunk_indices)?;
        let repr = self.chunk_representation(chunk_indices)?;
        let whole = [repr.subset()];
        match self.fetch_sync(&key, &repr, &whole, options)? {
            Fetched::Absent => Ok(None),
            Fetched::Ready(m) => m
                .finish()
                .map_err(|e| Self::codec_err(&key, e))?
                .pop()
                .map(Some)
                .ok_or_else(|| ArrayError::Internal("no chunk decoded".into())),
            Fetched::Decoded(d) => Ok(Some((*d).clone())),
        }
    }

    /// Decode a chunk, or `None` if it is not stored.
    pub fn retrieve_chunk_if_exists(
        &self,
        chunk_indices: &[u64],
    ) -> Result<Option<ArrayBytes>, ArrayError> {
        self.retrieve_chunk_if_exists_opt(chunk_indices, &CodecOptions::default())
    }
}
