//! The `zarrkit` binary: see the `zarrkit_cli` library.

fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(zarrkit_cli::main_with_args(std::env::args_os()))
}
