use cargo_perf::{perf_test, Bencher};

#[perf_test(args = [1_000, 1000u64, ""])]
fn sort(b: &mut Bencher, n: u64) {
    b.iter(|| n);
}

#[perf_test(args = ["a", "a"])]
fn find(b: &mut Bencher, s: &str) {
    b.iter(|| s.len());
}

fn main() {}
