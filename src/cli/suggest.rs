//! "Did you mean ..?": the closest of a set of known names to a mistyped one, shared by the
//! selection check (tests, tags, subcommands) and the `PERF_<TEST>_<KEY>` check.

/// The candidate closest to `word` by edit distance (Levenshtein with a swap of two
/// neighbours counting as one edit, the commonest typo: `histroy`), if one is close enough to
/// be a typo of it: at most one edit per three characters of `word` (at least one, at most
/// three), as the attribute's unknown-key message allows. Ties go to the first candidate.
/// Case is ignored; a candidate equal to `word` is not a suggestion.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let word_lower = word.to_lowercase();
    let allowed = (word.chars().count() / 3).clamp(1, 3);
    let mut best: Option<(usize, &'a str)> = None;
    for candidate in candidates {
        let d = strsim::osa_distance(&word_lower, &candidate.to_lowercase());
        if d == 0 || d > allowed {
            continue;
        }
        if best.map_or(true, |(b, _)| d < b) {
            best = Some((d, candidate));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typo_finds_its_word() {
        let subcommands = ["run", "ab", "compare", "history", "baseline"];
        assert_eq!(closest("histroy", subcommands), Some("history"));
        assert_eq!(closest("basline", subcommands), Some("baseline"));
        assert_eq!(closest("critcal", ["slow", "critical"]), Some("critical"));
        assert_eq!(closest("FIEN", ["FINE", "PASSES"]), Some("FINE"));
        assert_eq!(closest("Histroy", subcommands), Some("history"));
    }

    #[test]
    fn far_words_and_exact_matches_are_not_suggested() {
        let tests = ["tokenize_sentence", "count_words/10"];
        assert_eq!(closest("zzz", tests), None);
        assert_eq!(closest("tokenize_sentence", tests), None);
        // Short words allow one edit only: `ab` is not a typo of `run`.
        assert_eq!(closest("ab", ["run"]), None);
        assert_eq!(closest("ru", ["run"]), Some("run"));
        assert_eq!(closest("x", Vec::<&str>::new()), None);
    }

    #[test]
    fn the_nearest_wins_and_ties_keep_the_first() {
        assert_eq!(closest("p98", ["p90", "p99"]), Some("p90"));
        assert_eq!(closest("mean", ["max", "meat"]), Some("meat"));
    }
}
