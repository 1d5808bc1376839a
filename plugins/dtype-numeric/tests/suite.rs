//! The zarrkit-conformance suites on this plugin (see `zarrkit_conformance::suites`).

use zarrkit_conformance::suites::metadata::{documents_round_trip, fill_values_round_trip};
use zarrkit_core::serde_json::json;
use zarrkit_dtype_numeric as _;

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// The first argument is the data type's V3 metadata as JSON.
#[test]
fn fill_values() -> TestResult {
    fill_values_round_trip(
        "bool",
        &[json!(false), json!(true)],
        &[json!(2), json!("x")],
    )?;
    fill_values_round_trip(
        "int8",
        &[json!(-128), json!(127), json!(0)],
        &[json!(128), json!(1.5)],
    )?;
    fill_values_round_trip("uint64", &[json!(0u64), json!(u64::MAX)], &[json!(-1)])?;
    fill_values_round_trip("int64", &[json!(i64::MIN), json!(i64::MAX)], &[json!("1")])?;
    fill_values_round_trip(
        "float16",
        &[
            json!(1.5),
            json!("NaN"),
            json!("Infinity"),
            json!("-Infinity"),
            json!("0x7e01"),
        ],
        &[json!("nan"), json!([1.0])],
    )?;
    fill_values_round_trip(
        "bfloat16",
        &[json!(-2.0), json!("NaN"), json!("0x7fc1")],
        &[json!(true)],
    )?;
    fill_values_round_trip(
        "float32",
        &[
            json!(0.0),
            json!(-0.0),
            json!(3.25),
            json!("NaN"),
            json!("-Infinity"),
            json!("0x7fc00001"),
        ],
        &[json!("0x7fc0000100")],
    )?;
    fill_values_round_trip(
        "float64",
        &[
            json!(1e300),
            json!(5e-324),
            json!("NaN"),
            json!("0x7ff8000000000001"),
        ],
        &[json!(null)],
    )?;
    fill_values_round_trip(
        "complex64",
        &[json!([1.5, -2.0]), json!(["NaN", "Infinity"])],
        &[json!(1.0), json!([1.0])],
    )?;
    fill_values_round_trip(
        "complex128",
        &[json!([0.0, 1e-300])],
        &[json!([1.0, 2.0, 3.0])],
    )?;
    Ok(())
}

#[test]
fn array_metadata_documents() -> TestResult {
    documents_round_trip(&[
        r#"{"zarr_format": 3, "node_type": "array", "shape": [20, 33], "data_type": "int32",
            "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [8, 10]}},
            "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
            "fill_value": 0, "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}],
            "attributes": {}, "storage_transformers": []}"#,
        r#"{"zarr_format": 3, "node_type": "array", "shape": [20, 33], "data_type": "float64",
            "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [8, 10]}},
            "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
            "fill_value": "NaN", "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}],
            "attributes": {}, "storage_transformers": []}"#,
    ])?;
    Ok(())
}
