// An attribute error still emits the function, so calls to it do not add
// "cannot find function" errors: only the attribute's error is reported.
use cargo_perf::{perf_test, Bencher};

#[perf_test(bogus = 1)]
fn sort(b: &mut Bencher) {
    b.iter(|| ());
}

#[perf_test(p99 "1ms")]
fn parse_error(b: &mut Bencher) {
    b.iter(|| ());
}

fn main() {
    let _: fn(&mut Bencher) = sort;
    let _: fn(&mut Bencher) = parse_error;
}
