//! Shared set-up of the end-to-end tests: fixture crates copied into real git repositories,
//! built into one shared target directory, and the real `cargo-perf` binary run on them.

#![allow(dead_code)] // each e2e binary uses a different part of this module

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, SystemTime};

/// The repository root (where `fixtures/` lives).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// One target directory for every fixture build, so that cargo-perf itself compiles once.
pub fn shared_target_dir() -> PathBuf {
    repo_root().join("target").join("e2e-fixtures")
}

/// A fixture copied into a fresh git repository (one commit), shared by a test binary's tests.
pub struct Fixture {
    pub dir: PathBuf,
}

/// The fixture `name`, copied once per test binary. Copies live under the shared target
/// directory; copies older than a day are removed when a new one is made.
pub fn fixture(name: &str) -> &'static Fixture {
    static FIXTURES: OnceLock<Mutex<Vec<(String, &'static Fixture)>>> = OnceLock::new();
    let all = FIXTURES.get_or_init(|| Mutex::new(Vec::new()));
    let mut all = all.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, f)) = all.iter().find(|(n, _)| n == name) {
        return f;
    }
    let fixture: &'static Fixture = Box::leak(Box::new(copy_fixture(name)));
    all.push((name.to_string(), fixture));
    fixture
}

fn copy_fixture(name: &str) -> Fixture {
    let work = shared_target_dir().join("work");
    std::fs::create_dir_all(&work).expect("create the fixture work directory");
    remove_stale(&work);
    let dir = work.join(format!("{name}-{}-{}", std::process::id(), unique()));
    copy_dir(&repo_root().join("fixtures").join(name), &dir);
    // The fixture depends on `path = "../.."`: point it at this repository instead.
    let manifest = dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).expect("read fixture manifest");
    let repo = repo_root().display().to_string().replace('\\', "/");
    let text = text.replace("path = \"../..\"", &format!("path = \"{repo}\""));
    std::fs::write(&manifest, text).expect("write fixture manifest");
    git(&dir, &["init", "-q", "-b", "main"]);
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "-q", "-m", "fixture"]);
    Fixture { dir }
}

fn unique() -> u128 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

fn remove_stale(work: &Path) {
    let Ok(entries) = std::fs::read_dir(work) else {
        return;
    };
    for entry in entries.flatten() {
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > Duration::from_secs(24 * 3600));
        if old {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create fixture copy");
    for entry in std::fs::read_dir(from).expect("read fixture") {
        let entry = entry.expect("fixture entry");
        let name = entry.file_name();
        if name == "target" || name == ".perf" {
            continue;
        }
        let path = entry.path();
        if path.is_dir() {
            copy_dir(&path, &to.join(&name));
        } else {
            std::fs::copy(&path, to.join(&name)).expect("copy fixture file");
        }
    }
}

/// Run git in `dir` with a fixed identity, so that commits work on any machine.
pub fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "cargo-perf e2e")
        .env("GIT_AUTHOR_EMAIL", "e2e@example.invalid")
        .env("GIT_COMMITTER_NAME", "cargo-perf e2e")
        .env("GIT_COMMITTER_EMAIL", "e2e@example.invalid")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `cargo perf <args>` run the way cargo runs it (`cargo-perf perf ...`) in `dir`.
pub fn cargo_perf_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
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
    for (k, v) in env {
        cmd.env(k, v);
    }
    Run::from(cmd.output().expect("run cargo-perf"))
}

impl Fixture {
    pub fn cargo_perf(&self, args: &[&str]) -> Run {
        cargo_perf_in(&self.dir, args, &[])
    }

    pub fn cargo_perf_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        cargo_perf_in(&self.dir, args, env)
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
