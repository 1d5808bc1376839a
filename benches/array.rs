//! Chunk and subset assembly micro-benchmarks on a `MemoryStore` (no I/O): reading the whole
//! array, reading an unaligned subset, and storing the whole array, uncompressed (`raw`:
//! pure assembly cost) and with zstd. `memcpy` of the same number of bytes is the floor.
//!
//! Run: `cargo bench --bench array`.

// Benchmarks are not library code: failing loudly on a broken set-up is what we want.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use zarrkit::serde_json::{json, Value};
use zarrkit::storage::MemoryStore;
use zarrkit::{Array, ArrayBuilder, ArraySubset, MetadataV3};

const SHAPE: [u64; 3] = [128, 256, 256];
const CHUNK: [u64; 3] = [64, 64, 64];

fn md(name: &str, configuration: Value) -> MetadataV3 {
    match configuration {
        Value::Object(m) => MetadataV3::new_with_configuration(name, m),
        _ => MetadataV3::new(name),
    }
}

fn codecs(enc: &str) -> Vec<MetadataV3> {
    let mut v = vec![md("bytes", json!({"endian": "little"}))];
    if enc == "zstd" {
        v.push(md("zstd", json!({"level": 3, "checksum": false})));
    }
    v
}

fn array(enc: &str, data: &[u8]) -> Array<MemoryStore> {
    let a = ArrayBuilder::new(SHAPE.to_vec(), CHUNK.to_vec(), "uint16", 0)
        .codecs_metadata(codecs(enc))
        .build(Arc::new(MemoryStore::new()), "/")
        .unwrap();
    a.store_metadata().unwrap();
    a.store_array_subset(&ArraySubset::new_with_shape(SHAPE.to_vec()), data.to_vec())
        .unwrap();
    a
}

fn benches(c: &mut Criterion) {
    let data = common::volume(SHAPE.map(|s| s as usize));
    let whole = ArraySubset::new_with_shape(SHAPE.to_vec());
    let unaligned =
        ArraySubset::new(vec![10, 30, 17], vec![100, 200, 184]).expect("a valid subset");
    let unaligned_bytes = unaligned.num_elements() * 2;

    let mut g = c.benchmark_group("array");
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.bench_function("memcpy_whole", |b| b.iter(|| data.to_vec()));
    for enc in ["raw", "zstd"] {
        let a = array(enc, &data);
        assert_eq!(
            a.retrieve_array_subset(&whole).unwrap().as_fixed().unwrap(),
            data
        );
        g.throughput(Throughput::Bytes(data.len() as u64));
        g.bench_function(format!("retrieve_whole/{enc}"), |b| {
            b.iter(|| a.retrieve_array_subset(&whole).unwrap())
        });
        g.throughput(Throughput::Bytes(unaligned_bytes));
        g.bench_function(format!("retrieve_unaligned/{enc}"), |b| {
            b.iter(|| a.retrieve_array_subset(&unaligned).unwrap())
        });
        g.throughput(Throughput::Bytes(data.len() as u64));
        g.bench_function(format!("store_whole/{enc}"), |b| {
            b.iter_batched(
                || data.clone(),
                |d| a.store_array_subset(&whole, d).unwrap(),
                criterion::BatchSize::LargeInput,
            )
        });
    }
    g.finish();
}

criterion_group! {
    name = array_benches;
    config = common::criterion();
    targets = benches
}
criterion_main!(array_benches);
