//! What the builder methods collected, checked and resolved into a concrete run: the model,
//! the plan of phases, the operation cap, and smoke-mode limits.

use std::time::Duration;

use super::plan::Plan;
use super::record::MAX_BUCKETS;
use crate::protocol::Settings;

/// Smoke mode (`cargo test`) runs a load test at most this long...
pub(crate) const SMOKE_MAX_NS: u64 = 200_000_000;
/// ...and for at most this many operations.
pub(crate) const SMOKE_MAX_OPS: u64 = 1_000;
/// The open model's in-flight cap when neither `max_in_flight` nor `concurrency` sets one.
pub(crate) const DEFAULT_MAX_IN_FLIGHT: usize = 10_000;
const SECOND_NS: u64 = 1_000_000_000;

/// The builder's settings, as the user gave them.
#[derive(Debug, Clone, Default)]
pub(crate) struct Config {
    pub concurrency: Option<usize>,
    pub rate: Option<u64>,
    pub max_in_flight: Option<usize>,
    pub ramp_up: Option<Duration>,
    pub duration: Option<Duration>,
    pub iterations: Option<u64>,
    pub stages: Option<Vec<(Duration, u64)>>,
    pub max_scheduler_lag: Option<Duration>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Model {
    Closed,
    Open { max_in_flight: usize },
}

/// A run ready to execute.
#[derive(Debug, Clone)]
pub(crate) struct RunSpec {
    pub model: Model,
    pub plan: Plan,
    /// Stop after this many operations (`u64::MAX`: no limit).
    pub max_ops: u64,
    pub bucket_ns: u64,
    pub smoke: bool,
    /// `max_scheduler_lag`, when given: replaces the default lag limit (see `report`).
    pub lag_limit_ns: Option<f64>,
    /// Scheduler lag the run tolerates whatever its latencies; raised by the capacity
    /// search to a tenth of its p99 goal.
    pub lag_floor_ns: f64,
}

fn ns(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl Config {
    /// Checks the settings and turns them into a run. Errors name the offending method.
    pub fn resolve(&self, settings: &Settings) -> Result<RunSpec, String> {
        if self.concurrency == Some(0) {
            return Err("concurrency(0): a load test needs at least one worker".into());
        }
        if self.max_in_flight == Some(0) {
            return Err(
                "max_in_flight(0): at least one operation must be allowed in flight".into(),
            );
        }
        if self.iterations == Some(0) {
            return Err("iterations(0): a load test needs at least one operation".into());
        }
        if self.duration == Some(Duration::ZERO) {
            return Err("duration(0): a load test needs a positive duration".into());
        }
        if self.stages.is_some() && self.duration.is_some() {
            return Err(
                "stages(..) and duration(..) both set the run's length: keep only one".into(),
            );
        }
        let stages: Vec<(u64, f64)> = self
            .stages
            .iter()
            .flatten()
            .map(|&(d, target)| (ns(d), target as f64))
            .collect();
        if self.stages.as_ref().is_some_and(Vec::is_empty) {
            return Err("stages(&[]): give at least one (duration, target) stage".into());
        }
        let model = match self.rate {
            Some(_) => Model::Open {
                max_in_flight: self
                    .max_in_flight
                    .or(self.concurrency)
                    .unwrap_or(DEFAULT_MAX_IN_FLIGHT),
            },
            None => Model::Closed,
        };
        let base = match model {
            Model::Open { .. } => self.rate.unwrap_or(0) as f64,
            Model::Closed => self.concurrency.unwrap_or(1) as f64,
        };
        if base == 0.0 && stages.is_empty() {
            return Err("rate(0): the open model needs a positive rate (or stages)".into());
        }
        let hold_ns = match (self.duration, self.iterations) {
            (Some(d), _) => ns(d),
            // Only the operation count bounds the run: the open model spreads it at the rate.
            (None, Some(n)) => match model {
                Model::Open { .. } => (n as f64 / base * 1e9).ceil() as u64,
                Model::Closed => u64::MAX,
            },
            (None, None) => settings.measure_ns.max(1),
        };
        let mut plan = Plan::new(base, self.ramp_up.map_or(0, ns), &stages, hold_ns);
        if plan.peak() <= 0.0 {
            return Err("stages(..): every target is 0, so no operation would run".into());
        }
        let smoke = settings.is_smoke();
        let mut max_ops = self.iterations.unwrap_or(u64::MAX);
        if smoke {
            plan.squeeze(SMOKE_MAX_NS);
            max_ops = max_ops.min(SMOKE_MAX_OPS);
        }
        Ok(RunSpec {
            model,
            bucket_ns: bucket_ns(plan.end_ns()),
            plan,
            max_ops,
            smoke,
            lag_limit_ns: self.max_scheduler_lag.map(|d| d.as_nanos() as f64),
            lag_floor_ns: 0.0,
        })
    }
}

/// One second per timeline bucket; a tenth of a second for runs of a few seconds (so that
/// they still show a shape); wider for runs too long to keep one bucket per second.
fn bucket_ns(planned_ns: u64) -> u64 {
    if planned_ns == u64::MAX {
        SECOND_NS
    } else if planned_ns < 5 * SECOND_NS {
        SECOND_NS / 10
    } else {
        let per_bucket = planned_ns.div_ceil(MAX_BUCKETS as u64);
        per_bucket.div_ceil(SECOND_NS).max(1) * SECOND_NS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measured() -> Settings {
        Settings::measured(1, 0, false)
    }

    #[test]
    fn default_run_is_closed_for_the_measure_budget() {
        let spec = Config::default().resolve(&measured()).unwrap();
        assert_eq!(spec.model, Model::Closed);
        assert_eq!(spec.plan.end_ns(), measured().measure_ns);
        assert_eq!(spec.plan.peak(), 1.0);
        assert_eq!(spec.max_ops, u64::MAX);
        assert_eq!(spec.bucket_ns, SECOND_NS / 10);
    }

    #[test]
    fn rate_selects_the_open_model_with_a_cap() {
        let c = Config {
            rate: Some(500),
            concurrency: Some(7),
            iterations: Some(1000),
            ..Config::default()
        };
        let spec = c.resolve(&measured()).unwrap();
        assert_eq!(spec.model, Model::Open { max_in_flight: 7 });
        assert_eq!(spec.plan.end_ns(), 2 * SECOND_NS);
        assert_eq!(spec.max_ops, 1000);
    }

    #[test]
    fn smoke_mode_squeezes_time_and_operations() {
        let c = Config {
            concurrency: Some(4),
            ramp_up: Some(Duration::from_secs(2)),
            duration: Some(Duration::from_secs(30)),
            ..Config::default()
        };
        let spec = c.resolve(&Settings::smoke()).unwrap();
        assert!(spec.plan.end_ns() <= SMOKE_MAX_NS);
        assert_eq!(spec.max_ops, SMOKE_MAX_OPS);
        assert!(spec.smoke);
    }

    #[test]
    fn bad_settings_are_errors_naming_the_method() {
        let cases = [
            Config {
                concurrency: Some(0),
                ..Config::default()
            },
            Config {
                rate: Some(0),
                ..Config::default()
            },
            Config {
                stages: Some(vec![(Duration::from_secs(1), 5)]),
                duration: Some(Duration::from_secs(1)),
                ..Config::default()
            },
            Config {
                stages: Some(vec![(Duration::from_secs(1), 0)]),
                concurrency: Some(0),
                ..Config::default()
            },
            Config {
                iterations: Some(0),
                ..Config::default()
            },
        ];
        let expected = [
            "concurrency(0)",
            "rate(0)",
            "stages(..) and duration",
            "concurrency(0)",
            "iterations(0)",
        ];
        for (c, want) in cases.iter().zip(expected) {
            let e = c.resolve(&measured()).unwrap_err();
            assert!(e.contains(want), "{e}");
        }
    }

    #[test]
    fn long_runs_widen_the_timeline_buckets() {
        assert_eq!(bucket_ns(60 * SECOND_NS), SECOND_NS);
        assert_eq!(bucket_ns(3 * 3600 * SECOND_NS), 9 * SECOND_NS);
    }
}
