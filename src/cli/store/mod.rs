//! The results store: one JSON record per (commit, machine) under `.perf/` (or `--store`,
//! `CARGO_PERF_STORE`), written atomically under a lock; damaged records are reported by
//! path and skipped, never overwritten silently. What to compare with and when to save is
//! [`policy`]'s, for `run` and `ab` alike.

pub mod accept;
mod fs;
mod lock;
pub mod notes;
pub mod policy;

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use self::fs::file_safe;
pub use self::fs::rfc3339;
pub use self::lock::StoreLock;
use crate::cli::atomic::write_atomic;

use crate::cli::errors::CliError;
use crate::cli::fingerprint::Fingerprint;
use crate::cli::model::{MachineInfo, TestReport};

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
    /// The `.config/perf.toml` profile the run used, when the workspace has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub perf_profile: Option<String>,
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
            perf_profile: None,
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

/// What [`Store::import`] did with a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Imported {
    Added,
    /// The store already had exactly this record.
    Same,
    /// The store has a different record of the same commit and machine: it was kept.
    KeptLocal,
    /// The store's record of that commit and machine is damaged: left as it is.
    LocalDamaged(Damaged),
}

/// Whether two records say the same (compared as JSON: `Record` holds floats).
pub fn same_record(a: &Record, b: &Record) -> bool {
    serde_json::to_value(a).ok() == serde_json::to_value(b).ok()
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
    pub fn open(dir: &Path) -> Result<Store, CliError> {
        std::fs::create_dir_all(dir).map_err(|e| {
            CliError::store_io(
                format!("could not create the results store {}", dir.display()),
                &e,
                "check the directory's permissions, or move the store with --store DIR",
            )
        })?;
        let ignore = dir.join(".gitignore");
        if !ignore.exists() {
            write_atomic(&ignore, b"# cargo-perf results: never committed\n*\n").map_err(|e| {
                CliError::store_io(
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
    pub fn lock(&self) -> Result<StoreLock, CliError> {
        StoreLock::acquire(&self.dir.join(LOCK_FILE), self.lock_timeout)
    }

    /// Writes `record` atomically under the lock, replacing an earlier record of the same
    /// commit and machine. A damaged file in the way is moved aside, never overwritten.
    pub fn save(&self, record: &Record) -> Result<Saved, CliError> {
        // An interrupted run must leave nothing of itself behind, not even a complete record.
        if let Some(sig) = crate::cli::run::interrupt::received() {
            return Err(CliError::store(
                format!(
                    "nothing saved: cargo perf was interrupted by {}",
                    crate::cli::run::interrupt::name(sig)
                ),
                "run `cargo perf` again; only a run that finishes is saved",
            ));
        }
        let _lock = self.lock()?;
        let path = self.record_path(&record.machine.id, &record.commit);
        let help = "check the store directory's permissions and free space";
        let (mut replaced, mut quarantined) = (false, None);
        if path.exists() {
            match read_record(&path) {
                Ok(_) => replaced = true,
                Err(_) => {
                    let aside =
                        path.with_extension(format!("{RECORD_EXT}.damaged-{}", record.unix_time));
                    std::fs::rename(&path, &aside).map_err(|e| {
                        CliError::store_io(
                            format!("could not move aside {}", path.display()),
                            &e,
                            help,
                        )
                    })?;
                    quarantined = Some(aside);
                }
            }
        }
        self.write_locked(record, &path)?;
        Ok(Saved {
            path,
            replaced,
            quarantined,
        })
    }

    /// Writes `record` to `path` atomically; the caller holds the lock.
    fn write_locked(&self, record: &Record, path: &Path) -> Result<(), CliError> {
        let help = "check the store directory's permissions and free space";
        let dir = self.machine_dir(&record.machine.id);
        std::fs::create_dir_all(&dir).map_err(|e| {
            CliError::store_io(format!("could not create {}", dir.display()), &e, help)
        })?;
        let json = serde_json::to_vec_pretty(record).map_err(|e| {
            CliError::store(
                format!("could not encode the record: {e}"),
                "this is a bug in cargo-perf; please report it",
            )
        })?;
        write_atomic(path, &json).map_err(|e| {
            CliError::store_io(format!("could not write {}", path.display()), &e, help)
        })
    }

    /// Adds a record from elsewhere (a fetched note) under one hold of the lock: written
    /// only when the store has none for its commit and machine; a local one always stays.
    pub fn import(&self, record: &Record) -> Result<Imported, CliError> {
        let _lock = self.lock()?;
        match self.load(&record.machine.id, &record.commit) {
            Ok(None) => {
                self.write_locked(
                    record,
                    &self.record_path(&record.machine.id, &record.commit),
                )?;
                Ok(Imported::Added)
            }
            Ok(Some(local)) if same_record(&local, record) => Ok(Imported::Same),
            Ok(Some(_)) => Ok(Imported::KeptLocal),
            Err(damaged) => Ok(Imported::LocalDamaged(damaged)),
        }
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
        let Ok(entries) = std::fs::read_dir(self.machine_dir(machine_id)) else {
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
            None => std::fs::read_dir(&self.dir)
                .map(|rd| {
                    rd.flatten()
                        .map(|e| e.path())
                        .filter(|p| p.is_dir())
                        .collect()
                })
                .unwrap_or_default(),
        };
        for dir in machines {
            let Ok(entries) = std::fs::read_dir(&dir) else {
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
    pub fn remove(&self, machine_id: &str, commit: &str) -> Result<bool, CliError> {
        let _lock = self.lock()?;
        let path = self.record_path(machine_id, commit);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(CliError::store_io(
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
    let bytes = std::fs::read(path).map_err(|e| damaged(format!("could not read it: {e}")))?;
    parse_record(&bytes).map_err(|e| damaged(e.to_string()))
}

/// Why bytes are not a record this cargo-perf reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unreadable {
    /// Written by a newer cargo-perf: not damaged, only foreign.
    Newer(u32),
    Damaged(String),
}

impl fmt::Display for Unreadable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unreadable::Newer(v) => write!(
                f,
                "it was written by a newer cargo-perf (store schema {v}, this one reads up to \
                 {STORE_SCHEMA_VERSION})"
            ),
            Unreadable::Damaged(reason) => f.write_str(reason),
        }
    }
}

/// Checks and decodes one record's JSON: the one reader of stored and fetched records.
pub fn parse_record(bytes: &[u8]) -> Result<Record, Unreadable> {
    #[derive(Deserialize)]
    struct Header {
        schema_version: u32,
    }
    let header: Header = serde_json::from_slice(bytes)
        .map_err(|e| Unreadable::Damaged(format!("it is not a cargo-perf record ({e})")))?;
    if header.schema_version > STORE_SCHEMA_VERSION {
        return Err(Unreadable::Newer(header.schema_version));
    }
    serde_json::from_slice(bytes)
        .map_err(|e| Unreadable::Damaged(format!("it is incomplete or corrupt ({e})")))
}

#[cfg(test)]
mod tests;
