//! Leak detection end to end: `CountingAlloc` installed, `MemoryWatch` around real bodies.

use std::alloc::System;
use std::hint::black_box;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use cargo_perf::__internals::MemoryWatch;
use cargo_perf::memory::note_iterations;
use cargo_perf::CountingAlloc;

#[global_allocator]
static GLOBAL: CountingAlloc<System> = CountingAlloc::new(System);

/// The watch sees every thread's heap: these tests must not overlap.
static SERIAL: Mutex<()> = Mutex::new(());

const RUN: Duration = Duration::from_millis(600);

fn busy_work(seed: u64) -> u64 {
    (0..5_000u64).fold(seed, |acc, i| {
        acc.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(i)
    })
}

/// Caps the leak at 20 MiB however fast the machine is.
const MAX_ITERATIONS: u64 = 20_000;

/// Run `body` repeatedly for [`RUN`] (or [`MAX_ITERATIONS`]), telling the watch about every
/// iteration.
fn run_for(mut body: impl FnMut()) {
    let start = Instant::now();
    let mut done = 0;
    while start.elapsed() < RUN && done < MAX_ITERATIONS {
        done += 10;
        for _ in 0..10 {
            body();
        }
        note_iterations(10);
    }
}

#[test]
fn a_body_leaking_1kib_per_iteration_is_flagged_per_iteration() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let watch = MemoryWatch::start();
    run_for(|| {
        let leaked: &'static mut [u8] = Box::leak(vec![7u8; 1024].into_boxed_slice());
        black_box(busy_work(leaked[3] as u64));
    });
    let report = watch.finish();
    let leak = report.details.leak.expect("the leak is flagged");
    let per_iter = leak.bytes_per_iter.expect("iterations were reported");
    // Exactly 1024 bytes leak per iteration; the harness-free loop adds nothing else.
    assert!((per_iter - 1024.0).abs() < 32.0, "{leak:?}");
    assert!(leak.confidence >= 0.9, "{leak:?}");
    assert!(report.rss_growth_bytes.unwrap() >= leak.growth_bytes as i64);
    // The growth is the slope extrapolated over the run: within a few percent of the peak.
    let peak = report.details.peak_live_bytes.unwrap() as f64;
    assert!(peak >= 0.95 * leak.growth_bytes as f64, "{peak} {leak:?}");
}

#[test]
fn a_cache_filled_once_is_not_a_leak() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let watch = MemoryWatch::start();
    let mut cache: Option<Vec<u8>> = None;
    run_for(|| {
        let c = cache.get_or_insert_with(|| vec![1u8; 8 << 20]);
        black_box(busy_work(c[12_345] as u64));
    });
    let report = watch.finish();
    assert_eq!(report.details.leak, None, "{:?}", report.details);
    // The fill itself is visible: the live heap peaked about 8 MiB above the start (less
    // whatever libtest's other threads freed meanwhile).
    let peak = report.details.peak_live_bytes.unwrap();
    assert!(peak >= 15 << 19, "{peak}");
    let totals = report.details.allocations.unwrap();
    assert!(totals.bytes_allocated >= 8 << 20);
    drop(cache);
}

#[test]
fn a_transient_allocation_per_iteration_is_not_a_leak() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let watch = MemoryWatch::start();
    run_for(|| {
        let v = vec![3u8; 4096];
        black_box(busy_work(v[100] as u64));
    });
    let report = watch.finish();
    assert_eq!(report.details.leak, None, "{:?}", report.details);
    let totals = report.details.allocations.unwrap();
    assert!(totals.allocs >= 100, "{totals:?}");
}
