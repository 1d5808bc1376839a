//! The `zarrkit` binary on `s3://` URLs against a real S3 server on 127.0.0.1: moto
//! (`moto_server` from PyPI, installed by `scripts/ci/store-object.sh` into
//! `target/store-object-venv`, or `$ZARRKIT_TEST_MOTO_SERVER`), started by the test on a port
//! of its own. The endpoint and credentials reach the binary through the usual `AWS_*`
//! environment variables. `info` on an S3 array, `reencode` from a local array to S3 (sharded)
//! and back (V2), `validate` between local and S3 arrays (equal, and the first difference).
//! Skipped loudly without moto; `ZARRKIT_REQUIRE_MOTO=1` (CI) makes that a failure.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};
use zarrkit::{Array, ArrayBuilder, ArraySubset, MetadataV3};

const BUCKET: &str = "bucket";

/// A moto server on a free port with the bucket [`BUCKET`]; killed on drop.
struct Moto {
    child: Child,
    endpoint: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Moto {
    fn start() -> Option<Self> {
        let required = std::env::var("ZARRKIT_REQUIRE_MOTO").is_ok_and(|v| v == "1");
        let installed = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../target/store-object-venv/bin/moto_server");
        let program = match std::env::var("ZARRKIT_TEST_MOTO_SERVER") {
            Ok(p) => p,
            Err(_) if installed.is_file() => installed.display().to_string(),
            Err(_) => {
                assert!(
                    !required,
                    "ZARRKIT_REQUIRE_MOTO=1 but no moto_server at {} (run \
                     scripts/ci/store-object.sh) and ZARRKIT_TEST_MOTO_SERVER is not set",
                    installed.display()
                );
                eprintln!(
                    "SKIPPED: zarrkit on s3:// URLs: no moto_server (run \
                     scripts/ci/store-object.sh, or set ZARRKIT_TEST_MOTO_SERVER)"
                );
                return None;
            }
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(&program)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {program}: {e}"));
        let moto = Self {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        let t = Instant::now();
        let mut stream = loop {
            match std::net::TcpStream::connect(("127.0.0.1", port)) {
                Ok(s) => break s,
                Err(_) if t.elapsed() < Duration::from_secs(60) => {
                    std::thread::sleep(Duration::from_millis(100))
                }
                Err(e) => panic!("moto did not start within 60 s: {e}"),
            }
        };
        write!(
            stream,
            "PUT /{BUCKET} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        assert!(
            answer.starts_with("HTTP/1.1 200"),
            "moto refused to create the bucket: {answer}"
        );
        Some(moto)
    }

    /// `zarrkit ARGS` with this server's endpoint and credentials in the environment.
    fn zarrkit(&self, args: &[&str]) -> Output {
        let mut c = Command::new(env!("CARGO_BIN_EXE_zarrkit"));
        c.env("RAYON_NUM_THREADS", "2");
        for (k, v) in [
            ("AWS_ENDPOINT_URL", self.endpoint.as_str()),
            ("AWS_ACCESS_KEY_ID", "zarrkit-test-ak"),
            ("AWS_SECRET_ACCESS_KEY", "zarrkit-test-sk"),
            ("AWS_REGION", "us-east-1"),
            ("AWS_DEFAULT_REGION", "us-east-1"),
            ("AWS_ALLOW_HTTP", "true"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
            ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
            ("AWS_CONFIG_FILE", "/dev/null"),
        ] {
            c.env(k, v);
        }
        c.args(args).output().expect("run zarrkit")
    }

    /// `zarrkit ARGS --json`, exit `code`, stdout parsed.
    fn json(&self, args: &[&str], code: i32) -> Value {
        let mut a = args.to_vec();
        a.push("--json");
        let o = self.zarrkit(&a);
        assert_eq!(
            o.status.code(),
            Some(code),
            "{a:?}: stderr {}",
            String::from_utf8_lossy(&o.stderr)
        );
        serde_json::from_slice(&o.stdout)
            .unwrap_or_else(|e| panic!("{a:?}: {e}: {}", String::from_utf8_lossy(&o.stdout)))
    }
}

fn cfg(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

fn s(p: &Path) -> String {
    p.to_string_lossy().to_string()
}

/// A local V3 uint16 array [40, 30] in chunks [16, 16], zstd, a gradient (+ `offset`).
fn local_u16(dir: &Path, name: &str, offset: u16) -> PathBuf {
    let p = dir.join(name);
    let store = zarrkit::open_store(&s(&p)).unwrap();
    let a = ArrayBuilder::new(vec![40, 30], vec![16, 16], "uint16", 7)
        .codecs_metadata(vec![
            MetadataV3::new_with_configuration("bytes", cfg(json!({"endian": "little"}))),
            MetadataV3::new_with_configuration("zstd", cfg(json!({"level": 1, "checksum": false}))),
        ])
        .dimension_names(["y", "x"])
        .attributes(cfg(json!({"units": "counts"})))
        .build(store, "/")
        .unwrap();
    a.store_metadata().unwrap();
    let data: Vec<u16> = (0..40u16 * 30).map(|v| v + offset).collect();
    a.write(ArraySubset::new_with_shape(vec![40, 30]), &data)
        .unwrap();
    p
}

#[test]
fn info_reencode_and_validate_on_s3() {
    let Some(moto) = Moto::start() else {
        return;
    };
    let d = tempfile::tempdir().unwrap();
    let local = local_u16(d.path(), "in.zarr", 0);
    let remote = format!("s3://{BUCKET}/arrays/sharded.zarr");

    // Local -> S3, sharded, validated afterwards by the command itself.
    let j = moto.json(
        &[
            "reencode",
            &s(&local),
            &remote,
            "--shard-shape",
            "20,30",
            "--chunk-shape",
            "5,10",
            "--bytes-to-bytes-codecs",
            "zstd:3",
            "--validate",
        ],
        0,
    );
    assert_eq!(j["zarr_format"], json!(3));
    assert_eq!(
        j["metadata"]["codecs"][0]["name"],
        json!("sharding_indexed")
    );

    // info on the S3 array.
    let info = moto.json(&["info", &remote], 0);
    assert_eq!(info["node_type"], json!("array"));
    assert_eq!(info["shape"], json!([40, 30]));
    assert_eq!(info["data_type"], json!("uint16"));
    assert_eq!(info["fill_value"], json!(7));
    assert_eq!(info["dimension_names"], json!(["y", "x"]));
    assert_eq!(info["attributes"], json!({"units": "counts"}));
    assert_eq!(info["sharding"]["inner_chunk_shape"], json!([5, 10]));
    assert_eq!(info["chunk_grid"]["chunk_shape"], json!([20, 30]));
    let stats = moto.json(&["info", &remote, "--stats"], 0);
    assert_eq!(stats["stats"]["chunks_present"], json!(2), "{stats}");

    // validate: local against S3 (equal), a different local array against S3 (exit 1, the
    // first difference at element (0, 0)).
    let v = moto.json(&["validate", &s(&local), &remote], 0);
    assert_eq!(v["equal"], json!(true));
    let other = local_u16(d.path(), "other.zarr", 1);
    let v = moto.json(&["validate", &s(&other), &remote], 1);
    assert_eq!(v["equal"], json!(false), "{v}");

    // S3 -> local V2, and S3 -> S3.
    let back = d.path().join("back_v2.zarr");
    let j = moto.json(
        &[
            "reencode",
            &remote,
            &s(&back),
            "--zarr-format",
            "2",
            "--chunk-shape",
            "10,10",
            "--ignore-input-sharding",
        ],
        0,
    );
    assert_eq!(j["zarr_format"], json!(2));
    assert!(back.join(".zarray").is_file());
    let v = moto.json(&["validate", &remote, &s(&back)], 0);
    assert_eq!(v["equal"], json!(true));
    let copy = format!("s3://{BUCKET}/arrays/copy.zarr");
    moto.json(&["reencode", &remote, &copy, "--chunk-shape", "8,8"], 0);
    let v = moto.json(&["validate", &copy, &s(&local)], 0);
    assert_eq!(v["equal"], json!(true));

    // Read back with the library too.
    let a = Array::open(zarrkit::open_store(&s(&back)).unwrap(), "/").unwrap();
    let got: Vec<u16> = a.read(ArraySubset::new_with_shape(vec![40, 30])).unwrap();
    assert!(got == (0..40u16 * 30).collect::<Vec<_>>());

    // A missing S3 array: a one-line error, non-zero exit.
    let o = moto.zarrkit(&["info", &format!("s3://{BUCKET}/nothing.zarr")]);
    assert_ne!(o.status.code(), Some(0));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.starts_with("zarrkit: error: "), "{e}");
}
