//! `cargo xtask <task>`: developer tasks.
//!
//! - `ci`: what `.ci/run` does — fmt check, clippy (warnings denied), the tests, and the
//!   conformance run on the shared corpus.
//! - `conformance [ARGS...]`: the conformance runner (`--corpus DIR`, `--json FILE`, ...).

use std::process::{Command, ExitCode};

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
            cargo(&["run", "--release", "-p", "zarrkit-conformance", "--"])
        }
        Some("conformance") => {
            let mut a = vec!["run", "--release", "-p", "zarrkit-conformance", "--"];
            a.extend(rest);
            cargo(&a)
        }
        _ => Err("usage: cargo xtask ci | conformance [--corpus DIR] [--json FILE]".into()),
    }
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
