//! The store's exclusive lock: concurrent `cargo perf` runs cannot interleave records.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::cli::errors::CliError;

/// The store's exclusive lock: a file created with `create_new` holding the owner's pid,
/// removed on drop. A lock whose owner is gone is stale and taken over.
#[derive(Debug)]
pub struct StoreLock {
    path: PathBuf,
}

impl StoreLock {
    pub(super) fn acquire(path: &Path, timeout: Duration) -> Result<StoreLock, CliError> {
        let start = Instant::now();
        loop {
            match OpenOptions::new().write(true).create_new(true).open(path) {
                Ok(mut file) => {
                    let _ = writeln!(file, "{}", std::process::id());
                    return Ok(StoreLock {
                        path: path.to_path_buf(),
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    let owner = fs::read_to_string(path)
                        .ok()
                        .and_then(|s| s.trim().parse::<u32>().ok());
                    if is_stale(path, owner) {
                        let _ = fs::remove_file(path);
                        continue;
                    }
                    if start.elapsed() >= timeout {
                        let who =
                            owner.map_or("another process".to_owned(), |p| format!("process {p}"));
                        return Err(CliError::store(
                            format!("the results store is locked by {who} ({})", path.display()),
                            "wait for the other `cargo perf` to finish; if none is running, \
                             delete the lock file",
                        ));
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(e) => {
                    return Err(CliError::store_io(
                        format!("could not create the lock file {}", path.display()),
                        &e,
                        "check the store directory's permissions, or move it with --store DIR",
                    ))
                }
            }
        }
    }
}

impl Drop for StoreLock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// A lock is stale when its owner process no longer exists, or when it names no owner
/// (a crash between create and write) and is older than a few seconds.
fn is_stale(path: &Path, owner: Option<u32>) -> bool {
    match owner {
        Some(pid) if pid == std::process::id() => false,
        Some(pid) => !process_alive(pid),
        None => fs::metadata(path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > Duration::from_secs(5)),
    }
}

fn process_alive(pid: u32) -> bool {
    use sysinfo::{Pid, ProcessRefreshKind, ProcessesToUpdate, System};
    let pid = Pid::from_u32(pid);
    let mut sys = System::new();
    sys.refresh_processes_specifics(
        ProcessesToUpdate::Some(&[pid]),
        true,
        ProcessRefreshKind::nothing(),
    );
    sys.process(pid).is_some()
}
