//! Verdicts: whether each test got slower, faster or stayed put. The module root holds what
//! both comparisons share (options, the primary metric); `unpaired` judges a stored baseline
//! against a run, `paired` judges A/B rounds, `dist` and `stats` are their statistics.

pub mod dist;
pub mod history;
pub mod merge;
pub mod paired;
pub mod stats;
pub mod unpaired;

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

/// The metric a test of this kind is judged on first.
pub fn primary_metric(kind: TestKind) -> Metric {
    match kind {
        TestKind::Bench => Metric::Median,
        TestKind::Load => Metric::P99,
    }
}
