//! Runs one test case on its own thread: catches panics, enforces `timeout`, times the run.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::limits::{self, Figure};
use crate::load::resources::ProcCpu;
use crate::load::LoadTest;
use crate::measure::Bencher;
use crate::memory::watch::{MemoryReport, MemoryWatch};
use crate::metrics::{CustomMetric, Direction};
use crate::protocol::{Measurement, Outcome, RunResult, Settings};
use crate::registry::{Case, TestFn};

/// Stack for the test thread: as large as a main thread's, so deep recursion behaves as in `main`.
const TEST_STACK_BYTES: usize = 8 << 20;

/// Run `case` once with `settings`. Never panics: a panicking or hanging body is an outcome.
pub(crate) fn run_case(case: Case, settings: Settings) -> RunResult {
    let name = case.name();
    let started = Instant::now();
    let (tx, rx) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name(name.clone())
        .stack_size(TEST_STACK_BYTES)
        .spawn(move || {
            let result = catch_unwind(AssertUnwindSafe(|| body(case, settings)));
            let _ = tx.send(result);
        });
    let outcome_and_measurement = match spawned {
        Err(e) => (
            Outcome::Failed {
                message: format!("could not start the test thread: {e}"),
            },
            None,
        ),
        Ok(_handle) => {
            let received = match case.entry.timeout_ns {
                Some(ns) => rx
                    .recv_timeout(Duration::from_nanos(ns))
                    .map_err(|e| match e {
                        mpsc::RecvTimeoutError::Timeout => Some(ns),
                        mpsc::RecvTimeoutError::Disconnected => None,
                    }),
                None => rx.recv().map_err(|_| None),
            };
            match received {
                Ok(Ok(Ok(m))) => (Outcome::Passed, Some(m)),
                Ok(Ok(Err(message))) => (Outcome::Failed { message }, None),
                Ok(Err(payload)) => (
                    Outcome::Failed {
                        message: panic_message(&*payload),
                    },
                    None,
                ),
                // The thread is left running: it cannot be killed. In protocol mode the
                // process exits right after reporting; under libtest it runs on unobserved.
                Err(Some(after_ns)) => (Outcome::TimedOut { after_ns }, None),
                Err(None) => (
                    Outcome::Failed {
                        message: "the test thread ended without a result".into(),
                    },
                    None,
                ),
            }
        }
    };
    let (outcome, measurement) = outcome_and_measurement;
    RunResult {
        name,
        kind: case.kind(),
        outcome,
        measurement,
        wall_ns: started.elapsed().as_nanos() as u64,
    }
}

/// Runs the test function inside a memory watch. For a micro benchmark the watch covers the
/// test function only: the `Bencher` (timer calibration, sample buffer) is made before it
/// starts and the figures (histogram, bootstrap) are computed after it stops, so that
/// `rss_growth_bytes` means the body and its set-up, not the measuring machinery (which
/// added ~400 KB to a body that allocates nothing; issue 12).
fn body(case: Case, settings: Settings) -> Result<Measurement, String> {
    let cpu_before = ProcCpu::read();
    let (measured, memory) = run_body(case, settings);
    let cpu_after = ProcCpu::read();
    let mut m = measured?;
    memory.apply(&mut m);
    m.cpu_percent = resources_cpu(&m).or(match (cpu_before, cpu_after) {
        (Some(a), Some(b)) => Some(b.percent_since(&a)),
        _ => None,
    });
    let limits = case.entry.limits;
    // Limited resources become custom metrics too, so that runs are compared on them.
    let limited = |f: Figure| limits.iter().any(|l| l.figure == f);
    if let (true, Some(cpu)) = (limited(Figure::Cpu), m.cpu_percent) {
        m.custom.push(custom("cpu_percent", cpu));
    }
    let peak = m.memory.as_ref().and_then(|x| x.rss_peak_bytes);
    if let (true, Some(rss)) = (limited(Figure::PeakRss), peak) {
        m.custom.push(custom("peak_rss_bytes", rss as f64));
    }
    // Unknown names fail the test in every mode; the limits themselves are judged (or not,
    // under `cargo test`) like the attribute's thresholds.
    let mut checks = limits::evaluate(limits, &m)?;
    checks.append(&mut m.checks);
    m.checks = checks;
    Ok(m)
}

/// A load test's CPU over its run: the mean of the sampler's readings.
fn resources_cpu(m: &Measurement) -> Option<f64> {
    let samples = &m.load.as_ref()?.resources;
    (!samples.is_empty())
        .then(|| samples.iter().map(|s| s.cpu_percent).sum::<f64>() / samples.len() as f64)
}

fn custom(name: &str, value: f64) -> CustomMetric {
    CustomMetric {
        name: name.to_string(),
        value,
        direction: Direction::LowerIsBetter,
    }
}

/// The test function, measured, and the memory watch's figures around it alone.
fn run_body(case: Case, settings: Settings) -> (Result<Measurement, String>, MemoryReport) {
    match case.entry.test {
        TestFn::Bench(fns) => {
            let mut b = Bencher::new(settings);
            let watch = MemoryWatch::start();
            fns[case.index](&mut b);
            let memory = watch.finish();
            (b.finish(), memory)
        }
        TestFn::Load(fns) => {
            let watch = MemoryWatch::start();
            let mut l = LoadTest::for_test(settings, &case.name());
            fns[case.index](&mut l);
            let measured = l.finish();
            (measured, watch.finish())
        }
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    let text = if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic with a non-string payload".to_string()
    };
    format!("panicked: {text}")
}

/// A one-line description of a failed outcome, for libtest and reports.
pub(crate) fn describe_failure(outcome: &Outcome) -> Option<String> {
    match outcome {
        Outcome::Passed => None,
        Outcome::Failed { message } => Some(message.clone()),
        Outcome::TimedOut { after_ns } => Some(format!(
            "timed out after {}",
            crate::format::duration_ns(*after_ns as f64)
        )),
    }
}
