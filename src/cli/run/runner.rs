//! Runs the selected tests: each in independent processes, one test per process, as many as
//! the sequential rule ([`super::sequential`]) asks for, the tests' processes interleaved in
//! rounds; merges the processes' measurements, checks thresholds and decides each status.

use std::time::Duration;

use super::events::{Event, Reporter};
use super::interrupt;
use super::sequential::StopRule;
use super::suite::{Limit, ProcessOutcome, Suite};
use crate::cli::model::{TestId, TestReport};
use crate::protocol::{Counting, Measurement, Outcome, Segment, Settings, TestInfo, TestKind};

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

/// Each planned test's own `noise` threshold, by test id (what the store keeps with a record).
pub fn noise(plan: &[Planned<'_>]) -> std::collections::BTreeMap<String, f64> {
    plan.iter()
        .filter_map(|p| p.info.noise.map(|n| (p.id().to_string(), n)))
        .collect()
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
    /// `--segment M/N`: which segment of each load test the processes run.
    pub segment: Option<Segment>,
    /// The common start of the load test (`--start-at` or the rendezvous), Unix ns.
    pub start_at_unix_ns: Option<u64>,
}

/// Run every planned test and report each through `reporter`. The tests' processes are
/// interleaved in rounds: round `r` runs process `r` of every test that still needs one, in
/// the plan's order. A shared machine changes state over seconds (issue 12: levels 1.4x apart
/// that come and go), so measuring test A's processes and then test B's would put that drift
/// between A and B; in rounds both see the same states, and a ratio between tests of one run
/// (4x the work reads 4x) no longer depends on when each happened to run. Reports come back in
/// the plan's order.
pub fn run_all(
    plan: &[Planned<'_>],
    config: RunConfig,
    reporter: &mut dyn Reporter,
) -> Vec<TestReport> {
    reporter.event(&Event::RunStarted {
        tests: plan.len(),
        processes: config.rule.max.max(config.load_processes),
    });
    // A test's slot holds its run until it is done, then its report.
    let mut runs: Vec<Option<TestRun<'_, '_>>> =
        plan.iter().map(|p| Some(TestRun::new(p, config))).collect();
    let mut reports: Vec<Option<TestReport>> = (0..plan.len()).map(|_| None).collect();
    let mut process = 0u32;
    while runs.iter().any(Option::is_some) {
        for index in 0..runs.len() {
            let Some(run) = runs[index].as_mut() else {
                continue;
            };
            if process == 0 {
                reporter.event(&Event::TestStarted {
                    id: &run.id,
                    index,
                    total: plan.len(),
                });
            }
            let done = run.step(process, config, reporter);
            if interrupt::received().is_some() {
                // The caller stops at once: no report of a cut run.
                return Vec::new();
            }
            if done {
                let report = runs[index].take().map(TestRun::finish);
                if let Some(report) = &report {
                    reporter.event(&Event::TestFinished { test: report });
                }
                reports[index] = report;
            }
        }
        process += 1;
    }
    reports.into_iter().flatten().collect()
}

/// One test's processes so far: what the rounds of [`run_all`] accumulate.
struct TestRun<'p, 's> {
    planned: &'p Planned<'s>,
    id: String,
    report: TestReport,
    measurements: Vec<Measurement>,
    medians: Vec<f64>,
    longest: Duration,
    rule: StopRule,
    bench: bool,
}

impl<'p, 's> TestRun<'p, 's> {
    fn new(planned: &'p Planned<'s>, config: RunConfig) -> Self {
        let info = &planned.info;
        let (rule, bench) = match info.kind {
            TestKind::Bench => (config.rule, true),
            TestKind::Load => (StopRule::fixed(config.load_processes), false),
        };
        TestRun {
            planned,
            id: planned.id().to_string(),
            report: TestReport::new(&planned.id(), info.kind, info.tags.clone()),
            measurements: Vec::new(),
            medians: Vec::new(),
            longest: Duration::ZERO,
            rule,
            bench,
        }
    }

    /// Run process `process` of this test; whether the test is done (enough processes, or an
    /// error that would repeat in every process).
    fn step(&mut self, process: u32, config: RunConfig, reporter: &mut dyn Reporter) -> bool {
        let info = &self.planned.info;
        // A malformed PERF_* override means the test cannot be judged: do not spend time on it.
        if let Some(e) = &info.threshold_error {
            self.report.error = Some(e.clone());
            return true;
        }
        let rule = self.rule;
        let mut settings = if self.bench {
            Settings::bench_process(rule.max, process, config.quick)
        } else {
            Settings::measured(rule.max, process, config.quick)
        };
        settings.load_scale = config.load_scale;
        settings.counting = super::instructions::for_test(config.counting, info.kind);
        settings.segment = config.segment;
        settings.start_at_unix_ns = config.start_at_unix_ns;
        let limit = Limit::for_test(info, &settings, config.test_timeout, self.longest);
        let id = self.id.as_str();
        let mut on_slow = |elapsed| {
            reporter.event(&Event::TestSlow {
                id,
                process,
                elapsed,
                limit: limit.after,
            })
        };
        let outcome = self
            .planned
            .suite
            .run_test(info, settings, limit, &mut on_slow);
        if interrupt::received().is_some() {
            return true;
        }
        let failure = match outcome {
            ProcessOutcome::Answered(result) => {
                self.report.wall_ns += result.wall_ns;
                self.longest = self.longest.max(Duration::from_nanos(result.wall_ns));
                match (result.outcome, result.measurement) {
                    (Outcome::Passed, Some(m)) => {
                        self.medians
                            .extend(m.metrics.median_ns.or(m.metrics.p50_ns));
                        self.measurements.push(m);
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
            self.report.error = Some(if rule.max > 1 {
                format!("{message} (process {})", process + 1)
            } else {
                message
            });
            return true;
        }
        rule.enough(self.measurements.len() as u32, &self.medians)
    }

    /// The test's report from its processes: merged figures, thresholds, status.
    fn finish(self) -> TestReport {
        let mut report = self.report;
        if report.error.is_none() {
            let thresholds = &self.planned.info.thresholds;
            if let Err(e) = super::merge::fill(&mut report, thresholds, self.measurements) {
                report.error = Some(e);
            }
        }
        report
    }
}
