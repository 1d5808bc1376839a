//! Errors of the command line: one line naming what failed, and an exit code.

use std::fmt::Display;

/// The exit code of a command that failed with an error (every command but `validate`, whose
/// errors exit [`EXIT_ERROR_VALIDATE`]).
pub const EXIT_ERROR: u8 = 1;
/// The exit code of `validate` when the arrays differ.
pub const EXIT_DIFFER: u8 = 1;
/// The exit code of `validate` when it could not compare (as `cmp` and `diff`: 0 same, 1
/// different, 2 trouble).
pub const EXIT_ERROR_VALIDATE: u8 = 2;

/// An error: what failed (`reencode in.zarr`: ...) and why, printed as one line on stderr.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError {
    /// The message (may hold several `: `-joined contexts, never a newline).
    pub message: String,
    /// The exit code.
    pub code: u8,
}

impl CliError {
    /// An error with `message`.
    pub fn new(message: impl Display) -> Self {
        Self {
            message: one_line(&message.to_string()),
            code: EXIT_ERROR,
        }
    }

    /// The same error with `what` in front (`what: message`).
    pub fn context(mut self, what: impl Display) -> Self {
        self.message = format!("{}: {}", one_line(&what.to_string()), self.message);
        self
    }

    /// The same error with another exit code.
    pub fn with_code(mut self, code: u8) -> Self {
        self.code = code;
        self
    }
}

impl Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

/// A message on one line (newlines and runs of spaces become single spaces).
pub fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `result.ctx(|| "what failed")` turns any error into a [`CliError`] naming what failed.
pub trait Context<T> {
    /// Attach a context computed only on error.
    fn ctx<D: Display>(self, what: impl FnOnce() -> D) -> Result<T, CliError>;
}

impl<T, E: Display> Context<T> for Result<T, E> {
    fn ctx<D: Display>(self, what: impl FnOnce() -> D) -> Result<T, CliError> {
        self.map_err(|e| CliError::new(e).context(what()))
    }
}

/// `Err(CliError::new(..))` in one call.
pub fn fail<T>(message: impl Display) -> Result<T, CliError> {
    Err(CliError::new(message))
}
