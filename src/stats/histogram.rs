//! Per-iteration hdrhistograms in picoseconds, and their lossless-enough wire form.

use hdrhistogram::Histogram;

use super::HISTOGRAM_SIGFIG;

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
#[cfg(feature = "cli")] // merging processes is the tool's work
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
