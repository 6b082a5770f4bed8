//! `cargo perf history`'s figures: each matching test's compared metric over the stored
//! commits, each point judged against the previous commit as `compare` would judge it.

use std::collections::BTreeMap;

use crate::cli::compare::{self, primary_metric, CompareOptions};
use crate::cli::model::{Status, TestReport, Verdict};
use crate::cli::store::Record;
use crate::metrics::Metric;

/// One test at one commit.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub commit: String,
    pub time: String,
    pub value: Option<f64>,
    /// A confidence interval of `value`: the stored median's interval, else the range of the
    /// processes' figures of the metric (what a later run can be expected to land in).
    pub ci: Option<[f64; 2]>,
    /// Against the previous stored commit; `None` for the oldest point.
    pub change: Option<f64>,
    pub verdict: Option<Verdict>,
    /// Each process's figure of the metric: what the change-point test reads.
    pub processes: Vec<f64>,
}

/// One test's series, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub id: String,
    pub metric: String,
    pub points: Vec<Point>,
}

/// The series of every test whose id contains `filter` (all tests without one).
pub fn series(records: &[Record], filter: Option<&str>, opts: &CompareOptions) -> Vec<Series> {
    let mut by_id: BTreeMap<String, Series> = BTreeMap::new();
    for (i, record) in records.iter().enumerate() {
        let mut tests = record.tests.clone();
        let verdicts: BTreeMap<String, (Option<f64>, Verdict)> = match i.checked_sub(1) {
            Some(prev) => {
                let base = &records[prev];
                let mut noise = base.noise.clone();
                noise.extend(record.noise.clone());
                compare::unpaired::apply(&base.tests, &mut tests, &noise, Some(&base.commit), opts);
                tests
                    .iter()
                    .filter_map(|t| {
                        let c = t.comparison.as_ref()?;
                        let change = (c.metric == primary_metric(t.kind).name())
                            .then_some(c.change)
                            .flatten();
                        Some((t.id.clone(), (change, c.verdict)))
                    })
                    .collect()
            }
            None => BTreeMap::new(),
        };
        for t in tests
            .iter()
            .filter(|t| filter.map_or(true, |f| t.id.contains(f)))
        {
            let metric = primary_metric(t.kind);
            let measured = t.status != Status::Error;
            let value = measured.then(|| metric.get(&t.metrics)).flatten();
            let ci = measured.then(|| interval(t, metric)).flatten();
            let processes = if measured {
                t.processes.iter().filter_map(|m| metric.get(m)).collect()
            } else {
                Vec::new()
            };
            let (change, verdict) = verdicts
                .get(&t.id)
                .map_or((None, None), |(c, v)| (*c, Some(*v)));
            by_id
                .entry(t.id.clone())
                .or_insert_with(|| Series {
                    id: t.id.clone(),
                    metric: metric.name().to_owned(),
                    points: Vec::new(),
                })
                .points
                .push(Point {
                    commit: record.commit.clone(),
                    time: record.time.clone(),
                    value,
                    ci,
                    change,
                    verdict,
                    processes,
                });
        }
    }
    by_id.into_values().collect()
}

/// `metric`'s interval in `t`: the median's stored CI, else min..max over the processes.
pub fn interval(t: &TestReport, metric: Metric) -> Option<[f64; 2]> {
    if metric == Metric::Median {
        if let Some(ci) = t.median_ci_ns {
            return Some(ci);
        }
    }
    let values: Vec<f64> = t.processes.iter().filter_map(|m| metric.get(m)).collect();
    let lo = values.iter().copied().reduce(f64::min)?;
    let hi = values.iter().copied().reduce(f64::max)?;
    (values.len() >= 2).then_some([lo, hi])
}
