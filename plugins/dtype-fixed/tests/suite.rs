//! The zarrkit-conformance suites on this plugin (see `zarrkit_conformance::suites`).

use zarrkit_conformance::suites::metadata::fill_values_round_trip;
use zarrkit_core::serde_json::json;
use zarrkit_dtype_fixed as _;

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// The first argument is the data type's V3 metadata as JSON.
#[test]
fn fill_values() -> TestResult {
    fill_values_round_trip(
        r#"{"name": "null_terminated_bytes", "configuration": {"length_bytes": 6}}"#,
        &[json!("YWJj"), json!("")],
        &[json!(12)],
    )?;
    fill_values_round_trip(
        r#"{"name": "raw_bytes", "configuration": {"length_bytes": 3}}"#,
        &[json!("AQID")],
        &[json!("AQIDBA==")],
    )?;
    fill_values_round_trip(
        r#"{"name": "fixed_length_utf32", "configuration": {"length_bytes": 20}}"#,
        &[json!("abc"), json!(""), json!("héllo")],
        &[json!("toolongtext")],
    )?;
    Ok(())
}
