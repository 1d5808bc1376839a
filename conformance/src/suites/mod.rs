//! Reusable conformance suites for plugin crates (feature `suites`; they depend only on
//! `zarrkit-core`).
//!
//! - [`codec`]: [`codec::CodecSuite`] — round trips over data types and shapes, encoded
//!   sizes against the declared representation, `decode_into` and partial decoding equal to
//!   full decoding, and corrupt, truncated or padded input giving an error (or at least no
//!   panic and no output beyond the bound) for any codec kind.
//! - [`store`]: [`store::store_suite`] — get/set/erase/erase_prefix, list, list_prefix,
//!   list_dir and byte ranges (suffix and out-of-bounds included) of a store.
//! - [`metadata`]: parse → serialize → parse identity of metadata documents, codec
//!   configurations, chunk grids, chunk key encodings and fill values.
//!
//! Each returns a [`SuiteReport`] or a [`SuiteError`] listing every failed check (a panic
//! inside a check is caught and is a failure), so a plugin's test is one line:
//!
//! ```ignore
//! // tests/suite.rs of a codec plugin crate, with the dev-dependency
//! // zarrkit-conformance = { workspace = true, default-features = false, features = ["suites"] }
//! use zarrkit_conformance::suites::codec::CodecSuite;
//!
//! #[test]
//! fn conformance_suite() -> Result<(), Box<dyn std::error::Error>> {
//!     CodecSuite::from_metadata(r#"{"name": "gzip", "configuration": {"level": 5}}"#)?
//!         .detects_corruption(true)
//!         .run()?;
//!     Ok(())
//! }
//! ```

pub mod codec;
pub mod metadata;
pub mod store;

use std::panic::{catch_unwind, AssertUnwindSafe};

/// The result of a suite.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SuiteReport {
    /// What was tested.
    pub name: String,
    /// Checks run.
    pub checks: usize,
    /// Failed checks, one line each.
    pub failures: Vec<String>,
}

impl SuiteReport {
    /// An empty report.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }

    /// Run one check (panics caught) and record its failure, if any.
    pub fn check(&mut self, what: impl std::fmt::Display, f: impl FnOnce() -> Result<(), String>) {
        self.checks += 1;
        if let Err(e) = guard(f) {
            self.failures.push(format!("{what}: {e}"));
        }
    }

    /// Record a failure found outside [`Self::check`].
    pub fn fail(&mut self, what: impl std::fmt::Display, e: impl std::fmt::Display) {
        self.checks += 1;
        self.failures.push(format!("{what}: {e}"));
    }

    /// Add another report's checks and failures.
    pub fn merge(&mut self, other: SuiteReport) {
        self.checks += other.checks;
        self.failures.extend(other.failures);
    }

    /// `Ok(self)` if nothing failed, else the failures as an error.
    pub fn into_result(self) -> Result<SuiteReport, SuiteError> {
        if self.failures.is_empty() {
            Ok(self)
        } else {
            Err(SuiteError {
                name: self.name,
                checks: self.checks,
                failures: self.failures,
            })
        }
    }
}

/// A suite with failed checks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name}: {} of {checks} checks failed:\n  {}", failures.len(), failures.join("\n  "))]
pub struct SuiteError {
    /// What was tested.
    pub name: String,
    /// Checks run.
    pub checks: usize,
    /// The failures.
    pub failures: Vec<String>,
}

/// Run `f`, turning a panic into an error.
pub fn guard<T>(f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|p| {
        let msg = if let Some(s) = p.downcast_ref::<&str>() {
            (*s).to_string()
        } else if let Some(s) = p.downcast_ref::<String>() {
            s.clone()
        } else {
            "(non-string panic payload)".into()
        };
        Err(format!("panicked: {msg}"))
    })
}

/// Deterministic pseudo-random bytes (xorshift64*), mixed with ramps so that compressors
/// have something to find.
pub fn sample_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|i| {
            if (i / 256) % 2 == 0 {
                (i % 251) as u8
            } else {
                x ^= x >> 12;
                x ^= x << 25;
                x ^= x >> 27;
                (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 56) as u8
            }
        })
        .collect()
}
