//! `cargo perf merge`: reads the `--format json` reports of a suite's shards (or of a load
//! test's segments) and recombines them into the one report a single run would give. This
//! root reads the files (a file that does not parse is damaged: exit 2 naming it) and sends
//! them to the merge of their kind: [`shards`] for `--partition`, [`segments`] for `--segment`.

pub mod segments;
pub mod shards;

use std::path::PathBuf;

use crate::cli::errors::CliError;
use crate::cli::model::Report;

/// One input file and the report it holds.
pub struct ShardFile {
    pub path: PathBuf,
    pub report: Report,
}

/// Reads every file as a report; the first that cannot be read or parsed is an error naming
/// it (a merge of what is left would pass on missing evidence).
pub fn read_all(paths: &[PathBuf]) -> Result<Vec<ShardFile>, CliError> {
    paths
        .iter()
        .map(|path| {
            let damaged = |why: String| {
                CliError::usage(
                    format!("{} is damaged: {why}", path.display()),
                    "give the `--format json -o FILE` report of each shard, as written; run \
                     the shard again if the file was cut short",
                )
            };
            let text = std::fs::read_to_string(path).map_err(|e| damaged(e.to_string()))?;
            let report: Report = serde_json::from_str(&text).map_err(|e| damaged(e.to_string()))?;
            Ok(ShardFile {
                path: path.clone(),
                report,
            })
        })
        .collect()
}

/// The merged report of `files`: load segments when a file is a `--segment` report or a test
/// carries `load.segment`, else
/// suite shards.
pub fn merge(files: Vec<ShardFile>) -> Result<Merged, CliError> {
    let segmented = files.iter().any(|f| {
        f.report.segment.is_some()
            || (f.report.tests.iter()).any(|t| t.load.as_ref().is_some_and(|l| l.segment.is_some()))
    });
    if segmented {
        segments::merge(files).map(|report| Merged { report, save: None })
    } else {
        shards::merge(files)
    }
}

/// A merged report and, for shards, what `--save` stores.
pub struct Merged {
    pub report: Report,
    pub save: Option<shards::ToSave>,
}
