//! The zarrkit-conformance suites on this plugin (see `zarrkit_conformance::suites`).

use zarrkit_codec_categorize as _;
use zarrkit_conformance::suites::codec::CodecSuite;
use zarrkit_conformance::suites::metadata::codecs_round_trip;
use zarrkit_dtype_fixed as _;
use zarrkit_dtype_numeric as _;
use zarrkit_dtype_string as _;

type TestResult = Result<(), Box<dyn std::error::Error>>;

#[test]
fn codec_suite() -> TestResult {
    // Strings not among the labels decode to '': lossy, decoding is stable.
    for astype in ["|u1", "<i2", ">u4"] {
        CodecSuite::from_metadata(&format!(
            r#"{{"name": "numcodecs.categorize", "configuration": {{"labels": ["", "a", "héllo", "xyz"], "dtype": "|O", "astype": "{astype}"}}}}"#
        ))?
        .data_types(&["string"])?
        .lossy()
        .run()?;
    }
    let u4 = zarrkit_core::registry::data_type_from_v2("<U4")?;
    CodecSuite::from_metadata(
        r#"{"name": "numcodecs.categorize", "configuration": {"labels": ["", "a", "ßàř", "xyz"], "dtype": "<U4"}}"#,
    )?
    .with_data_types(vec![u4])
    .lossy()
    .run()?;
    Ok(())
}

#[test]
fn metadata_suite() -> TestResult {
    codecs_round_trip(&[
        r#"{"name": "numcodecs.categorize", "configuration": {"labels": ["a", "b"], "dtype": "|O", "astype": "|u1"}}"#,
        r#"{"name": "categorize", "configuration": {"labels": ["ƒöõ"], "dtype": "<U3"}}"#,
    ])?;
    Ok(())
}
