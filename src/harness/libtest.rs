//! `cargo test` (smoke) and `cargo bench` (measured, with a table) through libtest-mimic, so
//! filters, `--exact`, `--skip`, `--list`, `--ignored` and nextest all work as usual.

use std::sync::{Arc, Mutex};

use libtest_mimic::{Arguments, Failed, Trial};

use super::exec::{describe_failure, run_case};
use crate::format;
use crate::protocol::{Outcome, RunResult, Settings};
use crate::registry::{self, Case};
use crate::threshold::ThresholdCheck;

type Collected = Arc<Mutex<Vec<(RunResult, Vec<ThresholdCheck>)>>>;

pub(crate) fn run() {
    let mut args = Arguments::from_args();
    let measured = args.bench;
    if measured {
        // Benchmarks measured side by side would disturb each other.
        args.test_threads = Some(1);
    }
    let collected: Collected = Arc::default();
    let trials = registry::cases()
        .into_iter()
        .map(|case| {
            let ignored = case.entry.ignore;
            let trial = if measured {
                let sink = Arc::clone(&collected);
                Trial::bench(case.name(), move |test_mode| {
                    if test_mode {
                        smoke(case).map(|()| None)
                    } else {
                        bench(case, &sink)
                    }
                })
            } else {
                Trial::test(case.name(), move || smoke(case))
            };
            trial.with_ignored_flag(ignored)
        })
        .collect();
    let conclusion = libtest_mimic::run(&args, trials);
    if measured && !args.list {
        print_table(&collected.lock().unwrap_or_else(|e| e.into_inner()));
    }
    conclusion.exit();
}

/// One short pass: correctness only, thresholds not enforced.
fn smoke(case: Case) -> Result<(), Failed> {
    let result = run_case(case, Settings::smoke());
    match describe_failure(&result.outcome) {
        None => Ok(()),
        Some(message) => Err(message.into()),
    }
}

/// One measured process-worth of samples; thresholds are enforced.
fn bench(case: Case, sink: &Collected) -> Result<Option<libtest_mimic::Measurement>, Failed> {
    let thresholds = case.thresholds().map_err(Failed::from)?;
    let result = run_case(case, Settings::measured(1, 0, false));
    if let Some(message) = describe_failure(&result.outcome) {
        return Err(message.into());
    }
    let Some(m) = result.measurement.as_ref() else {
        return Err("the test produced no measurement".into());
    };
    let mut checks: Vec<ThresholdCheck> = thresholds.iter().map(|t| t.check(&m.metrics)).collect();
    checks.extend(m.checks.iter().cloned());
    let center = m.metrics.median_ns.or(m.metrics.p50_ns).unwrap_or(0.0);
    let spread = m
        .bench
        .as_ref()
        .map(|b| (b.median_ci_ns[1] - b.median_ci_ns[0]) / 2.0)
        .unwrap_or(0.0);
    let failed: Vec<String> = checks
        .iter()
        .filter(|c| !c.passed)
        .map(ThresholdCheck::to_string)
        .collect();
    sink.lock()
        .unwrap_or_else(|e| e.into_inner())
        .push((result.clone(), checks));
    if !failed.is_empty() {
        return Err(format!("threshold failed: {}", failed.join(", ")).into());
    }
    Ok(Some(libtest_mimic::Measurement {
        avg: center.round() as u64,
        variance: spread.round() as u64,
    }))
}

fn print_table(rows: &[(RunResult, Vec<ThresholdCheck>)]) {
    if rows.is_empty() {
        return;
    }
    let width = rows
        .iter()
        .map(|(r, _)| r.name.len())
        .max()
        .unwrap_or(4)
        .max(4);
    println!();
    println!(
        "{:<width$}  {:>12}  {:>25}  {:>12}  thresholds",
        "test", "median", "95% CI", "throughput"
    );
    for (r, checks) in rows {
        let Some(m) = &r.measurement else { continue };
        let median = m.metrics.median_ns.or(m.metrics.p50_ns);
        let ci = m
            .bench
            .as_ref()
            .map(|b| {
                format!(
                    "[{} .. {}]",
                    format::duration_ns(b.median_ci_ns[0]),
                    format::duration_ns(b.median_ci_ns[1])
                )
            })
            .unwrap_or_default();
        let tput = m
            .metrics
            .throughput_per_sec
            .map(format::rate)
            .unwrap_or_default();
        let passed = checks.iter().filter(|c| c.passed).count();
        let th = if checks.is_empty() {
            "-".to_string()
        } else {
            format!("{passed}/{} ok", checks.len())
        };
        println!(
            "{:<width$}  {:>12}  {:>25}  {:>12}  {th}",
            r.name,
            median.map(format::duration_ns).unwrap_or_default(),
            ci,
            tput
        );
        if let Outcome::Failed { message } = &r.outcome {
            println!("    {message}");
        }
    }
}
