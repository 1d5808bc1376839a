//! The zarrkit-conformance suites on this plugin (see `zarrkit_conformance::suites`).

use zarrkit_codec_bytes as _;
use zarrkit_codec_optional as _;
use zarrkit_codec_packbits as _;
use zarrkit_codec_vlen_bytes as _;
use zarrkit_codec_vlen_utf8 as _;
use zarrkit_conformance::suites::metadata::{documents_round_trip, fill_values_round_trip};
use zarrkit_core::serde_json::{json, Value};
use zarrkit_dtype_bytes as _;
use zarrkit_dtype_datetime as _;
use zarrkit_dtype_numeric as _;
use zarrkit_dtype_optional as _;
use zarrkit_dtype_string as _;
use zarrkit_grid_regular as _;
use zarrkit_key_default as _;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn opt(inner: &str) -> Value {
    json!({"name": "zarrs.optional", "configuration": {"name": inner, "configuration": {}}})
}

#[test]
fn fill_values_suite() -> TestResult {
    fill_values_round_trip(
        &opt("int16").to_string(),
        &[json!(null), json!([0]), json!([-32768]), json!([32767])],
        &[
            json!([32768]),
            json!(0),
            json!([]),
            json!("NaN"),
            json!([[1]]),
        ],
    )?;
    fill_values_round_trip(
        &opt("float64").to_string(),
        &[
            json!(null),
            json!([1.5]),
            json!(["NaN"]),
            json!(["-Infinity"]),
            json!(["0x7ff0000000000001"]),
        ],
        &[json!(1.5), json!([1.5, 2.5])],
    )?;
    fill_values_round_trip(
        &json!({"name": "zarrs.optional", "configuration": opt("bool")}).to_string(),
        &[
            json!(null),
            json!([null]),
            json!([[true]]),
            json!([[false]]),
        ],
        &[json!([true]), json!([[2]])],
    )?;
    Ok(())
}

/// Every `zarr.json` zarrs wrote (`vectors/`) is written back identically.
#[test]
fn metadata_documents_suite() -> TestResult {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/vectors");
    let mut docs = Vec::new();
    for e in std::fs::read_dir(dir)? {
        let p = e?.path().join("zarr.json");
        if p.is_file() {
            docs.push(std::fs::read_to_string(p)?);
        }
    }
    assert!(docs.len() >= 9);
    documents_round_trip(&docs.iter().map(String::as_str).collect::<Vec<_>>())?;
    Ok(())
}
