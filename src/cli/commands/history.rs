//! `cargo perf history [FILTER] [-n N] [--since REF] [--alpha A]`: the stored records along
//! HEAD's first parents → each test's series and change points → text or JSON.

use crate::cli::args::{HistoryArgs, HistoryFormat};
use crate::cli::compare::{changes, history};
use crate::cli::errors::{exit, CliError};
use crate::cli::report;
use crate::cli::report::history::View;
use crate::cli::store::policy::Session;

pub fn run(args: &HistoryArgs) -> Result<i32, CliError> {
    let opts = super::store_options(&args.store, args.threshold, false);
    let machine_id = &opts.fingerprint.machine.id;
    let session = Session::open(&opts)?;
    let (records, mut notes, since) = match &args.since {
        Some(spec) => {
            let (records, notes, since) = session.history_since(machine_id, spec)?;
            (records, notes, Some(since))
        }
        None => {
            let (records, notes) = session.history_records(machine_id, args.n.max(1));
            (records, notes, None)
        }
    };
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
        min_size: opts.compare.threshold,
        ..changes::Options::default()
    };
    let changes = series
        .iter()
        .map(|s| changes::of_series(s, &test))
        .collect();
    let view = View {
        series,
        changes,
        subjects: session.subjects(&records),
        alpha: args.alpha,
        since,
        accepted: session.acceptances_or_note(machine_id, &mut notes),
        notes,
    };
    let text = match (args.format, view.since.is_some()) {
        (HistoryFormat::Json, _) => report::history::render_json(&view),
        (HistoryFormat::Human, true) => report::history::render_since(&view),
        (HistoryFormat::Human, false) => report::history::render(&view),
    };
    report::print_stdout(&text)?;
    Ok(exit::OK)
}
