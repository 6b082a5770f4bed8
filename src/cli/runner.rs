//! Runs the selected tests: each in K independent processes, one test per process, in order;
//! merges the processes' measurements, checks thresholds and decides each test's status.

use super::events::{Event, Reporter};
use super::report::model::{Status, TestReport};
use super::suite::{ProcessOutcome, Suite};
use crate::protocol::{Measurement, Metrics, Outcome, Settings, TestInfo};

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
    /// `--load-scale F`, handed to every process.
    pub load_scale: Option<f64>,
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
        load: None,
        throughput_unit: None,
        memory: None,
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
        let mut settings = Settings::measured(config.processes, process, config.quick);
        settings.load_scale = config.load_scale;
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
    let Some(merged) = crate::stats::merge_processes(&measurements) else {
        report.error = Some("no process produced a measurement".to_string());
        return report;
    };
    report.thresholds = info
        .thresholds
        .iter()
        .map(|t| t.check(&merged.metrics))
        .collect();
    // Limits the harness checked (per operation, stage, fault; metrics; resources) and the
    // test's named checks: judged over every process.
    report.thresholds.extend(crate::limits::merge_checks(
        measurements.iter().map(|m| &m.checks[..]),
    ));
    report.status = if report.thresholds.iter().all(|c| c.passed) {
        Status::Passed
    } else {
        Status::Failed
    };
    report.metrics = merged.metrics;
    // A single process's interval knows nothing of between-process variation; still the best
    // available, and `processes` in the report says how many there were.
    report.median_ci_ns =
        (merged.ci_method != crate::stats::CiMethod::None).then_some(merged.median_ci_ns);
    report.custom = merged.custom;
    report.throughput_unit = merged.throughput;
    if let Some(rep) = representative(&measurements) {
        report.load = measurements[rep].load.clone();
        report.memory = measurements[rep].memory.clone();
    }
    report.processes = measurements.into_iter().map(|m| m.metrics).collect();
    report
}

/// The process whose headline figure (median time, or p50 latency) is the median of the
/// processes': its stage, timeline and memory details speak for the run better than the
/// first or the last process would.
fn representative(measurements: &[Measurement]) -> Option<usize> {
    let headline = |m: &Measurement| m.metrics.median_ns.or(m.metrics.p50_ns).unwrap_or(0.0);
    let mut order: Vec<usize> = (0..measurements.len()).collect();
    order.sort_by(|&a, &b| headline(&measurements[a]).total_cmp(&headline(&measurements[b])));
    order.get(order.len() / 2).copied()
}
