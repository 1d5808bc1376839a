//! Selection benchmark, zarrkit's side (`scripts/bench_selection.py` runs it beside
//! tensorstore, zarr-python and zarr-python with the zarrs pipeline on the same arrays and
//! the same selections):
//!
//! ```text
//! selection_bench --path ARRAY --kind vindex|oindex --indices FILE [--api sync|async] [--reps N]
//! ```
//!
//! `FILE` holds little-endian i64s: for `vindex` the coordinates of N points dimension by
//! dimension (all of dimension 0, then all of dimension 1, …; N = len / ndim); for `oindex`
//! the indices along dimension 0 (the other dimensions whole). Prints one JSON line: the
//! median and every repetition's time, the output's size and a checksum (the sum of its
//! elements as u64, for cross-checking against the peers), the resident set before the first
//! read and the peak after the last (`VmRSS` / `VmHWM`, KiB).

use std::sync::Arc;
use std::time::Instant;

use zarrkit::futures::executor::block_on;
use zarrkit::selection::{Index, Selection};
use zarrkit::storage::asynchronous::SyncToAsyncAdapter;
use zarrkit::store_filesystem::FilesystemStore;
use zarrkit::Array;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

const USAGE: &str = "usage: selection_bench --path ARRAY --kind vindex|oindex --indices FILE [--api sync|async] [--reps N]";

fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut path = None;
    let mut kind = None;
    let mut indices = None;
    let mut api_async = false;
    let mut reps = 5usize;
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .ok_or(format!("{flag} needs a value\n{USAGE}"))
        };
        match flag.as_str() {
            "--path" => path = Some(value()?),
            "--kind" => kind = Some(value()?),
            "--indices" => indices = Some(value()?),
            "--api" => api_async = value()? == "async",
            "--reps" => reps = value()?.parse()?,
            _ => return Err(format!("unknown argument {flag:?}\n{USAGE}").into()),
        }
    }
    let (path, kind, indices) = match (path, kind, indices) {
        (Some(p), Some(k), Some(i)) => (p, k, i),
        _ => return Err(USAGE.into()),
    };
    let raw = std::fs::read(&indices)?;
    let values: Vec<i64> = raw
        .chunks_exact(8)
        .map(|b| {
            let mut v = [0u8; 8];
            v.copy_from_slice(b);
            i64::from_le_bytes(v)
        })
        .collect();

    let store = Arc::new(FilesystemStore::new(&path)?);
    let (sync_array, async_array) = if api_async {
        let s = Arc::new(SyncToAsyncAdapter::new(store)?);
        (None, Some(block_on(Array::open_async(s, "/"))?))
    } else {
        (Some(Array::open(store, "/")?), None)
    };
    let ndim = match (&sync_array, &async_array) {
        (Some(a), _) => a.shape().len(),
        (_, Some(a)) => a.shape().len(),
        _ => unreachable!(),
    };
    let selection = match kind.as_str() {
        "vindex" => {
            if !values.len().is_multiple_of(ndim) {
                return Err(format!(
                    "{indices}: {} values is not a multiple of {ndim}",
                    values.len()
                )
                .into());
            }
            let n = values.len() / ndim;
            Selection::points(values.chunks(n).map(<[i64]>::to_vec).collect())
        }
        "oindex" => {
            let mut idx = vec![Index::Array(values.clone())];
            idx.extend((1..ndim).map(|_| Index::all()));
            Selection::Orthogonal(idx)
        }
        other => return Err(format!("unknown kind {other:?}\n{USAGE}").into()),
    };

    let rss_before = status_kib("VmRSS:");
    let mut times = Vec::with_capacity(reps);
    let mut checksum = 0u64;
    let mut n_out = 0usize;
    for _ in 0..reps {
        let t = Instant::now();
        let out: Vec<u16> = match (&sync_array, &async_array) {
            (Some(a), _) => a.read_selection(&selection)?,
            (_, Some(a)) => block_on(a.read_selection_async(&selection))?,
            _ => unreachable!(),
        };
        times.push(t.elapsed().as_secs_f64());
        checksum = out.iter().map(|&v| u64::from(v)).sum();
        n_out = out.len();
        drop(out);
    }
    let peak = status_kib("VmHWM:");
    let mut sorted = times.clone();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[sorted.len() / 2];
    println!(
        "{{\"impl\": \"zarrkit{}\", \"kind\": \"{kind}\", \"median_s\": {median:.6}, \"times_s\": {times:?}, \"elements\": {n_out}, \"checksum\": {checksum}, \"rss_before_kib\": {rss_before}, \"peak_kib\": {peak}}}",
        if api_async { "_async" } else { "" }
    );
    Ok(())
}
