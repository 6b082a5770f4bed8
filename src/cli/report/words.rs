//! The one wording table of the reports: a metric's value in its unit, a verdict's label, a
//! threshold check as a sentence, a commit shortened, and the order a reader sees tests in.
//! Every renderer (human, Markdown, JUnit, history, baseline) says these things through here.

use crate::cli::model::{Comparison, Report, Severity, Status, TestReport, Verdict};
use crate::format;
use crate::metrics::{Metric, MetricUnit};
use crate::threshold::ThresholdCheck;

/// `1.20 µs`, `4.50K/s`, `99.5%`, `3.00` — by the metric's JSON name.
/// A custom metric's name gives a bare number.
pub fn metric_value(metric: &str, value: f64) -> String {
    match Metric::from_name(metric).map(Metric::unit) {
        Some(MetricUnit::Nanoseconds) => format::duration_ns(value),
        Some(MetricUnit::PerSecond) => format::rate(value),
        Some(MetricUnit::Percent) => format!("{}%", format::sig3(value)),
        Some(MetricUnit::Bytes) => format::bytes(value),
        Some(MetricUnit::Count) | None => format::sig3(value),
    }
}

/// `regressed`, `improved`, ...
pub fn verdict_word(v: Verdict) -> &'static str {
    match v {
        Verdict::Regressed => "regressed",
        Verdict::Improved => "improved",
        Verdict::Unchanged => "unchanged",
        Verdict::Inconclusive => "inconclusive",
        Verdict::New => "new",
    }
}

/// `+30%` or `+30% (+25% … +35%)` when the interval is known.
pub fn change_text(c: &Comparison) -> String {
    match (c.change, c.ci) {
        (Some(change), Some([lo, hi])) => format!(
            "{} ({} … {})",
            format::percent_change(change),
            format::percent_change(lo),
            format::percent_change(hi)
        ),
        (Some(change), None) => format::percent_change(change),
        _ => String::new(),
    }
}

/// `[+1.0%, +5.0%]`: an interval of a relative change.
pub fn interval_text([lo, hi]: [f64; 2]) -> String {
    format!(
        "[{}, {}]",
        format::percent_change(lo),
        format::percent_change(hi)
    )
}

/// `p99_ns < 2.00 ms, was 3.10 ms`.
pub fn threshold_text(t: &ThresholdCheck) -> String {
    let actual = t
        .actual
        .map_or_else(|| "not measured".to_owned(), |a| metric_value(&t.metric, a));
    format!(
        "{} {} {}, was {actual}",
        t.metric,
        t.op.as_str(),
        metric_value(&t.metric, t.limit)
    )
}

/// A threshold as declared: `p99_ns < 2.00 ms`.
pub fn limit_text(t: &ThresholdCheck) -> String {
    format!(
        "{} {} {}",
        t.metric,
        t.op.as_str(),
        metric_value(&t.metric, t.limit)
    )
}

/// How bad a test's outcome is, worst first: the order reports list tests in. Within one
/// verdict the more severe change comes first (critical, major, minor).
pub fn rank(t: &TestReport) -> (u8, std::cmp::Reverse<Option<Severity>>) {
    let outcome = match (t.status, t.comparison.as_ref().map(|c| c.verdict)) {
        (Status::Error, _) => 0,
        (Status::Failed, _) => 1,
        (_, Some(Verdict::Regressed)) => 2,
        (_, Some(Verdict::Improved)) => 3,
        (_, Some(Verdict::Inconclusive)) => 4,
        (_, Some(Verdict::New)) => 5,
        _ => 6,
    };
    let severity = t.comparison.as_ref().and_then(|c| c.severity);
    (outcome, std::cmp::Reverse(severity))
}

/// Whether a test belongs among the "changed" ones a reader must see first.
pub fn is_changed(t: &TestReport) -> bool {
    rank(t).0 <= 3
}

/// A severity's name (`critical`), or nothing when the change has none.
pub fn severity_word(s: Option<Severity>) -> &'static str {
    s.map_or("", Severity::name)
}

/// `2026-12-02 05:00:00 UTC, took 1m 23s`: when the run was and how long it took, as every
/// human-read format says it; `None` when the report knows neither.
pub fn run_time(report: &Report) -> Option<String> {
    let at = report
        .started_at
        .as_deref()
        .map(|t| t.replace('T', " ").replace('Z', " UTC"));
    let took = report
        .duration_ns
        .map(|ns| format!("took {}", format::duration_ns(ns as f64)));
    match (at, took) {
        (Some(at), Some(took)) => Some(format!("{at}, {took}")),
        (at, took) => at.or(took),
    }
}

/// How many characters of a commit id every report shows.
pub const SHORT_COMMIT: usize = 7;

/// The first [`SHORT_COMMIT`] characters of a commit id.
pub fn short(commit: &str) -> &str {
    commit.get(..SHORT_COMMIT).unwrap_or(commit)
}

/// The width of a column: its widest cell or its header, as the terminal shows them.
pub fn width<'a>(header: &str, cells: impl Iterator<Item = &'a String>) -> usize {
    cells
        .map(|c| console::measure_text_width(c))
        .chain([header.len()])
        .max()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::threshold::Op;

    #[test]
    fn values_use_their_metrics_unit() {
        assert_eq!(metric_value("median_ns", 1200.0), "1.20 µs");
        assert_eq!(metric_value("throughput_per_sec", 4500.0), "4.50K/s");
        assert_eq!(metric_value("success_rate", 99.5), "99.5%");
        assert_eq!(metric_value("allocs_per_iter", 3.0), "3.00");
        assert_eq!(metric_value("rss_growth_bytes", 2048.0), "2.00 KiB");
    }

    #[test]
    fn reports_order_the_worse_and_more_severe_first() {
        use crate::cli::testing::{bench, comparison};
        let regressed = |s: Option<Severity>| {
            bench("p/t/x")
                .comparison(Comparison {
                    severity: s,
                    ..comparison(Verdict::Regressed)
                })
                .build()
        };
        let (minor, critical) = (
            regressed(Some(Severity::Minor)),
            regressed(Some(Severity::Critical)),
        );
        let major = regressed(Some(Severity::Major));
        let improved = bench("p/t/y")
            .comparison(Comparison {
                severity: Some(Severity::Critical),
                ..comparison(Verdict::Improved)
            })
            .build();
        let error = bench("p/t/z").error("boom").build();
        let mut ranks = [&improved, &minor, &error, &critical, &major].map(rank);
        ranks.sort();
        assert_eq!(
            ranks,
            [&error, &critical, &major, &minor, &improved].map(rank),
            "errors, then regressions by severity, then improvements"
        );
    }

    #[test]
    fn the_run_time_reads_as_a_date_and_a_duration() {
        let report = crate::cli::report::sample::report();
        assert_eq!(
            run_time(&report).as_deref(),
            Some("2026-12-02 05:00:00 UTC, took 83.5 s")
        );
    }

    #[test]
    fn thresholds_read_as_sentences() {
        let t = ThresholdCheck {
            metric: "p99_ns".into(),
            op: Op::Lt,
            limit: 2e6,
            actual: Some(3.1e6),
            passed: false,
        };
        assert_eq!(threshold_text(&t), "p99_ns < 2.00 ms, was 3.10 ms");
        assert_eq!(limit_text(&t), "p99_ns < 2.00 ms");
        assert_eq!(short("0123456789abcdef"), "0123456");
        assert_eq!(short("abc"), "abc");
    }
}
