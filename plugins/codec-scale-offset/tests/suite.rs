//! The zarrkit-conformance suites on this plugin (see `zarrkit_conformance::suites`).

use zarrkit_codec_scale_offset as _;
use zarrkit_conformance::suites::codec::CodecSuite;
use zarrkit_conformance::suites::metadata::codecs_round_trip;
use zarrkit_dtype_numeric as _;

type TestResult = Result<(), Box<dyn std::error::Error>>;

#[test]
fn codec_suite() -> TestResult {
    // The identity on every integer type: exact (the suite's data covers the whole range,
    // so any other offset or scale overflows, which encoding refuses).
    CodecSuite::from_metadata(r#"{"name": "scale_offset"}"#)?
        .data_types(&[
            "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
        ])?
        .run()?;
    CodecSuite::from_metadata(
        r#"{"name": "scale_offset", "configuration": {"offset": 0, "scale": 1}}"#,
    )?
    .data_types(&["int32"])?
    .run()?;
    // IEEE arithmetic quiets signalling NaNs even for the identity: stable, not exact.
    CodecSuite::from_metadata(
        r#"{"name": "scale_offset", "configuration": {"offset": 0, "scale": 1}}"#,
    )?
    .data_types(&["float32"])?
    .lossy()
    .run()?;
    // Floats: rounding (and overflow to infinity) make it lossy but stable.
    for conf in [
        r#"{"offset": 0, "scale": 0.5}"#,
        r#"{"offset": 3.5, "scale": 2}"#,
        r#"{"offset": -1, "scale": 0.1}"#,
    ] {
        CodecSuite::from_metadata(&format!(
            r#"{{"name": "scale_offset", "configuration": {conf}}}"#
        ))?
        .data_types(&["float16", "bfloat16", "float32", "float64"])?
        .lossy()
        .run()?;
    }
    Ok(())
}

#[test]
fn metadata_suite() -> TestResult {
    codecs_round_trip(&[
        r#"{"name": "scale_offset"}"#,
        r#"{"name": "scale_offset", "configuration": {}}"#,
        r#"{"name": "scale_offset", "configuration": {"offset": 5, "scale": 0.1}}"#,
        r#"{"name": "scale_offset", "configuration": {"scale": "NaN"}}"#,
        r#"{"name": "scale_offset", "configuration": {"offset": 123456789012345678901234567890}}"#,
    ])?;
    Ok(())
}
