//! [`Region`]: what part of an array a read or write covers.

use super::Array;
use crate::error::ArrayError;
use crate::subset::ArraySubset;

/// The part of an array a [`Array::read`] or [`Array::write`] covers. Data is in C order of
/// the region's shape.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Region {
    /// A region of the array.
    Subset(ArraySubset),
    /// One whole chunk in its full chunk shape (at the array's edge the elements past the
    /// end are included: they read as the fill value).
    Chunk(Vec<u64>),
    /// A box of chunk indices, as the region of the array its chunks cover (clipped to the
    /// array).
    Chunks(ArraySubset),
    /// A region of one chunk, relative to the chunk's origin.
    ChunkSubset(Vec<u64>, ArraySubset),
    /// One inner chunk of a sharded array (clipped to the array).
    InnerChunk(Vec<u64>),
    /// A box of inner chunk indices of a sharded array (clipped to the array).
    InnerChunks(ArraySubset),
    /// Any selection (orthogonal, vectorized, mask, blocks; see [`crate::selection`]); the
    /// data has the selection's shape.
    Selection(crate::selection::Selection),
}

impl From<crate::selection::Selection> for Region {
    fn from(s: crate::selection::Selection) -> Self {
        Self::Selection(s)
    }
}

impl Region {
    /// The whole of an array of `shape`.
    pub fn all(shape: &[u64]) -> Self {
        Self::Subset(ArraySubset::new_with_shape(shape.to_vec()))
    }

    /// A region of the array from per-dimension ranges (a reversed range is an error).
    pub fn ranges(ranges: &[std::ops::Range<u64>]) -> Result<Self, ArrayError> {
        Ok(Self::Subset(ArraySubset::new_with_ranges(ranges)?))
    }
}

impl From<ArraySubset> for Region {
    fn from(s: ArraySubset) -> Self {
        Self::Subset(s)
    }
}

impl From<&ArraySubset> for Region {
    fn from(s: &ArraySubset) -> Self {
        Self::Subset(s.clone())
    }
}

impl From<&Region> for Region {
    fn from(r: &Region) -> Self {
        r.clone()
    }
}

/// A region resolved against an array: a region of the array, or a region of one chunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Resolved {
    /// A region of the array (inside it).
    Array(ArraySubset),
    /// A region of one chunk (inside the chunk's full shape).
    InChunk {
        indices: Vec<u64>,
        subset: ArraySubset,
    },
}

impl Resolved {
    pub(crate) fn shape(&self) -> &[u64] {
        match self {
            Self::Array(s) | Self::InChunk { subset: s, .. } => s.shape(),
        }
    }
}

impl<S: ?Sized> Array<S> {
    /// Resolve a region: check it against the array and chunk grid.
    pub(crate) fn resolve(&self, region: &Region) -> Result<Resolved, ArrayError> {
        Ok(match region {
            Region::Subset(s) => {
                s.check_inbounds(self.shape())?;
                Resolved::Array(s.clone())
            }
            Region::Chunks(b) => Resolved::Array(self.chunks_subset_bounded(b)?),
            Region::InnerChunk(i) => Resolved::Array(self.inner_chunk_subset(i)?),
            Region::InnerChunks(b) => Resolved::Array(self.inner_chunks_subset(b)?),
            Region::Chunk(idx) => Resolved::InChunk {
                subset: ArraySubset::new_with_shape(self.chunk_shape(idx)?),
                indices: idx.clone(),
            },
            Region::Selection(_) => {
                return Err(ArrayError::Internal(
                    "a selection is read through the selection planner".into(),
                ))
            }
            Region::ChunkSubset(idx, s) => {
                s.check_inbounds(&self.chunk_shape(idx)?)?;
                Resolved::InChunk {
                    indices: idx.clone(),
                    subset: s.clone(),
                }
            }
        })
    }
}
