//! End to end: `cargo perf bisect` on a real git repository made from `fixtures/ab`: GOOD, then
//! eight commits, the fifth of which makes `slowed` 30 % slower. Runs the real binary, real
//! builds of the judged commits (aside, as `ab` builds its base) and real harness processes,
//! with a dirty worktree that must come out byte for byte as it went in.

#![cfg(feature = "cli")]

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::Mutex;

use common::{commit_all, git};

/// The commit (1-based, after GOOD) that makes `slowed` slower, and how many there are.
const SLOW_AT: usize = 5;
const COMMITS: usize = 8;

/// The fixture as a repository: GOOD (tagged `good`) and `COMMITS` commits on top, each
/// touching a file; the `SLOW_AT`-th also makes `slowed` do 30 % more work, and the
/// `broken`-th (if any) leaves the library not compiling until the next commit. Returns every
/// commit after GOOD, oldest first.
fn fixture_repo(dir: &Path, broken: Option<usize>) -> Vec<String> {
    common::copy_fixture("ab", dir);
    git(dir, &["init", "-q", "-b", "main"]);
    commit_all(dir, "fixture");
    git(dir, &["tag", "good"]);
    let (perf, lib) = (dir.join("benches/perf.rs"), dir.join("src/lib.rs"));
    let lib_text = fs::read_to_string(&lib).unwrap();
    (1..=COMMITS)
        .map(|i| {
            fs::write(dir.join("CHANGES.txt"), format!("change {i}\n")).unwrap();
            let mut message = format!("change {i}");
            if i == SLOW_AT {
                let text = fs::read_to_string(&perf).unwrap();
                assert!(text.contains("SLOWDOWN_PERCENT: u64 = 0;"));
                let slower =
                    text.replace("SLOWDOWN_PERCENT: u64 = 0;", "SLOWDOWN_PERCENT: u64 = 30;");
                fs::write(&perf, slower).unwrap();
                message = format!("change {i}: make `slowed` 30% slower");
            }
            let text = if broken == Some(i) {
                format!("{lib_text}pub fn broken( {{}}\n")
            } else {
                lib_text.clone()
            };
            fs::write(&lib, text).unwrap();
            commit_all(dir, &message)
        })
        .collect()
}

/// One measuring test at a time: another's builds and rounds would be the noise under test.
static SERIAL: Mutex<()> = Mutex::new(());

/// A target directory that outlives the test, so reruns do not rebuild the dependencies.
fn fixture_target() -> PathBuf {
    common::own_target_dir("e2e-bisect-target")
}

fn cargo_perf(dir: &Path, args: &[&str]) -> Output {
    common::cargo_perf_at(dir, args, &fixture_target())
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Every file's bytes under `dir` (outside `.git`), for the dirty-tree check.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path
                .file_name()
                .is_some_and(|n| n == ".git" || n == ".perf")
            {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push((path.clone(), fs::read(&path).unwrap()));
            }
        }
    }
    files.sort();
    files
}

#[test]
fn bisect_finds_the_commit_that_made_it_slower_and_leaves_a_dirty_tree_alone() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let commits = fixture_repo(dir, None);
    // A dirty tree: a tracked file modified (and made much slower, which bisect must not see)
    // and an untracked one.
    let perf = dir.join("benches/perf.rs");
    let text = fs::read_to_string(&perf).unwrap();
    fs::write(
        &perf,
        text.replace("u64 = 30;", "u64 = 300;") + "// edited, not committed\n",
    )
    .unwrap();
    fs::write(dir.join("scratch.txt"), "untracked\n").unwrap();
    let (before, status) = (snapshot(dir), git(dir, &["status", "--porcelain"]));
    let head = git(dir, &["rev-parse", "HEAD"]);

    let args = [
        "bisect",
        "good",
        "main",
        "slowed",
        "--quick",
        "--budget",
        "10s",
        "--format",
        "json",
        "-o",
        "bisect.json",
    ];
    let out = cargo_perf(dir, &args);
    assert_eq!(out.status.code(), Some(0), "stderr:\n{}", stderr(&out));
    let report = common::schema::read_json(&dir.join("bisect.json"));
    common::schema::assert_valid("bisect.schema.json", &report, "the bisect report");
    fs::remove_file(dir.join("bisect.json")).unwrap();

    assert_eq!(report["outcome"], "found", "{report:#}");
    let first = &report["first_bad"];
    assert_eq!(first["commit"], commits[SLOW_AT - 1].as_str(), "{report:#}");
    assert_eq!(first["subject"], "change 5: make `slowed` 30% slower");
    let change = first["tests"][0]["change"].as_f64().unwrap();
    // +30 % of the work; an honest margin for a loaded machine.
    assert!((0.12..0.6).contains(&change), "change {change}: {report:#}");
    assert_eq!(
        report["tracked"],
        serde_json::json!(["ab-fixture/perf/slowed"])
    );
    assert_eq!(report["commits"], COMMITS);
    // BAD's step, then a binary search of the 7 commits before it: at most 3 more.
    let steps = report["steps"].as_array().unwrap();
    assert!(steps.len() <= 4, "{} steps: {report:#}", steps.len());
    assert_eq!(steps[0]["commit"], commits[COMMITS - 1].as_str());
    for s in steps {
        let index = commits
            .iter()
            .position(|c| s["commit"] == c.as_str())
            .unwrap()
            + 1;
        let expected = if index >= SLOW_AT { "bad" } else { "good" };
        if s["verdict"] != "skip" {
            assert_eq!(s["verdict"], expected, "commit {index}: {report:#}");
        }
    }
    let summary = String::from_utf8_lossy(&out.stdout);
    assert!(summary.contains("first bad commit:"), "{summary}");
    assert!(summary.contains(&commits[SLOW_AT - 1][..7]), "{summary}");

    // The user's worktree: every file byte for byte, the same status, the same HEAD.
    assert_eq!(snapshot(dir), before, "the worktree changed");
    assert_eq!(git(dir, &["status", "--porcelain"]), status);
    assert_eq!(git(dir, &["rev-parse", "HEAD"]), head);

    // Before the slowdown there is none to find: exit 1, said so (every build is cached now).
    let before_slow = format!("HEAD~{}", COMMITS - SLOW_AT + 1);
    let out = cargo_perf(
        dir,
        &[
            "bisect",
            "good",
            &before_slow,
            "slowed",
            "--quick",
            "--budget",
            "10s",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "stderr:\n{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("no regression"));

    // A FILTER that matches no test is a usage error.
    let out = cargo_perf(dir, &["bisect", "good", "main", "no_such_test", "--quick"]);
    assert_eq!(out.status.code(), Some(2), "stderr:\n{}", stderr(&out));
    assert!(stderr(&out).contains("no_such_test"), "{}", stderr(&out));
}

#[test]
fn unknown_refs_and_refs_out_of_order_exit_2_before_building() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    fixture_repo(dir, None);
    for (good, bad, says) in [
        ("no-such-ref", "main", "`no-such-ref`"),
        ("good", "nope", "`nope`"),
        ("main", "good", "is not an ancestor"),
        ("main", "main", "is not an ancestor"),
    ] {
        let out = cargo_perf(dir, &["bisect", good, bad]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{good} {bad}: {err}");
        assert!(
            err.starts_with("error: ") && err.contains("\nhelp: "),
            "{err}"
        );
        assert!(err.contains(says), "{good} {bad}: {err}");
        assert!(!err.contains("Building"), "{err}");
    }
}

#[test]
fn a_commit_that_does_not_build_is_skipped_and_the_range_named() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    // Commit 4 does not compile: the search goes around it, and since it sits right before
    // the slow commit, the first bad one is 4 or 5, and bisect says so (exit 1).
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let commits = fixture_repo(dir, Some(SLOW_AT - 1));
    let args = [
        "bisect", "good", "main", "slowed", "--quick", "--budget", "10s", "--format", "json",
    ];
    let out = cargo_perf(dir, &args);
    assert_eq!(out.status.code(), Some(1), "stderr:\n{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    common::schema::assert_valid("bisect.schema.json", &report, "the bisect report");
    assert_eq!(report["outcome"], "ambiguous", "{report:#}");
    assert!(report["first_bad"].is_null());
    let candidates: Vec<&str> = (report["candidates"].as_array().unwrap().iter())
        .map(|c| c["commit"].as_str().unwrap())
        .collect();
    assert_eq!(candidates, [&commits[SLOW_AT - 2], &commits[SLOW_AT - 1]]);
    let skipped = report["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1, "{report:#}");
    assert_eq!(skipped[0]["commit"], commits[SLOW_AT - 2].as_str());
    let reason = skipped[0]["reason"].as_str().unwrap();
    assert!(reason.contains("does not build"), "{reason}");
    assert!(stderr(&out).contains("could not judge"), "{}", stderr(&out));
}
