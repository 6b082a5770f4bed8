//! What both load models share: the tokio runtime they run on and the raw results of a run.

use std::time::Duration;

use hdrhistogram::Histogram;

use super::outcome::quiet_panics_on_this_thread;
use super::record::Recorder;
use crate::protocol::ResourceSample;

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
