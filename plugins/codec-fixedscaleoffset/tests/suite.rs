//! The zarrkit-conformance suites on this plugin (see `zarrkit_conformance::suites`).

use zarrkit_codec_fixedscaleoffset as _;
use zarrkit_conformance::suites::codec::CodecSuite;
use zarrkit_conformance::suites::metadata::codecs_round_trip;
use zarrkit_dtype_numeric as _;

type TestResult = Result<(), Box<dyn std::error::Error>>;

#[test]
fn codec_suite() -> TestResult {
    // Integer arithmetic with scale 1 inverts exactly (wrapping both ways; decoding goes
    // through float64, exact up to 2^53: not for 64-bit integers, as in numcodecs).
    for dt in ["int8", "uint16", "int32", "uint32"] {
        CodecSuite::from_metadata(
            r#"{"name": "numcodecs.fixedscaleoffset", "configuration": {"offset": 3, "scale": 1}}"#,
        )?
        .data_types(&[dt])?
        .run()?;
    }
    // Quantising: decoding is stable.
    for (dt, config) in [
        (
            "float64",
            r#"{"offset": 1000, "scale": 10, "dtype": "<f8", "astype": "|u1"}"#,
        ),
        (
            "float64",
            r#"{"offset": -0.5, "scale": 1e3, "dtype": "<f8", "astype": "<i4"}"#,
        ),
        (
            "float32",
            r#"{"offset": 1.5, "scale": 100, "dtype": "<f4", "astype": "<i2"}"#,
        ),
        (
            "float16",
            r#"{"offset": 0, "scale": 4, "dtype": "<f2", "astype": "|i1"}"#,
        ),
        ("float64", r#"{"offset": 2, "scale": 1e12, "dtype": "<f8"}"#),
        (
            "int32",
            r#"{"offset": 0.5, "scale": 0.1, "dtype": "<i4", "astype": "<i2"}"#,
        ),
        ("uint64", r#"{"offset": 3, "scale": 1}"#),
    ] {
        CodecSuite::from_metadata(&format!(
            r#"{{"name": "numcodecs.fixedscaleoffset", "configuration": {config}}}"#
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
        r#"{"name": "numcodecs.fixedscaleoffset", "configuration": {"offset": 1000, "scale": 10, "dtype": "<f8", "astype": "|u1"}}"#,
        r#"{"name": "fixedscaleoffset", "configuration": {"offset": 0.5, "scale": 1e3, "dtype": "float32"}}"#,
    ])?;
    Ok(())
}
