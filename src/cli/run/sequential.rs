//! The sequential stopping rule of `cargo perf run`: how many processes measure a test.
//!
//! Instead of a fixed K, processes are added one at a time until the interval of the median
//! over processes is narrow enough, or a cap is reached:
//! - at least [`StopRule::min`] processes (6 by default: the fewest whose order-statistic
//!   interval of the median reaches 95 %, so the precision judged is the one the comparison
//!   will use; 3 with `--quick`, whose min..max of 3 covers 75 %, as the report says);
//! - stop as soon as the interval's half-width is at most [`StopRule::target`] of the median
//!   (0.5 % by default, 1 % with `--quick`) **and** the processes form one level;
//! - otherwise go on up to [`StopRule::max`] processes (12, or 6 with `--quick`): processes
//!   that disagree (two levels, a wide interval) get more processes, so the interval narrows
//!   toward the level the machine is in most of the time instead of spanning 2x.
//!
//! The interval is [`crate::cli::compare::merge`]'s: between-process variation only. Stopping
//! when it is narrow makes its coverage a little optimistic (optional stopping); the minimum of
//! 6 keeps that small, as the simulation in the tests measures (coverage ≥ 93 % for a nominal
//! 95 %). `--processes K` turns the rule off: exactly K processes.

use crate::cli::compare::levels;
use crate::cli::compare::merge::order_statistic_ci;
use crate::stats::{median, CI_LEVEL};

/// When to stop adding processes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StopRule {
    pub min: u32,
    pub max: u32,
    /// The largest acceptable half-width of the median's interval, as a fraction of the median.
    pub target: f64,
}

/// Why a test got the processes it got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// Not yet: run another process.
    More,
    /// The interval is narrow enough and the processes agree.
    Precise,
    /// The cap was reached (or a fixed count, with `--processes`).
    Cap,
}

impl StopRule {
    /// The default rule, or `--quick`'s.
    pub fn adaptive(quick: bool) -> StopRule {
        if quick {
            StopRule {
                min: 3,
                max: 6,
                target: 0.01,
            }
        } else {
            StopRule {
                min: 6,
                max: 12,
                target: 0.005,
            }
        }
    }

    /// Exactly `k` processes (`--processes K`).
    pub fn fixed(k: u32) -> StopRule {
        StopRule {
            min: k,
            max: k,
            target: 0.0,
        }
    }

    /// Whether `processes` measured processes are enough, `medians` being the timed ones'
    /// medians. Never more than the cap; processes without a median (instruction counts under
    /// Valgrind time nothing) have no interval to narrow, so the minimum is enough for them.
    pub fn enough(&self, processes: u32, medians: &[f64]) -> bool {
        if processes >= self.max {
            return true;
        }
        if (medians.len() as u32) < processes {
            return processes >= self.min;
        }
        self.decide(medians) != Stop::More
    }

    /// What to do after the processes so far produced `medians`.
    pub fn decide(&self, medians: &[f64]) -> Stop {
        let k = medians.len() as u32;
        if k >= self.max {
            return Stop::Cap;
        }
        if k < self.min {
            return Stop::More;
        }
        match relative_half_width(medians) {
            Some(w) if w <= self.target && levels::disagreeing(medians).is_empty() => Stop::Precise,
            _ => Stop::More,
        }
    }
}

/// Half the width of the between-process interval of the median (order statistics at 95 %
/// when there are enough processes, else min..max), over the median.
pub fn relative_half_width(medians: &[f64]) -> Option<f64> {
    let mut sorted: Vec<f64> = medians.iter().copied().filter(|m| m.is_finite()).collect();
    if sorted.len() < 2 {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    let (lo, hi) = match order_statistic_ci(sorted.len(), CI_LEVEL) {
        Some((lo, hi, _)) => (sorted[lo], sorted[hi]),
        None => (sorted[0], sorted[sorted.len() - 1]),
    };
    let mid = median(&sorted)?;
    (mid > 0.0).then(|| (hi - lo) / 2.0 / mid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::XorShift64;

    /// Run the rule on simulated processes: `draw` gives one process median.
    fn simulate(rule: StopRule, mut draw: impl FnMut() -> f64) -> (Vec<f64>, Stop) {
        let mut medians = Vec::new();
        loop {
            medians.push(draw());
            match rule.decide(&medians) {
                Stop::More => continue,
                stop => return (medians, stop),
            }
        }
    }

    #[test]
    fn quiet_processes_stop_at_the_minimum() {
        let rule = StopRule::adaptive(false);
        let mut rng = XorShift64::new(1);
        // 0.1 % between-process noise: the spin workload on a quiet machine.
        let (medians, stop) = simulate(rule, || 100.0 * (1.0 + 0.001 * rng.normal()));
        assert_eq!(stop, Stop::Precise);
        assert_eq!(medians.len() as u32, rule.min);
    }

    #[test]
    fn disagreeing_processes_run_to_the_cap() {
        let rule = StopRule::adaptive(false);
        let mut i = 0;
        // Alternating levels 1.0x and 1.6x: never one level, so never "precise".
        let (medians, stop) = simulate(rule, || {
            i += 1;
            if i % 2 == 0 {
                160.0
            } else {
                100.0
            }
        });
        assert_eq!(stop, Stop::Cap);
        assert_eq!(medians.len() as u32, rule.max);
    }

    #[test]
    fn a_fixed_count_is_exact() {
        let rule = StopRule::fixed(4);
        let (medians, stop) = simulate(rule, || 5.0);
        assert_eq!((medians.len(), stop), (4, Stop::Cap));
        assert_eq!(StopRule::fixed(1).decide(&[1.0]), Stop::Cap);
    }

    /// Optional stopping: the interval reported when the rule stops must still cover the true
    /// median about as often as it claims. 4000 simulated tests whose process medians have
    /// 0.4 % noise (so the rule sometimes stops early, sometimes goes on); the coverage of the
    /// final order-statistic (or range) interval of the true median 100 must stay ≥ 93 %.
    #[test]
    fn untimed_processes_stop_at_the_minimum_and_nothing_runs_past_the_cap() {
        let rule = StopRule::adaptive(false);
        // Valgrind mode: measurements without medians.
        assert!(!rule.enough(rule.min - 1, &[]));
        assert!(rule.enough(rule.min, &[]));
        assert!(StopRule::fixed(2).enough(2, &[]));
        assert!(!StopRule::fixed(2).enough(1, &[]));
        // Two levels want more processes, but never more than the cap.
        let levels: Vec<f64> = (0..rule.max).map(|i| [1.0, 2.0][i as usize % 2]).collect();
        assert!(!rule.enough(rule.max - 1, &levels[..rule.max as usize - 1]));
        assert!(rule.enough(rule.max, &levels));
    }

    #[test]
    fn stopping_early_keeps_the_interval_honest() {
        let rule = StopRule::adaptive(false);
        let mut rng = XorShift64::new(7);
        let (mut covered, mut early, trials) = (0, 0, 4000);
        for _ in 0..trials {
            let (mut m, stop) = simulate(rule, || 100.0 * (1.0 + 0.004 * rng.normal()));
            if stop == Stop::Precise && m.len() < rule.max as usize {
                early += 1;
            }
            m.sort_by(f64::total_cmp);
            let (lo, hi) = match order_statistic_ci(m.len(), CI_LEVEL) {
                Some((lo, hi, _)) => (m[lo], m[hi]),
                None => (m[0], m[m.len() - 1]),
            };
            if lo <= 100.0 && 100.0 <= hi {
                covered += 1;
            }
        }
        let coverage = covered as f64 / trials as f64;
        assert!(coverage >= 0.93, "coverage {coverage}");
        // The case is only interesting if the rule did stop early in a good share of trials.
        assert!(
            early > trials / 10 && early < trials,
            "stopped early {early} times"
        );
    }

    #[test]
    fn the_half_width_uses_order_statistics_from_six_processes() {
        // 6 processes: the 95 % interval is min..max (j = 1).
        let w = relative_half_width(&[99.0, 100.0, 100.0, 100.0, 100.0, 101.0]).unwrap();
        assert!((w - 0.01).abs() < 1e-12, "{w}");
        // 12 processes: [x(3), x(10)], so one stray process at each end no longer counts.
        let mut m = vec![100.0; 10];
        m.push(50.0);
        m.push(150.0);
        assert_eq!(relative_half_width(&m), Some(0.0));
        assert_eq!(relative_half_width(&[1.0]), None);
    }
}
