//! The glue between a run and the store: pick the baseline, compare, save, and say in the
//! report's notes why nothing was saved or compared. Also `cargo perf compare`, which does
//! the same between two stored records without running anything.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::cli::compare::{self, CompareOptions};
use crate::cli::fingerprint::{self, Fingerprint};
use crate::cli::git::{self, Git, GitError};
use crate::cli::report::figures::short;
use crate::cli::report::model::{BaselineRef, Report, REPORT_SCHEMA_VERSION};
use crate::cli::store::{Record, Store, StoreError};

/// How far back the default baseline is looked for along first parents.
const BASELINE_SEARCH_DEPTH: usize = 10_000;

/// A failure the user must act on: `error: {what}` / `help: {help}`, exit 2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub what: String,
    pub help: String,
}

impl Problem {
    pub fn new(what: impl Into<String>, help: impl Into<String>) -> Problem {
        Problem {
            what: what.into(),
            help: help.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error: {}\nhelp: {}", self.what, self.help)
    }
}

impl From<StoreError> for Problem {
    fn from(e: StoreError) -> Problem {
        Problem::new(e.what, e.help)
    }
}

impl From<GitError> for Problem {
    fn from(e: GitError) -> Problem {
        Problem::new(e.what, e.help)
    }
}

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
}

/// The workspace's git state, opened once.
pub struct Workspace {
    pub git: Option<Git>,
    pub context: git::Context,
    pub store: Store,
}

impl Workspace {
    pub fn open(opts: &Options) -> Result<Workspace, Problem> {
        let store = Store::open(&opts.store_dir)?;
        let mut exclude: Vec<&Path> = vec![&opts.store_dir];
        if let Some(t) = &opts.target_dir {
            exclude.push(t);
        }
        let context = git::inspect(&opts.workspace_root, &exclude);
        let git = Git::discover(&opts.workspace_root).ok().flatten();
        Ok(Workspace {
            git,
            context,
            store,
        })
    }

    /// The stored commit `spec` names: a git ref or sha when git knows it, else a unique
    /// prefix of a stored commit (results can outlive the commits they measured).
    pub fn resolve(&self, spec: &str, machine_id: &str) -> Result<String, Problem> {
        let from_git = self.git.as_ref().map(|g| g.resolve(spec));
        match from_git {
            Some(Ok(commit)) => Ok(commit),
            other => {
                let stored = self.store.commits_with_prefix(machine_id, spec);
                let looks_like_sha = spec.len() >= 4 && spec.chars().all(|c| c.is_ascii_hexdigit());
                match stored.as_slice() {
                    [one] if looks_like_sha => Ok(one.clone()),
                    [_, _, ..] if looks_like_sha => Err(Problem::new(
                        format!("`{spec}` matches {} stored commits", stored.len()),
                        "give more characters of the commit id (see `cargo perf baseline list`)",
                    )),
                    _ => Err(match other {
                        Some(Err(e)) => e.into(),
                        _ => Problem::new(
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
    ) -> Result<Record, Problem> {
        match self.store.load(machine_id, commit) {
            Ok(Some(r)) => Ok(r),
            Ok(None) => Err(Problem::new(
                format!(
                    "no stored results for `{spec}` (commit {}) on machine `{machine_id}`",
                    short(commit)
                ),
                "run `cargo perf` with that commit checked out first, or see `cargo perf baseline list`",
            )),
            Err(d) => Err(Problem::new(
                d.to_string(),
                "delete the file (or `cargo perf baseline rm`) and measure that commit again",
            )),
        }
    }
}

/// After a run: fills `commit`, `dirty`, `baseline`, every comparison and the verdict
/// counts of `report`, saves the results when appropriate, and explains in `notes`.
/// Errors only for what the user explicitly asked and cannot have (a missing `--baseline`).
pub fn attach(report: &mut Report, opts: &Options) -> Result<(), Problem> {
    let ws = Workspace::open(opts)?;
    let machine_id = opts.fingerprint.machine.id.clone();
    report.commit = ws.context.commit.clone();
    report.dirty = ws.context.dirty;
    report.baseline = BaselineRef {
        commit: None,
        reference: opts.baseline.clone(),
    };

    let base = match &opts.baseline {
        Some(spec) => {
            let commit = ws.resolve(spec, &machine_id)?;
            let record = ws.load_required(spec, &commit, &machine_id)?;
            match fingerprint::check(&record.fingerprint(), &opts.fingerprint, opts.force) {
                Ok(diffs) if !diffs.is_empty() => report.notes.push(format!(
                    "compared across fingerprints (forced): {}",
                    fingerprint::Mismatch { differences: diffs }.describe()
                )),
                Ok(_) => {}
                Err(m) => return Err(Problem::new(m.to_string(), m.help())),
            }
            Some(record)
        }
        None => default_baseline(&ws, opts, report),
    };

    if let Some(base) = &base {
        report.baseline.commit = Some(base.commit.clone());
        let mut noise = base.noise.clone();
        noise.extend(opts.noise.clone());
        compare::apply(
            &base.tests,
            &mut report.tests,
            &noise,
            Some(&base.commit),
            &opts.compare,
            &mut report.summary,
        );
    }

    save(&ws, report, opts);
    Ok(())
}

/// The nearest first-parent ancestor with a readable record of a matching fingerprint;
/// everything skipped on the way is noted.
fn default_baseline(ws: &Workspace, opts: &Options, report: &mut Report) -> Option<Record> {
    let machine_id = &opts.fingerprint.machine.id;
    let (Some(git), Some(head)) = (&ws.git, &ws.context.commit) else {
        report.notes.push(format!(
            "not compared: {}",
            ws.context
                .no_commit_reason
                .as_deref()
                .unwrap_or("there is no commit to find a baseline from")
        ));
        return None;
    };
    let stored: std::collections::HashSet<String> =
        ws.store.commits(machine_id).into_iter().collect();
    // A dirty tree is compared against HEAD's own results: that is what it changed.
    let chain = match git.first_parents(head, BASELINE_SEARCH_DEPTH) {
        Ok(c) => c,
        Err(e) => {
            report.notes.push(format!("not compared: {}", e.what));
            return None;
        }
    };
    let skip = usize::from(!ws.context.dirty);
    for commit in chain.iter().skip(skip).filter(|c| stored.contains(*c)) {
        match ws.store.load(machine_id, commit) {
            Ok(Some(record)) => {
                match fingerprint::check(&record.fingerprint(), &opts.fingerprint, opts.force) {
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
    let shallow = if ws.context.shallow {
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

/// Saves when asked, or by default when HEAD is a commit and the tree is clean. A partial
/// run (filters) keeps the tests it did not run from the commit's earlier record.
fn save(ws: &Workspace, report: &mut Report, opts: &Options) {
    let wanted = opts.save.unwrap_or(!ws.context.dirty);
    if !wanted {
        if opts.save.is_none() {
            report.notes.push(format!(
                "results not saved: {}",
                ws.context.uncommitted_changes()
            ));
        }
        return;
    }
    let Some(commit) = ws.context.commit.clone() else {
        report.notes.push(format!(
            "results not saved: {}",
            ws.context
                .no_commit_reason
                .as_deref()
                .unwrap_or("there is no commit to save them under")
        ));
        return;
    };
    let machine_id = &opts.fingerprint.machine.id;
    let mut tests = report.tests.clone();
    for t in &mut tests {
        t.comparison = None; // verdicts belong to a comparison, not to the measurement
    }
    let mut noise = opts.noise.clone();
    if let Ok(Some(earlier)) = ws.store.load(machine_id, &commit) {
        let ran: std::collections::HashSet<&str> = tests.iter().map(|t| t.id.as_str()).collect();
        let kept: Vec<_> = earlier
            .tests
            .into_iter()
            .filter(|t| !ran.contains(t.id.as_str()))
            .collect();
        tests.extend(kept);
        for (id, n) in earlier.noise {
            noise.entry(id).or_insert(n);
        }
    }
    tests.sort_by(|a, b| a.id.cmp(&b.id));
    let mut record = Record::new(commit, ws.context.dirty, opts.fingerprint.clone(), tests);
    record.branch = ws.context.branch.clone();
    record.noise = noise;
    match ws.store.save(&record) {
        Ok(saved) => {
            if let Some(aside) = saved.quarantined {
                report.notes.push(format!(
                    "the earlier record was damaged; it was moved to {}",
                    aside.display()
                ));
            }
            report.notes.push(format!(
                "results saved for {}{} in {}",
                short(&record.commit),
                if record.dirty { " (dirty tree)" } else { "" },
                saved.path.display()
            ));
        }
        Err(e) => report
            .notes
            .push(format!("results not saved: {} ({})", e.what, e.help)),
    }
}

/// `cargo perf compare [BASE [HEAD]]`: a report built from two stored records.
pub fn compare_stored(
    opts: &Options,
    base_spec: Option<&str>,
    head_spec: Option<&str>,
) -> Result<Report, Problem> {
    let ws = Workspace::open(opts)?;
    let machine_id = opts.fingerprint.machine.id.clone();
    let head_spec = head_spec.unwrap_or("HEAD");
    let head_commit = ws.resolve(head_spec, &machine_id)?;
    let head = ws.load_required(head_spec, &head_commit, &machine_id)?;
    let (base_label, base) = match base_spec {
        Some(spec) => {
            let commit = ws.resolve(spec, &machine_id)?;
            (
                Some(spec.to_owned()),
                ws.load_required(spec, &commit, &machine_id)?,
            )
        }
        None => {
            let git = ws.git.as_ref().ok_or_else(|| {
                Problem::new(
                    "without a git repository there is no ancestor to compare with",
                    "name both records: `cargo perf compare BASE HEAD` (see `cargo perf baseline list`)",
                )
            })?;
            let stored: std::collections::HashSet<String> =
                ws.store.commits(&machine_id).into_iter().collect();
            let found =
                git.nearest_with_record(&head_commit, false, BASELINE_SEARCH_DEPTH, |c| {
                    stored.contains(c)
                })?;
            let commit = found.ok_or_else(|| {
                Problem::new(
                    format!(
                        "no ancestor of {} has stored results on machine `{machine_id}`",
                        short(&head_commit)
                    ),
                    "name the baseline: `cargo perf compare BASE [HEAD]`",
                )
            })?;
            (None, ws.load_required(&commit, &commit, &machine_id)?)
        }
    };
    let mut notes = Vec::new();
    match fingerprint::check(&base.fingerprint(), &head.fingerprint(), opts.force) {
        Ok(diffs) if !diffs.is_empty() => notes.push(format!(
            "compared across fingerprints (forced): {}",
            fingerprint::Mismatch { differences: diffs }.describe()
        )),
        Ok(_) => {}
        Err(m) => return Err(Problem::new(m.to_string(), m.help())),
    }
    let mut report = Report {
        schema_version: REPORT_SCHEMA_VERSION,
        tool_version: head.tool_version.clone(),
        commit: Some(head.commit.clone()),
        dirty: head.dirty,
        baseline: BaselineRef {
            commit: Some(base.commit.clone()),
            reference: base_label,
        },
        machine: head.machine.clone(),
        summary: Default::default(),
        tests: head.tests.clone(),
        notes,
    };
    let mut noise = base.noise.clone();
    noise.extend(head.noise.clone());
    noise.extend(opts.noise.clone());
    compare::apply(
        &base.tests,
        &mut report.tests,
        &noise,
        Some(&base.commit),
        &opts.compare,
        &mut report.summary,
    );
    summarize_status(&mut report);
    Ok(report)
}

/// The status counters of a report built from stored tests.
fn summarize_status(report: &mut Report) {
    use crate::cli::report::model::Status;
    let s = &mut report.summary;
    s.total = report.tests.len();
    s.passed = report
        .tests
        .iter()
        .filter(|t| t.status == Status::Passed)
        .count();
    s.failed = s.total - s.passed;
}

#[cfg(test)]
mod tests;
