//! Consolidated metadata: read what zarr-python 2 and 3 write (`tests/data/consolidated`,
//! made by `scripts/reference/generate.sh consolidated`), use it without listing or reading
//! the store, honour the auto / must / never policy, and write it byte-compatible with
//! zarr-python.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use zarrkit::serde_json::Value;
use zarrkit::storage::PerformanceMetricsAdapter;
use zarrkit::storage::{ReadableStorageExt, StoreKey, WritableStorageTraits};
use zarrkit::store_filesystem::FilesystemStore;
use zarrkit::{ArrayError, ArraySubset, ConsolidatedMetadata, Group, GroupError, Node};

type R = Result<(), Box<dyn std::error::Error>>;

fn fixture(v: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/consolidated")
        .join(v)
}

/// A copy of a fixture in a temporary directory (tests that write).
fn copy_fixture(v: &str) -> Result<tempfile::TempDir, Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    fn copy(from: &Path, to: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(to)?;
        for e in std::fs::read_dir(from)? {
            let e = e?;
            let t = to.join(e.file_name());
            if e.file_type()?.is_dir() {
                copy(&e.path(), &t)?;
            } else {
                std::fs::copy(e.path(), t)?;
            }
        }
        Ok(())
    }
    copy(&fixture(v), dir.path())?;
    Ok(dir)
}

fn names(nodes: &[Node<impl ?Sized>]) -> Vec<String> {
    nodes.iter().map(|n| n.path().to_string()).collect()
}

/// zarr-python's hierarchy opens from its consolidated metadata: listing children and
/// opening arrays two levels down reads nothing but the chunks.
#[test]
fn reads_zarr_python_consolidated_metadata_without_touching_the_store() -> R {
    for v in ["v2", "v3"] {
        let store = Arc::new(PerformanceMetricsAdapter::new(Arc::new(
            FilesystemStore::new(fixture(v))?,
        )));
        let g = Group::open(store.clone(), "/")?;
        assert!(g.uses_consolidated_metadata(), "{v}");
        assert_eq!(
            g.attributes()["title"],
            Value::from(format!("consolidated {v}"))
        );
        let after_open = store.metrics();
        assert_eq!(names(&g.children()?), ["/sub", "/top"], "{v}");
        assert_eq!(g.child_names()?, ["sub", "top"]);
        let sub = g.open_group("sub")?;
        assert_eq!(sub.attributes()["level"], Value::from(1));
        assert_eq!(names(&sub.children()?), ["/sub/data", "/sub/deeper"], "{v}");
        let data = g.open_array("sub/data")?;
        assert_eq!(data.attributes()["units"], Value::from("m"));
        let top = sub.open_group("deeper")?;
        assert!(top.children()?.is_empty());
        let m = store.metrics();
        assert_eq!(
            m.reads, after_open.reads,
            "{v}: metadata was read from the store"
        );
        assert_eq!(m.lists, 0, "{v}: the store was listed");
        let values: Vec<i32> = data.read(ArraySubset::new_with_shape(vec![4]))?;
        assert_eq!(values, [0, 1, 2, 3]);
        let top: Vec<f64> = g
            .open_array("top")?
            .read(ArraySubset::new_with_shape(vec![3]))?;
        assert_eq!(top, [1.5; 3]);
        // Wrong kinds are errors, as without consolidated metadata.
        assert!(matches!(
            g.open_array("sub"),
            Err(ArrayError::NotAnArray(_))
        ));
        assert!(matches!(g.open_group("top"), Err(GroupError::NotAGroup(_))));
    }
    Ok(())
}

/// Auto falls back to the store for a node the (stale) snapshot does not list; Must does
/// not; Never ignores the snapshot; Must on a group without one is an error.
#[test]
fn policies() -> R {
    for v in ["v2", "v3"] {
        let dir = copy_fixture(v)?;
        let store = Arc::new(FilesystemStore::new(dir.path())?);
        // A node added after consolidation.
        let g = Group::open_opt(store.clone(), "/", ConsolidatedMetadata::Never)?;
        assert!(!g.uses_consolidated_metadata());
        let sub = g.open_group("sub")?;
        let extra = zarrkit::GroupBuilder::new().build(store.clone(), "/late")?;
        if v == "v2" {
            zarrkit::Group::new_with_metadata(
                store.clone(),
                "/late",
                zarrkit::GroupMetadataV2::new(),
            )?
            .store_metadata()?;
        } else {
            extra.store_metadata()?;
        }
        drop(sub);
        let never = Group::open_opt(store.clone(), "/", ConsolidatedMetadata::Never)?;
        assert_eq!(never.child_names()?, ["late", "sub", "top"], "{v}");
        let auto = Group::open_opt(store.clone(), "/", ConsolidatedMetadata::Auto)?;
        assert_eq!(
            auto.child_names()?,
            ["sub", "top"],
            "{v}: the snapshot lists"
        );
        assert!(
            auto.open_group("late").is_ok(),
            "{v}: auto falls back to the store"
        );
        let must = Group::open_opt(store.clone(), "/", ConsolidatedMetadata::Must)?;
        assert!(
            matches!(must.open_group("late"), Err(GroupError::NotFound(_))),
            "{v}"
        );
        assert!(
            matches!(must.open_array("late"), Err(ArrayError::NotFound(_))),
            "{v}"
        );
        // The sub-group has no consolidated metadata of its own, but opened from the root's
        // it uses the root's; opened directly with Must it is an error.
        assert!(must.open_group("sub")?.uses_consolidated_metadata());
        let e = Group::open_opt(store.clone(), "/sub", ConsolidatedMetadata::Must)
            .expect_err("no consolidated metadata");
        assert!(matches!(e, GroupError::NoConsolidatedMetadata(_)), "{e}");
    }
    Ok(())
}

/// zarrkit writes consolidated metadata zarr-python's way: on a copy of zarr-python's
/// hierarchy with its consolidated metadata removed, consolidating gives back exactly the
/// documents zarr-python wrote.
#[test]
fn writes_what_zarr_python_writes() -> R {
    for (v, key) in [("v2", ".zmetadata"), ("v3", "zarr.json")] {
        let dir = copy_fixture(v)?;
        let store = Arc::new(FilesystemStore::new(dir.path())?);
        let k = StoreKey::new(key)?;
        let parse = |b: &[u8]| zarrkit::json::parse(b);
        let original = parse(&store.get(&k)?.ok_or("missing")?)?;
        let expected = match v {
            "v2" => original.clone(),
            _ => original["consolidated_metadata"].clone(),
        };
        // Remove it, then consolidate.
        if v == "v2" {
            store.erase(&k)?;
        } else {
            let mut doc = original.clone();
            if let Some(o) = doc.as_object_mut() {
                o.remove("consolidated_metadata");
            }
            store.set(&k, zarrkit::json::to_vec_pretty(&doc).into())?;
        }
        let mut g = Group::open(store.clone(), "/")?;
        assert!(!g.uses_consolidated_metadata(), "{v}");
        assert_eq!(
            g.consolidate_metadata()?,
            4,
            "{v}: sub, sub/data, sub/deeper, top"
        );
        assert!(g.uses_consolidated_metadata());
        let written = parse(&store.get(&k)?.ok_or("missing")?)?;
        let got = match v {
            "v2" => written,
            _ => written["consolidated_metadata"].clone(),
        };
        assert_eq!(got, expected, "{v}");
        // And a fresh open uses it.
        let again = Group::open_opt(store.clone(), "/", ConsolidatedMetadata::Must)?;
        assert_eq!(again.child_names()?, ["sub", "top"]);
    }
    Ok(())
}

/// A malformed entry fails only the node that uses it, with its path in the error.
#[test]
fn a_bad_entry_fails_only_its_node() -> R {
    let dir = copy_fixture("v3")?;
    let store = Arc::new(FilesystemStore::new(dir.path())?);
    let k = StoreKey::new("zarr.json")?;
    let mut doc = zarrkit::json::parse(&store.get(&k)?.ok_or("missing")?)?;
    doc["consolidated_metadata"]["metadata"]["top"]["shape"] = Value::from("not a shape");
    store.set(&k, zarrkit::json::to_vec_pretty(&doc).into())?;
    let g = Group::open(store.clone(), "/")?;
    assert!(g.open_group("sub").is_ok());
    let e = g.open_array("top").expect_err("bad entry");
    assert!(e.to_string().contains("/top"), "{e}");
    Ok(())
}
