//! The sampling engine: timer calibration, warm-up, adaptive batch sizes, the sampling loop and
//! the allocation-counting pass, for any body shape that implements [`Routine`].

use std::time::{Duration, Instant};

use crate::memory::{self, AllocCounts};
use crate::protocol::Settings;

/// Most samples one process keeps: the sample buffer is allocated once, before timing.
pub(crate) const MAX_SAMPLES: usize = 5_000;
/// Fewest samples of a measured run, even when that overruns the budget: fewer would make
/// the median and its interval meaningless.
pub(crate) const MIN_SAMPLES: usize = 10;
/// Most samples of a smoke run (`cargo test`), which only checks that the body works.
const SMOKE_SAMPLES: usize = 10;
/// A sample lasts at least this long, so that the clock's resolution and the cost of reading
/// it are negligible next to it.
const MIN_SAMPLE_NS: u64 = 10_000;
/// ... and at least this many times the measured cost of reading the clock twice.
const OVERHEAD_FACTOR: u64 = 1_000;
/// Iterations in the allocation-counting pass (fewer when the sampling batch is smaller).
const COUNTING_ITERS: u64 = 1_000;
/// Empty timed regions measured to calibrate the timer overhead.
const CALIBRATION_ROUNDS: usize = 501;

/// Brackets the region a [`Routine::probed_batch`] runs: instruction counters, for
/// `--instructions` (see `counters`).
pub(crate) trait Probe {
    fn start(&mut self);
    fn stop(&mut self);
}

/// One body shape (`iter`, `iter_with_setup`, `iter_async`) as the engine drives it.
pub(crate) trait Routine {
    /// Run `iters` iterations and return how long they took in nanoseconds. Implementations
    /// read the clock right around the iterations: this is the hottest path of the project.
    fn timed_batch(&mut self, iters: u64) -> u64;

    /// Run `iters` iterations untimed, dropping every output inside the pass, between two
    /// snapshots of this thread's allocation counts (`None` without a counting allocator).
    fn count_allocs(&mut self, iters: u64) -> Option<AllocCounts>;

    /// Run `iters` iterations between `probe.start()` and `probe.stop()`, with everything the
    /// timed batch keeps outside its clock reads (setup, runtime entry) outside the probe too:
    /// the instruction-counting pass of `--instructions`.
    fn probed_batch(&mut self, iters: u64, probe: &mut dyn Probe);

    /// The largest batch this shape supports (bounded for `iter_with_setup`, whose inputs are
    /// all prepared before the batch starts).
    fn max_batch(&self) -> u64 {
        u64::MAX / 2
    }
}

/// What one process measured: per-iteration times, one per sample, and how they were taken.
#[derive(Debug, Clone)]
pub(crate) struct Sampled {
    /// Each sample's time per iteration, timer overhead subtracted, in nanoseconds.
    pub per_iter_ns: Vec<f64>,
    pub batch: u64,
    /// Iterations timed in the sampling phase (warm-up excluded).
    pub iterations: u64,
    pub timer_overhead_ns: f64,
    /// Allocation counts of the counting pass and its iteration count.
    pub allocs: Option<(AllocCounts, u64)>,
}

/// The cost of an empty timed region (`Instant::now()` then `elapsed()`), in nanoseconds: the
/// median of many, since interrupts only ever add to it.
pub(crate) fn timer_overhead_ns() -> f64 {
    let mut rounds = [0u64; CALIBRATION_ROUNDS];
    for slot in rounds.iter_mut() {
        let start = Instant::now();
        *slot = start.elapsed().as_nanos() as u64;
    }
    rounds.sort_unstable();
    rounds[CALIBRATION_ROUNDS / 2] as f64
}

/// Measure `routine` as `settings` say: a few plain runs in smoke mode, the whole procedure
/// (calibration, warm-up, batching, sampling, allocation counting) in measure mode.
pub(crate) fn run<R: Routine>(settings: &Settings, routine: &mut R) -> Sampled {
    let overhead = timer_overhead_ns();
    if settings.is_smoke() {
        return smoke(settings, routine, overhead);
    }
    let max_batch = routine.max_batch().max(1);
    let budget = Duration::from_nanos(settings.measure_ns);
    let target_ns = (OVERHEAD_FACTOR as f64 * overhead)
        .max(MIN_SAMPLE_NS as f64)
        .max(settings.measure_ns as f64 / MAX_SAMPLES as f64);

    let per_iter_estimate = warm_up(settings, routine, target_ns, max_batch);
    let batch = ((target_ns / per_iter_estimate.max(1e-3)).ceil() as u64).clamp(1, max_batch);

    // Allocated before sampling starts, never grown: `push` stays below capacity.
    let mut raw_ns: Vec<u64> = Vec::with_capacity(MAX_SAMPLES);
    let start = Instant::now();
    while raw_ns.len() < MAX_SAMPLES {
        raw_ns.push(routine.timed_batch(batch));
        // Outside the timed region: lets the leak detector fit growth per iteration.
        memory::note_iterations(batch);
        if raw_ns.len() >= MIN_SAMPLES && start.elapsed() >= budget {
            break;
        }
    }
    let per_iter_ns = raw_ns
        .iter()
        .map(|&ns| (ns as f64 - overhead).max(0.0) / batch as f64)
        .collect();

    let allocs = alloc_pass(routine, batch);
    Sampled {
        per_iter_ns,
        batch,
        iterations: batch * raw_ns.len() as u64,
        timer_overhead_ns: overhead,
        allocs,
    }
}

/// The allocation-counting pass of up to [`COUNTING_ITERS`] iterations (fewer when `batch`
/// is smaller). Only with a counting allocator: the pass runs the body (and its setup) for
/// nothing otherwise.
pub(crate) fn alloc_pass<R: Routine>(routine: &mut R, batch: u64) -> Option<(AllocCounts, u64)> {
    let counting_iters = batch.min(COUNTING_ITERS);
    memory::thread_counts()?;
    routine
        .count_allocs(counting_iters)
        .map(|c| (c, counting_iters))
}

/// Run growing batches for `warmup_ns` (and until one batch lasts about a sample) and return
/// the per-iteration cost: the lowest among the full-length batches, since a preemption or an
/// interrupt can only make a batch look slower.
fn warm_up<R: Routine>(
    settings: &Settings,
    routine: &mut R,
    target_ns: f64,
    max_batch: u64,
) -> f64 {
    let warmup = Duration::from_nanos(settings.warmup_ns);
    let start = Instant::now();
    let mut batch = 1u64;
    let mut best = f64::INFINITY;
    loop {
        let ns = routine.timed_batch(batch) as f64;
        memory::note_iterations(batch);
        let long_enough = ns * 2.0 >= target_ns || batch >= max_batch;
        if long_enough {
            best = best.min(ns / batch as f64);
            if start.elapsed() >= warmup {
                return best;
            }
        } else {
            // Grow toward a sample's length; never by more than 16x at once, so that one
            // early underestimate cannot make a batch run far longer than planned.
            let factor = (target_ns / ns.max(1.0)).clamp(2.0, 16.0);
            batch = ((batch as f64 * factor) as u64).clamp(1, max_batch);
        }
    }
}

/// A handful of single iterations, to check that the body runs: a rough median, no budget
/// beyond `measure_ns`.
fn smoke<R: Routine>(settings: &Settings, routine: &mut R, overhead: f64) -> Sampled {
    let budget = Duration::from_nanos(settings.measure_ns);
    let start = Instant::now();
    let mut per_iter_ns = Vec::with_capacity(SMOKE_SAMPLES);
    while per_iter_ns.len() < SMOKE_SAMPLES {
        let ns = routine.timed_batch(1);
        per_iter_ns.push((ns as f64 - overhead).max(0.0));
        if start.elapsed() >= budget {
            break;
        }
    }
    Sampled {
        iterations: per_iter_ns.len() as u64,
        per_iter_ns,
        batch: 1,
        timer_overhead_ns: overhead,
        allocs: None,
    }
}

/// This thread's allocation counts around `pass`, or `None` without a counting allocator.
pub(crate) fn counted(pass: impl FnOnce()) -> Option<AllocCounts> {
    let before = memory::thread_counts()?;
    pass();
    let after = memory::thread_counts()?;
    Some(after.since(before))
}
