//! Turning a run's raw results into the figures `cargo perf` stores and judges: the headline
//! metrics, per-phase figures, the timeline and the validity verdict.

use hdrhistogram::Histogram;

use super::config::{Model, RunSpec};
use super::ctx::Tallies;
use super::engine::RunData;
use super::record::{histogram, Recorder};
use crate::protocol::{
    CounterCount, ErrorCount, HistogramConfig, LoadDetails, LoadModel, Measurement,
    OperationFigures, RatioCount, StageFigures, TimelinePoint,
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
    let metrics = headline(&hist, throughput, success_rate);
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
        // A segment names itself: one saturated generator invalidates the merged run.
        let who = spec.segment.map_or(String::new(), |s| {
            format!("segment {}: ", super::segment::label(s))
        });
        format!(
            "{who}the load generator fell behind its timetable (scheduler lag p99 {} > {}): \
             the machine is too busy or the rate too high for it",
            crate::format::duration_ns(l),
            crate::format::duration_ns(lag_limit)
        )
    });
    let evidence = spec.segment.is_some();
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
        histogram_ns: pairs(&hist),
        capacity: None,
        by_operation: Vec::new(),
        faults: Vec::new(),
        segment: None,
        histogram_config: evidence.then_some(HISTOGRAM_CONFIG),
        scheduler_lag_histogram_ns: match &data.lag {
            Some(l) if evidence => pairs(l),
            _ => Vec::new(),
        },
        counters: if evidence {
            sorted(&mix.tallies.counters)
                .into_iter()
                .map(|(name, &count)| CounterCount {
                    name: name.clone(),
                    count,
                })
                .collect()
        } else {
            Vec::new()
        },
        ratios: if evidence {
            sorted(&mix.tallies.ratios)
                .into_iter()
                .map(|(name, &(yes, total))| RatioCount {
                    name: name.clone(),
                    yes,
                    total,
                })
                .collect()
        } else {
            Vec::new()
        },
        segments: Vec::new(),
    };
    let mut details = details;
    if mix.named() {
        details.by_operation = (0..data.rec.ops())
            .map(|op| operation_figures(mix, &data.rec, &counted, op, counted_ns, evidence))
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
    evidence: bool,
) -> OperationFigures {
    let (h, failures) = gather(rec, phases, &[op]);
    let (name, weight) = mix.ops.get(op).cloned().unwrap_or_default();
    let mut f = OperationFigures {
        name,
        weight,
        failures,
        errors: top_errors(&rec.errors_of(phases, &[op])),
        ..OperationFigures::default()
    };
    fill_operation(&mut f, &h, span_ns, evidence);
    f
}

/// The precision of every load histogram, as segmented reports declare it.
pub(crate) const HISTOGRAM_CONFIG: HistogramConfig = HistogramConfig {
    significant_digits: super::record::SIGFIG,
    timeline_significant_digits: super::record::BUCKET_SIGFIG,
};

/// The headline metrics of a run's latencies (`hist` not empty).
pub(crate) fn headline(hist: &Histogram<u64>, throughput: f64, success_rate: f64) -> Metrics {
    let p = |q: f64| Some(hist.value_at_quantile(q) as f64);
    Metrics {
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
    }
}

/// Fills an operation's figures from its latencies over `span_ns` (its name, weight,
/// failures and errors already set); with `evidence`, its histogram too.
pub(crate) fn fill_operation(
    f: &mut OperationFigures,
    h: &Histogram<u64>,
    span_ns: u64,
    evidence: bool,
) {
    let q = |v: u64| (!h.is_empty()).then_some(v as f64);
    f.operations = h.len();
    f.throughput_per_sec = h.len() as f64 / (span_ns.max(1) as f64 / 1e9);
    f.success_rate = (!h.is_empty())
        .then(|| 100.0 * (h.len() - f.failures.min(h.len())) as f64 / h.len() as f64);
    f.p50_ns = q(h.value_at_quantile(0.5));
    f.p90_ns = q(h.value_at_quantile(0.9));
    f.p95_ns = q(h.value_at_quantile(0.95));
    f.p99_ns = q(h.value_at_quantile(0.99));
    f.p999_ns = q(h.value_at_quantile(0.999));
    f.max_ns = q(h.max());
    f.mean_ns = (!h.is_empty()).then(|| h.mean());
    f.histogram_ns = if evidence { pairs(h) } else { Vec::new() };
}

/// Fills a stage's figures from its latencies over its `duration_ns` (its name, plan,
/// failures, errors and operations' figures already set); with `evidence`, its histogram.
pub(crate) fn fill_stage(st: &mut StageFigures, h: &Histogram<u64>, evidence: bool) {
    let q = |v: u64| (!h.is_empty()).then_some(v as f64);
    st.operations = h.len();
    st.throughput_per_sec = h.len() as f64 / (st.duration_ns.max(1) as f64 / 1e9);
    st.p50_ns = q(h.value_at_quantile(0.5));
    st.p99_ns = q(h.value_at_quantile(0.99));
    st.max_ns = q(h.max());
    st.mean_ns = (!h.is_empty()).then(|| h.mean());
    st.p90_ns = q(h.value_at_quantile(0.9));
    st.p95_ns = q(h.value_at_quantile(0.95));
    st.p999_ns = q(h.value_at_quantile(0.999));
    st.histogram_ns = if evidence { pairs(h) } else { Vec::new() };
}

/// One timeline bucket of `span_ns` (the last one may be cut short by the run's end).
pub(crate) fn timeline_point(
    start_ns: u64,
    h: &Histogram<u64>,
    failures: u64,
    span_ns: u64,
    evidence: bool,
) -> TimelinePoint {
    if h.is_empty() {
        return TimelinePoint {
            start_ns,
            ..TimelinePoint::default()
        };
    }
    TimelinePoint {
        start_ns,
        operations: h.len(),
        failures,
        throughput_per_sec: h.len() as f64 / (span_ns.max(1) as f64 / 1e9),
        p99_ns: Some(h.value_at_quantile(0.99) as f64),
        histogram_ns: if evidence { pairs(h) } else { Vec::new() },
    }
}

/// A histogram's wire form: (highest value of the bucket, count) for every non-empty
/// bucket. Recording those values again into a histogram of the same precision fills the
/// very same buckets, so every percentile, the mean and the extremes come back exactly.
pub(crate) fn pairs(h: &Histogram<u64>) -> Vec<[u64; 2]> {
    h.iter_recorded()
        .map(|v| [v.value_iterated_to(), v.count_at_value()])
        .collect()
}

fn sorted<V>(m: &std::collections::HashMap<String, V>) -> Vec<(&String, &V)> {
    let mut all: Vec<(&String, &V)> = m.iter().collect();
    all.sort_by(|a, b| a.0.cmp(b.0));
    all
}

/// Counters, ratios and recovery times as custom metrics: stored and compared between commits
/// like `Bencher::metric` values. (Each operation's figures travel in `by_operation`, which
/// `cargo perf` merges over processes and compares like the headline ones.)
pub(crate) fn custom_metrics(mix: &MixInfo<'_>, details: &LoadDetails) -> Vec<CustomMetric> {
    let dir = |name: &str| {
        if mix.lower_is_better.iter().any(|n| n == name) {
            Direction::LowerIsBetter
        } else {
            Direction::HigherIsBetter
        }
    };
    let mut out: Vec<CustomMetric> = Vec::new();
    for (name, &n) in sorted(&mix.tallies.counters) {
        out.push(CustomMetric {
            name: name.clone(),
            value: n as f64,
            direction: dir(name),
        });
    }
    for (name, &(yes, total)) in sorted(&mix.tallies.ratios) {
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

pub(crate) fn top_errors(errors: &std::collections::HashMap<String, u64>) -> Vec<ErrorCount> {
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
    let evidence = spec.segment.is_some();
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
            let mut st = StageFigures {
                name: phase.name.clone(),
                start_ns: phase.start_ns,
                duration_ns: span,
                from: phase.from,
                to: phase.to,
                failures,
                errors: top_errors(&data.rec.errors_of(&[i], &all_ops)),
                by_operation: if mix.named() {
                    all_ops
                        .iter()
                        .map(|&op| operation_figures(mix, &data.rec, &[i], op, span, evidence))
                        .collect()
                } else {
                    Vec::new()
                },
                ..StageFigures::default()
            };
            fill_stage(&mut st, &h, evidence);
            st
        })
        .collect()
}

fn timeline(spec: &RunSpec, data: &RunData) -> Vec<TimelinePoint> {
    let end = data.ended_ns.min(spec.plan.end_ns()).max(1);
    let width = spec.bucket_ns;
    let evidence = spec.segment.is_some();
    let empty = histogram(super::record::BUCKET_SIGFIG);
    data.rec
        .timeline
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let start_ns = i as u64 * width;
            let span = end.saturating_sub(start_ns).clamp(1, width);
            match b {
                Some(b) => timeline_point(start_ns, &b.hist, b.failures, span, evidence),
                None => timeline_point(start_ns, &empty, 0, span, evidence),
            }
        })
        .collect()
}
