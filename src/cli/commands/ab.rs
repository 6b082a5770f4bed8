//! `cargo perf ab BASE_REF`: resolve → check out and build base (copied aside) → build head →
//! open, list, select both → pair → interleaved rounds → verdicts → save both sides → report →
//! exit code.

use crate::cli::ab::rounds::{Order, Policy};
use crate::cli::ab::session::{self, Matched, SuiteSide};
use crate::cli::ab::{base, results};
use crate::cli::args::AbArgs;
use crate::cli::errors::CliError;
use crate::cli::events::Event;
use crate::cli::fingerprint::{self, Fingerprint};
use crate::cli::model::{BaselineRef, Report};
use crate::cli::report::{self, human};
use crate::cli::run::plan;
use crate::cli::store::policy::{self, Session};
use crate::cli::{compare, machine, store, workspace};

/// `ab`'s threshold: pairing removes most of the machine's noise, so changes well below
/// `run`'s 5 % are resolved; `--threshold` and a test's `noise` override it.
pub const DEFAULT_AB_THRESHOLD: f64 = 0.02;

pub fn run(args: &AbArgs) -> Result<i32, CliError> {
    let (build_options, selection) = (args.build.options(), args.select.selection());
    let (output, rounds) = (args.output(), session_plan(args)?);
    let mut progress = human::progress_for(&output);
    let ws = workspace::discover(&build_options)?;
    let opts = store_options(args, &ws);
    let session = Session::open(&opts)?;
    let git = session.git.as_ref().ok_or_else(|| not_a_repository(&ws))?;
    let mut notes = Vec::new();
    let spec = (!args.calibrate).then(|| args.base.as_deref().unwrap_or("HEAD"));
    let built = base::build_both(
        git,
        spec,
        args.merge_base,
        &ws,
        &build_options,
        progress.as_mut(),
        &mut notes,
    )?;
    let head_suites = plan::open(&built.head_targets, &mut notes)?;
    let base_suites = match &built.base_targets {
        Some(targets) => plan::open(targets, &mut notes)?,
        None if args.calibrate => plan::open(&built.head_targets, &mut Vec::new())?,
        None => Vec::new(), // the base has no perf suites at all: every head test is new
    };
    let head_plan = plan::take(&head_suites, &selection, args.quick, &mut notes)?;
    let base_plan = plan::take(&base_suites, &selection, args.quick, &mut Vec::new())?;
    let matched = session::match_tests(
        session::described(&base_plan),
        session::described(&head_plan),
    );
    notes.extend(matching_notes(&matched, args.calibrate));

    let head_commit = session.context.commit.clone();
    let base_commit = built.base_commit(head_commit.as_deref());
    let (base_side, head_side) = (SuiteSide::new(&base_plan), SuiteSide::new(&head_plan));
    let commits = (base_commit.as_str(), head_commit.as_deref());
    let measured = session::run(
        &matched,
        &base_side,
        &head_side,
        &rounds,
        commits,
        progress.as_mut(),
    );
    notes.push(measured.note);

    let mut report = Report::new(opts.fingerprint.machine.clone(), measured.tests, notes);
    report.commit = head_commit;
    report.dirty = session.context.dirty;
    let asked = match args.calibrate {
        true => Some("HEAD (calibration)".to_string()),
        false => args.base.clone(),
    };
    report.baseline = BaselineRef {
        commit: Some(base_commit),
        reference: asked,
    };
    if args.save() != Some(false) {
        let base = built
            .base
            .as_ref()
            .map(|b| (b.commit.clone(), measured.base_tests, &base_plan[..]));
        let sides = results::sides(base, &head_plan, &session.context, args.save(), &mut report);
        let saved = results::save_sides(&session.store, &opts.fingerprint, sides);
        report.notes.extend(saved);
    }
    let report = report.finish();
    progress.event(&Event::RunFinished { report: &report });
    report::emit(&report, &output)?;
    Ok(args.fail_on.exit_code(&report))
}

fn not_a_repository(ws: &workspace::Workspace) -> CliError {
    CliError::git(
        format!(
            "`cargo perf ab` needs a git repository, and {} is not in one",
            ws.root.display()
        ),
        "run it inside the repository whose commits you want to compare",
    )
}

/// The rounds' policy and budget from the flags; `--min-rounds` above `--max-rounds` is usage.
fn session_plan(args: &AbArgs) -> Result<session::Plan, CliError> {
    if args.min_rounds > args.max_rounds {
        return Err(CliError::usage(
            format!(
                "--min-rounds {} is more than --max-rounds {}",
                args.min_rounds, args.max_rounds
            ),
            "raise --max-rounds or lower --min-rounds",
        ));
    }
    let policy = Policy {
        min_rounds: args.min_rounds as usize,
        max_rounds: args.max_rounds as usize,
        confirm: args.confirm,
        order: args
            .random_order
            .map_or(Order::Abba, |seed| Order::Random { seed }),
        ..Policy::default()
    };
    Ok(session::Plan {
        policy,
        calibrate: args.calibrate,
        budget: args.budget,
        threshold: args.threshold.unwrap_or(DEFAULT_AB_THRESHOLD),
        quick: args.quick,
    })
}

/// What the pairing found worth saying: tests only the base has, an A/A calibration.
fn matching_notes(matched: &Matched, calibrate: bool) -> Vec<String> {
    let mut notes = Vec::new();
    if !matched.removed.is_empty() {
        notes.push(format!(
            "only in base (removed or renamed): {}",
            matched.removed.join(", ")
        ));
    }
    if calibrate {
        notes.push(
            "calibration (A/A): both sides run HEAD's build, so every flagged test is noise; \
             \"could detect\" is this machine's noise floor per test"
                .to_string(),
        );
    }
    notes
}

/// Where the store is and this machine's fingerprint (results are stored like `run`'s).
fn store_options(args: &AbArgs, ws: &workspace::Workspace) -> policy::Options {
    policy::Options {
        workspace_root: ws.root.clone(),
        store_dir: store::locate(&ws.root, args.store.as_deref()),
        target_dir: Some(ws.target_directory.clone()),
        fingerprint: Fingerprint {
            machine: machine::detect(args.machine.as_deref()),
            rustc: fingerprint::rustc_version().unwrap_or_default(),
            profile: args.build.profile.clone(),
        },
        baseline: None,
        save: args.save(),
        compare: compare::CompareOptions::default(),
        force: false,
        noise: Default::default(),
    }
}
