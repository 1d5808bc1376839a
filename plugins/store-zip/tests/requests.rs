//! How many reads of the inner store an array open and chunk reads cost, counted with
//! `PerformanceMetricsAdapter` around the store holding the archive.

use std::sync::Arc;

use zarrkit_core::metadata::MetadataV3;
use zarrkit_core::serde_json::{self, json, Value};
use zarrkit_core::storage::asynchronous::SyncToAsyncAdapter;
use zarrkit_core::storage::{
    Bytes, MemoryStore, PerformanceMetricsAdapter, StoreKey, WritableStorageTraits,
};
use zarrkit_core::{Array, ArrayBuilder, Region};
use zarrkit_store_zip::{write_zip, AsyncZipStore, ZipStore, ZipStoreOptions, ZipWriteOptions};

use zarrkit_codec_bytes as _;
use zarrkit_codec_crc32c as _;
use zarrkit_codec_sharding as _;
use zarrkit_dtype_numeric as _;
use zarrkit_grid_regular as _;
use zarrkit_key_default as _;

type R = Result<(), Box<dyn std::error::Error>>;
type Inner = PerformanceMetricsAdapter<MemoryStore>;

const SHAPE: u64 = 512;

fn values() -> Vec<u8> {
    (0..SHAPE * SHAPE).map(|i| (i % 251) as u8 + 1).collect()
}

/// A 512×512 uint8 array in chunks of 128×128 (16 KiB each, uncompressed), or in shards of
/// 128×128 with inner chunks of 32×32, zipped (stored entries, zarr.json first): 256 KiB,
/// so that only the last chunks and the directory are in the 65 KiB tail.
fn archive(sharded: bool) -> Result<Arc<Inner>, Box<dyn std::error::Error>> {
    let src = Arc::new(MemoryStore::new());
    let mut b = ArrayBuilder::new(vec![SHAPE, SHAPE], vec![128, 128], "uint8", 0);
    if sharded {
        let sharding: MetadataV3 = serde_json::from_value(json!({
            "name": "sharding_indexed",
            "configuration": {
                "chunk_shape": [32, 32],
                "codecs": [{"name": "bytes"}],
                "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "crc32c"}],
                "index_location": "end"
            }
        }))?;
        b = b.codecs_metadata(vec![sharding]);
    }
    let a = b.build(src.clone(), "/")?;
    a.store_metadata()?;
    a.write(Region::all(&[SHAPE, SHAPE]), &values())?;
    let mut zip = Vec::new();
    write_zip(&*src, &mut zip, &ZipWriteOptions::new())?;
    assert!(zip.len() > 256 << 10);
    let m = MemoryStore::new();
    m.set(&StoreKey::new("a.zip")?, Bytes::from(zip))?;
    Ok(Arc::new(PerformanceMetricsAdapter::new(Arc::new(m))))
}

fn reads(inner: &Inner) -> u64 {
    let n = inner.metrics().reads;
    inner.reset();
    n
}

fn chunk(i: u64, j: u64) -> Vec<u8> {
    let v = values();
    let mut out = Vec::new();
    for r in i * 128..(i + 1) * 128 {
        out.extend_from_slice(
            &v[(r * SHAPE + j * 128) as usize..(r * SHAPE + (j + 1) * 128) as usize],
        );
    }
    out
}

#[test]
fn array_open_and_chunk_reads_sync() -> R {
    let inner = archive(false)?;
    let z = Arc::new(ZipStore::open(
        inner.clone(),
        StoreKey::new("a.zip")?,
        ZipStoreOptions::new(),
    )?);
    // The directory: one suffix read (the central directory is in the tail).
    assert_eq!(reads(&inner), 1);
    // zarr.json, the first entry: its local header and its bytes in one read.
    let a = Array::open(z.clone(), "/")?;
    assert_eq!(reads(&inner), 1);
    // A chunk: one read, header and data together.
    assert_eq!(a.read::<Vec<u8>>(Region::Chunk(vec![0, 0]))?, chunk(0, 0));
    assert_eq!(reads(&inner), 1);
    // Again (the data offset is known now): one read.
    assert_eq!(a.read::<Vec<u8>>(Region::Chunk(vec![0, 0]))?, chunk(0, 0));
    assert_eq!(reads(&inner), 1);
    // The last chunk lies in the tail read at open: no read at all.
    assert_eq!(a.read::<Vec<u8>>(Region::Chunk(vec![3, 3]))?, chunk(3, 3));
    assert_eq!(reads(&inner), 0);
    // Four chunks never read before: one read each.
    let v: Vec<u8> = a.read(Region::ranges(&[128..384, 0..256])?)?;
    assert_eq!(v.len(), 256 * 256);
    assert_eq!(reads(&inner), 4);
    // A region of a chunk: still the whole chunk once (an uncompressed chunk is read whole
    // or by rows; here by rows, coalesced into one request).
    let v: Vec<u8> = a.read(Region::ranges(&[1..3, 0..128])?)?;
    assert_eq!(&v[..128], &values()[SHAPE as usize..SHAPE as usize + 128]);
    assert_eq!(reads(&inner), 1);
    // Size and version queries and absent keys cost nothing.
    let _ = Array::open(z.clone(), "/missing");
    assert_eq!(reads(&inner), 0);
    // Opening the array again: one read.
    Array::open(z, "/")?;
    assert_eq!(reads(&inner), 1);
    Ok(())
}

#[test]
fn array_open_and_chunk_reads_async() -> R {
    let inner = archive(false)?;
    futures::executor::block_on(async {
        let adapter = Arc::new(SyncToAsyncAdapter::inline(inner.clone()));
        let z = Arc::new(
            AsyncZipStore::open(adapter, StoreKey::new("a.zip")?, ZipStoreOptions::new()).await?,
        );
        assert_eq!(reads(&inner), 1);
        let a = Array::open_async(z.clone(), "/").await?;
        assert_eq!(reads(&inner), 1);
        assert_eq!(
            a.read_async::<Vec<u8>>(Region::Chunk(vec![1, 2])).await?,
            chunk(1, 2)
        );
        assert_eq!(reads(&inner), 1);
        let all: Vec<u8> = a.read_async(Region::all(&[SHAPE, SHAPE])).await?;
        assert_eq!(all, values());
        // 16 chunks: 1 known, 3 in the tail, 12 read once each.
        assert_eq!(reads(&inner), 13);
        Ok::<(), Box<dyn std::error::Error>>(())
    })
}

#[test]
fn sharded_reads() -> R {
    let inner = archive(true)?;
    let z = Arc::new(ZipStore::open(
        inner.clone(),
        StoreKey::new("a.zip")?,
        ZipStoreOptions::new(),
    )?);
    let a = Array::open(z, "/")?;
    assert_eq!(reads(&inner), 2);
    // An inner chunk of a shard never read: the shard index (with the local header, one
    // read) and the inner chunk (one read).
    let v: Vec<u8> = a.read(Region::InnerChunk(vec![1, 0]))?;
    let want: Vec<u8> = (32..64u64)
        .flat_map(|r| (0..32u64).map(move |c| ((r * SHAPE + c) % 251) as u8 + 1))
        .collect();
    assert_eq!(v, want);
    assert_eq!(reads(&inner), 2);
    // Another inner chunk of the same shard: the index is cached, one read.
    let _: Vec<u8> = a.read(Region::InnerChunk(vec![2, 3]))?;
    assert_eq!(reads(&inner), 1);
    Ok(())
}

#[test]
fn small_archives_are_read_whole() -> R {
    let src = Arc::new(MemoryStore::new());
    let a = ArrayBuilder::new(vec![10, 10], vec![5, 5], "uint8", 0).build(src.clone(), "/")?;
    a.store_metadata()?;
    a.write(Region::all(&[10, 10]), &vec![3u8; 100])?;
    let mut zip = Vec::new();
    write_zip(&*src, &mut zip, &ZipWriteOptions::new())?;
    let m = MemoryStore::new();
    m.set(&StoreKey::new("a.zip")?, Bytes::from(zip))?;
    let inner = Arc::new(PerformanceMetricsAdapter::new(Arc::new(m)));
    let z = Arc::new(ZipStore::open(
        inner.clone(),
        StoreKey::new("a.zip")?,
        ZipStoreOptions::new(),
    )?);
    // The suffix read is out of bounds (an error the store answers), then the whole archive.
    let metrics = inner.metrics();
    assert_eq!((metrics.reads, metrics.errors), (2, 1));
    inner.reset();
    let a = Array::open(z, "/")?;
    assert_eq!(a.read::<Vec<u8>>(Region::all(&[10, 10]))?, vec![3u8; 100]);
    assert_eq!(reads(&inner), 0);
    Ok(())
}

#[test]
fn a_local_extra_field_unlike_the_central_one_costs_one_more_read_once() -> R {
    // Python's force_zip64 archive: ZIP64 extra fields in the local headers only.
    let doc: Value = serde_json::from_str(include_str!("../vectors/zip2.json"))?;
    let a = doc["archives"]
        .as_array()
        .and_then(|v| v.iter().find(|a| a["name"] == "force_zip64"))
        .ok_or("no force_zip64 archive")?;
    let hex = a["zip_hex"].as_str().ok_or("hex")?;
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .filter_map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok())
        .collect();
    let m = MemoryStore::new();
    m.set(&StoreKey::new("a.zip")?, Bytes::from(bytes))?;
    let inner = Arc::new(PerformanceMetricsAdapter::new(Arc::new(m)));
    // A small tail, so that entries are read from the inner store.
    let options = ZipStoreOptions::new().with_tail_read_bytes(100);
    let z = ZipStore::open(inner.clone(), StoreKey::new("a.zip")?, options)?;
    assert_eq!(reads(&inner), 2);
    use zarrkit_core::storage::ReadableStorageExt;
    let k = StoreKey::new("a/c/0")?;
    assert_eq!(z.get(&k)?.map(|v| v.len()), Some(768));
    assert_eq!(reads(&inner), 2);
    assert_eq!(z.get(&k)?.map(|v| v.len()), Some(768));
    assert_eq!(reads(&inner), 1);
    Ok(())
}
