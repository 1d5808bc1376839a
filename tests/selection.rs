//! Selections against NumPy: every case of `tests/data/selection/numpy.json` (NumPy's own
//! results for orthogonal, vectorized and mask selections of arange arrays, and the arrays
//! after assigning through them; `scripts/reference/generate.sh selection`) is read and
//! written through zarrkit on several chunkings — one chunk, small chunks, uneven chunks,
//! sharded (inner chunks) — uncompressed and compressed, sync and async; plus property
//! tests that random selections read the same from every chunking, block selections, and
//! typed errors for bad selections.

use std::sync::Arc;

use proptest::prelude::*;
use zarrkit::codec_sharding::ShardingCodecBuilder;
use zarrkit::futures::executor::block_on;
use zarrkit::serde_json::{json, Value};
use zarrkit::storage::asynchronous::SyncToAsyncAdapter;
use zarrkit::storage::MemoryStore;
use zarrkit::{
    Array, ArrayBuilder, ArrayError, ArraySubset, Index, MetadataV3, Region, Selection, VIndex,
};

type R = Result<(), Box<dyn std::error::Error>>;

const CASES: &str = include_str!("data/selection/numpy.json");

fn md(name: &str, v: Value) -> MetadataV3 {
    match v {
        Value::Object(m) => MetadataV3::new_with_configuration(name, m),
        _ => MetadataV3::new(name),
    }
}

/// A chunking: (name, chunk shape, inner chunk shape, compressed).
type Layout = (&'static str, Vec<u64>, Option<Vec<u64>>, bool);

/// The chunkings every case runs on.
fn layouts(shape: &[u64]) -> Vec<Layout> {
    let twos: Vec<u64> = shape.iter().map(|_| 2).collect();
    let threes: Vec<u64> = shape.iter().map(|&n| 3.min(n)).collect();
    let shard: Vec<u64> = shape.iter().map(|_| 4).collect();
    vec![
        ("one chunk", shape.to_vec(), None, false),
        ("2-chunks raw", twos.clone(), None, false),
        ("3-chunks zstd", threes, None, true),
        ("sharded 4/2", shard, Some(twos), true),
    ]
}

fn make_array(
    shape: &[u64],
    chunk: &[u64],
    inner: &Option<Vec<u64>>,
    compressed: bool,
) -> Result<Array<MemoryStore>, Box<dyn std::error::Error>> {
    let store = Arc::new(MemoryStore::new());
    let mut codecs = vec![md("bytes", json!({"endian": "little"}))];
    if compressed {
        codecs.push(md("zstd", json!({"level": 1, "checksum": false})));
    }
    let codecs = match inner {
        Some(i) => vec![ShardingCodecBuilder::new(i.clone())
            .inner_codecs(codecs)
            .build_metadata()?],
        None => codecs,
    };
    let a = ArrayBuilder::new(shape.to_vec(), chunk.to_vec(), "int32", -1)
        .codecs_metadata(codecs)
        .build(store, "/a")?;
    let n: u64 = shape.iter().product();
    let data: Vec<i32> = (0..n as i32).collect();
    a.write(ArraySubset::new_with_shape(shape.to_vec()), &data)?;
    Ok(a)
}

fn slice_of(v: &Value) -> Option<(Option<i64>, Option<i64>, i64)> {
    let s = v.get("slice")?.as_array()?;
    Some((s[0].as_i64(), s[1].as_i64(), s[2].as_i64()?))
}

fn ints(v: &Value) -> Vec<i64> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default()
}

fn selection_of(case: &Value) -> Result<Selection, Box<dyn std::error::Error>> {
    Ok(match case["kind"].as_str().ok_or("kind")? {
        "orthogonal" => Selection::Orthogonal(
            case["index"]
                .as_array()
                .ok_or("index")?
                .iter()
                .map(|i| {
                    if let Some(n) = i.as_i64() {
                        Index::Int(n)
                    } else if i == "..." {
                        Index::Ellipsis
                    } else if i == "newaxis" {
                        Index::NewAxis
                    } else if let Some((s, e, st)) = slice_of(i) {
                        Index::slice(s, e, st)
                    } else if let Some(a) = i.get("array") {
                        Index::Array(ints(a))
                    } else {
                        Index::Mask(
                            i["mask"]
                                .as_array()
                                .map(|m| m.iter().map(|b| b.as_bool() == Some(true)).collect())
                                .unwrap_or_default(),
                        )
                    }
                })
                .collect(),
        ),
        "vectorized" => Selection::Vectorized(
            case["index"]
                .as_array()
                .ok_or("index")?
                .iter()
                .map(|i| {
                    if let Some(n) = i.as_i64() {
                        VIndex::Int(n)
                    } else if let Some((start, stop, step)) = slice_of(i) {
                        VIndex::Slice { start, stop, step }
                    } else {
                        VIndex::Array {
                            shape: ints(&i["shape"]).into_iter().map(|x| x as u64).collect(),
                            values: ints(&i["array"]),
                        }
                    }
                })
                .collect(),
        ),
        _ => Selection::Mask {
            shape: ints(&case["shape"]).into_iter().map(|x| x as u64).collect(),
            mask: case["mask"]
                .as_array()
                .ok_or("mask")?
                .iter()
                .map(|b| b.as_bool() == Some(true))
                .collect(),
        },
    })
}

#[test]
fn numpy_cases_read_and_write_on_every_chunking() -> R {
    let v: Value = zarrkit::serde_json::from_str(CASES)?;
    let cases = v["cases"].as_array().ok_or("cases")?;
    let mut checked = 0;
    for (n, case) in cases.iter().enumerate() {
        let shape: Vec<u64> = ints(&case["shape"]).into_iter().map(|x| x as u64).collect();
        let sel = selection_of(case)?;
        let want_shape: Vec<u64> = ints(&case["result_shape"])
            .into_iter()
            .map(|x| x as u64)
            .collect();
        let want: Vec<i32> = ints(&case["result"])
            .into_iter()
            .map(|x| x as i32)
            .collect();
        let written: Vec<i32> = ints(&case["written"])
            .into_iter()
            .map(|x| x as i32)
            .collect();
        for (name, chunk, inner, compressed) in layouts(&shape) {
            let what = format!("case {n} ({}) on {name}: {sel:?}", case["kind"]);
            let a = make_array(&shape, &chunk, &inner, compressed)?;
            assert_eq!(a.selection_shape(&sel)?, want_shape, "{what}");
            let got: Vec<i32> = a.read_selection(&sel)?;
            assert_eq!(got, want, "{what}");
            // The same through `read` with a region, and as an ndarray of the result shape.
            let via_region: Vec<i32> = a.read(Region::Selection(sel.clone()))?;
            assert_eq!(via_region, want, "{what}");
            let nd: ndarray::ArrayD<i32> = a.read_selection(&sel)?;
            assert_eq!(
                nd.shape().iter().map(|&x| x as u64).collect::<Vec<_>>(),
                want_shape,
                "{what}"
            );
            // Writes through the selection change exactly the selected elements.
            let first: i64 = match case["kind"].as_str() {
                Some("orthogonal") => 1000,
                Some("vectorized") => 5000,
                _ => 9000,
            };
            let vals: Vec<i32> = (0..want.len() as i64).map(|k| (first + k) as i32).collect();
            a.write_selection(&sel, &vals)?;
            let all: Vec<i32> = a.read(ArraySubset::new_with_shape(shape.clone()))?;
            assert_eq!(all, written, "{what} (write)");
            checked += 1;
        }
    }
    assert!(checked >= 1000, "{checked}");
    Ok(())
}

/// The async driver gives the same results (a sample of the cases, sharded).
#[test]
fn numpy_cases_async() -> R {
    let v: Value = zarrkit::serde_json::from_str(CASES)?;
    for case in v["cases"].as_array().ok_or("cases")?.iter().step_by(7) {
        let shape: Vec<u64> = ints(&case["shape"]).into_iter().map(|x| x as u64).collect();
        let sel = selection_of(case)?;
        let want: Vec<i32> = ints(&case["result"])
            .into_iter()
            .map(|x| x as i32)
            .collect();
        let written: Vec<i32> = ints(&case["written"])
            .into_iter()
            .map(|x| x as i32)
            .collect();
        let (_, chunk, inner, compressed) = layouts(&shape).pop().ok_or("layout")?;
        let a = make_array(&shape, &chunk, &inner, compressed)?;
        let b = a.with_storage(Arc::new(SyncToAsyncAdapter::inline(a.storage().clone())));
        let got: Vec<i32> = block_on(b.read_selection_async(&sel))?;
        assert_eq!(got, want, "{sel:?}");
        let first: i64 = match case["kind"].as_str() {
            Some("orthogonal") => 1000,
            Some("vectorized") => 5000,
            _ => 9000,
        };
        let vals: Vec<i32> = (0..want.len() as i64).map(|k| (first + k) as i32).collect();
        block_on(b.write_selection_async(&sel, &vals))?;
        let all: Vec<i32> = a.read(ArraySubset::new_with_shape(shape.clone()))?;
        assert_eq!(all, written, "{sel:?} (async write)");
        // And through the region-taking async API.
        let via: Vec<i32> = block_on(b.read_async(Region::Selection(sel.clone())))?;
        assert_eq!(via.len(), want.len());
    }
    Ok(())
}

#[test]
fn chunk_visits_cover_the_selection_once() -> R {
    let a = make_array(&[9, 10], &[4, 4], &Some(vec![2, 2]), true)?;
    let sel = Selection::orthogonal([Index::Array(vec![8, 0, 3, 3]), Index::slice(None, None, -3)]);
    let want: Vec<i32> = a.read_selection(&sel)?;
    let seen = std::sync::Mutex::new(vec![None; want.len()]);
    a.visit_selection(
        &sel,
        &zarrkit::CodecOptions::default(),
        |v| -> Result<(), ArrayError> {
            let e = v.elements.as_fixed().unwrap_or_default();
            let mut s = seen
                .lock()
                .map_err(|_| ArrayError::Internal("poisoned".into()))?;
            for (k, &p) in v.positions.iter().enumerate() {
                let x = i32::from_ne_bytes([e[4 * k], e[4 * k + 1], e[4 * k + 2], e[4 * k + 3]]);
                assert!(s[p as usize].is_none(), "position {p} visited twice");
                s[p as usize] = Some(x);
            }
            Ok(())
        },
    )?;
    let seen: Vec<i32> = seen
        .into_inner()
        .map_err(|_| "poisoned")?
        .into_iter()
        .map(|x| x.unwrap_or(i32::MIN))
        .collect();
    assert_eq!(seen, want);
    Ok(())
}

#[test]
fn blocks_are_chunk_regions() -> R {
    let a = make_array(&[9, 10], &[4, 4], &Some(vec![2, 2]), false)?;
    let b: Vec<i32> =
        a.read_selection(&Selection::Blocks(vec![Index::Int(-1), Index::range(1..3)]))?;
    let want: Vec<i32> = a.read(ArraySubset::new_with_ranges(&[8..9, 4..10])?)?;
    assert_eq!(b, want);
    let i: Vec<i32> = a.read_selection(&Selection::InnerBlocks(vec![
        Index::Int(1),
        Index::range(0..2),
    ]))?;
    let want: Vec<i32> = a.read(ArraySubset::new_with_ranges(&[2..4, 0..4])?)?;
    assert_eq!(i, want);
    assert!(a
        .read_selection::<Vec<i32>>(&Selection::Blocks(vec![Index::slice(None, None, 2)]))
        .is_err());
    Ok(())
}

#[test]
fn bad_selections_are_typed_errors() -> R {
    let a = make_array(&[5, 6], &[2, 2], &None, false)?;
    let bad = |s: Selection, what: &str| {
        let e = a.read_selection::<Vec<i32>>(&s).expect_err(what);
        assert!(matches!(e, ArrayError::InvalidSelection(_)), "{what}: {e}");
        assert!(
            e.to_string().contains("dimension")
                || e.to_string().contains("mask")
                || e.to_string().contains("indices")
                || e.to_string().contains("ellipsis"),
            "{what}: {e}"
        );
    };
    bad(Selection::orthogonal([Index::Int(5)]), "int out of range");
    bad(
        Selection::orthogonal([Index::Int(-6)]),
        "negative out of range",
    );
    bad(
        Selection::orthogonal([Index::all(), Index::Array(vec![0, 6])]),
        "array out of range",
    );
    bad(
        Selection::orthogonal([Index::slice(None, None, 0)]),
        "zero step",
    );
    bad(
        Selection::orthogonal([Index::Mask(vec![true; 4])]),
        "mask length",
    );
    bad(
        Selection::orthogonal([Index::Int(0), Index::Int(0), Index::Int(0)]),
        "too many",
    );
    bad(
        Selection::orthogonal([Index::Ellipsis, Index::Ellipsis]),
        "two ellipses",
    );
    bad(
        Selection::Vectorized(vec![
            VIndex::array(vec![0, 1]),
            VIndex::array(vec![0, 1, 2]),
        ]),
        "no broadcast",
    );
    bad(
        Selection::Mask {
            shape: vec![5, 5],
            mask: vec![true; 25],
        },
        "mask shape",
    );
    // Wrong input length for a write.
    let e = a
        .write_selection(&Selection::points(vec![vec![0, 1], vec![0, 1]]), &[1i32])
        .expect_err("short input");
    assert!(
        matches!(
            e,
            ArrayError::InvalidBytesLength { .. } | ArrayError::InvalidInput(_)
        ),
        "{e}"
    );
    Ok(())
}

/// Strings through selections (variable-size elements).
#[test]
fn string_selections() -> R {
    let store = Arc::new(MemoryStore::new());
    let a = ArrayBuilder::new(vec![4, 5], vec![3, 2], "string", "")
        .codecs_metadata(vec![MetadataV3::new("vlen-utf8")])
        .build(store, "/s")?;
    let words: Vec<String> = (0..20).map(|i| format!("w{i}")).collect();
    a.write(ArraySubset::new_with_shape(vec![4, 5]), &words)?;
    let sel = Selection::orthogonal([Index::Array(vec![3, 0]), Index::slice(None, None, -2)]);
    let got: Vec<String> = a.read_selection(&sel)?;
    assert_eq!(got, ["w19", "w17", "w15", "w4", "w2", "w0"]);
    a.write_selection(
        &Selection::points(vec![vec![1, 2], vec![1, 4]]),
        &vec!["x".to_string(), "yy".into()],
    )?;
    let back: Vec<String> = a.read(ArraySubset::new_with_shape(vec![4, 5]))?;
    assert_eq!(back[6], "x");
    assert_eq!(back[14], "yy");
    assert_eq!(back[7], "w7");
    Ok(())
}

fn index_strategy(n: u64) -> impl Strategy<Value = Index> {
    let n = n as i64;
    prop_oneof![
        (-n..n).prop_map(Index::Int),
        (
            proptest::option::of(-n - 2..n + 2),
            proptest::option::of(-n - 2..n + 2),
            prop_oneof![Just(1i64), Just(2), Just(-1), Just(-3)]
        )
            .prop_map(|(s, e, st)| Index::slice(s, e, st)),
        proptest::collection::vec(-n..n, 0..5).prop_map(Index::Array),
        proptest::collection::vec(any::<bool>(), n as usize).prop_map(Index::Mask),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
    /// Random orthogonal selections and random points read the same from a one-chunk
    /// array as from uneven chunks and from shards.
    #[test]
    fn every_chunking_agrees(
        i0 in index_strategy(7), i1 in index_strategy(9), i2 in index_strategy(5),
        points in proptest::collection::vec((0i64..7, 0i64..9, 0i64..5), 0..20),
    ) {
        let shape = [7u64, 9, 5];
        let fail = |e: Box<dyn std::error::Error>| TestCaseError::fail(e.to_string());
        let one = make_array(&shape, &shape, &None, false).map_err(fail)?;
        let uneven = make_array(&shape, &[3, 4, 2], &None, true).map_err(fail)?;
        let sharded = make_array(&shape, &[4, 6, 4], &Some(vec![2, 3, 2]), true).map_err(fail)?;
        let sel = Selection::orthogonal([i0, i1, i2]);
        let want: Vec<i32> = one.read_selection(&sel).map_err(|e| fail(e.into()))?;
        for a in [&uneven, &sharded] {
            let got: Vec<i32> = a.read_selection(&sel).map_err(|e| fail(e.into()))?;
            prop_assert_eq!(&got, &want);
        }
        let (x, (y, z)): (Vec<i64>, (Vec<i64>, Vec<i64>)) =
            points.iter().map(|&(a, b, c)| (a, (b, c))).unzip();
        let psel = Selection::points(vec![x.clone(), y.clone(), z.clone()]);
        let got: Vec<i32> = sharded.read_selection(&psel).map_err(|e| fail(e.into()))?;
        let want: Vec<i32> = x.iter().zip(&y).zip(&z).map(|((a, b), c)| (a * 45 + b * 5 + c) as i32).collect();
        prop_assert_eq!(got, want);
    }
}

/// An int32 arange array of shape [7, 9, 5] on a rectilinear grid (uneven chunks in every
/// dimension, one dimension regular), compressed, optionally sharded.
fn rectilinear_array(sharded: bool) -> Result<Array<MemoryStore>, Box<dyn std::error::Error>> {
    let store = Arc::new(MemoryStore::new());
    let grid = md(
        "rectilinear",
        json!({"kind": "inline", "chunk_shapes": [[1, 4, 2], [[2, 2], 5], 5]}),
    );
    let mut codecs = vec![
        md("bytes", json!({"endian": "little"})),
        md("zstd", json!({"level": 1, "checksum": false})),
    ];
    if sharded {
        codecs = vec![ShardingCodecBuilder::new(vec![1, 1, 5])
            .inner_codecs(codecs)
            .build_metadata()?];
    }
    let a = ArrayBuilder::new(vec![7, 9, 5], vec![7, 9, 5], "int32", -1)
        .chunk_grid(grid)
        .codecs_metadata(codecs)
        .build(store, "/a")?;
    let data: Vec<i32> = (0..315).collect();
    a.write(ArraySubset::new_with_shape(vec![7, 9, 5]), &data)?;
    Ok(a)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
    /// Points (repeated, unsorted) on a rectilinear grid read what NumPy's fancy indexing
    /// reads, and writing through them leaves what NumPy's assignment leaves (the last of
    /// repeated points wins).
    #[test]
    fn points_on_a_rectilinear_grid(
        points in proptest::collection::vec((0i64..7, 0i64..9, 0i64..5), 1..40),
        sharded in any::<bool>(),
    ) {
        let fail = |e: Box<dyn std::error::Error>| TestCaseError::fail(e.to_string());
        let a = rectilinear_array(sharded).map_err(fail)?;
        let (x, (y, z)): (Vec<i64>, (Vec<i64>, Vec<i64>)) =
            points.iter().map(|&(a, b, c)| (a, (b, c))).unzip();
        let sel = Selection::points(vec![x.clone(), y.clone(), z.clone()]);
        let lin: Vec<usize> = points.iter().map(|&(a, b, c)| (a * 45 + b * 5 + c) as usize).collect();
        let got: Vec<i32> = a.read_selection(&sel).map_err(|e| fail(e.into()))?;
        let want: Vec<i32> = lin.iter().map(|&l| l as i32).collect();
        prop_assert_eq!(got, want);
        let vals: Vec<i32> = (0..points.len() as i32).map(|v| 1000 + v).collect();
        a.write_selection(&sel, &vals).map_err(|e| fail(e.into()))?;
        let mut reference: Vec<i32> = (0..315).collect();
        for (l, v) in lin.iter().zip(&vals) {
            reference[*l] = *v;
        }
        let all: Vec<i32> = a
            .read(ArraySubset::new_with_shape(vec![7, 9, 5]))
            .map_err(|e| fail(e.into()))?;
        prop_assert_eq!(all, reference);
    }
}
