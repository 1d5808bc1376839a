//! Array behaviour through the facade with the default plugins: round trips, edge chunks,
//! fill values, typed access, errors on bad input, and concurrent writers.

use std::sync::Arc;

use proptest::prelude::*;
use zarrkit::serde_json::{json, Map, Value};
use zarrkit::storage::{ReadableStorageExt, StoreKey, WritableStorageTraits};
use zarrkit::{Array, ArrayBuilder, ArrayError, ArraySubset, MetadataV3};
use zarrkit_core::storage::MemoryStore;

type R = Result<(), Box<dyn std::error::Error>>;

fn cfg(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn int32_array(
    store: Arc<MemoryStore>,
    codecs: Vec<MetadataV3>,
) -> Result<Array<MemoryStore>, ArrayError> {
    let mut b = ArrayBuilder::new(vec![20, 33], vec![8, 10], "int32", 0);
    if !codecs.is_empty() {
        b = b.codecs_metadata(codecs);
    }
    let a = b.build(store, "/a")?;
    a.store_metadata()?;
    Ok(a)
}

#[test]
fn whole_array_round_trip_and_edge_chunks() -> R {
    let store = Arc::new(MemoryStore::new());
    let a = int32_array(store.clone(), vec![])?;
    let data: Vec<i32> = (0..660).map(|i| i - 100).collect();
    a.store_array_subset_elements(&ArraySubset::new_with_shape(vec![20, 33]), &data)?;
    let back: Vec<i32> =
        a.retrieve_array_subset_elements(&ArraySubset::new_with_shape(vec![20, 33]))?;
    assert_eq!(back, data);
    // Edge chunks are stored at full size: 8 * 10 * 4 bytes.
    let enc = a
        .retrieve_encoded_chunk(&[2, 3])?
        .ok_or("edge chunk missing")?;
    assert_eq!(enc.len(), 320);
    // The part of the edge chunk outside the array holds the fill value.
    let chunk: Vec<i32> = a.retrieve_chunk_elements(&[2, 3])?;
    assert_eq!(chunk[0], data[16 * 33 + 30]);
    assert_eq!(chunk[3], 0);
    // Re-open and read a subset straddling chunks.
    let b = Array::open(store, "/a")?;
    let s = ArraySubset::new_with_ranges(&[5..13, 7..25])?;
    let part: Vec<i32> = b.retrieve_array_subset_elements(&s)?;
    let expect: Vec<i32> = s
        .indices()
        .map(|i| data[(i[0] * 33 + i[1]) as usize])
        .collect();
    assert_eq!(part, expect);
    Ok(())
}

#[test]
fn fill_chunks_are_not_stored_and_missing_chunks_read_as_fill() -> R {
    let store = Arc::new(MemoryStore::new());
    let a = ArrayBuilder::new(vec![10, 10], vec![5, 5], "int16", -7).build(store.clone(), "/")?;
    a.store_metadata()?;
    assert_eq!(a.retrieve_chunk_if_exists(&[0, 0])?, None);
    let v: Vec<i16> =
        a.retrieve_array_subset_elements(&ArraySubset::new_with_ranges(&[3..7, 3..4])?)?;
    assert_eq!(v, vec![-7; 4]);
    a.store_chunk_elements(&[1, 1], &[-7i16; 25])?;
    assert!(
        store.get(&StoreKey::new("c/1/1")?)?.is_none(),
        "fill chunk stored"
    );
    a.store_chunk_elements(&[1, 1], &[3i16; 25])?;
    assert!(store.get(&StoreKey::new("c/1/1")?)?.is_some());
    // Writing the fill value again erases it.
    a.store_array_subset_elements(
        &ArraySubset::new_with_ranges(&[5..10, 5..10])?,
        &[-7i16; 25],
    )?;
    assert!(store.get(&StoreKey::new("c/1/1")?)?.is_none());
    // Unless asked to store it.
    let opts = zarrkit::CodecOptions::default().with_store_empty_chunks(true);
    a.store_chunk_opt(&[0, 0], [0xf9u8, 0xff].repeat(25), &opts)?;
    assert!(store.get(&StoreKey::new("c/0/0")?)?.is_some());
    a.erase_chunk(&[0, 0])?;
    assert!(a.retrieve_encoded_chunk(&[0, 0])?.is_none());
    Ok(())
}

#[test]
fn zero_d_and_zero_length() -> R {
    let store = Arc::new(MemoryStore::new());
    let a = ArrayBuilder::new(vec![], vec![], "float64", 2.5).build(store.clone(), "/s")?;
    a.store_metadata()?;
    let v: Vec<f64> = a.retrieve_array_subset_elements(&ArraySubset::new_with_shape(vec![]))?;
    assert_eq!(v, vec![2.5]);
    a.store_array_subset_elements(&ArraySubset::new_with_shape(vec![]), &[4.0f64])?;
    assert!(store.get(&StoreKey::new("s/c")?)?.is_some());
    let v: Vec<f64> = a.retrieve_array_subset_elements(&ArraySubset::new_with_shape(vec![]))?;
    assert_eq!(v, vec![4.0]);
    let z = ArrayBuilder::new(vec![0, 5], vec![2, 2], "uint8", 0).build(store, "/z")?;
    let v: Vec<u8> = z.retrieve_array_subset_elements(&ArraySubset::new_with_shape(vec![0, 5]))?;
    assert!(v.is_empty());
    Ok(())
}

#[test]
fn typed_access_is_checked() -> R {
    let store = Arc::new(MemoryStore::new());
    let a = int32_array(store, vec![])?;
    let s = ArraySubset::new_with_shape(vec![2, 2]);
    assert!(matches!(
        a.retrieve_array_subset_elements::<f32>(&s),
        Err(ArrayError::ElementTypeMismatch { .. })
    ));
    assert!(matches!(
        a.store_array_subset_elements::<u32>(&s, &[1, 2, 3, 4]),
        Err(ArrayError::ElementTypeMismatch { .. })
    ));
    assert!(matches!(
        a.store_array_subset_elements::<i32>(&s, &[1, 2, 3]),
        Err(ArrayError::InvalidBytesLength { .. })
    ));
    assert!(a
        .retrieve_array_subset(&ArraySubset::new_with_ranges(&[0..21, 0..1])?)
        .is_err());
    assert!(a.retrieve_chunk(&[3, 0]).is_err());
    assert!(a.retrieve_chunk(&[0]).is_err());
    Ok(())
}

#[test]
fn corrupt_chunks_give_errors_naming_the_key() -> R {
    let store = Arc::new(MemoryStore::new());
    let a = int32_array(store.clone(), vec![])?;
    a.store_array_subset_elements(&ArraySubset::new_with_shape(vec![20, 33]), &vec![5i32; 660])?;
    let key = StoreKey::new("a/c/1/1")?;
    let enc = store.get(&key)?.ok_or("missing")?;
    store.set(&key, enc.slice(..enc.len() - 1))?;
    let e = a
        .retrieve_array_subset(&ArraySubset::new_with_shape(vec![20, 33]))
        .err()
        .ok_or("truncated chunk read without error")?;
    assert!(e.to_string().contains("a/c/1/1"), "{e}");
    // A partial read of the damaged chunk fails too.
    assert!(a
        .retrieve_array_subset(&ArraySubset::new_with_ranges(&[9..10, 11..12])?)
        .is_err());
    // An oversized chunk too.
    store.set(&key, (vec![0u8; 321]).to_vec().into())?;
    assert!(a.retrieve_chunk(&[1, 1]).is_err());
    Ok(())
}

/// Uncompressed chunks of a file store are read straight into the output (`readv`, on the
/// I/O threads): same values as the decoding path, fill for missing chunks, and a clear
/// error for a chunk file of the wrong size.
#[test]
fn uncompressed_chunks_read_straight_into_the_output() -> R {
    use zarrkit::config::CodecOptions;
    use zarrkit::store_filesystem::FilesystemStore;
    let dir = tempfile::tempdir()?;
    let store = Arc::new(FilesystemStore::new(dir.path())?);
    let shape = vec![9u64, 10, 11];
    let a =
        ArrayBuilder::new(shape.clone(), vec![4, 3, 5], "uint16", 7).build(store.clone(), "/r")?;
    a.store_metadata()?;
    // Chunks of the first 4 planes written, the rest missing (fill 7).
    let head = ArraySubset::new_with_ranges(&[0..4, 0..10, 0..11])?;
    let vals: Vec<u16> = (0..head.num_elements())
        .map(|i| (i * 3 + 1) as u16)
        .collect();
    a.store_array_subset_elements(&head, &vals)?;
    let all = ArraySubset::new_with_shape(shape.clone());
    let want: Vec<u16> = all
        .indices()
        .map(|i| {
            if i[0] < 4 {
                vals[((i[0] * 10 + i[1]) * 11 + i[2]) as usize]
            } else {
                7
            }
        })
        .collect();
    for io in [1, 3, 8] {
        let opts = CodecOptions::default().with_io_concurrency(io);
        let got = a.retrieve_array_subset_opt(&all, &opts)?;
        let got: Vec<u16> = got
            .as_fixed()
            .ok_or("fixed")?
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        assert_eq!(got, want, "io_concurrency {io}");
    }
    // An unaligned region (partial chunks at its edges) agrees too.
    let part = ArraySubset::new_with_ranges(&[1..8, 2..9, 3..11])?;
    let got: Vec<u16> = a.retrieve_array_subset_elements(&part)?;
    let expect: Vec<u16> = part
        .indices()
        .map(|i| want[((i[0] * 10 + i[1]) * 11 + i[2]) as usize])
        .collect();
    assert_eq!(got, expect);
    // A truncated chunk file is an error naming the chunk.
    let key = StoreKey::new("r/c/0/1/1")?;
    let enc = store.get(&key)?.ok_or("chunk missing")?;
    store.set(&key, (enc[..enc.len() - 2]).to_vec().into())?;
    let e = a
        .retrieve_array_subset(&all)
        .err()
        .ok_or("truncated chunk read without error")?;
    assert!(e.to_string().contains("r/c/0/1/1"), "{e}");
    Ok(())
}

#[test]
fn bad_metadata_is_rejected_with_location() -> R {
    let store = Arc::new(MemoryStore::new());
    let good = json!({
        "zarr_format": 3, "node_type": "array", "shape": [4], "data_type": "int32",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [2]}},
        "chunk_key_encoding": {"name": "default"}, "fill_value": 0,
        "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}]
    });
    let cases: Vec<(&str, Value, &str)> = vec![
        ("/fill_value", json!(1.5), "fill value"),
        ("/data_type", json!("x-float23"), "x-float23"),
        ("/codecs", json!([{"name": "x-nope"}]), "x-nope"),
        ("/codecs", json!([]), "codecs"),
        (
            "/codecs",
            json!([{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "bytes", "configuration": {"endian": "little"}}]),
            "second array->bytes",
        ),
        ("/codecs", json!([{"name": "bytes"}]), "endian"),
        (
            "/chunk_grid",
            json!({"name": "regular", "configuration": {"chunk_shape": [2, 2]}}),
            "rank",
        ),
        ("/shape", json!([-4]), "shape"),
        (
            "/chunk_key_encoding",
            json!({"name": "default", "configuration": {"separator": "-"}}),
            "separator",
        ),
    ];
    for (ptr, v, needle) in cases {
        let mut m = good.clone();
        *m.pointer_mut(ptr).ok_or("pointer")? = v;
        store.set(
            &StoreKey::new("zarr.json")?,
            (m.to_string().as_bytes()).to_vec().into(),
        )?;
        match Array::open(store.clone(), "/") {
            Ok(_) => return Err(format!("accepted {ptr} {m}").into()),
            Err(e) => assert!(e.to_string().contains(needle), "{ptr}: {e}"),
        }
    }
    store.set(
        &StoreKey::new("zarr.json")?,
        (good.to_string().as_bytes()).to_vec().into(),
    )?;
    Array::open(store, "/")?;
    Ok(())
}

#[test]
fn unknown_optional_codec_is_skipped() -> R {
    let store = Arc::new(MemoryStore::new());
    let m = json!({
        "zarr_format": 3, "node_type": "array", "shape": [4], "data_type": "uint8",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [2]}},
        "chunk_key_encoding": {"name": "default"}, "fill_value": 0,
        "codecs": [{"name": "bytes"}, {"name": "x-optional", "must_understand": false}]
    });
    store.set(
        &StoreKey::new("zarr.json")?,
        (m.to_string().as_bytes()).to_vec().into(),
    )?;
    let a = Array::open(store, "/")?;
    a.store_array_subset_elements(&ArraySubset::new_with_shape(vec![4]), &[1u8, 2, 3, 4])?;
    assert_eq!(
        a.retrieve_array_subset_elements::<u8>(&ArraySubset::new_with_shape(vec![4]))?,
        vec![1, 2, 3, 4]
    );
    Ok(())
}

#[test]
fn attributes_shape_and_metadata_round_trip() -> R {
    let store = Arc::new(MemoryStore::new());
    let mut a = ArrayBuilder::new(vec![10], vec![4], "uint16", 0)
        .codecs_metadata(vec![MetadataV3::new_with_configuration(
            "bytes",
            cfg(json!({"endian": "big"})),
        )])
        .dimension_names([Some("x")])
        .build(store.clone(), "/g/arr")?;
    a.attributes_mut().insert("k".into(), json!([1, 2]));
    a.set_shape(vec![12])?;
    a.store_metadata()?;
    let b = Array::open(store.clone(), "/g/arr")?;
    assert_eq!(b.shape(), &[12]);
    assert_eq!(b.attributes().get("k"), Some(&json!([1, 2])));
    assert_eq!(b.metadata(), a.metadata());
    assert_eq!(b.dimension_names(), Some(&[Some("x".to_string())][..]));
    b.erase_metadata()?;
    assert!(matches!(
        Array::open(store, "/g/arr"),
        Err(ArrayError::NotFound(_))
    ));
    Ok(())
}

#[cfg(feature = "ndarray")]
#[test]
fn ndarray_round_trip() -> R {
    let store = Arc::new(MemoryStore::new());
    let a = ArrayBuilder::new(vec![6, 7], vec![4, 4], "float64", 0.0).build(store, "/")?;
    let x = ndarray::Array2::from_shape_fn((3, 5), |(i, j)| (i * 10 + j) as f64);
    a.store_array_subset_ndarray(&[2, 1], x.view())?;
    let y =
        a.retrieve_array_subset_ndarray::<f64>(&ArraySubset::new_with_ranges(&[2..5, 1..6])?)?;
    assert_eq!(y, x.into_dyn());
    Ok(())
}

#[test]
fn concurrent_overlapping_writers_lose_nothing() -> R {
    // Threads write single elements (partial chunk writes) to shared chunks; each chunk
    // update is a read-modify-write that must not lose another thread's element.
    let store = Arc::new(MemoryStore::new());
    let a = Arc::new(ArrayBuilder::new(vec![16, 16], vec![8, 8], "uint32", 0).build(store, "/")?);
    let threads = 4u32;
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let a = a.clone();
            std::thread::spawn(move || -> Result<(), ArrayError> {
                for i in (t..256).step_by(threads as usize) {
                    let (y, x) = (u64::from(i / 16), u64::from(i % 16));
                    a.store_array_subset_elements(
                        &ArraySubset::new_with_ranges(&[y..y + 1, x..x + 1])?,
                        &[i + 1],
                    )?;
                }
                Ok(())
            })
        })
        .collect();
    for h in handles {
        h.join().map_err(|_| "writer panicked")??;
    }
    let v: Vec<u32> =
        a.retrieve_array_subset_elements(&ArraySubset::new_with_shape(vec![16, 16]))?;
    assert_eq!(v, (1..=256).collect::<Vec<u32>>());
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
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn random_subset_writes_match_a_model(writes in prop::collection::vec((subset_in(vec![13, 11]), any::<u8>()), 1..8), read in subset_in(vec![13, 11]), transpose in any::<bool>(), little in any::<bool>()) {
        let store = Arc::new(MemoryStore::new());
        let mut codecs = vec![];
        if transpose {
            codecs.push(MetadataV3::new_with_configuration("transpose", cfg(json!({"order": [1, 0]}))));
        }
        // Little-endian `bytes` alone is the identity on x86: chunks are read straight into
        // the output; big-endian ones are decoded.
        let endian = if little { "little" } else { "big" };
        codecs.push(MetadataV3::new_with_configuration("bytes", cfg(json!({"endian": endian}))));
        let a = ArrayBuilder::new(vec![13, 11], vec![4, 3], "uint16", 9).codecs_metadata(codecs).build(store, "/")
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut model = vec![9u16; 143];
        for (s, v) in &writes {
            let vals: Vec<u16> = (0..s.num_elements()).map(|i| u16::from(*v) * 3 + i as u16).collect();
            a.store_array_subset_elements(s, &vals).map_err(|e| TestCaseError::fail(e.to_string()))?;
            for (k, idx) in s.indices().enumerate() {
                model[(idx[0] * 11 + idx[1]) as usize] = vals[k];
            }
        }
        let got: Vec<u16> = a.retrieve_array_subset_elements(&read).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let want: Vec<u16> = read.indices().map(|i| model[(i[0] * 11 + i[1]) as usize]).collect();
        prop_assert_eq!(got, want);
    }
}

fn u16s(b: &zarrkit::ArrayBytes) -> Vec<u16> {
    b.as_fixed()
        .unwrap_or(&[])
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect()
}

/// A compressed chunk that lies contiguous in a read's output (it spans the trailing
/// dimensions) is decompressed straight into it: same values as the copying path (a region
/// whose chunks are not contiguous, big-endian elements), and a chunk decoding to any other
/// size is an error naming it.
#[test]
fn compressed_chunks_decode_straight_into_the_output() -> R {
    let shape = vec![6u64, 8, 10];
    let all = ArraySubset::new_with_shape(shape.clone());
    let vals: Vec<u16> = (0..480u32).map(|i| (i * 7 % 1000) as u16).collect();
    let compressors = [
        json!({"name": "zstd", "configuration": {"level": 3, "checksum": true}}),
        json!({"name": "blosc", "configuration": {"cname": "lz4", "clevel": 5, "shuffle": "shuffle", "typesize": 2, "blocksize": 0}}),
    ];
    for comp in &compressors {
        for endian in ["little", "big"] {
            let codecs: Vec<MetadataV3> = serde_json::from_value(json!([
                {"name": "bytes", "configuration": {"endian": endian}},
                comp
            ]))?;
            let store = Arc::new(MemoryStore::new());
            let a = ArrayBuilder::new(shape.clone(), vec![2, 8, 10], "uint16", 0)
                .codecs_metadata(codecs.clone())
                .build(store.clone(), "/z")?;
            a.store_array_subset_elements(&all, &vals)?;
            let what = format!("{} {endian}", comp["name"]);
            assert_eq!(u16s(&a.retrieve_array_subset(&all)?), vals, "{what}");
            // Chunks not contiguous in the output: the copying path.
            let part = ArraySubset::new_with_ranges(&[1..5, 2..7, 0..10])?;
            let expect: Vec<u16> = part
                .indices()
                .map(|i| vals[((i[0] * 8 + i[1]) * 10 + i[2]) as usize])
                .collect();
            assert_eq!(u16s(&a.retrieve_array_subset(&part)?), expect, "{what}");
            // A stored chunk of another array's chunk shape decodes to the wrong size.
            for other in [vec![1u64, 8, 10], vec![3, 8, 10]] {
                let b = ArrayBuilder::new(shape.clone(), other.clone(), "uint16", 0)
                    .codecs_metadata(codecs.clone())
                    .build(Arc::new(MemoryStore::new()), "/o")?;
                b.store_array_subset_elements(&all, &vals)?;
                let enc = b.retrieve_encoded_chunk(&[0, 0, 0])?.ok_or("missing")?;
                a.store_encoded_chunk(&[1, 0, 0], &enc)?;
                let e = a
                    .retrieve_array_subset(&all)
                    .err()
                    .ok_or_else(|| format!("{what}: chunk of shape {other:?} read"))?;
                assert!(e.to_string().contains("z/c/1/0/0"), "{what}: {e}");
            }
        }
    }
    // Garbage after a valid zstd frame is refused too.
    let codecs: Vec<MetadataV3> = serde_json::from_value(json!([
        {"name": "bytes", "configuration": {"endian": "little"}},
        {"name": "zstd", "configuration": {"level": 1, "checksum": false}}
    ]))?;
    let a = ArrayBuilder::new(shape.clone(), vec![2, 8, 10], "uint16", 0)
        .codecs_metadata(codecs)
        .build(Arc::new(MemoryStore::new()), "/g")?;
    a.store_array_subset_elements(&all, &vals)?;
    let mut enc = a.retrieve_encoded_chunk(&[2, 0, 0])?.ok_or("missing")?;
    enc.extend_from_slice(&[1, 2, 3]);
    a.store_encoded_chunk(&[2, 0, 0], &enc)?;
    assert!(a.retrieve_array_subset(&all).is_err());
    Ok(())
}

/// `write_owned` encodes a whole chunk from the caller's buffer and otherwise writes as
/// `write`: the same stored chunks, fill chunks erased, wrong sizes refused.
#[test]
fn owned_writes_store_what_borrowed_writes_store() -> R {
    use zarrkit::{ArrayBytes, Region};
    let shape = vec![10u64, 12];
    let codecs: Vec<MetadataV3> = serde_json::from_value(json!([
        {"name": "bytes", "configuration": {"endian": "little"}},
        {"name": "zstd", "configuration": {"level": 1, "checksum": false}}
    ]))?;
    let make = |p: &str| -> Result<Array<MemoryStore>, ArrayError> {
        ArrayBuilder::new(shape.clone(), vec![4, 6], "uint16", 9)
            .codecs_metadata(codecs.clone())
            .build(Arc::new(MemoryStore::new()), p)
    };
    let (owned, borrowed) = (make("/o")?, make("/b")?);
    let bytes_of = |s: &ArraySubset, k: u64| -> ArrayBytes {
        let v: Vec<u8> = (0..s.num_elements())
            .flat_map(|i| ((i * 5 + k) as u16).to_le_bytes())
            .collect();
        ArrayBytes::Fixed(v)
    };
    let regions: Vec<(Region, ArraySubset)> = vec![
        // one whole chunk, as a subset and as a chunk
        (
            ArraySubset::new_with_ranges(&[4..8, 6..12])?.into(),
            ArraySubset::new_with_ranges(&[4..8, 6..12])?,
        ),
        (
            Region::Chunk(vec![0, 0]),
            ArraySubset::new_with_ranges(&[0..4, 0..6])?,
        ),
        // part of a chunk, several chunks, an edge chunk clipped by the array
        (
            ArraySubset::new_with_ranges(&[1..3, 2..5])?.into(),
            ArraySubset::new_with_ranges(&[1..3, 2..5])?,
        ),
        (
            ArraySubset::new_with_ranges(&[2..10, 3..12])?.into(),
            ArraySubset::new_with_ranges(&[2..10, 3..12])?,
        ),
        (
            ArraySubset::new_with_ranges(&[8..10, 0..6])?.into(),
            ArraySubset::new_with_ranges(&[8..10, 0..6])?,
        ),
    ];
    for (k, (region, subset)) in regions.into_iter().enumerate() {
        let data = bytes_of(&subset, k as u64);
        borrowed.write(region.clone(), &data)?;
        owned.write_owned(region, data)?;
        let all = ArraySubset::new_with_shape(shape.clone());
        assert_eq!(
            owned.retrieve_array_subset(&all)?.as_fixed(),
            borrowed.retrieve_array_subset(&all)?.as_fixed(),
            "after write {k}"
        );
        for i in 0..3u64 {
            for j in 0..2u64 {
                assert_eq!(
                    owned.retrieve_encoded_chunk(&[i, j])?,
                    borrowed.retrieve_encoded_chunk(&[i, j])?,
                    "chunk {i},{j} after write {k}"
                );
            }
        }
    }
    // An all-fill whole chunk is erased.
    let fill = ArrayBytes::Fixed([9u16; 24].iter().flat_map(|v| v.to_le_bytes()).collect());
    owned.write_owned(Region::Chunk(vec![0, 0]), fill)?;
    assert_eq!(owned.retrieve_encoded_chunk(&[0, 0])?, None);
    // The wrong number of elements is an error, and nothing is written.
    let before = owned.retrieve_encoded_chunk(&[1, 1])?;
    let short = ArrayBytes::Fixed(vec![0u8; 46]);
    assert!(owned
        .write_owned(ArraySubset::new_with_ranges(&[4..8, 6..12])?, short)
        .is_err());
    assert_eq!(owned.retrieve_encoded_chunk(&[1, 1])?, before);
    Ok(())
}
