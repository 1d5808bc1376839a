//! The [`Filter`] trait (a serialisable trait object, `typetag` tag `"filter"`), the filters,
//! and the drivers [`apply_filter`] and [`run_filter`].

mod downsample;
mod kernel;
mod pointwise;
mod sat;

use std::sync::Arc;

use serde_json::Value;
use zarrkit_core::storage::{ReadableStorageExt, ReadableWritableListableStorageTraits};
use zarrkit_core::{Array, ArraySubset};

pub use downsample::Downsample;
pub use kernel::{gaussian_kernel, Gaussian, GradientMagnitude};
pub use pointwise::{Clamp, Crop, Equal, Reencode, ReplaceValue, Rescale};
pub use sat::{GuidedFilter, SummedAreaTable};

use crate::encoding::{output_metadata, Encoding, OutputDefaults};
use crate::exec::{for_each_chunk, num_chunks, ExecOptions};
use crate::numeric::{Buf, NumericType};
use crate::progress::{FilterStats, Progress, ProgressCallback};
use crate::FilterError;

/// The store type filters read and write.
pub type DynStore = dyn ReadableWritableListableStorageTraits;

/// What a filter run has to work with.
pub struct Context<'a> {
    /// The execution options.
    pub options: ExecOptions,
    /// The progress (one step per output chunk unless [`Filter::num_steps`] says otherwise).
    pub progress: &'a Progress<'a>,
}

/// An image filter over arrays: a serialisable trait object. In JSON the member `"filter"`
/// names the filter (`"reencode"`, `"crop"`, `"rescale"`, `"clamp"`, `"equal"`,
/// `"downsample"`, `"gradient_magnitude"`, `"gaussian"`, `"summed_area_table"`,
/// `"guided_filter"`, `"replace_value"`), the other members are its parameters.
#[typetag::serde(tag = "filter")]
pub trait Filter: Send + Sync + std::fmt::Debug {
    /// The filter's name (as in JSON).
    fn name(&self) -> &'static str;

    /// The output shape for an input shape (errors name the parameter that does not fit).
    fn output_shape(&self, input_shape: &[u64]) -> Result<Vec<u64>, FilterError> {
        Ok(input_shape.to_vec())
    }

    /// The filter's own output data type and fill value (V3 JSON), if it has one.
    fn output_data_type(&self, _input: NumericType) -> Option<(NumericType, Value)> {
        None
    }

    /// Check the data types and parameters against the arrays.
    fn check(
        &self,
        _input_shape: &[u64],
        _input: NumericType,
        _output: NumericType,
    ) -> Result<(), FilterError> {
        Ok(())
    }

    /// Units of progress for this output array (default: its chunks).
    fn num_steps(&self, output: &Array<DynStore>) -> Result<usize, FilterError> {
        Ok(num_chunks(output)?.1)
    }

    /// Run the filter: read `input`, write every chunk of `output` (already created with the
    /// shape [`Filter::output_shape`] gives).
    fn apply(
        &self,
        input: &Array<DynStore>,
        output: &Array<DynStore>,
        ctx: &Context<'_>,
    ) -> Result<(), FilterError>;
}

/// Check that a parameter has one value per dimension.
pub(crate) fn check_rank<T>(what: &str, v: &[T], rank: usize) -> Result<(), FilterError> {
    if v.len() == rank {
        Ok(())
    } else {
        Err(FilterError::InvalidParameter(format!(
            "{what} has {} values, the array has {rank} dimensions",
            v.len()
        )))
    }
}

/// Run `filter` from `input` to `output` (both existing arrays; the output's shape must be
/// the filter's output shape). Output chunks are processed in parallel, at most
/// `options.chunk_limit` at a time, each from its input region (plus the filter's halo).
pub fn apply_filter(
    filter: &dyn Filter,
    input: &Array<DynStore>,
    output: &Array<DynStore>,
    options: &ExecOptions,
    progress: Option<ProgressCallback<'_>>,
) -> Result<FilterStats, FilterError> {
    let in_ty = NumericType::of_checked(input.data_type())?;
    let out_ty = NumericType::of_checked(output.data_type())?;
    let expected = filter.output_shape(input.shape())?;
    if output.shape() != expected.as_slice() {
        return Err(FilterError::InvalidParameter(format!(
            "{}: the output shape is {:?}, the filter makes {expected:?}",
            filter.name(),
            output.shape()
        )));
    }
    filter.check(input.shape(), in_ty, out_ty)?;
    let progress = Progress::new(filter.num_steps(output)?, progress);
    let ctx = Context {
        options: *options,
        progress: &progress,
    };
    filter.apply(input, output, &ctx)?;
    Ok(progress.finish())
}

/// What to do when the output node already exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputExists {
    /// Erase everything under the output node first (zarrs_filter's default).
    #[default]
    Erase,
    /// Fail.
    Fail,
    /// Write over it (keys the filter does not write stay).
    Overwrite,
}

/// Where and how a filter's output is written.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OutputSpec {
    /// The output encoding (defaults: the input's).
    pub encoding: Encoding,
    /// What to do when the output exists.
    pub exists: OutputExists,
}

/// Create the output array of `filter` for `input` at `path` of `store` (metadata not yet
/// written): the input's metadata with the filter's shape and data type, then `encoding`.
pub fn create_output(
    filter: &dyn Filter,
    input: &Array<DynStore>,
    store: Arc<DynStore>,
    path: &str,
    encoding: &Encoding,
) -> Result<Array<DynStore>, FilterError> {
    let in_ty = NumericType::of_checked(input.data_type())?;
    let defaults = OutputDefaults {
        shape: filter.output_shape(input.shape())?,
        data_type: filter.output_data_type(in_ty),
    };
    let m = output_metadata(input, &defaults, encoding)?;
    Ok(Array::new_with_metadata(store, path, m)?)
}

/// Whether a node (array or group, V3 or V2) exists at `path`.
pub fn node_exists(store: &DynStore, path: &str) -> Result<bool, FilterError> {
    let node = zarrkit_core::NodePath::new(path)?;
    for name in ["zarr.json", ".zarray", ".zgroup"] {
        if store.get(&node.key(name)?)?.is_some() {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Create the output array, run the filter, then write the output's metadata (so an
/// interrupted run leaves no metadata, as zarrs_filter does).
pub fn run_filter(
    filter: &dyn Filter,
    input: &Array<DynStore>,
    store: Arc<DynStore>,
    path: &str,
    spec: &OutputSpec,
    options: &ExecOptions,
    progress: Option<ProgressCallback<'_>>,
) -> Result<(Array<DynStore>, FilterStats), FilterError> {
    let output = create_output(filter, input, store.clone(), path, &spec.encoding)?;
    match spec.exists {
        OutputExists::Fail => {
            if node_exists(&*store, path)? {
                return Err(FilterError::Other(format!("the output {path:?} exists")));
            }
        }
        OutputExists::Erase => {
            store.erase_prefix(&output.path().prefix())?;
        }
        OutputExists::Overwrite => {}
    }
    let stats = apply_filter(filter, input, &output, options, progress)?;
    output.store_metadata()?;
    Ok((output, stats))
}

/// The common per-chunk loop: for every output chunk, read `in_subset(out)` of the input as
/// the input type, `compute(input, in_subset, out_subset)` the output elements (of the
/// output type), write them.
pub(crate) fn map_chunks<I, C>(
    input: &Array<DynStore>,
    output: &Array<DynStore>,
    ctx: &Context<'_>,
    in_subset: I,
    compute: C,
) -> Result<(), FilterError>
where
    I: Fn(&ArraySubset) -> Result<ArraySubset, FilterError> + Sync,
    C: Fn(Buf, &ArraySubset, &ArraySubset) -> Result<Buf, FilterError> + Sync,
{
    let in_ty = NumericType::of_checked(input.data_type())?;
    let out_ty = NumericType::of_checked(output.data_type())?;
    let copts = ctx.options.task_codec_options();
    let p = ctx.progress;
    for_each_chunk(output, ctx.options.chunk_limit(), |_, out_subset| {
        let in_sub = in_subset(out_subset)?;
        let data = p.read(in_sub.num_elements(), || {
            Buf::read(input, in_ty, &in_sub, &copts)
        })?;
        let result = p.process(|| compute(data, &in_sub, out_subset))?;
        if result.numeric_type() != out_ty || result.len() as u64 != out_subset.num_elements() {
            return Err(FilterError::Other(format!(
                "internal: {} made {} {} elements for a region of {} {} elements",
                output.path(),
                result.len(),
                result.numeric_type().name(),
                out_subset.num_elements(),
                out_ty.name()
            )));
        }
        p.write(out_subset.num_elements(), || {
            result.write(output, out_subset, &copts)
        })?;
        p.next();
        Ok(())
    })?;
    Ok(())
}

/// Kernels and block operations re-exported as `zarrkit_filters::kernels`.
pub(crate) mod kernels_pub {
    pub use super::downsample::{block_mean, block_mode, for_blocks};
    pub use super::kernel::{apply_1d_difference, apply_1d_kernel, apply_1d_triangle, for_lines};
    pub use super::sat::{sat_sum, summed_area_table_f64};
}
