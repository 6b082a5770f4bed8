//! Capacity search: the highest open-model rate (or, in users, the most closed-model workers)
//! at which the operations still meet a p99 and success-rate goal, found by doubling the
//! level and then bisecting around the knee.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use super::config::Config;
use super::outcome::IntoOutcome;
use super::{run_once, Ctx, MixDef};
use crate::protocol::{CapacityReport, CapacityStep, Measurement, Settings};

/// Rates tried at most (each step lasts the test's duration).
const MAX_STEPS: usize = 14;
const SMOKE_STEPS: usize = 3;
const SMOKE_STEP: Duration = Duration::from_millis(50);
/// Bisection stops once the bracket is this narrow, relative to the good rate.
const RESOLUTION: f64 = 0.05;
/// A step must deliver at least this fraction of its offered rate.
const MIN_ACHIEVED: f64 = 0.95;
/// Scheduler lag below this fraction of the p99 goal cannot change a step's verdict much,
/// so it does not make the step invalid.
const LAG_SHARE_OF_GOAL: f64 = 0.1;

/// The goal [`LoadTest::find_capacity`](crate::LoadTest::find_capacity) holds each rate to.
///
/// ```no_run
/// use std::time::Duration;
/// use cargo_perf::{perf_test, CapacityGoal, LoadTest};
///
/// #[perf_test]
/// fn capacity(load: &mut LoadTest) {
///     let goal = CapacityGoal::p99_below(Duration::from_millis(20)).success_at_least(99.5);
///     load.duration(Duration::from_secs(2))
///         .find_capacity(goal, |_ctx| async { Ok::<(), String>(()) });
/// }
/// # fn main() {}
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CapacityGoal {
    p99: Duration,
    min_success_rate: f64,
    users: bool,
}

impl CapacityGoal {
    /// p99 latency at most `d`, and (by default) at least 99 % successful operations.
    pub fn p99_below(d: Duration) -> CapacityGoal {
        CapacityGoal {
            p99: d,
            min_success_rate: 99.0,
            users: false,
        }
    }

    /// Search the closed model: the most concurrent workers (users) that meet the goal,
    /// rather than the highest open-model rate.
    pub fn in_users(mut self) -> CapacityGoal {
        self.users = true;
        self
    }

    /// Require at least `percent` successful operations.
    pub fn success_at_least(mut self, percent: f64) -> CapacityGoal {
        self.min_success_rate = percent;
        self
    }
}

pub(crate) fn search<F, Fut>(
    config: &Config,
    settings: &Settings,
    goal: CapacityGoal,
    mix: &MixDef,
    op: F,
) -> Result<Measurement, String>
where
    F: Fn(Ctx) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: IntoOutcome,
{
    if goal.p99.is_zero() {
        return Err("find_capacity: the p99 goal must be positive".into());
    }
    if !(0.0..=100.0).contains(&goal.min_success_rate) {
        return Err(format!(
            "find_capacity: success_at_least({}) is not a percentage between 0 and 100",
            goal.min_success_rate
        ));
    }
    if config.stages.is_some() || config.ramp_up.is_some() {
        return Err("find_capacity steps the rate itself: drop stages(..) and ramp_up(..)".into());
    }
    let op = Arc::new(op);
    // One runtime for every step: what the operation creates (connections, clients) is
    // bound to the runtime it was created on and must outlive a step.
    let rt = super::engine::runtime()?;
    let smoke = settings.is_smoke();
    let max_steps = if smoke { SMOKE_STEPS } else { MAX_STEPS };
    let mut step_config = config.clone();
    if smoke {
        step_config.duration = Some(
            step_config
                .duration
                .map_or(SMOKE_STEP, |d| d.min(SMOKE_STEP)),
        );
    }
    let limit_ns = goal.p99.as_nanos() as f64;
    let mut steps: Vec<CapacityStep> = Vec::new();
    let mut best: Option<(u64, Measurement)> = None;
    let mut first: Option<Measurement> = None;
    let mut bad: Option<u64> = None;
    if goal.users && config.rate.is_some() {
        return Err(
            "find_capacity in users searches the closed model: drop rate(..) \
             (concurrency(n) sets the first step)"
                .into(),
        );
    }
    let mut rate = if goal.users {
        config.concurrency.unwrap_or(1).max(1) as u64
    } else {
        config.rate.unwrap_or(100).max(1)
    };
    while steps.len() < max_steps {
        if goal.users {
            step_config.concurrency = Some(rate as usize);
        } else {
            step_config.rate = Some(rate);
        }
        let mut spec = step_config.resolve(settings)?;
        spec.lag_floor_ns = limit_ns * LAG_SHARE_OF_GOAL;
        let shared = Arc::clone(&op);
        let m = run_once(&rt, &spec, mix, Vec::new(), move |c| shared(c));
        let mut step = judge(rate, &m, limit_ns, goal.min_success_rate, goal.users);
        if goal.users {
            step.users = Some(rate);
            step.rate_per_sec = 0.0;
        }
        let passed = step.passed;
        steps.push(step);
        match m {
            Ok(m) if passed => best = Some((rate, m)),
            Ok(m) => {
                first.get_or_insert(m);
            }
            Err(_) => {}
        }
        if !passed {
            bad = Some(bad.map_or(rate, |b| b.min(rate)));
        }
        let good = best.as_ref().map(|(r, _)| *r);
        rate = match (good, bad) {
            (Some(g), None) => g.saturating_mul(2),
            (None, Some(b)) if b > 1 => b / 2,
            (Some(g), Some(b))
                if b - g > 1 && (goal.users || (b - g) as f64 > g as f64 * RESOLUTION) =>
            {
                g + (b - g) / 2
            }
            _ => break,
        };
    }
    rt.shutdown_background();
    let capacity = best.as_ref().map_or(0.0, |(r, _)| *r as f64);
    let users = goal.users;
    let mut m = match best {
        Some((_, m)) => m,
        None => first.ok_or_else(|| {
            steps
                .first()
                .and_then(|s| s.reason.clone())
                .unwrap_or_else(|| "find_capacity ran no step".into())
        })?,
    };
    if users {
        // The best step's throughput stays the headline; the users found are a custom metric.
        m.custom.push(crate::metrics::CustomMetric {
            name: "capacity_users".into(),
            value: capacity,
            direction: crate::metrics::Direction::HigherIsBetter,
        });
    } else {
        m.metrics.throughput_per_sec = Some(capacity);
    }
    if let Some(load) = m.load.as_mut() {
        load.capacity = Some(CapacityReport {
            p99_limit_ns: limit_ns,
            min_success_rate: goal.min_success_rate,
            capacity_per_sec: if users { 0.0 } else { capacity },
            steps,
            capacity_users: users.then_some(capacity as u64),
        });
    }
    Ok(m)
}

fn judge(
    rate: u64,
    m: &Result<Measurement, String>,
    limit_ns: f64,
    min_success: f64,
    users: bool,
) -> CapacityStep {
    let m = match m {
        Ok(m) => m,
        Err(e) => {
            return CapacityStep {
                rate_per_sec: rate as f64,
                reason: Some(e.clone()),
                ..CapacityStep::default()
            }
        }
    };
    let achieved = m.metrics.throughput_per_sec.unwrap_or(0.0);
    let p99 = m.metrics.p99_ns;
    let success = m.metrics.success_rate.unwrap_or(0.0);
    let invalid = m.load.as_ref().and_then(|l| l.invalid_reason.clone());
    let reason = if let Some(why) = invalid {
        Some(why)
    } else if p99.is_some_and(|p| p > limit_ns) {
        Some(format!(
            "p99 {} over the goal {}",
            crate::format::duration_ns(p99.unwrap_or(0.0)),
            crate::format::duration_ns(limit_ns)
        ))
    } else if success < min_success {
        Some(format!("success rate {success:.2}% under {min_success}%"))
    } else if !users && achieved < rate as f64 * MIN_ACHIEVED {
        Some(format!("delivered {achieved:.0}/s of {rate}/s"))
    } else {
        None
    };
    CapacityStep {
        rate_per_sec: rate as f64,
        achieved_per_sec: achieved,
        p99_ns: p99,
        success_rate: success,
        passed: reason.is_none(),
        reason,
        users: None,
    }
}
