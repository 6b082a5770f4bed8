//! cargo-perf: performance tests as a tested property of a crate.
//!
//! Write `#[perf_test]` functions in a `harness = false` bench (or test) target, end the file
//! with `cargo_perf::main!()`, and run `cargo perf`. See the README for the whole story.
//!
//! ```ignore
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

#[cfg(feature = "cli")]
#[doc(hidden)]
pub mod cli;
pub mod format;
mod harness;
pub mod limits;
pub mod load;
pub mod measure;
pub mod memory;
pub mod protocol;
mod registry;
pub mod stats;
pub mod threshold;

pub use load::{CapacityGoal, Ctx, Figures, LoadReport, LoadTest};
pub use measure::Bencher;
pub use memory::CountingAlloc;
pub use perf_macros::perf_test;
pub use protocol::{Direction, Throughput};
pub use std::hint::black_box;

/// The suite's `main`: runs the registered `#[perf_test]`s under libtest-mimic (for
/// `cargo test` and `cargo bench`) or under the `cargo perf` protocol.
///
/// `main!()` also installs [`CountingAlloc`] around the system allocator as the global
/// allocator, so allocation figures need no set-up. A suite with its own
/// `#[global_allocator]` writes `main!(custom_allocator)` and wraps its allocator in
/// `CountingAlloc::new(..)` itself.
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

/// What `#[perf_test]` and `main!` expand to. Not a public API: it changes without notice.
#[doc(hidden)]
pub mod __private {
    pub use crate::harness::harness_main;
    pub use crate::limits::{Figure, Limit};
    pub use crate::registry::{Entry, TestFn, PERF_TESTS};
    pub use crate::threshold::{Key, Op, Threshold};
    pub use linkme;
    pub use std::alloc::System;
}
