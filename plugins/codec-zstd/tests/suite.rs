//! The zarrkit-conformance suites on this plugin (see `zarrkit_conformance::suites`).

use zarrkit_codec_zstd as _;
use zarrkit_conformance::suites::codec::CodecSuite;
use zarrkit_conformance::suites::metadata::codecs_round_trip;

type TestResult = Result<(), Box<dyn std::error::Error>>;

#[test]
fn codec_suite() -> TestResult {
    CodecSuite::from_metadata(
        r#"{"name": "zstd", "configuration": {"level": 3, "checksum": true}}"#,
    )?
    .detects_corruption(true)
    .run()?;
    CodecSuite::from_metadata(
        r#"{"name": "zstd", "configuration": {"level": -5, "checksum": false}}"#,
    )?
    .detects_corruption(false)
    .run()?;
    Ok(())
}

#[test]
fn metadata_suite() -> TestResult {
    codecs_round_trip(&[
        r#"{"name": "zstd", "configuration": {"level": 3, "checksum": false}}"#,
        r#"{"name": "zstd", "configuration": {"level": 22, "checksum": true}}"#,
    ])?;
    Ok(())
}
