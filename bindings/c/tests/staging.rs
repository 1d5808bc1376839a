//! `scripts/stage.sh` stages a prefix from the libraries cargo built for this test run
//! (`ZARRKIT_LIB_DIR`, so no nested cargo build), and the C example builds and runs through
//! both pkg-config files: `zarrkit` (shared, with an rpath) and `zarrkit-static` (linked
//! whole). Skipped, saying so, where `pkg-config` or `bash` is missing (a failure instead
//! with `ZARRKIT_REQUIRE_PKG_CONFIG=1`, as `scripts/ci/c-api.sh` sets). The CMake package is
//! exercised by `scripts/run-examples.sh` (CI), not here: the Rust tests need no CMake.

use std::path::{Path, PathBuf};
use std::process::Command;

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The directory holding the libzarrkit_c.{a,so} built with this test (`deps/`, next to the
/// test executable).
fn lib_dir() -> Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let deps = exe.parent().ok_or("test executable without a directory")?;
    for d in [Some(deps), deps.parent()].into_iter().flatten() {
        if d.join("libzarrkit_c.a").is_file() && d.join("libzarrkit_c.so").is_file() {
            return Ok(d.to_path_buf());
        }
    }
    Err(format!("libzarrkit_c.{{a,so}} not found near {}", exe.display()).into())
}

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn check(cmd: &mut Command) -> Result<String> {
    let out = cmd.output()?;
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    if !out.status.success() {
        return Err(format!(
            "{cmd:?} failed ({}):\n{stdout}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    Ok(stdout)
}

#[test]
fn stage_and_build_with_pkg_config() -> Result {
    if !have("bash") || !have("pkg-config") {
        if std::env::var_os("ZARRKIT_REQUIRE_PKG_CONFIG").is_some() {
            return Err(
                "ZARRKIT_REQUIRE_PKG_CONFIG is set, but bash or pkg-config is missing".into(),
            );
        }
        eprintln!("skipped: bash or pkg-config is not installed");
        return Ok(());
    }
    let work = tempfile::tempdir()?;
    let prefix = work.path().join("prefix");
    check(
        Command::new("bash")
            .arg(manifest_dir().join("scripts/stage.sh"))
            .arg(&prefix)
            .env("ZARRKIT_LIB_DIR", lib_dir()?),
    )?;
    let abi = zarrkit_c::ZARRKIT_ABI_VERSION;
    for f in [
        "include/zarrkit.h".to_string(),
        "lib/libzarrkit_c.a".to_string(),
        format!("lib/libzarrkit_c.so.{abi}"),
        "lib/libzarrkit_c.so".to_string(),
        "lib/cmake/zarrkit/zarrkitConfig.cmake".to_string(),
        "lib/cmake/zarrkit/zarrkitConfigVersion.cmake".to_string(),
        "lib/pkgconfig/zarrkit.pc".to_string(),
        "lib/pkgconfig/zarrkit-static.pc".to_string(),
    ] {
        assert!(prefix.join(&f).exists(), "{f} was not staged");
    }
    let config = std::fs::read_to_string(prefix.join("lib/cmake/zarrkit/zarrkitConfig.cmake"))?;
    assert!(
        !config.contains('@'),
        "unsubstituted template variable in the CMake config"
    );
    assert!(config.contains(&format!("libzarrkit_c.so.{abi}")));

    let pc_path = prefix.join("lib/pkgconfig");
    let pkg = |args: &[&str]| -> Result<Vec<String>> {
        let out = check(
            Command::new("pkg-config")
                .args(args)
                .env("PKG_CONFIG_PATH", &pc_path),
        )?;
        Ok(out.split_whitespace().map(str::to_string).collect())
    };
    let version = pkg(&["--modversion", "zarrkit"])?;
    assert_eq!(version, vec![env!("CARGO_PKG_VERSION").to_string()]);

    let cc = cc::Build::new()
        .target(env!("ZARRKIT_C_TARGET"))
        .host(env!("ZARRKIT_C_HOST"))
        .opt_level(0)
        .cargo_metadata(false)
        .cargo_warnings(false)
        .try_get_compiler()?;
    let example = manifest_dir().join("examples/example.c");
    for (module, extra) in [
        (
            "zarrkit",
            vec![format!("-Wl,-rpath,{}", prefix.join("lib").display())],
        ),
        ("zarrkit-static", vec![]),
    ] {
        let exe = work.path().join(format!("example-{module}"));
        check(
            cc.to_command()
                .args(["-std=c11", "-Wall", "-Werror"])
                .arg(&example)
                .arg("-o")
                .arg(&exe)
                .args(pkg(&["--cflags", "--libs", module])?)
                .args(&extra),
        )?;
        let data = work.path().join(format!("data-{module}"));
        std::fs::create_dir(&data)?;
        let out = check(Command::new(&exe).arg(&data))?;
        assert!(out.lines().any(|l| l == "example: ok"), "{module}: {out}");
        if module == "zarrkit" {
            // The shared build really uses the staged shared library.
            let ldd = Command::new("ldd").arg(&exe).output();
            if let Ok(ldd) = ldd {
                let text = String::from_utf8_lossy(&ldd.stdout);
                assert!(
                    text.contains(&format!(
                        "libzarrkit_c.so.{abi} => {}",
                        prefix.join("lib").display()
                    )),
                    "ldd: {text}"
                );
            }
        }
    }
    Ok(())
}
