//! The base side of an A/B run: resolve `BASE_REF` (a branch, tag, sha, `merge-base:<ref>`)
//! with git2 and write that commit's tree into a directory under the target directory, reused
//! when it is already there. The user's repository, index and worktree are never touched.

use std::fs;
use std::path::{Path, PathBuf};

use crate::cli::errors::CliError;
use crate::cli::git::Git;

/// Prefix of a base ref meaning "the merge-base of HEAD and this ref".
pub const MERGE_BASE_PREFIX: &str = "merge-base:";

/// Written last into a finished checkout, so a half-written one is never reused.
const COMPLETE_MARKER: &str = ".cargo-perf-ab-complete";

/// The base commit an A/B run compares against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedBase {
    /// What the user wrote (`main`, `merge-base:origin/main`, `v1.2`, `3f2a..`).
    pub reference: String,
    pub commit: String,
    /// Set when the commit is a merge-base: the ref it was computed with.
    pub merge_base_of: Option<String>,
}

/// Resolve `spec` to a commit. `merge_base` (the `--merge-base` flag) or a `merge-base:` prefix
/// asks for the merge-base of HEAD and the ref instead of the ref itself.
pub fn resolve_base(git: &Git, spec: &str, merge_base: bool) -> Result<ResolvedBase, CliError> {
    let (name, merge_base) = match spec.strip_prefix(MERGE_BASE_PREFIX) {
        Some(rest) => (rest, true),
        None => (spec, merge_base),
    };
    if name.is_empty() {
        return Err(CliError::git(
            format!("the base ref `{spec}` names no ref"),
            "give a branch, tag or commit, e.g. `cargo perf ab main` or `cargo perf ab merge-base:origin/main`",
        ));
    }
    let commit = git.resolve(name)?;
    if !merge_base {
        return Ok(ResolvedBase {
            reference: spec.to_string(),
            commit,
            merge_base_of: None,
        });
    }
    let head = git.resolve("HEAD")?;
    let base = git.merge_base(&head, &commit)?.ok_or_else(|| {
        CliError::git(
            format!("HEAD and `{name}` have no common ancestor"),
            "compare against a ref that shares history with HEAD (in a shallow clone, fetch more: `git fetch --unshallow`)",
        )
    })?;
    Ok(ResolvedBase {
        reference: spec.to_string(),
        commit: base,
        merge_base_of: Some(name.to_string()),
    })
}

/// Where the checkout of `commit` lives under `target_dir`.
pub fn checkout_dir(target_dir: &Path, commit: &str) -> PathBuf {
    target_dir.join("cargo-perf").join("ab").join(commit)
}

/// A checkout of the base commit's tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseCheckout {
    pub dir: PathBuf,
    /// `false` when an earlier run's complete checkout was reused.
    pub fresh: bool,
}

/// Write `commit`'s tree to `checkout_dir(target_dir, commit)`, or reuse a complete one.
/// The tree is written to a temporary sibling first and renamed, so an interrupted run leaves
/// nothing that looks finished.
pub fn checkout(git: &Git, commit: &str, target_dir: &Path) -> Result<BaseCheckout, CliError> {
    let dir = checkout_dir(target_dir, commit);
    if is_complete(&dir, commit) {
        return Ok(BaseCheckout { dir, fresh: false });
    }
    let io = |what: &str, path: &Path, e: std::io::Error| {
        CliError::git(
            format!("could not {what} {}: {e}", path.display()),
            "check that the target directory is writable (or set CARGO_TARGET_DIR)",
        )
    };
    let parent = dir.parent().expect("checkout_dir always has a parent");
    fs::create_dir_all(parent).map_err(|e| io("create", parent, e))?;
    let tmp = parent.join(format!("{commit}.tmp-{}", std::process::id()));
    if tmp.exists() {
        fs::remove_dir_all(&tmp).map_err(|e| io("remove", &tmp, e))?;
    }
    fs::create_dir_all(&tmp).map_err(|e| io("create", &tmp, e))?;

    git.write_tree_to(commit, &tmp).inspect_err(|_| {
        let _ = fs::remove_dir_all(&tmp);
    })?;
    fs::write(tmp.join(COMPLETE_MARKER), commit).map_err(|e| io("write into", &tmp, e))?;

    if dir.exists() {
        // An incomplete leftover from an interrupted run.
        fs::remove_dir_all(&dir).map_err(|e| io("remove", &dir, e))?;
    }
    match fs::rename(&tmp, &dir) {
        Ok(()) => Ok(BaseCheckout { dir, fresh: true }),
        // Another `cargo perf ab` finished the same checkout first: use theirs.
        Err(_) if is_complete(&dir, commit) => {
            let _ = fs::remove_dir_all(&tmp);
            Ok(BaseCheckout { dir, fresh: false })
        }
        Err(e) => Err(io("move the checkout to", &dir, e)),
    }
}

fn is_complete(dir: &Path, commit: &str) -> bool {
    fs::read_to_string(dir.join(COMPLETE_MARKER)).is_ok_and(|c| c.trim() == commit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use git2::{Oid, Repository, Signature, Status, StatusOptions};

    /// A real repository: `main` with two commits, a branch `feature` with one more, a tag.
    struct Fixture {
        dir: tempfile::TempDir,
        repo: Repository,
        git: Git,
        first: Oid,
        second: Oid,
        feature: Oid,
    }

    fn commit_file(repo: &Repository, path: &str, content: &str, message: &str) -> Oid {
        let root = repo.workdir().unwrap().to_path_buf();
        let full = root.join(path);
        fs::create_dir_all(full.parent().unwrap()).unwrap();
        fs::write(&full, content).unwrap();
        let mut index = repo.index().unwrap();
        index.add_path(Path::new(path)).unwrap();
        index.write().unwrap();
        let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
        let sig = Signature::now("t", "t@example.invalid").unwrap();
        let parents: Vec<git2::Commit> = repo
            .head()
            .ok()
            .and_then(|h| h.peel_to_commit().ok())
            .into_iter()
            .collect();
        let parents: Vec<&git2::Commit> = parents.iter().collect();
        repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)
            .unwrap()
    }

    fn fixture() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        repo.set_head("refs/heads/main").unwrap();
        let first = commit_file(&repo, "src/lib.rs", "pub fn f() -> u32 { 1 }\n", "first");
        let second = commit_file(&repo, "src/lib.rs", "pub fn f() -> u32 { 2 }\n", "second");
        repo.tag_lightweight("v1", &repo.find_object(first, None).unwrap(), false)
            .unwrap();
        // `feature` branches off `first` and adds a file; HEAD stays on main.
        repo.branch("feature", &repo.find_commit(first).unwrap(), false)
            .unwrap();
        repo.set_head("refs/heads/feature").unwrap();
        repo.checkout_head(Some(git2::build::CheckoutBuilder::new().force()))
            .unwrap();
        let feature = commit_file(&repo, "docs/notes.md", "notes\n", "feature");
        repo.set_head("refs/heads/main").unwrap();
        repo.checkout_head(Some(
            git2::build::CheckoutBuilder::new()
                .force()
                .remove_untracked(true),
        ))
        .unwrap();
        let git = Git::discover(dir.path()).unwrap().unwrap();
        Fixture {
            dir,
            repo,
            git,
            first,
            second,
            feature,
        }
    }

    #[test]
    fn resolves_branches_tags_shas_and_relative_refs() {
        let f = fixture();
        let r = |s: &str| resolve_base(&f.git, s, false).unwrap().commit;
        assert_eq!(r("main"), f.second.to_string());
        assert_eq!(r("HEAD"), f.second.to_string());
        assert_eq!(r("HEAD~1"), f.first.to_string());
        assert_eq!(r("v1"), f.first.to_string());
        assert_eq!(r("feature"), f.feature.to_string());
        assert_eq!(r(&f.first.to_string()[..10]), f.first.to_string());
    }

    #[test]
    fn merge_base_by_prefix_or_flag() {
        let f = fixture();
        let by_prefix = resolve_base(&f.git, "merge-base:feature", false).unwrap();
        assert_eq!(by_prefix.commit, f.first.to_string());
        assert_eq!(by_prefix.merge_base_of.as_deref(), Some("feature"));
        assert_eq!(by_prefix.reference, "merge-base:feature");
        let by_flag = resolve_base(&f.git, "feature", true).unwrap();
        assert_eq!(by_flag.commit, f.first.to_string());
    }

    #[test]
    fn an_unknown_ref_is_an_error_naming_it() {
        let f = fixture();
        let e = resolve_base(&f.git, "no-such-branch", false).unwrap_err();
        assert!(e.message.contains("`no-such-branch`"), "{e}");
        assert!(e.to_string().starts_with("error: ") && e.to_string().contains("\nhelp: "));
        let e = resolve_base(&f.git, "merge-base:", false).unwrap_err();
        assert!(e.message.contains("names no ref"), "{e}");
        let e = resolve_base(&f.git, "merge-base:nope", false).unwrap_err();
        assert!(e.message.contains("`nope`"), "{e}");
    }

    #[test]
    fn a_tree_is_a_clear_error() {
        let f = fixture();
        let tree = f.repo.find_commit(f.first).unwrap().tree_id().to_string();
        let e = resolve_base(&f.git, &tree, false).unwrap_err();
        assert!(e.message.contains("not a commit"), "{e}");
    }

    #[test]
    fn outside_git_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        // `ab` refuses to start without one (`commands::ab`); git says there is none.
        assert!(Git::discover(dir.path()).unwrap().is_none());
    }

    #[test]
    fn checkout_writes_the_tree_and_leaves_the_repository_alone() {
        let f = fixture();
        // A dirty, uncommitted change in the user's worktree must survive untouched.
        let lib = f.dir.path().join("src/lib.rs");
        fs::write(&lib, "pub fn f() -> u32 { 42 }\n").unwrap();
        let target = f.dir.path().join("target");
        let c = checkout(&f.git, &f.first.to_string(), &target).unwrap();
        assert!(c.fresh);
        assert_eq!(c.dir, checkout_dir(&target, &f.first.to_string()));
        assert_eq!(
            fs::read_to_string(c.dir.join("src/lib.rs")).unwrap(),
            "pub fn f() -> u32 { 1 }\n"
        );
        assert!(!c.dir.join("docs").exists());
        assert_eq!(
            fs::read_to_string(&lib).unwrap(),
            "pub fn f() -> u32 { 42 }\n"
        );
        assert_eq!(
            f.repo.head().unwrap().peel_to_commit().unwrap().id(),
            f.second
        );
        let mut opts = StatusOptions::new();
        opts.include_untracked(false);
        let statuses = f.repo.statuses(Some(&mut opts)).unwrap();
        let changed: Vec<(String, Status)> = statuses
            .iter()
            .map(|s| (s.path().unwrap().to_string(), s.status()))
            .collect();
        assert_eq!(
            changed,
            vec![("src/lib.rs".to_string(), Status::WT_MODIFIED)]
        );
    }

    #[test]
    fn a_complete_checkout_is_reused_and_a_partial_one_replaced() {
        let f = fixture();
        let target = f.dir.path().join("target");
        let sha = f.feature.to_string();
        assert!(checkout(&f.git, &sha, &target).unwrap().fresh);
        let again = checkout(&f.git, &sha, &target).unwrap();
        assert!(!again.fresh);
        assert!(again.dir.join("docs/notes.md").exists());

        // An interrupted run: the directory exists but the marker does not.
        fs::remove_file(again.dir.join(COMPLETE_MARKER)).unwrap();
        fs::write(again.dir.join("stray.txt"), "half-written").unwrap();
        let redone = checkout(&f.git, &sha, &target).unwrap();
        assert!(redone.fresh);
        assert!(!redone.dir.join("stray.txt").exists());
        assert!(redone.dir.join("docs/notes.md").exists());
    }

    #[test]
    fn different_commits_get_different_directories() {
        let f = fixture();
        let target = f.dir.path().join("target");
        let a = checkout(&f.git, &f.first.to_string(), &target).unwrap();
        let b = checkout(&f.git, &f.second.to_string(), &target).unwrap();
        assert_ne!(a.dir, b.dir);
        assert_eq!(
            fs::read_to_string(b.dir.join("src/lib.rs")).unwrap(),
            "pub fn f() -> u32 { 2 }\n"
        );
    }
}
