//! What a finished run hands back to the test: `LoadReport` with the headline, per-operation,
//! per-stage and per-fault figures, counters, and the named checks the test records.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::protocol::{Measurement, OperationFigures, StageFigures};
use crate::threshold::{Op, ThresholdCheck};

/// The figures of the whole run, one operation, or one stage. Latencies are zero and rates
/// are zero when no operation completed.
///
/// ```no_run
/// # fn demo(report: &cargo_perf::LoadReport) {
/// let spike = report.stage("spike");
/// println!("{} ops, {:.1}% ok, p99 {:?}", spike.operations(), spike.success_rate(), spike.p99());
/// println!("reads in the spike: p95 {:?}", spike.op("read").p95());
/// # }
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    name: String,
    operations: u64,
    failures: u64,
    throughput: f64,
    success_rate: f64,
    p50: f64,
    p90: f64,
    p95: f64,
    p99: f64,
    p999: f64,
    max: f64,
    mean: f64,
    /// A stage's figures per operation.
    ops: Vec<Figures>,
}

fn dur(ns: f64) -> Duration {
    Duration::from_nanos(ns.max(0.0) as u64)
}

impl Figures {
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Operations completed (failed ones included).
    pub fn operations(&self) -> u64 {
        self.operations
    }
    pub fn failures(&self) -> u64 {
        self.failures
    }
    /// Operations per second.
    pub fn throughput(&self) -> f64 {
        self.throughput
    }
    /// Percent of operations that succeeded.
    pub fn success_rate(&self) -> f64 {
        self.success_rate
    }
    pub fn p50(&self) -> Duration {
        dur(self.p50)
    }
    pub fn p90(&self) -> Duration {
        dur(self.p90)
    }
    pub fn p95(&self) -> Duration {
        dur(self.p95)
    }
    pub fn p99(&self) -> Duration {
        dur(self.p99)
    }
    pub fn p999(&self) -> Duration {
        dur(self.p999)
    }
    pub fn max(&self) -> Duration {
        dur(self.max)
    }
    pub fn mean(&self) -> Duration {
        dur(self.mean)
    }

    /// One operation of a stage.
    ///
    /// # Panics
    /// On a name that is not an operation of the mix; the message lists the known ones.
    pub fn op(&self, name: &str) -> &Figures {
        find(&self.ops, name, "operation")
    }

    fn from_op(o: &OperationFigures) -> Figures {
        Figures {
            name: o.name.clone(),
            operations: o.operations,
            failures: o.failures,
            throughput: o.throughput_per_sec,
            success_rate: o.success_rate.unwrap_or(0.0),
            p50: o.p50_ns.unwrap_or(0.0),
            p90: o.p90_ns.unwrap_or(0.0),
            p95: o.p95_ns.unwrap_or(0.0),
            p99: o.p99_ns.unwrap_or(0.0),
            p999: o.p999_ns.unwrap_or(0.0),
            max: o.max_ns.unwrap_or(0.0),
            mean: o.mean_ns.unwrap_or(0.0),
            ops: Vec::new(),
        }
    }

    fn from_stage(s: &StageFigures) -> Figures {
        Figures {
            name: s.name.clone(),
            operations: s.operations,
            failures: s.failures,
            throughput: s.throughput_per_sec,
            success_rate: if s.operations == 0 {
                0.0
            } else {
                100.0 * (s.operations - s.failures.min(s.operations)) as f64 / s.operations as f64
            },
            p50: s.p50_ns.unwrap_or(0.0),
            p90: s.p90_ns.unwrap_or(0.0),
            p95: s.p95_ns.unwrap_or(0.0),
            p99: s.p99_ns.unwrap_or(0.0),
            p999: s.p999_ns.unwrap_or(0.0),
            max: s.max_ns.unwrap_or(0.0),
            mean: s.mean_ns.unwrap_or(0.0),
            ops: s.by_operation.iter().map(Figures::from_op).collect(),
        }
    }

    fn headline(m: &Measurement) -> Figures {
        let x = &m.metrics;
        let l = m.load.as_ref();
        Figures {
            name: String::new(),
            operations: l.map_or(0, |l| l.operations),
            failures: l.map_or(0, |l| l.failures),
            throughput: x.throughput_per_sec.unwrap_or(0.0),
            success_rate: x.success_rate.unwrap_or(0.0),
            p50: x.p50_ns.unwrap_or(0.0),
            p90: x.p90_ns.unwrap_or(0.0),
            p95: x.p95_ns.unwrap_or(0.0),
            p99: x.p99_ns.unwrap_or(0.0),
            p999: x.p999_ns.unwrap_or(0.0),
            max: x.max_ns.unwrap_or(0.0),
            mean: x.mean_ns.unwrap_or(0.0),
            ops: Vec::new(),
        }
    }
}

fn find<'a>(all: &'a [Figures], name: &str, what: &str) -> &'a Figures {
    static EMPTY: Figures = Figures {
        name: String::new(),
        operations: 0,
        failures: 0,
        throughput: 0.0,
        success_rate: 0.0,
        p50: 0.0,
        p90: 0.0,
        p95: 0.0,
        p99: 0.0,
        p999: 0.0,
        max: 0.0,
        mean: 0.0,
        ops: Vec::new(),
    };
    if all.is_empty() {
        // A failed run (its error fails the test) or a one-operation run asked for an
        // operation: nothing to show, and nothing to mask the real error with.
        return &EMPTY;
    }
    all.iter().find(|f| f.name == name).unwrap_or_else(|| {
        let known: Vec<&str> = all.iter().map(|f| f.name.as_str()).collect();
        panic!(
            "no {what} named {name:?}; known {what}s: {}",
            known.join(", ")
        )
    })
}

/// A named check recorded by the test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NamedCheck {
    pub name: String,
    pub passed: bool,
}

/// The checks of one test, shared by its `LoadTest` and the reports it handed out.
pub(crate) type CheckLog = Arc<Mutex<Vec<NamedCheck>>>;

/// A finished run's figures, returned by `LoadTest::run`, `run_mix` and `find_capacity`.
///
/// ```no_run
/// # fn demo(load: &mut cargo_perf::LoadTest) {
/// use std::time::Duration;
/// let report = load
///     .concurrency(8)
///     .operation("read", 80, |_| async {})
///     .operation("write", 20, |_| async {})
///     .run_mix();
/// report.check("writes stay under 10 ms", report.op("write").p99() < Duration::from_millis(10));
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct LoadReport {
    total: Figures,
    ops: Vec<Figures>,
    stages: Vec<Figures>,
    measurement: Option<Measurement>,
    checks: CheckLog,
}

impl LoadReport {
    pub(crate) fn new(measurement: Option<&Measurement>, checks: CheckLog) -> LoadReport {
        let load = measurement.and_then(|m| m.load.as_ref());
        LoadReport {
            total: measurement.map(Figures::headline).unwrap_or_default(),
            ops: load
                .map(|l| l.by_operation.iter().map(Figures::from_op).collect())
                .unwrap_or_default(),
            stages: load
                .map(|l| l.stages.iter().map(Figures::from_stage).collect())
                .unwrap_or_default(),
            measurement: measurement.cloned(),
            checks,
        }
    }

    /// The headline figures (every operation of the counted phases).
    pub fn total(&self) -> &Figures {
        &self.total
    }
    pub fn operations(&self) -> u64 {
        self.total.operations
    }
    pub fn failures(&self) -> u64 {
        self.total.failures
    }
    pub fn throughput(&self) -> f64 {
        self.total.throughput
    }
    pub fn success_rate(&self) -> f64 {
        self.total.success_rate
    }
    pub fn p50(&self) -> Duration {
        self.total.p50()
    }
    pub fn p90(&self) -> Duration {
        self.total.p90()
    }
    pub fn p95(&self) -> Duration {
        self.total.p95()
    }
    pub fn p99(&self) -> Duration {
        self.total.p99()
    }
    pub fn p999(&self) -> Duration {
        self.total.p999()
    }
    pub fn max(&self) -> Duration {
        self.total.max()
    }
    pub fn mean(&self) -> Duration {
        self.total.mean()
    }

    /// One operation of the mix, over the counted phases.
    ///
    /// # Panics
    /// On a name that is not an operation of the mix; the message lists the known ones.
    pub fn op(&self, name: &str) -> &Figures {
        find(&self.ops, name, "operation")
    }

    /// One stage (`ramp_up`, `steady`, a `stage(name, ..)`, or `stage N`).
    ///
    /// # Panics
    /// On a name that is not a stage of the run; the message lists the known ones.
    pub fn stage(&self, name: &str) -> &Figures {
        find(&self.stages, name, "stage")
    }

    /// How long after the fault window `name` ended the run was back at its pre-fault level
    /// (see the recovery rule in `docs/load-scenarios.md`); `None` when it never was.
    pub fn recovery_time(&self, name: &str) -> Option<Duration> {
        self.load()?
            .faults
            .iter()
            .find(|f| f.name == name)?
            .recovery_time_ns
            .map(Duration::from_nanos)
    }

    /// A counter's total (`ctx.count`), 0 when no operation counted it.
    pub fn counter(&self, name: &str) -> u64 {
        self.custom(name).map_or(0, |v| v as u64)
    }

    /// A ratio's percentage of yes (`ctx.ratio`), `None` when no operation reported it.
    pub fn ratio(&self, name: &str) -> Option<f64> {
        self.custom(name)
    }

    /// What a capacity search found: operations per second, or users with
    /// `CapacityGoal::in_users`.
    pub fn capacity(&self) -> Option<f64> {
        let c = self.load()?.capacity.as_ref()?;
        Some(c.capacity_users.map_or(c.capacity_per_sec, |u| u as f64))
    }

    /// Records a named check, reported and stored like a threshold (as `check[name]`); a
    /// failed one fails the test with its name under `cargo perf` and `cargo bench`.
    /// Returns `passed`.
    pub fn check(&self, name: &str, passed: bool) -> bool {
        self.checks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(NamedCheck {
                name: name.to_string(),
                passed,
            });
        passed
    }

    /// Everything measured, as the JSON report holds it (`None` when the run failed).
    pub fn measurement(&self) -> Option<&Measurement> {
        self.measurement.as_ref()
    }

    fn load(&self) -> Option<&crate::protocol::LoadDetails> {
        self.measurement.as_ref()?.load.as_ref()
    }

    fn custom(&self, name: &str) -> Option<f64> {
        self.measurement
            .as_ref()?
            .custom
            .iter()
            .find(|c| c.name == name)
            .map(|c| c.value)
    }
}

/// The named checks as threshold checks (`check[name]`, passed when `actual` ≥ 1).
pub(crate) fn check_results(checks: &CheckLog) -> Vec<ThresholdCheck> {
    checks
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .map(|c| ThresholdCheck {
            metric: format!("check[{}]", c.name),
            op: Op::Ge,
            limit: 1.0,
            actual: Some(if c.passed { 1.0 } else { 0.0 }),
            passed: c.passed,
            note: None,
            ci: None,
        })
        .collect()
}
