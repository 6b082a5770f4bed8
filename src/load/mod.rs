//! Async load tests: the `LoadTest` a `#[perf_test]` function configures and runs.
//!
//! Two models: *closed* (`concurrency(n)` workers, each awaiting one operation at a time) and
//! *open* (`rate(r)`: operations start on a timetable and latency counts from the scheduled
//! start). `ramp_up`, `duration`, `iterations` and `stages` shape the run; `find_capacity`
//! searches for the highest rate that meets a latency and success goal.

mod capacity;
mod closed;
mod config;
mod engine;
mod open;
mod outcome;
mod plan;
mod record;
mod report;
mod resources;

use std::future::Future;
use std::time::Duration;

pub use capacity::CapacityGoal;
pub use outcome::IntoOutcome;

use crate::protocol::{Measurement, Settings};
use config::{Config, Model};

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
pub struct LoadTest {
    settings: Settings,
    config: Config,
    /// Set by `run` or `find_capacity`: the figures, or why there are none.
    result: Option<Result<Measurement, String>>,
}

/// What an operation knows about itself: handed to every call of the operation.
///
/// ```no_run
/// use cargo_perf::{perf_test, Ctx, LoadTest};
///
/// #[perf_test]
/// fn spread(load: &mut LoadTest) {
///     load.concurrency(4).run(|ctx: Ctx| async move {
///         // Worker 0..4, sequence number unique in the run.
///         let _key = (ctx.worker(), ctx.seq() % 100);
///     });
/// }
/// # fn main() {}
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ctx {
    worker: usize,
    seq: u64,
}

impl Ctx {
    pub(crate) fn new(worker: usize, seq: u64) -> Ctx {
        Ctx { worker, seq }
    }

    /// The closed-model worker running this operation (0-based, below the concurrency).
    /// Always 0 in the open model, where operations belong to no worker.
    pub fn worker(&self) -> usize {
        self.worker
    }

    /// The operation's sequence number in the run (0-based, unique).
    pub fn seq(&self) -> u64 {
        self.seq
    }
}

impl LoadTest {
    pub(crate) fn new(settings: Settings) -> LoadTest {
        LoadTest {
            settings,
            config: Config::default(),
            result: None,
        }
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

    /// Runs the load test now. The operation's output is `()`, `bool` or
    /// `Result<T, E: Display>`; `false`, `Err` and panics are failed operations.
    pub fn run<F, Fut>(&mut self, op: F)
    where
        F: Fn(Ctx) -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: IntoOutcome,
    {
        if self.result.is_some() {
            self.result = Some(Err("run(..) was called more than once in one test".into()));
            return;
        }
        let result = self.config.resolve(&self.settings).and_then(|spec| {
            let rt = engine::runtime()?;
            let data = execute(&rt, &spec, op);
            // Operations abandoned after the drain time may never end: do not wait for them.
            rt.shutdown_background();
            report::measurement(&spec, &data)
        });
        self.result = Some(result);
    }

    /// Searches for the highest open-model rate that meets `goal`: doubles the rate (from
    /// `rate(..)`, default 100/s) while each step passes, then bisects between the last good
    /// and the first bad step. Each step lasts `duration` (default: the measurement time).
    /// The test's figures are those of the best step; `throughput` is the capacity found.
    pub fn find_capacity<F, Fut>(&mut self, goal: CapacityGoal, op: F)
    where
        F: Fn(Ctx) -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: IntoOutcome,
    {
        if self.result.is_some() {
            self.result = Some(Err("find_capacity(..) was called after run(..)".into()));
            return;
        }
        self.result = Some(capacity::search(&self.config, &self.settings, goal, op));
    }

    pub(crate) fn finish(self) -> Result<Measurement, String> {
        let measurement = self.result.unwrap_or_else(|| {
            Err(
                "the load test never called run(..): configure it, then call \
                 load.run(|ctx| async move { .. })"
                    .into(),
            )
        })?;
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

/// Runs one resolved plan with the model it asks for, on `rt`.
fn execute<F, Fut>(rt: &tokio::runtime::Runtime, spec: &config::RunSpec, op: F) -> engine::RunData
where
    F: Fn(Ctx) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: IntoOutcome,
{
    match spec.model {
        Model::Closed => closed::run(rt, spec, op),
        Model::Open { max_in_flight } => open::run(rt, spec, max_in_flight, op),
    }
}

#[cfg(test)]
mod tests;
