//! The suites themselves: the store suite on the core's `MemoryStore` (which the core cannot
//! test with this crate without a dependency cycle), and the codec and metadata suites on
//! good and deliberately broken codecs — a suite that passes everything proves nothing.

use std::sync::Arc;

use zarrkit_conformance::suites::codec::{bytes_to_bytes, CodecSuite, RawDataType};
use zarrkit_conformance::suites::metadata::{document_round_trip, documents_round_trip};
use zarrkit_conformance::suites::store::store_suite;
use zarrkit_core::codec::{Bytes, BytesRepresentation, BytesToBytesCodecTraits, CodecTraits};
use zarrkit_core::serde_json::{Map, Value};
use zarrkit_core::storage::{MemoryStore, StoreKey, WritableStorageTraits};
use zarrkit_core::{CodecError, CodecOptions};

type TestResult = Result<(), Box<dyn std::error::Error>>;

#[test]
fn memory_store_passes_the_store_suite() -> TestResult {
    let report = store_suite(&MemoryStore::new())?;
    assert!(report.checks >= 8, "{report:?}");
    Ok(())
}

#[test]
fn the_store_suite_needs_an_empty_store() -> TestResult {
    let store = MemoryStore::new();
    store.set(&StoreKey::new("x")?, Bytes::from_static(b"1"))?;
    let e = store_suite(&store)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.contains("empty store"), "{e}");
    Ok(())
}

/// How a test codec misbehaves.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Flaw {
    None,
    /// Panics on input it did not produce.
    PanicsOnBadInput,
    /// Drops the last byte when decoding.
    DropsLastByte,
    /// Accepts any input (no checksum), though declared to detect corruption.
    NoIntegrity,
}

/// A checksum codec: the input then its byte sum (u32 LE).
#[derive(Debug)]
struct SumCodec(Flaw);

impl CodecTraits for SumCodec {
    fn name(&self) -> &str {
        "x-test-sum"
    }
    fn configuration(&self) -> Option<Map<String, Value>> {
        None
    }
}

fn sum(b: &[u8]) -> u32 {
    b.iter().map(|&x| u32::from(x)).sum()
}

impl BytesToBytesCodecTraits for SumCodec {
    fn encoded_representation(&self, decoded: &BytesRepresentation) -> BytesRepresentation {
        match decoded {
            BytesRepresentation::Fixed(n) => BytesRepresentation::Fixed(n + 4),
            BytesRepresentation::Bounded(n) => BytesRepresentation::Bounded(n + 4),
            BytesRepresentation::Unbounded => BytesRepresentation::Unbounded,
        }
    }
    fn encode(&self, mut input: Vec<u8>, _o: &CodecOptions) -> Result<Vec<u8>, CodecError> {
        let s = sum(&input);
        input.extend_from_slice(&s.to_le_bytes());
        Ok(input)
    }
    #[allow(clippy::panic)]
    fn decode(
        &self,
        input: Bytes,
        _d: &BytesRepresentation,
        _o: &CodecOptions,
    ) -> Result<Bytes, CodecError> {
        let mut input = Vec::from(input);
        if input.len() < 4 {
            if self.0 == Flaw::PanicsOnBadInput {
                panic!("short input");
            }
            return Err(CodecError::new("x-test-sum", "too short"));
        }
        let tail = input.split_off(input.len() - 4);
        let stored = u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]);
        if stored != sum(&input) && self.0 != Flaw::NoIntegrity {
            if self.0 == Flaw::PanicsOnBadInput {
                panic!("bad checksum");
            }
            return Err(CodecError::new("x-test-sum", "checksum mismatch"));
        }
        if self.0 == Flaw::DropsLastByte {
            input.pop();
        }
        Ok(input.into())
    }
}

fn suite(flaw: Flaw) -> CodecSuite {
    CodecSuite::new(bytes_to_bytes(SumCodec(flaw))).detects_corruption(true)
}

#[test]
fn a_good_codec_passes_the_codec_suite() -> TestResult {
    let report = suite(Flaw::None).run()?;
    assert!(report.checks > 100, "{report:?}");
    Ok(())
}

#[test]
fn the_codec_suite_finds_flaws() {
    for (flaw, want) in [
        (Flaw::PanicsOnBadInput, "panicked"),
        (Flaw::DropsLastByte, "round trip"),
        (Flaw::NoIntegrity, "different data without an error"),
    ] {
        let e = suite(flaw)
            .run()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains(want), "{flaw:?}: {e}");
    }
    // Without the claim to detect corruption, wrong data is no failure; output beyond the
    // decoded size (here from appended bytes) still is.
    let e = suite(Flaw::NoIntegrity)
        .detects_corruption(false)
        .run()
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(!e.contains("different data without an error"), "{e}");
    assert!(e.contains("appended") && e.contains("more than"), "{e}");
}

#[test]
fn array_level_checks_run_on_raw_types() -> TestResult {
    let report = CodecSuite::new(bytes_to_bytes(SumCodec(Flaw::None)))
        .with_data_types(vec![Arc::new(RawDataType(2))])
        .shapes(&[&[3, 4]])
        .run()?;
    assert!(report.checks > 5, "{report:?}");
    Ok(())
}

#[test]
fn metadata_documents() -> TestResult {
    documents_round_trip(&[
        r#"{"zarr_format": 3, "node_type": "group", "attributes": {"a": [1, 2.50]}}"#,
        r#"{"zarr_format": 3, "node_type": "array", "shape": [2], "data_type": "x-any",
            "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [2]}},
            "chunk_key_encoding": {"name": "default"}, "fill_value": 0, "codecs": ["bytes"]}"#,
        r#"{"zarr_format": 2, "shape": [4], "chunks": [2], "dtype": "<i4", "fill_value": null,
            "order": "C", "filters": null, "compressor": {"id": "zlib", "level": 1}}"#,
        r#"{"zarr_format": 2}"#,
    ])?;
    assert!(document_round_trip(r#"{"zarr_format": 4}"#).is_err());
    assert!(document_round_trip("{").is_err());
    Ok(())
}
