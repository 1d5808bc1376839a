//! The zarrkit-conformance suites on this plugin (see `zarrkit_conformance::suites`).

use zarrkit_codec_bytes as _;
use zarrkit_codec_gzip as _;
use zarrkit_codec_zarrs_vlen as _;
use zarrkit_conformance::suites::codec::CodecSuite;
use zarrkit_conformance::suites::metadata::codecs_round_trip;
use zarrkit_dtype_bytes as _;
use zarrkit_dtype_numeric as _;
use zarrkit_dtype_string as _;

type TestResult = Result<(), Box<dyn std::error::Error>>;

#[test]
fn codec_suite() -> TestResult {
    for (index_type, location) in [("uint64", "start"), ("uint32", "end")] {
        CodecSuite::from_metadata(&format!(
            r#"{{"name": "zarrs.vlen", "configuration": {{
                "index_codecs": [{{"name": "bytes", "configuration": {{"endian": "little"}}}}],
                "data_codecs": [{{"name": "bytes"}}],
                "index_data_type": "{index_type}", "index_location": "{location}"}}}}"#
        ))?
        .data_types(&["string", "bytes"])?
        .run()?;
    }
    CodecSuite::from_metadata(
        r#"{"name": "zarrs.vlen", "configuration": {
            "index_codecs": [{"name": "bytes", "configuration": {"endian": "big"}}, {"name": "gzip", "configuration": {"level": 1}}],
            "data_codecs": [{"name": "bytes"}, {"name": "gzip", "configuration": {"level": 1}}],
            "index_data_type": "uint32"}}"#,
    )?
    .data_types(&["string"])?
    .detects_corruption(true)
    .run()?;
    Ok(())
}

#[test]
fn metadata_suite() -> TestResult {
    codecs_round_trip(&[
        r#"{"name": "zarrs.vlen", "configuration": {"index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}}], "data_codecs": [{"name": "bytes"}], "index_data_type": "uint64", "index_location": "start"}}"#,
        r#"{"name": "zarrs.vlen", "configuration": {"index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}}], "data_codecs": [{"name": "bytes"}], "index_data_type": "uint32"}}"#,
        r#"{"name": "https://codec.zarrs.dev/array_to_bytes/vlen", "configuration": {"index_codecs": ["bytes"], "data_codecs": ["bytes", {"name": "gzip", "configuration": {"level": 5}}], "index_data_type": "uint32", "index_location": "end"}}"#,
    ])?;
    Ok(())
}
