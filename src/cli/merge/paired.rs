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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::super::{shards, ShardFile};
    use super::*;
    use crate::cli::ab::rounds::{Policy, RoundRunner};
    use crate::cli::model::{MachineInfo, Report, Severity, Shard, TestId, Verdict};
    use crate::cli::partition::Partition;
    use crate::cli::testing;
    use crate::metrics::Metrics;
    use crate::protocol::TestKind;

    const BASE: &str = "1111111111111111111111111111111111111111";
    const HEAD: &str = "2222222222222222222222222222222222222222";
    const TESTS: usize = 12;

    /// Round `r`'s log-ratio of test `i` (12 rounds, one look): `t00` about +6 % with one
    /// round of rank 5 the other way (signed-rank p = 20/4096 ≈ 0.005: significant in a Holm
    /// family of two, not of twelve once `t01` is first); `t01` +10 % in every round
    /// (p = 2/4096, significant even among twelve); the rest within ±0.6 %, symmetric.
    fn log_ratio(i: usize, r: usize) -> f64 {
        let k = (r % 12) as f64;
        match i {
            0 => [
                0.01, 0.02, 0.03, 0.04, -0.05, 0.06, 0.07, 0.08, 0.09, 0.10, 0.11, 0.12,
            ][r % 12],
            1 => 0.10 + 0.001 * k,
            _ => {
                (0.001 + 1e-5 * i as f64) * (k / 2.0).floor() * if r % 2 == 0 { 1.0 } else { -1.0 }
            }
        }
    }

    /// The rounds of tests `ids` (suite indices), renumbered from 0 as `ab` runs its share;
    /// a test's next round continues its own sequence (confirmation rounds too).
    struct Rounds {
        ids: Vec<usize>,
        taken: Vec<usize>,
    }

    impl RoundRunner for Rounds {
        fn run_round(&mut self, test: usize, _: bool) -> Result<Pair, String> {
            let d = log_ratio(self.ids[test], self.taken[test]);
            self.taken[test] += 1;
            Ok(Pair {
                base: 100.0,
                head: 100.0 * d.exp(),
            })
        }
    }

    /// `ab`'s settings here: one look at 12 rounds, every change confirmed.
    fn policy() -> Policy {
        Policy {
            min_rounds: 12,
            max_rounds: 12,
            confirm: true,
            ..Policy::default()
        }
    }

    /// `ab` over the suite's tests `ids`, as its report's tests.
    fn ab(ids: &[usize]) -> Vec<TestReport> {
        let mut runner = Rounds {
            ids: ids.to_vec(),
            taken: vec![0; ids.len()],
        };
        let thresholds = vec![0.02; ids.len()];
        let decided = rounds::run_suite(&mut runner, &thresholds, &policy(), None);
        let head = testing::measurement(Metrics {
            median_ns: Some(100.0),
            ..Metrics::default()
        });
        ids.iter()
            .zip(&decided)
            .map(|(&i, result)| {
                let name = format!("t{i:02}");
                let info = testing::info(&name, TestKind::Bench);
                let id = TestId::new("p", "t", &name);
                results::compared(&id, &info, result, vec![head.clone()], BASE)
            })
            .collect()
    }

    /// What the judgement says of each test: verdict, adjusted p-value, severity.
    type Judged = BTreeMap<String, (Verdict, Option<f64>, Option<Severity>)>;

    fn judged(tests: &[TestReport]) -> Judged {
        (tests.iter())
            .map(|t| {
                let c = t.comparison.as_ref().unwrap();
                let p = c.rounds.as_ref().unwrap().adjusted_p;
                (t.id.clone(), (c.verdict, p, c.severity))
            })
            .collect()
    }

    /// Each of `n` `ab --partition slice:M/n` shards' reports.
    fn shard_files(n: u32) -> Vec<ShardFile> {
        let ids: Vec<String> = (0..TESTS).map(|i| format!("p/t/t{i:02}")).collect();
        (1..=n)
            .map(|m| {
                let p = Partition::parse(&format!("slice:{m}/{n}"), |_| None).unwrap();
                let (mine, shape) = p.apply((0..TESTS).collect(), &ids);
                let mut r = Report::new(MachineInfo::default(), ab(&mine), Vec::new());
                r.commit = Some(HEAD.into());
                r.baseline.commit = Some(BASE.into());
                r.shard = Some(Shard {
                    kind: "slice".into(),
                    index: m - 1,
                    count: n,
                    command: "ab".into(),
                    suite_tests: shape.tests,
                    suite_digest: shape.digest,
                    threshold: 0.02,
                    alpha: policy().alpha,
                    ci_alpha: Some(policy().ci_alpha),
                    rustc: "rustc 1.90.0".into(),
                    profile: "release".into(),
                    baseline_tests: Vec::new(),
                    noise: BTreeMap::new(),
                    companions: Vec::new(),
                });
                ShardFile {
                    path: format!("ab-{m}.json").into(),
                    report: r.finish(),
                }
            })
            .collect()
    }

    #[test]
    fn ab_shards_merge_to_the_verdicts_of_one_unsharded_holm() {
        let all: Vec<usize> = (0..TESTS).collect();
        let single = judged(&ab(&all));
        assert_eq!(single["p/t/t01"].0, Verdict::Regressed, "{single:?}");
        assert_eq!(single["p/t/t00"].0, Verdict::Inconclusive, "{single:?}");

        // Six slices of two: `t00` shares its Holm family with `t06` only, and is confirmed.
        let files = shard_files(6);
        let per_shard: Judged = files.iter().flat_map(|f| judged(&f.report.tests)).collect();
        assert_eq!(per_shard["p/t/t00"].0, Verdict::Regressed, "{per_shard:?}");
        assert!(files[0].report.tests[0]
            .comparison
            .as_ref()
            .unwrap()
            .severity
            .is_some());
        let confirmed = |f: &ShardFile| {
            let c = f.report.tests[0].comparison.as_ref().unwrap();
            c.rounds.as_ref().unwrap().confirm_pairs.len()
        };
        assert_eq!(confirmed(&files[0]), 12, "t00 was confirmed in its shard");
        assert_eq!(files[0].report.summary.regressed, 1);

        let merged = shards::merge(files).unwrap().report.finish();
        assert_eq!(
            judged(&merged.tests),
            single,
            "exactly the unsharded judgement"
        );
        assert_eq!(merged.summary.regressed, 1, "{:?}", merged.summary);
        assert_eq!(merged.summary.total, TESTS);
        assert!(
            merged
                .notes
                .iter()
                .any(|n| n.starts_with("1 shard verdict(s) changed")),
            "{:?}",
            merged.notes
        );
    }

    #[test]
    fn an_ab_shard_without_looks_or_ci_alpha_is_refused() {
        let mut files = shard_files(2);
        files[1].report.shard.as_mut().unwrap().ci_alpha = None;
        let Err(e) = shards::merge(files) else {
            panic!("merged")
        };
        assert!(e.message.contains("shard.ci_alpha"), "{}", e.message);

        let mut files = shard_files(2);
        let c = files[1].report.tests[0].comparison.as_mut().unwrap();
        c.rounds.as_mut().unwrap().looks = None;
        let Err(e) = shards::merge(files) else {
            panic!("merged")
        };
        assert!(
            e.message
                .contains("p/t/t01's rounds have a p-value but no `looks`"),
            "{}",
            e.message
        );
    }
}
