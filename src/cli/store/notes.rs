//! Stored records shared through git notes: `push` merges this store's records into the
//! remote's `refs/notes/cargo-perf` (one note per commit, one entry per machine in it) and
//! `fetch` imports the remote's entries into the store, never replacing a local record.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{parse_record, Damaged, Imported, Record, Store, Unreadable};
use crate::cli::errors::CliError;
use crate::cli::git::{Git, Pushed};

/// The notes ref the records travel in, on every remote.
pub const NOTES_REF: &str = "refs/notes/cargo-perf";
/// Version of [`Note`]'s shape; a newer note is damaged to this cargo-perf.
const NOTE_VERSION: u32 = 1;

/// Where the remote's notes are fetched to, so the user's own refs are never touched.
fn tracking_ref(remote: &str) -> String {
    format!("refs/cargo-perf/remotes/{remote}")
}

/// One commit's note: the records of that commit by machine id, kept as JSON so that an
/// entry this cargo-perf cannot read (a newer schema) still survives a merge untouched.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Note {
    cargo_perf_notes: u32,
    entries: BTreeMap<String, Value>,
}

fn decode(bytes: &[u8]) -> Result<Note, String> {
    let note: Note =
        serde_json::from_slice(bytes).map_err(|e| format!("it is not a cargo-perf note ({e})"))?;
    if note.cargo_perf_notes > NOTE_VERSION {
        return Err(format!(
            "it was written by a newer cargo-perf (note version {}, this one reads up to \
             {NOTE_VERSION})",
            note.cargo_perf_notes
        ));
    }
    Ok(note)
}

fn encode(note: &Note) -> Vec<u8> {
    // A map of JSON values always serialises.
    serde_json::to_vec(note).unwrap_or_default()
}

/// What `push` did.
#[derive(Debug, Default)]
pub struct PushSummary {
    pub added: usize,
    /// This machine's entries that differed on the remote and were replaced by the store's.
    pub replaced: usize,
    pub unchanged: usize,
    /// Another machine's entry that differs from the store's copy: the remote's is kept.
    pub kept_remote: usize,
    /// Records of a dirty tree: not the commit's results, so never shared.
    pub skipped_dirty: usize,
    /// Remote notes that could not be read, by commit: left as they are, not merged into.
    pub damaged: Vec<(String, String)>,
    /// Whether the remote's ref was updated (nothing changed: no push).
    pub pushed: bool,
}

/// Merges the store's clean records into `notes`; an entry of `own_machine` replaces the
/// remote's, any other machine's entry is only added where the remote has none.
fn merge(
    notes: &mut BTreeMap<String, Vec<u8>>,
    records: &[Record],
    own_machine: &str,
) -> PushSummary {
    let mut summary = PushSummary::default();
    let mut by_commit: BTreeMap<&str, Vec<&Record>> = BTreeMap::new();
    for record in records {
        if record.dirty {
            summary.skipped_dirty += 1;
        } else {
            by_commit.entry(&record.commit).or_default().push(record);
        }
    }
    for (commit, records) in by_commit {
        let mut note = match notes.get(commit).map(|b| decode(b)) {
            None => Note {
                cargo_perf_notes: NOTE_VERSION,
                entries: BTreeMap::new(),
            },
            Some(Ok(note)) => note,
            Some(Err(reason)) => {
                summary.damaged.push((commit.to_owned(), reason));
                continue;
            }
        };
        let mut changed = false;
        for record in records {
            let Ok(value) = serde_json::to_value(record) else {
                continue;
            };
            match note.entries.get(&record.machine.id) {
                None => summary.added += 1,
                Some(old) if *old == value => {
                    summary.unchanged += 1;
                    continue;
                }
                Some(_) if record.machine.id == own_machine => summary.replaced += 1,
                Some(_) => {
                    summary.kept_remote += 1;
                    continue;
                }
            }
            note.entries.insert(record.machine.id.clone(), value);
            changed = true;
        }
        if changed {
            notes.insert(commit.to_owned(), encode(&note));
        }
    }
    summary
}

/// `push`: fetch the remote's notes, merge the store's records in, push; once more from
/// the top when another push got there first.
pub fn push(
    git: &Git,
    store: &Store,
    remote: &str,
    own_machine: &str,
) -> Result<PushSummary, CliError> {
    let records = store.list(None).records;
    let tracking = tracking_ref(remote);
    let mut attempt = 0;
    loop {
        let tip = git.fetch_ref(remote, NOTES_REF, &tracking)?;
        let mut notes = match tip {
            Some(tip) => git.read_notes(tip)?,
            None => BTreeMap::new(),
        };
        let mut summary = merge(&mut notes, &records, own_machine);
        if summary.added + summary.replaced == 0 {
            return Ok(summary);
        }
        let message = format!(
            "cargo perf push: {} added, {} replaced",
            summary.added, summary.replaced
        );
        git.write_notes(NOTES_REF, tip, &notes, &message)?;
        match git.push_ref(remote, NOTES_REF)? {
            Pushed::Done => {
                summary.pushed = true;
                return Ok(summary);
            }
            Pushed::Rejected(_) if attempt == 0 => attempt += 1,
            Pushed::Rejected(why) => {
                return Err(CliError::git(
                    format!("`{remote}` refused {NOTES_REF} twice ({why})"),
                    "another machine is pushing at the same time; run `cargo perf push` again",
                ))
            }
        }
    }
}

/// What `fetch` did.
#[derive(Debug, Default)]
pub struct FetchSummary {
    pub added: usize,
    pub same: usize,
    /// (commit, machine) whose local record differs from the remote's: the local one stays.
    pub kept_local: Vec<(String, String)>,
    /// Local records in the way that are damaged: left as they are, nothing imported there.
    pub local_damaged: Vec<Damaged>,
    /// (commit, machine, schema) entries of a newer cargo-perf: skipped.
    pub newer: Vec<(String, String, u32)>,
    /// (commit, reason) of notes or entries that could not be read: skipped.
    pub damaged: Vec<(String, String)>,
}

/// `fetch`: the remote's notes into the tracking ref, each readable entry into the store.
pub fn fetch(git: &Git, store: &Store, remote: &str) -> Result<FetchSummary, CliError> {
    let Some(tip) = git.fetch_ref(remote, NOTES_REF, &tracking_ref(remote))? else {
        return Err(CliError::usage(
            format!("nothing to fetch: {remote} has no {NOTES_REF}"),
            format!(
                "push from CI first (`cargo perf push {remote}` after a run on main), then fetch"
            ),
        ));
    };
    let mut summary = FetchSummary::default();
    for (commit, bytes) in git.read_notes(tip)? {
        let note = match decode(&bytes) {
            Ok(note) => note,
            Err(reason) => {
                summary.damaged.push((commit, reason));
                continue;
            }
        };
        for (machine, value) in note.entries {
            let bytes = serde_json::to_vec(&value).unwrap_or_default();
            let record = match parse_record(&bytes) {
                Ok(r) if r.commit == commit && r.machine.id == machine => r,
                Ok(r) => {
                    let reason = format!(
                        "its entry `{machine}` holds commit {} of machine `{}`",
                        r.commit, r.machine.id
                    );
                    summary.damaged.push((commit.clone(), reason));
                    continue;
                }
                Err(Unreadable::Newer(v)) => {
                    summary.newer.push((commit.clone(), machine, v));
                    continue;
                }
                Err(Unreadable::Damaged(reason)) => {
                    let reason = format!("its entry `{machine}`: {reason}");
                    summary.damaged.push((commit.clone(), reason));
                    continue;
                }
            };
            match store.import(&record)? {
                Imported::Added => summary.added += 1,
                Imported::Same => summary.same += 1,
                Imported::KeptLocal => summary.kept_local.push((commit.clone(), machine)),
                Imported::LocalDamaged(d) => summary.local_damaged.push(d),
            }
        }
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(commit: &str, machine: &str, dirty: bool) -> Record {
        let mut fp = crate::cli::fingerprint::Fingerprint {
            machine: Default::default(),
            rustc: "rustc 1".into(),
            profile: "bench".into(),
        };
        fp.machine.id = machine.into();
        Record::new(commit.into(), dirty, fp, Vec::new())
    }

    #[test]
    fn merge_adds_replaces_own_and_keeps_other_machines_entries() {
        let c = "a".repeat(40);
        let mut notes = BTreeMap::new();
        let first = merge(&mut notes, &[record(&c, "ci", false)], "ci");
        assert_eq!((first.added, first.replaced), (1, 0));
        // A second machine's entry joins the same note.
        let mut other = record(&c, "laptop", false);
        let second = merge(&mut notes, &[other.clone()], "laptop");
        assert_eq!(second.added, 1);
        let note = decode(&notes[&c]).unwrap();
        assert_eq!(note.entries.len(), 2);
        // Someone else's differing copy of `laptop`'s entry never replaces it.
        other.unix_time += 1;
        let third = merge(&mut notes, &[other.clone(), record(&c, "x", true)], "ci");
        assert_eq!((third.kept_remote, third.skipped_dirty), (1, 1));
        let own = merge(&mut notes, &[other], "laptop");
        assert_eq!(own.replaced, 1);
    }

    #[test]
    fn a_damaged_note_is_left_alone_and_reported() {
        let c = "b".repeat(40);
        let mut notes = BTreeMap::from([(c.clone(), b"not json".to_vec())]);
        let summary = merge(&mut notes, &[record(&c, "ci", false)], "ci");
        assert_eq!(summary.damaged.len(), 1);
        assert_eq!(notes[&c], b"not json");
        assert!(decode(br#"{"cargo_perf_notes": 9, "entries": {}}"#).is_err());
    }
}
