//! Unit-bearing literals of the attribute ("2ms", "10MB", "5%") turned into base units.
//!
//! The runtime has its own parser for `PERF_<TEST>_<KEY>` overrides (`cargo_perf::threshold`);
//! this one runs at compile time, so the accepted spellings must stay the same as there.

/// The spelling of accepted time units, for error messages.
pub const TIME_UNITS: &str = "ns, us (or µs), ms, s";
/// The spelling of accepted size units, for error messages.
pub const SIZE_UNITS: &str = "B, KB, MB, GB, KiB, MiB, GiB";

/// Split `"1.5ms"` into `("1.5", "ms")`.
fn split_unit(text: &str) -> (&str, &str) {
    let text = text.trim();
    let idx = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))
        .unwrap_or(text.len());
    (&text[..idx], text[idx..].trim())
}

/// A non-negative finite number, `_` separators allowed.
pub fn number(text: &str) -> Result<f64, String> {
    let cleaned: String = text.trim().chars().filter(|c| *c != '_').collect();
    match cleaned.parse::<f64>() {
        Ok(n) if n.is_finite() && n >= 0.0 => Ok(n),
        _ => Err(format!("expected a non-negative number, found {text:?}")),
    }
}

/// `"250us"`, `"2ms"`, `"1.5s"`, `"40ns"` into nanoseconds.
pub fn duration_ns(text: &str) -> Result<f64, String> {
    let (num, unit) = split_unit(text);
    let scale = match unit {
        "ns" => 1.0,
        "us" | "µs" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        "" => {
            return Err(format!(
                "{text:?} has no time unit; write it like \"2ms\" (units: {TIME_UNITS})"
            ))
        }
        other => {
            return Err(format!(
                "unknown time unit {other:?}; accepted units: {TIME_UNITS}"
            ))
        }
    };
    if num.is_empty() {
        return Err(format!(
            "{text:?} has no number; write it like \"2ms\" (units: {TIME_UNITS})"
        ));
    }
    scaled(text, number(num)?, scale)
}

/// `"10MB"`, `"512KiB"`, `"100B"` (or a bare `"100"`) into bytes; KB = 1000, KiB = 1024.
pub fn bytes(text: &str) -> Result<f64, String> {
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
                "unknown size unit {other:?}; accepted units: {SIZE_UNITS}"
            ))
        }
    };
    if num.is_empty() {
        return Err(format!(
            "{text:?} has no number; write it like \"10MB\" (units: {SIZE_UNITS})"
        ));
    }
    scaled(text, number(num)?, scale)
}

/// `n * scale`, unless that leaves the finite numbers (a 300-digit limit): an infinite limit
/// cannot be written into the protocol's JSON.
fn scaled(text: &str, n: f64, scale: f64) -> Result<f64, String> {
    let v = n * scale;
    if v.is_finite() {
        Ok(v)
    } else {
        Err(format!("{text:?} is too large"))
    }
}

/// `"5%"` or `"99.5%"` into a percentage in 0..=100; the `%` sign is required.
pub fn percent_string(text: &str) -> Result<f64, String> {
    let Some(num) = text.trim().strip_suffix('%') else {
        return Err(match number(text) {
            Ok(_) => format!("{text:?} needs a % sign: write \"{}%\"", text.trim()),
            Err(_) => format!("{text:?} is not a percentage; write it like \"5%\""),
        });
    };
    in_percent_range(number(num)?)
}

/// Accept `n` only when it is a valid percentage.
pub fn in_percent_range(n: f64) -> Result<f64, String> {
    if (0.0..=100.0).contains(&n) {
        Ok(n)
    } else {
        Err(format!("{n} is not a percentage between 0 and 100"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_convert_to_nanoseconds() {
        assert_eq!(duration_ns("40ns").unwrap(), 40.0);
        assert_eq!(duration_ns("250us").unwrap(), 250e3);
        assert_eq!(duration_ns("250µs").unwrap(), 250e3);
        assert_eq!(duration_ns("2ms").unwrap(), 2e6);
        assert_eq!(duration_ns("1.5s").unwrap(), 1.5e9);
        assert_eq!(duration_ns("1_000ns").unwrap(), 1000.0);
    }

    #[test]
    fn durations_without_or_with_unknown_units_are_rejected() {
        assert!(duration_ns("2").unwrap_err().contains("no time unit"));
        let err = duration_ns("2min").unwrap_err();
        assert!(err.contains("\"min\"") && err.contains(TIME_UNITS), "{err}");
        assert!(duration_ns("ms").unwrap_err().contains("no number"));
        assert!(duration_ns("1.2.3ms").is_err());
    }

    #[test]
    fn sizes_convert_to_bytes() {
        assert_eq!(bytes("100").unwrap(), 100.0);
        assert_eq!(bytes("100B").unwrap(), 100.0);
        assert_eq!(bytes("10MB").unwrap(), 1e7);
        assert_eq!(bytes("1KiB").unwrap(), 1024.0);
        assert_eq!(bytes("2GiB").unwrap(), 2.0 * 1024.0 * 1024.0 * 1024.0);
        let err = bytes("10mb").unwrap_err();
        assert!(err.contains(SIZE_UNITS), "{err}");
    }

    #[test]
    fn percentages_need_the_sign_and_the_range() {
        assert_eq!(percent_string("5%").unwrap(), 5.0);
        assert_eq!(percent_string("99.5%").unwrap(), 99.5);
        assert!(percent_string("5").unwrap_err().contains("write \"5%\""));
        assert!(percent_string("abc")
            .unwrap_err()
            .contains("not a percentage"));
        assert!(percent_string("101%").is_err());
        assert!(in_percent_range(100.0).is_ok());
        assert!(in_percent_range(100.1).is_err());
    }
}
