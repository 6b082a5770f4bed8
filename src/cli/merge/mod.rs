//! `cargo perf merge`: reads the `--format json` reports of a suite's shards (or of a load
//! test's segments) and recombines them into the one report a single run would give. This
//! root reads the files (a file that does not parse is damaged: exit 2 naming it) and sends
//! them to the merge of their kind: [`shards`] for `--partition`, [`segments`] for `--segment`.

pub mod paired;
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
            let text = std::fs::read_to_string(path).map_err(|e| {
                CliError::usage(
                    format!("{} cannot be read: {e}", path.display()),
                    "give the path of each shard's `--format json -o FILE` report",
                )
            })?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::model::MachineInfo;
    use crate::cli::testing::bench;
    use crate::protocol::{LoadDetails, SegmentFigures};

    #[test]
    fn load_segment_files_go_to_the_segment_merge_not_the_shard_merge() {
        let mut t = bench("p/t/load").build();
        t.load = Some(LoadDetails {
            segment: Some(SegmentFigures {
                index: 0,
                count: 2,
                ..SegmentFigures::default()
            }),
            ..LoadDetails::default()
        });
        let report = Report::new(MachineInfo::default(), vec![t], Vec::new());
        let path = "seg-1.json".into();
        // The shard merge would say "not a shard's report"; the segment merge answers instead.
        let Err(e) = merge(vec![ShardFile { path, report }]) else {
            panic!("merged")
        };
        assert!(!e.message.contains("not a shard"), "{}", e.message);
        assert!(e.message.contains("seg-1.json"), "{}", e.message);
    }

    #[test]
    fn unreadable_and_damaged_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let cut = dir.path().join("cut.json");
        std::fs::write(&cut, "{\"schema_version\": 1, \"tests\": [").unwrap();
        let Err(e) = read_all(&[cut]) else {
            panic!("read")
        };
        assert!(e.message.contains("cut.json is damaged"), "{}", e.message);
        let Err(e) = read_all(&[dir.path().join("gone.json")]) else {
            panic!("read")
        };
        assert!(
            e.message.contains("gone.json cannot be read"),
            "{}",
            e.message
        );
    }
}
