//! End to end: `cargo perf accept` on a real git repository of the store fixture, whose
//! `scaled` test does `PERF_FIXTURE_SLOWDOWN` times more work (read at run time). Commit A is
//! measured at the normal level, B and C with `scaled` 40 % slower; once B's level is accepted,
//! `--baseline A` and `compare A ..` judge `scaled` against B (and say why) while the other
//! tests still compare against A; removing the acceptance brings the regression back. Bad
//! input exits 2 with `error:`/`help:`. The JSON is checked against the schema.

mod common;

use std::path::Path;

use common::schema::assert_valid;
use common::{cargo_perf_in, commit_all, git, test_named, Run};
use serde_json::Value;

const SLOWER: &str = "1.4";
/// Between separate unpaired runs on a loaded machine unchanged tests drift by several
/// percent; the deliberate change is +40 %.
const THRESHOLD: &str = "10%";

fn perf(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut all = args.to_vec();
    all.extend(["--machine", "e2e"]);
    cargo_perf_in(dir, &all, env)
}

/// A quick saved run, as JSON, failing only on errors.
fn measure(dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> Value {
    let mut args = vec!["--quick", "--save", "--threshold", THRESHOLD];
    args.extend(["--fail-on", "never", "--format", "json"]);
    args.extend_from_slice(extra);
    let run = perf(dir, &args, env);
    assert_eq!(run.code, 0, "{}", run.dump());
    let json = run.json();
    assert_valid("report.schema.json", &json, "run");
    json
}

fn compare(dir: &Path, base: &str, head: &str) -> Value {
    let args = [
        "compare",
        base,
        head,
        "--threshold",
        THRESHOLD,
        "--fail-on",
        "never",
        "--format",
        "json",
    ];
    let run = perf(dir, &args, &[]);
    assert_eq!(run.code, 0, "{}", run.dump());
    let json = run.json();
    assert_valid("report.schema.json", &json, "compare");
    json
}

fn comparison<'a>(report: &'a Value, name: &str) -> &'a Value {
    &test_named(report, name)["comparison"]
}

fn usage_error(run: &Run, says: &str) {
    assert_eq!(run.code, 2, "{}", run.dump());
    assert!(run.stderr.contains("error:"), "{}", run.dump());
    assert!(run.stderr.contains("help:"), "{}", run.dump());
    assert!(run.stderr.contains(says), "wanted {says:?}: {}", run.dump());
}

#[test]
fn an_accepted_level_is_the_baseline_of_its_test_until_removed() {
    let repo = tempfile::tempdir().unwrap();
    let dir = repo.path();
    common::copy_fixture("store", dir);
    git(dir, &["init", "-q", "-b", "main"]);
    let a = commit_all(dir, "A");
    measure(dir, &[], &[]);

    std::fs::write(dir.join("README.md"), "B: the new algorithm\n").unwrap();
    let b = commit_all(dir, "B");
    let slow = [("PERF_FIXTURE_SLOWDOWN", SLOWER)];
    let at_b = measure(dir, &[], &slow);
    assert_eq!(
        comparison(&at_b, "scaled")["verdict"],
        "regressed",
        "{at_b:#}"
    );

    // Bad input, before anything is stored.
    usage_error(&perf(dir, &["accept", "scaled"], &[]), "needs a reason");
    usage_error(
        &perf(dir, &["accept", "scaled", "--reason", " "], &[]),
        "needs a reason",
    );
    usage_error(
        &perf(dir, &["accept", "scalde", "--reason", "x"], &[]),
        "did you mean the test `scaled`?",
    );
    usage_error(
        &perf(dir, &["accept", "zzzzzz", "--reason", "x"], &[]),
        "store-fixture/perf/steady_a",
    );
    let listed = perf(dir, &["accept", "--list"], &[]);
    assert!(
        listed.stdout.contains("no accepted levels"),
        "{}",
        listed.dump()
    );

    let ok = perf(dir, &["accept", "scaled", "--reason", "new algorithm"], &[]);
    assert_eq!(ok.code, 0, "{}", ok.dump());
    let line = format!("store-fixture/perf/scaled: accepted at {}", &b[..7]);
    assert!(ok.stdout.contains(&line), "{}", ok.dump());
    let listed = perf(dir, &["accept", "--list"], &[]);
    assert!(
        listed.stdout.contains(&line) && listed.stdout.contains("new algorithm"),
        "{}",
        listed.dump()
    );

    // `compare A B`: B's own level is the accepted one.
    let ab = compare(dir, &a, &b);
    let scaled = comparison(&ab, "scaled");
    assert_ne!(scaled["verdict"], "regressed", "{ab:#}");
    assert_eq!(scaled["baseline_commit"], b.as_str());
    assert_eq!(scaled["accepted"]["commit"], b.as_str());
    assert_eq!(scaled["accepted"]["reason"], "new algorithm");
    assert_eq!(comparison(&ab, "steady_a")["baseline_commit"], a.as_str());
    assert!(comparison(&ab, "steady_a").get("accepted").is_none());

    // C, still slow, run against the old baseline: `scaled` is judged against B.
    std::fs::write(dir.join("README.md"), "C: docs\n").unwrap();
    let c = commit_all(dir, "C");
    let at_c = measure(dir, &["--baseline", &a], &slow);
    assert_eq!(at_c["baseline"]["commit"], a.as_str());
    let scaled = comparison(&at_c, "scaled");
    assert_ne!(scaled["verdict"], "regressed", "{at_c:#}");
    assert_eq!(scaled["baseline_commit"], b.as_str());
    assert_eq!(scaled["accepted"]["reason"], "new algorithm");
    for steady in ["steady_a", "steady_b", "steady_c"] {
        assert_eq!(comparison(&at_c, steady)["baseline_commit"], a.as_str());
    }
    // The human and Markdown reports say it.
    for format in ["human", "markdown"] {
        let args = [
            "compare",
            &a,
            "HEAD",
            "--fail-on",
            "never",
            "--format",
            format,
        ];
        let run = perf(dir, &args, &[]);
        assert_eq!(run.code, 0, "{}", run.dump());
        assert!(
            run.stdout.contains(&format!("{line}: new algorithm")),
            "{format}: {}",
            run.dump()
        );
    }

    // The acceptance's own record as the baseline: the same figures, still said.
    let bc = compare(dir, &b, &c);
    assert_eq!(comparison(&bc, "scaled")["accepted"]["commit"], b.as_str());

    // `history` marks the accepted commit in the test's series.
    let history = perf(dir, &["history", "scaled"], &[]);
    assert_eq!(history.code, 0, "{}", history.dump());
    let marked = history
        .stdout
        .lines()
        .find(|l| l.contains("✔ accepted: new algorithm"));
    assert!(
        marked.is_some_and(|l| l.trim_start().starts_with(&b[..7])),
        "{}",
        history.dump()
    );

    // Removed: the regression against A is back.
    let removed = perf(dir, &["accept", "scaled", "--remove"], &[]);
    assert_eq!(removed.code, 0, "{}", removed.dump());
    assert!(
        removed.stdout.contains("removed the acceptance"),
        "{}",
        removed.dump()
    );
    let ac = compare(dir, &a, &c);
    let scaled = comparison(&ac, "scaled");
    assert_eq!(scaled["verdict"], "regressed", "{ac:#}");
    assert_eq!(scaled["baseline_commit"], a.as_str());
    assert!(scaled.get("accepted").is_none());

    // `--commit` accepts an older commit's level; `--remove` without a filter removes all.
    let at_a = perf(
        dir,
        &[
            "accept",
            "steady_b",
            "--commit",
            &a[..10],
            "--reason",
            "old level",
        ],
        &[],
    );
    assert_eq!(at_a.code, 0, "{}", at_a.dump());
    let listed = perf(dir, &["accept", "--list"], &[]);
    let want = format!("store-fixture/perf/steady_b: accepted at {}", &a[..7]);
    assert!(listed.stdout.contains(&want), "{}", listed.dump());
    let removed = perf(dir, &["accept", "--remove"], &[]);
    assert_eq!(removed.code, 0, "{}", removed.dump());
    let listed = perf(dir, &["accept", "--list"], &[]);
    assert!(
        listed.stdout.contains("no accepted levels"),
        "{}",
        listed.dump()
    );

    // A commit without a stored record, and a directory outside git.
    std::fs::write(dir.join("README.md"), "D: not measured\n").unwrap();
    commit_all(dir, "D");
    usage_error(
        &perf(dir, &["accept", "scaled", "--reason", "x"], &[]),
        "run `cargo perf`",
    );
    let outside = tempfile::tempdir().unwrap();
    usage_error(
        &perf(outside.path(), &["accept", "--reason", "x"], &[]),
        "not inside a git repository",
    );
}
