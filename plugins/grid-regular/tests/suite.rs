//! The zarrkit-conformance suites on this plugin (see `zarrkit_conformance::suites`).

use zarrkit_conformance::suites::metadata::{extensions_round_trip, Extension};
use zarrkit_grid_regular as _;

#[test]
fn metadata_suite() -> Result<(), Box<dyn std::error::Error>> {
    extensions_round_trip(
        Extension::ChunkGrid,
        &[
            r#"{"name": "regular", "configuration": {"chunk_shape": [8, 10]}}"#,
            r#"{"name": "regular", "configuration": {"chunk_shape": []}}"#,
            r#"{"name": "regular", "configuration": {"chunk_shape": [1, 2, 3, 4]}}"#,
        ],
    )?;
    Ok(())
}
