//! End to end on `fixtures/failures`: panics, timeouts and crashes are errors while the rest of the
//! suite still runs, thresholds fail with exit 1, `PERF_<TEST>_<KEY>` overrides, `--fail-on`
//! (malformed overrides are configuration errors: tests/e2e_env.rs).

mod common;

use common::{fixture, test_named, test_names};

fn json(args: &[&str], env: &[(&str, &str)]) -> common::Run {
    let mut all = vec![
        "--quick",
        "--processes",
        "1",
        "--no-save",
        "--format",
        "json",
    ];
    all.extend_from_slice(args);
    fixture("failures").cargo_perf_env(&all, env)
}

#[test]
fn panic_timeout_and_crash_are_errors_and_the_suite_goes_on() {
    let run = json(&[], &[]);
    assert_eq!(run.code, 1, "{}", run.dump());
    let report = run.json();
    assert_eq!(
        test_names(&report),
        [
            "aborts",
            "misses_threshold",
            "panics",
            "passes",
            "sleeps_past_timeout"
        ]
    );
    let aborts = test_named(&report, "aborts");
    assert_eq!(aborts["status"], "error");
    let message = aborts["error"].as_str().unwrap();
    assert!(message.contains("SIGABRT"), "{message}");
    assert!(message.contains("about to abort on purpose"), "{message}");

    let panics = test_named(&report, "panics");
    assert_eq!(panics["status"], "error");
    let message = panics["error"].as_str().unwrap();
    assert!(message.contains("panics on purpose"), "{message}");

    let timeout = test_named(&report, "sleeps_past_timeout");
    assert_eq!(timeout["status"], "error");
    let message = timeout["error"].as_str().unwrap();
    assert!(message.contains("timed out"), "{message}");

    assert_eq!(test_named(&report, "passes")["status"], "passed");
    let missed = test_named(&report, "misses_threshold");
    assert_eq!(missed["status"], "failed");
    assert_eq!(report["summary"]["passed"], 1);
    assert_eq!(report["summary"]["failed"], 4);
}

#[test]
fn a_failing_threshold_exits_1_and_is_named() {
    let run = fixture("failures").cargo_perf(&[
        "--quick",
        "--processes",
        "1",
        "--no-save",
        "--exact",
        "misses_threshold",
    ]);
    assert_eq!(run.code, 1, "{}", run.dump());
    assert!(
        run.stdout.contains("FAILED failures/perf/misses_threshold"),
        "{}",
        run.dump()
    );
    assert!(run.stdout.contains("mean_ns < 1.00 ns"), "{}", run.dump());
    let report = json(&["--exact", "misses_threshold"], &[]).json();
    let check = &test_named(&report, "misses_threshold")["thresholds"][0];
    assert_eq!(check["passed"], false);
    assert!(check["actual"].as_f64().unwrap() > 1.0);
}

#[test]
fn fail_on_selects_what_exits_1() {
    let run = json(&["--exact", "misses_threshold", "--fail-on", "error"], &[]);
    assert_eq!(
        run.code,
        0,
        "a threshold failure is not an error\n{}",
        run.dump()
    );
    let run = json(&["--exact", "panics", "--fail-on", "threshold"], &[]);
    assert_eq!(run.code, 0, "{}", run.dump());
    let run = json(&["--exact", "panics", "--fail-on", "never"], &[]);
    assert_eq!(run.code, 0, "{}", run.dump());
    let run = json(&["--exact", "panics", "--fail-on", "regression,error"], &[]);
    assert_eq!(run.code, 1, "{}", run.dump());
}

#[test]
fn an_override_changes_the_verdict() {
    let before = json(&["--exact", "passes"], &[]);
    assert_eq!(before.code, 0, "{}", before.dump());
    let after = json(&["--exact", "passes"], &[("PERF_PASSES_MEAN", "1ns")]);
    assert_eq!(after.code, 1, "{}", after.dump());
    let report = after.json();
    let t = test_named(&report, "passes");
    assert_eq!(t["status"], "failed");
    assert_eq!(t["thresholds"][0]["limit"], 1.0);
}
