//! The zarrkit-conformance suites on this plugin (see `zarrkit_conformance::suites`).

use zarrkit_codec_cast_value as _;
use zarrkit_conformance::suites::codec::CodecSuite;
use zarrkit_conformance::suites::metadata::codecs_round_trip;
use zarrkit_dtype_numeric as _;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn cast(conf: &str) -> Result<CodecSuite, String> {
    CodecSuite::from_metadata(&format!(
        r#"{{"name": "cast_value", "configuration": {conf}}}"#
    ))
}

#[test]
fn codec_suite() -> TestResult {
    // Widening casts that hold every value exactly: lossless.
    cast(r#"{"data_type": "int64"}"#)?
        .data_types(&["int8", "int16", "int32", "uint8", "uint16", "uint32"])?
        .run()?;
    cast(r#"{"data_type": "float64"}"#)?
        .data_types(&["int8", "int32", "uint32", "uint16"])?
        .run()?;
    cast(r#"{"data_type": "float16"}"#)?
        .data_types(&["uint8", "int8"])?
        .run()?;
    // Float widening: exact but for NaN payloads (not kept, as the spec allows): stable.
    cast(r#"{"data_type": "float64"}"#)?
        .data_types(&["float16", "bfloat16", "float32"])?
        .lossy()
        .run()?;
    // Narrowing with clamp (and NaN/infinities mapped for integer targets): lossy, stable.
    cast(r#"{"data_type": "float32", "out_of_range": "clamp"}"#)?
        .data_types(&["float64", "int64", "uint64"])?
        .lossy()
        .run()?;
    cast(r#"{"data_type": "int8", "out_of_range": "wrap"}"#)?
        .data_types(&["int16", "int64", "uint32"])?
        .lossy()
        .run()?;
    cast(
        r#"{"data_type": "uint8", "rounding": "nearest-away", "out_of_range": "clamp",
            "scalar_map": {"encode": [["NaN", 0], ["Infinity", 255], ["-Infinity", 0]]}}"#,
    )?
    .data_types(&["float32", "float64", "float16"])?
    .lossy()
    .run()?;
    Ok(())
}

#[test]
fn metadata_suite() -> TestResult {
    codecs_round_trip(&[
        r#"{"name": "cast_value", "configuration": {"data_type": "uint8"}}"#,
        r#"{"name": "cast_value", "configuration": {"data_type": {"name": "int16"}, "rounding": "towards-zero", "out_of_range": "clamp"}}"#,
        r#"{"name": "cast_value", "configuration": {"data_type": "uint8", "rounding": "towards-zero", "out_of_range": "wrap", "scalar_map": {"encode": [["NaN", 0], ["+Infinity", 0], ["-Infinity", 0]]}}}"#,
        r#"{"name": "cast_value", "configuration": {"data_type": "int8", "out_of_range": "error", "scalar_map": {"decode": [[0, 1]]}}}"#,
        r#"{"name": "cast-value", "configuration": {"data_type": "uint8", "rounding": "towards-zero", "range": "clamp"}}"#,
    ])?;
    Ok(())
}
