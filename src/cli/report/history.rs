//! `cargo perf history`'s text and JSON: one block per test with a sparkline, one line per
//! commit and its change points; `--since` a summary of change points only.

use std::collections::HashMap;
use std::fmt::Write;

use crate::cli::compare::changes::{Change, Shape};
use crate::cli::compare::history::Series;
use crate::cli::model::Verdict;
use crate::cli::report::words::{metric_value, short};
use crate::cli::store::accept::Acceptance;
use crate::format;

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

/// What `history` shows: the series, each one's change points, and the commits' subjects.
pub struct View {
    pub series: Vec<Series>,
    /// `changes[i]` belongs to `series[i]`.
    pub changes: Vec<Vec<Change>>,
    pub subjects: HashMap<String, String>,
    pub alpha: f64,
    /// `--since`'s ref as given, with the commit it names.
    pub since: Option<(String, String)>,
    pub notes: Vec<String>,
    /// `cargo perf accept`'s acceptances: their commits are marked in the test's series.
    pub accepted: Vec<Acceptance>,
}

impl View {
    fn subject(&self, commit: &str) -> &str {
        self.subjects.get(commit).map_or("", String::as_str)
    }

    /// `▲ +10% [+8.1%, +12%]  step at abc1234  subject  (p = 0.001)`.
    fn change_line(&self, s: &Series, c: &Change) -> String {
        let arrow = if c.size > 0.0 { '▲' } else { '▼' };
        let commit = &s.points[c.at].commit;
        let place = match c.shape {
            Shape::Step => format!("step at {}", short(commit)),
            Shape::Drift { from } => format!(
                "drift over {}..{} ({} commits)",
                short(&s.points[from].commit),
                short(commit),
                c.at - from
            ),
        };
        let subject = match self.subject(commit) {
            "" => String::new(),
            text => format!("  {text}"),
        };
        format!(
            "{arrow} {} [{}, {}]  {place}{subject}  (p = {:.3})",
            format::percent_change(c.size),
            format::percent_change(c.ci[0]),
            format::percent_change(c.ci[1]),
            c.p
        )
    }
}

/// `history --since REF`: each test's change points on one line each.
pub fn render_since(view: &View) -> String {
    let mut out = String::new();
    let (spec, commit) = view.since.as_ref().map_or(("", ""), |(s, c)| (s, c));
    let _ = writeln!(
        out,
        "change points since {spec} ({}), α = {}:",
        short(commit),
        view.alpha
    );
    let mut quiet = 0;
    for (s, changes) in view.series.iter().zip(&view.changes) {
        if changes.is_empty() {
            quiet += 1;
        }
        for c in changes {
            let _ = writeln!(out, "  {}  {}", s.id, view.change_line(s, c));
        }
    }
    let _ = writeln!(
        out,
        "{quiet} of {} test{} without a change point",
        view.series.len(),
        if view.series.len() == 1 { "" } else { "s" }
    );
    for n in &view.notes {
        let _ = writeln!(out, "note: {n}");
    }
    out
}

/// `history --format json` (docs/history.schema.json).
pub fn render_json(view: &View) -> String {
    let tests: Vec<serde_json::Value> = view
        .series
        .iter()
        .zip(&view.changes)
        .map(|(s, changes)| {
            let commits: Vec<serde_json::Value> = s
                .points
                .iter()
                .map(|p| {
                    serde_json::json!({
                        "commit": p.commit, "time": p.time, "value": p.value, "processes": p.processes,
                    })
                })
                .collect();
            let changes: Vec<serde_json::Value> = changes
                .iter()
                .map(|c| {
                    let commit = &s.points[c.at].commit;
                    let (shape, from) = match c.shape {
                        Shape::Step => ("step", None),
                        Shape::Drift { from } => ("drift", Some(&s.points[from].commit)),
                    };
                    serde_json::json!({
                        "commit": commit, "subject": view.subject(commit), "shape": shape,
                        "from_commit": from, "size": c.size, "ci": c.ci, "p": c.p,
                    })
                })
                .collect();
            serde_json::json!({
                "id": s.id, "metric": s.metric, "commits": commits, "changes": changes,
            })
        })
        .collect();
    let value = serde_json::json!({
        "alpha": view.alpha,
        "since": view.since.as_ref().map(|(_, c)| c),
        "tests": tests,
        "notes": view.notes,
    });
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
}

/// The whole `history` output.
pub fn render(view: &View) -> String {
    let mut out = String::new();
    for (s, changes) in view.series.iter().zip(&view.changes) {
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
            let accepted = view
                .accepted
                .iter()
                .find(|a| a.test == s.id && a.commit == p.commit)
                .map(|a| format!("  ✔ accepted: {}", a.reason))
                .unwrap_or_default();
            let line = format!(
                "  {}  {date}  {value:>10}  {change:>6}  {mark}{accepted}",
                short(&p.commit)
            );
            let _ = writeln!(out, "{}", line.trim_end());
        }
        let _ = writeln!(out, "  change points (α = {}):", view.alpha);
        if changes.is_empty() {
            let _ = writeln!(out, "    none");
        }
        for c in changes {
            let _ = writeln!(out, "    {}", view.change_line(s, c));
        }
        out.push('\n');
    }
    for n in &view.notes {
        let _ = writeln!(out, "note: {n}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::compare::history::series;
    use crate::cli::compare::CompareOptions;
    use crate::cli::store::Record;
    use crate::cli::testing;

    fn record(commit: &str, time: u64, medians: &[(&str, f64)]) -> Record {
        let tests = medians
            .iter()
            .map(|&(name, m)| {
                let spread = [0.99, 1.0, 1.01, 1.005, 0.995].map(|f| m * f);
                testing::bench(name).processes(&spread).median(m).build()
            })
            .collect();
        let mut r = Record::new(commit.into(), false, testing::fingerprint("m"), tests);
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
        let changes = all
            .iter()
            .map(|s| crate::cli::compare::changes::of_series(s, &Default::default()))
            .collect();
        let view = View {
            series: all,
            changes,
            subjects: HashMap::from([("c3".to_owned(), "slower a".to_owned())]),
            alpha: 0.01,
            since: None,
            notes: vec!["a note".into()],
            accepted: vec![Acceptance {
                test: "p/t/a".into(),
                commit: "c3".into(),
                reason: "on purpose".into(),
                accepted_at: String::new(),
            }],
        };
        let text = render(&view);
        let a_block: Vec<&str> = text.lines().take(5).collect();
        assert!(
            a_block[0].starts_with("p/t/a  ▁▁██  (median_ns, 4 commits)"),
            "{text}"
        );
        assert!(
            a_block[3].contains("+30%")
                && a_block[3].ends_with("▲ regressed  ✔ accepted: on purpose"),
            "{text}"
        );
        assert!(a_block[1].starts_with("  c1  1970-01-01"), "{text}");
        // Four commits cannot reach α = 1 % by permutation (at best 2 of 4! orders are as
        // extreme): the block says so rather than inventing a change.
        assert!(
            text.contains("  change points (α = 0.01):\n    none\n"),
            "{text}"
        );
        assert!(text.ends_with("note: a note\n"));
    }

    /// Twelve commits, `a` 30 % slower from the seventh: one step, named by commit and
    /// subject in the text, the `--since` summary and the JSON.
    #[test]
    fn change_points_are_shown_with_size_interval_and_commit() {
        let records: Vec<Record> = (0..12)
            .map(|i| {
                let m = if i >= 6 { 130.0 } else { 100.0 } * (1.0 + 0.002 * (i % 3) as f64);
                record(&format!("c{i:02}abcdef"), i, &[("a", m), ("b", 50.0)])
            })
            .collect();
        let all = series(&records, None, &CompareOptions::default());
        let changes: Vec<Vec<Change>> = all
            .iter()
            .map(|s| crate::cli::compare::changes::of_series(s, &Default::default()))
            .collect();
        assert_eq!(changes[0].len(), 1, "{changes:?}");
        assert!(changes[1].is_empty(), "{changes:?}");
        let view = View {
            series: all,
            changes,
            subjects: HashMap::from([("c06abcdef".to_owned(), "slower a".to_owned())]),
            alpha: 0.01,
            since: Some(("v1".into(), "c00abcdef".into())),
            notes: vec![],
            accepted: vec![],
        };
        let text = render(&view);
        assert!(
            text.contains("    ▲ +30% [+")
                && text.contains("]  step at c06abcd  slower a  (p = 0.00"),
            "{text}"
        );
        let summary = render_since(&view);
        assert!(
            summary.starts_with("change points since v1 (c00abcd), α = 0.01:\n  p/t/a  ▲ +30%"),
            "{summary}"
        );
        assert!(
            summary.ends_with("1 of 2 tests without a change point\n"),
            "{summary}"
        );
        let json: serde_json::Value = serde_json::from_str(&render_json(&view)).unwrap();
        let c = &json["tests"][0]["changes"][0];
        assert_eq!(
            (&c["commit"], &c["shape"], &c["subject"]),
            (&"c06abcdef".into(), &"step".into(), &"slower a".into())
        );
        assert!(c["from_commit"].is_null() && (c["size"].as_f64().unwrap() - 0.3).abs() < 0.01);
        assert_eq!(json["since"], "c00abcdef");
        assert_eq!(
            json["tests"][0]["commits"][0]["processes"]
                .as_array()
                .unwrap()
                .len(),
            5
        );
    }

    #[test]
    fn sparklines_scale_between_min_and_max() {
        assert_eq!(sparkline(&[Some(1.0), Some(2.0), None, Some(8.0)]), "▁▂ █");
        assert_eq!(sparkline(&[Some(3.0), Some(3.0)]), "▄▄");
        assert_eq!(sparkline(&[]), "");
    }
}
