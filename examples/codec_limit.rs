//! `codec_limit`: what a codec library itself allows on the benchmark's chunks.
//!
//! The speed issue's floor for compressed writes and reads: compress and decompress every
//! chunk of the harness's input with the codec library called directly (zstd: one context
//! per thread; blosc: its `_ctx` functions with one internal thread; as many threads as
//! CPUs; no Zarr, no I/O), so zarrkit's `write`/`read_all` times can be quoted as a ratio of
//! that limit.
//!
//! ```text
//! cargo run --release --example codec_limit -- --input RAW --shape 256,1024,1024 --chunk 128,128,128 [--codec zstd:3|blosc:blosclz:9:bitshuffle] [--reps 3]
//! ```
//!
//! `RAW` is the harness's input (uint16, little-endian, C order). Chunks are extracted before
//! the timer starts. Prints the median of `--reps` runs as one JSON line.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn flag(args: &[String], key: &str) -> Option<String> {
    args.iter()
        .position(|a| a == key)
        .and_then(|i| args.get(i + 1).cloned())
}

fn parse_shape(s: &str) -> Result<Vec<usize>> {
    s.split(',')
        .map(|x| {
            x.trim()
                .parse::<usize>()
                .map_err(|e| format!("{s:?}: {e}").into())
        })
        .collect()
}

/// The chunks of a 3-D uint16 C-order array, each in C order.
fn chunks(data: &[u8], shape: &[usize], chunk: &[usize]) -> Vec<Vec<u8>> {
    let grid: Vec<usize> = shape
        .iter()
        .zip(chunk)
        .map(|(s, c)| s.div_ceil(*c))
        .collect();
    let mut out = Vec::new();
    for gz in 0..grid[0] {
        for gy in 0..grid[1] {
            for gx in 0..grid[2] {
                let mut v = vec![0u8; chunk.iter().product::<usize>() * 2];
                for z in 0..chunk[0] {
                    for y in 0..chunk[1] {
                        let (az, ay, ax) = (gz * chunk[0] + z, gy * chunk[1] + y, gx * chunk[2]);
                        if az >= shape[0] || ay >= shape[1] {
                            continue;
                        }
                        let n = chunk[2].min(shape[2] - ax);
                        let src = ((az * shape[1] + ay) * shape[2] + ax) * 2;
                        let dst = ((z * chunk[1] + y) * chunk[2]) * 2;
                        v[dst..dst + n * 2].copy_from_slice(&data[src..src + n * 2]);
                    }
                }
                out.push(v);
            }
        }
    }
    out
}

/// Run `f` on every item with one worker per CPU; seconds taken.
fn parallel<T: Sync, R: Send>(
    items: &[T],
    f: impl Fn(&T) -> std::result::Result<R, String> + Sync,
) -> Result<(f64, Vec<R>)> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let next = AtomicUsize::new(0);
    let t = Instant::now();
    let results: std::result::Result<Vec<Vec<(usize, R)>>, String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break };
                        mine.push((i, f(item)?));
                    }
                    Ok(mine)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().map_err(|_| "a worker panicked".to_string())?)
            .collect()
    });
    let secs = t.elapsed().as_secs_f64();
    let mut results: Vec<(usize, R)> = results?.into_iter().flatten().collect();
    results.sort_by_key(|(i, _)| *i);
    Ok((secs, results.into_iter().map(|(_, r)| r).collect()))
}

/// The codec under test.
#[derive(Clone, Copy)]
enum Codec {
    Zstd(i32),
    /// blosc with blosclz, a level and a shuffle (0 none, 1 byte, 2 bit), typesize 2.
    Blosc(i32, i32),
}

fn parse_codec(s: &str) -> Result<Codec> {
    let parts: Vec<&str> = s.split(':').collect();
    match parts.as_slice() {
        ["zstd", level] => Ok(Codec::Zstd(level.parse()?)),
        ["blosc", "blosclz", level, shuffle] => {
            let shuffle = match *shuffle {
                "noshuffle" => 0,
                "shuffle" => 1,
                "bitshuffle" => 2,
                other => return Err(format!("unknown shuffle {other:?}").into()),
            };
            Ok(Codec::Blosc(level.parse()?, shuffle))
        }
        _ => {
            Err(format!("--codec {s:?}: expected zstd:LEVEL or blosc:blosclz:LEVEL:SHUFFLE").into())
        }
    }
}

fn compress(codec: Codec, c: &[u8]) -> std::result::Result<Vec<u8>, String> {
    match codec {
        Codec::Zstd(level) => {
            thread_local! {
                static CCTX: std::cell::RefCell<Option<zstd::bulk::Compressor<'static>>> =
                    const { std::cell::RefCell::new(None) };
            }
            CCTX.with(|cell| {
                let mut cell = cell.borrow_mut();
                if cell.is_none() {
                    *cell = Some(zstd::bulk::Compressor::new(level).map_err(|e| e.to_string())?);
                }
                let cctx = cell.as_mut().ok_or("no zstd context")?;
                cctx.compress(c).map_err(|e| e.to_string())
            })
        }
        Codec::Blosc(level, shuffle) => {
            let cap = c.len() + blosc_src::BLOSC_MAX_OVERHEAD as usize;
            let mut out = vec![0u8; cap];
            // SAFETY: valid buffers of the given sizes; the `_ctx` functions use no global
            // state.
            let n = unsafe {
                blosc_src::blosc_compress_ctx(
                    level,
                    shuffle,
                    2,
                    c.len(),
                    c.as_ptr().cast(),
                    out.as_mut_ptr().cast(),
                    cap,
                    c"blosclz".as_ptr(),
                    0,
                    1,
                )
            };
            let n = usize::try_from(n).map_err(|_| format!("blosc_compress_ctx returned {n}"))?;
            out.truncate(n);
            Ok(out)
        }
    }
}

fn decompress(codec: Codec, c: &[u8], n: usize) -> std::result::Result<Vec<u8>, String> {
    match codec {
        Codec::Zstd(_) => zstd::bulk::decompress(c, n).map_err(|e| e.to_string()),
        Codec::Blosc(..) => {
            let mut out = vec![0u8; n];
            // SAFETY: valid buffers of the given sizes.
            let r = unsafe {
                blosc_src::blosc_decompress_ctx(c.as_ptr().cast(), out.as_mut_ptr().cast(), n, 1)
            };
            if usize::try_from(r) != Ok(n) {
                return Err(format!("blosc_decompress_ctx returned {r}"));
            }
            Ok(out)
        }
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let input = flag(&args, "--input").ok_or("missing --input RAW")?;
    let shape = parse_shape(&flag(&args, "--shape").unwrap_or("256,1024,1024".into()))?;
    let chunk = parse_shape(&flag(&args, "--chunk").unwrap_or("128,128,128".into()))?;
    let codec_name = flag(&args, "--codec").unwrap_or("zstd:3".into());
    let codec = parse_codec(&codec_name)?;
    let reps: usize = flag(&args, "--reps").unwrap_or("3".into()).parse()?;
    if shape.len() != 3 || chunk.len() != 3 || chunk.contains(&0) {
        return Err("--shape and --chunk must have 3 non-zero dimensions".into());
    }
    let data = std::fs::read(&input)?;
    if data.len() != shape.iter().product::<usize>() * 2 {
        return Err(format!(
            "{input}: {} bytes, not the size of uint16 {shape:?}",
            data.len()
        )
        .into());
    }
    let chunks = chunks(&data, &shape, &chunk);
    let chunk_bytes = chunks[0].len();
    let (mut enc, mut dec) = (Vec::new(), Vec::new());
    let mut compressed_total = 0usize;
    for _ in 0..reps {
        let (secs, compressed) = parallel(&chunks, |c| compress(codec, c))?;
        enc.push(secs);
        compressed_total = compressed.iter().map(Vec::len).sum();
        let (secs, decompressed) = parallel(&compressed, |c| decompress(codec, c, chunk_bytes))?;
        dec.push(secs);
        if decompressed != chunks {
            return Err("round trip differs".into());
        }
    }
    let mib = data.len() as f64 / (1 << 20) as f64;
    let (e, d) = (median(enc), median(dec));
    println!(
        "{{\"codec\": \"{codec_name}\", \"chunks\": {}, \"chunk\": {chunk:?}, \"threads\": {}, \"compress_s\": {e:.3}, \"decompress_s\": {d:.3}, \"compress_mib_s\": {:.1}, \"decompress_mib_s\": {:.1}, \"compressed_mib\": {:.1}}}",
        chunks.len(),
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        mib / e,
        mib / d,
        compressed_total as f64 / (1 << 20) as f64,
    );
    Ok(())
}
