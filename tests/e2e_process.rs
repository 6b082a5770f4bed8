//! End to end on `fixtures/hang`: a test that never returns is killed at its limit and the
//! suite goes on (`run` and `ab`), a slow warning comes first, and terminating `cargo perf`
//! (SIGTERM, SIGINT, SIGHUP, even SIGKILL) leaves no suite process behind and nothing partial
//! in the store.
//!
//! Every cargo-perf started here carries a token in its environment, which its suite processes
//! inherit: leftovers are found by that token in /proc, so the tests can run side by side.

#![cfg(target_os = "linux")]

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{cargo_perf_command, fixture, test_named, with_args, QUICK_JSON};

const TOKEN_VAR: &str = "CARGO_PERF_E2E_PROCESS_TOKEN";
/// The fixture's bench target: its executable is `hangsuite-<hash>`.
const SUITE_BINARY: &str = "hangsuite-";

/// `cargo perf <args>` in the fixture, set up as `common::cargo_perf_in` does, but spawned so
/// that the test can signal it while it runs.
fn spawn_cargo_perf(args: &[&str], token: &str) -> Child {
    cargo_perf_command(&fixture("hang").dir, args)
        .env(TOKEN_VAR, token)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start cargo-perf")
}

fn run_to_end(args: &[&str], token: &str) -> common::Run {
    common::Run::from(
        spawn_cargo_perf(args, token)
            .wait_with_output()
            .expect("wait for cargo-perf"),
    )
}

/// Pids of the fixture's suite processes started under `token`.
fn suite_processes(token: &str) -> Vec<u32> {
    let needle = format!("{TOKEN_VAR}={token}");
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let dir = Path::new("/proc").join(pid.to_string());
            let cmdline = std::fs::read(dir.join("cmdline")).unwrap_or_default();
            let environ = std::fs::read(dir.join("environ")).unwrap_or_default();
            String::from_utf8_lossy(&cmdline).contains(SUITE_BINARY)
                && environ
                    .split(|&b| b == 0)
                    .any(|var| var == needle.as_bytes())
        })
        .collect()
}

/// Wait up to `limit` for `check`.
fn eventually(limit: Duration, mut check: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if check() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    check()
}

/// Wait until the hanging test's process runs (the build may take minutes the first time).
fn wait_for_suite(child: &mut Child, token: &str) {
    let started = eventually(Duration::from_secs(900), || {
        !suite_processes(token).is_empty() || child.try_wait().ok().flatten().is_some()
    });
    assert!(started, "the suite process never started");
    assert!(
        child.try_wait().unwrap().is_none(),
        "cargo-perf ended before its suite process was seen"
    );
    // Let it get into the body (protocol request read, test thread started).
    std::thread::sleep(Duration::from_millis(300));
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([format!("-{name}"), child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{name} failed");
}

/// The run failed because `hangs` was killed at `--test-timeout 2s`; returns its error message.
fn killed_at_two_seconds(run: &common::Run) -> String {
    assert_eq!(run.code, 1, "{}", run.dump());
    let report = run.json();
    let hangs = test_named(&report, "hangs");
    assert_eq!(hangs["status"], "error", "{}", run.dump());
    let message = hangs["error"].as_str().unwrap().to_string();
    assert!(message.contains("timed out after 2s"), "{message}");
    message
}

fn assert_no_leftover(token: &str) {
    // Killed processes are reaped at once by their parent; give the kernel a moment anyway.
    let gone = eventually(Duration::from_secs(3), || suite_processes(token).is_empty());
    assert!(
        gone,
        "suite processes left behind: {:?}",
        suite_processes(token)
    );
}

#[test]
fn a_hung_test_is_killed_at_test_timeout_after_a_slow_warning_and_the_suite_goes_on() {
    let token = "timeout-run";
    let run = run_to_end(&with_args(QUICK_JSON, &["--test-timeout", "2s"]), token);
    let report = run.json();
    let message = killed_at_two_seconds(&run);
    assert!(message.contains("--test-timeout"), "{message}");
    // The stderr tail of the killed process is quoted.
    assert!(message.contains("about to sleep for ever"), "{message}");
    assert_eq!(test_named(&report, "returns")["status"], "passed");
    // 16 MiB of output through the pipes did not block or break the flooding test.
    assert_eq!(
        test_named(&report, "floods")["status"],
        "passed",
        "{}",
        run.dump()
    );

    let slow = run
        .stderr
        .find("SLOW [> ")
        .unwrap_or_else(|| panic!("no slow warning:\n{}", run.dump()));
    let line = run.stderr[slow..].lines().next().unwrap();
    assert!(
        line.contains("] hang/hangsuite/hangs (killed at 2s)"),
        "{line}"
    );
    // The warning came while it ran, before the summary that reports the kill.
    let summary = run
        .stderr
        .find("timed out after")
        .expect("summary on stderr");
    assert!(slow < summary, "{}", run.stderr);
    assert_no_leftover(token);
}

#[test]
fn ab_kills_a_hung_test_at_test_timeout_too() {
    let token = "timeout-ab";
    let run = run_to_end(
        &[
            "ab",
            // With --calibrate the first word is still BASE_REF (and unused): name one, so
            // that `hangs` is the filter.
            "HEAD",
            "--calibrate",
            "--quick",
            "--min-rounds",
            "6",
            "--max-rounds",
            "6",
            "--no-save",
            "--format",
            "json",
            "--test-timeout",
            "2s",
            "hangs",
        ],
        token,
    );
    killed_at_two_seconds(&run);
    assert!(run.stderr.contains("SLOW [> "), "{}", run.dump());
    assert_no_leftover(token);
}

#[test]
fn sigterm_kills_the_suite_exits_143_and_leaves_the_store_clean() {
    let token = "sigterm";
    let store = tempfile::tempdir().unwrap();
    let store_arg = store.path().to_str().unwrap();
    let mut child = spawn_cargo_perf(
        &[
            "--quick",
            "--processes",
            "1",
            "--save",
            "--store",
            store_arg,
            "hangs",
        ],
        token,
    );
    wait_for_suite(&mut child, token);
    let sent = Instant::now();
    signal(&child, "TERM");
    let out = child.wait_with_output().unwrap();
    let run = common::Run::from(out);
    assert_eq!(run.code, 143, "{}", run.dump());
    assert!(
        sent.elapsed() < Duration::from_secs(10),
        "took {:?}",
        sent.elapsed()
    );
    assert!(run.stderr.contains("SIGTERM"), "{}", run.dump());
    assert_no_leftover(token);

    // Nothing partial in the store: no lock, no temporary file, no record of the cut run.
    let leftovers: Vec<String> = walk(store.path())
        .into_iter()
        .filter(|name| name != ".gitignore")
        .collect();
    assert!(leftovers.is_empty(), "left in the store: {leftovers:?}");

    // A second run takes the lock at once and saves.
    let started = Instant::now();
    let second = run_to_end(
        &[
            "--quick",
            "--processes",
            "1",
            "--save",
            "--store",
            store_arg,
            "--format",
            "json",
            "returns",
        ],
        "after-sigterm",
    );
    assert_eq!(second.code, 0, "{}", second.dump());
    assert!(!second.stderr.contains("locked"), "{}", second.dump());
    assert!(
        started.elapsed() < Duration::from_secs(100),
        "the second run waited for a lock"
    );
    assert!(
        walk(store.path()).iter().any(|n| n.ends_with(".json")),
        "the second run saved nothing: {:?}",
        walk(store.path())
    );
}

#[test]
fn sigint_exits_130_and_sighup_129_without_leftovers() {
    for (name, code) in [("INT", 130), ("HUP", 129)] {
        let token = format!("sig{name}");
        let mut child = spawn_cargo_perf(
            &["--quick", "--processes", "1", "--no-save", "hangs"],
            &token,
        );
        wait_for_suite(&mut child, &token);
        signal(&child, name);
        let run = common::Run::from(child.wait_with_output().unwrap());
        assert_eq!(run.code, code, "SIG{name}: {}", run.dump());
        assert_no_leftover(&token);
    }
}

#[test]
fn the_suite_exits_by_itself_when_cargo_perf_is_killed() {
    let token = "sigkill";
    let mut child = spawn_cargo_perf(
        &["--quick", "--processes", "1", "--no-save", "hangs"],
        token,
    );
    wait_for_suite(&mut child, token);
    let orphans = suite_processes(token);
    assert!(!orphans.is_empty());
    child.kill().unwrap(); // SIGKILL: cargo-perf cannot clean up
    let _ = child.wait();
    let gone = eventually(Duration::from_secs(5), || suite_processes(token).is_empty());
    assert!(
        gone,
        "the orphaned suite processes {:?} kept running",
        suite_processes(token)
    );
}

/// Every file under `dir`, as paths relative to it.
fn walk(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(
                    path.strip_prefix(dir)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned(),
                );
            }
        }
    }
    out.sort();
    out
}
