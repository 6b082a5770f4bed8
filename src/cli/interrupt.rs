//! Terminating `cargo perf` (SIGINT, SIGTERM, SIGHUP) leaves nothing behind: a dedicated thread
//! receives the signal (signal-hook's handler only records it), kills every child process
//! (suite processes with their groups, and a cargo build or metadata call in flight), and the
//! main flow, which checks [`received`] wherever it waits and before it saves, unwinds
//! normally (the store lock and temporary files are released by their owners) and exits with
//! 128 + the signal: 130, 143, 129.
//!
//! Limits: a second signal, or a main flow that has not ended 5 s after the first, exits at
//! once (a store lock left then is stale and taken over by the next run). SIGKILL cannot be
//! caught: suite processes then exit by themselves when their stdin lifeline closes (see
//! `crate::harness`), while a cargo build in flight runs to its end.

use std::sync::atomic::{AtomicI32, Ordering};
use std::time::Duration;

use super::errors::CliError;

/// The first terminating signal received, 0 for none.
static RECEIVED: AtomicI32 = AtomicI32::new(0);
/// How long the main flow gets to unwind before the process exits regardless.
const GRACE: Duration = Duration::from_secs(5);

/// The signal that interrupts cargo perf, if one came.
pub fn received() -> Option<i32> {
    match RECEIVED.load(Ordering::SeqCst) {
        0 => None,
        sig => Some(sig),
    }
}

/// `Err` once cargo perf has been interrupted: for the places that must not go on (saving).
pub fn check() -> Result<(), CliError> {
    match received() {
        None => Ok(()),
        Some(sig) => Err(error(sig)),
    }
}

/// What an interrupted run says on stderr.
pub fn error(sig: i32) -> CliError {
    CliError::io(
        format!(
            "interrupted by {}: the running tests were stopped and nothing was saved",
            name(sig)
        ),
        "run `cargo perf` again to measure; results are saved only by a run that finishes",
    )
}

/// The exit code of a process ended by `sig`, as shells report it.
pub fn exit_code(sig: i32) -> i32 {
    128 + sig
}

/// `SIGTERM`, ...
pub fn name(sig: i32) -> String {
    #[cfg(unix)]
    {
        match sig {
            libc::SIGINT => return "SIGINT".into(),
            libc::SIGTERM => return "SIGTERM".into(),
            libc::SIGHUP => return "SIGHUP".into(),
            _ => {}
        }
    }
    format!("signal {sig}")
}

/// Start the signal thread. Called once, by `cargo perf`'s `main` (never by library tests,
/// whose test harness keeps the default handlers).
pub fn install() {
    #[cfg(unix)]
    {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
            // Without handlers the default actions remain: cargo perf dies, and the suite
            // processes still exit through their lifeline.
            return;
        };
        let _ = std::thread::Builder::new()
            .name("cargo-perf-signals".into())
            .spawn(move || {
                for sig in signals.forever() {
                    on_signal(sig);
                }
            });
    }
}

#[cfg(unix)]
fn on_signal(sig: i32) {
    if let Err(first) = RECEIVED.compare_exchange(0, sig, Ordering::SeqCst, Ordering::SeqCst) {
        // A second signal: the user does not want to wait for the clean-up.
        kill_children();
        std::process::exit(exit_code(first));
    }
    kill_children();
    // Keep killing what starts after the signal (a spawn that was under way), and never let a
    // stuck main flow keep cargo perf alive.
    let _ = std::thread::Builder::new()
        .name("cargo-perf-stop".into())
        .spawn(move || {
            let start = std::time::Instant::now();
            while start.elapsed() < GRACE {
                std::thread::sleep(Duration::from_millis(50));
                kill_children();
            }
            eprintln!("{}", error(sig));
            std::process::exit(exit_code(sig));
        });
}

/// Every child cargo perf has: the suite processes' groups, then any other descendant.
#[cfg(unix)]
fn kill_children() {
    super::process::kill_all();
    for pid in descendants(std::process::id()) {
        // SAFETY: kill(2) has no memory-safety preconditions.
        unsafe {
            libc::kill(pid as i32, libc::SIGKILL);
        }
    }
}

/// The processes below `root` (children, their children, ...), from /proc. Elsewhere than on
/// Linux this finds nothing and only the suite processes are killed.
#[cfg(unix)]
fn descendants(root: u32) -> Vec<u32> {
    let parents: Vec<(u32, u32)> = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let pid: u32 = e.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(e.path().join("stat")).ok()?;
            Some((pid, parent_of(&stat)?))
        })
        .collect();
    let mut found = vec![root];
    let mut i = 0;
    while i < found.len() {
        let parent = found[i];
        found.extend(
            parents
                .iter()
                .filter(|&&(pid, ppid)| ppid == parent && !found.contains(&pid))
                .map(|&(pid, _)| pid)
                .collect::<Vec<_>>(),
        );
        i += 1;
    }
    found.remove(0);
    found
}

/// The parent pid from a /proc/<pid>/stat line: `pid (comm) state ppid ...`, where comm may
/// hold spaces and parentheses, so the fields are counted from the last `)`.
fn parent_of(stat: &str) -> Option<u32> {
    let after = &stat[stat.rfind(')')? + 1..];
    after.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_the_shell_convention() {
        assert_eq!(exit_code(2), 130);
        assert_eq!(exit_code(15), 143);
        assert_eq!(exit_code(1), 129);
        assert_eq!(name(15), "SIGTERM");
        assert!(error(2).message().contains("SIGINT"));
    }

    #[test]
    fn stat_lines_give_their_parent() {
        assert_eq!(parent_of("42 (cargo) S 7 42 42 0"), Some(7));
        assert_eq!(parent_of("43 (a) b (c)) R 9 1"), Some(9));
        assert_eq!(parent_of("garbage"), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn descendants_include_grandchildren() {
        let mut child = std::process::Command::new("/bin/sh")
            .args(["-c", "sh -c 'sleep 30; :' & wait"])
            .spawn()
            .unwrap();
        // Below the child: the inner sh and its sleep (two levels down from us).
        let found = (0..100)
            .map(|_| {
                std::thread::sleep(Duration::from_millis(20));
                descendants(child.id())
            })
            .find(|d| d.len() >= 2)
            .unwrap_or_default();
        for &pid in &found {
            // SAFETY: kill(2) has no memory-safety preconditions.
            unsafe {
                libc::kill(pid as i32, libc::SIGKILL);
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        assert!(found.len() >= 2, "a grandchild is missing: {found:?}");
        assert!(!found.contains(&child.id()));
    }
}
