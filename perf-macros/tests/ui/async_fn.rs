use cargo_perf::{perf_test, Bencher};

#[perf_test]
async fn fetch(b: &mut Bencher) {
    b.iter(|| ());
}

fn main() {}
