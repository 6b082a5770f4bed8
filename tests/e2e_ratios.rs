//! End to end: ratios between tests of one run on the ratios fixture, whose tests do known
//! multiples of `plain`'s work: `instrumented` (1.1x) meets `overhead("plain") <= "20%"`,
//! `heavy` (1.5x) misses it (status failed, exit 1), `parallel` (a quarter of `sequential`)
//! meets `speedup("sequential") >= "3x"`; each check carries its interval. With `--features typo` a test names a
//! test the run does not have: exit 2 before anything runs, naming the known tests.

mod common;

use std::path::Path;

use common::schema::assert_valid;
use common::{fixture, test_named};
use serde_json::Value;

const RUN: &[&str] = &["run", "--quick", "--no-save", "--format", "json"];

/// The test's one ratio check: (actual, [low, high], passed).
fn ratio(report: &Value, test: &str, metric: &str) -> (f64, [f64; 2], bool) {
    let t = test_named(report, test);
    let c = t["thresholds"]
        .as_array()
        .expect("thresholds")
        .iter()
        .find(|c| c["metric"] == metric)
        .unwrap_or_else(|| panic!("{test} has no {metric} check: {t:#}"));
    let ci = c["ci"].as_array().expect("ci");
    let (low, high) = (ci[0].as_f64().unwrap(), ci[1].as_f64().unwrap());
    let actual = c["actual"].as_f64().expect("actual");
    assert!(low <= actual && actual <= high, "{c:#}");
    (actual, [low, high], c["passed"].as_bool().unwrap())
}

#[test]
fn ratios_pass_and_fail_on_their_intervals() {
    let f = fixture("ratios");
    let run = f.cargo_perf(RUN);
    assert_eq!(
        run.code,
        1,
        "the heavy test misses its overhead: {}",
        run.dump()
    );
    let report = run.json();
    assert_valid("report.schema.json", &report, "run with ratios");

    // 10 % more work: an overhead near 10 %, its interval's upper end within 20 %.
    let (overhead, [_, high], passed) = ratio(&report, "instrumented", "overhead[plain]");
    assert!((2.0..18.0).contains(&overhead), "{overhead}");
    assert!(passed && high <= 20.0, "{high}");
    assert_eq!(test_named(&report, "instrumented")["status"], "passed");

    // 50 % more work: beyond the limit, and the test fails.
    let (overhead, [low, _], passed) = ratio(&report, "heavy", "overhead[plain]");
    assert!((35.0..65.0).contains(&overhead), "{overhead}");
    assert!(!passed && low > 20.0, "{low}");
    assert_eq!(test_named(&report, "heavy")["status"], "failed");

    // A quarter of the work: a speed-up near 4x, its lower end above 3x.
    let (speedup, [low, _], passed) = ratio(&report, "parallel", "speedup[sequential]");
    assert!((3.3..4.8).contains(&speedup), "{speedup}");
    assert!(passed && low >= 3.0, "{low}");

    // The human report words the ratio like any threshold.
    let human = f.cargo_perf(&["run", "--quick", "--no-save", "heavy"]);
    assert_eq!(human.code, 1, "{}", human.dump());
    let line = "threshold failed: overhead[plain] <= 20.0%, was ";
    assert!(human.stdout.contains(line), "{}", human.dump());
    assert!(
        human.stdout.contains("% .. "),
        "the interval: {}",
        human.dump()
    );
}

/// Every stored record under `dir`, as text.
fn records(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read the store").flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(records(&path));
        } else if path.extension().is_some_and(|e| e == "json") {
            found.push(std::fs::read_to_string(&path).expect("read a record"));
        }
    }
    found
}

#[test]
fn a_filter_runs_the_named_test_too_and_passing_ratios_exit_0() {
    let f = fixture("ratios");
    let store = tempfile::tempdir().unwrap();
    let store_arg = store.path().to_str().unwrap();
    // Saved in a store of its own, so the shared fixture copy keeps no baseline.
    let args = [
        "run",
        "--quick",
        "--save",
        "--store",
        store_arg,
        "--format",
        "json",
        "instrumented",
    ];
    let run = f.cargo_perf(&args);
    assert_eq!(run.code, 0, "{}", run.dump());
    let report = run.json();
    let names = common::test_names(&report);
    assert!(names.contains(&"plain".to_string()), "{names:?}");
    assert!(!names.contains(&"heavy".to_string()), "{names:?}");
    assert!(ratio(&report, "instrumented", "overhead[plain]").2);
    assert!(report.to_string().contains("also ran"), "{report:#}");
    // Stored like any threshold, interval included.
    let stored = records(store.path());
    assert!(
        stored
            .iter()
            .any(|r| r.contains("overhead[plain]") && r.contains("\"ci\"")),
        "{stored:?}"
    );
}

#[test]
fn an_unknown_test_name_exits_2_naming_the_known_tests() {
    let f = fixture("ratios");
    let mut args = RUN.to_vec();
    args.extend(["--features", "typo"]);
    let run = f.cargo_perf(&args);
    assert_eq!(run.code, 2, "{}", run.dump());
    let err = &run.stderr;
    assert!(
        err.contains("error:") && err.contains("`overhead(\"plian\")`"),
        "{err}"
    );
    assert!(err.contains("help: did you mean `plain`?"), "{err}");
    assert!(
        err.contains("sequential") && err.contains("parallel"),
        "{err}"
    );
    assert!(run.stdout.is_empty(), "nothing ran: {}", run.dump());
}
