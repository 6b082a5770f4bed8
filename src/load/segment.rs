//! Load segments (`cargo perf --segment M/N`): the pure arithmetic by which each of N
//! processes computes its own share of one load test with no network, and the common start.
//!
//! * Open model: the global timetable (`Plan::timetable`) is unchanged; segment `index` runs
//!   exactly the operations whose global sequence number `seq % count == index`, at their
//!   global instants (not `rate / N` on its own clock, which would fire every machine in
//!   lock-step). `Ctx::seq()` is the global sequence number, so the union has no gap.
//! * Closed model: workers are the global indices `0..peak`; a segment owns the workers with
//!   `w % count == index`. A worker is active while the global level exceeds its index, so at
//!   every instant the active workers summed over segments equal the global level.
//!   `Ctx::worker()` is the global worker index; `Ctx::seq()` is `local * count + index`
//!   (`local` counting this segment's operations), unique across segments.
//! * Counts (`iterations`, `max_in_flight`, the closed model's workers) split so that the
//!   parts add up: [`share`]. A share of 0 where a run needs at least one is an error.
//! * Starting together: with `Settings::start_at_unix_ns`, the plan's t = 0 is that wall-clock
//!   instant mapped once onto the monotonic clock; a segment that gets there more than
//!   [`MAX_START_SKEW`] late refuses to run.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::protocol::{Segment, SegmentFigures};

/// A segment that reaches the common start later than this does not run: its share of the
/// load would arrive shifted against the others', and timelines would no longer line up.
/// 100 ms is ten times what NTP keeps machines of one data centre within, and the width of
/// the finest default timeline bucket.
pub const MAX_START_SKEW: Duration = Duration::from_millis(100);
/// Start skews above this (nanoseconds) are worth a warning (`cargo perf` prints it): a tenth
/// of the finest default timeline bucket.
#[cfg_attr(not(feature = "cli"), allow(dead_code))] // read by `cargo perf` (feature `cli`)
pub const START_SKEW_WARN_NS: u64 = 10_000_000;

/// `M/N` as the user spells it (1-based M).
pub(crate) fn label(seg: Segment) -> String {
    format!("{}/{}", seg.index + 1, seg.count)
}

/// Checks a segment from the wire (the CLI checks it too; a harness never trusts it).
pub(crate) fn validate(seg: Segment) -> Result<(), String> {
    if seg.count == 0 || seg.index >= seg.count {
        return Err(format!(
            "segment index {} of {}: the index must be below the count (0-based on the wire)",
            seg.index, seg.count
        ));
    }
    Ok(())
}

/// This segment's part of `total`: `total / count`, plus one for the first `total % count`
/// segments, so that the parts over all segments add up to `total` exactly.
pub fn share(total: u64, seg: Segment) -> u64 {
    let count = u64::from(seg.count.max(1));
    total / count + u64::from(u64::from(seg.index) < total % count)
}

/// Whether this segment runs the open model's operation of global sequence number `seq`
/// (and, closed model, owns worker `seq`).
pub fn owns(seq: u64, seg: Segment) -> bool {
    seq % u64::from(seg.count.max(1)) == u64::from(seg.index)
}

/// Whether a run of segment `seg` (`None`: the whole test) runs global operation `seq`.
pub(crate) fn runs(seq: u64, seg: Option<Segment>) -> bool {
    match seg {
        Some(s) => owns(seq, s),
        None => true,
    }
}

/// The closed model's `Ctx::seq()` of this segment's `local`-th operation: unique across
/// segments (segment `index` takes the numbers congruent to `index` modulo `count`).
pub fn closed_seq(local: u64, seg: Segment) -> u64 {
    local * u64::from(seg.count.max(1)) + u64::from(seg.index)
}

/// Closed model: how many of this segment's workers are active at global level `level`
/// (worker `w` is active while `w < level`, as in the unsegmented run). The engine needs no
/// count (each owned worker follows the level itself); this states the invariant tested.
#[allow(dead_code)]
pub fn active_workers(level: f64, seg: Segment) -> u64 {
    // The workers below `level` are 0..ceil(level); this segment owns its share of them.
    let below = if level > 0.0 { level.ceil() as u64 } else { 0 };
    share(below, seg)
}

/// A share of `total` that leaves this segment nothing where the run needs at least one:
/// the error names the numbers.
pub(crate) fn require_share(
    what: &str,
    total: u64,
    seg: Segment,
    needs: &str,
) -> Result<u64, String> {
    let part = share(total, seg);
    if part == 0 {
        return Err(format!(
            "{what} {total} over {} segments leaves segment {} with no {needs}: \
             use at most {total} segments, or raise {what}",
            seg.count,
            label(seg)
        ));
    }
    Ok(part)
}

/// When a run's plan starts, on this machine's monotonic clock.
#[derive(Debug, Clone)]
pub(crate) struct Start {
    pub at: Instant,
    /// What the segment reports (`None` for an unsegmented run).
    pub figures: Option<SegmentFigures>,
}

/// Maps the common start (Unix nanoseconds) onto the monotonic clock, once: `Instant::now()`
/// plus the wall-clock distance to it. Later wall-clock steps (NTP) do not move the plan.
fn instant_of(start_at_unix_ns: u64) -> Instant {
    let (now, wall) = (Instant::now(), SystemTime::now());
    let target = UNIX_EPOCH + Duration::from_nanos(start_at_unix_ns);
    match target.duration_since(wall) {
        Ok(ahead) => now + ahead,
        // Already past: the instant that long ago (or now, when the clock cannot go back so
        // far, which only a start before the machine booted would need).
        Err(e) => now.checked_sub(e.duration()).unwrap_or(now),
    }
}

/// Waits for the plan's start. Without a common start the plan starts now. With one, the
/// segment sleeps until it and records how late it actually woke (`start_skew_ns`, never
/// negative: waking early is impossible, the wait spins to the instant); later than
/// [`MAX_START_SKEW`] is an error, and the segment does not run.
pub(crate) fn begin(
    segment: Option<Segment>,
    start_at_unix_ns: Option<u64>,
) -> Result<Start, String> {
    let Some(unix_ns) = start_at_unix_ns else {
        return Ok(Start {
            at: Instant::now(),
            figures: segment.map(|s| SegmentFigures {
                index: s.index,
                count: s.count,
                start_at_unix_ns: None,
                start_skew_ns: None,
            }),
        });
    };
    let at = instant_of(unix_ns);
    wait_until(at);
    let skew = Instant::now().saturating_duration_since(at);
    let skew_ns = i64::try_from(skew.as_nanos()).unwrap_or(i64::MAX);
    if skew > MAX_START_SKEW {
        let who = segment.map_or_else(
            || "this load test".to_string(),
            |s| format!("segment {}", label(s)),
        );
        return Err(format!(
            "{who} missed the common start by {} (limit {}): start it earlier, or choose a \
             later --start-at",
            crate::format::duration_ns(skew.as_nanos() as f64),
            crate::format::duration_ns(MAX_START_SKEW.as_nanos() as f64)
        ));
    }
    Ok(Start {
        at,
        figures: Some(SegmentFigures {
            index: segment.map_or(0, |s| s.index),
            count: segment.map_or(1, |s| s.count),
            start_at_unix_ns: Some(unix_ns),
            start_skew_ns: Some(skew_ns),
        }),
    })
}

/// The scheduler sleeps until this close to an instant, then spins: the OS wakes a sleeping
/// thread tens of microseconds late. (Spinning with `yield_now` instead gives the core away
/// for a whole time slice on a busy machine.)
const SPIN_WINDOW: Duration = Duration::from_micros(200);

/// Sleeps coarsely, then spins until `at`.
pub(crate) fn wait_until(at: Instant) {
    loop {
        let now = Instant::now();
        let Some(left) = at.checked_duration_since(now).filter(|d| !d.is_zero()) else {
            return;
        };
        if left > SPIN_WINDOW {
            std::thread::sleep(left - SPIN_WINDOW);
        } else {
            std::hint::spin_loop();
        }
    }
}

/// The current wall clock in Unix nanoseconds (`cargo perf` and launchers choose starts from
/// it; the harness maps a start onto its monotonic clock when its plan begins).
#[cfg_attr(not(feature = "cli"), allow(dead_code))]
pub fn unix_now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::plan::Plan;
    use proptest::prelude::*;

    const S: u64 = 1_000_000_000;

    fn seg(index: u32, count: u32) -> Segment {
        Segment { index, count }
    }

    /// A random plan: an optional ramp-up, then 1–3 stages or a hold, levels up to 40.
    fn plan() -> impl Strategy<Value = Plan> {
        (
            1u64..40,
            prop_oneof![Just(0u64), 1u64..2 * S],
            proptest::collection::vec((0u64..2 * S, 0u64..40), 0..4),
            1u64..2 * S,
        )
            .prop_map(|(base, ramp, stages, hold)| {
                let stages: Vec<(u64, f64)> =
                    stages.into_iter().map(|(d, t)| (d, t as f64)).collect();
                Plan::new(base as f64, ramp, &stages, hold)
            })
            .prop_filter("a plan that schedules something", |p| p.peak() > 0.0)
    }

    /// The open model's (global seq, instant) pairs a segment runs, as open.rs walks them.
    fn segment_timetable(plan: &Plan, s: Option<Segment>) -> Vec<(u64, u64)> {
        let end = plan.end_ns();
        let mut t = plan.timetable();
        let mut out = Vec::new();
        let mut seq = 0u64;
        while let Some(at) = t.next_ns() {
            if at >= end {
                break;
            }
            if runs(seq, s) {
                out.push((seq, at));
            }
            seq += 1;
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn segments_timetables_partition_the_global_one(p in plan(), n in 1u32..=8) {
            let whole = segment_timetable(&p, None);
            let mut union: Vec<(u64, u64)> = Vec::new();
            for i in 0..n {
                let part = segment_timetable(&p, Some(seg(i, n)));
                // Each segment's share of the operations, split like any count.
                prop_assert_eq!(part.len() as u64, share(whole.len() as u64, seg(i, n)));
                union.extend(part);
            }
            union.sort_unstable();
            // Same instants, same sequence numbers, no operation twice.
            prop_assert_eq!(union, whole);
        }

        #[test]
        fn active_workers_sum_to_the_global_level(p in plan(), n in 1u32..=8, k in 0u64..200) {
            let end = p.end_ns();
            let t = end / 200 * k;
            let level = p.level_at(t);
            let global = (0..p.peak().ceil() as usize).filter(|&w| (w as f64) < level).count();
            let mut sum = 0u64;
            for i in 0..n {
                let owned = (0..p.peak().ceil() as u64)
                    .filter(|&w| owns(w, seg(i, n)) && (w as f64) < level)
                    .count() as u64;
                prop_assert_eq!(owned, active_workers(level, seg(i, n)));
                sum += owned;
            }
            prop_assert_eq!(sum, global as u64);
        }

        #[test]
        fn shares_add_up(total in 0u64..1_000_000, n in 1u32..=64) {
            let parts: Vec<u64> = (0..n).map(|i| share(total, seg(i, n))).collect();
            prop_assert_eq!(parts.iter().sum::<u64>(), total);
            // As even as possible: no two parts differ by more than one.
            let (lo, hi) = (parts.iter().min().unwrap(), parts.iter().max().unwrap());
            prop_assert!(hi - lo <= 1);
        }

        #[test]
        fn closed_sequence_numbers_are_unique_across_segments(n in 1u32..=8, k in 1u64..50) {
            let mut all: Vec<u64> = (0..n)
                .flat_map(|i| (0..k).map(move |l| closed_seq(l, seg(i, n))))
                .collect();
            all.sort_unstable();
            all.dedup();
            prop_assert_eq!(all.len() as u64, k * u64::from(n));
        }
    }

    #[test]
    fn a_zero_share_names_the_numbers() {
        let e = require_share("max_in_flight", 2, seg(2, 3), "slot in flight").unwrap_err();
        assert!(e.contains("max_in_flight 2 over 3 segments"), "{e}");
        assert!(e.contains("segment 3/3"), "{e}");
        assert_eq!(
            require_share("iterations", 7, seg(0, 3), "operation"),
            Ok(3)
        );
        assert!(validate(seg(3, 3)).is_err());
        assert!(validate(seg(0, 0)).is_err());
        assert!(validate(seg(2, 3)).is_ok());
    }

    #[test]
    fn a_common_start_is_waited_for_and_a_missed_one_refused() {
        let s = Some(seg(1, 3));
        let at = unix_now_ns() + 30_000_000;
        let before = Instant::now();
        let start = begin(s, Some(at)).unwrap();
        let waited = before.elapsed();
        // It slept until (about) the start: 30 ms less the time to get here.
        assert!(waited >= Duration::from_millis(20), "{waited:?}");
        let f = start.figures.unwrap();
        assert_eq!((f.index, f.count, f.start_at_unix_ns), (1, 3, Some(at)));
        assert!(f.start_skew_ns.unwrap() >= 0);
        // 1.4 s in the past: refused, naming the segment as the user counts it.
        let late = unix_now_ns() - 1_400_000_000;
        let e = begin(s, Some(late)).unwrap_err();
        assert!(
            e.starts_with("segment 2/3 missed the common start by 1.4"),
            "{e}"
        );
        assert!(e.contains("(limit 100 ms)"), "{e}");
        // No common start: the plan starts now, and the segment is still recorded.
        let now = begin(s, None).unwrap();
        assert_eq!(now.figures.unwrap().start_skew_ns, None);
        assert!(begin(None, None).unwrap().figures.is_none());
    }
}
