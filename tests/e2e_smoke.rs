//! End to end: the demo suite works without `cargo perf` too. `cargo test` smoke-runs every
//! perf test, and the suite binary lists its tests through libtest-mimic.

mod common;

use std::process::Command;

use common::{fixture, shared_target_dir, Run};

fn cargo_in_demo(args: &[&str]) -> Run {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let dir = &fixture("demo").dir;
    let mut cmd = Command::new(cargo);
    cmd.args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", shared_target_dir())
        .env("CARGO_TERM_COLOR", "never");
    common::run_in_fixture(dir, || cmd.output().expect("run cargo")).into()
}

/// libtest's `test NAME ... ok` line (libtest-mimic pads the name).
fn passed(stdout: &str, name: &str) -> bool {
    stdout.lines().any(|l| {
        let mut words = l.split_whitespace();
        words.next() == Some("test") && words.next() == Some(name) && l.ends_with("... ok")
    })
}

#[test]
fn cargo_test_smoke_runs_every_perf_test() {
    let run = cargo_in_demo(&["test", "--bench", "perf"]);
    assert_eq!(run.code, 0, "{}", run.dump());
    for name in [
        "tokenize_sentence",
        "count_words/10",
        "count_words/200",
        "rank_top_words",
        "tokenize_throughput",
        "tokenize_with_limit",
        "count_words_large",
    ] {
        assert!(passed(&run.stdout, name), "{name}\n{}", run.dump());
    }
    assert!(run.stdout.contains("7 passed; 0 failed"), "{}", run.dump());
}

#[test]
fn the_suite_lists_through_libtest_mimic() {
    let run = cargo_in_demo(&["test", "--bench", "perf", "--", "--list"]);
    assert_eq!(run.code, 0, "{}", run.dump());
    assert!(
        run.stdout.contains("tokenize_sentence: test"),
        "{}",
        run.dump()
    );
    assert!(
        run.stdout.contains("count_words/200: test"),
        "{}",
        run.dump()
    );
    assert!(
        !run.stdout.contains("test tokenize_sentence ... ok"),
        "listing runs nothing"
    );
}

#[test]
fn libtest_filters_work_on_the_suite() {
    let run = cargo_in_demo(&["test", "--bench", "perf", "--", "--exact", "rank_top_words"]);
    assert_eq!(run.code, 0, "{}", run.dump());
    assert!(
        run.stdout.contains("test rank_top_words ... ok"),
        "{}",
        run.dump()
    );
    assert!(run.stdout.contains("1 passed"), "{}", run.dump());
}
