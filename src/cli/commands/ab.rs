//! `cargo perf ab BASE_REF`: resolve → check out and build base (copied aside) → build head →
//! open, list, select both → pair → interleaved rounds → verdicts → save both sides → report →
//! exit code.

use crate::cli::ab::session::{self, SuiteSide};
use crate::cli::ab::{base, results};
use crate::cli::args::AbArgs;
use crate::cli::errors::CliError;
use crate::cli::model::{BaselineRef, Report};
use crate::cli::project::workspace;
use crate::cli::report::{self, human};
use crate::cli::run::events::Event;
use crate::cli::run::{interrupt, plan};
use crate::cli::store::policy::Session;

pub fn run(args: &AbArgs) -> Result<i32, CliError> {
    let started = std::time::SystemTime::now();
    let (build_options, selection) = (args.build.options(), args.select.selection());
    let (output, rounds) = (args.report.output()?, args.plan()?);
    let mut progress = human::progress_for(&output);
    let ws = workspace::discover(&build_options)?;
    let profile = &args.build.profile;
    let opts = super::measured_store_options(&ws, &args.results, profile, &mut Vec::new());
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
    let base_plan = plan::select(
        &base_suites,
        plan::list(&base_suites)?,
        &selection,
        args.quick,
        &mut Vec::new(),
    );
    let matched = session::match_tests(
        session::described(&base_plan),
        session::described(&head_plan),
    );
    notes.extend(matched.notes(args.calibrate));

    let head_commit = session.context.commit.clone();
    let base_commit = built.base_commit(head_commit.as_deref());
    let limit = args.test_timeout;
    let (base_side, head_side) = (
        SuiteSide::new(&base_plan, limit),
        SuiteSide::new(&head_plan, limit),
    );
    let commits = (base_commit.as_str(), head_commit.as_deref());
    let measured = session::run(
        &matched,
        &base_side,
        &head_side,
        &rounds,
        commits,
        progress.as_mut(),
    );
    // An interrupted session ends here: its rounds are cut short, nothing is saved or reported.
    interrupt::check()?;
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
    if args.results.save() != Some(false) {
        let base = built
            .base
            .as_ref()
            .map(|b| (b.commit.clone(), measured.base_tests, &base_plan[..]));
        let sides = results::sides(
            base,
            &head_plan,
            &session.context,
            args.results.save(),
            &mut report,
        );
        let saved = results::save_sides(&session.store, &opts.fingerprint, sides);
        report.notes.extend(saved);
    }
    let report = super::timed(report.finish(), started);
    progress.event(&Event::RunFinished { report: &report });
    report::emit(&report, &output)?;
    Ok(args.verdict.fail_on.exit_code(&report))
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
