//! The results store: one JSON record per (commit, machine) under `.perf/` (or `--store`,
//! `CARGO_PERF_STORE`), written atomically under a lock; damaged records are reported by
//! path and skipped, never overwritten silently.

use std::collections::BTreeMap;
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::cli::fingerprint::Fingerprint;
use crate::cli::report::model::{MachineInfo, TestReport};

/// Version of [`Record`]'s shape. Records of a newer version are skipped with a message.
pub const STORE_SCHEMA_VERSION: u32 = 1;
/// Moves the store, like `--store DIR`.
pub const ENV_STORE: &str = "CARGO_PERF_STORE";
/// The default store directory, relative to the workspace root.
pub const DEFAULT_DIR: &str = ".perf";

const LOCK_FILE: &str = "lock";
const RECORD_EXT: &str = "json";

/// Everything stored about one run at one commit on one machine.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Record {
    pub schema_version: u32,
    pub tool_version: String,
    /// Full 40-hex commit id.
    pub commit: String,
    pub dirty: bool,
    #[serde(default)]
    pub branch: Option<String>,
    pub machine: MachineInfo,
    pub rustc: String,
    pub profile: String,
    /// When the run finished, RFC 3339 UTC.
    pub time: String,
    pub unix_time: u64,
    /// Per-test `noise` thresholds (by test id), so a later `compare` judges as the run did.
    #[serde(default)]
    pub noise: BTreeMap<String, f64>,
    /// Each test with its aggregate and per-process figures.
    pub tests: Vec<TestReport>,
}

impl Record {
    /// A record stamped with the current time and this tool's versions.
    pub fn new(
        commit: String,
        dirty: bool,
        fingerprint: Fingerprint,
        tests: Vec<TestReport>,
    ) -> Record {
        let unix_time = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        Record {
            schema_version: STORE_SCHEMA_VERSION,
            tool_version: crate::protocol::LIBRARY_VERSION.to_owned(),
            commit,
            dirty,
            branch: None,
            machine: fingerprint.machine,
            rustc: fingerprint.rustc,
            profile: fingerprint.profile,
            time: rfc3339(unix_time),
            unix_time,
            noise: BTreeMap::new(),
            tests,
        }
    }

    pub fn fingerprint(&self) -> Fingerprint {
        Fingerprint {
            machine: self.machine.clone(),
            rustc: self.rustc.clone(),
            profile: self.profile.clone(),
        }
    }
}

/// A store operation failed; `what` and `help` become the `error:` and `help:` lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError {
    pub what: String,
    pub help: String,
}

impl StoreError {
    fn io(what: String, err: &io::Error, help: &str) -> StoreError {
        StoreError {
            what: format!("{what}: {err}"),
            help: help.to_owned(),
        }
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.what)
    }
}

impl std::error::Error for StoreError {}

/// A record that could not be read; it is skipped and left where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damaged {
    pub path: PathBuf,
    pub reason: String,
}

impl fmt::Display for Damaged {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "skipped the damaged record {}: {}",
            self.path.display(),
            self.reason
        )
    }
}

/// Readable records (oldest first) and the damaged ones met on the way.
#[derive(Debug, Default)]
pub struct Listing {
    pub records: Vec<Record>,
    pub damaged: Vec<Damaged>,
}

/// What [`Store::save`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saved {
    pub path: PathBuf,
    /// An earlier readable record of the same commit and machine was replaced.
    pub replaced: bool,
    /// A damaged record was in the way: it was moved here rather than overwritten.
    pub quarantined: Option<PathBuf>,
}

/// The directory the store lives in: `--store`, else `CARGO_PERF_STORE`, else `.perf/` in
/// the workspace root. A relative path is taken from the current directory.
pub fn locate(workspace_root: &Path, flag: Option<&Path>) -> PathBuf {
    let env = std::env::var_os(ENV_STORE).filter(|v| !v.is_empty());
    match flag.map(Path::to_path_buf).or(env.map(PathBuf::from)) {
        Some(dir) if dir.is_relative() => std::env::current_dir()
            .map(|cwd| cwd.join(&dir))
            .unwrap_or(dir),
        Some(dir) => dir,
        None => workspace_root.join(DEFAULT_DIR),
    }
}

/// A store directory.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
    lock_timeout: Duration,
}

impl Store {
    /// Opens (creating if needed) the store at `dir`, with its self-ignoring `.gitignore`.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        fs::create_dir_all(dir).map_err(|e| {
            StoreError::io(
                format!("could not create the results store {}", dir.display()),
                &e,
                "check the directory's permissions, or move the store with --store DIR",
            )
        })?;
        let ignore = dir.join(".gitignore");
        if !ignore.exists() {
            write_atomic(&ignore, b"# cargo-perf results: never committed\n*\n").map_err(|e| {
                StoreError::io(
                    format!("could not write {}", ignore.display()),
                    &e,
                    "check the directory's permissions, or move the store with --store DIR",
                )
            })?;
        }
        Ok(Store {
            dir: dir.to_path_buf(),
            lock_timeout: Duration::from_secs(120),
        })
    }

    /// How long [`Store::lock`] waits for another run before giving up.
    pub fn with_lock_timeout(mut self, timeout: Duration) -> Store {
        self.lock_timeout = timeout;
        self
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn machine_dir(&self, machine_id: &str) -> PathBuf {
        self.dir.join(file_safe(machine_id))
    }

    /// Where the record of `commit` on `machine_id` lives.
    pub fn record_path(&self, machine_id: &str, commit: &str) -> PathBuf {
        self.machine_dir(machine_id)
            .join(format!("{}.{RECORD_EXT}", file_safe(commit)))
    }

    /// Takes the store's exclusive lock, waiting for a concurrent run to finish.
    pub fn lock(&self) -> Result<StoreLock, StoreError> {
        StoreLock::acquire(&self.dir.join(LOCK_FILE), self.lock_timeout)
    }

    /// Writes `record` atomically under the lock, replacing an earlier record of the same
    /// commit and machine. A damaged file in the way is moved aside, never overwritten.
    pub fn save(&self, record: &Record) -> Result<Saved, StoreError> {
        // An interrupted run must leave nothing of itself behind, not even a complete record.
        if let Some(sig) = crate::cli::interrupt::received() {
            return Err(StoreError {
                what: format!(
                    "nothing saved: cargo perf was interrupted by {}",
                    crate::cli::interrupt::name(sig)
                ),
                help: "run `cargo perf` again; only a run that finishes is saved".into(),
            });
        }
        let _lock = self.lock()?;
        let path = self.record_path(&record.machine.id, &record.commit);
        let dir = self.machine_dir(&record.machine.id);
        let help = "check the store directory's permissions and free space";
        fs::create_dir_all(&dir)
            .map_err(|e| StoreError::io(format!("could not create {}", dir.display()), &e, help))?;
        let (mut replaced, mut quarantined) = (false, None);
        if path.exists() {
            match read_record(&path) {
                Ok(_) => replaced = true,
                Err(_) => {
                    let aside =
                        path.with_extension(format!("{RECORD_EXT}.damaged-{}", record.unix_time));
                    fs::rename(&path, &aside).map_err(|e| {
                        StoreError::io(format!("could not move aside {}", path.display()), &e, help)
                    })?;
                    quarantined = Some(aside);
                }
            }
        }
        let json = serde_json::to_vec_pretty(record).map_err(|e| StoreError {
            what: format!("could not encode the record: {e}"),
            help: "this is a bug in cargo-perf; please report it".into(),
        })?;
        write_atomic(&path, &json)
            .map_err(|e| StoreError::io(format!("could not write {}", path.display()), &e, help))?;
        Ok(Saved {
            path,
            replaced,
            quarantined,
        })
    }

    /// The record of `commit` on `machine_id`: `Ok(None)` when there is none, `Err` when the
    /// file exists but cannot be read.
    pub fn load(&self, machine_id: &str, commit: &str) -> Result<Option<Record>, Damaged> {
        let path = self.record_path(machine_id, commit);
        if !path.exists() {
            return Ok(None);
        }
        let record = read_record(&path)?;
        if record.commit != commit || record.machine.id != machine_id {
            return Err(Damaged {
                path,
                reason: format!(
                    "it holds commit {} of machine `{}`",
                    record.commit, record.machine.id
                ),
            });
        }
        Ok(Some(record))
    }

    /// The commits with a record for `machine_id`, from file names alone (no file is read).
    pub fn commits(&self, machine_id: &str) -> Vec<String> {
        let Ok(entries) = fs::read_dir(self.machine_dir(machine_id)) else {
            return Vec::new();
        };
        let mut commits: Vec<String> = entries
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                let commit = name.strip_suffix(&format!(".{RECORD_EXT}"))?;
                (!commit.starts_with('.')).then(|| commit.to_owned())
            })
            .collect();
        commits.sort();
        commits
    }

    /// The stored commits of `machine_id` that start with `prefix` (a short sha).
    pub fn commits_with_prefix(&self, machine_id: &str, prefix: &str) -> Vec<String> {
        let prefix = prefix.to_ascii_lowercase();
        self.commits(machine_id)
            .into_iter()
            .filter(|c| c.starts_with(&prefix))
            .collect()
    }

    /// Every readable record of `machine_id` (or of every machine), oldest first.
    pub fn list(&self, machine_id: Option<&str>) -> Listing {
        let mut listing = Listing::default();
        let machines: Vec<PathBuf> = match machine_id {
            Some(id) => vec![self.machine_dir(id)],
            None => fs::read_dir(&self.dir)
                .map(|rd| {
                    rd.flatten()
                        .map(|e| e.path())
                        .filter(|p| p.is_dir())
                        .collect()
                })
                .unwrap_or_default(),
        };
        for dir in machines {
            let Ok(entries) = fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                let name = entry.file_name();
                let name = name.to_string_lossy();
                if name.starts_with('.') || !name.ends_with(&format!(".{RECORD_EXT}")) {
                    continue; // temporary files and set-aside damaged records
                }
                match read_record(&path) {
                    Ok(r) => listing.records.push(r),
                    Err(d) => listing.damaged.push(d),
                }
            }
        }
        listing
            .records
            .sort_by(|a, b| (a.unix_time, &a.commit).cmp(&(b.unix_time, &b.commit)));
        listing.damaged.sort_by(|a, b| a.path.cmp(&b.path));
        listing
    }

    /// Deletes the record of `commit` on `machine_id`; `false` when there was none.
    pub fn remove(&self, machine_id: &str, commit: &str) -> Result<bool, StoreError> {
        let _lock = self.lock()?;
        let path = self.record_path(machine_id, commit);
        match fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(StoreError::io(
                format!("could not delete {}", path.display()),
                &e,
                "check the store directory's permissions",
            )),
        }
    }
}

/// Reads and checks one record file.
pub fn read_record(path: &Path) -> Result<Record, Damaged> {
    let damaged = |reason: String| Damaged {
        path: path.to_path_buf(),
        reason,
    };
    let bytes = fs::read(path).map_err(|e| damaged(format!("could not read it: {e}")))?;
    #[derive(Deserialize)]
    struct Header {
        schema_version: u32,
    }
    let header: Header = serde_json::from_slice(&bytes)
        .map_err(|e| damaged(format!("it is not a cargo-perf record ({e})")))?;
    if header.schema_version > STORE_SCHEMA_VERSION {
        return Err(damaged(format!(
            "it was written by a newer cargo-perf (store schema {}, this one reads up to {})",
            header.schema_version, STORE_SCHEMA_VERSION
        )));
    }
    serde_json::from_slice(&bytes)
        .map_err(|e| damaged(format!("it is incomplete or corrupt ({e})")))
}

/// Writes `bytes` to a temporary file next to `path` and renames it over `path`, so readers
/// see the old file or the new one, never a half-written one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let tmp = dir.join(format!(
        ".{name}.tmp-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let mut file = File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// The store's exclusive lock: a file created with `create_new` holding the owner's pid,
/// removed on drop. A lock whose owner is gone is stale and taken over.
#[derive(Debug)]
pub struct StoreLock {
    path: PathBuf,
}

impl StoreLock {
    fn acquire(path: &Path, timeout: Duration) -> Result<StoreLock, StoreError> {
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
                        return Err(StoreError {
                            what: format!(
                                "the results store is locked by {who} ({})",
                                path.display()
                            ),
                            help: "wait for the other `cargo perf` to finish; if none is running, \
                                   delete the lock file"
                                .into(),
                        });
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(e) => {
                    return Err(StoreError::io(
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

/// A machine id or commit as a file name: anything but `[A-Za-z0-9._-]` becomes `_`.
fn file_safe(text: &str) -> String {
    let s: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    // A leading dot would hide the entry from listings.
    match s.strip_prefix('.') {
        Some(rest) => format!("_{rest}"),
        None if s.is_empty() => "_".to_owned(),
        None => s,
    }
}

/// `2026-11-22T18:25:07Z` from seconds since the epoch.
pub fn rfc3339(unix: u64) -> String {
    let days = (unix / 86_400) as i64;
    let secs = unix % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3_600,
        secs / 60 % 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests;
