//! zarrkit plugin: the `sharding_indexed` array→bytes codec.
//!
//! A shard holds inner chunks, each encoded with the inner `codecs`, plus an index of
//! `(offset, nbytes)` u64 pairs (C order of the inner chunk grid; `(2^64-1, 2^64-1)` marks an
//! empty inner chunk) encoded with `index_codecs` and stored at the `start` or `end`.
//! The inner chunks themselves are written in the order
//! [`CodecOptions::subchunk_write_order`] names (C order by default; Morton as zarr-python
//! writes, or Fortran order): a write-time choice that readers never need to know.
//! Inner codecs and index codecs are resolved through the registry, so any codec (even
//! another sharding codec) can be nested without this crate naming it.
//!
//! - **Reads** of part of a shard fetch the index with one byte-range (or suffix) request
//!   and then only the inner chunks needed, nearby ranges coalesced (see
//!   [`ShardingCodec::with_max_gap`]); inner chunks decode in parallel straight into the
//!   output.
//! - **Writes** of part of a shard ([`ArrayToBytesCodecTraits::encode_partial`]) re-encode
//!   only the inner chunks they touch, copy the others' encoded bytes, and write a new,
//!   compacted shard (one atomic store write: a reader sees the old or the new shard).
//! - **Hostile input**: a shard shorter than its index, index entries past the end or
//!   overlapping the index, entries partly overlapping each other (entries sharing exactly
//!   the same bytes are deduplicated inner chunks and are read), a failing index checksum,
//!   or inner chunks of the wrong decoded size are errors; nothing is allocated from a size read from the shard beyond the bytes
//!   actually present.

use std::sync::Arc;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use zarrkit_core::array::codecs_from_metadata;
use zarrkit_core::array_bytes::{
    assemble_variable, extract_subset, is_fill, update_subset, ArrayBytes,
};
use zarrkit_core::codec::{
    check_outputs, coalesce, finish_via_views, ArrayOutputView, ArrayToBytesCodecTraits, Bytes,
    BytesRepresentation, ChunkRepresentation, Coalesced, Codec, CodecChain, CodecTraits,
    PartialDecode, PartialStep, RecommendedConcurrency, ReusableState,
};
use zarrkit_core::config::CodecOptions;
use zarrkit_core::data_type::DataTypeSize;
use zarrkit_core::error::{CodecError, ExtensionKind, PluginError};
use zarrkit_core::fill_value::FillValue;
use zarrkit_core::metadata::MetadataV3;
use zarrkit_core::registry::CodecPlugin;
use zarrkit_core::serde_json::{self, Map, Value};
use zarrkit_core::storage::ByteRange;
use zarrkit_core::subset::ArraySubset;

const NAME: &str = "sharding_indexed";
/// The index value marking an empty inner chunk.
pub const EMPTY: u64 = u64::MAX;
/// Default maximum gap (bytes) between inner chunks fetched in one coalesced request.
pub const DEFAULT_MAX_GAP: u64 = 16 * 1024;

/// Where the index is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum IndexLocation {
    /// Before the inner chunks.
    Start,
    /// After the inner chunks (the default).
    #[default]
    End,
}

/// The configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShardingCodecConfiguration {
    /// The inner chunk shape.
    pub chunk_shape: Vec<u64>,
    /// The inner codecs.
    pub codecs: Vec<MetadataV3>,
    /// The index codecs (their encoded size must be fixed: no compressors).
    pub index_codecs: Vec<MetadataV3>,
    /// Where the index goes.
    #[serde(default)]
    pub index_location: IndexLocation,
}

/// The `sharding_indexed` codec.
#[derive(Debug, Clone)]
pub struct ShardingCodec {
    config: Arc<ShardingCodecConfiguration>,
    inner: Arc<CodecChain>,
    index: Arc<CodecChain>,
    max_gap: u64,
}

fn err(msg: impl std::fmt::Display) -> CodecError {
    CodecError::new(NAME, msg)
}

fn md(name: &str, conf: Value) -> MetadataV3 {
    match conf {
        Value::Object(m) => MetadataV3::new_with_configuration(name, m),
        _ => MetadataV3::new(name),
    }
}

/// Builds a [`ShardingCodec`]: inner chunk shape, inner codecs (default `bytes` little
/// endian), index codecs (default `bytes` little endian + `crc32c`), index location
/// (default end).
#[derive(Debug, Clone)]
pub struct ShardingCodecBuilder {
    config: ShardingCodecConfiguration,
}

impl ShardingCodecBuilder {
    /// A builder for inner chunks of `inner_chunk_shape`.
    pub fn new(inner_chunk_shape: Vec<u64>) -> Self {
        Self {
            config: ShardingCodecConfiguration {
                chunk_shape: inner_chunk_shape,
                codecs: vec![md("bytes", serde_json::json!({"endian": "little"}))],
                index_codecs: vec![
                    md("bytes", serde_json::json!({"endian": "little"})),
                    MetadataV3::new("crc32c"),
                ],
                index_location: IndexLocation::End,
            },
        }
    }
    /// The inner codecs (metadata, resolved through the registry).
    pub fn inner_codecs(mut self, codecs: Vec<MetadataV3>) -> Self {
        self.config.codecs = codecs;
        self
    }
    /// The index codecs.
    pub fn index_codecs(mut self, codecs: Vec<MetadataV3>) -> Self {
        self.config.index_codecs = codecs;
        self
    }
    /// The index location.
    pub fn index_location(mut self, location: IndexLocation) -> Self {
        self.config.index_location = location;
        self
    }
    /// Build the codec.
    pub fn build(self) -> Result<ShardingCodec, PluginError> {
        ShardingCodec::new(self.config)
    }
    /// Build the codec as metadata for an array builder's codec list.
    pub fn build_metadata(self) -> Result<MetadataV3, PluginError> {
        let c = self.build()?;
        Ok(MetadataV3::new_with_configuration(
            NAME,
            c.configuration().unwrap_or_default(),
        ))
    }
}

/// The layout of one shard read from its index.
#[derive(Debug)]
struct ShardIndex {
    /// (offset, nbytes) per inner chunk, `None` when empty.
    entries: Vec<Option<(u64, u64)>>,
}

impl ShardingCodec {
    /// A codec from its configuration (codecs resolved through the registry).
    pub fn new(config: ShardingCodecConfiguration) -> Result<Self, PluginError> {
        let perr = |m: String| PluginError::config(ExtensionKind::Codec, NAME, m);
        if config.chunk_shape.contains(&0) {
            return Err(perr(format!(
                "chunk_shape {:?} has a zero extent",
                config.chunk_shape
            )));
        }
        let inner = codecs_from_metadata("(inner codecs)", &config.codecs)
            .map_err(|e| perr(e.to_string()))?;
        let index = codecs_from_metadata("(index codecs)", &config.index_codecs)
            .map_err(|e| perr(e.to_string()))?;
        Ok(Self {
            config: Arc::new(config),
            inner: Arc::new(inner),
            index: Arc::new(index),
            max_gap: DEFAULT_MAX_GAP,
        })
    }

    /// Coalesce inner chunk reads whose gap is at most `max_gap` bytes into one request.
    pub fn with_max_gap(mut self, max_gap: u64) -> Self {
        self.max_gap = max_gap;
        self
    }

    /// The configuration.
    pub fn configuration_struct(&self) -> &ShardingCodecConfiguration {
        &self.config
    }

    /// The number of inner chunks per dimension of a shard.
    fn grid(&self, shard_shape: &[u64]) -> Result<Vec<u64>, CodecError> {
        if shard_shape.len() != self.config.chunk_shape.len() {
            return Err(CodecError::Unsupported {
                codec: NAME.into(),
                message: format!(
                    "inner chunk_shape {:?} has rank {} but the shard shape {:?} has rank {}",
                    self.config.chunk_shape,
                    self.config.chunk_shape.len(),
                    shard_shape,
                    shard_shape.len()
                ),
            });
        }
        shard_shape
            .iter()
            .zip(&self.config.chunk_shape)
            .map(|(s, c)| {
                if s % c == 0 {
                    Ok(s / c)
                } else {
                    Err(CodecError::Unsupported {
                        codec: NAME.into(),
                        message: format!(
                            "shard shape {shard_shape:?} is not a multiple of the inner chunk shape {:?}",
                            self.config.chunk_shape
                        ),
                    })
                }
            })
            .collect()
    }

    fn inner_repr(&self, decoded: &ChunkRepresentation) -> ChunkRepresentation {
        ChunkRepresentation::new(
            self.config.chunk_shape.clone(),
            decoded.data_type.clone(),
            decoded.fill_value.clone(),
        )
    }

    fn index_repr(&self, grid: &[u64]) -> Result<ChunkRepresentation, CodecError> {
        let dt = zarrkit_core::registry::data_type_by_name("uint64").map_err(err)?;
        let mut shape = grid.to_vec();
        shape.push(2);
        Ok(ChunkRepresentation::new(
            shape,
            dt,
            FillValue::new(EMPTY.to_ne_bytes().to_vec()),
        ))
    }

    fn index_size(&self, grid: &[u64]) -> Result<u64, CodecError> {
        match self.index.encoded_representation(&self.index_repr(grid)?)? {
            BytesRepresentation::Fixed(n) => Ok(n),
            _ => Err(CodecError::Unsupported {
                codec: NAME.into(),
                message: "index_codecs must have a fixed encoded size (no compression)".into(),
            }),
        }
    }

    fn num_inner(grid: &[u64]) -> Result<usize, CodecError> {
        grid.iter()
            .try_fold(1u64, |a, &b| a.checked_mul(b))
            .and_then(|n| usize::try_from(n).ok())
            .ok_or_else(|| err("too many inner chunks"))
    }

    /// Decode and validate the index bytes of a shard of `shard_len` bytes (when known).
    fn decode_index(
        &self,
        index_bytes: Bytes,
        grid: &[u64],
        shard_len: Option<u64>,
        options: &CodecOptions,
    ) -> Result<ShardIndex, CodecError> {
        let index_size = self.index_size(grid)?;
        let n = Self::num_inner(grid)?;
        if index_bytes.len() as u64 != index_size {
            return Err(err(format!(
                "the shard index has {} bytes, expected {index_size}",
                index_bytes.len()
            )));
        }
        let decoded = self
            .index
            .decode(index_bytes, &self.index_repr(grid)?, options)
            .map_err(|e| err(format!("shard index: {e}")))?;
        let raw = decoded
            .into_fixed()
            .ok_or_else(|| err("shard index is not fixed-size"))?;
        if raw.len() != n * 16 {
            return Err(err("shard index has the wrong number of entries"));
        }
        let (data_start, data_end) = match (self.config.index_location, shard_len) {
            (_, None) => (0, u64::MAX),
            (IndexLocation::Start, Some(len)) => (index_size, len),
            (IndexLocation::End, Some(len)) => (0, len.saturating_sub(index_size)),
        };
        let mut entries = Vec::with_capacity(n);
        for (i, pair) in raw.chunks_exact(16).enumerate() {
            let mut a = [0u8; 8];
            a.copy_from_slice(&pair[..8]);
            let offset = u64::from_ne_bytes(a);
            a.copy_from_slice(&pair[8..]);
            let nbytes = u64::from_ne_bytes(a);
            if offset == EMPTY && nbytes == EMPTY {
                entries.push(None);
                continue;
            }
            let end = offset.checked_add(nbytes);
            match end {
                Some(end) if offset >= data_start && end <= data_end => entries.push(Some((offset, nbytes))),
                _ => {
                    return Err(err(format!(
                        "index entry {i} (offset {offset}, nbytes {nbytes}) lies outside the shard's data \
                         (bytes {data_start}..{})",
                        if data_end == u64::MAX { "?".to_string() } else { data_end.to_string() }
                    )))
                }
            }
        }
        // Entries must not partly overlap: no writer produces that, and a hostile index
        // could make reads fetch the same bytes under many shapes. Entries pointing at
        // exactly the same bytes are allowed: a writer may store identical inner chunks once
        // (the spec does not forbid it), and each still decodes to one inner chunk.
        let mut spans: Vec<(u64, u64)> = entries.iter().flatten().copied().collect();
        spans.sort_unstable();
        spans.dedup();
        for w in spans.windows(2) {
            if w[0].0 + w[0].1 > w[1].0 {
                return Err(err(format!(
                    "index entries overlap (bytes {}..{} and {}..{})",
                    w[0].0,
                    w[0].0 + w[0].1,
                    w[1].0,
                    w[1].0 + w[1].1
                )));
            }
        }
        Ok(ShardIndex { entries })
    }

    fn parse_shard(
        &self,
        shard: &Bytes,
        grid: &[u64],
        options: &CodecOptions,
    ) -> Result<ShardIndex, CodecError> {
        let index_size = self.index_size(grid)?;
        let len = shard.len() as u64;
        if len < index_size {
            return Err(err(format!(
                "the shard has {len} bytes, less than its {index_size}-byte index"
            )));
        }
        let index_bytes = match self.config.index_location {
            IndexLocation::Start => shard.slice(..index_size as usize),
            IndexLocation::End => shard.slice((len - index_size) as usize..),
        };
        self.decode_index(index_bytes, grid, Some(len), options)
    }

    /// The subset (in shard coordinates) of inner chunk `i` (C order).
    fn inner_subset(&self, grid: &[u64], i: usize) -> ArraySubset {
        let idx = order::coords(grid, i);
        let start: Vec<u64> = idx
            .iter()
            .zip(&self.config.chunk_shape)
            .map(|(i, c)| i * c)
            .collect();
        ArraySubset::new_with_shape(self.config.chunk_shape.clone()).offset_by(&start)
    }

    /// Linear indices of the inner chunks intersecting `subset` (shard coordinates).
    fn inner_chunks_in(&self, grid: &[u64], subset: &ArraySubset) -> Vec<usize> {
        if subset.is_empty() {
            return Vec::new();
        }
        let ranges: Vec<_> = subset
            .start()
            .iter()
            .zip(subset.end_exc())
            .zip(&self.config.chunk_shape)
            .map(|((s, e), c)| s / c..(e - 1) / c + 1)
            .collect();
        let Ok(chunks) = ArraySubset::new_with_ranges(&ranges) else {
            return Vec::new();
        };
        chunks
            .indices()
            .map(|idx| {
                let mut lin = 0u64;
                for (g, i) in grid.iter().zip(&idx) {
                    lin = lin * g + i;
                }
                lin as usize
            })
            .collect()
    }

    /// Decode the inner chunks intersecting `region` (shard coordinates) into `output`, a
    /// view whose subset has `region`'s shape. `get(i)` gives inner chunk `i`'s bytes.
    #[allow(clippy::too_many_arguments)]
    fn decode_region_into<'a, F>(
        &self,
        grid: &[u64],
        index: &ShardIndex,
        get: F,
        region: &ArraySubset,
        decoded: &ChunkRepresentation,
        output: &ArrayOutputView<'a>,
        options: &CodecOptions,
    ) -> Result<(), CodecError>
    where
        F: Fn(usize, u64, u64) -> Result<Bytes, CodecError> + Sync,
    {
        let inner_repr = self.inner_repr(decoded);
        let list = self.inner_chunks_in(grid, region);
        let opts =
            options.with_concurrent_target((options.concurrent_target / list.len().max(1)).max(1));
        let work = |&i: &usize| -> Result<(), CodecError> {
            let inner = self.inner_subset(grid, i);
            let overlap = inner.overlap(region);
            let local = overlap.relative_to(inner.start());
            let out_rel = overlap.relative_to(region.start());
            // SAFETY: inner chunks are disjoint, so their overlaps with `region` are
            // disjoint regions of the output view.
            let mut view = unsafe { output.subview(&out_rel) }?;
            match index.entries.get(i).copied().flatten() {
                None => view.fill(decoded.fill_value.as_bytes()),
                Some((o, n)) => {
                    let bytes = get(i, o, n)?;
                    self.inner
                        .decode_into(bytes, &inner_repr, &local, &mut view, &opts)
                }
            }
        };
        if list.len() > 1 && options.concurrent_target > 1 {
            list.par_iter().try_for_each(work)
        } else {
            list.iter().try_for_each(work)
        }
    }

    /// Decode a region of a shard of variable-size elements.
    fn decode_region_variable<F>(
        &self,
        grid: &[u64],
        index: &ShardIndex,
        get: F,
        region: &ArraySubset,
        decoded: &ChunkRepresentation,
        options: &CodecOptions,
    ) -> Result<ArrayBytes, CodecError>
    where
        F: Fn(usize, u64, u64) -> Result<Bytes, CodecError> + Sync,
    {
        let inner_repr = self.inner_repr(decoded);
        let list = self.inner_chunks_in(grid, region);
        let parts: Vec<(ArraySubset, ArrayBytes)> = list
            .iter()
            .map(|&i| {
                let inner = self.inner_subset(grid, i);
                let overlap = inner.overlap(region);
                let local = overlap.relative_to(inner.start());
                let chunk = match index.entries.get(i).copied().flatten() {
                    None => inner_repr.fill()?,
                    Some((o, n)) => self.inner.decode(get(i, o, n)?, &inner_repr, options)?,
                };
                let part =
                    extract_subset(&chunk, &inner_repr.shape, &local, decoded.data_type.size())
                        .map_err(err)?;
                Ok((overlap.relative_to(region.start()), part))
            })
            .collect::<Result<_, CodecError>>()?;
        let region_repr = ChunkRepresentation::new(
            region.shape().to_vec(),
            decoded.data_type.clone(),
            decoded.fill_value.clone(),
        );
        let mut out = region_repr.fill()?;
        for (r, p) in &parts {
            out = update_subset(out, region.shape(), r, p, None).map_err(err)?;
        }
        Ok(out)
    }

    /// Encode a shard from per-inner-chunk encodings (`None`: empty), in C order of the
    /// inner chunk grid; the data section follows `options.subchunk_write_order`.
    fn assemble(
        &self,
        grid: &[u64],
        chunks: &[Option<Vec<u8>>],
        options: &CodecOptions,
    ) -> Result<Vec<u8>, CodecError> {
        let index_size = self.index_size(grid)?;
        let data_len: u64 = chunks.iter().flatten().map(|c| c.len() as u64).sum();
        let order = order::write_order(grid, options.subchunk_write_order)?;
        if order.len() != chunks.len() {
            return Err(CodecError::Internal(format!(
                "sharding: {} inner chunks encoded for a grid of {}",
                chunks.len(),
                order.len()
            )));
        }
        let mut entries = vec![(EMPTY, EMPTY); chunks.len()];
        let mut offset = match self.config.index_location {
            IndexLocation::Start => index_size,
            IndexLocation::End => 0,
        };
        for &i in &order {
            if let Some(c) = &chunks[i] {
                entries[i] = (offset, c.len() as u64);
                offset += c.len() as u64;
            }
        }
        let mut index = Vec::with_capacity(chunks.len() * 16);
        for (o, n) in entries {
            index.extend_from_slice(&o.to_ne_bytes());
            index.extend_from_slice(&n.to_ne_bytes());
        }
        let encoded_index =
            self.index
                .encode(ArrayBytes::Fixed(index), &self.index_repr(grid)?, options)?;
        if encoded_index.len() as u64 != index_size {
            return Err(err("the index codecs produced an index of unexpected size"));
        }
        let mut out = Vec::with_capacity((index_size + data_len) as usize);
        if self.config.index_location == IndexLocation::Start {
            out.extend_from_slice(&encoded_index);
        }
        for &i in &order {
            if let Some(c) = &chunks[i] {
                out.extend_from_slice(c);
            }
        }
        if self.config.index_location == IndexLocation::End {
            out.extend_from_slice(&encoded_index);
        }
        Ok(out)
    }

    fn encode_inner(
        &self,
        chunk: ArrayBytes,
        inner_repr: &ChunkRepresentation,
        options: &CodecOptions,
    ) -> Result<Option<Vec<u8>>, CodecError> {
        if is_fill(&chunk, &inner_repr.fill_value) {
            return Ok(None);
        }
        self.inner.encode(chunk, inner_repr, options).map(Some)
    }
}

impl CodecTraits for ShardingCodec {
    fn name(&self) -> &str {
        NAME
    }

    fn configuration(&self) -> Option<Map<String, Value>> {
        match serde_json::to_value(&*self.config) {
            Ok(Value::Object(m)) => Some(m),
            _ => None,
        }
    }

    fn recommended_concurrency(&self, decoded: &ChunkRepresentation) -> RecommendedConcurrency {
        let n = self
            .grid(&decoded.shape)
            .ok()
            .and_then(|g| Self::num_inner(&g).ok())
            .unwrap_or(1);
        RecommendedConcurrency {
            min: 1,
            max: n.max(1),
        }
    }
}

impl ArrayToBytesCodecTraits for ShardingCodec {
    fn encoded_representation(
        &self,
        decoded: &ChunkRepresentation,
    ) -> Result<BytesRepresentation, CodecError> {
        let grid = self.grid(&decoded.shape)?;
        let inner = self
            .inner
            .encoded_representation(&self.inner_repr(decoded))?;
        let index_size = self.index_size(&grid)?;
        let n = Self::num_inner(&grid)? as u64;
        Ok(match inner.bound() {
            Some(b) => BytesRepresentation::Bounded(index_size.saturating_add(b.saturating_mul(n))),
            None => BytesRepresentation::Unbounded,
        })
    }

    fn encode(
        &self,
        input: ArrayBytes,
        decoded: &ChunkRepresentation,
        options: &CodecOptions,
    ) -> Result<Vec<u8>, CodecError> {
        let grid = self.grid(&decoded.shape)?;
        let n = Self::num_inner(&grid)?;
        let inner_repr = self.inner_repr(decoded);
        let opts = options.with_concurrent_target((options.concurrent_target / n.max(1)).max(1));
        let chunks: Vec<Option<Vec<u8>>> = map_maybe_par(n, options.concurrent_target > 1, |i| {
            let s = self.inner_subset(&grid, i);
            let chunk = extract_subset(&input, &decoded.shape, &s, decoded.data_type.size())
                .map_err(err)?;
            self.encode_inner(chunk, &inner_repr, &opts)
        })?;
        self.assemble(&grid, &chunks, options)
    }

    fn decode(
        &self,
        input: Bytes,
        decoded: &ChunkRepresentation,
        options: &CodecOptions,
    ) -> Result<ArrayBytes, CodecError> {
        match decoded.data_type.size() {
            DataTypeSize::Fixed(elem) => {
                let n = decoded.num_elements_usize()?;
                let total = n.checked_mul(elem).ok_or_else(|| err("shard too large"))?;
                let mut out = zarrkit_core::codec::zeroed_checked(total).ok_or_else(|| {
                    err(format!(
                        "a shard of shape {:?} is too large to allocate",
                        decoded.shape
                    ))
                })?;
                {
                    let mut view = ArrayOutputView::new(&mut out, &decoded.shape, decoded.subset());
                    self.decode_into(input, decoded, &decoded.subset(), &mut view, options)?;
                }
                Ok(ArrayBytes::Fixed(out))
            }
            DataTypeSize::Variable => {
                let grid = self.grid(&decoded.shape)?;
                let index = self.parse_shard(&input, &grid, options)?;
                let get = |_: usize, o: u64, n: u64| Ok(input.slice(o as usize..(o + n) as usize));
                self.decode_region_variable(&grid, &index, get, &decoded.subset(), decoded, options)
            }
        }
    }

    fn decode_into(
        &self,
        input: Bytes,
        decoded: &ChunkRepresentation,
        chunk_subset: &ArraySubset,
        output: &mut ArrayOutputView<'_>,
        options: &CodecOptions,
    ) -> Result<(), CodecError> {
        if chunk_subset.shape() != output.subset().shape() || !chunk_subset.inbounds(&decoded.shape)
        {
            return Err(err(format!(
                "region {chunk_subset} does not fit the shard {:?} or the output region {}",
                decoded.shape,
                output.subset()
            )));
        }
        if decoded.data_type.size() == DataTypeSize::Variable {
            let b = self.decode(input, decoded, options)?;
            return output.write_array_bytes(&b, &decoded.shape, chunk_subset, decoded);
        }
        let grid = self.grid(&decoded.shape)?;
        let index = self.parse_shard(&input, &grid, options)?;
        // Entries were validated against the shard length.
        let get = |_: usize, o: u64, n: u64| Ok(input.slice(o as usize..(o + n) as usize));
        self.decode_region_into(&grid, &index, get, chunk_subset, decoded, output, options)
    }

    fn partial_decode(
        &self,
        decoded: &ChunkRepresentation,
        regions: &[ArraySubset],
        reuse: Option<&ReusableState>,
        options: &CodecOptions,
    ) -> Result<Option<Box<dyn PartialDecode>>, CodecError> {
        let grid = self.grid(&decoded.shape)?;
        for r in regions {
            if !r.inbounds(&decoded.shape) {
                return Err(CodecError::unsupported(
                    NAME,
                    format!("region {r} is outside the shard {:?}", decoded.shape),
                ));
            }
        }
        let index = reuse.and_then(ReusableState::get::<ShardIndex>);
        Ok(Some(Box::new(ShardingPartial {
            codec: self.clone(),
            decoded: decoded.clone(),
            grid,
            regions: regions.to_vec(),
            options: *options,
            reused: index.is_some(),
            index,
            reads: Vec::new(),
            fills: Vec::new(),
            pending: None,
        })))
    }

    fn inner_chunk_shape(&self, _decoded: &ChunkRepresentation) -> Option<Vec<u64>> {
        Some(self.config.chunk_shape.clone())
    }

    fn encode_partial(
        &self,
        existing: Option<Bytes>,
        updates: &[(ArraySubset, ArrayBytes)],
        decoded: &ChunkRepresentation,
        options: &CodecOptions,
    ) -> Result<Option<Vec<u8>>, CodecError> {
        let grid = self.grid(&decoded.shape)?;
        let n = Self::num_inner(&grid)?;
        let inner_repr = self.inner_repr(decoded);
        let index = match &existing {
            Some(shard) => Some(self.parse_shard(shard, &grid, options)?),
            None => None,
        };
        for (r, _) in updates {
            if !r.inbounds(&decoded.shape) {
                return Err(err(format!(
                    "update region {r} is outside the shard {:?}",
                    decoded.shape
                )));
            }
        }
        let opts = options.with_concurrent_target(1);
        let old = |i: usize| -> Option<Bytes> {
            let (o, l) = index.as_ref()?.entries.get(i).copied().flatten()?;
            existing
                .as_ref()
                .map(|s| s.slice(o as usize..(o + l) as usize))
        };
        let chunks: Vec<Option<Vec<u8>>> = map_maybe_par(n, options.concurrent_target > 1, |i| {
            let s = self.inner_subset(&grid, i);
            let touching: Vec<&(ArraySubset, ArrayBytes)> = updates
                .iter()
                .filter(|(r, _)| !r.overlap(&s).is_empty())
                .collect();
            if touching.is_empty() {
                return Ok(old(i).map(Vec::from));
            }
            // Start from the old inner chunk unless one update covers all of it.
            let covered = touching.iter().any(|(r, _)| r.overlap(&s) == s);
            let mut chunk = match (covered, old(i)) {
                (false, Some(b)) => self.inner.decode(b, &inner_repr, &opts)?,
                _ => inner_repr.fill()?,
            };
            for (r, b) in touching {
                let ov = r.overlap(&s);
                let part = extract_subset(
                    b,
                    r.shape(),
                    &ov.relative_to(r.start()),
                    decoded.data_type.size(),
                )
                .map_err(err)?;
                chunk = update_subset(
                    chunk,
                    &inner_repr.shape,
                    &ov.relative_to(s.start()),
                    &part,
                    decoded.element_size(),
                )
                .map_err(err)?;
            }
            self.encode_inner(chunk, &inner_repr, &opts)
        })?;
        if !options.store_empty_chunks && chunks.iter().all(Option::is_none) {
            return Ok(None);
        }
        self.assemble(&grid, &chunks, options).map(Some)
    }
}

/// Map `0..n` in parallel on the pool when `par`, else on this thread. Partial writes run
/// under the array's chunk lock with `par` false, so a lock holder never waits on the pool.
fn map_maybe_par<T, F>(n: usize, par: bool, f: F) -> Result<Vec<T>, CodecError>
where
    T: Send,
    F: Fn(usize) -> Result<T, CodecError> + Sync + Send,
{
    if par {
        (0..n).into_par_iter().map(f).collect()
    } else {
        (0..n).map(f).collect()
    }
}

/// One inner chunk a partial read needs: where it is in the shard, its own partial decode
/// (the inner chain's: the whole inner chunk, or for nested sharding its index and the
/// inner-inner chunks), and where each of its regions goes in the outputs.
struct InnerRead {
    offset: u64,
    nbytes: u64,
    machine: Box<dyn PartialDecode>,
    /// The ranges the machine asks for next (relative to the inner chunk), or `None` once it
    /// is ready.
    need: Option<Vec<ByteRange>>,
    /// `(output, region of that output)` for each of the machine's regions.
    targets: Vec<(usize, ArraySubset)>,
}

/// The partial decode of regions of a shard: the index (one range, or none when a cached
/// index of the same version is reused), then every needed inner chunk's requests translated
/// into ranges of the shard and coalesced into one request per round.
struct ShardingPartial {
    codec: ShardingCodec,
    decoded: ChunkRepresentation,
    grid: Vec<u64>,
    regions: Vec<ArraySubset>,
    options: CodecOptions,
    index: Option<Arc<ShardIndex>>,
    /// Whether the index came from a cache (then it is not offered for caching again).
    reused: bool,
    reads: Vec<InnerRead>,
    /// Empty inner chunks' parts of the outputs: filled with the fill value.
    fills: Vec<(usize, ArraySubset)>,
    /// The last request: the coalesced plan and, per read, how many of its items it holds.
    pending: Option<(Coalesced, Vec<(usize, usize)>)>,
}

impl ShardingPartial {
    fn index_range(&self) -> Result<ByteRange, CodecError> {
        let index_size = self.codec.index_size(&self.grid)?;
        Ok(match self.codec.config.index_location {
            IndexLocation::Start => ByteRange::FromStart(0, Some(index_size)),
            IndexLocation::End => ByteRange::Suffix(index_size),
        })
    }

    /// Once the index is known: one read per needed inner chunk, empty ones filled.
    fn plan_inner(&mut self) -> Result<PartialStep, CodecError> {
        let index = self
            .index
            .clone()
            .ok_or_else(|| CodecError::Internal("sharding: no index".into()))?;
        let inner_repr = self.codec.inner_repr(&self.decoded);
        let mut by_chunk: std::collections::BTreeMap<
            usize,
            Vec<(usize, ArraySubset, ArraySubset)>,
        > = std::collections::BTreeMap::new();
        for (k, region) in self.regions.iter().enumerate() {
            for i in self.codec.inner_chunks_in(&self.grid, region) {
                let inner = self.codec.inner_subset(&self.grid, i);
                let overlap = inner.overlap(region);
                by_chunk.entry(i).or_default().push((
                    k,
                    overlap.relative_to(inner.start()),
                    overlap.relative_to(region.start()),
                ));
            }
        }
        let n = by_chunk.len().max(1);
        let opts = self
            .options
            .with_concurrent_target((self.options.concurrent_target / n).max(1));
        for (i, parts) in by_chunk {
            match index.entries.get(i).copied().flatten() {
                None => self
                    .fills
                    .extend(parts.into_iter().map(|(k, _, out)| (k, out))),
                Some((offset, nbytes)) => {
                    let locals: Vec<ArraySubset> = parts.iter().map(|p| p.1.clone()).collect();
                    let mut machine =
                        self.codec
                            .inner
                            .partial_decode(&inner_repr, &locals, None, &opts)?;
                    let need = match machine.start()? {
                        PartialStep::Need(r) => Some(r),
                        PartialStep::Ready => None,
                    };
                    self.reads.push(InnerRead {
                        offset,
                        nbytes,
                        machine,
                        need,
                        targets: parts.into_iter().map(|(k, _, out)| (k, out)).collect(),
                    });
                }
            }
        }
        self.next_request()
    }

    /// Every pending inner request as ranges of the shard, coalesced.
    fn next_request(&mut self) -> Result<PartialStep, CodecError> {
        let mut items: Vec<(u64, u64)> = Vec::new();
        let mut owners: Vec<(usize, usize)> = Vec::new();
        for (ri, read) in self.reads.iter().enumerate() {
            let Some(need) = &read.need else { continue };
            for r in need {
                let within = r.within(read.offset, read.nbytes).ok_or_else(|| {
                    err(format!(
                        "an inner chunk of {} bytes was asked for range {r}",
                        read.nbytes
                    ))
                })?;
                let ByteRange::FromStart(o, Some(l)) = within else {
                    return Err(CodecError::Internal("sharding: unresolved range".into()));
                };
                items.push((o, l));
            }
            owners.push((ri, need.len()));
        }
        if owners.is_empty() {
            self.pending = None;
            return Ok(PartialStep::Ready);
        }
        let plan = coalesce(&items, self.codec.max_gap);
        let requests = plan.requests.clone();
        self.pending = Some((plan, owners));
        Ok(PartialStep::Need(requests))
    }

    /// Hand each inner read its bytes of the shard's answer.
    fn supply_inner(&mut self, bytes: Vec<Bytes>) -> Result<PartialStep, CodecError> {
        let (plan, owners) = self
            .pending
            .take()
            .ok_or_else(|| CodecError::Internal("sharding: bytes for no request".into()))?;
        if bytes.len() != plan.requests.len() {
            return Err(err("the store returned the wrong number of byte ranges"));
        }
        let mut item = 0usize;
        for (ri, count) in owners {
            let parts = (item..item + count)
                .map(|i| plan.take(&bytes, i, NAME))
                .collect::<Result<Vec<_>, _>>()?;
            item += count;
            let read = &mut self.reads[ri];
            read.need = match read.machine.supply(parts, read.nbytes)? {
                PartialStep::Need(r) => Some(r),
                PartialStep::Ready => None,
            };
        }
        self.next_request()
    }
}

impl PartialDecode for ShardingPartial {
    fn start(&mut self) -> Result<PartialStep, CodecError> {
        if self.index.is_some() {
            return self.plan_inner();
        }
        Ok(PartialStep::Need(vec![self.index_range()?]))
    }

    fn supply(&mut self, mut bytes: Vec<Bytes>, size: u64) -> Result<PartialStep, CodecError> {
        if self.index.is_some() {
            return self.supply_inner(bytes);
        }
        let index_bytes = match (bytes.pop(), bytes.is_empty()) {
            (Some(b), true) => b,
            _ => return Err(CodecError::Internal("sharding: one index range".into())),
        };
        let index = self
            .codec
            .decode_index(index_bytes, &self.grid, Some(size), &self.options)?;
        self.index = Some(Arc::new(index));
        self.plan_inner()
    }

    fn finish_into(self: Box<Self>, outputs: &mut [ArrayOutputView<'_>]) -> Result<(), CodecError> {
        check_outputs(&self.regions, outputs, NAME)?;
        let outputs: &[ArrayOutputView<'_>] = outputs;
        let fill = self.decoded.fill_value.as_bytes().to_vec();
        for (k, out) in &self.fills {
            // SAFETY: the inner chunks of a shard are disjoint, so their overlaps with one
            // region are disjoint parts of that region's output.
            let mut view = unsafe { outputs[*k].subview(out) }?;
            view.fill(&fill)?;
        }
        let work = |read: InnerRead| -> Result<(), CodecError> {
            let mut views = read
                .targets
                .iter()
                // SAFETY: as above.
                .map(|(k, out)| unsafe { outputs[*k].subview(out) })
                .collect::<Result<Vec<_>, _>>()?;
            read.machine.finish_into(&mut views)
        };
        if self.reads.len() > 1 && self.options.concurrent_target > 1 {
            self.reads.into_par_iter().try_for_each(work)
        } else {
            self.reads.into_iter().try_for_each(work)
        }
    }

    fn finish(self: Box<Self>) -> Result<Vec<ArrayBytes>, CodecError> {
        if let DataTypeSize::Fixed(elem) = self.decoded.data_type.size() {
            let regions = self.regions.clone();
            return finish_via_views(self, &regions, elem);
        }
        let inner_repr = self.codec.inner_repr(&self.decoded);
        let mut parts: Vec<Vec<(ArraySubset, ArrayBytes)>> = vec![Vec::new(); self.regions.len()];
        for (k, out) in &self.fills {
            let repr = ChunkRepresentation::new(
                out.shape().to_vec(),
                inner_repr.data_type.clone(),
                inner_repr.fill_value.clone(),
            );
            parts[*k].push((out.clone(), repr.fill()?));
        }
        for read in self.reads {
            let decoded = read.machine.finish()?;
            for ((k, out), b) in read.targets.into_iter().zip(decoded) {
                parts[k].push((out, b));
            }
        }
        self.regions
            .iter()
            .zip(parts)
            .map(|(r, p)| assemble_variable(r.shape(), &p).map_err(err))
            .collect()
    }

    /// The inner chunks' decodes and the fills (unknown until the index is read).
    fn cost(&self) -> u64 {
        if self.index.is_none() {
            return u64::MAX;
        }
        let fills: u64 = self
            .fills
            .iter()
            .map(|(_, r)| {
                r.num_elements()
                    .saturating_mul(self.decoded.fill_value.size() as u64)
            })
            .sum();
        self.reads
            .iter()
            .fold(fills, |a, r| a.saturating_add(r.machine.cost()))
    }

    fn reusable(&self) -> Option<ReusableState> {
        if self.reused {
            return None;
        }
        let index = self.index.clone()?;
        let size = index.entries.len() * std::mem::size_of::<Option<(u64, u64)>>();
        Some(ReusableState::new(index, size))
    }
}

fn create(metadata: &MetadataV3) -> Result<Codec, PluginError> {
    let c: ShardingCodecConfiguration = metadata
        .to_configuration()
        .map_err(|e| PluginError::config(ExtensionKind::Codec, metadata.name(), e))?;
    Ok(Codec::ArrayToBytes(Arc::new(ShardingCodec::new(c)?)))
}

zarrkit_core::inventory::submit! {
    CodecPlugin::new(NAME, create)
}

mod order;
#[cfg(test)]
mod tests;
