//! The console report: progress per test on stderr while running (only on a terminal), then a
//! table of results with failures explained.

use std::time::Duration;

use console::style;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::model::{Report, Status, TestReport};
use crate::cli::report::words::{
    growth_change_text, growth_text, limit_text, run_time, threshold_text, width,
};
use crate::cli::run::events::{Event, Reporter};
use crate::format;
use crate::protocol::Throughput;

/// Shows a progress bar on stderr while tests run; draws nothing when stderr is not a terminal.
pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    pub fn new() -> Progress {
        let visible = console::Term::stderr().is_term();
        Progress {
            bar: visible.then(|| {
                let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
                let style = ProgressStyle::with_template(
                    "{spinner:.cyan} [{pos}/{len}] {elapsed:>4} {wide_msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar());
                bar.set_style(style);
                bar
            }),
        }
    }
}

/// The progress reporter for `output`: the terminal's, unless stdout carries a machine-readable
/// report and nothing else does.
pub fn progress_for(output: &crate::cli::report::Output) -> Box<dyn Reporter> {
    if output.format == crate::cli::report::Format::Human || output.path.is_some() {
        Box::new(Progress::new())
    } else {
        Box::new(crate::cli::run::events::WarningsOnly)
    }
}

impl Default for Progress {
    fn default() -> Self {
        Progress::new()
    }
}

impl Reporter for Progress {
    fn event(&mut self, event: &Event<'_>) {
        // Warnings, steps and rounds are a log (also off a terminal, like cargo's own lines);
        // the bar is drawn on a terminal only.
        let line = crate::cli::run::events::log_line(event).or_else(|| match event {
            Event::RoundFinished { id, rounds } if rounds % 5 == 0 => {
                Some(format!("{:>12} {id} — {rounds} rounds", ""))
            }
            _ => None,
        });
        if let Some(line) = line {
            match &self.bar {
                Some(bar) => bar.println(line),
                None => eprintln!("{line}"),
            }
            return;
        }
        let Some(bar) = &self.bar else { return };
        match event {
            Event::RunStarted { tests, .. } => {
                bar.set_length(*tests as u64);
                bar.enable_steady_tick(Duration::from_millis(120));
            }
            Event::TestStarted { id, .. } => bar.set_message(id.to_string()),
            Event::ProcessFinished {
                id,
                process,
                processes,
                ..
            } => bar.set_message(format!("{id} (process {}/{processes})", process + 1)),
            Event::TestFinished { test } => {
                bar.inc(1);
                bar.println(format!("{} {}", status_mark(test.status, true), test.id));
            }
            Event::RunFinished { .. } => bar.finish_and_clear(),
            Event::Step { .. }
            | Event::RoundFinished { .. }
            | Event::TestSlow { .. }
            | Event::Warning { .. }
            | Event::Note { .. } => {}
        }
    }
}

fn status_mark(status: Status, color: bool) -> String {
    let mark = match status {
        Status::Passed => style("✓").green(),
        Status::Failed => style("✗").red(),
        Status::Error => style("!").red().bold(),
    };
    mark.force_styling(color).to_string()
}

/// The results table and the failure explanations, coloured when `color`.
pub fn render(report: &Report, color: bool) -> String {
    let header = [
        "",
        "test",
        "median",
        "95% CI",
        "throughput",
        "allocs/iter",
        "bytes/iter",
        "instr/iter",
        "thresholds",
    ];
    let mut rows: Vec<[String; 9]> = Vec::new();
    let any = |f: fn(&TestReport) -> bool| report.tests.iter().any(f);
    let show_memory =
        any(|t| t.metrics.allocs_per_iter.is_some() || t.metrics.alloc_bytes_per_iter.is_some());
    let show_instructions = any(|t| t.metrics.instructions_per_iter.is_some());
    // Valgrind mode times nothing: no empty timing columns then.
    let show_timing =
        !show_instructions || any(|t| t.metrics.median_ns.is_some() || t.metrics.p50_ns.is_some());
    for t in &report.tests {
        rows.push(row(t));
    }
    let keep: Vec<usize> = (0..header.len())
        .filter(|&i| show_memory || !matches!(i, 5 | 6))
        .filter(|&i| show_instructions || i != 7)
        .filter(|&i| show_timing || !matches!(i, 2..=4))
        .collect();
    let widths: Vec<usize> = keep
        .iter()
        .map(|&i| width(header[i], rows.iter().map(|r| &r[i])))
        .collect();
    let mut out = String::new();
    if !report.tests.is_empty() {
        let line: Vec<String> = keep
            .iter()
            .zip(&widths)
            .map(|(&i, &w)| pad(header[i], w, i))
            .collect();
        out.push_str(
            &style(line.join("  ").trim_end())
                .bold()
                .force_styling(color)
                .to_string(),
        );
        out.push('\n');
        for (t, r) in report.tests.iter().zip(&rows) {
            let cells: Vec<String> = keep
                .iter()
                .zip(&widths)
                .map(|(&i, &w)| {
                    let cell = pad(&r[i], w, i);
                    if i == 0 {
                        status_mark(t.status, color) + &cell[1.min(cell.len())..]
                    } else {
                        cell
                    }
                })
                .collect();
            out.push_str(cells.join("  ").trim_end());
            out.push('\n');
        }
    }
    out.push_str(&details(report));
    let failures: Vec<&TestReport> = report
        .tests
        .iter()
        .filter(|t| t.status != Status::Passed)
        .collect();
    if !failures.is_empty() {
        out.push('\n');
        for t in failures {
            out.push_str(&explain(t, color));
        }
    }
    out.push_str(&super::human_compare::render(report, color));
    out.push_str(&growth(report, color));
    for check in &report.requirements {
        let line = crate::cli::compare::require::describe(check);
        let line = if check.passed {
            style(line).green()
        } else {
            style(line).red().bold()
        };
        out.push_str(&format!("require {}\n", line.force_styling(color)));
    }
    for line in super::words::accepted_lines(report) {
        out.push_str(&format!("{line}\n"));
    }
    for note in &report.notes {
        out.push_str(&format!("note: {note}\n"));
    }
    let s = &report.summary;
    let verdict = if s.failed == 0 && report.requirements.iter().all(|r| r.passed) {
        style("ok").green().force_styling(color)
    } else {
        style("FAILED").red().bold().force_styling(color)
    };
    let when = run_time(report)
        .map(|t| format!("; {t}"))
        .unwrap_or_default();
    out.push_str(&format!(
        "\nperf result: {verdict}. {} passed; {} failed; {} total (machine {}{when})\n",
        s.passed, s.failed, s.total, report.machine.id
    ));
    out
}

/// What the table cannot show: each load test's timeline as sparklines, and flagged leaks.
fn details(report: &Report) -> String {
    let mut out = String::new();
    for t in &report.tests {
        if let Some(load) = &t.load {
            let chart = super::chart::render(load);
            if !chart.is_empty() {
                out.push_str(&format!("\n{}\n", t.name));
                for line in chart.lines() {
                    out.push_str(&format!("    {line}\n"));
                }
            }
            out.push_str(&super::operations::human(t));
        }
        if let Some(levels) = super::words::levels_text(t) {
            out.push_str(&format!(
                "\nprocesses disagree: {}: {levels} (the interval spans them; the machine \
                 changed state between processes)\n",
                t.name
            ));
        }
        if let Some(leak) = t.memory.as_ref().and_then(|m| m.leak.as_ref()) {
            let rate = match leak.bytes_per_iter {
                Some(b) => format!("{} per iteration", format::bytes(b)),
                None => format!("{}/s", format::bytes(leak.bytes_per_sec)),
            };
            out.push_str(&format!(
                "\nleak: {} keeps {rate} ({} over the run; {:.0}% of samples rising)\n",
                t.name,
                format::bytes(leak.growth_bytes as f64),
                leak.confidence * 100.0
            ));
        }
    }
    out
}

/// Each `args` family's growth exponent (or scaling, or why there is none), then a line per
/// family whose exponent changed against the baseline.
fn growth(report: &Report, color: bool) -> String {
    if report.growth.is_empty() {
        return String::new();
    }
    let mut out = String::from("\ngrowth with size (log-log fit, 95% interval):\n");
    let names: Vec<String> = report.growth.iter().map(|g| g.name.clone() + ":").collect();
    let w = width("", names.iter());
    for (g, name) in report.growth.iter().zip(&names) {
        out.push_str(&format!("    {name:<w$} {}\n", growth_text(g)));
    }
    for line in report.growth.iter().filter_map(growth_change_text) {
        let line = style(line).yellow().bold().force_styling(color);
        out.push_str(&format!("{line}\n"));
    }
    out
}

/// Numbers right-aligned, text left-aligned.
fn pad(text: &str, width: usize, column: usize) -> String {
    let w = console::measure_text_width(text);
    let fill = " ".repeat(width.saturating_sub(w));
    if matches!(column, 2..=7) {
        format!("{fill}{text}")
    } else {
        format!("{text}{fill}")
    }
}

fn row(t: &TestReport) -> [String; 9] {
    let m = &t.metrics;
    let dash = || "-".to_string();
    let median = m
        .median_ns
        .or(m.p50_ns)
        .map(format::duration_ns)
        .unwrap_or_else(dash);
    let ci = t
        .median_ci_ns
        .map(|[lo, hi]| {
            format!(
                "[{} .. {}]",
                format::duration_ns(lo),
                format::duration_ns(hi)
            )
        })
        .unwrap_or_else(dash);
    let throughput = m
        .throughput_per_sec
        .map(|r| match t.throughput_unit {
            Some(Throughput::Bytes(_)) => format::byte_rate(r),
            Some(Throughput::Elements(_)) => format!("{} elem", format::rate(r)),
            None => format::rate(r),
        })
        .unwrap_or_else(dash);
    let allocs = m.allocs_per_iter.map(format::sig3).unwrap_or_else(dash);
    let bytes = m
        .alloc_bytes_per_iter
        .map(format::bytes)
        .unwrap_or_else(dash);
    let instructions = m
        .instructions_per_iter
        .map(format::sig3)
        .unwrap_or_else(dash);
    let thresholds = if t.thresholds.is_empty() {
        String::new()
    } else {
        t.thresholds
            .iter()
            .map(|c| format!("{} {}", if c.passed { "✓" } else { "✗" }, limit_text(c)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    [
        " ".to_string(),
        t.id.clone(),
        median,
        ci,
        throughput,
        allocs,
        bytes,
        instructions,
        thresholds,
    ]
}

/// Why a test did not pass, in a sentence or two.
fn explain(t: &TestReport, color: bool) -> String {
    let label = match t.status {
        Status::Failed => style("FAILED").red(),
        Status::Error => style("ERROR").red().bold(),
        Status::Passed => style("ok").green(),
    }
    .force_styling(color);
    let mut out = format!("{label} {}\n", t.id);
    if let Some(e) = &t.error {
        for line in e.lines() {
            out.push_str(&format!("    {line}\n"));
        }
    }
    for c in t.thresholds.iter().filter(|c| !c.passed) {
        out.push_str(&format!("    threshold failed: {}\n", threshold_text(c)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{LeakReport, LoadDetails, MemoryDetails, TimelinePoint};

    #[test]
    fn the_human_table_explains_failures() {
        let t = crate::cli::testing::bench("p/t/n")
            .error("panicked: boom")
            .build();
        let text = render(&crate::cli::testing::report(vec![t]), false);
        assert!(text.contains("ERROR p/t/n\n    panicked: boom"), "{text}");
        assert!(text.contains("0 passed; 1 failed; 1 total"), "{text}");
        let sample = render(&crate::cli::report::sample::report(), false);
        assert!(
            sample.contains("(machine ci-box; 2026-12-02 05:00:00 UTC, took 83.5 s)"),
            "{sample}"
        );
        assert!(
            !text.contains('\u{1b}'),
            "no colour codes when colour is off"
        );
    }

    /// `figures.rs` and `human::limit_text` once worded the same threshold differently; the
    /// terminal, the PR comment and JUnit now say it with the one sentence of `words`.
    #[test]
    fn a_failed_threshold_reads_the_same_in_every_format() {
        let report = crate::cli::report::sample::report();
        let sentence = "p99_ns < 2.00 ms, was 3.10 ms";
        assert!(render(&report, false).contains(sentence));
        assert!(crate::cli::report::markdown::render(&report).contains(sentence));
        // XML escapes the operator.
        let escaped = sentence.replace('<', "&lt;");
        assert!(crate::cli::report::junit::render(&report).contains(&escaped));
    }

    /// A family that went from n to n² and one with too few sizes, fitted from the tests:
    /// every format prints the exponents, the change as one sentence, and why there is no fit.
    #[test]
    fn growth_reads_the_same_in_every_format() {
        let family = |stem: &str, sizes: &[f64], k: f64| -> Vec<TestReport> {
            sizes
                .iter()
                .map(|&n| {
                    let m = 3.0 * n.powf(k);
                    crate::cli::testing::bench(&format!("p/t/{stem}/{n}"))
                        .processes(&[m, m * 1.02, m * 0.98])
                        .build()
                })
                .collect()
        };
        let sizes = [100.0f64, 200.0, 400.0, 800.0];
        let mut head = family("sort", &sizes, 2.0);
        head.extend(family("pair", &sizes[..2], 1.0));
        let base = family("sort", &sizes, 1.0);
        let mut report = crate::cli::testing::report(head);
        report.growth = crate::cli::compare::growth::of(&report.tests, Some(&base));
        let change = "growth changed: sort n^1.00 → n^2.00 (steeper)";
        let fit = "n^2.00 [1.99, 2.01] (median_ns over 4 sizes; base n^1.00 [0.99, 1.01])";
        let none = "no fit: 2 sizes measured, a fit needs 3 or more";
        let text = render(&report, false);
        assert!(text.contains(&format!("    sort: {fit}\n")), "{text}");
        assert!(text.contains(&format!("    pair: {none}\n")), "{text}");
        assert!(text.contains(&format!("\n{change}\n")), "{text}");
        let md = crate::cli::report::markdown::render(&report);
        assert!(md.contains(&format!("> 📈 {change}")), "{md}");
        assert!(md.contains(&format!("| `sort` | {fit} |")), "{md}");
        assert!(md.contains(&format!("| `pair` | {none} |")), "{md}");
        let json = crate::cli::report::json::render(&report);
        assert!(json.contains("\"change\": \"steeper\""), "{json}");
        let quiet = render(&crate::cli::testing::report(Vec::new()), false);
        assert!(!quiet.contains("growth"), "no family, no section: {quiet}");
    }

    #[test]
    fn load_timelines_and_leaks_are_drawn_under_the_table() {
        let mut report = crate::cli::report::sample::report();
        let quiet = render(&report, false);
        assert!(
            !quiet.contains("ops/s") && !quiet.contains("leak:"),
            "{quiet}"
        );

        let point = |ops: u64| TimelinePoint {
            start_ns: 0,
            operations: ops,
            failures: 0,
            throughput_per_sec: ops as f64,
            p99_ns: Some(1e6),
            ..TimelinePoint::default()
        };
        report.tests[0].load = Some(LoadDetails {
            timeline: vec![point(10), point(40), point(20)],
            timeline_bucket_ns: 1_000_000_000,
            ..LoadDetails::default()
        });
        report.tests[1].memory = Some(MemoryDetails {
            leak: Some(LeakReport {
                bytes_per_iter: Some(1024.0),
                bytes_per_sec: 1e6,
                growth_bytes: 2 << 20,
                confidence: 0.95,
            }),
            ..MemoryDetails::default()
        });
        let text = render(&report, false);
        let chart_at = text
            .find(&format!("\n{}\n    ", report.tests[0].name))
            .unwrap_or_else(|| panic!("no chart under the load test:\n{text}"));
        assert!(text[chart_at..].contains("ops/s"), "{text}");
        let leak = format!(
            "leak: {} keeps 1.00 KiB per iteration (2.00 MiB over the run; 95% of samples rising)",
            report.tests[1].name
        );
        assert!(text.contains(&leak), "{leak} missing:\n{text}");
    }
}
