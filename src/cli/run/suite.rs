//! Talks to one harness binary through the file protocol of `crate::protocol`: a request file
//! in, an envelope file out, one process per request. Never runs an executable that does not
//! carry the harness marker, and turns a process that dies without answering into a clear error.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::cli::errors::CliError;
use crate::cli::project::build::BuiltTarget;
use crate::protocol::{
    Action, Envelope, Request, Response, RunResult, Settings, TestInfo, ENV_PROTOCOL, ENV_REQUEST,
    HARNESS_MARKER, LIBRARY_VERSION, PROTOCOL_VERSION,
};

/// How long listing the tests of a suite may take before the process is killed.
const LIST_KILL_AFTER: Duration = Duration::from_secs(60);
/// Added to a test's own `timeout` before the process is killed: the harness enforces the
/// timeout itself and reports it; killing is only for a harness that cannot.
const TIMEOUT_MARGIN: Duration = Duration::from_secs(10);
/// Kill a test without a `timeout` after this long (load tests can run for minutes).
const DEFAULT_KILL_AFTER: Duration = Duration::from_secs(600);
/// How many bytes of a process's output are kept.
const PIPE_KEEP_BYTES: usize = 256 * 1024;
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
        }))
    }

    /// Ask the suite for its tests.
    pub fn list(&self) -> Result<Vec<TestInfo>, CliError> {
        let envelope = self
            .exchange(Action::List, LIST_KILL_AFTER)
            .map_err(|message| {
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

    /// Run one test once in a fresh process.
    pub fn run_test(&self, test: &TestInfo, settings: Settings) -> ProcessOutcome {
        let kill_after = test
            .timeout_ns
            .map(|ns| Duration::from_nanos(ns) + TIMEOUT_MARGIN)
            .unwrap_or(DEFAULT_KILL_AFTER);
        let action = Action::Run {
            test: test.name.clone(),
            settings,
        };
        match self.exchange(action, kill_after) {
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

    /// Write a request, run the suite on it and read its envelope.
    fn exchange(&self, action: Action, kill_after: Duration) -> Result<Envelope, String> {
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
        let child = Command::new(&self.executable)
            .env(ENV_PROTOCOL, PROTOCOL_VERSION.to_string())
            .env(ENV_REQUEST, &request_path)
            .current_dir(&self.cwd)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", self.executable.display()))?;
        let finished = wait_with_kill(child, kill_after)?;
        let _ = std::fs::remove_file(&request_path);
        let answer = std::fs::read(&out);
        let _ = std::fs::remove_file(&out);
        let bytes = match answer {
            Ok(bytes) => bytes,
            Err(_) => {
                let why = match finished.killed_after {
                    Some(d) => format!(
                        "the process was killed after {} without answering",
                        crate::format::duration_ns(d.as_nanos() as f64)
                    ),
                    None => format!(
                        "the process {} without answering",
                        describe_status(finished.status)
                    ),
                };
                return Err(with_tail(why, &finished.stderr));
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

struct Finished {
    status: ExitStatus,
    stderr: Vec<u8>,
    killed_after: Option<Duration>,
}

/// Wait for `child`, draining its pipes (a full pipe would block it), killing it after `limit`.
fn wait_with_kill(mut child: Child, limit: Duration) -> Result<Finished, String> {
    let stdout = child.stdout.take().map(drain);
    let stderr = child.stderr.take().map(drain);
    let started = Instant::now();
    let mut killed_after = None;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => {}
            Err(e) => return Err(format!("cannot wait for the suite process: {e}")),
        }
        if started.elapsed() >= limit {
            let _ = child.kill();
            killed_after = Some(started.elapsed());
            break child
                .wait()
                .map_err(|e| format!("cannot reap the killed suite process: {e}"))?;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    // A grandchild may still hold the pipes open: give the readers a moment, never block on them.
    let stderr = stderr.map(|d| d.settle()).unwrap_or_default();
    drop(stdout);
    Ok(Finished {
        status,
        stderr,
        killed_after,
    })
}

/// A pipe being read to its end on a background thread.
struct Drain {
    buffer: Arc<Mutex<Vec<u8>>>,
    reader: JoinHandle<()>,
}

impl Drain {
    /// What was read so far, after waiting briefly for the writer side to close.
    fn settle(self) -> Vec<u8> {
        let deadline = Instant::now() + Duration::from_millis(500);
        while !self.reader.is_finished() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(2));
        }
        let buffer = self.buffer.lock().map(|b| b.clone()).unwrap_or_default();
        buffer
    }
}

fn drain(mut pipe: impl Read + Send + 'static) -> Drain {
    let buffer = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&buffer);
    let reader = std::thread::spawn(move || {
        let mut chunk = [0u8; 8192];
        while let Ok(n) = pipe.read(&mut chunk) {
            if n == 0 {
                break;
            }
            if let Ok(mut b) = sink.lock() {
                b.extend_from_slice(&chunk[..n]);
                // Only the tail is ever quoted: keep memory bounded for chatty suites.
                if b.len() > PIPE_KEEP_BYTES * 2 {
                    let cut = b.len() - PIPE_KEEP_BYTES;
                    b.drain(..cut);
                }
            }
        }
    });
    Drain { buffer, reader }
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
        let child = Command::new("/bin/sh")
            .args(["-c", "echo first >&2; echo boom >&2; kill -6 $$"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let f = wait_with_kill(child, Duration::from_secs(30)).unwrap();
        assert!(describe_status(f.status).contains("SIGABRT"));
        assert_eq!(stderr_tail(&f.stderr), "    first\n    boom");
        assert!(f.killed_after.is_none());
    }

    #[test]
    fn a_hanging_process_is_killed() {
        let child = Command::new("/bin/sh")
            .args(["-c", "sleep 30; echo never"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let f = wait_with_kill(child, Duration::from_millis(50)).unwrap();
        assert!(f.killed_after.is_some());
        assert!(!f.status.success());
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
