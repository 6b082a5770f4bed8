//! `cargo perf bisect GOOD BAD [FILTER]`: resolve both refs → the first-parent commits between
//! them → build GOOD aside → judge BAD against GOOD (the tests that regressed are followed) →
//! binary search, each step paired rounds of a commit against GOOD → report → exit code.

use std::collections::BTreeMap;

use crate::cli::ab::base::{self, ResolvedBase};
use crate::cli::args::BisectArgs;
use crate::cli::bisect::{self, judge, Endpoint};
use crate::cli::errors::CliError;
use crate::cli::git::Git;
use crate::cli::project::workspace;
use crate::cli::report::{self, human, words::short, Format, Output};

pub fn run(args: &BisectArgs) -> Result<i32, CliError> {
    let started = std::time::Instant::now();
    let build_options = args.build.options();
    let format = if args.json() {
        Format::Json
    } else {
        Format::Human
    };
    let output = Output {
        format,
        path: args.output.clone(),
        emits: Vec::new(),
    };
    let mut progress = human::progress_for(&output);
    let ws = workspace::discover(&build_options)?;
    let git = Git::discover(&ws.root)?.ok_or_else(|| {
        CliError::git(
            format!(
                "`cargo perf bisect` needs a git repository, and {} is not in one",
                ws.root.display()
            ),
            "run it inside the repository whose commits you want to search",
        )
    })?;
    let good = base::resolve(&git, &args.good, false)?;
    let bad = base::resolve(&git, &args.bad, false)?;
    let commits = git.first_parent_range(&good.commit, &bad.commit)?;
    let commits = commits.ok_or_else(|| {
        CliError::git(
            format!(
                "GOOD `{}` ({}) is not an ancestor of BAD `{}` ({})",
                args.good,
                short(&good.commit),
                args.bad,
                short(&bad.commit)
            ),
            "give GOOD an older commit of BAD's history (`git log --first-parent BAD`), \
             e.g. `cargo perf bisect v1.0 main`",
        )
    })?;
    let good_targets = judge::build_good(&git, &good, &ws, &build_options, progress.as_mut())?;
    let endpoint = |r: &ResolvedBase| Endpoint {
        reference: r.reference.clone(),
        commit: r.commit.clone(),
    };
    let endpoints = (endpoint(&good), endpoint(&bad));
    let mut judge = judge::Judge {
        git: &git,
        ws: &ws,
        options: &build_options,
        good,
        good_targets,
        selection: args.select.selection(),
        quick: args.quick,
        plan: args.plan(),
        test_timeout: args.test_timeout,
        tracked: BTreeMap::new(),
    };
    let mut found = bisect::run(&mut judge, endpoints, &commits, progress.as_mut())?;
    found.duration_ns = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
    report::bisect::emit(&found, args.output.as_deref(), args.json())?;
    Ok(found.exit_code())
}
