//! zarrkit plugin: a **read-only HTTP(S) store** over `reqwest` (HTTP/1.1 and HTTP/2,
//! TLS by rustls with the `ring` provider and the platform's root certificates: no system
//! OpenSSL). Registered for URL schemes `http` and `https`, sync and async:
//! `zarrkit::open("https://host/data.zarr")`, `zarrkit::open_async(..)`.
//!
//! # Requests
//! - A key is a URL below the store's URL, each path component percent-encoded (all but
//!   RFC 3986's unreserved characters).
//! - `read(key, ranges, if_version)`: one `GET` per non-empty range, concurrently (at most
//!   [`HttpStoreBuilder::max_concurrent_requests`] per read), no `HEAD` first:
//!   `Range: bytes=a-b`, `bytes=a-` and suffixes `bytes=-n`; the whole value is a `GET`
//!   without `Range`. Multi-range requests (`multipart/byteranges`) are never sent: the
//!   array already coalesces nearby ranges of a shard, and separate requests keep every
//!   answer simple to check. Empty ranges need no request (HTTP cannot ask for zero bytes).
//!   A read of no ranges (the size and version only) is a `HEAD`; a server that refuses
//!   `HEAD` (405/501) or answers it without `Content-Length` is asked for `bytes=0-0`.
//! - The **size** comes from `Content-Range` (`bytes a-b/N`, or `bytes */N` of a 416) or the
//!   `Content-Length` of a 200; the **version** is the `ETag`, else `Last-Modified` plus the
//!   size, else the size alone (a server with no validator cannot show that a value of the
//!   same size was replaced). `if_version` is sent as `If-Match` (strong ETags) or
//!   `If-Unmodified-Since` (dates); 412 → [`StorageError::Changed`]. Every answer's version
//!   is also compared by the store, so a server that ignores preconditions is caught too.
//! - 404 and 410 → absent. 408, 429, 500, 502, 503 and 504, connection errors, timeouts and
//!   bodies cut off mid-transfer are **retried** with exponential backoff and jitter
//!   (honouring a `Retry-After` in seconds up to the maximum backoff), at most
//!   [`HttpStoreBuilder::max_retries`] times and within
//!   [`HttpStoreBuilder::retry_budget`]. Other statuses are errors
//!   ([`StorageError::Remote`]).
//! - Listing is not part of HTTP: `list*` give [`StorageError::Unsupported`]. Zarr V3 and V2
//!   nodes open without listing; consolidated metadata lists a group's children. Writes
//!   give [`StorageError::Unsupported`] too.
//!
//! # A server that lies never gives wrong data
//! Checked on every answer before its bytes are used:
//! - **206**: `Content-Range` must be present, in bytes, with a total size, and exactly the
//!   window the request resolves to in that size (a range past the end is
//!   [`StorageError::RangeOutOfBounds`], as for every store); `Content-Length`, if sent,
//!   must equal the window; the body must have exactly that many bytes (more is an error,
//!   fewer a cut-off transfer, retried); a multipart answer to one range is an error.
//! - **200 to a ranged request** (the server ignored `Range`): the body is the whole value;
//!   only the requested window is kept (memory is the window, zero-copy where it arrives in
//!   one piece), reading stops at its end, and a window starting more than
//!   [`HttpStoreBuilder::max_discard_bytes`] into the value is a clear error instead of a
//!   download of everything before it. Without `Content-Length` the body is read to its end
//!   (to learn the size), discarding at most that many bytes outside the window.
//! - **416**: valid only for an empty window (`bytes=N-` of a value of `N` bytes, a prefix of
//!   an empty value), with the size from `bytes */N`.
//! - `Content-Encoding` other than identity (we send `Accept-Encoding: identity`) is an
//!   error: compressed bytes are not the stored bytes.
//! - **Versions across the requests of one read**: every answer must report the same size
//!   and the same validator, or the read fails with [`StorageError::Changed`] (the array
//!   then plans again): bytes of two versions of a value are never combined.
//! - Every allocation is bounded by what was asked for, checked against
//!   [`HttpStoreBuilder::max_body_bytes`], and fallible; the connect, read (idle) and whole
//!   request timeouts bound a stalled server, so a read ends with a timeout error after its
//!   retries, never hangs.
//!
//! # Runtimes
//! The store owns a tokio runtime ([`HttpStoreBuilder::runtime_threads`] workers, shared by
//! the store's clones, shut down without blocking when the last clone is dropped, also from
//! inside an async context). The async API runs each read as a task on it (so it works
//! under any executor, and dropping the future aborts its requests); the sync API spawns the
//! same task and waits on a channel, never `block_on`, so it may be called from a thread of
//! another runtime (it is refused with an error on the store's own runtime threads, where
//! waiting could deadlock).
//!
//! # Deviations
//! - Versions are only as fine as the server's validators: nginx's ETag is the
//!   modification time in seconds and the size, so a file replaced within the same second by
//!   one of the same size keeps its ETag (and no HTTP client can tell).
//! - Weak ETags (`W/"..."`) are used as versions (compared by the store) but not sent as
//!   `If-Match`, which never matches them.

use std::cell::Cell;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use zarrkit_core::registry::StorePlugin;
use zarrkit_core::storage::asynchronous::{
    AsyncListableStorageTraits, AsyncReadableStorageTraits, AsyncReadableWritableListableStorage,
    AsyncWritableStorageTraits,
};
use zarrkit_core::storage::{
    ByteRange, Bytes, ListDir, ListableStorageTraits, ReadResult, ReadableStorageTraits,
    ReadableWritableListableStorage, StoreKey, StorePrefix, Version, WritableStorageTraits,
};
use zarrkit_core::StorageError;

mod fetch;
mod range;

use fetch::{Counters, Policy, Shared};

/// Counts of what a store sent and received (all clones of a store share them).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HttpStats {
    /// Requests sent (every attempt counts, `HEAD` included).
    pub requests: u64,
    /// `HEAD` requests sent.
    pub head_requests: u64,
    /// Attempts that were retried.
    pub retries: u64,
    /// Body bytes received.
    pub body_bytes: u64,
}

thread_local! {
    /// Set on the threads of every store's runtime: a sync call there is refused.
    static ON_STORE_RUNTIME: Cell<bool> = const { Cell::new(false) };
}

/// The store's runtime; shut down in the background when the last store clone goes (a
/// runtime dropped in an async context would panic).
struct StoreRuntime {
    runtime: Option<tokio::runtime::Runtime>,
    handle: tokio::runtime::Handle,
}

impl Drop for StoreRuntime {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

/// A task on the store's runtime; dropping it aborts the task (and its requests).
struct Task<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for Task<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl<T> std::future::Future for Task<Result<T, StorageError>> {
    type Output = Result<T, StorageError>;
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        std::pin::Pin::new(&mut self.0).poll(cx).map(|r| {
            r.map_err(|e| StorageError::Other(format!("an HTTP store task failed: {e}")))
                .and_then(|r| r)
        })
    }
}

/// A read-only HTTP(S) store, sync ([`HttpStore::to_async`] gives its async form). Cheap to
/// clone (clones share the connection pool, the runtime and the counters).
#[derive(Clone)]
pub struct HttpStore {
    shared: Arc<Shared>,
    runtime: Arc<StoreRuntime>,
}

impl std::fmt::Debug for HttpStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpStore")
            .field("url", &self.shared.base)
            .finish_non_exhaustive()
    }
}

/// Builds an [`HttpStore`] with non-default limits, timeouts, headers or certificates.
#[derive(Debug, Clone)]
pub struct HttpStoreBuilder {
    url: String,
    policy: Policy,
    connect_timeout: Duration,
    read_timeout: Duration,
    request_timeout: Duration,
    headers: Vec<(String, String)>,
    root_certificates_pem: Vec<Vec<u8>>,
    runtime_threads: usize,
    proxy_from_environment: bool,
}

impl HttpStoreBuilder {
    /// Defaults: 4 retries within 30 s (backoff from 100 ms to 5 s), connect timeout 10 s,
    /// read (idle) timeout 30 s, request timeout 10 min, 16 concurrent requests per read,
    /// 64 MiB discarded at most when a server ignores `Range`, 4 GiB per answer, 2
    /// runtime threads, proxies from the environment (`HTTPS_PROXY`, ...).
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            policy: Policy {
                max_retries: 4,
                retry_budget: Duration::from_secs(30),
                initial_backoff: Duration::from_millis(100),
                max_backoff: Duration::from_secs(5),
                max_discard_bytes: 64 << 20,
                max_body_bytes: 4 << 30,
                concurrency: 16,
            },
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(600),
            headers: Vec::new(),
            root_certificates_pem: Vec::new(),
            runtime_threads: 2,
            proxy_from_environment: true,
        }
    }

    /// Retries of one request after a transient failure (0: none).
    pub fn max_retries(mut self, n: u32) -> Self {
        self.policy.max_retries = n;
        self
    }
    /// The time after which a request is not retried any more (from its first attempt).
    pub fn retry_budget(mut self, d: Duration) -> Self {
        self.policy.retry_budget = d;
        self
    }
    /// The first and the largest backoff between attempts (doubling in between).
    pub fn backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.policy.initial_backoff = initial;
        self.policy.max_backoff = max.max(initial);
        self
    }
    /// The connect timeout.
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.connect_timeout = d;
        self
    }
    /// The longest wait for the next bytes of an answer (a stalled server).
    pub fn read_timeout(mut self, d: Duration) -> Self {
        self.read_timeout = d;
        self
    }
    /// The longest one attempt may take, body included.
    pub fn request_timeout(mut self, d: Duration) -> Self {
        self.request_timeout = d;
        self
    }
    /// How many bytes outside the requested range may be read and discarded when a server
    /// ignores `Range` and sends the whole value (beyond: an error).
    pub fn max_discard_bytes(mut self, n: u64) -> Self {
        self.policy.max_discard_bytes = n;
        self
    }
    /// The most bytes one answer may bring.
    pub fn max_body_bytes(mut self, n: u64) -> Self {
        self.policy.max_body_bytes = n;
        self
    }
    /// Requests in flight at once for one read's ranges.
    pub fn max_concurrent_requests(mut self, n: usize) -> Self {
        self.policy.concurrency = n.max(1);
        self
    }
    /// A header sent with every request (e.g. `Authorization`).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
    /// Trust these PEM certificates as roots too (a private CA, a test server).
    pub fn root_certificates_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.root_certificates_pem.push(pem.into());
        self
    }
    /// Worker threads of the store's runtime (at least 1).
    pub fn runtime_threads(mut self, n: usize) -> Self {
        self.runtime_threads = n.max(1);
        self
    }
    /// Whether proxies are taken from the environment (`HTTP_PROXY`, `HTTPS_PROXY`,
    /// `NO_PROXY`, ...); on by default.
    pub fn proxy_from_environment(mut self, on: bool) -> Self {
        self.proxy_from_environment = on;
        self
    }

    fn tls(&self) -> Result<rustls::ClientConfig, StorageError> {
        use rustls::pki_types::pem::PemObject;
        let err = |m: String| StorageError::Other(format!("HTTP store TLS setup: {m}"));
        // ring rather than aws-lc-rs: no C build of aws-lc (or cmake) on a fresh machine.
        // rustls 0.23.48 deprecates it only for lacking post-quantum key exchange.
        #[allow(deprecated)]
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut extra = Vec::new();
        for pem in &self.root_certificates_pem {
            for c in rustls::pki_types::CertificateDer::pem_slice_iter(pem) {
                extra.push(c.map_err(|e| err(format!("a root certificate: {e}")))?);
            }
        }
        let verifier =
            rustls_platform_verifier::Verifier::new_with_extra_roots(extra, provider.clone())
                .map_err(|e| err(e.to_string()))?;
        let mut tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| err(e.to_string()))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth();
        tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(tls)
    }

    /// Build the async store.
    pub fn build_async(self) -> Result<AsyncHttpStore, StorageError> {
        Ok(self.build()?.to_async())
    }

    /// Build the store (its runtime and connection pool); nothing is requested yet.
    pub fn build(self) -> Result<HttpStore, StorageError> {
        let bad = |m: &str| StorageError::InvalidKey {
            key: self.url.clone(),
            reason: m.to_string(),
        };
        let parsed = reqwest::Url::parse(&self.url).map_err(|e| bad(&e.to_string()))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(bad("not an http:// or https:// URL"));
        }
        if parsed.cannot_be_a_base() || parsed.host_str().is_none() {
            return Err(bad("the URL has no host"));
        }
        if parsed.query().is_some() || parsed.fragment().is_some() {
            return Err(bad(
                "a query or fragment in a store URL is not supported (keys are appended to its path)",
            ));
        }
        let base = parsed.as_str().trim_end_matches('/').to_string();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(self.runtime_threads)
            .max_blocking_threads(4)
            .thread_name("zarrkit-http")
            .on_thread_start(|| ON_STORE_RUNTIME.with(|f| f.set(true)))
            .enable_all()
            .build()
            .map_err(|e| StorageError::Other(format!("HTTP store runtime: {e}")))?;
        let mut headers = reqwest::header::HeaderMap::new();
        for (n, v) in &self.headers {
            let name = reqwest::header::HeaderName::from_bytes(n.as_bytes())
                .map_err(|e| StorageError::Other(format!("header name {n:?}: {e}")))?;
            let value = reqwest::header::HeaderValue::from_str(v)
                .map_err(|e| StorageError::Other(format!("header {n:?}: {e}")))?;
            headers.append(name, value);
        }
        let mut client = reqwest::Client::builder()
            .tls_backend_preconfigured(self.tls()?)
            .connect_timeout(self.connect_timeout)
            .read_timeout(self.read_timeout)
            .timeout(self.request_timeout)
            .user_agent(concat!("zarrkit-store-http/", env!("CARGO_PKG_VERSION")))
            .default_headers(headers);
        if !self.proxy_from_environment {
            client = client.no_proxy();
        }
        let client = {
            let _guard = runtime.enter();
            client
                .build()
                .map_err(|e| StorageError::Other(format!("HTTP client: {e}")))?
        };
        let handle = runtime.handle().clone();
        Ok(HttpStore {
            shared: Arc::new(Shared {
                client,
                base,
                policy: self.policy,
                counters: Counters::default(),
            }),
            runtime: Arc::new(StoreRuntime {
                runtime: Some(runtime),
                handle,
            }),
        })
    }
}

impl HttpStore {
    /// A store at `url` (`http://` or `https://`) with the default settings.
    pub fn new(url: &str) -> Result<Self, StorageError> {
        HttpStoreBuilder::new(url).build()
    }

    /// A builder for a store at `url`.
    pub fn builder(url: impl Into<String>) -> HttpStoreBuilder {
        HttpStoreBuilder::new(url)
    }

    /// The async form of this store (sharing its pool, runtime and counters).
    pub fn to_async(&self) -> AsyncHttpStore {
        AsyncHttpStore {
            store: self.clone(),
        }
    }

    /// The store's URL (without a trailing `/`).
    pub fn url(&self) -> &str {
        &self.shared.base
    }

    /// What the store has sent and received so far.
    pub fn stats(&self) -> HttpStats {
        self.shared.counters.snapshot()
    }

    fn spawn<T: Send + 'static>(
        &self,
        fut: impl std::future::Future<Output = Result<T, StorageError>> + Send + 'static,
    ) -> Task<Result<T, StorageError>> {
        Task(self.runtime.handle.spawn(fut))
    }

    /// Run a future on the store's runtime and wait for it on this thread (not `block_on`:
    /// allowed on other runtimes' threads).
    fn wait<T: Send + 'static>(
        &self,
        fut: impl std::future::Future<Output = Result<T, StorageError>> + Send + 'static,
    ) -> Result<T, StorageError> {
        if ON_STORE_RUNTIME.with(Cell::get) {
            return Err(StorageError::Other(
                "a sync HTTP store call on an HTTP store runtime thread (use the async API there)"
                    .into(),
            ));
        }
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.runtime.handle.spawn(async move {
            let _ = tx.send(fut.await);
        });
        rx.recv()
            .map_err(|_| StorageError::Other("an HTTP store task stopped before it answered (it panicked, or the runtime shut down)".into()))?
    }

    fn read_future(
        &self,
        key: &StoreKey,
        ranges: &[ByteRange],
        if_version: Option<&Version>,
    ) -> impl std::future::Future<Output = Result<Option<ReadResult>, StorageError>> + Send + 'static
    {
        self.shared
            .clone()
            .read(key.clone(), ranges.to_vec(), if_version.cloned())
    }
}

fn read_only() -> StorageError {
    StorageError::Unsupported("writing to an HTTP store (it is read-only)".into())
}

fn no_listing() -> StorageError {
    StorageError::Unsupported(
        "listing keys over HTTP (plain HTTP has no listing: Zarr V3 and V2 nodes open \
         without it, and consolidated metadata lists a group's children)"
            .into(),
    )
}

impl ReadableStorageTraits for HttpStore {
    fn read(
        &self,
        key: &StoreKey,
        ranges: &[ByteRange],
        if_version: Option<&Version>,
    ) -> Result<Option<ReadResult>, StorageError> {
        self.wait(self.read_future(key, ranges, if_version))
    }
}

impl WritableStorageTraits for HttpStore {
    fn set(&self, _key: &StoreKey, _value: Bytes) -> Result<(), StorageError> {
        Err(read_only())
    }
    fn erase(&self, _key: &StoreKey) -> Result<(), StorageError> {
        Err(read_only())
    }
    fn erase_prefix(&self, _prefix: &StorePrefix) -> Result<(), StorageError> {
        Err(read_only())
    }
}

impl ListableStorageTraits for HttpStore {
    fn list_prefix(&self, _prefix: &StorePrefix) -> Result<Vec<StoreKey>, StorageError> {
        Err(no_listing())
    }
    fn list_dir(&self, _prefix: &StorePrefix) -> Result<ListDir, StorageError> {
        Err(no_listing())
    }
}

/// The async form of an [`HttpStore`] (the same connection pool, runtime and counters):
/// [`HttpStore::to_async`], [`HttpStoreBuilder::build_async`]. A type of its own, so that a
/// program importing both the sync and the async store traits calls `read` unambiguously.
#[derive(Clone, Debug)]
pub struct AsyncHttpStore {
    store: HttpStore,
}

impl AsyncHttpStore {
    /// An async store at `url` with the default settings.
    pub fn new(url: &str) -> Result<Self, StorageError> {
        Ok(HttpStore::new(url)?.to_async())
    }

    /// The sync form (sharing everything with this one).
    pub fn to_sync(&self) -> HttpStore {
        self.store.clone()
    }

    /// The store's URL (without a trailing `/`).
    pub fn url(&self) -> &str {
        self.store.url()
    }

    /// What the store has sent and received so far.
    pub fn stats(&self) -> HttpStats {
        self.store.stats()
    }
}

impl AsyncReadableStorageTraits for AsyncHttpStore {
    fn read<'a>(
        &'a self,
        key: &'a StoreKey,
        ranges: &'a [ByteRange],
        if_version: Option<&'a Version>,
    ) -> BoxFuture<'a, Result<Option<ReadResult>, StorageError>> {
        Box::pin(
            self.store
                .spawn(self.store.read_future(key, ranges, if_version)),
        )
    }
}

impl AsyncWritableStorageTraits for AsyncHttpStore {
    fn set<'a>(
        &'a self,
        _key: &'a StoreKey,
        _value: Bytes,
    ) -> BoxFuture<'a, Result<(), StorageError>> {
        Box::pin(async { Err(read_only()) })
    }
    fn erase<'a>(&'a self, _key: &'a StoreKey) -> BoxFuture<'a, Result<(), StorageError>> {
        Box::pin(async { Err(read_only()) })
    }
    fn erase_prefix<'a>(
        &'a self,
        _prefix: &'a StorePrefix,
    ) -> BoxFuture<'a, Result<(), StorageError>> {
        Box::pin(async { Err(read_only()) })
    }
}

impl AsyncListableStorageTraits for AsyncHttpStore {
    fn list_prefix<'a>(
        &'a self,
        _prefix: &'a StorePrefix,
    ) -> BoxFuture<'a, Result<Vec<StoreKey>, StorageError>> {
        Box::pin(async { Err(no_listing()) })
    }
    fn list_dir<'a>(
        &'a self,
        _prefix: &'a StorePrefix,
    ) -> BoxFuture<'a, Result<ListDir, StorageError>> {
        Box::pin(async { Err(no_listing()) })
    }
}

fn open_url(url: &str) -> Result<ReadableWritableListableStorage, StorageError> {
    Ok(Arc::new(HttpStore::new(url)?))
}

fn open_url_async(url: &str) -> Result<AsyncReadableWritableListableStorage, StorageError> {
    Ok(Arc::new(AsyncHttpStore::new(url)?))
}

zarrkit_core::inventory::submit! {
    StorePlugin::new("http", open_url).with_async(open_url_async)
}

zarrkit_core::inventory::submit! {
    StorePlugin::new("https", open_url).with_async(open_url_async)
}
