//! The zarrkit-conformance suites on this plugin (see `zarrkit_conformance::suites`).

use zarrkit_codec_lzma as _;
use zarrkit_conformance::suites::codec::CodecSuite;
use zarrkit_conformance::suites::metadata::codecs_round_trip;

type TestResult = Result<(), Box<dyn std::error::Error>>;

#[test]
fn codec_suite() -> TestResult {
    // xz verifies its CRC64; .lzma and raw streams carry no check.
    CodecSuite::from_metadata(r#"{"name": "numcodecs.lzma", "configuration": {}}"#)?
        .detects_corruption(true)
        .run()?;
    CodecSuite::from_metadata(
        r#"{"name": "lzma", "configuration": {"format": 1, "check": 10, "preset": 1, "filters": null}}"#,
    )?
    .detects_corruption(true)
    .run()?;
    CodecSuite::from_metadata(
        r#"{"name": "numcodecs.lzma", "configuration": {"format": 2, "preset": 0}}"#,
    )?
    .run()?;
    CodecSuite::from_metadata(
        r#"{"name": "numcodecs.lzma", "configuration": {"format": 3, "filters": [{"id": 3, "dist": 4}, {"id": 33, "preset": 1}]}}"#,
    )?
    .run()?;
    Ok(())
}

#[test]
fn metadata_suite() -> TestResult {
    codecs_round_trip(&[
        r#"{"name": "numcodecs.lzma", "configuration": {}}"#,
        r#"{"name": "numcodecs.lzma"}"#,
        r#"{"name": "numcodecs.lzma", "configuration": {"preset": 1}}"#,
        r#"{"name": "lzma", "configuration": {"format": 1, "check": -1, "preset": null, "filters": null}}"#,
        r#"{"name": "numcodecs.lzma", "configuration": {"format": 3, "filters": [{"id": 33, "preset": 1}]}}"#,
        r#"{"name": "numcodecs.lzma", "configuration": {"format": 2, "filters": [{"id": 4611686018427387905, "preset": 2, "lc": 1}]}}"#,
    ])?;
    Ok(())
}
