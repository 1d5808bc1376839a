//! Zarr V2 through the facade with the default plugins: V2 arrays written and read in
//! memory, the V2 cases of the shared corpus read, round-tripped and converted to V3 (the
//! converted array must read back the same data without a chunk being rewritten), and V3 to
//! V2 conversion with its errors.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};
use zarrkit::metadata_v2::{ArrayOrder, DimensionSeparator};
use zarrkit::serde_json::{json, Map, Value};
use zarrkit::storage::{
    ListableStorageTraits, ReadableStorageExt, ReadableStorageTraits, StoreKey,
    WritableStorageTraits,
};
use zarrkit::store_filesystem::FilesystemStore;
use zarrkit::{
    Array, ArrayBuilder, ArrayBytes, ArrayError, ArrayMetadata, ArrayMetadataV2, ArraySubset,
    DataType, DataTypeSize, Group, GroupMetadata, MetadataV3, Node, NodeMetadata, PluginError,
};
use zarrkit_core::storage::MemoryStore;

type R = Result<(), Box<dyn std::error::Error>>;

fn cfg(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn whole<S: ReadableStorageTraits + ?Sized + 'static>(
    a: &Array<S>,
) -> Result<ArrayBytes, ArrayError> {
    a.retrieve_array_subset(&ArraySubset::new_with_shape(a.shape().to_vec()))
}

/// Canonical element bytes of the corpus README (every endianness unit little endian;
/// variable-size elements as u32 LE length + bytes).
fn canonical(bytes: &ArrayBytes, dt: &DataType) -> Vec<u8> {
    match bytes {
        ArrayBytes::Fixed(b) => {
            let mut out = b.clone();
            if cfg!(target_endian = "big") {
                if let Some(u) = dt.endianness_unit().filter(|&u| u > 1) {
                    out.chunks_exact_mut(u).for_each(<[u8]>::reverse);
                }
            }
            out
        }
        ArrayBytes::Variable { bytes, offsets } => {
            let mut out = Vec::new();
            for w in offsets.windows(2) {
                out.extend_from_slice(&((w[1] - w[0]) as u32).to_le_bytes());
                out.extend_from_slice(&bytes[w[0]..w[1]]);
            }
            out
        }
    }
}

fn sha(bytes: &ArrayBytes, dt: &DataType) -> String {
    hex::encode(Sha256::digest(canonical(bytes, dt)))
}

// ---------------------------------------------------------------------------------------
// In memory

fn v2_array(
    store: &Arc<MemoryStore>,
    path: &str,
    m: ArrayMetadataV2,
) -> Result<Array<MemoryStore>, ArrayError> {
    let a = Array::new_with_metadata(store.clone(), path, m)?;
    a.store_metadata()?;
    Ok(a)
}

#[test]
fn in_memory_arrays_round_trip() -> R {
    struct Case {
        dtype: &'static str,
        fill: Value,
        order: ArrayOrder,
        sep: DimensionSeparator,
        compressor: Option<Value>,
        elem: usize,
    }
    let c = |dtype, fill, order, sep, compressor, elem| Case {
        dtype,
        fill,
        order,
        sep,
        compressor,
        elem,
    };
    use ArrayOrder::{C, F};
    use DimensionSeparator::{Dot, Slash};
    let cases = [
        c("<i4", json!(7), C, Dot, None, 4),
        c(
            ">i4",
            json!(-1),
            F,
            Slash,
            Some(json!({"id": "gzip", "level": 1})),
            4,
        ),
        c(
            ">f8",
            json!("NaN"),
            F,
            Dot,
            Some(json!({"id": "zstd", "level": 1})),
            8,
        ),
        c("<c8", json!([1.0, -1.0]), C, Slash, None, 8),
        c(
            "|u1",
            json!(3),
            F,
            Dot,
            Some(json!({"id": "blosc", "cname": "lz4", "clevel": 5, "shuffle": 1, "blocksize": 0})),
            1,
        ),
        c("|S6", json!("YWI="), F, Dot, None, 6),
        c(
            ">U3",
            json!("é"),
            F,
            Slash,
            Some(json!({"id": "gzip", "level": 5})),
            12,
        ),
        c("|V2", json!("AAE="), C, Dot, None, 2),
    ];
    for case in cases {
        let store = Arc::new(MemoryStore::new());
        let mut m = ArrayMetadataV2::new(vec![7, 5], vec![3, 4], case.dtype, case.fill.clone());
        m.order = case.order;
        m.dimension_separator = Some(case.sep);
        m.compressor = case.compressor.clone().map(cfg);
        m.attributes = Some(cfg(json!({"dtype": case.dtype})));
        let a = v2_array(&store, "/g/a", m.clone())?;
        assert_eq!(a.zarr_format(), 2);
        // Element bytes that are valid for every type here (small code units, 0/1 bools).
        let n = 35 * case.elem;
        let data: Vec<u8> = (0..n)
            .map(|i| (i % 7) as u8 * u8::from(i % case.elem == 0))
            .collect();
        let region = ArraySubset::new_with_ranges(&[1..6, 0..5])?;
        let part: Vec<u8> = data[..25 * case.elem].to_vec();
        a.store_array_subset(&region, part.clone())?;
        let b = Array::open(store.clone(), "/g/a")?;
        assert_eq!(
            b.metadata(),
            &ArrayMetadata::V2(m.clone()),
            "{}",
            case.dtype
        );
        assert_eq!(b.attributes().get("dtype"), Some(&json!(case.dtype)));
        let back = b.retrieve_array_subset(&region)?;
        assert_eq!(back.as_fixed(), Some(part.as_slice()), "{}", case.dtype);
        // Outside the region: the fill value.
        let fill = b.fill_value().as_bytes().to_vec();
        let row0 = b.retrieve_array_subset(&ArraySubset::new_with_ranges(&[0..1, 0..5])?)?;
        assert_eq!(
            row0.as_fixed(),
            Some(fill.repeat(5).as_slice()),
            "{}",
            case.dtype
        );
        // Keys: V2 metadata and chunk keys with the separator.
        let s = case.sep.as_str();
        for key in [
            ".zarray".to_string(),
            ".zattrs".to_string(),
            format!("1{s}1"),
        ] {
            assert!(
                store.get(&StoreKey::new(format!("g/a/{key}"))?)?.is_some(),
                "{} {key}",
                case.dtype
            );
        }
        assert!(store.get(&StoreKey::new("g/a/zarr.json")?)?.is_none());
        // The stored .zarray parses back to the same metadata.
        let zarray = store
            .get(&StoreKey::new("g/a/.zarray")?)?
            .unwrap_or_default();
        let zattrs = store.get(&StoreKey::new("g/a/.zattrs")?)?;
        assert_eq!(
            ArrayMetadataV2::from_json(&zarray, zattrs.as_deref(), "/g/a")?,
            m
        );
    }
    Ok(())
}

#[test]
fn order_f_stores_column_major_chunks() -> R {
    let store = Arc::new(MemoryStore::new());
    let mut m = ArrayMetadataV2::new(vec![2, 3], vec![2, 3], "<i4", json!(0));
    m.order = ArrayOrder::F;
    let a = v2_array(&store, "/", m)?;
    a.store_array_subset_elements(
        &ArraySubset::new_with_shape(vec![2, 3]),
        &[1i32, 2, 3, 4, 5, 6],
    )?;
    let raw = store.get(&StoreKey::new("0.0")?)?.unwrap_or_default();
    let stored: Vec<i32> = raw
        .chunks_exact(4)
        .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    assert_eq!(stored, vec![1, 4, 2, 5, 3, 6]);
    Ok(())
}

#[test]
fn fill_null_stores_every_chunk_and_scalar_key_is_0() -> R {
    let store = Arc::new(MemoryStore::new());
    let a = v2_array(
        &store,
        "/n",
        ArrayMetadataV2::new(vec![4], vec![2], "<i2", Value::Null),
    )?;
    assert_eq!(a.fill_value().as_bytes(), &[0, 0]);
    a.store_array_subset_elements(&ArraySubset::new_with_shape(vec![4]), &[0i16; 4])?;
    assert!(store.get(&StoreKey::new("n/0")?)?.is_some());
    assert!(store.get(&StoreKey::new("n/1")?)?.is_some());
    // Partial writes of zeros keep the chunk too.
    store.erase(&StoreKey::new("n/0")?)?;
    a.store_array_subset_elements(&ArraySubset::new(vec![0], vec![1])?, &[0i16])?;
    assert!(store.get(&StoreKey::new("n/0")?)?.is_some());

    let s = v2_array(
        &store,
        "/s",
        ArrayMetadataV2::new(vec![], vec![], "<f8", json!(0.0)),
    )?;
    s.store_array_subset_elements(&ArraySubset::new_with_shape(vec![]), &[2.5f64])?;
    assert!(store.get(&StoreKey::new("s/0")?)?.is_some());
    let v: Vec<f64> = Array::open(store.clone(), "/s")?
        .retrieve_array_subset_elements(&ArraySubset::new_with_shape(vec![]))?;
    assert_eq!(v, vec![2.5]);
    Ok(())
}

#[test]
fn open_errors() -> R {
    let store = Arc::new(MemoryStore::new());
    let base = ArrayMetadataV2::new(vec![4], vec![2], "<i4", json!(0));
    let expect_err =
        |m: ArrayMetadataV2, what: &str| match Array::new_with_metadata(store.clone(), "/x", m) {
            Ok(_) => panic!("accepted ({what})"),
            Err(e) => {
                let s = e.to_string();
                assert!(s.contains("/x") && s.contains(what), "{what}: {s}");
            }
        };
    let mut m = base.clone();
    m.dtype = "<z4".into();
    expect_err(m, "<z4");
    let mut m = base.clone();
    m.compressor = Some(cfg(json!({"id": "x-unknown"})));
    expect_err(m, "x-unknown");
    let mut m = base.clone();
    m.chunks = vec![2, 2];
    expect_err(m, "chunks");
    let mut m = base.clone();
    m.fill_value = json!("abc");
    expect_err(m, "abc");
    let mut m = base.clone();
    m.dtype = "|O".into();
    expect_err(m, "object codec");
    let mut m = base.clone();
    m.compressor = Some(cfg(json!({"id": "gzip", "level": "high"})));
    expect_err(m, "gzip");
    Ok(())
}

#[test]
fn groups_and_nodes() -> R {
    let store = Arc::new(MemoryStore::new());
    let mut g = Group::new_with_metadata(store.clone(), "/", zarrkit::GroupMetadataV2::new())?;
    g.attributes_mut().insert("title".into(), json!("v2"));
    g.store_metadata()?;
    v2_array(
        &store,
        "/a",
        ArrayMetadataV2::new(vec![2], vec![2], "|b1", json!(false)),
    )?;
    Group::new_with_metadata(store.clone(), "/sub", zarrkit::GroupMetadataV2::new())?
        .store_metadata()?;
    let g = Group::open(store.clone(), "/")?;
    assert_eq!(g.zarr_format(), 2);
    assert_eq!(g.attributes().get("title"), Some(&json!("v2")));
    assert_eq!(g.child_names()?, vec!["a".to_string(), "sub".to_string()]);
    let kinds: Vec<(String, bool)> = g
        .children()?
        .iter()
        .map(|n| (n.path().to_string(), matches!(n, Node::Array(_))))
        .collect();
    assert_eq!(
        kinds,
        vec![("/a".to_string(), true), ("/sub".to_string(), false)]
    );
    assert!(matches!(Node::open(store.clone(), "/a")?, Node::Array(_)));
    assert!(matches!(
        Array::open(store.clone(), "/sub"),
        Err(ArrayError::NotAnArray(_))
    ));
    Ok(())
}

// ---------------------------------------------------------------------------------------
// The shared corpus

fn corpus_dir() -> PathBuf {
    match std::env::var_os("ZARRKIT_CONFORMANCE_CORPUS") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance"),
    }
}

fn v2_cases(kinds: &[&str]) -> Result<Option<Vec<Value>>, Box<dyn std::error::Error>> {
    let dir = corpus_dir();
    let Ok(text) = std::fs::read(dir.join("manifest.json")) else {
        println!("note: no conformance corpus at {}; skipping", dir.display());
        return Ok(None);
    };
    let manifest: Value = zarrkit::serde_json::from_slice(&text)?;
    Ok(Some(
        manifest["cases"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|c| {
                c["zarr_format"].as_u64() == Some(2)
                    && kinds.contains(&c["kind"].as_str().unwrap_or(""))
            })
            .collect(),
    ))
}

fn copy_dir(src: &Path, dst: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dst)?;
    for e in std::fs::read_dir(src)? {
        let e = e?;
        let to = dst.join(e.file_name());
        if e.file_type()?.is_dir() {
            copy_dir(&e.path(), &to)?;
        } else {
            std::fs::copy(e.path(), to)?;
        }
    }
    Ok(())
}

fn is_missing_plugin(e: &ArrayError) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if matches!(
            err.downcast_ref::<PluginError>(),
            Some(PluginError::Unknown { .. })
        ) {
            return true;
        }
        if let Some(zarrkit::MetadataError::Plugin {
            source: PluginError::Unknown { .. },
            ..
        }) = err.downcast_ref::<zarrkit::MetadataError>()
        {
            return true;
        }
        cur = err.source();
    }
    false
}

/// Keys of the store that are not metadata documents.
fn data_keys<S: ListableStorageTraits + ?Sized>(store: &S) -> Result<BTreeSet<String>, ArrayError> {
    Ok(store
        .list()?
        .into_iter()
        .map(|k| k.as_str().to_string())
        .filter(|k| {
            let name = k.rsplit('/').next().unwrap_or("");
            ![".zarray", ".zattrs", ".zgroup", ".zmetadata", "zarr.json"].contains(&name)
        })
        .collect())
}

/// Every V2 metadata document of the corpus parses and writes back the same JSON.
#[test]
fn corpus_v2_metadata_round_trips() -> R {
    let Some(cases) = v2_cases(&["array", "group", "corrupt"])? else {
        return Ok(());
    };
    let dir = corpus_dir();
    let mut checked = 0;
    for case in cases {
        let node = dir
            .join(case["store"].as_str().unwrap_or(""))
            .join(case["path"].as_str().unwrap_or("/").trim_start_matches('/'));
        let read = |f: &str| std::fs::read(node.join(f)).ok();
        let parse = |b: &[u8]| zarrkit::serde_json::from_slice::<Value>(b).unwrap_or(Value::Null);
        let path = case["path"].as_str().unwrap_or("/");
        if let Some(zarray) = read(".zarray") {
            let zattrs = read(".zattrs");
            let m = ArrayMetadataV2::from_json(&zarray, zattrs.as_deref(), path)?;
            assert_eq!(Value::Object(m.to_map()), parse(&zarray), "{}", case["id"]);
            let again = ArrayMetadataV2::from_json(&m.to_json_pretty(), zattrs.as_deref(), path)?;
            assert_eq!(again, m, "{}", case["id"]);
            if let Some(a) = &zattrs {
                assert_eq!(Value::Object(m.attributes().clone()), parse(a));
            }
            checked += 1;
        }
        if let Some(zgroup) = read(".zgroup") {
            let m = zarrkit::GroupMetadataV2::from_json(
                &zgroup,
                read(".zattrs").as_deref(),
                read(".zmetadata").as_deref(),
                path,
            )?;
            assert_eq!(Value::Object(m.to_map()), parse(&zgroup), "{}", case["id"]);
            if let Some(z) = read(".zmetadata") {
                let c = m.consolidated_metadata.as_ref().ok_or("not parsed")?;
                assert_eq!(Value::Object(c.to_map()), parse(&z));
            }
            checked += 1;
        }
    }
    assert!(checked >= 50, "only {checked} V2 documents checked");
    Ok(())
}

/// Every V2 array case of the corpus: copy the store, read the data (sha256 as expected),
/// convert to V3 erasing the V2 metadata, re-open (now V3) and read the same data; no chunk
/// key changes. Cases whose plugins are missing are skipped.
#[test]
fn corpus_v2_arrays_convert_to_v3() -> R {
    let Some(cases) = v2_cases(&["array"])? else {
        return Ok(());
    };
    let dir = corpus_dir();
    let (mut converted, mut skipped) = (Vec::new(), Vec::new());
    for case in cases {
        let id = case["id"].as_str().unwrap_or("?").to_string();
        let path = case["path"].as_str().unwrap_or("/");
        let expected = case["expect"]["sha256"].as_str().unwrap_or("").to_string();
        let tmp = tempfile::tempdir()?;
        copy_dir(&dir.join(case["store"].as_str().unwrap_or("")), tmp.path())?;
        let store = Arc::new(FilesystemStore::new(tmp.path())?);
        let mut a = match Array::open(store.clone(), path) {
            Ok(a) => a,
            Err(e) if is_missing_plugin(&e) => {
                skipped.push(format!("{id}: {e}"));
                continue;
            }
            Err(e) => return Err(format!("{id}: {e}").into()),
        };
        assert_eq!(a.zarr_format(), 2, "{id}");
        assert_eq!(sha(&whole(&a)?, a.data_type()), expected, "{id} (V2)");
        let keys_before = data_keys(&*store)?;
        let v3 = a.to_v3()?;
        a.convert_to_v3(true)?;
        assert_eq!(a.zarr_format(), 3, "{id}");
        let node = zarrkit::NodePath::new(path)?;
        assert!(store.get(&node.key("zarr.json")?)?.is_some(), "{id}");
        assert!(store.get(&node.key(".zarray")?)?.is_none(), "{id}");
        assert!(store.get(&node.key(".zattrs")?)?.is_none(), "{id}");
        let b = Array::open(store.clone(), path)?;
        assert_eq!(b.zarr_format(), 3, "{id}");
        assert_eq!(b.metadata(), &ArrayMetadata::V3(v3.clone()), "{id}");
        assert_eq!(&b.attributes().clone(), a.attributes(), "{id}");
        assert_eq!(
            sha(&whole(&b)?, b.data_type()),
            expected,
            "{id} (converted to V3)"
        );
        assert_eq!(data_keys(&*store)?, keys_before, "{id}: chunk keys changed");
        // The written zarr.json round-trips like any V3 metadata.
        let json = store.get(&node.key("zarr.json")?)?.unwrap_or_default();
        match NodeMetadata::from_json(&json, path)? {
            NodeMetadata::Array(m) => assert_eq!(m, ArrayMetadata::V3(v3), "{id}"),
            NodeMetadata::Group(_) => return Err(format!("{id}: converted to a group").into()),
        }
        converted.push(id);
    }
    println!("converted {}: {converted:?}", converted.len());
    println!("skipped {} (plugin missing): {skipped:#?}", skipped.len());
    assert!(converted.len() >= 40, "only {} converted", converted.len());
    Ok(())
}

/// V2 groups of the corpus convert to V3 with their attributes; children stay listed.
#[test]
fn corpus_v2_groups_convert_to_v3() -> R {
    let Some(cases) = v2_cases(&["group"])? else {
        return Ok(());
    };
    let dir = corpus_dir();
    for case in cases {
        let id = case["id"].as_str().unwrap_or("?");
        let path = case["path"].as_str().unwrap_or("/");
        let tmp = tempfile::tempdir()?;
        copy_dir(&dir.join(case["store"].as_str().unwrap_or("")), tmp.path())?;
        let store = Arc::new(FilesystemStore::new(tmp.path())?);
        let mut g = Group::open(store.clone(), path)?;
        assert_eq!(g.zarr_format(), 2, "{id}");
        assert_eq!(
            g.has_consolidated_metadata(),
            case["expect"]["consolidated"] == json!(true),
            "{id}"
        );
        let attrs = g.attributes();
        let children = g.child_names()?;
        g.convert_to_v3(true)?;
        let h = Group::open(store.clone(), path)?;
        assert!(matches!(h.metadata(), GroupMetadata::V3(_)), "{id}");
        assert_eq!(h.attributes(), attrs, "{id}");
        assert_eq!(h.child_names()?, children, "{id}");
        assert!(!h.has_consolidated_metadata(), "{id}");
    }
    Ok(())
}

/// Every array below a group (path -> sha256 of its data, in order), recursively.
fn hierarchy_digests<S>(g: &Group<S>) -> Result<Vec<(String, String)>, Box<dyn std::error::Error>>
where
    S: ReadableStorageTraits + ListableStorageTraits + ?Sized + 'static,
{
    let mut out = Vec::new();
    for child in g.children()? {
        match child {
            Node::Array(a) => out.push((
                a.path().as_str().to_string(),
                sha(&whole(&a)?, a.data_type()),
            )),
            Node::Group(h) => out.extend(hierarchy_digests(&h)?),
        }
    }
    Ok(out)
}

/// Whole V2 hierarchies of the corpus convert to V3 in one call: afterwards no V2 metadata
/// is left, every array reads the same data, no chunk was rewritten, and a second call has
/// nothing to do.
#[test]
fn corpus_v2_hierarchies_convert_to_v3() -> R {
    let Some(cases) = v2_cases(&["group"])? else {
        return Ok(());
    };
    let dir = corpus_dir();
    let mut done = 0;
    for case in cases.iter().filter(|c| c["path"].as_str() == Some("/")) {
        let id = case["id"].as_str().unwrap_or("?");
        let tmp = tempfile::tempdir()?;
        copy_dir(&dir.join(case["store"].as_str().unwrap_or("")), tmp.path())?;
        let store = Arc::new(FilesystemStore::new(tmp.path())?);
        let mut g = Group::open(store.clone(), "/")?;
        let before = match hierarchy_digests(&g) {
            Ok(d) => d,
            Err(e) => {
                println!("{id}: skipped ({e})");
                continue;
            }
        };
        let keys_before = data_keys(&*store)?;
        let n = g.convert_hierarchy_to_v3(true)?;
        assert!(n > before.len(), "{id}: converted {n} nodes");
        let left: Vec<String> = store
            .list()?
            .into_iter()
            .map(|k| k.as_str().to_string())
            .filter(|k| {
                let name = k.rsplit('/').next().unwrap_or("");
                [".zarray", ".zattrs", ".zgroup", ".zmetadata"].contains(&name)
            })
            .collect();
        assert!(left.is_empty(), "{id}: V2 metadata left: {left:?}");
        let h = Group::open(store.clone(), "/")?;
        assert_eq!(h.zarr_format(), 3, "{id}");
        assert_eq!(hierarchy_digests(&h)?, before, "{id}");
        assert_eq!(data_keys(&*store)?, keys_before, "{id}: chunk keys changed");
        assert_eq!(
            Group::open(store, "/")?.convert_hierarchy_to_v3(true)?,
            0,
            "{id}"
        );
        done += 1;
    }
    assert!(done > 0, "no V2 hierarchy converted");
    Ok(())
}

// ---------------------------------------------------------------------------------------
// V3 -> V2

fn v3_array(
    store: &Arc<MemoryStore>,
    codecs: Value,
    key_encoding: Value,
) -> Result<Array<MemoryStore>, Box<dyn std::error::Error>> {
    let codecs: Vec<MetadataV3> = zarrkit::serde_json::from_value(codecs)?;
    let keys: MetadataV3 = zarrkit::serde_json::from_value(key_encoding)?;
    let a = ArrayBuilder::new(vec![6, 7], vec![4, 3], "int32", -3)
        .codecs_metadata(codecs)
        .chunk_key_encoding(keys)
        .attributes(cfg(json!({"a": 1})))
        .build(store.clone(), "/v")?;
    a.store_metadata()?;
    let data: Vec<i32> = (0..42).map(|i| i * 1000 - 7).collect();
    a.store_array_subset_elements(&ArraySubset::new_with_ranges(&[0..6, 0..7])?, &data)?;
    Ok(a)
}

/// blosc in V2 carries no element size: it comes from the array's data type when a V2 array
/// is opened, so converting to V3 records the real `typesize` (as zarr-python's migration
/// does), and a V3 blosc array can be written as V2.
#[test]
fn blosc_typesize_follows_the_array_across_v2_and_v3() -> R {
    let keys = json!({"name": "v2", "configuration": {"separator": "."}});
    let store = Arc::new(MemoryStore::new());
    let a = v3_array(
        &store,
        json!([{"name": "bytes", "configuration": {"endian": "little"}},
               {"name": "blosc", "configuration": {"cname": "lz4", "clevel": 5, "shuffle": "shuffle", "typesize": 4, "blocksize": 0}}]),
        keys,
    )?;
    let expected = whole(&a)?;
    let v2 = a.to_v2()?;
    assert_eq!(
        v2.compressor.clone().map(Value::Object),
        Some(json!({"id": "blosc", "cname": "lz4", "clevel": 5, "shuffle": 1, "blocksize": 0}))
    );
    a.erase_metadata()?;
    Array::new_with_metadata(store.clone(), "/v", v2)?.store_metadata()?;
    let b = Array::open(store.clone(), "/v")?;
    assert_eq!(b.zarr_format(), 2);
    assert_eq!(whole(&b)?, expected);
    let v3 = b.to_v3()?;
    let blosc = v3
        .codecs
        .iter()
        .find(|c| c.name() == "blosc")
        .ok_or("no blosc codec after conversion")?;
    assert_eq!(
        blosc
            .configuration()
            .and_then(|m| m.get("typesize").cloned()),
        Some(json!(4))
    );
    Ok(())
}

#[test]
fn v3_to_v2_reads_back_the_same_data() -> R {
    let keys = json!({"name": "v2", "configuration": {"separator": "/"}});
    for (codecs, dtype, order, compressor) in [
        (
            json!([{"name": "bytes", "configuration": {"endian": "little"}}]),
            "<i4",
            ArrayOrder::C,
            Value::Null,
        ),
        (
            json!([{"name": "transpose", "configuration": {"order": [1, 0]}},
                   {"name": "bytes", "configuration": {"endian": "big"}},
                   {"name": "gzip", "configuration": {"level": 3}}]),
            ">i4",
            ArrayOrder::F,
            json!({"id": "gzip", "level": 3}),
        ),
        (
            json!([{"name": "bytes", "configuration": {"endian": "little"}},
                   {"name": "zstd", "configuration": {"level": 2, "checksum": true}}]),
            "<i4",
            ArrayOrder::C,
            json!({"id": "zstd", "level": 2, "checksum": true}),
        ),
    ] {
        let store = Arc::new(MemoryStore::new());
        let a = v3_array(&store, codecs.clone(), keys.clone())?;
        let expected = whole(&a)?;
        let v2 = a.to_v2()?;
        assert_eq!(v2.dtype, dtype, "{codecs}");
        assert_eq!(v2.order, order, "{codecs}");
        assert_eq!(
            v2.compressor
                .clone()
                .map(Value::Object)
                .unwrap_or(Value::Null),
            compressor
        );
        assert_eq!(v2.fill_value, json!(-3));
        assert_eq!(v2.separator(), DimensionSeparator::Slash);
        assert_eq!(v2.attributes().get("a"), Some(&json!(1)));
        a.erase_metadata()?;
        Array::new_with_metadata(store.clone(), "/v", v2)?.store_metadata()?;
        let b = Array::open(store.clone(), "/v")?;
        assert_eq!(b.zarr_format(), 2);
        assert_eq!(whole(&b)?, expected, "{codecs}");
        // And back to V3 again.
        assert_eq!(b.to_v3()?.fill_value, json!(-3));
    }
    Ok(())
}

#[test]
fn v3_to_v2_errors() -> R {
    let v2keys = json!({"name": "v2"});
    let le = json!({"name": "bytes", "configuration": {"endian": "little"}});
    let err = |codecs: Value, keys: Value| -> Result<String, Box<dyn std::error::Error>> {
        let store = Arc::new(MemoryStore::new());
        let a = v3_array(&store, codecs, keys)?;
        match a.to_v2() {
            Ok(m) => Err(format!("converted: {:?}", m.to_map()).into()),
            Err(e) => Ok(e.to_string()),
        }
    };
    let e = err(json!([le]), json!({"name": "default"}))?;
    assert!(
        e.contains("chunk key encoding") && e.contains("c/0/0"),
        "{e}"
    );
    let e = err(
        json!([{"name": "transpose", "configuration": {"order": [0, 1]}}, le]),
        v2keys.clone(),
    )?;
    assert!(e.contains("transpose"), "{e}");
    let e = err(
        json!([le, {"name": "blosc", "configuration": {"cname": "lz4", "clevel": 5, "shuffle": "shuffle", "typesize": 4, "blocksize": 0}}]),
        v2keys.clone(),
    );
    // blosc has a numcodecs id; it converts only if the plugin maps its configuration.
    if let Ok(e) = e {
        assert!(e.contains("blosc"), "{e}");
    }
    if zarrkit::registry::CODECS.get("sharding_indexed").is_some() {
        let e = err(
            json!([{"name": "sharding_indexed", "configuration": {
                "chunk_shape": [2, 3], "codecs": [le],
                "index_codecs": [le, "crc32c"], "index_location": "end"}}]),
            v2keys.clone(),
        )?;
        assert!(e.contains("sharding_indexed"), "{e}");
    }
    // Dimension names have no V2 form.
    let store = Arc::new(MemoryStore::new());
    let a = ArrayBuilder::new(vec![2], vec![2], "int8", 0)
        .chunk_key_encoding(zarrkit::serde_json::from_value(v2keys)?)
        .dimension_names(["x"])
        .build(store, "/d")?;
    let e = a.to_v2().map(|_| ()).map_err(|e| e.to_string());
    assert!(e.is_err_and(|e| e.contains("dimension names")));
    // A data type without a V2 dtype.
    let store = Arc::new(MemoryStore::new());
    let a = ArrayBuilder::new(vec![2], vec![2], "bfloat16", 0.0)
        .chunk_key_encoding(zarrkit::serde_json::from_value(json!({"name": "v2"}))?)
        .build(store, "/b")?;
    let e = a.to_v2().map(|_| ()).map_err(|e| e.to_string());
    assert!(e.is_err_and(|e| e.contains("bfloat16")));
    Ok(())
}

#[test]
fn data_type_sizes_of_fixed_types() -> R {
    let d = zarrkit::registry::data_type_from_v2("<U5")?;
    assert_eq!(d.size(), DataTypeSize::Fixed(20));
    Ok(())
}

#[test]
fn object_arrays_with_vlen_utf8() -> R {
    if !zarrkit::registry::is_v2_object_codec("vlen-utf8") {
        println!("note: no data type plugin claims vlen-utf8; skipping");
        return Ok(());
    }
    let store = Arc::new(MemoryStore::new());
    let mut m = ArrayMetadataV2::new(vec![5], vec![2], "|O", json!(""));
    m.filters = Some(vec![cfg(json!({"id": "vlen-utf8"}))]);
    m.compressor = Some(cfg(json!({"id": "zstd", "level": 1})));
    let a = v2_array(&store, "/s", m)?;
    assert_eq!(a.data_type().name(), "string");
    let words = ["", "ü", "zarr", "a\0b", "x"];
    let mut bytes = Vec::new();
    let mut offsets = vec![0];
    for w in words {
        bytes.extend_from_slice(w.as_bytes());
        offsets.push(bytes.len());
    }
    let data = ArrayBytes::Variable { bytes, offsets };
    a.store_array_subset(&ArraySubset::new_with_shape(vec![5]), data.clone())?;
    let b = Array::open(store.clone(), "/s")?;
    assert_eq!(whole(&b)?, data);
    // V2 -> V3 -> V2 gives the same .zarray.
    let v3 = Array::new_with_metadata(store.clone(), "/s", b.to_v3()?)?;
    let back = v3.to_v2()?;
    assert_eq!(back.dtype, "|O");
    assert_eq!(
        back.filters
            .as_ref()
            .map(|f| f.iter().map(|c| c["id"].clone()).collect::<Vec<_>>()),
        Some(vec![json!("vlen-utf8")])
    );
    assert_eq!(
        back.compressor.as_ref().map(|c| c["id"].clone()),
        Some(json!("zstd"))
    );
    Ok(())
}
