//! Which listed tests a run takes: libtest's filters (`FILTER`, `--exact`, `--skip`,
//! `--ignored`, `--include-ignored`), plus `--tag`, `--exclude-tag` and `--quick` skipping `slow`.

use crate::protocol::TestInfo;

/// The tag `--quick` skips.
pub const SLOW_TAG: &str = "slow";

/// Which tests to run, as libtest's flags say it, plus tags (from `--exact`, `--skip`, ...).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// Names containing one of these (or equal to one, with `exact`); all when empty.
    pub filters: Vec<String>,
    pub exact: bool,
    pub skip: Vec<String>,
    pub tag: Vec<String>,
    pub exclude_tag: Vec<String>,
    /// Only `#[ignore]`d tests.
    pub ignored: bool,
    /// `#[ignore]`d tests too.
    pub include_ignored: bool,
}

/// Why a test is not run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// Its name does not match the filters, or matches `--skip`.
    Filtered,
    /// Tag selection (`--tag`, `--exclude-tag`).
    Tags,
    /// `#[ignore]` without `--ignored`/`--include-ignored` (or not ignored, with `--ignored`).
    Ignored,
    /// Tagged `slow` under `--quick`.
    Slow,
}

/// `None` to run the test, or why not.
pub fn skip_reason(args: &Selection, quick: bool, test: &TestInfo) -> Option<Skip> {
    let matches = |pattern: &str| {
        if args.exact {
            test.name == pattern
        } else {
            test.name.contains(pattern)
        }
    };
    if !args.filters.is_empty() && !args.filters.iter().any(|f| matches(f)) {
        return Some(Skip::Filtered);
    }
    if args.skip.iter().any(|s| matches(s)) {
        return Some(Skip::Filtered);
    }
    let has_tag = |tag: &str| test.tags.iter().any(|t| t == tag);
    if !args.tag.is_empty() && !args.tag.iter().any(|t| has_tag(t)) {
        return Some(Skip::Tags);
    }
    if args.exclude_tag.iter().any(|t| has_tag(t)) {
        return Some(Skip::Tags);
    }
    let ignored_ok = if args.ignored {
        test.ignored
    } else {
        args.include_ignored || !test.ignored
    };
    if !ignored_ok {
        return Some(Skip::Ignored);
    }
    if quick && has_tag(SLOW_TAG) {
        return Some(Skip::Slow);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::TestKind;

    fn test(name: &str, tags: &[&str], ignored: bool) -> TestInfo {
        TestInfo {
            tags: tags.iter().map(|t| t.to_string()).collect(),
            ignored,
            ..crate::cli::testing::info(name, TestKind::Bench)
        }
    }

    fn selected(args: &Selection, quick: bool, tests: &[TestInfo]) -> Vec<String> {
        tests
            .iter()
            .filter(|t| skip_reason(args, quick, t).is_none())
            .map(|t| t.name.clone())
            .collect()
    }

    fn suite() -> Vec<TestInfo> {
        vec![
            test("sort/100", &[], false),
            test("sort/10000", &["slow"], false),
            test("tokenize", &["text"], false),
            test("tokenize_large", &["text", "slow"], false),
            test("flaky", &[], true),
        ]
    }

    #[test]
    fn no_arguments_run_everything_but_ignored() {
        let all = selected(&Selection::default(), false, &suite());
        assert_eq!(
            all,
            ["sort/100", "sort/10000", "tokenize", "tokenize_large"]
        );
    }

    #[test]
    fn filters_are_substrings_unless_exact() {
        let mut args = Selection {
            filters: vec!["tokenize".into()],
            ..Selection::default()
        };
        assert_eq!(
            selected(&args, false, &suite()),
            ["tokenize", "tokenize_large"]
        );
        args.exact = true;
        assert_eq!(selected(&args, false, &suite()), ["tokenize"]);
    }

    #[test]
    fn skip_removes_matches() {
        let args = Selection {
            skip: vec!["sort".into()],
            ..Selection::default()
        };
        assert_eq!(
            selected(&args, false, &suite()),
            ["tokenize", "tokenize_large"]
        );
    }

    #[test]
    fn tags_select_and_exclude() {
        let args = Selection {
            tag: vec!["text".into()],
            exclude_tag: vec!["slow".into()],
            ..Selection::default()
        };
        assert_eq!(selected(&args, false, &suite()), ["tokenize"]);
    }

    #[test]
    fn quick_skips_slow() {
        let s = suite();
        assert_eq!(
            selected(&Selection::default(), true, &s),
            ["sort/100", "tokenize"]
        );
        assert_eq!(
            skip_reason(&Selection::default(), true, &s[1]),
            Some(Skip::Slow)
        );
    }

    #[test]
    fn ignored_and_include_ignored() {
        let only = Selection {
            ignored: true,
            ..Selection::default()
        };
        assert_eq!(selected(&only, false, &suite()), ["flaky"]);
        let all = Selection {
            include_ignored: true,
            ..Selection::default()
        };
        assert_eq!(selected(&all, false, &suite()).len(), 5);
    }
}
