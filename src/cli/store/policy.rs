//! The store's policy, one path for `run`, `ab`, `compare` and `history`: which stored record
//! is the baseline (the nearest first-parent ancestor with a record, searched one way), when
//! results are saved, and how a commit's new results merge with its earlier record (tests not
//! run are kept; `noise` thresholds and the branch survive). Everything skipped or not done is
//! said in the report's notes.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use crate::cli::compare::{self, CompareOptions};
use crate::cli::errors::CliError;
use crate::cli::fingerprint::{self, Fingerprint};
use crate::cli::git::{self, Git};
use crate::cli::model::{Accepted, BaselineRef, Report, SegmentMark, Shard, TestReport};
use crate::cli::report::words::short;
use crate::cli::store::accept::Acceptance;
use crate::cli::store::{Record, Store};

/// How far back along first parents a baseline is looked for: the one depth of every search.
pub const SEARCH_DEPTH: usize = 10_000;

/// Where things are and what the user asked for.
#[derive(Debug, Clone)]
pub struct Options {
    pub workspace_root: PathBuf,
    /// The store directory, already resolved with [`crate::cli::store::locate`].
    pub store_dir: PathBuf,
    /// Never makes the tree dirty (cargo's target directory).
    pub target_dir: Option<PathBuf>,
    pub fingerprint: Fingerprint,
    /// `--baseline REF`.
    pub baseline: Option<String>,
    /// `--save` (Some(true)), `--no-save` (Some(false)), or the default.
    pub save: Option<bool>,
    pub compare: CompareOptions,
    /// Compare across differing fingerprints.
    pub force: bool,
    /// Each test's own `noise` threshold, by test id.
    pub noise: BTreeMap<String, f64>,
    /// Which fingerprint fields a baseline must share (fewer for instruction counts).
    pub scope: fingerprint::Scope,
}

/// `history --since REF`'s records, notes about skipped ones, and REF as `(ref, commit)`.
pub type SinceRecords = (Vec<Record>, Vec<String>, (String, String));

/// The store and the repository's state, opened once per command.
pub struct Session {
    pub git: Option<Git>,
    pub context: git::Context,
    pub store: Store,
}

impl Session {
    pub fn open(opts: &Options) -> Result<Session, CliError> {
        let store = Store::open(&opts.store_dir)?;
        let mut exclude: Vec<&Path> = vec![&opts.store_dir];
        if let Some(t) = &opts.target_dir {
            exclude.push(t);
        }
        let (git, context) = git::open(&opts.workspace_root, &exclude);
        Ok(Session {
            git,
            context,
            store,
        })
    }

    /// The stored commit `spec` names: a git ref or sha when git knows it, else a unique
    /// prefix of a stored commit (results can outlive the commits they measured).
    pub fn resolve(&self, spec: &str, machine_id: &str) -> Result<String, CliError> {
        let from_git = self.git.as_ref().map(|g| g.resolve(spec));
        match from_git {
            Some(Ok(commit)) => Ok(commit),
            other => {
                let stored = self.store.commits_with_prefix(machine_id, spec);
                let looks_like_sha = spec.len() >= 4 && spec.chars().all(|c| c.is_ascii_hexdigit());
                match stored.as_slice() {
                    [one] if looks_like_sha => Ok(one.clone()),
                    [_, _, ..] if looks_like_sha => Err(CliError::store(
                        format!("`{spec}` matches {} stored commits", stored.len()),
                        "give more characters of the commit id (see `cargo perf baseline list`)",
                    )),
                    _ => Err(match other {
                        Some(Err(e)) => e,
                        _ => CliError::store(
                            format!(
                                "`{spec}` is not a stored commit, and this is not a git repository"
                            ),
                            "name a commit id from `cargo perf baseline list`",
                        ),
                    }),
                }
            }
        }
    }

    /// The record of `commit`; a missing or damaged record is an error (it was asked for).
    pub fn load_required(
        &self,
        spec: &str,
        commit: &str,
        machine_id: &str,
    ) -> Result<Record, CliError> {
        match self.store.load(machine_id, commit) {
            Ok(Some(r)) => Ok(r),
            Ok(None) => Err(CliError::store(
                format!(
                    "no stored results for `{spec}` (commit {}) on machine `{machine_id}`",
                    short(commit)
                ),
                "run `cargo perf` with that commit checked out first, or see `cargo perf baseline list`",
            )),
            Err(d) => Err(CliError::store(
                d.to_string(),
                "delete the file (or `cargo perf baseline rm`) and measure that commit again",
            )),
        }
    }

    /// Deletes the record `spec` names: its commit and where it was, or an error when there is
    /// none.
    pub fn remove(&self, spec: &str, machine_id: &str) -> Result<(String, PathBuf), CliError> {
        let commit = self.resolve(spec, machine_id)?;
        let path = self.store.record_path(machine_id, &commit);
        if !self.store.remove(machine_id, &commit)? {
            return Err(CliError::store(
                format!(
                    "no stored results for `{spec}` (commit {}) on machine `{machine_id}`",
                    short(&commit)
                ),
                "see `cargo perf baseline list` for what is stored",
            ));
        }
        Ok((commit, path))
    }

    /// `from` (when `include_from`) and its first-parent ancestors that have a record for
    /// `machine_id`, nearest first, at most [`SEARCH_DEPTH`] commits back: the one ancestor
    /// search behind the default baseline, `compare` and `history`.
    pub fn ancestors_with_records(
        &self,
        machine_id: &str,
        from: &str,
        include_from: bool,
    ) -> Result<Vec<String>, CliError> {
        let Some(git) = &self.git else {
            return Ok(Vec::new());
        };
        let stored: HashSet<String> = self.store.commits(machine_id).into_iter().collect();
        git.ancestors_with_record(from, include_from, SEARCH_DEPTH, |c| stored.contains(c))
    }

    /// The records `history` shows: up to `n` stored commits on HEAD's first-parent line
    /// (or the `n` newest by time outside git), oldest first, with notes about skipped records.
    pub fn history_records(&self, machine_id: &str, n: usize) -> (Vec<Record>, Vec<String>) {
        let mut notes = Vec::new();
        let mut out = Vec::new();
        match &self.context.commit {
            Some(head) if self.git.is_some() => {
                let chain = self
                    .ancestors_with_records(machine_id, head, true)
                    .unwrap_or_default();
                for commit in &chain {
                    if out.len() == n {
                        break;
                    }
                    match self.store.load(machine_id, commit) {
                        Ok(Some(r)) => out.push(r),
                        Ok(None) => {}
                        Err(d) => notes.push(d.to_string()),
                    }
                }
                out.reverse();
            }
            _ => {
                let listing = self.store.list(Some(machine_id));
                notes.extend(listing.damaged.iter().map(ToString::to_string));
                let skip = listing.records.len().saturating_sub(n);
                out = listing.records.into_iter().skip(skip).collect();
            }
        }
        (out, notes)
    }

    /// `history --since REF`'s records: those from REF's commit on (its own record stays, the
    /// level the first change is measured from), with REF resolved as `(ref, commit)`; an
    /// unknown ref, or `--since` outside git, is a usage error before anything is read.
    pub fn history_since(&self, machine_id: &str, since: &str) -> Result<SinceRecords, CliError> {
        let Some(git) = &self.git else {
            return Err(CliError::usage(
                "`--since` needs a git repository",
                "run `cargo perf history` inside the project's git checkout",
            ));
        };
        let commit = git.resolve(since)?;
        let (mut records, notes) = self.history_records(machine_id, SEARCH_DEPTH);
        let older: HashSet<String> = git
            .first_parents(&commit, SEARCH_DEPTH)?
            .into_iter()
            .skip(1)
            .collect();
        records.retain(|r| !older.contains(&r.commit));
        Ok((records, notes, (since.to_owned(), commit)))
    }

    /// The subject line of each record's commit, where git knows it.
    pub fn subjects(&self, records: &[Record]) -> std::collections::HashMap<String, String> {
        match &self.git {
            Some(git) => records
                .iter()
                .filter_map(|r| Some((r.commit.clone(), git.summary(&r.commit)?)))
                .collect(),
            None => Default::default(),
        }
    }

    /// This machine's acceptances; a damaged file is said once in `notes`, like a damaged
    /// record, and none apply.
    pub fn acceptances_or_note(
        &self,
        machine_id: &str,
        notes: &mut Vec<String>,
    ) -> Vec<Acceptance> {
        self.store
            .acceptances(machine_id)
            .unwrap_or_else(|damaged| {
                notes.push(damaged.to_string());
                Vec::new()
            })
    }
}

/// A `--segment` report: the commit and tree state it measured, and its segment marking; no
/// baseline comparison (a 1/N share against a whole test would read as a regression) and
/// nothing saved.
pub fn stamp(report: &mut Report, opts: &Options, segment: SegmentMark) -> Result<(), CliError> {
    let session = Session::open(opts)?;
    report.commit = session.context.commit.clone();
    report.dirty = session.context.dirty;
    report.segment = Some(segment);
    Ok(())
}

/// After a run: fills `commit`, `dirty`, `baseline` and every comparison of `report`, saves
/// the results when appropriate, and explains in `notes`. Errors only for what the user
/// explicitly asked and cannot have (a missing `--baseline`).
pub fn compare_and_save(report: &mut Report, opts: &Options) -> Result<(), CliError> {
    let session = Session::open(opts)?;
    let machine_id = opts.fingerprint.machine.id.clone();
    report.commit = session.context.commit.clone();
    report.dirty = session.context.dirty;
    report.baseline = BaselineRef {
        commit: None,
        reference: opts.baseline.clone(),
    };

    let base = match &opts.baseline {
        Some(spec) => {
            let commit = session.resolve(spec, &machine_id)?;
            let record = session.load_required(spec, &commit, &machine_id)?;
            check_fingerprints(
                &record.fingerprint(),
                &opts.fingerprint,
                (opts.force, opts.scope),
                report,
            )?;
            Some(record)
        }
        None => default_baseline(&session, opts, report),
    };

    if let Some(base) = &base {
        let accepted = match &session.context.commit {
            Some(head) => session.accepted_bases(opts, head, &base.commit, &mut report.notes),
            None => Vec::new(),
        };
        judge(report, base, &accepted, &[&opts.noise], &opts.compare);
    }
    report.growth = compare::growth::of(&report.tests, base.as_ref().map(|b| &b.tests[..]));

    if let Some(shard) = report.shard.as_mut() {
        shard_settings(shard, &opts.fingerprint, &opts.compare);
        // Uncompared, the shard still carries its tests' thresholds for a merged `--save`.
        for t in &report.tests {
            if let Some(&n) = opts.noise.get(&t.id) {
                shard.noise.entry(t.id.clone()).or_insert(n);
            }
        }
        report.notes.push(shard_note(shard));
        return Ok(());
    }
    match session.context.commit.clone() {
        Some(commit) if wanted(opts.save, &session.context, report) => {
            let side = Side {
                commit,
                dirty: session.context.dirty,
                branch: session.context.branch.clone(),
                tests: report.tests.clone(),
                noise: opts.noise.clone(),
                perf_profile: report.perf_profile.clone(),
            };
            report
                .notes
                .extend(save(&session.store, &opts.fingerprint, side));
        }
        Some(_) => {}
        None if opts.save != Some(false) => report.notes.push(format!(
            "results not saved: {}",
            session
                .context
                .no_commit_reason
                .as_deref()
                .unwrap_or("there is no commit to save them under")
        )),
        None => {}
    }
    Ok(())
}

/// Fills in a shard's comparison settings and fingerprint: what `merge` checks the shards
/// agree on and judges (and saves) the whole suite with.
pub fn shard_settings(shard: &mut Shard, fingerprint: &Fingerprint, compare: &CompareOptions) {
    shard.threshold = compare.threshold;
    shard.alpha = compare.alpha;
    shard.rustc = fingerprint.rustc.clone();
    shard.profile = fingerprint.profile.clone();
}

/// Why a shard's results are not stored: a partial record would become the next run's
/// baseline for the shard's tests only.
pub fn shard_note(shard: &Shard) -> String {
    format!(
        "results not saved: this is shard {}/{} of the suite (`cargo perf merge --save` saves \
         the merged run)",
        shard.index + 1,
        shard.count
    )
}

/// Refuses a baseline of another machine, compiler or profile unless forced; a forced one is
/// noted.
fn check_fingerprints(
    base: &Fingerprint,
    head: &Fingerprint,
    (force, scope): (bool, fingerprint::Scope),
    report: &mut Report,
) -> Result<(), CliError> {
    match fingerprint::check(base, head, force, scope) {
        Ok(diffs) if !diffs.is_empty() => {
            report.notes.push(forced_note(diffs));
            Ok(())
        }
        Ok(_) => Ok(()),
        Err(m) => Err(CliError::config(m.to_string(), m.help())),
    }
}

fn forced_note(differences: Vec<fingerprint::FieldDiff>) -> String {
    format!(
        "compared across fingerprints (forced): {}",
        fingerprint::Mismatch { differences }.describe()
    )
}

/// The nearest first-parent ancestor with a readable record of a matching fingerprint;
/// everything skipped on the way is noted.
fn default_baseline(session: &Session, opts: &Options, report: &mut Report) -> Option<Record> {
    let machine_id = &opts.fingerprint.machine.id;
    let (Some(_), Some(head)) = (&session.git, &session.context.commit) else {
        report.notes.push(format!(
            "not compared: {}",
            session
                .context
                .no_commit_reason
                .as_deref()
                .unwrap_or("there is no commit to find a baseline from")
        ));
        return None;
    };
    // A dirty tree is compared against HEAD's own results: that is what it changed.
    let candidates = match session.ancestors_with_records(machine_id, head, session.context.dirty) {
        Ok(c) => c,
        Err(e) => {
            report.notes.push(format!("not compared: {}", e.message));
            return None;
        }
    };
    for commit in &candidates {
        match session.store.load(machine_id, commit) {
            Ok(Some(record)) => {
                match fingerprint::check(
                    &record.fingerprint(),
                    &opts.fingerprint,
                    opts.force,
                    opts.scope,
                ) {
                    Ok(_) => return Some(record),
                    Err(m) => report.notes.push(format!(
                        "skipped the results of {}: {}",
                        short(commit),
                        m
                    )),
                }
            }
            Ok(None) => {}
            Err(damaged) => report.notes.push(damaged.to_string()),
        }
    }
    let shallow = if session.context.shallow {
        " (this is a shallow clone: older history is not available)"
    } else {
        ""
    };
    report.notes.push(format!(
        "not compared: no ancestor of {} has stored results for machine `{machine_id}`{shallow}",
        short(head)
    ));
    None
}

/// Whether to save: `--save`/`--no-save` when given, else when the tree is clean. A dirty
/// tree's results are not saved by default, and the report says so, naming what is dirty.
pub fn wanted(asked: Option<bool>, context: &git::Context, report: &mut Report) -> bool {
    let wanted = asked.unwrap_or(!context.dirty);
    if !wanted && asked.is_none() {
        report.notes.push(format!(
            "results not saved: {}",
            context.uncommitted_changes()
        ));
    }
    wanted
}

/// One commit's results to save.
pub struct Side {
    pub commit: String,
    pub dirty: bool,
    /// The branch the commit was measured on, when known.
    pub branch: Option<String>,
    pub tests: Vec<TestReport>,
    /// The tests' own `noise` thresholds, so a later `compare` judges as this run did.
    pub noise: BTreeMap<String, f64>,
    /// The `.config/perf.toml` profile the run used.
    pub perf_profile: Option<String>,
}

/// Saves one commit's results under the lock; returns the notes for the report. The commit's
/// earlier record is merged in: its tests that this run did not measure are kept, and so are
/// its `noise` thresholds and branch where this run has none.
pub fn save(store: &Store, fingerprint: &Fingerprint, side: Side) -> Vec<String> {
    let machine_id = &fingerprint.machine.id;
    let mut tests: Vec<TestReport> = side.tests.iter().map(TestReport::as_stored).collect();
    let mut noise = side.noise;
    let mut branch = side.branch;
    if let Ok(Some(earlier)) = store.load(machine_id, &side.commit) {
        let ran: HashSet<&str> = side.tests.iter().map(|t| t.id.as_str()).collect();
        tests.extend(
            earlier
                .tests
                .into_iter()
                .filter(|t| !ran.contains(t.id.as_str())),
        );
        for (id, n) in earlier.noise {
            noise.entry(id).or_insert(n);
        }
        branch = branch.or(earlier.branch);
    }
    tests.sort_by(|a, b| a.id.cmp(&b.id));
    let mut record = Record::new(side.commit, side.dirty, fingerprint.clone(), tests);
    record.branch = branch;
    record.noise = noise;
    record.perf_profile = side.perf_profile;
    let mut notes = Vec::new();
    match store.save(&record) {
        Ok(saved) => {
            if let Some(aside) = saved.quarantined {
                notes.push(format!(
                    "the earlier record was damaged; it was moved to {}",
                    aside.display()
                ));
            }
            notes.push(format!(
                "results saved for {}{} in {}",
                short(&record.commit),
                if record.dirty { " (dirty tree)" } else { "" },
                saved.path.display()
            ));
        }
        Err(e) => notes.push(format!(
            "results of {} not saved: {} ({})",
            short(&record.commit),
            e.message,
            e.help
        )),
    }
    notes
}

/// `cargo perf compare [BASE [HEAD]]`: a report built from two stored records.
pub fn compare_stored(
    opts: &Options,
    base_spec: Option<&str>,
    head_spec: Option<&str>,
) -> Result<Report, CliError> {
    let session = Session::open(opts)?;
    let machine_id = opts.fingerprint.machine.id.clone();
    let head_spec = head_spec.unwrap_or("HEAD");
    let head_commit = session.resolve(head_spec, &machine_id)?;
    let head = session.load_required(head_spec, &head_commit, &machine_id)?;
    let (base_label, base) = match base_spec {
        Some(spec) => {
            let commit = session.resolve(spec, &machine_id)?;
            (
                Some(spec.to_owned()),
                session.load_required(spec, &commit, &machine_id)?,
            )
        }
        None => {
            if session.git.is_none() {
                return Err(CliError::usage(
                    "without a git repository there is no ancestor to compare with",
                    "name both records: `cargo perf compare BASE HEAD` (see `cargo perf baseline list`)",
                ));
            }
            let found = session.ancestors_with_records(&machine_id, &head_commit, false)?;
            let commit = found.into_iter().next().ok_or_else(|| {
                CliError::store(
                    format!(
                        "no ancestor of {} has stored results on machine `{machine_id}`",
                        short(&head_commit)
                    ),
                    "name the baseline: `cargo perf compare BASE [HEAD]`",
                )
            })?;
            (None, session.load_required(&commit, &commit, &machine_id)?)
        }
    };
    compare_records(&head, Some((base_label, &base)), opts, Some(&session))
}

/// `head`'s record as a report, compared with `base` when given (labelled with what the user
/// asked for, if anything): `compare`'s verdicts, and `report`'s page. With a `session`, the
/// acceptances of `cargo perf accept` apply.
pub fn compare_records(
    head: &Record,
    base: Option<(Option<String>, &Record)>,
    opts: &Options,
    session: Option<&Session>,
) -> Result<Report, CliError> {
    let mut report = Report::new(head.machine.clone(), head.tests.clone(), Vec::new());
    report.tool_version = head.tool_version.clone();
    report.commit = Some(head.commit.clone());
    report.dirty = head.dirty;
    // A record keeps when its run finished and each test's wall time; the tests ran one
    // after another, so their sum is the run's duration and gives when it started.
    let took: u64 = head.tests.iter().map(|t| t.wall_ns).sum();
    report.duration_ns = Some(took);
    report.started_at = Some(super::rfc3339(
        head.unix_time.saturating_sub(took / 1_000_000_000),
    ));
    let base_tests = base.as_ref().map(|b| &b.1.tests[..]);
    if let Some((base_label, base)) = base {
        // Instruction counts (a `+valgrind` machine id) are comparable across machines.
        let scope = fingerprint::Scope::of_machine(&head.machine.id).max(opts.scope);
        check_fingerprints(
            &base.fingerprint(),
            &head.fingerprint(),
            (opts.force, scope),
            &mut report,
        )?;
        report.baseline.reference = base_label;
        let accepted = match session {
            Some(session) => {
                let opts = Options {
                    fingerprint: head.fingerprint(),
                    scope,
                    ..opts.clone()
                };
                session.accepted_bases(&opts, &head.commit, &base.commit, &mut report.notes)
            }
            None => Vec::new(),
        };
        judge(
            &mut report,
            base,
            &accepted,
            &[&head.noise, &opts.noise],
            &opts.compare,
        );
    }
    report.growth = compare::growth::of(&report.tests, base_tests);
    Ok(report.finish())
}

/// Compares `report`'s tests with the `base` record, except that an accepted test is compared
/// with its accepted level (and says so). Each test's `noise` threshold is the base's,
/// overridden by `noise` (later maps win): the comparison judges as the runs did.
fn judge(
    report: &mut Report,
    base: &Record,
    accepted: &[AcceptedBase],
    noise: &[&BTreeMap<String, f64>],
    opts: &CompareOptions,
) {
    report.baseline.commit = Some(base.commit.clone());
    let mut all = base.noise.clone();
    for n in noise {
        all.extend((*n).clone());
    }
    // One comparison of all tests (its multiple-comparison rules see every test), the
    // accepted tests' base figures swapped in.
    let mut base_tests: Vec<TestReport> = base
        .tests
        .iter()
        .filter(|t| !accepted.iter().any(|a| a.acceptance.test == t.id))
        .cloned()
        .collect();
    base_tests.extend(accepted.iter().map(|a| a.test.clone()));
    if let Some(shard) = report.shard.as_mut() {
        // The evidence `merge` re-judges the whole suite with: this shard's tests only.
        let mine: HashSet<&str> = report.tests.iter().map(|t| t.id.as_str()).collect();
        shard.baseline_tests = (base_tests.iter())
            .filter(|t| mine.contains(t.id.as_str()))
            .cloned()
            .collect();
        shard.noise = (all.iter())
            .filter(|(id, _)| mine.contains(id.as_str()))
            .map(|(id, n)| (id.clone(), *n))
            .collect();
    }
    compare::unpaired::apply(
        &base_tests,
        &mut report.tests,
        &all,
        Some(&base.commit),
        opts,
    );
    for a in accepted {
        let Some(t) = report.tests.iter_mut().find(|t| t.id == a.acceptance.test) else {
            continue;
        };
        let commit = &a.acceptance.commit;
        let comparisons = t.comparison.iter_mut();
        for c in comparisons.chain(
            t.operations
                .iter_mut()
                .filter_map(|o| o.comparison.as_mut()),
        ) {
            c.baseline_commit = Some(commit.clone());
            c.accepted = Some(Accepted {
                commit: commit.clone(),
                reason: a.acceptance.reason.clone(),
            });
        }
    }
}

/// A test's accepted level, standing in for the baseline's figures of that test.
pub struct AcceptedBase {
    pub acceptance: Acceptance,
    /// The test as stored at the accepted commit.
    pub test: TestReport,
}

impl Session {
    /// The acceptances that decide a test's baseline when `head` is compared with `base`: an
    /// acceptance applies when its commit is `head` or an ancestor of it (the accepted change
    /// is in what is measured) and `base` is not a descendant of it (a newer baseline already
    /// holds the accepted level). Unusable acceptances are said in `notes` and skipped.
    pub fn accepted_bases(
        &self,
        opts: &Options,
        head: &str,
        base: &str,
        notes: &mut Vec<String>,
    ) -> Vec<AcceptedBase> {
        let Some(git) = &self.git else {
            return Vec::new();
        };
        let machine_id = &opts.fingerprint.machine.id;
        let acceptances = match self.store.acceptances(machine_id) {
            Ok(a) => a,
            Err(damaged) => {
                notes.push(damaged.to_string());
                return Vec::new();
            }
        };
        let ancestor = |a: &str, b: &str| git.merge_base(a, b).ok().flatten().as_deref() == Some(a);
        let mut out = Vec::new();
        for acceptance in acceptances {
            let at = &acceptance.commit;
            if !ancestor(at, head) || (at != base && ancestor(at, base)) {
                continue;
            }
            let record = match self.store.load(machine_id, at) {
                Ok(Some(r)) => r,
                Ok(None) => {
                    notes.push(format!(
                        "the accepted level of {} at {} is no longer stored: compared with the \
                         baseline instead",
                        acceptance.test,
                        short(at)
                    ));
                    continue;
                }
                Err(damaged) => {
                    notes.push(damaged.to_string());
                    continue;
                }
            };
            if let Err(m) = fingerprint::check(
                &record.fingerprint(),
                &opts.fingerprint,
                opts.force,
                opts.scope,
            ) {
                notes.push(format!(
                    "skipped the accepted level of {} at {}: {m}",
                    acceptance.test,
                    short(at)
                ));
                continue;
            }
            if let Some(test) = record.tests.into_iter().find(|t| t.id == acceptance.test) {
                out.push(AcceptedBase { acceptance, test });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests;
