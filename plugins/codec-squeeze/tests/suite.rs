//! The zarrkit-conformance suites on this plugin (see `zarrkit_conformance::suites`).

use zarrkit_codec_squeeze as _;
use zarrkit_conformance::suites::codec::CodecSuite;
use zarrkit_conformance::suites::metadata::codecs_round_trip;
use zarrkit_dtype_numeric as _;
use zarrkit_dtype_string as _;

type TestResult = Result<(), Box<dyn std::error::Error>>;

#[test]
fn codec_suite() -> TestResult {
    // Shapes with size-1 dimensions in every position, and none.
    let shapes: &[&[u64]] = &[
        &[1],
        &[7],
        &[1, 5],
        &[4, 1],
        &[1, 1, 1],
        &[3, 1, 4],
        &[1, 2, 1, 3, 1],
        &[64, 64],
    ];
    CodecSuite::from_metadata(r#"{"name": "zarrs.squeeze", "configuration": {}}"#)?
        .data_types(&["uint8", "int16", "float32", "complex128", "bool"])?
        .shapes(shapes)
        .run()?;
    Ok(())
}

#[test]
fn metadata_suite() -> TestResult {
    codecs_round_trip(&[
        r#"{"name": "zarrs.squeeze", "configuration": {}}"#,
        r#"{"name": "zarrs.squeeze"}"#,
    ])?;
    Ok(())
}
