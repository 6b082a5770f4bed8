//! The e2e fixture copies are shared by every test process (nextest runs each test in its
//! own): this checks that their cross-process lock keeps a rewrite of a copy apart from any
//! other use of it, by running this test binary several times at once as lock holders.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{with_fixture_lock, Lock};

/// Set in the child processes: which side of the lock the child takes.
const CHILD_ENV: &str = "CARGO_PERF_LOCK_TEST_CHILD";
/// The lock (and the scratch directory) the children contend for; not a real fixture, so
/// that this test never waits for, or disturbs, other tests' copies.
const NAME: &str = "lock-selftest";
const ROUNDS: usize = 6;

fn scratch() -> PathBuf {
    common::shared_target_dir()
        .join("work")
        .join(format!("{NAME}-scratch"))
}

/// One critical section: announce ourselves with a file, check that nobody who must not be
/// there at the same time is, hold the section a while, leave.
fn section(dir: &Path, how: Lock) {
    let me = match how {
        Lock::Exclusive => "writer".to_string(),
        Lock::Shared => format!("reader-{}", std::process::id()),
    };
    let mine = dir.join(&me);
    let others = || -> Vec<String> {
        std::fs::read_dir(dir)
            .expect("read scratch")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .filter(|n| *n != me && !n.ends_with(".tmp"))
            .collect()
    };
    // `create_new` fails when another writer is inside: that is a collision too.
    std::fs::File::create_new(&mine).unwrap_or_else(|e| {
        panic!(
            "collision: {me} could not enter ({e}); inside: {:?}",
            others()
        )
    });
    for _ in 0..5 {
        let inside = others();
        let clash = match how {
            Lock::Exclusive => !inside.is_empty(),
            Lock::Shared => inside.iter().any(|n| n == "writer"),
        };
        assert!(!clash, "collision: {me} is inside together with {inside:?}");
        std::thread::sleep(Duration::from_millis(15));
    }
    std::fs::remove_file(&mine).expect("leave the section");
}

/// The child side: run when the parent starts this binary with `CHILD_ENV` set.
#[test]
fn lock_holder_child() {
    let Ok(role) = std::env::var(CHILD_ENV) else {
        return; // an ordinary run of the suite: only the parent test below starts children
    };
    let how = if role == "writer" {
        Lock::Exclusive
    } else {
        Lock::Shared
    };
    let dir = scratch();
    for _ in 0..ROUNDS {
        with_fixture_lock(NAME, how, || section(&dir, how));
    }
    println!("lock holder {role} finished {ROUNDS} rounds");
}

#[test]
fn processes_never_rewrite_a_fixture_copy_that_another_one_uses() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return;
    }
    let dir = scratch();
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch");
    let exe = std::env::current_exe().expect("this test binary");
    let children: Vec<_> = ["writer", "writer", "reader", "reader"]
        .iter()
        .map(|role| {
            Command::new(&exe)
                .args([
                    "--exact",
                    "lock_holder_child",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env(CHILD_ENV, role)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("start a lock holder")
        })
        .collect();
    for (role, child) in ["writer", "writer", "reader", "reader"]
        .iter()
        .zip(children)
    {
        let out = child.wait_with_output().expect("wait for a lock holder");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("finished"),
            "the {role} lock holder failed:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // Everybody left: the lock is released when a holder closes the file (or dies).
    assert_eq!(std::fs::read_dir(&dir).expect("scratch").count(), 0);
    with_fixture_lock(NAME, Lock::Exclusive, || ());
}
