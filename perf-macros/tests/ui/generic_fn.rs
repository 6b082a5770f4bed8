use cargo_perf::{perf_test, Bencher};

#[perf_test]
fn sum<T: Default>(b: &mut Bencher) {
    b.iter(T::default);
}

fn main() {}
