//! `cargo perf run` interleaves the tests' processes in rounds (process 1 of every test, then
//! process 2 of every test, ...), so the machine's drift over a run falls on every test alike
//! instead of between them. The ab fixture's tests log their name to `AB_FIXTURE_TRACE` each
//! time a process runs them; the log shows the order.

mod common;

use common::fixture;

#[test]
fn processes_of_different_tests_alternate_in_rounds() {
    let fx = fixture("ab");
    let trace = tempfile::NamedTempFile::new().expect("trace file");
    let path = trace.path().to_str().expect("utf-8 temp path").to_string();
    let run = fx.cargo_perf_env(
        &[
            "--quick",
            "--processes",
            "3",
            "--no-save",
            "--format",
            "json",
            "steady_",
        ],
        &[("AB_FIXTURE_TRACE", path.as_str())],
    );
    assert_eq!(run.code, 0, "{}", run.dump());
    let log = std::fs::read_to_string(trace.path()).expect("read the trace");
    let order: Vec<&str> = log.lines().collect();
    let round = ["steady_a", "steady_b", "steady_c"];
    let expected: Vec<&str> = round.iter().copied().cycle().take(9).collect();
    assert_eq!(order, expected, "processes ran in this order: {order:?}");
    // The reports still come in the suite's order, one per test, each from its 3 processes.
    let report = run.json();
    let tests = report["tests"].as_array().expect("tests");
    let names: Vec<&str> = tests.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, round);
    for t in tests {
        let processes = t["processes"].as_array().map(Vec::len);
        assert_eq!(processes, Some(3), "{t:#}");
    }
}
