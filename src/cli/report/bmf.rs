//! `--format bmf`: Bencher Metric Format JSON, what `bencher run --adapter json --file F`
//! reads: `{"<test id>": {"<measure>": {"value", "lower_value"?, "upper_value"?}}}`. The
//! median is Bencher's built-in `latency` measure (nanoseconds, with its 95 % interval as the
//! bounds) and the throughput its `throughput`; every other metric is a measure of its own,
//! named by the metric's JSON name in kebab case (`p99-ns`, `allocs-per-iter`), which Bencher
//! creates on first sight. The figures are this run's only: Bencher keeps the history and
//! judges changes itself.

use serde_json::{json, Map, Value};

use crate::cli::model::Report;
use crate::cli::report::rows::rows;

pub fn render(report: &Report) -> String {
    let mut benchmarks: Map<String, Value> = Map::new();
    for row in rows(report) {
        let mut figure = json!({ "value": row.value });
        if let Some([lo, hi]) = row.value_ci {
            figure["lower_value"] = json!(lo);
            figure["upper_value"] = json!(hi);
        }
        let measures = benchmarks
            .entry(row.test.id.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        measures[measure(&row.metric)] = figure;
    }
    let mut text = serde_json::to_string_pretty(&Value::Object(benchmarks))
        .unwrap_or_else(|e| format!("{{\"error\": \"cannot encode the report: {e}\"}}"));
    text.push('\n');
    text
}

/// The Bencher measure of a metric: the built-in `latency` and `throughput`, else the
/// metric's name as a slug (lower case, `_` and spaces as `-`).
pub fn measure(metric: &str) -> String {
    match metric {
        "median_ns" => "latency".to_owned(),
        "throughput_per_sec" => "throughput".to_owned(),
        other => other
            .chars()
            .map(|c| match c {
                'a'..='z' | '0'..='9' => c,
                'A'..='Z' => c.to_ascii_lowercase(),
                _ => '-',
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::report::sample;

    #[test]
    fn every_test_maps_its_measures_to_values() {
        let mut report = sample::report();
        report.tests[2].median_ci_ns = Some([1250.0, 1350.0]);
        report.tests[2].metrics.throughput_per_sec = Some(7.5e5);
        let v: Value = serde_json::from_str(&render(&report)).unwrap();
        let slow = &v["pkg/perf/slow_now"];
        assert_eq!(
            slow["latency"],
            json!({"value": 1300.0, "lower_value": 1250.0, "upper_value": 1350.0})
        );
        assert_eq!(slow["throughput"], json!({"value": 7.5e5}));
        let measures = v.as_object().unwrap();
        assert_eq!(
            measures.len(),
            report.tests.len() - 1,
            "the errored test has no figure"
        );
        for (name, m) in measures {
            for (measure, figure) in m.as_object().unwrap() {
                assert!(figure["value"].is_f64(), "{name} {measure}: {figure}");
            }
        }
    }

    #[test]
    fn other_metrics_are_measures_named_in_kebab_case() {
        assert_eq!(measure("p99_ns"), "p99-ns");
        assert_eq!(measure("allocs_per_iter"), "allocs-per-iter");
        assert_eq!(measure("Cache Hits"), "cache-hits");
    }
}
