//! A prototype of core change C2 inside this crate's tests: a `bytes` codec that swaps the
//! byte ranges [`StructDataType::byte_swaps`] gives instead of `endianness_unit` groups. It
//! reads the stores the current core cannot (the non-uniform big-endian `struct`, zarr-python
//! 2's mixed-byte-order record) through zarrkit's Array API, which shows the capability is
//! enough. (The real change puts `byte_swaps` on `DataTypeExtension` and this logic in the
//! `bytes` plugin; here the codec holds the struct type, as it cannot downcast the array's.)

use std::path::Path;
use std::sync::Arc;

use zarrkit_conformance::suites::codec::CodecSuite;
use zarrkit_core::array_bytes::ArrayBytes;
use zarrkit_core::codec::{
    ArrayToBytesCodecTraits, Bytes, BytesRepresentation, ChunkRepresentation, Codec, CodecTraits,
};
use zarrkit_core::data_type::DataTypeExtension;
use zarrkit_core::serde_json::{self, json, Map, Value};
use zarrkit_core::{ArrayBuilder, ArraySubset, CodecError, CodecOptions, MetadataV3};
use zarrkit_dtype_struct::{from_v2_value, parse_configuration, StructDataType};
use zarrkit_store_filesystem::FilesystemStore;

use zarrkit_dtype_numeric as _;
use zarrkit_grid_regular as _;
use zarrkit_key_default as _;
use zarrkit_key_v2 as _;

type R = Result<(), Box<dyn std::error::Error>>;

#[derive(Debug, Clone)]
struct BytesC2 {
    little: Option<bool>,
    record: StructDataType,
}

impl CodecTraits for BytesC2 {
    fn name(&self) -> &str {
        "bytes"
    }
    fn configuration(&self) -> Option<Map<String, Value>> {
        let mut m = Map::new();
        if let Some(l) = self.little {
            m.insert("endian".into(), json!(if l { "little" } else { "big" }));
        }
        Some(m)
    }
}

impl BytesC2 {
    fn convert(
        &self,
        mut b: Vec<u8>,
        decoded: &ChunkRepresentation,
    ) -> Result<Vec<u8>, CodecError> {
        let want = decoded.fixed_size().unwrap_or(0) as usize;
        if b.len() != want {
            return Err(CodecError::UnexpectedSize {
                codec: "bytes".into(),
                expected: want as u64,
                actual: b.len() as u64,
            });
        }
        let runs =
            self.record
                .byte_swaps(self.little)
                .map_err(|message| CodecError::Unsupported {
                    codec: "bytes".into(),
                    message,
                })?;
        self.record.swap_records(&mut b, &runs);
        Ok(b)
    }
}

impl ArrayToBytesCodecTraits for BytesC2 {
    fn encoded_representation(
        &self,
        decoded: &ChunkRepresentation,
    ) -> Result<BytesRepresentation, CodecError> {
        self.record
            .byte_swaps(self.little)
            .map_err(|message| CodecError::Unsupported {
                codec: "bytes".into(),
                message,
            })?;
        Ok(BytesRepresentation::Fixed(
            decoded.fixed_size().unwrap_or(0),
        ))
    }
    fn encode(
        &self,
        input: ArrayBytes,
        decoded: &ChunkRepresentation,
        _: &CodecOptions,
    ) -> Result<Vec<u8>, CodecError> {
        self.convert(
            input
                .into_fixed()
                .ok_or_else(|| CodecError::new("bytes", "variable"))?,
            decoded,
        )
    }
    fn decode(
        &self,
        input: Bytes,
        decoded: &ChunkRepresentation,
        _: &CodecOptions,
    ) -> Result<ArrayBytes, CodecError> {
        Ok(ArrayBytes::Fixed(self.convert(input.to_vec(), decoded)?))
    }
}

const VECTORS: &str = include_str!("../vectors/vectors.json");

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .filter_map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

fn native(s: &StructDataType, mut b: Vec<u8>) -> Result<Vec<u8>, String> {
    if cfg!(target_endian = "big") {
        let runs = s.byte_swaps(Some(false))?;
        s.swap_records(&mut b, &runs);
    }
    Ok(b)
}

#[test]
fn the_capability_reads_what_the_current_core_cannot() -> R {
    let v: Value = serde_json::from_str(VECTORS)?;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors");

    // The newest spec's 13-byte record, big endian (hand-built store).
    let meta: Value =
        serde_json::from_slice(&std::fs::read(dir.join("v3/struct_big_mixed/zarr.json"))?)?;
    let conf = meta["data_type"]["configuration"].clone();
    let record = parse_configuration("struct", &conf)?;
    let store = Arc::new(FilesystemStore::new(dir.join("v3/struct_big_mixed"))?);
    let a = ArrayBuilder::new(vec![3], vec![3], "struct", meta["fill_value"].clone())
        .data_type(MetadataV3::new_with_configuration(
            "struct",
            conf.as_object().cloned().unwrap_or_default(),
        ))
        .array_to_bytes_codec(Arc::new(BytesC2 {
            little: Some(false),
            record: record.clone(),
        }))
        .build(store, "/")?;
    let got = a.read::<ArrayBytes>(ArraySubset::new_with_shape(vec![3]))?;
    let case = v["struct"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["store"] == "v3/struct_big_mixed"))
        .ok_or("case")?;
    let want = native(&record, unhex(case["records_le"].as_str().ok_or("r")?))?;
    assert_eq!(got.as_fixed(), Some(want.as_slice()));

    // zarr-python 2's record with fields of both byte orders (a `bytes` without `endian`:
    // each field in its declared order), read through the `v2` chunk keys.
    let z: Value = serde_json::from_slice(&std::fs::read(dir.join("v2/mixed/.zarray"))?)?;
    let record = from_v2_value(&z["dtype"])?;
    assert!(record.has_mixed_byte_order());
    let fill = record.fill_value_to_json(&record.fill_value_from_json_v2(&z["fill_value"])?)?;
    let store = Arc::new(FilesystemStore::new(dir.join("v2/mixed"))?);
    let a = ArrayBuilder::new(vec![4], vec![4], "struct", fill)
        .data_type(MetadataV3::new_with_configuration(
            "struct",
            record.configuration().unwrap_or_default(),
        ))
        .chunk_key_encoding(MetadataV3::new_with_configuration(
            "v2",
            json!({"separator": "."})
                .as_object()
                .cloned()
                .unwrap_or_default(),
        ))
        .array_to_bytes_codec(Arc::new(BytesC2 {
            little: None,
            record: record.clone(),
        }))
        .build(store, "/")?;
    let got = a.read::<ArrayBytes>(ArraySubset::new_with_shape(vec![4]))?;
    let case = v["v2"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["store"] == "v2/mixed"))
        .ok_or("case")?;
    let want = native(&record, unhex(case["records_le"].as_str().ok_or("r")?))?;
    assert_eq!(got.as_fixed(), Some(want.as_slice()));
    Ok(())
}

#[test]
fn the_capability_passes_the_codec_suite_in_both_byte_orders() -> R {
    for conf in [
        json!({"fields": [{"name": "id", "data_type": "int32"}, {"name": "flags", "data_type": "uint8"}, {"name": "value", "data_type": "float64"}]}),
        json!({"fields": [{"name": "a", "data_type": "int16"}, {"name": "p", "data_type": {"name": "struct", "configuration": {"fields": [{"name": "x", "data_type": "complex128"}, {"name": "b", "data_type": "bool"}]}}}]}),
    ] {
        let record = parse_configuration("struct", &conf)?;
        for little in [true, false] {
            let codec = Codec::ArrayToBytes(Arc::new(BytesC2 {
                little: Some(little),
                record: record.clone(),
            }));
            CodecSuite::new(codec)
                .with_data_types(vec![Arc::new(record.clone()) as zarrkit_core::DataType])
                .run()?;
        }
        // The spec: a `struct` with multi-byte fields needs an `endian`.
        let codec = BytesC2 {
            little: None,
            record: record.clone(),
        };
        let repr = ChunkRepresentation::new(
            vec![1],
            Arc::new(record.clone()),
            zarrkit_core::FillValue::new(vec![0; record.record_size()]),
        );
        assert!(codec.encoded_representation(&repr).is_err());
    }
    Ok(())
}
