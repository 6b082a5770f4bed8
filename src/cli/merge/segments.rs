//! The merge of a load test's `--segment M/N` reports (the dispatch target of
//! [`super::merge`]): every file must be one segment of one run (same commit, tool version,
//! segment count and test set; each index once), no segment's test may have errored; then
//! each test's segments are rebuilt as the measurements they reported, merged exactly
//! ([`crate::load::merge::merge_segments`]: summed histograms, timelines, counts), and every
//! threshold is judged once, on the merged result ([`crate::limits::recheck`]): a
//! `throughput > N` limit that each 1/N share misses passes when the whole meets it. The merged
//! load details keep each segment's own figures (`load.segments`) for diagnosis.

use std::collections::BTreeMap;

use super::ShardFile;
use crate::cli::errors::CliError;
use crate::cli::model::{OperationReport, Report, SegmentMark, Status, TestReport};
use crate::protocol::Measurement;

/// One merged report from all segment files; exit 2 naming the files when they are not every
/// segment of one run, or when one is incomplete (a segment's test errored or was killed).
pub fn merge(files: Vec<ShardFile>) -> Result<Report, CliError> {
    let marks = check_files(&files)?;
    let first = &files[0].report;
    let ids: Vec<&str> = first.tests.iter().map(|t| t.id.as_str()).collect();
    let mut tests = Vec::new();
    let mut largest_skew: Option<i64> = None;
    for id in &ids {
        let parts: Vec<(&ShardFile, &TestReport)> = files
            .iter()
            .filter_map(|f| f.report.tests.iter().find(|t| t.id == *id).map(|t| (f, t)))
            .collect();
        if let Some((f, t)) = parts.iter().find(|(_, t)| t.status == Status::Error) {
            return Err(incomplete(
                f,
                &format!(
                    "{id} errored in this segment: {}",
                    t.error.as_deref().unwrap_or("no measurement")
                ),
            ));
        }
        for (_, t) in &parts {
            let skew = t.load.as_ref().and_then(|l| l.segment.as_ref());
            if let Some(s) = skew.and_then(|s| s.start_skew_ns) {
                largest_skew = Some(largest_skew.map_or(s, |l| l.max(s)));
            }
        }
        tests.push(merge_test(id, &parts)?);
    }
    let count = marks.len();
    let mut notes = vec![format!(
        "merged {count} segments of {} load test(s); thresholds judged once, on the merged \
         figures; each segment's own figures are in load.segments",
        tests.len()
    )];
    notes.extend(largest_skew.map(|s| {
        format!(
            "largest start skew of a segment: {}",
            crate::format::duration_ns(s.unsigned_abs() as f64)
        )
    }));
    let mut report = Report::new(first.machine.clone(), tests, notes);
    report.tool_version.clone_from(&first.tool_version);
    report.commit.clone_from(&first.commit);
    report.dirty = files.iter().any(|f| f.report.dirty);
    report.started_at.clone_from(&first.started_at);
    Ok(report)
}

/// Every file a segment report of one run, each index once, all indices there.
fn check_files(files: &[ShardFile]) -> Result<Vec<SegmentMark>, CliError> {
    let foreign = |f: &ShardFile, why: String| {
        CliError::usage(
            format!("{}: {why}", f.path.display()),
            "merge the `--format json -o FILE` reports of every segment of one run (the same \
             commit, cargo-perf and --segment M/N count), each once",
        )
    };
    let Some(first) = files.first() else {
        return Err(CliError::usage(
            "no segment files to merge",
            "give every segment's report",
        ));
    };
    let mark = |f: &ShardFile| {
        f.report.segment.ok_or_else(|| {
            foreign(
                f,
                "not a `--segment` report (mixed with segment reports)".into(),
            )
        })
    };
    let head = mark(first)?;
    let ids = |r: &Report| -> Vec<String> {
        let mut v: Vec<String> = r.tests.iter().map(|t| t.id.clone()).collect();
        v.sort();
        v
    };
    let mut seen: BTreeMap<u32, &ShardFile> = BTreeMap::new();
    let mut marks = Vec::new();
    for f in files {
        let m = mark(f)?;
        let r = &f.report;
        let why = if m.count != head.count {
            Some(format!(
                "segment of {} but {} is of {}",
                m.count,
                first.path.display(),
                head.count
            ))
        } else if r.commit != first.report.commit {
            Some(format!(
                "measured commit {} but {} measured {}",
                r.commit.as_deref().unwrap_or("(none)"),
                first.path.display(),
                first.report.commit.as_deref().unwrap_or("(none)")
            ))
        } else if r.tool_version != first.report.tool_version {
            Some(format!(
                "written by cargo-perf {} but {} by {}",
                r.tool_version,
                first.path.display(),
                first.report.tool_version
            ))
        } else if ids(r) != ids(&first.report) {
            Some(format!(
                "holds other tests than {} ({:?} vs {:?})",
                first.path.display(),
                ids(r),
                ids(&first.report)
            ))
        } else {
            None
        };
        if let Some(why) = why {
            return Err(foreign(f, why));
        }
        if let Some(other) = seen.insert(m.index, f) {
            return Err(foreign(
                f,
                format!(
                    "duplicate: segment {}/{} is also {}",
                    m.index + 1,
                    m.count,
                    other.path.display()
                ),
            ));
        }
        marks.push(m);
    }
    let missing: Vec<String> = (0..head.count)
        .filter(|i| !seen.contains_key(i))
        .map(|i| format!("{}/{}", i + 1, head.count))
        .collect();
    if !missing.is_empty() {
        let given: Vec<String> = files.iter().map(|f| f.path.display().to_string()).collect();
        return Err(CliError::usage(
            format!(
                "incomplete: segment(s) {} missing (given {})",
                missing.join(", "),
                given.join(", ")
            ),
            "merge every segment's report; run a missing or killed segment again with the \
             others (a load test's segments only merge from one common start)",
        ));
    }
    Ok(marks)
}

fn incomplete(f: &ShardFile, why: &str) -> CliError {
    CliError::usage(
        format!("incomplete: {}: {why}", f.path.display()),
        "run the whole load test again, every segment from one common start: a segment's \
         share cannot be measured on its own later",
    )
}

/// One test's segments merged: the measurement each reported, merged exactly, its thresholds
/// judged on the whole.
fn merge_test(id: &str, parts: &[(&ShardFile, &TestReport)]) -> Result<TestReport, CliError> {
    let measurements: Vec<Measurement> = parts.iter().map(|(_, t)| measurement(t)).collect();
    let merged = crate::load::merge::merge_segments(&measurements).map_err(|e| {
        let files: Vec<String> = parts
            .iter()
            .map(|(f, _)| f.path.display().to_string())
            .collect();
        CliError::usage(
            format!("{id}: {e} (files {})", files.join(", ")),
            "merge the reports of one segmented run, every segment once",
        )
    })?;
    let all_checks: Vec<_> = parts
        .iter()
        .flat_map(|(_, t)| t.thresholds.iter().cloned())
        .collect();
    let first = parts[0].1;
    let mut t = first.clone();
    t.thresholds = crate::limits::recheck(&all_checks, &merged);
    t.status = if t.thresholds.iter().all(|c| c.passed) {
        Status::Passed
    } else {
        Status::Failed
    };
    t.error = None;
    t.comparison = None;
    t.median_ci_ns = None;
    t.levels = Vec::new();
    t.wall_ns = parts.iter().map(|(_, t)| t.wall_ns).sum();
    t.operations = merged
        .load
        .iter()
        .flat_map(|l| &l.by_operation)
        .map(|o| OperationReport {
            name: o.name.clone(),
            metrics: o.metrics(),
            processes: Vec::new(),
            comparison: None,
        })
        .collect();
    // The merged run is one measurement of the whole load: one "process" for later comparisons.
    t.processes = vec![merged.metrics.clone()];
    t.metrics = merged.metrics;
    t.custom = merged.custom;
    t.load = merged.load;
    t.memory = merged.memory;
    Ok(t)
}

/// The measurement a segment's test report came from (a segment runs one process, so its
/// report's figures are that process's).
fn measurement(t: &TestReport) -> Measurement {
    Measurement {
        metrics: t.metrics.clone(),
        bench: None,
        load: t.load.clone(),
        memory: t.memory.clone(),
        custom: t.custom.clone(),
        checks: t.thresholds.clone(),
        // A test report keeps no process CPU figure; its `cpu_percent` check (if any) is kept.
        cpu_percent: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::errors::ErrorKind;
    use crate::cli::testing;

    /// Segment `m` (1-based) of `n`'s file, holding tests `ids`.
    fn file(m: u32, n: u32, ids: &[&str]) -> ShardFile {
        let mut report = testing::report(ids.iter().map(|id| testing::bench(id).build()).collect());
        report.commit = Some("c0ffee".into());
        report.segment = Some(SegmentMark {
            index: m - 1,
            count: n,
        });
        ShardFile {
            path: format!("seg-{m}.json").into(),
            report,
        }
    }

    fn refused(files: Vec<ShardFile>) -> String {
        let e = check_files(&files).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Usage, "{}", e.message);
        e.message
    }

    #[test]
    fn every_segment_of_one_run_once_is_accepted() {
        let files = vec![file(2, 2, &["p/t/a"]), file(1, 2, &["p/t/a"])];
        assert_eq!(check_files(&files).unwrap().len(), 2);
    }

    #[test]
    fn missing_duplicate_and_foreign_files_are_named() {
        let e = refused(vec![file(1, 3, &["p/t/a"]), file(3, 3, &["p/t/a"])]);
        assert!(e.contains("incomplete") && e.contains("2/3"), "{e}");

        let e = refused(vec![file(1, 2, &["p/t/a"]), file(1, 2, &["p/t/a"])]);
        assert!(e.contains("duplicate"), "{e}");

        let e = refused(vec![file(1, 2, &["p/t/a"]), file(2, 3, &["p/t/a"])]);
        assert!(
            e.contains("seg-2.json") && e.contains("segment of 3"),
            "{e}"
        );

        let e = refused(vec![file(1, 2, &["p/t/a"]), file(2, 2, &["p/t/b"])]);
        assert!(e.contains("other tests"), "{e}");

        let mut other_commit = file(2, 2, &["p/t/a"]);
        other_commit.report.commit = Some("beef".into());
        let e = refused(vec![file(1, 2, &["p/t/a"]), other_commit]);
        assert!(e.contains("beef"), "{e}");

        let mut not_a_segment = file(2, 2, &["p/t/a"]);
        not_a_segment.report.segment = None;
        let e = refused(vec![file(1, 2, &["p/t/a"]), not_a_segment]);
        assert!(e.contains("not a `--segment` report"), "{e}");
    }

    #[test]
    fn an_errored_segment_makes_the_merge_incomplete() {
        let mut killed = file(2, 2, &[]);
        killed.report.tests = vec![testing::bench("p/t/a")
            .status(Status::Error)
            .error("killed by a signal")
            .build()];
        let e = merge(vec![file(1, 2, &["p/t/a"]), killed]).unwrap_err();
        assert!(e.message.contains("incomplete"), "{}", e.message);
        assert!(e.message.contains("seg-2.json"), "{}", e.message);
        assert!(e.message.contains("killed by a signal"), "{}", e.message);
    }
}
