//! # zarrkit-conformance
//!
//! Proves zarrkit against other implementations, both directions, and gives plugin authors
//! reusable test suites.
//!
//! - **Read checks**: runs a conformance corpus (real Zarr V2/V3 data written by other
//!   implementations, plus invalid and corrupt cases; see `shared/conformance/README.md`)
//!   against zarrkit: [`Manifest`] / [`Case`] / [`Expect`] (the manifest),
//!   [`canonical_bytes`] (decoded data in the corpus's canonical element encoding),
//!   [`run_corpus_with`] (any store type) and [`run_corpus`] (feature `runner`, on by
//!   default: the facade's `FilesystemStore` and default plugins), [`Report`] (one
//!   [`CaseResult`] per case: `PASS`/`FAIL`/`SKIP` + detail, and the totals).
//! - **Write-back** (`runner`): [`writeback::run_write_back`] has zarrkit write every readable
//!   array case again and zarrkit, zarr-python and tensorstore read it back; [`python`]
//!   creates the pinned Python environment and runs the peers; [`markdown`] renders the
//!   Markdown summary (`docs/conformance.md`).
//! - **Foreign data** (`runner`): [`foreign`] generates corpora with zarr-python 2 (every
//!   numcodecs codec) and zarr-python 3 (V3 with `numcodecs.*` codecs, sharding, its data
//!   types; and V2), each in a pinned Python environment of its own, and runs the read checks
//!   on them (`zarrkit-conformance --foreign [DIR]`; summary with `--foreign-markdown FILE`,
//!   checked with `--foreign-check-markdown FILE`: `docs/foreign.md`). The
//!   canonical bytes of datetimes, records and ragged arrays, which the shared corpus README
//!   does not define, are documented in [`canonical`].
//! - **External contract**: [`write_elements_json`] prints an array's elements as the
//!   zarr-conformance-tests suite expects (`zarrkit-conformance --array_path PATH`).
//! - **Suites** (feature `suites`, core only): [`suites::codec`], [`suites::store`],
//!   [`suites::metadata`], for the tests of plugin crates.
//!
//! Missing plugins never fail a case: a valid case whose metadata names an unregistered
//! plugin is skipped ("needs codec plugin ..."), and so is an invalid case that is rejected
//! only because a plugin that valid cases use is missing.
//!
//! Without the default features the library depends only on `zarrkit-core`, so plugin crates
//! use it in their tests with `default-features = false, features = ["suites"]` (and
//! register their plugin by linking their crate).

pub mod canonical;
pub mod elements;
#[cfg(feature = "runner")]
pub mod foreign;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
pub mod json;
pub mod manifest;
#[cfg(feature = "runner")]
pub mod markdown;
#[cfg(feature = "runner")]
pub mod python;
pub mod report;
pub mod runner;
pub mod store;
#[cfg(feature = "suites")]
pub mod suites;
#[cfg(feature = "runner")]
pub mod writeback;

use std::path::{Path, PathBuf};

pub use canonical::{
    canonical_bytes, canonical_bytes_with, canonical_ragged_bytes, first_difference,
    first_difference_in, sha256_hex, CanonicalForm,
};
pub use elements::write_elements_json;
pub use manifest::{Case, CaseKind, Expect, Manifest};
pub use report::{summary_line, ArrayInfo, CaseResult, Report, Status};
pub use runner::{array_canonical_bytes, metadata_round_trip, run_corpus_with, RunOptions};

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
