//! What an operation sees of its run: its worker, sequence number and operation name, the
//! fault windows' state, and the counters and ratios it reports.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// Counter shards: operations on different threads rarely share one.
const COUNTER_SHARDS: usize = 16;

/// State shared by every operation of one run. Leaked once per run (a few hundred bytes), so
/// that `Ctx` stays `Copy` and `'static` without a reference count on the hot path, and an
/// operation abandoned after the drain time can never outlive it.
#[derive(Debug)]
pub(crate) struct RunShared {
    pub op_names: Vec<String>,
    /// Each fault window's name and whether it is open now.
    pub faults: Vec<(String, AtomicBool)>,
    counters: Vec<Mutex<Tallies>>,
}

#[derive(Debug, Default, Clone)]
pub(crate) struct Tallies {
    pub counters: HashMap<String, u64>,
    /// Ratio name -> (yes, total).
    pub ratios: HashMap<String, (u64, u64)>,
}

impl RunShared {
    pub fn leak(op_names: Vec<String>, faults: &[String]) -> &'static RunShared {
        Box::leak(Box::new(RunShared {
            op_names,
            faults: faults
                .iter()
                .map(|n| (n.clone(), AtomicBool::new(false)))
                .collect(),
            counters: (0..COUNTER_SHARDS).map(|_| Mutex::default()).collect(),
        }))
    }

    /// The shared state of operations built outside a run (unit tests of single calls).
    #[cfg(test)]
    pub fn detached() -> &'static RunShared {
        static DETACHED: std::sync::OnceLock<&'static RunShared> = std::sync::OnceLock::new();
        DETACHED.get_or_init(|| RunShared::leak(vec![String::new()], &[]))
    }

    pub fn set_fault(&self, index: usize, active: bool) {
        if let Some((_, flag)) = self.faults.get(index) {
            flag.store(active, Ordering::SeqCst);
        }
    }

    fn shard(&self, key: u64) -> std::sync::MutexGuard<'_, Tallies> {
        self.counters[(key as usize) % self.counters.len()]
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// Every shard's counters and ratios, added up.
    pub fn tallies(&self) -> Tallies {
        let mut all = Tallies::default();
        for i in 0..self.counters.len() {
            let t = self.shard(i as u64);
            for (k, v) in &t.counters {
                *all.counters.entry(k.clone()).or_insert(0) += v;
            }
            for (k, (yes, total)) in &t.ratios {
                let e = all.ratios.entry(k.clone()).or_insert((0, 0));
                e.0 += yes;
                e.1 += total;
            }
        }
        all
    }
}

/// What an operation knows about itself and its run.
///
/// ```no_run
/// # fn demo(load: &mut cargo_perf::LoadTest) {
/// use std::time::Duration;
/// let report = load
///     .concurrency(4)
///     .fault("outage", Duration::from_secs(1), Duration::from_secs(1), || {}, || {})
///     .run(|ctx| async move {
///         if ctx.fault_active("outage") {
///             return Err("backend down");
///         }
///         ctx.ratio("hit_rate", ctx.seq() % 10 != 0); // reported as a percentage
///         ctx.count("requests");
///         Ok(())
///     });
/// assert!(report.counter("requests") > 0);
/// # }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Ctx {
    worker: usize,
    seq: u64,
    op: u32,
    shared: &'static RunShared,
}

impl PartialEq for Ctx {
    fn eq(&self, other: &Ctx) -> bool {
        self.worker == other.worker && self.seq == other.seq && self.op == other.op
    }
}

impl Eq for Ctx {}

impl Ctx {
    #[cfg(test)]
    pub(crate) fn new(worker: usize, seq: u64) -> Ctx {
        Ctx::in_run(worker, seq, 0, RunShared::detached())
    }

    pub(crate) fn in_run(worker: usize, seq: u64, op: u32, shared: &'static RunShared) -> Ctx {
        Ctx {
            worker,
            seq,
            op,
            shared,
        }
    }

    /// The closed-model worker running this operation (0-based, below the concurrency).
    /// Always 0 in the open model, where operations belong to no worker. Under
    /// `--segment M/N` it is the global index (a segment owns the workers `w % N == M - 1`).
    pub fn worker(&self) -> usize {
        self.worker
    }

    /// The operation's sequence number in the run (0-based, unique). Under `--segment M/N`
    /// it is unique across all segments: in the open model the global timetable's number (the
    /// segments' operations together have no gap), in the closed model `local * N + M - 1`.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// The name of the running operation of a mix (`""` for a one-operation `run`).
    pub fn op(&self) -> &'static str {
        self.shared
            .op_names
            .get(self.op as usize)
            .map_or("", String::as_str)
    }

    pub(crate) fn op_index(&self) -> usize {
        self.op as usize
    }

    /// Whether the fault window `name` (declared with `LoadTest::fault`) is open now.
    ///
    /// # Panics
    /// On a name no `fault(..)` declared; the panic fails this operation with a message that
    /// lists the declared faults.
    pub fn fault_active(&self, name: &str) -> bool {
        match self.shared.faults.iter().find(|(n, _)| n == name) {
            Some((_, flag)) => flag.load(Ordering::Relaxed),
            None => {
                let known: Vec<&str> = self.shared.faults.iter().map(|(n, _)| n.as_str()).collect();
                panic!(
                    "no fault named {name:?}; declared faults: {}",
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                )
            }
        }
    }

    /// Adds one to the counter `name` (reported as the custom metric `name`).
    pub fn count(&self, name: &str) {
        self.count_n(name, 1);
    }

    /// Adds `n` to the counter `name`.
    pub fn count_n(&self, name: &str, n: u64) {
        let mut t = self.shared.shard(self.seq);
        match t.counters.get_mut(name) {
            Some(v) => *v += n,
            None => {
                t.counters.insert(name.to_string(), n);
            }
        }
    }

    /// Counts one yes/no outcome of the ratio `name`, reported as the percentage of yes
    /// (e.g. `ctx.ratio("hit_rate", hit)`).
    pub fn ratio(&self, name: &str, yes: bool) {
        let mut t = self.shared.shard(self.seq);
        let e = match t.ratios.get_mut(name) {
            Some(e) => e,
            None => t.ratios.entry(name.to_string()).or_insert((0, 0)),
        };
        e.0 += u64::from(yes);
        e.1 += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_and_ratios_add_up_across_shards() {
        let shared = RunShared::leak(vec!["read".into(), "write".into()], &["outage".into()]);
        for seq in 0..100u64 {
            let ctx = Ctx::in_run(0, seq, (seq % 2) as u32, shared);
            ctx.count("calls");
            ctx.ratio("hit_rate", seq % 4 != 0);
            if seq < 10 {
                ctx.count_n("bytes", 3);
            }
        }
        let t = shared.tallies();
        assert_eq!(t.counters["calls"], 100);
        assert_eq!(t.counters["bytes"], 30);
        assert_eq!(t.ratios["hit_rate"], (75, 100));
        assert_eq!(Ctx::in_run(0, 1, 1, shared).op(), "write");
    }

    #[test]
    fn fault_flags_are_seen_and_unknown_faults_name_the_known_ones() {
        let shared = RunShared::leak(vec![String::new()], &["outage".into()]);
        let ctx = Ctx::in_run(0, 0, 0, shared);
        assert!(!ctx.fault_active("outage"));
        shared.set_fault(0, true);
        assert!(ctx.fault_active("outage"));
        let err = std::panic::catch_unwind(|| ctx.fault_active("outge")).unwrap_err();
        let msg = err.downcast_ref::<String>().unwrap();
        assert!(msg.contains("declared faults: outage"), "{msg}");
    }
}
