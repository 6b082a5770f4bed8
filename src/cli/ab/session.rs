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
use crate::cli::run::instructions;
use crate::cli::run::runner::Planned;
use crate::cli::run::suite::{Limit, ProcessOutcome};
use crate::metrics::Metric;
use crate::protocol::{Counting, Measurement, Outcome, Settings, TestInfo, TestKind};

/// Default threshold of `ab`: pairing removes most of the machine's noise, so changes well
/// below `run`'s 5 % are resolved; `--threshold` and a test's `noise` override it.
pub const DEFAULT_AB_THRESHOLD: f64 = 0.02;

/// How every process of a session runs, on both sides: short or not (`--quick`), load tests
/// scaled (`--load-scale`), instructions counted (`--instructions`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Processes {
    pub quick: bool,
    pub load_scale: Option<f64>,
    pub counting: Counting,
}

impl Processes {
    /// One process of round `round` of a test of `kind`: enough work (≥ 10 ms) for a stable
    /// median, short enough that base and head see the same machine state; counted the way
    /// `run` counts a test of this kind.
    pub fn settings(&self, round: u32, kind: TestKind) -> Settings {
        let (warmup_ms, measure_ms) = if self.quick { (10, 20) } else { (20, 40) };
        Settings {
            load_scale: self.load_scale,
            counting: instructions::for_test(self.counting, kind),
            ..Settings::measuring(warmup_ms, measure_ms, round, 0)
        }
    }

    /// The metric the rounds of a test of `kind` compare: its instruction count when counted
    /// (a deterministic figure, judged exactly), else its primary timing metric.
    pub fn compared_metric(&self, kind: TestKind) -> Metric {
        match instructions::for_test(self.counting, kind) {
            Counting::Off => primary_metric(kind),
            Counting::Hardware | Counting::Valgrind => Metric::Instructions,
        }
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
    pub processes: Processes,
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
        processes: Processes,
        reporter: &'a mut dyn Reporter,
    ) -> Self {
        Interleaved {
            tests,
            base,
            head,
            processes,
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
        let settings = self.processes.settings(round, t.info.kind);
        let measured = side
            .measure(&t.id, settings, self.reporter)
            .map_err(|e| format!("{label}: {e}"))?;
        let metric = self.processes.compared_metric(t.info.kind);
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
/// of tests without their own `noise`, and how every process runs.
#[derive(Debug, Clone)]
pub struct Plan {
    pub policy: Policy,
    /// A/A: both sides are head's build.
    pub calibrate: bool,
    pub budget: Duration,
    pub threshold: f64,
    pub processes: Processes,
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
    let mut runner = Interleaved::new(&matched.both, base, head, plan.processes, reporter);
    let started = Instant::now();
    let deadline = started + plan.budget;
    let exact: Vec<bool> = (matched.both.iter())
        .map(|t| plan.processes.compared_metric(t.info.kind) == Metric::Instructions)
        .collect();
    let (policy, deadline) = (&plan.policy, Some(deadline));
    let decided = rounds::run_mixed(&mut runner, &thresholds, &exact, policy, deadline);
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
        let (runs, error) = measure_added(head, t, plan.processes, reporter);
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
    processes: Processes,
    reporter: &mut dyn Reporter,
) -> (Vec<Measurement>, Option<String>) {
    let mut runs = Vec::new();
    for round in 0..3 {
        match head.measure(&t.id, processes.settings(round, t.info.kind), reporter) {
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

    const QUICK: Processes = Processes {
        quick: true,
        load_scale: None,
        counting: Counting::Off,
    };

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
            assert_eq!(settings.mode, crate::protocol::Mode::Measure);
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
        let mut runner = Interleaved::new(&tests, &base, &head, Processes::default(), &mut silent);
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

    /// Records the settings of every process it is asked to run, and answers with an
    /// instruction count and a time.
    #[derive(Default)]
    struct Settled(std::cell::RefCell<Vec<Settings>>);

    impl Side for Settled {
        fn measure(
            &self,
            _id: &str,
            settings: Settings,
            _reporter: &mut dyn Reporter,
        ) -> Result<Measurement, String> {
            self.0.borrow_mut().push(settings);
            Ok(crate::cli::testing::measurement(Metrics {
                median_ns: Some(50.0),
                p99_ns: Some(60.0),
                instructions_per_iter: Some(7000.0),
                ..Metrics::default()
            }))
        }
    }

    #[test]
    fn every_process_of_both_sides_carries_the_load_scale_and_the_counting() {
        let matched = Matched {
            both: vec![paired("b", TestKind::Bench), paired("l", TestKind::Load)],
            added: vec![paired("new", TestKind::Load)],
            removed: vec![],
        };
        let (base, head) = (Settled::default(), Settled::default());
        let plan = Plan {
            policy: Policy::default(),
            calibrate: false,
            budget: Duration::ZERO,
            threshold: DEFAULT_AB_THRESHOLD,
            processes: Processes {
                quick: true,
                load_scale: Some(0.25),
                counting: Counting::Valgrind,
            },
        };
        let measured = run(
            &matched,
            &base,
            &head,
            &plan,
            ("b1", Some("h1")),
            &mut Silent,
        );
        let (base, head) = (base.0.into_inner(), head.0.into_inner());
        // The bench test: two rounds, counted; the load test: its paired rounds, timed.
        assert_eq!(
            base.len(),
            rounds::EXACT_ROUNDS + Policy::default().min_rounds
        );
        assert_eq!(
            head.len(),
            base.len() + 3,
            "and three processes of the new test"
        );
        for s in base.iter().chain(&head) {
            assert_eq!(s.load_scale, Some(0.25));
        }
        let counted = |side: &[Settings]| {
            let n = side
                .iter()
                .filter(|s| s.counting == Counting::Valgrind)
                .count();
            (n, side.len() - n)
        };
        assert_eq!(counted(&base), (rounds::EXACT_ROUNDS, 10));
        let c = measured.tests[0].comparison.as_ref().unwrap();
        assert_eq!(c.metric, "instructions_per_iter");
        assert_eq!(
            c.note.as_deref(),
            Some(crate::cli::compare::exact::DETERMINISTIC_NOTE)
        );
        assert_eq!(
            (c.verdict, c.change),
            (crate::cli::model::Verdict::Unchanged, Some(0.0))
        );
        let c = measured.tests[1].comparison.as_ref().unwrap();
        assert_eq!((c.metric.as_str(), c.note.as_deref()), ("p99_ns", None));
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
        let mut runner = Interleaved::new(&tests, &base, &head, QUICK, &mut recording);
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
        let mut runner = Interleaved::new(&tests, &base, &head, QUICK, &mut silent);
        let e = runner.run_round(0, true).unwrap_err();
        assert!(e.starts_with("base: the test reported no p99_ns"), "{e}");
        let tests = vec![paired("a", TestKind::Bench)];
        let mut runner = Interleaved::new(&tests, &base, &head, QUICK, &mut silent);
        let e = runner.run_round(0, true).unwrap_err();
        assert_eq!(e, "head: process exited with signal 11");
    }
}
