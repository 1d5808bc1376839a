//! The zarrkit-conformance suites on this plugin (see `zarrkit_conformance::suites`).

use zarrkit_codec_reshape as _;
use zarrkit_conformance::suites::codec::CodecSuite;
use zarrkit_conformance::suites::metadata::codecs_round_trip;
use zarrkit_dtype_numeric as _;

type TestResult = Result<(), Box<dyn std::error::Error>>;

#[test]
fn codec_suite() -> TestResult {
    // Shapes that bind to every chunk shape of the suite (ranks 1 to 4).
    for shape in ["[-1]", "[[0], -1]", "[-1, []]"] {
        CodecSuite::from_metadata(&format!(
            r#"{{"name": "reshape", "configuration": {{"shape": {shape}}}}}"#
        ))?
        .data_types(&["uint8", "int32", "float64", "complex128"])?
        .run()?;
    }
    // A fixed split on one chunk shape.
    CodecSuite::from_metadata(r#"{"name": "reshape", "configuration": {"shape": [2, 2, 5, 3]}}"#)?
        .data_types(&["int16", "float32"])?
        .shapes(&[&[4, 15], &[60], &[2, 30]])
        .run()?;
    Ok(())
}

#[test]
fn metadata_suite() -> TestResult {
    codecs_round_trip(&[
        r#"{"name": "reshape", "configuration": {"shape": [-1]}}"#,
        r#"{"name": "reshape", "configuration": {"shape": [[0, 1], [2], 3]}}"#,
        r#"{"name": "reshape", "configuration": {"shape": [[0], -1, [2, 3]]}}"#,
        r#"{"name": "reshape", "configuration": {"shape": [[], 10, [3, 4]]}}"#,
    ])?;
    Ok(())
}
