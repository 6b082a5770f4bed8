use cargo_perf::{perf_test, Bencher, LoadTest};

#[perf_test(p95(7) < "1ms", p99(op) < "1ms", p50(foo = "x") < "1ms", max() < "1s")]
fn scopes(load: &mut LoadTest) {
    load.run(|_| async {});
}

#[perf_test(p95("read", stage = "spike") < "1ms", allocs("read") <= 1, cpu("x") < 100)]
fn misplaced(load: &mut LoadTest) {
    load.run(|_| async {});
}

#[perf_test(p95("read") < "1ms")]
fn on_a_bench(b: &mut Bencher) {
    b.iter(|| ());
}

fn main() {}
