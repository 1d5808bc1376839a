//! Partial decoding without I/O: a [`PartialDecode`] is a state machine that asks for byte
//! ranges of its encoded input, is handed them, asks again or is ready to decode.
//!
//! A driver (the array's sync or async read path, or [`decode_from_memory`]) runs it:
//!
//! ```text
//! let mut step = machine.start()?;
//! while let PartialStep::Need(ranges) = step {
//!     let r = store.read(key, &ranges, version)?;   // or `.await`
//!     step = machine.supply(r.bytes, r.size)?;
//! }
//! machine.finish_into(&mut views)?;                  // CPU work: on the rayon pool
//! ```
//!
//! Codecs compose: the chain wraps the array→bytes codec's machine in one for its
//! bytes→bytes codecs (which fetches the whole value once and serves the inner machine from
//! memory) and one for region-local array→array codecs; sharding runs one machine per inner
//! chunk it needs and translates their ranges into ranges of the shard, coalesced.

use std::any::Any;
use std::sync::Arc;

use bytes::Bytes;

use super::{ArrayOutputView, ChunkRepresentation};
use crate::array_bytes::{extract_subset, ArrayBytes};
use crate::error::CodecError;
use crate::storage::ByteRange;
use crate::subset::ArraySubset;

/// What a partial decode needs next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartialStep {
    /// These byte ranges of the encoded input (hand them to [`PartialDecode::supply`]).
    Need(Vec<ByteRange>),
    /// Everything needed is there: call [`PartialDecode::finish_into`] or
    /// [`PartialDecode::finish`].
    Ready,
}

/// State a partial decode learned that a later decode of the same stored value may reuse —
/// a decoded shard index — with its size in bytes (for caches bounded by bytes). Valid only
/// for the version of the value it was read from.
#[derive(Clone)]
pub struct ReusableState {
    state: Arc<dyn Any + Send + Sync>,
    size: usize,
}

impl ReusableState {
    /// Wrap `state` of about `size` bytes.
    pub fn new<T: Any + Send + Sync>(state: Arc<T>, size: usize) -> Self {
        Self { state, size }
    }

    /// The state, if it is a `T`.
    pub fn get<T: Any + Send + Sync>(&self) -> Option<Arc<T>> {
        self.state.clone().downcast::<T>().ok()
    }

    /// Its size in bytes.
    pub fn size(&self) -> usize {
        self.size
    }
}

impl std::fmt::Debug for ReusableState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ReusableState({} bytes)", self.size)
    }
}

/// A partial decode of regions of one encoded chunk (see the module documentation). The
/// regions are fixed when the machine is made; outputs are given in the same order.
pub trait PartialDecode: Send {
    /// The first step (called once, before [`Self::supply`]).
    fn start(&mut self) -> Result<PartialStep, CodecError>;

    /// The bytes of the ranges of the last [`PartialStep::Need`], in order, and the size of
    /// the whole encoded input. Returns the next step.
    fn supply(&mut self, bytes: Vec<Bytes>, size: u64) -> Result<PartialStep, CodecError>;

    /// Decode every region into its output view (fixed-size data; each view's subset has its
    /// region's shape).
    fn finish_into(self: Box<Self>, outputs: &mut [ArrayOutputView<'_>]) -> Result<(), CodecError>;

    /// Decode every region to owned bytes (any data type).
    fn finish(self: Box<Self>) -> Result<Vec<ArrayBytes>, CodecError>;

    /// State worth keeping for later decodes of the same stored value, once known.
    fn reusable(&self) -> Option<ReusableState> {
        None
    }

    /// About how many bytes the rest of the decode touches (bytes to decompress, copy or
    /// check), for drivers deciding whether the work is worth a thread hop. The default,
    /// unknown, is `u64::MAX`.
    fn cost(&self) -> u64 {
        u64::MAX
    }
}

/// The ranges of bytes held in memory, as zero-copy slices; a range out of bounds is
/// corrupt data of codec `what` (a stored value shorter than the codec expects).
pub fn slice_ranges(
    bytes: &Bytes,
    ranges: &[ByteRange],
    what: &str,
) -> Result<Vec<Bytes>, CodecError> {
    ranges
        .iter()
        .map(|r| {
            let rr = r.to_range(bytes.len() as u64).ok_or_else(|| {
                CodecError::new(
                    what,
                    format!("byte range {r} is out of bounds of {} bytes", bytes.len()),
                )
            })?;
            Ok(bytes.slice(rr.start as usize..rr.end as usize))
        })
        .collect()
}

/// Drive a machine whose input is entirely in memory (`None`: absent; an absent input is an
/// error here, since only the caller knows its fill value) until it is ready.
pub fn run_from_memory(machine: &mut dyn PartialDecode, input: &Bytes) -> Result<(), CodecError> {
    let mut step = machine.start()?;
    // A machine asks a bounded number of times (index, then data; nested shards add one
    // round each); a machine that never finishes is a bug, not a hang.
    for _ in 0..64 {
        match step {
            PartialStep::Ready => return Ok(()),
            PartialStep::Need(ranges) => {
                let parts = slice_ranges(input, &ranges, "input")?;
                step = machine.supply(parts, input.len() as u64)?;
            }
        }
    }
    Err(CodecError::Internal(
        "a partial decode did not finish after 64 rounds".into(),
    ))
}

/// Decode `regions` of a chunk whose encoded bytes are in memory, through a partial decode.
pub fn decode_from_memory(
    mut machine: Box<dyn PartialDecode>,
    input: &Bytes,
) -> Result<Vec<ArrayBytes>, CodecError> {
    run_from_memory(machine.as_mut(), input)?;
    machine.finish()
}

/// Check that each region lies in the chunk.
pub(crate) fn check_regions(
    regions: &[ArraySubset],
    decoded: &ChunkRepresentation,
    codec: &str,
) -> Result<(), CodecError> {
    for r in regions {
        if !r.inbounds(&decoded.shape) {
            return Err(CodecError::unsupported(
                codec,
                format!(
                    "region {r} is out of bounds of chunk shape {:?}",
                    decoded.shape
                ),
            ));
        }
    }
    Ok(())
}

/// Check the outputs handed to `finish_into`: one per region, each of its region's shape.
pub fn check_outputs(
    regions: &[ArraySubset],
    outputs: &[ArrayOutputView<'_>],
    codec: &str,
) -> Result<(), CodecError> {
    if regions.len() != outputs.len()
        || regions
            .iter()
            .zip(outputs)
            .any(|(r, o)| r.shape() != o.subset().shape())
    {
        return Err(CodecError::Internal(format!(
            "{codec}: {} output views for {} regions, or of the wrong shape",
            outputs.len(),
            regions.len()
        )));
    }
    Ok(())
}

/// The regions of a decoded chunk as owned bytes (the chunk itself when the only region is
/// all of it).
pub fn extract_regions(
    chunk: ArrayBytes,
    decoded: &ChunkRepresentation,
    regions: &[ArraySubset],
) -> Result<Vec<ArrayBytes>, CodecError> {
    if let [r] = regions {
        if r.shape() == decoded.shape.as_slice() {
            return Ok(vec![chunk]);
        }
    }
    regions
        .iter()
        .map(|r| {
            extract_subset(&chunk, &decoded.shape, r, decoded.data_type.size())
                .map_err(|e| CodecError::Internal(format!("extracting region {r}: {e}")))
        })
        .collect()
}

/// Write regions of a decoded chunk into their output views.
pub fn write_regions(
    chunk: &ArrayBytes,
    decoded: &ChunkRepresentation,
    regions: &[ArraySubset],
    outputs: &mut [ArrayOutputView<'_>],
) -> Result<(), CodecError> {
    for (r, o) in regions.iter().zip(outputs.iter_mut()) {
        o.write_array_bytes(chunk, &decoded.shape, r, decoded)?;
    }
    Ok(())
}

/// Fixed-size outputs for [`PartialDecode::finish`] of a machine that decodes into views:
/// allocate one zeroed buffer per region, decode into them.
pub fn finish_via_views(
    machine: Box<dyn PartialDecode>,
    regions: &[ArraySubset],
    elem: usize,
) -> Result<Vec<ArrayBytes>, CodecError> {
    let mut bufs = Vec::with_capacity(regions.len());
    for r in regions {
        let n = r
            .num_elements_usize()
            .ok()
            .and_then(|n| n.checked_mul(elem))
            .ok_or_else(|| CodecError::allocation("output", format!("region {r} is too large")))?;
        bufs.push(super::zeroed_checked(n).ok_or_else(|| {
            CodecError::allocation("output", format!("{n} bytes for region {r}"))
        })?);
    }
    {
        let shapes: Vec<Vec<u64>> = regions.iter().map(|r| r.shape().to_vec()).collect();
        let mut views: Vec<ArrayOutputView<'_>> = bufs
            .iter_mut()
            .zip(&shapes)
            .map(|(b, s)| ArrayOutputView::new(b, s, ArraySubset::new_with_shape(s.clone())))
            .collect();
        machine.finish_into(&mut views)?;
    }
    Ok(bufs.into_iter().map(ArrayBytes::Fixed).collect())
}
