use cargo_perf::{perf_test, LoadTest};

#[perf_test]
fn serve(load: &mut LoadTest, workers: usize) {
    load.concurrency(workers);
}

fn main() {}
