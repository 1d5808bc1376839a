//! `zarrkit binary2zarr OUT`: raw elements (C order) from stdin or a file into a new array.
//!
//! The input is read in slabs along the first dimension, one row of chunks (shards) high, and
//! each slab is written (its chunks encoded in parallel) while the next is read: memory holds
//! about two slabs, whatever the input's size. Too few bytes, or bytes left over, are errors.

use std::io::Read;
use std::time::Instant;

use serde_json::json;
use zarrkit::{ArrayBytes, ArraySubset, FillValue};

use crate::blocks;
use crate::cli::{Binary2ZarrArgs, Endianness, ZarrFormat};
use crate::cmd::reencode::apply_encoding;
use crate::encoding::{self, Layout};
use crate::error::{fail, CliError, Context};
use crate::location;
use crate::output::{human_bytes, shape_text, Ctx, Outcome};
use crate::spec;

/// Run `binary2zarr`.
pub fn run(args: &Binary2ZarrArgs, cx: &Ctx) -> Result<Outcome, CliError> {
    let what = format!("binary2zarr {}", args.out);
    convert(args, cx).map_err(|e| e.context(&what))
}

fn read_full(r: &mut dyn Read, buf: &mut [u8]) -> Result<usize, std::io::Error> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

fn convert(args: &Binary2ZarrArgs, cx: &Ctx) -> Result<Outcome, CliError> {
    if args.direct_io {
        cx.note("--direct-io is ignored (the filesystem store has no direct I/O mode)");
    }
    let (data_type, dt) = spec::data_type(&args.data_type).ctx(|| "--data-type")?;
    let Some(size) = dt.size().fixed() else {
        return fail(format!(
            "data type {} has variable-size elements: raw binary input needs a fixed-size type",
            dt.name()
        ));
    };
    let shape = args.array_shape.clone();
    let Some(chunk) = &args.encoding.chunk_shape else {
        return fail("--chunk-shape is required");
    };
    let chunk_shape = encoding::chunk_shape("chunk-shape", chunk, &shape)?;
    let format = args.encoding.zarr_format.unwrap_or(ZarrFormat::V3);
    let separator = args
        .encoding
        .separator
        .unwrap_or(if format == ZarrFormat::V3 { '/' } else { '.' });
    let zero = dt
        .fill_value_to_json(&FillValue::new(vec![0u8; size]))
        .ctx(|| "the default fill value (zero)")?;
    let mut layout = Layout {
        shape: shape.clone(),
        data_type,
        dt: dt.clone(),
        fill_value: zero,
        chunk_shape,
        shard_shape: None,
        a2a: Vec::new(),
        a2b: encoding::bytes_little(),
        b2b: Vec::new(),
        key_encoding: encoding::default_key_encoding(separator),
        separator_v2: separator,
        dimension_names: None,
        attributes: serde_json::Map::new(),
        zarr_format: format,
    };
    apply_encoding(&mut layout, &args.encoding, false)?;
    let store = location::new_output(&args.out, args.overwrite)?;
    let array = layout.bind(store.clone(), &|m| cx.note(m))?;

    let swap = match args.endianness {
        Some(e) if (e == Endianness::Little) != cfg!(target_endian = "little") => {
            if dt.byte_swaps(Some(true)).is_some() {
                return fail(format!(
                    "--endianness: data type {} has fields of several sizes; give native-endian input",
                    dt.name()
                ));
            }
            dt.endianness_unit().filter(|&u| u > 1)
        }
        _ => None,
    };

    let mut input: Box<dyn Read> = if args.input == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::io::BufReader::with_capacity(
            8 << 20,
            std::fs::File::open(&args.input).ctx(|| format!("cannot open input {}", args.input))?,
        ))
    };
    let source = if args.input == "-" {
        "stdin"
    } else {
        args.input.as_str()
    };

    // Slabs along the first dimension, one row of chunks (shards) high.
    let block = layout
        .shard_shape
        .clone()
        .unwrap_or_else(|| layout.chunk_shape.clone());
    let n0 = shape.first().copied().unwrap_or(1);
    let h = block.first().copied().unwrap_or(1).max(1);
    let rest: u64 = shape.iter().skip(1).product();
    let slabs = if shape.is_empty() { 1 } else { n0.div_ceil(h) };
    let expected = shape.iter().product::<u64>().saturating_mul(size as u64);
    // One slab at a time, its chunks encoded by this many threads.
    let opts = blocks::options(
        args.concurrency
            .concurrent_chunks
            .unwrap_or_else(blocks::cpus)
            .max(1),
        true,
    );
    let bar = cx.bytes_bar(expected, "binary2zarr");
    let start = Instant::now();
    let (tx, rx) = std::sync::mpsc::sync_channel::<(ArraySubset, Vec<u8>)>(1);
    let mut read_total = 0u64;
    let writer = std::thread::scope(|s| -> Result<(), CliError> {
        let handle = s.spawn(|| -> Result<(), CliError> {
            for (region, bytes) in rx {
                let n = bytes.len() as u64;
                array
                    .write_opt(&region, &ArrayBytes::Fixed(bytes), &opts)
                    .ctx(|| format!("cannot write region {region}"))?;
                bar.inc(n);
            }
            Ok(())
        });
        let mut produce = || -> Result<(), CliError> {
            for k in 0..slabs {
                let region = if shape.is_empty() {
                    ArraySubset::new_with_shape(Vec::new())
                } else {
                    let (lo, hi) = (k * h, ((k + 1) * h).min(n0));
                    let mut start = vec![0u64; shape.len()];
                    start[0] = lo;
                    let mut sh = shape.clone();
                    sh[0] = hi - lo;
                    ArraySubset::new(start, sh).ctx(|| "slab")?
                };
                let len = if shape.is_empty() {
                    size as u64
                } else {
                    region.shape()[0]
                        .saturating_mul(rest)
                        .saturating_mul(size as u64)
                };
                let len = usize::try_from(len).ctx(|| "slab size")?;
                let mut buf = Vec::new();
                buf.try_reserve_exact(len)
                    .ctx(|| format!("cannot allocate a slab of {len} bytes"))?;
                buf.resize(len, 0);
                let got =
                    read_full(&mut *input, &mut buf).ctx(|| format!("cannot read {source}"))?;
                read_total += got as u64;
                if got < len {
                    return fail(format!(
                        "{source} ended after {read_total} bytes; the array {} of {} needs {expected}",
                        shape_text(&shape),
                        dt.name()
                    ));
                }
                if let Some(u) = swap {
                    for e in buf.chunks_exact_mut(u) {
                        e.reverse();
                    }
                }
                if tx.send((region, buf)).is_err() {
                    // The writer stopped: its error is returned below.
                    return Ok(());
                }
            }
            let mut extra = [0u8; 1];
            if read_full(&mut *input, &mut extra).ctx(|| format!("cannot read {source}"))? > 0 {
                return fail(format!(
                    "{source} holds more than the {expected} bytes of the array {} of {}",
                    shape_text(&shape),
                    dt.name()
                ));
            }
            Ok(())
        };
        let produced = produce();
        drop(tx);
        let written = handle
            .join()
            .unwrap_or_else(|_| Err(CliError::new("the writer thread panicked")));
        written.and(produced)
    });
    writer?;
    array.store_metadata().ctx(|| "cannot write the metadata")?;
    bar.finish_and_clear();
    let secs = start.elapsed().as_secs_f64();
    let stored = location::stored_size(&*store);
    let text = format!(
        "binary2zarr {source} -> {}: {} {} in {:.2} s ({:.1} MB/s), {} -> {}",
        args.out,
        dt.name(),
        shape_text(&shape),
        secs,
        if secs > 0.0 {
            read_total as f64 / secs / 1e6
        } else {
            0.0
        },
        human_bytes(read_total),
        stored.map_or("?".into(), human_bytes)
    );
    Ok(Outcome::ok(
        text,
        json!({
            "output": args.out,
            "input": source,
            "shape": shape,
            "data_type": dt.name(),
            "bytes_read": read_total,
            "output_bytes": stored,
            "seconds": secs,
            "metadata": crate::cmd::info::array_metadata_as_stored(array.metadata()),
        }),
    ))
}
