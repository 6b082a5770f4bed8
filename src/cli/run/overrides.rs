//! `PERF_<TEST>_<KEY>` variables, checked before any test runs: a malformed value is a
//! configuration error (exit 2), and a variable of the override form that names no listed
//! test or no known key is a warning with the closest names (an error under `--strict-env`),
//! because a typo would otherwise silently drop a limit a team relies on.
//!
//! Which `PERF_` variables are taken as overrides (the rest are the user's own):
//! - `PERF_<REST>` where REST ends in `_<KEY>` for a known key (the contract reserves that
//!   form): an override of the listed test whose `<TEST>` part is the rest, or, when no listed
//!   test has that part, a warning "names no perf test" with the closest test;
//! - `PERF_<TEST>_<REST>` where `<TEST>` is a listed test's part but REST is no known key: a
//!   warning "no such key" with the closest key.
//!
//! Anything else (`PERF_LOG_LEVEL`, a mistyped test *and* key) is left alone: a guess there
//! would warn about variables that were never meant for cargo-perf. A test that is listed but
//! not selected is still a known test: its override is not a typo, it just does not apply.

use crate::cli::errors::CliError;
use crate::cli::project::suggest;
use crate::threshold::{self, OverrideKey};

/// What one environment variable is, read against the listed tests and the known keys.
#[derive(Debug, Clone, PartialEq)]
pub enum Reading {
    /// Not an override: not `PERF_`, or not of the override form (see the module docs).
    NotAnOverride,
    /// A well-formed override of a listed test.
    Override { test: String, key: &'static str },
    /// An override of a listed test whose value the runtime would reject.
    Malformed { key: OverrideKey, error: String },
    /// `_<KEY>` is known but no listed test has the `<TEST>` part; the closest variable.
    UnknownTest { did_you_mean: Option<String> },
    /// `<TEST>` is a listed test's but the key is not known; the closest variable.
    UnknownKey { did_you_mean: Option<String> },
}

/// The listed tests' `<TEST>` parts, with one of the names each stands for.
pub struct Known {
    tests: Vec<(String, String)>,
    keys: Vec<OverrideKey>,
}

impl Known {
    pub fn new<'a>(test_names: impl IntoIterator<Item = &'a str>) -> Known {
        let mut tests: Vec<(String, String)> = Vec::new();
        for name in test_names {
            let part = threshold::env_test_part(name);
            if !tests.iter().any(|(p, _)| *p == part) {
                tests.push((part, name.to_string()));
            }
        }
        let mut keys = threshold::override_keys();
        // Longest first: `_SUCCESS_RATE` must win over a shorter key it ends with.
        keys.sort_by_key(|k| std::cmp::Reverse(k.name.len()));
        Known { tests, keys }
    }

    fn test(&self, part: &str) -> Option<&str> {
        self.tests
            .iter()
            .find(|(p, _)| p == part)
            .map(|(_, name)| name.as_str())
    }

    /// What `var=value` is (see the module docs for the rule).
    pub fn read(&self, var: &str, value: Option<&str>) -> Reading {
        let Some(rest) = var.strip_prefix("PERF_") else {
            return Reading::NotAnOverride;
        };
        let split = |key: &OverrideKey| {
            rest.strip_suffix(key.name.to_ascii_uppercase().as_str())
                .and_then(|r| r.strip_suffix('_'))
                .filter(|test| !test.is_empty())
        };
        let mut unknown_test: Option<(&str, &OverrideKey)> = None;
        for key in &self.keys {
            let Some(part) = split(key) else { continue };
            let Some(test) = self.test(part) else {
                unknown_test.get_or_insert((part, key));
                continue;
            };
            let Some(text) = value else {
                return Reading::Malformed {
                    key: *key,
                    error: "the value is not valid UTF-8".into(),
                };
            };
            return match key.unit.parse(text).map_err(String::from) {
                Ok(_) => Reading::Override {
                    test: test.to_string(),
                    key: key.name,
                },
                Err(error) => Reading::Malformed { key: *key, error },
            };
        }
        if let Some((part, key)) = unknown_test {
            let closest = suggest::closest(part, self.tests.iter().map(|(p, _)| p.as_str()));
            return Reading::UnknownTest {
                did_you_mean: closest
                    .map(|t| format!("PERF_{t}_{}", key.name.to_ascii_uppercase())),
            };
        }
        // The longest listed test part that prefixes the variable: `SORT_FAST` over `SORT`.
        let test_part = self
            .tests
            .iter()
            .map(|(p, _)| p.as_str())
            .filter(|p| {
                rest.strip_prefix(*p)
                    .and_then(|r| r.strip_prefix('_'))
                    .is_some_and(|k| !k.is_empty())
            })
            .max_by_key(|p| p.len());
        let Some(test_part) = test_part else {
            return Reading::NotAnOverride;
        };
        let key_part = &rest[test_part.len() + 1..];
        let names: Vec<String> = self
            .keys
            .iter()
            .map(|k| k.name.to_ascii_uppercase())
            .collect();
        Reading::UnknownKey {
            did_you_mean: suggest::closest(key_part, names.iter().map(String::as_str))
                .map(|k| format!("PERF_{test_part}_{k}")),
        }
    }

    /// The known keys, upper-cased as variables spell them, for messages.
    fn key_list(&self) -> String {
        let mut names: Vec<String> = self
            .keys
            .iter()
            .map(|k| k.name.to_ascii_uppercase())
            .collect();
        names.sort();
        names.join(", ")
    }
}

/// Checks every `PERF_` variable of `vars` against the listed tests: `Err` for a malformed
/// value (and, under `strict`, for a variable naming no test or key), else the warnings.
pub fn check<'a>(
    vars: impl IntoIterator<Item = (String, Option<String>)>,
    test_names: impl IntoIterator<Item = &'a str>,
    strict: bool,
) -> Result<Vec<String>, CliError> {
    let known = Known::new(test_names);
    let mut vars: Vec<(String, Option<String>)> = vars
        .into_iter()
        .filter(|(k, _)| k.starts_with("PERF_"))
        .collect();
    vars.sort();
    let mut warnings = Vec::new();
    for (var, value) in &vars {
        match known.read(var, value.as_deref()) {
            Reading::NotAnOverride | Reading::Override { .. } => {}
            Reading::Malformed { key, error } => {
                let shown = value.as_deref().unwrap_or("?");
                return Err(CliError::config(
                    format!("{var}={shown}: {error}"),
                    format!(
                        "`{}` takes {}; fix the value or unset {var}",
                        key.name,
                        key.unit.accepted()
                    ),
                ));
            }
            Reading::UnknownTest { did_you_mean } => warnings.push(match did_you_mean {
                Some(v) => format!("{var} names no perf test; did you mean `{v}`?"),
                None => format!(
                    "{var} names no perf test (overrides read PERF_<TEST>_<KEY>, with the test \
                     name upper-cased; see `cargo perf --list`)"
                ),
            }),
            Reading::UnknownKey { did_you_mean } => warnings.push(match did_you_mean {
                Some(v) => format!("{var} names no threshold key; did you mean `{v}`?"),
                None => format!(
                    "{var} names no threshold key (known keys: {})",
                    known.key_list()
                ),
            }),
        }
    }
    if strict {
        if let Some(first) = warnings.first() {
            let more = match warnings.len() {
                1 => String::new(),
                n => format!(" (and {} more)", n - 1),
            };
            return Err(CliError::config(
                format!("{first}{more}"),
                "rename or unset the variable; without --strict-env this is only a warning",
            ));
        }
    }
    Ok(warnings)
}

/// [`check`] on this process's environment.
pub fn check_env<'a>(
    test_names: impl IntoIterator<Item = &'a str>,
    strict: bool,
) -> Result<Vec<String>, CliError> {
    let vars = std::env::vars_os().filter_map(|(k, v)| {
        let k = k.into_string().ok()?;
        Some((k, v.into_string().ok()))
    });
    check(vars, test_names, strict)
}

/// Refuses a malformed `PERF_<TEST>_CONCURRENCY/_RATE/_DURATION` of any planned load test,
/// read by the runtime's own parser, so that it exits 2 before anything runs.
pub fn check_load_params<'a>(
    load_tests: impl IntoIterator<Item = &'a str>,
) -> Result<(), CliError> {
    for name in load_tests {
        crate::load::check_env(name, |v| std::env::var(v).ok()).map_err(|e| {
            CliError::config(
                e,
                "give a positive number (CONCURRENCY, RATE) or a duration like `30s` \
                 (DURATION), or unset the variable",
            )
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TESTS: [&str; 4] = ["fine", "cache_get", "sort/100", "sort_fast"];

    fn read(var: &str, value: &str) -> Reading {
        Known::new(TESTS).read(var, Some(value))
    }

    fn run(vars: &[(&str, &str)], strict: bool) -> Result<Vec<String>, CliError> {
        let vars = vars
            .iter()
            .map(|(k, v)| (k.to_string(), Some(v.to_string())));
        check(vars, TESTS, strict)
    }

    #[test]
    fn overrides_split_into_test_and_key() {
        let ok = |test: &str, key: &'static str| Reading::Override {
            test: test.into(),
            key,
        };
        assert_eq!(read("PERF_FINE_P50", "2ms"), ok("fine", "p50"));
        assert_eq!(read("PERF_CACHE_GET_P999", "1ms"), ok("cache_get", "p999"));
        assert_eq!(read("PERF_SORT_100_MEAN", "1ms"), ok("sort/100", "mean"));
        assert_eq!(read("PERF_SORT_FAST_MAX", "1ms"), ok("sort_fast", "max"));
        assert_eq!(
            read("PERF_CACHE_GET_SUCCESS_RATE", "99%"),
            ok("cache_get", "success_rate")
        );
        assert_eq!(
            read("PERF_FINE_ALLOC_BYTES", "100"),
            ok("fine", "alloc_bytes")
        );
    }

    #[test]
    fn a_malformed_value_is_parsed_by_the_runtimes_parser() {
        let Reading::Malformed { key, error } = read("PERF_FINE_P50", "fast") else {
            panic!("{:?}", read("PERF_FINE_P50", "fast"));
        };
        assert_eq!(key.name, "p50");
        assert!(error.contains("unknown time unit"), "{error}");
        assert!(matches!(
            read("PERF_FINE_SUCCESS_RATE", "101"),
            Reading::Malformed { .. }
        ));
        assert!(matches!(
            read("PERF_FINE_P99", ""),
            Reading::Malformed { .. }
        ));
        let e = run(&[("PERF_FINE_P50", "fast")], false).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.message().starts_with("PERF_FINE_P50=fast: "), "{e}");
        assert!(e.help().contains("ns, us, ms or s"), "{e}");
    }

    #[test]
    fn typos_are_warned_about_with_the_closest_variable() {
        assert_eq!(
            read("PERF_FIEN_P50", "1s"),
            Reading::UnknownTest {
                did_you_mean: Some("PERF_FINE_P50".into())
            }
        );
        assert_eq!(
            read("PERF_FINE_P05", "1s"),
            Reading::UnknownKey {
                did_you_mean: Some("PERF_FINE_P50".into())
            }
        );
        assert_eq!(
            read("PERF_SORT_FAST_THROUGHPT", "5"),
            Reading::UnknownKey {
                did_you_mean: Some("PERF_SORT_FAST_THROUGHPUT".into())
            }
        );
        assert_eq!(
            read("PERF_NOTHING_LIKE_IT_P99", "1s"),
            Reading::UnknownTest { did_you_mean: None }
        );
        let w = run(&[("PERF_FIEN_P50", "1s")], false).unwrap();
        assert_eq!(
            w,
            ["PERF_FIEN_P50 names no perf test; did you mean `PERF_FINE_P50`?"]
        );
        let e = run(&[("PERF_FIEN_P50", "1s"), ("PERF_FINE_P05", "1s")], true).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.message().contains("(and 1 more)"), "{e}");
    }

    #[test]
    fn other_perf_variables_are_left_alone() {
        for var in [
            "PERF_LOG_LEVEL",
            "PERF_FIXTURE_SLOWDOWN",
            "PERF_",
            "PERF_P99",
            "NOT_FINE_P50",
        ] {
            assert_eq!(read(var, "x"), Reading::NotAnOverride, "{var}");
        }
        assert_eq!(
            run(&[("PERF_LOG_LEVEL", "debug"), ("HOME", "/")], true).unwrap(),
            Vec::<String>::new()
        );
    }

    #[test]
    fn the_environment_check_knows_every_load_parameter() {
        let keys = crate::threshold::override_keys();
        for (k, _) in perf_spec::LOAD_PARAMETERS {
            assert!(keys.iter().any(|o| o.name == k), "{k}");
        }
        let known = Known::new(["svc/mixed"]);
        assert!(matches!(
            known.read("PERF_SVC_MIXED_DURATION", Some("30s")),
            Reading::Override { .. }
        ));
        assert!(matches!(
            known.read("PERF_SVC_MIXED_DURATION", Some("30")),
            Reading::Malformed { .. }
        ));
    }
}
