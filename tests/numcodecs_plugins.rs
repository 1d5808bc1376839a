//! The variable-size data types and the numcodecs-compatible codecs through the facade:
//! whole-array round trips through a store with codec chains given as metadata, and a
//! reopen from the stored `zarr.json`.

use std::sync::Arc;

use zarrkit::serde_json::{json, Map, Value};
use zarrkit::{Array, ArrayBuilder, ArrayBytes, ArraySubset, MetadataV3};
use zarrkit_core::storage::MemoryStore;

type R = Result<(), Box<dyn std::error::Error>>;

fn codec(name: &str, conf: Value) -> MetadataV3 {
    match conf {
        Value::Object(m) => MetadataV3::new_with_configuration(name, m),
        _ => MetadataV3::new_with_configuration(name, Map::new()),
    }
}

fn variable(elements: &[Vec<u8>]) -> ArrayBytes {
    let mut bytes = Vec::new();
    let mut offsets = vec![0];
    for e in elements {
        bytes.extend_from_slice(e);
        offsets.push(bytes.len());
    }
    ArrayBytes::Variable { bytes, offsets }
}

fn round_trip_variable(
    data_type: &str,
    fill: Value,
    codecs: Vec<MetadataV3>,
    fill_bytes: &[u8],
) -> R {
    let store = Arc::new(MemoryStore::new());
    let a = ArrayBuilder::new(vec![7, 5], vec![3, 2], data_type, fill)
        .codecs_metadata(codecs)
        .build(store.clone(), "/v")?;
    a.store_metadata()?;
    let elements: Vec<Vec<u8>> = (0..35)
        .map(|i| match i % 4 {
            0 => Vec::new(),
            1 => "héllo ✓".repeat(i).into_bytes(),
            2 => vec![b'x'; 300],
            _ => format!("{i}").into_bytes(),
        })
        .collect();
    let all = ArraySubset::new_with_shape(vec![7, 5]);
    a.store_array_subset(&all, variable(&elements))?;
    let reopened = Array::open(store, "/v")?;
    assert_eq!(reopened.retrieve_array_subset(&all)?, variable(&elements));
    // A region, and an unwritten one reading the fill value.
    let part = ArraySubset::new_with_ranges(&[1..3, 2..4])?;
    let expected: Vec<Vec<u8>> = [7, 8, 12, 13]
        .iter()
        .map(|&i| elements[i].clone())
        .collect();
    assert_eq!(reopened.retrieve_array_subset(&part)?, variable(&expected));
    // Chunks never written read as the fill value (as parsed from the stored metadata).
    let m: Value = zarrkit::serde_json::from_slice(&reopened.metadata_json())?;
    let vlen = if data_type == "string" {
        "vlen-utf8"
    } else {
        "vlen-bytes"
    };
    let e = ArrayBuilder::new(vec![3], vec![2], data_type, m["fill_value"].clone())
        .codecs_metadata(vec![codec(vlen, json!({}))])
        .build(Arc::new(MemoryStore::new()), "/e")?;
    let got = e.retrieve_array_subset(&ArraySubset::new_with_shape(vec![3]))?;
    assert_eq!(got, variable(&vec![fill_bytes.to_vec(); 3]));
    Ok(())
}

#[test]
fn string_arrays_round_trip() -> R {
    round_trip_variable(
        "string",
        json!("NA"),
        vec![
            codec("vlen-utf8", json!({})),
            codec("numcodecs.zlib", json!({"level": 5})),
            codec("numcodecs.adler32", json!({})),
        ],
        b"NA",
    )
}

#[test]
fn bytes_arrays_round_trip() -> R {
    round_trip_variable(
        "variable_length_bytes",
        json!("AP8Q"),
        vec![
            codec("vlen-bytes", json!({})),
            codec("numcodecs.bz2", json!({"level": 9})),
            codec("numcodecs.fletcher32", json!({})),
        ],
        &[0, 255, 16],
    )
}

#[test]
fn numeric_chain_round_trips_and_metadata_keeps_names() -> R {
    let store = Arc::new(MemoryStore::new());
    let codecs = vec![
        codec("delta", json!({"dtype": "<i4"})),
        codec("bytes", json!({"endian": "little"})),
        codec("shuffle", json!({"elementsize": 4})),
        codec("lz4", json!({"acceleration": 1})),
    ];
    let a = ArrayBuilder::new(vec![20, 33], vec![8, 10], "int32", 0)
        .codecs_metadata(codecs)
        .build(store.clone(), "/n")?;
    a.store_metadata()?;
    let data: Vec<i32> = (0..660).map(|i| i * 3 - 1000).collect();
    let all = ArraySubset::new_with_shape(vec![20, 33]);
    a.store_array_subset_elements(&all, &data)?;
    let b = Array::open(store, "/n")?;
    assert_eq!(b.retrieve_array_subset_elements::<i32>(&all)?, data);
    let m: Value = zarrkit::serde_json::from_slice(&b.metadata_json())?;
    let names: Vec<&str> = m["codecs"]
        .as_array()
        .ok_or("codecs")?
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(names, ["delta", "bytes", "shuffle", "lz4"]);
    Ok(())
}

#[test]
fn packbits_and_bitround() -> R {
    let store = Arc::new(MemoryStore::new());
    let a = ArrayBuilder::new(vec![13], vec![5], "bool", false)
        .codecs_metadata(vec![codec(
            "packbits",
            json!({"padding_encoding": "first_byte"}),
        )])
        .build(store.clone(), "/b")?;
    a.store_metadata()?;
    let v: Vec<bool> = (0..13).map(|i| i % 3 == 0).collect();
    let all = ArraySubset::new_with_shape(vec![13]);
    a.store_array_subset_elements(&all, &v)?;
    assert_eq!(
        Array::open(store.clone(), "/b")?.retrieve_array_subset_elements::<bool>(&all)?,
        v
    );

    let f = ArrayBuilder::new(vec![4], vec![4], "float32", 0.0)
        .codecs_metadata(vec![
            codec("bitround", json!({"keepbits": 5})),
            codec("bytes", json!({"endian": "little"})),
            codec("numcodecs.zlib", json!({"level": 1})),
        ])
        .build(store, "/f")?;
    let all = ArraySubset::new_with_shape(vec![4]);
    f.store_array_subset_elements(&all, &[std::f32::consts::PI, 1.0, -2.718_281_7, 0.1])?;
    // numcodecs BitRound(5) of the same values.
    let expected: Vec<f32> = [0x4048_0000u32, 0x3f80_0000, 0xc02c_0000, 0x3dcc_0000]
        .iter()
        .map(|b| f32::from_bits(*b))
        .collect();
    assert_eq!(f.retrieve_array_subset_elements::<f32>(&all)?, expected);
    Ok(())
}
