//! Storage adapters forward every method — no fast path is lost through one — and the
//! atomic-write adapter gives a store without conditional writes lost-update-free
//! read-modify-write.

use std::sync::{Arc, Mutex};

use zarrkit::storage::asynchronous::{AsyncToSyncAdapter, FuturesBlockOn, SyncToAsyncAdapter};
use zarrkit::storage::{
    AtomicWriteAdapter, ByteRange, Bytes, ListDir, ListableStorageTraits, MemoryStore,
    PerformanceMetricsAdapter, ReadResult, ReadableStorageTraits, StoreKey, StorePrefix,
    UsageLogAdapter, Version, WritableStorageTraits,
};
use zarrkit::{Array, ArrayBuilder, ArraySubset, MetadataV3, Region, StorageError};

type R = Result<(), Box<dyn std::error::Error>>;

/// A store that records which of its methods were called, and has no conditional writes.
#[derive(Default)]
struct Recording {
    inner: MemoryStore,
    calls: Mutex<Vec<&'static str>>,
}

impl Recording {
    fn log(&self, m: &'static str) {
        if let Ok(mut c) = self.calls.lock() {
            c.push(m);
        }
    }
    fn take(&self) -> Vec<&'static str> {
        self.calls
            .lock()
            .map(|mut c| std::mem::take(&mut *c))
            .unwrap_or_default()
    }
}

impl ReadableStorageTraits for Recording {
    fn read(
        &self,
        key: &StoreKey,
        ranges: &[ByteRange],
        if_version: Option<&Version>,
    ) -> Result<Option<ReadResult>, StorageError> {
        self.log("read");
        self.inner.read(key, ranges, if_version)
    }
    fn get_into(&self, key: &StoreKey, bufs: &mut [&mut [u8]]) -> Result<bool, StorageError> {
        self.log("get_into");
        self.inner.get_into(key, bufs)
    }
}

impl WritableStorageTraits for Recording {
    fn set(&self, key: &StoreKey, value: Bytes) -> Result<(), StorageError> {
        self.log("set");
        self.inner.set(key, value)
    }
    fn erase(&self, key: &StoreKey) -> Result<(), StorageError> {
        self.log("erase");
        self.inner.erase(key)
    }
    fn erase_prefix(&self, prefix: &StorePrefix) -> Result<(), StorageError> {
        self.log("erase_prefix");
        self.inner.erase_prefix(prefix)
    }
}

impl ListableStorageTraits for Recording {
    fn list_prefix(&self, prefix: &StorePrefix) -> Result<Vec<StoreKey>, StorageError> {
        self.log("list_prefix");
        self.inner.list_prefix(prefix)
    }
    fn list_dir(&self, prefix: &StorePrefix) -> Result<ListDir, StorageError> {
        self.log("list_dir");
        self.inner.list_dir(prefix)
    }
}

fn raw_array<S: ?Sized>(store: Arc<S>) -> Result<Array<S>, zarrkit::ArrayError> {
    ArrayBuilder::new(vec![8, 8], vec![4, 4], "uint16", 0)
        .codecs_metadata(vec![MetadataV3::new_with_configuration(
            "bytes",
            zarrkit::serde_json::json!({"endian": "little"})
                .as_object()
                .cloned()
                .unwrap_or_default(),
        )])
        .build(store, "/")
}

/// Reading whole uncompressed chunks uses the store's scatter read (`get_into`: `readv` on a
/// file) — through every adapter, sync and async.
#[test]
fn adapters_keep_the_scatter_read() -> R {
    let rec = Arc::new(Recording::default());
    let a = raw_array(rec.clone())?;
    let data: Vec<u16> = (0..64).collect();
    a.write(Region::all(&[8, 8]), &data)?;
    rec.take();
    let log = UsageLogAdapter::new(rec.clone(), std::io::sink());
    let metrics = Arc::new(PerformanceMetricsAdapter::new(Arc::new(log)));
    let atomic = Arc::new(AtomicWriteAdapter::new(metrics.clone()));
    let through = a.with_storage(atomic.clone());
    let got: Vec<u16> = through.read(Region::all(&[8, 8]))?;
    assert_eq!(got, data);
    let calls = rec.take();
    assert_eq!(
        calls,
        vec!["get_into"; 4],
        "sync adapters lost the fast path"
    );
    let m = metrics.metrics();
    assert_eq!((m.reads, m.bytes_read), (4, 128));
    // Async: the sync→async adapter runs the inner store's `get_into` on an I/O thread.
    let asy = a.with_storage(Arc::new(SyncToAsyncAdapter::new(atomic)?));
    let got: Vec<u16> = zarrkit::futures::executor::block_on(asy.read_async(Region::all(&[8, 8])))?;
    assert_eq!(got, data);
    assert_eq!(
        rec.take(),
        vec!["get_into"; 4],
        "the async path lost the fast path"
    );
    // And back: async→sync forwards `read` (an async store has no borrowed scatter read).
    let back = Arc::new(AsyncToSyncAdapter::new(
        Arc::new(SyncToAsyncAdapter::inline(rec.clone())),
        FuturesBlockOn,
    ));
    let got: Vec<u16> = a.with_storage(back).read(Region::all(&[8, 8]))?;
    assert_eq!(got, data);
    assert_eq!(rec.take(), vec!["read"; 4]);
    Ok(())
}

/// The usage log names each call with its key and outcome.
#[test]
fn usage_log_lines() -> R {
    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Sink {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .map_err(|_| std::io::ErrorKind::Other)?
                .extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let sink = Sink::default();
    let s = UsageLogAdapter::new(Arc::new(MemoryStore::new()), sink.clone());
    let k = StoreKey::new("a/b")?;
    s.set(&k, Bytes::from_static(b"hello"))?;
    s.read(&k, &[ByteRange::new(1, 2)], None)?;
    s.read(&StoreKey::new("nope")?, &[ByteRange::ALL], None)?;
    let text = String::from_utf8(sink.0.lock().map_err(|_| "poisoned")?.clone())?;
    assert!(text.contains("set a/b (5 bytes) -> ok"), "{text}");
    assert!(text.contains("read a/b [1..3]"), "{text}");
    assert!(
        text.contains("read nope [0..] if_version=None -> absent"),
        "{text}"
    );
    Ok(())
}

/// Writers with their own `Array` (each with its own in-process locks, as separate
/// processes have) updating one chunk at once: through the atomic-write adapter every
/// read-modify-write is a compare-and-swap, and no update is lost.
#[test]
fn atomic_write_adapter_loses_no_updates() -> R {
    let store = Arc::new(AtomicWriteAdapter::new(Arc::new(Recording::default())));
    assert!(store.supports_conditional_writes());
    let a = ArrayBuilder::new(vec![64], vec![64], "uint8", 0)
        .codecs_metadata(vec![
            MetadataV3::new("bytes"),
            MetadataV3::new_with_configuration(
                "zstd",
                zarrkit::serde_json::json!({"level": 1, "checksum": false})
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
            ),
        ])
        .build(store.clone(), "/")?;
    a.store_metadata()?;
    let handles: Vec<_> = (0..8u64)
        .map(|t| {
            let store = store.clone();
            std::thread::spawn(move || -> Result<(), String> {
                let mine = Array::open(store, "/").map_err(|e| e.to_string())?;
                for i in 0..8u64 {
                    let e = t * 8 + i;
                    mine.write(
                        &ArraySubset::new(vec![e], vec![1]).map_err(|e| e.to_string())?,
                        &[e as u8 + 1],
                    )
                    .map_err(|e| e.to_string())?;
                }
                Ok(())
            })
        })
        .collect();
    for h in handles {
        h.join().map_err(|_| "a writer panicked")??;
    }
    let got: Vec<u8> = a.read(Region::all(&[64]))?;
    let want: Vec<u8> = (1..=64).collect();
    assert_eq!(got, want, "updates were lost");
    Ok(())
}
