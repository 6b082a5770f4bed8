//! `cargo perf --load-scale F` and the `PERF_<TEST>_CONCURRENCY/_RATE/_DURATION` variables:
//! checked before any test runs (exit 2), then handed to the harness with each request.

use super::errors::CliError;
use super::runner::Planned;
use crate::protocol::TestKind;

/// `--load-scale F`: a positive, finite factor.
pub fn parse_scale(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(f) if f.is_finite() && f > 0.0 => Ok(f),
        _ => Err(format!(
            "`{text}` is not a positive factor (write e.g. `0.1` for a tenth of every duration and rate)"
        )),
    }
}

/// Refuses a malformed load-parameter variable of any planned load test.
pub fn check(plan: &[Planned<'_>]) -> Result<(), CliError> {
    for p in plan.iter().filter(|p| p.info.kind == TestKind::Load) {
        crate::load::check_env(&p.info.name, |v| std::env::var(v).ok()).map_err(|e| {
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

    #[test]
    fn the_environment_check_knows_every_load_parameter() {
        let keys = crate::threshold::override_keys();
        for k in crate::load::LOAD_PARAMETER_KEYS {
            assert!(keys.iter().any(|o| o.name == k), "{k}");
        }
        let known = crate::cli::overrides::Known::new(["svc/mixed"]);
        assert!(matches!(
            known.read("PERF_SVC_MIXED_DURATION", Some("30s")),
            crate::cli::overrides::Reading::Override { .. }
        ));
        assert!(matches!(
            known.read("PERF_SVC_MIXED_DURATION", Some("30")),
            crate::cli::overrides::Reading::Malformed { .. }
        ));
    }

    #[test]
    fn scales_must_be_positive_numbers() {
        assert_eq!(parse_scale("0.1"), Ok(0.1));
        for bad in ["0", "-1", "fast", "inf", ""] {
            assert!(parse_scale(bad).is_err(), "{bad}");
        }
    }
}
