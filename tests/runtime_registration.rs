//! Run-time registration (its own test binary: it changes the global registry).

use zarrkit::registry;

#[test]
fn runtime_registration_detects_duplicates() {
    // A separate registry instance is not available, so register a uniquely named codec and
    // check it resolves; registering a clash is detected by `duplicates()`.
    fn create(_: &zarrkit::MetadataV3) -> Result<zarrkit::codec::Codec, zarrkit::PluginError> {
        Err(zarrkit::PluginError::config(
            zarrkit::error::ExtensionKind::Codec,
            "x-test-runtime",
            "test",
        ))
    }
    registry::CODECS.register(registry::CodecPlugin::new("x-test-runtime", create));
    assert!(registry::CODECS.get("x-test-runtime").is_some());
    assert!(registry::CODECS.duplicates().is_empty());
    registry::CODECS.register(registry::CodecPlugin::new("x-test-runtime", create));
    assert_eq!(
        registry::CODECS.duplicates(),
        vec!["x-test-runtime".to_string()]
    );
}
