//! `ab`'s two sides from their builds to the tests both run: open each side's suites, list and
//! select them with `run`'s own step (`run::plan`), and pair the tests by id.

use std::collections::HashSet;
use std::time::Duration;

use super::base::Built;
use super::session::{self, Matched, SuiteSide};
use crate::cli::errors::CliError;
use crate::cli::model::Shard;
use crate::cli::partition::Partition;
use crate::cli::profile::Override;
use crate::cli::project::select::Selection;
use crate::cli::run::events::Reporter;
use crate::cli::run::plan;
use crate::cli::run::runner::Planned;
use crate::cli::run::suite::Suite;

/// Both sides' opened suites (a calibration opens head's build twice).
pub struct Suites {
    base: Vec<Suite>,
    head: Vec<Suite>,
}

/// Open the suites of both builds; a base without perf suites has none (every head test is
/// then new).
pub fn open(built: &Built, calibrate: bool, notes: &mut Vec<String>) -> Result<Suites, CliError> {
    let head = plan::open(&built.head_targets, notes)?;
    let base = match &built.base_targets {
        Some(targets) => plan::open(targets, notes)?,
        None if calibrate => plan::open(&built.head_targets, &mut Vec::new())?,
        None => Vec::new(),
    };
    Ok(Suites { base, head })
}

/// The selected tests of each side and their pairing.
pub struct Plans<'s> {
    pub base: Vec<Planned<'s>>,
    pub head: Vec<Planned<'s>>,
    pub matched: Matched,
    /// `--partition`: this shard's identity (head's selection is what is partitioned).
    pub shard: Option<Shard>,
}

impl Suites {
    /// Select on both sides with the same filters, after the profile's `overrides` are applied
    /// to both (so that each side's processes judge the same limits); head's selection is
    /// checked as `run`'s is (warnings to the reporter, a selection of nothing per
    /// `--no-tests`, an override matching no test), the base's is not: a test the base lacks
    /// is new, not an error.
    pub fn plan(
        &mut self,
        (selection, quick, partition): (&Selection, bool, Option<&Partition>),
        calibrate: bool,
        overrides: &[Override],
        reporter: &mut dyn Reporter,
        notes: &mut Vec<String>,
    ) -> Result<Plans<'_>, CliError> {
        let mut head_listed = plan::list(&self.head)?;
        plan::profiled(&mut self.head, &mut head_listed, overrides, true)?;
        let mut base_listed = plan::list(&self.base)?;
        plan::profiled(&mut self.base, &mut base_listed, overrides, false)?;
        let this: &Self = self;
        let head = plan::select(&this.head, head_listed.clone(), selection, quick, notes);
        plan::check(&head_listed, &head, (selection, quick), reporter, notes)?;
        let head_ids: HashSet<String> = head.iter().map(|p| p.id().to_string()).collect();
        let mut head = head;
        let shard = plan::partition(&mut head, partition, "ab", notes);
        let mut base = plan::select(&this.base, base_listed, selection, quick, &mut Vec::new());
        if let Some(p) = partition {
            // A base test is measured where its head twin is; one head lacks, where its hash is.
            let kept: HashSet<String> = head.iter().map(|p| p.id().to_string()).collect();
            base.retain(|b| {
                let id = b.id().to_string();
                kept.contains(&id) || (!head_ids.contains(&id) && p.owns_by_hash(&id))
            });
        }
        let matched = session::match_tests(session::described(&base), session::described(&head));
        notes.extend(matched.notes(calibrate));
        Ok(Plans {
            base,
            head,
            matched,
            shard,
        })
    }
}

impl Plans<'_> {
    /// The two sides to measure on, with `--test-timeout`.
    pub fn sides(&self, test_timeout: Option<Duration>) -> (SuiteSide<'_>, SuiteSide<'_>) {
        let side = |plan| SuiteSide::new(plan, test_timeout);
        (side(&self.base), side(&self.head))
    }
}
