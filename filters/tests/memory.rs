//! Bounded memory and concurrency: a filter over an array on disk allocates a few chunks per
//! chunk in flight, not the array. Measured with a counting global allocator (this file is
//! its own test binary, and holds one test, so nothing else allocates meanwhile).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use serde_json::json;
use zarrkit::{Array, ArrayBuilder, ArraySubset};
use zarrkit_filters::*;

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

/// The peak heap growth (bytes above the heap in use at the start) while `f` runs.
fn peak_growth<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let base = CURRENT.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let r = f();
    (r, PEAK.load(Ordering::Relaxed).saturating_sub(base))
}

#[test]
fn filters_allocate_chunks_not_arrays() {
    let dir = tempfile::tempdir().unwrap();
    let n = 1024u64;
    let chunk = 32u64;
    // The input in memory (allocated before any measurement; the filesystem store's reads
    // would add its per-thread scratch buffers), the outputs on disk.
    let in_store: Arc<DynStore> = Arc::new(zarrkit::storage::MemoryStore::new());
    let input: Array<DynStore> = ArrayBuilder::new(vec![n, n], vec![chunk, chunk], "float32", 0.0)
        .build(in_store, "/")
        .unwrap();
    input.store_metadata().unwrap();
    // Written band by band.
    for b in 0..n / chunk {
        let rows: Vec<f32> = (0..chunk * n)
            .map(|i| ((b * chunk * n + i) % 1013) as f32)
            .collect();
        input
            .store_array_subset_elements(
                &ArraySubset::new(vec![b * chunk, 0], vec![chunk, n]).unwrap(),
                &rows,
            )
            .unwrap();
    }
    let array_bytes = (n * n * 4) as usize;
    let chunk_bytes = (chunk * chunk * 4) as usize;

    let filters: Vec<(Box<dyn Filter>, Option<&str>)> = vec![
        (Box::new(Reencode {}), Some("uint16")),
        (
            Box::new(Crop {
                offset: vec![3, 3],
                shape: vec![1000, 1000],
            }),
            None,
        ),
        (
            Box::new(Gaussian {
                sigma: vec![1.0, 1.0],
                kernel_half_size: vec![3, 3],
            }),
            None,
        ),
        (
            Box::new(Downsample {
                stride: vec![2, 2],
                discrete: false,
            }),
            None,
        ),
        (Box::new(SummedAreaTable {}), Some("float64")),
        (Box::new(Equal { value: json!(7.0) }), None),
    ];
    // Warm up: one-time lazy initialisation (thread pools, registries, per-thread buffers)
    // is not the filters' memory.
    let small_store: Arc<DynStore> = Arc::new(zarrkit::storage::MemoryStore::new());
    let small: Array<DynStore> =
        ArrayBuilder::new(vec![256, 256], vec![chunk, chunk], "float32", 0.0)
            .build(small_store, "/")
            .unwrap();
    small.store_metadata().unwrap();
    small
        .store_array_subset_elements(
            &ArraySubset::new_with_shape(vec![256, 256]),
            &vec![1.0f32; 65536],
        )
        .unwrap();
    for (f, dt) in &filters {
        let warm: Arc<DynStore> =
            zarrkit::open_store(&dir.path().join("warm.zarr").to_string_lossy()).unwrap();
        let spec = OutputSpec {
            encoding: Encoding {
                data_type: dt.map(str::to_string),
                ..Default::default()
            },
            exists: OutputExists::Erase,
        };
        if f.name() != "crop" {
            run_filter(
                f.as_ref(),
                &small,
                warm,
                "/",
                &spec,
                &ExecOptions::default(),
                None,
            )
            .unwrap();
        }
    }

    assert!(
        2 * 48 * chunk_bytes <= array_bytes / 4,
        "the test's bound must be well below the array"
    );
    for limit in [1usize, 2] {
        for (f, dt) in &filters {
            let out_dir = dir.path().join(format!("out-{}-{limit}.zarr", f.name()));
            let out_store: Arc<DynStore> = zarrkit::open_store(&out_dir.to_string_lossy()).unwrap();
            let spec = OutputSpec {
                encoding: Encoding {
                    data_type: dt.map(str::to_string),
                    chunk_shape: Some(vec![chunk, chunk]),
                    ..Default::default()
                },
                exists: OutputExists::Erase,
            };
            let opts = ExecOptions {
                chunk_limit: Some(limit),
                ..Default::default()
            };
            let ((out, stats), peak) = peak_growth(|| {
                run_filter(f.as_ref(), &input, out_store, "/", &spec, &opts, None).unwrap()
            });
            // Per chunk in flight: the input region with its halo touches up to 3^2 input
            // chunks (each read, decoded, copied: about 4 chunk-sized buffers), then the
            // f32/f64 copies, the output and its encoded bytes — 48 chunk sizes at most.
            let bound = limit * 48 * chunk_bytes;
            eprintln!(
                "{} chunk_limit {limit}: peak heap growth {peak} bytes ({:.1}% of the {array_bytes}-byte array, bound {bound})",
                f.name(),
                100.0 * peak as f64 / array_bytes as f64
            );
            assert!(peak <= bound, "{}: peak {peak} > {bound}", f.name());
            // Every output element written once (a summed area table: once per pass).
            let passes = if f.name() == "summed_area_table" {
                2
            } else {
                1
            };
            assert_eq!(
                stats.elements_written,
                passes * out.shape().iter().product::<u64>()
            );
            // Spot check: one element against a direct computation.
            let v = |y: u64, x: u64| ((y * n + x) % 1013) as f32;
            let (y, x) = (300u64, 217u64);
            match f.name() {
                "reencode" => {
                    let got: Vec<u16> = out
                        .retrieve_array_subset_elements(
                            &ArraySubset::new(vec![y, x], vec![1, 1]).unwrap(),
                        )
                        .unwrap();
                    assert_eq!(got[0], v(y, x) as u16);
                }
                "downsample" => {
                    let got: Vec<f32> = out
                        .retrieve_array_subset_elements(
                            &ArraySubset::new(vec![y, x], vec![1, 1]).unwrap(),
                        )
                        .unwrap();
                    let s: f64 = [(0, 0), (0, 1), (1, 0), (1, 1)]
                        .iter()
                        .map(|(a, b)| v(2 * y + a, 2 * x + b) as f64)
                        .sum();
                    assert_eq!(got[0], (s / 4.0) as f32);
                }
                "summed_area_table" => {
                    let got: Vec<f64> = out
                        .retrieve_array_subset_elements(
                            &ArraySubset::new(vec![3, 4], vec![1, 1]).unwrap(),
                        )
                        .unwrap();
                    let s: f64 = (0..=3)
                        .flat_map(|a| (0..=4).map(move |b| (a, b)))
                        .map(|(a, b)| v(a, b) as f64)
                        .sum();
                    assert_eq!(got[0], s);
                }
                _ => {}
            }
        }
    }

    // The chunk limit bounds the tasks in flight.
    for limit in [1usize, 2, 3] {
        let running = AtomicUsize::new(0);
        let most = AtomicUsize::new(0);
        zarrkit_filters::exec::for_each_limited(24, limit, |_| {
            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
            most.fetch_max(now, Ordering::SeqCst);
            std::thread::sleep(std::time::Duration::from_millis(5));
            running.fetch_sub(1, Ordering::SeqCst);
            Ok(())
        })
        .unwrap();
        let most = most.into_inner();
        assert!(
            most <= limit && most >= 1,
            "limit {limit}: {most} in flight"
        );
    }
}
