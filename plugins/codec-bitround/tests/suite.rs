//! The zarrkit-conformance suites on this plugin (see `zarrkit_conformance::suites`).

use zarrkit_codec_bitround as _;
use zarrkit_conformance::suites::codec::CodecSuite;
use zarrkit_conformance::suites::metadata::codecs_round_trip;
use zarrkit_dtype_numeric as _;

type TestResult = Result<(), Box<dyn std::error::Error>>;

#[test]
fn codec_suite() -> TestResult {
    CodecSuite::from_metadata(r#"{"name": "bitround", "configuration": {"keepbits": 10}}"#)?
        .data_types(&["float32", "float64"])?
        .lossy()
        .run()?;
    CodecSuite::from_metadata(
        r#"{"name": "numcodecs.bitround", "configuration": {"keepbits": 3}}"#,
    )?
    .data_types(&["float16", "float32", "float64"])?
    .lossy()
    .run()?;
    Ok(())
}

#[test]
fn metadata_suite() -> TestResult {
    codecs_round_trip(&[
        r#"{"name": "bitround", "configuration": {"keepbits": 10}}"#,
        r#"{"name": "numcodecs.bitround", "configuration": {"keepbits": 3}}"#,
    ])?;
    Ok(())
}
