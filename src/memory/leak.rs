//! Leak detection: a robust slope of live heap bytes over the second half of a run.
//!
//! The verdict, in order:
//! 1. Only the second half of the samples is fitted, so a warm-up or a cache filled once at
//!    the start cannot look like growth.
//! 2. The slope is Theil–Sen's: the median of the slopes between every pair of samples, which
//!    a few outliers (a buffer doubling once, another thread's burst) cannot drag.
//!    Samples equal to their predecessor (nothing happened in between) are dropped first.
//! 3. Its confidence is the fraction of those pairs whose later sample holds strictly more
//!    live bytes. A steady leak makes nearly every pair rise (≈ 1); a one-off step inside the
//!    window makes only the pairs that straddle it rise (≈ 0.5); a flat heap gives ≈ 0.
//! 4. A leak is flagged when the slope is positive, the confidence is at least
//!    [`MIN_CONFIDENCE`], and the growth the slope predicts over the fitted window is at least
//!    [`MIN_GROWTH_BYTES`] (below that, the harness's own bookkeeping could account for it).

/// Fewest samples in the fitted half for any verdict.
pub(crate) const MIN_POINTS: usize = 6;
/// Fraction of rising sample pairs needed to call growth steady.
pub(crate) const MIN_CONFIDENCE: f64 = 0.9;
/// Growth over the fitted half below which nothing is called a leak.
pub(crate) const MIN_GROWTH_BYTES: f64 = 64.0 * 1024.0;

/// A Theil–Sen fit of live bytes (`y`) against iterations or seconds (`x`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Fit {
    /// Bytes per unit of `x`.
    pub slope: f64,
    /// Fraction of sample pairs that rise, in `[0, 1]`.
    pub confidence: f64,
    /// The fitted half's extent along `x`.
    pub span: f64,
    pub points: usize,
}

impl Fit {
    /// Bytes the slope predicts over the fitted window.
    pub fn growth(&self) -> f64 {
        self.slope * self.span
    }

    pub fn is_leak(&self) -> bool {
        self.slope > 0.0 && self.confidence >= MIN_CONFIDENCE && self.growth() >= MIN_GROWTH_BYTES
    }
}

/// Fit the second half of `points` (`(x, live_bytes)`, `x` non-decreasing), or `None` when
/// there are too few samples or `x` does not advance.
pub(crate) fn fit_second_half(points: &[(f64, f64)]) -> Option<Fit> {
    let half = without_plateaus(&points[points.len() / 2..]);
    if half.len() < MIN_POINTS {
        return None;
    }
    let mut slopes = Vec::with_capacity(half.len() * (half.len() - 1) / 2);
    let mut rising = 0usize;
    for (i, &(x0, y0)) in half.iter().enumerate() {
        for &(x1, y1) in &half[i + 1..] {
            let dx = x1 - x0;
            if dx > 0.0 {
                slopes.push((y1 - y0) / dx);
                if y1 > y0 {
                    rising += 1;
                }
            }
        }
    }
    if slopes.len() < MIN_POINTS {
        return None;
    }
    slopes.sort_by(f64::total_cmp);
    let mid = slopes.len() / 2;
    let slope = if slopes.len() % 2 == 0 {
        (slopes[mid - 1] + slopes[mid]) / 2.0
    } else {
        slopes[mid]
    };
    Some(Fit {
        slope,
        confidence: rising as f64 / slopes.len() as f64,
        span: half[half.len() - 1].0 - half[0].0,
        points: half.len(),
    })
}

/// Drops each sample whose live bytes equal the previous sample's. A plateau means nothing
/// happened in between (on a loaded machine the test thread is often descheduled while the
/// sampler runs), and would otherwise dilute the confidence of a steady climb. A flat heap
/// or a single step collapses to a couple of points: too few for any verdict.
fn without_plateaus(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut kept: Vec<(f64, f64)> = Vec::with_capacity(points.len());
    for &point in points {
        if kept.last().map_or(true, |last| last.1 != point.1) {
            kept.push(point);
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic jitter in `[-amplitude, amplitude]`, so tests need no RNG.
    fn jitter(i: usize, amplitude: f64) -> f64 {
        let h = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
        (h as f64 / (1u64 << 24) as f64 * 2.0 - 1.0) * amplitude
    }

    #[test]
    fn a_linear_leak_is_flagged_with_its_slope() {
        // 64 bytes per iteration, 1000 iterations between samples, a little noise.
        let points: Vec<(f64, f64)> = (0..100)
            .map(|i| {
                let x = i as f64 * 1000.0;
                (x, 1e6 + 64.0 * x + jitter(i, 2000.0))
            })
            .collect();
        let fit = fit_second_half(&points).unwrap();
        assert!((fit.slope - 64.0).abs() < 1.0, "{fit:?}");
        assert!(fit.confidence > 0.95, "{fit:?}");
        assert!(fit.is_leak());
    }

    #[test]
    fn a_one_off_fill_at_the_start_is_not_a_leak() {
        // A 10 MB cache filled over the first fifth of the run, then flat (with noise).
        let points: Vec<(f64, f64)> = (0..100)
            .map(|i| {
                let filled = (i.min(20) as f64 / 20.0) * 10e6;
                (i as f64, filled + jitter(i, 4096.0))
            })
            .collect();
        let fit = fit_second_half(&points).unwrap();
        assert!(fit.slope.abs() < 200.0, "{fit:?}");
        assert!(!fit.is_leak(), "{fit:?}");
    }

    #[test]
    fn a_single_step_inside_the_window_is_not_a_leak() {
        // One 1 MB allocation kept from sample 70 on: the pairs straddling it rise, no others.
        let points: Vec<(f64, f64)> = (0..100)
            .map(|i| (i as f64, if i >= 70 { 1e6 } else { 0.0 }))
            .collect();
        // The plateaus collapse to two points: no verdict at all.
        assert_eq!(fit_second_half(&points), None);
        // With noise on the plateaus, the step's pairs are about half of all pairs.
        let noisy: Vec<(f64, f64)> = points
            .iter()
            .enumerate()
            .map(|(i, &(x, y))| (x, y + jitter(i, 1000.0)))
            .collect();
        let fit = fit_second_half(&noisy).unwrap();
        assert!(fit.confidence < MIN_CONFIDENCE, "{fit:?}");
        assert!(!fit.is_leak(), "{fit:?}");
    }

    #[test]
    fn a_leak_interrupted_by_pauses_is_still_flagged() {
        // 100 KB per sample, but the body is descheduled for every third sample.
        let mut live = 0.0;
        let points: Vec<(f64, f64)> = (0..90)
            .map(|i| {
                if i % 3 != 0 {
                    live += 100_000.0;
                }
                (i as f64, live)
            })
            .collect();
        let fit = fit_second_half(&points).unwrap();
        assert_eq!(fit.confidence, 1.0);
        assert!(fit.is_leak(), "{fit:?}");
    }

    #[test]
    fn a_flat_heap_gives_no_verdict() {
        let points: Vec<(f64, f64)> = (0..100).map(|i| (i as f64, 5e6)).collect();
        assert_eq!(fit_second_half(&points), None);
    }

    #[test]
    fn a_tiny_steady_growth_stays_under_the_floor() {
        // 10 bytes per sample over 50 samples: 500 bytes, bookkeeping-sized.
        let points: Vec<(f64, f64)> = (0..100).map(|i| (i as f64, 10.0 * i as f64)).collect();
        let fit = fit_second_half(&points).unwrap();
        assert_eq!(fit.confidence, 1.0);
        assert!(!fit.is_leak());
    }

    #[test]
    fn shrinking_memory_is_not_a_leak() {
        let points: Vec<(f64, f64)> = (0..100).map(|i| (i as f64, 1e8 - 1e5 * i as f64)).collect();
        let fit = fit_second_half(&points).unwrap();
        assert!(fit.slope < 0.0);
        assert!(!fit.is_leak());
    }

    #[test]
    fn too_few_samples_or_a_frozen_axis_give_no_fit() {
        let few: Vec<(f64, f64)> = (0..8).map(|i| (i as f64, i as f64 * 1e6)).collect();
        assert_eq!(fit_second_half(&few), None);
        let frozen: Vec<(f64, f64)> = (0..100).map(|i| (5.0, i as f64 * 1e6)).collect();
        assert_eq!(fit_second_half(&frozen), None);
    }
}
