//! [`ObjectStorageBuilder`]: URLs, credentials and options.

use std::sync::Arc;
use std::time::Duration;

use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::azure::{AzureConfigKey, MicrosoftAzureBuilder};
use object_store::gcp::{GoogleCloudStorageBuilder, GoogleConfigKey};
use object_store::path::Path;
use object_store::{BackoffConfig, ClientConfigKey, DynObjectStore, RetryConfig};
use zarrkit_core::StorageError;

use crate::runtime::Io;
use crate::{ObjectStorage, Options, Shared};

/// The URL schemes this store serves (`abfss` is `abfs` over TLS, as in fsspec).
pub const SCHEMES: &[&str] = &["s3", "gs", "az", "abfs", "abfss"];

/// Values of at least this many bytes are uploaded in parts (multipart upload).
pub const DEFAULT_MULTIPART_THRESHOLD: usize = 16 << 20;
/// The size of each part of a multipart upload (S3's minimum is 5 MiB).
pub const DEFAULT_PART_SIZE: usize = 8 << 20;
/// Parts of one value uploaded at once.
pub const DEFAULT_UPLOAD_CONCURRENCY: usize = 8;
/// Byte ranges of one read at most this far apart are fetched by one request (as
/// object_store's own `get_ranges`).
pub const DEFAULT_MAX_GAP: u64 = 1 << 20;
/// Requests of one read in flight at once (as object_store's own `get_ranges`).
pub const DEFAULT_READ_CONCURRENCY: usize = 10;

/// S3's smallest part (except the last).
const MIN_PART_SIZE: usize = 5 << 20;

/// The retry policy unless [`ObjectStorageBuilder::with_retry`] says otherwise: up to 8
/// retries with exponential backoff and jitter (100 ms, doubling, at most 10 s between
/// attempts), no retry started more than 60 s after the first attempt. object_store retries
/// 5xx answers (S3's `SlowDown` is a 503), 429, 408, connection errors, S3 200 answers whose
/// body holds `InternalError` or `SlowDown`, and timeouts of idempotent requests. A server
/// that refuses connections gives an error after at most ~23 s of backoff.
pub fn default_retry() -> RetryConfig {
    RetryConfig {
        backoff: BackoffConfig {
            init_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(10),
            base: 2.0,
        },
        max_retries: 8,
        retry_timeout: Duration::from_secs(60),
    }
}

/// HTTP client defaults (where the environment sets none): connect within 5 s, no pause of
/// more than 30 s while a response arrives (`read_timeout`: a stalled server is detected),
/// at most 5 minutes per request (object_store's default of 30 s would cut off large values
/// on slow links).
const CLIENT_DEFAULTS: &[(ClientConfigKey, &str)] = &[
    (ClientConfigKey::ConnectTimeout, "5s"),
    (ClientConfigKey::ReadTimeout, "30s"),
    (ClientConfigKey::Timeout, "300s"),
];

fn config_error(msg: impl std::fmt::Display) -> StorageError {
    StorageError::Other(format!("object store configuration: {msg}"))
}

/// The client keys the environment sets (variables with `prefix` that parse as a client key).
fn env_client_keys(
    prefix: &str,
    parse: impl Fn(&str) -> Option<ClientConfigKey>,
) -> Vec<ClientConfigKey> {
    std::env::vars_os()
        .filter_map(|(k, _)| k.to_str().map(str::to_ascii_lowercase))
        .filter(|k| k.starts_with(prefix))
        .filter_map(|k| parse(&k))
        .collect()
}

enum Source {
    Url(String),
    Store(Arc<DynObjectStore>, String),
}

/// Builds an [`ObjectStorage`]: from a URL (`s3://bucket/prefix`, `gs://bucket/prefix`,
/// `az://container/prefix`, `abfs[s]://container@account.dfs.core.windows.net/prefix`) with
/// credentials, region and endpoint from the environment as object_store reads them
/// (`AWS_*`: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION`,
/// `AWS_ENDPOINT_URL`, `AWS_ALLOW_HTTP`, ...; `GOOGLE_*` and `SERVICE_ACCOUNT`; `AZURE_*`),
/// or around any `object_store::ObjectStore` ([`ObjectStorageBuilder::from_object_store`]).
pub struct ObjectStorageBuilder {
    source: Source,
    from_env: bool,
    config: Vec<(String, String)>,
    retry: RetryConfig,
    conditional: Option<bool>,
    opts: Options,
    runtime: Option<tokio::runtime::Handle>,
}

impl ObjectStorageBuilder {
    /// A store for `url`, configured from the environment.
    pub fn new(url: impl Into<String>) -> Self {
        Self::with_source(Source::Url(url.into()))
    }

    /// A store over an existing object store (`object_store::memory::InMemory`, a store
    /// configured by other means, a wrapper), with keys under `prefix` (`""`: the root).
    /// Conditional writes are used unless [`Self::with_conditional_writes`] says `false`.
    pub fn from_object_store(store: Arc<DynObjectStore>, prefix: impl Into<String>) -> Self {
        Self::with_source(Source::Store(store, prefix.into()))
    }

    fn with_source(source: Source) -> Self {
        Self {
            source,
            from_env: true,
            config: Vec::new(),
            retry: default_retry(),
            conditional: None,
            opts: Options {
                label: String::new(),
                conditional: true,
                write_ids: true,
                multipart_threshold: DEFAULT_MULTIPART_THRESHOLD,
                part_size: DEFAULT_PART_SIZE,
                upload_concurrency: DEFAULT_UPLOAD_CONCURRENCY,
                max_gap: DEFAULT_MAX_GAP,
                read_concurrency: DEFAULT_READ_CONCURRENCY,
            },
            runtime: None,
        }
    }

    /// Do not read the environment (only the URL and [`Self::with_config`]).
    pub fn without_env(mut self) -> Self {
        self.from_env = false;
        self
    }

    /// An object_store configuration key of the URL's backend and its value, applied after the
    /// environment: e.g. `aws_endpoint`, `aws_region`, `aws_access_key_id`,
    /// `aws_virtual_hosted_style_request`, `google_service_account`, `azure_storage_account_name`,
    /// and client keys such as `allow_http`, `timeout`, `connect_timeout`, `read_timeout`.
    /// An unknown key is an error at [`Self::build`].
    pub fn with_config(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.config.push((key.into(), value.into()));
        self
    }

    /// The retry policy ([`default_retry`] otherwise).
    pub fn with_retry(mut self, retry: RetryConfig) -> Self {
        self.retry = retry;
        self
    }

    /// Whether to use conditional writes (compare-and-swap on the ETag, create-if-absent).
    /// By default: yes, unless S3 conditional puts are disabled (`aws_conditional_put =
    /// disabled`, for S3-compatible services without them).
    pub fn with_conditional_writes(mut self, enabled: bool) -> Self {
        self.conditional = Some(enabled);
        self
    }

    /// Whether every write carries a fresh write ID in its user metadata (default: yes; see
    /// the crate documentation, "Versions"). Without it, S3 versions are ETags only, which
    /// repeat when the same bytes are written again.
    pub fn with_write_ids(mut self, enabled: bool) -> Self {
        self.opts.write_ids = enabled;
        self
    }

    /// Values of at least `bytes` are uploaded in parts ([`DEFAULT_MULTIPART_THRESHOLD`];
    /// `0` or `usize::MAX`: never). Conditional writes are always one request.
    pub fn with_multipart_threshold(mut self, bytes: usize) -> Self {
        self.opts.multipart_threshold = bytes;
        self
    }

    /// The size of the parts of a multipart upload ([`DEFAULT_PART_SIZE`]; at least 5 MiB,
    /// and large enough for at most 10 000 parts).
    pub fn with_part_size(mut self, bytes: usize) -> Self {
        self.opts.part_size = bytes;
        self
    }

    /// Parts of one value uploaded at once ([`DEFAULT_UPLOAD_CONCURRENCY`]).
    pub fn with_upload_concurrency(mut self, n: usize) -> Self {
        self.opts.upload_concurrency = n.max(1);
        self
    }

    /// Byte ranges of one read at most `bytes` apart are fetched by one request
    /// ([`DEFAULT_MAX_GAP`]).
    pub fn with_max_gap(mut self, bytes: u64) -> Self {
        self.opts.max_gap = bytes;
        self
    }

    /// Requests of one read in flight at once ([`DEFAULT_READ_CONCURRENCY`]).
    pub fn with_read_concurrency(mut self, n: usize) -> Self {
        self.opts.read_concurrency = n.max(1);
        self
    }

    /// Run the store's requests on this runtime (it must have the IO and time drivers
    /// enabled) instead of the crate's own. The sync API is then refused inside any tokio
    /// runtime (it could be this one).
    pub fn with_runtime(mut self, handle: tokio::runtime::Handle) -> Self {
        self.runtime = Some(handle);
        self
    }

    /// Build the store. Nothing is sent to the server yet.
    pub fn build(self) -> Result<ObjectStorage, StorageError> {
        install_crypto_provider();
        let io = match self.runtime.clone() {
            Some(h) => Io::Caller(h),
            None => Io::shared()?,
        };
        let mut opts = self.opts.clone();
        opts.part_size = opts.part_size.max(MIN_PART_SIZE);
        let (store, prefix, conditional, label) = match &self.source {
            Source::Store(s, p) => (s.clone(), p.clone(), true, format!("{s}/{p}")),
            Source::Url(url) => {
                let (store, conditional) = self.build_url(url)?;
                (store, split_url(url)?.1, conditional, url.clone())
            }
        };
        opts.conditional = self.conditional.unwrap_or(conditional);
        opts.label = label;
        let prefix = Path::parse(prefix.trim_matches('/'))
            .map_err(|e| config_error(format!("bad key prefix {prefix:?}: {e}")))?;
        Ok(ObjectStorage {
            shared: Arc::new(Shared {
                store,
                prefix: (!prefix.as_ref().is_empty()).then_some(prefix),
                opts,
                io,
            }),
        })
    }

    fn build_url(&self, url: &str) -> Result<(Arc<DynObjectStore>, bool), StorageError> {
        let (scheme, _) = split_url(url)?;
        let env = self.from_env;
        let build_err = |e: object_store::Error| config_error(format!("{url}: {e}"));
        match scheme.as_str() {
            "s3" => {
                let mut b = if env {
                    AmazonS3Builder::from_env()
                } else {
                    AmazonS3Builder::new()
                };
                let set = if env {
                    env_client_keys("aws_", |k| match k.parse::<AmazonS3ConfigKey>() {
                        Ok(AmazonS3ConfigKey::Client(c)) => Some(c),
                        _ => None,
                    })
                } else {
                    Vec::new()
                };
                b = b.with_url(url).with_retry(self.retry.clone());
                for (k, v) in CLIENT_DEFAULTS {
                    if !set.contains(k) {
                        b = b.with_config(AmazonS3ConfigKey::Client(*k), *v);
                    }
                }
                for (k, v) in &self.config {
                    b = b.with_config(k.parse().map_err(build_err)?, v);
                }
                let conditional = b
                    .get_config_value(&AmazonS3ConfigKey::ConditionalPut)
                    .is_none_or(|v| v != "disabled");
                Ok((Arc::new(b.build().map_err(build_err)?), conditional))
            }
            "gs" => {
                let mut b = if env {
                    GoogleCloudStorageBuilder::from_env()
                } else {
                    GoogleCloudStorageBuilder::new()
                };
                let set = if env {
                    env_client_keys("google_", |k| match k.parse::<GoogleConfigKey>() {
                        Ok(GoogleConfigKey::Client(c)) => Some(c),
                        _ => None,
                    })
                } else {
                    Vec::new()
                };
                b = b.with_url(url).with_retry(self.retry.clone());
                for (k, v) in CLIENT_DEFAULTS {
                    if !set.contains(k) {
                        b = b.with_config(GoogleConfigKey::Client(*k), *v);
                    }
                }
                for (k, v) in &self.config {
                    b = b.with_config(k.parse().map_err(build_err)?, v);
                }
                Ok((Arc::new(b.build().map_err(build_err)?), true))
            }
            "az" | "abfs" | "abfss" => {
                let mut b = if env {
                    MicrosoftAzureBuilder::from_env()
                } else {
                    MicrosoftAzureBuilder::new()
                };
                let set = if env {
                    env_client_keys("azure_", |k| match k.parse::<AzureConfigKey>() {
                        Ok(AzureConfigKey::Client(c)) => Some(c),
                        _ => None,
                    })
                } else {
                    Vec::new()
                };
                b = b.with_url(url).with_retry(self.retry.clone());
                for (k, v) in CLIENT_DEFAULTS {
                    if !set.contains(k) {
                        b = b.with_config(AzureConfigKey::Client(*k), *v);
                    }
                }
                for (k, v) in &self.config {
                    b = b.with_config(k.parse().map_err(build_err)?, v);
                }
                Ok((Arc::new(b.build().map_err(build_err)?), true))
            }
            other => Err(StorageError::UnknownScheme(other.to_string())),
        }
    }
}

/// rustls needs a process-wide crypto provider when it is built without a default one
/// (here: ring, not aws-lc-rs). Installed once, unless the program installed one already.
fn install_crypto_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if rustls::crypto::CryptoProvider::get_default().is_none() {
            // Deprecated in rustls 0.23.48 for lacking post-quantum key exchange (aws-lc-rs
            // has it); TLS 1.3 with X25519 is what it negotiates, as browsers did until 2024.
            #[allow(deprecated)]
            let _ = rustls::crypto::ring::default_provider().install_default();
        }
    });
}

/// The scheme and the key prefix (the URL's path, percent-decoded) of a store URL.
pub(crate) fn split_url(url: &str) -> Result<(String, String), StorageError> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| config_error(format!("{url:?} is not a URL (scheme://bucket/prefix)")))?;
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    if authority.is_empty() {
        return Err(config_error(format!(
            "{url:?} names no bucket or container"
        )));
    }
    let prefix =
        Path::from_url_path(path).map_err(|e| config_error(format!("bad path in {url:?}: {e}")))?;
    Ok((scheme.to_ascii_lowercase(), prefix.as_ref().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() -> Result<(), StorageError> {
        assert_eq!(
            split_url("s3://b/x/y.zarr")?,
            ("s3".into(), "x/y.zarr".into())
        );
        assert_eq!(split_url("s3://b")?, ("s3".into(), String::new()));
        assert_eq!(split_url("s3://b/")?, ("s3".into(), String::new()));
        assert_eq!(split_url("gs://b/a%20b/")?, ("gs".into(), "a b".into()));
        assert_eq!(
            split_url("abfss://c@acct.dfs.core.windows.net/p/q?x=1")?,
            ("abfss".into(), "p/q".into())
        );
        for bad in ["nope", "s3://", "s3:///x", "s3://b/a//c", "s3://b/../x"] {
            assert!(split_url(bad).is_err(), "{bad}");
        }
        Ok(())
    }

    #[test]
    fn builds_from_urls_without_network() -> Result<(), StorageError> {
        let s = ObjectStorageBuilder::new("s3://bucket/some/prefix")
            .without_env()
            .with_config("aws_region", "us-east-1")
            .with_config("aws_endpoint", "http://127.0.0.1:9")
            .build()?;
        assert_eq!(s.prefix(), "some/prefix");
        assert!(s.conditional());
        let s = ObjectStorageBuilder::new("s3://bucket")
            .without_env()
            .with_config("aws_conditional_put", "disabled")
            .build()?;
        assert!(!s.conditional());
        assert_eq!(s.prefix(), "");
        let s = ObjectStorageBuilder::new("gs://bucket/p")
            .without_env()
            .build()?;
        assert_eq!(s.prefix(), "p");
        let s = ObjectStorageBuilder::new("az://container/p")
            .without_env()
            .with_config("azure_storage_account_name", "acct")
            .build()?;
        assert_eq!(s.prefix(), "p");
        let s = ObjectStorageBuilder::new("abfss://c@acct.dfs.core.windows.net/p/q")
            .without_env()
            .build()?;
        assert_eq!(s.prefix(), "p/q");
        assert!(matches!(
            ObjectStorageBuilder::new("s3://bucket")
                .with_config("no_such_key", "1")
                .build(),
            Err(StorageError::Other(_))
        ));
        assert!(matches!(
            ObjectStorageBuilder::new("ftp://x/y").build(),
            Err(StorageError::UnknownScheme(_))
        ));
        Ok(())
    }
}
