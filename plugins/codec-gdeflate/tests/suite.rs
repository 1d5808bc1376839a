//! The zarrkit-conformance suites on this plugin (see `zarrkit_conformance::suites`).

use zarrkit_codec_gdeflate as _;
use zarrkit_conformance::suites::codec::CodecSuite;
use zarrkit_conformance::suites::metadata::codecs_round_trip;

type TestResult = Result<(), Box<dyn std::error::Error>>;

#[test]
fn codec_suite() -> TestResult {
    for level in [0, 1, 6, 12] {
        CodecSuite::from_metadata(&format!(
            r#"{{"name": "zarrs.gdeflate", "configuration": {{"level": {level}}}}}"#
        ))?
        // Around the page size too: 1 page, exactly 1, just over, several.
        .byte_lengths(&[0, 1, 3, 1000, 65_535, 65_536, 65_537, 200_000])
        .run()?;
    }
    Ok(())
}

#[test]
fn metadata_suite() -> TestResult {
    codecs_round_trip(&[
        r#"{"name": "zarrs.gdeflate", "configuration": {"level": 9}}"#,
        r#"{"name": "https://codec.zarrs.dev/bytes_to_bytes/gdeflate", "configuration": {"level": 0}}"#,
        // Encode-only parameters do not make an array unopenable.
        r#"{"name": "zarrs.gdeflate", "configuration": {"level": 13}}"#,
        r#"{"name": "zarrs.gdeflate", "configuration": {}}"#,
    ])?;
    Ok(())
}
