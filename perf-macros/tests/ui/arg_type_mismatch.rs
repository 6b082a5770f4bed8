// A value of the wrong type is rustc's error, reported at the value inside `args`.
use cargo_perf::{perf_test, Bencher};

#[perf_test(args = [1, "two"])]
fn sort(b: &mut Bencher, n: usize) {
    b.iter(|| n);
}

fn main() {}
