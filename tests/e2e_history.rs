//! End to end: `cargo perf history` finds change points in a real git history built by real
//! `cargo perf --quick` runs, one per commit, of the store fixture; `--since` summarises,
//! `--format json` matches docs/history.schema.json, an unknown ref is a usage error.

mod common;

use std::path::Path;
use std::process::Output;

use common::schema::assert_valid;
use common::{commit_all, git, stdout};
use serde_json::Value;

/// Commits in the history; the `scaled` test's work steps up by 30 % at [`STEP`] (its
/// index, 0-based). Twelve commits let a 6/6 split reach p ≈ 2/924 by permutation, well
/// under the default α = 1 %; the three `steady_*` tests are A/A histories of the same runs.
const COMMITS: usize = 12;
const STEP: usize = 6;

fn cargo_perf(dir: &Path, args: &[&str], slowdown: &str) -> Output {
    let mut cmd = common::cargo_perf_command(dir, args);
    cmd.env(
        "CARGO_TARGET_DIR",
        common::own_target_dir("e2e-history-fixture"),
    )
    .env("PERF_FIXTURE_SLOWDOWN", slowdown);
    let out = common::run_in_fixture(dir, || cmd.output().expect("run cargo-perf"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{args:?} panicked:\n{stderr}");
    out
}

#[test]
fn history_places_a_step_at_its_commit_and_none_in_unchanged_tests() {
    let repo = tempfile::tempdir().unwrap();
    let dir = repo.path();
    common::copy_fixture("store", dir);
    git(dir, &["init", "-q", "-b", "main"]);
    let mut commits = Vec::new();
    for i in 0..COMMITS {
        // A file outside the crate's sources: each commit is new, the build is reused.
        std::fs::write(dir.join("HISTORY.txt"), format!("commit {i}\n")).unwrap();
        commits.push(commit_all(dir, &format!("commit {i}")));
        let slowdown = if i >= STEP { "1.3" } else { "1.0" };
        let out = cargo_perf(
            dir,
            &["--quick", "--machine", "e2e", "--threshold", "50%"],
            slowdown,
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "run {i}:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    let out = cargo_perf(
        dir,
        &[
            "history",
            "--machine",
            "e2e",
            "-n",
            "50",
            "--format",
            "json",
        ],
        "1.0",
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value = serde_json::from_str(&stdout(&out)).expect("history JSON");
    assert_valid("history.schema.json", &json, "history --format json");
    let tests = json["tests"].as_array().unwrap();
    assert_eq!(tests.len(), 4, "{json:#}");
    for t in tests {
        let id = t["id"].as_str().unwrap();
        let changes = t["changes"].as_array().unwrap();
        assert_eq!(t["commits"].as_array().unwrap().len(), COMMITS, "{id}");
        if id.ends_with("scaled") {
            assert_eq!(changes.len(), 1, "{id}: {changes:#?}");
            let c = &changes[0];
            assert_eq!(c["commit"], commits[STEP].as_str(), "{c:#}");
            assert_eq!(c["shape"], "step");
            assert_eq!(c["subject"], format!("commit {STEP}"));
            let size = c["size"].as_f64().unwrap();
            // The work is +30 %; the timer and the loop's fixed costs keep it near that.
            assert!((0.15..0.45).contains(&size), "{c:#}");
            let ci: Vec<f64> = c["ci"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect();
            assert!(ci[0] < size && size < ci[1] && ci[0] > 0.0, "{c:#}");
        } else {
            assert!(
                changes.is_empty(),
                "A/A history {id} has a change point: {changes:#?}"
            );
        }
    }

    // The human text names the commit by its short id and subject.
    let out = cargo_perf(
        dir,
        &["history", "scaled", "--machine", "e2e", "-n", "50"],
        "1.0",
    );
    let text = stdout(&out);
    let line = format!("step at {}  commit {STEP}", &commits[STEP][..7]);
    assert!(text.contains(&line) && text.contains("▲ +"), "{text}");

    // Since the step's commit: its level and the five after it, no change point (six commits
    // could not reach α = 1 % anyway; this checks which commits `--since` keeps).
    let out = cargo_perf(
        dir,
        &[
            "history",
            "--since",
            &commits[STEP],
            "--machine",
            "e2e",
            "--format",
            "json",
        ],
        "1.0",
    );
    let json: Value = serde_json::from_str(&stdout(&out)).expect("history --since JSON");
    assert_valid(
        "history.schema.json",
        &json,
        "history --since --format json",
    );
    assert_eq!(json["since"], commits[STEP].as_str());
    for t in json["tests"].as_array().unwrap() {
        assert_eq!(
            t["commits"].as_array().unwrap().len(),
            COMMITS - STEP,
            "{t:#}"
        );
    }
    let since = format!("HEAD~{}", COMMITS - 1 - STEP);
    let out = cargo_perf(
        dir,
        &["history", "--since", &since, "--machine", "e2e"],
        "1.0",
    );
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("4 of 4 tests without a change point"),
        "{text}"
    );
    // Since the first commit, the step is the one change of the four tests.
    let out = cargo_perf(
        dir,
        &["history", "--since", &commits[0], "--machine", "e2e"],
        "1.0",
    );
    let text = stdout(&out);
    assert!(
        text.contains("perf/scaled  ▲ +") && text.contains("3 of 4 tests without a change point"),
        "{text}"
    );
    let out = cargo_perf(
        dir,
        &["history", "--since", "no-such-ref", "--machine", "e2e"],
        "1.0",
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("error: `no-such-ref`") && err.contains("help: "),
        "{err}"
    );
    let out = cargo_perf(dir, &["history", "--alpha", "1.5"], "1.0");
    assert_eq!(out.status.code(), Some(2));
}
