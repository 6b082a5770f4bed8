use cargo_perf::{perf_test, Bencher};

#[perf_test(rss_growth < "10mb")]
fn lower_case(b: &mut Bencher) {
    b.iter(|| ());
}

#[perf_test(rss_growth < 1.5)]
fn fraction(b: &mut Bencher) {
    b.iter(|| ());
}

fn main() {}
