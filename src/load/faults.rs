//! Fault windows: the thread that opens and closes them on the run's timeline (running the
//! user's on/off hooks at those instants), and the recovery-time rule judged on the timeline.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::ctx::RunShared;
use crate::protocol::{FaultFigures, TimelinePoint};

/// A hook that turns a fault on or off.
pub(crate) type Hook = Box<dyn FnMut() + Send>;

/// A declared fault's hooks, as `LoadTest::fault` collected them (its window is in the
/// config, which scales it with the plan).
pub(crate) struct FaultDecl {
    pub on: Hook,
    pub off: Hook,
}

/// A fault window on the resolved plan (scaled with it), in nanoseconds from the start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Window {
    pub name: String,
    pub start_ns: u64,
    pub end_ns: u64,
}

/// What happened to one window during the run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct WindowRun {
    pub on_at_ns: Option<u64>,
    pub off_at_ns: Option<u64>,
    /// A hook that panicked, with its message.
    pub error: Option<String>,
}

/// The running timeline thread; [`Timeline::stop`] closes every open window (so a stopped
/// backend is always restarted) and returns what happened.
pub(crate) struct Timeline {
    stop: mpsc::Sender<()>,
    thread: Option<JoinHandle<Vec<WindowRun>>>,
}

impl Timeline {
    /// Starts the thread, or does nothing when there are no windows.
    pub fn start(
        started: Instant,
        windows: &[Window],
        hooks: Vec<(Hook, Hook)>,
        shared: &'static RunShared,
    ) -> Option<Timeline> {
        if windows.is_empty() {
            return None;
        }
        let windows = windows.to_vec();
        let (stop, stopped) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("cargo-perf-faults".into())
            .spawn(move || drive(started, &windows, hooks, shared, &stopped))
            .ok()?;
        Some(Timeline {
            stop,
            thread: Some(thread),
        })
    }

    pub fn stop(mut self) -> Vec<WindowRun> {
        let _ = self.stop.send(());
        self.thread
            .take()
            .and_then(|t| t.join().ok())
            .unwrap_or_default()
    }
}

fn drive(
    started: Instant,
    windows: &[Window],
    mut hooks: Vec<(Hook, Hook)>,
    shared: &'static RunShared,
    stopped: &mpsc::Receiver<()>,
) -> Vec<WindowRun> {
    let mut runs = vec![WindowRun::default(); windows.len()];
    // Every on and off instant, in time order (an off before an on at the same instant).
    let mut events: Vec<(u64, bool, usize)> = windows
        .iter()
        .enumerate()
        .flat_map(|(i, w)| [(w.start_ns, true, i), (w.end_ns, false, i)])
        .collect();
    events.sort_by_key(|&(t, on, i)| (t, on, i));
    let mut stopping = false;
    for (t, on, i) in events {
        if !stopping {
            let at = started + Duration::from_nanos(t);
            let wait = at.saturating_duration_since(Instant::now());
            if let Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) = stopped.recv_timeout(wait) {
                stopping = true;
            }
        }
        // Once stopping, only the offs of open windows still run.
        if on && (stopping || runs[i].on_at_ns.is_some()) {
            continue;
        }
        if !on && runs[i].on_at_ns.is_none() {
            continue;
        }
        let now = started.elapsed().as_nanos() as u64;
        let (on_hook, off_hook) = &mut hooks[i];
        let hook = if on { on_hook } else { off_hook };
        if on {
            shared.set_fault(i, true);
            runs[i].on_at_ns = Some(now);
        }
        if let Err(payload) = catch_unwind(AssertUnwindSafe(hook)) {
            let which = if on { "on" } else { "off" };
            runs[i].error.get_or_insert(format!(
                "the {which} hook of fault {:?} panicked: {}",
                windows[i].name,
                panic_text(&*payload)
            ));
        }
        if !on {
            shared.set_fault(i, false);
            runs[i].off_at_ns = Some(started.elapsed().as_nanos() as u64);
        }
    }
    runs
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a non-string payload".to_string()
    }
}

/// Buckets before a window that set its pre-fault level, at most.
pub(crate) const BASELINE_BUCKETS: usize = 10;
/// Success may sit this many percentage points under its pre-fault level and count as back.
pub(crate) const SUCCESS_POINTS: f64 = 1.0;
/// The default tolerance on throughput and p99 (`recovery_tolerance`).
pub(crate) const DEFAULT_TOLERANCE: f64 = 0.25;

/// The recovery rule, on a timeline of buckets `bucket_ns` wide. `counted_from_ns`: buckets
/// starting earlier (ramp-up) never set a pre-fault level. See `docs/load-scenarios.md`.
pub(crate) fn recovery(
    window: &Window,
    timeline: &[TimelinePoint],
    bucket_ns: u64,
    counted_from_ns: u64,
    tolerance: f64,
) -> FaultFigures {
    let mut f = FaultFigures {
        name: window.name.clone(),
        start_ns: window.start_ns,
        end_ns: window.end_ns,
        ..FaultFigures::default()
    };
    let bucket_ns = bucket_ns.max(1);
    let success = |p: &TimelinePoint| {
        (p.operations > 0).then(|| 100.0 * (p.operations - p.failures) as f64 / p.operations as f64)
    };
    // Whole buckets before the window that belong to the counted part of the run.
    let before: Vec<&TimelinePoint> = timeline
        .iter()
        .filter(|p| p.start_ns >= counted_from_ns && p.start_ns + bucket_ns <= window.start_ns)
        .filter(|p| p.operations > 0)
        .collect();
    let before = &before[before.len().saturating_sub(BASELINE_BUCKETS)..];
    if before.is_empty() {
        f.note = Some(
            "no counted timeline bucket before the fault to set a pre-fault level".to_string(),
        );
        return f;
    }
    let tput = median(before.iter().map(|p| p.throughput_per_sec).collect());
    let p99_max = before.iter().filter_map(|p| p.p99_ns).fold(0.0, f64::max);
    let ok = median(before.iter().filter_map(|p| success(p)).collect());
    f.baseline_throughput_per_sec = Some(tput);
    f.baseline_p99_ns = Some(p99_max);
    f.baseline_success_rate = Some(ok);
    let healthy = |p: &TimelinePoint| {
        p.operations > 0
            && p.throughput_per_sec >= (1.0 - tolerance) * tput
            && p.p99_ns.is_some_and(|v| v <= (1.0 + tolerance) * p99_max)
            && success(p).is_some_and(|s| s >= ok - SUCCESS_POINTS)
    };
    // From the bucket holding the window's end; the last bucket may be partial, and only
    // counts when it is the only one left to judge.
    let first = (window.end_ns / bucket_ns) as usize;
    let after: Vec<&TimelinePoint> = timeline.iter().skip(first).collect();
    for (i, p) in after.iter().enumerate() {
        let next_ok = after.get(i + 1).map_or(true, |n| healthy(n));
        if healthy(p) && next_ok {
            f.recovery_time_ns = Some(p.start_ns.saturating_sub(window.end_ns));
            return f;
        }
    }
    f.note = Some("the run ended before throughput, p99 and success rate were back".into());
    f
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    const B: u64 = 100_000_000;

    /// A timeline of 100 ms buckets: (throughput, p99 ms, failures of 100 operations).
    fn timeline(points: &[(f64, f64, u64)]) -> Vec<TimelinePoint> {
        points
            .iter()
            .enumerate()
            .map(|(i, &(tput, p99_ms, failures))| TimelinePoint {
                start_ns: i as u64 * B,
                operations: 100,
                failures,
                throughput_per_sec: tput,
                p99_ns: Some(p99_ms * 1e6),
                histogram_ns: Vec::new(),
            })
            .collect()
    }

    fn window(start: u64, end: u64) -> Window {
        Window {
            name: "outage".into(),
            start_ns: start * B,
            end_ns: end * B,
        }
    }

    #[test]
    fn recovery_is_the_first_bucket_back_that_stays_back() {
        // Healthy 0..4, fault 4..6, degraded 6..8, a blip back at 8, bad 9, healthy from 10.
        let healthy = (1000.0, 2.0, 0);
        let bad = (100.0, 50.0, 60);
        let mut pts = vec![healthy; 4];
        pts.extend([bad, bad, bad, bad, healthy, bad]);
        pts.extend(vec![healthy; 5]);
        let f = recovery(&window(4, 6), &timeline(&pts), B, 0, DEFAULT_TOLERANCE);
        assert_eq!(f.recovery_time_ns, Some(4 * B), "{f:?}");
        assert_eq!(f.baseline_throughput_per_sec, Some(1000.0));
        assert_eq!(f.baseline_success_rate, Some(100.0));
    }

    #[test]
    fn each_of_throughput_p99_and_success_must_be_back() {
        let healthy = (1000.0, 2.0, 0);
        for slow in [(700.0, 2.0, 0), (1000.0, 2.6, 0), (1000.0, 2.0, 2)] {
            let mut pts = vec![healthy; 4];
            pts.extend([slow; 4]);
            pts.extend(vec![healthy; 3]);
            let f = recovery(&window(2, 4), &timeline(&pts), B, 0, DEFAULT_TOLERANCE);
            assert_eq!(f.recovery_time_ns, Some(4 * B), "{slow:?}: {f:?}");
        }
        // Within the tolerance: back at once.
        let mut pts = vec![healthy; 4];
        pts.extend([(800.0, 2.4, 1); 4]);
        let f = recovery(&window(2, 4), &timeline(&pts), B, 0, DEFAULT_TOLERANCE);
        assert_eq!(f.recovery_time_ns, Some(0));
    }

    #[test]
    fn no_level_or_no_recovery_leaves_the_figure_absent() {
        let pts = timeline(&[(10.0, 90.0, 90); 6]);
        let f = recovery(&window(0, 2), &pts, B, 0, DEFAULT_TOLERANCE);
        assert!(f.recovery_time_ns.is_none());
        assert!(f.note.unwrap().contains("no counted timeline bucket"));
        let mut pts = vec![(1000.0, 2.0, 0); 3];
        pts.extend([(10.0, 90.0, 90); 5]);
        let f = recovery(&window(3, 4), &timeline(&pts), B, 0, DEFAULT_TOLERANCE);
        assert!(f.recovery_time_ns.is_none());
        assert!(f.note.unwrap().contains("ended before"));
        // Ramp-up buckets do not set the level.
        let f = recovery(&window(3, 4), &timeline(&pts), B, 3 * B, DEFAULT_TOLERANCE);
        assert!(f.note.unwrap().contains("no counted"));
    }

    #[test]
    fn the_timeline_runs_hooks_in_order_and_closes_open_windows_on_stop() {
        let shared = RunShared::leak(vec![String::new()], &["a".into(), "b".into()]);
        let log = Arc::new(Mutex::new(Vec::new()));
        let hook = |what: &'static str| -> Hook {
            let log = Arc::clone(&log);
            Box::new(move || log.lock().unwrap().push(what))
        };
        let windows = [
            Window {
                name: "a".into(),
                start_ns: 20_000_000,
                end_ns: 60_000_000,
            },
            Window {
                name: "b".into(),
                start_ns: 40_000_000,
                end_ns: 10_000_000_000,
            },
        ];
        let started = Instant::now();
        let t = Timeline::start(
            started,
            &windows,
            vec![(hook("a on"), hook("a off")), (hook("b on"), hook("b off"))],
            shared,
        )
        .unwrap();
        std::thread::sleep(Duration::from_millis(50));
        assert!(shared.faults[0].1.load(std::sync::atomic::Ordering::SeqCst));
        std::thread::sleep(Duration::from_millis(100));
        let runs = t.stop();
        assert_eq!(*log.lock().unwrap(), ["a on", "b on", "a off", "b off"]);
        assert!(runs[0].on_at_ns.unwrap() >= 20_000_000);
        assert!(runs[0].off_at_ns.unwrap() >= 60_000_000);
        assert!(
            runs[1].off_at_ns.unwrap() < 10_000_000_000,
            "closed on stop"
        );
        assert!(!shared.faults[1].1.load(std::sync::atomic::Ordering::SeqCst));
        assert!(started.elapsed() < Duration::from_secs(5));
    }
}
