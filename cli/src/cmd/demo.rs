//! `zarrkit demo [DIR]`: create a small sample hierarchy with the library and run the other
//! commands on it, printing each command line and its output — the first thing to run after
//! cloning (`cargo run --release -p zarrkit-cli -- demo`).
//!
//! `DIR/demo.zarr` is a Zarr V3 group with consolidated metadata holding
//! `/temperature` (float32, 24 × 90 × 180, zstd, dimension names) and `/labels/mask` (uint8,
//! 512 × 512, sharded with blosc inside; half of the shards hold only the fill value and are
//! not stored). The demo then re-encodes `/temperature` into `DIR/demo-v2.zarr` (Zarr V2,
//! blosc, other chunks) and validates the copy against the original.

use std::path::{Path, PathBuf};

use clap::Parser;
use serde_json::{json, Map, Value};
use zarrkit::{ArrayBuilder, ArraySubset, GroupBuilder, MetadataV3};

use crate::cli::{Cli, DemoArgs};
use crate::encoding::obj;
use crate::error::{fail, CliError, Context};
use crate::output::{Ctx, Outcome};

fn cfg(v: Value) -> Map<String, Value> {
    obj(v)
}

/// The sample data of `/temperature`: a smooth field with a daily cycle (°C).
pub fn temperature(t: u64, i: u64, j: u64) -> f32 {
    let lat = (-89.0 + 2.0 * i as f64).to_radians();
    let lon = -179.0 + 2.0 * j as f64;
    let day = std::f64::consts::TAU * (t as f64 / 24.0 + lon / 360.0);
    ((32.0 * lat.cos() - 6.0 + 7.0 * day.sin()) * 10.0).round() as f32 / 10.0
}

/// The sample data of `/labels/mask`: a disc of 1s and a band of 2s on 0s.
pub fn mask(i: u64, j: u64) -> u8 {
    let (di, dj) = (i as f64 - 128.0, j as f64 - 128.0);
    if di * di + dj * dj <= 100.0 * 100.0 {
        1
    } else if (40..90).contains(&i) && (300..480).contains(&j) {
        2
    } else {
        0
    }
}

/// Write the sample hierarchy at `root` (a directory that must not exist yet).
pub fn create(root: &Path) -> Result<(), CliError> {
    let url = root.to_string_lossy().to_string();
    let store = zarrkit::open_store(&url).ctx(|| format!("cannot open store {url}"))?;
    let mut group = GroupBuilder::new()
        .attributes(cfg(json!({
            "title": "zarrkit demo",
            "description": "sample data written by `zarrkit demo`",
        })))
        .build(store.clone(), "/")
        .ctx(|| "group /")?;
    group.store_metadata().ctx(|| "group /")?;

    let (nt, ny, nx) = (24u64, 90u64, 180u64);
    let t = ArrayBuilder::new(vec![nt, ny, nx], vec![6, 45, 90], "float32", "NaN")
        .codecs_metadata(vec![
            MetadataV3::new_with_configuration("bytes", cfg(json!({"endian": "little"}))),
            MetadataV3::new_with_configuration("zstd", cfg(json!({"level": 3, "checksum": false}))),
        ])
        .dimension_names(["time", "lat", "lon"])
        .attributes(cfg(
            json!({"units": "degC", "long_name": "air temperature"}),
        ))
        .build(store.clone(), "/temperature")
        .ctx(|| "array /temperature")?;
    t.store_metadata().ctx(|| "array /temperature")?;
    let mut values = Vec::with_capacity((nt * ny * nx) as usize);
    for a in 0..nt {
        for b in 0..ny {
            for c in 0..nx {
                values.push(temperature(a, b, c));
            }
        }
    }
    t.write(ArraySubset::new_with_shape(vec![nt, ny, nx]), &values)
        .ctx(|| "array /temperature")?;

    let labels = GroupBuilder::new()
        .attributes(cfg(json!({"description": "segmentation"})))
        .build(store.clone(), "/labels")
        .ctx(|| "group /labels")?;
    labels.store_metadata().ctx(|| "group /labels")?;
    let sharding = json!({
        "chunk_shape": [64, 64],
        "codecs": [
            {"name": "bytes"},
            {"name": "blosc", "configuration": {"cname": "zstd", "clevel": 5, "shuffle": "noshuffle", "blocksize": 0}},
        ],
        "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "crc32c"}],
        "index_location": "end",
    });
    let m = ArrayBuilder::new(vec![512, 512], vec![256, 256], "uint8", 0)
        .codecs_metadata(vec![MetadataV3::new_with_configuration(
            "sharding_indexed",
            cfg(sharding),
        )])
        .dimension_names(["y", "x"])
        .build(store.clone(), "/labels/mask")
        .ctx(|| "array /labels/mask")?;
    m.store_metadata().ctx(|| "array /labels/mask")?;
    let values: Vec<u8> = (0..512u64)
        .flat_map(|i| (0..512u64).map(move |j| mask(i, j)))
        .collect();
    m.write(ArraySubset::new_with_shape(vec![512, 512]), &values)
        .ctx(|| "array /labels/mask")?;

    group
        .consolidate_metadata()
        .ctx(|| "consolidating the metadata")?;
    Ok(())
}

/// Run `demo`.
pub fn run(args: &DemoArgs, cx: &Ctx) -> Result<Outcome, CliError> {
    demo(args, cx).map_err(|e| e.context("demo"))
}

fn demo(args: &DemoArgs, cx: &Ctx) -> Result<Outcome, CliError> {
    let dir: PathBuf = match &args.dir {
        Some(d) => {
            std::fs::create_dir_all(d).ctx(|| format!("cannot create {}", d.display()))?;
            d.clone()
        }
        None => tempfile::Builder::new()
            .prefix("zarrkit-demo-")
            .tempdir()
            .ctx(|| "cannot create a temporary directory")?
            .keep(),
    };
    let root = dir.join("demo.zarr");
    let copy = dir.join("demo-v2.zarr");
    for p in [&root, &copy] {
        if p.exists() {
            if !args.overwrite {
                return fail(format!(
                    "{} exists (use --overwrite, or another directory)",
                    p.display()
                ));
            }
            std::fs::remove_dir_all(p).ctx(|| format!("cannot remove {}", p.display()))?;
        }
    }
    create(&root)?;

    let r = root.to_string_lossy().to_string();
    let temp = root.join("temperature").to_string_lossy().to_string();
    let c = copy.to_string_lossy().to_string();
    let steps: Vec<Vec<String>> = [
        vec!["tree", r.as_str()],
        vec!["info", temp.as_str(), "--stats", "--bins", "8"],
        vec![
            "reencode",
            temp.as_str(),
            c.as_str(),
            "--zarr-format",
            "2",
            "--chunk-shape",
            "12,90,180",
            "--bytes-to-bytes-codecs",
            "blosc:zstd:5:shuffle",
        ],
        vec!["validate", temp.as_str(), c.as_str()],
    ]
    .iter()
    .map(|s| s.iter().map(|x| x.to_string()).collect())
    .collect();

    let mut text = format!(
        "zarrkit demo: wrote {r}\n  a Zarr V3 group with consolidated metadata: /temperature (float32, zstd)\n  \
         and /labels/mask (uint8, sharded, blosc)\n"
    );
    let mut results = Vec::new();
    for s in steps {
        let mut argv = vec!["zarrkit".to_string()];
        argv.extend(s.iter().cloned());
        let cli = Cli::try_parse_from(&argv).map_err(|e| CliError::new(e.to_string()))?;
        let out = crate::run_command(&cli.command, cx)?;
        let line = argv.join(" ");
        text.push_str(&format!("\n$ {line}\n{}\n", out.text));
        if out.code != 0 {
            return fail(format!("`{line}` exited with {}", out.code));
        }
        results.push(json!({"command": line, "result": out.json}));
    }
    text.push_str(&format!(
        "\nThe files stay in {}. Try `zarrkit info {r} --json`, `zarrkit plugins`, or\n\
         `zarrkit reencode {temp} OUT --shard-shape 24,90,180 --chunk-shape 6,45,90`.",
        dir.display()
    ));
    Ok(Outcome::ok(
        text,
        json!({"dir": dir, "hierarchy": r, "copy": c, "steps": results}),
    ))
}
