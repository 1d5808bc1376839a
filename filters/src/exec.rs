//! Chunk-by-chunk execution: output chunks processed in parallel with at most `chunk_limit`
//! in flight (bounded memory), halo geometry, and strided region copies of flat buffers.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use parking_lot::Mutex;
use zarrkit_core::{Array, ArraySubset, CodecOptions};

use crate::FilterError;

/// Options of every filter run.
#[derive(Debug, Clone, Copy, Default)]
pub struct ExecOptions {
    /// The most output chunks (or shards) processed at once (default: the rayon pool's
    /// thread count). Memory in use is about this many times a filter's per-chunk memory.
    pub chunk_limit: Option<usize>,
    /// Codec options of the reads and writes (the concurrency target is shared out).
    pub codec_options: CodecOptions,
}

impl ExecOptions {
    /// The effective chunk limit (at least 1).
    pub fn chunk_limit(&self) -> usize {
        self.chunk_limit
            .unwrap_or_else(rayon::current_num_threads)
            .max(1)
    }

    /// Codec options for one of `limit` concurrent chunk tasks: the concurrency target is
    /// divided between them.
    pub fn task_codec_options(&self) -> CodecOptions {
        let per = (self.codec_options.concurrent_target / self.chunk_limit()).max(1);
        self.codec_options.with_concurrent_target(per)
    }
}

/// Run `f(i)` for `i in 0..n` on the rayon pool, at most `limit` at a time; stops at the first
/// error (tasks already running finish) and returns it.
pub fn for_each_limited<F>(n: usize, limit: usize, f: F) -> Result<(), FilterError>
where
    F: Fn(usize) -> Result<(), FilterError> + Sync,
{
    if n == 0 {
        return Ok(());
    }
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let error: Mutex<Option<FilterError>> = Mutex::new(None);
    let workers = limit.max(1).min(n);
    rayon::scope(|s| {
        for _ in 0..workers {
            s.spawn(|_| loop {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                if let Err(e) = f(i) {
                    stop.store(true, Ordering::Relaxed);
                    let mut slot = error.lock();
                    if slot.is_none() {
                        *slot = Some(e);
                    }
                    break;
                }
            });
        }
    });
    match error.into_inner() {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// The C-order multi-index of flat index `i` in a grid of `shape`.
pub fn unravel(mut i: u64, shape: &[u64]) -> Vec<u64> {
    let mut idx = vec![0u64; shape.len()];
    for d in (0..shape.len()).rev() {
        let n = shape[d].max(1);
        idx[d] = i % n;
        i /= n;
    }
    idx
}

/// The number of chunks of an array's grid, as `usize`.
pub fn num_chunks<S: ?Sized>(array: &Array<S>) -> Result<(Vec<u64>, usize), FilterError> {
    let grid = array.chunk_grid_shape();
    let n = grid
        .iter()
        .try_fold(1u64, |a, &g| a.checked_mul(g))
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| FilterError::Other(format!("too many chunks: grid {grid:?}")))?;
    Ok((grid, n))
}

/// Run `f` on the (array-bounded) subset of every chunk of `array`'s grid, in parallel with
/// at most `limit` at a time.
pub fn for_each_chunk<S: ?Sized + Sync + Send, F>(
    array: &Array<S>,
    limit: usize,
    f: F,
) -> Result<usize, FilterError>
where
    F: Fn(&[u64], &ArraySubset) -> Result<(), FilterError> + Sync,
{
    let (grid, n) = num_chunks(array)?;
    for_each_limited(n, limit, |i| {
        let idx = unravel(i as u64, &grid);
        let subset = array.chunk_subset_bounded(&idx)?;
        if subset.is_empty() {
            return Ok(());
        }
        f(&idx, &subset)
    })?;
    Ok(n)
}

/// A subset grown by a halo (clipped to the array), and where the original lies inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Halo {
    /// The grown subset of the array (clipped to `[0, shape)`).
    pub outer: ArraySubset,
    /// The original subset relative to `outer`'s start.
    pub inner: ArraySubset,
}

impl Halo {
    /// `subset` grown by `halo[d]` elements on each side along each dimension.
    pub fn new(shape: &[u64], subset: &ArraySubset, halo: &[u64]) -> Result<Self, FilterError> {
        let start: Vec<u64> = subset
            .start()
            .iter()
            .zip(halo)
            .map(|(s, h)| s.saturating_sub(*h))
            .collect();
        let end: Vec<u64> = subset
            .end_exc()
            .iter()
            .zip(halo)
            .zip(shape)
            .map(|((e, h), n)| e.saturating_add(*h).min(*n))
            .collect();
        let outer = ArraySubset::from_start_end(&start, &end)?;
        let inner = subset.relative_to(&start);
        Ok(Self { outer, inner })
    }
}

/// Copy `region` of a C-order buffer of `shape` into a new C-order buffer.
pub fn extract<T: Copy>(data: &[T], shape: &[usize], region: &ArraySubset) -> Vec<T> {
    let rank = shape.len();
    if rank == 0 {
        return data.to_vec();
    }
    let rs: Vec<usize> = region.shape().iter().map(|&s| s as usize).collect();
    let st: Vec<usize> = region.start().iter().map(|&s| s as usize).collect();
    let n: usize = rs.iter().product();
    let mut out = Vec::with_capacity(n);
    if n == 0 {
        return out;
    }
    let mut strides = vec![1usize; rank];
    for d in (0..rank.saturating_sub(1)).rev() {
        strides[d] = strides[d + 1] * shape[d + 1];
    }
    let row = rs[rank - 1];
    let mut idx = vec![0usize; rank];
    loop {
        let off: usize = (0..rank).map(|d| (st[d] + idx[d]) * strides[d]).sum();
        out.extend_from_slice(&data[off..off + row]);
        // Next row.
        let mut d = rank - 1;
        loop {
            if d == 0 {
                return out;
            }
            d -= 1;
            idx[d] += 1;
            if idx[d] < rs[d] {
                break;
            }
            idx[d] = 0;
        }
    }
}

/// A subset's shape as `usize`.
pub fn shape_usize(subset: &ArraySubset) -> Result<Vec<usize>, FilterError> {
    subset
        .shape()
        .iter()
        .map(|&s| usize::try_from(s).map_err(|_| FilterError::Allocation(usize::MAX)))
        .collect()
}

/// C-order strides of a shape.
pub fn strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1usize; shape.len()];
    for d in (0..shape.len().saturating_sub(1)).rev() {
        s[d] = s[d + 1] * shape[d + 1];
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extract_region() {
        let data: Vec<u32> = (0..24).collect();
        let r = ArraySubset::new(vec![1, 1, 2], vec![1, 2, 2]).unwrap();
        assert_eq!(extract(&data, &[2, 3, 4], &r), vec![18, 19, 22, 23]);
    }

    #[test]
    fn halo_clips() {
        let s = ArraySubset::new(vec![2, 0], vec![2, 3]).unwrap();
        let h = Halo::new(&[5, 3], &s, &[1, 2]).unwrap();
        assert_eq!(h.outer, ArraySubset::new(vec![1, 0], vec![4, 3]).unwrap());
        assert_eq!(h.inner, ArraySubset::new(vec![1, 0], vec![2, 3]).unwrap());
    }

    #[test]
    fn limited_stops_on_error() {
        let r = for_each_limited(100, 3, |i| {
            if i == 10 {
                Err(FilterError::Other("ten".into()))
            } else {
                Ok(())
            }
        });
        assert!(matches!(r, Err(FilterError::Other(m)) if m == "ten"));
    }
}
