use cargo_perf::{perf_test, Bencher};

#[perf_test(timeout = 30, noise = 0.05)]
fn numbers(b: &mut Bencher) {
    b.iter(|| ());
}

#[perf_test(timeout = "0s", noise = "5")]
fn strings(b: &mut Bencher) {
    b.iter(|| ());
}

#[perf_test(noise = "150%")]
fn too_noisy(b: &mut Bencher) {
    b.iter(|| ());
}

fn main() {}
