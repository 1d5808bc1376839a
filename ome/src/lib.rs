//! # zarrkit-ome
//!
//! OME-Zarr for zarrkit:
//! - [`metadata`]: typed OME-Zarr **0.4** (Zarr V2, `.zattrs` top-level `multiscales`,
//!   `omero`, `image-label`, `labels`) and **0.5** (Zarr V3, `zarr.json` attributes under
//!   `ome`) metadata — multiscales, axes (type, unit), coordinate transformations (scale,
//!   translation), labels (`image-label` colours and properties, `labels` lists) and `omero`
//!   — parsed with JSON-path errors, validated against the specification's rules
//!   ([`OmeMetadata::validate`], every issue with its path), written back exactly
//!   (unknown members and number literals kept), converted between versions.
//! - [`pyramid`]: [`build_pyramid`] writes an OME-Zarr image (or label image) from any
//!   numeric array: level 0 re-encoded, each further level downsampled from the previous
//!   one (`gaussian`, `mean`, `mode`, `nearest`; per-axis factors, channel axes kept) chunk
//!   by chunk in parallel with bounded memory; [`build_pyramid_ozx`] writes the single-file
//!   `.ozx` (RFC-9 zip of stored entries) through `zarrkit-store-zip`'s writer.
//! - [`inspect`]: open a group and check its metadata against its arrays
//!   ([`validate_group`]).
//!
//! The written hierarchies are checked in the tests against the official JSON schemas
//! (`ngff-zarr`'s copy of the ome/ngff schemas, with `jsonschema`), by `ome-zarr-models`
//! (pydantic models of the specification that also open the arrays), read by `ome-zarr-py`
//! (`ome_zarr info`), `.ozx` files by Python's `zipfile` and zarr-python's `ZipStore`, and
//! the Gaussian and mean levels compared with scipy.ndimage — when
//! `ome/scripts/setup-venv.sh` has made the Python environment (`scripts/ci/ome.sh` makes
//! it and sets `ZARRKIT_REQUIRE_OME=1`, which turns the skip into a failure).
//!
//! An `omero` block whose channels have no `window` gets one per channel from the smallest
//! level's value range ([`pyramid::channel_ranges`], [`pyramid::default_window`]); the
//! OME-Zarr 0.4 schema requires it. Reading accepts a 0.5 `ome` namespace without `version`
//! (ome-zarr-py 0.18 writes `labels` groups so) and writes the version back.
//!
//! Deviations from other implementations: `mode` ties go to the smallest value; level
//! extents round up by default (zarrs_ome rounds down, dropping a last partial block —
//! [`Rounding::Floor`]); the Gaussian kernel is normalised (scipy.ndimage), where
//! zarrs_filter's is not.

pub mod inspect;
mod json;
pub mod metadata;
pub mod ozx;
pub mod pyramid;

pub use inspect::{open_ome, validate_group, GroupReport};
pub use metadata::{
    Axis, AxisType, CoordinateTransformation, Dataset, ImageLabel, Issue, LabelColor,
    LabelProperty, Multiscale, OmeMetadata, OmeVersion, Omero, OmeroChannel, Severity, Window,
};
pub use ozx::build_pyramid_ozx;
pub use pyramid::{
    build_pyramid, LevelReport, Method, PyramidOptions, PyramidProgressCallback, PyramidReport,
    Rounding,
};

use zarrkit_filters::FilterError;

/// An error from OME-Zarr metadata or pyramid building.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OmeError {
    /// Metadata that breaks the specification, at a JSON path.
    #[error("invalid OME-Zarr metadata at {path}: {message}")]
    Invalid {
        /// The JSON path (e.g. `ome.multiscales[0].axes[1].type`).
        path: String,
        /// What is wrong.
        message: String,
    },
    /// Attributes without OME-Zarr metadata.
    #[error("no OME-Zarr metadata (neither \"ome\" nor \"multiscales\"/\"image-label\"/\"labels\"/... attributes)")]
    NotOme,
    /// A version this crate does not read.
    #[error("unsupported OME-Zarr version {0:?} (0.4, 0.5)")]
    UnsupportedVersion(String),
    /// Reading or writing arrays failed.
    #[error(transparent)]
    Filter(#[from] FilterError),
}

impl From<zarrkit_core::ArrayError> for OmeError {
    fn from(e: zarrkit_core::ArrayError) -> Self {
        Self::Filter(e.into())
    }
}
impl From<zarrkit_core::StorageError> for OmeError {
    fn from(e: zarrkit_core::StorageError) -> Self {
        Self::Filter(e.into())
    }
}
impl From<zarrkit_core::GroupError> for OmeError {
    fn from(e: zarrkit_core::GroupError) -> Self {
        Self::Filter(e.into())
    }
}
