use cargo_perf::{perf_test, Bencher};

#[perf_test]
unsafe fn raw(b: &mut Bencher) {
    b.iter(|| ());
}

#[perf_test]
extern "C" fn ffi(b: &mut Bencher) {
    b.iter(|| ());
}

fn main() {}
