//! [`ArraySubset`]: a hyper-rectangle (start + shape) and the copy helpers that move element
//! bytes between buffers laid out in C order.

use crate::error::ArrayError;

/// A hyper-rectangular region: `start` and `shape` per dimension.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct ArraySubset {
    start: Vec<u64>,
    shape: Vec<u64>,
}

impl std::fmt::Display for ArraySubset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[")?;
        for (i, (s, n)) in self.start.iter().zip(&self.shape).enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{s}..{}", s.saturating_add(*n))?;
        }
        f.write_str("]")
    }
}

impl ArraySubset {
    /// A subset from `start` and `shape`. Panics never; ranks must match (checked).
    pub fn new(start: Vec<u64>, shape: Vec<u64>) -> Result<Self, ArrayError> {
        if start.len() != shape.len()
            || start
                .iter()
                .zip(&shape)
                .any(|(s, n)| s.checked_add(*n).is_none())
        {
            return Err(ArrayError::InvalidSubset {
                subset: format!("start {start:?} shape {shape:?}"),
                shape: shape.clone(),
            });
        }
        Ok(Self { start, shape })
    }

    /// The subset covering `[0, shape)`.
    pub fn new_with_shape(shape: Vec<u64>) -> Self {
        Self {
            start: vec![0; shape.len()],
            shape,
        }
    }

    /// A subset from per-dimension ranges. A reversed range (`5..2`) is an error, not an
    /// empty subset; an empty range (`3..3`) is an empty extent.
    pub fn new_with_ranges(ranges: &[std::ops::Range<u64>]) -> Result<Self, ArrayError> {
        if let Some((d, r)) = ranges.iter().enumerate().find(|(_, r)| r.end < r.start) {
            return Err(ArrayError::InvalidInput(format!(
                "range {}..{} of dimension {d} is reversed",
                r.start, r.end
            )));
        }
        Ok(Self {
            start: ranges.iter().map(|r| r.start).collect(),
            shape: ranges.iter().map(|r| r.end - r.start).collect(),
        })
    }

    /// A subset from its start and exclusive end per dimension (an end before its start is
    /// an error).
    pub fn from_start_end(start: &[u64], end: &[u64]) -> Result<Self, ArrayError> {
        if start.len() != end.len() {
            return Err(ArrayError::InvalidInput(format!(
                "start {start:?} and end {end:?} have different ranks"
            )));
        }
        let ranges: Vec<std::ops::Range<u64>> =
            start.iter().zip(end).map(|(&s, &e)| s..e).collect();
        Self::new_with_ranges(&ranges)
    }

    /// The start.
    pub fn start(&self) -> &[u64] {
        &self.start
    }

    /// The shape.
    pub fn shape(&self) -> &[u64] {
        &self.shape
    }

    /// The exclusive end per dimension.
    pub fn end_exc(&self) -> Vec<u64> {
        self.start
            .iter()
            .zip(&self.shape)
            .map(|(s, n)| s.saturating_add(*n))
            .collect()
    }

    /// The rank.
    pub fn dimensionality(&self) -> usize {
        self.start.len()
    }

    /// The number of elements (saturating).
    pub fn num_elements(&self) -> u64 {
        self.shape.iter().fold(1u64, |a, &b| a.saturating_mul(b))
    }

    /// The number of elements as a usize, or an error if it does not fit.
    pub fn num_elements_usize(&self) -> Result<usize, ArrayError> {
        let n = self
            .shape
            .iter()
            .try_fold(1u64, |a, &b| a.checked_mul(b))
            .ok_or(ArrayError::TooLarge(u128::MAX))?;
        usize::try_from(n).map_err(|_| ArrayError::TooLarge(n as u128))
    }

    /// Whether the subset is empty.
    pub fn is_empty(&self) -> bool {
        self.shape.contains(&0)
    }

    /// Whether this subset lies inside `[0, shape)`.
    pub fn inbounds(&self, shape: &[u64]) -> bool {
        self.dimensionality() == shape.len()
            && self
                .start
                .iter()
                .zip(&self.shape)
                .zip(shape)
                .all(|((s, n), b)| s.checked_add(*n).is_some_and(|e| e <= *b))
    }

    /// Error unless this subset lies inside `[0, shape)`.
    pub fn check_inbounds(&self, shape: &[u64]) -> Result<(), ArrayError> {
        if self.inbounds(shape) {
            Ok(())
        } else {
            Err(ArrayError::InvalidSubset {
                subset: self.to_string(),
                shape: shape.to_vec(),
            })
        }
    }

    /// The intersection with another subset of the same rank (possibly empty).
    pub fn overlap(&self, other: &ArraySubset) -> ArraySubset {
        let mut start = Vec::with_capacity(self.start.len());
        let mut shape = Vec::with_capacity(self.start.len());
        for i in 0..self.start.len() {
            let s = self.start[i].max(other.start[i]);
            let e = (self.start[i] + self.shape[i]).min(other.start[i] + other.shape[i]);
            start.push(s);
            shape.push(e.saturating_sub(s));
        }
        ArraySubset { start, shape }
    }

    /// This subset relative to `origin` (each start minus the origin). The caller ensures
    /// `start >= origin`.
    pub fn relative_to(&self, origin: &[u64]) -> ArraySubset {
        ArraySubset {
            start: self
                .start
                .iter()
                .zip(origin)
                .map(|(s, o)| s.saturating_sub(*o))
                .collect(),
            shape: self.shape.clone(),
        }
    }

    /// This subset shifted by `offset`.
    pub fn offset_by(&self, offset: &[u64]) -> ArraySubset {
        ArraySubset {
            start: self
                .start
                .iter()
                .zip(offset)
                .map(|(s, o)| s.saturating_add(*o))
                .collect(),
            shape: self.shape.clone(),
        }
    }

    /// Iterate over every index in C order (last dimension fastest).
    pub fn indices(&self) -> IndicesIter {
        IndicesIter {
            start: self.start.clone(),
            end: self.end_exc(),
            next: if self.is_empty() {
                None
            } else {
                Some(self.start.clone())
            },
        }
    }
}

/// Iterator over the indices of a subset in C order.
#[derive(Debug, Clone)]
pub struct IndicesIter {
    start: Vec<u64>,
    end: Vec<u64>,
    next: Option<Vec<u64>>,
}

impl Iterator for IndicesIter {
    type Item = Vec<u64>;
    fn next(&mut self) -> Option<Vec<u64>> {
        let cur = self.next.take()?;
        let mut n = cur.clone();
        let mut d = n.len();
        loop {
            if d == 0 {
                self.next = None;
                break;
            }
            d -= 1;
            n[d] += 1;
            if n[d] < self.end[d] {
                self.next = Some(n);
                break;
            }
            n[d] = self.start[d];
        }
        Some(cur)
    }
}

/// Compute the contiguous runs of `subset` within a C-order buffer of `shape`:
/// returns (outer shape over which to iterate, run length in elements, strides in elements).
/// Trailing dimensions that are fully covered are merged into the run.
fn runs(shape: &[u64], subset: &ArraySubset) -> (Vec<u64>, u64, Vec<u64>) {
    let n = shape.len();
    let mut strides = vec![1u64; n];
    for i in (0..n.saturating_sub(1)).rev() {
        strides[i] = strides[i + 1] * shape[i + 1];
    }
    // Find how many trailing dims can be merged.
    let mut run = 1u64;
    let mut k = n; // dims [k, n) are merged into the run
    while k > 0 {
        let d = k - 1;
        run *= subset.shape[d];
        k = d;
        if subset.shape[d] != shape[d] {
            break;
        }
    }
    let outer: Vec<u64> = subset.shape[..k].to_vec();
    (outer, run, strides)
}

/// Copy the elements of `src_subset` of a C-order `src` buffer (shape `src_shape`) into
/// `dst_subset` of a C-order `dst` buffer (shape `dst_shape`). Both subsets have the same
/// shape; `elem` is the element size in bytes. Runs along contiguous dimensions are copied
/// with one `memcpy` each.
///
/// # Panics
/// If a subset does not fit its buffer.
pub fn copy_subset(
    src: &[u8],
    src_shape: &[u64],
    src_subset: &ArraySubset,
    dst: &mut [u8],
    dst_shape: &[u64],
    dst_subset: &ArraySubset,
    elem: usize,
) {
    debug_assert_eq!(src_subset.shape(), dst_subset.shape());
    // SAFETY: `dst` is an exclusive borrow of `dst.len()` bytes.
    unsafe {
        copy_subset_raw(
            src,
            src_shape,
            src_subset,
            dst.as_mut_ptr(),
            dst.len(),
            dst_shape,
            dst_subset,
            elem,
        )
    }
}

/// The plan of a strided copy: byte offset of the first run in each buffer, byte steps of
/// the outer (non-contiguous) dimensions in each buffer, their extents, and the run length.
struct CopyPlan {
    src0: usize,
    dst0: usize,
    src_steps: Vec<usize>,
    dst_steps: Vec<usize>,
    outer: Vec<usize>,
    run_bytes: usize,
}

/// Plan a copy, or `None` if a subset (or the arithmetic) does not fit its buffer length.
fn plan_copy(
    src_len: usize,
    src_shape: &[u64],
    src_subset: &ArraySubset,
    dst_len: usize,
    dst_shape: &[u64],
    dst_subset: &ArraySubset,
    elem: usize,
) -> Option<CopyPlan> {
    let n = src_shape.len();
    if dst_shape.len() != n || src_subset.shape.len() != n || dst_subset.shape != src_subset.shape {
        return None;
    }
    // Merge on both sides: the run is the smaller of the two mergeable runs.
    let (_, src_run, src_strides) = runs(src_shape, src_subset);
    let (_, dst_run, dst_strides) = runs(dst_shape, dst_subset);
    let run = src_run.min(dst_run);
    // Number of trailing dims covered by `run`.
    let mut k = n;
    let mut acc = 1u64;
    while k > 0 && acc < run {
        acc *= src_subset.shape[k - 1];
        k -= 1;
    }
    let elem64 = elem as u64;
    let to_usize = |v: u64| usize::try_from(v).ok();
    // Byte offset of the subset's first element, and of the end of its last run.
    let bounds = |start: &[u64], strides: &[u64]| -> Option<(usize, usize)> {
        let mut first = 0u64;
        let mut last = 0u64;
        for d in 0..n {
            let s = strides[d].checked_mul(elem64)?;
            first = first.checked_add(start[d].checked_mul(s)?)?;
            if d < k {
                last = last.checked_add((src_subset.shape[d] - 1).checked_mul(s)?)?;
            }
        }
        let end = first
            .checked_add(last)?
            .checked_add(run.checked_mul(elem64)?)?;
        Some((to_usize(first)?, to_usize(end)?))
    };
    let (src0, src_end) = bounds(&src_subset.start, &src_strides)?;
    let (dst0, dst_end) = bounds(&dst_subset.start, &dst_strides)?;
    if src_end > src_len || dst_end > dst_len {
        return None;
    }
    let steps = |strides: &[u64]| -> Vec<usize> {
        strides[..k].iter().map(|s| (s * elem64) as usize).collect()
    };
    Some(CopyPlan {
        src0,
        dst0,
        src_steps: steps(&src_strides),
        dst_steps: steps(&dst_strides),
        outer: src_subset.shape[..k].iter().map(|&o| o as usize).collect(),
        run_bytes: (run * elem64) as usize,
    })
}

/// The byte range of `subset` in a C-order buffer of `len` bytes and `shape` (`elem` bytes
/// per element) when the subset is one contiguous run of it (see [`runs`]), e.g. a block
/// spanning the trailing dimensions; `None` otherwise, or if the subset or the shape does
/// not fit the buffer.
pub(crate) fn contiguous_range(
    len: usize,
    shape: &[u64],
    subset: &ArraySubset,
    elem: usize,
) -> Option<std::ops::Range<usize>> {
    // The whole shape fits the buffer, so no stride or offset below overflows.
    let bytes = shape
        .iter()
        .try_fold(elem as u64, |a, &b| a.checked_mul(b))?;
    if shape.len() != subset.shape.len() || !subset.inbounds(shape) || bytes > len as u64 {
        return None;
    }
    let (outer, run, strides) = runs(shape, subset);
    if outer.iter().any(|&o| o != 1) {
        return None;
    }
    let first: u64 = subset.start.iter().zip(&strides).map(|(s, t)| s * t).sum();
    let start = usize::try_from(first * elem as u64).ok()?;
    Some(start..start + usize::try_from(run * elem as u64).ok()?)
}

/// The byte offsets of the contiguous runs of `subset` in a C-order buffer of `len` bytes and
/// shape `shape`, in C order, and the run length in bytes; `None` if the subset (or the
/// arithmetic) does not fit the buffer. An empty subset has no runs.
pub(crate) fn runs_of(
    len: usize,
    shape: &[u64],
    subset: &ArraySubset,
    elem: usize,
) -> Option<(Vec<usize>, usize)> {
    if subset.is_empty() {
        return Some((Vec::new(), 0));
    }
    // Plan a copy from a contiguous buffer holding exactly the subset: its runs on the
    // destination side are the subset's runs.
    let src_shape = subset.shape.clone();
    let src_len = usize::try_from(
        src_shape
            .iter()
            .try_fold(elem as u64, |a, &b| a.checked_mul(b))?,
    )
    .ok()?;
    let whole = ArraySubset::new_with_shape(src_shape.clone());
    let plan = plan_copy(src_len, &src_shape, &whole, len, shape, subset, elem)?;
    let count: usize = plan.outer.iter().product();
    let mut offsets = Vec::with_capacity(count);
    let k = plan.outer.len();
    let mut idx = vec![0usize; k];
    loop {
        let off = plan.dst0
            + idx
                .iter()
                .zip(&plan.dst_steps)
                .map(|(i, s)| i * s)
                .sum::<usize>();
        offsets.push(off);
        let mut d = k;
        loop {
            if d == 0 {
                return Some((offsets, plan.run_bytes));
            }
            d -= 1;
            idx[d] += 1;
            if idx[d] < plan.outer[d] {
                break;
            }
            idx[d] = 0;
        }
    }
}

/// Copy `rows` runs of `len` bytes, `ss` / `ds` bytes apart. Common small run lengths (the
/// rows of small chunks: 64 bytes for a 32-element uint16 row) are copied with a fixed size,
/// which the compiler inlines, instead of a `memcpy` call per row.
///
/// # Safety
/// Every run must lie inside its buffer; the destination runs must not overlap the source.
#[inline(always)]
unsafe fn copy_rows(src: *const u8, ss: usize, dst: *mut u8, ds: usize, rows: usize, len: usize) {
    macro_rules! rows {
        ($n:expr) => {
            for r in 0..rows {
                // SAFETY: the caller's contract.
                unsafe { std::ptr::copy_nonoverlapping(src.add(r * ss), dst.add(r * ds), $n) }
            }
        };
    }
    match len {
        2 => rows!(2),
        4 => rows!(4),
        8 => rows!(8),
        16 => rows!(16),
        32 => rows!(32),
        64 => rows!(64),
        128 => rows!(128),
        256 => rows!(256),
        _ => rows!(len),
    }
}

/// Like [`copy_subset`] but writing through a raw pointer, for parallel decoding of disjoint
/// regions of one output buffer.
///
/// # Safety
/// `dst` must be valid for writes of `dst_len` bytes, and no other thread may access the bytes
/// of `dst_subset` concurrently.
///
/// # Panics
/// If a subset does not fit its buffer (checked once, before anything is written).
#[allow(clippy::too_many_arguments)]
pub unsafe fn copy_subset_raw(
    src: &[u8],
    src_shape: &[u64],
    src_subset: &ArraySubset,
    dst: *mut u8,
    dst_len: usize,
    dst_shape: &[u64],
    dst_subset: &ArraySubset,
    elem: usize,
) {
    if src_subset.is_empty() {
        return;
    }
    let plan = plan_copy(
        src.len(),
        src_shape,
        src_subset,
        dst_len,
        dst_shape,
        dst_subset,
        elem,
    );
    // Documented panic (see `# Panics`); the workspace forbids `panic!`/`expect`.
    assert!(plan.is_some(), "copy_subset_raw out of bounds");
    let Some(plan) = plan else {
        return;
    };
    let k = plan.outer.len();
    let src = src.as_ptr();
    if k == 0 {
        // SAFETY: bounds checked by `plan_copy`; the caller guarantees exclusive access.
        unsafe {
            std::ptr::copy_nonoverlapping(src.add(plan.src0), dst.add(plan.dst0), plan.run_bytes)
        };
        return;
    }
    // The innermost outer dimension is a tight loop of rows; the others an odometer.
    let rows = plan.outer[k - 1];
    let (ss, ds) = (plan.src_steps[k - 1], plan.dst_steps[k - 1]);
    let mut idx = vec![0usize; k - 1];
    loop {
        let mut so = plan.src0;
        let mut d_o = plan.dst0;
        for ((i, a), b) in idx.iter().zip(&plan.src_steps).zip(&plan.dst_steps) {
            so += i * a;
            d_o += i * b;
        }
        // SAFETY: every run lies inside both buffers (`plan_copy` checked the last one and
        // offsets grow with each index); the caller guarantees exclusive access to `dst`'s.
        unsafe { copy_rows(src.add(so), ss, dst.add(d_o), ds, rows, plan.run_bytes) };
        let mut d = k - 1;
        loop {
            if d == 0 {
                return;
            }
            d -= 1;
            idx[d] += 1;
            if idx[d] < plan.outer[d] {
                break;
            }
            idx[d] = 0;
        }
    }
}

/// Fill `dst_subset` of a C-order buffer with a repeated element value, in place.
///
/// # Panics
/// If the subset does not fit the buffer.
pub fn fill_subset(dst: &mut [u8], dst_shape: &[u64], dst_subset: &ArraySubset, value: &[u8]) {
    let elem = value.len();
    if dst_subset.is_empty() || elem == 0 {
        return;
    }
    let plan = runs_of(dst.len(), dst_shape, dst_subset, elem);
    assert!(plan.is_some(), "fill_subset out of bounds");
    let Some((offsets, run)) = plan else { return };
    for o in offsets {
        fill_run(&mut dst[o..o + run], value);
    }
}

/// Fill `run` (a whole number of elements) with `value` repeated: the first element, then
/// doubling copies (log2(n) `memcpy` calls), or a `memset` when the value is one repeated
/// byte.
pub fn fill_run(run: &mut [u8], value: &[u8]) {
    let elem = value.len();
    if elem == 0 || run.is_empty() {
        return;
    }
    if value.iter().all(|&b| b == value[0]) {
        run.fill(value[0]);
        return;
    }
    let n = run.len() / elem * elem;
    let run = &mut run[..n];
    run[..elem].copy_from_slice(value);
    let mut done = elem;
    while done < n {
        let k = done.min(n - done);
        run.copy_within(..k, done);
        done += k;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn naive_copy(
        src: &[u8],
        src_shape: &[u64],
        src_subset: &ArraySubset,
        dst: &mut [u8],
        dst_shape: &[u64],
        dst_subset: &ArraySubset,
    ) {
        let lin = |shape: &[u64], idx: &[u64]| -> usize {
            let mut o = 0u64;
            for (s, i) in shape.iter().zip(idx) {
                o = o * s + i;
            }
            o as usize
        };
        for (a, b) in src_subset.indices().zip(dst_subset.indices()) {
            dst[lin(dst_shape, &b)] = src[lin(src_shape, &a)];
        }
    }

    fn shape_and_subset() -> impl Strategy<Value = (Vec<u64>, ArraySubset)> {
        prop::collection::vec(1u64..6, 0..4).prop_flat_map(|shape| {
            let s2 = shape.clone();
            let parts: Vec<_> = shape
                .iter()
                .map(|&n| (0..n).prop_flat_map(move |s| (Just(s), 0..=n - s)))
                .collect();
            (Just(s2), parts).prop_map(|(shape, v)| {
                let start = v.iter().map(|x| x.0).collect();
                let sh = v.iter().map(|x| x.1).collect();
                (shape, ArraySubset { start, shape: sh })
            })
        })
    }

    proptest! {
        #[test]
        fn copy_matches_naive((shape, subset) in shape_and_subset(), pad in prop::collection::vec(0u64..3, 4)) {
            let n: u64 = shape.iter().product();
            let src: Vec<u8> = (0..n).map(|i| (i * 7 + 3) as u8).collect();
            // Destination: a bigger buffer with the subset placed at an offset.
            let dst_shape: Vec<u64> = subset.shape().iter().zip(&pad).map(|(s, p)| s + p).collect();
            let dst_subset = ArraySubset::new_with_shape(subset.shape().to_vec()).offset_by(&pad[..shape.len()]);
            let dn: u64 = dst_shape.iter().product();
            let mut a = vec![0u8; dn as usize];
            let mut b = vec![0u8; dn as usize];
            copy_subset(&src, &shape, &subset, &mut a, &dst_shape, &dst_subset, 1);
            naive_copy(&src, &shape, &subset, &mut b, &dst_shape, &dst_subset);
            prop_assert_eq!(a, b);
        }

        #[test]
        fn runs_scatter_like_copy((shape, subset) in shape_and_subset(), elem in 1usize..4) {
            // Filling the runs with consecutive bytes equals copying a contiguous buffer
            // holding exactly the subset into it.
            let n: usize = shape.iter().product::<u64>() as usize * elem;
            let m: usize = subset.num_elements() as usize * elem;
            let src: Vec<u8> = (0..m).map(|i| (i * 5 + 1) as u8).collect();
            let mut a = vec![0u8; n];
            let (offsets, run) = runs_of(n, &shape, &subset, elem).expect("fits");
            prop_assert_eq!(offsets.len() * run, m);
            let needed = offsets.iter().map(|o| o + run).max().unwrap_or(0);
            let mut at = 0;
            for o in offsets {
                a[o..o + run].copy_from_slice(&src[at..at + run]);
                at += run;
            }
            let mut b = vec![0u8; n];
            let whole = ArraySubset::new_with_shape(subset.shape().to_vec());
            copy_subset(&src, subset.shape(), &whole, &mut b, &shape, &subset, elem);
            prop_assert_eq!(a, b);
            // A buffer one byte shorter than the last run's end is refused.
            if m > 0 {
                prop_assert!(runs_of(needed - 1, &shape, &subset, elem).is_none());
            }
        }

        #[test]
        fn overlap_is_contained((shape, a) in shape_and_subset(), (_, b) in shape_and_subset()) {
            prop_assume!(a.dimensionality() == b.dimensionality());
            let o = a.overlap(&b);
            for idx in o.indices() {
                prop_assert!(a.indices().any(|x| x == idx));
                prop_assert!(b.indices().any(|x| x == idx));
            }
            let _ = shape;
        }
    }

    #[test]
    fn indices_c_order() {
        let s = ArraySubset::new_with_ranges(&[1..3, 0..2]).unwrap_or_default();
        let v: Vec<_> = s.indices().collect();
        assert_eq!(v, vec![vec![1, 0], vec![1, 1], vec![2, 0], vec![2, 1]]);
        assert_eq!(ArraySubset::new_with_shape(vec![]).indices().count(), 1);
        assert_eq!(ArraySubset::new_with_shape(vec![0, 3]).indices().count(), 0);
    }

    #[test]
    fn fill_works() {
        let mut d = vec![0u8; 6];
        fill_subset(
            &mut d,
            &[2, 3],
            &ArraySubset::new_with_ranges(&[0..2, 1..3]).unwrap_or_default(),
            &[9],
        );
        assert_eq!(d, vec![0, 9, 9, 0, 9, 9]);
    }
}
