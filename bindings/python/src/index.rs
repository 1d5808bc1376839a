//! NumPy indices as zarr-python hands them to a pipeline, on both sides of a chunk copy.
//!
//! zarr-python splits a selection into chunks itself and passes, per chunk, a
//! `chunk_selection` (into the decoded chunk) and an `out_selection` (into the output, or
//! into the value being written), with NumPy semantics: `out[out_selection] =
//! chunk[chunk_selection]` (squeezed of `drop_axes`). Each is a tuple of integers, slices
//! (any positive step), integer arrays (1-D, or the broadcasting arrays of `numpy.ix_` for an
//! orthogonal selection of several arrays or with dropped axes) and boolean arrays; a
//! coordinate or mask selection gives 1-D coordinate arrays on the chunk side and a slice or
//! an integer array on the output side.
//!
//! - The chunk side becomes a zarrkit [`Selection`] (orthogonal when the index is basic, an
//!   `ix_` outer product, or one 1-D array or mask; vectorized otherwise, which is NumPy's
//!   advanced indexing with its placement rule), read and written by zarrkit's selection
//!   planner, which reads only the chunk's parts it needs (inner chunks of a shard, runs of an
//!   uncompressed chunk).
//! - The output side becomes an [`OutPlan`]: the byte offset of every result element in a
//!   strided buffer (any strides: C, F, views, broadcast values with zero strides), as an
//!   outer sum of per-dimension offsets or, for general advanced indexing, an explicit list.
//!   Elements are copied in C order of the result, byte-swapped for a non-native byte order.

use zarrkit::{Index, Selection, VIndex};

/// One entry of a NumPy index tuple.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PyIdx {
    /// An integer (negative: from the end).
    Int(i64),
    /// `start:stop:step`.
    Slice {
        /// Start (`None`: the default).
        start: Option<i64>,
        /// Stop (`None`: the default).
        stop: Option<i64>,
        /// Step (non-zero).
        step: i64,
    },
    /// An integer array of `shape` (C order values).
    Array {
        /// Its shape.
        shape: Vec<usize>,
        /// Its values.
        values: Vec<i64>,
    },
    /// A boolean array of `shape`.
    Bool {
        /// Its shape.
        shape: Vec<usize>,
        /// Its values.
        values: Vec<bool>,
    },
    /// `numpy.newaxis`.
    NewAxis,
    /// `...`.
    Ellipsis,
}

impl PyIdx {
    fn is_advanced(&self) -> bool {
        matches!(self, Self::Array { .. } | Self::Bool { .. })
    }
}

/// The shape of the ix_ outer product, if `idx` is one (`k` arrays of rank `k`, the `j`-th
/// of extent 1 except along `j`): the 1-D arrays.
fn ix_arrays(idx: &[PyIdx]) -> Option<Vec<Vec<i64>>> {
    let k = idx.len();
    if k < 2 {
        return None;
    }
    let mut out = Vec::with_capacity(k);
    for (j, e) in idx.iter().enumerate() {
        let PyIdx::Array { shape, values } = e else {
            return None;
        };
        if shape.len() != k || shape.iter().enumerate().any(|(m, &n)| m != j && n != 1) {
            return None;
        }
        out.push(values.clone());
    }
    Some(out)
}

/// The positions a boolean array selects, as one coordinate array per dimension.
fn nonzero(shape: &[usize], values: &[bool]) -> Vec<Vec<i64>> {
    let mut coords = vec![Vec::new(); shape.len()];
    let mut idx = vec![0usize; shape.len()];
    for &v in values {
        if v {
            for (d, &i) in idx.iter().enumerate() {
                coords[d].push(i as i64);
            }
        }
        // Advance the C-order multi-index.
        for d in (0..shape.len()).rev() {
            idx[d] += 1;
            if idx[d] < shape[d] {
                break;
            }
            idx[d] = 0;
        }
    }
    coords
}

fn slice_index(start: Option<i64>, stop: Option<i64>, step: i64) -> Index {
    Index::Slice { start, stop, step }
}

/// The chunk side of a copy as a zarrkit selection.
pub fn chunk_selection(idx: &[PyIdx]) -> Result<Selection, String> {
    if !idx.iter().any(PyIdx::is_advanced) {
        let v = idx
            .iter()
            .map(|e| match e {
                PyIdx::Int(i) => Ok(Index::Int(*i)),
                PyIdx::Slice { start, stop, step } => Ok(slice_index(*start, *stop, *step)),
                PyIdx::NewAxis => Ok(Index::NewAxis),
                PyIdx::Ellipsis => Ok(Index::Ellipsis),
                _ => Err("unreachable index kind".to_string()),
            })
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(Selection::Orthogonal(v));
    }
    if let Some(arrays) = ix_arrays(idx) {
        return Ok(Selection::Orthogonal(
            arrays.into_iter().map(Index::Array).collect(),
        ));
    }
    let advanced = idx.iter().filter(|e| e.is_advanced()).count();
    let one_dim = |e: &PyIdx| match e {
        PyIdx::Array { shape, .. } | PyIdx::Bool { shape, .. } => shape.len() == 1,
        _ => true,
    };
    let has_int = idx.iter().any(|e| matches!(e, PyIdx::Int(_)));
    if advanced == 1 && !has_int && idx.iter().all(one_dim) {
        // One 1-D array or mask among slices: NumPy keeps it in place, as an outer product.
        let v = idx
            .iter()
            .map(|e| match e {
                PyIdx::Slice { start, stop, step } => Ok(slice_index(*start, *stop, *step)),
                PyIdx::Array { values, .. } => Ok(Index::Array(values.clone())),
                PyIdx::Bool { values, .. } => Ok(Index::Mask(values.clone())),
                PyIdx::NewAxis => Ok(Index::NewAxis),
                PyIdx::Ellipsis => Ok(Index::Ellipsis),
                PyIdx::Int(_) => Err("unreachable index kind".to_string()),
            })
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(Selection::Orthogonal(v));
    }
    if let [PyIdx::Bool { shape, values }] = idx {
        if shape.len() > 1 {
            return Ok(Selection::Mask {
                shape: shape.iter().map(|&n| n as u64).collect(),
                mask: values.clone(),
            });
        }
    }
    // NumPy's advanced indexing: vectorized.
    let mut v = Vec::with_capacity(idx.len());
    for e in idx {
        match e {
            PyIdx::Int(i) => v.push(VIndex::Int(*i)),
            PyIdx::Slice { start, stop, step } => v.push(VIndex::Slice {
                start: *start,
                stop: *stop,
                step: *step,
            }),
            PyIdx::Array { shape, values } => v.push(VIndex::Array {
                shape: shape.iter().map(|&n| n as u64).collect(),
                values: values.clone(),
            }),
            PyIdx::Bool { shape, values } => {
                for c in nonzero(shape, values) {
                    v.push(VIndex::array(c));
                }
            }
            PyIdx::NewAxis | PyIdx::Ellipsis => {
                return Err("a new axis or an ellipsis beside index arrays is not supported".into())
            }
        }
    }
    Ok(Selection::Vectorized(v))
}

/// A strided buffer: shape, strides in bytes, element size.
#[derive(Debug, Clone)]
pub struct Strided {
    /// The shape.
    pub shape: Vec<usize>,
    /// Strides in bytes (may be negative or zero).
    pub strides: Vec<isize>,
    /// Bytes per element.
    pub elem: usize,
}

impl Strided {
    /// C-contiguous strides for `shape`.
    pub fn c_order(shape: Vec<usize>, elem: usize) -> Self {
        let mut strides = vec![0isize; shape.len()];
        let mut s = elem as isize;
        for d in (0..shape.len()).rev() {
            strides[d] = s;
            s = s.saturating_mul(shape[d].max(1) as isize);
        }
        Self {
            shape,
            strides,
            elem,
        }
    }

    /// The lowest and one-past-highest byte offsets an element can have (relative to the
    /// data pointer).
    pub fn extent(&self) -> (isize, isize) {
        if self.shape.contains(&0) {
            return (0, 0);
        }
        let (mut lo, mut hi) = (0isize, 0isize);
        for (&n, &s) in self.shape.iter().zip(&self.strides) {
            let span = s.saturating_mul(n as isize - 1);
            if span < 0 {
                lo = lo.saturating_add(span);
            } else {
                hi = hi.saturating_add(span);
            }
        }
        (lo, hi.saturating_add(self.elem as isize))
    }
}

/// Where each result element of an index into a strided buffer is.
#[derive(Debug, Clone)]
pub enum OutPlan {
    /// `base + Σ_d dims[d][i_d]` for result index `(i_0, …)` (basic and outer indexing).
    Outer {
        /// The offset of every element's integer-indexed part.
        base: isize,
        /// Per result dimension, the offset of each position.
        dims: Vec<Vec<isize>>,
    },
    /// The offsets in C order of the result (general advanced indexing).
    Points(Vec<isize>),
}

fn position(i: i64, n: usize, dim: usize) -> Result<usize, String> {
    let p = if i < 0 {
        i as i128 + n as i128
    } else {
        i as i128
    };
    if (0..n as i128).contains(&p) {
        Ok(p as usize)
    } else {
        Err(format!(
            "index {i} is out of bounds for axis {dim} with size {n}"
        ))
    }
}

fn slice_positions(
    start: Option<i64>,
    stop: Option<i64>,
    step: i64,
    n: usize,
) -> Result<Vec<usize>, String> {
    if step == 0 {
        return Err("slice step cannot be zero".into());
    }
    let n = n as i128;
    let step = step as i128;
    let norm = |v: i64, lo: i128, hi: i128| {
        let v = v as i128;
        let v = if v < 0 { v + n } else { v };
        v.clamp(lo, hi)
    };
    let (lo, hi) = if step > 0 { (0, n) } else { (-1, n - 1) };
    let first = start.map_or(if step > 0 { 0 } else { n - 1 }, |s| norm(s, lo, hi));
    let end = stop.map_or(if step > 0 { n } else { -1 }, |s| norm(s, lo, hi));
    let mut v = Vec::new();
    let mut p = first;
    while (step > 0 && p < end) || (step < 0 && p > end) {
        v.push(p as usize);
        p += step;
    }
    Ok(v)
}

/// Replace an ellipsis by full slices and pad with full slices to `rank` real indices.
fn expand(idx: &[PyIdx], rank: usize) -> Result<Vec<PyIdx>, String> {
    let width = |e: &PyIdx| match e {
        PyIdx::NewAxis | PyIdx::Ellipsis => 0,
        PyIdx::Bool { shape, .. } => shape.len(),
        _ => 1,
    };
    let real: usize = idx.iter().map(width).sum();
    if real > rank {
        return Err(format!(
            "too many indices: {real} for an array of {rank} dimensions"
        ));
    }
    let full = PyIdx::Slice {
        start: None,
        stop: None,
        step: 1,
    };
    let mut out = Vec::with_capacity(idx.len() + rank - real);
    let mut filled = false;
    for e in idx {
        if *e == PyIdx::Ellipsis {
            if filled {
                return Err("an index can only have a single ellipsis".into());
            }
            out.extend(std::iter::repeat_n(full.clone(), rank - real));
            filled = true;
        } else {
            out.push(e.clone());
        }
    }
    if !filled {
        out.extend(std::iter::repeat_n(full, rank - real));
    }
    Ok(out)
}

fn broadcast(shapes: &[Vec<usize>]) -> Result<Vec<usize>, String> {
    let n = shapes.iter().map(Vec::len).max().unwrap_or(0);
    let mut out = vec![1usize; n];
    for s in shapes {
        let off = n - s.len();
        for (i, &d) in s.iter().enumerate() {
            let o = &mut out[off + i];
            if *o == 1 {
                *o = d;
            } else if d != 1 && d != *o {
                return Err(format!(
                    "shape mismatch: indexing arrays could not be broadcast together with shapes {shapes:?}"
                ));
            }
        }
    }
    Ok(out)
}

impl OutPlan {
    /// Resolve `idx` against `buf`.
    pub fn resolve(idx: &[PyIdx], buf: &Strided) -> Result<Self, String> {
        let rank = buf.shape.len();
        let idx = expand(idx, rank)?;
        if !idx.iter().any(PyIdx::is_advanced) {
            let (mut base, mut dims, mut d) = (0isize, Vec::new(), 0usize);
            for e in &idx {
                match e {
                    PyIdx::NewAxis => dims.push(vec![0]),
                    PyIdx::Int(i) => {
                        let p = position(*i, buf.shape[d], d)?;
                        base += p as isize * buf.strides[d];
                        d += 1;
                    }
                    PyIdx::Slice { start, stop, step } => {
                        let s = buf.strides[d];
                        dims.push(
                            slice_positions(*start, *stop, *step, buf.shape[d])?
                                .into_iter()
                                .map(|p| p as isize * s)
                                .collect(),
                        );
                        d += 1;
                    }
                    _ => return Err("unreachable index kind".into()),
                }
            }
            return Ok(Self::Outer { base, dims });
        }
        if idx.contains(&PyIdx::NewAxis) {
            return Err("a new axis beside index arrays is not supported".into());
        }
        if let Some(arrays) = ix_arrays(&idx) {
            let mut dims = Vec::with_capacity(arrays.len());
            for (d, a) in arrays.iter().enumerate() {
                let s = buf.strides[d];
                dims.push(
                    a.iter()
                        .map(|&i| position(i, buf.shape[d], d).map(|p| p as isize * s))
                        .collect::<Result<Vec<_>, _>>()?,
                );
            }
            return Ok(Self::Outer { base: 0, dims });
        }
        // General advanced indexing: the advanced entries broadcast to one shape, placed where
        // the first one is when they are adjacent, else first.
        struct Adv {
            dims: Vec<usize>,
            coords: Vec<Vec<i64>>,
            shape: Vec<usize>,
        }
        let mut advs: Vec<(usize, Adv)> = Vec::new();
        let mut basics: Vec<(usize, Vec<isize>)> = Vec::new();
        let (mut base, mut d) = (0isize, 0usize);
        let mut any_int = false;
        for (pos, e) in idx.iter().enumerate() {
            match e {
                PyIdx::Slice { start, stop, step } => {
                    let s = buf.strides[d];
                    basics.push((
                        pos,
                        slice_positions(*start, *stop, *step, buf.shape[d])?
                            .into_iter()
                            .map(|p| p as isize * s)
                            .collect(),
                    ));
                    d += 1;
                }
                PyIdx::Int(i) => {
                    // An integer beside arrays is a 0-d advanced index (NumPy).
                    any_int = true;
                    advs.push((
                        pos,
                        Adv {
                            dims: vec![d],
                            coords: vec![vec![*i]],
                            shape: vec![],
                        },
                    ));
                    d += 1;
                }
                PyIdx::Array { shape, values } => {
                    advs.push((
                        pos,
                        Adv {
                            dims: vec![d],
                            coords: vec![values.clone()],
                            shape: shape.clone(),
                        },
                    ));
                    d += 1;
                }
                PyIdx::Bool { shape, values } => {
                    if shape.iter().product::<usize>() != values.len() {
                        return Err("malformed boolean index".into());
                    }
                    for (k, &n) in shape.iter().enumerate() {
                        if buf.shape.get(d + k) != Some(&n) {
                            return Err(format!(
                                "boolean index did not match indexed array along axis {}",
                                d + k
                            ));
                        }
                    }
                    let coords = nonzero(shape, values);
                    let nnz = coords.first().map_or(0, Vec::len);
                    advs.push((
                        pos,
                        Adv {
                            dims: (d..d + shape.len()).collect(),
                            coords,
                            shape: vec![nnz],
                        },
                    ));
                    d += shape.len();
                }
                PyIdx::NewAxis | PyIdx::Ellipsis => return Err("unreachable index kind".into()),
            }
        }
        let _ = any_int;
        let bshape = broadcast(
            &advs
                .iter()
                .map(|(_, a)| a.shape.clone())
                .collect::<Vec<_>>(),
        )?;
        let adjacent = advs.windows(2).all(|w| w[1].0 == w[0].0 + 1);
        let first_adv = advs.first().map_or(0, |(p, _)| *p);
        // Result dimensions: basic dims before the advanced block (if adjacent), the block,
        // the rest.
        let n_before = if adjacent {
            basics.iter().filter(|(p, _)| *p < first_adv).count()
        } else {
            0
        };
        let bn: usize = bshape.iter().product();
        // Offsets of each broadcast element.
        let mut adv_off = Vec::with_capacity(bn);
        let mut bidx = vec![0usize; bshape.len()];
        for _ in 0..bn {
            let mut o = 0isize;
            for (_, a) in &advs {
                // The element of this array at the broadcast index (right-aligned, extent-1
                // dims broadcast).
                let off = bshape.len() - a.shape.len();
                let mut lin = 0usize;
                for (k, &n) in a.shape.iter().enumerate() {
                    let i = if n == 1 { 0 } else { bidx[off + k] };
                    lin = lin * n + i;
                }
                for (c, &dim) in a.coords.iter().zip(&a.dims) {
                    let v = *c.get(lin).ok_or("index array too short")?;
                    let p = position(v, buf.shape[dim], dim)?;
                    o += p as isize * buf.strides[dim];
                }
            }
            adv_off.push(o);
            for k in (0..bshape.len()).rev() {
                bidx[k] += 1;
                if bidx[k] < bshape[k] {
                    break;
                }
                bidx[k] = 0;
            }
        }
        base += 0;
        // Outer sum over [before..., block, after...] in C order.
        let mut dims: Vec<Vec<isize>> = Vec::new();
        for (_, b) in basics.iter().take(n_before) {
            dims.push(b.clone());
        }
        dims.push(adv_off);
        for (_, b) in basics.iter().skip(n_before) {
            dims.push(b.clone());
        }
        let total: usize = dims.iter().map(Vec::len).product();
        let mut offs = Vec::new();
        offs.try_reserve_exact(total)
            .map_err(|_| format!("cannot allocate {total} offsets"))?;
        outer_for_each(base, &dims, &mut |o| offs.push(o));
        Ok(Self::Points(offs))
    }

    /// Whether there are no result elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The number of result elements.
    pub fn len(&self) -> usize {
        match self {
            Self::Outer { dims, .. } => dims.iter().map(Vec::len).product(),
            Self::Points(p) => p.len(),
        }
    }

    /// Call `f(offset, run)` for the result elements in C order: `run` elements starting at
    /// `offset`, `elem` bytes apart in the buffer (runs are found only where the last result
    /// dimension is contiguous).
    pub fn for_each_run(&self, elem: usize, f: &mut dyn FnMut(isize, usize)) {
        match self {
            Self::Points(p) => {
                for &o in p {
                    f(o, 1);
                }
            }
            Self::Outer { base, dims } => {
                if dims.iter().any(Vec::is_empty) {
                    return;
                }
                let Some((last, rest)) = dims.split_last() else {
                    f(*base, 1);
                    return;
                };
                let contiguous = last.windows(2).all(|w| w[1] - w[0] == elem as isize);
                if contiguous {
                    let (first, n) = (last[0], last.len());
                    outer_for_each(*base, rest, &mut |o| f(o + first, n));
                } else {
                    outer_for_each(*base, rest, &mut |o| {
                        for &l in last {
                            f(o + l, 1);
                        }
                    });
                }
            }
        }
    }
}

/// `f(base + Σ dims[d][i_d])` for every index in C order.
fn outer_for_each(base: isize, dims: &[Vec<isize>], f: &mut dyn FnMut(isize)) {
    match dims.split_first() {
        None => f(base),
        Some((first, rest)) => {
            for &o in first {
                outer_for_each(base + o, rest, f);
            }
        }
    }
}

/// Copy one element, byte-swapping units of `swap` bytes (0: none).
///
/// # Safety
/// `src` and `dst` must be valid for `elem` bytes.
#[inline]
unsafe fn copy_elem(src: *const u8, dst: *mut u8, elem: usize, swap: usize) {
    // SAFETY: the caller's contract.
    unsafe {
        if swap <= 1 {
            std::ptr::copy_nonoverlapping(src, dst, elem);
        } else {
            let mut u = 0;
            while u + swap <= elem {
                for b in 0..swap {
                    *dst.add(u + b) = *src.add(u + swap - 1 - b);
                }
                u += swap;
            }
        }
    }
}

/// A raw pointer to a buffer that several threads write disjoint elements of.
#[derive(Debug, Clone, Copy)]
pub struct RawBuf {
    /// The data pointer (element `0`'s address).
    pub ptr: *mut u8,
    /// The lowest and one-past-highest valid offsets from `ptr`.
    pub extent: (isize, isize),
}

// SAFETY: users write disjoint elements (the chunks of one zarr request select disjoint
// output elements); the buffer is kept alive by the caller for the whole operation.
unsafe impl Send for RawBuf {}
// SAFETY: as above.
unsafe impl Sync for RawBuf {}

fn check_offset(o: isize, n: usize, elem: usize, extent: (isize, isize)) -> Result<(), String> {
    let end = (n as isize)
        .checked_mul(elem as isize)
        .and_then(|b| o.checked_add(b));
    match end {
        Some(e) if o >= extent.0 && e <= extent.1 => Ok(()),
        _ => Err(format!(
            "offset {o} (+{n} elements) is outside the buffer's bytes {extent:?}"
        )),
    }
}

/// Write `src` (C order, `n` elements of `elem` bytes, or one element broadcast) into `dst`
/// at `plan`'s offsets.
pub fn scatter(
    src: &[u8],
    dst: RawBuf,
    plan: &OutPlan,
    elem: usize,
    swap: usize,
) -> Result<(), String> {
    let n = plan.len();
    let broadcast = src.len() == elem && n != 1;
    if !broadcast && src.len() != n * elem {
        return Err(format!(
            "could not broadcast {} elements into {n} output elements",
            src.len() / elem.max(1)
        ));
    }
    let mut err = None;
    let mut at = 0usize;
    plan.for_each_run(elem, &mut |o, run| {
        if err.is_some() {
            return;
        }
        if let Err(e) = check_offset(o, run, elem, dst.extent) {
            err = Some(e);
            return;
        }
        // SAFETY: the offset range was checked against the buffer's extent; `src` holds
        // `n` elements (or one, broadcast) and `at` counts the elements written so far.
        unsafe {
            let d = dst.ptr.offset(o);
            if broadcast {
                for k in 0..run {
                    copy_elem(src.as_ptr(), d.add(k * elem), elem, swap);
                }
            } else if swap <= 1 {
                std::ptr::copy_nonoverlapping(src.as_ptr().add(at * elem), d, run * elem);
            } else {
                for k in 0..run {
                    copy_elem(
                        src.as_ptr().add((at + k) * elem),
                        d.add(k * elem),
                        elem,
                        swap,
                    );
                }
            }
        }
        at += run;
    });
    match err {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Read the elements at `plan`'s offsets of `src` into a C-order vector (native byte
/// order).
pub fn gather(src: RawBuf, plan: &OutPlan, elem: usize, swap: usize) -> Result<Vec<u8>, String> {
    let n = plan.len();
    let total = n
        .checked_mul(elem)
        .ok_or_else(|| "value too large".to_string())?;
    let mut out = Vec::new();
    out.try_reserve_exact(total)
        .map_err(|_| format!("cannot allocate {total} bytes"))?;
    out.resize(total, 0);
    let mut err = None;
    let mut at = 0usize;
    plan.for_each_run(elem, &mut |o, run| {
        if err.is_some() {
            return;
        }
        if let Err(e) = check_offset(o, run, elem, src.extent) {
            err = Some(e);
            return;
        }
        // SAFETY: the offsets were checked against the source's extent and `out` holds `n`
        // elements.
        unsafe {
            let s = src.ptr.offset(o) as *const u8;
            if swap <= 1 {
                std::ptr::copy_nonoverlapping(s, out.as_mut_ptr().add(at * elem), run * elem);
            } else {
                for k in 0..run {
                    copy_elem(
                        s.add(k * elem),
                        out.as_mut_ptr().add((at + k) * elem),
                        elem,
                        swap,
                    );
                }
            }
        }
        at += run;
    });
    match err {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sl(a: i64, b: i64, s: i64) -> PyIdx {
        PyIdx::Slice {
            start: Some(a),
            stop: Some(b),
            step: s,
        }
    }

    fn arr(shape: &[usize], v: &[i64]) -> PyIdx {
        PyIdx::Array {
            shape: shape.to_vec(),
            values: v.to_vec(),
        }
    }

    fn offsets(plan: &OutPlan, elem: usize) -> Vec<isize> {
        let mut v = Vec::new();
        plan.for_each_run(elem, &mut |o, n| {
            for k in 0..n {
                v.push(o + (k * elem) as isize);
            }
        });
        v
    }

    #[test]
    fn basic_and_strided_plans() -> Result<(), String> {
        let buf = Strided::c_order(vec![4, 5], 1);
        let p = OutPlan::resolve(&[sl(1, 3, 1), sl(0, 5, 2)], &buf)?;
        assert_eq!(offsets(&p, 1), vec![5, 7, 9, 10, 12, 14]);
        // F order buffer.
        let f = Strided {
            shape: vec![4, 5],
            strides: vec![1, 4],
            elem: 1,
        };
        let p = OutPlan::resolve(&[PyIdx::Int(2)], &f)?;
        assert_eq!(offsets(&p, 1), vec![2, 6, 10, 14, 18]);
        Ok(())
    }

    #[test]
    fn ix_and_points() -> Result<(), String> {
        let buf = Strided::c_order(vec![3, 4], 1);
        let p = OutPlan::resolve(&[arr(&[2, 1], &[2, 0]), arr(&[1, 2], &[3, 1])], &buf)?;
        assert_eq!(offsets(&p, 1), vec![11, 9, 3, 1]);
        let p = OutPlan::resolve(&[arr(&[2], &[2, 0]), arr(&[2], &[3, 1])], &buf)?;
        assert_eq!(offsets(&p, 1), vec![11, 1]);
        // Non-adjacent advanced indices go first: x[[0, 1], :, [1, 2]] on (2, 2, 3).
        let b3 = Strided::c_order(vec![2, 2, 3], 1);
        let p = OutPlan::resolve(
            &[
                arr(&[2], &[0, 1]),
                PyIdx::Slice {
                    start: None,
                    stop: None,
                    step: 1,
                },
                arr(&[2], &[1, 2]),
            ],
            &b3,
        )?;
        assert_eq!(offsets(&p, 1), vec![1, 4, 8, 11]);
        Ok(())
    }

    #[test]
    fn out_of_bounds_is_an_error() {
        let buf = Strided::c_order(vec![3], 1);
        assert!(OutPlan::resolve(&[arr(&[1], &[3])], &buf).is_err());
        assert!(OutPlan::resolve(&[PyIdx::Int(-4)], &buf).is_err());
        assert!(OutPlan::resolve(&[PyIdx::Int(0), PyIdx::Int(0)], &buf).is_err());
    }

    #[test]
    fn scatter_swaps_and_broadcasts() -> Result<(), String> {
        let mut out = vec![0u8; 8];
        let buf = Strided::c_order(vec![4], 2);
        let (lo, hi) = buf.extent();
        let raw = RawBuf {
            ptr: out.as_mut_ptr(),
            extent: (lo, hi),
        };
        let p = OutPlan::resolve(&[sl(0, 4, 2)], &buf)?;
        scatter(&[1, 2, 3, 4], raw, &p, 2, 2)?;
        assert_eq!(out, vec![2, 1, 0, 0, 4, 3, 0, 0]);
        scatter(&[9, 9], raw, &p, 2, 0)?;
        assert_eq!(out, vec![9, 9, 0, 0, 9, 9, 0, 0]);
        assert!(scatter(&[1, 2, 3, 4, 5, 6], raw, &p, 2, 0).is_err());
        let g = gather(raw, &p, 2, 0)?;
        assert_eq!(g, vec![9, 9, 9, 9]);
        Ok(())
    }

    #[test]
    fn chunk_selections() -> Result<(), String> {
        assert!(matches!(
            chunk_selection(&[PyIdx::Int(1), sl(0, 2, 1)])?,
            Selection::Orthogonal(_)
        ));
        assert!(matches!(
            chunk_selection(&[arr(&[2, 1], &[0, 1]), arr(&[1, 3], &[0, 1, 2])])?,
            Selection::Orthogonal(_)
        ));
        assert!(matches!(
            chunk_selection(&[arr(&[2], &[0, 1]), arr(&[2], &[0, 1])])?,
            Selection::Vectorized(_)
        ));
        Ok(())
    }
}
