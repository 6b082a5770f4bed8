//! `cargo perf merge` of load segments: one exact measurement from the N segments' own.
//!
//! Rules (docs/load-scenarios.md, "Segments"):
//! * every part is a load measurement with `segment` set, the same `count`, each index once
//!   ("incomplete: segment 2/3 missing" otherwise), and the same configuration (model, levels,
//!   phases, timeline bucket, operations and weights, faults, histogram precision, start);
//!   a mismatch is an error, never a re-quantised approximation;
//! * counts are summed; every percentile is recomputed from the summed histograms (headline,
//!   per operation, per stage and stage-operation, per timeline bucket); throughput is the
//!   merged operations over the longest segment's counted duration (the segments share one
//!   start, so that is the whole run's); a timeline bucket's throughput is the sum of the
//!   segments' (each delivered its share over the same bucket);
//! * valid only when every segment is (the reason names the segment); a fault's figures are
//!   the worst segment's (no recovery beats any recovery, else the longest); the in-flight
//!   cap is the sum of the shares; CPU and memory are the worst segment's;
//! * the merged figures carry no `segment`, and `segments` keeps each one's own figures.

use hdrhistogram::Histogram;

use super::ctx::Tallies;
use super::record::{histogram, put, BUCKET_SIGFIG, SIGFIG};
use super::report::{self, HISTOGRAM_CONFIG};
use crate::metrics::Direction;
use crate::protocol::{
    ErrorCount, LoadDetails, Measurement, OperationFigures, SegmentSummary, StageFigures,
    TimelinePoint,
};

/// The histogram of some (nanoseconds, count) pairs, at `sigfig` digits.
fn rebuild<'a>(sigfig: u8, all: impl IntoIterator<Item = &'a [[u64; 2]]>) -> Histogram<u64> {
    let mut h = histogram(sigfig);
    for pairs in all {
        for &[value, count] in pairs {
            put(&mut h, value, count);
        }
    }
    h
}

fn errors<'a>(all: impl IntoIterator<Item = &'a [ErrorCount]>) -> Vec<ErrorCount> {
    let mut sum = std::collections::HashMap::new();
    for list in all {
        for e in list {
            *sum.entry(e.message.clone()).or_insert(0) += e.count;
        }
    }
    report::top_errors(&sum)
}

fn label(l: &LoadDetails) -> String {
    l.segment
        .as_ref()
        .map_or_else(String::new, |s| format!("{}/{}", s.index + 1, s.count))
}

/// Merges the segments of one load test (in any order) into one measurement.
pub fn merge_segments(parts: &[Measurement]) -> Result<Measurement, String> {
    let mut loads: Vec<(&Measurement, &LoadDetails)> = Vec::new();
    for (i, m) in parts.iter().enumerate() {
        let l = m
            .load
            .as_ref()
            .ok_or_else(|| format!("part {} is not a load test's measurement", i + 1))?;
        if l.segment.is_none() {
            return Err(format!(
                "part {} is not a load segment (run it with --segment M/N)",
                i + 1
            ));
        }
        loads.push((m, l));
    }
    let Some(count) = loads
        .first()
        .and_then(|(_, l)| l.segment.as_ref())
        .map(|s| s.count)
    else {
        return Err("no segment to merge".into());
    };
    if let Some((_, l)) = loads
        .iter()
        .find(|(_, l)| l.segment.as_ref().is_some_and(|s| s.count != count))
    {
        return Err(format!(
            "segment {} belongs to a run of another segment count than {count}",
            label(l)
        ));
    }
    loads.sort_by_key(|(_, l)| l.segment.as_ref().map_or(0, |s| s.index));
    let mut problems = Vec::new();
    for index in 0..count {
        let n = loads
            .iter()
            .filter(|(_, l)| l.segment.as_ref().is_some_and(|s| s.index == index))
            .count();
        match n {
            0 => problems.push(format!("segment {}/{count} missing", index + 1)),
            1 => {}
            _ => problems.push(format!("segment {}/{count} given {n} times", index + 1)),
        }
    }
    if let Some((_, l)) = loads
        .iter()
        .find(|(_, l)| l.segment.as_ref().is_some_and(|s| s.index >= count))
    {
        problems.push(format!("segment {} is out of range", label(l)));
    }
    if !problems.is_empty() {
        return Err(format!("incomplete: {}", problems.join(", ")));
    }
    let first = loads[0].1;
    for (_, l) in &loads {
        if let Some(what) = difference(first, l) {
            return Err(format!(
                "segment {} differs from segment {}: {what}; merge only segments of one run",
                label(l),
                label(first)
            ));
        }
    }
    let ls: Vec<&LoadDetails> = loads.iter().map(|(_, l)| *l).collect();
    Ok(merged(&loads, &ls))
}

/// What differs in two segments' configuration, if anything.
fn difference(a: &LoadDetails, b: &LoadDetails) -> Option<String> {
    let sa = a.segment.as_ref()?;
    let sb = b.segment.as_ref()?;
    if a.histogram_config != Some(HISTOGRAM_CONFIG) || b.histogram_config != Some(HISTOGRAM_CONFIG)
    {
        // Histograms are rebuilt at this build's precision: another one would re-quantise.
        return Some("the histogram precision (or a segment carries no histograms)".into());
    }
    let checks: [(&str, bool); 9] = [
        ("the load model", a.model == b.model),
        ("the concurrency", a.concurrency == b.concurrency),
        ("the rate", a.rate_per_sec == b.rate_per_sec),
        (
            "the timeline bucket",
            a.timeline_bucket_ns == b.timeline_bucket_ns,
        ),
        (
            "the histogram precision",
            a.histogram_config == b.histogram_config,
        ),
        (
            "the common start",
            sa.start_at_unix_ns == sb.start_at_unix_ns,
        ),
        (
            "the stages (names, starts, levels)",
            a.stages.len() == b.stages.len()
                && a.stages.iter().zip(&b.stages).all(|(x, y)| {
                    x.name == y.name
                        && x.start_ns == y.start_ns
                        && x.from == y.from
                        && x.to == y.to
                        && same_ops(&x.by_operation, &y.by_operation)
                }),
        ),
        (
            "the operations (names, weights)",
            same_ops(&a.by_operation, &b.by_operation),
        ),
        (
            "the fault windows",
            a.faults.len() == b.faults.len()
                && a.faults.iter().zip(&b.faults).all(|(x, y)| {
                    x.name == y.name && x.start_ns == y.start_ns && x.end_ns == y.end_ns
                }),
        ),
    ];
    checks
        .into_iter()
        .find(|(_, same)| !same)
        .map(|(what, _)| what.to_string())
}

fn same_ops(a: &[OperationFigures], b: &[OperationFigures]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x.name == y.name && x.weight == y.weight)
}

/// One operation's figures over the segments (`pick` finds it in each), over `span_ns`.
fn operation(
    template: &OperationFigures,
    each: &[&OperationFigures],
    span_ns: u64,
) -> OperationFigures {
    let h = rebuild(SIGFIG, each.iter().map(|o| &o.histogram_ns[..]));
    let mut f = OperationFigures {
        name: template.name.clone(),
        weight: template.weight,
        failures: each.iter().map(|o| o.failures).sum(),
        errors: errors(each.iter().map(|o| &o.errors[..])),
        ..OperationFigures::default()
    };
    report::fill_operation(&mut f, &h, span_ns, false);
    f
}

fn per_operation(each: &[&[OperationFigures]], span_ns: u64) -> Vec<OperationFigures> {
    let Some(first) = each.first() else {
        return Vec::new();
    };
    first
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let all: Vec<&OperationFigures> = each.iter().filter_map(|ops| ops.get(i)).collect();
            operation(t, &all, span_ns)
        })
        .collect()
}

fn stages(ls: &[&LoadDetails]) -> Vec<StageFigures> {
    ls[0]
        .stages
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let each: Vec<&StageFigures> = ls.iter().filter_map(|l| l.stages.get(i)).collect();
            let span = each.iter().map(|s| s.duration_ns).max().unwrap_or(1);
            let h = rebuild(SIGFIG, each.iter().map(|s| &s.histogram_ns[..]));
            let by_op: Vec<&[OperationFigures]> =
                each.iter().map(|s| &s.by_operation[..]).collect();
            let mut st = StageFigures {
                name: t.name.clone(),
                start_ns: t.start_ns,
                duration_ns: span,
                from: t.from,
                to: t.to,
                failures: each.iter().map(|s| s.failures).sum(),
                errors: errors(each.iter().map(|s| &s.errors[..])),
                by_operation: per_operation(&by_op, span),
                ..StageFigures::default()
            };
            report::fill_stage(&mut st, &h, false);
            st
        })
        .collect()
}

fn timeline(ls: &[&LoadDetails]) -> Vec<TimelinePoint> {
    let len = ls.iter().map(|l| l.timeline.len()).max().unwrap_or(0);
    let width = ls[0].timeline_bucket_ns;
    (0..len)
        .map(|i| {
            let each: Vec<&TimelinePoint> = ls.iter().filter_map(|l| l.timeline.get(i)).collect();
            let h = rebuild(BUCKET_SIGFIG, each.iter().map(|p| &p.histogram_ns[..]));
            let mut p = report::timeline_point(
                i as u64 * width,
                &h,
                each.iter().map(|p| p.failures).sum(),
                width,
                false,
            );
            if !h.is_empty() {
                // Each segment delivered its share over the same bucket: the rates add.
                p.throughput_per_sec = each.iter().map(|p| p.throughput_per_sec).sum();
            }
            p
        })
        .collect()
}

fn merged(loads: &[(&Measurement, &LoadDetails)], ls: &[&LoadDetails]) -> Measurement {
    let first = ls[0];
    let hist = rebuild(SIGFIG, ls.iter().map(|l| &l.histogram_ns[..]));
    let operations = hist.len();
    let failures: u64 = ls.iter().map(|l| l.failures).sum();
    let duration_ns = ls.iter().map(|l| l.duration_ns).max().unwrap_or(1).max(1);
    let throughput = operations as f64 / (duration_ns as f64 / 1e9);
    let success_rate = if operations == 0 {
        0.0
    } else {
        100.0 * (operations - failures.min(operations)) as f64 / operations as f64
    };
    let lag = rebuild(SIGFIG, ls.iter().map(|l| &l.scheduler_lag_histogram_ns[..]));
    let lag_q = |q: f64| (!lag.is_empty()).then(|| lag.value_at_quantile(q) as f64);
    let invalid = ls.iter().find(|l| !l.valid).map(|l| {
        let reason = l.invalid_reason.clone().unwrap_or_else(|| "invalid".into());
        if reason.starts_with("segment ") {
            reason
        } else {
            format!("segment {}: {reason}", label(l))
        }
    });
    let by_op: Vec<&[OperationFigures]> = ls.iter().map(|l| &l.by_operation[..]).collect();
    let faults = first
        .faults
        .iter()
        .enumerate()
        .map(|(i, _)| {
            // The worst segment's: never recovered, else the longest recovery.
            ls.iter()
                .filter_map(|l| l.faults.get(i))
                .max_by_key(|f| f.recovery_time_ns.map_or(u64::MAX, |r| r))
                .cloned()
                .unwrap_or_default()
        })
        .collect();
    let details = LoadDetails {
        model: first.model,
        concurrency: first.concurrency,
        rate_per_sec: first.rate_per_sec,
        max_in_flight: ls.iter().map(|l| l.max_in_flight).sum::<Option<u64>>(),
        duration_ns,
        operations,
        failures,
        errors: errors(ls.iter().map(|l| &l.errors[..])),
        dropped: ls.iter().map(|l| l.dropped).sum(),
        late: ls.iter().map(|l| l.late).sum(),
        unfinished: ls.iter().map(|l| l.unfinished).sum(),
        scheduler_lag_p50_ns: lag_q(0.5),
        scheduler_lag_p99_ns: lag_q(0.99),
        scheduler_lag_max_ns: (!lag.is_empty()).then(|| lag.max() as f64),
        stages: stages(ls),
        timeline_bucket_ns: first.timeline_bucket_ns,
        timeline: timeline(ls),
        resources: Vec::new(),
        valid: invalid.is_none(),
        invalid_reason: invalid,
        histogram_ns: report::pairs(&hist),
        capacity: None,
        by_operation: per_operation(&by_op, duration_ns),
        faults,
        segment: None,
        histogram_config: None,
        scheduler_lag_histogram_ns: Vec::new(),
        counters: Vec::new(),
        ratios: Vec::new(),
        segments: loads
            .iter()
            .map(|(m, l)| SegmentSummary {
                segment: l.segment.clone().unwrap_or_default(),
                metrics: m.metrics.clone(),
                operations: l.operations,
                failures: l.failures,
                dropped: l.dropped,
                late: l.late,
                unfinished: l.unfinished,
                scheduler_lag_p99_ns: l.scheduler_lag_p99_ns,
                valid: l.valid,
                invalid_reason: l.invalid_reason.clone(),
                cpu_percent: m.cpu_percent,
                rss_peak_bytes: m.memory.as_ref().and_then(|x| x.rss_peak_bytes),
            })
            .collect(),
    };
    let custom = custom(loads, &details);
    let worst_memory = loads
        .iter()
        .filter_map(|(m, _)| m.memory.as_ref())
        .max_by_key(|x| x.rss_peak_bytes)
        .cloned();
    let mut m = Measurement {
        metrics: if operations > 0 {
            report::headline(&hist, throughput, success_rate)
        } else {
            crate::metrics::Metrics::default()
        },
        bench: None,
        load: Some(details),
        memory: worst_memory,
        custom,
        checks: Vec::new(),
        cpu_percent: loads
            .iter()
            .filter_map(|(m, _)| m.cpu_percent)
            .reduce(f64::max),
    };
    let all_checks: Vec<crate::threshold::ThresholdCheck> =
        loads.iter().flat_map(|(m, _)| m.checks.clone()).collect();
    m.checks = crate::limits::recheck(&all_checks, &m);
    m
}

/// Counters summed and ratios divided again from their summed counts, with the directions
/// the segments gave them; recovery times from the merged faults.
fn custom(
    loads: &[(&Measurement, &LoadDetails)],
    details: &LoadDetails,
) -> Vec<crate::metrics::CustomMetric> {
    let mut tallies = Tallies::default();
    for (_, l) in loads {
        for c in &l.counters {
            *tallies.counters.entry(c.name.clone()).or_insert(0) += c.count;
        }
        for r in &l.ratios {
            let e = tallies.ratios.entry(r.name.clone()).or_insert((0, 0));
            e.0 += r.yes;
            e.1 += r.total;
        }
    }
    let lower: Vec<String> = loads
        .iter()
        .flat_map(|(m, _)| &m.custom)
        .filter(|c| c.direction == Direction::LowerIsBetter)
        .map(|c| c.name.clone())
        .collect();
    let ops: Vec<(String, u32)> = details
        .by_operation
        .iter()
        .map(|o| (o.name.clone(), o.weight))
        .collect();
    report::custom_metrics(
        &report::MixInfo {
            ops: &ops,
            tallies,
            lower_is_better: &lower,
        },
        details,
    )
}
