//! Bounded memory: a pyramid of an array allocates a few chunks per chunk in flight, not
//! the array. Measured with a counting global allocator (this file is its own test binary
//! with one test, so nothing else allocates meanwhile).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use zarrkit::{Array, ArrayBuilder, ArraySubset};
use zarrkit_filters::{DynStore, ExecOptions};
use zarrkit_ome::*;

use zarrkit as _;

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded to the system allocator with the same layout.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = CURRENT.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) };
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn peak_growth<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let base = CURRENT.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let r = f();
    (r, PEAK.load(Ordering::Relaxed).saturating_sub(base))
}

fn input(n: u64, chunk: u64) -> Array<DynStore> {
    // In memory (allocated before measuring); outputs go to disk.
    let s: Arc<DynStore> = Arc::new(zarrkit::storage::MemoryStore::new());
    let a: Array<DynStore> = ArrayBuilder::new(vec![n, n], vec![chunk, chunk], "float32", 0.0)
        .build(s, "/")
        .unwrap();
    a.store_metadata().unwrap();
    for b in 0..n / chunk {
        let rows: Vec<f32> = (0..chunk * n)
            .map(|i| ((b * chunk * n + i) % 977) as f32)
            .collect();
        a.store_array_subset_elements(
            &ArraySubset::new(vec![b * chunk, 0], vec![chunk, n]).unwrap(),
            &rows,
        )
        .unwrap();
    }
    a
}

#[test]
fn pyramids_allocate_chunks_not_arrays() {
    let dir = tempfile::tempdir().unwrap();
    let (n, chunk) = (1024u64, 32u64);
    let big = input(n, chunk);
    let small = input(128, chunk);
    let array_bytes = (n * n * 4) as usize;
    let chunk_bytes = (chunk * chunk * 4) as usize;
    for (i, method) in [Method::Mean, Method::Gaussian, Method::Nearest]
        .into_iter()
        .enumerate()
    {
        let o = PyramidOptions {
            method,
            max_levels: 3,
            exec: ExecOptions {
                chunk_limit: Some(2),
                ..Default::default()
            },
            ..Default::default()
        };
        // Warm up (one-time lazy initialisation is not the pyramid's memory).
        let warm = zarrkit::open_store(&dir.path().join(format!("warm{i}.zarr")).to_string_lossy())
            .unwrap();
        build_pyramid(&small, warm, "/", &o, None).unwrap();
        let out = zarrkit::open_store(&dir.path().join(format!("out{i}.zarr")).to_string_lossy())
            .unwrap();
        let (r, peak) = peak_growth(|| build_pyramid(&big, out, "/", &o, None).unwrap());
        assert_eq!(r.levels.len(), 4);
        // Per chunk in flight: the previous level's block region (2x2 chunks, plus the
        // Gaussian radius: up to 3x3 chunks read, decoded, copied), its f64 copy and the
        // smoothing buffers, the output and its encoding: 64 chunk sizes at most.
        let bound = 2 * 64 * chunk_bytes;
        eprintln!(
            "{method:?} pyramid, chunk_limit 2: peak heap growth {peak} bytes ({:.1}% of the {array_bytes}-byte level 0, bound {bound})",
            100.0 * peak as f64 / array_bytes as f64
        );
        assert!(peak <= bound, "{method:?}: peak {peak} > {bound}");
        assert!(bound < array_bytes / 4);
    }
}
