//! Which listed tests a run takes: libtest's filters (`FILTER`, `--exact`, `--skip`,
//! `--ignored`, `--include-ignored`), plus `--tag`, `--exclude-tag` and `--quick` skipping `slow`.

use super::args::{self, NoTests, SelectArgs};
use super::errors::CliError;
use super::suggest;
use crate::protocol::TestInfo;

/// The tag `--quick` skips.
pub const SLOW_TAG: &str = "slow";

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
pub fn skip_reason(args: &SelectArgs, quick: bool, test: &TestInfo) -> Option<Skip> {
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

/// A run whose selection is empty: an error under `--no-tests=fail` (the default), or
/// `Ok(Some(warning))` under `--no-tests=warn`; `Ok(None)` when tests were selected or
/// under `--no-tests=pass`. `listed` is every test the suites listed, before selection.
pub fn check_selected(
    args: &SelectArgs,
    quick: bool,
    listed: &[&TestInfo],
    selected: usize,
) -> Result<Option<String>, CliError> {
    if selected > 0 || args.no_tests == NoTests::Pass {
        return Ok(None);
    }
    let (what, help) = explain_empty(args, quick, listed);
    match args.no_tests {
        NoTests::Fail => Err(CliError::config(
            what,
            format!("{help}. To run nothing on purpose, pass --no-tests=warn or --no-tests=pass"),
        )),
        _ => Ok(Some(format!("{what} ({help})"))),
    }
}

/// Why nothing was selected, and the most likely fix.
fn explain_empty(args: &SelectArgs, quick: bool, listed: &[&TestInfo]) -> (String, String) {
    let list_hint = "see the tests and their tags with `cargo perf --list`".to_string();
    if listed.is_empty() {
        return (
            "no perf test was found in the selected packages".into(),
            "a suite is a `[[bench]]` (or `[[test]]`) target with `harness = false` that ends \
             with `cargo_perf::main!()`; check -p/--workspace"
                .into(),
        );
    }
    let name_matches = |t: &TestInfo, f: &str| {
        if args.exact {
            t.name == f
        } else {
            t.name.contains(f)
        }
    };
    // A filter no listed test matches at all: most likely a typo (or a subcommand's).
    let unmatched: Vec<&String> = args
        .filters
        .iter()
        .filter(|f| !listed.iter().any(|t| name_matches(t, f)))
        .collect();
    if !unmatched.is_empty() && unmatched.len() == args.filters.len() {
        let shown: Vec<String> = unmatched.iter().map(|f| format!("`{f}`")).collect();
        let what = format!(
            "no test matches the filter{} {}",
            if shown.len() > 1 { "s" } else { "" },
            shown.join(", ")
        );
        let subcommands = args::subcommand_names();
        let names = test_names(listed);
        for f in &unmatched {
            if let Some(sub) = suggest::closest(f, subcommands.iter().map(String::as_str)) {
                return (
                    what,
                    format!("did you mean the subcommand `{sub}`? (`cargo perf {sub}`)"),
                );
            }
            if let Some(test) = suggest::closest(f, names.iter().map(String::as_str)) {
                return (what, format!("did you mean the test `{test}`?"));
            }
        }
        return (what, list_hint);
    }
    let tags: std::collections::BTreeSet<&str> = listed
        .iter()
        .flat_map(|t| t.tags.iter().map(String::as_str))
        .collect();
    let unknown_tags: Vec<&String> = args
        .tag
        .iter()
        .filter(|t| !tags.contains(t.as_str()))
        .collect();
    if !unknown_tags.is_empty() && unknown_tags.len() == args.tag.len() {
        let shown: Vec<String> = unknown_tags.iter().map(|t| format!("`{t}`")).collect();
        let what = format!(
            "no test has the tag{} {}",
            if shown.len() > 1 { "s" } else { "" },
            shown.join(", ")
        );
        for t in &unknown_tags {
            if let Some(tag) = suggest::closest(t, tags.iter().copied()) {
                return (what, format!("did you mean the tag `{tag}`?"));
            }
        }
        let help = if tags.is_empty() {
            "no test has any tag (tags come from `#[perf_test(tags = [..])]`)".to_string()
        } else {
            let all: Vec<String> = tags.iter().map(|t| format!("`{t}`")).collect();
            format!("the tags in use are {}", all.join(", "))
        };
        return (what, help);
    }
    // Each part matches something, but together they leave nothing: say what removed what.
    let mut by = [0usize; 4];
    for t in listed {
        match skip_reason(args, quick, t) {
            Some(Skip::Filtered) => by[0] += 1,
            Some(Skip::Tags) => by[1] += 1,
            Some(Skip::Ignored) => by[2] += 1,
            Some(Skip::Slow) => by[3] += 1,
            None => {}
        }
    }
    let reasons: Vec<String> = [
        "by name (filters, --skip)",
        "by tag",
        "as #[ignore]d",
        "as `slow` under --quick",
    ]
    .iter()
    .zip(by)
    .filter(|(_, n)| *n > 0)
    .map(|(why, n)| format!("{n} {why}"))
    .collect();
    (
        format!(
            "no perf test is selected: of {} listed, {} left out",
            listed.len(),
            reasons.join(", ")
        ),
        if by[3] > 0 && by[3] == listed.len() - by[..3].iter().sum::<usize>() {
            "drop --quick to run the tests tagged `slow`".to_string()
        } else {
            list_hint
        },
    )
}

/// Test names as suggestions: each full name, and its part before `/` (`sort` of `sort/100`).
fn test_names(listed: &[&TestInfo]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for t in listed {
        for n in [t.name.as_str(), t.name.split('/').next().unwrap_or("")] {
            if !n.is_empty() && !names.iter().any(|x| x == n) {
                names.push(n.to_string());
            }
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::TestKind;

    fn test(name: &str, tags: &[&str], ignored: bool) -> TestInfo {
        TestInfo {
            name: name.into(),
            kind: TestKind::Bench,
            tags: tags.iter().map(|t| t.to_string()).collect(),
            ignored,
            file: "benches/perf.rs".into(),
            line: 1,
            thresholds: vec![],
            threshold_error: None,
            timeout_ns: None,
            noise: None,
        }
    }

    fn selected(args: &SelectArgs, quick: bool, tests: &[TestInfo]) -> Vec<String> {
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
        let all = selected(&SelectArgs::default(), false, &suite());
        assert_eq!(
            all,
            ["sort/100", "sort/10000", "tokenize", "tokenize_large"]
        );
    }

    #[test]
    fn filters_are_substrings_unless_exact() {
        let mut args = SelectArgs {
            filters: vec!["tokenize".into()],
            ..SelectArgs::default()
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
        let args = SelectArgs {
            skip: vec!["sort".into()],
            ..SelectArgs::default()
        };
        assert_eq!(
            selected(&args, false, &suite()),
            ["tokenize", "tokenize_large"]
        );
    }

    #[test]
    fn tags_select_and_exclude() {
        let args = SelectArgs {
            tag: vec!["text".into()],
            exclude_tag: vec!["slow".into()],
            ..SelectArgs::default()
        };
        assert_eq!(selected(&args, false, &suite()), ["tokenize"]);
    }

    #[test]
    fn quick_skips_slow() {
        let s = suite();
        assert_eq!(
            selected(&SelectArgs::default(), true, &s),
            ["sort/100", "tokenize"]
        );
        assert_eq!(
            skip_reason(&SelectArgs::default(), true, &s[1]),
            Some(Skip::Slow)
        );
    }

    #[test]
    fn ignored_and_include_ignored() {
        let only = SelectArgs {
            ignored: true,
            ..SelectArgs::default()
        };
        assert_eq!(selected(&only, false, &suite()), ["flaky"]);
        let all = SelectArgs {
            include_ignored: true,
            ..SelectArgs::default()
        };
        assert_eq!(selected(&all, false, &suite()).len(), 5);
    }

    fn check(args: &SelectArgs, quick: bool) -> Result<Option<String>, CliError> {
        let s = suite();
        let listed: Vec<&TestInfo> = s.iter().collect();
        let n = selected(args, quick, &s).len();
        check_selected(args, quick, &listed, n)
    }

    fn filter(f: &str) -> SelectArgs {
        SelectArgs {
            filters: vec![f.into()],
            ..SelectArgs::default()
        }
    }

    #[test]
    fn a_selection_of_something_is_fine() {
        assert_eq!(check(&SelectArgs::default(), false).unwrap(), None);
        assert_eq!(check(&filter("sort"), false).unwrap(), None);
    }

    #[test]
    fn a_mistyped_subcommand_test_or_tag_fails_with_the_closest_name() {
        let e = check(&filter("histroy"), false).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert_eq!(e.message(), "no test matches the filter `histroy`");
        assert!(
            e.help()
                .starts_with("did you mean the subcommand `history`? (`cargo perf history`)"),
            "{e}"
        );
        let e = check(&filter("tokenzie"), false).unwrap_err();
        assert!(
            e.help().starts_with("did you mean the test `tokenize`?"),
            "{e}"
        );
        let e = check(&filter("qqqqqqq"), false).unwrap_err();
        assert!(e.help().contains("cargo perf --list"), "{e}");
        let tag = SelectArgs {
            tag: vec!["txet".into()],
            ..SelectArgs::default()
        };
        let e = check(&tag, false).unwrap_err();
        assert_eq!(e.message(), "no test has the tag `txet`");
        assert!(e.help().starts_with("did you mean the tag `text`?"), "{e}");
        let tag = SelectArgs {
            tag: vec!["critical".into()],
            ..SelectArgs::default()
        };
        let e = check(&tag, false).unwrap_err();
        assert!(
            e.help().contains("the tags in use are `slow`, `text`"),
            "{e}"
        );
    }

    #[test]
    fn an_empty_combination_says_what_removed_what() {
        let args = SelectArgs {
            filters: vec!["sort/10000".into()],
            ..SelectArgs::default()
        };
        let e = check(&args, true).unwrap_err();
        assert!(e.message().contains("of 5 listed"), "{e}");
        assert!(e.message().contains("1 as `slow` under --quick"), "{e}");
        assert!(e.help().starts_with("drop --quick"), "{e}");
        let none = check_selected(&SelectArgs::default(), false, &[], 0).unwrap_err();
        assert!(none.message().contains("no perf test was found"), "{none}");
    }

    #[test]
    fn no_tests_warn_and_pass() {
        let mut args = filter("histroy");
        args.no_tests = NoTests::Warn;
        let w = check(&args, false).unwrap().expect("a warning");
        assert!(w.contains("no test matches the filter `histroy`"), "{w}");
        args.no_tests = NoTests::Pass;
        assert_eq!(check(&args, false).unwrap(), None);
    }
}
