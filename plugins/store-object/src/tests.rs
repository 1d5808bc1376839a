//! Unit tests over object_store's in-memory store (no server): the store suite, the read
//! planner's answers, version checks, multipart uploads, scatter reads and the runtime rules.
//! The same and more against a real S3 server: `tests/s3.rs`.

use std::sync::Arc;

use futures::executor::block_on;
use object_store::memory::InMemory;
use object_store::{ObjectStoreExt, PutPayload};
use zarrkit_core::storage::asynchronous as zasync;
use zarrkit_core::storage::ReadableStorageExt;

use super::{
    scatter_frames, ByteRange, Bytes, ListableStorageTraits, ObjectStorage, ObjectStorageBuilder,
    ReadableStorageTraits, SetCondition, StorageError, StoreKey, StorePrefix, Version,
    WritableStorageTraits,
};

type R = Result<(), Box<dyn std::error::Error>>;

fn memory(prefix: &str) -> Result<(ObjectStorage, Arc<InMemory>), StorageError> {
    let mem = Arc::new(InMemory::new());
    let s = ObjectStorageBuilder::from_object_store(mem.clone(), prefix).build()?;
    Ok((s, mem))
}

fn key(s: &str) -> Result<StoreKey, StorageError> {
    StoreKey::new(s)
}

#[test]
fn store_suite_in_memory() -> R {
    let (s, _) = memory("")?;
    zarrkit_conformance::suites::store::store_suite(&s)?;
    let (s, mem) = memory("deep/prefix")?;
    zarrkit_conformance::suites::store::store_suite(&s)?;
    // Objects beside the prefix are neither listed nor erased.
    block_on(mem.put(&"deep/other".into(), PutPayload::from_static(b"x")))?;
    block_on(mem.put(&"deep/prefixed".into(), PutPayload::from_static(b"x")))?;
    s.set(&key("k")?, Bytes::from_static(b"v"))?;
    assert_eq!(s.list()?, vec![key("k")?]);
    s.erase_prefix(&StorePrefix::root())?;
    assert!(s.list()?.is_empty());
    assert!(block_on(mem.head(&"deep/other".into())).is_ok());
    assert!(block_on(mem.head(&"deep/prefixed".into())).is_ok());
    Ok(())
}

#[test]
fn keys_map_verbatim_under_the_prefix() -> R {
    let (s, mem) = memory("a/b.zarr")?;
    s.set(&key("c/0/1")?, Bytes::from_static(b"chunk"))?;
    s.set(&key("x y%20é")?, Bytes::from_static(b"odd"))?;
    let got = block_on(mem.get(&object_store::path::Path::parse("a/b.zarr/c/0/1")?))?;
    assert_eq!(block_on(got.bytes())?.as_ref(), b"chunk");
    let got = block_on(mem.get(&object_store::path::Path::parse("a/b.zarr/x y%20é")?))?;
    assert_eq!(block_on(got.bytes())?.as_ref(), b"odd");
    // Written by another program: read as is.
    block_on(mem.put(
        &object_store::path::Path::parse("a/b.zarr/zarr.json")?,
        PutPayload::from_static(b"{}"),
    ))?;
    assert_eq!(s.get(&key("zarr.json")?)?.as_deref(), Some(&b"{}"[..]));
    Ok(())
}

/// Many ranges of one value in one read: coalesced and separate requests, suffixes, open
/// ranges, prefixes clamped to the value, empty ranges; then every kind out of bounds.
#[test]
fn ranges_are_resolved_against_the_size() -> R {
    let (s, _) = memory("p")?;
    let k = key("v")?;
    let v: Vec<u8> = (0..200u8).collect();
    s.set(&k, Bytes::from(v.clone()))?;
    let ranges = [
        ByteRange::new(0, 10),
        ByteRange::new(5, 10),
        ByteRange::new(150, 50),
        ByteRange::Suffix(7),
        ByteRange::FromStart(190, None),
        ByteRange::FromStart(200, None),
        ByteRange::Prefix(1000),
        ByteRange::Prefix(3),
        ByteRange::new(200, 0),
        ByteRange::Suffix(200),
    ];
    for gap in [0, 1 << 20] {
        let s = ObjectStorageBuilder::from_object_store(s.object_store().clone(), "p")
            .with_max_gap(gap)
            .build()?;
        let r = s.read(&k, &ranges, None)?.ok_or("absent")?;
        r.check(&k, &ranges)?;
        assert_eq!(r.size, 200);
        for (range, got) in ranges.iter().zip(&r.bytes) {
            let want = range.to_range(200).ok_or("bounds")?;
            assert_eq!(
                &got[..],
                &v[want.start as usize..want.end as usize],
                "{range}"
            );
        }
    }
    for bad in [
        ByteRange::new(199, 2),
        ByteRange::new(300, 1),
        ByteRange::FromStart(201, None),
        ByteRange::Suffix(201),
        ByteRange::FromStart(u64::MAX, Some(1)),
        ByteRange::new(1, u64::MAX),
        ByteRange::new(201, 0),
    ] {
        let r = s.read(&k, &[ByteRange::new(0, 1), bad], None);
        assert!(
            matches!(r, Err(StorageError::RangeOutOfBounds { size: 200, .. })),
            "{bad}: {r:?}"
        );
    }
    // An empty value: every in-bounds range is empty, others are errors.
    let e = key("empty")?;
    s.set(&e, Bytes::new())?;
    let r = s
        .read(
            &e,
            &[
                ByteRange::Prefix(10),
                ByteRange::FromStart(0, None),
                ByteRange::Suffix(0),
            ],
            None,
        )?
        .ok_or("absent")?;
    assert_eq!(r.size, 0);
    assert!(r.bytes.iter().all(Bytes::is_empty));
    assert!(s.read(&e, &[ByteRange::Suffix(1)], None).is_err());
    Ok(())
}

#[test]
fn versions_change_with_every_write_and_are_checked() -> R {
    let (s, _) = memory("")?;
    let k = key("k")?;
    s.set(&k, Bytes::from_static(b"same"))?;
    let v1 = s.version(&k)?.ok_or("absent")?;
    s.set(&k, Bytes::from_static(b"same"))?;
    let v2 = s.version(&k)?.ok_or("absent")?;
    assert_ne!(v1, v2);
    for ranges in [
        vec![ByteRange::ALL],
        vec![],
        vec![ByteRange::new(0, 1), ByteRange::Suffix(1)],
    ] {
        assert!(matches!(
            s.read(&k, &ranges, Some(&v1)),
            Err(StorageError::Changed { .. })
        ));
        assert!(s.read(&k, &ranges, Some(&v2))?.is_some());
    }
    // Versions of another store, or garbage, are never current.
    for alien in [Version::from_u64(3), Version::from_string("e:\"nope\"")] {
        assert!(matches!(
            s.read(&k, &[], Some(&alien)),
            Err(StorageError::Changed { .. })
        ));
        assert!(matches!(
            s.set_if(&k, Bytes::new(), &SetCondition::Version(alien.clone())),
            Err(StorageError::Changed { .. })
        ));
    }
    // Without write IDs the version is the ETag alone (InMemory's ETag is a counter, so it
    // still changes here; on S3 it is the MD5 of the bytes).
    let plain = ObjectStorageBuilder::from_object_store(s.object_store().clone(), "")
        .with_write_ids(false)
        .build()?;
    plain.set(&k, Bytes::from_static(b"x"))?;
    let v = plain.version(&k)?.ok_or("absent")?;
    assert!(v.as_str().is_some_and(|t| !t.contains("w:")), "{v:?}");
    Ok(())
}

#[test]
fn multipart_uploads_above_the_threshold() -> R {
    let mem = Arc::new(InMemory::new());
    let s = ObjectStorageBuilder::from_object_store(mem.clone(), "")
        .with_multipart_threshold(1 << 20)
        .with_part_size(1)
        .build()?;
    let k = key("big")?;
    let v: Vec<u8> = (0..(12u32 << 20)).map(|i| (i % 251) as u8).collect();
    s.set(&k, Bytes::from(v.clone()))?;
    assert!(s.get(&k)?.is_some_and(|b| b[..] == v[..]));
    // The write ID came along (a new version for the same bytes).
    let v1 = s.version(&k)?.ok_or("absent")?;
    assert!(v1.as_str().is_some_and(|t| t.contains("w:")));
    s.set(&k, Bytes::from(v.clone()))?;
    assert_ne!(s.version(&k)?, Some(v1));
    // Conditional writes of large values are one request.
    let v2 = s.version(&k)?.ok_or("absent")?;
    s.set_if(&k, Bytes::from(v.clone()), &SetCondition::Version(v2))?;
    Ok(())
}

#[test]
fn scatter_reads_sync_and_async() -> R {
    let (s, _) = memory("")?;
    let k = key("v")?;
    let v: Vec<u8> = (0..100u8).collect();
    s.set(&k, Bytes::from(v.clone()))?;
    let (mut a, mut b, mut c) = (vec![0u8; 30], vec![0u8; 0], vec![0u8; 70]);
    assert!(s.get_into(&k, &mut [&mut a[..], &mut b[..], &mut c[..]])?);
    assert_eq!([a, c].concat(), v);
    let mut short = [0u8; 99];
    assert!(matches!(
        s.get_into(&k, &mut [&mut short[..]]),
        Err(StorageError::ValueSize { .. })
    ));
    assert!(!s.get_into(&key("absent")?, &mut [&mut short[..]])?);
    // Async, driven by futures' executor (no tokio context here).
    let got = block_on(zasync::AsyncReadableStorageExt::get(&s, &k))?;
    assert_eq!(got.as_deref(), Some(&v[..]));
    block_on(zasync::AsyncWritableStorageTraits::set(
        &s,
        &key("w")?,
        Bytes::from_static(b"w"),
    ))?;
    assert_eq!(s.get(&key("w")?)?.as_deref(), Some(&b"w"[..]));
    Ok(())
}

#[test]
fn frames_scatter_across_buffer_boundaries() -> R {
    let k = key("k")?;
    let frames = [
        Bytes::from_static(b"abc"),
        Bytes::from_static(b"defgh"),
        Bytes::from_static(b"i"),
    ];
    let (mut a, mut b, mut c, mut d) = ([0u8; 2], [0u8; 0], [0u8; 5], [0u8; 2]);
    scatter_frames(&k, &frames, &mut [&mut a, &mut b, &mut c, &mut d])?;
    assert_eq!((&a, &c, &d), (b"ab", b"cdefg", b"hi"));
    let mut e = [0u8; 8];
    assert!(scatter_frames(&k, &frames, &mut [&mut e]).is_err());
    Ok(())
}

/// The sync API refuses to wait on a thread of the runtime that would have to run the
/// request (it would wait for itself); the async API works there.
#[test]
fn sync_calls_on_the_io_runtime_are_refused() -> R {
    let (s, _) = memory("")?;
    let k = key("k")?;
    s.set(&k, Bytes::from_static(b"v"))?;
    let (s2, k2) = (s.clone(), k.clone());
    let r = block_on(s.shared.io.run(async move {
        let sync = s2.get(&k2);
        let asynchronous = zasync::AsyncReadableStorageExt::get(&s2, &k2).await;
        Ok((sync, asynchronous))
    }))?;
    assert!(
        matches!(r.0, Err(StorageError::Unsupported(_))),
        "{:?}",
        r.0
    );
    assert_eq!(r.1?.as_deref(), Some(&b"v"[..]));
    // With a runtime of the caller's, sync calls inside any runtime are refused; outside
    // it they wait for the task its workers run.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let own = ObjectStorageBuilder::from_object_store(s.object_store().clone(), "")
        .with_runtime(rt.handle().clone())
        .build()?;
    let inside = rt.block_on(async { own.get(&k) });
    assert!(
        matches!(inside, Err(StorageError::Unsupported(_))),
        "{inside:?}"
    );
    assert_eq!(own.get(&k)?.as_deref(), Some(&b"v"[..]));
    Ok(())
}
