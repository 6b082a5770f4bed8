//! End to end through git notes: a bare remote and two clones on the local filesystem.
//! Clone A measures and `push`es, clone B `fetch`es and reads A's record; two machines'
//! records for one commit merge into one note; a local record is never replaced; a damaged
//! note is reported and skipped with nothing lost; bad remotes exit 2.

mod common;

use std::fs;
use std::path::Path;

use common::{commit_all, git, stdout};
use serde_json::Value;

fn cargo_perf(dir: &Path, args: &[&str]) -> std::process::Output {
    common::cargo_perf_at(dir, args, &common::own_target_dir("e2e-store-fixture"))
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let out = cargo_perf(dir, args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}:\n{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    stdout(&out)
}

fn fails(dir: &Path, args: &[&str]) -> String {
    let out = cargo_perf(dir, args);
    assert_eq!(out.status.code(), Some(2), "{args:?}:\n{}", stdout(&out));
    let err = stderr(&out);
    assert!(err.contains("error:") && err.contains("help:"), "{err}");
    err
}

/// The stored record of `commit` for `machine` in `dir`'s store, as JSON.
fn record(dir: &Path, machine: &str, commit: &str) -> Value {
    let path = dir
        .join(".perf")
        .join(machine)
        .join(format!("{commit}.json"));
    serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap()
}

fn write_record(dir: &Path, machine: &str, commit: &str, record: &Value) {
    let machine_dir = dir.join(".perf").join(machine);
    fs::create_dir_all(&machine_dir).unwrap();
    let path = machine_dir.join(format!("{commit}.json"));
    fs::write(path, serde_json::to_vec_pretty(record).unwrap()).unwrap();
}

#[test]
fn records_travel_through_notes_between_two_clones() {
    let tmp = tempfile::tempdir().unwrap();
    let (remote, a, b) = (
        tmp.path().join("remote.git"),
        tmp.path().join("a"),
        tmp.path().join("b"),
    );
    fs::create_dir_all(&remote).unwrap();
    git(&remote, &["init", "-q", "--bare", "-b", "main"]);
    common::copy_fixture("store", &a);
    git(&a, &["init", "-q", "-b", "main"]);
    let c1 = commit_all(&a, "fixture");
    git(&a, &["remote", "add", "origin", remote.to_str().unwrap()]);
    git(&a, &["push", "-q", "origin", "main"]);
    git(tmp.path(), &["clone", "-q", remote.to_str().unwrap(), "b"]);

    // Before anyone pushed: nothing to fetch, said as an error.
    let err = fails(&b, &["fetch"]);
    assert!(
        err.contains("nothing to fetch: origin has no refs/notes/cargo-perf"),
        "{err}"
    );

    // A measures and pushes; B fetches and reads A's record as its own store's.
    ok(&a, &["--quick", "--machine", "ci", "--processes", "1"]);
    let pushed = ok(&a, &["push", "--machine", "ci"]);
    assert!(pushed.contains("1 added"), "{pushed}");
    assert!(ok(&a, &["push"]).contains("nothing to push"));
    let fetched = ok(&b, &["fetch", "origin"]);
    assert!(fetched.contains("1 record(s) imported"), "{fetched}");
    assert_eq!(record(&a, "ci", &c1), record(&b, "ci", &c1));
    let list = ok(&b, &["baseline", "list", "--machine", "ci"]);
    assert!(list.contains(&c1[..7]), "{list}");
    let history = ok(&b, &["history", "steady_a", "--machine", "ci"]);
    assert!(history.contains(&c1[..7]), "{history}");
    assert!(ok(&b, &["fetch"]).contains("0 record(s) imported, 1 already stored"));
    // The default baseline search finds the fetched record: B's next commit compares with it.
    git(&b, &["commit", "-q", "--allow-empty", "-m", "b's change"]);
    let report = b.join("report.json");
    let run_b = [
        "--quick",
        "--machine",
        "ci",
        "--processes",
        "1",
        "--no-save",
        "--format",
        "json",
        "-o",
    ];
    let mut args = run_b.to_vec();
    args.push(report.to_str().unwrap());
    cargo_perf(&b, &args);
    let report: Value = serde_json::from_str(&fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(report["baseline"]["commit"], c1.as_str(), "{report}");

    // A second machine's record of the same commit merges into the same note.
    let mut laptop = record(&b, "ci", &c1);
    laptop["machine"]["id"] = "laptop".into();
    write_record(&b, "laptop", &c1, &laptop);
    let pushed = ok(&b, &["push", "--machine", "laptop"]);
    assert!(
        pushed.contains("1 added, 0 replaced, 1 already there"),
        "{pushed}"
    );
    let note: Value =
        serde_json::from_str(&git(&remote, &["notes", "--ref=cargo-perf", "show", &c1])).unwrap();
    let machines: Vec<&String> = note["entries"].as_object().unwrap().keys().collect();
    assert_eq!(machines, ["ci", "laptop"]);
    assert!(ok(&a, &["fetch"]).contains("1 record(s) imported"));
    assert_eq!(record(&a, "laptop", &c1), laptop);

    // A differing local record is kept and reported, never replaced.
    let mut local = record(&a, "laptop", &c1);
    local["unix_time"] = (local["unix_time"].as_u64().unwrap() + 1).into();
    write_record(&a, "laptop", &c1, &local);
    let fetched = ok(&a, &["fetch"]);
    assert!(fetched.contains("kept the local record"), "{fetched}");
    assert_eq!(record(&a, "laptop", &c1), local);

    // A damaged note for another commit: reported by commit, skipped, the rest imported.
    git(&a, &["commit", "-q", "--allow-empty", "-m", "second"]);
    let c2 = git(&a, &["rev-parse", "HEAD"]);
    let notes = "+refs/notes/cargo-perf:refs/notes/cargo-perf";
    git(&a, &["fetch", "-q", "origin", notes]);
    git(
        &a,
        &[
            "notes",
            "--ref=cargo-perf",
            "add",
            "-f",
            "-m",
            "garbage",
            &c2,
        ],
    );
    git(
        &a,
        &["push", "-q", "origin", "main", "refs/notes/cargo-perf"],
    );
    fs::remove_dir_all(b.join(".perf").join("laptop")).unwrap();
    let err = fails(&b, &["fetch"]);
    assert!(err.contains("damaged") && err.contains(&c2[..7]), "{err}");
    assert_eq!(
        record(&b, "laptop", &c1),
        laptop,
        "the good note was imported"
    );
    // Pushing over it leaves the damaged note alone and loses no one's entries.
    let pushed = ok(&b, &["push"]);
    assert!(pushed.contains("nothing to push"), "{pushed}");
    assert_eq!(
        git(&remote, &["notes", "--ref=cargo-perf", "show", &c2]),
        "garbage"
    );

    // Bad remotes and places.
    let err = fails(&b, &["fetch", "nowhere"]);
    assert!(err.contains("`nowhere` is not a remote"), "{err}");
    let outside = tempfile::tempdir().unwrap();
    let err = fails(outside.path(), &["push"]);
    assert!(err.contains("not inside a git repository"), "{err}");
}
