//! Baseline choice, saving and notes, on real git repositories and stores in temp dirs
//! (the reports are hand-made: running suites is the e2e tests' job).

use std::fs;

use super::*;
use crate::cli::git::tests::git;
use crate::cli::model::Verdict;
use crate::cli::report::baseline;
use crate::cli::testing;

fn commit(dir: &Path, text: &str) -> String {
    fs::write(dir.join("lib.rs"), text).unwrap();
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", text]);
    git(dir, &["rev-parse", "HEAD"])
}

fn test(name: &str, medians: &[f64]) -> TestReport {
    testing::bench(&format!("pkg/perf/{name}"))
        .processes(medians)
        .build()
}

const STEADY: [f64; 5] = [100.0, 101.0, 99.0, 100.5, 99.5];

fn fp() -> Fingerprint {
    testing::fingerprint("m")
}

/// The default options of a workspace at `root`, its store in `root/.perf`.
fn options_in(root: &std::path::Path, target_dir: Option<std::path::PathBuf>) -> Options {
    Options {
        workspace_root: root.to_path_buf(),
        store_dir: root.join(".perf"),
        target_dir,
        fingerprint: fp(),
        baseline: None,
        save: None,
        compare: CompareOptions::default(),
        force: false,
        noise: BTreeMap::new(),
        scope: crate::cli::fingerprint::Scope::Timing,
    }
}

struct Fixture {
    repo: tempfile::TempDir,
    opts: Options,
}

fn fixture() -> Fixture {
    let repo = tempfile::tempdir().unwrap();
    git(repo.path(), &["init", "-q", "-b", "main"]);
    fs::write(repo.path().join(".gitignore"), "/target\n").unwrap();
    let opts = options_in(repo.path(), Some(repo.path().join("target")));
    Fixture { repo, opts }
}

fn run(opts: &Options, tests: Vec<TestReport>) -> Result<Report, CliError> {
    let mut r = Report::new(fp().machine, tests, Vec::new());
    compare_and_save(&mut r, opts)?;
    Ok(r.finish())
}

fn notes(r: &Report) -> String {
    r.notes.join("\n")
}

/// `opts` with its fingerprint changed by `change`: a record from another compiler, profile...
fn with_fingerprint(opts: &Options, change: impl FnOnce(&mut Fingerprint)) -> Options {
    let mut opts = opts.clone();
    change(&mut opts.fingerprint);
    opts
}

#[test]
fn a_first_run_saves_and_the_next_commit_compares_against_it() {
    let f = fixture();
    let c1 = commit(f.repo.path(), "1");
    let first = run(&f.opts, vec![test("a", &STEADY)]).unwrap();
    assert_eq!(first.commit.as_deref(), Some(c1.as_str()));
    assert_eq!(first.baseline.commit, None);
    assert!(
        notes(&first).contains("not compared: no ancestor"),
        "{}",
        notes(&first)
    );
    assert!(notes(&first).contains("results saved"), "{}", notes(&first));
    assert!(f.repo.path().join(".perf/.gitignore").exists());

    let c2 = commit(f.repo.path(), "2");
    let second = run(&f.opts, vec![test("a", &STEADY), test("b", &STEADY)]).unwrap();
    assert_eq!(second.baseline.commit.as_deref(), Some(c1.as_str()));
    let verdicts: Vec<_> = second
        .tests
        .iter()
        .map(|t| t.comparison.as_ref().unwrap().verdict)
        .collect();
    assert_eq!(verdicts, [Verdict::Unchanged, Verdict::New]);
    assert_eq!((second.summary.unchanged, second.summary.new), (1, 1));
    let store = Store::open(&f.opts.store_dir).unwrap();
    assert_eq!(store.commits("m").len(), 2);
    // Stored records carry no verdicts: those belong to a comparison.
    let saved = store.load("m", &c2).unwrap().unwrap();
    assert!(saved.tests.iter().all(|t| t.comparison.is_none()));
    assert_eq!(saved.branch.as_deref(), Some("main"));
}

#[test]
fn a_dirty_tree_is_compared_with_head_and_not_saved() {
    let f = fixture();
    let c1 = commit(f.repo.path(), "1");
    run(&f.opts, vec![test("a", &STEADY)]).unwrap();
    fs::write(f.repo.path().join("lib.rs"), "edited").unwrap();
    let slower: Vec<f64> = STEADY.iter().map(|m| m * 1.3).collect();
    let r = run(&f.opts, vec![test("a", &slower)]).unwrap();
    assert!(r.dirty);
    assert_eq!(r.baseline.commit.as_deref(), Some(c1.as_str()));
    assert_eq!(
        r.tests[0].comparison.as_ref().unwrap().verdict,
        Verdict::Regressed
    );
    assert!(notes(&r).contains("results not saved: the working tree has uncommitted changes"));
    let store = Store::open(&f.opts.store_dir).unwrap();
    let kept = store.load("m", &c1).unwrap().unwrap();
    assert_eq!(
        kept.tests[0].metrics.median_ns,
        Some(100.0),
        "HEAD's record untouched"
    );

    // --save stores a dirty run anyway, flagged as such.
    let opts = Options {
        save: Some(true),
        ..f.opts.clone()
    };
    run(&opts, vec![test("a", &slower)]).unwrap();
    assert!(store.load("m", &c1).unwrap().unwrap().dirty);
}

#[test]
fn an_explicit_baseline_must_exist_and_be_readable() {
    let f = fixture();
    let c1 = commit(f.repo.path(), "1");
    run(&f.opts, vec![test("a", &STEADY)]).unwrap();
    commit(f.repo.path(), "2");
    commit(f.repo.path(), "3");
    let with = |spec: &str| Options {
        baseline: Some(spec.into()),
        ..f.opts.clone()
    };
    let r = run(&with("HEAD~2"), vec![test("a", &STEADY)]).unwrap();
    assert_eq!(r.baseline.commit.as_deref(), Some(c1.as_str()));
    assert_eq!(r.baseline.reference.as_deref(), Some("HEAD~2"));

    let missing = run(&with("HEAD~1"), vec![test("a", &STEADY)]).unwrap_err();
    assert!(
        missing.message.contains("no stored results for `HEAD~1`"),
        "{}",
        missing.message
    );
    let unknown = run(&with("nope"), vec![test("a", &STEADY)]).unwrap_err();
    assert!(unknown.message.contains("`nope`"), "{}", unknown.message);

    let path = Store::open(&f.opts.store_dir)
        .unwrap()
        .record_path("m", &c1);
    fs::write(&path, "garbage").unwrap();
    let damaged = run(&with(&c1[..10]), vec![test("a", &STEADY)]).unwrap_err();
    assert!(
        damaged.message.contains(&path.display().to_string()),
        "{}",
        damaged.message
    );
}

#[test]
fn the_default_baseline_skips_damaged_and_foreign_records_with_notes() {
    let f = fixture();
    let c1 = commit(f.repo.path(), "1");
    run(&f.opts, vec![test("a", &STEADY)]).unwrap();
    let c2 = commit(f.repo.path(), "2");
    let other_rustc = with_fingerprint(&f.opts, |fp| fp.rustc = "rustc 1.96.0".into());
    run(&other_rustc, vec![test("a", &STEADY)]).unwrap();
    let c3 = commit(f.repo.path(), "3");
    run(&f.opts, vec![test("a", &STEADY)]).unwrap();
    let store = Store::open(&f.opts.store_dir).unwrap();
    fs::write(store.record_path("m", &c3), "{").unwrap();
    commit(f.repo.path(), "4");

    let r = run(
        &Options {
            save: Some(false),
            ..f.opts.clone()
        },
        vec![test("a", &STEADY)],
    )
    .unwrap();
    assert_eq!(r.baseline.commit.as_deref(), Some(c1.as_str()));
    let n = notes(&r);
    assert!(
        n.contains(&store.record_path("m", &c3).display().to_string()),
        "{n}"
    );
    assert!(
        n.contains(&format!("skipped the results of {}", &c2[..7])),
        "{n}"
    );
    assert!(n.contains("rustc: `rustc 1.96.0` vs `rustc 1.95.0`"), "{n}");
}

#[test]
fn a_foreign_explicit_baseline_is_refused_unless_forced() {
    let f = fixture();
    commit(f.repo.path(), "1");
    let other = with_fingerprint(&f.opts, |fp| fp.profile = "release".into());
    run(&other, vec![test("a", &STEADY)]).unwrap();
    commit(f.repo.path(), "2");
    let asked = Options {
        baseline: Some("HEAD~1".into()),
        ..f.opts.clone()
    };
    let err = run(&asked, vec![test("a", &STEADY)]).unwrap_err();
    assert!(
        err.message.contains("profile: `release` vs `bench`"),
        "{}",
        err.message
    );
    assert!(err.help.contains("--force"));
    let forced = Options {
        force: true,
        ..asked
    };
    let r = run(&forced, vec![test("a", &STEADY)]).unwrap();
    assert!(notes(&r).contains("compared across fingerprints (forced)"));
    assert!(r.tests[0].comparison.is_some());
}

#[test]
fn outside_git_nothing_is_saved_or_compared_and_the_report_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let opts = options_in(dir.path(), None);
    let r = run(&opts, vec![test("a", &STEADY)]).unwrap();
    assert_eq!((r.commit.clone(), r.baseline.commit.clone()), (None, None));
    let n = notes(&r);
    assert!(
        n.contains("not compared:") && n.contains("not inside a git repository"),
        "{n}"
    );
    assert!(n.contains("results not saved:"), "{n}");
    assert!(r.tests[0].comparison.is_none());
}

#[test]
fn a_filtered_run_keeps_the_other_tests_of_the_commit() {
    let f = fixture();
    let c1 = commit(f.repo.path(), "1");
    run(&f.opts, vec![test("a", &STEADY), test("b", &STEADY)]).unwrap();
    let faster: Vec<f64> = STEADY.iter().map(|m| m * 0.5).collect();
    run(&f.opts, vec![test("b", &faster)]).unwrap();
    let record = Store::open(&f.opts.store_dir)
        .unwrap()
        .load("m", &c1)
        .unwrap()
        .unwrap();
    let ids: Vec<_> = record.tests.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, ["pkg/perf/a", "pkg/perf/b"]);
    assert_eq!(record.tests[1].metrics.median_ns, Some(50.0));
}

#[test]
fn compare_reads_two_stored_records() {
    let f = fixture();
    let c1 = commit(f.repo.path(), "1");
    run(&f.opts, vec![test("a", &STEADY), test("b", &STEADY)]).unwrap();
    commit(f.repo.path(), "2"); // no results for this one
    let c3 = commit(f.repo.path(), "3");
    let slower: Vec<f64> = STEADY.iter().map(|m| m * 1.3).collect();
    run(&f.opts, vec![test("a", &slower), test("b", &STEADY)]).unwrap();

    let r = compare_stored(&f.opts, None, None).unwrap();
    assert_eq!(r.commit.as_deref(), Some(c3.as_str()));
    assert_eq!(r.baseline.commit.as_deref(), Some(c1.as_str()));
    assert_eq!(
        (r.summary.regressed, r.summary.unchanged, r.summary.total),
        (1, 1, 2)
    );
    let regressed: Vec<_> = r
        .tests
        .iter()
        .filter(|t| t.comparison.as_ref().unwrap().verdict == Verdict::Regressed)
        .map(|t| t.name.as_str())
        .collect();
    assert_eq!(regressed, ["a"]);

    // Short shas and refs both name records; the reverse comparison is an improvement.
    let back = compare_stored(&f.opts, Some(&c3[..8]), Some("HEAD~2")).unwrap();
    assert_eq!(back.summary.improved, 1);
    let err = compare_stored(&f.opts, Some("HEAD~1"), None).unwrap_err();
    assert!(err.message.contains("no stored results"), "{}", err.message);
}

#[test]
fn baseline_list_show_and_rm_work_by_ref_and_prefix() {
    let f = fixture();
    let c1 = commit(f.repo.path(), "1");
    run(&f.opts, vec![test("a", &STEADY)]).unwrap();
    let c2 = commit(f.repo.path(), "2");
    run(&f.opts, vec![test("a", &STEADY), test("b", &STEADY)]).unwrap();
    let store = Store::open(&f.opts.store_dir).unwrap();
    let junk = store.record_path("m", &"f".repeat(40));
    fs::write(&junk, "not json").unwrap();
    let ws = Session::open(&f.opts).unwrap();

    let listed = baseline::list(&ws.store.list(Some("m")), "m", ws.store.dir());
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines.len(), 3, "{listed}");
    // Both runs may fall in the same second: their order is by time, then commit id.
    let line_of = |c: &str| lines.iter().find(|l| l.starts_with(&c[..7])).copied();
    assert!(
        line_of(&c1).unwrap().contains("main  ") && line_of(&c1).unwrap().contains("1 test "),
        "{listed}"
    );
    assert!(line_of(&c2).unwrap().contains("2 tests"), "{listed}");
    assert!(
        lines[2].starts_with("warning: skipped the damaged record")
            && lines[2].contains(&junk.display().to_string())
    );

    let show = |spec: &str| {
        let commit = ws.resolve(spec, "m")?;
        let record = ws.load_required(spec, &commit, "m")?;
        let shown = baseline::show(&record);
        Ok::<_, CliError>((record, shown))
    };
    let (record, shown) = show("HEAD").unwrap();
    assert_eq!(record.commit, c2);
    assert!(shown.contains(&format!("commit   {c2}")), "{shown}");
    assert!(
        shown.contains("pkg/perf/b")
            && shown.contains("median_ns 100 ns")
            && shown.contains("(5 processes)"),
        "{shown}"
    );

    let err = show(&"f".repeat(12)).unwrap_err();
    assert!(
        err.message.contains("damaged") && err.message.contains(&junk.display().to_string()),
        "{}",
        err.message
    );

    let (removed, _) = ws.remove(&c1[..9], "m").unwrap();
    assert_eq!(removed, c1);
    assert!(ws.remove("HEAD~1", "m").is_err());
    assert_eq!(store.commits("m"), [c2, "f".repeat(40)]);
    let nobody = baseline::list(&ws.store.list(Some("nobody")), "nobody", ws.store.dir());
    assert!(nobody.starts_with("no stored results for machine `nobody`"));
}

#[test]
fn an_accepted_level_replaces_an_older_baseline_for_its_test_only() {
    let f = fixture();
    let c1 = commit(f.repo.path(), "1");
    run(&f.opts, vec![test("a", &STEADY), test("b", &STEADY)]).unwrap();
    let c2 = commit(f.repo.path(), "2");
    let slower: Vec<f64> = STEADY.iter().map(|m| m * 1.3).collect();
    run(&f.opts, vec![test("a", &slower), test("b", &STEADY)]).unwrap();
    let store = Store::open(&f.opts.store_dir).unwrap();
    store
        .update_acceptances("m", |l| {
            l.push(Acceptance {
                test: "pkg/perf/a".into(),
                commit: c2.clone(),
                reason: "new algorithm".into(),
                accepted_at: "2026-12-02T15:00:00Z".into(),
            })
        })
        .unwrap();

    commit(f.repo.path(), "3");
    let old_base = Options {
        baseline: Some(c1.clone()),
        ..f.opts.clone()
    };
    let r = run(&old_base, vec![test("a", &slower), test("b", &STEADY)]).unwrap();
    let [a, b] = [0, 1].map(|i| r.tests[i].comparison.clone().unwrap());
    assert_eq!(a.verdict, Verdict::Unchanged, "{:?}", r.notes);
    assert_eq!(a.baseline_commit.as_deref(), Some(c2.as_str()));
    assert_eq!(
        a.accepted,
        Some(Accepted {
            commit: c2.clone(),
            reason: "new algorithm".into()
        })
    );
    assert_eq!(b.baseline_commit.as_deref(), Some(c1.as_str()));
    assert_eq!(b.accepted, None);
    assert_eq!(r.baseline.commit.as_deref(), Some(c1.as_str()));

    // A baseline newer than the acceptance already holds the accepted level.
    commit(f.repo.path(), "4");
    let r = run(&f.opts, vec![test("a", &slower)]).unwrap();
    let a = r.tests[0].comparison.clone().unwrap();
    assert_ne!(a.baseline_commit.as_deref(), Some(c2.as_str()));
    assert_eq!(a.accepted, None);
}
