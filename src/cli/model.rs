//! The data the CLI's steps pass each other: the JSON report (contract section 5) as Rust
//! types, a test's id, and the rule that turns a finished report into an exit code. Every
//! format renders these; every command builds one [`Report`] and calls [`Report::finish`].

use serde::{Deserialize, Serialize};

pub use crate::cli::compare::levels::Level;
use crate::metrics::{CustomMetric, Metrics};
use crate::protocol::{LoadDetails, MemoryDetails, TestKind, Throughput};
use crate::threshold::ThresholdCheck;

/// Version of [`Report`]'s shape; bumped on incompatible changes.
pub const REPORT_SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    pub schema_version: u32,
    pub tool_version: String,
    /// HEAD's full commit id, or `None` outside git / on an unborn branch.
    pub commit: Option<String>,
    pub dirty: bool,
    pub baseline: BaselineRef,
    pub machine: MachineInfo,
    pub summary: Summary,
    pub tests: Vec<TestReport>,
    /// Why results were not saved or compared, and similar things the reader should know.
    #[serde(default)]
    pub notes: Vec<String>,
    /// When the measurements started, RFC 3339 UTC (`compare`: when the head record was
    /// stored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    /// How long the run took, nanoseconds (`compare`: the head record's test wall times).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ns: Option<u64>,
    /// Each family of `args` tests (`sort/100`, `sort/1000`, ...): how its figure grows with
    /// the argument ([`crate::cli::compare::growth`]). Absent when the run has no family.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub growth: Vec<Growth>,
    /// `compare`/`ab --require`: each speed-up requirement judged on each test it covers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requirements: Vec<RequirementCheck>,
    /// The `.config/perf.toml` profile the run used (`run` only; absent without the file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub perf_profile: Option<String>,
    /// `run --segment M/N`: this report is one segment of each load test (0-based `index`),
    /// evidence for `cargo perf merge`. Its thresholds are kept but not judged (statuses are
    /// `passed` unless a test errored); nothing was compared or saved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment: Option<SegmentMark>,
    /// `--partition`: this report is one shard of a suite, to be recombined by `cargo perf
    /// merge` (absent in whole runs and in merged reports).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<Shard>,
}

/// Which segment a segment report is: 0-based `index` of `count` (as the wire's `Segment`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentMark {
    pub index: u32,
    pub count: u32,
}

/// A shard's identity and what `cargo perf merge` needs to judge the whole suite exactly as
/// one run would: the suite it is a share of, the comparison settings, and the baseline
/// evidence its tests were compared against.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Shard {
    /// `hash` or `slice` ([`crate::cli::partition`]).
    pub kind: String,
    /// Which shard, 0-based (`--partition hash:2/3` is index 1; text shows it 1-based).
    pub index: u32,
    /// How many shards the suite is split into.
    pub count: u32,
    /// The command that measured it: `run` or `ab`.
    pub command: String,
    /// How many tests the selection took before partitioning.
    pub suite_tests: usize,
    /// FNV-1a 64 of the sorted selected ids before partitioning, 16 hex digits.
    pub suite_digest: String,
    /// The comparison's threshold and error rate: `run`'s false-discovery rate (BH), `ab`'s
    /// family-wise rate (Holm).
    pub threshold: f64,
    pub alpha: f64,
    /// `ab`: the level of the paired intervals (0.05 = 95 %), which a merge recomputes the
    /// verdicts of tests no longer significant suite-wide with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci_alpha: Option<f64>,
    /// The compiler version and cargo profile, which a merged `--save` stores with the record.
    pub rustc: String,
    pub profile: String,
    /// The baseline's figures of this shard's tests as they were compared (an accepted
    /// level in place of the stored one), for the suite-wide re-comparison.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub baseline_tests: Vec<TestReport>,
    /// This shard's tests' own `noise` thresholds, by test id.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub noise: std::collections::BTreeMap<String, f64>,
    /// Tests outside this shard's share that it ran only because one of its tests' ratios
    /// (`overhead("other")`) needs their figures; `merge` keeps their owning shard's copy.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub companions: Vec<String>,
}

/// One `--require '[FILTER] speedup >= 5x'` judged on one test: passed only when the lower end
/// of the speed-up's confidence interval meets the limit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequirementCheck {
    /// The requirement as written.
    pub requirement: String,
    /// The test's id; `None` when the requirement covered no compared test (then failed).
    pub test: Option<String>,
    /// The speed-up factor required (base time / head time).
    pub limit: f64,
    /// The measured speed-up (base / head of the compared time metric).
    pub speedup: Option<f64>,
    /// Its confidence interval, `[low, high]`; `low` is what is judged.
    pub ci: Option<[f64; 2]>,
    /// By how much it passed (positive) or missed (negative): `ci[0] / limit - 1`.
    pub margin: Option<f64>,
    pub passed: bool,
    /// Why there was nothing to judge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Report {
    /// A report of `tests` measured (or read) on `machine`, before any comparison: no commit,
    /// no baseline. The summary is computed by [`Report::finish`], once, when all is known.
    pub fn new(machine: MachineInfo, tests: Vec<TestReport>, notes: Vec<String>) -> Report {
        Report {
            schema_version: REPORT_SCHEMA_VERSION,
            tool_version: crate::protocol::LIBRARY_VERSION.to_string(),
            commit: None,
            dirty: false,
            baseline: BaselineRef::default(),
            machine,
            summary: Summary::default(),
            tests,
            notes,
            started_at: None,
            duration_ns: None,
            growth: Vec::new(),
            requirements: Vec::new(),
            perf_profile: None,
            segment: None,
            shard: None,
        }
    }

    /// Computes the summary from the tests (statuses and verdicts): the one place it is done.
    pub fn finish(mut self) -> Report {
        self.summary = Summary::of(&self.tests);
        self
    }
}

impl Summary {
    /// Counts by status and by comparison verdict.
    pub fn of(tests: &[TestReport]) -> Summary {
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
}

/// `--fail-on`: which findings turn the exit code to 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailOn {
    pub regression: bool,
    pub threshold: bool,
    pub error: bool,
    /// A family's growth exponent got steeper against the baseline (opt-in: not in the
    /// default list, since an exponent fitted over a few sizes is a finding to look at
    /// rather than a gate).
    pub growth: bool,
}

impl Default for FailOn {
    /// `regression,threshold,error`: everything fails the run.
    fn default() -> Self {
        FailOn {
            regression: true,
            threshold: true,
            error: true,
            growth: false,
        }
    }
}

impl FailOn {
    /// 1 when something this selects happened in `report`, else 0: the rule of every command.
    pub fn exit_code(self, report: &Report) -> i32 {
        let failed_threshold = report.tests.iter().any(|t| t.status == Status::Failed);
        let errored = report.tests.iter().any(|t| t.status == Status::Error);
        let regressed = report.summary.regressed > 0;
        let steeper = report
            .growth
            .iter()
            .any(|g| g.change == Some(GrowthChange::Steeper));
        // A `--require` was asked for explicitly: missing it fails whatever `--fail-on` says.
        let missed = report.requirements.iter().any(|r| !r.passed);
        let fail = missed
            || (self.threshold && failed_threshold)
            || (self.error && errored)
            || (self.regression && regressed)
            || (self.growth && steeper);
        if fail {
            crate::cli::errors::exit::FAILED
        } else {
            crate::cli::errors::exit::OK
        }
    }
}

/// A test's identity across a workspace: `package/target/name`, the key results are stored
/// under and the `id` of the JSON report.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TestId {
    pub package: String,
    pub target: String,
    pub name: String,
}

impl TestId {
    pub fn new(package: &str, target: &str, name: &str) -> TestId {
        TestId {
            package: package.to_owned(),
            target: target.to_owned(),
            name: name.to_owned(),
        }
    }
}

impl std::fmt::Display for TestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}/{}", self.package, self.target, self.name)
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BaselineRef {
    pub commit: Option<String>,
    /// What the user asked for (`--baseline main`), or `None` for the default.
    #[serde(rename = "ref")]
    pub reference: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MachineInfo {
    pub id: String,
    pub cpu: String,
    pub cores: usize,
    pub os: String,
    pub arch: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub total: usize,
    pub passed: usize,
    /// Tests that failed a threshold or could not run (status `failed` or `error`).
    pub failed: usize,
    pub regressed: usize,
    pub improved: usize,
    pub unchanged: usize,
    pub new: usize,
    #[serde(default)]
    pub inconclusive: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Ran, and every threshold held.
    Passed,
    /// Ran, and a threshold failed.
    Failed,
    /// Could not be measured: a panic, a timeout, a crash, a bad override.
    Error,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TestReport {
    /// `package/target/name`: unique across a workspace, and the key results are stored under.
    pub id: String,
    pub package: String,
    pub target: String,
    pub name: String,
    pub kind: TestKind,
    pub status: Status,
    pub error: Option<String>,
    pub metrics: Metrics,
    /// A 95 % confidence interval of `metrics.median_ns` that includes between-process variation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub median_ci_ns: Option<[f64; 2]>,
    pub thresholds: Vec<ThresholdCheck>,
    pub comparison: Option<Comparison>,
    /// Each independent process's figures: what later comparisons are computed from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub processes: Vec<Metrics>,
    /// When the processes' medians disagree (two or more groups more than 10 % apart), each
    /// group's median and size, lowest first; absent when they agree.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub levels: Vec<Level>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub custom: Vec<CustomMetric>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Wall time spent on this test, all processes together.
    #[serde(default)]
    pub wall_ns: u64,
    /// What one iteration processes, when the bench declared it: `throughput_per_sec` is then
    /// bytes or elements per second rather than iterations per second.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throughput_unit: Option<Throughput>,
    /// Load-test specifics (stages, timeline, errors, scheduler lag) of the representative
    /// process: the one whose headline figure is the median of the processes'.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load: Option<LoadDetails>,
    /// Memory specifics (RSS before/after/peak, allocator totals, leak verdict) of the same process.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<MemoryDetails>,
    /// A load mix's operations: each one's headline figures over the processes, stored and
    /// compared between commits like the test's own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub operations: Vec<OperationReport>,
}

/// One operation of a load mix, as the report and the store keep it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OperationReport {
    pub name: String,
    /// Each figure as the median over the processes (like the test's `metrics`).
    pub metrics: Metrics,
    /// Each process's figures: the spread the comparison judges a change against.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub processes: Vec<Metrics>,
    /// Against the baseline's same operation: its deciding metric (`p99_ns`,
    /// `throughput_per_sec`, `success_rate`). Absent when not compared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comparison: Option<Comparison>,
}

impl TestReport {
    /// A test that has not produced figures yet (status `error` until it does).
    pub fn new(id: &TestId, kind: TestKind, tags: Vec<String>) -> TestReport {
        TestReport {
            id: id.to_string(),
            package: id.package.clone(),
            target: id.target.clone(),
            name: id.name.clone(),
            kind,
            status: Status::Error,
            error: None,
            metrics: Metrics::default(),
            median_ci_ns: None,
            thresholds: Vec::new(),
            comparison: None,
            processes: Vec::new(),
            levels: Vec::new(),
            custom: Vec::new(),
            tags,
            wall_ns: 0,
            throughput_unit: None,
            load: None,
            memory: None,
            operations: Vec::new(),
        }
    }

    /// The test as the store keeps it: measured figures, no verdict (a verdict belongs to a
    /// comparison, not to the measurement).
    pub fn as_stored(&self) -> TestReport {
        let mut stored = TestReport {
            comparison: None,
            ..self.clone()
        };
        for op in &mut stored.operations {
            op.comparison = None;
        }
        stored
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Comparison {
    pub baseline_commit: Option<String>,
    /// The metric compared (`median_ns` for benches, `p99_ns` for load tests, ...).
    pub metric: String,
    pub baseline: Option<f64>,
    pub current: Option<f64>,
    /// Relative change, positive = worse for a lower-is-better metric (+0.034 = 3.4 % slower).
    pub change: Option<f64>,
    /// Confidence interval of `change`.
    pub ci: Option<[f64; 2]>,
    pub verdict: Verdict,
    /// The smallest change this comparison could have detected, as a fraction (`cargo perf ab`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub could_detect: Option<f64>,
    /// `cargo perf ab`: the paired rounds the verdict was computed from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rounds: Option<AbRounds>,
    /// How far beyond the threshold a `regressed` or `improved` change is ([`Severity::of`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    /// Every metric the test was compared on, the deciding one included (`run`, `compare`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub metrics: Vec<MetricChange>,
    /// How the verdict was reached, when it is not the usual statistical comparison:
    /// `deterministic (instructions)` for an instruction count compared as an exact figure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The test was compared against a level accepted with `cargo perf accept`: its
    /// `baseline_commit` is the accepted commit, not the report's baseline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted: Option<Accepted>,
}

/// An accepted level a test was compared against: where and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accepted {
    pub commit: String,
    pub reason: String,
}

/// One compared metric of a test: what the reports list under a changed test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricChange {
    pub metric: String,
    pub baseline: f64,
    pub current: f64,
    /// Relative change, positive = a higher figure (whichever direction is better).
    pub change: Option<f64>,
    pub ci: Option<[f64; 2]>,
    pub verdict: Verdict,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
}

/// How far beyond its threshold a change is, by the multiple `|change| / threshold`:
/// below 2x `minor`, from 2x to below 4x `major`, 4x and more `critical`. For metrics judged
/// by an absolute step (allocations per iteration, success-rate points) the multiple is the
/// step count: `|difference| / smallest step`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Minor,
    Major,
    Critical,
}

impl Severity {
    /// The multiple of the threshold from which a change is `major`.
    pub const MAJOR_AT: f64 = 2.0;
    /// The multiple of the threshold from which a change is `critical`.
    pub const CRITICAL_AT: f64 = 4.0;

    /// The severity of a change `multiple` times its threshold, for a verdict that is a
    /// change (`regressed`, `improved`); `None` for every other verdict. The one place
    /// severity is decided, for `run`, `compare` and `ab` alike.
    pub fn of(verdict: Verdict, multiple: f64) -> Option<Severity> {
        if !matches!(verdict, Verdict::Regressed | Verdict::Improved) || multiple.is_nan() {
            return None;
        }
        Some(if multiple >= Severity::CRITICAL_AT {
            Severity::Critical
        } else if multiple >= Severity::MAJOR_AT {
            Severity::Major
        } else {
            Severity::Minor
        })
    }

    /// `minor`, `major`, `critical`: the JSON name, used by every format.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Minor => "minor",
            Severity::Major => "major",
            Severity::Critical => "critical",
        }
    }
}

/// How a family of `args` tests (`sort/100`, `sort/1000`, ...) grows with its argument.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Growth {
    /// `package/target/stem`: the family's tests are `<family>/<arg>`.
    pub family: String,
    /// The stem (`sort`), as the reports print it.
    pub name: String,
    /// The figure fitted against the argument (`median_ns` for benches, `p99_ns` for load
    /// tests) or, for a load family whose arguments are its concurrency levels,
    /// `throughput_per_sec`.
    pub metric: String,
    /// The arguments, by size when they are numbers (as the test names spell them).
    pub args: Vec<String>,
    /// The head's fit: `metric ∝ n^exponent`. Absent when no fit could be made (`note` says why).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fit: Option<GrowthFit>,
    /// The same fit of the baseline's tests of these arguments, when compared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<GrowthFit>,
    /// Whether the exponent changed against the baseline (both fits present).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change: Option<GrowthChange>,
    /// A load family over concurrency levels: throughput per level against perfect scaling
    /// from the lowest level.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scaling: Vec<ScalingLevel>,
    /// Why there is no fit (too few sizes, arguments that are not numbers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A log-log least-squares fit of a figure against size: `figure ∝ n^exponent`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GrowthFit {
    pub exponent: f64,
    /// 95 % confidence interval of `exponent`.
    pub ci: [f64; 2],
    /// How many sizes the fit used.
    pub sizes: usize,
}

/// A change of growth exponent between the baseline and the head.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrowthChange {
    /// The head grows faster: its interval lies above the baseline's (by at least
    /// [`crate::cli::compare::growth::GROWTH_STEP`]).
    Steeper,
    /// The head grows slower: its interval lies below the baseline's.
    Flatter,
    /// The intervals overlap, or the exponents differ by less than the step.
    Unchanged,
}

/// One concurrency level of a load family: `efficiency` is `throughput(c) / (c / c0 ×
/// throughput(c0))` with `c0` the lowest level (1.0 = perfect scaling).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ScalingLevel {
    pub concurrency: u64,
    pub throughput_per_sec: f64,
    pub efficiency: f64,
}

/// The paired base/head rounds of one test in `cargo perf ab`, and what they came to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AbRounds {
    /// `[base, head]` figures of the compared metric, one pair per round, in the order run.
    pub pairs: Vec<[f64; 2]>,
    /// Fresh rounds that confirmed (or not) a change before it was reported.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub confirm_pairs: Vec<[f64; 2]>,
    /// Signed-rank p-value of "no change", before any correction.
    pub p_value: Option<f64>,
    /// The same after the corrections for sequential looks and for the other tests (Holm).
    pub adjusted_p: Option<f64>,
    /// The threshold this test was judged with, as a fraction.
    pub threshold: f64,
    /// How many sequential looks `p_value` paid for (`adjusted_p` is Holm over every test's
    /// `min(1, p_value × looks)`): what `merge` needs to redo Holm over a sharded suite.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub looks: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Regressed,
    Improved,
    Unchanged,
    Inconclusive,
    New,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::testing::{bench, report};

    fn test(status: Status, verdict: Option<Verdict>) -> TestReport {
        let t = bench("p/t/n").status(status);
        match verdict {
            Some(v) => t.verdict(v).build(),
            None => t.build(),
        }
    }

    #[test]
    fn summary_counts_statuses_and_verdicts() {
        let s = Summary::of(&[
            test(Status::Passed, Some(Verdict::Regressed)),
            test(Status::Failed, Some(Verdict::Unchanged)),
            test(Status::Error, None),
            test(Status::Passed, Some(Verdict::New)),
        ]);
        assert_eq!((s.total, s.passed, s.failed), (4, 2, 2));
        assert_eq!((s.regressed, s.unchanged, s.new, s.improved), (1, 1, 1, 0));
    }

    #[test]
    fn finish_computes_the_summary_from_the_tests() {
        let mut r = Report::new(MachineInfo::default(), vec![], vec![]);
        r.tests.push(test(Status::Passed, Some(Verdict::Regressed)));
        assert_eq!(r.summary.total, 0, "nothing is counted before finish");
        let r = r.finish();
        assert_eq!((r.summary.total, r.summary.regressed), (1, 1));
    }

    #[test]
    fn exit_code_follows_fail_on() {
        let failed = report(vec![test(Status::Passed, None), test(Status::Failed, None)]);
        let errored = report(vec![test(Status::Error, None)]);
        let regressed = report(vec![test(Status::Passed, Some(Verdict::Regressed))]);
        let clean = report(vec![test(Status::Passed, Some(Verdict::Unchanged))]);
        let all = FailOn::default();
        for r in [&failed, &errored, &regressed] {
            assert_eq!(all.exit_code(r), 1);
        }
        assert_eq!(all.exit_code(&clean), 0);
        let never = FailOn {
            regression: false,
            threshold: false,
            error: false,
            growth: false,
        };
        for r in [&failed, &errored, &regressed] {
            assert_eq!(never.exit_code(r), 0);
        }
        let only_errors = FailOn {
            error: true,
            ..never
        };
        assert_eq!(only_errors.exit_code(&failed), 0);
        assert_eq!(only_errors.exit_code(&errored), 1);
        assert_eq!(only_errors.exit_code(&regressed), 0);
    }

    #[test]
    fn severity_boundaries_are_two_and_four_times_the_threshold() {
        let of = |m: f64| Severity::of(Verdict::Regressed, m);
        assert_eq!(of(1.0), Some(Severity::Minor));
        assert_eq!(of(1.999), Some(Severity::Minor));
        assert_eq!(of(2.0), Some(Severity::Major));
        assert_eq!(of(3.999), Some(Severity::Major));
        assert_eq!(of(4.0), Some(Severity::Critical));
        assert_eq!(of(40.0), Some(Severity::Critical));
        assert_eq!(of(f64::INFINITY), Some(Severity::Critical));
        assert_eq!(of(f64::NAN), None);
        assert_eq!(
            Severity::of(Verdict::Improved, 2.5),
            Some(Severity::Major),
            "an improvement has a severity too"
        );
        for v in [Verdict::Unchanged, Verdict::Inconclusive, Verdict::New] {
            assert_eq!(Severity::of(v, 10.0), None, "{v:?} is not a change");
        }
        assert!(Severity::Critical > Severity::Major && Severity::Major > Severity::Minor);
    }

    #[test]
    fn a_test_id_reads_package_target_name() {
        let id = TestId::new("pkg", "perf", "sort/100");
        assert_eq!(id.to_string(), "pkg/perf/sort/100");
        let t = TestReport::new(&id, TestKind::Bench, vec![]);
        assert_eq!(
            (t.id.as_str(), t.package.as_str()),
            ("pkg/perf/sort/100", "pkg")
        );
        assert_eq!(t.status, Status::Error, "no figures yet");
    }
}
