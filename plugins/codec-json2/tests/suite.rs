//! The zarrkit-conformance suites on this plugin (see `zarrkit_conformance::suites`).

use zarrkit_codec_json2 as _;
use zarrkit_conformance::suites::codec::CodecSuite;
use zarrkit_conformance::suites::metadata::codecs_round_trip;
use zarrkit_dtype_numeric as _;
use zarrkit_dtype_string as _;

type TestResult = Result<(), Box<dyn std::error::Error>>;

#[test]
fn codec_suite() -> TestResult {
    for conf in [r#"{}"#, r#"{"indent": 2, "ensure_ascii": false}"#] {
        let codec = format!(r#"{{"name": "numcodecs.json2", "configuration": {conf}}}"#);
        CodecSuite::from_metadata(&codec)?
            .data_types(&[
                "string", "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
                "uint64",
            ])?
            .run()?;
        // Random float bits include NaN payloads, which JSON writes as NaN: stable, not exact.
        CodecSuite::from_metadata(&codec)?
            .data_types(&["float16", "float32", "float64"])?
            .lossy()
            .run()?;
    }
    Ok(())
}

#[test]
fn metadata_suite() -> TestResult {
    codecs_round_trip(&[
        r#"{"name": "numcodecs.json2", "configuration": {"allow_nan": true, "check_circular": true, "encoding": "utf-8", "ensure_ascii": true, "indent": null, "separators": [",", ":"], "skipkeys": false, "sort_keys": true, "strict": true}}"#,
        r#"{"name": "json2", "configuration": {"indent": true}}"#,
        r#"{"name": "numcodecs.json2", "configuration": {}}"#,
    ])?;
    Ok(())
}
