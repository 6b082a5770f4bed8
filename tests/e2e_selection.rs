//! End to end on `fixtures/demo`: a selection that matches nothing is an error (exit 2)
//! naming the closest subcommand, test or tag, before anything runs; `--no-tests=warn|pass`
//! accept it (issue 9).

mod common;

use common::fixture;

fn perf(args: &[&str]) -> common::Run {
    let mut all = vec!["--quick", "--processes", "1", "--no-save"];
    all.extend_from_slice(args);
    fixture("demo").cargo_perf(&all)
}

#[test]
fn a_mistyped_subcommand_is_an_error_that_names_it() {
    let run = perf(&["histroy"]);
    assert_eq!(run.code, 2, "{}", run.dump());
    assert!(
        run.stderr
            .contains("error: no test matches the filter `histroy`\n"),
        "{}",
        run.dump()
    );
    assert!(
        run.stderr
            .contains("help: did you mean the subcommand `history`? (`cargo perf history`)"),
        "{}",
        run.dump()
    );
    // Nothing ran: no summary was printed.
    assert!(!run.stdout.contains("passed;"), "{}", run.dump());
}

#[test]
fn a_mistyped_test_or_tag_names_the_closest() {
    let run = perf(&["tokenize_sentense"]);
    assert_eq!(run.code, 2, "{}", run.dump());
    assert!(
        run.stderr
            .contains("help: did you mean the test `tokenize_sentence`?"),
        "{}",
        run.dump()
    );
    let run = perf(&["--tag", "slwo"]);
    assert_eq!(run.code, 2, "{}", run.dump());
    assert!(
        run.stderr.contains("error: no test has the tag `slwo`\n"),
        "{}",
        run.dump()
    );
    assert!(
        run.stderr.contains("help: did you mean the tag `slow`?"),
        "{}",
        run.dump()
    );
    // Every part matches something, but --quick skips the only `slow` test.
    let run = perf(&["--tag", "slow"]);
    assert_eq!(run.code, 2, "{}", run.dump());
    assert!(run.stderr.contains("help: drop --quick"), "{}", run.dump());
}

#[test]
fn no_tests_warn_and_pass_accept_an_empty_run() {
    let run = perf(&["--no-tests=warn", "histroy"]);
    assert_eq!(run.code, 0, "{}", run.dump());
    assert!(
        run.stderr
            .contains("warning: no test matches the filter `histroy`"),
        "{}",
        run.dump()
    );
    let run = perf(&["--no-tests", "pass", "histroy"]);
    assert_eq!(run.code, 0, "{}", run.dump());
    assert!(!run.stderr.contains("warning:"), "{}", run.dump());
    let run = perf(&["--no-tests=sometimes", "histroy"]);
    assert_eq!(run.code, 2, "{}", run.dump());
}

#[test]
fn ab_fails_on_an_empty_selection_too() {
    let run = fixture("demo").cargo_perf(&["ab", "HEAD", "--quick", "--no-save", "histroy"]);
    assert_eq!(run.code, 2, "{}", run.dump());
    assert!(
        run.stderr
            .contains("error: no test matches the filter `histroy`"),
        "{}",
        run.dump()
    );
}
