//! The `cargo perf` subcommand (feature `cli`): finds, builds and runs perf suites, stores
//! results and reports them. The harness side of the wire lives in `crate::harness`.

pub mod ab;
pub mod args;
pub mod baseline;
pub mod build;
pub mod commands;
pub mod compare;
pub mod errors;
pub mod events;
pub mod fingerprint;
pub mod git;
pub mod history;
pub mod load_params;
pub mod machine;
pub mod overrides;
pub mod report;
pub mod results;
pub mod runner;
pub mod select;
pub mod store;
pub mod suggest;
pub mod suite;
pub mod workspace;

use std::ffi::OsString;
use std::io::Write;
use std::panic::{catch_unwind, AssertUnwindSafe};

use args::{Command, Format, RunArgs};
use errors::CliError;
use events::{Event, Reporter, Silent};
use report::model::{BaselineRef, Report, Status, Summary, TestReport, REPORT_SCHEMA_VERSION};
use runner::{Planned, RunConfig};
use suite::Suite;

/// The whole subcommand: returns the process exit code (0, 1 or 2). Never panics out.
pub fn main() -> i32 {
    let args: Vec<OsString> = std::env::args_os().collect();
    match catch_unwind(AssertUnwindSafe(|| run_cli(args))) {
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
    let Some(cli) = args::parse(args)? else {
        return Ok(0);
    };
    match cli.command {
        Command::Run(run) => run_command(&run),
        Command::Ab(ab) => ab::command::run(&ab),
        Command::Compare(a) => commands::compare(&a),
        Command::History(a) => commands::history(&a),
        Command::Baseline(a) => commands::baseline(&a),
    }
}

/// `cargo perf run`: build → list → run K processes per test → report → exit code.
pub fn run_command(args: &RunArgs) -> Result<i32, CliError> {
    let ws = workspace::discover(&args.build)?;
    let built = build::build(&ws, &args.build)?;
    let mut notes = Vec::new();
    let mut suites: Vec<Suite> = Vec::new();
    for b in &built {
        match Suite::open(b)? {
            Some(s) => suites.push(s),
            None => notes.push(format!(
                "{}/{} is not a cargo-perf suite (no `cargo_perf::main!()`); skipped",
                b.target.package, b.target.name
            )),
        }
    }
    let mut listed = Vec::with_capacity(suites.len());
    for s in &suites {
        listed.push(s.list()?);
    }
    if args.list {
        print_list(&suites, &listed, args)?;
        return Ok(0);
    }

    let all: Vec<&crate::protocol::TestInfo> = listed.iter().flatten().collect();
    let selected = all
        .iter()
        .filter(|t| select::skip_reason(&args.select, args.quick, t).is_none())
        .count();
    check_before_running(&args.select, args.quick, &all, selected, &mut notes)?;

    let mut plan: Vec<Planned<'_>> = Vec::new();
    let mut slow_skipped = 0usize;
    for (suite, tests) in suites.iter().zip(listed) {
        for info in tests {
            match select::skip_reason(&args.select, args.quick, &info) {
                None => plan.push(Planned { suite, info }),
                Some(select::Skip::Slow) => slow_skipped += 1,
                Some(_) => {}
            }
        }
    }
    if slow_skipped > 0 {
        notes.push(format!(
            "{slow_skipped} test(s) tagged `{}` skipped by --quick",
            select::SLOW_TAG
        ));
    }
    if plan.is_empty() && args.select.no_tests == args::NoTests::Pass {
        notes.push("no perf test matched the filters".to_string());
    }

    let machine = machine::detect(args.machine.as_deref());
    load_params::check(&plan)?;
    let config = RunConfig {
        processes: args.process_count(),
        quick: args.quick,
        load_scale: args.load_scale,
    };
    let mut progress: Box<dyn Reporter> = if args.format == Format::Human || args.output.is_some() {
        Box::new(report::human::Progress::new())
    } else {
        Box::new(Silent)
    };
    let tests = runner::run_all(&plan, config, progress.as_mut());
    let mut report = build_report(tests, machine, notes, args);
    // Baselines: the comparison step (store, git, compare) fills `report.baseline`, each
    // test's `comparison` and the summary's verdict counts here, before rendering.
    let noise = plan
        .iter()
        .filter_map(|p| p.info.noise.map(|n| (p.id(), n)))
        .collect();
    commands::attach_to_run(&mut report, args, &ws.root, &ws.target_directory, noise)?;
    progress.event(&Event::RunFinished { report: &report });
    report.summary = summarize(&report.tests);
    emit(&report, args)?;
    Ok(exit_code(&report, args.fail_on))
}

/// What is checked between listing the tests and running the first one, so that a
/// configuration mistake exits 2 before anything is measured: the `PERF_<TEST>_<KEY>`
/// variables against the listed tests, and a selection of nothing. Warnings are printed and
/// kept in `notes`. `listed` is every listed test; `selected` how many of them will run.
pub(crate) fn check_before_running(
    select: &args::SelectArgs,
    quick: bool,
    listed: &[&crate::protocol::TestInfo],
    selected: usize,
    notes: &mut Vec<String>,
) -> Result<(), CliError> {
    let mut warnings =
        overrides::check_env(listed.iter().map(|t| t.name.as_str()), select.strict_env)?;
    warnings.extend(select::check_selected(select, quick, listed, selected)?);
    for w in warnings {
        eprintln!("warning: {w}");
        notes.push(w);
    }
    Ok(())
}

fn build_report(
    tests: Vec<TestReport>,
    machine: report::model::MachineInfo,
    notes: Vec<String>,
    args: &RunArgs,
) -> Report {
    Report {
        schema_version: REPORT_SCHEMA_VERSION,
        tool_version: crate::protocol::LIBRARY_VERSION.to_string(),
        commit: None,
        dirty: false,
        baseline: BaselineRef {
            commit: None,
            reference: args.baseline.clone(),
        },
        machine,
        summary: summarize(&tests),
        tests,
        notes,
    }
}

/// Counts by status and by comparison verdict.
pub fn summarize(tests: &[TestReport]) -> Summary {
    use report::model::Verdict;
    let verdicts = |v: Verdict| {
        tests
            .iter()
            .filter(|t| t.comparison.as_ref().is_some_and(|c| c.verdict == v))
            .count()
    };
    Summary {
        total: tests.len(),
        passed: tests.iter().filter(|t| t.status == Status::Passed).count(),
        failed: tests.iter().filter(|t| t.status != Status::Passed).count(),
        regressed: verdicts(Verdict::Regressed),
        improved: verdicts(Verdict::Improved),
        unchanged: verdicts(Verdict::Unchanged),
        new: verdicts(Verdict::New),
        inconclusive: verdicts(Verdict::Inconclusive),
    }
}

/// 1 when something `--fail-on` selects happened, else 0.
pub fn exit_code(report: &Report, f: args::FailOn) -> i32 {
    let failed_threshold = report.tests.iter().any(|t| t.status == Status::Failed);
    let errored = report.tests.iter().any(|t| t.status == Status::Error);
    let regressed = report.summary.regressed > 0;
    let fail =
        (f.threshold && failed_threshold) || (f.error && errored) || (f.regression && regressed);
    i32::from(fail)
}

/// Write the report where `--format` and `-o` say; the human summary always reaches the terminal.
fn emit(report: &Report, args: &RunArgs) -> Result<(), CliError> {
    emit_as(report, args.format, args.output.as_deref())
}

/// Write `report` in `format` to `output` (or stdout); the human summary reaches the terminal.
pub(crate) fn emit_as(
    report: &Report,
    format: Format,
    output: Option<&std::path::Path>,
) -> Result<(), CliError> {
    let rendered = match format {
        Format::Json => report::json::render(report),
        Format::Markdown => report::markdown::render(report),
        Format::Junit => report::junit::render(report),
        Format::Human => report::human::render(report, false),
    };
    match output {
        Some(path) => {
            std::fs::write(path, rendered).map_err(|e| {
                CliError::io(
                    format!("cannot write the report to {}: {e}", path.display()),
                    "pass an -o path in a writable directory",
                )
            })?;
            print_stdout(&report::human::render(report, console::colors_enabled()))
        }
        None if format == Format::Human => {
            print_stdout(&report::human::render(report, console::colors_enabled()))
        }
        None => {
            // stdout carries the machine-readable report; the human summary goes to stderr.
            eprint!(
                "{}",
                report::human::render(report, console::colors_enabled_stderr())
            );
            print_stdout(&rendered)
        }
    }
}

pub(crate) fn print_stdout(text: &str) -> Result<(), CliError> {
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

/// `--list`: every test per suite (name, kind, tags, ignored), after the filters.
fn print_list(
    suites: &[Suite],
    listed: &[Vec<crate::protocol::TestInfo>],
    args: &RunArgs,
) -> Result<(), CliError> {
    let mut out = String::new();
    let mut count = 0usize;
    for (suite, tests) in suites.iter().zip(listed) {
        let shown: Vec<_> = tests
            .iter()
            .filter(|t| {
                // Listing shows ignored tests (marked) whatever --ignored says, like libtest.
                !matches!(
                    select::skip_reason(&args.select, false, t),
                    Some(select::Skip::Filtered | select::Skip::Tags)
                )
            })
            .collect();
        out.push_str(&format!("{}:\n", suite.label()));
        for t in &shown {
            let mut line = format!("    {}: {}", t.name, t.kind.as_str());
            if !t.tags.is_empty() {
                line.push_str(&format!(" [{}]", t.tags.join(", ")));
            }
            if t.ignored {
                line.push_str(" (ignored)");
            }
            out.push_str(&line);
            out.push('\n');
        }
        count += shown.len();
    }
    out.push_str(&format!("\n{count} perf test(s)\n"));
    print_stdout(&out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{Metrics, TestKind};
    use report::model::{Comparison, Verdict};

    fn test(status: Status, verdict: Option<Verdict>) -> TestReport {
        TestReport {
            load: None,
            throughput_unit: None,
            memory: None,
            id: "p/t/n".into(),
            package: "p".into(),
            target: "t".into(),
            name: "n".into(),
            kind: TestKind::Bench,
            status,
            error: None,
            metrics: Metrics::default(),
            median_ci_ns: None,
            thresholds: vec![],
            comparison: verdict.map(|verdict| Comparison {
                baseline_commit: None,
                metric: "median_ns".into(),
                baseline: None,
                current: None,
                change: None,
                ci: None,
                verdict,
                could_detect: None,
                rounds: None,
            }),
            processes: vec![],
            custom: vec![],
            tags: vec![],
            wall_ns: 0,
        }
    }

    fn run_args(extra: &[&str]) -> RunArgs {
        let argv = ["cargo-perf", "perf"]
            .iter()
            .chain(extra)
            .map(OsString::from);
        match args::parse(argv).unwrap().unwrap().command {
            Command::Run(r) => r,
            other => panic!("expected the run command, parsed {other:?}"),
        }
    }

    fn report_of(tests: Vec<TestReport>) -> Report {
        let args = run_args(&[]);
        build_report(tests, Default::default(), vec![], &args)
    }

    #[test]
    fn summary_counts_statuses_and_verdicts() {
        let s = summarize(&[
            test(Status::Passed, Some(Verdict::Regressed)),
            test(Status::Failed, Some(Verdict::Unchanged)),
            test(Status::Error, None),
            test(Status::Passed, Some(Verdict::New)),
        ]);
        assert_eq!((s.total, s.passed, s.failed), (4, 2, 2));
        assert_eq!((s.regressed, s.unchanged, s.new, s.improved), (1, 1, 1, 0));
    }

    #[test]
    fn exit_code_follows_fail_on() {
        let failed = report_of(vec![test(Status::Passed, None), test(Status::Failed, None)]);
        let errored = report_of(vec![test(Status::Error, None)]);
        let regressed = report_of(vec![test(Status::Passed, Some(Verdict::Regressed))]);
        let clean = report_of(vec![test(Status::Passed, Some(Verdict::Unchanged))]);
        let default = run_args(&[]);
        for r in [&failed, &errored, &regressed] {
            assert_eq!(exit_code(r, default.fail_on), 1);
        }
        assert_eq!(exit_code(&clean, default.fail_on), 0);
        let never = run_args(&["--fail-on", "never"]);
        for r in [&failed, &errored, &regressed] {
            assert_eq!(exit_code(r, never.fail_on), 0);
        }
        let only_errors = run_args(&["--fail-on", "error"]);
        assert_eq!(exit_code(&failed, only_errors.fail_on), 0);
        assert_eq!(exit_code(&errored, only_errors.fail_on), 1);
        assert_eq!(exit_code(&regressed, only_errors.fail_on), 0);
    }

    #[test]
    fn the_json_report_keeps_absent_metrics_absent() {
        let text = report::json::render(&report_of(vec![test(Status::Passed, None)]));
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["tests"][0]["metrics"], serde_json::json!({}));
        assert!(v["tests"][0]["comparison"].is_null());
        assert_eq!(v["summary"]["total"], 1);
    }

    #[test]
    fn the_human_table_explains_failures() {
        let mut t = test(Status::Error, None);
        t.error = Some("panicked: boom".into());
        let text = report::human::render(&report_of(vec![t]), false);
        assert!(text.contains("ERROR p/t/n\n    panicked: boom"), "{text}");
        assert!(text.contains("0 passed; 1 failed; 1 total"), "{text}");
        assert!(
            !text.contains('\u{1b}'),
            "no colour codes when colour is off"
        );
    }
}
