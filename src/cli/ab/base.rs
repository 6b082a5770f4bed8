//! `ab`'s base side: resolve `BASE_REF`, write its tree into a directory under the target
//! directory, build it there into its own target directory (passed to cargo, never through
//! the process environment), and keep its executables aside for the next run.

use std::path::{Path, PathBuf};

use super::{cache, worktree};
use crate::cli::errors::{CliError, ErrorKind};
use crate::cli::git::Git;
use crate::cli::project::build::{self, BuiltTarget};
use crate::cli::project::workspace::{self, BuildOptions, Workspace};
use crate::cli::report::words::short;
use crate::cli::run::events::{self, Event, Reporter};

pub use worktree::ResolvedBase;

/// `ab` compares commits: outside a repository there are none.
pub fn not_a_repository(ws: &Workspace) -> CliError {
    CliError::git(
        format!(
            "`cargo perf ab` needs a git repository, and {} is not in one",
            ws.root.display()
        ),
        "run it inside the repository whose commits you want to compare",
    )
}

/// Resolve `spec` (`--merge-base` or a `merge-base:` prefix asks for the merge-base with HEAD).
pub fn resolve(git: &Git, spec: &str, merge_base: bool) -> Result<ResolvedBase, CliError> {
    worktree::resolve_base(git, spec, merge_base)
}

/// Both sides built: the base (when one was asked for; `None` targets when it has no perf
/// suites) and head.
pub struct Built {
    pub base: Option<ResolvedBase>,
    pub base_targets: Option<Vec<BuiltTarget>>,
    pub head_targets: Vec<BuiltTarget>,
}

impl Built {
    /// The commit the comparisons name as their baseline: the base's, or head's own in a
    /// calibration.
    pub fn base_commit(&self, head: Option<&str>) -> String {
        self.base
            .as_ref()
            .map(|b| b.commit.as_str())
            .or(head)
            .unwrap_or_default()
            .to_string()
    }
}

/// Resolve and build the base `spec` (none for a calibration; with `merge_base`, its merge base
/// with HEAD), then head. The base goes first:
/// its executables are copied aside before head's build reuses the paths.
pub fn build_both(
    git: &Git,
    (spec, merge_base): (Option<&str>, bool),
    ws: &Workspace,
    options: &BuildOptions,
    reporter: &mut dyn Reporter,
    notes: &mut Vec<String>,
) -> Result<Built, CliError> {
    let base = spec
        .map(|spec| resolve(git, spec, merge_base))
        .transpose()?;
    if let Some((b, of)) = base
        .as_ref()
        .and_then(|b| Some(b).zip(b.merge_base_of.as_ref()))
    {
        notes.push(format!(
            "base is the merge-base of HEAD and `{of}`: {}",
            short(&b.commit)
        ));
    }
    let base_targets = match &base {
        Some(b) => build(git, b, "base", ws, options, reporter)?,
        None => None,
    };
    let head_targets = build::build(ws, options, &mut events::notes_to(reporter))?;
    Ok(Built {
        base,
        base_targets,
        head_targets,
    })
}

/// A commit's perf targets, built aside (or reused from an earlier run); `None` when the
/// commit has no perf suites at all (for `ab`'s base: every head test is then new). `role`
/// names the commit in messages: `base` for `ab`, `GOOD`, `BAD` or `commit` for `bisect`.
pub fn build(
    git: &Git,
    base: &ResolvedBase,
    role: &str,
    ws: &Workspace,
    options: &BuildOptions,
    reporter: &mut dyn Reporter,
) -> Result<Option<Vec<BuiltTarget>>, CliError> {
    let ab_dir = ws.target_directory.join("cargo-perf").join("ab");
    let checkout = worktree::checkout(git, &base.commit, &ws.target_directory)?;
    let base_manifest = checkout
        .dir
        .join(relative_to(&ws.manifest_path, git.workdir()));
    let short = short(&base.commit);
    // `main` (3f2a1b0), or just the short id when that is what the user gave.
    let named = if base.reference == short {
        format!("{role} {short}")
    } else {
        format!("{role} `{}` ({short})", base.reference)
    };
    let failed = |e: CliError| {
        CliError::build(
            format!("could not build the {named}: {}", e.message),
            format!(
                "check that `{}` builds (`git checkout {}` and `cargo build --benches`), or compare against another ref",
                base.reference, short
            ),
        )
    };
    if !base_manifest.is_file() {
        return Err(failed(CliError::config(
            format!("it has no {}", base_manifest.display()),
            "",
        )));
    }
    let aside = cache::dir_for(
        &ab_dir.join("bin"),
        &base.commit,
        options,
        &ws.package_names(),
    );
    if let Some(built) = cache::load(&aside) {
        let what = format!("{named}, built earlier");
        reporter.event(&Event::Step {
            verb: "Reusing",
            what: &what,
        });
        return Ok(Some(built));
    }
    // The base builds into its own target directory. Sharing head's would be wrong, not just
    // untidy: cargo names a workspace member's artifacts independently of its path and judges
    // freshness by file times, so one side's build could be taken for the other's.
    let base_options = BuildOptions {
        manifest_path: Some(base_manifest),
        target_dir: Some(ab_dir.join("target")),
        ..options.clone()
    };
    // A reused checkout's files can be older than the last base build in that directory (of
    // another commit): new times make cargo rebuild the base's own packages.
    touch_tree(&checkout.dir).map_err(|e| {
        CliError::io(
            format!(
                "cannot update file times in {}: {e}",
                checkout.dir.display()
            ),
            "check that the target directory is writable",
        )
    })?;
    // The packages head selected, found in the base's own tree by name: their package ids
    // there differ from head's (another path), and `-p`/the current directory mean head's.
    let base_ws = match workspace::discover_like(&base_options, ws) {
        Ok(w) => w,
        Err(e) if e.kind == ErrorKind::NoSuites => return Ok(None),
        Err(e) => return Err(failed(e)),
    };
    let what = format!("{named} in {}", checkout.dir.display());
    reporter.event(&Event::Step {
        verb: "Building",
        what: &what,
    });
    let built = build::build(&base_ws, &base_options, &mut events::notes_to(reporter));
    let built = built.map_err(failed)?;
    cache::store(&aside, built).map(Some).map_err(|e| {
        CliError::io(
            format!(
                "cannot copy the base's executables to {}: {e}",
                aside.display()
            ),
            "check the free disk space in the target directory",
        )
    })
}

/// Set every file's modification time under `dir` to now.
fn touch_tree(dir: &Path) -> std::io::Result<()> {
    let now = std::time::SystemTime::now();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let entry = entry?;
            let kind = entry.file_type()?;
            if kind.is_dir() {
                stack.push(entry.path());
            } else if kind.is_file() {
                std::fs::File::options()
                    .append(true)
                    .open(entry.path())?
                    .set_modified(now)?;
            }
        }
    }
    Ok(())
}

/// `path` relative to `dir`, also when one of them was reached through a symlink.
fn relative_to(path: &Path, dir: &Path) -> PathBuf {
    if let Ok(r) = path.strip_prefix(dir) {
        return r.to_path_buf();
    }
    match (path.canonicalize(), dir.canonicalize()) {
        (Ok(p), Ok(d)) => p
            .strip_prefix(&d)
            .map(Path::to_path_buf)
            .unwrap_or_else(|_| PathBuf::from("Cargo.toml")),
        _ => PathBuf::from("Cargo.toml"),
    }
}
