//! The zarrkit-conformance suites on this plugin (see `zarrkit_conformance::suites`).

use zarrkit_codec_crc32 as _;
use zarrkit_conformance::suites::codec::CodecSuite;
use zarrkit_conformance::suites::metadata::codecs_round_trip;

type TestResult = Result<(), Box<dyn std::error::Error>>;

#[test]
fn codec_suite() -> TestResult {
    CodecSuite::from_metadata(r#"{"name": "numcodecs.crc32", "configuration": {}}"#)?
        .detects_corruption(true)
        .run()?;
    CodecSuite::from_metadata(r#"{"name": "crc32", "configuration": {"location": "end"}}"#)?
        .detects_corruption(true)
        .run()?;
    Ok(())
}

#[test]
fn metadata_suite() -> TestResult {
    codecs_round_trip(&[
        r#"{"name": "numcodecs.crc32", "configuration": {}}"#,
        r#"{"name": "numcodecs.crc32"}"#,
        r#"{"name": "crc32", "configuration": {"location": "end"}}"#,
        r#"{"name": "numcodecs.crc32", "configuration": {"location": "start"}}"#,
    ])?;
    Ok(())
}
