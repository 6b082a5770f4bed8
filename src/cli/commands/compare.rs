//! `cargo perf compare [BASE [HEAD]]`: two stored records → verdicts → report → exit code.

use crate::cli::args::CompareArgs;
use crate::cli::compare::require;
use crate::cli::errors::CliError;
use crate::cli::report;
use crate::cli::store::policy;

pub fn run(args: &CompareArgs) -> Result<i32, CliError> {
    let output = args.report.output()?;
    let opts = super::store_options(&args.store, args.verdict.threshold, args.force);
    let mut report = policy::compare_stored(&opts, args.base.as_deref(), args.head.as_deref())?;
    report.requirements = require::check(&args.require, &report.tests);
    report::emit(&report, &output)?;
    Ok(args.verdict.fail_on().exit_code(&report))
}
