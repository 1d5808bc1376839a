//! Every filter against a direct in-memory reference on small arrays, with chunks that
//! split the array unevenly (so halos cross chunk borders), and run configurations.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// zarrs_filter's test vectors are kept as written (one of them is √2 to f32 precision).
#![allow(clippy::approx_constant, clippy::excessive_precision)]

use std::sync::Arc;

use serde_json::json;
use zarrkit::storage::MemoryStore;
use zarrkit::{Array, ArrayBuilder, ArraySubset};
use zarrkit_filters::*;

// Link the plugins the arrays need.
use zarrkit as _;

type A = Array<DynStore>;

fn store() -> Arc<DynStore> {
    Arc::new(MemoryStore::new())
}

fn make<T: zarrkit::Element>(
    shape: &[u64],
    chunks: &[u64],
    dtype: &str,
    fill: serde_json::Value,
    data: &[T],
) -> A {
    let s = store();
    let a = ArrayBuilder::new(shape.to_vec(), chunks.to_vec(), dtype, fill)
        .build(s, "/")
        .unwrap();
    a.store_metadata().unwrap();
    a.store_array_subset_elements(&ArraySubset::new_with_shape(shape.to_vec()), data)
        .unwrap();
    a
}

fn read<T: zarrkit::Element>(a: &A) -> Vec<T> {
    a.retrieve_array_subset_elements(&ArraySubset::new_with_shape(a.shape().to_vec()))
        .unwrap()
}

/// Run a filter into a new in-memory array with the given chunk shape.
fn run_into(filter: &dyn Filter, input: &A, chunks: &[u64], data_type: Option<&str>) -> A {
    let enc = Encoding {
        chunk_shape: Some(chunks.to_vec()),
        data_type: data_type.map(str::to_string),
        ..Default::default()
    };
    let spec = OutputSpec {
        encoding: enc,
        exists: OutputExists::Erase,
    };
    let opts = ExecOptions {
        chunk_limit: Some(3),
        ..Default::default()
    };
    let calls = std::sync::atomic::AtomicUsize::new(0);
    let cb = |_: &ProgressStats| {
        calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    };
    let (out, stats) = run_filter(filter, input, store(), "/", &spec, &opts, Some(&cb)).unwrap();
    assert_eq!(stats.steps, filter.num_steps(&out).unwrap());
    assert_eq!(calls.into_inner(), stats.steps + 1);
    out
}

fn ramp(shape: &[usize]) -> Vec<f32> {
    // zarrs_filter's test image: row + column.
    let (r, c) = (shape[0], shape[1]);
    (0..r * c).map(|u| ((u / c) + u % c) as f32).collect()
}

fn pseudo(n: usize, seed: u64, modulo: u64) -> Vec<u64> {
    let mut x = seed;
    (0..n)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 33) % modulo
        })
        .collect()
}

fn assert_close(a: &[f32], b: &[f32], tol: f32) {
    assert_eq!(a.len(), b.len());
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!((x - y).abs() <= tol, "element {i}: {x} vs {y}");
    }
}

// ---------------------------------------------------------------- references

/// Direct separable correlation with replicated edges, element by element (2-D).
fn ref_gaussian_2d(data: &[f32], shape: [usize; 2], k0: &[f32], k1: &[f32]) -> Vec<f32> {
    let [r, c] = shape;
    let clamp = |i: isize, n: usize| i.clamp(0, n as isize - 1) as usize;
    let mid0 = (k0.len() / 2) as isize;
    let mid1 = (k1.len() / 2) as isize;
    let mut tmp = vec![0.0f32; r * c];
    for y in 0..r {
        for x in 0..c {
            let mut s = 0.0f32;
            for (t, w) in k0.iter().enumerate() {
                s += data[clamp(y as isize + t as isize - mid0, r) * c + x] * w;
            }
            tmp[y * c + x] = s;
        }
    }
    let mut out = vec![0.0f32; r * c];
    for y in 0..r {
        for x in 0..c {
            let mut s = 0.0f32;
            for (t, w) in k1.iter().enumerate() {
                s += tmp[y * c + clamp(x as isize + t as isize - mid1, c)] * w;
            }
            out[y * c + x] = s;
        }
    }
    out
}

// ---------------------------------------------------------------- tests

#[test]
fn gaussian_matches_zarrs_filter_and_reference_across_chunks() {
    let data = ramp(&[4, 4]);
    let input = make(&[4, 4], &[2, 2], "float32", json!(0.0), &data);
    let g = Gaussian {
        sigma: vec![1.0, 1.0],
        kernel_half_size: vec![3, 3],
    };
    let out = run_into(&g, &input, &[3, 1], None);
    // zarrs_filter's own test vector (zarrs_tools src/filter/filters/gaussian.rs).
    let zarrs_ref = [
        0.7262998, 1.4210157, 2.3036606, 2.9983768, 1.4210159, 2.1157317, 2.9983768, 3.6930926,
        2.3036606, 2.9983766, 3.8810213, 4.575738, 2.9983768, 3.6930926, 4.5757375, 5.2704535,
    ];
    assert_close(&read::<f32>(&out), &zarrs_ref, 1e-5);

    // A larger image, uneven chunks, anisotropic kernel: exactly the direct reference.
    let shape = [13usize, 11];
    let data: Vec<f32> = pseudo(13 * 11, 7, 1000)
        .into_iter()
        .map(|v| v as f32 / 7.0)
        .collect();
    let input = make(&[13, 11], &[4, 5], "float32", json!(0.0), &data);
    let g = Gaussian {
        sigma: vec![1.5, 0.7],
        kernel_half_size: vec![4, 2],
    };
    let out = run_into(&g, &input, &[3, 4], None);
    let r = ref_gaussian_2d(
        &data,
        shape,
        &gaussian_kernel(1.5, 4),
        &gaussian_kernel(0.7, 2),
    );
    assert_eq!(
        read::<f32>(&out),
        r,
        "bit-exact against the direct reference"
    );
}

#[test]
fn gradient_magnitude_matches_zarrs_filter_and_reference() {
    let data = ramp(&[4, 4]);
    let input = make(&[4, 4], &[2, 2], "float32", json!(0.0), &data);
    let out = run_into(&GradientMagnitude {}, &input, &[1, 3], None);
    let zarrs_ref = [
        0.70710677, 1.118034, 1.118034, 0.70710677, 1.118034, 1.4142135, 1.4142135, 1.118034,
        1.118034, 1.4142135, 1.4142135, 1.118034, 0.70710677, 1.118034, 1.118034, 0.70710677,
    ];
    assert_close(&read::<f32>(&out), &zarrs_ref, 1e-6);

    // Direct Sobel reference (element by element, replicated edges), uint16 in, float32 out.
    let (r, c) = (9usize, 7usize);
    let raw: Vec<u16> = pseudo(r * c, 3, 500)
        .into_iter()
        .map(|v| v as u16)
        .collect();
    let input = make(&[9, 7], &[4, 3], "uint16", json!(0), &raw);
    let out = run_into(&GradientMagnitude {}, &input, &[2, 5], Some("float32"));
    let f = |y: isize, x: isize| -> f32 {
        raw[(y.clamp(0, r as isize - 1) as usize) * c + x.clamp(0, c as isize - 1) as usize] as f32
    };
    let mut expect = vec![0.0f32; r * c];
    for y in 0..r as isize {
        for x in 0..c as isize {
            // d/dy: difference along y of the triangle-smoothed-along-x image.
            let tri_x = |yy: isize| f(yy, x - 1) * 0.25 + f(yy, x) * 0.5 + f(yy, x + 1) * 0.25;
            let gy = 0.5 * (tri_x(y + 1) - tri_x(y - 1));
            // d/dx: triangle along y first, then difference along x.
            let tri_y = |xx: isize| f(y - 1, xx) * 0.25 + f(y, xx) * 0.5 + f(y + 1, xx) * 0.25;
            let gx = 0.5 * (tri_y(x + 1) - tri_y(x - 1));
            expect[y as usize * c + x as usize] = (gy * gy + gx * gx).sqrt();
        }
    }
    assert_close(&read::<f32>(&out), &expect, 1e-4);
}

#[test]
fn guided_filter_matches_zarrs_filter_and_whole_array() {
    let data = ramp(&[4, 4]);
    let input = make(&[4, 4], &[2, 2], "float32", json!(0.0), &data);
    let gf = GuidedFilter {
        epsilon: 1.0,
        radius: 2,
    };
    let out = run_into(&gf, &input, &[1, 3], None);
    let zarrs_ref = [
        1.659829, 2.1910257, 2.5641026, 3.0, 2.1910257, 2.614423, 3.0, 3.4358974, 2.5641026, 3.0,
        3.385577, 3.8089743, 3.0, 3.4358974, 3.8089743, 4.340171,
    ];
    assert_close(&read::<f32>(&out), &zarrs_ref, 1e-5);

    // Chunked with halos equals one whole-array computation, bit for bit.
    let data: Vec<f32> = pseudo(15 * 12, 11, 256)
        .into_iter()
        .map(|v| v as f32)
        .collect();
    let input = make(&[15, 12], &[4, 4], "float32", json!(0.0), &data);
    let gf = GuidedFilter {
        epsilon: 20.0,
        radius: 2,
    };
    let out = run_into(&gf, &input, &[4, 5], None);
    let whole = gf.apply_f32(data.clone(), &[15, 12]);
    assert_eq!(read::<f32>(&out), whole);
}

#[test]
fn summed_area_table_matches_reference() {
    let data: Vec<u8> = vec![
        31, 2, 4, 33, 5, 36, 12, 26, 9, 10, 29, 25, 13, 17, 21, 22, 20, 18, 24, 23, 15, 16, 14, 19,
        30, 8, 28, 27, 11, 7, 1, 35, 34, 3, 32, 6,
    ];
    let input = make(&[6, 6], &[2, 2], "uint8", json!(0), &data);
    let out = run_into(&SummedAreaTable {}, &input, &[4, 4], Some("uint16"));
    let zarrs_ref: Vec<u16> = vec![
        31, 33, 37, 70, 75, 111, 43, 71, 84, 127, 161, 222, 56, 101, 135, 200, 254, 333, 80, 148,
        197, 278, 346, 444, 110, 186, 263, 371, 450, 555, 111, 222, 333, 444, 555, 666,
    ];
    assert_eq!(read::<u16>(&out), zarrs_ref);

    // 3-D, uneven chunks, against a direct triple sum.
    let (a, b, c) = (5usize, 4usize, 6usize);
    let raw: Vec<i32> = pseudo(a * b * c, 5, 100)
        .into_iter()
        .map(|v| v as i32 - 50)
        .collect();
    let input = make(&[5, 4, 6], &[2, 3, 4], "int32", json!(0), &raw);
    let out = run_into(&SummedAreaTable {}, &input, &[3, 3, 4], Some("int64"));
    let mut expect = vec![0i64; a * b * c];
    for i in 0..a {
        for j in 0..b {
            for k in 0..c {
                let mut s = 0i64;
                for ii in 0..=i {
                    for jj in 0..=j {
                        for kk in 0..=k {
                            s += raw[(ii * b + jj) * c + kk] as i64;
                        }
                    }
                }
                expect[(i * b + j) * c + k] = s;
            }
        }
    }
    assert_eq!(read::<i64>(&out), expect);
}

#[test]
fn downsample_mean_and_mode_match_reference() {
    let (r, c) = (7usize, 8usize);
    let raw: Vec<u8> = pseudo(r * c, 9, 4).into_iter().map(|v| v as u8).collect();
    let input = make(&[7, 8], &[3, 3], "uint8", json!(0), &raw);
    let ds = Downsample {
        stride: vec![2, 3],
        discrete: false,
    };
    assert_eq!(ds.output_shape(&[7, 8]).unwrap(), vec![3, 2]);
    let out = run_into(&ds, &input, &[2, 1], Some("float64"));
    let mut mean = vec![];
    let mut mode = vec![];
    for oy in 0..3 {
        for ox in 0..2 {
            let mut vals = vec![];
            for y in oy * 2..oy * 2 + 2 {
                for x in ox * 3..ox * 3 + 3 {
                    vals.push(raw[y * c + x]);
                }
            }
            mean.push(vals.iter().map(|&v| v as f64).sum::<f64>() / vals.len() as f64);
            let mut counts = [0usize; 4];
            vals.iter().for_each(|&v| counts[v as usize] += 1);
            let best = *counts.iter().max().unwrap();
            mode.push(counts.iter().position(|&n| n == best).unwrap() as u8);
        }
    }
    assert_eq!(read::<f64>(&out), mean);
    // Integer output truncates the mean (as zarrs_filter).
    let out = run_into(&ds, &input, &[2, 2], None);
    let trunc: Vec<u8> = mean.iter().map(|m| *m as u8).collect();
    assert_eq!(read::<u8>(&out), trunc);
    let out = run_into(
        &Downsample {
            stride: vec![2, 3],
            discrete: true,
        },
        &input,
        &[1, 1],
        None,
    );
    assert_eq!(read::<u8>(&out), mode);
    // A stride larger than the extent: one block of the whole extent.
    let small = make(&[3, 2], &[2, 2], "int16", json!(0), &[1i16, 2, 3, 4, 5, 9]);
    let out = run_into(
        &Downsample {
            stride: vec![4, 1],
            discrete: false,
        },
        &small,
        &[1, 1],
        Some("float32"),
    );
    assert_eq!(read::<f32>(&out), vec![3.0, 5.0]);
}

#[test]
fn pointwise_filters_match_reference() {
    let raw: Vec<i16> = vec![-300, -1, 0, 1, 7, 7, 255, 256, 1000, -7, 7, 3];
    let input = make(&[3, 4], &[2, 3], "int16", json!(0), &raw);

    let out = run_into(&Reencode {}, &input, &[1, 4], Some("uint8"));
    assert_eq!(
        read::<u8>(&out),
        raw.iter().map(|&v| v as u8).collect::<Vec<_>>()
    );
    assert_eq!(out.fill_value().as_bytes(), &[0u8]);

    let crop = Crop {
        offset: vec![1, 1],
        shape: vec![2, 2],
    };
    let out = run_into(&crop, &input, &[1, 1], None);
    assert_eq!(read::<i16>(&out), vec![7, 255, -7, 7]);
    assert!(crop.output_shape(&[2, 2]).is_err());

    let rs = Rescale {
        multiply: 0.5,
        add: -1.25,
        add_first: false,
    };
    let out = run_into(&rs, &input, &[2, 2], Some("float32"));
    let exp: Vec<f32> = raw
        .iter()
        .map(|&v| (v as f64).mul_add(0.5, -1.25) as f32)
        .collect();
    assert_eq!(read::<f32>(&out), exp);
    let rs2 = Rescale {
        multiply: 2.0,
        add: 1.0,
        add_first: true,
    };
    let out = run_into(&rs2, &input, &[3, 3], None);
    let exp: Vec<i16> = raw
        .iter()
        .map(|&v| ((v as f64 + 1.0) * 2.0) as i16)
        .collect();
    assert_eq!(read::<i16>(&out), exp);

    let cl = Clamp {
        min: -2.0,
        max: 300.0,
    };
    let out = run_into(&cl, &input, &[2, 4], Some("uint8"));
    let exp: Vec<u8> = raw.iter().map(|&v| v.clamp(-2, 300) as u8).collect();
    assert_eq!(read::<u8>(&out), exp);

    let eq = Equal { value: json!(7) };
    let out = run_into(&eq, &input, &[2, 2], None);
    assert_eq!(out.data_type().name(), "bool");
    assert_eq!(
        read::<bool>(&out),
        raw.iter().map(|&v| v == 7).collect::<Vec<_>>()
    );
    let out = run_into(&eq, &input, &[2, 2], Some("uint8"));
    assert_eq!(
        read::<u8>(&out),
        raw.iter().map(|&v| u8::from(v == 7)).collect::<Vec<_>>()
    );

    let rv = ReplaceValue {
        value: json!(7),
        replace: json!(-1.5),
    };
    let out = run_into(&rv, &input, &[3, 1], Some("float32"));
    let exp: Vec<f32> = raw
        .iter()
        .map(|&v| if v == 7 { -1.5 } else { v as f32 })
        .collect();
    assert_eq!(read::<f32>(&out), exp);

    // NaN equals nothing; a value that does not fit the data type is an error.
    let f = make(&[3], &[2], "float32", json!(0.0), &[f32::NAN, 1.0, 2.0]);
    let out = run_into(
        &Equal {
            value: json!("NaN"),
        },
        &f,
        &[2],
        None,
    );
    assert_eq!(read::<bool>(&out), vec![false, false, false]);
    let spec = OutputSpec::default();
    let r = run_filter(
        &Equal {
            value: json!(70000),
        },
        &input,
        store(),
        "/",
        &spec,
        &ExecOptions::default(),
        None,
    );
    assert!(r.is_err());
    let r = run_filter(
        &Clamp { min: 2.0, max: 1.0 },
        &input,
        store(),
        "/",
        &spec,
        &ExecOptions::default(),
        None,
    );
    assert!(matches!(r, Err(FilterError::InvalidParameter(_))));
}

#[test]
fn sharded_output_and_encoding() {
    let raw: Vec<u16> = (0..100).collect();
    let input = make(&[10, 10], &[3, 3], "uint16", json!(0), &raw);
    let spec = OutputSpec {
        encoding: Encoding {
            chunk_shape: Some(vec![2, 2]),
            shard_shape: Some(vec![4, 5]),
            bytes_to_bytes_codecs: Some(
                json!([{"name": "zstd", "configuration": {"level": 3, "checksum": false}}]),
            ),
            dimension_names: Some(vec![Some("y".into()), Some("x".into())]),
            ..Default::default()
        },
        exists: OutputExists::Erase,
    };
    let (out, _) = run_filter(
        &Reencode {},
        &input,
        store(),
        "/",
        &spec,
        &ExecOptions::default(),
        None,
    )
    .unwrap();
    let m = out.metadata().as_v3().unwrap().clone();
    assert_eq!(m.codecs[0].name(), "sharding_indexed");
    assert_eq!(out.chunk_grid_shape(), vec![3, 2]);
    assert_eq!(read::<u16>(&out), raw);
    let reopened = Array::open(out.storage().clone(), "/").unwrap();
    assert_eq!(read::<u16>(&reopened), raw);
}

#[test]
fn run_config_parses_and_executes_with_temporaries() {
    let dir = tempfile::tempdir().unwrap();
    let in_path = dir.path().join("in.zarr");
    let out_path = dir.path().join("out.zarr");
    let s: Arc<DynStore> = zarrkit::open_store(&in_path.to_string_lossy()).unwrap();
    let raw: Vec<u8> = pseudo(12 * 10, 1, 8).into_iter().map(|v| v as u8).collect();
    let a = ArrayBuilder::new(vec![12, 10], vec![5, 4], "uint8", 0)
        .build(s, "/")
        .unwrap();
    a.store_metadata().unwrap();
    a.store_array_subset_elements(&ArraySubset::new_with_shape(vec![12, 10]), &raw)
        .unwrap();

    let config = json!([
        {"filter": "reencode", "input": in_path.to_string_lossy(), "output": "$a",
         "chunk_shape": [3, 3], "data_type": "float32"},
        {"filter": "rescale", "multiply": 2.0, "add": 1.0},
        {"filter": "downsample", "stride": [2, 2], "output": "$small"},
        {"filter": "equal", "input": "$small", "value": 5.0, "data_type": "uint8",
         "output": out_path.to_string_lossy(), "chunk_limit": 2}
    ]);
    let config = RunConfig::from_json(&config.to_string()).unwrap();
    // The configuration writes back to equivalent JSON.
    let again = RunConfig::from_json(&config.to_json().unwrap().to_string()).unwrap();
    assert_eq!(again.to_json().unwrap(), config.to_json().unwrap());

    let seen = parking_lot::Mutex::new(Vec::new());
    let cb = |step: usize, _: &ProgressStats| seen.lock().push(step);
    let report = run(&config, &RunOptions::default(), Some(&cb)).unwrap();
    assert_eq!(report.steps.len(), 4);
    assert_eq!(report.steps[2].shape, vec![6, 5]);
    assert!(seen.lock().contains(&3));

    let out = Array::open(
        zarrkit::open_store(&out_path.to_string_lossy()).unwrap(),
        "/",
    )
    .unwrap();
    assert_eq!(out.data_type().name(), "uint8");
    let mut expect = vec![];
    for oy in 0..6 {
        for ox in 0..5 {
            let mut s = 0.0f64;
            for y in oy * 2..oy * 2 + 2 {
                for x in ox * 2..ox * 2 + 2 {
                    s += (raw[y * 10 + x] as f32 * 2.0 + 1.0) as f64;
                }
            }
            expect.push(u8::from(((s / 4.0) as f32) == 5.0));
        }
    }
    assert_eq!(read::<u8>(&out), expect);
}

#[test]
fn run_config_errors_name_the_step_and_member() {
    let e = RunConfig::from_json(
        r#"[{"filter": "gaussian", "input": "x", "sigma": [1], "kernel_half_size": "3"}]"#,
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("step 0 (gaussian)") && e.contains("kernel_half_size"),
        "{e}"
    );
    let e = RunConfig::from_json(r#"[{"filter": "nope", "input": "x"}]"#)
        .unwrap_err()
        .to_string();
    assert!(e.contains("step 0 (nope)") && e.contains("nope"), "{e}");
    let e = RunConfig::from_json(r#"[{"filter": "reencode"}]"#)
        .unwrap_err()
        .to_string();
    assert!(e.contains("first step needs an \"input\""), "{e}");
    let e = RunConfig::from_json(r#"[{"filter": "reencode", "input": "$t"}]"#)
        .unwrap_err()
        .to_string();
    assert!(e.contains("temporary"), "{e}");
    let e = RunConfig::from_json(r#"[{"filter": "reencode", "input": "x", "chunk_shap": [1]}]"#)
        .unwrap_err()
        .to_string();
    assert!(e.contains("chunk_shap"), "{e}");
}

#[test]
fn filters_serialise_with_their_tag() {
    let f: Box<dyn Filter> = Box::new(Gaussian {
        sigma: vec![1.0],
        kernel_half_size: vec![2],
    });
    let v = serde_json::to_value(&f).unwrap();
    assert_eq!(v["filter"], "gaussian");
    let back: Box<dyn Filter> = serde_json::from_value(v).unwrap();
    assert_eq!(back.name(), "gaussian");
}
