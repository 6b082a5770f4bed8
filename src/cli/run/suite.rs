//! Talks to one harness binary through the file protocol of `crate::protocol`: a request file
//! in, an envelope file out, one process per request. Never runs an executable that does not
//! carry the harness marker, turns a process that dies without answering into a clear error,
//! and decides how long a test process may run ([`Limit`]) before it is killed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitStatus;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::interrupt;
use super::process::{self, Ended, Finished, Watch};
use crate::cli::errors::CliError;
use crate::cli::project::build::BuiltTarget;
use crate::protocol::{
    Action, Counting, Envelope, Request, Response, RunResult, Settings, TestInfo, TestKind,
    ENV_LIFELINE, ENV_PROTOCOL, ENV_REQUEST, HARNESS_MARKER, LIBRARY_VERSION, PROTOCOL_VERSION,
};

/// How long listing the tests of a suite may take before the process is killed.
const LIST_KILL_AFTER: Duration = Duration::from_secs(60);
/// Added to a test's own `timeout` before the process is killed: the harness enforces the
/// timeout itself and reports it; killing is only for a harness that cannot.
const TIMEOUT_MARGIN: Duration = Duration::from_secs(10);
/// The default limit is this many times the time a process is expected to take...
pub const DEFAULT_LIMIT_FACTOR: u32 = 10;
/// ...and never less than this: a loaded CI machine can be several times slower than usual.
pub const DEFAULT_LIMIT_FLOOR: Duration = Duration::from_secs(60);
/// A load test sets its own length in its body (`duration`, `stages`), which cargo perf does
/// not know before it runs; its floor leaves room for load tests of a few minutes.
pub const DEFAULT_LOAD_LIMIT_FLOOR: Duration = Duration::from_secs(600);
/// A slow warning is printed after each such fraction of the limit.
const SLOW_WARNINGS_PER_LIMIT: u32 = 4;
/// How much of a dead process's stderr a report quotes.
const STDERR_TAIL_LINES: usize = 12;

/// One perf suite (a built bench/test target holding the harness).
#[derive(Debug)]
pub struct Suite {
    pub package: String,
    pub target: String,
    pub executable: PathBuf,
    cwd: PathBuf,
    scratch: ScratchDir,
    /// Variables every process of the suite gets beside the CLI's own environment: the
    /// `PERF_<TEST>_<KEY>` limits of the chosen profile's overrides.
    env: BTreeMap<String, String>,
}

/// The result of one measuring process: the harness's answer, or why there was none.
#[derive(Debug, Clone)]
pub enum ProcessOutcome {
    Answered(Box<RunResult>),
    /// Crash, kill, protocol problem: the message says what happened, with the stderr tail.
    NoAnswer {
        message: String,
    },
}

/// How long one test process may run before it is killed with its process group, and which
/// rule set that (the timed-out message names it, so the user knows what to change).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub after: Duration,
    pub source: LimitSource,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitSource {
    /// The test's `timeout` key (plus a margin: the harness reports the timeout itself).
    TimeoutKey { timeout: Duration },
    /// `--test-timeout`.
    Flag,
    /// The default: [`DEFAULT_LIMIT_FACTOR`] × the expected time, at least the floor.
    Default { expected: Duration },
}

impl Limit {
    /// The limit of one process of `test` run with `settings`: its `timeout` key if it has one,
    /// else `--test-timeout` (`flag`), else the default rule. `longest_so_far` is the longest
    /// earlier process of the same test in this run, a better guess than the budget when the
    /// body sets its own length (load tests).
    pub fn for_test(
        test: &TestInfo,
        settings: &Settings,
        flag: Option<Duration>,
        longest_so_far: Duration,
    ) -> Limit {
        if let Some(ns) = test.timeout_ns {
            let timeout = Duration::from_nanos(ns);
            return Limit {
                after: timeout + TIMEOUT_MARGIN,
                source: LimitSource::TimeoutKey { timeout },
            };
        }
        if let Some(after) = flag {
            return Limit {
                after,
                source: LimitSource::Flag,
            };
        }
        let budget = Duration::from_nanos(settings.warmup_ns.saturating_add(settings.measure_ns));
        let expected = budget.max(longest_so_far);
        Limit::by_default(test.kind, expected)
    }

    /// The default rule: `10 × expected`, at least 60 s (10 min for a load test).
    pub fn by_default(kind: TestKind, expected: Duration) -> Limit {
        let floor = match kind {
            TestKind::Bench => DEFAULT_LIMIT_FLOOR,
            TestKind::Load => DEFAULT_LOAD_LIMIT_FLOOR,
        };
        Limit {
            after: expected.saturating_mul(DEFAULT_LIMIT_FACTOR).max(floor),
            source: LimitSource::Default { expected },
        }
    }

    /// How often a still-running process is reported as slow.
    pub fn slow_every(&self) -> Duration {
        self.after / SLOW_WARNINGS_PER_LIMIT
    }

    /// "timed out after 1m (the default limit: ...)": why the process was killed.
    pub fn timed_out(&self) -> String {
        let why = match self.source {
            LimitSource::TimeoutKey { timeout } => format!(
                "its timeout key is {}; the harness did not stop it, so the process was killed \
                 {} later",
                short(timeout),
                short(TIMEOUT_MARGIN)
            ),
            LimitSource::Flag => {
                "the limit set by --test-timeout; raise it, or give the test a timeout key".into()
            }
            LimitSource::Default { expected } if self.after > expected * DEFAULT_LIMIT_FACTOR => {
                format!(
                    "the default limit: {DEFAULT_LIMIT_FACTOR}x its expected {}, but at least {}; \
                     set --test-timeout or the test's timeout key",
                    short(expected),
                    short(self.after)
                )
            }
            LimitSource::Default { expected } => format!(
                "the default limit: {DEFAULT_LIMIT_FACTOR}x its expected {}; set --test-timeout \
                 or the test's timeout key",
                short(expected)
            ),
        };
        format!("timed out after {} ({why})", short(self.after))
    }
}

/// `1m`, `1m30s`, `2s`, `1.5s`, `750ms`: durations as a user writes them.
pub fn short(d: Duration) -> String {
    let ms = d.as_millis();
    if ms >= 60_000 {
        let (m, s) = (ms / 60_000, (ms % 60_000) / 1000);
        if s == 0 {
            format!("{m}m")
        } else {
            format!("{m}m{s}s")
        }
    } else if ms >= 1000 {
        let tenths = (ms + 50) / 100;
        if tenths % 10 == 0 {
            format!("{}s", tenths / 10)
        } else {
            format!("{}.{}s", tenths / 10, tenths % 10)
        }
    } else {
        format!("{ms}ms")
    }
}

impl Suite {
    /// `Ok(None)` when the executable is not a cargo-perf suite (no harness marker).
    pub fn open(built: &BuiltTarget) -> Result<Option<Suite>, CliError> {
        if !contains_marker(&built.executable)? {
            return Ok(None);
        }
        Ok(Some(Suite {
            package: built.target.package.clone(),
            target: built.target.name.clone(),
            executable: built.executable.clone(),
            cwd: built.target.package_root.clone(),
            scratch: ScratchDir::new()?,
            env: BTreeMap::new(),
        }))
    }

    /// Give every later process of the suite these variables (see [`Suite::env`]'s field).
    pub fn set_env(&mut self, env: BTreeMap<String, String>) {
        self.env = env;
    }

    /// Ask the suite for its tests.
    pub fn list(&self) -> Result<Vec<TestInfo>, CliError> {
        let mut ignore = |_| {};
        let envelope = self
            .exchange(Action::List, Watch::limit(LIST_KILL_AFTER, &mut ignore))
            .map_err(|message| {
                if let Some(sig) = interrupt::received() {
                    return interrupt::error(sig);
                }
                CliError::config(
                    format!("cannot list the perf tests of {}: {message}", self.label()),
                    format!(
                        "run `{}` directly to see what happens",
                        self.executable.display()
                    ),
                )
            })?;
        match envelope.body {
            Response::List { tests } => Ok(tests),
            Response::Error { message } => Err(CliError::config(
                format!("{} refused to list its tests: {message}", self.label()),
                "make sure the suite's `cargo-perf` dependency is the same version as this cargo-perf",
            )),
            Response::Run(_) => Err(CliError::config(
                format!("{} answered a list request with a run result", self.label()),
                "rebuild the suite with a matching cargo-perf version",
            )),
        }
    }

    /// Run one test once in a fresh process, killed (with its group) after `limit`;
    /// `on_slow(elapsed)` is called each time it has run another fraction of the limit.
    pub fn run_test(
        &self,
        test: &TestInfo,
        settings: Settings,
        limit: Limit,
        on_slow: &mut dyn FnMut(Duration),
    ) -> ProcessOutcome {
        let action = Action::Run {
            test: test.name.clone(),
            settings,
        };
        let watch = Watch {
            limit: limit.after,
            slow_every: Some(limit.slow_every()),
            on_slow,
        };
        match self.exchange_with(action, watch, Some(limit)) {
            Err(message) => ProcessOutcome::NoAnswer { message },
            Ok(envelope) => match envelope.body {
                Response::Run(result) => ProcessOutcome::Answered(result),
                Response::Error { message } => ProcessOutcome::NoAnswer {
                    message: format!("the harness refused to run the test: {message}"),
                },
                Response::List { .. } => ProcessOutcome::NoAnswer {
                    message: "the harness answered a run request with a test list".into(),
                },
            },
        }
    }

    /// `package/target`, for messages.
    pub fn label(&self) -> String {
        format!("{}/{}", self.package, self.target)
    }

    fn exchange(&self, action: Action, watch: Watch<'_>) -> Result<Envelope, String> {
        self.exchange_with(action, watch, None)
    }

    /// Write a request, run the suite on it and read its envelope.
    fn exchange_with(
        &self,
        action: Action,
        watch: Watch<'_>,
        limit: Option<Limit>,
    ) -> Result<Envelope, String> {
        let counting = match &action {
            Action::Run { settings, .. } => settings.counting,
            Action::List => Counting::Off,
        };
        let n = self.scratch.next_id();
        let request_path = self.scratch.path.join(format!("request-{n}.json"));
        let out = self.scratch.path.join(format!("response-{n}.json"));
        let request = Request {
            protocol: PROTOCOL_VERSION,
            tool_version: LIBRARY_VERSION.to_string(),
            out: out.clone(),
            action,
        };
        let json = serde_json::to_vec(&request).map_err(|e| format!("cannot encode: {e}"))?;
        std::fs::write(&request_path, json)
            .map_err(|e| format!("cannot write {}: {e}", request_path.display()))?;
        let callgrind_out = self.scratch.path.join(format!("callgrind-{n}.out"));
        let mut cmd = super::instructions::command(&self.executable, counting, &callgrind_out);
        cmd.envs(&self.env)
            .env(ENV_PROTOCOL, PROTOCOL_VERSION.to_string())
            .env(ENV_REQUEST, &request_path)
            .env(ENV_LIFELINE, "stdin")
            .current_dir(&self.cwd);
        let finished = process::run(&mut cmd, watch);
        let _ = std::fs::remove_file(&request_path);
        // Callgrind's dump at exit (the harness removes the dumps of its regions).
        let _ = std::fs::remove_file(&callgrind_out);
        let answer = std::fs::read(&out);
        let _ = std::fs::remove_file(&out);
        let mut tmp = out.into_os_string();
        tmp.push(".tmp");
        let _ = std::fs::remove_file(&tmp);
        let finished = finished?;
        let bytes = match (finished.ended, answer) {
            // A process killed just after it answered still answered.
            (Ended::Exited | Ended::TimedOut, Ok(bytes)) => bytes,
            (ended, _) => {
                return Err(with_tail(
                    no_answer(&finished, ended, limit),
                    &finished.stderr,
                ))
            }
        };
        parse_envelope(&bytes).map_err(|e| with_tail(e, &finished.stderr))
    }
}

fn with_tail(message: String, stderr: &[u8]) -> String {
    let tail = stderr_tail(stderr);
    if tail.is_empty() {
        message
    } else {
        format!("{message}; its stderr ended with:\n{tail}")
    }
}

/// Check the versions before the body, so a mismatch is reported as such, not as bad JSON.
fn parse_envelope(bytes: &[u8]) -> Result<Envelope, String> {
    #[derive(serde::Deserialize)]
    struct Versions {
        protocol: u32,
        #[serde(default)]
        library_version: String,
    }
    let versions: Versions = serde_json::from_slice(bytes)
        .map_err(|e| format!("the harness wrote an unreadable response: {e}"))?;
    if versions.protocol != PROTOCOL_VERSION {
        return Err(format!(
            "the suite was built with cargo_perf {} (protocol {}), but this cargo-perf {} speaks \
             protocol {}: use the same cargo-perf version for the binary and the dev-dependency",
            versions.library_version, versions.protocol, LIBRARY_VERSION, PROTOCOL_VERSION
        ));
    }
    serde_json::from_slice(bytes)
        .map_err(|e| format!("the harness wrote a malformed response: {e}"))
}

/// Why a process gave no answer: killed at its limit, interrupted, or dead by itself.
fn no_answer(finished: &Finished, ended: Ended, limit: Option<Limit>) -> String {
    match ended {
        Ended::TimedOut => match limit {
            Some(limit) => limit.timed_out(),
            None => format!(
                "the process was killed after {} without answering",
                short(finished.elapsed)
            ),
        },
        Ended::Interrupted => match interrupt::received() {
            Some(sig) => format!(
                "stopped: cargo perf was interrupted by {}",
                interrupt::name(sig)
            ),
            None => "stopped: cargo perf was interrupted".into(),
        },
        Ended::Exited => format!(
            "the process {} without answering",
            describe_status(finished.status)
        ),
    }
}

/// The last lines of a process's stderr, indented for quoting.
fn stderr_tail(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let start = lines.len().saturating_sub(STDERR_TAIL_LINES);
    lines[start..]
        .iter()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// "exited with code 3", "was killed by signal 6 (SIGABRT)".
fn describe_status(status: ExitStatus) -> String {
    if let Some(code) = status.code() {
        return format!("exited with code {code}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            let name = match sig {
                4 => " (SIGILL)",
                6 => " (SIGABRT)",
                7 => " (SIGBUS)",
                9 => " (SIGKILL, e.g. out of memory)",
                11 => " (SIGSEGV)",
                15 => " (SIGTERM)",
                _ => "",
            };
            return format!("was killed by signal {sig}{name}");
        }
    }
    format!("ended with {status}")
}

/// Whether the file holds the harness marker: only such executables are ever run.
fn contains_marker(path: &Path) -> Result<bool, CliError> {
    let bytes = std::fs::read(path).map_err(|e| {
        CliError::io(
            format!("cannot read the built suite {}: {e}", path.display()),
            "rebuild with `cargo build --benches` and retry",
        )
    })?;
    Ok(find(&bytes, HARNESS_MARKER.as_bytes()))
}

fn find(haystack: &[u8], needle: &[u8]) -> bool {
    let Some((&first, rest)) = needle.split_first() else {
        return true;
    };
    let mut from = 0;
    while let Some(pos) = haystack[from..].iter().position(|&b| b == first) {
        let at = from + pos;
        if haystack[at + 1..].starts_with(rest) {
            return true;
        }
        from = at + 1;
    }
    false
}

/// A private temporary directory for request and response files, removed on drop.
#[derive(Debug)]
struct ScratchDir {
    path: PathBuf,
    counter: AtomicU64,
}

impl ScratchDir {
    fn new() -> Result<ScratchDir, CliError> {
        static SEQ: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let path = std::env::temp_dir().join(format!(
            "cargo-perf-{}-{}-{nanos}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path).map_err(|e| {
            CliError::io(
                format!(
                    "cannot create a temporary directory {}: {e}",
                    path.display()
                ),
                "check that TMPDIR points to a writable directory",
            )
        })?;
        Ok(ScratchDir {
            path,
            counter: AtomicU64::new(0),
        })
    }

    fn next_id(&self) -> u64 {
        self.counter.fetch_add(1, Ordering::Relaxed)
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    #[test]
    fn finds_the_marker_anywhere() {
        let marker = HARNESS_MARKER.as_bytes();
        let mut bytes = b"cccargo-perf-harness-protocol:0".to_vec();
        assert!(!find(&bytes, marker));
        bytes.extend_from_slice(marker);
        bytes.extend_from_slice(b"tail");
        assert!(find(&bytes, marker));
        assert!(!find(b"", marker));
    }

    #[test]
    fn an_executable_without_the_marker_is_not_opened() {
        // The test binary running this test is not a perf suite... unless it links the
        // harness (this crate's lib does, as a constant). Use a plain system binary instead.
        let built = BuiltTarget {
            target: crate::cli::project::workspace::PerfTarget {
                package: "p".into(),
                package_root: PathBuf::from("/"),
                name: "t".into(),
                kind: crate::cli::project::workspace::TargetKind::Bench,
            },
            executable: PathBuf::from("/bin/sh"),
        };
        assert!(Suite::open(&built).unwrap().is_none());
    }

    #[test]
    fn a_version_mismatch_is_named() {
        let e = parse_envelope(br#"{"protocol": 99, "library_version": "9.9.9", "body": {}}"#)
            .unwrap_err();
        assert!(e.contains("protocol 99") && e.contains("9.9.9"), "{e}");
        let e = parse_envelope(b"not json").unwrap_err();
        assert!(e.contains("unreadable"), "{e}");
    }

    #[test]
    fn a_crashing_process_reports_its_status_and_stderr() {
        let mut ignore = |_| {};
        let f = process::run(
            Command::new("/bin/sh").args(["-c", "echo first >&2; echo boom >&2; kill -6 $$"]),
            Watch::limit(Duration::from_secs(30), &mut ignore),
        )
        .unwrap();
        assert!(describe_status(f.status).contains("SIGABRT"));
        assert_eq!(stderr_tail(&f.stderr), "    first\n    boom");
        assert_eq!(f.ended, Ended::Exited);
        let message = no_answer(&f, f.ended, None);
        assert!(message.contains("SIGABRT"), "{message}");
    }

    fn info(kind: TestKind, timeout_ns: Option<u64>) -> TestInfo {
        TestInfo {
            name: "t".into(),
            kind,
            tags: vec![],
            ignored: false,
            file: String::new(),
            line: 0,
            thresholds: vec![],
            ratios: vec![],
            threshold_error: None,
            timeout_ns,
            noise: None,
        }
    }

    #[test]
    fn the_default_limit_is_ten_times_the_expected_time_and_at_least_a_minute() {
        let secs = Duration::from_secs;
        let bench = info(TestKind::Bench, None);
        // The usual budgets (0.75 s, 0.16 s with --quick) are far below the floor.
        for quick in [false, true] {
            let settings = Settings::measured(5, 0, quick);
            let limit = Limit::for_test(&bench, &settings, None, Duration::ZERO);
            assert_eq!(limit.after, secs(60));
            assert_eq!(
                limit.source,
                LimitSource::Default {
                    expected: Duration::from_nanos(settings.warmup_ns + settings.measure_ns),
                }
            );
        }
        // A long expected time scales: 10x.
        assert_eq!(Limit::by_default(TestKind::Bench, secs(6)).after, secs(60));
        assert_eq!(Limit::by_default(TestKind::Bench, secs(9)).after, secs(90));
        // A process of this test that already took 20 s raises the next one's limit.
        let settings = Settings::measured(5, 1, false);
        assert_eq!(
            Limit::for_test(&bench, &settings, None, secs(20)).after,
            secs(200)
        );
        // Load tests set their own length: a higher floor.
        let load = info(TestKind::Load, None);
        assert_eq!(
            Limit::for_test(&load, &settings, None, Duration::ZERO).after,
            secs(600)
        );
        // --test-timeout replaces the default; a timeout key wins over both.
        let flagged = Limit::for_test(&bench, &settings, Some(secs(2)), secs(20));
        assert_eq!(
            (flagged.after, flagged.source),
            (secs(2), LimitSource::Flag)
        );
        let keyed = info(TestKind::Bench, Some(300_000_000));
        let limit = Limit::for_test(&keyed, &settings, Some(secs(2)), Duration::ZERO);
        assert_eq!(limit.after, Duration::from_millis(300) + TIMEOUT_MARGIN);
        assert_eq!(limit.slow_every(), limit.after / 4);
    }

    #[test]
    fn timed_out_messages_name_the_rule_and_the_fix() {
        let secs = Duration::from_secs;
        assert_eq!(
            Limit::by_default(TestKind::Bench, secs(6)).timed_out(),
            "timed out after 1m (the default limit: 10x its expected 6s; set --test-timeout or \
             the test's timeout key)"
        );
        let floor = Limit::by_default(TestKind::Bench, Duration::from_millis(750)).timed_out();
        assert!(
            floor.starts_with(
                "timed out after 1m (the default limit: 10x its expected 750ms, but at least 1m"
            ),
            "{floor}"
        );
        let flag = Limit {
            after: secs(2),
            source: LimitSource::Flag,
        }
        .timed_out();
        assert!(
            flag.starts_with("timed out after 2s (") && flag.contains("--test-timeout"),
            "{flag}"
        );
        let keyed = Limit::for_test(
            &info(TestKind::Bench, Some(30_000_000_000)),
            &Settings::smoke(),
            None,
            Duration::ZERO,
        );
        assert!(
            keyed
                .timed_out()
                .starts_with("timed out after 40s (its timeout key is 30s"),
            "{}",
            keyed.timed_out()
        );
    }

    #[test]
    fn short_durations_read_as_written() {
        let ms = Duration::from_millis;
        assert_eq!(short(ms(60_000)), "1m");
        assert_eq!(short(ms(90_000)), "1m30s");
        assert_eq!(short(ms(2_000)), "2s");
        assert_eq!(short(ms(1_500)), "1.5s");
        assert_eq!(short(ms(750)), "750ms");
    }

    #[test]
    fn scratch_dirs_are_removed() {
        let dir = ScratchDir::new().unwrap();
        let path = dir.path.clone();
        assert!(path.is_dir());
        drop(dir);
        assert!(!path.exists());
    }
}
