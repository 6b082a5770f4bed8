//! The one wording table of the reports: a metric's value in its unit, a verdict's label, a
//! threshold check as a sentence, a commit shortened, and the order a reader sees tests in.
//! Every renderer (human, Markdown, JUnit, history, baseline) says these things through here.

use crate::cli::model::{Comparison, Status, TestReport, Verdict};
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

/// `unchanged`, or `unchanged, deterministic (instructions)` when the comparison says how it
/// was decided.
pub fn verdict_text(c: &Comparison) -> String {
    match &c.note {
        Some(note) => format!("{}, {note}", verdict_word(c.verdict)),
        None => verdict_word(c.verdict).to_owned(),
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

/// How bad a test's outcome is, worst first: used to order reports stably.
pub fn severity(t: &TestReport) -> u8 {
    match (t.status, t.comparison.as_ref().map(|c| c.verdict)) {
        (Status::Error, _) => 0,
        (Status::Failed, _) => 1,
        (_, Some(Verdict::Regressed)) => 2,
        (_, Some(Verdict::Improved)) => 3,
        (_, Some(Verdict::Inconclusive)) => 4,
        (_, Some(Verdict::New)) => 5,
        _ => 6,
    }
}

/// Whether a test belongs among the "changed" ones a reader must see first.
pub fn is_changed(t: &TestReport) -> bool {
    severity(t) <= 3
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
