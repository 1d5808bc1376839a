//! The foreign-data run (`zarrkit-conformance --foreign [DIR]`): arrays and groups written
//! by other implementations, generated on the spot and read by zarrkit. Two writers
//! ([`WRITERS`]), each in a virtual environment of its own with every package pinned:
//!
//! - **zarr-python 2** (`conformance/python/foreign-requirements.txt`: zarr 2.18.6, numcodecs
//!   0.15.1 with its `msgpack`, `pcodec`, `zfpy` and `crc32c` extras): Zarr V2 with every
//!   numcodecs codec as compressor and/or filter (blosc, zstd, lz4, zlib, gzip, bz2, lzma,
//!   pcodec, zfpy, crc32, crc32c, adler32, fletcher32, jenkins_lookup3, base64, shuffle,
//!   delta, fixedscaleoffset, quantize, astype, bitround, packbits, categorize, vlen-utf8,
//!   vlen-bytes, vlen-array, json2, msgpack2), chains of them, C and F order, big-endian
//!   dtypes, fill values and missing chunks, edge chunks, nested groups with attributes (bare
//!   `NaN` / `Infinity`), consolidated metadata, dimension separator `/`, and the object,
//!   record, fixed-string and datetime types;
//! - **zarr-python 3** (`conformance/python/foreign3-requirements.txt`: zarr 3.1.6, numcodecs
//!   0.16.6; Python >= 3.11): Zarr V3 with the core codecs, sharding (nested, index at the
//!   start, missing inner chunks), every `numcodecs.*` V3 codec zarr-python 3 registers, its
//!   data types (string, bytes, fixed-length strings, datetimes, structured), attributes with
//!   bare non-finite floats, dimension names, inline consolidated metadata; and V2 arrays as
//!   zarr-python 3 writes them.
//!
//! 1. **Environments**: `<venvs>/<writer id>` ([`default_foreign_venv_dir`]:
//!    `target/foreign-venvs`, or `$ZARRKIT_FOREIGN_VENV`, or `--foreign-venv DIR`), created
//!    like the write-back one ([`crate::python::ensure_venv_with`]), reinstalled when the pins
//!    change, reused otherwise.
//! 2. **Generation** ([`prepare_corpus_dir`], [`generate_corpus`]):
//!    `conformance/python/foreign_corpus.py` writes each writer's corpus, in the shared
//!    corpus's manifest format, into `<DIR>/<writer id>` ([`default_foreign_corpus_dir`]:
//!    `target/foreign-corpus`). The expected data is the data as written for lossless chains
//!    (the generator asserts that zarr-python reads it back equal, or the case's description
//!    says why it does not) and zarr-python's own read-back for lossy ones. The directory is
//!    regenerated on every run; it holds a marker file ([`MARKER`]) and a directory without
//!    one is never deleted.
//! 3. **Reading**: the normal read checks ([`crate::run_corpus_with`]), with typed
//!    unsupported-feature refusals counted as skips that name the feature
//!    ([`crate::RunOptions::unsupported_is_skip`]); the canonical bytes of the types the shared
//!    README does not cover are defined in [`crate::canonical`].
//! 4. **Summary**: [`markdown`] (`--foreign-markdown FILE`, `--foreign-check-markdown FILE`):
//!    per writer what the run covers, the codec × data type matrix, and every failure, skip
//!    and case zarr-python cannot read itself.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::manifest::{CaseKind, Manifest};
use crate::python::{script_file, VenvSpec};
use crate::report::{Report, Status};

/// The pinned zarr-python 2 writer packages (`conformance/python/foreign-requirements.txt`).
pub const FOREIGN_REQUIREMENTS: &str = include_str!("../python/foreign-requirements.txt");
/// The pinned zarr-python 3 writer packages (`conformance/python/foreign3-requirements.txt`).
pub const FOREIGN3_REQUIREMENTS: &str = include_str!("../python/foreign3-requirements.txt");
/// The generator (`conformance/python/foreign_corpus.py`; it writes the corpus of the zarr
/// it runs with).
pub const FOREIGN_SCRIPT: &str = include_str!("../python/foreign_corpus.py");
/// The environment variable naming the directory of the foreign run's virtual environments.
pub const FOREIGN_VENV_ENV: &str = "ZARRKIT_FOREIGN_VENV";
/// The file that marks a directory as a generated foreign corpus (safe to delete).
pub const MARKER: &str = ".zarrkit-foreign-corpus";
/// The note the generator puts in the description of a case whose expected data is
/// zarr-python's read-back although it differs from the data written (`PEER_READS_NOTE` in
/// the generator).
pub const PEER_READS_NOTE: &str = "zarrkit reads what zarr-python reads (a documented choice of its codec), so the expected data is zarr-python 2's read-back.";

/// A writer of the foreign run.
#[derive(Debug, Clone, Copy)]
pub struct ForeignWriter {
    /// The `writer` of its cases, and the name of its corpus and venv directories.
    pub id: &'static str,
    /// Its name in prose (`zarr-python 2`).
    pub label: &'static str,
    /// What it writes, for the summary's heading.
    pub title: &'static str,
    /// Its environment.
    pub venv: VenvSpec<'static>,
}

/// The writers, in run order.
pub const WRITERS: &[ForeignWriter] = &[
    ForeignWriter {
        id: "zarr-python-2",
        label: "zarr-python 2",
        title: "zarr-python 2 with numcodecs (Zarr V2)",
        venv: VenvSpec {
            requirements: FOREIGN_REQUIREMENTS,
            versions_script: FOREIGN_SCRIPT,
            what: "the pinned zarr-python 2 writer with pip (zarr 2, numcodecs with msgpack, pcodec, zfpy, crc32c)",
        },
    },
    ForeignWriter {
        id: "zarr-python-3",
        label: "zarr-python 3",
        title: "zarr-python 3 (Zarr V3, and V2 as it writes it)",
        venv: VenvSpec {
            requirements: FOREIGN3_REQUIREMENTS,
            versions_script: FOREIGN_SCRIPT,
            what: "the pinned zarr-python 3 writer with pip (zarr 3, numcodecs with msgpack, pcodec, zfpy, crc32c)",
        },
    },
];

fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target")
}

/// The directory of the writers' virtual environments (one per writer, named by its id):
/// `$ZARRKIT_FOREIGN_VENV` if set, else `target/foreign-venvs` of this workspace
/// (git-ignored).
pub fn default_foreign_venv_dir() -> PathBuf {
    match std::env::var_os(FOREIGN_VENV_ENV) {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => target_dir().join("foreign-venvs"),
    }
}

/// The default corpus directory: `target/foreign-corpus` of this workspace.
pub fn default_foreign_corpus_dir() -> PathBuf {
    target_dir().join("foreign-corpus")
}

/// Make `dir` an empty generated-corpus directory: delete it first if it is one (it holds
/// [`MARKER`]), refuse a non-empty directory without the marker, create it and write the
/// marker.
pub fn prepare_corpus_dir(dir: &Path) -> Result<(), String> {
    if dir.exists() {
        if dir.join(MARKER).is_file() {
            std::fs::remove_dir_all(dir)
                .map_err(|e| format!("cannot remove the old corpus {}: {e}", dir.display()))?;
        } else {
            let mut entries = std::fs::read_dir(dir)
                .map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
            if entries.next().is_some() {
                return Err(format!(
                    "{} is not empty and holds no {MARKER}: not a generated foreign corpus, so it is \
                     left alone (choose an empty or new directory)",
                    dir.display()
                ));
            }
        }
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let marker = dir.join(MARKER);
    let marker_text = "A foreign-data corpus generated by `zarrkit-conformance --foreign` \
                       (conformance/python/foreign_corpus.py). Each run deletes and regenerates \
                       this directory.\n";
    std::fs::write(&marker, marker_text)
        .map_err(|e| format!("cannot write {}: {e}", marker.display()))
}

/// Generate a writer's corpus into `dir` (new, or empty) with the environment's interpreter
/// `python` (the generator writes the corpus of the zarr installed there). Returns the
/// generator's summary line.
pub fn generate_corpus(python: &Path, dir: &Path) -> Result<String, String> {
    if let Ok(mut entries) = std::fs::read_dir(dir) {
        if entries.next().is_some() {
            return Err(format!(
                "{} is not empty: the generator writes into a new or empty directory",
                dir.display()
            ));
        }
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let script = script_file("zarrkit-foreign-corpus-", FOREIGN_SCRIPT)?;
    let out = Command::new(python)
        .arg(script.path())
        .arg(dir)
        .env("PYTHONHASHSEED", "0")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(20).collect();
        return Err(format!(
            "the foreign corpus generator failed ({}):\n{}",
            out.status,
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        ));
    }
    if !dir.join("manifest.json").is_file() {
        return Err(format!(
            "the foreign corpus generator wrote no manifest.json in {}",
            dir.display()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Data type columns of the matrix, in order; others follow alphabetically.
const COLUMNS: &[&str] = &[
    "bool",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float16",
    "float32",
    "float64",
    "complex64",
    "complex128",
    "datetime64",
    "timedelta64",
    "S (bytes)",
    "U (UCS-4)",
    "V (raw)",
    "record",
    "O: str",
    "O: bytes",
    "O: ragged",
];

/// Pseudo-rows after the codecs.
const ORDER_F: &str = "(order F)";
const BIG_ENDIAN: &str = "(big-endian dtype)";
const SEPARATOR: &str = "(dimension_separator /)";
const FILL_NULL: &str = "(fill_value null)";
const NO_COMPRESSOR: &str = "(no compressor)";

/// The matrix column of a V2 dtype (`<i4` → `int32`, `|S7` → `S (bytes)`, a list →
/// `record`); `|O` by the data type zarrkit bound (`bound`), when the case opened.
pub fn dtype_column(dtype: &Value, bound: Option<&str>) -> String {
    let Value::String(s) = dtype else {
        return "record".into();
    };
    let body = s.strip_prefix(['<', '>', '|', '=']).unwrap_or(s);
    if let Some(name) = crate::runner::v2_dtype_to_v3_name(s) {
        return name.into();
    }
    let kind = body.chars().next().unwrap_or('?');
    match kind {
        'S' => "S (bytes)".into(),
        'U' => "U (UCS-4)".into(),
        'V' => "V (raw)".into(),
        'M' => "datetime64".into(),
        'm' => "timedelta64".into(),
        'O' => match bound {
            Some("string") => "O: str".into(),
            Some("variable_length_bytes") => "O: bytes".into(),
            Some("zarrkit.vlen_array") => "O: ragged".into(),
            _ => "O".into(),
        },
        _ => body.to_string(),
    }
}

fn is_big_endian(dtype: &Value) -> bool {
    match dtype {
        Value::String(s) => s.starts_with('>'),
        Value::Array(a) => a.iter().any(is_big_endian),
        _ => false,
    }
}

/// A row or column name with its sort rank.
type Ranked = (usize, String);

fn column_rank(c: &str) -> Ranked {
    (
        COLUMNS
            .iter()
            .position(|x| *x == c)
            .unwrap_or(COLUMNS.len()),
        c.to_string(),
    )
}

fn row_rank(r: &str) -> Ranked {
    let pseudo = [
        NO_COMPRESSOR,
        ORDER_F,
        BIG_ENDIAN,
        SEPARATOR,
        FILL_NULL,
        SHARDED,
        BIG_ENDIAN_BYTES,
    ];
    (
        pseudo.iter().position(|x| *x == r).map_or(0, |i| i + 1),
        r.to_string(),
    )
}

#[derive(Default, Clone, Copy)]
struct Cell {
    pass: usize,
    fail: usize,
    skip: usize,
}

impl Cell {
    fn add(&mut self, s: Status) {
        match s {
            Status::Pass => self.pass += 1,
            Status::Fail => self.fail += 1,
            Status::Skip => self.skip += 1,
        }
    }
    fn text(&self) -> String {
        let mut parts = Vec::new();
        if self.pass > 0 {
            parts.push(self.pass.to_string());
        }
        if self.fail > 0 {
            parts.push(format!("✗{}", self.fail));
        }
        if self.skip > 0 {
            parts.push(format!("s{}", self.skip));
        }
        parts.join(" ")
    }
}

fn escape(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// What an array case of the foreign corpus exercises, from its `.zarray`: the matrix rows
/// (numcodecs ids of filters and compressor, then pseudo-rows) and its column.
fn case_axes(
    corpus: &Path,
    case: &crate::Case,
    bound: Option<&str>,
) -> Option<(Vec<String>, String)> {
    let node = case.store_dir(corpus).ok()?.join(case.node_dir());
    let Ok(bytes) = std::fs::read(node.join(".zarray")) else {
        let bytes = std::fs::read(node.join("zarr.json")).ok()?;
        return case_axes_v3(&zarrkit_core::json::parse(&bytes).ok()?);
    };
    let meta = zarrkit_core::json::parse(&bytes).ok()?;
    let mut rows: Vec<String> = Vec::new();
    let mut push = |r: String| {
        if !rows.contains(&r) {
            rows.push(r);
        }
    };
    if let Some(Value::Array(filters)) = meta.get("filters") {
        for f in filters {
            if let Some(Value::String(id)) = f.get("id") {
                push(id.clone());
            }
        }
    }
    match meta.get("compressor") {
        Some(Value::Object(c)) => {
            if let Some(Value::String(id)) = c.get("id") {
                push(id.clone());
            }
        }
        _ => push(NO_COMPRESSOR.into()),
    }
    let dtype = meta.get("dtype").cloned().unwrap_or(Value::Null);
    if meta.get("order").and_then(Value::as_str) == Some("F") {
        push(ORDER_F.into());
    }
    if is_big_endian(&dtype) {
        push(BIG_ENDIAN.into());
    }
    if meta.get("dimension_separator").and_then(Value::as_str) == Some("/") {
        push(SEPARATOR.into());
    }
    if meta.get("fill_value") == Some(&Value::Null) {
        push(FILL_NULL.into());
    }
    Some((rows, dtype_column(&dtype, bound)))
}

const BIG_ENDIAN_BYTES: &str = "(bytes endian big)";
const SHARDED: &str = "(sharded)";

/// [`case_axes`] of a V3 array (`zarr.json`): every codec name, nested ones (sharding's
/// inner and index codecs) too, then pseudo-rows; the column is the data type name.
fn case_axes_v3(meta: &Value) -> Option<(Vec<String>, String)> {
    fn walk(codecs: &Value, rows: &mut Vec<String>) {
        let Value::Array(list) = codecs else { return };
        for c in list {
            let (name, conf) = match c {
                Value::String(n) => (n.as_str(), None),
                Value::Object(o) => (
                    o.get("name").and_then(Value::as_str).unwrap_or("?"),
                    o.get("configuration"),
                ),
                _ => continue,
            };
            let mut push = |r: &str| {
                if !rows.iter().any(|x| x == r) {
                    rows.push(r.to_string());
                }
            };
            push(name);
            if name == "sharding_indexed" {
                push(SHARDED);
            }
            if name == "bytes"
                && conf.and_then(|c| c.get("endian")).and_then(Value::as_str) == Some("big")
            {
                push(BIG_ENDIAN_BYTES);
            }
            if let Some(conf) = conf {
                for k in ["codecs", "index_codecs"] {
                    if let Some(inner) = conf.get(k) {
                        walk(inner, rows);
                    }
                }
            }
        }
    }
    let mut rows = Vec::new();
    walk(meta.get("codecs")?, &mut rows);
    let column = match meta.get("data_type")? {
        Value::String(s) => s.clone(),
        Value::Object(o) => o.get("name")?.as_str()?.to_string(),
        _ => return None,
    };
    Some((rows, column))
}

/// One writer's part of a foreign run: its corpus's `manifest` (in `corpus`) and the read
/// `report`.
#[derive(Debug, Clone, Copy)]
pub struct Section<'a> {
    /// The writer.
    pub writer: &'a ForeignWriter,
    /// Its corpus's manifest.
    pub manifest: &'a Manifest,
    /// Its corpus directory.
    pub corpus: &'a Path,
    /// The read checks' results.
    pub report: &'a Report,
}

/// The Markdown summary of a foreign run: every writer's [`Section`], and `command`, the
/// command that produced it. Holds no paths, times or machine data, in a stable order.
pub fn markdown(sections: &[Section<'_>], command: &str) -> String {
    let mut out = String::new();
    out.push_str("## Foreign data: arrays other implementations wrote\n\n");
    out.push_str(&format!(
        "<!-- Generated by `{command}`; do not edit by hand. -->\n\n"
    ));
    out.push_str(
        "`zarrkit-conformance --foreign` creates a pinned Python environment per writer (from \
         PyPI), has `conformance/python/foreign_corpus.py` write a corpus with it in the shared \
         corpus's manifest format, and runs zarrkit's read checks on it. Expected data: the data \
         as written for lossless chains (zarr-python reads it back equal, or the case says why \
         not), zarr-python's own read-back for lossy ones (quantize, bitround, lossy zfpy modes, \
         narrowing astype, fixedscaleoffset to integers). Canonical bytes of datetimes, records \
         and ragged arrays: see `conformance/src/canonical.rs`. An array zarrkit refuses with a \
         typed unsupported-feature error is skipped, with the feature named.\n\n",
    );
    out.push_str("```\n");
    for s in sections {
        out.push_str(&format!("{}: {}\n", s.writer.id, s.report.summary_line()));
    }
    out.push_str("```\n\n");
    for s in sections {
        out.push_str(&section_markdown(s));
    }
    out
}

fn section_markdown(section: &Section<'_>) -> String {
    let Section {
        writer,
        manifest,
        corpus,
        report,
    } = *section;
    let mut out = String::new();
    let mut line = |s: &str| {
        out.push_str(s);
        out.push('\n');
    };
    let results: BTreeMap<&str, &crate::CaseResult> =
        report.cases.iter().map(|c| (c.id.as_str(), c)).collect();
    line(&format!("### {}", writer.title));
    line("");
    let versions: Vec<String> = manifest
        .generated_by
        .iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| {
            format!(
                "{k} {}",
                v.as_str().map_or_else(|| v.to_string(), str::to_string)
            )
        })
        .collect();
    let count = |kind: CaseKind, format: u8| {
        manifest
            .cases
            .iter()
            .filter(|c| c.kind == kind && c.zarr_format == format)
            .count()
    };
    let formats: Vec<String> = [(2u8, "V2"), (3, "V3")]
        .iter()
        .filter_map(|&(f, name)| {
            let (a, g) = (count(CaseKind::Array, f), count(CaseKind::Group, f));
            (a + g > 0).then(|| format!("{name}: {a} arrays, {g} groups"))
        })
        .collect();
    line(&format!(
        "Written by {} ({} cases; {}).",
        versions.join(", "),
        manifest.cases.len(),
        formats.join("; ")
    ));
    line("");
    line("```");
    line(&report.summary_line());
    line("```");
    line("");

    // The matrix.
    let mut cells: BTreeMap<(Ranked, Ranked), Cell> = BTreeMap::new();
    let mut row_totals: BTreeMap<Ranked, Cell> = BTreeMap::new();
    let mut col_totals: BTreeMap<Ranked, Cell> = BTreeMap::new();
    let mut lossy = Vec::new();
    let mut unverified = Vec::new();
    let mut as_peer_reads = Vec::new();
    for case in manifest.cases.iter().filter(|c| c.kind == CaseKind::Array) {
        let Some(result) = results.get(case.id.as_str()) else {
            continue;
        };
        let bound = result.array.as_ref().map(|a| a.data_type.as_str());
        let Some((rows, column)) = case_axes(corpus, case, bound) else {
            continue;
        };
        let c = column_rank(&column);
        col_totals.entry(c.clone()).or_default().add(result.status);
        for r in rows {
            let r = row_rank(&r);
            cells
                .entry((r.clone(), c.clone()))
                .or_default()
                .add(result.status);
            row_totals.entry(r).or_default().add(result.status);
        }
        if case.description.contains("Lossy (") {
            lossy.push(case.id.as_str());
        }
        if case.verified_by.is_empty() {
            unverified.push(case);
        }
        if case.description.contains(PEER_READS_NOTE) {
            as_peer_reads.push(case);
        }
    }
    line("#### Codec × data type");
    line("");
    line("Array cases per codec (V2: the numcodecs ids of the filters and compressor of");
    line("`.zarray`; V3: every codec name of `zarr.json`, sharding's inner codecs included; the");
    line("pseudo-rows in parentheses count other features) and data type (V2 dtype in both byte");
    line("orders, `O` arrays by the data type zarrkit binds; V3 data type name). `n`: n cases");
    line("read correctly; `✗n`: n failures; `sn`: n skipped; empty: not exercised.");
    line("");
    let columns: BTreeSet<&Ranked> = col_totals.keys().collect();
    let mut header = String::from("| codec | all |");
    let mut rule = String::from("| --- | ---: |");
    for (_, c) in &columns {
        header.push_str(&format!(" {} |", escape(c)));
        rule.push_str(" --- |");
    }
    line(&header);
    line(&rule);
    for (r, total) in &row_totals {
        let name = if r.0 == 0 {
            format!("`{}`", r.1)
        } else {
            r.1.clone()
        };
        let mut row = format!("| {name} | {} |", total.text());
        for c in &columns {
            let text = cells
                .get(&(r.clone(), (*c).clone()))
                .map(Cell::text)
                .unwrap_or_default();
            row.push_str(&format!(" {text} |"));
        }
        line(&row);
    }
    let all = col_totals.values().fold(Cell::default(), |mut a, c| {
        a.pass += c.pass;
        a.fail += c.fail;
        a.skip += c.skip;
        a
    });
    let mut row = format!("| **arrays** | {} |", all.text());
    for c in &columns {
        row.push_str(&format!(
            " {} |",
            col_totals.get(*c).map(Cell::text).unwrap_or_default()
        ));
    }
    line(&row);
    line("");
    let group_cell = manifest
        .cases
        .iter()
        .filter(|c| c.kind == CaseKind::Group)
        .filter_map(|c| results.get(c.id.as_str()))
        .fold(Cell::default(), |mut a, r| {
            a.add(r.status);
            a
        });
    line(&format!(
        "Groups (nested, attributes with bare `NaN` / `Infinity`, consolidated metadata): {}.",
        if group_cell.text().is_empty() {
            "none run".to_string()
        } else {
            group_cell.text()
        }
    ));
    line(&format!(
        "Lossy cases (expected = zarr-python's read-back): {}.",
        if lossy.is_empty() {
            "none".to_string()
        } else {
            lossy.len().to_string()
        }
    ));
    line("");

    let note = |case: &crate::Case| {
        let d = case.description.as_str();
        let marker = format!("{} ", writer.label);
        escape(d.find(&marker).map_or(d, |i| &d[i..]))
    };
    line(&format!(
        "#### Data {} does not read back as written",
        writer.label
    ));
    line("");
    line(&format!(
        "The expected data is the data as written; {} itself reads other data (or nothing)",
        writer.label
    ));
    line("from these stores.");
    line("");
    if unverified.is_empty() {
        line("None.");
    }
    for case in &unverified {
        line(&format!("- `{}`: {}", case.id, note(case)));
    }
    line("");
    line("#### Data zarrkit reads as zarr-python reads it, not as written");
    line("");
    line("The expected data is zarr-python 2's read-back, which differs from the data written;");
    line("zarrkit follows zarr-python there by choice (see the codec crate's documentation).");
    line("");
    if as_peer_reads.is_empty() {
        line("None.");
    }
    for case in &as_peer_reads {
        let n = note(case);
        let n = n
            .strip_suffix(PEER_READS_NOTE)
            .unwrap_or(&n)
            .trim_end_matches([' ', ';']);
        line(&format!("- `{}`: {n}.", case.id));
    }
    line("");
    for (title, status) in [
        ("Failures", Status::Fail),
        (
            "Skipped: what zarrkit refuses, with the reason it names",
            Status::Skip,
        ),
    ] {
        line(&format!("#### {title}"));
        line("");
        let mut any = false;
        for c in report.cases.iter().filter(|c| c.status == status) {
            line(&format!("- `{}`: {}", c.id, escape(&c.detail)));
            any = true;
        }
        if !any {
            line("None.");
        }
        line("");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns() {
        let s = |x: &str| Value::String(x.into());
        assert_eq!(dtype_column(&s("<i4"), None), "int32");
        assert_eq!(dtype_column(&s(">f8"), None), "float64");
        assert_eq!(dtype_column(&s("|S7"), None), "S (bytes)");
        assert_eq!(dtype_column(&s(">U5"), None), "U (UCS-4)");
        assert_eq!(dtype_column(&s("<M8[ns]"), None), "datetime64");
        assert_eq!(dtype_column(&s("<m8[10s]"), None), "timedelta64");
        assert_eq!(
            dtype_column(&s("|O"), Some("zarrkit.vlen_array")),
            "O: ragged"
        );
        assert_eq!(dtype_column(&s("|O"), None), "O");
        assert_eq!(
            dtype_column(&serde_json::json!([["a", "<i4"]]), None),
            "record"
        );
        assert!(is_big_endian(&serde_json::json!([
            ["a", "<i4"],
            ["b", [["c", ">f4"]]]
        ])));
        assert!(!is_big_endian(&s("|u1")));
    }

    #[test]
    fn v3_axes() {
        let meta = serde_json::json!({
            "data_type": {"name": "numpy.datetime64", "configuration": {"unit": "ns", "scale_factor": 1}},
            "fill_value": 0,
            "codecs": [
                {"name": "transpose", "configuration": {"order": [1, 0]}},
                {"name": "sharding_indexed", "configuration": {
                    "chunk_shape": [2, 2],
                    "codecs": [{"name": "bytes", "configuration": {"endian": "big"}}, {"name": "numcodecs.zlib"}],
                    "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}}, "crc32c"]}}
            ]
        });
        let (rows, column) = case_axes_v3(&meta).unwrap_or_default();
        assert_eq!(column, "numpy.datetime64");
        assert_eq!(
            rows,
            [
                "transpose",
                "sharding_indexed",
                SHARDED,
                "bytes",
                BIG_ENDIAN_BYTES,
                "numcodecs.zlib",
                "crc32c"
            ]
        );
        assert!(case_axes_v3(&serde_json::json!({"data_type": "int8"})).is_none());
    }

    #[test]
    fn generator_and_pins_are_embedded() {
        assert!(FOREIGN_SCRIPT.contains("def canonical_bytes"));
        assert!(FOREIGN_SCRIPT.contains("--versions"));
        assert!(FOREIGN_SCRIPT.contains(&format!("PEER_READS_NOTE = \"{PEER_READS_NOTE}\"")));
        let pins = crate::python::pinned_versions_of(FOREIGN_REQUIREMENTS);
        assert_eq!(pins.get("zarr").map(String::as_str), Some("2.18.6"));
        assert_eq!(pins.get("numcodecs").map(String::as_str), Some("0.15.1"));
        assert_eq!(pins.get("zfpy").map(String::as_str), Some("1.0.1"));
        let pins = crate::python::pinned_versions_of(FOREIGN3_REQUIREMENTS);
        assert_eq!(pins.get("zarr").map(String::as_str), Some("3.1.6"));
        assert_eq!(pins.get("numcodecs").map(String::as_str), Some("0.16.6"));
    }

    #[test]
    fn matrix_of_a_small_corpus() -> Result<(), Box<dyn std::error::Error>> {
        use crate::report::CaseResult;
        let dir = tempfile::tempdir()?;
        let root = dir.path();
        for (store, zarray) in [
            (
                "a",
                r#"{"zarr_format": 2, "shape": [4], "chunks": [2], "dtype": ">i4", "fill_value": 0,
                   "order": "F", "filters": [{"id": "delta", "dtype": ">i4"}],
                   "compressor": {"id": "zlib", "level": 1}}"#,
            ),
            (
                "b",
                r#"{"zarr_format": 2, "shape": [4], "chunks": [2], "dtype": "|O", "fill_value": null,
                   "order": "C", "filters": [{"id": "vlen-utf8"}], "compressor": null}"#,
            ),
        ] {
            std::fs::create_dir_all(root.join("stores").join(store))?;
            std::fs::write(root.join("stores").join(store).join(".zarray"), zarray)?;
        }
        let manifest: Manifest = serde_json::from_str(
            r#"{"format": 1, "generated_by": {"zarr": "2.18.6"}, "cases": [
                {"id": "a", "store": "stores/a", "zarr_format": 2, "kind": "array",
                 "description": "x. Lossy (y): z.", "verified_by": ["zarr-python-2"]},
                {"id": "b", "store": "stores/b", "zarr_format": 2, "kind": "array",
                 "description": "s. zarr-python 2 misreads this store (why).", "verified_by": []}]}"#,
        )?;
        let mut report = Report::default();
        for (id, status, dt) in [("a", Status::Pass, "int32"), ("b", Status::Fail, "string")] {
            report.push(CaseResult {
                id: id.into(),
                kind: CaseKind::Array,
                zarr_format: 2,
                status,
                detail: "d".into(),
                array: Some(crate::report::ArrayInfo {
                    data_type: dt.into(),
                    codecs: Vec::new(),
                }),
            });
        }
        let section = Section {
            writer: &WRITERS[0],
            manifest: &manifest,
            corpus: root,
            report: &report,
        };
        let md = markdown(&[section], "cmd");
        assert!(
            md.contains("zarr-python-2: 1 passed, 1 failed, 0 skipped"),
            "{md}"
        );
        assert!(md.contains("### zarr-python 2 with numcodecs"), "{md}");
        assert!(md.contains("| codec | all | int32 | O: str |"), "{md}");
        assert!(md.contains("| `delta` | 1 | 1 |  |"), "{md}");
        assert!(md.contains("| `vlen-utf8` | ✗1 |  | ✗1 |"), "{md}");
        assert!(md.contains("| (no compressor) | ✗1 |  | ✗1 |"), "{md}");
        assert!(md.contains("| (order F) | 1 | 1 |  |"), "{md}");
        assert!(md.contains("| (big-endian dtype) | 1 | 1 |  |"), "{md}");
        assert!(md.contains("| (fill_value null) | ✗1 |  | ✗1 |"), "{md}");
        assert!(
            md.contains("- `b`: zarr-python 2 misreads this store (why)."),
            "{md}"
        );
        assert!(
            md.contains("Lossy cases (expected = zarr-python's read-back): 1."),
            "{md}"
        );
        assert!(md.contains("- `b`: d"), "{md}");
        assert_eq!(md, markdown(&[section], "cmd"));
        Ok(())
    }

    #[test]
    fn refuses_foreign_directories() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        std::fs::write(dir.path().join("precious.txt"), "keep")?;
        let e = prepare_corpus_dir(dir.path()).err().unwrap_or_default();
        assert!(e.contains("left alone"), "{e}");
        assert!(dir.path().join("precious.txt").is_file());
        let e = generate_corpus(Path::new("/nonexistent/python"), dir.path())
            .err()
            .unwrap_or_default();
        assert!(e.contains("not empty"), "{e}");
        assert!(dir.path().join("precious.txt").is_file());
        // A generated corpus is replaced by an empty one with the marker.
        let gen = dir.path().join("gen");
        prepare_corpus_dir(&gen)?;
        std::fs::write(gen.join("old.txt"), "old")?;
        prepare_corpus_dir(&gen)?;
        assert!(gen.join(MARKER).is_file() && !gen.join("old.txt").exists());
        Ok(())
    }
}
