//! `cargo perf history`'s text: one block per test with a sparkline, one line per commit.

use std::fmt::Write;

use crate::cli::compare::history::Series;
use crate::cli::model::Verdict;
use crate::cli::report::words::{metric_value, short};
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
