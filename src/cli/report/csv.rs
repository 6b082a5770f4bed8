//! `--format csv`: one row per test and metric, for spreadsheets. RFC 4180: comma separated,
//! CRLF line ends, a header row, and a field quoted (with `"` doubled) when it holds a comma,
//! a quote or a line break. Figures are raw numbers in the unit column's unit; `change`,
//! `ci_low` and `ci_high` are fractions like the JSON report's (+0.034 = 3.4 % higher). Every
//! row repeats the run's commit, start time and duration, so a sheet of many runs stays
//! self-describing.

use crate::cli::model::{Report, Status};
use crate::cli::report::rows::rows;
use crate::cli::report::words::verdict_word;

/// The header row's names, in order.
pub const COLUMNS: [&str; 14] = [
    "id",
    "metric",
    "unit",
    "base",
    "head",
    "change",
    "ci_low",
    "ci_high",
    "verdict",
    "severity",
    "status",
    "commit",
    "started_at",
    "duration_s",
];

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    record(&mut out, COLUMNS.map(str::to_owned));
    let commit = report.commit.clone().unwrap_or_default();
    let started = report.started_at.clone().unwrap_or_default();
    let duration = report
        .duration_ns
        .map(|ns| number(ns as f64 / 1e9))
        .unwrap_or_default();
    let opt = |v: Option<f64>| v.map(number).unwrap_or_default();
    for row in rows(report) {
        let c = row.compared.as_ref();
        let status = match row.test.status {
            Status::Passed => "passed",
            Status::Failed => "failed",
            Status::Error => "error",
        };
        record(
            &mut out,
            [
                row.test.id.clone(),
                row.metric.clone(),
                row.unit.to_owned(),
                opt(c.map(|c| c.baseline)),
                number(c.map_or(row.value, |c| c.current)),
                opt(c.and_then(|c| c.change)),
                opt(c.and_then(|c| c.ci).map(|ci| ci[0])),
                opt(c.and_then(|c| c.ci).map(|ci| ci[1])),
                c.map(|c| verdict_word(c.verdict).to_owned())
                    .unwrap_or_default(),
                c.and_then(|c| c.severity)
                    .map(|s| s.name().to_owned())
                    .unwrap_or_default(),
                status.to_owned(),
                commit.clone(),
                started.clone(),
                duration.clone(),
            ],
        );
    }
    out
}

/// A figure as its shortest exact decimal (what `f64`'s `Display` prints).
fn number(v: f64) -> String {
    format!("{v}")
}

fn record<const N: usize>(out: &mut String, fields: [String; N]) {
    let quoted: Vec<String> = fields.iter().map(|f| field(f)).collect();
    out.push_str(&quoted.join(","));
    out.push_str("\r\n");
}

/// One field, quoted when RFC 4180 requires it.
pub fn field(text: &str) -> String {
    if text.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::report::sample;

    #[test]
    fn fields_are_quoted_as_rfc_4180_says() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field(""), "");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
        assert_eq!(field("cr\rlf"), "\"cr\rlf\"");
    }

    /// Tests named with commas, quotes and line breaks come back whole through a real CSV
    /// reader, every record as wide as the header.
    #[test]
    fn the_csv_parses_back_with_every_awkward_name_whole() {
        let mut report = sample::report();
        let awkward = ["sum, then sort", "the \"fast\" path", "two\r\nlines"];
        let others = report
            .tests
            .iter_mut()
            .filter(|t| t.name != "slow_now" && t.status != Status::Error);
        for (t, name) in others.zip(awkward) {
            t.name = name.to_owned();
            t.id = format!("pkg/perf/{name}");
        }
        let text = render(&report);
        let mut reader = ::csv::ReaderBuilder::new().from_reader(text.as_bytes());
        let header: Vec<String> = reader
            .headers()
            .unwrap()
            .iter()
            .map(str::to_owned)
            .collect();
        assert_eq!(header, COLUMNS);
        let records: Vec<::csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
        assert_eq!(records.len(), super::rows(&report).len());
        for name in awkward {
            let id = format!("pkg/perf/{name}");
            assert!(
                records.iter().any(|r| r[0] == id),
                "{id:?} did not come back whole:\n{text}"
            );
        }
        let slow = records
            .iter()
            .find(|r| r[0] == *"pkg/perf/slow_now")
            .expect("slow_now's row");
        let value = |name: &str| &slow[COLUMNS.iter().position(|c| *c == name).unwrap()];
        assert_eq!(value("metric"), "median_ns");
        assert_eq!(value("unit"), "ns");
        assert_eq!(value("base").parse::<f64>().unwrap(), 1000.0);
        assert_eq!(value("head").parse::<f64>().unwrap(), 1300.0);
        assert!((value("change").parse::<f64>().unwrap() - 0.3).abs() < 1e-9);
        assert_eq!(value("verdict"), "regressed");
        assert_eq!(value("severity"), "critical");
        assert_eq!(value("started_at"), "2026-12-02T05:00:00Z");
        assert_eq!(value("duration_s"), "83.5");
        assert!(text.ends_with("\r\n"), "records end with CRLF");
    }
}
