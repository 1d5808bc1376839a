//! `cargo xtask fuzz [TARGET...] [--seconds N] [--jobs N] [--nice] [--sanitizer S] [--report]`:
//! run the libFuzzer targets in `fuzz/` (bodies in `zarrkit_conformance::fuzzing`).
//!
//! - Installs `cargo-fuzz` if it is missing, and runs it with `RUSTC_BOOTSTRAP=1` (this
//!   toolchain is stable; cargo-fuzz passes `-Z` sanitizer flags) and AddressSanitizer.
//! - Seeds each target's working corpus (`fuzz/corpus/<target>`, git-ignored) from the
//!   conformance corpus beside the repository (`../shared/conformance`, or
//!   `$ZARRKIT_CORPUS`): metadata documents, whole small stores, and the chunk files of
//!   the cases that use each decoder's codec; plus `fuzz/seeds/<target>` and
//!   `fuzz/regressions/<target>` (committed).
//! - Builds the targets once (`cargo fuzz build`, cargo-fuzz's defaults: release,
//!   debug assertions, AddressSanitizer), then runs each target's binary for N seconds
//!   (default 60), `--jobs N` of them at once (default 1; `--nice` runs them under
//!   `nice -n 19`), with `-rss_limit_mb=2048`,
//!   `-malloc_limit_mb=1024` (an allocation the input alone decides is a finding) and
//!   `-timeout=10` (a hang is a finding), and adds its executions and the seconds it
//!   really ran to `fuzz/stats.tsv` (committed: the README's table is
//!   `cargo xtask fuzz --report`, which only prints it).
//! - `--sanitizer none` builds without AddressSanitizer (into `fuzz/target-none`, so the
//!   ASan build stays): 4-8x the executions per second. The targets are safe Rust apart
//!   from a few audited `unsafe` blocks, so most of what they can find is a panic, an abort,
//!   a hang or a runaway allocation, which libFuzzer sees without ASan; ASan runs still
//!   matter for the `unsafe` code. `fuzz/stats.tsv` keeps the two apart (column
//!   `sanitizer`) and the report shows both.
//! - A crash leaves its input in `fuzz/artifacts/<target>/` and fails the task; fix it, then
//!   keep the input in `fuzz/regressions/<target>/` so that `cargo test` replays it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const DEFAULT_SECONDS: u64 = 60;
const MAX_SEEDS: usize = 300;
const MAX_SEED_BYTES: u64 = 1 << 20;

/// The targets (the files in `fuzz/fuzz_targets`).
fn targets(fuzz: &Path) -> Result<Vec<String>, String> {
    let dir = fuzz.join("fuzz_targets");
    let mut t: Vec<String> = std::fs::read_dir(&dir)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            e.file_name()
                .to_str()
                .and_then(|n| n.strip_suffix(".rs"))
                .map(str::to_string)
        })
        .collect();
    t.sort();
    Ok(t)
}

/// Every file under `dir`, with its path relative to `dir`.
fn files(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(rel) = p.strip_prefix(dir) {
                out.push((rel.to_string_lossy().replace('\\', "/"), p.clone()));
            }
        }
    }
    out.sort();
    out
}

/// The codec name a decoder target's seeds come from (a string in the cases' metadata).
fn codec_token(target: &str) -> Option<String> {
    let t = target.strip_prefix("decode_")?;
    Some(match t {
        "sharding" | "sharding_start" => "sharding_indexed".into(),
        "vlen_utf8" => "vlen-utf8".into(),
        "vlen_bytes" => "vlen-bytes".into(),
        other => other.into(),
    })
}

/// Write `data` as seed `name` of `corpus` (at most [`MAX_SEEDS`] per target).
fn put(corpus: &Path, n: &mut usize, name: &str, data: &[u8]) -> Result<(), String> {
    if *n >= MAX_SEEDS || data.len() as u64 > MAX_SEED_BYTES {
        return Ok(());
    }
    let f = corpus.join(name.replace(['/', '\\', ' '], "_"));
    std::fs::write(&f, data).map_err(|e| format!("cannot write {}: {e}", f.display()))?;
    *n += 1;
    Ok(())
}

/// Fill `fuzz/corpus/<target>` with seeds.
fn seed(target: &str, fuzz: &Path, conformance: &Path) -> Result<(), String> {
    let corpus = fuzz.join("corpus").join(target);
    std::fs::create_dir_all(&corpus)
        .map_err(|e| format!("cannot create {}: {e}", corpus.display()))?;
    let mut n = 0;
    for kept in ["seeds", "regressions"] {
        for (rel, p) in files(&fuzz.join(kept).join(target)) {
            let data = std::fs::read(&p).map_err(|e| format!("{}: {e}", p.display()))?;
            put(&corpus, &mut n, &format!("{kept}-{rel}"), &data)?;
        }
    }
    let stores = conformance.join("stores");
    let Ok(cases) = std::fs::read_dir(&stores) else {
        eprintln!(
            "xtask fuzz: no conformance corpus at {} (seeds from fuzz/ only)",
            stores.display()
        );
        return Ok(());
    };
    let mut cases: Vec<PathBuf> = cases.flatten().map(|e| e.path()).collect();
    cases.sort();
    for case in cases {
        let case_name = case
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let all = files(&case);
        let read = |p: &Path| std::fs::read(p).unwrap_or_default();
        let is_meta = |r: &str| {
            r.ends_with("zarr.json")
                || r.ends_with(".zarray")
                || r.ends_with(".zattrs")
                || r.ends_with(".zgroup")
                || r.ends_with(".zmetadata")
        };
        match target {
            "metadata_v3" => {
                for (rel, p) in all.iter().filter(|(r, _)| r.ends_with("zarr.json")) {
                    put(&corpus, &mut n, &format!("{case_name}-{rel}"), &read(p))?;
                }
            }
            "metadata_v2" => {
                for (rel, p) in all.iter().filter(|(r, _)| r.ends_with(".zarray")) {
                    let mut data = read(p);
                    if let Some(parent) = p.parent() {
                        if let Ok(attrs) = std::fs::read(parent.join(".zattrs")) {
                            data.push(0xff);
                            data.extend(attrs);
                        }
                    }
                    put(&corpus, &mut n, &format!("{case_name}-{rel}"), &data)?;
                }
            }
            "read_path" => {
                let mut packed = Vec::new();
                for (rel, p) in &all {
                    let v = read(p);
                    let (Ok(kl), Ok(vl)) = (u8::try_from(rel.len()), u16::try_from(v.len())) else {
                        continue;
                    };
                    packed.push(kl);
                    packed.extend(rel.as_bytes());
                    packed.extend(vl.to_le_bytes());
                    packed.extend(v);
                }
                put(&corpus, &mut n, &case_name, &packed)?;
            }
            "shard_index" => {
                let meta: String = all
                    .iter()
                    .filter(|(r, _)| is_meta(r))
                    .map(|(_, p)| String::from_utf8_lossy(&read(p)).into_owned())
                    .collect();
                if meta.contains("sharding_indexed") {
                    for (rel, p) in all.iter().filter(|(r, _)| !is_meta(r)) {
                        let mut data = vec![0u8];
                        data.extend(read(p));
                        put(&corpus, &mut n, &format!("{case_name}-{rel}"), &data)?;
                    }
                }
            }
            t => {
                let Some(token) = codec_token(t) else {
                    continue;
                };
                let meta: String = all
                    .iter()
                    .filter(|(r, _)| is_meta(r))
                    .map(|(_, p)| String::from_utf8_lossy(&read(p)).into_owned())
                    .collect();
                if meta.contains(&format!("\"{token}\""))
                    || meta.contains(&format!("numcodecs.{token}\""))
                {
                    for (rel, p) in all.iter().filter(|(r, _)| !is_meta(r)) {
                        let mut data = vec![0u8];
                        data.extend(read(p));
                        put(&corpus, &mut n, &format!("{case_name}-{rel}"), &data)?;
                    }
                }
            }
        }
    }
    // Valid-then-corrupted seeds for decoders, and a few synthetic ones for the rest.
    for i in 0u8..4 {
        let mut d = vec![1u8];
        d.extend((0..256u32).map(|j| (j.wrapping_mul(u32::from(i) * 31 + 7) % 251) as u8));
        put(&corpus, &mut n, &format!("synthetic-{i}"), &d)?;
    }
    if target == "fill_value" {
        for (i, v) in [
            "0",
            "1.5",
            "\"NaN\"",
            "\"0x7fc00000\"",
            "[1, 2]",
            "true",
            "\"\"",
            "\"AAAA\"",
        ]
        .iter()
        .enumerate()
        {
            for which in [0u8, 3, 7, 11, 13, 17, 21, 23] {
                let mut d = vec![which];
                d.extend(v.as_bytes());
                put(&corpus, &mut n, &format!("fill-{i}-{which}"), &d)?;
            }
        }
    }
    eprintln!("xtask fuzz: {target}: {n} seeds");
    Ok(())
}

/// `fuzz/stats.tsv`: target → (executions, seconds, runs, crashes).
/// Totals per (target, sanitizer): executions, seconds, runs, crashes.
type Stats = BTreeMap<(String, String), [u64; 4]>;

/// `fuzz/stats.tsv`; rows without a `sanitizer` column (older files) are ASan runs.
fn read_stats(path: &Path) -> Stats {
    let mut m = BTreeMap::new();
    for line in std::fs::read_to_string(path).unwrap_or_default().lines() {
        let f: Vec<&str> = line.split('\t').collect();
        if (f.len() == 5 || f.len() == 6) && f[0] != "target" {
            let n = |s: &str| s.parse::<u64>().unwrap_or(0);
            let san = f.get(5).copied().unwrap_or("address").to_string();
            let e = m.entry((f[0].to_string(), san)).or_insert([0; 4]);
            for (i, v) in e.iter_mut().enumerate() {
                *v += n(f[i + 1]);
            }
        }
    }
    m
}

fn write_stats(path: &Path, m: &Stats) -> Result<(), String> {
    let mut s = String::from("target\texecutions\tseconds\truns\tcrashes\tsanitizer\n");
    for ((t, san), v) in m {
        s.push_str(&format!(
            "{t}\t{}\t{}\t{}\t{}\t{san}\n",
            v[0], v[1], v[2], v[3]
        ));
    }
    std::fs::write(path, s).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// One row per target: executions with AddressSanitizer, without a sanitizer, both, the
/// seconds run and the crashes; then a total line.
fn report(m: &Stats) -> String {
    let mut per: BTreeMap<&str, [u64; 4]> = BTreeMap::new();
    for ((t, san), v) in m {
        let e = per.entry(t.as_str()).or_insert([0; 4]);
        if san == "address" {
            e[0] += v[0];
        } else {
            e[1] += v[0];
        }
        e[2] += v[1];
        e[3] += v[3];
    }
    let mut s = String::from(
        "| fuzz target | executions (ASan) | executions (no sanitizer) | executions | seconds | crashes |\n\
         |---|---:|---:|---:|---:|---:|\n",
    );
    let row = |name: &str, v: &[u64; 4]| {
        format!(
            "| {name} | {} | {} | {} | {} | {} |\n",
            group(v[0]),
            group(v[1]),
            group(v[0] + v[1]),
            v[2],
            v[3]
        )
    };
    let mut total = [0u64; 4];
    for (t, v) in &per {
        s.push_str(&row(&format!("`{t}`"), v));
        for i in 0..4 {
            total[i] += v[i];
        }
    }
    s.push_str(&row("all", &total));
    s
}

/// `1234567` → `1,234,567`.
fn group(n: u64) -> String {
    let d = n.to_string();
    let mut out = String::new();
    for (i, c) in d.chars().enumerate() {
        if i > 0 && (d.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn ensure_cargo_fuzz() -> Result<(), String> {
    let ok = Command::new("cargo")
        .args(["fuzz", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Ok(());
    }
    super::cargo(&["install", "cargo-fuzz", "--locked"])
}

/// The libFuzzer options of every run: a hang, a crash, an allocation the input alone
/// decides (`-malloc_limit_mb`) and a runaway resident set are findings.
fn libfuzzer_args(t: &str, seconds: u64) -> Vec<String> {
    vec![
        format!("corpus/{t}"),
        format!("-max_total_time={seconds}"),
        "-rss_limit_mb=2048".into(),
        "-malloc_limit_mb=1024".into(),
        "-timeout=10".into(),
        "-print_final_stats=1".into(),
        format!("-artifact_prefix=artifacts/{t}/"),
    ]
}

/// What one target's run came to.
struct Outcome {
    target: String,
    executions: u64,
    seconds: u64,
    crashed: bool,
    /// The tail of libFuzzer's report (printed on a crash).
    tail: String,
}

/// Run the built binary of target `t` for `seconds` (in `fuzz/`, under `nice` if `nice`).
fn run_one(fuzz: &Path, bin: &Path, t: &str, seconds: u64, nice: bool) -> Outcome {
    let args = libfuzzer_args(t, seconds);
    let mut cmd = if nice {
        let mut c = Command::new("nice");
        c.args(["-n", "19"]).arg(bin);
        c
    } else {
        Command::new(bin)
    };
    cmd.current_dir(fuzz)
        .args(&args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    eprintln!("+ (cd fuzz) {} {}", bin.display(), args.join(" "));
    let started = std::time::Instant::now();
    let out = cmd.output();
    let elapsed = started.elapsed().as_secs();
    let (err, crashed) = match out {
        Ok(o) => (
            String::from_utf8_lossy(&o.stderr).into_owned(),
            !o.status.success(),
        ),
        Err(e) => (format!("cannot run {}: {e}", bin.display()), true),
    };
    let executions = err
        .lines()
        .find_map(|l| l.strip_prefix("stat::number_of_executed_units:"))
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(0);
    let tail: Vec<&str> = err.lines().rev().take(60).collect();
    Outcome {
        target: t.to_string(),
        executions,
        seconds: elapsed,
        crashed,
        tail: tail.into_iter().rev().collect::<Vec<_>>().join("\n"),
    }
}

/// The task.
pub fn fuzz(args: &[&str]) -> Result<(), String> {
    let root = super::workspace_root();
    let fuzz = root.join("fuzz");
    let stats_path = fuzz.join("stats.tsv");
    let mut seconds = DEFAULT_SECONDS;
    let mut jobs = 1usize;
    let mut chosen = Vec::new();
    let mut only_report = false;
    let mut nice = false;
    let mut sanitizer = String::from("address");
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match *a {
            "--seconds" => {
                seconds = it
                    .next()
                    .and_then(|s| s.parse().ok())
                    .ok_or("--seconds needs a number")?;
            }
            "--jobs" => {
                jobs = it
                    .next()
                    .and_then(|s| s.parse().ok())
                    .filter(|&j| j > 0)
                    .ok_or("--jobs needs a positive number")?;
            }
            "--nice" => nice = true,
            "--sanitizer" => {
                sanitizer = it
                    .next()
                    .filter(|s| matches!(**s, "address" | "none"))
                    .ok_or("--sanitizer needs `address` or `none`")?
                    .to_string();
            }
            "--report" => only_report = true,
            t if t.starts_with("--") => return Err(format!("unknown option {t}")),
            t => chosen.push(t.to_string()),
        }
    }
    let mut stats = read_stats(&stats_path);
    if only_report {
        print!("{}", report(&stats));
        return Ok(());
    }
    let all = targets(&fuzz)?;
    for t in &chosen {
        if !all.contains(t) {
            return Err(format!(
                "no fuzz target {t:?} (targets: {})",
                all.join(", ")
            ));
        }
    }
    let everything = chosen.is_empty();
    let run: Vec<String> = if everything { all } else { chosen };
    ensure_cargo_fuzz()?;
    let conformance = std::env::var_os("ZARRKIT_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../shared/conformance"));
    for t in &run {
        seed(t, &fuzz, &conformance)?;
        std::fs::create_dir_all(fuzz.join("artifacts").join(t)).map_err(|e| e.to_string())?;
    }
    // One build (all targets, or each chosen one), with cargo-fuzz's defaults, so a later
    // `cargo fuzz run TARGET` reuses it.
    let builds: Vec<Option<&String>> = if everything {
        vec![None]
    } else {
        run.iter().map(Some).collect()
    };
    // ASan builds go to cargo-fuzz's default target dir, others beside it.
    let target_dir = if sanitizer == "address" {
        "target".to_string()
    } else {
        format!("target-{sanitizer}")
    };
    for b in builds {
        let mut a = vec![
            "fuzz",
            "build",
            "-s",
            &sanitizer,
            "--target-dir",
            &target_dir,
        ];
        a.extend(b.map(String::as_str));
        eprintln!("+ (cd fuzz) RUSTC_BOOTSTRAP=1 cargo {}", a.join(" "));
        let status = Command::new("cargo")
            .current_dir(&fuzz)
            .env("RUSTC_BOOTSTRAP", "1")
            .args(&a)
            .status()
            .map_err(|e| format!("cannot run cargo fuzz: {e}"))?;
        if !status.success() {
            return Err(format!("cargo {} failed ({status})", a.join(" ")));
        }
    }
    let bin_dir = fuzz
        .join(&target_dir)
        .join("x86_64-unknown-linux-gnu/release");
    // Up to `jobs` targets at once; stats are written as each one ends.
    let (tx, rx) = std::sync::mpsc::channel::<Outcome>();
    let queue = std::sync::Arc::new(std::sync::Mutex::new(run.clone()));
    let mut workers = Vec::new();
    for _ in 0..jobs.min(run.len()) {
        let (tx, queue, fuzz, bin_dir) = (tx.clone(), queue.clone(), fuzz.clone(), bin_dir.clone());
        workers.push(std::thread::spawn(move || loop {
            let next = queue.lock().ok().and_then(|mut q| {
                if q.is_empty() {
                    None
                } else {
                    Some(q.remove(0))
                }
            });
            let Some(t) = next else { break };
            if tx
                .send(run_one(&fuzz, &bin_dir.join(&t), &t, seconds, nice))
                .is_err()
            {
                break;
            }
        }));
    }
    drop(tx);
    let mut failed = Vec::new();
    let mut this_run = BTreeMap::new();
    for o in rx {
        if o.crashed {
            eprintln!("{}", o.tail);
            failed.push(o.target.clone());
        }
        let e = stats
            .entry((o.target.clone(), sanitizer.clone()))
            .or_insert([0; 4]);
        e[0] += o.executions;
        e[1] += o.seconds;
        e[2] += 1;
        e[3] += u64::from(o.crashed);
        eprintln!(
            "xtask fuzz: {}: {} executions in {} s{}",
            o.target,
            o.executions,
            o.seconds,
            if o.crashed { " — CRASH" } else { "" }
        );
        write_stats(&stats_path, &stats)?;
        this_run.insert(
            (o.target.clone(), sanitizer.clone()),
            [o.executions, o.seconds, 1, u64::from(o.crashed)],
        );
    }
    for w in workers {
        let _ = w.join();
    }
    println!("This run:\n\n{}", report(&this_run));
    println!("All runs (fuzz/stats.tsv):\n\n{}", report(&stats));
    if failed.is_empty() {
        Ok(())
    } else {
        failed.sort();
        Err(format!(
            "fuzz targets failed: {} (inputs under fuzz/artifacts/<target>/)",
            failed.join(", ")
        ))
    }
}
