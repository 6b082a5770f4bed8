use cargo_perf::{perf_test, Bencher};

#[perf_test(overhead(3) <= "20%", speedup("sequential") <= "3x")]
fn wrong_forms(b: &mut Bencher) {
    b.iter(|| ());
}

#[perf_test(overhead <= "20%", overhead("plain") <= "20", speedup("a", "b") >= "3x")]
fn missing_parts(b: &mut Bencher) {
    b.iter(|| ());
}

fn main() {}
