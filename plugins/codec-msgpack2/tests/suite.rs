//! The zarrkit-conformance suites on this plugin (see `zarrkit_conformance::suites`).

use zarrkit_codec_msgpack2 as _;
use zarrkit_conformance::suites::codec::CodecSuite;
use zarrkit_conformance::suites::metadata::codecs_round_trip;
use zarrkit_dtype_bytes as _;
use zarrkit_dtype_numeric as _;
use zarrkit_dtype_string as _;

type TestResult = Result<(), Box<dyn std::error::Error>>;

#[test]
fn codec_suite() -> TestResult {
    for conf in [r#"{}"#, r#"{"use_bin_type": false}"#] {
        let codec = format!(r#"{{"name": "numcodecs.msgpack2", "configuration": {conf}}}"#);
        CodecSuite::from_metadata(&codec)?
            .data_types(&[
                "string",
                "variable_length_bytes",
                "bool",
                "int8",
                "int16",
                "int32",
                "int64",
                "uint8",
                "uint16",
                "uint32",
                "uint64",
                "float64",
            ])?
            .shapes(&[&[1], &[7], &[4, 5], &[3, 4, 5], &[2, 3, 2, 4], &[64, 64]])
            .run()?;
        // float16/float32 widen to float64 and back: exact, but NaN payloads may change.
        CodecSuite::from_metadata(&codec)?
            .data_types(&["float16", "float32"])?
            .lossy()
            .run()?;
    }
    Ok(())
}

#[test]
fn metadata_suite() -> TestResult {
    codecs_round_trip(&[
        r#"{"name": "numcodecs.msgpack2", "configuration": {"raw": false, "use_bin_type": true, "use_single_float": false}}"#,
        r#"{"name": "msgpack2", "configuration": {"encoding": "utf-8"}}"#,
        r#"{"name": "numcodecs.msgpack2", "configuration": {}}"#,
    ])?;
    Ok(())
}
