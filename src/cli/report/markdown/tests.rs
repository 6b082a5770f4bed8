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
    let details = md.find("<details>").expect("folded section");
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
        "| `pkg/perf/slow_now` | 1.00 µs | 1.30 µs | +30% (+28% … +32%) | 🔴 regressed (median_ns) |"
    );
    let failed = md.lines().find(|l| l.contains("sort/100")).unwrap();
    assert!(
        failed.contains("❌ failed: p99_ns < 2.00 ms, was 3.10 ms"),
        "{failed}"
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
    assert_eq!(md.matches("</details>").count(), 1);
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
