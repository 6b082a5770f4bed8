//! Runs the selected tests: each in independent processes, one test per process, in order, as
//! many as the sequential rule ([`super::sequential`]) asks for; merges the processes'
//! measurements, checks thresholds and decides each test's status.

use std::time::Duration;

use super::events::{Event, Reporter};
use super::interrupt;
use super::sequential::StopRule;
use super::suite::{Limit, ProcessOutcome, Suite};
use crate::cli::model::{TestId, TestReport};
use crate::protocol::{Counting, Measurement, Outcome, Settings, TestInfo, TestKind};

/// One test to run, and the suite it lives in.
pub struct Planned<'s> {
    pub suite: &'s Suite,
    pub info: TestInfo,
}

impl Planned<'_> {
    /// `package/target/name`: the test's id in reports and the store.
    pub fn id(&self) -> TestId {
        TestId::new(&self.suite.package, &self.suite.target, &self.info.name)
    }
}

/// How many processes per test, with which budget and limit.
#[derive(Debug, Clone, Copy)]
pub struct RunConfig {
    /// When to stop adding processes to a micro benchmark.
    pub rule: StopRule,
    /// How many processes measure a load test.
    pub load_processes: u32,
    pub quick: bool,
    /// `--load-scale F`, handed to every process.
    pub load_scale: Option<f64>,
    /// `--test-timeout`: the limit of a test process without a `timeout` key.
    pub test_timeout: Option<Duration>,
    /// `--instructions`: how bench processes count instructions.
    pub counting: Counting,
}

/// Run every planned test in order and report each through `reporter`.
pub fn run_all(
    plan: &[Planned<'_>],
    config: RunConfig,
    reporter: &mut dyn Reporter,
) -> Vec<TestReport> {
    reporter.event(&Event::RunStarted {
        tests: plan.len(),
        processes: config.rule.max.max(config.load_processes),
    });
    let mut reports = Vec::with_capacity(plan.len());
    for (index, planned) in plan.iter().enumerate() {
        let id = planned.id().to_string();
        reporter.event(&Event::TestStarted {
            id: &id,
            index,
            total: plan.len(),
        });
        let report = run_one(planned, &id, config, reporter);
        if interrupt::received().is_some() {
            // The caller stops at once: no report of a cut run.
            break;
        }
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
    let mut report = TestReport::new(&planned.id(), info.kind, info.tags.clone());
    // A malformed PERF_* override means the test cannot be judged: do not spend time on it.
    if let Some(e) = &info.threshold_error {
        report.error = Some(e.clone());
        return report;
    }
    let mut measurements: Vec<Measurement> = Vec::new();
    let mut longest = Duration::ZERO;
    let (rule, bench) = match info.kind {
        TestKind::Bench => (config.rule, true),
        TestKind::Load => (StopRule::fixed(config.load_processes), false),
    };
    let mut medians: Vec<f64> = Vec::new();
    for process in 0.. {
        let mut settings = if bench {
            Settings::bench_process(rule.max, process, config.quick)
        } else {
            Settings::measured(rule.max, process, config.quick)
        };
        settings.load_scale = config.load_scale;
        settings.counting = super::instructions::for_test(config.counting, info.kind);
        let limit = Limit::for_test(info, &settings, config.test_timeout, longest);
        let mut on_slow = |elapsed| {
            reporter.event(&Event::TestSlow {
                id,
                process,
                elapsed,
                limit: limit.after,
            })
        };
        let outcome = planned.suite.run_test(info, settings, limit, &mut on_slow);
        if interrupt::received().is_some() {
            return report;
        }
        let failure = match outcome {
            ProcessOutcome::Answered(result) => {
                report.wall_ns += result.wall_ns;
                longest = longest.max(Duration::from_nanos(result.wall_ns));
                match (result.outcome, result.measurement) {
                    (Outcome::Passed, Some(m)) => {
                        medians.extend(m.metrics.median_ns.or(m.metrics.p50_ns));
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
            processes: rule.max,
            ok: failure.is_none(),
        });
        if let Some(message) = failure {
            // A panic or a timeout would repeat in every process: report it once, move on.
            report.error = Some(if rule.max > 1 {
                format!("{message} (process {})", process + 1)
            } else {
                message
            });
            return report;
        }
        if rule.enough(measurements.len() as u32, &medians) {
            break;
        }
    }
    if let Err(e) = super::merge::fill(&mut report, &info.thresholds, measurements) {
        report.error = Some(e);
    }
    report
}
