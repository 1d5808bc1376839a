//! Passes the target triple to the tests (the `cc` crate needs it to pick a C compiler) and
//! gives the shared library a soname carrying the ABI version.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if let Ok(target) = std::env::var("TARGET") {
        println!("cargo:rustc-env=ZARRKIT_C_TARGET={target}");
        if target.contains("linux") {
            // Keep in sync with `ZARRKIT_ABI_VERSION` in src/lib.rs (a test checks).
            println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libzarrkit_c.so.1");
        }
    }
    if let Ok(host) = std::env::var("HOST") {
        println!("cargo:rustc-env=ZARRKIT_C_HOST={host}");
    }
}
