//! The zarrkit-conformance suites on this plugin (see `zarrkit_conformance::suites`).

use zarrkit_codec_zfp as _;
use zarrkit_conformance::suites::codec::CodecSuite;
use zarrkit_conformance::suites::metadata::codecs_round_trip;
use zarrkit_dtype_numeric as _;

type TestResult = Result<(), Box<dyn std::error::Error>>;

#[test]
fn codec_suite() -> TestResult {
    CodecSuite::from_metadata(r#"{"name": "zfp", "configuration": {"mode": "reversible"}}"#)?
        .data_types(&[
            "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64", "float16",
            "bfloat16", "float32", "float64",
        ])?
        .run()?;
    // The lossy modes are not run through the suite: its lossy check asks that decoding
    // be stable under re-encoding, which zfp does not promise (re-encoding decoded data in
    // fixed-rate mode may round differently); src/tests.rs checks their error bounds.
    Ok(())
}

#[test]
fn metadata_suite() -> TestResult {
    codecs_round_trip(&[
        r#"{"name": "zfp", "configuration": {"mode": "reversible"}}"#,
        r#"{"name": "zfp", "configuration": {"mode": "fixed_rate", "rate": 10.5}}"#,
        r#"{"name": "zfp", "configuration": {"mode": "fixed_precision", "precision": 16}}"#,
        r#"{"name": "zfp", "configuration": {"mode": "fixed_accuracy", "tolerance": 0.05}}"#,
        r#"{"name": "zfp", "configuration": {"mode": "expert", "minbits": 0, "maxbits": 4171, "maxprec": 64, "minexp": -1074}}"#,
    ])?;
    Ok(())
}
