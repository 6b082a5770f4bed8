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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::config::Config;
    use crate::load::engine::RunData;
    use crate::load::record::Recorder;
    use crate::protocol::{Segment, SegmentFigures, Settings};
    use proptest::prelude::*;

    /// One recorded operation: (global seq, phase, op, start, latency, ok).
    type Op = (u64, usize, usize, u64, u64, bool);

    fn spec(segment: Option<Segment>) -> crate::load::config::RunSpec {
        let c = Config {
            rate: Some(1000),
            ramp_up: Some(std::time::Duration::from_millis(200)),
            duration: Some(std::time::Duration::from_millis(800)),
            ..Config::default()
        };
        let settings = Settings {
            segment,
            ..Settings::measuring(0, 1000, 0, 1)
        };
        c.resolve(&settings).unwrap()
    }

    /// The measurement of the operations `ops` (those of `segment`, when given) as
    /// report.rs builds it from a run's raw results.
    fn measure(ops: &[Op], segment: Option<Segment>) -> Result<Measurement, String> {
        let spec = spec(segment);
        let mut rec = Recorder::new(spec.plan.phases.len(), 2, spec.bucket_ns);
        let mut lag = histogram(SIGFIG);
        let mut tallies = Tallies::default();
        for &(seq, phase, op, start, latency, ok) in ops {
            if segment.is_some_and(|s| !crate::load::segment::owns(seq, s)) {
                continue;
            }
            rec.record(phase, op, start, latency, ok);
            if !ok {
                rec.failure_message(phase, op, format!("error {}", seq % 3).into());
            }
            put(&mut lag, seq % 1000 + 1, 1);
            *tallies.counters.entry("bytes".into()).or_insert(0) += seq % 7;
            let r = tallies.ratios.entry("hit".into()).or_insert((0, 0));
            r.0 += u64::from(ok);
            r.1 += 1;
        }
        let data = RunData::finished(rec, spec.plan.end_ns(), lag);
        let names = [("read".to_string(), 3), ("write".to_string(), 1)];
        let mut m = report::measurement(
            &spec,
            &data,
            &report::MixInfo {
                ops: &names,
                tallies,
                lower_is_better: &[],
            },
        )?;
        m.load.as_mut().unwrap().segment = segment.map(|s| SegmentFigures {
            index: s.index,
            count: s.count,
            ..SegmentFigures::default()
        });
        Ok(m)
    }

    fn ops() -> impl Strategy<Value = Vec<Op>> {
        proptest::collection::vec(
            (
                0usize..2,
                0usize..2,
                0u64..1_000_000_000,
                1u64..50_000_000,
                0u8..10,
            ),
            1..300,
        )
        .prop_map(|v| {
            v.into_iter()
                .enumerate()
                .map(|(i, (phase, op, start, lat, f))| (i as u64, phase, op, start, lat, f > 0))
                .collect()
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]

        #[test]
        fn merging_segments_in_any_order_equals_recording_all_in_one(
            all in ops(),
            n in 1u32..=8,
            order in any::<u64>(),
        ) {
            let whole = measure(&all, None);
            let parts: Result<Vec<Measurement>, String> =
                (0..n).map(|i| measure(&all, Some(Segment { index: i, count: n }))).collect();
            // A segment that completed no counted operation has no measurement (report.rs
            // refuses it, and so does the test), so there is nothing to merge.
            prop_assume!(parts.is_ok());
            let (whole, mut parts) = (whole.unwrap(), parts.unwrap());
            // A shuffled order: the merge must not depend on it.
            let mut rng = crate::stats::XorShift64::new(order | 1);
            for i in (1..parts.len()).rev() {
                parts.swap(i, (rng.next_u64() % (i as u64 + 1)) as usize);
            }
            let merged = merge_segments(&parts).unwrap();
            let (w, m) = (whole.load.as_ref().unwrap(), merged.load.as_ref().unwrap());
            prop_assert_eq!(&merged.metrics, &whole.metrics);
            prop_assert_eq!((m.operations, m.failures), (w.operations, w.failures));
            prop_assert_eq!(&m.histogram_ns, &w.histogram_ns);
            prop_assert_eq!(&m.errors, &w.errors);
            prop_assert_eq!(&m.by_operation, &w.by_operation);
            prop_assert_eq!(&m.stages, &w.stages);
            prop_assert_eq!(m.timeline.len(), w.timeline.len());
            for (a, b) in m.timeline.iter().zip(&w.timeline) {
                prop_assert_eq!((a.operations, a.failures, a.p99_ns), (b.operations, b.failures, b.p99_ns));
                prop_assert!((a.throughput_per_sec - b.throughput_per_sec).abs() < 1e-6);
            }
            prop_assert_eq!(m.scheduler_lag_p99_ns, w.scheduler_lag_p99_ns);
            prop_assert_eq!(&merged.custom, &whole.custom);
            prop_assert_eq!(m.segments.len(), n as usize);
            prop_assert!(m.segment.is_none());
        }
    }

    fn parts(n: u32) -> Vec<Measurement> {
        let all: Vec<Op> = (0..90u64)
            .map(|i| {
                (
                    i,
                    1,
                    (i % 2) as usize,
                    200_000_000 + i * 1_000_000,
                    1000 + i,
                    true,
                )
            })
            .collect();
        (0..n)
            .map(|i| measure(&all, Some(Segment { index: i, count: n })).unwrap())
            .collect()
    }

    #[test]
    fn missing_duplicate_and_foreign_segments_are_refused() {
        let p = parts(3);
        let e = merge_segments(&[p[0].clone(), p[2].clone()]).unwrap_err();
        assert_eq!(e, "incomplete: segment 2/3 missing");
        let e = merge_segments(&[p[0].clone(), p[1].clone(), p[1].clone()]).unwrap_err();
        assert!(
            e.contains("segment 2/3 given 2 times") && e.contains("3/3 missing"),
            "{e}"
        );
        let other = parts(2);
        let e = merge_segments(&[p[0].clone(), p[1].clone(), other[1].clone()]).unwrap_err();
        assert!(e.contains("another segment count"), "{e}");
        let mut changed = p.clone();
        changed[2].load.as_mut().unwrap().timeline_bucket_ns *= 2;
        let e = merge_segments(&changed).unwrap_err();
        assert!(
            e.contains("segment 3/3 differs") && e.contains("timeline bucket"),
            "{e}"
        );
        let mut renamed = p.clone();
        renamed[1].load.as_mut().unwrap().by_operation[0].weight = 9;
        assert!(merge_segments(&renamed).unwrap_err().contains("operations"));
        let mut coarse = p.clone();
        coarse[0].load.as_mut().unwrap().histogram_config = None;
        assert!(merge_segments(&coarse).unwrap_err().contains("histogram"));
        let mut plain = p;
        plain[0].load.as_mut().unwrap().segment = None;
        assert!(merge_segments(&plain)
            .unwrap_err()
            .contains("not a load segment"));
    }

    #[test]
    fn one_invalid_segment_invalidates_the_merge_and_is_named() {
        let mut p = parts(3);
        let l = p[1].load.as_mut().unwrap();
        l.valid = false;
        l.invalid_reason = Some("the load generator fell behind".into());
        let m = merge_segments(&p).unwrap();
        let d = m.load.unwrap();
        assert!(!d.valid);
        assert_eq!(
            d.invalid_reason.as_deref(),
            Some("segment 2/3: the load generator fell behind")
        );
        assert!(!d.segments[1].valid && d.segments[0].valid);
    }

    #[test]
    fn thresholds_are_judged_once_on_the_merged_run() {
        use crate::threshold::{Op, ThresholdCheck};
        let mut p = parts(3);
        let whole_tput = p
            .iter()
            .map(|m| m.metrics.throughput_per_sec.unwrap())
            .sum::<f64>();
        // Each segment has a third of the throughput: a limit at 80 % of the whole fails
        // on every segment alone.
        let limit = 0.8 * whole_tput;
        for m in &mut p {
            let share = m.metrics.throughput_per_sec.unwrap();
            let check = |metric: &str, actual: f64, passed: bool| ThresholdCheck {
                metric: metric.into(),
                op: Op::Gt,
                limit,
                actual: Some(actual),
                passed,
                note: None,
                ci: None,
            };
            let read_share = m.load.as_ref().unwrap().by_operation[0].throughput_per_sec;
            m.checks = vec![
                check("throughput_per_sec", share, false),
                ThresholdCheck {
                    limit: 0.8 * read_share * 3.0,
                    ..check("throughput_per_sec[read]", read_share, false)
                },
                check("check[ok]", 1.0, true),
                check("cpu_percent", 50.0, false),
            ];
        }
        p[2].checks[2].passed = false;
        let merged = merge_segments(&p).unwrap();
        let got: Vec<(&str, bool)> = merged
            .checks
            .iter()
            .map(|c| (c.metric.as_str(), c.passed))
            .collect();
        assert_eq!(
            got,
            [
                ("throughput_per_sec", true),
                ("throughput_per_sec[read]", true),
                // The user's own check failed on one segment: failed.
                ("check[ok]", false),
                // Each machine's own: the worst segment's verdict stays.
                ("cpu_percent", false),
            ]
        );
        let t = merged.checks[0].actual.unwrap();
        assert!(
            (t - whole_tput).abs() < 1e-6 * whole_tput,
            "{t} vs {whole_tput}"
        );
    }

    /// A real open-model load test, run as 3 segments one after another: the merged count
    /// equals the unsegmented run's scheduled count exactly, with no gap in sequence numbers.
    #[test]
    fn three_real_segments_merge_to_the_whole_run() {
        use std::sync::{Arc, Mutex};
        let _one_at_a_time = crate::memory::RSS_TEST_LOCK
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let seqs = Arc::new(Mutex::new(Vec::new()));
        let mut parts = Vec::new();
        for index in 0..3 {
            let settings = Settings {
                segment: Some(Segment { index, count: 3 }),
                ..Settings::measuring(0, 400, 0, 1)
            };
            let mut load = crate::load::LoadTest::new(settings);
            let s = Arc::clone(&seqs);
            load.rate(500).iterations(200).run(move |ctx| {
                s.lock().unwrap().push(ctx.seq());
                async {}
            });
            // Lag on this shared machine would only fail finish(); the counts stand.
            parts.push(load.result.unwrap().unwrap());
        }
        let shares: Vec<u64> = parts
            .iter()
            .map(|m| m.load.as_ref().unwrap().operations)
            .collect();
        assert_eq!(shares, [67, 67, 66]);
        let merged = merge_segments(&parts).unwrap();
        let d = merged.load.as_ref().unwrap();
        assert_eq!(d.operations, 200);
        assert_eq!(d.dropped, 0);
        let mut all = seqs.lock().unwrap().clone();
        all.sort_unstable();
        assert_eq!(all, (0..200).collect::<Vec<u64>>());
        assert_eq!(d.max_in_flight, Some(10_000));
    }
}
