//! Turning a run's raw results into the figures `cargo perf` stores and judges: the headline
//! metrics, per-phase figures, the timeline and the validity verdict.

use hdrhistogram::Histogram;

use super::config::{Model, RunSpec};
use super::ctx::Tallies;
use super::engine::RunData;
use super::record::{histogram, Recorder};
use crate::protocol::{
    ErrorCount, LoadDetails, LoadModel, Measurement, OperationFigures, StageFigures, TimelinePoint,
};

use crate::metrics::{CustomMetric, Direction, Metrics};

/// What the report needs to know of the mix: each operation's name and weight (one unnamed
/// operation for `run`), what the operations counted, and which counters are costs.
pub(crate) struct MixInfo<'a> {
    pub ops: &'a [(String, u32)],
    pub tallies: Tallies,
    pub lower_is_better: &'a [String],
}

impl MixInfo<'_> {
    fn named(&self) -> bool {
        self.ops.len() > 1 || self.ops.first().is_some_and(|(n, _)| !n.is_empty())
    }
}

/// An open-model run whose scheduler lag p99 exceeds both this and [`LAG_SHARE_LIMIT`] of its
/// median latency (or `max_scheduler_lag` when given) is invalid: its latencies would measure
/// the generator's own delay as much as the system's.
pub(crate) const LAG_P99_LIMIT_NS: f64 = 2_000_000.0;
pub(crate) const LAG_SHARE_LIMIT: f64 = 0.25;
/// Failure messages kept in the report.
const TOP_ERRORS: usize = 10;

/// Builds the measurement, or explains why there is none (no operation completed).
pub(crate) fn measurement(
    spec: &RunSpec,
    data: &RunData,
    mix: &MixInfo<'_>,
) -> Result<Measurement, String> {
    if let Some(e) = data.faults.iter().find_map(|f| f.error.clone()) {
        return Err(e);
    }
    let plan = &spec.plan;
    let counted: Vec<usize> = (0..plan.phases.len())
        .filter(|&i| plan.phases[i].counted)
        .collect();
    let all_ops: Vec<usize> = (0..data.rec.ops()).collect();
    let (hist, failures) = gather(&data.rec, &counted, &all_ops);
    let operations = hist.len();
    if operations == 0 {
        return Err(if data.unfinished > 0 {
            format!(
                "no operation finished: {} were still running {} s after the end",
                data.unfinished,
                super::engine::drain_time(spec.smoke).as_secs()
            )
        } else {
            "the load test completed no operations (is the duration shorter than the ramp-up?)"
                .to_string()
        });
    }
    // Until the last operation finished: an overloaded system that completes its operations
    // late has not delivered the offered rate.
    let counted_ns = data.ended_ns.saturating_sub(plan.counted_start_ns()).max(1);
    let throughput = operations as f64 / (counted_ns as f64 / 1e9);
    let success_rate = 100.0 * (operations - failures) as f64 / operations as f64;
    let p = |q: f64| Some(hist.value_at_quantile(q) as f64);
    let metrics = Metrics {
        median_ns: p(0.5),
        mean_ns: Some(hist.mean()),
        min_ns: Some(hist.min() as f64),
        p50_ns: p(0.5),
        p90_ns: p(0.9),
        p95_ns: p(0.95),
        p99_ns: p(0.99),
        p999_ns: p(0.999),
        max_ns: Some(hist.max() as f64),
        std_dev_ns: Some(hist.stdev()),
        throughput_per_sec: Some(throughput),
        success_rate: Some(success_rate),
        ..Metrics::default()
    };
    let lag_p50 = data
        .lag
        .as_ref()
        .filter(|l| !l.is_empty())
        .map(|l| l.value_at_quantile(0.5) as f64);
    let lag_p99 = data
        .lag
        .as_ref()
        .filter(|l| !l.is_empty())
        .map(|l| l.value_at_quantile(0.99) as f64);
    let lag_max = data
        .lag
        .as_ref()
        .filter(|l| !l.is_empty())
        .map(|l| l.max() as f64);
    let lag_limit = spec
        .lag_limit_ns
        .unwrap_or_else(|| {
            LAG_P99_LIMIT_NS.max(LAG_SHARE_LIMIT * hist.value_at_quantile(0.5) as f64)
        })
        .max(spec.lag_floor_ns);
    let invalid_reason = lag_p99.filter(|&l| l > lag_limit).map(|l| {
        format!(
            "the load generator fell behind its timetable (scheduler lag p99 {} > {}): \
             the machine is too busy or the rate too high for it",
            crate::format::duration_ns(l),
            crate::format::duration_ns(lag_limit)
        )
    });
    let (model, concurrency, rate_per_sec, max_in_flight) = match spec.model {
        Model::Closed => (
            LoadModel::Closed,
            Some(plan.peak().ceil() as u64),
            None,
            None,
        ),
        Model::Open { max_in_flight } => (
            LoadModel::Open,
            None,
            Some(plan.peak()),
            Some(max_in_flight as u64),
        ),
    };
    let details = LoadDetails {
        model,
        concurrency,
        rate_per_sec,
        max_in_flight,
        duration_ns: counted_ns,
        operations,
        failures,
        errors: top_errors(&data.rec.all_errors()),
        dropped: data.dropped,
        late: data.late,
        unfinished: data.unfinished,
        scheduler_lag_p50_ns: lag_p50,
        scheduler_lag_p99_ns: lag_p99,
        scheduler_lag_max_ns: lag_max,
        stages: stage_figures(spec, data, mix),
        timeline_bucket_ns: spec.bucket_ns,
        timeline: timeline(spec, data),
        resources: data.resources.clone(),
        valid: invalid_reason.is_none(),
        invalid_reason,
        histogram_ns: hist
            .iter_recorded()
            .map(|v| [v.value_iterated_to(), v.count_at_value()])
            .collect(),
        capacity: None,
        by_operation: Vec::new(),
        faults: Vec::new(),
        segment: None,
    };
    let mut details = details;
    if mix.named() {
        details.by_operation = (0..data.rec.ops())
            .map(|op| operation_figures(mix, &data.rec, &counted, op, counted_ns))
            .collect();
    }
    details.faults = spec
        .windows
        .iter()
        .zip(
            data.faults
                .iter()
                .chain(std::iter::repeat(&Default::default())),
        )
        .map(|(w, run)| {
            let mut f = super::faults::recovery(
                w,
                &details.timeline,
                spec.bucket_ns,
                plan.counted_start_ns(),
                spec.recovery_tolerance,
            );
            f.on_at_ns = run.on_at_ns;
            f.off_at_ns = run.off_at_ns;
            f
        })
        .collect();
    let custom = custom_metrics(mix, &details);
    Ok(Measurement {
        metrics,
        load: Some(details),
        custom,
        ..Measurement::default()
    })
}

/// The latencies and failure count of some operations over some phases.
fn gather(rec: &Recorder, phases: &[usize], ops: &[usize]) -> (Histogram<u64>, u64) {
    let mut hist = histogram(3);
    let mut failures = 0;
    for &p in phases {
        for &o in ops {
            let c = rec.cell(p, o);
            add(&mut hist, &c.hist);
            failures += c.failures;
        }
    }
    (hist, failures)
}

fn operation_figures(
    mix: &MixInfo<'_>,
    rec: &Recorder,
    phases: &[usize],
    op: usize,
    span_ns: u64,
) -> OperationFigures {
    let (h, failures) = gather(rec, phases, &[op]);
    let q = |v: u64| (!h.is_empty()).then_some(v as f64);
    let (name, weight) = mix.ops.get(op).cloned().unwrap_or_default();
    OperationFigures {
        name,
        weight,
        operations: h.len(),
        failures,
        throughput_per_sec: h.len() as f64 / (span_ns.max(1) as f64 / 1e9),
        success_rate: (!h.is_empty())
            .then(|| 100.0 * (h.len() - failures.min(h.len())) as f64 / h.len() as f64),
        p50_ns: q(h.value_at_quantile(0.5)),
        p90_ns: q(h.value_at_quantile(0.9)),
        p95_ns: q(h.value_at_quantile(0.95)),
        p99_ns: q(h.value_at_quantile(0.99)),
        p999_ns: q(h.value_at_quantile(0.999)),
        max_ns: q(h.max()),
        mean_ns: (!h.is_empty()).then(|| h.mean()),
        errors: top_errors(&rec.errors_of(phases, &[op])),
    }
}

/// Counters, ratios and recovery times as custom metrics: stored and compared between commits
/// like `Bencher::metric` values. (Each operation's figures travel in `by_operation`, which
/// `cargo perf` merges over processes and compares like the headline ones.)
fn custom_metrics(mix: &MixInfo<'_>, details: &LoadDetails) -> Vec<CustomMetric> {
    let dir = |name: &str| {
        if mix.lower_is_better.iter().any(|n| n == name) {
            Direction::LowerIsBetter
        } else {
            Direction::HigherIsBetter
        }
    };
    let mut out: Vec<CustomMetric> = Vec::new();
    let mut counters: Vec<(&String, &u64)> = mix.tallies.counters.iter().collect();
    counters.sort();
    for (name, &n) in counters {
        out.push(CustomMetric {
            name: name.clone(),
            value: n as f64,
            direction: dir(name),
        });
    }
    let mut ratios: Vec<(&String, &(u64, u64))> = mix.tallies.ratios.iter().collect();
    ratios.sort();
    for (name, &(yes, total)) in ratios {
        if total > 0 {
            out.push(CustomMetric {
                name: name.clone(),
                value: 100.0 * yes as f64 / total as f64,
                direction: dir(name),
            });
        }
    }
    for f in &details.faults {
        if let Some(r) = f.recovery_time_ns {
            out.push(CustomMetric {
                name: format!("{}.recovery_time_ns", f.name),
                value: r as f64,
                direction: Direction::LowerIsBetter,
            });
        }
    }
    out
}

fn add(into: &mut Histogram<u64>, from: &Histogram<u64>) {
    if let Err(e) = into.add(from) {
        debug_assert!(false, "histogram merge failed: {e:?}");
    }
}

fn top_errors(errors: &std::collections::HashMap<String, u64>) -> Vec<ErrorCount> {
    let mut all: Vec<ErrorCount> = errors
        .iter()
        .map(|(message, &count)| ErrorCount {
            message: message.clone(),
            count,
        })
        .collect();
    all.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| a.message.cmp(&b.message))
    });
    all.truncate(TOP_ERRORS);
    all
}

fn stage_figures(spec: &RunSpec, data: &RunData, mix: &MixInfo<'_>) -> Vec<StageFigures> {
    let ran_until = data.ended_ns.min(spec.plan.end_ns());
    let all_ops: Vec<usize> = (0..data.rec.ops()).collect();
    spec.plan
        .phases
        .iter()
        .enumerate()
        .map(|(i, phase)| {
            let span = ran_until
                .saturating_sub(phase.start_ns)
                .min(phase.dur_ns)
                .max(1);
            let (h, failures) = gather(&data.rec, &[i], &all_ops);
            let q = |v: u64| (!h.is_empty()).then_some(v as f64);
            StageFigures {
                name: phase.name.clone(),
                start_ns: phase.start_ns,
                duration_ns: span,
                from: phase.from,
                to: phase.to,
                operations: h.len(),
                failures,
                throughput_per_sec: h.len() as f64 / (span as f64 / 1e9),
                p50_ns: q(h.value_at_quantile(0.5)),
                p99_ns: q(h.value_at_quantile(0.99)),
                max_ns: q(h.max()),
                mean_ns: (!h.is_empty()).then(|| h.mean()),
                p90_ns: q(h.value_at_quantile(0.9)),
                p95_ns: q(h.value_at_quantile(0.95)),
                p999_ns: q(h.value_at_quantile(0.999)),
                errors: top_errors(&data.rec.errors_of(&[i], &all_ops)),
                by_operation: if mix.named() {
                    all_ops
                        .iter()
                        .map(|&op| operation_figures(mix, &data.rec, &[i], op, span))
                        .collect()
                } else {
                    Vec::new()
                },
            }
        })
        .collect()
}

fn timeline(spec: &RunSpec, data: &RunData) -> Vec<TimelinePoint> {
    let end = data.ended_ns.min(spec.plan.end_ns()).max(1);
    let width = spec.bucket_ns;
    data.rec
        .timeline
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let start_ns = i as u64 * width;
            let span = end.saturating_sub(start_ns).clamp(1, width);
            match b {
                Some(b) => TimelinePoint {
                    start_ns,
                    operations: b.hist.len(),
                    failures: b.failures,
                    throughput_per_sec: b.hist.len() as f64 / (span as f64 / 1e9),
                    p99_ns: Some(b.hist.value_at_quantile(0.99) as f64),
                },
                None => TimelinePoint {
                    start_ns,
                    ..TimelinePoint::default()
                },
            }
        })
        .collect()
}
