//! The closed model: a pool of workers, each awaiting one operation at a time; the plan's
//! level says how many of them are active at each moment.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::config::RunSpec;
use tokio::runtime::Runtime;

use super::engine::{drain_time, threads, RunData, RunEnv};
use super::outcome::{call_timed, IntoOutcome};
use super::plan::Plan;
use super::record::{Batch, Done, Shards};
use super::resources::Sampler;
use super::segment::{closed_seq, runs};
use super::Ctx;
use crate::protocol::Segment;

/// A worker yields to the runtime after this many operations in a row, so that an operation
/// that never awaits cannot starve timers and I/O (or the other workers).
pub(crate) const YIELD_EVERY: u32 = 64;
/// A worker flushes its results after this many operations or this much time.
const FLUSH_EVERY: usize = 64;
const FLUSH_AFTER: Duration = Duration::from_millis(10);
/// Sequence numbers are claimed in blocks when no operation count has to be met exactly,
/// so that workers do not fight over one counter.
const CLAIM_BLOCK: u64 = 256;

struct Shared<F> {
    plan: Plan,
    env: Arc<RunEnv>,
    shards: Shards,
    next_seq: AtomicU64,
    /// This segment's operation budget (its share of `iterations`).
    max_ops: u64,
    /// A segment runs only the workers it owns, and numbers its operations apart.
    segment: Option<Segment>,
    start: Instant,
    op: F,
}

pub(crate) fn run<F, Fut>(
    rt: &Runtime,
    spec: &RunSpec,
    env: Arc<RunEnv>,
    start: Instant,
    op: F,
) -> RunData
where
    F: Fn(Ctx) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: IntoOutcome,
{
    let workers = spec.plan.peak().ceil() as usize;
    let end_ns = spec.plan.end_ns();
    let ops = env.ops;
    let shared = Arc::new(Shared {
        plan: spec.plan.clone(),
        env,
        shards: Shards::new(threads(), spec.plan.phases.len(), ops, spec.bucket_ns),
        next_seq: AtomicU64::new(0),
        max_ops: spec.max_ops,
        segment: spec.segment,
        start,
        op,
    });
    let sampler = Sampler::start(start, end_ns);
    let timeline = shared.env.start_faults(start);
    let deadline = start
        .checked_add(Duration::from_nanos(end_ns))
        .and_then(|end| end.checked_add(drain_time(spec.smoke)));
    let unfinished = rt.block_on(async {
        let handles: Vec<_> = (0..workers)
            .filter(|&w| runs(w as u64, shared.segment))
            .map(|w| tokio::spawn(worker(w, Arc::clone(&shared))))
            .collect();
        let mut unfinished = 0;
        for h in handles {
            let joined = match deadline {
                Some(d) => tokio::time::timeout_at(d.into(), h).await.ok(),
                None => Some(h.await),
            };
            if joined.is_none() {
                unfinished += 1;
            }
        }
        unfinished
    });
    let ended_ns = start.elapsed().as_nanos() as u64;
    let faults = timeline.map(|t| t.stop()).unwrap_or_default();
    RunData {
        faults,
        rec: shared.shards.merged(),
        ended_ns: if unfinished > 0 {
            end_ns.min(ended_ns)
        } else {
            ended_ns
        },
        dropped: 0,
        late: 0,
        unfinished,
        lag: None,
        resources: sampler.map(Sampler::stop).unwrap_or_default(),
    }
}

async fn worker<F, Fut>(w: usize, s: Arc<Shared<F>>)
where
    F: Fn(Ctx) -> Fut,
    Fut: Future,
    Fut::Output: IntoOutcome,
{
    let end_ns = s.plan.end_ns();
    let claim = if s.max_ops == u64::MAX {
        CLAIM_BLOCK
    } else {
        1
    };
    let (mut seq, mut seq_end) = (0u64, 0u64);
    let mut batch = Batch::with_capacity(FLUSH_EVERY);
    let mut since_yield = 0u32;
    let mut now = Instant::now();
    let mut last_flush = now;
    // The current phase, until when it lasts, and its level when that is constant.
    let (mut phase, mut phase_end, mut flat) = (0usize, 0u64, None);
    loop {
        let t_ns = now.saturating_duration_since(s.start).as_nanos() as u64;
        if t_ns >= end_ns {
            break;
        }
        if t_ns >= phase_end {
            phase = s.plan.phase_at(t_ns);
            let p = &s.plan.phases[phase];
            phase_end = p.end_ns();
            flat = (p.from == p.to).then_some(p.to);
        }
        let level = flat.unwrap_or_else(|| s.plan.phases[phase].level_at(t_ns));
        if (w as f64) >= level {
            batch.flush(&mut s.shards.lock(w));
            match s.plan.next_active_ns(w, t_ns) {
                Some(at) if at < end_ns => {
                    tokio::time::sleep_until((s.start + Duration::from_nanos(at)).into()).await;
                    now = Instant::now();
                    continue;
                }
                _ => break,
            }
        }
        if seq == seq_end {
            let first = s.next_seq.fetch_add(claim, Ordering::Relaxed);
            if first >= s.max_ops {
                break;
            }
            (seq, seq_end) = (first, (first + claim).min(s.max_ops));
        }
        let global = s.segment.map_or(seq, |g| closed_seq(seq, g));
        let op = s.env.picker.pick(global);
        let ctx = Ctx::in_run(w, global, op, s.env.shared);
        let outcome = call_timed(&s.op, ctx, s.env.timeout.as_ref()).await;
        seq += 1;
        // One clock read per operation: this operation's end is the next one's start.
        let done = Instant::now();
        let ok = outcome.is_ok();
        if let Err(message) = outcome {
            s.shards
                .lock(w)
                .failure_message(phase, op as usize, message);
        }
        batch.push(Done {
            phase: phase as u32,
            op,
            ok,
            start_ns: t_ns,
            latency_ns: done.saturating_duration_since(now).as_nanos() as u64,
        });
        now = done;
        if batch.len() >= FLUSH_EVERY || done.saturating_duration_since(last_flush) > FLUSH_AFTER {
            batch.flush(&mut s.shards.lock(w));
            last_flush = done;
        }
        since_yield += 1;
        if since_yield >= YIELD_EVERY {
            since_yield = 0;
            tokio::task::yield_now().await;
            now = Instant::now();
        }
    }
    batch.flush(&mut s.shards.lock(w));
}
