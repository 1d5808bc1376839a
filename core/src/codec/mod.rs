//! The codec extension point: three traits by what a codec transforms, the chunk and bytes
//! representations they are bound to, partial decoders, and the [`CodecChain`].
//!
//! Codecs are pure CPU work. They never touch a store: a partial decode is a state machine
//! ([`PartialDecode`]) that says which byte ranges of its input it needs and is handed them,
//! so one codec serves the sync and the async drivers alike.

mod chain;
mod partial;
mod ranges;
pub mod vlen;

use std::fmt::Debug;
use std::sync::Arc;

pub use bytes::Bytes;
pub use chain::{take_whole_value, whole_value_range, CodecChain};
pub use partial::{
    check_outputs, decode_from_memory, extract_regions, finish_via_views, run_from_memory,
    slice_ranges, write_regions, PartialDecode, PartialStep, ReusableState,
};
pub use ranges::{coalesce, Coalesced};

use crate::array_bytes::ArrayBytes;
use crate::config::CodecOptions;
use crate::data_type::{DataType, DataTypeSize};
use crate::error::CodecError;
use crate::fill_value::FillValue;
use crate::storage::ByteRange;
use crate::subset::ArraySubset;

/// What an array→array or array→bytes codec is bound to: the chunk shape, data type and fill
/// value of the data it decodes to.
#[derive(Debug, Clone)]
pub struct ChunkRepresentation {
    /// The chunk shape.
    pub shape: Vec<u64>,
    /// The data type.
    pub data_type: DataType,
    /// The fill value.
    pub fill_value: FillValue,
}

impl ChunkRepresentation {
    /// Create a representation.
    pub fn new(shape: Vec<u64>, data_type: DataType, fill_value: FillValue) -> Self {
        Self {
            shape,
            data_type,
            fill_value,
        }
    }

    /// The number of elements (saturating).
    pub fn num_elements(&self) -> u64 {
        self.shape.iter().fold(1u64, |a, &b| a.saturating_mul(b))
    }

    /// The number of elements as usize, or an error if it does not fit.
    pub fn num_elements_usize(&self) -> Result<usize, CodecError> {
        self.shape
            .iter()
            .try_fold(1u64, |a, &b| a.checked_mul(b))
            .and_then(|n| usize::try_from(n).ok())
            .ok_or_else(|| {
                CodecError::new(
                    "chunk",
                    format!("chunk shape {:?} is too large", self.shape),
                )
            })
    }

    /// The fixed element size, if the data type has one.
    pub fn element_size(&self) -> Option<usize> {
        self.data_type.size().fixed()
    }

    /// The decoded size in bytes of a fixed-size chunk.
    pub fn fixed_size(&self) -> Option<u64> {
        let s = self.element_size()? as u64;
        self.num_elements().checked_mul(s)
    }

    /// The whole chunk as a subset.
    pub fn subset(&self) -> ArraySubset {
        ArraySubset::new_with_shape(self.shape.clone())
    }

    /// A chunk of this representation filled with the fill value.
    pub fn fill(&self) -> Result<ArrayBytes, CodecError> {
        let n = self.num_elements_usize()?;
        let fv = self.fill_value.as_bytes();
        let total = n.checked_mul(fv.len()).ok_or_else(|| self.too_large())?;
        let bytes = repeat_checked(fv, n, total).ok_or_else(|| self.too_large())?;
        Ok(match self.data_type.size() {
            DataTypeSize::Fixed(_) => ArrayBytes::Fixed(bytes),
            DataTypeSize::Variable => {
                let mut offsets = Vec::new();
                offsets
                    .try_reserve_exact(n + 1)
                    .map_err(|_| self.too_large())?;
                offsets.extend((0..=n).map(|i| i * fv.len()));
                ArrayBytes::Variable { bytes, offsets }
            }
        })
    }

    fn too_large(&self) -> CodecError {
        CodecError::new(
            "chunk",
            format!(
                "a chunk of shape {:?} ({}) is too large to allocate",
                self.shape,
                self.data_type.name()
            ),
        )
    }
}

/// Give the unused tail of a compressor's worst-case output buffer back when the buffer is
/// small (realloc shrinks it in place). A shard keeps all its encoded inner chunks alive until
/// it is assembled, and worst-case-sized buffers doubled that memory: the allocator returned
/// and re-faulted pages shard after shard (a sharded write took 2.5x the page faults and 20 %
/// longer). Buffers above 1 MiB are freed soon after and shrinking them costs more than it
/// saves.
pub fn shrink_encoded(out: &mut Vec<u8>) {
    const SHRINK_BELOW: usize = 1 << 20;
    if out.capacity() <= SHRINK_BELOW {
        out.shrink_to_fit();
    }
}

/// `value` repeated `n` times (`total` = n * value.len() bytes), or `None` if the memory
/// cannot be reserved — an error to report, never an abort.
pub fn repeat_checked(value: &[u8], n: usize, total: usize) -> Option<Vec<u8>> {
    if value.iter().all(|&b| b == 0) {
        return zeroed_checked(total);
    }
    if n.checked_mul(value.len()) != Some(total) {
        return None;
    }
    let mut v = Vec::new();
    v.try_reserve_exact(total).ok()?;
    v.extend_from_slice(value);
    // Doubling copies: log2(n) memcpy calls instead of one call per element.
    while v.len() < total {
        let k = v.len().min(total - v.len());
        v.extend_from_within(..k);
    }
    Some(v)
}

/// The bytes as a `Vec`, without a copy when nothing else holds them (a buffer decoded or
/// read for this chunk alone); otherwise copied into a fallibly allocated `Vec` (a slice of
/// a shard, a cached value): a refused allocation is an error of codec `codec`, never an
/// abort.
pub fn vec_from_bytes(bytes: Bytes, codec: &str) -> Result<Vec<u8>, CodecError> {
    if bytes.is_unique() {
        return Ok(Vec::from(bytes));
    }
    let mut v = Vec::new();
    v.try_reserve_exact(bytes.len())
        .map_err(|e| CodecError::allocation(codec, format!("{} bytes: {e}", bytes.len())))?;
    v.extend_from_slice(&bytes);
    Ok(v)
}

/// `n` zero bytes for codec `codec`, or an allocation error naming it.
pub fn zeroed_for(n: usize, codec: &str) -> Result<Vec<u8>, CodecError> {
    zeroed_checked(n).ok_or_else(|| CodecError::allocation(codec, format!("{n} bytes")))
}

/// `total` zero bytes, or `None` if the memory cannot be allocated. Allocated zeroed
/// (`calloc`): large buffers come from the OS already zero, so nothing is written until the
/// caller fills them — no `memset` pass over a whole output array before decoding into it.
pub fn zeroed_checked(total: usize) -> Option<Vec<u8>> {
    if total == 0 {
        return Some(Vec::new());
    }
    let layout = std::alloc::Layout::array::<u8>(total).ok()?;
    // SAFETY: `layout` has a non-zero size.
    let ptr = unsafe { std::alloc::alloc_zeroed(layout) };
    if ptr.is_null() {
        return None;
    }
    // SAFETY: `ptr` was allocated by the global allocator with the layout of a `[u8]` of
    // capacity `total`, and all `total` bytes are initialised (zero).
    Some(unsafe { Vec::from_raw_parts(ptr, total, total) })
}

/// The size of encoded bytes, as far as it is known before encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BytesRepresentation {
    /// Exactly this many bytes.
    Fixed(u64),
    /// At most this many bytes.
    Bounded(u64),
    /// Unknown.
    Unbounded,
}

impl BytesRepresentation {
    /// The exact or maximum size, if known.
    pub fn bound(&self) -> Option<u64> {
        match self {
            Self::Fixed(n) | Self::Bounded(n) => Some(*n),
            Self::Unbounded => None,
        }
    }
}

/// How many threads a codec can use on one chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecommendedConcurrency {
    /// Minimum useful.
    pub min: usize,
    /// Maximum useful.
    pub max: usize,
}

impl RecommendedConcurrency {
    /// Exactly one thread.
    pub const ONE: Self = Self { min: 1, max: 1 };
}

/// What every codec has.
pub trait CodecTraits: Send + Sync + Debug {
    /// The V3 name written to new metadata. (Metadata that was read keeps the name it was
    /// read under: the chain records it.)
    fn name(&self) -> &str;

    /// The V3 configuration written to new metadata (`None`: no configuration member).
    fn configuration(&self) -> Option<serde_json::Map<String, serde_json::Value>>;

    /// The Zarr V2 (numcodecs) configuration of this codec, `id` included, when the codec
    /// can be written as a V2 filter or compressor. The default `None` lets the core try the
    /// plugin's numcodecs id with the V3 configuration and keep it only if the plugin's
    /// `create_v2` gives back an identical codec; a codec whose numcodecs configuration
    /// differs from its V3 one (e.g. blosc's `shuffle`) implements this.
    fn configuration_v2(&self) -> Option<serde_json::Map<String, serde_json::Value>> {
        None
    }

    /// How many threads this codec can use for one chunk.
    fn recommended_concurrency(&self, _decoded: &ChunkRepresentation) -> RecommendedConcurrency {
        RecommendedConcurrency::ONE
    }
}

/// An array→array codec (transpose, bitround, ...).
pub trait ArrayToArrayCodecTraits: CodecTraits {
    /// The representation of the encoded array, given the decoded one. Errors when the codec
    /// cannot handle it (wrong rank, unsupported data type).
    fn encoded_representation(
        &self,
        decoded: &ChunkRepresentation,
    ) -> Result<ChunkRepresentation, CodecError>;

    /// Encode.
    fn encode(
        &self,
        input: ArrayBytes,
        decoded: &ChunkRepresentation,
        options: &CodecOptions,
    ) -> Result<ArrayBytes, CodecError>;

    /// Decode into the decoded representation.
    fn decode(
        &self,
        input: ArrayBytes,
        decoded: &ChunkRepresentation,
        options: &CodecOptions,
    ) -> Result<ArrayBytes, CodecError>;

    /// Capability: region-local decoding. The region of the *encoded* array that holds the
    /// decoded `region`, such that decoding those encoded elements alone (as an array of that
    /// region's shape, with this codec's [`Self::decode`]) gives the decoded region — the
    /// region itself for element-wise codecs (bitround, scale/offset), its permutation for
    /// transpose. `None` (the default): decoding needs the whole chunk (delta).
    fn encoded_region(
        &self,
        _region: &ArraySubset,
        _decoded: &ChunkRepresentation,
    ) -> Option<ArraySubset> {
        None
    }
}

/// An array→bytes codec (bytes, sharding_indexed, vlen-*, ...).
pub trait ArrayToBytesCodecTraits: CodecTraits {
    /// The representation of the encoded bytes. Errors when the codec cannot handle the
    /// decoded representation.
    fn encoded_representation(
        &self,
        decoded: &ChunkRepresentation,
    ) -> Result<BytesRepresentation, CodecError>;

    /// Encode.
    fn encode(
        &self,
        input: ArrayBytes,
        decoded: &ChunkRepresentation,
        options: &CodecOptions,
    ) -> Result<Vec<u8>, CodecError>;

    /// Decode. The result must have exactly the size of `decoded`.
    fn decode(
        &self,
        input: Bytes,
        decoded: &ChunkRepresentation,
        options: &CodecOptions,
    ) -> Result<ArrayBytes, CodecError>;

    /// Decode the region `chunk_subset` of the chunk straight into an output view (whose
    /// subset has the same shape). The default decodes then copies.
    fn decode_into(
        &self,
        input: Bytes,
        decoded: &ChunkRepresentation,
        chunk_subset: &ArraySubset,
        output: &mut ArrayOutputView<'_>,
        options: &CodecOptions,
    ) -> Result<(), CodecError> {
        let bytes = self.decode(input, decoded, options)?;
        output.write_array_bytes(&bytes, &decoded.shape, chunk_subset, decoded)
    }

    /// Capability: a partial decode of `regions` of a chunk that reads only the byte ranges
    /// it needs — a sans-I/O state machine ([`PartialDecode`]) that asks for ranges of its
    /// input and is handed them. `reuse` is state an earlier decode of the same stored value
    /// left ([`PartialDecode::reusable`], e.g. a decoded shard index). `None` (the default):
    /// the chain fetches and decodes the whole chunk.
    fn partial_decode(
        &self,
        _decoded: &ChunkRepresentation,
        _regions: &[ArraySubset],
        _reuse: Option<&ReusableState>,
        _options: &CodecOptions,
    ) -> Result<Option<Box<dyn PartialDecode>>, CodecError> {
        Ok(None)
    }

    /// Capability: the shape of the inner chunks this codec divides a chunk into (sharding),
    /// or `None`.
    fn inner_chunk_shape(&self, _decoded: &ChunkRepresentation) -> Option<Vec<u64>> {
        None
    }

    /// Capability: whether the encoding of a chunk of `decoded` is exactly its decoded bytes
    /// (fixed-size elements, C order, native byte order). A reader may then read a stored
    /// chunk straight into its place in the output, with no decoding and no intermediate
    /// buffer (`bytes` in the machine's byte order). The default is `false`.
    fn is_identity(&self, _decoded: &ChunkRepresentation) -> bool {
        false
    }

    /// Update regions of an encoded chunk: `existing` is the stored encoding (or `None` if
    /// the chunk is not stored) and `updates` the new elements of regions of the chunk
    /// (disjoint, relative to the chunk). Returns the new encoding, or `None` when every
    /// element now equals the fill value (the chunk should be erased). The default decodes,
    /// updates and re-encodes everything; sharding re-encodes only the inner chunks touched.
    fn encode_partial(
        &self,
        existing: Option<Bytes>,
        updates: &[(ArraySubset, ArrayBytes)],
        decoded: &ChunkRepresentation,
        options: &CodecOptions,
    ) -> Result<Option<Vec<u8>>, CodecError> {
        let mut chunk = match existing {
            Some(e) => self.decode(e, decoded, options)?,
            None => decoded.fill()?,
        };
        for (region, bytes) in updates {
            chunk = crate::array_bytes::update_subset(
                chunk,
                &decoded.shape,
                region,
                bytes,
                decoded.element_size(),
            )
            .map_err(|e| CodecError::new(self.name(), e))?;
        }
        if !options.store_empty_chunks && crate::array_bytes::is_fill(&chunk, &decoded.fill_value) {
            return Ok(None);
        }
        self.encode(chunk, decoded, options).map(Some)
    }
}

/// A bytes→bytes codec (compressors, checksums).
pub trait BytesToBytesCodecTraits: CodecTraits {
    /// The representation of the encoded bytes given the decoded one.
    fn encoded_representation(&self, decoded: &BytesRepresentation) -> BytesRepresentation;

    /// Encode.
    fn encode(&self, input: Vec<u8>, options: &CodecOptions) -> Result<Vec<u8>, CodecError>;

    /// Decode. `decoded` bounds the output: a codec must not allocate more than its bound
    /// (plus a small constant) whatever the input claims, and must error if the output
    /// would exceed it. A codec that only strips bytes (a checksum) returns a slice of its
    /// input, without a copy.
    fn decode(
        &self,
        input: Bytes,
        decoded: &BytesRepresentation,
        options: &CodecOptions,
    ) -> Result<Bytes, CodecError>;

    /// Decode only `ranges` of the decoded bytes from the whole encoded input. The default
    /// decodes everything and slices (no copy); zstd decodes only the frame prefix that
    /// holds the ranges and blosc only the blocks (see [`Self::decodes_ranges_cheaply`]).
    fn decode_ranges(
        &self,
        input: Bytes,
        ranges: &[ByteRange],
        decoded: &BytesRepresentation,
        options: &CodecOptions,
    ) -> Result<Vec<Bytes>, CodecError> {
        let all = self.decode(input, decoded, options)?;
        slice_ranges(&all, ranges, self.name())
    }

    /// Capability: whether [`Self::decode_ranges`] can do less work than a full decode for
    /// data that decodes to `decoded`. The chain decodes part of a chunk through a partial
    /// decode only when it can; otherwise a whole decode and one strided copy is cheaper.
    fn decodes_ranges_cheaply(&self, _decoded: &BytesRepresentation) -> bool {
        false
    }

    /// Capability: decode the whole `input` straight into `output`, whose length is the
    /// exact decoded size (the chain uses it when the array→bytes codec after it
    /// [`is_identity`](ArrayToBytesCodecTraits::is_identity) and the chunk is contiguous in the
    /// read's output, so no intermediate buffer or copy is needed). Must error if the input decodes to any other size; `output` may hold
    /// anything after an error. `Ok(false)` (the default): not supported, nothing written.
    fn decode_into_slice(
        &self,
        _input: &[u8],
        _output: &mut [u8],
        _options: &CodecOptions,
    ) -> Result<bool, CodecError> {
        Ok(false)
    }
}

/// A codec of one of the three kinds.
#[derive(Debug, Clone)]
pub enum Codec {
    /// array→array.
    ArrayToArray(Arc<dyn ArrayToArrayCodecTraits>),
    /// array→bytes.
    ArrayToBytes(Arc<dyn ArrayToBytesCodecTraits>),
    /// bytes→bytes.
    BytesToBytes(Arc<dyn BytesToBytesCodecTraits>),
}

impl Codec {
    /// The codec's V3 name.
    pub fn name(&self) -> &str {
        match self {
            Self::ArrayToArray(c) => c.name(),
            Self::ArrayToBytes(c) => c.name(),
            Self::BytesToBytes(c) => c.name(),
        }
    }

    /// The codec's own Zarr V2 configuration, if it declares one (see
    /// [`CodecTraits::configuration_v2`]).
    pub fn configuration_v2(&self) -> Option<serde_json::Map<String, serde_json::Value>> {
        match self {
            Self::ArrayToArray(c) => c.configuration_v2(),
            Self::ArrayToBytes(c) => c.configuration_v2(),
            Self::BytesToBytes(c) => c.configuration_v2(),
        }
    }

    /// The codec's metadata (name and configuration).
    pub fn metadata(&self) -> crate::metadata::MetadataV3 {
        let (name, conf) = match self {
            Self::ArrayToArray(c) => (c.name(), c.configuration()),
            Self::ArrayToBytes(c) => (c.name(), c.configuration()),
            Self::BytesToBytes(c) => (c.name(), c.configuration()),
        };
        match conf {
            Some(c) => crate::metadata::MetadataV3::new_with_configuration(name, c),
            None => crate::metadata::MetadataV3::new(name),
        }
    }
}

/// A writable view of a region (`subset`) of a C-order output buffer of shape `shape`,
/// into which a chunk decodes directly. Several views of disjoint regions of one buffer may
/// be used from several threads.
pub struct ArrayOutputView<'a> {
    ptr: *mut u8,
    len: usize,
    shape: &'a [u64],
    subset: ArraySubset,
    _marker: std::marker::PhantomData<&'a mut [u8]>,
}

// SAFETY: views are only created over disjoint regions (see `new_unchecked`).
unsafe impl Send for ArrayOutputView<'_> {}
// SAFETY: as above.
unsafe impl Sync for ArrayOutputView<'_> {}

impl<'a> ArrayOutputView<'a> {
    /// A view of the whole of `buffer` region `subset`.
    pub fn new(buffer: &'a mut [u8], shape: &'a [u64], subset: ArraySubset) -> Self {
        Self {
            ptr: buffer.as_mut_ptr(),
            len: buffer.len(),
            shape,
            subset,
            _marker: std::marker::PhantomData,
        }
    }

    /// A view from a raw buffer.
    ///
    /// # Safety
    /// `ptr..ptr+len` must be valid for writes for `'a`, and no two views used concurrently
    /// may have overlapping subsets.
    pub unsafe fn new_unchecked(
        ptr: *mut u8,
        len: usize,
        shape: &'a [u64],
        subset: ArraySubset,
    ) -> Self {
        Self {
            ptr,
            len,
            shape,
            subset,
            _marker: std::marker::PhantomData,
        }
    }

    /// A view of `region` (relative to this view's subset) of the same output buffer.
    ///
    /// # Safety
    /// Views used concurrently must cover disjoint regions, and `region` must lie inside
    /// this view's subset.
    pub unsafe fn subview(&self, region: &ArraySubset) -> Result<ArrayOutputView<'a>, CodecError> {
        if !region.inbounds(self.subset.shape()) {
            return Err(CodecError::new(
                "output",
                format!(
                    "region {region} is outside the output region {}",
                    self.subset
                ),
            ));
        }
        Ok(ArrayOutputView {
            ptr: self.ptr,
            len: self.len,
            shape: self.shape,
            subset: region.offset_by(self.subset.start()),
            _marker: std::marker::PhantomData,
        })
    }

    /// The region of the output this view covers.
    pub fn subset(&self) -> &ArraySubset {
        &self.subset
    }

    /// The shape of the whole output buffer.
    pub fn shape(&self) -> &[u64] {
        self.shape
    }

    /// The view's bytes as one slice, when its subset is one contiguous run of the output
    /// buffer (`elem` bytes per element), e.g. a chunk spanning the trailing dimensions of
    /// the output; `None` otherwise or if the subset does not fit the buffer.
    pub fn contiguous_mut(&mut self, elem: usize) -> Option<&mut [u8]> {
        let r = crate::subset::contiguous_range(self.len, self.shape, &self.subset, elem)?;
        // SAFETY: `r` lies inside the buffer (checked by `contiguous_range`) and is exactly
        // this view's subset, to which the constructor's contract gives exclusive access;
        // the borrow of `self` keeps the view from being used meanwhile.
        Some(unsafe { std::slice::from_raw_parts_mut(self.ptr.add(r.start), r.len()) })
    }

    /// Copy a decoded region (`src` of shape `src_shape`, region `src_subset`, same shape
    /// as this view's subset) into the view.
    pub fn write_region(
        &mut self,
        src: &[u8],
        src_shape: &[u64],
        src_subset: &ArraySubset,
        elem: usize,
    ) -> Result<(), CodecError> {
        // Every bound is checked here, with overflow-checked arithmetic, so the raw copy
        // below stays inside both buffers whatever the caller passes.
        let bytes_of = |shape: &[u64]| -> Option<u64> {
            shape.iter().try_fold(elem as u64, |a, &b| a.checked_mul(b))
        };
        let fits = src_subset.shape() == self.subset.shape()
            && src_subset.inbounds(src_shape)
            && self.subset.inbounds(self.shape)
            && bytes_of(src_shape).is_some_and(|n| n <= src.len() as u64)
            && bytes_of(self.shape).is_some_and(|n| n <= self.len as u64);
        if !fits {
            return Err(CodecError::new(
                "output",
                format!(
                    "region {src_subset} of shape {src_shape:?} ({} bytes) does not fit output region {} of shape {:?}",
                    src.len(),
                    self.subset,
                    self.shape
                ),
            ));
        }
        // SAFETY: the constructor's contract: exclusive access to our subset of the buffer.
        unsafe {
            crate::subset::copy_subset_raw(
                src,
                src_shape,
                src_subset,
                self.ptr,
                self.len,
                self.shape,
                &self.subset,
                elem,
            );
        }
        Ok(())
    }

    /// Copy region `src_subset` of decoded chunk bytes (of shape `src_shape`) into the view.
    pub fn write_array_bytes(
        &mut self,
        bytes: &ArrayBytes,
        src_shape: &[u64],
        src_subset: &ArraySubset,
        decoded: &ChunkRepresentation,
    ) -> Result<(), CodecError> {
        let ArrayBytes::Fixed(b) = bytes else {
            return Err(CodecError::Unsupported {
                codec: "output".into(),
                message: "variable-size data cannot be decoded into a fixed buffer".into(),
            });
        };
        let elem = decoded.element_size().unwrap_or(1);
        self.write_region(b, src_shape, src_subset, elem)
    }

    /// The view's bytes as disjoint runs of contiguous output bytes, in C order of the view's
    /// subset (`elem` bytes per element): reading a chunk's bytes into the runs one after
    /// another puts every element in its place.
    pub fn runs_mut(&mut self, elem: usize) -> Result<Vec<&mut [u8]>, CodecError> {
        let plan =
            crate::subset::runs_of(self.len, self.shape, &self.subset, elem).ok_or_else(|| {
                CodecError::new(
                    "output",
                    format!(
                        "region {} does not fit an output of shape {:?} ({} bytes)",
                        self.subset, self.shape, self.len
                    ),
                )
            })?;
        let (offsets, run) = plan;
        Ok(offsets
            .into_iter()
            // SAFETY: `runs_of` checked every run against the buffer length; runs of
            // distinct elements are disjoint, and the constructor's contract gives this view
            // exclusive access to its subset's bytes for `'a`, borrowed mutably here.
            .map(|o| unsafe { std::slice::from_raw_parts_mut(self.ptr.add(o), run) })
            .collect())
    }

    /// Fill the view with one repeated element (no buffer of the region's size is made: each
    /// contiguous run is filled in place).
    pub fn fill(&mut self, value: &[u8]) -> Result<(), CodecError> {
        if value.is_empty() {
            return Ok(());
        }
        let elem = value.len();
        for run in self.runs_mut(elem)? {
            crate::subset::fill_run(run, value);
        }
        Ok(())
    }
}

#[cfg(test)]
mod output_view_tests {
    use super::ArrayOutputView;
    use crate::subset::ArraySubset;

    fn run(shape: &[u64], ranges: &[std::ops::Range<u64>], elem: usize) -> Option<(usize, usize)> {
        let n = shape.iter().product::<u64>() as usize * elem;
        let mut buf = vec![0u8; n];
        let base = buf.as_ptr() as usize;
        let sub = ArraySubset::new_with_ranges(ranges).ok()?;
        let mut v = ArrayOutputView::new(&mut buf, shape, sub);
        v.contiguous_mut(elem)
            .map(|s| (s.as_ptr() as usize - base, s.len()))
    }

    #[test]
    fn contiguous_views_are_found_and_others_refused() {
        // The whole buffer; a slab of whole trailing dimensions; one partial row.
        assert_eq!(run(&[4, 5, 6], &[0..4, 0..5, 0..6], 2), Some((0, 240)));
        assert_eq!(run(&[4, 5, 6], &[1..3, 0..5, 0..6], 2), Some((60, 120)));
        assert_eq!(run(&[4, 5, 6], &[2..3, 1..4, 0..6], 1), Some((66, 18)));
        assert_eq!(run(&[4, 5, 6], &[3..4, 4..5, 2..5], 4), Some((4 * 116, 12)));
        let one = vec![2..5; 1];
        assert_eq!(run(&[7], &one, 8), Some((16, 24)));
        // Strided: a partial dimension inside another partial or full one.
        assert_eq!(run(&[4, 5, 6], &[0..2, 1..3, 0..6], 1), None);
        assert_eq!(run(&[4, 5, 6], &[0..4, 0..5, 0..3], 1), None);
        assert_eq!(run(&[4, 5, 6], &[1..2, 0..2, 1..6], 1), None);
        // Outside the output.
        assert_eq!(run(&[4, 5, 6], &[3..5, 0..5, 0..6], 1), None);
    }

    #[test]
    fn a_view_larger_than_its_buffer_is_refused() {
        let mut buf = vec![0u8; 10];
        let shape = [4u64, 5];
        let mut v = ArrayOutputView::new(&mut buf, &shape, ArraySubset::new_with_shape(vec![4, 5]));
        assert!(v.contiguous_mut(1).is_none());
    }
}
