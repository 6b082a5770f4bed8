//! The store on a real temporary directory: round trips, damage, schema checks, the lock.

use super::*;
use crate::cli::report::model::Status;
use crate::protocol::TestKind;

use crate::metrics::Metrics;

pub(crate) fn fingerprint(id: &str) -> Fingerprint {
    Fingerprint {
        machine: MachineInfo {
            id: id.into(),
            cpu: "cpu".into(),
            cores: 2,
            os: "linux".into(),
            arch: "x86_64".into(),
        },
        rustc: "rustc 1.95.0".into(),
        profile: "bench".into(),
    }
}

pub(crate) fn test_report(id: &str, median: f64) -> TestReport {
    TestReport {
        load: None,
        throughput_unit: None,
        memory: None,
        id: id.into(),
        package: "pkg".into(),
        target: "perf".into(),
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
        processes: vec![
            Metrics {
                median_ns: Some(median),
                ..Metrics::default()
            };
            3
        ],
        custom: vec![],
        tags: vec![],
        wall_ns: 0,
    }
}

fn record(commit: &str, machine: &str) -> Record {
    Record::new(
        commit.into(),
        false,
        fingerprint(machine),
        vec![test_report("pkg/perf/a", 100.0)],
    )
}

const C1: &str = "1111111111111111111111111111111111111111";
const C2: &str = "2222222222222222222222222222222222222222";

#[test]
fn a_new_store_ignores_itself() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(&tmp.path().join(".perf")).unwrap();
    let ignore = fs::read_to_string(store.dir().join(".gitignore")).unwrap();
    assert!(ignore.lines().any(|l| l == "*"), "{ignore}");
}

#[test]
fn records_round_trip_by_commit_and_machine() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path()).unwrap();
    let saved = store.save(&record(C1, "box one")).unwrap();
    assert!(!saved.replaced && saved.quarantined.is_none());
    assert_eq!(saved.path, store.record_path("box one", C1));
    assert!(saved.path.starts_with(tmp.path().join("box_one")));
    store.save(&record(C2, "box one")).unwrap();
    store.save(&record(C1, "other")).unwrap();

    let r = store.load("box one", C1).unwrap().unwrap();
    assert_eq!(r.commit, C1);
    assert_eq!(r.schema_version, STORE_SCHEMA_VERSION);
    assert_eq!(r.tests[0].processes.len(), 3);
    assert_eq!(r.fingerprint(), fingerprint("box one"));
    assert!(store.load("box one", "3333").unwrap().is_none());
    assert_eq!(store.commits("box one"), [C1, C2]);
    assert_eq!(store.commits_with_prefix("box one", "2222"), [C2]);
    assert_eq!(store.list(Some("box one")).records.len(), 2);
    assert_eq!(store.list(None).records.len(), 3);

    // Saving the same commit again replaces the record.
    assert!(store.save(&record(C1, "box one")).unwrap().replaced);
    assert_eq!(store.commits("box one").len(), 2);
}

#[test]
fn damaged_records_are_reported_by_path_and_skipped() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path()).unwrap();
    store.save(&record(C1, "m")).unwrap();
    let bad = store.record_path("m", C2);
    fs::write(&bad, b"{ \"schema_version\": 1, \"commit\": tr").unwrap();

    let listing = store.list(Some("m"));
    assert_eq!(listing.records.len(), 1);
    assert_eq!(listing.damaged.len(), 1);
    assert_eq!(listing.damaged[0].path, bad);
    let message = listing.damaged[0].to_string();
    assert!(message.contains(&bad.display().to_string()), "{message}");

    let err = store.load("m", C2).unwrap_err();
    assert_eq!(err.path, bad);

    // Saving over it moves it aside instead of overwriting it.
    let saved = store.save(&record(C2, "m")).unwrap();
    let aside = saved.quarantined.expect("damaged file moved aside");
    assert!(fs::read_to_string(&aside).unwrap().ends_with("tr"));
    assert!(store.load("m", C2).unwrap().is_some());
    assert_eq!(store.list(Some("m")).damaged.len(), 0);
}

#[test]
fn records_of_a_newer_schema_are_skipped_with_a_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path()).unwrap();
    let mut r = record(C1, "m");
    r.schema_version = STORE_SCHEMA_VERSION + 1;
    store.save(&r).unwrap();
    let err = store.load("m", C1).unwrap_err();
    assert!(err.reason.contains("newer cargo-perf"), "{}", err.reason);
}

#[test]
fn a_record_under_the_wrong_name_is_not_trusted() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path()).unwrap();
    store.save(&record(C1, "m")).unwrap();
    fs::rename(store.record_path("m", C1), store.record_path("m", C2)).unwrap();
    let err = store.load("m", C2).unwrap_err();
    assert!(err.reason.contains(C1), "{}", err.reason);
}

#[test]
fn remove_deletes_one_record() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path()).unwrap();
    store.save(&record(C1, "m")).unwrap();
    assert!(store.remove("m", C1).unwrap());
    assert!(!store.remove("m", C1).unwrap());
    assert!(store.commits("m").is_empty());
}

#[test]
fn the_lock_excludes_a_second_holder_until_dropped() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path())
        .unwrap()
        .with_lock_timeout(Duration::from_millis(200));
    let held = store.lock().unwrap();
    // Another "process" holds it: fake the owner as a live process (our parent shell or init).
    fs::write(tmp.path().join(LOCK_FILE), "1\n").unwrap();
    let err = store.lock().unwrap_err();
    assert!(err.what.contains("locked by process 1"), "{}", err.what);
    assert!(err.help.contains("lock file"));
    drop(held);
    assert!(!tmp.path().join(LOCK_FILE).exists());
    drop(store.lock().unwrap());
}

#[test]
fn a_lock_left_by_a_dead_process_is_taken_over() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path())
        .unwrap()
        .with_lock_timeout(Duration::from_millis(200));
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let dead = child.id();
    child.wait().unwrap();
    fs::write(tmp.path().join(LOCK_FILE), format!("{dead}\n")).unwrap();
    let lock = store.lock().expect("stale lock taken over");
    assert_eq!(
        fs::read_to_string(tmp.path().join(LOCK_FILE))
            .unwrap()
            .trim(),
        std::process::id().to_string()
    );
    drop(lock);
}

#[test]
fn concurrent_saves_all_land_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path()).unwrap();
    std::thread::scope(|s| {
        for i in 0..8 {
            let store = store.clone();
            s.spawn(move || {
                let commit = format!("{i:040}");
                store.save(&record(&commit, "m")).unwrap();
            });
        }
    });
    let listing = store.list(Some("m"));
    assert_eq!(listing.records.len(), 8);
    assert!(listing.damaged.is_empty());
    let leftovers: Vec<_> = fs::read_dir(tmp.path().join("m"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert!(!tmp.path().join(LOCK_FILE).exists());
}

#[test]
fn the_store_dir_comes_from_the_flag_before_the_default() {
    let root = Path::new("/ws");
    let flagged = locate(root, Some(Path::new("/elsewhere")));
    assert_eq!(flagged, Path::new("/elsewhere"));
    if std::env::var_os(ENV_STORE).is_none() {
        assert_eq!(locate(root, None), Path::new("/ws/.perf"));
    }
}

#[test]
fn names_are_made_file_safe() {
    assert_eq!(file_safe("my box/1"), "my_box_1");
    assert_eq!(file_safe("..x"), "_.x");
    assert_eq!(file_safe(""), "_");
}

#[test]
fn times_are_rfc3339_utc() {
    assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
    assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    assert_eq!(rfc3339(1_795_364_707), "2026-11-22T16:25:07Z");
}
