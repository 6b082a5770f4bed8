//! A report with one test of every outcome, for the renderers' tests.

use crate::cli::model::{
    BaselineRef, Comparison, MachineInfo, MetricChange, Report, Severity, Status, Summary,
    TestReport, Verdict,
};
use crate::cli::testing;
use crate::metrics::Metrics;
use crate::threshold::{Op, ThresholdCheck};

pub const HEAD: &str = "aaaaaaa1111111111111111111111111111111111";
pub const BASE: &str = "bbbbbbb2222222222222222222222222222222222";

fn test(name: &str, median: f64, verdict: Option<(Verdict, f64, f64)>) -> TestReport {
    let t = testing::bench(&format!("pkg/perf/{name}"))
        .median(median)
        .wall_ns(2_500_000_000);
    let Some((verdict, base, change)) = verdict else {
        return t.build();
    };
    let known = verdict != Verdict::New;
    t.comparison(Comparison {
        baseline_commit: Some(BASE.into()),
        baseline: known.then_some(base),
        current: Some(median),
        change: known.then_some(change),
        ci: known.then_some([change - 0.02, change + 0.02]),
        // The 5 % threshold: +30 % is 6x it, -20 % 4x.
        severity: Severity::of(verdict, change.abs() / 0.05),
        ..testing::comparison(verdict)
    })
    .build()
}

/// Tests in a deliberately jumbled order.
pub fn report() -> Report {
    let mut failed = test("sort/100", 3.1e6, Some((Verdict::Unchanged, 3.0e6, 0.01)));
    failed.status = Status::Failed;
    failed.thresholds = vec![ThresholdCheck {
        metric: "p99_ns".into(),
        op: Op::Lt,
        limit: 2e6,
        actual: Some(3.1e6),
        passed: false,
        note: None,
        ci: None,
    }];
    let mut broken = test("parse <a|b> & \"c\"", 0.0, None);
    broken.status = Status::Error;
    broken.metrics = Metrics::default();
    broken.error = Some("panicked at 'x < y' | </details>\nsecond line\u{1}".into());
    let mut slow = test("slow_now", 1300.0, Some((Verdict::Regressed, 1000.0, 0.30)));
    if let Some(c) = slow.comparison.as_mut() {
        let change = |metric: &str, baseline: f64, current: f64, verdict, severity| MetricChange {
            metric: metric.into(),
            baseline,
            current,
            change: Some(current / baseline - 1.0),
            ci: None,
            verdict,
            severity,
        };
        c.metrics = vec![
            change("median_ns", 1000.0, 1300.0, Verdict::Regressed, c.severity),
            change("allocs_per_iter", 4.0, 4.0, Verdict::Unchanged, None),
        ];
    }
    let tests = vec![
        test("zeta", 100.0, Some((Verdict::Unchanged, 101.0, -0.01))),
        test("alpha", 130.0, Some((Verdict::Unchanged, 129.0, 0.008))),
        slow,
        broken,
        test("fresh", 50.0, Some((Verdict::New, 0.0, 0.0))),
        test("fast_now", 800.0, Some((Verdict::Improved, 1000.0, -0.20))),
        failed,
        test(
            "wobbly",
            900.0,
            Some((Verdict::Inconclusive, 1000.0, -0.10)),
        ),
    ];
    Report {
        schema_version: 1,
        tool_version: "0.1.0".into(),
        commit: Some(HEAD.into()),
        dirty: false,
        baseline: BaselineRef {
            commit: Some(BASE.into()),
            reference: Some("main".into()),
        },
        machine: MachineInfo {
            id: "ci-box".into(),
            cpu: "AMD EPYC <7B13>".into(),
            cores: 2,
            os: "Linux".into(),
            arch: "x86_64".into(),
        },
        summary: Summary {
            total: 8,
            passed: 6,
            failed: 2,
            regressed: 1,
            improved: 1,
            unchanged: 3,
            new: 1,
            inconclusive: 1,
        },
        tests,
        notes: vec!["compared against main".into()],
        started_at: Some("2026-12-02T05:00:00Z".into()),
        duration_ns: Some(83_500_000_000),
        growth: Vec::new(),
        requirements: Vec::new(),
        perf_profile: None,
        segment: None,
        shard: None,
    }
}
