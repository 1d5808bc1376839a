//! `zarrkit ome IN OUT [FACTORS]`: an OME-Zarr multiscale pyramid through `zarrkit-ome`
//! (OME-Zarr 0.5 on Zarr V3 or 0.4 on Zarr V2; a `.ozx` output is the single-file zip of
//! RFC-9). Flag names follow zarrs_ome where it has the option.

use std::path::Path;

use serde_json::{json, Map, Value};
use zarrkit::{Array, DynStore};
use zarrkit_filters::{ExecOptions, ProgressStats};
use zarrkit_ome::{
    build_pyramid, build_pyramid_ozx, AxisType, ImageLabel, Method, OmeMetadata, OmeVersion,
    PyramidOptions, PyramidReport, Rounding,
};

use crate::cli::{OmeArgs, OmeMethod, OmeRounding, OmeZarrVersion, ZarrFormat};
use crate::cmd::filter::{exists, filter_encoding};
use crate::error::{fail, CliError, Context};
use crate::location;
use crate::output::{compact, human_bytes, shape_text, Ctx, Outcome};
use crate::spec;

/// Run `ome`.
pub fn run(args: &OmeArgs, cx: &Ctx) -> Result<Outcome, CliError> {
    let what = format!("ome {} {}", args.input, args.output);
    ome(args, cx).map_err(|e| e.context(what))
}

/// The `.ozx` file an output names, if it is one (a path, or a `file://` URL, ending in
/// `.ozx`).
fn ozx_path(output: &str) -> Option<&Path> {
    let p = output.strip_prefix("file://").unwrap_or(output);
    (!p.contains("://") && p.to_ascii_lowercase().ends_with(".ozx")).then(|| Path::new(p))
}

/// The pyramid options the flags give, for an input of `rank` dimensions.
pub fn options(args: &OmeArgs, input: &Array<DynStore>) -> Result<PyramidOptions, CliError> {
    let rank = input.dimensionality();
    let version = match args.ome_zarr_version {
        OmeZarrVersion::V0_4 => OmeVersion::V0_4,
        OmeZarrVersion::V0_5 => OmeVersion::V0_5,
    };
    match (args.encoding.zarr_format, version) {
        (Some(ZarrFormat::V3), OmeVersion::V0_4) | (Some(ZarrFormat::V2), OmeVersion::V0_5) => {
            return fail(format!(
                "--zarr-format contradicts --ome-zarr-version {} (0.4 is Zarr V2, 0.5 Zarr V3)",
                version.as_str()
            ))
        }
        _ => {}
    }
    let method = match (
        args.method,
        args.discrete || args.label,
        &args.gaussian_sigma,
    ) {
        (Some(m), _, _) => match m {
            OmeMethod::Gaussian => Method::Gaussian,
            OmeMethod::Mean => Method::Mean,
            OmeMethod::Mode => Method::Mode,
            OmeMethod::Nearest => Method::Nearest,
        },
        (None, true, _) => Method::Mode,
        (None, false, Some(_)) => Method::Gaussian,
        (None, false, None) => Method::Mean,
    };
    let per_axis = |flag: &str, n: usize| -> Result<(), CliError> {
        if n != rank {
            fail(format!(
                "--{flag} has {n} values but the array has {rank} dimensions"
            ))
        } else {
            Ok(())
        }
    };
    if let Some(f) = &args.downsample_factor {
        per_axis("downsample factor", f.len())?;
    }
    let mut truncate = args.gaussian_truncate;
    if let Some(k) = &args.gaussian_kernel_half_size {
        per_axis("gaussian-kernel-half-size", k.len())?;
        // σ per axis as the library defaults it, unless given.
        let factors: Vec<u64> = args.downsample_factor.clone().unwrap_or_default();
        let sigma: Vec<f64> =
            match &args.gaussian_sigma {
                Some(s) => s.clone(),
                None if !factors.is_empty() => factors
                    .iter()
                    .map(|&f| if f > 1 { f as f64 / 2.0 } else { 0.0 })
                    .collect(),
                None => return fail(
                    "--gaussian-kernel-half-size needs --gaussian-sigma or the downsample factors",
                ),
            };
        // One truncation t with floor(t·σ + 0.5) = k on every axis with σ > 0.
        let (mut lo, mut hi) = (0.0f64, f64::INFINITY);
        for (&k, &s) in k.iter().zip(&sigma) {
            if s > 0.0 {
                lo = lo.max((k as f64 - 0.5) / s);
                hi = hi.min((k as f64 + 0.5) / s);
            }
        }
        if lo >= hi {
            return fail(format!(
                "--gaussian-kernel-half-size {k:?} with σ {sigma:?}: no single truncation gives these \
                 radii (use --gaussian-truncate)"
            ));
        }
        truncate = if hi.is_finite() { (lo + hi) / 2.0 } else { lo };
    }
    let units = args.physical_units.as_ref().map(|u| {
        u.iter()
            .map(|s| (!s.is_empty()).then(|| s.clone()))
            .collect::<Vec<_>>()
    });
    let axis_types = args.axis_types.as_ref().map(|t| {
        t.iter()
            .map(|s| (!s.is_empty()).then(|| AxisType::parse(s)))
            .collect::<Vec<_>>()
    });
    let group_attributes = args
        .group_attributes
        .as_deref()
        .map(|a| spec::json_object("group-attributes", a))
        .transpose()?;
    let omero = match &args.omero {
        None => None,
        Some(s) => {
            let v: Value = serde_json::from_str(s).ctx(|| "--omero: invalid JSON")?;
            let mut m = Map::new();
            m.insert("omero".into(), v);
            OmeMetadata::from_attributes(&m)
                .map_err(|e| CliError::new(e).context("--omero"))?
                .omero
        }
    };
    let image_label = args.label.then(|| ImageLabel {
        version: None,
        colors: None,
        properties: None,
        source: None,
        extra: Map::new(),
    });
    let encoding = filter_encoding(
        args.data_type.as_deref(),
        &args.encoding,
        rank,
        input.data_type().size().fixed(),
    )?;
    Ok(PyramidOptions {
        version,
        method,
        downsample_factors: args.downsample_factor.clone(),
        max_levels: args.max_levels,
        stop_size: args.stop_size,
        rounding: match args.rounding {
            OmeRounding::Ceil => Rounding::Ceil,
            OmeRounding::Floor => Rounding::Floor,
        },
        axis_names: args.axis_names.clone(),
        axis_types,
        units,
        physical_sizes: args.physical_size.clone(),
        gaussian_sigma: args.gaussian_sigma.clone(),
        gaussian_truncate: truncate,
        translation: !args.no_translation,
        name: args.name.clone(),
        encoding,
        omero,
        image_label,
        group_attributes,
        exists: exists(args.exists),
        exec: ExecOptions {
            chunk_limit: args.chunk_limit,
            ..ExecOptions::default()
        },
    })
}

fn ome(args: &OmeArgs, cx: &Ctx) -> Result<Outcome, CliError> {
    if location::same_location(&args.input, &args.output) {
        return fail("the output is the input");
    }
    let input = location::array(&args.input, "/")?;
    let o = options(args, &input)?;
    let bar = cx.steps_bar(0, "level 0");
    let current = std::sync::Mutex::new(usize::MAX);
    let cb = |level: usize, s: &ProgressStats| {
        if let Ok(mut c) = current.lock() {
            if *c != level {
                *c = level;
                bar.reset();
                bar.set_prefix(format!("level {level}"));
            }
        }
        bar.set_length(s.num_steps as u64);
        bar.set_position(s.step as u64);
    };
    let start = std::time::Instant::now();
    let (report, ozx_bytes): (PyramidReport, Option<u64>) = match ozx_path(&args.output) {
        Some(p) => {
            if p.exists() && args.exists == crate::cli::Exists::Fail {
                return fail(format!("{} exists (use --exists erase)", p.display()));
            }
            let (r, n) = build_pyramid_ozx(&input, p, &o, Some(&cb)).map_err(CliError::new)?;
            (r, Some(n))
        }
        None => {
            let store = location::store(&args.output)?;
            (
                build_pyramid(&input, store, "/", &o, Some(&cb)).map_err(CliError::new)?,
                None,
            )
        }
    };
    bar.finish_and_clear();
    let secs = start.elapsed().as_secs_f64();
    let mut text = format!(
        "ome {} -> {}: OME-Zarr {} ({} on Zarr V{}), {} levels in {secs:.2} s{}",
        args.input,
        args.output,
        o.version.as_str(),
        o.method.as_str(),
        o.version.zarr_format(),
        report.levels.len(),
        ozx_bytes.map_or(String::new(), |n| format!(", {} zip", human_bytes(n)))
    );
    let mut levels = Vec::new();
    for l in &report.levels {
        text.push_str(&format!(
            "\n  {:<3} shape {} chunks {} scale {} translation {}",
            l.path,
            shape_text(&l.shape),
            shape_text(&l.chunk_shape),
            compact(&json!(l.scale)),
            compact(&json!(l.translation))
        ));
        levels.push(json!({
            "path": l.path,
            "shape": l.shape,
            "chunk_shape": l.chunk_shape,
            "scale": l.scale,
            "translation": l.translation,
            "seconds": l.stats.elapsed.as_secs_f64(),
            "chunks": l.stats.steps,
        }));
    }
    Ok(Outcome::ok(
        text,
        json!({
            "input": args.input,
            "output": args.output,
            "version": o.version.as_str(),
            "method": o.method.as_str(),
            "levels": levels,
            "ozx_bytes": ozx_bytes,
            "seconds": secs,
            "attributes": Value::Object(report.metadata.to_attributes()),
        }),
    ))
}
