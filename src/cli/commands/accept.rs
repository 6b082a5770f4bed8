//! `cargo perf accept [FILTER] --reason TEXT [--commit REF]` (or `--list`, `--remove`): the
//! tests' stored level at a commit → the store's acceptances → what was accepted.

use crate::cli::args::AcceptArgs;
use crate::cli::errors::{exit, CliError};
use crate::cli::report::{self, words::short};
use crate::cli::store::accept::{self, Acceptance};
use crate::cli::store::policy::Session;

pub fn run(args: &AcceptArgs) -> Result<i32, CliError> {
    let opts = super::store_options(&args.store, None, false);
    let machine = &opts.fingerprint.machine.id;
    let session = Session::open(&opts)?;
    let filter = args.filter.as_deref();
    let text = if args.list {
        let list = session.store.acceptances(machine).map_err(|d| {
            CliError::store(
                d.to_string(),
                "delete the file; then accept the intended levels again",
            )
        })?;
        if list.is_empty() {
            format!("no accepted levels on machine `{machine}`\n")
        } else {
            lines(&list)
        }
    } else if args.remove {
        let (removed, notes) = accept::remove(&session.store, machine, filter)?;
        let mut text: String = removed
            .iter()
            .map(|a| {
                format!(
                    "removed the acceptance of {} at {}\n",
                    a.test,
                    short(&a.commit)
                )
            })
            .collect();
        text.extend(notes.iter().map(|n| format!("note: {n}\n")));
        text
    } else {
        let reason = args.reason.as_deref().map(str::trim).unwrap_or("");
        if reason.is_empty() {
            return Err(CliError::usage(
                "`cargo perf accept` needs a reason",
                "say why the new level is intended: `cargo perf accept FILTER --reason \"new algorithm\"`",
            ));
        }
        if session.git.is_none() {
            return Err(CliError::usage(
                format!(
                    "{} is not inside a git repository",
                    opts.workspace_root.display()
                ),
                "an accepted level belongs to a commit: run `cargo perf` and `cargo perf accept` inside the project's git checkout",
            ));
        }
        let spec = args.commit.as_deref().unwrap_or("HEAD");
        let commit = session.resolve(spec, machine)?;
        let record = session.load_required(spec, &commit, machine)?;
        let at = (commit.as_str(), &record);
        let (new, notes) = accept::accept(&session.store, machine, at, filter, reason)?;
        let mut text = lines(&new);
        text.extend(notes.iter().map(|n| format!("note: {n}\n")));
        text
    };
    report::print_stdout(&text)?;
    Ok(exit::OK)
}

/// One line per acceptance, as every report shows it.
fn lines(list: &[Acceptance]) -> String {
    list.iter()
        .map(|a| {
            format!(
                "{}: accepted at {} ({}): {}\n",
                a.test,
                short(&a.commit),
                a.accepted_at,
                a.reason
            )
        })
        .collect()
}
