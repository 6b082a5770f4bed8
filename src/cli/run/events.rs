//! What the runner tells reporters while a command goes on (nextest style: the runner produces
//! events, reporters render them). `run` and `ab` speak through the same events.

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
    TestFinished {
        test: &'a TestReport,
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

/// A reporter that shows nothing (for `--format json` to stdout with no terminal, and tests).
pub struct Silent;

impl Reporter for Silent {
    fn event(&mut self, _event: &Event<'_>) {}
}
