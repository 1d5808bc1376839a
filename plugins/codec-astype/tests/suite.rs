//! The zarrkit-conformance suites on this plugin (see `zarrkit_conformance::suites`).

use zarrkit_codec_astype as _;
use zarrkit_conformance::suites::codec::CodecSuite;
use zarrkit_conformance::suites::metadata::codecs_round_trip;
use zarrkit_dtype_numeric as _;

type TestResult = Result<(), Box<dyn std::error::Error>>;

#[test]
fn codec_suite() -> TestResult {
    // Widening casts are exact.
    for (enc, dec, dt) in [
        ("<i8", "<i4", "int32"),
        ("<f8", "<i4", "int32"),
        ("<i4", "|u1", "uint8"),
        ("<f4", "<f2", "float16"),
    ] {
        CodecSuite::from_metadata(&format!(
            r#"{{"name": "numcodecs.astype", "configuration": {{"encode_dtype": "{enc}", "decode_dtype": "{dec}"}}}}"#
        ))?
        .data_types(&[dt])?
        .run()?;
    }
    // Narrowing casts lose information, and float32 -> float64 quiets signalling NaNs (as
    // NumPy's cast does): decoding is stable.
    for (enc, dec, dt) in [
        ("<f8", "<f4", "float32"),
        ("<f4", "<f8", "float64"),
        ("<i2", "<i8", "int64"),
        ("|u1", "<f8", "float64"),
        ("<f2", "<f8", "float64"),
        ("|b1", "<i4", "int32"),
    ] {
        CodecSuite::from_metadata(&format!(
            r#"{{"name": "numcodecs.astype", "configuration": {{"encode_dtype": "{enc}", "decode_dtype": "{dec}"}}}}"#
        ))?
        .data_types(&[dt])?
        .lossy()
        .run()?;
    }
    Ok(())
}

#[test]
fn metadata_suite() -> TestResult {
    codecs_round_trip(&[
        r#"{"name": "numcodecs.astype", "configuration": {"encode_dtype": "<f4", "decode_dtype": "<f8"}}"#,
        r#"{"name": "astype", "configuration": {"encode_dtype": "int16"}}"#,
    ])?;
    Ok(())
}
