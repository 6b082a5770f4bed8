use cargo_perf::{perf_test, LoadTest};

#[perf_test(recovery_time < "3s", metric >= 90, recovery_time("outage") < 3)]
fn names(load: &mut LoadTest) {
    load.run(|_| async {});
}

#[perf_test(cpu < "fast", peak_rss < "200mb", metric("hit_rate") >= "high")]
fn values(load: &mut LoadTest) {
    load.run(|_| async {});
}

fn main() {}
