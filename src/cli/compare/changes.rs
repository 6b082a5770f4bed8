//! Change points in a test's stored history: binary segmentation with a permutation test on
//! the per-commit levels, and a step-versus-ramp model choice (BIC) that tells a sudden
//! change from slow drift.
//!
//! Each commit's level is the mean of the logs of its processes' figures, so a change is a
//! ratio and commit-to-commit noise (a loaded machine, a different day) is part of the
//! variance the test sees: permuting whole commits keeps the test's level honest even when
//! processes of one run agree with each other far better than runs on different days do.

use crate::cli::compare::dist::t_quantile;
use crate::cli::compare::history::Series;
use crate::stats::XorShift64;

/// How a test decides.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Significance level of each segment's permutation test.
    pub alpha: f64,
    /// Random permutations per test (the p-value's resolution is `1 / (permutations + 1)`).
    pub permutations: usize,
    pub seed: u64,
    /// Smallest |size| reported (`history --threshold`, as verdicts use it): the machine's own
    /// drift between runs moves every test by a few per cent, significant over enough commits
    /// but not a change of the code.
    pub min_size: f64,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            alpha: 0.01,
            permutations: 999,
            seed: 0x5EED_C4A9_6E00_0001,
            min_size: 0.0,
        }
    }
}

/// Whether the level jumped at one commit or moved over several.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Step,
    /// Ramped from commit `from` (the last at the old level) to `at` (the first at the new one).
    Drift {
        from: usize,
    },
}

/// One change point, in indices of the input's commits.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// The first commit at the new level.
    pub at: usize,
    pub shape: Shape,
    /// New level / old level − 1.
    pub size: f64,
    /// 95 % interval of `size`.
    pub ci: [f64; 2],
    /// The permutation test's p-value in the segment where the change was found.
    pub p: f64,
}

/// Each commit's level: the mean log of its processes' figures (`None` without any).
pub fn levels(processes: &[Vec<f64>]) -> Vec<Option<f64>> {
    processes
        .iter()
        .map(|v| {
            let logs: Vec<f64> = v.iter().filter(|x| **x > 0.0).map(|x| x.ln()).collect();
            (!logs.is_empty()).then(|| logs.iter().sum::<f64>() / logs.len() as f64)
        })
        .collect()
}

/// The change points of a series of commit levels (oldest first), oldest change first.
pub fn detect(y: &[f64], opts: &Options) -> Vec<Change> {
    let mut rng = XorShift64::new(opts.seed);
    let mut found = Vec::new();
    segment(y, 0, opts, &mut rng, &mut found);
    found.sort_by_key(|c| c.at);
    reestimate(y, &mut found);
    found.retain(|c| c.size.abs() >= opts.min_size);
    found
}

/// A series' change points, in indices of its points (commits without figures are skipped
/// by the test and never named as a change's commit).
pub fn of_series(series: &Series, opts: &Options) -> Vec<Change> {
    let processes: Vec<Vec<f64>> = series.points.iter().map(|p| p.processes.clone()).collect();
    let (index, y): (Vec<usize>, Vec<f64>) = levels(&processes)
        .into_iter()
        .enumerate()
        .filter_map(|(i, l)| Some((i, l?)))
        .unzip();
    let mut found = detect(&y, opts);
    for c in &mut found {
        c.at = index[c.at];
        if let Shape::Drift { from } = &mut c.shape {
            *from = index[*from];
        }
    }
    found
}

/// Binary segmentation of `y` (which starts at commit `offset`).
fn segment(y: &[f64], offset: usize, opts: &Options, rng: &mut XorShift64, out: &mut Vec<Change>) {
    if y.len() < 3 {
        return;
    }
    let Some((observed, _)) = best_split(y) else {
        return;
    };
    let mut shuffled = y.to_vec();
    let mut as_large = 0usize;
    for _ in 0..opts.permutations {
        shuffle(&mut shuffled, rng);
        if best_split(&shuffled).is_some_and(|(t, _)| t >= observed * (1.0 - 1e-12)) {
            as_large += 1;
        }
    }
    let p = (1 + as_large) as f64 / (opts.permutations + 1) as f64;
    if p >= opts.alpha {
        return;
    }
    let (step, ramp) = (best_step(y), best_ramp(y));
    let n = y.len() as f64;
    // BIC: the step has two levels and a location, the ramp two levels and two ends.
    let bic = |f: &Fit, k: f64| n * (f.sse / n).max(1e-300).ln() + k * n.ln();
    let (left_end, right_start, change) = match ramp {
        Some(r) if bic(&r.fit, 4.0) < bic(&step.fit, 3.0) => (
            r.from + 1,
            r.at,
            (
                r.fit,
                Shape::Drift {
                    from: r.from + offset,
                },
                r.at,
            ),
        ),
        _ => (step.at, step.at, (step.fit, Shape::Step, step.at)),
    };
    let (fit, shape, at) = change;
    let (size, ci) = fit.ratio(y.len());
    out.push(Change {
        at: at + offset,
        shape,
        size,
        ci,
        p,
    });
    segment(&y[..left_end], offset, opts, rng, out);
    segment(&y[right_start..], offset + right_start, opts, rng, out);
}

/// A step's size re-estimated between its neighbours (the segments it separates), not in the
/// whole segment it was found in, which may hold other changes.
fn reestimate(y: &[f64], changes: &mut [Change]) {
    let bounds: Vec<(usize, usize)> = changes
        .iter()
        .map(|c| match c.shape {
            Shape::Step => (c.at, c.at),
            Shape::Drift { from } => (from + 1, c.at),
        })
        .collect();
    for i in 0..changes.len() {
        if changes[i].shape != Shape::Step {
            continue;
        }
        let lo = if i == 0 { 0 } else { bounds[i - 1].1 };
        let hi = bounds.get(i + 1).map_or(y.len(), |b| b.0);
        let local = &y[lo..hi];
        let at = changes[i].at - lo;
        let g: Vec<f64> = (0..local.len()).map(|j| f64::from(j >= at)).collect();
        if let Some(fit) = regress(local, &g) {
            (changes[i].size, changes[i].ci) = fit.ratio(local.len());
        }
    }
}

/// `y ≈ a + delta·g`, least squares.
#[derive(Debug, Clone, Copy)]
struct Fit {
    delta: f64,
    se: f64,
    sse: f64,
}

impl Fit {
    /// `exp(delta) − 1` and its 95 % t interval (`n − 2` degrees of freedom).
    fn ratio(&self, n: usize) -> (f64, [f64; 2]) {
        let half = t_quantile(0.975, (n.max(3) - 2) as f64) * self.se;
        (
            self.delta.exp_m1(),
            [(self.delta - half).exp_m1(), (self.delta + half).exp_m1()],
        )
    }
}

fn regress(y: &[f64], g: &[f64]) -> Option<Fit> {
    let n = y.len() as f64;
    let (my, mg) = (y.iter().sum::<f64>() / n, g.iter().sum::<f64>() / n);
    let sgg: f64 = g.iter().map(|x| (x - mg).powi(2)).sum();
    if sgg <= 0.0 || y.len() < 3 {
        return None;
    }
    let sgy: f64 = g.iter().zip(y).map(|(x, v)| (x - mg) * (v - my)).sum();
    let delta = sgy / sgg;
    let sse: f64 = g
        .iter()
        .zip(y)
        .map(|(x, v)| (v - my - delta * (x - mg)).powi(2))
        .sum();
    let se = (sse / (n - 2.0) / sgg).sqrt();
    Some(Fit { delta, se, sse })
}

struct Located {
    fit: Fit,
    /// The first commit at the new level.
    at: usize,
    /// The last commit at the old level (a step's is `at − 1`).
    from: usize,
}

/// The largest two-sample t over every split (with its split): the permutation test's
/// statistic, computed from prefix sums so a thousand permutations stay cheap.
fn best_split(y: &[f64]) -> Option<(f64, usize)> {
    let n = y.len();
    let (mut s, mut q) = (vec![0.0; n + 1], vec![0.0; n + 1]);
    for (i, v) in y.iter().enumerate() {
        s[i + 1] = s[i] + v;
        q[i + 1] = q[i] + v * v;
    }
    let mut best: Option<(f64, usize)> = None;
    for k in 1..n {
        let (nl, nr) = (k as f64, (n - k) as f64);
        let (ml, mr) = (s[k] / nl, (s[n] - s[k]) / nr);
        let sse = (q[k] - nl * ml * ml) + (q[n] - q[k] - nr * mr * mr);
        let var = (sse.max(0.0) / (n as f64 - 2.0)).max(1e-24);
        let t = (ml - mr).abs() / (var * (1.0 / nl + 1.0 / nr)).sqrt();
        if best.map_or(true, |(b, _)| t > b) {
            best = Some((t, k));
        }
    }
    best
}

fn best_step(y: &[f64]) -> Located {
    let (_, at) = best_split(y).expect("segments of 3 or more commits");
    let g: Vec<f64> = (0..y.len()).map(|j| f64::from(j >= at)).collect();
    let fit = regress(y, &g).expect("a split leaves commits on both sides");
    Located {
        fit,
        at,
        from: at - 1,
    }
}

/// The best level-ramp-level shape whose ramp spans at least two steps: flat up to `from`,
/// linear to `at`, flat after (a whole-segment trend is `from = 0`, `at = n − 1`).
fn best_ramp(y: &[f64]) -> Option<Located> {
    let n = y.len();
    let mut best: Option<Located> = None;
    for from in 0..n {
        for at in from + 2..n {
            let g: Vec<f64> = (0..n)
                .map(|j| ((j as f64 - from as f64) / (at - from) as f64).clamp(0.0, 1.0))
                .collect();
            if let Some(fit) = regress(y, &g) {
                if best.as_ref().map_or(true, |b| fit.sse < b.fit.sse) {
                    best = Some(Located { fit, at, from });
                }
            }
        }
    }
    best
}

/// Fisher–Yates with the project's generator.
fn shuffle(v: &mut [f64], rng: &mut XorShift64) {
    for i in (1..v.len()).rev() {
        v.swap(i, rng.below(i + 1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A simulated history: `levels[i]` is commit i's true ratio to the start; each commit
    /// gets a shared run offset (σ `between`) and `procs` processes (σ `within`).
    fn history(rng: &mut XorShift64, levels: &[f64], between: f64, within: f64) -> Vec<f64> {
        let procs: Vec<Vec<f64>> = levels
            .iter()
            .map(|l| {
                let run = between * rng.normal();
                (0..5)
                    .map(|_| 1000.0 * l * (run + within * rng.normal()).exp())
                    .collect()
            })
            .collect();
        super::levels(&procs).into_iter().flatten().collect()
    }

    fn opts(alpha: f64, seed: u64) -> Options {
        Options {
            alpha,
            permutations: 199,
            seed,
            min_size: 0.0,
        }
    }

    /// `history --threshold`: a significant 3 % level change (the machine's drift between runs
    /// is of that order) is not reported at a 5 % minimum; ten commits of +1 % (10.5 %) are.
    #[test]
    fn changes_below_the_minimum_size_are_not_reported() {
        let mut rng = XorShift64::new(3);
        let small: Vec<f64> = (0..30).map(|i| if i >= 15 { 1.03 } else { 1.0 }).collect();
        let y = history(&mut rng, &small, 0.002, 0.002);
        let at_5 = Options {
            min_size: 0.05,
            ..Options::default()
        };
        assert_eq!(detect(&y, &Options::default()).len(), 1);
        assert!(detect(&y, &at_5).is_empty());
        let drift: Vec<f64> = (0..30)
            .map(|i| 1.01f64.powi((i - 9).clamp(0, 10)))
            .collect();
        let y = history(&mut rng, &drift, 0.002, 0.002);
        let found = detect(&y, &at_5);
        assert!(
            !found.is_empty() && found.iter().all(|c| c.size >= 0.05),
            "{found:?}"
        );
    }

    #[test]
    fn a_step_is_placed_at_its_commit_with_its_size() {
        let mut rng = XorShift64::new(7);
        let levels: Vec<f64> = (0..30).map(|i| if i >= 17 { 1.1 } else { 1.0 }).collect();
        let y = history(&mut rng, &levels, 0.01, 0.01);
        let found = detect(&y, &Options::default());
        assert_eq!(found.len(), 1, "{found:?}");
        let c = &found[0];
        assert_eq!((c.at, c.shape), (17, Shape::Step));
        assert!((c.size - 0.10).abs() < 0.02, "{c:?}");
        assert!(
            c.ci[0] < c.size && c.size < c.ci[1] && c.ci[0] > 0.05,
            "{c:?}"
        );
    }

    #[test]
    fn two_steps_are_both_found_and_sized_between_neighbours() {
        let mut rng = XorShift64::new(11);
        let levels: Vec<f64> = (0..40)
            .map(|i| match i {
                0..=12 => 1.0,
                13..=27 => 1.2,
                _ => 1.2 * 0.9,
            })
            .collect();
        let y = history(&mut rng, &levels, 0.01, 0.01);
        let found = detect(&y, &Options::default());
        let at: Vec<usize> = found.iter().map(|c| c.at).collect();
        assert_eq!(at, [13, 28], "{found:?}");
        assert!((found[0].size - 0.2).abs() < 0.03 && (found[1].size + 0.1).abs() < 0.03);
    }

    /// Ten commits of +1 % each: every pair is within noise, the series is not.
    #[test]
    fn ten_commits_of_one_percent_each_are_drift() {
        let mut detected = 0;
        let runs = 40;
        for seed in 1..=runs {
            let mut rng = XorShift64::new(seed);
            let levels: Vec<f64> = (0..30)
                .map(|i| 1.01f64.powi((i - 9).clamp(0, 10)))
                .collect();
            let y = history(&mut rng, &levels, 0.005, 0.01);
            let found = detect(&y, &opts(0.01, seed));
            if found.len() == 1 && matches!(found[0].shape, Shape::Drift { .. }) {
                let c = &found[0];
                assert!((c.size - 0.105).abs() < 0.04, "{c:?}");
                detected += 1;
            }
        }
        // Measured 40/40 (seeds 1..=40); allow a few misses for the model choice near noise.
        assert!(detected >= runs * 8 / 10, "drift found {detected}/{runs}");
    }

    /// Fifty unchanged commits: the permutation test's false-positive rate is α by
    /// construction; 200 histories put a 1 % rate's 3-σ bound near 3 %.
    #[test]
    fn unchanged_histories_rarely_show_a_change() {
        for (alpha, bound) in [(0.01, 6), (0.05, 19)] {
            let mut false_positives = 0;
            for seed in 1..=200 {
                let mut rng = XorShift64::new(seed * 31);
                let y = history(&mut rng, &[1.0; 50], 0.01, 0.01);
                if !detect(&y, &opts(alpha, seed)).is_empty() {
                    false_positives += 1;
                }
            }
            assert!(
                false_positives <= bound,
                "α={alpha}: {false_positives}/200 histories had a change"
            );
        }
    }

    #[test]
    fn a_ten_percent_step_is_found_in_fifty_commits() {
        let mut hits = 0;
        for seed in 1..=50u64 {
            let mut rng = XorShift64::new(seed * 7 + 3);
            let at = 10 + (seed as usize % 30);
            let levels: Vec<f64> = (0..50).map(|i| if i >= at { 1.1 } else { 1.0 }).collect();
            let y = history(&mut rng, &levels, 0.02, 0.02);
            let found = detect(&y, &opts(0.01, seed));
            if found.iter().any(|c| c.at == at && c.shape == Shape::Step) {
                hits += 1;
            }
        }
        assert!(hits >= 47, "10 % step placed exactly in {hits}/50");
    }

    #[test]
    fn short_or_flat_series_have_no_change() {
        assert!(detect(&[], &Options::default()).is_empty());
        assert!(detect(&[1.0, 2.0], &Options::default()).is_empty());
        assert!(detect(&[3.0; 10], &Options::default()).is_empty());
        assert_eq!(levels(&[vec![], vec![1.0, 0.0]]), [None, Some(0.0)]);
    }
}
