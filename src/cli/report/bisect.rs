//! `cargo perf bisect`'s report: the human summary (the first bad commit, its change, the
//! steps, the commits it could not judge) and the JSON object of `docs/bisect.schema.json`.

use std::path::Path;

use crate::cli::bisect::{BisectReport, CommitRef, Outcome, StepReport, TestChange};
use crate::cli::errors::CliError;
use crate::cli::report::words::short;
use crate::cli::report::{print_stdout, write_file};
use crate::format;

/// Write the report: to `path` when given (the summary still goes to stdout), else the
/// summary to stdout, or with `json` the JSON to stdout and the summary to stderr.
pub fn emit(r: &BisectReport, path: Option<&Path>, json_format: bool) -> Result<(), CliError> {
    let summary = human(r);
    match path {
        Some(path) => {
            let text = if json_format {
                json(r)
            } else {
                summary.clone()
            };
            write_file(path, &text, "-o")?;
            print_stdout(&summary)
        }
        None if json_format => {
            eprint!("{summary}");
            print_stdout(&json(r))
        }
        None => print_stdout(&summary),
    }
}

/// The summary the terminal shows.
pub fn human(r: &BisectReport) -> String {
    let mut out = String::new();
    let (good, bad) = (short(&r.good.commit), short(&r.bad.commit));
    match r.outcome {
        Outcome::Found => {
            if let Some(first) = &r.first_bad {
                out.push_str(&format!(
                    "first bad commit: {}\n",
                    commit_line(&first.commit)
                ));
                for t in &first.tests {
                    out.push_str(&format!("  {}\n", test_line(t)));
                }
            }
        }
        Outcome::Ambiguous => {
            out.push_str(
                "the first bad commit is one of these (skipped commits sit next to the change):\n",
            );
            for c in &r.candidates {
                out.push_str(&format!("  {}\n", commit_line(c)));
            }
        }
        Outcome::NoRegression => out.push_str(&format!(
            "no regression: BAD `{}` ({bad}) is not slower than GOOD `{}` ({good})\n",
            r.bad.reference, r.good.reference
        )),
    }
    let judged = r.steps.len();
    out.push_str(&format!(
        "{judged} step(s) over {} commit(s) after GOOD {good} up to BAD {bad}, in {:.1}s:\n",
        r.commits,
        r.duration_ns as f64 / 1e9
    ));
    for s in &r.steps {
        out.push_str(&format!(
            "  {:<4} {}{}\n",
            s.verdict,
            commit_line(&s.commit),
            detail(s)
        ));
    }
    if !r.skipped.is_empty() {
        out.push_str("could not judge:\n");
        for s in &r.skipped {
            let why = s.reason.as_deref().unwrap_or("");
            out.push_str(&format!("  {}: {why}\n", commit_line(&s.commit)));
        }
    }
    out
}

/// The JSON report, pretty-printed, with a final newline.
pub fn json(r: &BisectReport) -> String {
    let mut text = serde_json::to_string_pretty(r).expect("a bisect report always serializes");
    text.push('\n');
    text
}

fn commit_line(c: &CommitRef) -> String {
    match &c.subject {
        Some(subject) => format!("{} {subject}", short(&c.commit)),
        None => short(&c.commit).to_string(),
    }
}

/// ` (+30.1%)`: the largest change of a step's tracked tests.
fn detail(s: &StepReport) -> String {
    let largest = (s.tests.iter().filter_map(|t| t.change)).max_by(f64::total_cmp);
    largest.map_or_else(String::new, |c| format!(" ({})", format::percent_change(c)))
}

/// `pkg/perf/slowed: +30.1% (+29.0% … +31.2%) regressed (threshold 15.0%)`.
fn test_line(t: &TestChange) -> String {
    let change = t.change.map_or_else(String::new, format::percent_change);
    let ci = t.ci.map_or_else(String::new, |[lo, hi]| {
        format!(
            " ({} … {})",
            format::percent_change(lo),
            format::percent_change(hi)
        )
    });
    format!(
        "{}: {change}{ci} {} (threshold {:.1}%)",
        t.id,
        t.verdict,
        t.threshold * 100.0
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::bisect::Endpoint;

    fn report(outcome: Outcome) -> BisectReport {
        let sha = |c: char| c.to_string().repeat(40);
        let step = |c: char, verdict, reason: Option<&str>| StepReport {
            commit: CommitRef {
                commit: sha(c),
                subject: Some(format!("commit {c}")),
            },
            verdict,
            reason: reason.map(str::to_string),
            tests: vec![TestChange {
                id: "p/perf/slowed".into(),
                metric: "median_ns".into(),
                change: Some(0.3),
                ci: Some([0.28, 0.32]),
                verdict: "regressed".into(),
                threshold: 0.15,
            }],
            attempts: 1,
        };
        BisectReport {
            schema_version: 1,
            tool_version: "0.1.0".into(),
            good: Endpoint {
                reference: "v1".into(),
                commit: sha('a'),
            },
            bad: Endpoint {
                reference: "main".into(),
                commit: sha('d'),
            },
            commits: 3,
            outcome,
            tracked: vec!["p/perf/slowed".into()],
            first_bad: (outcome == Outcome::Found).then(|| step('c', "bad", None)),
            candidates: Vec::new(),
            steps: vec![
                step('d', "bad", None),
                step('b', "skip", Some("it does not build")),
            ],
            skipped: vec![step('b', "skip", Some("it does not build"))],
            duration_ns: 2_500_000_000,
        }
    }

    #[test]
    fn the_summary_names_the_commit_its_change_the_steps_and_the_skips() {
        let text = human(&report(Outcome::Found));
        assert!(
            text.starts_with("first bad commit: ccccccc commit c\n"),
            "{text}"
        );
        assert!(
            text.contains("p/perf/slowed: +30% (+28% … +32%) regressed"),
            "{text}"
        );
        assert!(text.contains("2 step(s) over 3 commit(s)"), "{text}");
        assert!(text.contains("could not judge:\n  bbbbbbb commit b: it does not build"));
        assert_eq!(report(Outcome::Found).exit_code(), 0);
    }

    #[test]
    fn no_regression_and_ambiguity_exit_1_and_say_so() {
        let none = report(Outcome::NoRegression);
        assert!(human(&none).starts_with("no regression: BAD `main` (ddddddd) is not slower"));
        assert_eq!(none.exit_code(), 1);
        assert_eq!(report(Outcome::Ambiguous).exit_code(), 1);
        let json: serde_json::Value = serde_json::from_str(&json(&none)).unwrap();
        assert_eq!(json["outcome"], "no_regression");
        assert_eq!(json["good"]["ref"], "v1");
        assert_eq!(json["steps"][1]["reason"], "it does not build");
    }
}
