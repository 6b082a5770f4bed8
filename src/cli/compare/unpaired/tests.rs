//! Verdict rules on hand-made reports, and the false-alarm and detection rates on simulated
//! noise (seeded, so every run sees the same draws).

use std::collections::BTreeMap;

use super::*;
use crate::metrics::{CustomMetric, Metrics};
use crate::stats::XorShift64;

fn bench(id: &str, process_medians: &[f64]) -> TestReport {
    crate::cli::testing::bench(id)
        .processes(process_medians)
        .build()
}

fn noisy(rng: &mut XorShift64, center: f64, sigma: f64, n: usize) -> Vec<f64> {
    (0..n)
        .map(|_| center * (sigma * rng.normal()).exp())
        .collect()
}

fn verdicts(base: &[TestReport], head: &[TestReport], opts: &CompareOptions) -> Vec<Verdict> {
    let mut head = head.to_vec();
    apply(base, &mut head, &BTreeMap::new(), Some("b"), opts)
        .into_iter()
        .map(|c| c.expect("compared").comparison.verdict)
        .collect()
}

/// The first head test's comparison with `base`, default options.
fn first_comparison(base: &[TestReport], head: &[TestReport]) -> Comparison {
    let mut head = head.to_vec();
    apply(
        base,
        &mut head,
        &BTreeMap::new(),
        None,
        &CompareOptions::default(),
    );
    head[0].comparison.take().expect("compared")
}

/// One simulated suite comparison: `tests` tests with lognormal between-process noise, the
/// first one's true time scaled by `shift` in head.
fn simulate(
    rng: &mut XorShift64,
    tests: usize,
    procs: usize,
    sigma: f64,
    shift: f64,
) -> Vec<Verdict> {
    let mut base = Vec::new();
    let mut head = Vec::new();
    for i in 0..tests {
        let center = 1_000.0 * (i + 1) as f64;
        let id = format!("pkg/perf/t{i}");
        base.push(bench(&id, &noisy(rng, center, sigma, procs)));
        let factor = if i == 0 { shift } else { 1.0 };
        head.push(bench(&id, &noisy(rng, center * factor, sigma, procs)));
    }
    verdicts(&base, &head, &CompareOptions::default())
}

#[test]
fn aa_noise_rarely_flags_anything() {
    let mut rng = XorShift64::new(7);
    let (mut flagged, mut total, mut suites_with_alarm) = (0, 0, 0);
    for _ in 0..200 {
        let v = simulate(&mut rng, 50, 5, 0.03, 1.0);
        let alarms = v
            .iter()
            .filter(|v| matches!(v, Verdict::Regressed | Verdict::Improved))
            .count();
        flagged += alarms;
        total += v.len();
        suites_with_alarm += usize::from(alarms > 0);
    }
    let rate = flagged as f64 / total as f64;
    assert!(rate < 0.01, "A/A false-alarm rate {rate}");
    // Controlled across the suite, not only per test: few suites show any alarm at all.
    assert!(
        suites_with_alarm <= 10,
        "{suites_with_alarm} of 200 suites alarmed"
    );
}

#[test]
fn a_thirty_percent_slowdown_is_always_caught_and_alone() {
    let mut rng = XorShift64::new(11);
    for _ in 0..200 {
        let v = simulate(&mut rng, 50, 5, 0.03, 1.30);
        assert_eq!(v[0], Verdict::Regressed);
        let others = v[1..].iter().filter(|v| **v == Verdict::Regressed).count();
        assert!(others <= 1, "{others} unchanged tests flagged");
    }
}

#[test]
fn a_ten_percent_slowdown_is_caught_at_one_percent_noise() {
    let mut rng = XorShift64::new(13);
    let caught = (0..200)
        .filter(|_| simulate(&mut rng, 50, 5, 0.01, 1.10)[0] == Verdict::Regressed)
        .count();
    assert!(caught >= 190, "caught {caught} of 200");
}

/// Like [`simulate`], with a noise level per test.
fn simulate_mixed(rng: &mut XorShift64, sigmas: &[f64], procs: usize, shift: f64) -> Vec<Verdict> {
    let (mut base, mut head) = (Vec::new(), Vec::new());
    for (i, &sigma) in sigmas.iter().enumerate() {
        let id = format!("pkg/perf/t{i}");
        base.push(bench(&id, &noisy(rng, 1_000.0, sigma, procs)));
        let factor = if i == 0 { shift } else { 1.0 };
        head.push(bench(&id, &noisy(rng, 1_000.0 * factor, sigma, procs)));
    }
    verdicts(&base, &head, &CompareOptions::default())
}

#[test]
fn three_processes_mostly_catch_ten_percent_by_pooling_the_runs_noise() {
    // `--quick`: 3 processes, 2 % between-process noise, a suite of 4 tests (about 93 %
    // with this seed).
    let mut rng = XorShift64::new(17);
    let caught = (0..300)
        .filter(|_| simulate_mixed(&mut rng, &[0.02; 4], 3, 1.10)[0] == Verdict::Regressed)
        .count();
    assert!(caught >= 265, "caught {caught} of 300");
}

#[test]
fn one_noisy_test_among_quiet_ones_does_not_borrow_their_confidence() {
    // Test 0 is 16× noisier than the nine others; pooling must not make it alarm.
    let mut sigmas = vec![0.005; 10];
    sigmas[0] = 0.08;
    let mut rng = XorShift64::new(19);
    let alarms = (0..500)
        .filter(|_| {
            matches!(
                simulate_mixed(&mut rng, &sigmas, 3, 1.0)[0],
                Verdict::Regressed | Verdict::Improved
            )
        })
        .count();
    assert!(alarms <= 10, "{alarms} false alarms in 500");
}

#[test]
fn a_significant_change_below_the_threshold_is_not_flagged() {
    // 2 % slower with almost no noise: real, but smaller than the 5 % threshold.
    let base = [bench("p/t/a", &[100.0, 100.1, 99.9, 100.0])];
    let head = [bench("p/t/a", &[102.0, 102.1, 101.9, 102.0])];
    assert_eq!(
        verdicts(&base, &head, &CompareOptions::default()),
        [Verdict::Unchanged]
    );
    let strict = CompareOptions {
        threshold: 0.01,
        ..CompareOptions::default()
    };
    assert_eq!(verdicts(&base, &head, &strict), [Verdict::Regressed]);
}

#[test]
fn change_and_interval_are_reported_as_fractions() {
    let base = [bench("p/t/a", &[100.0, 101.0, 99.0, 100.0])];
    let head = [bench("p/t/a", &[80.0, 80.8, 79.2, 80.0])];
    let mut head = head.to_vec();
    let out = apply(
        &base,
        &mut head,
        &BTreeMap::new(),
        Some("abc"),
        &CompareOptions::default(),
    );
    let c = &head[0].comparison.as_ref().unwrap();
    assert_eq!(c.verdict, Verdict::Improved);
    assert_eq!(c.metric, "median_ns");
    assert_eq!(c.baseline_commit.as_deref(), Some("abc"));
    let change = c.change.unwrap();
    assert!((change + 0.2).abs() < 0.005, "{change}");
    let [lo, hi] = c.ci.unwrap();
    assert!(lo < change && change < hi && hi < 0.0, "{lo} {hi}");
    assert_eq!(
        crate::cli::testing::report(head.clone()).summary.improved,
        1
    );
    assert!(out[0].as_ref().unwrap().metrics[0].p_value.unwrap() < 0.001);
}

#[test]
fn too_few_or_too_noisy_processes_are_inconclusive() {
    let base = [bench("p/t/a", &[100.0, 140.0, 70.0])];
    let head = [bench("p/t/a", &[110.0, 160.0, 75.0])];
    assert_eq!(
        verdicts(&base, &head, &CompareOptions::default()),
        [Verdict::Inconclusive]
    );
    let single = [bench("p/t/a", &[100.0])];
    let single_head = [bench("p/t/a", &[150.0])];
    assert_eq!(
        verdicts(&single, &single_head, &CompareOptions::default()),
        [Verdict::Inconclusive]
    );
}

#[test]
fn single_processes_fall_back_to_their_bootstrap_intervals() {
    let mut base = bench("p/t/a", &[100.0]);
    base.median_ci_ns = Some([99.5, 100.5]);
    let mut head = bench("p/t/a", &[130.0]);
    head.median_ci_ns = Some([129.4, 130.6]);
    assert_eq!(
        verdicts(&[base], &[head], &CompareOptions::default()),
        [Verdict::Regressed]
    );
}

#[test]
fn tests_missing_from_the_baseline_are_new_and_errors_are_not_compared() {
    let base = [bench("p/t/a", &[100.0, 101.0])];
    let mut broken = bench("p/t/a", &[100.0, 101.0]);
    broken.status = Status::Error;
    let head = [broken, bench("p/t/b", &[100.0, 101.0])];
    let mut head = head.to_vec();
    let out = apply(
        &base,
        &mut head,
        &BTreeMap::new(),
        None,
        &CompareOptions::default(),
    );
    assert!(out[0].is_none() && head[0].comparison.is_none());
    let new = head[1].comparison.as_ref().unwrap();
    assert_eq!(new.verdict, Verdict::New);
    assert_eq!(new.baseline, None);
    assert_eq!(new.current, Some(101.0));
    let summary = crate::cli::testing::report(head.clone()).summary;
    assert_eq!((summary.new, summary.regressed), (1, 0));
}

#[test]
fn a_tests_own_noise_overrides_the_threshold() {
    let base = [bench("p/t/a", &[100.0, 100.2, 99.8, 100.0])];
    let head = [bench("p/t/a", &[108.0, 108.2, 107.8, 108.0])];
    let mut noise = BTreeMap::new();
    noise.insert("p/t/a".to_owned(), 0.10);
    let mut h = head.to_vec();
    apply(&base, &mut h, &noise, None, &CompareOptions::default());
    assert_ne!(
        h[0].comparison.as_ref().unwrap().verdict,
        Verdict::Regressed
    );
    assert_eq!(
        verdicts(&base, &head, &CompareOptions::default()),
        [Verdict::Regressed]
    );
}

#[test]
fn one_more_allocation_per_iteration_is_a_regression_even_at_equal_speed() {
    let with_allocs = |t: TestReport, allocs: f64| {
        let mut t = t;
        t.metrics.allocs_per_iter = Some(allocs);
        for p in &mut t.processes {
            p.allocs_per_iter = Some(allocs);
        }
        t
    };
    let base = [with_allocs(bench("p/t/a", &[100.0, 100.5, 99.5]), 2.0)];
    let head = [with_allocs(bench("p/t/a", &[100.2, 100.4, 99.6]), 3.0)];
    let c = first_comparison(&base, &head);
    assert_eq!(c.verdict, Verdict::Regressed);
    assert_eq!(c.metric, "allocs_per_iter");
    assert_eq!((c.baseline, c.current), (Some(2.0), Some(3.0)));
    // Half an allocation more (a noisy average) is not enough.
    let head = [with_allocs(bench("p/t/a", &[100.2, 100.4, 99.6]), 2.5)];
    assert_ne!(
        verdicts(&base, &head, &CompareOptions::default()),
        [Verdict::Regressed]
    );
}

fn load(id: &str, p99: &[f64], throughput: &[f64]) -> TestReport {
    let mut t = bench(id, p99);
    t.kind = TestKind::Load;
    t.metrics = Metrics {
        p99_ns: Some(p99[0]),
        throughput_per_sec: Some(throughput[0]),
        success_rate: Some(100.0),
        ..Metrics::default()
    };
    t.processes = p99
        .iter()
        .zip(throughput)
        .map(|(&p, &r)| Metrics {
            p99_ns: Some(p),
            throughput_per_sec: Some(r),
            success_rate: Some(100.0),
            ..Metrics::default()
        })
        .collect();
    t
}

/// `t` with operations `read` and `write`, whose per-process p99s are these.
fn with_operations(mut t: TestReport, read_p99: &[f64], write_p99: &[f64]) -> TestReport {
    let op = |name: &str, p99: &[f64]| crate::cli::model::OperationReport {
        name: name.into(),
        metrics: Metrics {
            p99_ns: stats::mean(p99),
            throughput_per_sec: Some(500.0),
            success_rate: Some(100.0),
            ..Metrics::default()
        },
        processes: p99
            .iter()
            .map(|&p| Metrics {
                p99_ns: Some(p),
                throughput_per_sec: Some(500.0),
                success_rate: Some(100.0),
                ..Metrics::default()
            })
            .collect(),
        comparison: None,
    };
    t.operations = vec![op("read", read_p99), op("write", write_p99)];
    t
}

#[test]
fn each_operation_of_a_mix_is_compared_like_the_test() {
    let headline = |id| load(id, &[1e6, 1.01e6, 0.99e6], &[1000.0, 1010.0, 990.0]);
    let base = [with_operations(
        headline("p/t/mix"),
        &[1e6, 1.01e6, 0.99e6],
        &[1e7, 1.01e7, 0.99e7],
    )];
    // The headline holds; reads got 30 % slower, writes stayed put.
    let mut head = vec![with_operations(
        headline("p/t/mix"),
        &[1.3e6, 1.31e6, 1.29e6],
        &[1e7, 1.01e7, 0.99e7],
    )];
    apply(
        &base,
        &mut head,
        &BTreeMap::new(),
        Some("b"),
        &CompareOptions::default(),
    );
    let test = head[0].comparison.as_ref().unwrap();
    assert_eq!(
        (test.verdict, test.metric.as_str()),
        (Verdict::Regressed, "p99_ns[read]"),
        "an operation's regression is the test's"
    );
    let read = head[0].operations[0].comparison.as_ref().unwrap();
    assert_eq!(
        (read.verdict, read.metric.as_str()),
        (Verdict::Regressed, "p99_ns[read]")
    );
    assert!((read.change.unwrap() - 0.3).abs() < 0.02, "{read:?}");
    let write = head[0].operations[1].comparison.as_ref().unwrap();
    assert_eq!(write.verdict, Verdict::Unchanged, "{write:?}");
    // Noise of the same size as the base's is no verdict.
    let mut same = vec![with_operations(
        headline("p/t/mix"),
        &[1.01e6, 0.99e6, 1e6],
        &[0.99e7, 1e7, 1.01e7],
    )];
    apply(
        &base,
        &mut same,
        &BTreeMap::new(),
        Some("b"),
        &CompareOptions::default(),
    );
    assert_ne!(
        same[0].comparison.as_ref().unwrap().verdict,
        Verdict::Regressed
    );
    // The store keeps figures, not verdicts.
    assert!(head[0].as_stored().operations[0].comparison.is_none());
}

#[test]
fn load_tests_compare_latency_and_throughput_by_direction() {
    let base = [load(
        "p/t/l",
        &[1e6, 1.01e6, 0.99e6],
        &[1000.0, 1010.0, 990.0],
    )];
    // Same latency, 20 % less throughput: worse.
    let slower = [load(
        "p/t/l",
        &[1e6, 1.01e6, 0.99e6],
        &[800.0, 808.0, 792.0],
    )];
    let c = first_comparison(&base, &slower);
    assert_eq!(
        (c.verdict, c.metric.as_str()),
        (Verdict::Regressed, "throughput_per_sec")
    );
    assert!(c.change.unwrap() < -0.15);
    // 20 % more throughput: better.
    let faster = [load(
        "p/t/l",
        &[1e6, 1.01e6, 0.99e6],
        &[1200.0, 1212.0, 1188.0],
    )];
    assert_eq!(
        verdicts(&base, &faster, &CompareOptions::default()),
        [Verdict::Improved]
    );
    // A worse p99 wins over a better throughput: a regression is never hidden.
    let mixed = [load(
        "p/t/l",
        &[1.5e6, 1.51e6, 1.49e6],
        &[1200.0, 1212.0, 1188.0],
    )];
    assert_eq!(
        verdicts(&base, &mixed, &CompareOptions::default()),
        [Verdict::Regressed]
    );
}

#[test]
fn custom_metrics_follow_their_direction() {
    let with_metric = |v: f64, direction| {
        let mut t = bench("p/t/a", &[100.0, 100.1, 99.9]);
        t.custom = vec![CustomMetric {
            name: "ratio".into(),
            value: v,
            direction,
        }];
        t
    };
    let up = |d| {
        verdicts(
            &[with_metric(2.0, d)],
            &[with_metric(2.5, d)],
            &CompareOptions::default(),
        )
    };
    assert_eq!(up(Direction::HigherIsBetter), [Verdict::Improved]);
    assert_eq!(up(Direction::LowerIsBetter), [Verdict::Regressed]);
    let same = verdicts(
        &[with_metric(2.0, Direction::LowerIsBetter)],
        &[with_metric(2.0, Direction::LowerIsBetter)],
        &CompareOptions::default(),
    );
    assert_eq!(same, [Verdict::Unchanged]);
}

/// A Valgrind-mode test: instruction counts per process, no timing.
fn counted(id: &str, per_process: &[f64]) -> TestReport {
    let mut t = crate::cli::testing::bench(id).build();
    t.processes = per_process
        .iter()
        .map(|&n| Metrics {
            instructions_per_iter: Some(n),
            ..Metrics::default()
        })
        .collect();
    t.metrics = Metrics {
        instructions_per_iter: crate::stats::median(per_process),
        ..Metrics::default()
    };
    t
}

#[test]
fn instruction_counts_are_exact_figures_with_a_tiny_threshold() {
    let compare = |base: &[f64], head: &[f64]| {
        let mut heads = vec![counted("p/t/a", head)];
        let results = apply(
            &[counted("p/t/a", base)],
            &mut heads,
            &BTreeMap::new(),
            Some("b"),
            &CompareOptions::default(),
        );
        results[0].clone().expect("compared").comparison
    };
    // 1 % more instructions: a regression at any noise threshold, with the note.
    let c = compare(&[7013.0, 7013.0], &[7083.0, 7083.0]);
    assert_eq!(c.verdict, Verdict::Regressed);
    assert_eq!(c.metric, "instructions_per_iter");
    assert_eq!(c.note.as_deref(), Some(DETERMINISTIC_NOTE));
    assert!((c.change.unwrap() - 70.0 / 7013.0).abs() < 1e-12);
    assert_eq!(c.ci, None, "an exact figure has no interval");
    // 0.5 % fewer: an improvement, though far below the 5 % timing threshold.
    let c = compare(&[7013.0], &[6978.0]);
    assert_eq!(c.verdict, Verdict::Improved);
    // Identical counts, and a 0.1 % wobble: unchanged.
    assert_eq!(compare(&[7013.0], &[7013.0]).verdict, Verdict::Unchanged);
    assert_eq!(compare(&[7013.0], &[7020.0]).verdict, Verdict::Unchanged);
    // Processes that disagree by 1 % (counts that are not deterministic after all) widen
    // the threshold to twice that: a 1 % change is then no longer claimed.
    let c = compare(&[7000.0, 7070.0], &[7070.0, 7140.0]);
    assert_eq!(c.verdict, Verdict::Unchanged, "{c:?}");
}
