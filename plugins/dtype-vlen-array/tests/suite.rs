//! The zarrkit-conformance suites on this plugin (see `zarrkit_conformance::suites`).

use zarrkit_conformance::suites::metadata::{documents_round_trip, fill_values_round_trip};
use zarrkit_core::serde_json::json;
use zarrkit_dtype_numeric as _;
use zarrkit_dtype_vlen_array as _;

type TestResult = Result<(), Box<dyn std::error::Error>>;

#[test]
fn fill_values() -> TestResult {
    fill_values_round_trip(
        r#"{"name": "zarrkit.vlen_array", "configuration": {"data_type": "int32"}}"#,
        &[json!([]), json!([1, -2, 3]), json!([2147483647])],
        &[
            json!(1),
            json!([1.5]),
            json!(["a"]),
            json!([2147483648_i64]),
        ],
    )?;
    fill_values_round_trip(
        r#"{"name": "zarrkit.vlen_array", "configuration": {"data_type": "float32"}}"#,
        &[json!([]), json!([0.5, "NaN", "Infinity"])],
        &[json!("NaN")],
    )?;
    fill_values_round_trip("zarrkit.vlen_array", &[json!([])], &[json!([1]), json!(0)])?;
    Ok(())
}

#[test]
fn array_metadata_documents() -> TestResult {
    documents_round_trip(&[
        r#"{"zarr_format": 3, "node_type": "array", "shape": [20], "data_type": {"name": "zarrkit.vlen_array", "configuration": {"data_type": "uint16"}},
            "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [8]}},
            "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
            "fill_value": [], "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}],
            "attributes": {}}"#,
    ])?;
    Ok(())
}
