//! The one metric vocabulary: the figures a test produces ([`Metrics`], the JSON report's
//! `metrics` object), each named by a [`Metric`] with its JSON name, unit and direction, and
//! the custom metrics a test reports itself. Thresholds, the protocol and `cargo perf`'s
//! comparisons all name metrics through it, never by string.

use serde::{Deserialize, Serialize};

/// The `metrics` object of the JSON report. A metric that does not apply is `None` (absent).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub median_ns: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean_ns: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_ns: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p50_ns: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p90_ns: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p95_ns: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p99_ns: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p999_ns: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_ns: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub std_dev_ns: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mad_ns: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throughput_per_sec: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_rate: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allocs_per_iter: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alloc_bytes_per_iter: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rss_growth_bytes: Option<i64>,
    /// User-space instructions retired per iteration (`--instructions`): a deterministic count
    /// under Valgrind, nearly so with hardware counters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions_per_iter: Option<f64>,
    /// Hardware counters only (`--instructions` on a machine with a PMU).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cycles_per_iter: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch_misses_per_iter: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_misses_per_iter: Option<f64>,
}

/// Which way a metric improves.
///
/// ```
/// use cargo_perf::{perf_test, Bencher, Direction};
///
/// #[perf_test]
/// fn hit_ratio(b: &mut Bencher) {
///     b.iter(|| std::hint::black_box(2) * 2);
///     b.metric("hit_ratio", 0.97, Direction::HigherIsBetter);
/// }
/// # fn main() {}
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    LowerIsBetter,
    HigherIsBetter,
}

/// What a metric's number counts, which decides how it is read and shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricUnit {
    Nanoseconds,
    PerSecond,
    Percent,
    Count,
    Bytes,
}

/// One field of [`Metrics`]. A suite names only the thresholds' metrics; the rest of the
/// vocabulary (every field, units, directions) serves `cargo perf`.
#[cfg_attr(not(feature = "cli"), allow(dead_code))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Metric {
    Median,
    Mean,
    Min,
    P50,
    P90,
    P95,
    P99,
    P999,
    Max,
    StdDev,
    Mad,
    Throughput,
    SuccessRate,
    Allocs,
    AllocBytes,
    RssGrowth,
    Instructions,
    Cycles,
    BranchMisses,
    CacheMisses,
}

#[cfg_attr(not(feature = "cli"), allow(dead_code))]
impl Metric {
    pub(crate) const ALL: [Metric; 20] = [
        Metric::Median,
        Metric::Mean,
        Metric::Min,
        Metric::P50,
        Metric::P90,
        Metric::P95,
        Metric::P99,
        Metric::P999,
        Metric::Max,
        Metric::StdDev,
        Metric::Mad,
        Metric::Throughput,
        Metric::SuccessRate,
        Metric::Allocs,
        Metric::AllocBytes,
        Metric::RssGrowth,
        Metric::Instructions,
        Metric::Cycles,
        Metric::BranchMisses,
        Metric::CacheMisses,
    ];

    /// The field's name in the JSON report.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Metric::Median => "median_ns",
            Metric::Mean => "mean_ns",
            Metric::Min => "min_ns",
            Metric::P50 => "p50_ns",
            Metric::P90 => "p90_ns",
            Metric::P95 => "p95_ns",
            Metric::P99 => "p99_ns",
            Metric::P999 => "p999_ns",
            Metric::Max => "max_ns",
            Metric::StdDev => "std_dev_ns",
            Metric::Mad => "mad_ns",
            Metric::Throughput => "throughput_per_sec",
            Metric::SuccessRate => "success_rate",
            Metric::Allocs => "allocs_per_iter",
            Metric::AllocBytes => "alloc_bytes_per_iter",
            Metric::RssGrowth => "rss_growth_bytes",
            Metric::Instructions => "instructions_per_iter",
            Metric::Cycles => "cycles_per_iter",
            Metric::BranchMisses => "branch_misses_per_iter",
            Metric::CacheMisses => "cache_misses_per_iter",
        }
    }

    /// The built-in metric of this JSON name; `None` for a custom metric's name.
    pub(crate) fn from_name(name: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.name() == name)
    }

    pub(crate) fn unit(self) -> MetricUnit {
        match self {
            Metric::Throughput => MetricUnit::PerSecond,
            Metric::SuccessRate => MetricUnit::Percent,
            Metric::Allocs
            | Metric::Instructions
            | Metric::Cycles
            | Metric::BranchMisses
            | Metric::CacheMisses => MetricUnit::Count,
            Metric::AllocBytes | Metric::RssGrowth => MetricUnit::Bytes,
            _ => MetricUnit::Nanoseconds,
        }
    }

    pub(crate) fn direction(self) -> Direction {
        match self {
            Metric::Throughput | Metric::SuccessRate => Direction::HigherIsBetter,
            _ => Direction::LowerIsBetter,
        }
    }

    /// The metric's value in `m`, if the test produced it.
    pub(crate) fn get(self, m: &Metrics) -> Option<f64> {
        match self {
            Metric::RssGrowth => m.rss_growth_bytes.map(|b| b as f64),
            other => other.slot(m).and_then(|v| *v),
        }
    }

    /// Store a value (rounded to whole bytes for `rss_growth_bytes`).
    pub(crate) fn set(self, m: &mut Metrics, value: Option<f64>) {
        match self {
            Metric::RssGrowth => m.rss_growth_bytes = value.map(|b| b.round() as i64),
            other => {
                if let Some(slot) = other.slot_mut(m) {
                    *slot = value;
                }
            }
        }
    }

    /// The `f64` field of this metric; `None` for `rss_growth_bytes`, an integer.
    fn slot(self, m: &Metrics) -> Option<&Option<f64>> {
        Some(match self {
            Metric::Median => &m.median_ns,
            Metric::Mean => &m.mean_ns,
            Metric::Min => &m.min_ns,
            Metric::P50 => &m.p50_ns,
            Metric::P90 => &m.p90_ns,
            Metric::P95 => &m.p95_ns,
            Metric::P99 => &m.p99_ns,
            Metric::P999 => &m.p999_ns,
            Metric::Max => &m.max_ns,
            Metric::StdDev => &m.std_dev_ns,
            Metric::Mad => &m.mad_ns,
            Metric::Throughput => &m.throughput_per_sec,
            Metric::SuccessRate => &m.success_rate,
            Metric::Allocs => &m.allocs_per_iter,
            Metric::AllocBytes => &m.alloc_bytes_per_iter,
            Metric::Instructions => &m.instructions_per_iter,
            Metric::Cycles => &m.cycles_per_iter,
            Metric::BranchMisses => &m.branch_misses_per_iter,
            Metric::CacheMisses => &m.cache_misses_per_iter,
            Metric::RssGrowth => return None,
        })
    }

    fn slot_mut(self, m: &mut Metrics) -> Option<&mut Option<f64>> {
        Some(match self {
            Metric::Median => &mut m.median_ns,
            Metric::Mean => &mut m.mean_ns,
            Metric::Min => &mut m.min_ns,
            Metric::P50 => &mut m.p50_ns,
            Metric::P90 => &mut m.p90_ns,
            Metric::P95 => &mut m.p95_ns,
            Metric::P99 => &mut m.p99_ns,
            Metric::P999 => &mut m.p999_ns,
            Metric::Max => &mut m.max_ns,
            Metric::StdDev => &mut m.std_dev_ns,
            Metric::Mad => &mut m.mad_ns,
            Metric::Throughput => &mut m.throughput_per_sec,
            Metric::SuccessRate => &mut m.success_rate,
            Metric::Allocs => &mut m.allocs_per_iter,
            Metric::AllocBytes => &mut m.alloc_bytes_per_iter,
            Metric::Instructions => &mut m.instructions_per_iter,
            Metric::Cycles => &mut m.cycles_per_iter,
            Metric::BranchMisses => &mut m.branch_misses_per_iter,
            Metric::CacheMisses => &mut m.cache_misses_per_iter,
            Metric::RssGrowth => return None,
        })
    }
}

impl From<perf_spec::Key> for Metric {
    /// The metric a threshold key limits: the attribute's `p99` is the report's `p99_ns`.
    fn from(key: perf_spec::Key) -> Metric {
        use perf_spec::Key;
        match key {
            Key::P50 => Metric::P50,
            Key::P90 => Metric::P90,
            Key::P95 => Metric::P95,
            Key::P99 => Metric::P99,
            Key::P999 => Metric::P999,
            Key::Mean => Metric::Mean,
            Key::Max => Metric::Max,
            Key::Throughput => Metric::Throughput,
            Key::SuccessRate => Metric::SuccessRate,
            Key::Allocs => Metric::Allocs,
            Key::AllocBytes => Metric::AllocBytes,
            Key::RssGrowth => Metric::RssGrowth,
            Key::Instructions => Metric::Instructions,
        }
    }
}

/// `1.20 µs`, `4.50K/s`, `99.5%`, `3.00`: a value of the metric of this name, in its unit.
/// Names scoped to an operation, stage or fault (`p95_ns[read]`, `recovery_time_ns[outage]`)
/// take their base name's unit; a custom metric's name (`metric[hit_rate]`) gives a bare number.
pub fn value_text(name: &str, value: f64) -> String {
    use crate::format;
    let base = name.split_once('[').map_or(name, |(base, _)| base);
    match base {
        "check" => return if value >= 1.0 { "passed" } else { "failed" }.to_string(),
        "metric" => return format::sig3(value),
        "cpu_percent" => return format!("{}%", format::sig3(value)),
        "overhead" => return format!("{}%", format::sig3(value)),
        "speedup" => return format!("{}x", format::sig3(value)),
        _ => {}
    }
    match Metric::from_name(base).map(Metric::unit) {
        Some(MetricUnit::Nanoseconds) => format::duration_ns(value),
        Some(MetricUnit::PerSecond) => format::rate(value),
        Some(MetricUnit::Percent) => format!("{}%", format::sig3(value)),
        Some(MetricUnit::Bytes) => format::bytes(value),
        Some(MetricUnit::Count) => format::sig3(value),
        // Names only load runs report (`peak_rss_bytes`, `recovery_time_ns`, `read.p99_ns`).
        None if base.ends_with("_ns") => format::duration_ns(value),
        None if base.ends_with("_bytes") => format::bytes(value),
        None if base.ends_with("_per_sec") => format::rate(value),
        None if base.ends_with("success_rate") => format!("{}%", format::sig3(value)),
        None => format::sig3(value),
    }
}

/// A value the test reported through `Bencher::metric`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomMetric {
    pub name: String,
    pub value: f64,
    pub direction: Direction,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_the_serialized_fields_and_get_set_round_trip() {
        let mut m = Metrics::default();
        for (i, metric) in Metric::ALL.into_iter().enumerate() {
            assert_eq!(Metric::from_name(metric.name()), Some(metric));
            metric.set(&mut m, Some(i as f64 + 1.0));
        }
        let json = serde_json::to_value(&m).unwrap();
        for (i, metric) in Metric::ALL.into_iter().enumerate() {
            assert_eq!(metric.get(&m), Some(i as f64 + 1.0));
            assert_eq!(json[metric.name()], i as f64 + 1.0, "{}", metric.name());
        }
        assert_eq!(json.as_object().unwrap().len(), Metric::ALL.len());
        assert_eq!(Metric::from_name("hit_ratio"), None);
    }

    #[cfg(feature = "cli")]
    #[test]
    fn every_threshold_key_names_a_metric_of_its_unit() {
        for key in perf_spec::Key::ALL {
            let metric = Metric::from(key);
            let unit = match key.unit() {
                perf_spec::Unit::Duration => MetricUnit::Nanoseconds,
                perf_spec::Unit::Percent => MetricUnit::Percent,
                perf_spec::Unit::Bytes => MetricUnit::Bytes,
                perf_spec::Unit::Number if key == perf_spec::Key::Throughput => {
                    MetricUnit::PerSecond
                }
                perf_spec::Unit::Number if key == perf_spec::Key::AllocBytes => MetricUnit::Bytes,
                // `instructions` is a count per iteration, like `allocs`.
                perf_spec::Unit::Number => MetricUnit::Count,
            };
            assert_eq!(metric.unit(), unit, "{key:?}");
            assert_eq!(
                metric.direction() == Direction::HigherIsBetter,
                key.natural_op() == perf_spec::Op::Ge
            );
        }
    }
}
