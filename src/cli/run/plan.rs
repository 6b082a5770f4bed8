//! The open → list → select step, shared by `run` and `ab`: which built targets are perf
//! suites, what tests they have, and which of them the filters take (with notes for what was
//! skipped and why).

use super::events::{Event, Reporter};
use super::overrides;
use crate::cli::compare::ratios;
use crate::cli::errors::CliError;
use crate::cli::model::{Shard, TestId};
use crate::cli::partition::Partition;
use crate::cli::profile;
use crate::cli::project::build::BuiltTarget;
use crate::cli::project::select::{self, Skip};
use crate::cli::run::runner::Planned;
use crate::cli::run::suite::Suite;
use crate::protocol::{TestInfo, TestKind};

/// The suites among `built`; a target without `cargo_perf::main!()` is noted and skipped.
pub fn open(built: &[BuiltTarget], notes: &mut Vec<String>) -> Result<Vec<Suite>, CliError> {
    let mut suites = Vec::new();
    for b in built {
        match Suite::open(b)? {
            Some(s) => suites.push(s),
            None => notes.push(format!(
                "{}/{} is not a cargo-perf suite (no `cargo_perf::main!()`); skipped",
                b.target.package, b.target.name
            )),
        }
    }
    Ok(suites)
}

/// Every suite's tests, in suite order.
pub fn list(suites: &[Suite]) -> Result<Vec<Vec<TestInfo>>, CliError> {
    suites.iter().map(Suite::list).collect()
}

/// The tests the filters take, in suite then listing order. `quick` skips `slow` tests and
/// says how many; an empty selection is noted too.
pub fn select<'s>(
    suites: &'s [Suite],
    listed: Vec<Vec<TestInfo>>,
    selection: &select::Selection,
    quick: bool,
    notes: &mut Vec<String>,
) -> Vec<Planned<'s>> {
    let mut plan = Vec::new();
    let mut slow_skipped = 0usize;
    for (suite, tests) in suites.iter().zip(listed) {
        for info in tests {
            match select::skip_reason(selection, quick, &info) {
                None => plan.push(Planned { suite, info }),
                Some(Skip::Slow) => slow_skipped += 1,
                Some(_) => {}
            }
        }
    }
    if slow_skipped > 0 {
        notes.push(format!(
            "{slow_skipped} test(s) tagged `{}` skipped by --quick",
            select::SLOW_TAG
        ));
    }
    if plan.is_empty() && selection.no_tests == select::NoTests::Pass {
        notes.push("no perf test matched the filters".to_string());
    }
    plan
}

/// `--partition`: keeps this shard's share of the selected `plan` (the same rule for `run` and
/// both sides of `ab`) and says so in `notes`; the shard's identity for the report, whose
/// comparison settings the comparison fills in. `None` without `--partition`.
pub fn partition(
    plan: &mut Vec<Planned<'_>>,
    partition: Option<&Partition>,
    command: &str,
    notes: &mut Vec<String>,
) -> Option<Shard> {
    let p = partition?;
    let ids: Vec<String> = plan.iter().map(|t| t.id().to_string()).collect();
    let (kept, suite) = p.apply(std::mem::take(plan), &ids);
    *plan = kept;
    notes.push(format!(
        "shard {} ({}): {} of the {} selected tests",
        p.share,
        p.kind.name(),
        plan.len(),
        suite.tests
    ));
    Some(Shard {
        kind: p.kind.name().to_string(),
        index: p.share.index,
        count: p.share.count,
        command: command.to_string(),
        suite_tests: suite.tests,
        suite_digest: suite.digest,
        threshold: 0.0,
        alpha: 0.0,
        ci_alpha: None,
        rustc: String::new(),
        profile: String::new(),
        baseline_tests: Vec::new(),
        noise: Default::default(),
        companions: Vec::new(),
    })
}

/// What is checked between listing the tests and running the first one, so that a
/// configuration mistake exits 2 before anything is measured: the `PERF_<TEST>_<KEY>`
/// variables against the listed tests (and the load parameters of the planned load tests),
/// and a selection of nothing (`--no-tests`). Warnings go to the reporter and are kept in
/// `notes`.
pub fn check(
    listed: &[Vec<TestInfo>],
    plan: &[Planned<'_>],
    (selection, quick): (&select::Selection, bool),
    reporter: &mut dyn Reporter,
    notes: &mut Vec<String>,
) -> Result<(), CliError> {
    let all: Vec<&TestInfo> = listed.iter().flatten().collect();
    let names = all.iter().map(|t| t.name.as_str());
    let mut warnings = overrides::check_env(names, selection.strict_env)?;
    warnings.extend(select::check_selected(selection, quick, &all, plan.len())?);
    overrides::check_load_params(
        plan.iter()
            .filter(|p| p.info.kind == TestKind::Load)
            .map(|p| p.info.name.as_str()),
    )?;
    for w in warnings {
        reporter.event(&Event::Warning { text: &w });
        notes.push(w);
    }
    Ok(())
}

/// Applies the chosen profile's `overrides` to the `listed` tests of `suites` and gives each
/// suite the `PERF_<TEST>_<KEY>` variables that carry their limits ([`profile::apply`]); a
/// variable already in this environment is the user's and wins. `checked`: see there.
pub fn profiled(
    suites: &mut [Suite],
    listed: &mut [Vec<TestInfo>],
    overrides: &[profile::Override],
    checked: bool,
) -> Result<(), CliError> {
    let user_env = |var: &str| std::env::var_os(var).is_some();
    let envs = profile::apply(overrides, listed, user_env, checked)?;
    for (suite, env) in suites.iter_mut().zip(envs) {
        suite.set_env(env);
    }
    Ok(())
}

/// The ratios between tests (`overhead("plain") <= "20%"`) of the planned tests, each named
/// test resolved among every listed one (an unknown name is an error before anything runs).
/// A named test the filters (or the shard) left out is run too, and noted: the ratio needs its
/// figures. In a shard it is listed in `shard.companions`, so that `merge` keeps the copy of
/// the shard that owns it.
pub fn ratios<'s>(
    suites: &'s [Suite],
    listed: &[Vec<TestInfo>],
    plan: &mut Vec<Planned<'s>>,
    mut shard: Option<&mut Shard>,
    notes: &mut Vec<String>,
) -> Result<Vec<ratios::Link>, CliError> {
    let all: Vec<(&Suite, &TestInfo)> = suites
        .iter()
        .zip(listed)
        .flat_map(|(s, tests)| tests.iter().map(move |t| (s, t)))
        .collect();
    let seen: Vec<ratios::Listed> = all
        .iter()
        .map(|(s, t)| ratios::Listed {
            package: &s.package,
            target: &s.target,
            name: &t.name,
            ratios: &t.ratios,
        })
        .collect();
    let planned: Vec<String> = plan.iter().map(|p| p.id().to_string()).collect();
    let links: Vec<ratios::Link> = ratios::resolve(&seen)?
        .into_iter()
        .filter(|l| planned.contains(&l.test))
        .collect();
    for link in &links {
        if plan.iter().any(|p| p.id().to_string() == link.other) {
            continue;
        }
        if let Some((suite, info)) = all
            .iter()
            .find(|(s, t)| TestId::new(&s.package, &s.target, &t.name).to_string() == link.other)
        {
            plan.push(Planned {
                suite,
                info: (*info).clone(),
            });
            if let Some(shard) = shard.as_deref_mut() {
                shard.companions.push(link.other.clone());
            }
            notes.push(format!(
                "{} also ran: {}'s `{}(\"{}\")` compares with it",
                link.other,
                link.test,
                link.ratio.ratio.name(),
                link.ratio.other
            ));
        }
    }
    Ok(links)
}

/// `--list`: every suite's tests that the filters take (ignored ones too, marked, like libtest).
pub fn listing<'s>(
    suites: &'s [Suite],
    listed: &'s [Vec<TestInfo>],
    selection: &select::Selection,
) -> Vec<(String, Vec<&'s TestInfo>)> {
    suites
        .iter()
        .zip(listed)
        .map(|(suite, tests)| {
            let shown = tests
                .iter()
                .filter(|t| {
                    !matches!(
                        select::skip_reason(selection, false, t),
                        Some(Skip::Filtered | Skip::Tags)
                    )
                })
                .collect();
            (suite.label(), shown)
        })
        .collect()
}
