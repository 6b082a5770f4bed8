//! `cargo perf history [FILTER] [-n N] [--since REF] [--alpha A]`: the stored records along
//! HEAD's first parents → each test's series and change points → text or JSON.

use std::collections::{HashMap, HashSet};

use crate::cli::args::{HistoryArgs, HistoryFormat};
use crate::cli::compare::{changes, history};
use crate::cli::errors::{exit, CliError};
use crate::cli::report;
use crate::cli::report::history::View;
use crate::cli::store::policy::{Session, SEARCH_DEPTH};

pub fn run(args: &HistoryArgs) -> Result<i32, CliError> {
    let opts = super::store_options(&args.store, args.threshold, false);
    let machine_id = &opts.fingerprint.machine.id;
    let session = Session::open(&opts)?;
    // `--since` names its commit before anything is read: an unknown ref is a usage error.
    let since = match (&args.since, &session.git) {
        (Some(spec), Some(git)) => Some((spec.clone(), git.resolve(spec)?)),
        (Some(_), None) => {
            return Err(CliError::usage(
                "`--since` needs a git repository",
                "run `cargo perf history` inside the project's git checkout",
            ))
        }
        (None, _) => None,
    };
    let n = if since.is_some() {
        SEARCH_DEPTH
    } else {
        args.n.max(1)
    };
    let (mut records, notes) = session.history_records(machine_id, n);
    if let (Some((_, commit)), Some(git)) = (&since, &session.git) {
        // The ref's own record stays as the level the first change is measured from.
        let older: HashSet<String> = git
            .first_parents(commit, SEARCH_DEPTH)?
            .into_iter()
            .skip(1)
            .collect();
        records.retain(|r| !older.contains(&r.commit));
    }
    if records.is_empty() {
        return Err(CliError::store(
            format!("no stored results for machine `{machine_id}`"),
            "run `cargo perf` on a clean commit first; it saves results there",
        ));
    }
    let series = history::series(&records, args.filter.as_deref(), &opts.compare);
    if series.is_empty() {
        return Err(CliError::usage(
            format!(
                "no stored test matches `{}`",
                args.filter.as_deref().unwrap_or("")
            ),
            "pass part of a test id (`cargo perf baseline show HEAD` lists them)",
        ));
    }
    let test = changes::Options {
        alpha: args.alpha,
        ..changes::Options::default()
    };
    let changes = series
        .iter()
        .map(|s| changes::of_series(s, &test))
        .collect();
    let subjects: HashMap<String, String> = match &session.git {
        Some(git) => records
            .iter()
            .filter_map(|r| Some((r.commit.clone(), git.summary(&r.commit)?)))
            .collect(),
        None => HashMap::new(),
    };
    // Acceptances only mark the series: a damaged file is said once, like a damaged record.
    let mut notes = notes;
    let accepted = session
        .store
        .acceptances(machine_id)
        .unwrap_or_else(|damaged| {
            notes.push(damaged.to_string());
            Vec::new()
        });
    let view = View {
        series,
        changes,
        subjects,
        alpha: args.alpha,
        since,
        notes,
        accepted,
    };
    let text = match (args.format, view.since.is_some()) {
        (HistoryFormat::Json, _) => report::history::render_json(&view),
        (HistoryFormat::Human, true) => report::history::render_since(&view),
        (HistoryFormat::Human, false) => report::history::render(&view),
    };
    report::print_stdout(&text)?;
    Ok(exit::OK)
}
