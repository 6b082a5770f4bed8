//! Verdicts: whether each test got slower, faster or stayed put. The module root holds what
//! both comparisons share (options, the primary metric); `unpaired` judges a stored baseline
//! against a run, `paired` judges A/B rounds, `exact` judges deterministic counts for both,
//! `dist` and `stats` are their statistics.

pub mod changes;
pub mod dist;
pub mod exact;
pub mod growth;
pub mod history;
pub mod levels;
pub mod merge;
pub mod paired;
pub mod ratios;
pub mod require;
pub mod stats;
pub mod unpaired;

use crate::cli::model::{Comparison, TestReport, Verdict};
use crate::metrics::Metric;
use crate::protocol::TestKind;

/// How a verdict is decided.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CompareOptions {
    /// Smallest relative change reported as a regression or improvement (0.05 = 5 %), unless a
    /// test sets its own `noise`.
    pub threshold: f64,
    /// False-discovery rate across every comparison of the run, and 1 - confidence of the CIs.
    pub alpha: f64,
}

impl Default for CompareOptions {
    fn default() -> Self {
        CompareOptions {
            threshold: 0.05,
            alpha: 0.05,
        }
    }
}

/// The comparison of a test its baseline lacks, for both comparisons: verdict `new`, with its
/// current figure of the primary metric.
pub fn new_test(head: &TestReport, baseline_commit: Option<&str>) -> Comparison {
    let metric = primary_metric(head.kind);
    Comparison {
        baseline_commit: baseline_commit.map(str::to_owned),
        metric: metric.name().to_owned(),
        baseline: None,
        current: metric.get(&head.metrics),
        change: None,
        ci: None,
        verdict: Verdict::New,
        could_detect: None,
        rounds: None,
        severity: None,
        metrics: Vec::new(),
        note: None,
    }
}

/// The metric a test of this kind is judged on first.
pub fn primary_metric(kind: TestKind) -> Metric {
    match kind {
        TestKind::Bench => Metric::Median,
        TestKind::Load => Metric::P99,
    }
}
