//! The exact comparison of a deterministic count (instructions per iteration), shared by the
//! unpaired comparison (a stored baseline against a run) and the paired one (`ab` rounds): the
//! figures compared as exact numbers, a relative change above the threshold counts, with no
//! p-value and no between-process noise model.

use crate::cli::model::Verdict;
use crate::metrics::Direction;

/// The smallest relative change of an instruction count reported as a regression or an
/// improvement: counts are deterministic (Valgrind) or nearly so (hardware counters), so the
/// threshold is tiny and no between-process noise model is used.
pub const INSTRUCTIONS_THRESHOLD: f64 = 0.002;

/// The verdict note of a test decided on its instruction count.
pub const DETERMINISTIC_NOTE: &str = "deterministic (instructions)";

/// The smallest change that counts between figures `base` and `head` (each side's per-process
/// counts): `min_change`, widened to twice the larger side's spread when a side's processes
/// disagree by more than half of it, so a count that is not deterministic after all (hardware
/// counters on a busy machine) cannot raise false alarms.
pub fn min_change(min_change: f64, base: &[f64], head: &[f64]) -> f64 {
    min_change.max(2.0 * spread(base).max(spread(head)))
}

/// The verdict of a relative `change` (`current / baseline - 1`) of a deterministic figure:
/// a change beyond `min_change` is a regression or an improvement by `direction`, anything
/// smaller is no change.
pub fn verdict(change: f64, min_change: f64, direction: Direction) -> Verdict {
    let worse = match direction {
        Direction::LowerIsBetter => change > 0.0,
        Direction::HigherIsBetter => change < 0.0,
    };
    match (change.abs() > min_change, worse) {
        (false, _) => Verdict::Unchanged,
        (true, true) => Verdict::Regressed,
        (true, false) => Verdict::Improved,
    }
}

/// How far a side's processes disagree: `max / min - 1` (0 for one process).
fn spread(values: &[f64]) -> f64 {
    let (lo, hi) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    if values.len() < 2 || lo <= 0.0 {
        return 0.0;
    }
    hi / lo - 1.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_beyond_the_threshold_counts_and_disagreeing_processes_widen_it() {
        let lower = Direction::LowerIsBetter;
        assert_eq!(verdict(0.01, 0.002, lower), Verdict::Regressed);
        assert_eq!(verdict(-0.01, 0.002, lower), Verdict::Improved);
        assert_eq!(verdict(0.001, 0.002, lower), Verdict::Unchanged);
        assert_eq!(
            verdict(0.01, 0.002, Direction::HigherIsBetter),
            Verdict::Improved
        );
        // Identical counts keep the threshold; a 1 % disagreement widens it to 2 %.
        assert_eq!(min_change(0.002, &[100.0, 100.0], &[101.0]), 0.002);
        let widened = min_change(0.002, &[100.0, 101.0], &[105.0, 105.0]);
        assert!((widened - 0.02).abs() < 1e-12, "{widened}");
    }
}
