//! Unit tests: round trips through the writer and the reader, versions, and hostile
//! archives (each a clear error, no panic, no unbounded allocation).

use std::sync::Arc;

use zarrkit_core::storage::asynchronous::{
    AsyncListableStorageTraits, AsyncReadableStorageExt, AsyncReadableStorageTraits,
    SyncToAsyncAdapter,
};
use zarrkit_core::storage::{
    ByteRange, Bytes, ListableStorageTraits, MemoryStore, ReadableStorageExt,
    ReadableStorageTraits, StoreKey, StorePrefix, WritableStorageTraits,
};
use zarrkit_core::StorageError;

use crate::*;

type R = Result<(), Box<dyn std::error::Error>>;

fn key(s: &str) -> StoreKey {
    StoreKey::new(s).expect("a valid key")
}

fn archive_key() -> StoreKey {
    key("a.zip")
}

const ENTRIES: &[(&str, &[u8])] = &[
    ("zarr.json", br#"{"zarr_format":3,"node_type":"group"}"#),
    ("a/zarr.json", b"{}"),
    ("a/c/0/0", b"0123456789abcdefghij"),
    ("a/c/0/1", b""),
    ("a/c/1/0", &[7u8; 3000]),
    ("ab/c", b"not under a/"),
    ("unicode/\u{e9}-\u{df}", b"utf-8 name"),
];

fn source(entries: &[(&str, &[u8])]) -> Result<MemoryStore, StorageError> {
    let s = MemoryStore::new();
    for (k, v) in entries {
        s.set(&StoreKey::new(*k)?, Bytes::copy_from_slice(v))?;
    }
    Ok(s)
}

fn build(entries: &[(&str, &[u8])], options: &ZipWriteOptions) -> Result<Vec<u8>, StorageError> {
    let mut out = Vec::new();
    write_zip(&source(entries)?, &mut out, options)?;
    Ok(out)
}

fn put(archive: Vec<u8>) -> Result<Arc<MemoryStore>, StorageError> {
    let m = Arc::new(MemoryStore::new());
    m.set(&archive_key(), Bytes::from(archive))?;
    Ok(m)
}

fn open_with(
    archive: Vec<u8>,
    options: ZipStoreOptions,
) -> Result<ZipStore<MemoryStore>, StorageError> {
    ZipStore::open(put(archive)?, archive_key(), options)
}

fn open(archive: Vec<u8>) -> Result<ZipStore<MemoryStore>, StorageError> {
    open_with(archive, ZipStoreOptions::default())
}

/// Every key's value, size and a few ranges, and the listings, as `entries` says.
fn check_contents<S: ReadableStorageTraits + ListableStorageTraits + ?Sized>(
    z: &S,
    entries: &[(&str, &[u8])],
) -> R {
    let mut want: Vec<&str> = entries.iter().map(|e| e.0).collect();
    want.sort_unstable();
    let listed = z.list()?;
    assert_eq!(
        listed.iter().map(StoreKey::as_str).collect::<Vec<_>>(),
        want
    );
    for (k, v) in entries {
        let k = StoreKey::new(*k)?;
        assert_eq!(z.get(&k)?.as_deref(), Some(*v), "{k}");
        assert_eq!(z.size_key(&k)?, Some(v.len() as u64));
        if v.len() >= 4 {
            let n = v.len();
            let r = z
                .read(
                    &k,
                    &[
                        ByteRange::new(1, 2),
                        ByteRange::Suffix(3),
                        ByteRange::FromStart(2, None),
                        ByteRange::ALL,
                    ],
                    None,
                )?
                .ok_or("absent")?;
            assert_eq!(r.size, n as u64);
            assert_eq!(&r.bytes[0][..], &v[1..3]);
            assert_eq!(&r.bytes[1][..], &v[n - 3..]);
            assert_eq!(&r.bytes[2][..], &v[2..]);
            assert_eq!(&r.bytes[3][..], *v);
            assert!(z.read(&k, &[ByteRange::new(n as u64, 1)], None).is_err());
        }
    }
    assert_eq!(z.get(&StoreKey::new("absent")?)?, None);
    Ok(())
}

#[test]
fn round_trips() -> R {
    let options = [
        (ZipWriteOptions::new(), false),
        (
            ZipWriteOptions::new().with_compression(ZipCompression::Deflated(6)),
            false,
        ),
        (ZipWriteOptions::new().with_zip64(Zip64Mode::Always), true),
        (
            ZipWriteOptions::new()
                .with_zip64(Zip64Mode::Always)
                .with_compression(ZipCompression::Deflated(1))
                .with_order(EntryOrder::Sorted)
                .with_comment("a comment"),
            true,
        ),
    ];
    for (o, zip64) in &options {
        let bytes = build(ENTRIES, o)?;
        for tail in [65 << 10, 22, 100, 1000] {
            let z = open_with(
                bytes.clone(),
                ZipStoreOptions::new().with_tail_read_bytes(tail),
            )?;
            check_contents(&z, ENTRIES)?;
            let d = z.list_dir(&StorePrefix::root())?;
            assert_eq!(d.keys, vec![key("zarr.json")]);
            let p: Vec<&str> = d.prefixes.iter().map(StorePrefix::as_str).collect();
            assert_eq!(p, ["a/", "ab/", "unicode/"]);
            let d = z.list_dir(&StorePrefix::new("a/")?)?;
            assert_eq!(d.keys, vec![key("a/zarr.json")]);
            let p: Vec<&str> = d.prefixes.iter().map(StorePrefix::as_str).collect();
            assert_eq!(p, ["a/c/"]);
            assert_eq!(z.list_prefix(&StorePrefix::new("a/c/")?)?.len(), 3);
            assert!(z.list_prefix(&StorePrefix::new("nothing/")?)?.is_empty());
            let info = z.info()?;
            assert_eq!(info.keys, ENTRIES.len());
            assert_eq!(info.zip64, *zip64);
        }
    }
    Ok(())
}

#[test]
fn the_writer_orders_metadata_first_and_is_deterministic() -> R {
    let entries: &[(&str, &[u8])] = &[
        ("b/c/0", b"x"),
        ("a-b/zarr.json", b"{}"),
        ("a/b/zarr.json", b"{}"),
        ("a/zarr.json", b"{}"),
        ("zarr.json", b"{}"),
        (".zattrs", b"{}"),
        ("a/.zarray", b"{}"),
        ("a/0.0", b"y"),
    ];
    let bytes = build(entries, &ZipWriteOptions::new())?;
    assert_eq!(bytes, build(entries, &ZipWriteOptions::new())?);
    // Local header order = central directory order; read the names off the local headers.
    let mut names = Vec::new();
    let mut at = 0usize;
    while bytes.get(at..at + 4) == Some(&crate::format::LOCAL_SIG.to_le_bytes()[..]) {
        let le = |o: usize| u16::from_le_bytes([bytes[at + o], bytes[at + o + 1]]) as usize;
        let csize = u32::from_le_bytes([
            bytes[at + 18],
            bytes[at + 19],
            bytes[at + 20],
            bytes[at + 21],
        ]) as usize;
        let (n, x) = (le(26), le(28));
        names.push(String::from_utf8(bytes[at + 30..at + 30 + n].to_vec())?);
        at += 30 + n + x + csize;
    }
    assert_eq!(
        names,
        [
            "zarr.json",
            ".zattrs",
            "a/.zarray",
            "a/zarr.json",
            "a-b/zarr.json",
            "a/b/zarr.json",
            "a/0.0",
            "b/c/0"
        ]
    );
    Ok(())
}

#[test]
fn ozx_mode() -> R {
    let root = br#"{"zarr_format":3,"node_type":"group","attributes":{"ome":{"version":"0.5"}}}"#;
    let entries: &[(&str, &[u8])] = &[
        ("zarr.json", root),
        ("0/zarr.json", b"{}"),
        ("0/c/0/0", b"z"),
    ];
    let bytes = build(entries, &ZipWriteOptions::ozx())?;
    let z = open(bytes.clone())?;
    let info = z.info()?;
    assert!(info.zip64);
    assert_eq!(
        &info.comment[..],
        br#"{"ome":{"version":"0.5","zipFile":{"centralDirectory":{"jsonFirst":true}}}}"#
    );
    check_contents(&z, entries)?;
    assert_eq!(&bytes[30..39], b"zarr.json");
    // No root zarr.json, or no OME version: refused.
    assert!(build(&entries[1..], &ZipWriteOptions::ozx()).is_err());
    let plain: &[(&str, &[u8])] = &[("zarr.json", b"{}")];
    assert!(build(plain, &ZipWriteOptions::ozx()).is_err());
    let b = build(plain, &ZipWriteOptions::ozx().with_ozx_version("0.6"))?;
    assert!(open(b)?
        .info()?
        .comment
        .starts_with(br#"{"ome":{"version":"0.6""#));
    Ok(())
}

#[test]
fn a_root_folder_inside_the_archive() -> R {
    let bytes = build(
        ENTRIES,
        &ZipWriteOptions::new().with_root(StorePrefix::new("data.zarr/")?),
    )?;
    // At the archive's root, keys carry the folder.
    let z = open(bytes.clone())?;
    assert!(z.get(&key("data.zarr/zarr.json"))?.is_some());
    let z = open_with(
        bytes,
        ZipStoreOptions::new().with_root(StorePrefix::new("data.zarr/")?),
    )?;
    check_contents(&z, ENTRIES)?;
    Ok(())
}

#[test]
fn stores_are_read_only() -> R {
    let z = open(build(ENTRIES, &ZipWriteOptions::new())?)?;
    assert!(matches!(
        z.set(&key("x"), Bytes::new()),
        Err(StorageError::Unsupported(_))
    ));
    assert!(matches!(
        z.erase(&key("x")),
        Err(StorageError::Unsupported(_))
    ));
    assert!(z.erase_prefix(&StorePrefix::root()).is_err());
    assert!(!z.supports_conditional_writes());
    Ok(())
}

#[test]
fn a_replaced_archive_is_noticed() -> R {
    let m = put(build(ENTRIES, &ZipWriteOptions::new())?)?;
    let z = ZipStore::open(
        m.clone(),
        archive_key(),
        ZipStoreOptions::new().with_tail_read_bytes(22),
    )?;
    let k = key("a/c/1/0");
    let v1 = z.version(&k)?.ok_or("absent")?;
    assert_eq!(z.version(&key("zarr.json"))?, Some(v1.clone()));
    let replaced: &[(&str, &[u8])] = &[("a/c/1/0", b"new value"), ("new", b"n")];
    m.set(
        &archive_key(),
        Bytes::from(build(replaced, &ZipWriteOptions::new())?),
    )?;
    // Demanding the old version: "changed", and no bytes.
    assert!(matches!(
        z.read(&k, &[ByteRange::ALL], Some(&v1)),
        Err(StorageError::Changed { .. })
    ));
    // The directory was read again: new keys, new values, a new version.
    assert_eq!(z.get(&k)?.as_deref(), Some(&b"new value"[..]));
    let v2 = z.version(&k)?.ok_or("absent")?;
    assert_ne!(v1, v2);
    assert_eq!(z.get(&key("zarr.json"))?, None);
    assert!(z.get(&key("new"))?.is_some());
    // Without a version demanded, a read after a replacement is served from the new archive.
    m.set(
        &archive_key(),
        Bytes::from(build(ENTRIES, &ZipWriteOptions::new())?),
    )?;
    assert_eq!(z.get(&k)?.as_deref(), Some(&[7u8; 3000][..]));
    // An absent key demanding a version is "changed".
    assert!(matches!(
        z.read(&key("absent"), &[], Some(&v2)),
        Err(StorageError::Changed { .. })
    ));
    // The archive erased: reads fail clearly.
    m.erase(&archive_key())?;
    assert!(z.get(&k).is_err());
    Ok(())
}

#[test]
fn revalidate_follows_the_archive_at_once() -> R {
    let m = put(build(ENTRIES, &ZipWriteOptions::new())?)?;
    let lazy = ZipStore::open(m.clone(), archive_key(), ZipStoreOptions::new())?;
    let eager = ZipStore::open(
        m.clone(),
        archive_key(),
        ZipStoreOptions::new().with_revalidate(true),
    )?;
    let replaced: &[(&str, &[u8])] = &[("only", b"1")];
    m.set(
        &archive_key(),
        Bytes::from(build(replaced, &ZipWriteOptions::new())?),
    )?;
    // A listing answers from the snapshot, until refreshed; with revalidate, at once.
    assert_eq!(lazy.list()?.len(), ENTRIES.len());
    assert_eq!(eager.list()?, vec![key("only")]);
    lazy.refresh()?;
    assert_eq!(lazy.list()?, vec![key("only")]);
    Ok(())
}

#[test]
fn async_store() -> R {
    let bytes = build(
        ENTRIES,
        &ZipWriteOptions::new().with_compression(ZipCompression::Deflated(6)),
    )?;
    let m = put(bytes)?;
    futures::executor::block_on(async {
        let inner = Arc::new(SyncToAsyncAdapter::inline(m.clone()));
        let z = AsyncZipStore::open(inner.clone(), archive_key(), ZipStoreOptions::new()).await?;
        for (k, v) in ENTRIES {
            let k = StoreKey::new(*k)?;
            assert_eq!(z.get(&k).await?.as_deref(), Some(*v));
        }
        assert_eq!(z.list().await?.len(), ENTRIES.len());
        assert_eq!(
            z.list_dir(&StorePrefix::new("a/")?).await?.keys,
            vec![key("a/zarr.json")]
        );
        // The sync view shares the directory.
        let sync = z.as_sync_readable().ok_or("no sync view")?;
        assert_eq!(
            sync.get(&key("a/c/0/0"))?.as_deref(),
            Some(&b"0123456789abcdefghij"[..])
        );
        // Lazy: a missing archive is an error at the first call.
        let missing = AsyncZipStore::new(inner, key("missing.zip"), ZipStoreOptions::new());
        assert!(missing.get(&key("zarr.json")).await.is_err());
        Ok::<(), Box<dyn std::error::Error>>(())
    })
}

#[test]
fn urls() -> R {
    let (p, k, r) = parse_url("zip+file:///data/x/a.zip")?;
    assert_eq!(
        (p.as_str(), k.as_str(), r.as_str()),
        ("file:///data/x/", "a.zip", "")
    );
    let (p, k, r) = parse_url("zip+s3://bucket/path/img.ozx#img.zarr")?;
    assert_eq!(
        (p.as_str(), k.as_str(), r.as_str()),
        ("s3://bucket/path/", "img.ozx", "img.zarr/")
    );
    let (p, k, _) = parse_url("zip+file://a.zip#")?;
    assert_eq!((p.as_str(), k.as_str()), ("file://.", "a.zip"));
    for bad in [
        "file:///a.zip",
        "zip+file:///dir/",
        "zip+s3://a.zip",
        "zip+nothing",
        "zip+file:///a.zip#../x",
    ] {
        assert!(parse_url(bad).is_err(), "{bad}");
    }
    let schemes = zarrkit_core::registry::STORES.names();
    for s in SCHEMES {
        assert!(schemes.contains(s), "{s} not registered");
    }
    // An inner scheme nobody registered: a clear error.
    let e = zarrkit_core::registry::open_store("zip+gs://bucket/a.zip");
    assert!(matches!(e, Err(StorageError::UnknownScheme(s)) if s == "gs"));
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Hostile archives.

fn rd16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}
fn rd32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}
fn wr16(b: &mut [u8], at: usize, v: u16) {
    b[at..at + 2].copy_from_slice(&v.to_le_bytes());
}
fn wr32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

/// Offsets of the EOCD and of every central directory entry (archive without comment or
/// ZIP64).
fn layout(b: &[u8]) -> (usize, Vec<usize>) {
    let eocd = b.len() - 22;
    let mut at = rd32(b, eocd + 16) as usize;
    let mut v = Vec::new();
    while at < eocd {
        v.push(at);
        at +=
            46 + rd16(b, at + 28) as usize + rd16(b, at + 30) as usize + rd16(b, at + 32) as usize;
    }
    (eocd, v)
}

fn err_text<T: std::fmt::Debug>(r: Result<T, StorageError>) -> String {
    match r {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => e.to_string(),
    }
}

/// Open `bytes` and read every key: any outcome but a panic.
fn try_everything(bytes: Vec<u8>, tail: u64) {
    let Ok(z) = open_with(bytes, ZipStoreOptions::new().with_tail_read_bytes(tail)) else {
        return;
    };
    let Ok(keys) = z.list() else { return };
    for k in keys {
        let _ = z.get(&k);
        let _ = z.read(&k, &[ByteRange::Suffix(2), ByteRange::new(0, 1)], None);
    }
}

#[test]
fn truncated_and_corrupted_archives_never_panic() -> R {
    let small: &[(&str, &[u8])] = &[("a", b"hello hello hello hello"), ("b/c", b"xyz")];
    for o in [
        ZipWriteOptions::new(),
        ZipWriteOptions::new().with_compression(ZipCompression::Deflated(9)),
        ZipWriteOptions::new().with_zip64(Zip64Mode::Always),
    ] {
        let bytes = build(small, &o)?;
        for tail in [22, 65 << 10] {
            for n in 0..bytes.len() {
                try_everything(bytes[..n].to_vec(), tail);
                try_everything(bytes[n..].to_vec(), tail);
                let mut flipped = bytes.clone();
                flipped[n] ^= 0xff;
                try_everything(flipped.clone(), tail);
                flipped[n] = 0xff;
                try_everything(flipped, tail);
            }
        }
    }
    Ok(())
}

#[test]
fn not_zip_archives() -> R {
    assert!(err_text(open(vec![])).contains("too few"));
    assert!(err_text(open(vec![0; 21])).contains("too few"));
    let junk: Vec<u8> = (0..100_000u32).map(|i| (i * 7919 % 251) as u8).collect();
    assert!(err_text(open(junk.clone())).contains("no end of central directory"));
    assert!(err_text(open_with(
        junk,
        ZipStoreOptions::new().with_tail_read_bytes(30)
    ))
    .contains("no end of central directory"));
    let m = Arc::new(MemoryStore::new());
    assert!(err_text(ZipStore::open(m, archive_key(), ZipStoreOptions::new())).contains("absent"));
    Ok(())
}

#[test]
fn central_directory_outside_the_archive() -> R {
    let mut b = build(ENTRIES, &ZipWriteOptions::new())?;
    let (eocd, _) = layout(&b);
    wr32(&mut b, eocd + 16, 0x7000_0000);
    assert!(err_text(open(b.clone())).contains("central directory"));
    wr32(&mut b, eocd + 16, 0);
    wr32(&mut b, eocd + 12, 0x7000_0000);
    assert!(err_text(open(b)).contains("central directory"));
    Ok(())
}

#[test]
fn entries_outside_the_archive() -> R {
    let mut b = build(ENTRIES, &ZipWriteOptions::new())?;
    let (_, cds) = layout(&b);
    // zarr.json's local header far past the end; a/zarr.json's sizes past the end.
    wr32(&mut b, cds[0] + 42, 0x7fff_0000);
    wr32(&mut b, cds[1] + 20, 0x7fff_0000);
    wr32(&mut b, cds[1] + 24, 0x7fff_0000);
    let z = open(b)?;
    assert!(err_text(z.get(&key("zarr.json"))).contains("local header"));
    // Its range within the declared size but beyond the archive: refused before any read.
    assert!(err_text(z.get(&key("a/zarr.json"))).contains("overlap"));
    assert!(
        err_text(z.read(&key("a/zarr.json"), &[ByteRange::new(0, 1)], None)).contains("overlap")
    );
    // Other entries are still readable.
    assert_eq!(
        z.get(&key("a/c/0/0"))?.as_deref(),
        Some(&b"0123456789abcdefghij"[..])
    );
    Ok(())
}

#[test]
fn overlapping_entries_are_refused() -> R {
    // Quoted overlap: an entry whose data runs over the next entry's local header.
    let mut b = build(ENTRIES, &ZipWriteOptions::new())?;
    let (_, cds) = layout(&b);
    let i = cds
        .iter()
        .position(|&c| &b[c + 46..c + 46 + 7] == b"a/c/0/0")
        .ok_or("entry")?;
    let n = rd32(&b, cds[i] + 24) + 100;
    wr32(&mut b, cds[i] + 20, n);
    wr32(&mut b, cds[i] + 24, n);
    let z = open(b)?;
    assert!(err_text(z.get(&key("a/c/0/0"))).contains("overlap"));
    assert!(z.get(&key("a/c/0/1"))?.is_some());

    // Two names sharing one local header (the non-overlapping zip bomb's trick): neither
    // can be read.
    let mut b = build(&[("x", b"one"), ("y", b"two")], &ZipWriteOptions::new())?;
    let (_, cds) = layout(&b);
    let lho = rd32(&b, cds[0] + 42);
    wr32(&mut b, cds[1] + 42, lho);
    let z = open(b)?;
    assert!(err_text(z.get(&key("x"))).contains("overlap"));
    assert!(err_text(z.get(&key("y"))).contains("overlap"));
    Ok(())
}

#[test]
fn huge_counts_and_sizes_are_refused_before_allocating() -> R {
    let b = build(ENTRIES, &ZipWriteOptions::new())?;
    // More entries than the limit.
    let e = err_text(open_with(
        b.clone(),
        ZipStoreOptions::new().with_max_entries(3),
    ));
    assert!(e.contains("refused") && e.contains("entries"), "{e}");
    // A declared count over the limit is refused without parsing.
    let mut c = b.clone();
    let (eocd, _) = layout(&c);
    wr16(&mut c, eocd + 10, 0xfffe);
    wr16(&mut c, eocd + 8, 0xfffe);
    let e = err_text(open_with(
        c.clone(),
        ZipStoreOptions::new().with_max_entries(1000),
    ));
    assert!(e.contains("declares 65534 entries"), "{e}");
    // ... and a lying count within the limit is harmless (the directory is parsed by size).
    check_contents(&open(c)?, ENTRIES)?;
    // A central directory larger than its limit.
    let e = err_text(open_with(
        b.clone(),
        ZipStoreOptions::new().with_max_central_directory_bytes(100),
    ));
    assert!(
        e.contains("refused") && e.contains("central directory"),
        "{e}"
    );

    // ZIP64 end record declaring 2^40 entries and a 2^40-byte directory.
    let b64 = build(
        ENTRIES,
        &ZipWriteOptions::new().with_zip64(Zip64Mode::Always),
    )?;
    let rec = b64.len() - 22 - 20 - 56;
    assert_eq!(rd32(&b64, rec), crate::format::ZIP64_EOCD_SIG);
    let mut c = b64.clone();
    c[rec + 24..rec + 32].copy_from_slice(&(1u64 << 40).to_le_bytes());
    c[rec + 32..rec + 40].copy_from_slice(&(1u64 << 40).to_le_bytes());
    assert!(err_text(open(c)).contains("declares 1099511627776 entries"));
    let mut c = b64.clone();
    c[rec + 40..rec + 48].copy_from_slice(&(1u64 << 40).to_le_bytes());
    assert!(err_text(open(c)).contains("refused"));
    let mut c = b64;
    c[rec + 48..rec + 56].copy_from_slice(&u64::MAX.to_le_bytes());
    assert!(err_text(open(c)).contains("does not end before"));
    Ok(())
}

#[test]
fn names_longer_than_the_directory() -> R {
    let mut b = build(ENTRIES, &ZipWriteOptions::new())?;
    let (_, cds) = layout(&b);
    let last = *cds.last().ok_or("no entry")?;
    wr16(&mut b, last + 28, 0xffff);
    assert!(err_text(open(b.clone())).contains("name of 65535 bytes"));
    wr16(&mut b, last + 28, 1);
    wr16(&mut b, last + 30, 0xffff);
    assert!(err_text(open(b)).contains("extra field"));
    Ok(())
}

#[test]
fn zip_bombs_and_lying_sizes() -> R {
    let big = vec![0u8; 1 << 20];
    let entries: &[(&str, &[u8])] = &[("bomb", &big), ("ok", b"fine")];
    let b = build(
        entries,
        &ZipWriteOptions::new().with_compression(ZipCompression::Deflated(9)),
    )?;
    let (_, cds) = layout(&b);
    assert_eq!(rd16(&b, cds[0] + 10), 8, "deflated");
    // Over the inflate limit: refused, nothing decoded.
    let z = open_with(
        b.clone(),
        ZipStoreOptions::new().with_max_inflated_bytes(1 << 19),
    )?;
    let e = err_text(z.get(&key("bomb")));
    assert!(e.contains("refused") && e.contains("limit"), "{e}");
    assert_eq!(z.get(&key("ok"))?.as_deref(), Some(&b"fine"[..]));
    // A declared size more than DEFLATE can produce from the compressed bytes.
    let mut c = b.clone();
    wr32(&mut c, cds[0] + 24, 0x3000_0000);
    assert!(err_text(open(c)?.get(&key("bomb"))).contains("more than DEFLATE can produce"));
    // Declared smaller than the data decodes to: stops at the declared size.
    let mut c = b.clone();
    wr32(&mut c, cds[0] + 24, 1000);
    assert!(err_text(open(c)?.get(&key("bomb"))).contains("more than its declared 1000 bytes"));
    // Declared larger (but plausible): the decoded size is wrong.
    let mut c = b.clone();
    wr32(&mut c, cds[0] + 24, (1 << 20) + 1);
    assert!(err_text(open(c)?.get(&key("bomb"))).contains("decodes to 1048576 bytes"));
    // Wrong CRC-32, deflated and stored.
    let mut c = b.clone();
    let crc = rd32(&c, cds[0] + 16);
    wr32(&mut c, cds[0] + 16, crc ^ 1);
    assert!(err_text(open(c.clone())?.get(&key("bomb"))).contains("CRC-32"));
    // ... unless CRC checks are off.
    let z = open_with(c, ZipStoreOptions::new().with_verify_crc(false))?;
    assert_eq!(z.get(&key("bomb"))?.map(|v| v.len()), Some(1 << 20));
    let mut s = build(entries, &ZipWriteOptions::new())?;
    let (_, cds) = layout(&s);
    let crc = rd32(&s, cds[1] + 16);
    wr32(&mut s, cds[1] + 16, crc ^ 1);
    let z = open(s)?;
    assert!(err_text(z.get(&key("ok"))).contains("CRC-32"));
    // A range of a stored entry is served without the check (it cannot be checked).
    assert!(z.read(&key("ok"), &[ByteRange::new(0, 2)], None).is_ok());
    // A truncated DEFLATE stream.
    let mut c = b;
    let (_, cds) = layout(&c);
    let csize = rd32(&c, cds[0] + 20);
    wr32(&mut c, cds[0] + 20, csize / 2);
    assert!(err_text(open(c)?.get(&key("bomb"))).contains("DEFLATE"));
    Ok(())
}

#[test]
fn inflate_is_bounded() {
    use std::io::Write as _;
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::new(9));
    let _ = e.write_all(&[1u8; 100_000]);
    let c = e.finish().unwrap_or_default();
    assert_eq!(
        crate::reader::inflate_exact(&c, 100_000).map(|v| v.len()),
        Ok(100_000)
    );
    assert!(crate::reader::inflate_exact(&c, 99_999).is_err());
    assert!(crate::reader::inflate_exact(&c, 100_001).is_err());
    assert!(crate::reader::inflate_exact(&c[..c.len() / 2], 100_000).is_err());
    assert!(crate::reader::inflate_exact(&[0xff; 10], 10).is_err());
    assert!(crate::reader::inflate_exact(&[], 0).is_err());
}

#[test]
fn local_headers_must_match() -> R {
    let mut b = build(
        &[("name", b"value"), ("other", b"x")],
        &ZipWriteOptions::new(),
    )?;
    b[30] = b'N';
    let z = open(b.clone())?;
    assert!(err_text(z.get(&key("name"))).contains("file name differs"));
    assert_eq!(z.get(&key("other"))?.as_deref(), Some(&b"x"[..]));
    b[0] = b'X';
    assert!(err_text(open(b)?.get(&key("name"))).contains("no local file header"));
    Ok(())
}

#[test]
fn zip64_markers_without_values() -> R {
    let mut b = build(ENTRIES, &ZipWriteOptions::new())?;
    let (_, cds) = layout(&b);
    wr32(&mut b, cds[2] + 20, u32::MAX);
    assert!(err_text(open(b)).contains("ZIP64 extra field"));
    Ok(())
}

#[test]
fn unsupported_features() -> R {
    let b = build(&[("a", b"value"), ("b", b"v")], &ZipWriteOptions::new())?;
    let (eocd, cds) = layout(&b);
    let mut c = b.clone();
    wr16(&mut c, cds[0] + 10, 12);
    let e = open(c)?.get(&key("a"));
    assert!(
        matches!(&e, Err(StorageError::Unsupported(m)) if m.contains("bzip2")),
        "{e:?}"
    );
    let mut c = b.clone();
    wr16(&mut c, cds[0] + 8, 1);
    let e = open(c)?.get(&key("a"));
    assert!(
        matches!(&e, Err(StorageError::Unsupported(m)) if m.contains("encrypted")),
        "{e:?}"
    );
    let mut c = b;
    wr16(&mut c, eocd + 4, 1);
    assert!(matches!(open(c), Err(StorageError::Unsupported(m)) if m.contains("disks")));
    Ok(())
}

#[test]
fn names_that_are_no_keys_are_ignored() -> R {
    let mut b = build(
        &[
            ("xx/evil", b"1"),
            ("xxxabs", b"2"),
            ("a\u{1}b", b"3"),
            ("ok", b"4"),
        ],
        &ZipWriteOptions::new().with_order(EntryOrder::Sorted),
    )?;
    // Rewrite names in place (same lengths): "../evil", "/xxabs", "a\b".
    for (from, to) in [
        (&b"xx/evil"[..], &b"../evil"[..]),
        (b"xxxabs", b"/xxabs"),
        (b"a\x01b", b"a\\b"),
    ] {
        let mut at = 0;
        while let Some(p) = b[at..].windows(from.len()).position(|w| w == from) {
            b[at + p..at + p + from.len()].copy_from_slice(to);
            at += p + 1;
        }
    }
    let z = open_with(b, ZipStoreOptions::new().with_verify_crc(true))?;
    assert_eq!(z.list()?, vec![key("ok")]);
    let info = z.info()?;
    assert_eq!((info.entries, info.keys), (4, 1));
    Ok(())
}

#[test]
fn duplicate_names_the_last_wins() -> R {
    let mut b = build(
        &[("k1", b"first"), ("k2", b"second")],
        &ZipWriteOptions::new(),
    )?;
    let mut at = 0;
    while let Some(p) = b[at..].windows(2).position(|w| w == b"k2") {
        b[at + p + 1] = b'1';
        at += p + 1;
    }
    let z = open(b)?;
    assert_eq!(z.list()?, vec![key("k1")]);
    assert_eq!(z.get(&key("k1"))?.as_deref(), Some(&b"second"[..]));
    Ok(())
}

#[test]
fn zip64_when_the_entry_count_needs_it() -> R {
    let src = MemoryStore::new();
    let n = 70_000u32;
    for i in 0..n {
        src.set(
            &StoreKey::new(format!("c/{i}"))?,
            Bytes::from(i.to_le_bytes().to_vec()),
        )?;
    }
    let mut out = Vec::new();
    let summary = write_zip(&src, &mut out, &ZipWriteOptions::new())?;
    assert!(summary.zip64);
    assert_eq!(summary.entries, n as usize);
    // The end record says 0xFFFF entries; the ZIP64 record has the count.
    let eocd = out.len() - 22;
    assert_eq!(rd16(&out, eocd + 10), 0xffff);
    let z = open(out)?;
    let info = z.info()?;
    assert!(info.zip64);
    assert_eq!(info.keys, n as usize);
    assert_eq!(
        z.get(&key("c/69999"))?.as_deref(),
        Some(&69_999u32.to_le_bytes()[..])
    );
    assert_eq!(z.list_dir(&StorePrefix::new("c/")?)?.keys.len(), n as usize);
    Ok(())
}
