//! The three body shapes a `Bencher` measures, as [`Routine`]s: the timed batch of each is kept
//! to the loop over the body, with everything else (setup, drops of setup outputs, runtime
//! entry) outside the clock reads.

use std::future::Future;
use std::hint::black_box;
use std::marker::PhantomData;
use std::time::Instant;

use super::engine::{counted, Probe, Routine};
use crate::memory::{self, AllocCounts};

/// Inputs prepared ahead of one `iter_with_setup` batch, at most: they all live at once.
pub(crate) const MAX_SETUP_BATCH: u64 = 4_096;
/// Bytes of prepared inputs one batch may hold (their own size plus the heap bytes `setup`
/// allocated for each), so that a batch of large inputs stays in a core's L1/L2 cache whatever
/// the batch size (criterion's `BatchSize` bounds it likewise). Unbounded, `sort/1000` on a
/// cloned vector measured 11.9 µs with the default budget's batches and 7.34 µs with
/// `--quick`'s (issue 12): inputs prepared early were evicted before their turn came.
pub(crate) const MAX_SETUP_BATCH_BYTES: u64 = 32 * 1024;

/// The most inputs of `input_size` bytes (plus `heap_bytes` each on the heap) one
/// `iter_with_setup` batch prepares: [`MAX_SETUP_BATCH_BYTES`] of them, at least one, at most
/// [`MAX_SETUP_BATCH`].
pub(crate) fn setup_batch_bound(input_size: u64, heap_bytes: u64) -> u64 {
    let per_input = input_size.saturating_add(heap_bytes).max(1);
    (MAX_SETUP_BATCH_BYTES / per_input).clamp(1, MAX_SETUP_BATCH)
}

/// `Bencher::iter`: the output is dropped inside the timed region.
pub(crate) struct Plain<F, O> {
    body: F,
    _output: PhantomData<fn() -> O>,
}

impl<F: FnMut() -> O, O> Plain<F, O> {
    pub(crate) fn new(body: F) -> Self {
        Plain {
            body,
            _output: PhantomData,
        }
    }
}

impl<F: FnMut() -> O, O> Routine for Plain<F, O> {
    // Never inlined, so every benchmark's loop is compiled alike, away from the engine's code.
    #[inline(never)]
    fn timed_batch(&mut self, iters: u64) -> u64 {
        let body = &mut self.body;
        let start = Instant::now();
        for _ in 0..iters {
            black_box(body());
        }
        start.elapsed().as_nanos() as u64
    }

    #[inline(never)]
    fn probed_batch(&mut self, iters: u64, probe: &mut dyn Probe) {
        let body = &mut self.body;
        probe.start();
        for _ in 0..iters {
            black_box(body());
        }
        probe.stop();
    }

    fn count_allocs(&mut self, iters: u64) -> Option<AllocCounts> {
        let body = &mut self.body;
        counted(|| {
            for _ in 0..iters {
                drop(black_box(body()));
            }
        })
    }
}

/// `Bencher::iter_with_setup`: a batch's inputs are built before its clock starts, and its
/// outputs are collected into a pre-reserved buffer and dropped after the clock stops.
pub(crate) struct WithSetup<S, R, I, O> {
    setup: S,
    routine: R,
    inputs: Vec<I>,
    outputs: Vec<O>,
    /// The most heap bytes one `setup` call allocated so far (0 without a counting allocator).
    input_heap_bytes: u64,
}

impl<S: FnMut() -> I, R: FnMut(I) -> O, I, O> WithSetup<S, R, I, O> {
    pub(crate) fn new(setup: S, routine: R) -> Self {
        WithSetup {
            setup,
            routine,
            inputs: Vec::new(),
            outputs: Vec::new(),
            input_heap_bytes: 0,
        }
    }

    fn prepare(&mut self, iters: u64) {
        let setup = &mut self.setup;
        self.inputs.clear();
        // Counted on the first input only: one thread-local read pair per batch.
        let before = memory::thread_counts();
        if iters > 0 {
            self.inputs.push(setup());
        }
        if let (Some(before), Some(after)) = (before, memory::thread_counts()) {
            let bytes = after.since(before).bytes_allocated;
            self.input_heap_bytes = self.input_heap_bytes.max(bytes);
        }
        self.inputs.extend((1..iters).map(|_| setup()));
        self.outputs.clear();
        self.outputs.reserve(iters as usize);
    }
}

impl<S: FnMut() -> I, R: FnMut(I) -> O, I, O> Routine for WithSetup<S, R, I, O> {
    #[inline(never)]
    fn timed_batch(&mut self, iters: u64) -> u64 {
        self.prepare(iters);
        let routine = &mut self.routine;
        let (inputs, outputs) = (&mut self.inputs, &mut self.outputs);
        let start = Instant::now();
        // `drain` of a Vec is exact-size, so `extend` writes into the reserved capacity
        // without a per-element capacity check.
        outputs.extend(inputs.drain(..).map(&mut *routine));
        let ns = start.elapsed().as_nanos() as u64;
        outputs.clear();
        ns
    }

    #[inline(never)]
    fn probed_batch(&mut self, iters: u64, probe: &mut dyn Probe) {
        self.prepare(iters);
        let routine = &mut self.routine;
        let (inputs, outputs) = (&mut self.inputs, &mut self.outputs);
        probe.start();
        outputs.extend(inputs.drain(..).map(&mut *routine));
        probe.stop();
        outputs.clear();
    }

    fn count_allocs(&mut self, iters: u64) -> Option<AllocCounts> {
        self.prepare(iters);
        let routine = &mut self.routine;
        let inputs = &mut self.inputs;
        counted(|| {
            for input in inputs.drain(..) {
                drop(black_box(routine(input)));
            }
        })
    }

    fn max_batch(&self) -> u64 {
        setup_batch_bound(std::mem::size_of::<I>() as u64, self.input_heap_bytes)
    }
}

/// `Bencher::iter_async`: one current-thread runtime for the whole test, entered once per
/// batch; the clock runs inside the runtime, around the awaits only.
pub(crate) struct Async<F, Fut> {
    runtime: tokio::runtime::Runtime,
    body: F,
    _future: PhantomData<fn() -> Fut>,
}

impl<F: FnMut() -> Fut, Fut: Future> Async<F, Fut> {
    pub(crate) fn new(body: F) -> Result<Self, String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("could not start a tokio runtime for `iter_async`: {e}"))?;
        Ok(Async {
            runtime,
            body,
            _future: PhantomData,
        })
    }
}

impl<F: FnMut() -> Fut, Fut: Future> Routine for Async<F, Fut> {
    #[inline(never)]
    fn timed_batch(&mut self, iters: u64) -> u64 {
        let body = &mut self.body;
        self.runtime.block_on(async move {
            let start = Instant::now();
            for _ in 0..iters {
                black_box(body().await);
            }
            start.elapsed().as_nanos() as u64
        })
    }

    #[inline(never)]
    fn probed_batch(&mut self, iters: u64, probe: &mut dyn Probe) {
        let body = &mut self.body;
        self.runtime.block_on(async move {
            probe.start();
            for _ in 0..iters {
                black_box(body().await);
            }
            probe.stop();
        })
    }

    fn count_allocs(&mut self, iters: u64) -> Option<AllocCounts> {
        let body = &mut self.body;
        let runtime = &self.runtime;
        counted(|| {
            runtime.block_on(async move {
                for _ in 0..iters {
                    drop(black_box(body().await));
                }
            })
        })
    }
}
