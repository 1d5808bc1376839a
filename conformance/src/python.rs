//! The Python peers of the write-back check (zarr-python and tensorstore): a virtual
//! environment that the runner creates itself with pinned versions from PyPI, and the
//! reader script (`conformance/python/peer_read.py`), run once per peer over every case.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::{Deserialize, Serialize};

/// The pinned peer packages (`conformance/python/requirements.txt`).
pub const REQUIREMENTS: &str = include_str!("../python/requirements.txt");
/// The peer reader script (`conformance/python/peer_read.py`).
pub const PEER_SCRIPT: &str = include_str!("../python/peer_read.py");
/// The environment variable naming the virtual environment directory.
pub const VENV_ENV: &str = "ZARRKIT_VENV";
/// The environment variable naming the Python interpreter that creates the environment
/// (default `python3`).
pub const PYTHON_ENV: &str = "ZARRKIT_PYTHON";
/// The peers, in report order.
pub const PEERS: [&str; 2] = ["zarr-python", "tensorstore"];

/// The file in the environment recording the requirements it was installed with.
const MARKER: &str = "zarrkit-requirements.txt";

/// The virtual environment directory: `$ZARRKIT_VENV` if set, else
/// `target/conformance-venv` of this workspace (git-ignored).
pub fn default_venv_dir() -> PathBuf {
    match std::env::var_os(VENV_ENV) {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/conformance-venv"),
    }
}

/// The interpreter inside a virtual environment.
pub fn venv_python(dir: &Path) -> PathBuf {
    if cfg!(windows) {
        dir.join("Scripts").join("python.exe")
    } else {
        dir.join("bin").join("python")
    }
}

/// A ready Python environment.
#[derive(Debug, Clone)]
pub struct PythonEnv {
    /// The interpreter.
    pub python: PathBuf,
    /// `python`, `zarr`, `tensorstore`, `numcodecs`, `numpy` versions as installed.
    pub versions: BTreeMap<String, String>,
}

fn run(cmd: &mut Command, what: &str) -> Result<(), String> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{what}: cannot start: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let tail: Vec<&str> = stderr.lines().rev().take(15).collect();
    Err(format!(
        "{what} failed ({}):\n{}",
        out.status,
        tail.into_iter().rev().collect::<Vec<_>>().join("\n")
    ))
}

/// The pinned `name==version` lines of [`REQUIREMENTS`].
pub fn pinned_versions() -> BTreeMap<String, String> {
    pinned_versions_of(REQUIREMENTS)
}

/// The pinned `name==version` lines of a requirements text (`name[extra,...]==version`
/// counts as `name`).
pub fn pinned_versions_of(requirements: &str) -> BTreeMap<String, String> {
    requirements
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once("=="))
        .map(|(n, v)| {
            let name = n.split_once('[').map_or(n, |(name, _)| name);
            (name.trim().to_string(), v.trim().to_string())
        })
        .collect()
}

/// A pinned Python environment: what to install and which script reports the installed
/// versions (`SCRIPT --versions` prints a JSON object of name → version or null).
#[derive(Debug, Clone, Copy)]
pub struct VenvSpec<'a> {
    /// The requirements file's text (`name==version` lines), installed with pip.
    pub requirements: &'a str,
    /// A Python script that supports `--versions`.
    pub versions_script: &'a str,
    /// What the packages are for, in progress lines (`the pinned peers (zarr, ...)`).
    pub what: &'a str,
}

/// The write-back peers' environment: [`REQUIREMENTS`], versions from [`PEER_SCRIPT`].
pub const PEER_VENV: VenvSpec<'static> = VenvSpec {
    requirements: REQUIREMENTS,
    versions_script: PEER_SCRIPT,
    what: "the pinned peers with pip (zarr, tensorstore, numcodecs, numpy)",
};

/// Make sure the virtual environment in `dir` exists with the pinned packages: create it
/// with `python3 -m venv` (or `$ZARRKIT_PYTHON`) and `pip install` the requirements if it
/// is missing or was installed with other requirements; reuse it otherwise. `log` receives
/// progress lines.
pub fn ensure_venv(dir: &Path, log: impl FnMut(&str)) -> Result<PythonEnv, String> {
    ensure_venv_with(dir, &PEER_VENV, log)
}

/// [`ensure_venv`] for any [`VenvSpec`]: the environment in `dir` is (re)installed when its
/// marker file differs from `spec.requirements`, and every pinned version is checked.
pub fn ensure_venv_with(
    dir: &Path,
    spec: &VenvSpec<'_>,
    mut log: impl FnMut(&str),
) -> Result<PythonEnv, String> {
    let python = venv_python(dir);
    let marker = dir.join(MARKER);
    let current = std::fs::read_to_string(&marker).ok();
    if !python.is_file() || current.as_deref() != Some(spec.requirements) {
        if !python.is_file() {
            let base = std::env::var(PYTHON_ENV).unwrap_or_else(|_| "python3".into());
            log(&format!(
                "creating the Python environment {} ({base} -m venv)",
                dir.display()
            ));
            run(
                Command::new(&base).arg("-m").arg("venv").arg(dir),
                &format!("{base} -m venv {}", dir.display()),
            )?;
        }
        let req = dir.join("zarrkit-requirements.in");
        std::fs::write(&req, spec.requirements)
            .map_err(|e| format!("cannot write {}: {e}", req.display()))?;
        log(&format!("installing {}", spec.what));
        run(
            Command::new(&python)
                .args(["-m", "pip", "install", "--disable-pip-version-check"])
                .args(["--no-input", "--quiet", "-r"])
                .arg(&req),
            "pip install",
        )?;
        std::fs::write(&marker, spec.requirements)
            .map_err(|e| format!("cannot write {}: {e}", marker.display()))?;
    }
    let versions = script_versions(&python, spec.versions_script)?;
    for (name, pinned) in pinned_versions_of(spec.requirements) {
        let got = versions.get(&name).map(String::as_str).unwrap_or("none");
        if got != pinned {
            return Err(format!(
                "{name} {got} is installed in {}, but {pinned} is pinned (remove the directory to reinstall)",
                dir.display()
            ));
        }
    }
    Ok(PythonEnv { python, versions })
}

/// Write a Python script to a temporary file (kept while the handle lives).
pub fn script_file(prefix: &str, text: &str) -> Result<tempfile::NamedTempFile, String> {
    let mut f = tempfile::Builder::new()
        .prefix(prefix)
        .suffix(".py")
        .tempfile()
        .map_err(|e| format!("cannot create the script file {prefix}*.py: {e}"))?;
    f.write_all(text.as_bytes())
        .map_err(|e| format!("cannot write the script file {prefix}*.py: {e}"))?;
    Ok(f)
}

fn peer_script_file() -> Result<tempfile::NamedTempFile, String> {
    script_file("zarrkit-peer-read-", PEER_SCRIPT)
}

/// The installed versions reported by the peer script.
pub fn peer_versions(python: &Path) -> Result<BTreeMap<String, String>, String> {
    script_versions(python, PEER_SCRIPT)
}

/// The installed versions reported by `script --versions` (`none` for a missing package).
pub fn script_versions(python: &Path, script: &str) -> Result<BTreeMap<String, String>, String> {
    let script = script_file("zarrkit-versions-", script)?;
    let out = Command::new(python)
        .arg(script.path())
        .arg("--versions")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} --versions failed: {}",
            python.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let v: BTreeMap<String, Option<String>> = serde_json::from_slice(&out.stdout)
        .map_err(|e| format!("unexpected --versions output: {e}"))?;
    Ok(v.into_iter()
        .map(|(k, v)| (k, v.unwrap_or_else(|| "none".into())))
        .collect())
}

/// One array for a peer to read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PeerJob {
    /// A unique key to match the result.
    pub key: String,
    /// The store root directory.
    pub store: PathBuf,
    /// The node path (`/` for the root).
    pub path: String,
    /// 2 or 3.
    pub zarr_format: u8,
}

/// What a peer read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeerRead {
    /// The SHA-256 of the canonical bytes.
    Sha256(String),
    /// The peer's error.
    Error(String),
}

#[derive(Deserialize)]
struct PeerLine {
    key: String,
    sha256: Option<String>,
    error: Option<String>,
}

/// Run one peer (`zarr-python` or `tensorstore`) over all jobs in one process. Errors
/// only when the process itself fails; a job the peer cannot read is a [`PeerRead::Error`].
pub fn run_peer(
    python: &Path,
    peer: &str,
    jobs: &[PeerJob],
) -> Result<BTreeMap<String, PeerRead>, String> {
    let script = peer_script_file()?;
    let input = serde_json::to_vec(jobs).map_err(|e| format!("cannot encode the jobs: {e}"))?;
    let mut child = Command::new(python)
        .arg(script.path())
        .arg(peer)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
    // The script reads all of its input before it writes anything.
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(&input)
            .map_err(|e| format!("cannot send the jobs to {peer}: {e}"))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("{peer} reader: {e}"))?;
    let mut results = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(l) = serde_json::from_str::<PeerLine>(line) else {
            continue;
        };
        let r = match (l.sha256, l.error) {
            (Some(s), _) => PeerRead::Sha256(s),
            (None, Some(e)) => PeerRead::Error(e),
            (None, None) => PeerRead::Error("no result".into()),
        };
        results.insert(l.key, r);
    }
    if !out.status.success() || results.len() != jobs.len() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(10).collect();
        return Err(format!(
            "the {peer} reader exited with {} after {} of {} results: {}",
            out.status,
            results.len(),
            jobs.len(),
            tail.into_iter().rev().collect::<Vec<_>>().join(" | ")
        ));
    }
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins() {
        let p = pinned_versions();
        assert_eq!(p.get("zarr").map(String::as_str), Some("3.1.6"));
        assert_eq!(p.get("tensorstore").map(String::as_str), Some("0.1.86"));
        assert_eq!(p.get("numcodecs").map(String::as_str), Some("0.16.6"));
        assert!(p.contains_key("numpy"));
        assert!(PEER_SCRIPT.contains("def canonical_bytes"));
    }

    #[test]
    fn pins_with_extras() {
        let p =
            pinned_versions_of("# c\nnumcodecs[msgpack,zfpy]==0.15.1\n zarr == 2.18.6\nloose\n");
        assert_eq!(p.get("numcodecs").map(String::as_str), Some("0.15.1"));
        assert_eq!(p.get("zarr").map(String::as_str), Some("2.18.6"));
        assert_eq!(p.len(), 2);
    }
}
