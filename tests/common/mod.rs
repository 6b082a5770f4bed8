//! The one helper module of the end-to-end tests: fixture crates copied into real git
//! repositories (shared per test binary, or one per test in a temp dir), git with a fixed
//! identity, and the real `cargo-perf` binary run on them.

#![allow(dead_code)] // each e2e binary uses a different part of this module

pub mod schema;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Mutex, OnceLock};

/// The repository root (where `fixtures/` lives).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// One target directory for every fixture build, so that cargo-perf itself compiles once.
pub fn shared_target_dir() -> PathBuf {
    repo_root().join("target").join("e2e-fixtures")
}

/// A fixture copied into a git repository, shared by a test binary's tests.
pub struct Fixture {
    pub dir: PathBuf,
}

/// The fixture `name`, synchronised once per test binary into `<shared target>/work/<name>`.
///
/// The copy's path is stable and only files whose contents changed are rewritten: cargo gives
/// every copy of a package the same output files, so copies at changing paths would make it
/// trust the previous copy's sources and skip rebuilding.
pub fn fixture(name: &str) -> &'static Fixture {
    static FIXTURES: OnceLock<Mutex<Vec<(String, &'static Fixture)>>> = OnceLock::new();
    let all = FIXTURES.get_or_init(|| Mutex::new(Vec::new()));
    let mut all = all.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, f)) = all.iter().find(|(n, _)| n == name) {
        return f;
    }
    // Another test process (nextest runs every test in its own) may be syncing this copy or
    // running cargo in it right now. Checking is read-only and shares the lock with those
    // runs; only a copy that is out of date is rewritten, under the exclusive lock.
    let dir = fixture_dir(name);
    if !with_fixture_lock(name, Lock::Shared, || copy_is_current(name)) {
        with_fixture_lock(name, Lock::Exclusive, || sync_fixture(name));
    }
    let synced = Fixture { dir };
    let fixture: &'static Fixture = Box::leak(Box::new(synced));
    all.push((name.to_string(), fixture));
    fixture
}

/// How a process holds a fixture copy's lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lock {
    /// Rewriting the copy (files, git index and commits): nobody else may use it meanwhile.
    Exclusive,
    /// Building or running in the copy: other users may too, but no one may rewrite it.
    Shared,
}

/// The lock file of the fixture copy `name`: beside the copy, so it is never synced or committed.
pub fn fixture_lock_path(name: &str) -> PathBuf {
    shared_target_dir()
        .join("work")
        .join(format!("{name}.lock"))
}

/// Run `f` holding the cross-process lock of the fixture copy `name` (an OS file lock, so a
/// process that dies releases it). Threads of one process share `fixture()`'s copy through
/// its mutex, so only other processes ever wait here.
// `File::lock` is std since 1.89; the dev-dependencies need a newer toolchain than the
// library's MSRV anyway.
#[allow(clippy::incompatible_msrv)]
pub fn with_fixture_lock<T>(name: &str, how: Lock, f: impl FnOnce() -> T) -> T {
    let path = fixture_lock_path(name);
    std::fs::create_dir_all(path.parent().expect("lock file has a parent"))
        .expect("create the fixture work directory");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    match how {
        Lock::Exclusive => file.lock(),
        Lock::Shared => file.lock_shared(),
    }
    .unwrap_or_else(|e| panic!("lock {}: {e}", path.display()));
    let out = f();
    drop(file); // closing the file releases the lock
    out
}

/// The fixture copy that `dir` is inside, if it is one (`<shared target>/work/<name>/..`).
fn fixture_of(dir: &Path) -> Option<String> {
    let rest = dir.strip_prefix(shared_target_dir().join("work")).ok()?;
    let first = rest.components().next()?;
    Some(first.as_os_str().to_string_lossy().into_owned())
}

/// Where the fixture `name` is copied.
fn fixture_dir(name: &str) -> PathBuf {
    shared_target_dir().join("work").join(name)
}

/// What the copy of a fixture file holds: manifests point at this repository.
fn copied_contents(path: &Path, text: &[u8]) -> Vec<u8> {
    if path.file_name().is_some_and(|n| n == "Cargo.toml") {
        let repo = repo_root().display().to_string().replace('\\', "/");
        point_at_repo(&String::from_utf8_lossy(text), &repo).into_bytes()
    } else {
        text.to_vec()
    }
}

/// The copy holds the fixture's files and they are committed (read-only: writes nothing,
/// not even git's index refresh).
fn copy_is_current(name: &str) -> bool {
    let dir = fixture_dir(name);
    if !dir.join(".git").exists() || sync_dir(&repo_root().join("fixtures").join(name), &dir, false)
    {
        return false;
    }
    Command::new("git")
        .args(["status", "--porcelain"])
        .current_dir(&dir)
        .env("GIT_OPTIONAL_LOCKS", "0")
        .output()
        .is_ok_and(|out| out.status.success() && out.stdout.is_empty())
}

/// Make the copy current: write the files that differ, then commit them.
fn sync_fixture(name: &str) {
    let dir = fixture_dir(name);
    sync_dir(&repo_root().join("fixtures").join(name), &dir, true);
    if !dir.join(".git").exists() {
        git(&dir, &["init", "-q", "-b", "main"]);
    }
    git(&dir, &["add", "-A"]);
    let status = Command::new("git")
        .args(["status", "--porcelain"])
        .current_dir(&dir)
        .output()
        .expect("git status");
    if !status.stdout.is_empty() {
        git(&dir, &["commit", "-q", "-m", "fixture"]);
    }
}

/// The fixture `name` committed into a fresh git repository in a temp dir, without any
/// `Cargo.lock` (a library repository's layout: the build writes the lockfile, untracked).
///
/// Unlike [`fixture`]'s copies, which sit inside the shared target directory (whose paths
/// never count as changes), this tree's git status is seen as a user would see it.
pub fn fixture_in_new_repo(name: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("temp dir");
    copy_fixture(name, tmp.path());
    let _ = std::fs::remove_file(tmp.path().join("Cargo.lock"));
    git(tmp.path(), &["init", "-q", "-b", "main"]);
    git(tmp.path(), &["add", "-A"]);
    git(tmp.path(), &["commit", "-q", "-m", "fixture"]);
    tmp
}

/// Fixtures depend on `cargo-perf = { path = "../.." .. }` (relative to the fixture): point
/// that dependency at this repository instead.
fn point_at_repo(manifest: &str, repo: &str) -> String {
    manifest
        .lines()
        .map(|line| {
            let Some(rest) = line.strip_prefix("cargo-perf = { path = \"") else {
                return line.to_string();
            };
            match rest.split_once('"') {
                Some((_, after)) => format!("cargo-perf = {{ path = \"{repo}\"{after}"),
                None => line.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// Whether `to` differs from `from`'s files (as copied); with `write`, make it hold them,
/// writing only what differs (unchanged files keep their timestamps, so cargo rebuilds nothing).
fn sync_dir(from: &Path, to: &Path, write: bool) -> bool {
    if write {
        std::fs::create_dir_all(to).expect("create fixture copy");
    }
    let mut differs = false;
    for entry in std::fs::read_dir(from).expect("read fixture") {
        let entry = entry.expect("fixture entry");
        let name = entry.file_name();
        if name == "target" || name == ".perf" || name == ".git" {
            continue;
        }
        let path = entry.path();
        let dest = to.join(&name);
        if path.is_dir() {
            differs |= sync_dir(&path, &dest, write);
        } else {
            let wanted = copied_contents(&path, &std::fs::read(&path).expect("read fixture file"));
            if std::fs::read(&dest).ok().as_deref() != Some(&wanted[..]) {
                differs = true;
                if write {
                    std::fs::write(&dest, wanted).expect("write fixture file");
                }
            }
        }
    }
    differs
}

/// Run git in `dir` with a fixed identity (and no user configuration), so that commits work on
/// any machine; returns what git printed, trimmed.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "cargo-perf e2e")
        .env("GIT_AUTHOR_EMAIL", "e2e@example.invalid")
        .env("GIT_COMMITTER_NAME", "cargo-perf e2e")
        .env("GIT_COMMITTER_EMAIL", "e2e@example.invalid")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Stage everything in `dir` and commit it; returns the new commit id.
pub fn commit_all(dir: &Path, message: &str) -> String {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", message]);
    git(dir, &["rev-parse", "HEAD"])
}

/// The fixture `name` copied into `dir` (a test's own temp dir, not yet a repository), its
/// `cargo-perf` dependency pointed at this checkout.
pub fn copy_fixture(name: &str, dir: &Path) {
    sync_dir(&repo_root().join("fixtures").join(name), dir, true);
}

/// A target directory of its own for `name`'s builds, outliving the test so that reruns do
/// not rebuild the dependencies.
pub fn own_target_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(name)
}

/// `cargo perf <args>` in `dir`, building into `target`; a panic is never an exit path.
pub fn cargo_perf_at(dir: &Path, args: &[&str], target: &Path) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_cargo-perf"))
        .arg("perf")
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target)
        .env_remove("CARGO_PERF_STORE")
        .env_remove("PERF_FIXTURE_SLOWDOWN")
        .output()
        .expect("cargo-perf runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{args:?} panicked:\n{stderr}");
    out
}

/// Standard output as text.
pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A quick measured run that stores nothing, one process per test, as JSON: for tests that
/// check behaviour, not figures.
pub const QUICK_JSON: &[&str] = &[
    "--quick",
    "--processes",
    "1",
    "--no-save",
    "--format",
    "json",
];

/// [`QUICK_JSON`] with two processes a test: for figures compared across processes (leak
/// slopes, per-process details).
pub const QUICK_JSON_TWO_PROCESSES: &[&str] = &[
    "--quick",
    "--processes",
    "2",
    "--no-save",
    "--format",
    "json",
];

/// `ab HEAD` at its smallest (six rounds, no extra budget), saving nothing, failing only on
/// errors, as JSON: for tests of what `ab` does, not of what it finds.
pub const QUICK_AB_HEAD: &[&str] = &[
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
];

/// `base` followed by `extra`, for the argument lists above.
pub fn with_args<'a>(base: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
    base.iter().chain(extra).copied().collect()
}

/// `cargo perf <args>` set up the way cargo runs it (`cargo-perf perf ...`) in `dir`, into the
/// shared fixture target directory, without colours, a `CARGO_PERF_STORE` or the caller's
/// `PERF_*` overrides: the one command every e2e test starts from (to run, or to spawn and
/// signal).
pub fn cargo_perf_command(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cargo-perf"));
    cmd.arg("perf")
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", shared_target_dir())
        .env("CARGO_TERM_COLOR", "never")
        .env("NO_COLOR", "1")
        .env_remove("CARGO_PERF_STORE");
    // Thresholds overrides from the caller's environment must not leak into the fixtures.
    for (key, _) in std::env::vars() {
        if key.starts_with("PERF_") {
            cmd.env_remove(key);
        }
    }
    cmd
}

/// `cargo perf <args>` run in `dir` with `env` added, under the fixture lock.
pub fn cargo_perf_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = cargo_perf_command(dir, args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    run_in_fixture(dir, || cmd.output().expect("run cargo-perf")).into()
}

/// Run `f` (a command working in `dir`) under `dir`'s fixture lock, shared, when `dir` is in
/// a fixture copy: builds and runs there must not see a copy half rewritten by another process.
pub fn run_in_fixture<T>(dir: &Path, f: impl FnOnce() -> T) -> T {
    match fixture_of(dir) {
        Some(name) => with_fixture_lock(&name, Lock::Shared, f),
        None => f(),
    }
}

impl Fixture {
    pub fn cargo_perf(&self, args: &[&str]) -> Run {
        cargo_perf_in(&self.dir, args, &[])
    }

    pub fn cargo_perf_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        cargo_perf_in(&self.dir, args, env)
    }

    /// A quick JSON run that saves nothing, one process per test: for tests that check
    /// behaviour, not figures.
    pub fn quick_json(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        cargo_perf_in(&self.dir, &with_args(QUICK_JSON, args), env)
    }
}

/// What a `cargo-perf` process did.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(out: Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

impl Run {
    /// The JSON report on stdout.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not a JSON report ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }

    /// Everything the process printed, for assertion messages.
    pub fn dump(&self) -> String {
        format!(
            "exit code {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// The test entries of a JSON report, by name.
pub fn test_named<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["tests"]
        .as_array()
        .expect("tests is an array")
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("no test named {name} in {report:#}"))
}

/// The names of the tests in a JSON report, in order.
pub fn test_names(report: &serde_json::Value) -> Vec<String> {
    report["tests"]
        .as_array()
        .expect("tests is an array")
        .iter()
        .map(|t| t["name"].as_str().expect("name").to_string())
        .collect()
}
