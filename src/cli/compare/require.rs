//! Speed-up requirements (`cargo perf compare|ab --require '[FILTER] speedup >= 5x'`): parsed
//! before anything runs, then judged on each matched test's comparison. A requirement passes
//! only when the conservative (lower) end of the speed-up's confidence interval meets it; the
//! point estimate alone never passes it.

use crate::cli::model::{RequirementCheck, TestReport};

/// One `--require` as given: which tests it covers and the speed-up they must reach.
#[derive(Debug, Clone, PartialEq)]
pub struct Requirement {
    /// The text as the user wrote it (trimmed), shown in every report.
    pub text: String,
    /// A substring of the test's name or id; `None`: every compared test.
    pub filter: Option<String>,
    /// `>=` (`false`: `>`, strictly above).
    pub inclusive: bool,
    /// The speed-up factor required: base time / head time (5.0 = five times faster).
    pub limit: f64,
}

const SYNTAX: &str = "write it like `speedup >= 5x` or, for some tests only, \
                      `cache:: speedup >= 1.5x` (a filter, then `speedup`, `>=` or `>`, a factor)";

/// Parses `[FILTER] speedup >= 5x`; the error says what is accepted.
pub fn parse(text: &str) -> Result<Requirement, String> {
    let text = text.trim();
    let words: Vec<&str> = text.split_whitespace().collect();
    // The keyword alone, or glued to its operator (`speedup>=5x`).
    let keyword = |w: &&str| {
        w.strip_prefix("speedup")
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(['<', '>', '=']))
    };
    let Some(at) = words.iter().position(keyword) else {
        return Err(format!("`{text}` is not a requirement; {SYNTAX}"));
    };
    let filter = (at > 0).then(|| words[..at].join(" "));
    // Rejoin what follows the keyword, spaced or not, and split it at the operator.
    let rest = words[at]["speedup".len()..].to_owned() + &words[at + 1..].join("");
    let (inclusive, value) = if let Some(v) = rest.strip_prefix(">=") {
        (true, v)
    } else if let Some(v) = rest.strip_prefix('>') {
        (false, v)
    } else if rest.starts_with('<') || rest.starts_with('=') {
        return Err(format!(
            "`{text}`: a speed-up requirement is a lower bound (`>=` or `>`); \
             to allow a slow-down write a factor below 1, e.g. `speedup >= 0.9x`"
        ));
    } else {
        return Err(format!("`{text}` has no `>=` or `>`; {SYNTAX}"));
    };
    let limit = perf_spec::factor(value).map_err(|e| format!("`{text}`: {}", e.message()))?;
    Ok(Requirement {
        text: text.to_owned(),
        filter,
        inclusive,
        limit,
    })
}

/// The speed-up (base / head time) of one test and its interval, from the comparison's time
/// metric: `change = head / base - 1`, so speed-up `= 1 / (1 + change)` and the interval's
/// ends swap. `None` when the test was not compared on a time (new test, error, a metric
/// without interval).
fn speedup(test: &TestReport) -> Option<(f64, [f64; 2])> {
    let c = test.comparison.as_ref()?;
    let time = |metric: &str| metric.ends_with("_ns");
    let (change, ci) = if time(&c.metric) {
        (c.change?, c.ci?)
    } else {
        let m = c
            .metrics
            .iter()
            .find(|m| m.metric == "median_ns")
            .or_else(|| c.metrics.iter().find(|m| time(&m.metric)))?;
        (m.change?, m.ci?)
    };
    let of = |change: f64| 1.0 / (1.0 + change);
    let (point, low, high) = (of(change), of(ci[1]), of(ci[0]));
    [point, low, high]
        .iter()
        .all(|v| v.is_finite() && *v > 0.0)
        .then_some((point, [low, high]))
}

/// Judges every requirement on every test it covers: one check per (requirement, test), or a
/// single failed check when it covers no compared test (a requirement nothing could meet
/// must not pass silently).
pub fn check(requirements: &[Requirement], tests: &[TestReport]) -> Vec<RequirementCheck> {
    let mut checks = Vec::new();
    for r in requirements {
        let covered: Vec<&TestReport> = tests
            .iter()
            .filter(|t| {
                r.filter
                    .as_deref()
                    .map_or(true, |f| t.name.contains(f) || t.id.contains(f))
            })
            .collect();
        let before = checks.len();
        for t in covered {
            let Some((point, ci)) = speedup(t) else {
                continue;
            };
            let meets = if r.inclusive {
                ci[0] >= r.limit
            } else {
                ci[0] > r.limit
            };
            checks.push(RequirementCheck {
                requirement: r.text.clone(),
                test: Some(t.id.clone()),
                limit: r.limit,
                speedup: Some(point),
                ci: Some(ci),
                margin: Some(ci[0] / r.limit - 1.0),
                passed: meets,
                note: None,
            });
        }
        if checks.len() == before {
            checks.push(RequirementCheck {
                requirement: r.text.clone(),
                test: None,
                limit: r.limit,
                speedup: None,
                ci: None,
                margin: None,
                passed: false,
                note: Some(match &r.filter {
                    Some(f) => format!("no test matching `{f}` was compared with the baseline"),
                    None => "no test was compared with the baseline".to_owned(),
                }),
            });
        }
    }
    checks
}

/// One check as a line: `speedup >= 5x: p/perf/scaled 6.10x [5.62x, 6.71x]: passed by 12.4 %
/// (lower end 5.62x)`. The one wording of every format.
pub fn describe(c: &RequirementCheck) -> String {
    let outcome = if c.passed { "passed" } else { "MISSED" };
    match (&c.test, c.speedup, c.ci, c.margin) {
        (Some(test), Some(point), Some([low, high]), Some(margin)) => {
            let by = if c.passed { "passed by" } else { "missed by" };
            format!(
                "{}: {test} {point:.2}x [{low:.2}x, {high:.2}x]: {outcome}, {by} {:.1} % \
                 (the interval's lower end {low:.2}x against {:.2}x)",
                c.requirement,
                margin.abs() * 100.0,
                c.limit
            )
        }
        _ => format!(
            "{}: {outcome}: {}",
            c.requirement,
            c.note.as_deref().unwrap_or("nothing to judge")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::model::Verdict;
    use crate::cli::testing::bench;

    #[test]
    fn parses_a_plain_and_a_filtered_requirement() {
        let r = parse("speedup >= 5x").unwrap();
        assert_eq!(
            (r.filter.as_deref(), r.inclusive, r.limit),
            (None, true, 5.0)
        );
        let r = parse(" cache:: speedup>1.5 ").unwrap();
        assert_eq!(
            (r.filter.as_deref(), r.inclusive, r.limit),
            (Some("cache::"), false, 1.5)
        );
        assert_eq!(r.text, "cache:: speedup>1.5");
    }

    #[test]
    fn rejects_bad_syntax_saying_what_is_accepted() {
        for (text, says) in [
            ("faster >= 5x", "is not a requirement"),
            ("speedup 5x", "has no `>=`"),
            ("speedup <= 5x", "lower bound"),
            ("speedup >= fast", "not a factor"),
            ("speedup >= 0x", "not a factor"),
            ("speedup >= -2x", "not a factor"),
        ] {
            let e = parse(text).unwrap_err();
            assert!(e.contains(says), "{text}: {e}");
        }
    }

    fn compared(name: &str, change: f64, ci: [f64; 2]) -> TestReport {
        let mut t = bench(name).verdict(Verdict::Improved).build();
        let c = t.comparison.as_mut().unwrap();
        (c.metric, c.change, c.ci) = ("median_ns".into(), Some(change), Some(ci));
        t
    }

    #[test]
    fn passes_only_when_the_lower_end_of_the_interval_meets_the_limit() {
        // Head takes 1/5 of base's time: speed-up 5x, interval [1/(1-0.78), 1/(1-0.82)].
        let tests = [
            compared("p/perf/cache::get", -0.8, [-0.82, -0.78]),
            compared("p/perf/other", 0.0, [-0.01, 0.01]),
        ];
        let at = |text: &str| check(&[parse(text).unwrap()], &tests);
        let c = &at("cache:: speedup >= 4x")[0];
        assert!(c.passed, "{c:?}");
        assert!((c.speedup.unwrap() - 5.0).abs() < 1e-9);
        let [low, high] = c.ci.unwrap();
        assert!((low - 1.0 / 0.22).abs() < 1e-9 && (high - 1.0 / 0.18).abs() < 1e-9);
        assert!((c.margin.unwrap() - (low / 4.0 - 1.0)).abs() < 1e-12);
        // The point estimate (5x) meets 5x, the interval's lower end (4.55x) does not.
        let c = &at("cache:: speedup >= 5x")[0];
        assert!(!c.passed && c.margin.unwrap() < 0.0, "{c:?}");
        assert!(describe(c).contains("missed by 9.1 %"), "{}", describe(c));
        // Without a filter every compared test must meet it.
        let all = at("speedup >= 2x");
        assert_eq!(all.len(), 2);
        assert_eq!(
            all.iter().map(|c| c.passed).collect::<Vec<_>>(),
            [true, false]
        );
    }

    #[test]
    fn a_requirement_covering_no_compared_test_fails() {
        let c = check(&[parse("nothing speedup >= 1x").unwrap()], &[]);
        assert_eq!(c.len(), 1);
        assert!(!c[0].passed && c[0].test.is_none());
        assert!(describe(&c[0]).contains("no test matching `nothing`"));
    }
}
