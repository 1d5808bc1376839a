//! The zarrkit-conformance suites on this plugin (see `zarrkit_conformance::suites`).

use zarrkit_conformance::suites::metadata::{
    documents_round_trip, extensions_round_trip, Extension,
};
use zarrkit_grid_rectilinear as _;

type TestResult = Result<(), Box<dyn std::error::Error>>;

#[test]
fn metadata_suite() -> TestResult {
    extensions_round_trip(
        Extension::ChunkGrid,
        &[
            r#"{"name": "rectilinear", "configuration": {"kind": "inline", "chunk_shapes": [4, [1, 2, 3], [[4, 2]], [[1, 3], 3], [4, 4, 4]]}}"#,
            r#"{"name": "rectilinear", "configuration": {"kind": "inline", "chunk_shapes": [[[5, 3], [15, 2], 20, 35], 10]}}"#,
            r#"{"name": "rectilinear", "configuration": {"kind": "inline", "chunk_shapes": []}}"#,
        ],
    )?;
    Ok(())
}

#[test]
fn array_metadata_documents() -> TestResult {
    documents_round_trip(&[
        r#"{"zarr_format": 3, "node_type": "array", "shape": [6, 6], "data_type": "uint8",
            "chunk_grid": {"name": "rectilinear", "configuration": {"kind": "inline", "chunk_shapes": [[1, [2, 1], 3], 4]}},
            "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
            "fill_value": 0, "codecs": [{"name": "bytes"}],
            "attributes": {}, "storage_transformers": []}"#,
    ])?;
    Ok(())
}
