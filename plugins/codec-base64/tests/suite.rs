//! The zarrkit-conformance suites on this plugin (see `zarrkit_conformance::suites`).

use zarrkit_codec_base64 as _;
use zarrkit_conformance::suites::codec::CodecSuite;
use zarrkit_conformance::suites::metadata::codecs_round_trip;

type TestResult = Result<(), Box<dyn std::error::Error>>;

#[test]
fn codec_suite() -> TestResult {
    // Base64 detects no corruption (a changed character is other data).
    CodecSuite::from_metadata(r#"{"name": "numcodecs.base64"}"#)?.run()?;
    CodecSuite::from_metadata(r#"{"name": "base64", "configuration": {}}"#)?.run()?;
    Ok(())
}

#[test]
fn metadata_suite() -> TestResult {
    codecs_round_trip(&[
        r#"{"name": "numcodecs.base64"}"#,
        r#"{"name": "numcodecs.base64", "configuration": {}}"#,
        r#"{"name": "base64"}"#,
    ])?;
    Ok(())
}
