//! The zarrkit-conformance suites on this plugin (see `zarrkit_conformance::suites`).

use zarrkit_codec_quantize as _;
use zarrkit_conformance::suites::codec::CodecSuite;
use zarrkit_conformance::suites::metadata::codecs_round_trip;
use zarrkit_dtype_numeric as _;

type TestResult = Result<(), Box<dyn std::error::Error>>;

#[test]
fn codec_suite() -> TestResult {
    // Lossy: decoding is stable.
    for (dt, config) in [
        (
            "float64",
            r#"{"digits": 2, "dtype": "<f8", "astype": "<f2"}"#,
        ),
        (
            "float64",
            r#"{"digits": 5, "dtype": "<f8", "astype": "<f4"}"#,
        ),
        ("float64", r#"{"digits": -1}"#),
        ("float32", r#"{"digits": 3, "dtype": "float32"}"#),
        (
            "float16",
            r#"{"digits": 1, "dtype": "<f2", "astype": "<f8"}"#,
        ),
    ] {
        CodecSuite::from_metadata(&format!(
            r#"{{"name": "numcodecs.quantize", "configuration": {config}}}"#
        ))?
        .data_types(&[dt])?
        .lossy()
        .run()?;
    }
    Ok(())
}

#[test]
fn metadata_suite() -> TestResult {
    codecs_round_trip(&[
        r#"{"name": "numcodecs.quantize", "configuration": {"digits": 2, "dtype": "<f8", "astype": "<f2"}}"#,
        r#"{"name": "quantize", "configuration": {"digits": -1, "dtype": "float32"}}"#,
    ])?;
    Ok(())
}
