//! The zarrkit-conformance suites on this plugin (see `zarrkit_conformance::suites`).

use zarrkit_codec_bz2 as _;
use zarrkit_conformance::suites::codec::CodecSuite;
use zarrkit_conformance::suites::metadata::codecs_round_trip;

type TestResult = Result<(), Box<dyn std::error::Error>>;

#[test]
fn codec_suite() -> TestResult {
    CodecSuite::from_metadata(r#"{"name": "numcodecs.bz2", "configuration": {"level": 9}}"#)?
        .detects_corruption(true)
        .run()?;
    CodecSuite::from_metadata(r#"{"name": "bz2", "configuration": {"level": 1}}"#)?
        .detects_corruption(true)
        .run()?;
    Ok(())
}

#[test]
fn metadata_suite() -> TestResult {
    codecs_round_trip(&[
        r#"{"name": "numcodecs.bz2", "configuration": {"level": 9}}"#,
        r#"{"name": "bz2", "configuration": {"level": 1}}"#,
    ])?;
    Ok(())
}
