#![no_main]
//! Fuzz target `decode_vlen_utf8`: see `zarrkit_conformance::fuzzing`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    zarrkit_conformance::fuzzing::run("decode_vlen_utf8", data);
});
