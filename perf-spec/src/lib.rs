//! The vocabulary of cargo-perf's `#[perf_test(...)]` attribute, shared by the macro (at
//! compile time), the runtime (`PERF_<TEST>_<KEY>` overrides) and `cargo perf`'s flags: the
//! keys, the comparison operators, the units and the parsers of unit-bearing text.
//!
//! One source, so that `"2ms"` means the same in `p99 < "2ms"`, in `PERF_CACHE_P99=2ms` and on
//! the command line, and so that every error names what is accepted.
//!
//! ```
//! use perf_spec::{Key, Unit};
//!
//! let key = Key::from_name("p99").unwrap();
//! assert_eq!(key.unit(), Unit::Duration);
//! assert_eq!(key.unit().parse("2ms").unwrap(), 2e6);
//! assert_eq!(perf_spec::bytes("1KiB").unwrap(), 1024.0);
//! assert_eq!(
//!     perf_spec::did_you_mean("p98", perf_spec::ATTRIBUTE_KEYS).as_deref(),
//!     Some("did you mean `p90`, `p95` or `p99`?")
//! );
//! ```

#![forbid(unsafe_code)]

use std::fmt;

/// A malformed value: the message says what was found and what is accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError(String);

impl SpecError {
    pub fn new(message: impl Into<String>) -> SpecError {
        SpecError(message.into())
    }

    pub fn message(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SpecError {}

impl From<SpecError> for String {
    fn from(e: SpecError) -> String {
        e.0
    }
}

/// A metric a threshold can limit, as the attribute and `PERF_<TEST>_<KEY>` spell it. The
/// macro's expansion names a variant by its `Debug` spelling (`Key::P99`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
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
    /// User-space instructions per iteration (`cargo perf --instructions`).
    Instructions,
}

impl Key {
    pub const ALL: [Key; 13] = [
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
        Key::Instructions,
    ];

    /// The spelling in the attribute (and, upper-cased, in `PERF_<TEST>_<KEY>`).
    pub fn name(self) -> &'static str {
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
            Key::Instructions => "instructions",
        }
    }

    pub fn from_name(name: &str) -> Option<Key> {
        Key::ALL.into_iter().find(|k| k.name() == name)
    }

    /// What kind of value the key takes.
    pub fn unit(self) -> Unit {
        match self {
            Key::P50 | Key::P90 | Key::P95 | Key::P99 | Key::P999 | Key::Mean | Key::Max => {
                Unit::Duration
            }
            Key::Throughput | Key::Allocs | Key::AllocBytes | Key::Instructions => Unit::Number,
            Key::SuccessRate => Unit::Percent,
            Key::RssGrowth => Unit::Bytes,
        }
    }

    /// The operator of a limit given without one (an override of a key the attribute did
    /// not name): at most for costs, at least for throughput and success rate.
    pub fn natural_op(self) -> Op {
        match self {
            Key::Throughput | Key::SuccessRate => Op::Ge,
            _ => Op::Le,
        }
    }

    /// A threshold with this key, as an error message's example.
    pub fn example(self) -> String {
        match self {
            Key::Throughput => "throughput > 500".into(),
            Key::SuccessRate => "success_rate >= 99.0".into(),
            Key::Allocs => "allocs <= 10".into(),
            Key::AllocBytes => "alloc_bytes <= 4096".into(),
            Key::RssGrowth => "rss_growth < \"10MB\"".into(),
            Key::Instructions => "instructions <= 12_000".into(),
            time => format!("{} < \"2ms\"", time.name()),
        }
    }
}

/// The keys of the attribute that take `=` rather than a comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Setting {
    Name,
    Tags,
    Args,
    Timeout,
    Noise,
    Crate,
}

impl Setting {
    pub const ALL: [Setting; 6] = [
        Setting::Name,
        Setting::Tags,
        Setting::Args,
        Setting::Timeout,
        Setting::Noise,
        Setting::Crate,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Setting::Name => "name",
            Setting::Tags => "tags",
            Setting::Args => "args",
            Setting::Timeout => "timeout",
            Setting::Noise => "noise",
            Setting::Crate => "crate",
        }
    }

    pub fn from_name(name: &str) -> Option<Setting> {
        Setting::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The setting as an error message's example.
    pub fn example(self) -> &'static str {
        match self {
            Setting::Name => "name = \"cache_get\"",
            Setting::Tags => "tags = [\"slow\"]",
            Setting::Args => "args = [100, 10_000]",
            Setting::Timeout => "timeout = \"30s\"",
            Setting::Noise => "noise = \"5%\"",
            Setting::Crate => "crate = cargo_perf",
        }
    }
}

/// Every key the attribute accepts, settings first: the list an unknown key's error gives and
/// the candidates of its "did you mean".
pub const ATTRIBUTE_KEYS: &[&str] = &[
    "name",
    "tags",
    "args",
    "timeout",
    "noise",
    "crate",
    "p50",
    "p90",
    "p95",
    "p99",
    "p999",
    "mean",
    "max",
    "throughput",
    "success_rate",
    "allocs",
    "alloc_bytes",
    "rss_growth",
    "instructions",
    "recovery_time",
    "metric",
    "cpu",
    "peak_rss",
    "overhead",
    "speedup",
];

/// The keys a `PERF_<TEST>_<KEY>` variable may name: the thresholds.
pub const THRESHOLD_KEYS: &[&str] = ATTRIBUTE_KEYS
    .split_at(Setting::ALL.len())
    .1
    .split_at(Key::ALL.len())
    .0;

/// The keys of limits the harness checks rather than the threshold evaluation: recovery times,
/// custom metrics and resources (scoped keys such as `p95("op")` reuse the threshold names).
pub const LIMIT_KEYS: &[&str] = ATTRIBUTE_KEYS
    .split_at(Setting::ALL.len() + Key::ALL.len())
    .1
    .split_at(ATTRIBUTE_KEYS.len() - Setting::ALL.len() - Key::ALL.len() - Ratio::ALL.len())
    .0;

/// The keys comparing a test with another test of the same run (`overhead("plain") <=
/// "20%"`): judged by `cargo perf` after the run, since one test's process sees only itself.
pub const RATIO_KEYS: &[&str] = ATTRIBUTE_KEYS
    .split_at(ATTRIBUTE_KEYS.len() - Ratio::ALL.len())
    .1;

/// A ratio between this test's median time and another test's of the same run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ratio {
    /// `overhead("plain") <= "20%"`: this test's median at most 20 % above `plain`'s; the
    /// figure is `(this / other - 1) * 100`, a percentage, an upper bound.
    Overhead,
    /// `speedup("sequential") >= "3x"`: `sequential`'s median / this test's at least 3; a
    /// factor, a lower bound.
    Speedup,
}

impl Ratio {
    pub const ALL: [Ratio; 2] = [Ratio::Overhead, Ratio::Speedup];

    pub fn name(self) -> &'static str {
        match self {
            Ratio::Overhead => "overhead",
            Ratio::Speedup => "speedup",
        }
    }

    pub fn from_name(name: &str) -> Option<Ratio> {
        Ratio::ALL.into_iter().find(|r| r.name() == name)
    }

    /// The ratio as an error message's example.
    pub fn example(self) -> &'static str {
        match self {
            Ratio::Overhead => "overhead(\"plain\") <= \"20%\"",
            Ratio::Speedup => "speedup(\"sequential\") >= \"3x\"",
        }
    }

    /// Whether `op` bounds the ratio the way it is meant: an overhead from above (`<`,
    /// `<=`), a speed-up from below (`>`, `>=`).
    pub fn accepts(self, op: Op) -> bool {
        match self {
            Ratio::Overhead => matches!(op, Op::Lt | Op::Le),
            Ratio::Speedup => matches!(op, Op::Gt | Op::Ge),
        }
    }

    /// The limit's text: a percentage with its sign (`"20%"`) for an overhead, a factor
    /// (`"3x"`) for a speed-up.
    pub fn parse(self, text: &str) -> Result<f64, SpecError> {
        match self {
            Ratio::Overhead => {
                if !text.trim().ends_with('%') {
                    return Err(SpecError(format!(
                        "{text:?} is not a percentage; write it like \"20%\""
                    )));
                }
                percent(text)
            }
            Ratio::Speedup => factor(text),
        }
    }

    /// The figure from the two medians: this test's time and the other test's.
    pub fn figure(self, this: f64, other: f64) -> f64 {
        match self {
            Ratio::Overhead => (this / other - 1.0) * 100.0,
            Ratio::Speedup => other / this,
        }
    }
}

/// The keys of `PERF_<TEST>_<KEY>` that set a load test's run parameters rather than a limit
/// (`PERF_<TEST>_CONCURRENCY`, `_RATE`, `_DURATION`), with the unit each value is read in.
pub const LOAD_PARAMETERS: [(&str, Unit); 3] = [
    ("concurrency", Unit::Number),
    ("rate", Unit::Number),
    ("duration", Unit::Duration),
];

/// A comparison operator of a threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    Lt,
    Le,
    Gt,
    Ge,
}

impl Op {
    pub const ALL: [Op; 4] = [Op::Lt, Op::Le, Op::Gt, Op::Ge];

    pub fn as_str(self) -> &'static str {
        match self {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
        }
    }

    pub fn from_symbol(text: &str) -> Option<Op> {
        Op::ALL.into_iter().find(|op| op.as_str() == text)
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

/// What kind of value a key takes, which decides how its text is parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unit {
    /// `"2ms"`: nanoseconds.
    Duration,
    /// `500`: a plain number.
    Number,
    /// `99.0` or `"99%"`: a percentage in 0..=100.
    Percent,
    /// `"10MB"`: bytes.
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

    /// Parse text (an override's value) into the base unit: ns, count, percent or bytes.
    pub fn parse(self, text: &str) -> Result<f64, SpecError> {
        match self {
            Unit::Duration => duration_ns(text),
            Unit::Number => number(text),
            Unit::Percent => in_percent_range(percent(text)?),
            Unit::Bytes => bytes(text),
        }
    }
}

/// The spelling of accepted time units, for error messages.
pub const TIME_UNITS: &str = "ns, us (or µs), ms, s";
/// Time units of long durations (a time budget), for error messages.
pub const LONG_TIME_UNITS: &str = "ns, us (or µs), ms, s, m, h";
/// The spelling of accepted size units, for error messages.
pub const SIZE_UNITS: &str = "B, KB, MB, GB, KiB, MiB, GiB";

const TIME_SCALES: &[(&str, f64)] = &[
    ("ns", 1.0),
    ("us", 1e3),
    ("µs", 1e3),
    ("ms", 1e6),
    ("s", 1e9),
];
const LONG_TIME_SCALES: &[(&str, f64)] = &[
    ("ns", 1.0),
    ("us", 1e3),
    ("µs", 1e3),
    ("ms", 1e6),
    ("s", 1e9),
    ("m", 60e9),
    ("h", 3600e9),
];
const SIZE_SCALES: &[(&str, f64)] = &[
    ("B", 1.0),
    ("", 1.0),
    ("KB", 1e3),
    ("kB", 1e3),
    ("MB", 1e6),
    ("GB", 1e9),
    ("KiB", 1024.0),
    ("MiB", 1024.0 * 1024.0),
    ("GiB", 1024.0 * 1024.0 * 1024.0),
];

/// Split `"1.5ms"` into `("1.5", "ms")`.
fn split_unit(text: &str) -> (&str, &str) {
    let text = text.trim();
    let idx = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))
        .unwrap_or(text.len());
    (&text[..idx], text[idx..].trim())
}

/// A non-negative finite number, `_` separators allowed.
pub fn number(text: &str) -> Result<f64, SpecError> {
    let cleaned: String = text.trim().chars().filter(|c| *c != '_').collect();
    match cleaned.parse::<f64>() {
        Ok(n) if n.is_finite() && n >= 0.0 => Ok(n),
        _ => Err(SpecError(format!(
            "expected a non-negative number, found {text:?}"
        ))),
    }
}

/// A number followed by one of `scales`' units; `what` names the kind ("time", "size").
fn scaled(
    text: &str,
    scales: &[(&str, f64)],
    what: &str,
    example: &str,
    spelled: &str,
) -> Result<f64, SpecError> {
    let (num, unit) = split_unit(text);
    let Some(&(_, scale)) = scales.iter().find(|(u, _)| *u == unit) else {
        return Err(SpecError(if unit.is_empty() {
            format!("{text:?} has no {what} unit; write it like \"{example}\" (units: {spelled})")
        } else {
            format!("unknown {what} unit {unit:?}; accepted units: {spelled}")
        }));
    };
    if num.is_empty() {
        return Err(SpecError(format!(
            "{text:?} has no number; write it like \"{example}\" (units: {spelled})"
        )));
    }
    let v = number(num)? * scale;
    // A 300-digit limit would become infinite, which JSON writes as `null`: the protocol
    // file holding it would be unreadable.
    if v.is_finite() {
        Ok(v)
    } else {
        Err(SpecError(format!("{text:?} is too large")))
    }
}

/// `"250us"`, `"2ms"`, `"1.5s"`, `"40ns"` into nanoseconds; the unit is required.
pub fn duration_ns(text: &str) -> Result<f64, SpecError> {
    scaled(text, TIME_SCALES, "time", "2ms", TIME_UNITS)
}

/// A duration that may also be given in minutes or hours (`"10m"`, `"1.5h"`), in nanoseconds.
pub fn long_duration_ns(text: &str) -> Result<f64, SpecError> {
    scaled(text, LONG_TIME_SCALES, "time", "10m", LONG_TIME_UNITS)
}

/// `"10MB"`, `"512KiB"`, `"100B"` (or a bare `"100"`) into bytes; KB = 1000, KiB = 1024.
pub fn bytes(text: &str) -> Result<f64, SpecError> {
    scaled(text, SIZE_SCALES, "size", "10MB", SIZE_UNITS)
}

/// `"5%"` or `"5"` into the percentage 5.0 (not a fraction); any non-negative size.
pub fn percent(text: &str) -> Result<f64, SpecError> {
    let trimmed = text.trim();
    number(trimmed.strip_suffix('%').unwrap_or(trimmed).trim()).map_err(|_| {
        SpecError(format!(
            "{text:?} is not a percentage; write it like \"5%\""
        ))
    })
}

/// `"5%"` or `"99.5%"` into a percentage in 0..=100; the `%` sign is required (the
/// attribute's strings, where `"5"` might be meant as a fraction or a count).
pub fn percent_with_sign(text: &str) -> Result<f64, SpecError> {
    if !text.trim().ends_with('%') {
        return Err(SpecError(match number(text) {
            Ok(_) => format!("{text:?} needs a % sign: write \"{}%\"", text.trim()),
            Err(_) => format!("{text:?} is not a percentage; write it like \"5%\""),
        }));
    }
    in_percent_range(percent(text)?)
}

/// `"5x"` (or a bare `"5"`) into the factor 5.0: a speed-up or slow-down; it must be positive
/// (the speed-up requirements of `cargo perf compare`/`ab`, and ratios between tests).
pub fn factor(text: &str) -> Result<f64, SpecError> {
    let trimmed = text.trim();
    let num = trimmed.strip_suffix(['x', 'X']).unwrap_or(trimmed).trim();
    match number(num) {
        Ok(f) if f > 0.0 => Ok(f),
        _ => Err(SpecError(format!(
            "{text:?} is not a factor; write it like \"5x\" (a positive number, `x` optional)"
        ))),
    }
}

/// Accept `n` only when it is a percentage between 0 and 100.
pub fn in_percent_range(n: f64) -> Result<f64, SpecError> {
    if (0.0..=100.0).contains(&n) {
        Ok(n)
    } else {
        Err(SpecError(format!(
            "{n} is not a percentage between 0 and 100"
        )))
    }
}

/// Edit distance between two words, in characters: Levenshtein with a swap of two neighbours
/// counting as one edit (optimal string alignment), because the swap is the commonest typo
/// (`histroy`). The one edit distance of the project: the macro's keys and the CLI's tests,
/// tags, subcommands and `PERF_*` overrides all use it.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    // Three rows: the one before the previous is what a swap looks back to.
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut row = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            row[j] = (prev[j] + 1).min(row[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                row[j] = row[j].min(before[j - 2] + 1);
            }
        }
        before = std::mem::replace(&mut prev, row);
    }
    prev[b.len()]
}

/// The candidates closest to a misspelled `word`: every one at the smallest distance (`p98`
/// is as close to `p90` as to `p99`), within one edit per three characters (short words are
/// close to everything), in the candidates' order. Case is ignored (`FIEN` finds `FINE`, `P99`
/// finds `p99`); a candidate spelled exactly as `word` is not a suggestion.
pub fn closest<'a>(word: &str, candidates: &[&'a str]) -> Vec<&'a str> {
    let limit = (word.chars().count() / 3).clamp(1, 3);
    let lower = word.to_lowercase();
    let near: Vec<(usize, &str)> = candidates
        .iter()
        .filter(|c| **c != word)
        .map(|c| (edit_distance(&lower, &c.to_lowercase()), *c))
        .filter(|(d, _)| *d <= limit)
        .collect();
    let best = near.iter().map(|(d, _)| *d).min();
    near.into_iter()
        .filter(|(d, _)| Some(*d) == best)
        .map(|(_, c)| c)
        .collect()
}

/// `did you mean `x`?` (or `` `a`, `b` or `c` ``) for a misspelled `word`; `None` when no
/// candidate is close.
pub fn did_you_mean(word: &str, candidates: &[&str]) -> Option<String> {
    let close: Vec<String> = closest(word, candidates)
        .into_iter()
        .map(|c| format!("`{c}`"))
        .collect();
    match close.as_slice() {
        [] => None,
        [one] => Some(format!("did you mean {one}?")),
        [init @ .., last] => Some(format!("did you mean {} or {last}?", init.join(", "))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(r: Result<f64, SpecError>) -> String {
        r.unwrap_err().to_string()
    }

    #[test]
    fn factors_take_an_optional_x_and_must_be_positive() {
        assert_eq!(factor("5x").unwrap(), 5.0);
        assert_eq!(factor(" 1.5 ").unwrap(), 1.5);
        assert_eq!(factor("0.9X").unwrap(), 0.9);
        for bad in ["0x", "-2x", "fast", "x", "5%"] {
            assert!(factor(bad).unwrap_err().message().contains("5x"), "{bad}");
        }
    }

    #[test]
    fn ratios_bound_the_right_way_and_parse_their_units() {
        assert_eq!(RATIO_KEYS, ["overhead", "speedup"]);
        assert!(!LIMIT_KEYS.contains(&"overhead"));
        assert!(Ratio::Overhead.accepts(Op::Le) && !Ratio::Overhead.accepts(Op::Ge));
        assert!(Ratio::Speedup.accepts(Op::Gt) && !Ratio::Speedup.accepts(Op::Lt));
        assert_eq!(Ratio::Overhead.parse("20%").unwrap(), 20.0);
        assert!(Ratio::Overhead.parse("20").is_err());
        assert_eq!(Ratio::Speedup.parse("3x").unwrap(), 3.0);
        assert!(Ratio::Speedup.parse("0x").is_err());
        assert!((Ratio::Overhead.figure(110.0, 100.0) - 10.0).abs() < 1e-9);
        assert_eq!(Ratio::Speedup.figure(100.0, 400.0), 4.0);
        assert_eq!(Ratio::from_name("speedup"), Some(Ratio::Speedup));
    }

    #[test]
    fn durations_convert_to_nanoseconds() {
        assert_eq!(duration_ns("40ns").unwrap(), 40.0);
        assert_eq!(duration_ns("250us").unwrap(), 250e3);
        assert_eq!(duration_ns("250µs").unwrap(), 250e3);
        assert_eq!(duration_ns("2ms").unwrap(), 2e6);
        assert_eq!(duration_ns("1.5s").unwrap(), 1.5e9);
        assert_eq!(duration_ns(" 1_000ns ").unwrap(), 1000.0);
    }

    #[test]
    fn durations_without_or_with_unknown_units_are_rejected() {
        assert!(err(duration_ns("2")).contains("no time unit"));
        let e = err(duration_ns("2min"));
        assert!(e.contains("\"min\"") && e.contains(TIME_UNITS), "{e}");
        assert!(err(duration_ns("ms")).contains("no number"));
        assert!(duration_ns("1.2.3ms").is_err());
        // Minutes only where a long duration is meant.
        assert!(duration_ns("10m").is_err());
    }

    #[test]
    fn long_durations_add_minutes_and_hours() {
        assert_eq!(long_duration_ns("90s").unwrap(), 90e9);
        assert_eq!(long_duration_ns("10m").unwrap(), 600e9);
        assert_eq!(long_duration_ns("1.5h").unwrap(), 5400e9);
        assert_eq!(long_duration_ns("500ms").unwrap(), 5e8);
        let e = err(long_duration_ns("soon"));
        assert!(e.contains("soon") && e.contains(LONG_TIME_UNITS), "{e}");
        assert!(long_duration_ns("-3m").is_err());
    }

    #[test]
    fn sizes_convert_to_bytes() {
        assert_eq!(bytes("100").unwrap(), 100.0);
        assert_eq!(bytes("100B").unwrap(), 100.0);
        assert_eq!(bytes("10MB").unwrap(), 1e7);
        assert_eq!(bytes("1KiB").unwrap(), 1024.0);
        assert_eq!(bytes("2GiB").unwrap(), 2.0 * 1024.0 * 1024.0 * 1024.0);
        let e = err(bytes("10mb"));
        assert!(
            e.contains("unknown size unit") && e.contains(SIZE_UNITS),
            "{e}"
        );
    }

    #[test]
    fn percentages_with_and_without_the_sign() {
        assert_eq!(percent("5%").unwrap(), 5.0);
        assert_eq!(percent("5").unwrap(), 5.0);
        assert_eq!(percent("150 %").unwrap(), 150.0);
        assert!(err(percent("lots")).contains("write it like \"5%\""));
        assert!(percent("-1%").is_err());
        assert_eq!(percent_with_sign("99.5%").unwrap(), 99.5);
        assert!(err(percent_with_sign("5")).contains("write \"5%\""));
        assert!(err(percent_with_sign("abc")).contains("not a percentage"));
        assert!(percent_with_sign("101%").is_err());
        assert!(in_percent_range(100.0).is_ok());
        assert!(err(in_percent_range(100.1)).contains("between 0 and 100"));
    }

    #[test]
    fn units_parse_override_text() {
        assert_eq!(Unit::Duration.parse("2ms").unwrap(), 2e6);
        assert_eq!(Unit::Bytes.parse("1KiB").unwrap(), 1024.0);
        assert_eq!(Unit::Percent.parse("99.5%").unwrap(), 99.5);
        assert_eq!(Unit::Percent.parse("99").unwrap(), 99.0);
        assert!(Unit::Percent.parse("101").is_err());
        assert_eq!(Unit::Number.parse("10_000").unwrap(), 10_000.0);
        assert!(Unit::Number.parse("fast").is_err());
    }

    #[test]
    fn key_names_round_trip_and_list_every_key() {
        for key in Key::ALL {
            assert_eq!(Key::from_name(key.name()), Some(key));
        }
        for op in Op::ALL {
            assert_eq!(Op::from_symbol(op.as_str()), Some(op));
        }
        let listed: Vec<&str> = Setting::ALL
            .into_iter()
            .map(Setting::name)
            .chain(Key::ALL.into_iter().map(Key::name))
            .chain(LIMIT_KEYS.iter().copied())
            .chain(Ratio::ALL.into_iter().map(Ratio::name))
            .collect();
        assert_eq!(listed, ATTRIBUTE_KEYS);
        assert_eq!(
            &listed[Setting::ALL.len()..Setting::ALL.len() + Key::ALL.len()],
            THRESHOLD_KEYS
        );
        assert_eq!(Key::P99.example(), "p99 < \"2ms\"");
        assert_eq!(Key::SuccessRate.natural_op(), Op::Ge);
        assert_eq!(Key::Mean.natural_op(), Op::Le);
    }

    #[test]
    fn suggestions_name_every_closest_candidate() {
        let keys = ATTRIBUTE_KEYS;
        assert_eq!(
            did_you_mean("alloc", keys).as_deref(),
            Some("did you mean `allocs`?")
        );
        assert_eq!(
            did_you_mean("p98", keys).as_deref(),
            Some("did you mean `p90`, `p95` or `p99`?")
        );
        assert_eq!(did_you_mean("zzzzzzzz", keys), None);
        assert_eq!(did_you_mean("x", keys), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn a_swap_is_one_edit_and_case_is_ignored() {
        assert_eq!(edit_distance("histroy", "history"), 1);
        assert_eq!(edit_distance("ab", "ba"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        let subcommands = ["run", "ab", "compare", "history", "baseline"];
        assert_eq!(closest("histroy", &subcommands), ["history"]);
        assert_eq!(closest("Histroy", &subcommands), ["history"]);
        assert_eq!(closest("basline", &subcommands), ["baseline"]);
        assert_eq!(closest("FIEN", &["FINE", "PASSES"]), ["FINE"]);
        assert_eq!(closest("P99", &["p90", "p99"]), ["p99"]);
    }

    #[test]
    fn far_words_and_exact_spellings_are_not_suggested() {
        let tests = ["tokenize_sentence", "count_words/10"];
        assert!(closest("zzz", &tests).is_empty());
        assert!(closest("tokenize_sentence", &tests).is_empty());
        // Short words allow one edit only: `ab` is not a typo of `run`.
        assert!(closest("ab", &["run"]).is_empty());
        assert_eq!(closest("ru", &["run"]), ["run"]);
        assert!(closest("x", &[]).is_empty());
    }
}
