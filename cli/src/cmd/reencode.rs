//! `zarrkit reencode IN OUT`: read an array and write it again with another encoding.
//!
//! The output layout starts from the input's (its V3 form: a V2 array's filters and
//! compressor are the equivalent V3 codecs; a sharded input's inner chunks and inner codecs
//! are the chunks and codecs, its shards the shards) and the options replace parts of it.
//! Then every output chunk (shard) is read from the input, converted to the new data type if
//! any, and written — `--concurrent-chunks` chunks at once, or a shard in pieces of
//! `--write-shape` — so memory stays near that many chunks' worth. The output's metadata is
//! written after its chunks: an interrupted reencode leaves no array that looks complete.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use serde_json::{json, Value};
use zarrkit::array::{CacheCapacity, ChunkCacheConfig, ChunkCacheKind};
use zarrkit::{Array, ArrayBytes, ArrayMetadata, ArraySubset, DynStore, FillValue, MetadataV3};

use crate::blocks::{self, Flow};
use crate::cast::Caster;
use crate::cli::{EncodingArgs, ReencodeArgs, ZarrFormat};
use crate::cmd::info::array_metadata_as_stored;
use crate::cmd::validate;
use crate::encoding::{self, Layout};
use crate::error::{fail, CliError, Context};
use crate::location;
use crate::output::{human_bytes, readable, Ctx, Outcome};
use crate::spec::{self, CodecKind, PresetContext};

/// Run `reencode`.
pub fn run(args: &ReencodeArgs, cx: &Ctx) -> Result<Outcome, CliError> {
    let what = format!("reencode {} {}", args.path_in, args.path_out);
    reencode(args, cx).map_err(|e| e.context(&what))
}

/// The input's layout: chunk shape, shard shape (if sharded) and the codecs inside.
struct InputLayout {
    chunk: Vec<u64>,
    shard: Option<Vec<u64>>,
    codecs: spec::SplitCodecs,
}

fn input_layout(a: &Array<DynStore>, codecs: &[MetadataV3]) -> Result<InputLayout, CliError> {
    let zeros = vec![0u64; a.dimensionality()];
    let first = a
        .chunk_shape(&zeros)
        .unwrap_or_else(|_| a.shape().iter().map(|&s| s.max(1)).collect());
    if let [only] = codecs {
        let is_sharding = zarrkit::registry::CODECS
            .get(only.name())
            .is_some_and(|p| zarrkit::registry::PluginEntry::name(p) == "sharding_indexed");
        if let (true, Some(cfg)) = (is_sharding, only.configuration()) {
            let inner: Vec<u64> = cfg
                .get("chunk_shape")
                .and_then(|v| serde_json::from_value(v.clone()).ok())
                .ok_or_else(|| CliError::new("the input's sharding codec has no chunk_shape"))?;
            let inner_codecs: Vec<MetadataV3> = cfg
                .get("codecs")
                .and_then(|v| serde_json::from_value(v.clone()).ok())
                .ok_or_else(|| CliError::new("the input's sharding codec has no codecs"))?;
            return Ok(InputLayout {
                chunk: inner,
                shard: Some(first),
                codecs: spec::split_codecs(&inner_codecs)?,
            });
        }
    }
    Ok(InputLayout {
        chunk: first,
        shard: None,
        codecs: spec::split_codecs(codecs)?,
    })
}

/// Apply the encoding options shared with `binary2zarr` to a layout: fill value, chunk and
/// shard shapes, codecs, separator, dimension names, attributes, format.
pub fn apply_encoding(
    layout: &mut Layout,
    e: &EncodingArgs,
    data_type_changed: bool,
) -> Result<(), CliError> {
    let cx = PresetContext {
        element_size: layout.dt.size().fixed(),
    };
    if let Some(f) = &e.fill_value {
        layout.fill_value = spec::fill_value_json(f);
        layout
            .dt
            .fill_value_from_json(&layout.fill_value)
            .ctx(|| format!("--fill-value {f} for data type {}", layout.dt.name()))?;
    }
    if let Some(c) = &e.chunk_shape {
        layout.chunk_shape = encoding::chunk_shape("chunk-shape", c, &layout.shape)?;
    }
    if let Some(s) = &e.shard_shape {
        layout.shard_shape = Some(encoding::shard_shape(
            s,
            &layout.shape,
            &layout.chunk_shape,
        )?);
    } else if let Some(s) = &layout.shard_shape {
        // A shard shape from the input, with a new chunk shape: keep it a multiple.
        layout.shard_shape = Some(encoding::shard_shape(
            s,
            &layout.shape,
            &layout.chunk_shape,
        )?);
    }
    if let Some(s) = &e.array_to_array_codecs {
        layout.a2a = spec::codec_list("array-to-array-codecs", s, CodecKind::ArrayToArray, cx)?;
    }
    if let Some(s) = &e.array_to_bytes_codec {
        layout.a2b = spec::array_to_bytes(s, cx)?;
    } else if data_type_changed && layout.a2b.name() == "bytes" {
        // A new multi-byte type needs an endian; a kept `bytes` codec of a 1-byte type has none.
        let mut cfg = layout.a2b.configuration().cloned().unwrap_or_default();
        if layout.dt.endianness_unit().is_some() && !cfg.contains_key("endian") {
            cfg.insert("endian".into(), json!("little"));
        }
        layout.a2b = MetadataV3::new_with_configuration("bytes", cfg);
    }
    if let Some(s) = &e.bytes_to_bytes_codecs {
        layout.b2b = spec::codec_list("bytes-to-bytes-codecs", s, CodecKind::BytesToBytes, cx)?;
    } else if data_type_changed {
        // blosc shuffles by the element size: follow the new data type.
        for m in &mut layout.b2b {
            if let (true, Some(size), Some(cfg)) =
                (m.name() == "blosc", cx.element_size, m.configuration())
            {
                if cfg.contains_key("typesize") {
                    let mut cfg = cfg.clone();
                    cfg.insert("typesize".into(), json!(size));
                    *m = MetadataV3::new_with_configuration("blosc", cfg);
                }
            }
        }
    }
    if let Some(sep) = e.separator {
        if sep != '.' && sep != '/' {
            return fail(format!("--separator {sep:?} must be \".\" or \"/\""));
        }
        layout.separator_v2 = sep;
        let name = layout.key_encoding.name().to_string();
        if name != "default" && name != "v2" {
            layout.key_encoding = encoding::default_key_encoding(sep);
        } else {
            let mut cfg = layout
                .key_encoding
                .configuration()
                .cloned()
                .unwrap_or_default();
            cfg.insert("separator".into(), json!(sep.to_string()));
            layout.key_encoding = MetadataV3::new_with_configuration(name, cfg);
        }
    }
    if let Some(d) = &e.dimension_names {
        layout.dimension_names = Some(encoding::dimension_names(d, layout.shape.len())?);
    }
    if let Some(a) = &e.attributes {
        layout.attributes = spec::json_object("attributes", a)?;
    }
    if let Some(a) = &e.attributes_append {
        layout
            .attributes
            .extend(spec::json_object("attributes-append", a)?);
    }
    if let Some(f) = e.zarr_format {
        layout.zarr_format = f;
    }
    Ok(())
}

/// The output layout and the caster (if the data type changes) for `reencode`.
fn output_layout(
    a: &Array<DynStore>,
    args: &ReencodeArgs,
) -> Result<(Layout, Option<Caster>), CliError> {
    let v3 = a
        .to_v3()
        .ctx(|| "the input has no V3 form to start the output's layout from")?;
    let input = input_layout(a, &v3.codecs).ctx(|| "the input's codecs")?;
    let (data_type, dt) = match &args.data_type {
        Some(s) => spec::data_type(s).ctx(|| "--data-type")?,
        None => (v3.data_type.clone(), a.data_type().clone()),
    };
    let changed = !spec::same_data_type(a.data_type(), &dt);
    let caster = changed
        .then(|| Caster::new(a.data_type(), &dt, args.cast_mode))
        .transpose()?;
    let fill_value = match (&caster, &args.encoding.fill_value) {
        (Some(c), None) => {
            let f: FillValue = c.cast_fill(a.fill_value())?;
            dt.fill_value_to_json(&f)
                .ctx(|| "the converted fill value")?
        }
        _ => v3.fill_value.clone(),
    };
    let mut attributes = v3.attributes().clone();
    let mut dims = v3.dimension_names.clone();
    let format = args.encoding.zarr_format.unwrap_or(ZarrFormat::V3);
    if a.zarr_format() == 2 && format == ZarrFormat::V3 && args.encoding.dimension_names.is_none() {
        if let Some(d) = encoding::take_array_dimensions(&mut attributes, a.dimensionality()) {
            dims = Some(d);
        }
    }
    let separator_v2 = match a.metadata() {
        ArrayMetadata::V2(m) => m.separator().as_str().chars().next().unwrap_or('.'),
        ArrayMetadata::V3(_) => '.',
    };
    let key_encoding = if a.zarr_format() == 3 {
        v3.chunk_key_encoding.clone()
    } else {
        encoding::default_key_encoding('/')
    };
    let mut layout = Layout {
        shape: a.shape().to_vec(),
        data_type,
        dt,
        fill_value,
        chunk_shape: input.chunk,
        shard_shape: if args.ignore_input_sharding {
            None
        } else {
            input.shard
        },
        a2a: input.codecs.a2a,
        a2b: input.codecs.a2b.unwrap_or_else(encoding::bytes_little),
        b2b: input.codecs.b2b,
        key_encoding,
        separator_v2,
        dimension_names: dims,
        attributes,
        zarr_format: format,
    };
    apply_encoding(&mut layout, &args.encoding, changed)?;
    Ok((layout, caster))
}

/// The pieces of `region` in a regular grid of `piece` anchored at the region's start.
fn tile(region: &ArraySubset, piece: &[u64]) -> Vec<ArraySubset> {
    let grid: Vec<u64> = region
        .shape()
        .iter()
        .zip(piece)
        .map(|(s, p)| s.div_ceil((*p).max(1)))
        .collect();
    ArraySubset::new_with_shape(grid)
        .indices()
        .filter_map(|g| {
            let start: Vec<u64> = g
                .iter()
                .zip(piece)
                .zip(region.start())
                .map(|((i, p), o)| o + i * p)
                .collect();
            let end: Vec<u64> = start
                .iter()
                .zip(piece)
                .zip(region.end_exc())
                .map(|((s, p), e)| (s + p).min(e))
                .collect();
            ArraySubset::from_start_end(&start, &end).ok()
        })
        .collect()
}

fn reencode(args: &ReencodeArgs, cx: &Ctx) -> Result<Outcome, CliError> {
    if args.direct_io {
        cx.note("--direct-io is ignored (the filesystem store has no direct I/O mode)");
    }
    if location::same_location(&args.path_in, &args.path_out) {
        return fail("the output is the input");
    }
    let mut a = location::array(&args.path_in, "/")?;
    let cpus = blocks::cpus() as u64;
    let cache = args
        .cache_size_thread
        .map(|n| CacheCapacity::Bytes(n.saturating_mul(cpus)))
        .or(args.cache_size.map(CacheCapacity::Bytes))
        .or(args
            .cache_chunks_thread
            .map(|n| CacheCapacity::Count(n.saturating_mul(cpus))))
        .or(args.cache_chunks.map(CacheCapacity::Count));
    if let Some(c) = cache {
        a = a.with_chunk_cache(ChunkCacheConfig::new(ChunkCacheKind::Decoded, c));
    }
    let (layout, caster) = output_layout(&a, args)?;
    let out_store = location::new_output(&args.path_out, args.overwrite)?;
    let b = layout.bind(out_store.clone(), &|m| cx.note(m))?;
    if args.verbose {
        eprintln!(
            "input metadata:\n{}",
            readable(&array_metadata_as_stored(a.metadata()))
        );
        eprintln!(
            "output metadata:\n{}",
            readable(&array_metadata_as_stored(b.metadata()))
        );
    }
    let write_shape = match (&args.write_shape, b.is_sharded()) {
        (Some(w), true) => {
            if w.len() != b.dimensionality() || w.contains(&0) {
                return fail(format!(
                    "--write-shape needs {} non-zero sizes",
                    b.dimensionality()
                ));
            }
            Some(w.clone())
        }
        (Some(_), false) => {
            cx.note(
                "--write-shape is ignored: the output is not sharded (whole chunks are written)",
            );
            None
        }
        (None, _) => None,
    };

    let n_chunks = blocks::chunk_count(&b);
    let (workers, codec) = blocks::concurrency(args.concurrency.concurrent_chunks, n_chunks);
    let mut opts_in = blocks::options(codec, !args.ignore_checksums);
    if let Some(n) = args.io_concurrency {
        opts_in = opts_in.with_io_concurrency(n);
    }
    let opts_out =
        blocks::options(codec, true).with_subchunk_write_order(args.subchunk_write_order);
    let decoded_total = b.data_type().size().fixed().map_or(0, |s| {
        b.shape().iter().product::<u64>().saturating_mul(s as u64)
    });
    let bar = cx.bytes_bar(decoded_total, "reencode");
    let (read_ns, write_ns, decoded, done) = (
        AtomicU64::new(0),
        AtomicU64::new(0),
        AtomicU64::new(0),
        AtomicU64::new(0),
    );
    let start = Instant::now();
    blocks::run(blocks::chunk_indices(&b), workers, |idx| {
        let region = blocks::chunk_region(&b, &idx)?;
        let pieces = match &write_shape {
            Some(w) => tile(&region, w),
            None => vec![region],
        };
        for p in pieces {
            let t = Instant::now();
            let mut data = a
                .read_opt::<ArrayBytes>(&p, &opts_in)
                .ctx(|| format!("cannot read region {p} of the input"))?;
            if let Some(c) = &caster {
                let raw = data.as_fixed().unwrap_or(&[]);
                data = ArrayBytes::Fixed(c.cast(raw).map_err(|f| {
                    CliError::new(format!(
                        "element {} = {} cannot be converted to {} with --cast-mode {:?}",
                        crate::output::shape_text(&blocks::element_indices(&p, f.index as u64)),
                        f.value,
                        c.target(),
                        c.mode()
                    ))
                })?);
            }
            let t2 = Instant::now();
            read_ns.fetch_add((t2 - t).as_nanos() as u64, Ordering::Relaxed);
            let n = data.size() as u64;
            b.write_owned_opt(&p, data, &opts_out)
                .ctx(|| format!("cannot write region {p} of the output"))?;
            write_ns.fetch_add(t2.elapsed().as_nanos() as u64, Ordering::Relaxed);
            decoded.fetch_add(n, Ordering::Relaxed);
            bar.inc(n);
        }
        let d = done.fetch_add(1, Ordering::Relaxed) + 1;
        bar.set_message(format!("{d}/{n_chunks} chunks"));
        Ok(Flow::Continue)
    })?;
    b.store_metadata()
        .ctx(|| "cannot write the output's metadata")?;
    let total = start.elapsed().as_secs_f64();
    bar.finish_and_clear();

    let mut validated = Value::Null;
    if args.validate {
        let c = validate::compare(&a, &b, caster.as_ref(), workers, &opts_in, cx)
            .ctx(|| "--validate")?;
        if let Some(d) = c.difference {
            return fail(format!(
                "--validate: the output differs from the input: {}",
                d.text()
            ));
        }
        validated = json!(true);
    }

    let (r, w) = (read_ns.into_inner() as f64, write_ns.into_inner() as f64);
    let read_s = if r + w > 0.0 {
        total * r / (r + w)
    } else {
        0.0
    };
    let write_s = total - read_s;
    let size_in = location::stored_size(&**a.storage());
    let size_out = location::stored_size(&*out_store);
    let decoded = decoded.into_inner();
    let speed = |bytes: Option<u64>, s: f64| bytes.filter(|_| s > 0.0).map(|b| b as f64 / s);
    let mbs = |v: Option<f64>| v.map_or("?".to_string(), |v| format!("{:.1} MB/s", v / 1e6));
    let size = |v: Option<u64>| v.map_or("?".to_string(), human_bytes);
    let text = format!(
        "reencode {} -> {}: {:.2} s (read ~{:.2} s @ {}, write ~{:.2} s @ {}), {} -> {} ({} decoded @ {}, {} chunks{})",
        args.path_in,
        args.path_out,
        total,
        read_s,
        mbs(speed(size_in, read_s)),
        write_s,
        mbs(speed(size_out, write_s)),
        size(size_in),
        size(size_out),
        human_bytes(decoded),
        mbs(speed(Some(decoded), total)),
        n_chunks,
        if args.validate { ", validated" } else { "" }
    );
    let json = json!({
        "input": args.path_in,
        "output": args.path_out,
        "zarr_format": b.zarr_format(),
        "chunks": n_chunks,
        "bytes_decoded": decoded,
        "decoded_bytes_per_second": speed(Some(decoded), total),
        "seconds": total,
        "read_seconds": read_s,
        "write_seconds": write_s,
        "input_bytes": size_in,
        "output_bytes": size_out,
        "read_bytes_per_second": speed(size_in, read_s),
        "write_bytes_per_second": speed(size_out, write_s),
        "validated": validated,
        "concurrent_chunks": workers,
        "metadata": array_metadata_as_stored(b.metadata()),
    });
    Ok(Outcome::ok(text, json))
}
