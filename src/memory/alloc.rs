//! The counting global allocator: per-thread counter slots updated without locks.
//!
//! Every thread claims one cache-line-sized slot of a static table the first time it
//! allocates, and keeps the slot's index in a `const`-initialised thread-local (no lazy
//! initialisation, no destructor, so reading it never allocates). Only the owning thread
//! writes its slot, so an update is a relaxed load plus a relaxed store: no `lock`-prefixed
//! instruction on the hot path. Readers add all slots up. A thread that finds the table full
//! falls back to one shared slot updated with atomic read-modify-writes.

use std::alloc::{GlobalAlloc, Layout};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::Relaxed};

use super::AllocCounts;

/// Wraps a global allocator and counts what passes through it.
///
/// `cargo_perf::main!()` installs `CountingAlloc::new(System)`; a suite with its own global
/// allocator wraps it, and ends the file with `cargo_perf::main!(custom_allocator)`:
///
/// ```
/// use std::alloc::System;
/// use cargo_perf::CountingAlloc;
///
/// #[global_allocator]
/// static ALLOC: CountingAlloc<System> = CountingAlloc::new(System);
///
/// let before = cargo_perf::memory::thread_counts().unwrap();
/// let v = vec![1u8; 100];
/// let after = cargo_perf::memory::thread_counts().unwrap();
/// assert!(after.since(before).allocs >= 1);
/// # drop(v);
/// ```
pub struct CountingAlloc<A> {
    inner: A,
}

impl<A> CountingAlloc<A> {
    /// Count what passes through `inner`.
    pub const fn new(inner: A) -> CountingAlloc<A> {
        CountingAlloc { inner }
    }
}

unsafe impl<A: GlobalAlloc> GlobalAlloc for CountingAlloc<A> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = self.inner.alloc(layout);
        if !ptr.is_null() {
            record(Event::Alloc(layout.size()));
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let ptr = self.inner.alloc_zeroed(layout);
        if !ptr.is_null() {
            record(Event::Alloc(layout.size()));
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // Counted first so that the call into the inner allocator can be a tail call.
        record(Event::Dealloc(layout.size()));
        self.inner.dealloc(ptr, layout);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new_ptr = self.inner.realloc(ptr, layout, new_size);
        if !new_ptr.is_null() {
            record(Event::Realloc {
                old: layout.size(),
                new: new_size,
            });
        }
        new_ptr
    }
}

/// Slots in the table; threads beyond this share [`OVERFLOW`]. 1024 × 128 bytes of zeroed
/// static memory, which the OS only makes resident for slots actually claimed.
const SLOT_COUNT: usize = 1024;
const UNCLAIMED: usize = usize::MAX;
/// Marks a thread that found the table full.
const OVERFLOWED: usize = usize::MAX - 1;

/// One thread's counters, padded to two cache lines so neighbours never share a line
/// (adjacent-line prefetch on x86 pairs lines).
#[repr(align(128))]
struct Slot {
    allocs: AtomicU64,
    deallocs: AtomicU64,
    reallocs: AtomicU64,
    bytes_allocated: AtomicU64,
    bytes_deallocated: AtomicU64,
    /// The highest live bytes ([`Slot::live`]) reached since the owner last called
    /// [`reset_thread_peak`].
    peak_live: AtomicU64,
}

impl Slot {
    const fn new() -> Slot {
        Slot {
            allocs: AtomicU64::new(0),
            deallocs: AtomicU64::new(0),
            reallocs: AtomicU64::new(0),
            bytes_allocated: AtomicU64::new(0),
            bytes_deallocated: AtomicU64::new(0),
            peak_live: AtomicU64::new(0),
        }
    }

    /// Bytes this thread allocated minus bytes it freed (two's complement: a thread may free
    /// what another allocated). Derived rather than stored, to keep one store off every event.
    fn live(&self) -> u64 {
        self.bytes_allocated
            .load(Relaxed)
            .wrapping_sub(self.bytes_deallocated.load(Relaxed))
    }

    fn counts(&self) -> AllocCounts {
        AllocCounts {
            allocs: self.allocs.load(Relaxed),
            deallocs: self.deallocs.load(Relaxed),
            reallocs: self.reallocs.load(Relaxed),
            bytes_allocated: self.bytes_allocated.load(Relaxed),
            bytes_deallocated: self.bytes_deallocated.load(Relaxed),
        }
    }
}

static SLOTS: [Slot; SLOT_COUNT] = [const { Slot::new() }; SLOT_COUNT];
static OVERFLOW: Slot = Slot::new();
/// How many slots have been handed out (may exceed `SLOT_COUNT`: then the table is full).
static CLAIMED: AtomicUsize = AtomicUsize::new(0);
/// Set when the first thread claims a slot, i.e. on the first counted event: `CountingAlloc`
/// is (in practice) the global allocator.
static ACTIVE: AtomicBool = AtomicBool::new(false);

thread_local! {
    // `const` and `Copy`: no lazy initialisation and no destructor registration, either of
    // which could allocate from inside the allocator.
    static SLOT_INDEX: Cell<usize> = const { Cell::new(UNCLAIMED) };
}

#[derive(Clone, Copy)]
enum Event {
    Alloc(usize),
    Dealloc(usize),
    Realloc { old: usize, new: usize },
}

/// Adds `n` to a counter only the calling thread writes: a plain load and store.
#[inline(always)]
fn bump(counter: &AtomicU64, n: u64) {
    counter.store(counter.load(Relaxed).wrapping_add(n), Relaxed);
}

/// Counts an event of `CountingAlloc`, which also marks counting as live.
#[inline(always)]
fn record(event: Event) {
    record_with(event, true);
}

/// `mark_active: false` lets the unit tests drive the real table without making the lib's
/// test binary look as if it had a counting global allocator (other modules' tests rely on
/// [`thread_counts`](super::thread_counts) being `None` there).
#[inline(always)]
fn record_with(event: Event, mark_active: bool) {
    // `try_with` fails only while thread-local storage is being torn down; a `const`
    // thread-local without destructor never is, but an event is never worth a panic.
    let index = SLOT_INDEX
        .try_with(|cell| {
            let index = cell.get();
            if index != UNCLAIMED {
                return index;
            }
            let claimed = claim_slot(mark_active);
            cell.set(claimed);
            claimed
        })
        .unwrap_or(OVERFLOWED);
    if index == OVERFLOWED {
        record_shared(&OVERFLOW, event);
    } else {
        record_owned(&SLOTS[index], event);
    }
}

/// Runs once per thread, on its first event: also the place to note that counting is live.
fn claim_slot(mark_active: bool) -> usize {
    if mark_active {
        ACTIVE.store(true, Relaxed);
    }
    let index = CLAIMED.fetch_add(1, Relaxed);
    if index < SLOT_COUNT {
        index
    } else {
        OVERFLOWED
    }
}

#[inline(always)]
fn record_owned(slot: &Slot, event: Event) {
    let allocated = match event {
        Event::Alloc(size) => {
            bump(&slot.allocs, 1);
            bump(&slot.bytes_allocated, size as u64);
            true
        }
        Event::Dealloc(size) => {
            bump(&slot.deallocs, 1);
            bump(&slot.bytes_deallocated, size as u64);
            false
        }
        Event::Realloc { old, new } => {
            bump(&slot.reallocs, 1);
            bump(&slot.bytes_allocated, new as u64);
            bump(&slot.bytes_deallocated, old as u64);
            new > old
        }
    };
    // Live bytes only rise on an allocation: the peak needs no check on a free.
    if allocated {
        let live = slot.live();
        if (live as i64) > (slot.peak_live.load(Relaxed) as i64) {
            slot.peak_live.store(live, Relaxed);
        }
    }
}

/// The overflow slot has many writers: atomic read-modify-writes, and no peak.
fn record_shared(slot: &Slot, event: Event) {
    match event {
        Event::Alloc(size) => {
            slot.allocs.fetch_add(1, Relaxed);
            slot.bytes_allocated.fetch_add(size as u64, Relaxed);
        }
        Event::Dealloc(size) => {
            slot.deallocs.fetch_add(1, Relaxed);
            slot.bytes_deallocated.fetch_add(size as u64, Relaxed);
        }
        Event::Realloc { old, new } => {
            slot.reallocs.fetch_add(1, Relaxed);
            slot.bytes_allocated.fetch_add(new as u64, Relaxed);
            slot.bytes_deallocated.fetch_add(old as u64, Relaxed);
        }
    }
}

pub(super) fn is_active() -> bool {
    ACTIVE.load(Relaxed)
}

/// The calling thread's slot, if it has one of its own.
fn own_slot() -> Option<&'static Slot> {
    let index = SLOT_INDEX.try_with(Cell::get).ok()?;
    SLOTS.get(index)
}

/// The calling thread's counts; zero for a thread that never allocated.
pub(super) fn thread_counts() -> AllocCounts {
    match SLOT_INDEX.try_with(Cell::get) {
        Ok(OVERFLOWED) | Err(_) => OVERFLOW.counts(),
        Ok(UNCLAIMED) => AllocCounts::default(),
        Ok(index) => SLOTS[index].counts(),
    }
}

/// Every slot added up (a consistent sum only when no thread allocates meanwhile; each field
/// is exact on its own at the moment it is read).
pub(super) fn global_counts() -> AllocCounts {
    let claimed = CLAIMED.load(Relaxed).min(SLOT_COUNT);
    SLOTS[..claimed]
        .iter()
        .chain(std::iter::once(&OVERFLOW))
        .map(Slot::counts)
        .fold(AllocCounts::default(), |sum, c| AllocCounts {
            allocs: sum.allocs.wrapping_add(c.allocs),
            deallocs: sum.deallocs.wrapping_add(c.deallocs),
            reallocs: sum.reallocs.wrapping_add(c.reallocs),
            bytes_allocated: sum.bytes_allocated.wrapping_add(c.bytes_allocated),
            bytes_deallocated: sum.bytes_deallocated.wrapping_add(c.bytes_deallocated),
        })
}

/// Start a new peak window on the calling thread: the peak becomes the current live bytes.
pub(super) fn reset_thread_peak() {
    if let Some(slot) = own_slot() {
        slot.peak_live.store(slot.live(), Relaxed);
    }
}

/// How far the calling thread's live bytes rose above their level at the last
/// [`reset_thread_peak`], or `None` for a thread without a slot of its own.
pub(super) fn thread_peak_growth(since_live: i64) -> Option<u64> {
    let slot = own_slot()?;
    let peak = slot.peak_live.load(Relaxed) as i64;
    Some(peak.saturating_sub(since_live).max(0) as u64)
}

/// The calling thread's live bytes (allocated minus freed on this thread).
pub(super) fn thread_live() -> Option<i64> {
    own_slot().map(|slot| slot.live() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// Serialises the tests that record through the real table, so global sums are exact.
    static RECORDING: Mutex<()> = Mutex::new(());

    // The unit tests drive the slot machinery directly: the library's test binary does not
    // install `CountingAlloc` (tests/counting_alloc.rs does, for the end-to-end figures).

    #[test]
    fn owned_slot_counts_every_event_kind() {
        let slot = Slot::new();
        record_owned(&slot, Event::Alloc(100));
        record_owned(&slot, Event::Realloc { old: 100, new: 250 });
        record_owned(&slot, Event::Dealloc(250));
        let c = slot.counts();
        assert_eq!(
            c,
            AllocCounts {
                allocs: 1,
                deallocs: 1,
                reallocs: 1,
                bytes_allocated: 350,
                bytes_deallocated: 350,
            }
        );
        assert_eq!(slot.live(), 0);
        assert_eq!(slot.peak_live.load(Relaxed), 250);
    }

    #[test]
    fn live_bytes_may_go_negative_on_a_freeing_thread() {
        let slot = Slot::new();
        record_owned(&slot, Event::Dealloc(64));
        assert_eq!(slot.live() as i64, -64);
        record_owned(&slot, Event::Alloc(16));
        assert_eq!(slot.live() as i64, -48);
        assert_eq!(slot.peak_live.load(Relaxed) as i64, 0);
    }

    #[test]
    fn shared_slot_sums_exactly_across_threads() {
        let slot = Slot::new();
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for i in 0..10_000 {
                        record_shared(&slot, Event::Alloc(8));
                        if i % 2 == 0 {
                            record_shared(&slot, Event::Dealloc(8));
                        }
                    }
                });
            }
        });
        let c = slot.counts();
        assert_eq!(c.allocs, 40_000);
        assert_eq!(c.deallocs, 20_000);
        assert_eq!(c.bytes_allocated, 320_000);
        assert_eq!(c.bytes_deallocated, 160_000);
    }

    #[test]
    fn per_thread_slots_add_up_exactly_in_the_global_sum() {
        // Each thread records through the real claim path into its own table slot; the
        // global sum must grow by exactly what the threads recorded, whatever else the test
        // binary's other threads do meanwhile (they record nothing: `record` is only called
        // by `CountingAlloc`, which this binary does not install).
        let _serial = RECORDING.lock().unwrap_or_else(|e| e.into_inner());
        let before = global_counts();
        let per_thread: Vec<AllocCounts> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8u64)
                .map(|t| {
                    s.spawn(move || {
                        let start = thread_counts();
                        for _ in 0..(1000 * (t + 1)) {
                            record_with(Event::Alloc(24), false);
                        }
                        for _ in 0..t {
                            record_with(Event::Realloc { old: 24, new: 48 }, false);
                        }
                        thread_counts().since(start)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for (t, counts) in per_thread.iter().enumerate() {
            let t = t as u64;
            assert_eq!(counts.allocs, 1000 * (t + 1));
            assert_eq!(counts.reallocs, t);
            assert_eq!(counts.bytes_allocated, 24 * 1000 * (t + 1) + 48 * t);
            assert_eq!(counts.bytes_deallocated, 24 * t);
        }
        let delta = global_counts().since(before);
        assert_eq!(delta.allocs, (1..=8).map(|t| 1000 * t).sum::<u64>());
        assert_eq!(delta.reallocs, (0..8).sum::<u64>());
        // The unit tests never mark counting as live: this binary has no counting allocator.
        assert!(!is_active());
    }

    #[test]
    fn thread_peak_tracks_the_high_water_mark_since_reset() {
        let _serial = RECORDING.lock().unwrap_or_else(|e| e.into_inner());
        std::thread::spawn(|| {
            record_with(Event::Alloc(1000), false);
            let base = thread_live().unwrap();
            reset_thread_peak();
            record_with(Event::Alloc(500), false);
            record_with(Event::Dealloc(500), false);
            record_with(Event::Alloc(200), false);
            assert_eq!(thread_peak_growth(base), Some(500));
            assert_eq!(thread_live().unwrap() - base, 200);
        })
        .join()
        .unwrap();
    }
}
