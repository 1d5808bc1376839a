//! # zarrkit-conformance
//!
//! Runs a conformance corpus (real Zarr V2/V3 data written by other implementations, plus
//! invalid and corrupt cases; see `shared/conformance/README.md`) against zarrkit.
//!
//! - [`Manifest`] / [`Case`] / [`Expect`]: the corpus manifest.
//! - [`canonical_bytes`]: decoded array data in the corpus's canonical element encoding.
//! - [`run_corpus_with`]: run every case with any store type; [`run_corpus`] (feature
//!   `runner`, on by default) uses the facade's `FilesystemStore` and default plugins.
//! - [`Report`]: one [`CaseResult`] per case (`PASS`/`FAIL`/`SKIP` + detail) and the totals.
//!
//! Missing plugins never fail a case: a valid case whose metadata names an unregistered
//! plugin is skipped ("needs codec plugin ..."), and so is an invalid case that is rejected
//! only because a plugin that valid cases use is missing. Zarr V2 cases are skipped while
//! zarrkit cannot open V2 nodes.
//!
//! The library itself depends only on `zarrkit-core`, so plugin crates can use it in their
//! tests with `default-features = false` (and register their plugin by linking their crate).

pub mod canonical;
pub mod json;
pub mod manifest;
pub mod report;
pub mod runner;
pub mod store;

use std::path::{Path, PathBuf};

pub use canonical::{canonical_bytes, canonical_bytes_with, first_difference, sha256_hex};
pub use manifest::{Case, CaseKind, Expect, Manifest};
pub use report::{summary_line, CaseResult, Report, Status};
pub use runner::{metadata_round_trip, run_corpus_with, RunOptions};

/// An error that stops a whole run (the manifest cannot be read).
#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    /// A file of the corpus cannot be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// `manifest.json` does not parse.
    #[error("invalid manifest {path}: {source}")]
    Manifest {
        /// The manifest file.
        path: PathBuf,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
}

/// The environment variable naming the corpus directory.
pub const CORPUS_ENV: &str = "ZARRKIT_CONFORMANCE_CORPUS";

/// The corpus directory: `$ZARRKIT_CONFORMANCE_CORPUS` if set, else `shared/conformance`
/// beside the workspace (`<this crate>/../../shared/conformance`).
pub fn default_corpus_dir() -> PathBuf {
    match std::env::var_os(CORPUS_ENV) {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance"),
    }
}

/// Open a corpus store as the facade's `FilesystemStore`.
#[cfg(feature = "runner")]
pub fn open_filesystem_store(
    dir: &Path,
) -> Result<std::sync::Arc<zarrkit::store_filesystem::FilesystemStore>, zarrkit::StorageError> {
    zarrkit::store_filesystem::FilesystemStore::new(dir).map(std::sync::Arc::new)
}

/// Run every case of the corpus in `dir` (or those matching `options.filter`) with the
/// facade's `FilesystemStore` and default plugins.
#[cfg(feature = "runner")]
pub fn run_corpus(dir: &Path, options: &RunOptions) -> Result<Report, CorpusError> {
    run_corpus_with(dir, options, open_filesystem_store, |_| {})
}
