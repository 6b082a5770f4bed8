//! End to end on `fixtures/workspace` (a virtual workspace of two packages): package selection
//! like cargo's (`-p`, `--workspace`, the package of the current directory), perf suites in
//! `[[test]]` targets, ordinary integration tests left alone, and `package/target/name` ids.

mod common;

use common::{cargo_perf_in, fixture, test_names};

fn suites_listed(stdout: &str) -> Vec<&str> {
    stdout
        .lines()
        .filter(|l| !l.starts_with(' ') && l.ends_with(':'))
        .collect()
}

#[test]
fn the_virtual_root_runs_every_default_member() {
    let run = fixture("workspace").cargo_perf(&["--list"]);
    assert_eq!(run.code, 0, "{}", run.dump());
    let mut suites = suites_listed(&run.stdout);
    suites.sort();
    assert_eq!(
        suites,
        ["counts/counts_perf:", "tokens/tokens_perf:"],
        "{}",
        run.dump()
    );
    assert!(
        !run.stdout.contains("plain"),
        "an ordinary test is not a suite\n{}",
        run.dump()
    );
}

#[test]
fn package_flag_selects_one_package() {
    let run = fixture("workspace").cargo_perf(&["--list", "-p", "tokens"]);
    assert_eq!(run.code, 0, "{}", run.dump());
    assert_eq!(suites_listed(&run.stdout), ["tokens/tokens_perf:"]);
}

#[test]
fn a_member_directory_selects_its_package_and_workspace_takes_all() {
    let member = fixture("workspace").dir.join("counts");
    let run = cargo_perf_in(&member, &["--list"], &[]);
    assert_eq!(run.code, 0, "{}", run.dump());
    assert_eq!(suites_listed(&run.stdout), ["counts/counts_perf:"]);

    let run = cargo_perf_in(&member, &["--list", "--workspace"], &[]);
    assert_eq!(run.code, 0, "{}", run.dump());
    assert_eq!(suites_listed(&run.stdout).len(), 2, "{}", run.dump());
}

#[test]
fn ids_name_package_target_and_test() {
    let run = fixture("workspace").quick_json(&[], &[]);
    assert_eq!(run.code, 0, "{}", run.dump());
    let report = run.json();
    let mut ids: Vec<String> = report["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    assert_eq!(
        ids,
        [
            "counts/counts_perf/count_evens",
            "tokens/tokens_perf/split_words"
        ]
    );
    let mut names = test_names(&report);
    names.sort();
    assert_eq!(names, ["count_evens", "split_words"]);
}
