//! Chunk geometry: keys, shapes and regions of chunks and inner chunks, and the chunks a
//! region touches (iterated lazily, never collected).

use super::Array;
use crate::array_bytes::ArrayBytesRef;
use crate::codec::ChunkRepresentation;
use crate::config::CodecOptions;
use crate::error::{ArrayError, CodecError, MetadataError};
use crate::storage::StoreKey;
use crate::subset::{ArraySubset, IndicesIter};

/// One chunk a region touches: its indices, the region of the array it covers (unclipped),
/// and the part of the request that falls in it, relative to the request and to the chunk.
#[derive(Debug, Clone)]
pub(crate) struct ChunkPart {
    pub(crate) indices: Vec<u64>,
    pub(crate) chunk_subset: ArraySubset,
    /// The overlap, relative to the request's start.
    pub(crate) in_request: ArraySubset,
    /// The overlap, relative to the chunk's start.
    pub(crate) in_chunk: ArraySubset,
}

/// How many chunks a request handles at a time: chunk indices are iterated lazily in batches
/// of this many, so a request over billions of chunks allocates nothing per chunk beyond a
/// batch.
pub(crate) const CHUNK_BATCH: usize = 4096;

impl<S: ?Sized> Array<S> {
    /// The number of chunks per dimension.
    pub fn chunk_grid_shape(&self) -> Vec<u64> {
        self.chunk_grid.grid_shape(self.shape())
    }

    pub(crate) fn check_chunk(&self, chunk_indices: &[u64]) -> Result<(), ArrayError> {
        let grid = self.chunk_grid_shape();
        if chunk_indices.len() != grid.len() || chunk_indices.iter().zip(&grid).any(|(i, g)| i >= g)
        {
            return Err(ArrayError::InvalidChunkIndices {
                indices: chunk_indices.to_vec(),
                grid,
            });
        }
        Ok(())
    }

    /// The store key of a chunk.
    pub fn chunk_key(&self, chunk_indices: &[u64]) -> Result<StoreKey, ArrayError> {
        Ok(self
            .path
            .prefix()
            .join(&self.chunk_key_encoding.encode(chunk_indices))?)
    }

    /// The shape of a chunk (full size, also at the array edge).
    pub fn chunk_shape(&self, chunk_indices: &[u64]) -> Result<Vec<u64>, ArrayError> {
        self.check_chunk(chunk_indices)?;
        self.chunk_grid
            .chunk_shape(chunk_indices, self.shape())
            .ok_or_else(|| ArrayError::InvalidChunkIndices {
                indices: chunk_indices.to_vec(),
                grid: self.chunk_grid_shape(),
            })
    }

    /// The region of the array a chunk covers (unclipped).
    pub fn chunk_subset(&self, chunk_indices: &[u64]) -> Result<ArraySubset, ArrayError> {
        self.check_chunk(chunk_indices)?;
        self.chunk_grid
            .chunk_subset(chunk_indices, self.shape())
            .ok_or_else(|| ArrayError::InvalidChunkIndices {
                indices: chunk_indices.to_vec(),
                grid: self.chunk_grid_shape(),
            })
    }

    /// The region of the array a chunk covers, clipped to the array.
    pub fn chunk_subset_bounded(&self, chunk_indices: &[u64]) -> Result<ArraySubset, ArrayError> {
        let s = self.chunk_subset(chunk_indices)?;
        Ok(s.overlap(&ArraySubset::new_with_shape(self.shape().to_vec())))
    }

    /// The representation (shape, data type, fill value) of a chunk.
    pub fn chunk_representation(
        &self,
        chunk_indices: &[u64],
    ) -> Result<ChunkRepresentation, ArrayError> {
        let repr = ChunkRepresentation::new(
            self.chunk_shape(chunk_indices)?,
            self.data_type.clone(),
            self.fill_value.clone(),
        );
        self.check_chunk_shape(chunk_indices, &repr)?;
        Ok(repr)
    }

    /// A chunk shape not seen at open (a grid with many distinct shapes): validate the chain
    /// against it once.
    fn check_chunk_shape(
        &self,
        chunk_indices: &[u64],
        repr: &ChunkRepresentation,
    ) -> Result<(), ArrayError> {
        if self.all_shapes_validated || self.shapes.contains(&repr.shape) {
            return Ok(());
        }
        self.codecs.validate(repr).map_err(|e| {
            MetadataError::invalid(
                self.path.as_str(),
                format!(
                    "codecs: {e} (chunk {chunk_indices:?} of shape {:?})",
                    repr.shape
                ),
            )
        })?;
        self.shapes.others.write().insert(repr.shape.clone());
        Ok(())
    }

    /// Whether chunks are divided into inner chunks (the chunk grid is a shard grid).
    pub fn is_sharded(&self) -> bool {
        self.inner_chunk_shape().is_some()
    }

    /// The inner chunk shape of a sharded array.
    pub fn inner_chunk_shape(&self) -> Option<Vec<u64>> {
        let zeros = vec![0u64; self.dimensionality()];
        let shape = self.chunk_grid.chunk_shape(&zeros, self.shape())?;
        let repr = ChunkRepresentation::new(shape, self.data_type.clone(), self.fill_value.clone());
        crate::codec::ArrayToBytesCodecTraits::inner_chunk_shape(&*self.codecs, &repr)
    }

    /// The number of inner chunks per dimension of a sharded array, over the whole array.
    /// Inner chunks form a regular grid over the array whatever the shard grid: the sharding
    /// codec requires every shard shape (each distinct shape of a rectilinear grid,
    /// validated at open or on first use) to be a multiple of the inner chunk shape, so
    /// shard origins fall on inner chunk boundaries.
    pub fn inner_chunk_grid_shape(&self) -> Option<Vec<u64>> {
        let inner = self.inner_chunk_shape()?;
        Some(
            self.shape()
                .iter()
                .zip(&inner)
                .map(|(a, i)| a.div_ceil(*i))
                .collect(),
        )
    }

    /// The region of the array an inner chunk covers, clipped to the array.
    pub fn inner_chunk_subset(&self, inner_indices: &[u64]) -> Result<ArraySubset, ArrayError> {
        let inner = self
            .inner_chunk_shape()
            .ok_or_else(|| ArrayError::Unsupported("the array is not sharded".into()))?;
        let grid = self.inner_chunk_grid_shape().unwrap_or_default();
        if inner_indices.len() != inner.len()
            || inner_indices.iter().zip(&grid).any(|(i, g)| i >= g)
        {
            return Err(ArrayError::InvalidChunkIndices {
                indices: inner_indices.to_vec(),
                grid,
            });
        }
        let start: Vec<u64> = inner_indices
            .iter()
            .zip(&inner)
            .map(|(i, s)| i * s)
            .collect();
        Ok(ArraySubset::new(start, inner)?
            .overlap(&ArraySubset::new_with_shape(self.shape().to_vec())))
    }

    /// The region of a sharded array covered by a box of inner chunk indices (clipped).
    pub fn inner_chunks_subset(
        &self,
        inner_chunks: &ArraySubset,
    ) -> Result<ArraySubset, ArrayError> {
        if inner_chunks.is_empty() {
            return Ok(ArraySubset::new_with_shape(vec![0; self.dimensionality()]));
        }
        let first = self.inner_chunk_subset(inner_chunks.start())?;
        let last_idx: Vec<u64> = inner_chunks.end_exc().iter().map(|e| e - 1).collect();
        let last = self.inner_chunk_subset(&last_idx)?;
        ArraySubset::from_start_end(first.start(), &last.end_exc())
    }

    /// The box of chunk indices intersecting an array subset.
    pub fn chunks_in_array_subset(&self, subset: &ArraySubset) -> Result<ArraySubset, ArrayError> {
        subset.check_inbounds(self.shape())?;
        self.chunk_grid
            .chunks_in_subset(subset, self.shape())
            .ok_or_else(|| ArrayError::InvalidSubset {
                subset: subset.to_string(),
                shape: self.shape().to_vec(),
            })
    }

    /// The array region covered by a box of chunks, clipped to the array.
    pub fn chunks_subset_bounded(&self, chunks: &ArraySubset) -> Result<ArraySubset, ArrayError> {
        if chunks.is_empty() {
            return Ok(ArraySubset::new_with_shape(vec![0; self.dimensionality()]));
        }
        let first = self.chunk_subset(chunks.start())?;
        let last_idx: Vec<u64> = chunks.end_exc().iter().map(|e| e - 1).collect();
        let last = self.chunk_subset(&last_idx)?;
        Ok(ArraySubset::from_start_end(first.start(), &last.end_exc())?
            .overlap(&ArraySubset::new_with_shape(self.shape().to_vec())))
    }

    pub(crate) fn element_size(&self) -> Option<usize> {
        self.data_type.size().fixed()
    }

    #[cold]
    #[inline(never)]
    pub(crate) fn codec_err(key: &StoreKey, e: CodecError) -> ArrayError {
        ArrayError::Codec {
            key: key.to_string(),
            source: e,
        }
    }

    pub(crate) fn check_bytes(
        &self,
        bytes: ArrayBytesRef<'_>,
        num_elements: u64,
    ) -> Result<(), ArrayError> {
        let n = usize::try_from(num_elements)
            .map_err(|_| ArrayError::TooLarge(num_elements as u128))?;
        bytes
            .validate(n, self.element_size())
            .map_err(|e| match (bytes, self.element_size()) {
                (ArrayBytesRef::Fixed(b), Some(s)) => ArrayError::InvalidBytesLength {
                    expected: num_elements.saturating_mul(s as u64),
                    actual: b.len() as u64,
                },
                _ => ArrayError::InvalidInput(e),
            })
    }

    /// Split the concurrency target between `n` parallel chunk tasks.
    pub(crate) fn split_concurrency(options: &CodecOptions, n: usize) -> CodecOptions {
        let per = (options.concurrent_target / n.max(1)).max(1);
        options.with_concurrent_target(per)
    }

    /// The chunks `subset` touches, lazily: the chunk box and an iterator of parts. Each
    /// part is checked against the grid's promise that chunks tile the array (a plugin grid
    /// whose chunks overlapped would make parallel decodes write the same output bytes).
    pub(crate) fn chunk_parts<'a>(
        &'a self,
        subset: &'a ArraySubset,
    ) -> Result<ChunkParts<'a, S>, ArrayError> {
        let chunk_box = self.chunks_in_array_subset(subset)?;
        let count = chunk_box.num_elements();
        Ok(ChunkParts {
            array: self,
            subset,
            indices: chunk_box.indices(),
            chunk_box,
            count,
        })
    }

    /// The start and extent along axis `d` of the chunks of `chunk_box` whose index along
    /// `d` is `i` (taking the box's first index on the other axes).
    fn axis_interval(
        &self,
        chunk_box: &ArraySubset,
        d: usize,
        i: u64,
    ) -> Result<(u64, u64), ArrayError> {
        let mut idx = chunk_box.start().to_vec();
        idx[d] = i;
        let cs = self.chunk_subset(&idx)?;
        Ok((cs.start()[d], cs.shape()[d]))
    }

    /// Check that chunk `idx` of `chunk_box` covers `cs`, the product of its axes' intervals,
    /// and that along each axis it starts where its predecessor ends.
    fn check_tiling(
        &self,
        chunk_box: &ArraySubset,
        idx: &[u64],
        cs: &ArraySubset,
    ) -> Result<(), ArrayError> {
        for d in 0..idx.len() {
            let (st, sh) = self.axis_interval(chunk_box, d, idx[d])?;
            let mut ok = (cs.start()[d], cs.shape()[d]) == (st, sh) && sh > 0;
            if ok && idx[d] > chunk_box.start()[d] {
                let (ps, pl) = self.axis_interval(chunk_box, d, idx[d] - 1)?;
                ok = ps.checked_add(pl) == Some(st);
            }
            if !ok {
                return Err(ArrayError::Internal(format!(
                    "the chunk grid gave chunk {idx:?} the region {cs}, which does not tile the array along axis {d}"
                )));
            }
        }
        Ok(())
    }
}

/// The chunks a request touches (see [`Array::chunk_parts`]).
pub(crate) struct ChunkParts<'a, S: ?Sized> {
    array: &'a Array<S>,
    subset: &'a ArraySubset,
    chunk_box: ArraySubset,
    indices: IndicesIter,
    count: u64,
}

impl<S: ?Sized> ChunkParts<'_, S> {
    /// How many chunks there are.
    pub(crate) fn count(&self) -> u64 {
        self.count
    }

    /// The part of chunk `idx`.
    fn part(&self, idx: Vec<u64>) -> Result<ChunkPart, ArrayError> {
        let chunk_subset = self.array.chunk_subset(&idx)?;
        if self.count > 1 {
            self.array
                .check_tiling(&self.chunk_box, &idx, &chunk_subset)?;
        }
        let overlap = chunk_subset.overlap(self.subset);
        Ok(ChunkPart {
            in_request: overlap.relative_to(self.subset.start()),
            in_chunk: overlap.relative_to(chunk_subset.start()),
            indices: idx,
            chunk_subset,
        })
    }

    /// The next batch of at most [`CHUNK_BATCH`] parts (empty when done).
    pub(crate) fn next_batch(&mut self) -> Result<Vec<ChunkPart>, ArrayError> {
        let mut v = Vec::new();
        for idx in self.indices.by_ref() {
            v.push(idx);
            if v.len() == CHUNK_BATCH {
                break;
            }
        }
        v.into_iter().map(|i| self.part(i)).collect()
    }
}
