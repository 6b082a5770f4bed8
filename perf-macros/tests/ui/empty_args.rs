use cargo_perf::{perf_test, Bencher};

#[perf_test(args = [])]
fn sort(b: &mut Bencher, n: usize) {
    b.iter(|| n);
}

fn main() {}
