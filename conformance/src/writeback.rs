//! The write-back check: zarrkit writes every readable array case again (same metadata,
//! same data) into a temporary directory store; then zarrkit, zarr-python and tensorstore
//! read it back and must report the SHA-256 of the canonical bytes that zarrkit read from
//! the corpus. The written metadata document must equal the original (up to the
//! normalisations in [`metadata_check`]).
//!
//! A peer that cannot read zarrkit's store is a failure, unless it cannot read the
//! original corpus store of the case either: that is the peer's limitation
//! ([`WbStatus::PeerLimit`]), neither a pass nor a failure.

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;
use zarrkit::store_filesystem::FilesystemStore;
use zarrkit::{Array, ArrayBytes, ArrayMetadata, ArraySubset};

use crate::canonical::{first_difference_in, sha256_hex};
use crate::json::json_diff_exact;
use crate::manifest::{Case, CaseKind, Manifest};
use crate::python::{run_peer, PeerJob, PeerRead, PythonEnv, PEERS};
use crate::report::{one_line, summary_line, ArrayInfo, Report, Status};
use crate::runner::{array_canonical_bytes, array_info, canonical_form};
use crate::CorpusError;

/// The readers of a write-back case, in report order: zarrkit's own read-back, the
/// metadata comparison, then the peers.
pub const READERS: [&str; 4] = ["zarrkit", "metadata", PEERS[0], PEERS[1]];

/// The outcome of one reader of one write-back case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum WbStatus {
    /// Read back identically.
    #[serde(rename = "PASS")]
    Pass,
    /// Read different data, or could not read what it can read in the original.
    #[serde(rename = "FAIL")]
    Fail,
    /// Not checked (the case was not readable, or the peers were not run).
    #[serde(rename = "SKIP")]
    Skip,
    /// The peer cannot read the original corpus store of this case either.
    #[serde(rename = "PEER-LIMIT")]
    PeerLimit,
}

impl WbStatus {
    /// `PASS`, `FAIL`, `SKIP` or `PEER-LIMIT`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Pass => "PASS",
            Self::Fail => "FAIL",
            Self::Skip => "SKIP",
            Self::PeerLimit => "PEER-LIMIT",
        }
    }
}

impl std::fmt::Display for WbStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One reader's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WbCheck {
    /// `zarrkit`, `metadata`, `zarr-python` or `tensorstore`.
    pub reader: String,
    /// The outcome.
    pub status: WbStatus,
    /// Why (single line; temporary and corpus paths replaced by `<tmp>` / `<corpus>`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

/// The write-back of one array case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WriteBackCase {
    /// The case id.
    pub id: String,
    /// 2 or 3.
    pub zarr_format: u8,
    /// The data type and codecs written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub array: Option<ArrayInfo>,
    /// One check per reader, in [`READERS`] order.
    pub checks: Vec<WbCheck>,
}

impl WriteBackCase {
    /// The status of a reader's check.
    pub fn status_of(&self, reader: &str) -> WbStatus {
        self.checks
            .iter()
            .find(|c| c.reader == reader)
            .map_or(WbStatus::Skip, |c| c.status)
    }

    /// Whether no check failed and at least one passed.
    pub fn ok(&self) -> bool {
        !self.checks.iter().any(|c| c.status == WbStatus::Fail)
            && self.checks.iter().any(|c| c.status == WbStatus::Pass)
    }
}

/// The write-back results.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct WriteBackReport {
    /// Versions of the Python peers (`python`, `zarr`, `tensorstore`, `numcodecs`, `numpy`);
    /// empty when the peers were not run.
    pub peer_versions: BTreeMap<String, String>,
    /// One entry per array case, in manifest order.
    pub cases: Vec<WriteBackCase>,
    /// Checks (case × reader) that passed.
    pub passed: usize,
    /// Checks that failed.
    pub failed: usize,
    /// Checks not run.
    pub skipped: usize,
    /// Checks a peer could not do because it cannot read the original either.
    pub peer_limit: usize,
}

impl WriteBackReport {
    fn count(&mut self) {
        let (mut p, mut f, mut s, mut l) = (0, 0, 0, 0);
        for c in self.cases.iter().flat_map(|c| &c.checks) {
            match c.status {
                WbStatus::Pass => p += 1,
                WbStatus::Fail => f += 1,
                WbStatus::Skip => s += 1,
                WbStatus::PeerLimit => l += 1,
            }
        }
        (self.passed, self.failed, self.skipped, self.peer_limit) = (p, f, s, l);
    }

    /// `write-back: N passed, N failed, N skipped` (counting case × reader checks).
    pub fn summary_line(&self) -> String {
        format!(
            "write-back: {}",
            summary_line(self.passed, self.failed, self.skipped)
        )
    }

    /// Whether no check failed.
    pub fn success(&self) -> bool {
        self.failed == 0
    }

    /// The plain table: one row per case with each reader's status, then a line for every
    /// check that did not pass, the peer-limit count and the closing line.
    pub fn table(&self) -> String {
        let width = self
            .cases
            .iter()
            .map(|c| c.id.len())
            .max()
            .unwrap_or(4)
            .max(4);
        let mut s = format!("{:<width$}", "case");
        for r in READERS {
            s.push_str(&format!("  {r:<11}"));
        }
        let mut out = vec![s.trim_end().to_string()];
        for c in &self.cases {
            let mut s = format!("{:<width$}", c.id);
            for r in READERS {
                s.push_str(&format!("  {:<11}", c.status_of(r).as_str()));
            }
            out.push(s.trim_end().to_string());
        }
        for c in &self.cases {
            for k in c.checks.iter().filter(|k| k.status != WbStatus::Pass) {
                out.push(format!("{} {} {}: {}", k.status, c.id, k.reader, k.detail));
            }
        }
        out.push(format!(
            "{} peer-limit (a peer cannot read the original corpus store either)",
            self.peer_limit
        ));
        out.push(self.summary_line());
        out.join("\n")
    }
}

/// Options of a write-back run.
#[derive(Debug, Clone, Default)]
pub struct WriteBackOptions {
    /// Write the stores under this directory (kept) instead of a temporary one.
    pub work_dir: Option<PathBuf>,
}

fn check(reader: &str, status: WbStatus, detail: impl Into<String>) -> WbCheck {
    WbCheck {
        reader: reader.to_string(),
        status,
        detail: one_line(&detail.into()),
    }
}

fn all_skipped(reason: &str) -> Vec<WbCheck> {
    READERS
        .iter()
        .map(|r| check(r, WbStatus::Skip, reason))
        .collect()
}

/// What zarrkit wrote for a case, for the peers to read.
struct Written {
    dir: PathBuf,
    expected: String,
}

fn read_whole<S: zarrkit::storage::ReadableStorageTraits + ?Sized + 'static>(
    array: &Array<S>,
) -> Result<(ArrayBytes, Vec<u8>), String> {
    let bytes = array
        .retrieve_array_subset(&ArraySubset::new_with_shape(array.shape().to_vec()))
        .map_err(|e| format!("reading failed: {e}"))?;
    let n = array
        .shape()
        .iter()
        .try_fold(1u64, |a, &d| a.checked_mul(d))
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| format!("shape {:?} has too many elements", array.shape()))?;
    let (canonical, _) = array_canonical_bytes(array, &bytes, n)?;
    Ok((bytes, canonical))
}

/// The metadata check of a written store: V3 `zarr.json` must equal the original exactly
/// (numbers by their literal text; key order and whitespace aside). V2 `.zarray` likewise;
/// `.zattrs` must hold the same attributes, and is written as `{}` when the original node
/// has none (zarrkit always writes `.zattrs`, as zarr-python does).
pub fn metadata_check(original_node: &Path, written_node: &Path, zarr_format: u8) -> WbCheck {
    let read = |p: &Path| -> Result<Option<Value>, String> {
        match std::fs::read(p) {
            Ok(b) => serde_json::from_slice(&b)
                .map(Some)
                .map_err(|e| format!("{} is not JSON: {e}", p.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("cannot read {}: {e}", p.display())),
        }
    };
    let files: &[&str] = if zarr_format == 2 {
        &[".zarray", ".zattrs"]
    } else {
        &["zarr.json"]
    };
    for f in files {
        let (orig, written) = match (read(&original_node.join(f)), read(&written_node.join(f))) {
            (Ok(o), Ok(w)) => (o, w),
            (Err(e), _) | (_, Err(e)) => return check("metadata", WbStatus::Fail, e),
        };
        let orig = match (orig, *f) {
            (Some(o), _) => o,
            (None, ".zattrs") => Value::Object(Default::default()),
            (None, _) => {
                return check(
                    "metadata",
                    WbStatus::Fail,
                    format!("the original has no {f}"),
                )
            }
        };
        let Some(written) = written else {
            return check("metadata", WbStatus::Fail, format!("zarrkit wrote no {f}"));
        };
        if let Some(d) = json_diff_exact(&orig, &written) {
            return check(
                "metadata",
                WbStatus::Fail,
                format!("written {f} differs from the original (original vs written) {d}"),
            );
        }
    }
    check("metadata", WbStatus::Pass, "")
}

fn write_case(
    corpus: &Path,
    case: &Case,
    out_dir: &Path,
) -> (Vec<WbCheck>, Option<Written>, Option<ArrayInfo>) {
    let fail_all = |msg: String| {
        let mut v = vec![check("zarrkit", WbStatus::Fail, msg)];
        v.extend(
            READERS[1..]
                .iter()
                .map(|r| check(r, WbStatus::Skip, "nothing was written")),
        );
        v
    };
    let store_dir = match case.store_dir(corpus) {
        Ok(d) => d,
        Err(e) => return (fail_all(e), None, None),
    };
    let src = match FilesystemStore::new(&store_dir)
        .map_err(|e| e.to_string())
        .and_then(|s| Array::open(Arc::new(s), &case.path).map_err(|e| e.to_string()))
    {
        Ok(a) => a,
        Err(e) => {
            return (
                fail_all(format!("cannot open the corpus array: {e}")),
                None,
                None,
            )
        }
    };
    let info = array_info(&src);
    let (bytes, canonical) = match read_whole(&src) {
        Ok(x) => x,
        Err(e) => return (fail_all(format!("corpus array: {e}")), None, Some(info)),
    };
    let expected = sha256_hex(&canonical);
    let write = || -> Result<(), String> {
        let store = Arc::new(FilesystemStore::new(out_dir).map_err(|e| e.to_string())?);
        let metadata: ArrayMetadata = src.metadata().clone();
        let dst = Array::new_with_metadata(store, "/", metadata)
            .map_err(|e| format!("binding the metadata failed: {e}"))?;
        dst.store_metadata()
            .map_err(|e| format!("writing the metadata failed: {e}"))?;
        let all = ArraySubset::new_with_shape(dst.shape().to_vec());
        if !all.is_empty() {
            dst.store_array_subset(&all, bytes)
                .map_err(|e| format!("writing the data failed: {e}"))?;
        }
        Ok(())
    };
    if let Err(e) = write() {
        return (fail_all(e), None, Some(info));
    }
    let readback = FilesystemStore::new(out_dir)
        .map_err(|e| e.to_string())
        .and_then(|s| Array::open(Arc::new(s), "/").map_err(|e| format!("open failed: {e}")))
        .and_then(|a| {
            let (_, c) = read_whole(&a)?;
            Ok((a, c))
        });
    let zarrkit = match readback {
        Err(e) => check("zarrkit", WbStatus::Fail, format!("reading back: {e}")),
        Ok((a, c)) => {
            let sha = sha256_hex(&c);
            if sha == expected {
                check("zarrkit", WbStatus::Pass, "")
            } else {
                let d = first_difference_in(&c, &canonical, canonical_form(&a)).unwrap_or_default();
                check(
                    "zarrkit",
                    WbStatus::Fail,
                    format!("read back sha256 {sha}, expected {expected}; {d}"),
                )
            }
        }
    };
    let node_dir = store_dir.join(case.node_dir());
    let metadata = metadata_check(&node_dir, out_dir, case.zarr_format);
    (
        vec![zarrkit, metadata],
        Some(Written {
            dir: out_dir.to_path_buf(),
            expected,
        }),
        Some(info),
    )
}

fn peer_check(
    peer: &str,
    expected: &str,
    written: Option<&PeerRead>,
    original: Option<&PeerRead>,
) -> WbCheck {
    match (written, original) {
        (Some(PeerRead::Sha256(s)), _) if s == expected => check(peer, WbStatus::Pass, ""),
        (Some(PeerRead::Sha256(s)), orig) => {
            let note = match orig {
                Some(PeerRead::Sha256(o)) if o == s => {
                    " (it reads the original corpus store with the same wrong sha256)"
                }
                _ => "",
            };
            check(
                peer,
                WbStatus::Fail,
                format!("read different data: sha256 {s}, expected {expected}{note}"),
            )
        }
        (Some(PeerRead::Error(e)), Some(PeerRead::Error(o))) => check(
            peer,
            WbStatus::PeerLimit,
            if e == o {
                format!("cannot read the original either: {e}")
            } else {
                format!("cannot read it ({e}); nor the original ({o})")
            },
        ),
        (Some(PeerRead::Error(e)), _) => check(
            peer,
            WbStatus::Fail,
            format!("cannot read zarrkit's store but reads the original: {e}"),
        ),
        (None, _) => check(peer, WbStatus::Fail, "no result from the peer"),
    }
}

/// Write back every array case of the corpus in `dir` that passed its read check in
/// `read` (cases not in `read` are not run), and have zarrkit and — if `python` is given —
/// the peers read them. `log` receives progress lines.
pub fn run_write_back(
    dir: &Path,
    read: &Report,
    python: Option<&PythonEnv>,
    options: &WriteBackOptions,
    mut log: impl FnMut(&str),
) -> Result<WriteBackReport, CorpusError> {
    let manifest = Manifest::load(dir)?;
    let io = |path: &Path, source| CorpusError::Io {
        path: path.to_path_buf(),
        source,
    };
    let (_tmp, root) = match &options.work_dir {
        Some(d) => {
            std::fs::create_dir_all(d).map_err(|e| io(d, e))?;
            (None, d.clone())
        }
        None => {
            let t = tempfile::Builder::new()
                .prefix("zarrkit-write-back-")
                .tempdir()
                .map_err(|e| io(Path::new("temporary directory"), e))?;
            let p = t.path().to_path_buf();
            (Some(t), p)
        }
    };
    let root = std::fs::canonicalize(&root).unwrap_or(root);
    let read_status: BTreeMap<&str, Status> = read
        .cases
        .iter()
        .map(|c| (c.id.as_str(), c.status))
        .collect();
    let mut report = WriteBackReport::default();
    let mut written: Vec<(usize, String, Written)> = Vec::new();
    let mut jobs = Vec::new();
    let cases: Vec<&Case> = manifest
        .cases
        .iter()
        .filter(|c| c.kind == CaseKind::Array && read_status.contains_key(c.id.as_str()))
        .collect();
    log(&format!(
        "writing {} array cases under {}",
        cases.len(),
        root.display()
    ));
    for (i, case) in cases.into_iter().enumerate() {
        let safe: String = case
            .id
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "._-".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let out_dir = root.join(format!("{i:03}-{safe}"));
        let (checks, w, info) = if read_status.get(case.id.as_str()) != Some(&Status::Pass) {
            (
                all_skipped("the read check of this case did not pass"),
                None,
                None,
            )
        } else {
            catch_unwind(AssertUnwindSafe(|| write_case(dir, case, &out_dir))).unwrap_or_else(|p| {
                let msg = crate::runner::panic_message(p.as_ref());
                let mut v = vec![check("zarrkit", WbStatus::Fail, format!("panicked: {msg}"))];
                v.extend(
                    READERS[1..]
                        .iter()
                        .map(|r| check(r, WbStatus::Skip, "zarrkit panicked")),
                );
                (v, None, None)
            })
        };
        if let Some(w) = w {
            jobs.push(PeerJob {
                key: format!("w:{}", case.id),
                store: w.dir.clone(),
                path: "/".into(),
                zarr_format: case.zarr_format,
            });
            if let Ok(store) = case.store_dir(dir) {
                // Absolute and without `..`: tensorstore rejects file paths with `..`.
                let store = std::fs::canonicalize(&store).unwrap_or(store);
                jobs.push(PeerJob {
                    key: format!("o:{}", case.id),
                    store,
                    path: case.path.clone(),
                    zarr_format: case.zarr_format,
                });
            }
            written.push((report.cases.len(), case.id.clone(), w));
        }
        report.cases.push(WriteBackCase {
            id: case.id.clone(),
            zarr_format: case.zarr_format,
            array: info,
            checks,
        });
    }
    // The peers: one process each, both at once.
    let peer_results: Vec<Result<BTreeMap<String, PeerRead>, String>> = match python {
        None => PEERS
            .iter()
            .map(|_| Err("the peers were not run".to_string()))
            .collect(),
        Some(env) => {
            report.peer_versions = env.versions.clone();
            log(&format!(
                "reading {} stores with {}",
                jobs.len(),
                PEERS.join(" and ")
            ));
            std::thread::scope(|s| {
                let handles: Vec<_> = PEERS
                    .iter()
                    .map(|p| s.spawn(|| run_peer(&env.python, p, &jobs)))
                    .collect();
                handles
                    .into_iter()
                    .map(|h| {
                        h.join()
                            .unwrap_or_else(|_| Err("the peer thread panicked".into()))
                    })
                    .collect()
            })
        }
    };
    let mut replace: Vec<(String, &str)> = Vec::new();
    for (p, label) in [(&root, "<tmp>"), (&dir.to_path_buf(), "<corpus>")] {
        replace.push((p.display().to_string(), label));
        if let Ok(c) = std::fs::canonicalize(p) {
            replace.push((c.display().to_string(), label));
        }
    }
    replace.sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
    let clean = |s: String| {
        replace
            .iter()
            .filter(|(p, _)| !p.is_empty())
            .fold(s, |s, (p, label)| s.replace(p.as_str(), label))
    };
    for (index, id, w) in &written {
        for (peer, results) in PEERS.iter().zip(&peer_results) {
            let mut c = match results {
                Err(e) if python.is_none() => check(peer, WbStatus::Skip, e.clone()),
                Err(e) => check(peer, WbStatus::Fail, e.clone()),
                Ok(r) => peer_check(
                    peer,
                    &w.expected,
                    r.get(&format!("w:{id}")),
                    r.get(&format!("o:{id}")),
                ),
            };
            c.detail = clean(c.detail);
            report.cases[*index].checks.push(c);
        }
    }
    for c in &mut report.cases {
        for k in &mut c.checks {
            k.detail = clean(std::mem::take(&mut k.detail));
        }
    }
    report.count();
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_outcomes() {
        let sha = |s: &str| PeerRead::Sha256(s.into());
        let err = |s: &str| PeerRead::Error(s.into());
        assert_eq!(
            peer_check("p", "aa", Some(&sha("aa")), None).status,
            WbStatus::Pass
        );
        assert_eq!(
            peer_check("p", "aa", Some(&sha("bb")), Some(&sha("aa"))).status,
            WbStatus::Fail
        );
        let limit = peer_check("p", "aa", Some(&err("no dtype")), Some(&err("no dtype")));
        assert_eq!(limit.status, WbStatus::PeerLimit);
        assert!(limit.detail.contains("original either"), "{}", limit.detail);
        assert_eq!(
            peer_check("p", "aa", Some(&err("x")), Some(&sha("aa"))).status,
            WbStatus::Fail
        );
        assert_eq!(peer_check("p", "aa", None, None).status, WbStatus::Fail);
    }

    #[test]
    fn metadata_comparison() -> Result<(), Box<dyn std::error::Error>> {
        let d = tempfile::tempdir()?;
        let (o, w) = (d.path().join("o"), d.path().join("w"));
        std::fs::create_dir_all(&o)?;
        std::fs::create_dir_all(&w)?;
        std::fs::write(o.join("zarr.json"), r#"{"a": 1, "b": [1.0]}"#)?;
        std::fs::write(w.join("zarr.json"), "{\n  \"b\": [1.0],\n  \"a\": 1\n}")?;
        assert_eq!(metadata_check(&o, &w, 3).status, WbStatus::Pass);
        std::fs::write(w.join("zarr.json"), r#"{"a": 1, "b": [1]}"#)?;
        assert_eq!(metadata_check(&o, &w, 3).status, WbStatus::Fail);
        std::fs::write(o.join(".zarray"), r#"{"x": null}"#)?;
        std::fs::write(w.join(".zarray"), r#"{"x": null}"#)?;
        std::fs::write(w.join(".zattrs"), "{}")?;
        assert_eq!(metadata_check(&o, &w, 2).status, WbStatus::Pass);
        std::fs::write(w.join(".zattrs"), r#"{"k": 1}"#)?;
        assert_eq!(metadata_check(&o, &w, 2).status, WbStatus::Fail);
        Ok(())
    }

    #[test]
    fn counting_and_table() {
        let mut r = WriteBackReport::default();
        r.cases.push(WriteBackCase {
            id: "a".into(),
            zarr_format: 3,
            array: None,
            checks: vec![
                check("zarrkit", WbStatus::Pass, ""),
                check("metadata", WbStatus::Pass, ""),
                check("zarr-python", WbStatus::Pass, ""),
                check("tensorstore", WbStatus::PeerLimit, "no strings"),
            ],
        });
        r.count();
        assert_eq!((r.passed, r.failed, r.skipped, r.peer_limit), (3, 0, 0, 1));
        assert_eq!(
            r.summary_line(),
            "write-back: 3 passed, 0 failed, 0 skipped"
        );
        let t = r.table();
        assert!(t.contains("PEER-LIMIT a tensorstore: no strings"), "{t}");
        assert!(
            t.ends_with("write-back: 3 passed, 0 failed, 0 skipped"),
            "{t}"
        );
        assert!(r.cases[0].ok());
    }
}
