//! `cargo perf report`'s page: one self-contained HTML file (inline CSS, inline SVG charts, a
//! few lines of inline script to sort the summary table; nothing fetched at view time) from a
//! compared [`Report`], the base's stored tests and each test's history. Every text from the
//! data is escaped. Readable on a phone (the layout reflows, wide tables scroll) and in dark
//! mode (`prefers-color-scheme`).

mod charts;
mod svg;
#[cfg(test)]
mod tests;

use std::fmt::Write;

use crate::cli::compare::growth;
use crate::cli::compare::history::{interval, Series};
use crate::cli::compare::primary_metric;
use crate::cli::model::{Report, Status, TestReport};
use crate::cli::report::words::{
    change_text, growth_change_text, growth_text, metric_value, rank, short, threshold_text,
    verdict_word,
};
use crate::format;

/// Text for HTML (and SVG): the markup characters escaped.
pub(crate) use crate::cli::report::junit::escape;

const STYLE: &str = include_str!("html/page.css");
const SCRIPT: &str = include_str!("html/page.js");

/// What the page shows: the head's report (compared with the base when there was one), the
/// base's tests, each test's series over the stored commits, and when the head was measured.
pub struct Page<'a> {
    pub report: &'a Report,
    pub base: &'a [TestReport],
    pub history: &'a [Series],
    pub measured_at: &'a str,
}

/// The whole HTML document.
pub fn render(page: &Page<'_>) -> String {
    let r = page.report;
    let mut tests: Vec<&TestReport> = r.tests.iter().collect();
    tests.sort_by(|a, b| rank(a).cmp(&rank(b)).then(a.id.cmp(&b.id)));
    let mut out = String::with_capacity(64 * 1024);
    let title = match &r.commit {
        Some(c) => format!("cargo perf report · {}", short(c)),
        None => "cargo perf report".to_owned(),
    };
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"color-scheme\" content=\"light dark\">\
         <title>{}</title><style>{STYLE}</style></head><body><main>",
        escape(&title)
    );
    header(&mut out, page);
    summary(&mut out, &tests);
    growth(&mut out, page);
    for (i, t) in tests.iter().enumerate() {
        section(&mut out, page, t, i);
    }
    if !r.notes.is_empty() {
        out.push_str("<section class=\"notes\"><h2>Notes</h2><ul>");
        for n in &r.notes {
            let _ = write!(out, "<li>{}</li>", escape(n));
        }
        out.push_str("</ul></section>");
    }
    let _ = writeln!(out, "</main><script>{SCRIPT}</script></body></html>");
    out
}

/// The anchor of the `i`-th test in page order.
fn anchor(i: usize) -> String {
    format!("t{i}")
}

fn header(out: &mut String, page: &Page<'_>) {
    let r = page.report;
    let commit = r.commit.as_deref().map_or("–".to_owned(), |c| {
        format!("{}{}", short(c), if r.dirty { " (dirty)" } else { "" })
    });
    let base = r
        .baseline
        .commit
        .as_deref()
        .map_or("none".to_owned(), |c| short(c).to_owned());
    let m = &r.machine;
    let _ = write!(
        out,
        "<header><h1>cargo perf report</h1><dl class=\"meta\">\
         <div><dt>commit</dt><dd><code>{}</code></dd></div>\
         <div><dt>compared with</dt><dd><code>{}</code></dd></div>\
         <div><dt>measured</dt><dd>{}</dd></div>\
         <div><dt>machine</dt><dd>{} · {} · {} cores · {}/{}</dd></div>\
         <div><dt>cargo-perf</dt><dd>{}</dd></div></dl>",
        escape(&commit),
        escape(&base),
        escape(page.measured_at),
        escape(&m.id),
        escape(&m.cpu),
        m.cores,
        escape(&m.os),
        escape(&m.arch),
        escape(&r.tool_version),
    );
    let s = &r.summary;
    let counts = [
        ("total", s.total, ""),
        ("passed", s.passed, "ok"),
        ("failed", s.failed, "bad"),
        ("regressed", s.regressed, "bad"),
        ("improved", s.improved, "good"),
        ("unchanged", s.unchanged, ""),
        ("new", s.new, ""),
        ("inconclusive", s.inconclusive, ""),
    ];
    out.push_str("<p class=\"counts\">");
    for (label, n, class) in counts.iter().filter(|c| c.1 > 0 || c.0 == "total") {
        let _ = write!(out, "<span class=\"chip {class}\">{n} {label}</span>");
    }
    out.push_str("</p></header>");
}

/// A test id that a narrow screen may wrap after each `/`.
fn breakable(id: &str) -> String {
    escape(id).replace('/', "/<wbr>")
}

/// `passed` / `failed` / `error` as a coloured chip.
fn status_chip(status: Status) -> String {
    let (class, word) = match status {
        Status::Passed => ("ok", "passed"),
        Status::Failed => ("bad", "failed"),
        Status::Error => ("bad", "error"),
    };
    format!("<span class=\"chip {class}\">{word}</span>")
}

fn verdict_chip(t: &TestReport) -> String {
    t.comparison.as_ref().map_or(String::new(), |c| {
        let word = verdict_word(c.verdict);
        format!("<span class=\"chip v-{word}\">{word}</span>")
    })
}

/// The sortable table: one row per test; numeric columns sort by their raw value.
fn summary(out: &mut String, tests: &[&TestReport]) {
    out.push_str(
        "<section><h2>Summary</h2><div class=\"scroll\"><table class=\"sortable\" id=\"summary\">\
         <thead><tr><th><button type=\"button\">test</button></th>\
         <th><button type=\"button\">status</button></th>\
         <th class=\"num\"><button type=\"button\">figure</button></th>\
         <th class=\"num\"><button type=\"button\">interval</button></th>\
         <th class=\"num\"><button type=\"button\">change</button></th>\
         <th><button type=\"button\">verdict</button></th>\
         <th class=\"num\"><button type=\"button\">processes</button></th></tr></thead><tbody>",
    );
    for (i, t) in tests.iter().enumerate() {
        let metric = primary_metric(t.kind);
        let value = metric.get(&t.metrics).filter(|_| t.status != Status::Error);
        let ci = interval(t, metric).filter(|_| value.is_some());
        let change = t.comparison.as_ref().and_then(|c| c.change);
        let num = |v: Option<f64>| v.map_or(String::new(), |v| v.to_string());
        let _ = write!(
            out,
            "<tr><td><a href=\"#{}\">{}</a></td><td data-num=\"{}\">{}</td>\
             <td class=\"num\" data-num=\"{}\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\" data-num=\"{}\">{}</td><td data-num=\"{}\">{}</td>\
             <td class=\"num\" data-num=\"{}\">{}</td></tr>",
            anchor(i),
            breakable(&t.id),
            t.status as u8,
            status_chip(t.status),
            num(value),
            value.map_or("–".to_owned(), |v| format!(
                "{} <small>{}</small>",
                escape(&metric_value(metric.name(), v)),
                metric.name()
            )),
            ci.map_or("–".to_owned(), |[lo, hi]| escape(&format!(
                "{} … {}",
                metric_value(metric.name(), lo),
                metric_value(metric.name(), hi)
            ))),
            num(change),
            change.map_or("–".to_owned(), format::percent_change),
            rank(t).0,
            verdict_chip(t),
            t.processes.len(),
            t.processes.len(),
        );
    }
    out.push_str("</tbody></table></div></section>");
}

/// Growth curves of the `args` families, when the run has any, each captioned with its
/// fitted exponent; a line per family whose exponent changed against the base.
fn growth(out: &mut String, page: &Page<'_>) {
    let r = page.report;
    let families = growth::families(&r.tests);
    let figures: Vec<(String, String)> = families
        .iter()
        .filter_map(|f| {
            let base = |id: &str| {
                let t = page.base.iter().find(|b| b.id == id)?;
                primary_metric(t.kind).get(&t.metrics)
            };
            let caption = match r.growth.iter().find(|g| g.family == f.name) {
                Some(g) => format!("{}: {}", g.name, growth_text(g)),
                None => f.name.clone(),
            };
            Some((caption, charts::growth(f, &base)?))
        })
        .collect();
    if figures.is_empty() {
        return;
    }
    out.push_str("<section><h2>Growth with size</h2>");
    let changed: Vec<String> = r.growth.iter().filter_map(growth_change_text).collect();
    if !changed.is_empty() {
        out.push_str("<ul class=\"facts\">");
        for line in changed {
            let _ = write!(out, "<li>{}</li>", escape(&line));
        }
        out.push_str("</ul>");
    }
    out.push_str("<div class=\"figs\">");
    for (caption, svg) in figures {
        figure(out, &caption, &svg);
    }
    out.push_str("</div></section>");
}

fn figure(out: &mut String, caption: &str, svg: &str) {
    let _ = write!(
        out,
        "<figure><figcaption>{}</figcaption>{svg}</figure>",
        escape(caption)
    );
}

/// One test: what it measured, how it compares, and its figures.
fn section(out: &mut String, page: &Page<'_>, t: &TestReport, i: usize) {
    let _ = write!(
        out,
        "<section class=\"test\" id=\"{}\"><h2><span class=\"name\">{}</span> {} {}</h2>",
        anchor(i),
        escape(&t.id),
        status_chip(t.status),
        verdict_chip(t)
    );
    if let Some(e) = &t.error {
        let _ = write!(out, "<pre class=\"error\">{}</pre>", escape(e));
    }
    let mut facts: Vec<String> = Vec::new();
    if let Some(c) = &t.comparison {
        let text = change_text(c);
        if let (Some(b), Some(h)) = (c.baseline, c.current) {
            facts.push(format!(
                "{}: {} → {} {}",
                c.metric,
                metric_value(&c.metric, b),
                metric_value(&c.metric, h),
                text
            ));
        }
    }
    facts.extend(
        t.thresholds
            .iter()
            .map(|c| format!("{} {}", if c.passed { "✓" } else { "✗" }, threshold_text(c))),
    );
    if t.wall_ns > 0 {
        facts.push(format!(
            "{} process{}, {} in all",
            t.processes.len(),
            if t.processes.len() == 1 { "" } else { "es" },
            format::duration_ns(t.wall_ns as f64)
        ));
    }
    if !facts.is_empty() {
        out.push_str("<ul class=\"facts\">");
        for f in facts {
            let _ = write!(out, "<li>{}</li>", escape(&f));
        }
        out.push_str("</ul>");
    }
    out.push_str("<div class=\"figs\">");
    let base = page.base.iter().find(|b| b.id == t.id);
    if let Some(svg) = charts::distribution(t) {
        figure(out, "sample distribution", &svg);
    }
    if let Some(svg) = charts::processes(t, base) {
        let caption = match base {
            Some(_) => "each process: base against head, with the interval",
            None => "each process, with the interval",
        };
        figure(out, caption, &svg);
    }
    if let Some(series) = page.history.iter().find(|s| s.id == t.id) {
        if let Some(svg) = charts::history(series) {
            figure(
                out,
                &format!("history over {} stored commits", series.points.len()),
                &svg,
            );
        }
    }
    if let Some(load) = &t.load {
        for svg in charts::timeline(load) {
            figure(out, "load timeline", &svg);
        }
    }
    out.push_str("</div>");
    if let Some(load) = &t.load {
        stages(out, load);
    }
    memory(out, t);
    out.push_str("</section>");
}

/// A load test's phases as a table.
fn stages(out: &mut String, load: &crate::protocol::LoadDetails) {
    if load.stages.is_empty() {
        return;
    }
    out.push_str(
        "<div class=\"scroll\"><table><thead><tr><th>stage</th><th class=\"num\">time</th>\
         <th class=\"num\">ops</th><th class=\"num\">failed</th><th class=\"num\">ops/s</th>\
         <th class=\"num\">p99</th></tr></thead><tbody>",
    );
    for s in &load.stages {
        let _ = write!(
            out,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            escape(&s.name),
            escape(&format::duration_ns(s.duration_ns as f64)),
            s.operations,
            s.failures,
            escape(&format::rate(s.throughput_per_sec)),
            s.p99_ns.map_or("–".to_owned(), format::duration_ns),
        );
    }
    out.push_str("</tbody></table></div>");
    if !load.errors.is_empty() {
        out.push_str("<ul class=\"facts\">");
        for e in &load.errors {
            let _ = write!(out, "<li>{}× {}</li>", e.count, escape(&e.message));
        }
        out.push_str("</ul>");
    }
}

/// The memory figures a test has: per iteration, RSS, allocator totals, a flagged leak.
fn memory(out: &mut String, t: &TestReport) {
    let bytes = |v: u64| format::bytes(v as f64);
    let mut rows: Vec<(&str, String)> = Vec::new();
    if let Some(a) = t.metrics.allocs_per_iter {
        rows.push(("allocations per iteration", format::sig3(a)));
    }
    if let Some(b) = t.metrics.alloc_bytes_per_iter {
        rows.push(("bytes allocated per iteration", format::bytes(b)));
    }
    if let Some(m) = &t.memory {
        let rss = [
            ("RSS before", m.rss_before_bytes),
            ("RSS after", m.rss_after_bytes),
            ("RSS peak", m.rss_peak_bytes),
            ("peak live heap", m.peak_live_bytes),
        ];
        rows.extend(rss.into_iter().filter_map(|(l, v)| Some((l, bytes(v?)))));
        if let Some(a) = &m.allocations {
            rows.push((
                "allocations",
                format!("{} ({} freed)", a.allocs, a.deallocs),
            ));
            rows.push(("bytes allocated", bytes(a.bytes_allocated)));
        }
        if let Some(leak) = &m.leak {
            rows.push((
                "leak",
                format!(
                    "{}/s, {} over the run",
                    format::bytes(leak.bytes_per_sec),
                    bytes(leak.growth_bytes)
                ),
            ));
        }
    }
    if let Some(g) = t.metrics.rss_growth_bytes {
        rows.push(("RSS growth", format::bytes(g as f64)));
    }
    if rows.is_empty() {
        return;
    }
    out.push_str("<h3>Memory</h3><table class=\"kv\"><tbody>");
    for (label, value) in rows {
        let _ = write!(
            out,
            "<tr><th>{label}</th><td class=\"num\">{}</td></tr>",
            escape(&value)
        );
    }
    out.push_str("</tbody></table>");
}
