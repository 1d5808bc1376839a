//! The chunk grid extension point.

use std::fmt::Debug;
use std::sync::Arc;

use crate::subset::ArraySubset;

/// A chunk grid: how an array of a given shape is divided into chunks.
///
/// For every grid, the chunks that intersect a box of the array form a box of chunk indices,
/// so [`ChunkGridTraits::chunks_in_subset`] returns an [`ArraySubset`] of chunk indices.
pub trait ChunkGridTraits: Send + Sync + Debug {
    /// The V3 name written to new metadata.
    fn name(&self) -> &str;

    /// The V3 configuration written to new metadata.
    fn configuration(&self) -> serde_json::Map<String, serde_json::Value>;

    /// The rank of the grid.
    fn dimensionality(&self) -> usize;

    /// Check that the grid is valid for an array shape (rank, extents). Called when an
    /// array is opened or resized.
    fn validate(&self, array_shape: &[u64]) -> Result<(), String>;

    /// The number of chunks per dimension.
    fn grid_shape(&self, array_shape: &[u64]) -> Vec<u64>;

    /// The (full, unclipped) shape of the chunk at `chunk_indices`, or `None` if outside.
    fn chunk_shape(&self, chunk_indices: &[u64], array_shape: &[u64]) -> Option<Vec<u64>>;

    /// The origin (first element) of the chunk at `chunk_indices`, or `None` if outside.
    fn chunk_origin(&self, chunk_indices: &[u64], array_shape: &[u64]) -> Option<Vec<u64>>;

    /// The chunk containing the element at `array_indices`, or `None` if outside.
    fn chunk_indices(&self, array_indices: &[u64], array_shape: &[u64]) -> Option<Vec<u64>>;

    /// The box of chunk indices of chunks that intersect `subset`.
    fn chunks_in_subset(&self, subset: &ArraySubset, array_shape: &[u64]) -> Option<ArraySubset> {
        if subset.is_empty() {
            return Some(ArraySubset::new_with_shape(vec![
                0;
                subset.dimensionality()
            ]));
        }
        let first = self.chunk_indices(subset.start(), array_shape)?;
        let last_el: Vec<u64> = subset.end_exc().iter().map(|e| e - 1).collect();
        let last = self.chunk_indices(&last_el, array_shape)?;
        ArraySubset::new_with_ranges(
            &first
                .iter()
                .zip(&last)
                .map(|(a, b)| *a..b.saturating_add(1))
                .collect::<Vec<_>>(),
        )
        .ok()
    }

    /// Capability: the distinct chunk edge lengths along each dimension among the chunks
    /// of an array of `array_shape` (each list deduplicated), or `None` if the grid cannot
    /// list them cheaply. Every chunk shape is a combination of one length per dimension.
    ///
    /// An array validates its codec chain against every distinct chunk shape when it opens
    /// (when there are at most [`MAX_CHUNK_SHAPES_VALIDATED_AT_OPEN`] combinations), and
    /// otherwise against each new shape when a chunk of that shape is first used. The
    /// default, `None`, means: validate the first chunk's shape at open, the others lazily.
    fn distinct_edge_lengths(&self, _array_shape: &[u64]) -> Option<Vec<Vec<u64>>> {
        None
    }

    /// The subset of the array covered by the chunk (unclipped).
    fn chunk_subset(&self, chunk_indices: &[u64], array_shape: &[u64]) -> Option<ArraySubset> {
        let origin = self.chunk_origin(chunk_indices, array_shape)?;
        let shape = self.chunk_shape(chunk_indices, array_shape)?;
        ArraySubset::new(origin, shape).ok()
    }
}

/// The largest number of distinct chunk shapes an array validates its codec chain against
/// when it opens (see [`ChunkGridTraits::distinct_edge_lengths`]); beyond it, shapes are
/// validated when first used.
pub const MAX_CHUNK_SHAPES_VALIDATED_AT_OPEN: usize = 256;

/// A chunk grid resolved from metadata.
pub type ChunkGrid = Arc<dyn ChunkGridTraits>;
