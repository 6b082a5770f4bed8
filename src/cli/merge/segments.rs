//! The merge of a load test's `--segment M/N` reports: the dispatch target of
//! [`super::merge`]. Their exact merge (histograms, timelines, thresholds judged once) is the
//! load-segment work's; until it lands here such files are refused rather than merged as if
//! they were suite shards, which would add up each segment's share as a whole test.

use super::ShardFile;
use crate::cli::errors::CliError;
use crate::cli::model::Report;

/// Refuses load-segment files with exit 2, naming the first.
pub fn merge(files: Vec<ShardFile>) -> Result<Report, CliError> {
    let first = files.first().map(|f| f.path.display().to_string());
    Err(CliError::usage(
        format!(
            "{} holds load-test segments (`load.segment`): this build cannot merge segments",
            first.unwrap_or_default()
        ),
        "merge segment files with a cargo-perf that supports `--segment`; suite shards \
         (`--partition`) merge here",
    ))
}
