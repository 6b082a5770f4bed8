//! `--format github-benchmark`: github-action-benchmark's `customSmallerIsBetter` input, a
//! JSON array of `{name, unit, value, range?, extra?}`. The action charts each name over
//! commits and alerts when a value grows, so only the metrics where smaller is better are
//! listed (times, allocations, memory; not throughput or success rate). A name is
//! `<test id> (<metric>)`; `range` is the half-width of the median's 95 % interval
//! (`± 12.5`); `extra` carries the commit, the run's date and duration, and the verdict.

use serde_json::{json, Value};

use crate::cli::model::Report;
use crate::cli::report::rows::rows;
use crate::cli::report::words::{short, verdict_word};
use crate::format;
use crate::metrics::Direction;

pub fn render(report: &Report) -> String {
    let run = run_text(report);
    let entries: Vec<Value> = rows(report)
        .into_iter()
        .filter(|r| r.direction == Direction::LowerIsBetter)
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
        let v: Value = serde_json::from_str(&render(&report)).unwrap();
        let entries = v.as_array().unwrap();
        assert_eq!(entries.len(), report.tests.len() - 1, "no throughput entry");
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
