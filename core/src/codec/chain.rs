//! The codec chain: array→array*, exactly one array→bytes, bytes→bytes*.

use std::sync::Arc;

use bytes::Bytes;

use super::partial::{check_outputs, check_regions, extract_regions, slice_ranges, write_regions};
use super::{
    ArrayOutputView, ArrayToArrayCodecTraits, ArrayToBytesCodecTraits, BytesRepresentation,
    BytesToBytesCodecTraits, ChunkRepresentation, Codec, CodecTraits, PartialDecode, PartialStep,
    RecommendedConcurrency, ReusableState,
};
use crate::array_bytes::ArrayBytes;
use crate::config::CodecOptions;
use crate::error::CodecError;
use crate::metadata::MetadataV3;
use crate::storage::ByteRange;
use crate::subset::ArraySubset;

/// A validated sequence of codecs. It is itself an array→bytes codec, so a codec that nests
/// a chain (sharding) uses it like any other.
#[derive(Debug, Clone)]
pub struct CodecChain {
    array_to_array: Vec<Arc<dyn ArrayToArrayCodecTraits>>,
    array_to_bytes: Arc<dyn ArrayToBytesCodecTraits>,
    bytes_to_bytes: Vec<Arc<dyn BytesToBytesCodecTraits>>,
    /// The name each codec was read under (metadata order), when it came from metadata: the
    /// name that was read is the name written back (`numcodecs.zlib` stays
    /// `numcodecs.zlib`), whatever the plugin's own name is.
    names: Vec<Option<String>>,
}

impl CodecChain {
    /// A chain from its three parts.
    pub fn new(
        array_to_array: Vec<Arc<dyn ArrayToArrayCodecTraits>>,
        array_to_bytes: Arc<dyn ArrayToBytesCodecTraits>,
        bytes_to_bytes: Vec<Arc<dyn BytesToBytesCodecTraits>>,
    ) -> Self {
        let n = array_to_array.len() + 1 + bytes_to_bytes.len();
        Self {
            array_to_array,
            array_to_bytes,
            bytes_to_bytes,
            names: vec![None; n],
        }
    }

    /// A chain from codecs in metadata order, checking the order the spec requires:
    /// array→array codecs, then exactly one array→bytes codec, then bytes→bytes codecs.
    pub fn from_codecs(codecs: Vec<Codec>) -> Result<Self, String> {
        let n = codecs.len();
        Self::from_named_codecs(
            codecs
                .into_iter()
                .zip(std::iter::repeat_n(None, n))
                .collect(),
        )
    }

    /// Like [`Self::from_codecs`], with the name each codec was read under.
    pub fn from_named_codecs(codecs: Vec<(Codec, Option<String>)>) -> Result<Self, String> {
        let mut a2a = Vec::new();
        let mut a2b = None;
        let mut b2b = Vec::new();
        let mut names = Vec::with_capacity(codecs.len());
        for (i, (c, name)) in codecs.into_iter().enumerate() {
            names.push(name);
            match c {
                Codec::ArrayToArray(c) => {
                    if a2b.is_some() {
                        return Err(format!(
                            "codecs[{i}] ({}) is an array->array codec after the array->bytes codec",
                            c.name()
                        ));
                    }
                    a2a.push(c);
                }
                Codec::ArrayToBytes(c) => {
                    if let Some(prev) = &a2b {
                        let prev: &Arc<dyn ArrayToBytesCodecTraits> = prev;
                        return Err(format!(
                            "codecs[{i}] ({}) is a second array->bytes codec (after {})",
                            c.name(),
                            prev.name()
                        ));
                    }
                    a2b = Some(c);
                }
                Codec::BytesToBytes(c) => {
                    if a2b.is_none() {
                        return Err(format!(
                            "codecs[{i}] ({}) is a bytes->bytes codec before the array->bytes codec",
                            c.name()
                        ));
                    }
                    b2b.push(c);
                }
            }
        }
        let a2b = a2b.ok_or("the codecs contain no array->bytes codec (e.g. \"bytes\")")?;
        Ok(Self {
            array_to_array: a2a,
            array_to_bytes: a2b,
            bytes_to_bytes: b2b,
            names,
        })
    }

    /// The array→array codecs.
    pub fn array_to_array(&self) -> &[Arc<dyn ArrayToArrayCodecTraits>] {
        &self.array_to_array
    }
    /// The array→bytes codec.
    pub fn array_to_bytes(&self) -> &Arc<dyn ArrayToBytesCodecTraits> {
        &self.array_to_bytes
    }
    /// The bytes→bytes codecs.
    pub fn bytes_to_bytes(&self) -> &[Arc<dyn BytesToBytesCodecTraits>] {
        &self.bytes_to_bytes
    }

    /// The codecs in metadata order.
    pub fn codecs(&self) -> Vec<Codec> {
        let mut v: Vec<Codec> = self
            .array_to_array
            .iter()
            .cloned()
            .map(Codec::ArrayToArray)
            .collect();
        v.push(Codec::ArrayToBytes(self.array_to_bytes.clone()));
        v.extend(self.bytes_to_bytes.iter().cloned().map(Codec::BytesToBytes));
        v
    }

    /// Metadata for each codec: the name it was read under (or the plugin's name) and its
    /// current configuration.
    pub fn create_metadatas(&self) -> Vec<MetadataV3> {
        self.codecs()
            .iter()
            .zip(&self.names)
            .map(|(c, read_as)| {
                let m = c.metadata();
                match read_as {
                    Some(n) => m.with_name(n),
                    None => m,
                }
            })
            .collect()
    }

    /// The representations after each array→array codec (index 0 = decoded), and the
    /// representation of the bytes after the array→bytes codec and each bytes→bytes codec.
    fn representations(
        &self,
        decoded: &ChunkRepresentation,
    ) -> Result<(Vec<ChunkRepresentation>, Vec<BytesRepresentation>), CodecError> {
        let mut arrays = vec![decoded.clone()];
        for c in &self.array_to_array {
            let next = c.encoded_representation(arrays.last().unwrap_or(decoded))?;
            arrays.push(next);
        }
        let last = arrays.last().unwrap_or(decoded);
        let mut bytes = vec![self.array_to_bytes.encoded_representation(last)?];
        for c in &self.bytes_to_bytes {
            let next =
                c.encoded_representation(bytes.last().unwrap_or(&BytesRepresentation::Unbounded));
            bytes.push(next);
        }
        Ok((arrays, bytes))
    }

    /// Check that the chain can encode chunks of this representation (ranks, data type
    /// support). Called once when an array is opened or created.
    pub fn validate(&self, decoded: &ChunkRepresentation) -> Result<(), CodecError> {
        self.representations(decoded).map(|_| ())
    }

    fn check_decoded(
        &self,
        bytes: &ArrayBytes,
        decoded: &ChunkRepresentation,
    ) -> Result<(), CodecError> {
        let n = decoded.num_elements_usize()?;
        bytes
            .validate(n, decoded.element_size())
            .map_err(|e| CodecError::Corrupt {
                codec: self.array_to_bytes.name().to_string(),
                message: e,
            })
    }

    /// Decode the bytes→bytes codecs (last first). Only *decoded* sizes are limits: each
    /// stage's output is checked against its representation.
    fn decode_bytes(
        &self,
        mut bytes: Bytes,
        reprs: &[BytesRepresentation],
        options: &CodecOptions,
    ) -> Result<Bytes, CodecError> {
        for (i, c) in self.bytes_to_bytes.iter().enumerate().rev() {
            let repr = bounded(reprs[i], options);
            bytes = c.decode(bytes, &repr, options)?;
            check_stage(c.name(), &repr, bytes.len())?;
        }
        Ok(bytes)
    }

    /// Decompress a whole chunk straight into the output, when the chain is one bytes→bytes
    /// codec before an identity array→bytes codec (`bytes` in the machine's byte order) and
    /// the chunk is one contiguous run of the output (it spans the output's trailing
    /// dimensions): no chunk buffer, no copy. `Ok(false)`: not applicable, nothing written.
    fn decode_direct(
        &self,
        input: &[u8],
        decoded: &ChunkRepresentation,
        chunk_subset: &ArraySubset,
        output: &mut ArrayOutputView<'_>,
        options: &CodecOptions,
    ) -> Result<bool, CodecError> {
        let ([b2b], Some(elem)) = (&self.bytes_to_bytes[..], decoded.element_size()) else {
            return Ok(false);
        };
        if !self.array_to_array.is_empty()
            || chunk_subset.shape() != decoded.shape.as_slice()
            || !self.array_to_bytes.is_identity(decoded)
        {
            return Ok(false);
        }
        match output.contiguous_mut(elem) {
            Some(out) if Some(out.len() as u64) == decoded.fixed_size() => {
                b2b.decode_into_slice(input, out, options)
            }
            _ => Ok(false),
        }
    }

    /// The most bytes a stored chunk of `decoded` can hold: its exact encoded size when the
    /// chain has one, else (a bound, or unknown) the decode memory limit. A reader asks for
    /// one byte more and refuses a value that has it, so an oversized stored value is never
    /// read whole.
    pub fn stored_limit(
        &self,
        decoded: &ChunkRepresentation,
        options: &CodecOptions,
    ) -> Result<u64, CodecError> {
        let encoded = ArrayToBytesCodecTraits::encoded_representation(self, decoded)?;
        Ok(match bounded(encoded, options) {
            BytesRepresentation::Fixed(n) | BytesRepresentation::Bounded(n) => n,
            BytesRepresentation::Unbounded => options.max_unbounded_decoded_bytes,
        })
    }

    /// A partial decode of `regions` of a chunk (see [`PartialDecode`]). Reads only what the
    /// codecs need: the byte ranges the array→bytes codec asks for when the chain has no
    /// bytes→bytes codec; else the whole value once, decoded by the bytes→bytes codecs (only
    /// the prefix or blocks needed, for zstd and blosc) and served from memory. A request for
    /// the whole chunk, or a chain that cannot decode part of a chunk, fetches and decodes
    /// the whole value.
    pub fn partial_decode(
        self: &Arc<Self>,
        decoded: &ChunkRepresentation,
        regions: &[ArraySubset],
        reuse: Option<&ReusableState>,
        options: &CodecOptions,
    ) -> Result<Box<dyn PartialDecode>, CodecError> {
        check_regions(regions, decoded, "codec chain")?;
        let limit = self.stored_limit(decoded, options)?;
        let full = || -> Box<dyn PartialDecode> {
            Box::new(FullDecode {
                chain: self.clone(),
                decoded: decoded.clone(),
                regions: regions.to_vec(),
                input: None,
                limit,
                options: *options,
            })
        };
        let whole = regions.len() == 1 && regions[0].shape() == decoded.shape.as_slice();
        if whole || regions.is_empty() {
            return Ok(full());
        }
        let (arrays, bytes_reprs) = self.representations(decoded)?;
        // Regions through the region-local array→array codecs.
        let mut levels: Vec<Vec<ArraySubset>> = vec![regions.to_vec()];
        for (i, c) in self.array_to_array.iter().enumerate() {
            let prev = levels.last().map(Vec::as_slice).unwrap_or_default();
            let mut next = Vec::with_capacity(prev.len());
            for r in prev {
                match c.encoded_region(r, &arrays[i]) {
                    Some(e) => next.push(e),
                    None => return Ok(full()),
                }
            }
            levels.push(next);
        }
        // Under bytes→bytes codecs the whole value is fetched anyway: a partial decode pays
        // off only if the one codec next to the array→bytes codec decodes ranges cheaply, or
        // the array→bytes codec itself reads in rounds (sharding: the index, then only the
        // inner chunks needed). Otherwise one whole decode and a strided copy is cheaper.
        if let Some(first) = self.bytes_to_bytes.first() {
            let cheap =
                self.bytes_to_bytes.len() == 1 && first.decodes_ranges_cheaply(&bytes_reprs[0]);
            let rounds = ArrayToBytesCodecTraits::inner_chunk_shape(
                &*self.array_to_bytes,
                arrays.last().unwrap_or(decoded),
            )
            .is_some();
            if !cheap && !rounds {
                return Ok(full());
            }
        }
        let last = arrays.last().unwrap_or(decoded);
        let last_regions = levels.last().map(Vec::as_slice).unwrap_or_default();
        let reuse = if self.bytes_to_bytes.is_empty() {
            reuse
        } else {
            None
        };
        let Some(inner) = self
            .array_to_bytes
            .partial_decode(last, last_regions, reuse, options)?
        else {
            return Ok(full());
        };
        let mut machine = inner;
        if !self.bytes_to_bytes.is_empty() {
            machine = Box::new(BytesStack {
                chain: self.clone(),
                reprs: bytes_reprs,
                inner: machine,
                encoded: None,
                decoded_all: None,
                rounds: 0,
                limit,
                options: *options,
            });
        }
        if !self.array_to_array.is_empty() {
            let elem = decoded.element_size();
            machine = Box::new(ArrayStack {
                chain: self.clone(),
                arrays,
                levels,
                inner: machine,
                elem,
                options: *options,
            });
        }
        Ok(machine)
    }
}

/// The representation a bytes→bytes stage decodes to. Only exact sizes are checked
/// exactly: a bound is the *encoder's* worst case (a shard may hold unused space between its
/// inner chunks, a gzip member a long file name, a zstd stream skippable frames), so on
/// decode it is a memory limit — no lower than the configured
/// [`CodecOptions::max_unbounded_decoded_bytes`], which also bounds data whose size is
/// unknown (variable-size): decompression bombs stop there.
fn bounded(repr: BytesRepresentation, options: &CodecOptions) -> BytesRepresentation {
    match repr {
        BytesRepresentation::Unbounded => {
            BytesRepresentation::Bounded(options.max_unbounded_decoded_bytes)
        }
        BytesRepresentation::Bounded(b) => {
            BytesRepresentation::Bounded(b.max(options.max_unbounded_decoded_bytes))
        }
        r => r,
    }
}

fn check_stage(codec: &str, repr: &BytesRepresentation, len: usize) -> Result<(), CodecError> {
    if let Some(b) = repr.bound() {
        if len as u64 > b || (matches!(repr, BytesRepresentation::Fixed(_)) && len as u64 != b) {
            return Err(CodecError::UnexpectedSize {
                codec: codec.to_string(),
                expected: b,
                actual: len as u64,
            });
        }
    }
    Ok(())
}

/// The range that reads a whole stored value that may hold at most `limit` bytes: one byte
/// more, so that an oversized value is noticed without reading it whole.
pub fn whole_value_range(limit: u64) -> ByteRange {
    ByteRange::Prefix(limit.saturating_add(1))
}

fn whole_value(limit: u64) -> PartialStep {
    PartialStep::Need(vec![whole_value_range(limit)])
}

/// The whole value from the answer to a [`whole_value_range`] request (of a value of `size`
/// bytes), or an error if the value holds more than `limit` bytes.
pub fn take_whole_value(mut bytes: Vec<Bytes>, size: u64, limit: u64) -> Result<Bytes, CodecError> {
    match (bytes.pop(), bytes.is_empty()) {
        (Some(b), true) if b.len() as u64 <= limit && b.len() as u64 == size => Ok(b),
        (Some(_), true) => Err(CodecError::new(
            "chunk",
            format!(
                "the stored value has {size} bytes, more than the {limit} bytes its encoding can take"
            ),
        )),
        _ => Err(CodecError::Internal(
            "the whole value was asked for once".into(),
        )),
    }
}

/// Fetch the whole value, decode it whole, write the regions.
struct FullDecode {
    chain: Arc<CodecChain>,
    decoded: ChunkRepresentation,
    regions: Vec<ArraySubset>,
    input: Option<Bytes>,
    limit: u64,
    options: CodecOptions,
}

impl PartialDecode for FullDecode {
    fn start(&mut self) -> Result<PartialStep, CodecError> {
        Ok(whole_value(self.limit))
    }

    fn supply(&mut self, bytes: Vec<Bytes>, size: u64) -> Result<PartialStep, CodecError> {
        self.input = Some(take_whole_value(bytes, size, self.limit)?);
        Ok(PartialStep::Ready)
    }

    fn finish_into(self: Box<Self>, outputs: &mut [ArrayOutputView<'_>]) -> Result<(), CodecError> {
        check_outputs(&self.regions, outputs, "codec chain")?;
        let input = self
            .input
            .ok_or_else(|| CodecError::Internal("finished before the input came".into()))?;
        if let ([r], [o]) = (self.regions.as_slice(), &mut *outputs) {
            return self
                .chain
                .decode_into(input, &self.decoded, r, o, &self.options);
        }
        let chunk = self.chain.decode(input, &self.decoded, &self.options)?;
        write_regions(&chunk, &self.decoded, &self.regions, outputs)
    }

    fn finish(self: Box<Self>) -> Result<Vec<ArrayBytes>, CodecError> {
        let input = self
            .input
            .ok_or_else(|| CodecError::Internal("finished before the input came".into()))?;
        let chunk = self.chain.decode(input, &self.decoded, &self.options)?;
        extract_regions(chunk, &self.decoded, &self.regions)
    }

    fn cost(&self) -> u64 {
        self.decoded.fixed_size().unwrap_or(u64::MAX)
    }
}

/// The bytes→bytes codecs of a chain around the array→bytes codec's machine: the whole
/// encoded value is fetched once; the inner machine's ranges are then served from memory.
struct BytesStack {
    chain: Arc<CodecChain>,
    reprs: Vec<BytesRepresentation>,
    inner: Box<dyn PartialDecode>,
    encoded: Option<Bytes>,
    decoded_all: Option<Bytes>,
    rounds: u32,
    limit: u64,
    options: CodecOptions,
}

impl BytesStack {
    /// `ranges` of the bytes the array→bytes codec reads, and their total size. One
    /// bytes→bytes codec that decodes ranges cheaply (zstd's prefix, blosc's blocks) serves
    /// a single round of a fixed-size encoding without decoding it all; otherwise everything
    /// is decoded once and kept.
    fn serve(&mut self, ranges: &[ByteRange]) -> Result<(Vec<Bytes>, u64), CodecError> {
        let encoded = self
            .encoded
            .clone()
            .ok_or_else(|| CodecError::Internal("no encoded input".into()))?;
        if self.decoded_all.is_none() {
            if let ([c], BytesRepresentation::Fixed(n)) =
                (self.chain.bytes_to_bytes.as_slice(), self.reprs[0])
            {
                if self.rounds == 0 && c.decodes_ranges_cheaply(&self.reprs[0]) {
                    let parts = c.decode_ranges(encoded, ranges, &self.reprs[0], &self.options)?;
                    return Ok((parts, n));
                }
            }
            let all = self
                .chain
                .decode_bytes(encoded, &self.reprs, &self.options)?;
            self.decoded_all = Some(all);
        }
        let all = self
            .decoded_all
            .as_ref()
            .ok_or_else(|| CodecError::Internal("decoded bytes missing".into()))?;
        let name = self.chain.array_to_bytes.name().to_string();
        Ok((slice_ranges(all, ranges, &name)?, all.len() as u64))
    }
}

impl PartialDecode for BytesStack {
    fn start(&mut self) -> Result<PartialStep, CodecError> {
        Ok(whole_value(self.limit))
    }

    fn supply(&mut self, bytes: Vec<Bytes>, size: u64) -> Result<PartialStep, CodecError> {
        self.encoded = Some(take_whole_value(bytes, size, self.limit)?);
        let mut step = self.inner.start()?;
        loop {
            match step {
                PartialStep::Ready => return Ok(PartialStep::Ready),
                PartialStep::Need(ranges) => {
                    let (parts, size) = self.serve(&ranges)?;
                    self.rounds += 1;
                    if self.rounds > 64 {
                        return Err(CodecError::Internal(
                            "a partial decode did not finish after 64 rounds".into(),
                        ));
                    }
                    step = self.inner.supply(parts, size)?;
                }
            }
        }
    }

    fn finish_into(self: Box<Self>, outputs: &mut [ArrayOutputView<'_>]) -> Result<(), CodecError> {
        self.inner.finish_into(outputs)
    }

    fn finish(self: Box<Self>) -> Result<Vec<ArrayBytes>, CodecError> {
        self.inner.finish()
    }

    fn cost(&self) -> u64 {
        match self.reprs.first() {
            Some(BytesRepresentation::Fixed(n)) => n.saturating_add(self.inner.cost()),
            _ => u64::MAX,
        }
    }
}

/// Region-local array→array codecs around the rest of the chain's machine: the inner
/// machine decodes the encoded regions, which each codec then decodes in turn.
struct ArrayStack {
    chain: Arc<CodecChain>,
    arrays: Vec<ChunkRepresentation>,
    /// The regions at each level: `levels[0]` as asked, `levels[i + 1]` after codec `i`.
    levels: Vec<Vec<ArraySubset>>,
    inner: Box<dyn PartialDecode>,
    elem: Option<usize>,
    options: CodecOptions,
}

impl ArrayStack {
    fn decode_regions(self) -> Result<Vec<ArrayBytes>, CodecError> {
        let mut parts = self.inner.finish()?;
        for (i, c) in self.chain.array_to_array.iter().enumerate().rev() {
            let repr = &self.arrays[i];
            let regions = &self.levels[i];
            parts = parts
                .into_iter()
                .zip(regions)
                .map(|(p, r)| {
                    let region_repr = ChunkRepresentation::new(
                        r.shape().to_vec(),
                        repr.data_type.clone(),
                        repr.fill_value.clone(),
                    );
                    c.decode(p, &region_repr, &self.options)
                })
                .collect::<Result<_, _>>()?;
        }
        Ok(parts)
    }
}

impl PartialDecode for ArrayStack {
    fn start(&mut self) -> Result<PartialStep, CodecError> {
        self.inner.start()
    }

    fn supply(&mut self, bytes: Vec<Bytes>, size: u64) -> Result<PartialStep, CodecError> {
        self.inner.supply(bytes, size)
    }

    fn finish_into(self: Box<Self>, outputs: &mut [ArrayOutputView<'_>]) -> Result<(), CodecError> {
        let regions = self.levels[0].clone();
        check_outputs(&regions, outputs, "codec chain")?;
        let elem = self.elem.unwrap_or(1);
        let parts = self.decode_regions()?;
        for ((p, r), o) in parts.iter().zip(&regions).zip(outputs.iter_mut()) {
            let shape = r.shape().to_vec();
            let b = p.as_fixed().ok_or_else(|| {
                CodecError::unsupported("output", "variable-size data in a fixed-size output")
            })?;
            o.write_region(b, &shape, &ArraySubset::new_with_shape(shape.clone()), elem)?;
        }
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<Vec<ArrayBytes>, CodecError> {
        self.decode_regions()
    }

    fn reusable(&self) -> Option<ReusableState> {
        self.inner.reusable()
    }

    fn cost(&self) -> u64 {
        self.inner.cost().saturating_mul(2)
    }
}

impl CodecTraits for CodecChain {
    fn name(&self) -> &str {
        "codec_chain"
    }

    fn configuration(&self) -> Option<serde_json::Map<String, serde_json::Value>> {
        None
    }

    fn recommended_concurrency(&self, decoded: &ChunkRepresentation) -> RecommendedConcurrency {
        // The maximum over the codecs: they run one after another.
        let mut max = self.array_to_bytes.recommended_concurrency(decoded).max;
        for c in &self.bytes_to_bytes {
            max = max.max(c.recommended_concurrency(decoded).max);
        }
        RecommendedConcurrency { min: 1, max }
    }
}

impl ArrayToBytesCodecTraits for CodecChain {
    fn is_identity(&self, decoded: &ChunkRepresentation) -> bool {
        self.array_to_array.is_empty()
            && self.bytes_to_bytes.is_empty()
            && self.array_to_bytes.is_identity(decoded)
    }

    fn encoded_representation(
        &self,
        decoded: &ChunkRepresentation,
    ) -> Result<BytesRepresentation, CodecError> {
        let (_, bytes) = self.representations(decoded)?;
        Ok(*bytes.last().unwrap_or(&BytesRepresentation::Unbounded))
    }

    fn encode(
        &self,
        input: ArrayBytes,
        decoded: &ChunkRepresentation,
        options: &CodecOptions,
    ) -> Result<Vec<u8>, CodecError> {
        self.check_decoded(&input, decoded)?;
        let (arrays, _) = self.representations(decoded)?;
        let mut a = input;
        for (i, c) in self.array_to_array.iter().enumerate() {
            a = c.encode(a, &arrays[i], options)?;
        }
        let mut b = self
            .array_to_bytes
            .encode(a, arrays.last().unwrap_or(decoded), options)?;
        for c in &self.bytes_to_bytes {
            b = c.encode(b, options)?;
        }
        Ok(b)
    }

    fn decode(
        &self,
        input: Bytes,
        decoded: &ChunkRepresentation,
        options: &CodecOptions,
    ) -> Result<ArrayBytes, CodecError> {
        let (arrays, bytes_reprs) = self.representations(decoded)?;
        let b = self.decode_bytes(input, &bytes_reprs, options)?;
        let last = arrays.last().unwrap_or(decoded);
        let mut a = self.array_to_bytes.decode(b, last, options)?;
        self.check_decoded(&a, last)?;
        for (i, c) in self.array_to_array.iter().enumerate().rev() {
            a = c.decode(a, &arrays[i], options)?;
            self.check_decoded(&a, &arrays[i])?;
        }
        Ok(a)
    }

    fn decode_into(
        &self,
        input: Bytes,
        decoded: &ChunkRepresentation,
        chunk_subset: &ArraySubset,
        output: &mut ArrayOutputView<'_>,
        options: &CodecOptions,
    ) -> Result<(), CodecError> {
        if self.array_to_array.is_empty() {
            if self.decode_direct(&input, decoded, chunk_subset, output, options)? {
                return Ok(());
            }
            let (_, bytes_reprs) = self.representations(decoded)?;
            let b = self.decode_bytes(input, &bytes_reprs, options)?;
            self.array_to_bytes
                .decode_into(b, decoded, chunk_subset, output, options)
        } else {
            let a = self.decode(input, decoded, options)?;
            output.write_array_bytes(&a, &decoded.shape, chunk_subset, decoded)
        }
    }

    fn partial_decode(
        &self,
        decoded: &ChunkRepresentation,
        regions: &[ArraySubset],
        reuse: Option<&ReusableState>,
        options: &CodecOptions,
    ) -> Result<Option<Box<dyn PartialDecode>>, CodecError> {
        // A chain nested in a codec (sharding's inner chain) is held in an `Arc` by its
        // owner, which calls [`CodecChain::partial_decode`] directly; through this trait
        // method the chain is cloned (its codecs are `Arc`s).
        Arc::new(self.clone())
            .partial_decode(decoded, regions, reuse, options)
            .map(Some)
    }

    fn inner_chunk_shape(&self, decoded: &ChunkRepresentation) -> Option<Vec<u64>> {
        if self.array_to_array.is_empty() {
            self.array_to_bytes.inner_chunk_shape(decoded)
        } else {
            None
        }
    }

    fn encode_partial(
        &self,
        existing: Option<Bytes>,
        updates: &[(ArraySubset, ArrayBytes)],
        decoded: &ChunkRepresentation,
        options: &CodecOptions,
    ) -> Result<Option<Vec<u8>>, CodecError> {
        if self.array_to_array.is_empty() && self.bytes_to_bytes.is_empty() {
            return self
                .array_to_bytes
                .encode_partial(existing, updates, decoded, options);
        }
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
            .map_err(|e| CodecError::Internal(format!("codec chain: {e}")))?;
        }
        if !options.store_empty_chunks && crate::array_bytes::is_fill(&chunk, &decoded.fill_value) {
            return Ok(None);
        }
        self.encode(chunk, decoded, options).map(Some)
    }
}
