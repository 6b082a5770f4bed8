//! Shared by the `e2e_store_*` tests: the store fixture copied into temp dirs, git, and the
//! real `cargo-perf` binary.

#![allow(dead_code)] // each test file uses its own subset

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/store");

/// The fixture copied into `dir`, depending on this checkout of cargo-perf by absolute path.
pub fn copy_fixture(dir: &Path) {
    fs::create_dir_all(dir.join("benches")).unwrap();
    let manifest = fs::read_to_string(Path::new(FIXTURE).join("Cargo.toml"))
        .unwrap()
        .replace(
            "path = \"../..\"",
            &format!("path = {:?}", env!("CARGO_MANIFEST_DIR")),
        );
    fs::write(dir.join("Cargo.toml"), manifest).unwrap();
    for file in ["Cargo.lock", ".gitignore", "benches/perf.rs"] {
        fs::copy(Path::new(FIXTURE).join(file), dir.join(file)).unwrap();
    }
}

/// One target directory for every fixture build, so cargo-perf itself compiles once.
pub fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("e2e-store-fixture")
}

pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

pub fn commit_all(dir: &Path, message: &str) -> String {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", message]);
    git(dir, &["rev-parse", "HEAD"])
}

pub fn cargo_perf(dir: &Path, args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_cargo-perf"))
        .arg("perf")
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target_dir())
        .env_remove("CARGO_PERF_STORE")
        .env_remove("PERF_FIXTURE_SLOWDOWN")
        .output()
        .expect("cargo-perf runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{args:?} panicked:\n{stderr}");
    out
}
