//! The PR comment's structure, order and escaping.

use super::*;
use crate::cli::report::sample;

#[test]
fn starts_with_the_marker_and_a_one_line_verdict() {
    let md = render(&sample::report());
    let mut lines = md.lines();
    assert_eq!(lines.next(), Some(MARKER));
    let headline = lines.next().unwrap();
    assert!(headline.starts_with("### 🔴 cargo perf: "), "{headline}");
    for part in [
        "1 regressed",
        "1 failed a threshold",
        "1 errored",
        "1 improved",
        "3 unchanged",
        "1 inconclusive",
        "1 new",
        "(8 tests)",
    ] {
        assert!(headline.contains(part), "{part} missing from {headline}");
    }
}

#[test]
fn changed_tests_come_first_worst_first_and_the_rest_is_folded() {
    let md = render(&sample::report());
    let details = md.find("other tests</summary>").expect("folded section");
    let pos = |name: &str| {
        md.find(&format!("| `pkg/perf/{name}`"))
            .unwrap_or_else(|| panic!("{name} missing:\n{md}"))
    };
    // Changed: error, threshold failure, regression, improvement — in that order.
    let broken = md.find("| `pkg/perf/parse").unwrap();
    assert!(broken < pos("sort/100"));
    assert!(pos("sort/100") < pos("slow_now"));
    assert!(pos("slow_now") < pos("fast_now"));
    assert!(pos("fast_now") < details);
    // Folded: inconclusive, new, then unchanged by name.
    assert!(details < pos("wobbly"));
    assert!(pos("wobbly") < pos("fresh"));
    assert!(pos("fresh") < pos("alpha") && pos("alpha") < pos("zeta"));
    assert!(md.contains("<summary>4 other tests</summary>"));

    let regressed = md.lines().find(|l| l.contains("slow_now")).unwrap();
    assert_eq!(
        regressed,
        "| `pkg/perf/slow_now` | 1.00 µs | 1.30 µs | +30% (+28% … +32%) | 🔴 regressed · critical (median_ns) |"
    );
    let failed = md.lines().find(|l| l.contains("sort/100")).unwrap();
    assert!(
        failed.contains("❌ failed: p99_ns < 2.00 ms, was 3.10 ms"),
        "{failed}"
    );
}

#[test]
fn regressions_are_sorted_by_severity_then_name() {
    use crate::cli::model::Severity;
    let mut report = sample::report();
    let template = report
        .tests
        .iter()
        .find(|t| t.name == "slow_now")
        .unwrap()
        .clone();
    for (name, severity) in [("a_minor", Severity::Minor), ("b_major", Severity::Major)] {
        let mut t = template.clone();
        t.name = name.into();
        t.id = format!("pkg/perf/{name}");
        t.comparison.as_mut().unwrap().severity = Some(severity);
        report.tests.push(t);
    }
    let md = render(&report);
    let pos = |name: &str| md.find(&format!("| `pkg/perf/{name}`")).unwrap();
    assert!(
        pos("slow_now") < pos("b_major"),
        "critical before major:\n{md}"
    );
    assert!(pos("b_major") < pos("a_minor"), "major before minor:\n{md}");
    assert!(
        pos("a_minor") < pos("fast_now"),
        "every regression before improvements"
    );
    let minor = md.lines().find(|l| l.contains("a_minor")).unwrap();
    assert!(
        minor.ends_with("🔴 regressed · minor (median_ns) |"),
        "{minor}"
    );
}

#[test]
fn a_changed_test_folds_every_compared_metric() {
    let md = render(&sample::report());
    let summary = "<details><summary>`pkg/perf/slow_now`: 2 compared metrics</summary>";
    let at = md
        .find(summary)
        .unwrap_or_else(|| panic!("no details of slow_now:\n{md}"));
    let block = &md[at..at + md[at..].find("</details>").unwrap()];
    assert!(
        block.contains("| `median_ns` | 1.00 µs | 1.30 µs | +30% | regressed | critical |"),
        "{block}"
    );
    assert!(
        block.contains("| `allocs_per_iter` | 4.00 | 4.00 | +0.0% | unchanged |  |"),
        "{block}"
    );
    assert!(
        at < md.find("other tests</summary>").unwrap(),
        "under the changed tests, before the folded rest"
    );
    // An improvement compared on one metric only gets its one-row table too.
    assert!(
        md.contains("<summary>`pkg/perf/fast_now`: 1 compared metric</summary>"),
        "{md}"
    );
}

#[test]
fn the_footer_says_when_the_run_was_and_how_long_it_took() {
    let md = render(&sample::report());
    let last = md.trim_end().lines().last().unwrap();
    assert!(
        last.contains("2026-12-02 05:00:00 UTC, took 83.5 s"),
        "{last}"
    );
}

#[test]
fn the_order_does_not_depend_on_the_input_order() {
    let report = sample::report();
    let mut reversed = report.clone();
    reversed.tests.reverse();
    assert_eq!(render(&report), render(&reversed));
}

#[test]
fn commits_and_machine_close_the_comment() {
    let md = render(&sample::report());
    let last = md.trim_end().lines().last().unwrap();
    assert!(last.contains("base `bbbbbbb`"), "{last}");
    assert!(last.contains("head `aaaaaaa`"), "{last}");
    assert!(
        last.contains("`ci-box`") && last.contains("2 cores"),
        "{last}"
    );
    assert!(last.contains("AMD EPYC &lt;7B13&gt;"), "{last}");
    assert!(md.contains("> compared against main"));
}

#[test]
fn test_text_cannot_break_the_table_or_the_markup() {
    let md = render(&sample::report());
    let row = md.lines().find(|l| l.contains("pkg/perf/parse")).unwrap();
    // Every pipe inside the row's text is escaped: the row still has six cell borders.
    let borders = row.matches('|').count() - row.matches("\\|").count();
    assert_eq!(borders, 6, "{row}");
    assert!(row.contains("&lt;/details&gt;"), "{row}");
    assert!(!row.contains("second line"), "only the first line: {row}");
    // The message's `</details>` closes nothing: every fold the comment opens, it closes.
    assert_eq!(
        md.matches("</details>").count(),
        md.matches("<details>").count()
    );
}

#[test]
fn a_quiet_run_says_nothing_changed() {
    let mut report = sample::report();
    report
        .tests
        .retain(|t| t.name == "alpha" || t.name == "zeta");
    report.summary = crate::cli::model::Summary {
        total: 2,
        passed: 2,
        unchanged: 2,
        ..Default::default()
    };
    report.baseline.commit = None;
    let md = render(&report);
    assert!(
        md.contains("### ✅ cargo perf: 2 unchanged (2 tests)"),
        "{md}"
    );
    assert!(md.contains("No test changed."));
    assert!(md.contains("base (no baseline)"));
}

#[test]
fn memory_figures_get_a_folded_table_only_when_present() {
    let plain = render(&sample::report());
    assert!(!plain.contains("<summary>Memory</summary>"), "{plain}");

    let mut report = sample::report();
    report.tests[0].metrics.allocs_per_iter = Some(1.0);
    report.tests[0].metrics.alloc_bytes_per_iter = Some(8000.0);
    report.tests[1].memory = Some(crate::protocol::MemoryDetails {
        leak: Some(crate::protocol::LeakReport {
            bytes_per_iter: Some(1024.0),
            bytes_per_sec: 1e6,
            growth_bytes: 1 << 20,
            confidence: 0.97,
        }),
        ..Default::default()
    });
    let md = render(&report);
    let section = md
        .find("<summary>Memory</summary>")
        .expect("memory section");
    let footer = md.rfind("</details>").unwrap();
    assert!(section < footer);
    let allocating = format!("| `{}` | 1.00 | 8000 |", report.tests[0].name);
    assert!(md.contains(&allocating), "{allocating} missing:\n{md}");
    let leaking = md
        .lines()
        .find(|l| l.starts_with(&format!("| `{}` |", report.tests[1].name)) && l.contains("⚠️"))
        .unwrap_or_else(|| panic!("leak row missing:\n{md}"));
    assert!(leaking.ends_with("⚠️ 1.00 KiB/iter |"), "{leaking}");
}
