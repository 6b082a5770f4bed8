//! The page's structure: every test appears once with its figures, text from the data is
//! escaped, and the summary table carries the raw values it sorts by.

use super::*;
use crate::cli::compare::history::series;
use crate::cli::compare::CompareOptions;
use crate::cli::model::Verdict;
use crate::cli::store::Record;
use crate::cli::testing;
use crate::protocol::{FaultFigures, LoadDetails, StageFigures, TimelinePoint};

fn stored(commit: &str, time: u64, tests: Vec<TestReport>) -> Record {
    let mut r = Record::new(commit.into(), false, testing::fingerprint("m"), tests);
    r.unix_time = time;
    r.time = crate::cli::store::rfc3339(time);
    r
}

fn bench(name: &str, m: f64) -> TestReport {
    let spread = [0.99, 1.0, 1.01, 1.005, 0.995].map(|f| m * f);
    testing::bench(name).processes(&spread).median(m).build()
}

fn page_of(records: &[Record], verdicts: &[(usize, Verdict)]) -> String {
    let head = records.last().unwrap();
    let mut report = testing::report(head.tests.clone());
    for &(i, v) in verdicts {
        report.tests[i].comparison = testing::bench("x").verdict(v).build().comparison;
    }
    let history = series(records, None, &CompareOptions::default());
    let base = &records[records.len() - 2].tests;
    render(&Page {
        report: &report,
        base,
        history: &history,
        measured_at: &head.time,
    })
}

#[test]
fn every_test_has_a_row_a_section_and_its_charts() {
    let names = ["sort/10", "sort/1000", "parse <a&b>"];
    let records: Vec<Record> = (0..4)
        .map(|c| {
            let tests = names
                .iter()
                .enumerate()
                .map(|(i, n)| bench(n, 100.0 * (i + 1) as f64 * if c == 3 { 1.3 } else { 1.0 }))
                .collect();
            stored(&format!("c{c}"), c as u64, tests)
        })
        .collect();
    let html = page_of(&records, &[(0, Verdict::Regressed)]);
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.trim_end().ends_with("</html>"));
    assert_eq!(html.matches("<section class=\"test\"").count(), names.len());
    assert_eq!(html.matches("<tr><td><a href=\"#t").count(), names.len());
    assert!(
        html.contains("p/t/parse &lt;a&amp;b&gt;"),
        "the name is escaped"
    );
    assert!(!html.contains("parse <a&b>"), "never raw");
    // Per test: the process strip (base and head rows) and the history chart.
    assert!(html.matches("each process: base against head").count() == names.len());
    assert!(html.matches("history over 4 stored commits").count() == names.len());
    assert!(
        html.contains("class=\"regressed\""),
        "the change of c3 is marked"
    );
    assert!(
        html.contains("class=\"ci-band\""),
        "the history has its interval"
    );
    assert!(html.contains("Growth with size") && html.contains("p/t/sort by size"));
    assert!(
        html.contains("<figcaption>p/t/sort</figcaption>"),
        "a family of two sizes has its curve, without a fit"
    );
    assert!(html.contains("chip v-regressed"));
    assert!(html.contains("@media (prefers-color-scheme: dark)"));
    assert!(html.contains("name=\"viewport\""));
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "nothing fetched"
    );
    // The summary sorts numbers by raw value: the median of sort/1000 is 260 ns at c3.
    assert!(html.contains("data-num=\"260\""), "{html}");
}

/// The growth chart's caption is the family's fitted exponent, and a change of exponent
/// against the base is said above the charts.
#[test]
fn growth_curves_are_captioned_with_their_exponent() {
    let sizes = [10.0f64, 100.0, 1000.0];
    let family = |k: f64| -> Vec<TestReport> {
        sizes
            .iter()
            .map(|&n| bench(&format!("sort/{n}"), n.powf(k)))
            .collect()
    };
    let (base, head) = (family(1.0), family(2.0));
    let mut report = testing::report(head);
    report.growth = growth::of(&report.tests, Some(&base));
    let html = render(&Page {
        report: &report,
        base: &base,
        history: &[],
        measured_at: "2026-12-02T05:00:00Z",
    });
    assert!(
        html.contains("<figcaption>sort: n^2.00 [2.00, 2.00] (median_ns over 3 sizes; base n^1.00 [1.00, 1.00])</figcaption>"),
        "{html}"
    );
    assert!(
        html.contains("<li>growth changed: sort n^1.00 → n^2.00 (steeper)</li>"),
        "{html}"
    );
}

#[test]
fn a_load_test_shows_its_timeline_stages_and_histogram() {
    let mut t = testing::bench("p/t/api").build();
    t.kind = crate::protocol::TestKind::Load;
    t.status = Status::Passed;
    t.metrics.p99_ns = Some(2e6);
    t.processes = vec![t.metrics.clone(); 3];
    t.load = Some(LoadDetails {
        timeline_bucket_ns: 1_000_000_000,
        timeline: (0..6)
            .map(|i| TimelinePoint {
                start_ns: i * 1_000_000_000,
                operations: 100,
                failures: 0,
                throughput_per_sec: 100.0 + i as f64,
                p99_ns: Some(1e6),
                ..TimelinePoint::default()
            })
            .collect(),
        stages: vec![
            StageFigures {
                name: "ramp <up>".into(),
                duration_ns: 2_000_000_000,
                ..StageFigures::default()
            },
            StageFigures {
                name: "steady".into(),
                start_ns: 2_000_000_000,
                duration_ns: 4_000_000_000,
                ..StageFigures::default()
            },
        ],
        histogram_ns: vec![[1000, 5], [2000, 9], [40_000, 1]],
        faults: vec![FaultFigures {
            name: "outage".into(),
            start_ns: 3_000_000_000,
            end_ns: 4_000_000_000,
            recovery_time_ns: Some(250_000_000),
            ..FaultFigures::default()
        }],
        ..LoadDetails::default()
    });
    let records = [stored("a", 1, vec![t.clone()]), stored("b", 2, vec![t])];
    let html = page_of(&records, &[]);
    assert_eq!(
        html.matches("load timeline").count(),
        2,
        "throughput and p99"
    );
    assert!(html.contains("class=\"stage s0\"") && html.contains("class=\"stage s1\""));
    assert_eq!(
        html.matches("<rect class=\"fault\"").count(),
        2,
        "the fault window on both timelines"
    );
    assert!(html.contains("fault outage: recovered in 250"));
    assert!(html.contains("ramp &lt;up&gt;") && !html.contains("ramp <up>"));
    assert!(html.contains("latency histogram"));
    assert!(html.contains("<td>steady</td>"), "the stages table");
}

#[test]
fn memory_figures_and_errors_are_shown_escaped() {
    let mut t = bench("alloc", 50.0);
    t.metrics.allocs_per_iter = Some(3.0);
    t.memory = Some(crate::protocol::MemoryDetails {
        rss_peak_bytes: Some(4 << 20),
        ..Default::default()
    });
    let mut broken = testing::bench("p/t/broken").status(Status::Error).build();
    broken.error = Some("panicked at 'x < y & z'".into());
    let records = [
        stored("a", 1, vec![t.clone()]),
        stored("b", 2, vec![t, broken]),
    ];
    let html = page_of(&records, &[]);
    assert!(html.contains("<h3>Memory</h3>"));
    assert!(html.contains("allocations per iteration") && html.contains("4.00 MiB"));
    assert!(
        html.contains("panicked at &apos;x &lt; y &amp; z&apos;"),
        "{html}"
    );
    assert!(html.contains("chip bad\">error"));
}
