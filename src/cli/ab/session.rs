//! One A/B session: pairs the tests of the two sides by id (tests on one side only are added or
//! removed, not errors), and runs rounds of one base process and one head process per test,
//! keeping every process's figures for the report.

use std::collections::BTreeMap;

use super::report::metric_value;
use super::rounds::RoundRunner;
use super::stats::Pair;
use crate::protocol::{Metrics, Mode, Settings, TestInfo};

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
    }
}

/// Runs one test once in a fresh process of one side.
pub trait Side {
    fn measure(&self, id: &str, settings: Settings) -> Result<Metrics, String>;
}

/// A test to compare: its id and head's description of it.
#[derive(Debug, Clone)]
pub struct PairedTest {
    pub id: String,
    pub info: TestInfo,
}

/// The tests of both sides, by id.
#[derive(Debug, Clone, Default)]
pub struct Matched {
    pub both: Vec<PairedTest>,
    pub added: Vec<PairedTest>,
    /// Ids of tests only the base has.
    pub removed: Vec<String>,
}

/// Pair tests by id, in head's order; a kind that changed counts as removed plus added,
/// because the two figures would not measure the same thing.
pub fn match_tests(base: Vec<(String, TestInfo)>, head: Vec<(String, TestInfo)>) -> Matched {
    let mut base_by_id: BTreeMap<String, TestInfo> = base.into_iter().collect();
    let mut m = Matched::default();
    for (id, info) in head {
        match base_by_id.remove(&id) {
            Some(b) if b.kind == info.kind => m.both.push(PairedTest { id, info }),
            Some(_) => {
                m.removed.push(id.clone());
                m.added.push(PairedTest { id, info });
            }
            None => m.added.push(PairedTest { id, info }),
        }
    }
    m.removed.extend(base_by_id.into_keys());
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
    pub base_runs: Vec<Vec<Metrics>>,
    pub head_runs: Vec<Vec<Metrics>>,
    /// Called after every round with (test index, rounds so far), for progress output.
    pub on_round: Option<&'a mut dyn FnMut(usize, usize)>,
}

impl<'a> Interleaved<'a> {
    pub fn new(
        tests: &'a [PairedTest],
        base: &'a dyn Side,
        head: &'a dyn Side,
        quick: bool,
    ) -> Self {
        Interleaved {
            tests,
            base,
            head,
            quick,
            base_runs: vec![Vec::new(); tests.len()],
            head_runs: vec![Vec::new(); tests.len()],
            on_round: None,
        }
    }

    fn one(
        &self,
        side: &dyn Side,
        label: &str,
        test: usize,
        round: u32,
    ) -> Result<(Metrics, f64), String> {
        let t = &self.tests[test];
        let metrics = side
            .measure(&t.id, round_settings(round, self.quick))
            .map_err(|e| format!("{label}: {e}"))?;
        let value = metric_value(t.info.kind, &metrics).ok_or_else(|| {
            format!(
                "{label}: the test reported no {}",
                super::report::compared_metric(t.info.kind)
            )
        })?;
        Ok((metrics, value))
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
        if let Some(f) = self.on_round.as_mut() {
            f(test, self.base_runs[test].len());
        }
        Ok(Pair {
            base: base.1,
            head: head.1,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::TestKind;
    use std::cell::Cell;

    fn info(name: &str, kind: TestKind) -> TestInfo {
        TestInfo {
            name: name.into(),
            kind,
            tags: vec![],
            ignored: false,
            file: "benches/perf.rs".into(),
            line: 1,
            thresholds: vec![],
            threshold_error: None,
            timeout_ns: None,
            noise: None,
        }
    }

    #[test]
    fn tests_on_one_side_are_added_or_removed() {
        let base = vec![
            ("p/t/a".to_string(), info("a", TestKind::Bench)),
            ("p/t/gone".to_string(), info("gone", TestKind::Bench)),
            ("p/t/k".to_string(), info("k", TestKind::Bench)),
        ];
        let head = vec![
            ("p/t/new".to_string(), info("new", TestKind::Bench)),
            ("p/t/a".to_string(), info("a", TestKind::Bench)),
            ("p/t/k".to_string(), info("k", TestKind::Load)),
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
        fn measure(&self, _id: &str, settings: Settings) -> Result<Metrics, String> {
            assert_eq!(settings.mode, Mode::Measure);
            assert!(settings.measure_ns >= 10_000_000);
            self.calls.set(self.calls.get() + 1);
            self.log.with(|l| l.borrow_mut().push(self.label));
            if self.fail {
                return Err("process exited with signal 11".into());
            }
            Ok(Metrics {
                median_ns: Some(self.ns),
                ..Metrics::default()
            })
        }
    }

    #[test]
    fn rounds_run_both_sides_in_the_order_asked() {
        let tests = vec![PairedTest {
            id: "p/t/a".into(),
            info: info("a", TestKind::Bench),
        }];
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
        let mut runner = Interleaved::new(&tests, &base, &head, false);
        let p = runner.run_round(0, true).unwrap();
        assert_eq!((p.base, p.head), (100.0, 108.0));
        runner.run_round(0, false).unwrap();
        assert_eq!(
            LOG.with(|l| l.borrow().clone()),
            ["base", "head", "head", "base"]
        );
        assert_eq!(runner.base_runs[0].len(), 2);
        assert_eq!(runner.head_runs[0][1].median_ns, Some(108.0));
    }

    #[test]
    fn a_failing_side_is_named_in_the_error() {
        let tests = vec![PairedTest {
            id: "p/t/a".into(),
            info: info("a", TestKind::Load),
        }];
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
        let mut runner = Interleaved::new(&tests, &base, &head, true);
        let e = runner.run_round(0, true).unwrap_err();
        assert!(e.starts_with("base: the test reported no p99_ns"), "{e}");
        let tests = vec![PairedTest {
            id: "p/t/a".into(),
            info: info("a", TestKind::Bench),
        }];
        let mut runner = Interleaved::new(&tests, &base, &head, true);
        let e = runner.run_round(0, true).unwrap_err();
        assert_eq!(e, "head: process exited with signal 11");
    }
}
