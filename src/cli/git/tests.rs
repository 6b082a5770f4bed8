//! git behaviour on real repositories built with the `git` command line in temp dirs.

use std::fs;
use std::process::Command;

use super::*;

/// Runs `git args` in `dir` with a fixed identity; panics with git's output on failure.
/// Shared with the other git-backed unit tests.
pub(crate) fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn commit(dir: &Path, file: &str, text: &str) -> String {
    fs::write(dir.join(file), text).unwrap();
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", &format!("edit {file}")]);
    git(dir, &["rev-parse", "HEAD"])
}

fn repo() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    git(tmp.path(), &["init", "-q", "-b", "main"]);
    fs::write(tmp.path().join(".gitignore"), "/target\n").unwrap();
    tmp
}

#[test]
fn outside_git_there_is_no_commit_and_a_reason() {
    let tmp = tempfile::tempdir().unwrap();
    assert!(Git::discover(tmp.path()).unwrap().is_none());
    let ctx = inspect(tmp.path(), &[]);
    assert_eq!(ctx.commit, None);
    assert!(!ctx.dirty);
    assert!(ctx
        .no_commit_reason
        .unwrap()
        .contains("not inside a git repository"));
}

#[test]
fn an_unborn_branch_has_a_name_but_no_commit() {
    let tmp = repo();
    let ctx = inspect(tmp.path(), &[]);
    assert_eq!(ctx.commit, None);
    assert_eq!(ctx.branch.as_deref(), Some("main"));
    assert!(ctx.dirty, "the untracked .gitignore counts");
    assert!(ctx
        .no_commit_reason
        .unwrap()
        .contains("`main` has no commits yet"));
}

#[test]
fn head_branch_and_refs_resolve() {
    let tmp = repo();
    let c1 = commit(tmp.path(), "a.rs", "1");
    let c2 = commit(tmp.path(), "a.rs", "2");
    git(tmp.path(), &["tag", "v1", &c1]);
    let g = Git::discover(tmp.path()).unwrap().unwrap();
    assert_eq!(g.head().unwrap().as_deref(), Some(c2.as_str()));
    assert_eq!(g.branch().as_deref(), Some("main"));
    assert_eq!(g.resolve("HEAD~1").unwrap(), c1);
    assert_eq!(g.resolve("v1").unwrap(), c1);
    assert_eq!(g.resolve(&c2[..8]).unwrap(), c2);
    assert_eq!(g.resolve("main").unwrap(), c2);
    let err = g.resolve("no-such-branch").unwrap_err();
    assert!(err.message.contains("`no-such-branch`"), "{}", err.message);
    assert!(err.help.contains("git log"));
    assert_eq!(g.summary(&c2).as_deref(), Some("edit a.rs"));
}

#[test]
fn dirtiness_counts_what_cargo_would_build_only() {
    let tmp = repo();
    commit(tmp.path(), "a.rs", "1");
    let clean = || inspect(tmp.path(), &[]).dirty;
    assert!(!clean());

    // Ignored build output does not count.
    fs::create_dir_all(tmp.path().join("target/debug")).unwrap();
    fs::write(tmp.path().join("target/debug/x"), "bin").unwrap();
    assert!(!clean());

    // A self-ignoring store does not count, nor an excluded directory.
    let store = tmp.path().join(".perf");
    fs::create_dir_all(&store).unwrap();
    fs::write(store.join(".gitignore"), "*\n").unwrap();
    fs::write(store.join("r.json"), "{}").unwrap();
    assert!(!clean());
    let other_store = tmp.path().join("results");
    fs::create_dir_all(&other_store).unwrap();
    fs::write(other_store.join("r.json"), "{}").unwrap();
    assert!(clean());
    assert!(!inspect(tmp.path(), &[&other_store]).dirty);
    fs::remove_dir_all(&other_store).unwrap();

    // An untracked source file counts; so does an edit to a tracked one.
    fs::write(tmp.path().join("new.rs"), "fn f() {}").unwrap();
    assert!(clean());
    fs::remove_file(tmp.path().join("new.rs")).unwrap();
    fs::write(tmp.path().join("a.rs"), "changed").unwrap();
    assert!(clean());
}

#[test]
fn detached_head_still_has_its_commit() {
    let tmp = repo();
    let c1 = commit(tmp.path(), "a.rs", "1");
    commit(tmp.path(), "a.rs", "2");
    git(tmp.path(), &["checkout", "-q", "--detach", &c1]);
    let ctx = inspect(tmp.path(), &[]);
    assert_eq!(ctx.commit.as_deref(), Some(c1.as_str()));
    assert!(ctx.detached);
    assert_eq!(ctx.branch, None);
    assert_eq!(ctx.no_commit_reason, None);
}

/// main: c1, c2, then `side` branches off with one commit, main gets c3, and `side` is merged
/// with `--no-ff`: the commits `[c1, c2, side, c3, merge]`.
fn merged_side_branch() -> (tempfile::TempDir, [String; 5]) {
    let tmp = repo();
    let c1 = commit(tmp.path(), "a.rs", "1");
    let c2 = commit(tmp.path(), "a.rs", "2");
    git(tmp.path(), &["checkout", "-q", "-b", "side"]);
    let side = commit(tmp.path(), "b.rs", "side");
    git(tmp.path(), &["checkout", "-q", "main"]);
    let c3 = commit(tmp.path(), "a.rs", "3");
    git(
        tmp.path(),
        &["merge", "-q", "--no-ff", "-m", "merge", "side"],
    );
    let merge = git(tmp.path(), &["rev-parse", "HEAD"]);
    (tmp, [c1, c2, side, c3, merge])
}

#[test]
fn the_default_baseline_follows_first_parents_only() {
    let (tmp, [c1, c2, side, c3, merge]) = merged_side_branch();
    let g = Git::discover(tmp.path()).unwrap().unwrap();

    assert_eq!(
        g.first_parents(&merge, 10).unwrap(),
        [merge.clone(), c3.clone(), c2.clone(), c1.clone()]
    );
    assert_eq!(
        g.first_parents(&merge, 2).unwrap(),
        [merge.clone(), c3.clone()]
    );
    // The side branch's commit has a record but is not on the first-parent chain.
    let stored = [side.clone(), c1.clone()];
    let has = |c: &str| stored.iter().any(|s| s == c);
    assert_eq!(
        g.ancestors_with_record(&merge, false, 100, has).unwrap(),
        std::slice::from_ref(&c1)
    );
    // HEAD itself is a candidate only when asked (a dirty tree).
    let stored_head = [merge.clone(), c2.clone()];
    let has_head = |c: &str| stored_head.iter().any(|s| s == c);
    assert_eq!(
        g.ancestors_with_record(&merge, false, 100, has_head)
            .unwrap(),
        std::slice::from_ref(&c2)
    );
    assert_eq!(
        g.ancestors_with_record(&merge, true, 100, has_head)
            .unwrap(),
        [merge.clone(), c2.clone()]
    );
    assert!(g
        .ancestors_with_record(&merge, false, 100, |_| false)
        .unwrap()
        .is_empty());
    assert_eq!(g.merge_base(&side, &c3).unwrap(), Some(c2));
}

#[test]
fn worktrees_report_their_own_head() {
    let tmp = repo();
    let c1 = commit(tmp.path(), "a.rs", "1");
    commit(tmp.path(), "a.rs", "2");
    let wt = tempfile::tempdir().unwrap();
    let wt_path = wt.path().join("wt");
    git(
        tmp.path(),
        &[
            "worktree",
            "add",
            "-q",
            "--detach",
            wt_path.to_str().unwrap(),
            &c1,
        ],
    );
    let ctx = inspect(&wt_path, &[]);
    assert_eq!(ctx.commit.as_deref(), Some(c1.as_str()));
    assert!(!ctx.dirty);
    let g = Git::discover(&wt_path).unwrap().unwrap();
    assert_eq!(g.workdir(), wt_path.canonicalize().unwrap());
}

#[test]
fn a_shallow_clone_walks_to_its_boundary() {
    let tmp = repo();
    commit(tmp.path(), "a.rs", "1");
    let c2 = commit(tmp.path(), "a.rs", "2");
    let c3 = commit(tmp.path(), "a.rs", "3");
    let clone = tempfile::tempdir().unwrap();
    let url = format!("file://{}", tmp.path().display());
    git(clone.path(), &["clone", "-q", "--depth", "2", &url, "c"]);
    let dir = clone.path().join("c");
    let ctx = inspect(&dir, &[]);
    assert!(ctx.shallow);
    assert_eq!(ctx.commit.as_deref(), Some(c3.as_str()));
    let g = Git::discover(&dir).unwrap().unwrap();
    assert_eq!(g.first_parents(&c3, 10).unwrap(), [c3, c2]);
}

#[test]
fn an_untracked_workspace_lockfile_is_not_a_change_but_one_git_knows_of_is() {
    let tmp = repo();
    commit(tmp.path(), "Cargo.toml", "[package]\n");
    let ctx = || inspect(tmp.path(), &[]);
    // The build writes the lockfile a library does not commit: still the commit's tree.
    fs::write(tmp.path().join("Cargo.lock"), "# generated\n").unwrap();
    assert!(!ctx().dirty, "{:?}", ctx());
    // A lockfile anywhere else was not written by this workspace's build.
    fs::create_dir_all(tmp.path().join("nested")).unwrap();
    fs::write(tmp.path().join("nested/Cargo.lock"), "# other\n").unwrap();
    assert_eq!(ctx().dirty_paths, ["nested/Cargo.lock"]);
    fs::remove_dir_all(tmp.path().join("nested")).unwrap();
    // Staged, it is a change the user is about to commit.
    git(tmp.path(), &["add", "Cargo.lock"]);
    assert_eq!(ctx().dirty_paths, ["Cargo.lock"]);
    // Committed and then edited (or deleted and rewritten), it is a change too.
    git(tmp.path(), &["commit", "-q", "-m", "lock"]);
    assert!(!ctx().dirty);
    fs::write(tmp.path().join("Cargo.lock"), "# re-resolved\n").unwrap();
    assert_eq!(ctx().dirty_paths, ["Cargo.lock"]);
    git(tmp.path(), &["rm", "-q", "--cached", "Cargo.lock"]);
    assert_eq!(ctx().dirty_paths, ["Cargo.lock"]);
}

#[test]
fn a_dirty_tree_names_its_first_paths_and_counts_the_rest() {
    let tmp = repo();
    commit(tmp.path(), "a.rs", "1");
    let ctx = inspect(tmp.path(), &[]);
    assert_eq!((ctx.dirty_count, ctx.dirty_summary()), (0, String::new()));
    fs::write(tmp.path().join("a.rs"), "2").unwrap();
    for name in ["b.rs", "c.rs", "d.rs", "e.rs"] {
        fs::write(tmp.path().join(name), "new").unwrap();
    }
    let ctx = inspect(tmp.path(), &[]);
    assert!(ctx.dirty);
    assert_eq!(ctx.dirty_count, 5);
    assert_eq!(ctx.dirty_paths.len(), DIRTY_PATHS_SHOWN);
    assert_eq!(ctx.dirty_summary(), "a.rs, b.rs, c.rs and 2 more");
    assert_eq!(
        ctx.uncommitted_changes(),
        "the working tree has uncommitted changes (a.rs, b.rs, c.rs and 2 more); \
         commit them, or pass --save"
    );
}

#[test]
fn notes_round_trip_through_a_remote_and_a_diverged_push_is_rejected_not_failed() {
    let tmp = tempfile::tempdir().unwrap();
    let remote = tmp.path().join("remote.git");
    fs::create_dir_all(&remote).unwrap();
    git(&remote, &["init", "-q", "--bare", "-b", "main"]);
    let a = repo();
    let c = commit(a.path(), "f", "1");
    git(
        a.path(),
        &["remote", "add", "origin", remote.to_str().unwrap()],
    );
    git(a.path(), &["push", "-q", "origin", "main"]);
    git(tmp.path(), &["clone", "-q", remote.to_str().unwrap(), "b"]);
    let (ga, gb) = (
        Git::discover(a.path()).unwrap().unwrap(),
        Git::discover(&tmp.path().join("b")).unwrap().unwrap(),
    );
    let notes_ref = "refs/notes/test";
    assert!(!ga.remote_has_ref("origin", notes_ref).unwrap());
    assert_eq!(ga.fetch_ref("origin", notes_ref, "refs/t/x").unwrap(), None);

    let notes = BTreeMap::from([(c.clone(), b"from a".to_vec())]);
    ga.write_notes(notes_ref, None, &notes, "a").unwrap();
    assert_eq!(ga.push_ref("origin", notes_ref).unwrap(), Pushed::Done);
    // git itself reads the flat notes tree.
    assert_eq!(git(&remote, &["notes", "--ref=test", "show", &c]), "from a");

    // B's notes do not descend from the remote's: refused, as a value to retry on.
    let other = BTreeMap::from([(c.clone(), b"from b".to_vec())]);
    gb.write_notes(notes_ref, None, &other, "b").unwrap();
    assert!(matches!(
        gb.push_ref("origin", notes_ref).unwrap(),
        Pushed::Rejected(_)
    ));
    let tip = gb
        .fetch_ref("origin", notes_ref, "refs/t/x")
        .unwrap()
        .unwrap();
    assert_eq!(gb.read_notes(tip).unwrap(), notes);

    let err = gb.push_ref("nowhere", notes_ref).unwrap_err();
    assert_eq!(err.kind, crate::cli::errors::ErrorKind::Usage);
    assert!(err.message.contains("origin"), "{}", err.message);
}

#[test]
fn the_bisect_range_is_bad_s_first_parents_back_to_good() {
    let (tmp, [good, c2, side, c3, merge]) = merged_side_branch();
    let g = Git::discover(tmp.path()).unwrap().unwrap();

    // Oldest first, BAD included, GOOD excluded, the merged side branch not walked.
    assert_eq!(
        g.first_parent_range(&good, &merge).unwrap(),
        Some(vec![c2.clone(), c3.clone(), merge.clone()])
    );
    // GOOD on a merged branch: the walk stops at the first commit GOOD descends from.
    assert_eq!(
        g.first_parent_range(&side, &merge).unwrap(),
        Some(vec![c3.clone(), merge.clone()])
    );
    // Not an ancestor, or the same commit: nothing to search.
    assert_eq!(g.first_parent_range(&merge, &good).unwrap(), None);
    assert_eq!(g.first_parent_range(&side, &c3).unwrap(), None);
    assert_eq!(g.first_parent_range(&c2, &c2).unwrap(), None);
}
