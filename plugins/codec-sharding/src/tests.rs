use std::sync::atomic::{AtomicU64, Ordering};

use proptest::prelude::*;
use zarrkit_codec_bytes as _;
use zarrkit_codec_crc32c as _;
use zarrkit_codec_gzip as _;
use zarrkit_codec_transpose as _;
use zarrkit_codec_zstd as _;
use zarrkit_core::serde_json::json;
use zarrkit_core::storage::{
    MemoryStore, ReadResult, ReadableStorageExt, ReadableStorageTraits, StoreKey, StorePrefix,
    Version, WritableStorageTraits,
};
use zarrkit_core::{Array, ArrayBuilder, StorageError};
use zarrkit_dtype_numeric as _;
use zarrkit_grid_regular as _;
use zarrkit_key_default as _;

use super::*;

type R = Result<(), Box<dyn std::error::Error>>;
type CorruptFixture = (Arc<MemoryStore>, Array<MemoryStore>, Vec<u8>);

/// A store that counts the bytes it returns.
#[derive(Default)]
struct CountingStore {
    inner: MemoryStore,
    bytes_read: AtomicU64,
    requests: AtomicU64,
}

impl CountingStore {
    fn reset(&self) {
        self.bytes_read.store(0, Ordering::SeqCst);
        self.requests.store(0, Ordering::SeqCst);
    }
}

impl ReadableStorageTraits for CountingStore {
    fn read(
        &self,
        key: &StoreKey,
        ranges: &[ByteRange],
        if_version: Option<&Version>,
    ) -> Result<Option<ReadResult>, StorageError> {
        self.requests.fetch_add(1, Ordering::SeqCst);
        let v = self.inner.read(key, ranges, if_version)?;
        let n: u64 = v
            .iter()
            .flat_map(|r| &r.bytes)
            .map(|x| x.len() as u64)
            .sum();
        self.bytes_read.fetch_add(n, Ordering::SeqCst);
        Ok(v)
    }
}

/// Writes of a test store wrapper go straight to its `inner` store.
macro_rules! writes_to_inner {
    ($t:ty) => {
        impl WritableStorageTraits for $t {
            fn set(&self, key: &StoreKey, value: Bytes) -> Result<(), StorageError> {
                self.inner.set(key, value)
            }
            fn erase(&self, key: &StoreKey) -> Result<(), StorageError> {
                self.inner.erase(key)
            }
            fn erase_prefix(&self, prefix: &StorePrefix) -> Result<(), StorageError> {
                self.inner.erase_prefix(prefix)
            }
        }
    };
}

writes_to_inner!(CountingStore);

/// A store in which another writer replaces a shard right after a reader's first request
/// (the race between reading a shard's index and reading the inner chunks it points at).
#[derive(Default)]
struct RacingStore {
    inner: MemoryStore,
    replace_after_read: std::sync::Mutex<Option<(StoreKey, Bytes)>>,
    reads: AtomicU64,
}

impl ReadableStorageTraits for RacingStore {
    fn read(
        &self,
        key: &StoreKey,
        ranges: &[ByteRange],
        if_version: Option<&Version>,
    ) -> Result<Option<ReadResult>, StorageError> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        let r = self.inner.read(key, ranges, if_version);
        let pending = self
            .replace_after_read
            .lock()
            .map_err(|_| StorageError::Other("poisoned".into()))?
            .take();
        if let Some((k, bytes)) = pending {
            if &k == key {
                self.inner.set(&k, bytes)?;
            }
        }
        r
    }
}

writes_to_inner!(RacingStore);

fn sharding(inner: &[u64], codecs: Value, location: &str) -> Result<MetadataV3, PluginError> {
    let c = json!({
        "chunk_shape": inner,
        "codecs": codecs,
        "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "crc32c"}],
        "index_location": location,
    });
    Ok(md(NAME, c))
}

fn bytes_le() -> Value {
    json!([{"name": "bytes", "configuration": {"endian": "little"}}])
}

fn sharded_u16<S: ?Sized>(
    store: Arc<S>,
    shape: Vec<u64>,
    shard: Vec<u64>,
    inner: &[u64],
    codecs: Value,
    location: &str,
) -> Result<Array<S>, Box<dyn std::error::Error>> {
    Ok(ArrayBuilder::new(shape, shard, "uint16", 0)
        .codecs_metadata(vec![sharding(inner, codecs, location)?])
        .build(store, "/")?)
}

/// Write pseudo-random values over a whole `n` x `n` uint16 array; returns them.
fn store_hashed<S: ReadableStorageTraits + WritableStorageTraits + ?Sized + 'static>(
    a: &Array<S>,
    n: u32,
) -> Result<Vec<u16>, Box<dyn std::error::Error>> {
    let data: Vec<u16> = (0..n * n)
        .map(|i| (i.wrapping_mul(2654435761u32) >> 16) as u16)
        .collect();
    let side = u64::from(n);
    a.store_array_subset_elements(&ArraySubset::new_with_shape(vec![side, side]), &data)?;
    Ok(data)
}

#[test]
fn reading_one_inner_chunk_reads_little() -> R {
    // 256 inner chunks (16 x 16) of 8 x 8 uint16 in one 128 x 128 shard, zstd compressed.
    let store = Arc::new(CountingStore::default());
    let codecs = json!([{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "zstd", "configuration": {"level": 1, "checksum": false}}]);
    let a = sharded_u16(
        store.clone(),
        vec![128, 128],
        vec![128, 128],
        &[8, 8],
        codecs,
        "end",
    )?;
    let data = store_hashed(&a, 128)?;
    assert!(a.is_sharded());
    assert_eq!(a.inner_chunk_shape(), Some(vec![8, 8]));
    assert_eq!(a.inner_chunk_grid_shape(), Some(vec![16, 16]));
    // Find the encoded size of inner chunk (5, 7) from the index.
    let shard = store
        .inner
        .get(&StoreKey::new("c/0/0")?)?
        .ok_or("no shard")?;
    let index_size = 256 * 16 + 4;
    let codec = ShardingCodec::new(ShardingCodecConfiguration {
        chunk_shape: vec![8, 8],
        codecs: vec![],
        index_codecs: vec![],
        index_location: IndexLocation::End,
    });
    assert!(codec.is_err(), "empty codec lists must be rejected");
    let entry = shard.len() - index_size + (5 * 16 + 7) * 16;
    let nbytes = u64::from_le_bytes(shard[entry + 8..entry + 16].try_into()?);
    store.reset();
    let v: Vec<u16> = a.retrieve_inner_chunk_elements(&[5, 7])?;
    let read = store.bytes_read.load(Ordering::SeqCst);
    assert!(
        read <= index_size as u64 + 2 * nbytes,
        "read {read} bytes; index {index_size} + inner chunk {nbytes}"
    );
    assert!(store.requests.load(Ordering::SeqCst) <= 2);
    let expect: Vec<u16> = ArraySubset::new_with_ranges(&[40..48, 56..64])?
        .indices()
        .map(|i| data[(i[0] * 128 + i[1]) as usize])
        .collect();
    assert_eq!(v, expect);
    Ok(())
}

/// A shard replaced between the index read and the inner-chunk reads: the second request
/// demands the version the first one saw, the store answers "changed", and the read starts
/// again — it returns the new shard's values, never the old index over the new bytes.
#[test]
fn partial_reads_see_one_version_of_a_shard() -> R {
    let codecs = json!([{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "zstd", "configuration": {"level": 1, "checksum": false}}]);
    // The replacement: the same array holding other values, inner chunks of other sizes.
    let other = Arc::new(MemoryStore::new());
    let b = sharded_u16(
        other.clone(),
        vec![64, 64],
        vec![64, 64],
        &[8, 8],
        codecs.clone(),
        "end",
    )?;
    let new_data: Vec<u16> = (0..64 * 64u32).map(|i| (i * 7 % 1000) as u16).collect();
    b.store_array_subset_elements(&ArraySubset::new_with_shape(vec![64, 64]), &new_data)?;
    let key = StoreKey::new("c/0/0")?;
    let new_shard = other.get(&key)?.ok_or("no shard")?;

    let store = Arc::new(RacingStore::default());
    let a = sharded_u16(
        store.clone(),
        vec![64, 64],
        vec![64, 64],
        &[8, 8],
        codecs,
        "end",
    )?;
    let _old_data = store_hashed(&a, 64)?;
    *store.replace_after_read.lock().map_err(|_| "poisoned")? = Some((key, new_shard));
    store.reads.store(0, Ordering::SeqCst);
    // An unaligned region: a partial read of several inner chunks.
    let region = ArraySubset::new_with_ranges(&[5..29, 3..40])?;
    let got: Vec<u16> = a.retrieve_array_subset_elements(&region)?;
    let new: Vec<u16> = region
        .indices()
        .map(|i| new_data[(i[0] * 64 + i[1]) as usize])
        .collect();
    assert_eq!(got, new, "the read mixed two versions of the shard");
    // Index, data (changed), then index and data again.
    assert_eq!(store.reads.load(Ordering::SeqCst), 4);
    Ok(())
}

/// The shard-index cache is on by default and valid across writers it does not see: a
/// shard rewritten behind the array's back (another process) is noticed by the very request
/// that reads the inner chunks, and read again.
#[test]
fn cached_shard_index_notices_foreign_writes() -> R {
    let store = Arc::new(CountingStore::default());
    let a = sharded_u16(
        store.clone(),
        vec![32, 32],
        vec![32, 32],
        &[8, 8],
        bytes_le(),
        "end",
    )?;
    let data: Vec<u16> = (0..32 * 32u32).map(|i| i as u16).collect();
    a.store_array_subset_elements(&ArraySubset::new_with_shape(vec![32, 32]), &data)?;
    let v: Vec<u16> = a.retrieve_inner_chunk_elements(&[0, 0])?;
    assert_eq!(v[9], data[32 + 1]);
    // Another writer (a second array on the same store, with caches of its own).
    let b = sharded_u16(
        store.clone(),
        vec![32, 32],
        vec![32, 32],
        &[8, 8],
        bytes_le(),
        "end",
    )?;
    b.store_array_subset_elements(
        &ArraySubset::new_with_shape(vec![32, 32]),
        &vec![5u16; 1024],
    )?;
    store.reset();
    let v: Vec<u16> = a.retrieve_inner_chunk_elements(&[0, 0])?;
    assert_eq!(v, vec![5u16; 64], "a stale cached index served old data");
    // The cached index's request failed as changed, then index + inner chunk again.
    assert_eq!(store.requests.load(Ordering::SeqCst), 3);
    store.reset();
    let _: Vec<u16> = a.retrieve_inner_chunk_elements(&[1, 1])?;
    assert_eq!(
        store.requests.load(Ordering::SeqCst),
        1,
        "one request with a warm cache"
    );
    Ok(())
}

#[test]
fn layout_is_spec_exact() -> R {
    // 4 x 4 uint16 shard of 2 x 2 inner chunks, index at start, inner codecs [bytes].
    let store = Arc::new(MemoryStore::new());
    let a = sharded_u16(
        store.clone(),
        vec![4, 4],
        vec![4, 4],
        &[2, 2],
        bytes_le(),
        "start",
    )?;
    let data: Vec<u16> = (1..=16).collect();
    // Leave inner chunk (1, 1) as fill.
    let mut d = data.clone();
    for i in [10, 11, 14, 15] {
        d[i] = 0;
    }
    a.store_array_subset_elements(&ArraySubset::new_with_shape(vec![4, 4]), &d)?;
    let shard = store.get(&StoreKey::new("c/0/0")?)?.ok_or("no shard")?;
    let index_size = 4 * 16 + 4;
    assert_eq!(shard.len(), index_size + 3 * 8);
    let entry = |i: usize| -> Result<(u64, u64), Box<dyn std::error::Error>> {
        Ok((
            u64::from_le_bytes(shard[i * 16..i * 16 + 8].try_into()?),
            u64::from_le_bytes(shard[i * 16 + 8..i * 16 + 16].try_into()?),
        ))
    };
    assert_eq!(entry(0)?, (68, 8));
    assert_eq!(entry(1)?, (76, 8));
    assert_eq!(entry(2)?, (84, 8));
    assert_eq!(entry(3)?, (EMPTY, EMPTY));
    // Inner chunk (0, 1) holds elements 3, 4, 7, 8.
    assert_eq!(&shard[76..84], &[3, 0, 4, 0, 7, 0, 8, 0]);
    let crc = u32::from_le_bytes(shard[64..68].try_into()?);
    assert_ne!(crc, 0);
    let back: Vec<u16> =
        a.retrieve_array_subset_elements(&ArraySubset::new_with_shape(vec![4, 4]))?;
    assert_eq!(back, d);
    Ok(())
}

/// The inner chunk coordinates of a 12 x 8 shard of 4 x 4 inner chunks (index at the end)
/// in the order their bytes appear in the data section.
fn physical_order(shard: &[u8]) -> Result<Vec<[u64; 2]>, Box<dyn std::error::Error>> {
    let index = &shard[shard.len() - (6 * 16 + 4)..];
    let mut by_offset = Vec::new();
    for i in 0..6 {
        let o = u64::from_le_bytes(index[i * 16..i * 16 + 8].try_into()?);
        by_offset.push((o, [i as u64 / 2, i as u64 % 2]));
    }
    by_offset.sort_unstable();
    Ok(by_offset.into_iter().map(|(_, c)| c).collect())
}

#[test]
fn subchunk_write_order_lays_out_the_data_section() -> R {
    use zarrkit_core::config::SubchunkWriteOrder as O;
    // zarr-python 3.4.2's test_encoded_subchunk_write_order: a (3, 2) grid of inner chunks,
    // whose expected orders are its `_subchunk_order_iter` for each setting.
    let cases = [
        (
            O::Lexicographic,
            [[0, 0], [0, 1], [1, 0], [1, 1], [2, 0], [2, 1]],
        ),
        (
            O::Colexicographic,
            [[0, 0], [1, 0], [2, 0], [0, 1], [1, 1], [2, 1]],
        ),
        (O::Morton, [[0, 0], [1, 0], [0, 1], [1, 1], [2, 0], [2, 1]]),
    ];
    let data: Vec<u16> = (1..=96).collect();
    let all = ArraySubset::new_with_shape(vec![12, 8]);
    for (order, expected) in cases {
        let store = Arc::new(MemoryStore::new());
        let a = sharded_u16(
            store.clone(),
            vec![12, 8],
            vec![12, 8],
            &[4, 4],
            bytes_le(),
            "end",
        )?;
        let opts = CodecOptions::default().with_subchunk_write_order(order);
        a.store_array_subset_elements_opt(&all, &data, &opts)?;
        let shard = store.get(&StoreKey::new("c/0/0")?)?.ok_or("no shard")?;
        assert_eq!(physical_order(&shard)?, expected, "{order:?}");
        assert_eq!(
            a.retrieve_array_subset_elements::<u16>(&all)?,
            data,
            "{order:?}"
        );
        // A partial write re-assembles the shard in the same order and keeps the rest.
        let part = ArraySubset::new_with_ranges(&[4..8, 0..4])?;
        a.store_array_subset_elements_opt(&part, &[7u16; 16], &opts)?;
        let shard = store.get(&StoreKey::new("c/0/0")?)?.ok_or("no shard")?;
        assert_eq!(
            physical_order(&shard)?,
            expected,
            "{order:?} after a partial write"
        );
        let mut want = data.clone();
        for r in 4..8 {
            for c in 0..4 {
                want[r * 8 + c] = 7;
            }
        }
        assert_eq!(
            a.retrieve_array_subset_elements::<u16>(&all)?,
            want,
            "{order:?}"
        );
    }
    Ok(())
}

#[test]
fn all_fill_shard_is_not_stored_and_partial_write_keeps_other_inner_chunks() -> R {
    let store = Arc::new(MemoryStore::new());
    let codecs = json!([{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "gzip", "configuration": {"level": 1}}]);
    let a = sharded_u16(
        store.clone(),
        vec![8, 8],
        vec![8, 8],
        &[2, 2],
        codecs,
        "end",
    )?;
    a.store_array_subset_elements(&ArraySubset::new_with_shape(vec![8, 8]), &[0u16; 64])?;
    assert!(store.get(&StoreKey::new("c/0/0")?)?.is_none());
    let data: Vec<u16> = (100..164).collect();
    a.store_array_subset_elements(&ArraySubset::new_with_shape(vec![8, 8]), &data)?;
    let before = store.get(&StoreKey::new("c/0/0")?)?.ok_or("no shard")?;
    // Overwrite one element in inner chunk (3, 3): only that inner chunk is re-encoded.
    a.store_array_subset_elements(&ArraySubset::new_with_ranges(&[7..8, 7..8])?, &[1u16])?;
    let after = store.get(&StoreKey::new("c/0/0")?)?.ok_or("no shard")?;
    let codec = a.codecs().array_to_bytes().clone();
    let repr = a.chunk_representation(&[0, 0])?;
    let _ = codec.encoded_representation(&repr)?;
    // The first 15 inner chunks' bytes are unchanged (same offsets, same bytes).
    let n_first: usize = 15;
    let index_size = 16 * 16 + 4;
    let idx_b = &before[before.len() - index_size..];
    let idx_a = &after[after.len() - index_size..];
    for i in 0..n_first {
        let (o, n) = (
            u64::from_le_bytes(idx_b[i * 16..i * 16 + 8].try_into()?) as usize,
            u64::from_le_bytes(idx_b[i * 16 + 8..i * 16 + 16].try_into()?) as usize,
        );
        let (o2, n2) = (
            u64::from_le_bytes(idx_a[i * 16..i * 16 + 8].try_into()?) as usize,
            u64::from_le_bytes(idx_a[i * 16 + 8..i * 16 + 16].try_into()?) as usize,
        );
        assert_eq!(
            &before[o..o + n],
            &after[o2..o2 + n2],
            "inner chunk {i} changed"
        );
    }
    let mut expect = data.clone();
    expect[63] = 1;
    let back: Vec<u16> =
        a.retrieve_array_subset_elements(&ArraySubset::new_with_shape(vec![8, 8]))?;
    assert_eq!(back, expect);
    // Writing fill over everything erases the shard.
    a.store_array_subset_elements(&ArraySubset::new_with_ranges(&[0..8, 0..8])?, &[0u16; 64])?;
    assert!(store.get(&StoreKey::new("c/0/0")?)?.is_none());
    Ok(())
}

#[test]
fn nested_sharding_and_edges() -> R {
    let store = Arc::new(MemoryStore::new());
    let inner_sharding = json!([{"name": NAME, "configuration": {
        "chunk_shape": [2, 2],
        "codecs": [{"name": "bytes", "configuration": {"endian": "big"}}],
        "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}}],
        "index_location": "start"
    }}]);
    let a = sharded_u16(
        store,
        vec![13, 11],
        vec![8, 8],
        &[4, 4],
        inner_sharding,
        "end",
    )?;
    let data: Vec<u16> = (0..143).collect();
    a.store_array_subset_elements(&ArraySubset::new_with_shape(vec![13, 11]), &data)?;
    let back: Vec<u16> =
        a.retrieve_array_subset_elements(&ArraySubset::new_with_shape(vec![13, 11]))?;
    assert_eq!(back, data);
    let s = ArraySubset::new_with_ranges(&[3..10, 2..9])?;
    let part: Vec<u16> = a.retrieve_array_subset_elements(&s)?;
    let expect: Vec<u16> = s
        .indices()
        .map(|i| data[(i[0] * 11 + i[1]) as usize])
        .collect();
    assert_eq!(part, expect);
    Ok(())
}

fn corrupt_store(location: &str) -> Result<CorruptFixture, Box<dyn std::error::Error>> {
    let store = Arc::new(MemoryStore::new());
    let a = sharded_u16(
        store.clone(),
        vec![4, 4],
        vec![4, 4],
        &[2, 2],
        bytes_le(),
        location,
    )?;
    let data: Vec<u16> = (1..=16).collect();
    a.store_array_subset_elements(&ArraySubset::new_with_shape(vec![4, 4]), &data)?;
    let shard = store.get(&StoreKey::new("c/0/0")?)?.ok_or("no shard")?;
    Ok((store, a, Vec::from(shard)))
}

fn crc_fix(shard: &mut [u8], index_at: usize) {
    // Recompute the index crc32c (Castagnoli) so only the entry edit is "wrong".
    let body = &shard[index_at..index_at + 64];
    let mut crc = !0u32;
    for &b in body {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0x82f6_3b78
            } else {
                crc >> 1
            };
        }
    }
    shard[index_at + 64..index_at + 68].copy_from_slice(&(!crc).to_le_bytes());
}

/// Two index entries pointing at the same bytes (a writer storing identical inner chunks
/// once) read as two equal inner chunks, whole and partially; partly overlapping entries
/// stay an error.
#[test]
fn deduplicated_inner_chunks_are_read() -> R {
    let key = StoreKey::new("c/0/0")?;
    let (store, a, shard) = corrupt_store("end")?;
    // Index at the end: 4 entries of (offset, nbytes); point entry 1 at entry 0's bytes.
    let at = shard.len() - 68;
    let mut dedup = shard.clone();
    let entry0 = dedup[at..at + 16].to_vec();
    dedup[at + 16..at + 32].copy_from_slice(&entry0);
    crc_fix(&mut dedup, at);
    store.set(&key, dedup.to_vec().into())?;
    let got: Vec<u16> =
        a.retrieve_array_subset_elements(&ArraySubset::new_with_shape(vec![4, 4]))?;
    // Inner chunk (0, 1) now holds inner chunk (0, 0)'s values: 1, 2 / 5, 6.
    assert_eq!(
        got,
        vec![1, 2, 1, 2, 5, 6, 5, 6, 9, 10, 11, 12, 13, 14, 15, 16]
    );
    let part: Vec<u16> =
        a.retrieve_array_subset_elements(&ArraySubset::new_with_ranges(&[1..2, 1..3])?)?;
    assert_eq!(part, vec![6, 5]);
    // Partly overlapping: entry 1 starts inside entry 0.
    let mut bad = shard.clone();
    bad[at + 16..at + 24].copy_from_slice(&4u64.to_le_bytes());
    crc_fix(&mut bad, at);
    store.set(&key, bad.to_vec().into())?;
    assert!(a
        .retrieve_array_subset(&ArraySubset::new_with_shape(vec![4, 4]))
        .is_err());
    Ok(())
}

#[test]
fn hostile_shards_are_errors() -> R {
    let key = StoreKey::new("c/0/0")?;
    let whole = ArraySubset::new_with_shape(vec![4, 4]);
    let one = ArraySubset::new_with_ranges(&[0..1, 0..1])?;
    // Shorter than the index.
    let (store, a, shard) = corrupt_store("end")?;
    store.set(&key, (shard[..40]).to_vec().into())?;
    let e = a
        .retrieve_array_subset(&whole)
        .err()
        .ok_or("short shard accepted")?;
    assert!(e.to_string().contains("c/0/0"), "{e}");
    assert!(a.retrieve_array_subset(&one).is_err());
    // Index crc32c mismatch.
    let mut bad = shard.clone();
    let at = bad.len() - 68;
    bad.swap(at, at + 16);
    store.set(&key, bad.to_vec().into())?;
    assert!(a.retrieve_array_subset(&whole).is_err());
    assert!(a.retrieve_array_subset(&one).is_err());
    // Entry past the end (valid crc).
    let mut bad = shard.clone();
    bad[at..at + 8].copy_from_slice(&(u64::MAX - 3).to_le_bytes());
    crc_fix(&mut bad, at);
    store.set(&key, bad.to_vec().into())?;
    assert!(a.retrieve_array_subset(&whole).is_err());
    assert!(a.retrieve_array_subset(&one).is_err());
    // Entry overlapping the index (index at end).
    let mut bad = shard.clone();
    bad[at..at + 8].copy_from_slice(&(28u64).to_le_bytes());
    crc_fix(&mut bad, at);
    store.set(&key, bad.to_vec().into())?;
    assert!(a.retrieve_array_subset(&whole).is_err());
    // Inner chunk of the wrong size (nbytes 6 instead of 8).
    let mut bad = shard.clone();
    bad[at + 8..at + 16].copy_from_slice(&(6u64).to_le_bytes());
    crc_fix(&mut bad, at);
    store.set(&key, bad.to_vec().into())?;
    assert!(a.retrieve_array_subset(&whole).is_err());
    assert!(a.retrieve_array_subset(&one).is_err());
    // Index at start: an entry pointing into the index.
    let (store, a, shard) = corrupt_store("start")?;
    let mut bad = shard.clone();
    bad[0..8].copy_from_slice(&(0u64).to_le_bytes());
    crc_fix(&mut bad, 0);
    store.set(&key, bad.to_vec().into())?;
    assert!(a.retrieve_array_subset(&whole).is_err());
    assert!(a.retrieve_array_subset(&one).is_err());
    Ok(())
}

#[test]
fn bad_configuration() -> R {
    let m = sharding(&[3, 3], bytes_le(), "end")?;
    // A shard shape that is not a multiple of the inner chunk shape fails when bound.
    let store = Arc::new(MemoryStore::new());
    assert!(ArrayBuilder::new(vec![8, 8], vec![4, 4], "uint16", 0)
        .codecs_metadata(vec![m])
        .build(store.clone(), "/")
        .is_err());
    let bad_loc = md(
        NAME,
        json!({"chunk_shape": [2, 2], "codecs": bytes_le(), "index_codecs": bytes_le(), "index_location": "middle"}),
    );
    assert!(zarrkit_core::registry::create_codec(&bad_loc).is_err());
    let compressed_index = md(
        NAME,
        json!({"chunk_shape": [2, 2], "codecs": bytes_le(),
        "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "gzip", "configuration": {"level": 1}}]}),
    );
    assert!(ArrayBuilder::new(vec![8, 8], vec![4, 4], "uint16", 0)
        .codecs_metadata(vec![compressed_index])
        .build(store, "/")
        .is_err());
    Ok(())
}

#[test]
fn builder_round_trip() -> R {
    let m = ShardingCodecBuilder::new(vec![2, 2])
        .index_location(IndexLocation::Start)
        .build_metadata()?;
    let c = zarrkit_core::registry::create_codec(&m)?;
    assert_eq!(c.name(), NAME);
    let conf = m.configuration().ok_or("no configuration")?;
    assert_eq!(conf.get("index_location"), Some(&json!("start")));
    Ok(())
}

fn subset_in(shape: Vec<u64>) -> impl Strategy<Value = ArraySubset> {
    let parts: Vec<_> = shape
        .iter()
        .map(|&n| (0..n).prop_flat_map(move |s| (Just(s), 1..=n - s)))
        .collect();
    parts.prop_map(|v| {
        let r: Vec<_> = v.iter().map(|(s, l)| *s..s + l).collect();
        ArraySubset::new_with_ranges(&r).unwrap_or_default()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]
    #[test]
    fn random_writes_match_plain_array(writes in prop::collection::vec((subset_in(vec![14, 10]), any::<u8>()), 1..10), read in subset_in(vec![14, 10])) {
        let f = |e: Box<dyn std::error::Error>| TestCaseError::fail(e.to_string());
        let sharded_store = Arc::new(MemoryStore::new());
        let codecs = json!([{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "zstd", "configuration": {"level": 1, "checksum": true}}]);
        let s = sharded_u16(sharded_store, vec![14, 10], vec![6, 4], &[3, 2], codecs, "start").map_err(f)?;
        let p = ArrayBuilder::new(vec![14, 10], vec![14, 10], "uint16", 0).build(Arc::new(MemoryStore::new()), "/").map_err(|e| f(e.into()))?;
        for (sub, v) in &writes {
            let vals: Vec<u16> = (0..sub.num_elements()).map(|i| if *v < 40 { 0 } else { u16::from(*v) * 7 + i as u16 }).collect();
            s.store_array_subset_elements(sub, &vals).map_err(|e| f(e.into()))?;
            p.store_array_subset_elements(sub, &vals).map_err(|e| f(e.into()))?;
        }
        let a: Vec<u16> = s.retrieve_array_subset_elements(&read).map_err(|e| f(e.into()))?;
        let b: Vec<u16> = p.retrieve_array_subset_elements(&read).map_err(|e| f(e.into()))?;
        prop_assert_eq!(a, b);
        let whole = ArraySubset::new_with_shape(vec![14, 10]);
        let a: Vec<u16> = s.retrieve_array_subset_elements(&whole).map_err(|e| f(e.into()))?;
        let b: Vec<u16> = p.retrieve_array_subset_elements(&whole).map_err(|e| f(e.into()))?;
        prop_assert_eq!(a, b);
    }

    #[test]
    fn concurrent_writers_lose_nothing(seeds in prop::collection::vec(prop::collection::vec(subset_in(vec![16, 16]), 1..6), 2..5)) {
        // Each thread owns a distinct value; its subsets may overlap others'. Afterwards
        // every element equals the value of some write that covered it, and elements
        // covered by exactly one thread hold that thread's value: nothing is lost.
        let f = |e: Box<dyn std::error::Error>| TestCaseError::fail(e.to_string());
        let store = Arc::new(MemoryStore::new());
        let a = Arc::new(sharded_u16(store, vec![16, 16], vec![8, 8], &[2, 4], bytes_le(), "end").map_err(f)?);
        let handles: Vec<_> = seeds.iter().enumerate().map(|(t, subs)| {
            let a = a.clone();
            let subs = subs.clone();
            std::thread::spawn(move || -> Result<(), String> {
                for s in subs {
                    let v = vec![t as u16 + 1; s.num_elements() as usize];
                    a.store_array_subset_elements(&s, &v).map_err(|e| e.to_string())?;
                }
                Ok(())
            })
        }).collect();
        for h in handles {
            h.join().map_err(|_| TestCaseError::fail("writer panicked"))?.map_err(TestCaseError::fail)?;
        }
        let got: Vec<u16> = a.retrieve_array_subset_elements(&ArraySubset::new_with_shape(vec![16, 16])).map_err(|e| f(e.into()))?;
        for (lin, idx) in ArraySubset::new_with_shape(vec![16, 16]).indices().enumerate() {
            let owners: Vec<u16> = seeds.iter().enumerate()
                .filter(|(_, subs)| subs.iter().any(|s| s.overlap(&ArraySubset::new_with_ranges(&[idx[0]..idx[0] + 1, idx[1]..idx[1] + 1]).unwrap_or_default()).num_elements() == 1))
                .map(|(t, _)| t as u16 + 1).collect();
            if owners.is_empty() {
                prop_assert_eq!(got[lin], 0);
            } else {
                prop_assert!(owners.contains(&got[lin]), "element {:?} = {} not from {:?}", idx, got[lin], owners);
            }
        }
    }
}

#[test]
fn index_cache_avoids_refetching_and_sees_own_writes() -> R {
    let store = Arc::new(CountingStore::default());
    let a = sharded_u16(
        store.clone(),
        vec![64, 64],
        vec![64, 64],
        &[8, 8],
        bytes_le(),
        "end",
    )?
    .with_partial_decoder_cache(16);
    let data: Vec<u16> = (0..64 * 64u32).map(|i| i as u16).collect();
    a.store_array_subset_elements(&ArraySubset::new_with_shape(vec![64, 64]), &data)?;
    let index_size = 64 * 16 + 4;
    store.reset();
    let _: Vec<u16> = a.retrieve_inner_chunk_elements(&[0, 0])?;
    let first = store.bytes_read.load(Ordering::SeqCst);
    assert_eq!(
        first,
        index_size + 128,
        "first read: index + one inner chunk"
    );
    store.reset();
    for j in 1..8 {
        let v: Vec<u16> = a.retrieve_inner_chunk_elements(&[1, j])?;
        assert_eq!(v[0], data[(8 * 64 + 8 * j) as usize]);
    }
    assert_eq!(
        store.bytes_read.load(Ordering::SeqCst),
        7 * 128,
        "later reads: inner chunks only"
    );
    // A write through the array invalidates the cached index.
    a.store_array_subset_elements(&ArraySubset::new_with_ranges(&[0..8, 0..8])?, &[7u16; 64])?;
    let v: Vec<u16> = a.retrieve_inner_chunk_elements(&[0, 0])?;
    assert_eq!(v, vec![7u16; 64]);
    let v: Vec<u16> = a.retrieve_inner_chunk_elements(&[7, 7])?;
    assert_eq!(v[63], data[64 * 64 - 1]);
    Ok(())
}
