//! The zarrkit-conformance suites on this plugin (see `zarrkit_conformance::suites`).

use zarrkit_codec_packbits as _;
use zarrkit_conformance::suites::codec::CodecSuite;
use zarrkit_conformance::suites::metadata::codecs_round_trip;
use zarrkit_dtype_numeric as _;

type TestResult = Result<(), Box<dyn std::error::Error>>;

#[test]
fn codec_suite() -> TestResult {
    for padding in ["none", "first_byte", "last_byte"] {
        CodecSuite::from_metadata(&format!(
            r#"{{"name": "packbits", "configuration": {{"padding_encoding": "{padding}"}}}}"#
        ))?
        .data_types(&["bool", "int8", "uint16", "int32", "float32", "float64"])?
        .run()?;
    }
    CodecSuite::from_metadata(r#"{"name": "numcodecs.packbits"}"#)?
        .data_types(&["bool"])?
        .run()?;
    Ok(())
}

#[test]
fn metadata_suite() -> TestResult {
    codecs_round_trip(&[
        r#"{"name": "packbits", "configuration": {"padding_encoding": "first_byte"}}"#,
        r#"{"name": "numcodecs.packbits"}"#,
    ])?;
    Ok(())
}
