//! Multiscale pyramids: [`build_pyramid`] writes an OME-Zarr image group (0.5 / Zarr V3 or
//! 0.4 / Zarr V2) whose level 0 is the input re-encoded and each further level is computed
//! from the previous one, chunk by chunk.
//!
//! # Downsampling (exact definitions)
//! Level `l + 1` has extent `ceil(n / f)` (or `floor`, at least 1, with
//! [`Rounding::Floor`]) along an axis of extent `n` and factor `f`; output element `o` covers
//! the block `[o·f, min(o·f + f, n))` of level `l` (a last partial block covers what there
//! is; with `floor` the remainder is dropped).
//! - `mean`: the block's mean, summed in `f64` in C order and divided by the block's element
//!   count.
//! - `gaussian`: level `l` is first smoothed with a separable Gaussian along every axis with
//!   σ > 0 — weights `w[k] = exp(-k² / (2σ²))` for `k = -r..=r`, `r = floor(truncate·σ + 0.5)`
//!   (truncate 4 by default), normalised to sum 1, edges replicated (scipy.ndimage's
//!   `gaussian_filter(x, sigma, mode="nearest", truncate=4.0)`), in `f64` — and then block
//!   means are taken as for `mean`. Default σ: `f / 2` on downsampled axes, 0 elsewhere.
//! - `mode`: the block's most frequent value, ties to the smallest (integer and bool types:
//!   for label images).
//! - `nearest`: the block's first element (`x[::f]`).
//!
//! `mean` and `gaussian` results are rounded half to even for integer types and saturate to
//! the type's range (cast with `as`); float types get the `f64` value cast with `as`.
//! Channel axes are never downsampled. Level `l`'s `scale` is the physical size times the
//! product of the factors so far; with [`PyramidOptions::translation`] (default) `mean`,
//! `gaussian` and `mode` levels get the `translation` `physical · (F - 1) / 2` that puts
//! each element at the centre of its block (`nearest` keeps 0).
//!
//! # Execution
//! Output chunks (shards when sharded) are processed in parallel on the rayon pool, at most
//! [`ExecOptions::chunk_limit`] at a time; each reads only its block region of the previous
//! level (plus the Gaussian radius), so memory is a few chunks per thread.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use zarrkit_core::{Array, ArraySubset, GroupMetadataV2, GroupMetadataV3, MetadataV3, NodePath};
use zarrkit_filters::exec::{for_each_chunk, num_chunks, shape_usize, strides, Halo};
use zarrkit_filters::kernels::for_lines;
use zarrkit_filters::numeric::Prim;
use zarrkit_filters::{
    apply_filter, output_metadata, Buf, DynStore, Encoding, ExecOptions, FilterError, FilterStats,
    NumericType, OutputDefaults, OutputExists, Progress, ProgressStats, Reencode,
};

use crate::metadata::{
    Axis, AxisType, CoordinateTransformation, Dataset, ImageLabel, Multiscale, OmeMetadata,
    OmeVersion, Omero, Severity, SPACE_UNITS, TIME_UNITS,
};
use crate::OmeError;

/// The downsampling method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Gaussian smoothing, then block means.
    Gaussian,
    /// Block means.
    #[default]
    Mean,
    /// Block modes (label images).
    Mode,
    /// The first element of each block.
    Nearest,
}

impl Method {
    /// The name written as the multiscale's `type`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Gaussian => "gaussian",
            Self::Mean => "mean",
            Self::Mode => "mode",
            Self::Nearest => "nearest",
        }
    }
}

/// How level extents are rounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Rounding {
    /// `ceil(n / f)`: every element is in a block (the last may be partial).
    #[default]
    Ceil,
    /// `max(floor(n / f), 1)`: a last partial block is dropped (zarrs_ome).
    Floor,
}

/// Options of [`build_pyramid`].
#[derive(Debug, Clone)]
pub struct PyramidOptions {
    /// The OME-Zarr version (0.5: Zarr V3; 0.4: Zarr V2, no sharding).
    pub version: OmeVersion,
    /// The downsampling method.
    pub method: Method,
    /// The factor per axis (default: 2 on space axes, 1 on the others).
    pub downsample_factors: Option<Vec<u64>>,
    /// The most levels after level 0.
    pub max_levels: usize,
    /// Stop once no downsampled axis of the last level is longer than this.
    pub stop_size: u64,
    /// How level extents are rounded.
    pub rounding: Rounding,
    /// Axis names (default: the input's dimension names, else `[t, c,] [z,] y, x`).
    pub axis_names: Option<Vec<String>>,
    /// Axis types (default: from the names — `x`, `y`, `z` space, `t` time, `c` channel —
    /// or from the units; `None` entries stay untyped).
    pub axis_types: Option<Vec<Option<AxisType>>>,
    /// Units per axis (`None`: no unit). The unit `"channel"` makes a channel axis.
    pub units: Option<Vec<Option<String>>>,
    /// The physical size of a level-0 element per axis (default 1).
    pub physical_sizes: Option<Vec<f64>>,
    /// Gaussian σ per axis (default `f / 2` on downsampled axes).
    pub gaussian_sigma: Option<Vec<f64>>,
    /// The Gaussian kernel radius is `floor(truncate · σ + 0.5)`.
    pub gaussian_truncate: f64,
    /// Write the block-centre translations.
    pub translation: bool,
    /// The multiscale's `name` (default: the group's last path component, `image` at the
    /// root).
    pub name: Option<String>,
    /// The encoding of every level (chunk and shard shapes, codecs; default: the input's,
    /// chunk shapes capped to each level's shape). A data type change applies to all levels.
    pub encoding: Encoding,
    /// An `omero` block to write.
    pub omero: Option<Omero>,
    /// An `image-label` block (the pyramid is a label image; use [`Method::Mode`]).
    pub image_label: Option<ImageLabel>,
    /// Attributes for the group besides the OME metadata.
    pub group_attributes: Option<Map<String, Value>>,
    /// What to do with an existing output group.
    pub exists: OutputExists,
    /// Execution options.
    pub exec: ExecOptions,
}

impl Default for PyramidOptions {
    fn default() -> Self {
        Self {
            version: OmeVersion::V0_5,
            method: Method::Mean,
            downsample_factors: None,
            max_levels: 10,
            stop_size: 1,
            rounding: Rounding::Ceil,
            axis_names: None,
            axis_types: None,
            units: None,
            physical_sizes: None,
            gaussian_sigma: None,
            gaussian_truncate: 4.0,
            translation: true,
            name: None,
            encoding: Encoding::default(),
            omero: None,
            image_label: None,
            group_attributes: None,
            exists: OutputExists::Erase,
            exec: ExecOptions::default(),
        }
    }
}

/// One level written.
#[derive(Debug, Clone)]
pub struct LevelReport {
    /// The array's path relative to the group (`"0"`, `"1"`, ...).
    pub path: String,
    /// Its shape.
    pub shape: Vec<u64>,
    /// Its chunk (or shard) shape.
    pub chunk_shape: Vec<u64>,
    /// Its scale.
    pub scale: Vec<f64>,
    /// Its translation.
    pub translation: Vec<f64>,
    /// What writing it took.
    pub stats: FilterStats,
}

/// What [`build_pyramid`] wrote.
#[derive(Debug, Clone)]
pub struct PyramidReport {
    /// The levels, largest first.
    pub levels: Vec<LevelReport>,
    /// The group's OME-Zarr metadata.
    pub metadata: OmeMetadata,
}

/// Progress of a pyramid: the level and that level's progress.
pub type PyramidProgressCallback<'a> = &'a (dyn Fn(usize, &ProgressStats) + Sync);

fn default_names(rank: usize) -> Vec<String> {
    let all = ["t", "c", "z", "y", "x"];
    all.iter()
        .skip(all.len().saturating_sub(rank))
        .map(|s| s.to_string())
        .chain((5..rank).map(|i| format!("dim_{i}")))
        .collect()
}

fn type_of(name: &str, unit: Option<&str>) -> Option<AxisType> {
    if let Some(u) = unit {
        if u == "channel" {
            return Some(AxisType::Channel);
        }
        if SPACE_UNITS.contains(&u) {
            return Some(AxisType::Space);
        }
        if TIME_UNITS.contains(&u) {
            return Some(AxisType::Time);
        }
    }
    match name.to_ascii_lowercase().as_str() {
        "x" | "y" | "z" => Some(AxisType::Space),
        "t" | "time" => Some(AxisType::Time),
        "c" | "channel" | "ch" => Some(AxisType::Channel),
        _ => None,
    }
}

fn param(msg: String) -> OmeError {
    OmeError::Filter(FilterError::InvalidParameter(msg))
}

fn check_len<T>(what: &str, v: &Option<Vec<T>>, rank: usize) -> Result<(), OmeError> {
    match v {
        Some(v) if v.len() != rank => Err(param(format!(
            "{what} has {} values, the array has {rank} dimensions",
            v.len()
        ))),
        _ => Ok(()),
    }
}

/// The resolved axes and per-axis parameters.
struct Plan {
    axes: Vec<Axis>,
    factors: Vec<u64>,
    physical: Vec<f64>,
    sigma: Vec<f64>,
}

fn plan(input: &Array<DynStore>, o: &PyramidOptions) -> Result<Plan, OmeError> {
    let rank = input.dimensionality();
    check_len("downsample_factors", &o.downsample_factors, rank)?;
    check_len("axis_names", &o.axis_names, rank)?;
    check_len("axis_types", &o.axis_types, rank)?;
    check_len("units", &o.units, rank)?;
    check_len("physical_sizes", &o.physical_sizes, rank)?;
    check_len("gaussian_sigma", &o.gaussian_sigma, rank)?;
    let names: Vec<String> = match &o.axis_names {
        Some(n) => n.clone(),
        None => match input.dimension_names() {
            Some(d) if d.iter().all(Option::is_some) => d.iter().flatten().cloned().collect(),
            _ => default_names(rank),
        },
    };
    let units: Vec<Option<String>> = o.units.clone().unwrap_or_else(|| vec![None; rank]);
    let axes: Vec<Axis> = (0..rank)
        .map(|d| {
            let unit = units[d].clone().filter(|u| u != "channel");
            let t = match &o.axis_types {
                Some(t) => t[d].clone(),
                None => type_of(&names[d], units[d].as_deref()),
            };
            Axis::new(names[d].clone(), t, unit)
        })
        .collect();
    let factors: Vec<u64> = match &o.downsample_factors {
        Some(f) => f.clone(),
        None => axes
            .iter()
            .map(|a| {
                if a.r#type == Some(AxisType::Space) {
                    2
                } else {
                    1
                }
            })
            .collect(),
    };
    for (d, (a, f)) in axes.iter().zip(&factors).enumerate() {
        if *f == 0 {
            return Err(param(format!("downsample factor 0 on axis {d}")));
        }
        if a.r#type == Some(AxisType::Channel) && *f != 1 {
            return Err(param(format!(
                "axis {d} ({:?}) is a channel axis and is not downsampled (factor {f})",
                a.name
            )));
        }
    }
    let physical = o.physical_sizes.clone().unwrap_or_else(|| vec![1.0; rank]);
    if physical.iter().any(|p| !p.is_finite() || *p <= 0.0) {
        return Err(param(format!(
            "physical sizes {physical:?} must be positive"
        )));
    }
    let sigma = match &o.gaussian_sigma {
        Some(s) => s.clone(),
        None => factors
            .iter()
            .map(|&f| if f > 1 { f as f64 / 2.0 } else { 0.0 })
            .collect(),
    };
    if sigma.iter().any(|s| !s.is_finite() || *s < 0.0)
        || o.gaussian_truncate.is_nan()
        || o.gaussian_truncate < 0.0
    {
        return Err(param(format!(
            "gaussian sigma {sigma:?} / truncate must be ≥ 0"
        )));
    }
    Ok(Plan {
        axes,
        factors,
        physical,
        sigma,
    })
}

/// The normalised Gaussian weights for σ (radius `floor(truncate·σ + 0.5)`), as
/// scipy.ndimage's `_gaussian_kernel1d`.
pub fn gaussian_weights(sigma: f64, truncate: f64) -> Vec<f64> {
    if sigma <= 0.0 {
        return vec![1.0];
    }
    let r = (truncate * sigma + 0.5).floor() as i64;
    let w: Vec<f64> = (-r..=r)
        .map(|k| (-0.5 / (sigma * sigma) * (k * k) as f64).exp())
        .collect();
    let s: f64 = w.iter().sum();
    w.into_iter().map(|x| x / s).collect()
}

/// Smooth a C-order `f64` buffer along every axis with σ > 0 (edges replicated).
pub fn gaussian_smooth(data: Vec<f64>, shape: &[usize], sigma: &[f64], truncate: f64) -> Vec<f64> {
    let mut a = data;
    let mut b = vec![0.0f64; a.len()];
    for (dim, s) in sigma.iter().enumerate().take(shape.len()) {
        if *s <= 0.0 {
            continue;
        }
        let w = gaussian_weights(*s, truncate);
        let mid = w.len() / 2;
        for_lines(shape, dim, |base, stride, n| {
            let last = n.saturating_sub(1);
            for k in 0..n {
                let mut acc = 0.0f64;
                for (t, wt) in w.iter().enumerate() {
                    let i = (k + t).saturating_sub(mid).min(last);
                    acc += a.get(base + i * stride).copied().unwrap_or(0.0) * wt;
                }
                if let Some(o) = b.get_mut(base + k * stride) {
                    *o = acc;
                }
            }
        });
        std::mem::swap(&mut a, &mut b);
    }
    a
}

/// Visit each output element's block: `f(out_index, element offsets of its block)`.
fn for_each_block(
    in_shape: &[usize],
    factors: &[usize],
    out_shape: &[usize],
    mut f: impl FnMut(usize, &mut dyn Iterator<Item = usize>),
) {
    let rank = in_shape.len();
    let st = strides(in_shape);
    let n_out: usize = out_shape.iter().product();
    let mut o = vec![0usize; rank];
    let mut lo = vec![0usize; rank];
    let mut hi = vec![0usize; rank];
    for oi in 0..n_out {
        let mut r = oi;
        for d in (0..rank).rev() {
            o[d] = r % out_shape[d].max(1);
            r /= out_shape[d].max(1);
            lo[d] = o[d] * factors[d];
            hi[d] = (lo[d] + factors[d]).min(in_shape[d]);
        }
        if (0..rank).any(|d| lo[d] >= hi[d]) {
            f(oi, &mut std::iter::empty());
            continue;
        }
        let mut idx = lo.clone();
        let mut done = false;
        let mut it = std::iter::from_fn(|| {
            if done {
                return None;
            }
            let off: usize = (0..rank).map(|d| idx[d] * st[d]).sum();
            // Advance.
            let mut d = rank;
            loop {
                if d == 0 {
                    done = true;
                    break;
                }
                d -= 1;
                idx[d] += 1;
                if idx[d] < hi[d] {
                    break;
                }
                idx[d] = lo[d];
            }
            Some(off)
        });
        f(oi, &mut it);
    }
}

/// Block means, summed in `f64` (partial blocks average what they hold). Generic in the
/// element type so that a block is never copied to `f64` whole: a 2x2x2 pyramid level of
/// `uint16` chunks reads 8 input bytes per output element, where an `f64` copy of the input
/// was 32 more, and was most of `zarrkit ome`'s peak memory.
pub fn block_means<T: Prim>(
    data: &[T],
    in_shape: &[usize],
    factors: &[usize],
    out_shape: &[usize],
) -> Vec<f64> {
    let mut out = vec![0.0f64; out_shape.iter().product()];
    for_each_block(in_shape, factors, out_shape, |o, it| {
        let mut s = 0.0f64;
        let mut n = 0usize;
        for i in it {
            s += data.get(i).map_or(0.0, |&x| x.as_f64());
            n += 1;
        }
        if let Some(x) = out.get_mut(o) {
            *x = if n == 0 { 0.0 } else { s / n as f64 };
        }
    });
    out
}

fn modes<T: Copy + Ord + std::hash::Hash>(
    data: &[T],
    in_shape: &[usize],
    factors: &[usize],
    out_shape: &[usize],
) -> Vec<T> {
    let mut out = Vec::with_capacity(out_shape.iter().product());
    let mut counts: std::collections::HashMap<T, usize> = std::collections::HashMap::new();
    for_each_block(in_shape, factors, out_shape, |_, it| {
        counts.clear();
        for i in it {
            if let Some(v) = data.get(i) {
                *counts.entry(*v).or_insert(0) += 1;
            }
        }
        let best = counts
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
            .map(|(v, _)| *v);
        if let Some(b) = best.or_else(|| data.first().copied()) {
            out.push(b);
        }
    });
    out
}

/// Block modes of a typed buffer (ties: the smallest value); floats are refused.
pub fn block_modes(
    b: &Buf,
    in_shape: &[usize],
    factors: &[usize],
    out_shape: &[usize],
) -> Result<Buf, OmeError> {
    Ok(match b {
        Buf::Bool(v) => Buf::Bool(modes(v, in_shape, factors, out_shape)),
        Buf::Int8(v) => Buf::Int8(modes(v, in_shape, factors, out_shape)),
        Buf::Int16(v) => Buf::Int16(modes(v, in_shape, factors, out_shape)),
        Buf::Int32(v) => Buf::Int32(modes(v, in_shape, factors, out_shape)),
        Buf::Int64(v) => Buf::Int64(modes(v, in_shape, factors, out_shape)),
        Buf::UInt8(v) => Buf::UInt8(modes(v, in_shape, factors, out_shape)),
        Buf::UInt16(v) => Buf::UInt16(modes(v, in_shape, factors, out_shape)),
        Buf::UInt32(v) => Buf::UInt32(modes(v, in_shape, factors, out_shape)),
        Buf::UInt64(v) => Buf::UInt64(modes(v, in_shape, factors, out_shape)),
        b => {
            return Err(param(format!(
                "mode downsampling needs an integer or bool data type, not {}",
                b.numeric_type().name()
            )))
        }
    })
}

/// The first element of each block.
pub fn block_firsts(
    b: &Buf,
    in_shape: &[usize],
    factors: &[usize],
    out_shape: &[usize],
) -> Result<Buf, OmeError> {
    let ty = b.numeric_type();
    let size = ty.size();
    let src = b.as_bytes();
    let mut out = Buf::zeros(ty, out_shape.iter().product())?;
    let dst = out.as_bytes_mut();
    for_each_block(in_shape, factors, out_shape, |o, it| {
        if let (Some(i), Some(d)) = (it.next(), dst.get_mut(o * size..(o + 1) * size)) {
            if let Some(s) = src.get(i * size..(i + 1) * size) {
                d.copy_from_slice(s);
            }
        }
    });
    Ok(out)
}

/// `f64` values to a type: integers rounded half to even (saturating), floats cast.
pub fn from_f64_rounded(ty: NumericType, v: &[f64]) -> Buf {
    if ty.is_float() {
        Buf::from_f64(ty, v)
    } else {
        let r: Vec<f64> = v.iter().map(|x| x.round_ties_even()).collect();
        Buf::from_f64(ty, &r)
    }
}

fn level_shape(shape: &[u64], factors: &[u64], rounding: Rounding) -> Vec<u64> {
    shape
        .iter()
        .zip(factors)
        .map(|(&n, &f)| match rounding {
            Rounding::Ceil => n.div_ceil(f).max(1),
            Rounding::Floor => (n / f).max(1),
        })
        .collect()
}

fn child_path(group: &NodePath, name: &str) -> Result<String, OmeError> {
    Ok(group
        .child(name)
        .map_err(|e| OmeError::Filter(e.into()))?
        .as_str()
        .to_string())
}

/// Create a level array (metadata not written) from the previous level's metadata.
fn level_array(
    prev: &Array<DynStore>,
    store: &Arc<DynStore>,
    path: &str,
    shape: Vec<u64>,
    o: &PyramidOptions,
    names: &[String],
) -> Result<Array<DynStore>, OmeError> {
    let mut enc = o.encoding.clone();
    if o.version == OmeVersion::V0_5 {
        enc.dimension_names = Some(names.iter().cloned().map(Some).collect());
    } else {
        enc.dimension_names = None;
        if enc.shard_shape.is_some() {
            return Err(param("OME-Zarr 0.4 (Zarr V2) cannot be sharded".into()));
        }
        enc.ignore_input_sharding = true;
    }
    enc.attributes = Some(Map::new());
    enc.attributes_append = None;
    let defaults = OutputDefaults {
        shape,
        data_type: None,
    };
    let mut m = output_metadata(prev, &defaults, &enc)?;
    let sep = enc.separator.clone().unwrap_or_else(|| "/".into());
    let mut kc = Map::new();
    kc.insert("separator".into(), Value::String(sep));
    match o.version {
        OmeVersion::V0_5 => {
            m.chunk_key_encoding = MetadataV3::new_with_configuration("default", kc);
            Ok(Array::new_with_metadata(store.clone(), path, m).map_err(FilterError::from)?)
        }
        OmeVersion::V0_4 => {
            m.dimension_names = None;
            m.chunk_key_encoding = MetadataV3::new_with_configuration("v2", kc);
            let a = Array::new_with_metadata(store.clone(), path, m).map_err(FilterError::from)?;
            let v2 = a.to_v2().map_err(FilterError::from)?;
            Ok(Array::new_with_metadata(store.clone(), path, v2).map_err(FilterError::from)?)
        }
    }
}

fn downsample_level(
    prev: &Array<DynStore>,
    out: &Array<DynStore>,
    p: &Plan,
    o: &PyramidOptions,
    progress: &Progress<'_>,
) -> Result<(), OmeError> {
    let in_ty = NumericType::of_checked(prev.data_type())?;
    let out_ty = NumericType::of_checked(out.data_type())?;
    let shape = prev.shape().to_vec();
    let factors: Vec<usize> = p.factors.iter().map(|&f| f as usize).collect();
    let radius: Vec<u64> = if o.method == Method::Gaussian {
        p.sigma
            .iter()
            .map(|&s| (gaussian_weights(s, o.gaussian_truncate).len() / 2) as u64)
            .collect()
    } else {
        vec![0; shape.len()]
    };
    let copts = o.exec.task_codec_options();
    for_each_chunk(out, o.exec.chunk_limit(), |_, out_sub| {
        let start: Vec<u64> = out_sub
            .start()
            .iter()
            .zip(&p.factors)
            .map(|(s, f)| s * f)
            .collect();
        let end: Vec<u64> = out_sub
            .end_exc()
            .iter()
            .zip(&p.factors)
            .zip(&shape)
            .map(|((e, f), n)| (e * f).min(*n))
            .collect();
        let block_region = ArraySubset::from_start_end(&start, &end)?;
        let halo = Halo::new(&shape, &block_region, &radius)?;
        let data = progress.read(halo.outer.num_elements(), || {
            Buf::read(prev, in_ty, &halo.outer, &copts)
        })?;
        let out_shape = shape_usize(out_sub)?;
        let result = progress.process(|| -> Result<Buf, OmeError> {
            let outer_shape = shape_usize(&halo.outer)?;
            Ok(match o.method {
                Method::Mean => from_f64_rounded(
                    out_ty,
                    &zarrkit_filters::numeric::with_buf!(&data, v => {
                        block_means(v, &outer_shape, &factors, &out_shape)
                    }),
                ),
                Method::Gaussian => {
                    let g =
                        gaussian_smooth(data.to_f64(), &outer_shape, &p.sigma, o.gaussian_truncate);
                    let g = zarrkit_filters::exec::extract(&g, &outer_shape, &halo.inner);
                    let inner_shape = shape_usize(&halo.inner)?;
                    from_f64_rounded(out_ty, &block_means(&g, &inner_shape, &factors, &out_shape))
                }
                Method::Mode => {
                    block_modes(&data, &outer_shape, &factors, &out_shape)?.cast(out_ty)
                }
                Method::Nearest => {
                    block_firsts(&data, &outer_shape, &factors, &out_shape)?.cast(out_ty)
                }
            })
        });
        let result = result.map_err(|e| match e {
            OmeError::Filter(f) => f,
            e => FilterError::Other(e.to_string()),
        })?;
        progress.write(out_sub.num_elements(), || {
            result.write(out, out_sub, &copts)
        })?;
        progress.next();
        Ok(())
    })?;
    Ok(())
}

fn chunk_shape_of(a: &Array<DynStore>) -> Vec<u64> {
    a.chunk_shape(&vec![0; a.dimensionality()])
        .unwrap_or_default()
}

/// Build a multiscale pyramid of `input` as an OME-Zarr image group at `path` of `store`.
/// Level arrays are `path/0`, `path/1`, ...; the group's metadata is written last (so an
/// interrupted run leaves no OME metadata).
pub fn build_pyramid(
    input: &Array<DynStore>,
    store: Arc<DynStore>,
    path: &str,
    options: &PyramidOptions,
    progress: Option<PyramidProgressCallback<'_>>,
) -> Result<PyramidReport, OmeError> {
    let o = options;
    let p = plan(input, o)?;
    let in_ty = NumericType::of_checked(input.data_type())?;
    if o.method == Method::Mode && in_ty.is_float() {
        return Err(param(format!(
            "mode downsampling needs an integer or bool data type, not {}",
            in_ty.name()
        )));
    }
    let group = NodePath::new(path).map_err(FilterError::from)?;
    let names: Vec<String> = p.axes.iter().map(|a| a.name.clone()).collect();
    let channel_axis = p
        .axes
        .iter()
        .position(|a| a.r#type == Some(AxisType::Channel));
    if let Some(om) = &o.omero {
        let want = channel_axis.map_or(1, |c| input.shape()[c]);
        if om.channels.len() as u64 != want {
            return Err(param(format!(
                "omero lists {} channels, the image has {want} ({})",
                om.channels.len(),
                match channel_axis {
                    Some(c) => format!("the extent of channel axis {c} {:?}", p.axes[c].name),
                    None => "no channel axis".to_string(),
                }
            )));
        }
    }

    // Check the axes before any work.
    let mut draft = OmeMetadata::new(o.version);
    draft.multiscales = Some(vec![Multiscale {
        version: None,
        name: None,
        r#type: None,
        axes: p.axes.clone(),
        datasets: vec![Dataset {
            path: "0".into(),
            coordinate_transformations: vec![CoordinateTransformation::scale(&p.physical)],
            extra: Map::new(),
        }],
        coordinate_transformations: None,
        metadata: None,
        extra: Map::new(),
    }]);
    if let Some(i) = draft
        .validate()
        .into_iter()
        .find(|i| i.severity == Severity::Error)
    {
        return Err(OmeError::Invalid {
            path: i.path,
            message: format!("{} (set axis_names / axis_types / units)", i.message),
        });
    }

    match o.exists {
        OutputExists::Fail => {
            if zarrkit_filters::node_exists(&*store, group.as_str())? {
                return Err(OmeError::Filter(FilterError::Other(format!(
                    "the output {:?} exists",
                    group.as_str()
                ))));
            }
        }
        OutputExists::Erase => store
            .erase_prefix(&group.prefix())
            .map_err(FilterError::from)?,
        OutputExists::Overwrite => {}
    }

    let level_cb = |level: usize| progress.map(|cb| move |s: &ProgressStats| cb(level, s));

    // Level 0: the input re-encoded.
    let l0_path = child_path(&group, "0")?;
    let level0 = level_array(input, &store, &l0_path, input.shape().to_vec(), o, &names)?;
    let cb0 = level_cb(0);
    let stats0 = apply_filter(
        &Reencode {},
        input,
        &level0,
        &o.exec,
        cb0.as_ref().map(|c| c as &(dyn Fn(&ProgressStats) + Sync)),
    )?;
    level0.store_metadata().map_err(FilterError::from)?;

    let mut levels = vec![LevelReport {
        path: "0".into(),
        shape: level0.shape().to_vec(),
        chunk_shape: chunk_shape_of(&level0),
        scale: p.physical.clone(),
        translation: vec![0.0; p.physical.len()],
        stats: stats0,
    }];
    let mut prev = level0;
    let mut cumulative: Vec<u64> = vec![1; p.factors.len()];
    for l in 1..=o.max_levels {
        let down: Vec<usize> = (0..p.factors.len()).filter(|&d| p.factors[d] > 1).collect();
        if down.is_empty() || down.iter().all(|&d| prev.shape()[d] <= o.stop_size.max(1)) {
            break;
        }
        let shape = level_shape(prev.shape(), &p.factors, o.rounding);
        if shape == prev.shape() {
            break;
        }
        let name = l.to_string();
        let lp = child_path(&group, &name)?;
        let out = level_array(&prev, &store, &lp, shape, o, &names)?;
        let cb = level_cb(l);
        let prog = Progress::new(
            num_chunks(&out)?.1,
            cb.as_ref().map(|c| c as &(dyn Fn(&ProgressStats) + Sync)),
        );
        downsample_level(&prev, &out, &p, o, &prog)?;
        out.store_metadata().map_err(FilterError::from)?;
        cumulative
            .iter_mut()
            .zip(&p.factors)
            .for_each(|(c, f)| *c = c.saturating_mul(*f));
        let scale: Vec<f64> = p
            .physical
            .iter()
            .zip(&cumulative)
            .map(|(s, c)| s * *c as f64)
            .collect();
        let translation: Vec<f64> = if o.method == Method::Nearest {
            vec![0.0; scale.len()]
        } else {
            p.physical
                .iter()
                .zip(&cumulative)
                .map(|(s, c)| s * (*c as f64 - 1.0) / 2.0)
                .collect()
        };
        levels.push(LevelReport {
            path: name,
            shape: out.shape().to_vec(),
            chunk_shape: chunk_shape_of(&out),
            scale,
            translation,
            stats: prog.finish(),
        });
        prev = out;
    }

    // The group's metadata.
    let datasets: Vec<Dataset> = levels
        .iter()
        .map(|l| {
            let mut cts = vec![CoordinateTransformation::scale(&l.scale)];
            if o.translation && l.translation.iter().any(|t| *t != 0.0) {
                cts.push(CoordinateTransformation::translation(&l.translation));
            }
            Dataset {
                path: l.path.clone(),
                coordinate_transformations: cts,
                extra: Map::new(),
            }
        })
        .collect();
    let mut md = Map::new();
    md.insert(
        "description".into(),
        Value::String(format!(
            "downsampled with zarrkit-ome {}",
            env!("CARGO_PKG_VERSION")
        )),
    );
    md.insert(
        "method".into(),
        Value::String(format!(
            "zarrkit_ome::build_pyramid ({})",
            o.method.as_str()
        )),
    );
    md.insert(
        "version".into(),
        Value::String(env!("CARGO_PKG_VERSION").into()),
    );
    let mut kwargs = Map::new();
    kwargs.insert("downsample_factors".into(), Value::from(p.factors.clone()));
    if o.method == Method::Gaussian {
        kwargs.insert(
            "sigma".into(),
            Value::Array(
                p.sigma
                    .iter()
                    .map(|s| Value::Number(crate::json::num(*s)))
                    .collect(),
            ),
        );
        kwargs.insert(
            "truncate".into(),
            Value::Number(crate::json::num(o.gaussian_truncate)),
        );
        kwargs.insert("mode".into(), Value::String("nearest".into()));
    }
    md.insert("kwargs".into(), Value::Object(kwargs));
    let mut meta = OmeMetadata::new(o.version);
    meta.multiscales = Some(vec![Multiscale {
        version: None,
        // A name (the strict schemas require one): the group's last path component.
        name: Some(o.name.clone().unwrap_or_else(|| {
            group
                .as_str()
                .rsplit('/')
                .find(|c| !c.is_empty())
                .unwrap_or("image")
                .to_string()
        })),
        r#type: Some(o.method.as_str().into()),
        axes: p.axes.clone(),
        datasets,
        coordinate_transformations: None,
        metadata: Some(Value::Object(md)),
        extra: Map::new(),
    }]);
    meta.omero = match &o.omero {
        Some(om) if om.channels.iter().any(|c| c.window.is_none()) => {
            let mut om = om.clone();
            let ranges = channel_ranges(&prev, channel_axis, &o.exec)?;
            let ty = NumericType::of_checked(prev.data_type())?;
            for (c, r) in om.channels.iter_mut().zip(ranges) {
                if c.window.is_none() {
                    c.window = Some(default_window(ty, r));
                }
            }
            Some(om)
        }
        om => om.clone(),
    };
    meta.image_label = o.image_label.clone();
    if let Some(g) = &o.group_attributes {
        meta.other_attributes = g.clone();
    }
    meta.check()?;
    let attrs = meta.to_attributes();
    let grp = match o.version {
        OmeVersion::V0_5 => {
            let mut g = GroupMetadataV3::new();
            g.attributes = Some(attrs);
            zarrkit_core::Group::new_with_metadata(store.clone(), group.as_str(), g)
        }
        OmeVersion::V0_4 => {
            let mut g = GroupMetadataV2::new();
            g.attributes = Some(attrs);
            zarrkit_core::Group::new_with_metadata(store.clone(), group.as_str(), g)
        }
    }
    .map_err(FilterError::from)?;
    grp.store_metadata().map_err(FilterError::from)?;
    Ok(PyramidReport {
        levels,
        metadata: meta,
    })
}

/// The value range `(min, max)` of each channel of `array` (NaN ignored; `None` for a channel
/// without a number), computed chunk by chunk in parallel. Without a channel axis the whole
/// array is one channel.
pub fn channel_ranges(
    array: &Array<DynStore>,
    channel_axis: Option<usize>,
    exec: &ExecOptions,
) -> Result<Vec<Option<(f64, f64)>>, OmeError> {
    let ty = NumericType::of_checked(array.data_type())?;
    let n_channels = match channel_axis {
        Some(c) => usize::try_from(array.shape()[c])
            .map_err(|_| param(format!("channel axis {c} is too long")))?,
        None => 1,
    };
    let ranges = parking_lot::Mutex::new(vec![None::<(f64, f64)>; n_channels]);
    let copts = exec.task_codec_options();
    for_each_chunk(array, exec.chunk_limit(), |_, sub| {
        let data = Buf::read(array, ty, sub, &copts)?.to_f64();
        let shape = shape_usize(sub)?;
        let (inner, extent, first) = match channel_axis {
            Some(c) => (
                strides(&shape)[c],
                shape[c],
                usize::try_from(sub.start()[c]).unwrap_or(usize::MAX),
            ),
            None => (1, 1, 0),
        };
        let mut local = vec![None::<(f64, f64)>; extent.max(1)];
        for (i, v) in data.iter().enumerate() {
            if v.is_nan() {
                continue;
            }
            let ch = (i / inner.max(1)) % extent.max(1);
            let r = &mut local[ch];
            *r = Some(match *r {
                Some((lo, hi)) => (lo.min(*v), hi.max(*v)),
                None => (*v, *v),
            });
        }
        let mut all = ranges.lock();
        for (k, r) in local.into_iter().enumerate() {
            let (Some((lo, hi)), Some(slot)) = (r, all.get_mut(first.saturating_add(k))) else {
                continue;
            };
            *slot = Some(match *slot {
                Some((a, b)) => (a.min(lo), b.max(hi)),
                None => (lo, hi),
            });
        }
        Ok(())
    })?;
    Ok(ranges.into_inner())
}

fn window_number(v: f64) -> serde_json::Number {
    if v.fract() == 0.0 && v.abs() < 9.0e15 {
        serde_json::Number::from(v as i64)
    } else {
        crate::json::num(v)
    }
}

/// An `omero` window for a channel of value range `range`: `start`/`end` the range,
/// `min`/`max` the data type's range (integers and bool) or the value range (floats).
pub fn default_window(ty: NumericType, range: Option<(f64, f64)>) -> crate::metadata::Window {
    let (lo, hi) = range.unwrap_or((0.0, 0.0));
    let (tmin, tmax) = match ty {
        NumericType::Bool => (0.0, 1.0),
        NumericType::Int8 => (i8::MIN as f64, i8::MAX as f64),
        NumericType::Int16 => (i16::MIN as f64, i16::MAX as f64),
        NumericType::Int32 => (i32::MIN as f64, i32::MAX as f64),
        NumericType::Int64 => (i64::MIN as f64, i64::MAX as f64),
        NumericType::UInt8 => (0.0, u8::MAX as f64),
        NumericType::UInt16 => (0.0, u16::MAX as f64),
        NumericType::UInt32 => (0.0, u32::MAX as f64),
        NumericType::UInt64 => (0.0, u64::MAX as f64),
        _ => (lo, hi),
    };
    let big = |v: f64| -> serde_json::Number {
        // 64-bit extremes are not exact in f64: write them as integers.
        match ty {
            NumericType::Int64 if v == tmin => serde_json::Number::from(i64::MIN),
            NumericType::Int64 if v == tmax => serde_json::Number::from(i64::MAX),
            NumericType::UInt64 if v == tmax => serde_json::Number::from(u64::MAX),
            _ => window_number(v),
        }
    };
    crate::metadata::Window {
        min: big(tmin),
        max: big(tmax),
        start: window_number(lo),
        end: window_number(hi),
        extra: Map::new(),
    }
}
