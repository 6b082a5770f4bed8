//! The search of `cargo perf bisect`, free of builds and processes: a binary search over the
//! first-parent commits between GOOD (exclusive) and BAD (inclusive), asking a judge about one
//! commit at a time. A commit the judge cannot tell is skipped, as `git bisect skip` does: the
//! search goes on around it, and when only skipped commits are left between the last good and
//! the first bad one, the answer is that range.

/// What the judge said of one commit.
#[derive(Debug, Clone, PartialEq)]
pub enum Judgement<B> {
    /// Not slower than GOOD.
    Good,
    /// Slower than GOOD, with what the judge measured.
    Bad(B),
    /// Could not tell (inconclusive after more rounds, a failed build): why.
    Skip(String),
}

/// One question asked and its answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Step<B> {
    /// Index of the commit in the oldest-first list.
    pub index: usize,
    pub judgement: Judgement<B>,
}

/// Where the search ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Found<B> {
    /// Every question, in the order asked.
    pub steps: Vec<Step<B>>,
    /// Index of the last commit known good (`None`: GOOD itself).
    pub last_good: Option<usize>,
    /// Index of the first commit known bad.
    pub first_bad: usize,
    /// Indices of the commits strictly between `last_good` and `first_bad`: all skipped. Empty
    /// when `first_bad` is exactly the first bad commit.
    pub undecided: Vec<usize>,
}

/// Binary search over `n` commits (oldest first; commit `n - 1` is BAD, already known bad by
/// `bad_judgement`) for the first bad one, asking `judge` about one index at a time. Each
/// question halves the untested range, so a range of `n` commits takes about `log2(n)`
/// questions when nothing is skipped. An error of the judge (an interrupt) ends the search.
pub fn bisect<B, E>(
    n: usize,
    bad_judgement: B,
    mut judge: impl FnMut(usize) -> Result<Judgement<B>, E>,
) -> Result<Found<B>, E> {
    assert!(n > 0, "BAD is always one of the commits");
    let mut steps = vec![Step {
        index: n - 1,
        judgement: Judgement::Bad(bad_judgement),
    }];
    let mut skipped = vec![false; n];
    // Invariant: `lo` (or GOOD when None) is good, `hi` is bad, every index between is untested
    // or skipped.
    let (mut lo, mut hi): (Option<usize>, usize) = (None, n - 1);
    loop {
        let start = lo.map_or(0, |l| l + 1);
        let open: Vec<usize> = (start..hi).filter(|&i| !skipped[i]).collect();
        if open.is_empty() {
            return Ok(Found {
                steps,
                last_good: lo,
                first_bad: hi,
                undecided: (start..hi).collect(),
            });
        }
        // The untested commit nearest the middle of the whole range (skipped ones included),
        // so a skip moves the next question aside rather than restarting the halving.
        let middle = start + (hi - start) / 2;
        let index = *open
            .iter()
            .min_by_key(|&&i| (i.abs_diff(middle), i))
            .expect("open is not empty");
        let judgement = judge(index)?;
        match judgement {
            Judgement::Good => lo = Some(index),
            Judgement::Bad(_) => hi = index,
            Judgement::Skip(_) => skipped[index] = true,
        }
        steps.push(Step { index, judgement });
    }
}

/// About how many more questions a search over `n` commits asks after `asked` of them (BAD's
/// included): for the progress line.
pub fn steps_left(n: usize, asked: usize) -> usize {
    let total = 1 + (n.max(1) as f64).log2().ceil() as usize;
    total.saturating_sub(asked)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A judge for a history whose first bad commit is `first_bad`, skipping `skips`.
    fn history(
        first_bad: usize,
        skips: &[usize],
    ) -> impl FnMut(usize) -> Result<Judgement<usize>, ()> + '_ {
        move |i| {
            Ok(if skips.contains(&i) {
                Judgement::Skip("inconclusive".into())
            } else if i >= first_bad {
                Judgement::Bad(i)
            } else {
                Judgement::Good
            })
        }
    }

    #[test]
    fn finds_every_first_bad_commit_in_log2_steps() {
        for n in [1usize, 2, 3, 7, 8, 9, 64, 100] {
            let bound = (n as f64).log2().ceil() as usize;
            for first_bad in 0..n {
                let found = bisect(n, n - 1, history(first_bad, &[])).unwrap();
                assert_eq!(found.first_bad, first_bad, "n {n}");
                assert!(found.undecided.is_empty());
                assert_eq!(found.last_good, first_bad.checked_sub(1));
                // The questions after BAD's own.
                let asked = found.steps.len() - 1;
                assert!(
                    asked <= bound,
                    "n {n} first bad {first_bad}: {asked} > {bound}"
                );
            }
        }
    }

    #[test]
    fn never_asks_twice_and_never_asks_about_bad_again() {
        let found = bisect(64, 63, history(37, &[])).unwrap();
        let mut asked: Vec<usize> = found.steps.iter().map(|s| s.index).collect();
        assert_eq!(asked[0], 63);
        asked.sort_unstable();
        asked.dedup();
        assert_eq!(asked.len(), found.steps.len());
    }

    #[test]
    fn a_skipped_commit_is_searched_around() {
        // The middle of 8 is skipped: the search asks its neighbour and still finds 5.
        let found = bisect(8, 7, history(5, &[3])).unwrap();
        assert_eq!((found.first_bad, found.undecided.len()), (5, 0));
        assert!(found
            .steps
            .iter()
            .any(|s| s.index == 3 && matches!(s.judgement, Judgement::Skip(_))));
        // A skipped commit that is not in the way costs one question.
        assert!(found.steps.len() - 1 <= 4);
    }

    #[test]
    fn skips_next_to_the_change_leave_a_range() {
        // 4 and 5 cannot be judged, 3 is good and 6 is bad: the first bad is one of 4, 5, 6.
        let found = bisect(10, 9, history(5, &[4, 5])).unwrap();
        assert_eq!(found.last_good, Some(3));
        assert_eq!(found.first_bad, 6);
        assert_eq!(found.undecided, [4, 5]);
    }

    #[test]
    fn everything_skipped_leaves_the_whole_range() {
        let all: Vec<usize> = (0..5).collect();
        let found = bisect(6, 5, history(2, &all)).unwrap();
        assert_eq!((found.last_good, found.first_bad), (None, 5));
        assert_eq!(found.undecided, all);
        assert_eq!(found.steps.len(), 6);
    }

    #[test]
    fn an_error_of_the_judge_ends_the_search() {
        let mut asked = 0;
        let result = bisect(16, (), |_| {
            asked += 1;
            if asked == 2 {
                Err("interrupted")
            } else {
                Ok(Judgement::Good)
            }
        });
        assert_eq!(result, Err("interrupted"));
        assert_eq!(asked, 2);
    }

    #[test]
    fn the_progress_estimate_counts_down_to_zero() {
        assert_eq!(steps_left(64, 0), 7);
        assert_eq!(steps_left(64, 1), 6);
        assert_eq!(steps_left(64, 9), 0);
        assert_eq!(steps_left(1, 1), 0);
    }
}
