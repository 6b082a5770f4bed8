//! End to end: `cargo perf ab` on a real git repository made from `fixtures/ab`, where HEAD
//! makes one function 8 % slower than `main`. Runs the real binary, real builds of both
//! commits and real harness processes.

#![cfg(feature = "cli")]

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::Mutex;

use common::{commit_all, git};

/// One test at a time: a build running next to a measurement would be the noise under test.
static SERIAL: Mutex<()> = Mutex::new(());

/// A copy of the fixture as a repository: `main` as checked in, then branch `slower` (HEAD)
/// with `slowed` doing 8 % more work.
fn fixture_repo(dir: &Path) {
    common::copy_fixture("ab", dir);
    git(dir, &["init", "-q", "-b", "main"]);
    commit_all(dir, "fixture");
    git(dir, &["checkout", "-q", "-b", "slower"]);
    let perf = dir.join("benches/perf.rs");
    let text = fs::read_to_string(&perf).unwrap();
    assert!(text.contains("SLOWDOWN_PERCENT: u64 = 0;"));
    fs::write(
        &perf,
        text.replace("SLOWDOWN_PERCENT: u64 = 0;", "SLOWDOWN_PERCENT: u64 = 8;"),
    )
    .unwrap();
    commit_all(dir, "make `slowed` 8% slower");
}

/// A target directory that outlives the test, so reruns do not rebuild the dependencies.
fn fixture_target() -> PathBuf {
    common::own_target_dir("e2e-ab-target")
}

fn cargo_perf(dir: &Path, args: &[&str]) -> Output {
    common::cargo_perf_at(dir, args, &fixture_target())
}

fn verdicts(report: &serde_json::Value) -> Vec<(String, String)> {
    report["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap().to_string(),
                t["comparison"]["verdict"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn ab_names_the_slowed_test_and_nothing_else() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    fixture_repo(dir);

    // HEAD (8 % slower) against main.
    let out = cargo_perf(dir, &["ab", "main", "--format", "json", "-o", "ab.json"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr:\n{stderr}");
    let report: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.join("ab.json")).unwrap()).unwrap();
    let v = verdicts(&report);
    assert_eq!(v.len(), 4, "{v:?}");
    for (name, verdict) in &v {
        if name == "slowed" {
            assert_eq!(verdict, "regressed", "{v:?}");
        } else {
            assert!(
                verdict != "regressed" && verdict != "improved",
                "{name} was {verdict}: {v:?}"
            );
        }
    }
    let slowed = report["tests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "slowed")
        .unwrap();
    let c = &slowed["comparison"];
    let change = c["change"].as_f64().unwrap();
    assert!((0.05..0.11).contains(&change), "change {change}");
    let lo = c["ci"][0].as_f64().unwrap();
    let hi = c["ci"][1].as_f64().unwrap();
    assert!(
        lo > 0.03 && lo <= change && change <= hi && hi < 0.2,
        "[{lo}, {hi}]"
    );
    assert!(c["could_detect"].as_f64().unwrap() > 0.0);
    assert!(c["rounds"]["pairs"].as_array().unwrap().len() >= 10);
    let main_sha = git(dir, &["rev-parse", "main"]);
    assert_eq!(report["baseline"]["commit"], main_sha.as_str());
    assert_eq!(report["baseline"]["ref"], "main");
    assert_eq!(report["summary"]["regressed"], 1);
    // The human summary still reaches the terminal.
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("1 regressed"), "{stdout}");

    // The same comparison as a PR comment: the base build and checkout are reused.
    let out = cargo_perf(
        dir,
        &["ab", "main", "--format", "markdown", "--fail-on", "never"],
    );
    assert_eq!(out.status.code(), Some(0));
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(md.starts_with("<!-- cargo-perf-ab -->"), "{md}");
    assert!(md.contains("1 regressed"), "{md}");
    assert!(
        md.contains("`ab-fixture/perf/slowed`") && md.contains("Could detect"),
        "{md}"
    );

    // A/A: HEAD against itself flags nothing.
    let out = cargo_perf(dir, &["ab", "HEAD", "--format", "json", "-o", "aa.json"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "stderr:\n{stderr}");
    let report: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.join("aa.json")).unwrap()).unwrap();
    for (name, verdict) in verdicts(&report) {
        assert!(
            verdict == "unchanged" || verdict == "inconclusive",
            "A/A flagged {name}: {verdict}"
        );
    }

    // Calibration: head's own build on both sides; every test states its noise floor.
    let out = cargo_perf(
        dir,
        &["ab", "--calibrate", "--format", "json", "-o", "cal.json"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "stderr:\n{stderr}");
    let report: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.join("cal.json")).unwrap()).unwrap();
    assert!(report["notes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n.as_str().unwrap().contains("calibration")));
    for t in report["tests"].as_array().unwrap() {
        let floor = t["comparison"]["could_detect"].as_f64().unwrap();
        assert!(floor > 0.0 && floor < 0.5, "{}: {floor}", t["name"]);
    }

    // A ref that does not resolve: exit 2, naming it.
    let out = cargo_perf(dir, &["ab", "no-such-branch"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("error: ") && stderr.contains("`no-such-branch`"),
        "{stderr}"
    );
    assert!(stderr.contains("help: "), "{stderr}");
}

#[test]
fn a_base_that_does_not_build_is_an_error_naming_the_ref() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    fixture_repo(dir);
    // A broken commit on a branch of its own.
    git(dir, &["checkout", "-q", "-b", "broken"]);
    fs::write(dir.join("src/lib.rs"), "//! Broken.\npub fn f( {}\n").unwrap();
    commit_all(dir, "broken");
    git(dir, &["checkout", "-q", "-f", "slower"]);

    let out = cargo_perf(dir, &["ab", "broken"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("error: could not build the base `broken`"),
        "{stderr}"
    );
    assert!(stderr.contains("help: "), "{stderr}");
}

/// `cargo perf --pre-commit`: the working tree against HEAD in paired rounds. An unchanged
/// tree passes and saves nothing; a dirty tree that slows one test down fails on that test
/// alone, with HEAD's build reused from the cache.
#[test]
fn pre_commit_pairs_the_working_tree_with_head() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    common::copy_fixture("ab", dir);
    git(dir, &["init", "-q", "-b", "main"]);
    let head = commit_all(dir, "fixture");
    let json = |out: &Output| -> serde_json::Value {
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!("{e}\n{}", String::from_utf8_lossy(&out.stderr));
        })
    };

    let out = cargo_perf(dir, &["--pre-commit", "--format", "json"]);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(0), "stderr:\n{stderr}");
    let report = json(&out);
    assert_eq!(report["baseline"]["ref"], "HEAD", "{report:#}");
    assert_eq!(report["baseline"]["commit"], head.as_str(), "{report:#}");
    let v = verdicts(&report);
    assert_eq!(v.len(), 4, "{v:?}");
    assert!(v.iter().all(|(_, verdict)| verdict != "regressed"), "{v:?}");
    // Paired rounds, not a run against a stored record.
    for t in report["tests"].as_array().unwrap() {
        assert!(t["comparison"]["rounds"].is_object(), "{t:#}");
    }
    assert!(!has_records(&dir.join(".perf")), "the hook saves nothing");

    // The change under commit: `slowed` does 30 % more work.
    let perf = dir.join("benches/perf.rs");
    let text = fs::read_to_string(&perf).unwrap();
    fs::write(
        &perf,
        text.replace("SLOWDOWN_PERCENT: u64 = 0;", "SLOWDOWN_PERCENT: u64 = 30;"),
    )
    .unwrap();
    let out = cargo_perf(dir, &["--pre-commit", "--format", "json"]);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "stderr:\n{stderr}");
    assert!(stderr.contains("Reusing base `HEAD`"), "{stderr}");
    let report = json(&out);
    assert_eq!(report["dirty"], true, "{report:#}");
    for (name, verdict) in verdicts(&report) {
        let expected = name == "slowed";
        assert_eq!(
            verdict == "regressed",
            expected,
            "{name}: {verdict}\n{stderr}"
        );
    }
    assert!(!has_records(&dir.join(".perf")), "the hook saves nothing");
}

/// Whether a store directory holds any record (`*.json` anywhere under it).
fn has_records(store: &Path) -> bool {
    let Ok(entries) = fs::read_dir(store) else {
        return false;
    };
    entries.filter_map(Result::ok).any(|e| {
        let path = e.path();
        path.extension().is_some_and(|x| x == "json") || (path.is_dir() && has_records(&path))
    })
}
