use cargo_perf::{perf_test, Bencher};

#[perf_test(p99 < "1ms", name = "a", p99 < "2ms")]
fn twice(b: &mut Bencher) {
    b.iter(|| ());
}

fn main() {}
