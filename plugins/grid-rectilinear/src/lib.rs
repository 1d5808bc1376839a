//! zarrkit plugin: the `rectilinear` chunk grid of the zarr-extensions registry.
//!
//! Each dimension has its own sequence of chunk edge lengths:
//!
//! ```json
//! {"name": "rectilinear", "configuration": {"kind": "inline", "chunk_shapes": [
//!     4,                 // an integer: a regular step (chunks of 4, as many as needed)
//!     [1, 2, 3],         // explicit edge lengths
//!     [[4, 2]],          // run-length encoded: [size, count] = [4, 4]
//!     [[1, 3], 3]        // mixed: [1, 1, 1, 3]
//! ]}}
//! ```
//!
//! The edge lengths of a dimension must add up to at least the array's extent (overflow
//! chunks past the end are allowed); every length and run count must be positive.
//! Run-length encoded sequences stay compressed in memory: a dimension costs one entry per
//! JSON element whatever the number of chunks, and the chunk containing an element is found
//! by binary search over cumulative run offsets. The configuration is written back exactly
//! as it was read.
//!
//! The grid's chunks are those that intersect the array (like the regular grid's), so an
//! overflow chunk wholly past the end is not part of [`ChunkGridTraits::grid_shape`] until
//! the array grows into it. Like every grid's, chunks are stored at their full edge lengths.

use std::sync::Arc;

use zarrkit_core::chunk_grid::{ChunkGrid, ChunkGridTraits};
use zarrkit_core::error::{ExtensionKind, PluginError};
use zarrkit_core::metadata::MetadataV3;
use zarrkit_core::registry::ChunkGridPlugin;
use zarrkit_core::serde_json::{Map, Value};

/// The V3 name of the grid.
pub const RECTILINEAR: &str = "rectilinear";

/// One element of an explicit edge length list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdgeElement {
    /// One chunk of this edge length (JSON: an integer).
    Single(u64),
    /// `count` chunks of edge length `size` (JSON: `[size, count]`).
    Run {
        /// The edge length.
        size: u64,
        /// How many chunks.
        count: u64,
    },
}

/// The chunk edge lengths of one dimension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EdgeLengths {
    /// A regular step: chunks of this length, as many as the extent needs (JSON: an integer).
    Regular(u64),
    /// Explicit lengths, possibly run-length encoded (JSON: an array).
    Explicit(Vec<EdgeElement>),
}

impl EdgeLengths {
    /// Explicit edge lengths, run-length encoding repeats (`[5, 5, 5, 20]` becomes
    /// `[[5, 3], 20]`).
    pub fn explicit_rle(edges: &[u64]) -> Self {
        let mut out: Vec<EdgeElement> = Vec::new();
        let mut i = 0;
        while i < edges.len() {
            let size = edges[i];
            let mut j = i + 1;
            while j < edges.len() && edges[j] == size {
                j += 1;
            }
            out.push(if j - i == 1 {
                EdgeElement::Single(size)
            } else {
                EdgeElement::Run {
                    size,
                    count: (j - i) as u64,
                }
            });
            i = j;
        }
        Self::Explicit(out)
    }

    fn to_json(&self) -> Value {
        match self {
            Self::Regular(n) => Value::from(*n),
            Self::Explicit(v) => Value::Array(
                v.iter()
                    .map(|e| match e {
                        EdgeElement::Single(n) => Value::from(*n),
                        EdgeElement::Run { size, count } => {
                            Value::Array(vec![Value::from(*size), Value::from(*count)])
                        }
                    })
                    .collect(),
            ),
        }
    }

    fn from_json(v: &Value, dim: usize) -> Result<Self, String> {
        let positive = |v: &Value, what: &str| -> Result<u64, String> {
            match v.as_u64() {
                Some(n) if n > 0 => Ok(n),
                _ => Err(format!(
                    "chunk_shapes[{dim}]: {what} {v} is not a positive integer"
                )),
            }
        };
        match v {
            Value::Number(_) => Ok(Self::Regular(positive(v, "edge length")?)),
            Value::Array(items) => items
                .iter()
                .map(|item| match item {
                    Value::Array(pair) => match pair.as_slice() {
                        [size, count] => Ok(EdgeElement::Run {
                            size: positive(size, "edge length")?,
                            count: positive(count, "run length")?,
                        }),
                        _ => Err(format!(
                            "chunk_shapes[{dim}]: run {item} is not [edge length, count]"
                        )),
                    },
                    _ => Ok(EdgeElement::Single(positive(item, "edge length")?)),
                })
                .collect::<Result<_, _>>()
                .map(Self::Explicit),
            _ => Err(format!(
                "chunk_shapes[{dim}]: {v} is neither an integer nor an array of edge lengths"
            )),
        }
    }
}

/// A run of equal edges with its first chunk index and first element offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Run {
    size: u64,
    count: u64,
    first_index: u64,
    first_offset: u64,
}

/// One dimension, resolved for lookups.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Dim {
    Regular(u64),
    /// Runs (never empty counts) in order, plus the number of chunks and their total length.
    Explicit {
        runs: Vec<Run>,
        chunks: u64,
        length: u64,
    },
}

impl Dim {
    fn new(e: &EdgeLengths, dim: usize) -> Result<Self, String> {
        match e {
            EdgeLengths::Regular(0) => Err(format!("chunk_shapes[{dim}]: edge length 0")),
            EdgeLengths::Regular(n) => Ok(Self::Regular(*n)),
            EdgeLengths::Explicit(items) => {
                let overflow = || format!("chunk_shapes[{dim}]: the edge lengths overflow u64");
                let mut runs: Vec<Run> = Vec::with_capacity(items.len());
                let (mut chunks, mut length) = (0u64, 0u64);
                for item in items {
                    let (size, count) = match *item {
                        EdgeElement::Single(s) => (s, 1),
                        EdgeElement::Run { size, count } => (size, count),
                    };
                    if size == 0 || count == 0 {
                        return Err(format!(
                            "chunk_shapes[{dim}]: edge lengths and run counts must be positive"
                        ));
                    }
                    let span = size.checked_mul(count).ok_or_else(overflow)?;
                    match runs.last_mut() {
                        Some(r) if r.size == size => r.count += count,
                        _ => runs.push(Run {
                            size,
                            count,
                            first_index: chunks,
                            first_offset: length,
                        }),
                    }
                    chunks = chunks.checked_add(count).ok_or_else(overflow)?;
                    length = length.checked_add(span).ok_or_else(overflow)?;
                }
                Ok(Self::Explicit {
                    runs,
                    chunks,
                    length,
                })
            }
        }
    }

    /// The run holding chunk `index`.
    fn run_of_chunk(runs: &[Run], index: u64) -> Option<&Run> {
        let k = runs.partition_point(|r| r.first_index <= index);
        let r = runs.get(k.checked_sub(1)?)?;
        (index - r.first_index < r.count).then_some(r)
    }

    /// The chunk containing element `x`.
    fn index_of(&self, x: u64) -> Option<u64> {
        match self {
            Self::Regular(c) => Some(x / c),
            Self::Explicit { runs, length, .. } => {
                if x >= *length {
                    return None;
                }
                let k = runs.partition_point(|r| r.first_offset <= x);
                let r = runs.get(k.checked_sub(1)?)?;
                Some(r.first_index + (x - r.first_offset) / r.size)
            }
        }
    }

    fn edge(&self, index: u64) -> Option<u64> {
        match self {
            Self::Regular(c) => Some(*c),
            Self::Explicit { runs, .. } => Self::run_of_chunk(runs, index).map(|r| r.size),
        }
    }

    fn origin(&self, index: u64) -> Option<u64> {
        match self {
            Self::Regular(c) => index.checked_mul(*c),
            Self::Explicit { runs, .. } => {
                let r = Self::run_of_chunk(runs, index)?;
                Some(r.first_offset + (index - r.first_index) * r.size)
            }
        }
    }

    /// The number of chunks that intersect an extent of `len`.
    fn chunks_for(&self, len: u64) -> u64 {
        if len == 0 {
            return 0;
        }
        match self {
            Self::Regular(c) => len.div_ceil(*c),
            Self::Explicit { chunks, .. } => self.index_of(len - 1).map_or(*chunks, |i| i + 1),
        }
    }

    fn covers(&self, len: u64) -> bool {
        match self {
            Self::Regular(_) => true,
            Self::Explicit { length, .. } => *length >= len,
        }
    }

    fn distinct(&self) -> Vec<u64> {
        match self {
            Self::Regular(c) => vec![*c],
            Self::Explicit { runs, .. } => {
                let mut v: Vec<u64> = runs.iter().map(|r| r.size).collect();
                v.sort_unstable();
                v.dedup();
                v
            }
        }
    }
}

/// The `rectilinear` chunk grid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RectilinearChunkGrid {
    chunk_shapes: Vec<EdgeLengths>,
    dims: Vec<Dim>,
}

impl RectilinearChunkGrid {
    /// A grid from the edge lengths of each dimension. Errors on a zero edge length or run
    /// count, or lengths whose sum overflows.
    pub fn new(chunk_shapes: Vec<EdgeLengths>) -> Result<Self, String> {
        let dims = chunk_shapes
            .iter()
            .enumerate()
            .map(|(i, e)| Dim::new(e, i))
            .collect::<Result<_, _>>()?;
        Ok(Self { chunk_shapes, dims })
    }

    /// A grid from explicit edge lengths per dimension (run-length encoded when written).
    pub fn from_edges(edges: &[Vec<u64>]) -> Result<Self, String> {
        Self::new(edges.iter().map(|e| EdgeLengths::explicit_rle(e)).collect())
    }

    /// Parse a `configuration` object: `{"kind": "inline", "chunk_shapes": [...]}`.
    pub fn from_configuration(configuration: &Map<String, Value>) -> Result<Self, String> {
        if let Some(k) = configuration
            .keys()
            .find(|k| !matches!(k.as_str(), "kind" | "chunk_shapes"))
        {
            return Err(format!("unknown configuration member {k:?}"));
        }
        match configuration.get("kind") {
            Some(Value::String(k)) if k == "inline" => {}
            Some(k) => return Err(format!("kind {k} is not supported (only \"inline\")")),
            None => return Err("missing member \"kind\"".into()),
        }
        let shapes = match configuration.get("chunk_shapes") {
            Some(Value::Array(a)) => a,
            Some(v) => return Err(format!("chunk_shapes {v} is not an array")),
            None => return Err("missing member \"chunk_shapes\"".into()),
        };
        Self::new(
            shapes
                .iter()
                .enumerate()
                .map(|(i, v)| EdgeLengths::from_json(v, i))
                .collect::<Result<_, _>>()?,
        )
    }

    /// The edge lengths of each dimension, as configured.
    pub fn chunk_shapes(&self) -> &[EdgeLengths] {
        &self.chunk_shapes
    }

    /// The grid's metadata (`{"name": "rectilinear", "configuration": ...}`).
    pub fn metadata(&self) -> MetadataV3 {
        MetadataV3::new_with_configuration(RECTILINEAR, self.configuration())
    }
}

impl ChunkGridTraits for RectilinearChunkGrid {
    fn name(&self) -> &str {
        RECTILINEAR
    }

    fn configuration(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("kind".into(), Value::String("inline".into()));
        m.insert(
            "chunk_shapes".into(),
            Value::Array(self.chunk_shapes.iter().map(EdgeLengths::to_json).collect()),
        );
        m
    }

    fn dimensionality(&self) -> usize {
        self.dims.len()
    }

    fn validate(&self, array_shape: &[u64]) -> Result<(), String> {
        if array_shape.len() != self.dims.len() {
            return Err(format!(
                "chunk_shapes has {} dimensions but the array shape {array_shape:?} has {}",
                self.dims.len(),
                array_shape.len()
            ));
        }
        for (i, (d, &len)) in self.dims.iter().zip(array_shape).enumerate() {
            if !d.covers(len) {
                let total = match d {
                    Dim::Explicit { length, .. } => *length,
                    Dim::Regular(_) => len,
                };
                return Err(format!(
                    "chunk_shapes[{i}]: the edge lengths add up to {total}, less than the array extent {len}"
                ));
            }
        }
        Ok(())
    }

    fn grid_shape(&self, array_shape: &[u64]) -> Vec<u64> {
        self.dims
            .iter()
            .zip(array_shape)
            .map(|(d, &len)| d.chunks_for(len))
            .collect()
    }

    fn chunk_shape(&self, chunk_indices: &[u64], _array_shape: &[u64]) -> Option<Vec<u64>> {
        if chunk_indices.len() != self.dims.len() {
            return None;
        }
        self.dims
            .iter()
            .zip(chunk_indices)
            .map(|(d, &i)| d.edge(i))
            .collect()
    }

    fn chunk_origin(&self, chunk_indices: &[u64], _array_shape: &[u64]) -> Option<Vec<u64>> {
        if chunk_indices.len() != self.dims.len() {
            return None;
        }
        self.dims
            .iter()
            .zip(chunk_indices)
            .map(|(d, &i)| d.origin(i))
            .collect()
    }

    fn chunk_indices(&self, array_indices: &[u64], _array_shape: &[u64]) -> Option<Vec<u64>> {
        if array_indices.len() != self.dims.len() {
            return None;
        }
        self.dims
            .iter()
            .zip(array_indices)
            .map(|(d, &x)| d.index_of(x))
            .collect()
    }

    /// Every edge length listed per dimension (overflow chunks included, so that a later
    /// resize cannot reach a chunk shape the codecs were never checked against).
    fn distinct_edge_lengths(&self, _array_shape: &[u64]) -> Option<Vec<Vec<u64>>> {
        Some(self.dims.iter().map(Dim::distinct).collect())
    }
}

fn create(metadata: &MetadataV3) -> Result<ChunkGrid, PluginError> {
    let empty = Map::new();
    RectilinearChunkGrid::from_configuration(metadata.configuration().unwrap_or(&empty))
        .map(|g| Arc::new(g) as ChunkGrid)
        .map_err(|e| PluginError::config(ExtensionKind::ChunkGrid, metadata.name(), e))
}

zarrkit_core::inventory::submit! {
    ChunkGridPlugin::new(RECTILINEAR, create)
}

#[cfg(test)]
mod tests;
