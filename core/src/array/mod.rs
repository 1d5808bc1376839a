//! [`Array`]: open, create, read and write Zarr arrays.
//!
//! One read/write API: [`Array::read`] / [`Array::write`] (and `_opt`, `_into`, and with the
//! `async` feature `read_async` / `write_async`) over a [`Region`] — a chunk, chunks, a chunk
//! subset, an array subset, inner chunks — and an output or input type ([`ArrayBytes`],
//! `Vec<T>`, `Vec<String>`, byte strings, `ndarray`, a caller's buffer). The method names
//! zarrs users know (`retrieve_array_subset_elements`, `store_chunk`, ...) are one-line
//! wrappers of them.
//!
//! Every read is planned per chunk and driven the same way: a chunk whose encoding is its
//! decoded bytes is read straight into its place in the output; any other chunk is decoded
//! by the codec chain's sans-I/O partial decode, which asks for the byte ranges it needs
//! (coalesced), is handed them by the sync driver here or the async driver in
//! [`asynchronous`], and decodes into the output. Chunks decode in parallel on the rayon
//! pool, bounded by [`CodecOptions::concurrent_target`]; a read never mixes bytes of two
//! versions of a stored value (a value replaced between two requests is read again).
//! Writes encode chunks in parallel; a partial chunk write is read-modify-write under the
//! chunk's lock, and a compare-and-swap on the chunk's version where the store supports it
//! (so writers in other processes lose nothing).

use std::sync::Arc;

use parking_lot::Mutex;
use serde_json::{Map, Value};

use crate::chunk_grid::ChunkGrid;
use crate::chunk_key_encoding::ChunkKeyEncoding;
use crate::codec::{ChunkRepresentation, CodecChain};
use crate::config::CodecOptions;
use crate::data_type::DataType;
use crate::error::{ArrayError, MetadataError, PluginError};
use crate::fill_value::FillValue;
use crate::locks::KeyLocks;
use crate::metadata::{ArrayMetadata, MetadataV3};
use crate::metadata_v2::{attributes_to_json_pretty, ZARRAY, ZATTRS};
use crate::node::{read_node_metadata, NodePath};
use crate::registry;
use crate::storage::{Bytes, ReadableStorageTraits, WritableStorageTraits};
use crate::subset::ArraySubset;

#[cfg(feature = "async")]
pub mod asynchronous;
mod builder;
mod cache;
mod layout;
mod read;
mod region;
mod selection;
mod typed;
mod v2;
mod write;

pub use builder::{ArrayBuilder, DimName};
pub use cache::{CacheCapacity, ChunkCacheConfig, ChunkCacheKind};
pub use region::Region;
pub use selection::ChunkVisit;
pub use typed::{zeroed_vec, ArrayInput, ArrayOutput, ArrayOutputKind, InputBytes};
pub use v2::{
    codec_to_v2, codecs_from_v2, data_type_from_v2, fill_value_from_v2, KEEP_FILL_CHUNKS,
};

/// The thread pool for work that waits on a store rather than computes (reads of
/// uncompressed chunks straight into the output; the sync→async store adapter), one per size
/// asked for (`CodecOptions::io_concurrency`), created on first use and kept.
pub(crate) fn io_pool(threads: usize) -> Result<Arc<rayon::ThreadPool>, ArrayError> {
    static POOLS: Mutex<Vec<(usize, Arc<rayon::ThreadPool>)>> = Mutex::new(Vec::new());
    let mut pools = POOLS.lock();
    if let Some((_, p)) = pools.iter().find(|(n, _)| *n == threads) {
        return Ok(p.clone());
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("zarrkit-io-{i}"))
        .build()
        .map_err(|e| ArrayError::Internal(format!("cannot start {threads} I/O threads: {e}")))?;
    let pool = Arc::new(pool);
    pools.push((threads, pool.clone()));
    Ok(pool)
}

/// A Zarr array in a store.
///
/// `S` is the store type (e.g. `MemoryStore`, `FilesystemStore`, or a trait object such as
/// `dyn ReadableWritableListableStorageTraits`; with the `async` feature also an async
/// store). Read methods need a readable store, write methods a writable one.
pub struct Array<S: ?Sized> {
    storage: Arc<S>,
    path: NodePath,
    /// Shared by clones (copied only when one of them changes it).
    metadata: Arc<ArrayMetadata>,
    data_type: DataType,
    fill_value: FillValue,
    chunk_grid: ChunkGrid,
    chunk_key_encoding: ChunkKeyEncoding,
    codecs: Arc<CodecChain>,
    locks: Arc<KeyLocks>,
    caches: Arc<cache::Caches>,
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
        self.with_storage(self.storage.clone())
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
/// `must_understand: false`) and check the order. The chain records the name each codec was
/// read under, so metadata written back keeps it.
pub fn codecs_from_metadata(
    node: &str,
    codecs: &[MetadataV3],
) -> Result<CodecChain, MetadataError> {
    let mut v = Vec::with_capacity(codecs.len());
    for m in codecs {
        match registry::create_codec(m) {
            Ok(c) => v.push((c, Some(m.name().to_string()))),
            Err(PluginError::Unknown { .. }) if !m.must_understand() => {}
            Err(e) => {
                return Err(MetadataError::Plugin {
                    node: node.to_string(),
                    source: e,
                })
            }
        }
    }
    CodecChain::from_named_codecs(v).map_err(|e| MetadataError::invalid(node, e))
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
                    .fill_value_from_json(&crate::json::normalise_fill_value(&metadata.fill_value))
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
            metadata: Arc::new(metadata),
            data_type,
            fill_value,
            chunk_grid,
            chunk_key_encoding,
            codecs: Arc::new(codecs),
            locks: Arc::new(KeyLocks::default()),
            caches: Arc::new(cache::Caches::new(&crate::config::global_config())),
            shapes: Arc::new(shapes),
            all_shapes_validated,
        })
    }

    /// The store.
    pub fn storage(&self) -> &Arc<S> {
        &self.storage
    }
    /// The same array on another store (or the same store behind an adapter, such as the
    /// sync→async one): metadata, codecs, locks and caches are shared.
    pub fn with_storage<T: ?Sized>(&self, storage: Arc<T>) -> Array<T> {
        Array {
            storage,
            path: self.path.clone(),
            metadata: self.metadata.clone(),
            data_type: self.data_type.clone(),
            fill_value: self.fill_value.clone(),
            chunk_grid: self.chunk_grid.clone(),
            chunk_key_encoding: self.chunk_key_encoding.clone(),
            codecs: self.codecs.clone(),
            locks: self.locks.clone(),
            caches: self.caches.clone(),
            shapes: self.shapes.clone(),
            all_shapes_validated: self.all_shapes_validated,
        }
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
        Arc::make_mut(&mut self.metadata).attributes_mut()
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
        Arc::make_mut(&mut self.metadata).set_shape(shape);
        Ok(())
    }

    /// The main metadata document as it will be written: `zarr.json` (V3) or `.zarray`
    /// (V2; the attributes go to `.zattrs`).
    pub fn metadata_json(&self) -> Vec<u8> {
        match &*self.metadata {
            ArrayMetadata::V3(m) => m.to_json_pretty(),
            ArrayMetadata::V2(m) => m.to_json_pretty(),
        }
    }

    /// The metadata documents to write: `(file name, bytes)`.
    fn metadata_documents(&self) -> Vec<(&'static str, Bytes)> {
        match &*self.metadata {
            ArrayMetadata::V3(m) => vec![("zarr.json", Bytes::from(m.to_json_pretty()))],
            ArrayMetadata::V2(m) => vec![
                (ZARRAY, Bytes::from(m.to_json_pretty())),
                (
                    ZATTRS,
                    Bytes::from(attributes_to_json_pretty(m.attributes())),
                ),
            ],
        }
    }

    /// The metadata file names of this array's format.
    fn metadata_names(&self) -> &'static [&'static str] {
        match &*self.metadata {
            ArrayMetadata::V3(_) => &["zarr.json"],
            ArrayMetadata::V2(_) => &[ZARRAY, ZATTRS],
        }
    }

    /// Whether chunks whose elements all equal the fill value may be erased instead of
    /// written. Not for V2 arrays with `fill_value: null`, whose missing chunks are undefined,
    /// nor for V3 arrays converted from one ([`v2::KEEP_FILL_CHUNKS`]).
    fn may_erase_fill_chunks(&self) -> bool {
        match &*self.metadata {
            ArrayMetadata::V2(m) => !m.fill_value.is_null(),
            ArrayMetadata::V3(m) => !m.extra_fields.contains_key(v2::KEEP_FILL_CHUNKS),
        }
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
}

impl<S: WritableStorageTraits + ?Sized + 'static> Array<S> {
    /// Write the metadata: `zarr.json` (V3), or `.zarray` and `.zattrs` (V2).
    pub fn store_metadata(&self) -> Result<(), ArrayError> {
        for (name, doc) in self.metadata_documents() {
            self.storage.set(&self.path.key(name)?, doc)?;
        }
        Ok(())
    }

    /// Erase the metadata: `zarr.json` (V3), or `.zarray` and `.zattrs` (V2).
    pub fn erase_metadata(&self) -> Result<(), ArrayError> {
        for name in self.metadata_names() {
            self.storage.erase(&self.path.key(name)?)?;
        }
        Ok(())
    }
}
