//! `zarrkit info URL [--stats]`.

use std::sync::Mutex;

use serde_json::{json, Map, Value};
use zarrkit::storage::ReadableStorageExt;
use zarrkit::{Array, ArrayBytes, ArrayMetadata, DynStore, FillValue, Group, GroupMetadata, Node};

use crate::blocks::{self, Flow};
use crate::cast::{for_each_num, Num};
use crate::cli::InfoArgs;
use crate::error::{CliError, Context};
use crate::location;
use crate::output::{compact, human_bytes, num_text, readable, shape_text, Ctx, Outcome};
use crate::spec::data_type_metadata;

/// Run `info`.
pub fn run(args: &InfoArgs, cx: &Ctx) -> Result<Outcome, CliError> {
    let what = || format!("info {}", location::where_(&args.url, &args.node));
    match location::group_or_array(&args.url, &args.node).map_err(|e| e.context(what()))? {
        Node::Array(a) => array_info(&a, args, cx).map_err(|e| e.context(what())),
        Node::Group(g) => group_info(&g, args).map_err(|e| e.context(what())),
    }
}

/// Metadata documents as stored: `zarr.json`, or `.zarray` + `.zattrs` / `.zgroup` +
/// `.zattrs`.
pub fn array_metadata_as_stored(m: &ArrayMetadata) -> Value {
    match m {
        ArrayMetadata::V3(m) => Value::Object(m.to_map()),
        ArrayMetadata::V2(m) => json!({".zarray": m.to_map(), ".zattrs": m.attributes()}),
    }
}

fn group_metadata_as_stored(m: &GroupMetadata) -> Value {
    match m {
        GroupMetadata::V3(m) => Value::Object(m.to_map()),
        GroupMetadata::V2(m) => json!({".zgroup": m.to_map(), ".zattrs": m.attributes()}),
    }
}

/// A codec's metadata as short text: `zstd {"level":3,"checksum":false}`.
pub fn codec_text(m: &zarrkit::MetadataV3) -> String {
    match m.configuration() {
        Some(c) if !c.is_empty() => format!("{} {}", m.name(), compact(&Value::Object(c.clone()))),
        _ => m.name().to_string(),
    }
}

/// A summary of an array's encoding, for `info` and `tree`.
pub struct Summary {
    /// The JSON object.
    pub json: Map<String, Value>,
    /// Text lines (`key`, `value`).
    pub lines: Vec<(String, String)>,
}

/// The summary of an array: shape, data type, fill value, dimension names, attributes,
/// chunk grid, key encoding and codecs (in their V3 form, also for V2 arrays).
pub fn summary(a: &Array<DynStore>) -> Summary {
    let dt = a.data_type();
    let v3 = a.to_v3();
    let (data_type, fill_value, codecs, key_encoding, v3_json) = match &v3 {
        Ok(m) => (
            serde_json::to_value(&m.data_type).unwrap_or(Value::Null),
            m.fill_value.clone(),
            m.codecs.clone(),
            serde_json::to_value(&m.chunk_key_encoding).unwrap_or(Value::Null),
            Value::Object(m.to_map()),
        ),
        Err(e) => (
            serde_json::to_value(data_type_metadata(dt)).unwrap_or(Value::Null),
            dt.fill_value_to_json(a.fill_value()).unwrap_or(Value::Null),
            a.codecs().create_metadatas(),
            json!({"name": a.chunk_key_encoding().name(), "configuration": a.chunk_key_encoding().configuration()}),
            json!({"error": crate::error::one_line(&e.to_string())}),
        ),
    };
    let zeros = vec![0u64; a.dimensionality()];
    let chunk_shape = a.chunk_shape(&zeros).ok();
    let grid_shape = a.chunk_grid_shape();
    let chunks = blocks::chunk_count(a);
    let grid = a.chunk_grid();
    let elements = a.shape().iter().fold(1u128, |x, &s| x * u128::from(s));
    let size = dt.size().fixed();
    let decoded = size.map(|s| elements * s as u128);
    let sharding = a.inner_chunk_shape().map(|inner| {
        json!({
            "shard_shape": chunk_shape,
            "inner_chunk_shape": inner,
            "inner_chunk_grid_shape": a.inner_chunk_grid_shape(),
        })
    });
    let dims = a.dimension_names().map(|d| d.to_vec());
    let mut j = Map::new();
    j.insert("node_type".into(), json!("array"));
    j.insert("zarr_format".into(), json!(a.zarr_format()));
    j.insert("shape".into(), json!(a.shape()));
    j.insert("data_type".into(), data_type.clone());
    j.insert("fill_value".into(), fill_value.clone());
    j.insert("dimension_names".into(), json!(dims));
    j.insert("attributes".into(), Value::Object(a.attributes().clone()));
    j.insert(
        "chunk_grid".into(),
        json!({
            "name": grid.name(),
            "configuration": grid.configuration(),
            "chunk_shape": chunk_shape,
            "grid_shape": grid_shape,
            "chunks": chunks,
        }),
    );
    j.insert("chunk_key_encoding".into(), key_encoding.clone());
    j.insert(
        "codecs".into(),
        serde_json::to_value(&codecs).unwrap_or(Value::Null),
    );
    j.insert("sharding".into(), sharding.clone().unwrap_or(Value::Null));
    j.insert("element_size".into(), json!(size));
    j.insert(
        "decoded_bytes".into(),
        decoded.map_or(Value::Null, |d| json!(u64::try_from(d).unwrap_or(u64::MAX))),
    );
    j.insert("metadata".into(), array_metadata_as_stored(a.metadata()));
    j.insert("metadata_v3".into(), v3_json);

    let mut lines = vec![
        ("zarr format".to_string(), a.zarr_format().to_string()),
        ("shape".to_string(), shape_text(a.shape())),
        ("data type".to_string(), compact(&data_type)),
        ("fill value".to_string(), compact(&fill_value)),
    ];
    if let Some(d) = &dims {
        lines.push((
            "dimensions".into(),
            d.iter()
                .map(|n| n.clone().unwrap_or_else(|| "-".into()))
                .collect::<Vec<_>>()
                .join(", "),
        ));
    }
    lines.push((
        "chunk grid".into(),
        format!(
            "{} {} -> {} = {} chunks",
            grid.name(),
            chunk_shape.as_deref().map(shape_text).unwrap_or_default(),
            grid_shape
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(" x "),
            chunks
        ),
    ));
    if let Some(inner) = a.inner_chunk_shape() {
        lines.push((
            "sharding".into(),
            format!(
                "shards {} of inner chunks {}",
                chunk_shape.as_deref().map(shape_text).unwrap_or_default(),
                shape_text(&inner)
            ),
        ));
    }
    lines.push(("key encoding".into(), compact(&key_encoding)));
    lines.push((
        "codecs".into(),
        codecs
            .iter()
            .map(codec_text)
            .collect::<Vec<_>>()
            .join(" -> "),
    ));
    if !a.attributes().is_empty() {
        lines.push((
            "attributes".into(),
            compact(&Value::Object(a.attributes().clone())),
        ));
    }
    if let Some(d) = decoded {
        lines.push((
            "size".into(),
            format!(
                "{} decoded",
                human_bytes(u64::try_from(d).unwrap_or(u64::MAX))
            ),
        ));
    }
    Summary { json: j, lines }
}

fn array_info(a: &Array<DynStore>, args: &InfoArgs, cx: &Ctx) -> Result<Outcome, CliError> {
    let s = summary(a);
    let mut j = Map::new();
    j.insert("url".into(), json!(args.url));
    j.insert("node".into(), json!(a.path().as_str()));
    j.extend(s.json);
    let mut text = format!("array {}\n", location::where_(&args.url, &args.node));
    for (k, v) in &s.lines {
        text.push_str(&format!("  {k:<13} {v}\n"));
    }
    if args.stats {
        let st = stats(a, args, cx)?;
        text.push_str("stats\n");
        text.push_str(&stats_text(&st, a.data_type().element_kind()));
        j.insert("stats".into(), st);
    }
    text.push_str("metadata (as stored)\n");
    text.push_str(&readable(&array_metadata_as_stored(a.metadata())));
    if a.zarr_format() == 2 {
        text.push_str("\nmetadata (as V3)\n");
        text.push_str(&readable(j.get("metadata_v3").unwrap_or(&Value::Null)));
    }
    Ok(Outcome::ok(text, Value::Object(j)))
}

fn group_info(g: &Group<DynStore>, args: &InfoArgs) -> Result<Outcome, CliError> {
    let children = g.child_names().ctx(|| "cannot list the group's children")?;
    let v3 = Value::Object(g.to_v3().to_map());
    let mut j = json!({
        "url": args.url,
        "node": g.path().as_str(),
        "node_type": "group",
        "zarr_format": g.zarr_format(),
        "attributes": g.attributes(),
        "consolidated_metadata": g.has_consolidated_metadata(),
        "children": children,
        "metadata": group_metadata_as_stored(g.metadata()),
        "metadata_v3": v3,
    });
    let mut text = format!("group {}\n", location::where_(&args.url, &args.node));
    let ome = ome_summary(g);
    text.push_str(&format!("  {:<13} {}\n", "zarr format", g.zarr_format()));
    text.push_str(&format!(
        "  {:<13} {}\n",
        "consolidated",
        if g.has_consolidated_metadata() {
            "yes"
        } else {
            "no"
        }
    ));
    text.push_str(&format!("  {:<13} {}\n", "children", children.join(", ")));
    if !g.attributes().is_empty() {
        let a = compact(&Value::Object(g.attributes()));
        let shown = if a.chars().count() > 200 {
            let keys: Vec<String> = g.attributes().keys().cloned().collect();
            format!(
                "{} (members {}; all in --json)",
                a.chars().take(120).collect::<String>() + "…",
                keys.join(", ")
            )
        } else {
            a
        };
        text.push_str(&format!("  {:<13} {}\n", "attributes", shown));
    }
    if let Some((lines, v)) = ome {
        text.push_str(&lines);
        j["ome"] = v;
    }
    text.push_str("metadata (as stored)\n");
    text.push_str(&readable(&group_metadata_as_stored(g.metadata())));
    Ok(Outcome::ok(text, j))
}

/// The OME-Zarr summary of a group with OME-Zarr attributes: version, levels and every
/// issue `zarrkit_ome::validate_group` finds (text lines, JSON).
fn ome_summary(g: &Group<DynStore>) -> Option<(String, Value)> {
    if !zarrkit_ome::OmeMetadata::is_ome(&g.attributes()) {
        return None;
    }
    match zarrkit_ome::validate_group(g.storage().clone(), g.path().as_str()) {
        Err(e) => {
            let e = crate::error::one_line(&e.to_string());
            Some((
                format!("  {:<13} invalid: {e}\n", "OME-Zarr"),
                json!({"error": e}),
            ))
        }
        Ok(r) => {
            let mut t = format!(
                "  {:<13} {} ({} levels{})\n",
                "OME-Zarr",
                r.metadata.version.as_str(),
                r.levels.len(),
                if r.is_valid() { ", valid" } else { ", INVALID" }
            );
            for l in &r.levels {
                t.push_str(&format!(
                    "    {:<4} {} {}\n",
                    l.path,
                    l.data_type,
                    shape_text(&l.shape)
                ));
            }
            for i in &r.issues {
                t.push_str(&format!("    {i}\n"));
            }
            let v = json!({
                "version": r.metadata.version.as_str(),
                "valid": r.is_valid(),
                "levels": r.levels.iter().map(|l| json!({
                    "path": l.path, "shape": l.shape, "data_type": l.data_type,
                    "zarr_format": l.zarr_format,
                })).collect::<Vec<_>>(),
                "issues": r.issues.iter().map(ToString::to_string).collect::<Vec<_>>(),
            });
            Some((t, v))
        }
    }
}

/// Statistics accumulated over blocks.
#[derive(Debug, Default)]
struct Acc {
    present: u64,
    stored_bytes: u64,
    present_decoded_bytes: u64,
    elements: u64,
    nan: u64,
    min: Option<(Num, Vec<u8>)>,
    max: Option<(Num, Vec<u8>)>,
    finite_min: Option<f64>,
    finite_max: Option<f64>,
}

fn less(a: Num, b: Num) -> bool {
    match (a, b) {
        (Num::Int(x), Num::Int(y)) => x < y,
        _ => a.as_f64() < b.as_f64(),
    }
}

impl Acc {
    fn merge(&mut self, o: Acc) {
        self.present += o.present;
        self.stored_bytes += o.stored_bytes;
        self.present_decoded_bytes += o.present_decoded_bytes;
        self.elements += o.elements;
        self.nan += o.nan;
        if let Some(m) = o.min {
            if self.min.as_ref().is_none_or(|s| less(m.0, s.0)) {
                self.min = Some(m);
            }
        }
        if let Some(m) = o.max {
            if self.max.as_ref().is_none_or(|s| less(s.0, m.0)) {
                self.max = Some(m);
            }
        }
        self.finite_min = opt_fold(self.finite_min, o.finite_min, f64::min);
        self.finite_max = opt_fold(self.finite_max, o.finite_max, f64::max);
    }

    /// Account `bytes` (elements of `kind`), each counted `weight` times (a missing chunk: the
    /// fill value once, weighted by its element count).
    fn values(&mut self, kind: zarrkit::ElementKind, bytes: &[u8], size: usize, weight: u64) {
        let mut min: Option<(Num, usize)> = None;
        let mut max: Option<(Num, usize)> = None;
        let (mut fmin, mut fmax) = (None::<f64>, None::<f64>);
        let mut nan = 0u64;
        for_each_num(kind, bytes, &mut |i, n| {
            if let Num::Float(x) = n {
                if x.is_nan() {
                    nan += 1;
                    return;
                }
            }
            if min.is_none_or(|(m, _)| less(n, m)) {
                min = Some((n, i));
            }
            if max.is_none_or(|(m, _)| less(m, n)) {
                max = Some((n, i));
            }
            let x = n.as_f64();
            if x.is_finite() {
                fmin = Some(fmin.map_or(x, |m| m.min(x)));
                fmax = Some(fmax.map_or(x, |m| m.max(x)));
            }
        });
        let elem = |i: usize| bytes.get(i * size..(i + 1) * size).unwrap_or(&[]).to_vec();
        self.merge(Acc {
            nan: nan * weight,
            min: min.map(|(n, i)| (n, elem(i))),
            max: max.map(|(n, i)| (n, elem(i))),
            finite_min: fmin,
            finite_max: fmax,
            ..Acc::default()
        });
    }
}

fn opt_fold(a: Option<f64>, b: Option<f64>, f: fn(f64, f64) -> f64) -> Option<f64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(f(x, y)),
        (x, None) => x,
        (None, y) => y,
    }
}

/// A histogram over `[lo, hi]`.
#[derive(Debug, Clone)]
struct Histogram {
    lo: f64,
    hi: f64,
    counts: Vec<u64>,
    below: u64,
    above: u64,
}

impl Histogram {
    fn new(lo: f64, hi: f64, bins: usize) -> Self {
        Self {
            lo,
            hi,
            counts: vec![0; bins.max(1)],
            below: 0,
            above: 0,
        }
    }

    fn add(&mut self, x: f64, weight: u64) {
        if x.is_nan() {
            return;
        }
        if x < self.lo {
            self.below += weight;
        } else if x > self.hi {
            self.above += weight;
        } else {
            let n = self.counts.len();
            let bin = if self.hi > self.lo {
                (((x - self.lo) / (self.hi - self.lo) * n as f64) as usize).min(n - 1)
            } else {
                0
            };
            self.counts[bin] += weight;
        }
    }

    fn merge(&mut self, o: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(&o.counts) {
            *a += b;
        }
        self.below += o.below;
        self.above += o.above;
    }

    fn json(&self) -> Value {
        let n = self.counts.len();
        let edges: Vec<f64> = (0..=n)
            .map(|i| self.lo + (self.hi - self.lo) * i as f64 / n as f64)
            .collect();
        json!({"bin_edges": edges, "counts": self.counts, "below": self.below, "above": self.above})
    }
}

/// Statistics of an array: one pass over the chunks (two without `--histogram-range`: the
/// value range, then the histogram), `--concurrent-chunks` chunks at a time, each read in
/// parts of at most [`blocks::MAX_BLOCK_BYTES`] where the array allows (inner chunks).
fn stats(a: &Array<DynStore>, args: &InfoArgs, cx: &Ctx) -> Result<Value, CliError> {
    let n_chunks = blocks::chunk_count(a);
    let (workers, codec) = blocks::concurrency(args.concurrency.concurrent_chunks, n_chunks);
    let opts = blocks::options(codec, !args.ignore_checksums);
    let kind = a
        .data_type()
        .element_kind()
        .filter(|k| crate::cast::is_numeric(Some(*k)));
    let size = a.data_type().size().fixed();
    let unit = blocks::read_unit(a);
    let max_elems = size.map_or(1 << 20, |s| blocks::MAX_BLOCK_BYTES / s.max(1) as u64);
    let full_chunk_elems = |idx: &[u64]| -> u64 {
        a.chunk_shape(idx)
            .map(|s| s.iter().product::<u64>())
            .unwrap_or(0)
    };
    let fill = a.fill_value().clone();
    let total_bytes = size.map_or(0, |s| {
        a.shape().iter().product::<u64>().saturating_mul(s as u64)
    });

    // Pass 1: presence, stored bytes, value range (and the histogram if its range is given).
    let acc = Mutex::new(Acc::default());
    let fixed_hist = match args.histogram_range.as_deref() {
        None => None,
        Some([lo, hi]) if lo <= hi => Some(Histogram::new(*lo, *hi, args.bins)),
        Some(_) => {
            return Err(CliError::new(
                "--histogram-range needs MIN,MAX with MIN <= MAX",
            ))
        }
    };
    let hist = Mutex::new(fixed_hist.clone());
    let bar = cx.bytes_bar(total_bytes, "stats");
    let read_block = |region: &zarrkit::ArraySubset| -> Result<ArrayBytes, CliError> {
        a.read_opt::<ArrayBytes>(region, &opts)
            .ctx(|| format!("cannot read region {region}"))
    };
    blocks::run(blocks::chunk_indices(a), workers, |idx| {
        let key = a.chunk_key(&idx).ctx(|| format!("chunk {idx:?}"))?;
        let stored = a
            .storage()
            .size_key(&key)
            .ctx(|| format!("cannot stat chunk {key}"))?;
        let region = blocks::chunk_region(a, &idx)?;
        let mut local = Acc {
            elements: region.num_elements(),
            ..Acc::default()
        };
        let mut local_hist = fixed_hist.clone();
        match stored {
            Some(n) => {
                local.present = 1;
                local.stored_bytes = n;
                local.present_decoded_bytes =
                    full_chunk_elems(&idx).saturating_mul(size.unwrap_or(0) as u64);
                if let (Some(k), Some(s)) = (kind, size) {
                    for piece in blocks::pieces(&region, &unit, max_elems) {
                        let b = read_block(&piece)?;
                        let bytes = b.as_fixed().unwrap_or(&[]);
                        local.values(k, bytes, s, 1);
                        if let Some(h) = &mut local_hist {
                            for_each_num(k, bytes, &mut |_, n| h.add(n.as_f64(), 1));
                        }
                        bar.inc(bytes.len() as u64);
                    }
                }
            }
            None => {
                if let (Some(k), Some(s)) = (kind, size) {
                    let w = region.num_elements();
                    local.values(k, fill.as_bytes(), s, w);
                    if let Some(h) = &mut local_hist {
                        for_each_num(k, fill.as_bytes(), &mut |_, n| h.add(n.as_f64(), w));
                    }
                    bar.inc(w.saturating_mul(s as u64));
                }
            }
        }
        if let Ok(mut g) = acc.lock() {
            g.merge(local);
        }
        if let (Some(lh), Ok(mut g)) = (local_hist, hist.lock()) {
            if let Some(h) = g.as_mut() {
                h.merge(&lh);
            }
        }
        Ok(Flow::Continue)
    })?;
    bar.finish_and_clear();
    let acc = acc.into_inner().unwrap_or_default();

    // Pass 2: the histogram over the value range found.
    let mut histogram = hist.into_inner().ok().flatten();
    if histogram.is_none() {
        if let (Some(k), Some(lo), Some(hi)) = (kind, acc.finite_min, acc.finite_max) {
            let h = Mutex::new(Histogram::new(lo, hi, args.bins));
            let bar = cx.bytes_bar(total_bytes, "histogram");
            blocks::run(blocks::chunk_indices(a), workers, |idx| {
                let region = blocks::chunk_region(a, &idx)?;
                let mut local = Histogram::new(lo, hi, args.bins);
                for piece in blocks::pieces(&region, &unit, max_elems) {
                    let b = read_block(&piece)?;
                    let bytes = b.as_fixed().unwrap_or(&[]);
                    for_each_num(k, bytes, &mut |_, n| local.add(n.as_f64(), 1));
                    bar.inc(bytes.len() as u64);
                }
                if let Ok(mut g) = h.lock() {
                    g.merge(&local);
                }
                Ok(Flow::Continue)
            })?;
            bar.finish_and_clear();
            histogram = h.into_inner().ok();
        }
    }

    let dt = a.data_type();
    let value = |m: &Option<(Num, Vec<u8>)>| -> Value {
        m.as_ref()
            .and_then(|(_, b)| dt.fill_value_to_json(&FillValue::new(b.clone())).ok())
            .unwrap_or(Value::Null)
    };
    let ratio = (acc.stored_bytes > 0 && acc.present_decoded_bytes > 0)
        .then(|| acc.present_decoded_bytes as f64 / acc.stored_bytes as f64);
    Ok(json!({
        "chunks": n_chunks,
        "chunks_present": acc.present,
        "stored_bytes": acc.stored_bytes,
        "decoded_bytes_present": acc.present_decoded_bytes,
        "compression_ratio": ratio,
        "elements": acc.elements,
        "min": value(&acc.min),
        "max": value(&acc.max),
        "nan_count": if kind.is_some() { json!(acc.nan) } else { Value::Null },
        "histogram": histogram.map_or(Value::Null, |h| h.json()),
    }))
}

/// A value from statistics for people (float32 and narrower printed at their precision).
fn value_text(v: &Value, kind: Option<zarrkit::ElementKind>) -> String {
    use zarrkit::ElementKind::{BFloat16, Float16, Float32};
    match (v.as_f64(), kind) {
        (Some(x), Some(Float32 | Float16 | BFloat16)) => format!("{}", x as f32),
        _ => compact(v),
    }
}

fn stats_text(s: &Value, kind: Option<zarrkit::ElementKind>) -> String {
    let g = |k: &str| s.get(k).cloned().unwrap_or(Value::Null);
    let mut t = format!(
        "  {:<13} {} of {} stored, {}",
        "chunks",
        g("chunks_present"),
        g("chunks"),
        human_bytes(g("stored_bytes").as_u64().unwrap_or(0))
    );
    if let Some(r) = g("compression_ratio").as_f64() {
        t.push_str(&format!(" (compression ratio {r:.2})"));
    }
    t.push('\n');
    if !g("min").is_null() {
        t.push_str(&format!(
            "  {:<13} {} .. {}, {} NaN\n",
            "range",
            value_text(&g("min"), kind),
            value_text(&g("max"), kind),
            g("nan_count")
        ));
    }
    if let Some(h) = s.get("histogram").filter(|h| !h.is_null()) {
        let edges = h
            .get("bin_edges")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let counts = h
            .get("counts")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let max = counts
            .iter()
            .filter_map(Value::as_u64)
            .max()
            .unwrap_or(0)
            .max(1);
        t.push_str(&format!(
            "  {:<13} {} bins{}\n",
            "histogram",
            counts.len(),
            match (
                h.get("below").and_then(Value::as_u64),
                h.get("above").and_then(Value::as_u64)
            ) {
                (Some(b), Some(a)) if a + b > 0 => format!(", {b} below and {a} above the range"),
                _ => String::new(),
            }
        ));
        for (i, c) in counts.iter().enumerate() {
            let c = c.as_u64().unwrap_or(0);
            let lo = edges.get(i).and_then(Value::as_f64).unwrap_or(0.0);
            let hi = edges.get(i + 1).and_then(Value::as_f64).unwrap_or(0.0);
            let bar = "#".repeat(((c as f64 / max as f64) * 40.0).round() as usize);
            t.push_str(&format!(
                "    [{:>11}, {:>11}] {c:>12} {bar}\n",
                num_text(lo),
                num_text(hi)
            ));
        }
    }
    t
}
