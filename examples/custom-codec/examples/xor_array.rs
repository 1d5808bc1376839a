//! Use the third-party `example.xor` codec by name from array metadata.
//!
//! `cargo run -p zarrkit-example-custom-codec --example xor_array`

use std::sync::Arc;

use zarrkit::serde_json::json;
use zarrkit::storage::{MemoryStore, ReadableStorageExt, StoreKey};
use zarrkit::{Array, ArraySubset};
// Linking the plugin crate is all it takes to register its codec.
use zarrkit_example_custom_codec as _;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let store = Arc::new(MemoryStore::new());
    let metadata = json!({
        "zarr_format": 3, "node_type": "array", "shape": [4, 4], "data_type": "uint8",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [2, 2]}},
        "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
        "fill_value": 0,
        "codecs": [{"name": "bytes"}, {"name": "example.xor", "configuration": {"key": 255}}]
    });
    let metadata = zarrkit::ArrayMetadataV3::from_json(metadata.to_string().as_bytes(), "/")?;
    let array = Array::new_with_metadata(store.clone(), "/", metadata)?;
    array.store_metadata()?;
    let data: Vec<u8> = (1..=16).collect();
    array.store_array_subset_elements(&ArraySubset::new_with_shape(vec![4, 4]), &data)?;
    let raw = store
        .get(&StoreKey::new("c/0/0")?)?
        .ok_or("chunk c/0/0 missing")?;
    println!("stored chunk c/0/0: {raw:?} (elements 1, 2, 5, 6 XOR 255)");
    if raw != vec![254, 253, 250, 249] {
        return Err("unexpected encoded bytes".into());
    }
    let reopened = Array::open(store, "/")?;
    let back: Vec<u8> =
        reopened.retrieve_array_subset_elements(&ArraySubset::new_with_shape(vec![4, 4]))?;
    println!("read back: {back:?}");
    if back != data {
        return Err("round trip failed".into());
    }
    println!("custom codec OK");
    Ok(())
}
