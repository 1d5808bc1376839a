//! `cargo xtask <task>`: developer tasks.
//!
//! - `ci`: what `.ci/run` does — fmt check, clippy (warnings denied), the tests, and the
//!   conformance run on the shared corpus.
//! - `conformance [ARGS...]`: the conformance runner; every argument is passed through
//!   (`--corpus DIR`, `--write-back`, `--json FILE`, `--markdown FILE`,
//!   `--check-markdown FILE`, `--filter SUBSTR`, `--array_path PATH`, ...). With
//!   `--write-back` the runner itself creates its Python environment (pinned zarr-python,
//!   tensorstore, numcodecs, numpy from PyPI) in `target/conformance-venv` (or
//!   `$ZARRKIT_VENV`) on first use.
//! - `bench [--setup] [HARNESS OPTIONS...]`: the side-by-side benchmark against zarrs,
//!   tensorstore and zarr-python. Copies the harness (`../shared/bench`, or
//!   `$ZARRKIT_BENCH_HARNESS`) into the git-ignored `bench-work/harness`, runs its
//!   `setup.sh` (Python venv with tensorstore and zarr-python, the zarrs peer built from
//!   crates.io) when the harness's set-up files changed since the last set-up (or always
//!   with `--setup`), builds `examples/bench_adapter.rs` in release mode and runs
//!   `run.py --add-impl zarrkit=<adapter> HARNESS OPTIONS...`. The report is printed and
//!   saved under `bench-work/harness/data/runs/`. With `--python`, also zarr-python 3.4.2
//!   (default pipeline), zarrs-python and zarrkit's pipeline (`zarrkit.ZarrkitCodecPipeline`,
//!   the wheel built from this checkout) in a Python >= 3.12 venv made by
//!   `scripts/bench_python.sh` (impls `zarr_python_34`, `zarrs_python_34`, `zarrkit_python`).
//! - `fuzz [TARGET...] [--seconds N] [--jobs N] [--nice] [--sanitizer address|none]
//!   [--report]`: the libFuzzer targets of `fuzz/` (see `xtask/src/fuzz.rs`): seeds from
//!   the conformance corpus, one build, N seconds each (default 60), N targets at once
//!   (default 1), with AddressSanitizer or (4-8x the executions) none, executions added
//!   to `fuzz/stats.tsv`; `--report` prints the table.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

mod fuzz;

fn cargo(args: &[&str]) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    eprintln!("+ cargo {}", args.join(" "));
    let status = Command::new(cargo)
        .args(args)
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("cargo {} failed ({status})", args.join(" ")))
    }
}

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rest: Vec<&str> = args.iter().skip(1).map(String::as_str).collect();
    match args.first().map(String::as_str) {
        Some("ci") => {
            cargo(&["fmt", "--all", "--", "--check"])?;
            cargo(&[
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ])?;
            cargo(&["test", "--workspace"])?;
            cargo(&[
                "run",
                "--release",
                "-p",
                "zarrkit-conformance",
                "--",
                "--write-back",
                "--check-markdown",
                "docs/conformance.md",
            ])
        }
        Some("conformance") => {
            let mut a = vec!["run", "--release", "-p", "zarrkit-conformance", "--"];
            a.extend(rest);
            cargo(&a)
        }
        Some("bench") => bench(&rest),
        Some("fuzz") => fuzz::fuzz(&rest),
        _ => Err(
            "usage: cargo xtask ci | conformance [--corpus DIR] [--write-back] [--json FILE] [--markdown FILE] [--check-markdown FILE] | bench [--setup] [run.py options] | fuzz [TARGET...] [--seconds N] [--jobs N] [--nice] [--sanitizer address|none] [--report]"
                .into(),
        ),
    }
}

/// The workspace root (xtask lives in `<root>/xtask`).
fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// Copy the harness's files from `src` into `dst`, leaving `dst`'s own state (the venv, the
/// generated data, the peer's build) alone.
fn copy_harness(src: &Path, dst: &Path) -> Result<(), String> {
    const SKIP: &[&str] = &[".venv", "data", "target", "__pycache__"];
    std::fs::create_dir_all(dst).map_err(|e| format!("cannot create {}: {e}", dst.display()))?;
    let entries =
        std::fs::read_dir(src).map_err(|e| format!("cannot read {}: {e}", src.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot read {}: {e}", src.display()))?;
        let name = entry.file_name();
        if SKIP.iter().any(|s| name == *s) {
            continue;
        }
        let (from, to) = (entry.path(), dst.join(&name));
        let ft = entry
            .file_type()
            .map_err(|e| format!("cannot stat {}: {e}", from.display()))?;
        if ft.is_dir() {
            copy_harness(&from, &to)?;
        } else {
            let new =
                std::fs::read(&from).map_err(|e| format!("cannot read {}: {e}", from.display()))?;
            // Rewrite only what changed, so cargo and pip see unchanged files as unchanged.
            if std::fs::read(&to).ok().as_deref() != Some(new.as_slice()) {
                std::fs::write(&to, &new)
                    .map_err(|e| format!("cannot write {}: {e}", to.display()))?;
            }
        }
    }
    Ok(())
}

fn run_in(dir: &Path, program: &str, args: &[&str]) -> Result<(), String> {
    eprintln!("+ (cd {}) {program} {}", dir.display(), args.join(" "));
    let status = Command::new(program)
        .args(args)
        .current_dir(dir)
        .status()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{program} {} failed ({status})", args.join(" ")))
    }
}

/// `cargo xtask bench`: see the module documentation.
fn bench(args: &[&str]) -> Result<(), String> {
    let root = workspace_root();
    let src = std::env::var_os("ZARRKIT_BENCH_HARNESS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../shared/bench"));
    if !src.join("run.py").is_file() {
        return Err(format!(
            "no benchmark harness at {} (set ZARRKIT_BENCH_HARNESS)",
            src.display()
        ));
    }
    let work = root.join("bench-work/harness");
    copy_harness(&src, &work)?;

    // Set up when forced, or when what set-up depends on changed since the last set-up.
    let force = args.first() == Some(&"--setup");
    let args = if force { &args[1..] } else { args };
    // `--python`: also zarr-python 3.4.2 with its default pipeline, zarrs-python's and
    // zarrkit's (the wheel built from this checkout), all in one venv (scripts/bench_python.sh).
    let python = args.contains(&"--python");
    let args: Vec<&str> = args.iter().copied().filter(|a| *a != "--python").collect();
    let stamp_path = work.join(".zarrkit-setup-stamp");
    let mut stamp = Vec::new();
    for f in [
        "setup.sh",
        "requirements.txt",
        "zarrs_peer/Cargo.toml",
        "zarrs_peer/Cargo.lock",
        "zarrs_peer/src/main.rs",
    ] {
        stamp.extend(f.as_bytes());
        stamp.extend(std::fs::read(work.join(f)).unwrap_or_default());
    }
    let ready = work.join(".venv/bin/python").exists()
        && work.join("zarrs_peer/target/release/zarrs_peer").exists()
        && std::fs::read(&stamp_path).ok() == Some(stamp.clone());
    if force || !ready {
        run_in(&work, "bash", &["setup.sh"])?;
        std::fs::write(&stamp_path, &stamp)
            .map_err(|e| format!("cannot write {}: {e}", stamp_path.display()))?;
    }

    cargo(&["build", "--release", "--example", "bench_adapter"])?;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let target = if target.is_absolute() {
        target
    } else {
        root.join(target)
    };
    let adapter = target.join("release/examples/bench_adapter");
    if !adapter.is_file() {
        return Err(format!(
            "the adapter was not built at {}",
            adapter.display()
        ));
    }
    let mut impls = vec![format!("zarrkit={}", adapter.display())];
    if python {
        let out = Command::new("bash")
            .arg(root.join("scripts/bench_python.sh"))
            .stderr(std::process::Stdio::inherit())
            .output()
            .map_err(|e| format!("cannot run scripts/bench_python.sh: {e}"))?;
        if !out.status.success() {
            return Err(format!("scripts/bench_python.sh failed ({})", out.status));
        }
        let stdout = String::from_utf8_lossy(&out.stdout);
        let py = stdout
            .lines()
            .last()
            .filter(|l| !l.is_empty())
            .ok_or("scripts/bench_python.sh printed no python path")?;
        let adapter = format!("{py} adapters/zarr_python_adapter.py");
        impls.push(format!("zarr_python_34={adapter}"));
        impls.push(format!("zarrs_python_34={adapter} --pipeline zarrs"));
        impls.push(format!(
            "zarrkit_python={adapter} --pipeline-class zarrkit.ZarrkitCodecPipeline"
        ));
    }
    let mut run_args = vec!["run.py"];
    for i in &impls {
        run_args.extend(["--add-impl", i.as_str()]);
    }
    run_args.extend(args);
    run_in(&work, ".venv/bin/python", &run_args)
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}
