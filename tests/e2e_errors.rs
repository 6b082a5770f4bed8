//! End to end: the exit-2 paths. A build failure shows cargo's diagnostics; bad usage and
//! running outside a Cargo project read `error:` then `help:`.

mod common;

use common::{cargo_perf_in, fixture};

fn assert_error_then_help(run: &common::Run) {
    let error = run
        .stderr
        .lines()
        .position(|l| l.starts_with("error: "))
        .unwrap_or_else(|| panic!("no `error:` line\n{}", run.dump()));
    let help = run
        .stderr
        .lines()
        .position(|l| l.starts_with("help: "))
        .unwrap_or_else(|| panic!("no `help:` line\n{}", run.dump()));
    assert!(error < help, "{}", run.dump());
    assert!(!run.stderr.contains("panicked"), "{}", run.dump());
}

#[test]
fn a_build_failure_exits_2_with_cargos_diagnostics() {
    let run = fixture("broken").cargo_perf(&["--quick"]);
    assert_eq!(run.code, 2, "{}", run.dump());
    assert!(run.stderr.contains("mismatched types"), "{}", run.dump());
    assert!(run.stderr.contains("benches/perf.rs"), "{}", run.dump());
    assert!(
        run.stderr.contains("error: could not build"),
        "{}",
        run.dump()
    );
    assert_error_then_help(&run);
    assert!(run.stdout.is_empty(), "{}", run.dump());
}

#[test]
fn bad_usage_exits_2_with_error_and_help() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["--no-such-flag"][..],
        &["--format", "xml"][..],
        &["--fail-on", "sometimes"][..],
        &["--threshold", "lots"][..],
        &["--processes", "0"][..],
    ] {
        let run = cargo_perf_in(dir.path(), args, &[]);
        assert_eq!(run.code, 2, "{args:?}\n{}", run.dump());
        assert_error_then_help(&run);
    }
}

#[test]
fn outside_a_cargo_project_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let run = cargo_perf_in(dir.path(), &["--quick"], &[]);
    assert_eq!(run.code, 2, "{}", run.dump());
    assert!(
        run.stderr.contains("not inside a Cargo project"),
        "{}",
        run.dump()
    );
    assert!(run.stderr.contains("--manifest-path"), "{}", run.dump());
    assert_error_then_help(&run);
}

#[test]
fn an_unknown_package_is_a_clear_error() {
    let run = fixture("broken").cargo_perf(&["-p", "no-such-package"]);
    assert_eq!(run.code, 2, "{}", run.dump());
    assert!(run.stderr.contains("no-such-package"), "{}", run.dump());
    assert_error_then_help(&run);
}

#[test]
fn help_and_version_exit_0() {
    let dir = tempfile::tempdir().unwrap();
    let run = cargo_perf_in(dir.path(), &["--help"], &[]);
    assert_eq!(run.code, 0, "{}", run.dump());
    assert!(run.stdout.contains("run"), "{}", run.dump());
    let run = cargo_perf_in(dir.path(), &["run", "--help"], &[]);
    assert_eq!(run.code, 0, "{}", run.dump());
    for flag in ["--quick", "--fail-on", "--exclude-tag", "--manifest-path"] {
        assert!(run.stdout.contains(flag), "{flag}\n{}", run.dump());
    }
}
