//! Statistics of benchmark samples, and the merge of several processes' figures into one.
//!
//! Everything here is a pure function of its input (the bootstrap uses a fixed-seed xorshift), so
//! the same samples always give the same figures.
//!
//! # Within one process
//! [`Summary::of`] turns the per-iteration times of one process (one value per sample: a batch's
//! time divided by its iterations) into median, mean, min, max, sample standard deviation, the
//! raw (unscaled) median absolute deviation, Tukey-fence outlier counts (1.5 and 3 IQR) and a
//! percentile-bootstrap 95 % confidence interval of the median ([`bootstrap_median_ci`]).
//!
//! # Across processes: [`merge_processes`]
//! `cargo perf` runs each test in K separate processes, because code layout, memory placement and
//! frequency decisions differ between processes far more than between samples of one process.
//! The merged figures are:
//! - **median**: the median of the per-process medians (robust to one odd process);
//! - **percentiles, mean, std-dev**: from the sum of the processes' histograms, so every sample
//!   counts once; **min/max**: over all processes; **MAD**: the median of the per-process MADs
//!   (a within-process spread);
//! - **throughput**: recomputed from the merged median (units per iteration / median);
//! - **the 95 % CI of the median** reflects between-process variation only, because that is the
//!   variation a later run will see. With K ≥ 6 processes it is the distribution-free
//!   order-statistic interval `[m(j), m(K+1-j)]` of the sorted process medians, with the largest
//!   `j` whose binomial coverage `1 − 2·P(Bin(K, ½) ≤ j−1)` is at least 95 % ([`CiMethod::OrderStatistic`]).
//!   With 2 ≤ K ≤ 5 no such interval reaches 95 % (min..max covers only `1 − 2^(1−K)`, 75 % for
//!   K = 3), so the interval falls back to the min..max of the process medians
//!   ([`CiMethod::Range`]); `ci_level` then says how much it really covers. With one process
//!   it is that process's own bootstrap interval ([`CiMethod::SingleProcess`]), which knows
//!   nothing of between-process variation.
//! - Measurements without a bench histogram (load and memory tests) merge metric by metric: the
//!   median over processes of each metric, except min (minimum) and max (maximum).

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use crate::protocol::{CustomMetric, Measurement, Metrics, Outliers, Throughput};

/// Significant digits of every per-iteration histogram (0.1 % resolution).
pub const HISTOGRAM_SIGFIG: u8 = 3;
/// Coverage of every confidence interval this module computes.
pub const CI_LEVEL: f64 = 0.95;
/// Bootstrap resamples: enough for a stable 2.5 %/97.5 % pair, cheap enough to run every time.
pub const BOOTSTRAP_RESAMPLES: usize = 300;
/// The bootstrap's fixed seed: the same samples always give the same interval.
pub const BOOTSTRAP_SEED: u64 = 0x9E37_79B9_7F4A_7C15;

/// A small deterministic PRNG (Marsaglia's xorshift64*): statistics need reproducibility, not
/// cryptographic quality.
#[derive(Debug, Clone)]
pub struct XorShift64(u64);

impl XorShift64 {
    pub fn new(seed: u64) -> XorShift64 {
        // Zero is the one state xorshift never leaves.
        XorShift64(if seed == 0 { BOOTSTRAP_SEED } else { seed })
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A uniform index in `0..n` (`n > 0`), by multiply-shift (no modulo bias worth noting).
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() as u128 * n as u128) >> 64) as usize
    }
}

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

/// `P(Bin(k, ½) ≤ j)`.
fn binomial_half_cdf(k: usize, j: usize) -> f64 {
    if k > 1000 {
        // Normal approximation with continuity correction; exact terms would underflow.
        let z = (j as f64 + 0.5 - k as f64 / 2.0) / (k as f64 / 4.0).sqrt();
        return normal_cdf(z);
    }
    let mut term = 0.5f64.powi(k as i32); // C(k, 0) / 2^k
    let mut sum = term;
    for i in 0..j.min(k) {
        term *= (k - i) as f64 / (i + 1) as f64;
        sum += term;
    }
    sum.min(1.0)
}

fn normal_cdf(z: f64) -> f64 {
    // Abramowitz–Stegun 7.1.26 erf approximation (error < 1.5e-7).
    let x = z.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * x);
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erf = 1.0 - poly * (-x * x).exp();
    if z >= 0.0 {
        0.5 * (1.0 + erf)
    } else {
        0.5 * (1.0 - erf)
    }
}

/// The distribution-free confidence interval of the median of `k` values: the 0-based sorted
/// positions `(lo, hi)` and the interval's exact coverage, for the narrowest symmetric pair whose
/// coverage reaches `level`. `None` when even min..max does not (k ≤ 5 for 95 %).
pub fn order_statistic_ci(k: usize, level: f64) -> Option<(usize, usize, f64)> {
    let mut best = None;
    // 1-based j: the interval [x(j), x(k+1-j)] covers the median with 1 - 2 P(B <= j-1).
    for j in 1..=k / 2 {
        let coverage = 1.0 - 2.0 * binomial_half_cdf(k, j - 1);
        if coverage >= level {
            best = Some((j - 1, k - j, coverage));
        } else {
            break;
        }
    }
    best
}

/// An empty per-iteration histogram in picoseconds.
pub fn new_histogram() -> Histogram<u64> {
    // Auto-resizing from 1 with 3 digits never fails to construct.
    Histogram::new(HISTOGRAM_SIGFIG).expect("3 significant digits is a valid histogram")
}

/// A histogram as (picoseconds, count) pairs: one per non-empty bucket, at the bucket's middle.
pub fn histogram_pairs(h: &Histogram<u64>) -> Vec<[u64; 2]> {
    h.iter_recorded()
        .map(|v| {
            [
                h.median_equivalent(v.value_iterated_to()),
                v.count_at_value(),
            ]
        })
        .collect()
}

/// Rebuild a histogram from (picoseconds, count) pairs, adding into `h`.
pub fn add_pairs(h: &mut Histogram<u64>, pairs: &[[u64; 2]]) {
    for &[value, count] in pairs {
        // Auto-resize makes recording fail only past i64::MAX / 2 ps (53 days per iteration).
        let _ = h.record_n(value, count);
    }
}

/// The `q`-quantile of a picosecond histogram, in nanoseconds, at the bucket's middle.
pub fn histogram_quantile_ns(h: &Histogram<u64>, q: f64) -> Option<f64> {
    if h.is_empty() {
        return None;
    }
    Some(h.median_equivalent(h.value_at_quantile(q)) as f64 / 1000.0)
}

/// How [`Merged::median_ci_ns`] was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CiMethod {
    /// Order statistics of the process medians (K ≥ 6 for 95 %).
    OrderStatistic,
    /// min..max of the process medians: too few processes for a 95 % interval.
    Range,
    /// One process: its own bootstrap interval (no between-process information).
    SingleProcess,
    /// Neither bench details nor several processes: the median itself, no interval.
    None,
}

/// The figures of one test merged over its processes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Merged {
    /// The reported metrics (see the module doc for how each is merged).
    pub metrics: Metrics,
    /// A confidence interval of `metrics.median_ns` (or `p50_ns`) from between-process variation.
    pub median_ci_ns: [f64; 2],
    pub ci_method: CiMethod,
    /// The interval's real coverage (0.95 or more for `OrderStatistic`; less for `Range`).
    pub ci_level: f64,
    /// Each process's median (or p50), in process order.
    pub process_medians_ns: Vec<f64>,
    /// The processes' histograms added up, as (picoseconds, count) pairs.
    pub histogram_ps: Vec<[u64; 2]>,
    pub iterations: u64,
    pub samples: u64,
    pub outliers: Outliers,
    pub throughput: Option<Throughput>,
    /// Each custom metric's median over the processes that reported it, in first-seen order.
    pub custom: Vec<CustomMetric>,
}

/// Merge one test's measurements from K separate processes into the reported figures.
/// `None` when `runs` is empty. See the module documentation for the method.
pub fn merge_processes(runs: &[Measurement]) -> Option<Merged> {
    if runs.is_empty() {
        return None;
    }
    let mut metrics = merge_metric_by_metric(runs);
    let process_medians: Vec<f64> = runs
        .iter()
        .filter_map(|m| m.metrics.median_ns.or(m.metrics.p50_ns))
        .collect();

    let benches: Vec<_> = runs.iter().filter_map(|m| m.bench.as_ref()).collect();
    let mut hist = new_histogram();
    let mut outliers = Outliers::default();
    let (mut iterations, mut samples) = (0, 0);
    for b in &benches {
        add_pairs(&mut hist, &b.histogram_ps);
        // Saturating: the counts come from the suite's response file, which a mismatched or
        // broken harness can fill with anything; a sum must never overflow into a panic.
        iterations = u64::saturating_add(iterations, b.iterations);
        samples = u64::saturating_add(samples, b.samples);
        let o = &mut outliers;
        o.low_severe = o.low_severe.saturating_add(b.outliers.low_severe);
        o.low_mild = o.low_mild.saturating_add(b.outliers.low_mild);
        o.high_mild = o.high_mild.saturating_add(b.outliers.high_mild);
        o.high_severe = o.high_severe.saturating_add(b.outliers.high_severe);
    }
    let throughput = benches.iter().find_map(|b| b.throughput);
    if !hist.is_empty() {
        metrics.mean_ns = Some(hist.mean() / 1000.0);
        metrics.std_dev_ns = Some(hist.stdev() / 1000.0);
        metrics.p50_ns = histogram_quantile_ns(&hist, 0.50);
        metrics.p90_ns = histogram_quantile_ns(&hist, 0.90);
        metrics.p95_ns = histogram_quantile_ns(&hist, 0.95);
        metrics.p99_ns = histogram_quantile_ns(&hist, 0.99);
        metrics.p999_ns = histogram_quantile_ns(&hist, 0.999);
        if let Some(median) = metrics.median_ns.filter(|m| *m > 0.0) {
            let units = match throughput {
                Some(Throughput::Bytes(n) | Throughput::Elements(n)) => n as f64,
                None => 1.0,
            };
            metrics.throughput_per_sec = Some(units * 1e9 / median);
        }
    }

    let center = metrics.median_ns.or(metrics.p50_ns).unwrap_or(f64::NAN);
    let mut sorted_medians = process_medians.clone();
    sorted_medians.sort_by(f64::total_cmp);
    let k = sorted_medians.len();
    let (median_ci_ns, ci_method, ci_level) = if k >= 2 {
        match order_statistic_ci(k, CI_LEVEL) {
            Some((lo, hi, coverage)) => (
                [sorted_medians[lo], sorted_medians[hi]],
                CiMethod::OrderStatistic,
                coverage,
            ),
            None => (
                [sorted_medians[0], sorted_medians[k - 1]],
                CiMethod::Range,
                1.0 - 2.0 * binomial_half_cdf(k, 0),
            ),
        }
    } else if let Some(b) = benches.first() {
        (b.median_ci_ns, CiMethod::SingleProcess, CI_LEVEL)
    } else {
        ([center, center], CiMethod::None, 0.0)
    };

    Some(Merged {
        metrics,
        median_ci_ns,
        ci_method,
        ci_level,
        process_medians_ns: process_medians,
        histogram_ps: histogram_pairs(&hist),
        iterations,
        samples,
        outliers,
        throughput,
        custom: merge_custom(runs),
    })
}

/// Every metric as the median over the processes that report it; min and max as extremes.
fn merge_metric_by_metric(runs: &[Measurement]) -> Metrics {
    let med = |get: fn(&Metrics) -> Option<f64>| {
        let values: Vec<f64> = runs.iter().filter_map(|m| get(&m.metrics)).collect();
        median(&values)
    };
    let extreme = |get: fn(&Metrics) -> Option<f64>, pick: fn(f64, f64) -> f64| {
        runs.iter().filter_map(|m| get(&m.metrics)).reduce(pick)
    };
    let rss: Vec<f64> = runs
        .iter()
        .filter_map(|m| m.metrics.rss_growth_bytes.map(|b| b as f64))
        .collect();
    Metrics {
        median_ns: med(|m| m.median_ns),
        mean_ns: med(|m| m.mean_ns),
        min_ns: extreme(|m| m.min_ns, f64::min),
        p50_ns: med(|m| m.p50_ns),
        p90_ns: med(|m| m.p90_ns),
        p95_ns: med(|m| m.p95_ns),
        p99_ns: med(|m| m.p99_ns),
        p999_ns: med(|m| m.p999_ns),
        max_ns: extreme(|m| m.max_ns, f64::max),
        std_dev_ns: med(|m| m.std_dev_ns),
        mad_ns: med(|m| m.mad_ns),
        throughput_per_sec: med(|m| m.throughput_per_sec),
        success_rate: med(|m| m.success_rate),
        allocs_per_iter: med(|m| m.allocs_per_iter),
        alloc_bytes_per_iter: med(|m| m.alloc_bytes_per_iter),
        rss_growth_bytes: median(&rss).map(|b| b.round() as i64),
    }
}

fn merge_custom(runs: &[Measurement]) -> Vec<CustomMetric> {
    let mut names: Vec<&CustomMetric> = Vec::new();
    for c in runs.iter().flat_map(|m| &m.custom) {
        if !names.iter().any(|n| n.name == c.name) {
            names.push(c);
        }
    }
    names
        .into_iter()
        .map(|first| {
            let values: Vec<f64> = runs
                .iter()
                .flat_map(|m| &m.custom)
                .filter(|c| c.name == first.name)
                .map(|c| c.value)
                .collect();
            CustomMetric {
                name: first.name.clone(),
                value: median(&values).unwrap_or(first.value),
                direction: first.direction,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{BenchDetails, Direction};

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * b.abs().max(1.0)
    }

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

    #[test]
    fn order_statistic_intervals_need_six_values_for_95_percent() {
        assert_eq!(order_statistic_ci(5, 0.95), None);
        let (lo, hi, cov) = order_statistic_ci(6, 0.95).unwrap();
        assert_eq!((lo, hi), (0, 5));
        assert!(close(cov, 1.0 - 2.0 / 64.0));
        // k = 9: [x(2), x(8)] covers 1 - 2 * (1 + 9) / 512 = 0.961.
        let (lo, hi, cov) = order_statistic_ci(9, 0.95).unwrap();
        assert_eq!((lo, hi), (1, 7));
        assert!(close(cov, 1.0 - 20.0 / 512.0));
        // The normal approximation agrees with the exact sum where both apply.
        let exact = binomial_half_cdf(1000, 480);
        let approx = {
            let z = (480.5 - 500.0) / (250.0f64).sqrt();
            normal_cdf(z)
        };
        assert!((exact - approx).abs() < 1e-3, "{exact} vs {approx}");
        let (lo, hi, _) = order_statistic_ci(2000, 0.95).unwrap();
        assert!(lo > 900 && hi < 1100 && lo + hi == 1999);
    }

    #[test]
    fn histogram_pairs_round_trip() {
        let mut h = new_histogram();
        for v in [1u64, 999, 1000, 1001, 123_456, 123_457, 5_000_000] {
            h.record(v).unwrap();
        }
        let pairs = histogram_pairs(&h);
        assert_eq!(pairs.iter().map(|p| p[1]).sum::<u64>(), 7);
        let mut back = new_histogram();
        add_pairs(&mut back, &pairs);
        assert_eq!(histogram_pairs(&back), pairs);
        let p50 = histogram_quantile_ns(&back, 0.5).unwrap();
        assert!((p50 - 1.001).abs() < 0.002, "{p50}");
        assert_eq!(histogram_quantile_ns(&new_histogram(), 0.5), None);
    }

    fn process(median_ns: f64, samples: &[f64]) -> Measurement {
        let mut h = new_histogram();
        for &s in samples {
            h.record((s * 1000.0).round() as u64).unwrap();
        }
        Measurement {
            metrics: Metrics {
                median_ns: Some(median_ns),
                min_ns: samples.iter().copied().reduce(f64::min),
                max_ns: samples.iter().copied().reduce(f64::max),
                mad_ns: Some(median_ns / 100.0),
                throughput_per_sec: Some(2.0 * 1e9 / median_ns),
                allocs_per_iter: Some(1.0),
                ..Metrics::default()
            },
            bench: Some(BenchDetails {
                iterations: 10 * samples.len() as u64,
                samples: samples.len() as u64,
                batch: 10,
                median_ci_ns: [median_ns * 0.99, median_ns * 1.01],
                histogram_ps: histogram_pairs(&h),
                throughput: Some(Throughput::Elements(2)),
                ..BenchDetails::default()
            }),
            custom: vec![CustomMetric {
                name: "hits".into(),
                value: median_ns,
                direction: Direction::HigherIsBetter,
            }],
            ..Measurement::default()
        }
    }

    #[test]
    fn merging_takes_the_median_of_medians_and_the_extremes() {
        let runs = [
            process(10.0, &[9.0, 10.0, 11.0]),
            process(12.0, &[11.0, 12.0, 40.0]),
            process(11.0, &[8.0, 11.0, 12.0]),
        ];
        let m = merge_processes(&runs).unwrap();
        assert_eq!(m.metrics.median_ns, Some(11.0));
        assert_eq!(m.metrics.min_ns, Some(8.0));
        assert_eq!(m.metrics.max_ns, Some(40.0));
        assert_eq!(m.metrics.mad_ns, Some(0.11));
        assert_eq!(m.metrics.allocs_per_iter, Some(1.0));
        assert_eq!(m.samples, 9);
        assert_eq!(m.iterations, 90);
        assert_eq!(m.histogram_ps.iter().map(|p| p[1]).sum::<u64>(), 9);
        assert_eq!(m.process_medians_ns, vec![10.0, 12.0, 11.0]);
        // Mean over every sample of every process, from the merged histogram (0.1 % buckets).
        let all = [9.0, 10.0, 11.0, 11.0, 12.0, 40.0, 8.0, 11.0, 12.0];
        let mean_all = all.iter().sum::<f64>() / 9.0;
        assert!((m.metrics.mean_ns.unwrap() - mean_all).abs() < 0.01 * mean_all);
        assert!((m.metrics.p99_ns.unwrap() - 40.0).abs() < 0.05);
        // Two elements per iteration at the merged median.
        assert!(close(m.metrics.throughput_per_sec.unwrap(), 2e9 / 11.0));
        // Three processes cannot give 95 %: min..max of the medians, covering 75 %.
        assert_eq!(m.ci_method, CiMethod::Range);
        assert_eq!(m.median_ci_ns, [10.0, 12.0]);
        assert!(close(m.ci_level, 0.75));
        assert_eq!(m.custom.len(), 1);
        assert_eq!(m.custom[0].value, 11.0);
    }

    #[test]
    fn merging_many_processes_uses_order_statistics() {
        let medians = [10.0, 10.4, 9.8, 10.1, 10.2, 9.9, 10.0, 30.0, 10.3];
        let runs: Vec<_> = medians.iter().map(|&m| process(m, &[m])).collect();
        let merged = merge_processes(&runs).unwrap();
        assert_eq!(merged.ci_method, CiMethod::OrderStatistic);
        // Sorted: 9.8 9.9 10.0 10.0 10.1 10.2 10.3 10.4 30.0 -> [x(2), x(8)].
        assert_eq!(merged.median_ci_ns, [9.9, 10.4]);
        assert!(merged.ci_level >= 0.95);
        assert_eq!(merged.metrics.median_ns, Some(10.1));
    }

    #[test]
    fn merging_one_process_keeps_its_own_interval() {
        let merged = merge_processes(&[process(5.0, &[4.0, 5.0, 6.0])]).unwrap();
        assert_eq!(merged.ci_method, CiMethod::SingleProcess);
        assert_eq!(merged.median_ci_ns, [4.95, 5.05]);
        assert_eq!(merge_processes(&[]), None);
    }

    #[test]
    fn measurements_without_histograms_merge_metric_by_metric() {
        let load = |p99: f64, min: f64, rss: i64| Measurement {
            metrics: Metrics {
                p50_ns: Some(p99 / 4.0),
                p99_ns: Some(p99),
                min_ns: Some(min),
                success_rate: Some(100.0),
                rss_growth_bytes: Some(rss),
                ..Metrics::default()
            },
            ..Measurement::default()
        };
        let merged = merge_processes(&[
            load(400.0, 3.0, 10),
            load(800.0, 1.0, 30),
            load(600.0, 2.0, 20),
        ])
        .unwrap();
        assert_eq!(merged.metrics.p99_ns, Some(600.0));
        assert_eq!(merged.metrics.min_ns, Some(1.0));
        assert_eq!(merged.metrics.rss_growth_bytes, Some(20));
        assert_eq!(merged.metrics.median_ns, None);
        assert_eq!(merged.metrics.mean_ns, None);
        assert_eq!(merged.process_medians_ns, vec![100.0, 200.0, 150.0]);
        assert_eq!(merged.ci_method, CiMethod::Range);
        assert!(merged.histogram_ps.is_empty());
    }
}
