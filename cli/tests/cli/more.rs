//! `ome`, `filter`, store URLs (`http://` from a server in this process, `zip+file://`),
//! arrays written by `zarrkit` read by zarr-python and ome-zarr-py (when a Python with
//! zarr 3 is found: `ZARRKIT_CLI_PYTHON`, else `target/cli-venv`; `scripts/ci/cli.sh` makes
//! it, and `ZARRKIT_REQUIRE_CLI_PYTHON=1` turns a missing one into a failure), and the
//! progress bar on a terminal.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};
use sha2::Digest;
use zarrkit::{Array, ArrayBuilder, ArraySubset};

use super::{expected_u16, fails, json_ok, ok, read, s, store, tmp, v2_f32, v3_u16, zstd};

// ---------------------------------------------------------------- helpers

/// A float32 [20, 26] array with dimension names y, x, chunks [8, 8], zstd.
fn image(dir: &Path) -> (PathBuf, Vec<f32>) {
    let p = dir.join("image.zarr");
    let data: Vec<f32> = (0..20 * 26)
        .map(|i| ((i * 7919) % 1000) as f32 / 8.0)
        .collect();
    let a = ArrayBuilder::new(vec![20, 26], vec![8, 8], "float32", 0.0)
        .codecs_metadata(zstd())
        .dimension_names(["y", "x"])
        .build(store(&p), "/")
        .unwrap();
    a.store_metadata().unwrap();
    a.write(ArraySubset::new_with_shape(vec![20, 26]), &data)
        .unwrap();
    (p, data)
}

/// Block means of a [h, w] f32 image by 2 × 2 (a last partial block: the mean of what is
/// there), summed in f64 in C order.
fn means2(data: &[f32], h: usize, w: usize) -> (Vec<f32>, usize, usize) {
    let (oh, ow) = (h.div_ceil(2), w.div_ceil(2));
    let mut out = Vec::with_capacity(oh * ow);
    for i in 0..oh {
        for j in 0..ow {
            let (mut sum, mut n) = (0f64, 0u32);
            for a in 2 * i..(2 * i + 2).min(h) {
                for b in 2 * j..(2 * j + 2).min(w) {
                    sum += f64::from(data[a * w + b]);
                    n += 1;
                }
            }
            out.push((sum / f64::from(n)) as f32);
        }
    }
    (out, oh, ow)
}

fn read_at<T: zarrkit::Element>(p: &Path, node: &str) -> (Vec<u64>, Vec<T>) {
    let a = Array::open(store(p), node).unwrap();
    let v = a
        .read(ArraySubset::new_with_shape(a.shape().to_vec()))
        .unwrap();
    (a.shape().to_vec(), v)
}

/// A Python with zarr 3 and numpy (and ome_zarr, for the OME test), or `None` (a loud skip,
/// or a failure when `ZARRKIT_REQUIRE_CLI_PYTHON=1`).
fn python(what: &str) -> Option<PathBuf> {
    let required = std::env::var("ZARRKIT_REQUIRE_CLI_PYTHON").is_ok_and(|v| v == "1");
    let candidate = std::env::var_os("ZARRKIT_CLI_PYTHON")
        .map(PathBuf::from)
        .or_else(|| {
            let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/cli-venv/bin/python");
            venv.exists().then_some(venv)
        });
    let usable = candidate.filter(|p| {
        Command::new(p)
            .args([
                "-c",
                "import zarr, numpy; assert int(zarr.__version__.split('.')[0]) >= 3",
            ])
            .status()
            .is_ok_and(|s| s.success())
    });
    if usable.is_none() {
        let msg = format!(
            "SKIPPED {what}: no Python with zarr>=3 and numpy (set ZARRKIT_CLI_PYTHON or run scripts/ci/cli.sh)"
        );
        assert!(!required, "{msg} (ZARRKIT_REQUIRE_CLI_PYTHON=1)");
        eprintln!("{msg}");
    }
    usable
}

fn py(python: &Path, script: &str, args: &[&str]) -> String {
    let o = Command::new(python)
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "python failed: {}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).to_string()
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}

// ---------------------------------------------------------------- ome

#[test]
fn ome_writes_a_mean_pyramid_of_block_means() {
    let d = tmp();
    let (input, data) = image(d.path());
    let out = d.path().join("out.ome.zarr");
    let j = json_ok(&[
        "ome",
        &s(&input),
        &s(&out),
        "2,2",
        "--max-levels",
        "2",
        "--physical-size",
        "0.5,0.25",
        "--physical-units",
        "micrometer,micrometer",
        "--name",
        "img",
        "-c",
        "8,8",
    ]);
    assert_eq!(j["version"], json!("0.5"));
    assert_eq!(j["method"], json!("mean"));
    let levels = j["levels"].as_array().unwrap();
    assert_eq!(levels.len(), 3);
    assert_eq!(levels[1]["shape"], json!([10, 13]));
    assert_eq!(levels[2]["shape"], json!([5, 7]));
    assert_eq!(levels[1]["scale"], json!([1.0, 0.5]));
    // Level 0 is the input; levels 1 and 2 are block means of the level above, exactly.
    let (_, l0) = read_at::<f32>(&out, "/0");
    assert_eq!(l0, data);
    let (m1, h1, w1) = means2(&data, 20, 26);
    let (shape1, l1) = read_at::<f32>(&out, "/1");
    assert_eq!(shape1, vec![h1 as u64, w1 as u64]);
    assert_eq!(l1, m1);
    let (m2, _, _) = means2(&m1, h1, w1);
    assert_eq!(read_at::<f32>(&out, "/2").1, m2);
    // The metadata: OME-Zarr 0.5 in zarr.json, checked by `info`.
    let attrs = &j["attributes"]["ome"];
    assert_eq!(attrs["version"], json!("0.5"));
    assert_eq!(attrs["multiscales"][0]["name"], json!("img"));
    assert_eq!(
        attrs["multiscales"][0]["axes"][0],
        json!({"name": "y", "type": "space", "unit": "micrometer"})
    );
    let info = json_ok(&["info", &s(&out)]);
    assert_eq!(info["ome"]["valid"], json!(true), "{}", info["ome"]);
    assert_eq!(info["ome"]["levels"].as_array().unwrap().len(), 3);
    // The output exists: an error by default, erased with --exists erase.
    let e = fails(&["ome", &s(&input), &s(&out)], 1);
    assert!(e.contains("exists"), "{e}");
    ok(&[
        "ome",
        &s(&input),
        &s(&out),
        "--exists",
        "erase",
        "--max-levels",
        "1",
    ]);
    assert!(!out.join("2").exists());
}

#[test]
fn ome_04_on_zarr_v2_labels_with_mode_and_ozx() {
    let d = tmp();
    let p = d.path().join("labels.zarr");
    // Labels 0..3 in 2×2 blocks of which three agree: the mode is exact.
    let (h, w) = (8u64, 12u64);
    let labels: Vec<u8> = (0..h * w)
        .map(|k| {
            let (i, j) = (k / w, k % w);
            let block = ((i / 2) * 3 + (j / 2)) as u8 % 4;
            if i % 2 == 1 && j % 2 == 1 {
                9
            } else {
                block
            }
        })
        .collect();
    let a = ArrayBuilder::new(vec![h, w], vec![4, 4], "uint8", 0)
        .build(store(&p), "/")
        .unwrap();
    a.store_metadata().unwrap();
    a.write(ArraySubset::new_with_shape(vec![h, w]), &labels)
        .unwrap();
    let v4 = d.path().join("v04.zarr");
    let j = json_ok(&[
        "ome",
        &s(&p),
        &s(&v4),
        "--label",
        "--ome-zarr-version",
        "0.4",
        "--max-levels",
        "1",
        "--axis-names",
        "y,x",
    ]);
    assert_eq!(j["method"], json!("mode"));
    assert!(v4.join(".zgroup").is_file() && v4.join("1/.zarray").is_file());
    let zattrs: Value =
        serde_json::from_slice(&std::fs::read(v4.join(".zattrs")).unwrap()).unwrap();
    assert_eq!(zattrs["multiscales"][0]["version"], json!("0.4"));
    assert!(zattrs.get("image-label").is_some(), "{zattrs}");
    let expect: Vec<u8> = (0..(h / 2) * (w / 2))
        .map(|k| ((k / (w / 2)) * 3 + k % (w / 2)) as u8 % 4)
        .collect();
    assert_eq!(read_at::<u8>(&v4, "/1").1, expect);
    // The single-file form, read back through the zip store's URL.
    let ozx = d.path().join("labels.ozx");
    let j = json_ok(&["ome", &s(&p), &s(&ozx), "--discrete", "--max-levels", "1"]);
    assert!(j["ozx_bytes"].as_u64().unwrap() > 0);
    let url = format!("zip+file://{}", ozx.display());
    let info = json_ok(&["info", &url]);
    assert_eq!(info["ome"]["version"], json!("0.5"));
    assert_eq!(info["ome"]["valid"], json!(true));
    let l1 = format!("{url}#1/");
    let v = json_ok(&["validate", &l1, &s(&v4.join("1"))]);
    assert_eq!(v["equal"], json!(true), "{v}");
    // 0.4 cannot be an .ozx; mode needs integers; a channel axis is not downsampled.
    let e = fails(
        &[
            "ome",
            &s(&p),
            &s(&d.path().join("x.ozx")),
            "--ome-zarr-version",
            "0.4",
        ],
        1,
    );
    assert!(e.contains("0.5"), "{e}");
    let (img, _) = image(d.path());
    let e = fails(
        &["ome", &s(&img), &s(&d.path().join("m")), "--method", "mode"],
        1,
    );
    assert!(e.contains("mode") && e.contains("float32"), "{e}");
    let e = fails(
        &[
            "ome",
            &s(&img),
            &s(&d.path().join("c")),
            "2,2",
            "--physical-units",
            "channel,micrometer",
        ],
        1,
    );
    assert!(e.contains("channel"), "{e}");
    let e = fails(&["ome", &s(&img), &s(&d.path().join("f")), "2,2,2"], 1);
    assert!(e.contains("3 values but the array has 2 dimensions"), "{e}");
}

#[test]
fn ome_output_is_read_by_ome_zarr_py() {
    let Some(python) = python("ome_output_is_read_by_ome_zarr_py") else {
        return;
    };
    let has_ome = Command::new(&python)
        .args(["-c", "import ome_zarr"])
        .status()
        .is_ok_and(|s| s.success());
    let required = std::env::var("ZARRKIT_REQUIRE_CLI_PYTHON").is_ok_and(|v| v == "1");
    if !has_ome {
        assert!(!required, "no ome_zarr in {}", python.display());
        eprintln!(
            "SKIPPED ome_output_is_read_by_ome_zarr_py: no ome_zarr in {}",
            python.display()
        );
        return;
    }
    let d = tmp();
    let (input, _) = image(d.path());
    for (version, name) in [("0.5", "v05.zarr"), ("0.4", "v04.zarr")] {
        let out = d.path().join(name);
        ok(&[
            "ome",
            &s(&input),
            &s(&out),
            "--ome-zarr-version",
            version,
            "--method",
            "gaussian",
            "--max-levels",
            "2",
        ]);
        // ome-zarr-py's reader: every level with its shape, and the data of the last one.
        let script = r#"
import sys, numpy as np
from ome_zarr.io import parse_url
from ome_zarr.reader import Reader
loc = parse_url(sys.argv[1])
assert loc is not None, "not OME-Zarr"
node = list(Reader(loc)())[0]
print([list(d.shape) for d in node.data])
print(node.metadata["axes"])
"#;
        let out_text = py(&python, script, &[&s(&out)]);
        let mut lines = out_text.lines();
        assert_eq!(
            lines.next(),
            Some("[[20, 26], [10, 13], [5, 7]]"),
            "{version}: {out_text}"
        );
        assert!(
            lines.next().unwrap_or("").contains("'space'"),
            "{version}: {out_text}"
        );
        // And the command line tool.
        let tool = python.with_file_name("ome_zarr");
        let o = Command::new(&tool)
            .args(["info", &s(&out)])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(
            o.status.success()
                && text.contains("Multiscales")
                && text.contains(&format!("version: {version}")),
            "{version}: {text} {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(
            text.contains("(20, 26)") && text.contains("(10, 13)") && text.contains("(5, 7)"),
            "{text}"
        );
    }
}

// ---------------------------------------------------------------- filter

fn i16_array(p: &Path, data: &[i16], shape: &[u64], chunks: &[u64]) {
    let a = ArrayBuilder::new(shape.to_vec(), chunks.to_vec(), "int16", 0)
        .codecs_metadata(zstd())
        .build(store(p), "/")
        .unwrap();
    a.store_metadata().unwrap();
    a.write(ArraySubset::new_with_shape(shape.to_vec()), &data.to_vec())
        .unwrap();
}

#[test]
fn filters_compute_exact_results() {
    let d = tmp();
    let (h, w) = (12usize, 10usize);
    let data: Vec<i16> = (0..(h * w) as i16).map(|i| (i * 37) % 101 - 50).collect();
    let p = d.path().join("in.zarr");
    i16_array(&p, &data, &[h as u64, w as u64], &[5, 4]);
    let out = |n: &str| d.path().join(n);

    // crop: the region, byte for byte, with another chunking and codec.
    let j = json_ok(&[
        "filter",
        "crop",
        &s(&p),
        &s(&out("crop")),
        "2,3",
        "6,5",
        "-c",
        "3,5",
        "--bytes-to-bytes-codecs",
        "gzip:1",
    ]);
    assert_eq!(j["shape"], json!([6, 5]));
    assert_eq!(j["metadata"]["codecs"][1]["name"], json!("gzip"));
    let crop: Vec<i16> = (2..8)
        .flat_map(|i| (3..8).map(move |k| (i, k)))
        .map(|(i, k)| data[i * w + k])
        .collect();
    assert_eq!(read::<i16>(&out("crop")), crop);

    // rescale into float64: x * 0.5 + 3 (fused multiply-add in f64).
    ok(&[
        "filter",
        "rescale",
        &s(&p),
        &s(&out("rescale")),
        "0.5",
        "3",
        "-d",
        "float64",
    ]);
    assert_eq!(
        read::<f64>(&out("rescale")),
        data.iter()
            .map(|&x| f64::from(x).mul_add(0.5, 3.0))
            .collect::<Vec<_>>()
    );
    // --add-first: (x + -10) * 2, negative numbers as parameters.
    ok(&[
        "filter",
        "rescale",
        &s(&p),
        &s(&out("rescale2")),
        "2",
        "-10",
        "--add-first",
    ]);
    assert_eq!(
        read::<i16>(&out("rescale2")),
        data.iter().map(|&x| (x - 10) * 2).collect::<Vec<_>>()
    );

    // clamp, equal (bool), replace-value.
    ok(&["filter", "clamp", &s(&p), &s(&out("clamp")), "-20", "20"]);
    assert_eq!(
        read::<i16>(&out("clamp")),
        data.iter().map(|&x| x.clamp(-20, 20)).collect::<Vec<_>>()
    );
    let j = json_ok(&["filter", "equal", &s(&p), &s(&out("equal")), "-13"]);
    assert_eq!(j["data_type"], json!("bool"));
    assert_eq!(
        read::<bool>(&out("equal")),
        data.iter().map(|&x| x == -13).collect::<Vec<_>>()
    );
    ok(&[
        "filter",
        "replace-value",
        &s(&p),
        &s(&out("replace")),
        "-13",
        "999",
    ]);
    assert_eq!(
        read::<i16>(&out("replace")),
        data.iter()
            .map(|&x| if x == -13 { 999 } else { x })
            .collect::<Vec<_>>()
    );

    // downsample by 3 × 2 (means, rounded to the integer type) and --discrete.
    let j = json_ok(&[
        "filter",
        "downsample",
        &s(&p),
        &s(&out("down")),
        "3,2",
        "-d",
        "float64",
    ]);
    assert_eq!(j["shape"], json!([4, 5]));
    let mut down = Vec::new();
    for i in 0..4 {
        for k in 0..5 {
            let mut sum = 0f64;
            for a in 3 * i..3 * i + 3 {
                for b in 2 * k..2 * k + 2 {
                    sum += f64::from(data[a * w + b]);
                }
            }
            down.push(sum / 6.0);
        }
    }
    let got = read::<f64>(&out("down"));
    assert!(
        got.iter().zip(&down).all(|(g, e)| (g - e).abs() < 1e-12),
        "{got:?} vs {down:?}"
    );

    // summed area table of ones: (i + 1)(j + 1); gradient magnitude and guided filter of a
    // constant: 0 and the constant.
    let ones = out("ones.zarr");
    i16_array(&ones, &vec![1i16; h * w], &[h as u64, w as u64], &[5, 4]);
    ok(&[
        "filter",
        "summed-area-table",
        &s(&ones),
        &s(&out("sat")),
        "-d",
        "int32",
    ]);
    let sat: Vec<i32> = (0..h)
        .flat_map(|i| (0..w).map(move |k| ((i + 1) * (k + 1)) as i32))
        .collect();
    assert_eq!(read::<i32>(&out("sat")), sat);
    let j = json_ok(&[
        "filter",
        "gradient-magnitude",
        &s(&ones),
        &s(&out("grad")),
        "-d",
        "float32",
    ]);
    assert_eq!(j["data_type"], json!("float32"));
    assert!(read::<f32>(&out("grad")).iter().all(|&g| g == 0.0));
    ok(&[
        "filter",
        "guided-filter",
        &s(&ones),
        &s(&out("guided")),
        "0.01",
        "2",
        "-d",
        "float32",
    ]);
    assert!(read::<f32>(&out("guided"))
        .iter()
        .all(|&g| (g - 1.0).abs() < 1e-5));
    ok(&[
        "filter",
        "gaussian",
        &s(&ones),
        &s(&out("gauss")),
        "1,1",
        "2,2",
        "-d",
        "float32",
    ]);
    let g = read::<f32>(&out("gauss"));
    assert_eq!(g.len(), h * w);
    // reencode: same values, another encoding.
    ok(&[
        "filter",
        "reencode",
        &s(&p),
        &s(&out("re")),
        "--shard-shape",
        "6,10",
        "-c",
        "3,5",
    ]);
    assert_eq!(
        json_ok(&["validate", &s(&p), &s(&out("re"))])["equal"],
        json!(true)
    );

    // Errors: one line naming the filter and what does not fit; never the input as output.
    let e = fails(
        &["filter", "crop", &s(&p), &s(&out("bad")), "10,0", "5,5"],
        1,
    );
    assert!(e.contains("filter crop") && e.contains("crop"), "{e}");
    let e = fails(&["filter", "clamp", &s(&p), &s(&p), "0", "1"], 1);
    assert!(e.contains("the output is the input"), "{e}");
    let e = fails(&["filter", "clamp", &s(&p), &s(&out("clamp")), "0", "1"], 1);
    assert!(e.contains("exists"), "{e}");
    ok(&[
        "filter",
        "clamp",
        &s(&p),
        &s(&out("clamp")),
        "0",
        "1",
        "--exists",
        "erase",
    ]);
    let e = fails(&["filter", "downsample", &s(&p), &s(&out("d2")), "0,2"], 1);
    assert!(e.contains("stride") || e.contains("0"), "{e}");
}

#[test]
fn filter_run_configuration_with_temporaries() {
    let d = tmp();
    let data: Vec<i16> = (0..64).map(|i| i - 20).collect();
    let p = d.path().join("in.zarr");
    i16_array(&p, &data, &[8, 8], &[4, 4]);
    let out1 = d.path().join("clamped.zarr");
    let out2 = d.path().join("mask.zarr");
    let config = json!([
        {"filter": "reencode", "input": s(&p), "output": "$a", "chunk_shape": [2, 8]},
        {"filter": "clamp", "min": 0, "max": 30, "output": s(&out1)},
        {"filter": "equal", "input": "$a", "value": 0, "output": s(&out2)}
    ]);
    let cfg_path = d.path().join("run.json");
    std::fs::write(&cfg_path, serde_json::to_vec(&config).unwrap()).unwrap();
    let j = json_ok(&["filter", "run", &s(&cfg_path), "--tmp", &s(d.path())]);
    let steps = j["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 3);
    assert_eq!(steps[1]["input"], json!("$a"));
    assert_eq!(
        read::<i16>(&out1),
        data.iter().map(|&x| x.clamp(0, 30)).collect::<Vec<_>>()
    );
    assert_eq!(
        read::<bool>(&out2),
        data.iter().map(|&x| x == 0).collect::<Vec<_>>()
    );
    // The temporaries are gone.
    let left: Vec<_> = std::fs::read_dir(d.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("zarrkit-filter-")
        })
        .collect();
    assert!(left.is_empty(), "temporaries left: {left:?}");
    // From stdin, and errors naming the step.
    let mut c = super::bin()
        .args(["filter", "run", "-", "--exists", "erase", "--json"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    c.stdin
        .take()
        .unwrap()
        .write_all(&serde_json::to_vec(&config).unwrap())
        .unwrap();
    let o = c.wait_with_output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let bad = json!([{"filter": "clamp", "input": s(&p), "min": 0}]);
    std::fs::write(&cfg_path, serde_json::to_vec(&bad).unwrap()).unwrap();
    let e = fails(&["filter", "run", &s(&cfg_path)], 1);
    assert!(e.contains("step 0") && e.contains("max"), "{e}");
    std::fs::write(
        &cfg_path,
        r#"[{"filter": "clamp", "input": "$nope", "min": 0, "max": 1}]"#,
    )
    .unwrap();
    let e = fails(&["filter", "run", &s(&cfg_path)], 1);
    assert!(e.contains("$nope"), "{e}");
    let e = fails(&["filter", "run", &s(&d.path().join("none.json"))], 1);
    assert!(e.contains("none.json"), "{e}");
}

// ---------------------------------------------------------------- http and zip stores

/// A static file server on 127.0.0.1 for `root` (GET with `Range`, HEAD; 404 for a missing
/// file), in a thread; returns its base URL.
fn serve(root: PathBuf) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            let root = root.clone();
            std::thread::spawn(move || {
                let _ = handle(conn, &root);
            });
        }
    });
    format!("http://{addr}")
}

fn handle(conn: TcpStream, root: &Path) -> std::io::Result<()> {
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut conn = conn;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let parts: Vec<&str> = line.split_whitespace().collect();
        let (method, target) = (
            parts.first().copied().unwrap_or(""),
            parts.get(1).copied().unwrap_or("/"),
        );
        let mut range: Option<String> = None;
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h)? == 0 || h.trim().is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                if k.trim().eq_ignore_ascii_case("range") {
                    range = Some(v.trim().to_string());
                }
            }
        }
        let path = root.join(
            target
                .trim_start_matches('/')
                .split('?')
                .next()
                .unwrap_or(""),
        );
        let body = match std::fs::read(&path) {
            Ok(b) if path.is_file() => b,
            _ => {
                conn.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")?;
                continue;
            }
        };
        let n = body.len();
        let (status, window) = match range.as_deref().and_then(|r| r.strip_prefix("bytes=")) {
            None => ("200 OK", 0..n),
            Some(r) => {
                let (a, b) = r.split_once('-').unwrap_or((r, ""));
                let w = if a.is_empty() {
                    let k: usize = b.parse().unwrap_or(0);
                    n.saturating_sub(k)..n
                } else {
                    let a: usize = a.parse().unwrap_or(0);
                    let b: usize = if b.is_empty() {
                        n.saturating_sub(1)
                    } else {
                        b.parse().unwrap_or(0)
                    };
                    a..(b + 1).min(n)
                };
                ("206 Partial Content", w)
            }
        };
        let mut head = format!(
            "HTTP/1.1 {status}\r\nContent-Length: {}\r\nETag: \"{n}\"\r\n",
            window.len()
        );
        if status.starts_with("206") {
            head.push_str(&format!(
                "Content-Range: bytes {}-{}/{n}\r\n",
                window.start,
                window.end.saturating_sub(1)
            ));
        }
        head.push_str("\r\n");
        conn.write_all(head.as_bytes())?;
        if method != "HEAD" {
            conn.write_all(&body[window])?;
        }
        conn.flush()?;
    }
}

#[test]
fn http_and_zip_urls_work_for_every_reading_command() {
    let d = tmp();
    let v3 = v3_u16(d.path());
    let v2 = v2_f32(d.path());
    super::hierarchy(d.path(), true);
    let base = serve(d.path().to_path_buf());
    let url = format!("{base}/v3.zarr");
    let j = json_ok(&["info", &url, "--stats"]);
    assert_eq!(j["shape"], json!([40, 30]));
    assert_eq!(j["stats"]["chunks_present"], json!(5));
    assert_eq!(
        j["stats"]["max"],
        json!(*expected_u16().iter().max().unwrap())
    );
    assert_eq!(json_ok(&["validate", &url, &s(&v3)])["equal"], json!(true));
    let j = json_ok(&["tree", &format!("{base}/h.zarr")]);
    assert_eq!(j["consolidated_metadata"], json!(true));
    assert_eq!(j["children"][0]["children"][0]["path"], json!("/sub/x"));
    // A V2 array over HTTP re-encoded to local V3 sharded, validated.
    let out = d.path().join("from-http.zarr");
    let j = json_ok(&[
        "reencode",
        &format!("{base}/v2.zarr"),
        &s(&out),
        "-s",
        "50,20",
        "-c",
        "10,10",
        "--validate",
    ]);
    assert_eq!(j["validated"], json!(true));
    assert_eq!(read::<f32>(&out).len(), 1000);
    // Missing things are errors naming the URL.
    let e = fails(&["info", &format!("{base}/missing.zarr")], 1);
    assert!(
        e.contains("missing.zarr") && e.contains("no Zarr array or group"),
        "{e}"
    );
    let e = fails(&["reencode", &url, &format!("{base}/out.zarr")], 1);
    assert!(e.contains("out.zarr"), "{e}");
    let e = fails(&["info", "http://127.0.0.1:1/x.zarr"], 1);
    assert!(e.contains("127.0.0.1:1"), "{e}");

    // zip: an archive of the V2 array written with the zip store's writer.
    let zip = d.path().join("v2.zip");
    let src = store(&v2);
    let mut f = std::fs::File::create(&zip).unwrap();
    zarrkit::store_zip::write_zip(&*src, &mut f, &zarrkit::store_zip::ZipWriteOptions::new())
        .unwrap();
    drop(f);
    let zurl = format!("zip+file://{}", zip.display());
    let j = json_ok(&["info", &zurl]);
    assert_eq!(j["zarr_format"], json!(2));
    assert_eq!(json_ok(&["validate", &zurl, &s(&v2)])["equal"], json!(true));
    let out = d.path().join("from-zip.zarr");
    ok(&[
        "reencode",
        &zurl,
        &s(&out),
        "--bytes-to-bytes-codecs",
        "zstd:5",
        "--validate",
    ]);
    // Zip over HTTP.
    let zh = format!("zip+{base}/v2.zip");
    assert_eq!(json_ok(&["validate", &zh, &s(&out)])["equal"], json!(true));
}

// ---------------------------------------------------------------- zarr-python

/// A reencode case: input, name, flags, the expected C-order little-endian bytes, `dtype shape`.
type Case<'a> = (&'a Path, &'a str, Vec<&'a str>, &'a [u8], &'a str);

#[test]
fn zarr_python_reads_what_zarrkit_writes_and_the_other_way() {
    let Some(python) = python("zarr_python_reads_what_zarrkit_writes_and_the_other_way") else {
        return;
    };
    let d = tmp();
    let v3 = v3_u16(d.path());
    let v2 = v2_f32(d.path());
    let expected = expected_u16();
    let u16_bytes: Vec<u8> = expected.iter().flat_map(|v| v.to_le_bytes()).collect();
    let f32_bytes: Vec<u8> = super::f32_data()
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let script = r#"
import sys, hashlib, numpy as np, zarr
a = zarr.open_array(sys.argv[1], mode="r")
x = np.ascontiguousarray(a[...])
print(a.metadata.zarr_format, x.dtype.str, list(x.shape), hashlib.sha256(x.astype(x.dtype.newbyteorder("<")).tobytes()).hexdigest())
"#;
    let cases: Vec<Case<'_>> = vec![
        (
            &v3,
            "sharded-blosc",
            vec![
                "-s",
                "32,30",
                "-c",
                "16,10",
                "--bytes-to-bytes-codecs",
                "blosc:lz4:5:shuffle",
            ],
            &u16_bytes,
            "<u2 [40, 30]",
        ),
        (
            &v3,
            "v2-zstd",
            vec![
                "--zarr-format",
                "2",
                "--bytes-to-bytes-codecs",
                "zstd:3",
                "-c",
                "7,9",
            ],
            &u16_bytes,
            "<u2 [40, 30]",
        ),
        (
            &v3,
            "transpose-gzip-crc",
            vec![
                "--array-to-array-codecs",
                "transpose:[1,0]",
                "--bytes-to-bytes-codecs",
                "gzip:6,crc32c",
                "--array-to-bytes-codec",
                "bytes:big",
            ],
            &u16_bytes,
            "<u2 [40, 30]",
        ),
        (
            &v2,
            "v3-from-v2",
            vec![
                "--bytes-to-bytes-codecs",
                "blosc:zstd:3:bitshuffle",
                "-s",
                "50,20",
                "-c",
                "25,10",
            ],
            &f32_bytes,
            "<f4 [50, 20]",
        ),
    ];
    for (input, name, flags, bytes, dtype_shape) in cases {
        let out = d.path().join(format!("{name}.zarr"));
        let mut args = vec!["reencode", input.to_str().unwrap(), out.to_str().unwrap()];
        args.extend(flags.iter().copied());
        ok(&args);
        let line = py(&python, script, &[&s(&out)]);
        let fmt = if flags.contains(&"2") { "2" } else { "3" };
        assert_eq!(
            line.trim(),
            format!("{fmt} {dtype_shape} {}", sha256_hex(bytes)),
            "{name}"
        );
    }
    // zarr-python writes (V3 sharded zstd, V2 blosc), zarrkit reads, re-encodes, validates.
    let py_v3 = d.path().join("py-v3.zarr");
    let py_v2 = d.path().join("py-v2.zarr");
    py(
        &python,
        r#"
import sys, numpy as np, zarr
from zarr.codecs import ZstdCodec, BloscCodec
x = (np.arange(24 * 30, dtype="<i4").reshape(24, 30) * 3 - 700)
a = zarr.create_array(sys.argv[1], shape=x.shape, chunks=(4, 10), shards=(12, 30), dtype="<i4", compressors=[ZstdCodec(level=2)], fill_value=5, dimension_names=["a", "b"])
a[...] = x
import numcodecs
b = zarr.create_array(sys.argv[2], shape=x.shape, chunks=(5, 7), dtype="<i4", zarr_format=2, compressors=numcodecs.Blosc(cname="lz4", clevel=4, shuffle=1), fill_value=0)
b[...] = x
"#,
        &[&s(&py_v3), &s(&py_v2)],
    );
    let j = json_ok(&["info", &s(&py_v3), "--stats"]);
    assert_eq!(j["sharding"]["inner_chunk_shape"], json!([4, 10]));
    assert_eq!(j["stats"]["min"], json!(-700));
    assert_eq!(j["stats"]["max"], json!((24 * 30 - 1) * 3 - 700));
    assert_eq!(
        json_ok(&["validate", &s(&py_v3), &s(&py_v2)])["equal"],
        json!(true)
    );
    let back = d.path().join("py-back.zarr");
    ok(&[
        "reencode",
        &s(&py_v2),
        &s(&back),
        "--zarr-format",
        "2",
        "-c",
        "24,30",
        "--validate",
    ]);
    let want: Vec<i32> = (0..24 * 30).map(|i| i * 3 - 700).collect();
    assert_eq!(read::<i32>(&back), want);
}

// ---------------------------------------------------------------- progress on a terminal

#[test]
fn progress_bar_on_a_terminal_only() {
    // `script` (util-linux) gives the command a pseudo-terminal.
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("SKIPPED progress_bar_on_a_terminal_only: no `script` command");
        return;
    }
    let d = tmp();
    let p = d.path().join("big.zarr");
    let a = ArrayBuilder::new(vec![256, 512, 512], vec![8, 512, 512], "uint16", 0)
        .codecs_metadata(zstd())
        .build(store(&p), "/")
        .unwrap();
    a.store_metadata().unwrap();
    let slab: Vec<u16> = (0..32 * 512 * 512u32).map(|i| (i % 4093) as u16).collect();
    for z in 0..8 {
        a.write(
            ArraySubset::new(vec![z * 32, 0, 0], vec![32, 512, 512]).unwrap(),
            &slab,
        )
        .unwrap();
    }
    let out = d.path().join("out.zarr");
    let log = d.path().join("typescript");
    let cmd = format!(
        "{} reencode {} {} -c 4,512,512 --bytes-to-bytes-codecs gzip:6 --concurrent-chunks 1",
        env!("CARGO_BIN_EXE_zarrkit"),
        p.display(),
        out.display()
    );
    let st = Command::new("script")
        .args(["-qefc", &cmd, &s(&log)])
        .env("RAYON_NUM_THREADS", "2")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(st.success());
    let mut t = String::new();
    std::fs::File::open(&log)
        .unwrap()
        .read_to_string(&mut t)
        .unwrap();
    assert!(
        t.contains("reencode [") && t.contains("MiB"),
        "no progress bar drawn: {t:?}"
    );
    assert!(t.contains("chunks"), "{t:?}");
    // The final line is there too.
    assert!(t.contains("read ~") && t.contains("write ~"), "{t:?}");
}
