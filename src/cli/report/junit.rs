//! `--format junit`: one `<testcase>` per perf test, grouped in a `<testsuite>` per
//! package/target, with a `<failure>` for each regression or failed threshold and an
//! `<error>` for a test that could not be measured. CI systems read this natively.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::cli::model::{Report, Status, TestReport, Verdict};
use crate::cli::report::words::{change_text, metric_value, threshold_text, verdict_text};

pub fn render(report: &Report) -> String {
    let mut suites: BTreeMap<(&str, &str), Vec<&TestReport>> = BTreeMap::new();
    for t in &report.tests {
        suites
            .entry((t.package.as_str(), t.target.as_str()))
            .or_default()
            .push(t);
    }
    let all: Vec<&TestReport> = report.tests.iter().collect();
    let (failures, errors) = counts(&all);
    let missed = report.requirements.iter().filter(|r| !r.passed).count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"cargo-perf\" tests=\"{}\" failures=\"{}\" errors=\"{errors}\" time=\"{}\">",
        report.tests.len() + report.requirements.len(),
        failures + missed,
        seconds(&all)
    );
    for ((package, target), mut tests) in suites {
        tests.sort_by(|a, b| a.name.cmp(&b.name));
        let (failures, errors) = counts(&tests);
        // JUnit's `timestamp` is local time without a zone; UTC's wall clock is that.
        let timestamp = report
            .started_at
            .as_deref()
            .map(|t| format!(" timestamp=\"{}\"", escape(t.trim_end_matches('Z'))))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" time=\"{}\"{timestamp}>",
            escape(&format!("{package}/{target}")),
            tests.len(),
            seconds(&tests)
        );
        properties(&mut out, report);
        for t in tests {
            testcase(&mut out, t);
        }
        let _ = writeln!(out, "  </testsuite>");
    }
    requirements(&mut out, report, missed);
    let _ = writeln!(out, "</testsuites>");
    out
}

/// `--require`: one `<testcase>` per check in a suite of their own, a `<failure>` when missed.
fn requirements(out: &mut String, report: &Report, missed: usize) {
    if report.requirements.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "  <testsuite name=\"cargo-perf/requirements\" tests=\"{}\" failures=\"{missed}\" errors=\"0\">",
        report.requirements.len()
    );
    for c in &report.requirements {
        let name = match &c.test {
            Some(test) => format!("{} ({test})", c.requirement),
            None => c.requirement.clone(),
        };
        let line = escape(&crate::cli::compare::require::describe(c));
        let _ = write!(
            out,
            "    <testcase name=\"{}\" classname=\"cargo-perf/requirements\"",
            escape(&name)
        );
        if c.passed {
            let _ = writeln!(
                out,
                ">\n      <system-out>{line}</system-out>\n    </testcase>"
            );
        } else {
            let _ = writeln!(
                out,
                ">\n      <failure message=\"{line}\" type=\"requirement\">{line}</failure>\n    </testcase>"
            );
        }
    }
    let _ = writeln!(out, "  </testsuite>");
}

fn properties(out: &mut String, report: &Report) {
    let mut props = vec![
        ("commit", report.commit.clone().unwrap_or_default()),
        (
            "baseline",
            report.baseline.commit.clone().unwrap_or_default(),
        ),
        ("machine", report.machine.id.clone()),
        ("started_at", report.started_at.clone().unwrap_or_default()),
        (
            "duration_s",
            report
                .duration_ns
                .map(|ns| format!("{:.3}", ns as f64 / 1e9))
                .unwrap_or_default(),
        ),
    ];
    props.retain(|(_, v)| !v.is_empty());
    let _ = writeln!(out, "    <properties>");
    for (name, value) in props {
        let _ = writeln!(
            out,
            "      <property name=\"{name}\" value=\"{}\"/>",
            escape(&value)
        );
    }
    let _ = writeln!(out, "    </properties>");
}

fn testcase(out: &mut String, t: &TestReport) {
    let _ = write!(
        out,
        "    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\"",
        escape(&format!("{}.{}", t.package, t.target)),
        escape(&t.name),
        t.wall_ns as f64 / 1e9
    );
    let mut body = String::new();
    if t.status == Status::Error {
        let message = t
            .error
            .as_deref()
            .unwrap_or("the test could not be measured");
        let _ = writeln!(
            body,
            "      <error type=\"error\" message=\"{}\">{}</error>",
            escape(message.lines().next().unwrap_or("")),
            escape(message)
        );
    }
    for check in t.thresholds.iter().filter(|c| !c.passed) {
        let text = threshold_text(check);
        let _ = writeln!(
            body,
            "      <failure type=\"threshold\" message=\"threshold failed: {}\">{}</failure>",
            escape(&text),
            escape(&text)
        );
    }
    if let Some(c) = t
        .comparison
        .as_ref()
        .filter(|c| c.verdict == Verdict::Regressed)
    {
        let figures = match (c.baseline, c.current) {
            (Some(b), Some(h)) => format!(
                "{}: {} → {}",
                c.metric,
                metric_value(&c.metric, b),
                metric_value(&c.metric, h)
            ),
            _ => c.metric.clone(),
        };
        let severity = c
            .severity
            .map(|s| format!(", {}", s.name()))
            .unwrap_or_default();
        let text = format!("regressed {} ({figures}{severity})", change_text(c));
        let _ = writeln!(
            body,
            "      <failure type=\"regression\" message=\"{}\">{}</failure>",
            escape(&text),
            escape(&text)
        );
    }
    let mut said: Vec<String> = Vec::new();
    if let Some(c) = &t.comparison {
        said.push(format!("verdict: {} {}", verdict_text(c), change_text(c)));
    }
    if let Some(n) = t.metrics.instructions_per_iter {
        said.push(format!(
            "instructions_per_iter: {}",
            metric_value("instructions_per_iter", n)
        ));
    }
    if !said.is_empty() {
        let _ = writeln!(
            body,
            "      <system-out>{}</system-out>",
            escape(&said.join("\n"))
        );
    }
    if body.is_empty() {
        let _ = writeln!(out, "/>");
    } else {
        let _ = writeln!(out, ">\n{body}    </testcase>");
    }
}

/// (testcases with at least one failure, testcases with an error)
fn counts(tests: &[&TestReport]) -> (usize, usize) {
    let errors = tests.iter().filter(|t| t.status == Status::Error).count();
    let failures = tests
        .iter()
        .filter(|t| t.status != Status::Error)
        .filter(|t| {
            t.thresholds.iter().any(|c| !c.passed)
                || t.comparison
                    .as_ref()
                    .is_some_and(|c| c.verdict == Verdict::Regressed)
        })
        .count();
    (failures, errors)
}

fn seconds(tests: &[&TestReport]) -> String {
    format!(
        "{:.3}",
        tests.iter().map(|t| t.wall_ns).sum::<u64>() as f64 / 1e9
    )
}

/// Text for an XML attribute or element: the five entities escaped, and characters XML 1.0
/// cannot carry at all (most control characters) replaced by U+FFFD.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests;
