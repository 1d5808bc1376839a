//! The zarrkit-conformance suites on this plugin (see `zarrkit_conformance::suites`).

use zarrkit_conformance::suites::metadata::{documents_round_trip, fill_values_round_trip};
use zarrkit_core::serde_json::json;
use zarrkit_dtype_subbyte as _;

type TestResult = Result<(), Box<dyn std::error::Error>>;

#[test]
fn fill_values() -> TestResult {
    let bad = [
        json!(1.5),
        json!("1"),
        json!("0x1"),
        json!(null),
        json!([0]),
        json!(256),
    ];
    fill_values_round_trip(
        "int2",
        &[json!(-2), json!(-1), json!(0), json!(1)],
        &[&bad[..], &[json!(2), json!(-3)]].concat(),
    )?;
    fill_values_round_trip(
        "int4",
        &[json!(-8), json!(7), json!(0)],
        &[&bad[..], &[json!(8), json!(-9)]].concat(),
    )?;
    fill_values_round_trip(
        "uint2",
        &[json!(0), json!(3)],
        &[&bad[..], &[json!(4), json!(-1)]].concat(),
    )?;
    fill_values_round_trip(
        r#"{"name": "uint4", "configuration": {}}"#,
        &[json!(0), json!(15)],
        &[&bad[..], &[json!(16), json!(-1)]].concat(),
    )?;
    Ok(())
}

#[test]
fn array_metadata_documents() -> TestResult {
    documents_round_trip(&[
        // As tensorstore 0.1.86 writes it.
        r#"{"chunk_grid":{"configuration":{"chunk_shape":[16]},"name":"regular"},"chunk_key_encoding":{"name":"default"},"codecs":[{"name":"bytes"}],"data_type":"int4","fill_value":-3,"node_type":"array","shape":[20],"zarr_format":3}"#,
        r#"{"chunk_grid":{"configuration":{"chunk_shape":[4]},"name":"regular"},"chunk_key_encoding":{"name":"default","configuration":{"separator":"/"}},"codecs":[{"name":"bytes","configuration":{"endian":"little"}}],"data_type":{"name":"uint2","configuration":{}},"fill_value":3,"node_type":"array","shape":[4],"zarr_format":3,"attributes":{}}"#,
    ])?;
    Ok(())
}
