//! The memory watch the harness wraps around each test body: RSS before, after and peak, and
//! a sampler thread recording live heap bytes and RSS for the leak fit.
//!
//! The sampler allocates nothing after it starts: its sample buffer is allocated up front and,
//! when full, thinned to every other sample while the interval doubles, so a long test keeps
//! an evenly spread, bounded record.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::leak::{self, Fit};
use super::{global_counts, iterations_so_far, rss, AllocCounts};
use crate::protocol::{AllocTotals, LeakReport, Measurement, MemoryDetails};

/// Samples kept at most; the buffer is thinned when it fills.
const MAX_SAMPLES: usize = 512;
/// The first sampling interval; it doubles each time the buffer is thinned. Short, because
/// a `--quick` process lasts ~50 ms and the leak fit needs six distinct samples in its second
/// half even when a loaded machine deschedules the body for some of them (at 5 ms a CI run
/// saw too few and missed a 1 KiB-per-iteration leak). A sample is one read of
/// `/proc/self/statm` on the sampler's own thread.
const FIRST_INTERVAL: Duration = Duration::from_millis(1);
/// How long the watch waits for the sampler's first sample before it reads its "before" figures.
const READY_WAIT: Duration = Duration::from_millis(200);

#[derive(Debug, Clone, Copy, Default)]
struct Sample {
    elapsed_s: f64,
    iterations: u64,
    /// Live heap bytes of all threads, if `CountingAlloc` is installed.
    live: Option<i64>,
    rss: Option<u64>,
}

impl Sample {
    fn take(started: Instant) -> Sample {
        Sample {
            elapsed_s: started.elapsed().as_secs_f64(),
            iterations: iterations_so_far(),
            live: global_counts().map(AllocCounts::live_bytes),
            rss: rss::resident_bytes(),
        }
    }
}

struct Sampler {
    stop: Arc<AtomicBool>,
    handle: JoinHandle<Vec<Sample>>,
}

impl Sampler {
    fn stop(&self) {
        self.stop.store(true, Ordering::Release);
        self.handle.thread().unpark();
    }
}

/// Watches memory from [`MemoryWatch::start`] to [`MemoryWatch::finish`] on one thread.
pub struct MemoryWatch {
    started: Instant,
    counts_before: Option<AllocCounts>,
    rss_before: Option<u64>,
    sampler: Option<Sampler>,
}

impl MemoryWatch {
    pub fn start() -> MemoryWatch {
        let started = Instant::now();
        // Started first, so the sampler's own set-up allocations precede the "before" figures.
        let sampler = spawn_sampler(started);
        MemoryWatch {
            started,
            counts_before: global_counts(),
            rss_before: rss::resident_bytes(),
            sampler,
        }
    }

    /// Stop sampling and sum up. Never fails: a figure the platform cannot give is absent.
    pub fn finish(mut self) -> MemoryReport {
        let counts_after = global_counts();
        let rss_after = rss::resident_bytes();
        let last = Sample::take(self.started);
        let mut samples = match self.sampler.take() {
            Some(sampler) => {
                sampler.stop();
                sampler.handle.join().unwrap_or_default()
            }
            None => Vec::new(),
        };
        samples.push(last);
        summarize(
            &samples,
            self.counts_before,
            counts_after,
            self.rss_before,
            rss_after,
        )
    }
}

impl Drop for MemoryWatch {
    /// A body that panicked never reaches `finish`: stop its sampler all the same.
    fn drop(&mut self) {
        if let Some(sampler) = &self.sampler {
            sampler.stop();
        }
    }
}

fn spawn_sampler(started: Instant) -> Option<Sampler> {
    let stop = Arc::new(AtomicBool::new(false));
    let ready = Arc::new(AtomicBool::new(false));
    let (flag, signal) = (Arc::clone(&stop), Arc::clone(&ready));
    // Touched now, so that filling it later adds no resident pages to the body's figure.
    let mut buffer = vec![Sample::default(); MAX_SAMPLES];
    buffer.clear();
    let handle = std::thread::Builder::new()
        .name("cargo-perf-memory".into())
        .stack_size(64 * 1024)
        .spawn(move || sample_until(&flag, &signal, started, buffer))
        .ok()?;
    // The "before" figures wait for the sampler's first sample: by then its stack pages are
    // resident and its start-up is done, so neither counts as the body's RSS growth. Bounded,
    // in case the thread is never scheduled.
    let waiting = Instant::now();
    while !ready.load(Ordering::Acquire) && waiting.elapsed() < READY_WAIT {
        std::thread::yield_now();
    }
    Some(Sampler { stop, handle })
}

fn sample_until(
    stop: &AtomicBool,
    ready: &AtomicBool,
    started: Instant,
    mut samples: Vec<Sample>,
) -> Vec<Sample> {
    let mut interval = FIRST_INTERVAL;
    while !stop.load(Ordering::Acquire) {
        if samples.len() == MAX_SAMPLES {
            thin(&mut samples);
            interval *= 2;
        }
        samples.push(Sample::take(started));
        ready.store(true, Ordering::Release);
        // Park can wake early (spuriously or on unpark); the loop re-checks the flag.
        let deadline = Instant::now() + interval;
        while !stop.load(Ordering::Acquire) {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            std::thread::park_timeout(deadline - now);
        }
    }
    samples
}

/// Keep every other sample, in place (no allocation).
fn thin<T: Copy>(samples: &mut Vec<T>) {
    let kept = samples.len().div_ceil(2);
    for i in 0..kept {
        samples[i] = samples[2 * i];
    }
    samples.truncate(kept);
}

/// What the watch saw, ready to be put into a measurement.
#[derive(Debug, Clone, PartialEq)]
pub struct MemoryReport {
    pub details: MemoryDetails,
    /// RSS growth over the body, raised to the leaked bytes when a leak was flagged.
    pub rss_growth_bytes: Option<i64>,
}

impl MemoryReport {
    /// Fill `metrics.rss_growth_bytes` and `memory`. A load test whose generator left the
    /// allocation metrics empty gets whole-test figures per operation (these include the
    /// runtime's own allocations, so they are an upper bound).
    pub fn apply(self, m: &mut Measurement) {
        if let Some(growth) = self.rss_growth_bytes {
            m.metrics.rss_growth_bytes = Some(growth);
        }
        let operations = m.load.as_ref().map_or(0, |l| l.operations);
        if let (Some(totals), true) = (self.details.allocations, operations > 0) {
            let counts = AllocCounts {
                allocs: totals.allocs,
                deallocs: totals.deallocs,
                reallocs: totals.reallocs,
                bytes_allocated: totals.bytes_allocated,
                bytes_deallocated: totals.bytes_deallocated,
            };
            if let Some((allocs, bytes)) = counts.per_iteration(operations) {
                m.metrics.allocs_per_iter.get_or_insert(allocs);
                m.metrics.alloc_bytes_per_iter.get_or_insert(bytes);
            }
        }
        m.memory = Some(self.details);
    }
}

fn summarize(
    samples: &[Sample],
    counts_before: Option<AllocCounts>,
    counts_after: Option<AllocCounts>,
    rss_before: Option<u64>,
    rss_after: Option<u64>,
) -> MemoryReport {
    let allocations = match (counts_before, counts_after) {
        (Some(before), Some(after)) => Some(after.since(before)),
        _ => None,
    };
    let live_before = counts_before.map(AllocCounts::live_bytes);
    let peak_live_bytes = live_before.and_then(|base| {
        samples
            .iter()
            .filter_map(|s| s.live)
            .max()
            .map(|peak| peak.saturating_sub(base).max(0) as u64)
    });
    let rss_peak_bytes = samples
        .iter()
        .filter_map(|s| s.rss)
        .chain(rss_before)
        .chain(rss_after)
        .max();
    let leak = judge_leak(samples);
    let rss_delta = match (rss_before, rss_after) {
        (Some(before), Some(after)) => Some(after as i64 - before as i64),
        _ => None,
    };
    // Freed or cached pages make RSS a blunt instrument: a leak whose pages the allocator
    // had already mapped barely moves it. A flagged leak therefore counts at least the heap
    // bytes it leaked, so an `rss_growth` threshold fails for it.
    let rss_growth_bytes = match (rss_delta, &leak) {
        (Some(delta), Some(l)) => Some(delta.max(l.growth_bytes as i64)),
        (None, Some(l)) => Some(l.growth_bytes as i64),
        (delta, None) => delta,
    };
    MemoryReport {
        details: MemoryDetails {
            rss_before_bytes: rss_before,
            rss_after_bytes: rss_after,
            rss_peak_bytes,
            allocations: allocations.map(|c| AllocTotals {
                allocs: c.allocs,
                deallocs: c.deallocs,
                reallocs: c.reallocs,
                bytes_allocated: c.bytes_allocated,
                bytes_deallocated: c.bytes_deallocated,
            }),
            peak_live_bytes,
            samples: samples.len() as u32,
            leak,
        },
        rss_growth_bytes,
    }
}

/// Fit live bytes against iterations when the harness reported them, else against time.
fn judge_leak(samples: &[Sample]) -> Option<LeakReport> {
    let live: Vec<(f64, f64, f64)> = samples
        .iter()
        .filter_map(|s| Some((s.elapsed_s, s.iterations as f64, s.live? as f64)))
        .collect();
    let by_time: Vec<(f64, f64)> = live.iter().map(|&(t, _, y)| (t, y)).collect();
    let by_iteration: Vec<(f64, f64)> = live.iter().map(|&(_, n, y)| (n, y)).collect();
    let time_fit = leak::fit_second_half(&by_time)?;
    // `None` when the harness never called `note_iterations`: the axis does not advance.
    let iteration_fit = leak::fit_second_half(&by_iteration);
    let verdict: Fit = iteration_fit.unwrap_or(time_fit);
    if !verdict.is_leak() {
        return None;
    }
    // Extrapolate the slope over the whole body, not only the fitted half.
    let growth_bytes = match iteration_fit {
        Some(fit) => fit.slope * (by_iteration.last()?.0 - by_iteration.first()?.0),
        None => time_fit.slope * (by_time.last()?.0 - by_time.first()?.0),
    };
    Some(LeakReport {
        bytes_per_iter: iteration_fit.map(|f| f.slope),
        bytes_per_sec: time_fit.slope,
        growth_bytes: growth_bytes.max(0.0) as u64,
        confidence: verdict.confidence,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(i: usize, live: i64, iterations: u64) -> Sample {
        Sample {
            elapsed_s: i as f64 * 0.01,
            iterations,
            live: Some(live),
            rss: Some(10_000_000 + live as u64),
        }
    }

    #[test]
    fn dropping_an_unfinished_watch_stops_its_sampler() {
        let watch = MemoryWatch::start();
        let stop = Arc::clone(&watch.sampler.as_ref().unwrap().stop);
        drop(watch);
        // The sampler thread holds the other reference until it returns.
        let deadline = Instant::now() + Duration::from_secs(10);
        while Arc::strong_count(&stop) > 1 {
            assert!(Instant::now() < deadline, "the sampler thread kept running");
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    #[test]
    fn a_load_test_without_allocation_metrics_gets_whole_test_figures_per_operation() {
        let samples: Vec<Sample> = (0..10).map(|i| sample(i, 0, 0)).collect();
        let before = AllocCounts::default();
        let after = AllocCounts {
            allocs: 300,
            reallocs: 100,
            bytes_allocated: 40_000,
            ..AllocCounts::default()
        };
        let report = summarize(&samples, Some(before), Some(after), Some(1), Some(1));
        let mut load = Measurement {
            load: Some(crate::protocol::LoadDetails {
                operations: 200,
                ..Default::default()
            }),
            ..Measurement::default()
        };
        report.clone().apply(&mut load);
        assert_eq!(load.metrics.allocs_per_iter, Some(2.0));
        assert_eq!(load.metrics.alloc_bytes_per_iter, Some(200.0));
        assert_eq!(load.metrics.rss_growth_bytes, Some(0));
        assert!(load.memory.is_some());

        // A bench keeps the Bencher's exact figures (or none), never whole-test ones.
        let mut bench = Measurement::default();
        bench.metrics.allocs_per_iter = Some(0.0);
        report.apply(&mut bench);
        assert_eq!(bench.metrics.allocs_per_iter, Some(0.0));
        assert_eq!(bench.metrics.alloc_bytes_per_iter, None);
    }

    #[test]
    fn thinning_keeps_every_other_sample_in_order() {
        let mut v: Vec<u32> = (0..7).collect();
        thin(&mut v);
        assert_eq!(v, [0, 2, 4, 6]);
    }

    #[test]
    fn a_steady_heap_leak_raises_rss_growth_and_reports_per_iteration() {
        // 1 KiB per iteration, 100 iterations per 10 ms sample.
        let samples: Vec<Sample> = (0..60)
            .map(|i| sample(i, 1024 * 100 * i as i64, 100 * i as u64))
            .collect();
        let before = AllocCounts::default();
        let report = summarize(&samples, Some(before), None, Some(1_000), Some(2_000));
        let leak = report.details.leak.expect("a leak");
        assert_eq!(leak.bytes_per_iter, Some(1024.0));
        assert!((leak.bytes_per_sec - 1024.0 * 100.0 / 0.01).abs() < 1.0);
        assert_eq!(leak.growth_bytes, 1024 * 100 * 59);
        assert_eq!(report.rss_growth_bytes, Some(1024 * 100 * 59));
        assert_eq!(
            report.details.rss_peak_bytes,
            Some(10_000_000 + 1024 * 100 * 59)
        );
        assert_eq!(report.details.peak_live_bytes, Some(1024 * 100 * 59));
    }

    #[test]
    fn without_iteration_counts_the_leak_is_fitted_per_second() {
        let samples: Vec<Sample> = (0..60).map(|i| sample(i, 50_000 * i as i64, 0)).collect();
        let leak = summarize(&samples, None, None, None, None)
            .details
            .leak
            .expect("a leak");
        assert_eq!(leak.bytes_per_iter, None);
        assert!((leak.bytes_per_sec - 5_000_000.0).abs() < 1.0);
    }

    #[test]
    fn a_flat_heap_keeps_the_plain_rss_delta() {
        let samples: Vec<Sample> = (0..60).map(|i| sample(i, 4096, 10 * i as u64)).collect();
        let report = summarize(&samples, None, None, Some(5_000), Some(3_000));
        assert_eq!(report.details.leak, None);
        assert_eq!(report.rss_growth_bytes, Some(-2_000));
        assert_eq!(report.details.samples, 60);
    }

    #[test]
    fn the_watch_samples_a_real_body_and_measures_rss() {
        let _rss = crate::memory::RSS_TEST_LOCK
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        // RSS is the whole process's and other tests free memory meanwhile: a block far
        // larger than their churn, and a few attempts (a watch that does not measure never
        // shows the growth).
        let mut seen = Vec::new();
        for _ in 0..3 {
            let watch = MemoryWatch::start();
            let block = std::hint::black_box(vec![1u8; 64 << 20]);
            std::thread::sleep(Duration::from_millis(30));
            let report = watch.finish();
            drop(block);
            let d = report.details;
            assert!(d.samples >= 2, "{d:?}");
            let (before, after, peak) = (
                d.rss_before_bytes.unwrap(),
                d.rss_after_bytes.unwrap(),
                d.rss_peak_bytes.unwrap(),
            );
            assert!(peak >= after && peak >= before, "{d:?}");
            if after >= before + (48 << 20) {
                return;
            }
            seen.push(d);
        }
        panic!("the watch never saw the 64 MiB block: {seen:?}");
    }
}
