//! The HTTP store against a server that lies, fails, resets, stalls or changes the value
//! between requests, written here on a raw TCP listener on 127.0.0.1. Every fault must give
//! an error or (after a retry) the right bytes: never wrong data, never a hang.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{honest, honest_reply, response, sample, LyingServer, Reply, Request, R};
use zarrkit_core::futures::executor::block_on;
use zarrkit_core::storage::asynchronous::AsyncReadableStorageTraits;
use zarrkit_core::storage::{
    ByteRange, ListableStorageTraits, ReadableStorageExt, ReadableStorageTraits, StoreKey,
    StorePrefix, Version, WritableStorageTraits,
};
use zarrkit_core::StorageError;
use zarrkit_store_http::HttpStore;

const ETAG: &str = "\"e1\"";

fn key() -> StoreKey {
    StoreKey::new("k").expect("key")
}

/// A store with short timeouts and backoffs for the tests.
fn store(url: &str) -> HttpStore {
    HttpStore::builder(url)
        .max_retries(3)
        .backoff(Duration::from_millis(5), Duration::from_millis(20))
        .retry_budget(Duration::from_secs(5))
        .read_timeout(Duration::from_millis(500))
        .connect_timeout(Duration::from_secs(2))
        .proxy_from_environment(false)
        .build()
        .expect("store")
}

fn read(
    s: &HttpStore,
    ranges: &[ByteRange],
) -> Result<Option<zarrkit_core::storage::ReadResult>, StorageError> {
    ReadableStorageTraits::read(s, &key(), ranges, None)
}

fn is_remote(r: &Result<impl std::fmt::Debug, StorageError>) -> bool {
    matches!(r, Err(StorageError::Remote { .. }))
}

fn is_changed(r: &Result<impl std::fmt::Debug, StorageError>) -> bool {
    matches!(r, Err(StorageError::Changed { .. }))
}

/// Every kind of range against a correct server: the right bytes, size and version, one
/// request per non-empty range and no HEAD; sync and async (on a non-tokio executor).
#[test]
fn an_honest_server_gives_every_range() -> R {
    let data = sample(1000);
    let d = data.clone();
    let server = LyingServer::start(move |req| Reply::Send(honest_reply(req, &d, ETAG)));
    let s = store(&server.url);
    let ranges = [
        ByteRange::new(10, 20),
        ByteRange::Suffix(5),
        ByteRange::FromStart(990, None),
        ByteRange::ALL,
        ByteRange::new(5, 0),
        ByteRange::Prefix(3),
        ByteRange::Prefix(5000),
        ByteRange::FromStart(1000, None),
        ByteRange::Suffix(0),
    ];
    let want: Vec<&[u8]> = vec![
        &data[10..30],
        &data[995..],
        &data[990..],
        &data[..],
        &[],
        &data[..3],
        &data[..],
        &[],
        &[],
    ];
    let sync = read(&s, &ranges)?.ok_or("absent")?;
    let asy = block_on(AsyncReadableStorageTraits::read(
        &s.to_async(),
        &key(),
        &ranges,
        None,
    ))?
    .ok_or("absent")?;
    for r in [&sync, &asy] {
        r.check(&key(), &ranges)?;
        assert_eq!(r.size, 1000);
        assert_eq!(r.version, Version::from_string(ETAG));
        let got: Vec<&[u8]> = r.bytes.iter().map(|b| &b[..]).collect();
        assert_eq!(got, want);
    }
    let reqs = server.requests();
    assert!(reqs.iter().all(|r| r.method == "GET"), "no HEAD first");
    assert_eq!(reqs.len(), 2 * 7, "one request per non-empty range");
    assert!(reqs
        .iter()
        .all(|r| r.header("Accept-Encoding") == Some("identity")));
    let ranges_sent: Vec<Option<&str>> = reqs[..7].iter().map(|r| r.header("Range")).collect();
    for h in [
        "bytes=10-29",
        "bytes=-5",
        "bytes=990-",
        "bytes=0-2",
        "bytes=1000-",
    ] {
        assert!(ranges_sent.contains(&Some(h)), "{h} in {ranges_sent:?}");
    }
    assert!(ranges_sent.contains(&None), "the whole value without Range");
    assert_eq!(reqs[0].path, "/k");

    // No ranges: a HEAD for the size and version.
    let before = server.count();
    assert_eq!(s.size_key(&key())?, Some(1000));
    assert_eq!(s.version(&key())?, Some(Version::from_string(ETAG)));
    assert!(server.requests()[before..]
        .iter()
        .all(|r| r.method == "HEAD"));
    assert_eq!(s.stats().head_requests, 2);

    // Out of bounds, as every store: errors naming the range.
    for bad in [
        ByteRange::new(995, 10),
        ByteRange::Suffix(1001),
        ByteRange::FromStart(1001, None),
        ByteRange::new(2000, 0),
        ByteRange::FromStart(u64::MAX, Some(1)),
        ByteRange::FromStart(1, Some(u64::MAX)),
    ] {
        let r = read(&s, &[bad]);
        assert!(
            matches!(r, Err(StorageError::RangeOutOfBounds { size: 1000, .. })),
            "{bad}: {r:?}"
        );
    }

    // A demanded version is sent as If-Match: the current one reads, another is "changed".
    let v = Version::from_string(ETAG);
    let ok = ReadableStorageTraits::read(&s, &key(), &[ByteRange::new(0, 4)], Some(&v))?;
    assert_eq!(ok.ok_or("absent")?.bytes[0][..], data[..4]);
    assert_eq!(
        server
            .requests()
            .last()
            .and_then(|r| r.header("If-Match").map(str::to_string)),
        Some(ETAG.to_string())
    );
    let old = Version::from_string("\"e0\"");
    let r = ReadableStorageTraits::read(&s, &key(), &[ByteRange::new(0, 4)], Some(&old));
    assert!(is_changed(&r), "{r:?}");
    let r = ReadableStorageTraits::read(&s, &key(), &[], Some(&old));
    assert!(is_changed(&r), "{r:?}");
    Ok(())
}

/// A server that ignores Range and sends the whole value (with or without
/// Content-Length): every range is sliced correctly from it; a range further into the value
/// than the discard limit is a clear error, not a download of everything before it.
#[test]
fn a_server_ignoring_range_is_sliced() -> R {
    let data = sample(5000);
    for with_length in [true, false] {
        let d = data.clone();
        let server = LyingServer::start(move |_req| {
            let h = [("ETag", ETAG.to_string())];
            Reply::Send(response("200 OK", &h, &d, with_length.then_some(d.len())))
        });
        let s = store(&server.url);
        let ranges = [
            ByteRange::new(10, 20),
            ByteRange::Suffix(7),
            ByteRange::FromStart(4990, None),
            ByteRange::ALL,
            ByteRange::Prefix(3),
            ByteRange::Prefix(9000),
            ByteRange::new(4999, 1),
        ];
        let r = read(&s, &ranges)?.ok_or("absent")?;
        r.check(&key(), &ranges)?;
        assert_eq!(r.size, 5000);
        assert_eq!(r.bytes[0][..], data[10..30]);
        assert_eq!(r.bytes[1][..], data[4993..]);
        assert_eq!(r.bytes[2][..], data[4990..]);
        assert_eq!(r.bytes[3][..], data[..]);
        assert_eq!(r.bytes[4][..], data[..3]);
        assert_eq!(r.bytes[5][..], data[..]);
        assert_eq!(r.bytes[6][..], data[4999..]);
        for bad in [ByteRange::new(4995, 10), ByteRange::Suffix(5001)] {
            let r = read(&s, &[bad]);
            assert!(
                matches!(r, Err(StorageError::RangeOutOfBounds { size: 5000, .. })),
                "{bad}: {r:?}"
            );
        }
        // Limit: at most 1000 bytes may be discarded to reach a range.
        let tight = HttpStore::builder(&server.url)
            .max_discard_bytes(1000)
            .proxy_from_environment(false)
            .build()?;
        // With Content-Length reading stops at the range's end; without, the rest of the
        // body must be read (and discarded) to learn the size.
        let near = read(&tight, &[ByteRange::new(900, 10)]);
        if with_length {
            assert_eq!(near?.ok_or("absent")?.bytes[0][..], data[900..910]);
        } else {
            assert!(is_remote(&near), "{near:?}");
            // 100 bytes before the range and 400 after: within the limit.
            let r = read(&tight, &[ByteRange::new(100, 4500)])?.ok_or("absent")?;
            assert_eq!(r.bytes[0][..], data[100..4600]);
        }
        for far in [ByteRange::new(3000, 10), ByteRange::Suffix(10)] {
            let r = read(&tight, &[far]);
            assert!(is_remote(&r), "{far}: {r:?}");
            let msg = r.err().map(|e| e.to_string()).unwrap_or_default();
            assert!(msg.contains("ignored the Range header"), "{msg}");
        }
        // The whole value is not limited by the discard limit.
        assert_eq!(tight.get(&key())?.as_deref(), Some(&data[..]));
    }
    Ok(())
}

/// A body shorter than announced (Content-Length or Content-Range), then closed: an error
/// after the retries (a cut-off transfer may be transient), never short data.
#[test]
fn a_short_body_is_an_error() -> R {
    let data = sample(1000);
    let d = data.clone();
    let server = LyingServer::start(move |req| {
        let (status, h, body) = honest(req, &d, ETAG);
        let half = &body[..body.len() / 2];
        Reply::Send(response(&status, &h, half, Some(body.len())))
    });
    let s = store(&server.url);
    for r in [
        ByteRange::new(10, 20),
        ByteRange::ALL,
        ByteRange::Suffix(100),
    ] {
        let before = server.count();
        let got = read(&s, &[r]);
        assert!(is_remote(&got), "{r}: {got:?}");
        assert_eq!(server.count() - before, 4, "{r}: 1 attempt + 3 retries");
    }
    // The same without Content-Length (the body just ends early).
    let d = data.clone();
    let server = LyingServer::start(move |req| {
        let (status, h, body) = honest(req, &d, ETAG);
        Reply::Send(response(&status, &h, &body[..body.len() / 2], None))
    });
    let s = store(&server.url);
    let got = read(&s, &[ByteRange::new(10, 20)]);
    assert!(is_remote(&got), "{got:?}");
    Ok(())
}

/// Content-Length that disagrees with Content-Range, or a body longer than the range:
/// errors at once (no retry: the answer is wrong, not cut off).
#[test]
fn a_wrong_content_length_is_an_error() -> R {
    let data = sample(1000);
    for (cl, body_len) in [(10usize, 10usize), (30, 30), (10, 20)] {
        let d = data.clone();
        let server = LyingServer::start(move |_req| {
            let h = [
                ("ETag", ETAG.to_string()),
                ("Content-Range", "bytes 10-29/1000".to_string()),
            ];
            Reply::Send(response(
                "206 Partial Content",
                &h,
                &d[10..10 + body_len],
                Some(cl),
            ))
        });
        let s = store(&server.url);
        let got = read(&s, &[ByteRange::new(10, 20)]);
        assert!(
            is_remote(&got),
            "Content-Length {cl}, {body_len} bytes: {got:?}"
        );
        assert_eq!(server.count(), 1, "not retried");
    }
    // A chunked-style (close-delimited) 206 body longer than its Content-Range.
    let d = data.clone();
    let server = LyingServer::start(move |_req| {
        let h = [("Content-Range", "bytes 10-29/1000".to_string())];
        Reply::Send(response("206 Partial Content", &h, &d[10..40], None))
    });
    let got = read(&store(&server.url), &[ByteRange::new(10, 20)]);
    assert!(is_remote(&got), "{got:?}");
    Ok(())
}

/// A Content-Range that is not the range asked for (another window, none, no total, a
/// malformed one) or a multipart answer to one range: an error, never those bytes.
#[test]
fn a_content_range_that_does_not_match_is_an_error() -> R {
    let data = sample(1000);
    type Headers = Vec<(&'static str, String)>;
    // (what, headers, offset of the body sent, its length); the request is bytes 10-29.
    let cases: Vec<(&str, Headers, usize, usize)> = vec![
        (
            "other window",
            vec![("Content-Range", "bytes 0-19/1000".into())],
            0,
            20,
        ),
        (
            "shifted",
            vec![("Content-Range", "bytes 11-30/1000".into())],
            11,
            20,
        ),
        (
            "shorter",
            vec![("Content-Range", "bytes 10-19/1000".into())],
            10,
            10,
        ),
        ("no Content-Range", vec![], 10, 20),
        (
            "no total",
            vec![("Content-Range", "bytes 10-29/*".into())],
            10,
            20,
        ),
        (
            "malformed",
            vec![("Content-Range", "bytes 10-29".into())],
            10,
            20,
        ),
        (
            "past the total",
            vec![("Content-Range", "bytes 10-29/20".into())],
            10,
            20,
        ),
        (
            "multipart",
            vec![
                ("Content-Range", "bytes 10-29/1000".into()),
                ("Content-Type", "multipart/byteranges; boundary=x".into()),
            ],
            10,
            20,
        ),
    ];
    for (what, headers, at, len) in cases {
        let body = data[at..at + len].to_vec();
        let server = LyingServer::start(move |_req| {
            Reply::Send(response(
                "206 Partial Content",
                &headers,
                &body,
                Some(body.len()),
            ))
        });
        let got = read(&store(&server.url), &[ByteRange::new(10, 20)]);
        assert!(is_remote(&got), "{what}: {got:?}");
    }
    // A 206 to a request without Range, and a 416 for a satisfiable range.
    let d = data.clone();
    let server = LyingServer::start(move |_req| {
        let h = [("Content-Range", "bytes 0-999/1000".to_string())];
        Reply::Send(response("206 Partial Content", &h, &d, Some(d.len())))
    });
    assert!(is_remote(&read(&store(&server.url), &[ByteRange::ALL])));
    let server = LyingServer::start(move |_req| {
        let h = [("Content-Range", "bytes */1000".to_string())];
        Reply::Send(response("416 Range Not Satisfiable", &h, &[], Some(0)))
    });
    assert!(is_remote(&read(
        &store(&server.url),
        &[ByteRange::new(10, 20)]
    )));
    // A 416 without the size.
    let server = LyingServer::start(move |_req| {
        Reply::Send(response("416 Range Not Satisfiable", &[], &[], Some(0)))
    });
    assert!(is_remote(&read(
        &store(&server.url),
        &[ByteRange::FromStart(1000, None)]
    )));
    Ok(())
}

/// A connection reset in the middle of a body: the request is retried and the bytes are
/// right; a server that always resets gives an error after the retries.
#[test]
fn a_reset_mid_body_is_retried_or_an_error() -> R {
    let data = sample(100_000);
    let d = data.clone();
    let server = LyingServer::start(move |req| {
        let full = honest_reply(req, &d, ETAG);
        if req.n < 2 {
            Reply::SendThenReset(full[..full.len() / 2].to_vec())
        } else {
            Reply::Send(full)
        }
    });
    let s = store(&server.url);
    let got = read(&s, &[ByteRange::new(1000, 50_000)])?.ok_or("absent")?;
    assert_eq!(got.bytes[0][..], data[1000..51_000]);
    assert_eq!(server.count(), 3);
    assert_eq!(s.stats().retries, 2);

    let d = data.clone();
    let server = LyingServer::start(move |req| {
        let full = honest_reply(req, &d, ETAG);
        Reply::SendThenReset(full[..full.len() / 2].to_vec())
    });
    let s = store(&server.url);
    let got = s.get(&key());
    assert!(is_remote(&got), "{got:?}");
    assert_eq!(server.count(), 4);
    Ok(())
}

/// 500 and 503 (and 429 with Retry-After) are retried with backoff, then succeed; a
/// server that keeps failing gives an error after a bounded count and time.
#[test]
fn server_errors_are_retried_with_backoff() -> R {
    let data = sample(1000);
    let d = data.clone();
    let server = LyingServer::start(move |req| match req.n {
        0 => Reply::Send(response("503 Service Unavailable", &[], b"busy", Some(4))),
        1 => Reply::Send(response("500 Internal Server Error", &[], b"", Some(0))),
        2 => Reply::Send(response(
            "429 Too Many Requests",
            &[("Retry-After", "0".into())],
            b"",
            Some(0),
        )),
        _ => Reply::Send(honest_reply(req, &d, ETAG)),
    });
    let s = store(&server.url);
    let got = read(&s, &[ByteRange::new(100, 10)])?.ok_or("absent")?;
    assert_eq!(got.bytes[0][..], data[100..110]);
    assert_eq!(server.count(), 4);
    assert_eq!(s.stats().retries, 3);

    // Always 500: exactly 1 + max_retries attempts.
    let server = LyingServer::start(|_req| {
        Reply::Send(response("500 Internal Server Error", &[], b"", Some(0)))
    });
    let s = store(&server.url);
    let got = read(&s, &[ByteRange::new(0, 1)]);
    assert!(is_remote(&got), "{got:?}");
    let msg = got.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(
        msg.contains("500") && msg.contains("gave up after 4 attempts"),
        "{msg}"
    );
    assert_eq!(server.count(), 4);

    // Many retries allowed, but a time budget: it ends in bounded time.
    let s = HttpStore::builder(&server.url)
        .max_retries(1000)
        .backoff(Duration::from_millis(50), Duration::from_millis(50))
        .retry_budget(Duration::from_millis(400))
        .proxy_from_environment(false)
        .build()?;
    let t = Instant::now();
    let got = read(&s, &[ByteRange::new(0, 1)]);
    assert!(is_remote(&got), "{got:?}");
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    assert!(server.count() < 4 + 30);
    // Not retried: 403.
    let server =
        LyingServer::start(|_req| Reply::Send(response("403 Forbidden", &[], b"", Some(0))));
    assert!(is_remote(&read(
        &store(&server.url),
        &[ByteRange::new(0, 1)]
    )));
    assert_eq!(server.count(), 1);
    Ok(())
}

/// A server that stops sending (before the headers, or mid-body) gives a timeout error in
/// bounded time, never a hang.
#[test]
fn a_stalled_server_times_out() -> R {
    let data = sample(1000);
    for mid_body in [false, true] {
        let d = data.clone();
        let server = LyingServer::start(move |req| {
            if mid_body {
                let full = honest_reply(req, &d, ETAG);
                Reply::SendThenStall(full[..full.len() - 10].to_vec())
            } else {
                Reply::SendThenStall(Vec::new())
            }
        });
        let s = HttpStore::builder(&server.url)
            .max_retries(1)
            .backoff(Duration::from_millis(5), Duration::from_millis(5))
            .read_timeout(Duration::from_millis(300))
            .proxy_from_environment(false)
            .build()?;
        let t = Instant::now();
        let got = read(&s, &[ByteRange::new(0, 500)]);
        assert!(is_remote(&got), "{got:?}");
        let msg = got.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(msg.contains("timed out"), "{msg}");
        assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
        assert_eq!(server.count(), 2);
        // The whole request timeout bounds a slow answer too.
        let s = HttpStore::builder(&server.url)
            .max_retries(0)
            .read_timeout(Duration::from_secs(60))
            .request_timeout(Duration::from_millis(300))
            .proxy_from_environment(false)
            .build()?;
        let t = Instant::now();
        assert!(is_remote(&read(&s, &[ByteRange::new(0, 500)])));
        assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    }
    Ok(())
}

/// The value changes between the requests of one read (another ETag, another size, gone):
/// "changed", never bytes of two versions. A server that ignores If-Match is caught by the
/// store's own comparison.
#[test]
fn two_versions_in_one_read_are_changed() -> R {
    let data = sample(1000);
    let d = data.clone();
    let server = LyingServer::start(move |req| {
        Reply::Send(honest_reply(req, &d, &format!("\"v{}\"", req.n)))
    });
    let s = store(&server.url);
    let got = read(&s, &[ByteRange::new(0, 10), ByteRange::new(500, 10)]);
    assert!(is_changed(&got), "{got:?}");

    // The ETag stays but the size changes.
    let d = data.clone();
    let server = LyingServer::start(move |req| {
        let v = if req.n % 2 == 0 { &d[..] } else { &d[..900] };
        Reply::Send(honest_reply(req, v, ETAG))
    });
    let got = read(
        &store(&server.url),
        &[ByteRange::new(0, 10), ByteRange::new(100, 10)],
    );
    assert!(is_changed(&got), "{got:?}");

    // Erased between two requests.
    let d = data.clone();
    let server = LyingServer::start(move |req| {
        Reply::Send(if req.n == 0 {
            honest_reply(req, &d, ETAG)
        } else {
            response("404 Not Found", &[], b"", Some(0))
        })
    });
    let s = HttpStore::builder(&server.url)
        .max_concurrent_requests(1)
        .proxy_from_environment(false)
        .build()?;
    let got = read(&s, &[ByteRange::new(0, 10), ByteRange::new(100, 10)]);
    assert!(is_changed(&got), "{got:?}");

    // If-Match ignored: the answer's own ETag shows the change.
    let d = data.clone();
    let server = LyingServer::start(move |req| {
        let mut r = req.clone();
        r.headers
            .retain(|(n, _)| !n.eq_ignore_ascii_case("If-Match"));
        Reply::Send(honest_reply(&r, &d, "\"new\""))
    });
    let old = Version::from_string(ETAG);
    let got = ReadableStorageTraits::read(
        &store(&server.url),
        &key(),
        &[ByteRange::new(0, 10)],
        Some(&old),
    );
    assert!(is_changed(&got), "{got:?}");
    assert_eq!(server.requests()[0].header("If-Match"), Some(ETAG));
    Ok(())
}

/// 404 is absent (and "changed" when a version was demanded); an encoding we did not ask
/// for is an error; a server without HEAD is asked for one byte instead.
#[test]
fn absent_encoded_and_no_head() -> R {
    let server =
        LyingServer::start(|_req| Reply::Send(response("404 Not Found", &[], b"no", Some(2))));
    let s = store(&server.url);
    assert_eq!(read(&s, &[ByteRange::new(0, 10)])?, None);
    assert_eq!(s.get(&key())?, None);
    assert_eq!(s.size_key(&key())?, None);
    let v = Version::from_string(ETAG);
    assert!(is_changed(&ReadableStorageTraits::read(
        &s,
        &key(),
        &[],
        Some(&v)
    )));
    assert!(is_changed(&ReadableStorageTraits::read(
        &s,
        &key(),
        &[ByteRange::ALL],
        Some(&v)
    )));

    let server = LyingServer::start(|_req| {
        let h = [("Content-Encoding", "gzip".to_string())];
        Reply::Send(response("200 OK", &h, b"\x1f\x8b....", Some(6)))
    });
    let got = store(&server.url).get(&key());
    assert!(is_remote(&got), "{got:?}");

    let data = sample(300);
    let server = LyingServer::start(move |req| {
        if req.method == "HEAD" {
            Reply::Send(response("405 Method Not Allowed", &[], b"", Some(0)))
        } else {
            Reply::Send(honest_reply(req, &data, ETAG))
        }
    });
    let s = store(&server.url);
    let r = read(&s, &[])?.ok_or("absent")?;
    assert_eq!((r.size, r.version), (300, Version::from_string(ETAG)));
    assert_eq!(
        server
            .requests()
            .last()
            .and_then(|r| r.header("Range").map(str::to_string)),
        Some("bytes=0-0".to_string())
    );
    Ok(())
}

/// Without ETag the version is Last-Modified and the size (or the size alone).
#[test]
fn versions_without_etag() -> R {
    let data = sample(100);
    let d = data.clone();
    let server = LyingServer::start(move |req| {
        let (status, mut h, body) = honest(req, &d, ETAG);
        h.retain(|(n, _)| *n != "ETag");
        h.push(("Last-Modified", "Tue, 01 Jul 2025 10:00:00 GMT".into()));
        let len = if req.method == "HEAD" {
            d.len()
        } else {
            body.len()
        };
        Reply::Send(response(&status, &h, &body, Some(len)))
    });
    let s = store(&server.url);
    let v = s.version(&key())?.ok_or("absent")?;
    assert_eq!(
        v.as_str(),
        Some("last-modified: Tue, 01 Jul 2025 10:00:00 GMT; size: 100")
    );
    let r = ReadableStorageTraits::read(&s, &key(), &[ByteRange::new(1, 2)], Some(&v))?;
    assert_eq!(r.ok_or("absent")?.bytes[0][..], data[1..3]);
    assert_eq!(
        server
            .requests()
            .last()
            .and_then(|r| r.header("If-Unmodified-Since").map(str::to_string)),
        Some("Tue, 01 Jul 2025 10:00:00 GMT".to_string())
    );
    Ok(())
}

/// Listing and writing are unsupported, with errors that say so.
#[test]
fn listing_and_writes_are_unsupported() -> R {
    let server =
        LyingServer::start(|_req| Reply::Send(response("404 Not Found", &[], b"", Some(0))));
    let s = store(&server.url);
    for r in [
        s.list().map(|_| ()),
        s.list_dir(&StorePrefix::root()).map(|_| ()),
        s.set(&key(), "x".into()),
        s.erase(&key()),
    ] {
        assert!(matches!(r, Err(StorageError::Unsupported(_))), "{r:?}");
    }
    assert_eq!(server.count(), 0);
    for bad in ["ftp://x/y", "http://", "http://h/x?token=1", "not a url"] {
        assert!(HttpStore::new(bad).is_err(), "{bad}");
    }
    assert_eq!(
        HttpStore::new("http://h:1/a/b.zarr/")?.url(),
        "http://h:1/a/b.zarr"
    );
    Ok(())
}

/// The sync API works from inside a tokio runtime (current-thread and multi-thread): it
/// never calls block_on there. Dropping the store inside async code does not panic, and an
/// async read whose future is dropped ends its request.
#[test]
fn sync_calls_inside_runtimes_and_drops() -> R {
    let data = sample(1000);
    let d = data.clone();
    let stalls = Arc::new(AtomicUsize::new(0));
    let st = stalls.clone();
    let server = LyingServer::start(move |req| {
        if req.path == "/stall" {
            st.fetch_add(1, Ordering::SeqCst);
            Reply::SendThenStall(Vec::new())
        } else {
            Reply::Send(honest_reply(req, &d, ETAG))
        }
    });
    let url = server.url.clone();
    for (round, multi) in [false, true].into_iter().enumerate() {
        let closed = server.closed.clone();
        let seen = stalls.clone();
        let rt = if multi {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()?
        } else {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?
        };
        let (u, want) = (url.clone(), data.clone());
        rt.block_on(async move {
            let s = store(&u);
            let got = s.get(&key()).expect("sync get inside a runtime");
            assert_eq!(got.as_deref(), Some(&want[..]));
            // The async API on this runtime too.
            let r = AsyncReadableStorageTraits::read(
                &s.to_async(),
                &key(),
                &[ByteRange::new(3, 4)],
                None,
            )
            .await
            .expect("async read")
            .expect("present");
            assert_eq!(r.bytes[0][..], want[3..7]);
            // A dropped read future: its task is aborted (no timeout would end it here).
            let patient = HttpStore::builder(&u)
                .read_timeout(Duration::from_secs(60))
                .proxy_from_environment(false)
                .build_async()
                .expect("store");
            let k = StoreKey::new("stall").expect("key");
            let mut f = AsyncReadableStorageTraits::read(&patient, &k, &[ByteRange::ALL], None);
            // Poll it until the server has the request, then drop it.
            let t = Instant::now();
            while seen.load(Ordering::SeqCst) < round + 1 && t.elapsed() < Duration::from_secs(5) {
                assert!(tokio::time::timeout(Duration::from_millis(10), &mut f)
                    .await
                    .is_err());
            }
            assert_eq!(seen.load(Ordering::SeqCst), round + 1);
            drop(f);
            // Its task was aborted (the store lives on): the client closed the connection.
            let t = Instant::now();
            while closed.load(Ordering::SeqCst) < round + 1 && t.elapsed() < Duration::from_secs(5)
            {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            assert_eq!(
                closed.load(Ordering::SeqCst),
                round + 1,
                "a dropped read was not aborted"
            );
            // The last clones, inside async code.
            drop(patient);
            drop(s);
        });
    }
    assert_eq!(stalls.load(Ordering::SeqCst), 2);
    Ok(())
}

/// HTTPS with a private CA given to the store: reads work; without it the certificate is
/// refused.
#[test]
fn https_with_a_private_root() -> R {
    let ca_key = rcgen::KeyPair::generate()?;
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key)?;
    let leaf_key = rcgen::KeyPair::generate()?;
    let leaf = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()])?
        .signed_by(&leaf_key, &ca, &ca_key)?;
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into()),
        )?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let data = sample(4000);
    let d = data.clone();
    let server = LyingServer::start_with(
        Arc::new(move |req: &Request| Reply::Send(honest_reply(req, &d, ETAG))),
        Some(acceptor),
    );
    assert!(server.url.starts_with("https://127.0.0.1:"));
    let s = HttpStore::builder(&server.url)
        .root_certificates_pem(ca.pem().into_bytes())
        .proxy_from_environment(false)
        .max_retries(0)
        .build()?;
    let r = read(&s, &[ByteRange::new(100, 50), ByteRange::Suffix(10)])?.ok_or("absent")?;
    assert_eq!(r.bytes[0][..], data[100..150]);
    assert_eq!(r.bytes[1][..], data[3990..]);
    let untrusted = HttpStore::builder(&server.url)
        .proxy_from_environment(false)
        .max_retries(0)
        .build()?;
    let got = untrusted.get(&key());
    assert!(is_remote(&got), "{got:?}");
    Ok(())
}
