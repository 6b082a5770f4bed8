//! Load scenarios in the human and Markdown reports: per-operation and per-stage figures,
//! fault windows with their recovery times (scoped limits and named checks are worded by
//! `ThresholdCheck`'s `Display`, like every threshold).

use std::fmt::Write;

use crate::cli::model::{Report, TestReport};
use crate::format;
use crate::protocol::{LoadDetails, OperationFigures, StageFigures};

fn opt_ns(v: Option<f64>) -> String {
    v.map(format::duration_ns).unwrap_or_else(|| "–".into())
}

fn success(ops: u64, failures: u64) -> String {
    if ops == 0 {
        "–".into()
    } else {
        format!(
            "{}%",
            format::sig3(100.0 * (ops - failures.min(ops)) as f64 / ops as f64)
        )
    }
}

/// Rows of (name, operations, throughput, success, p50, p95, p99) for a load test's mix.
fn op_rows(ops: &[OperationFigures]) -> Vec<[String; 7]> {
    ops.iter()
        .map(|o| {
            [
                o.name.clone(),
                o.operations.to_string(),
                format::rate(o.throughput_per_sec),
                success(o.operations, o.failures),
                opt_ns(o.p50_ns),
                opt_ns(o.p95_ns),
                opt_ns(o.p99_ns),
            ]
        })
        .collect()
}

fn stage_rows(stages: &[StageFigures]) -> Vec<[String; 7]> {
    stages
        .iter()
        .map(|s| {
            [
                s.name.clone(),
                s.operations.to_string(),
                format::rate(s.throughput_per_sec),
                success(s.operations, s.failures),
                opt_ns(s.p50_ns),
                opt_ns(s.p95_ns),
                opt_ns(s.p99_ns),
            ]
        })
        .collect()
}

const HEADER: [&str; 7] = ["", "ops", "ops/s", "success", "p50", "p95", "p99"];

/// Whether a load test has anything this module shows.
fn has_scenario(l: &LoadDetails) -> bool {
    !l.by_operation.is_empty() || !l.faults.is_empty() || l.stages.len() > 1
}

fn fault_line(f: &crate::protocol::FaultFigures) -> String {
    let window = format!(
        "{} … {}",
        format::duration_ns(f.start_ns as f64),
        format::duration_ns(f.end_ns as f64)
    );
    match (f.recovery_time_ns, &f.note) {
        (Some(r), _) => format!(
            "fault {:?} ({window}): recovered {} after it ended",
            f.name,
            format::duration_ns(r as f64)
        ),
        (None, Some(note)) => format!("fault {:?} ({window}): no recovery time: {note}", f.name),
        (None, None) => format!("fault {:?} ({window}): no recovery time", f.name),
    }
}

/// The human report's lines for one load test (empty when it is a plain one-operation run).
pub fn human(t: &TestReport) -> String {
    let Some(l) = t.load.as_ref().filter(|l| has_scenario(l)) else {
        return String::new();
    };
    let mut rows: Vec<[String; 7]> = vec![HEADER.map(String::from)];
    if !l.by_operation.is_empty() {
        rows.extend(op_rows(&l.by_operation));
    }
    if l.stages.len() > 1 {
        rows.push([
            "stage".into(),
            "".into(),
            "".into(),
            "".into(),
            "".into(),
            "".into(),
            "".into(),
        ]);
        rows.extend(stage_rows(&l.stages).into_iter().map(|mut r| {
            r[0] = format!("  {}", r[0]);
            r
        }));
    }
    let widths: Vec<usize> = (0..7)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for r in &rows {
        let mut line = format!("    {:<w$}", r[0], w = widths[0]);
        for c in 1..7 {
            let _ = write!(line, "  {:>w$}", r[c], w = widths[c]);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    for f in &l.faults {
        let _ = writeln!(out, "    {}", fault_line(f));
    }
    out
}

/// The Markdown report's folded section of load scenarios (nothing when no test has one).
pub fn markdown(out: &mut String, report: &Report) {
    let tests: Vec<&TestReport> = report
        .tests
        .iter()
        .filter(|t| t.load.as_ref().is_some_and(has_scenario))
        .collect();
    if tests.is_empty() {
        return;
    }
    let _ = writeln!(out, "<details><summary>Load scenarios</summary>\n");
    for t in tests {
        let Some(l) = &t.load else { continue };
        let _ = writeln!(out, "**`{}`**\n", t.name);
        let _ = writeln!(out, "| | ops | ops/s | success | p50 | p95 | p99 |");
        let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|");
        let stages = if l.stages.len() > 1 {
            stage_rows(&l.stages)
        } else {
            Vec::new()
        };
        for (kind, rows) in [("op", op_rows(&l.by_operation)), ("stage", stages)] {
            for r in rows {
                let _ = writeln!(
                    out,
                    "| {kind} `{}` | {} | {} | {} | {} | {} | {} |",
                    r[0], r[1], r[2], r[3], r[4], r[5], r[6]
                );
            }
        }
        out.push('\n');
        for f in &l.faults {
            let _ = writeln!(out, "- {}", fault_line(f));
        }
        if !l.faults.is_empty() {
            out.push('\n');
        }
    }
    let _ = writeln!(out, "</details>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::FaultFigures;

    fn load() -> LoadDetails {
        LoadDetails {
            by_operation: vec![OperationFigures {
                name: "read".into(),
                operations: 800,
                failures: 8,
                throughput_per_sec: 400.0,
                p99_ns: Some(2e6),
                ..OperationFigures::default()
            }],
            stages: vec![
                StageFigures {
                    name: "ramp".into(),
                    operations: 10,
                    ..StageFigures::default()
                },
                StageFigures {
                    name: "spike".into(),
                    operations: 100,
                    failures: 50,
                    ..StageFigures::default()
                },
            ],
            faults: vec![FaultFigures {
                name: "outage".into(),
                start_ns: 1_000_000_000,
                end_ns: 2_000_000_000,
                recovery_time_ns: Some(300_000_000),
                ..FaultFigures::default()
            }],
            ..LoadDetails::default()
        }
    }

    #[test]
    fn human_and_markdown_show_operations_stages_and_faults() {
        let mut report = crate::cli::report::sample::report();
        report.tests[0].load = Some(load());
        let text = human(&report.tests[0]);
        assert!(text.contains("read") && text.contains("99.0%"), "{text}");
        assert!(text.contains("  spike") && text.contains("50.0%"), "{text}");
        assert!(text.contains("recovered 300 ms after it ended"), "{text}");
        let mut md = String::new();
        markdown(&mut md, &report);
        assert!(md.contains("| op `read` | 800 |"), "{md}");
        assert!(md.contains("| stage `spike` | 100 |"), "{md}");
        assert!(md.contains("- fault \"outage\""), "{md}");
        report.tests[0].load = Some(LoadDetails::default());
        assert_eq!(human(&report.tests[0]), "");
    }
}
