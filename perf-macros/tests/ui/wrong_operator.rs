use cargo_perf::{perf_test, Bencher};

#[perf_test(p99 = "2ms")]
fn threshold_with_eq(b: &mut Bencher) {
    b.iter(|| ());
}

#[perf_test(name < "x")]
fn setting_with_lt(b: &mut Bencher) {
    b.iter(|| ());
}

#[perf_test(timeout)]
fn no_value(b: &mut Bencher) {
    b.iter(|| ());
}

fn main() {}
