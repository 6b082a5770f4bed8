//! `cargo perf compare [BASE [HEAD]]`: two stored records → verdicts → report → exit code.

use crate::cli::args::CompareArgs;
use crate::cli::compare::require;
use crate::cli::errors::CliError;
use crate::cli::profile;
use crate::cli::project::workspace;
use crate::cli::report;
use crate::cli::store::policy;

pub fn run(args: &CompareArgs) -> Result<i32, CliError> {
    let output = args.report.output()?;
    let root = workspace::root_or_current_dir(args.store.manifest_path.as_deref());
    let (args, perf_profile) = &profile::effective(args, &root)?;
    let opts = super::store_options(&args.store, args.verdict.threshold, args.force);
    let mut report = policy::compare_stored(&opts, args.base.as_deref(), args.head.as_deref())?;
    report.perf_profile = perf_profile.as_ref().map(|p| p.name.clone());
    report.requirements = require::check(&args.require, &report.tests);
    report::emit(&report, &output)?;
    Ok(args.verdict.fail_on().exit_code(&report))
}
