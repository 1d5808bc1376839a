//! The zarrkit-conformance suites on this plugin (see `zarrkit_conformance::suites`).

use zarrkit_codec_vlen_array as _;
use zarrkit_conformance::suites::codec::CodecSuite;
use zarrkit_conformance::suites::metadata::codecs_round_trip;
use zarrkit_core::registry::create_data_type;
use zarrkit_core::serde_json;
use zarrkit_dtype_numeric as _;
use zarrkit_dtype_vlen_array as _;

type TestResult = Result<(), Box<dyn std::error::Error>>;

#[test]
fn codec_suite() -> TestResult {
    // The suite's variable-size samples are strings of any byte length: 1-byte numbers.
    for (dtype, element) in [("|u1", "uint8"), ("|i1", "int8")] {
        let untyped = create_data_type(&serde_json::from_str(r#""zarrkit.vlen_array""#)?)?;
        let typed = create_data_type(&serde_json::from_str(&format!(
            r#"{{"name": "zarrkit.vlen_array", "configuration": {{"data_type": "{element}"}}}}"#
        ))?)?;
        CodecSuite::from_metadata(&format!(
            r#"{{"name": "numcodecs.vlen-array", "configuration": {{"dtype": "{dtype}"}}}}"#
        ))?
        .with_data_types(vec![untyped, typed])
        .run()?;
    }
    Ok(())
}

#[test]
fn metadata_suite() -> TestResult {
    codecs_round_trip(&[
        r#"{"name": "numcodecs.vlen-array", "configuration": {"dtype": "<i4"}}"#,
        r#"{"name": "vlen-array", "configuration": {"dtype": ">f8"}}"#,
    ])?;
    Ok(())
}
