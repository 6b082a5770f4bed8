//! `cargo perf ab BASE_REF`: resolve → check out and build base (copied aside) → build head →
//! open, list, select both → pair → interleaved rounds → verdicts → save both sides → report →
//! exit code.

use crate::cli::ab::{base, results, session, sides};
use crate::cli::args::AbArgs;
use crate::cli::compare::CompareOptions;
use crate::cli::compare::{growth, require};
use crate::cli::errors::CliError;
use crate::cli::model::Report;
use crate::cli::profile;
use crate::cli::project::workspace;
use crate::cli::report::{self, human};
use crate::cli::run::events::Event;
use crate::cli::run::{instructions, interrupt};
use crate::cli::store::policy::{self, Session};

pub fn run(args: &AbArgs) -> Result<i32, CliError> {
    let started = std::time::SystemTime::now();
    let (build_options, selection) = (args.build.options(), args.select.selection());
    let partition = args.partition()?;
    let output = args.report.output()?;
    let mut progress = human::progress_for(&output);
    let ws = workspace::discover(&build_options)?;
    // The profile fills in what no flag gave, before anything is built or run.
    let (args, perf_profile) = &profile::effective(args, &ws.root)?;
    let mut rounds = args.plan()?;
    let profile = &args.build.profile;
    let mut opts = super::measured_store_options(&ws, &args.results, profile, &mut Vec::new());
    instructions::store_options(rounds.processes.counting, &mut opts);
    let session = Session::open(&opts)?;
    let git = session
        .git
        .as_ref()
        .ok_or_else(|| base::not_a_repository(&ws))?;
    let mut notes: Vec<String> = Vec::from_iter(instructions::note(rounds.processes.counting));
    let spec = (!args.calibrate).then(|| args.base.as_deref().unwrap_or("HEAD"));
    let (at, reporter) = ((spec, args.merge_base), progress.as_mut());
    let built = base::build_both(git, at, &ws, &build_options, reporter, &mut notes)?;
    let mut suites = sides::open(&built, args.calibrate, &mut notes)?;
    let picked = (&selection, args.quick, partition.as_ref());
    let overrides = perf_profile.as_ref().map_or(&[][..], |p| &p.overrides[..]);
    let (calibrate, reporter) = (args.calibrate, progress.as_mut());
    let plans = suites.plan(picked, calibrate, overrides, reporter, &mut notes)?;
    // A shard's stopping rule counts the whole suite (what the merge's Holm step judges).
    rounds.policy.family = plans.shard.as_ref().map_or(0, |s| s.suite_tests);

    let head_commit = session.context.commit.clone();
    let base_commit = built.base_commit(head_commit.as_deref());
    let (base_side, head_side) = plans.sides(args.test_timeout);
    let commits = (base_commit.as_str(), head_commit.as_deref());
    let reporter = progress.as_mut();
    let measured = session::run(
        &plans.matched,
        &base_side,
        &head_side,
        &rounds,
        commits,
        reporter,
    );
    // An interrupted session ends here: its rounds are cut short, nothing is saved or reported.
    interrupt::check()?;
    notes.push(measured.note);

    let mut report = Report::new(opts.fingerprint.machine.clone(), measured.tests, notes);
    (report.perf_profile, report.shard) = (
        perf_profile.as_ref().map(|p| p.name.clone()),
        plans.shard.clone(),
    );
    // A shard carries what `merge` redoes the suite-wide Holm step with: the paired rounds'
    // family-wise level and interval level, and the base's figures (for growth).
    let judged = CompareOptions {
        threshold: rounds.threshold,
        alpha: rounds.policy.alpha,
    };
    report.shard.iter_mut().for_each(|s| {
        policy::shard_settings(s, &opts.fingerprint, &judged);
        (s.ci_alpha, s.baseline_tests) =
            (Some(rounds.policy.ci_alpha), measured.base_tests.clone());
    });
    (report.commit, report.dirty) = (head_commit, session.context.dirty);
    report.baseline = results::baseline(base_commit, args.base.as_deref(), args.calibrate);
    report.growth = growth::of(&report.tests, Some(&measured.base_tests));
    let base_side = built.base.as_ref().map(|b| b.commit.clone());
    let base_side = base_side.map(|commit| (commit, measured.base_tests, &plans.base[..]));
    let saving = (&opts.fingerprint, args.results.save());
    results::save(&mut report, base_side, &plans.head, &session, saving);
    report.requirements = require::check(&args.require, &report.tests);
    let report = super::timed(report.finish(), started);
    progress.event(&Event::RunFinished { report: &report });
    report::emit(&report, &output)?;
    Ok(args.verdict.fail_on().exit_code(&report))
}
