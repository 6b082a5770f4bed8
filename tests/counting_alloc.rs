//! `CountingAlloc` installed as this test binary's real global allocator: exact counts.

use std::alloc::System;
use std::hint::black_box;

use cargo_perf::memory::{global_counts, thread_counts, AllocCounts, PeakWindow};
use cargo_perf::CountingAlloc;

#[global_allocator]
static GLOBAL: CountingAlloc<System> = CountingAlloc::new(System);

/// Counts on this thread for `iterations` runs of `body`, divided by nothing: raw totals.
fn counted<O>(iterations: u64, mut body: impl FnMut() -> O) -> AllocCounts {
    let before = thread_counts().expect("CountingAlloc is the global allocator");
    for _ in 0..iterations {
        black_box(body());
    }
    thread_counts().unwrap().since(before)
}

#[test]
fn one_vec_of_1000_u64_is_one_allocation_of_8000_bytes() {
    let c = counted(1, || Vec::<u64>::with_capacity(1000));
    assert_eq!(c.allocs, 1);
    assert_eq!(c.bytes_allocated, 8000);
    assert_eq!(c.deallocs, 1);
    assert_eq!(c.bytes_deallocated, 8000);
    assert_eq!(c.reallocs, 0);
}

#[test]
fn per_iteration_figures_are_exact_over_many_iterations() {
    let n = 10_000;
    let c = counted(n, || Vec::<u64>::with_capacity(1000));
    assert_eq!(c.allocs, n);
    assert_eq!(c.bytes_allocated, 8000 * n);
    assert_eq!(c.live_bytes(), 0);
}

#[test]
fn an_allocation_free_body_counts_zero() {
    let data: Vec<u64> = (0..1000).collect();
    let c = counted(10_000, || black_box(&data).iter().sum::<u64>());
    assert_eq!(c, AllocCounts::default());
}

#[test]
fn growing_a_vec_counts_reallocs_with_their_new_sizes() {
    let c = counted(1, || {
        let mut v: Vec<u8> = Vec::with_capacity(16);
        v.extend_from_slice(&[1; 16]);
        v.reserve_exact(16); // 16 -> 32 bytes: one realloc
        v.push(2);
        v
    });
    assert_eq!(c.allocs, 1);
    assert_eq!(c.reallocs, 1);
    assert_eq!(c.bytes_allocated, 16 + 32);
    assert_eq!(c.bytes_deallocated, 16 + 32);
    assert_eq!(c.live_bytes(), 0);
}

#[test]
fn other_threads_show_in_global_but_not_thread_counts() {
    let mine = thread_counts().unwrap();
    let global = global_counts().unwrap();
    let kept = std::thread::spawn(|| {
        let mut kept = Vec::new();
        for _ in 0..100 {
            kept.push(Box::new([0u8; 512]));
        }
        kept
    })
    .join()
    .unwrap();
    let my_delta = thread_counts().unwrap().since(mine);
    let global_delta = global_counts().unwrap().since(global);
    // This thread did nothing (joining may allocate nothing either; spawning allocates
    // the thread's bookkeeping here), the spawned thread allocated 100 boxes.
    assert!(my_delta.allocs < 100, "{my_delta:?}");
    assert!(global_delta.allocs >= 100, "{global_delta:?}");
    assert!(
        global_delta.bytes_allocated >= 100 * 512,
        "{global_delta:?}"
    );
    drop(kept);
}

#[test]
fn peak_window_sees_a_transient_allocation() {
    let window = PeakWindow::start();
    let v = black_box(vec![0u8; 64 * 1024]);
    drop(v);
    let small = black_box(vec![0u8; 100]);
    assert_eq!(window.peak_bytes(), Some(64 * 1024));
    drop(small);
}
