//! A real S3 server on 127.0.0.1 for the tests: `s3s` (HTTP, SigV4 checked) over the `s3s-fs`
//! file-system backend, started in-process on a port of its own, stopped on drop (or at will,
//! to test what clients see when the server goes away).
//!
//! s3s-fs 0.14.1 checks `If-Match` / `If-None-Match: *` on PUT, but without a lock: two
//! conditional PUTs that race can both pass the check (a lost update), and a GET reads the data
//! file and the ETag from separate files, so it can pair new bytes with the old ETag. It also
//! ignores `If-Match` on GET and HEAD. [`Kind::Atomic`] adds what S3 itself guarantees, in a
//! wrapper: writes (PUT, DELETE, copy, multipart completion) are serialised with a lock and
//! reads take it shared (so check-and-write is atomic and a response's bytes and ETag belong
//! together), and `If-Match` on GET/HEAD answers 412 on a mismatch. [`Kind::Plain`] is stock
//! s3s-fs. The wrapper also logs every request (operation, key, range, `If-Match`) and counts
//! failed preconditions, so tests can check what the store sent.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use s3s::auth::SimpleAuth;
use s3s::dto::*;
use s3s::service::S3ServiceBuilder;
use s3s::{s3_error, S3Request, S3Response, S3Result, S3};
use s3s_fs::FileSystem;
use tokio::sync::RwLock;
use zarrkit_store_object::object_store::{BackoffConfig, RetryConfig};
use zarrkit_store_object::{ObjectStorage, ObjectStorageBuilder};

pub type Error = Box<dyn std::error::Error + Send + Sync>;
pub type R = Result<(), Error>;

pub const BUCKET: &str = "bucket";
pub const ACCESS_KEY: &str = "zarrkit-test-ak";
pub const SECRET_KEY: &str = "zarrkit-test-sk";

/// Which server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// s3s-fs with S3's atomicity and `If-Match` on reads (see the module documentation).
    Atomic,
    /// Stock s3s-fs.
    Plain,
}

/// One logged request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Op {
    pub op: &'static str,
    pub key: String,
    pub range: Option<String>,
    pub if_match: bool,
}

#[derive(Default)]
pub struct Log {
    pub ops: Mutex<Vec<Op>>,
    pub failed_preconditions: AtomicUsize,
    /// Faults to inject: the next this many object requests (GET, HEAD, PUT, DELETE,
    /// listings) fail with `fault_code` before reaching the backend.
    fail_next: AtomicUsize,
    fault_code: Mutex<Option<s3s::S3ErrorCode>>,
    /// Faults injected so far.
    pub injected: AtomicUsize,
}

impl Log {
    fn push(&self, op: &'static str, key: &str, range: Option<&Range>, if_match: bool) {
        if let Ok(mut ops) = self.ops.lock() {
            ops.push(Op {
                op,
                key: key.to_string(),
                range: range.map(|r| format!("{r:?}")),
                if_match,
            });
        }
    }

    /// Make the next `n` object requests fail with `code` (e.g. `SlowDown`: 503,
    /// `InternalError`: 500), as an overloaded S3 front end does.
    pub fn fail_next(&self, n: usize, code: s3s::S3ErrorCode) {
        if let Ok(mut c) = self.fault_code.lock() {
            *c = Some(code);
        }
        self.fail_next.store(n, Ordering::SeqCst);
    }

    /// An injected fault for this request, if one is due.
    fn fault(&self) -> S3Result<()> {
        let due = self
            .fail_next
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if !due {
            return Ok(());
        }
        self.injected.fetch_add(1, Ordering::SeqCst);
        let code = self
            .fault_code
            .lock()
            .ok()
            .and_then(|c| c.clone())
            .unwrap_or(s3s::S3ErrorCode::SlowDown);
        Err(s3s::S3Error::with_message(
            code,
            "injected by the test server",
        ))
    }

    /// The requests logged since the last call.
    pub fn take(&self) -> Vec<Op> {
        self.ops
            .lock()
            .map(|mut o| std::mem::take(&mut *o))
            .unwrap_or_default()
    }
}

struct Backend {
    fs: FileSystem,
    kind: Kind,
    lock: RwLock<()>,
    log: Arc<Log>,
}

impl Backend {
    async fn shared(&self) -> Option<tokio::sync::RwLockReadGuard<'_, ()>> {
        match self.kind {
            Kind::Atomic => Some(self.lock.read().await),
            Kind::Plain => None,
        }
    }
    async fn exclusive(&self) -> Option<tokio::sync::RwLockWriteGuard<'_, ()>> {
        match self.kind {
            Kind::Atomic => Some(self.lock.write().await),
            Kind::Plain => None,
        }
    }
    fn precondition_failed<T>(&self) -> S3Result<T> {
        self.log
            .failed_preconditions
            .fetch_add(1, Ordering::Relaxed);
        Err(s3_error!(PreconditionFailed))
    }
}

fn etag_matches(cond: &ETagCondition, etag: Option<&ETag>) -> bool {
    match (cond, etag) {
        (ETagCondition::Any, Some(_)) => true,
        (ETagCondition::ETag(want), Some(have)) => have.strong_cmp(want),
        (_, None) => false,
    }
}

// async_trait must see the expanded `async fn`s, so the whole impl is generated by one macro.
macro_rules! impl_s3 {
    (
        delegate { $($op:ident($input:ty) -> $output:ty;)* }
        exclusive { $($xop:ident($xinput:ty) -> $xoutput:ty;)* }
        $($rest:tt)*
    ) => {
        #[async_trait::async_trait]
        impl S3 for Backend {
            $(
                async fn $op(&self, req: S3Request<$input>) -> S3Result<S3Response<$output>> {
                    self.fs.$op(req).await
                }
            )*
            $(
                async fn $xop(&self, req: S3Request<$xinput>) -> S3Result<S3Response<$xoutput>> {
                    self.log.push(stringify!($xop), "", None, false);
                    self.log.fault()?;
                    let _g = self.exclusive().await;
                    self.fs.$xop(req).await
                }
            )*
            $($rest)*
        }
    };
}

impl_s3! {
    delegate {
        create_bucket(CreateBucketInput) -> CreateBucketOutput;
        delete_bucket(DeleteBucketInput) -> DeleteBucketOutput;
        get_bucket_location(GetBucketLocationInput) -> GetBucketLocationOutput;
        head_bucket(HeadBucketInput) -> HeadBucketOutput;
        list_buckets(ListBucketsInput) -> ListBucketsOutput;
        upload_part(UploadPartInput) -> UploadPartOutput;
        upload_part_copy(UploadPartCopyInput) -> UploadPartCopyOutput;
        list_parts(ListPartsInput) -> ListPartsOutput;
        abort_multipart_upload(AbortMultipartUploadInput) -> AbortMultipartUploadOutput;
    }
    exclusive {
        copy_object(CopyObjectInput) -> CopyObjectOutput;
        delete_objects(DeleteObjectsInput) -> DeleteObjectsOutput;
        create_multipart_upload(CreateMultipartUploadInput) -> CreateMultipartUploadOutput;
        complete_multipart_upload(CompleteMultipartUploadInput) -> CompleteMultipartUploadOutput;
    }

    async fn delete_object(
        &self,
        req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        self.log.push("delete_object", &req.input.key, None, false);
        self.log.fault()?;
        let _g = self.exclusive().await;
        self.fs.delete_object(req).await
    }

    async fn list_objects(
        &self,
        req: S3Request<ListObjectsInput>,
    ) -> S3Result<S3Response<ListObjectsOutput>> {
        self.log.push("list_objects", "", None, false);
        self.log.fault()?;
        let _g = self.shared().await;
        self.fs.list_objects(req).await
    }

    async fn list_objects_v2(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        self.log.push("list_objects_v2", req.input.prefix.as_deref().unwrap_or(""), None, false);
        self.log.fault()?;
        let _g = self.shared().await;
        self.fs.list_objects_v2(req).await
    }

    async fn put_object(
        &self,
        req: S3Request<PutObjectInput>,
    ) -> S3Result<S3Response<PutObjectOutput>> {
        let cond = req.input.if_match.is_some() || req.input.if_none_match.is_some();
        self.log.push("put_object", &req.input.key, None, cond);
        self.log.fault()?;
        let _g = self.exclusive().await;
        let r = self.fs.put_object(req).await;
        if let Err(e) = &r {
            if *e.code() == s3s::S3ErrorCode::PreconditionFailed {
                self.log.failed_preconditions.fetch_add(1, Ordering::Relaxed);
            }
        }
        r
    }

    async fn get_object(
        &self,
        req: S3Request<GetObjectInput>,
    ) -> S3Result<S3Response<GetObjectOutput>> {
        let if_match = req.input.if_match.clone();
        self.log.push("get_object", &req.input.key, req.input.range.as_ref(), if_match.is_some());
        self.log.fault()?;
        let _g = self.shared().await;
        let resp = self.fs.get_object(req).await?;
        if self.kind == Kind::Atomic {
            if let Some(c) = &if_match {
                if !etag_matches(c, resp.output.e_tag.as_ref()) {
                    return self.precondition_failed();
                }
            }
        }
        Ok(resp)
    }

    async fn head_object(
        &self,
        req: S3Request<HeadObjectInput>,
    ) -> S3Result<S3Response<HeadObjectOutput>> {
        let if_match = req.input.if_match.clone();
        self.log.push("head_object", &req.input.key, None, if_match.is_some());
        self.log.fault()?;
        let _g = self.shared().await;
        let resp = self.fs.head_object(req).await?;
        if self.kind == Kind::Atomic {
            if let Some(c) = &if_match {
                if !etag_matches(c, resp.output.e_tag.as_ref()) {
                    return self.precondition_failed();
                }
            }
        }
        Ok(resp)
    }
}

/// A running server (stopped when dropped).
pub struct Server {
    pub endpoint: String,
    pub log: Arc<Log>,
    pub root: PathBuf,
    rt: Option<tokio::runtime::Runtime>,
    _dir: Option<tempfile::TempDir>,
}

impl Server {
    /// A server with an empty bucket [`BUCKET`], in a new temporary directory.
    pub fn start(kind: Kind) -> Result<Self, Error> {
        let dir = tempfile::tempdir()?;
        let root = dir.path().to_path_buf();
        std::fs::create_dir_all(root.join(BUCKET))?;
        let mut s = Self::serve(kind, &root, 0)?;
        s._dir = Some(dir);
        Ok(s)
    }

    /// A server on `root` (its buckets are its directories) at `port` (0: any).
    pub fn serve(kind: Kind, root: &Path, port: u16) -> Result<Self, Error> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("s3-test-server")
            .enable_all()
            .build()?;
        let log = Arc::new(Log::default());
        let fs = FileSystem::new(root).map_err(|e| format!("{}: {e:?}", root.display()))?;
        let mut builder = S3ServiceBuilder::new(Backend {
            fs,
            kind,
            lock: RwLock::new(()),
            log: log.clone(),
        });
        builder.set_auth(SimpleAuth::from_single(ACCESS_KEY, SECRET_KEY));
        let service = builder.build();
        let listener = rt.block_on(tokio::net::TcpListener::bind(("127.0.0.1", port)))?;
        let endpoint = format!("http://{}", listener.local_addr()?);
        rt.spawn(async move {
            let http = ConnBuilder::new(TokioExecutor::new());
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    continue;
                };
                let _ = socket.set_nodelay(true);
                let conn = http
                    .serve_connection(TokioIo::new(socket), service.clone())
                    .into_owned();
                tokio::spawn(async move {
                    let _ = conn.await;
                });
            }
        });
        Ok(Self {
            endpoint,
            log,
            root: root.to_path_buf(),
            rt: Some(rt),
            _dir: None,
        })
    }

    /// Stop serving: the listener and every open connection are closed at once.
    pub fn stop(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.endpoint
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or(0)
    }

    /// A builder for a store at `s3://bucket/<prefix>` of this server (configured in code,
    /// not from the environment).
    pub fn builder(&self, prefix: &str) -> ObjectStorageBuilder {
        builder_for(&self.endpoint, prefix)
    }

    /// A store at `s3://bucket/<prefix>` with short retries (tests of faults stay fast).
    pub fn store(&self, prefix: &str) -> Result<ObjectStorage, Error> {
        Ok(self.builder(prefix).with_retry(quick_retry()).build()?)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A builder for `s3://bucket/<prefix>` at `endpoint`.
pub fn builder_for(endpoint: &str, prefix: &str) -> ObjectStorageBuilder {
    ObjectStorageBuilder::new(format!("s3://{BUCKET}/{prefix}"))
        .without_env()
        .with_config("aws_endpoint", endpoint)
        .with_config("aws_access_key_id", ACCESS_KEY)
        .with_config("aws_secret_access_key", SECRET_KEY)
        .with_config("aws_region", "us-east-1")
        .with_config("allow_http", "true")
}

/// Two quick retries: a fault is an error within a second.
pub fn quick_retry() -> RetryConfig {
    RetryConfig {
        backoff: BackoffConfig {
            init_backoff: Duration::from_millis(20),
            max_backoff: Duration::from_millis(100),
            base: 2.0,
        },
        max_retries: 2,
        retry_timeout: Duration::from_secs(5),
    }
}

/// The environment a process needs to reach `endpoint` the way the benchmark harness sets
/// it up (`AmazonS3Builder::from_env()` reads it).
pub fn s3_env(endpoint: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT_URL", endpoint.to_string()),
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY.to_string()),
        ("AWS_SECRET_ACCESS_KEY", SECRET_KEY.to_string()),
        ("AWS_REGION", "us-east-1".to_string()),
        ("AWS_DEFAULT_REGION", "us-east-1".to_string()),
        ("AWS_ALLOW_HTTP", "true".to_string()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_string()),
        ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null".to_string()),
        ("AWS_CONFIG_FILE", "/dev/null".to_string()),
    ]
}
