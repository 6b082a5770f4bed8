use cargo_perf::{perf_test, Bencher};

#[perf_test(args = 100)]
fn sort(b: &mut Bencher, n: usize) {
    b.iter(|| n);
}

fn main() {}
