//! Every default plugin is in the registry of a built binary, and no two plugins claim a
//! name.

use zarrkit::registry;

#[test]
fn every_default_plugin_resolves() {
    let mut missing = Vec::new();
    for (kind, names) in zarrkit::DEFAULT_PLUGIN_NAMES {
        for name in *names {
            let found = match *kind {
                "data type" => registry::DATA_TYPES.get(name).is_some(),
                "codec" => registry::CODECS.get(name).is_some(),
                "chunk grid" => registry::CHUNK_GRIDS.get(name).is_some(),
                "chunk key encoding" => registry::CHUNK_KEY_ENCODINGS.get(name).is_some(),
                "store" => registry::STORES.get(name).is_some(),
                _ => false,
            };
            if !found {
                missing.push(format!("{kind} {name}"));
            }
        }
    }
    assert!(missing.is_empty(), "not registered: {missing:?}");
}

#[test]
fn no_duplicate_names() {
    let d = registry::duplicate_names();
    assert!(d.is_empty(), "names claimed by more than one plugin: {d:?}");
}

#[test]
fn listing_is_sorted() {
    for (kind, names) in registry::list_plugins() {
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted, "{kind}");
        assert!(!names.is_empty(), "{kind}");
    }
}
