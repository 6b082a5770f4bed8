//! The one error type of `cargo perf`: what went wrong, what to do about it, and the exit code.
//! Every module of the CLI returns it (the store, git, the worktree, the build), so a failure
//! anywhere reads the same: `error: <what happened>` then `help: <what to do>`.

use std::fmt;

/// The exit codes of `cargo perf` (contract section 3).
pub mod exit {
    /// Nothing `--fail-on` selects happened.
    pub const OK: i32 = 0;
    /// A regression, a threshold failure or a failed test, as `--fail-on` selects.
    pub const FAILED: i32 = 1;
    /// Bad usage, a build failure or a configuration error: before or instead of a report.
    pub const ERROR: i32 = 2;
}

/// What kind of failure ended the invocation; each kind has one exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Bad command-line usage.
    Usage,
    /// The project or the environment is not usable as asked (no Cargo.toml, unknown package, ...).
    Config,
    /// The selected packages have no perf suite at all (a configuration error, but one a caller
    /// can recognise: `ab`'s base may predate the suites).
    NoSuites,
    /// `cargo build` of the perf suites failed; cargo's diagnostics are already on stderr.
    Build,
    /// Reading or writing a file, starting a process, talking to a harness.
    Io,
    /// The git repository cannot answer what was asked (a ref that does not resolve, ...).
    Git,
    /// The results store cannot be read or written as asked.
    Store,
}

impl ErrorKind {
    /// The contract gives every error exit 2; tests (status `failed`/`error`) are not errors.
    pub fn exit_code(self) -> i32 {
        match self {
            ErrorKind::Usage
            | ErrorKind::Config
            | ErrorKind::NoSuites
            | ErrorKind::Build
            | ErrorKind::Io
            | ErrorKind::Git
            | ErrorKind::Store => exit::ERROR,
        }
    }
}

/// Every failure that ends a `cargo perf` invocation early.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError {
    pub kind: ErrorKind,
    pub message: String,
    pub help: String,
}

impl CliError {
    pub fn new(kind: ErrorKind, message: impl Into<String>, help: impl Into<String>) -> CliError {
        CliError {
            kind,
            message: message.into(),
            help: help.into(),
        }
    }

    pub fn usage(message: impl Into<String>, help: impl Into<String>) -> CliError {
        CliError::new(ErrorKind::Usage, message, help)
    }

    pub fn config(message: impl Into<String>, help: impl Into<String>) -> CliError {
        CliError::new(ErrorKind::Config, message, help)
    }

    pub fn build(message: impl Into<String>, help: impl Into<String>) -> CliError {
        CliError::new(ErrorKind::Build, message, help)
    }

    pub fn io(message: impl Into<String>, help: impl Into<String>) -> CliError {
        CliError::new(ErrorKind::Io, message, help)
    }

    pub fn git(message: impl Into<String>, help: impl Into<String>) -> CliError {
        CliError::new(ErrorKind::Git, message, help)
    }

    pub fn store(message: impl Into<String>, help: impl Into<String>) -> CliError {
        CliError::new(ErrorKind::Store, message, help)
    }

    /// A store or file operation that failed with `err`: `{what}: {err}`.
    pub fn store_io(what: impl fmt::Display, err: &std::io::Error, help: &str) -> CliError {
        CliError::store(format!("{what}: {err}"), help)
    }

    /// The process exit code for this error.
    pub fn exit_code(&self) -> i32 {
        self.kind.exit_code()
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn help(&self) -> &str {
        &self.help
    }
}

impl fmt::Display for CliError {
    /// `error: <what happened>` then `help: <what to do>`, as every user-facing error reads.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error: {}\nhelp: {}", self.message, self.help)
    }
}

impl std::error::Error for CliError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_error_then_help() {
        let e = CliError::usage("unknown format `xml`", "use one of human, json");
        assert_eq!(
            e.to_string(),
            "error: unknown format `xml`\nhelp: use one of human, json"
        );
        assert_eq!(e.exit_code(), exit::ERROR);
    }

    #[test]
    fn every_kind_exits_2() {
        for e in [
            CliError::usage("a", "b"),
            CliError::config("a", "b"),
            CliError::build("a", "b"),
            CliError::io("a", "b"),
            CliError::git("a", "b"),
            CliError::store("a", "b"),
            CliError::new(ErrorKind::NoSuites, "a", "b"),
        ] {
            assert_eq!(e.exit_code(), 2, "{e}");
        }
    }
}
