//! Threshold keys of `#[perf_test(...)]`, their units, `PERF_<TEST>_<KEY>` overrides and evaluation.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::metrics::{Metric, Metrics};
pub use perf_spec::{Key, Op, Ratio};

/// `Key` and `Op` live in `perf-spec`, which has no dependencies; they travel as their
/// attribute spelling (`"p99"`, `"<"`).
mod spelling {
    use super::*;

    fn de_by<'de, D: Deserializer<'de>, T>(
        d: D,
        parse: fn(&str) -> Option<T>,
        what: &str,
    ) -> Result<T, D::Error> {
        let text = String::deserialize(d)?;
        parse(&text).ok_or_else(|| serde::de::Error::custom(format!("unknown {what} {text:?}")))
    }

    /// A key as its attribute name (`p99`), for `#[serde(with = "spelling::key")]`.
    pub mod key {
        use super::*;

        pub fn serialize<S: Serializer>(key: &Key, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_str(key.name())
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Key, D::Error> {
            de_by(d, Key::from_name, "threshold key")
        }
    }

    /// A ratio as its attribute name (`overhead`), for `#[serde(with = "spelling::ratio")]`.
    pub mod ratio {
        use super::*;

        pub fn serialize<S: Serializer>(ratio: &Ratio, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_str(ratio.name())
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Ratio, D::Error> {
            de_by(d, Ratio::from_name, "ratio key")
        }
    }

    /// An operator as its symbol (`<=`), for `#[serde(with = "spelling::op")]`.
    pub mod op {
        use super::*;

        pub fn serialize<S: Serializer>(op: &Op, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_str(op.as_str())
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Op, D::Error> {
            de_by(d, Op::from_symbol, "operator")
        }
    }
}

/// One limit from the attribute, with its value in the base unit (ns, bytes, percent, count).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Threshold {
    #[serde(with = "spelling::key")]
    pub key: Key,
    #[serde(with = "spelling::op")]
    pub op: Op,
    pub value: f64,
}

/// `overhead("plain") <= "20%"` as `#[perf_test]` builds it: judged by `cargo perf` after the
/// run (`cli::compare::ratios`), never by the harness, which sees one test only.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RatioLimit {
    pub ratio: Ratio,
    /// The other test's name (or `package/target/name` id).
    pub other: &'static str,
    pub op: Op,
    /// Percent for an overhead, a factor for a speed-up.
    pub value: f64,
}

/// A [`RatioLimit`] as the listing carries it to `cargo perf`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RatioThreshold {
    #[serde(with = "spelling::ratio")]
    pub ratio: Ratio,
    pub other: String,
    #[serde(with = "spelling::op")]
    pub op: Op,
    pub value: f64,
}

impl From<&RatioLimit> for RatioThreshold {
    fn from(r: &RatioLimit) -> RatioThreshold {
        RatioThreshold {
            ratio: r.ratio,
            other: r.other.to_string(),
            op: r.op,
            value: r.value,
        }
    }
}

/// The outcome of checking one threshold, as the JSON report's `thresholds` array holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThresholdCheck {
    pub metric: String,
    #[serde(with = "spelling::op")]
    pub op: Op,
    pub limit: f64,
    /// `None` when the test produced no such metric (which fails the check).
    pub actual: Option<f64>,
    pub passed: bool,
    /// Why `actual` is absent, when the harness knows (a fault that never recovered, a
    /// counter no operation reported).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// A 95 % confidence interval of `actual`, when it is an estimate judged on its
    /// conservative end (the ratios between tests).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci: Option<[f64; 2]>,
}

impl ThresholdCheck {
    /// A named check (`check[recovered]`): its name.
    pub fn check_name(&self) -> Option<&str> {
        self.metric.strip_prefix("check[")?.strip_suffix(']')
    }

    /// The limit as declared: `p99_ns < 2.00 ms`; a named check by its name.
    pub fn limit_text(&self) -> String {
        if let Some(name) = self.check_name() {
            return format!("check {name:?}");
        }
        format!(
            "{} {} {}",
            self.metric,
            self.op.as_str(),
            crate::metrics::value_text(&self.metric, self.limit)
        )
    }
}

/// `p99_ns < 2.00 ms, was 3.10 ms`; `recovery_time_ns[outage] < 1.00 s, not measured: the
/// run ended before ...`; `check "recovered" failed`. Every report and the harness's own
/// failure message word a check through this.
impl std::fmt::Display for ThresholdCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(name) = self.check_name() {
            let outcome = if self.passed { "passed" } else { "failed" };
            return write!(f, "check {name:?} {outcome}");
        }
        write!(f, "{}, ", self.limit_text())?;
        match (self.actual, &self.note) {
            (Some(a), _) => {
                let text = |v: f64| crate::metrics::value_text(&self.metric, v);
                write!(f, "was {}", text(a))?;
                match self.ci {
                    // The interval is what the check was judged on: its conservative end.
                    Some([low, high]) => write!(f, " [{} .. {}]", text(low), text(high)),
                    None => Ok(()),
                }
            }
            (None, Some(note)) => write!(f, "not measured: {note}"),
            (None, None) => write!(f, "not measured"),
        }
    }
}

impl Threshold {
    pub fn check(&self, metrics: &Metrics) -> ThresholdCheck {
        let metric = Metric::from(self.key);
        let actual = metric.get(metrics);
        ThresholdCheck {
            metric: metric.name().to_string(),
            op: self.op,
            limit: self.value,
            actual,
            passed: actual.is_some_and(|a| self.op.holds(a, self.value)),
            note: None,
            ci: None,
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

/// One `<KEY>` a `PERF_<TEST>_<KEY>` variable can name: its attribute spelling (upper-cased
/// in the variable) and the unit its value is parsed in.
#[cfg(feature = "cli")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OverrideKey {
    pub name: &'static str,
    pub unit: perf_spec::Unit,
}

/// Every key a `PERF_<TEST>_<KEY>` variable can name. `cargo perf` checks the environment
/// against this list before it runs anything, so a key the runtime learns to override (a load
/// parameter, say) must be added here, once, to be known to both.
#[cfg(feature = "cli")]
pub fn override_keys() -> Vec<OverrideKey> {
    let mut keys: Vec<OverrideKey> = Key::ALL
        .iter()
        .map(|k| OverrideKey {
            name: k.name(),
            unit: k.unit(),
        })
        .collect();
    // Load parameters; their finer rules (a positive whole number of workers) are checked
    // by `crate::load::check_env`.
    keys.extend(
        perf_spec::LOAD_PARAMETERS
            .iter()
            .map(|&(name, unit)| OverrideKey { name, unit }),
    );
    keys
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
        let var = env_var_name(test_name, key.name());
        let Some(text) = lookup(&var) else { continue };
        let value = key.unit().parse(&text).map_err(|e| {
            format!(
                "environment variable {var}={text:?} is not a valid {} limit: {e}",
                key.name()
            )
        })?;
        let mut found = false;
        for t in out.iter_mut().filter(|t| t.key == key) {
            t.value = value;
            found = true;
        }
        if !found {
            out.push(Threshold {
                key,
                op: key.natural_op(),
                value,
            });
        }
    }
    Ok(out)
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
    fn thresholds_travel_in_the_attribute_spelling() {
        let t = Threshold {
            key: Key::SuccessRate,
            op: Op::Ge,
            value: 99.0,
        };
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(json, r#"{"key":"success_rate","op":">=","value":99.0}"#);
        assert_eq!(serde_json::from_str::<Threshold>(&json).unwrap(), t);
        assert!(serde_json::from_str::<Threshold>(r#"{"key":"p98","op":"<","value":1}"#).is_err());
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
