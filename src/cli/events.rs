//! What the runner tells reporters while a run goes on (nextest style: the runner produces
//! events, reporters render them).

use std::time::Duration;

use super::report::model::{Report, TestReport};

#[derive(Debug)]
pub enum Event<'a> {
    /// Everything is built and listed: `tests` tests will run, each in `processes` processes.
    RunStarted {
        tests: usize,
        processes: u32,
    },
    /// Test `index` (0-based) of `total` starts.
    TestStarted {
        id: &'a str,
        index: usize,
        total: usize,
    },
    /// One measuring process of the current test ended (`ok` = it produced a measurement).
    ProcessFinished {
        id: &'a str,
        process: u32,
        processes: u32,
        ok: bool,
    },
    /// A measuring process of the current test has run `elapsed` and goes on; it is killed at
    /// `limit` (printed as nextest does: `SLOW [> 30s] pkg/target/name`).
    TestSlow {
        id: &'a str,
        process: u32,
        elapsed: Duration,
        limit: Duration,
    },
    TestFinished {
        test: &'a TestReport,
    },
    RunFinished {
        report: &'a Report,
    },
}

/// Renders events as they happen (progress bars, logs).
pub trait Reporter {
    fn event(&mut self, event: &Event<'_>);
}

/// A reporter that shows nothing (for tests).
pub struct Silent;

impl Reporter for Silent {
    fn event(&mut self, _event: &Event<'_>) {}
}

/// Only the warnings, on stderr: for `--format json` to stdout, where no progress is drawn
/// but a test about to be killed must still be visible.
pub struct WarningsOnly;

impl Reporter for WarningsOnly {
    fn event(&mut self, event: &Event<'_>) {
        if let Some(line) = warning(event) {
            eprintln!("{line}");
        }
    }
}

/// The line an event prints whatever the reporter, if it is a warning.
pub fn warning(event: &Event<'_>) -> Option<String> {
    match event {
        Event::TestSlow {
            id, elapsed, limit, ..
        } => Some(slow_line(id, *elapsed, *limit)),
        _ => None,
    }
}

/// `SLOW [> 30s] pkg/target/name (killed at 2m)`, as nextest words it.
fn slow_line(id: &str, elapsed: Duration, limit: Duration) -> String {
    format!(
        "        SLOW [> {}] {id} (killed at {})",
        super::suite::short(elapsed),
        super::suite::short(limit)
    )
}
