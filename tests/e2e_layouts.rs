//! End to end on real-world project layouts, each a fixture copied into a real git repository:
//! a package named like one of cargo-perf's own dependencies, a virtual workspace with nested
//! members, benches that are not perf suites (criterion, nightly `#![feature(test)]`),
//! `required-features`, a build script, `[patch.crates-io]`, a target dir from
//! `.cargo/config.toml`, a git worktree and a default branch that is not `main`.

#![cfg(feature = "cli")]

mod common;

use std::path::Path;
use std::process::Command;

use common::{
    cargo_perf_command, cargo_perf_in, fixture, shared_target_dir, test_names, with_args, Run,
    QUICK_AB_HEAD, QUICK_JSON,
};

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

/// A quick run that saves (the store is under test), JSON; noise on a shared machine may flag
/// a change, so only errors fail it.
const QUICK_SAVED: &[&str] = &[
    "--quick",
    "--processes",
    "1",
    "--format",
    "json",
    "--fail-on",
    "error",
];

fn quick_json<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    with_args(QUICK_JSON, extra)
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
    let run = f.cargo_perf(QUICK_AB_HEAD);
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

// --- A virtual workspace with members in `crates/` --------------------------------------

#[test]
fn a_virtual_workspace_runs_from_the_root_a_member_and_with_p() {
    let f = fixture("layout-virtual");
    let run = f.cargo_perf(&["--list"]);
    assert_eq!(run.code, 0, "{}", run.dump());
    let mut suites = suites_listed(&run.stdout);
    suites.sort();
    assert_eq!(
        suites,
        [
            "layout-virtual-alpha/alpha_perf:",
            "layout-virtual-beta/beta_perf:"
        ],
        "{}",
        run.dump()
    );

    let member = f.dir.join("crates/alpha");
    let run = cargo_perf_in(&member, &quick_json(&[]), &[]);
    assert_eq!(run.code, 0, "{}", run.dump());
    assert_eq!(
        ids(&run),
        ["layout-virtual-alpha/alpha_perf/alpha_sum"],
        "{}",
        run.dump()
    );

    let run = f.cargo_perf(&quick_json(&["-p", "layout-virtual-beta"]));
    assert_eq!(run.code, 0, "{}", run.dump());
    assert_eq!(
        ids(&run),
        ["layout-virtual-beta/beta_perf/beta_sum"],
        "{}",
        run.dump()
    );
}

#[test]
fn ab_from_inside_a_member_compares_that_member_only() {
    let member = fixture("layout-virtual").dir.join("crates/alpha");
    let run = cargo_perf_in(&member, QUICK_AB_HEAD, &[]);
    assert_eq!(run.code, 0, "{}", run.dump());
    let report = run.json();
    assert_eq!(test_names(&report), ["alpha_sum"], "{}", run.dump());
    // The base is the same package, not every member of the base's workspace.
    let notes = report["notes"].to_string();
    assert!(!notes.contains("only in base"), "{}", run.dump());
}

// --- Benches that are not perf suites: criterion, nightly `#![feature(test)]` ------------

#[test]
fn criterion_and_nightly_benches_are_left_alone() {
    let f = fixture("layout-benches");
    let run = f.cargo_perf(&["--list"]);
    assert_eq!(run.code, 0, "{}", run.dump());
    assert_eq!(
        suites_listed(&run.stdout),
        ["layout-benches/perf:"],
        "{}",
        run.dump()
    );
    let run = f.cargo_perf(&quick_json(&[]));
    assert_eq!(run.code, 0, "{}", run.dump());
    assert_eq!(ids(&run), ["layout-benches/perf/sum_100"], "{}", run.dump());
    // Neither was compiled: the nightly one cannot be on stable, and criterion not at all.
    assert!(
        !run.stderr.contains("feature(test)") && !run.stderr.contains("Compiling criterion"),
        "{}",
        run.dump()
    );
}

// --- `required-features` ----------------------------------------------------------------

#[test]
fn required_features_targets_run_only_with_their_features() {
    let f = fixture("layout-features");
    let run = f.cargo_perf(&["--list"]);
    assert_eq!(run.code, 0, "{}", run.dump());
    assert_eq!(
        suites_listed(&run.stdout),
        ["layout-features/perf:"],
        "{}",
        run.dump()
    );
    assert!(
        run.stderr
            .contains("note: skipping bench `extra_perf` of package `layout-features`")
            && run.stderr.contains("--features extra"),
        "{}",
        run.dump()
    );

    let run = f.cargo_perf(&quick_json(&["--features", "extra"]));
    assert_eq!(run.code, 0, "{}", run.dump());
    assert_eq!(
        ids(&run),
        [
            "layout-features/extra_perf/extra_sum",
            "layout-features/perf/sum_100"
        ],
        "{}",
        run.dump()
    );
}

#[test]
fn a_perf_target_that_does_not_compile_is_named_with_how_to_leave_it_out() {
    let run = fixture("layout-features").cargo_perf(&["--list", "--features", "broken"]);
    assert_eq!(run.code, 2, "{}", run.dump());
    assert!(
        run.stderr.contains(
            "error: could not build bench target `broken_perf` of package `layout-features`: it does not compile"
        ),
        "{}",
        run.dump()
    );
    assert!(
        run.stderr.contains("help: ") && run.stderr.contains("required-features"),
        "{}",
        run.dump()
    );
    // The compiler's own diagnostic still reaches the user.
    assert!(run.stderr.contains("no_such_function"), "{}", run.dump());
}

// --- A build script, a `[patch]` section ------------------------------------------------

#[test]
fn a_package_with_a_build_script_runs() {
    let run = fixture("layout-buildrs").cargo_perf(&quick_json(&[]));
    assert_eq!(run.code, 0, "{}", run.dump());
    assert_eq!(ids(&run), ["layout-buildrs/perf/sum_100"], "{}", run.dump());
}

#[test]
fn a_patched_registry_crate_runs() {
    let run = fixture("layout-patch").cargo_perf(&quick_json(&[]));
    assert_eq!(run.code, 0, "{}", run.dump());
    assert_eq!(ids(&run), ["layout-patch/perf/sum_100"], "{}", run.dump());
}

// --- A target directory from `.cargo/config.toml` ---------------------------------------

#[test]
fn executables_are_found_in_the_configured_target_dir() {
    let f = fixture("layout-targetdir");
    let configured = shared_target_dir().join("config-target-dir");
    // Without CARGO_TARGET_DIR, which would override the config.
    let run: Run = cargo_perf_command(&f.dir, QUICK_JSON)
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .expect("run cargo-perf")
        .into();
    assert_eq!(run.code, 0, "{}", run.dump());
    assert_eq!(
        ids(&run),
        ["layout-targetdir/perf/sum_100"],
        "{}",
        run.dump()
    );
    let built = std::fs::read_dir(configured.join("release/deps"))
        .expect("cargo built into the configured directory")
        .filter_map(Result::ok)
        .any(|e| e.file_name().to_string_lossy().starts_with("perf-"));
    assert!(built, "no perf executable in {}", configured.display());
    assert!(!f.dir.join("target").exists(), "{}", run.dump());
}

// --- Git: a worktree, a default branch that is not `main` -------------------------------

#[test]
fn a_crate_in_a_git_worktree_stores_results_under_its_commit() {
    let f = fixture("layout-worktree");
    let tmp = tempfile::tempdir().unwrap();
    let wt = tmp.path().join("wt");
    common::git(&f.dir, &["worktree", "prune"]);
    common::git(
        &f.dir,
        &["worktree", "add", "-q", "--detach", wt.to_str().unwrap()],
    );
    common::git(
        &wt,
        &["commit", "-q", "--allow-empty", "-m", "in the worktree"],
    );
    let head = common::git(&wt, &["rev-parse", "HEAD"]);
    assert_ne!(head, common::git(&f.dir, &["rev-parse", "HEAD"]));

    let run = cargo_perf_in(&wt, QUICK_SAVED, &[]);
    assert_eq!(run.code, 0, "{}", run.dump());
    let report = run.json();
    assert_eq!(report["commit"], head.as_str(), "{}", run.dump());
    assert_eq!(report["dirty"], false, "{}", run.dump());

    let list = cargo_perf_in(&wt, &["baseline", "list"], &[]);
    assert_eq!(list.code, 0, "{}", list.dump());
    assert!(list.stdout.contains(&head[..7]), "{}", list.dump());
    assert!(wt.join(".perf").is_dir(), "stored in the worktree's root");
    common::git(
        &f.dir,
        &["worktree", "remove", "--force", wt.to_str().unwrap()],
    );
}

#[test]
fn on_a_trunk_branch_the_baseline_is_the_previous_measured_commit() {
    let f = fixture("layout-trunk");
    common::git(&f.dir, &["branch", "-M", "trunk"]);
    let first = f.cargo_perf(QUICK_SAVED);
    assert_eq!(first.code, 0, "{}", first.dump());
    let measured = common::git(&f.dir, &["rev-parse", "HEAD"]);
    assert_eq!(
        first.json()["commit"],
        measured.as_str(),
        "{}",
        first.dump()
    );

    // Two more commits, the first of them unmeasured.
    for n in 0..2 {
        common::git(
            &f.dir,
            &["commit", "-q", "--allow-empty", "-m", &format!("later {n}")],
        );
    }
    let second = f.cargo_perf(QUICK_SAVED);
    assert_eq!(second.code, 0, "{}", second.dump());
    let report = second.json();
    assert_eq!(
        report["baseline"]["commit"],
        measured.as_str(),
        "{}",
        second.dump()
    );
    let list = f.cargo_perf(&["baseline", "list"]);
    assert!(list.stdout.contains("trunk"), "{}", list.dump());
}
