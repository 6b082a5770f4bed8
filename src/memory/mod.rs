//! Memory figures: the counting global allocator, resident-memory sampling and leak detection.
//!
//! - [`alloc`]: `CountingAlloc`, per-thread lock-free counters behind [`thread_counts`] and
//!   [`global_counts`].
//! - [`rss`]: resident set size from `/proc/self/statm` (sysinfo elsewhere).
//! - [`leak`]: the slope fit that tells a leak from a one-off fill.
//! - [`watch`]: the per-test sampler the harness wraps around every test body.

mod alloc;
pub(crate) mod leak;
pub mod rss;
#[doc(hidden)] // the harness's; public for the integration tests
pub mod watch;

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

pub use alloc::CountingAlloc;

/// Allocator activity counted by [`CountingAlloc`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AllocCounts {
    pub allocs: u64,
    pub deallocs: u64,
    pub reallocs: u64,
    /// Bytes handed out by `alloc` plus the new sizes of `realloc`.
    pub bytes_allocated: u64,
    /// Bytes given back by `dealloc` plus the old sizes of `realloc`.
    pub bytes_deallocated: u64,
}

impl AllocCounts {
    /// What happened between `earlier` and `self`.
    pub fn since(self, earlier: AllocCounts) -> AllocCounts {
        AllocCounts {
            allocs: self.allocs.wrapping_sub(earlier.allocs),
            deallocs: self.deallocs.wrapping_sub(earlier.deallocs),
            reallocs: self.reallocs.wrapping_sub(earlier.reallocs),
            bytes_allocated: self.bytes_allocated.wrapping_sub(earlier.bytes_allocated),
            bytes_deallocated: self
                .bytes_deallocated
                .wrapping_sub(earlier.bytes_deallocated),
        }
    }

    /// The `allocs_per_iter` and `alloc_bytes_per_iter` metrics of `iterations` runs counted
    /// in `self`, or `None` for zero iterations. A `realloc` counts as an allocation: it is a
    /// call into the allocator that may copy, and a `Vec` regrowing in a hot loop is exactly
    /// what the `allocs` threshold should catch.
    pub fn per_iteration(self, iterations: u64) -> Option<(f64, f64)> {
        if iterations == 0 {
            return None;
        }
        let n = iterations as f64;
        Some((
            (self.allocs + self.reallocs) as f64 / n,
            self.bytes_allocated as f64 / n,
        ))
    }

    /// Bytes allocated and not (yet) freed: negative when more was freed than allocated.
    pub fn live_bytes(self) -> i64 {
        self.bytes_allocated.wrapping_sub(self.bytes_deallocated) as i64
    }
}

/// The calling thread's counts, or `None` when `CountingAlloc` is not the global allocator.
///
/// Exact for a window between two calls on one thread: only that thread writes its counters.
pub fn thread_counts() -> Option<AllocCounts> {
    alloc::is_active().then(alloc::thread_counts)
}

/// Every thread's counts added up, or `None` when `CountingAlloc` is not the global allocator.
pub fn global_counts() -> Option<AllocCounts> {
    alloc::is_active().then(alloc::global_counts)
}

/// The high-water mark of the calling thread's live heap bytes over a window.
///
/// ```
/// let window = cargo_perf::memory::PeakWindow::start();
/// let v = vec![0u8; 4096];
/// drop(v);
/// // `Some(4096)` under `CountingAlloc`, `None` without it.
/// let _peak = window.peak_bytes();
/// ```
#[derive(Debug, Clone, Copy)]
pub struct PeakWindow {
    base_live: Option<i64>,
}

impl PeakWindow {
    /// Open a window on the calling thread; only that thread's allocations are seen.
    pub fn start() -> PeakWindow {
        if !alloc::is_active() {
            return PeakWindow { base_live: None };
        }
        alloc::reset_thread_peak();
        PeakWindow {
            base_live: alloc::thread_live(),
        }
    }

    /// How far live bytes rose above their level at [`PeakWindow::start`]. Call it on the
    /// thread that opened the window.
    pub fn peak_bytes(&self) -> Option<u64> {
        alloc::thread_peak_growth(self.base_live?)
    }
}

/// Iterations run so far in this process, as told by [`note_iterations`].
static ITERATIONS: AtomicU64 = AtomicU64::new(0);

/// Tell the leak detector that `n` more iterations of the test body ran, so that live-heap
/// growth is fitted per iteration rather than per second. The `Bencher`'s measurement loop
/// calls it once per batch, not per iteration. The load generator does not call it: a load
/// test's operations overlap and its in-flight count follows the ramp, so its live heap is
/// fitted against elapsed time (bytes per second at the sampled load), and its leak report
/// has no `bytes_per_iter`.
#[doc(hidden)]
pub fn note_iterations(n: u64) {
    ITERATIONS.fetch_add(n, Relaxed);
}

pub(crate) fn iterations_so_far() -> u64 {
    ITERATIONS.load(Relaxed)
}

/// Held by the unit tests that read this process's RSS: they must not see each other's
/// large blocks come and go.
#[cfg(test)]
pub(crate) static RSS_TEST_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_and_live_bytes_subtract_field_by_field() {
        let earlier = AllocCounts {
            allocs: 1,
            deallocs: 1,
            reallocs: 0,
            bytes_allocated: 100,
            bytes_deallocated: 100,
        };
        let later = AllocCounts {
            allocs: 4,
            deallocs: 2,
            reallocs: 1,
            bytes_allocated: 400,
            bytes_deallocated: 150,
        };
        let d = later.since(earlier);
        assert_eq!((d.allocs, d.deallocs, d.reallocs), (3, 1, 1));
        assert_eq!(d.live_bytes(), 250);
        assert_eq!(earlier.since(later).live_bytes(), -250);
        assert_eq!(d.per_iteration(2), Some((2.0, 150.0)));
        assert_eq!(d.per_iteration(0), None);
    }
}
