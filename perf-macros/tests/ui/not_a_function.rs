use cargo_perf::perf_test;

#[perf_test]
struct Cache;

fn main() {}
