#![no_main]
//! Fuzz target `decode_bytes`: see `zarrkit_conformance::fuzzing`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    zarrkit_conformance::fuzzing::run("decode_bytes", data);
});
