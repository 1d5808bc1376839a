//! The zarrkit-conformance suites on this plugin (see `zarrkit_conformance::suites`).

use zarrkit_codec_lz4 as _;
use zarrkit_conformance::suites::codec::CodecSuite;
use zarrkit_conformance::suites::metadata::codecs_round_trip;

type TestResult = Result<(), Box<dyn std::error::Error>>;

#[test]
fn codec_suite() -> TestResult {
    CodecSuite::from_metadata(
        r#"{"name": "numcodecs.lz4", "configuration": {"acceleration": 1}}"#,
    )?
    .detects_corruption(false)
    .run()?;
    CodecSuite::from_metadata(r#"{"name": "lz4", "configuration": {"acceleration": 3}}"#)?
        .detects_corruption(false)
        .run()?;
    Ok(())
}

#[test]
fn metadata_suite() -> TestResult {
    codecs_round_trip(&[
        r#"{"name": "numcodecs.lz4", "configuration": {"acceleration": 1}}"#,
        r#"{"name": "lz4", "configuration": {"acceleration": 3}}"#,
    ])?;
    Ok(())
}
