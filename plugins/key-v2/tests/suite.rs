//! The zarrkit-conformance suites on this plugin (see `zarrkit_conformance::suites`).

use zarrkit_conformance::suites::metadata::{extensions_round_trip, Extension};
use zarrkit_key_v2 as _;

#[test]
fn metadata_suite() -> Result<(), Box<dyn std::error::Error>> {
    extensions_round_trip(
        Extension::ChunkKeyEncoding,
        &[
            r#"{"name": "v2", "configuration": {"separator": "."}}"#,
            r#"{"name": "v2", "configuration": {"separator": "/"}}"#,
        ],
    )?;
    Ok(())
}
