#![no_main]
//! Fuzz target `metadata_v3`: see `zarrkit_conformance::fuzzing`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    zarrkit_conformance::fuzzing::run("metadata_v3", data);
});
