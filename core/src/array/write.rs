//! The sync write driver: whole chunks are encoded in parallel and stored; partial chunks are
//! read-modify-write under the chunk's lock, and a compare-and-swap on the chunk's version
//! where the store supports conditional writes.

use rayon::prelude::*;

use super::layout::ChunkPart;
use super::region::Resolved;
use super::Array;
use super::InputBytes;
use crate::array_bytes::{extract_subset, update_subset, ArrayBytes, ArrayBytesRef};
use crate::codec::{
    take_whole_value, whole_value_range, ArrayToBytesCodecTraits, ChunkRepresentation,
};
use crate::config::CodecOptions;
use crate::error::{ArrayError, StorageError};
use crate::storage::{
    Bytes, ReadableStorageTraits, SetCondition, StoreKey, Version, WritableStorageTraits,
};
use crate::subset::ArraySubset;

/// How many times a read-modify-write tries again when another writer changed the chunk
/// between its read and its conditional write.
pub(crate) const MAX_WRITE_ATTEMPTS: u32 = 64;

/// A short pause before retrying a conflicting write: exponential, capped at ~50 ms, with a
/// per-thread jitter so that colliding writers spread out.
pub(crate) fn backoff(attempt: u32) -> std::time::Duration {
    use std::hash::{BuildHasher, Hasher};
    let base_us = 50u64 << attempt.min(10);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(attempt);
    let jitter = h.finish() % base_us.max(1);
    std::time::Duration::from_micros((base_us / 2 + jitter).min(50_000))
}

/// What a read-modify-write should store.
pub(crate) enum Update {
    /// This encoding.
    Set(Vec<u8>),
    /// Nothing (erase the chunk).
    Erase,
}

impl<S: ?Sized> Array<S> {
    /// Whether every element equals the fill value.
    pub(crate) fn is_fill(&self, bytes: &ArrayBytes) -> bool {
        crate::array_bytes::is_fill(bytes, &self.fill_value)
    }

    /// Encode a whole chunk for storing (`None`: it is all fill and should be erased). Runs
    /// outside any chunk lock, so codecs may use the thread pool freely.
    pub(crate) fn encode_for_store(
        &self,
        key: &StoreKey,
        repr: &ChunkRepresentation,
        bytes: ArrayBytes,
        options: &CodecOptions,
    ) -> Result<Option<Vec<u8>>, ArrayError> {
        if !options.store_empty_chunks && self.may_erase_fill_chunks() && self.is_fill(&bytes) {
            return Ok(None);
        }
        self.codecs
            .encode(bytes, repr, options)
            .map(Some)
            .map_err(|e| Self::codec_err(key, e))
    }

    /// The new encoding of a chunk after `updates` (regions of the chunk and their
    /// elements), from its stored encoding.
    pub(crate) fn apply_updates(
        &self,
        key: &StoreKey,
        repr: &ChunkRepresentation,
        existing: Option<Bytes>,
        updates: &[(ArraySubset, ArrayBytes)],
        options: &CodecOptions,
    ) -> Result<Update, ArrayError> {
        // The codec chain updates the encoded chunk: by default decode, update and
        // re-encode; a sharded chunk re-encodes only the inner chunks it touches.
        //
        // (Written as one match with the error built out of line: rustc 1.95's LLVM
        // miscompiled the `.map_err(..)?` form of this function in release builds of the
        // Python extension — an aligned 16-byte store to an 8-aligned stack slot on the
        // error path, so any failed read-modify-write crashed with SIGSEGV. See
        // docs/design.md, "Toolchain".)
        match self
            .codecs
            .encode_partial(existing, updates, repr, &self.write_options(options))
        {
            Ok(Some(e)) => Ok(Update::Set(e)),
            Ok(None) => Ok(Update::Erase),
            Err(e) => Err(Self::codec_err(key, e)),
        }
    }

    /// The encoding of an all-fill chunk (for stores that cannot erase conditionally).
    pub(crate) fn encode_fill(
        &self,
        key: &StoreKey,
        repr: &ChunkRepresentation,
        options: &CodecOptions,
    ) -> Result<Vec<u8>, ArrayError> {
        let fill = repr.fill().map_err(|e| Self::codec_err(key, e))?;
        self.codecs
            .encode(fill, repr, options)
            .map_err(|e| Self::codec_err(key, e))
    }

    /// The chunk data for a write of `part` (the elements of `p.in_chunk`) to a chunk that
    /// it covers within the array: the part itself, or for an edge chunk the part placed
    /// into a fill-value chunk.
    pub(crate) fn whole_chunk_bytes(
        &self,
        key: &StoreKey,
        repr: &ChunkRepresentation,
        p: &ChunkPart,
        part: ArrayBytes,
    ) -> Result<ArrayBytes, ArrayError> {
        if p.in_chunk.shape() == repr.shape.as_slice() {
            return Ok(part);
        }
        let fill = repr.fill().map_err(|e| Self::codec_err(key, e))?;
        update_subset(fill, &repr.shape, &p.in_chunk, &part, self.element_size())
            .map_err(ArrayError::Internal)
    }
}

impl<S: WritableStorageTraits + ?Sized + 'static> Array<S> {
    /// Store (or erase) an encoded chunk under the chunk's lock. The lock is held only for
    /// the store call: holding it while codecs run on the thread pool could deadlock with a
    /// pool worker waiting for the same lock.
    fn put_chunk(&self, key: &StoreKey, encoded: Option<Vec<u8>>) -> Result<(), ArrayError> {
        self.locks.with(key, || match encoded {
            Some(e) => self.storage.set(key, Bytes::from(e)),
            None => self.storage.erase(key),
        })?;
        self.invalidate(key);
        Ok(())
    }

    /// Encode a whole chunk, then store (or erase) it.
    pub(crate) fn store_whole_chunk(
        &self,
        key: &StoreKey,
        repr: &ChunkRepresentation,
        bytes: ArrayBytes,
        options: &CodecOptions,
    ) -> Result<(), ArrayError> {
        let encoded = self.encode_for_store(key, repr, bytes, options)?;
        self.put_chunk(key, encoded)
    }

    /// Encode and store a whole chunk (full chunk shape, also at the array edge). A chunk
    /// whose elements all equal the fill value is erased instead, unless
    /// [`CodecOptions::store_empty_chunks`] is set.
    pub fn store_chunk_opt(
        &self,
        chunk_indices: &[u64],
        bytes: impl Into<ArrayBytes>,
        options: &CodecOptions,
    ) -> Result<(), ArrayError> {
        let bytes = bytes.into();
        let repr = self.chunk_representation(chunk_indices)?;
        self.check_bytes(bytes.as_bytes_ref(), repr.num_elements())?;
        let key = self.chunk_key(chunk_indices)?;
        self.store_whole_chunk(&key, &repr, bytes, options)
    }

    /// Encode and store a whole chunk.
    pub fn store_chunk(
        &self,
        chunk_indices: &[u64],
        bytes: impl Into<ArrayBytes>,
    ) -> Result<(), ArrayError> {
        self.store_chunk_opt(chunk_indices, bytes, &CodecOptions::default())
    }

    /// Store already-encoded chunk bytes as they are.
    pub fn store_encoded_chunk(
        &self,
        chunk_indices: &[u64],
        encoded: &[u8],
    ) -> Result<(), ArrayError> {
        self.check_chunk(chunk_indices)?;
        let key = self.chunk_key(chunk_indices)?;
        self.put_chunk(&key, Some(encoded.to_vec()))
    }

    /// Erase a chunk (reads then return the fill value).
    pub fn erase_chunk(&self, chunk_indices: &[u64]) -> Result<(), ArrayError> {
        self.check_chunk(chunk_indices)?;
        let key = self.chunk_key(chunk_indices)?;
        self.put_chunk(&key, None)
    }

    /// Erase every chunk in a box of chunk indices.
    pub fn erase_chunks(&self, chunks: &ArraySubset) -> Result<(), ArrayError> {
        chunks.indices().try_for_each(|i| self.erase_chunk(&i))
    }
}

impl<S: ReadableStorageTraits + WritableStorageTraits + ?Sized + 'static> Array<S> {
    /// Read-modify-write of one chunk: `updates` are regions of the chunk and their new
    /// elements. Under the chunk's in-process lock, with codecs on this thread (a pool worker
    /// blocked on the lock must never be needed to release it). On a store with conditional
    /// writes the store is a compare-and-swap on the version that was read: if another
    /// writer (another process) changed the chunk meanwhile, the update is applied again to
    /// the new value — nothing is lost.
    pub(crate) fn update_chunk(
        &self,
        key: &StoreKey,
        repr: &ChunkRepresentation,
        updates: &[(ArraySubset, ArrayBytes)],
        options: &CodecOptions,
    ) -> Result<(), ArrayError> {
        let options = options.with_concurrent_target(1);
        let cas = self.storage.supports_conditional_writes();
        let limit = self
            .codecs
            .stored_limit(repr, &options)
            .map_err(|e| Self::codec_err(key, e))?;
        let r = self.locks.with(key, || -> Result<(), ArrayError> {
            for attempt in 0..MAX_WRITE_ATTEMPTS {
                let existing = self.storage.read(key, &[whole_value_range(limit)], None)?;
                let (bytes, version) = match existing {
                    Some(r) => (
                        Some(
                            take_whole_value(r.bytes, r.size, limit)
                                .map_err(|e| Self::codec_err(key, e))?,
                        ),
                        Some(r.version),
                    ),
                    None => (None, None),
                };
                let update = self.apply_updates(key, repr, bytes, updates, &options)?;
                let result = if cas {
                    self.store_conditionally(key, repr, update, version, &options)
                } else {
                    match update {
                        Update::Set(e) => self.storage.set(key, Bytes::from(e)).map_err(Into::into),
                        Update::Erase => self.storage.erase(key).map_err(Into::into),
                    }
                };
                match result {
                    Ok(()) => return Ok(()),
                    Err(ArrayError::Storage(
                        StorageError::Changed { .. } | StorageError::Exists { .. },
                    )) => std::thread::sleep(backoff(attempt)),
                    Err(e) => return Err(e),
                }
            }
            Err(ArrayError::Unstable {
                key: key.to_string(),
                attempts: MAX_WRITE_ATTEMPTS,
            })
        });
        self.invalidate(key);
        r
    }

    /// Store `update` only if the chunk still has `version` (`None`: still absent).
    fn store_conditionally(
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
            (Update::Set(e), _) => Ok(self.storage.set_if(key, Bytes::from(e), &condition)?),
            (Update::Erase, None) => Ok(()),
            (Update::Erase, Some(v)) => match self.storage.erase_if(key, &v) {
                Err(StorageError::Unsupported(_)) => {
                    // No conditional erase (object stores): store the fill chunk instead.
                    let e = self.encode_fill(key, repr, options)?;
                    Ok(self.storage.set_if(key, Bytes::from(e), &condition)?)
                }
                r => Ok(r?),
            },
        }
    }

    /// The chunk whose subset `subset` is exactly (`None`: part of a chunk, several chunks, or
    /// an edge chunk that overhangs the array).
    fn whole_chunk_at(&self, subset: &ArraySubset) -> Result<Option<Vec<u64>>, ArrayError> {
        let chunks = self.chunks_in_array_subset(subset)?;
        if chunks.num_elements() != 1 {
            return Ok(None);
        }
        let indices = chunks.start().to_vec();
        Ok((self.chunk_subset(&indices)? == *subset).then_some(indices))
    }

    /// Write a resolved region from `input` (its elements in C order). Owned input that is
    /// exactly one whole chunk is encoded as it is; anything else is copied chunk by chunk.
    pub(crate) fn write_resolved(
        &self,
        region: &Resolved,
        input: InputBytes<'_>,
        options: &CodecOptions,
    ) -> Result<(), ArrayError> {
        let shape = region.shape().to_vec();
        let n = ArraySubset::new_with_shape(shape.clone()).num_elements();
        self.check_bytes(input.as_ref(), n)?;
        if n == 0 {
            return Ok(());
        }
        match (region, input) {
            (Resolved::InChunk { indices, subset }, input) => {
                let repr = self.chunk_representation(indices)?;
                let key = self.chunk_key(indices)?;
                let bytes = input.into_owned().map_err(ArrayError::InvalidInput)?;
                if subset.shape() == repr.shape.as_slice() {
                    self.store_whole_chunk(&key, &repr, bytes, options)
                } else {
                    self.update_chunk(&key, &repr, &[(subset.clone(), bytes)], options)
                }
            }
            (Resolved::Array(subset), InputBytes::Owned(bytes)) => {
                match self.whole_chunk_at(subset)? {
                    Some(indices) => {
                        let repr = self.chunk_representation(&indices)?;
                        let key = self.chunk_key(&indices)?;
                        self.store_whole_chunk(&key, &repr, bytes, options)
                    }
                    None => self.write_subset(subset, bytes.as_bytes_ref(), options),
                }
            }
            (Resolved::Array(subset), InputBytes::Borrowed(b)) => {
                self.write_subset(subset, b, options)
            }
        }
    }

    /// Write an array subset: chunks covered (within the array) are encoded without reading
    /// the old chunk; the others are read-modify-write. Chunks are processed in parallel.
    fn write_subset(
        &self,
        subset: &ArraySubset,
        input: ArrayBytesRef<'_>,
        options: &CodecOptions,
    ) -> Result<(), ArrayError> {
        let mut parts = self.chunk_parts(subset)?;
        let total = parts.count();
        let opts = Self::split_concurrency(options, usize::try_from(total).unwrap_or(usize::MAX));
        let size = self.data_type.size();
        let work = |p: &ChunkPart| -> Result<(), ArrayError> {
            let part = extract_subset(input, subset.shape(), &p.in_request, size)
                .map_err(ArrayError::InvalidInput)?;
            let repr = self.chunk_representation(&p.indices)?;
            let key = self.chunk_key(&p.indices)?;
            let bounded = p
                .chunk_subset
                .overlap(&ArraySubset::new_with_shape(self.shape().to_vec()));
            let overlap = p.in_chunk.offset_by(p.chunk_subset.start());
            if overlap == bounded {
                // The whole chunk (within the array): no read needed.
                let chunk = self.whole_chunk_bytes(&key, &repr, p, part)?;
                self.store_whole_chunk(&key, &repr, chunk, &opts)
            } else {
                self.update_chunk(&key, &repr, &[(p.in_chunk.clone(), part)], &opts)
            }
        };
        loop {
            let batch = parts.next_batch()?;
            if batch.is_empty() {
                return Ok(());
            }
            if total == 1 || options.concurrent_target <= 1 {
                batch.iter().try_for_each(work)?;
            } else {
                batch.par_iter().try_for_each(work)?;
            }
        }
    }
}
