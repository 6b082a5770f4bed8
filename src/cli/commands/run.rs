//! `cargo perf run`: build → open, list, select → run K processes per test → compare with the
//! stored baseline and save → report → exit code.

use crate::cli::args::RunArgs;
use crate::cli::errors::{exit, CliError};
use crate::cli::events::Event;
use crate::cli::fingerprint::{self, Fingerprint};
use crate::cli::model::{MachineInfo, Report};
use crate::cli::report::{self, human};
use crate::cli::run::plan;
use crate::cli::runner::{self, RunConfig};
use crate::cli::store::{self, policy};
use crate::cli::workspace::Workspace;
use crate::cli::{build, compare, machine, workspace};

pub fn run(args: &RunArgs) -> Result<i32, CliError> {
    let build_options = args.build.options();
    let selection = args.select.selection();
    let ws = workspace::discover(&build_options)?;
    let built = build::build(&ws, &build_options)?;
    let mut notes = Vec::new();
    let suites = plan::open(&built, &mut notes)?;
    let listed = plan::list(&suites)?;
    if args.list {
        let listing = plan::listing(&suites, &listed, &selection);
        report::print_stdout(&report::list::render(&listing))?;
        return Ok(exit::OK);
    }
    let plan = plan::select(&suites, listed, &selection, args.quick, &mut notes);

    let output = args.output();
    let mut progress = human::progress_for(&output);
    let config = RunConfig {
        processes: args.process_count(),
        quick: args.quick,
    };
    let tests = runner::run_all(&plan, config, progress.as_mut());
    let machine = machine::detect(args.machine.as_deref());
    let mut report = Report::new(machine.clone(), tests, notes);
    let noise = plan
        .iter()
        .filter_map(|p| p.info.noise.map(|n| (p.id().to_string(), n)))
        .collect();
    let opts = store_options(args, &ws, machine, noise, &mut report);
    policy::compare_and_save(&mut report, &opts)?;
    let report = report.finish();
    progress.event(&Event::RunFinished { report: &report });
    report::emit(&report, &output)?;
    Ok(args.fail_on.exit_code(&report))
}

/// What the store's policy needs from `run`: where, this run's fingerprint, what was asked.
fn store_options(
    args: &RunArgs,
    ws: &Workspace,
    machine: MachineInfo,
    noise: std::collections::BTreeMap<String, f64>,
    report: &mut Report,
) -> policy::Options {
    let rustc = fingerprint::rustc_version().unwrap_or_else(|e| {
        report
            .notes
            .push(format!("the compiler version is unknown: {e}"));
        String::new()
    });
    policy::Options {
        workspace_root: ws.root.clone(),
        store_dir: store::locate(&ws.root, args.store.as_deref()),
        target_dir: Some(ws.target_directory.clone()),
        fingerprint: Fingerprint {
            machine,
            rustc,
            profile: args.build.profile.clone(),
        },
        baseline: args.baseline.clone(),
        save: args.save(),
        compare: compare::CompareOptions {
            threshold: args.regression_threshold(),
            ..compare::CompareOptions::default()
        },
        force: args.force,
        noise,
    }
}
