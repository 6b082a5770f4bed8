use cargo_perf::{perf_test, Bencher};

#[perf_test(instructions <= "12k")]
fn as_a_string(b: &mut Bencher) {
    b.iter(|| ());
}

#[perf_test(instructions <= 1.5)]
fn fractional(b: &mut Bencher) {
    b.iter(|| ());
}

#[perf_test(instruction <= 12_000)]
fn misspelt(b: &mut Bencher) {
    b.iter(|| ());
}

fn main() {}
