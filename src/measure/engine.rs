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
/// it are negligible next to it. A constant, not a multiple of this process's timer
/// calibration: the calibration differs between processes (22 to 31 ns on one VM), and a
/// sample length that follows it gives every process its own batch size (issue 12).
const MIN_SAMPLE_NS: u64 = 32_000;
/// ... and at least this many times the measured cost of reading the clock twice: only a clock
/// far slower than usual (above 32 ns) moves the sample length off the constant.
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

/// What one process measured: raw batch times, one per sample, and how they were taken.
#[derive(Debug, Clone)]
pub(crate) struct Sampled {
    /// Each sample's raw batch time in nanoseconds (timer overhead not yet subtracted: the
    /// conversion allocates, so it waits until the memory watch has stopped).
    pub raw_ns: Vec<u64>,
    pub batch: u64,
    /// Iterations timed in the sampling phase (warm-up excluded).
    pub iterations: u64,
    pub timer_overhead_ns: f64,
    /// Allocation counts of the counting pass and its iteration count.
    pub allocs: Option<(AllocCounts, u64)>,
}

impl Sampled {
    /// Each sample's time per iteration, timer overhead subtracted, in nanoseconds.
    pub fn per_iter_ns(&self) -> Vec<f64> {
        self.raw_ns
            .iter()
            .map(|&ns| (ns as f64 - self.timer_overhead_ns).max(0.0) / self.batch as f64)
            .collect()
    }
}

/// What the engine needs before a body runs, set up before the memory watch starts so that
/// its pages are not counted as the body's `rss_growth_bytes`: the timer calibration (its
/// stack frame) and the sample buffer, allocated once and touched page by page.
pub(crate) struct Prepared {
    pub timer_overhead_ns: f64,
    pub buffer: Vec<u64>,
}

impl Prepared {
    pub fn new() -> Prepared {
        let mut buffer = vec![0u64; MAX_SAMPLES];
        // `vec!` of zeros may come from fresh, untouched zero pages: write them so they are
        // resident now, then empty the buffer (its capacity stays).
        for slot in buffer.iter_mut() {
            *slot = std::hint::black_box(1);
        }
        buffer.clear();
        Prepared {
            timer_overhead_ns: timer_overhead_ns(),
            buffer,
        }
    }
}

/// The batch size for a body of `per_iter_ns` and samples of `target_ns`: the next power of two
/// above their ratio, so that processes whose warm-up estimates differ by a few per cent still
/// run the same loop (a different trip count is a different layout of the work in time).
pub(crate) fn batch_size(target_ns: f64, per_iter_ns: f64, max_batch: u64) -> u64 {
    let exact = (target_ns / per_iter_ns.max(1e-3)).ceil().max(1.0);
    let pow2 = if exact >= (1u64 << 62) as f64 {
        1u64 << 62
    } else {
        (exact as u64).next_power_of_two()
    };
    pow2.clamp(1, max_batch.max(1))
}

/// A sample's length: [`MIN_SAMPLE_NS`] (or 1000x a slow clock), longer only when the budget
/// would otherwise take more than [`MAX_SAMPLES`] samples. Default and `--quick` budgets both
/// stay below that, so both run the same batches (issue 12, item 4).
pub(crate) fn sample_target_ns(overhead_ns: f64, measure_ns: u64) -> f64 {
    (OVERHEAD_FACTOR as f64 * overhead_ns)
        .max(MIN_SAMPLE_NS as f64)
        .max(measure_ns as f64 / MAX_SAMPLES as f64)
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
/// (warm-up, batching, sampling, allocation counting) in measure mode, with the calibration
/// and buffer of `prepared`.
pub(crate) fn run<R: Routine>(settings: &Settings, routine: &mut R, prepared: Prepared) -> Sampled {
    let Prepared {
        timer_overhead_ns: overhead,
        buffer: mut raw_ns,
    } = prepared;
    if settings.is_smoke() {
        return smoke(settings, routine, overhead, raw_ns);
    }
    let budget = Duration::from_nanos(settings.measure_ns);
    let target_ns = sample_target_ns(overhead, settings.measure_ns);

    let per_iter_estimate = warm_up(settings, routine, target_ns, routine.max_batch().max(1));
    // Asked again: `iter_with_setup` bounds its batch by its inputs' size, known only once
    // the warm-up has built some.
    let batch = batch_size(target_ns, per_iter_estimate, routine.max_batch());

    // Allocated and touched before the body ran (`Prepared`), never grown: `push` stays below
    // capacity.
    raw_ns.clear();
    let start = Instant::now();
    while raw_ns.len() < MAX_SAMPLES {
        raw_ns.push(routine.timed_batch(batch));
        // Outside the timed region: lets the leak detector fit growth per iteration.
        memory::note_iterations(batch);
        if raw_ns.len() >= MIN_SAMPLES && start.elapsed() >= budget {
            break;
        }
    }

    let allocs = alloc_pass(routine, batch);
    Sampled {
        iterations: batch * raw_ns.len() as u64,
        raw_ns,
        batch,
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
fn smoke<R: Routine>(
    settings: &Settings,
    routine: &mut R,
    overhead: f64,
    mut raw_ns: Vec<u64>,
) -> Sampled {
    let budget = Duration::from_nanos(settings.measure_ns);
    let start = Instant::now();
    raw_ns.clear();
    while raw_ns.len() < SMOKE_SAMPLES {
        raw_ns.push(routine.timed_batch(1));
        if start.elapsed() >= budget {
            break;
        }
    }
    Sampled {
        iterations: raw_ns.len() as u64,
        raw_ns,
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
