use cargo_perf::{perf_test, Bencher};

#[perf_test(success_rate >= 99.0)]
fn bench(b: &mut Bencher) {
    b.iter(|| ());
}

fn main() {}
