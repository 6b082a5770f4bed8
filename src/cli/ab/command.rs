//! `cargo perf ab`: arguments, and the pipeline resolve → check out → build base (copied
//! aside) → build head → list both → pair → interleaved rounds → verdicts → report → exit code.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::report::{self as ab_report, AbTestMeta};
use super::rounds::{self, Order, Policy};
use super::save::{self, SideRecord};
use super::session::{self, Interleaved, PairedTest, Side, DEFAULT_AB_THRESHOLD};
use super::{cache, worktree};
use crate::cli::args::{BuildArgs, FailOn, Format, SelectArgs};
use crate::cli::build::{self, BuiltTarget};
use crate::cli::errors::CliError;
use crate::cli::fingerprint::{self, Fingerprint};
use crate::cli::report::model::{BaselineRef, Report, TestReport, REPORT_SCHEMA_VERSION};
use crate::cli::suite::{ProcessOutcome, Suite};
use crate::cli::{git, store};
use crate::cli::{machine, select, workspace};
use crate::protocol::{Metrics, Outcome, Settings, TestInfo};

#[derive(Debug, Clone, clap::Args)]
pub struct AbArgs {
    /// The ref to compare against: a branch, tag, commit, or `merge-base:<ref>`
    /// (not needed with --calibrate)
    #[arg(value_name = "BASE_REF", required_unless_present = "calibrate")]
    pub base: Option<String>,
    #[command(flatten)]
    pub build: BuildArgs,
    #[command(flatten)]
    pub select: SelectArgs,
    /// Compare against the merge-base of HEAD and BASE_REF (what a PR changed)
    #[arg(long)]
    pub merge_base: bool,
    /// A/A: run HEAD's own build on both sides to measure this machine's noise per test
    #[arg(long)]
    pub calibrate: bool,
    /// Time for extra rounds on tests near their threshold, e.g. `90s`, `10m` (default 5m)
    #[arg(long, value_name = "DURATION", value_parser = parse_budget, default_value = "5m")]
    pub budget: Duration,
    /// Rounds before the first look (each round = one base and one head process)
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u32).range(6..=1000))]
    pub min_rounds: u32,
    /// Never more rounds than this for one test
    #[arg(long, value_name = "N", default_value_t = 120, value_parser = clap::value_parser!(u32).range(6..=10000))]
    pub max_rounds: u32,
    /// Re-run fresh rounds for every change before reporting it
    #[arg(long)]
    pub confirm: bool,
    /// Randomise which side goes first in each round (default: ABBA)
    #[arg(long, value_name = "SEED")]
    pub random_order: Option<u64>,
    /// Shorter processes; skips tests tagged `slow`
    #[arg(long)]
    pub quick: bool,
    /// Smallest change reported as a regression, e.g. `2%` (default 2%; a test's `noise` wins)
    #[arg(long, value_name = "PCT", value_parser = crate::cli::args::parse_percent)]
    pub threshold: Option<f64>,
    /// What makes the exit code 1: any of regression,threshold,error, or never
    #[arg(long, value_name = "LIST", value_parser = crate::cli::args::parse_fail_on, default_value = "regression,threshold,error")]
    pub fail_on: FailOn,
    /// Report format
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Write the report to FILE (the human summary still goes to the terminal)
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The machine id that results are reported and stored under
    #[arg(long, value_name = "NAME")]
    pub machine: Option<String>,
    /// Store head's results even when its tree is dirty (the base's are stored by default)
    #[arg(long, conflicts_with = "no_save")]
    pub save: bool,
    /// Store nothing
    #[arg(long)]
    pub no_save: bool,
    /// Where results are stored (default: .perf/ in the workspace root; env CARGO_PERF_STORE)
    #[arg(long, value_name = "DIR")]
    pub store: Option<PathBuf>,
}

/// `90s`, `10m`, `1h`, `500ms`.
fn parse_budget(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let minutes = |s: &str, scale: f64| {
        s.trim()
            .parse::<f64>()
            .ok()
            // `try_`: a budget too large for a `Duration` is a usage error, not a panic.
            .and_then(|v| Duration::try_from_secs_f64(v * scale).ok())
            .ok_or_else(|| format!("`{text}` is not a duration (write e.g. `90s` or `10m`)"))
    };
    if let Some(n) = t.strip_suffix('h') {
        return minutes(n, 3600.0);
    }
    if let Some(n) = t.strip_suffix('m').filter(|_| !t.ends_with("ms")) {
        return minutes(n, 60.0);
    }
    crate::threshold::parse_duration_ns(t)
        .map(|ns| Duration::from_nanos(ns as u64))
        .map_err(|e| format!("`{text}`: {e} (or m, h)"))
}

fn from_worktree(e: worktree::WorktreeError) -> CliError {
    CliError::config(e.message, e.help)
}

/// Run `cargo perf ab`; returns the exit code.
pub fn run(args: &AbArgs) -> Result<i32, CliError> {
    if args.min_rounds > args.max_rounds {
        return Err(CliError::usage(
            format!(
                "--min-rounds {} is more than --max-rounds {}",
                args.min_rounds, args.max_rounds
            ),
            "raise --max-rounds or lower --min-rounds",
        ));
    }
    let ws = workspace::discover(&args.build)?;
    let repo = worktree::open_repo(&ws.root).map_err(from_worktree)?;
    let head_commit = repo
        .head()
        .ok()
        .and_then(|h| h.peel_to_commit().ok())
        .map(|c| c.id().to_string());
    let store_dir = store::locate(&ws.root, args.store.as_deref());
    let git_state = git::inspect(&ws.root, &[&store_dir, &ws.target_directory]);
    let dirty = git_state.dirty;
    let mut notes = Vec::new();

    let base = if args.calibrate {
        None
    } else {
        let spec = args.base.as_deref().unwrap_or("HEAD");
        Some(worktree::resolve_base(&repo, spec, args.merge_base).map_err(from_worktree)?)
    };
    if let Some(b) = base
        .as_ref()
        .and_then(|b| b.merge_base_of.as_ref().map(|of| (b, of)))
    {
        notes.push(format!(
            "base is the merge-base of HEAD and `{}`: {}",
            b.1,
            &b.0.commit[..10]
        ));
    }

    // The base first: its executables are copied aside before head's build reuses the paths.
    let base_built = match &base {
        Some(b) => build_base(&repo, b, &ws, &args.build)?,
        None => None,
    };
    let head_built = build::build(&ws, &args.build)?;
    let head_suites = open_suites(&head_built, &mut notes)?;
    let base_suites = match &base_built {
        Some(built) => open_suites(built, &mut notes)?,
        None if args.calibrate => open_suites(&head_built, &mut Vec::new())?,
        // The base has no perf suites at all: every head test is new.
        None => Vec::new(),
    };
    if args.calibrate {
        notes.push(
            "calibration (A/A): both sides run HEAD's build, so every flagged test is noise; \
             \"could detect\" is this machine's noise floor per test"
                .to_string(),
        );
    }

    let (head_tests, head_listed) = list_selected(&head_suites, args)?;
    let (base_tests, _) = list_selected(&base_suites, args)?;
    crate::cli::check_before_running(
        &args.select,
        args.quick,
        &head_listed.iter().collect::<Vec<_>>(),
        head_tests.len(),
        &mut notes,
    )?;
    let matched = session::match_tests(
        base_tests
            .iter()
            .map(|(id, _, t)| (id.clone(), t.clone()))
            .collect(),
        head_tests
            .iter()
            .map(|(id, _, t)| (id.clone(), t.clone()))
            .collect(),
    );
    if !matched.removed.is_empty() {
        notes.push(format!(
            "only in base (removed or renamed): {}",
            matched.removed.join(", ")
        ));
    }
    if matched.both.is_empty()
        && matched.added.is_empty()
        && args.select.no_tests == crate::cli::args::NoTests::Pass
    {
        notes.push("no perf test matched the filters".to_string());
    }

    let head_side = SuiteSide::new(&head_tests);
    let base_side = SuiteSide::new(&base_tests);
    let thresholds: Vec<f64> = matched
        .both
        .iter()
        .map(|t| {
            t.info
                .noise
                .or(args.threshold)
                .unwrap_or(DEFAULT_AB_THRESHOLD)
        })
        .collect();
    let policy = Policy {
        min_rounds: args.min_rounds as usize,
        max_rounds: args.max_rounds as usize,
        confirm: args.confirm,
        order: args
            .random_order
            .map_or(Order::Abba, |seed| Order::Random { seed }),
        ..Policy::default()
    };
    let started = Instant::now();
    eprintln!(
        "     Running {} test(s) in paired rounds (base {} vs head {})",
        matched.both.len(),
        base.as_ref()
            .map_or("HEAD (A/A)".to_string(), |b| b.commit[..10].to_string()),
        head_commit.as_deref().map_or("(none)", |c| &c[..10]),
    );
    let mut progress = |test: usize, rounds: usize| {
        if rounds % 5 == 0 {
            eprintln!("       {} — {rounds} rounds", matched.both[test].id);
        }
    };
    let mut runner = Interleaved::new(&matched.both, &base_side, &head_side, args.quick);
    runner.on_round = Some(&mut progress);
    let deadline = Instant::now() + args.budget;
    let results = rounds::run_suite(&mut runner, &thresholds, &policy, Some(deadline));
    let (head_runs, base_runs) = (runner.head_runs, runner.base_runs);

    let base_commit = base
        .as_ref()
        .map(|b| b.commit.clone())
        .or_else(|| head_commit.clone())
        .unwrap_or_default();
    let mut tests: Vec<TestReport> = Vec::new();
    for ((t, result), runs) in matched.both.iter().zip(&results).zip(&head_runs) {
        let meta = meta_of(t);
        tests.push(ab_report::compared_report(
            &meta,
            result,
            runs,
            &base_commit,
        ));
    }
    for t in &matched.added {
        let (runs, error) = measure_added(&head_side, t, args.quick);
        tests.push(ab_report::added_report(&meta_of(t), &runs, error));
    }
    notes.push(format!(
        "{} rounds in {:.1}s",
        results
            .iter()
            .map(|r| r.pairs.len() + r.confirm_pairs.len())
            .sum::<usize>(),
        started.elapsed().as_secs_f64()
    ));

    let mut head_side_tests: Vec<TestReport> = tests.clone();
    head_side_tests.retain(|t| t.status != crate::cli::report::model::Status::Error);
    let base_side_tests: Vec<TestReport> = matched
        .both
        .iter()
        .zip(&base_runs)
        .zip(&results)
        .filter(|(_, r)| r.error.is_none())
        .map(|((t, runs), _)| ab_report::side_report(&meta_of(t), runs))
        .collect();
    let mut sides = Vec::new();
    if !args.no_save {
        if let Some(b) = &base {
            sides.push(SideRecord {
                commit: b.commit.clone(),
                dirty: false,
                tests: base_side_tests,
            });
        }
        match (&head_commit, dirty && !args.save) {
            (Some(c), false) => sides.push(SideRecord {
                commit: c.clone(),
                dirty,
                tests: head_side_tests,
            }),
            (Some(_), true) => notes.push(format!(
                "head's results not saved: {}",
                git_state.uncommitted_changes()
            )),
            (None, _) => notes.push("head's results not saved: HEAD is not a commit".to_string()),
        }
    }
    let machine = machine::detect(args.machine.as_deref());
    if !sides.is_empty() {
        let rustc = fingerprint::rustc_version().unwrap_or_default();
        let fp = Fingerprint {
            machine: machine.clone(),
            rustc,
            profile: args.build.profile.clone(),
        };
        notes.extend(save::save_sides(&store_dir, &fp, sides));
    }

    let report = Report {
        schema_version: REPORT_SCHEMA_VERSION,
        tool_version: crate::protocol::LIBRARY_VERSION.to_string(),
        commit: head_commit,
        dirty,
        baseline: BaselineRef {
            commit: Some(base_commit),
            reference: if args.calibrate {
                Some("HEAD (calibration)".to_string())
            } else {
                args.base.clone()
            },
        },
        machine,
        summary: ab_report::summarize(&tests),
        tests,
        notes,
    };
    emit(&report, args)?;
    Ok(ab_report::exit_code(&report, args.fail_on))
}

fn meta_of(t: &PairedTest) -> AbTestMeta {
    let mut parts = t.id.splitn(3, '/');
    let package = parts.next().unwrap_or_default().to_string();
    let target = parts.next().unwrap_or_default().to_string();
    AbTestMeta {
        package,
        target,
        name: t.info.name.clone(),
        kind: t.info.kind,
        tags: t.info.tags.clone(),
        thresholds: t.info.thresholds.clone(),
    }
}

/// A new test: a few head processes, for its figures and thresholds.
fn measure_added(
    head: &SuiteSide<'_>,
    t: &PairedTest,
    quick: bool,
) -> (Vec<Metrics>, Option<String>) {
    let mut runs = Vec::new();
    for round in 0..3 {
        match head.measure(&t.id, session::round_settings(round, quick)) {
            Ok(m) => runs.push(m),
            Err(e) => return (runs, Some(e)),
        }
    }
    (runs, None)
}

/// Check the base out, build it from there into the base's own target directory, and copy
/// its executables aside (the next base commit's build reuses the same paths).
fn build_base(
    repo: &git2::Repository,
    base: &worktree::ResolvedBase,
    ws: &workspace::Workspace,
    args: &BuildArgs,
) -> Result<Option<Vec<BuiltTarget>>, CliError> {
    let checkout =
        worktree::checkout(repo, &base.commit, &ws.target_directory).map_err(from_worktree)?;
    let workdir = repo.workdir().unwrap_or(&ws.root);
    let relative = relative_to(&ws.manifest_path, workdir);
    let base_manifest = checkout.dir.join(relative);
    let short = &base.commit[..10];
    let failed = |e: CliError| {
        CliError::build(
            format!("could not build the base `{}` ({short}): {}", base.reference, e.message()),
            format!(
                "check that `{}` builds (`git checkout {}` and `cargo build --benches`), or compare against another ref",
                base.reference, short
            ),
        )
    };
    if !base_manifest.is_file() {
        return Err(failed(CliError::config(
            format!("it has no {}", base_manifest.display()),
            "",
        )));
    }
    let aside = cache::dir_for(
        &ws.target_directory
            .join("cargo-perf")
            .join("ab")
            .join("bin"),
        &base.commit,
        args,
        &ws.package_names(),
    );
    if let Some(built) = cache::load(&aside) {
        eprintln!(
            "       Reusing base `{}` ({short}), built earlier",
            base.reference
        );
        return Ok(Some(built));
    }
    let mut base_args = args.clone();
    base_args.manifest_path = Some(base_manifest);
    // The base builds into its own target directory. Sharing head's would be wrong, not just
    // untidy: cargo names a workspace member's artifacts independently of its path and judges
    // freshness by file times, so one side's build could be taken for the other's.
    let base_target = ws
        .target_directory
        .join("cargo-perf")
        .join("ab")
        .join("target");
    // A reused checkout's files can be older than the last base build in that directory (of
    // another commit): new times make cargo rebuild the base's own packages.
    touch_tree(&checkout.dir).map_err(|e| {
        CliError::io(
            format!(
                "cannot update file times in {}: {e}",
                checkout.dir.display()
            ),
            "check that the target directory is writable",
        )
    })?;
    let saved = std::env::var_os("CARGO_TARGET_DIR");
    // Child cargo processes inherit it; no other thread runs during the build.
    std::env::set_var("CARGO_TARGET_DIR", &base_target);
    let built = (|| {
        // The packages head selected, found in the base's own tree by name: their package ids
        // there differ from head's (another path), and `-p`/the current directory mean head's.
        let base_ws = match workspace::discover_like(&base_args, ws) {
            Ok(w) => w,
            Err(e) if e.message().starts_with("no perf suites found") => return Ok(None),
            Err(e) => return Err(failed(e)),
        };
        eprintln!(
            "    Building base `{}` ({short}) in {}",
            base.reference,
            checkout.dir.display()
        );
        build::build(&base_ws, &base_args).map(Some).map_err(failed)
    })();
    match saved {
        Some(v) => std::env::set_var("CARGO_TARGET_DIR", v),
        None => std::env::remove_var("CARGO_TARGET_DIR"),
    }
    let Some(built) = built? else {
        return Ok(None);
    };
    cache::store(&aside, built).map(Some).map_err(|e| {
        CliError::io(
            format!(
                "cannot copy the base's executables to {}: {e}",
                aside.display()
            ),
            "check the free disk space in the target directory",
        )
    })
}

/// Set every file's modification time under `dir` to now.
fn touch_tree(dir: &Path) -> std::io::Result<()> {
    let now = std::time::SystemTime::now();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let entry = entry?;
            let kind = entry.file_type()?;
            if kind.is_dir() {
                stack.push(entry.path());
            } else if kind.is_file() {
                std::fs::File::options()
                    .append(true)
                    .open(entry.path())?
                    .set_modified(now)?;
            }
        }
    }
    Ok(())
}

/// `path` relative to `dir`, also when one of them was reached through a symlink.
fn relative_to(path: &Path, dir: &Path) -> PathBuf {
    if let Ok(r) = path.strip_prefix(dir) {
        return r.to_path_buf();
    }
    match (path.canonicalize(), dir.canonicalize()) {
        (Ok(p), Ok(d)) => p
            .strip_prefix(&d)
            .map(Path::to_path_buf)
            .unwrap_or_else(|_| PathBuf::from("Cargo.toml")),
        _ => PathBuf::from("Cargo.toml"),
    }
}

fn open_suites(built: &[BuiltTarget], notes: &mut Vec<String>) -> Result<Vec<Suite>, CliError> {
    let mut suites = Vec::new();
    for b in built {
        match Suite::open(b)? {
            Some(s) => suites.push(s),
            None => notes.push(format!(
                "{}/{} is not a cargo-perf suite (no `cargo_perf::main!()`); skipped",
                b.target.package, b.target.name
            )),
        }
    }
    Ok(suites)
}

type Listed<'s> = Vec<(String, &'s Suite, TestInfo)>;

/// The selected tests of `suites`, and every test they listed (for the checks before running).
fn list_selected<'s>(
    suites: &'s [Suite],
    args: &AbArgs,
) -> Result<(Listed<'s>, Vec<TestInfo>), CliError> {
    let mut out = Vec::new();
    let mut all = Vec::new();
    for s in suites {
        for info in s.list()? {
            if select::skip_reason(&args.select, args.quick, &info).is_none() {
                out.push((
                    format!("{}/{}/{}", s.package, s.target, info.name),
                    s,
                    info.clone(),
                ));
            }
            all.push(info);
        }
    }
    Ok((out, all))
}

/// One side's suites, by test id.
struct SuiteSide<'s> {
    tests: HashMap<String, (&'s Suite, TestInfo)>,
}

impl<'s> SuiteSide<'s> {
    fn new(listed: &Listed<'s>) -> Self {
        SuiteSide {
            tests: listed
                .iter()
                .map(|(id, s, t)| (id.clone(), (*s, t.clone())))
                .collect(),
        }
    }
}

impl Side for SuiteSide<'_> {
    fn measure(&self, id: &str, settings: Settings) -> Result<Metrics, String> {
        let (suite, info) = self
            .tests
            .get(id)
            .ok_or_else(|| format!("no test `{id}` on this side"))?;
        match suite.run_test(info, settings) {
            ProcessOutcome::NoAnswer { message } => Err(message),
            ProcessOutcome::Answered(r) => match r.outcome {
                Outcome::Passed => r
                    .measurement
                    .map(|m| m.metrics)
                    .ok_or_else(|| "the test measured nothing".to_string()),
                Outcome::Failed { message } => Err(format!("the test failed: {message}")),
                Outcome::TimedOut { after_ns } => Err(format!(
                    "the test timed out after {}",
                    crate::format::duration_ns(after_ns as f64)
                )),
            },
        }
    }
}

fn emit(report: &Report, args: &AbArgs) -> Result<(), CliError> {
    let rendered = match args.format {
        Format::Json => crate::cli::report::json::render(report),
        Format::Markdown => ab_report::render_markdown(report),
        Format::Junit => crate::cli::report::junit::render(report),
        _ => ab_report::render_human(report),
    };
    let write_stdout = crate::cli::print_stdout;
    match &args.output {
        Some(path) => {
            std::fs::write(path, &rendered).map_err(|e| {
                CliError::io(
                    format!("cannot write the report to {}: {e}", path.display()),
                    "pass an -o path in a writable directory",
                )
            })?;
            write_stdout(&ab_report::render_human(report))
        }
        None if args.format == Format::Human => write_stdout(&rendered),
        None => {
            eprint!("{}", ab_report::render_human(report));
            write_stdout(&rendered)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_parse_in_common_units() {
        assert_eq!(parse_budget("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_budget("10m").unwrap(), Duration::from_secs(600));
        assert_eq!(parse_budget("1.5h").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse_budget("500ms").unwrap(), Duration::from_millis(500));
        assert!(parse_budget("soon").unwrap_err().contains("soon"));
        assert!(parse_budget("-3m").is_err());
    }
}
