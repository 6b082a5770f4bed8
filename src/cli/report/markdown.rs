//! `--format markdown`: a PR comment, for `run`, `compare` and `ab` alike. A one-line verdict,
//! the tests that changed first, the rest folded away, and the commits and machine at the end.
//! The order is stable and the comment starts with a hidden marker, so a bot can find and
//! update its own comment. A paired (`ab`) report adds its columns — the interval of the change
//! and the smallest change it could detect — and its own marker, so both comments can coexist.

use std::fmt::Write;

use super::Columns;

use crate::cli::model::{Report, Status, TestReport, Verdict};
use crate::cli::report::rows::compared_metrics;
use crate::cli::report::words::{
    change_text, growth_change_text, growth_text, interval_text, is_changed, levels_text,
    metric_value, rank, run_time, severity_word, short, threshold_text, verdict_text, verdict_word,
};

/// The hidden first line a bot searches for to update its comment in place.
pub const MARKER: &str = "<!-- cargo-perf -->";
/// The same for `cargo perf ab`'s comment.
pub const AB_MARKER: &str = "<!-- cargo-perf-ab -->";

pub fn render(report: &Report) -> String {
    let columns = Columns::of(report);
    let mut out = String::new();
    let marker = match columns {
        Columns::Unpaired => MARKER,
        Columns::Paired => AB_MARKER,
    };
    let _ = writeln!(out, "{marker}");
    let _ = writeln!(out, "{}\n", headline(report, columns));

    let mut tests: Vec<&TestReport> = report.tests.iter().collect();
    tests.sort_by(|a, b| (rank(a), &a.id).cmp(&(rank(b), &b.id)));
    let (changed, rest): (Vec<&TestReport>, Vec<&TestReport>) =
        tests.into_iter().partition(|t| is_changed(t));

    if changed.is_empty() {
        let _ = writeln!(out, "No test changed.\n");
    } else {
        table(&mut out, &changed, columns);
        out.push('\n');
        for t in &changed {
            compared_details(&mut out, t);
        }
    }
    if !rest.is_empty() {
        let _ = writeln!(
            out,
            "<details><summary>{} other test{}</summary>\n",
            rest.len(),
            plural(rest.len())
        );
        table(&mut out, &rest, columns);
        let _ = writeln!(out, "\n</details>\n");
    }
    growth(&mut out, report);
    memory(&mut out, report);
    super::operations::markdown(&mut out, report);
    let mut disagree: Vec<&TestReport> = report
        .tests
        .iter()
        .filter(|t| t.levels.len() >= 2)
        .collect();
    disagree.sort_by(|a, b| a.id.cmp(&b.id));
    for t in &disagree {
        if let Some(levels) = levels_text(t) {
            let _ = writeln!(
                out,
                "> ⚠️ {}: processes disagree, {}",
                code(&t.name),
                escape_inline(&levels)
            );
        }
    }
    if !disagree.is_empty() {
        out.push('\n');
    }
    instructions(&mut out, report);
    for check in &report.requirements {
        let mark = if check.passed { "✅" } else { "❌" };
        let line = crate::cli::compare::require::describe(check);
        let _ = writeln!(out, "- {mark} {}", escape_inline(&line));
    }
    if !report.requirements.is_empty() {
        out.push('\n');
    }
    let accepted = super::words::accepted_lines(report);
    for line in &accepted {
        let _ = writeln!(out, "- ✔️ {}", escape_inline(line));
    }
    if !accepted.is_empty() {
        out.push('\n');
    }
    for note in &report.notes {
        let _ = writeln!(out, "> {}", escape_inline(note));
    }
    if !report.notes.is_empty() {
        out.push('\n');
    }
    let _ = writeln!(out, "{}", footer(report, columns));
    out
}

/// Every metric a changed test was compared on, folded under its own `<details>`: the
/// table shows the deciding metric only.
fn compared_details(out: &mut String, t: &TestReport) {
    let Some(c) = &t.comparison else { return };
    let metrics = compared_metrics(c);
    if metrics.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "<details><summary>{}: {} compared metric{}</summary>\n",
        code(&t.id),
        metrics.len(),
        plural(metrics.len())
    );
    let _ = writeln!(
        out,
        "| Metric | Base | Head | Change | Verdict | Severity |"
    );
    let _ = writeln!(out, "|:--|--:|--:|--:|:--|:--|");
    for m in &metrics {
        let change = match (m.change, m.ci) {
            (Some(change), Some(ci)) => format!(
                "{} {}",
                crate::format::percent_change(change),
                interval_text(ci)
            ),
            (Some(change), None) => crate::format::percent_change(change),
            _ => "–".to_owned(),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {change} | {} | {} |",
            code(&m.metric),
            metric_value(&m.metric, m.baseline),
            metric_value(&m.metric, m.current),
            verdict_word(m.verdict),
            severity_word(m.severity)
        );
    }
    let _ = writeln!(out, "\n</details>\n");
}

/// Memory figures of the tests that have them, folded: allocations per iteration, resident
/// memory growth, and a flagged leak, sorted by id like everything else.
fn memory(out: &mut String, report: &Report) {
    let mut rows: Vec<&TestReport> = report
        .tests
        .iter()
        .filter(|t| {
            t.metrics.allocs_per_iter.is_some()
                || t.memory.as_ref().is_some_and(|m| m.leak.is_some())
        })
        .collect();
    if rows.is_empty() {
        return;
    }
    rows.sort_by(|a, b| a.id.cmp(&b.id));
    let _ = writeln!(out, "<details><summary>Memory</summary>\n");
    let _ = writeln!(
        out,
        "| test | allocs/iter | bytes/iter | RSS growth | leak |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---|");
    for t in rows {
        let m = &t.metrics;
        let num = |v: Option<f64>| v.map(crate::format::sig3).unwrap_or_else(|| "–".into());
        let rss = m
            .rss_growth_bytes
            .map(|b| crate::format::bytes(b as f64))
            .unwrap_or_else(|| "–".into());
        let leak = match t.memory.as_ref().and_then(|d| d.leak.as_ref()) {
            Some(l) => match l.bytes_per_iter {
                Some(b) => format!("⚠️ {}/iter", crate::format::bytes(b)),
                None => format!("⚠️ {}/s", crate::format::bytes(l.bytes_per_sec)),
            },
            None => String::new(),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {rss} | {leak} |",
            code(&t.name),
            num(m.allocs_per_iter),
            num(m.alloc_bytes_per_iter),
        );
    }
    let _ = writeln!(out, "\n</details>\n");
}

/// Each `args` family's growth, folded, after a line per family whose exponent changed
/// against the baseline (those are findings, so they stay in view).
fn growth(out: &mut String, report: &Report) {
    if report.growth.is_empty() {
        return;
    }
    for line in report.growth.iter().filter_map(growth_change_text) {
        let _ = writeln!(out, "> 📈 {}", escape_inline(&line));
    }
    if report
        .growth
        .iter()
        .any(|g| growth_change_text(g).is_some())
    {
        out.push('\n');
    }
    let _ = writeln!(out, "<details><summary>Growth with size</summary>\n");
    let _ = writeln!(out, "| family | growth (log-log fit, 95% interval) |");
    let _ = writeln!(out, "|---|---|");
    for g in &report.growth {
        let _ = writeln!(
            out,
            "| {} | {} |",
            code(&g.name),
            escape_cell(&growth_text(g))
        );
    }
    let _ = writeln!(out, "\n</details>\n");
}

/// Instruction counts (`--instructions`) of the tests that have them, folded, with the other
/// hardware counters where the machine has them.
fn instructions(out: &mut String, report: &Report) {
    let mut rows: Vec<&TestReport> = report
        .tests
        .iter()
        .filter(|t| t.metrics.instructions_per_iter.is_some())
        .collect();
    if rows.is_empty() {
        return;
    }
    rows.sort_by(|a, b| a.id.cmp(&b.id));
    let _ = writeln!(out, "<details><summary>Instructions</summary>\n");
    let _ = writeln!(
        out,
        "| test | instructions/iter | cycles/iter | branch misses/iter | cache misses/iter |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|");
    for t in rows {
        let m = &t.metrics;
        let num = |v: Option<f64>| v.map(crate::format::sig3).unwrap_or_else(|| "–".into());
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            code(&t.name),
            num(m.instructions_per_iter),
            num(m.cycles_per_iter),
            num(m.branch_misses_per_iter),
            num(m.cache_misses_per_iter),
        );
    }
    let _ = writeln!(out, "\n</details>\n");
}

/// `### 🔴 cargo perf: 1 regressed, 2 improved, 40 unchanged (43 tests)`
fn headline(report: &Report, columns: Columns) -> String {
    let s = &report.summary;
    let errors = report
        .tests
        .iter()
        .filter(|t| t.status == Status::Error)
        .count();
    let threshold_failures = s.failed.saturating_sub(errors);
    let icon = if s.regressed > 0 || s.failed > 0 {
        "🔴"
    } else if s.improved > 0 {
        "🟢"
    } else {
        "✅"
    };
    let parts: Vec<String> = [
        (s.regressed, "regressed"),
        (threshold_failures, "failed a threshold"),
        (errors, "errored"),
        (s.improved, "improved"),
        (s.unchanged, "unchanged"),
        (s.inconclusive, "inconclusive"),
        (s.new, "new"),
    ]
    .into_iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{n} {what}"))
    .collect();
    let counts = if parts.is_empty() {
        "nothing compared".to_owned()
    } else {
        parts.join(", ")
    };
    let command = match columns {
        Columns::Unpaired => "cargo perf",
        Columns::Paired => "cargo perf ab",
    };
    format!(
        "### {icon} {command}: {counts} ({} test{})",
        s.total,
        plural(s.total)
    )
}

fn table(out: &mut String, tests: &[&TestReport], columns: Columns) {
    match columns {
        Columns::Unpaired => {
            let _ = writeln!(out, "| Test | Base | Head | Change | Verdict |");
            let _ = writeln!(out, "|:--|--:|--:|--:|:--|");
        }
        Columns::Paired => {
            let _ = writeln!(
                out,
                "| Test | Base | Head | Change | 95% interval | Could detect | Verdict |"
            );
            let _ = writeln!(out, "|:--|--:|--:|--:|--:|--:|:--|");
        }
    }
    for t in tests {
        let c = t.comparison.as_ref();
        let value = |v: Option<f64>| c.zip(v).map(|(c, v)| metric_value(&c.metric, v));
        let base = value(c.and_then(|c| c.baseline));
        let head = value(c.and_then(|c| c.current)).or_else(|| {
            let metric = crate::cli::compare::primary_metric(t.kind);
            metric
                .get(&t.metrics)
                .map(|v| metric_value(metric.name(), v))
        });
        let dash = || "–".to_owned();
        let extra = match columns {
            Columns::Unpaired => String::new(),
            Columns::Paired => format!(
                " {} | {} |",
                c.and_then(|c| c.ci).map_or_else(dash, interval_text),
                c.and_then(|c| c.could_detect)
                    .map_or_else(dash, |d| format!("≥ {:.1}%", d * 100.0)),
            ),
        };
        let change = match columns {
            Columns::Unpaired => c.map(change_text).unwrap_or_default(),
            Columns::Paired => c
                .and_then(|c| c.change)
                .map(crate::format::percent_change)
                .unwrap_or_else(dash),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {change} |{extra} {} |",
            code(&t.id),
            base.as_deref().unwrap_or("–"),
            head.as_deref().unwrap_or("–"),
            escape_cell(&verdict_cell(t))
        );
    }
}

fn verdict_cell(t: &TestReport) -> String {
    match t.status {
        Status::Error => {
            let message = t.error.as_deref().unwrap_or("could not be measured");
            format!("💥 error: {}", escape_inline(&first_line(message, 120)))
        }
        Status::Failed => {
            let failed: Vec<String> = t
                .thresholds
                .iter()
                .filter(|c| !c.passed)
                .map(threshold_text)
                .collect();
            let mut text = format!("❌ failed: {}", failed.join("; "));
            if let Some(c) = &t.comparison {
                let _ = write!(text, " ({})", verdict_text(c));
            }
            text
        }
        Status::Passed => match &t.comparison {
            Some(c) => {
                let icon = match c.verdict {
                    Verdict::Regressed => "🔴",
                    Verdict::Improved => "🟢",
                    Verdict::Unchanged => "⚪",
                    Verdict::Inconclusive => "🟡",
                    Verdict::New => "🆕",
                };
                let on = if c.verdict == Verdict::Regressed || c.verdict == Verdict::Improved {
                    match c.severity {
                        Some(s) => format!(" · {} ({})", s.name(), c.metric),
                        None => format!(" ({})", c.metric),
                    }
                } else {
                    String::new()
                };
                format!("{icon} {}{on}", verdict_text(c))
            }
            None => "✅ passed".to_owned(),
        },
    }
}

fn footer(report: &Report, columns: Columns) -> String {
    let head = report.commit.as_deref().map_or_else(
        || "(no commit)".to_owned(),
        |c| {
            format!(
                "`{}`{}",
                short(c),
                if report.dirty { " (dirty)" } else { "" }
            )
        },
    );
    let asked = report
        .baseline
        .reference
        .as_deref()
        .map(|r| format!(" ({})", code(r)))
        .unwrap_or_default();
    let base = report.baseline.commit.as_deref().map_or_else(
        || "(no baseline)".to_owned(),
        |c| format!("`{}`{asked}", short(c)),
    );
    let how = match columns {
        Columns::Unpaired => "",
        Columns::Paired => " · paired rounds, interleaved on one machine",
    };
    let m = &report.machine;
    let when = run_time(report)
        .map(|t| format!(" · {}", escape_inline(&t)))
        .unwrap_or_default();
    format!(
        "<sub>base {base} → head {head} · machine {} ({}, {} cores, {} {}){how}{when} · cargo-perf {}</sub>",
        code(&m.id),
        escape_inline(&m.cpu),
        m.cores,
        escape_inline(&m.os),
        escape_inline(&m.arch),
        escape_inline(&report.tool_version)
    )
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn first_line(text: &str, max_chars: usize) -> String {
    let line = text.lines().next().unwrap_or("");
    if line.chars().count() > max_chars {
        format!("{}…", line.chars().take(max_chars).collect::<String>())
    } else {
        line.to_owned()
    }
}

/// Inline code that survives backticks in the text (a longer fence) and sits in a table.
fn code(text: &str) -> String {
    let text = text.replace('\n', " ");
    let fence = if text.contains('`') { "`` " } else { "`" };
    let close = if text.contains('`') { " ``" } else { "`" };
    escape_cell(&format!("{fence}{text}{close}"))
}

/// A table cell: pipes escaped, newlines flattened.
fn escape_cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// Free text in the comment: HTML-significant characters neutralised so a test message can
/// never inject markup (or close the `<details>`).
fn escape_inline(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests;
