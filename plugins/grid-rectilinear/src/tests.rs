use super::*;
use proptest::prelude::*;
use std::sync::Arc;
use zarrkit_core::serde_json::{self, json};
use zarrkit_core::storage::MemoryStore;
use zarrkit_core::storage::ReadableStorageExt;
use zarrkit_core::{ArrayBuilder, ArrayError, ArraySubset};

// Link the plugins the array tests resolve by name.
use zarrkit_codec_bytes as _;
use zarrkit_codec_sharding as _;
use zarrkit_dtype_numeric as _;
use zarrkit_key_default as _;

type R = Result<(), Box<dyn std::error::Error>>;

fn grid_md(chunk_shapes: Value) -> Result<MetadataV3, serde_json::Error> {
    serde_json::from_value(json!({
        "name": "rectilinear",
        "configuration": {"kind": "inline", "chunk_shapes": chunk_shapes}
    }))
}

fn grid(chunk_shapes: Value) -> Result<ChunkGrid, Box<dyn std::error::Error>> {
    Ok(zarrkit_core::registry::create_chunk_grid(&grid_md(
        chunk_shapes,
    )?)?)
}

#[test]
fn spec_examples() -> R {
    // The zarr-extensions example: shape (6, 6, 6, 6, 6).
    let shape = [6u64; 5];
    let chunk_shapes = json!([4, [1, 2, 3], [[4, 2]], [[1, 3], 3], [4, 4, 4]]);
    let g = grid(chunk_shapes.clone())?;
    g.validate(&shape)?;
    // The last dimension has an overflow chunk wholly past the end: not in the grid.
    assert_eq!(g.grid_shape(&shape), vec![2, 3, 2, 4, 2]);
    assert_eq!(
        g.chunk_shape(&[1, 2, 1, 3, 1], &shape),
        Some(vec![4, 3, 4, 3, 4])
    );
    assert_eq!(
        g.chunk_origin(&[1, 2, 1, 3, 1], &shape),
        Some(vec![4, 3, 4, 3, 4])
    );
    assert_eq!(
        g.chunk_indices(&[5, 0, 3, 2, 5], &shape),
        Some(vec![1, 0, 0, 2, 1])
    );
    assert_eq!(
        g.chunk_indices(&[5, 1, 3, 3, 5], &shape),
        Some(vec![1, 1, 0, 3, 1])
    );
    // Written back exactly as read.
    assert_eq!(
        Value::Object(g.configuration()),
        json!({"kind": "inline", "chunk_shapes": chunk_shapes})
    );
    // The earlier example of the same document.
    let g = grid(json!([
        [[2, 3]],
        [[1, 6]],
        [1, [2, 1], 3],
        [[1, 3], 3],
        [6]
    ]))?;
    g.validate(&shape)?;
    assert_eq!(g.grid_shape(&shape), vec![3, 6, 3, 4, 1]);
    assert_eq!(
        g.distinct_edge_lengths(&shape),
        Some(vec![vec![2], vec![1], vec![1, 2, 3], vec![1, 3], vec![6]])
    );
    Ok(())
}

#[test]
fn configuration_round_trips_through_json() -> R {
    for text in [
        r#"{"name":"rectilinear","configuration":{"kind":"inline","chunk_shapes":[[[5,3],[15,2],20,35],10]}}"#,
        r#"{"name":"rectilinear","configuration":{"kind":"inline","chunk_shapes":[[1,1,1],[[2,1]],[]]}}"#,
        r#"{"name":"rectilinear","configuration":{"kind":"inline","chunk_shapes":[]}}"#,
    ] {
        let m: MetadataV3 = serde_json::from_str(text)?;
        let g = zarrkit_core::registry::create_chunk_grid(&m)?;
        let back = MetadataV3::new_with_configuration(g.name(), g.configuration());
        assert_eq!(
            serde_json::to_value(&back)?,
            serde_json::from_str::<Value>(text)?
        );
    }
    // Built in code: repeats are run-length encoded.
    let g = RectilinearChunkGrid::from_edges(&[vec![5, 5, 5, 15, 15, 20, 35], vec![10]])?;
    assert_eq!(
        Value::Object(g.configuration()),
        json!({"kind": "inline", "chunk_shapes": [[[5, 3], [15, 2], 20, 35], [10]]})
    );
    assert_eq!(
        serde_json::to_value(g.metadata())?["name"],
        json!("rectilinear")
    );
    Ok(())
}

#[test]
fn invalid_configurations() -> R {
    for bad in [
        json!({"name": "rectilinear"}),
        json!({"name": "rectilinear", "configuration": {"chunk_shapes": [[1]]}}),
        json!({"name": "rectilinear", "configuration": {"kind": "file", "chunk_shapes": [[1]]}}),
        json!({"name": "rectilinear", "configuration": {"kind": "inline"}}),
        json!({"name": "rectilinear", "configuration": {"kind": "inline", "chunk_shapes": 5}}),
        json!({"name": "rectilinear", "configuration": {"kind": "inline", "chunk_shapes": [0]}}),
        json!({"name": "rectilinear", "configuration": {"kind": "inline", "chunk_shapes": [[1, 0]]}}),
        json!({"name": "rectilinear", "configuration": {"kind": "inline", "chunk_shapes": [[[2, 0]]]}}),
        json!({"name": "rectilinear", "configuration": {"kind": "inline", "chunk_shapes": [[[2, 1, 1]]]}}),
        json!({"name": "rectilinear", "configuration": {"kind": "inline", "chunk_shapes": [[-1]]}}),
        json!({"name": "rectilinear", "configuration": {"kind": "inline", "chunk_shapes": [[1.5]]}}),
        json!({"name": "rectilinear", "configuration": {"kind": "inline", "chunk_shapes": ["4"]}}),
        json!({"name": "rectilinear", "configuration": {"kind": "inline", "chunk_shapes": [[[18446744073709551615u64, 2]]]}}),
        json!({"name": "rectilinear", "configuration": {"kind": "inline", "chunk_shapes": [[1]], "x": 1}}),
    ] {
        let m: MetadataV3 = serde_json::from_value(bad.clone())?;
        let e = zarrkit_core::registry::create_chunk_grid(&m).map(|_| ());
        assert!(e.is_err(), "{bad}");
    }
    // Edges that do not cover the array, or the wrong rank.
    let g = grid(json!([[2, 3], 4]))?;
    assert!(g.validate(&[5, 100]).is_ok());
    let e = g.validate(&[6, 1]).err().unwrap_or_default();
    assert!(e.contains("add up to 5"), "{e}");
    assert!(g.validate(&[5]).is_err());
    Ok(())
}

#[test]
fn huge_runs_stay_compressed() -> R {
    // 10^15 chunks of 1 and then one of 7: lookups by binary search, no expansion.
    let g = grid(json!([[[1, 1_000_000_000_000_000u64], 7]]))?;
    let shape = [1_000_000_000_000_005u64];
    g.validate(&shape)?;
    assert_eq!(g.grid_shape(&shape), vec![1_000_000_000_000_001]);
    assert_eq!(
        g.chunk_indices(&[999_999_999_999_999], &shape),
        Some(vec![999_999_999_999_999])
    );
    assert_eq!(
        g.chunk_indices(&[1_000_000_000_000_004], &shape),
        Some(vec![1_000_000_000_000_000])
    );
    assert_eq!(
        g.chunk_shape(&[1_000_000_000_000_000], &shape),
        Some(vec![7])
    );
    assert_eq!(
        g.chunk_origin(&[1_000_000_000_000_000], &shape),
        Some(vec![1_000_000_000_000_000])
    );
    assert_eq!(g.chunk_shape(&[1_000_000_000_000_001], &shape), None);
    assert_eq!(g.chunk_indices(&[1_000_000_000_000_007], &shape), None);
    Ok(())
}

fn edges_strategy() -> impl Strategy<Value = Vec<(u64, u64)>> {
    // (size, count) runs; count 1 is written as a plain integer.
    prop::collection::vec((1u64..6, 1u64..4), 1..6)
}

proptest! {
    #[test]
    fn chunks_in_subset_cover_exactly(
        dims in prop::collection::vec((edges_strategy(), any::<bool>(), 0u64..1000), 1..4),
        seed in prop::collection::vec((0u64..100, 0u64..100), 3),
    ) {
        let mut specs = Vec::new();
        let mut shape = Vec::new();
        for (runs, regular, frac) in &dims {
            if *regular {
                specs.push(EdgeLengths::Regular(runs[0].0));
                shape.push(frac % 40);
            } else {
                let total: u64 = runs.iter().map(|(s, c)| s * c).sum();
                specs.push(EdgeLengths::Explicit(runs.iter().map(|&(size, count)| {
                    if count == 1 { EdgeElement::Single(size) } else { EdgeElement::Run { size, count } }
                }).collect()));
                shape.push(frac % (total + 1));
            }
        }
        let g = RectilinearChunkGrid::new(specs).map_err(TestCaseError::fail)?;
        g.validate(&shape).map_err(TestCaseError::fail)?;
        let grid_shape = g.grid_shape(&shape);
        // The grid's chunks tile the array exactly.
        let mut covered = 0u64;
        for idx in ArraySubset::new_with_shape(grid_shape.clone()).indices() {
            let cs = g.chunk_subset(&idx, &shape).ok_or_else(|| TestCaseError::fail("chunk"))?;
            let o = cs.overlap(&ArraySubset::new_with_shape(shape.clone()));
            prop_assert!(!o.is_empty());
            covered += o.num_elements();
            // The chunk holding each corner of the chunk is the chunk itself.
            prop_assert_eq!(g.chunk_indices(cs.start(), &shape), Some(idx.clone()));
            let last: Vec<u64> = cs.end_exc().iter().map(|e| e - 1).collect();
            prop_assert_eq!(g.chunk_indices(&last, &shape), Some(idx.clone()));
        }
        prop_assert_eq!(covered, shape.iter().product::<u64>());
        // A random subset: every element lies in exactly one listed chunk, and every listed
        // chunk intersects the subset.
        let ranges: Vec<_> = shape.iter().zip(&seed).map(|(s, (a, b))| {
            if *s == 0 { return 0..0; }
            let a = a % s; let b = b % (s - a + 1); a..a + b
        }).collect();
        let subset = ArraySubset::new_with_ranges(&ranges)?;
        let chunks = g.chunks_in_subset(&subset, &shape).ok_or_else(|| TestCaseError::fail("none"))?;
        let mut count = 0u64;
        for idx in chunks.indices() {
            prop_assert!(idx.iter().zip(&grid_shape).all(|(i, n)| i < n));
            let cs = g.chunk_subset(&idx, &shape).ok_or_else(|| TestCaseError::fail("cs"))?;
            let o = cs.overlap(&subset);
            prop_assert!(!o.is_empty());
            count += o.num_elements();
        }
        prop_assert_eq!(count, subset.num_elements());
    }
}

fn bytes_codec() -> Value {
    json!({"name": "bytes", "configuration": {"endian": "little"}})
}

fn codecs(v: Value) -> Result<Vec<MetadataV3>, serde_json::Error> {
    serde_json::from_value(v)
}

#[test]
fn array_with_uneven_chunks() -> R {
    let store = Arc::new(MemoryStore::new());
    let shape = vec![10u64, 7];
    let a = ArrayBuilder::new(shape.clone(), vec![1, 1], "int32", -1)
        .chunk_grid(grid_md(json!([[1, [3, 2], 4], 3]))?)
        .codecs_metadata(codecs(json!([bytes_codec()]))?)
        .build(store.clone(), "/r")?;
    a.store_metadata()?;
    assert_eq!(a.chunk_grid_shape(), vec![4, 3]);
    assert_eq!(a.chunk_shape(&[2, 1])?, vec![3, 3]);
    assert_eq!(
        a.chunk_subset(&[3, 2])?,
        ArraySubset::new_with_ranges(&[7..11, 6..9])?
    );
    assert_eq!(
        a.chunk_subset_bounded(&[3, 2])?,
        ArraySubset::new_with_ranges(&[7..10, 6..7])?
    );
    let all = ArraySubset::new_with_shape(shape.clone());
    let data: Vec<i32> = (0..70).collect();
    a.store_array_subset_elements(&all, &data)?;
    // Each chunk is stored at its own (full) shape.
    for (idx, n) in [
        ([0u64, 0u64], 3usize),
        ([1, 0], 9),
        ([3, 0], 12),
        ([3, 2], 12),
    ] {
        let enc = a.retrieve_encoded_chunk(&idx)?.ok_or("missing chunk")?;
        assert_eq!(enc.len(), n * 4, "{idx:?}");
    }
    let edge: Vec<i32> = a.retrieve_chunk_elements(&[3, 2])?;
    assert_eq!(&edge[..4], &[55, -1, -1, 62]);
    assert_eq!(&edge[9..], &[-1, -1, -1]);
    // Re-open and read subsets that cross uneven chunk boundaries.
    let b = zarrkit_core::Array::open(store.clone(), "/r")?;
    for ranges in [[0..10, 0..7], [2..9, 1..6], [0..1, 6..7], [4..4, 0..7]] {
        let s = ArraySubset::new_with_ranges(&ranges)?;
        let v: Vec<i32> = b.retrieve_array_subset_elements(&s)?;
        let expect: Vec<i32> = s.indices().map(|i| (i[0] * 7 + i[1]) as i32).collect();
        assert_eq!(v, expect, "{s}");
    }
    // Partial writes across chunks.
    let s = ArraySubset::new_with_ranges(&[3..8, 2..5])?;
    b.store_array_subset_elements(&s, &[100i32; 15])?;
    let v: Vec<i32> = b.retrieve_array_subset_elements(&all)?;
    for (k, i) in all.indices().enumerate() {
        let inside = (3..8).contains(&i[0]) && (2..5).contains(&i[1]);
        assert_eq!(v[k], if inside { 100 } else { k as i32 });
    }
    // The metadata written is the grid read.
    let json: Value = serde_json::from_slice(&store_get(&store, "r/zarr.json")?)?;
    assert_eq!(
        json["chunk_grid"],
        json!({"name": "rectilinear", "configuration": {"kind": "inline", "chunk_shapes": [[1, [3, 2], 4], 3]}})
    );
    Ok(())
}

fn store_get(store: &MemoryStore, key: &str) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    use zarrkit_core::storage::StoreKey;
    store
        .get(&StoreKey::new(key)?)?
        .map(Vec::from)
        .ok_or_else(|| format!("no {key}").into())
}

#[test]
fn resize_into_overflow_chunks() -> R {
    let store = Arc::new(MemoryStore::new());
    let mut a = ArrayBuilder::new(vec![5], vec![1], "uint8", 0)
        .chunk_grid(grid_md(json!([[2, 3, 4]]))?)
        .build(store, "/o")?;
    assert_eq!(a.chunk_grid_shape(), vec![2]);
    a.set_shape(vec![9])?;
    assert_eq!(a.chunk_grid_shape(), vec![3]);
    a.store_array_subset_elements(&ArraySubset::new_with_shape(vec![9]), &[1u8; 9])?;
    assert_eq!(a.retrieve_chunk_elements::<u8>(&[2])?, vec![1; 4]);
    // Past the listed edges: refused.
    assert!(a.set_shape(vec![10]).is_err());
    assert!(matches!(
        a.retrieve_chunk_elements::<u8>(&[3]),
        Err(ArrayError::InvalidChunkIndices { .. })
    ));
    Ok(())
}

fn sharded(edges: Value, shape: Vec<u64>) -> Result<zarrkit_core::Array<MemoryStore>, ArrayError> {
    let grid = grid_md(edges).map_err(|e| ArrayError::Unsupported(e.to_string()))?;
    let c = codecs(json!([{"name": "sharding_indexed", "configuration": {
        "chunk_shape": [2, 2],
        "codecs": [bytes_codec()],
        "index_codecs": [bytes_codec()],
        "index_location": "end"
    }}]))
    .map_err(|e| ArrayError::Unsupported(e.to_string()))?;
    ArrayBuilder::new(shape, vec![1, 1], "uint16", 0)
        .chunk_grid(grid)
        .codecs_metadata(c)
        .build(Arc::new(MemoryStore::new()), "/s")
}

#[test]
fn sharding_checks_every_shard_shape() -> R {
    // Every shard shape is a multiple of the inner chunk shape: inner chunks form a
    // regular grid over the array.
    let a = sharded(json!([[[4, 2], 2], [6, 2]]), vec![10, 8])?;
    assert_eq!(a.inner_chunk_grid_shape(), Some(vec![5, 4]));
    let all = ArraySubset::new_with_shape(vec![10, 8]);
    let data: Vec<u16> = (0..80).collect();
    a.store_array_subset_elements(&all, &data)?;
    assert_eq!(a.retrieve_array_subset_elements::<u16>(&all)?, data);
    let inner: Vec<u16> = a.retrieve_inner_chunk_elements(&[4, 3])?;
    assert_eq!(inner, vec![70, 71, 78, 79]);
    let s = ArraySubset::new_with_ranges(&[3..9, 5..7])?;
    let expect: Vec<u16> = s.indices().map(|i| (i[0] * 8 + i[1]) as u16).collect();
    assert_eq!(a.retrieve_array_subset_elements::<u16>(&s)?, expect);
    // A shard of 3 rows (not a multiple of 2) is refused when the array is bound, even
    // though it is not the first shard.
    let e = sharded(json!([[4, 3, 3], [6, 2]]), vec![10, 8]).map(|_| ());
    let msg = e.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(msg.contains("[3, 6]") || msg.contains("[3, 2]"), "{msg}");
    Ok(())
}

#[test]
fn many_shard_shapes_are_checked_when_used() -> R {
    // 300 distinct even edge lengths and one odd one: too many shapes to check at open
    // (with the second dimension's 2), so each is checked on first use.
    let mut edges: Vec<u64> = (1..=300).map(|i| 2 * i).collect();
    edges.push(3);
    let total: u64 = edges.iter().sum();
    let a = sharded(json!([edges, [2, 2]]), vec![total, 4])?;
    let first = ArraySubset::new_with_ranges(&[0..6, 0..4])?;
    a.store_array_subset_elements(&first, &[7u16; 24])?;
    assert_eq!(
        a.retrieve_array_subset_elements::<u16>(&first)?,
        vec![7; 24]
    );
    let odd = a.chunk_subset(&[300, 0])?;
    let e = a.retrieve_array_subset_elements::<u16>(&odd).map(|_| ());
    let msg = e.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(
        msg.contains("not a multiple") && msg.contains("[3, 2]"),
        "{msg}"
    );
    Ok(())
}
