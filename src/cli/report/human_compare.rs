//! The console's comparison table: base, head, change and a coloured verdict per test,
//! printed under the results table when the run was compared with a baseline. A paired
//! (`ab`) comparison adds the smallest change it could detect.

use console::style;

use super::words::{change_text, metric_value, severity_word, short, verdict_text, width};
use super::Columns;
use crate::cli::model::{Report, Verdict};

/// Empty when nothing was compared.
pub fn render(report: &Report, color: bool) -> String {
    let compared: Vec<_> = report
        .tests
        .iter()
        .filter_map(|t| t.comparison.as_ref().map(|c| (t, c)))
        .collect();
    if compared.is_empty() {
        return String::new();
    }
    let paired = Columns::of(report) == Columns::Paired;
    let mut header = vec!["test", "metric", "base", "head", "change (95% CI)"];
    if paired {
        header.push("could detect");
    }
    header.push("severity");
    header.push("verdict");
    let verdict_at = header.len() - 1;
    let severity_at = verdict_at - 1;
    let rows: Vec<Vec<String>> = compared
        .iter()
        .map(|(t, c)| {
            let value =
                |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| metric_value(&c.metric, v));
            let mut row = vec![
                t.id.clone(),
                c.metric.clone(),
                value(c.baseline),
                value(c.current),
                change_text(c),
            ];
            if paired {
                row.push(
                    c.could_detect
                        .map_or_else(|| "-".to_owned(), |d| format!("≥ {:.1}%", d * 100.0)),
                );
            }
            row.push(severity_word(c.severity).to_owned());
            row.push(verdict_text(c));
            row
        })
        .collect();
    let widths: Vec<usize> = (0..header.len())
        .map(|i| width(header[i], rows.iter().map(|r| &r[i])))
        .collect();
    let base = report.baseline.commit.as_deref().map(short).unwrap_or("-");
    let asked = report
        .baseline
        .reference
        .as_deref()
        .map(|r| format!(" ({r})"))
        .unwrap_or_default();
    let mut out = format!("\ncompared with {base}{asked}:\n");
    let line = |cells: &[String]| -> String {
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let fill = " ".repeat(widths[i].saturating_sub(console::measure_text_width(c)));
                if (2..severity_at).contains(&i) {
                    format!("{fill}{c}")
                } else {
                    format!("{c}{fill}")
                }
            })
            .collect::<Vec<_>>()
            .join("  ")
    };
    let head: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    out.push_str(
        &style(line(&head).trim_end())
            .bold()
            .force_styling(color)
            .to_string(),
    );
    out.push('\n');
    for ((_, c), mut r) in compared.iter().zip(rows) {
        let word = std::mem::take(&mut r[verdict_at]);
        let styled = match c.verdict {
            Verdict::Regressed => style(word).red().bold(),
            Verdict::Improved => style(word).green(),
            Verdict::Unchanged => style(word).dim(),
            Verdict::Inconclusive => style(word).yellow(),
            Verdict::New => style(word).cyan(),
        }
        .force_styling(color)
        .to_string();
        out.push_str(&line(&r[..verdict_at]));
        out.push_str("  ");
        out.push_str(&styled);
        out.push('\n');
    }
    let s = &report.summary;
    out.push_str(&format!(
        "verdicts: {} regressed, {} improved, {} unchanged, {} inconclusive, {} new\n",
        s.regressed, s.improved, s.unchanged, s.inconclusive, s.new
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::report::sample;

    #[test]
    fn one_row_per_compared_test_with_verdicts() {
        let report = sample::report();
        let text = render(&report, false);
        assert!(
            text.starts_with("\ncompared with bbbbbbb (main):\n"),
            "{text}"
        );
        let rows: Vec<&str> = text
            .lines()
            .skip(3)
            .take_while(|l| !l.starts_with("verdicts:"))
            .collect();
        assert_eq!(rows.len(), 7, "the errored test has no comparison: {text}");
        let slow = rows.iter().find(|l| l.contains("slow_now")).unwrap();
        assert!(
            slow.contains("1.00 µs") && slow.contains("1.30 µs"),
            "{slow}"
        );
        assert!(slow.ends_with("critical  regressed"), "{slow}");
        let colored = render(&report, true);
        assert!(colored.contains("\u{1b}[31m"), "regressions are red");
    }

    #[test]
    fn nothing_compared_prints_nothing() {
        let mut report = sample::report();
        for t in &mut report.tests {
            t.comparison = None;
        }
        assert_eq!(render(&report, false), "");
    }
}
