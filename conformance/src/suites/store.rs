//! The store suite: the readable, writable and listable store traits on an **empty** store
//! (the suite erases what it wrote and leaves the store empty again).
//!
//! Checked: absent keys (`get`, `get_partial`, `get_partial_and_size`, `get_into`, `size_key`
//! give `None`/`false`; `erase` is fine);
//! set, overwrite and get of empty, binary and 1 MiB values; byte ranges (from the start
//! with and without length, suffix, empty ranges at the end, several at once, in order);
//! out-of-bounds ranges are errors; `list` / `list_prefix` sorted and exact (a prefix
//! `a/` never matches `ab/...`); `list_dir` keys and sub-prefixes; `erase` and
//! `erase_prefix` (only below the prefix); `open_value` pins a value across a replacement
//! (when the store supports it).

use zarrkit_core::storage::{
    ByteRange, ListableStorageTraits, OpenedValue, ReadableStorageTraits, StoreKey, StorePrefix,
    WritableStorageTraits,
};

use super::{sample_bytes, SuiteError, SuiteReport};

fn key(s: &str) -> Result<StoreKey, String> {
    StoreKey::new(s).map_err(|e| e.to_string())
}

fn prefix(s: &str) -> Result<StorePrefix, String> {
    StorePrefix::new(s).map_err(|e| e.to_string())
}

fn keys_of(v: &[StoreKey]) -> Vec<&str> {
    v.iter().map(StoreKey::as_str).collect()
}

const KEYS: &[&str] = &[
    "zarr.json",
    "a/zarr.json",
    "a/c/0/0",
    "a/c/0/1",
    "a/c/1/0",
    "a/b/zarr.json",
    "ab/c",
    "c/0.1.2",
    "unicode/é-ß",
];

/// Run the store suite on `store`, which must be empty.
pub fn store_suite<S>(store: &S) -> Result<SuiteReport, SuiteError>
where
    S: ReadableStorageTraits + WritableStorageTraits + ListableStorageTraits + ?Sized,
{
    let mut r = SuiteReport::new("store suite");
    r.check("the store is empty at the start", || {
        let l = store.list().map_err(|e| e.to_string())?;
        if l.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "the store suite needs an empty store, found {:?}",
                keys_of(&l)
            ))
        }
    });
    if !r.failures.is_empty() {
        return r.into_result();
    }
    r.check("absent key", || {
        let k = key("absent/key")?;
        if store.get(&k).map_err(|e| e.to_string())?.is_some() {
            return Err("get returned a value".into());
        }
        if store.size_key(&k).map_err(|e| e.to_string())?.is_some() {
            return Err("size_key returned a size".into());
        }
        if store
            .get_partial(&k, &[ByteRange::FromStart(0, Some(1))])
            .map_err(|e| e.to_string())?
            .is_some()
        {
            return Err("get_partial returned data".into());
        }
        if store
            .get_partial_and_size(&k, &[ByteRange::Suffix(1)])
            .map_err(|e| e.to_string())?
            .is_some()
        {
            return Err("get_partial_and_size returned data".into());
        }
        store
            .erase(&k)
            .map_err(|e| format!("erasing an absent key: {e}"))
    });
    r.check("set and get", || {
        for (i, k) in KEYS.iter().enumerate() {
            let v = format!("value of {k} #{i}");
            store
                .set(&key(k)?, v.as_bytes())
                .map_err(|e| format!("set {k}: {e}"))?;
        }
        for (i, k) in KEYS.iter().enumerate() {
            let want = format!("value of {k} #{i}");
            let got = store.get(&key(k)?).map_err(|e| format!("get {k}: {e}"))?;
            if got.as_deref() != Some(want.as_bytes()) {
                return Err(format!("get {k} returned {got:?}"));
            }
            let size = store.size_key(&key(k)?).map_err(|e| e.to_string())?;
            if size != Some(want.len() as u64) {
                return Err(format!("size_key {k} is {size:?}, expected {}", want.len()));
            }
        }
        Ok(())
    });
    r.check("overwrite, empty and binary values", || {
        let k = key("a/c/0/0")?;
        store.set(&k, b"new").map_err(|e| e.to_string())?;
        if store.get(&k).map_err(|e| e.to_string())?.as_deref() != Some(b"new".as_slice()) {
            return Err("an overwritten key does not return the new value".into());
        }
        let e = key("empty")?;
        store.set(&e, b"").map_err(|e| e.to_string())?;
        if store.get(&e).map_err(|e| e.to_string())? != Some(Vec::new()) {
            return Err("an empty value does not read back as empty".into());
        }
        let all: Vec<u8> = (0..=255u8).collect();
        let b = key("binary")?;
        store.set(&b, &all).map_err(|e| e.to_string())?;
        if store.get(&b).map_err(|e| e.to_string())? != Some(all) {
            return Err("a value of all 256 byte values does not read back".into());
        }
        let big = sample_bytes(1 << 20, 3);
        let g = key("big/value")?;
        store.set(&g, &big).map_err(|e| e.to_string())?;
        if store.get(&g).map_err(|e| e.to_string())? != Some(big) {
            return Err("a 1 MiB value does not read back".into());
        }
        for k in [e, b, g] {
            store.erase(&k).map_err(|e| e.to_string())?;
        }
        Ok(())
    });
    r.check("byte ranges", || {
        let k = key("ranges")?;
        let v: Vec<u8> = (0..100u8).collect();
        store.set(&k, &v).map_err(|e| e.to_string())?;
        let cases: Vec<(ByteRange, std::ops::Range<usize>)> = vec![
            (ByteRange::FromStart(0, Some(3)), 0..3),
            (ByteRange::FromStart(10, Some(20)), 10..30),
            (ByteRange::FromStart(95, None), 95..100),
            (ByteRange::FromStart(100, None), 100..100),
            (ByteRange::FromStart(100, Some(0)), 100..100),
            (ByteRange::ALL, 0..100),
            (ByteRange::Suffix(4), 96..100),
            (ByteRange::Suffix(0), 100..100),
            (ByteRange::Suffix(100), 0..100),
        ];
        let ranges: Vec<ByteRange> = cases.iter().map(|(r, _)| *r).collect();
        let got = store
            .get_partial(&k, &ranges)
            .map_err(|e| e.to_string())?
            .ok_or("get_partial of a present key returned None")?;
        if got.len() != cases.len() {
            return Err(format!("{} ranges gave {} values", cases.len(), got.len()));
        }
        for ((r, want), g) in cases.iter().zip(&got) {
            if g.as_slice() != &v[want.clone()] {
                return Err(format!(
                    "range {r} gave {} bytes, not bytes {want:?}",
                    g.len()
                ));
            }
        }
        // get_into: scattered buffers (some empty) filled in order; wrong totals are errors.
        let mut a = vec![0u8; 7];
        let mut b = vec![0u8; 0];
        let mut c = vec![0u8; 93];
        {
            let mut bufs: Vec<&mut [u8]> = vec![&mut a, &mut b, &mut c];
            if !store.get_into(&k, &mut bufs).map_err(|e| e.to_string())? {
                return Err("get_into of a present key returned false".into());
            }
        }
        if a[..] != v[..7] || c[..] != v[7..] {
            return Err("get_into filled the buffers with the wrong bytes".into());
        }
        for len in [99usize, 101] {
            let mut short = vec![0u8; len];
            if store.get_into(&k, &mut [&mut short[..]]).is_ok() {
                return Err(format!("get_into of 100 bytes into {len} was not an error"));
            }
        }
        let mut none = [0u8; 4];
        if store
            .get_into(&key("absent/key")?, &mut [&mut none[..]])
            .map_err(|e| e.to_string())?
        {
            return Err("get_into of an absent key returned true".into());
        }
        let (again, size) = store
            .get_partial_and_size(&k, &ranges)
            .map_err(|e| e.to_string())?
            .ok_or("get_partial_and_size of a present key returned None")?;
        if again != got || size != v.len() as u64 {
            return Err(format!(
                "get_partial_and_size gave size {size} and ranges that differ from get_partial's"
            ));
        }
        for bad in [
            ByteRange::FromStart(101, None),
            ByteRange::FromStart(99, Some(2)),
            ByteRange::FromStart(200, Some(1)),
            ByteRange::FromStart(u64::MAX, Some(1)),
            ByteRange::FromStart(1, Some(u64::MAX)),
            ByteRange::Suffix(101),
        ] {
            if store.get_partial(&k, &[bad]).is_ok() {
                return Err(format!("out-of-bounds range {bad} was not an error"));
            }
            if store.get_partial_and_size(&k, &[bad]).is_ok() {
                return Err(format!(
                    "out-of-bounds range {bad} was not an error in get_partial_and_size"
                ));
            }
        }
        store.erase(&k).map_err(|e| e.to_string())
    });
    r.check("pinned values", || {
        // `open_value`: absent keys are Absent (or Unsupported); a pinned value reads like
        // get_partial and keeps its bytes when the key is replaced.
        match store
            .open_value(&key("absent/key")?)
            .map_err(|e| e.to_string())?
        {
            OpenedValue::Pinned(_) => return Err("open_value of an absent key pinned it".into()),
            OpenedValue::Absent | OpenedValue::Unsupported => {}
        }
        let k = key("pinned")?;
        let old: Vec<u8> = (0..50u8).collect();
        store.set(&k, &old).map_err(|e| e.to_string())?;
        match store.open_value(&k).map_err(|e| e.to_string())? {
            OpenedValue::Absent => return Err("open_value of a present key: absent".into()),
            OpenedValue::Unsupported => {}
            OpenedValue::Pinned(v) => {
                if v.size() != 50 {
                    return Err(format!("pinned size {}, expected 50", v.size()));
                }
                store.set(&k, &[9u8; 80]).map_err(|e| e.to_string())?;
                let got = v
                    .get_ranges(&[ByteRange::FromStart(10, Some(5)), ByteRange::Suffix(3)])
                    .map_err(|e| e.to_string())?;
                if got != vec![old[10..15].to_vec(), old[47..].to_vec()] {
                    return Err("a pinned value changed when its key was replaced".into());
                }
                if v.get_ranges(&[ByteRange::FromStart(45, Some(6))]).is_ok() {
                    return Err("a range past a pinned value's end was not an error".into());
                }
            }
        }
        store.erase(&k).map_err(|e| e.to_string())
    });
    r.check("list and list_prefix", || {
        let mut all: Vec<&str> = KEYS.to_vec();
        all.sort_unstable();
        let listed = store.list().map_err(|e| e.to_string())?;
        if keys_of(&listed) != all {
            return Err(format!(
                "list gave {:?}, expected {all:?}",
                keys_of(&listed)
            ));
        }
        let under_a = store
            .list_prefix(&prefix("a/")?)
            .map_err(|e| e.to_string())?;
        let want = [
            "a/b/zarr.json",
            "a/c/0/0",
            "a/c/0/1",
            "a/c/1/0",
            "a/zarr.json",
        ];
        if keys_of(&under_a) != want {
            return Err(format!(
                "list_prefix(a/) gave {:?}, expected {want:?}",
                keys_of(&under_a)
            ));
        }
        let none = store
            .list_prefix(&prefix("nothing/")?)
            .map_err(|e| e.to_string())?;
        if !none.is_empty() {
            return Err(format!("list_prefix(nothing/) gave {:?}", keys_of(&none)));
        }
        Ok(())
    });
    r.check("list_dir", || {
        let root = store
            .list_dir(&StorePrefix::root())
            .map_err(|e| e.to_string())?;
        let prefixes: Vec<&str> = root.prefixes.iter().map(StorePrefix::as_str).collect();
        if keys_of(&root.keys) != ["zarr.json"] || prefixes != ["a/", "ab/", "c/", "unicode/"] {
            return Err(format!(
                "list_dir(root) gave keys {:?} and prefixes {prefixes:?}",
                keys_of(&root.keys)
            ));
        }
        let a = store.list_dir(&prefix("a/")?).map_err(|e| e.to_string())?;
        let prefixes: Vec<&str> = a.prefixes.iter().map(StorePrefix::as_str).collect();
        if keys_of(&a.keys) != ["a/zarr.json"] || prefixes != ["a/b/", "a/c/"] {
            return Err(format!(
                "list_dir(a/) gave keys {:?} and prefixes {prefixes:?}",
                keys_of(&a.keys)
            ));
        }
        let c = store
            .list_dir(&prefix("a/c/0/")?)
            .map_err(|e| e.to_string())?;
        if keys_of(&c.keys) != ["a/c/0/0", "a/c/0/1"] || !c.prefixes.is_empty() {
            return Err(format!("list_dir(a/c/0/) gave keys {:?}", keys_of(&c.keys)));
        }
        Ok(())
    });
    r.check("erase and erase_prefix", || {
        store.erase(&key("a/c/0/1")?).map_err(|e| e.to_string())?;
        if store
            .get(&key("a/c/0/1")?)
            .map_err(|e| e.to_string())?
            .is_some()
        {
            return Err("an erased key still has a value".into());
        }
        store
            .erase_prefix(&prefix("a/")?)
            .map_err(|e| e.to_string())?;
        let left = store.list().map_err(|e| e.to_string())?;
        let want = ["ab/c", "c/0.1.2", "unicode/é-ß", "zarr.json"];
        if keys_of(&left) != want {
            return Err(format!(
                "after erase_prefix(a/) the store holds {:?}, expected {want:?}",
                keys_of(&left)
            ));
        }
        store
            .erase_prefix(&StorePrefix::root())
            .map_err(|e| e.to_string())?;
        let left = store.list().map_err(|e| e.to_string())?;
        if !left.is_empty() {
            return Err(format!(
                "after erase_prefix(root) the store holds {:?}",
                keys_of(&left)
            ));
        }
        Ok(())
    });
    r.into_result()
}
