//! "Did you mean ..?" for the CLI: the one closest known name to a mistyped one, shared by the
//! selection check (tests, tags, subcommands) and the `PERF_<TEST>_<KEY>` check. The distance
//! and the closeness rule are `perf_spec::closest`, the attribute's own.

/// The first of the candidates closest to `word` (see `perf_spec::closest`: a swap of
/// neighbours is one edit, case is ignored, at most one edit per three characters).
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let candidates: Vec<&'a str> = candidates.into_iter().collect();
    perf_spec::closest(word, &candidates).first().copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nearest_wins_and_ties_keep_the_first() {
        assert_eq!(closest("p98", ["p90", "p99"]), Some("p90"));
        assert_eq!(closest("mean", ["max", "meat"]), Some("meat"));
        assert_eq!(closest("histroy", ["run", "history"]), Some("history"));
        assert_eq!(closest("zzz", ["run"]), None);
    }
}
