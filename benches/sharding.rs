//! Sharding micro-benchmarks (issue 4) on a `MemoryStore`: write a whole sharded array, read
//! it whole, read one inner chunk, and read 1000 small unaligned regions one after another.
//!
//! Array 128x256x256 uint16 (16 MiB), shards 64x128x128, inner chunks 32^3 with
//! `bytes` + `zstd(3)`, index `bytes` + `crc32c` at the end — the harness's `shard_zstd`
//! encoding, scaled down.
//!
//! Run: `cargo bench --bench sharding`.

// Benchmarks are not library code: failing loudly on a broken set-up is what we want.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use zarrkit::codec_sharding::ShardingCodecBuilder;
use zarrkit::serde_json::{json, Value};
use zarrkit::storage::MemoryStore;
use zarrkit::{Array, ArrayBuilder, ArraySubset, MetadataV3};

const SHAPE: [u64; 3] = [128, 256, 256];
const SHARD: [u64; 3] = [64, 128, 128];
const INNER: [u64; 3] = [32, 32, 32];
const REGION: u64 = 16;
const REGIONS: usize = 1000;

fn md(name: &str, configuration: Value) -> MetadataV3 {
    match configuration {
        Value::Object(m) => MetadataV3::new_with_configuration(name, m),
        _ => MetadataV3::new(name),
    }
}

fn sharded_array() -> Array<MemoryStore> {
    let sharding = ShardingCodecBuilder::new(INNER.to_vec())
        .inner_codecs(vec![
            md("bytes", json!({"endian": "little"})),
            md("zstd", json!({"level": 3, "checksum": false})),
        ])
        .build_metadata()
        .unwrap();
    let a = ArrayBuilder::new(SHAPE.to_vec(), SHARD.to_vec(), "uint16", 0)
        .codecs_metadata(vec![sharding])
        .build(Arc::new(MemoryStore::new()), "/")
        .unwrap();
    a.store_metadata().unwrap();
    a
}

fn regions() -> Vec<ArraySubset> {
    let mut rng = common::Rng::new(7);
    (0..REGIONS)
        .map(|_| {
            let start: Vec<u64> = SHAPE.iter().map(|&s| rng.below(s - REGION + 1)).collect();
            ArraySubset::new(start, vec![REGION; 3]).unwrap()
        })
        .collect()
}

fn benches(c: &mut Criterion) {
    let data = common::volume(SHAPE.map(|s| s as usize));
    let whole = ArraySubset::new_with_shape(SHAPE.to_vec());
    let a = sharded_array();
    a.store_array_subset(&whole, data.clone()).unwrap();
    assert_eq!(
        a.retrieve_array_subset(&whole).unwrap().as_fixed().unwrap(),
        data
    );
    let regions = regions();

    let mut g = c.benchmark_group("sharding");
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.bench_function("write_whole", |b| {
        b.iter_batched(
            || data.clone(),
            |d| a.store_array_subset(&whole, d).unwrap(),
            criterion::BatchSize::LargeInput,
        )
    });
    g.bench_function("read_whole", |b| {
        b.iter(|| a.retrieve_array_subset(&whole).unwrap())
    });
    g.throughput(Throughput::Bytes(INNER.iter().product::<u64>() * 2));
    g.bench_function("read_inner_chunk", |b| {
        b.iter(|| a.retrieve_inner_chunk(&[2, 4, 4]).unwrap())
    });
    g.throughput(Throughput::Bytes(REGION.pow(3) * 2 * REGIONS as u64));
    g.bench_function("read_1000_unaligned_16cubed", |b| {
        b.iter(|| {
            for r in &regions {
                criterion::black_box(a.retrieve_array_subset(r).unwrap());
            }
        })
    });
    g.finish();
}

criterion_group! {
    name = sharding_benches;
    config = common::criterion();
    targets = benches
}
criterion_main!(sharding_benches);
