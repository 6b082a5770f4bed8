//! The wire between `cargo perf` and the harness binaries: versioned serde types used by both
//! sides. Requests and responses travel through files named in environment variables, so the
//! harness's stdout stays libtest's and a user's `println!` can never corrupt a result.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::metrics::{CustomMetric, Metrics};
use crate::threshold::Threshold;

/// Bumped whenever a type in this module changes incompatibly.
pub const PROTOCOL_VERSION: u32 = 1;

/// Set by `cargo perf` to [`PROTOCOL_VERSION`]; its presence puts the harness in protocol mode.
pub const ENV_PROTOCOL: &str = "CARGO_PERF_PROTOCOL";
/// Path of the JSON [`Request`] file.
pub const ENV_REQUEST: &str = "CARGO_PERF_REQUEST";
/// Set by `cargo perf` when the harness's stdin is a lifeline: a pipe it never writes, which
/// reaches end-of-file when `cargo perf` is gone; the harness then exits with
/// [`LIFELINE_EXIT_CODE`] instead of running on as an orphan.
pub const ENV_LIFELINE: &str = "CARGO_PERF_LIFELINE";
/// Set by `cargo perf --instructions` in Valgrind mode to the file it passed Callgrind as
/// `--callgrind-out-file`: the harness reads its own dumps (`<file>.<part>`) from there.
pub const ENV_CALLGRIND_OUT: &str = "CARGO_PERF_CALLGRIND_OUT";
/// The exit code of a harness whose lifeline closed.
pub const LIFELINE_EXIT_CODE: i32 = 3;

/// Embedded in every harness binary; `cargo perf` looks for it before running an executable,
/// so that it never starts a test binary that is not a perf suite.
pub const HARNESS_MARKER: &str = "cargo-perf-harness-protocol:1:e3b9c2";

/// The version of the `cargo-perf` library (and binary) that built this code.
pub const LIBRARY_VERSION: &str = env!("CARGO_PKG_VERSION");

/// What `cargo perf` asks one harness process to do.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Request {
    pub protocol: u32,
    pub tool_version: String,
    /// Where the harness writes its [`Envelope`] (atomically: a temporary file, then a rename).
    pub out: PathBuf,
    pub action: Action,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Action {
    /// Describe every registered perf test.
    List,
    /// Run one test, by its full name, once.
    Run { test: String, settings: Settings },
}

/// How long and how carefully to measure.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    pub mode: Mode,
    /// Warm-up before samples are kept.
    pub warmup_ns: u64,
    /// Time spent taking samples (for a load test: the default duration, when it sets none).
    pub measure_ns: u64,
    /// Which of the independent processes of this test this is (0-based), and how many there are.
    pub process_index: u32,
    pub processes: u32,
    /// `cargo perf --load-scale F`: multiplies every load-test duration and rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_scale: Option<f64>,
    /// `--instructions`: how instructions are counted, if they are.
    #[serde(default)]
    pub counting: Counting,
    /// `cargo perf --segment M/N`: run only this segment's share of each load test.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment: Option<Segment>,
    /// `--start-at TIME` (or the rendezvous's broadcast): when a load test's plan starts, in
    /// nanoseconds since the Unix epoch, the same instant for every segment of the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_at_unix_ns: Option<u64>,
}

/// One segment of a load test spread over N processes (`--segment M/N`): `index` is 0-based
/// (the CLI's M is 1-based, as nextest's partitions are).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    pub index: u32,
    pub count: u32,
}

/// What a segmented load test records about its segment, for `cargo perf merge`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SegmentFigures {
    /// 0-based, as in [`Segment`].
    pub index: u32,
    pub count: u32,
    /// The common start, nanoseconds since the Unix epoch (absent without `--start-at`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_at_unix_ns: Option<u64>,
    /// How late this segment's plan actually started after the common start (its wall clock).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_skew_ns: Option<i64>,
}

/// How a process counts instructions (`cargo perf --instructions`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Counting {
    /// Time only.
    #[default]
    Off,
    /// Hardware counters (`perf_event_open`) around a counting pass after the timed samples.
    Hardware,
    /// The process runs under Callgrind: instructions only, no timing (its clock is Valgrind's).
    Valgrind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// `cargo test`: run the body a few times for correctness; thresholds are not enforced.
    Smoke,
    /// `cargo perf` and `cargo bench`: measure.
    Measure,
}

impl Settings {
    /// One short pass under `cargo test`.
    pub fn smoke() -> Settings {
        Settings {
            mode: Mode::Smoke,
            warmup_ns: 0,
            measure_ns: 2_000_000,
            process_index: 0,
            processes: 1,
            load_scale: None,
            counting: Counting::Off,
            segment: None,
            start_at_unix_ns: None,
        }
    }

    /// One process of the default `cargo perf` budget.
    pub fn measured(processes: u32, process_index: u32, quick: bool) -> Settings {
        let (warmup_ms, measure_ms) = if quick { (40, 120) } else { (150, 600) };
        Settings::measuring(warmup_ms, measure_ms, process_index, processes)
    }

    /// One process of a micro benchmark under `cargo perf run`: shorter than [`Settings::measured`],
    /// because the runner adds processes until the median is precise enough (its sequential
    /// rule), and many short processes sample the machine's states better than a few long ones.
    /// Both budgets sample for less than 5000 samples of 32 µs, so both run the same batches.
    /// 20 + 60 ms keeps the default's cap of 12 processes under 1 s per test (issue 12's goal:
    /// 0.97 s measured by `scripts/compare-tools.sh`, with a spread over runs and a 4x-work
    /// ratio no worse than at 30 + 90 ms).
    pub fn bench_process(processes: u32, process_index: u32, quick: bool) -> Settings {
        let (warmup_ms, measure_ms) = if quick { (15, 40) } else { (20, 60) };
        Settings::measuring(warmup_ms, measure_ms, process_index, processes)
    }

    /// A measured process warming up for `warmup_ms` and sampling for `measure_ms`, timed
    /// only (no load scale, no instruction counting: the caller sets those).
    pub fn measuring(
        warmup_ms: u64,
        measure_ms: u64,
        process_index: u32,
        processes: u32,
    ) -> Settings {
        Settings {
            mode: Mode::Measure,
            warmup_ns: warmup_ms * 1_000_000,
            measure_ns: measure_ms * 1_000_000,
            process_index,
            processes,
            load_scale: None,
            counting: Counting::Off,
            segment: None,
            start_at_unix_ns: None,
        }
    }

    pub fn is_smoke(&self) -> bool {
        self.mode == Mode::Smoke
    }
}

/// Every response file: the versions first, so a mismatch is reported before the body is read.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Envelope {
    pub protocol: u32,
    pub library_version: String,
    pub body: Response,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Response {
    List {
        tests: Vec<TestInfo>,
    },
    Run(Box<RunResult>),
    /// The harness could not act on the request (unknown test, protocol mismatch, ...).
    Error {
        message: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TestKind {
    Bench,
    Load,
}

impl TestKind {
    #[cfg(feature = "cli")] // the reports' only
    pub fn as_str(self) -> &'static str {
        match self {
            TestKind::Bench => "bench",
            TestKind::Load => "load",
        }
    }
}

/// One registered perf test, as `--list` and `cargo perf` see it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TestInfo {
    pub name: String,
    pub kind: TestKind,
    pub tags: Vec<String>,
    pub ignored: bool,
    pub file: String,
    pub line: u32,
    /// The attribute's thresholds with `PERF_<TEST>_<KEY>` overrides applied.
    pub thresholds: Vec<Threshold>,
    /// Ratios to other tests of the same run, which `cargo perf` judges after the run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ratios: Vec<crate::threshold::RatioThreshold>,
    /// Set when an override variable was malformed: the test cannot be judged.
    pub threshold_error: Option<String>,
    pub timeout_ns: Option<u64>,
    /// This test's regression threshold as a fraction (`noise = "5%"` is 0.05).
    pub noise: Option<f64>,
}

/// The result of running one test in one process.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunResult {
    pub name: String,
    pub kind: TestKind,
    pub outcome: Outcome,
    /// Present when the body ran to the end (also when it failed a check afterwards).
    pub measurement: Option<Measurement>,
    /// Wall time of the whole test in this process, warm-up included.
    pub wall_ns: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    Passed,
    /// A panic in the body, or a body that measured nothing.
    Failed {
        message: String,
    },
    TimedOut {
        after_ns: u64,
    },
}

/// The figures one process measured for one test.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Measurement {
    pub metrics: Metrics,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bench: Option<BenchDetails>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load: Option<LoadDetails>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<MemoryDetails>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub custom: Vec<CustomMetric>,
    /// Limits checked in the harness (per operation, stage or fault, custom metrics,
    /// resources) and the test's named checks, reported beside the thresholds.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<crate::threshold::ThresholdCheck>,
    /// Process CPU over the test body (load tests: over the run), percent of one core.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_percent: Option<f64>,
}

/// Micro-benchmark specifics of one process.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BenchDetails {
    /// Iterations timed (warm-up excluded).
    pub iterations: u64,
    pub samples: u64,
    /// Iterations per sample in the final sampling phase.
    pub batch: u64,
    /// The measured cost of reading the clock once, subtracted from every sample.
    pub timer_overhead_ns: f64,
    /// A bootstrap 95 % confidence interval of this process's median.
    pub median_ci_ns: [f64; 2],
    pub outliers: Outliers,
    /// Per-iteration times as (picoseconds, count) pairs: a lossless-enough copy of the
    /// process's hdrhistogram so that `cargo perf` can merge processes exactly.
    pub histogram_ps: Vec<[u64; 2]>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throughput: Option<Throughput>,
}

/// Tukey-fence outlier counts of the samples.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outliers {
    pub low_severe: u64,
    pub low_mild: u64,
    pub high_mild: u64,
    pub high_severe: u64,
}

/// What one iteration processes, to report throughput in bytes or elements per second.
///
/// ```
/// use cargo_perf::{black_box, perf_test, Bencher, Throughput};
///
/// #[perf_test]
/// fn checksum(b: &mut Bencher) {
///     let data = vec![7u8; 4096];
///     b.throughput(Throughput::Bytes(data.len() as u64));
///     b.iter(|| black_box(&data).iter().map(|&x| x as u64).sum::<u64>());
/// }
/// # fn main() {}
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Throughput {
    Bytes(u64),
    Elements(u64),
}

/// Load-test specifics of one process (filled by the load module).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LoadDetails {
    pub model: LoadModel,
    /// Closed model: the highest number of workers the plan reaches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<u64>,
    /// Open model: the highest offered rate the plan reaches, in operations per second.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_per_sec: Option<f64>,
    /// Open model: operations allowed in flight at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_in_flight: Option<u64>,
    /// Wall time of the counted part of the run (ramp-up excluded).
    pub duration_ns: u64,
    /// Operations completed in the counted part of the run (failed ones included).
    pub operations: u64,
    /// Of those, how many failed (`false`, `Err`, a panic).
    pub failures: u64,
    /// The most frequent failure messages, most frequent first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ErrorCount>,
    /// Open model: operations scheduled before the end that never started, because the
    /// in-flight cap stayed full.
    #[serde(default)]
    pub dropped: u64,
    /// Open model: operations that started after their scheduled time because the in-flight
    /// cap was full. Their latency counts from the scheduled time.
    #[serde(default)]
    pub late: u64,
    /// Operations still running when the drain time after the end ran out; not counted.
    #[serde(default)]
    pub unfinished: u64,
    /// Open model: the scheduler's own delay (actual minus scheduled start), median and 99th
    /// percentile (operations held back by the in-flight cap excluded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduler_lag_p50_ns: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduler_lag_p99_ns: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduler_lag_max_ns: Option<f64>,
    /// Figures per phase of the plan (ramp-up, then each stage or the steady run).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stages: Vec<StageFigures>,
    /// Width of one timeline bucket (one second, or less for runs of a few seconds).
    pub timeline_bucket_ns: u64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub timeline: Vec<TimelinePoint>,
    /// CPU and resident memory of this process, sampled during the run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<ResourceSample>,
    /// False when the generator could not keep its own schedule (its lag would distort the
    /// latencies); `invalid_reason` says why.
    pub valid: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invalid_reason: Option<String>,
    /// Latencies of the counted operations as (nanoseconds, count) pairs, so that `cargo perf`
    /// can merge processes exactly.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub histogram_ns: Vec<[u64; 2]>,
    /// Set by `find_capacity`: every rate tried and the highest one that met the goal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<CapacityReport>,
    /// Per-operation figures of a mix (absent for a one-operation `run`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub by_operation: Vec<OperationFigures>,
    /// The fault windows, when their hooks ran, and how long recovery took.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<FaultFigures>,
    /// `--segment M/N`: which segment this is and how well it kept the common start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment: Option<SegmentFigures>,
    /// `--segment M/N` only: the hdrhistogram precision of every `histogram_ns` of this
    /// measurement; `cargo perf merge` refuses to combine segments that differ.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub histogram_config: Option<HistogramConfig>,
    /// `--segment M/N`, open model only: the scheduler's lag as (nanoseconds, count) pairs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scheduler_lag_histogram_ns: Vec<[u64; 2]>,
    /// `--segment M/N` only: the raw counts behind the load counters and ratios among the
    /// custom metrics (`ctx.count`, `ctx.ratio`), which the merge sums and divides again.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub counters: Vec<CounterCount>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ratios: Vec<RatioCount>,
    /// A merged load test (`cargo perf merge` of segments): every segment's own figures, for
    /// diagnosis (the merged figures above are judged). Empty for a single process.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub segments: Vec<SegmentSummary>,
}

/// The precision (significant decimal digits) of a segmented load test's histograms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistogramConfig {
    /// Latencies of operations, stages and the whole run (and the scheduler lag).
    pub significant_digits: u8,
    /// Latencies of one timeline bucket.
    pub timeline_significant_digits: u8,
}

/// A load counter's total (`ctx.count(name, n)`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CounterCount {
    pub name: String,
    pub count: u64,
}

/// A load ratio's raw counts (`ctx.ratio(name, yes)`): `yes` of `total`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RatioCount {
    pub name: String,
    pub yes: u64,
    pub total: u64,
}

/// One segment of a merged load test, as it ran on its own.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SegmentSummary {
    pub segment: SegmentFigures,
    /// The segment's own headline figures (its share's throughput, its own percentiles).
    pub metrics: Metrics,
    pub operations: u64,
    pub failures: u64,
    pub dropped: u64,
    pub late: u64,
    pub unfinished: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduler_lag_p99_ns: Option<f64>,
    pub valid: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invalid_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_percent: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rss_peak_bytes: Option<u64>,
}

/// Which way a load test generates its operations.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LoadModel {
    /// A fixed number of workers, each awaiting one operation at a time.
    #[default]
    Closed,
    /// Operations started on a timetable at a given rate, whatever the system's speed.
    Open,
}

/// One failure message and how often it occurred.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorCount {
    pub message: String,
    pub count: u64,
}

/// The figures of one phase of a load test's plan.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StageFigures {
    /// `ramp_up`, `steady`, or `stage N` (1-based).
    pub name: String,
    pub start_ns: u64,
    pub duration_ns: u64,
    /// Concurrency (closed) or rate (open) at the phase's start and end.
    pub from: f64,
    pub to: f64,
    pub operations: u64,
    pub failures: u64,
    pub throughput_per_sec: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p50_ns: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p99_ns: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_ns: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean_ns: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p90_ns: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p95_ns: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p999_ns: Option<f64>,
    /// Per-operation figures of a mix within this stage.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub by_operation: Vec<OperationFigures>,
    /// This stage's most frequent failure messages (not the whole run's).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ErrorCount>,
    /// `--segment M/N` only: this figure's latencies as (nanoseconds, count) pairs, so that
    /// `cargo perf merge` recomputes its percentiles exactly (empty, and absent, otherwise).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub histogram_ns: Vec<[u64; 2]>,
}

/// One bucket of the timeline, by operation start time.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TimelinePoint {
    /// Offset of the bucket's start from the start of the run.
    pub start_ns: u64,
    pub operations: u64,
    pub failures: u64,
    pub throughput_per_sec: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p99_ns: Option<f64>,
    /// `--segment M/N` only: this bucket's latencies as (nanoseconds, count) pairs, at the
    /// timeline's precision ([`HistogramConfig::timeline_significant_digits`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub histogram_ns: Vec<[u64; 2]>,
}

/// The process's CPU use and resident memory at one moment of the run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResourceSample {
    pub at_ns: u64,
    /// Percent of one core (200 = two cores busy).
    pub cpu_percent: f64,
    pub rss_bytes: u64,
}

/// What `find_capacity` found.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CapacityReport {
    /// The goal: p99 at most this, and success rate at least `min_success_rate`.
    pub p99_limit_ns: f64,
    pub min_success_rate: f64,
    /// The highest rate tried that met the goal (0 when none did).
    pub capacity_per_sec: f64,
    pub steps: Vec<CapacityStep>,
    /// A closed-model search (`CapacityGoal::in_users`): the most workers that met the goal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity_users: Option<u64>,
}

/// One rate tried by `find_capacity`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CapacityStep {
    /// The offered rate (open model; 0 in a search in users).
    pub rate_per_sec: f64,
    /// The workers of this step, in a search in users.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub users: Option<u64>,
    pub achieved_per_sec: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p99_ns: Option<f64>,
    pub success_rate: f64,
    pub passed: bool,
    /// Why the step failed, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Memory specifics of one process (filled by the memory module around every test body).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MemoryDetails {
    /// Resident set size when the body started, when it ended, and the highest sampled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rss_before_bytes: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rss_after_bytes: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rss_peak_bytes: Option<u64>,
    /// Allocator activity of the whole test, every thread and the harness's own bookkeeping
    /// included; absent without `CountingAlloc`. Per-iteration figures are in `metrics`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allocations: Option<AllocTotals>,
    /// The highest sampled live heap (allocated minus freed, all threads) above its level
    /// when the body started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak_live_bytes: Option<u64>,
    /// How many times live heap and RSS were sampled during the body.
    #[serde(default)]
    pub samples: u32,
    /// Present when live heap grew steadily over the second half of the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leak: Option<LeakReport>,
}

/// Allocator counts over one test run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllocTotals {
    pub allocs: u64,
    pub deallocs: u64,
    pub reallocs: u64,
    pub bytes_allocated: u64,
    pub bytes_deallocated: u64,
}

/// A flagged leak: the Theil–Sen slope of live heap bytes over the second half of the run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct LeakReport {
    /// Growth per iteration, when the harness reported iteration counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes_per_iter: Option<f64>,
    pub bytes_per_sec: f64,
    /// The growth the slope predicts over the whole body.
    pub growth_bytes: u64,
    /// Fraction of sample pairs in the fitted window whose later sample held more live bytes.
    pub confidence: f64,
}

/// The figures of one named operation of a mix (over the counted phases, or one stage).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OperationFigures {
    pub name: String,
    pub weight: u32,
    pub operations: u64,
    pub failures: u64,
    pub throughput_per_sec: f64,
    /// Percent of this operation's runs that succeeded (absent when none completed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_rate: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p50_ns: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p90_ns: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p95_ns: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p99_ns: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p999_ns: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_ns: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean_ns: Option<f64>,
    /// This operation's most frequent failure messages.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ErrorCount>,
    /// `--segment M/N` only: this figure's latencies as (nanoseconds, count) pairs, so that
    /// `cargo perf merge` recomputes its percentiles exactly (empty, and absent, otherwise).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub histogram_ns: Vec<[u64; 2]>,
}

impl OperationFigures {
    /// This operation's headline figures in the test's vocabulary, to be merged over
    /// processes and compared between commits like a test's own.
    pub fn metrics(&self) -> Metrics {
        Metrics {
            p50_ns: self.p50_ns,
            p90_ns: self.p90_ns,
            p95_ns: self.p95_ns,
            p99_ns: self.p99_ns,
            p999_ns: self.p999_ns,
            max_ns: self.max_ns,
            mean_ns: self.mean_ns,
            throughput_per_sec: Some(self.throughput_per_sec),
            success_rate: self.success_rate,
            ..Metrics::default()
        }
    }
}

/// One fault window of a load test and what followed it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FaultFigures {
    pub name: String,
    /// The planned window, from the run's start.
    pub start_ns: u64,
    pub end_ns: u64,
    /// When the on and off hooks actually ran (absent when the run ended before).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_at_ns: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub off_at_ns: Option<u64>,
    /// Time from the window's end until the timeline was back at its pre-fault level, to
    /// one bucket; absent when it never was (or there was no level to return to).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_time_ns: Option<u64>,
    /// Why there is no recovery time, when there is none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The pre-fault level the recovery was judged against.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_throughput_per_sec: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_p99_ns: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_success_rate: Option<f64>,
}
