//! `cargo perf baseline list | show REF | rm REF`: the stored results, read and pruned.

use crate::cli::args::{BaselineAction, BaselineArgs, Format};
use crate::cli::errors::{exit, CliError};
use crate::cli::report::{self, words::short};
use crate::cli::store::policy::Session;

pub fn run(args: &BaselineArgs) -> Result<i32, CliError> {
    let store_args = match &args.action {
        BaselineAction::List(s) | BaselineAction::Show { store: s, .. } => s,
        BaselineAction::Rm { store, .. } => store,
    };
    let opts = super::store_options(store_args, None, false);
    let machine = &opts.fingerprint.machine.id;
    let session = Session::open(&opts)?;
    let text = match &args.action {
        BaselineAction::List(_) => {
            let listing = session.store.list(Some(machine));
            report::baseline::list(&listing, machine, session.store.dir())
        }
        BaselineAction::Show {
            reference, format, ..
        } => {
            let commit = session.resolve(reference, machine)?;
            let record = session.load_required(reference, &commit, machine)?;
            match format {
                Format::Json => serde_json::to_string_pretty(&record)
                    .map(|j| j + "\n")
                    .map_err(|e| {
                        CliError::io(
                            format!("cannot encode the record: {e}"),
                            "please report this bug",
                        )
                    })?,
                _ => report::baseline::show(&record),
            }
        }
        BaselineAction::Rm { reference, .. } => {
            let (commit, path) = session.remove(reference, machine)?;
            format!(
                "removed the results of {} ({})\n",
                short(&commit),
                path.display()
            )
        }
    };
    report::print_stdout(&text)?;
    Ok(exit::OK)
}
