//! The chunk key encoding extension point.

use std::fmt::Debug;
use std::sync::Arc;

/// Maps chunk grid indices to a store key relative to the array's node.
pub trait ChunkKeyEncodingTraits: Send + Sync + Debug {
    /// The V3 name written to new metadata.
    fn name(&self) -> &str;

    /// The V3 configuration written to new metadata.
    fn configuration(&self) -> Option<serde_json::Map<String, serde_json::Value>>;

    /// The key of the chunk at `chunk_indices`, relative to the array node
    /// (e.g. `c/0/1` or `0.1`).
    fn encode(&self, chunk_indices: &[u64]) -> String;
}

/// A chunk key encoding resolved from metadata.
pub type ChunkKeyEncoding = Arc<dyn ChunkKeyEncodingTraits>;
