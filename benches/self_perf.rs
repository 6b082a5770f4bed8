//! cargo-perf's own perf suite: the figures that show how well it measures (an empty body, a
//! 4x-work pair for accuracy) and what its own hot pieces cost (statistics, process merging,
//! the protocol's JSON). `cargo perf` runs it on this repository; `cargo bench --bench
//! self_perf` runs it without the CLI; `scripts/measure-figures.sh` turns it into the
//! issue's figures.

use cargo_perf::__internals::{self as stats, BenchDetails, Measurement, Metrics};
use cargo_perf::cli::compare::merge::merge_processes;
use cargo_perf::{black_box, perf_test, Bencher, Throughput};

/// `rounds` dependent square-and-add steps from `x`: each round needs the previous one, so
/// the cost is exactly proportional to `rounds`. (A multiply by a *constant* would not do:
/// after unrolling, LLVM folds `(x*a + b)*a + b` into one multiply-add.)
#[inline(always)]
fn chain(mut x: u64, rounds: u32) -> u64 {
    for _ in 0..black_box(rounds) {
        x = x.wrapping_mul(x).wrapping_add(0x1405_7b7e_f767_814f);
    }
    x
}

/// Iterations of `chain` that each start from the previous one's result: were they
/// independent, the CPU would overlap the tail of one with the head of the next (out-of-order
/// execution), a fixed saving per iteration that makes a short chain look cheaper per round
/// than a long one (we measured x4/x1 = 4.13 that way instead of 4.0).
fn chained_work(b: &mut Bencher, rounds: u32) {
    let mut x = black_box(0x1234_5678_9abc_def1u64);
    b.iter(|| {
        x = chain(x, rounds);
        x
    });
}

/// Deterministic pseudo-random data (xorshift), so every run sorts the same input.
fn data(n: usize, seed: u64) -> Vec<u64> {
    let mut rng = stats::XorShift64::new(seed);
    (0..n).map(|_| rng.next_u64()).collect()
}

// --- Resolution: the goal is below 1 ns for both.

#[perf_test]
fn empty(b: &mut Bencher) {
    b.iter(|| {});
}

#[perf_test]
fn black_box_u64(b: &mut Bencher) {
    let x = 42u64;
    b.iter(|| black_box(x));
}

// --- Accuracy: work_x4 must report 4.0x work_x1 (within 3 %).

#[perf_test]
fn work_x1(b: &mut Bencher) {
    chained_work(b, 256);
}

#[perf_test]
fn work_x4(b: &mut Bencher) {
    chained_work(b, 1024);
}

// --- Realistic bodies.

#[perf_test(args = [1000, 100_000])]
fn sort_unstable(b: &mut Bencher, n: usize) {
    let input = data(n, 7);
    b.throughput(Throughput::Elements(n as u64));
    b.iter_with_setup(
        || input.clone(),
        |mut v| {
            v.sort_unstable();
            v
        },
    );
}

/// Exactly one allocation of 8000 bytes per iteration: checks the allocation pass end to end.
#[perf_test(allocs <= 1, alloc_bytes <= 8000)]
fn alloc_vec_1000(b: &mut Bencher) {
    b.iter(|| Vec::<u64>::with_capacity(black_box(1000)));
}

#[perf_test]
fn async_ready(b: &mut Bencher) {
    b.iter_async(|| async { black_box(1u64) });
}

// --- cargo-perf's own hot pieces.

/// The per-process statistics of a full default run (5000 samples), bootstrap included.
#[perf_test]
fn stats_bootstrap_ci_5000(b: &mut Bencher) {
    let mut samples: Vec<f64> = data(5000, 3)
        .into_iter()
        .map(|x| 100.0 + (x % 10_000) as f64 / 1000.0)
        .collect();
    samples.sort_by(f64::total_cmp);
    b.iter(|| {
        stats::bootstrap_median_ci(
            black_box(&samples),
            stats::BOOTSTRAP_RESAMPLES,
            stats::BOOTSTRAP_SEED,
        )
    });
}

fn process_measurement(seed: u64) -> Measurement {
    let mut h = stats::new_histogram();
    let samples: Vec<f64> = data(5000, seed)
        .into_iter()
        .map(|x| 100.0 + (x % 10_000) as f64 / 1000.0)
        .collect();
    for &s in &samples {
        h.record((s * 1000.0) as u64)
            .expect("auto-resizing histogram");
    }
    Measurement {
        metrics: Metrics {
            median_ns: stats::median(&samples),
            min_ns: samples.iter().copied().reduce(f64::min),
            max_ns: samples.iter().copied().reduce(f64::max),
            ..Metrics::default()
        },
        bench: Some(BenchDetails {
            samples: samples.len() as u64,
            histogram_ps: stats::histogram_pairs(&h),
            ..BenchDetails::default()
        }),
        ..Measurement::default()
    }
}

/// What `cargo perf` does with one test's 5 processes.
#[perf_test]
fn merge_5_processes(b: &mut Bencher) {
    let runs: Vec<Measurement> = (1..=5).map(process_measurement).collect();
    b.iter(|| merge_processes(black_box(&runs)));
}

/// Decoding one process's result file.
#[perf_test]
fn protocol_json_decode(b: &mut Bencher) {
    let json = serde_json::to_string(&process_measurement(1)).expect("serializable");
    b.throughput(Throughput::Bytes(json.len() as u64));
    b.iter(|| serde_json::from_str::<Measurement>(black_box(&json)).expect("valid JSON"));
}

cargo_perf::main!();
