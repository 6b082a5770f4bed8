//! What git says about the workspace (libgit2 through `git2`): HEAD's commit and branch,
//! whether the tree is dirty, ref resolution, and the default baseline. Every unusual state
//! (outside git, unborn, detached, shallow, bare) is an answer with a reason, not a failure.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use git2::{ErrorCode, Oid, Repository, StatusOptions};

use crate::cli::errors::CliError;

fn git_error(what: String, err: &git2::Error) -> CliError {
    CliError::git(
        format!("{what}: {}", err.message()),
        "check the repository with `git status`",
    )
}

/// The state of the workspace's repository, as a run needs it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    /// HEAD's full commit id; `None` outside git or on an unborn branch.
    pub commit: Option<String>,
    pub dirty: bool,
    /// The first few paths that make the tree dirty (at most [`DIRTY_PATHS_SHOWN`]),
    /// relative to the repository's root, and how many there are in all.
    pub dirty_paths: Vec<String>,
    pub dirty_count: usize,
    /// The checked-out branch; `None` when detached or outside git.
    pub branch: Option<String>,
    pub detached: bool,
    pub shallow: bool,
    /// Why results cannot be keyed by a commit, when they cannot.
    pub no_commit_reason: Option<String>,
}

/// How many of the paths that make a tree dirty a note names.
pub const DIRTY_PATHS_SHOWN: usize = 3;

impl Context {
    /// The paths that make the tree dirty, for a note: `a.rs, b.rs, c.rs and 3 more`;
    /// empty when the tree is clean or its state could not be read.
    pub fn dirty_summary(&self) -> String {
        let mut out = self.dirty_paths.join(", ");
        let rest = self.dirty_count.saturating_sub(self.dirty_paths.len());
        if rest > 0 {
            out.push_str(&format!(" and {rest} more"));
        }
        out
    }

    /// Why a dirty tree's results are not saved by default, naming what makes it dirty:
    /// `the working tree has uncommitted changes (src/lib.rs and 2 more); commit them, or pass --save`.
    pub fn uncommitted_changes(&self) -> String {
        let paths = self.dirty_summary();
        let paths = if paths.is_empty() {
            String::new()
        } else {
            format!(" ({paths})")
        };
        format!("the working tree has uncommitted changes{paths}; commit them, or pass --save")
    }
}

/// The paths that make a working tree dirty: the first few and the total.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DirtyPaths {
    pub first: Vec<String>,
    pub count: usize,
}

/// An open repository with a working tree.
pub struct Git {
    repo: Repository,
    workdir: PathBuf,
}

impl Git {
    /// The repository containing `dir`; `Ok(None)` outside git. A bare repository has no
    /// working tree to measure, so it counts as outside.
    pub fn discover(dir: &Path) -> Result<Option<Git>, CliError> {
        match Repository::discover(dir) {
            Ok(repo) => {
                let Some(workdir) = repo.workdir().map(Path::to_path_buf) else {
                    return Ok(None);
                };
                let workdir = workdir.canonicalize().unwrap_or(workdir);
                Ok(Some(Git { repo, workdir }))
            }
            Err(e) if e.code() == ErrorCode::NotFound => Ok(None),
            Err(e) => Err(git_error(
                format!("could not open the git repository at {}", dir.display()),
                &e,
            )),
        }
    }

    pub fn workdir(&self) -> &Path {
        &self.workdir
    }

    /// HEAD's commit id, `None` on an unborn branch.
    pub fn head(&self) -> Result<Option<String>, CliError> {
        match self.repo.head() {
            Ok(r) => match r.peel_to_commit() {
                Ok(c) => Ok(Some(c.id().to_string())),
                Err(e) => Err(git_error("HEAD does not point at a commit".into(), &e)),
            },
            Err(e) if matches!(e.code(), ErrorCode::UnbornBranch | ErrorCode::NotFound) => Ok(None),
            Err(e) => Err(git_error("could not read HEAD".into(), &e)),
        }
    }

    /// The branch HEAD is on (also on an unborn branch); `None` when detached.
    pub fn branch(&self) -> Option<String> {
        if self.repo.head_detached().unwrap_or(false) {
            return None;
        }
        let head = self.repo.find_reference("HEAD").ok()?;
        let target = head.symbolic_target()?;
        Some(
            target
                .strip_prefix("refs/heads/")
                .unwrap_or(target)
                .to_owned(),
        )
    }

    /// What makes the tree dirty, naming the first `shown` paths: tracked files that differ
    /// from HEAD, and untracked files that are not ignored (cargo would build them). Paths
    /// under `exclude` (the store, the target directory) never count.
    ///
    /// `generated` lists files that the build itself writes when they are missing: such a
    /// file counts only when git knows of it (tracked, staged, or deleted from HEAD), never
    /// while it is merely untracked. That is the workspace's `Cargo.lock` in a library
    /// repository that does not commit it: cargo creates it on the first build, and the tree
    /// is still the commit's.
    pub fn dirty_paths(
        &self,
        exclude: &[&Path],
        generated: &[PathBuf],
        shown: usize,
    ) -> Result<DirtyPaths, CliError> {
        let mut opts = StatusOptions::new();
        opts.include_untracked(true)
            .recurse_untracked_dirs(true)
            .include_ignored(false)
            .exclude_submodules(true);
        let statuses = self
            .repo
            .statuses(Some(&mut opts))
            .map_err(|e| git_error("could not read the working tree's status".into(), &e))?;
        let canonical = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
        let excluded: Vec<PathBuf> = exclude.iter().map(|p| canonical(p)).collect();
        let generated: Vec<PathBuf> = generated.iter().map(|p| canonical(p)).collect();
        let mut out = DirtyPaths::default();
        for entry in statuses.iter() {
            let status = entry.status();
            if status.is_ignored() {
                continue;
            }
            // A non-UTF-8 path is still a change.
            let shown_path = String::from_utf8_lossy(entry.path_bytes()).into_owned();
            if let Some(path) = entry.path() {
                let full = self.workdir.join(path);
                if excluded.iter().any(|ex| full.starts_with(ex)) {
                    continue;
                }
                // Exactly "new in the worktree": not in the index, hence not in HEAD either
                // (a lockfile deleted from HEAD and rewritten is INDEX_DELETED | WT_NEW).
                if status == git2::Status::WT_NEW && generated.contains(&full) {
                    continue;
                }
            }
            out.count += 1;
            if out.first.len() < shown {
                out.first.push(shown_path);
            }
        }
        Ok(out)
    }

    /// The commit a ref, tag, short sha or revision expression (`HEAD~2`) names.
    pub fn resolve(&self, spec: &str) -> Result<String, CliError> {
        let object = self.repo.revparse_single(spec).map_err(|e| {
            CliError::git(
                format!(
                    "`{spec}` is not a commit, branch or tag of this repository ({})",
                    e.message()
                ),
                "name a branch, a tag or a commit id (see `git log --oneline`; for a remote \
                 branch, `git fetch` it first, e.g. `origin/main`)",
            )
        })?;
        let commit = object.peel_to_commit().map_err(|_| {
            CliError::git(
                format!(
                    "`{spec}` names a {}, not a commit",
                    object.kind().map_or("object", |k| k.str())
                ),
                "name a branch, a tag or a commit id (see `git log --oneline`)",
            )
        })?;
        Ok(commit.id().to_string())
    }

    /// The best common ancestor of two commits, if they share history.
    pub fn merge_base(&self, a: &str, b: &str) -> Result<Option<String>, CliError> {
        let (a, b) = (self.oid(a)?, self.oid(b)?);
        match self.repo.merge_base(a, b) {
            Ok(oid) => Ok(Some(oid.to_string())),
            Err(e) if e.code() == ErrorCode::NotFound => Ok(None),
            Err(e) => Err(git_error("could not compute the merge base".into(), &e)),
        }
    }

    /// `from` and its first-parent ancestors, nearest first, at most `limit` of them. The
    /// walk ends quietly at a root commit or at a shallow clone's boundary.
    pub fn first_parents(&self, from: &str, limit: usize) -> Result<Vec<String>, CliError> {
        let mut out = Vec::new();
        let mut commit = self
            .repo
            .find_commit(self.oid(from)?)
            .map_err(|e| git_error(format!("commit {from} is not in this repository"), &e))?;
        while out.len() < limit {
            out.push(commit.id().to_string());
            match commit.parent(0) {
                Ok(parent) => commit = parent,
                Err(_) => break, // root, or a parent cut off by a shallow clone
            }
        }
        Ok(out)
    }

    /// The first-parent commits after `good` up to `bad` (included), oldest first: `bad`,
    /// its first parent, and so on until a commit that is `good` or one of its ancestors (a
    /// merge can bring `good` in through a second parent). `None` when `good` is not an
    /// ancestor of `bad`.
    pub fn first_parent_range(
        &self,
        good: &str,
        bad: &str,
    ) -> Result<Option<Vec<String>>, CliError> {
        let (good_oid, bad_oid) = (self.oid(good)?, self.oid(bad)?);
        let is_ancestor = |a: Oid, of: Oid| -> Result<bool, CliError> {
            if a == of {
                return Ok(true);
            }
            (self.repo.graph_descendant_of(of, a))
                .map_err(|e| git_error("could not walk the history".into(), &e))
        };
        if good_oid == bad_oid || !is_ancestor(good_oid, bad_oid)? {
            return Ok(None);
        }
        let mut out = Vec::new();
        for commit in self.first_parents(bad, usize::MAX)? {
            let oid = self.oid(&commit)?;
            if is_ancestor(oid, good_oid)? {
                break;
            }
            out.push(commit);
        }
        out.reverse();
        Ok(Some(out))
    }

    /// The first-parent ancestors of `from` for which `has_record` holds, nearest first, at
    /// most `limit` commits back; `from` itself is a candidate only when `include_from` (a
    /// dirty tree compares against HEAD). The one "nearest stored ancestor" search.
    pub fn ancestors_with_record(
        &self,
        from: &str,
        include_from: bool,
        limit: usize,
        has_record: impl Fn(&str) -> bool,
    ) -> Result<Vec<String>, CliError> {
        let chain = self.first_parents(from, limit)?;
        let skip = usize::from(!include_from);
        Ok(chain
            .into_iter()
            .skip(skip)
            .filter(|c| has_record(c))
            .collect())
    }

    pub fn is_shallow(&self) -> bool {
        self.repo.is_shallow()
    }

    /// One-line subject of a commit, for history and reports.
    pub fn summary(&self, commit: &str) -> Option<String> {
        let oid = Oid::from_str(commit).ok()?;
        let c = self.repo.find_commit(oid).ok()?;
        c.summary().map(str::to_owned)
    }

    fn oid(&self, spec: &str) -> Result<Oid, CliError> {
        match Oid::from_str(spec) {
            Ok(oid) if spec.len() == 40 => Ok(oid),
            _ => Oid::from_str(&self.resolve(spec)?)
                .map_err(|e| git_error(format!("bad commit id {spec}"), &e)),
        }
    }
}

impl Git {
    /// Writes `commit`'s tree into `dir` (which exists), without touching the repository's
    /// index, HEAD or working tree: how `ab` gets its base's sources.
    pub fn write_tree_to(&self, commit: &str, dir: &Path) -> Result<(), CliError> {
        let oid = Oid::from_str(commit).map_err(|e| {
            CliError::git(
                format!("`{commit}` is not a commit id ({})", e.message()),
                "resolve the ref first",
            )
        })?;
        let object = self
            .repo
            .find_commit(oid)
            .map_err(|e| {
                CliError::git(
                    format!(
                        "commit {commit} is not in this repository ({})",
                        e.message()
                    ),
                    "fetch it first",
                )
            })?
            .into_object();
        let mut options = git2::build::CheckoutBuilder::new();
        options
            .target_dir(dir)
            .force()
            .update_index(false)
            .recreate_missing(true);
        self.repo
            .checkout_tree(&object, Some(&mut options))
            .map_err(|e| {
                CliError::git(
                    format!(
                        "could not check out {commit} into {}: {}",
                        dir.display(),
                        e.message()
                    ),
                    "check the free disk space and that the target directory is writable",
                )
            })
    }
}

/// What a push of one ref did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pushed {
    Done,
    /// The remote's ref moved on meanwhile (not a fast-forward); fetch, merge and retry.
    Rejected(String),
}

impl Git {
    /// The URL of the remote `name`, as git uses it; a usage error when there is none.
    fn remote(&self, name: &str) -> Result<git2::Remote<'_>, CliError> {
        self.repo.find_remote(name).map_err(|_| {
            let known: Vec<String> = self
                .repo
                .remotes()
                .map(|r| r.iter().flatten().map(str::to_owned).collect())
                .unwrap_or_default();
            let known = if known.is_empty() {
                "this repository has no remotes".to_owned()
            } else {
                format!("its remotes: {}", known.join(", "))
            };
            CliError::usage(
                format!("`{name}` is not a remote of this repository ({known})"),
                "name a remote from `git remote -v`, or add one with `git remote add NAME URL`",
            )
        })
    }

    /// Callbacks that authenticate as git does: the ssh agent, the configured credential
    /// helper, or the platform's default; a few attempts, so a refused key is an error
    /// rather than an endless loop.
    fn callbacks(&self) -> git2::RemoteCallbacks<'static> {
        let config = self.repo.config().ok();
        let mut attempts = 0;
        let mut callbacks = git2::RemoteCallbacks::new();
        callbacks.credentials(move |url, username, allowed| {
            attempts += 1;
            if attempts > 4 {
                return Err(git2::Error::from_str("no credentials were accepted"));
            }
            let user = username.unwrap_or("git");
            if allowed.contains(git2::CredentialType::USERNAME) {
                return git2::Cred::username(user);
            }
            if allowed.contains(git2::CredentialType::SSH_KEY) {
                return git2::Cred::ssh_key_from_agent(user);
            }
            if allowed.contains(git2::CredentialType::USER_PASS_PLAINTEXT) {
                if let Some(config) = &config {
                    return git2::Cred::credential_helper(config, url, username);
                }
            }
            git2::Cred::default()
        });
        callbacks
    }

    fn remote_error(what: String, err: &git2::Error) -> CliError {
        CliError::git(
            format!("{what}: {}", err.message()),
            "check that `git fetch` works for this remote (its URL and your credentials)",
        )
    }

    /// Whether the remote `name` has the ref `refname` (one round trip, nothing fetched).
    pub fn remote_has_ref(&self, name: &str, refname: &str) -> Result<bool, CliError> {
        let mut remote = self.remote(name)?;
        let connection = remote
            .connect_auth(git2::Direction::Fetch, Some(self.callbacks()), None)
            .map_err(|e| Self::remote_error(format!("could not reach the remote `{name}`"), &e))?;
        let heads = connection
            .list()
            .map_err(|e| Self::remote_error(format!("could not list the refs of `{name}`"), &e))?;
        Ok(heads.iter().any(|h| h.name() == refname))
    }

    /// Fetches the remote's `src` into the local ref `dst` (forced: `dst` only tracks it);
    /// `dst` is deleted when the remote has no `src`. Returns `dst`'s new commit.
    pub fn fetch_ref(&self, name: &str, src: &str, dst: &str) -> Result<Option<Oid>, CliError> {
        if let Ok(mut old) = self.repo.find_reference(dst) {
            old.delete()
                .map_err(|e| git_error(format!("could not reset {dst}"), &e))?;
        }
        if !self.remote_has_ref(name, src)? {
            return Ok(None);
        }
        let mut remote = self.remote(name)?;
        let mut options = git2::FetchOptions::new();
        options.remote_callbacks(self.callbacks());
        remote
            .fetch(&[format!("+{src}:{dst}")], Some(&mut options), None)
            .map_err(|e| Self::remote_error(format!("could not fetch {src} from `{name}`"), &e))?;
        Ok(self.ref_target(dst))
    }

    /// The commit a local ref points at, if it exists.
    pub fn ref_target(&self, refname: &str) -> Option<Oid> {
        self.repo.refname_to_id(refname).ok()
    }

    /// Pushes the local ref `refname` to the same name on the remote, never forced.
    pub fn push_ref(&self, name: &str, refname: &str) -> Result<Pushed, CliError> {
        let mut remote = self.remote(name)?;
        let rejected = std::cell::RefCell::new(None);
        let mut callbacks = self.callbacks();
        callbacks.push_update_reference(|_, status| {
            if let Some(status) = status {
                *rejected.borrow_mut() = Some(status.to_owned());
            }
            Ok(())
        });
        let mut options = git2::PushOptions::new();
        options.remote_callbacks(callbacks);
        let result = remote.push(&[format!("{refname}:{refname}")], Some(&mut options));
        drop(options);
        match result {
            Ok(()) => Ok(match rejected.into_inner() {
                Some(status) => Pushed::Rejected(status),
                None => Pushed::Done,
            }),
            // Local and smart transports say "not a fast-forward" as an error instead.
            Err(e) if e.code() == ErrorCode::NotFastForward || e.message().contains("fast") => {
                Ok(Pushed::Rejected(e.message().to_owned()))
            }
            Err(e) => Err(Self::remote_error(
                format!("could not push {refname} to `{name}`"),
                &e,
            )),
        }
    }

    /// Every note under the notes commit `tip`: annotated object id -> note bytes. Reads
    /// flat trees and git's fan-out (`ab/cdef...`) alike.
    pub fn read_notes(&self, tip: Oid) -> Result<BTreeMap<String, Vec<u8>>, CliError> {
        let commit = self
            .repo
            .find_commit(tip)
            .map_err(|e| git_error(format!("the notes commit {tip} is missing"), &e))?;
        let tree = commit
            .tree()
            .map_err(|e| git_error(format!("the notes commit {tip} has no tree"), &e))?;
        let mut notes = BTreeMap::new();
        tree.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
            if entry.kind() != Some(git2::ObjectType::Blob) {
                return git2::TreeWalkResult::Ok;
            }
            let name = format!("{}{}", dir.replace('/', ""), entry.name().unwrap_or(""));
            if let Ok(blob) = self.repo.find_blob(entry.id()) {
                notes.insert(name, blob.content().to_vec());
            }
            git2::TreeWalkResult::Ok
        })
        .map_err(|e| git_error(format!("could not read the notes tree of {tip}"), &e))?;
        Ok(notes)
    }

    /// Writes `notes` (object id -> bytes) as one flat notes tree, commits it on top of
    /// `parent` and points the local `refname` at it.
    pub fn write_notes(
        &self,
        refname: &str,
        parent: Option<Oid>,
        notes: &BTreeMap<String, Vec<u8>>,
        message: &str,
    ) -> Result<Oid, CliError> {
        let fail = |e: git2::Error| git_error(format!("could not write {refname}"), &e);
        let mut builder = self.repo.treebuilder(None).map_err(fail)?;
        for (object, bytes) in notes {
            let blob = self.repo.blob(bytes).map_err(fail)?;
            builder
                .insert(object, blob, git2::FileMode::Blob.into())
                .map_err(fail)?;
        }
        let tree = self
            .repo
            .find_tree(builder.write().map_err(fail)?)
            .map_err(fail)?;
        let signature = self
            .repo
            .signature()
            .or_else(|_| git2::Signature::now("cargo-perf", "cargo-perf@localhost"))
            .map_err(fail)?;
        let parents: Vec<git2::Commit<'_>> = parent
            .map(|p| self.repo.find_commit(p))
            .transpose()
            .map_err(fail)?
            .into_iter()
            .collect();
        let parents: Vec<&git2::Commit<'_>> = parents.iter().collect();
        let commit = self
            .repo
            .commit(None, &signature, &signature, message, &tree, &parents)
            .map_err(fail)?;
        self.repo
            .reference(refname, commit, true, message)
            .map_err(fail)?;
        Ok(commit)
    }
}

/// Everything a run needs to know about git in `dir` (the workspace root), never failing:
/// problems become `no_commit_reason`. `exclude` lists paths that never make the tree dirty;
/// neither does the workspace's `Cargo.lock` while it is untracked (see [`Git::dirty_paths`]).
pub fn inspect(dir: &Path, exclude: &[&Path]) -> Context {
    open(dir, exclude).1
}

/// The repository containing `dir`, opened once, and its state (see [`inspect`]).
pub fn open(dir: &Path, exclude: &[&Path]) -> (Option<Git>, Context) {
    let git = match Git::discover(dir) {
        Ok(Some(git)) => git,
        Ok(None) => {
            let context = Context {
                no_commit_reason: Some(format!(
                    "{} is not inside a git repository (with a working tree)",
                    dir.display()
                )),
                ..Context::default()
            };
            return (None, context);
        }
        Err(e) => {
            let context = Context {
                no_commit_reason: Some(e.message),
                ..Context::default()
            };
            return (None, context);
        }
    };
    let branch = git.branch();
    let detached = git.repo.head_detached().unwrap_or(false);
    let shallow = git.is_shallow();
    let (commit, mut reason) = match git.head() {
        Ok(Some(c)) => (Some(c), None),
        Ok(None) => (
            None,
            Some(format!(
                "the branch `{}` has no commits yet",
                branch.as_deref().unwrap_or("HEAD")
            )),
        ),
        Err(e) => (None, Some(e.message)),
    };
    // Cargo writes the lockfile at the workspace root (never beside a member's manifest), so
    // that is the one file a build can add to a tree that does not commit it.
    let lockfile = [dir.join("Cargo.lock")];
    let (dirty, found) = match git.dirty_paths(exclude, &lockfile, DIRTY_PATHS_SHOWN) {
        Ok(d) => (d.count > 0, d),
        Err(e) => {
            reason.get_or_insert(e.message);
            // Unknown state: never save it as the commit's results.
            (true, DirtyPaths::default())
        }
    };
    let context = Context {
        commit,
        dirty,
        dirty_paths: found.first,
        dirty_count: found.count,
        branch,
        detached,
        shallow,
        no_commit_reason: reason,
    };
    (Some(git), context)
}

#[cfg(test)]
pub(crate) mod tests;
