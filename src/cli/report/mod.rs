//! Rendering, and only rendering: every command hands its finished [`Report`] to [`emit`],
//! which writes it in the asked format where `-o` says and the human summary to the terminal.
//! Nothing here decides a verdict or a status; the wording lives in [`words`].

pub mod baseline;
pub mod chart;
pub mod history;
pub mod html;
pub mod human;
pub mod human_compare;
pub mod json;
pub mod junit;
pub mod list;
pub mod markdown;
pub mod operations;
#[cfg(test)]
pub(crate) mod sample;
pub mod words;

use std::io::Write;
use std::path::PathBuf;

use crate::cli::errors::CliError;
use crate::cli::model::Report;

/// The report formats of `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
    Markdown,
    Junit,
}

impl Format {
    /// Every format, by its `--format` name.
    pub const ALL: [(&'static str, Format); 4] = [
        ("human", Format::Human),
        ("json", Format::Json),
        ("markdown", Format::Markdown),
        ("junit", Format::Junit),
    ];

    pub fn from_name(name: &str) -> Option<Format> {
        Format::ALL
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, f)| *f)
    }
}

/// Where a command's report goes: `--format` and `-o`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    pub format: Format,
    pub path: Option<PathBuf>,
}

/// Which columns the comparison tables have: a paired comparison (`ab`) also shows the
/// interval of the change and the smallest change it could detect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Columns {
    Unpaired,
    Paired,
}

impl Columns {
    /// Paired when any test was compared in paired rounds.
    pub fn of(report: &Report) -> Columns {
        let paired = report
            .tests
            .iter()
            .any(|t| t.comparison.as_ref().is_some_and(|c| c.rounds.is_some()));
        if paired {
            Columns::Paired
        } else {
            Columns::Unpaired
        }
    }
}

/// `report` in `format`.
pub fn render(report: &Report, format: Format) -> String {
    match format {
        Format::Json => json::render(report),
        Format::Markdown => markdown::render(report),
        Format::Junit => junit::render(report),
        Format::Human => human::render(report, false),
    }
}

/// Write `report` where `output` says; the human summary always reaches the terminal
/// (stdout, or stderr when stdout carries the machine-readable report).
pub fn emit(report: &Report, output: &Output) -> Result<(), CliError> {
    let rendered = render(report, output.format);
    match &output.path {
        Some(path) => {
            write_file(path, &rendered)?;
            print_stdout(&human::render(report, console::colors_enabled()))
        }
        None if output.format == Format::Human => {
            print_stdout(&human::render(report, console::colors_enabled()))
        }
        None => {
            eprint!(
                "{}",
                human::render(report, console::colors_enabled_stderr())
            );
            print_stdout(&rendered)
        }
    }
}

/// Write a rendered report to `path`; a failure names the path and says what to pass instead.
pub fn write_file(path: &std::path::Path, text: &str) -> Result<(), CliError> {
    std::fs::write(path, text).map_err(|e| {
        CliError::io(
            format!("cannot write the report to {}: {e}", path.display()),
            "pass an -o path in a writable directory",
        )
    })
}

/// Write `text` to stdout; a closed pipe is an error, not a panic.
pub fn print_stdout(text: &str) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|_| out.flush())
        .map_err(|e| {
            CliError::io(
                format!("cannot write to stdout: {e}"),
                "check where stdout goes (a closed pipe?)",
            )
        })
}
