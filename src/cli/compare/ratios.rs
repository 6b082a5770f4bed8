//! Ratios between tests of one run (`#[perf_test(overhead("plain") <= "20%")]`,
//! `speedup("sequential") >= "3x"`): the harness sees one test per process, so `cargo perf`
//! resolves the named test right after listing (an unknown name exits 2 before anything runs)
//! and judges the ratio after the run, in the test's `thresholds[]`.
//!
//! Judged like `--require` (`compare::require`): on the per-process medians, with a 95 %
//! percentile-bootstrap interval of the ratio of the two tests' medians (each resample draws
//! each test's process medians with replacement, with the project's seeded `XorShift64`), and
//! passed only when the interval's conservative end meets the limit. The runner interleaves
//! both tests' processes in rounds, so drift during the run (a warming machine, a neighbour's
//! build) falls on both alike rather than on the ratio.

use crate::cli::errors::CliError;
use crate::cli::model::{Status, TestReport};
use crate::stats::{median, quantile_sorted, XorShift64, BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED};
use crate::threshold::{Op, Ratio, RatioThreshold, ThresholdCheck};

/// A listed test, as the resolution sees it: `package/target/name` and its ratios.
pub struct Listed<'a> {
    pub package: &'a str,
    pub target: &'a str,
    pub name: &'a str,
    pub ratios: &'a [RatioThreshold],
}

impl Listed<'_> {
    fn id(&self) -> String {
        format!("{}/{}/{}", self.package, self.target, self.name)
    }
}

/// One ratio of one test with the other test resolved to its id.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    pub test: String,
    pub ratio: RatioThreshold,
    pub other: String,
}

/// Every listed test's ratios, their named test found among the listed ones: in the same
/// package and target first, else by a name unique in the run, else by its full id. A name
/// matching nothing, or several tests, is a configuration error naming the candidates.
pub fn resolve(listed: &[Listed<'_>]) -> Result<Vec<Link>, CliError> {
    let mut links = Vec::new();
    for t in listed {
        for r in t.ratios {
            let local: Vec<&Listed> = listed
                .iter()
                .filter(|o| o.package == t.package && o.target == t.target && o.name == r.other)
                .collect();
            let anywhere: Vec<&Listed> = listed.iter().filter(|o| o.name == r.other).collect();
            let by_id: Vec<&Listed> = listed.iter().filter(|o| o.id() == r.other).collect();
            let found = [local, anywhere, by_id]
                .into_iter()
                .find(|c| !c.is_empty())
                .unwrap_or_default();
            let written = format!("{}(\"{}\")", r.ratio.name(), r.other);
            match found.as_slice() {
                [one] if one.id() == t.id() => {
                    return Err(CliError::config(
                        format!("{} compares `{written}` with itself", t.id()),
                        "name another test of the run in the attribute",
                    ))
                }
                [one] => links.push(Link {
                    test: t.id(),
                    ratio: r.clone(),
                    other: one.id(),
                }),
                [] => {
                    let names: Vec<&str> = listed.iter().map(|o| o.name).collect();
                    let suggestion = perf_spec::did_you_mean(&r.other, &names)
                        .map(|s| s + " ")
                        .unwrap_or_default();
                    return Err(CliError::config(
                        format!(
                            "{}: `{written}` names a test this run does not have",
                            t.id()
                        ),
                        format!(
                            "{suggestion}the run's tests: {}; name one of them (or its full \
                             `package/target/name` id) in #[perf_test]",
                            names.join(", ")
                        ),
                    ));
                }
                many => {
                    let ids: Vec<String> = many.iter().map(|o| o.id()).collect();
                    return Err(CliError::config(
                        format!(
                            "{}: `{written}` matches several tests: {}",
                            t.id(),
                            ids.join(", ")
                        ),
                        "give the full `package/target/name` id in #[perf_test]",
                    ));
                }
            }
        }
    }
    Ok(links)
}

/// The process medians of a measured test (`None`: an error, or no medians).
fn process_medians(t: &TestReport) -> Option<Vec<f64>> {
    let xs: Vec<f64> = t
        .processes
        .iter()
        .filter_map(|m| m.median_ns)
        .filter(|v| v.is_finite() && *v > 0.0)
        .collect();
    (t.status != Status::Error && !xs.is_empty()).then_some(xs)
}

/// The ratio's figure from the two medians, and its 95 % percentile-bootstrap interval.
pub fn estimate(ratio: Ratio, this: &[f64], other: &[f64]) -> Option<(f64, [f64; 2])> {
    let point = ratio.figure(median(this)?, median(other)?);
    let mut rng = XorShift64::new(BOOTSTRAP_SEED);
    let mut draw = |xs: &[f64]| {
        let sample: Vec<f64> = (0..xs.len()).map(|_| xs[rng.below(xs.len())]).collect();
        median(&sample)
    };
    let mut figures: Vec<f64> = (0..BOOTSTRAP_RESAMPLES)
        .filter_map(|_| Some(ratio.figure(draw(this)?, draw(other)?)))
        .collect();
    figures.sort_by(f64::total_cmp);
    let ci = [
        quantile_sorted(&figures, 0.025)?,
        quantile_sorted(&figures, 0.975)?,
    ];
    (point.is_finite() && ci.iter().all(|v| v.is_finite())).then_some((point, ci))
}

/// Whether the interval's conservative end meets the limit: the upper end of an overhead, the
/// lower end of a speed-up (the same rule as `--require`).
fn meets(op: Op, limit: f64, ci: [f64; 2]) -> bool {
    match op {
        Op::Lt | Op::Le => op.holds(ci[1], limit),
        Op::Gt | Op::Ge => op.holds(ci[0], limit),
    }
}

/// Adds each link's check to its test's `thresholds[]` and fails a passed test whose ratio
/// missed. A test not in `tests` (not run) is left alone; a named test that was not measured
/// fails the check with a note.
pub fn judge(links: &[Link], tests: &mut [TestReport]) {
    for link in links {
        let medians = |id: &str| tests.iter().find(|t| t.id == id).map(process_medians);
        let Some(this) = medians(&link.test) else {
            continue;
        };
        let other = medians(&link.other).flatten();
        let r = &link.ratio;
        let estimated = match (&this, &other) {
            (Some(this), Some(other)) => estimate(r.ratio, this, other),
            _ => None,
        };
        let note = match (&this, &other, estimated) {
            (None, _, _) => Some("this test has no process medians".to_owned()),
            (_, None, _) => Some(format!("`{}` was not measured", link.other)),
            (_, _, None) => Some("the ratio could not be estimated".to_owned()),
            _ => None,
        };
        let check = ThresholdCheck {
            metric: format!("{}[{}]", r.ratio.name(), r.other),
            op: r.op,
            limit: r.value,
            actual: estimated.map(|(point, _)| point),
            passed: estimated.is_some_and(|(_, ci)| meets(r.op, r.value, ci)),
            note,
            ci: estimated.map(|(_, ci)| ci),
        };
        let Some(t) = tests.iter_mut().find(|t| t.id == link.test) else {
            continue;
        };
        if !check.passed && t.status == Status::Passed {
            t.status = Status::Failed;
        }
        t.thresholds.push(check);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::testing::bench;
    use crate::metrics::Metrics;

    fn ratio(kind: Ratio, other: &str, op: Op, value: f64) -> RatioThreshold {
        RatioThreshold {
            ratio: kind,
            other: other.into(),
            op,
            value,
        }
    }

    #[test]
    fn names_resolve_in_the_suite_first_then_anywhere_then_by_id() {
        let r = [ratio(Ratio::Overhead, "plain", Op::Le, 20.0)];
        let by_id = [ratio(Ratio::Overhead, "q/perf/plain", Op::Le, 20.0)];
        let t = |package, name, ratios| Listed {
            package,
            target: "perf",
            name,
            ratios,
        };
        let listed = [
            t("p", "plain", &[][..]),
            t("q", "plain", &[]),
            t("p", "instr", &r),
            t("r", "other", &by_id),
        ];
        let links = resolve(&listed).unwrap();
        assert_eq!(links[0].other, "p/perf/plain");
        assert_eq!(links[1].other, "q/perf/plain");
        // Only the full id tells two `plain`s of other suites apart.
        let ambiguous = [
            t("p", "plain", &[][..]),
            t("q", "plain", &[]),
            t("r", "x", &r),
        ];
        let e = resolve(&ambiguous).unwrap_err();
        assert!(e.message.contains("several tests"), "{e:?}");
    }

    #[test]
    fn an_unknown_name_is_a_config_error_naming_the_tests() {
        let r = [ratio(Ratio::Overhead, "plian", Op::Le, 20.0)];
        let listed = [
            Listed {
                package: "p",
                target: "perf",
                name: "plain",
                ratios: &[],
            },
            Listed {
                package: "p",
                target: "perf",
                name: "typo",
                ratios: &r,
            },
        ];
        let e = resolve(&listed).unwrap_err();
        assert_eq!(e.exit_code(), crate::cli::errors::exit::ERROR);
        assert!(e.message.contains("`overhead(\"plian\")`"), "{e:?}");
        assert!(e.help.starts_with("did you mean `plain`?"), "{e:?}");
        assert!(e.help.contains("plain, typo"), "{e:?}");
    }

    fn measured(name: &str, medians: &[f64]) -> TestReport {
        let mut t = bench(name).build();
        t.status = Status::Passed;
        t.processes = medians
            .iter()
            .map(|m| Metrics {
                median_ns: Some(*m),
                ..Metrics::default()
            })
            .collect();
        t
    }

    #[test]
    fn passes_only_when_the_conservative_end_meets_the_limit() {
        let plain = [100.0, 102.0, 98.0, 101.0, 99.0];
        let (point, ci) = estimate(Ratio::Overhead, &[110.0, 112.0, 108.0], &plain).unwrap();
        assert!((point - 10.0).abs() < 1e-9, "{point}");
        assert!(ci[0] < point && point < ci[1] && ci[1] < 20.0, "{ci:?}");
        let (point, ci) = estimate(Ratio::Speedup, &[100.0, 101.0, 99.0], &[400.0, 404.0]).unwrap();
        assert!((point - 4.02).abs() < 0.05 && ci[0] > 3.0, "{point} {ci:?}");
        assert!(meets(Op::Le, 20.0, [5.0, 20.0]) && !meets(Op::Lt, 20.0, [5.0, 20.0]));
        assert!(meets(Op::Ge, 3.0, [3.0, 9.0]) && !meets(Op::Ge, 3.0, [2.9, 9.0]));
    }

    #[test]
    fn a_missed_ratio_fails_its_test_and_an_unmeasured_one_says_why() {
        let links = |other: &str, value| Link {
            test: "p/perf/heavy".into(),
            ratio: ratio(Ratio::Overhead, "plain", Op::Le, value),
            other: other.into(),
        };
        let mut tests = vec![
            measured("p/perf/plain", &[100.0, 101.0, 99.0]),
            measured("p/perf/heavy", &[150.0, 151.0, 149.0]),
        ];
        judge(&[links("p/perf/plain", 60.0)], &mut tests);
        assert!(tests[1].thresholds[0].passed);
        assert_eq!(tests[1].status, Status::Passed);
        judge(&[links("p/perf/plain", 20.0)], &mut tests);
        let c = &tests[1].thresholds[1];
        assert_eq!(c.metric, "overhead[plain]");
        assert!(!c.passed && c.ci.unwrap()[0] > 40.0, "{c:?}");
        assert_eq!(tests[1].status, Status::Failed);
        judge(&[links("p/perf/gone", 20.0)], &mut tests);
        let c = &tests[1].thresholds[2];
        assert!(!c.passed && c.actual.is_none() && c.ci.is_none());
        assert!(c.note.as_deref().unwrap().contains("not measured"), "{c:?}");
    }
}
