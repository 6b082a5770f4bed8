//! Instruction counts per iteration for `cargo perf --instructions`, two ways: hardware
//! counters (`perf_event_open`: instructions, cycles, branch and cache misses, user space
//! only) read around a counting pass after the timed samples, or Callgrind client requests
//! when the process runs under Valgrind (machines without a PMU: most VMs and hosted CI).
//!
//! Both count regions of two lengths, `n` and `2n` iterations, and report
//! `(count(2n) - count(n)) / n`: whatever a region costs besides its iterations (the probe's
//! own reads and toggles, the loop's set-up) is in both and cancels, as the timer's overhead
//! is subtracted from every sample.

use super::engine::{self, Prepared, Probe, Routine, Sampled};
use crate::metrics::Metrics;
use crate::protocol::{Counting, Settings};

/// What a counting pass measured, per iteration.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Counts {
    pub instructions: f64,
    pub cycles: Option<f64>,
    pub branch_misses: Option<f64>,
    pub cache_misses: Option<f64>,
}

impl Counts {
    pub(crate) fn write(&self, m: &mut Metrics) {
        m.instructions_per_iter = Some(self.instructions);
        m.cycles_per_iter = self.cycles;
        m.branch_misses_per_iter = self.branch_misses;
        m.cache_misses_per_iter = self.cache_misses;
    }
}

/// Measure `routine` as `settings.counting` says: the timed samples alone, the samples then
/// a hardware counting pass, or (under Valgrind) the counting regions alone. Smoke runs
/// (`cargo test`) never count.
pub(crate) fn measure<R: Routine>(
    settings: &Settings,
    routine: &mut R,
    prepared: Prepared,
) -> Result<(Sampled, Option<Counts>), String> {
    match settings.counting {
        _ if settings.is_smoke() => Ok((engine::run(settings, routine, prepared), None)),
        Counting::Off => Ok((engine::run(settings, routine, prepared), None)),
        Counting::Hardware => {
            let sampled = engine::run(settings, routine, prepared);
            Ok((sampled, Some(hardware(routine)?)))
        }
        Counting::Valgrind => under_valgrind(routine).map(|(s, c)| (s, Some(c))),
    }
}

/// Per-iteration figure from the counts of an `n`-iteration and a `2n`-iteration region: the
/// fixed cost of a region is in both and cancels. Never negative (a counter that went
/// backwards between two reads is noise, not a negative cost).
pub(crate) fn per_iteration(short: u64, long: u64, n: u64) -> f64 {
    long.saturating_sub(short) as f64 / n.max(1) as f64
}

/// Counting regions are this many instructions long (the shorter one), at least: long enough
/// that one interrupt's worth of stray user-space instructions is far below 0.01 %, short
/// enough that Callgrind (some 50x slower than the CPU) spends well under a second on them.
const TARGET_REGION_INSTRUCTIONS: u64 = 4_000_000;
/// Iterations of a counting region, at most (a body of a few instructions).
const MAX_REGION_ITERS: u64 = 1 << 20;
/// Hardware counting: each pair of regions is taken this many times and the median kept, since
/// an interrupt can only add stray instructions to a region.
const HARDWARE_ROUNDS: usize = 5;

/// The iterations of the shorter region: a power of two, so that the same body gets the same
/// `n` in every process (an estimate off by a few percent rounds to the same value), and the
/// per-iteration figure is exactly reproducible under Valgrind.
pub(crate) fn region_iters(one_iteration: f64, max_batch: u64) -> u64 {
    let wanted = (TARGET_REGION_INSTRUCTIONS as f64 / one_iteration.max(1.0)).ceil() as u64;
    wanted
        .clamp(1, MAX_REGION_ITERS)
        .next_power_of_two()
        .min(MAX_REGION_ITERS)
        .min(max_batch.max(1))
}

/// Hardware mode: instructions (and what else the PMU counts) per iteration, after the timed
/// samples.
pub(crate) fn hardware<R: Routine>(routine: &mut R) -> Result<Counts, String> {
    let mut group = hardware::Group::open()?;
    let mut count = |routine: &mut R, iters: u64| -> Result<[Option<u64>; 4], String> {
        routine.probed_batch(iters, &mut group);
        group.read()
    };
    // One iteration (after the sampling, so nothing is cold) sizes the regions.
    let one = per_iteration(
        count(routine, 1)?[0].unwrap_or(0),
        count(routine, 2)?[0].unwrap_or(0),
        1,
    );
    let n = region_iters(one, routine.max_batch());
    let mut rounds: Vec<[Option<f64>; 4]> = Vec::with_capacity(HARDWARE_ROUNDS);
    for _ in 0..HARDWARE_ROUNDS {
        let (short, long) = (count(routine, n)?, count(routine, 2 * n)?);
        let mut per = [None; 4];
        for (i, slot) in per.iter_mut().enumerate() {
            *slot = short[i].zip(long[i]).map(|(s, l)| per_iteration(s, l, n));
        }
        rounds.push(per);
    }
    let median_of = |i: usize| -> Option<f64> {
        let values: Vec<f64> = rounds.iter().filter_map(|r| r[i]).collect();
        crate::stats::median(&values)
    };
    Ok(Counts {
        instructions: median_of(0).ok_or("the instruction counter gave no reading")?,
        cycles: median_of(1),
        branch_misses: median_of(2),
        cache_misses: median_of(3),
    })
}

/// Whether this machine's hardware counters count instructions here (`cargo perf` asks before
/// it picks a mode); the error says why not.
#[cfg(any(test, feature = "cli"))]
pub(crate) fn hardware_available() -> Result<(), String> {
    hardware::Group::open().map(drop)
}

/// Valgrind mode: instruction counts only. Timing under Valgrind is meaningless, so no sample
/// is timed: a short warm-up, a one-iteration region to size the two counted regions, the
/// regions, and the allocation pass.
pub(crate) fn under_valgrind<R: Routine>(routine: &mut R) -> Result<(Sampled, Counts), String> {
    let mut dumps = callgrind::Dumps::open()?;
    // Lazy symbol binding, first allocations, one-time initialisation: out of the regions.
    routine.timed_batch(1);
    routine.timed_batch(1);
    let mut count = |routine: &mut R, iters: u64| -> Result<u64, String> {
        routine.probed_batch(iters, &mut dumps);
        dumps.last()
    };
    let one = per_iteration(count(routine, 1)?, count(routine, 2)?, 1);
    let n = region_iters(one, routine.max_batch());
    let (short, long) = (count(routine, n)?, count(routine, 2 * n)?);
    let counts = Counts {
        instructions: per_iteration(short, long, n),
        ..Counts::default()
    };
    let allocs = engine::alloc_pass(routine, n);
    let sampled = Sampled {
        raw_ns: Vec::new(),
        batch: n,
        iterations: 3 * n,
        timer_overhead_ns: 0.0,
        allocs,
    };
    Ok((sampled, counts))
}

/// `perf_event_open(2)`: one group of user-space counters on this thread, any CPU.
#[cfg(target_os = "linux")]
mod hardware {
    use std::fs::File;
    use std::io::Read;
    use std::os::fd::{AsRawFd, FromRawFd};

    /// `struct perf_event_attr` up to `PERF_ATTR_SIZE_VER5` (112 bytes), which every kernel
    /// since 4.1 accepts.
    #[repr(C)]
    #[derive(Default)]
    struct Attr {
        kind: u32,
        size: u32,
        config: u64,
        sample_period: u64,
        sample_type: u64,
        read_format: u64,
        flags: u64,
        wakeup_events: u32,
        bp_type: u32,
        config1: u64,
        config2: u64,
        branch_sample_type: u64,
        sample_regs_user: u64,
        sample_stack_user: u32,
        clockid: i32,
        sample_regs_intr: u64,
        aux_watermark: u32,
        sample_max_stack: u16,
        reserved: u16,
    }

    const PERF_TYPE_HARDWARE: u32 = 0;
    /// Instructions first: the group's leader, the one counter that must exist.
    const EVENTS: [u64; 4] = [
        1, // PERF_COUNT_HW_INSTRUCTIONS
        0, // PERF_COUNT_HW_CPU_CYCLES
        5, // PERF_COUNT_HW_BRANCH_MISSES
        3, // PERF_COUNT_HW_CACHE_MISSES
    ];
    const FLAG_DISABLED: u64 = 1 << 0;
    const FLAG_EXCLUDE_KERNEL: u64 = 1 << 5;
    const FLAG_EXCLUDE_HV: u64 = 1 << 6;
    const FORMAT_TOTAL_TIME_ENABLED: u64 = 1 << 0;
    const FORMAT_TOTAL_TIME_RUNNING: u64 = 1 << 1;
    const FORMAT_GROUP: u64 = 1 << 3;
    const PERF_FLAG_FD_CLOEXEC: libc::c_ulong = 1 << 3;
    const IOC_ENABLE: libc::c_ulong = 0x2400;
    const IOC_DISABLE: libc::c_ulong = 0x2401;
    const IOC_RESET: libc::c_ulong = 0x2403;
    const IOC_FLAG_GROUP: libc::c_ulong = 1;

    pub(super) struct Group {
        leader: File,
        /// The other counters that opened, by their index in [`EVENTS`]; kept open (and
        /// closed on drop) with the leader.
        members: Vec<(usize, File)>,
    }

    fn open_one(config: u64, group: i32) -> std::io::Result<File> {
        let attr = Attr {
            kind: PERF_TYPE_HARDWARE,
            size: std::mem::size_of::<Attr>() as u32,
            config,
            read_format: FORMAT_GROUP | FORMAT_TOTAL_TIME_ENABLED | FORMAT_TOTAL_TIME_RUNNING,
            // User space only: the body's own work, and allowed at perf_event_paranoid 2.
            flags: FLAG_DISABLED | FLAG_EXCLUDE_KERNEL | FLAG_EXCLUDE_HV,
            ..Attr::default()
        };
        // SAFETY: the attribute is a valid, fully initialised perf_event_attr of the size it
        // states; pid 0 / cpu -1 is "this thread, any CPU".
        let fd = unsafe {
            libc::syscall(
                libc::SYS_perf_event_open,
                &attr as *const Attr,
                0 as libc::pid_t,
                -1 as libc::c_int,
                group as libc::c_int,
                PERF_FLAG_FD_CLOEXEC,
            )
        };
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: a fresh descriptor this function owns.
        Ok(unsafe { File::from_raw_fd(fd as i32) })
    }

    /// Why the instruction counter could not be opened, in the user's terms.
    fn explain(e: std::io::Error) -> String {
        let why = match e.raw_os_error() {
            Some(libc::ENOENT) | Some(libc::EOPNOTSUPP) | Some(libc::ENODEV) => {
                "this machine exposes no hardware instruction counter (no PMU: usual in VMs and \
                 hosted CI)"
                    .to_string()
            }
            Some(libc::EACCES) | Some(libc::EPERM) => {
                let level = std::fs::read_to_string("/proc/sys/kernel/perf_event_paranoid")
                    .map(|s| s.trim().to_string())
                    .unwrap_or_else(|_| "?".into());
                format!(
                    "the kernel refuses performance counters to this user \
                     (kernel.perf_event_paranoid = {level}; 2 or less allows user-space counting)"
                )
            }
            Some(libc::ENOSYS) => "this kernel has no perf events (perf_event_open)".into(),
            _ => format!("perf_event_open failed: {e}"),
        };
        format!("hardware counters unavailable: {why}")
    }

    impl Group {
        pub(super) fn open() -> Result<Group, String> {
            let leader = open_one(EVENTS[0], -1).map_err(explain)?;
            let members = EVENTS
                .iter()
                .enumerate()
                .skip(1)
                // Optional: a PMU without, say, cache-miss events still counts instructions.
                .filter_map(|(i, &config)| {
                    open_one(config, leader.as_raw_fd()).ok().map(|f| (i, f))
                })
                .collect();
            Ok(Group { leader, members })
        }

        fn ioctl(&self, request: libc::c_ulong) {
            // SAFETY: an ioctl without a pointer argument on a perf event descriptor we own.
            unsafe {
                libc::ioctl(self.leader.as_raw_fd(), request as _, IOC_FLAG_GROUP);
            }
        }

        /// The counts of the last region, by [`EVENTS`] index. `Err` when the kernel
        /// multiplexed the group (too few counters): its counts are estimates, not counts.
        pub(super) fn read(&mut self) -> Result<[Option<u64>; 4], String> {
            // nr, time_enabled, time_running, then one value per counter, in opening order.
            let mut buf = [0u8; 8 * (3 + EVENTS.len())];
            let n = self
                .leader
                .read(&mut buf)
                .map_err(|e| format!("cannot read the hardware counters: {e}"))?;
            let word = |i: usize| {
                let bytes: [u8; 8] = buf[8 * i..8 * i + 8].try_into().expect("8 bytes");
                u64::from_ne_bytes(bytes)
            };
            let nr = word(0) as usize;
            if n < 8 * (3 + nr) || nr != 1 + self.members.len() {
                return Err("the hardware counters returned a short read".into());
            }
            if word(1) != word(2) {
                return Err(
                    "the kernel multiplexed the hardware counters (another tool is using them): \
                     the counts would be estimates"
                        .into(),
                );
            }
            let mut out = [None; 4];
            out[0] = Some(word(3));
            for (k, (index, _)) in self.members.iter().enumerate() {
                out[*index] = Some(word(4 + k));
            }
            Ok(out)
        }
    }

    impl super::Probe for Group {
        #[inline(always)]
        fn start(&mut self) {
            self.ioctl(IOC_RESET);
            self.ioctl(IOC_ENABLE);
        }

        #[inline(always)]
        fn stop(&mut self) {
            self.ioctl(IOC_DISABLE);
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod hardware {
    pub(super) struct Group;

    impl Group {
        pub(super) fn open() -> Result<Group, String> {
            Err(
                "hardware counters unavailable: cargo-perf reads them through Linux's \
                 perf_event_open only"
                    .into(),
            )
        }

        pub(super) fn read(&mut self) -> Result<[Option<u64>; 4], String> {
            Err("no hardware counters".into())
        }
    }

    impl super::Probe for Group {
        fn start(&mut self) {}
        fn stop(&mut self) {}
    }
}

/// Callgrind's client requests and its dump files. Callgrind runs with `--collect-atstart=no`:
/// only what lies between a probe's start and stop is collected, and each stop dumps it to
/// `<out>.<part>`, read back at once.
mod callgrind {
    use std::path::PathBuf;

    use crate::protocol::ENV_CALLGRIND_OUT;

    pub(super) struct Dumps {
        out: PathBuf,
        /// Callgrind numbers its dumps from 1 in each process.
        part: u32,
    }

    impl Dumps {
        pub(super) fn open() -> Result<Dumps, String> {
            if !requests::running_on_valgrind() {
                return Err(
                    "Valgrind mode, but this process is not running under Valgrind: run it \
                     through `cargo perf --instructions`"
                        .into(),
                );
            }
            let out = std::env::var_os(ENV_CALLGRIND_OUT).ok_or_else(|| {
                format!("Valgrind mode needs {ENV_CALLGRIND_OUT} (set by `cargo perf`)")
            })?;
            Ok(Dumps {
                out: PathBuf::from(out),
                part: 0,
            })
        }

        /// The instructions of the last dumped region.
        pub(super) fn last(&mut self) -> Result<u64, String> {
            let mut path = self.out.clone().into_os_string();
            path.push(format!(".{}", self.part));
            let path = PathBuf::from(path);
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("cannot read Callgrind's dump {}: {e}", path.display()))?;
            let _ = std::fs::remove_file(&path);
            super::parse_dump(&text, requests::DUMP_LABEL)
        }
    }

    impl super::Probe for Dumps {
        #[inline(always)]
        fn start(&mut self) {
            requests::zero_stats();
            requests::toggle_collect();
        }

        #[inline(always)]
        fn stop(&mut self) {
            requests::toggle_collect();
            requests::dump_stats_at();
            self.part += 1;
        }
    }

    /// The client requests of `valgrind.h` and `callgrind.h` (3.x, stable since 3.2): a magic
    /// instruction sequence that does nothing on a real CPU and that Valgrind's JIT recognises.
    #[cfg(target_arch = "x86_64")]
    mod requests {
        /// Every dump's label, checked when the dump is read back.
        pub(crate) const DUMP_LABEL: &str = "cargo-perf-region";
        const DUMP_LABEL_C: &[u8] = b"cargo-perf-region\0";

        const RUNNING_ON_VALGRIND: usize = 0x1001;
        /// `VG_USERREQ_TOOL_BASE('C','T')`.
        const CALLGRIND: usize = ((b'C' as usize) << 24) | ((b'T' as usize) << 16);
        const ZERO_STATS: usize = CALLGRIND + 1;
        const TOGGLE_COLLECT: usize = CALLGRIND + 2;
        const DUMP_STATS_AT: usize = CALLGRIND + 3;

        #[inline(always)]
        fn request(default: usize, code: usize, arg: usize) -> usize {
            let args: [usize; 6] = [code, arg, 0, 0, 0, 0];
            let mut result = default;
            // SAFETY: the sequence rotates rdi by 128 bits in total (a no-op) and exchanges
            // rbx with itself; only under Valgrind does it act, reading `args` and writing rdx.
            unsafe {
                std::arch::asm!(
                    "rol rdi, 3",
                    "rol rdi, 13",
                    "rol rdi, 61",
                    "rol rdi, 51",
                    "xchg rbx, rbx",
                    inout("rdx") result,
                    in("rax") args.as_ptr(),
                    inout("rdi") 0usize => _,
                    options(nostack),
                );
            }
            result
        }

        pub(crate) fn running_on_valgrind() -> bool {
            request(0, RUNNING_ON_VALGRIND, 0) > 0
        }

        #[inline(always)]
        pub(crate) fn zero_stats() {
            request(0, ZERO_STATS, 0);
        }

        #[inline(always)]
        pub(crate) fn toggle_collect() {
            request(0, TOGGLE_COLLECT, 0);
        }

        #[inline(always)]
        pub(crate) fn dump_stats_at() {
            request(0, DUMP_STATS_AT, DUMP_LABEL_C.as_ptr() as usize);
        }
    }

    /// Valgrind's client requests are only written for x86_64 here: elsewhere Valgrind mode
    /// reports itself unavailable.
    #[cfg(not(target_arch = "x86_64"))]
    mod requests {
        pub(crate) const DUMP_LABEL: &str = "cargo-perf-region";
        pub(crate) fn running_on_valgrind() -> bool {
            false
        }
        pub(crate) fn zero_stats() {}
        pub(crate) fn toggle_collect() {}
        pub(crate) fn dump_stats_at() {}
    }
}

/// The instruction count (`summary:` line, event `Ir`) of one Callgrind dump, after checking
/// that it is the dump of a counting region (its trigger names `label`).
pub(crate) fn parse_dump(text: &str, label: &str) -> Result<u64, String> {
    let mut events: Option<Vec<&str>> = None;
    let mut trigger_ok = false;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("events:") {
            events = Some(rest.split_whitespace().collect());
        } else if let Some(rest) = line.strip_prefix("desc: Trigger:") {
            trigger_ok = rest.trim() == format!("Client Request: {label}");
        } else if let Some(rest) = line.strip_prefix("summary:") {
            let events = events
                .as_ref()
                .ok_or("a Callgrind dump without an `events:` line")?;
            let ir = events
                .iter()
                .position(|e| *e == "Ir")
                .ok_or("a Callgrind dump that does not count instructions (`Ir`)")?;
            if !trigger_ok {
                return Err(format!(
                    "a Callgrind dump not triggered by cargo-perf's `{label}` request"
                ));
            }
            let value = rest
                .split_whitespace()
                .nth(ir)
                // A dump of an empty region may list fewer figures than events.
                .unwrap_or("0");
            return value
                .parse()
                .map_err(|_| format!("a Callgrind dump with a malformed summary: {rest:?}"));
        }
    }
    Err("a Callgrind dump without a `summary:` line".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DUMP: &str = "# callgrind format\nversion: 1\ncreator: callgrind-3.19.0\n\
        cmd:  ./t\npart: 2\n\ndesc: I1 cache: \ndesc: Timerange: Basic block 28450 - 29458\n\
        desc: Trigger: Client Request: cargo-perf-region\n\npositions: line\nevents: Ir\n\
        summary: 12020\n\n\ntotals: 12020\n";

    #[test]
    fn a_dump_gives_its_instruction_count_and_foreign_dumps_are_refused() {
        assert_eq!(parse_dump(DUMP, "cargo-perf-region"), Ok(12020));
        let at_exit = DUMP.replace("Client Request: cargo-perf-region", "Program termination");
        assert!(parse_dump(&at_exit, "cargo-perf-region")
            .unwrap_err()
            .contains("not triggered"));
        let cache = DUMP
            .replace("events: Ir", "events: Dr Ir")
            .replace("summary: 12020", "summary: 7 12020");
        assert_eq!(parse_dump(&cache, "cargo-perf-region"), Ok(12020));
        let no_ir = DUMP.replace("events: Ir", "events: Dr");
        assert!(parse_dump(&no_ir, "cargo-perf-region").is_err());
        assert!(parse_dump("events: Ir\n", "x").is_err());
        let garbled = DUMP.replace("summary: 12020", "summary: twelve");
        assert!(parse_dump(&garbled, "cargo-perf-region").is_err());
    }

    #[test]
    fn the_difference_of_two_regions_cancels_their_fixed_cost() {
        // 6 instructions an iteration plus 11 for the probe and 9 for the loop's set-up.
        let count = |n: u64| 11 + 9 + 6 * n;
        assert_eq!(per_iteration(count(1000), count(2000), 1000), 6.0);
        // A counter that went backwards is no negative cost.
        assert_eq!(per_iteration(100, 90, 10), 0.0);
        assert_eq!(per_iteration(0, 10, 0), 10.0);
    }

    #[test]
    fn region_length_is_a_power_of_two_stable_under_small_estimate_changes() {
        assert_eq!(region_iters(6.0, u64::MAX), 1 << 20);
        let n = region_iters(5_000.0, u64::MAX);
        assert!(n.is_power_of_two());
        assert!(n as f64 * 5_000.0 >= TARGET_REGION_INSTRUCTIONS as f64);
        assert_eq!(
            region_iters(5_000.0, u64::MAX),
            region_iters(5_100.0, u64::MAX)
        );
        assert_eq!(region_iters(1e12, u64::MAX), 1);
        assert_eq!(region_iters(10.0, 4096), 4096);
    }

    /// This VM has no PMU: the hardware path must say so, not panic. On a machine with
    /// counters the same test checks that they count a known loop.
    #[test]
    fn hardware_counters_count_or_explain_why_not() {
        match hardware_available() {
            Err(e) => {
                assert!(e.starts_with("hardware counters unavailable: "), "{e}");
                let mut routine = super::super::routines::Plain::new(|| 1u64);
                let err = hardware(&mut routine).unwrap_err();
                assert_eq!(err, e);
            }
            Ok(()) => {
                let mut x = 0u64;
                let mut routine = super::super::routines::Plain::new(|| {
                    for i in 0..1000u64 {
                        x = std::hint::black_box(x.wrapping_add(i));
                    }
                });
                let counts = hardware(&mut routine).unwrap();
                // At least an add and a loop branch per inner step.
                assert!(counts.instructions >= 2_000.0, "{counts:?}");
                assert!(counts.instructions < 20_000.0, "{counts:?}");
            }
        }
    }

    #[test]
    fn valgrind_mode_outside_valgrind_is_an_error_not_a_panic() {
        let mut routine = super::super::routines::Plain::new(|| 1u64);
        let settings = Settings {
            counting: Counting::Valgrind,
            ..Settings::measured(1, 0, true)
        };
        let err = measure(&settings, &mut routine, Prepared::new()).unwrap_err();
        assert!(err.contains("not running under Valgrind"), "{err}");
    }
}
