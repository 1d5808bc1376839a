//! Archives written by zarrkit, read back by Python's `zipfile`, zarr-python 2 and
//! zarr-python 3 — when those are available (each test says so and passes if not):
//!
//! - `zipfile`: `$ZARRKIT_VECTORS_VENV/bin/python`, else `python3` on the `PATH`;
//! - zarr-python 2: `$ZARRKIT_VECTORS_VENV/bin/python` (or `python3` if it has zarr 2);
//! - zarr-python 3: `$ZARRKIT_VECTORS_VENV_V3/bin/python`, else the workspace's
//!   `target/reference-venv-v3` (made by `scripts/reference/generate.sh`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use zarrkit_core::serde_json::{self, Value};
use zarrkit_core::storage::{
    Bytes, ListableStorageTraits, MemoryStore, ReadableStorageExt, StoreKey, StorePrefix,
    WritableStorageTraits,
};
use zarrkit_store_zip::{
    write_zip, Zip64Mode, ZipCompression, ZipStore, ZipStoreOptions, ZipWriteOptions,
};

type R = Result<(), Box<dyn std::error::Error>>;

fn works(python: &Path, probe: &str) -> bool {
    Command::new(python)
        .args(["-c", probe])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn find(candidates: Vec<PathBuf>, probe: &str) -> Option<PathBuf> {
    candidates.into_iter().find(|p| works(p, probe))
}

fn venv(var: &str) -> Option<PathBuf> {
    std::env::var_os(var).map(|v| PathBuf::from(v).join("bin/python"))
}

fn python_zipfile() -> Option<PathBuf> {
    let mut c: Vec<PathBuf> = venv("ZARRKIT_VECTORS_VENV").into_iter().collect();
    c.push("python3".into());
    find(c, "import zipfile")
}

fn python_zarr2() -> Option<PathBuf> {
    let mut c: Vec<PathBuf> = venv("ZARRKIT_VECTORS_VENV").into_iter().collect();
    c.push("python3".into());
    find(
        c,
        "import zarr, sys; sys.exit(0 if zarr.__version__.startswith('2.') else 1)",
    )
}

fn python_zarr3() -> Option<PathBuf> {
    let mut c: Vec<PathBuf> = venv("ZARRKIT_VECTORS_VENV_V3").into_iter().collect();
    c.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/reference-venv-v3/bin/python"));
    find(
        c,
        "import zarr, sys; sys.exit(0 if zarr.__version__.startswith('3.') else 1)",
    )
}

fn run(python: &Path, script: &str, args: &[&Path]) -> Result<Value, Box<dyn std::error::Error>> {
    let out = Command::new(python)
        .arg("-W")
        .arg("ignore")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()?;
    if !out.status.success() {
        return Err(format!("python failed: {}", String::from_utf8_lossy(&out.stderr)).into());
    }
    Ok(serde_json::from_slice(&out.stdout)?)
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .filter_map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

const ZIPFILE_SCRIPT: &str = r#"
import json, sys, zipfile
out = {}
for p in sys.argv[1:]:
    with zipfile.ZipFile(p) as zf:
        out[p] = {
            "bad": zf.testzip(),
            "comment": zf.comment.hex(),
            "order": zf.namelist(),
            "entries": {i.filename: [i.compress_type, zf.read(i.filename).hex()] for i in zf.infolist()},
        }
print(json.dumps(out))
"#;

#[test]
fn python_zipfile_reads_what_zarrkit_writes() -> R {
    let Some(py) = python_zipfile() else {
        eprintln!("skipped: no Python with zipfile");
        return Ok(());
    };
    let big: Vec<u8> = (0..70_000u32).map(|i| (i % 7) as u8).collect();
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let noise: Vec<u8> = (0..5000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 56) as u8
        })
        .collect();
    let src = MemoryStore::new();
    let entries: Vec<(&str, Vec<u8>)> = vec![
        (
            "zarr.json",
            br#"{"zarr_format":3,"node_type":"group","attributes":{"ome":{"version":"0.5"}}}"#
                .to_vec(),
        ),
        ("0/zarr.json", b"{}".to_vec()),
        ("0/c/0/0", big),
        ("0/c/0/1", noise),
        ("0/c/1/0", Vec::new()),
        ("\u{e9}t\u{e9}/\u{fc}", b"non-ASCII".to_vec()),
    ];
    for (k, v) in &entries {
        src.set(&StoreKey::new(*k)?, Bytes::from(v.clone()))?;
    }
    let dir = tempfile::tempdir()?;
    let cases = [
        ("stored.zip", ZipWriteOptions::new(), ""),
        (
            "deflated.zip",
            ZipWriteOptions::new().with_compression(ZipCompression::Deflated(6)),
            "",
        ),
        (
            "zip64.zip",
            ZipWriteOptions::new().with_zip64(Zip64Mode::Always),
            "",
        ),
        ("image.ozx", ZipWriteOptions::ozx(), ""),
        (
            "rooted.zip",
            ZipWriteOptions::new().with_root(StorePrefix::new("data.zarr/")?),
            "data.zarr/",
        ),
    ];
    let mut paths = Vec::new();
    for (name, o, _) in &cases {
        let p = dir.path().join(name);
        write_zip(&src, std::fs::File::create(&p)?, o)?;
        paths.push(p);
    }
    let args: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
    let got = run(&py, ZIPFILE_SCRIPT, &args)?;
    for ((name, o, root), p) in cases.iter().zip(&paths) {
        let r = &got[p.to_string_lossy().as_ref()];
        assert!(r["bad"].is_null(), "{name}: a bad CRC");
        let order: Vec<&str> = r["order"]
            .as_array()
            .ok_or("order")?
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert_eq!(
            order.first().copied(),
            Some(format!("{root}zarr.json").as_str()),
            "{name}"
        );
        assert_eq!(order.len(), entries.len());
        for (k, v) in &entries {
            let e = &r["entries"][format!("{root}{k}")];
            assert_eq!(e[1].as_str(), Some(hex(v).as_str()), "{name}: {k}");
            let method = e[0].as_u64().ok_or("method")?;
            let deflated = format!("{o:?}").contains("Deflated");
            // Deflated where it shrinks the value (the long run), stored where it does not
            // (noise, the empty value) and always without compression otherwise.
            let want = match (deflated, *k) {
                (false, _) | (true, "0/c/0/1" | "0/c/1/0") => Some(0),
                (true, "0/c/0/0") => Some(8),
                _ => None,
            };
            if let Some(want) = want {
                assert_eq!(method, want, "{name}: {k}");
            }
        }
        if *name == "image.ozx" {
            let c = unhex(r["comment"].as_str().ok_or("comment")?);
            let c: Value = serde_json::from_slice(&c)?;
            assert_eq!(c["ome"]["version"], "0.5");
        }
    }
    Ok(())
}

fn unpack(zip_hex: &str) -> Result<MemoryStore, Box<dyn std::error::Error>> {
    let m = Arc::new(MemoryStore::new());
    m.set(&StoreKey::new("a.zip")?, Bytes::from(unhex(zip_hex)))?;
    let z = ZipStore::open(m, StoreKey::new("a.zip")?, ZipStoreOptions::new())?;
    let out = MemoryStore::new();
    for k in z.list()? {
        out.set(&k, z.get(&k)?.ok_or("absent")?)?;
    }
    Ok(out)
}

#[test]
fn zarr_python_2_reads_what_zarrkit_writes() -> R {
    let Some(py) = python_zarr2() else {
        eprintln!("skipped: no Python with zarr-python 2 (set ZARRKIT_VECTORS_VENV)");
        return Ok(());
    };
    let doc: Value = serde_json::from_str(include_str!("../vectors/zip2.json"))?;
    let v = &doc["zarr2"][0];
    let src = unpack(v["zip_hex"].as_str().ok_or("hex")?)?;
    let dir = tempfile::tempdir()?;
    for (name, o) in [
        ("stored.zip", ZipWriteOptions::new()),
        (
            "deflated.zip",
            ZipWriteOptions::new().with_compression(ZipCompression::Deflated(9)),
        ),
        (
            "zip64.zip",
            ZipWriteOptions::new().with_zip64(Zip64Mode::Always),
        ),
    ] {
        let p = dir.path().join(name);
        write_zip(&src, std::fs::File::create(&p)?, &o)?;
        let got = run(
            &py,
            r#"
import json, sys, zarr
s = zarr.ZipStore(sys.argv[1], mode="r")
g = zarr.open_group(store=s, mode="r")
print(json.dumps({"data": g["data"][...].ravel().tolist(), "raw": g["sub/raw"][...].tolist(), "title": g.attrs["title"]}))
"#,
            &[&p],
        )?;
        assert_eq!(got["data"], v["arrays"]["data"]["values"], "{name}");
        assert_eq!(got["raw"], v["arrays"]["sub/raw"]["values"], "{name}");
        assert_eq!(got["title"], "second");
    }
    Ok(())
}

#[test]
fn zarr_python_3_reads_what_zarrkit_writes() -> R {
    let Some(py) = python_zarr3() else {
        eprintln!("skipped: no Python with zarr-python 3 (set ZARRKIT_VECTORS_VENV_V3)");
        return Ok(());
    };
    let doc: Value = serde_json::from_str(include_str!("../vectors/zip3.json"))?;
    let dir = tempfile::tempdir()?;
    let script = r#"
import json, sys, zarr
s = zarr.storage.ZipStore(sys.argv[1], mode="r")
g = zarr.open_group(s, mode="r")
print(json.dumps({n: g[n][...].ravel().tolist() for n in sys.argv[2:]}))
"#;
    for (label, names) in [
        ("ozx", vec!["0"]),
        ("zarr3_zipstore", vec!["img", "sub/plain"]),
    ] {
        let v = &doc[label];
        let src = unpack(v["zip_hex"].as_str().ok_or("hex")?)?;
        let o = if label == "ozx" {
            ZipWriteOptions::ozx()
        } else {
            ZipWriteOptions::new()
        };
        let p = dir.path().join(format!("{label}.zip"));
        write_zip(&src, std::fs::File::create(&p)?, &o)?;
        let out = Command::new(&py)
            .args(["-W", "ignore", "-c", script])
            .arg(&p)
            .args(&names)
            .output()?;
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let got: Value = serde_json::from_slice(&out.stdout)?;
        for n in names {
            assert_eq!(got[n], v["arrays"][n]["values"], "{label}: {n}");
        }
    }
    Ok(())
}
