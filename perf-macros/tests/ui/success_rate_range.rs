use cargo_perf::{perf_test, LoadTest};

#[perf_test(success_rate >= 101)]
fn over(load: &mut LoadTest) {
    load.concurrency(1);
}

#[perf_test(success_rate >= "99")]
fn no_sign(load: &mut LoadTest) {
    load.concurrency(1);
}

fn main() {}
