//! The merge of `--partition` shards: checks that the files are every shard of one suite,
//! measured alike, each exactly once; then one report of every test, compared over the whole
//! suite with the comparison a single run uses (`compare::unpaired::apply`: moderation and
//! Benjamini–Hochberg see every test, not a shard's share, which would inflate false alarms
//! up to N-fold). `ab` shards instead redo `ab`'s suite-wide Holm step over every shard's
//! paired rounds ([`paired`]).

use std::collections::{BTreeMap, HashMap, HashSet};

use super::{paired, Merged, ShardFile};
use crate::cli::compare::{self, CompareOptions};
use crate::cli::errors::CliError;
use crate::cli::fingerprint::Fingerprint;
use crate::cli::model::{Report, Shard, TestReport};
use crate::cli::store::policy::Side;

/// What `merge --save` stores: the merged run as one record, under its commit.
pub struct ToSave {
    pub fingerprint: Fingerprint,
    pub side: Option<Side>,
}

/// The shards' one report; exit 2 for a file that is not a shard, a foreign one, a missing,
/// duplicate or overlapping shard.
pub fn merge(files: Vec<ShardFile>) -> Result<Merged, CliError> {
    let shards = check(&files)?;
    let first = &files[0].report;
    let s0 = shards[0];
    let tests = combine(&files, &shards)?;
    let mut report = Report::new(first.machine.clone(), tests, notes(&files));
    (report.commit, report.dirty) = (first.commit.clone(), files.iter().any(|f| f.report.dirty));
    report.baseline = first.baseline.clone();
    report.perf_profile = first.perf_profile.clone();
    report.started_at = files
        .iter()
        .filter_map(|f| f.report.started_at.clone())
        .min();
    // The shards ran side by side: the merged run took as long as the slowest.
    report.duration_ns = files.iter().filter_map(|f| f.report.duration_ns).max();
    let base: Vec<TestReport> = shards
        .iter()
        .flat_map(|s| s.baseline_tests.clone())
        .collect();
    let noise: BTreeMap<String, f64> = shards.iter().flat_map(|s| s.noise.clone()).collect();
    match s0.ci_alpha {
        // `ab`: paired rounds, whose Holm step is redone over the whole suite.
        Some(ci_alpha) if s0.command == "ab" => {
            let levels = paired::Levels {
                alpha: s0.alpha,
                ci_alpha,
            };
            let changed = paired::judge(&mut report.tests, &levels)?;
            if changed > 0 {
                report.notes.push(format!(
                    "{changed} shard verdict(s) changed: not significant over the whole suite (Holm)"
                ));
            }
            report.growth = compare::growth::of(&report.tests, Some(&base));
        }
        _ => judge(&mut report, &base, &noise, s0),
    }
    let fingerprint = Fingerprint {
        machine: first.machine.clone(),
        rustc: s0.rustc.clone(),
        profile: s0.profile.clone(),
    };
    let side = report.commit.clone().map(|commit| Side {
        commit,
        dirty: report.dirty,
        branch: None,
        tests: report.tests.clone(),
        noise,
        perf_profile: report.perf_profile.clone(),
    });
    report.notes.push(format!(
        "merged {} shards ({}) of {} tests; verdicts judged over the whole suite",
        s0.count, s0.kind, s0.suite_tests
    ));
    let save = Some(ToSave { fingerprint, side });
    Ok(Merged { report, save })
}

/// Every file's shard, after checking that they are the shards of one suite, each once.
fn check(files: &[ShardFile]) -> Result<Vec<&Shard>, CliError> {
    let mut shards = Vec::new();
    for f in files {
        let shard = f.report.shard.as_ref().ok_or_else(|| {
            CliError::usage(
                format!(
                    "{} is not a shard's report (it has no `shard`)",
                    f.path.display()
                ),
                "give the `--format json -o FILE` reports of `cargo perf --partition ...` runs",
            )
        })?;
        shards.push(shard);
    }
    let (first, s0) = (&files[0], shards[0]);
    if s0.command == "ab" && s0.ci_alpha.is_none() {
        return Err(CliError::usage(
            format!(
                "{} is an `ab` shard without `shard.ci_alpha`: the suite-wide Holm step cannot \
                 be redone from it",
                first.path.display()
            ),
            "run every `ab` shard again with this version of cargo-perf",
        ));
    }
    for (f, s) in files.iter().zip(&shards).skip(1) {
        let r = &f.report;
        let fields: [(&str, String, String); 14] = [
            (
                "tool_version",
                r.tool_version.clone(),
                first.report.tool_version.clone(),
            ),
            (
                "commit",
                format!("{:?}", r.commit),
                format!("{:?}", first.report.commit),
            ),
            (
                "machine.id",
                r.machine.id.clone(),
                first.report.machine.id.clone(),
            ),
            (
                "baseline.commit",
                format!("{:?}", r.baseline.commit),
                format!("{:?}", first.report.baseline.commit),
            ),
            ("shard.kind", s.kind.clone(), s0.kind.clone()),
            ("shard.count", s.count.to_string(), s0.count.to_string()),
            ("shard.command", s.command.clone(), s0.command.clone()),
            (
                "shard.suite_digest",
                s.suite_digest.clone(),
                s0.suite_digest.clone(),
            ),
            (
                "shard.suite_tests",
                s.suite_tests.to_string(),
                s0.suite_tests.to_string(),
            ),
            (
                "shard.threshold",
                s.threshold.to_string(),
                s0.threshold.to_string(),
            ),
            ("shard.alpha", s.alpha.to_string(), s0.alpha.to_string()),
            (
                "shard.ci_alpha",
                format!("{:?}", s.ci_alpha),
                format!("{:?}", s0.ci_alpha),
            ),
            ("shard.rustc", s.rustc.clone(), s0.rustc.clone()),
            ("shard.profile", s.profile.clone(), s0.profile.clone()),
        ];
        if let Some((field, this, theirs)) = fields.into_iter().find(|(_, a, b)| a != b) {
            return Err(CliError::usage(
                format!(
                    "{} is foreign: its {field} is {this}, but {}'s is {theirs}",
                    f.path.display(),
                    first.path.display()
                ),
                "merge the shards of one run: the same commit, suite, settings and tool, and \
                 the same `--machine NAME` on every runner (the machine id is the host name \
                 otherwise, and the merged run is stored under one)",
            ));
        }
    }
    let mut seen: HashMap<u32, &ShardFile> = HashMap::new();
    for (f, s) in files.iter().zip(&shards) {
        if let Some(other) = seen.insert(s.index, f) {
            return Err(CliError::usage(
                format!(
                    "duplicate: {} and {} are both shard {}/{}",
                    other.path.display(),
                    f.path.display(),
                    s.index + 1,
                    s.count
                ),
                "give each shard's report once",
            ));
        }
    }
    let missing: Vec<String> = (0..s0.count)
        .filter(|i| !seen.contains_key(i))
        .map(|i| format!("{}/{}", i + 1, s0.count))
        .collect();
    if !missing.is_empty() {
        return Err(CliError::usage(
            format!("incomplete: shard {} missing", missing.join(", ")),
            "give every shard's report; a shard whose job failed must be run again",
        ));
    }
    Ok(shards)
}

/// Every test once, sorted by id: a shard's ratio companions give way to the copy of the
/// shard that owns the test (kept once when no shard owns it); a test two shards own is an
/// error, and so is a suite with fewer tests than the shards said it has.
fn combine(files: &[ShardFile], shards: &[&Shard]) -> Result<Vec<TestReport>, CliError> {
    let mut owned: BTreeMap<String, (&ShardFile, TestReport)> = BTreeMap::new();
    let mut companions: BTreeMap<String, TestReport> = BTreeMap::new();
    for (f, s) in files.iter().zip(shards) {
        let extra: HashSet<&str> = s.companions.iter().map(String::as_str).collect();
        for t in &f.report.tests {
            if extra.contains(t.id.as_str()) {
                companions.entry(t.id.clone()).or_insert_with(|| t.clone());
            } else if let Some((other, _)) = owned.insert(t.id.clone(), (f, t.clone())) {
                return Err(CliError::usage(
                    format!(
                        "duplicate: test {} is in both {} and {}",
                        t.id,
                        other.path.display(),
                        f.path.display()
                    ),
                    "each test belongs to one shard: merge the reports of one partitioned run",
                ));
            }
        }
    }
    let expected = shards[0].suite_tests;
    if owned.len() != expected {
        return Err(CliError::usage(
            format!(
                "incomplete: the shards hold {} of the suite's {expected} tests",
                owned.len()
            ),
            "run every shard of the suite again from the same commit",
        ));
    }
    let mut tests: BTreeMap<String, TestReport> =
        owned.into_iter().map(|(id, (_, t))| (id, t)).collect();
    for (id, t) in companions {
        tests.entry(id).or_insert(t);
    }
    Ok(tests.into_values().collect())
}

/// The suite-wide comparison: the one a single run makes, over every shard's baseline
/// evidence. An accepted level stays marked as the shard found it.
fn judge(report: &mut Report, base: &[TestReport], noise: &BTreeMap<String, f64>, s: &Shard) {
    let Some(commit) = report.baseline.commit.clone() else {
        report.growth = compare::growth::of(&report.tests, None);
        return;
    };
    let accepted: HashMap<String, _> = (report.tests.iter())
        .filter_map(|t| {
            let c = t.comparison.as_ref()?;
            Some((
                t.id.clone(),
                (c.accepted.clone()?, c.baseline_commit.clone()),
            ))
        })
        .collect();
    let opts = CompareOptions {
        threshold: s.threshold,
        alpha: s.alpha,
    };
    compare::unpaired::apply(base, &mut report.tests, noise, Some(&commit), &opts);
    for t in &mut report.tests {
        let Some((a, at)) = accepted.get(&t.id) else {
            continue;
        };
        let ops = t
            .operations
            .iter_mut()
            .filter_map(|o| o.comparison.as_mut());
        for c in t.comparison.iter_mut().chain(ops) {
            (c.accepted, c.baseline_commit) = (Some(a.clone()), at.clone());
        }
    }
    report.growth = compare::growth::of(&report.tests, Some(base));
}

/// The shards' notes once each, without what only a shard says of itself (which share it
/// ran, that it was not saved).
fn notes(files: &[ShardFile]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for f in files {
        let Some(s) = &f.report.shard else { continue };
        let own = format!("shard {}/{} (", s.index + 1, s.count);
        let unsaved = crate::cli::store::policy::shard_note(s);
        for n in &f.report.notes {
            if !n.starts_with(&own) && *n != unsaved && !out.contains(n) {
                out.push(n.clone());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::errors::ErrorKind;
    use crate::cli::model::{MachineInfo, Verdict};
    use crate::cli::partition::Partition;
    use crate::cli::testing::bench;

    const BASE: &str = "1111111111111111111111111111111111111111";
    const HEAD: &str = "2222222222222222222222222222222222222222";

    /// Twelve tests: `t00` about 6 % slower with a wide process spread, so that its p-value
    /// (about 0.02) passes a family of two but not of twelve; the rest unchanged.
    fn suite() -> (Vec<TestReport>, Vec<TestReport>) {
        let mut base = Vec::new();
        let mut head = Vec::new();
        for i in 0..12 {
            let id = format!("p/t/t{i:02}");
            let wobble = [100.0, 100.4, 99.6, 100.2, 99.8];
            let (b, h): (Vec<f64>, Vec<f64>) = if i == 0 {
                let b = [96.0, 104.0, 100.0, 98.0, 102.0];
                let h = [102.0, 98.0, 104.0, 100.0, 96.0].map(|m| m * 1.06);
                (b.to_vec(), h.to_vec())
            } else {
                let h = wobble
                    .iter()
                    .rev()
                    .map(|m| m * (1.0 + i as f64 * 1e-4))
                    .collect();
                (wobble.to_vec(), h)
            };
            base.push(bench(&id).processes(&b).build());
            head.push(bench(&id).processes(&h).build());
        }
        (base, head)
    }

    fn verdicts(tests: &[TestReport]) -> BTreeMap<String, Verdict> {
        let v = |t: &TestReport| t.comparison.as_ref().map(|c| c.verdict);
        tests
            .iter()
            .map(|t| (t.id.clone(), v(t).unwrap()))
            .collect()
    }

    /// Each shard's report as `run --partition KIND:M/N` writes it: compared on its own tests.
    fn shard_files(kind: &str, n: u32) -> Vec<ShardFile> {
        let (base, head) = suite();
        let ids: Vec<String> = head.iter().map(|t| t.id.clone()).collect();
        let opts = CompareOptions::default();
        (1..=n)
            .map(|m| {
                let p = Partition::parse(&format!("{kind}:{m}/{n}"), |_| None).unwrap();
                let (mut mine, shape) = p.apply(head.clone(), &ids);
                let keep: HashSet<String> = mine.iter().map(|t| t.id.clone()).collect();
                let theirs: Vec<TestReport> = base
                    .iter()
                    .filter(|t| keep.contains(&t.id))
                    .cloned()
                    .collect();
                compare::unpaired::apply(&theirs, &mut mine, &BTreeMap::new(), Some(BASE), &opts);
                let mut r = Report::new(MachineInfo::default(), mine, Vec::new());
                r.commit = Some(HEAD.into());
                r.baseline.commit = Some(BASE.into());
                r.shard = Some(Shard {
                    kind: kind.into(),
                    index: m - 1,
                    count: n,
                    command: "run".into(),
                    suite_tests: shape.tests,
                    suite_digest: shape.digest,
                    threshold: opts.threshold,
                    alpha: opts.alpha,
                    ci_alpha: None,
                    rustc: "rustc 1.90.0".into(),
                    profile: "release".into(),
                    baseline_tests: theirs,
                    noise: BTreeMap::new(),
                    companions: Vec::new(),
                });
                ShardFile {
                    path: format!("shard-{m}.json").into(),
                    report: r,
                }
            })
            .collect()
    }

    #[test]
    fn merge_judges_the_suite_as_one_run_where_per_shard_bh_would_not() {
        let (base, mut whole) = suite();
        let opts = CompareOptions::default();
        compare::unpaired::apply(&base, &mut whole, &BTreeMap::new(), Some(BASE), &opts);
        let single = verdicts(&whole);

        // Six slices of two: `t00` is judged in a family of two.
        let files = shard_files("slice", 6);
        let per_shard: BTreeMap<String, Verdict> = files
            .iter()
            .flat_map(|f| verdicts(&f.report.tests))
            .collect();
        assert_ne!(
            per_shard, single,
            "per-shard BH would have judged differently"
        );
        assert_eq!(per_shard["p/t/t00"], Verdict::Regressed, "{per_shard:?}");
        assert_ne!(single["p/t/t00"], Verdict::Regressed, "{single:?}");

        let merged = merge(files).unwrap().report;
        assert_eq!(verdicts(&merged.tests), single);
        let (a, b) = (&merged.tests[0], &whole[0]);
        let p = |t: &TestReport| t.comparison.as_ref().and_then(|c| c.change);
        assert_eq!(p(a), p(b));
    }

    #[test]
    fn uncompared_shards_merge_uncompared() {
        let mut files = shard_files("hash", 3);
        for f in &mut files {
            f.report.baseline.commit = None;
            f.report.shard.as_mut().unwrap().baseline_tests.clear();
            f.report.tests.iter_mut().for_each(|t| t.comparison = None);
        }
        let merged = merge(files).unwrap();
        assert_eq!(merged.report.tests.len(), 12);
        assert!(merged.report.tests.iter().all(|t| t.comparison.is_none()));
        let side = merged.save.unwrap().side.unwrap();
        assert_eq!((side.commit.as_str(), side.tests.len()), (HEAD, 12));
    }

    fn err(files: Vec<ShardFile>) -> String {
        match merge(files) {
            Err(e) => {
                assert_eq!(e.kind, ErrorKind::Usage);
                e.message
            }
            Ok(_) => panic!("merged"),
        }
    }

    #[test]
    fn missing_duplicate_overlapping_and_foreign_shards_are_refused() {
        let mut two = shard_files("hash", 3);
        two.remove(1);
        assert_eq!(err(two), "incomplete: shard 2/3 missing");

        let mut dup = shard_files("hash", 3);
        let again = dup[2].report.clone();
        dup.push(ShardFile {
            path: "again.json".into(),
            report: again,
        });
        assert!(err(dup).contains("both shard 3/3"));

        let mut overlap = shard_files("hash", 3);
        let stray = overlap[0].report.tests[0].clone();
        overlap[1].report.tests.push(stray);
        assert!(err(overlap).contains("is in both shard-1.json and shard-2.json"));

        let mut foreign = shard_files("hash", 3);
        foreign[2].report.commit = Some(BASE.into());
        let e = err(foreign);
        assert!(e.contains("shard-3.json is foreign: its commit"), "{e}");

        let mut loose = shard_files("hash", 3);
        loose[1].report.shard.as_mut().unwrap().threshold = 0.1;
        assert!(err(loose).contains("shard.threshold"));

        let mut lost = shard_files("hash", 3);
        let t = lost[0].report.tests.pop().unwrap();
        assert!(!t.id.is_empty());
        assert!(err(lost).contains("incomplete: the shards hold 11 of the suite's 12 tests"));

        let mut whole = shard_files("hash", 3);
        whole[0].report.shard = None;
        assert!(err(whole).contains("is not a shard's report"));
    }
}
