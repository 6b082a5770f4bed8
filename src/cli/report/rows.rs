//! A report as rows of (test, metric): every figure a test measured, in its unit, with the
//! comparison of that metric when there was one. The tabular and dashboard exports (CSV,
//! Bencher Metric Format, github-action-benchmark) all read the report through these rows.

use crate::cli::model::{Comparison, MetricChange, Report, TestReport};
use crate::metrics::{Direction, Metric, MetricUnit};
use crate::protocol::Throughput;

/// One metric of one test.
#[derive(Debug, Clone)]
pub struct Row<'a> {
    pub test: &'a TestReport,
    /// The metric's JSON name (`median_ns`), or a custom metric's own name.
    pub metric: String,
    /// `ns`, `ops/s`, `bytes/s`, `elements/s`, `%`, `count`, `bytes`; empty for a custom
    /// metric, whose unit the suite does not declare.
    pub unit: &'static str,
    pub direction: Direction,
    /// The figure this run measured.
    pub value: f64,
    /// A 95 % confidence interval of `value`, where the run computed one (the median).
    pub value_ci: Option<[f64; 2]>,
    /// This metric's comparison with the baseline, when it was compared.
    pub compared: Option<MetricChange>,
}

/// Every row of `report`, tests by id, metrics in the vocabulary's order, custom ones last.
/// A test without any figure (it errored) has no row.
pub fn rows(report: &Report) -> Vec<Row<'_>> {
    let mut tests: Vec<&TestReport> = report.tests.iter().collect();
    tests.sort_by(|a, b| a.id.cmp(&b.id));
    let mut out = Vec::new();
    for t in tests {
        let compared = t
            .comparison
            .as_ref()
            .map(compared_metrics)
            .unwrap_or_default();
        let find = |name: &str| compared.iter().find(|c| c.metric == name).cloned();
        for metric in Metric::ALL {
            let Some(value) = metric.get(&t.metrics) else {
                continue;
            };
            out.push(Row {
                test: t,
                metric: metric.name().to_owned(),
                unit: unit(metric, t.throughput_unit),
                direction: metric.direction(),
                value,
                value_ci: (metric == Metric::Median)
                    .then_some(t.median_ci_ns)
                    .flatten(),
                compared: find(metric.name()),
            });
        }
        for c in &t.custom {
            out.push(Row {
                test: t,
                metric: c.name.clone(),
                unit: "",
                direction: c.direction,
                value: c.value,
                value_ci: None,
                compared: find(&c.name),
            });
        }
    }
    out
}

/// The metrics a comparison judged: its list (`run`, `compare`), else the deciding metric
/// alone when it has figures on both sides (`ab`'s paired comparison).
pub fn compared_metrics(c: &Comparison) -> Vec<MetricChange> {
    if !c.metrics.is_empty() {
        return c.metrics.clone();
    }
    match (c.baseline, c.current) {
        (Some(baseline), Some(current)) => vec![MetricChange {
            metric: c.metric.clone(),
            baseline,
            current,
            change: c.change,
            ci: c.ci,
            verdict: c.verdict,
            severity: c.severity,
        }],
        _ => Vec::new(),
    }
}

fn unit(metric: Metric, throughput: Option<Throughput>) -> &'static str {
    match metric.unit() {
        MetricUnit::Nanoseconds => "ns",
        MetricUnit::PerSecond => match throughput {
            Some(Throughput::Bytes(_)) => "bytes/s",
            Some(Throughput::Elements(_)) => "elements/s",
            None => "ops/s",
        },
        MetricUnit::Percent => "%",
        MetricUnit::Count => "count",
        MetricUnit::Bytes => "bytes",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::report::sample;

    #[test]
    fn one_row_per_measured_metric_with_its_comparison() {
        let report = sample::report();
        let rows = rows(&report);
        // Every sample test but the errored one has a median, and nothing else.
        assert_eq!(rows.len(), report.tests.len() - 1);
        let slow = rows
            .iter()
            .find(|r| r.test.name == "slow_now")
            .expect("a row of slow_now");
        assert_eq!((slow.metric.as_str(), slow.unit), ("median_ns", "ns"));
        let c = slow.compared.as_ref().expect("compared");
        assert_eq!((c.baseline, c.current), (1000.0, 1300.0));
        let ids: Vec<&str> = rows.iter().map(|r| r.test.id.as_str()).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted, "rows are in test id order");
    }
}
