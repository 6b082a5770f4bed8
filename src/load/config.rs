//! What the builder methods collected, checked and resolved into a concrete run: the model,
//! the plan of phases, the operation cap, and smoke-mode limits.

use std::time::Duration;

use super::faults::{Window, DEFAULT_TOLERANCE};
use super::params::Overrides;
use super::plan::Plan;
use super::record::MAX_BUCKETS;
use super::segment::{require_share, validate};
use crate::protocol::{Segment, Settings};

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
    /// `stage(name, d, target)`, in order.
    pub named_stages: Vec<(String, Duration, u64)>,
    pub max_scheduler_lag: Option<Duration>,
    pub op_timeout: Option<Duration>,
    pub timeline_bucket: Option<Duration>,
    pub recovery_tolerance: Option<f64>,
    /// `fault(name, at, duration, ..)` windows (their hooks live in the `LoadTest`).
    pub faults: Vec<(String, Duration, Duration)>,
    /// `PERF_<TEST>_CONCURRENCY`, `_RATE`, `_DURATION`.
    pub overrides: Overrides,
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
    /// Fault windows on the (scaled, squeezed) plan.
    pub windows: Vec<Window>,
    pub op_timeout: Option<Duration>,
    pub recovery_tolerance: f64,
    /// `--segment M/N`: this process runs only its share (see `segment`); `max_ops` and the
    /// open model's in-flight cap are then this segment's shares.
    pub segment: Option<Segment>,
    /// `--start-at`: the plan's t = 0, Unix nanoseconds.
    pub start_at_unix_ns: Option<u64>,
}

fn ns(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl Config {
    /// Checks the settings and turns them into a run. Errors name the offending method.
    pub fn resolve(&self, settings: &Settings) -> Result<RunSpec, String> {
        let c = self.effective(settings)?;
        c.resolve_effective(settings)
    }

    /// The settings after `PERF_<TEST>_*` overrides and `--load-scale`.
    fn effective(&self, settings: &Settings) -> Result<Config, String> {
        let mut c = self.clone();
        if let Some(n) = c.overrides.concurrency {
            c.concurrency = Some(n);
        }
        if let Some(r) = c.overrides.rate {
            c.rate = Some(r);
        }
        if let Some(d) = c.overrides.duration {
            if c.stages.is_some() || !c.named_stages.is_empty() {
                // Stages keep their shape and fit the new total.
                let total: Duration = c
                    .stages
                    .iter()
                    .flatten()
                    .map(|s| s.0)
                    .chain(c.named_stages.iter().map(|s| s.1))
                    .sum();
                if !total.is_zero() {
                    let f = d.as_secs_f64() / total.as_secs_f64();
                    c.scale_stages(f);
                }
            } else {
                c.duration = Some(d);
            }
        }
        if let Some(f) = settings.load_scale {
            if !(f.is_finite() && f > 0.0) {
                return Err(format!(
                    "--load-scale {f}: the scale must be a positive number"
                ));
            }
            let sd = |d: Duration| d.mul_f64(f);
            c.ramp_up = c.ramp_up.map(sd);
            c.duration = c.duration.map(sd);
            c.scale_stages(f);
            for (_, at, dur) in &mut c.faults {
                *at = sd(*at);
                *dur = sd(*dur);
            }
            // Not scaled: `op_timeout` and an explicit `timeline_bucket` are the service's
            // real-time constants (how slow is too slow; the resolution its recovery is seen
            // at), which a shorter run does not change. The default bucket follows the
            // scaled run's length.
            if let Some(r) = c.rate.as_mut() {
                *r = ((*r as f64 * f).round() as u64).max(1);
            }
            if c.rate.is_some() {
                for s in c.stages.iter_mut().flatten() {
                    s.1 = (s.1 as f64 * f).round() as u64;
                }
                for s in &mut c.named_stages {
                    s.2 = (s.2 as f64 * f).round() as u64;
                }
            }
        }
        Ok(c)
    }

    fn scale_stages(&mut self, f: f64) {
        for s in self.stages.iter_mut().flatten() {
            s.0 = s.0.mul_f64(f);
        }
        for s in &mut self.named_stages {
            s.1 = s.1.mul_f64(f);
        }
    }

    fn resolve_effective(&self, settings: &Settings) -> Result<RunSpec, String> {
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
        if self.op_timeout == Some(Duration::ZERO) {
            return Err("op_timeout(0): the timeout must be positive".into());
        }
        if let Some(t) = self.recovery_tolerance {
            if !(t.is_finite() && (0.0..1.0).contains(&t)) {
                return Err(format!(
                    "recovery_tolerance({t}): give a fraction from 0 up to (not including) 1"
                ));
            }
        }
        let has_stages = self.stages.is_some() || !self.named_stages.is_empty();
        if has_stages && self.duration.is_some() {
            return Err(
                "stages(..) and duration(..) both set the run's length: keep only one".into(),
            );
        }
        if self.stages.is_some() && !self.named_stages.is_empty() {
            return Err(
                "stages(&[..]) and stage(name, ..) both set the stages: use one of them".into(),
            );
        }
        let mut stages: Vec<(u64, f64)> = self
            .stages
            .iter()
            .flatten()
            .map(|&(d, target)| (ns(d), target as f64))
            .collect();
        if self.stages.as_ref().is_some_and(Vec::is_empty) {
            return Err("stages(&[]): give at least one (duration, target) stage".into());
        }
        stages.extend(
            self.named_stages
                .iter()
                .map(|(_, d, target)| (ns(*d), *target as f64)),
        );
        let segment = settings.segment;
        if let Some(seg) = segment {
            validate(seg)?;
        }
        let model = match self.rate {
            Some(_) => {
                let cap = self
                    .max_in_flight
                    .or(self.concurrency)
                    .unwrap_or(DEFAULT_MAX_IN_FLIGHT);
                Model::Open {
                    max_in_flight: match segment {
                        Some(seg) => {
                            require_share("max_in_flight", cap as u64, seg, "slot in flight")?
                                as usize
                        }
                        None => cap,
                    },
                }
            }
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
        if !self.named_stages.is_empty() {
            let first = plan.phases.len() - self.named_stages.len();
            for (p, (name, _, _)) in plan.phases[first..].iter_mut().zip(&self.named_stages) {
                p.name = name.clone();
            }
        }
        for (i, p) in plan.phases.iter().enumerate() {
            if p.name.trim().is_empty() {
                return Err("stage(\"\", ..): a stage needs a name".into());
            }
            if plan.phases[..i].iter().any(|q| q.name == p.name) {
                return Err(format!(
                    "stage {:?} is named twice (ramp_up(..) is the stage \"ramp_up\"): \
                     give each stage its own name",
                    p.name
                ));
            }
        }
        let mut windows = Vec::new();
        for (i, (name, at, dur)) in self.faults.iter().enumerate() {
            if name.trim().is_empty() {
                return Err("fault(\"\", ..): a fault needs a name".into());
            }
            if self.faults[..i].iter().any(|f| &f.0 == name) {
                return Err(format!("fault({name:?}, ..) is declared twice"));
            }
            if dur.is_zero() {
                return Err(format!(
                    "fault({name:?}, at, 0, ..): a fault window needs a duration"
                ));
            }
            if ns(*at) >= plan.end_ns() {
                return Err(format!(
                    "fault({name:?}, ..) starts at {} but the run lasts {}: move it into the run",
                    crate::format::duration_ns(ns(*at) as f64),
                    crate::format::duration_ns(plan.end_ns() as f64)
                ));
            }
            windows.push(Window {
                name: name.clone(),
                start_ns: ns(*at),
                end_ns: ns(*at).saturating_add(ns(*dur)),
            });
        }
        let smoke = settings.is_smoke();
        let mut max_ops = self.iterations.unwrap_or(u64::MAX);
        if let (Some(seg), Some(n)) = (segment, self.iterations) {
            // The open model counts global sequence numbers (a segment runs its owned ones
            // below n); the closed model counts this segment's own operations.
            let part = require_share("iterations", n, seg, "operation")?;
            if model == Model::Closed {
                max_ops = part;
            }
        }
        if let (Some(seg), Model::Closed) = (segment, model) {
            require_share("concurrency", plan.peak().ceil() as u64, seg, "worker")?;
        }
        let mut squeezed = 1.0;
        if smoke {
            squeezed = plan.squeeze(SMOKE_MAX_NS);
            max_ops = max_ops.min(SMOKE_MAX_OPS);
            for w in &mut windows {
                w.start_ns = (w.start_ns as f64 * squeezed) as u64;
                w.end_ns = (w.end_ns as f64 * squeezed) as u64;
            }
        }
        let bucket = match self.timeline_bucket {
            Some(d) => {
                let b = ((ns(d) as f64 * squeezed) as u64).max(1_000_000);
                let end = plan.end_ns();
                if end != u64::MAX && end / b >= MAX_BUCKETS as u64 {
                    return Err(format!(
                        "timeline_bucket({}): a run of {} would need more than {MAX_BUCKETS} \
                         buckets; use a wider bucket",
                        crate::format::duration_ns(ns(d) as f64),
                        crate::format::duration_ns(end as f64)
                    ));
                }
                b
            }
            None => bucket_ns(plan.end_ns()),
        };
        Ok(RunSpec {
            model,
            bucket_ns: bucket,
            plan,
            max_ops,
            smoke,
            lag_limit_ns: self.max_scheduler_lag.map(|d| d.as_nanos() as f64),
            lag_floor_ns: 0.0,
            windows,
            op_timeout: self.op_timeout,
            recovery_tolerance: self.recovery_tolerance.unwrap_or(DEFAULT_TOLERANCE),
            segment,
            start_at_unix_ns: settings.start_at_unix_ns,
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
