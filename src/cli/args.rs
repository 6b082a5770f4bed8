//! Command-line parsing (clap derive), the only file that knows clap. Accepts `cargo-perf perf
//! run ..` (how cargo invokes a subcommand), `cargo-perf perf ..`, `cargo-perf run ..` and
//! `cargo-perf ..`: `run` is the default. The shared flattens (build, select, output) are
//! turned into the plain options the rest of the CLI takes ([`BuildOptions`], [`Selection`],
//! [`Output`]), so nothing below `commands/` sees a clap type.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{CommandFactory, Parser, Subcommand};

use super::ab::rounds::{Order, Policy};
use super::ab::session;
use super::compare::require::Requirement;
use super::engines::k8s;
use super::errors::CliError;
pub use super::model::FailOn;
use super::partition::Partition;
pub use super::project::select::NoTests;
use super::project::select::Selection;
use super::project::workspace::BuildOptions;
pub use super::report::Format;
use super::report::{Emit, Output};
use super::run::instructions;
use super::run::sequential::StopRule;

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
    Ab(AbArgs),
    /// Compare the stored results of two commits without running anything
    Compare(CompareArgs),
    /// One test's figures over the stored commits
    History(HistoryArgs),
    /// The stored results: list | show REF | rm REF
    Baseline(BaselineArgs),
    /// Write the last stored run, its comparison and history as one self-contained HTML file
    Report(ReportArgs),
    /// Share the stored results: merge them into REMOTE's refs/notes/cargo-perf
    Push(ShareArgs),
    /// Import REMOTE's refs/notes/cargo-perf into the store (local records are never replaced)
    Fetch(ShareArgs),
    /// Find the first commit after GOOD up to BAD that made FILTER's tests slower
    Bisect(BisectArgs),
    /// Record that tests' new level is intended: later comparisons use it as their baseline
    Accept(AcceptArgs),
    /// Recombine the `--format json` reports of `--partition` shards into one report and one
    /// exit code, judged over the whole suite
    Merge(MergeArgs),
    /// Print a Kubernetes Indexed Job that runs suite shards or load segments, one per pod
    K8sJob(K8sJobArgs),
}

/// `merge FILES...`: the shards' reports, where the merged one goes, what fails it.
#[derive(Debug, Clone, clap::Args)]
pub struct MergeArgs {
    /// The shards' `--format json -o FILE` reports, one per shard
    #[arg(value_name = "FILES", required = true)]
    pub files: Vec<PathBuf>,
    /// What makes the exit code 1: any of regression,threshold,error,growth, or never
    /// (default regression,threshold,error)
    #[arg(long, value_name = "LIST", value_parser = parse_fail_on)]
    pub fail_on: Option<FailOn>,
    /// Store the merged run under its commit, as one unsharded run would be saved
    #[arg(long)]
    pub save: bool,
    /// Where results are stored (default: .perf/ in the current directory's workspace; env
    /// CARGO_PERF_STORE)
    #[arg(long, value_name = "DIR")]
    pub store: Option<PathBuf>,
    #[command(flatten)]
    pub report: OutputArgs,
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
    #[arg(long, value_name = "ACTION", value_parser = no_tests_parser(), default_value = "fail")]
    pub no_tests: NoTests,
    /// A PERF_<TEST>_<KEY> variable naming no listed test or no known key is an error
    /// (exit 2), not a warning
    #[arg(long)]
    pub strict_env: bool,
}

#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub build: BuildArgs,
    #[command(flatten)]
    pub select: SelectArgs,
    /// Run one shard of the selected tests: `hash:M/N` (stable as tests are added),
    /// `slice:M/N` (sorted ids dealt round-robin), or `hash:ci`/`slice:ci` (the CI's job index);
    /// recombine the shards' `--format json` reports with `cargo perf merge`
    #[arg(long, value_name = "KIND:M/N")]
    pub partition: Option<String>,
    /// List the perf tests (name, kind, tags) and exit
    #[arg(long)]
    pub list: bool,
    /// Short measurement budget; skips tests tagged `slow`
    #[arg(long)]
    pub quick: bool,
    /// The pre-commit check: the working tree against HEAD in paired rounds (`ab HEAD` with
    /// short processes and a short budget; HEAD's build is cached per commit); saves nothing
    /// unless --save
    #[arg(long, conflicts_with_all = ["list", "baseline", "processes", "force"])]
    pub pre_commit: bool,
    /// Multiply every load-test duration and rate by F (e.g. 0.1 for a quick CI pass)
    #[arg(long, value_name = "F", value_parser = parse_load_scale)]
    pub load_scale: Option<f64>,
    /// Count instructions per iteration (`instructions_per_iter`): hardware counters when
    /// the machine has them, else Valgrind (timing is not measured then); MODE forces one
    #[arg(long, value_name = "MODE", num_args = 0..=1, default_missing_value = "auto", require_equals = true)]
    pub instructions: Option<InstructionsArg>,
    /// Exactly K independent processes per test (default: 6 to 12, added until the median's
    /// 95% interval is within ±0.5%; 3 to 6 and ±1% with --quick; 2 under Valgrind)
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u32).range(1..=100))]
    pub processes: Option<u32>,
    /// Compare against stored results of this git ref or commit
    #[arg(long, value_name = "REF")]
    pub baseline: Option<String>,
    #[command(flatten)]
    pub results: SaveArgs,
    #[command(flatten)]
    pub verdict: VerdictArgs,
    #[command(flatten)]
    pub report: OutputArgs,
    /// Compare with a baseline measured on a different CPU, OS, compiler or profile
    #[arg(long)]
    pub force: bool,
    /// Kill a test process after DURATION, e.g. `90s`, `5m` (a test's `timeout` key wins;
    /// default: 10x the process's expected time, at least 1m)
    #[arg(long, value_name = "DURATION", value_parser = parse_test_timeout)]
    pub test_timeout: Option<std::time::Duration>,
    /// Use profile NAME of `.config/perf.toml` for the settings no flag gives (default:
    /// `$CARGO_PERF_PROFILE`, else `default`)
    #[arg(long, value_name = "NAME")]
    pub perf_profile: Option<String>,
}

/// What `--pre-commit` asks of `ab HEAD`: short processes, ten rounds first, extra rounds for
/// close calls within a few seconds, and `run`'s 5 % threshold (a commit is gated on changes
/// worth stopping for, not on everything pairing can resolve).
pub const PRE_COMMIT_BUDGET: Duration = Duration::from_secs(5);
pub const PRE_COMMIT_ROUNDS: (u32, u32) = (10, 30);
pub const PRE_COMMIT_THRESHOLD: f64 = 0.05;

/// `--instructions=MODE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InstructionsArg {
    /// Hardware counters when available, else Valgrind
    Auto,
    /// Hardware counters (perf_event_open) only
    Hardware,
    /// Callgrind only: deterministic counts, no timing
    Valgrind,
}

impl InstructionsArg {
    /// The mode as `run` and `ab` ask [`instructions::choose`] for it.
    pub fn requested(self) -> instructions::Requested {
        use instructions::Requested;
        match self {
            InstructionsArg::Auto => Requested::Auto,
            InstructionsArg::Hardware => Requested::Hardware,
            InstructionsArg::Valgrind => Requested::Valgrind,
        }
    }
}

/// `--partition` as the plan takes it; `ci` reads the job variables of this process.
fn partition(spec: Option<&str>) -> Result<Option<Partition>, CliError> {
    spec.map(|s| Partition::parse(s, |k| std::env::var(k).ok()))
        .transpose()
}

impl RunArgs {
    /// `--partition`, parsed (exit 2 when malformed).
    pub fn partition(&self) -> Result<Option<Partition>, CliError> {
        partition(self.partition.as_deref())
    }

    /// `--instructions[=MODE]` as the run step takes it.
    pub fn instructions(&self) -> Option<instructions::Requested> {
        self.instructions.map(InstructionsArg::requested)
    }

    /// `--pre-commit` as the `ab` it is: base HEAD, head the working tree.
    pub fn pre_commit_ab(&self) -> AbArgs {
        let mut results = self.results.clone();
        results.no_save = !results.save;
        AbArgs {
            base: Some("HEAD".to_string()),
            build: self.build.clone(),
            select: self.select.clone(),
            partition: self.partition.clone(),
            merge_base: false,
            calibrate: false,
            budget: None,
            min_rounds: PRE_COMMIT_ROUNDS.0,
            max_rounds: PRE_COMMIT_ROUNDS.1,
            confirm: false,
            require: Vec::new(),
            random_order: None,
            quick: true,
            load_scale: self.load_scale,
            instructions: self.instructions,
            verdict: self.verdict.clone(),
            report: self.report.clone(),
            results,
            test_timeout: self.test_timeout,
            perf_profile: self.perf_profile.clone(),
            defaults: AbDefaults {
                budget: PRE_COMMIT_BUDGET,
                threshold: PRE_COMMIT_THRESHOLD,
            },
        }
    }

    /// How many independent processes measure a load test: `--processes K`, else 5 (3 with
    /// `--quick`). Load tests are long and few, so they keep a fixed count.
    pub fn load_process_count(&self) -> u32 {
        self.processes.unwrap_or(if self.quick { 3 } else { 5 })
    }

    /// How many independent processes measure a micro benchmark: `--processes K`, or the
    /// sequential rule of the budget.
    pub fn stop_rule(&self) -> StopRule {
        match self.processes {
            Some(k) => StopRule::fixed(k),
            None => StopRule::adaptive(self.quick),
        }
    }

    /// The regression threshold as a fraction (default 5 %).
    pub fn regression_threshold(&self) -> f64 {
        self.verdict.threshold.unwrap_or(0.05)
    }
}

/// `--save`, `--no-save`, `--store`, `--machine`: whether and where results are stored.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SaveArgs {
    /// Store results under HEAD's commit even when the worktree is dirty (default: when clean)
    #[arg(long, conflicts_with = "no_save")]
    pub save: bool,
    /// Do not store results
    #[arg(long)]
    pub no_save: bool,
    /// The machine id that results are stored and matched under
    #[arg(long, value_name = "NAME")]
    pub machine: Option<String>,
    /// Where results are stored (default: .perf/ in the workspace root; env CARGO_PERF_STORE)
    #[arg(long, value_name = "DIR")]
    pub store: Option<PathBuf>,
}

impl SaveArgs {
    /// `--save` (Some(true)), `--no-save` (Some(false)), or the default (None).
    pub fn save(&self) -> Option<bool> {
        match (self.save, self.no_save) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => None,
        }
    }
}

/// `--threshold` and `--fail-on`: what counts as a change and what fails the command.
#[derive(Debug, Clone, clap::Args)]
pub struct VerdictArgs {
    /// Smallest change reported as a regression, e.g. `5%` (default 5%, 2% for `ab`; a
    /// test's `noise` wins)
    #[arg(long, value_name = "PCT", value_parser = parse_percent)]
    pub threshold: Option<f64>,
    /// What makes the exit code 1: any of regression,threshold,error,growth, or never
    /// (default regression,threshold,error; growth: an `args` family's exponent got steeper)
    #[arg(long, value_name = "LIST", value_parser = parse_fail_on)]
    pub fail_on: Option<FailOn>,
}

impl VerdictArgs {
    /// `--fail-on`, else everything fails the command.
    pub fn fail_on(&self) -> FailOn {
        self.fail_on.unwrap_or_default()
    }
}

/// `--format`, `-o` and `--emit`: where the reports go.
#[derive(Debug, Clone, clap::Args)]
pub struct OutputArgs {
    /// Report format
    #[arg(long, value_name = "FORMAT", value_parser = format_parser(), default_value = "human")]
    pub format: Format,
    /// Write the report to FILE (the human summary still goes to the terminal)
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also write the report in FORMAT to PATH (repeatable), e.g. `--emit junit=junit.xml`
    #[arg(long, value_name = "FORMAT=PATH")]
    pub emit: Vec<String>,
}

impl OutputArgs {
    /// The outputs; a malformed `--emit` is a usage error, found before anything runs.
    pub fn output(&self) -> Result<Output, CliError> {
        let emits = self
            .emit
            .iter()
            .map(|e| Emit::parse(e))
            .collect::<Result<Vec<_>, _>>()?;
        Emit::check_distinct(&emits, self.output.as_deref())?;
        Ok(Output {
            format: self.format,
            path: self.output.clone(),
            emits,
        })
    }
}

impl BuildArgs {
    pub fn options(&self) -> BuildOptions {
        BuildOptions {
            packages: self.packages.clone(),
            workspace: self.workspace,
            manifest_path: self.manifest_path.clone(),
            features: self.features.clone(),
            all_features: self.all_features,
            no_default_features: self.no_default_features,
            profile: self.profile.clone(),
            target_dir: None,
        }
    }
}

impl SelectArgs {
    pub fn selection(&self) -> Selection {
        Selection {
            filters: self.filters.clone(),
            exact: self.exact,
            skip: self.skip.clone(),
            tag: self.tag.clone(),
            exclude_tag: self.exclude_tag.clone(),
            ignored: self.ignored,
            include_ignored: self.include_ignored,
            no_tests: self.no_tests,
            strict_env: self.strict_env,
            subcommands: subcommand_names(),
        }
    }
}

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
    /// Run one shard of the selected tests: `hash:M/N` (stable as tests are added),
    /// `slice:M/N` (sorted ids dealt round-robin), or `hash:ci`/`slice:ci` (the CI's job index);
    /// recombine the shards' `--format json` reports with `cargo perf merge`
    #[arg(long, value_name = "KIND:M/N")]
    pub partition: Option<String>,
    /// Compare against the merge-base of HEAD and BASE_REF (what a PR changed)
    #[arg(long)]
    pub merge_base: bool,
    /// A/A: run HEAD's own build on both sides to measure this machine's noise per test
    #[arg(long)]
    pub calibrate: bool,
    /// Time for extra rounds on tests near their threshold, e.g. `90s`, `10m` (default 5m)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub budget: Option<Duration>,
    /// Rounds before the first look (each round = one base and one head process)
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u32).range(6..=1000))]
    pub min_rounds: u32,
    /// Never more rounds than this for one test
    #[arg(long, value_name = "N", default_value_t = 120, value_parser = clap::value_parser!(u32).range(6..=10000))]
    pub max_rounds: u32,
    /// Re-run fresh rounds for every change before reporting it
    #[arg(long)]
    pub confirm: bool,
    /// A speed-up the head must reach over the base, e.g. `speedup >= 5x` or, for some tests,
    /// `cache:: speedup >= 1.5x` (repeatable): met only when the lower end of the speed-up's
    /// confidence interval reaches it; exit 1 when missed
    #[arg(long = "require", value_name = "REQUIREMENT", value_parser = parse_requirement)]
    pub require: Vec<Requirement>,
    /// Randomise which side goes first in each round (default: ABBA)
    #[arg(long, value_name = "SEED")]
    pub random_order: Option<u64>,
    /// Shorter processes; skips tests tagged `slow`
    #[arg(long)]
    pub quick: bool,
    /// Multiply every load-test duration and rate by F, on both sides (e.g. 0.1 for a quick
    /// CI pass)
    #[arg(long, value_name = "F", value_parser = parse_load_scale)]
    pub load_scale: Option<f64>,
    /// Compare micro benchmarks on instructions per iteration (exactly, in 2 rounds):
    /// hardware counters when the machine has them, else Valgrind; MODE forces one
    #[arg(long, value_name = "MODE", num_args = 0..=1, default_missing_value = "auto", require_equals = true)]
    pub instructions: Option<InstructionsArg>,
    #[command(flatten)]
    pub verdict: VerdictArgs,
    #[command(flatten)]
    pub report: OutputArgs,
    #[command(flatten)]
    pub results: SaveArgs,
    /// Kill a test process after DURATION, e.g. `90s`, `5m` (a test's `timeout` key wins;
    /// default: 10x the process's expected time, at least 1m)
    #[arg(long, value_name = "DURATION", value_parser = parse_test_timeout)]
    pub test_timeout: Option<Duration>,
    /// Use profile NAME of `.config/perf.toml` for the settings no flag gives (default:
    /// `$CARGO_PERF_PROFILE`, else `default`)
    #[arg(long, value_name = "NAME")]
    pub perf_profile: Option<String>,
    /// What no flag and no profile gives: `ab`'s own, or `--pre-commit`'s shorter ones.
    #[arg(skip)]
    pub defaults: AbDefaults,
}

/// The budget and threshold of an `ab` that neither a flag nor the profile sets.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AbDefaults {
    pub budget: Duration,
    pub threshold: f64,
}

impl Default for AbDefaults {
    fn default() -> Self {
        AbDefaults {
            budget: Duration::from_secs(5 * 60),
            threshold: session::DEFAULT_AB_THRESHOLD,
        }
    }
}

impl AbArgs {
    /// `--partition`, parsed (exit 2 when malformed).
    pub fn partition(&self) -> Result<Option<Partition>, CliError> {
        partition(self.partition.as_deref())
    }

    /// The rounds' policy and budget, and how processes run; `--min-rounds` above
    /// `--max-rounds` is a usage error, and so is `--instructions` on a machine that cannot
    /// count them.
    pub fn plan(&self) -> Result<session::Plan, CliError> {
        if self.min_rounds > self.max_rounds {
            return Err(CliError::usage(
                format!(
                    "--min-rounds {} is more than --max-rounds {}",
                    self.min_rounds, self.max_rounds
                ),
                "raise --max-rounds or lower --min-rounds",
            ));
        }
        let policy = Policy {
            min_rounds: self.min_rounds as usize,
            max_rounds: self.max_rounds as usize,
            confirm: self.confirm,
            order: self
                .random_order
                .map_or(Order::Abba, |seed| Order::Random { seed }),
            ..Policy::default()
        };
        Ok(session::Plan {
            policy,
            calibrate: self.calibrate,
            budget: self.budget.unwrap_or(self.defaults.budget),
            threshold: self.verdict.threshold.unwrap_or(self.defaults.threshold),
            processes: session::Processes {
                quick: self.quick,
                load_scale: self.load_scale,
                counting: instructions::chosen(self.instructions.map(InstructionsArg::requested))?,
            },
        })
    }
}

/// `accept [FILTER] --reason TEXT [--commit REF]`, `accept --list`, `accept FILTER --remove`.
#[derive(Debug, Clone, clap::Args)]
pub struct AcceptArgs {
    /// Only tests whose id contains this (default: every test stored at the commit)
    #[arg(value_name = "FILTER")]
    pub filter: Option<String>,
    /// Why the new level is intended (required when accepting; every report compared against
    /// it shows it)
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
    /// The commit whose stored level is accepted (default: HEAD)
    #[arg(long, value_name = "REF")]
    pub commit: Option<String>,
    /// Show the acceptances instead
    #[arg(long, conflicts_with_all = ["reason", "commit", "remove"])]
    pub list: bool,
    /// Remove the acceptances of the tests FILTER matches (all without FILTER)
    #[arg(long, conflicts_with_all = ["reason", "commit"])]
    pub remove: bool,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Clone, clap::Args)]
pub struct BisectArgs {
    /// A commit, branch or tag without the slowdown (excluded from the search)
    #[arg(value_name = "GOOD")]
    pub good: String,
    /// A later commit, branch or tag with it (its first-parent ancestors after GOOD are searched)
    #[arg(value_name = "BAD")]
    pub bad: String,
    #[command(flatten)]
    pub build: BuildArgs,
    #[command(flatten)]
    pub select: SelectArgs,
    /// Time for extra rounds per step, e.g. `30s`, `2m` (an inconclusive step gets 4x once)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "1m")]
    pub budget: Duration,
    /// Rounds before the first look at each step
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u32).range(6..=1000))]
    pub min_rounds: u32,
    /// Shorter processes; skips tests tagged `slow`
    #[arg(long)]
    pub quick: bool,
    /// Smallest change at BAD counted as the regression to find, e.g. `5%` (default 2%)
    #[arg(long, value_name = "PCT", value_parser = parse_percent)]
    pub threshold: Option<f64>,
    /// Report format: human or json
    #[arg(long, value_name = "FORMAT", value_parser = PossibleValuesParser::new(["human", "json"]), default_value = "human")]
    pub format: String,
    /// Write the report to FILE (the human summary still goes to the terminal)
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Kill a test process after DURATION, e.g. `90s`, `5m` (a test's `timeout` key wins)
    #[arg(long, value_name = "DURATION", value_parser = parse_test_timeout)]
    pub test_timeout: Option<Duration>,
}

impl BisectArgs {
    /// Each step's rounds: `ab`'s session with this command's budget and threshold.
    pub fn plan(&self) -> session::Plan {
        session::Plan {
            policy: Policy {
                min_rounds: self.min_rounds as usize,
                ..Policy::default()
            },
            calibrate: false,
            budget: self.budget,
            threshold: self.threshold.unwrap_or(session::DEFAULT_AB_THRESHOLD),
            processes: session::Processes {
                quick: self.quick,
                ..session::Processes::default()
            },
        }
    }

    /// `--format json`.
    pub fn json(&self) -> bool {
        self.format == "json"
    }
}

/// Where the store is, for commands that do not build anything.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct StoreArgs {
    /// Path to Cargo.toml (locates the workspace and its `.perf/` store)
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    /// Where results are stored (default: .perf/ in the workspace root; env CARGO_PERF_STORE)
    #[arg(long, value_name = "DIR")]
    pub store: Option<PathBuf>,
    /// The machine id whose results to read (default: this machine's hostname)
    #[arg(long, value_name = "NAME")]
    pub machine: Option<String>,
}

#[derive(Debug, Clone, clap::Args)]
pub struct CompareArgs {
    /// The baseline: a git ref or (a prefix of) a stored commit (default: HEAD's nearest
    /// ancestor with stored results)
    #[arg(value_name = "BASE")]
    pub base: Option<String>,
    /// The compared commit (default: HEAD)
    #[arg(value_name = "HEAD")]
    pub head: Option<String>,
    #[command(flatten)]
    pub store: StoreArgs,
    /// Compare records measured with a different CPU, OS, compiler or profile
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub verdict: VerdictArgs,
    /// A speed-up the head must reach over the base, e.g. `speedup >= 5x` or, for some tests,
    /// `cache:: speedup >= 1.5x` (repeatable): met only when the lower end of the speed-up's
    /// confidence interval reaches it; exit 1 when missed
    #[arg(long = "require", value_name = "REQUIREMENT", value_parser = parse_requirement)]
    pub require: Vec<Requirement>,
    #[command(flatten)]
    pub report: OutputArgs,
    /// Use profile NAME of `.config/perf.toml` for the settings no flag gives (default:
    /// `$CARGO_PERF_PROFILE`, else `default`)
    #[arg(long, value_name = "NAME")]
    pub perf_profile: Option<String>,
}

#[derive(Debug, Clone, clap::Args)]
pub struct ReportArgs {
    /// Write the page to FILE (default: target/cargo-perf/report.html in cargo's target directory)
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// How many stored commits the history charts show (newest)
    #[arg(short = 'n', value_name = "N", default_value_t = 100)]
    pub n: usize,
    #[command(flatten)]
    pub store: StoreArgs,
    /// Smallest change marked as a regression, e.g. `5%`
    #[arg(long, value_name = "PCT", value_parser = parse_percent)]
    pub threshold: Option<f64>,
    /// Compare with a previous record measured on a different CPU, OS, compiler or profile
    #[arg(long)]
    pub force: bool,
}

/// `k8s-job`: what the manifest runs (`--segments N` or `--shards N`) and how its pods look.
#[derive(Debug, Clone, clap::Args)]
#[command(group = clap::ArgGroup::new("mode").required(true).args(["segments", "shards"]))]
pub struct K8sJobArgs {
    /// Run one load test from N pods (`--segment ci`, a rendezvous at pod 0)
    #[arg(long, value_name = "N")]
    pub segments: Option<u32>,
    /// Run the suite as N shards, one per pod (`--partition hash:ci`)
    #[arg(long, value_name = "N")]
    pub shards: Option<u32>,
    /// The container image: the project with a Rust toolchain and cargo-perf installed
    #[arg(long, value_name = "IMAGE")]
    pub image: String,
    /// The Job's name (a DNS-1123 label): pods are NAME-0, NAME-1, ..
    #[arg(long, value_name = "NAME", default_value = "cargo-perf")]
    pub name: String,
    /// The namespace written into the manifest (default: none, `kubectl -n` decides)
    #[arg(long, value_name = "NAME")]
    pub namespace: Option<String>,
    /// The pods' working directory: the workspace root inside the image (default: the image's)
    #[arg(long, value_name = "DIR")]
    pub workdir: Option<String>,
    /// Tests whose name contains one of these (passed to every pod's `cargo perf`)
    #[arg(value_name = "FILTER")]
    pub filters: Vec<String>,
    /// More `cargo perf` arguments for every pod, after `--` (e.g. `-- --quick`)
    #[arg(last = true, value_name = "ARGS")]
    pub extra: Vec<String>,
    /// CPU of each pod, requested and limited alike (e.g. `2`, `1500m`)
    #[arg(long, value_name = "QUANTITY")]
    pub cpu: Option<String>,
    /// Memory of each pod, requested and limited alike (e.g. `4Gi`)
    #[arg(long, value_name = "QUANTITY")]
    pub memory: Option<String>,
    /// A PersistentVolumeClaim (ReadWriteMany) that every pod writes its result file to
    #[arg(long, value_name = "PVC")]
    pub results_claim: Option<String>,
    /// Where the result files are written inside the pods
    #[arg(long, value_name = "DIR", default_value = "/results")]
    pub results_dir: String,
    /// A shell command each pod runs after `cargo perf` to copy $CARGO_PERF_RESULT out (to
    /// an object store), instead of --results-claim
    #[arg(long, value_name = "CMD", conflicts_with = "results_claim")]
    pub upload: Option<String>,
    /// The rendezvous port on pod 0 (--segments; default 7878)
    #[arg(long, value_name = "PORT")]
    pub port: Option<u16>,
    /// Reference this existing Secret (key `token`) for the rendezvous token instead of
    /// emitting one with a random token (--segments)
    #[arg(long, value_name = "NAME", conflicts_with = "token")]
    pub token_secret: Option<String>,
    /// The token of the emitted Secret instead of a random one (for tests: it is visible in
    /// `ps`) (--segments)
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,
    /// Write the manifest to FILE instead of stdout
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

impl K8sJobArgs {
    /// The manifest's plain options (checked by [`k8s::manifest`]).
    pub fn spec(&self) -> k8s::Spec {
        let (mode, count) = match (self.segments, self.shards) {
            (Some(n), _) => (k8s::Mode::Segments, n),
            (None, n) => (k8s::Mode::Shards, n.unwrap_or(0)),
        };
        let results = match (&self.results_claim, &self.upload) {
            (Some(claim), _) => Some(k8s::Results::Claim(claim.clone())),
            (None, Some(cmd)) => Some(k8s::Results::Upload(cmd.clone())),
            (None, None) => None,
        };
        let token = match (&self.token_secret, &self.token) {
            (Some(name), _) => Some(k8s::Token::Secret(name.clone())),
            (None, Some(value)) => Some(k8s::Token::Value(value.clone())),
            (None, None) => None,
        };
        k8s::Spec {
            mode,
            count,
            image: self.image.clone(),
            name: self.name.clone(),
            namespace: self.namespace.clone(),
            workdir: self.workdir.clone(),
            filters: self.filters.clone(),
            extra: self.extra.clone(),
            cpu: self.cpu.clone(),
            memory: self.memory.clone(),
            results,
            results_dir: self.results_dir.clone(),
            port: self.port,
            token,
        }
    }
}

/// `push [REMOTE]` / `fetch [REMOTE]`: the store and a git remote.
#[derive(Debug, Clone, clap::Args)]
pub struct ShareArgs {
    /// The git remote, as `git remote -v` names it
    #[arg(value_name = "REMOTE", default_value = "origin")]
    pub remote: String,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Clone, clap::Args)]
pub struct HistoryArgs {
    /// Only tests whose id contains this
    #[arg(value_name = "FILTER")]
    pub filter: Option<String>,
    /// How many stored commits to show (newest)
    #[arg(short = 'n', value_name = "N", default_value_t = 20)]
    pub n: usize,
    #[command(flatten)]
    pub store: StoreArgs,
    /// Smallest change marked as a regression, e.g. `5%`
    #[arg(long, value_name = "PCT", value_parser = parse_percent)]
    pub threshold: Option<f64>,
    /// Significance level of the change-point test (per segment of history)
    #[arg(long, value_name = "A", default_value_t = 0.01, value_parser = parse_alpha)]
    pub alpha: f64,
    /// Summarise every matching test's change points since this ref (inclusive of its level)
    #[arg(long, value_name = "REF")]
    pub since: Option<String>,
    /// `human` (default) or `json` (docs/history.schema.json)
    #[arg(long, value_name = "FORMAT", default_value = "human")]
    pub format: HistoryFormat,
}

/// `history --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum HistoryFormat {
    Human,
    Json,
}

/// `--alpha A`: a significance level strictly between 0 and 1.
fn parse_alpha(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(a) if a > 0.0 && a < 1.0 => Ok(a),
        _ => Err(format!(
            "`{text}` is not a level between 0 and 1 (e.g. 0.01)"
        )),
    }
}

#[derive(Debug, Clone, clap::Args)]
pub struct BaselineArgs {
    #[command(subcommand)]
    pub action: BaselineAction,
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum BaselineAction {
    /// Every stored record of this machine
    List(StoreArgs),
    /// One stored record, in full
    Show {
        /// A git ref or (a prefix of) a stored commit
        #[arg(value_name = "REF")]
        reference: String,
        #[command(flatten)]
        store: StoreArgs,
        /// `json` prints the stored record itself
        #[arg(long, value_name = "FORMAT", value_parser = format_parser(), default_value = "human")]
        format: Format,
    },
    /// Delete one stored record
    Rm {
        /// A git ref or (a prefix of) a stored commit
        #[arg(value_name = "REF")]
        reference: String,
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// `--no-tests ACTION`: one of [`NoTests::ALL`].
fn no_tests_parser() -> impl TypedValueParser<Value = NoTests> {
    PossibleValuesParser::new(NoTests::ALL.map(|(name, _)| name)).map(|name| {
        NoTests::ALL
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(NoTests::Fail, |(_, a)| *a)
    })
}

/// `--format NAME`: one of [`Format::ALL`]; clap lists them in the help and in errors.
fn format_parser() -> impl TypedValueParser<Value = Format> {
    PossibleValuesParser::new(Format::ALL.map(|(name, _)| name))
        .map(|name| Format::from_name(&name).unwrap_or(Format::Human))
}

pub(crate) fn parse_fail_on(text: &str) -> Result<FailOn, String> {
    let mut out = FailOn {
        regression: false,
        threshold: false,
        error: false,
        growth: false,
    };
    for item in text.split(',').map(str::trim) {
        match item {
            "regression" => out.regression = true,
            "threshold" => out.threshold = true,
            "error" => out.error = true,
            "growth" => out.growth = true,
            "never" => {}
            other => {
                return Err(format!(
                    "`{other}` is not one of regression, threshold, error, growth, never"
                ))
            }
        }
    }
    Ok(out)
}

/// `5%`, `5` and `2.5%` are percentages; the result is a fraction (0.05).
pub(crate) fn parse_percent(text: &str) -> Result<f64, String> {
    Ok(perf_spec::percent(text)? / 100.0)
}

/// `--require '[FILTER] speedup >= 5x'`: malformed is a usage error before anything runs.
pub(crate) fn parse_requirement(text: &str) -> Result<Requirement, String> {
    crate::cli::compare::require::parse(text)
}

/// `auto`, `hardware` or `valgrind`, as `--instructions=MODE` takes it (for the profile file).
pub(crate) fn parse_instructions(text: &str) -> Result<InstructionsArg, String> {
    <InstructionsArg as clap::ValueEnum>::from_str(text, false)
        .map_err(|_| format!("`{text}` is not one of auto, hardware, valgrind"))
}

/// `90s`, `10m`, `1h`, `500ms`, `2.5s`.
pub(crate) fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let ns = perf_spec::long_duration_ns(text).map_err(|e| format!("`{text}`: {e}"))?;
    // `try_`: a duration too large for a `Duration` is a usage error, not a panic.
    std::time::Duration::try_from_secs_f64(ns / 1e9)
        .map_err(|_| format!("`{text}` is too long a duration"))
}

/// `--load-scale F`: a positive, finite factor.
pub(crate) fn parse_load_scale(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(f) if f.is_finite() && f > 0.0 => Ok(f),
        _ => Err(format!(
            "`{text}` is not a positive factor (write e.g. `0.1` for a tenth of every duration and rate)"
        )),
    }
}

/// `--test-timeout`: a positive duration.
pub(crate) fn parse_test_timeout(text: &str) -> Result<std::time::Duration, String> {
    let d = parse_duration(text)?;
    if d.is_zero() {
        return Err(format!("`{text}`: a test needs a limit longer than zero"));
    }
    Ok(d)
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
    let mut message = first.trim_start_matches("error:").trim().to_string();
    // "the following required arguments were not provided:" names them on the lines below.
    if message.ends_with(':') {
        let listed: Vec<&str> = lines
            .take_while(|l| l.starts_with("  "))
            .map(str::trim)
            .collect();
        message = format!("{} {}", message, listed.join(", "));
    }
    // The help to point at is the subcommand's that clap's usage line names (`run` else).
    let sub = rendered
        .lines()
        .find_map(|l| l.trim().strip_prefix("Usage: cargo perf "))
        .and_then(|rest| rest.split_whitespace().next())
        .filter(|word| subcommand_names().iter().any(|n| n == word))
        .unwrap_or("run");
    let tip = rendered
        .lines()
        .map(str::trim)
        .find_map(|l| l.strip_prefix("tip:"))
        .map(|t| format!("{}; see `cargo perf {sub} --help`", t.trim()));
    CliError::usage(
        message,
        tip.unwrap_or_else(|| format!("see `cargo perf {sub} --help` for the accepted options")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Counting;

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
    fn pre_commit_is_ab_head_with_a_short_budget_saving_nothing() {
        let r = run_args(&["cargo-perf", "perf", "--pre-commit", "-p", "demo", "tok"]);
        let ab = r.pre_commit_ab();
        assert_eq!(ab.base.as_deref(), Some("HEAD"));
        assert!(ab.quick && !ab.calibrate && !ab.merge_base);
        assert_eq!(ab.results.save(), Some(false));
        assert_eq!((ab.min_rounds, ab.max_rounds), PRE_COMMIT_ROUNDS);
        assert_eq!(
            ab.budget, None,
            "a default, so that a profile's budget can fill it"
        );
        assert_eq!(ab.plan().unwrap().budget, PRE_COMMIT_BUDGET);
        assert_eq!(ab.build.packages, ["demo"]);
        assert_eq!(ab.select.filters, ["tok"]);
        let plan = ab.plan().expect("a valid plan");
        assert_eq!(plan.threshold, PRE_COMMIT_THRESHOLD);
        // `--save` and `--threshold` still mean what they say.
        let r = run_args(&["cargo-perf", "--pre-commit", "--save", "--threshold", "3"]);
        let ab = r.pre_commit_ab();
        assert_eq!(ab.results.save(), Some(true));
        assert!((ab.plan().unwrap().threshold - 0.03).abs() < 1e-12);
        // `--quick` alone is still the unpaired quick run.
        assert!(!run_args(&["cargo-perf", "--quick"]).pre_commit);
        let e = parse(["cargo-perf", "--pre-commit", "--list"].map(OsString::from)).unwrap_err();
        assert_eq!(e.kind, crate::cli::errors::ErrorKind::Usage, "{e}");
    }

    #[test]
    fn no_arguments_is_a_default_run() {
        let r = run_args(&["cargo-perf", "perf"]);
        assert_eq!(r.build.profile, "bench");
        assert_eq!(r.report.format, Format::Human);
        assert_eq!(r.stop_rule(), StopRule::adaptive(false));
        assert_eq!(r.load_process_count(), 5);
        assert!((r.regression_threshold() - 0.05).abs() < 1e-12);
        assert_eq!(
            r.verdict.fail_on(),
            FailOn {
                regression: true,
                threshold: true,
                error: true,
                growth: false,
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
        assert!(
            r.select.exact && r.list && r.quick && r.results.no_save && r.select.include_ignored
        );
        assert_eq!(r.stop_rule(), StopRule::adaptive(true));
        assert_eq!(r.load_process_count(), 3);
        assert!((r.regression_threshold() - 0.025).abs() < 1e-12);
        assert!(
            !r.verdict.fail_on().regression
                && r.verdict.fail_on().threshold
                && r.verdict.fail_on().error
        );
        assert_eq!(r.report.format, Format::Json);
        assert_eq!(r.results.machine.as_deref(), Some("ci-box"));
        assert_eq!(r.baseline.as_deref(), Some("main"));
        assert_eq!(r.select.filters, vec!["f"]);
    }

    #[test]
    fn budgets_parse_in_common_units() {
        assert_eq!(parse_duration("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("10m").unwrap(), Duration::from_secs(600));
        assert_eq!(parse_duration("1.5h").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert!(parse_duration("soon").unwrap_err().contains("soon"));
        assert!(parse_duration("-3m").is_err());
    }

    #[test]
    fn every_format_parses_by_its_name() {
        for (name, format) in Format::ALL {
            let r = run_args(&["cargo-perf", "--format", name]);
            assert_eq!(r.report.format, format);
        }
    }

    #[test]
    fn load_scales_must_be_positive_numbers() {
        assert_eq!(parse_load_scale("0.1"), Ok(0.1));
        for bad in ["0", "-1", "fast", "inf", ""] {
            assert!(parse_load_scale(bad).is_err(), "{bad}");
        }
        assert_eq!(
            run_args(&["cargo-perf", "--load-scale", "0.5"]).load_scale,
            Some(0.5)
        );
    }

    #[test]
    fn test_timeout_parses_on_run() {
        let r = run_args(&["cargo-perf", "perf", "--test-timeout", "90s"]);
        assert_eq!(r.test_timeout, Some(std::time::Duration::from_secs(90)));
        let r = run_args(&["cargo-perf", "perf", "run", "--test-timeout", "2m"]);
        assert_eq!(r.test_timeout, Some(std::time::Duration::from_secs(120)));
        assert_eq!(run_args(&["cargo-perf"]).test_timeout, None);
        for bad in ["0s", "soon", "--test-timeout=-1s"] {
            let argv = if bad.starts_with("--") {
                vec!["cargo-perf", bad]
            } else {
                vec!["cargo-perf", "--test-timeout", bad]
            };
            let e = parse(argv.into_iter().map(OsString::from)).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{bad}");
            assert!(
                e.message()
                    .contains(bad.trim_start_matches("--test-timeout=")),
                "{e}"
            );
        }
    }

    fn ab_args(argv: &[&str]) -> AbArgs {
        match parse(argv.iter().map(OsString::from))
            .unwrap()
            .unwrap()
            .command
        {
            Command::Ab(ab) => ab,
            other => panic!("not ab: {other:?}"),
        }
    }

    #[test]
    fn ab_takes_run_s_load_scale_and_instructions_and_pre_commit_passes_them_on() {
        let ab = ab_args(&["cargo-perf", "perf", "ab", "main", "--load-scale", "0.25"]);
        assert_eq!(ab.load_scale, Some(0.25));
        assert_eq!(ab.plan().unwrap().processes.load_scale, Some(0.25));
        let e = parse(["cargo-perf", "ab", "main", "--load-scale", "0"].map(OsString::from));
        assert_eq!(e.unwrap_err().exit_code(), 2);
        let plain = ab_args(&["cargo-perf", "ab", "main"]);
        assert_eq!((plain.load_scale, plain.instructions), (None, None));
        assert_eq!(plain.plan().unwrap().processes.counting, Counting::Off);
        for (flag, mode) in [
            ("--instructions", InstructionsArg::Auto),
            ("--instructions=hardware", InstructionsArg::Hardware),
            ("--instructions=valgrind", InstructionsArg::Valgrind),
        ] {
            assert_eq!(
                ab_args(&["cargo-perf", "ab", "main", flag]).instructions,
                Some(mode)
            );
        }
        let r = run_args(&[
            "cargo-perf",
            "--pre-commit",
            "--load-scale",
            "0.1",
            "--instructions=valgrind",
        ]);
        let ab = r.pre_commit_ab();
        assert_eq!(ab.load_scale, Some(0.1));
        assert_eq!(ab.instructions, Some(InstructionsArg::Valgrind));
        assert_eq!(
            ab.instructions.map(InstructionsArg::requested),
            r.instructions()
        );
    }

    #[test]
    fn test_timeout_parses_on_ab() {
        let argv = ["cargo-perf", "perf", "ab", "main", "--test-timeout", "1.5s"];
        match parse(argv.map(OsString::from)).unwrap().unwrap().command {
            Command::Ab(ab) => {
                assert_eq!(
                    ab.test_timeout,
                    Some(std::time::Duration::from_millis(1500))
                )
            }
            other => panic!("not ab: {other:?}"),
        }
    }

    #[test]
    fn emit_repeats_on_run_compare_and_ab() {
        let emits = [
            "--emit",
            "json=r.json",
            "--emit",
            "junit=j.xml",
            "--emit",
            "markdown=c.md",
        ];
        let argv: Vec<&str> = ["cargo-perf", "perf", "run"]
            .into_iter()
            .chain(emits)
            .collect();
        let out = run_args(&argv).report.output().unwrap();
        let formats: Vec<Format> = out.emits.iter().map(|e| e.format).collect();
        assert_eq!(formats, [Format::Json, Format::Junit, Format::Markdown]);
        assert_eq!(out.format, Format::Human, "--format keeps its meaning");
        for command in [&["compare"][..], &["ab", "main"][..]] {
            let argv: Vec<&str> = ["cargo-perf", "perf"]
                .into_iter()
                .chain(command.iter().copied())
                .chain(emits)
                .collect();
            let report = match parse(argv.iter().map(OsString::from))
                .unwrap()
                .unwrap()
                .command
            {
                Command::Compare(c) => c.report,
                Command::Ab(a) => a.report,
                other => panic!("{other:?}"),
            };
            assert_eq!(report.output().unwrap().emits.len(), 3, "{command:?}");
        }
    }

    #[test]
    fn never_fails_on_nothing() {
        let r = run_args(&["cargo-perf", "--fail-on", "never"]);
        assert!(
            !r.verdict.fail_on().regression
                && !r.verdict.fail_on().threshold
                && !r.verdict.fail_on().error
        );
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

    #[test]
    fn a_missing_required_argument_is_named() {
        let argv = ["cargo-perf", "perf", "k8s-job", "--segments", "2"];
        let e = parse(argv.iter().map(OsString::from)).unwrap_err();
        assert!(e.message().contains("--image <IMAGE>"), "{e}");
        assert!(e.help().contains("`cargo perf k8s-job --help`"), "{e}");
    }

    #[test]
    fn k8s_job_options_become_the_manifest_spec() {
        use crate::cli::engines::k8s::{Mode, Results, Token};
        let argv = [
            "cargo-perf",
            "perf",
            "k8s-job",
            "--segments",
            "3",
            "--image",
            "app:1",
            "--upload",
            "true",
            "--token-secret",
            "mine",
            "load",
            "--",
            "--quick",
        ];
        let cli = parse(argv.iter().map(OsString::from)).unwrap().unwrap();
        let Command::K8sJob(args) = cli.command else {
            panic!("not k8s-job: {:?}", cli.command)
        };
        let spec = args.spec();
        assert_eq!((spec.mode, spec.count), (Mode::Segments, 3));
        assert_eq!(spec.results, Some(Results::Upload("true".into())));
        assert_eq!(spec.token, Some(Token::Secret("mine".into())));
        assert_eq!(
            (spec.filters, spec.extra),
            (vec!["load".into()], vec!["--quick".into()])
        );
        assert_eq!((spec.port, spec.results_dir.as_str()), (None, "/results"));
    }
}
