//! What the rounds of an A/B run come to, in the common report model: a compared test (the
//! paired verdict with its rounds), a test only head has (`new`), and each side's own figures
//! as the store keeps them. Figures are merged over processes exactly as `run` merges them.

use std::collections::HashSet;

use super::rounds::TestResult;
use crate::cli::compare::exact::DETERMINISTIC_NOTE;
use crate::cli::compare::primary_metric;
use crate::cli::fingerprint::Fingerprint;
use crate::cli::git;
use crate::cli::model::{
    AbRounds, BaselineRef, Comparison, Report, Severity, Status, TestId, TestReport, Verdict,
};
use crate::cli::run::merge;
use crate::cli::run::runner::Planned;
use crate::cli::store::policy::{self, Session, Side};
use crate::cli::store::Store;
use crate::metrics::Metric;
use crate::protocol::{Measurement, TestInfo};

/// Head's figures of a test, merged, with head's thresholds checked on them.
fn measured(id: &TestId, info: &TestInfo, runs: Vec<Measurement>, check: bool) -> TestReport {
    let mut report = TestReport::new(id, info.kind, info.tags.clone());
    let thresholds = if check { &info.thresholds[..] } else { &[] };
    if let Err(e) = merge::fill(&mut report, thresholds, runs) {
        report.error = Some(e);
    }
    report
}

/// One side's own figures of a test, as the store keeps them (no thresholds, no verdict).
pub fn side(id: &TestId, info: &TestInfo, runs: Vec<Measurement>) -> TestReport {
    measured(id, info, runs, false)
}

/// A test both sides have, judged from its rounds.
pub fn compared(
    id: &TestId,
    info: &TestInfo,
    result: &TestResult,
    head_runs: Vec<Measurement>,
    base_commit: &str,
) -> TestReport {
    let mut report = measured(id, info, head_runs, true);
    report.wall_ns = result.wall_ns;
    if let Some(e) = &result.error {
        report.status = Status::Error;
        report.error = Some(e.clone());
    }
    let base_values: Vec<f64> = result.pairs.iter().map(|p| p.base).collect();
    let head_values: Vec<f64> = result.pairs.iter().map(|p| p.head).collect();
    let est = result.estimate.as_ref();
    let pairs =
        |ps: &[crate::cli::compare::paired::Pair]| ps.iter().map(|p| [p.base, p.head]).collect();
    // A deterministic count was judged exactly, on its medians; a timing on its paired estimate.
    let (metric, change, note) = match result.exact_change {
        Some(change) => (Metric::Instructions, Some(change), Some(DETERMINISTIC_NOTE)),
        None => (primary_metric(info.kind), est.map(|e| e.change()), None),
    };
    report.comparison = Some(Comparison {
        baseline_commit: Some(base_commit.to_string()),
        metric: metric.name().to_string(),
        baseline: crate::stats::median(&base_values),
        current: crate::stats::median(&head_values),
        change,
        ci: est.map(|e| e.ci()),
        verdict: result.verdict,
        could_detect: est.map(|e| e.could_detect),
        rounds: Some(AbRounds {
            pairs: pairs(&result.pairs),
            confirm_pairs: pairs(&result.confirm_pairs),
            p_value: est.map(|e| e.p_value),
            adjusted_p: result.adjusted_p,
            threshold: result.threshold,
            looks: result.looks,
        }),
        severity: severity(result.verdict, change, result.threshold),
        metrics: Vec::new(),
        note: note.map(str::to_string),
        accepted: None,
    });
    report
}

/// The severity of a paired verdict: its change in multiples of the test's threshold.
pub fn severity(verdict: Verdict, change: Option<f64>, threshold: f64) -> Option<Severity> {
    Severity::of(verdict, change.map_or(f64::NAN, |c| c.abs() / threshold))
}

/// What the report names as the baseline: the base's commit, and the ref asked for (A/A:
/// HEAD itself).
pub fn baseline(base_commit: String, asked: Option<&str>, calibrate: bool) -> BaselineRef {
    BaselineRef {
        commit: Some(base_commit),
        reference: match calibrate {
            true => Some("HEAD (calibration)".to_string()),
            false => asked.map(str::to_string),
        },
    }
}

/// A test only head has: measured, thresholds checked, verdict `new`.
pub fn added(
    id: &TestId,
    info: &TestInfo,
    head_runs: Vec<Measurement>,
    error: Option<String>,
) -> TestReport {
    let mut report = measured(id, info, head_runs, true);
    if let Some(e) = error {
        report.status = Status::Error;
        report.error = Some(e);
    }
    report.comparison = Some(crate::cli::compare::new_test(&report, None));
    report
}

/// Saves what the store's policy wants of a session (the [`sides`]; nothing with `--no-save`)
/// and says what was saved in the report's notes.
pub fn save(
    report: &mut Report,
    base: Option<(String, Vec<TestReport>, &[Planned<'_>])>,
    head_plan: &[Planned<'_>],
    session: &Session,
    (fingerprint, asked): (&Fingerprint, Option<bool>),
) {
    if let Some(shard) = &report.shard {
        let note = crate::cli::store::policy::shard_note(shard);
        report.notes.push(note);
        return;
    }
    if asked == Some(false) {
        report
            .notes
            .push("results not saved (ask with --save)".to_string());
        return;
    }
    let sides = sides(base, head_plan, &session.context, asked, report);
    let saved = save_sides(&session.store, fingerprint, sides);
    report.notes.extend(saved);
}

/// Saves each side's results through the store's one policy (so `ab` keeps what `run` keeps:
/// the tests not measured, the `noise` thresholds, the branch). A side with nothing measured
/// is skipped, `ab HEAD`'s second side of the same commit too; tests that errored are left
/// out, so a crash never replaces good figures.
pub fn save_sides(store: &Store, fingerprint: &Fingerprint, sides: Vec<Side>) -> Vec<String> {
    let mut notes = Vec::new();
    let mut seen = HashSet::new();
    for mut side in sides {
        side.tests.retain(|t| t.status != Status::Error);
        if side.tests.is_empty() || !seen.insert(side.commit.clone()) {
            continue;
        }
        notes.extend(policy::save(store, fingerprint, side));
    }
    notes
}

/// The sides an A/B run saves: the base's figures under its commit (when there is a base),
/// head's under HEAD when the store's policy wants them (a clean tree, or `--save`), each with
/// its tests' own `noise` thresholds.
pub fn sides(
    base: Option<(String, Vec<TestReport>, &[Planned<'_>])>,
    head_plan: &[Planned<'_>],
    context: &git::Context,
    asked: Option<bool>,
    report: &mut Report,
) -> Vec<Side> {
    let noise = crate::cli::run::runner::noise;
    let mut sides = Vec::new();
    if let Some((commit, tests, plan)) = base {
        sides.push(Side {
            commit,
            dirty: false,
            branch: None,
            tests,
            noise: noise(plan),
            perf_profile: report.perf_profile.clone(),
        });
    }
    match &context.commit {
        Some(c) if policy::wanted(asked, context, report) => sides.push(Side {
            commit: c.clone(),
            dirty: context.dirty,
            branch: context.branch.clone(),
            tests: report.tests.clone(),
            noise: noise(head_plan),
            perf_profile: report.perf_profile.clone(),
        }),
        Some(_) => {}
        None => report
            .notes
            .push("head's results not saved: HEAD is not a commit".to_string()),
    }
    sides
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::compare::paired::{self, Pair};
    use crate::cli::model::{FailOn, Report, TestId, Verdict};
    use crate::cli::report::{human, markdown, words::short};
    use crate::cli::testing;
    use crate::metrics::Metrics;
    use crate::protocol::{TestInfo, TestKind};
    use crate::threshold::{Key, Op, Threshold};

    struct Subject {
        id: TestId,
        info: TestInfo,
    }

    fn paired(name: &str) -> Subject {
        Subject {
            id: TestId::new("demo", "perf", name),
            info: testing::info(name, TestKind::Bench),
        }
    }

    fn result(shift: f64, verdict: Verdict) -> TestResult {
        let pairs: Vec<Pair> = (0..12)
            .map(|i| Pair {
                base: 1000.0 + i as f64,
                head: (1000.0 + i as f64) * (1.0 + shift) + if i % 2 == 0 { 1.0 } else { -1.0 },
            })
            .collect();
        TestResult {
            estimate: paired::estimate(&paired::log_ratios(&pairs), 0.05),
            pairs,
            confirm_pairs: vec![],
            adjusted_p: Some(0.001),
            verdict,
            error: None,
            threshold: 0.02,
            wall_ns: 5,
            exact_change: None,
            looks: Some(4),
        }
    }

    fn runs(medians: &[f64]) -> Vec<Measurement> {
        medians
            .iter()
            .map(|&m| {
                testing::measurement(Metrics {
                    median_ns: Some(m),
                    min_ns: Some(m * 0.9),
                    max_ns: Some(m * 1.5),
                    ..Metrics::default()
                })
            })
            .collect()
    }

    fn report(tests: Vec<TestReport>) -> Report {
        let mut r = testing::report(tests);
        r.commit = Some("b".repeat(40));
        r.baseline.commit = Some("a".repeat(40));
        r.baseline.reference = Some("main".into());
        r.notes = vec!["only in base (removed or renamed): demo/perf/gone".into()];
        r.finish()
    }

    fn side_of(commit: &str, tests: Vec<TestReport>) -> Side {
        Side {
            commit: commit.into(),
            dirty: false,
            branch: None,
            tests,
            noise: Default::default(),
            perf_profile: None,
        }
    }

    fn stored(id: &str, median: f64) -> TestReport {
        testing::bench(id).median(median).build()
    }

    #[test]
    fn both_sides_are_saved_under_their_commits_and_merged_with_earlier_records() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let fp = testing::fingerprint("m");
        let (base, head) = ("a".repeat(40), "b".repeat(40));
        let notes = save_sides(
            &store,
            &fp,
            vec![
                side_of(&base, vec![stored("p/t/x", 100.0), stored("p/t/gone", 5.0)]),
                side_of(&head, vec![stored("p/t/x", 108.0)]),
            ],
        );
        assert_eq!(notes.len(), 2, "{notes:?}");
        let b = store.load("m", &base).unwrap().unwrap();
        assert_eq!(b.tests.len(), 2);
        let h = store.load("m", &head).unwrap().unwrap();
        assert_eq!(h.tests[0].metrics.median_ns, Some(108.0));

        // A later filtered run of the base keeps the test it did not run.
        save_sides(
            &store,
            &fp,
            vec![side_of(&base, vec![stored("p/t/x", 101.0)])],
        );
        let b = store.load("m", &base).unwrap().unwrap();
        let ids: Vec<&str> = b.tests.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, ["p/t/gone", "p/t/x"]);
        assert_eq!(b.tests[1].metrics.median_ns, Some(101.0));
    }

    #[test]
    fn the_same_commit_twice_is_saved_once_and_errored_tests_are_left_out() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let c = "c".repeat(40);
        let broken = testing::bench("p/t/broken").error("crashed").build();
        let notes = save_sides(
            &store,
            &testing::fingerprint("m"),
            vec![
                side_of(&c, vec![stored("p/t/x", 1.0), broken]),
                side_of(&c, vec![stored("p/t/x", 2.0)]),
            ],
        );
        assert_eq!(notes.len(), 1, "{notes:?}");
        let r = store.load("m", &c).unwrap().unwrap();
        assert_eq!(r.tests.len(), 1);
        assert_eq!(r.tests[0].metrics.median_ns, Some(1.0));
    }

    /// `ab` once saved records without the `noise` map and `branch` that `run` keeps, so a
    /// record `ab` replaced lost them. Both now go through `store::policy::save`.
    #[test]
    fn an_ab_save_keeps_noise_and_branch() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let fp = testing::fingerprint("m");
        let c = "d".repeat(40);
        // What `run` saved earlier at this commit, on branch `main`, with a noisy test.
        let mut earlier = side_of(&c, vec![stored("p/t/x", 1.0), stored("p/t/y", 2.0)]);
        earlier.branch = Some("main".into());
        earlier.noise.insert("p/t/y".into(), 0.2);
        policy::save(&store, &fp, earlier);
        // `ab` measures x again as its base (no branch known for a base commit).
        let mut again = side_of(&c, vec![stored("p/t/x", 1.5)]);
        again.noise.insert("p/t/x".into(), 0.1);
        save_sides(&store, &fp, vec![again]);
        let r = store.load("m", &c).unwrap().unwrap();
        assert_eq!(r.branch.as_deref(), Some("main"));
        assert_eq!(r.noise.get("p/t/y"), Some(&0.2));
        assert_eq!(r.noise.get("p/t/x"), Some(&0.1));
        assert_eq!(r.tests.len(), 2);
        assert!(r.tests.iter().all(|t| t.comparison.is_none()));
    }

    #[test]
    fn head_figures_are_merged_like_runs_with_extremes_for_min_and_max() {
        let t = compared(
            &paired("x").id,
            &paired("x").info,
            &result(0.0, Verdict::Unchanged),
            runs(&[10.0, 30.0, 20.0]),
            "a",
        );
        assert_eq!(t.metrics.median_ns, Some(20.0));
        assert_eq!(t.metrics.min_ns, Some(9.0), "the smallest minimum");
        assert_eq!(t.metrics.max_ns, Some(45.0), "the largest maximum");
        assert_eq!(t.processes.len(), 3);
    }

    #[test]
    fn a_compared_test_carries_interval_detectable_change_and_rounds() {
        let r = result(0.08, Verdict::Regressed);
        let t = compared(
            &paired("slow").id,
            &paired("slow").info,
            &r,
            runs(&[1080.0]),
            &"a".repeat(40),
        );
        let c = t.comparison.as_ref().unwrap();
        assert_eq!(c.verdict, Verdict::Regressed);
        assert!((c.change.unwrap() - 0.08).abs() < 0.002);
        let [lo, hi] = c.ci.unwrap();
        assert!(lo <= 0.08 && 0.08 <= hi);
        assert!(c.could_detect.unwrap() > 0.0);
        let rounds = c.rounds.as_ref().unwrap();
        assert_eq!(rounds.pairs.len(), 12);
        assert_eq!(rounds.pairs[0][0], 1000.0);
        assert_eq!(t.status, Status::Passed);
        assert_eq!(t.id, "demo/perf/slow");
        let json = serde_json::to_value(&t).unwrap();
        assert_eq!(
            json["comparison"]["rounds"]["pairs"]
                .as_array()
                .unwrap()
                .len(),
            12
        );
        assert!(json["comparison"]["could_detect"].as_f64().is_some());
    }

    #[test]
    fn thresholds_are_checked_on_head_and_errors_win() {
        let mut limited = paired("limited");
        limited.info.thresholds = vec![Threshold {
            key: Key::P50,
            op: Op::Lt,
            value: 5.0,
        }];
        let t = compared(
            &limited.id,
            &limited.info,
            &result(0.0, Verdict::Unchanged),
            runs(&[1000.0]),
            "a",
        );
        // p50 is absent from the figures, so the check fails.
        assert_eq!(t.status, Status::Failed);
        let mut r = result(0.0, Verdict::Inconclusive);
        r.error = Some("the base process crashed".into());
        let t = compared(
            &paired("boom").id,
            &paired("boom").info,
            &r,
            Vec::new(),
            "a",
        );
        assert_eq!(t.status, Status::Error);
        assert_eq!(t.error.as_deref(), Some("the base process crashed"));
    }

    /// `ab` and `run` once had two Markdown renderers that sorted, folded and shortened
    /// commits differently. Now `ab` is the one renderer's paired column set.
    /// Test `name` compared against base commit `a`, from one round of head at 1 ns.
    fn one_round(name: &str, result: &TestResult) -> TestReport {
        let t = paired(name);
        compared(&t.id, &t.info, result, runs(&[1.0]), "a")
    }

    #[test]
    fn ab_markdown_is_the_one_renderer_with_paired_columns() {
        let r = report(vec![
            one_round("a_same", &result(0.0, Verdict::Unchanged)),
            one_round("z_slow", &result(0.08, Verdict::Regressed)),
            added(
                &paired("fresh").id,
                &paired("fresh").info,
                runs(&[50.0]),
                None,
            ),
        ]);
        let md = markdown::render(&r);
        assert!(md.starts_with(markdown::AB_MARKER), "{md}");
        assert!(md.contains("cargo perf ab: 1 regressed"), "{md}");
        assert!(md.contains("| 95% interval | Could detect |"), "{md}");
        let slow = md.find("`demo/perf/z_slow`").unwrap();
        let details = md.find("<details>").unwrap();
        let fresh = md.find("`demo/perf/fresh`").unwrap();
        let same = md.find("`demo/perf/a_same`").unwrap();
        // The run renderer's order: changed first; new and unchanged tests folded.
        assert!(slow < details && details < fresh && fresh < same, "{md}");
        assert!(md.contains("≥ ") && md.contains("+8.0%"), "{md}");
        // Seven characters of a commit, as everywhere.
        assert!(
            md.contains(&format!("base `{}` (`main`)", "a".repeat(7))),
            "{md}"
        );
        assert!(!md.contains(&"a".repeat(8)), "{md}");
        assert_eq!(short(&"a".repeat(40)).len(), 7);
        assert!(md.contains("`ci-1`") || md.contains("machine `m`"), "{md}");
        assert!(md.contains("> only in base (removed or renamed): demo/perf/gone"));
        assert_eq!(md, markdown::render(&r), "stable");
    }

    #[test]
    fn ab_human_report_and_exit_codes_are_run_s() {
        let r = report(vec![
            one_round("same", &result(0.0, Verdict::Unchanged)),
            one_round("slow", &result(0.08, Verdict::Regressed)),
        ]);
        let text = human::render(&r, false);
        assert!(text.contains("could detect"), "{text}");
        assert!(text.contains("1 regressed"), "{text}");
        assert_eq!(FailOn::default().exit_code(&r), 1);
        let never = FailOn {
            regression: false,
            threshold: false,
            error: false,
            growth: false,
        };
        assert_eq!(never.exit_code(&r), 0);
        let quiet = report(vec![one_round("same", &result(0.0, Verdict::Unchanged))]);
        assert_eq!(FailOn::default().exit_code(&quiet), 0);
    }
}
