//! Reliability with real processes on the filesystem store:
//!
//! - **Crash consistency**: a writer process (this test binary, re-executed as a worker) is
//!   killed with SIGKILL at random points while it rewrites whole chunks, partially rewrites
//!   shards and rewrites metadata, many times. After each kill every chunk and every inner
//!   chunk of a shard reads as one whole generation (never a mix, never a decode error),
//!   the metadata parses, and leftover temporary files never show up as keys or trip a
//!   later write.
//! - **Concurrency**: threads (through one `Array` and through separate ones) and processes
//!   write interleaved stripes of the same chunks and shards at once; afterwards every
//!   stripe holds its writer's value — no update lost.
//!
//! Bounded: a fixed number of rounds and writers, each a few tens of milliseconds.

use std::path::Path;
use std::process::{Child, Command};
use std::sync::Arc;
use std::time::{Duration, Instant};

use zarrkit::codec_sharding::ShardingCodecBuilder;
use zarrkit::serde_json::{json, Value};
use zarrkit::storage::{ListableStorageTraits, StorePrefix};
use zarrkit::store_filesystem::FilesystemStore;
use zarrkit::{Array, ArrayBuilder, ArraySubset, MetadataV3};

type R = Result<(), Box<dyn std::error::Error>>;

const ROLE: &str = "ZARRKIT_TEST_ROLE";
const DIR: &str = "ZARRKIT_TEST_DIR";
const ARG: &str = "ZARRKIT_TEST_ARG";

fn md(name: &str, v: Value) -> MetadataV3 {
    match v {
        Value::Object(m) => MetadataV3::new_with_configuration(name, m),
        _ => MetadataV3::new(name),
    }
}

fn bytes_le() -> MetadataV3 {
    md("bytes", json!({"endian": "little"}))
}

/// `/plain`: 64×64 uint32 in 16×16 chunks (zstd + crc32c); `/sharded`: 64×64 uint32 in
/// 32×32 shards of 8×8 inner chunks (zstd, crc32c index).
fn create(dir: &Path) -> R {
    let store = Arc::new(FilesystemStore::new(dir)?);
    let plain = ArrayBuilder::new(vec![64, 64], vec![16, 16], "uint32", 0)
        .codecs_metadata(vec![
            bytes_le(),
            md("zstd", json!({"level": 1, "checksum": false})),
            md("crc32c", Value::Null),
        ])
        .build(store.clone(), "/plain")?;
    plain.store_metadata()?;
    let sharded = ArrayBuilder::new(vec![64, 64], vec![32, 32], "uint32", 0)
        .codecs_metadata(vec![ShardingCodecBuilder::new(vec![8, 8])
            .inner_codecs(vec![
                bytes_le(),
                md("zstd", json!({"level": 1, "checksum": false})),
            ])
            .build_metadata()?])
        .build(store, "/sharded")?;
    sharded.store_metadata()?;
    Ok(())
}

/// Re-run this test binary as a worker (`role`, with `arg`) on `dir`.
fn spawn_worker(role: &str, dir: &Path, arg: &str) -> Result<Child, Box<dyn std::error::Error>> {
    Ok(Command::new(std::env::current_exe()?)
        .args(["--exact", "worker_entry", "--nocapture", "--test-threads=1"])
        .env(ROLE, role)
        .env(DIR, dir)
        .env(ARG, arg)
        .stdout(std::process::Stdio::null())
        .spawn()?)
}

/// The worker side: does nothing unless started by [`spawn_worker`].
#[test]
fn worker_entry() -> R {
    let (Ok(role), Ok(dir), Ok(arg)) =
        (std::env::var(ROLE), std::env::var(DIR), std::env::var(ARG))
    else {
        return Ok(());
    };
    let store = Arc::new(FilesystemStore::new(&dir)?);
    match role.as_str() {
        "crash" => {
            // Write generations until killed.
            let base: u32 = arg.parse()?;
            let mut plain = Array::open(store.clone(), "/plain")?;
            let sharded = Array::open(store.clone(), "/sharded")?;
            let all = ArraySubset::new_with_shape(vec![64, 64]);
            for g in base.. {
                plain.write(all.clone(), &vec![g; 64 * 64])?;
                // One inner chunk of one shard (a partial shard write), chosen by g.
                let k = u64::from(g % 64);
                let (r, c) = ((k / 8) * 8, (k % 8) * 8);
                sharded.write(ArraySubset::new(vec![r, c], vec![8, 8])?, &vec![g; 64])?;
                plain
                    .attributes_mut()
                    .insert("generation".into(), Value::from(g));
                plain.store_metadata()?;
            }
            Ok(())
        }
        "stripe" => {
            // Write stripe `w` of every chunk and inner chunk: columns c ≡ w (mod 4).
            let w: u64 = arg.parse()?;
            stripe_writes(&store, w, 10 + w as u32)
        }
        other => Err(format!("unknown role {other}").into()),
    }
}

/// Write columns `c ≡ w (mod 4)` of both arrays, one column at a time (each a partial write
/// of 4 chunks and 2 shards that others write at the same time), with `value`.
fn stripe_writes(store: &Arc<FilesystemStore>, w: u64, value: u32) -> R {
    for name in ["/plain", "/sharded"] {
        let a = Array::open(store.clone(), name)?;
        for c in (w..64).step_by(4) {
            a.write(ArraySubset::new(vec![0, c], vec![64, 1])?, &vec![value; 64])?;
        }
    }
    Ok(())
}

/// Every `block`×`block` block of `a` holds one value; returns the values.
fn uniform_blocks(
    a: &Array<FilesystemStore>,
    block: u64,
) -> Result<Vec<u32>, Box<dyn std::error::Error>> {
    let mut values = Vec::new();
    for r in (0..64).step_by(block as usize) {
        for c in (0..64).step_by(block as usize) {
            let v: Vec<u32> = a.read(ArraySubset::new(vec![r, c], vec![block, block])?)?;
            let first = v[0];
            if v.iter().any(|&x| x != first) {
                return Err(
                    format!("{} block ({r}, {c}) mixes generations: {v:?}", a.path()).into(),
                );
            }
            values.push(first);
        }
    }
    Ok(values)
}

/// A tiny deterministic generator (the kill points vary but a failure reproduces).
fn lcg(state: &mut u64) -> u64 {
    *state = state
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    *state >> 33
}

#[test]
fn writers_killed_at_random_points_leave_whole_generations() -> R {
    let dir = tempfile::tempdir()?;
    create(dir.path())?;
    let store = Arc::new(FilesystemStore::new(dir.path())?);
    let mut rng = 0x5eed_u64;
    let rounds = 40;
    let mut killed_mid_write = 0;
    for round in 0..rounds {
        let base = (round + 1) * 1_000_000;
        let mut child = spawn_worker("crash", dir.path(), &base.to_string())?;
        std::thread::sleep(Duration::from_millis(15 + lcg(&mut rng) % 60));
        if child.try_wait()?.is_none() {
            killed_mid_write += 1;
        }
        child.kill()?; // SIGKILL
        child.wait()?;
        let plain = Array::open(store.clone(), "/plain")?;
        let generation = plain.attributes().get("generation").cloned();
        assert!(
            generation.is_none() || generation.as_ref().is_some_and(Value::is_u64),
            "round {round}: torn metadata? generation = {generation:?}"
        );
        for v in uniform_blocks(&plain, 16)? {
            assert!(
                v == 0 || (1_000_000..=base + 1_000_000).contains(&v),
                "round {round}: {v}"
            );
        }
        let sharded = Array::open(store.clone(), "/sharded")?;
        uniform_blocks(&sharded, 8)?;
    }
    assert!(
        killed_mid_write >= rounds / 2,
        "the writer was rarely running when killed"
    );
    // Leftover temporary files are never keys, and later writes go through.
    let keys = store.list_prefix(&StorePrefix::root())?;
    assert!(
        keys.iter().all(|k| !k.as_str().contains(".zarrkit-tmp-")),
        "{keys:?}"
    );
    let plain = Array::open(store.clone(), "/plain")?;
    plain.write(
        ArraySubset::new_with_shape(vec![64, 64]),
        &vec![7u32; 64 * 64],
    )?;
    let back: Vec<u32> = plain.read(ArraySubset::new_with_shape(vec![64, 64]))?;
    assert!(back.iter().all(|&v| v == 7));
    Ok(())
}

#[test]
fn concurrent_threads_and_processes_lose_no_update() -> R {
    let dir = tempfile::tempdir()?;
    create(dir.path())?;
    let store = Arc::new(FilesystemStore::new(dir.path())?);
    let started = Instant::now();
    // Stripes 0 and 1: two processes. Stripe 2: threads through one shared Array per array
    // (in-process chunk locks). Stripe 3: a thread with its own Arrays (the store's
    // conditional writes), all at once.
    let mut children = vec![
        spawn_worker("stripe", dir.path(), "0")?,
        spawn_worker("stripe", dir.path(), "1")?,
    ];
    let shared: Vec<Array<FilesystemStore>> = ["/plain", "/sharded"]
        .iter()
        .map(|n| Array::open(store.clone(), n))
        .collect::<Result<_, _>>()?;
    std::thread::scope(|s| -> R {
        let mut handles = Vec::new();
        for half in 0..2u64 {
            let shared = &shared;
            handles.push(s.spawn(move || -> Result<(), String> {
                for a in shared {
                    for c in (2..64).step_by(4).skip(half as usize).step_by(2) {
                        a.write(
                            ArraySubset::new(vec![0, c], vec![64, 1]).map_err(|e| e.to_string())?,
                            &vec![12u32; 64],
                        )
                        .map_err(|e| e.to_string())?;
                    }
                }
                Ok(())
            }));
        }
        let st = store.clone();
        handles.push(s.spawn(move || stripe_writes(&st, 3, 13).map_err(|e| e.to_string())));
        for h in handles {
            h.join().map_err(|_| "a writer thread panicked")??;
        }
        Ok(())
    })?;
    for mut c in children.drain(..) {
        let status = c.wait()?;
        assert!(status.success(), "a writer process failed: {status}");
    }
    for name in ["/plain", "/sharded"] {
        let a = Array::open(store.clone(), name)?;
        let v: Vec<u32> = a.read(ArraySubset::new_with_shape(vec![64, 64]))?;
        for (i, &x) in v.iter().enumerate() {
            let c = (i % 64) as u32;
            assert_eq!(
                x,
                10 + c % 4,
                "{name}: element ({}, {c}) lost its update",
                i / 64
            );
        }
    }
    assert!(started.elapsed() < Duration::from_secs(120));
    Ok(())
}
