//! The few statistical tools verdicts need: Welch's t-test, Student's t distribution and
//! Benjamini–Hochberg adjustment. Hand-written so the CLI pulls in no numerics crate.

/// Arithmetic mean; `None` for an empty slice.
pub fn mean(xs: &[f64]) -> Option<f64> {
    if xs.is_empty() {
        None
    } else {
        Some(xs.iter().sum::<f64>() / xs.len() as f64)
    }
}

/// Unbiased sample variance; `None` below two values.
pub fn variance(xs: &[f64]) -> Option<f64> {
    if xs.len() < 2 {
        return None;
    }
    let m = mean(xs)?;
    Some(xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (xs.len() - 1) as f64)
}

/// The difference of two means with its standard error and degrees of freedom.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// `mean(head) - mean(base)`.
    pub diff: f64,
    pub se: f64,
    pub df: f64,
}

impl Estimate {
    /// Two-sided p-value of "no difference". An exact zero difference with zero error is p = 1.
    pub fn p_value(&self) -> f64 {
        if self.se <= 0.0 {
            return if self.diff == 0.0 { 1.0 } else { 0.0 };
        }
        t_two_sided_p(self.diff / self.se, self.df)
    }

    /// Two-sided confidence interval of `diff` at `level` (e.g. 0.95).
    pub fn ci(&self, level: f64) -> [f64; 2] {
        if self.se <= 0.0 {
            return [self.diff, self.diff];
        }
        let half = t_quantile(0.5 + level / 2.0, self.df) * self.se;
        [self.diff - half, self.diff + half]
    }
}

/// One side of a comparison: the mean of its values, their variance and its degrees of
/// freedom (`n - 1` for a plain sample variance, more when the variance borrowed strength).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Side {
    pub mean: f64,
    pub var: f64,
    pub n: f64,
    pub df: f64,
}

impl Side {
    /// A sample's side; `None` below two values.
    pub fn of(xs: &[f64]) -> Option<Side> {
        Some(Side {
            mean: mean(xs)?,
            var: variance(xs)?,
            n: xs.len() as f64,
            df: xs.len() as f64 - 1.0,
        })
    }

    /// The variance shrunk toward `prior` (the pooled variance of the other tests measured in
    /// the same run) with `prior_df` degrees of freedom: the empirical-Bayes "moderated"
    /// variance of Smyth (2004). Few processes give a poor variance on their own; the run's
    /// other tests saw the same machine at the same time.
    pub fn moderated(self, prior: f64, prior_df: f64) -> Side {
        if prior_df <= 0.0 {
            return self;
        }
        Side {
            var: (self.df * self.var + prior_df * prior) / (self.df + prior_df),
            df: self.df + prior_df,
            ..self
        }
    }
}

/// Welch's unequal-variance t estimate of `mean(head) - mean(base)`; needs two values a side.
pub fn welch(base: &[f64], head: &[f64]) -> Option<Estimate> {
    Some(welch_sides(Side::of(base)?, Side::of(head)?))
}

/// Welch's t from two summarised sides (Welch–Satterthwaite degrees of freedom).
pub fn welch_sides(base: Side, head: Side) -> Estimate {
    let (v1, v2) = (base.var / base.n, head.var / head.n);
    let se2 = v1 + v2;
    let pooled_df = base.df + head.df;
    let df = if se2 <= 0.0 {
        pooled_df
    } else {
        // A side without spread contributes nothing to the sum below.
        let denom = v1 * v1 / base.df + v2 * v2 / head.df;
        if denom <= 0.0 {
            pooled_df
        } else {
            se2 * se2 / denom
        }
    };
    Estimate {
        diff: head.mean - base.mean,
        se: se2.sqrt(),
        df: df.max(1.0),
    }
}

/// `P(|T| > |t|)` for Student's t with `df` degrees of freedom.
pub fn t_two_sided_p(t: f64, df: f64) -> f64 {
    if !t.is_finite() {
        return 0.0;
    }
    let x = df / (df + t * t);
    incomplete_beta(df / 2.0, 0.5, x).clamp(0.0, 1.0)
}

/// The `p`-quantile of Student's t (`p` in (0.5, 1)), by bisection on the distribution.
pub fn t_quantile(p: f64, df: f64) -> f64 {
    let target = 2.0 * (1.0 - p); // the two-sided tail mass at the quantile
    let (mut lo, mut hi) = (0.0_f64, 1.0_f64);
    while t_two_sided_p(hi, df) > target && hi < 1e6 {
        hi *= 2.0;
    }
    // 60 halvings take any bracket below 1e6 to well under 1e-9.
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        if t_two_sided_p(mid, df) > target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// Benjamini–Hochberg adjusted p-values (same order as the input): rejecting where the
/// adjusted value is below `q` keeps the expected share of false discoveries under `q`.
pub fn benjamini_hochberg(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p[b].total_cmp(&p[a])); // largest first
    let mut adjusted = vec![1.0; m];
    let mut running = 1.0_f64;
    for (k, &i) in order.iter().enumerate() {
        let rank = (m - k) as f64;
        running = running.min(p[i] * m as f64 / rank);
        adjusted[i] = running.min(1.0);
    }
    adjusted
}

/// `ln Γ(x)` for `x > 0` (Lanczos approximation, ~15 digits).
fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection keeps the series in its accurate range.
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + G + 0.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// The regularized incomplete beta function `I_x(a, b)`.
fn incomplete_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln();
    let front = ln_front.exp();
    // The continued fraction converges fast only on one side of the mean; use symmetry.
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_continued_fraction(a, b, x) / a
    } else {
        1.0 - front * beta_continued_fraction(b, a, 1.0 - x) / b
    }
}

/// Lentz's evaluation of the incomplete beta continued fraction.
fn beta_continued_fraction(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let mut c = 1.0;
    let mut d = 1.0 - (a + b) * x / (a + 1.0);
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..300 {
        let m = m as f64;
        let m2 = 2.0 * m;
        let even = m * (b - m) * x / ((a + m2 - 1.0) * (a + m2));
        for coefficient in [
            even,
            -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1.0)),
        ] {
            d = 1.0 + coefficient * d;
            if d.abs() < TINY {
                d = TINY;
            }
            c = 1.0 + coefficient / c;
            if c.abs() < TINY {
                c = TINY;
            }
            d = 1.0 / d;
            h *= d * c;
        }
        // `h` changed by the last factor only; stop once it no longer moves.
        if (d * c - 1.0).abs() < 1e-15 {
            break;
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn t_distribution_matches_tables() {
        // Standard table values of the 97.5 % quantile.
        assert!(close(t_quantile(0.975, 1.0), 12.706, 0.01));
        assert!(close(t_quantile(0.975, 4.0), 2.776, 0.002));
        assert!(close(t_quantile(0.975, 10.0), 2.228, 0.002));
        assert!(close(t_quantile(0.975, 1000.0), 1.962, 0.002));
        assert!(close(t_two_sided_p(2.228, 10.0), 0.05, 0.001));
        assert!(close(t_two_sided_p(0.0, 5.0), 1.0, 1e-12));
        assert!(t_two_sided_p(50.0, 3.0) < 1e-4);
    }

    #[test]
    fn welch_matches_a_hand_computation() {
        let base = [1.0, 2.0, 3.0];
        let head = [2.0, 4.0, 6.0, 8.0];
        let e = welch(&base, &head).unwrap();
        assert!(close(e.diff, 3.0, 1e-12));
        // var(base)=1 → 1/3; var(head)=20/3 → 5/3; se = sqrt(2)
        assert!(close(e.se, 2.0_f64.sqrt(), 1e-12));
        // df = 4 / ((1/9)/2 + (25/9)/3)
        assert!(close(e.df, 4.0 / (1.0 / 18.0 + 25.0 / 27.0), 1e-9));
        assert!(welch(&[1.0], &head).is_none());
    }

    #[test]
    fn zero_spread_is_decided_by_the_difference_alone() {
        let same = welch(&[3.0, 3.0], &[3.0, 3.0]).unwrap();
        assert_eq!(same.p_value(), 1.0);
        let moved = welch(&[3.0, 3.0], &[4.0, 4.0]).unwrap();
        assert_eq!(moved.p_value(), 0.0);
        assert_eq!(moved.ci(0.95), [1.0, 1.0]);
    }

    #[test]
    fn moderation_averages_variances_by_degrees_of_freedom() {
        let own = Side::of(&[1.0, 2.0, 3.0]).unwrap(); // var 1, df 2
        let m = own.moderated(4.0, 2.0);
        assert!(close(m.var, 2.5, 1e-12) && close(m.df, 4.0, 1e-12));
        assert_eq!(m.mean, 2.0);
        assert_eq!(own.moderated(9.0, 0.0), own);
    }

    #[test]
    fn benjamini_hochberg_adjusts_like_r() {
        // R: p.adjust(c(0.01, 0.04, 0.03, 0.20), "BH") = 0.04 0.0533 0.0533 0.20
        let adj = benjamini_hochberg(&[0.01, 0.04, 0.03, 0.20]);
        let want = [0.04, 0.16 / 3.0, 0.16 / 3.0, 0.20];
        for (a, w) in adj.iter().zip(want) {
            assert!(close(*a, w, 1e-12), "{adj:?}");
        }
        assert!(benjamini_hochberg(&[]).is_empty());
    }
}
