//! Command-line parsing (clap derive). Accepts `cargo-perf perf run ..` (how cargo invokes a
//! subcommand), `cargo-perf perf ..`, `cargo-perf run ..` and `cargo-perf ..`: `run` is the default.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};

use super::errors::CliError;

#[derive(Debug, Parser)]
#[command(
    name = "cargo perf",
    bin_name = "cargo perf",
    version,
    about = "Performance tests as a tested property of your crate",
    after_help = "`run` is the default command: `cargo perf [FILTER]..` is `cargo perf run [FILTER]..`."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build the perf suites, run every selected test in several processes and report.
    Run(RunArgs),
    /// Build BASE_REF in a worktree, run base and head in alternating rounds, compare pairwise
    Ab(super::ab::command::AbArgs),
    /// Compare the stored results of two commits without running anything
    Compare(super::commands::CompareArgs),
    /// One test's figures over the stored commits
    History(super::commands::HistoryArgs),
    /// The stored results: list | show REF | rm REF
    Baseline(super::commands::BaselineArgs),
}

/// Which packages and features to build, as cargo's own flags say it.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct BuildArgs {
    /// Package(s) to run the perf tests of
    #[arg(short = 'p', long = "package", value_name = "SPEC")]
    pub packages: Vec<String>,
    /// Run the perf tests of every workspace member
    #[arg(long)]
    pub workspace: bool,
    /// Path to Cargo.toml
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    /// Space or comma separated list of features to activate
    #[arg(short = 'F', long, value_name = "FEATURES")]
    pub features: Vec<String>,
    /// Activate all available features
    #[arg(long)]
    pub all_features: bool,
    /// Do not activate the `default` feature
    #[arg(long)]
    pub no_default_features: bool,
    /// Build with this profile
    #[arg(long, value_name = "NAME", default_value = "bench")]
    pub profile: String,
}

/// Which tests to run, as libtest's flags say it, plus tags.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SelectArgs {
    /// Run only tests whose name contains one of these (or equals one, with --exact)
    #[arg(value_name = "FILTER")]
    pub filters: Vec<String>,
    /// Match filters and --skip patterns exactly
    #[arg(long)]
    pub exact: bool,
    /// Skip tests whose name contains PATTERN (repeatable)
    #[arg(long, value_name = "PATTERN")]
    pub skip: Vec<String>,
    /// Run only tests with this tag (repeatable: any of them)
    #[arg(long, value_name = "TAG")]
    pub tag: Vec<String>,
    /// Skip tests with this tag (repeatable)
    #[arg(long, value_name = "TAG")]
    pub exclude_tag: Vec<String>,
    /// Run only #[ignore]d tests
    #[arg(long, conflicts_with = "include_ignored")]
    pub ignored: bool,
    /// Run #[ignore]d tests too
    #[arg(long)]
    pub include_ignored: bool,
    /// What a selection of no test does: fail (exit 2), warn, or pass
    #[arg(long, value_enum, value_name = "ACTION", default_value_t = NoTests::Fail)]
    pub no_tests: NoTests,
    /// A PERF_<TEST>_<KEY> variable naming no listed test or no known key is an error
    /// (exit 2), not a warning
    #[arg(long)]
    pub strict_env: bool,
}

/// `--no-tests`: what happens when the filters, tags and `--quick` leave no test to run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum NoTests {
    /// An error, exit 2: a gate that measured nothing must not go green.
    #[default]
    Fail,
    /// A warning; the run goes on and exits 0.
    Warn,
    /// Silently fine.
    Pass,
}

#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub build: BuildArgs,
    #[command(flatten)]
    pub select: SelectArgs,
    /// List the perf tests (name, kind, tags) and exit
    #[arg(long)]
    pub list: bool,
    /// Short measurement budget; skips tests tagged `slow`
    #[arg(long)]
    pub quick: bool,
    /// Multiply every load-test duration and rate by F (e.g. 0.1 for a quick CI pass)
    #[arg(long, value_name = "F", value_parser = super::load_params::parse_scale)]
    pub load_scale: Option<f64>,
    /// Independent processes per test (default 5, 3 with --quick)
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u32).range(1..=100))]
    pub processes: Option<u32>,
    /// Compare against stored results of this git ref or commit
    #[arg(long, value_name = "REF")]
    pub baseline: Option<String>,
    /// Store results under HEAD's commit (default: when the worktree is clean)
    #[arg(long, conflicts_with = "no_save")]
    pub save: bool,
    /// Do not store results
    #[arg(long)]
    pub no_save: bool,
    /// Smallest change reported as a regression, e.g. `5%`
    #[arg(long, value_name = "PCT", value_parser = parse_percent)]
    pub threshold: Option<f64>,
    /// What makes the exit code 1: any of regression,threshold,error, or never
    #[arg(long, value_name = "LIST", value_parser = parse_fail_on, default_value = "regression,threshold,error")]
    pub fail_on: FailOn,
    /// Report format
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Write the report to FILE (the human summary still goes to the terminal)
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The machine id that results are stored and matched under
    #[arg(long, value_name = "NAME")]
    pub machine: Option<String>,
    /// Where results are stored (default: .perf/ in the workspace root; env CARGO_PERF_STORE)
    #[arg(long, value_name = "DIR")]
    pub store: Option<PathBuf>,
    /// Compare with a baseline measured on a different CPU, OS, compiler or profile
    #[arg(long)]
    pub force: bool,
}

impl RunArgs {
    /// K: how many independent processes measure each test.
    pub fn process_count(&self) -> u32 {
        self.processes.unwrap_or(if self.quick { 3 } else { 5 })
    }

    /// The regression threshold as a fraction (default 5 %).
    pub fn regression_threshold(&self) -> f64 {
        self.threshold.unwrap_or(0.05)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
    Markdown,
    Junit,
}

/// `--fail-on`: which findings turn the exit code to 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailOn {
    pub regression: bool,
    pub threshold: bool,
    pub error: bool,
}

pub(crate) fn parse_fail_on(text: &str) -> Result<FailOn, String> {
    let mut out = FailOn {
        regression: false,
        threshold: false,
        error: false,
    };
    for item in text.split(',').map(str::trim) {
        match item {
            "regression" => out.regression = true,
            "threshold" => out.threshold = true,
            "error" => out.error = true,
            "never" => {}
            other => {
                return Err(format!(
                    "`{other}` is not one of regression, threshold, error, never"
                ))
            }
        }
    }
    Ok(out)
}

/// `5%`, `5` and `2.5%` are percentages; the result is a fraction (0.05).
pub(crate) fn parse_percent(text: &str) -> Result<f64, String> {
    let number = text.trim().trim_end_matches('%').trim();
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a percentage (write e.g. `5%`)"))?;
    if !value.is_finite() || value < 0.0 {
        return Err(format!("`{text}` must be a non-negative percentage"));
    }
    Ok(value / 100.0)
}

/// Parse the process arguments. `Ok(None)` means help or version was printed: exit 0.
pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Option<Cli>, CliError> {
    let args = normalize(args.into_iter().collect());
    match Cli::try_parse_from(args) {
        Ok(cli) => Ok(Some(cli)),
        Err(e) => match e.kind() {
            clap::error::ErrorKind::DisplayHelp
            | clap::error::ErrorKind::DisplayVersion
            | clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                let _ = e.print();
                Ok(None)
            }
            _ => Err(usage_error(&e)),
        },
    }
}

/// The subcommands' names (`run`, `ab`, ..), for "did you mean the subcommand" hints.
pub fn subcommand_names() -> Vec<String> {
    Cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .collect()
}

/// Drop cargo's `perf` word and insert the default `run` subcommand when none is named.
fn normalize(mut args: Vec<OsString>) -> Vec<OsString> {
    let program = if args.is_empty() {
        OsString::from("cargo-perf")
    } else {
        args.remove(0)
    };
    if args.first().is_some_and(|a| a == "perf") {
        args.remove(0);
    }
    let names: Vec<String> = subcommand_names()
        .into_iter()
        .chain(["help".to_string()])
        .collect();
    let first = args.first().and_then(|a| a.to_str()).unwrap_or("");
    let top_level_flag = matches!(first, "-h" | "--help" | "-V" | "--version");
    if !top_level_flag && !names.iter().any(|n| n == first) {
        args.insert(0, OsString::from("run"));
    }
    std::iter::once(program).chain(args).collect()
}

/// clap's message, reshaped into `error:` + `help:`.
fn usage_error(e: &clap::Error) -> CliError {
    let rendered = e.render().to_string();
    let mut lines = rendered.lines().filter(|l| !l.trim().is_empty());
    let first = lines.next().unwrap_or("invalid arguments");
    let message = first.trim_start_matches("error:").trim().to_string();
    let tip = rendered
        .lines()
        .map(str::trim)
        .find_map(|l| l.strip_prefix("tip:"))
        .map(|t| format!("{}; see `cargo perf run --help`", t.trim()));
    CliError::usage(
        message,
        tip.unwrap_or_else(|| "see `cargo perf run --help` for the accepted options".into()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_args(argv: &[&str]) -> RunArgs {
        let cli = parse(argv.iter().map(OsString::from))
            .expect("parses")
            .expect("not help");
        match cli.command {
            Command::Run(r) => r,
            other => panic!("not a run: {other:?}"),
        }
    }

    #[test]
    fn cargo_style_and_direct_invocations_agree() {
        for argv in [
            &["cargo-perf", "perf", "run", "--quick", "foo"][..],
            &["cargo-perf", "perf", "--quick", "foo"][..],
            &["cargo-perf", "run", "--quick", "foo"][..],
            &["cargo-perf", "--quick", "foo"][..],
        ] {
            let r = run_args(argv);
            assert!(r.quick, "{argv:?}");
            assert_eq!(r.select.filters, vec!["foo".to_string()], "{argv:?}");
        }
    }

    #[test]
    fn no_arguments_is_a_default_run() {
        let r = run_args(&["cargo-perf", "perf"]);
        assert_eq!(r.build.profile, "bench");
        assert_eq!(r.format, Format::Human);
        assert_eq!(r.process_count(), 5);
        assert!((r.regression_threshold() - 0.05).abs() < 1e-12);
        assert_eq!(
            r.fail_on,
            FailOn {
                regression: true,
                threshold: true,
                error: true
            }
        );
    }

    #[test]
    fn every_contract_flag_parses() {
        let r = run_args(&[
            "cargo-perf",
            "perf",
            "run",
            "-p",
            "a",
            "--package",
            "b",
            "--workspace",
            "--manifest-path",
            "x/Cargo.toml",
            "--features",
            "f1,f2",
            "--all-features",
            "--no-default-features",
            "--profile",
            "release",
            "--exact",
            "--skip",
            "s",
            "--tag",
            "t",
            "--exclude-tag",
            "slow",
            "--list",
            "--quick",
            "--baseline",
            "main",
            "--no-save",
            "--threshold",
            "2.5%",
            "--fail-on",
            "threshold,error",
            "--format",
            "json",
            "-o",
            "out.json",
            "--machine",
            "ci-box",
            "--store",
            "/tmp/s",
            "--include-ignored",
            "f",
        ]);
        assert_eq!(r.build.packages, vec!["a", "b"]);
        assert!(r.build.workspace && r.build.all_features && r.build.no_default_features);
        assert_eq!(r.build.profile, "release");
        assert!(r.select.exact && r.list && r.quick && r.no_save && r.select.include_ignored);
        assert_eq!(r.process_count(), 3);
        assert!((r.regression_threshold() - 0.025).abs() < 1e-12);
        assert!(!r.fail_on.regression && r.fail_on.threshold && r.fail_on.error);
        assert_eq!(r.format, Format::Json);
        assert_eq!(r.machine.as_deref(), Some("ci-box"));
        assert_eq!(r.baseline.as_deref(), Some("main"));
        assert_eq!(r.select.filters, vec!["f"]);
    }

    #[test]
    fn never_fails_on_nothing() {
        let r = run_args(&["cargo-perf", "--fail-on", "never"]);
        assert!(!r.fail_on.regression && !r.fail_on.threshold && !r.fail_on.error);
    }

    #[test]
    fn bad_usage_is_an_error_with_help() {
        for argv in [
            &["cargo-perf", "perf", "--no-such-flag"][..],
            &["cargo-perf", "perf", "--format", "xml"][..],
            &["cargo-perf", "perf", "--fail-on", "sometimes"][..],
            &["cargo-perf", "perf", "--threshold", "lots"][..],
            &["cargo-perf", "perf", "--save", "--no-save"][..],
        ] {
            let e = parse(argv.iter().map(OsString::from)).unwrap_err();
            assert_eq!(e.exit_code(), 2);
            assert!(!e.message().is_empty(), "{argv:?}");
            assert!(!e.message().starts_with("error"), "{e}");
            assert!(e.help().contains("--help"), "{e}");
        }
    }
}
