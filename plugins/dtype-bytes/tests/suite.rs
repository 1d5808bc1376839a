//! The zarrkit-conformance suites on this plugin (see `zarrkit_conformance::suites`).

use zarrkit_conformance::suites::metadata::{documents_round_trip, fill_values_round_trip};
use zarrkit_core::serde_json::json;
use zarrkit_dtype_bytes as _;

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// The first argument is the data type's V3 metadata as JSON.
#[test]
fn fill_values() -> TestResult {
    fill_values_round_trip(
        "variable_length_bytes",
        &[json!(""), json!("AAEC")],
        &[json!(1.5)],
    )?;
    Ok(())
}

#[test]
fn array_metadata_documents() -> TestResult {
    documents_round_trip(&[
        r#"{"zarr_format": 3, "node_type": "array", "shape": [20, 33], "data_type": "variable_length_bytes",
            "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [8, 10]}},
            "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
            "fill_value": "", "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}],
            "attributes": {}, "storage_transformers": []}"#,
    ])?;
    Ok(())
}
