//! The HTTP store against a real static file server on 127.0.0.1 (nginx when installed,
//! which honours Range and sends ETags; otherwise tower-http's ServeDir, which sends
//! Last-Modified): the conformance store suite (writes go to the served directory, every
//! read goes over HTTP), and Zarr arrays and groups written to disk by zarrkit read through
//! HTTP, sync and async, compared with the local read.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use common::{static_server, R};
use zarrkit_codec_sharding::ShardingCodecBuilder;
use zarrkit_core::futures::executor::block_on;
use zarrkit_core::serde_json::{json, Value};
use zarrkit_core::storage::asynchronous::AsyncReadableStorageTraits;
use zarrkit_core::storage::{
    ByteRange, Bytes, ListDir, ListableStorageTraits, ReadResult, ReadableStorageExt,
    ReadableStorageTraits, StoreKey, StorePrefix, Version, WritableStorageTraits,
};
use zarrkit_core::{
    Array, ArrayBuilder, ArrayMetadataV2, ConsolidatedMetadata, Group, GroupBuilder, MetadataV3,
    Node, Region, StorageError,
};
use zarrkit_store_filesystem::FilesystemStore;
use zarrkit_store_http::HttpStore;

// Link the plugins the arrays resolve by name.
use zarrkit_codec_bytes as _;
use zarrkit_codec_crc32c as _;
use zarrkit_codec_zstd as _;
use zarrkit_dtype_numeric as _;
use zarrkit_grid_regular as _;
use zarrkit_key_default as _;
use zarrkit_key_v2 as _;

fn http(url: &str) -> HttpStore {
    HttpStore::builder(url)
        .proxy_from_environment(false)
        .max_retries(2)
        .backoff(Duration::from_millis(10), Duration::from_millis(50))
        .build()
        .expect("store")
}

/// Reads over HTTP, writes and listing on the served directory. Each write stamps the
/// file with a modification time a whole second after the last: nginx's ETag (and any
/// Last-Modified) has a resolution of one second, and the suite rewrites values at once.
struct ReadOverHttp {
    http: HttpStore,
    disk: FilesystemStore,
    root: PathBuf,
    clock: AtomicU64,
}

impl ReadOverHttp {
    fn stamp(&self, key: &StoreKey) -> Result<(), StorageError> {
        let t = SystemTime::UNIX_EPOCH
            + Duration::from_secs(1_600_000_000 + self.clock.fetch_add(1, Ordering::SeqCst));
        let path = self.root.join(key.as_str());
        std::fs::File::options()
            .write(true)
            .open(&path)
            .and_then(|f| f.set_modified(t))
            .map_err(|e| StorageError::Io {
                key: key.to_string(),
                source: e,
            })
    }
}

impl ReadableStorageTraits for ReadOverHttp {
    fn read(
        &self,
        key: &StoreKey,
        ranges: &[ByteRange],
        if_version: Option<&Version>,
    ) -> Result<Option<ReadResult>, StorageError> {
        ReadableStorageTraits::read(&self.http, key, ranges, if_version)
    }
}

impl WritableStorageTraits for ReadOverHttp {
    fn set(&self, key: &StoreKey, value: Bytes) -> Result<(), StorageError> {
        self.disk.set(key, value)?;
        self.stamp(key)
    }
    fn erase(&self, key: &StoreKey) -> Result<(), StorageError> {
        self.disk.erase(key)
    }
    fn erase_prefix(&self, prefix: &StorePrefix) -> Result<(), StorageError> {
        self.disk.erase_prefix(prefix)
    }
}

impl ListableStorageTraits for ReadOverHttp {
    fn list_prefix(&self, prefix: &StorePrefix) -> Result<Vec<StoreKey>, StorageError> {
        self.disk.list_prefix(prefix)
    }
    fn list_dir(&self, prefix: &StorePrefix) -> Result<ListDir, StorageError> {
        self.disk.list_dir(prefix)
    }
}

/// The whole conformance store suite, every read through HTTP: absent keys, values of all
/// sizes (empty, binary, 1 MiB), every kind of byte range and out-of-bounds range,
/// `get_into`, versions (stable, new after a write, "changed" when stale or erased).
#[test]
fn conformance_store_suite_over_http() -> R {
    let dir = tempfile::tempdir()?;
    let root = dir.path().join("suite");
    std::fs::create_dir_all(&root)?;
    let server = static_server(dir.path());
    let store = ReadOverHttp {
        http: http(&format!("{}/suite", server.url)),
        disk: FilesystemStore::new(&root)?,
        root,
        clock: AtomicU64::new(0),
    };
    zarrkit_conformance::suites::store::store_suite(&store)?;
    let stats = store.http.stats();
    assert!(stats.requests > 30, "{stats:?}");
    println!("{} HTTP requests to {}", stats.requests, server.kind);
    Ok(())
}

fn data(n: usize) -> Vec<i32> {
    (0..n as i32).map(|i| i * 7 - 1000).collect()
}

fn md(name: &str, v: Value) -> MetadataV3 {
    match v {
        Value::Object(m) => MetadataV3::new_with_configuration(name, m),
        _ => MetadataV3::new(name),
    }
}

/// Three arrays on disk: V3 chunked with zstd, V3 sharded (zstd inner chunks), V2.
fn write_arrays(root: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let fs = Arc::new(FilesystemStore::new(root)?);
    GroupBuilder::new()
        .build(fs.clone(), "/")?
        .store_metadata()?;
    let shape = vec![60u64, 70];
    let all = data(60 * 70);
    let plain = ArrayBuilder::new(shape.clone(), vec![16, 16], "int32", 0)
        .codecs_metadata(vec![
            md("bytes", json!({"endian": "little"})),
            md("zstd", json!({"level": 1, "checksum": false})),
        ])
        .build(fs.clone(), "/plain")?;
    plain.store_metadata()?;
    plain.write(Region::all(&shape), &all)?;
    let sharded = ArrayBuilder::new(shape.clone(), vec![32, 40], "int32", 0)
        .codecs_metadata(vec![ShardingCodecBuilder::new(vec![8, 10])
            .inner_codecs(vec![
                md("bytes", json!({"endian": "little"})),
                md("zstd", json!({"level": 1, "checksum": false})),
            ])
            .build_metadata()?])
        .build(fs.clone(), "/sharded")?;
    sharded.store_metadata()?;
    sharded.write(Region::all(&shape), &all)?;
    let v2 = Array::new_with_metadata(
        fs.clone(),
        "/v2",
        ArrayMetadataV2::new(shape.clone(), vec![25, 30], "<i4", json!(0)),
    )?;
    v2.store_metadata()?;
    v2.write(Region::all(&shape), &all)?;
    Ok(())
}

fn regions() -> Result<Vec<Region>, Box<dyn std::error::Error>> {
    Ok(vec![
        Region::all(&[60, 70]),
        Region::ranges(&[3..57, 9..61])?,
        Region::ranges(&[10..11, 0..70])?,
        Region::ranges(&[33..34, 41..42])?,
        Region::ranges(&[0..0, 0..70])?,
    ])
}

/// Arrays written by zarrkit read through HTTP, sync and async, equal the local read;
/// through the registry (`http://` URLs) as `zarrkit::open` does.
#[test]
fn arrays_read_over_http_equal_local_reads() -> R {
    let dir = tempfile::tempdir()?;
    write_arrays(dir.path())?;
    let server = static_server(dir.path());
    let local = Arc::new(FilesystemStore::new(dir.path())?);
    let sync_store = zarrkit_core::registry::open_store(&server.url)?;
    let async_store = zarrkit_core::registry::open_store_async(&server.url)?;
    match Node::open(sync_store.clone(), "/")? {
        Node::Group(_) => {}
        Node::Array(_) => panic!("the root is a group"),
    }
    for name in ["/plain", "/sharded", "/v2"] {
        let want_all = Array::open(local.clone(), name)?;
        let a = Array::open(sync_store.clone(), name)?;
        let b = block_on(Array::open_async(async_store.clone(), name))?;
        assert_eq!(a.metadata_json(), want_all.metadata_json(), "{name}");
        for r in regions()? {
            let want: Vec<i32> = want_all.read(&r)?;
            let got: Vec<i32> = a.read(&r)?;
            assert_eq!(got, want, "{name} sync {r:?}");
            let got: Vec<i32> = block_on(b.read_async(&r))?;
            assert_eq!(got, want, "{name} async {r:?}");
        }
        // Whole chunks too (the scatter read path).
        let want: Vec<i32> = want_all.read(Region::Chunk(vec![1, 1]))?;
        assert_eq!(a.read::<Vec<i32>>(Region::Chunk(vec![1, 1]))?, want);
        assert_eq!(
            block_on(b.read_async::<Vec<i32>>(Region::Chunk(vec![1, 1])))?,
            want
        );
    }
    // A chunk that is not stored reads as the fill value over HTTP too (404 = absent).
    std::fs::remove_file(dir.path().join("plain/c/0/0"))?;
    let a = Array::open(sync_store.clone(), "/plain")?;
    let got: Vec<i32> = a.read(Region::ranges(&[0..2, 0..2])?)?;
    assert_eq!(got, vec![0; 4]);
    println!("arrays read through {}", server.kind);
    Ok(())
}

/// A small region of a sharded array is a partial read: the shard index (one suffix
/// request) and the inner chunk it needs, far fewer bytes than the shard, and no HEAD.
#[test]
fn sharded_partial_reads_fetch_only_what_they_need() -> R {
    let dir = tempfile::tempdir()?;
    write_arrays(dir.path())?;
    let server = static_server(dir.path());
    let local = Arc::new(FilesystemStore::new(dir.path())?);
    let shard_len = std::fs::metadata(dir.path().join("sharded/c/1/1"))?.len();
    let region = Region::ranges(&[33..34, 41..42])?;
    let want: Vec<i32> = Array::open(local, "/sharded")?.read(&region)?;
    for asynchronous in [false, true] {
        let s = Arc::new(http(&server.url));
        let got: Vec<i32> = if asynchronous {
            let b = block_on(Array::open_async(Arc::new(s.to_async()), "/sharded"))?;
            block_on(b.read_async(&region))?
        } else {
            Array::open(s.clone(), "/sharded")?.read(&region)?
        };
        assert_eq!(got, want);
        let st = s.stats();
        // zarr.json + index + one inner chunk.
        assert_eq!(st.head_requests, 0, "{st:?}");
        assert_eq!(st.requests, 3, "{st:?}");
        let meta_len = std::fs::metadata(dir.path().join("sharded/zarr.json"))?.len();
        assert!(
            st.body_bytes < meta_len + shard_len / 4,
            "{} body bytes for a shard of {shard_len}: not a partial read",
            st.body_bytes
        );
    }
    Ok(())
}

/// A group with consolidated metadata opens and lists its children over HTTP, where no
/// listing exists; without it, listing children is a clear "unsupported".
#[test]
fn consolidated_groups_list_children_over_http() -> R {
    let dir = tempfile::tempdir()?;
    write_arrays(dir.path())?;
    let server = static_server(dir.path());
    let s = Arc::new(http(&server.url));
    let g = Group::open(s.clone(), "/")?;
    let e = g.child_names();
    assert!(format!("{e:?}").contains("listing keys over HTTP"), "{e:?}");
    let fs = Arc::new(FilesystemStore::new(dir.path())?);
    let mut g = Group::open(fs, "/")?;
    g.consolidate_metadata()?;
    let g = Group::open_opt(s.clone(), "/", ConsolidatedMetadata::Must)?;
    assert_eq!(g.child_names()?, ["plain", "sharded"]);
    let a = g.open_array("sharded")?;
    let got: Vec<i32> = a.read(Region::ranges(&[0..1, 0..3])?)?;
    assert_eq!(got, data(3));
    let ga = block_on(Group::open_async(Arc::new(s.to_async()), "/"))?;
    let children = block_on(ga.children_async())?;
    assert_eq!(children.len(), 2);
    Ok(())
}

/// Keys with characters that must be percent-encoded reach the right files.
#[test]
fn keys_are_percent_encoded() -> R {
    let dir = tempfile::tempdir()?;
    let names = [
        "unicode/é ß",
        "odd/a#b?c%d+e",
        "odd/semi;colon,comma=eq&amp",
        "c/0.1.2",
    ];
    for (i, n) in names.iter().enumerate() {
        let p = dir.path().join(n);
        std::fs::create_dir_all(p.parent().ok_or("parent")?)?;
        std::fs::write(&p, format!("value {i} of {n}"))?;
    }
    let server = static_server(dir.path());
    let s = http(&server.url);
    for (i, n) in names.iter().enumerate() {
        let got = s.get(&StoreKey::new(*n)?)?;
        assert_eq!(
            got.as_deref(),
            Some(format!("value {i} of {n}").as_bytes()),
            "{n}"
        );
        let got = block_on(AsyncReadableStorageTraits::read(
            &s.to_async(),
            &StoreKey::new(*n)?,
            &[ByteRange::Suffix(2)],
            None,
        ))?
        .ok_or("absent")?;
        assert_eq!(got.bytes[0][..], n.as_bytes()[n.len() - 2..], "{n}");
    }
    assert_eq!(s.get(&StoreKey::new("unicode/missing")?)?, None);
    // nginx versions values by ETag ("mtime-size" in hex), ServeDir by Last-Modified.
    let v = s.version(&StoreKey::new("c/0.1.2")?)?.ok_or("absent")?;
    let v = v.as_str().ok_or("not text")?.to_string();
    println!("{}: version {v}", server.kind);
    if server.kind == "nginx" {
        let size = format!("{:x}\"", "value 3 of c/0.1.2".len());
        assert!(v.starts_with('"') && v.ends_with(&size), "{v}");
    } else {
        assert!(v.starts_with("last-modified: "), "{v}");
    }
    Ok(())
}
