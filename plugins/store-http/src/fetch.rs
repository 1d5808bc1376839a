//! The requests: one `GET` per non-empty byte range (concurrently), a `HEAD` when a read
//! needs only the size and version, retries with backoff, and every answer checked against
//! the request before a byte of it is used.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt};
use reqwest::header::{self, HeaderMap};
use reqwest::{Response, StatusCode};
use zarrkit_core::storage::{ByteRange, Bytes, ReadResult, StoreKey, Version};
use zarrkit_core::StorageError;

use crate::range::{self, ContentRange, Plan, Validator};
use crate::HttpStats;

/// The limits and retry policy of a store (see the builder's methods).
#[derive(Debug, Clone)]
pub(crate) struct Policy {
    pub(crate) max_retries: u32,
    pub(crate) retry_budget: Duration,
    pub(crate) initial_backoff: Duration,
    pub(crate) max_backoff: Duration,
    pub(crate) max_discard_bytes: u64,
    pub(crate) max_body_bytes: u64,
    pub(crate) concurrency: usize,
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    requests: AtomicU64,
    head_requests: AtomicU64,
    retries: AtomicU64,
    body_bytes: AtomicU64,
}

impl Counters {
    pub(crate) fn snapshot(&self) -> HttpStats {
        HttpStats {
            requests: self.requests.load(Ordering::Relaxed),
            head_requests: self.head_requests.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            body_bytes: self.body_bytes.load(Ordering::Relaxed),
        }
    }
}

/// What the tasks of a store share (never the runtime: a task must not own what runs it).
pub(crate) struct Shared {
    pub(crate) client: reqwest::Client,
    /// The store's URL without a trailing `/`.
    pub(crate) base: String,
    pub(crate) policy: Policy,
    pub(crate) counters: Counters,
}

/// The outcome of one attempt that did not succeed.
enum Attempt {
    /// Worth another try (a transport error, a 5xx, a cut-off body): why, and how long the
    /// server asked us to wait.
    Retry(String, Option<Duration>),
    /// Final.
    Fatal(StorageError),
}

/// What one request found.
enum Answer<T> {
    Absent,
    /// 412: the demanded version is no longer current.
    Changed,
    Found(T),
}

/// The size and validator an answer reported. `validator` is `None` when the answer could
/// not carry one (a 416 without ETag says nothing about the value's version).
#[derive(Debug, Clone)]
struct Meta {
    size: u64,
    validator: Option<Validator>,
}

fn remote(key: &StoreKey, message: impl Into<String>) -> StorageError {
    StorageError::Remote {
        key: key.to_string(),
        message: message.into(),
    }
}

fn fatal(key: &StoreKey, message: impl Into<String>) -> Attempt {
    Attempt::Fatal(remote(key, message))
}

fn changed(key: &StoreKey) -> StorageError {
    StorageError::Changed {
        key: key.to_string(),
    }
}

/// A transport error's text with its causes (reqwest's own text is terse).
fn describe(e: &reqwest::Error) -> String {
    let mut s = if e.is_timeout() {
        "timed out".to_string()
    } else if e.is_connect() {
        "could not connect".to_string()
    } else if e.is_body() || e.is_decode() {
        "the body was cut off".to_string()
    } else {
        "request failed".to_string()
    };
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        s.push_str(": ");
        s.push_str(&cause.to_string());
        source = cause.source();
    }
    s
}

fn transport(e: &reqwest::Error) -> Attempt {
    Attempt::Retry(describe(e), None)
}

fn retryable(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 429 | 500 | 502 | 503 | 504)
}

/// `Retry-After` in seconds (dates are ignored: the backoff applies).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    v.parse::<u64>().ok().map(Duration::from_secs)
}

fn header_text(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// `Content-Length`, if present; a malformed one is a lie.
fn content_length(key: &StoreKey, headers: &HeaderMap) -> Result<Option<u64>, Attempt> {
    match headers.get(header::CONTENT_LENGTH) {
        None => Ok(None),
        Some(v) => v
            .to_str()
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
            .map(Some)
            .ok_or_else(|| fatal(key, "the server sent a malformed Content-Length")),
    }
}

/// The body must be the stored bytes: an encoding we did not ask for (we send
/// `Accept-Encoding: identity`) is an error, not something to slice.
fn check_identity(key: &StoreKey, headers: &HeaderMap) -> Result<(), Attempt> {
    match header_text(headers, header::CONTENT_ENCODING) {
        None => Ok(()),
        Some(e) if e.is_empty() || e.eq_ignore_ascii_case("identity") => Ok(()),
        Some(e) => Err(fatal(
            key,
            format!("the server sent the value with Content-Encoding {e:?} although identity was asked for"),
        )),
    }
}

/// A small xorshift for backoff jitter, seeded from the clock.
fn jitter(max: Duration) -> Duration {
    let mut x = u64::from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos()),
    ) | 1;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    let nanos = u64::try_from(max.as_nanos()).unwrap_or(u64::MAX);
    Duration::from_nanos(x % nanos.max(1))
}

/// Collects the bytes of a body that fall in a window: zero-copy when they arrive in one
/// piece; when the window's length is known, copied as they arrive into one buffer of that
/// length (allocated fallibly, once: no second copy of a large range); otherwise kept as
/// pieces (for a tail of unknown position) and joined at the end.
struct Collector {
    pieces: VecDeque<Bytes>,
    buffer: Option<Vec<u8>>,
    expected: Option<u64>,
    len: u64,
}

fn allocate(key: &StoreKey, n: u64) -> Result<Vec<u8>, Attempt> {
    let n = usize::try_from(n).map_err(|_| fatal(key, "a range does not fit in memory"))?;
    let mut v = Vec::new();
    v.try_reserve_exact(n)
        .map_err(|_| fatal(key, format!("cannot allocate {n} bytes")))?;
    Ok(v)
}

impl Collector {
    /// A window of unknown length.
    fn new() -> Self {
        Self {
            pieces: VecDeque::new(),
            buffer: None,
            expected: None,
            len: 0,
        }
    }

    /// A window of `n` bytes (already checked against the limits).
    fn with_expected(n: u64) -> Self {
        Self {
            expected: Some(n),
            ..Self::new()
        }
    }

    fn push(&mut self, key: &StoreKey, b: Bytes) -> Result<(), Attempt> {
        if b.is_empty() {
            return Ok(());
        }
        self.len += b.len() as u64;
        if let Some(v) = &mut self.buffer {
            v.try_reserve(b.len())
                .map_err(|_| fatal(key, "cannot allocate a range"))?;
            v.extend_from_slice(&b);
            return Ok(());
        }
        match self.expected {
            // The first piece is the whole window, or one of several.
            Some(n) if !(self.pieces.is_empty() && self.len == n) => {
                let mut v = allocate(key, n.max(self.len))?;
                for p in self.pieces.drain(..) {
                    v.extend_from_slice(&p);
                }
                v.extend_from_slice(&b);
                self.buffer = Some(v);
            }
            _ => self.pieces.push_back(b),
        }
        Ok(())
    }

    /// Keep only the last `n` bytes.
    fn keep_tail(&mut self, n: u64) {
        while let Some(front) = self.pieces.front() {
            let flen = front.len() as u64;
            if self.len - flen >= n {
                self.len -= flen;
                self.pieces.pop_front();
            } else {
                break;
            }
        }
        if self.len > n {
            let cut = (self.len - n) as usize; // < the front piece's length
            if let Some(front) = self.pieces.front_mut() {
                *front = front.slice(cut..);
            }
            self.len = n;
        }
    }

    fn finish(mut self, key: &StoreKey) -> Result<Bytes, Attempt> {
        if let Some(v) = self.buffer {
            return Ok(Bytes::from(v));
        }
        if self.pieces.len() <= 1 {
            return Ok(self.pieces.pop_front().unwrap_or_default());
        }
        let mut v = allocate(key, self.len)?;
        for p in self.pieces {
            v.extend_from_slice(&p);
        }
        Ok(Bytes::from(v))
    }
}

impl Shared {
    fn url(&self, key: &StoreKey) -> String {
        range::key_url(&self.base, key)
    }

    /// Run `attempt` until it succeeds, fails for good, or the retries (in count and in
    /// time) are spent.
    async fn with_retries<T, F, Fut>(
        &self,
        key: &StoreKey,
        mut attempt: F,
    ) -> Result<T, StorageError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, Attempt>>,
    {
        let p = &self.policy;
        let start = Instant::now();
        let mut tries: u32 = 0;
        loop {
            tries += 1;
            let why = match attempt().await {
                Ok(v) => return Ok(v),
                Err(Attempt::Fatal(e)) => return Err(e),
                Err(Attempt::Retry(why, after)) => (why, after),
            };
            let give_up = |extra: &str| {
                remote(
                    key,
                    format!(
                        "{} (gave up after {tries} attempt{} in {:.1?}{extra})",
                        why.0,
                        if tries == 1 { "" } else { "s" },
                        start.elapsed()
                    ),
                )
            };
            if tries > p.max_retries {
                return Err(give_up(""));
            }
            let exp = p
                .initial_backoff
                .saturating_mul(1u32 << (tries - 1).min(16))
                .min(p.max_backoff);
            // Half fixed, half random: retries of concurrent requests spread out.
            let mut delay = exp / 2 + jitter(exp / 2 + Duration::from_nanos(1));
            if let Some(after) = why.1 {
                delay = delay.max(after.min(p.max_backoff));
            }
            if start.elapsed() + delay > p.retry_budget {
                return Err(give_up(", the retry time budget is spent"));
            }
            self.counters.retries.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(delay).await;
        }
    }

    fn request(
        &self,
        method: reqwest::Method,
        url: &str,
        range: Option<&str>,
        if_version: Option<&Version>,
    ) -> reqwest::RequestBuilder {
        let mut req = self
            .client
            .request(method, url)
            .header(header::ACCEPT_ENCODING, "identity");
        if let Some(r) = range {
            req = req.header(header::RANGE, r);
        }
        if let Some((name, value)) = if_version.and_then(range::precondition) {
            req = req.header(name, value);
        }
        req
    }

    /// Send a request; the status decides what follows. Absent, changed, retried and
    /// unexpected statuses are handled here; `Ok(Found(resp))` for 200, 206 and 416.
    async fn send(
        &self,
        key: &StoreKey,
        req: reqwest::RequestBuilder,
    ) -> Result<Answer<Response>, Attempt> {
        self.counters.requests.fetch_add(1, Ordering::Relaxed);
        let resp = req.send().await.map_err(|e| transport(&e))?;
        let status = resp.status();
        match status.as_u16() {
            200 | 206 | 416 => {}
            404 | 410 => return Ok(Answer::Absent),
            412 => return Ok(Answer::Changed),
            _ if retryable(status) => {
                return Err(Attempt::Retry(
                    format!("the server answered {status}"),
                    retry_after(resp.headers()),
                ))
            }
            _ => return Err(fatal(key, format!("the server answered {status}"))),
        }
        check_identity(key, resp.headers())?;
        Ok(Answer::Found(resp))
    }

    /// The next piece of a body; a transport error (reset, stall) is worth a retry.
    async fn chunk(&self, resp: &mut Response) -> Result<Option<Bytes>, Attempt> {
        let c = resp.chunk().await.map_err(|e| transport(&e))?;
        if let Some(c) = &c {
            self.counters
                .body_bytes
                .fetch_add(c.len() as u64, Ordering::Relaxed);
        }
        Ok(c)
    }

    /// Read exactly `len` bytes of a 206 body: more is a lie, fewer a cut-off transfer.
    async fn read_exact(
        &self,
        key: &StoreKey,
        mut resp: Response,
        len: u64,
    ) -> Result<Bytes, Attempt> {
        if len > self.policy.max_body_bytes {
            return Err(fatal(
                key,
                format!(
                    "a range of {len} bytes is over the limit of {} bytes",
                    self.policy.max_body_bytes
                ),
            ));
        }
        let mut c = Collector::with_expected(len);
        while let Some(b) = self.chunk(&mut resp).await? {
            if c.len + b.len() as u64 > len {
                return Err(fatal(
                    key,
                    format!("the server sent more than the {len} bytes of the range it announced"),
                ));
            }
            c.push(key, b)?;
        }
        if c.len != len {
            return Err(Attempt::Retry(
                format!(
                    "the body ended after {} of the {len} bytes announced",
                    c.len
                ),
                None,
            ));
        }
        c.finish(key)
    }

    /// A 200 answer (the whole value) to a request for `r`: the bytes of `r`, and the size.
    /// A server that ignores `Range` sends everything: only the requested window is kept,
    /// and at most `max_discard_bytes` outside it are read before giving up.
    async fn slice_whole(
        &self,
        key: &StoreKey,
        mut resp: Response,
        r: &ByteRange,
    ) -> Result<(Bytes, u64), Attempt> {
        let p = &self.policy;
        let whole = *r == ByteRange::ALL;
        let ignored = |n: u64| {
            fatal(
                key,
                format!(
                    "the server ignored the Range header and sent the whole value: reaching \
                     range {r} would mean reading and discarding {n} bytes, over the limit of {} \
                     (HttpStoreBuilder::max_discard_bytes)",
                    p.max_discard_bytes
                ),
            )
        };
        if let Some(size) = content_length(key, resp.headers())? {
            let want = r.resolve(key, size).map_err(Attempt::Fatal)?;
            let keep = want.end - want.start;
            if keep > p.max_body_bytes {
                return Err(fatal(
                    key,
                    format!(
                        "{keep} bytes are over the limit of {} bytes",
                        p.max_body_bytes
                    ),
                ));
            }
            // Bytes before the window are discarded; reading stops at its end.
            if want.start > p.max_discard_bytes {
                return Err(ignored(want.start));
            }
            let (mut at, mut c) = (0u64, Collector::with_expected(keep));
            while at < want.end {
                let Some(b) = self.chunk(&mut resp).await? else {
                    return Err(Attempt::Retry(
                        format!("the body ended after {at} of the {size} bytes announced"),
                        None,
                    ));
                };
                let (s, e) = (at, at + b.len() as u64);
                at = e;
                let lo = want.start.max(s);
                let hi = want.end.min(e);
                if lo < hi {
                    c.push(key, b.slice((lo - s) as usize..(hi - s) as usize))?;
                }
            }
            return Ok((c.finish(key)?, size));
        }
        // No Content-Length: read to the end to learn the size, keeping the window.
        let (keep_from, keep_to, tail) = match *r {
            ByteRange::FromStart(o, l) => (o, l.and_then(|l| o.checked_add(l)), None),
            ByteRange::Prefix(n) => (0, Some(n), None),
            ByteRange::Suffix(n) => (0, None, Some(n)),
        };
        let (mut at, mut discarded, mut c) = (0u64, 0u64, Collector::new());
        while let Some(b) = self.chunk(&mut resp).await? {
            let (s, e) = (at, at + b.len() as u64);
            at = e;
            let lo = keep_from.max(s);
            let hi = keep_to.map_or(e, |t| t.min(e));
            let kept = if lo < hi {
                c.push(key, b.slice((lo - s) as usize..(hi - s) as usize))?;
                hi - lo
            } else {
                0
            };
            discarded += (e - s) - kept;
            if let Some(n) = tail {
                let before = c.len;
                c.keep_tail(n);
                discarded += before - c.len;
            }
            if !whole && discarded > p.max_discard_bytes {
                return Err(ignored(discarded));
            }
            if c.len > p.max_body_bytes {
                return Err(fatal(
                    key,
                    format!("the value is over the limit of {} bytes", p.max_body_bytes),
                ));
            }
        }
        let size = at;
        let want = r.resolve(key, size).map_err(Attempt::Fatal)?;
        if c.len != want.end - want.start {
            return Err(fatal(key, "internal error slicing a whole body"));
        }
        Ok((c.finish(key)?, size))
    }

    /// One attempt at a `GET` of one byte range.
    async fn get_range(
        &self,
        key: &StoreKey,
        url: &str,
        r: &ByteRange,
        header_value: Option<&str>,
        if_version: Option<&Version>,
    ) -> Result<Answer<(Bytes, Meta)>, Attempt> {
        let req = self.request(reqwest::Method::GET, url, header_value, if_version);
        let resp = match self.send(key, req).await? {
            Answer::Found(resp) => resp,
            Answer::Absent => return Ok(Answer::Absent),
            Answer::Changed => return Ok(Answer::Changed),
        };
        let headers = resp.headers().clone();
        let validator = Validator::of(&headers);
        let content_range = header_text(&headers, header::CONTENT_RANGE)
            .map(|v| range::parse_content_range(v).ok_or(v));
        match resp.status().as_u16() {
            206 => {
                if header_value.is_none() {
                    return Err(fatal(
                        key,
                        "the server sent 206 Partial Content to a request without Range",
                    ));
                }
                if header_text(&headers, header::CONTENT_TYPE)
                    .is_some_and(|t| t.to_ascii_lowercase().starts_with("multipart/"))
                {
                    return Err(fatal(
                        key,
                        "the server sent a multipart answer to a request for one range",
                    ));
                }
                let (first, last, total) = match content_range {
                    Some(Ok(ContentRange::Bytes {
                        first,
                        last,
                        total: Some(total),
                    })) => (first, last, total),
                    Some(Ok(ContentRange::Bytes { total: None, .. })) => {
                        return Err(fatal(key, "the server's Content-Range gives no total size"))
                    }
                    Some(Err(v)) => {
                        return Err(fatal(
                            key,
                            format!("the server sent a malformed Content-Range {v:?}"),
                        ))
                    }
                    _ => {
                        return Err(fatal(
                            key,
                            "the server sent 206 Partial Content without a byte Content-Range",
                        ))
                    }
                };
                let want = r.resolve(key, total).map_err(Attempt::Fatal)?;
                if want.start == want.end || first != want.start || last + 1 != want.end {
                    return Err(fatal(
                        key,
                        format!(
                            "the server answered range {r} with bytes {first}-{last} of {total}, \
                             not {}-{}",
                            want.start,
                            want.end.saturating_sub(1)
                        ),
                    ));
                }
                let len = want.end - want.start;
                if let Some(cl) = content_length(key, &headers)? {
                    if cl != len {
                        return Err(fatal(
                            key,
                            format!("the server's Content-Length {cl} does not match its Content-Range of {len} bytes"),
                        ));
                    }
                }
                let bytes = self.read_exact(key, resp, len).await?;
                Ok(Answer::Found((
                    bytes,
                    Meta {
                        size: total,
                        validator: Some(validator),
                    },
                )))
            }
            200 => {
                let (bytes, size) = self.slice_whole(key, resp, r).await?;
                Ok(Answer::Found((
                    bytes,
                    Meta {
                        size,
                        validator: Some(validator),
                    },
                )))
            }
            _ => {
                // 416: only an empty window is a valid answer (`bytes=N-` of a value of N
                // bytes, a prefix of an empty value); the size comes from `bytes */N`.
                let total = match content_range {
                    Some(Ok(ContentRange::Unsatisfied { total })) => total,
                    _ => {
                        return Err(fatal(
                            key,
                            format!("the server refused range {r} (416) without telling the size"),
                        ))
                    }
                };
                let want = r.resolve(key, total).map_err(Attempt::Fatal)?;
                if want.start != want.end {
                    return Err(fatal(
                        key,
                        format!("the server refused range {r} of a value of {total} bytes (416)"),
                    ));
                }
                let present = Validator::present_in(&headers);
                Ok(Answer::Found((
                    Bytes::new(),
                    Meta {
                        size: total,
                        validator: present.then_some(validator),
                    },
                )))
            }
        }
    }

    /// The size and validator of a value: `HEAD`, or (for a server without `HEAD`, or one
    /// that gives no `Content-Length` to it) a `GET` of the first byte.
    async fn probe(
        &self,
        key: &StoreKey,
        url: &str,
        if_version: Option<&Version>,
    ) -> Result<Answer<Meta>, StorageError> {
        let head = self
            .with_retries(key, || async {
                self.counters.head_requests.fetch_add(1, Ordering::Relaxed);
                let req = self.request(reqwest::Method::HEAD, url, None, if_version);
                self.counters.requests.fetch_add(1, Ordering::Relaxed);
                let resp = req.send().await.map_err(|e| transport(&e))?;
                let status = resp.status();
                match status.as_u16() {
                    200 => {}
                    404 | 410 => return Ok(Answer::Absent),
                    412 => return Ok(Answer::Changed),
                    405 | 501 => return Ok(Answer::Found(None)),
                    _ if retryable(status) => {
                        return Err(Attempt::Retry(
                            format!("the server answered {status}"),
                            retry_after(resp.headers()),
                        ))
                    }
                    _ => return Err(fatal(key, format!("the server answered {status} to HEAD"))),
                }
                check_identity(key, resp.headers())?;
                Ok(Answer::Found(content_length(key, resp.headers())?.map(
                    |size| Meta {
                        size,
                        validator: Some(Validator::of(resp.headers())),
                    },
                )))
            })
            .await?;
        match head {
            Answer::Found(Some(m)) => Ok(Answer::Found(m)),
            Answer::Absent => Ok(Answer::Absent),
            Answer::Changed => Ok(Answer::Changed),
            Answer::Found(None) => {
                let r = ByteRange::Prefix(1);
                let h = match range::plan(&r) {
                    Plan::Ranged(h) => h,
                    _ => return Err(remote(key, "internal error planning a probe")),
                };
                let got = self
                    .with_retries(key, || self.get_range(key, url, &r, Some(&h), if_version))
                    .await?;
                Ok(match got {
                    Answer::Found((_, m)) => Answer::Found(m),
                    Answer::Absent => Answer::Absent,
                    Answer::Changed => Answer::Changed,
                })
            }
        }
    }

    /// The read primitive (see `ReadableStorageTraits::read`).
    pub(crate) async fn read(
        self: Arc<Self>,
        key: StoreKey,
        ranges: Vec<ByteRange>,
        if_version: Option<Version>,
    ) -> Result<Option<ReadResult>, StorageError> {
        let url = self.url(&key);
        let plans: Vec<Plan> = ranges.iter().map(range::plan).collect();
        let wanted: Vec<usize> = (0..plans.len())
            .filter(|&i| plans[i] != Plan::Empty)
            .collect();
        let this = &self;
        let (key_ref, url_ref, ranges_ref, plans_ref, v_ref) =
            (&key, url.as_str(), &ranges, &plans, if_version.as_ref());
        let answers: Vec<(usize, Answer<(Bytes, Meta)>)> =
            futures::stream::iter(wanted.iter().copied())
                .map(|i| async move {
                    let h = match &plans_ref[i] {
                        Plan::Ranged(h) => Some(h.as_str()),
                        _ => None,
                    };
                    let a = this
                        .with_retries(key_ref, || {
                            this.get_range(key_ref, url_ref, &ranges_ref[i], h, v_ref)
                        })
                        .await?;
                    Ok::<_, StorageError>((i, a))
                })
                .buffered(self.policy.concurrency.max(1))
                .try_collect()
                .await?;

        let mut bytes: Vec<Option<Bytes>> = vec![None; ranges.len()];
        let mut metas: Vec<Meta> = Vec::with_capacity(answers.len());
        let mut absent = 0usize;
        for (i, a) in answers {
            match a {
                Answer::Absent => absent += 1,
                Answer::Changed => return Err(changed(&key)),
                Answer::Found((b, m)) => {
                    bytes[i] = Some(b);
                    metas.push(m);
                }
            }
        }
        if absent > 0 {
            // Erased, or created, between two requests of this read.
            if !metas.is_empty() {
                return Err(changed(&key));
            }
            return match if_version {
                Some(_) => Err(changed(&key)),
                None => Ok(None),
            };
        }
        // One size and one validator for every answer, or the value changed mid-read.
        let mut size = metas.first().map(|m| m.size);
        if metas.iter().any(|m| Some(m.size) != size) {
            return Err(changed(&key));
        }
        let mut validator: Option<Validator> = None;
        for m in &metas {
            match (&validator, &m.validator) {
                (_, None) => {}
                (None, Some(v)) => validator = Some(v.clone()),
                (Some(a), Some(b)) if a == b => {}
                _ => return Err(changed(&key)),
            }
        }
        if validator.is_none() {
            // No answer carried a version (no ranges, only empty ones, or only 416s).
            match self.probe(&key, &url, if_version.as_ref()).await? {
                Answer::Found(m) => {
                    if size.is_some_and(|s| s != m.size) {
                        return Err(changed(&key));
                    }
                    size = Some(m.size);
                    validator = m.validator;
                }
                Answer::Changed => return Err(changed(&key)),
                Answer::Absent if metas.is_empty() => {
                    return match if_version {
                        Some(_) => Err(changed(&key)),
                        None => Ok(None),
                    }
                }
                Answer::Absent => return Err(changed(&key)),
            }
        }
        let size = size.ok_or_else(|| remote(&key, "internal error: no size"))?;
        let version = validator.unwrap_or(Validator::Nothing).version(size);
        if if_version.as_ref().is_some_and(|w| *w != version) {
            return Err(changed(&key));
        }
        let mut out = Vec::with_capacity(ranges.len());
        for (r, b) in ranges.iter().zip(bytes) {
            match b {
                Some(b) => out.push(b),
                None => {
                    // An empty range: only its bounds to check.
                    r.resolve(&key, size)?;
                    out.push(Bytes::new());
                }
            }
        }
        Ok(Some(ReadResult {
            bytes: out,
            size,
            version,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collector_tail_and_concatenation() -> Result<(), String> {
        let k = StoreKey::new("k").map_err(|e| e.to_string())?;
        let fin = |c: Collector| c.finish(&k).map_err(|_| "finish failed".to_string());
        let mut c = Collector::new();
        for p in [&b"abc"[..], b"", b"defg", b"hi"] {
            c.push(&k, Bytes::copy_from_slice(p)).map_err(|_| "push")?;
            c.keep_tail(5);
        }
        assert_eq!(c.len, 5);
        assert_eq!(&fin(c)?[..], b"efghi");
        // One piece that is the whole window is returned as is (zero-copy).
        let src = Bytes::from_static(b"0123456789");
        for mut c in [Collector::new(), Collector::with_expected(3)] {
            c.push(&k, src.slice(2..5)).map_err(|_| "push")?;
            let b = fin(c)?;
            assert_eq!(&b[..], b"234");
            assert_eq!(b.as_ptr(), src[2..].as_ptr());
        }
        // Several pieces of a known window: one buffer, in order.
        let mut c = Collector::with_expected(10);
        for p in [&b"01"[..], b"234", b"", b"56789"] {
            c.push(&k, Bytes::copy_from_slice(p)).map_err(|_| "push")?;
        }
        assert_eq!(c.buffer.as_ref().map(Vec::capacity), Some(10));
        assert_eq!(&fin(c)?[..], b"0123456789");
        // A tail longer than what arrived keeps everything.
        let mut c = Collector::new();
        c.push(&k, Bytes::from_static(b"xy")).map_err(|_| "push")?;
        c.keep_tail(10);
        assert_eq!(&fin(c)?[..], b"xy");
        Ok(())
    }

    #[test]
    fn backoff_jitter_is_bounded() {
        for _ in 0..100 {
            assert!(jitter(Duration::from_millis(10)) < Duration::from_millis(10));
        }
        assert_eq!(jitter(Duration::ZERO), Duration::ZERO);
    }
}
