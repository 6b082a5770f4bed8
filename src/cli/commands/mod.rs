//! One short pipeline per subcommand, each read top to bottom in its own file. The commands
//! are the only code besides `args.rs` that sees the command-line types: they turn them into
//! the plain options of the steps they call.

pub mod ab;
pub mod baseline;
pub mod compare;
pub mod history;
pub mod run;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command as Process;

use super::args::{Command, SaveArgs, StoreArgs};
use super::compare::CompareOptions;
use super::errors::CliError;
use super::fingerprint::{self, Fingerprint};
use super::model::MachineInfo;
use super::project::workspace::{cargo_program, Workspace};
use super::store::{self, policy};

/// Run the parsed command; returns the exit code.
pub fn dispatch(command: Command) -> Result<i32, CliError> {
    match command {
        Command::Run(a) => run::run(&a),
        Command::Ab(a) => ab::run(&a),
        Command::Compare(a) => compare::run(&a),
        Command::History(a) => history::run(&a),
        Command::Baseline(a) => baseline::run(&a),
    }
}

/// The workspace root: `cargo locate-project --workspace`, else the current directory (the
/// store commands also work on a bare `--store` outside any project).
fn workspace_root(manifest_path: Option<&Path>) -> PathBuf {
    let mut cmd = Process::new(cargo_program());
    cmd.args(["locate-project", "--workspace", "--message-format", "plain"]);
    if let Some(p) = manifest_path {
        cmd.arg("--manifest-path").arg(p);
    }
    let located = cmd
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| {
            let path = PathBuf::from(String::from_utf8_lossy(&o.stdout).trim());
            path.parent().map(Path::to_path_buf)
        });
    located.unwrap_or_else(|| std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")))
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
    let root = workspace_root(args.manifest_path.as_deref());
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
