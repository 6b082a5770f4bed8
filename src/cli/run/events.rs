//! What the runner tells reporters while a command goes on (nextest style: the runner produces
//! events, reporters render them). `run` and `ab` speak through the same events.

use std::time::Duration;

use crate::cli::model::{Report, TestReport};

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
    /// A warning for the user (`warning: ...`): an override naming no test, a selection that
    /// took nothing. Printed whatever the reporter, like `TestSlow`.
    Warning {
        text: &'a str,
    },
    /// Something skipped worth saying while it happens (`note: ...`), cargo style.
    Note {
        text: &'a str,
    },
    /// A step worth a line on the terminal, cargo style: `Building base ...`.
    Step {
        verb: &'a str,
        what: &'a str,
    },
    /// `ab`: one more paired round of test `id` (`rounds` so far).
    RoundFinished {
        id: &'a str,
        rounds: usize,
    },
    RunFinished {
        report: &'a Report,
    },
}

/// Renders events as they happen (progress bars, logs).
pub trait Reporter {
    fn event(&mut self, event: &Event<'_>);
}

/// A `note(text)` callback that tells `reporter` an [`Event::Note`]: for steps below `run/`
/// (the build) that must not know reporters.
pub fn notes_to(reporter: &mut dyn Reporter) -> impl FnMut(String) + '_ {
    move |text| reporter.event(&Event::Note { text: &text })
}

/// A reporter that shows nothing (for tests).
pub struct Silent;

impl Reporter for Silent {
    fn event(&mut self, _event: &Event<'_>) {}
}

/// Only the warnings and the steps, on stderr: for `--format json` to stdout, where no
/// progress is drawn but a test about to be killed (or a base being built) must still be
/// visible.
pub struct WarningsOnly;

impl Reporter for WarningsOnly {
    fn event(&mut self, event: &Event<'_>) {
        if let Some(line) = log_line(event) {
            eprintln!("{line}");
        }
    }
}

/// The line an event prints on stderr whatever the reporter: a warning, or a step as cargo
/// words its own (`    Building base ...`).
pub fn log_line(event: &Event<'_>) -> Option<String> {
    match event {
        Event::Step { verb, what } => Some(format!("{verb:>12} {what}")),
        Event::Note { text } => Some(format!("note: {text}")),
        _ => warning(event),
    }
}

/// The line an event prints whatever the reporter, if it is a warning.
pub fn warning(event: &Event<'_>) -> Option<String> {
    match event {
        Event::TestSlow {
            id, elapsed, limit, ..
        } => Some(slow_line(id, *elapsed, *limit)),
        Event::Warning { text } => Some(format!("warning: {text}")),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warnings_and_notes_are_logged_whatever_the_reporter() {
        let warned = Event::Warning {
            text: "PERF_X_MEAN names no perf test",
        };
        assert_eq!(
            log_line(&warned).as_deref(),
            Some("warning: PERF_X_MEAN names no perf test")
        );
        let note = Event::Note {
            text: "skipping bench `b`",
        };
        assert_eq!(log_line(&note).as_deref(), Some("note: skipping bench `b`"));
        // A note is a log line, not a warning: `--format json` runs keep it on stderr too.
        assert!(warning(&warned).is_some() && warning(&note).is_none());
        assert!(log_line(&Event::RoundFinished { id: "a", rounds: 5 }).is_none());
    }
}
