//! The zarrkit-conformance suites on this plugin (see `zarrkit_conformance::suites`).

use zarrkit_codec_transpose as _;
use zarrkit_conformance::suites::codec::CodecSuite;
use zarrkit_conformance::suites::metadata::codecs_round_trip;
use zarrkit_dtype_numeric as _;

type TestResult = Result<(), Box<dyn std::error::Error>>;

#[test]
fn codec_suite() -> TestResult {
    CodecSuite::from_metadata(r#"{"name": "transpose", "configuration": {"order": [1, 0]}}"#)?
        .data_types(&["uint8", "int16", "float64", "complex128"])?
        .shapes(&[&[1, 1], &[4, 5], &[7, 3], &[64, 64]])
        .run()?;
    CodecSuite::from_metadata(r#"{"name": "transpose", "configuration": {"order": [2, 0, 1]}}"#)?
        .data_types(&["bool", "int32", "float32"])?
        .shapes(&[&[1, 1, 1], &[3, 4, 5], &[2, 7, 3]])
        .run()?;
    Ok(())
}

#[test]
fn metadata_suite() -> TestResult {
    codecs_round_trip(&[
        r#"{"name": "transpose", "configuration": {"order": [1, 0]}}"#,
        r#"{"name": "transpose", "configuration": {"order": [2, 0, 1, 3]}}"#,
    ])?;
    Ok(())
}
