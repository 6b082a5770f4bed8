//! `--format github-benchmark`: github-action-benchmark's `customSmallerIsBetter` input, a
//! JSON array of `{name, unit, value, range?, extra?}`. The action charts each name over
//! commits and alerts when a value grows, so only the metrics where smaller is better are
//! listed (times, allocations, memory; not throughput or success rate), and of the times not
//! the spread and the extremes ([`UNCHARTED`]): one chart per test and metric. A name is
//! `<test id> (<metric>)`; `range` is the half-width of the median's 95 % interval
//! (`± 12.5`); `extra` carries the commit, the run's date and duration, and the verdict.

use serde_json::{json, Value};

use crate::cli::model::Report;
use crate::cli::report::rows::rows;
use crate::cli::report::words::{short, verdict_word};
use crate::format;
use crate::metrics::Direction;

/// Lower-is-better metrics left out: a chart of the spread (`std_dev_ns`, `mad_ns`), of the
/// extremes (`min_ns`, `max_ns`) or of every percentile would alert on noise, and the median
/// with `p50_ns`/`p99_ns` already tells the story.
pub const UNCHARTED: [&str; 8] = [
    "mean_ns",
    "min_ns",
    "max_ns",
    "std_dev_ns",
    "mad_ns",
    "p90_ns",
    "p95_ns",
    "p999_ns",
];

pub fn render(report: &Report) -> String {
    let run = run_text(report);
    let entries: Vec<Value> = rows(report)
        .into_iter()
        .filter(|r| r.direction == Direction::LowerIsBetter)
        .filter(|r| !UNCHARTED.contains(&r.metric.as_str()))
        .map(|r| {
            let mut entry = json!({
                "name": format!("{} ({})", r.test.id, r.metric),
                "unit": r.unit,
                "value": r.value,
            });
            if let Some([lo, hi]) = r.value_ci {
                entry["range"] = json!(format!("± {}", format::sig3((hi - lo) / 2.0)));
            }
            let mut extra = run.clone();
            if let Some(c) = &r.compared {
                extra.push(format!("verdict: {}", verdict_word(c.verdict)));
                if let Some(s) = c.severity {
                    extra.push(format!("severity: {}", s.name()));
                }
            }
            if !extra.is_empty() {
                entry["extra"] = json!(extra.join("\n"));
            }
            entry
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&Value::Array(entries))
        .unwrap_or_else(|e| format!("{{\"error\": \"cannot encode the report: {e}\"}}"));
    text.push('\n');
    text
}

/// `commit abc1234`, `started 2026-…Z`, `run took 1m 23s`: what every entry's `extra` says.
fn run_text(report: &Report) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(c) = &report.commit {
        lines.push(format!("commit: {}", short(c)));
    }
    if let Some(at) = &report.started_at {
        lines.push(format!("started: {at}"));
    }
    if let Some(ns) = report.duration_ns {
        lines.push(format!("run took: {}", format::duration_ns(ns as f64)));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::report::sample;

    #[test]
    fn smaller_is_better_entries_with_name_unit_value() {
        let mut report = sample::report();
        report.tests[2].median_ci_ns = Some([1250.0, 1350.0]);
        report.tests[2].metrics.throughput_per_sec = Some(7.5e5);
        report.tests[2].metrics.std_dev_ns = Some(40.0);
        report.tests[2].metrics.allocs_per_iter = Some(2.0);
        let v: Value = serde_json::from_str(&render(&report)).unwrap();
        let entries = v.as_array().unwrap();
        assert_eq!(
            entries.len(),
            report.tests.len(),
            "a median per measured test, slow_now's allocations; no throughput, no spread"
        );
        assert!(entries
            .iter()
            .any(|e| e["name"] == "pkg/perf/slow_now (allocs_per_iter)" && e["unit"] == "count"));
        for e in entries {
            assert!(e["name"].is_string() && e["unit"].is_string() && e["value"].is_f64());
        }
        let slow = entries
            .iter()
            .find(|e| e["name"] == "pkg/perf/slow_now (median_ns)")
            .expect("slow_now's median");
        assert_eq!(
            (slow["unit"].as_str(), slow["value"].as_f64()),
            (Some("ns"), Some(1300.0))
        );
        assert_eq!(slow["range"], "± 50.0");
        let extra = slow["extra"].as_str().unwrap();
        assert!(
            extra.contains("commit: aaaaaaa") && extra.contains("2026-12-02T05:00:00Z"),
            "{extra}"
        );
        assert!(extra.contains("severity: critical"), "{extra}");
    }
}
