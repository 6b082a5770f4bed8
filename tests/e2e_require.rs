//! End to end: `cargo perf compare --require` and `cargo perf ab --require` on a two-commit
//! repository of the store fixture, whose `scaled` test does `PERF_FIXTURE_SLOWDOWN` times
//! more work (read at run time): a requirement met, one missed (exit 1), one covering no test,
//! and bad syntax (exit 2 before anything runs). The JSON is checked against the schema.

mod common;

use std::path::Path;

use common::schema::assert_valid;
use common::{cargo_perf_in, commit_all, git, Run};
use serde_json::Value;

fn perf(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    cargo_perf_in(dir, args, env)
}

/// `compare BASE HEAD` with `requires`, as JSON, failing only on requirements.
fn compare(dir: &Path, base: &str, requires: &[&str]) -> (Run, Value) {
    let mut args = vec![
        "compare",
        base,
        "HEAD",
        "--machine",
        "e2e",
        "--fail-on",
        "never",
    ];
    for r in requires {
        args.extend(["--require", r]);
    }
    args.extend(["--format", "json"]);
    let run = perf(dir, &args, &[]);
    assert_ne!(run.code, 2, "{}", run.dump());
    let json = run.json();
    assert_valid("report.schema.json", &json, "compare --require");
    (run, json)
}

fn requirements(report: &Value) -> &Vec<Value> {
    report["requirements"].as_array().expect("requirements")
}

#[test]
fn bad_requirements_exit_2_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    for (cmd, req, says) in [
        (&["compare"][..], "speedup <= 5x", "lower bound"),
        (&["compare"][..], "faster >= 2x", "is not a requirement"),
        (&["ab", "HEAD"][..], "speedup >= lots", "not a factor"),
    ] {
        let mut args = cmd.to_vec();
        args.extend(["--require", req]);
        let run = perf(dir.path(), &args, &[]);
        assert_eq!(run.code, 2, "{}", run.dump());
        assert!(run.stderr.contains("error:"), "{}", run.dump());
        assert!(run.stderr.contains(says), "{}", run.dump());
    }
}

#[test]
fn speedup_requirements_pass_on_the_intervals_lower_end_and_fail_when_missed() {
    let repo = tempfile::tempdir().unwrap();
    let dir = repo.path();
    common::copy_fixture("store", dir);
    git(dir, &["init", "-q", "-b", "main"]);
    let c1 = commit_all(dir, "fixture");
    let save = [
        "--quick",
        "--machine",
        "e2e",
        "--save",
        "--fail-on",
        "never",
    ];
    // The base does 6x the work in `scaled`; the head (a docs-only commit) the normal amount.
    let r = perf(dir, &save, &[("PERF_FIXTURE_SLOWDOWN", "6")]);
    assert_eq!(r.code, 0, "{}", r.dump());
    std::fs::write(dir.join("README.md"), "docs only\n").unwrap();
    commit_all(dir, "docs");
    let r = perf(dir, &save, &[]);
    assert_eq!(r.code, 0, "{}", r.dump());

    // Met: 6x against 2x, with room for a loaded machine.
    let (run, json) = compare(dir, &c1[..10], &["scaled speedup >= 2x"]);
    assert_eq!(run.code, 0, "{}", run.dump());
    let checks = requirements(&json);
    assert_eq!(checks.len(), 1, "{json:#}");
    let c = &checks[0];
    assert_eq!(c["test"], "store-fixture/perf/scaled");
    assert_eq!(c["passed"], true, "{c:#}");
    let speedup = c["speedup"].as_f64().unwrap();
    let [low, high] = [0, 1].map(|i| c["ci"][i].as_f64().unwrap());
    assert!((3.0..12.0).contains(&speedup), "speed-up {speedup}");
    assert!(low <= speedup && speedup <= high && low >= 2.0, "{c:#}");
    assert!((c["margin"].as_f64().unwrap() - (low / 2.0 - 1.0)).abs() < 1e-9);

    // Missed (exit 1 even with --fail-on never), and one covering no test fails too; the
    // human report says by how much.
    let (run, json) = compare(
        dir,
        &c1[..10],
        &["scaled speedup >= 30x", "no_such_test speedup >= 1x"],
    );
    assert_eq!(run.code, 1, "{}", run.dump());
    let checks = requirements(&json);
    assert_eq!(checks.len(), 2, "{json:#}");
    assert_eq!(checks[0]["passed"], false);
    assert!(checks[0]["margin"].as_f64().unwrap() < -0.3, "{json:#}");
    assert_eq!(checks[1]["passed"], false);
    assert!(checks[1]["test"].is_null());
    let args = [
        "compare",
        &c1[..10],
        "--machine",
        "e2e",
        "--require",
        "scaled speedup >= 30x",
    ];
    let human = perf(dir, &args, &[]);
    assert_eq!(human.code, 1, "{}", human.dump());
    let line = human
        .stdout
        .lines()
        .find(|l| l.starts_with("require scaled speedup >= 30x"))
        .unwrap_or_else(|| panic!("{}", human.dump()));
    assert!(line.contains("MISSED, missed by"), "{line}");

    // `ab`: one short A/A session (base HEAD, both sides the same work), a requirement met
    // (0.2x: at most 5x slower) and one missed (5x faster), judged on the paired interval.
    let mut args = common::QUICK_AB_HEAD.to_vec();
    args.extend([
        "--require",
        "scaled speedup >= 0.2x",
        "--require",
        "steady_a speedup >= 5x",
    ]);
    let ab = perf(dir, &args, &[]);
    assert_eq!(ab.code, 1, "{}", ab.dump());
    let json = ab.json();
    assert_valid("report.schema.json", &json, "ab --require");
    let checks = requirements(&json);
    assert_eq!(checks.len(), 2, "{json:#}");
    assert_eq!(
        (&checks[0]["test"], &checks[0]["passed"]),
        (
            &Value::from("store-fixture/perf/scaled"),
            &Value::from(true)
        ),
        "{json:#}"
    );
    assert_eq!(checks[1]["passed"], false, "{json:#}");
    let ab_speedup = checks[0]["speedup"].as_f64().unwrap();
    assert!(
        (0.5..2.0).contains(&ab_speedup),
        "A/A speed-up {ab_speedup}"
    );
}
