//! `cargo perf history [FILTER] [-n N]`: the stored records along HEAD's first parents → each
//! test's series → text.

use crate::cli::args::HistoryArgs;
use crate::cli::compare::history;
use crate::cli::errors::{exit, CliError};
use crate::cli::report;
use crate::cli::store::policy::Session;

pub fn run(args: &HistoryArgs) -> Result<i32, CliError> {
    let opts = super::store_options(&args.store, args.threshold, false);
    let machine_id = &opts.fingerprint.machine.id;
    let session = Session::open(&opts)?;
    let (records, notes) = session.history_records(machine_id, args.n.max(1));
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
    report::print_stdout(&report::history::render(&series, &notes))?;
    Ok(exit::OK)
}
