//! `memory_probe`: one whole-array write or read of a uint16 array on the filesystem store,
//! through the bytes API or the typed API, for measuring time and peak memory from outside
//! (`/usr/bin/time -f %M`). `scripts/memory_tables.sh` runs the matrix.
//!
//! ```text
//! memory_probe write --gib F --dir D --api bytes|typed|async [--codec none|zstd:L]
//! memory_probe read  --gib F --dir D --api bytes|typed|async
//! ```
//!
//! The array is `[n, 1024, 1024]` uint16 in 128³ chunks (`n` from `--gib`); the data is a
//! ramp with noise (zstd compresses it about 2x). The input of a write is built before the
//! timer starts and is part of the peak (as it is for a user): the bytes API writes from a
//! `Vec<u8>`, the typed API from a `Vec<u16>`. Prints one JSON line with the elapsed time.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use zarrkit::futures::executor::block_on;
use zarrkit::serde_json::json;
use zarrkit::storage::asynchronous::SyncToAsyncAdapter;
use zarrkit::storage::{StorePrefix, WritableStorageTraits};
use zarrkit::store_filesystem::FilesystemStore;
use zarrkit::{Array, ArrayBuilder, ArrayBytes, ArraySubset, MetadataV3, Region};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn flags(args: &[String]) -> Result<HashMap<String, String>> {
    let mut out = HashMap::new();
    let mut it = args.iter();
    while let Some(k) = it.next() {
        let key = k
            .strip_prefix("--")
            .ok_or_else(|| format!("unexpected {k:?}"))?;
        let v = it.next().ok_or_else(|| format!("missing value for {k}"))?;
        out.insert(key.to_string(), v.clone());
    }
    Ok(out)
}

fn value(i: u64) -> u16 {
    let noise = (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 61) as u16;
    ((i / 4096) % 3000) as u16 + noise
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let op = args
        .first()
        .ok_or("usage: memory_probe write|read --gib F --dir D --api A")?;
    let f = flags(&args[1..])?;
    let gib: f64 = f.get("gib").ok_or("--gib")?.parse()?;
    let dir = f.get("dir").ok_or("--dir")?;
    let api = f.get("api").map_or("bytes", String::as_str);
    let plane = 1024u64 * 1024;
    let n = ((gib * (1u64 << 30) as f64) / (2 * plane) as f64)
        .round()
        .max(1.0) as u64;
    let shape = vec![n, 1024, 1024];
    let count = (n * plane) as usize;
    let store = Arc::new(FilesystemStore::new(dir)?);
    let all = ArraySubset::new_with_shape(shape.clone());
    let elapsed;
    match op.as_str() {
        "write" => {
            let mut codecs = vec![MetadataV3::new_with_configuration(
                "bytes",
                json!({"endian": "little"})
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
            )];
            if let Some(level) = f
                .get("codec")
                .and_then(|c| c.strip_prefix("zstd:"))
                .map(str::parse::<i32>)
                .transpose()?
            {
                codecs.push(MetadataV3::new_with_configuration(
                    "zstd",
                    json!({"level": level, "checksum": false})
                        .as_object()
                        .cloned()
                        .unwrap_or_default(),
                ));
            }
            store.erase_prefix(&StorePrefix::root())?;
            let array = ArrayBuilder::new(shape.clone(), vec![128, 128, 128], "uint16", 0)
                .codecs_metadata(codecs)
                .build(store.clone(), "/")?;
            array.store_metadata()?;
            match api {
                "typed" => {
                    let data: Vec<u16> = (0..count as u64).map(value).collect();
                    let t = Instant::now();
                    array.write(&all, &data)?;
                    elapsed = t.elapsed();
                }
                "bytes" => {
                    let data: Vec<u8> = (0..count as u64)
                        .flat_map(|i| value(i).to_le_bytes())
                        .collect();
                    let t = Instant::now();
                    array.store_array_subset(&all, data)?;
                    elapsed = t.elapsed();
                }
                "async" => {
                    let data: Vec<u16> = (0..count as u64).map(value).collect();
                    let a = array.with_storage(Arc::new(SyncToAsyncAdapter::new(store)?));
                    let t = Instant::now();
                    block_on(a.write_async(&all, data))?;
                    elapsed = t.elapsed();
                }
                other => return Err(format!("unknown --api {other}").into()),
            }
        }
        "read" => {
            let t = Instant::now();
            let check = match api {
                "typed" => {
                    let array = Array::open(store, "/")?;
                    let v: Vec<u16> = array.read(Region::Subset(all))?;
                    v[count / 2]
                }
                "bytes" => {
                    let array = Array::open(store, "/")?;
                    let b: ArrayBytes = array.retrieve_array_subset(&all)?;
                    let b = b.as_fixed().ok_or("variable")?;
                    u16::from_le_bytes([b[count], b[count + 1]])
                }
                "async" => {
                    let s = Arc::new(SyncToAsyncAdapter::new(store)?);
                    let array = block_on(Array::open_async(s, "/"))?;
                    let v: Vec<u16> = block_on(array.read_async(Region::Subset(all)))?;
                    v[count / 2]
                }
                other => return Err(format!("unknown --api {other}").into()),
            };
            elapsed = t.elapsed();
            if check != value(count as u64 / 2) {
                return Err(
                    format!("read back {check}, expected {}", value(count as u64 / 2)).into(),
                );
            }
        }
        other => return Err(format!("unknown operation {other}").into()),
    }
    println!(
        "{{\"op\": \"{op}\", \"api\": \"{api}\", \"gib\": {:.3}, \"elapsed_s\": {:.3}}}",
        (count * 2) as f64 / (1u64 << 30) as f64,
        elapsed.as_secs_f64()
    );
    Ok(())
}
