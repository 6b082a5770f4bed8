//! Every compile error of `#[perf_test]`, checked against its expected message and span.
//! Regenerate the `.stderr` files with `TRYBUILD=overwrite`, then read each one.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
