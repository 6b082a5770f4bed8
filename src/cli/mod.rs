//! The `cargo perf` subcommand (feature `cli`): finds, builds and runs perf suites, stores
//! results and reports them. The harness side of the wire lives in `crate::harness`.
//!
//! `main` parses, dispatches to one pipeline in [`commands`], and turns the result into the
//! exit code; it is the only place that prints an error.

pub mod ab;
pub mod args;
pub mod atomic;
pub mod bisect;
pub mod commands;
pub mod compare;
pub mod engines;
pub mod errors;
pub mod fingerprint;
pub mod git;
pub mod jobs;
pub mod merge;
pub mod model;
pub mod partition;
pub mod profile;
pub mod project;
pub mod report;
pub mod run;
pub mod store;
#[cfg(test)]
pub(crate) mod testing;

use std::ffi::OsString;
use std::panic::{catch_unwind, AssertUnwindSafe};

use errors::{exit, CliError};
use run::interrupt;

/// The whole subcommand: returns the process exit code (0, 1 or 2; 128 + the signal when
/// interrupted). Never panics out.
pub fn main() -> i32 {
    interrupt::install(run::process::kill_all);
    let args: Vec<OsString> = std::env::args_os().collect();
    let outcome = catch_unwind(AssertUnwindSafe(|| run_cli(args)));
    // Whatever the interrupted flow returned (a killed build, a cut run) is a consequence.
    if let Some(sig) = interrupt::received() {
        eprintln!("{}", interrupt::error(sig));
        return interrupt::exit_code(sig);
    }
    match outcome {
        Ok(Ok(code)) => code,
        Ok(Err(e)) => {
            eprintln!("{e}");
            e.exit_code()
        }
        Err(_) => {
            let e = CliError::io(
                "cargo-perf hit an internal error (see the panic message above)",
                "please report it with the command you ran; rerunning with fewer tests may work around it",
            );
            eprintln!("{e}");
            e.exit_code()
        }
    }
}

/// Parse `args` (with the program name first) and run the command.
pub fn run_cli(args: Vec<OsString>) -> Result<i32, CliError> {
    match args::parse(args)? {
        Some(cli) => commands::dispatch(cli.command),
        None => Ok(exit::OK),
    }
}
