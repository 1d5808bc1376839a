//! The third-party plugin path works: the codec resolves by name and round-trips.

use zarrkit::codec::Codec;
use zarrkit::serde_json::json;
use zarrkit::MetadataV3;
use zarrkit_example_custom_codec as xor;

#[test]
fn registered_by_name() -> Result<(), Box<dyn std::error::Error>> {
    let m: MetadataV3 =
        zarrkit::serde_json::from_value(json!({"name": xor::NAME, "configuration": {"key": 7}}))?;
    let Codec::BytesToBytes(c) = zarrkit::registry::create_codec(&m)? else {
        return Err("wrong codec kind".into());
    };
    let opts = zarrkit::CodecOptions::default();
    let enc = c.encode(vec![0, 7, 255], &opts)?;
    assert_eq!(enc, vec![7, 0, 248]);
    assert_eq!(
        c.decode(
            enc.into(),
            &zarrkit::codec::BytesRepresentation::Fixed(3),
            &opts
        )?,
        vec![0, 7, 255]
    );
    let bad: MetadataV3 =
        zarrkit::serde_json::from_value(json!({"name": xor::NAME, "configuration": {"key": 256}}))?;
    assert!(zarrkit::registry::create_codec(&bad).is_err());
    Ok(())
}

#[test]
fn example_runs() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::process::Command::new(env!("CARGO"))
        .args([
            "run",
            "-q",
            "-p",
            "zarrkit-example-custom-codec",
            "--example",
            "xor_array",
        ])
        .output()?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("custom codec OK"), "{stdout}");
    Ok(())
}
