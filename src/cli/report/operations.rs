//! Load scenarios in the human and Markdown reports: per-operation and per-stage figures,
//! fault windows with their recovery times (scoped limits and named checks are worded by
//! `ThresholdCheck`'s `Display`, like every threshold).

use std::fmt::Write;

use crate::cli::model::{Report, TestReport};
use crate::cli::report::words;
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

/// `p99 +30% regressed`: an operation's comparison with the baseline's same operation.
fn versus(t: &TestReport, op: &str) -> String {
    let Some(c) = t
        .operations
        .iter()
        .find(|o| o.name == op)
        .and_then(|o| o.comparison.as_ref())
    else {
        return String::new();
    };
    let metric = c
        .metric
        .split_once('[')
        .map_or(c.metric.as_str(), |(m, _)| m);
    let change = c.change.map(format::percent_change).unwrap_or_default();
    format!("{metric} {change} {}", words::verdict_word(c.verdict))
}

/// Rows of (name, operations, throughput, success, p50, p95, p99, vs base) for a load test's
/// mix; `whole_run` rows carry the comparison with the baseline (a stage's do not).
fn op_rows(t: &TestReport, ops: &[OperationFigures], whole_run: bool) -> Vec<[String; 8]> {
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
                if whole_run {
                    versus(t, &o.name)
                } else {
                    String::new()
                },
            ]
        })
        .collect()
}

fn stage_rows(stages: &[StageFigures]) -> Vec<[String; 8]> {
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
                String::new(),
            ]
        })
        .collect()
}

const HEADER: [&str; 8] = [
    "", "ops", "ops/s", "success", "p50", "p95", "p99", "vs base",
];

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
    let mut header = HEADER.map(String::from);
    if t.operations.iter().all(|o| o.comparison.is_none()) {
        header[7] = String::new();
    }
    let mut rows: Vec<[String; 8]> = vec![header];
    if !l.by_operation.is_empty() {
        rows.extend(op_rows(t, &l.by_operation, true));
    }
    if l.stages.len() > 1 {
        let mut title: [String; 8] = Default::default();
        title[0] = "stage".into();
        rows.push(title);
        rows.extend(stage_rows(&l.stages).into_iter().map(|mut r| {
            r[0] = format!("  {}", r[0]);
            r
        }));
    }
    let widths: Vec<usize> = (0..8)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for r in &rows {
        let mut line = format!("    {:<w$}", r[0], w = widths[0]);
        for c in 1..7 {
            let _ = write!(line, "  {:>w$}", r[c], w = widths[c]);
        }
        let _ = write!(line, "  {}", r[7]);
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
        let _ = writeln!(
            out,
            "| | ops | ops/s | success | p50 | p95 | p99 | vs base |"
        );
        let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---|");
        let stages = if l.stages.len() > 1 {
            stage_rows(&l.stages)
        } else {
            Vec::new()
        };
        let ops = op_rows(t, &l.by_operation, true);
        for (kind, rows) in [("op", ops), ("stage", stages)] {
            for r in rows {
                let _ = writeln!(
                    out,
                    "| {kind} `{}` | {} | {} | {} | {} | {} | {} | {} |",
                    r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]
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
        // An operation compared with the baseline says how it moved.
        report.tests[0].operations = vec![crate::cli::model::OperationReport {
            name: "read".into(),
            metrics: Default::default(),
            processes: vec![],
            comparison: Some(crate::cli::model::Comparison {
                metric: "p99_ns[read]".into(),
                change: Some(0.3),
                ..crate::cli::testing::comparison(crate::cli::model::Verdict::Regressed)
            }),
        }];
        let text = human(&report.tests[0]);
        assert!(
            text.contains("vs base") && text.contains("p99_ns +30% regressed"),
            "{text}"
        );
        let mut md = String::new();
        markdown(&mut md, &report);
        assert!(md.contains("| p99_ns +30% regressed |"), "{md}");
        report.tests[0].load = Some(LoadDetails::default());
        assert_eq!(human(&report.tests[0]), "");
    }
}
