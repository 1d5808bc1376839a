//! Quickstart: create a zstd-compressed Zarr V3 array on the filesystem, write it, read a
//! subset back, and print what happened.
//!
//! Run with `cargo run --example quickstart [-- DIR]` (default: a temporary directory).

use std::sync::Arc;

use zarrkit::serde_json::{json, Map, Value};
use zarrkit::store_filesystem::FilesystemStore;
use zarrkit::{ArrayBuilder, ArraySubset, GroupBuilder, MetadataV3};

fn config(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = match std::env::args().nth(1) {
        Some(d) => std::path::PathBuf::from(d),
        None => {
            std::env::temp_dir().join(format!("zarrkit-quickstart-{}.zarr", std::process::id()))
        }
    };
    let store = Arc::new(FilesystemStore::new(&dir)?);

    // A root group with an attribute.
    let group = GroupBuilder::new()
        .attributes(config(json!({"description": "zarrkit quickstart"})))
        .build(store.clone(), "/")?;
    group.store_metadata()?;

    // A 1000 x 1000 float32 array in 100 x 100 chunks, compressed with zstd level 3.
    let array = ArrayBuilder::new(vec![1000, 1000], vec![100, 100], "float32", "NaN")
        .codecs_metadata(vec![
            MetadataV3::new_with_configuration("bytes", config(json!({"endian": "little"}))),
            MetadataV3::new_with_configuration(
                "zstd",
                config(json!({"level": 3, "checksum": false})),
            ),
        ])
        .dimension_names(["y", "x"])
        .attributes(config(json!({"units": "kelvin"})))
        .build(store.clone(), "/temperature")?;
    array.store_metadata()?;

    // Write the whole array in one call: chunks are encoded in parallel.
    let data: Vec<f32> = (0..1_000_000u32)
        .map(|i| 273.15 + (i % 1000) as f32 * 0.01 + (i / 1000) as f32)
        .collect();
    let whole = ArraySubset::new_with_shape(array.shape().to_vec());
    let t = std::time::Instant::now();
    array.store_array_subset_elements(&whole, &data)?;
    println!(
        "wrote {} x {} float32 ({} chunks) in {:.1?}",
        1000,
        1000,
        array.chunk_grid_shape().iter().product::<u64>(),
        t.elapsed()
    );

    // Read back a region that straddles four chunks.
    let region = ArraySubset::new_with_ranges(&[95..105, 195..205])?;
    let t = std::time::Instant::now();
    let part: Vec<f32> = array.retrieve_array_subset_elements(&region)?;
    println!(
        "read region {region} ({} elements) in {:.1?}",
        part.len(),
        t.elapsed()
    );
    for (i, v) in part.iter().enumerate() {
        let (y, x) = (95 + i as u64 / 10, 195 + i as u64 % 10);
        if *v != data[(y * 1000 + x) as usize] {
            return Err(format!("mismatch at ({y}, {x})").into());
        }
    }
    println!("first row of the region: {:?}", &part[..10]);

    // Re-open from the store, as another program would.
    match zarrkit::Node::open(store.clone(), "/temperature")? {
        zarrkit::Node::Array(a) => println!(
            "re-opened {}: shape {:?}, data type {}, codecs {:?}, dimension names {:?}",
            a.path(),
            a.shape(),
            a.data_type().name(),
            a.codecs()
                .create_metadatas()
                .iter()
                .map(|c| c.name().to_string())
                .collect::<Vec<_>>(),
            a.dimension_names()
        ),
        zarrkit::Node::Group(_) => return Err("expected an array".into()),
    }
    let stored = store.root().join("temperature/c/0/0");
    println!(
        "chunk c/0/0 is {} bytes on disk (40000 decoded); store at {}",
        std::fs::metadata(&stored)?.len(),
        dir.display()
    );
    println!("quickstart OK");
    Ok(())
}
