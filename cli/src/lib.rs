//! # zarrkit-cli
//!
//! The `zarrkit` command: `info`, `tree`, `validate`, `reencode`, `binary2zarr`, `ome`,
//! `filter`, `plugins`, `demo`, `completions` and `man`, on any store the `zarrkit` facade links a plugin for
//! (every URL goes through `zarrkit::open_store`, the scheme registry).
//!
//! Conventions: results on stdout (`--json` on every command gives one JSON document),
//! errors and progress on stderr; an error exits 1 with one line naming what failed
//! (`validate`: 0 equal, 1 different, 2 error). Arrays are processed block by block
//! ([`blocks`]): memory stays near `--concurrent-chunks` chunks' worth whatever the array's
//! size. Flag names follow zarrs_tools 0.8.1 where it has the option (see [`cli`]).
//!
//! Adding a command: a variant of [`cli::Command`] with its argument struct, a module under
//! [`cmd`], and a line in [`run_command`]. The block pipeline
//! ([`blocks::run`] over output chunks, reading input regions, writing output regions, as
//! [`cmd::reencode`] does) and [`encoding::Layout`] (a new array's metadata, V2 or V3) are
//! what image filters and multiscale writers reuse.

pub mod blocks;
pub mod cast;
pub mod cli;
pub mod cmd;
pub mod encoding;
pub mod error;
pub mod location;
pub mod output;
pub mod spec;

use std::io::Write;

use clap::CommandFactory;

pub use cli::{Cli, Command};
pub use error::CliError;
pub use output::{Ctx, Outcome};

/// The clap command (for completions and man pages).
pub fn command() -> clap::Command {
    Cli::command()
}

/// Run one command.
pub fn run_command(which: &Command, cx: &Ctx) -> Result<Outcome, CliError> {
    match which {
        Command::Info(a) => cmd::info::run(a, cx),
        Command::Tree(a) => cmd::tree::run(a, cx),
        Command::Validate(a) => cmd::validate::run(a, cx),
        Command::Reencode(a) => cmd::reencode::run(a, cx),
        Command::Binary2zarr(a) => cmd::binary2zarr::run(a, cx),
        Command::Ome(a) => cmd::ome::run(a, cx),
        Command::Filter(a) => cmd::filter::run(a, cx),
        Command::Plugins(a) => cmd::plugins::run(a, cx),
        Command::Demo(a) => cmd::demo::run(a, cx),
        Command::Completions(a) => {
            let mut out = Vec::new();
            clap_complete::generate(a.shell, &mut command(), "zarrkit", &mut out);
            Ok(Outcome::ok(
                String::from_utf8_lossy(&out).trim_end().to_string(),
                serde_json::json!({"shell": a.shell.to_string(), "script": String::from_utf8_lossy(&out)}),
            ))
        }
        Command::Man(a) => man(a.out_dir.as_deref()),
    }
}

/// The man page(s): `zarrkit.1` on stdout, or every page into a directory.
fn man(out_dir: Option<&std::path::Path>) -> Result<Outcome, CliError> {
    use error::Context;
    match out_dir {
        None => {
            let mut out = Vec::new();
            clap_mangen::Man::new(command())
                .render(&mut out)
                .ctx(|| "man: cannot render the man page")?;
            let page = String::from_utf8_lossy(&out).to_string();
            Ok(Outcome::ok(
                page.trim_end().to_string(),
                serde_json::json!({"page": "zarrkit.1", "roff": page}),
            ))
        }
        Some(dir) => {
            std::fs::create_dir_all(dir).ctx(|| format!("man: cannot create {}", dir.display()))?;
            clap_mangen::generate_to(command(), dir)
                .ctx(|| format!("man: cannot write pages into {}", dir.display()))?;
            let mut pages: Vec<String> = std::fs::read_dir(dir)
                .ctx(|| format!("man: cannot list {}", dir.display()))?
                .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().to_string()))
                .filter(|n| n.ends_with(".1"))
                .collect();
            pages.sort();
            Ok(Outcome::ok(
                format!("wrote {} man pages into {}", pages.len(), dir.display()),
                serde_json::json!({"dir": dir, "pages": pages}),
            ))
        }
    }
}

/// Parse the process's arguments, run, print and return the exit code.
pub fn main_with_args(args: impl IntoIterator<Item = std::ffi::OsString>) -> u8 {
    use clap::Parser;
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            // Help and version go to stdout with status 0; usage errors to stderr with 2.
            let code = e.exit_code();
            let _ = e.print();
            return u8::try_from(code).unwrap_or(2);
        }
    };
    let cx = Ctx::new(cli.json, cli.no_progress);
    match run_command(&cli.command, &cx) {
        Ok(out) => {
            let mut stdout = std::io::stdout().lock();
            let printed = if cx.json {
                writeln!(stdout, "{}", output::pretty(&out.json))
            } else {
                writeln!(stdout, "{}", out.text)
            };
            // A closed stdout (a pipe into `head`) is not an error of the command.
            let _ = printed.and_then(|_| stdout.flush());
            out.code
        }
        Err(e) => {
            eprintln!("zarrkit: error: {e}");
            e.code
        }
    }
}

#[cfg(test)]
mod tests {
    use zarrkit as _;

    #[test]
    fn the_command_line_model_is_consistent() {
        super::command().debug_assert();
    }
}
