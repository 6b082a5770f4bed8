//! The suite-wide judgement of merged `ab --partition` shards: the Holm step an unsharded `ab`
//! takes ([`rounds::suite_holm`]), redone over every shard's paired tests from the raw
//! p-values and looks their rounds carry. A suite-wide adjusted p-value is never smaller than
//! a shard's, so a test significant in its shard stays so only while it is significant over the
//! whole suite; one that no longer is gets the verdict `ab` gives a non-significant estimate
//! (its confirmation rounds, which an unsharded run would not have taken, no longer count);
//! a test its shard found not significant keeps its verdict.

use crate::cli::ab::{results, rounds};
use crate::cli::compare::paired::{self, Pair};
use crate::cli::errors::CliError;
use crate::cli::model::TestReport;

/// The levels every shard judged with (checked equal across shards before).
pub struct Levels {
    /// Family-wise level of the Holm step.
    pub alpha: f64,
    /// Level of the paired intervals.
    pub ci_alpha: f64,
}

/// Redoes Holm over every test in `tests` with a raw p-value and updates each one's
/// `adjusted_p`, verdict and severity. Returns how many verdicts the suite-wide family changed.
/// Exit 2 for a test whose rounds lack `looks` (a report of an older cargo-perf).
pub fn judge(tests: &mut [TestReport], levels: &Levels) -> Result<usize, CliError> {
    let mut family = Vec::new();
    let mut raw = Vec::new();
    for (i, t) in tests.iter().enumerate() {
        let Some(r) = t.comparison.as_ref().and_then(|c| c.rounds.as_ref()) else {
            continue;
        };
        let Some(p) = r.p_value else { continue };
        let looks = r.looks.ok_or_else(|| {
            CliError::usage(
                format!(
                    "test {}'s rounds have a p-value but no `looks`: the suite-wide Holm step \
                     cannot be redone",
                    t.id
                ),
                "run every `ab` shard again with this version of cargo-perf",
            )
        })?;
        family.push(i);
        raw.push((p, looks));
    }
    let adjusted = rounds::suite_holm(&raw);
    let mut changed = 0;
    for (&i, &p) in family.iter().zip(&adjusted) {
        let t = &mut tests[i];
        let errored = t.error.is_some();
        let Some(c) = t.comparison.as_mut() else {
            continue;
        };
        let Some(r) = c.rounds.as_mut() else { continue };
        let was = r.adjusted_p.is_some_and(|q| q <= levels.alpha);
        r.adjusted_p = Some(p);
        // A failed round keeps its `inconclusive`, as it would unsharded.
        if !was || p <= levels.alpha || errored {
            continue;
        }
        let pairs: Vec<Pair> = (r.pairs.iter())
            .map(|&[base, head]| Pair { base, head })
            .collect();
        let verdict = paired::estimate(&paired::log_ratios(&pairs), levels.ci_alpha)
            .map_or(crate::cli::model::Verdict::Inconclusive, |est| {
                rounds::judge(&est, p, levels.alpha, r.threshold)
            });
        if verdict != c.verdict {
            changed += 1;
        }
        c.verdict = verdict;
        c.severity = results::severity(verdict, c.change, r.threshold);
    }
    Ok(changed)
}
