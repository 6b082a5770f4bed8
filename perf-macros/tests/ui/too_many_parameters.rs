use cargo_perf::{perf_test, Bencher};

#[perf_test(args = [1])]
fn three(b: &mut Bencher, n: u32, m: u32) {
    b.iter(|| n + m);
}

fn main() {}
