//! Scheduling of A/B rounds: which side runs first in each round, when a test has seen enough
//! rounds (sequential looks with stopping when the verdict is clear), how the remaining time
//! budget goes to the tests nearest their threshold, the suite-wide Holm correction, and the
//! optional confirmation of a change with fresh rounds; and the few rounds of a test compared
//! on a deterministic count (instructions), judged exactly.
//!
//! The driver is generic over a [`RoundRunner`] so that the same code runs real processes in
//! `cargo perf ab` and simulated noise in the tests below.

use std::time::Instant;

use crate::cli::compare::exact;
use crate::cli::compare::paired::{self, Pair, PairedEstimate};
use crate::cli::model::Verdict;
use crate::metrics::Metric;
use crate::stats::XorShift64;

/// Which side goes first in each round. Alternating the order cancels drift that is linear over
/// a round; randomising it also makes the labels exchangeable, which the signed-rank test uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Base first in even rounds, head first in odd ones.
    Abba,
    /// A fair coin per round, reproducible from the seed.
    Random { seed: u64 },
}

impl Order {
    pub fn base_first(self, test: usize, round: usize) -> bool {
        match self {
            Order::Abba => round % 2 == 0,
            Order::Random { seed } => XorShift64::coin(seed, ((test as u64) << 32) ^ round as u64),
        }
    }
}

/// How carefully to decide.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// Family-wise false-alarm rate across the whole suite and all looks.
    pub alpha: f64,
    /// Level of the reported interval (0.05 = a 95 % interval).
    pub ci_alpha: f64,
    /// Rounds before the first look; below ~8 the signed-rank test cannot reach small levels.
    pub min_rounds: usize,
    /// Never more rounds than this for one test.
    pub max_rounds: usize,
    /// Re-run a fresh set of rounds for each change before reporting it.
    pub confirm: bool,
    pub order: Order,
    /// The fewest tests the stopping rule divides `alpha` among: a shard sets the suite's
    /// count, so that it stops no earlier than the unsharded suite would, and what it stops
    /// on as significant stays significant under the merge's suite-wide Holm step.
    pub family: usize,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            alpha: 0.02,
            ci_alpha: 0.05,
            min_rounds: 10,
            max_rounds: 120,
            confirm: false,
            order: Order::Abba,
            family: 0,
        }
    }
}

impl Policy {
    /// The round counts at which a test is examined: geometric, so each look adds half again.
    pub fn looks(&self) -> Vec<usize> {
        let mut looks = vec![self.min_rounds.max(2)];
        while let Some(&last) = looks.last() {
            if last >= self.max_rounds {
                break;
            }
            looks.push(((last * 3).div_ceil(2)).min(self.max_rounds));
        }
        looks
    }
}

/// Runs one round of one test: one base process and one head process, in the order given.
pub trait RoundRunner {
    fn run_round(&mut self, test: usize, base_first: bool) -> Result<Pair, String>;
}

/// What the rounds of one test came to.
#[derive(Debug, Clone)]
pub struct TestResult {
    pub pairs: Vec<Pair>,
    /// The fresh rounds run to confirm a change (empty when none were).
    pub confirm_pairs: Vec<Pair>,
    pub estimate: Option<PairedEstimate>,
    /// The p-value corrected for the looks taken and for the other tests (Holm).
    pub adjusted_p: Option<f64>,
    pub verdict: Verdict,
    /// A round failed (a panic, a timeout, a crash): no verdict.
    pub error: Option<String>,
    pub threshold: f64,
    pub wall_ns: u64,
    /// For a test compared on a deterministic count: the relative change of head's median
    /// count over the base's, judged exactly against `threshold` (no estimate, no p-value).
    pub exact_change: Option<f64>,
    /// How many looks the sequential rounds could take (what the raw p-value paid for);
    /// `None` for a test without an estimate.
    pub looks: Option<usize>,
}

struct State {
    pairs: Vec<Pair>,
    next_look: usize,
    done: bool,
    error: Option<String>,
    /// How far the interval reaches past the nearest decision bound, in log units: smaller
    /// means nearer a verdict, so extra rounds go there first.
    distance: f64,
    wall_ns: u64,
}

/// Run every test's rounds and decide. `thresholds[i]` is test `i`'s relative threshold;
/// `deadline` ends the extra rounds (every test always gets its first look).
pub fn run_suite<R: RoundRunner>(
    runner: &mut R,
    thresholds: &[f64],
    policy: &Policy,
    deadline: Option<Instant>,
) -> Vec<TestResult> {
    let looks = policy.looks();
    let tests = thresholds.len();
    // Bonferroni over looks and tests while running: anything it calls significant stays
    // significant after the final Holm step, so stopping early never loses a verdict.
    let loop_alpha = policy.alpha / (looks.len() * tests.max(policy.family).max(1)) as f64;
    let mut states: Vec<State> = (0..tests)
        .map(|_| State {
            pairs: Vec::new(),
            next_look: 0,
            done: false,
            error: None,
            distance: f64::INFINITY,
            wall_ns: 0,
        })
        .collect();

    let mut advance = |i: usize, states: &mut Vec<State>| {
        let s = &mut states[i];
        let target = looks[s.next_look];
        let started = Instant::now();
        while s.pairs.len() < target {
            let round = s.pairs.len();
            match runner.run_round(i, policy.order.base_first(i, round)) {
                Ok(pair) => s.pairs.push(pair),
                Err(e) => {
                    s.error = Some(e);
                    s.done = true;
                    break;
                }
            }
        }
        s.wall_ns += started.elapsed().as_nanos() as u64;
        if s.done {
            return;
        }
        s.next_look += 1;
        let d = paired::log_ratios(&s.pairs);
        match paired::estimate(&d, policy.ci_alpha) {
            Some(est) => {
                let significant = est.p_value <= loop_alpha;
                let verdict = paired::classify(&est, significant, thresholds[i]);
                s.distance = boundary_distance(&est, thresholds[i]);
                s.done = verdict != Verdict::Inconclusive || s.next_look >= looks.len();
            }
            None => s.done = s.next_look >= looks.len(),
        }
    };

    for i in 0..tests {
        advance(i, &mut states);
    }
    loop {
        if deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
        let pick = (0..tests)
            .filter(|&i| !states[i].done)
            .min_by(|&a, &b| states[a].distance.total_cmp(&states[b].distance));
        match pick {
            Some(i) => advance(i, &mut states),
            None => break,
        }
    }

    finish(runner, states, thresholds, policy, looks.len())
}

/// Rounds of a test compared on a deterministic count: the count is the same in every
/// process, so two rounds (one of each order) show it and that it holds still.
pub const EXACT_ROUNDS: usize = 2;

/// Run every test's rounds and decide: a test with `exact[i]` set (compared on its instruction
/// count) gets [`EXACT_ROUNDS`] rounds and the exact comparison at
/// [`exact::INSTRUCTIONS_THRESHOLD`]; the others get [`run_suite`]'s sequential paired rounds at
/// `thresholds[i]`, corrected among themselves.
pub fn run_mixed<R: RoundRunner>(
    runner: &mut R,
    thresholds: &[f64],
    exact: &[bool],
    policy: &Policy,
    deadline: Option<Instant>,
) -> Vec<TestResult> {
    let timed: Vec<usize> = (0..thresholds.len()).filter(|&i| !exact[i]).collect();
    let timed_thresholds: Vec<f64> = timed.iter().map(|&i| thresholds[i]).collect();
    let mut subset = Subset {
        runner: &mut *runner,
        tests: &timed,
    };
    let mut timed_results = run_suite(&mut subset, &timed_thresholds, policy, deadline).into_iter();
    (0..thresholds.len())
        .map(|i| match exact[i] {
            true => run_exact(runner, i, policy.order),
            false => timed_results.next().expect("one result per timed test"),
        })
        .collect()
}

/// The tests `tests` of `runner`, renumbered from 0, for [`run_suite`].
struct Subset<'r, R> {
    runner: &'r mut R,
    tests: &'r [usize],
}

impl<R: RoundRunner> RoundRunner for Subset<'_, R> {
    fn run_round(&mut self, test: usize, base_first: bool) -> Result<Pair, String> {
        self.runner.run_round(self.tests[test], base_first)
    }
}

/// [`EXACT_ROUNDS`] rounds of test `i`, then the exact comparison of the sides' median counts.
fn run_exact<R: RoundRunner>(runner: &mut R, i: usize, order: Order) -> TestResult {
    let started = Instant::now();
    let mut pairs = Vec::with_capacity(EXACT_ROUNDS);
    let mut error = None;
    for round in 0..EXACT_ROUNDS {
        match runner.run_round(i, order.base_first(i, round)) {
            Ok(pair) => pairs.push(pair),
            Err(e) => {
                error = Some(e);
                break;
            }
        }
    }
    let base: Vec<f64> = pairs.iter().map(|p| p.base).collect();
    let head: Vec<f64> = pairs.iter().map(|p| p.head).collect();
    let threshold = exact::min_change(exact::INSTRUCTIONS_THRESHOLD, &base, &head);
    let change = match (crate::stats::median(&base), crate::stats::median(&head)) {
        (Some(b), Some(h)) if b > 0.0 && error.is_none() => Some(h / b - 1.0),
        _ => None,
    };
    let direction = Metric::Instructions.direction();
    TestResult {
        pairs,
        confirm_pairs: Vec::new(),
        estimate: None,
        adjusted_p: None,
        verdict: change.map_or(Verdict::Inconclusive, |c| {
            exact::verdict(c, threshold, direction)
        }),
        error,
        threshold,
        wall_ns: started.elapsed().as_nanos() as u64,
        exact_change: change,
        looks: None,
    }
}

/// The suite's Holm step over `(p_value, looks)` of every judged test: each raw p-value first
/// pays for the looks its test could take (Bonferroni over looks, valid whatever the stopping
/// rule did), then Holm over the tests. `ab` runs it over its tests; `merge` again over every
/// shard's tests, so that the family is the whole suite.
pub fn suite_holm(raw: &[(f64, usize)]) -> Vec<f64> {
    let sequential: Vec<f64> = raw
        .iter()
        .map(|&(p, looks)| (p * looks as f64).min(1.0))
        .collect();
    paired::holm(&sequential)
}

/// A test's verdict from its paired estimate and its suite-wide adjusted p-value (before any
/// confirmation rounds): a change only when significant at `alpha`.
pub fn judge(est: &PairedEstimate, adjusted_p: f64, alpha: f64, threshold: f64) -> Verdict {
    paired::classify(est, adjusted_p <= alpha, threshold)
}

/// How far the interval must still shrink before one of the verdicts is reached.
fn boundary_distance(est: &PairedEstimate, threshold: f64) -> f64 {
    let up = threshold.ln_1p();
    let down = (-threshold).ln_1p();
    let [lo, hi] = est.log_ci;
    // For "unchanged": how far the interval sticks out of ±threshold.
    let to_unchanged = (hi - up).max(down - lo).max(0.0);
    // For a change: how far the interval still reaches back across zero.
    let to_change = if est.log_change >= 0.0 { -lo } else { hi }.max(0.0);
    to_unchanged.min(to_change)
}

fn finish<R: RoundRunner>(
    runner: &mut R,
    states: Vec<State>,
    thresholds: &[f64],
    policy: &Policy,
    looks: usize,
) -> Vec<TestResult> {
    let estimates: Vec<Option<PairedEstimate>> = states
        .iter()
        .map(|s| {
            if s.error.is_some() {
                None
            } else {
                paired::estimate(&paired::log_ratios(&s.pairs), policy.ci_alpha)
            }
        })
        .collect();
    // Holm over the tests that have an estimate; each p first pays for the looks it could take.
    let judged: Vec<usize> = (0..states.len())
        .filter(|&i| estimates[i].is_some())
        .collect();
    let raw: Vec<(f64, usize)> = judged
        .iter()
        .map(|&i| (estimates[i].as_ref().map_or(1.0, |e| e.p_value), looks))
        .collect();
    let adjusted = suite_holm(&raw);
    let mut adjusted_p = vec![None; states.len()];
    for (k, &i) in judged.iter().enumerate() {
        adjusted_p[i] = Some(adjusted[k]);
    }

    let mut results = Vec::with_capacity(states.len());
    for (i, s) in states.into_iter().enumerate() {
        let estimate = estimates[i].clone();
        let mut verdict = match (&estimate, adjusted_p[i]) {
            (Some(est), Some(p)) => judge(est, p, policy.alpha, thresholds[i]),
            _ => Verdict::Inconclusive,
        };
        let mut confirm_pairs = Vec::new();
        let mut error = s.error;
        let mut wall_ns = s.wall_ns;
        if policy.confirm && matches!(verdict, Verdict::Regressed | Verdict::Improved) {
            let started = Instant::now();
            for round in 0..policy.min_rounds {
                let first = policy.order.base_first(i, s.pairs.len() + round);
                match runner.run_round(i, first) {
                    Ok(pair) => confirm_pairs.push(pair),
                    Err(e) => {
                        error = Some(e);
                        break;
                    }
                }
            }
            wall_ns += started.elapsed().as_nanos() as u64;
            verdict = confirmed(verdict, &confirm_pairs, thresholds[i], policy);
        }
        results.push(TestResult {
            pairs: s.pairs,
            confirm_pairs,
            estimate,
            adjusted_p: adjusted_p[i],
            verdict: if error.is_some() {
                Verdict::Inconclusive
            } else {
                verdict
            },
            error,
            threshold: thresholds[i],
            wall_ns,
            exact_change: None,
            looks: adjusted_p[i].map(|_| looks),
        });
    }
    results
}

/// A change stands only when fresh rounds, on their own, show the same change beyond the
/// threshold at the suite's level; otherwise it becomes inconclusive.
fn confirmed(verdict: Verdict, fresh: &[Pair], threshold: f64, policy: &Policy) -> Verdict {
    let Some(est) = paired::estimate(&paired::log_ratios(fresh), policy.ci_alpha) else {
        return Verdict::Inconclusive;
    };
    let again = paired::classify(&est, est.p_value <= policy.alpha, threshold);
    if again == verdict {
        verdict
    } else {
        Verdict::Inconclusive
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A shared, noisy machine: every process's time is `true cost × drift(t) × noise`, where
    /// `t` counts processes (so drift moves between the two halves of a round too), the noise is
    /// log-normal, and now and then a burst slows a process down a lot.
    struct Simulated {
        rng: XorShift64,
        clock: u64,
        shifts: Vec<f64>,
        sigma: f64,
        drift: f64,
        burst_rate: f64,
        fail_test: Option<usize>,
    }

    impl Simulated {
        fn new(seed: u64, shifts: Vec<f64>, sigma: f64, drift: f64) -> Self {
            Simulated {
                rng: XorShift64::new(seed),
                clock: 0,
                shifts,
                sigma,
                drift,
                burst_rate: 0.02,
                fail_test: None,
            }
        }

        fn uniform(&mut self) -> f64 {
            self.rng.uniform()
        }

        fn process(&mut self, cost: f64) -> f64 {
            self.clock += 1;
            let t = self.clock as f64;
            let drift = 1.0 + self.drift * ((t / 37.0).sin() + t / 2000.0);
            let burst = if self.uniform() < self.burst_rate {
                1.0 + 0.5 * self.uniform()
            } else {
                1.0
            };
            cost * drift * burst * (self.sigma * self.rng.normal()).exp()
        }
    }

    impl RoundRunner for Simulated {
        fn run_round(&mut self, test: usize, base_first: bool) -> Result<Pair, String> {
            if self.fail_test == Some(test) {
                return Err("the head process panicked".into());
            }
            let base_cost = 1000.0 * (test + 1) as f64;
            let head_cost = base_cost * (1.0 + self.shifts[test]);
            Ok(if base_first {
                let base = self.process(base_cost);
                Pair {
                    base,
                    head: self.process(head_cost),
                }
            } else {
                let head = self.process(head_cost);
                Pair {
                    base: self.process(base_cost),
                    head,
                }
            })
        }
    }

    const THRESHOLD: f64 = 0.02;

    fn suite(
        seed: u64,
        shifts: Vec<f64>,
        sigma: f64,
        drift: f64,
        policy: &Policy,
    ) -> Vec<TestResult> {
        let n = shifts.len();
        let mut sim = Simulated::new(seed, shifts, sigma, drift);
        run_suite(&mut sim, &vec![THRESHOLD; n], policy, None)
    }

    fn random_order(seed: u64) -> Policy {
        Policy {
            order: Order::Random { seed },
            ..Policy::default()
        }
    }

    #[test]
    fn looks_grow_geometrically_up_to_the_cap() {
        let p = Policy::default();
        assert_eq!(p.looks(), vec![10, 15, 23, 35, 53, 80, 120]);
        let tiny = Policy {
            min_rounds: 10,
            max_rounds: 10,
            ..Policy::default()
        };
        assert_eq!(tiny.looks(), vec![10]);
    }

    #[test]
    fn orders_are_balanced() {
        let abba: usize = (0..100).filter(|&r| Order::Abba.base_first(0, r)).count();
        assert_eq!(abba, 50);
        let random: usize = (0..1000)
            .filter(|&r| Order::Random { seed: 7 }.base_first(3, r))
            .count();
        assert!((430..570).contains(&random), "{random}");
    }

    #[test]
    fn aa_false_alarms_stay_rare() {
        // 2000 comparisons in suites of 20, 3 % noise per process, drift and bursts.
        let mut alarms = 0;
        let mut comparisons = 0;
        let mut suites_with_alarm = 0;
        for s in 0..100u64 {
            let policy = if s % 2 == 0 {
                Policy::default()
            } else {
                random_order(s)
            };
            let results = suite(1000 + s, vec![0.0; 20], 0.03, 0.05, &policy);
            let flagged = results
                .iter()
                .filter(|r| matches!(r.verdict, Verdict::Regressed | Verdict::Improved))
                .count();
            alarms += flagged;
            suites_with_alarm += usize::from(flagged > 0);
            comparisons += results.len();
        }
        assert_eq!(comparisons, 2000);
        assert!(
            alarms * 200 <= comparisons,
            "{alarms} false alarms in {comparisons}"
        );
        assert!(
            suites_with_alarm <= 2,
            "{suites_with_alarm} suites of 100 raised an alarm"
        );
    }

    #[test]
    fn five_percent_slowdown_is_caught() {
        let mut caught = 0;
        let mut others_flagged = 0;
        for s in 0..100u64 {
            let mut shifts = vec![0.0; 10];
            shifts[3] = 0.05;
            let results = suite(5000 + s, shifts, 0.03, 0.05, &random_order(s));
            caught += usize::from(results[3].verdict == Verdict::Regressed);
            others_flagged += results
                .iter()
                .enumerate()
                .filter(|(i, r)| {
                    *i != 3 && r.verdict != Verdict::Unchanged && r.verdict != Verdict::Inconclusive
                })
                .count();
            let est = results[3].estimate.as_ref().unwrap();
            assert!(
                (est.change() - 0.05).abs() < 0.03,
                "estimate {}",
                est.change()
            );
        }
        assert!(caught >= 95, "caught {caught} of 100");
        // The unchanged tests beside it keep the A/A rate: at most 0.5 % of 900 comparisons
        // (the suite-wide level is 2 %, so a few of 100 suites may raise one).
        assert!(others_flagged * 200 <= 900, "{others_flagged} false alarms");
    }

    #[test]
    fn drift_cancels_in_pairs() {
        // Strong drift (±30 % over the run), little noise: a change in the raw times of either
        // side is mostly drift, yet the paired estimate is the true 8 %.
        let mut covered = 0;
        for s in 0..20u64 {
            let results = suite(900 + s, vec![0.08, 0.0], 0.005, 0.3, &Policy::default());
            let est = results[0].estimate.as_ref().unwrap();
            assert!((est.change() - 0.08).abs() < 0.01, "{}", est.change());
            let [lo, hi] = est.ci();
            covered += usize::from(lo < 0.08 && hi > 0.08);
            assert_eq!(results[0].verdict, Verdict::Regressed);
            assert_eq!(results[1].verdict, Verdict::Unchanged);
        }
        // A 95 % interval misses now and then: 17 of 20 fails by chance 1.6 % of the time.
        assert!(
            covered >= 17,
            "{covered} of 20 intervals hold the true change"
        );
    }

    #[test]
    fn clear_cases_stop_at_the_first_look_and_close_calls_get_more_rounds() {
        let mut sim = Simulated::new(42, vec![0.0, 0.3, 0.02], 0.01, 0.0);
        sim.burst_rate = 0.0;
        let results = run_suite(&mut sim, &[THRESHOLD; 3], &Policy::default(), None);
        assert_eq!(results[0].pairs.len(), 10);
        assert_eq!(results[0].verdict, Verdict::Unchanged);
        // Ten rounds cannot reach the corrected level (2/1024 > 0.02/21); the next look can.
        assert_eq!(results[1].pairs.len(), 15);
        assert_eq!(results[1].verdict, Verdict::Regressed);
        // Exactly at the threshold: rounds are added until the cap.
        assert!(results[2].pairs.len() > 10, "{}", results[2].pairs.len());
    }

    #[test]
    fn an_expired_budget_stops_extra_rounds() {
        let mut sim = Simulated::new(3, vec![0.02, 0.02], 0.01, 0.0);
        let results = run_suite(
            &mut sim,
            &[THRESHOLD; 2],
            &Policy::default(),
            Some(Instant::now()),
        );
        assert!(results.iter().all(|r| r.pairs.len() == 10));
    }

    #[test]
    fn a_failing_round_is_an_error_not_a_verdict() {
        let mut sim = Simulated::new(3, vec![0.0, 0.0], 0.01, 0.0);
        sim.fail_test = Some(1);
        let results = run_suite(&mut sim, &[THRESHOLD; 2], &Policy::default(), None);
        assert!(results[1].error.as_deref().unwrap().contains("panicked"));
        assert_eq!(results[1].verdict, Verdict::Inconclusive);
        assert_eq!(results[0].verdict, Verdict::Unchanged);
    }

    /// A shard of 2 tests out of a suite of 1,000 stops as the suite would: later (here 35
    /// rounds, not 23; the simulation is seeded).
    #[test]
    fn a_shard_stops_no_earlier_than_its_whole_suite() {
        let rounds = |family: usize| {
            let policy = Policy {
                family,
                ..Policy::default()
            };
            let results = suite(5, vec![0.1, 0.0], 0.01, 0.0, &policy);
            assert_eq!(results[0].verdict, Verdict::Regressed, "family {family}");
            results[0].pairs.len()
        };
        let (alone, in_suite) = (rounds(0), rounds(1000));
        assert!(
            in_suite > alone,
            "{in_suite} rounds in a suite of 1,000, {alone} alone"
        );
    }

    #[test]
    fn confirmation_keeps_real_changes() {
        let policy = Policy {
            confirm: true,
            ..Policy::default()
        };
        let results = suite(11, vec![0.1, 0.0], 0.01, 0.0, &policy);
        assert_eq!(results[0].verdict, Verdict::Regressed);
        assert_eq!(results[0].confirm_pairs.len(), 10);
        assert!(results[1].confirm_pairs.is_empty());
    }

    #[test]
    fn confirmation_rejects_a_change_the_fresh_rounds_do_not_show() {
        let policy = Policy::default();
        let fresh: Vec<Pair> = (0..10)
            .map(|i| Pair {
                base: 1000.0,
                head: 1000.0 + if i % 2 == 0 { 3.0 } else { -3.0 } * i as f64,
            })
            .collect();
        assert_eq!(
            confirmed(Verdict::Regressed, &fresh, THRESHOLD, &policy),
            Verdict::Inconclusive
        );
    }

    #[test]
    fn counted_tests_get_two_rounds_judged_exactly_and_timed_ones_the_paired_rounds() {
        // No noise at all: a count is the same in every process.
        let mut sim = Simulated::new(3, vec![0.01, 0.001, 0.08, -0.01], 0.0, 0.0);
        sim.burst_rate = 0.0;
        let exact = [true, true, false, true];
        let results = run_mixed(&mut sim, &[THRESHOLD; 4], &exact, &Policy::default(), None);
        let verdicts: Vec<Verdict> = results.iter().map(|r| r.verdict).collect();
        use Verdict::*;
        assert_eq!(verdicts, [Regressed, Unchanged, Regressed, Improved]);
        for i in [0, 1, 3] {
            let r = &results[i];
            assert_eq!(r.pairs.len(), EXACT_ROUNDS, "{i}");
            assert_eq!(r.threshold, exact::INSTRUCTIONS_THRESHOLD);
            assert!(r.estimate.is_none() && r.adjusted_p.is_none());
        }
        let change = results[0].exact_change.unwrap();
        assert!((change - 0.01).abs() < 1e-9, "{change}");
        // The timed test ran its own rounds, on its own costs (test 2: 3000 base).
        let timed = &results[2];
        assert!(timed.exact_change.is_none() && timed.pairs.len() >= 10);
        assert!(
            (timed.pairs[0].base - 3000.0).abs() < 1e-9,
            "{:?}",
            timed.pairs[0]
        );

        // A failing counted test is an error without a verdict.
        sim.fail_test = Some(1);
        let results = run_mixed(
            &mut sim,
            &[THRESHOLD; 2],
            &[true, true],
            &Policy::default(),
            None,
        );
        assert_eq!(results[1].verdict, Inconclusive);
        assert!(results[1].error.is_some() && results[1].exact_change.is_none());
        assert_eq!(results[0].verdict, Regressed);
    }
}
