//! Limits the harness checks itself, beyond the headline thresholds: a figure of one
//! operation or stage (`p95("read") < "5ms"`), a fault's recovery time, a custom metric, the
//! process's CPU and peak RSS. Unknown names are errors listing the known ones.

use crate::protocol::Measurement;
use crate::threshold::{Key, Op, ThresholdCheck};

/// Which figure a [`Limit`] bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Figure {
    /// A latency, throughput or success-rate key, scoped to an operation and/or a stage.
    Scoped(Key),
    /// `recovery_time("fault")`, nanoseconds.
    RecoveryTime,
    /// `metric("name")`: a custom metric (`Bencher::metric`, load counters and ratios).
    Metric,
    /// `cpu`: process CPU, percent of one core.
    Cpu,
    /// `peak_rss`: the highest sampled resident memory, bytes.
    PeakRss,
}

/// One limit from the attribute, its value in the base unit. Built by `#[perf_test]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limit {
    pub figure: Figure,
    /// `p95("x")`: an operation or a stage, whichever `x` names; the fault of
    /// `recovery_time`; the metric of `metric`.
    pub name: Option<&'static str>,
    /// `op = "read"`.
    pub op_name: Option<&'static str>,
    /// `stage = "spike"`.
    pub stage: Option<&'static str>,
    pub op: Op,
    pub value: f64,
}

impl Limit {
    /// The metric name the check is reported under, e.g. `p95_ns[op=read,stage=spike]`.
    pub fn metric_name(&self) -> String {
        match self.figure {
            Figure::Scoped(key) => {
                let mut scope = Vec::new();
                if let Some(n) = self.name {
                    scope.push(n.to_string());
                }
                if let Some(o) = self.op_name {
                    scope.push(format!("op={o}"));
                }
                if let Some(s) = self.stage {
                    scope.push(format!("stage={s}"));
                }
                format!(
                    "{}[{}]",
                    crate::metrics::Metric::from(key).name(),
                    scope.join(",")
                )
            }
            Figure::RecoveryTime => format!("recovery_time_ns[{}]", self.name.unwrap_or("")),
            Figure::Metric => format!("metric[{}]", self.name.unwrap_or("")),
            Figure::Cpu => "cpu_percent".to_string(),
            Figure::PeakRss => "peak_rss_bytes".to_string(),
        }
    }
}

/// Checks every limit against a measurement. `Err` names an operation, stage, fault or
/// metric the test does not have, with the ones it has.
pub(crate) fn evaluate(limits: &[Limit], m: &Measurement) -> Result<Vec<ThresholdCheck>, String> {
    limits
        .iter()
        .map(|l| {
            let actual = actual(l, m)?;
            Ok(ThresholdCheck {
                metric: l.metric_name(),
                op: l.op,
                limit: l.value,
                actual,
                passed: actual.is_some_and(|a| l.op.holds(a, l.value)),
                note: actual.is_none().then(|| missing(l, m)),
                ci: None,
            })
        })
        .collect()
}

/// Why a limit's figure is absent from a measurement, for its failure message.
fn missing(l: &Limit, m: &Measurement) -> String {
    let name = l.name.unwrap_or("");
    match l.figure {
        Figure::Cpu => "the process's CPU time was not sampled".to_string(),
        Figure::PeakRss => "resident memory was not sampled".to_string(),
        Figure::Metric => format!("no operation reported {name:?} in this run"),
        Figure::RecoveryTime => m
            .load
            .as_ref()
            .and_then(|d| d.faults.iter().find(|f| f.name == name))
            .and_then(|f| f.note.clone())
            .unwrap_or_else(|| format!("fault {name:?} has no recovery time")),
        Figure::Scoped(_) => "no operation of this scope completed".to_string(),
    }
}

fn unknown(what: &str, name: &str, known: Vec<&str>) -> String {
    let known = if known.is_empty() {
        "none".to_string()
    } else {
        known.join(", ")
    };
    format!(
        "#[perf_test] names {what} {name:?}, which this test does not have; its {what}s: {known}"
    )
}

fn actual(l: &Limit, m: &Measurement) -> Result<Option<f64>, String> {
    let load = m.load.as_ref();
    match l.figure {
        Figure::Cpu => Ok(m.cpu_percent),
        Figure::PeakRss => Ok(m
            .memory
            .as_ref()
            .and_then(|x| x.rss_peak_bytes)
            .map(|b| b as f64)),
        Figure::Metric => {
            let name = l.name.unwrap_or("");
            match m.custom.iter().find(|c| c.name == name) {
                Some(c) => Ok(Some(c.value)),
                // A load counter or ratio nobody reported this run is absent (and fails),
                // not unknown: operations decide at run time what they count.
                None if load.is_some() => Ok(None),
                None => Err(unknown(
                    "metric",
                    name,
                    m.custom.iter().map(|c| c.name.as_str()).collect(),
                )),
            }
        }
        Figure::RecoveryTime => {
            let name = l.name.unwrap_or("");
            let faults = load.map(|d| &d.faults[..]).unwrap_or(&[]);
            match faults.iter().find(|f| f.name == name) {
                Some(f) => Ok(f.recovery_time_ns.map(|n| n as f64)),
                None => Err(unknown(
                    "fault",
                    name,
                    faults.iter().map(|f| f.name.as_str()).collect(),
                )),
            }
        }
        Figure::Scoped(key) => scoped(key, l.name, l.op_name, l.stage, m),
    }
}

fn scoped(
    key: Key,
    name: Option<&str>,
    op_name: Option<&str>,
    stage: Option<&str>,
    m: &Measurement,
) -> Result<Option<f64>, String> {
    let Some(load) = m.load.as_ref() else {
        return Err(format!(
            "`{}` scoped to an operation or stage applies to load tests only",
            key.name()
        ));
    };
    let op_names: Vec<&str> = load.by_operation.iter().map(|o| o.name.as_str()).collect();
    let stage_names: Vec<&str> = load.stages.iter().map(|s| s.name.as_str()).collect();
    let (mut op, mut stage) = (op_name, stage);
    if let Some(n) = name {
        match (op_names.contains(&n), stage_names.contains(&n)) {
            (true, true) => {
                return Err(format!(
                    "#[perf_test] `{}(\"{n}\")`: {n:?} is both an operation and a stage; \
                     write `op = \"{n}\"` or `stage = \"{n}\"`",
                    key.name()
                ))
            }
            (true, false) => op = Some(n),
            (false, true) => stage = Some(n),
            (false, false) => {
                return Err(format!(
                    "#[perf_test] names {n:?}, which is neither an operation nor a stage of \
                     this test; operations: {}; stages: {}",
                    if op_names.is_empty() {
                        "none (a one-operation run)".to_string()
                    } else {
                        op_names.join(", ")
                    },
                    stage_names.join(", ")
                ))
            }
        }
    }
    if let Some(o) = op {
        if !op_names.contains(&o) {
            return Err(unknown("operation", o, op_names));
        }
    }
    if let Some(s) = stage {
        if !stage_names.contains(&s) {
            return Err(unknown("stage", s, stage_names));
        }
    }
    let figures = match (op, stage) {
        (Some(o), None) => load.by_operation.iter().find(|x| x.name == o).cloned(),
        (o, Some(s)) => {
            let st = load.stages.iter().find(|x| x.name == s);
            match o {
                Some(o) => st.and_then(|st| st.by_operation.iter().find(|x| x.name == o).cloned()),
                None => st.map(|st| crate::protocol::OperationFigures {
                    name: st.name.clone(),
                    weight: 0,
                    operations: st.operations,
                    failures: st.failures,
                    throughput_per_sec: st.throughput_per_sec,
                    success_rate: (st.operations > 0).then(|| {
                        100.0 * (st.operations - st.failures.min(st.operations)) as f64
                            / st.operations as f64
                    }),
                    p50_ns: st.p50_ns,
                    p90_ns: st.p90_ns,
                    p95_ns: st.p95_ns,
                    p99_ns: st.p99_ns,
                    p999_ns: st.p999_ns,
                    max_ns: st.max_ns,
                    mean_ns: st.mean_ns,
                    errors: Vec::new(),
                    histogram_ns: Vec::new(),
                }),
            }
        }
        (None, None) => None,
    };
    let Some(f) = figures else { return Ok(None) };
    Ok(match key {
        Key::P50 => f.p50_ns,
        Key::P90 => f.p90_ns,
        Key::P95 => f.p95_ns,
        Key::P99 => f.p99_ns,
        Key::P999 => f.p999_ns,
        Key::Mean => f.mean_ns,
        Key::Max => f.max_ns,
        Key::Throughput => Some(f.throughput_per_sec),
        Key::SuccessRate => f.success_rate,
        _ => None,
    })
}

/// Every check of a merged load test's segments (`checks`: all segments' checks, or those
/// already merged by [`merge_checks`]) judged once, on the merged measurement: headline
/// metrics (`p99_ns`, `throughput_per_sec`, ...), scoped figures (`p95_ns[read,stage=spike]`),
/// `metric[x]` and `recovery_time_ns[f]` are looked up again in `merged`, so that a
/// `throughput > N` limit is judged on the whole, not on each segment's share. What the merge
/// cannot recompute keeps the worst segment's verdict: `cpu_percent` and `peak_rss_bytes`
/// (each machine's own), and the test's named `check[..]` checks, which passed only if every
/// segment's passed (they are the user's code judging one segment's `LoadReport`).
#[allow(dead_code)] // called by `merge_segments` (itself for `cargo perf merge`)
pub fn recheck(checks: &[ThresholdCheck], merged: &Measurement) -> Vec<ThresholdCheck> {
    merge_checks([checks])
        .into_iter()
        .map(|mut c| {
            if let Some(actual) = merged_value(&c.metric, merged) {
                c.passed = actual.is_some_and(|a| c.op.holds(a, c.limit));
                c.note = actual
                    .is_none()
                    .then(|| "absent from the merged segments".to_string());
                c.actual = actual;
                c.ci = None;
            }
            c
        })
        .collect()
}

/// A check's figure looked up by its metric name in a (merged) measurement: `None` when the
/// name is not one the merge recomputes, `Some(None)` when the figure is absent.
#[allow(dead_code)]
fn merged_value(metric: &str, m: &Measurement) -> Option<Option<f64>> {
    if let Some(known) = crate::metrics::Metric::from_name(metric) {
        return Some(known.get(&m.metrics));
    }
    let (head, scope) = metric.strip_suffix(']')?.split_once('[')?;
    let load = m.load.as_ref()?;
    match head {
        "metric" => Some(m.custom.iter().find(|c| c.name == scope).map(|c| c.value)),
        "recovery_time_ns" => Some(
            load.faults
                .iter()
                .find(|f| f.name == scope)
                .and_then(|f| f.recovery_time_ns)
                .map(|r| r as f64),
        ),
        _ => {
            let metric = crate::metrics::Metric::from_name(head)?;
            let key = Key::ALL
                .into_iter()
                .find(|&k| crate::metrics::Metric::from(k) == metric)?;
            let (mut name, mut op, mut stage) = (None, None, None);
            for part in scope.split(',') {
                if let Some(o) = part.strip_prefix("op=") {
                    op = Some(o);
                } else if let Some(s) = part.strip_prefix("stage=") {
                    stage = Some(s);
                } else {
                    name = Some(part);
                }
            }
            scoped(key, name, op, stage, m).ok()
        }
    }
}

/// One check per metric from several processes' checks: passed only when every process
/// passed it, with the worst process's value (first-seen order).
// Used by `cargo perf` (feature `cli`), which merges its processes' checks.
#[cfg_attr(not(feature = "cli"), allow(dead_code))]
pub fn merge_checks<'a>(
    per_process: impl IntoIterator<Item = &'a [ThresholdCheck]>,
) -> Vec<ThresholdCheck> {
    let mut out: Vec<ThresholdCheck> = Vec::new();
    for checks in per_process {
        for c in checks {
            let Some(m) = out.iter_mut().find(|m| m.metric == c.metric) else {
                out.push(c.clone());
                continue;
            };
            // "Worse" is the side the limit guards against.
            let worse = |a: f64, b: f64| match c.op {
                Op::Lt | Op::Le => a.max(b),
                Op::Gt | Op::Ge => a.min(b),
            };
            m.actual = match (m.actual, c.actual) {
                (Some(a), Some(b)) => Some(worse(a, b)),
                _ => None,
            };
            if m.note.is_none() {
                m.note = c.note.clone();
            }
            m.passed &= c.passed;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{FaultFigures, LoadDetails, OperationFigures, StageFigures};

    fn limit(figure: Figure, name: Option<&'static str>, op: Op, value: f64) -> Limit {
        Limit {
            figure,
            name,
            op_name: None,
            stage: None,
            op,
            value,
        }
    }

    fn measurement() -> Measurement {
        let read = OperationFigures {
            name: "read".into(),
            operations: 80,
            p95_ns: Some(4e6),
            success_rate: Some(100.0),
            ..OperationFigures::default()
        };
        let slow_read = OperationFigures {
            p95_ns: Some(9e6),
            ..read.clone()
        };
        Measurement {
            load: Some(LoadDetails {
                by_operation: vec![read],
                stages: vec![StageFigures {
                    name: "spike".into(),
                    operations: 100,
                    failures: 20,
                    by_operation: vec![slow_read],
                    ..StageFigures::default()
                }],
                faults: vec![FaultFigures {
                    name: "outage".into(),
                    recovery_time_ns: Some(2_000_000_000),
                    ..FaultFigures::default()
                }],
                ..LoadDetails::default()
            }),
            cpu_percent: Some(120.0),
            ..Measurement::default()
        }
    }

    #[test]
    fn scoped_limits_find_their_figures() {
        let m = measurement();
        let mut both = limit(Figure::Scoped(Key::P95), None, Op::Lt, 5e6);
        both.op_name = Some("read");
        both.stage = Some("spike");
        let checks = evaluate(
            &[
                limit(Figure::Scoped(Key::P95), Some("read"), Op::Lt, 5e6),
                limit(
                    Figure::Scoped(Key::SuccessRate),
                    Some("spike"),
                    Op::Ge,
                    90.0,
                ),
                both,
                limit(Figure::RecoveryTime, Some("outage"), Op::Lt, 3e9),
                limit(Figure::Cpu, None, Op::Lt, 150.0),
                limit(Figure::PeakRss, None, Op::Lt, 1e9),
            ],
            &m,
        )
        .unwrap();
        let got: Vec<(&str, bool)> = checks
            .iter()
            .map(|c| (c.metric.as_str(), c.passed))
            .collect();
        assert_eq!(
            got,
            [
                ("p95_ns[read]", true),
                ("success_rate[spike]", false),
                ("p95_ns[op=read,stage=spike]", false),
                ("recovery_time_ns[outage]", true),
                ("cpu_percent", true),
                ("peak_rss_bytes", false),
            ]
        );
        assert_eq!(checks[1].actual, Some(80.0));
        assert_eq!(checks[5].actual, None, "no RSS sampled: absent fails");
        assert_eq!(
            checks[5].note.as_deref(),
            Some("resident memory was not sampled")
        );
    }

    #[test]
    fn recheck_judges_scoped_names_on_the_merged_measurement() {
        let mut m = measurement();
        m.custom.push(crate::metrics::CustomMetric {
            name: "hits".into(),
            value: 90.0,
            direction: crate::metrics::Direction::HigherIsBetter,
        });
        // What two segments reported on their own shares: every one wrong for the whole.
        let c = |metric: &str, op: Op, limit: f64, actual: f64, passed: bool| ThresholdCheck {
            metric: metric.into(),
            op,
            limit,
            actual: Some(actual),
            passed,
            note: None,
            ci: None,
        };
        let checks = [
            c("p95_ns[read]", Op::Lt, 5e6, 6e6, false),
            c("p95_ns[op=read,stage=spike]", Op::Lt, 5e6, 1e6, true),
            c("success_rate[spike]", Op::Ge, 75.0, 50.0, false),
            c("metric[hits]", Op::Ge, 80.0, 40.0, false),
            c("recovery_time_ns[outage]", Op::Lt, 3e9, 4e9, false),
            c("peak_rss_bytes", Op::Lt, 1e9, 2e9, false),
            c("check[mine]", Op::Ge, 1.0, 1.0, true),
            c("check[mine]", Op::Ge, 1.0, 0.0, false),
        ];
        let got: Vec<(String, bool, Option<f64>)> = recheck(&checks, &m)
            .into_iter()
            .map(|c| (c.metric, c.passed, c.actual))
            .collect();
        let want = [
            ("p95_ns[read]", true, Some(4e6)),
            ("p95_ns[op=read,stage=spike]", false, Some(9e6)),
            ("success_rate[spike]", true, Some(80.0)),
            ("metric[hits]", true, Some(90.0)),
            ("recovery_time_ns[outage]", true, Some(2e9)),
            // Each machine's own, and the user's own checks: the worst segment's.
            ("peak_rss_bytes", false, Some(2e9)),
            ("check[mine]", false, Some(0.0)),
        ];
        let want: Vec<(String, bool, Option<f64>)> = want
            .iter()
            .map(|(n, p, a)| (n.to_string(), *p, *a))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn checks_merge_to_the_worst_process() {
        let c = |actual: f64, passed| ThresholdCheck {
            metric: "p95_ns[read]".into(),
            op: Op::Lt,
            limit: 5.0,
            actual: Some(actual),
            passed,
            note: None,
            ci: None,
        };
        let a = [c(3.0, true)];
        let b = [c(7.0, false)];
        let merged = merge_checks([&a[..], &b[..]]);
        assert_eq!(merged.len(), 1);
        assert_eq!((merged[0].actual, merged[0].passed), (Some(7.0), false));
    }

    #[test]
    fn unknown_names_list_the_known_ones() {
        let m = measurement();
        let e = evaluate(
            &[limit(Figure::Scoped(Key::P95), Some("reed"), Op::Lt, 1.0)],
            &m,
        )
        .unwrap_err();
        assert!(e.contains("operations: read; stages: spike"), "{e}");
        let mut l = limit(Figure::Scoped(Key::P99), None, Op::Lt, 1.0);
        l.stage = Some("spik");
        let e = evaluate(&[l], &m).unwrap_err();
        assert!(
            e.contains("stage \"spik\"") && e.contains("stages: spike"),
            "{e}"
        );
        let e = evaluate(
            &[limit(Figure::RecoveryTime, Some("crash"), Op::Lt, 1.0)],
            &m,
        )
        .unwrap_err();
        assert!(e.contains("faults: outage"), "{e}");
        let bench = Measurement::default();
        let e = evaluate(&[limit(Figure::Metric, Some("hits"), Op::Ge, 1.0)], &bench).unwrap_err();
        assert!(e.contains("metric \"hits\"") && e.contains("none"), "{e}");
    }
}
