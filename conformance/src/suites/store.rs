//! The store suite: the readable, writable and listable store traits on an **empty** store
//! (the suite erases what it wrote and leaves the store empty again).
//!
//! Checked: absent keys (`read`, `get`, `size_key`, `version` give `None`, `get_into`
//! `false`; `erase` is fine; a read demanding a version of an absent key is "changed");
//! set, overwrite and get of empty, binary and 1 MiB values; byte ranges through the one read
//! primitive (from the start with and without length, suffix, empty ranges at the end,
//! several at once, in order, each with the value's size and version) and `get_into`;
//! out-of-bounds ranges are errors; **versions**: stable while a value is unchanged, new
//! after every set (also of the same bytes), a read demanding an old version fails with
//! "changed" and never returns bytes; **conditional writes** (when the store says it supports
//! them): `set_if` absent / on the current version / on a stale version, `erase_if`; `list`
//! / `list_prefix` sorted and exact (a prefix `a/` never matches `ab/...`); `list_dir` keys
//! and sub-prefixes; `erase` and `erase_prefix` (only below the prefix).

use zarrkit_core::storage::{
    ByteRange, Bytes, ListableStorageTraits, ReadableStorageExt, ReadableStorageTraits,
    SetCondition, StoreKey, StorePrefix, WritableStorageTraits,
};
use zarrkit_core::StorageError;

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

fn is_changed(r: &Result<impl Sized, StorageError>) -> bool {
    matches!(r, Err(StorageError::Changed { .. }))
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
            .read(
                &k,
                &[ByteRange::FromStart(0, Some(1)), ByteRange::Suffix(1)],
                None,
            )
            .map_err(|e| e.to_string())?
            .is_some()
        {
            return Err("read returned data".into());
        }
        let v = zarrkit_core::storage::Version::from_u64(1);
        let demanded = store.read(&k, &[ByteRange::ALL], Some(&v));
        if !is_changed(&demanded) {
            return Err(format!(
                "a read demanding a version of an absent key gave {demanded:?}, not \"changed\""
            ));
        }
        let mut none = [0u8; 4];
        if store
            .get_into(&k, &mut [&mut none[..]])
            .map_err(|e| e.to_string())?
        {
            return Err("get_into of an absent key returned true".into());
        }
        store
            .erase(&k)
            .map_err(|e| format!("erasing an absent key: {e}"))
    });
    r.check("set and get", || {
        for (i, k) in KEYS.iter().enumerate() {
            let v = format!("value of {k} #{i}");
            store
                .set(&key(k)?, Bytes::from(v.into_bytes()))
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
        store
            .set(&k, Bytes::from_static(b"new"))
            .map_err(|e| e.to_string())?;
        if store.get(&k).map_err(|e| e.to_string())?.as_deref() != Some(b"new".as_slice()) {
            return Err("an overwritten key does not return the new value".into());
        }
        let e = key("empty")?;
        store.set(&e, Bytes::new()).map_err(|e| e.to_string())?;
        if store.get(&e).map_err(|e| e.to_string())?.as_deref() != Some(&[][..]) {
            return Err("an empty value does not read back as empty".into());
        }
        let all: Vec<u8> = (0..=255u8).collect();
        let b = key("binary")?;
        store
            .set(&b, Bytes::from(all.clone()))
            .map_err(|e| e.to_string())?;
        if store.get(&b).map_err(|e| e.to_string())?.as_deref() != Some(&all[..]) {
            return Err("a value of all 256 byte values does not read back".into());
        }
        let big = sample_bytes(1 << 20, 3);
        let g = key("big/value")?;
        store
            .set(&g, Bytes::from(big.clone()))
            .map_err(|e| e.to_string())?;
        if store.get(&g).map_err(|e| e.to_string())?.as_deref() != Some(&big[..]) {
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
        store
            .set(&k, Bytes::from(v.clone()))
            .map_err(|e| e.to_string())?;
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
            .read(&k, &ranges, None)
            .map_err(|e| e.to_string())?
            .ok_or("read of a present key returned None")?;
        if got.size != v.len() as u64 {
            return Err(format!("read gave size {}, expected 100", got.size));
        }
        if got.bytes.len() != cases.len() {
            return Err(format!(
                "{} ranges gave {} values",
                cases.len(),
                got.bytes.len()
            ));
        }
        for ((r, want), g) in cases.iter().zip(&got.bytes) {
            if g[..] != v[want.clone()] {
                return Err(format!(
                    "range {r} gave {} bytes, not bytes {want:?}",
                    g.len()
                ));
            }
        }
        let head = store
            .read(&k, &[], None)
            .map_err(|e| e.to_string())?
            .ok_or("a read of no ranges of a present key returned None")?;
        if head.size != 100 || !head.bytes.is_empty() || head.version != got.version {
            return Err("a read of no ranges must give the size and the same version".into());
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
        for bad in [
            ByteRange::FromStart(101, None),
            ByteRange::FromStart(99, Some(2)),
            ByteRange::FromStart(200, Some(1)),
            ByteRange::FromStart(u64::MAX, Some(1)),
            ByteRange::FromStart(1, Some(u64::MAX)),
            ByteRange::Suffix(101),
        ] {
            if store.read(&k, &[bad], None).is_ok() {
                return Err(format!("out-of-bounds range {bad} was not an error"));
            }
        }
        store.erase(&k).map_err(|e| e.to_string())
    });
    r.check("versions", || {
        let k = key("versioned")?;
        store
            .set(&k, Bytes::from_static(b"first value"))
            .map_err(|e| e.to_string())?;
        let v1 = store
            .version(&k)
            .map_err(|e| e.to_string())?
            .ok_or("no version of a present key")?;
        let again = store.version(&k).map_err(|e| e.to_string())?;
        if again.as_ref() != Some(&v1) {
            return Err("the version of an unchanged value changed".into());
        }
        let r1 = store
            .read(&k, &[ByteRange::new(0, 5)], Some(&v1))
            .map_err(|e| format!("a read demanding the current version: {e}"))?
            .ok_or("a read demanding the current version returned None")?;
        if r1.bytes.first().map(|b| &b[..]) != Some(&b"first"[..]) || r1.version != v1 {
            return Err("a read demanding the current version gave the wrong bytes".into());
        }
        // The same bytes again: still a new version (a writer replaced the value).
        store
            .set(&k, Bytes::from_static(b"first value"))
            .map_err(|e| e.to_string())?;
        let v2 = store
            .version(&k)
            .map_err(|e| e.to_string())?
            .ok_or("no version after a set")?;
        if v2 == v1 {
            return Err("setting a key did not give it a new version".into());
        }
        let stale = store.read(&k, &[ByteRange::ALL], Some(&v1));
        if !is_changed(&stale) {
            return Err(format!(
                "a read demanding a replaced version gave {stale:?}, not \"changed\""
            ));
        }
        store.erase(&k).map_err(|e| e.to_string())?;
        let erased = store.read(&k, &[], Some(&v2));
        if !is_changed(&erased) {
            return Err(format!(
                "a read demanding the version of an erased value gave {erased:?}, not \"changed\""
            ));
        }
        Ok(())
    });
    if store.supports_conditional_writes() {
        r.check("conditional writes", || {
            let k = key("cas/value")?;
            store
                .set_if(&k, Bytes::from_static(b"one"), &SetCondition::Absent)
                .map_err(|e| format!("set_if absent on an absent key: {e}"))?;
            let again = store.set_if(&k, Bytes::from_static(b"x"), &SetCondition::Absent);
            if !matches!(again, Err(StorageError::Exists { .. })) {
                return Err(format!("set_if absent on a present key gave {again:?}"));
            }
            let v1 = store
                .version(&k)
                .map_err(|e| e.to_string())?
                .ok_or("no version")?;
            store
                .set_if(
                    &k,
                    Bytes::from_static(b"two"),
                    &SetCondition::Version(v1.clone()),
                )
                .map_err(|e| format!("set_if on the current version: {e}"))?;
            let stale = store.set_if(
                &k,
                Bytes::from_static(b"x"),
                &SetCondition::Version(v1.clone()),
            );
            if !is_changed(&stale) {
                return Err(format!("set_if on a stale version gave {stale:?}"));
            }
            if store.get(&k).map_err(|e| e.to_string())?.as_deref() != Some(&b"two"[..]) {
                return Err("a failed set_if changed the value".into());
            }
            if !is_changed(&store.erase_if(&k, &v1)) {
                return Err("erase_if on a stale version was not \"changed\"".into());
            }
            let v2 = store
                .version(&k)
                .map_err(|e| e.to_string())?
                .ok_or("no version")?;
            match store.erase_if(&k, &v2) {
                Ok(()) | Err(StorageError::Unsupported(_)) => {}
                Err(e) => return Err(format!("erase_if on the current version: {e}")),
            }
            store.erase(&k).map_err(|e| e.to_string())
        });
    }
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
