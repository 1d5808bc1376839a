//! The committed header `include/zarrkit.h` must be what cbindgen generates from the
//! sources with `cbindgen.toml`. `ZARRKIT_BLESS=1` rewrites it.

use std::path::Path;

fn generate() -> Result<String, Box<dyn std::error::Error>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(dir.join("cbindgen.toml"))?;
    // `with_src` follows `mod` declarations from lib.rs without running `cargo metadata`.
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_src(dir.join("src/lib.rs"))
        .generate()?;
    let mut out = Vec::new();
    bindings.write(&mut out);
    Ok(String::from_utf8(out)?)
}

#[test]
fn committed_header_is_current() -> Result<(), Box<dyn std::error::Error>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("include/zarrkit.h");
    let generated = generate()?;
    if std::env::var_os("ZARRKIT_BLESS").is_some() {
        std::fs::write(&path, &generated)?;
        return Ok(());
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != generated {
        let first = committed
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(committed.lines().count().min(generated.lines().count()));
        return Err(format!(
            "include/zarrkit.h differs from cbindgen's output (first at line {}: committed {:?}, \
             generated {:?}); regenerate with `ZARRKIT_BLESS=1 cargo test -p zarrkit-c --test header`",
            first + 1,
            committed.lines().nth(first),
            generated.lines().nth(first)
        )
        .into());
    }
    Ok(())
}

/// The header's ABI version, the library's and the soname (build.rs) agree.
#[test]
fn abi_version_agrees() -> Result<(), Box<dyn std::error::Error>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let header = std::fs::read_to_string(dir.join("include/zarrkit.h"))?;
    let v = zarrkit_c::ZARRKIT_ABI_VERSION;
    assert!(
        header.contains(&format!("#define ZARRKIT_ABI_VERSION {v}")),
        "the header does not define ZARRKIT_ABI_VERSION {v}"
    );
    assert_eq!(zarrkit_c::zarrkit_abi_version(), v);
    let build = std::fs::read_to_string(dir.join("build.rs"))?;
    assert!(
        build.contains(&format!("libzarrkit_c.so.{v}")),
        "build.rs sets another soname than libzarrkit_c.so.{v}"
    );
    Ok(())
}
