//! Arrays through icechunk sessions on a local-filesystem repository: round trips (unsharded,
//! sharded, inlined chunks; sync and async), commits reopened at their snapshot, branch and
//! tag, versions and conditional writes, read-only sessions, keys icechunk cannot hold,
//! listing, erasure, URLs, commit conflicts and rebases, and concurrent read-modify-writes of
//! one shard that lose nothing.

mod common;

use std::sync::Arc;

use common::{create_arrays, pattern, tiny_pattern, R};
use futures::executor::block_on;
use zarrkit_core::storage::{
    ByteRange, Bytes, ListableStorageTraits, ReadableStorageExt, ReadableStorageTraits,
    SetCondition, StoreKey, StorePrefix, WritableStorageTraits,
};
use zarrkit_core::{Array, ArraySubset, StorageError};
use zarrkit_store_icechunk::{IcechunkRepository, IcechunkStore, VersionSpec};

/// A key from a literal of the tests.
#[allow(clippy::expect_used)]
fn key(s: &str) -> StoreKey {
    StoreKey::new(s).expect("a valid key")
}

fn all() -> ArraySubset {
    ArraySubset::new_with_shape(vec![64, 64])
}

/// Write every array with `seed`'s pattern and store its metadata.
fn write_all(store: &Arc<IcechunkStore>, seed: u32) -> R {
    for a in create_arrays(store)? {
        a.store_metadata()?;
        if a.path().as_str() == "/tiny" {
            a.write(
                ArraySubset::new_with_shape(vec![8, 8]),
                &tiny_pattern(seed as u8),
            )?;
        } else {
            a.write(all(), &pattern(seed))?;
        }
    }
    Ok(())
}

/// Check every array holds `seed`'s pattern.
fn check_all(store: &Arc<IcechunkStore>, seed: u32) -> R {
    for name in ["/plain", "/sharded", "/sharded_gzip"] {
        let a = Array::open(store.clone(), name)?;
        let v: Vec<u32> = a.read(all())?;
        assert!(v == pattern(seed), "{name} differs from pattern {seed}");
        // A region across chunk (and inner chunk) boundaries.
        let r: Vec<u32> = a.read(ArraySubset::new(vec![5, 13], vec![30, 21])?)?;
        let p = pattern(seed);
        let want: Vec<u32> = (5..35)
            .flat_map(|i| (13..34).map(move |j| (i, j)))
            .map(|(i, j)| p[i * 64 + j])
            .collect();
        assert!(r == want, "{name}: region differs");
    }
    let t = Array::open(store.clone(), "/tiny")?;
    let v: Vec<u8> = t.read(ArraySubset::new_with_shape(vec![8, 8]))?;
    assert_eq!(v, tiny_pattern(seed as u8), "/tiny");
    Ok(())
}

#[test]
fn arrays_round_trip_and_commits_reopen_at_snapshot_branch_and_tag() -> R {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("repo");
    let repo = IcechunkRepository::create_local(&path)?;
    let store = Arc::new(repo.writable_session("main")?);
    assert_eq!(store.branch()?.as_deref(), Some("main"));
    write_all(&store, 1)?;
    // Read back before the commit: the session sees its own changes.
    check_all(&store, 1)?;
    assert!(store.has_uncommitted_changes()?);
    let snap1 = store.commit("pattern 1")?;
    assert!(!store.has_uncommitted_changes()?);
    assert_eq!(store.snapshot_id()?, snap1);
    check_all(&store, 1)?;

    // Overwrite through the same session (whole arrays) and partially (a region inside
    // shards: read-modify-write of each shard it touches), then commit again.
    write_all(&store, 2)?;
    let sharded = Array::open(store.clone(), "/sharded")?;
    sharded.write(ArraySubset::new(vec![30, 30], vec![4, 4])?, &[7u32; 16])?;
    let snap2 = store.commit("pattern 2 with a patch")?;
    assert_ne!(snap1, snap2);
    drop(store);

    // A fresh handle on the repository (as another process would open it).
    let repo = IcechunkRepository::open_local(&path)?;
    assert_eq!(repo.branch_tip("main")?, snap2);

    let at1 = Arc::new(repo.readonly_session(&VersionSpec::Snapshot(snap1.clone()))?);
    assert!(at1.read_only()?);
    check_all(&at1, 1)?;

    let tip = Arc::new(repo.readonly_session(&VersionSpec::Branch("main".into()))?);
    let v: Vec<u32> = Array::open(tip.clone(), "/sharded")?.read(all())?;
    let mut want = pattern(2);
    for i in 30..34 {
        for j in 30..34 {
            want[i * 64 + j] = 7;
        }
    }
    assert!(v == want, "the patched shard at the branch tip");
    for name in ["/plain", "/sharded_gzip"] {
        let v: Vec<u32> = Array::open(tip.clone(), name)?.read(all())?;
        assert!(v == pattern(2), "{name} at the tip");
    }

    // A tag and a branch at the first snapshot; the branch diverges, main does not move.
    repo.create_tag("v1", &snap1)?;
    assert!(repo.list_tags()?.contains("v1"));
    check_all(
        &Arc::new(repo.readonly_session(&VersionSpec::Tag("v1".into()))?),
        1,
    )?;
    repo.create_branch("dev", &snap1)?;
    let dev = Arc::new(repo.writable_session("dev")?);
    check_all(&dev, 1)?;
    write_all(&dev, 3)?;
    let snap3 = dev.commit("pattern 3 on dev")?;
    assert_eq!(repo.branch_tip("dev")?, snap3);
    assert_eq!(repo.branch_tip("main")?, snap2);
    check_all(
        &Arc::new(repo.readonly_session(&VersionSpec::Branch("dev".into()))?),
        3,
    )?;
    check_all(&at1, 1)?;
    assert_eq!(
        repo.list_branches()?.into_iter().collect::<Vec<_>>(),
        ["dev", "main"]
    );
    Ok(())
}

#[test]
fn async_api_round_trip() -> R {
    let dir = tempfile::tempdir()?;
    let repo = IcechunkRepository::create_local(dir.path())?;
    block_on(async {
        let store = Arc::new(repo.writable_session_async("main").await?);
        for a in create_arrays(&store)? {
            a.store_metadata_async().await?;
            if a.path().as_str() != "/tiny" {
                a.write_async(all(), pattern(9)).await?;
            }
        }
        let snap = store.commit_async("async").await?;
        let ro = Arc::new(
            repo.readonly_session_async(&VersionSpec::Snapshot(snap))
                .await?,
        );
        for name in ["/plain", "/sharded", "/sharded_gzip"] {
            let a = Array::open_async(ro.clone(), name).await?;
            let v: Vec<u32> = a.read_async(all()).await?;
            assert!(v == pattern(9), "{name} (async)");
            let r: Vec<u32> = a
                .read_async(ArraySubset::new(vec![9, 40], vec![3, 20])?)
                .await?;
            assert_eq!(r.len(), 60);
            assert_eq!(r[0], pattern(9)[9 * 64 + 40]);
        }
        Ok::<(), common::Error>(())
    })
}

#[test]
fn versions_ranges_and_conditional_writes() -> R {
    let dir = tempfile::tempdir()?;
    let repo = IcechunkRepository::create_local(dir.path())?;
    let store = Arc::new(repo.writable_session("main")?);
    write_all(&store, 4)?;

    // A chunk stored as its own object (1 028 bytes) and one inlined (16 bytes).
    let big = key("plain/c/0/1");
    let small = key("tiny/c/1/1");
    let r = store.read(&big, &[], None)?.ok_or("plain chunk absent")?;
    assert_eq!(r.size, 16 * 16 * 4 + 4);
    let v_big = r.version.clone();
    assert!(
        v_big.as_str().is_some_and(|s| s.starts_with("ref:")),
        "{v_big:?}"
    );
    let r = store.read(&small, &[], None)?.ok_or("tiny chunk absent")?;
    assert_eq!(r.size, 16);
    let v_small = r.version;
    assert!(
        v_small.as_str().is_some_and(|s| s.starts_with("inline:")),
        "{v_small:?}"
    );
    let meta = store
        .version(&key("plain/zarr.json"))?
        .ok_or("no metadata")?;
    assert!(meta.as_str().is_some_and(|s| s.starts_with("meta:")));

    // Ranges: prefix, suffix, middle, empty; and against the whole value.
    let whole = store.get(&big)?.ok_or("absent")?;
    let ranges = [
        ByteRange::new(0, 10),
        ByteRange::Suffix(4),
        ByteRange::new(500, 100),
        ByteRange::new(7, 0),
        ByteRange::FromStart(1000, None),
        ByteRange::Prefix(5000),
    ];
    let got = store.read(&big, &ranges, Some(&v_big))?.ok_or("absent")?;
    got.check(&big, &ranges)?;
    assert_eq!(got.bytes[0], whole.slice(0..10));
    assert_eq!(got.bytes[1], whole.slice(1024..1028));
    assert_eq!(got.bytes[2], whole.slice(500..600));
    assert!(got.bytes[3].is_empty());
    assert_eq!(got.bytes[4], whole.slice(1000..));
    assert_eq!(got.bytes[5], whole);
    let tiny_whole = store.get(&small)?.ok_or("absent")?;
    let got = store
        .read(&small, &[ByteRange::Suffix(3)], None)?
        .ok_or("absent")?;
    assert_eq!(got.bytes[0], tiny_whole.slice(13..));
    for (k, size) in [(&big, 1028), (&small, 16)] {
        match store.read(k, &[ByteRange::new(size - 2, 3)], None) {
            Err(StorageError::RangeOutOfBounds { .. }) => {}
            other => panic!("{k}: out-of-bounds range gave {other:?}"),
        }
    }

    // The same version in another session on the same snapshot, after a commit.
    let snap = store.commit("versions")?;
    let other = repo.readonly_session(&VersionSpec::Snapshot(snap))?;
    assert_eq!(other.version(&big)?, Some(v_big.clone()));
    assert_eq!(other.version(&small)?, Some(v_small.clone()));

    // Rewriting changes the version; reads demanding the old one fail as changed.
    store.set(&big, whole.clone())?;
    let v_big2 = store.version(&big)?.ok_or("absent")?;
    assert_ne!(
        v_big, v_big2,
        "the same bytes rewritten are a new chunk object"
    );
    match store.read(&big, &[ByteRange::new(0, 1)], Some(&v_big)) {
        Err(StorageError::Changed { .. }) => {}
        other => panic!("a read demanding a replaced version gave {other:?}"),
    }
    let new_small = Bytes::from_static(&[9u8; 16]);
    store.set(&small, new_small.clone())?;
    assert_ne!(store.version(&small)?, Some(v_small.clone()));

    // Compare-and-swap.
    match store.set_if(&big, whole.clone(), &SetCondition::Version(v_big.clone())) {
        Err(StorageError::Changed { .. }) => {}
        other => panic!("a swap against a stale version gave {other:?}"),
    }
    store.set_if(&big, whole.clone(), &SetCondition::Version(v_big2.clone()))?;
    match store.set_if(&big, whole.clone(), &SetCondition::Absent) {
        Err(StorageError::Exists { .. }) => {}
        other => panic!("a create of a present chunk gave {other:?}"),
    }
    let absent = key("plain/c/3/3");
    store.erase(&absent)?;
    assert!(store.read(&absent, &[], None)?.is_none());
    store.set_if(&absent, whole.clone(), &SetCondition::Absent)?;
    let v = store.version(&absent)?.ok_or("absent after create")?;
    match store.erase_if(&absent, &v_big) {
        Err(StorageError::Changed { .. }) => {}
        other => panic!("erase_if of a stale version gave {other:?}"),
    }
    store.erase_if(&absent, &v)?;
    assert!(store.get(&absent)?.is_none());
    match store.set_if(&absent, whole.clone(), &SetCondition::Version(v)) {
        Err(StorageError::Changed { .. }) => {}
        other => panic!("a swap of an erased chunk gave {other:?}"),
    }

    // Conditional metadata writes.
    let mk = key("tiny/zarr.json");
    let doc = store.get(&mk)?.ok_or("no tiny metadata")?;
    let mv = store.version(&mk)?.ok_or("no version")?;
    match store.set_if(&mk, doc.clone(), &SetCondition::Absent) {
        Err(StorageError::Exists { .. }) => {}
        other => panic!("create of present metadata gave {other:?}"),
    }
    store.set_if(&mk, doc.clone(), &SetCondition::Version(mv.clone()))?;
    assert!(store.supports_conditional_writes());
    Ok(())
}

#[test]
fn read_only_sessions_and_foreign_keys_are_clear_errors() -> R {
    let dir = tempfile::tempdir()?;
    let repo = IcechunkRepository::create_local(dir.path())?;
    let store = Arc::new(repo.writable_session("main")?);
    write_all(&store, 5)?;
    let snap = store.commit("five")?;
    let ro = Arc::new(repo.readonly_session(&VersionSpec::Snapshot(snap))?);
    let k = key("plain/c/0/0");
    let v = ro.get(&k)?.ok_or("absent")?;
    for r in [
        ro.set(&k, v.clone()),
        ro.set(&key("plain/zarr.json"), Bytes::from_static(b"{}")),
        ro.set_if(&k, v.clone(), &SetCondition::Absent),
        ro.erase_prefix(&StorePrefix::new("plain/")?),
    ] {
        match r {
            Err(StorageError::Unsupported(m)) => assert!(m.contains("read-only"), "{m}"),
            other => panic!("a write to a read-only session gave {other:?}"),
        }
    }
    match ro.commit("nothing") {
        Err(StorageError::Unsupported(m)) => assert!(m.contains("read-only"), "{m}"),
        other => panic!("a commit of a read-only session gave {other:?}"),
    }
    // Arrays refuse to write there too, with the store's error.
    let a = Array::open(ro.clone(), "/plain")?;
    assert!(a.write(all(), &pattern(0)).is_err());

    // Keys icechunk cannot hold: absent when read, errors when written.
    for k in [
        ".zarray",
        "plain/.zattrs",
        "plain/0.0",
        "plain/c/x",
        "other.txt",
    ] {
        assert!(store.get(&key(k))?.is_none(), "{k} read as present");
        store.erase(&key(k))?;
    }
    match store.set(&key(".zgroup"), Bytes::from_static(b"{}")) {
        Err(StorageError::Unsupported(m)) => assert!(m.contains("V2"), "{m}"),
        other => panic!("a V2 document write gave {other:?}"),
    }
    match store.set(&key("plain/0.0"), Bytes::from_static(b"x")) {
        Err(StorageError::InvalidKey { key, .. }) => assert_eq!(key, "plain/0.0"),
        other => panic!("a V2-style chunk key write gave {other:?}"),
    }
    // A chunk of an array that does not exist, outside the grid, bad metadata: errors.
    assert!(store
        .set(&key("nothing/c/0"), Bytes::from_static(b"x"))
        .is_err());
    assert!(store
        .set(&key("plain/c/9/9"), Bytes::from_static(b"x"))
        .is_err());
    assert!(store
        .set(&key("x/zarr.json"), Bytes::from_static(b"not json"))
        .is_err());
    assert!(store.get(&key("nothing/c/0"))?.is_none());
    assert!(store.get(&key("plain/c/9/9"))?.is_none());
    assert!(store.get(&key("nothing/zarr.json"))?.is_none());

    // A snapshot id that is not one; a repository that is not there.
    assert!(repo
        .readonly_session(&VersionSpec::Snapshot("nope".into()))
        .is_err());
    assert!(repo
        .readonly_session(&VersionSpec::Snapshot("AAAAAAAAAAAAAAAAAAAA".into()))
        .is_err());
    assert!(repo
        .readonly_session(&VersionSpec::Tag("nope".into()))
        .is_err());
    assert!(repo.writable_session("nope").is_err());
    let empty = tempfile::tempdir()?;
    match IcechunkRepository::open_local(empty.path()) {
        Err(StorageError::Other(m)) => assert!(m.contains("no repository"), "{m}"),
        other => panic!("opening an empty directory gave {other:?}"),
    }
    Ok(())
}

#[test]
fn listing_and_erasure() -> R {
    let dir = tempfile::tempdir()?;
    let repo = IcechunkRepository::create_local(dir.path())?;
    let store = Arc::new(repo.writable_session("main")?);
    zarrkit_core::GroupBuilder::new()
        .build(store.clone(), "/")?
        .store_metadata()?;
    zarrkit_core::GroupBuilder::new()
        .build(store.clone(), "/g")?
        .store_metadata()?;
    write_all(&store, 6)?;
    let a = zarrkit_core::ArrayBuilder::new(vec![4], vec![2], "uint32", 0)
        .codecs_metadata(vec![common::bytes_le()])
        .build(store.clone(), "/g/c")?;
    a.store_metadata()?;
    a.write(ArraySubset::new_with_shape(vec![4]), &[1u32, 2, 3, 4][..])?;

    let keys = store.list()?;
    let names: Vec<&str> = keys.iter().map(StoreKey::as_str).collect();
    assert!(names.windows(2).all(|w| w[0] < w[1]), "sorted");
    assert!(names.contains(&"zarr.json") && names.contains(&"g/zarr.json"));
    assert!(names.contains(&"g/c/c/1"), "{names:?}");
    assert_eq!(
        names.iter().filter(|k| k.starts_with("plain/c/")).count(),
        16
    );
    assert_eq!(
        names.iter().filter(|k| k.starts_with("sharded/c/")).count(),
        4
    );

    let root = store.list_dir(&StorePrefix::root())?;
    assert_eq!(
        root.keys.iter().map(StoreKey::as_str).collect::<Vec<_>>(),
        ["zarr.json"]
    );
    assert_eq!(
        root.prefixes
            .iter()
            .map(StorePrefix::as_str)
            .collect::<Vec<_>>(),
        ["g/", "plain/", "sharded/", "sharded_gzip/", "tiny/"]
    );
    let plain = store.list_dir(&StorePrefix::new("plain/")?)?;
    assert_eq!(plain.keys, [key("plain/zarr.json")]);
    assert_eq!(plain.prefixes, [StorePrefix::new("plain/c/")?]);
    let row = store.list_dir(&StorePrefix::new("plain/c/1/")?)?;
    assert_eq!(
        row.keys.iter().map(StoreKey::as_str).collect::<Vec<_>>(),
        ["plain/c/1/0", "plain/c/1/1", "plain/c/1/2", "plain/c/1/3"]
    );
    let g = store.list_dir(&StorePrefix::new("g/")?)?;
    assert_eq!(g.keys, [key("g/zarr.json")]);
    assert_eq!(g.prefixes, [StorePrefix::new("g/c/")?]);
    assert_eq!(
        store.list_prefix(&StorePrefix::new("g/c/c/")?)?,
        [key("g/c/c/0"), key("g/c/c/1")]
    );
    assert!(store
        .list_prefix(&StorePrefix::new("nothing/")?)?
        .is_empty());
    let children = zarrkit_core::Group::open(store.clone(), "/")?.child_names()?;
    assert_eq!(children, ["g", "plain", "sharded", "sharded_gzip", "tiny"]);

    // Erase a row of chunks, then a whole array, then a group with its array.
    store.erase_prefix(&StorePrefix::new("plain/c/1/")?)?;
    let left = store.list_prefix(&StorePrefix::new("plain/")?)?;
    assert_eq!(left.len(), 1 + 12);
    assert!(left.iter().all(|k| !k.as_str().starts_with("plain/c/1/")));
    let v: Vec<u32> = Array::open(store.clone(), "/plain")?.read(all())?;
    assert!(
        v[16 * 64..32 * 64].iter().all(|&x| x == 0),
        "erased chunks read as fill"
    );
    store.erase_prefix(&StorePrefix::new("plain/")?)?;
    assert!(store.list_prefix(&StorePrefix::new("plain/")?)?.is_empty());
    assert!(Array::open(store.clone(), "/plain").is_err());
    store.erase_prefix(&StorePrefix::new("g/")?)?;
    assert!(store.get(&key("g/c/zarr.json"))?.is_none());
    assert!(store.get(&key("g/zarr.json"))?.is_none());
    store.erase(&key("tiny/c/0/0"))?;
    assert!(store.get(&key("tiny/c/0/0"))?.is_none());
    let snap = store.commit("erasures")?;
    let ro = repo.readonly_session(&VersionSpec::Snapshot(snap))?;
    let names: Vec<String> = ro.list()?.into_iter().map(|k| k.to_string()).collect();
    assert!(names
        .iter()
        .all(|k| !k.starts_with("plain/") && !k.starts_with("g/")));
    assert_eq!(names.iter().filter(|k| k.starts_with("tiny/c/")).count(), 3);

    // The async listing agrees; erasing the root prefix empties the session.
    let listed =
        block_on(zarrkit_core::storage::asynchronous::AsyncListableStorageTraits::list(&*store))?;
    assert_eq!(listed, store.list()?);
    store.erase_prefix(&StorePrefix::root())?;
    assert!(store.list()?.is_empty());
    assert!(store.get(&key("zarr.json"))?.is_none());
    Ok(())
}

#[test]
fn urls_open_sessions() -> R {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("by-url");
    let url = format!("icechunk+file://{}?create", path.display());
    let store = zarrkit_core::registry::open_store(&url)?;
    let a = zarrkit_core::ArrayBuilder::new(vec![8], vec![4], "uint32", 0)
        .codecs_metadata(vec![common::bytes_le()])
        .build(store.clone(), "/x")?;
    a.store_metadata()?;
    a.write(ArraySubset::new_with_shape(vec![8]), &[5u32; 8][..])?;
    // Not committed: a new session by URL does not see it (the repository exists now).
    let again = zarrkit_core::registry::open_store(&format!("icechunk+file://{}", path.display()))?;
    assert!(again.get(&key("x/zarr.json"))?.is_none());

    // Commit through the API, then read by URL at the branch, read-only, and async.
    let repo = IcechunkRepository::open_local(&path)?;
    let s = Arc::new(repo.writable_session("main")?);
    let a = zarrkit_core::ArrayBuilder::new(vec![8], vec![4], "uint32", 0)
        .codecs_metadata(vec![common::bytes_le()])
        .build(s.clone(), "/x")?;
    a.store_metadata()?;
    a.write(ArraySubset::new_with_shape(vec![8]), &[6u32; 8][..])?;
    let snap = s.commit("x")?;
    for q in [
        "?branch=main&readonly".to_string(),
        format!("?snapshot={snap}"),
    ] {
        let u = format!("icechunk+file://{}{q}", path.display());
        let st = zarrkit_core::registry::open_store(&u)?;
        let v: Vec<u32> =
            Array::open(st.clone(), "/x")?.read(ArraySubset::new_with_shape(vec![8]))?;
        assert_eq!(v, [6u32; 8], "{u}");
        if q.contains("readonly") {
            assert!(st.set(&key("x/c/0"), Bytes::from_static(&[0; 16])).is_err());
        }
        let ast = zarrkit_core::registry::open_store_async(&u)?;
        let r = block_on(
            zarrkit_core::storage::asynchronous::AsyncReadableStorageExt::size_key(
                &ast,
                &key("x/c/1"),
            ),
        )?
        .ok_or("absent")?;
        assert_eq!(r, 16);
    }
    for bad in [
        format!("icechunk+file://{}?branch=main&tag=v1", path.display()),
        format!("icechunk+file://{}?colour=blue", path.display()),
        format!("icechunk+file://{}?readonly=maybe", path.display()),
        "icechunk+file://".to_string(),
        format!("icechunk+file://{}", dir.path().join("absent").display()),
    ] {
        assert!(zarrkit_core::registry::open_store(&bad).is_err(), "{bad}");
    }
    Ok(())
}

#[test]
fn commit_conflicts_and_rebases() -> R {
    let dir = tempfile::tempdir()?;
    let repo = IcechunkRepository::create_local(dir.path())?;
    let s = Arc::new(repo.writable_session("main")?);
    write_all(&s, 7)?;
    s.commit("base")?;

    // Two sessions from the same tip: disjoint chunks rebase; the same chunk conflicts.
    let a = Arc::new(repo.writable_session("main")?);
    let b = Arc::new(repo.writable_session("main")?);
    let c = Arc::new(repo.writable_session("main")?);
    let plain_a = Array::open(a.clone(), "/plain")?;
    let plain_b = Array::open(b.clone(), "/plain")?;
    let plain_c = Array::open(c.clone(), "/plain")?;
    plain_a.write(
        ArraySubset::new(vec![0, 0], vec![16, 16])?,
        &vec![1u32; 256],
    )?;
    plain_b.write(
        ArraySubset::new(vec![16, 0], vec![16, 16])?,
        &vec![2u32; 256],
    )?;
    plain_c.write(
        ArraySubset::new(vec![0, 0], vec![16, 16])?,
        &vec![3u32; 256],
    )?;
    a.commit("a")?;
    match b.commit("b without rebase") {
        Err(StorageError::Changed { key }) => assert!(key.contains("branch moved"), "{key}"),
        other => panic!("a commit on a moved branch gave {other:?}"),
    }
    b.commit_rebasing("b", 3)?;
    assert!(
        c.commit_rebasing("c", 3).is_err(),
        "the same chunk on both sides"
    );

    let tip = Arc::new(repo.readonly_session(&VersionSpec::Branch("main".into()))?);
    let v: Vec<u32> = Array::open(tip, "/plain")?.read(all())?;
    assert!(v[..16].iter().all(|&x| x == 1) && v[16 * 64..16 * 64 + 16].iter().all(|&x| x == 2));
    Ok(())
}

#[test]
fn concurrent_partial_writes_to_one_shard_lose_nothing() -> R {
    let dir = tempfile::tempdir()?;
    let repo = IcechunkRepository::create_local(dir.path())?;
    let store = Arc::new(repo.writable_session("main")?);
    let arrays = create_arrays(&store)?;
    let sharded = arrays
        .into_iter()
        .find(|a| a.path().as_str() == "/sharded")
        .ok_or("no /sharded")?;
    sharded.store_metadata()?;
    // Eight writers, each on its own array handle (own locks): only the store's
    // compare-and-swap keeps their read-modify-writes of shard (0, 0) from losing updates.
    let writers = 8;
    std::thread::scope(|scope| -> R {
        let handles: Vec<_> = (0..writers)
            .map(|w| {
                let store = store.clone();
                scope.spawn(move || -> R {
                    let a = Array::open(store, "/sharded")?;
                    for i in 0..32u64 {
                        let col = w as u64 * 4 + i % 4;
                        let row = i / 4 * 4 + w as u64 % 4;
                        a.write(
                            ArraySubset::new(vec![row, col], vec![1, 1])?,
                            &[1000 * (w + 1) + i as u32][..],
                        )?;
                    }
                    Ok(())
                })
            })
            .collect();
        for h in handles {
            h.join().map_err(|_| "a writer panicked")??;
        }
        Ok(())
    })?;
    let snap = store.commit("concurrent")?;
    let ro = Arc::new(repo.readonly_session(&VersionSpec::Snapshot(snap))?);
    let v: Vec<u32> = Array::open(ro, "/sharded")?.read(all())?;
    let mut lost = 0;
    for w in 0..writers {
        for i in 0..32u64 {
            let col = w as u64 * 4 + i % 4;
            let row = i / 4 * 4 + w as u64 % 4;
            if v[(row * 64 + col) as usize] != 1000 * (w + 1) + i as u32 {
                lost += 1;
            }
        }
    }
    assert_eq!(lost, 0, "updates lost by concurrent read-modify-writes");
    Ok(())
}
