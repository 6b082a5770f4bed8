use cargo_perf::{perf_test, Bencher};

#[perf_test(throughput > "fast")]
fn fast(b: &mut Bencher) {
    b.iter(|| ());
}

#[perf_test(allocs <= 1.5, alloc_bytes <= "1KB")]
fn allocs(b: &mut Bencher) {
    b.iter(|| ());
}

#[perf_test(name = quick, tags = "slow", p50 < fast)]
fn settings(b: &mut Bencher) {
    b.iter(|| ());
}

#[perf_test(tags = ["", "two words", 3, "x", "x"])]
fn tags(b: &mut Bencher) {
    b.iter(|| ());
}

#[perf_test(crate = "cargo_perf")]
fn krate(b: &mut Bencher) {
    b.iter(|| ());
}

fn main() {}
