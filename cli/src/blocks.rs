//! Processing an array block by block with bounded memory: blocks (chunks, shards, or pieces
//! of them) are iterated lazily in C order and handed to a fixed number of worker threads,
//! so at most that many blocks are in memory at once, whatever the array's size. Codecs
//! inside a block still run on the rayon pool (`CodecOptions::concurrent_target`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use zarrkit::subset::IndicesIter;
use zarrkit::{Array, ArraySubset, CodecOptions};

use crate::error::CliError;

/// What a block's work asks next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Go on with the next block.
    Continue,
    /// Take no more blocks (blocks in flight finish).
    Stop,
}

/// The number of CPUs (rayon's pool size).
pub fn cpus() -> usize {
    rayon::current_num_threads().max(1)
}

/// How many blocks to process at once and the codec concurrency for each, from
/// `--concurrent-chunks` (default: one block per CPU, codecs single-threaded; fewer blocks
/// give their codecs the remaining CPUs).
pub fn concurrency(concurrent_chunks: Option<usize>, blocks: u64) -> (usize, usize) {
    let cpus = cpus();
    let n = concurrent_chunks.unwrap_or(cpus).max(1);
    let n = usize::try_from(blocks.max(1)).map_or(n, |b| n.min(b));
    (n, (cpus / n).max(1))
}

/// Run `work` on every item with `workers` threads, taking items in order. The first error
/// stops the others from taking new items (each finishes its block); of the errors, the one
/// of the earliest item is returned, so which error is reported does not depend on timing
/// (every item before it was taken, and finished, before the run ends).
pub fn run<T, I, F>(items: I, workers: usize, work: F) -> Result<(), CliError>
where
    I: Iterator<Item = T> + Send,
    T: Send,
    F: Fn(T) -> Result<Flow, CliError> + Sync,
{
    let items = Mutex::new(items.enumerate());
    let stop = AtomicBool::new(false);
    let error: Mutex<Option<(usize, CliError)>> = Mutex::new(None);
    std::thread::scope(|s| {
        for _ in 0..workers.max(1) {
            s.spawn(|| loop {
                if stop.load(Ordering::Acquire) {
                    break;
                }
                let next = match items.lock() {
                    Ok(mut it) => it.next(),
                    Err(_) => None,
                };
                let Some((seq, item)) = next else { break };
                match work(item) {
                    Ok(Flow::Continue) => {}
                    Ok(Flow::Stop) => {
                        stop.store(true, Ordering::Release);
                        break;
                    }
                    Err(e) => {
                        if let Ok(mut slot) = error.lock() {
                            if slot.as_ref().is_none_or(|(first, _)| seq < *first) {
                                *slot = Some((seq, e));
                            }
                        }
                        stop.store(true, Ordering::Release);
                        break;
                    }
                }
            });
        }
    });
    match error.into_inner() {
        Ok(Some((_, e))) => Err(e),
        Ok(None) => Ok(()),
        Err(_) => Err(CliError::new("a worker thread panicked")),
    }
}

/// The chunk indices of an array's grid, lazily in C order.
pub fn chunk_indices<S: ?Sized>(array: &Array<S>) -> IndicesIter {
    ArraySubset::new_with_shape(array.chunk_grid_shape()).indices()
}

/// The number of chunks of an array.
pub fn chunk_count<S: ?Sized>(array: &Array<S>) -> u64 {
    array
        .chunk_grid_shape()
        .iter()
        .try_fold(1u64, |a, &g| a.checked_mul(g))
        .unwrap_or(u64::MAX)
}

/// The region of one chunk inside the array (`None`: no such chunk).
pub fn chunk_region<S: ?Sized>(array: &Array<S>, idx: &[u64]) -> Result<ArraySubset, CliError> {
    array
        .chunk_subset_bounded(idx)
        .map_err(|e| CliError::new(e).context(format!("chunk {idx:?}")))
}

/// The most elements one block of a statistics or comparison pass holds, when its chunks
/// can be read in parts (sharded arrays: whole inner chunks).
pub const MAX_BLOCK_BYTES: u64 = 64 << 20;

/// The pieces of `region` (C order) whose shapes are multiples of `unit` (clipped at the
/// region's end) and, where the unit allows, hold at most `max_elements` elements. Splits
/// the outermost dimensions first.
pub fn pieces(region: &ArraySubset, unit: &[u64], max_elements: u64) -> Vec<ArraySubset> {
    let shape = region.shape();
    if shape.len() != unit.len() || shape.contains(&0) {
        return vec![region.clone()];
    }
    let mut piece: Vec<u64> = shape.to_vec();
    let count = |p: &[u64]| p.iter().fold(1u128, |a, &x| a * u128::from(x));
    for d in 0..piece.len() {
        while count(&piece) > u128::from(max_elements.max(1)) && piece[d] > unit[d].max(1) {
            let u = unit[d].max(1);
            let half_units = (piece[d].div_ceil(u)).div_ceil(2);
            piece[d] = (half_units * u).min(shape[d]);
            if half_units <= 1 {
                piece[d] = u.min(shape[d]);
                break;
            }
        }
    }
    if piece.as_slice() == shape {
        return vec![region.clone()];
    }
    let grid: Vec<u64> = shape
        .iter()
        .zip(&piece)
        .map(|(s, p)| s.div_ceil(*p))
        .collect();
    ArraySubset::new_with_shape(grid)
        .indices()
        .filter_map(|g| {
            let start: Vec<u64> = g
                .iter()
                .zip(&piece)
                .zip(region.start())
                .map(|((i, p), o)| o + i * p)
                .collect();
            let end: Vec<u64> = start
                .iter()
                .zip(&piece)
                .zip(region.end_exc())
                .map(|((s, p), e)| (s + p).min(e))
                .collect();
            ArraySubset::from_start_end(&start, &end).ok()
        })
        .collect()
}

/// The shape in which an array is best read in parts: its inner chunks when sharded, else
/// its chunks (the first chunk's shape).
pub fn read_unit<S: ?Sized>(array: &Array<S>) -> Vec<u64> {
    if let Some(inner) = array.inner_chunk_shape() {
        return inner;
    }
    let zeros = vec![0; array.dimensionality()];
    array
        .chunk_shape(&zeros)
        .unwrap_or_else(|_| array.shape().to_vec())
}

/// Codec options for a pass: the concurrency per block and checksum validation.
pub fn options(codec_concurrency: usize, validate_checksums: bool) -> CodecOptions {
    CodecOptions::default()
        .with_concurrent_target(codec_concurrency)
        .with_validate_checksums(validate_checksums)
}

/// The C-order linear index of `indices` in an array of `shape`.
pub fn linear_index(indices: &[u64], shape: &[u64]) -> u128 {
    indices
        .iter()
        .zip(shape)
        .fold(0u128, |a, (&i, &s)| a * u128::from(s) + u128::from(i))
}

/// The indices of element `i` (C order) of a region.
pub fn element_indices(region: &ArraySubset, i: u64) -> Vec<u64> {
    let mut rest = i;
    let mut out = vec![0u64; region.dimensionality()];
    for (d, &s) in region.shape().iter().enumerate().rev() {
        let s = s.max(1);
        out[d] = region.start()[d] + rest % s;
        rest /= s;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use zarrkit as _;

    #[test]
    fn pieces_tile_the_region() {
        let r = ArraySubset::new(vec![10, 0], vec![100, 30]).unwrap();
        let p = pieces(&r, &[8, 10], 1000);
        let total: u64 = p.iter().map(|s| s.num_elements()).sum();
        assert_eq!(total, r.num_elements());
        assert!(p.iter().all(|s| s.num_elements() <= 1000));
        assert_eq!(p[0].start(), &[10, 0]);
        // A unit larger than the limit: one unit per piece.
        let p = pieces(&r, &[50, 30], 10);
        assert_eq!(p.len(), 2);
        // Nothing to split.
        assert_eq!(pieces(&r, &[8, 10], 1 << 20).len(), 1);
    }

    #[test]
    fn run_stops_at_the_first_error() {
        let seen = std::sync::atomic::AtomicUsize::new(0);
        let r = run(0..1000, 3, |i| {
            seen.fetch_add(1, Ordering::Relaxed);
            if i == 10 {
                Err(CliError::new("boom"))
            } else {
                Ok(Flow::Continue)
            }
        });
        assert_eq!(r.unwrap_err().message, "boom");
        assert!(seen.load(Ordering::Relaxed) < 1000);
    }

    #[test]
    fn run_reports_the_error_of_the_earliest_item() {
        // Item 3 fails slowly, later items fail at once: item 3's error is the one returned.
        for workers in [2, 4] {
            let r = run(0..100, workers, |i| {
                if i == 3 {
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                if i >= 3 {
                    Err(CliError::new(format!("item {i}")))
                } else {
                    Ok(Flow::Continue)
                }
            });
            assert_eq!(r.unwrap_err().message, "item 3", "{workers} workers");
        }
    }

    #[test]
    fn indices_and_linear_positions() {
        let r = ArraySubset::new(vec![2, 3], vec![4, 5]).unwrap();
        assert_eq!(element_indices(&r, 0), vec![2, 3]);
        assert_eq!(element_indices(&r, 7), vec![3, 5]);
        assert_eq!(linear_index(&[3, 5], &[10, 10]), 35);
    }
}
