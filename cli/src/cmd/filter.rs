//! `zarrkit filter NAME IN OUT [PARAMETERS] [ENCODING]` and `zarrkit filter run CONFIG`:
//! zarrs_filter's filters through `zarrkit-filters`, on any store URL. Each filter processes
//! the output chunk by chunk (its input region plus the filter's halo), `--chunk-limit`
//! chunks at once, and writes the output's metadata last.

use std::sync::Mutex;

use serde_json::{json, Value};
use zarrkit::{Array, DynStore};
use zarrkit_filters::{
    run_filter, Clamp, Crop, Downsample, Encoding, Equal, ExecOptions, Filter, FilterStats,
    Gaussian, GradientMagnitude, GuidedFilter, OutputExists, OutputSpec, ProgressStats, Reencode,
    ReplaceValue, Rescale, RunConfig, RunOptions, SummedAreaTable,
};

use crate::cli::{
    EncodingArgs, Exists, FilterArgs, FilterCommand, FilterCommon, FilterIo, FilterRun, ZarrFormat,
};
use crate::cmd::info::array_metadata_as_stored;
use crate::encoding;
use crate::error::{fail, CliError, Context};
use crate::location;
use crate::output::{shape_text, Ctx, Outcome};
use crate::spec::{self, CodecKind, PresetContext};

/// Run `filter`.
pub fn run(args: &FilterArgs, cx: &Ctx) -> Result<Outcome, CliError> {
    let (name, filter, io, common): (&str, Box<dyn Filter>, &FilterIo, &FilterCommon) =
        match &args.filter {
            FilterCommand::Run(r) => {
                return run_config(r, cx).map_err(|e| e.context(format!("filter run {}", r.config)))
            }
            FilterCommand::Reencode(a) => ("reencode", Box::new(Reencode {}), &a.io, &a.common),
            FilterCommand::Crop(a) => (
                "crop",
                Box::new(Crop {
                    offset: a.offset.clone(),
                    shape: a.shape.clone(),
                }),
                &a.io,
                &a.common,
            ),
            FilterCommand::Rescale(a) => (
                "rescale",
                Box::new(Rescale {
                    multiply: a.multiply,
                    add: a.add,
                    add_first: a.add_first,
                }),
                &a.io,
                &a.common,
            ),
            FilterCommand::Clamp(a) => (
                "clamp",
                Box::new(Clamp {
                    min: a.min,
                    max: a.max,
                }),
                &a.io,
                &a.common,
            ),
            FilterCommand::Equal(a) => (
                "equal",
                Box::new(Equal {
                    value: spec::fill_value_json(&a.value),
                }),
                &a.io,
                &a.common,
            ),
            FilterCommand::Downsample(a) => (
                "downsample",
                Box::new(Downsample {
                    stride: a.stride.clone(),
                    discrete: a.discrete,
                }),
                &a.io,
                &a.common,
            ),
            FilterCommand::GradientMagnitude(a) => (
                "gradient-magnitude",
                Box::new(GradientMagnitude {}),
                &a.io,
                &a.common,
            ),
            FilterCommand::Gaussian(a) => (
                "gaussian",
                Box::new(Gaussian {
                    sigma: a.sigma.clone(),
                    kernel_half_size: a.kernel_half_size.clone(),
                }),
                &a.io,
                &a.common,
            ),
            FilterCommand::SummedAreaTable(a) => (
                "summed-area-table",
                Box::new(SummedAreaTable {}),
                &a.io,
                &a.common,
            ),
            FilterCommand::GuidedFilter(a) => (
                "guided-filter",
                Box::new(GuidedFilter {
                    epsilon: a.epsilon,
                    radius: a.radius,
                }),
                &a.io,
                &a.common,
            ),
            FilterCommand::ReplaceValue(a) => (
                "replace-value",
                Box::new(ReplaceValue {
                    value: spec::fill_value_json(&a.value),
                    replace: spec::fill_value_json(&a.replace),
                }),
                &a.io,
                &a.common,
            ),
        };
    let what = format!("filter {name} {} {}", io.input, io.output);
    one(name, filter.as_ref(), io, common, cx).map_err(|e| e.context(what))
}

/// The library's "what to do with an existing output".
pub fn exists(e: Exists) -> OutputExists {
    match e {
        Exists::Fail => OutputExists::Fail,
        Exists::Erase => OutputExists::Erase,
        Exists::Overwrite => OutputExists::Overwrite,
    }
}

/// The encoding flags (`--data-type`, `--chunk-shape`, codecs as JSON or presets, ...) as
/// the filters' [`Encoding`]. `rank` is the output's dimensionality, `element_size` the
/// output element size presets use (blosc's typesize).
pub fn filter_encoding(
    data_type: Option<&str>,
    e: &EncodingArgs,
    rank: usize,
    element_size: Option<usize>,
) -> Result<Encoding, CliError> {
    let element_size = match data_type {
        Some(d) => spec::data_type(d).ctx(|| "--data-type")?.1.size().fixed(),
        None => element_size,
    };
    let cx = PresetContext { element_size };
    let codecs = |flag: &str, s: &Option<String>, kind| -> Result<Option<Value>, CliError> {
        s.as_deref()
            .map(|s| {
                spec::codec_list(flag, s, kind, cx)
                    .and_then(|l| serde_json::to_value(l).ctx(|| format!("--{flag}")))
            })
            .transpose()
    };
    let a2b = e
        .array_to_bytes_codec
        .as_deref()
        .map(|s| {
            spec::array_to_bytes(s, cx)
                .and_then(|m| serde_json::to_value(m).ctx(|| "--array-to-bytes-codec"))
        })
        .transpose()?;
    let separator = match e.separator {
        None => None,
        Some(c @ ('.' | '/')) => Some(c.to_string()),
        Some(c) => return fail(format!("--separator {c:?} must be \".\" or \"/\"")),
    };
    Ok(Encoding {
        data_type: data_type.map(|d| d.trim().to_string()),
        fill_value: e.fill_value.as_deref().map(spec::fill_value_json),
        chunk_shape: e.chunk_shape.clone(),
        shard_shape: e.shard_shape.clone(),
        ignore_input_sharding: false,
        array_to_array_codecs: codecs(
            "array-to-array-codecs",
            &e.array_to_array_codecs,
            CodecKind::ArrayToArray,
        )?,
        array_to_bytes_codec: a2b,
        bytes_to_bytes_codecs: codecs(
            "bytes-to-bytes-codecs",
            &e.bytes_to_bytes_codecs,
            CodecKind::BytesToBytes,
        )?,
        separator,
        dimension_names: e
            .dimension_names
            .as_deref()
            .map(|d| encoding::dimension_names(d, rank))
            .transpose()?,
        attributes: e
            .attributes
            .as_deref()
            .map(|a| spec::json_object("attributes", a))
            .transpose()?,
        attributes_append: e
            .attributes_append
            .as_deref()
            .map(|a| spec::json_object("attributes-append", a))
            .transpose()?,
    })
}

/// A progress callback drawing `bar` (shared by worker threads).
fn bar_callback(bar: &indicatif::ProgressBar) -> impl Fn(&ProgressStats) + Sync + '_ {
    move |s: &ProgressStats| {
        bar.set_length(s.num_steps as u64);
        bar.set_position(s.step as u64);
        bar.set_message(format!(
            "read {:.1}s process {:.1}s write {:.1}s",
            s.read.as_secs_f64(),
            s.process.as_secs_f64(),
            s.write.as_secs_f64()
        ));
    }
}

fn stats_json(s: &FilterStats) -> Value {
    json!({
        "steps": s.steps,
        "elements_read": s.elements_read,
        "elements_written": s.elements_written,
        "read_seconds": s.read.as_secs_f64(),
        "process_seconds": s.process.as_secs_f64(),
        "write_seconds": s.write.as_secs_f64(),
        "seconds": s.elapsed.as_secs_f64(),
    })
}

fn stats_text(s: &FilterStats) -> String {
    format!(
        "{} chunks in {:.2} s (read {:.2} s, process {:.2} s, write {:.2} s, summed over threads)",
        s.steps,
        s.elapsed.as_secs_f64(),
        s.read.as_secs_f64(),
        s.process.as_secs_f64(),
        s.write.as_secs_f64()
    )
}

fn one(
    name: &str,
    filter: &dyn Filter,
    io: &FilterIo,
    common: &FilterCommon,
    cx: &Ctx,
) -> Result<Outcome, CliError> {
    if common.encoding.zarr_format == Some(ZarrFormat::V2) {
        return fail(
            "filters write Zarr V3 (--zarr-format 2: use `zarrkit reencode` on the result)",
        );
    }
    if location::same_location(&io.input, &io.output) {
        return fail("the output is the input");
    }
    let input: Array<DynStore> = location::array(&io.input, "/")?;
    let rank = filter
        .output_shape(input.shape())
        .map_or(input.dimensionality(), |s| s.len());
    let enc = filter_encoding(
        common.data_type.as_deref(),
        &common.encoding,
        rank,
        input.data_type().size().fixed(),
    )?;
    let store = location::store(&io.output)?;
    let spec = OutputSpec {
        encoding: enc,
        exists: exists(common.exists),
    };
    let exec = ExecOptions {
        chunk_limit: common.chunk_limit,
        ..ExecOptions::default()
    };
    let bar = cx.steps_bar(0, name);
    let cb = bar_callback(&bar);
    let (out, stats) =
        run_filter(filter, &input, store, "/", &spec, &exec, Some(&cb)).map_err(CliError::new)?;
    bar.finish_and_clear();
    let text = format!(
        "filter {name} {} -> {}: {} {} -> {} {}, {}",
        io.input,
        io.output,
        input.data_type().name(),
        shape_text(input.shape()),
        out.data_type().name(),
        shape_text(out.shape()),
        stats_text(&stats)
    );
    Ok(Outcome::ok(
        text,
        json!({
            "filter": filter.name(),
            "parameters": serde_json::to_value(filter).unwrap_or(Value::Null),
            "input": io.input,
            "output": io.output,
            "shape": out.shape(),
            "data_type": out.data_type().name(),
            "stats": stats_json(&stats),
            "metadata": array_metadata_as_stored(out.metadata()),
        }),
    ))
}

fn run_config(r: &FilterRun, cx: &Ctx) -> Result<Outcome, CliError> {
    let text = if r.config == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s).ctx(|| "cannot read stdin")?;
        s
    } else {
        std::fs::read_to_string(&r.config).ctx(|| format!("cannot read {}", r.config))?
    };
    let config = RunConfig::from_json(&text).map_err(CliError::new)?;
    for (i, s) in config.steps.iter().enumerate() {
        if let (Some(a), Some(b)) = (&s.input, &s.output) {
            if !a.starts_with('$') && location::same_location(a, b) {
                return fail(format!(
                    "step {i} ({}): the output is the input",
                    s.filter.name()
                ));
            }
        }
    }
    let options = RunOptions {
        tmp_dir: r.tmp.clone(),
        temporaries_in_memory: false,
        exists: exists(r.exists),
        exec: ExecOptions {
            chunk_limit: r.chunk_limit,
            ..ExecOptions::default()
        },
    };
    let bar = cx.steps_bar(0, "step 0");
    let current = Mutex::new(usize::MAX);
    let cb = |step: usize, s: &ProgressStats| {
        if let Ok(mut c) = current.lock() {
            if *c != step {
                *c = step;
                bar.reset();
                bar.set_prefix(format!(
                    "step {step} {}",
                    config.steps.get(step).map_or("", |s| s.filter.name())
                ));
            }
        }
        bar.set_length(s.num_steps as u64);
        bar.set_position(s.step as u64);
    };
    let report = zarrkit_filters::run(&config, &options, Some(&cb)).map_err(CliError::new)?;
    bar.finish_and_clear();
    let mut lines = Vec::new();
    let mut steps = Vec::new();
    for (i, s) in report.steps.iter().enumerate() {
        lines.push(format!(
            "step {i} {}: {} -> {} ({} {}), {}",
            s.filter,
            s.input,
            s.output,
            s.data_type,
            shape_text(&s.shape),
            stats_text(&s.stats)
        ));
        steps.push(json!({
            "filter": s.filter,
            "input": s.input,
            "output": s.output,
            "shape": s.shape,
            "data_type": s.data_type,
            "stats": stats_json(&s.stats),
        }));
    }
    let total: f64 = report
        .steps
        .iter()
        .map(|s| s.stats.elapsed.as_secs_f64())
        .sum();
    lines.push(format!("{} steps in {total:.2} s", report.steps.len()));
    Ok(Outcome::ok(
        lines.join("\n"),
        json!({"steps": steps, "seconds": total}),
    ))
}
