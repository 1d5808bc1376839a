//! The zarrkit-conformance suites on this plugin (see `zarrkit_conformance::suites`).

use zarrkit_codec_bytes as _;
use zarrkit_codec_gzip as _;
use zarrkit_codec_optional as _;
use zarrkit_codec_packbits as _;
use zarrkit_conformance::suites::codec::CodecSuite;
use zarrkit_conformance::suites::metadata::codecs_round_trip;
use zarrkit_dtype_numeric as _;
use zarrkit_dtype_optional as _;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn data_type(json: &str) -> Result<zarrkit_core::DataType, Box<dyn std::error::Error>> {
    let m: zarrkit_core::MetadataV3 = zarrkit_core::serde_json::from_str(json)?;
    Ok(zarrkit_core::registry::create_data_type(&m)?)
}

#[test]
fn codec_suite() -> TestResult {
    let types = vec![
        data_type(
            r#"{"name": "zarrs.optional", "configuration": {"name": "uint8", "configuration": {}}}"#,
        )?,
        data_type(
            r#"{"name": "zarrs.optional", "configuration": {"name": "int32", "configuration": {}}}"#,
        )?,
        data_type(r#"{"name": "optional", "configuration": {"name": "float64"}}"#)?,
    ];
    CodecSuite::from_metadata(
        r#"{"name": "zarrs.optional", "configuration": {
            "mask_codecs": [{"name": "packbits", "configuration": {}}],
            "data_codecs": [{"name": "bytes", "configuration": {"endian": "little"}}]}}"#,
    )?
    .with_data_types(types.clone())
    .run()?;
    CodecSuite::from_metadata(
        r#"{"name": "zarrs.optional", "configuration": {
            "mask_codecs": [{"name": "bytes"}, {"name": "gzip", "configuration": {"level": 1}}],
            "data_codecs": [{"name": "bytes", "configuration": {"endian": "big"}}, {"name": "gzip", "configuration": {"level": 1}}]}}"#,
    )?
    .with_data_types(types)
    .detects_corruption(true)
    .run()?;
    // Nested: Option<Option<u16>>.
    CodecSuite::from_metadata(
        r#"{"name": "zarrs.optional", "configuration": {
            "mask_codecs": [{"name": "packbits"}],
            "data_codecs": [{"name": "zarrs.optional", "configuration": {
                "mask_codecs": [{"name": "packbits"}],
                "data_codecs": [{"name": "bytes", "configuration": {"endian": "little"}}]}}]}}"#,
    )?
    .with_data_types(vec![data_type(
        r#"{"name": "zarrs.optional", "configuration": {"name": "zarrs.optional", "configuration": {"name": "uint16", "configuration": {}}}}"#,
    )?])
    .run()?;
    Ok(())
}

#[test]
fn metadata_suite() -> TestResult {
    codecs_round_trip(&[
        r#"{"name": "zarrs.optional", "configuration": {"mask_codecs": [{"name": "packbits", "configuration": {}}], "data_codecs": [{"name": "bytes", "configuration": {"endian": "little"}}]}}"#,
        r#"{"name": "optional", "configuration": {"mask_codecs": ["packbits", {"name": "gzip", "configuration": {"level": 5}}], "data_codecs": [{"name": "bytes"}]}}"#,
        r#"{"name": "https://codec.zarrs.dev/array_to_bytes/optional", "configuration": {"mask_codecs": [{"name": "packbits"}], "data_codecs": [{"name": "zarrs.optional", "configuration": {"mask_codecs": [{"name": "packbits"}], "data_codecs": [{"name": "bytes"}]}}]}}"#,
    ])?;
    Ok(())
}
