//! One short pipeline per subcommand, each read top to bottom in its own file. The commands
//! are the only code besides `args.rs` that sees the command-line types: they turn them into
//! the plain options of the steps they call.

pub mod ab;
pub mod accept;
pub mod baseline;
pub mod bisect;
pub mod compare;
pub mod fetch;
pub mod history;
pub mod k8s_job;
pub mod merge;
pub mod push;
pub mod report;
pub mod run;

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use super::args::{Command, SaveArgs, StoreArgs};
use super::compare::CompareOptions;
use super::errors::CliError;
use super::fingerprint::{self, Fingerprint};
use super::model::{MachineInfo, Report};
use super::project::workspace::{self, Workspace};
use super::store::{self, policy};

/// Run the parsed command; returns the exit code.
pub fn dispatch(command: Command) -> Result<i32, CliError> {
    match command {
        // The pre-commit check is `ab HEAD` with the working tree as head.
        Command::Run(a) if a.pre_commit => ab::run(&a.pre_commit_ab()),
        Command::Run(a) => run::run(&a),
        Command::Ab(a) => ab::run(&a),
        Command::Compare(a) => compare::run(&a),
        Command::History(a) => history::run(&a),
        Command::Baseline(a) => baseline::run(&a),
        Command::Report(a) => report::run(&a),
        Command::Push(a) => push::run(&a),
        Command::Fetch(a) => fetch::run(&a),
        Command::Bisect(a) => bisect::run(&a),
        Command::Accept(a) => accept::run(&a),
        Command::Merge(a) => merge::run(&a),
        Command::K8sJob(a) => k8s_job::run(&a),
    }
}

/// `report` with when it started and how long it took, since `started`.
fn timed(mut report: Report, started: SystemTime) -> Report {
    let since_epoch = started.duration_since(UNIX_EPOCH).unwrap_or_default();
    report.started_at = Some(store::rfc3339(since_epoch.as_secs()));
    let took = started.elapsed().unwrap_or_default();
    report.duration_ns = Some(u64::try_from(took.as_nanos()).unwrap_or(u64::MAX));
    report
}

/// Options for a command that measures (`run`, `ab`): the store beside the workspace (or
/// `--store`), this machine's full fingerprint, what `--save`/`--no-save` asked. An unknown
/// compiler version is said in `notes`.
fn measured_store_options(
    ws: &Workspace,
    results: &SaveArgs,
    profile: &str,
    notes: &mut Vec<String>,
) -> policy::Options {
    let rustc = fingerprint::rustc_version().unwrap_or_else(|e| {
        notes.push(format!("the compiler version is unknown: {e}"));
        String::new()
    });
    policy::Options {
        workspace_root: ws.root.clone(),
        store_dir: store::locate(&ws.root, results.store.as_deref()),
        target_dir: Some(ws.target_directory.clone()),
        fingerprint: Fingerprint {
            machine: fingerprint::detect(results.machine.as_deref()),
            rustc,
            profile: profile.to_string(),
        },
        baseline: None,
        save: results.save(),
        compare: CompareOptions::default(),
        force: false,
        noise: BTreeMap::new(),
        scope: fingerprint::Scope::Timing,
    }
}

/// Options for a command that only reads the store. The compiler and profile come from the
/// records themselves there, so the fingerprint carries only the machine.
fn store_options(args: &StoreArgs, threshold: Option<f64>, force: bool) -> policy::Options {
    let root = workspace::root_or_current_dir(args.manifest_path.as_deref());
    policy::Options {
        store_dir: store::locate(&root, args.store.as_deref()),
        target_dir: None,
        fingerprint: Fingerprint {
            machine: MachineInfo {
                id: fingerprint::detect(args.machine.as_deref()).id,
                ..MachineInfo::default()
            },
            rustc: String::new(),
            profile: String::new(),
        },
        workspace_root: root,
        baseline: None,
        save: Some(false),
        compare: CompareOptions {
            threshold: threshold.unwrap_or(0.05),
            ..CompareOptions::default()
        },
        force,
        noise: BTreeMap::new(),
        scope: fingerprint::Scope::Timing,
    }
}

/// The store and the repository that `push`/`fetch` share it through; outside git is a
/// usage error.
fn share_context(args: &StoreArgs) -> Result<(store::Store, super::git::Git, String), CliError> {
    let opts = store_options(args, None, false);
    let Some(git) = super::git::Git::discover(&opts.workspace_root)? else {
        return Err(CliError::usage(
            format!(
                "{} is not inside a git repository (with a working tree)",
                opts.workspace_root.display()
            ),
            "results are shared through a git remote's notes: run this inside a clone",
        ));
    };
    let store = store::Store::open(&opts.store_dir)?;
    Ok((store, git, opts.fingerprint.machine.id))
}
