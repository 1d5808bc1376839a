//! The zarrkit-conformance suites on this plugin (see `zarrkit_conformance::suites`).

use zarrkit_conformance::suites::metadata::{documents_round_trip, fill_values_round_trip};
use zarrkit_core::serde_json::json;
use zarrkit_dtype_datetime as _;

type TestResult = Result<(), Box<dyn std::error::Error>>;

#[test]
fn fill_values() -> TestResult {
    for dt in [
        r#"{"name": "numpy.datetime64", "configuration": {"unit": "ms", "scale_factor": 10}}"#,
        r#"{"name": "numpy.timedelta64", "configuration": {"unit": "generic", "scale_factor": 1}}"#,
    ] {
        fill_values_round_trip(
            dt,
            &[
                json!(0),
                json!(-9223372036854775808i64),
                json!(9223372036854775807i64),
                json!(-5),
            ],
            &[
                json!(1.5),
                json!("2024-01-01"),
                json!(null),
                json!(9223372036854775808u64),
            ],
        )?;
    }
    Ok(())
}

#[test]
fn array_metadata_documents() -> TestResult {
    documents_round_trip(&[
        r#"{"shape": [3], "data_type": {"name": "numpy.datetime64", "configuration": {"unit": "ms", "scale_factor": 1}},
            "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [3]}},
            "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
            "fill_value": -9223372036854775808, "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}],
            "attributes": {}, "zarr_format": 3, "node_type": "array", "storage_transformers": []}"#,
        r#"{"shape": [3], "chunks": [3], "dtype": ">m8[10s]", "fill_value": -1, "order": "C",
            "filters": null, "dimension_separator": ".", "compressor": null, "zarr_format": 2}"#,
    ])?;
    Ok(())
}
