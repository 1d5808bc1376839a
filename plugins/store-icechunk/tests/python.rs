//! Interop with icechunk-python 2.2.2 + zarr-python 3.1.6 (the same on-disk format as the
//! icechunk crate 2.2.2 this store is built on): repositories written by Python read here,
//! and repositories written here read (and extended) by Python.
//!
//! The interpreter is `$ZARRKIT_ICECHUNK_PYTHON`, else `target/store-icechunk-venv/bin/python`
//! (created by `scripts/ci/store-icechunk.sh`). Without one the tests skip loudly, unless
//! `ZARRKIT_REQUIRE_ICECHUNK_PY=1` (set in CI), which makes a missing interpreter a failure.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use common::{create_arrays, pattern, tiny_pattern, Error, R};
use zarrkit_core::{Array, ArraySubset, Group};
use zarrkit_store_icechunk::{IcechunkRepository, VersionSpec};

fn python() -> Result<Option<PathBuf>, Error> {
    let candidate = match std::env::var_os("ZARRKIT_ICECHUNK_PYTHON") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../target/store-icechunk-venv/bin/python"),
    };
    let works = Command::new(&candidate)
        .args([
            "-c",
            "import icechunk, zarr, numpy; print(icechunk.__version__)",
        ])
        .output()
        .map(|o| o.status.success() && o.stdout.starts_with(b"2.2.2"))
        .unwrap_or(false);
    if works {
        return Ok(Some(candidate));
    }
    let why = format!(
        "no Python with icechunk 2.2.2, zarr and numpy at {} (run scripts/ci/store-icechunk.sh \
         or set ZARRKIT_ICECHUNK_PYTHON)",
        candidate.display()
    );
    if std::env::var("ZARRKIT_REQUIRE_ICECHUNK_PY").is_ok_and(|v| v == "1") {
        return Err(format!("ZARRKIT_REQUIRE_ICECHUNK_PY=1 but {why}").into());
    }
    eprintln!("SKIPPED (icechunk-python interop): {why}");
    Ok(None)
}

fn run(py: &Path, script: &str, args: &[&str]) -> Result<String, Error> {
    let out = Command::new(py).arg("-c").arg(script).args(args).output()?;
    if !out.status.success() {
        return Err(format!(
            "python failed ({}):\n{}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    Ok(String::from_utf8(out.stdout)?)
}

const WRITE: &str = r#"
import json, sys
import numpy as np, zarr, icechunk
repo = icechunk.Repository.create(icechunk.local_filesystem_storage(sys.argv[1]))
s = repo.writable_session("main")
root = zarr.group(store=s.store, attributes={"by": "icechunk-python"})
a = root.create_array("plain", shape=(50, 70), chunks=(16, 16), dtype="int32",
                      compressors=None, fill_value=-1)
a[:] = np.arange(50 * 70, dtype="int32").reshape(50, 70)
b = root.create_array("sharded", shape=(64, 64), chunks=(8, 8), shards=(32, 32),
                      dtype="uint16", compressors=zarr.codecs.GzipCodec(level=3))
b[:] = (np.arange(64 * 64) * 7 % 65536).astype("uint16").reshape(64, 64)
g = root.create_group("sub")
c = g.create_array("small", shape=(5,), chunks=(2,), dtype="float64", compressors=None)
c[:] = [0.5, -1.25, 3.0, 1e300, -0.0]
snap1 = s.commit("first")
repo.create_tag("v1", snap1)
s2 = repo.writable_session("main")
a2 = zarr.open_array(s2.store, path="plain", mode="r+")
a2[0:5, 0:5] = 7
snap2 = s2.commit("second")
print(json.dumps({"snap1": snap1, "snap2": snap2}))
"#;

fn json_field(out: &str, name: &str) -> Result<String, Error> {
    let v: zarrkit_core::serde_json::Value = zarrkit_core::serde_json::from_str(out.trim())?;
    Ok(v[name]
        .as_str()
        .ok_or_else(|| format!("no {name} in {out:?}"))?
        .to_string())
}

#[test]
fn reads_what_icechunk_python_writes() -> R {
    let Some(py) = python()? else { return Ok(()) };
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("py-repo");
    let out = run(&py, WRITE, &[path.to_str().ok_or("path")?])?;
    let (snap1, snap2) = (json_field(&out, "snap1")?, json_field(&out, "snap2")?);

    let repo = IcechunkRepository::open_local(&path)?;
    assert_eq!(repo.branch_tip("main")?, snap2);
    let want_plain: Vec<i32> = (0..50 * 70).collect();
    let want_sharded: Vec<u16> = (0..64 * 64u32).map(|i| (i * 7 % 65536) as u16).collect();
    for v in [
        VersionSpec::Tag("v1".into()),
        VersionSpec::Snapshot(snap1.clone()),
    ] {
        let s = Arc::new(repo.readonly_session(&v)?);
        let root = Group::open(s.clone(), "/")?;
        assert_eq!(root.attributes()["by"], "icechunk-python");
        assert_eq!(root.child_names()?, ["plain", "sharded", "sub"]);
        let a: Vec<i32> =
            Array::open(s.clone(), "/plain")?.read(ArraySubset::new_with_shape(vec![50, 70]))?;
        assert_eq!(a, want_plain, "{v:?}");
        let b = Array::open(s.clone(), "/sharded")?;
        let got: Vec<u16> = b.read(ArraySubset::new_with_shape(vec![64, 64]))?;
        assert_eq!(got, want_sharded, "{v:?}");
        let region: Vec<u16> = b.read(ArraySubset::new(vec![30, 5], vec![4, 30])?)?;
        assert_eq!(region[0], want_sharded[30 * 64 + 5]);
        let c: Vec<f64> =
            Array::open(s.clone(), "/sub/small")?.read(ArraySubset::new_with_shape(vec![5]))?;
        assert_eq!(c, [0.5, -1.25, 3.0, 1e300, -0.0]);
    }
    let tip = Arc::new(repo.readonly_session(&VersionSpec::Branch("main".into()))?);
    let a: Vec<i32> =
        Array::open(tip, "/plain")?.read(ArraySubset::new_with_shape(vec![50, 70]))?;
    for (i, v) in a.iter().enumerate() {
        let (r, c) = (i / 70, i % 70);
        let want = if r < 5 && c < 5 { 7 } else { i as i32 };
        assert_eq!(*v, want, "plain[{r}, {c}] at the tip");
    }
    Ok(())
}

const READ: &str = r#"
import json, sys
import numpy as np, zarr, icechunk
path, snap, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
repo = icechunk.Repository.open(icechunk.local_filesystem_storage(path))
s = repo.readonly_session(snapshot_id=snap)
pat = ((np.arange(64 * 64, dtype=np.uint64) * 2654435761) % 2**32).astype(np.uint32) ^ np.uint32(seed)
pat = pat.reshape(64, 64)
for name in ["plain", "sharded", "sharded_gzip"]:
    a = zarr.open_array(s.store, path=name, mode="r")
    assert a.dtype == np.uint32 and a.shape == (64, 64), (name, a.dtype, a.shape)
    got = a[:]
    assert (got == pat).all(), name
tiny = zarr.open_array(s.store, path="tiny", mode="r")
want = ((np.arange(64) * 7) % 256).astype(np.uint8) ^ np.uint8(seed % 256)
assert (tiny[:] == want.reshape(8, 8)).all(), "tiny"
# Extend the repository from Python: a new commit on main that zarrkit reads back.
w = repo.writable_session("main")
a = zarr.open_array(w.store, path="sharded", mode="r+")
a[10:12, 20:22] = 99
snap2 = w.commit("from python")
print(json.dumps({"snap2": snap2}))
"#;

#[test]
fn icechunk_python_reads_what_zarrkit_writes() -> R {
    let Some(py) = python()? else { return Ok(()) };
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("rust-repo");
    let repo = IcechunkRepository::create_local(&path)?;
    let store = Arc::new(repo.writable_session("main")?);
    let seed = 11u32;
    for a in create_arrays(&store)? {
        a.store_metadata()?;
        if a.path().as_str() == "/tiny" {
            a.write(
                ArraySubset::new_with_shape(vec![8, 8]),
                &tiny_pattern(seed as u8),
            )?;
        } else {
            a.write(ArraySubset::new_with_shape(vec![64, 64]), &pattern(seed))?;
        }
    }
    let snap = store.commit("from zarrkit")?;
    drop(store);
    let out = run(
        &py,
        READ,
        &[path.to_str().ok_or("path")?, &snap, &seed.to_string()],
    )?;
    let snap2 = json_field(&out, "snap2")?;
    let repo = IcechunkRepository::open_local(&path)?;
    assert_eq!(repo.branch_tip("main")?, snap2);
    let s = Arc::new(repo.readonly_session(&VersionSpec::Snapshot(snap2))?);
    let v: Vec<u32> =
        Array::open(s, "/sharded")?.read(ArraySubset::new_with_shape(vec![64, 64]))?;
    let p = pattern(seed);
    for (i, x) in v.iter().enumerate() {
        let (r, c) = (i / 64, i % 64);
        let want = if (10..12).contains(&r) && (20..22).contains(&c) {
            99
        } else {
            p[i]
        };
        assert_eq!(*x, want, "sharded[{r}, {c}] after Python's commit");
    }
    Ok(())
}
