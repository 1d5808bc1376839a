//! `zarrkit-conformance --corpus DIR [--json FILE] [--filter SUBSTR]`: run a conformance
//! corpus against zarrkit, print one line per case and `N passed, N failed, N skipped`.
//! Exit code 1 if any case failed, 2 on a usage or corpus error.

use std::path::PathBuf;
use std::process::ExitCode;

use zarrkit_conformance::{default_corpus_dir, open_filesystem_store, run_corpus_with, RunOptions};

const USAGE: &str = "usage: zarrkit-conformance [--corpus DIR] [--json FILE] [--filter SUBSTR]
  --corpus DIR     the corpus (default: $ZARRKIT_CONFORMANCE_CORPUS or ../shared/conformance)
  --json FILE      also write a JSON report
  --filter SUBSTR  run only the cases whose id contains SUBSTR";

struct Args {
    corpus: PathBuf,
    json: Option<PathBuf>,
    filter: Option<String>,
}

fn parse_args() -> Result<Option<Args>, String> {
    let mut args = Args {
        corpus: default_corpus_dir(),
        json: None,
        filter: None,
    };
    let mut it = std::env::args().skip(1);
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
            "--corpus" => args.corpus = PathBuf::from(value()?),
            "--json" => args.json = Some(PathBuf::from(value()?)),
            "--filter" => args.filter = Some(value()?),
            _ => return Err(format!("unknown argument {arg:?}")),
        }
    }
    Ok(Some(args))
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
    let options = RunOptions {
        filter: args.filter,
    };
    let report = match run_corpus_with(&args.corpus, &options, open_filesystem_store, |r| {
        println!("{r}")
    }) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    println!("{}", report.summary_line());
    if let Some(path) = &args.json {
        if let Err(e) = std::fs::write(path, report.to_json_pretty()) {
            eprintln!("error: cannot write {}: {e}", path.display());
            return ExitCode::from(2);
        }
    }
    if report.success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
