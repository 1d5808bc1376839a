//! Selections: NumPy-style indexing of an array (orthogonal, vectorized, mask, blocks), as
//! an opaque handle that a [`crate::ZarrkitRegion`] of kind `SELECTION` names. Every read,
//! write and size query of a region then works with it: `zarrkit_array_region_size`,
//! `zarrkit_array_region_shape`, `zarrkit_array_read` / `_write` (and the `_elements` and
//! `_variable` forms).
//!
//! A selection is built by pushing one index per dimension (fewer select the rest whole),
//! and is resolved against an array only when used, so one selection may serve several
//! arrays. The semantics are the core's [`zarrkit::selection`]: negative positions count
//! from the end, slices take any non-zero step, integer arrays may repeat and come in any
//! order, and an integer drops its dimension from the result.

use std::ffi::c_char;

use parking_lot::Mutex;
use zarrkit::{Index, Selection, VIndex};

use crate::error::{ffi, write_string, Error, Result, ZarrkitStatus};
use crate::handles::{id_of, Registry, TAG_SELECTION};
use crate::util::{out_handle, slice};

/// A selection of array elements. Opaque: `zarrkit_selection_create` (or
/// `zarrkit_selection_create_mask`), the `zarrkit_selection_push_*` calls, then a
/// `ZarrkitRegion` of kind `ZARRKIT_REGION_KIND_SELECTION` naming it; release with
/// `zarrkit_selection_destroy`. A selection may be used by several threads at once, but
/// not changed while it is in use.
pub struct ZarrkitSelection {
    _opaque: [u8; 0],
}

/// The kinds of selection `zarrkit_selection_create` starts.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZarrkitSelectionKind {
    /// Basic and orthogonal (outer) indexing, zarr-python's `oindex`: per dimension an
    /// integer (the dimension is dropped), a slice, an integer array or a boolean mask, each
    /// selecting independently along its dimension; plus new axes and one ellipsis. The
    /// result has one dimension per non-integer index.
    Orthogonal = 0,
    /// Vectorized (coordinate) indexing, zarr-python's `vindex`: integer arrays (and
    /// integers) broadcast together to one shape that replaces them in the result (in place
    /// when they are adjacent, otherwise first, as in NumPy); slices allowed beside them.
    Vectorized = 1,
    /// Chunks, zarr-python's `blocks`: per dimension an integer or a step-1 slice in chunk
    /// units; the region those chunks cover, clipped to the array.
    Blocks = 2,
    /// Inner chunks of a sharded array, as `BLOCKS` in inner-chunk units.
    InnerBlocks = 3,
    /// A boolean mask of the array's shape (`zarrkit_selection_create_mask`): the result is
    /// the 1-D list of selected elements in C order.
    Mask = 4,
}

/// `flags` of `zarrkit_selection_push_slice`: `start` is given (otherwise the default for
/// the step's direction, as Python's `None`).
pub const ZARRKIT_SLICE_HAS_START: u32 = 1;
/// `flags` of `zarrkit_selection_push_slice`: `stop` is given.
pub const ZARRKIT_SLICE_HAS_STOP: u32 = 2;

/// A selection under construction.
#[derive(Debug, Clone)]
enum Building {
    Orthogonal(Vec<Index>),
    Vectorized(Vec<VIndex>),
    Blocks(Vec<Index>),
    InnerBlocks(Vec<Index>),
    Mask { shape: Vec<u64>, mask: Vec<bool> },
}

impl Building {
    fn kind_name(&self) -> &'static str {
        match self {
            Self::Orthogonal(_) => "an orthogonal",
            Self::Vectorized(_) => "a vectorized",
            Self::Blocks(_) => "a block",
            Self::InnerBlocks(_) => "an inner-block",
            Self::Mask { .. } => "a mask",
        }
    }

    fn to_selection(&self) -> Selection {
        match self {
            Self::Orthogonal(v) => Selection::Orthogonal(v.clone()),
            Self::Vectorized(v) => Selection::Vectorized(v.clone()),
            Self::Blocks(v) => Selection::Blocks(v.clone()),
            Self::InnerBlocks(v) => Selection::InnerBlocks(v.clone()),
            Self::Mask { shape, mask } => Selection::Mask {
                shape: shape.clone(),
                mask: mask.clone(),
            },
        }
    }

    /// The error for an index this kind does not take.
    fn refuses(&self, what: &str) -> Error {
        Error::invalid(format!(
            "{what} cannot be pushed onto {} selection",
            self.kind_name()
        ))
    }
}

struct SelectionObject {
    building: Mutex<Building>,
}

static SELECTIONS: Registry<SelectionObject> = Registry::new(TAG_SELECTION);

/// The core selection a handle holds now (for a region of kind `SELECTION`).
pub(crate) fn selection_of(p: *const ZarrkitSelection, arg: &str) -> Result<Selection> {
    let object = SELECTIONS.get(id_of(p), arg)?;
    let s = object.building.lock().to_selection();
    Ok(s)
}

fn push(p: *const ZarrkitSelection, f: impl FnOnce(&mut Building) -> Result<()>) -> Result<()> {
    let object = SELECTIONS.get(id_of(p), "selection")?;
    let mut guard = object.building.lock();
    f(&mut guard)
}

fn slice_index(
    start: i64,
    stop: i64,
    step: i64,
    flags: u32,
) -> Result<(Option<i64>, Option<i64>, i64)> {
    if flags & !(ZARRKIT_SLICE_HAS_START | ZARRKIT_SLICE_HAS_STOP) != 0 {
        return Err(Error::invalid(format!(
            "unknown slice flags {flags:#x} (ZARRKIT_SLICE_HAS_START | ZARRKIT_SLICE_HAS_STOP)"
        )));
    }
    if step == 0 {
        return Err(Error::new(
            ZarrkitStatus::InvalidSelection,
            "a slice step of 0",
        ));
    }
    let start = (flags & ZARRKIT_SLICE_HAS_START != 0).then_some(start);
    let stop = (flags & ZARRKIT_SLICE_HAS_STOP != 0).then_some(stop);
    Ok((start, stop, step))
}

/// Booleans from C bytes: 0 is false, 1 true; anything else is an error (a C `bool` holds
/// only 0 or 1, and reading other bytes as one is undefined behaviour in Rust).
fn bools(bytes: &[u8], arg: &str) -> Result<Vec<bool>> {
    bytes
        .iter()
        .enumerate()
        .map(|(i, &b)| match b {
            0 => Ok(false),
            1 => Ok(true),
            other => Err(Error::invalid(format!(
                "`{arg}[{i}]` is {other}: mask elements must be 0 or 1"
            ))),
        })
        .collect()
}

/// Start an empty selection of `kind` (`ZARRKIT_SELECTION_KIND_ORTHOGONAL`, `_VECTORIZED`,
/// `_BLOCKS` or `_INNER_BLOCKS`; a mask comes from `zarrkit_selection_create_mask`). An
/// empty selection selects the whole array (vectorized: the whole array as one slice per
/// dimension).
///
/// # Safety
/// `out_selection` must be NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_selection_create(
    kind: u32,
    out_selection: *mut *mut ZarrkitSelection,
) -> ZarrkitStatus {
    ffi(|| {
        // SAFETY: forwarded from the caller's contract.
        let out = unsafe { out_handle(out_selection, "out_selection")? };
        let building = match kind {
            k if k == ZarrkitSelectionKind::Orthogonal as u32 => Building::Orthogonal(Vec::new()),
            k if k == ZarrkitSelectionKind::Vectorized as u32 => Building::Vectorized(Vec::new()),
            k if k == ZarrkitSelectionKind::Blocks as u32 => Building::Blocks(Vec::new()),
            k if k == ZarrkitSelectionKind::InnerBlocks as u32 => Building::InnerBlocks(Vec::new()),
            k if k == ZarrkitSelectionKind::Mask as u32 => {
                return Err(Error::invalid(
                    "a mask selection is created by zarrkit_selection_create_mask",
                ))
            }
            other => {
                return Err(Error::invalid(format!(
                    "unknown selection kind {other} (see ZarrkitSelectionKind)"
                )))
            }
        };
        out.set(SELECTIONS.insert(SelectionObject {
            building: Mutex::new(building),
        }));
        Ok(())
    })
}

/// Create a mask selection: `mask` holds `count` bytes (each 0 or 1), the mask in C order
/// of `shape` (`rank` elements), which must be the shape of the array it is used with.
///
/// # Safety
/// `shape` must be NULL or valid for `rank` reads, `mask` for `count` reads;
/// `out_selection` NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_selection_create_mask(
    rank: usize,
    shape: *const u64,
    mask: *const u8,
    count: usize,
    out_selection: *mut *mut ZarrkitSelection,
) -> ZarrkitStatus {
    ffi(|| {
        // SAFETY: forwarded.
        let out = unsafe { out_handle(out_selection, "out_selection")? };
        // SAFETY: forwarded.
        let shape = unsafe { slice(shape, rank, "shape")? };
        // SAFETY: forwarded.
        let mask = bools(unsafe { slice(mask, count, "mask")? }, "mask")?;
        let n = shape
            .iter()
            .try_fold(1u64, |a, &s| a.checked_mul(s))
            .ok_or_else(|| Error::invalid(format!("a mask shape {shape:?} overflows")))?;
        if n != count as u64 {
            return Err(Error::buffer_size(format!(
                "a mask of {count} elements for the shape {shape:?} ({n} elements)"
            )));
        }
        out.set(SELECTIONS.insert(SelectionObject {
            building: Mutex::new(Building::Mask {
                shape: shape.to_vec(),
                mask,
            }),
        }));
        Ok(())
    })
}

/// Push one position (negative: from the end). Orthogonal and block selections drop the
/// dimension from the result; in a vectorized selection it is a 0-d array broadcast with
/// the others.
#[no_mangle]
pub extern "C" fn zarrkit_selection_push_int(
    selection: *const ZarrkitSelection,
    index: i64,
) -> ZarrkitStatus {
    ffi(|| {
        push(selection, |b| {
            match b {
                Building::Orthogonal(v) | Building::Blocks(v) | Building::InnerBlocks(v) => {
                    v.push(Index::Int(index))
                }
                Building::Vectorized(v) => v.push(VIndex::Int(index)),
                Building::Mask { .. } => return Err(b.refuses("an integer")),
            }
            Ok(())
        })
    })
}

/// Push a slice `start:stop:step` as in Python: `flags` says which of `start` and `stop`
/// are given (`ZARRKIT_SLICE_HAS_START`, `ZARRKIT_SLICE_HAS_STOP`; absent ones take the
/// default for the step's direction), negative values count from the end, `step` is not 0
/// (`ZARRKIT_STATUS_INVALID_SELECTION`) and may be negative. Block selections take step 1
/// only. `zarrkit_selection_push_slice(s, 0, 0, 1, 0)` is the whole dimension (`:`).
#[no_mangle]
pub extern "C" fn zarrkit_selection_push_slice(
    selection: *const ZarrkitSelection,
    start: i64,
    stop: i64,
    step: i64,
    flags: u32,
) -> ZarrkitStatus {
    ffi(|| {
        let (start, stop, step) = slice_index(start, stop, step, flags)?;
        push(selection, |b| {
            match b {
                Building::Orthogonal(v) | Building::Blocks(v) | Building::InnerBlocks(v) => {
                    v.push(Index::Slice { start, stop, step })
                }
                Building::Vectorized(v) => v.push(VIndex::Slice { start, stop, step }),
                Building::Mask { .. } => return Err(b.refuses("a slice")),
            }
            Ok(())
        })
    })
}

/// Push an integer array of `count` positions (any order, repeats allowed, negative from
/// the end). Orthogonal: the positions along this dimension. Vectorized: a 1-D array
/// broadcast with the others (`zarrkit_selection_push_array_nd` for more dimensions).
///
/// # Safety
/// `indices` must be NULL or valid for `count` reads.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_selection_push_array(
    selection: *const ZarrkitSelection,
    indices: *const i64,
    count: usize,
) -> ZarrkitStatus {
    ffi(|| {
        // SAFETY: forwarded.
        let values = unsafe { slice(indices, count, "indices")? }.to_vec();
        push(selection, |b| {
            match b {
                Building::Orthogonal(v) => v.push(Index::Array(values)),
                Building::Vectorized(v) => v.push(VIndex::array(values)),
                _ => return Err(b.refuses("an integer array")),
            }
            Ok(())
        })
    })
}

/// Push an integer array of shape `shape` (`ndim` elements) whose `count` values (C order)
/// are positions, onto a vectorized selection: the arrays broadcast together as in NumPy.
///
/// # Safety
/// `shape` must be NULL or valid for `ndim` reads; `indices` for `count` reads.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_selection_push_array_nd(
    selection: *const ZarrkitSelection,
    ndim: usize,
    shape: *const u64,
    indices: *const i64,
    count: usize,
) -> ZarrkitStatus {
    ffi(|| {
        // SAFETY: forwarded.
        let shape = unsafe { slice(shape, ndim, "shape")? }.to_vec();
        // SAFETY: forwarded.
        let values = unsafe { slice(indices, count, "indices")? }.to_vec();
        let n = shape.iter().try_fold(1u64, |a, &s| a.checked_mul(s));
        if n != Some(count as u64) {
            return Err(Error::buffer_size(format!(
                "{count} values for an index array of shape {shape:?}"
            )));
        }
        push(selection, |b| {
            match b {
                Building::Vectorized(v) => v.push(VIndex::Array { shape, values }),
                _ => return Err(b.refuses("an n-dimensional integer array")),
            }
            Ok(())
        })
    })
}

/// Push a boolean mask of one dimension onto an orthogonal selection: `count` bytes, each 0
/// or 1, exactly the dimension's length (checked when used); its 1 positions, in order.
///
/// # Safety
/// `mask` must be NULL or valid for `count` reads.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_selection_push_mask(
    selection: *const ZarrkitSelection,
    mask: *const u8,
    count: usize,
) -> ZarrkitStatus {
    ffi(|| {
        // SAFETY: forwarded.
        let mask = bools(unsafe { slice(mask, count, "mask")? }, "mask")?;
        push(selection, |b| {
            match b {
                Building::Orthogonal(v) => v.push(Index::Mask(mask)),
                _ => return Err(b.refuses("a dimension mask")),
            }
            Ok(())
        })
    })
}

/// Push a new axis (a dimension of length 1 in the result) onto an orthogonal selection.
#[no_mangle]
pub extern "C" fn zarrkit_selection_push_new_axis(
    selection: *const ZarrkitSelection,
) -> ZarrkitStatus {
    ffi(|| {
        push(selection, |b| {
            match b {
                Building::Orthogonal(v) => v.push(Index::NewAxis),
                _ => return Err(b.refuses("a new axis")),
            }
            Ok(())
        })
    })
}

/// Push an ellipsis (as many whole dimensions as needed; at most one) onto an orthogonal
/// selection.
#[no_mangle]
pub extern "C" fn zarrkit_selection_push_ellipsis(
    selection: *const ZarrkitSelection,
) -> ZarrkitStatus {
    ffi(|| {
        push(selection, |b| {
            match b {
                Building::Orthogonal(v) => v.push(Index::Ellipsis),
                _ => return Err(b.refuses("an ellipsis")),
            }
            Ok(())
        })
    })
}

/// Copy a description of the selection (its Rust debug form, e.g. `Orthogonal([Int(1),
/// Slice { start: None, stop: None, step: 2 }])`) into `buf`, for messages and logs (string
/// output rules as `zarrkit_array_metadata_json`). The format is not stable.
///
/// # Safety
/// `buf` must be NULL or valid for `size` bytes; `required` NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn zarrkit_selection_describe(
    selection: *const ZarrkitSelection,
    buf: *mut c_char,
    size: usize,
    required: *mut usize,
) -> ZarrkitStatus {
    ffi(|| {
        let s = selection_of(selection, "selection")?;
        let text = format!("{s:?}");
        // SAFETY: forwarded.
        unsafe { write_string(text.as_bytes(), buf, size, required) }
    })
}

/// Destroy a selection. NULL does nothing; a second destroy gives
/// `ZARRKIT_STATUS_INVALID_HANDLE`.
#[no_mangle]
pub extern "C" fn zarrkit_selection_destroy(selection: *mut ZarrkitSelection) -> ZarrkitStatus {
    ffi(|| {
        if selection.is_null() {
            return Ok(());
        }
        SELECTIONS.remove(id_of(selection), "selection")
    })
}
