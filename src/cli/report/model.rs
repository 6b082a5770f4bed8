//! The JSON report (contract section 5) as Rust types; every other format renders these.

use serde::{Deserialize, Serialize};

use crate::protocol::{LoadDetails, MemoryDetails, TestKind, Throughput};

use crate::metrics::{CustomMetric, Metrics};
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
