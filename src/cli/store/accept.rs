//! Accepted levels (`cargo perf accept`): per machine, which test's level at which commit is
//! intended, and why. One JSON file per machine, `<machine>/.accepted.json` (the leading dot
//! keeps it out of the record listings), written atomically under the store's lock; a damaged
//! file is reported and skipped by readers, and moved aside (never overwritten) by writers.

use serde::{Deserialize, Serialize};

use super::{Damaged, Record, Store};
use crate::cli::atomic::write_atomic;
use crate::cli::errors::CliError;
use crate::cli::project::suggest;
use crate::cli::report::words::short;

/// Version of the acceptances file's shape.
const ACCEPT_SCHEMA_VERSION: u32 = 1;
const ACCEPT_FILE: &str = ".accepted.json";

/// One accepted level: `test`'s figures at `commit` are its baseline from there on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acceptance {
    pub test: String,
    /// Full 40-hex commit id whose stored record holds the accepted level.
    pub commit: String,
    pub reason: String,
    /// When it was accepted, RFC 3339 UTC.
    pub accepted_at: String,
}

#[derive(Serialize, Deserialize)]
struct File {
    schema_version: u32,
    acceptances: Vec<Acceptance>,
}

/// What [`Store::update_acceptances`] did besides writing.
pub struct Updated {
    /// A damaged file was in the way: it was moved here.
    pub quarantined: Option<std::path::PathBuf>,
}

impl Store {
    fn acceptances_path(&self, machine_id: &str) -> std::path::PathBuf {
        self.machine_dir(machine_id).join(ACCEPT_FILE)
    }

    /// The acceptances of `machine_id` (none when there is no file), or why the file is
    /// unreadable.
    pub fn acceptances(&self, machine_id: &str) -> Result<Vec<Acceptance>, Damaged> {
        let path = self.acceptances_path(machine_id);
        let damaged = |reason: String| Damaged {
            path: path.clone(),
            reason,
        };
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(damaged(format!("could not read it: {e}"))),
        };
        let file: File = serde_json::from_slice(&bytes)
            .map_err(|e| damaged(format!("it is not a cargo-perf acceptances file ({e})")))?;
        if file.schema_version > ACCEPT_SCHEMA_VERSION {
            return Err(damaged(format!(
                "it was written by a newer cargo-perf (schema {}, this one reads up to \
                 {ACCEPT_SCHEMA_VERSION})",
                file.schema_version
            )));
        }
        Ok(file.acceptances)
    }

    /// Reads, changes with `change` and writes back `machine_id`'s acceptances under one
    /// hold of the lock. A damaged file is moved aside first (said in the result).
    pub fn update_acceptances(
        &self,
        machine_id: &str,
        change: impl FnOnce(&mut Vec<Acceptance>),
    ) -> Result<Updated, CliError> {
        let _lock = self.lock()?;
        let path = self.acceptances_path(machine_id);
        let help = "check the store directory's permissions and free space";
        let (mut list, quarantined) = match self.acceptances(machine_id) {
            Ok(list) => (list, None),
            Err(_) => {
                let aside = path.with_extension(format!("json.damaged-{}", now()));
                std::fs::rename(&path, &aside).map_err(|e| {
                    CliError::store_io(format!("could not move aside {}", path.display()), &e, help)
                })?;
                (Vec::new(), Some(aside))
            }
        };
        change(&mut list);
        list.sort_by(|a, b| a.test.cmp(&b.test));
        let dir = self.machine_dir(machine_id);
        std::fs::create_dir_all(&dir).map_err(|e| {
            CliError::store_io(format!("could not create {}", dir.display()), &e, help)
        })?;
        let file = File {
            schema_version: ACCEPT_SCHEMA_VERSION,
            acceptances: list,
        };
        let json = serde_json::to_vec_pretty(&file).map_err(|e| {
            CliError::store(
                format!("could not encode the acceptances: {e}"),
                "this is a bug in cargo-perf; please report it",
            )
        })?;
        write_atomic(&path, &json).map_err(|e| {
            CliError::store_io(format!("could not write {}", path.display()), &e, help)
        })?;
        Ok(Updated { quarantined })
    }
}

/// Accepts the level at `commit` (whose stored `record` the caller loaded) of the tests
/// `filter` matches in that record; an earlier acceptance of the same test is replaced.
/// Returns the new acceptances and notes (a damaged acceptances file moved aside).
pub fn accept(
    store: &Store,
    machine_id: &str,
    (commit, record): (&str, &Record),
    filter: Option<&str>,
    reason: &str,
) -> Result<(Vec<Acceptance>, Vec<String>), CliError> {
    let commit = commit.to_owned();
    let ids: Vec<&str> = record.tests.iter().map(|t| t.id.as_str()).collect();
    let chosen = matching(&ids, filter, &format!("stored at {}", short(&commit)))?;
    let accepted_at = super::rfc3339(now());
    let new: Vec<Acceptance> = chosen
        .iter()
        .map(|test| Acceptance {
            test: (*test).to_owned(),
            commit: commit.clone(),
            reason: reason.to_owned(),
            accepted_at: accepted_at.clone(),
        })
        .collect();
    let updated = store.update_acceptances(machine_id, |list| {
        list.retain(|a| !chosen.contains(&a.test.as_str()));
        list.extend(new.iter().cloned());
    })?;
    Ok((new, quarantine_note(updated)))
}

/// Removes the acceptances of the tests `filter` matches; returns them and notes.
pub fn remove(
    store: &Store,
    machine_id: &str,
    filter: Option<&str>,
) -> Result<(Vec<Acceptance>, Vec<String>), CliError> {
    let current = store.acceptances(machine_id).map_err(|d| {
        CliError::store(
            d.to_string(),
            "delete the file; then accept the intended levels again",
        )
    })?;
    let ids: Vec<&str> = current.iter().map(|a| a.test.as_str()).collect();
    let chosen: Vec<String> = matching(&ids, filter, "accepted")?
        .into_iter()
        .map(str::to_owned)
        .collect();
    let mut removed = Vec::new();
    let updated = store.update_acceptances(machine_id, |list| {
        let (gone, kept) = std::mem::take(list)
            .into_iter()
            .partition(|a| chosen.contains(&a.test));
        *list = kept;
        removed = gone;
    })?;
    Ok((removed, quarantine_note(updated)))
}

/// The ids that contain `filter` (all without one); none is a usage error with the closest
/// id as a hint. `what` says where the ids come from (`stored at abc1234`).
fn matching<'a>(
    ids: &[&'a str],
    filter: Option<&str>,
    what: &str,
) -> Result<Vec<&'a str>, CliError> {
    let chosen: Vec<&str> = ids
        .iter()
        .copied()
        .filter(|id| filter.map_or(true, |f| id.contains(f)))
        .collect();
    if !chosen.is_empty() {
        return Ok(chosen);
    }
    let Some(f) = filter else {
        return Err(CliError::usage(
            format!("no test is {what}"),
            "run `cargo perf` first: it stores every test's results at the commit",
        ));
    };
    // The hint compares whole ids and their last parts (the test names).
    let names: Vec<&str> = ids
        .iter()
        .map(|id| id.rsplit('/').next().unwrap_or(id))
        .collect();
    let help = match suggest::closest(f, ids.iter().copied().chain(names.iter().copied())) {
        Some(close) => format!("did you mean the test `{close}`?"),
        None => format!("the tests {what} are: {}", ids.join(", ")),
    };
    Err(CliError::usage(
        format!("no test {what} matches `{f}`"),
        help,
    ))
}

fn quarantine_note(updated: Updated) -> Vec<String> {
    updated
        .quarantined
        .map(|aside| {
            format!(
                "the acceptances file was damaged; it was moved to {}",
                aside.display()
            )
        })
        .into_iter()
        .collect()
}

/// Seconds since the epoch.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acceptance(test: &str, commit: &str) -> Acceptance {
        Acceptance {
            test: test.into(),
            commit: commit.into(),
            reason: "intended".into(),
            accepted_at: "2026-12-02T15:00:00Z".into(),
        }
    }

    #[test]
    fn acceptances_round_trip_and_stay_out_of_the_record_listing() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        assert!(store.acceptances("m").unwrap().is_empty());
        store
            .update_acceptances("m", |l| {
                l.push(acceptance("b", "2"));
                l.push(acceptance("a", "1"));
            })
            .unwrap();
        let read = store.acceptances("m").unwrap();
        assert_eq!(read, vec![acceptance("a", "1"), acceptance("b", "2")]);
        assert!(store.commits("m").is_empty());
        let listing = store.list(None);
        assert!(listing.records.is_empty() && listing.damaged.is_empty());
    }

    #[test]
    fn a_damaged_file_is_reported_then_moved_aside_by_the_next_write() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        std::fs::create_dir_all(dir.path().join("m")).unwrap();
        std::fs::write(dir.path().join("m").join(ACCEPT_FILE), b"{ not json").unwrap();
        let err = store.acceptances("m").unwrap_err();
        assert!(
            err.to_string()
                .contains("not a cargo-perf acceptances file"),
            "{err}"
        );
        let updated = store
            .update_acceptances("m", |l| l.push(acceptance("a", "1")))
            .unwrap();
        let aside = updated.quarantined.expect("moved aside");
        assert_eq!(std::fs::read(aside).unwrap(), b"{ not json");
        assert_eq!(store.acceptances("m").unwrap(), vec![acceptance("a", "1")]);
    }
}
