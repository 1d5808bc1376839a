//! Typed access to variable-length data through the facade: `Vec<String>` / `Vec<Vec<u8>>`
//! reads and writes, the borrowed `VariableView`, across chunks and inside shards.

use std::sync::Arc;

use zarrkit::array_bytes::{VariableElementError, VariableView};
use zarrkit::serde_json::{json, Value};
use zarrkit::{Array, ArrayBuilder, ArrayBytes, ArrayError, ArraySubset, MetadataV3};
use zarrkit_core::storage::MemoryStore;

type R = Result<(), Box<dyn std::error::Error>>;

fn md(v: Value) -> Result<MetadataV3, zarrkit::serde_json::Error> {
    zarrkit::serde_json::from_value(v)
}

/// Strings with the awkward cases: empty, non-ASCII, embedded NUL, long.
fn sample(i: u64) -> String {
    match i % 6 {
        0 => String::new(),
        1 => format!("héllo ✓ {i}"),
        2 => format!("a\u{0}b{i}\u{0}"),
        3 => "🦀".repeat((i % 7) as usize),
        4 => format!("plain {i}"),
        _ => "x".repeat(40 + i as usize),
    }
}

fn string_array(
    store: Arc<MemoryStore>,
    codecs: Value,
    shape: Vec<u64>,
    chunks: Vec<u64>,
) -> Result<Array<MemoryStore>, Box<dyn std::error::Error>> {
    let codecs: Vec<MetadataV3> = zarrkit::serde_json::from_value(codecs)?;
    let a = ArrayBuilder::new(shape, chunks, "string", "")
        .codecs_metadata(codecs)
        .build(store, "/s")?;
    a.store_metadata()?;
    Ok(a)
}

fn check_round_trip(a: &Array<MemoryStore>) -> R {
    let shape = a.shape().to_vec();
    let all = ArraySubset::new_with_shape(shape.clone());
    let data: Vec<String> = (0..all.num_elements()).map(sample).collect();
    a.store_array_subset_strings(&all, &data)?;
    assert_eq!(a.retrieve_array_subset_strings(&all)?, data);

    // Re-open from the store and read subsets that span chunk (and shard) boundaries.
    let b = Array::open(a.storage().clone(), "/s")?;
    for ranges in [
        vec![3..9, 2..11],
        vec![0..1, 0..1],
        vec![5..5, 0..3],
        vec![0..shape[0], 4..5],
    ] {
        let s = ArraySubset::new_with_ranges(&ranges)?;
        let expect: Vec<String> = s
            .indices()
            .map(|i| data[(i[0] * shape[1] + i[1]) as usize].clone())
            .collect();
        assert_eq!(b.retrieve_array_subset_strings(&s)?, expect, "{s}");
        // The borrowed view gives the same elements without allocating per element.
        let bytes = b.retrieve_array_subset(&s)?;
        let view = bytes.as_variable().ok_or("not variable")?;
        assert_eq!(view.len(), expect.len());
        for (i, e) in expect.iter().enumerate() {
            assert_eq!(view.str(i)?, e.as_str());
            assert_eq!(view.get(i), Some(e.as_bytes()));
        }
        let from_iter: Vec<&str> = view.strs().collect::<Result<_, _>>()?;
        assert_eq!(from_iter, expect);
        assert!(view.get(expect.len()).is_none());
    }

    // Partial overwrite across chunks (read-modify-write of the touched chunks).
    let s = ArraySubset::new_with_ranges(&[2..7, 3..10])?;
    let update: Vec<String> = (0..s.num_elements())
        .map(|i| format!("ü{i}\u{0}"))
        .collect();
    b.store_array_subset_strings(&s, &update)?;
    let mut expect = data.clone();
    for (k, i) in s.indices().enumerate() {
        expect[(i[0] * shape[1] + i[1]) as usize] = update[k].clone();
    }
    assert_eq!(b.retrieve_array_subset_strings(&all)?, expect);

    // Writing all fill values erases chunks; reads give the fill value back.
    let empty: Vec<&str> = vec![""; all.num_elements() as usize];
    b.store_array_subset_strings(&all, &empty)?;
    assert!(b
        .retrieve_array_subset_strings(&all)?
        .iter()
        .all(String::is_empty));
    Ok(())
}

#[test]
fn strings_through_vlen_utf8_across_chunks() -> R {
    let store = Arc::new(MemoryStore::new());
    let a = string_array(
        store,
        json!([{"name": "vlen-utf8", "configuration": {}}, {"name": "zstd", "configuration": {"level": 1, "checksum": false}}]),
        vec![11, 13],
        vec![4, 5],
    )?;
    check_round_trip(&a)?;
    // Whole-chunk access.
    let chunk: Vec<String> = (0..20).map(|i| sample(i * 7)).collect();
    a.store_chunk_strings(&[1, 1], &chunk)?;
    assert_eq!(a.retrieve_chunk_strings(&[1, 1])?, chunk);
    Ok(())
}

#[test]
fn strings_inside_shards() -> R {
    let store = Arc::new(MemoryStore::new());
    let a = string_array(
        store.clone(),
        json!([{"name": "sharding_indexed", "configuration": {
            "chunk_shape": [2, 3],
            "codecs": [{"name": "vlen-utf8", "configuration": {}}],
            "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}}, "crc32c"],
            "index_location": "end"
        }}]),
        vec![11, 13],
        vec![4, 6],
    )?;
    assert!(a.is_sharded());
    check_round_trip(&a)?;
    // Inner chunk reads of strings.
    let s = ArraySubset::new_with_shape(vec![11, 13]);
    let data: Vec<String> = (0..s.num_elements()).map(|i| sample(i + 3)).collect();
    a.store_array_subset_strings(&s, &data)?;
    let inner = a.retrieve_inner_chunk(&[1, 2])?;
    let view = inner.as_variable().ok_or("not variable")?;
    let expect: Vec<&str> = ArraySubset::new_with_ranges(&[2..4, 6..9])?
        .indices()
        .map(|i| data[(i[0] * 13 + i[1]) as usize].as_str())
        .collect();
    assert_eq!(view.strs().collect::<Result<Vec<_>, _>>()?, expect);
    Ok(())
}

#[test]
fn byte_strings() -> R {
    let store = Arc::new(MemoryStore::new());
    let a = ArrayBuilder::new(vec![7], vec![3], "variable_length_bytes", "")
        .codecs_metadata(vec![md(
            json!({"name": "vlen-bytes", "configuration": {}}),
        )?])
        .build(store, "/b")?;
    let data: Vec<Vec<u8>> = (0..7u8)
        .map(|i| vec![0xff, i, 0, 0x80][..(i as usize % 5).min(4)].to_vec())
        .collect();
    let all = ArraySubset::new_with_shape(vec![7]);
    a.store_array_subset_byte_strings(&all, &data)?;
    assert_eq!(a.retrieve_array_subset_byte_strings(&all)?, data);
    let s = ArraySubset::new(vec![2], vec![4])?;
    assert_eq!(
        a.retrieve_array_subset_byte_strings(&s)?,
        data[2..6].to_vec()
    );
    // Bytes are not strings: string access is refused by the element kind.
    assert!(matches!(
        a.retrieve_array_subset_strings(&all),
        Err(ArrayError::ElementTypeMismatch { .. })
    ));
    assert!(matches!(
        a.store_array_subset_strings(&all, &["x"; 7]),
        Err(ArrayError::ElementTypeMismatch { .. })
    ));
    Ok(())
}

#[test]
fn element_kind_is_checked() -> R {
    let store = Arc::new(MemoryStore::new());
    let ints = ArrayBuilder::new(vec![4], vec![2], "int32", 0).build(store.clone(), "/i")?;
    let all = ArraySubset::new_with_shape(vec![4]);
    assert!(matches!(
        ints.retrieve_array_subset_strings(&all),
        Err(ArrayError::ElementTypeMismatch { .. })
    ));
    assert!(matches!(
        ints.store_array_subset_strings(&all, &["a", "b", "c", "d"]),
        Err(ArrayError::ElementTypeMismatch { .. })
    ));
    assert!(matches!(
        ints.retrieve_array_subset_byte_strings(&all),
        Err(ArrayError::ElementTypeMismatch { .. })
    ));
    // Strings cannot be read as fixed-size elements either.
    let s = string_array(
        store,
        json!([{"name": "vlen-utf8", "configuration": {}}]),
        vec![4, 4],
        vec![2, 2],
    )?;
    let all = ArraySubset::new_with_shape(vec![4, 4]);
    assert!(s.retrieve_array_subset_elements::<u8>(&all).is_err());
    // The wrong number of strings is an error, not a panic.
    assert!(s.store_array_subset_strings(&all, &["a"; 3]).is_err());
    assert!(s.store_chunk_strings(&[0, 0], &["a"; 5]).is_err());
    Ok(())
}

#[test]
fn variable_view_is_checked() -> R {
    assert!(VariableView::new(b"abc", &[0, 2]).is_err());
    assert!(VariableView::new(b"abc", &[0, 2, 1, 3]).is_err());
    assert!(VariableView::new(b"abc", &[]).is_err());
    let v = VariableView::new(b"ab\xffc", &[0, 2, 4])?;
    assert_eq!(v.str(0)?, "ab");
    assert!(matches!(
        v.str(1),
        Err(VariableElementError::InvalidUtf8 { index: 1, .. })
    ));
    assert!(matches!(
        v.str(2),
        Err(VariableElementError::OutOfBounds { index: 2, len: 2 })
    ));
    assert_eq!(
        v.into_iter().collect::<Vec<_>>(),
        vec![&b"ab"[..], b"\xffc"]
    );
    // Malformed offsets in an ArrayBytes give no view rather than a panic.
    let bad = ArrayBytes::Variable {
        bytes: b"ab".to_vec(),
        offsets: vec![0, 5],
    };
    assert!(bad.as_variable().is_none());
    assert!(ArrayBytes::Fixed(vec![1]).as_variable().is_none());
    Ok(())
}

#[test]
fn variable_size_types_get_their_default_codec() -> R {
    // A builder that names no codecs gives `string` zarr-python's `vlen-utf8` and
    // `variable_length_bytes` `vlen-bytes` (not `bytes`, which cannot encode them).
    for (dt, fill, codec) in [
        ("string", json!(""), "vlen-utf8"),
        ("variable_length_bytes", json!(""), "vlen-bytes"),
    ] {
        let store = Arc::new(MemoryStore::new());
        let a = ArrayBuilder::new(vec![5], vec![2], dt, fill).build(store.clone(), "/v")?;
        a.store_metadata()?;
        let m: Value = zarrkit::serde_json::from_slice(&a.metadata_json())?;
        assert_eq!(
            m["codecs"],
            json!([{"name": codec, "configuration": {}}]),
            "{dt}"
        );
        let reopened = Array::open(store, "/v")?;
        let all = ArraySubset::new_with_shape(vec![5]);
        if dt == "string" {
            let v: Vec<String> = (0..5).map(sample).collect();
            reopened.write(&all, &v)?;
            assert_eq!(reopened.read::<Vec<String>>(&all)?, v);
        } else {
            let v: Vec<Vec<u8>> = (0..5u8).map(|i| vec![i; i as usize]).collect();
            reopened.write(&all, &v)?;
            assert_eq!(reopened.read::<Vec<Vec<u8>>>(&all)?, v);
        }
    }
    Ok(())
}
