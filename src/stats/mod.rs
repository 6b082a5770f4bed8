//! Statistics of one process's samples: descriptive figures, the bootstrap interval of the
//! median, histogram helpers and the one random generator. Everything here is a pure function
//! of its input (the bootstrap uses a fixed seed), so the same samples always give the same
//! figures. Merging several processes is `cargo perf`'s work (`cli::compare::merge`).
//!
//! The figures of one process (one value per sample: a batch's time divided by its
//! iterations): median, mean, min, max, sample standard deviation, the raw (unscaled)
//! median absolute deviation, Tukey-fence outlier counts (1.5 and 3 IQR) and a
//! percentile-bootstrap 95 % confidence interval of the median ([`bootstrap_median_ci`]).

mod bootstrap;
mod histogram;
mod rng;

pub use bootstrap::bootstrap_median_ci;
#[cfg(feature = "cli")]
pub use histogram::add_pairs;
pub use histogram::{histogram_pairs, histogram_quantile_ns, new_histogram};
pub use rng::XorShift64;

use crate::protocol::Outliers;

/// Significant digits of every per-iteration histogram (0.1 % resolution).
pub const HISTOGRAM_SIGFIG: u8 = 3;
/// Coverage of every confidence interval this module computes.
pub const CI_LEVEL: f64 = 0.95;
/// Bootstrap resamples: enough for a stable 2.5 %/97.5 % pair, cheap enough to run every time.
pub const BOOTSTRAP_RESAMPLES: usize = 300;
/// The bootstrap's fixed seed: the same samples always give the same interval.
pub const BOOTSTRAP_SEED: u64 = 0x9E37_79B9_7F4A_7C15;

/// The `q`-quantile (0 ≤ q ≤ 1) of sorted data, linearly interpolated (Hyndman–Fan type 7).
/// `None` for empty data.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let pos = q.clamp(0.0, 1.0) * (n - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    let frac = pos - lo as f64;
    Some(sorted[lo] + (sorted[hi] - sorted[lo]) * frac)
}

/// The median of sorted data (mean of the two middle values for an even count).
pub fn median_sorted(sorted: &[f64]) -> Option<f64> {
    quantile_sorted(sorted, 0.5)
}

/// The median of unsorted data.
pub fn median(data: &[f64]) -> Option<f64> {
    let mut v = data.to_vec();
    v.sort_by(f64::total_cmp);
    median_sorted(&v)
}

pub fn mean(data: &[f64]) -> Option<f64> {
    if data.is_empty() {
        return None;
    }
    Some(data.iter().sum::<f64>() / data.len() as f64)
}

/// Sample standard deviation (n − 1 denominator); 0 for a single value.
pub fn std_dev(data: &[f64]) -> Option<f64> {
    let m = mean(data)?;
    if data.len() < 2 {
        return Some(0.0);
    }
    let ss: f64 = data.iter().map(|x| (x - m) * (x - m)).sum();
    Some((ss / (data.len() - 1) as f64).sqrt())
}

/// Median absolute deviation from the median, unscaled (multiply by 1.4826 to estimate a
/// normal distribution's σ).
pub fn mad(data: &[f64]) -> Option<f64> {
    let m = median(data)?;
    let deviations: Vec<f64> = data.iter().map(|x| (x - m).abs()).collect();
    median(&deviations)
}

/// Tukey-fence outlier counts of sorted data: mild beyond 1.5 IQR from the quartiles, severe
/// beyond 3 IQR.
pub fn tukey_outliers(sorted: &[f64]) -> Outliers {
    let (Some(q1), Some(q3)) = (quantile_sorted(sorted, 0.25), quantile_sorted(sorted, 0.75))
    else {
        return Outliers::default();
    };
    let iqr = q3 - q1;
    let (low_severe, low_mild) = (q1 - 3.0 * iqr, q1 - 1.5 * iqr);
    let (high_mild, high_severe) = (q3 + 1.5 * iqr, q3 + 3.0 * iqr);
    let mut o = Outliers::default();
    for &x in sorted {
        if x < low_severe {
            o.low_severe += 1;
        } else if x < low_mild {
            o.low_mild += 1;
        } else if x > high_severe {
            o.high_severe += 1;
        } else if x > high_mild {
            o.high_mild += 1;
        }
    }
    o
}

/// `a` equals `b` to rounding (a relative 1e-9): the tests' comparison of computed figures.
#[cfg(test)]
pub(crate) fn close(a: f64, b: f64) -> bool {
    within(a, b, 1e-9 * b.abs().max(1.0))
}

/// `a` is within `tol` of `b`: the tests' comparison with a table value.
#[cfg(test)]
pub(crate) fn within(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_between_order_statistics() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(median_sorted(&v), Some(2.5));
        assert_eq!(quantile_sorted(&v, 0.0), Some(1.0));
        assert_eq!(quantile_sorted(&v, 1.0), Some(4.0));
        assert!(close(quantile_sorted(&v, 0.25).unwrap(), 1.75));
        assert_eq!(median(&[5.0, 1.0, 3.0]), Some(3.0));
        assert_eq!(median(&[]), None);
        assert_eq!(quantile_sorted(&[], 0.5), None);
    }

    #[test]
    fn moments_and_mad_match_hand_computed_values() {
        let v = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
        assert_eq!(mean(&v), Some(5.0));
        // Sum of squared deviations is 32; sample variance 32 / 7.
        assert!(close(std_dev(&v).unwrap(), (32.0f64 / 7.0).sqrt()));
        // Median 4.5; deviations 2.5 .5 .5 .5 .5 .5 2.5 4.5 -> median 0.5.
        assert_eq!(mad(&v), Some(0.5));
        assert_eq!(std_dev(&[3.0]), Some(0.0));
        assert_eq!(mean(&[]), None);
    }

    #[test]
    fn tukey_fences_classify_mild_and_severe_outliers() {
        // Quartiles of 1..=9 are 3 and 7: IQR 4, mild beyond -3/13, severe beyond -9/19.
        let mut v: Vec<f64> = (1..=9).map(f64::from).collect();
        v.extend([-5.0, 15.0, 30.0]);
        v.sort_by(f64::total_cmp);
        let q1 = quantile_sorted(&v, 0.25).unwrap();
        let q3 = quantile_sorted(&v, 0.75).unwrap();
        let iqr = q3 - q1;
        let o = tukey_outliers(&v);
        let expect = |lo: f64, hi: f64| v.iter().filter(|&&x| x >= lo && x < hi).count() as u64;
        assert_eq!(
            o.high_severe,
            v.iter().filter(|&&x| x > q3 + 3.0 * iqr).count() as u64
        );
        assert_eq!(o.low_mild, expect(q1 - 3.0 * iqr, q1 - 1.5 * iqr));
        assert_eq!(o.high_severe, 1, "{o:?} q1 {q1} q3 {q3}");
        assert_eq!(tukey_outliers(&[1.0, 1.0, 1.0]), Outliers::default());
    }
}
