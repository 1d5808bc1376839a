//! Shared test helpers: the arrays every test writes.

#![allow(dead_code)]

use std::sync::Arc;

use zarrkit_codec_sharding::ShardingCodecBuilder;
use zarrkit_core::serde_json::{json, Value};
use zarrkit_core::{Array, ArrayBuilder, MetadataV3};

// Link the plugins the arrays resolve by name.
use zarrkit_codec_bytes as _;
use zarrkit_codec_crc32c as _;
use zarrkit_codec_gzip as _;
use zarrkit_dtype_numeric as _;
use zarrkit_grid_regular as _;
use zarrkit_key_default as _;

pub type Error = Box<dyn std::error::Error + Send + Sync>;
pub type R = Result<(), Error>;

pub fn md(name: &str, v: Value) -> MetadataV3 {
    match v {
        Value::Object(m) => MetadataV3::new_with_configuration(name, m),
        _ => MetadataV3::new(name),
    }
}

pub fn bytes_le() -> MetadataV3 {
    md("bytes", json!({"endian": "little"}))
}

pub fn gzip() -> MetadataV3 {
    md("gzip", json!({"level": 5}))
}

/// `/plain`: 64×64 uint32 in 16×16 chunks (bytes + crc32c: 1 028-byte chunks, stored as
/// chunk objects); `/sharded`: 32×32 shards of 8×8 inner chunks (V3 sharding, index at the
/// end); `/sharded_gzip`: the same with `[bytes, gzip]` inner chunks; `/tiny`: 8×8 uint8 in
/// 4×4 chunks (16 bytes: inlined in icechunk's manifest).
pub fn create_arrays<S: ?Sized + zarrkit_core::storage::WritableStorageTraits + 'static>(
    store: &Arc<S>,
) -> Result<Vec<Array<S>>, Error> {
    let plain = ArrayBuilder::new(vec![64, 64], vec![16, 16], "uint32", 0)
        .codecs_metadata(vec![bytes_le(), md("crc32c", Value::Null)])
        .build(store.clone(), "/plain")?;
    let sharded = ArrayBuilder::new(vec![64, 64], vec![32, 32], "uint32", 0)
        .codecs_metadata(vec![ShardingCodecBuilder::new(vec![8, 8]).build_metadata()?])
        .build(store.clone(), "/sharded")?;
    let sharded_gzip = ArrayBuilder::new(vec![64, 64], vec![32, 32], "uint32", 0)
        .codecs_metadata(vec![ShardingCodecBuilder::new(vec![8, 8])
            .inner_codecs(vec![bytes_le(), gzip()])
            .build_metadata()?])
        .build(store.clone(), "/sharded_gzip")?;
    let tiny = ArrayBuilder::new(vec![8, 8], vec![4, 4], "uint8", 0)
        .codecs_metadata(vec![bytes_le()])
        .build(store.clone(), "/tiny")?;
    Ok(vec![plain, sharded, sharded_gzip, tiny])
}

pub fn pattern(seed: u32) -> Vec<u32> {
    (0..64 * 64u32)
        .map(|i| i.wrapping_mul(2654435761) ^ seed)
        .collect()
}

pub fn tiny_pattern(seed: u8) -> Vec<u8> {
    (0..64u8).map(|i| i.wrapping_mul(7) ^ seed).collect()
}
