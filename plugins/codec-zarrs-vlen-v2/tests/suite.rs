//! The zarrkit-conformance suites on this plugin (see `zarrkit_conformance::suites`).

use zarrkit_codec_zarrs_vlen_v2 as _;
use zarrkit_conformance::suites::codec::CodecSuite;
use zarrkit_conformance::suites::metadata::codecs_round_trip;
use zarrkit_dtype_bytes as _;
use zarrkit_dtype_string as _;

type TestResult = Result<(), Box<dyn std::error::Error>>;

#[test]
fn codec_suite() -> TestResult {
    CodecSuite::from_metadata(r#"{"name": "zarrs.vlen_v2", "configuration": {}}"#)?
        .data_types(&["string", "bytes"])?
        .run()?;
    Ok(())
}

#[test]
fn metadata_suite() -> TestResult {
    codecs_round_trip(&[
        r#"{"name": "zarrs.vlen_v2", "configuration": {}}"#,
        r#"{"name": "zarrs.vlen_v2"}"#,
        r#"{"name": "vlen_v2"}"#,
        r#"{"name": "https://codec.zarrs.dev/array_to_bytes/vlen_v2", "configuration": {}}"#,
    ])?;
    Ok(())
}
