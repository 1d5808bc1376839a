//! What a command prints: text for people, JSON for programs (`--json`), and the exit code.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::Value;

/// The result of a command: printed as `text` or as `json` on stdout, then exit `code`.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The text form (ends without a newline; one is added).
    pub text: String,
    /// The JSON form.
    pub json: Value,
    /// The exit code.
    pub code: u8,
}

impl Outcome {
    /// A successful outcome.
    pub fn ok(text: String, json: Value) -> Self {
        Self {
            text,
            json,
            code: 0,
        }
    }
}

/// Options every command sees.
#[derive(Debug, Clone, Copy)]
pub struct Ctx {
    /// `--json`.
    pub json: bool,
    /// Whether progress bars may be drawn (stderr is a terminal and `--no-progress` is off).
    pub progress: bool,
}

impl Ctx {
    /// The context for these global flags.
    pub fn new(json: bool, no_progress: bool) -> Self {
        Self {
            json,
            progress: !no_progress && std::io::stderr().is_terminal(),
        }
    }

    /// A progress bar over `total` bytes (hidden unless progress is shown), with
    /// throughput, on stderr.
    pub fn bytes_bar(&self, total: u64, what: &str) -> ProgressBar {
        if !self.progress {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template(
            "{prefix} [{elapsed_precise}] {wide_bar} {binary_bytes}/{binary_total_bytes} \
             {binary_bytes_per_sec} eta {eta} {msg}",
        ) {
            bar.set_style(style);
        }
        bar.set_prefix(what.to_string());
        bar
    }

    /// A progress bar over `total` steps (chunks), hidden unless progress is shown.
    pub fn steps_bar(&self, total: u64, what: &str) -> ProgressBar {
        if !self.progress {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template(
            "{prefix} [{elapsed_precise}] {wide_bar} {pos}/{len} chunks ({per_sec}) eta {eta} {msg}",
        ) {
            bar.set_style(style);
        }
        bar.set_prefix(what.to_string());
        bar
    }

    /// A note on stderr (warnings that are not errors).
    pub fn note(&self, message: &str) {
        eprintln!("zarrkit: note: {message}");
    }
}

/// Bytes for people: `1.5 MiB`.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.2} {}", UNITS[u])
    }
}

/// A shape as `[a, b, c]`.
pub fn shape_text(s: &[u64]) -> String {
    format!(
        "[{}]",
        s.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")
    )
}

/// Compact JSON text of a value.
pub fn compact(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// Pretty JSON text of a value.
pub fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

/// Pretty JSON for people: objects one member per line, lists of scalars on one line.
pub fn readable(v: &Value) -> String {
    fn scalar(v: &Value) -> bool {
        !matches!(v, Value::Array(_) | Value::Object(_))
    }
    fn go(v: &Value, indent: usize, out: &mut String) {
        let pad = |n: usize| "  ".repeat(n);
        let short = compact(v);
        if short.len() <= 72 {
            out.push_str(&short);
            return;
        }
        match v {
            Value::Array(a) if a.iter().all(scalar) => out.push_str(&short),
            Value::Array(a) => {
                out.push_str("[\n");
                for (i, x) in a.iter().enumerate() {
                    out.push_str(&pad(indent + 1));
                    go(x, indent + 1, out);
                    out.push_str(if i + 1 < a.len() { ",\n" } else { "\n" });
                }
                out.push_str(&pad(indent));
                out.push(']');
            }
            Value::Object(m) if m.is_empty() => out.push_str("{}"),
            Value::Object(m) => {
                out.push_str("{\n");
                for (i, (k, x)) in m.iter().enumerate() {
                    out.push_str(&pad(indent + 1));
                    out.push_str(&compact(&Value::String(k.clone())));
                    out.push_str(": ");
                    go(x, indent + 1, out);
                    out.push_str(if i + 1 < m.len() { ",\n" } else { "\n" });
                }
                out.push_str(&pad(indent));
                out.push('}');
            }
            _ => out.push_str(&compact(v)),
        }
    }
    let mut out = String::new();
    go(v, 0, &mut out);
    out
}

/// A number for people: up to 6 significant digits, exponent form when very large or small.
pub fn num_text(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let a = x.abs();
    if !(1e-3..1e7).contains(&a) {
        return format!("{x:.4e}");
    }
    let digits = (5 - a.log10().floor() as i32).clamp(0, 9) as usize;
    let s = format!("{x:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}
