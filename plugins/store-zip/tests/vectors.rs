//! Archives written by Python's `zipfile`, zarr-python 2's and zarr-python 3's `ZipStore`
//! (vectors/generate.py, generate_v3.py), read through the store and the Array API, sync and
//! async; and the writer's bytes against Python's for the same entries.

use std::collections::BTreeMap;
use std::sync::Arc;

use zarrkit_core::serde_json::{self, Value};
use zarrkit_core::storage::asynchronous::SyncToAsyncAdapter;
use zarrkit_core::storage::{
    ByteRange, Bytes, ListableStorageTraits, MemoryStore, ReadableStorageExt,
    ReadableStorageTraits, StoreKey, StorePrefix, WritableStorageTraits,
};
use zarrkit_core::{Array, Group, Region};
use zarrkit_store_zip::{
    write_zip, AsyncZipStore, EntryOrder, ZipStore, ZipStoreOptions, ZipWriteOptions,
};

// Link the plugins the arrays need.
use zarrkit_codec_bytes as _;
use zarrkit_codec_crc32c as _;
use zarrkit_codec_gzip as _;
use zarrkit_codec_sharding as _;
use zarrkit_codec_zlib as _;
use zarrkit_dtype_numeric as _;
use zarrkit_grid_regular as _;
use zarrkit_key_default as _;
use zarrkit_key_v2 as _;

type R = Result<(), Box<dyn std::error::Error>>;

const ZIP2: &str = include_str!("../vectors/zip2.json");
const ZIP3: &str = include_str!("../vectors/zip3.json");

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .filter_map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

fn archive_store(v: &Value) -> Result<Arc<MemoryStore>, Box<dyn std::error::Error>> {
    let m = Arc::new(MemoryStore::new());
    let zip = v["zip_hex"].as_str().ok_or("zip_hex")?;
    m.set(&StoreKey::new("a.zip")?, Bytes::from(hex(zip)))?;
    Ok(m)
}

fn key(s: &str) -> Result<StoreKey, zarrkit_core::StorageError> {
    StoreKey::new(s)
}

/// The entries Python reads (names relative to `root`), hex-decoded.
fn expected(v: &Value, root: &str) -> BTreeMap<String, Vec<u8>> {
    v["entries"]
        .as_object()
        .map(|o| {
            o.iter()
                .filter_map(|(k, h)| Some((k.strip_prefix(root)?.to_string(), hex(h.as_str()?))))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn python_zipfile_archives() -> R {
    let doc: Value = serde_json::from_str(ZIP2)?;
    let archives = doc["archives"].as_array().ok_or("archives")?;
    assert!(archives.len() >= 11);
    for a in archives {
        let name = a["name"].as_str().ok_or("name")?;
        let root = a["root"].as_str().ok_or("root")?;
        let want = expected(a, root);
        for tail in [65 << 10, 22, 200] {
            let options = ZipStoreOptions::new()
                .with_root(StorePrefix::new(root)?)
                .with_tail_read_bytes(tail);
            let z = ZipStore::open(archive_store(a)?, key("a.zip")?, options)?;
            let listed: Vec<String> = z.list()?.iter().map(|k| k.to_string()).collect();
            assert_eq!(
                listed,
                want.keys().cloned().collect::<Vec<_>>(),
                "{name}: the keys"
            );
            for (k, v) in &want {
                let k = key(k)?;
                assert_eq!(z.get(&k)?.as_deref(), Some(&v[..]), "{name}: {k}");
                if v.len() > 3 {
                    let r = z
                        .read(&k, &[ByteRange::Suffix(2), ByteRange::new(1, 2)], None)?
                        .ok_or("absent")?;
                    assert_eq!(&r.bytes[0][..], &v[v.len() - 2..], "{name}: {k}");
                    assert_eq!(&r.bytes[1][..], &v[1..3], "{name}: {k}");
                }
            }
            let info = z.info()?;
            assert_eq!(
                info.comment.to_vec(),
                hex(a["comment_hex"].as_str().unwrap_or_default()),
                "{name}"
            );
            assert_eq!(info.zip64, name.starts_with("zip64"), "{name}");
        }
    }
    Ok(())
}

#[test]
fn python_archives_async() -> R {
    let doc: Value = serde_json::from_str(ZIP2)?;
    futures::executor::block_on(async {
        use zarrkit_core::storage::asynchronous::{
            AsyncListableStorageTraits, AsyncReadableStorageExt,
        };
        for a in doc["archives"].as_array().ok_or("archives")? {
            let root = a["root"].as_str().ok_or("root")?;
            let inner = Arc::new(SyncToAsyncAdapter::inline(archive_store(a)?));
            let options = ZipStoreOptions::new().with_root(StorePrefix::new(root)?);
            let z = AsyncZipStore::open(inner, key("a.zip")?, options).await?;
            let want = expected(a, root);
            assert_eq!(z.list().await?.len(), want.len());
            for (k, v) in &want {
                assert_eq!(z.get(&key(k)?).await?.as_deref(), Some(&v[..]));
            }
        }
        Ok(())
    })
}

#[test]
fn details_python_agrees_on() -> R {
    let doc: Value = serde_json::from_str(ZIP2)?;
    let by_name = |n: &str| {
        doc["archives"]
            .as_array()
            .and_then(|a| a.iter().find(|x| x["name"] == n))
            .cloned()
            .ok_or(format!("no archive {n}"))
    };
    let open =
        |a: &Value, root: &str| -> Result<ZipStore<MemoryStore>, Box<dyn std::error::Error>> {
            Ok(ZipStore::open(
                archive_store(a)?,
                key("a.zip")?,
                ZipStoreOptions::new().with_root(StorePrefix::new(root)?),
            )?)
        };
    // Duplicates: the last one.
    let z = open(&by_name("duplicates")?, "")?;
    assert_eq!(
        z.get(&key("k")?)?.as_deref(),
        Some(&b"second, the one that counts"[..])
    );
    // Code page 437 and UTF-8 names.
    let z = open(&by_name("cp437")?, "")?;
    assert!(z.get(&key("cp437-\u{c7}\u{df}.bin")?)?.is_some());
    assert!(z.get(&key("utf8-\u{e9}.bin")?)?.is_some());
    // The root folder: README.txt is outside it, directory entries are no keys.
    let a = by_name("root_folder")?;
    let z = open(&a, "data.zarr/")?;
    assert_eq!(z.get(&key("README.txt")?)?, None);
    let z = open(&a, "")?;
    assert!(z.get(&key("README.txt")?)?.is_some());
    assert_eq!(z.info()?.entries, z.info()?.keys + 2);
    // Python's zipfile cannot read the archive whose comment holds a fake end record.
    assert_eq!(by_name("comment")?["python_reads"], false);
    Ok(())
}

#[test]
fn the_writer_writes_what_python_writes() -> R {
    let doc: Value = serde_json::from_str(ZIP2)?;
    let w = &doc["writer_exact"];
    let src = MemoryStore::new();
    for e in w["entries"].as_array().ok_or("entries")? {
        let k = e[0].as_str().ok_or("key")?;
        src.set(&key(k)?, Bytes::from(hex(e[1].as_str().ok_or("hex")?)))?;
    }
    let mut out = Vec::new();
    write_zip(&src, &mut out, &ZipWriteOptions::new())?;
    let want = hex(w["zip_hex"].as_str().ok_or("zip_hex")?);
    assert_eq!(out.len(), want.len());
    assert!(out == want, "the archive differs from Python's");
    // Sorted order gives other bytes (the order is what differs).
    let mut sorted = Vec::new();
    write_zip(
        &src,
        &mut sorted,
        &ZipWriteOptions::new().with_order(EntryOrder::Sorted),
    )?;
    assert_ne!(sorted, want);
    Ok(())
}

fn values_i64(v: &Value) -> Vec<i64> {
    v["values"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default()
}

fn values_f64(v: &Value) -> Vec<f64> {
    v["values"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_f64).collect())
        .unwrap_or_default()
}

#[test]
fn zarr_python_2_zipstore() -> R {
    let doc: Value = serde_json::from_str(ZIP2)?;
    for a in doc["zarr2"].as_array().ok_or("zarr2")? {
        for tail in [65 << 10, 64] {
            let z = Arc::new(ZipStore::open(
                archive_store(a)?,
                key("a.zip")?,
                ZipStoreOptions::new().with_tail_read_bytes(tail),
            )?);
            let g = Group::open(z.clone(), "/")?;
            // .zattrs was written twice: the second one counts.
            assert_eq!(g.attributes().get("title"), Some(&Value::from("second")));
            let data = Array::open(z.clone(), "/data")?;
            let want: Vec<i32> = values_i64(&a["arrays"]["data"])
                .iter()
                .map(|&x| x as i32)
                .collect();
            assert_eq!(want.len(), 600);
            assert_eq!(data.read::<Vec<i32>>(Region::all(data.shape()))?, want);
            let raw = Array::open(z.clone(), "/sub/raw")?;
            assert_eq!(
                raw.read::<Vec<f64>>(Region::all(raw.shape()))?,
                values_f64(&a["arrays"]["sub/raw"])
            );
        }
        // Async, through the sync→async adapter on I/O threads.
        let inner = Arc::new(SyncToAsyncAdapter::new(archive_store(a)?)?);
        futures::executor::block_on(async {
            let z =
                Arc::new(AsyncZipStore::open(inner, key("a.zip")?, ZipStoreOptions::new()).await?);
            let data = Array::open_async(z.clone(), "/data").await?;
            let got: Vec<i32> = data.read_async(Region::all(data.shape())).await?;
            assert_eq!(got.len(), 600);
            assert_eq!(got[599], 599);
            let raw = Array::open_async(z, "/sub/raw").await?;
            let got: Vec<f64> = raw.read_async(Region::all(raw.shape())).await?;
            assert_eq!(got, values_f64(&a["arrays"]["sub/raw"]));
            Ok::<(), Box<dyn std::error::Error>>(())
        })?;
    }
    Ok(())
}

#[test]
fn zarr_python_3_zipstore_and_ozx() -> R {
    let doc: Value = serde_json::from_str(ZIP3)?;
    let z3 = &doc["zarr3_zipstore"];
    let z = Arc::new(ZipStore::open(
        archive_store(z3)?,
        key("a.zip")?,
        ZipStoreOptions::new(),
    )?);
    let img = Array::open(z.clone(), "/img")?;
    let want: Vec<u16> = values_i64(&z3["arrays"]["img"])
        .iter()
        .map(|&x| x as u16)
        .collect();
    assert_eq!(img.read::<Vec<u16>>(Region::all(img.shape()))?, want);
    let plain = Array::open(z.clone(), "/sub/plain")?;
    assert_eq!(
        plain.read::<Vec<f64>>(Region::all(plain.shape()))?,
        values_f64(&z3["arrays"]["sub/plain"])
    );

    let ozx = &doc["ozx"];
    let m = archive_store(ozx)?;
    let z = Arc::new(ZipStore::open(
        m.clone(),
        key("a.zip")?,
        ZipStoreOptions::new(),
    )?);
    let info = z.info()?;
    assert!(info.zip64 || info.size < 1 << 31);
    let comment: Value = serde_json::from_slice(&info.comment)?;
    assert_eq!(comment["ome"]["version"], "0.5");
    assert_eq!(
        comment["ome"]["zipFile"]["centralDirectory"]["jsonFirst"],
        true
    );
    let g = Group::open(z.clone(), "/")?;
    assert_eq!(g.attributes().get("ome"), ozx["attrs"].get("ome"));
    let a = Array::open(z.clone(), "/0")?;
    let want: Vec<i16> = values_i64(&ozx["arrays"]["0"])
        .iter()
        .map(|&x| x as i16)
        .collect();
    assert_eq!(a.read::<Vec<i16>>(Region::all(a.shape()))?, want);
    // Async.
    futures::executor::block_on(async {
        let inner = Arc::new(SyncToAsyncAdapter::inline(m.clone()));
        let z = Arc::new(AsyncZipStore::open(inner, key("a.zip")?, ZipStoreOptions::new()).await?);
        let a = Array::open_async(z, "/0").await?;
        assert_eq!(
            a.read_async::<Vec<i16>>(Region::all(a.shape())).await?,
            want
        );
        Ok::<(), Box<dyn std::error::Error>>(())
    })?;

    // Unpacked and packed again as .ozx by zarrkit: the same order of entries as the
    // reference packing (root zarr.json, the other zarr.json breadth-first, then the rest)
    // and the same comment.
    let unpacked = MemoryStore::new();
    for k in z.list()? {
        unpacked.set(&k, z.get(&k)?.ok_or("absent")?)?;
    }
    let mut out = Vec::new();
    write_zip(&unpacked, &mut out, &ZipWriteOptions::ozx())?;
    let m2 = Arc::new(MemoryStore::new());
    m2.set(&key("b.ozx")?, Bytes::from(out.clone()))?;
    let z2 = ZipStore::open(m2, key("b.ozx")?, ZipStoreOptions::new())?;
    assert_eq!(z2.info()?.comment, info.comment);
    let order: Vec<String> = local_names(&out);
    let want_order: Vec<String> = ozx["order"]
        .as_array()
        .ok_or("order")?
        .iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    assert_eq!(order, want_order);
    let a = Array::open(Arc::new(z2), "/0")?;
    assert_eq!(a.read::<Vec<i16>>(Region::all(a.shape()))?, want);
    Ok(())
}

/// The names of the local headers, in archive order.
fn local_names(b: &[u8]) -> Vec<String> {
    let mut names = Vec::new();
    let mut at = 0usize;
    while b.get(at..at + 4) == Some(&b"PK\x03\x04"[..]) {
        let u16_at = |o: usize| u16::from_le_bytes([b[at + o], b[at + o + 1]]) as usize;
        let (n, x) = (u16_at(26), u16_at(28));
        let mut csize = u32::from_le_bytes([b[at + 18], b[at + 19], b[at + 20], b[at + 21]]) as u64;
        if csize == u32::MAX as u64 {
            // ZIP64 extra: id, len, size, compressed size.
            let e = at + 30 + n;
            csize = u64::from_le_bytes(b[e + 12..e + 20].try_into().unwrap_or_default());
        }
        names.push(String::from_utf8_lossy(&b[at + 30..at + 30 + n]).into_owned());
        at += 30 + n + x + csize as usize;
    }
    names
}
