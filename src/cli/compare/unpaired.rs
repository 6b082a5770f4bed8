//! The unpaired comparison: a stored baseline record against the current run, judged on the
//! figures of separate processes so that run-to-run variation counts, with false alarms
//! controlled across the whole suite (Benjamini–Hochberg).

use std::collections::BTreeMap;

use super::{primary_metric, stats, CompareOptions};
use crate::cli::model::{
    Comparison, MetricChange, OperationReport, Severity, Status, TestReport, Verdict,
};
use crate::metrics::{Direction, Metric, Metrics};
use crate::protocol::TestKind;

use super::exact::{DETERMINISTIC_NOTE, INSTRUCTIONS_THRESHOLD};

/// How a metric's change is measured.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Scale {
    /// Relative: compared on the log scale, change as a fraction, threshold relative.
    Ratio,
    /// Absolute: a change of at least `min_delta` units counts (allocations per iteration,
    /// success-rate percentage points), whatever the relative threshold says.
    Delta { min_delta: f64 },
    /// A deterministic count (instructions): the merged figures compared as exact numbers,
    /// a relative change above `min_change` counts; no p-value, no between-process model. A
    /// side whose processes disagree by more than half of `min_change` widens it to twice
    /// their spread, so a count that is not deterministic after all cannot raise false alarms.
    Exact { min_change: f64 },
}

/// One metric of one test, compared.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricComparison {
    pub metric: String,
    pub direction: Direction,
    pub baseline: f64,
    pub current: f64,
    /// Relative change (`current / baseline - 1`), when the baseline is not zero.
    pub change: Option<f64>,
    pub ci: Option<[f64; 2]>,
    /// Two-sided p-value of "no change"; `None` when the data cannot give one.
    pub p_value: Option<f64>,
    /// The p-value after adjustment for every comparison of the run.
    pub p_adjusted: Option<f64>,
    pub verdict: Verdict,
    /// How far beyond the threshold the change is, for a `regressed` or `improved` verdict.
    pub severity: Option<Severity>,
}

impl MetricComparison {
    /// The report's form of this metric's comparison.
    pub fn change(&self) -> MetricChange {
        MetricChange {
            metric: self.metric.clone(),
            baseline: self.baseline,
            current: self.current,
            change: self.change,
            ci: self.ci,
            verdict: self.verdict,
            severity: self.severity,
        }
    }
}

/// Every compared metric of one test, and the one the report shows.
#[derive(Debug, Clone)]
pub struct TestComparison {
    pub id: String,
    /// The deciding metric: the first regressed one, else the first improved, else the primary.
    pub comparison: Comparison,
    pub metrics: Vec<MetricComparison>,
    /// Each operation of a load mix that the baseline has too: its own verdict.
    pub operations: Vec<(String, Comparison)>,
}

/// One test to judge: its baseline (if the baseline has it) and its current figures.
#[derive(Debug, Clone, Copy)]
pub struct Pair<'a> {
    pub base: Option<&'a TestReport>,
    pub head: &'a TestReport,
    /// The test's own `noise` threshold, overriding [`CompareOptions::threshold`].
    pub noise: Option<f64>,
}

/// Compares every pair; `None` for a head test that did not produce figures (an error).
pub fn compare_all(
    pairs: &[Pair<'_>],
    baseline_commit: Option<&str>,
    opts: &CompareOptions,
) -> Vec<Option<TestComparison>> {
    // First pass: estimates for every metric, so that p-values can be adjusted together.
    let mut drafts: Vec<Option<Vec<Draft>>> = pairs
        .iter()
        .map(|pair| {
            if pair.head.status == Status::Error {
                return None;
            }
            let base = pair.base.filter(|b| b.status != Status::Error)?;
            Some(draft_metrics(base, pair.head))
        })
        .collect();

    moderate(&mut drafts);

    let family: Vec<f64> = drafts
        .iter()
        .flatten()
        .flatten()
        .filter(|d| d.scale == Scale::Ratio)
        .filter_map(|d| d.p_value)
        .collect();
    let mut adjusted = stats::benjamini_hochberg(&family).into_iter();
    for draft in drafts.iter_mut().flatten().flatten() {
        if draft.scale == Scale::Ratio && draft.p_value.is_some() {
            draft.p_adjusted = adjusted.next();
        }
    }

    pairs
        .iter()
        .zip(drafts)
        .map(|(pair, drafts)| {
            if pair.head.status == Status::Error {
                return None;
            }
            let threshold = pair.noise.unwrap_or(opts.threshold);
            let Some(drafts) = drafts else {
                return Some(new_test(pair.head, baseline_commit));
            };
            let metrics: Vec<MetricComparison> = drafts
                .into_iter()
                .map(|d| d.decide(threshold, opts.alpha))
                .collect();
            // The test's verdict weighs every metric, its operations' included; each
            // operation also gets its own.
            let operations = pair
                .head
                .operations
                .iter()
                .filter_map(|op| {
                    let own: Vec<MetricComparison> = metrics
                        .iter()
                        .filter(|m| m.operation() == Some(op.name.as_str()))
                        .cloned()
                        .collect();
                    let c = summarize(&own, baseline_commit)?;
                    Some((op.name.clone(), c))
                })
                .collect();
            let comparison = summarize(&metrics, baseline_commit).unwrap_or_else(|| Comparison {
                baseline_commit: baseline_commit.map(str::to_owned),
                metric: primary_metric(pair.head.kind).name().to_owned(),
                baseline: None,
                current: None,
                change: None,
                ci: None,
                verdict: Verdict::Inconclusive,
                could_detect: None,
                rounds: None,
                severity: None,
                metrics: Vec::new(),
                note: None,
                accepted: None,
            });
            Some(TestComparison {
                id: pair.head.id.clone(),
                comparison,
                metrics,
                operations,
            })
        })
        .collect()
}

/// One verdict from several compared metrics: regressed when any regressed, improved when
/// any improved (and none regressed), unchanged when all are; shown by the deciding metric
/// (the first regressed, else the first improved, else the first). `None` for no metrics.
fn summarize(metrics: &[MetricComparison], baseline_commit: Option<&str>) -> Option<Comparison> {
    let first = metrics.first()?;
    let deciding = metrics
        .iter()
        .find(|m| m.verdict == Verdict::Regressed)
        .or_else(|| metrics.iter().find(|m| m.verdict == Verdict::Improved))
        .unwrap_or(first);
    let verdict = if metrics.iter().any(|m| m.verdict == Verdict::Regressed) {
        Verdict::Regressed
    } else if metrics.iter().any(|m| m.verdict == Verdict::Improved) {
        Verdict::Improved
    } else if metrics.iter().all(|m| m.verdict == Verdict::Unchanged) {
        Verdict::Unchanged
    } else {
        Verdict::Inconclusive
    };
    Some(Comparison {
        baseline_commit: baseline_commit.map(str::to_owned),
        metric: deciding.metric.clone(),
        baseline: Some(deciding.baseline),
        current: Some(deciding.current),
        change: deciding.change,
        ci: deciding.ci,
        verdict,
        could_detect: None,
        rounds: None,
        severity: deciding.severity,
        metrics: metrics.iter().map(MetricComparison::change).collect(),
        note: (deciding.metric == Metric::Instructions.name())
            .then(|| DETERMINISTIC_NOTE.to_string()),
        accepted: None,
    })
}

impl MetricComparison {
    /// The operation of a load mix this metric belongs to (`p99_ns[read]`: `read`).
    pub fn operation(&self) -> Option<&str> {
        self.metric.split_once('[')?.1.strip_suffix(']')
    }
}

/// Compares `head` against `base` test by test (matched by id) and writes each test's
/// `comparison` (the verdicts are counted by [`crate::cli::model::Report::finish`]).
pub fn apply(
    base: &[TestReport],
    head: &mut [TestReport],
    noise: &BTreeMap<String, f64>,
    baseline_commit: Option<&str>,
    opts: &CompareOptions,
) -> Vec<Option<TestComparison>> {
    let by_id: BTreeMap<&str, &TestReport> = base.iter().map(|t| (t.id.as_str(), t)).collect();
    let results = {
        let pairs: Vec<Pair<'_>> = head
            .iter()
            .map(|h| Pair {
                base: by_id.get(h.id.as_str()).copied(),
                head: h,
                noise: noise.get(&h.id).copied(),
            })
            .collect();
        compare_all(&pairs, baseline_commit, opts)
    };
    for (test, result) in head.iter_mut().zip(&results) {
        test.comparison = result.as_ref().map(|r| r.comparison.clone());
        for op in &mut test.operations {
            op.comparison = result.as_ref().and_then(|r| {
                let found = r.operations.iter().find(|(name, _)| *name == op.name);
                found.map(|(_, c)| c.clone())
            });
        }
    }
    results
}

fn new_test(head: &TestReport, baseline_commit: Option<&str>) -> TestComparison {
    TestComparison {
        id: head.id.clone(),
        comparison: super::new_test(head, baseline_commit),
        metrics: Vec::new(),
        operations: Vec::new(),
    }
}

/// Borrows strength across the run: each test's per-side log variance is shrunk toward the
/// pooled variance of the *other* tests' same metric on the same side (same run, same
/// machine state), with at most the test's own degrees of freedom, and never below the
/// test's own variance: a quiet test gains degrees of freedom from the run, a noisy one
/// keeps its noise.
fn moderate(drafts: &mut [Option<Vec<Draft>>]) {
    let mut totals: BTreeMap<String, [(f64, f64); 2]> = BTreeMap::new();
    for d in drafts.iter().flatten().flatten() {
        if let Some((b, h)) = d.sides {
            let t = totals.entry(d.metric.clone()).or_default();
            t[0].0 += b.df * b.var;
            t[0].1 += b.df;
            t[1].0 += h.df * h.var;
            t[1].1 += h.df;
        }
    }
    for d in drafts.iter_mut().flatten().flatten() {
        let Some((b, h)) = d.sides else { continue };
        let t = totals[&d.metric];
        let shrink = |side: stats::Side, (ss, df): (f64, f64)| {
            let (others_ss, others_df) = (ss - side.df * side.var, df - side.df);
            if others_df <= 0.0 {
                return side;
            }
            let pooled = side.moderated(others_ss.max(0.0) / others_df, others_df.min(side.df));
            // Never below the test's own spread: a noisy test must not look quiet because
            // the others are.
            stats::Side {
                var: pooled.var.max(side.var),
                ..pooled
            }
        };
        let estimate = stats::welch_sides(shrink(b, t[0]), shrink(h, t[1]));
        d.p_value = (estimate.se > 0.0).then(|| estimate.p_value());
        d.estimate = Some(estimate);
    }
}

/// A metric's estimate before the run-wide adjustment turns it into a verdict.
#[derive(Debug, Clone)]
struct Draft {
    metric: String,
    direction: Direction,
    scale: Scale,
    baseline: f64,
    current: f64,
    /// Change on the comparison scale (log ratio, or absolute difference) with its CI.
    estimate: Option<stats::Estimate>,
    /// The per-process log figures summarised, when both sides have two or more processes:
    /// what the run-wide variance moderation works on.
    sides: Option<(stats::Side, stats::Side)>,
    p_value: Option<f64>,
    p_adjusted: Option<f64>,
    alpha_ci: f64,
}

/// Which metrics a test is compared on, in order of importance.
fn compared_metrics(kind: TestKind) -> &'static [(Metric, Scale)] {
    const ALLOCS: Scale = Scale::Delta { min_delta: 1.0 };
    const POINTS: Scale = Scale::Delta { min_delta: 1.0 };
    const INSTRUCTIONS: Scale = Scale::Exact {
        min_change: INSTRUCTIONS_THRESHOLD,
    };
    match kind {
        TestKind::Bench => &[
            (Metric::Median, Scale::Ratio),
            // Before allocations: the headline of a Valgrind-mode run, which has no timing.
            (Metric::Instructions, INSTRUCTIONS),
            (Metric::Allocs, ALLOCS),
        ],
        TestKind::Load => &[
            (Metric::P99, Scale::Ratio),
            (Metric::Throughput, Scale::Ratio),
            (Metric::SuccessRate, POINTS),
            (Metric::Allocs, ALLOCS),
        ],
    }
}

/// The metrics each operation of a load mix is compared on (the test's own, less the
/// allocations, which are the whole test's).
const OPERATION_METRICS: [Metric; 3] = [Metric::P99, Metric::Throughput, Metric::SuccessRate];

/// `p99_ns[read]`: a metric of one operation, as comparisons and scoped limits name it.
fn operation_metric(op: &str, metric: Metric) -> String {
    format!("{}[{op}]", metric.name())
}

fn draft_metrics(base: &TestReport, head: &TestReport) -> Vec<Draft> {
    let (b, h) = (Figures::of_test(base), Figures::of_test(head));
    let mut drafts: Vec<Draft> = compared_metrics(head.kind)
        .iter()
        .filter_map(|&(metric, scale)| draft_builtin(b, h, metric, scale))
        .collect();
    // Each operation against the baseline's same operation, on the same statistics as the
    // test's headline figures: a slower read among fast writes is a regression too.
    for op in &head.operations {
        let Some(base_op) = base.operations.iter().find(|b| b.name == op.name) else {
            continue;
        };
        for &(metric, scale) in compared_metrics(TestKind::Load) {
            if !OPERATION_METRICS.contains(&metric) {
                continue;
            }
            let (b, h) = (Figures::of_operation(base_op), Figures::of_operation(op));
            if let Some(mut d) = draft_builtin(b, h, metric, scale) {
                d.metric = operation_metric(&op.name, metric);
                drafts.push(d);
            }
        }
    }
    // Custom metrics carry one value per run and no spread: they are compared as exact
    // figures (a deterministic count or ratio), against the relative threshold only.
    for c in &head.custom {
        if let Some(b) = base.custom.iter().find(|b| b.name == c.name) {
            drafts.push(Draft {
                metric: c.name.clone(),
                direction: c.direction,
                scale: Scale::Ratio,
                baseline: b.value,
                current: c.value,
                estimate: log_ratio(b.value, c.value).map(|diff| stats::Estimate {
                    diff,
                    se: 0.0,
                    df: 1.0,
                }),
                p_value: None,
                p_adjusted: None,
                alpha_ci: 0.05,
                sides: None,
            });
        }
    }
    drafts
}

fn log_ratio(base: f64, head: f64) -> Option<f64> {
    (base > 0.0 && head > 0.0).then(|| head.ln() - base.ln())
}

/// What one side of a comparison offers: merged figures, each process's, and (benches) the
/// interval of the median. A test, or one operation of a load mix.
#[derive(Debug, Clone, Copy)]
struct Figures<'a> {
    metrics: &'a Metrics,
    processes: &'a [Metrics],
    median_ci_ns: Option<[f64; 2]>,
}

impl<'a> Figures<'a> {
    fn of_test(t: &'a TestReport) -> Figures<'a> {
        Figures {
            metrics: &t.metrics,
            processes: &t.processes,
            median_ci_ns: t.median_ci_ns,
        }
    }

    fn of_operation(o: &'a OperationReport) -> Figures<'a> {
        Figures {
            metrics: &o.metrics,
            processes: &o.processes,
            median_ci_ns: None,
        }
    }
}

/// The per-process values of `metric`, or the run's aggregate when no process figures exist.
fn samples(test: Figures<'_>, metric: Metric) -> Vec<f64> {
    let per_process: Vec<f64> = test
        .processes
        .iter()
        .filter_map(|m| metric.get(m))
        .collect();
    if per_process.is_empty() {
        metric.get(test.metrics).into_iter().collect()
    } else {
        per_process
    }
}

fn draft_builtin(
    base: Figures<'_>,
    head: Figures<'_>,
    metric: Metric,
    scale: Scale,
) -> Option<Draft> {
    let (b_values, h_values) = (samples(base, metric), samples(head, metric));
    let baseline = metric
        .get(base.metrics)
        .or_else(|| stats::mean(&b_values))?;
    let current = metric
        .get(head.metrics)
        .or_else(|| stats::mean(&h_values))?;
    let mut sides = None;
    let estimate = match scale {
        Scale::Ratio => {
            let logs = |v: &[f64]| -> Option<Vec<f64>> {
                v.iter().map(|&x| (x > 0.0).then(|| x.ln())).collect()
            };
            match (logs(&b_values), logs(&h_values)) {
                (Some(b), Some(h)) => {
                    sides = stats::Side::of(&b).zip(stats::Side::of(&h));
                    stats::welch(&b, &h)
                        .or_else(|| ci_estimate(base, head, metric, baseline, current))
                }
                _ => None,
            }
        }
        Scale::Exact { .. } => log_ratio(baseline, current).map(|diff| stats::Estimate {
            diff,
            se: 0.0,
            df: 1.0,
        }),
        // Single figures: an exact comparison (allocation counts are deterministic).
        Scale::Delta { .. } => stats::welch(&b_values, &h_values).or(Some(stats::Estimate {
            diff: current - baseline,
            se: 0.0,
            df: 1.0,
        })),
    };
    let p_value = match scale {
        Scale::Ratio => estimate.filter(|e| e.se > 0.0).map(|e| e.p_value()),
        Scale::Delta { .. } => estimate.map(|e| e.p_value()),
        Scale::Exact { .. } => None,
    };
    let scale = match scale {
        Scale::Exact { min_change } => Scale::Exact {
            min_change: super::exact::min_change(min_change, &b_values, &h_values),
        },
        other => other,
    };
    Some(Draft {
        metric: metric.name().to_owned(),
        direction: metric.direction(),
        scale,
        baseline,
        current,
        estimate,
        p_value,
        p_adjusted: None,
        alpha_ci: 0.05,
        sides,
    })
}

/// With one process a side, the processes' own bootstrap CIs of the median are the only
/// measure of spread left; they understate between-process noise, so they are widened ×2.
fn ci_estimate(
    base: Figures<'_>,
    head: Figures<'_>,
    metric: Metric,
    baseline: f64,
    current: f64,
) -> Option<stats::Estimate> {
    if metric != Metric::Median {
        return None;
    }
    let half_log = |ci: [f64; 2]| -> Option<f64> {
        (ci[0] > 0.0 && ci[1] >= ci[0]).then(|| (ci[1].ln() - ci[0].ln()) / (2.0 * 1.96))
    };
    let sb = half_log(base.median_ci_ns?)? * 2.0;
    let sh = half_log(head.median_ci_ns?)? * 2.0;
    Some(stats::Estimate {
        diff: log_ratio(baseline, current)?,
        se: (sb * sb + sh * sh).sqrt(),
        df: 1_000.0,
    })
}

impl Draft {
    fn decide(self, threshold: f64, alpha: f64) -> MetricComparison {
        let worse = |signed: f64| match self.direction {
            Direction::LowerIsBetter => signed > 0.0,
            Direction::HigherIsBetter => signed < 0.0,
        };
        let (change, ci, verdict, multiple) = match (self.scale, self.estimate) {
            (_, None) => (
                relative(self.baseline, self.current),
                None,
                Verdict::Inconclusive,
                f64::NAN,
            ),
            (Scale::Ratio, Some(e)) => {
                let change = e.diff.exp_m1();
                let [lo, hi] = e.ci(1.0 - self.alpha_ci);
                let ci = [lo.exp_m1(), hi.exp_m1()];
                // A figure without spread (custom metrics) is exact: significance is moot.
                let significant = if e.se == 0.0 {
                    true
                } else {
                    self.p_adjusted.or(self.p_value).is_some_and(|p| p < alpha)
                };
                let verdict = if significant && change.abs() > threshold {
                    if worse(change) {
                        Verdict::Regressed
                    } else {
                        Verdict::Improved
                    }
                } else if ci[0] >= -threshold && ci[1] <= threshold {
                    Verdict::Unchanged
                } else {
                    Verdict::Inconclusive
                };
                (Some(change), Some(ci), verdict, change.abs() / threshold)
            }
            (Scale::Exact { min_change }, Some(e)) => {
                let change = e.diff.exp_m1();
                let verdict = super::exact::verdict(change, min_change, self.direction);
                (Some(change), None, verdict, change.abs() / min_change)
            }
            (Scale::Delta { min_delta }, Some(e)) => {
                let significant = self.p_value.is_some_and(|p| p < alpha);
                let [lo, hi] = e.ci(1.0 - self.alpha_ci);
                let verdict = if significant && e.diff.abs() >= min_delta {
                    if worse(e.diff) {
                        Verdict::Regressed
                    } else {
                        Verdict::Improved
                    }
                } else if lo > -min_delta && hi < min_delta {
                    Verdict::Unchanged
                } else {
                    Verdict::Inconclusive
                };
                let ci = (self.baseline != 0.0)
                    .then(|| [lo / self.baseline.abs(), hi / self.baseline.abs()]);
                let multiple = e.diff.abs() / min_delta;
                (relative(self.baseline, self.current), ci, verdict, multiple)
            }
        };
        MetricComparison {
            metric: self.metric,
            direction: self.direction,
            baseline: self.baseline,
            current: self.current,
            change,
            ci,
            p_value: self.p_value,
            p_adjusted: self.p_adjusted,
            verdict,
            severity: Severity::of(verdict, multiple),
        }
    }
}

fn relative(base: f64, head: f64) -> Option<f64> {
    (base != 0.0).then(|| head / base - 1.0)
}

#[cfg(test)]
mod tests;
