//! CPU and resident memory of this process, sampled by a background thread during a run.

use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use sysinfo::{Pid, ProcessRefreshKind, ProcessesToUpdate, System};

use crate::protocol::ResourceSample;

/// Samples kept at most; the interval widens for long runs to stay under it.
const MAX_SAMPLES: u64 = 600;
const MIN_INTERVAL: Duration = Duration::from_millis(100);

/// A running sampler; [`Sampler::stop`] ends it and returns the samples.
pub(crate) struct Sampler {
    stop: mpsc::Sender<()>,
    thread: Option<JoinHandle<Vec<ResourceSample>>>,
}

impl Sampler {
    /// Starts sampling every `MIN_INTERVAL` or every `planned_ns / MAX_SAMPLES`, whichever is
    /// longer. Returns `None` when the process cannot be observed (no sampler thread).
    pub fn start(started: Instant, planned_ns: u64) -> Option<Sampler> {
        let pid = sysinfo::get_current_pid().ok()?;
        let interval = MIN_INTERVAL.max(Duration::from_nanos(planned_ns / MAX_SAMPLES));
        let (stop, stopped) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("cargo-perf-load-sampler".into())
            .spawn(move || sample_until_stopped(pid, started, interval, stopped))
            .ok()?;
        Some(Sampler {
            stop,
            thread: Some(thread),
        })
    }

    pub fn stop(mut self) -> Vec<ResourceSample> {
        let _ = self.stop.send(());
        self.thread
            .take()
            .and_then(|t| t.join().ok())
            .unwrap_or_default()
    }
}

fn sample_until_stopped(
    pid: Pid,
    started: Instant,
    interval: Duration,
    stopped: mpsc::Receiver<()>,
) -> Vec<ResourceSample> {
    let mut sys = System::new();
    let kind = ProcessRefreshKind::nothing()
        .with_cpu()
        .with_memory()
        .without_tasks();
    // CPU use is a difference between two readings: the first one only sets the origin.
    sys.refresh_processes_specifics(ProcessesToUpdate::Some(&[pid]), true, kind);
    let mut cpu = ProcCpu::read();
    let mut samples = Vec::new();
    while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(interval) {
        sys.refresh_processes_specifics(ProcessesToUpdate::Some(&[pid]), true, kind);
        let Some(p) = sys.process(pid) else { break };
        if samples.len() as u64 >= MAX_SAMPLES {
            break;
        }
        let now = ProcCpu::read();
        let cpu_percent = match (&cpu, &now) {
            (Some(a), Some(b)) => b.percent_since(a),
            _ => f64::from(p.cpu_usage()),
        };
        cpu = now;
        samples.push(ResourceSample {
            at_ns: started.elapsed().as_nanos() as u64,
            cpu_percent,
            rss_bytes: p.memory(),
        });
    }
    samples
}

/// This process's CPU time from `/proc/self/stat` (Linux). sysinfo derives a process's CPU
/// share from the machine's total tick count, which under-reports it on a busy machine
/// (about half of what `top` shows here); the process's own ticks over wall time do not.
pub(crate) struct ProcCpu {
    ticks: u64,
    at: Instant,
}

/// Clock ticks per second of `/proc` times (`USER_HZ`, 100 on every Linux platform).
const USER_HZ: f64 = 100.0;

impl ProcCpu {
    pub(crate) fn read() -> Option<ProcCpu> {
        let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        // The command name may hold spaces: fields are counted after its closing `)`.
        let rest = &stat[stat.rfind(')')? + 1..];
        let mut fields = rest.split_whitespace().skip(11);
        let utime: u64 = fields.next()?.parse().ok()?;
        let stime: u64 = fields.next()?.parse().ok()?;
        Some(ProcCpu {
            ticks: utime + stime,
            at: Instant::now(),
        })
    }

    pub(crate) fn percent_since(&self, earlier: &ProcCpu) -> f64 {
        let wall = self.at.saturating_duration_since(earlier.at).as_secs_f64();
        if wall <= 0.0 {
            return 0.0;
        }
        let cpu = self.ticks.saturating_sub(earlier.ticks) as f64 / USER_HZ;
        100.0 * cpu / wall
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_this_process_while_it_works() {
        let started = Instant::now();
        let sampler = Sampler::start(started, 0).expect("the sampler starts");
        // Keep a core busy so that CPU use shows up.
        let until = Instant::now() + Duration::from_millis(450);
        let mut x = 0u64;
        while Instant::now() < until {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
        }
        let samples = sampler.stop();
        assert!(samples.len() >= 2, "{samples:?}");
        assert!(samples.iter().all(|s| s.rss_bytes > 0));
        assert!(samples.windows(2).all(|w| w[0].at_ns < w[1].at_ns));
        assert!(samples.iter().any(|s| s.cpu_percent > 5.0), "{samples:?}");
    }
}
