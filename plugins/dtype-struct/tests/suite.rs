//! The zarrkit-conformance suites with this plugin's data type.

use std::sync::Arc;

use zarrkit_conformance::suites::codec::CodecSuite;
use zarrkit_conformance::suites::metadata::documents_round_trip;
use zarrkit_core::serde_json::json;
use zarrkit_core::DataType;

use zarrkit_codec_bytes as _;
use zarrkit_dtype_datetime as _;
use zarrkit_dtype_fixed as _;
use zarrkit_dtype_numeric as _;
use zarrkit_dtype_struct::parse_configuration;
use zarrkit_grid_regular as _;
use zarrkit_key_default as _;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn types() -> Result<Vec<DataType>, String> {
    [
        json!({"fields": [{"name": "id", "data_type": "int32"}, {"name": "flags", "data_type": "uint8"}, {"name": "value", "data_type": "float64"}]}),
        json!({"fields": [{"name": "ok", "data_type": "bool"}, {"name": "p", "data_type": {"name": "struct", "configuration": {"fields": [{"name": "x", "data_type": "float32"}, {"name": "t", "data_type": {"name": "numpy.datetime64", "configuration": {"unit": "ms", "scale_factor": 1}}}]}}}]}),
        json!({"fields": [["a", "uint16"], ["b", "complex64"]]}),
    ]
    .iter()
    .map(|c| parse_configuration("struct", c).map(|s| Arc::new(s) as DataType))
    .collect()
}

#[test]
fn bytes_codec_with_struct_types() -> TestResult {
    let host = if cfg!(target_endian = "little") {
        "little"
    } else {
        "big"
    };
    let other = if host == "little" { "big" } else { "little" };
    CodecSuite::from_metadata(&format!(
        r#"{{"name": "bytes", "configuration": {{"endian": "{host}"}}}}"#
    ))?
    .with_data_types(types()?)
    .run()?;
    // The other byte order: only records every byte of which is a unit of one size (the
    // current core's `bytes` swaps `endianness_unit` groups, so for the others its partial
    // and full decodes even disagree — see `non_uniform_records_need_the_core_capability`).
    let uniform = parse_configuration(
        "struct",
        &json!({"fields": [{"name": "x", "data_type": "float32"}, {"name": "c", "data_type": "complex64"}, {"name": "u", "data_type": "uint32"}]}),
    )?;
    assert!(uniform.is_uniform());
    CodecSuite::from_metadata(&format!(
        r#"{{"name": "bytes", "configuration": {{"endian": "{other}"}}}}"#
    ))?
    .with_data_types(vec![Arc::new(uniform) as DataType])
    .run()?;
    Ok(())
}

/// Needs core change C2: the `bytes` codec swapping each field ([`byte_swaps`]) instead of
/// `endianness_unit` groups.
///
/// [`byte_swaps`]: zarrkit_dtype_struct::StructDataType::byte_swaps
#[test]
fn non_uniform_records_need_the_core_capability() -> TestResult {
    let other = if cfg!(target_endian = "little") {
        "big"
    } else {
        "little"
    };
    CodecSuite::from_metadata(&format!(
        r#"{{"name": "bytes", "configuration": {{"endian": "{other}"}}}}"#
    ))?
    .with_data_types(types()?)
    .run()?;
    Ok(())
}

#[test]
fn metadata_documents() -> TestResult {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors/v3");
    let mut docs = Vec::new();
    for e in std::fs::read_dir(dir)? {
        docs.push(std::fs::read_to_string(e?.path().join("zarr.json"))?);
    }
    assert!(docs.len() >= 8);
    let refs: Vec<&str> = docs.iter().map(String::as_str).collect();
    documents_round_trip(&refs)?;
    Ok(())
}
