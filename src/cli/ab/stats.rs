//! Paired statistics of an A/B comparison: per-round log-ratios head/base, the Hodges–Lehmann
//! estimate with its Wilcoxon signed-rank confidence interval, p-values, Holm's correction
//! across a suite, the minimum detectable change, and the verdict rule.
//!
//! Why these: each round runs base and head back to back in a randomised or ABBA order, so under
//! "no change" a round's log-ratio is as likely to be `+d` as `-d` (the labels are exchangeable).
//! The signed-rank test is then exact whatever the noise looks like (bursts, skew, drift that
//! the pairing cancelled), and it keeps most of the power of a t-test on well-behaved data.

pub use crate::cli::compare::dist::holm;
use crate::cli::compare::dist::{normal_cdf, normal_quantile};
use crate::cli::report::model::Verdict;

/// One round: the compared metric of the base process and of the head process.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Pair {
    pub base: f64,
    pub head: f64,
}

impl Pair {
    /// `ln(head / base)`, or `None` when either side is not a positive finite number.
    pub fn log_ratio(self) -> Option<f64> {
        let ok = |v: f64| v.is_finite() && v > 0.0;
        (ok(self.base) && ok(self.head)).then(|| (self.head / self.base).ln())
    }
}

/// The log-ratios of every round that has two usable figures.
pub fn log_ratios(pairs: &[Pair]) -> Vec<f64> {
    pairs.iter().filter_map(|p| p.log_ratio()).collect()
}

/// What the paired rounds of one test say, on the log scale and as relative changes.
#[derive(Debug, Clone, PartialEq)]
pub struct PairedEstimate {
    /// Rounds used.
    pub n: usize,
    /// Hodges–Lehmann estimate of the median log-ratio.
    pub log_change: f64,
    /// Its confidence interval on the log scale, at the level asked for.
    pub log_ci: [f64; 2],
    /// Two-sided Wilcoxon signed-rank p-value of "no change" (not yet corrected for anything).
    pub p_value: f64,
    /// Smallest relative change these rounds would detect with 80 % power at the level asked for.
    pub could_detect: f64,
}

impl PairedEstimate {
    /// Relative change head vs base: +0.08 = head takes 8 % longer.
    pub fn change(&self) -> f64 {
        self.log_change.exp_m1()
    }

    /// The interval of [`Self::change`].
    pub fn ci(&self) -> [f64; 2] {
        [self.log_ci[0].exp_m1(), self.log_ci[1].exp_m1()]
    }
}

/// Estimate the change from the log-ratios `d`, with a `1 - alpha` interval.
/// `None` with fewer than two rounds: nothing can be said.
pub fn estimate(d: &[f64], alpha: f64) -> Option<PairedEstimate> {
    if d.len() < 2 || d.iter().any(|x| !x.is_finite()) {
        return None;
    }
    let walsh = walsh_averages(d);
    let log_change = crate::stats::median_sorted(&walsh)?;
    let log_ci = hl_interval(&walsh, d.len(), alpha);
    let p_value = signed_rank_p(d);
    Some(PairedEstimate {
        n: d.len(),
        log_change,
        log_ci,
        p_value,
        could_detect: minimum_detectable(&log_ci, alpha),
    })
}

/// Every pairwise mean `(d_i + d_j) / 2` with `i <= j`, sorted.
fn walsh_averages(d: &[f64]) -> Vec<f64> {
    let mut w = Vec::with_capacity(d.len() * (d.len() + 1) / 2);
    for i in 0..d.len() {
        for j in i..d.len() {
            w.push((d[i] + d[j]) / 2.0);
        }
    }
    w.sort_by(f64::total_cmp);
    w
}

/// The Wilcoxon interval: the `k`-th smallest and `k`-th largest Walsh averages, where `k - 1` is
/// the largest signed-rank statistic with lower-tail probability at most `alpha / 2`.
/// With too few rounds for that level the interval is the whole range of Walsh averages, which
/// is wide enough that no verdict depends on it.
fn hl_interval(walsh: &[f64], n: usize, alpha: f64) -> [f64; 2] {
    let big_n = walsh.len();
    let k = signed_rank_critical(n, alpha / 2.0).clamp(1, big_n.div_ceil(2));
    [walsh[k - 1], walsh[big_n - k]]
}

/// Largest `k` such that `P(W+ <= k - 1) <= tail` under the null (0 when none is).
fn signed_rank_critical(n: usize, tail: f64) -> usize {
    if n <= EXACT_MAX_N {
        let dist = signed_rank_null(n);
        let mut cum = 0.0;
        for (w, p) in dist.iter().enumerate() {
            if cum + p > tail {
                return w;
            }
            cum += p;
        }
        dist.len()
    } else {
        let nf = n as f64;
        let mean = nf * (nf + 1.0) / 4.0;
        let sd = (nf * (nf + 1.0) * (2.0 * nf + 1.0) / 24.0).sqrt();
        let w = mean - normal_quantile(1.0 - tail) * sd;
        w.floor().max(0.0) as usize
    }
}

/// Above this many rounds the signed-rank statistic is normal enough (and exact tables get big).
const EXACT_MAX_N: usize = 60;

/// `P(W+ = w)` for `w = 0..=n(n+1)/2` when every sign is a fair coin.
fn signed_rank_null(n: usize) -> Vec<f64> {
    let max = n * (n + 1) / 2;
    let mut dist = vec![0.0; max + 1];
    dist[0] = 1.0;
    let mut reach = 0;
    for rank in 1..=n {
        for w in (0..=reach).rev() {
            let p = dist[w] * 0.5;
            dist[w] = p;
            dist[w + rank] += p;
        }
        reach += rank;
    }
    dist
}

/// Two-sided p-value of the signed-rank test that the log-ratios are centred on 0.
/// Zeros are dropped (they carry no sign); tied magnitudes get their average rank, and then
/// the normal approximation with the tie correction is used.
pub fn signed_rank_p(d: &[f64]) -> f64 {
    let mut nonzero: Vec<f64> = d.iter().copied().filter(|x| *x != 0.0).collect();
    let n = nonzero.len();
    if n == 0 {
        return 1.0;
    }
    nonzero.sort_by(|a, b| a.abs().total_cmp(&b.abs()));
    // Doubled average ranks keep tied ranks integral.
    let mut ranks2 = vec![0usize; n];
    let mut tie_term = 0.0;
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && nonzero[j + 1].abs() == nonzero[i].abs() {
            j += 1;
        }
        let t = (j - i + 1) as f64;
        tie_term += t * t * t - t;
        for r in ranks2.iter_mut().take(j + 1).skip(i) {
            *r = i + j + 2; // 2 * average of ranks i+1..=j+1
        }
        i = j + 1;
    }
    let w2: usize = nonzero
        .iter()
        .zip(&ranks2)
        .filter(|(x, _)| **x > 0.0)
        .map(|(_, r)| *r)
        .sum();
    if tie_term == 0.0 && n <= EXACT_MAX_N {
        let w = w2 / 2;
        let dist = signed_rank_null(n);
        let lower: f64 = dist[..=w].iter().sum();
        let upper: f64 = dist[w..].iter().sum();
        return (2.0 * lower.min(upper)).min(1.0);
    }
    let nf = n as f64;
    let mean = nf * (nf + 1.0) / 4.0;
    let var = nf * (nf + 1.0) * (2.0 * nf + 1.0) / 24.0 - tie_term / 48.0;
    if var <= 0.0 {
        return 1.0;
    }
    // Continuity correction of half a rank.
    let z = ((w2 as f64 / 2.0 - mean).abs() - 0.5).max(0.0) / var.sqrt();
    (2.0 * (1.0 - normal_cdf(z))).min(1.0)
}

/// The smallest change detected with 80 % power: the interval's half-width, which is
/// `z(1 - alpha/2)` standard errors, scaled up to `z(1 - alpha/2) + z(0.8)` standard errors.
fn minimum_detectable(log_ci: &[f64; 2], alpha: f64) -> f64 {
    let z_alpha = normal_quantile(1.0 - alpha / 2.0);
    let half_width = (log_ci[1] - log_ci[0]) / 2.0;
    let se = half_width / z_alpha;
    (se * (z_alpha + normal_quantile(0.8))).exp_m1()
}

/// The verdict rule. `significant` says the (corrected) test rejects "no change";
/// `threshold` is the smallest relative change that counts.
///
/// - regressed / improved: significant **and** the estimate beyond the threshold;
/// - unchanged: the whole interval inside ±threshold;
/// - inconclusive: anything else (the interval straddles the threshold).
pub fn classify(est: &PairedEstimate, significant: bool, threshold: f64) -> Verdict {
    let up = threshold.ln_1p();
    let down = (-threshold).ln_1p();
    if significant && est.log_change > up {
        Verdict::Regressed
    } else if significant && est.log_change < down {
        Verdict::Improved
    } else if est.log_ci[0] > down && est.log_ci[1] < up {
        Verdict::Unchanged
    } else {
        Verdict::Inconclusive
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_distribution_sums_to_one_and_matches_small_tables() {
        let d = signed_rank_null(10);
        assert!((d.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        // n = 10: P(W+ <= 8) = 25/1024, P(W+ <= 3) = 5/1024 (published tables).
        let cum = |w: usize| d[..=w].iter().sum::<f64>();
        assert!((cum(8) - 25.0 / 1024.0).abs() < 1e-12);
        assert!((cum(3) - 5.0 / 1024.0).abs() < 1e-12);
        // Symmetric about n(n+1)/4.
        assert!((d[0] - d[55]).abs() < 1e-15 && (d[20] - d[35]).abs() < 1e-15);
    }

    #[test]
    fn critical_value_matches_tables() {
        // Classic two-sided 5 % critical values (reject when W <= T): n=10 -> 8, n=20 -> 52.
        assert_eq!(signed_rank_critical(10, 0.025), 9);
        assert_eq!(signed_rank_critical(20, 0.025), 53);
        // Too few rounds for the level: no order statistic qualifies.
        assert_eq!(signed_rank_critical(5, 0.005), 0);
    }

    #[test]
    fn p_value_all_positive_is_the_smallest_possible() {
        let d: Vec<f64> = (1..=10).map(|i| i as f64 * 0.01).collect();
        assert!((signed_rank_p(&d) - 2.0 / 1024.0).abs() < 1e-12);
        let neg: Vec<f64> = d.iter().map(|x| -x).collect();
        assert!((signed_rank_p(&neg) - 2.0 / 1024.0).abs() < 1e-12);
    }

    #[test]
    fn p_value_of_balanced_signs_is_large() {
        let d = [
            0.01, -0.011, 0.02, -0.019, 0.03, -0.031, 0.04, -0.04, 0.05, -0.052,
        ];
        assert!(signed_rank_p(&d) > 0.5);
        assert_eq!(signed_rank_p(&[0.0, 0.0]), 1.0);
    }

    #[test]
    fn ties_use_the_normal_approximation_and_stay_in_range() {
        let d = [0.01, 0.01, 0.01, 0.02, 0.02, -0.01, 0.03, 0.03, 0.04, 0.01];
        let p = signed_rank_p(&d);
        assert!(p > 0.0 && p < 0.05, "p = {p}");
    }

    #[test]
    fn normal_approximation_agrees_with_exact_at_the_switch() {
        // n = 60 exact vs the normal approximation of the same statistic.
        let d: Vec<f64> = (1..=60)
            .map(|i| if i % 3 == 0 { -(i as f64) } else { i as f64 })
            .collect();
        let exact = signed_rank_p(&d);
        let mut longer = d.clone();
        longer.push(1000.0);
        longer.push(-1000.5);
        let approx = signed_rank_p(&longer);
        assert!(exact > 0.0 && approx > 0.0);
        assert!(
            (exact.ln() - approx.ln()).abs() < 0.5,
            "{exact} vs {approx}"
        );
    }

    #[test]
    fn estimate_recovers_a_constant_shift() {
        let d: Vec<f64> = (0..30)
            .map(|i| 0.08f64.ln_1p() + ((i * 7919) % 13) as f64 * 1e-3 - 6e-3)
            .collect();
        let e = estimate(&d, 0.05).unwrap();
        assert!((e.change() - 0.08).abs() < 0.005, "{}", e.change());
        let [lo, hi] = e.ci();
        assert!(lo < e.change() && e.change() < hi && lo > 0.07 && hi < 0.09);
        // Tied magnitudes: the normal approximation, still tiny.
        assert!(e.p_value < 1e-5, "{}", e.p_value);
        assert!(e.could_detect > 0.0 && e.could_detect < 0.02);
    }

    #[test]
    fn estimate_needs_two_rounds() {
        assert!(estimate(&[0.1], 0.05).is_none());
        assert!(estimate(&[0.1, f64::NAN], 0.05).is_none());
    }

    #[test]
    fn classify_follows_the_rule() {
        let est = |c: f64, lo: f64, hi: f64| PairedEstimate {
            n: 20,
            log_change: c.ln_1p(),
            log_ci: [lo.ln_1p(), hi.ln_1p()],
            p_value: 0.0,
            could_detect: 0.01,
        };
        assert_eq!(
            classify(&est(0.08, 0.06, 0.1), true, 0.02),
            Verdict::Regressed
        );
        assert_eq!(
            classify(&est(-0.08, -0.1, -0.06), true, 0.02),
            Verdict::Improved
        );
        // Beyond the threshold but not significant: not a regression.
        assert_eq!(
            classify(&est(0.08, -0.01, 0.2), false, 0.02),
            Verdict::Inconclusive
        );
        assert_eq!(
            classify(&est(0.005, -0.01, 0.015), false, 0.02),
            Verdict::Unchanged
        );
        // Significant but small, interval straddling the threshold.
        assert_eq!(
            classify(&est(0.015, 0.01, 0.025), true, 0.02),
            Verdict::Inconclusive
        );
    }

    #[test]
    fn pair_rejects_unusable_figures() {
        assert!(Pair {
            base: 0.0,
            head: 1.0
        }
        .log_ratio()
        .is_none());
        assert!(Pair {
            base: 1.0,
            head: f64::INFINITY
        }
        .log_ratio()
        .is_none());
        let r = Pair {
            base: 100.0,
            head: 108.0,
        }
        .log_ratio()
        .unwrap();
        assert!((r.exp() - 1.08).abs() < 1e-12);
        let pairs = [
            Pair {
                base: 1.0,
                head: 2.0,
            },
            Pair {
                base: -1.0,
                head: 2.0,
            },
        ];
        assert_eq!(log_ratios(&pairs).len(), 1);
    }
}
