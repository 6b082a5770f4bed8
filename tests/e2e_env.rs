//! End to end on `fixtures/failures`: `PERF_<TEST>_<KEY>` mistakes are caught before any test
//! runs. A malformed value exits 2 naming the variable and the accepted units; a variable
//! naming no test or no key is a warning with the closest name, an error under --strict-env;
//! other `PERF_` variables are left alone (issue 9).

mod common;

use common::fixture;

/// A quick JSON run of the one passing test, with `env` set.
fn perf(args: &[&str], env: &[(&str, &str)]) -> common::Run {
    let mut all = vec!["--exact", "passes"];
    all.extend_from_slice(args);
    fixture("failures").quick_json(&all, env)
}

#[test]
fn a_malformed_value_is_a_configuration_error_before_anything_runs() {
    let run = perf(&[], &[("PERF_PASSES_MEAN", "fast")]);
    assert_eq!(run.code, 2, "{}", run.dump());
    assert!(
        run.stderr.contains("error: PERF_PASSES_MEAN=fast: "),
        "{}",
        run.dump()
    );
    assert!(
        run.stderr
            .contains("help: `mean` takes a duration with a unit: ns, us, ms or s"),
        "{}",
        run.dump()
    );
    assert!(
        run.stdout.is_empty(),
        "no report: nothing ran\n{}",
        run.dump()
    );
    // Of a test that is not selected, too: the variable is still wrong.
    let run = perf(&[], &[("PERF_MISSES_THRESHOLD_SUCCESS_RATE", "lots")]);
    assert_eq!(run.code, 2, "{}", run.dump());
    assert!(
        run.stderr.contains("a percentage from 0 to 100"),
        "{}",
        run.dump()
    );
}

#[test]
fn a_mistyped_test_or_key_is_a_warning_with_the_closest_variable() {
    let run = perf(
        &[],
        &[("PERF_PASES_MEAN", "1s"), ("PERF_PASSES_MEEN", "1s")],
    );
    assert_eq!(run.code, 0, "{}", run.dump());
    for warning in [
        "warning: PERF_PASES_MEAN names no perf test; did you mean `PERF_PASSES_MEAN`?",
        "warning: PERF_PASSES_MEEN names no threshold key; did you mean `PERF_PASSES_MEAN`?",
    ] {
        assert!(run.stderr.contains(warning), "{warning}\n{}", run.dump());
    }
    let report = run.json();
    let notes = report["notes"].to_string();
    assert!(
        notes.contains("PERF_PASES_MEAN names no perf test"),
        "{notes}"
    );
    assert_eq!(report["summary"]["passed"], 1, "the run went on");
}

#[test]
fn strict_env_makes_a_typo_an_error() {
    let run = perf(&["--strict-env"], &[("PERF_PASES_MEAN", "1s")]);
    assert_eq!(run.code, 2, "{}", run.dump());
    assert!(
        run.stderr.contains(
            "error: PERF_PASES_MEAN names no perf test; did you mean `PERF_PASSES_MEAN`?"
        ),
        "{}",
        run.dump()
    );
    assert!(run.stderr.contains("help: "), "{}", run.dump());
    assert!(run.stdout.is_empty(), "{}", run.dump());
}

#[test]
fn other_perf_variables_and_valid_overrides_pass_quietly() {
    let run = perf(
        &["--strict-env"],
        &[("PERF_LOG_LEVEL", "debug"), ("PERF_PASSES_MEAN", "20s")],
    );
    assert_eq!(run.code, 0, "{}", run.dump());
    assert!(!run.stderr.contains("warning:"), "{}", run.dump());
    let report = run.json();
    let t = common::test_named(&report, "passes");
    assert_eq!(t["thresholds"][0]["limit"], 20e9, "the override applied");
}
