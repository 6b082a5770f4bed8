use cargo_perf::{perf_test, Bencher};

#[perf_test]
fn shared(b: &Bencher) {
    let _ = b;
}

#[perf_test]
fn by_value(b: Bencher) {
    let _ = b;
}

#[perf_test]
fn number(n: &mut u32) {
    *n += 1;
}

fn main() {}
