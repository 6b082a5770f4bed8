//! `cargo perf fetch [REMOTE]`: REMOTE's `refs/notes/cargo-perf` → each readable entry
//! imported into the store (a local record always stays) → a summary; damaged notes exit 2
//! after everything else was imported.

use crate::cli::args::ShareArgs;
use crate::cli::errors::{exit, CliError};
use crate::cli::report::{self, words::short};
use crate::cli::store::notes;

pub fn run(args: &ShareArgs) -> Result<i32, CliError> {
    let (store, git, _) = super::share_context(&args.store)?;
    let summary = notes::fetch(&git, &store, &args.remote)?;
    let mut text = format!(
        "fetched from {}: {} record(s) imported, {} already stored\n",
        args.remote, summary.added, summary.same
    );
    for (commit, machine) in &summary.kept_local {
        text.push_str(&format!(
            "note: kept the local record of {} on machine `{machine}`: it differs from {}'s\n",
            short(commit),
            args.remote
        ));
    }
    for damaged in &summary.local_damaged {
        text.push_str(&format!(
            "warning: {damaged}; nothing was imported over it\n"
        ));
    }
    for (commit, machine, version) in &summary.newer {
        text.push_str(&format!(
            "note: skipped {}'s record of machine `{machine}`: store schema {version} is newer \
             than this cargo-perf's\n",
            short(commit)
        ));
    }
    report::print_stdout(&text)?;
    if summary.damaged.is_empty() {
        return Ok(exit::OK);
    }
    let list: Vec<String> = summary
        .damaged
        .iter()
        .map(|(commit, reason)| format!("{} ({reason})", short(commit)))
        .collect();
    Err(CliError::store(
        format!(
            "{} damaged note(s) on {} were skipped: {}",
            list.len(),
            args.remote,
            list.join("; ")
        ),
        "everything else was imported; push again from the machine that wrote those commits' \
         results to repair their notes",
    ))
}
