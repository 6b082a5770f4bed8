//! Threshold keys of `#[perf_test(...)]`, their units, `PERF_<TEST>_<KEY>` overrides and evaluation.

use serde::{Deserialize, Serialize};

use crate::protocol::Metrics;

/// A metric a threshold can limit. The attribute spells it `p99`, the JSON report `p99_ns`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Key {
    P50,
    P90,
    P95,
    P99,
    P999,
    Mean,
    Max,
    Throughput,
    SuccessRate,
    Allocs,
    AllocBytes,
    RssGrowth,
}

/// What kind of value a key takes, which decides how its text is parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// `"2ms"`: stored as nanoseconds.
    Duration,
    /// `500`: a plain number.
    Number,
    /// `99.0` or `"99%"`: a percentage.
    Percent,
    /// `"10MB"`: stored as bytes.
    Bytes,
}

impl Unit {
    /// What a value in this unit looks like, for the `help:` of a malformed value.
    pub fn accepted(self) -> &'static str {
        match self {
            Unit::Duration => "a duration with a unit: ns, us, ms or s (e.g. 2ms)",
            Unit::Number => "a non-negative number (e.g. 500 or 10_000)",
            Unit::Percent => "a percentage from 0 to 100 (e.g. 99.5 or 99.5%)",
            Unit::Bytes => "a size in B, KB, MB, GB, KiB, MiB or GiB (e.g. 10MB)",
        }
    }
}

/// One `<KEY>` a `PERF_<TEST>_<KEY>` variable can name: its attribute spelling (upper-cased
/// in the variable) and the unit its value is parsed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OverrideKey {
    pub name: &'static str,
    pub unit: Unit,
}

/// Every key a `PERF_<TEST>_<KEY>` variable can name. `cargo perf` checks the environment
/// against this list before it runs anything, so a key the runtime learns to override (a load
/// parameter, say) must be added here, once, to be known to both.
pub fn override_keys() -> Vec<OverrideKey> {
    let mut keys: Vec<OverrideKey> = Key::ALL
        .iter()
        .map(|k| OverrideKey {
            name: k.attr_name(),
            unit: k.unit(),
        })
        .collect();
    // Load parameters (`crate::load::LOAD_PARAMETER_KEYS`); their finer rules (a positive
    // whole number of workers) are checked by `crate::load::check_env`.
    keys.extend([
        OverrideKey {
            name: "concurrency",
            unit: Unit::Number,
        },
        OverrideKey {
            name: "rate",
            unit: Unit::Number,
        },
        OverrideKey {
            name: "duration",
            unit: Unit::Duration,
        },
    ]);
    keys
}

impl Key {
    pub const ALL: [Key; 12] = [
        Key::P50,
        Key::P90,
        Key::P95,
        Key::P99,
        Key::P999,
        Key::Mean,
        Key::Max,
        Key::Throughput,
        Key::SuccessRate,
        Key::Allocs,
        Key::AllocBytes,
        Key::RssGrowth,
    ];

    /// The spelling in the attribute and in `PERF_<TEST>_<KEY>` (upper-cased there).
    pub fn attr_name(self) -> &'static str {
        match self {
            Key::P50 => "p50",
            Key::P90 => "p90",
            Key::P95 => "p95",
            Key::P99 => "p99",
            Key::P999 => "p999",
            Key::Mean => "mean",
            Key::Max => "max",
            Key::Throughput => "throughput",
            Key::SuccessRate => "success_rate",
            Key::Allocs => "allocs",
            Key::AllocBytes => "alloc_bytes",
            Key::RssGrowth => "rss_growth",
        }
    }

    /// The field of [`Metrics`] (and of the JSON report) this key limits.
    pub fn metric_name(self) -> &'static str {
        match self {
            Key::P50 => "p50_ns",
            Key::P90 => "p90_ns",
            Key::P95 => "p95_ns",
            Key::P99 => "p99_ns",
            Key::P999 => "p999_ns",
            Key::Mean => "mean_ns",
            Key::Max => "max_ns",
            Key::Throughput => "throughput_per_sec",
            Key::SuccessRate => "success_rate",
            Key::Allocs => "allocs_per_iter",
            Key::AllocBytes => "alloc_bytes_per_iter",
            Key::RssGrowth => "rss_growth_bytes",
        }
    }

    pub fn from_attr_name(name: &str) -> Option<Key> {
        Key::ALL.into_iter().find(|k| k.attr_name() == name)
    }

    pub fn unit(self) -> Unit {
        match self {
            Key::P50 | Key::P90 | Key::P95 | Key::P99 | Key::P999 | Key::Mean | Key::Max => {
                Unit::Duration
            }
            Key::Throughput | Key::Allocs | Key::AllocBytes => Unit::Number,
            Key::SuccessRate => Unit::Percent,
            Key::RssGrowth => Unit::Bytes,
        }
    }

    /// The value this key limits in a set of metrics, if the metric applies to the test.
    pub fn actual(self, m: &Metrics) -> Option<f64> {
        match self {
            Key::P50 => m.p50_ns,
            Key::P90 => m.p90_ns,
            Key::P95 => m.p95_ns,
            Key::P99 => m.p99_ns,
            Key::P999 => m.p999_ns,
            Key::Mean => m.mean_ns,
            Key::Max => m.max_ns,
            Key::Throughput => m.throughput_per_sec,
            Key::SuccessRate => m.success_rate,
            Key::Allocs => m.allocs_per_iter,
            Key::AllocBytes => m.alloc_bytes_per_iter,
            Key::RssGrowth => m.rss_growth_bytes.map(|b| b as f64),
        }
    }
}

/// A comparison operator of a threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = ">=")]
    Ge,
}

impl Op {
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
        }
    }

    pub fn holds(self, actual: f64, limit: f64) -> bool {
        match self {
            Op::Lt => actual < limit,
            Op::Le => actual <= limit,
            Op::Gt => actual > limit,
            Op::Ge => actual >= limit,
        }
    }
}

/// One limit from the attribute, with its value in the base unit (ns, bytes, percent, count).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Threshold {
    pub key: Key,
    pub op: Op,
    pub value: f64,
}

/// The outcome of checking one threshold, as the JSON report's `thresholds` array holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThresholdCheck {
    pub metric: String,
    pub op: Op,
    pub limit: f64,
    /// `None` when the test produced no such metric (which fails the check).
    pub actual: Option<f64>,
    pub passed: bool,
}

impl Threshold {
    pub fn check(&self, metrics: &Metrics) -> ThresholdCheck {
        let actual = self.key.actual(metrics);
        ThresholdCheck {
            metric: self.key.metric_name().to_string(),
            op: self.op,
            limit: self.value,
            actual,
            passed: actual.is_some_and(|a| self.op.holds(a, self.value)),
        }
    }
}

/// The `<TEST>` part of `PERF_<TEST>_<KEY>`: upper case, every non-alphanumeric run made `_`.
pub fn env_test_part(test_name: &str) -> String {
    let mut out = String::with_capacity(test_name.len());
    let mut in_run = false;
    for c in test_name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_uppercase());
            in_run = false;
        } else if !in_run {
            out.push('_');
            in_run = true;
        }
    }
    out.trim_matches('_').to_string()
}

/// The variable that overrides `key` of `test_name`, e.g. `PERF_CACHE_GET_P99`.
pub fn env_var_name(test_name: &str, key: &str) -> String {
    format!(
        "PERF_{}_{}",
        env_test_part(test_name),
        key.to_ascii_uppercase()
    )
}

/// Apply `PERF_<TEST>_<KEY>` overrides to a test's thresholds. An override of a key the
/// attribute did not name adds a limit with the natural operator (`<=` for costs, `>=` for
/// throughput and success rate). A malformed value is an error naming the variable.
pub fn apply_env_overrides(
    test_name: &str,
    thresholds: &[Threshold],
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<Vec<Threshold>, String> {
    let mut out: Vec<Threshold> = thresholds.to_vec();
    for key in Key::ALL {
        let var = env_var_name(test_name, key.attr_name());
        let Some(text) = lookup(&var) else { continue };
        let value = parse_value(key.unit(), &text).map_err(|e| {
            format!(
                "environment variable {var}={text:?} is not a valid {} limit: {e}",
                key.attr_name()
            )
        })?;
        let mut found = false;
        for t in out.iter_mut().filter(|t| t.key == key) {
            t.value = value;
            found = true;
        }
        if !found {
            let op = match key {
                Key::Throughput | Key::SuccessRate => Op::Ge,
                _ => Op::Le,
            };
            out.push(Threshold { key, op, value });
        }
    }
    Ok(out)
}

/// Parse a limit's text in the given unit into its base unit.
pub fn parse_value(unit: Unit, text: &str) -> Result<f64, String> {
    let text = text.trim();
    match unit {
        Unit::Duration => parse_duration_ns(text),
        Unit::Bytes => parse_bytes(text),
        Unit::Percent => {
            let n = parse_number(text.strip_suffix('%').unwrap_or(text))?;
            if (0.0..=100.0).contains(&n) {
                Ok(n)
            } else {
                Err("a percentage must be between 0 and 100".into())
            }
        }
        Unit::Number => parse_number(text),
    }
}

fn parse_number(text: &str) -> Result<f64, String> {
    let cleaned: String = text.trim().chars().filter(|c| *c != '_').collect();
    match cleaned.parse::<f64>() {
        Ok(n) if n.is_finite() && n >= 0.0 => Ok(n),
        _ => Err(format!("expected a non-negative number, found {text:?}")),
    }
}

fn split_unit(text: &str) -> (&str, &str) {
    let idx = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))
        .unwrap_or(text.len());
    (&text[..idx], text[idx..].trim())
}

/// `"250us"`, `"2ms"`, `"1.5s"`, `"40ns"` into nanoseconds.
pub fn parse_duration_ns(text: &str) -> Result<f64, String> {
    let (num, unit) = split_unit(text);
    let scale = match unit {
        "ns" => 1.0,
        "us" | "µs" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        "" => {
            return Err(format!(
                "{text:?} has no unit; write it like \"2ms\" (units: ns, us, ms, s)"
            ))
        }
        other => {
            return Err(format!(
                "unknown time unit {other:?}; expected ns, us, ms or s"
            ))
        }
    };
    scaled(text, parse_number(num)?, scale)
}

/// `n * scale`, unless that leaves the finite numbers (a 300-digit limit): an infinite limit
/// would serialise as `null` and make the protocol file unreadable.
fn scaled(text: &str, n: f64, scale: f64) -> Result<f64, String> {
    let v = n * scale;
    if v.is_finite() {
        Ok(v)
    } else {
        Err(format!("{text:?} is too large"))
    }
}

/// `"10MB"`, `"512KiB"`, `"100B"` into bytes (KB = 1000, KiB = 1024).
pub fn parse_bytes(text: &str) -> Result<f64, String> {
    let (num, unit) = split_unit(text);
    let scale = match unit {
        "B" | "" => 1.0,
        "KB" | "kB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        "KiB" => 1024.0,
        "MiB" => 1024.0 * 1024.0,
        "GiB" => 1024.0 * 1024.0 * 1024.0,
        other => {
            return Err(format!(
                "unknown size unit {other:?}; expected B, KB, MB, GB, KiB, MiB or GiB"
            ))
        }
    };
    scaled(text, parse_number(num)?, scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_names_follow_the_contract() {
        assert_eq!(env_var_name("cache_get", "p99"), "PERF_CACHE_GET_P99");
        assert_eq!(env_var_name("sort/10000", "mean"), "PERF_SORT_10000_MEAN");
        assert_eq!(
            env_var_name("a::b--c", "success_rate"),
            "PERF_A_B_C_SUCCESS_RATE"
        );
    }

    #[test]
    fn units_parse() {
        assert_eq!(parse_duration_ns("2ms").unwrap(), 2e6);
        assert_eq!(parse_duration_ns("1.5s").unwrap(), 1.5e9);
        assert!(parse_duration_ns("2").is_err());
        assert!(parse_duration_ns("2min").is_err());
        assert_eq!(parse_bytes("10MB").unwrap(), 1e7);
        assert_eq!(parse_bytes("1KiB").unwrap(), 1024.0);
        assert_eq!(parse_value(Unit::Percent, "99.5%").unwrap(), 99.5);
        assert!(parse_value(Unit::Percent, "101").is_err());
        assert_eq!(parse_value(Unit::Number, "10_000").unwrap(), 10_000.0);
    }

    #[test]
    fn overrides_replace_and_add() {
        let base = [Threshold {
            key: Key::P99,
            op: Op::Lt,
            value: 1.0,
        }];
        let got = apply_env_overrides("cache_get", &base, |v| match v {
            "PERF_CACHE_GET_P99" => Some("30ms".into()),
            "PERF_CACHE_GET_THROUGHPUT" => Some("500".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(
            got[0],
            Threshold {
                key: Key::P99,
                op: Op::Lt,
                value: 30e6
            }
        );
        assert_eq!(
            got[1],
            Threshold {
                key: Key::Throughput,
                op: Op::Ge,
                value: 500.0
            }
        );
        let err = apply_env_overrides("cache_get", &base, |v| {
            (v == "PERF_CACHE_GET_P99").then(|| "fast".to_string())
        })
        .unwrap_err();
        assert!(err.contains("PERF_CACHE_GET_P99"), "{err}");
    }

    #[test]
    fn checks_evaluate_and_missing_metrics_fail() {
        let m = Metrics {
            p99_ns: Some(10.0),
            ..Metrics::default()
        };
        let t = Threshold {
            key: Key::P99,
            op: Op::Lt,
            value: 20.0,
        };
        assert!(t.check(&m).passed);
        let t = Threshold {
            key: Key::P99,
            op: Op::Lt,
            value: 5.0,
        };
        assert!(!t.check(&m).passed);
        let t = Threshold {
            key: Key::Throughput,
            op: Op::Gt,
            value: 5.0,
        };
        let c = t.check(&m);
        assert!(!c.passed && c.actual.is_none());
    }
}
