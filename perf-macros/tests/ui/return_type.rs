use cargo_perf::{perf_test, Bencher};

#[perf_test]
fn sum(b: &mut Bencher) -> u64 {
    b.iter(|| ());
    0
}

fn main() {}
