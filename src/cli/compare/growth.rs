//! Growth with size: the families of `args` tests in a report (`sort/100`, `sort/1000`, ...),
//! the exponent of a log-log least-squares fit of each family's figure against its argument
//! with a 95 % interval, whether that exponent changed against the baseline, and a load
//! family's scaling efficiency over its concurrency levels. Every report format, the HTML
//! growth chart and `--fail-on growth` read what this computes.

use crate::cli::compare::dist::t_quantile;
use crate::cli::compare::primary_metric;
use crate::cli::model::{Growth, GrowthChange, GrowthFit, ScalingLevel, Status, TestReport};
use crate::metrics::Metric;
use crate::protocol::TestKind;

/// The fewest distinct sizes a fit is made from: two points always lie on a line.
pub const MIN_SIZES: usize = 3;

/// The smallest difference of exponents reported as a change of growth, however narrow the
/// intervals: a constant cost added to every size bends a log-log line by less than this,
/// while a change of complexity (n → n log n → n²) moves it by more.
pub const GROWTH_STEP: f64 = 0.1;

/// One family of numeric `args` tests (`sort/10`, `sort/1000`, ...): their size and test, by
/// size. What the HTML growth chart draws.
pub struct Family<'a> {
    /// `package/target/stem`.
    pub name: String,
    pub members: Vec<(f64, &'a TestReport)>,
}

/// Tests named `<stem>/<arg>` of one package, target and stem, with their arguments.
struct Group<'a> {
    /// `package/target/stem`.
    name: String,
    stem: &'a str,
    members: Vec<(&'a str, &'a TestReport)>,
}

/// The groups of `tests` (in report order) with at least two members.
fn groups(tests: &[TestReport]) -> Vec<Group<'_>> {
    let mut out: Vec<Group<'_>> = Vec::new();
    for t in tests {
        let Some((stem, arg)) = t.name.rsplit_once('/') else {
            continue;
        };
        let name = format!("{}/{}/{stem}", t.package, t.target);
        match out.iter_mut().find(|g| g.name == name) {
            Some(g) => g.members.push((arg, t)),
            None => out.push(Group {
                name,
                stem,
                members: vec![(arg, t)],
            }),
        }
    }
    out.retain(|g| g.members.len() >= 2);
    out
}

/// An argument label as a size: `10000`, `10_000`, `1.5`; `None` for anything else.
fn size(arg: &str) -> Option<f64> {
    arg.replace('_', "")
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite())
}

/// The families whose every argument is a number, with at least two sizes, members by size.
pub fn families(tests: &[TestReport]) -> Vec<Family<'_>> {
    groups(tests)
        .into_iter()
        .filter_map(|Group { name, members, .. }| {
            let mut members: Vec<(f64, &TestReport)> = members
                .into_iter()
                .map(|(arg, t)| Some((size(arg)?, t)))
                .collect::<Option<_>>()?;
            members.sort_by(|a, b| a.0.total_cmp(&b.0));
            Some(Family { name, members })
        })
        .collect()
}

/// How every family of `tests` grows, each fitted against the same tests of `base` when given.
pub fn of(tests: &[TestReport], base: Option<&[TestReport]>) -> Vec<Growth> {
    groups(tests)
        .into_iter()
        .map(
            |Group {
                 name,
                 stem,
                 members,
             }| {
                let mut growth = Growth {
                    family: name,
                    name: stem.to_owned(),
                    metric: primary_metric(members[0].1.kind).name().to_owned(),
                    args: members.iter().map(|m| m.0.to_owned()).collect(),
                    fit: None,
                    baseline: None,
                    change: None,
                    scaling: Vec::new(),
                    note: None,
                };
                let Some(mut sized) = members
                    .iter()
                    .map(|&(arg, t)| Some((size(arg)?, t)))
                    .collect::<Option<Vec<_>>>()
                else {
                    growth.note = Some(format!(
                        "no fit: the arguments ({}) are not all numbers",
                        growth.args.join(", ")
                    ));
                    return growth;
                };
                sized.sort_by(|a, b| a.0.total_cmp(&b.0));
                growth.args = sized
                    .iter()
                    .map(|(_, t)| t.name.rsplit_once('/').map_or("", |p| p.1).to_owned())
                    .collect();
                if let Some(levels) = scaling(&sized) {
                    growth.metric = Metric::Throughput.name().to_owned();
                    growth.scaling = levels;
                    return growth;
                }
                let metric = primary_metric(sized[0].1.kind);
                let measured = figures(&sized, metric);
                growth.fit = fit(&measured);
                if growth.fit.is_none() {
                    let n = distinct(&measured);
                    growth.note = Some(if n < MIN_SIZES {
                        format!(
                            "no fit: {n} size{} measured, a fit needs {MIN_SIZES} or more",
                            if n == 1 { "" } else { "s" }
                        )
                    } else {
                        "no fit: a size or a figure is not positive (a log-log fit needs both)"
                            .to_owned()
                    });
                    return growth;
                }
                if let Some(base) = base {
                    let based: Vec<(f64, &TestReport)> = sized
                        .iter()
                        .filter_map(|(n, t)| Some((*n, base.iter().find(|b| b.id == t.id)?)))
                        .collect();
                    growth.baseline = fit(&figures(&based, metric));
                }
                growth.change = growth
                    .fit
                    .zip(growth.baseline)
                    .map(|(head, base)| change(&head, &base));
                growth
            },
        )
        .collect()
}

/// Each measured member's per-process figures of `metric` (its overall figure when it kept
/// no processes), by size; members that errored are left out.
fn figures(members: &[(f64, &TestReport)], metric: Metric) -> Vec<(f64, Vec<f64>)> {
    members
        .iter()
        .filter(|(_, t)| t.status != Status::Error)
        .map(|(n, t)| {
            let mut values: Vec<f64> = t.processes.iter().filter_map(|m| metric.get(m)).collect();
            if values.is_empty() {
                values.extend(metric.get(&t.metrics));
            }
            (*n, values)
        })
        .filter(|(_, v)| !v.is_empty())
        .collect()
}

fn distinct(points: &[(f64, Vec<f64>)]) -> usize {
    let mut sizes: Vec<f64> = points.iter().map(|p| p.0).collect();
    sizes.sort_by(f64::total_cmp);
    sizes.dedup();
    sizes.len()
}

/// The least-squares line through `(ln n, ln figure)`, one point per process figure, with
/// its slope's 95 % interval from the slope's standard error and Student's t (`N - 2`
/// degrees of freedom): both the scatter between processes and any bend of the curve away
/// from a power law widen it. `None` below [`MIN_SIZES`] distinct sizes, or when a size or a
/// figure is not positive (a logarithm needs one).
pub fn fit(points: &[(f64, Vec<f64>)]) -> Option<GrowthFit> {
    if distinct(points) < MIN_SIZES {
        return None;
    }
    let xy: Vec<(f64, f64)> = points
        .iter()
        .flat_map(|(n, values)| values.iter().map(move |v| (*n, *v)))
        .map(|(n, v)| (n > 0.0 && v > 0.0).then(|| (n.ln(), v.ln())))
        .collect::<Option<_>>()?;
    let count = xy.len() as f64;
    let (mx, my) = xy
        .iter()
        .fold((0.0, 0.0), |(a, b), (x, y)| (a + x / count, b + y / count));
    let sxx: f64 = xy.iter().map(|(x, _)| (x - mx).powi(2)).sum();
    let sxy: f64 = xy.iter().map(|(x, y)| (x - mx) * (y - my)).sum();
    let slope = sxy / sxx;
    let sse: f64 = xy
        .iter()
        .map(|(x, y)| (y - my - slope * (x - mx)).powi(2))
        .sum();
    let df = count - 2.0;
    let se = (sse / df / sxx).sqrt();
    let half = t_quantile(0.975, df) * se;
    Some(GrowthFit {
        exponent: slope,
        ci: [slope - half, slope + half],
        sizes: distinct(points),
    })
}

/// Steeper or flatter when the intervals are apart and the exponents differ by at least
/// [`GROWTH_STEP`]; unchanged otherwise.
pub fn change(head: &GrowthFit, base: &GrowthFit) -> GrowthChange {
    let step = head.exponent - base.exponent;
    if head.ci[0] > base.ci[1] && step >= GROWTH_STEP {
        GrowthChange::Steeper
    } else if head.ci[1] < base.ci[0] && -step >= GROWTH_STEP {
        GrowthChange::Flatter
    } else {
        GrowthChange::Unchanged
    }
}

/// A load family whose arguments are its concurrency levels (each member ran with as many
/// workers as its argument): throughput per level against `c / c0` times the lowest level's.
/// `None` for any other family.
fn scaling(members: &[(f64, &TestReport)]) -> Option<Vec<ScalingLevel>> {
    let levels: Vec<(u64, f64)> = members
        .iter()
        .map(|(n, t)| {
            let c = t.load.as_ref()?.concurrency?;
            let throughput = Metric::Throughput.get(&t.metrics)?;
            (t.kind == TestKind::Load && c as f64 == *n && c > 0).then_some((c, throughput))
        })
        .collect::<Option<_>>()?;
    let &(c0, base) = levels.first()?;
    Some(
        levels
            .iter()
            .map(|&(c, throughput)| ScalingLevel {
                concurrency: c,
                throughput_per_sec: throughput,
                efficiency: throughput / (c as f64 / c0 as f64 * base),
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::testing::bench;

    /// `c · n^k` at each size, every process the same.
    fn power(k: f64, sizes: &[f64]) -> Vec<(f64, Vec<f64>)> {
        sizes
            .iter()
            .map(|&n| (n, vec![3.7 * n.powf(k); 3]))
            .collect()
    }

    #[test]
    fn exact_power_laws_give_their_exponents() {
        let sizes = [100.0, 1_000.0, 10_000.0, 30_000.0];
        for k in [1.0, 2.0, 0.5] {
            let f = fit(&power(k, &sizes)).expect("four sizes");
            assert!((f.exponent - k).abs() < 1e-6, "{k}: {f:?}");
            assert!(f.ci[0] <= f.exponent && f.exponent <= f.ci[1]);
            assert!(f.ci[1] - f.ci[0] < 1e-6, "no scatter, no width: {f:?}");
            assert_eq!(f.sizes, 4);
        }
    }

    /// A tiny deterministic generator: the tests need noise, not a dependency.
    fn lcg(state: &mut u64) -> f64 {
        *state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (*state >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Log-normal noise of about 5 % per process: the interval holds the true exponent in
    /// about 95 % of repeated experiments, and is not absurdly wide.
    #[test]
    fn noisy_power_laws_are_covered_by_the_interval() {
        let mut state = 7;
        let mut covered = 0;
        let trials = 400;
        for trial in 0..trials {
            let k = if trial % 2 == 0 { 1.0 } else { 2.0 };
            let points: Vec<(f64, Vec<f64>)> = [64.0f64, 256.0, 1024.0, 4096.0]
                .iter()
                .map(|&n| {
                    let values = (0..5)
                        .map(|_| {
                            // Sum of uniforms: roughly normal, sd ≈ 0.05 in the log.
                            let z: f64 = (0..12).map(|_| lcg(&mut state)).sum::<f64>() - 6.0;
                            1e3 * n.powf(k) * (0.05 * z).exp()
                        })
                        .collect();
                    (n, values)
                })
                .collect();
            let f = fit(&points).expect("four sizes");
            assert!(f.ci[1] - f.ci[0] < 0.2, "{f:?}");
            if f.ci[0] <= k && k <= f.ci[1] {
                covered += 1;
            }
        }
        let rate = covered as f64 / trials as f64;
        assert!((0.90..=0.99).contains(&rate), "coverage {rate}");
    }

    #[test]
    fn too_few_sizes_or_non_positive_figures_give_no_fit() {
        assert!(fit(&power(1.0, &[10.0, 100.0])).is_none());
        let mut same = power(1.0, &[10.0, 100.0]);
        same.push((100.0, vec![400.0]));
        assert!(fit(&same).is_none(), "two distinct sizes only");
        let mut zero = power(1.0, &[10.0, 100.0, 1000.0]);
        zero[0].1[0] = 0.0;
        assert!(fit(&zero).is_none());
    }

    #[test]
    fn a_change_needs_apart_intervals_and_a_step() {
        let f = |exponent: f64, half: f64| GrowthFit {
            exponent,
            ci: [exponent - half, exponent + half],
            sizes: 4,
        };
        assert_eq!(change(&f(1.5, 0.05), &f(1.0, 0.05)), GrowthChange::Steeper);
        assert_eq!(change(&f(1.0, 0.05), &f(1.5, 0.05)), GrowthChange::Flatter);
        assert_eq!(
            change(&f(1.5, 0.3), &f(1.0, 0.3)),
            GrowthChange::Unchanged,
            "overlapping intervals"
        );
        assert_eq!(
            change(&f(1.05, 0.001), &f(1.0, 0.001)),
            GrowthChange::Unchanged,
            "apart, but less than the step"
        );
    }

    fn family(stem: &str, sizes: &[(&str, f64)], k: f64) -> Vec<TestReport> {
        sizes
            .iter()
            .map(|(arg, n)| {
                bench(&format!("p/t/{stem}/{arg}"))
                    .processes(&[n.powf(k), n.powf(k) * 1.01, n.powf(k) * 0.99])
                    .build()
            })
            .collect()
    }

    #[test]
    fn families_are_fitted_and_compared_with_the_baseline() {
        let sizes = [("1000", 1e3), ("10_000", 1e4), ("100", 1e2)];
        let mut head = family("sort", &sizes, 2.0);
        head.extend(family("pair", &sizes[..2], 1.0));
        head.extend(family("parse", &[("json", 1.0), ("yaml", 2.0)], 1.0));
        head.push(bench("p/t/alone").median(5.0).build());
        let base = family("sort", &sizes, 1.0);
        let growth = of(&head, Some(&base));
        assert_eq!(growth.len(), 3, "{growth:#?}");

        let sort = &growth[0];
        assert_eq!(
            (sort.family.as_str(), sort.name.as_str()),
            ("p/t/sort", "sort")
        );
        assert_eq!(sort.args, ["100", "1000", "10_000"], "by size");
        let (head_fit, base_fit) = (sort.fit.unwrap(), sort.baseline.unwrap());
        assert!((head_fit.exponent - 2.0).abs() < 0.02, "{head_fit:?}");
        assert!((base_fit.exponent - 1.0).abs() < 0.02, "{base_fit:?}");
        assert_eq!(sort.change, Some(GrowthChange::Steeper));
        assert_eq!(sort.metric, "median_ns");

        let pair = &growth[1];
        assert!(pair.fit.is_none() && pair.change.is_none());
        assert_eq!(
            pair.note.as_deref(),
            Some("no fit: 2 sizes measured, a fit needs 3 or more")
        );
        let parse = &growth[2];
        assert_eq!(
            parse.note.as_deref(),
            Some("no fit: the arguments (json, yaml) are not all numbers")
        );
        assert!(
            of(&head, None)[0].baseline.is_none(),
            "nothing to compare with"
        );
    }

    #[test]
    fn a_load_family_over_concurrency_levels_reports_scaling() {
        let level = |c: u64, throughput: f64| {
            let mut t = bench(&format!("p/t/serve/{c}")).build();
            t.kind = TestKind::Load;
            t.metrics.throughput_per_sec = Some(throughput);
            t.metrics.p99_ns = Some(1e6);
            t.load = Some(crate::protocol::LoadDetails {
                concurrency: Some(c),
                ..Default::default()
            });
            t
        };
        let tests = vec![level(4, 3000.0), level(1, 1000.0), level(16, 8000.0)];
        let growth = of(&tests, None);
        assert_eq!(growth.len(), 1);
        let g = &growth[0];
        assert_eq!(g.metric, "throughput_per_sec");
        assert!(g.fit.is_none() && g.note.is_none());
        let got: Vec<(u64, f64)> = g
            .scaling
            .iter()
            .map(|s| (s.concurrency, s.efficiency))
            .collect();
        assert_eq!(got, [(1, 1.0), (4, 0.75), (16, 0.5)]);
    }
}
