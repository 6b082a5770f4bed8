//! Welch's t-test of an unpaired comparison (stored baseline vs this run), on the
//! distributions of `dist`.

pub use crate::cli::compare::dist::{benjamini_hochberg, t_quantile, t_two_sided_p};
pub use crate::stats::mean;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::within as close;

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
}
