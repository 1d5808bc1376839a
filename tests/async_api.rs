//! The async API: every region and output type reads and writes the same data as the sync
//! API; fetched chunks decode on the rayon pool in parallel; a dropped future leaves no
//! half-written chunk and no decode writing into freed memory.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use zarrkit::codec::{Bytes, BytesRepresentation, BytesToBytesCodecTraits, Codec, CodecTraits};
use zarrkit::codec_sharding::ShardingCodecBuilder;
use zarrkit::futures::executor::block_on;
use zarrkit::registry::{CodecPlugin, CODECS};
use zarrkit::serde_json::{json, Map, Value};
use zarrkit::storage::asynchronous::SyncToAsyncAdapter;
use zarrkit::storage::MemoryStore;
use zarrkit::{
    Array, ArrayBuilder, ArrayBytes, ArraySubset, CodecError, CodecOptions, MetadataV3,
    PluginError, Region,
};

type R = Result<(), Box<dyn std::error::Error>>;

fn md(name: &str, v: Value) -> MetadataV3 {
    match v {
        Value::Object(m) => MetadataV3::new_with_configuration(name, m),
        _ => MetadataV3::new(name),
    }
}

fn sharded(store: Arc<MemoryStore>) -> Result<Array<MemoryStore>, Box<dyn std::error::Error>> {
    let inner = vec![
        md("bytes", json!({"endian": "little"})),
        md("zstd", json!({"level": 1, "checksum": false})),
    ];
    Ok(ArrayBuilder::new(vec![40, 50], vec![16, 20], "int32", 0)
        .codecs_metadata(vec![ShardingCodecBuilder::new(vec![4, 5])
            .inner_codecs(inner)
            .build_metadata()?])
        .build(store, "/a")?)
}

fn data() -> Vec<i32> {
    (0..40 * 50).map(|i| i * 3 - 7).collect()
}

#[test]
fn async_reads_equal_sync_reads_for_every_region() -> R {
    let store = Arc::new(MemoryStore::new());
    let a = sharded(store.clone())?;
    a.store_metadata()?;
    a.write(ArraySubset::new_with_shape(vec![40, 50]), &data())?;
    let async_store = Arc::new(SyncToAsyncAdapter::new(store.clone())?);
    let b = block_on(Array::open_async(async_store, "/a"))?;
    let regions = [
        Region::all(&[40, 50]),
        Region::ranges(&[3..37, 7..44])?,
        Region::Chunk(vec![2, 2]),
        Region::Chunks(ArraySubset::new_with_ranges(&[1..3, 0..2])?),
        Region::ChunkSubset(vec![1, 1], ArraySubset::new_with_ranges(&[2..9, 3..17])?),
        Region::InnerChunk(vec![3, 4]),
        Region::InnerChunks(ArraySubset::new_with_ranges(&[1..4, 2..5])?),
        Region::ranges(&[5..5, 0..50])?,
    ];
    for r in &regions {
        let sync: Vec<i32> = a.read(r)?;
        let asy: Vec<i32> = block_on(b.read_async(r))?;
        assert_eq!(sync, asy, "{r:?}");
        let bytes: ArrayBytes = block_on(b.read_async(r))?;
        assert_eq!(
            bytes.as_fixed().map(<[u8]>::len),
            Some(sync.len() * 4),
            "{r:?}"
        );
    }
    // One I/O request at a time works too (and decodes in order).
    let o = CodecOptions::default().with_io_concurrency(1);
    let all: Vec<i32> = block_on(b.read_async_opt(Region::all(&[40, 50]), &o))?;
    assert_eq!(all, data());
    Ok(())
}

#[test]
fn async_writes_are_read_back() -> R {
    let store = Arc::new(MemoryStore::new());
    let a = sharded(store.clone())?;
    let async_store = Arc::new(SyncToAsyncAdapter::inline(store.clone()));
    let b = a.with_storage(async_store);
    block_on(b.store_metadata_async())?;
    block_on(b.write_async(Region::all(&[40, 50]), data()))?;
    assert_eq!(a.read::<Vec<i32>>(Region::all(&[40, 50]))?, data());
    // A partial write (read-modify-write of two shards) and an in-chunk write.
    let region = ArraySubset::new_with_ranges(&[10..20, 15..25])?;
    block_on(b.write_async(&region, vec![1i32; 100]))?;
    block_on(b.write_async(
        Region::ChunkSubset(vec![0, 0], ArraySubset::new_with_ranges(&[0..1, 0..2])?),
        vec![9i32, 9],
    ))?;
    let got: Vec<i32> = a.read(Region::all(&[40, 50]))?;
    let mut want = data();
    for i in 10..20 {
        for j in 15..25 {
            want[i * 50 + j] = 1;
        }
    }
    want[0] = 9;
    want[1] = 9;
    assert_eq!(got, want);
    // A typed mismatch is an error, not a write.
    assert!(block_on(b.write_async(&region, vec![1u8; 100])).is_err());
    Ok(())
}

#[test]
fn async_strings() -> R {
    let store = Arc::new(MemoryStore::new());
    let a = ArrayBuilder::new(vec![7, 5], vec![3, 2], "string", "")
        .codecs_metadata(vec![MetadataV3::new("vlen-utf8")])
        .build(store.clone(), "/s")?;
    let b = a.with_storage(Arc::new(SyncToAsyncAdapter::inline(store)));
    let words: Vec<String> = (0..35).map(|i| format!("w{i}é")).collect();
    block_on(b.write_async(Region::all(&[7, 5]), words.clone()))?;
    let back: Vec<String> = block_on(b.read_async(Region::all(&[7, 5])))?;
    assert_eq!(back, words);
    let part: Vec<String> = block_on(b.read_async(Region::ranges(&[1..4, 1..4])?))?;
    assert_eq!(part[0], "w6é");
    assert_eq!(a.read::<Vec<String>>(Region::ranges(&[1..4, 1..4])?)?, part);
    Ok(())
}

/// A bytes→bytes codec that sleeps while decoding and records how many decodes ran at once.
#[derive(Debug)]
struct SlowCodec;

static RUNNING: AtomicUsize = AtomicUsize::new(0);
static MAX_RUNNING: AtomicUsize = AtomicUsize::new(0);
static ON_RAYON: AtomicUsize = AtomicUsize::new(0);

impl CodecTraits for SlowCodec {
    fn name(&self) -> &str {
        "test.slow"
    }
    fn configuration(&self) -> Option<Map<String, Value>> {
        None
    }
}

impl BytesToBytesCodecTraits for SlowCodec {
    fn encoded_representation(&self, decoded: &BytesRepresentation) -> BytesRepresentation {
        *decoded
    }
    fn encode(&self, input: Vec<u8>, _: &CodecOptions) -> Result<Vec<u8>, CodecError> {
        Ok(input)
    }
    fn decode(
        &self,
        input: Bytes,
        _: &BytesRepresentation,
        _: &CodecOptions,
    ) -> Result<Bytes, CodecError> {
        let now = RUNNING.fetch_add(1, Ordering::SeqCst) + 1;
        MAX_RUNNING.fetch_max(now, Ordering::SeqCst);
        if zarrkit::rayon::current_thread_index().is_some() {
            ON_RAYON.fetch_add(1, Ordering::SeqCst);
        }
        std::thread::sleep(Duration::from_millis(30));
        RUNNING.fetch_sub(1, Ordering::SeqCst);
        Ok(input)
    }
}

fn create_slow(_: &MetadataV3) -> Result<Codec, PluginError> {
    Ok(Codec::BytesToBytes(Arc::new(SlowCodec)))
}

/// The proof that the async API decodes in parallel: 8 chunks of a codec that sleeps 30 ms
/// decode on rayon threads, more than one at a time (rayon's pool has a thread per core;
/// with one core it is one at a time, so the check needs two).
#[test]
fn async_reads_decode_chunks_in_parallel_on_the_rayon_pool() -> R {
    CODECS.register(CodecPlugin::new("test.slow", create_slow));
    let store = Arc::new(MemoryStore::new());
    let a = ArrayBuilder::new(vec![8, 16], vec![1, 16], "uint8", 0)
        .codecs_metadata(vec![MetadataV3::new("bytes"), MetadataV3::new("test.slow")])
        .build(store.clone(), "/p")?;
    a.write(Region::all(&[8, 16]), &vec![3u8; 128])?;
    let b = a.with_storage(Arc::new(SyncToAsyncAdapter::new(store)?));
    MAX_RUNNING.store(0, Ordering::SeqCst);
    ON_RAYON.store(0, Ordering::SeqCst);
    let v: Vec<u8> = block_on(b.read_async(Region::all(&[8, 16])))?;
    assert_eq!(v, vec![3u8; 128]);
    assert_eq!(
        ON_RAYON.load(Ordering::SeqCst),
        8,
        "every decode on the rayon pool"
    );
    if zarrkit::rayon::current_num_threads() > 1 {
        assert!(
            MAX_RUNNING.load(Ordering::SeqCst) > 1,
            "decodes ran one at a time"
        );
    }
    Ok(())
}

/// Dropping a read's future after its first poll (decodes and I/O may still be running on
/// their threads) is safe, and the store stays consistent.
#[test]
fn dropped_futures_are_safe() -> R {
    use zarrkit::futures::FutureExt;
    let store = Arc::new(MemoryStore::new());
    let a = sharded(store.clone())?;
    a.write(ArraySubset::new_with_shape(vec![40, 50]), &data())?;
    let b = a.with_storage(Arc::new(SyncToAsyncAdapter::new(store.clone())?));
    for _ in 0..20 {
        let r = b
            .read_async::<Vec<i32>>(Region::all(&[40, 50]))
            .now_or_never();
        if let Some(r) = r {
            assert_eq!(r?, data());
        }
        let w = b
            .write_async(Region::ranges(&[0..40, 0..50])?, vec![4i32; 2000])
            .now_or_never();
        drop(w);
    }
    // Let the last cancelled tasks finish, then every chunk is whole: old data or new.
    std::thread::sleep(Duration::from_millis(200));
    let got: Vec<i32> = a.read(Region::all(&[40, 50]))?;
    for (i, (g, d)) in got.iter().zip(data()).enumerate() {
        assert!(
            *g == d || *g == 4,
            "element {i} is {g}: neither old nor new"
        );
    }
    Ok(())
}
