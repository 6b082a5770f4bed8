//! The percentile-bootstrap confidence interval of a sample's median.

use super::{median_sorted, quantile_sorted, XorShift64, CI_LEVEL};

/// Percentile-bootstrap confidence interval (`CI_LEVEL`) of the median of sorted data.
///
/// A resample of sorted data is a multiset of indices, and its median is the value at the
/// median rank of those indices. So a resample is `n` counter increments into an `n`-slot
/// array and one cumulative scan: no sorting and no selection, which keeps 300 resamples of
/// 5000 samples at a few milliseconds. `None` for empty data.
pub fn bootstrap_median_ci(sorted: &[f64], resamples: usize, seed: u64) -> Option<[f64; 2]> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    if n == 1 || resamples == 0 {
        let m = median_sorted(sorted)?;
        return Some([m, m]);
    }
    let mut rng = XorShift64::new(seed);
    let mut counts = vec![0u32; n];
    let mut medians = Vec::with_capacity(resamples);
    // 0-based ranks of the two middle values (the same one for an odd count).
    let (rank_lo, rank_hi) = ((n - 1) / 2, n / 2);
    for _ in 0..resamples {
        counts.fill(0);
        for _ in 0..n {
            counts[rng.below(n)] += 1;
        }
        let (mut lo, mut hi) = (None, None);
        let mut seen = 0usize;
        for (index, &c) in counts.iter().enumerate() {
            seen += c as usize;
            if lo.is_none() && seen > rank_lo {
                lo = Some(index);
            }
            if seen > rank_hi {
                hi = Some(index);
                break;
            }
        }
        let (lo, hi) = (lo.unwrap_or(n - 1), hi.unwrap_or(n - 1));
        medians.push((sorted[lo] + sorted[hi]) / 2.0);
    }
    medians.sort_by(f64::total_cmp);
    let alpha = (1.0 - CI_LEVEL) / 2.0;
    Some([
        quantile_sorted(&medians, alpha)?,
        quantile_sorted(&medians, 1.0 - alpha)?,
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bootstrap_interval_brackets_the_median_and_shrinks_with_more_data() {
        let mut rng = XorShift64::new(7);
        let draw = |rng: &mut XorShift64, n: usize| {
            let mut v: Vec<f64> = (0..n)
                .map(|_| 100.0 + (rng.next_u64() % 1000) as f64 / 100.0)
                .collect();
            v.sort_by(f64::total_cmp);
            v
        };
        let small = draw(&mut rng, 50);
        let large = draw(&mut rng, 5000);
        let ci_small = bootstrap_median_ci(&small, 300, 1).unwrap();
        let ci_large = bootstrap_median_ci(&large, 300, 1).unwrap();
        for (v, ci) in [(&small, ci_small), (&large, ci_large)] {
            let m = median_sorted(v).unwrap();
            assert!(ci[0] <= m && m <= ci[1], "{ci:?} around {m}");
        }
        // Width scales like 1/sqrt(n): 100x the data, about a tenth of the width.
        let (ws, wl) = (ci_small[1] - ci_small[0], ci_large[1] - ci_large[0]);
        assert!(wl * 3.0 < ws, "small {ws} large {wl}");
        assert_eq!(
            bootstrap_median_ci(&large, 300, 1),
            Some(ci_large),
            "deterministic"
        );
        assert_eq!(bootstrap_median_ci(&[4.0], 300, 1), Some([4.0, 4.0]));
        assert_eq!(bootstrap_median_ci(&[], 300, 1), None);
    }
}
