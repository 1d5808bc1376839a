//! [`FilterError`].

use thiserror::Error;
use zarrkit_core::{ArrayError, GroupError, MetadataError, StorageError};

/// An error from a filter, a pyramid or a run configuration.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum FilterError {
    /// An array operation failed.
    #[error(transparent)]
    Array(#[from] ArrayError),
    /// A store operation failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// Metadata could not be built or parsed.
    #[error(transparent)]
    Metadata(#[from] MetadataError),
    /// A group operation failed.
    #[error(transparent)]
    Group(#[from] GroupError),
    /// The data type is not one the filter supports.
    #[error("unsupported data type {0:?} (the filters work on bool, integer and float types)")]
    UnsupportedDataType(String),
    /// A parameter is invalid (the message names it).
    #[error("invalid parameter: {0}")]
    InvalidParameter(String),
    /// The run configuration is invalid (the message names the step and member).
    #[error("run configuration: {0}")]
    RunConfig(String),
    /// A buffer of this many bytes could not be allocated.
    #[error("cannot allocate {0} bytes")]
    Allocation(usize),
    /// An I/O error (temporary directories, files).
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// Any other error.
    #[error("{0}")]
    Other(String),
}
