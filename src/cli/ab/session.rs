//! One A/B session: pairs the tests of the two sides by id (tests on one side only are added or
//! removed, not errors), and runs rounds of one base process and one head process per test,
//! keeping every process's figures for the report.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use super::results;
use super::rounds::{self, Policy, RoundRunner};
use crate::cli::compare::paired::Pair;
use crate::cli::compare::primary_metric;
use crate::cli::model::{TestId, TestReport};
use crate::cli::report::words::short;
use crate::cli::run::events::{Event, Reporter};
use crate::cli::run::runner::Planned;
use crate::cli::run::suite::{Limit, ProcessOutcome};
use crate::protocol::{Measurement, Mode, Outcome, Settings, TestInfo};

/// Default threshold of `ab`: pairing removes most of the machine's noise, so changes well
/// below `run`'s 5 % are resolved; `--threshold` and a test's `noise` override it.
pub const DEFAULT_AB_THRESHOLD: f64 = 0.02;

/// How long one process of a round warms up and measures: enough work (≥ 10 ms) for a stable
/// median, short enough that base and head see the same machine state.
pub fn round_settings(round: u32, quick: bool) -> Settings {
    let (warmup_ms, measure_ms) = if quick { (10, 20) } else { (20, 40) };
    Settings {
        mode: Mode::Measure,
        warmup_ns: warmup_ms * 1_000_000,
        measure_ns: measure_ms * 1_000_000,
        process_index: round,
        processes: 0,
        load_scale: None,
        counting: crate::protocol::Counting::Off,
    }
}

/// Runs one test once in a fresh process of one side, telling `reporter` what it sees (a
/// process about to be killed).
pub trait Side {
    fn measure(
        &self,
        id: &str,
        settings: Settings,
        reporter: &mut dyn Reporter,
    ) -> Result<Measurement, String>;
}

/// A test to compare: its id and head's description of it.
#[derive(Debug, Clone)]
pub struct PairedTest {
    pub id: String,
    pub test_id: TestId,
    pub info: TestInfo,
}

/// One side's planned tests, by id, and `--test-timeout`: runs a test in a fresh process of
/// its suite, with the same limit rule and process handling as `run`.
pub struct SuiteSide<'s> {
    tests: HashMap<String, &'s Planned<'s>>,
    test_timeout: Option<Duration>,
}

impl<'s> SuiteSide<'s> {
    pub fn new(plan: &'s [Planned<'s>], test_timeout: Option<Duration>) -> Self {
        SuiteSide {
            tests: plan.iter().map(|p| (p.id().to_string(), p)).collect(),
            test_timeout,
        }
    }
}

impl Side for SuiteSide<'_> {
    fn measure(
        &self,
        id: &str,
        settings: Settings,
        reporter: &mut dyn Reporter,
    ) -> Result<Measurement, String> {
        let planned = self
            .tests
            .get(id)
            .ok_or_else(|| format!("no test `{id}` on this side"))?;
        let limit = Limit::for_test(&planned.info, &settings, self.test_timeout, Duration::ZERO);
        let mut on_slow = |elapsed| {
            reporter.event(&Event::TestSlow {
                id,
                process: settings.process_index,
                elapsed,
                limit: limit.after,
            })
        };
        match planned
            .suite
            .run_test(&planned.info, settings, limit, &mut on_slow)
        {
            ProcessOutcome::NoAnswer { message } => Err(message),
            ProcessOutcome::Answered(r) => match r.outcome {
                Outcome::Passed => r
                    .measurement
                    .ok_or_else(|| "the test measured nothing".to_string()),
                Outcome::Failed { message } => Err(format!("the test failed: {message}")),
                Outcome::TimedOut { after_ns } => Err(format!(
                    "the test timed out after {}",
                    crate::format::duration_ns(after_ns as f64)
                )),
            },
        }
    }
}

/// The planned tests of one side as (id, description) pairs, for [`match_tests`].
pub fn described(plan: &[Planned<'_>]) -> Vec<(TestId, TestInfo)> {
    plan.iter().map(|p| (p.id(), p.info.clone())).collect()
}

/// The tests of both sides, by id.
#[derive(Debug, Clone, Default)]
pub struct Matched {
    pub both: Vec<PairedTest>,
    pub added: Vec<PairedTest>,
    /// Ids of tests only the base has.
    pub removed: Vec<String>,
}

impl Matched {
    /// What the pairing found worth saying: tests only the base has, an A/A calibration.
    pub fn notes(&self, calibrate: bool) -> Vec<String> {
        let mut notes = Vec::new();
        if !self.removed.is_empty() {
            notes.push(format!(
                "only in base (removed or renamed): {}",
                self.removed.join(", ")
            ));
        }
        if calibrate {
            notes.push(
                "calibration (A/A): both sides run HEAD's build, so every flagged test is noise; \
                 \"could detect\" is this machine's noise floor per test"
                    .to_string(),
            );
        }
        notes
    }
}

/// Pair tests by id, in head's order; a kind that changed counts as removed plus added,
/// because the two figures would not measure the same thing.
pub fn match_tests(base: Vec<(TestId, TestInfo)>, head: Vec<(TestId, TestInfo)>) -> Matched {
    let mut base_by_id: BTreeMap<TestId, TestInfo> = base.into_iter().collect();
    let mut m = Matched::default();
    for (test_id, info) in head {
        let id = test_id.to_string();
        match base_by_id.remove(&test_id) {
            Some(b) if b.kind == info.kind => m.both.push(PairedTest { id, test_id, info }),
            Some(_) => {
                m.removed.push(id.clone());
                m.added.push(PairedTest { id, test_id, info });
            }
            None => m.added.push(PairedTest { id, test_id, info }),
        }
    }
    m.removed
        .extend(base_by_id.into_keys().map(|id| id.to_string()));
    m.removed.sort();
    m
}

/// The [`RoundRunner`] over real sides: each round runs the test once on each side in the
/// order asked, and keeps both processes' figures.
pub struct Interleaved<'a> {
    pub tests: &'a [PairedTest],
    pub base: &'a dyn Side,
    pub head: &'a dyn Side,
    pub quick: bool,
    pub base_runs: Vec<Vec<Measurement>>,
    pub head_runs: Vec<Vec<Measurement>>,
    /// Told every round (`RoundFinished`) and what the sides' processes report.
    pub reporter: &'a mut dyn Reporter,
}

impl<'a> Interleaved<'a> {
    pub fn new(
        tests: &'a [PairedTest],
        base: &'a dyn Side,
        head: &'a dyn Side,
        quick: bool,
        reporter: &'a mut dyn Reporter,
    ) -> Self {
        Interleaved {
            tests,
            base,
            head,
            quick,
            base_runs: vec![Vec::new(); tests.len()],
            head_runs: vec![Vec::new(); tests.len()],
            reporter,
        }
    }

    fn one(
        &mut self,
        side: &dyn Side,
        label: &str,
        test: usize,
        round: u32,
    ) -> Result<(Measurement, f64), String> {
        let t = &self.tests[test];
        let measured = side
            .measure(&t.id, round_settings(round, self.quick), self.reporter)
            .map_err(|e| format!("{label}: {e}"))?;
        let metric = primary_metric(t.info.kind);
        let value = metric
            .get(&measured.metrics)
            .ok_or_else(|| format!("{label}: the test reported no {}", metric.name()))?;
        Ok((measured, value))
    }
}

impl RoundRunner for Interleaved<'_> {
    fn run_round(&mut self, test: usize, base_first: bool) -> Result<Pair, String> {
        let round = self.base_runs[test].len() as u32;
        let (base, head) = if base_first {
            let b = self.one(self.base, "base", test, round)?;
            (b, self.one(self.head, "head", test, round)?)
        } else {
            let h = self.one(self.head, "head", test, round)?;
            (self.one(self.base, "base", test, round)?, h)
        };
        self.base_runs[test].push(base.0);
        self.head_runs[test].push(head.0);
        self.reporter.event(&Event::RoundFinished {
            id: &self.tests[test].id,
            rounds: self.base_runs[test].len(),
        });
        Ok(Pair {
            base: base.1,
            head: head.1,
        })
    }
}

/// How an A/B session runs: the decision policy, the budget for extra rounds, the threshold
/// of tests without their own `noise`, and whether processes are short.
#[derive(Debug, Clone)]
pub struct Plan {
    pub policy: Policy,
    /// A/A: both sides are head's build.
    pub calibrate: bool,
    pub budget: Duration,
    pub threshold: f64,
    pub quick: bool,
}

/// What a session measured: head's reports (compared and new), the base's own figures of the
/// compared tests (for the store), and how many rounds ran in how long.
pub struct Measured {
    pub tests: Vec<TestReport>,
    pub base_tests: Vec<TestReport>,
    pub note: String,
}

/// Run the rounds of every test both sides have, measure the tests only head has, and turn
/// it all into reports. `base_commit` is what the comparisons name as their baseline.
pub fn run(
    matched: &Matched,
    base: &dyn Side,
    head: &dyn Side,
    plan: &Plan,
    (base_commit, head_commit): (&str, Option<&str>),
    reporter: &mut dyn Reporter,
) -> Measured {
    let shown_base = if plan.calibrate {
        "HEAD (A/A)"
    } else {
        short(base_commit)
    };
    let what = format!(
        "{} test(s) in paired rounds (base {shown_base} vs head {})",
        matched.both.len(),
        head_commit.map_or("(none)", short)
    );
    reporter.event(&Event::Step {
        verb: "Running",
        what: &what,
    });
    let thresholds: Vec<f64> = matched
        .both
        .iter()
        .map(|t| t.info.noise.unwrap_or(plan.threshold))
        .collect();
    let mut runner = Interleaved::new(&matched.both, base, head, plan.quick, reporter);
    let started = Instant::now();
    let deadline = started + plan.budget;
    let decided = rounds::run_suite(&mut runner, &thresholds, &plan.policy, Some(deadline));
    let (head_runs, base_runs) = (runner.head_runs, runner.base_runs);

    let mut tests = Vec::new();
    let mut base_tests = Vec::new();
    let compared = matched.both.iter().zip(&decided);
    for ((t, result), (head, base)) in compared.zip(head_runs.into_iter().zip(base_runs)) {
        tests.push(results::compared(
            &t.test_id,
            &t.info,
            result,
            head,
            base_commit,
        ));
        if result.error.is_none() {
            base_tests.push(results::side(&t.test_id, &t.info, base));
        }
    }
    for t in &matched.added {
        let (runs, error) = measure_added(head, t, plan.quick, reporter);
        tests.push(results::added(&t.test_id, &t.info, runs, error));
    }
    let rounds: usize = decided
        .iter()
        .map(|r| r.pairs.len() + r.confirm_pairs.len())
        .sum();
    Measured {
        tests,
        base_tests,
        note: format!("{rounds} rounds in {:.1}s", started.elapsed().as_secs_f64()),
    }
}

/// A new test: a few head processes, for its figures and thresholds.
fn measure_added(
    head: &dyn Side,
    t: &PairedTest,
    quick: bool,
    reporter: &mut dyn Reporter,
) -> (Vec<Measurement>, Option<String>) {
    let mut runs = Vec::new();
    for round in 0..3 {
        match head.measure(&t.id, round_settings(round, quick), reporter) {
            Ok(m) => runs.push(m),
            Err(e) => return (runs, Some(e)),
        }
    }
    (runs, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::run::events::Silent;
    use crate::cli::testing::info;
    use crate::metrics::Metrics;
    use crate::protocol::TestKind;
    use std::cell::Cell;

    fn paired(name: &str, kind: TestKind) -> PairedTest {
        let test_id = TestId::new("p", "t", name);
        PairedTest {
            id: test_id.to_string(),
            test_id,
            info: info(name, kind),
        }
    }

    #[test]
    fn tests_on_one_side_are_added_or_removed() {
        let id = |name: &str| TestId::new("p", "t", name);
        let base = vec![
            (id("a"), info("a", TestKind::Bench)),
            (id("gone"), info("gone", TestKind::Bench)),
            (id("k"), info("k", TestKind::Bench)),
        ];
        let head = vec![
            (id("new"), info("new", TestKind::Bench)),
            (id("a"), info("a", TestKind::Bench)),
            (id("k"), info("k", TestKind::Load)),
        ];
        let m = match_tests(base, head);
        let ids = |v: &[PairedTest]| v.iter().map(|t| t.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&m.both), ["p/t/a"]);
        assert_eq!(ids(&m.added), ["p/t/new", "p/t/k"]);
        assert_eq!(m.removed, ["p/t/gone", "p/t/k"]);
    }

    /// A side whose test costs a fixed time per call and counts its calls: enough to check
    /// that rounds call both sides in the order asked and route the figures right.
    struct Fixed {
        ns: f64,
        calls: Cell<u32>,
        log: &'static std::thread::LocalKey<std::cell::RefCell<Vec<&'static str>>>,
        label: &'static str,
        fail: bool,
    }

    thread_local! {
        static LOG: std::cell::RefCell<Vec<&'static str>> = const { std::cell::RefCell::new(Vec::new()) };
    }

    impl Side for Fixed {
        fn measure(
            &self,
            _id: &str,
            settings: Settings,
            _reporter: &mut dyn Reporter,
        ) -> Result<Measurement, String> {
            assert_eq!(settings.mode, Mode::Measure);
            assert!(settings.measure_ns >= 10_000_000);
            self.calls.set(self.calls.get() + 1);
            self.log.with(|l| l.borrow_mut().push(self.label));
            if self.fail {
                return Err("process exited with signal 11".into());
            }
            Ok(crate::cli::testing::measurement(Metrics {
                median_ns: Some(self.ns),
                ..Metrics::default()
            }))
        }
    }

    #[test]
    fn rounds_run_both_sides_in_the_order_asked() {
        let tests = vec![paired("a", TestKind::Bench)];
        let base = Fixed {
            ns: 100.0,
            calls: Cell::new(0),
            log: &LOG,
            label: "base",
            fail: false,
        };
        let head = Fixed {
            ns: 108.0,
            calls: Cell::new(0),
            log: &LOG,
            label: "head",
            fail: false,
        };
        let mut silent = Silent;
        let mut runner = Interleaved::new(&tests, &base, &head, false, &mut silent);
        let p = runner.run_round(0, true).unwrap();
        assert_eq!((p.base, p.head), (100.0, 108.0));
        runner.run_round(0, false).unwrap();
        assert_eq!(
            LOG.with(|l| l.borrow().clone()),
            ["base", "head", "head", "base"]
        );
        assert_eq!(runner.base_runs[0].len(), 2);
        assert_eq!(runner.head_runs[0][1].metrics.median_ns, Some(108.0));
    }

    /// Keeps the lines the terminal reporter would log, and the rounds it was told of.
    #[derive(Default)]
    struct Recording(Vec<String>);

    impl Reporter for Recording {
        fn event(&mut self, event: &Event<'_>) {
            if let Event::RoundFinished { id, rounds } = event {
                self.0.push(format!("{id} {rounds}"));
            }
        }
    }

    #[test]
    fn every_round_is_told_to_the_reporter() {
        let tests = vec![paired("a", TestKind::Bench)];
        let side = |label| Fixed {
            ns: 5.0,
            calls: Cell::new(0),
            log: &LOG,
            label,
            fail: false,
        };
        let (base, head) = (side("base"), side("head"));
        let mut recording = Recording::default();
        let mut runner = Interleaved::new(&tests, &base, &head, true, &mut recording);
        runner.run_round(0, true).unwrap();
        runner.run_round(0, false).unwrap();
        assert_eq!(recording.0, ["p/t/a 1", "p/t/a 2"]);
    }

    #[test]
    fn a_failing_side_is_named_in_the_error() {
        let tests = vec![paired("a", TestKind::Load)];
        let base = Fixed {
            ns: 1.0,
            calls: Cell::new(0),
            log: &LOG,
            label: "base",
            fail: false,
        };
        let head = Fixed {
            ns: 1.0,
            calls: Cell::new(0),
            log: &LOG,
            label: "head",
            fail: true,
        };
        let mut silent = Silent;
        let mut runner = Interleaved::new(&tests, &base, &head, true, &mut silent);
        let e = runner.run_round(0, true).unwrap_err();
        assert!(e.starts_with("base: the test reported no p99_ns"), "{e}");
        let tests = vec![paired("a", TestKind::Bench)];
        let mut runner = Interleaved::new(&tests, &base, &head, true, &mut silent);
        let e = runner.run_round(0, true).unwrap_err();
        assert_eq!(e, "head: process exited with signal 11");
    }
}
