//! Runs the selected tests: each in K independent processes, one test per process, in order;
//! merges the processes' measurements, checks thresholds and decides each test's status.

use super::events::{Event, Reporter};
use super::report::model::{Status, TestReport};
use super::suite::{ProcessOutcome, Suite};
use crate::protocol::{CustomMetric, Measurement, Metrics, Outcome, Settings, TestInfo};

/// One test to run, and the suite it lives in.
pub struct Planned<'s> {
    pub suite: &'s Suite,
    pub info: TestInfo,
}

impl Planned<'_> {
    /// `package/target/name`: the test's id in reports and the store.
    pub fn id(&self) -> String {
        format!(
            "{}/{}/{}",
            self.suite.package, self.suite.target, self.info.name
        )
    }
}

/// How many processes per test and with which budget.
#[derive(Debug, Clone, Copy)]
pub struct RunConfig {
    pub processes: u32,
    pub quick: bool,
}

/// Run every planned test in order and report each through `reporter`.
pub fn run_all(
    plan: &[Planned<'_>],
    config: RunConfig,
    reporter: &mut dyn Reporter,
) -> Vec<TestReport> {
    reporter.event(&Event::RunStarted {
        tests: plan.len(),
        processes: config.processes,
    });
    let mut reports = Vec::with_capacity(plan.len());
    for (index, planned) in plan.iter().enumerate() {
        let id = planned.id();
        reporter.event(&Event::TestStarted {
            id: &id,
            index,
            total: plan.len(),
        });
        let report = run_one(planned, &id, config, reporter);
        reporter.event(&Event::TestFinished { test: &report });
        reports.push(report);
    }
    reports
}

fn run_one(
    planned: &Planned<'_>,
    id: &str,
    config: RunConfig,
    reporter: &mut dyn Reporter,
) -> TestReport {
    let info = &planned.info;
    let mut report = TestReport {
        id: id.to_string(),
        package: planned.suite.package.clone(),
        target: planned.suite.target.clone(),
        name: info.name.clone(),
        kind: info.kind,
        status: Status::Error,
        error: None,
        metrics: Metrics::default(),
        median_ci_ns: None,
        thresholds: Vec::new(),
        comparison: None,
        processes: Vec::new(),
        custom: Vec::new(),
        tags: info.tags.clone(),
        wall_ns: 0,
    };
    // A malformed PERF_* override means the test cannot be judged: do not spend time on it.
    if let Some(e) = &info.threshold_error {
        report.error = Some(e.clone());
        return report;
    }
    let mut measurements: Vec<Measurement> = Vec::new();
    for process in 0..config.processes {
        let settings = Settings::measured(config.processes, process, config.quick);
        let outcome = planned.suite.run_test(info, settings);
        let failure = match outcome {
            ProcessOutcome::Answered(result) => {
                report.wall_ns += result.wall_ns;
                match (result.outcome, result.measurement) {
                    (Outcome::Passed, Some(m)) => {
                        measurements.push(m);
                        None
                    }
                    (Outcome::Passed, None) => {
                        Some("the harness reported success but no measurement".to_string())
                    }
                    (Outcome::Failed { message }, _) => Some(message),
                    (Outcome::TimedOut { after_ns }, _) => Some(format!(
                        "timed out after {}",
                        crate::format::duration_ns(after_ns as f64)
                    )),
                }
            }
            ProcessOutcome::NoAnswer { message } => Some(message),
        };
        reporter.event(&Event::ProcessFinished {
            id,
            process,
            processes: config.processes,
            ok: failure.is_none(),
        });
        if let Some(message) = failure {
            // A panic or a timeout would repeat in every process: report it once, move on.
            report.error = Some(if config.processes > 1 {
                format!(
                    "{message} (process {} of {})",
                    process + 1,
                    config.processes
                )
            } else {
                message
            });
            return report;
        }
    }
    let merged = merge_processes(&measurements);
    report.thresholds = info
        .thresholds
        .iter()
        .map(|t| t.check(&merged.metrics))
        .collect();
    report.status = if report.thresholds.iter().all(|c| c.passed) {
        Status::Passed
    } else {
        Status::Failed
    };
    report.metrics = merged.metrics;
    report.median_ci_ns = merged.median_ci_ns;
    report.custom = merged.custom;
    report.processes = measurements.into_iter().map(|m| m.metrics).collect();
    report
}

/// The K processes' figures as one. A stand-in until `crate::stats::merge_processes` lands.
struct Merged {
    metrics: Metrics,
    median_ci_ns: Option<[f64; 2]>,
    custom: Vec<CustomMetric>,
}

/// Each metric is the median over processes (robust to one disturbed process); the interval
/// of the median spans the processes' medians, so it includes between-process variation.
fn merge_processes(ms: &[Measurement]) -> Merged {
    let pick = |f: fn(&Metrics) -> Option<f64>| median(ms.iter().filter_map(|m| f(&m.metrics)));
    let metrics = Metrics {
        median_ns: pick(|m| m.median_ns),
        mean_ns: pick(|m| m.mean_ns),
        min_ns: ms.iter().filter_map(|m| m.metrics.min_ns).reduce(f64::min),
        p50_ns: pick(|m| m.p50_ns),
        p90_ns: pick(|m| m.p90_ns),
        p95_ns: pick(|m| m.p95_ns),
        p99_ns: pick(|m| m.p99_ns),
        p999_ns: pick(|m| m.p999_ns),
        max_ns: ms.iter().filter_map(|m| m.metrics.max_ns).reduce(f64::max),
        std_dev_ns: pick(|m| m.std_dev_ns),
        mad_ns: pick(|m| m.mad_ns),
        throughput_per_sec: pick(|m| m.throughput_per_sec),
        success_rate: pick(|m| m.success_rate),
        allocs_per_iter: pick(|m| m.allocs_per_iter),
        alloc_bytes_per_iter: pick(|m| m.alloc_bytes_per_iter),
        rss_growth_bytes: median(
            ms.iter()
                .filter_map(|m| m.metrics.rss_growth_bytes.map(|b| b as f64)),
        )
        .map(|b| b.round() as i64),
    };
    let medians: Vec<f64> = ms.iter().filter_map(|m| m.metrics.median_ns).collect();
    let median_ci_ns = (medians.len() >= 2).then(|| {
        [
            medians.iter().copied().fold(f64::INFINITY, f64::min),
            medians.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        ]
    });
    let mut custom: Vec<CustomMetric> = Vec::new();
    for m in ms.iter().flat_map(|m| &m.custom) {
        if custom.iter().any(|c| c.name == m.name) {
            continue;
        }
        let values = ms
            .iter()
            .flat_map(|x| &x.custom)
            .filter(|c| c.name == m.name)
            .map(|c| c.value);
        if let Some(value) = median(values) {
            custom.push(CustomMetric {
                name: m.name.clone(),
                value,
                direction: m.direction,
            });
        }
    }
    Merged {
        metrics,
        median_ci_ns,
        custom,
    }
}

fn median(values: impl Iterator<Item = f64>) -> Option<f64> {
    let mut v: Vec<f64> = values.filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    Some(if v.len() % 2 == 1 {
        v[mid]
    } else {
        (v[mid - 1] + v[mid]) / 2.0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(median: f64, allocs: Option<f64>) -> Measurement {
        Measurement {
            metrics: Metrics {
                median_ns: Some(median),
                min_ns: Some(median * 0.9),
                max_ns: Some(median * 2.0),
                allocs_per_iter: allocs,
                ..Metrics::default()
            },
            ..Measurement::default()
        }
    }

    #[test]
    fn merges_by_median_and_keeps_absent_metrics_absent() {
        let merged = merge_processes(&[m(10.0, None), m(30.0, None), m(12.0, None)]);
        assert_eq!(merged.metrics.median_ns, Some(12.0));
        assert_eq!(merged.metrics.min_ns, Some(9.0));
        assert_eq!(merged.metrics.max_ns, Some(60.0));
        assert_eq!(merged.metrics.allocs_per_iter, None);
        assert_eq!(merged.metrics.throughput_per_sec, None);
        assert_eq!(merged.median_ci_ns, Some([10.0, 30.0]));
    }

    #[test]
    fn one_process_has_no_between_process_interval() {
        let merged = merge_processes(&[m(10.0, Some(2.0))]);
        assert_eq!(merged.metrics.allocs_per_iter, Some(2.0));
        assert_eq!(merged.median_ci_ns, None);
    }

    #[test]
    fn even_counts_average_the_middle_pair() {
        assert_eq!(median([4.0, 1.0, 3.0, 2.0].into_iter()), Some(2.5));
        assert_eq!(median(std::iter::empty()), None);
    }
}
