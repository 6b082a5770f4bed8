use cargo_perf::{perf_test, Bencher};

#[perf_test(p99 < "2min")]
fn minutes(b: &mut Bencher) {
    b.iter(|| ());
}

#[perf_test(mean < 20)]
fn no_unit(b: &mut Bencher) {
    b.iter(|| ());
}

#[perf_test(max < "20")]
fn no_unit_string(b: &mut Bencher) {
    b.iter(|| ());
}

fn main() {}
