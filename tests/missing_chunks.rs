//! The missing-chunk policy: a chunk that is not stored reads as the fill value (the Zarr
//! default) or, with `CodecOptions::fill_missing_chunks` off, is a typed error naming its
//! key — sync and async, fixed and variable size, plain and sharded arrays.

use std::sync::Arc;

use zarrkit::codec_sharding::ShardingCodecBuilder;
use zarrkit::futures::executor::block_on;
use zarrkit::serde_json::json;
use zarrkit::storage::asynchronous::SyncToAsyncAdapter;
use zarrkit::storage::MemoryStore;
use zarrkit::{Array, ArrayBuilder, ArrayError, ArraySubset, CodecOptions, MetadataV3};

type R = Result<(), Box<dyn std::error::Error>>;

fn strict() -> CodecOptions {
    CodecOptions::default().with_fill_missing_chunks(false)
}

fn expect_missing<T: std::fmt::Debug>(r: Result<T, ArrayError>, key: &str) {
    let got = match &r {
        Err(ArrayError::MissingChunk { key: k }) => Some(k.as_str()),
        _ => None,
    };
    assert_eq!(got, Some(key), "expected a missing chunk {key}, got {r:?}");
}

#[test]
fn fixed_size_sync_and_async() -> R {
    for compressed in [false, true] {
        let store = Arc::new(MemoryStore::new());
        let bytes = MetadataV3::new_with_configuration(
            "bytes",
            json!({"endian": "little"})
                .as_object()
                .cloned()
                .unwrap_or_default(),
        );
        let mut b = ArrayBuilder::new(vec![4, 4], vec![2, 2], "uint16", 7);
        b = b.codecs_metadata(vec![bytes.clone()]);
        if compressed {
            b = b.codecs_metadata(vec![
                bytes,
                MetadataV3::new_with_configuration(
                    "zstd",
                    json!({"level": 1, "checksum": false})
                        .as_object()
                        .cloned()
                        .unwrap_or_default(),
                ),
            ]);
        }
        let a = b.build(store.clone(), "/a")?;
        a.store_metadata()?;
        // Only chunk (0, 0) is stored.
        a.write(ArraySubset::new(vec![0, 0], vec![2, 2])?, &vec![1u16; 4])?;
        let all = ArraySubset::new_with_shape(vec![4, 4]);
        let filled: Vec<u16> = a.read(all.clone())?;
        assert_eq!(filled.iter().filter(|&&v| v == 7).count(), 12);
        // The stored chunk alone reads under the strict policy...
        let one: Vec<u16> = a.read_opt(ArraySubset::new(vec![0, 0], vec![2, 2])?, &strict())?;
        assert_eq!(one, [1; 4]);
        // ...anything touching a missing one is an error naming it.
        expect_missing(
            a.read_opt::<Vec<u16>>(ArraySubset::new(vec![0, 2], vec![1, 1])?, &strict()),
            "a/c/0/1",
        );
        assert!(matches!(
            a.read_opt::<Vec<u16>>(all.clone(), &strict()),
            Err(ArrayError::MissingChunk { .. })
        ));
        let aa = Array::open_async(Arc::new(SyncToAsyncAdapter::new(store.clone())?), "/a");
        let aa = block_on(aa)?;
        let v: Vec<u16> = block_on(aa.read_async(all.clone()))?;
        assert_eq!(v, filled);
        expect_missing(
            block_on(
                aa.read_async_opt::<Vec<u16>>(ArraySubset::new(vec![2, 2], vec![2, 2])?, &strict()),
            ),
            "a/c/1/1",
        );
        // A whole missing chunk through the chunk API.
        expect_missing(a.retrieve_chunk_opt(&[1, 0], &strict()), "a/c/1/0");
    }
    Ok(())
}

#[test]
fn variable_size() -> R {
    let store = Arc::new(MemoryStore::new());
    let a = ArrayBuilder::new(vec![4], vec![2], "string", "")
        .codecs_metadata(vec![MetadataV3::new("vlen-utf8")])
        .build(store.clone(), "/s")?;
    a.write(
        ArraySubset::new(vec![0], vec![2])?,
        &vec!["a".to_string(), "b".into()],
    )?;
    let v: Vec<String> = a.read(ArraySubset::new_with_shape(vec![4]))?;
    assert_eq!(v, ["a", "b", "", ""]);
    expect_missing(
        a.read_opt::<Vec<String>>(ArraySubset::new_with_shape(vec![4]), &strict()),
        "s/c/1",
    );
    Ok(())
}

/// A missing shard is a missing chunk; an inner chunk the stored shard's index marks
/// empty is part of stored data and reads as the fill value.
#[test]
fn sharded() -> R {
    let store = Arc::new(MemoryStore::new());
    let a = ArrayBuilder::new(vec![8], vec![4], "int32", -1)
        .codecs_metadata(vec![ShardingCodecBuilder::new(vec![2]).build_metadata()?])
        .build(store.clone(), "/h")?;
    // Shard 0 holds inner chunk 0 only (inner chunk 1 is the fill value, so not stored).
    a.write(ArraySubset::new(vec![0], vec![2])?, &vec![5i32, 6])?;
    let first: Vec<i32> = a.read_opt(ArraySubset::new(vec![0], vec![4])?, &strict())?;
    assert_eq!(first, [5, 6, -1, -1]);
    expect_missing(
        a.read_opt::<Vec<i32>>(ArraySubset::new(vec![4], vec![1])?, &strict()),
        "h/c/1",
    );
    Ok(())
}
