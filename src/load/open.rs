//! The open model: operations start on a fixed timetable whatever the system's speed, and
//! their latency counts from the *scheduled* start, so queueing delay cannot hide
//! (no coordinated omission). The scheduler runs on the calling thread, outside the runtime,
//! sleeping coarsely and then spinning to hit each start within microseconds.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use super::config::RunSpec;
use tokio::runtime::Runtime;

use super::engine::{drain_time, threads, RunData, RunEnv};
use super::outcome::{call_timed, IntoOutcome};
use super::record::{histogram, put, Shards};
use super::resources::Sampler;
use super::segment::{runs, wait_until};
use super::Ctx;

pub(crate) fn run<F, Fut>(
    rt: &Runtime,
    spec: &RunSpec,
    env: Arc<RunEnv>,
    max_in_flight: usize,
    start: Instant,
    op: F,
) -> RunData
where
    F: Fn(Ctx) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: IntoOutcome,
{
    let handle = rt.handle().clone();
    let op = Arc::new(op);
    let shards = Arc::new(Shards::new(
        threads() * 4,
        spec.plan.phases.len(),
        env.ops,
        spec.bucket_ns,
    ));
    let slots = Arc::new(Semaphore::new(max_in_flight));
    // When the last operation finished: the run delivered its operations by then.
    let last_done = Arc::new(AtomicU64::new(0));
    let end_ns = spec.plan.end_ns();
    let mut timetable = spec.plan.timetable();
    let mut lag = histogram(3);
    let (mut late, mut dropped) = (0u64, 0u64);
    // The global sequence number of the timetable's next operation; a segment runs the ones
    // it owns (see `segment`), so operations keep their numbers and instants.
    let mut seq = 0u64;
    // Operations scheduled before this offset were held back by the in-flight cap.
    let mut blocked_until_ns = 0u64;
    let end = start + Duration::from_nanos(end_ns);
    let sampler = Sampler::start(start, end_ns);
    let timeline = env.start_faults(start);
    while let Some(at_ns) = timetable.next_ns() {
        let this = seq;
        seq += 1;
        if at_ns >= end_ns || this >= spec.max_ops {
            break;
        }
        if !runs(this, spec.segment) {
            continue;
        }
        let at = start + Duration::from_nanos(at_ns);
        wait_until(at);
        let permit = match Arc::clone(&slots).try_acquire_owned() {
            Ok(p) => {
                if at_ns < blocked_until_ns {
                    late += 1;
                } else {
                    let behind = Instant::now().saturating_duration_since(at);
                    put(&mut lag, behind.as_nanos() as u64, 1);
                }
                p
            }
            Err(_) => {
                late += 1;
                let slot = Arc::clone(&slots).acquire_owned();
                // Timers need the runtime's context: build the timeout inside it.
                let waited =
                    handle.block_on(async { tokio::time::timeout_at(end.into(), slot).await });
                match waited {
                    Ok(Ok(p)) => {
                        blocked_until_ns = start.elapsed().as_nanos() as u64;
                        p
                    }
                    // The plan ended while the cap stayed full: this operation never starts.
                    _ => {
                        late -= 1;
                        dropped += 1;
                        break;
                    }
                }
            }
        };
        let phase = spec.plan.phase_at(at_ns);
        let (op, shards, last_done, env) = (
            Arc::clone(&op),
            Arc::clone(&shards),
            Arc::clone(&last_done),
            Arc::clone(&env),
        );
        let which = env.picker.pick(this);
        handle.spawn(async move {
            let ctx = Ctx::in_run(0, this, which, env.shared);
            let outcome = call_timed(&*op, ctx, env.timeout.as_ref()).await;
            let done = Instant::now();
            let latency = done.saturating_duration_since(at).as_nanos() as u64;
            let done_ns = done.saturating_duration_since(start).as_nanos() as u64;
            last_done.fetch_max(done_ns, Ordering::Relaxed);
            let mut rec = shards.lock(this as usize);
            let ok = outcome.is_ok();
            if let Err(message) = outcome {
                rec.failure_message(phase, which as usize, message);
            }
            rec.record(phase, which as usize, at_ns, latency, ok);
            drop(rec);
            drop(permit);
        });
    }
    // Whatever else the timetable held before the end never started either.
    while let Some(at_ns) = timetable.next_ns() {
        let this = seq;
        seq += 1;
        if at_ns >= end_ns || this >= spec.max_ops {
            break;
        }
        if runs(this, spec.segment) {
            dropped += 1;
        }
    }
    let all = u32::try_from(max_in_flight).unwrap_or(u32::MAX);
    let drained = handle.block_on(async {
        tokio::time::timeout(drain_time(spec.smoke), slots.acquire_many(all)).await
    });
    let unfinished = match drained {
        Ok(_) => 0,
        Err(_) => max_in_flight.saturating_sub(slots.available_permits()) as u64,
    };
    let resources = sampler.map(Sampler::stop).unwrap_or_default();
    let faults = timeline.map(|t| t.stop()).unwrap_or_default();
    let rec = shards.merged();
    RunData {
        faults,
        rec,
        ended_ns: end_ns.max(last_done.load(Ordering::Relaxed)),
        dropped,
        late,
        unfinished,
        lag: Some(lag),
        resources,
    }
}
