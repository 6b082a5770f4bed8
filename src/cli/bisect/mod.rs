//! `cargo perf bisect GOOD BAD [FILTER]`: the first first-parent commit after GOOD that made
//! FILTER's tests slower. `search` is the pure binary search; `judge` answers one of its
//! questions with `ab`'s machinery (the candidate built aside, paired rounds against GOOD).
//! This module holds what the search found, as the reports render it (`report::bisect`).

pub mod judge;
pub mod search;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::cli::ab::base::ResolvedBase;
use crate::cli::errors::CliError;
use crate::cli::report::words::short;
use crate::cli::run::events::{Event, Reporter};

/// A commit as the report names it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CommitRef {
    pub commit: String,
    pub subject: Option<String>,
}

/// A ref the user gave and the commit it names.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Endpoint {
    #[serde(rename = "ref")]
    pub reference: String,
    pub commit: String,
}

/// One test's paired comparison of a commit against GOOD.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TestChange {
    pub id: String,
    pub metric: String,
    /// Relative change against GOOD (+0.3 = 30 % slower).
    pub change: Option<f64>,
    pub ci: Option<[f64; 2]>,
    /// `regressed`, `improved`, `unchanged`, `inconclusive`, or `error`.
    pub verdict: String,
    /// The threshold it was judged at, as a fraction.
    pub threshold: f64,
}

/// One question of the search and its answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepReport {
    #[serde(flatten)]
    pub commit: CommitRef,
    /// `bad`, `good` or `skip`.
    pub verdict: &'static str,
    /// Why a commit was skipped.
    pub reason: Option<String>,
    /// The tests compared at this step (empty when the build failed).
    pub tests: Vec<TestChange>,
    /// How many times the rounds ran: 1, or 2 when an inconclusive answer got a bigger budget.
    pub attempts: u32,
}

/// How the search ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// `first_bad` is the first commit that made the tests slower.
    Found,
    /// Skipped commits sit between the last good and the first bad commit: the first bad is
    /// one of `candidates`.
    Ambiguous,
    /// BAD is not slower than GOOD: nothing to search.
    NoRegression,
}

/// The whole answer of `cargo perf bisect` (`--format json` writes this object).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BisectReport {
    pub schema_version: u32,
    pub tool_version: String,
    pub good: Endpoint,
    pub bad: Endpoint,
    /// The first-parent commits after GOOD up to BAD.
    pub commits: usize,
    pub outcome: Outcome,
    /// The tests whose slowdown at BAD the search followed.
    pub tracked: Vec<String>,
    /// The first bad commit, with its change against GOOD (`found`).
    pub first_bad: Option<StepReport>,
    /// The commits the first bad one may be, oldest first (`ambiguous`).
    pub candidates: Vec<CommitRef>,
    /// Every judged commit, in the order judged; the first is BAD.
    pub steps: Vec<StepReport>,
    /// The commits it could not judge, with why.
    pub skipped: Vec<StepReport>,
    pub duration_ns: u64,
}

impl BisectReport {
    /// 0 when the first bad commit was found; 1 when there is no regression to find or skips
    /// leave it ambiguous.
    pub fn exit_code(&self) -> i32 {
        match self.outcome {
            Outcome::Found => 0,
            Outcome::Ambiguous | Outcome::NoRegression => 1,
        }
    }
}

/// Judge BAD, then search `commits` (oldest first, BAD last) with `judge`, telling `reporter`
/// each step; the report's `duration_ns` is left for the caller.
pub fn run(
    judge: &mut judge::Judge<'_>,
    (good, bad): (Endpoint, Endpoint),
    commits: &[String],
    reporter: &mut dyn Reporter,
) -> Result<BisectReport, CliError> {
    let git = judge.git;
    let commit_ref = |c: &str| CommitRef {
        commit: c.to_string(),
        subject: git.summary(c),
    };
    let total = commits.len();
    let announce = |reporter: &mut dyn Reporter, step: usize, c: &str| {
        let left = search::steps_left(total, step);
        let what = format!("{} (step {step}, about {left} more)", short(c));
        reporter.event(&Event::Step {
            verb: "Bisecting",
            what: &what,
        });
    };
    let told = |reporter: &mut dyn Reporter, s: &StepReport| {
        let what = format!("{}: {}", short(&s.commit.commit), s.verdict);
        reporter.event(&Event::Step {
            verb: "Judged",
            what: &what,
        });
    };
    announce(reporter, 1, &bad.commit);
    let bad_base = ResolvedBase {
        reference: bad.reference.clone(),
        commit: bad.commit.clone(),
        merge_base_of: None,
    };
    let judged = judge.judge_bad(&bad_base, reporter)?;
    let bad_step = step_report(commit_ref(&bad.commit), judged);
    told(reporter, &bad_step);
    let mut report = BisectReport {
        schema_version: 1,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        good,
        bad,
        commits: total,
        outcome: Outcome::NoRegression,
        tracked: judge.tracked.keys().cloned().collect(),
        first_bad: None,
        candidates: Vec::new(),
        steps: vec![bad_step.clone()],
        skipped: Vec::new(),
        duration_ns: 0,
    };
    if bad_step.verdict != "bad" {
        return Ok(report);
    }
    let mut by_index: BTreeMap<usize, StepReport> = BTreeMap::from([(total - 1, bad_step)]);
    let found = search::bisect(total, (), |i| {
        announce(reporter, by_index.len() + 1, &commits[i]);
        let judged = judge.judge(&commits[i], reporter)?;
        let judgement = judged.judgement.clone();
        let step = step_report(commit_ref(&commits[i]), judged);
        told(reporter, &step);
        report.steps.push(step.clone());
        if judgement_is_skip(&judgement) {
            report.skipped.push(step.clone());
        }
        by_index.insert(i, step);
        Ok::<_, CliError>(judgement)
    })?;
    if found.undecided.is_empty() {
        report.outcome = Outcome::Found;
        report.first_bad = by_index.remove(&found.first_bad);
    } else {
        report.outcome = Outcome::Ambiguous;
        let range = found.undecided.iter().chain([&found.first_bad]);
        report.candidates = range.map(|&i| commit_ref(&commits[i])).collect();
    }
    Ok(report)
}

fn judgement_is_skip(j: &search::Judgement<()>) -> bool {
    matches!(j, search::Judgement::Skip(_))
}

fn step_report(commit: CommitRef, judged: judge::Judged) -> StepReport {
    let (verdict, reason) = match judged.judgement {
        search::Judgement::Good => ("good", None),
        search::Judgement::Bad(()) => ("bad", None),
        search::Judgement::Skip(why) => ("skip", Some(why)),
    };
    StepReport {
        commit,
        verdict,
        reason,
        tests: judged.tests,
        attempts: judged.attempts,
    }
}
