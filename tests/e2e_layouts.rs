//! End to end on real-world project layouts, each a fixture copied into a real git repository:
//! a package named like one of cargo-perf's own dependencies, a virtual workspace with nested
//! members, benches that are not perf suites (criterion, nightly `#![feature(test)]`),
//! `required-features`, a build script, `[patch.crates-io]`, a target dir from
//! `.cargo/config.toml`, a git worktree and a default branch that is not `main`.

#![cfg(feature = "cli")]

mod common;

use std::path::Path;
use std::process::Command;

use common::{cargo_perf_in, fixture, shared_target_dir, test_names, Run};

/// `cargo <args>` in `dir`, into the shared fixture target directory.
fn cargo_in(dir: &Path, args: &[&str]) -> Run {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    Command::new(cargo)
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", shared_target_dir())
        .env("CARGO_TERM_COLOR", "never")
        .output()
        .expect("run cargo")
        .into()
}

/// The suites (`package/target:` lines) of a `--list` output.
fn suites_listed(stdout: &str) -> Vec<&str> {
    stdout
        .lines()
        .filter(|l| !l.starts_with(' ') && l.ends_with(':'))
        .collect()
}

/// The `id`s of a JSON report's tests, sorted.
fn ids(run: &Run) -> Vec<String> {
    let mut ids: Vec<String> = run.json()["tests"]
        .as_array()
        .expect("tests is an array")
        .iter()
        .map(|t| t["id"].as_str().expect("id").to_string())
        .collect();
    ids.sort();
    ids
}

/// A quick measured run that stores nothing, as JSON.
const QUICK_JSON: &[&str] = &[
    "--quick",
    "--processes",
    "1",
    "--no-save",
    "--format",
    "json",
];

fn quick_json<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    QUICK_JSON
        .iter()
        .copied()
        .chain(extra.iter().copied())
        .collect()
}

// --- A package named like a dependency of cargo-perf (`itoa`, via serde_json) -------------

#[test]
fn a_package_named_like_a_dependency_lists_and_runs() {
    let f = fixture("collide");
    let run = f.cargo_perf(&["--list"]);
    assert_eq!(run.code, 0, "{}", run.dump());
    assert_eq!(suites_listed(&run.stdout), ["itoa/perf:"], "{}", run.dump());

    let run = f.cargo_perf(&quick_json(&[]));
    assert_eq!(run.code, 0, "{}", run.dump());
    assert_eq!(ids(&run), ["itoa/perf/format_u64"], "{}", run.dump());

    // Named explicitly, as cargo users do: `-p itoa` means the workspace member.
    let run = f.cargo_perf(&["--list", "-p", "itoa"]);
    assert_eq!(run.code, 0, "{}", run.dump());
    assert_eq!(suites_listed(&run.stdout), ["itoa/perf:"], "{}", run.dump());
}

#[test]
fn a_package_named_like_a_dependency_passes_cargo_test() {
    let run = cargo_in(&fixture("collide").dir, &["test"]);
    assert_eq!(run.code, 0, "{}", run.dump());
    assert!(
        run.stdout.contains("format_u64") && run.stdout.contains("... ok"),
        "{}",
        run.dump()
    );
}

#[test]
fn a_package_named_like_a_dependency_builds_its_base_for_ab() {
    let f = fixture("collide");
    // The base is HEAD's tree checked out under the target directory: another path, so
    // another package id than the working tree's.
    let run = f.cargo_perf(&[
        "ab",
        "HEAD",
        "--quick",
        "--min-rounds",
        "6",
        "--max-rounds",
        "6",
        "--budget",
        "0s",
        "--no-save",
        "--fail-on",
        "never",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}", run.dump());
    assert!(
        run.stderr.contains("Building base `HEAD`") || run.stderr.contains("Reusing base `HEAD`"),
        "the base was built from its checkout\n{}",
        run.dump()
    );
    assert_eq!(test_names(&run.json()), ["format_u64"], "{}", run.dump());
    assert!(
        run.json()["tests"][0]["comparison"]["verdict"].is_string(),
        "{}",
        run.dump()
    );
}
