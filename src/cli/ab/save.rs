//! Saving what an A/B run measured: each side's per-round figures become a store record under
//! its own commit (the base always is a commit; head only when its tree is clean), so that
//! `cargo perf history` and later `run`s see them too.

use std::collections::HashSet;
use std::path::Path;

use crate::cli::fingerprint::Fingerprint;
use crate::cli::report::figures::short;
use crate::cli::report::model::TestReport;
use crate::cli::store::{Record, Store};

/// One side to save: its commit, whether its tree is dirty, its tests.
pub struct SideRecord {
    pub commit: String,
    pub dirty: bool,
    pub tests: Vec<TestReport>,
}

/// Save each side; returns the notes for the report (what was saved where, or why not).
pub fn save_sides(
    store_dir: &Path,
    fingerprint: &Fingerprint,
    sides: Vec<SideRecord>,
) -> Vec<String> {
    let store = match Store::open(store_dir) {
        Ok(s) => s,
        Err(e) => return vec![format!("results not saved: {} ({})", e.what, e.help)],
    };
    let mut notes = Vec::new();
    let mut seen = HashSet::new();
    for side in sides {
        // `ab HEAD`: both sides are the same commit; one record is enough.
        if side.tests.is_empty() || !seen.insert(side.commit.clone()) {
            continue;
        }
        let mut tests: Vec<TestReport> = side
            .tests
            .into_iter()
            .filter(|t| t.error.is_none())
            .map(|mut t| {
                t.comparison = None; // a verdict belongs to a comparison, not a measurement
                t
            })
            .collect();
        let machine_id = fingerprint.machine.id.clone();
        if let Ok(Some(earlier)) = store.load(&machine_id, &side.commit) {
            // Keep the earlier record's tests this run did not measure.
            let ran: HashSet<String> = tests.iter().map(|t| t.id.clone()).collect();
            tests.extend(earlier.tests.into_iter().filter(|t| !ran.contains(&t.id)));
        }
        tests.sort_by(|a, b| a.id.cmp(&b.id));
        let record = Record::new(side.commit.clone(), side.dirty, fingerprint.clone(), tests);
        match store.save(&record) {
            Ok(saved) => notes.push(format!(
                "results of {} saved in {}",
                short(&record.commit),
                saved.path.display()
            )),
            Err(e) => notes.push(format!(
                "results of {} not saved: {}",
                short(&side.commit),
                e.what
            )),
        }
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::report::model::{MachineInfo, Status};
    use crate::protocol::TestKind;

    use crate::metrics::Metrics;

    fn test(id: &str, median: f64) -> TestReport {
        TestReport {
            id: id.into(),
            package: "p".into(),
            target: "t".into(),
            name: id.rsplit('/').next().unwrap().into(),
            kind: TestKind::Bench,
            status: Status::Passed,
            error: None,
            metrics: Metrics {
                median_ns: Some(median),
                ..Metrics::default()
            },
            median_ci_ns: None,
            thresholds: vec![],
            comparison: None,
            processes: vec![],
            custom: vec![],
            tags: vec![],
            wall_ns: 0,
            load: None,
            throughput_unit: None,
            memory: None,
        }
    }

    fn fingerprint() -> Fingerprint {
        Fingerprint {
            machine: MachineInfo {
                id: "m".into(),
                ..MachineInfo::default()
            },
            rustc: "rustc 1.95.0".into(),
            profile: "bench".into(),
        }
    }

    #[test]
    fn both_sides_are_saved_under_their_commits_and_merged_with_earlier_records() {
        let dir = tempfile::tempdir().unwrap();
        let base = "a".repeat(40);
        let head = "b".repeat(40);
        let notes = save_sides(
            dir.path(),
            &fingerprint(),
            vec![
                SideRecord {
                    commit: base.clone(),
                    dirty: false,
                    tests: vec![test("p/t/x", 100.0), test("p/t/gone", 5.0)],
                },
                SideRecord {
                    commit: head.clone(),
                    dirty: false,
                    tests: vec![test("p/t/x", 108.0)],
                },
            ],
        );
        assert_eq!(notes.len(), 2, "{notes:?}");
        let store = Store::open(dir.path()).unwrap();
        let b = store.load("m", &base).unwrap().unwrap();
        assert_eq!(b.tests.len(), 2);
        let h = store.load("m", &head).unwrap().unwrap();
        assert_eq!(h.tests[0].metrics.median_ns, Some(108.0));

        // A later filtered run of the base keeps the test it did not run.
        save_sides(
            dir.path(),
            &fingerprint(),
            vec![SideRecord {
                commit: base.clone(),
                dirty: false,
                tests: vec![test("p/t/x", 101.0)],
            }],
        );
        let b = store.load("m", &base).unwrap().unwrap();
        let ids: Vec<&str> = b.tests.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, ["p/t/gone", "p/t/x"]);
        assert_eq!(b.tests[1].metrics.median_ns, Some(101.0));
    }

    #[test]
    fn the_same_commit_twice_is_saved_once_and_errored_tests_are_left_out() {
        let dir = tempfile::tempdir().unwrap();
        let c = "c".repeat(40);
        let mut broken = test("p/t/broken", 1.0);
        broken.error = Some("crashed".into());
        let notes = save_sides(
            dir.path(),
            &fingerprint(),
            vec![
                SideRecord {
                    commit: c.clone(),
                    dirty: false,
                    tests: vec![test("p/t/x", 1.0), broken],
                },
                SideRecord {
                    commit: c.clone(),
                    dirty: false,
                    tests: vec![test("p/t/x", 2.0)],
                },
            ],
        );
        assert_eq!(notes.len(), 1);
        let r = Store::open(dir.path())
            .unwrap()
            .load("m", &c)
            .unwrap()
            .unwrap();
        assert_eq!(r.tests.len(), 1);
        assert_eq!(r.tests[0].metrics.median_ns, Some(1.0));
    }
}
