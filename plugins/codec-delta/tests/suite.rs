//! The zarrkit-conformance suites on this plugin (see `zarrkit_conformance::suites`).

use zarrkit_codec_delta as _;
use zarrkit_conformance::suites::codec::CodecSuite;
use zarrkit_conformance::suites::metadata::codecs_round_trip;
use zarrkit_dtype_numeric as _;

type TestResult = Result<(), Box<dyn std::error::Error>>;

#[test]
fn codec_suite() -> TestResult {
    // Integers wrap around: exact.
    for dt in ["int8", "int32", "uint16", "int64", "uint64"] {
        CodecSuite::from_metadata(&format!(
            r#"{{"name": "numcodecs.delta", "configuration": {{"dtype": "{dt}"}}}}"#
        ))?
        .data_types(&[dt])?
        .run()?;
    }
    // Floating-point differences round (as in numcodecs): only stable, not exact.
    for dt in ["float32", "float64"] {
        CodecSuite::from_metadata(&format!(
            r#"{{"name": "numcodecs.delta", "configuration": {{"dtype": "{dt}"}}}}"#
        ))?
        .data_types(&[dt])?
        .lossy()
        .run()?;
    }
    Ok(())
}

#[test]
fn metadata_suite() -> TestResult {
    codecs_round_trip(&[
        r#"{"name": "numcodecs.delta", "configuration": {"dtype": "int32"}}"#,
        r#"{"name": "delta", "configuration": {"dtype": "float64"}}"#,
    ])?;
    Ok(())
}
