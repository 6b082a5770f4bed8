//! The one wording table of the reports: a metric's value in its unit, a verdict's label, a
//! threshold check as a sentence, a commit shortened, and the order a reader sees tests in.
//! Every renderer (human, Markdown, JUnit, history, baseline) says these things through here.

use crate::cli::model::{
    Comparison, Growth, GrowthChange, GrowthFit, Report, Severity, Status, TestReport, Verdict,
};
use crate::format;
use crate::threshold::ThresholdCheck;

/// `1.20 µs`, `4.50K/s`, `99.5%`, `3.00` — by the metric's JSON name (the library's
/// wording, which the harness's own messages use too).
pub fn metric_value(metric: &str, value: f64) -> String {
    crate::metrics::value_text(metric, value)
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

/// `p99_ns < 2.00 ms, was 3.10 ms` (see `ThresholdCheck`'s `Display`).
pub fn threshold_text(t: &ThresholdCheck) -> String {
    t.to_string()
}

/// A threshold as declared: `p99_ns < 2.00 ms`.
pub fn limit_text(t: &ThresholdCheck) -> String {
    t.limit_text()
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

/// `two levels: 9.00 ns in 2 processes, 14.0 ns in 3`; `None` when the processes agree.
pub fn levels_text(t: &TestReport) -> Option<String> {
    if t.levels.len() < 2 {
        return None;
    }
    const COUNTS: [&str; 7] = ["", "one", "two", "three", "four", "five", "six"];
    let count = COUNTS
        .get(t.levels.len())
        .map_or_else(|| t.levels.len().to_string(), |w| w.to_string());
    let parts: Vec<String> = t
        .levels
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let unit = match (i, l.processes) {
                (0, 1) => " process",
                (0, _) => " processes",
                _ => "",
            };
            format!(
                "{} in {}{unit}",
                format::duration_ns(l.median_ns),
                l.processes
            )
        })
        .collect();
    Some(format!("{count} levels: {}", parts.join(", ")))
}

/// `n^1.08 [1.02, 1.12]`: a growth exponent with its 95 % interval.
pub fn growth_fit_text(f: &GrowthFit) -> String {
    format!("n^{:.2} [{:.2}, {:.2}]", f.exponent, f.ci[0], f.ci[1])
}

/// What a family's growth comes to, in one line: `n^1.08 [1.02, 1.12] (median_ns over 4
/// sizes; base n^1.05 [1.01, 1.09])`, a load family's scaling over its concurrency levels,
/// or why there is no fit.
pub fn growth_text(g: &Growth) -> String {
    if let Some(f) = &g.fit {
        let base = g
            .baseline
            .as_ref()
            .map(|b| format!("; base {}", growth_fit_text(b)))
            .unwrap_or_default();
        return format!(
            "{} ({} over {} sizes{base})",
            growth_fit_text(f),
            g.metric,
            f.sizes
        );
    }
    if let Some(first) = g.scaling.first() {
        let join = |f: &dyn Fn(&crate::cli::model::ScalingLevel) -> String| {
            g.scaling.iter().map(f).collect::<Vec<_>>().join(", ")
        };
        return format!(
            "throughput at concurrency {}: {}; scaling efficiency {} (100% = linear from \
             concurrency {})",
            join(&|l| l.concurrency.to_string()),
            join(&|l| format::rate(l.throughput_per_sec)),
            join(&|l| format!("{:.0}%", l.efficiency * 100.0)),
            first.concurrency,
        );
    }
    g.note.clone().unwrap_or_default()
}

/// `growth changed: sort n^1.02 → n^1.51 (steeper)` when the exponent changed against the
/// baseline; `None` otherwise.
pub fn growth_change_text(g: &Growth) -> Option<String> {
    let word = match g.change? {
        GrowthChange::Steeper => "steeper",
        GrowthChange::Flatter => "flatter",
        GrowthChange::Unchanged => return None,
    };
    let (head, base) = (g.fit?, g.baseline?);
    Some(format!(
        "growth changed: {} n^{:.2} → n^{:.2} ({word})",
        g.name, base.exponent, head.exponent
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::threshold::Op;

    #[test]
    fn scaling_reads_levels_throughputs_and_efficiencies() {
        let level = |c: u64, t: f64, e: f64| crate::cli::model::ScalingLevel {
            concurrency: c,
            throughput_per_sec: t,
            efficiency: e,
        };
        let g = Growth {
            family: "p/t/serve".into(),
            name: "serve".into(),
            metric: "throughput_per_sec".into(),
            args: vec!["1".into(), "16".into()],
            fit: None,
            baseline: None,
            change: None,
            scaling: vec![level(1, 1.49e6, 1.0), level(16, 5.66e6, 0.2374)],
            note: None,
        };
        assert_eq!(
            growth_text(&g),
            "throughput at concurrency 1, 16: 1.49M/s, 5.66M/s; scaling efficiency 100%, 24% \
             (100% = linear from concurrency 1)"
        );
        assert_eq!(growth_change_text(&g), None);
    }

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
            note: None,
            ci: None,
        };
        assert_eq!(threshold_text(&t), "p99_ns < 2.00 ms, was 3.10 ms");
        assert_eq!(limit_text(&t), "p99_ns < 2.00 ms");
        // A scoped limit reads in its base metric's unit; an unmeasured one says why.
        let recovery = ThresholdCheck {
            metric: "recovery_time_ns[outage]".into(),
            op: Op::Lt,
            limit: 1e9,
            actual: None,
            passed: false,
            note: Some("the run ended before throughput, p99 and success rate were back".into()),
            ci: None,
        };
        assert_eq!(
            threshold_text(&recovery),
            "recovery_time_ns[outage] < 1.00 s, not measured: the run ended before \
             throughput, p99 and success rate were back"
        );
        let read = ThresholdCheck {
            metric: "p95_ns[op=read,stage=spike]".into(),
            actual: Some(4.2e6),
            note: None,
            ..recovery.clone()
        };
        assert_eq!(
            threshold_text(&read),
            "p95_ns[op=read,stage=spike] < 1.00 s, was 4.20 ms"
        );
        let check = ThresholdCheck {
            metric: "check[recovered]".into(),
            ..recovery
        };
        assert_eq!(threshold_text(&check), "check \"recovered\" failed");
        assert_eq!(limit_text(&check), "check \"recovered\"");
        assert_eq!(short("0123456789abcdef"), "0123456");
        assert_eq!(short("abc"), "abc");
    }

    #[test]
    fn levels_read_as_a_sentence() {
        use crate::cli::model::Level;
        let mut t = crate::cli::testing::bench("p/t/a").build();
        assert_eq!(levels_text(&t), None);
        t.levels = vec![
            Level {
                median_ns: 9.0,
                processes: 2,
            },
            Level {
                median_ns: 14.0,
                processes: 3,
            },
        ];
        assert_eq!(
            levels_text(&t).as_deref(),
            Some("two levels: 9.00 ns in 2 processes, 14.0 ns in 3")
        );
    }
}
