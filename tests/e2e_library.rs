//! End to end on `fixtures/library`, a library repository that does not commit `Cargo.lock`
//! (issue 9): the lockfile its build writes does not make the tree dirty, so the first run
//! saves; a tree that is dirty is told which paths make it so.

mod common;

use common::{cargo_perf_in, fixture_in_new_repo};

fn notes(report: &serde_json::Value) -> String {
    report["notes"]
        .as_array()
        .expect("notes")
        .iter()
        .map(|n| n.as_str().unwrap_or_default().to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

fn run(dir: &std::path::Path) -> serde_json::Value {
    let run = cargo_perf_in(
        dir,
        &["--quick", "--processes", "1", "--format", "json"],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.dump());
    run.json()
}

#[test]
fn a_library_without_a_committed_lockfile_saves_on_its_first_run() {
    let repo = fixture_in_new_repo("library");
    let dir = repo.path();
    assert!(!dir.join("Cargo.lock").exists());

    let first = run(dir);
    // The real case happened: the build wrote a lockfile that git does not track.
    let status = std::process::Command::new("git")
        .args(["status", "--porcelain"])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&status.stdout).contains("?? Cargo.lock"),
        "{}",
        String::from_utf8_lossy(&status.stdout)
    );
    assert_eq!(first["dirty"], false, "{}", notes(&first));
    assert!(
        notes(&first).contains("results saved for"),
        "{}",
        notes(&first)
    );
    assert_eq!(first["tests"][0]["name"], "digit_sums");

    // A real change is still a change, and the note names it (and counts the rest).
    std::fs::write(
        dir.join("src/lib.rs"),
        "pub fn digit_sum(n: u64) -> u64 { n }\n",
    )
    .unwrap();
    for name in ["a.txt", "b.txt", "c.txt"] {
        std::fs::write(dir.join(name), "new\n").unwrap();
    }
    let dirty = run(dir);
    assert_eq!(dirty["dirty"], true);
    let n = notes(&dirty);
    assert!(
        n.contains(
            "results not saved: the working tree has uncommitted changes \
             (a.txt, b.txt, c.txt and 1 more); commit them, or pass --save"
        ),
        "{n}"
    );
}
