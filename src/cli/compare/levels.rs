//! Levels among one test's process medians: processes that disagree by more than noise form
//! separate groups ("two levels: 9 ns in 2 processes, 14 ns in 3"), which the report names
//! instead of hiding them in one wide interval, and the sequential rule answers with more
//! processes.
//!
//! Why they exist (issue 12, `scripts/process-spread.py`): on a shared VM one process's samples
//! are themselves bimodal (a fast level and a ~1.5x slower one, time-varying: contention from
//! the machine's other work), and a process's median lands on whichever level held more than
//! half of its samples. The batch size is not the cause: processes with the same batch landed on
//! both levels.

use serde::{Deserialize, Serialize};

use crate::stats::median;

/// Consecutive sorted medians further apart than this fraction of the lower one start a new
/// level. Well above the between-process noise of a quiet process (0.2–2 %), well below the
/// 1.4–2x levels seen on a shared machine.
pub const LEVEL_GAP: f64 = 0.10;

/// One group of processes whose medians agree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Level {
    /// The median of this group's process medians.
    pub median_ns: f64,
    pub processes: usize,
}

/// The levels of `medians` (any order), lowest first: one level when they agree, empty when
/// there are none. Non-finite values are ignored.
pub fn levels(medians: &[f64]) -> Vec<Level> {
    let mut sorted: Vec<f64> = medians.iter().copied().filter(|m| m.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    let mut groups: Vec<Vec<f64>> = Vec::new();
    for m in sorted {
        match groups.last_mut() {
            Some(group) if !is_gap(*group.last().unwrap_or(&m), m) => group.push(m),
            _ => groups.push(vec![m]),
        }
    }
    groups
        .iter()
        .filter_map(|g| {
            Some(Level {
                median_ns: median(g)?,
                processes: g.len(),
            })
        })
        .collect()
}

/// Whether `hi` is a level above `lo` (sorted, so `hi >= lo`).
fn is_gap(lo: f64, hi: f64) -> bool {
    if lo <= 0.0 {
        // A zero median (below the clock's reach) and a positive one are different levels.
        return hi > 0.0;
    }
    (hi - lo) / lo > LEVEL_GAP
}

/// The levels worth reporting: two or more, else none.
pub fn disagreeing(medians: &[f64]) -> Vec<Level> {
    let found = levels(medians);
    if found.len() >= 2 {
        found
    } else {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agreeing_processes_are_one_level() {
        let l = levels(&[100.0, 101.0, 99.5, 100.4, 102.0]);
        assert_eq!(l.len(), 1);
        assert_eq!(l[0].processes, 5);
        assert_eq!(l[0].median_ns, 100.4);
        assert!(disagreeing(&[100.0, 101.0, 99.5]).is_empty());
    }

    /// The demo crate's `tokenize_with_limit` in six processes pinned to one core with ASLR off
    /// (`scripts/process-spread.py`): 1.89 µs in two, ~2.7 µs in four.
    #[test]
    fn two_groups_are_two_levels_lowest_first() {
        let l = disagreeing(&[2761.0, 2966.0, 1896.0, 2630.0, 2702.0, 1887.0]);
        assert_eq!(
            l,
            vec![
                Level {
                    median_ns: 1891.5,
                    processes: 2
                },
                Level {
                    median_ns: 2731.5,
                    processes: 4
                }
            ]
        );
        // The figures (1.77, 2.74, 3.13, 3.24, 3.30 µs) are a smear with two gaps above
        // 10 %: three levels, and the report says so.
        assert_eq!(
            disagreeing(&[1770.0, 2740.0, 3130.0, 3240.0, 3300.0]).len(),
            3
        );
    }

    /// A gap is relative to the level below it, so a smear of small steps stays one level.
    #[test]
    fn small_steps_do_not_split_a_level() {
        let steps: Vec<f64> = (0..20).map(|i| 100.0 * 1.05f64.powi(i)).collect();
        assert_eq!(levels(&steps).len(), 1);
        assert_eq!(levels(&[100.0, 111.0]).len(), 2);
    }

    #[test]
    fn no_finite_medians_no_levels() {
        assert!(levels(&[]).is_empty());
        assert!(levels(&[f64::NAN]).is_empty());
        assert_eq!(levels(&[0.0, 0.0]).len(), 1);
    }
}
