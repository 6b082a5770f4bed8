//! Recording operation results without a per-operation channel: a few mutex-guarded
//! recorders (shards) that workers flush small batches into, merged once at the end.
//! Memory is bounded: fixed-precision histograms, a capped timeline and capped messages.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use hdrhistogram::Histogram;

/// Distinct failure messages kept per recorder; further ones are counted under [`OTHER`].
const MAX_MESSAGES: usize = 64;
/// Timeline buckets kept; later operations land in the last one.
pub(crate) const MAX_BUCKETS: usize = 1200;
pub(crate) const OTHER_MESSAGES: &str = "(other messages)";

/// Latency histogram precision: 3 significant digits for the headline figures...
pub(crate) const SIGFIG: u8 = 3;
/// ...and 2 for the per-bucket timeline, which only shows a p99 per bucket.
pub(crate) const BUCKET_SIGFIG: u8 = 2;

pub(crate) fn histogram(sigfig: u8) -> Histogram<u64> {
    Histogram::new(sigfig).expect("a valid hdrhistogram precision")
}

/// Records `value`, growing the histogram as needed (`saturating_record` would clamp to
/// its current range); only values beyond its largest possible range are clamped.
#[inline]
pub(crate) fn put(h: &mut Histogram<u64>, value: u64, count: u64) {
    if h.record_n(value, count).is_err() {
        h.saturating_record_n(value, count);
    }
}

/// The results of one operation of the mix in one phase of the plan.
#[derive(Debug, Clone)]
pub(crate) struct PhaseRec {
    pub hist: Histogram<u64>,
    pub failures: u64,
}

/// One timeline bucket.
#[derive(Debug, Clone)]
pub(crate) struct Bucket {
    pub hist: Histogram<u64>,
    pub failures: u64,
}

#[derive(Debug, Clone)]
pub(crate) struct Recorder {
    bucket_ns: u64,
    /// Operations of the mix (1 for a one-operation run).
    ops: usize,
    /// One cell per (phase, operation): `cells[phase * ops + op]`.
    pub cells: Vec<PhaseRec>,
    pub timeline: Vec<Option<Bucket>>,
    /// Failure messages per (phase, operation), indexed like `cells`: a stage's top errors
    /// are that stage's, not the whole run's.
    pub errors: Vec<HashMap<String, u64>>,
}

impl Recorder {
    pub fn new(phases: usize, ops: usize, bucket_ns: u64) -> Recorder {
        let ops = ops.max(1);
        Recorder {
            bucket_ns: bucket_ns.max(1),
            ops,
            cells: (0..phases.max(1) * ops)
                .map(|_| PhaseRec {
                    hist: histogram(SIGFIG),
                    failures: 0,
                })
                .collect(),
            timeline: Vec::new(),
            errors: vec![HashMap::new(); phases.max(1) * ops],
        }
    }

    pub fn ops(&self) -> usize {
        self.ops
    }

    /// The results of operation `op` in phase `phase`.
    pub fn cell(&self, phase: usize, op: usize) -> &PhaseRec {
        &self.cells[phase * self.ops + op]
    }

    fn phases(&self) -> usize {
        self.cells.len() / self.ops
    }

    /// The failure messages of some operations over some phases, counted together.
    pub fn errors_of(&self, phases: &[usize], ops: &[usize]) -> HashMap<String, u64> {
        let mut all = HashMap::new();
        for &p in phases {
            for &o in ops {
                for (m, n) in &self.errors[p * self.ops + o] {
                    *all.entry(m.clone()).or_insert(0) += n;
                }
            }
        }
        all
    }

    /// Every failure message, all phases and operations together.
    pub fn all_errors(&self) -> HashMap<String, u64> {
        let phases: Vec<usize> = (0..self.phases()).collect();
        let ops: Vec<usize> = (0..self.ops).collect();
        self.errors_of(&phases, &ops)
    }

    /// Records one operation that started `start_ns` after the run's start.
    #[inline]
    pub fn record(&mut self, phase: usize, op: usize, start_ns: u64, latency_ns: u64, ok: bool) {
        let i = self.index(phase, op);
        let p = &mut self.cells[i];
        put(&mut p.hist, latency_ns, 1);
        let b = ((start_ns / self.bucket_ns) as usize).min(MAX_BUCKETS - 1);
        if b >= self.timeline.len() {
            self.timeline.resize_with(b + 1, || None);
        }
        let bucket = self.timeline[b].get_or_insert_with(|| Bucket {
            hist: histogram(BUCKET_SIGFIG),
            failures: 0,
        });
        put(&mut bucket.hist, latency_ns, 1);
        if !ok {
            p.failures += 1;
            bucket.failures += 1;
        }
    }

    fn index(&self, phase: usize, op: usize) -> usize {
        phase.min(self.phases() - 1) * self.ops + op.min(self.ops - 1)
    }

    /// Counts one failure's message under its phase and operation.
    pub fn failure_message(&mut self, phase: usize, op: usize, message: Cow<'_, str>) {
        let i = self.index(phase, op);
        let errors = &mut self.errors[i];
        if let Some(n) = errors.get_mut(message.as_ref()) {
            *n += 1;
        } else if errors.len() < MAX_MESSAGES {
            errors.insert(message.into_owned(), 1);
        } else {
            *errors.entry(OTHER_MESSAGES.to_string()).or_insert(0) += 1;
        }
    }

    pub fn merge(&mut self, other: &Recorder) {
        for (mine, theirs) in self.cells.iter_mut().zip(&other.cells) {
            add(&mut mine.hist, &theirs.hist);
            mine.failures += theirs.failures;
        }
        if other.timeline.len() > self.timeline.len() {
            self.timeline.resize_with(other.timeline.len(), || None);
        }
        for (mine, theirs) in self.timeline.iter_mut().zip(&other.timeline) {
            if let Some(t) = theirs {
                match mine {
                    Some(m) => {
                        add(&mut m.hist, &t.hist);
                        m.failures += t.failures;
                    }
                    None => *mine = Some(t.clone()),
                }
            }
        }
        for (mine, theirs) in self.errors.iter_mut().zip(&other.errors) {
            for (msg, n) in theirs {
                *mine.entry(msg.clone()).or_insert(0) += n;
            }
        }
    }
}

/// Auto-resizing histograms of one precision always add; a failure would be a bug here.
fn add(into: &mut Histogram<u64>, from: &Histogram<u64>) {
    if let Err(e) = into.add(from) {
        debug_assert!(false, "histogram merge failed: {e:?}");
    }
}

/// Several recorders, so that workers on different threads rarely wait for one another.
pub(crate) struct Shards {
    shards: Vec<Mutex<Recorder>>,
}

impl Shards {
    pub fn new(count: usize, phases: usize, ops: usize, bucket_ns: u64) -> Shards {
        Shards {
            shards: (0..count.max(1))
                .map(|_| Mutex::new(Recorder::new(phases, ops, bucket_ns)))
                .collect(),
        }
    }

    pub fn lock(&self, key: usize) -> MutexGuard<'_, Recorder> {
        // A panic cannot happen while a recorder is held (operations run outside the lock),
        // but a poisoned lock still holds valid counts.
        self.shards[key % self.shards.len()]
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// Everything recorded, merged into one recorder.
    pub fn merged(&self) -> Recorder {
        let mut all = self.lock(0).clone();
        for i in 1..self.shards.len() {
            let other = self.lock(i);
            all.merge(&other);
        }
        all
    }
}

/// One finished operation, buffered by a closed-model worker until its next flush.
#[derive(Clone, Copy)]
pub(crate) struct Done {
    pub phase: u32,
    pub op: u32,
    pub ok: bool,
    pub start_ns: u64,
    pub latency_ns: u64,
}

/// A worker's buffer: flushed into a shard every so many operations.
pub(crate) struct Batch {
    done: Vec<Done>,
}

impl Batch {
    pub fn with_capacity(n: usize) -> Batch {
        Batch {
            done: Vec::with_capacity(n),
        }
    }

    #[inline]
    pub fn push(&mut self, d: Done) {
        self.done.push(d);
    }

    pub fn len(&self) -> usize {
        self.done.len()
    }

    pub fn flush(&mut self, into: &mut Recorder) {
        for d in self.done.drain(..) {
            into.record(
                d.phase as usize,
                d.op as usize,
                d.start_ns,
                d.latency_ns,
                d.ok,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_by_phase_and_bucket_and_merges() {
        let mut a = Recorder::new(2, 2, 1_000);
        a.record(0, 0, 10, 500, true);
        a.record(1, 1, 2_500, 700, false);
        a.failure_message(1, 1, Cow::Borrowed("refused"));
        let mut b = Recorder::new(2, 2, 1_000);
        b.record(1, 1, 2_900, 900, true);
        b.record(1, 0, 5_000_000, 100, true);
        b.failure_message(1, 1, Cow::Borrowed("refused"));
        b.failure_message(0, 0, Cow::Borrowed("refused"));
        a.merge(&b);
        assert_eq!(a.cell(0, 0).hist.len(), 1);
        assert_eq!(a.cell(1, 1).hist.len(), 2);
        assert_eq!(a.cell(1, 0).hist.len(), 1);
        assert_eq!(a.cell(1, 1).failures, 1);
        assert_eq!(
            a.timeline.len(),
            MAX_BUCKETS,
            "far buckets fold into the last"
        );
        let b2 = a.timeline[2].as_ref().unwrap();
        assert_eq!((b2.hist.len(), b2.failures), (2, 1));
        assert!(a.timeline[1].is_none());
        assert_eq!(a.errors_of(&[1], &[1])["refused"], 2);
        assert_eq!(a.errors_of(&[0, 1], &[0])["refused"], 1);
        assert!(
            a.errors_of(&[1], &[0]).is_empty(),
            "a stage's errors are its own"
        );
        assert_eq!(a.all_errors()["refused"], 3);
    }

    #[test]
    fn distinct_messages_are_capped() {
        let mut r = Recorder::new(1, 1, 1_000);
        for i in 0..MAX_MESSAGES + 10 {
            r.failure_message(0, 0, Cow::Owned(format!("error {i}")));
        }
        assert_eq!(r.errors[0].len(), MAX_MESSAGES + 1);
        assert_eq!(r.errors[0][OTHER_MESSAGES], 10);
    }

    #[test]
    fn batches_flush_into_shards() {
        let shards = Shards::new(2, 1, 1, 1_000);
        let mut batch = Batch::with_capacity(4);
        for i in 0..4 {
            batch.push(Done {
                phase: 0,
                op: 0,
                ok: i % 2 == 0,
                start_ns: i,
                latency_ns: 100,
            });
        }
        assert_eq!(batch.len(), 4);
        batch.flush(&mut shards.lock(1));
        assert_eq!(batch.len(), 0);
        shards.lock(0).record(0, 0, 0, 50, true);
        let m = shards.merged();
        assert_eq!(m.cell(0, 0).hist.len(), 5);
        assert_eq!(m.cell(0, 0).failures, 2);
    }
}
