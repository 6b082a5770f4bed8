//! `cargo perf push [REMOTE]`: the store's clean records → merged into REMOTE's
//! `refs/notes/cargo-perf` → a summary.

use crate::cli::args::ShareArgs;
use crate::cli::errors::{exit, CliError};
use crate::cli::report::{self, words::short};
use crate::cli::store::notes::{self, NOTES_REF};

pub fn run(args: &ShareArgs) -> Result<i32, CliError> {
    let (store, git, machine) = super::share_context(&args.store)?;
    let summary = notes::push(&git, &store, &args.remote, &machine)?;
    let mut text = if summary.pushed {
        format!(
            "pushed to {} {NOTES_REF}: {} added, {} replaced, {} already there\n",
            args.remote, summary.added, summary.replaced, summary.unchanged
        )
    } else if summary.unchanged == 0 {
        format!(
            "nothing to push: the store {} has no clean record\n",
            store.dir().display()
        )
    } else {
        format!(
            "nothing to push: {} {NOTES_REF} already has every record ({} already there)\n",
            args.remote, summary.unchanged
        )
    };
    if summary.kept_remote > 0 {
        text.push_str(&format!(
            "note: {} record(s) of other machines differ on {}: the remote's are kept\n",
            summary.kept_remote, args.remote
        ));
    }
    if summary.skipped_dirty > 0 {
        text.push_str(&format!(
            "note: {} record(s) of a dirty tree are never shared\n",
            summary.skipped_dirty
        ));
    }
    for (commit, reason) in &summary.damaged {
        text.push_str(&format!(
            "warning: the note of {} on {} is damaged ({reason}); it was left as it is and \
             this commit's records were not pushed\n",
            short(commit),
            args.remote
        ));
    }
    report::print_stdout(&text)?;
    Ok(exit::OK)
}
