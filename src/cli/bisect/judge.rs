//! One question of the bisect search, answered with `ab`'s machinery: the candidate commit is
//! written and built aside (`ab::base::build`, cached per commit like an `ab` base), both
//! sides' suites are opened and paired (`ab::sides`), and paired rounds of the candidate
//! against GOOD (`ab::session`) give each test's verdict. The user's worktree is never used.

use std::collections::BTreeMap;
use std::time::Duration;

use super::search::Judgement;
use super::TestChange;
use crate::cli::ab::base::{self, Built, ResolvedBase};
use crate::cli::ab::{session, sides};
use crate::cli::errors::CliError;
use crate::cli::git::Git;
use crate::cli::model::{TestReport, Verdict};
use crate::cli::project::build::BuiltTarget;
use crate::cli::project::select::Selection;
use crate::cli::project::workspace::{BuildOptions, Workspace};
use crate::cli::report::words::short;
use crate::cli::run::events::Reporter;
use crate::cli::run::interrupt;

/// How much bigger the budget of a second try at an inconclusive commit is.
pub const RETRY_BUDGET_FACTOR: u32 = 4;

/// A tracked test is judged at half the change BAD showed, so a commit is bad when it carries
/// at least half of BAD's slowdown (and good when it is clearly below that).
const TRACKED_SHARE: f64 = 0.5;

/// What stays the same across the steps of one bisect.
pub struct Judge<'a> {
    pub git: &'a Git,
    pub ws: &'a Workspace,
    pub options: &'a BuildOptions,
    pub good: ResolvedBase,
    pub good_targets: Vec<BuiltTarget>,
    pub selection: Selection,
    pub quick: bool,
    pub plan: session::Plan,
    pub test_timeout: Option<Duration>,
    /// After BAD's step: the tests followed, by id, with the threshold each is judged at.
    pub tracked: BTreeMap<String, f64>,
}

/// One commit judged: the answer, every compared test, and how many times the rounds ran.
pub struct Judged {
    pub judgement: Judgement<()>,
    pub tests: Vec<TestChange>,
    pub attempts: u32,
}

/// GOOD's build: it must build and have perf suites, or there is nothing to compare against.
pub fn build_good(
    git: &Git,
    good: &ResolvedBase,
    ws: &Workspace,
    options: &BuildOptions,
    reporter: &mut dyn Reporter,
) -> Result<Vec<BuiltTarget>, CliError> {
    base::build(git, good, "GOOD", ws, options, reporter)?.ok_or_else(|| {
        CliError::config(
            format!("GOOD `{}` has no perf suites", good.reference),
            "give a GOOD commit that already has the perf tests to compare",
        )
    })
}

impl Judge<'_> {
    /// Judge BAD against GOOD over every test FILTER selects; the tests that regressed become
    /// the tracked ones. Errors (a FILTER matching no test, BAD not building) end the bisect.
    pub fn judge_bad(
        &mut self,
        bad: &ResolvedBase,
        reporter: &mut dyn Reporter,
    ) -> Result<Judged, CliError> {
        let targets = base::build(self.git, bad, "BAD", self.ws, self.options, reporter)?;
        let targets = targets.ok_or_else(|| {
            CliError::config(
                format!("BAD `{}` has no perf suites", bad.reference),
                "give a BAD commit that has the perf tests to compare",
            )
        })?;
        let mut attempts = 0;
        let mut budget = self.plan.budget;
        loop {
            attempts += 1;
            let tests = self.measure(&bad.commit, &targets, budget, reporter)?;
            let regressed: Vec<&TestChange> =
                tests.iter().filter(|t| t.verdict == "regressed").collect();
            if !regressed.is_empty() {
                self.tracked = regressed
                    .iter()
                    .map(|t| {
                        let share = t.change.unwrap_or(0.0) * TRACKED_SHARE;
                        (t.id.clone(), share.max(t.threshold))
                    })
                    .collect();
                let judgement = Judgement::Bad(());
                return Ok(Judged {
                    judgement,
                    tests,
                    attempts,
                });
            }
            let unsure = tests.iter().any(|t| t.verdict == "inconclusive");
            if !unsure || attempts > 1 {
                let judgement = Judgement::Good;
                return Ok(Judged {
                    judgement,
                    tests,
                    attempts,
                });
            }
            budget *= RETRY_BUDGET_FACTOR;
        }
    }

    /// Judge one candidate on the tracked tests: bad when one of them regressed, good when
    /// all are unchanged or faster; inconclusive gets one more try with a bigger budget, then
    /// the commit is skipped, and so is a commit that does not build or lacks the tests.
    pub fn judge(&mut self, commit: &str, reporter: &mut dyn Reporter) -> Result<Judged, CliError> {
        let skip = |why: String, tests, attempts| Judged {
            judgement: Judgement::Skip(why),
            tests,
            attempts,
        };
        let candidate = ResolvedBase {
            reference: short(commit).to_string(),
            commit: commit.to_string(),
            merge_base_of: None,
        };
        let built = base::build(
            self.git,
            &candidate,
            "commit",
            self.ws,
            self.options,
            reporter,
        );
        let targets = match built {
            Ok(Some(t)) => t,
            Ok(None) => return Ok(skip("it has no perf suites".into(), Vec::new(), 0)),
            Err(e) => {
                interrupt::check()?;
                return Ok(skip(
                    format!("it does not build: {}", e.message),
                    Vec::new(),
                    0,
                ));
            }
        };
        let (mut budget, mut attempts) = (self.plan.budget, 1);
        loop {
            let tests = match self.measure(commit, &targets, budget, reporter) {
                Ok(t) => t,
                Err(e) => {
                    interrupt::check()?;
                    return Ok(skip(e.message, Vec::new(), attempts));
                }
            };
            let followed = |t: &&TestChange| self.tracked.contains_key(&t.id);
            let verdicts: Vec<&str> = tests.iter().filter(followed).map(|t| &*t.verdict).collect();
            let judgement = if verdicts.contains(&"regressed") {
                Judgement::Bad(())
            } else if verdicts.len() == self.tracked.len()
                && verdicts
                    .iter()
                    .all(|v| matches!(*v, "unchanged" | "improved"))
            {
                Judgement::Good
            } else if attempts == 2 {
                let why = "inconclusive after a second try with a bigger budget".to_string();
                return Ok(skip(why, tests, attempts));
            } else {
                (budget, attempts) = (budget * RETRY_BUDGET_FACTOR, 2);
                continue;
            };
            return Ok(Judged {
                judgement,
                tests,
                attempts,
            });
        }
    }

    /// Paired rounds of `commit`'s build against GOOD's, over the tracked tests (FILTER's
    /// before there are any), each at its threshold.
    fn measure(
        &self,
        commit: &str,
        targets: &[BuiltTarget],
        budget: Duration,
        reporter: &mut dyn Reporter,
    ) -> Result<Vec<TestChange>, CliError> {
        let built = Built {
            base: Some(self.good.clone()),
            base_targets: Some(self.good_targets.clone()),
            head_targets: targets.to_vec(),
        };
        let mut notes = Vec::new();
        let mut suites = sides::open(&built, false, &mut notes)?;
        let selection = self.selection();
        let picked = (&selection, self.quick, None);
        let mut plans = suites.plan(picked, false, &[], reporter, &mut notes)?;
        for t in &mut plans.matched.both {
            if let Some(&threshold) = self.tracked.get(&t.id) {
                t.info.noise = Some(threshold);
            }
        }
        let (base_side, head_side) = plans.sides(self.test_timeout);
        let plan = session::Plan {
            budget,
            ..self.plan.clone()
        };
        let commits = (self.good.commit.as_str(), Some(commit));
        let measured = session::run(
            &plans.matched,
            &base_side,
            &head_side,
            &plan,
            commits,
            reporter,
        );
        interrupt::check()?;
        let thresholds = plans.matched.both.iter().map(|t| {
            let threshold = t.info.noise.unwrap_or(plan.threshold);
            (t.id.clone(), threshold)
        });
        let thresholds: BTreeMap<String, f64> = thresholds.collect();
        Ok(measured
            .tests
            .iter()
            .filter_map(|t| Some(change(t, *thresholds.get(&t.id)?)))
            .collect())
    }

    /// FILTER's selection, narrowed to the tracked tests' names once there are some.
    fn selection(&self) -> Selection {
        if self.tracked.is_empty() {
            return self.selection.clone();
        }
        let names = self.tracked.keys();
        let names = names.map(|id| id.splitn(3, '/').nth(2).unwrap_or(id).to_string());
        Selection {
            filters: names.collect(),
            exact: true,
            skip: Vec::new(),
            ..self.selection.clone()
        }
    }
}

/// A compared test's verdict as the bisect report shows it.
fn change(t: &TestReport, threshold: f64) -> TestChange {
    let c = t.comparison.as_ref();
    let verdict = match (t.error.is_some(), c.map(|c| c.verdict)) {
        (true, _) | (_, None) => "error",
        (_, Some(Verdict::Regressed)) => "regressed",
        (_, Some(Verdict::Improved)) => "improved",
        (_, Some(Verdict::Unchanged)) => "unchanged",
        (_, Some(Verdict::Inconclusive | Verdict::New)) => "inconclusive",
    };
    TestChange {
        id: t.id.clone(),
        metric: c.map_or_else(String::new, |c| c.metric.clone()),
        change: c.and_then(|c| c.change),
        ci: c.and_then(|c| c.ci),
        verdict: verdict.to_string(),
        threshold,
    }
}
