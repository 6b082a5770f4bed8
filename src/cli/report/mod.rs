//! Rendering, and only rendering: every command hands its finished [`Report`] to [`emit`],
//! which writes it in the asked format where `-o` says, one more file per `--emit
//! FORMAT=PATH`, and the human summary to the terminal. Nothing here decides a verdict, a
//! status or a severity; the wording lives in [`words`].

pub mod baseline;
pub mod bisect;
pub mod bmf;
pub mod chart;
pub mod csv;
pub mod github_benchmark;
pub mod history;
pub mod html;
pub mod human;
pub mod human_compare;
pub mod json;
pub mod junit;
pub mod list;
pub mod markdown;
pub mod operations;
pub mod rows;
#[cfg(test)]
pub(crate) mod sample;
pub mod words;

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::cli::errors::CliError;
use crate::cli::model::Report;

/// The report formats of `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
    Markdown,
    Junit,
    /// One row per test and metric, for spreadsheets.
    Csv,
    /// Bencher Metric Format JSON (`bencher run --adapter json`).
    Bmf,
    /// github-action-benchmark's `customSmallerIsBetter` JSON.
    GithubBenchmark,
}

impl Format {
    /// Every format, by its `--format` name.
    pub const ALL: [(&'static str, Format); 7] = [
        ("human", Format::Human),
        ("json", Format::Json),
        ("markdown", Format::Markdown),
        ("junit", Format::Junit),
        ("csv", Format::Csv),
        ("bmf", Format::Bmf),
        ("github-benchmark", Format::GithubBenchmark),
    ];

    pub fn from_name(name: &str) -> Option<Format> {
        Format::ALL
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, f)| *f)
    }
}

/// Where a command's report goes: `--format` and `-o`, and every `--emit`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    pub format: Format,
    pub path: Option<PathBuf>,
    pub emits: Vec<Emit>,
}

/// `--emit FORMAT=PATH`: one more report, in `format`, written to `path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Emit {
    pub format: Format,
    pub path: PathBuf,
}

impl Emit {
    /// `json=report.json`; a missing `=`, an unknown format or an empty path is a usage error
    /// that says what is accepted.
    pub fn parse(text: &str) -> Result<Emit, CliError> {
        let names: Vec<&str> = Format::ALL.iter().map(|(n, _)| *n).collect();
        let list = names.join(", ");
        let Some((name, path)) = text.split_once('=') else {
            return Err(CliError::usage(
                format!("`--emit {text}` names no file"),
                format!("write `--emit FORMAT=PATH`, e.g. `--emit json=report.json`; the formats are {list}"),
            ));
        };
        let Some(format) = Format::from_name(name.trim()) else {
            let hint = perf_spec::did_you_mean(name.trim(), &names)
                .map(|d| format!("{d} "))
                .unwrap_or_default();
            return Err(CliError::usage(
                format!("`{name}` in `--emit {text}` is not a report format"),
                format!("{hint}the formats are {list}"),
            ));
        };
        if path.trim().is_empty() {
            return Err(CliError::usage(
                format!("`--emit {text}` has an empty path"),
                format!(
                    "name the file after `=`, e.g. `--emit {name}=perf-report.{}`",
                    format.extension()
                ),
            ));
        }
        Ok(Emit {
            format,
            path: PathBuf::from(path),
        })
    }

    /// Checks a command's emits together: two reports into one file is a usage error.
    pub fn check_distinct(emits: &[Emit], output: Option<&Path>) -> Result<(), CliError> {
        let mut seen: Vec<&Path> = output.into_iter().collect();
        for e in emits {
            if seen.contains(&e.path.as_path()) {
                return Err(CliError::usage(
                    format!("two reports would be written to {}", e.path.display()),
                    "give every --emit (and -o) its own file",
                ));
            }
            seen.push(&e.path);
        }
        Ok(())
    }
}

impl Format {
    /// The usual file extension of this format, for examples in messages.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Human => "txt",
            Format::Json | Format::Bmf | Format::GithubBenchmark => "json",
            Format::Markdown => "md",
            Format::Junit => "xml",
            Format::Csv => "csv",
        }
    }
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
        Format::Csv => csv::render(report),
        Format::Bmf => bmf::render(report),
        Format::GithubBenchmark => github_benchmark::render(report),
    }
}

/// `text` into `path`, atomically (a dashboard uploader never reads half a report); a
/// missing parent directory is created (`--emit junit=target/perf/junit.xml` in a fresh CI
/// checkout).
pub fn write_file(path: &Path, text: &str, flag: &str) -> Result<(), CliError> {
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
    let created = parent.map_or(Ok(()), std::fs::create_dir_all);
    created
        .and_then(|_| crate::cli::atomic::write_atomic(path, text.as_bytes()))
        .map_err(|e| {
            CliError::io(
                format!("cannot write the report to {}: {e}", path.display()),
                format!("pass {flag} a path in a writable directory"),
            )
        })
}

/// Write `report` where `output` says, and every `--emit` file; the human summary always
/// reaches the terminal (stdout, or stderr when stdout carries the machine-readable report).
pub fn emit(report: &Report, output: &Output) -> Result<(), CliError> {
    for e in &output.emits {
        write_file(&e.path, &render(report, e.format), "--emit")?;
    }
    let rendered = render(report, output.format);
    match &output.path {
        Some(path) => {
            write_file(path, &rendered, "-o")?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emit_reads_format_equals_path() {
        let e = Emit::parse("junit=out/junit.xml").unwrap();
        assert_eq!(
            (e.format, e.path),
            (Format::Junit, PathBuf::from("out/junit.xml"))
        );
        // Only the first `=` separates: the path may contain more.
        let e = Emit::parse("csv=a=b.csv").unwrap();
        assert_eq!(e.path, PathBuf::from("a=b.csv"));
        assert_eq!(
            Emit::parse("github-benchmark=g.json").unwrap().format,
            Format::GithubBenchmark
        );
    }

    #[test]
    fn a_bad_emit_is_a_usage_error_that_says_what_is_accepted() {
        let e = Emit::parse("jsn=report.json").unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.message().contains("`jsn`"), "{e}");
        assert!(e.help().contains("did you mean `json`?"), "{e}");
        assert!(e.help().contains("bmf"), "the formats are listed: {e}");
        let e = Emit::parse("json=").unwrap_err();
        assert!(e.message().contains("empty path"), "{e}");
        assert!(e.help().contains("json=perf-report.json"), "{e}");
        let e = Emit::parse("report.json").unwrap_err();
        assert!(e.help().contains("FORMAT=PATH"), "{e}");
    }

    #[test]
    fn two_reports_into_one_file_are_refused() {
        let emits = [
            Emit::parse("json=r.json").unwrap(),
            Emit::parse("bmf=r.json").unwrap(),
        ];
        assert!(Emit::check_distinct(&emits[..1], None).is_ok());
        assert!(Emit::check_distinct(&emits, None).is_err());
        let e = Emit::check_distinct(&emits[..1], Some(Path::new("r.json"))).unwrap_err();
        assert_eq!(e.exit_code(), 2);
    }
}
