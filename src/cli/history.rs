//! `cargo perf history [FILTER] [-n N]`: each matching test's figure over the stored commits
//! (first-parent order from HEAD, else by time), a sparkline, and marks where it changed.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write;

use crate::cli::compare::{self, primary_metric, CompareOptions};
use crate::cli::report::figures::{metric_value, short};
use crate::cli::report::model::{Status, Verdict};
use crate::cli::results::{Problem, Workspace};
use crate::cli::store::Record;
use crate::format;

/// One test at one commit.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub commit: String,
    pub time: String,
    pub value: Option<f64>,
    /// Against the previous stored commit; `None` for the oldest point.
    pub change: Option<f64>,
    pub verdict: Option<Verdict>,
}

/// One test's series, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub id: String,
    pub metric: String,
    pub points: Vec<Point>,
}

/// The records to show: up to `n` stored commits on HEAD's first-parent line (or the `n`
/// newest by time outside git), oldest first, with notes about skipped records.
pub fn records(ws: &Workspace, machine_id: &str, n: usize) -> (Vec<Record>, Vec<String>) {
    let mut notes = Vec::new();
    let mut out = Vec::new();
    match (&ws.git, &ws.context.commit) {
        (Some(git), Some(head)) => {
            let stored: HashSet<String> = ws.store.commits(machine_id).into_iter().collect();
            let chain = git.first_parents(head, 100_000).unwrap_or_default();
            for commit in chain.iter().filter(|c| stored.contains(*c)) {
                if out.len() == n {
                    break;
                }
                match ws.store.load(machine_id, commit) {
                    Ok(Some(r)) => out.push(r),
                    Ok(None) => {}
                    Err(d) => notes.push(d.to_string()),
                }
            }
            out.reverse();
        }
        _ => {
            let listing = ws.store.list(Some(machine_id));
            notes.extend(listing.damaged.iter().map(ToString::to_string));
            let skip = listing.records.len().saturating_sub(n);
            out = listing.records.into_iter().skip(skip).collect();
        }
    }
    (out, notes)
}

/// The series of every test whose id contains `filter` (all tests without one).
pub fn series(records: &[Record], filter: Option<&str>, opts: &CompareOptions) -> Vec<Series> {
    let mut by_id: BTreeMap<String, Series> = BTreeMap::new();
    for (i, record) in records.iter().enumerate() {
        let mut tests = record.tests.clone();
        let verdicts: BTreeMap<String, (Option<f64>, Verdict)> = match i.checked_sub(1) {
            Some(prev) => {
                let base = &records[prev];
                let mut noise = base.noise.clone();
                noise.extend(record.noise.clone());
                let mut summary = Default::default();
                compare::apply(
                    &base.tests,
                    &mut tests,
                    &noise,
                    Some(&base.commit),
                    opts,
                    &mut summary,
                );
                tests
                    .iter()
                    .filter_map(|t| {
                        let c = t.comparison.as_ref()?;
                        let change = (c.metric == primary_metric(t.kind).name())
                            .then_some(c.change)
                            .flatten();
                        Some((t.id.clone(), (change, c.verdict)))
                    })
                    .collect()
            }
            None => BTreeMap::new(),
        };
        for t in tests
            .iter()
            .filter(|t| filter.map_or(true, |f| t.id.contains(f)))
        {
            let metric = primary_metric(t.kind);
            let value = (t.status != Status::Error)
                .then(|| metric.get(&t.metrics))
                .flatten();
            let (change, verdict) = verdicts
                .get(&t.id)
                .map_or((None, None), |(c, v)| (*c, Some(*v)));
            by_id
                .entry(t.id.clone())
                .or_insert_with(|| Series {
                    id: t.id.clone(),
                    metric: metric.name().to_owned(),
                    points: Vec::new(),
                })
                .points
                .push(Point {
                    commit: record.commit.clone(),
                    time: record.time.clone(),
                    value,
                    change,
                    verdict,
                });
        }
    }
    by_id.into_values().collect()
}

/// `▁▂▇`: each value's height between the series' min and max; gaps are blanks.
pub fn sparkline(values: &[Option<f64>]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let present: Vec<f64> = values.iter().flatten().copied().collect();
    let (lo, hi) = present
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    values
        .iter()
        .map(|v| match v {
            None => ' ',
            Some(_) if hi <= lo => BARS[3],
            Some(v) => BARS[(((v - lo) / (hi - lo)) * 7.0).round() as usize],
        })
        .collect()
}

/// The whole `history` output.
pub fn render(series: &[Series], notes: &[String]) -> String {
    let mut out = String::new();
    for s in series {
        let values: Vec<Option<f64>> = s.points.iter().map(|p| p.value).collect();
        let _ = writeln!(
            out,
            "{}  {}  ({}, {} commit{})",
            s.id,
            sparkline(&values),
            s.metric,
            s.points.len(),
            if s.points.len() == 1 { "" } else { "s" }
        );
        for p in &s.points {
            let value = p
                .value
                .map_or_else(|| "–".to_owned(), |v| metric_value(&s.metric, v));
            let change = p.change.map(format::percent_change).unwrap_or_default();
            let mark = match p.verdict {
                Some(Verdict::Regressed) => "▲ regressed",
                Some(Verdict::Improved) => "▼ improved",
                Some(Verdict::New) => "new",
                _ => "",
            };
            let date = p.time.get(..10).unwrap_or(&p.time);
            let line = format!(
                "  {}  {date}  {value:>10}  {change:>6}  {mark}",
                short(&p.commit)
            );
            let _ = writeln!(out, "{}", line.trim_end());
        }
        out.push('\n');
    }
    for n in notes {
        let _ = writeln!(out, "note: {n}");
    }
    out
}

/// `cargo perf history`: the rendered text, or an error when nothing matches.
pub fn run(
    ws: &Workspace,
    machine_id: &str,
    filter: Option<&str>,
    n: usize,
    opts: &CompareOptions,
) -> Result<String, Problem> {
    let (records, notes) = records(ws, machine_id, n.max(1));
    if records.is_empty() {
        return Err(Problem::new(
            format!("no stored results for machine `{machine_id}`"),
            "run `cargo perf` on a clean commit first; it saves results there",
        ));
    }
    let series = series(&records, filter, opts);
    if series.is_empty() {
        return Err(Problem::new(
            format!("no stored test matches `{}`", filter.unwrap_or("")),
            "pass part of a test id (`cargo perf baseline show HEAD` lists them)",
        ));
    }
    Ok(render(&series, &notes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::fingerprint::Fingerprint;
    use crate::cli::report::model::{MachineInfo, TestReport};
    use crate::protocol::TestKind;

    use crate::metrics::Metrics;

    fn record(commit: &str, time: u64, medians: &[(&str, f64)]) -> Record {
        let tests = medians
            .iter()
            .map(|&(name, m)| TestReport {
                load: None,
                throughput_unit: None,
                memory: None,
                id: format!("p/t/{name}"),
                package: "p".into(),
                target: "t".into(),
                name: name.into(),
                kind: TestKind::Bench,
                status: Status::Passed,
                error: None,
                metrics: Metrics {
                    median_ns: Some(m),
                    ..Metrics::default()
                },
                median_ci_ns: None,
                thresholds: vec![],
                comparison: None,
                processes: [0.99, 1.0, 1.01, 1.005, 0.995]
                    .iter()
                    .map(|f| Metrics {
                        median_ns: Some(m * f),
                        ..Metrics::default()
                    })
                    .collect(),
                custom: vec![],
                tags: vec![],
                wall_ns: 0,
            })
            .collect();
        let fp = Fingerprint {
            machine: MachineInfo::default(),
            rustc: "r".into(),
            profile: "bench".into(),
        };
        let mut r = Record::new(commit.into(), false, fp, tests);
        r.unix_time = time;
        r.time = crate::cli::store::rfc3339(time);
        r
    }

    #[test]
    fn series_mark_where_a_test_changed() {
        let records = [
            record("c1", 1, &[("a", 100.0), ("b", 50.0)]),
            record("c2", 2, &[("a", 100.0), ("b", 50.0)]),
            record("c3", 3, &[("a", 130.0), ("b", 50.0)]),
            record("c4", 4, &[("a", 130.0), ("b", 50.0), ("c", 7.0)]),
        ];
        let all = series(&records, None, &CompareOptions::default());
        assert_eq!(all.len(), 3);
        let a = &all[0];
        assert_eq!(a.id, "p/t/a");
        let verdicts: Vec<_> = a.points.iter().map(|p| p.verdict).collect();
        assert_eq!(
            verdicts,
            [
                None,
                Some(Verdict::Unchanged),
                Some(Verdict::Regressed),
                Some(Verdict::Unchanged)
            ]
        );
        assert!((a.points[2].change.unwrap() - 0.3).abs() < 0.01);
        assert_eq!(all[2].points.len(), 1, "c appears only where it exists");
        assert_eq!(all[2].points[0].verdict, Some(Verdict::New));

        let only_b = series(&records, Some("/b"), &CompareOptions::default());
        assert_eq!(only_b.len(), 1);
        let text = render(&all, &["a note".into()]);
        let a_block: Vec<&str> = text.lines().take(5).collect();
        assert!(
            a_block[0].starts_with("p/t/a  ▁▁██  (median_ns, 4 commits)"),
            "{text}"
        );
        assert!(
            a_block[3].contains("+30%") && a_block[3].ends_with("▲ regressed"),
            "{text}"
        );
        assert!(a_block[1].starts_with("  c1  1970-01-01"), "{text}");
        assert!(text.ends_with("note: a note\n"));
    }

    #[test]
    fn sparklines_scale_between_min_and_max() {
        assert_eq!(sparkline(&[Some(1.0), Some(2.0), None, Some(8.0)]), "▁▂ █");
        assert_eq!(sparkline(&[Some(3.0), Some(3.0)]), "▄▄");
        assert_eq!(sparkline(&[]), "");
    }
}
