//! What both load models share: the tokio runtime they run on and the raw results of a run.

use std::time::Duration;

use hdrhistogram::Histogram;

use std::time::Instant;

use super::ctx::RunShared;
use super::faults::{Hook, Timeline, Window, WindowRun};
use super::mix::Picker;
use super::outcome::quiet_panics_on_this_thread;
use super::record::Recorder;
use crate::protocol::ResourceSample;

/// What every operation of one run shares beyond the plan: which operation each sequence
/// number runs, the run's shared state, the operation timeout, and the fault hooks.
pub(crate) struct RunEnv {
    pub picker: Picker,
    pub ops: usize,
    pub shared: &'static RunShared,
    /// `op_timeout`, and the failure message of an operation cancelled by it.
    pub timeout: Option<(Duration, String)>,
    pub windows: Vec<Window>,
    /// Taken by the run that starts the fault timeline.
    pub hooks: std::sync::Mutex<Vec<(Hook, Hook)>>,
}

impl RunEnv {
    /// Starts the fault timeline at the run's start, when there are fault windows.
    pub fn start_faults(&self, started: Instant) -> Option<Timeline> {
        let hooks = std::mem::take(&mut *self.hooks.lock().unwrap_or_else(|e| e.into_inner()));
        Timeline::start(started, &self.windows, hooks, self.shared)
    }
}

/// How long in-flight operations may run on after the plan's end before they are abandoned
/// (and counted as unfinished).
pub(crate) fn drain_time(smoke: bool) -> Duration {
    if smoke {
        Duration::from_secs(1)
    } else {
        Duration::from_secs(10)
    }
}

/// The raw outcome of one run of a plan, before it becomes a report.
#[derive(Debug)]
pub(crate) struct RunData {
    pub rec: Recorder,
    /// When the last operation finished (never before the plan's end in the open model).
    pub ended_ns: u64,
    pub dropped: u64,
    pub late: u64,
    pub unfinished: u64,
    /// Open model: the scheduler's lag behind its timetable.
    pub lag: Option<Histogram<u64>>,
    pub resources: Vec<ResourceSample>,
    /// What happened to each fault window.
    pub faults: Vec<WindowRun>,
}

#[cfg(test)]
impl RunData {
    /// A run that ended on its plan's end with every operation finished in `rec` and the
    /// scheduler's `lag`: what the report and merge tests build their figures from.
    pub fn finished(rec: Recorder, ended_ns: u64, lag: Histogram<u64>) -> RunData {
        RunData {
            rec,
            ended_ns,
            dropped: 0,
            late: 0,
            unfinished: 0,
            lag: Some(lag),
            resources: Vec::new(),
            faults: Vec::new(),
        }
    }
}

/// A multi-thread runtime with one worker per core, all I/O and timers enabled (operations
/// may open sockets), and panics of operations kept off the terminal.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads())
        .thread_name("cargo-perf-load")
        .on_thread_start(quiet_panics_on_this_thread)
        .enable_all()
        .build()
        .map_err(|e| format!("could not start the load test's tokio runtime: {e}"))
}

pub(crate) fn threads() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}
