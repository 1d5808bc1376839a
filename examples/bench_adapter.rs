//! `bench_adapter`: zarrkit's adapter for the side-by-side benchmark harness
//! (`../shared/bench`, run by `cargo xtask bench`).
//!
//! Implements the harness's ADAPTER CONTRACT with zarrkit's public API only:
//!
//! ```text
//! bench_adapter [--api sync|async] info
//! bench_adapter [--api sync|async] write --input RAW --path P --shape S --dtype uint16 --chunk C [--shard H] --codec K
//! bench_adapter [--api sync|async] read  --path P [--regions FILE]
//! ```
//!
//! `--api async` (before or after the sub-command) runs the same operation through the async
//! API (`Array::open_async`, `read_async`, `write_async`) on the filesystem store behind the
//! sync→async adapter, driven by `futures`' executor: the harness then compares the async
//! figures with the sync ones on the same store.
//!
//! `P` is a directory, or a store URL (the harness's `--store s3` passes
//! `s3://BUCKET/PREFIX/array.zarr` and the endpoint and credentials in `AWS_*` variables):
//! URLs are opened by scheme through the store registry, as a user would
//! (`zarrkit::open_store_async(url)`: the object store plugin, configured from the
//! environment). For URLs the default API is async (the object store is async-native; the
//! async driver keeps many requests in flight, where the sync one waits for each chunk on a
//! decode thread); `--api sync` uses `zarrkit::open_store(url)` and the sync API.
//!
//! `K` is `none`, `zstd:LEVEL` or `blosc:CNAME:CLEVEL:SHUFFLE`. Every command prints one JSON
//! object as the last line of stdout: `{"op", "elapsed_s", "nbytes", "crc32c"}` (CRC-32C of
//! the little-endian, C-order data written or read). The timer covers creating/opening the
//! array and the write or reads only (not loading the input, not checksumming).
//!
//! Build: `cargo build --release --example bench_adapter`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use zarrkit::codec_sharding::ShardingCodecBuilder;
use zarrkit::futures::executor::block_on;
use zarrkit::serde_json::{json, Value};
use zarrkit::storage::asynchronous::{AsyncWritableStorageTraits, SyncToAsyncAdapter};
use zarrkit::storage::{StorePrefix, WritableStorageTraits};
use zarrkit::store_filesystem::FilesystemStore;
use zarrkit::{Array, ArrayBuilder, ArrayBytes, ArraySubset, DynAsyncStore, DynStore, MetadataV3};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

const USAGE: &str = "usage:
  bench_adapter [--api sync|async] info
  bench_adapter [--api sync|async] write --input RAW --path P --shape S --dtype uint16 --chunk C [--shard H] --codec none|zstd:L|blosc:CNAME:L:SHUFFLE
  bench_adapter [--api sync|async] read --path P [--regions FILE]";

/// `--key value` pairs.
fn parse_flags(args: &[String]) -> Result<HashMap<String, String>> {
    let mut out = HashMap::new();
    let mut it = args.iter();
    while let Some(k) = it.next() {
        let key = k
            .strip_prefix("--")
            .ok_or_else(|| format!("unexpected argument {k:?}"))?;
        let v = it
            .next()
            .ok_or_else(|| format!("missing value for --{key}"))?;
        out.insert(key.to_string(), v.clone());
    }
    Ok(out)
}

fn get<'a>(flags: &'a HashMap<String, String>, key: &str) -> Result<&'a str> {
    flags
        .get(key)
        .map(String::as_str)
        .ok_or_else(|| format!("missing --{key}").into())
}

fn parse_shape(s: &str) -> Result<Vec<u64>> {
    s.split(',')
        .map(|x| {
            x.trim()
                .parse::<u64>()
                .map_err(|e| format!("bad shape {s:?}: {e}").into())
        })
        .collect()
}

fn md(name: &str, configuration: Value) -> MetadataV3 {
    match configuration {
        Value::Object(m) => MetadataV3::new_with_configuration(name, m),
        _ => MetadataV3::new(name),
    }
}

/// The compressor named by `--codec`, as codec metadata (none for `none`).
fn compressor(codec: &str) -> Result<Option<MetadataV3>> {
    let parts: Vec<&str> = codec.split(':').collect();
    Ok(match parts.as_slice() {
        ["none"] => None,
        ["zstd", level] => Some(md(
            "zstd",
            json!({"level": level.parse::<i32>()?, "checksum": false}),
        )),
        ["blosc", cname, clevel, shuffle] => Some(md(
            "blosc",
            json!({
                "cname": cname,
                "clevel": clevel.parse::<u8>()?,
                "shuffle": shuffle,
                "typesize": 2,
                "blocksize": 0,
            }),
        )),
        _ => return Err(format!("unsupported codec {codec:?}").into()),
    })
}

/// Whether `--path` is a store URL (`s3://…`) rather than a directory.
fn is_url(path: &str) -> bool {
    path.split_once("://")
        .is_some_and(|(scheme, _)| !scheme.is_empty() && scheme != "file")
}

/// The store at `path`: a directory (the filesystem store, behind the sync→async adapter for
/// the async API) or a URL (the plugin registered for its scheme, in its sync or async form).
enum Store {
    Sync(Arc<DynStore>),
    Async(Arc<DynAsyncStore>),
}

fn open_path(path: &str, api_async: bool) -> Result<Store> {
    Ok(match (is_url(path), api_async) {
        (true, true) => Store::Async(zarrkit::open_store_async(path)?),
        (true, false) => Store::Sync(zarrkit::open_store(path)?),
        (false, true) => Store::Async(Arc::new(SyncToAsyncAdapter::new(Arc::new(
            FilesystemStore::new(path)?,
        ))?)),
        (false, false) => Store::Sync(Arc::new(FilesystemStore::new(path)?)),
    })
}

fn print_result(op: &str, elapsed_s: f64, nbytes: usize, crc: u32) {
    println!(
        "{{\"op\": \"{op}\", \"elapsed_s\": {elapsed_s:.6}, \"nbytes\": {nbytes}, \"crc32c\": \"{crc:08x}\"}}"
    );
}

fn cmd_write(flags: &HashMap<String, String>, api_async: bool) -> Result<()> {
    let input = get(flags, "input")?;
    let path = get(flags, "path")?;
    let shape = parse_shape(get(flags, "shape")?)?;
    let dtype = get(flags, "dtype")?;
    if dtype != "uint16" {
        return Err(format!("unsupported dtype {dtype}").into());
    }
    let chunk = parse_shape(get(flags, "chunk")?)?;
    let shard = flags.get("shard").map(|s| parse_shape(s)).transpose()?;
    let compressor = compressor(get(flags, "codec")?)?;

    // Load the input (not timed). The data is little-endian; so is this machine's uint16.
    let data: Vec<u8> = std::fs::read(input)?;
    let expected = shape.iter().product::<u64>() * 2;
    if data.len() as u64 != expected {
        return Err(format!("input has {} bytes, expected {expected}", data.len()).into());
    }
    let crc = crc32c::crc32c(&data);
    let nbytes = data.len();

    let start = Instant::now();
    let store = open_path(path, api_async)?;
    let mut inner = vec![md("bytes", json!({"endian": "little"}))];
    inner.extend(compressor);
    let (grid, codecs) = match shard {
        None => (chunk, inner),
        Some(shard) => (
            shard,
            vec![ShardingCodecBuilder::new(chunk)
                .inner_codecs(inner)
                .build_metadata()?],
        ),
    };
    let builder = ArrayBuilder::new(shape.clone(), grid, "uint16", 0);
    let builder = builder.codecs_metadata(codecs);
    let all = ArraySubset::new_with_shape(shape);
    match store {
        Store::Async(store) => {
            block_on(store.erase_prefix(&StorePrefix::root()))?;
            let array = builder.build(store, "/")?;
            block_on(array.store_metadata_async())?;
            block_on(array.write_async(&all, ArrayBytes::Fixed(data)))?;
        }
        Store::Sync(store) => {
            store.erase_prefix(&StorePrefix::root())?;
            let array = builder.build(store, "/")?;
            array.store_metadata()?;
            array.store_array_subset(&all, data)?;
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    print_result("write", elapsed, nbytes, crc);
    Ok(())
}

/// One region per line, `start0,start1,... shape0,shape1,...`; blank and `#` lines ignored.
fn parse_regions(file: &str) -> Result<Vec<ArraySubset>> {
    let text = std::fs::read_to_string(file)?;
    let mut out = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut parts = line.split_whitespace();
        let start = parse_shape(parts.next().ok_or("bad region line")?)?;
        let shape = parse_shape(parts.next().ok_or("bad region line")?)?;
        out.push(ArraySubset::new(start, shape)?);
    }
    Ok(out)
}

fn fixed(bytes: ArrayBytes) -> Result<Vec<u8>> {
    bytes
        .into_fixed()
        .ok_or_else(|| "variable-size data".into())
}

fn cmd_read(flags: &HashMap<String, String>, api_async: bool) -> Result<()> {
    let path = get(flags, "path")?;
    let regions = flags.get("regions").map(|f| parse_regions(f)).transpose()?;

    let mut crc = 0u32;
    let mut nbytes = 0usize;
    let start = Instant::now();
    let (sync_array, async_array) = match open_path(path, api_async)? {
        Store::Async(s) => (None, Some(block_on(Array::open_async(s, "/"))?)),
        Store::Sync(s) => (Some(Array::open(s, "/")?), None),
    };
    let read = |region: &ArraySubset| -> Result<ArrayBytes> {
        Ok(match (&sync_array, &async_array) {
            (Some(a), _) => a.retrieve_array_subset(region)?,
            (_, Some(a)) => block_on(a.read_async(region))?,
            _ => return Err("no array".into()),
        })
    };
    let shape = match (&sync_array, &async_array) {
        (Some(a), _) => a.shape().to_vec(),
        (_, Some(a)) => a.shape().to_vec(),
        _ => return Err("no array".into()),
    };
    let mut elapsed;
    match regions {
        None => {
            let bytes = read(&ArraySubset::new_with_shape(shape))?;
            elapsed = start.elapsed().as_secs_f64();
            let bytes = fixed(bytes)?;
            crc = crc32c::crc32c_append(crc, &bytes);
            nbytes += bytes.len();
        }
        Some(regions) => {
            elapsed = start.elapsed().as_secs_f64();
            for region in &regions {
                let t = Instant::now();
                let bytes = read(region)?;
                elapsed += t.elapsed().as_secs_f64();
                let bytes = fixed(bytes)?;
                crc = crc32c::crc32c_append(crc, &bytes);
                nbytes += bytes.len();
            }
        }
    }
    print_result("read", elapsed, nbytes, crc);
    Ok(())
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    // `--api X` may come before the sub-command (the harness appends the sub-command to the
    // implementation's command line).
    let mut api: Option<String> = None;
    if args.first().map(String::as_str) == Some("--api") && args.len() > 1 {
        api = Some(args[1].clone());
        args.drain(..2);
    }
    let Some(cmd) = args.first().cloned() else {
        eprintln!("{USAGE}");
        std::process::exit(2);
    };
    let res = parse_flags(&args[1..]).and_then(|mut flags| {
        if let Some(a) = flags.remove("api") {
            api = Some(a);
        }
        // The default: async for store URLs, sync for directories.
        let url = flags.get("path").is_some_and(|p| is_url(p));
        let api_async = match api.as_deref() {
            None => url,
            Some("sync") => false,
            Some("async") => true,
            Some(other) => return Err(format!("unknown --api {other:?} (sync or async)").into()),
        };
        match cmd.as_str() {
            "info" => {
                println!(
                    "{{\"name\": \"bench_adapter\", \"library\": \"zarrkit\", \"version\": \"{}\", \"stores\": [\"file\", \"s3\"], \"s3_client\": \"zarrkit-store-object (object_store 0.14, from AWS_* env; async API unless --api sync)\"}}",
                    env!("CARGO_PKG_VERSION")
                );
                Ok(())
            }
            "write" => cmd_write(&flags, api_async),
            "read" => cmd_read(&flags, api_async),
            other => Err(format!("unknown command {other:?}\n{USAGE}").into()),
        }
    });
    if let Err(e) = res {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
