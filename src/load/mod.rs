//! Async load tests: the `LoadTest` a `#[perf_test]` function configures and runs.
//!
//! Two models: *closed* (`concurrency(n)` workers, each awaiting one operation at a time) and
//! *open* (`rate(r)`: operations start on a timetable and latency counts from the scheduled
//! start). `ramp_up`, `duration`, `iterations` and `stages` shape the run; `find_capacity`
//! searches for the highest rate that meets a latency and success goal.

mod capacity;
mod closed;
mod config;
mod ctx;
mod engine;
mod faults;
/// `cargo perf merge` of load segments (feature `cli`; tests). Until the CLI's `merge`
/// command calls it, only the tests do.
#[allow(dead_code)]
pub mod merge;
mod mix;
mod open;
mod outcome;
mod params;
mod plan;
mod record;
mod report;
pub(crate) mod resources;
mod results;
pub mod segment;

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use capacity::CapacityGoal;
pub use ctx::Ctx;
pub use outcome::IntoOutcome;
pub use params::check_env;
pub use results::{Figures, LoadReport};

use crate::protocol::{Measurement, Settings};
use config::{Config, Model};
use ctx::RunShared;
use engine::RunEnv;
use faults::{FaultDecl, Hook};
use mix::{Operation, Picker};
use results::CheckLog;

/// Configures and runs a load test. Handed to `#[perf_test] fn f(load: &mut LoadTest)`.
///
/// ```no_run
/// # fn demo(load: &mut cargo_perf::LoadTest) {
/// use std::time::Duration;
/// load.concurrency(16)
///     .ramp_up(Duration::from_secs(1))
///     .duration(Duration::from_secs(5))
///     .run(|ctx| async move { ctx.seq() % 100 != 0 });
/// # }
/// ```
///
/// A mix of named operations, with stages, a fault window and a check
/// (see `docs/load-scenarios.md`):
///
/// ```no_run
/// # fn demo(load: &mut cargo_perf::LoadTest) {
/// use std::time::Duration;
/// let s = Duration::from_secs;
/// let report = load
///     .concurrency(10)
///     .stage("ramp", s(2), 50)
///     .stage("hold", s(10), 50)
///     .fault("outage", s(5), s(2), || { /* stop the backend */ }, || { /* restart it */ })
///     .op_timeout(Duration::from_millis(200))
///     .operation("read", 80, |ctx| async move { ctx.ratio("hit_rate", ctx.seq() % 10 != 0) })
///     .operation("write", 20, |_| async {})
///     .run_mix();
/// report.check("recovered", report.recovery_time("outage").is_some());
/// # }
/// ```
pub struct LoadTest {
    settings: Settings,
    config: Config,
    /// Set by `run` or `find_capacity`: the figures, or why there are none.
    result: Option<Result<Measurement, String>>,
    /// `operation(..)`, in order.
    ops: Vec<Operation>,
    faults: Vec<FaultDecl>,
    lower_is_better: Vec<String>,
    checks: CheckLog,
    /// A malformed `PERF_<TEST>_*` load parameter: the run fails with it.
    env_error: Option<String>,
}

/// The operations of one run as the engine and the report see them.
pub(crate) struct MixDef {
    pub ops: Vec<(String, u32)>,
    pub lower_is_better: Vec<String>,
}

/// Runs one resolved plan once on `rt`, with `op` dispatching every operation, and turns the
/// results into a measurement.
pub(crate) fn run_once<F, Fut>(
    rt: &tokio::runtime::Runtime,
    spec: &config::RunSpec,
    mix: &MixDef,
    hooks: Vec<(Hook, Hook)>,
    op: F,
) -> Result<Measurement, String>
where
    F: Fn(Ctx) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: IntoOutcome,
{
    let names: Vec<String> = mix.ops.iter().map(|(n, _)| n.clone()).collect();
    let weights: Vec<u32> = mix.ops.iter().map(|(_, w)| *w).collect();
    let fault_names: Vec<String> = spec.windows.iter().map(|w| w.name.clone()).collect();
    let shared = RunShared::leak(names, &fault_names);
    let env = Arc::new(RunEnv {
        picker: Picker::new(&weights),
        ops: mix.ops.len().max(1),
        shared,
        timeout: spec.op_timeout.map(|d| {
            let text = format!(
                "timed out after {}",
                crate::format::duration_ns(d.as_nanos() as f64)
            );
            (d, text)
        }),
        windows: spec.windows.clone(),
        hooks: Mutex::new(hooks),
    });
    // A segment that misses the common start refuses to run (before any operation).
    let start = segment::begin(spec.segment, spec.start_at_unix_ns)?;
    let data = match spec.model {
        Model::Closed => closed::run(rt, spec, env, start.at, op),
        Model::Open { max_in_flight } => open::run(rt, spec, env, max_in_flight, start.at, op),
    };
    let mut m = report::measurement(
        spec,
        &data,
        &report::MixInfo {
            ops: &mix.ops,
            tallies: shared.tallies(),
            lower_is_better: &mix.lower_is_better,
        },
    )?;
    if let Some(load) = m.load.as_mut() {
        load.segment = start.figures;
    }
    Ok(m)
}

impl LoadTest {
    pub(crate) fn new(settings: Settings) -> LoadTest {
        LoadTest {
            settings,
            config: Config::default(),
            result: None,
            ops: Vec::new(),
            faults: Vec::new(),
            lower_is_better: Vec::new(),
            checks: CheckLog::default(),
            env_error: None,
        }
    }

    /// The load test of `test_name`, with its `PERF_<TEST>_CONCURRENCY`, `_RATE` and
    /// `_DURATION` overrides from the environment.
    pub(crate) fn for_test(settings: Settings, test_name: &str) -> LoadTest {
        let mut load = LoadTest::new(settings);
        match params::from_env(test_name, |v| std::env::var(v).ok()) {
            Ok(o) => load.config.overrides = o,
            Err(e) => load.env_error = Some(e),
        }
        load
    }

    /// Closed model: `n` workers, each awaiting one operation at a time. In the open model,
    /// the in-flight cap when `max_in_flight` is not given.
    pub fn concurrency(&mut self, n: usize) -> &mut Self {
        self.config.concurrency = Some(n);
        self
    }

    /// Open model: start `ops_per_sec` operations per second on a fixed timetable.
    pub fn rate(&mut self, ops_per_sec: u64) -> &mut Self {
        self.config.rate = Some(ops_per_sec);
        self
    }

    /// Open model: at most `n` operations in flight (default 10 000). An operation due while
    /// the cap is full waits for a slot (counted as late, its latency still counted from its
    /// scheduled start); one still waiting at the end is counted as dropped.
    pub fn max_in_flight(&mut self, n: usize) -> &mut Self {
        self.config.max_in_flight = Some(n);
        self
    }

    /// Raise the concurrency (or rate) linearly from 0 over `d` first. Operations during
    /// the ramp-up appear in the timeline and stage figures but not in the headline metrics.
    pub fn ramp_up(&mut self, d: Duration) -> &mut Self {
        self.config.ramp_up = Some(d);
        self
    }

    /// How long to run at the target (default: the harness's measurement time).
    pub fn duration(&mut self, d: Duration) -> &mut Self {
        self.config.duration = Some(d);
        self
    }

    /// Open model: the scheduler lag p99 above which the run is invalid (and fails rather
    /// than report latencies that include the generator's own delay). Default: 2 ms, or a
    /// quarter of the median latency when that is larger. Raise it on a machine too busy to
    /// start operations on time, knowing that latencies then include up to that much lag.
    pub fn max_scheduler_lag(&mut self, d: Duration) -> &mut Self {
        self.config.max_scheduler_lag = Some(d);
        self
    }

    /// Stop after `n` operations (whichever of duration and count comes first).
    pub fn iterations(&mut self, n: u64) -> &mut Self {
        self.config.iterations = Some(n);
        self
    }

    /// A shaped run: each `(duration, target)` moves the concurrency (closed model) or the
    /// rate (open model) linearly from the previous level to `target`. A zero duration is a
    /// step. Replaces `duration`.
    pub fn stages(&mut self, stages: &[(Duration, u64)]) -> &mut Self {
        self.config.stages = Some(stages.to_vec());
        self
    }

    /// Appends a named stage: the level (concurrency, or rate in the open model) moves
    /// linearly from the previous level to `target` over `d` (zero: a step). Its figures are
    /// reported under `name`, and attribute keys can limit them (`p99(stage = "spike")`).
    /// Replaces `duration`; not combined with `stages(&[..])`.
    pub fn stage(&mut self, name: &str, d: Duration, target: u64) -> &mut Self {
        self.config.named_stages.push((name.to_string(), d, target));
        self
    }

    /// Registers a named operation of a mix, run in proportion to `weight` by `run_mix()`
    /// (and `find_capacity_mix`). The output is `()`, `bool` or `Result<T, E: Display>`.
    pub fn operation<F, Fut>(&mut self, name: &str, weight: u32, op: F) -> &mut Self
    where
        F: Fn(Ctx) -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: IntoOutcome,
    {
        self.ops.push(Operation {
            name: name.to_string(),
            weight,
            run: mix::boxed(op),
        });
        self
    }

    /// Declares a fault window `at` after the run's start, lasting `duration`: `on` runs at
    /// its start and `off` at its end (also when the run stops early), on a thread of their
    /// own. `ctx.fault_active(name)` tells operations whether it is open; the report gives
    /// its recovery time.
    pub fn fault<On, Off>(
        &mut self,
        name: &str,
        at: Duration,
        duration: Duration,
        on: On,
        off: Off,
    ) -> &mut Self
    where
        On: FnMut() + Send + 'static,
        Off: FnMut() + Send + 'static,
    {
        self.config.faults.push((name.to_string(), at, duration));
        self.faults.push(FaultDecl {
            on: Box::new(on),
            off: Box::new(off),
        });
        self
    }

    /// Cancels an operation still running `d` after it started and counts it as failed
    /// ("timed out after .."). In the open model its latency still counts from its
    /// scheduled start.
    pub fn op_timeout(&mut self, d: Duration) -> &mut Self {
        self.config.op_timeout = Some(d);
        self
    }

    /// The tolerance of the recovery rule (default 0.25): throughput within this fraction
    /// under, and p99 within this fraction over, the pre-fault level.
    pub fn recovery_tolerance(&mut self, fraction: f64) -> &mut Self {
        self.config.recovery_tolerance = Some(fraction);
        self
    }

    /// The timeline's bucket width (default: 100 ms for runs under 5 s, else 1 s), which is
    /// also the resolution of recovery times. `--load-scale` leaves it as set: it is the
    /// resolution a recovery is seen at, a real-time property of the service.
    pub fn timeline_bucket(&mut self, d: Duration) -> &mut Self {
        self.config.timeline_bucket = Some(d);
        self
    }

    /// Reports the counter or ratio `name` as lower-is-better when runs are compared
    /// (counters and ratios are higher-is-better by default).
    pub fn lower_is_better(&mut self, name: &str) -> &mut Self {
        self.lower_is_better.push(name.to_string());
        self
    }

    /// Runs the load test now. The operation's output is `()`, `bool` or
    /// `Result<T, E: Display>`; `false`, `Err` and panics are failed operations.
    pub fn run<F, Fut>(&mut self, op: F) -> LoadReport
    where
        F: Fn(Ctx) -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: IntoOutcome,
    {
        if !self.ops.is_empty() {
            return self.fail(
                "run(op) was called after operation(..): call run_mix() to run the \
                 registered operations",
            );
        }
        let mix = MixDef {
            ops: vec![(String::new(), 1)],
            lower_is_better: self.lower_is_better.clone(),
        };
        self.execute(&mix, op)
    }

    /// Runs the operations registered with `operation(..)`, each in proportion to its
    /// weight, in the configured model and stages.
    pub fn run_mix(&mut self) -> LoadReport {
        if let Err(e) = mix::validate(&self.ops) {
            return self.fail(&e);
        }
        let (mix, dispatch) = self.mix();
        self.execute(&mix, dispatch)
    }

    fn mix(
        &self,
    ) -> (
        MixDef,
        impl Fn(Ctx) -> mix::BoxedFuture + Send + Sync + 'static,
    ) {
        let runs: Arc<[mix::BoxedOp]> = self.ops.iter().map(|o| Arc::clone(&o.run)).collect();
        let mix = MixDef {
            ops: self
                .ops
                .iter()
                .map(|o| (o.name.clone(), o.weight))
                .collect(),
            lower_is_better: self.lower_is_better.clone(),
        };
        (mix, move |ctx: Ctx| (runs[ctx.op_index()])(ctx))
    }

    fn fail(&mut self, message: &str) -> LoadReport {
        if self.result.is_none() {
            self.result = Some(Err(message.to_string()));
        }
        LoadReport::new(None, Arc::clone(&self.checks))
    }

    fn report(&self) -> LoadReport {
        let m = self.result.as_ref().and_then(|r| r.as_ref().ok());
        LoadReport::new(m, Arc::clone(&self.checks))
    }

    fn execute<F, Fut>(&mut self, mix: &MixDef, op: F) -> LoadReport
    where
        F: Fn(Ctx) -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: IntoOutcome,
    {
        if self.result.is_some() {
            self.result = Some(Err("run(..) was called more than once in one test".into()));
            return self.report();
        }
        if let Some(e) = self.env_error.clone() {
            return self.fail(&e);
        }
        let hooks: Vec<(Hook, Hook)> = self.faults.drain(..).map(|f| (f.on, f.off)).collect();
        let result = self.config.resolve(&self.settings).and_then(|spec| {
            let rt = engine::runtime()?;
            let m = run_once(&rt, &spec, mix, hooks, op);
            // Operations abandoned after the drain time may never end: do not wait for them.
            rt.shutdown_background();
            m
        });
        self.result = Some(result);
        self.report()
    }

    /// Searches for the highest open-model rate that meets `goal`: doubles the rate (from
    /// `rate(..)`, default 100/s) while each step passes, then bisects between the last good
    /// and the first bad step. Each step lasts `duration` (default: the measurement time).
    /// The test's figures are those of the best step; `throughput` is the capacity found.
    ///
    /// With `goal.in_users()` it searches the closed model instead: the most concurrent
    /// workers (from `concurrency(..)`, default 1) that meet the goal.
    pub fn find_capacity<F, Fut>(&mut self, goal: CapacityGoal, op: F) -> LoadReport
    where
        F: Fn(Ctx) -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: IntoOutcome,
    {
        let mix = MixDef {
            ops: vec![(String::new(), 1)],
            lower_is_better: self.lower_is_better.clone(),
        };
        self.capacity(goal, &mix, op)
    }

    /// `find_capacity` over the operations registered with `operation(..)`.
    pub fn find_capacity_mix(&mut self, goal: CapacityGoal) -> LoadReport {
        if let Err(e) = mix::validate(&self.ops) {
            return self.fail(&e);
        }
        let (mix, dispatch) = self.mix();
        self.capacity(goal, &mix, dispatch)
    }

    fn capacity<F, Fut>(&mut self, goal: CapacityGoal, mix: &MixDef, op: F) -> LoadReport
    where
        F: Fn(Ctx) -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: IntoOutcome,
    {
        if self.result.is_some() {
            self.result = Some(Err("find_capacity(..) was called after run(..)".into()));
            return self.report();
        }
        if let Some(e) = self.env_error.clone() {
            return self.fail(&e);
        }
        if !self.faults.is_empty() {
            return self.fail("find_capacity does not take fault(..) windows: drop them");
        }
        if self.settings.segment.is_some() || self.settings.start_at_unix_ns.is_some() {
            // Its steps adapt to what the previous step measured, which one segment alone
            // cannot know: the search is one process's.
            return self.fail(
                "find_capacity runs in one process: run it without --segment and --start-at",
            );
        }
        self.result = Some(capacity::search(
            &self.config,
            &self.settings,
            goal,
            mix,
            op,
        ));
        self.report()
    }

    pub(crate) fn finish(self) -> Result<Measurement, String> {
        let checks = results::check_results(&self.checks);
        let mut measurement = self.result.unwrap_or_else(|| {
            Err(
                "the load test never called run(..): configure it, then call \
                 load.run(|ctx| async move { .. })"
                    .into(),
            )
        })?;
        measurement.checks.extend(checks);
        // An invalid run's latencies would be wrong: fail it rather than report them.
        match measurement
            .load
            .as_ref()
            .and_then(|l| l.invalid_reason.clone())
        {
            Some(reason) if !self.settings.is_smoke() => Err(reason),
            _ => Ok(measurement),
        }
    }
}

#[cfg(test)]
mod tests;
