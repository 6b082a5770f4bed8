//! Expanded tests run through the real harness (`cargo_perf::main!()`, smoke mode under
//! `cargo test`). The harness runs each case on a thread named after the test, so every
//! body checks that the name it runs under matches the argument it was handed: a closure
//! wired to the wrong argument, or a wrong label, panics and fails the run.

use cargo_perf::{black_box, perf_test, Bencher};

fn running_as() -> String {
    std::thread::current()
        .name()
        .expect("the harness names test threads")
        .to_string()
}

#[perf_test]
fn plain(b: &mut Bencher) {
    assert_eq!(running_as(), "plain");
    b.iter(|| black_box(1u64) + 1);
}

#[perf_test(args = [100, 10_000u32, 0x10])]
fn sized(b: &mut Bencher, n: u32) {
    assert_eq!(running_as(), format!("sized/{n}"));
    b.iter(|| black_box(n) * 2);
}

#[perf_test(name = "words", args = ["abc", "de"])]
fn strings(b: &mut Bencher, s: &str) {
    assert_eq!(running_as(), format!("words/{s}"));
    b.iter(|| black_box(s).len());
}

#[perf_test(args = [1, 2], timeout = "60s", tags = ["slow"])]
fn timed(b: &mut Bencher, k: u8) {
    assert_eq!(running_as(), format!("timed/{k}"));
    b.iter(|| black_box(k));
}

#[perf_test]
#[ignore]
fn never_by_default(_b: &mut Bencher) {
    panic!("an #[ignore]d perf test ran without --ignored");
}

mod inner {
    use cargo_perf::{perf_test, Bencher};

    #[perf_test(p99 < "1s")]
    fn nested(b: &mut Bencher) {
        assert_eq!(super::running_as(), "inner::nested");
        b.iter(|| ());
    }
}

cargo_perf::main!();
