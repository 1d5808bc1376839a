//! [`ZarrkitRegion`]: what part of an array a read, write or size query covers, and its
//! translation into the core's [`Region`].
//!
//! Selections (orthogonal, vectorized, mask and block indexing) are regions too: kind
//! `SELECTION` names a [`crate::ZarrkitSelection`] handle, and every function taking a
//! region takes it (the data then has the selection's shape, see
//! `zarrkit_array_region_shape`).

use zarrkit::{ArraySubset, DynStore, Region};

use crate::error::{Error, Result};
use crate::selection::{selection_of, ZarrkitSelection};
use crate::util::slice;

/// The kinds of [`ZarrkitRegion`]. Data is always in C order of the region's shape.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZarrkitRegionKind {
    /// A region of the array: `start` and `shape` (`rank` elements each).
    Subset = 0,
    /// One whole chunk, `chunk` = its indices in the chunk grid, in its full chunk shape:
    /// at the array's edge the elements past the end are included (they read as the fill
    /// value and are ignored on write).
    Chunk = 1,
    /// A box of chunks: `start` and `shape` in chunk-grid indices; the data is the region of
    /// the array those chunks cover, clipped to the array.
    Chunks = 2,
    /// A region of one chunk: `chunk` = its indices, `start` and `shape` relative to the
    /// chunk's origin (within its full chunk shape).
    ChunkSubset = 3,
    /// One inner chunk of a sharded array, `chunk` = its indices in the inner-chunk grid
    /// over the whole array (clipped to the array). Reads only the shard index and that
    /// inner chunk.
    InnerChunk = 4,
    /// A box of inner chunks of a sharded array: `start` and `shape` in inner-chunk indices
    /// (clipped to the array).
    InnerChunks = 5,
    /// A selection (`selection`, see `ZarrkitSelection`): orthogonal, vectorized, mask or
    /// block indexing. The data has the selection's shape (`zarrkit_array_region_shape`),
    /// whose rank may differ from the array's; `rank` and the other pointers are not used.
    Selection = 6,
}

/// A region of an array. Fill it by kind (unused pointers may be NULL):
///
/// ```c
/// uint64_t start[2] = {0, 0}, shape[2] = {4, 4};
/// ZarrkitRegion subset = {ZARRKIT_REGION_KIND_SUBSET, 2, NULL, start, shape};
/// uint64_t idx[2] = {1, 0};
/// ZarrkitRegion chunk = {ZARRKIT_REGION_KIND_CHUNK, 2, idx, NULL, NULL, NULL};
/// ZarrkitRegion sel = {ZARRKIT_REGION_KIND_SELECTION, 0, NULL, NULL, NULL, selection};
/// ```
///
/// The pointers are read during the call only. `rank` must equal the array's rank (for a
/// rank-0 array all pointers may be NULL), except for `SELECTION`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ZarrkitRegion {
    /// A `ZarrkitRegionKind` value.
    pub kind: u32,
    /// The number of elements of each of the arrays below that the kind uses.
    pub rank: usize,
    /// Chunk or inner-chunk indices (`CHUNK`, `CHUNK_SUBSET`, `INNER_CHUNK`).
    pub chunk: *const u64,
    /// The start of a box (`SUBSET`, `CHUNKS`, `CHUNK_SUBSET`, `INNER_CHUNKS`).
    pub start: *const u64,
    /// The shape of a box (`SUBSET`, `CHUNKS`, `CHUNK_SUBSET`, `INNER_CHUNKS`).
    pub shape: *const u64,
    /// The selection (`SELECTION`).
    pub selection: *const ZarrkitSelection,
}

/// The core region of a C region, checked against the array, and its shape.
///
/// # Safety
/// `region` must be NULL or point to a valid [`ZarrkitRegion`] whose pointers are valid
/// for `rank` reads where its kind uses them.
pub(crate) unsafe fn region_of(
    array: &zarrkit::Array<DynStore>,
    region: *const ZarrkitRegion,
) -> Result<(Region, Vec<u64>)> {
    if region.is_null() {
        return Err(Error::null("region"));
    }
    if !region.is_aligned() {
        return Err(Error::invalid("argument `region` is misaligned"));
    }
    // SAFETY: not NULL, aligned; valid per the caller's contract. Copied: `Copy` of plain
    // fields.
    let r = unsafe { region.read() };
    if r.kind == ZarrkitRegionKind::Selection as u32 {
        let selection = selection_of(r.selection, "region.selection")?;
        let shape = array.selection_shape(&selection)?;
        return Ok((Region::Selection(selection), shape));
    }
    let rank = array.dimensionality();
    if r.rank != rank {
        return Err(Error::invalid(format!(
            "region of rank {} for an array of rank {rank}",
            r.rank
        )));
    }
    // SAFETY: valid for `rank` reads per the caller's contract (the kind uses them).
    let chunk = || unsafe { slice(r.chunk, rank, "region.chunk") }.map(<[u64]>::to_vec);
    let boxed = || -> Result<ArraySubset> {
        // SAFETY: as above.
        let start = unsafe { slice(r.start, rank, "region.start")? };
        // SAFETY: as above.
        let shape = unsafe { slice(r.shape, rank, "region.shape")? };
        if start
            .iter()
            .zip(shape)
            .any(|(a, b)| a.checked_add(*b).is_none())
        {
            return Err(Error::new(
                crate::error::ZarrkitStatus::OutOfBounds,
                "region start + shape overflows",
            ));
        }
        Ok(ArraySubset::new(start.to_vec(), shape.to_vec())?)
    };
    let kind = r.kind;
    let (region, shape) = match kind {
        k if k == ZarrkitRegionKind::Subset as u32 => {
            let s = boxed()?;
            s.check_inbounds(array.shape())?;
            let shape = s.shape().to_vec();
            (Region::Subset(s), shape)
        }
        k if k == ZarrkitRegionKind::Chunk as u32 => {
            let idx = chunk()?;
            let shape = array.chunk_shape(&idx)?;
            (Region::Chunk(idx), shape)
        }
        k if k == ZarrkitRegionKind::Chunks as u32 => {
            let b = boxed()?;
            let shape = array.chunks_subset_bounded(&b)?.shape().to_vec();
            (Region::Chunks(b), shape)
        }
        k if k == ZarrkitRegionKind::ChunkSubset as u32 => {
            let idx = chunk()?;
            let s = boxed()?;
            s.check_inbounds(&array.chunk_shape(&idx)?)?;
            let shape = s.shape().to_vec();
            (Region::ChunkSubset(idx, s), shape)
        }
        k if k == ZarrkitRegionKind::InnerChunk as u32 => {
            let idx = chunk()?;
            let shape = array.inner_chunk_subset(&idx)?.shape().to_vec();
            (Region::InnerChunk(idx), shape)
        }
        k if k == ZarrkitRegionKind::InnerChunks as u32 => {
            let b = boxed()?;
            let shape = array.inner_chunks_subset(&b)?.shape().to_vec();
            (Region::InnerChunks(b), shape)
        }
        other => {
            return Err(Error::invalid(format!(
                "unknown region kind {other} (see ZarrkitRegionKind)"
            )))
        }
    };
    Ok((region, shape))
}

/// The number of elements of a region shape (`TooLarge` if it does not fit a `usize`).
pub(crate) fn num_elements(shape: &[u64]) -> Result<usize> {
    shape
        .iter()
        .try_fold(1u64, |a, &s| a.checked_mul(s))
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| {
            Error::new(
                crate::error::ZarrkitStatus::TooLarge,
                format!(
                    "a region of shape {shape:?} has more elements than this platform addresses"
                ),
            )
        })
}
