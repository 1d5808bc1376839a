//! [`Array`]: open, create, read and write Zarr arrays.
//!
//! Reads decode each chunk straight into its place in the output buffer, in parallel across
//! chunks (rayon), bounded by [`CodecOptions::concurrent_target`]. Writes encode chunks in
//! parallel; partial chunk writes are read-modify-write under a per-chunk lock, so
//! concurrent writers through one `Array` (or clones of it) never lose each other's data.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;
use rayon::prelude::*;
use serde_json::{Map, Value};

use crate::array_bytes::{extract_subset, ArrayBytes};
use crate::chunk_grid::ChunkGrid;
use crate::chunk_key_encoding::ChunkKeyEncoding;
use crate::codec::{
    ArrayOutputView, ArrayToArrayCodecTraits, ArrayToBytesCodecTraits, BytesToBytesCodecTraits,
    ChunkRepresentation, Codec, CodecChain, CodecTraits, StoragePartialDecoder,
};
use crate::config::CodecOptions;

/// The thread pool for reads that wait on the store rather than compute, one per size asked
/// for (`CodecOptions::io_concurrency`), created on first use and kept.
fn io_pool(threads: usize) -> Result<Arc<rayon::ThreadPool>, ArrayError> {
    static POOLS: Mutex<Vec<(usize, Arc<rayon::ThreadPool>)>> = Mutex::new(Vec::new());
    let mut pools = POOLS.lock();
    if let Some((_, p)) = pools.iter().find(|(n, _)| *n == threads) {
        return Ok(p.clone());
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("zarrkit-io-{i}"))
        .build()
        .map_err(|e| ArrayError::Unsupported(format!("cannot start {threads} I/O threads: {e}")))?;
    let pool = Arc::new(pool);
    pools.push((threads, pool.clone()));
    Ok(pool)
}
use crate::data_type::{DataType, DataTypeSize};
use crate::element::{
    bytes_to_elements, check_element, check_element_kind, elements_as_bytes, Element, ElementKind,
};
use crate::error::{ArrayError, CodecError, MetadataError, PluginError};
use crate::fill_value::FillValue;
use crate::metadata::{ArrayMetadata, ArrayMetadataV3, MetadataV3};
use crate::metadata_v2::{attributes_to_json_pretty, ZARRAY, ZATTRS};
use crate::node::{read_node_metadata, NodePath};
use crate::registry;
use crate::storage::{ReadableStorageTraits, StoreKey, WritableStorageTraits};
use crate::subset::{copy_subset, ArraySubset};

mod v2;
pub use v2::{codec_to_v2, codecs_from_v2, data_type_from_v2, fill_value_from_v2};

/// Per-chunk locks for read-modify-write (in-process only).
#[derive(Debug, Default)]
struct ChunkLocks {
    map: Mutex<HashMap<String, Arc<Mutex<()>>>>,
}

impl ChunkLocks {
    fn with<R>(&self, key: &StoreKey, f: impl FnOnce() -> R) -> R {
        let lock = self
            .map
            .lock()
            .entry(key.as_str().to_string())
            .or_default()
            .clone();
        let r = {
            let _g = lock.lock();
            f()
        };
        let mut map = self.map.lock();
        if Arc::strong_count(&lock) == 2 {
            map.remove(key.as_str());
        }
        r
    }
}

/// A small LRU cache of per-chunk partial decoders (for a sharded array: the decoded shard
/// index), keyed by chunk key. See [`Array::with_partial_decoder_cache`].
struct PartialDecoderCache {
    capacity: usize,
    inner: Mutex<PartialDecoderMap>,
    /// Bumped by every invalidation: a decoder built while a write happened is not
    /// inserted (it may hold the old shard index).
    generation: std::sync::atomic::AtomicU64,
}

type PartialDecoderMap = (
    HashMap<String, Arc<dyn crate::codec::ArrayPartialDecoder>>,
    std::collections::VecDeque<String>,
);

impl PartialDecoderCache {
    fn get(&self, key: &StoreKey) -> Option<Arc<dyn crate::codec::ArrayPartialDecoder>> {
        self.inner.lock().0.get(key.as_str()).cloned()
    }

    fn generation(&self) -> u64 {
        self.generation.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn insert(
        &self,
        key: &StoreKey,
        decoder: Arc<dyn crate::codec::ArrayPartialDecoder>,
        generation: u64,
    ) {
        let mut g = self.inner.lock();
        if self.generation() != generation {
            return;
        }
        let (map, order) = &mut *g;
        if map.insert(key.as_str().to_string(), decoder).is_none() {
            order.push_back(key.as_str().to_string());
        }
        while order.len() > self.capacity {
            if let Some(old) = order.pop_front() {
                map.remove(&old);
            }
        }
    }

    fn remove(&self, key: &StoreKey) {
        let mut g = self.inner.lock();
        self.generation
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let (map, order) = &mut *g;
        if map.remove(key.as_str()).is_some() {
            order.retain(|k| k != key.as_str());
        }
    }

    fn clear(&self) {
        let mut g = self.inner.lock();
        self.generation
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        g.0.clear();
        g.1.clear();
    }
}

/// A Zarr array in a store.
///
/// `S` is the store type (e.g. `MemoryStore`, `FilesystemStore`, or a trait object such as
/// `dyn ReadableWritableListableStorageTraits`). Read methods need a readable store, write
/// methods a writable one.
pub struct Array<S: ?Sized> {
    storage: Arc<S>,
    path: NodePath,
    metadata: ArrayMetadata,
    data_type: DataType,
    fill_value: FillValue,
    chunk_grid: ChunkGrid,
    chunk_key_encoding: ChunkKeyEncoding,
    codecs: Arc<CodecChain>,
    locks: Arc<ChunkLocks>,
    decoder_cache: Option<Arc<PartialDecoderCache>>,
    shapes: Arc<ValidatedChunkShapes>,
    /// Whether every distinct chunk shape of the current array shape was validated when the
    /// array was bound (or resized); if not, shapes are validated when first used.
    all_shapes_validated: bool,
}

/// The chunk shapes the codec chain was validated against (shared by clones: validity
/// depends on the chunk shape, data type and fill value only).
#[derive(Debug, Default)]
struct ValidatedChunkShapes {
    /// The first chunk's shape (the only one of a regular grid): checked without a lock.
    first: Option<Vec<u64>>,
    others: parking_lot::RwLock<std::collections::HashSet<Vec<u64>>>,
}

impl ValidatedChunkShapes {
    fn contains(&self, shape: &[u64]) -> bool {
        self.first.as_deref() == Some(shape) || self.others.read().contains(shape)
    }
}

/// Validate the codec chain against the distinct chunk shapes of `array_shape` when the grid
/// lists them and there are few enough, else against the first chunk's shape. Returns the
/// validated shapes and whether they are all of them.
fn validate_chunk_shapes(
    chunk_grid: &ChunkGrid,
    array_shape: &[u64],
    codecs: &CodecChain,
    data_type: &DataType,
    fill_value: &FillValue,
    known: Option<&ValidatedChunkShapes>,
) -> Result<(Vec<Vec<u64>>, bool), String> {
    let check = |shape: &Vec<u64>| -> Result<(), String> {
        if known.is_some_and(|k| k.contains(shape)) {
            return Ok(());
        }
        let repr = ChunkRepresentation::new(shape.clone(), data_type.clone(), fill_value.clone());
        codecs.validate(&repr).map_err(|e| {
            format!("codecs: {e}")
                + &if shape.is_empty() {
                    String::new()
                } else {
                    format!(" (chunk shape {shape:?})")
                }
        })
    };
    if let Some(edges) = chunk_grid.distinct_edge_lengths(array_shape) {
        let count = edges.iter().try_fold(1usize, |a, e| a.checked_mul(e.len()));
        if edges.len() == array_shape.len()
            && count.is_some_and(|c| c <= crate::chunk_grid::MAX_CHUNK_SHAPES_VALIDATED_AT_OPEN)
        {
            let all: Vec<Vec<u64>> =
                ArraySubset::new_with_shape(edges.iter().map(|e| e.len() as u64).collect())
                    .indices()
                    .map(|idx| {
                        idx.iter()
                            .zip(&edges)
                            .map(|(&i, e)| e[i as usize])
                            .collect()
                    })
                    .collect();
            all.iter().try_for_each(check)?;
            return Ok((all, true));
        }
    }
    let zeros = vec![0u64; array_shape.len()];
    match chunk_grid.chunk_shape(&zeros, array_shape) {
        Some(cs) => {
            check(&cs)?;
            Ok((vec![cs], false))
        }
        None => Ok((Vec::new(), false)),
    }
}

impl<S: ?Sized> Clone for Array<S> {
    fn clone(&self) -> Self {
        Self {
            storage: self.storage.clone(),
            path: self.path.clone(),
            metadata: self.metadata.clone(),
            data_type: self.data_type.clone(),
            fill_value: self.fill_value.clone(),
            chunk_grid: self.chunk_grid.clone(),
            chunk_key_encoding: self.chunk_key_encoding.clone(),
            codecs: self.codecs.clone(),
            locks: self.locks.clone(),
            decoder_cache: self.decoder_cache.clone(),
            shapes: self.shapes.clone(),
            all_shapes_validated: self.all_shapes_validated,
        }
    }
}

impl<S: ?Sized> std::fmt::Debug for Array<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Array")
            .field("path", &self.path)
            .field("shape", &self.metadata.shape())
            .field("zarr_format", &self.metadata.zarr_format())
            .field("data_type", &self.data_type.name())
            .finish_non_exhaustive()
    }
}

fn plugin_err(node: &NodePath, e: PluginError) -> MetadataError {
    MetadataError::Plugin {
        node: node.to_string(),
        source: e,
    }
}

/// Resolve codec metadata through the registry (skipping unknown codecs marked
/// `must_understand: false`) and check the order.
pub fn codecs_from_metadata(
    node: &str,
    codecs: &[MetadataV3],
) -> Result<CodecChain, MetadataError> {
    let mut v = Vec::with_capacity(codecs.len());
    for m in codecs {
        match registry::create_codec(m) {
            Ok(c) => v.push(c),
            Err(PluginError::Unknown { .. }) if !m.must_understand() => {}
            Err(e) => {
                return Err(MetadataError::Plugin {
                    node: node.to_string(),
                    source: e,
                })
            }
        }
    }
    CodecChain::from_codecs(v).map_err(|e| MetadataError::invalid(node, e))
}

impl<S: ?Sized> Array<S> {
    /// Bind metadata (V3 or V2) to plugins: resolve the data type, fill value, chunk grid,
    /// key encoding and codecs through the registries and validate them together. Nothing
    /// is read or written.
    ///
    /// For V2 metadata the codec chain is built as `[transpose (order F)] + array->array
    /// filters + (array->bytes filter | bytes with the dtype's byte order) + bytes->bytes
    /// filters + compressor`, and chunk keys use the `v2` key encoding.
    pub fn new_with_metadata(
        storage: Arc<S>,
        path: &str,
        metadata: impl Into<ArrayMetadata>,
    ) -> Result<Self, ArrayError> {
        let node = NodePath::new(path)?;
        let metadata = metadata.into();
        let codecs = match &metadata {
            ArrayMetadata::V3(m) => codecs_from_metadata(node.as_str(), &m.codecs)?,
            ArrayMetadata::V2(m) => {
                m.validate(node.as_str())?;
                // The data type first: an unknown dtype is the more basic error.
                data_type_from_v2(node.as_str(), m)?;
                codecs_from_v2(node.as_str(), m)?
            }
        };
        Self::bind(storage, node, metadata, codecs)
    }

    fn bind(
        storage: Arc<S>,
        node: NodePath,
        metadata: ArrayMetadata,
        codecs: CodecChain,
    ) -> Result<Self, ArrayError> {
        let n = node.as_str();
        metadata.validate(n)?;
        let (data_type, fill_value, chunk_grid, chunk_key_encoding) = match &metadata {
            ArrayMetadata::V3(metadata) => {
                let data_type = registry::create_data_type(&metadata.data_type)
                    .map_err(|e| plugin_err(&node, e))?;
                let fill_value = data_type
                    .fill_value_from_json(&metadata.fill_value)
                    .map_err(|e| MetadataError::invalid(n, e))?;
                let chunk_grid = registry::create_chunk_grid(&metadata.chunk_grid)
                    .map_err(|e| plugin_err(&node, e))?;
                let chunk_key_encoding =
                    registry::create_chunk_key_encoding(&metadata.chunk_key_encoding)
                        .map_err(|e| plugin_err(&node, e))?;
                if let Some(st) = &metadata.storage_transformers {
                    if let Some(t) = st.iter().find(|t| t.must_understand()) {
                        return Err(MetadataError::Plugin {
                            node: n.to_string(),
                            source: PluginError::Unknown {
                                kind: crate::error::ExtensionKind::StorageTransformer,
                                name: t.name().to_string(),
                            },
                        }
                        .into());
                    }
                }
                (data_type, fill_value, chunk_grid, chunk_key_encoding)
            }
            ArrayMetadata::V2(metadata) => {
                let data_type = data_type_from_v2(n, metadata)?;
                let fill_value = fill_value_from_v2(n, &data_type, &metadata.fill_value)?;
                let (chunk_grid, chunk_key_encoding) = v2::grid_and_keys(n, metadata)?;
                (data_type, fill_value, chunk_grid, chunk_key_encoding)
            }
        };
        let shape = metadata.shape();
        chunk_grid
            .validate(shape)
            .map_err(|e| MetadataError::invalid(n, format!("chunk_grid: {e}")))?;
        // Validate the chain against every distinct chunk shape (a rectilinear grid has
        // several), or the first chunk's shape and the others when first used.
        let (validated, all_shapes_validated) =
            validate_chunk_shapes(&chunk_grid, shape, &codecs, &data_type, &fill_value, None)
                .map_err(|e| MetadataError::invalid(n, e))?;
        let mut validated = validated.into_iter();
        let shapes = ValidatedChunkShapes {
            first: validated.next(),
            others: parking_lot::RwLock::new(validated.collect()),
        };
        Ok(Self {
            storage,
            path: node,
            metadata,
            data_type,
            fill_value,
            chunk_grid,
            chunk_key_encoding,
            codecs: Arc::new(codecs),
            locks: Arc::new(ChunkLocks::default()),
            decoder_cache: None,
            shapes: Arc::new(shapes),
            all_shapes_validated,
        })
    }

    /// The store.
    pub fn storage(&self) -> &Arc<S> {
        &self.storage
    }
    /// The node path.
    pub fn path(&self) -> &NodePath {
        &self.path
    }
    /// The metadata (as read, or as built): V3 or V2.
    pub fn metadata(&self) -> &ArrayMetadata {
        &self.metadata
    }
    /// The Zarr format version of the metadata (3 or 2).
    pub fn zarr_format(&self) -> u8 {
        self.metadata.zarr_format()
    }
    /// The shape.
    pub fn shape(&self) -> &[u64] {
        self.metadata.shape()
    }
    /// The rank.
    pub fn dimensionality(&self) -> usize {
        self.metadata.shape().len()
    }
    /// The data type.
    pub fn data_type(&self) -> &DataType {
        &self.data_type
    }
    /// The fill value.
    pub fn fill_value(&self) -> &FillValue {
        &self.fill_value
    }
    /// The chunk grid.
    pub fn chunk_grid(&self) -> &ChunkGrid {
        &self.chunk_grid
    }
    /// The chunk key encoding.
    pub fn chunk_key_encoding(&self) -> &ChunkKeyEncoding {
        &self.chunk_key_encoding
    }
    /// The codec chain.
    pub fn codecs(&self) -> &Arc<CodecChain> {
        &self.codecs
    }
    /// Cache the partial decoders of up to `capacity` chunks, so repeated partial reads of a
    /// chunk reuse what the first one fetched — for a sharded array, the decoded shard
    /// index, so reading inner chunks one by one costs one index read per shard, not one per
    /// read. Writes through this array (and its clones) invalidate their chunk's entry;
    /// writes by other processes are not seen, so enable it for data that is not being
    /// modified elsewhere, or call [`Array::clear_partial_decoder_cache`].
    pub fn with_partial_decoder_cache(mut self, capacity: usize) -> Self {
        self.decoder_cache = (capacity > 0).then(|| {
            Arc::new(PartialDecoderCache {
                capacity,
                inner: Mutex::new((HashMap::new(), std::collections::VecDeque::new())),
                generation: std::sync::atomic::AtomicU64::new(0),
            })
        });
        self
    }

    /// Drop every cached partial decoder.
    pub fn clear_partial_decoder_cache(&self) {
        if let Some(c) = &self.decoder_cache {
            c.clear();
        }
    }

    fn invalidate(&self, key: &StoreKey) {
        if let Some(c) = &self.decoder_cache {
            c.remove(key);
        }
    }

    /// The dimension names, if any (V3 only).
    pub fn dimension_names(&self) -> Option<&[Option<String>]> {
        self.metadata.dimension_names()
    }
    /// The user attributes.
    pub fn attributes(&self) -> &Map<String, Value> {
        self.metadata.attributes()
    }
    /// Mutable user attributes (call [`Array::store_metadata`] to persist).
    pub fn attributes_mut(&mut self) -> &mut Map<String, Value> {
        self.metadata.attributes_mut()
    }

    /// Change the shape (call [`Array::store_metadata`] to persist). Chunks that fall
    /// outside the new shape are left in the store; use [`Array::erase_chunk`] to remove them.
    pub fn set_shape(&mut self, shape: Vec<u64>) -> Result<(), ArrayError> {
        self.chunk_grid
            .validate(&shape)
            .map_err(|e| MetadataError::invalid(self.path.as_str(), format!("chunk_grid: {e}")))?;
        if let Some(d) = self.metadata.dimension_names() {
            if d.len() != shape.len() {
                return Err(MetadataError::invalid(
                    self.path.as_str(),
                    "the new shape changes the rank",
                )
                .into());
            }
        }
        let (validated, all) = validate_chunk_shapes(
            &self.chunk_grid,
            &shape,
            &self.codecs,
            &self.data_type,
            &self.fill_value,
            Some(&self.shapes),
        )
        .map_err(|e| MetadataError::invalid(self.path.as_str(), e))?;
        self.shapes.others.write().extend(validated);
        self.all_shapes_validated = all;
        self.metadata.set_shape(shape);
        Ok(())
    }

    /// The number of chunks per dimension.
    pub fn chunk_grid_shape(&self) -> Vec<u64> {
        self.chunk_grid.grid_shape(self.shape())
    }

    fn check_chunk(&self, chunk_indices: &[u64]) -> Result<(), ArrayError> {
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
        if !self.all_shapes_validated && !self.shapes.contains(&repr.shape) {
            // A chunk shape not seen at open (a grid with many distinct shapes): validate
            // the chain against it once.
            self.codecs.validate(&repr).map_err(|e| {
                MetadataError::invalid(
                    self.path.as_str(),
                    format!(
                        "codecs: {e} (chunk {chunk_indices:?} of shape {:?})",
                        repr.shape
                    ),
                )
            })?;
            self.shapes.others.write().insert(repr.shape.clone());
        }
        Ok(repr)
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
        self.codecs.inner_chunk_shape(&repr)
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

    fn element_size(&self) -> Option<usize> {
        self.data_type.size().fixed()
    }

    fn codec_err(key: &StoreKey, e: CodecError) -> ArrayError {
        match e {
            CodecError::Storage(s) => ArrayError::Storage(s),
            e => ArrayError::Codec {
                key: key.to_string(),
                source: e,
            },
        }
    }

    fn check_bytes(&self, bytes: &ArrayBytes, num_elements: u64) -> Result<(), ArrayError> {
        let n = usize::try_from(num_elements)
            .map_err(|_| ArrayError::TooLarge(num_elements as u128))?;
        bytes
            .validate(n, self.element_size())
            .map_err(|e| match (bytes, self.element_size()) {
                (ArrayBytes::Fixed(b), Some(s)) => ArrayError::InvalidBytesLength {
                    expected: num_elements.saturating_mul(s as u64),
                    actual: b.len() as u64,
                },
                _ => ArrayError::Unsupported(e),
            })
    }

    fn is_fill(&self, bytes: &ArrayBytes) -> bool {
        match bytes {
            ArrayBytes::Fixed(b) => self.fill_value.equals_all(b),
            ArrayBytes::Variable { bytes, offsets } => {
                let fv = self.fill_value.as_bytes();
                offsets.windows(2).all(|w| &bytes[w[0]..w[1]] == fv)
            }
        }
    }

    /// Split the concurrency target between `n` parallel chunk tasks.
    fn split_concurrency(options: &CodecOptions, n: usize) -> CodecOptions {
        let per = (options.concurrent_target / n.max(1)).max(1);
        options.with_concurrent_target(per)
    }

    /// The main metadata document as it will be written: `zarr.json` (V3) or `.zarray`
    /// (V2; the attributes go to `.zattrs`).
    pub fn metadata_json(&self) -> Vec<u8> {
        match &self.metadata {
            ArrayMetadata::V3(m) => m.to_json_pretty(),
            ArrayMetadata::V2(m) => m.to_json_pretty(),
        }
    }

    /// Whether chunks whose elements all equal the fill value may be erased instead of
    /// written. Not for V2 arrays with `fill_value: null`, whose missing chunks are undefined.
    fn may_erase_fill_chunks(&self) -> bool {
        !matches!(&self.metadata, ArrayMetadata::V2(m) if m.fill_value.is_null())
    }

    /// The options for writing chunks of this array (fill-value chunks are kept where they
    /// may not be erased).
    fn write_options(&self, options: &CodecOptions) -> CodecOptions {
        if self.may_erase_fill_chunks() {
            *options
        } else {
            options.with_store_empty_chunks(true)
        }
    }
}

impl<S: ReadableStorageTraits + ?Sized + 'static> Array<S> {
    /// Open the array at `path`: reads `zarr.json`, or else the V2 `.zarray` (and
    /// `.zattrs`).
    pub fn open(storage: Arc<S>, path: &str) -> Result<Self, ArrayError> {
        let node = NodePath::new(path)?;
        match read_node_metadata(&*storage, &node)? {
            None => Err(ArrayError::NotFound(path.to_string())),
            Some(crate::metadata::NodeMetadata::Group(_)) => {
                Err(ArrayError::NotAnArray(path.to_string()))
            }
            Some(crate::metadata::NodeMetadata::Array(m)) => {
                Self::new_with_metadata(storage, path, m)
            }
        }
    }

    /// The encoded bytes of a chunk, or `None` if it is not stored.
    pub fn retrieve_encoded_chunk(
        &self,
        chunk_indices: &[u64],
    ) -> Result<Option<Vec<u8>>, ArrayError> {
        self.check_chunk(chunk_indices)?;
        Ok(self.storage.get(&self.chunk_key(chunk_indices)?)?)
    }

    /// Decode a chunk, or `None` if it is not stored.
    pub fn retrieve_chunk_if_exists_opt(
        &self,
        chunk_indices: &[u64],
        options: &CodecOptions,
    ) -> Result<Option<ArrayBytes>, ArrayError> {
        let key = self.chunk_key(chunk_indices)?;
        let repr = self.chunk_representation(chunk_indices)?;
        let Some(encoded) = self.storage.get(&key)? else {
            return Ok(None);
        };
        self.codecs
            .decode(encoded, &repr, options)
            .map(Some)
            .map_err(|e| Self::codec_err(&key, e))
    }

    /// Decode a chunk, or `None` if it is not stored.
    pub fn retrieve_chunk_if_exists(
        &self,
        chunk_indices: &[u64],
    ) -> Result<Option<ArrayBytes>, ArrayError> {
        self.retrieve_chunk_if_exists_opt(chunk_indices, &CodecOptions::default())
    }

    /// Decode a chunk (the fill value if not stored). Edge chunks have the full chunk shape.
    pub fn retrieve_chunk_opt(
        &self,
        chunk_indices: &[u64],
        options: &CodecOptions,
    ) -> Result<ArrayBytes, ArrayError> {
        match self.retrieve_chunk_if_exists_opt(chunk_indices, options)? {
            Some(b) => Ok(b),
            None => {
                let key = self.chunk_key(chunk_indices)?;
                self.chunk_representation(chunk_indices)?
                    .fill()
                    .map_err(|e| Self::codec_err(&key, e))
            }
        }
    }

    /// Decode a chunk (the fill value if not stored).
    pub fn retrieve_chunk(&self, chunk_indices: &[u64]) -> Result<ArrayBytes, ArrayError> {
        self.retrieve_chunk_opt(chunk_indices, &CodecOptions::default())
    }

    /// Decode a chunk as typed elements.
    pub fn retrieve_chunk_elements<T: Element>(
        &self,
        chunk_indices: &[u64],
    ) -> Result<Vec<T>, ArrayError> {
        check_element::<T>(&*self.data_type)?;
        let b = self.retrieve_chunk(chunk_indices)?;
        self.to_elements(b)
    }

    /// Decode a region of one chunk (`chunk_subset` is relative to the chunk).
    pub fn retrieve_chunk_subset_opt(
        &self,
        chunk_indices: &[u64],
        chunk_subset: &ArraySubset,
        options: &CodecOptions,
    ) -> Result<ArrayBytes, ArrayError> {
        let repr = self.chunk_representation(chunk_indices)?;
        chunk_subset.check_inbounds(&repr.shape)?;
        let key = self.chunk_key(chunk_indices)?;
        if chunk_subset.shape() == repr.shape.as_slice() {
            return self.retrieve_chunk_opt(chunk_indices, options);
        }
        let generation = self.decoder_cache.as_ref().map_or(0, |c| c.generation());
        let cached = self.decoder_cache.as_ref().and_then(|c| c.get(&key));
        let decoder = match cached {
            Some(d) => d,
            None => {
                let input = Arc::new(StoragePartialDecoder::new(
                    self.storage.clone(),
                    key.clone(),
                ));
                let d = self
                    .codecs
                    .clone()
                    .partial_decoder(input, &repr, options)
                    .map_err(|e| Self::codec_err(&key, e))?;
                if let Some(c) = &self.decoder_cache {
                    c.insert(&key, d.clone(), generation);
                }
                d
            }
        };
        let mut v = decoder
            .partial_decode(std::slice::from_ref(chunk_subset), options)
            .map_err(|e| Self::codec_err(&key, e))?;
        let out = v
            .pop()
            .ok_or_else(|| ArrayError::Unsupported("partial decoder returned nothing".into()))?;
        self.check_bytes(&out, chunk_subset.num_elements())?;
        Ok(out)
    }

    /// Decode a region of one chunk (`chunk_subset` is relative to the chunk).
    pub fn retrieve_chunk_subset(
        &self,
        chunk_indices: &[u64],
        chunk_subset: &ArraySubset,
    ) -> Result<ArrayBytes, ArrayError> {
        self.retrieve_chunk_subset_opt(chunk_indices, chunk_subset, &CodecOptions::default())
    }

    /// Decode the chunks in a box of chunk indices, as one C-order array covering them
    /// (clipped to the array).
    pub fn retrieve_chunks(&self, chunks: &ArraySubset) -> Result<ArrayBytes, ArrayError> {
        let subset = self.chunks_subset_bounded(chunks)?;
        self.retrieve_array_subset(&subset)
    }

    /// The array region covered by a box of chunks, clipped to the array.
    pub fn chunks_subset_bounded(&self, chunks: &ArraySubset) -> Result<ArraySubset, ArrayError> {
        if chunks.is_empty() {
            return Ok(ArraySubset::new_with_shape(vec![0; self.dimensionality()]));
        }
        let first = self.chunk_subset(chunks.start())?;
        let last_idx: Vec<u64> = chunks.end_exc().iter().map(|e| e - 1).collect();
        let last = self.chunk_subset(&last_idx)?;
        let ranges: Vec<_> = first
            .start()
            .iter()
            .zip(last.end_exc())
            .map(|(a, b)| *a..b)
            .collect();
        Ok(ArraySubset::new_with_ranges(&ranges)
            .overlap(&ArraySubset::new_with_shape(self.shape().to_vec())))
    }

    /// Decode one inner chunk of a sharded array (clipped to the array). Reads the shard
    /// index and that inner chunk only.
    pub fn retrieve_inner_chunk(&self, inner_indices: &[u64]) -> Result<ArrayBytes, ArrayError> {
        self.retrieve_array_subset(&self.inner_chunk_subset(inner_indices)?)
    }

    /// Decode one inner chunk of a sharded array as typed elements.
    pub fn retrieve_inner_chunk_elements<T: Element>(
        &self,
        inner_indices: &[u64],
    ) -> Result<Vec<T>, ArrayError> {
        self.retrieve_array_subset_elements(&self.inner_chunk_subset(inner_indices)?)
    }

    /// Decode the region of a sharded array covered by a box of inner chunk indices.
    pub fn retrieve_inner_chunks(
        &self,
        inner_chunks: &ArraySubset,
    ) -> Result<ArrayBytes, ArrayError> {
        if inner_chunks.is_empty() {
            return self.retrieve_array_subset(&ArraySubset::new_with_shape(
                vec![0; self.dimensionality()],
            ));
        }
        let first = self.inner_chunk_subset(inner_chunks.start())?;
        let last_idx: Vec<u64> = inner_chunks.end_exc().iter().map(|e| e - 1).collect();
        let last = self.inner_chunk_subset(&last_idx)?;
        let ranges: Vec<_> = first
            .start()
            .iter()
            .zip(last.end_exc())
            .map(|(a, b)| *a..b)
            .collect();
        self.retrieve_array_subset(&ArraySubset::new_with_ranges(&ranges))
    }

    /// Decode a region of the array.
    pub fn retrieve_array_subset(&self, subset: &ArraySubset) -> Result<ArrayBytes, ArrayError> {
        self.retrieve_array_subset_opt(subset, &CodecOptions::default())
    }

    /// Decode a region of the array with options.
    pub fn retrieve_array_subset_opt(
        &self,
        subset: &ArraySubset,
        options: &CodecOptions,
    ) -> Result<ArrayBytes, ArrayError> {
        subset.check_inbounds(self.shape())?;
        match self.data_type.size() {
            DataTypeSize::Fixed(elem) => {
                let n = subset.num_elements_usize()?;
                let len = n
                    .checked_mul(elem)
                    .ok_or(ArrayError::TooLarge(n as u128 * elem as u128))?;
                let mut out =
                    crate::codec::zeroed_checked(len).ok_or(ArrayError::TooLarge(len as u128))?;
                if n > 0 {
                    self.retrieve_array_subset_into(subset, &mut out, options)?;
                }
                Ok(ArrayBytes::Fixed(out))
            }
            DataTypeSize::Variable => self.retrieve_array_subset_variable(subset, options),
        }
    }

    /// Decode a region of a fixed-size array into `output` (C order, exactly the subset's
    /// size in bytes), each chunk straight into its place.
    pub fn retrieve_array_subset_into(
        &self,
        subset: &ArraySubset,
        output: &mut [u8],
        options: &CodecOptions,
    ) -> Result<(), ArrayError> {
        subset.check_inbounds(self.shape())?;
        let elem = self.element_size().ok_or_else(|| {
            ArrayError::Unsupported(
                "variable-size data cannot be decoded into a fixed buffer".into(),
            )
        })?;
        let expected = subset.num_elements().saturating_mul(elem as u64);
        if output.len() as u64 != expected {
            return Err(ArrayError::InvalidBytesLength {
                expected,
                actual: output.len() as u64,
            });
        }
        if subset.is_empty() {
            return Ok(());
        }
        let chunk_box = self.chunks_in_array_subset(subset)?;
        let chunks: Vec<Vec<u64>> = chunk_box.indices().collect();
        // Chunks decode in parallel into one buffer, which is sound only if their regions
        // are disjoint. The chunk grid is a plugin, so check it: along each axis the chunk
        // intervals must be consecutive, and every chunk must be the product of its axes'
        // intervals.
        let axes = self.axis_intervals(&chunk_box)?;
        let ptr = output.as_mut_ptr() as usize;
        let len = output.len();
        let out_shape = subset.shape().to_vec();
        let opts = Self::split_concurrency(options, chunks.len());
        let partial_ok = self.codecs_support_partial();
        // Whether stored chunks are their decoded bytes (the chain is `bytes` in the
        // machine's byte order, nothing else). Regular grids give every chunk the same
        // representation; an edge chunk of another grid is checked on its own below.
        let identity = self
            .codecs
            .is_identity(&self.chunk_representation(&chunks[0])?);
        let work = |idx: &Vec<u64>| -> Result<(), ArrayError> {
            let repr = self.chunk_representation(idx)?;
            let identity = identity && self.codecs.is_identity(&repr);
            let chunk_subset = self.chunk_subset(idx)?;
            let expected: Vec<(u64, u64)> = idx
                .iter()
                .zip(chunk_box.start())
                .zip(&axes)
                .map(|((i, s), a)| a[(i - s) as usize])
                .collect();
            let disjoint = chunk_subset
                .start()
                .iter()
                .zip(chunk_subset.shape())
                .zip(&expected)
                .all(|((st, sh), e)| (*st, *sh) == *e);
            if !disjoint {
                return Err(ArrayError::Unsupported(format!(
                    "the chunk grid gave chunk {idx:?} the region {chunk_subset}, which overlaps its neighbours"
                )));
            }
            let overlap = chunk_subset.overlap(subset);
            let out_region = overlap.relative_to(subset.start());
            let chunk_region = overlap.relative_to(chunk_subset.start());
            // SAFETY: chunks are disjoint, so their overlaps with `subset` are disjoint
            // regions of `output`, which outlives this call.
            let mut view = unsafe {
                ArrayOutputView::new_unchecked(ptr as *mut u8, len, &out_shape, out_region)
            };
            let key = self.chunk_key(idx)?;
            let whole = chunk_region.shape() == repr.shape.as_slice();
            if !whole && partial_ok {
                let b = self.retrieve_chunk_subset_opt(idx, &chunk_region, &opts)?;
                let b = b
                    .into_fixed()
                    .ok_or_else(|| ArrayError::Unsupported("variable bytes".into()))?;
                let s = ArraySubset::new_with_shape(chunk_region.shape().to_vec());
                return view
                    .write_region(&b, chunk_region.shape(), &s, elem)
                    .map_err(|e| Self::codec_err(&key, e));
            }
            if whole && identity {
                // Nothing to decode: the stored bytes go straight into their places in the
                // output (`readv` for a file), with no intermediate buffer.
                let present = {
                    let mut runs = view.runs_mut(elem).map_err(|e| Self::codec_err(&key, e))?;
                    self.storage.get_into(&key, &mut runs)?
                };
                if present {
                    return Ok(());
                }
                return view
                    .fill(self.fill_value.as_bytes())
                    .map_err(|e| Self::codec_err(&key, e));
            }
            match self.storage.get(&key)? {
                None => view.fill(self.fill_value.as_bytes()),
                Some(encoded) => {
                    self.codecs
                        .decode_into(encoded, &repr, &chunk_region, &mut view, &opts)
                }
            }
            .map_err(|e| Self::codec_err(&key, e))
        };
        if chunks.len() == 1 || options.concurrent_target <= 1 {
            chunks.iter().try_for_each(work)
        } else if identity && options.io_concurrency > 1 {
            // Uncompressed chunks cost no CPU to decode, only waiting for the store: read them
            // with more requests in flight than there are cores.
            io_pool(options.io_concurrency)?
                .install(|| chunks.par_iter().with_max_len(1).try_for_each(work))
        } else {
            chunks.par_iter().try_for_each(work)
        }
    }

    /// For a box of chunk indices: per axis, the (start, extent) of each chunk along that
    /// axis, checked to be consecutive and non-empty.
    fn axis_intervals(&self, chunk_box: &ArraySubset) -> Result<Vec<Vec<(u64, u64)>>, ArrayError> {
        let corner = chunk_box.start().to_vec();
        let mut axes = Vec::with_capacity(corner.len());
        for d in 0..corner.len() {
            let mut v: Vec<(u64, u64)> = Vec::new();
            for k in 0..chunk_box.shape()[d] {
                let mut idx = corner.clone();
                idx[d] += k;
                let cs = self.chunk_subset(&idx)?;
                let (st, sh) = (cs.start()[d], cs.shape()[d]);
                if let Some(&(ps, pl)) = v.last() {
                    if sh == 0 || ps.checked_add(pl) != Some(st) {
                        return Err(ArrayError::Unsupported(format!(
                            "the chunk grid's chunks along axis {d} are not consecutive at chunk {idx:?}"
                        )));
                    }
                }
                v.push((st, sh));
            }
            axes.push(v);
        }
        Ok(axes)
    }

    fn codecs_support_partial(&self) -> bool {
        // Partial decoding pays off only when no codec in the chain has to decode
        // everything anyway (a capability each codec declares).
        !self.codecs.partial_decoder_decodes_all()
    }

    fn retrieve_array_subset_variable(
        &self,
        subset: &ArraySubset,
        options: &CodecOptions,
    ) -> Result<ArrayBytes, ArrayError> {
        let n = subset.num_elements_usize()?;
        if n == 0 {
            return Ok(ArrayBytes::Variable {
                bytes: Vec::new(),
                offsets: vec![0],
            });
        }
        let chunks: Vec<Vec<u64>> = self.chunks_in_array_subset(subset)?.indices().collect();
        let opts = Self::split_concurrency(options, chunks.len());
        let parts: Vec<(ArraySubset, ArrayBytes)> = chunks
            .par_iter()
            .map(|idx| {
                let chunk_subset = self.chunk_subset(idx)?;
                let overlap = chunk_subset.overlap(subset);
                let chunk_region = overlap.relative_to(chunk_subset.start());
                let b = self.retrieve_chunk_subset_opt(idx, &chunk_region, &opts)?;
                Ok((overlap.relative_to(subset.start()), b))
            })
            .collect::<Result<_, ArrayError>>()?;
        assemble_variable(subset.shape(), n, &parts)
    }

    fn to_elements<T: Element>(&self, b: ArrayBytes) -> Result<Vec<T>, ArrayError> {
        let b = b
            .into_fixed()
            .ok_or_else(|| ArrayError::Unsupported("typed access to variable-size data".into()))?;
        self.data_type
            .validate_elements(&b)
            .map_err(|e| ArrayError::Codec {
                key: self.path.to_string(),
                source: CodecError::InvalidElements(e),
            })?;
        bytes_to_elements(&b)
    }

    /// Decode a region of the array as typed elements (C order).
    pub fn retrieve_array_subset_elements<T: Element>(
        &self,
        subset: &ArraySubset,
    ) -> Result<Vec<T>, ArrayError> {
        check_element::<T>(&*self.data_type)?;
        let b = self.retrieve_array_subset(subset)?;
        self.to_elements(b)
    }

    /// Decode a region of one chunk as typed elements.
    pub fn retrieve_chunk_subset_elements<T: Element>(
        &self,
        chunk_indices: &[u64],
        chunk_subset: &ArraySubset,
    ) -> Result<Vec<T>, ArrayError> {
        check_element::<T>(&*self.data_type)?;
        let b = self.retrieve_chunk_subset(chunk_indices, chunk_subset)?;
        self.to_elements(b)
    }

    /// Decode a region of a string array (a data type whose element kind is
    /// [`ElementKind::Utf8String`], e.g. `string`) as one `String` per element, C order.
    ///
    /// To read without allocating per element, decode with [`Array::retrieve_array_subset`]
    /// and borrow the elements through [`ArrayBytes::as_variable`]
    /// ([`VariableView::str`](crate::array_bytes::VariableView::str) gives `&str`).
    pub fn retrieve_array_subset_strings(
        &self,
        subset: &ArraySubset,
    ) -> Result<Vec<String>, ArrayError> {
        check_element_kind(&*self.data_type, &[ElementKind::Utf8String], "String")?;
        let b = self.retrieve_array_subset(subset)?;
        self.variable_to_strings(&b)
    }

    /// Decode a chunk of a string array as one `String` per element (full chunk shape).
    pub fn retrieve_chunk_strings(&self, chunk_indices: &[u64]) -> Result<Vec<String>, ArrayError> {
        check_element_kind(&*self.data_type, &[ElementKind::Utf8String], "String")?;
        let b = self.retrieve_chunk(chunk_indices)?;
        self.variable_to_strings(&b)
    }

    /// Decode a region of a variable-length array (element kind [`ElementKind::ByteString`] or
    /// [`ElementKind::Utf8String`]) as one byte vector per element, C order.
    pub fn retrieve_array_subset_byte_strings(
        &self,
        subset: &ArraySubset,
    ) -> Result<Vec<Vec<u8>>, ArrayError> {
        check_element_kind(
            &*self.data_type,
            &[ElementKind::ByteString, ElementKind::Utf8String],
            "Vec<u8>",
        )?;
        let b = self.retrieve_array_subset(subset)?;
        Ok(self.variable_view(&b)?.iter().map(<[u8]>::to_vec).collect())
    }

    fn variable_view<'a>(
        &self,
        b: &'a ArrayBytes,
    ) -> Result<crate::array_bytes::VariableView<'a>, ArrayError> {
        b.as_variable().ok_or_else(|| {
            ArrayError::Unsupported("expected well-formed variable-size element bytes".into())
        })
    }

    fn variable_to_strings(&self, b: &ArrayBytes) -> Result<Vec<String>, ArrayError> {
        self.variable_view(b)?
            .strs()
            .map(|s| {
                s.map(str::to_string).map_err(|e| ArrayError::Codec {
                    key: self.path.to_string(),
                    source: CodecError::InvalidElements(e.to_string()),
                })
            })
            .collect()
    }

    /// Decode a region of the array as an `ndarray`.
    #[cfg(feature = "ndarray")]
    pub fn retrieve_array_subset_ndarray<T: Element>(
        &self,
        subset: &ArraySubset,
    ) -> Result<ndarray::ArrayD<T>, ArrayError> {
        let v = self.retrieve_array_subset_elements::<T>(subset)?;
        let shape: Vec<usize> = subset.shape().iter().map(|&s| s as usize).collect();
        ndarray::ArrayD::from_shape_vec(shape, v)
            .map_err(|e| ArrayError::Unsupported(e.to_string()))
    }

    /// Decode a chunk as an `ndarray` (full chunk shape).
    #[cfg(feature = "ndarray")]
    pub fn retrieve_chunk_ndarray<T: Element>(
        &self,
        chunk_indices: &[u64],
    ) -> Result<ndarray::ArrayD<T>, ArrayError> {
        let v = self.retrieve_chunk_elements::<T>(chunk_indices)?;
        let shape: Vec<usize> = self
            .chunk_shape(chunk_indices)?
            .iter()
            .map(|&s| s as usize)
            .collect();
        ndarray::ArrayD::from_shape_vec(shape, v)
            .map_err(|e| ArrayError::Unsupported(e.to_string()))
    }
}

/// Assemble variable-size parts (each a region of the output) into one C-order output.
fn assemble_variable(
    shape: &[u64],
    n: usize,
    parts: &[(ArraySubset, ArrayBytes)],
) -> Result<ArrayBytes, ArrayError> {
    let lin = |idx: &[u64]| -> usize {
        let mut o = 0u64;
        for (s, i) in shape.iter().zip(idx) {
            o = o * s + i;
        }
        o as usize
    };
    // (part, element) for each output element.
    let mut src: Vec<(u32, u32)> = vec![(u32::MAX, 0); n];
    for (p, (region, b)) in parts.iter().enumerate() {
        let ArrayBytes::Variable { offsets, .. } = b else {
            return Err(ArrayError::Unsupported(
                "fixed bytes for a variable-size data type".into(),
            ));
        };
        if offsets.len() != region.num_elements() as usize + 1 {
            return Err(ArrayError::Unsupported(
                "variable-size part of the wrong length".into(),
            ));
        }
        for (e, idx) in region.indices().enumerate() {
            src[lin(&idx)] = (p as u32, e as u32);
        }
    }
    let mut bytes = Vec::new();
    let mut offsets = Vec::with_capacity(n + 1);
    offsets.push(0);
    for (p, e) in src {
        let ArrayBytes::Variable {
            bytes: b,
            offsets: o,
        } = &parts
            .get(p as usize)
            .ok_or_else(|| ArrayError::Unsupported("uncovered output element".into()))?
            .1
        else {
            continue;
        };
        let e = e as usize;
        bytes.extend_from_slice(&b[o[e]..o[e + 1]]);
        offsets.push(bytes.len());
    }
    Ok(ArrayBytes::Variable { bytes, offsets })
}

/// Check that `given` elements were passed for `expected` elements.
fn check_count(given: usize, expected: u64) -> Result<(), ArrayError> {
    if given as u64 == expected {
        Ok(())
    } else {
        Err(ArrayError::Unsupported(format!(
            "{given} elements given for {expected} elements"
        )))
    }
}

/// Overwrite `region` of a chunk (shape `chunk_shape`) with `src` (the region's elements).
fn update_chunk(
    chunk: ArrayBytes,
    chunk_shape: &[u64],
    region: &ArraySubset,
    src: &ArrayBytes,
    elem: Option<usize>,
) -> Result<ArrayBytes, ArrayError> {
    match (chunk, src, elem) {
        (ArrayBytes::Fixed(mut c), ArrayBytes::Fixed(s), Some(elem)) => {
            let rs = ArraySubset::new_with_shape(region.shape().to_vec());
            copy_subset(s, region.shape(), &rs, &mut c, chunk_shape, region, elem);
            Ok(ArrayBytes::Fixed(c))
        }
        (
            ArrayBytes::Variable { bytes, offsets },
            ArrayBytes::Variable {
                bytes: sb,
                offsets: so,
            },
            None,
        ) => {
            let n = offsets.len().saturating_sub(1);
            let lin = |idx: &[u64]| -> usize {
                let mut o = 0u64;
                for (s, i) in chunk_shape.iter().zip(idx) {
                    o = o * s + i;
                }
                o as usize
            };
            let mut from_src: Vec<Option<usize>> = vec![None; n];
            for (e, idx) in region.indices().enumerate() {
                from_src[lin(&idx)] = Some(e);
            }
            let mut ob = Vec::with_capacity(bytes.len());
            let mut oo = Vec::with_capacity(n + 1);
            oo.push(0);
            for (i, f) in from_src.iter().enumerate() {
                match f {
                    Some(e) => ob.extend_from_slice(&sb[so[*e]..so[*e + 1]]),
                    None => ob.extend_from_slice(&bytes[offsets[i]..offsets[i + 1]]),
                }
                oo.push(ob.len());
            }
            Ok(ArrayBytes::Variable {
                bytes: ob,
                offsets: oo,
            })
        }
        _ => Err(ArrayError::Unsupported(
            "array bytes do not match the data type size".into(),
        )),
    }
}

impl<S: ReadableStorageTraits + WritableStorageTraits + ?Sized + 'static> Array<S> {
    /// Write the metadata: `zarr.json` (V3), or `.zarray` and `.zattrs` (V2).
    pub fn store_metadata(&self) -> Result<(), ArrayError> {
        match &self.metadata {
            ArrayMetadata::V3(m) => {
                self.storage
                    .set(&self.path.key("zarr.json")?, &m.to_json_pretty())?;
            }
            ArrayMetadata::V2(m) => {
                self.storage
                    .set(&self.path.key(ZARRAY)?, &m.to_json_pretty())?;
                self.storage.set(
                    &self.path.key(ZATTRS)?,
                    &attributes_to_json_pretty(m.attributes()),
                )?;
            }
        }
        Ok(())
    }

    /// Erase the metadata: `zarr.json` (V3), or `.zarray` and `.zattrs` (V2).
    pub fn erase_metadata(&self) -> Result<(), ArrayError> {
        match &self.metadata {
            ArrayMetadata::V3(_) => self.storage.erase(&self.path.key("zarr.json")?)?,
            ArrayMetadata::V2(_) => {
                self.storage.erase(&self.path.key(ZARRAY)?)?;
                self.storage.erase(&self.path.key(ZATTRS)?)?;
            }
        }
        Ok(())
    }

    /// Store already-encoded chunk bytes as they are.
    pub fn store_encoded_chunk(
        &self,
        chunk_indices: &[u64],
        encoded: &[u8],
    ) -> Result<(), ArrayError> {
        self.check_chunk(chunk_indices)?;
        let key = self.chunk_key(chunk_indices)?;
        self.storage.set(&key, encoded)?;
        self.invalidate(&key);
        Ok(())
    }

    /// Erase a chunk (reads then return the fill value).
    pub fn erase_chunk(&self, chunk_indices: &[u64]) -> Result<(), ArrayError> {
        self.check_chunk(chunk_indices)?;
        let key = self.chunk_key(chunk_indices)?;
        self.storage.erase(&key)?;
        self.invalidate(&key);
        Ok(())
    }

    /// Erase every chunk in a box of chunk indices.
    pub fn erase_chunks(&self, chunks: &ArraySubset) -> Result<(), ArrayError> {
        chunks.indices().try_for_each(|i| self.erase_chunk(&i))
    }

    /// Encode a whole chunk for storing (`None`: it is all fill and should be erased).
    /// Runs outside any chunk lock, so codecs may use the thread pool freely.
    fn encode_for_store(
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

    /// Encode a whole chunk, then store (or erase) it under the chunk's lock. The lock is
    /// held only for the store call: holding it while codecs run on the thread pool could
    /// deadlock with a pool worker waiting for the same lock.
    fn store_chunk_unlocked(
        &self,
        key: &StoreKey,
        repr: &ChunkRepresentation,
        bytes: ArrayBytes,
        options: &CodecOptions,
    ) -> Result<(), ArrayError> {
        let encoded = self.encode_for_store(key, repr, bytes, options)?;
        self.locks.with(key, || match encoded {
            Some(e) => self.storage.set(key, &e),
            None => self.storage.erase(key),
        })?;
        self.invalidate(key);
        Ok(())
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
        self.check_bytes(&bytes, repr.num_elements())?;
        let key = self.chunk_key(chunk_indices)?;
        self.store_chunk_unlocked(&key, &repr, bytes, options)
    }

    /// Encode and store a whole chunk.
    pub fn store_chunk(
        &self,
        chunk_indices: &[u64],
        bytes: impl Into<ArrayBytes>,
    ) -> Result<(), ArrayError> {
        self.store_chunk_opt(chunk_indices, bytes, &CodecOptions::default())
    }

    /// Store a whole chunk from typed elements.
    pub fn store_chunk_elements<T: Element>(
        &self,
        chunk_indices: &[u64],
        elements: &[T],
    ) -> Result<(), ArrayError> {
        check_element::<T>(&*self.data_type)?;
        self.store_chunk(chunk_indices, elements_as_bytes(elements))
    }

    /// Store the chunks of a box of chunk indices from one C-order array covering them
    /// (clipped to the array).
    pub fn store_chunks(
        &self,
        chunks: &ArraySubset,
        bytes: impl Into<ArrayBytes>,
    ) -> Result<(), ArrayError> {
        let subset = self.chunks_subset_bounded(chunks)?;
        self.store_array_subset(&subset, bytes)
    }

    /// Overwrite a region of one chunk (`chunk_subset` relative to the chunk):
    /// read-modify-write under the chunk's lock.
    pub fn store_chunk_subset_opt(
        &self,
        chunk_indices: &[u64],
        chunk_subset: &ArraySubset,
        bytes: impl Into<ArrayBytes>,
        options: &CodecOptions,
    ) -> Result<(), ArrayError> {
        let bytes = bytes.into();
        let repr = self.chunk_representation(chunk_indices)?;
        chunk_subset.check_inbounds(&repr.shape)?;
        self.check_bytes(&bytes, chunk_subset.num_elements())?;
        let key = self.chunk_key(chunk_indices)?;
        if chunk_subset.shape() == repr.shape.as_slice() {
            return self.store_chunk_unlocked(&key, &repr, bytes, options);
        }
        // Read-modify-write under the chunk's lock, with codecs confined to this thread
        // (a pool worker blocked on this lock must never be needed to release it).
        let options = &options.with_concurrent_target(1);
        self.locks.with(&key, || {
            // The codec chain updates the encoded chunk: by default decode, update and
            // re-encode; a sharded chunk re-encodes only the inner chunks it touches.
            let existing = self.storage.get(&key)?;
            let updates = [(chunk_subset.clone(), bytes)];
            match self
                .codecs
                .encode_partial(existing, &updates, &repr, &self.write_options(options))
                .map_err(|e| Self::codec_err(&key, e))?
            {
                Some(encoded) => self.storage.set(&key, &encoded)?,
                None => self.storage.erase(&key)?,
            }
            self.invalidate(&key);
            Ok(())
        })
    }

    /// Overwrite a region of one chunk.
    pub fn store_chunk_subset(
        &self,
        chunk_indices: &[u64],
        chunk_subset: &ArraySubset,
        bytes: impl Into<ArrayBytes>,
    ) -> Result<(), ArrayError> {
        self.store_chunk_subset_opt(chunk_indices, chunk_subset, bytes, &CodecOptions::default())
    }

    /// Overwrite a region of the array with C-order element bytes. Chunks fully covered
    /// (within the array) are encoded without reading the old chunk; others are
    /// read-modify-write under their lock. Chunks are processed in parallel.
    pub fn store_array_subset_opt(
        &self,
        subset: &ArraySubset,
        bytes: impl Into<ArrayBytes>,
        options: &CodecOptions,
    ) -> Result<(), ArrayError> {
        let bytes = bytes.into();
        subset.check_inbounds(self.shape())?;
        self.check_bytes(&bytes, subset.num_elements())?;
        if subset.is_empty() {
            return Ok(());
        }
        let chunks: Vec<Vec<u64>> = self.chunks_in_array_subset(subset)?.indices().collect();
        let opts = Self::split_concurrency(options, chunks.len());
        let work = |idx: &Vec<u64>| -> Result<(), ArrayError> {
            let chunk_subset = self.chunk_subset(idx)?;
            let bounded = self.chunk_subset_bounded(idx)?;
            let overlap = chunk_subset.overlap(subset);
            let region_in_input = overlap.relative_to(subset.start());
            let region_in_chunk = overlap.relative_to(chunk_subset.start());
            let part = if region_in_input.shape() == subset.shape() {
                bytes.clone()
            } else {
                extract_subset(
                    &bytes,
                    subset.shape(),
                    &region_in_input,
                    self.data_type.size(),
                )
                .map_err(ArrayError::Unsupported)?
            };
            let repr = self.chunk_representation(idx)?;
            let key = self.chunk_key(idx)?;
            if overlap == bounded {
                // Whole chunk (within the array): no read needed.
                let chunk = if overlap == chunk_subset {
                    part
                } else {
                    let fill = repr.fill().map_err(|e| Self::codec_err(&key, e))?;
                    update_chunk(
                        fill,
                        &repr.shape,
                        &region_in_chunk,
                        &part,
                        self.element_size(),
                    )?
                };
                self.store_chunk_unlocked(&key, &repr, chunk, &opts)
            } else {
                self.store_chunk_subset_opt(idx, &region_in_chunk, part, &opts)
            }
        };
        if chunks.len() == 1 || options.concurrent_target <= 1 {
            chunks.iter().try_for_each(work)
        } else {
            chunks.par_iter().try_for_each(work)
        }
    }

    /// Overwrite a region of the array with C-order element bytes.
    pub fn store_array_subset(
        &self,
        subset: &ArraySubset,
        bytes: impl Into<ArrayBytes>,
    ) -> Result<(), ArrayError> {
        self.store_array_subset_opt(subset, bytes, &CodecOptions::default())
    }

    /// Overwrite a region of the array with typed elements (C order).
    pub fn store_array_subset_elements<T: Element>(
        &self,
        subset: &ArraySubset,
        elements: &[T],
    ) -> Result<(), ArrayError> {
        check_element::<T>(&*self.data_type)?;
        self.store_array_subset(subset, elements_as_bytes(elements))
    }

    /// Overwrite a region of a string array (element kind [`ElementKind::Utf8String`]) with
    /// strings, C order (one per element of the subset).
    pub fn store_array_subset_strings<T: AsRef<str>>(
        &self,
        subset: &ArraySubset,
        elements: &[T],
    ) -> Result<(), ArrayError> {
        check_element_kind(&*self.data_type, &[ElementKind::Utf8String], "&str")?;
        check_count(elements.len(), subset.num_elements())?;
        self.store_array_subset(subset, ArrayBytes::from_strs(elements))
    }

    /// Store a whole chunk of a string array (full chunk shape, C order).
    pub fn store_chunk_strings<T: AsRef<str>>(
        &self,
        chunk_indices: &[u64],
        elements: &[T],
    ) -> Result<(), ArrayError> {
        check_element_kind(&*self.data_type, &[ElementKind::Utf8String], "&str")?;
        let n = self.chunk_representation(chunk_indices)?.num_elements();
        check_count(elements.len(), n)?;
        self.store_chunk(chunk_indices, ArrayBytes::from_strs(elements))
    }

    /// Overwrite a region of a byte-string array (element kind [`ElementKind::ByteString`]) with
    /// byte strings, C order.
    pub fn store_array_subset_byte_strings<T: AsRef<[u8]>>(
        &self,
        subset: &ArraySubset,
        elements: &[T],
    ) -> Result<(), ArrayError> {
        check_element_kind(&*self.data_type, &[ElementKind::ByteString], "&[u8]")?;
        check_count(elements.len(), subset.num_elements())?;
        self.store_array_subset(subset, ArrayBytes::from_byte_strings(elements))
    }

    /// Overwrite a region of one chunk with typed elements.
    pub fn store_chunk_subset_elements<T: Element>(
        &self,
        chunk_indices: &[u64],
        chunk_subset: &ArraySubset,
        elements: &[T],
    ) -> Result<(), ArrayError> {
        check_element::<T>(&*self.data_type)?;
        self.store_chunk_subset(chunk_indices, chunk_subset, elements_as_bytes(elements))
    }

    /// Overwrite the region starting at `start` with an `ndarray`.
    #[cfg(feature = "ndarray")]
    pub fn store_array_subset_ndarray<T: Element, D: ndarray::Dimension>(
        &self,
        start: &[u64],
        array: ndarray::ArrayView<'_, T, D>,
    ) -> Result<(), ArrayError> {
        let shape: Vec<u64> = array.shape().iter().map(|&s| s as u64).collect();
        let subset = ArraySubset::new(start.to_vec(), shape)?;
        let std = array.as_standard_layout();
        let slice = std
            .as_slice()
            .ok_or_else(|| ArrayError::Unsupported("non-contiguous ndarray".into()))?;
        self.store_array_subset_elements(&subset, slice)
    }
}

/// Builds a new V3 array.
///
/// ```ignore
/// let array = ArrayBuilder::new(vec![100, 100], vec![10, 10], "float32", 0.0)
///     .bytes_to_bytes_codecs_metadata(vec![MetadataV3::new_with_configuration("zstd", cfg)])
///     .dimension_names(["y", "x"])
///     .build(store, "/data")?;
/// array.store_metadata()?;
/// ```
#[derive(Debug, Clone)]
pub struct ArrayBuilder {
    shape: Vec<u64>,
    chunk_grid: MetadataV3,
    data_type: MetadataV3,
    fill_value: Value,
    chunk_key_encoding: Option<MetadataV3>,
    array_to_array: Vec<Codec>,
    array_to_bytes: Option<Codec>,
    bytes_to_bytes: Vec<Codec>,
    codec_metadata: Vec<MetadataV3>,
    attributes: Map<String, Value>,
    dimension_names: Option<Vec<Option<String>>>,
}

impl ArrayBuilder {
    /// A builder for an array of `shape` in regular chunks of `chunk_shape`, of the data
    /// type named `data_type` (resolved through the registry) and the given fill value JSON.
    pub fn new(
        shape: Vec<u64>,
        chunk_shape: Vec<u64>,
        data_type: impl Into<String>,
        fill_value: impl Into<Value>,
    ) -> Self {
        let mut grid = Map::new();
        grid.insert("chunk_shape".into(), Value::from(chunk_shape));
        Self {
            shape,
            chunk_grid: MetadataV3::new_with_configuration("regular", grid),
            // The short string form (`"uint16"`), as zarr-python, zarrs and tensorstore write it.
            data_type: MetadataV3::new(data_type).in_short_form(),
            fill_value: fill_value.into(),
            chunk_key_encoding: None,
            array_to_array: Vec::new(),
            array_to_bytes: None,
            bytes_to_bytes: Vec::new(),
            codec_metadata: Vec::new(),
            attributes: Map::new(),
            dimension_names: None,
        }
    }

    /// Use another chunk grid (metadata resolved through the registry).
    pub fn chunk_grid(mut self, grid: MetadataV3) -> Self {
        self.chunk_grid = grid;
        self
    }
    /// Use data type metadata with a configuration.
    pub fn data_type(mut self, data_type: MetadataV3) -> Self {
        self.data_type = data_type;
        self
    }
    /// Use another chunk key encoding (default: `default` with separator `/`).
    pub fn chunk_key_encoding(mut self, encoding: MetadataV3) -> Self {
        self.chunk_key_encoding = Some(encoding);
        self
    }
    /// The array→array codecs.
    pub fn array_to_array_codecs(mut self, codecs: Vec<Arc<dyn ArrayToArrayCodecTraits>>) -> Self {
        self.array_to_array = codecs.into_iter().map(Codec::ArrayToArray).collect();
        self
    }
    /// The array→bytes codec (default: `bytes`, little endian).
    pub fn array_to_bytes_codec(mut self, codec: Arc<dyn ArrayToBytesCodecTraits>) -> Self {
        self.array_to_bytes = Some(Codec::ArrayToBytes(codec));
        self
    }
    /// The bytes→bytes codecs.
    pub fn bytes_to_bytes_codecs(mut self, codecs: Vec<Arc<dyn BytesToBytesCodecTraits>>) -> Self {
        self.bytes_to_bytes = codecs.into_iter().map(Codec::BytesToBytes).collect();
        self
    }
    /// All codecs as metadata, resolved through the registry (overrides the typed setters).
    pub fn codecs_metadata(mut self, codecs: Vec<MetadataV3>) -> Self {
        self.codec_metadata = codecs;
        self
    }
    /// User attributes.
    pub fn attributes(mut self, attributes: Map<String, Value>) -> Self {
        self.attributes = attributes;
        self
    }
    /// Dimension names.
    pub fn dimension_names<I: IntoIterator<Item = N>, N: Into<DimName>>(
        mut self,
        names: I,
    ) -> Self {
        self.dimension_names = Some(names.into_iter().map(|n| n.into().0).collect());
        self
    }

    /// Build the array (validated; nothing is written until [`Array::store_metadata`]).
    pub fn build<S: ?Sized>(&self, storage: Arc<S>, path: &str) -> Result<Array<S>, ArrayError> {
        let node = NodePath::new(path)?;
        let chain = if self.codec_metadata.is_empty() {
            let a2b = match &self.array_to_bytes {
                Some(c) => c.clone(),
                None => {
                    let mut c = Map::new();
                    c.insert("endian".into(), Value::String("little".into()));
                    registry::create_codec(&MetadataV3::new_with_configuration("bytes", c))
                        .map_err(|e| plugin_err(&node, e))?
                }
            };
            let mut all = self.array_to_array.clone();
            all.push(a2b);
            all.extend(self.bytes_to_bytes.iter().cloned());
            CodecChain::from_codecs(all).map_err(|e| MetadataError::invalid(node.as_str(), e))?
        } else {
            codecs_from_metadata(node.as_str(), &self.codec_metadata)?
        };
        let codecs = if self.codec_metadata.is_empty() {
            chain.create_metadatas()
        } else {
            self.codec_metadata.clone()
        };
        let mut metadata = ArrayMetadataV3::new(
            self.shape.clone(),
            self.data_type.clone(),
            self.chunk_grid.clone(),
            self.fill_value.clone(),
            codecs,
        );
        if let Some(k) = &self.chunk_key_encoding {
            metadata.chunk_key_encoding = k.clone();
        }
        metadata.attributes = Some(self.attributes.clone());
        metadata.dimension_names = self.dimension_names.clone();
        Array::bind(storage, node, metadata.into(), chain)
    }
}

/// A dimension name (`None` for an unnamed dimension).
#[derive(Debug, Clone)]
pub struct DimName(Option<String>);
impl From<&str> for DimName {
    fn from(s: &str) -> Self {
        Self(Some(s.to_string()))
    }
}
impl From<String> for DimName {
    fn from(s: String) -> Self {
        Self(Some(s))
    }
}
impl From<Option<&str>> for DimName {
    fn from(s: Option<&str>) -> Self {
        Self(s.map(str::to_string))
    }
}
impl From<Option<String>> for DimName {
    fn from(s: Option<String>) -> Self {
        Self(s)
    }
}
