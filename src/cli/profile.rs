//! `.config/perf.toml`: named profiles of settings (nextest's convention), and the one place
//! that turns the command line plus the chosen profile into the settings `run`, `ab` (and
//! `--pre-commit`) and `compare` use. A command takes the settings that mean something to it
//! (`compare` measures nothing: threshold, fail-on, machine) and leaves the others.
//!
//! Precedence: an explicit flag, then the profile, then the built-in default. The profile is
//! `--perf-profile NAME`, else `CARGO_PERF_PROFILE`, else `default` when the file exists. Every
//! profile in the file is checked, not only the chosen one, so a typo in `[profile.ci]` fails on
//! a laptop too, before it can surprise CI.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;
use std::time::Duration;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::args::{self, AbArgs, CompareArgs, InstructionsArg, RunArgs};
use super::errors::CliError;
use super::model::FailOn;
use crate::protocol::TestInfo;
use crate::threshold::{self, Key, Op};
use perf_spec::Unit;

/// Where the profiles live, relative to the workspace root.
pub const FILE: &str = ".config/perf.toml";
/// The environment variable that picks a profile when `--perf-profile` is not given.
pub const ENV: &str = "CARGO_PERF_PROFILE";
/// The profile used when none is chosen.
pub const DEFAULT: &str = "default";
/// The keys a profile may set: the names of the flags they stand for.
const KEYS: &[&str] = &[
    "processes",
    "budget",
    "threshold",
    "fail-on",
    "load-scale",
    "machine",
    "instructions",
    "overrides",
];
/// The keys of one `[[profile.NAME.overrides]]` table besides the threshold keys of the
/// attribute (`p99`, `allocs`, ...: perf-spec's [`Key`] list).
const OVERRIDE_KEYS: &[&str] = &["filter", "threshold"];

/// One `[profile.NAME]` table: every setting it leaves out falls back to the built-in default.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Profile {
    pub name: String,
    pub processes: Option<u32>,
    pub budget: Option<Duration>,
    pub threshold: Option<f64>,
    pub fail_on: Option<FailOn>,
    pub load_scale: Option<f64>,
    pub machine: Option<String>,
    pub instructions: Option<InstructionsArg>,
    pub overrides: Vec<Override>,
}

/// `[[profile.NAME.overrides]]`: settings for the tests whose name contains `filter` (a later
/// override wins): a regression threshold (it wins over a test's own `noise`) and limits.
#[derive(Debug, Clone, PartialEq)]
pub struct Override {
    pub filter: String,
    pub threshold: Option<f64>,
    /// Limits of the matched tests: `p99 = "30ms"` sets one, `p99 = "2x"` loosens the test's own.
    pub limits: Vec<(Key, Limit)>,
    /// `file:line` of the override's filter, for the error when it matches no test.
    pub at: String,
}

/// One `KEY = VALUE` of an override.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Limit {
    /// An explicit limit in the key's base unit (ns, count, percent, bytes), as
    /// `PERF_<TEST>_<KEY>` would set it.
    Value(f64),
    /// `"2x"`: the test's own limit made N times looser (a cost limit multiplied, a floor
    /// such as `throughput >= 500` divided).
    Times(f64),
}

/// Applies `overrides` to the `listed` tests (one list per suite) before any of them runs, and
/// returns, per suite, the `PERF_<TEST>_<KEY>` variables that carry the overrides' limits to
/// its processes: the very variables a user could set by hand, which the harness reads through
/// [`threshold::apply_env_overrides`]. The listed thresholds are updated the same way, so what
/// the CLI shows is what the process judges; an override's `threshold` becomes the test's
/// `noise` (the per-test regression threshold `run` and `ab` judge with). A variable the user
/// did set wins over the profile. With `checked` (the side whose tests are the run's), a filter
/// matching no listed test, or a multiple of a limit none of the matched tests has (nothing to
/// loosen), is an error naming the override's line.
pub fn apply(
    overrides: &[Override],
    listed: &mut [Vec<TestInfo>],
    user_env: impl Fn(&str) -> bool,
    checked: bool,
) -> Result<Vec<BTreeMap<String, String>>, CliError> {
    if checked {
        let names: Vec<&str> = listed.iter().flatten().map(|t| t.name.as_str()).collect();
        check_filters(overrides, &names)?;
    }
    let mut loosened = vec![false; overrides.len()];
    let mut envs = Vec::new();
    for tests in listed.iter_mut() {
        let mut env = BTreeMap::new();
        for info in tests.iter_mut() {
            for (i, o) in overrides.iter().enumerate() {
                if !info.name.contains(o.filter.as_str()) {
                    continue;
                }
                if let Some(t) = o.threshold {
                    info.noise = Some(t);
                }
                for &(key, limit) in &o.limits {
                    let var = threshold::env_var_name(&info.name, key.name());
                    let own = info.thresholds.iter().find(|t| t.key == key);
                    let value = match (limit, own) {
                        (Limit::Value(v), _) => v,
                        (Limit::Times(n), Some(t)) => match t.op {
                            Op::Lt | Op::Le => t.value * n,
                            Op::Gt | Op::Ge => t.value / n,
                        },
                        (Limit::Times(_), None) => continue,
                    };
                    loosened[i] = true;
                    if user_env(&var) {
                        continue;
                    }
                    env.insert(var, base_text(key.unit(), value));
                    let lookup = |v: &str| env.get(v).cloned();
                    info.thresholds =
                        threshold::apply_env_overrides(&info.name, &info.thresholds, lookup)
                            .map_err(|e| CliError::config(format!("{}: {e}", o.at), HELP_LIMIT))?;
                }
            }
        }
        envs.push(env);
    }
    for (o, loosened) in overrides.iter().zip(loosened) {
        let multiple = o.limits.iter().find(|(_, l)| matches!(l, Limit::Times(_)));
        if let (Some((key, _)), true, false) = (multiple, checked, loosened) {
            return Err(CliError::config(
                format!(
                    "{}: override `{}` loosens `{}` by a multiple, but no test it matches has a `{}` limit",
                    o.at, o.filter, key.name(), key.name()
                ),
                format!("give an explicit limit instead, e.g. `{}`", key.example()),
            ));
        }
    }
    Ok(envs)
}

/// An override whose filter matches none of the `listed` test names is an error, found before
/// anything runs.
fn check_filters(overrides: &[Override], listed: &[&str]) -> Result<(), CliError> {
    for o in overrides {
        if !listed.iter().any(|name| name.contains(o.filter.as_str())) {
            let hint = perf_spec::did_you_mean(&o.filter, listed)
                .map(|s| format!("{s} "))
                .unwrap_or_default();
            return Err(CliError::config(
                format!("{}: override filter `{}` matches no listed test", o.at, o.filter),
                format!("{hint}a filter matches the tests whose name contains it (`cargo perf run --list` shows them)"),
            ));
        }
    }
    Ok(())
}

const HELP_LIMIT: &str =
    "write the limit with its unit, e.g. `p99 = \"30ms\"`, or as a multiple, `p99 = \"2x\"`";

/// `value` (in `unit`'s base unit) as text that `unit` parses back to it.
fn base_text(unit: Unit, value: f64) -> String {
    match unit {
        Unit::Duration => format!("{value}ns"),
        Unit::Bytes => format!("{value}B"),
        Unit::Number | Unit::Percent => format!("{value}"),
    }
}

/// Where one command keeps the settings a profile can fill in; `None` for a setting the
/// command does not take (`compare` has no processes, `run` no budget).
pub struct Slots<'a> {
    pub threshold: &'a mut Option<f64>,
    pub fail_on: &'a mut Option<FailOn>,
    pub machine: &'a mut Option<String>,
    pub processes: Option<&'a mut Option<u32>>,
    pub budget: Option<&'a mut Option<Duration>>,
    pub load_scale: Option<&'a mut Option<f64>>,
    pub instructions: Option<&'a mut Option<InstructionsArg>>,
}

/// A command's arguments that a profile fills in.
pub trait Profiled: Clone {
    /// `--perf-profile NAME`.
    fn perf_profile(&self) -> Option<&str>;
    fn slots(&mut self) -> Slots<'_>;
}

impl Profiled for RunArgs {
    fn perf_profile(&self) -> Option<&str> {
        self.perf_profile.as_deref()
    }
    fn slots(&mut self) -> Slots<'_> {
        Slots {
            threshold: &mut self.verdict.threshold,
            fail_on: &mut self.verdict.fail_on,
            machine: &mut self.results.machine,
            processes: Some(&mut self.processes),
            budget: None,
            load_scale: Some(&mut self.load_scale),
            instructions: Some(&mut self.instructions),
        }
    }
}

impl Profiled for AbArgs {
    fn perf_profile(&self) -> Option<&str> {
        self.perf_profile.as_deref()
    }
    fn slots(&mut self) -> Slots<'_> {
        Slots {
            threshold: &mut self.verdict.threshold,
            fail_on: &mut self.verdict.fail_on,
            machine: &mut self.results.machine,
            processes: None,
            budget: Some(&mut self.budget),
            load_scale: Some(&mut self.load_scale),
            instructions: Some(&mut self.instructions),
        }
    }
}

impl Profiled for CompareArgs {
    fn perf_profile(&self) -> Option<&str> {
        self.perf_profile.as_deref()
    }
    fn slots(&mut self) -> Slots<'_> {
        Slots {
            threshold: &mut self.verdict.threshold,
            fail_on: &mut self.verdict.fail_on,
            machine: &mut self.store.machine,
            processes: None,
            budget: None,
            load_scale: None,
            instructions: None,
        }
    }
}

/// A command's arguments with the chosen profile filled in where no flag was given, and the
/// profile (`None` when the workspace has no profile file).
pub fn effective<A: Profiled>(args: &A, root: &Path) -> Result<(A, Option<Profile>), CliError> {
    let env = std::env::var(ENV).ok().filter(|s| !s.is_empty());
    let chosen = args.perf_profile().map(str::to_owned).or(env);
    let Some(profile) = load(root, chosen.as_deref())? else {
        return Ok((args.clone(), None));
    };
    let mut out = args.clone();
    let s = out.slots();
    fill(Some(s.threshold), &profile.threshold);
    fill(Some(s.fail_on), &profile.fail_on);
    fill(Some(s.machine), &profile.machine);
    fill(s.processes, &profile.processes);
    fill(s.budget, &profile.budget);
    fill(s.load_scale, &profile.load_scale);
    fill(s.instructions, &profile.instructions);
    Ok((out, Some(profile)))
}

/// An explicit flag wins; else the profile's value, when the command takes the setting.
fn fill<T: Clone>(slot: Option<&mut Option<T>>, from: &Option<T>) {
    if let Some(slot) = slot {
        if slot.is_none() {
            slot.clone_from(from);
        }
    }
}

/// The chosen profile of `root`'s profile file; `None` when there is no file and no profile
/// was asked for.
pub fn load(root: &Path, chosen: Option<&str>) -> Result<Option<Profile>, CliError> {
    let path = root.join(FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => parse(&path, &text, chosen).map(Some),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => match chosen {
            None => Ok(None),
            Some(name) => Err(CliError::config(
                format!(
                    "perf profile `{name}` was chosen, but {} does not exist",
                    path.display()
                ),
                format!(
                    "create {FILE} with a [profile.{name}] table, or unset --perf-profile / {ENV}"
                ),
            )),
        },
        Err(e) => Err(CliError::config(
            format!("cannot read {}: {e}", path.display()),
            format!("make {FILE} readable, or remove it"),
        )),
    }
}

/// Parses the whole file and returns the chosen profile (`default` when none is chosen: an
/// empty one when the file has no `[profile.default]`).
pub fn parse(path: &Path, text: &str, chosen: Option<&str>) -> Result<Profile, CliError> {
    let at = Located { path, text };
    let doc = DeTable::parse(text).map_err(|e| {
        at.error(
            e.span().unwrap_or(0..0),
            e.message().trim().to_owned(),
            "fix the TOML syntax".into(),
        )
    })?;
    let mut profiles = BTreeMap::new();
    for (key, value) in doc.get_ref() {
        if key.get_ref() != "profile" {
            return Err(at.unknown(key, "", &["profile"]));
        }
        for (name, table) in at.table(value, "profile")? {
            let profile = at.profile(name.get_ref(), at.table(table, name.get_ref())?)?;
            profiles.insert(name.get_ref().to_string(), profile);
        }
    }
    let name = chosen.unwrap_or(DEFAULT);
    match profiles.remove(name) {
        Some(p) => Ok(p),
        None if chosen.is_none() => Ok(Profile {
            name: DEFAULT.into(),
            ..Profile::default()
        }),
        None => {
            let names: Vec<&str> = profiles.keys().map(String::as_str).collect();
            let hint = perf_spec::did_you_mean(name, &names)
                .map(|s| format!("{s} "))
                .unwrap_or_default();
            Err(CliError::config(
                format!("{} has no profile `{name}`", path.display()),
                format!("{hint}the profiles are: {}", list(&names)),
            ))
        }
    }
}

/// The file being read, so every error names it and the line.
struct Located<'a> {
    path: &'a Path,
    text: &'a str,
}

type Table<'i> = DeTable<'i>;

impl Located<'_> {
    /// `file:line` of `span`'s start.
    fn at(&self, span: Range<usize>) -> String {
        let line = 1 + self.text[..span.start.min(self.text.len())]
            .matches('\n')
            .count();
        format!("{}:{line}", self.path.display())
    }

    fn error(&self, span: Range<usize>, message: String, help: String) -> CliError {
        CliError::config(format!("{}: {message}", self.at(span)), help)
    }

    /// An unknown key, found in `place` (` in [profile.ci]`; empty at the top level).
    fn unknown(
        &self,
        key: &Spanned<std::borrow::Cow<str>>,
        place: &str,
        known: &[&str],
    ) -> CliError {
        let word = key.get_ref();
        let hint = perf_spec::did_you_mean(word, known)
            .map(|s| format!("{s} "))
            .unwrap_or_default();
        self.error(
            key.span(),
            format!("unknown key `{word}`{place}"),
            format!("{hint}the known keys are: {}", list(known)),
        )
    }

    fn table<'v, 'i>(
        &self,
        value: &'v Spanned<DeValue<'i>>,
        what: &str,
    ) -> Result<&'v Table<'i>, CliError> {
        value.get_ref().as_table().ok_or_else(|| {
            self.error(
                value.span(),
                format!(
                    "`{what}` must be a table, not a {}",
                    value.get_ref().type_str()
                ),
                "write it as [profile] / [profile.NAME] with `key = value` lines under it".into(),
            )
        })
    }

    fn profile(&self, name: &str, table: &Table<'_>) -> Result<Profile, CliError> {
        let mut p = Profile {
            name: name.to_owned(),
            ..Profile::default()
        };
        for (key, value) in table {
            let bad = |expected: &str, why: String| {
                self.error(
                    value.span(),
                    format!("[profile.{name}] `{}`: {why}", key.get_ref()),
                    format!("write it as {expected}"),
                )
            };
            let text = scalar(value.get_ref());
            match key.get_ref().as_ref() {
                "processes" => {
                    let n = match value.get_ref() {
                        DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix()).ok(),
                        _ => None,
                    };
                    match n
                        .and_then(|n| u32::try_from(n).ok())
                        .filter(|n| (1..=100).contains(n))
                    {
                        Some(n) => p.processes = Some(n),
                        None => {
                            return Err(bad(
                                "an integer from 1 to 100, e.g. `processes = 10`",
                                format!("`{text}` is not 1 to 100 processes"),
                            ))
                        }
                    }
                }
                "threshold" => {
                    p.threshold = Some(percent(value).map_err(|e| bad(PERCENT, e))?);
                }
                "budget" => {
                    let v = (value.get_ref().as_str())
                        .ok_or("not a string".to_owned())
                        .and_then(args::parse_duration);
                    p.budget = Some(v.map_err(|e| bad("a duration, e.g. `budget = \"10m\"`", e))?);
                }
                "overrides" => {
                    let tables = match value.get_ref() {
                        DeValue::Array(a) => a.iter().collect::<Vec<_>>(),
                        _ => Vec::new(),
                    };
                    if tables.is_empty() {
                        let why = "not an array of tables".to_owned();
                        return Err(bad("[[profile.NAME.overrides]] tables", why));
                    }
                    for t in tables {
                        p.overrides.push(self.override_of(name, t)?);
                    }
                }
                "fail-on" => {
                    let v = value
                        .get_ref()
                        .as_str()
                        .ok_or("not a string".to_owned())
                        .and_then(args::parse_fail_on);
                    p.fail_on =
                        Some(v.map_err(|e| {
                            bad("a string, e.g. `fail-on = \"regression,error\"`", e)
                        })?);
                }
                "load-scale" => {
                    let v = match value.get_ref() {
                        DeValue::Float(_) | DeValue::Integer(_) => args::parse_load_scale(&text),
                        _ => Err("not a number".to_owned()),
                    };
                    p.load_scale =
                        Some(v.map_err(|e| bad("a positive number, e.g. `load-scale = 0.5`", e))?);
                }
                "machine" => match value.get_ref().as_str().filter(|s| !s.trim().is_empty()) {
                    Some(s) => p.machine = Some(s.to_owned()),
                    None => {
                        return Err(bad(
                            "a non-empty string, e.g. `machine = \"ci-runner\"`",
                            "not a machine id".into(),
                        ))
                    }
                },
                "instructions" => {
                    let v = value
                        .get_ref()
                        .as_str()
                        .ok_or("not a string".to_owned())
                        .and_then(args::parse_instructions);
                    p.instructions =
                        Some(v.map_err(|e| bad("one of \"auto\", \"hardware\", \"valgrind\"", e))?);
                }
                _ => return Err(self.unknown(key, &format!(" in [profile.{name}]"), KEYS)),
            }
        }
        Ok(p)
    }

    fn override_of(&self, name: &str, value: &Spanned<DeValue<'_>>) -> Result<Override, CliError> {
        let place = format!(" in [[profile.{name}.overrides]]");
        let table = self.table(value, &format!("profile.{name}.overrides"))?;
        let mut out = Override {
            filter: String::new(),
            threshold: None,
            limits: Vec::new(),
            at: self.at(value.span()),
        };
        for (key, v) in table {
            let bad = |expected: &str, why: String| {
                let what = format!("`{}`{place}: {why}", key.get_ref());
                self.error(v.span(), what, format!("write it as {expected}"))
            };
            match key.get_ref().as_ref() {
                "filter" => match v.get_ref().as_str().filter(|f| !f.is_empty()) {
                    Some(f) => {
                        out.filter = f.to_owned();
                        out.at = self.at(v.span());
                    }
                    None => return Err(bad("a test name or part of one", "not a filter".into())),
                },
                "threshold" => out.threshold = Some(percent(v).map_err(|e| bad(PERCENT, e))?),
                word => match Key::from_name(word) {
                    Some(k) => {
                        let limit = limit(k, v.get_ref()).map_err(|e| bad(HELP_LIMIT_SHORT, e))?;
                        out.limits.push((k, limit));
                    }
                    None => {
                        let keys = OVERRIDE_KEYS.iter().copied();
                        let known: Vec<&str> = keys.chain(Key::ALL.map(Key::name)).collect();
                        return Err(self.unknown(key, &place, &known));
                    }
                },
            }
        }
        if out.filter.is_empty() {
            let what = format!("an override{place} has no `filter`");
            return Err(self.error(value.span(), what, "add `filter = \"NAME\"`".into()));
        }
        Ok(out)
    }
}

const PERCENT: &str = "a percent string, e.g. `threshold = \"3%\"`";
const HELP_LIMIT_SHORT: &str =
    "a limit in the key's unit (`\"30ms\"`, `100`, `\"10MB\"`) or a multiple of the test's own (`\"2x\"`)";

/// A threshold key's value in an override: `"2x"` (a positive multiple) or a limit that the
/// key's unit parses, as a `PERF_<TEST>_<KEY>` value would be.
fn limit(key: Key, value: &DeValue<'_>) -> Result<Limit, String> {
    let text = match value {
        DeValue::String(_) | DeValue::Integer(_) | DeValue::Float(_) => scalar(value),
        other => return Err(format!("not a string or number but a {}", other.type_str())),
    };
    if let Some(n) = text.trim().strip_suffix('x') {
        return match n.trim().parse::<f64>() {
            Ok(n) if n.is_finite() && n > 0.0 => Ok(Limit::Times(n)),
            _ => Err(format!("`{text}` is not a positive multiple")),
        };
    }
    key.unit()
        .parse(&text)
        .map(Limit::Value)
        .map_err(|e| e.to_string())
}

/// A `threshold` value: a percent string.
fn percent(value: &Spanned<DeValue<'_>>) -> Result<f64, String> {
    (value.get_ref().as_str())
        .ok_or("not a string".to_owned())
        .and_then(args::parse_percent)
}

/// A scalar's TOML text, for error messages.
fn scalar(value: &DeValue<'_>) -> String {
    match value {
        DeValue::String(s) => s.to_string(),
        DeValue::Integer(i) => i.as_str().to_owned(),
        DeValue::Float(f) => f.as_str().to_owned(),
        DeValue::Boolean(b) => b.to_string(),
        other => other.type_str().to_owned(),
    }
}

fn list(names: &[&str]) -> String {
    if names.is_empty() {
        "(none)".into()
    } else {
        names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE_TEXT: &str = "\
[profile.default]
threshold = \"5%\"

[profile.ci]
processes = 10
budget = \"10m\"
threshold = \"3%\"
fail-on = \"regression,error\"
load-scale = 0.5
machine = \"ci-runner\"
instructions = \"hardware\"
";

    fn parsed(text: &str, chosen: Option<&str>) -> Result<Profile, CliError> {
        parse(Path::new("ws/.config/perf.toml"), text, chosen)
    }

    #[test]
    fn every_key_of_the_chosen_profile_is_read() {
        let ci = parsed(FILE_TEXT, Some("ci")).unwrap();
        assert_eq!(ci.name, "ci");
        assert_eq!(ci.processes, Some(10));
        assert_eq!(ci.budget, Some(Duration::from_secs(600)));
        assert!((ci.threshold.unwrap() - 0.03).abs() < 1e-12);
        let fail_on = ci.fail_on.unwrap();
        assert!(fail_on.regression && fail_on.error && !fail_on.threshold);
        assert_eq!(ci.load_scale, Some(0.5));
        assert_eq!(ci.machine.as_deref(), Some("ci-runner"));
        assert_eq!(ci.instructions, Some(InstructionsArg::Hardware));
    }

    #[test]
    fn default_is_used_when_none_is_chosen_and_may_be_absent() {
        let d = parsed(FILE_TEXT, None).unwrap();
        assert_eq!((d.name.as_str(), d.processes), ("default", None));
        assert!((d.threshold.unwrap() - 0.05).abs() < 1e-12);
        let empty = parsed("[profile.ci]\nprocesses = 3\n", None).unwrap();
        assert_eq!(
            empty,
            Profile {
                name: "default".into(),
                ..Profile::default()
            }
        );
    }

    #[test]
    fn a_typo_names_the_file_the_line_and_the_key_it_meant() {
        // The typo is in `ci`, which is not the chosen profile: it still fails.
        let text = "[profile.ci]\nprocesses = 4\nthreshhold = \"3%\"\n";
        let e = parsed(text, None).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(
            e.message().starts_with("ws/.config/perf.toml:3: "),
            "{}",
            e.message()
        );
        assert!(
            e.message()
                .ends_with("unknown key `threshhold` in [profile.ci]"),
            "{}",
            e.message()
        );
        assert!(
            e.help().contains("did you mean `threshold`?"),
            "{}",
            e.help()
        );
    }

    #[test]
    fn bad_values_and_unknown_profiles_are_config_errors() {
        for (text, line) in [
            ("[profile.ci]\nprocesses = 0\n", 2),
            ("[profile.ci]\n\nprocesses = \"ten\"\n", 3),
            ("[profile.ci]\nthreshold = \"lots\"\n", 2),
            ("[profile.ci]\nfail-on = \"sometimes\"\n", 2),
            ("[profile.ci]\nload-scale = -1\n", 2),
            ("[profile.ci]\ninstructions = \"always\"\n", 2),
            ("[profile.ci]\nbudget = \"soon\"\n", 2),
            ("[profil.ci]\n", 1),
            ("[profile]\nci = 3\n", 2),
            ("[profile.ci\n", 1),
        ] {
            let e = parsed(text, None).unwrap_err();
            let prefix = format!("ws/.config/perf.toml:{line}: ");
            assert!(
                e.message().starts_with(&prefix),
                "{text:?}: {}",
                e.message()
            );
        }
        let e = parsed(FILE_TEXT, Some("cj")).unwrap_err();
        assert!(e.message().contains("no profile `cj`"), "{}", e.message());
        assert!(
            e.help().starts_with("did you mean `ci`? the profiles"),
            "{}",
            e.help()
        );
    }

    #[test]
    fn overrides_set_thresholds_by_filter_and_a_filter_matching_nothing_names_its_line() {
        let text = "\
[profile.ci]
threshold = \"3%\"

[[profile.ci.overrides]]
filter = \"api::\"
threshold = \"10%\"

[[profile.ci.overrides]]
filter = \"api::slow\"
threshold = \"20%\"
";
        let ci = parsed(text, Some("ci")).unwrap();
        assert_eq!(ci.overrides.len(), 2);
        assert_eq!(ci.overrides[0].at, "ws/.config/perf.toml:5");
        let mut parse = info("parse", Vec::new());
        parse.noise = Some(0.07);
        let tests = vec![
            info("api::get", Vec::new()),
            info("api::slow", Vec::new()),
            parse,
        ];
        let mut listed = vec![tests];
        let envs = apply(&ci.overrides, &mut listed, |_| false, true).unwrap();
        assert!(envs[0].is_empty(), "no limits: no variables");
        let noise: Vec<_> = listed[0].iter().map(|t| t.noise).collect();
        assert_eq!(noise[0], Some(0.10));
        assert_eq!(noise[1], Some(0.20), "the later override wins");
        assert_eq!(noise[2], Some(0.07), "untouched");

        let mut other = vec![vec![info("api_get", Vec::new()), info("parse", Vec::new())]];
        assert!(
            apply(&ci.overrides, &mut other, |_| false, false).is_ok(),
            "unchecked"
        );
        let e = apply(&ci.overrides, &mut other, |_| false, true).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(
            e.message()
                .starts_with("ws/.config/perf.toml:5: override filter `api::`"),
            "{}",
            e.message()
        );

        let typo = "[[profile.ci.overrides]]\nfilter = \"api\"\nthreshhold = \"9%\"\n";
        let e = parsed(typo, None).unwrap_err();
        assert!(
            e.message().starts_with("ws/.config/perf.toml:3: "),
            "{}",
            e.message()
        );
        assert!(
            e.help().starts_with("did you mean `threshold`?"),
            "{}",
            e.help()
        );
        let e = parsed("[[profile.ci.overrides]]\nthreshold = \"9%\"\n", None).unwrap_err();
        assert!(e.message().contains("no `filter`"), "{}", e.message());
    }

    fn info(name: &str, thresholds: Vec<threshold::Threshold>) -> TestInfo {
        TestInfo {
            name: name.into(),
            kind: crate::protocol::TestKind::Bench,
            tags: Vec::new(),
            ignored: false,
            file: String::new(),
            line: 0,
            thresholds,
            threshold_error: None,
            timeout_ns: None,
            noise: None,
            ratios: Vec::new(),
        }
    }

    #[test]
    fn override_limits_become_the_variables_a_user_would_set() {
        let text = "\
[[profile.ci.overrides]]
filter = \"api::\"
p99 = \"2x\"
throughput = \"2x\"

[[profile.ci.overrides]]
filter = \"api::slow\"
p99 = \"30ms\"
allocs = 10
";
        let ci = parsed(text, Some("ci")).unwrap();
        assert_eq!(
            ci.overrides[0].limits,
            [
                (Key::P99, Limit::Times(2.0)),
                (Key::Throughput, Limit::Times(2.0))
            ]
        );
        assert_eq!(
            ci.overrides[1].limits,
            [
                (Key::Allocs, Limit::Value(10.0)),
                (Key::P99, Limit::Value(30e6))
            ]
        );
        let limit = |key, op, value| threshold::Threshold { key, op, value };
        let get = vec![
            limit(Key::P99, Op::Lt, 1e6),
            limit(Key::Throughput, Op::Ge, 500.0),
        ];
        let mut listed = vec![
            vec![info("api::get", get), info("parse", Vec::new())],
            vec![info("api::slow", vec![limit(Key::P99, Op::Le, 5e6)])],
        ];
        let envs = apply(&ci.overrides, &mut listed, |_| false, true).unwrap();
        assert_eq!(envs[0]["PERF_API_GET_P99"], "2000000ns");
        assert_eq!(
            envs[0]["PERF_API_GET_THROUGHPUT"], "250",
            "a floor loosens downwards"
        );
        assert_eq!(envs[0].len(), 2, "parse is not matched");
        assert_eq!(
            envs[1]["PERF_API_SLOW_P99"], "30000000ns",
            "the later override wins"
        );
        assert_eq!(envs[1]["PERF_API_SLOW_ALLOCS"], "10");
        assert_eq!(listed[0][0].thresholds[0].value, 2e6);
        assert_eq!(listed[1][0].thresholds[0].value, 30e6);
        assert_eq!(
            listed[1][0].thresholds[1],
            limit(Key::Allocs, Op::Le, 10.0),
            "added"
        );
        // Every variable parses back, with the runtime's own parser, to the limit it carries.
        for (var, value) in envs.iter().flatten() {
            let key = threshold::override_keys()
                .into_iter()
                .find(|k| var.ends_with(&format!("_{}", k.name.to_ascii_uppercase())))
                .unwrap();
            key.unit.parse(value).unwrap();
        }

        // The user's own variable wins.
        let user = |v: &str| v == "PERF_API_GET_P99";
        let envs = apply(&ci.overrides, &mut listed.clone(), user, true);
        assert!(!envs.unwrap()[0].contains_key("PERF_API_GET_P99"));

        // A multiple of a limit no matched test has is an error naming the line.
        let mut bare = vec![vec![info("api::get", Vec::new())]];
        let e = apply(&ci.overrides[..1], &mut bare, |_| false, true).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.message().starts_with("ws/.config/perf.toml:2: "), "{e}");
        assert!(
            e.message().contains("no test it matches has a `p99` limit"),
            "{e}"
        );
    }

    #[test]
    fn an_unknown_or_malformed_override_key_names_its_line() {
        let typo = "[[profile.ci.overrides]]\nfilter = \"api\"\np98 = \"2x\"\n";
        let e = parsed(typo, None).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(
            e.message()
                .starts_with("ws/.config/perf.toml:3: unknown key `p98`"),
            "{e}"
        );
        assert!(e.help().starts_with("did you mean"), "{}", e.help());
        assert!(
            e.help().contains("`p99`") && e.help().contains("`allocs`"),
            "{}",
            e.help()
        );
        for bad in ["\"fast\"", "\"-2x\"", "\"0x\"", "\"30\"", "true"] {
            let text = format!("[[profile.ci.overrides]]\nfilter = \"api\"\n\np99 = {bad}\n");
            let e = parsed(&text, None).unwrap_err();
            assert!(
                e.message().starts_with("ws/.config/perf.toml:4: "),
                "{bad}: {e}"
            );
        }
    }

    fn command(argv: &[&str]) -> args::Command {
        let argv = argv.iter().map(std::ffi::OsString::from);
        args::parse(argv).unwrap().unwrap().command
    }

    #[test]
    fn ab_pre_commit_and_compare_take_the_settings_they_have_and_flags_win() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(".config")).unwrap();
        // Without `instructions`: `plan()` would refuse hardware counters this machine lacks.
        let text = FILE_TEXT.replace("instructions = \"hardware\"\n", "");
        std::fs::write(dir.path().join(FILE), text).unwrap();
        let args::Command::Ab(ab) = command(&["cargo-perf", "ab", "main", "--perf-profile", "ci"])
        else {
            panic!("not ab")
        };
        let (ab, p) = effective(&ab, dir.path()).unwrap();
        assert_eq!(p.unwrap().name, "ci");
        let plan = ab.plan().unwrap();
        assert_eq!(plan.budget, Duration::from_secs(600));
        assert!((plan.threshold - 0.03).abs() < 1e-12);
        assert_eq!(plan.processes.load_scale, Some(0.5));
        assert_eq!(ab.results.machine.as_deref(), Some("ci-runner"));

        let args::Command::Ab(ab) = command(&[
            "cargo-perf",
            "ab",
            "main",
            "--perf-profile",
            "ci",
            "--budget",
            "1m",
            "--threshold",
            "9",
        ]) else {
            panic!("not ab")
        };
        let plan = effective(&ab, dir.path()).unwrap().0.plan().unwrap();
        assert_eq!(plan.budget, Duration::from_secs(60), "the flag wins");
        assert!((plan.threshold - 0.09).abs() < 1e-12, "the flag wins");

        // `--pre-commit`'s own short budget and 5 % are defaults a profile fills over.
        let args::Command::Run(run) = command(&["cargo-perf", "--pre-commit"]) else {
            panic!("not run")
        };
        let (pre, p) = effective(&run.pre_commit_ab(), dir.path()).unwrap();
        assert_eq!(p.unwrap().name, "default");
        let plan = pre.plan().unwrap();
        assert_eq!(plan.budget, args::PRE_COMMIT_BUDGET);
        assert!((plan.threshold - 0.05).abs() < 1e-12, "default's 5%");

        let args::Command::Compare(c) = command(&["cargo-perf", "compare", "--perf-profile=ci"])
        else {
            panic!("not compare")
        };
        let (c, _) = effective(&c, dir.path()).unwrap();
        assert!((c.verdict.threshold.unwrap() - 0.03).abs() < 1e-12);
        assert_eq!(c.store.machine.as_deref(), Some("ci-runner"));
        assert!(c.verdict.fail_on.unwrap().regression);
    }

    #[test]
    fn a_chosen_profile_without_a_file_is_an_error_and_no_file_is_no_profile() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load(dir.path(), None).unwrap(), None);
        let e = load(dir.path(), Some("ci")).unwrap_err();
        assert!(e.message().contains("does not exist"), "{}", e.message());
    }
}
