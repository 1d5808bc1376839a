#![no_main]
//! Fuzz target `fill_value`: see `zarrkit_conformance::fuzzing`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    zarrkit_conformance::fuzzing::run("fill_value", data);
});
