//! The `#[perf_test]` attribute of cargo-perf, re-exported as `cargo_perf::perf_test`.
//!
//! It registers a function as a perf test of the suite that `cargo_perf::main!()` runs. The
//! first parameter decides the kind: `&mut Bencher` makes a micro-benchmark, `&mut LoadTest`
//! a load test. A second parameter receives each value of `args = [..]`, one test per value.
//!
//! ```
//! use cargo_perf::{black_box, perf_test, Bencher, LoadTest};
//!
//! #[perf_test]
//! fn sum_1k(b: &mut Bencher) {
//!     let v: Vec<u64> = (0..1000).collect();
//!     b.iter(|| black_box(&v).iter().sum::<u64>());
//! }
//!
//! // Tests `sort/100` and `sort/10000`.
//! #[perf_test(args = [100, 10_000], tags = ["slow"], mean < "5ms", allocs <= 2)]
//! fn sort(b: &mut Bencher, n: usize) {
//!     b.iter_with_setup(|| (0..n).rev().collect::<Vec<_>>(), |mut v| v.sort());
//! }
//!
//! #[perf_test(name = "cache", p99 < "20ms", throughput > 500, success_rate >= 99.0)]
//! fn cache_get(load: &mut LoadTest) {
//!     load.concurrency(8);
//! }
//!
//! // Skipped unless the suite runs with `--ignored`.
//! #[perf_test(timeout = "2s", noise = "10%", rss_growth < "10MB")]
//! #[ignore]
//! fn flaky(b: &mut Bencher) {
//!     b.iter(|| black_box(1) + 1);
//! }
//! # fn main() {}
//! ```
//!
//! # Keys
//! Settings take `=`:
//! - `name = "cache"`: the display name (default: the function's path inside the target).
//! - `tags = ["slow", "io"]`: tags for `--tag`/`--exclude-tag`; `slow` is skipped by `--quick`.
//! - `args = [100, 10_000]`: one test per value, named `fn/label`; the label is a literal's
//!   value (`10_000u32` → `10000`, `"abc"` → `abc`) or an expression's tokens without spaces.
//! - `timeout = "30s"`: a longer run fails with a timeout error.
//! - `noise = "5%"`: this test's regression threshold (overrides `--threshold`).
//! - `crate = path`: where cargo-perf is, when it is not `::cargo_perf` (re-exports, renames).
//!
//! Thresholds take `<`, `<=`, `>` or `>=`:
//! - `p50`, `p90`, `p95`, `p99`, `p999`, `mean`, `max` `< "2ms"`: time per iteration (bench)
//!   or latency (load); a string with a unit: `ns`, `us` (`µs`), `ms`, `s`.
//! - `throughput > 500`: iterations (bench) or operations (load) per second; a number.
//! - `success_rate >= 99.0` (or `"99%"`): percent of successful operations; load tests only.
//! - `allocs <= 10`, `alloc_bytes <= 4096`: heap allocations and bytes per iteration; integers.
//! - `rss_growth < "10MB"`: resident memory growth; units `B KB MB GB KiB MiB GiB`.
//! - `p95("read") < "5ms"`, `success_rate("spike") >= 90.0`,
//!   `p99(op = "read", stage = "spike") < "10ms"`: a latency, throughput or success-rate key
//!   scoped to one operation and/or stage of a load test's mix (a positional name is an
//!   operation or a stage, resolved at run time).
//! - `recovery_time("outage") < "3s"`: a fault window's recovery time (load tests).
//! - `metric("hit_rate") >= 90`: a custom metric (`Bencher::metric`, load counters and ratios).
//! - `cpu < 150`: process CPU over the body, percent of one core; `peak_rss < "200MB"`: the
//!   highest sampled resident memory.
//!
//! Names that the test does not have (an operation, stage, fault or metric) fail the test at
//! run time with the known ones listed.
//!
//! `PERF_<TEST>_<KEY>=value` overrides a threshold at run time. `#[ignore]` is honoured.
//! Mistakes (an unknown key, a bad unit, a function of the wrong shape) are compile errors
//! pointing at the offending token.

mod check;
mod errors;
mod expand;
mod parse;
mod shape;

use proc_macro::TokenStream;

/// Register a function as a perf test; see the [crate docs](crate) for every key.
#[proc_macro_attribute]
pub fn perf_test(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::perf_test(attr.into(), item.into()).into()
}
