//! The zarrkit-conformance suites on this plugin (see `zarrkit_conformance::suites`).

use zarrkit_codec_bytes as _;
use zarrkit_codec_crc32c as _;
use zarrkit_codec_sharding as _;
use zarrkit_codec_transpose as _;
use zarrkit_codec_zstd as _;
use zarrkit_conformance::suites::codec::CodecSuite;
use zarrkit_conformance::suites::metadata::codecs_round_trip;
use zarrkit_dtype_numeric as _;

type TestResult = Result<(), Box<dyn std::error::Error>>;

#[test]
fn codec_suite() -> TestResult {
    let sharding = |inner: &str, location: &str| {
        format!(
            r#"{{"name": "sharding_indexed", "configuration": {{"chunk_shape": {inner},
                "codecs": [{{"name": "bytes", "configuration": {{"endian": "little"}}}},
                           {{"name": "zstd", "configuration": {{"level": 1, "checksum": false}}}}],
                "index_codecs": [{{"name": "bytes", "configuration": {{"endian": "little"}}}}, {{"name": "crc32c"}}],
                "index_location": "{location}"}}}}"#
        )
    };
    CodecSuite::from_metadata(&sharding("[2, 2]", "end"))?
        .data_types(&["uint8", "int32", "float64"])?
        .shapes(&[&[2, 2], &[4, 6], &[8, 8], &[64, 64]])
        .detects_corruption(false)
        .run()?;
    CodecSuite::from_metadata(&sharding("[1, 2, 3]", "start"))?
        .data_types(&["int16"])?
        .shapes(&[&[1, 2, 3], &[2, 4, 6]])
        .run()?;
    Ok(())
}

#[test]
fn metadata_suite() -> TestResult {
    codecs_round_trip(&[
        r#"{"name": "sharding_indexed", "configuration": {"chunk_shape": [2, 2], "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}], "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "crc32c"}], "index_location": "end"}}"#,
    ])?;
    Ok(())
}
