//! The one error type of `cargo perf`: what went wrong, what to do about it, and the exit code.

use std::fmt;

/// Every failure that ends a `cargo perf` invocation early. Each kind has one exit code;
/// test failures are not errors (they are a report with status `failed`/`error`, exit 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CliError {
    /// Bad command-line usage.
    Usage { message: String, help: String },
    /// The project or the environment is not usable as asked (no Cargo.toml, unknown package, ...).
    Config { message: String, help: String },
    /// `cargo build` of the perf suites failed; cargo's diagnostics are already on stderr.
    Build { message: String, help: String },
    /// Reading or writing a file, starting a process, talking to a harness.
    Io { message: String, help: String },
}

impl CliError {
    pub fn usage(message: impl Into<String>, help: impl Into<String>) -> CliError {
        CliError::Usage {
            message: message.into(),
            help: help.into(),
        }
    }

    pub fn config(message: impl Into<String>, help: impl Into<String>) -> CliError {
        CliError::Config {
            message: message.into(),
            help: help.into(),
        }
    }

    pub fn build(message: impl Into<String>, help: impl Into<String>) -> CliError {
        CliError::Build {
            message: message.into(),
            help: help.into(),
        }
    }

    pub fn io(message: impl Into<String>, help: impl Into<String>) -> CliError {
        CliError::Io {
            message: message.into(),
            help: help.into(),
        }
    }

    /// The process exit code for this error (the contract: 2 for usage, build and configuration).
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Usage { .. } | CliError::Config { .. } | CliError::Build { .. } => 2,
            CliError::Io { .. } => 2,
        }
    }

    pub fn message(&self) -> &str {
        match self {
            CliError::Usage { message, .. }
            | CliError::Config { message, .. }
            | CliError::Build { message, .. }
            | CliError::Io { message, .. } => message,
        }
    }

    pub fn help(&self) -> &str {
        match self {
            CliError::Usage { help, .. }
            | CliError::Config { help, .. }
            | CliError::Build { help, .. }
            | CliError::Io { help, .. } => help,
        }
    }
}

impl fmt::Display for CliError {
    /// `error: <what happened>` then `help: <what to do>`, as every user-facing error reads.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error: {}\nhelp: {}", self.message(), self.help())
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
        assert_eq!(e.exit_code(), 2);
    }

    #[test]
    fn every_kind_exits_2() {
        for e in [
            CliError::usage("a", "b"),
            CliError::config("a", "b"),
            CliError::build("a", "b"),
            CliError::io("a", "b"),
        ] {
            assert_eq!(e.exit_code(), 2, "{e}");
        }
    }
}
