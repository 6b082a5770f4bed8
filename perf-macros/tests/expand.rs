//! The expansion really registers: `#[perf_test]`s of every shape land in `PERF_TESTS` with
//! their settings in base units.

use cargo_perf::__private::{Entry, Key, Op, TestFn, Threshold, PERF_TESTS};
use cargo_perf::{perf_test, Bencher, LoadTest};

#[perf_test]
fn plain(b: &mut Bencher) {
    b.iter(|| 1 + 1);
}

#[perf_test(args = [100, 10_000u32, 0x10])]
fn sized(b: &mut Bencher, n: u32) {
    b.iter(|| n * 2);
}

#[perf_test(args = ["abc", "de f"], tags = ["slow", "io"])]
fn strings(b: &mut Bencher, s: &str) {
    b.iter(|| s.len());
}

const BIG: usize = 1 << 20;

#[perf_test(args = [BIG, 2 * BIG, 'x' as usize])]
fn exprs(b: &mut Bencher, n: usize) {
    b.iter(|| n);
}

#[perf_test(p99 < "20ms", mean <= "250us", max > "1.5s", p50 >= "40ns",
            allocs <= 3, alloc_bytes <= 4096, rss_growth < "10MiB", throughput > 1_000.5)]
fn limited(b: &mut Bencher) {
    b.iter(|| ());
}

#[perf_test(name = "renamed", timeout = "30s", noise = "2.5%")]
#[ignore]
fn settings(b: &mut Bencher) {
    b.iter(|| ());
}

#[perf_test(crate = cargo_perf, p999<="1ms")]
fn explicit_crate(b: &mut cargo_perf::Bencher) {
    b.iter(|| ());
}

// A crate that reaches cargo-perf through a re-export names that path.
mod reexport {
    pub use cargo_perf as inner;
}

#[reexport::inner::perf_test(crate = crate::reexport::inner)]
fn through_reexport(b: &mut reexport::inner::Bencher) {
    b.iter(|| ());
}

#[perf_test(p99 < "20ms", throughput > 500, success_rate >= 99.0)]
fn load(load: &mut LoadTest) {
    load.concurrency(2);
}

#[perf_test(args = [1, 4], success_rate >= "99.9%")]
fn load_args(load: &mut LoadTest, workers: usize) {
    load.concurrency(workers);
}

// Compiles only if the entry is configured away together with the function.
#[perf_test]
#[cfg(any())]
fn configured_away(b: &mut Bencher) {
    b.iter(|| ());
}

mod nested {
    use cargo_perf::{perf_test, Bencher};

    // The same function name in another module must not clash with the outer `plain`.
    #[perf_test]
    fn plain(b: &mut Bencher) {
        b.iter(|| ());
    }
}

fn entry(fn_name: &str, module_suffix: &str) -> &'static Entry {
    let found: Vec<&Entry> = PERF_TESTS
        .iter()
        .filter(|e| e.fn_name == fn_name && e.module_path.ends_with(module_suffix))
        .collect();
    assert_eq!(found.len(), 1, "{fn_name} in *{module_suffix}");
    found[0]
}

fn top(fn_name: &str) -> &'static Entry {
    entry(fn_name, "expand")
}

fn bench_count(e: &Entry) -> usize {
    match e.test {
        TestFn::Bench(fns) => fns.len(),
        TestFn::Load(_) => panic!("{} should be a bench", e.fn_name),
    }
}

fn load_count(e: &Entry) -> usize {
    match e.test {
        TestFn::Load(fns) => fns.len(),
        TestFn::Bench(_) => panic!("{} should be a load test", e.fn_name),
    }
}

#[test]
fn every_test_is_registered_once() {
    assert_eq!(PERF_TESTS.len(), 11);
    assert!(PERF_TESTS.iter().all(|e| e.fn_name != "configured_away"));
    assert!(entry("plain", "expand::nested")
        .module_path
        .ends_with("::nested"));
}

#[test]
fn plain_entries_carry_defaults_and_location() {
    let e = top("plain");
    assert_eq!(e.name, None);
    assert_eq!(e.module_path, "expand");
    assert!(e.file.ends_with("expand.rs"), "{}", e.file);
    // The line of the fn's name, not of the attribute or of the macro's crate.
    let src = include_str!("expand.rs");
    let line = src
        .lines()
        .position(|l| l == "fn plain(b: &mut Bencher) {")
        .unwrap()
        + 1;
    assert_eq!(e.line as usize, line);
    assert!(e.tags.is_empty() && e.args.is_empty() && e.thresholds.is_empty());
    assert_eq!((e.timeout_ns, e.noise, e.ignore), (None, None, false));
    assert_eq!(bench_count(e), 1);
}

#[test]
fn args_give_one_function_and_one_label_each() {
    let e = top("sized");
    assert_eq!(e.args, ["100", "10000", "16"]);
    assert_eq!(bench_count(e), 3);
    let e = top("strings");
    assert_eq!(e.args, ["abc", "de f"]);
    assert_eq!(e.tags, ["slow", "io"]);
    assert_eq!(bench_count(e), 2);
    let e = top("exprs");
    assert_eq!(e.args, ["BIG", "2*BIG", "'x'asusize"]);
    assert_eq!(bench_count(e), 3);
}

#[test]
fn thresholds_are_in_base_units() {
    let t = |key, op, value| Threshold { key, op, value };
    assert_eq!(
        top("limited").thresholds,
        [
            t(Key::P99, Op::Lt, 20e6),
            t(Key::Mean, Op::Le, 250e3),
            t(Key::Max, Op::Gt, 1.5e9),
            t(Key::P50, Op::Ge, 40.0),
            t(Key::Allocs, Op::Le, 3.0),
            t(Key::AllocBytes, Op::Le, 4096.0),
            t(Key::RssGrowth, Op::Lt, 10.0 * 1024.0 * 1024.0),
            t(Key::Throughput, Op::Gt, 1000.5),
        ]
    );
    assert!(top("through_reexport").thresholds.is_empty());
    assert_eq!(
        top("explicit_crate").thresholds,
        [t(Key::P999, Op::Le, 1e6)]
    );
}

#[test]
fn settings_and_ignore_are_carried() {
    let e = top("settings");
    assert_eq!(e.name, Some("renamed"));
    assert_eq!(e.timeout_ns, Some(30_000_000_000));
    assert_eq!(e.noise, Some(0.025));
    assert!(e.ignore);
    assert!(!top("plain").ignore);
}

#[test]
fn load_tests_register_as_load() {
    let e = top("load");
    assert_eq!(load_count(e), 1);
    assert_eq!(
        e.thresholds.iter().map(|t| t.key).collect::<Vec<_>>(),
        [Key::P99, Key::Throughput, Key::SuccessRate]
    );
    assert_eq!(e.thresholds[2].value, 99.0);
    let e = top("load_args");
    assert_eq!(load_count(e), 2);
    assert_eq!(e.args, ["1", "4"]);
    assert_eq!(e.thresholds[0].value, 99.9);
}

#[test]
fn the_users_functions_stay_callable() {
    // The attribute leaves the function in place (and `#[ignore]` stripped from it).
    let f: fn(&mut Bencher) = settings;
    let g: fn(&mut LoadTest, usize) = load_args;
    assert_ne!(f as usize, 0);
    assert_ne!(g as usize, 0);
}
