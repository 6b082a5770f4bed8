//! Run parameters without recompiling: `PERF_<TEST>_CONCURRENCY`, `_RATE` and `_DURATION`,
//! read by the harness and checked by `cargo perf` before anything runs.

use std::time::Duration;

use crate::threshold::env_var_name;

/// The load parameters the environment replaces.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Overrides {
    pub concurrency: Option<usize>,
    pub rate: Option<u64>,
    pub duration: Option<Duration>,
}

/// Reads the overrides of `test_name`; a malformed value is an error naming the variable.
pub(crate) fn from_env(
    test_name: &str,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<Overrides, String> {
    let mut o = Overrides::default();
    for (key, _) in perf_spec::LOAD_PARAMETERS {
        let var = env_var_name(test_name, key);
        let Some(text) = lookup(&var) else { continue };
        let bad = |what: &str| format!("environment variable {var}={text:?} is not {what}");
        let t = text.trim();
        match key {
            "concurrency" => match t.replace('_', "").parse::<usize>() {
                Ok(n) if n > 0 => o.concurrency = Some(n),
                _ => return Err(bad("a positive whole number of workers")),
            },
            "rate" => match t.replace('_', "").parse::<u64>() {
                Ok(n) if n > 0 => o.rate = Some(n),
                _ => return Err(bad("a positive whole number of operations per second")),
            },
            _ => match perf_spec::duration_ns(t).map_err(|e| e.message().to_string()) {
                Ok(ns) if ns >= 1.0 => o.duration = Some(Duration::from_nanos(ns as u64)),
                Ok(_) => return Err(bad("a positive duration")),
                Err(e) => return Err(format!("{}: {e}", bad("a duration like \"30s\""))),
            },
        }
    }
    Ok(o)
}

/// Checks every load-parameter variable of `test_name`, for `cargo perf` to refuse a
/// malformed one before running anything.
pub fn check_env(test_name: &str, lookup: impl Fn(&str) -> Option<String>) -> Result<(), String> {
    from_env(test_name, lookup).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_parse_and_bad_values_name_the_variable() {
        let o = from_env("svc/mixed", |v| match v {
            "PERF_SVC_MIXED_CONCURRENCY" => Some("64".into()),
            "PERF_SVC_MIXED_RATE" => Some("2_000".into()),
            "PERF_SVC_MIXED_DURATION" => Some("1.5s".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(o.concurrency, Some(64));
        assert_eq!(o.rate, Some(2000));
        assert_eq!(o.duration, Some(Duration::from_millis(1500)));
        for (var, value) in [
            ("PERF_T_CONCURRENCY", "0"),
            ("PERF_T_RATE", "fast"),
            ("PERF_T_DURATION", "30"),
        ] {
            let e = check_env("t", |v| (v == var).then(|| value.to_string())).unwrap_err();
            assert!(e.contains(var), "{e}");
        }
    }
}
