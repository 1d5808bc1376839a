//! The zarrkit-conformance suites on this plugin (see `zarrkit_conformance::suites`).

use std::sync::Arc;

use zarrkit_codec_shuffle as _;
use zarrkit_conformance::suites::codec::{CodecSuite, RawDataType};
use zarrkit_conformance::suites::metadata::codecs_round_trip;

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// numcodecs' shuffle requires whole elements: every length is a multiple of the
/// element size.
#[test]
fn codec_suite() -> TestResult {
    for size in [2usize, 4, 8] {
        CodecSuite::from_metadata(&format!(
            r#"{{"name": "numcodecs.shuffle", "configuration": {{"elementsize": {size}}}}}"#
        ))?
        .with_data_types(vec![Arc::new(RawDataType(size))])
        .byte_lengths(&[0, size, 64, 1000, 65552])
        .detects_corruption(false)
        .run()?;
    }
    Ok(())
}

#[test]
fn metadata_suite() -> TestResult {
    codecs_round_trip(&[
        r#"{"name": "numcodecs.shuffle", "configuration": {"elementsize": 8}}"#,
        r#"{"name": "shuffle", "configuration": {"elementsize": 2}}"#,
    ])?;
    Ok(())
}
