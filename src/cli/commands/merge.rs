//! `cargo perf merge FILES...`: read the shards' reports → check they are one suite's every
//! shard → one report judged over the whole suite → save (`--save`) → report → exit code.

use crate::cli::args::MergeArgs;
use crate::cli::errors::CliError;
use crate::cli::merge;
use crate::cli::project::workspace;
use crate::cli::report;
use crate::cli::store::{self, policy};

pub fn run(args: &MergeArgs) -> Result<i32, CliError> {
    let output = args.report.output()?;
    let files = merge::read_all(&args.files)?;
    let merge::Merged { mut report, save } = merge::merge(files)?;
    match save {
        Some(to_save) if args.save => {
            let root = workspace::root_or_current_dir(None);
            let dir = store::locate(&root, args.store.as_deref());
            match to_save.side {
                Some(side) => {
                    let store = store::Store::open(&dir)?;
                    let saved = policy::save(&store, &to_save.fingerprint, side);
                    report.notes.extend(saved);
                }
                None => report
                    .notes
                    .push("results not saved: the shards have no commit".to_string()),
            }
        }
        _ => {}
    }
    let report = report.finish();
    report::emit(&report, &output)?;
    Ok(args.fail_on.unwrap_or_default().exit_code(&report))
}
