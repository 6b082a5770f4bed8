use cargo_perf::perf_test;

#[perf_test]
fn nothing() {}

fn main() {}
