use cargo_perf::{perf_test, Bencher};

#[perf_test(p99 "2ms")]
fn gap(b: &mut Bencher) {
    b.iter(|| ());
}

fn main() {}
