//! Selections: which elements of an array a read or write covers, with NumPy's semantics —
//! the one model every kind of indexing goes through ([`crate::Array::read_selection`],
//! [`crate::Array::write_selection`], their async forms, and [`crate::Region::Selection`]
//! in [`crate::Array::read`] / [`crate::Array::write`]).
//!
//! - **Basic / orthogonal** ([`Selection::Orthogonal`], NumPy's basic indexing and zarr's
//!   `oindex`): per dimension an integer (the dimension is dropped), a slice with any
//!   non-zero step (negative too), a 1-D integer array (any order, repeats allowed), or a
//!   1-D boolean mask; plus [`Index::NewAxis`] and one [`Index::Ellipsis`]. Fewer indices
//!   than dimensions select the rest whole. Arrays and masks select independently along
//!   their dimension (the outer product), so the result has one dimension per non-integer
//!   index.
//! - **Vectorized** ([`Selection::Vectorized`], NumPy's advanced indexing and zarr's
//!   `vindex`): integer arrays (and integers, as 0-d arrays) broadcast together to one shape
//!   B, slices allowed beside them. As in NumPy, B replaces the advanced indices in place if
//!   they are adjacent, otherwise it comes first.
//! - **Mask** ([`Selection::Mask`]): a boolean array of the array's shape; the result is the
//!   1-D list of selected elements in C order.
//! - **Blocks** ([`Selection::Blocks`], [`Selection::InnerBlocks`]): integers and step-1
//!   slices in units of chunks (or of the inner chunks of a sharded array), negative counting
//!   from the end — the region those chunks cover, clipped to the array.
//!
//! Negative integers count from the end; out-of-range integers, zero steps and masks of the
//! wrong length are [`crate::error::ArrayError::InvalidSelection`] errors naming the
//! dimension. A selection is resolved against an array's shape into per-chunk work: only
//! the chunks (and, inside shards, only the inner chunks) holding selected elements are read.

use crate::error::ArrayError;
use crate::subset::ArraySubset;

/// One index of an orthogonal (or block) selection.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Index {
    /// One position (negative: from the end); the dimension is dropped from the result.
    Int(i64),
    /// `start:stop:step` as in NumPy (`None`: the default for the step's direction).
    Slice {
        /// First position (inclusive).
        start: Option<i64>,
        /// End (exclusive).
        stop: Option<i64>,
        /// Step, non-zero; negative walks backwards.
        step: i64,
    },
    /// Positions in any order, repeats allowed (negative: from the end).
    Array(Vec<i64>),
    /// A boolean mask of the dimension's length: its `true` positions, in order.
    Mask(Vec<bool>),
    /// A new dimension of length 1 in the result.
    NewAxis,
    /// As many whole dimensions as needed (at most one per selection).
    Ellipsis,
}

impl Index {
    /// The whole dimension (`:`).
    pub fn all() -> Self {
        Self::Slice {
            start: None,
            stop: None,
            step: 1,
        }
    }

    /// `start:stop:step`.
    pub fn slice(start: Option<i64>, stop: Option<i64>, step: i64) -> Self {
        Self::Slice { start, stop, step }
    }

    /// `start..stop` with step 1.
    pub fn range(range: std::ops::Range<i64>) -> Self {
        Self::slice(Some(range.start), Some(range.end), 1)
    }
}

impl From<i64> for Index {
    fn from(i: i64) -> Self {
        Self::Int(i)
    }
}

impl From<std::ops::Range<i64>> for Index {
    fn from(r: std::ops::Range<i64>) -> Self {
        Self::range(r)
    }
}

impl From<std::ops::RangeFull> for Index {
    fn from(_: std::ops::RangeFull) -> Self {
        Self::all()
    }
}

impl From<Vec<i64>> for Index {
    fn from(v: Vec<i64>) -> Self {
        Self::Array(v)
    }
}

impl From<Vec<bool>> for Index {
    fn from(v: Vec<bool>) -> Self {
        Self::Mask(v)
    }
}

/// One index of a vectorized selection.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum VIndex {
    /// One position, broadcast with the arrays (a 0-d integer array).
    Int(i64),
    /// A slice (see [`Index::Slice`]).
    Slice {
        /// First position.
        start: Option<i64>,
        /// End (exclusive).
        stop: Option<i64>,
        /// Step, non-zero.
        step: i64,
    },
    /// An integer array of `shape` (C order `values`), broadcast with the others.
    Array {
        /// The array's shape.
        shape: Vec<u64>,
        /// Its values in C order.
        values: Vec<i64>,
    },
}

impl VIndex {
    /// A 1-D integer array.
    pub fn array(values: Vec<i64>) -> Self {
        Self::Array {
            shape: vec![values.len() as u64],
            values,
        }
    }

    /// The whole dimension.
    pub fn all() -> Self {
        Self::Slice {
            start: None,
            stop: None,
            step: 1,
        }
    }
}

/// A selection of elements of an array (see the [module documentation](self)).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Selection {
    /// Basic and orthogonal (outer) indexing.
    Orthogonal(Vec<Index>),
    /// Vectorized (coordinate) indexing.
    Vectorized(Vec<VIndex>),
    /// A boolean mask of the array's shape (C order).
    Mask {
        /// The mask's shape (must equal the array's).
        shape: Vec<u64>,
        /// The mask in C order.
        mask: Vec<bool>,
    },
    /// Chunks: per dimension an integer or a step-1 slice in chunk units.
    Blocks(Vec<Index>),
    /// Inner chunks of a sharded array, as [`Selection::Blocks`].
    InnerBlocks(Vec<Index>),
}

impl Selection {
    /// Orthogonal selection from indices.
    pub fn orthogonal<I: Into<Index>>(indices: impl IntoIterator<Item = I>) -> Self {
        Self::Orthogonal(indices.into_iter().map(Into::into).collect())
    }

    /// Points: one integer array per dimension (all of one length).
    pub fn points(coordinates: Vec<Vec<i64>>) -> Self {
        Self::Vectorized(coordinates.into_iter().map(VIndex::array).collect())
    }
}

fn invalid(message: impl Into<String>) -> ArrayError {
    ArrayError::InvalidSelection(message.into())
}

/// A position along a dimension of length `n` (negative from the end), checked.
pub(crate) fn position(i: i64, n: u64, dim: usize) -> Result<u64, ArrayError> {
    let n_i = i128::from(n);
    let p = if i < 0 {
        i128::from(i) + n_i
    } else {
        i128::from(i)
    };
    if (0..n_i).contains(&p) {
        Ok(p as u64)
    } else {
        Err(invalid(format!(
            "index {i} is out of bounds for dimension {dim} of length {n}"
        )))
    }
}

/// The positions of `start:stop:step` along a dimension of length `n` (Python's
/// `slice.indices`): `(first, step, count)`.
pub(crate) fn slice_positions(
    start: Option<i64>,
    stop: Option<i64>,
    step: i64,
    n: u64,
    dim: usize,
) -> Result<(i128, i128, u64), ArrayError> {
    if step == 0 {
        return Err(invalid(format!("slice step of dimension {dim} is zero")));
    }
    let n = i128::from(n);
    let step = i128::from(step);
    let norm = |v: i64, lo: i128, hi: i128| {
        let v = i128::from(v);
        let v = if v < 0 { v + n } else { v };
        v.clamp(lo, hi)
    };
    let (lo, hi) = if step > 0 { (0, n) } else { (-1, n - 1) };
    let first = start.map_or(if step > 0 { 0 } else { n - 1 }, |s| norm(s, lo, hi));
    let end = stop.map_or(if step > 0 { n } else { -1 }, |s| norm(s, lo, hi));
    let count = if step > 0 {
        if end > first {
            (end - first + step - 1) / step
        } else {
            0
        }
    } else if first > end {
        (first - end + (-step) - 1) / (-step)
    } else {
        0
    };
    Ok((first, step, count as u64))
}

/// The positions an index selects along one dimension, in result order.
pub(crate) fn dimension_positions(
    index: &Index,
    n: u64,
    dim: usize,
) -> Result<Vec<u64>, ArrayError> {
    Ok(match index {
        Index::Int(i) => vec![position(*i, n, dim)?],
        Index::Slice { start, stop, step } => {
            let (first, step, count) = slice_positions(*start, *stop, *step, n, dim)?;
            let mut v = Vec::new();
            v.try_reserve_exact(usize::try_from(count).unwrap_or(usize::MAX))
                .map_err(|_| ArrayError::TooLarge(u128::from(count) * 8))?;
            v.extend((0..count as i128).map(|k| (first + k * step) as u64));
            v
        }
        Index::Array(a) => a
            .iter()
            .map(|&i| position(i, n, dim))
            .collect::<Result<_, _>>()?,
        Index::Mask(m) => {
            if m.len() as u64 != n {
                return Err(invalid(format!(
                    "the mask of dimension {dim} has {} elements, the dimension has {n}",
                    m.len()
                )));
            }
            m.iter()
                .enumerate()
                .filter(|(_, &b)| b)
                .map(|(i, _)| i as u64)
                .collect()
        }
        Index::NewAxis | Index::Ellipsis => {
            return Err(ArrayError::Internal(
                "a new axis or ellipsis has no positions".into(),
            ))
        }
    })
}

/// Replace one ellipsis by whole dimensions and add trailing whole dimensions, so that the
/// indices other than new axes number `rank`.
pub(crate) fn expand(indices: &[Index], rank: usize) -> Result<Vec<Index>, ArrayError> {
    let ellipses = indices.iter().filter(|i| **i == Index::Ellipsis).count();
    if ellipses > 1 {
        return Err(invalid("a selection can have only one ellipsis"));
    }
    let real = indices
        .iter()
        .filter(|i| !matches!(i, Index::NewAxis | Index::Ellipsis))
        .count();
    if real > rank {
        return Err(invalid(format!(
            "{real} indices for an array of {rank} dimensions"
        )));
    }
    let fill = rank - real;
    let mut out = Vec::with_capacity(indices.len() + fill);
    let mut filled = false;
    for i in indices {
        if *i == Index::Ellipsis {
            out.extend(std::iter::repeat_n(Index::all(), fill));
            filled = true;
        } else {
            out.push(i.clone());
        }
    }
    if !filled {
        out.extend(std::iter::repeat_n(Index::all(), fill));
    }
    Ok(out)
}

/// A resolved orthogonal selection: per array dimension the positions in result order and
/// whether the dimension is in the result; the result shape (new axes included).
#[derive(Debug, Clone)]
pub(crate) struct Orthogonal {
    pub(crate) positions: Vec<Vec<u64>>,
    pub(crate) kept: Vec<bool>,
    pub(crate) shape: Vec<u64>,
}

impl Orthogonal {
    pub(crate) fn resolve(indices: &[Index], array_shape: &[u64]) -> Result<Self, ArrayError> {
        let indices = expand(indices, array_shape.len())?;
        let (mut positions, mut kept, mut shape) = (Vec::new(), Vec::new(), Vec::new());
        let mut dim = 0;
        for index in &indices {
            if *index == Index::NewAxis {
                shape.push(1);
                continue;
            }
            let p = dimension_positions(index, array_shape[dim], dim)?;
            let keep = !matches!(index, Index::Int(_));
            if keep {
                shape.push(p.len() as u64);
            }
            positions.push(p);
            kept.push(keep);
            dim += 1;
        }
        Ok(Self {
            positions,
            kept,
            shape,
        })
    }

    /// The subset this selection is, if it is rectangular (every dimension a contiguous
    /// increasing run, or an integer).
    pub(crate) fn as_subset(&self) -> Option<ArraySubset> {
        let mut start = Vec::with_capacity(self.positions.len());
        let mut len = Vec::with_capacity(self.positions.len());
        for p in &self.positions {
            let first = p.first().copied().unwrap_or(0);
            if p.iter().enumerate().any(|(k, &x)| x != first + k as u64) {
                return None;
            }
            start.push(first);
            len.push(p.len() as u64);
        }
        ArraySubset::new(start, len).ok()
    }

    /// The number of selected elements.
    pub(crate) fn count(&self) -> u128 {
        self.positions.iter().map(|p| p.len() as u128).product()
    }
}

/// A resolved point selection: the array coordinates of each result element, in result
/// (C) order, and the result shape.
#[derive(Debug, Clone)]
pub(crate) struct Points {
    /// `count × rank` coordinates.
    pub(crate) coordinates: Vec<u64>,
    pub(crate) rank: usize,
    pub(crate) shape: Vec<u64>,
}

impl Points {
    pub(crate) fn count(&self) -> usize {
        match self.coordinates.len().checked_div(self.rank) {
            Some(n) => n,
            None => usize::from(!self.shape.contains(&0)),
        }
    }

    /// The points of a boolean mask of the array's shape.
    pub(crate) fn from_mask(
        shape: &[u64],
        mask: &[bool],
        array_shape: &[u64],
    ) -> Result<Self, ArrayError> {
        if shape != array_shape {
            return Err(invalid(format!(
                "a mask of shape {shape:?} for an array of shape {array_shape:?}"
            )));
        }
        let n: u128 = shape.iter().map(|&x| u128::from(x)).product();
        if n != mask.len() as u128 {
            return Err(invalid(format!(
                "a mask of shape {shape:?} needs {n} elements, not {}",
                mask.len()
            )));
        }
        let rank = shape.len();
        let mut coordinates = Vec::new();
        let mut count = 0u64;
        let mut idx = vec![0u64; rank];
        for &b in mask {
            if b {
                coordinates.extend_from_slice(&idx);
                count += 1;
            }
            for d in (0..rank).rev() {
                idx[d] += 1;
                if idx[d] < shape[d] {
                    break;
                }
                idx[d] = 0;
            }
        }
        Ok(Self {
            coordinates,
            rank,
            shape: vec![count],
        })
    }

    /// A vectorized selection, with NumPy's broadcasting and placement rules.
    pub(crate) fn vectorized(
        indices: &[VIndex],
        array_shape: &[u64],
        max_elements: u64,
    ) -> Result<Self, ArrayError> {
        let rank = array_shape.len();
        if indices.len() > rank {
            return Err(invalid(format!(
                "{} indices for an array of {rank} dimensions",
                indices.len()
            )));
        }
        let mut all: Vec<VIndex> = indices.to_vec();
        all.extend(std::iter::repeat_n(VIndex::all(), rank - indices.len()));
        // Broadcast the advanced indices.
        let advanced: Vec<usize> = all
            .iter()
            .enumerate()
            .filter(|(_, i)| !matches!(i, VIndex::Slice { .. }))
            .map(|(d, _)| d)
            .collect();
        let mut b: Vec<u64> = Vec::new();
        for &d in &advanced {
            let s: &[u64] = match &all[d] {
                VIndex::Array { shape, values } => {
                    let n: u128 = shape.iter().map(|&x| u128::from(x)).product();
                    if n != values.len() as u128 {
                        return Err(invalid(format!(
                            "the index array of dimension {d} has shape {shape:?} but {} values",
                            values.len()
                        )));
                    }
                    shape
                }
                _ => &[],
            };
            b = broadcast(&b, s).ok_or_else(|| {
                invalid(format!(
                    "index arrays of shapes {b:?} and {s:?} (dimension {d}) do not broadcast"
                ))
            })?;
        }
        // Slices' positions.
        let mut slice_pos: Vec<Option<Vec<u64>>> = Vec::with_capacity(rank);
        for (d, i) in all.iter().enumerate() {
            slice_pos.push(match i {
                VIndex::Slice { start, stop, step } => Some(dimension_positions(
                    &Index::Slice {
                        start: *start,
                        stop: *stop,
                        step: *step,
                    },
                    array_shape[d],
                    d,
                )?),
                _ => None,
            });
        }
        // Result dimensions: (source, extent); source None = the broadcast dims.
        let adjacent = advanced.windows(2).all(|w| w[1] == w[0] + 1);
        let insert_at = if advanced.is_empty() {
            0
        } else if adjacent {
            advanced[0]
        } else {
            0
        };
        #[derive(Clone, Copy)]
        enum Src {
            Slice(usize),
            Broadcast(usize),
        }
        let mut dims: Vec<(Src, u64)> = Vec::new();
        let mut placed = advanced.is_empty();
        for (d, sp) in slice_pos.iter().enumerate() {
            if !placed && d == insert_at && (adjacent || d == 0) {
                dims.extend(b.iter().enumerate().map(|(k, &n)| (Src::Broadcast(k), n)));
                placed = true;
            }
            if let Some(p) = sp {
                dims.push((Src::Slice(d), p.len() as u64));
            }
        }
        if !placed {
            let at = if adjacent { dims.len() } else { 0 };
            let bd: Vec<(Src, u64)> = b
                .iter()
                .enumerate()
                .map(|(k, &n)| (Src::Broadcast(k), n))
                .collect();
            dims.splice(at..at, bd);
        }
        let shape: Vec<u64> = dims.iter().map(|d| d.1).collect();
        let count: u128 = shape.iter().map(|&x| u128::from(x)).product();
        if count > u128::from(max_elements) {
            return Err(ArrayError::TooLarge(count));
        }
        let count = count as usize;
        let mut coordinates = Vec::new();
        coordinates
            .try_reserve_exact(count.saturating_mul(rank))
            .map_err(|_| ArrayError::TooLarge(count as u128 * rank as u128 * 8))?;
        // Strides of each advanced array within the broadcast shape.
        let arrays: Vec<Option<(Vec<u64>, &[i64])>> = all
            .iter()
            .map(|i| match i {
                VIndex::Array { shape, values } => {
                    Some((broadcast_strides(shape, b.len()), values.as_slice()))
                }
                _ => None,
            })
            .collect();
        let mut out_idx = vec![0u64; shape.len()];
        let mut b_idx = vec![0u64; b.len()];
        for _ in 0..count {
            for (k, (src, _)) in dims.iter().enumerate() {
                if let Src::Broadcast(j) = src {
                    b_idx[*j] = out_idx[k];
                }
            }
            for d in 0..rank {
                let c = match (&all[d], &slice_pos[d]) {
                    (_, Some(p)) => {
                        let k = dims
                            .iter()
                            .position(|(s, _)| matches!(s, Src::Slice(x) if *x == d))
                            .unwrap_or(0);
                        p[out_idx[k] as usize]
                    }
                    (VIndex::Int(i), _) => position(*i, array_shape[d], d)?,
                    (VIndex::Array { .. }, _) => {
                        let Some((strides, values)) = &arrays[d] else {
                            return Err(ArrayError::Internal("index array".into()));
                        };
                        let flat: u64 = b_idx.iter().zip(strides).map(|(i, s)| i * s).sum();
                        position(values[flat as usize], array_shape[d], d)?
                    }
                    (VIndex::Slice { .. }, None) => {
                        return Err(ArrayError::Internal("slice positions".into()))
                    }
                };
                coordinates.push(c);
            }
            for k in (0..shape.len()).rev() {
                out_idx[k] += 1;
                if out_idx[k] < shape[k] {
                    break;
                }
                out_idx[k] = 0;
            }
        }
        Ok(Self {
            coordinates,
            rank,
            shape,
        })
    }
}

/// NumPy broadcasting of two shapes.
fn broadcast(a: &[u64], b: &[u64]) -> Option<Vec<u64>> {
    let n = a.len().max(b.len());
    let mut out = vec![0u64; n];
    for k in 0..n {
        let x = if k + a.len() >= n {
            a[k + a.len() - n]
        } else {
            1
        };
        let y = if k + b.len() >= n {
            b[k + b.len() - n]
        } else {
            1
        };
        out[k] = match (x, y) {
            (x, y) if x == y => x,
            (1, y) => y,
            (x, 1) => x,
            _ => return None,
        };
    }
    Some(out)
}

/// The strides of an array of `shape` broadcast into `rank` dimensions (0 where it is
/// broadcast), in its own C order.
fn broadcast_strides(shape: &[u64], rank: usize) -> Vec<u64> {
    let mut own = vec![0u64; shape.len()];
    let mut s = 1u64;
    for k in (0..shape.len()).rev() {
        own[k] = if shape[k] == 1 { 0 } else { s };
        s = s.saturating_mul(shape[k]);
    }
    let mut out = vec![0u64; rank];
    for k in 0..shape.len() {
        out[rank - shape.len() + k] = own[k];
    }
    out
}

/// The region of a block selection: `grid` gives a block's start and end along a dimension
/// from its index (`None` past the end).
pub(crate) fn block_subset(
    indices: &[Index],
    grid_shape: &[u64],
) -> Result<(Vec<u64>, Vec<u64>), ArrayError> {
    let indices = expand(indices, grid_shape.len())?;
    let mut first = Vec::with_capacity(grid_shape.len());
    let mut last = Vec::with_capacity(grid_shape.len());
    for (dim, i) in indices.iter().enumerate() {
        let n = grid_shape[dim];
        match i {
            Index::Int(k) => {
                let p = position(*k, n, dim)?;
                first.push(p);
                last.push(p + 1);
            }
            Index::Slice { start, stop, step } => {
                if *step != 1 {
                    return Err(invalid(format!(
                        "block selections take step-1 slices (dimension {dim} has step {step})"
                    )));
                }
                let (f, _, count) = slice_positions(*start, *stop, 1, n, dim)?;
                first.push(f as u64);
                last.push(f as u64 + count);
            }
            _ => {
                return Err(invalid(format!(
                    "block selections take integers and slices (dimension {dim})"
                )))
            }
        }
    }
    Ok((first, last))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_follow_python() -> Result<(), ArrayError> {
        let pos = |s: Option<i64>, e: Option<i64>, st: i64, n: u64| {
            dimension_positions(&Index::slice(s, e, st), n, 0)
        };
        assert_eq!(pos(None, None, 1, 5)?, [0, 1, 2, 3, 4]);
        assert_eq!(pos(None, None, -1, 5)?, [4, 3, 2, 1, 0]);
        assert_eq!(pos(Some(1), Some(-1), 2, 6)?, [1, 3]);
        assert_eq!(pos(Some(-2), None, -2, 6)?, [4, 2, 0]);
        assert_eq!(pos(Some(10), Some(-10), -3, 6)?, [5, 2]);
        assert!(pos(Some(3), Some(1), 1, 6)?.is_empty());
        assert!(pos(None, None, 0, 6).is_err());
        Ok(())
    }

    #[test]
    fn vectorized_placement_follows_numpy() -> Result<(), ArrayError> {
        // x[[0, 1], :, [1, 2]] on (2, 3, 4): non-adjacent advanced -> (2, 3).
        let p = Points::vectorized(
            &[
                VIndex::array(vec![0, 1]),
                VIndex::all(),
                VIndex::array(vec![1, 2]),
            ],
            &[2, 3, 4],
            1 << 20,
        )?;
        assert_eq!(p.shape, [2, 3]);
        assert_eq!(&p.coordinates[..6], &[0, 0, 1, 0, 1, 1]);
        // x[:, [0, 1], [1, 2]] on (2, 3, 4): adjacent -> (2, 2).
        let p = Points::vectorized(
            &[
                VIndex::all(),
                VIndex::array(vec![0, 1]),
                VIndex::array(vec![1, 2]),
            ],
            &[2, 3, 4],
            1 << 20,
        )?;
        assert_eq!(p.shape, [2, 2]);
        // Broadcasting (2,1) with (3,) -> (2,3).
        let p = Points::vectorized(
            &[
                VIndex::Array {
                    shape: vec![2, 1],
                    values: vec![0, 1],
                },
                VIndex::array(vec![0, 1, 2]),
            ],
            &[2, 3],
            1 << 20,
        )?;
        assert_eq!(p.shape, [2, 3]);
        assert_eq!(p.coordinates, [0, 0, 0, 1, 0, 2, 1, 0, 1, 1, 1, 2]);
        assert!(Points::vectorized(
            &[VIndex::array(vec![0, 1]), VIndex::array(vec![0, 1, 2])],
            &[2, 3],
            1 << 20
        )
        .is_err());
        Ok(())
    }
}
