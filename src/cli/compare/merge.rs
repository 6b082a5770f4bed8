//! The merge of one test's measurements from several processes into the reported figures:
//! `cargo perf`'s work, so it is not compiled into a user's suite.
//!
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

use serde::{Deserialize, Serialize};

use crate::cli::compare::dist::normal_cdf;
use crate::metrics::{CustomMetric, Metric, Metrics};
use crate::protocol::{Measurement, Outliers, Throughput};
use crate::stats::{
    add_pairs, histogram_pairs, histogram_quantile_ns, median, new_histogram, CI_LEVEL,
};

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
    let mut metrics = merge_metric_by_metric(runs.iter().map(|m| &m.metrics));
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
    } else if let Some(b) = benches.first().filter(|_| metrics.median_ns.is_some()) {
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
pub fn merge_metric_by_metric<'a>(runs: impl Iterator<Item = &'a Metrics> + Clone) -> Metrics {
    let mut merged = Metrics::default();
    for metric in Metric::ALL {
        let values = runs.clone().filter_map(|m| metric.get(m));
        let value = match metric {
            Metric::Min => values.reduce(f64::min),
            Metric::Max => values.reduce(f64::max),
            _ => median(&values.collect::<Vec<f64>>()),
        };
        metric.set(&mut merged, value);
    }
    merged
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
    use crate::metrics::Direction;
    use crate::protocol::BenchDetails;
    use crate::stats::close;

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
