use cargo_perf::{perf_test, Bencher};

#[perf_test(args = [100, 1000])]
fn sort(b: &mut Bencher) {
    b.iter(|| ());
}

fn main() {}
