//! The store's side of the command line: what `cargo perf` (run) does with baselines after
//! measuring, and the `compare`, `history` and `baseline` subcommands.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command as Process;

use super::args::{parse_fail_on, parse_percent, FailOn, Format, RunArgs};
use super::compare::CompareOptions;
use super::errors::CliError;
use super::fingerprint::{self, Fingerprint};
use super::report::model::{MachineInfo, Report};
use super::results::{self, Options, Problem, Workspace};
use super::workspace::cargo_program;
use super::{baseline, history, machine, store};

impl From<Problem> for CliError {
    fn from(p: Problem) -> CliError {
        CliError::config(p.what, p.help)
    }
}

/// Where the store is, for commands that do not build anything.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct StoreArgs {
    /// Path to Cargo.toml (locates the workspace and its `.perf/` store)
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    /// Where results are stored (default: .perf/ in the workspace root; env CARGO_PERF_STORE)
    #[arg(long, value_name = "DIR")]
    pub store: Option<PathBuf>,
    /// The machine id whose results to read (default: this machine's hostname)
    #[arg(long, value_name = "NAME")]
    pub machine: Option<String>,
}

#[derive(Debug, Clone, clap::Args)]
pub struct CompareArgs {
    /// The baseline: a git ref or (a prefix of) a stored commit (default: HEAD's nearest
    /// ancestor with stored results)
    #[arg(value_name = "BASE")]
    pub base: Option<String>,
    /// The compared commit (default: HEAD)
    #[arg(value_name = "HEAD")]
    pub head: Option<String>,
    #[command(flatten)]
    pub store: StoreArgs,
    /// Smallest change reported as a regression, e.g. `5%`
    #[arg(long, value_name = "PCT", value_parser = parse_percent)]
    pub threshold: Option<f64>,
    /// Compare records measured with a different CPU, OS, compiler or profile
    #[arg(long)]
    pub force: bool,
    /// What makes the exit code 1: any of regression,threshold,error, or never
    #[arg(long, value_name = "LIST", value_parser = parse_fail_on, default_value = "regression,threshold,error")]
    pub fail_on: FailOn,
    /// Report format
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Write the report to FILE (the human summary still goes to the terminal)
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, clap::Args)]
pub struct HistoryArgs {
    /// Only tests whose id contains this
    #[arg(value_name = "FILTER")]
    pub filter: Option<String>,
    /// How many stored commits to show (newest)
    #[arg(short = 'n', value_name = "N", default_value_t = 20)]
    pub n: usize,
    #[command(flatten)]
    pub store: StoreArgs,
    /// Smallest change marked as a regression, e.g. `5%`
    #[arg(long, value_name = "PCT", value_parser = parse_percent)]
    pub threshold: Option<f64>,
}

#[derive(Debug, Clone, clap::Args)]
pub struct BaselineArgs {
    #[command(subcommand)]
    pub action: BaselineAction,
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum BaselineAction {
    /// Every stored record of this machine
    List(StoreArgs),
    /// One stored record, in full
    Show {
        /// A git ref or (a prefix of) a stored commit
        #[arg(value_name = "REF")]
        reference: String,
        #[command(flatten)]
        store: StoreArgs,
        /// `json` prints the stored record itself
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Delete one stored record
    Rm {
        /// A git ref or (a prefix of) a stored commit
        #[arg(value_name = "REF")]
        reference: String,
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// After a run's measurements: baseline, comparison, saving and notes.
pub fn attach_to_run(
    report: &mut Report,
    args: &RunArgs,
    workspace_root: &Path,
    target_dir: &Path,
    noise: BTreeMap<String, f64>,
) -> Result<(), CliError> {
    let rustc = fingerprint::rustc_version().unwrap_or_else(|e| {
        report
            .notes
            .push(format!("the compiler version is unknown: {e}"));
        String::new()
    });
    let opts = Options {
        workspace_root: workspace_root.to_path_buf(),
        store_dir: store::locate(workspace_root, args.store.as_deref()),
        target_dir: Some(target_dir.to_path_buf()),
        fingerprint: Fingerprint {
            machine: report.machine.clone(),
            rustc,
            profile: args.build.profile.clone(),
        },
        baseline: args.baseline.clone(),
        save: match (args.save, args.no_save) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => None,
        },
        compare: CompareOptions {
            threshold: args.regression_threshold(),
            ..CompareOptions::default()
        },
        force: args.force,
        noise,
    };
    results::attach(report, &opts)?;
    Ok(())
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

/// Options for a command that only reads the store. The compiler and profile come from the
/// records themselves there, so the fingerprint carries only the machine.
fn store_options(args: &StoreArgs, threshold: Option<f64>, force: bool) -> Options {
    let root = workspace_root(args.manifest_path.as_deref());
    Options {
        store_dir: store::locate(&root, args.store.as_deref()),
        target_dir: None,
        fingerprint: Fingerprint {
            machine: MachineInfo {
                id: machine_id(args),
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
    }
}

fn machine_id(args: &StoreArgs) -> String {
    machine::detect(args.machine.as_deref()).id
}

/// `cargo perf compare [BASE [HEAD]]`.
pub fn compare(args: &CompareArgs) -> Result<i32, CliError> {
    let opts = store_options(&args.store, args.threshold, args.force);
    let report = results::compare_stored(&opts, args.base.as_deref(), args.head.as_deref())?;
    super::emit_as(&report, args.format, args.output.as_deref())?;
    let regressed = report.summary.regressed > 0;
    let failed = report
        .tests
        .iter()
        .any(|t| t.status == super::report::model::Status::Failed);
    let errored = report
        .tests
        .iter()
        .any(|t| t.status == super::report::model::Status::Error);
    let f = args.fail_on;
    Ok(i32::from(
        (f.regression && regressed) || (f.threshold && failed) || (f.error && errored),
    ))
}

/// `cargo perf history [FILTER] [-n N]`.
pub fn history(args: &HistoryArgs) -> Result<i32, CliError> {
    let opts = store_options(&args.store, args.threshold, false);
    let ws = Workspace::open(&opts)?;
    let text = history::run(
        &ws,
        &opts.fingerprint.machine.id,
        args.filter.as_deref(),
        args.n,
        &opts.compare,
    )?;
    super::print_stdout(&text)?;
    Ok(0)
}

/// `cargo perf baseline list | show REF | rm REF`.
pub fn baseline(args: &BaselineArgs) -> Result<i32, CliError> {
    match &args.action {
        BaselineAction::List(store) => {
            let opts = store_options(store, None, false);
            let ws = Workspace::open(&opts)?;
            super::print_stdout(&baseline::list(&ws, &opts.fingerprint.machine.id))?;
        }
        BaselineAction::Show {
            reference,
            store,
            format,
        } => {
            let opts = store_options(store, None, false);
            let ws = Workspace::open(&opts)?;
            let (record, text) = baseline::show(&ws, &opts.fingerprint.machine.id, reference)?;
            let out = match format {
                Format::Json => serde_json::to_string_pretty(&record)
                    .map(|j| j + "\n")
                    .map_err(|e| {
                        CliError::io(
                            format!("cannot encode the record: {e}"),
                            "please report this bug",
                        )
                    })?,
                _ => text,
            };
            super::print_stdout(&out)?;
        }
        BaselineAction::Rm { reference, store } => {
            let opts = store_options(store, None, false);
            let ws = Workspace::open(&opts)?;
            super::print_stdout(&baseline::remove(
                &ws,
                &opts.fingerprint.machine.id,
                reference,
            )?)?;
        }
    }
    Ok(0)
}
