//! The zarrkit-conformance suites on this plugin (see `zarrkit_conformance::suites`).

use zarrkit_codec_crc32c as _;
use zarrkit_conformance::suites::codec::CodecSuite;
use zarrkit_conformance::suites::metadata::codecs_round_trip;

type TestResult = Result<(), Box<dyn std::error::Error>>;

#[test]
fn codec_suite() -> TestResult {
    CodecSuite::from_metadata(r#"{"name": "crc32c"}"#)?
        .detects_corruption(true)
        .run()?;
    Ok(())
}

#[test]
fn metadata_suite() -> TestResult {
    codecs_round_trip(&[
        r#"{"name": "crc32c"}"#,
        r#"{"name": "numcodecs.crc32c", "configuration": {"location": "end"}}"#,
    ])?;
    Ok(())
}
