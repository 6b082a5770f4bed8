//! cargo-perf: performance tests as a tested property of a crate.
//!
//! Write `#[perf_test]` functions in a `harness = false` bench (or test) target, end the file
//! with `cargo_perf::main!()`, and run `cargo perf`. See the README for the whole story.
//!
//! ```no_run
//! use cargo_perf::{black_box, perf_test, Bencher};
//!
//! #[perf_test]
//! fn sum_1k(b: &mut Bencher) {
//!     let v: Vec<u64> = (0..1000).collect();
//!     b.iter(|| black_box(&v).iter().sum::<u64>());
//! }
//!
//! cargo_perf::main!();
//! ```

// `cargo perf` itself: compiled only with the `cli` feature, public only for the binary.
#[cfg(feature = "cli")]
#[doc(hidden)]
pub mod cli;
mod format;
mod harness;
mod limits;
mod load;
mod measure;
pub mod memory;
mod metrics;
mod protocol;
mod registry;
mod stats;
mod threshold;

pub use load::{CapacityGoal, Ctx, Figures, IntoOutcome, LoadReport, LoadTest};
pub use measure::Bencher;
pub use memory::CountingAlloc;
pub use metrics::Direction;
pub use perf_macros::perf_test;
pub use protocol::Throughput;
/// Hide a value from the optimiser, so that a benchmark's work is not removed as unused
/// (`std::hint::black_box`, re-exported).
///
/// ```
/// use cargo_perf::{black_box, perf_test, Bencher};
///
/// #[perf_test]
/// fn add(b: &mut Bencher) {
///     b.iter(|| black_box(2u64) + black_box(3u64));
/// }
/// # fn main() {}
/// ```
#[doc(inline)]
pub use std::hint::black_box;

/// The suite's `main`: runs the registered `#[perf_test]`s under libtest-mimic (for
/// `cargo test` and `cargo bench`) or under the `cargo perf` protocol.
///
/// `main!()` also installs [`CountingAlloc`] around the system allocator as the global
/// allocator, so allocation figures need no set-up. A suite with its own
/// `#[global_allocator]` writes `main!(custom_allocator)` and wraps its allocator in
/// `CountingAlloc::new(..)` itself.
///
/// ```no_run
/// use cargo_perf::{perf_test, Bencher};
///
/// #[perf_test]
/// fn noop(b: &mut Bencher) {
///     b.iter(|| ());
/// }
///
/// cargo_perf::main!();
/// ```
#[macro_export]
macro_rules! main {
    () => {
        #[global_allocator]
        static __CARGO_PERF_GLOBAL_ALLOC: $crate::CountingAlloc<$crate::__private::System> =
            $crate::CountingAlloc::new($crate::__private::System);
        $crate::main!(custom_allocator);
    };
    (custom_allocator) => {
        fn main() {
            $crate::__private::harness_main()
        }
    };
}

/// Internals that cargo-perf's own integration tests and benches reach. Not a public API.
#[doc(hidden)]
pub mod __internals {
    pub use crate::memory::watch::MemoryWatch;
    pub use crate::metrics::Metrics;
    pub use crate::protocol::{BenchDetails, Envelope, Measurement, Request, Response};
    pub use crate::stats::{
        bootstrap_median_ci, histogram_pairs, median, new_histogram, XorShift64,
        BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED,
    };
    pub use crate::threshold::{apply_env_overrides, env_var_name, Threshold};
}

/// What `#[perf_test]` and `main!` expand to. Not a public API: it changes without notice.
#[doc(hidden)]
pub mod __private {
    pub use crate::harness::harness_main;
    pub use crate::limits::{Figure, Limit};
    pub use crate::registry::{Entry, TestFn, PERF_TESTS};
    pub use crate::threshold::{Key, Op, Ratio, RatioLimit, Threshold};
    pub use linkme;
    pub use std::alloc::System;
}
