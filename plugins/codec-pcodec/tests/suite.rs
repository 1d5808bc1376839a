//! The zarrkit-conformance suites on this plugin (see `zarrkit_conformance::suites`).

use zarrkit_codec_pcodec as _;
use zarrkit_conformance::suites::codec::CodecSuite;
use zarrkit_conformance::suites::metadata::codecs_round_trip;
use zarrkit_dtype_numeric as _;

type TestResult = Result<(), Box<dyn std::error::Error>>;

#[test]
fn codec_suite() -> TestResult {
    let types = [
        "int16", "int32", "int64", "uint16", "uint32", "uint64", "float16", "float32", "float64",
    ];
    CodecSuite::from_metadata(r#"{"name": "numcodecs.pcodec", "configuration": {"level": 8}}"#)?
        .data_types(&types)?
        .run()?;
    CodecSuite::from_metadata(
        r#"{"name": "numcodecs.pcodec", "configuration": {"level": 2, "mode_spec": "classic", "delta_spec": "try_lookback", "equal_pages_up_to": 100}}"#,
    )?
    .data_types(&types)?
    .run()?;
    Ok(())
}

#[test]
fn metadata_suite() -> TestResult {
    codecs_round_trip(&[
        r#"{"name": "numcodecs.pcodec", "configuration": {"level": 5, "mode_spec": "auto", "delta_spec": "auto", "paging_spec": "equal_pages_up_to", "delta_encoding_order": null, "equal_pages_up_to": 262144}}"#,
        r#"{"name": "pcodec", "configuration": {"level": 8, "mode_spec": "classic", "delta_spec": "try_consecutive", "paging_spec": "equal_pages_up_to", "delta_encoding_order": 2, "equal_pages_up_to": 1000}}"#,
    ])?;
    Ok(())
}
