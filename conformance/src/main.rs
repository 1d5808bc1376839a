//! `zarrkit-conformance`: run a conformance corpus against zarrkit (read checks, and with
//! `--write-back` the write-back check against zarr-python and tensorstore), print one line
//! per case and `N passed, N failed, N skipped`; or, with `--array_path`, print an array's
//! elements as the zarr-conformance-tests suite expects; or, with `--foreign [DIR]`, generate
//! the foreign-data corpora (zarr-python 2 with numcodecs, zarr-python 3; each in its own
//! pinned Python environment) and run the read checks on them.
//!
//! Exit code 0 when nothing failed, 1 if any check failed (or the Markdown file is not
//! current), 2 on a usage, corpus or set-up error.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use zarrkit_conformance::foreign::{
    self, default_foreign_corpus_dir, default_foreign_venv_dir, generate_corpus,
    prepare_corpus_dir, ForeignWriter, Section, WRITERS,
};
use zarrkit_conformance::markdown::{compare, markdown};
use zarrkit_conformance::python::{default_venv_dir, ensure_venv, ensure_venv_with};
use zarrkit_conformance::writeback::{run_write_back, WriteBackOptions};
use zarrkit_conformance::{
    default_corpus_dir, open_filesystem_store, run_corpus_with, write_elements_json, Manifest,
    RunOptions,
};

const USAGE: &str = "usage: zarrkit-conformance [--corpus DIR] [--filter SUBSTR] [--write-back [--no-peers] [--venv DIR] [--work-dir DIR]]
                           [--json FILE] [--markdown FILE] [--check-markdown FILE]
       zarrkit-conformance --foreign [DIR] [--foreign-writers ID,...] [--foreign-venv DIR] [--foreign-markdown FILE]
                           [--foreign-check-markdown FILE] [--filter SUBSTR] [--json FILE]
       zarrkit-conformance --array_path PATH [--node /path]

  --corpus DIR          the corpus (default: $ZARRKIT_CONFORMANCE_CORPUS or ../shared/conformance)
  --filter SUBSTR       run only the cases whose id contains SUBSTR
  --write-back          also write every readable array case with zarrkit and read it back with
                        zarrkit, zarr-python and tensorstore (Python environment created on demand)
  --no-peers            with --write-back: only zarrkit reads back (no Python needed)
  --venv DIR            the Python environment (default: $ZARRKIT_VENV or target/conformance-venv)
  --work-dir DIR        write the write-back stores under DIR and keep them (default: a temporary
                        directory, removed afterwards)
  --json FILE           also write a JSON report (read and write-back results)
  --markdown FILE       also write the Markdown summary (docs/conformance.md)
  --check-markdown FILE fail (exit 1) if FILE differs from the Markdown summary of this run
  --foreign [DIR]       instead of the shared corpus: generate the foreign-data corpora (zarr-python 2
                        with every numcodecs codec; zarr-python 3, V3 and V2) into DIR/<writer> (default
                        target/foreign-corpus; regenerated on every run) and run the read checks on them
  --foreign-writers IDS with --foreign: only these writers (comma-separated: zarr-python-2, zarr-python-3)
  --foreign-venv DIR    the directory of the writers' Python environments, DIR/<writer> (default:
                        $ZARRKIT_FOREIGN_VENV or target/foreign-venvs; created on demand with pinned
                        packages from PyPI; the base interpreter is $ZARRKIT_PYTHON or python3, >= 3.11)
  --foreign-markdown FILE  with --foreign: also write the Markdown summary of the foreign run
  --foreign-check-markdown FILE  with --foreign: fail (exit 1) if FILE differs from that summary
  --array_path PATH     print every element of the array in the store at PATH (node --node,
                        default /) in C order, one fill-value JSON per line, and exit";

#[derive(Default)]
struct Args {
    corpus: Option<PathBuf>,
    json: Option<PathBuf>,
    filter: Option<String>,
    write_back: bool,
    no_peers: bool,
    venv: Option<PathBuf>,
    work_dir: Option<PathBuf>,
    markdown: Option<PathBuf>,
    check_markdown: Option<PathBuf>,
    array_path: Option<PathBuf>,
    node: Option<String>,
    /// `--foreign`, with its directory if given.
    foreign: Option<Option<PathBuf>>,
    foreign_venv: Option<PathBuf>,
    foreign_markdown: Option<PathBuf>,
    foreign_check_markdown: Option<PathBuf>,
    foreign_writers: Option<String>,
}

fn parse_args() -> Result<Option<Args>, String> {
    let mut args = Args::default();
    let mut it = std::env::args().skip(1).peekable();
    while let Some(arg) = it.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        if flag == "-h" || flag == "--help" {
            return Ok(None);
        }
        let mut value = || {
            inline
                .clone()
                .or_else(|| it.next())
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--corpus" => args.corpus = Some(PathBuf::from(value()?)),
            "--json" => args.json = Some(PathBuf::from(value()?)),
            "--filter" => args.filter = Some(value()?),
            "--write-back" => args.write_back = true,
            "--no-peers" => args.no_peers = true,
            "--venv" => args.venv = Some(PathBuf::from(value()?)),
            "--work-dir" => args.work_dir = Some(PathBuf::from(value()?)),
            "--markdown" => args.markdown = Some(PathBuf::from(value()?)),
            "--check-markdown" => args.check_markdown = Some(PathBuf::from(value()?)),
            "--array_path" | "--array-path" => args.array_path = Some(PathBuf::from(value()?)),
            "--node" => args.node = Some(value()?),
            "--foreign" => {
                let dir = match inline.clone() {
                    Some(v) => Some(v),
                    None => it.next_if(|next| !next.starts_with('-')),
                };
                args.foreign = Some(dir.map(PathBuf::from));
            }
            "--foreign-venv" => args.foreign_venv = Some(PathBuf::from(value()?)),
            "--foreign-markdown" => args.foreign_markdown = Some(PathBuf::from(value()?)),
            "--foreign-check-markdown" => {
                args.foreign_check_markdown = Some(PathBuf::from(value()?))
            }
            "--foreign-writers" => args.foreign_writers = Some(value()?),
            _ => return Err(format!("unknown argument {arg:?}")),
        }
    }
    Ok(Some(args))
}

/// `--array_path`: the zarr-conformance-tests contract.
fn print_array(path: &std::path::Path, node: &str) -> ExitCode {
    let result = open_filesystem_store(path)
        .map_err(|e| format!("cannot open the store {}: {e}", path.display()))
        .and_then(|store| {
            zarrkit::Array::open(store, node)
                .map_err(|e| format!("cannot open the array {node:?} in {}: {e}", path.display()))
        })
        .and_then(|array| {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            write_elements_json(&array, &mut out)
        });
    match result {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(Some(a)) => a,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("error: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    if let Some(path) = &args.array_path {
        return print_array(path, args.node.as_deref().unwrap_or("/"));
    }
    if args.foreign.is_some() {
        return run_foreign(&args);
    }
    if args.foreign_venv.is_some()
        || args.foreign_markdown.is_some()
        || args.foreign_check_markdown.is_some()
        || args.foreign_writers.is_some()
    {
        eprintln!("error: --foreign-venv, --foreign-markdown, --foreign-check-markdown and --foreign-writers need --foreign\n{USAGE}");
        return ExitCode::from(2);
    }
    let corpus = args.corpus.clone().unwrap_or_else(default_corpus_dir);
    let options = RunOptions {
        filter: args.filter.clone(),
        ..RunOptions::default()
    };
    let report = match run_corpus_with(&corpus, &options, open_filesystem_store, |r| {
        println!("{r}")
    }) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    println!("{}", report.summary_line());
    let _ = std::io::stdout().flush();
    let mut failed = !report.success();

    let write_back = if args.write_back {
        let start = Instant::now();
        let env = if args.no_peers {
            None
        } else {
            let dir = args.venv.clone().unwrap_or_else(default_venv_dir);
            match ensure_venv(&dir, |m| eprintln!("write-back: {m}")) {
                Ok(env) => Some(env),
                Err(e) => {
                    eprintln!("error: cannot set up the Python peers: {e}");
                    return ExitCode::from(2);
                }
            }
        };
        let wb_options = WriteBackOptions {
            work_dir: args.work_dir.clone(),
        };
        let wb = match run_write_back(&corpus, &report, env.as_ref(), &wb_options, |m| {
            eprintln!("write-back: {m}")
        }) {
            Ok(wb) => wb,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        };
        let peers: Vec<String> = ["zarr", "tensorstore"]
            .iter()
            .filter_map(|p| wb.peer_versions.get(*p).map(|v| format!("{p} {v}")))
            .collect();
        println!(
            "== write-back: zarrkit writes each readable array case with the same metadata; zarrkit{} read it back",
            if peers.is_empty() {
                " (peers not run)".to_string()
            } else {
                format!(", {}", peers.join(", "))
            }
        );
        println!("{}", wb.table());
        eprintln!("write-back: {:.1} s", start.elapsed().as_secs_f64());
        failed |= !wb.success();
        Some(wb)
    } else {
        None
    };

    if let Some(path) = &args.json {
        let mut v = report.to_json();
        if let (Some(wb), serde_json::Value::Object(m)) = (&write_back, &mut v) {
            m.insert(
                "write_back".into(),
                serde_json::to_value(wb).unwrap_or(serde_json::Value::Null),
            );
        }
        let text = serde_json::to_vec_pretty(&v).unwrap_or_default();
        if let Err(e) = std::fs::write(path, text) {
            eprintln!("error: cannot write {}: {e}", path.display());
            return ExitCode::from(2);
        }
    }
    if args.markdown.is_some() || args.check_markdown.is_some() {
        let manifest = match Manifest::load(&corpus) {
            Ok(m) => m,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        };
        let command = if write_back.is_some() {
            "cargo xtask conformance --write-back --markdown docs/conformance.md"
        } else {
            "cargo xtask conformance --markdown docs/conformance.md"
        };
        let doc = markdown(&manifest, &report, write_back.as_ref(), command);
        if let Some(path) = &args.markdown {
            if let Err(e) = std::fs::write(path, &doc) {
                eprintln!("error: cannot write {}: {e}", path.display());
                return ExitCode::from(2);
            }
        }
        if let Some(path) = &args.check_markdown {
            let existing = std::fs::read_to_string(path).unwrap_or_default();
            match compare(&doc, &existing, &path.display().to_string()) {
                Ok(()) => eprintln!("{} is current", path.display()),
                Err(e) => {
                    eprintln!("error: {e}");
                    failed = true;
                }
            }
        }
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// `--foreign [DIR]`: per writer the environment, the generated corpus, the read checks;
/// then the summary.
fn run_foreign(args: &Args) -> ExitCode {
    let conflicting = [
        (args.corpus.is_some(), "--corpus"),
        (args.write_back, "--write-back"),
        (args.markdown.is_some(), "--markdown"),
        (args.check_markdown.is_some(), "--check-markdown"),
        (args.no_peers, "--no-peers"),
        (
            args.venv.is_some(),
            "--venv (the writers' environments are under --foreign-venv)",
        ),
        (args.work_dir.is_some(), "--work-dir"),
    ];
    if let Some((_, flag)) = conflicting.iter().find(|(set, _)| *set) {
        eprintln!("error: --foreign cannot be combined with {flag}\n{USAGE}");
        return ExitCode::from(2);
    }
    let writers: Vec<&ForeignWriter> = match &args.foreign_writers {
        None => WRITERS.iter().collect(),
        Some(list) => {
            let mut out = Vec::new();
            for id in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                match WRITERS.iter().find(|w| w.id == id) {
                    Some(w) => out.push(w),
                    None => {
                        let known: Vec<&str> = WRITERS.iter().map(|w| w.id).collect();
                        eprintln!(
                            "error: unknown writer {id:?} (known: {})\n{USAGE}",
                            known.join(", ")
                        );
                        return ExitCode::from(2);
                    }
                }
            }
            out
        }
    };
    let dir = args
        .foreign
        .clone()
        .flatten()
        .unwrap_or_else(default_foreign_corpus_dir);
    let venvs = args
        .foreign_venv
        .clone()
        .unwrap_or_else(default_foreign_venv_dir);
    let start = Instant::now();
    if let Err(e) = prepare_corpus_dir(&dir) {
        eprintln!("error: {e}");
        return ExitCode::from(2);
    }
    let mut runs = Vec::new();
    let mut success = true;
    for writer in &writers {
        let t = Instant::now();
        let log = |m: &str| eprintln!("foreign {}: {m}", writer.id);
        let env = match ensure_venv_with(&venvs.join(writer.id), &writer.venv, log) {
            Ok(env) => env,
            Err(e) => {
                eprintln!(
                    "error: cannot set up the Python environment of {}: {e}",
                    writer.label
                );
                return ExitCode::from(2);
            }
        };
        let venv_time = t.elapsed();
        let corpus = dir.join(writer.id);
        log(&format!("generating the corpus in {}", corpus.display()));
        let summary = match generate_corpus(&env.python, &corpus) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        };
        let gen_time = t.elapsed() - venv_time;
        log(&summary);
        let options = RunOptions {
            filter: args.filter.clone(),
            unsupported_is_skip: true,
        };
        let read_start = Instant::now();
        let report = match run_corpus_with(&corpus, &options, open_filesystem_store, |r| {
            println!("{r}")
        }) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        };
        let read_time = read_start.elapsed();
        let versions: Vec<String> = ["zarr", "numcodecs", "numpy"]
            .iter()
            .filter_map(|p| env.versions.get(*p).map(|v| format!("{p} {v}")))
            .collect();
        println!(
            "== foreign data: written by {}; read by zarrkit",
            versions.join(", ")
        );
        println!("{}", report.summary_line());
        let _ = std::io::stdout().flush();
        log(&format!(
            "{:.1} s (environment {:.1} s, generation {:.1} s, reading {:.1} s)",
            t.elapsed().as_secs_f64(),
            venv_time.as_secs_f64(),
            gen_time.as_secs_f64(),
            read_time.as_secs_f64()
        ));
        success &= report.success();
        let manifest = match Manifest::load(&corpus) {
            Ok(m) => m,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        };
        runs.push((*writer, corpus, manifest, report));
    }
    eprintln!("foreign: {:.1} s in all", start.elapsed().as_secs_f64());
    if let Some(path) = &args.json {
        let all: Vec<serde_json::Value> = runs
            .iter()
            .map(|(w, _, _, r)| {
                serde_json::json!({
                    "writer": w.id,
                    "report": serde_json::from_slice::<serde_json::Value>(&r.to_json_pretty())
                        .unwrap_or_default(),
                })
            })
            .collect();
        let text = serde_json::to_string_pretty(&all).unwrap_or_default();
        if let Err(e) = std::fs::write(path, text) {
            eprintln!("error: cannot write {}: {e}", path.display());
            return ExitCode::from(2);
        }
    }
    let sections: Vec<Section<'_>> = runs
        .iter()
        .map(|(writer, corpus, manifest, report)| Section {
            writer,
            manifest,
            corpus,
            report,
        })
        .collect();
    // The command line recorded in the summary names the Markdown file as given.
    let doc = |path: &std::path::Path| {
        let command = format!(
            "cargo run -p zarrkit-conformance -- --foreign --foreign-markdown {}",
            path.display()
        );
        foreign::markdown(&sections, &command)
    };
    if let Some(path) = &args.foreign_markdown {
        if let Err(e) = std::fs::write(path, doc(path)) {
            eprintln!("error: cannot write {}: {e}", path.display());
            return ExitCode::from(2);
        }
    }
    if let Some(path) = &args.foreign_check_markdown {
        let current = std::fs::read_to_string(path).unwrap_or_default();
        if args.filter.is_some() || writers.len() != WRITERS.len() {
            eprintln!("error: --foreign-check-markdown needs the whole run (no --filter or --foreign-writers)");
            return ExitCode::from(2);
        }
        if current != doc(path) {
            eprintln!(
                "error: {} is not the summary of this run; regenerate it with \
                 `cargo run -p zarrkit-conformance -- --foreign --foreign-markdown {}`",
                path.display(),
                path.display()
            );
            success = false;
        }
    }
    if success {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
