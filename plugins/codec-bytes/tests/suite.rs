//! The zarrkit-conformance suites on this plugin (see `zarrkit_conformance::suites`).

use zarrkit_codec_bytes as _;
use zarrkit_conformance::suites::codec::CodecSuite;
use zarrkit_conformance::suites::metadata::codecs_round_trip;
use zarrkit_dtype_numeric as _;

type TestResult = Result<(), Box<dyn std::error::Error>>;

#[test]
fn codec_suite() -> TestResult {
    for endian in ["little", "big"] {
        CodecSuite::from_metadata(&format!(
            r#"{{"name": "bytes", "configuration": {{"endian": "{endian}"}}}}"#
        ))?
        .data_types(&[
            "bool",
            "int8",
            "int16",
            "int32",
            "int64",
            "uint8",
            "uint16",
            "uint32",
            "uint64",
            "float16",
            "bfloat16",
            "float32",
            "float64",
            "complex64",
            "complex128",
        ])?
        .run()?;
    }
    // One-byte types need no endian.
    CodecSuite::from_metadata(r#"{"name": "bytes"}"#)?
        .data_types(&["bool", "int8", "uint8"])?
        .run()?;
    Ok(())
}

#[test]
fn metadata_suite() -> TestResult {
    codecs_round_trip(&[
        r#"{"name": "bytes", "configuration": {"endian": "little"}}"#,
        r#"{"name": "bytes", "configuration": {"endian": "big"}}"#,
        r#"{"name": "bytes"}"#,
    ])?;
    Ok(())
}
