//! Meaning of the attribute: which keys exist, what each accepts, and which function shapes
//! can be perf tests. Produces a [`Spec`] in base units, or every error found at once.

use quote::ToTokens;
use syn::ext::IdentExt;
use syn::{Expr, Ident, ItemFn, Lit, LitStr, Path};

use crate::errors::Errors;
use crate::parse::{AttrArgs, Item, OpKind, Scope, ScopeArg};
use crate::shape::check_shape;
pub use crate::shape::Kind;
use perf_spec::{Key, Op, Ratio, Setting, ATTRIBUTE_KEYS, SIZE_UNITS, TIME_UNITS};

/// What the expansion needs, every value already in its base unit.
pub struct Spec {
    pub krate: Option<Path>,
    pub name: Option<String>,
    pub tags: Vec<String>,
    /// Empty when the function takes no argument.
    pub args: Vec<Arg>,
    pub timeout_ns: Option<u64>,
    /// `noise = "5%"` as the fraction 0.05.
    pub noise: Option<f64>,
    pub thresholds: Vec<Threshold>,
    /// Limits the harness checks (scoped keys, recovery times, metrics, resources).
    pub limits: Vec<LimitSpec>,
    /// Ratios to other tests of the run, which `cargo perf` judges after it.
    pub ratios: Vec<RatioSpec>,
    pub kind: Kind,
}

/// `overhead("plain") <= "20%"`: mirrors `cargo_perf::__private::RatioLimit`.
pub struct RatioSpec {
    pub ratio: Ratio,
    pub other: String,
    pub op: Op,
    pub value: f64,
}

/// A limit the harness checks: mirrors `cargo_perf::limits::Limit`.
pub struct LimitSpec {
    pub figure: LimitFigure,
    pub name: Option<String>,
    pub op_name: Option<String>,
    pub stage: Option<String>,
    pub op: Op,
    pub value: f64,
}

/// Mirrors `cargo_perf::limits::Figure`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitFigure {
    Scoped(Key),
    RecoveryTime,
    Metric,
    Cpu,
    PeakRss,
}

impl LimitFigure {
    fn from_name(name: &str) -> Option<LimitFigure> {
        Some(match name {
            "recovery_time" => LimitFigure::RecoveryTime,
            "metric" => LimitFigure::Metric,
            "cpu" => LimitFigure::Cpu,
            "peak_rss" => LimitFigure::PeakRss,
            _ => return None,
        })
    }
}

pub struct Arg {
    pub expr: Expr,
    pub label: String,
}

pub struct Threshold {
    pub key: Key,
    pub op: Op,
    pub value: f64,
}

/// The operator of a threshold; `=` is not one.
fn threshold_op(op: OpKind) -> Option<Op> {
    match op {
        OpKind::Lt => Some(Op::Lt),
        OpKind::Le => Some(Op::Le),
        OpKind::Gt => Some(Op::Gt),
        OpKind::Ge => Some(Op::Ge),
        OpKind::Eq => None,
    }
}

/// Remove `#[ignore]` (with or without a reason) and say whether it was there.
pub fn take_ignore(func: &mut ItemFn) -> bool {
    let before = func.attrs.len();
    func.attrs.retain(|a| !a.path().is_ident("ignore"));
    func.attrs.len() != before
}

/// Check the attribute against the function and build the spec.
pub fn check(args: AttrArgs, func: &ItemFn) -> syn::Result<Spec> {
    let mut errors = Errors::default();
    let shape = check_shape(func, &mut errors);
    let mut spec = Spec {
        krate: None,
        name: None,
        tags: Vec::new(),
        args: Vec::new(),
        timeout_ns: None,
        noise: None,
        thresholds: Vec::new(),
        limits: Vec::new(),
        ratios: Vec::new(),
        kind: shape.kind.unwrap_or(Kind::Bench),
    };
    let mut seen: Vec<String> = Vec::new();
    let mut args_key: Option<Ident> = None;
    for item in args.items {
        let key_name = item.key.unraw().to_string();
        // `p95("read")` and `p95("write")` are different limits.
        let seen_as = match &item.scope {
            Some(s) => format!("{key_name}{}", s.tokens),
            None => key_name.clone(),
        };
        if seen.contains(&seen_as) {
            errors.spanned(
                &item.key,
                format!("duplicate key `{key_name}`; give each key at most once"),
            );
            continue;
        }
        seen.push(seen_as);
        if let Some(scope) = item.scope.as_ref().filter(|_| {
            Setting::from_name(&key_name).is_some()
                || matches!(
                    Key::from_name(&key_name),
                    Some(Key::Allocs | Key::AllocBytes | Key::RssGrowth)
                )
                || matches!(
                    LimitFigure::from_name(&key_name),
                    Some(LimitFigure::Cpu | LimitFigure::PeakRss)
                )
        }) {
            errors.spanned(
                scope,
                format!(
                    "`{key_name}` takes no `(..)`: only latency, throughput and success-rate \
                     keys take an operation or stage, like `p95(\"read\") < \"5ms\"`"
                ),
            );
            continue;
        }
        if let Some(ratio) = Ratio::from_name(&key_name) {
            spec.ratios.extend(check_ratio(ratio, &item, &mut errors));
            continue;
        }
        if let Some(figure) = LimitFigure::from_name(&key_name) {
            if let Some(l) = check_limit(figure, &key_name, &item, &mut errors) {
                spec.limits.push(l);
            }
            continue;
        }
        if let (Some(key), Some(scope)) = (Key::from_name(&key_name), item.scope.as_ref()) {
            if shape.kind == Some(Kind::Bench) {
                errors.spanned(
                    &item.key,
                    format!(
                        "`{key_name}(..)` limits one operation or stage of a load test; \
                         a benchmark has neither"
                    ),
                );
                continue;
            }
            let Some((name, op_name, stage)) = check_scope(&key_name, scope, &mut errors) else {
                continue;
            };
            if let Some(t) = check_threshold(key, &key_name, item, &mut errors) {
                spec.limits.push(LimitSpec {
                    figure: LimitFigure::Scoped(key),
                    name,
                    op_name,
                    stage,
                    op: t.op,
                    value: t.value,
                });
            }
            continue;
        }
        if let Some(setting) = Setting::from_name(&key_name) {
            if setting == Setting::Args {
                args_key = Some(item.key.clone());
            }
            check_setting(setting, item, &mut spec, &mut errors);
        } else if let Some(key) = Key::from_name(&key_name) {
            if key == Key::SuccessRate && shape.kind == Some(Kind::Bench) {
                errors.spanned(
                    &item.key,
                    "`success_rate` only applies to load tests (`fn f(load: &mut LoadTest)`); \
                     a benchmark has no failed operations",
                );
                continue;
            }
            if let Some(t) = check_threshold(key, &key_name, item, &mut errors) {
                spec.thresholds.push(t);
            }
        } else {
            errors.spanned(&item.key, unknown_key_message(&key_name));
        }
    }
    match (&args_key, &shape.arg_param) {
        (Some(key), None) if shape.kind.is_some() => errors.spanned(
            key,
            format!(
                "`args` needs a second parameter to receive each argument, \
                 like `fn {}(b: &mut {}, n: usize)`",
                func.sig.ident,
                spec.kind.type_name()
            ),
        ),
        (None, Some(param)) => errors.spanned(
            param,
            "this parameter needs values: add `args = [..]` to #[perf_test], \
             e.g. #[perf_test(args = [100, 10_000])], or remove the parameter",
        ),
        _ => {}
    }
    errors.into_result().map(|()| spec)
}

fn unknown_key_message(key: &str) -> String {
    let suggestion = perf_spec::did_you_mean(key, ATTRIBUTE_KEYS)
        .map(|s| s + " ")
        .unwrap_or_default();
    format!(
        "unknown key `{key}`; {suggestion}accepted keys: {}",
        ATTRIBUTE_KEYS.join(", ")
    )
}

/// Look through the invisible groups that `macro_rules!` wraps `$e:expr` fragments in.
fn strip_groups(expr: &Expr) -> &Expr {
    match expr {
        Expr::Group(g) => strip_groups(&g.expr),
        Expr::Paren(p) => strip_groups(&p.expr),
        other => other,
    }
}

fn lit(expr: &Expr) -> Option<&Lit> {
    match strip_groups(expr) {
        Expr::Lit(l) => Some(&l.lit),
        _ => None,
    }
}

fn lit_str(expr: &Expr) -> Option<&LitStr> {
    match lit(expr) {
        Some(Lit::Str(s)) => Some(s),
        _ => None,
    }
}

/// A bare key or one with the wrong operator: both are reported here so that the per-key
/// code only sees `key OP value`.
fn value_of<'a>(
    item: &'a Item,
    want_eq: bool,
    example: &str,
    errors: &mut Errors,
) -> Option<&'a Expr> {
    let key = &item.key;
    match (&item.op, &item.value) {
        (Some(op), Some(value)) => {
            if (op.kind == OpKind::Eq) == want_eq {
                Some(value)
            } else if want_eq {
                errors.spanned(
                    op,
                    format!("`{key}` is a setting and takes `=`, like `{example}`"),
                );
                None
            } else {
                errors.spanned(
                    op,
                    format!(
                        "`{key}` is a threshold and takes `<`, `<=`, `>` or `>=`, like `{example}`"
                    ),
                );
                None
            }
        }
        _ => {
            errors.spanned(key, format!("`{key}` needs a value, like `{example}`"));
            None
        }
    }
}

fn check_setting(setting: Setting, item: Item, spec: &mut Spec, errors: &mut Errors) {
    let Some(value) = value_of(&item, true, setting.example(), errors) else {
        return;
    };
    match setting {
        Setting::Name => match lit_str(value) {
            Some(s) if s.value().trim().is_empty() => errors.spanned(s, "`name` cannot be empty"),
            Some(s) => spec.name = Some(s.value()),
            None => errors.spanned(
                value,
                "`name` takes a string literal, like `name = \"cache_get\"`",
            ),
        },
        Setting::Tags => spec.tags = check_tags(value, errors),
        Setting::Args => spec.args = check_args(value, errors),
        Setting::Timeout => match lit_str(value) {
            Some(s) => match perf_spec::duration_ns(&s.value()) {
                Ok(ns) if ns >= 1.0 => spec.timeout_ns = Some(ns.round() as u64),
                Ok(_) => errors.spanned(s, "`timeout` must be longer than zero"),
                Err(e) => errors.spanned(s, format!("bad `timeout`: {e}")),
            },
            None => errors.spanned(
                value,
                format!(
                    "`timeout` takes a duration string, like `timeout = \"30s\"` (units: {})",
                    TIME_UNITS
                ),
            ),
        },
        Setting::Noise => match lit_str(value) {
            Some(s) => match perf_spec::percent_with_sign(&s.value()) {
                Ok(p) => spec.noise = Some(p / 100.0),
                Err(e) => errors.spanned(s, format!("bad `noise`: {e}")),
            },
            None => errors.spanned(
                value,
                "`noise` takes a percentage string, like `noise = \"5%\"`",
            ),
        },
        Setting::Crate => match strip_groups(value) {
            Expr::Path(p) if p.qself.is_none() && p.attrs.is_empty() => {
                spec.krate = Some(p.path.clone())
            }
            _ => errors.spanned(
                value,
                "`crate` takes the path of the cargo-perf crate, like `crate = cargo_perf`",
            ),
        },
    }
}

fn check_tags(value: &Expr, errors: &mut Errors) -> Vec<String> {
    let Expr::Array(array) = strip_groups(value) else {
        errors.spanned(
            value,
            "`tags` takes a list of strings, like `tags = [\"slow\"]`",
        );
        return Vec::new();
    };
    let mut tags: Vec<String> = Vec::new();
    for elem in &array.elems {
        let Some(s) = lit_str(elem) else {
            errors.spanned(elem, "a tag is a string literal, like \"slow\"");
            continue;
        };
        let tag = s.value();
        if tag.is_empty() || tag.chars().any(|c| c.is_whitespace() || c == ',') {
            errors.spanned(
                s,
                "a tag cannot be empty or contain spaces or commas (`--tag` takes it as a word)",
            );
        } else if tags.contains(&tag) {
            errors.spanned(s, format!("duplicate tag \"{tag}\""));
        } else {
            tags.push(tag);
        }
    }
    tags
}

fn check_args(value: &Expr, errors: &mut Errors) -> Vec<Arg> {
    let Expr::Array(array) = strip_groups(value) else {
        errors.spanned(
            value,
            "`args` takes a list of values, like `args = [100, 10_000]`",
        );
        return Vec::new();
    };
    if array.elems.is_empty() {
        errors.spanned(
            array,
            "`args = []` gives no test to run; list at least one value, or remove `args` \
             and the second parameter",
        );
        return Vec::new();
    }
    let mut out: Vec<Arg> = Vec::new();
    for elem in &array.elems {
        let label = arg_label(elem);
        if label.is_empty() {
            errors.spanned(
                elem,
                "this argument's label (the test name's `/arg` part) would be empty; \
                 use a non-empty value",
            );
        } else if let Some(first) = out.iter().find(|a| a.label == label) {
            errors.spanned(
                elem,
                format!(
                    "two arguments are both labelled `{label}` (the first is `{}`), \
                     so their tests would share a name; make every argument distinct",
                    first.expr.to_token_stream()
                ),
            );
        } else {
            out.push(Arg {
                expr: elem.clone(),
                label,
            });
        }
    }
    out
}

/// The `/arg` part of a test's name: literals by value (`10_000u32` is `10000`, `"abc"` is
/// `abc`), any other expression by its tokens without spaces.
pub fn arg_label(expr: &Expr) -> String {
    match lit(expr) {
        Some(Lit::Int(i)) => i.base10_digits().to_string(),
        Some(Lit::Float(f)) => f.base10_digits().to_string(),
        Some(Lit::Str(s)) => s.value(),
        Some(Lit::Char(c)) => c.value().to_string(),
        Some(Lit::Bool(b)) => b.value.to_string(),
        _ => expr
            .to_token_stream()
            .to_string()
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect(),
    }
}

/// A number literal's value, with the literal for error spans.
fn number(expr: &Expr) -> Option<(f64, bool)> {
    match lit(expr)? {
        Lit::Int(i) => i.base10_parse::<f64>().ok().map(|v| (v, true)),
        Lit::Float(f) => f.base10_parse::<f64>().ok().map(|v| (v, false)),
        _ => None,
    }
}

fn check_threshold(key: Key, key_name: &str, item: Item, errors: &mut Errors) -> Option<Threshold> {
    let example = key.example();
    let value = value_of(&item, false, &example, errors)?;
    // `value_of` has already rejected `=` on a threshold.
    let op = item.op.as_ref().and_then(|o| threshold_op(o.kind))?;
    let parsed: Result<f64, String> = match key {
        Key::P50 | Key::P90 | Key::P95 | Key::P99 | Key::P999 | Key::Mean | Key::Max => {
            match (lit_str(value), number(value)) {
                (Some(s), _) => perf_spec::duration_ns(&s.value()).map_err(String::from),
                (None, Some(_)) => Err(format!(
                    "`{key_name}` needs a unit: write the duration as a string, like `{example}` \
                     (units: {})",
                    TIME_UNITS
                )),
                _ => Err(format!(
                    "`{key_name}` takes a duration string, like `{example}` (units: {})",
                    TIME_UNITS
                )),
            }
        }
        Key::Throughput => match number(value) {
            Some((n, _)) => Ok(n),
            None => Err(format!(
                "`throughput` takes a number of operations (or iterations) per second, \
                 like `{example}`"
            )),
        },
        Key::Allocs | Key::AllocBytes | Key::Instructions => match number(value) {
            Some((n, true)) => Ok(n),
            Some((_, false)) => Err(format!(
                "`{key_name}` takes a whole number, like `{example}`"
            )),
            None => Err(format!(
                "`{key_name}` takes an integer (per iteration), like `{example}`"
            )),
        },
        Key::SuccessRate => match (lit_str(value), number(value)) {
            (Some(s), _) => perf_spec::percent_with_sign(&s.value()).map_err(String::from),
            (None, Some((n, _))) => perf_spec::in_percent_range(n).map_err(String::from),
            _ => Err(format!(
                "`success_rate` takes a percentage, like `{example}` or `success_rate >= \"99%\"`"
            )),
        },
        Key::RssGrowth => match (lit_str(value), number(value)) {
            (Some(s), _) => perf_spec::bytes(&s.value()).map_err(String::from),
            (None, Some((n, true))) => Ok(n),
            _ => Err(format!(
                "`rss_growth` takes a size string, like `{example}` (units: {})",
                SIZE_UNITS
            )),
        },
    };
    match parsed {
        Ok(value) => Some(Threshold { key, op, value }),
        Err(msg) => {
            errors.spanned(value, msg);
            None
        }
    }
}

/// A string-literal scope argument's value, or an error at it.
fn scope_string(arg: &ScopeArg, what: &str, example: &str, errors: &mut Errors) -> Option<String> {
    match lit_str(&arg.value) {
        Some(s) if !s.value().trim().is_empty() => Some(s.value()),
        Some(s) => {
            errors.spanned(s, format!("{what} cannot be empty"));
            None
        }
        None => {
            let hint = match strip_groups(&arg.value) {
                Expr::Path(p)
                    if arg.name.is_none()
                        && (p.path.is_ident("op") || p.path.is_ident("stage")) =>
                {
                    format!("write `{} = \"name\"`", p.path.to_token_stream())
                }
                _ => format!("write it like `{example}`"),
            };
            errors.spanned(&arg.value, format!("{what} is a string literal; {hint}"));
            None
        }
    }
}

type ScopeNames = (Option<String>, Option<String>, Option<String>);

/// `("read")`, `(op = "read")`, `(stage = "spike")` or `(op = "read", stage = "spike")`.
fn check_scope(key_name: &str, scope: &Scope, errors: &mut Errors) -> Option<ScopeNames> {
    let example = format!("{key_name}(\"read\")");
    if scope.args.is_empty() {
        errors.spanned(
            scope,
            format!(
                "`{key_name}()` names nothing: give an operation or stage, like `{example}` \
                 or `{key_name}(op = \"read\", stage = \"spike\")`"
            ),
        );
        return None;
    }
    let (mut name, mut op, mut stage) = (None, None, None);
    let mut ok = true;
    let positional = scope.args.iter().filter(|a| a.name.is_none()).count();
    if positional > 0 && scope.args.len() > 1 {
        errors.spanned(
            scope,
            format!(
                "give one name, like `{example}`, or name both parts: \
                 `{key_name}(op = \"read\", stage = \"spike\")`"
            ),
        );
        return None;
    }
    for arg in &scope.args {
        let value = scope_string(arg, "an operation or stage name", &example, errors);
        ok &= value.is_some();
        match arg.name.as_ref().map(|n| n.unraw().to_string()).as_deref() {
            None => name = value,
            Some("op") if op.is_none() => op = value,
            Some("stage") if stage.is_none() => stage = value,
            Some(n @ ("op" | "stage")) => {
                errors.spanned(&arg.name, format!("`{n}` is given twice"));
                ok = false;
            }
            Some(other) => {
                errors.spanned(
                    &arg.name,
                    format!(
                        "unknown scope `{other}`; a scope is `op = \"..\"` and/or `stage = \"..\"`"
                    ),
                );
                ok = false;
            }
        }
    }
    ok.then_some((name, op, stage))
}

/// `overhead("plain") <= "20%"`, `speedup("sequential") >= "3x"`: one test name, an operator
/// bounding the ratio the way it is meant, a percentage or a factor string.
fn check_ratio(ratio: Ratio, item: &Item, errors: &mut Errors) -> Option<RatioSpec> {
    let (key, example) = (ratio.name(), ratio.example());
    let other = match item.scope.as_ref().map(|s| (s, s.args.as_slice())) {
        None => {
            errors.spanned(
                &item.key,
                format!("`{key}` needs the name of the test it compares with, like `{example}`"),
            );
            None
        }
        Some((_, [arg])) if arg.name.is_none() => {
            scope_string(arg, "the other test's name", example, errors)
        }
        Some((scope, _)) => {
            errors.spanned(
                scope,
                format!("`{key}` takes one test name, like `{example}`"),
            );
            None
        }
    };
    let value = value_of(item, false, example, errors)?;
    let op = item.op.as_ref().and_then(|o| threshold_op(o.kind))?;
    if !ratio.accepts(op) {
        let bound = match ratio {
            Ratio::Overhead => "an upper bound (`<=` or `<`)",
            Ratio::Speedup => "a lower bound (`>=` or `>`)",
        };
        errors.spanned(
            item.op.as_ref(),
            format!("`{key}` is {bound}, like `{example}`"),
        );
        return None;
    }
    let parsed = match lit_str(value) {
        Some(s) => ratio.parse(&s.value()).map_err(|e| e.message().to_string()),
        None => Err(format!("`{key}` takes a string, like `{example}`")),
    };
    match (other, parsed) {
        (Some(other), Ok(value)) => Some(RatioSpec {
            ratio,
            other,
            op,
            value,
        }),
        (_, Err(msg)) => {
            errors.spanned(value, msg);
            None
        }
        (None, Ok(_)) => None,
    }
}

/// `recovery_time("outage") < "3s"`, `metric("hit_rate") >= 90`, `cpu < 150`,
/// `peak_rss < "200MB"`.
fn check_limit(
    figure: LimitFigure,
    key_name: &str,
    item: &Item,
    errors: &mut Errors,
) -> Option<LimitSpec> {
    let example = match figure {
        LimitFigure::RecoveryTime => "recovery_time(\"outage\") < \"3s\"",
        LimitFigure::Metric => "metric(\"hit_rate\") >= 90",
        LimitFigure::Cpu => "cpu < 150",
        LimitFigure::PeakRss => "peak_rss < \"200MB\"",
        LimitFigure::Scoped(_) => "p95(\"read\") < \"5ms\"",
    };
    let name = match figure {
        LimitFigure::RecoveryTime | LimitFigure::Metric => {
            let what = if figure == LimitFigure::Metric {
                "the metric's name"
            } else {
                "the fault's name"
            };
            match &item.scope {
                None => {
                    errors.spanned(
                        &item.key,
                        format!("`{key_name}` needs {what}, like `{example}`"),
                    );
                    return None;
                }
                Some(scope) => match scope.args.as_slice() {
                    [arg] if arg.name.is_none() => Some(scope_string(arg, what, example, errors)?),
                    _ => {
                        errors.spanned(
                            scope,
                            format!("`{key_name}` takes one name, like `{example}`"),
                        );
                        return None;
                    }
                },
            }
        }
        _ => None,
    };
    let value = value_of(item, false, example, errors)?;
    let op = item.op.as_ref().and_then(|o| threshold_op(o.kind))?;
    let parsed: Result<f64, String> = match figure {
        LimitFigure::RecoveryTime => match lit_str(value) {
            Some(s) => perf_spec::duration_ns(&s.value()).map_err(|e| e.message().to_string()),
            None => Err(format!(
                "`recovery_time` takes a duration string, like `{example}` (units: {})",
                TIME_UNITS
            )),
        },
        LimitFigure::Metric => match number(value) {
            Some((n, _)) => Ok(n),
            None => Err(format!("`metric(..)` takes a number, like `{example}`")),
        },
        LimitFigure::Cpu => match (lit_str(value), number(value)) {
            (Some(s), _) => match s.value().trim().strip_suffix('%') {
                Some(n) => perf_spec::number(n).map_err(|e| e.message().to_string()),
                None => Err(format!(
                    "`cpu` takes percent of one core, like `{example}` or `cpu < \"150%\"`"
                )),
            },
            (None, Some((n, _))) => Ok(n),
            _ => Err(format!(
                "`cpu` takes percent of one core (200 = two cores), like `{example}`"
            )),
        },
        LimitFigure::PeakRss => match (lit_str(value), number(value)) {
            (Some(s), _) => perf_spec::bytes(&s.value()).map_err(|e| e.message().to_string()),
            (None, Some((n, true))) => Ok(n),
            _ => Err(format!(
                "`peak_rss` takes a size string, like `{example}` (units: {})",
                SIZE_UNITS
            )),
        },
        LimitFigure::Scoped(_) => Err("unreachable".into()),
    };
    match parsed {
        Ok(value) => Some(LimitSpec {
            figure,
            name,
            op_name: None,
            stage: None,
            op,
            value,
        }),
        Err(msg) => {
            errors.spanned(value, msg);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(attr: &str, func: &str) -> syn::Result<Spec> {
        let args: AttrArgs = syn::parse_str(attr).unwrap();
        let func: ItemFn = syn::parse_str(func).unwrap();
        check(args, &func)
    }

    fn err(attr: &str, func: &str) -> String {
        match spec(attr, func) {
            Ok(_) => panic!("expected an error for #[perf_test({attr})] {func}"),
            Err(e) => e
                .into_iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }

    const BENCH: &str = "fn f(b: &mut Bencher) {}";
    const LOAD: &str = "fn f(load: &mut cargo_perf::LoadTest) {}";

    #[test]
    fn thresholds_convert_to_base_units() {
        let s = spec(
            r#"p99 < "20ms", mean <= "250us", max > "1s", p50 >= "40ns", throughput > 500,
               allocs <= 3, alloc_bytes <= 4096, rss_growth < "10MB", success_rate >= "99.5%""#,
            LOAD,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let got: Vec<(Key, Op, f64)> = s
            .thresholds
            .iter()
            .map(|t| (t.key, t.op, t.value))
            .collect();
        assert_eq!(
            got,
            [
                (Key::P99, Op::Lt, 20e6),
                (Key::Mean, Op::Le, 250e3),
                (Key::Max, Op::Gt, 1e9),
                (Key::P50, Op::Ge, 40.0),
                (Key::Throughput, Op::Gt, 500.0),
                (Key::Allocs, Op::Le, 3.0),
                (Key::AllocBytes, Op::Le, 4096.0),
                (Key::RssGrowth, Op::Lt, 1e7),
                (Key::SuccessRate, Op::Ge, 99.5),
            ]
        );
        assert_eq!(s.kind, Kind::Load);
    }

    #[test]
    fn settings_convert_to_base_units() {
        let s = spec(
            r#"name = "x", tags = ["slow", "io"], timeout = "1.5s", noise = "5%", crate = ::my::perf"#,
            BENCH,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.name.as_deref(), Some("x"));
        assert_eq!(s.tags, ["slow", "io"]);
        assert_eq!(s.timeout_ns, Some(1_500_000_000));
        assert_eq!(s.noise, Some(0.05));
        assert_eq!(
            s.krate.unwrap().to_token_stream().to_string(),
            ":: my :: perf"
        );
        assert_eq!(s.kind, Kind::Bench);
    }

    #[test]
    fn arg_labels_follow_literal_values() {
        let s = spec(
            r#"args = [10_000u32, 1.5f64, "abc", 'c', true, -1, Size::new(1, 2), (7)]"#,
            "fn f(b: &mut Bencher, n: T) {}",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let labels: Vec<&str> = s.args.iter().map(|a| a.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "10000",
                "1.5",
                "abc",
                "c",
                "true",
                "-1",
                "Size::new(1,2)",
                "7"
            ]
        );
    }

    #[test]
    fn errors_are_all_reported_at_once() {
        let e = err(
            r#"bogus = 1, p99 < 5, name = 3"#,
            "async fn f(b: &Bencher) -> u32 { 0 }",
        );
        for needle in [
            "unknown key `bogus`",
            "`p99` needs a unit",
            "`name` takes a string",
            "cannot be `async`",
            "by mutable reference: `&mut Bencher`",
            "returns `()`",
        ] {
            assert!(e.contains(needle), "missing {needle:?} in:\n{e}");
        }
    }

    #[test]
    fn misspelled_keys_get_a_suggestion() {
        assert!(err("alloc <= 1", BENCH).contains("did you mean `allocs`?"));
        assert!(err("tag = [\"x\"]", BENCH).contains("did you mean `tags`?"));
        assert!(err("succes_rate >= 99", LOAD).contains("did you mean `success_rate`?"));
        assert!(!err("x = 1", BENCH).contains("did you mean"));
        let e = err("zzzzzzzz = 1", BENCH);
        assert!(!e.contains("did you mean"), "{e}");
        assert!(e.contains("rss_growth"), "the list of keys is given: {e}");
    }

    #[test]
    fn key_and_kind_mismatches() {
        assert!(err("success_rate >= 99", BENCH).contains("only applies to load tests"));
        assert!(err("args = [1]", BENCH).contains("needs a second parameter"));
        assert!(err("", "fn f(b: &mut Bencher, n: u32) {}").contains("add `args = [..]`"));
        assert!(err("args = []", "fn f(b: &mut Bencher, n: u32) {}").contains("no test"));
        assert!(
            err("args = [1, 01]", "fn f(b: &mut Bencher, n: u32) {}").contains("both labelled `1`")
        );
    }

    #[test]
    fn operands_and_operators_are_checked() {
        assert!(err("throughput > \"fast\"", BENCH).contains("takes a number"));
        assert!(err("allocs <= 1.5", BENCH).contains("whole number"));
        assert!(err("success_rate >= 101", LOAD).contains("between 0 and 100"));
        assert!(err("rss_growth < \"10mb\"", BENCH).contains("unknown size unit"));
        assert!(err("p99 < \"2min\"", BENCH).contains("unknown time unit"));
        assert!(err("p99 = \"2ms\"", BENCH).contains("is a threshold"));
        assert!(err("name < \"x\"", BENCH).contains("is a setting"));
        assert!(err("timeout", BENCH).contains("needs a value"));
        assert!(err("noise = \"5\"", BENCH).contains("needs a % sign"));
        assert!(err("p99 < \"1ms\", p99 < \"2ms\"", BENCH).contains("duplicate key `p99`"));
    }

    #[test]
    fn scoped_and_new_keys_become_limits() {
        let s = spec(
            r#"p95("read") < "5ms", p99(op = "read", stage = "spike") <= "10ms",
               success_rate(stage = "spike") >= 90.0, recovery_time("outage") < "3s",
               metric("hit_rate") >= 90, cpu < 150, peak_rss < "200MB", p99 < "1s""#,
            LOAD,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        type Row<'a> = (
            LimitFigure,
            Option<&'a str>,
            Option<&'a str>,
            Option<&'a str>,
            f64,
        );
        let got: Vec<Row<'_>> = s
            .limits
            .iter()
            .map(|l| {
                (
                    l.figure,
                    l.name.as_deref(),
                    l.op_name.as_deref(),
                    l.stage.as_deref(),
                    l.value,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (LimitFigure::Scoped(Key::P95), Some("read"), None, None, 5e6),
                (
                    LimitFigure::Scoped(Key::P99),
                    None,
                    Some("read"),
                    Some("spike"),
                    10e6
                ),
                (
                    LimitFigure::Scoped(Key::SuccessRate),
                    None,
                    None,
                    Some("spike"),
                    90.0
                ),
                (LimitFigure::RecoveryTime, Some("outage"), None, None, 3e9),
                (LimitFigure::Metric, Some("hit_rate"), None, None, 90.0),
                (LimitFigure::Cpu, None, None, None, 150.0),
                (LimitFigure::PeakRss, None, None, None, 2e8),
            ]
        );
        assert_eq!(s.thresholds.len(), 1, "the unscoped p99 stays a threshold");
        assert!(spec(r#"p95("read") < "1ms", p95("write") < "2ms""#, LOAD).is_ok());
        assert!(spec(r#"metric("x") >= 1, cpu < "150%", peak_rss < 1000"#, BENCH).is_ok());
    }

    #[test]
    fn ratios_name_another_test_and_bound_the_right_way() {
        let s = spec(
            r#"overhead("plain") <= "20%", speedup("sequential") > "3x""#,
            BENCH,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let got: Vec<(Ratio, &str, Op, f64)> = s
            .ratios
            .iter()
            .map(|r| (r.ratio, r.other.as_str(), r.op, r.value))
            .collect();
        assert_eq!(
            got,
            [
                (Ratio::Overhead, "plain", Op::Le, 20.0),
                (Ratio::Speedup, "sequential", Op::Gt, 3.0)
            ]
        );
        assert!(err(r#"overhead(3) <= "20%""#, BENCH).contains("is a string literal"));
        assert!(err(r#"speedup("x") <= "3x""#, BENCH).contains("a lower bound"));
        assert!(err(r#"overhead("x") >= "3%""#, BENCH).contains("an upper bound"));
        assert!(err(r#"overhead <= "3%""#, BENCH).contains("needs the name"));
        assert!(err(r#"overhead("a", "b") <= "3%""#, BENCH).contains("one test name"));
        assert!(err(r#"overhead("a") <= "3""#, BENCH).contains("not a percentage"));
        assert!(err(r#"speedup("a") >= 3"#, BENCH).contains("takes a string"));
    }

    #[test]
    fn bad_scopes_are_spanned_errors() {
        assert!(err(r#"p95(7) < "1ms""#, LOAD).contains("is a string literal"));
        assert!(err(r#"p95(op) < "1ms""#, LOAD).contains("write `op = \"name\"`"));
        assert!(err(r#"p95(foo = "x") < "1ms""#, LOAD).contains("unknown scope `foo`"));
        assert!(err(r#"p95() < "1ms""#, LOAD).contains("names nothing"));
        assert!(err(r#"p95("a", stage = "b") < "1ms""#, LOAD).contains("give one name"));
        assert!(err(r#"recovery_time < "3s""#, LOAD).contains("needs the fault's name"));
        assert!(err(r#"recovery_time("x") < 3"#, LOAD).contains("duration string"));
        assert!(err(r#"metric < 3"#, LOAD).contains("needs the metric's name"));
        assert!(err(r#"cpu("x") < 3"#, LOAD).contains("takes no `(..)`"));
        assert!(err(r#"allocs("read") <= 3"#, LOAD).contains("takes no `(..)`"));
        assert!(err(r#"cpu < "fast""#, LOAD).contains("percent of one core"));
        assert!(err(r#"p95("read") < "1ms""#, BENCH).contains("a benchmark has neither"));
        assert!(err(r#"p95("a") < "1ms", p95("a") < "2ms""#, LOAD).contains("duplicate key"));
        assert!(err("cpus < 1", LOAD).contains("did you mean `cpu`?"));
    }

    #[test]
    fn shapes_are_checked() {
        assert!(err("", "fn f() {}").contains("takes `&mut Bencher`"));
        assert!(err("", "fn f(b: &Bencher) {}").contains("by mutable reference"));
        assert!(err("", "fn f(b: &mut Bencher, s: &Self) {}").contains("`impl` block"));
        assert!(err("", "fn f(&self) {}").contains("not a method"));
        assert!(err("", "fn f<T>(b: &mut Bencher) {}").contains("cannot be generic"));
        assert!(err("", "unsafe fn f(b: &mut Bencher) {}").contains("unsafe"));
        assert!(err("", "fn f(b: &mut Bencher, n: u32, m: u32) {}").contains("at most two"));
        assert!(err("", "fn f(b: &mut Vec<u8>) {}").contains("first parameter"));
        assert!(spec("", "fn f(b: &mut cargo_perf::Bencher) -> () {}").is_ok());
    }
}
