//! Turns the rounds of an A/B run into the common report model (`TestReport`, `Comparison`)
//! and renders what is specific to `ab`: the PR comment (Markdown) and the terminal table,
//! both with the interval and the "could detect" column.

use crate::cli::compare::primary_metric;
use crate::cli::report::model::{
    AbRounds, Comparison, Report, Status, Summary, TestReport, Verdict,
};
use crate::format;
use crate::protocol::TestKind;

use crate::metrics::{Metric, Metrics};
use crate::threshold::Threshold;

use super::rounds::TestResult;

/// Hidden in the Markdown so that a bot can find its earlier comment and update it in place.
pub const COMMENT_MARKER: &str = "<!-- cargo-perf-ab -->";

/// One test as both sides see it.
#[derive(Debug, Clone)]
pub struct AbTestMeta {
    pub package: String,
    pub target: String,
    pub name: String,
    pub kind: TestKind,
    pub tags: Vec<String>,
    /// Head's thresholds: they are checked on head's figures.
    pub thresholds: Vec<Threshold>,
}

impl AbTestMeta {
    pub fn id(&self) -> String {
        format!("{}/{}/{}", self.package, self.target, self.name)
    }
}

/// The compared metric's value in one process's figures.
pub fn metric_value(kind: TestKind, m: &Metrics) -> Option<f64> {
    primary_metric(kind).get(m)
}

/// Field-wise median over processes: the figure every process "voted" for, robust to one
/// process that hit a burst. A field is present when any process has it.
pub fn median_metrics(runs: &[Metrics]) -> Metrics {
    let mut merged = Metrics::default();
    for metric in Metric::ALL {
        let values: Vec<f64> = runs.iter().filter_map(|m| metric.get(m)).collect();
        metric.set(&mut merged, median(&values));
    }
    merged
}

fn base_report(meta: &AbTestMeta, head_runs: &[Metrics]) -> TestReport {
    let metrics = median_metrics(head_runs);
    let thresholds: Vec<_> = meta.thresholds.iter().map(|t| t.check(&metrics)).collect();
    let status = if thresholds.iter().all(|c| c.passed) {
        Status::Passed
    } else {
        Status::Failed
    };
    TestReport {
        id: meta.id(),
        package: meta.package.clone(),
        target: meta.target.clone(),
        name: meta.name.clone(),
        kind: meta.kind,
        status,
        error: None,
        metrics,
        median_ci_ns: None,
        thresholds,
        comparison: None,
        processes: head_runs.to_vec(),
        custom: Vec::new(),
        tags: meta.tags.clone(),
        wall_ns: 0,
        load: None,
        throughput_unit: None,
        memory: None,
    }
}

/// One side's own figures of a test, as the store keeps them (no thresholds, no verdict).
pub fn side_report(meta: &AbTestMeta, runs: &[Metrics]) -> TestReport {
    let mut report = base_report(meta, runs);
    report.thresholds.clear();
    report.status = Status::Passed;
    report
}

/// A test both sides have, judged from its rounds.
pub fn compared_report(
    meta: &AbTestMeta,
    result: &TestResult,
    head_runs: &[Metrics],
    base_commit: &str,
) -> TestReport {
    let mut report = base_report(meta, head_runs);
    report.wall_ns = result.wall_ns;
    if let Some(e) = &result.error {
        report.status = Status::Error;
        report.error = Some(e.clone());
    }
    let base_values: Vec<f64> = result.pairs.iter().map(|p| p.base).collect();
    let head_values: Vec<f64> = result.pairs.iter().map(|p| p.head).collect();
    let est = result.estimate.as_ref();
    report.comparison = Some(Comparison {
        baseline_commit: Some(base_commit.to_string()),
        metric: primary_metric(meta.kind).name().to_string(),
        baseline: median(&base_values),
        current: median(&head_values),
        change: est.map(|e| e.change()),
        ci: est.map(|e| e.ci()),
        verdict: result.verdict,
        could_detect: est.map(|e| e.could_detect),
        rounds: Some(AbRounds {
            pairs: result.pairs.iter().map(|p| [p.base, p.head]).collect(),
            confirm_pairs: result
                .confirm_pairs
                .iter()
                .map(|p| [p.base, p.head])
                .collect(),
            p_value: est.map(|e| e.p_value),
            adjusted_p: result.adjusted_p,
            threshold: result.threshold,
        }),
    });
    report
}

/// A test only head has: measured, thresholds checked, verdict `new`.
pub fn added_report(meta: &AbTestMeta, head_runs: &[Metrics], error: Option<String>) -> TestReport {
    let mut report = base_report(meta, head_runs);
    if let Some(e) = error {
        report.status = Status::Error;
        report.error = Some(e);
    }
    let current = median_metrics(head_runs);
    report.comparison = Some(Comparison {
        baseline_commit: None,
        metric: primary_metric(meta.kind).name().to_string(),
        baseline: None,
        current: metric_value(meta.kind, &current),
        change: None,
        ci: None,
        verdict: Verdict::New,
        could_detect: None,
        rounds: None,
    });
    report
}

/// The median of the finite values.
fn median(values: &[f64]) -> Option<f64> {
    let finite: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    crate::stats::median(&finite)
}

pub use crate::cli::{exit_code, summarize};

fn verdict_word(v: Verdict) -> &'static str {
    match v {
        Verdict::Regressed => "regressed",
        Verdict::Improved => "improved",
        Verdict::Unchanged => "unchanged",
        Verdict::Inconclusive => "inconclusive",
        Verdict::New => "new",
    }
}

/// Sort key: what a reviewer must look at first.
fn rank(t: &TestReport) -> u8 {
    if t.status == Status::Error {
        return 0;
    }
    match t.comparison.as_ref().map(|c| c.verdict) {
        Some(Verdict::Regressed) => 1,
        _ if t.status == Status::Failed => 2,
        Some(Verdict::Improved) => 3,
        Some(Verdict::Inconclusive) => 4,
        Some(Verdict::New) => 5,
        Some(Verdict::Unchanged) | None => 6,
    }
}

/// The tests in reading order: changed first, then by id (stable, so a bot's comment diffs well).
fn ordered(report: &Report) -> Vec<&TestReport> {
    let mut tests: Vec<&TestReport> = report.tests.iter().collect();
    tests.sort_by(|a, b| rank(a).cmp(&rank(b)).then_with(|| a.id.cmp(&b.id)));
    tests
}

/// One line of counts: `1 regressed · 12 unchanged · 1 inconclusive`.
pub fn verdict_line(s: &Summary) -> String {
    let mut parts = Vec::new();
    for (n, word) in [
        (s.regressed, "regressed"),
        (s.improved, "improved"),
        (s.inconclusive, "inconclusive"),
        (s.unchanged, "unchanged"),
        (s.new, "new"),
    ] {
        if n > 0 {
            parts.push(format!("{n} {word}"));
        }
    }
    let errors = s.failed;
    if errors > 0 {
        parts.push(format!("{errors} failed"));
    }
    if parts.is_empty() {
        "no tests".to_string()
    } else {
        parts.join(" · ")
    }
}

struct Cells {
    base: String,
    head: String,
    change: String,
    ci: String,
    detect: String,
    verdict: String,
}

fn cells(t: &TestReport) -> Cells {
    let c = t.comparison.as_ref();
    let value = |v: Option<f64>| v.map_or("—".to_string(), format::duration_ns);
    let verdict = match (&t.error, t.status, c) {
        (Some(_), _, _) => "error".to_string(),
        (_, Status::Failed, Some(c)) => format!("{} · threshold failed", verdict_word(c.verdict)),
        (_, _, Some(c)) => verdict_word(c.verdict).to_string(),
        _ => "—".to_string(),
    };
    Cells {
        base: value(c.and_then(|c| c.baseline)),
        head: value(c.and_then(|c| c.current)),
        change: c
            .and_then(|c| c.change)
            .map_or("—".into(), format::percent_change),
        ci: c.and_then(|c| c.ci).map_or("—".into(), |[lo, hi]| {
            format!(
                "[{}, {}]",
                format::percent_change(lo),
                format::percent_change(hi)
            )
        }),
        detect: c
            .and_then(|c| c.could_detect)
            .map_or("—".into(), |d| format!("≥ {:.1}%", d * 100.0)),
        verdict,
    }
}

fn short(commit: Option<&str>) -> String {
    commit.map_or("(none)".to_string(), |c| c.chars().take(10).collect())
}

/// The PR comment: verdict line with counts, changed tests first with change, interval and
/// "could detect", the rest under `<details>`, then commits and machine.
pub fn render_markdown(report: &Report) -> String {
    let mut out = String::new();
    out.push_str(COMMENT_MARKER);
    out.push('\n');
    let icon = if report.summary.regressed > 0 || report.summary.failed > 0 {
        "🔴"
    } else if report.summary.inconclusive > 0 {
        "🟡"
    } else {
        "🟢"
    };
    out.push_str(&format!(
        "### {icon} cargo perf ab: {}\n\n",
        verdict_line(&report.summary)
    ));
    let header = "| test | base | head | change | 95% interval | could detect | verdict |\n|---|---:|---:|---:|---:|---:|---|\n";
    let row = |t: &TestReport| {
        let c = cells(t);
        let mut line = format!(
            "| `{}` | {} | {} | {} | {} | {} | **{}** |\n",
            t.name, c.base, c.head, c.change, c.ci, c.detect, c.verdict
        );
        if let Some(e) = &t.error {
            line.push_str(&format!(
                "| ↳ `{}` | | | | | | {} |\n",
                t.name,
                e.lines().next().unwrap_or("").replace('|', "\\|")
            ));
        }
        line
    };
    let tests = ordered(report);
    let (changed, rest): (Vec<&TestReport>, Vec<&TestReport>) =
        tests.into_iter().partition(|t| rank(t) < 6);
    if !changed.is_empty() {
        out.push_str(header);
        for t in &changed {
            out.push_str(&row(t));
        }
        out.push('\n');
    }
    if !rest.is_empty() {
        out.push_str(&format!(
            "<details><summary>{} unchanged test(s)</summary>\n\n",
            rest.len()
        ));
        out.push_str(header);
        for t in &rest {
            out.push_str(&row(t));
        }
        out.push_str("\n</details>\n\n");
    }
    for note in &report.notes {
        out.push_str(&format!("> {note}\n"));
    }
    if !report.notes.is_empty() {
        out.push('\n');
    }
    let base_ref = report
        .baseline
        .reference
        .as_deref()
        .map_or(String::new(), |r| format!(" (`{r}`)"));
    out.push_str(&format!(
        "Base `{}`{base_ref} · head `{}`{} · machine `{}` ({}, {} cores, {}/{}) · paired rounds, interleaved on one machine\n",
        short(report.baseline.commit.as_deref()),
        short(report.commit.as_deref()),
        if report.dirty { " (dirty)" } else { "" },
        report.machine.id,
        report.machine.cpu,
        report.machine.cores,
        report.machine.os,
        report.machine.arch,
    ));
    out
}

/// The terminal table.
pub fn render_human(report: &Report) -> String {
    let mut out = String::new();
    let rows: Vec<(String, Cells)> = ordered(report)
        .into_iter()
        .map(|t| (t.id.clone(), cells(t)))
        .collect();
    let width = rows
        .iter()
        .map(|(id, _)| id.chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    out.push_str(&format!(
        "{:<width$}  {:>10}  {:>10}  {:>7}  {:>17}  {:>12}  verdict\n",
        "test", "base", "head", "change", "95% interval", "could detect"
    ));
    for (id, c) in &rows {
        out.push_str(&format!(
            "{:<width$}  {:>10}  {:>10}  {:>7}  {:>17}  {:>12}  {}\n",
            id, c.base, c.head, c.change, c.ci, c.detect, c.verdict
        ));
    }
    for t in &report.tests {
        if let Some(e) = &t.error {
            out.push_str(&format!("\n{}: {e}\n", t.id));
        }
    }
    for note in &report.notes {
        out.push_str(&format!("note: {note}\n"));
    }
    out.push_str(&format!(
        "\nab: {} (base {} vs head {})\n",
        verdict_line(&report.summary),
        short(report.baseline.commit.as_deref()),
        short(report.commit.as_deref())
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::super::rounds::TestResult;
    use super::super::stats::{self, Pair};
    use super::*;
    use crate::cli::args::FailOn;
    use crate::cli::report::model::{BaselineRef, MachineInfo, REPORT_SCHEMA_VERSION};
    use crate::threshold::{Key, Op};

    fn meta(name: &str) -> AbTestMeta {
        AbTestMeta {
            package: "demo".into(),
            target: "perf".into(),
            name: name.into(),
            kind: TestKind::Bench,
            tags: vec![],
            thresholds: vec![],
        }
    }

    fn result(shift: f64, verdict: Verdict) -> TestResult {
        let pairs: Vec<Pair> = (0..12)
            .map(|i| Pair {
                base: 1000.0 + i as f64,
                head: (1000.0 + i as f64) * (1.0 + shift) + if i % 2 == 0 { 1.0 } else { -1.0 },
            })
            .collect();
        TestResult {
            estimate: stats::estimate(&stats::log_ratios(&pairs), 0.05),
            pairs,
            confirm_pairs: vec![],
            adjusted_p: Some(0.001),
            verdict,
            error: None,
            threshold: 0.02,
            wall_ns: 5,
        }
    }

    fn metrics(median: f64) -> Metrics {
        Metrics {
            median_ns: Some(median),
            mean_ns: Some(median * 1.1),
            ..Metrics::default()
        }
    }

    fn report(tests: Vec<TestReport>) -> Report {
        Report {
            schema_version: REPORT_SCHEMA_VERSION,
            tool_version: "0.1.0".into(),
            commit: Some("b".repeat(40)),
            dirty: false,
            baseline: BaselineRef {
                commit: Some("a".repeat(40)),
                reference: Some("main".into()),
            },
            machine: MachineInfo {
                id: "ci-1".into(),
                cpu: "Test CPU".into(),
                cores: 2,
                os: "linux".into(),
                arch: "x86_64".into(),
            },
            summary: summarize(&tests),
            tests,
            notes: vec!["removed in head: demo/perf/gone".into()],
        }
    }

    #[test]
    fn median_metrics_is_field_wise_and_keeps_absent_fields_absent() {
        let runs = [metrics(10.0), metrics(30.0), metrics(20.0)];
        let m = median_metrics(&runs);
        assert_eq!(m.median_ns, Some(20.0));
        assert!((m.mean_ns.unwrap() - 22.0).abs() < 1e-9);
        assert_eq!(m.p99_ns, None);
        assert_eq!(median_metrics(&[]).median_ns, None);
    }

    #[test]
    fn a_compared_test_carries_interval_detectable_change_and_rounds() {
        let r = result(0.08, Verdict::Regressed);
        let t = compared_report(&meta("slow"), &r, &[metrics(1080.0)], &"a".repeat(40));
        let c = t.comparison.as_ref().unwrap();
        assert_eq!(c.verdict, Verdict::Regressed);
        assert!((c.change.unwrap() - 0.08).abs() < 0.002);
        let [lo, hi] = c.ci.unwrap();
        assert!(lo <= 0.08 && 0.08 <= hi);
        assert!(c.could_detect.unwrap() > 0.0);
        let rounds = c.rounds.as_ref().unwrap();
        assert_eq!(rounds.pairs.len(), 12);
        assert_eq!(rounds.pairs[0][0], 1000.0);
        assert_eq!(t.status, Status::Passed);
        assert_eq!(t.id, "demo/perf/slow");
        // The JSON carries the per-round data.
        let json = serde_json::to_value(&t).unwrap();
        assert_eq!(
            json["comparison"]["rounds"]["pairs"]
                .as_array()
                .unwrap()
                .len(),
            12
        );
        assert!(json["comparison"]["could_detect"].as_f64().is_some());
    }

    #[test]
    fn thresholds_are_checked_on_head_and_errors_win() {
        let mut m = meta("limited");
        m.thresholds = vec![Threshold {
            key: Key::P50,
            op: Op::Lt,
            value: 5.0,
        }];
        let t = compared_report(
            &m,
            &result(0.0, Verdict::Unchanged),
            &[metrics(1000.0)],
            "a",
        );
        // p50 is absent from the figures, so the check fails.
        assert_eq!(t.status, Status::Failed);
        let mut r = result(0.0, Verdict::Inconclusive);
        r.error = Some("the base process crashed".into());
        let t = compared_report(&meta("boom"), &r, &[], "a");
        assert_eq!(t.status, Status::Error);
        assert_eq!(t.error.as_deref(), Some("the base process crashed"));
    }

    #[test]
    fn markdown_puts_changes_first_and_folds_the_rest() {
        let tests = vec![
            compared_report(
                &meta("a_same"),
                &result(0.0, Verdict::Unchanged),
                &[metrics(1.0)],
                "a",
            ),
            compared_report(
                &meta("z_slow"),
                &result(0.08, Verdict::Regressed),
                &[metrics(1.0)],
                "a",
            ),
            added_report(&meta("fresh"), &[metrics(50.0)], None),
        ];
        let r = report(tests);
        let md = render_markdown(&r);
        assert!(md.starts_with(COMMENT_MARKER));
        assert!(md.contains("1 regressed · 1 unchanged · 1 new"), "{md}");
        let slow = md.find("`z_slow`").unwrap();
        let fresh = md.find("`fresh`").unwrap();
        let details = md.find("<details>").unwrap();
        let same = md.find("`a_same`").unwrap();
        assert!(slow < fresh && fresh < details && details < same, "{md}");
        assert!(md.contains("could detect") && md.contains("≥ "));
        assert!(md.contains("+8.0%"));
        assert!(md.contains(&format!("Base `{}` (`main`)", "a".repeat(10))));
        assert!(md.contains("machine `ci-1`"));
        assert!(md.contains("> removed in head: demo/perf/gone"));
        // Stable: rendering twice gives the same text.
        assert_eq!(md, render_markdown(&r));
    }

    #[test]
    fn human_table_and_exit_codes() {
        let r = report(vec![
            compared_report(
                &meta("same"),
                &result(0.0, Verdict::Unchanged),
                &[metrics(1.0)],
                "a",
            ),
            compared_report(
                &meta("slow"),
                &result(0.08, Verdict::Regressed),
                &[metrics(1.0)],
                "a",
            ),
        ]);
        let text = render_human(&r);
        let slow = text.find("demo/perf/slow").unwrap();
        let same = text.find("demo/perf/same").unwrap();
        assert!(slow < same, "{text}");
        assert!(text.contains("regressed") && text.contains("1 regressed · 1 unchanged"));
        let all = FailOn {
            regression: true,
            threshold: true,
            error: true,
        };
        assert_eq!(exit_code(&r, all), 1);
        let never = FailOn {
            regression: false,
            threshold: false,
            error: false,
        };
        assert_eq!(exit_code(&r, never), 0);
        let quiet = report(vec![compared_report(
            &meta("same"),
            &result(0.0, Verdict::Unchanged),
            &[metrics(1.0)],
            "a",
        )]);
        assert_eq!(exit_code(&quiet, all), 0);
        assert!(render_markdown(&quiet).contains("🟢"));
    }
}
