use cargo_perf::{perf_test, Bencher};

#[perf_test(p98 < "1ms")]
fn close(b: &mut Bencher) {
    b.iter(|| ());
}

#[perf_test(warmup = "1s")]
fn far(b: &mut Bencher) {
    b.iter(|| ());
}

#[perf_test(slow)]
fn bare(b: &mut Bencher) {
    b.iter(|| ());
}

fn main() {}
