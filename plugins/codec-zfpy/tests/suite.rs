//! The zarrkit-conformance suites on this plugin (see `zarrkit_conformance::suites`).

use zarrkit_codec_zfpy as _;
use zarrkit_conformance::suites::codec::CodecSuite;
use zarrkit_conformance::suites::metadata::codecs_round_trip;
use zarrkit_dtype_numeric as _;

type TestResult = Result<(), Box<dyn std::error::Error>>;

#[test]
fn codec_suite() -> TestResult {
    for config in [
        r#"{"name": "numcodecs.zfpy", "configuration": {"mode": 4, "tolerance": -1}}"#,
        r#"{"name": "zfpy", "configuration": {"mode": 2, "rate": -1}}"#,
        r#"{"name": "numcodecs.zfpy"}"#,
    ] {
        CodecSuite::from_metadata(config)?
            .data_types(&["int32", "int64", "float32", "float64"])?
            .run()?;
    }
    // The lossy modes are not run through the suite: its lossy check asks that decoding be
    // stable under re-encoding, which zfp does not promise; src/tests.rs checks numcodecs'
    // bytes and values for them, and the error bound of fixed accuracy.
    Ok(())
}

#[test]
fn metadata_suite() -> TestResult {
    codecs_round_trip(&[
        r#"{"name": "numcodecs.zfpy", "configuration": {"mode": 4, "tolerance": 0.01}}"#,
        r#"{"name": "numcodecs.zfpy", "configuration": {"mode": 4, "compression_kwargs": {"tolerance": -1}, "tolerance": -1, "rate": -1, "precision": -1}}"#,
        r#"{"name": "zfpy", "configuration": {"mode": 2, "rate": 8.0}}"#,
        r#"{"name": "numcodecs.zfpy", "configuration": {"mode": 3, "precision": 16}}"#,
        r#"{"name": "numcodecs.zfpy", "configuration": {"mode": 5}}"#,
    ])?;
    Ok(())
}
