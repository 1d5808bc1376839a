#![no_main]
//! Fuzz target `shard_index`: see `zarrkit_conformance::fuzzing`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    zarrkit_conformance::fuzzing::run("shard_index", data);
});
