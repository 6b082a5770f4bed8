//! Micro-benchmark measurement: the `Bencher` a `#[perf_test]` function drives.
//!
//! In measure mode (`cargo perf`, `cargo bench`) one call to `iter`, `iter_with_setup` or
//! `iter_async`:
//! 1. calibrates the timer: the median cost of an empty timed region, subtracted from every
//!    sample (done when the `Bencher` is made, before the memory watch starts, together with
//!    the sample buffer: neither counts as the body's RSS growth);
//! 2. warms up for `warmup_ns` with growing batches, which also estimates the cost of one
//!    iteration;
//! 3. picks a batch size so that each sample lasts at least 32 µs (1000× the timer overhead on
//!    a slow clock, `measure_ns / 5000` on a long budget), rounded up to a power of two so that
//!    every process of a test runs the same batch, whatever its calibration;
//! 4. takes samples (one timed batch each) until `measure_ns` has elapsed: at least 10, at most
//!    5000, into a buffer allocated beforehand;
//! 5. with a counting global allocator, runs a separate untimed pass of up to 1000 iterations
//!    and reports allocations and bytes per iteration.
//!
//! Every figure is per iteration: a sample's time divided by its batch size. Percentiles are
//! therefore percentiles of batch means, which is what a body too short to time alone allows.
//! In smoke mode (`cargo test`) the body runs a few times, one iteration per sample, for
//! correctness and a rough median only.
//!
//! A test measures exactly one body: a second call to `iter`, `iter_with_setup` or
//! `iter_async` fails the test (rather than silently keeping one of the two figures).

mod counters;
mod engine;
mod routines;

use std::future::Future;

use crate::protocol::{BenchDetails, Measurement, Settings, Throughput};

use crate::metrics::{CustomMetric, Direction, Metrics};
use crate::stats;
#[cfg(feature = "cli")] // `cargo perf --instructions` asks before it picks a mode
pub(crate) use counters::hardware_available;
use counters::Counts;
use engine::{Prepared, Routine, Sampled};
use routines::{Async, Plain, WithSetup};

/// Times the body of a micro-benchmark. Handed to `#[perf_test] fn f(b: &mut Bencher)`.
///
/// ```
/// use cargo_perf::{black_box, perf_test, Bencher, Direction, Throughput};
///
/// #[perf_test]
/// fn sum(b: &mut Bencher) {
///     let v: Vec<u64> = (0..1000).collect();
///     b.throughput(Throughput::Elements(v.len() as u64));
///     b.iter(|| black_box(&v).iter().sum::<u64>());
///     b.metric("items", 1000.0, Direction::HigherIsBetter);
/// }
///
/// #[perf_test]
/// fn sort(b: &mut Bencher) {
///     // The set-up is not timed.
///     b.iter_with_setup(|| (0..1000).rev().collect::<Vec<u32>>(), |mut v| v.sort());
/// }
/// # fn main() {}
/// ```
pub struct Bencher {
    settings: Settings,
    throughput: Option<Throughput>,
    custom: Vec<CustomMetric>,
    /// `None` until a body was measured; `Err` when the test misused the `Bencher`.
    /// With `--instructions`, the counting pass's figures ride along.
    sampled: Option<Result<(Sampled, Option<Counts>), String>>,
    /// The calibration and sample buffer, taken by the one body that is measured.
    prepared: Option<Prepared>,
}

impl Bencher {
    /// Calibrates the timer and allocates the sample buffer: the harness makes the `Bencher`
    /// before it starts watching memory.
    pub(crate) fn new(settings: Settings) -> Bencher {
        Bencher {
            settings,
            throughput: None,
            custom: Vec::new(),
            sampled: None,
            prepared: Some(Prepared::new()),
        }
    }

    /// Measure `f`, called repeatedly; its output is passed through `black_box` and dropped
    /// (the drop is timed with it).
    pub fn iter<O, F: FnMut() -> O>(&mut self, f: F) {
        if self.second_body("iter") {
            return;
        }
        self.measure(&mut Plain::new(f));
    }

    /// Measure `routine` on a fresh input from `setup` each time; neither `setup` nor dropping
    /// the routine's output is timed.
    pub fn iter_with_setup<I, O, S: FnMut() -> I, F: FnMut(I) -> O>(
        &mut self,
        setup: S,
        routine: F,
    ) {
        if self.second_body("iter_with_setup") {
            return;
        }
        self.measure(&mut WithSetup::new(setup, routine));
    }

    /// Measure an async body on a current-thread tokio runtime, created once per test and
    /// entered once per batch of iterations.
    pub fn iter_async<O, Fut: Future<Output = O>, F: FnMut() -> Fut>(&mut self, f: F) {
        if self.second_body("iter_async") {
            return;
        }
        match Async::new(f) {
            Ok(mut routine) => self.measure(&mut routine),
            Err(e) => self.sampled = Some(Err(e)),
        }
    }

    /// Declare what one iteration processes, to report bytes or elements per second.
    pub fn throughput(&mut self, throughput: Throughput) -> &mut Self {
        self.throughput = Some(throughput);
        self
    }

    /// Report a custom metric, stored, compared and reported like the built-in ones.
    pub fn metric(
        &mut self,
        name: impl Into<String>,
        value: f64,
        direction: Direction,
    ) -> &mut Self {
        self.custom.push(CustomMetric {
            name: name.into(),
            value,
            direction,
        });
        self
    }

    /// Records a misuse when a body was already measured; `true` means "do not measure".
    fn second_body(&mut self, method: &str) -> bool {
        match &self.sampled {
            None => false,
            Some(Err(_)) => true,
            Some(Ok(_)) => {
                self.sampled = Some(Err(format!(
                    "`{method}` was called after a body was already measured: a perf test \
                     measures exactly one body (split it into several #[perf_test] functions)"
                )));
                true
            }
        }
    }

    fn measure<R: Routine>(&mut self, routine: &mut R) {
        // `second_body` has already refused a second call, so the buffer is still here.
        let prepared = self.prepared.take().unwrap_or_else(Prepared::new);
        self.sampled = Some(counters::measure(&self.settings, routine, prepared));
    }

    pub(crate) fn finish(self) -> Result<Measurement, String> {
        let (sampled, counts) = self.sampled.unwrap_or_else(|| {
            Err("the test never called `iter`, `iter_with_setup` or `iter_async`".into())
        })?;
        let mut measurement = summarize(&sampled, self.throughput, self.custom);
        if let Some(counts) = counts {
            counts.write(&mut measurement.metrics);
        }
        Ok(measurement)
    }
}

/// The figures of one process from its samples.
fn summarize(
    s: &Sampled,
    throughput: Option<Throughput>,
    custom: Vec<CustomMetric>,
) -> Measurement {
    let mut sorted = s.per_iter_ns();
    sorted.sort_by(f64::total_cmp);
    let mut hist = stats::new_histogram();
    for &ns in &sorted {
        // Picoseconds: sub-nanosecond bodies keep three significant digits.
        let _ = hist.record((ns * 1000.0).round() as u64);
    }
    let median = stats::median_sorted(&sorted);
    let units = match throughput {
        Some(Throughput::Bytes(n) | Throughput::Elements(n)) => n as f64,
        None => 1.0,
    };
    // No samples at all (Valgrind mode times nothing): zeros, since JSON has no NaN; the
    // absent median says there is no interval.
    let no_ci = if sorted.is_empty() { 0.0 } else { f64::NAN };
    let median_ci_ns =
        stats::bootstrap_median_ci(&sorted, stats::BOOTSTRAP_RESAMPLES, stats::BOOTSTRAP_SEED)
            .unwrap_or([no_ci; 2]);
    let (allocs_per_iter, alloc_bytes_per_iter) = s
        .allocs
        .and_then(|(counts, n)| counts.per_iteration(n))
        .unzip();
    Measurement {
        metrics: Metrics {
            median_ns: median,
            mean_ns: stats::mean(&sorted),
            min_ns: sorted.first().copied(),
            p50_ns: stats::histogram_quantile_ns(&hist, 0.50),
            p90_ns: stats::histogram_quantile_ns(&hist, 0.90),
            p95_ns: stats::histogram_quantile_ns(&hist, 0.95),
            p99_ns: stats::histogram_quantile_ns(&hist, 0.99),
            p999_ns: stats::histogram_quantile_ns(&hist, 0.999),
            max_ns: sorted.last().copied(),
            std_dev_ns: stats::std_dev(&sorted),
            mad_ns: stats::mad(&sorted),
            // A zero median (a body below the clock's reach) has no finite rate.
            throughput_per_sec: median.filter(|m| *m > 0.0).map(|m| units * 1e9 / m),
            allocs_per_iter,
            alloc_bytes_per_iter,
            ..Metrics::default()
        },
        bench: Some(BenchDetails {
            iterations: s.iterations,
            samples: sorted.len() as u64,
            batch: s.batch,
            timer_overhead_ns: s.timer_overhead_ns,
            median_ci_ns,
            outliers: stats::tukey_outliers(&sorted),
            histogram_ps: stats::histogram_pairs(&hist),
            throughput,
        }),
        custom,
        ..Measurement::default()
    }
}

#[cfg(test)]
mod tests;
