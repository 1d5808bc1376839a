//! # zarrkit-filters
//!
//! Image filters over Zarr arrays — the set of zarrs_tools' `zarrs_filter` — as library
//! functions, processed chunk by chunk (each output chunk, or shard, from its input region
//! plus the filter's halo), in parallel on the rayon pool with at most
//! [`ExecOptions::chunk_limit`] chunks in flight, so memory stays bounded by a few chunks per
//! thread whatever the array's size.
//!
//! | filter (JSON name) | parameters | output | halo |
//! |---|---|---|---|
//! | [`Reencode`] `reencode` | — | same shape; another encoding / data type (`as` casts) | 0 |
//! | [`Crop`] `crop` | `offset`, `shape` | `shape` | 0 |
//! | [`Rescale`] `rescale` | `multiply`, `add`, `add_first` | `x*m+a` (f64 FMA) or `(x+a)*m` | 0 |
//! | [`Clamp`] `clamp` | `min`, `max` | clamp in the input type | 0 |
//! | [`Equal`] `equal` | `value` | bool (or uint8) `x == value` | 0 |
//! | [`Downsample`] `downsample` | `stride`, `discrete` | `max(n / stride, 1)`: block mean or mode | 0 |
//! | [`GradientMagnitude`] `gradient_magnitude` | — | Sobel magnitude (f32) | 1 |
//! | [`Gaussian`] `gaussian` | `sigma`, `kernel_half_size` | separable sampled Gaussian (f32) | half size |
//! | [`SummedAreaTable`] `summed_area_table` | — | integral image in the output type | pass by pass |
//! | [`GuidedFilter`] `guided_filter` | `epsilon`, `radius` | self-guided filter (f32, f64 tables) | 2 × radius |
//! | [`ReplaceValue`] `replace_value` | `value`, `replace` | `replace` where `x == value`, else `as` cast | 0 |
//!
//! Each filter's documentation gives its exact arithmetic; they follow zarrs_filter's
//! source (zarrs_tools), with these deviations: a cast *to bool* gives `true` for any
//! nonzero value (zarrs_filter writes the `u8` cast, e.g. 2, an invalid bool); ties between
//! modes in `downsample --discrete` go to the smallest value (zarrs_filter's pick depends on
//! a hash map's order); parameters that do not fit the array (a stride of 0, a crop past
//! the end, `min > max`, a rank mismatch) are errors, where zarrs_filter panics or asserts.
//! The supported data types are `bool`, the integers and the floats (`float16`, `bfloat16`,
//! `float32`, `float64`), as in zarrs_filter.
//!
//! ## API (for the CLI)
//! - A filter is a value of its parameter struct; [`apply_filter`] runs it from an input to an
//!   existing output array, [`run_filter`] creates the output from the input's metadata and an
//!   [`Encoding`] ([`create_output`]), runs it and writes the output's metadata last.
//!   Both take [`ExecOptions`] and an optional [`ProgressCallback`] and return
//!   [`FilterStats`].
//! - Filters are serialisable trait objects ([`Filter`], `typetag`, tag `"filter"`);
//!   [`RunConfig::from_json`] parses a zarrs_filter-style run configuration (steps with
//!   `$name` temporaries) and [`run`] executes it, returning a [`RunReport`].

mod encoding;
mod error;
pub mod exec;
mod filters;
pub mod numeric;
mod progress;
mod run;

pub use encoding::{output_metadata, Encoding, OutputDefaults};
pub use error::FilterError;
pub use exec::ExecOptions;
pub use filters::{
    apply_filter, create_output, gaussian_kernel, node_exists, run_filter, Clamp, Context, Crop,
    Downsample, DynStore, Equal, Filter, Gaussian, GradientMagnitude, GuidedFilter, OutputExists,
    OutputSpec, Reencode, ReplaceValue, Rescale, SummedAreaTable,
};
pub use numeric::{Buf, NumericType};
pub use progress::{FilterStats, Progress, ProgressCallback, ProgressStats};
pub use run::{run, RunConfig, RunOptions, RunProgressCallback, RunReport, Step, StepReport};

/// Kernels and block operations shared with the pyramid builder (`zarrkit-ome`).
pub mod kernels {
    pub use crate::filters::kernels_pub::*;
}
