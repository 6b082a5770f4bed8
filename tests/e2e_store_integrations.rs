//! The pre-commit hook as `.pre-commit-hooks.yaml` declares it, run in a real repository: it
//! pairs the working tree with HEAD, passes an unchanged tree, fails an uncommitted change
//! that slows a test down, and saves nothing either time.

mod common;

use std::fs;
use std::path::Path;

use common::{commit_all, git};

/// `cargo perf` on a copy of the store fixture, all copies building into one target directory.
fn cargo_perf(dir: &Path, args: &[&str]) -> std::process::Output {
    common::cargo_perf_at(dir, args, &common::own_target_dir("e2e-store-fixture"))
}

fn copy_fixture(dir: &Path) {
    common::copy_fixture("store", dir);
}

/// The `entry:` of the `cargo-perf` hook, as words.
fn hook_entry() -> Vec<String> {
    let yaml = fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/.pre-commit-hooks.yaml"
    ))
    .unwrap();
    assert!(yaml.contains("- id: cargo-perf"), "{yaml}");
    assert!(
        yaml.contains("pass_filenames: false"),
        "the suite runs whole"
    );
    let entry = yaml
        .lines()
        .find_map(|l| l.trim().strip_prefix("entry:"))
        .expect("an entry line");
    entry.split_whitespace().map(str::to_owned).collect()
}

#[test]
fn the_pre_commit_hook_fails_an_uncommitted_slowdown() {
    let entry = hook_entry();
    assert_eq!(&entry[..2], ["cargo", "perf"], "{entry:?}");
    // `cargo perf ARGS` is `cargo-perf perf ARGS`: the helper adds the `perf` word.
    let hook_args: Vec<&str> = entry[2..].iter().map(String::as_str).collect();

    let repo = tempfile::tempdir().unwrap();
    let dir = repo.path();
    copy_fixture(dir);
    git(dir, &["init", "-q", "-b", "main"]);
    commit_all(dir, "fixture");
    let first = cargo_perf(dir, &hook_args);
    assert_eq!(
        first.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let stored = |dir: &Path| -> usize {
        let Ok(machines) = fs::read_dir(dir.join(".perf")) else {
            return 0;
        };
        machines
            .flatten()
            .filter(|e| e.path().is_dir())
            .map(|m| fs::read_dir(m.path()).unwrap().count())
            .sum()
    };
    assert_eq!(stored(dir), 0, "the hook saves nothing");

    let source = fs::read_to_string(dir.join("benches/perf.rs")).unwrap();
    fs::write(
        dir.join("benches/perf.rs"),
        source.replace("const WORK_C: u64 = 20_000;", "const WORK_C: u64 = 26_000;"),
    )
    .unwrap();
    git(dir, &["add", "-A"]); // staged, as at commit time
    let hook = cargo_perf(dir, &hook_args);
    let out = String::from_utf8_lossy(&hook.stdout);
    assert_eq!(hook.status.code(), Some(1), "{out}");
    let regressed: Vec<&str> = out
        .lines()
        .filter(|l| l.trim_end().ends_with("regressed"))
        .collect();
    assert_eq!(regressed.len(), 1, "{out}");
    assert!(
        regressed[0].contains("store-fixture/perf/steady_c"),
        "{out}"
    );
    assert!(out.contains("results not saved"), "{out}");
    // Compared with HEAD's own build in paired rounds, not with a stored record.
    assert!(String::from_utf8_lossy(&hook.stderr).contains("Reusing base `HEAD`"));
    assert_eq!(stored(dir), 0, "a dirty tree is not saved");
}
