//! The zarrkit-conformance suites on this plugin (see `zarrkit_conformance::suites`).

use zarrkit_codec_jenkins_lookup3 as _;
use zarrkit_conformance::suites::codec::CodecSuite;
use zarrkit_conformance::suites::metadata::codecs_round_trip;

type TestResult = Result<(), Box<dyn std::error::Error>>;

#[test]
fn codec_suite() -> TestResult {
    CodecSuite::from_metadata(
        r#"{"name": "numcodecs.jenkins_lookup3", "configuration": {"initval": 0, "prefix": null}}"#,
    )?
    .detects_corruption(true)
    .run()?;
    CodecSuite::from_metadata(
        r#"{"name": "jenkins_lookup3", "configuration": {"initval": 1230, "prefix": [70, 65, 68, 66]}}"#,
    )?
    .detects_corruption(true)
    .run()?;
    Ok(())
}

#[test]
fn metadata_suite() -> TestResult {
    codecs_round_trip(&[
        r#"{"name": "numcodecs.jenkins_lookup3", "configuration": {"initval": 0, "prefix": null}}"#,
        r#"{"name": "numcodecs.jenkins_lookup3", "configuration": {}}"#,
        r#"{"name": "jenkins_lookup3", "configuration": {"initval": 7}}"#,
        r#"{"name": "numcodecs.jenkins_lookup3", "configuration": {"initval": 1, "prefix": [1, 2, 3]}}"#,
    ])?;
    Ok(())
}
