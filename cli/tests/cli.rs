//! The `zarrkit` binary, run as a process on arrays written with the library: every command,
//! `--json` output parsed and checked, error exits and messages, reencode round trips
//! verified with `validate` (and read back with the library), and a reencode of an array
//! larger than the address-space limit the process runs under.

// Test helpers outside `#[test]` functions unwrap too (clippy.toml allows it inside them).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

use serde_json::{json, Map, Value};
use zarrkit::metadata_v2::ArrayMetadataV2;
use zarrkit::{
    Array, ArrayBuilder, ArrayMetadata, ArraySubset, DynStore, GroupBuilder, MetadataV3,
};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_zarrkit"));
    c.env("RAYON_NUM_THREADS", "2");
    c
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("run zarrkit")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

/// Run, expect exit 0, return stdout.
fn ok(args: &[&str]) -> String {
    let o = run(args);
    assert_eq!(o.status.code(), Some(0), "{args:?}: stderr {}", stderr(&o));
    stdout(&o)
}

/// Run with `--json`, expect exit `code`, parse stdout.
fn json_code(args: &[&str], code: i32) -> Value {
    let mut a = args.to_vec();
    a.push("--json");
    let o = run(&a);
    assert_eq!(o.status.code(), Some(code), "{a:?}: stderr {}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{a:?}: {e}: {}", stdout(&o)))
}

fn json_ok(args: &[&str]) -> Value {
    json_code(args, 0)
}

/// Run, expect exit `code` and one line on stderr (returned).
fn fails(args: &[&str], code: i32) -> String {
    let o = run(args);
    assert_eq!(
        o.status.code(),
        Some(code),
        "{args:?}: stdout {} stderr {}",
        stdout(&o),
        stderr(&o)
    );
    let e = stderr(&o);
    assert_eq!(
        e.trim_end().lines().count(),
        1,
        "{args:?}: not one line: {e:?}"
    );
    assert!(e.starts_with("zarrkit: error: "), "{e}");
    e
}

fn cfg(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

fn s(p: &Path) -> String {
    p.to_string_lossy().to_string()
}

fn store(p: &Path) -> Arc<DynStore> {
    zarrkit::open_store(&s(p)).unwrap()
}

fn zstd() -> Vec<MetadataV3> {
    vec![
        MetadataV3::new_with_configuration("bytes", cfg(json!({"endian": "little"}))),
        MetadataV3::new_with_configuration("zstd", cfg(json!({"level": 1, "checksum": false}))),
    ]
}

/// A V3 uint16 array [40, 30] in chunks [16, 16], zstd, with a gradient (one chunk left
/// missing: all fill value 7).
fn v3_u16(dir: &Path) -> PathBuf {
    let p = dir.join("v3.zarr");
    let a = ArrayBuilder::new(vec![40, 30], vec![16, 16], "uint16", 7)
        .codecs_metadata(zstd())
        .dimension_names(["y", "x"])
        .attributes(cfg(json!({"units": "counts", "n": 1})))
        .build(store(&p), "/")
        .unwrap();
    a.store_metadata().unwrap();
    let data: Vec<u16> = (0..40u16 * 30).collect();
    a.write(ArraySubset::new_with_shape(vec![40, 30]), &data)
        .unwrap();
    // Chunk (2, 1) covers [32..40, 16..30]: make it all fill, so it is not stored.
    let fill = vec![7u16; 8 * 14];
    a.write(ArraySubset::new(vec![32, 16], vec![8, 14]).unwrap(), &fill)
        .unwrap();
    p
}

fn expected_u16() -> Vec<u16> {
    let mut d: Vec<u16> = (0..40u16 * 30).collect();
    for i in 32..40 {
        for j in 16..30 {
            d[i * 30 + j] = 7;
        }
    }
    d
}

/// A V2 float32 array [50, 20] in chunks [10, 20], zstd compressor, NaN fill, some NaNs.
fn v2_f32(dir: &Path) -> PathBuf {
    let p = dir.join("v2.zarr");
    let mut m = ArrayMetadataV2::new(vec![50, 20], vec![10, 20], "<f4", json!("NaN"));
    m.compressor = Some(cfg(json!({"id": "zstd", "level": 1})));
    m.attributes = Some(cfg(json!({"_ARRAY_DIMENSIONS": ["t", "x"], "title": "v2"})));
    let a = Array::new_with_metadata(store(&p), "/", ArrayMetadata::V2(m)).unwrap();
    a.store_metadata().unwrap();
    a.write(ArraySubset::new_with_shape(vec![50, 20]), &f32_data())
        .unwrap();
    p
}

fn f32_data() -> Vec<f32> {
    (0..1000)
        .map(|i| {
            if i % 97 == 0 {
                f32::NAN
            } else {
                i as f32 * 0.25 - 10.0
            }
        })
        .collect()
}

fn read<T: zarrkit::Element>(p: &Path) -> Vec<T> {
    let a = Array::open(store(p), "/").unwrap();
    a.read(ArraySubset::new_with_shape(a.shape().to_vec()))
        .unwrap()
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

// ---------------------------------------------------------------- demo

#[test]
fn demo_creates_a_hierarchy_and_runs_the_commands() {
    let d = tmp();
    let out = ok(&["demo", &s(d.path())]);
    assert!(out.contains("├── labels (group)"), "{out}");
    assert!(out.contains("temperature float32 [24, 90, 180]"), "{out}");
    assert!(out.contains("stats"), "{out}");
    assert!(out.contains("equal:"), "{out}");
    // The hierarchy is on disk and readable by the library.
    let root = d.path().join("demo.zarr");
    let t: Vec<f32> = read(&root.join("temperature"));
    assert_eq!(t.len(), 24 * 90 * 180);
    assert_eq!(t[0], zarrkit_cli::cmd::demo::temperature(0, 0, 0));
    // A second run refuses to overwrite; --overwrite and --json work.
    fails(&["demo", &s(d.path())], 1);
    let j = json_ok(&["demo", &s(d.path()), "--overwrite"]);
    let steps = j["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 4);
    assert_eq!(steps[3]["result"]["equal"], json!(true));
    let stats = &steps[1]["result"]["stats"];
    assert_eq!(stats["chunks_present"], json!(16));
    assert_eq!(stats["nan_count"], json!(0));
    // The mask: 2 of its 4 shards hold only the fill value and are not stored.
    let m = json_ok(&["info", &s(&root.join("labels/mask")), "--stats"]);
    assert_eq!(m["stats"]["chunks"], json!(4));
    assert_eq!(m["stats"]["chunks_present"], json!(2));
    assert_eq!(m["stats"]["max"], json!(2));
}

#[test]
fn demo_without_a_directory_uses_a_temporary_one() {
    let j = json_ok(&["demo"]);
    let dir = PathBuf::from(j["dir"].as_str().unwrap());
    assert!(dir.join("demo.zarr/zarr.json").is_file());
    std::fs::remove_dir_all(dir).unwrap();
}

// ---------------------------------------------------------------- info

#[test]
fn info_reports_metadata_v3() {
    let d = tmp();
    let p = v3_u16(d.path());
    let j = json_ok(&["info", &s(&p)]);
    assert_eq!(j["node_type"], json!("array"));
    assert_eq!(j["zarr_format"], json!(3));
    assert_eq!(j["shape"], json!([40, 30]));
    assert_eq!(j["data_type"], json!("uint16"));
    assert_eq!(j["fill_value"], json!(7));
    assert_eq!(j["dimension_names"], json!(["y", "x"]));
    assert_eq!(j["attributes"], json!({"units": "counts", "n": 1}));
    assert_eq!(j["chunk_grid"]["chunk_shape"], json!([16, 16]));
    assert_eq!(j["chunk_grid"]["grid_shape"], json!([3, 2]));
    assert_eq!(j["chunk_grid"]["chunks"], json!(6));
    assert_eq!(j["codecs"][1]["name"], json!("zstd"));
    assert_eq!(j["sharding"], Value::Null);
    assert_eq!(j["decoded_bytes"], json!(2400));
    assert_eq!(j["metadata"]["zarr_format"], json!(3));
    assert_eq!(j["metadata"], j["metadata_v3"]);
    let text = ok(&["info", &s(&p)]);
    assert!(text.contains("shape         [40, 30]"), "{text}");
    assert!(text.contains("metadata (as stored)"), "{text}");
}

#[test]
fn info_reports_v2_as_stored_and_as_v3() {
    let d = tmp();
    let p = v2_f32(d.path());
    let j = json_ok(&["info", &s(&p)]);
    assert_eq!(j["zarr_format"], json!(2));
    assert_eq!(j["metadata"][".zarray"]["dtype"], json!("<f4"));
    assert_eq!(j["metadata"][".zarray"]["compressor"]["id"], json!("zstd"));
    assert_eq!(j["metadata"][".zattrs"]["title"], json!("v2"));
    assert_eq!(j["metadata_v3"]["zarr_format"], json!(3));
    assert_eq!(j["metadata_v3"]["data_type"], json!("float32"));
    let names: Vec<&str> = j["codecs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["bytes", "zstd"]);
    assert_eq!(j["fill_value"], json!("NaN"));
    let text = ok(&["info", &s(&p)]);
    assert!(text.contains("metadata (as V3)"), "{text}");
}

#[test]
fn info_stats_count_chunks_bytes_range_and_histogram() {
    let d = tmp();
    let p = v3_u16(d.path());
    let j = json_ok(&["info", &s(&p), "--stats", "--bins", "4"]);
    let st = &j["stats"];
    assert_eq!(st["chunks"], json!(6));
    assert_eq!(st["chunks_present"], json!(5));
    // Stored bytes are the chunk files' sizes.
    let mut files = 0u64;
    for e in walk(&p.join("c")) {
        files += std::fs::metadata(e).unwrap().len();
    }
    assert_eq!(st["stored_bytes"], json!(files));
    assert_eq!(st["decoded_bytes_present"], json!(5 * 16 * 16 * 2));
    let ratio = st["compression_ratio"].as_f64().unwrap();
    assert!((ratio - (5.0 * 512.0) / files as f64).abs() < 1e-9);
    let data = expected_u16();
    assert_eq!(st["elements"], json!(1200));
    assert_eq!(st["min"], json!(*data.iter().min().unwrap()));
    assert_eq!(st["max"], json!(*data.iter().max().unwrap()));
    assert_eq!(st["nan_count"], json!(0));
    let h = &st["histogram"];
    let counts: Vec<u64> = h["counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_u64().unwrap())
        .collect();
    assert_eq!(counts.iter().sum::<u64>(), 1200);
    // Against the same binning computed here.
    let (lo, hi) = (
        f64::from(*data.iter().min().unwrap()),
        f64::from(*data.iter().max().unwrap()),
    );
    let mut expect = [0u64; 4];
    for &v in &data {
        let b = (((v as f64 - lo) / (hi - lo) * 4.0) as usize).min(3);
        expect[b] += 1;
    }
    assert_eq!(counts, expect);
    assert_eq!(h["bin_edges"].as_array().unwrap().len(), 5);
    // A given range: one pass, values outside counted below/above.
    let j = json_ok(&[
        "info",
        &s(&p),
        "--stats",
        "--bins",
        "2",
        "--histogram-range",
        "100,199",
    ]);
    let h = &j["stats"]["histogram"];
    assert_eq!(h["counts"], json!([50, 50]));
    assert_eq!(h["below"], json!(data.iter().filter(|&&v| v < 100).count()));
    assert_eq!(h["above"], json!(data.iter().filter(|&&v| v > 199).count()));
}

#[test]
fn info_stats_count_nans_and_skip_them_in_the_range() {
    let d = tmp();
    let p = v2_f32(d.path());
    let j = json_ok(&["info", &s(&p), "--stats"]);
    let data = f32_data();
    let nans = data.iter().filter(|x| x.is_nan()).count();
    assert_eq!(j["stats"]["nan_count"], json!(nans));
    let min = data
        .iter()
        .copied()
        .filter(|x| !x.is_nan())
        .fold(f32::INFINITY, f32::min);
    let max = data
        .iter()
        .copied()
        .filter(|x| !x.is_nan())
        .fold(f32::NEG_INFINITY, f32::max);
    assert_eq!(j["stats"]["min"].as_f64().unwrap() as f32, min);
    assert_eq!(j["stats"]["max"].as_f64().unwrap() as f32, max);
    let counts: u64 = j["stats"]["histogram"]["counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_u64().unwrap())
        .sum();
    assert_eq!(counts as usize, 1000 - nans);
}

fn walk(p: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(p).unwrap() {
        let e = e.unwrap().path();
        if e.is_dir() {
            out.extend(walk(&e));
        } else {
            out.push(e);
        }
    }
    out
}

// ---------------------------------------------------------------- tree

fn hierarchy(dir: &Path, consolidate: bool) -> PathBuf {
    let p = dir.join("h.zarr");
    let st = store(&p);
    let mut g = GroupBuilder::new()
        .attributes(cfg(json!({"a": 1})))
        .build(st.clone(), "/")
        .unwrap();
    g.store_metadata().unwrap();
    GroupBuilder::new()
        .build(st.clone(), "/sub")
        .unwrap()
        .store_metadata()
        .unwrap();
    for path in ["/sub/x", "/y"] {
        ArrayBuilder::new(vec![10], vec![5], "int32", 0)
            .build(st.clone(), path)
            .unwrap()
            .store_metadata()
            .unwrap();
    }
    if consolidate {
        g.consolidate_metadata().unwrap();
    }
    p
}

#[test]
fn tree_lists_the_hierarchy_consolidated_or_not() {
    for consolidated in [true, false] {
        let d = tmp();
        let p = hierarchy(d.path(), consolidated);
        let j = json_ok(&["tree", &s(&p)]);
        assert_eq!(j["node_type"], json!("group"));
        assert_eq!(j["consolidated_metadata"], json!(consolidated));
        let kids = j["children"].as_array().unwrap();
        assert_eq!(kids.len(), 2);
        assert_eq!(kids[0]["name"], json!("sub"));
        assert_eq!(kids[0]["children"][0]["path"], json!("/sub/x"));
        assert_eq!(kids[0]["children"][0]["shape"], json!([10]));
        assert_eq!(kids[1]["data_type"], json!("int32"));
        let text = ok(&["tree", &s(&p)]);
        assert!(text.contains("└── x int32 [10] chunks [5]"), "{text}");
        // --depth 1 stops below the first level.
        let j = json_ok(&["tree", &s(&p), "--depth", "1"]);
        assert_eq!(j["children"][0]["children"], json!([]));
    }
}

#[test]
fn tree_shows_a_broken_child_without_failing() {
    let d = tmp();
    let p = hierarchy(d.path(), false);
    let bad = p.join("y/zarr.json");
    let mut m: Value = serde_json::from_slice(&std::fs::read(&bad).unwrap()).unwrap();
    m["codecs"] = json!([{"name": "no.such.codec"}]);
    std::fs::write(&bad, serde_json::to_vec(&m).unwrap()).unwrap();
    let j = json_ok(&["tree", &s(&p)]);
    let y = &j["children"][1];
    assert_eq!(y["name"], json!("y"));
    assert!(
        y["error"].as_str().unwrap().contains("no.such.codec"),
        "{y}"
    );
    // info on the broken array itself is an error naming the codec.
    let e = fails(&["info", &s(&p.join("y"))], 1);
    assert!(e.contains("no.such.codec"), "{e}");
}

// ---------------------------------------------------------------- validate

fn i32_array(p: &Path, chunks: Vec<u64>, data: &[i32], dtype: &str) {
    let a = ArrayBuilder::new(vec![10, 20], chunks, dtype, 0)
        .codecs_metadata(zstd())
        .build(store(p), "/")
        .unwrap();
    a.store_metadata().unwrap();
    a.write(ArraySubset::new_with_shape(vec![10, 20]), &data.to_vec())
        .unwrap();
}

#[test]
fn validate_reports_equality_and_the_first_difference_in_c_order() {
    let d = tmp();
    let data: Vec<i32> = (0..200).collect();
    let (a, b, c) = (d.path().join("a"), d.path().join("b"), d.path().join("c"));
    i32_array(&a, vec![10, 10], &data, "int32");
    // Other chunks, same values.
    i32_array(&b, vec![3, 7], &data, "int32");
    let j = json_ok(&["validate", &s(&a), &s(&b)]);
    assert_eq!(j["equal"], json!(true));
    assert_eq!(j["elements"], json!(200));
    assert!(ok(&["validate", &s(&a), &s(&b)]).starts_with("equal: "));
    // Differences at [5, 0] (chunk (0, 0) of a) and [2, 15] (chunk (0, 1)): the first in C
    // order is [2, 15], although its chunk comes later.
    let mut other = data.clone();
    other[5 * 20] = -1;
    other[2 * 20 + 15] = -2;
    i32_array(&c, vec![5, 5], &other, "int32");
    for workers in ["1", "4"] {
        let j = json_code(
            &["validate", &s(&a), &s(&c), "--concurrent-chunks", workers],
            1,
        );
        assert_eq!(j["equal"], json!(false));
        assert_eq!(j["difference"]["indices"], json!([2, 15]), "{j}");
        assert_eq!(j["difference"]["first"], json!(55));
        assert_eq!(j["difference"]["second"], json!(-2));
    }
    let o = run(&["validate", &s(&a), &s(&c)]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("element [2, 15] differs: 55 vs -2"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn validate_reports_shape_and_data_type_differences_and_errors() {
    let d = tmp();
    let data: Vec<i32> = (0..200).collect();
    let (a, b) = (d.path().join("a"), d.path().join("b"));
    i32_array(&a, vec![10, 10], &data, "int32");
    let u: Vec<u32> = (0..200).collect();
    let x = ArrayBuilder::new(vec![10, 20], vec![10, 10], "uint32", 0)
        .build(store(&b), "/")
        .unwrap();
    x.store_metadata().unwrap();
    x.write(ArraySubset::new_with_shape(vec![10, 20]), &u)
        .unwrap();
    let j = json_code(&["validate", &s(&a), &s(&b)], 1);
    assert_eq!(j["difference"]["what"], json!("data type"));
    let small = d.path().join("small");
    ArrayBuilder::new(vec![10, 19], vec![10, 10], "int32", 0)
        .build(store(&small), "/")
        .unwrap()
        .store_metadata()
        .unwrap();
    let j = json_code(&["validate", &s(&a), &s(&small)], 1);
    assert_eq!(j["difference"]["what"], json!("shape"));
    assert_eq!(j["difference"]["second"], json!([10, 19]));
    // An error is exit 2, one line naming the missing array.
    let missing = s(&d.path().join("missing"));
    let e = fails(&["validate", &s(&a), &missing], 2);
    assert!(e.contains("missing") && e.contains("no Zarr array"), "{e}");
}

// ---------------------------------------------------------------- reencode

/// Reencode, then check with the binary's own `validate`.
fn reencode_validated(input: &Path, out: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["reencode", input.to_str().unwrap(), out.to_str().unwrap()];
    args.extend_from_slice(extra);
    let j = json_ok(&args);
    let v = json_ok(&["validate", &s(input), &s(out)]);
    assert_eq!(v["equal"], json!(true), "{extra:?}");
    j
}

#[test]
fn reencode_v2_to_v3_and_back() {
    let d = tmp();
    let v2 = v2_f32(d.path());
    let v3 = d.path().join("v3");
    let j = reencode_validated(
        &v2,
        &v3,
        &["--bytes-to-bytes-codecs", "blosc:lz4:5:shuffle"],
    );
    assert_eq!(j["zarr_format"], json!(3));
    let m = &j["metadata"];
    assert_eq!(m["codecs"][1]["name"], json!("blosc"));
    assert_eq!(m["codecs"][1]["configuration"]["typesize"], json!(4));
    assert_eq!(m["chunk_key_encoding"]["name"], json!("default"));
    // xarray's _ARRAY_DIMENSIONS becomes the dimension names.
    assert_eq!(m["dimension_names"], json!(["t", "x"]));
    assert_eq!(m["attributes"], json!({"title": "v2"}));
    assert!(v3.join("zarr.json").is_file());
    assert!(v3.join("c/0/0").is_file());
    // And back to V2, with other chunks and separator "/".
    let back = d.path().join("back");
    let j = reencode_validated(
        &v3,
        &back,
        &[
            "--zarr-format",
            "2",
            "--chunk-shape",
            "25,10",
            "--separator",
            "/",
            "--bytes-to-bytes-codecs",
            "zstd:3",
        ],
    );
    let z = &j["metadata"][".zarray"];
    assert_eq!(z["chunks"], json!([25, 10]));
    assert_eq!(z["dtype"], json!("<f4"));
    assert_eq!(z["compressor"]["id"], json!("zstd"));
    assert_eq!(z["compressor"]["level"], json!(3));
    assert_eq!(z["dimension_separator"], json!("/"));
    assert_eq!(
        j["metadata"][".zattrs"]["_ARRAY_DIMENSIONS"],
        json!(["t", "x"])
    );
    assert!(back.join(".zarray").is_file() && back.join("1/1").is_file());
    let a: Vec<f32> = read(&back);
    let e = f32_data();
    assert!(a.iter().zip(&e).all(|(x, y)| x.to_bits() == y.to_bits()));
}

/// The inner chunk coordinates of shard `c/0/0` (a 4 x 3 grid of inner chunks, index of
/// `bytes` + `crc32c` at `location`) in the order their bytes appear in the file.
fn inner_chunk_order(shard: &Path, location: &str) -> Vec<(u64, u64)> {
    let b = std::fs::read(shard.join("c/0/0")).unwrap();
    let n = 12 * 16 + 4;
    let index = if location == "end" {
        &b[b.len() - n..]
    } else {
        &b[..n]
    };
    let mut by_offset: Vec<(u64, (u64, u64))> = (0..12)
        .map(|i| {
            let o = u64::from_le_bytes(index[i * 16..i * 16 + 8].try_into().unwrap());
            (o, (i as u64 / 3, i as u64 % 3))
        })
        .collect();
    by_offset.sort_unstable();
    by_offset.into_iter().map(|(_, c)| c).collect()
}

#[test]
fn reencode_subchunk_write_order() {
    let d = tmp();
    let input = v3_u16(d.path());
    let lex: Vec<(u64, u64)> = (0..4).flat_map(|r| (0..3).map(move |c| (r, c))).collect();
    let colex: Vec<(u64, u64)> = (0..3).flat_map(|c| (0..4).map(move |r| (r, c))).collect();
    // Compressed Morton code of a 4 x 3 grid (2 bits each), out-of-range codes skipped.
    let morton = vec![
        (0, 0),
        (1, 0),
        (0, 1),
        (1, 1),
        (2, 0),
        (3, 0),
        (2, 1),
        (3, 1),
        (0, 2),
        (1, 2),
        (2, 2),
        (3, 2),
    ];
    for (flag, want) in [
        (None, &lex),
        (Some("lexicographic"), &lex),
        (Some("colexicographic"), &colex),
        (Some("morton"), &morton),
    ] {
        let out = d
            .path()
            .join(format!("order-{}", flag.unwrap_or("default")));
        let mut args = vec!["--shard-shape", "20,30", "--chunk-shape", "5,10"];
        if let Some(f) = flag {
            args.extend(["--subchunk-write-order", f]);
        }
        let j = reencode_validated(&input, &out, &args);
        let location = j["metadata"]["codecs"][0]["configuration"]["index_location"]
            .as_str()
            .unwrap_or("end")
            .to_string();
        assert_eq!(&inner_chunk_order(&out, &location), want, "{flag:?}");
    }
    let o = run(&[
        "reencode",
        &s(&input),
        &s(&d.path().join("bad")),
        "--subchunk-write-order",
        "spiral",
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("spiral"), "{}", stderr(&o));
    assert!(!d.path().join("bad").exists());
}

#[test]
fn reencode_sharded_with_write_shape_and_back() {
    let d = tmp();
    let input = v3_u16(d.path());
    let sh = d.path().join("sharded");
    let j = reencode_validated(
        &input,
        &sh,
        &[
            "--shard-shape",
            "20,30",
            "--chunk-shape",
            "5,10",
            "--write-shape",
            "10,10",
            "--bytes-to-bytes-codecs",
            "crc32c,zstd:2",
            "--concurrent-chunks",
            "2",
        ],
    );
    let c = &j["metadata"]["codecs"][0];
    assert_eq!(c["name"], json!("sharding_indexed"));
    assert_eq!(c["configuration"]["chunk_shape"], json!([5, 10]));
    let inner: Vec<&str> = c["configuration"]["codecs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["name"].as_str().unwrap())
        .collect();
    assert_eq!(inner, ["bytes", "crc32c", "zstd"]);
    assert_eq!(
        j["metadata"]["chunk_grid"]["configuration"]["chunk_shape"],
        json!([20, 30])
    );
    let info = json_ok(&["info", &s(&sh)]);
    assert_eq!(info["sharding"]["inner_chunk_shape"], json!([5, 10]));
    // The shard shape is rounded up to a multiple of the chunk shape (as zarrs_reencode).
    let r = d.path().join("rounded");
    let j = reencode_validated(&input, &r, &["-s", "7,30", "-c", "5,10"]);
    assert_eq!(
        j["metadata"]["chunk_grid"]["configuration"]["chunk_shape"],
        json!([10, 30])
    );
    // A sharded input: its inner chunks and codecs are kept, the sharding dropped on request.
    let flat = d.path().join("flat");
    let j = reencode_validated(&sh, &flat, &["--ignore-input-sharding"]);
    assert_eq!(
        j["metadata"]["chunk_grid"]["configuration"]["chunk_shape"],
        json!([5, 10])
    );
    assert_eq!(j["metadata"]["codecs"][2]["name"], json!("zstd"));
    // Sharding cannot be V2: a clear error.
    let e = fails(
        &[
            "reencode",
            &s(&sh),
            &s(&d.path().join("v2")),
            "--zarr-format",
            "2",
        ],
        1,
    );
    assert!(e.contains("Zarr V2 has no sharding"), "{e}");
    assert_eq!(read::<u16>(&flat), expected_u16());
}

#[test]
fn reencode_takes_zarrs_tools_json_flags() {
    let d = tmp();
    let input = v3_u16(d.path());
    let out = d.path().join("o");
    let j = reencode_validated(
        &input,
        &out,
        &[
            "--array-to-array-codecs",
            r#"[{"name":"transpose","configuration":{"order":[1,0]}}]"#,
            "--array-to-bytes-codec",
            r#"{"name":"bytes","configuration":{"endian":"big"}}"#,
            "--bytes-to-bytes-codecs",
            r#"[{"name":"gzip","configuration":{"level":1}}]"#,
            "--dimension-names",
            "row,",
            "--attributes",
            r#"{"fresh": true}"#,
            "--attributes-append",
            r#"{"more": 2}"#,
            "--separator",
            ".",
            "--fill-value",
            "7",
            "--validate",
        ],
    );
    let m = &j["metadata"];
    assert_eq!(j["validated"], json!(true));
    let names: Vec<&str> = m["codecs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["transpose", "bytes", "gzip"]);
    assert_eq!(m["codecs"][1]["configuration"]["endian"], json!("big"));
    assert_eq!(m["dimension_names"], json!(["row", null]));
    assert_eq!(m["attributes"], json!({"fresh": true, "more": 2}));
    assert!(out.join("c.0.0").is_file());
    // Presets: transpose and bitround (array→array), pcodec (array→bytes).
    let p = d.path().join("p");
    let j = reencode_validated(
        &input,
        &p,
        &[
            "--array-to-array-codecs",
            "transpose:[1,0]",
            "--array-to-bytes-codec",
            "pcodec:4",
        ],
    );
    assert_eq!(
        j["metadata"]["codecs"][1]["name"],
        json!("numcodecs.pcodec")
    );
}

#[test]
fn reencode_casts_by_mode() {
    let d = tmp();
    let p = d.path().join("i");
    let data: Vec<i32> = (0..200).map(|i| i * 3 - 100).collect();
    i32_array(&p, vec![10, 10], &data, "int32");
    // as (zarrs_reencode's rules): wraps.
    let wrap = d.path().join("wrap");
    let j = json_ok(&[
        "reencode",
        &s(&p),
        &s(&wrap),
        "--data-type",
        "uint8",
        "--validate",
    ]);
    assert_eq!(j["metadata"]["data_type"], json!("uint8"));
    assert_eq!(
        read::<u8>(&wrap),
        data.iter().map(|&x| x as u8).collect::<Vec<_>>()
    );
    // clamp: saturates.
    let clamp = d.path().join("clamp");
    ok(&[
        "reencode",
        &s(&p),
        &s(&clamp),
        "-d",
        "uint8",
        "--cast-mode",
        "clamp",
        "--validate",
    ]);
    assert_eq!(
        read::<u8>(&clamp),
        data.iter()
            .map(|&x| x.clamp(0, 255) as u8)
            .collect::<Vec<_>>()
    );
    // exact: fails at the first value that does not fit, naming it.
    let e = fails(
        &[
            "reencode",
            &s(&p),
            &s(&d.path().join("x")),
            "-d",
            "uint8",
            "--cast-mode",
            "exact",
        ],
        1,
    );
    assert!(
        e.contains("element [0, 0] = -100 cannot be converted to uint8"),
        "{e}"
    );
    // To float: exact.
    let f = d.path().join("f");
    ok(&[
        "reencode",
        &s(&p),
        &s(&f),
        "-d",
        "float64",
        "--cast-mode",
        "exact",
        "--validate",
    ]);
    assert_eq!(
        read::<f64>(&f),
        data.iter().map(|&x| f64::from(x)).collect::<Vec<_>>()
    );
    // Strings cannot be cast: a clear error.
    let e = fails(
        &["reencode", &s(&p), &s(&d.path().join("s")), "-d", "string"],
        1,
    );
    assert!(
        e.contains("cannot convert data type int32 to string"),
        "{e}"
    );
    // The fill value is converted too; a NaN fill cannot become an integer exactly.
    let v2 = v2_f32(d.path());
    let e = fails(
        &[
            "reencode",
            &s(&v2),
            &s(&d.path().join("n")),
            "-d",
            "int16",
            "--cast-mode",
            "exact",
        ],
        1,
    );
    assert!(e.contains("fill value NaN cannot be converted"), "{e}");
}

#[test]
fn reencode_refuses_non_empty_output_and_bad_options() {
    let d = tmp();
    let input = v3_u16(d.path());
    let out = d.path().join("o");
    ok(&["reencode", &s(&input), &s(&out)]);
    let e = fails(&["reencode", &s(&input), &s(&out)], 1);
    assert!(e.contains("not empty") && e.contains("--overwrite"), "{e}");
    ok(&["reencode", &s(&input), &s(&out), "--overwrite", "-c", "8,8"]);
    assert_eq!(
        json_ok(&["info", &s(&out)])["chunk_grid"]["chunk_shape"],
        json!([8, 8])
    );
    let e = fails(&["reencode", &s(&input), &s(&input), "--overwrite"], 1);
    assert!(e.contains("the output is the input"), "{e}");
    let e = fails(
        &[
            "reencode",
            &s(&input),
            &s(&d.path().join("b")),
            "--bytes-to-bytes-codecs",
            "nosuch:1",
        ],
        1,
    );
    assert!(
        e.contains("--bytes-to-bytes-codecs") && e.contains("nosuch"),
        "{e}"
    );
    let e = fails(
        &[
            "reencode",
            &s(&input),
            &s(&d.path().join("b")),
            "--bytes-to-bytes-codecs",
            "bytes",
        ],
        1,
    );
    assert!(
        e.contains("array→bytes codec, not a bytes→bytes codec"),
        "{e}"
    );
    let e = fails(
        &[
            "reencode",
            &s(&input),
            &s(&d.path().join("b")),
            "-c",
            "1,2,3",
        ],
        1,
    );
    assert!(
        e.contains("--chunk-shape has 3 dimensions but the array has 2"),
        "{e}"
    );
    let e = fails(
        &[
            "reencode",
            &s(&input),
            &s(&d.path().join("b")),
            "--bytes-to-bytes-codecs",
            "gzip:12",
        ],
        1,
    );
    assert!(e.contains("gzip") && e.contains("level must be"), "{e}");
    let e = fails(
        &["info", &s(&input), "--stats", "--histogram-range", "5"],
        1,
    );
    assert!(e.contains("--histogram-range needs MIN,MAX"), "{e}");
    let e = fails(
        &[
            "reencode",
            &s(&d.path().join("none")),
            &s(&d.path().join("b")),
        ],
        1,
    );
    assert!(e.contains("no Zarr array or group at"), "{e}");
    let e = fails(&["info", "nosuchscheme://bucket/x"], 1);
    assert!(e.contains("nosuchscheme"), "{e}");
    // A group is not an array.
    let h = hierarchy(d.path(), false);
    let e = fails(&["reencode", &s(&h), &s(&d.path().join("b"))], 1);
    assert!(e.contains("is a group, not an array"), "{e}");
    // A usage error is clap's (exit 2).
    assert_eq!(run(&["reencode"]).status.code(), Some(2));
}

#[test]
fn reencode_text_ends_with_speeds_and_sizes() {
    let d = tmp();
    let input = v3_u16(d.path());
    let out = ok(&[
        "reencode",
        &s(&input),
        &s(&d.path().join("o")),
        "--bytes-to-bytes-codecs",
        "zstd:3",
    ]);
    let line = out.trim_end().lines().last().unwrap();
    assert!(
        line.starts_with("reencode ") && line.contains("read ~") && line.contains("write ~"),
        "{line}"
    );
    assert!(line.contains("MB/s") && line.contains(" -> "), "{line}");
    // No progress bar on a pipe.
    let o = run(&["reencode", &s(&input), &s(&d.path().join("o2"))]);
    assert!(stderr(&o).is_empty(), "{}", stderr(&o));
}

// ---------------------------------------------------------------- binary2zarr

#[test]
fn binary2zarr_from_a_file_and_stdin() {
    let d = tmp();
    let values: Vec<u16> = (0..7 * 9 * 5).map(|i| (i * 37 % 1000) as u16).collect();
    let le: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    let be: Vec<u8> = values.iter().flat_map(|v| v.to_be_bytes()).collect();
    let f = d.path().join("in.bin");
    std::fs::write(&f, &le).unwrap();
    let a = d.path().join("a");
    let j = json_ok(&[
        "binary2zarr",
        &s(&a),
        "-i",
        &s(&f),
        "-d",
        "uint16",
        "-a",
        "7,9,5",
        "-c",
        "3,4,5",
        "--endianness",
        "little",
        "--bytes-to-bytes-codecs",
        "zstd:1",
        "--dimension-names",
        "z,y,x",
    ]);
    assert_eq!(j["bytes_read"], json!(le.len()));
    assert_eq!(read::<u16>(&a), values);
    assert_eq!(
        json_ok(&["info", &s(&a)])["dimension_names"],
        json!(["z", "y", "x"])
    );
    // Big-endian from stdin, sharded, V3.
    let b = d.path().join("b");
    let mut c = bin()
        .args([
            "binary2zarr",
            &s(&b),
            "-d",
            "uint16",
            "-a",
            "7,9,5",
            "-c",
            "2,3,5",
            "-s",
            "4,9,5",
            "--endianness",
            "big",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        c.stdin.take().unwrap().write_all(&be).unwrap();
    }
    let o = c.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(read::<u16>(&b), values);
    assert_eq!(json_ok(&["validate", &s(&a), &s(&b)])["equal"], json!(true));
    // V2 output.
    let v2 = d.path().join("v2");
    ok(&[
        "binary2zarr",
        &s(&v2),
        "-i",
        &s(&f),
        "-d",
        "uint16",
        "-a",
        "7,9,5",
        "-c",
        "7,9,5",
        "--zarr-format",
        "2",
    ]);
    assert!(v2.join(".zarray").is_file() && v2.join("0.0.0").is_file());
    // Too short, too long, no chunk shape.
    std::fs::write(&f, &le[..le.len() - 1]).unwrap();
    let e = fails(
        &[
            "binary2zarr",
            &s(&d.path().join("c")),
            "-i",
            &s(&f),
            "-d",
            "uint16",
            "-a",
            "7,9,5",
            "-c",
            "3,3,3",
        ],
        1,
    );
    assert!(
        e.contains("ended after 629 bytes") && e.contains("needs 630"),
        "{e}"
    );
    std::fs::write(&f, [le.as_slice(), &[0u8]].concat()).unwrap();
    let e = fails(
        &[
            "binary2zarr",
            &s(&d.path().join("e")),
            "-i",
            &s(&f),
            "-d",
            "uint16",
            "-a",
            "7,9,5",
            "-c",
            "3,3,3",
        ],
        1,
    );
    assert!(e.contains("holds more than the 630 bytes"), "{e}");
    let e = fails(
        &[
            "binary2zarr",
            &s(&d.path().join("g")),
            "-i",
            &s(&f),
            "-d",
            "uint16",
            "-a",
            "7,9,5",
        ],
        1,
    );
    assert!(e.contains("--chunk-shape is required"), "{e}");
    let e = fails(
        &[
            "binary2zarr",
            &s(&d.path().join("h")),
            "-i",
            &s(&f),
            "-d",
            "string",
            "-a",
            "7",
            "-c",
            "7",
        ],
        1,
    );
    assert!(e.contains("variable-size"), "{e}");
}

// ---------------------------------------------------------------- plugins, completions, man

#[test]
fn plugins_lists_every_default_plugin_with_aliases_and_v2_ids() {
    let j = json_ok(&["plugins"]);
    let names = |k: &str| -> Vec<String> {
        j[k].as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap().to_string())
            .collect()
    };
    for (kind, list) in zarrkit::DEFAULT_PLUGIN_NAMES {
        let key = match *kind {
            "data type" => "data_types",
            "codec" => "codecs",
            "chunk grid" => "chunk_grids",
            "chunk key encoding" => "chunk_key_encodings",
            "store" => "stores",
            other => panic!("kind {other}"),
        };
        let have = names(key);
        for n in *list {
            // Pattern-named data types (r8, r16, ...) are listed by their pattern.
            let listed = have.iter().any(|h| h == n)
                || zarrkit::registry::DATA_TYPES.get(n).is_some_and(|p| {
                    have.iter()
                        .any(|h| h == zarrkit::registry::PluginEntry::name(p))
                });
            assert!(listed, "{kind} {n} not listed");
        }
    }
    let codec = |n: &str| {
        j["codecs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == json!(n))
            .cloned()
            .unwrap()
    };
    assert!(codec("zstd")["v2_ids"]
        .as_array()
        .unwrap()
        .contains(&json!("zstd")));
    assert!(codec("numcodecs.zlib")["aliases"]
        .as_array()
        .unwrap()
        .contains(&json!("zlib")));
    assert_eq!(j["duplicates"], json!([]));
    let text = ok(&["plugins"]);
    assert!(
        text.contains("store schemes (") && text.contains("  file://"),
        "{text}"
    );
}

#[test]
fn completions_and_man_pages_come_from_the_model() {
    let bash = ok(&["completions", "bash"]);
    assert!(
        bash.contains("zarrkit") && bash.contains("reencode") && bash.contains("--shard-shape")
    );
    assert!(ok(&["completions", "zsh"]).contains("#compdef zarrkit"));
    let man = ok(&["man"]);
    assert!(
        man.starts_with(".ie") || man.contains(".TH zarrkit"),
        "{}",
        &man[..200.min(man.len())]
    );
    assert!(man.contains("reencode"));
    let d = tmp();
    let j = json_ok(&["man", "--out-dir", &s(d.path())]);
    let pages: Vec<&str> = j["pages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert!(
        pages.contains(&"zarrkit.1") && pages.contains(&"zarrkit-reencode.1"),
        "{pages:?}"
    );
    let help = ok(&["reencode", "--help"]);
    for flag in [
        "--data-type",
        "--fill-value",
        "--chunk-shape",
        "--shard-shape",
        "--array-to-array-codecs",
        "--array-to-bytes-codec",
        "--bytes-to-bytes-codecs",
        "--dimension-names",
        "--attributes",
        "--attributes-append",
        "--validate",
        "--concurrent-chunks",
        "--separator",
        "--write-shape",
        "--cache-size",
        "--cache-chunks",
        "--ignore-checksums",
        "--ignore-input-sharding",
        "--verbose",
    ] {
        assert!(help.contains(flag), "reencode --help lacks {flag}");
    }
    // zarrs_reencode's short flags.
    let d2 = tmp();
    let input = v3_u16(d2.path());
    ok(&[
        "reencode",
        &s(&input),
        &s(&d2.path().join("o")),
        "-c",
        "8,8",
        "-s",
        "16,16",
        "-f",
        "3",
        "-d",
        "int32",
        "--direct-io",
    ]);
}

// ---------------------------------------------------------------- bounded memory

/// Run `zarrkit` with an address-space limit (`setrlimit(RLIMIT_AS)` before exec), two
/// worker threads and two malloc arenas (so the limit does not depend on the machine's CPU
/// count).
fn limited(args: &[&str], limit: u64) -> Output {
    use std::os::unix::process::CommandExt;
    let mut c = bin();
    c.args(args)
        .env("MALLOC_ARENA_MAX", "2")
        .env("ZARRKIT_IO_CONCURRENCY", "2");
    // SAFETY: only async-signal-safe work (setrlimit) between fork and exec.
    unsafe {
        c.pre_exec(move || {
            let l = libc::rlimit {
                rlim_cur: limit as libc::rlim_t,
                rlim_max: limit as libc::rlim_t,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &l) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    c.output().expect("run zarrkit under a memory limit")
}

#[test]
fn reencode_of_an_array_larger_than_the_memory_limit() {
    const MIB: u64 = 1 << 20;
    let d = tmp();
    // 256 MiB of uint16 (128 × 1024 × 1024) in 1 MiB chunks, written chunk by chunk.
    let p = d.path().join("big.zarr");
    let a = ArrayBuilder::new(vec![128, 1024, 1024], vec![8, 256, 256], "uint16", 0)
        .codecs_metadata(zstd())
        .build(store(&p), "/")
        .unwrap();
    a.store_metadata().unwrap();
    for z in 0..16u64 {
        let slab: Vec<u16> = (0..8 * 1024 * 1024u64)
            .map(|i| ((i % 1024) + (i / (1024 * 1024)) + z * 8 + 1) as u16)
            .collect();
        a.write(
            ArraySubset::new(vec![z * 8, 0, 0], vec![8, 1024, 1024]).unwrap(),
            &slab,
        )
        .unwrap();
    }
    let limit = 160 * MIB;
    assert!(
        128 * 1024 * 1024 * 2 > limit + 64 * MIB,
        "the array must exceed the limit"
    );
    let out = d.path().join("out.zarr");
    let o = limited(
        &[
            "reencode",
            &s(&p),
            &s(&out),
            "-c",
            "4,512,512",
            "--bytes-to-bytes-codecs",
            "blosc:lz4:5:shuffle",
            "--concurrent-chunks",
            "2",
            "--json",
        ],
        limit,
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "reencode under {limit} bytes: {}",
        stderr(&o)
    );
    let j: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["bytes_decoded"], json!(128u64 * 1024 * 1024 * 2));
    // The comparison runs under the same limit.
    let o = limited(
        &["validate", &s(&p), &s(&out), "--concurrent-chunks", "2"],
        limit,
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "validate under the limit: {} {}",
        stdout(&o),
        stderr(&o)
    );
    // The control: the same reencode into one whole-array chunk needs the whole array in
    // memory, and fails under the limit (with an error, not a crash).
    let o = limited(
        &[
            "reencode",
            &s(&p),
            &s(&d.path().join("whole")),
            "-c",
            "0,0,0",
        ],
        limit,
    );
    assert_eq!(
        o.status.code(),
        Some(1),
        "the control should fail: {}",
        stderr(&o)
    );
    assert!(
        stderr(&o).starts_with("zarrkit: error: reencode"),
        "{}",
        stderr(&o)
    );
}

// OME-Zarr pyramids, filters, remote stores (HTTP, zip), zarr-python interoperability and
// progress bars on a terminal.
#[path = "cli/more.rs"]
mod more;
