//! `cargo perf run`: build → open, list, select → run K processes per test → compare with the
//! stored baseline and save → report → exit code.

use crate::cli::args::RunArgs;
use crate::cli::compare;
use crate::cli::errors::{exit, CliError};
use crate::cli::model::Report;
use crate::cli::profile;
use crate::cli::project::{build, workspace};
use crate::cli::report::{self, human};
use crate::cli::run::events::{notes_to, Event};
use crate::cli::run::runner::{self, RunConfig};
use crate::cli::run::sequential::StopRule;
use crate::cli::run::{instructions, interrupt, plan, segment};
use crate::protocol::Counting;

pub fn run(args: &RunArgs) -> Result<i32, CliError> {
    let started = std::time::SystemTime::now();
    let output = args.report.output()?;
    // Segment flags are usage errors before any build.
    let segmenting = args.segment.segmenting()?;
    let build_options = args.build.options();
    let (selection, partition) = (args.select.selection(), args.partition()?);
    let mut progress = human::progress_for(&output);
    let ws = workspace::discover(&build_options)?;
    // The profile fills in what no flag gave, before anything is built or run.
    let (args, perf_profile) = &profile::effective(args, &ws.root)?;
    let overrides = perf_profile.as_ref().map_or(&[][..], |p| &p.overrides[..]);
    let built = build::build(&ws, &build_options, &mut notes_to(progress.as_mut()))?;
    let mut notes = Vec::new();
    let mut suites = plan::open(&built, &mut notes)?;
    let mut listed = plan::list(&suites)?;
    if args.list {
        let listing = plan::listing(&suites, &listed, &selection);
        report::print_stdout(&report::list::render(&listing))?;
        return Ok(exit::OK);
    }
    // The profile's per-test settings: limits travel to the processes as `PERF_<TEST>_<KEY>`.
    plan::profiled(&mut suites, &mut listed, overrides, true)?;
    let mut plan = plan::select(&suites, listed.clone(), &selection, args.quick, &mut notes);
    let picked = (&selection, args.quick);
    plan::check(&listed, &plan, picked, progress.as_mut(), &mut notes)?;
    // The shard is cut from the checked selection; a ratio's other test then joins it.
    let mut shard = plan::partition(&mut plan, partition.as_ref(), "run", &mut notes);
    let ratios = plan::ratios(&suites, &listed, &mut plan, shard.as_mut(), &mut notes)?;
    plan = segment::restrict(segmenting.as_ref(), plan, &mut notes)?;
    let noise = runner::noise(&plan);

    let counting = instructions::chosen(args.instructions())?;
    notes.extend(instructions::note(counting));
    let config = RunConfig {
        rule: match (counting, args.processes) {
            (Counting::Valgrind, None) => StopRule::fixed(instructions::VALGRIND_PROCESSES),
            _ => args.stop_rule(),
        },
        load_processes: args.load_process_count(),
        quick: args.quick,
        load_scale: args.load_scale,
        test_timeout: args.test_timeout,
        counting,
        segment: None,
        start_at_unix_ns: None,
    };
    let mut tests = segment::run(
        segmenting.as_ref(),
        &plan,
        config,
        progress.as_mut(),
        &mut notes,
    )?;
    compare::ratios::judge(&ratios, &mut tests);
    // An interrupted run ends here: nothing of it is compared, saved or reported.
    interrupt::check()?;
    let profile = &args.build.profile;
    let mut opts = super::measured_store_options(&ws, &args.results, profile, &mut notes);
    opts.baseline = args.baseline.clone();
    opts.compare.threshold = args.regression_threshold();
    opts.force = args.force;
    opts.noise = noise;
    instructions::store_options(counting, &mut opts);
    let mut report = Report::new(opts.fingerprint.machine.clone(), tests, notes);
    (report.perf_profile, report.shard) = (perf_profile.as_ref().map(|p| p.name.clone()), shard);
    segment::compare_and_save(segmenting.as_ref(), &mut report, &opts)?;
    let report = super::timed(report.finish(), started);
    progress.event(&Event::RunFinished { report: &report });
    report::emit(&report, &output)?;
    Ok(args.verdict.fail_on().exit_code(&report))
}
