//! The child processes `cargo perf` waits for (suite processes, in `run` and `ab` alike): each
//! starts in its own process group with a lifeline pipe on stdin, its stdout and stderr are read
//! into bounded buffers, it is waited for with a deadline and slow warnings, and killed with its
//! whole group when the deadline passes or `cargo perf` is interrupted (see `interrupt`).

use std::io::Read;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::interrupt;

/// How many bytes of each of a process's pipes are kept (its tail, for error messages).
pub const PIPE_KEEP_BYTES: usize = 256 * 1024;
/// How often the waiting loop looks at the child, the clock and the interrupt flag.
const POLL: Duration = Duration::from_millis(5);

/// Process ids of the running children (each the leader of its own group). The waiting loop
/// removes a child under this lock as it reaps it, so [`kill_all`] never signals a reused pid.
static LIVE: Mutex<Vec<u32>> = Mutex::new(Vec::new());

/// How a watched process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// By itself (any status).
    Exited,
    /// Killed with its group when `limit` passed.
    TimedOut,
    /// Killed because `cargo perf` received a terminating signal.
    Interrupted,
}

/// A process that is over, with what it wrote (the tail of each pipe).
#[derive(Debug)]
pub struct Finished {
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub ended: Ended,
    pub elapsed: Duration,
}

/// When to give up on a process, and when to say it is slow.
pub struct Watch<'a> {
    pub limit: Duration,
    /// `on_slow(elapsed)` is called after each such period the process is still running.
    pub slow_every: Option<Duration>,
    pub on_slow: &'a mut dyn FnMut(Duration),
}

impl<'a> Watch<'a> {
    /// A limit without slow warnings.
    pub fn limit(limit: Duration, ignore: &'a mut dyn FnMut(Duration)) -> Watch<'a> {
        Watch {
            limit,
            slow_every: None,
            on_slow: ignore,
        }
    }
}

/// Start `cmd` (its stdio is replaced: a lifeline pipe in, bounded pipes out) and wait for it
/// under `watch`. `Err` only when it cannot be started or waited for.
pub fn run(cmd: &mut Command, watch: Watch<'_>) -> Result<Finished, String> {
    if let Some(sig) = interrupt::received() {
        return Err(format!(
            "not started: cargo perf was interrupted by {}",
            interrupt::name(sig)
        ));
    }
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    #[cfg(unix)]
    {
        // Its own group: a timeout or an interrupt kills whatever the test started too, and a
        // Ctrl-C at the terminal reaches cargo perf only, which then stops the child itself.
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    let program = cmd.get_program().to_string_lossy().into_owned();
    let mut child = {
        let mut live = LIVE.lock().unwrap_or_else(|e| e.into_inner());
        let child = cmd
            .spawn()
            .map_err(|e| format!("cannot start {program}: {e}"))?;
        live.push(child.id());
        child
    };
    // Never written, closed only once the child is reaped: the child sees end-of-file on it
    // exactly when cargo perf is gone, however it went (even SIGKILL), and then exits.
    let lifeline = child.stdin.take();
    let stdout = child.stdout.take().map(drain);
    let stderr = child.stderr.take().map(drain);
    let waited = wait(&mut child, watch);
    drop(lifeline);
    let (status, ended, elapsed) = waited?;
    // A grandchild may still hold the pipes open: give the readers a moment, never block on them.
    Ok(Finished {
        status,
        stdout: stdout.map(Drain::settle).unwrap_or_default(),
        stderr: stderr.map(Drain::settle).unwrap_or_default(),
        ended,
        elapsed,
    })
}

fn wait(child: &mut Child, watch: Watch<'_>) -> Result<(ExitStatus, Ended, Duration), String> {
    let started = Instant::now();
    let mut next_slow = watch.slow_every.filter(|d| !d.is_zero());
    loop {
        if let Some(status) = try_reap(child)? {
            return Ok((status, Ended::Exited, started.elapsed()));
        }
        let elapsed = started.elapsed();
        let ended = if interrupt::received().is_some() {
            Some(Ended::Interrupted)
        } else if elapsed >= watch.limit {
            Some(Ended::TimedOut)
        } else {
            None
        };
        if let Some(ended) = ended {
            return kill_and_reap(child)
                .map(|status| (status, ended, elapsed))
                .map_err(|e| format!("cannot reap the killed process: {e}"));
        }
        if let (Some(at), Some(every)) = (next_slow, watch.slow_every) {
            if elapsed >= at {
                (watch.on_slow)(at);
                next_slow = Some(at + every);
            }
        }
        std::thread::sleep(POLL);
    }
}

/// `try_wait`, and forget the pid in the same breath as it is reaped.
fn try_reap(child: &mut Child) -> Result<Option<ExitStatus>, String> {
    let mut live = LIVE.lock().unwrap_or_else(|e| e.into_inner());
    match child.try_wait() {
        Ok(Some(status)) => {
            live.retain(|&p| p != child.id());
            Ok(Some(status))
        }
        Ok(None) => Ok(None),
        Err(e) => Err(format!("cannot wait for the process: {e}")),
    }
}

/// Kill the child's group while its leader is unreaped (so the group id cannot be reused).
fn kill_and_reap(child: &mut Child) -> std::io::Result<ExitStatus> {
    {
        let mut live = LIVE.lock().unwrap_or_else(|e| e.into_inner());
        kill_group(child.id());
        let _ = child.kill();
        live.retain(|&p| p != child.id());
    }
    child.wait()
}

/// SIGKILL the process group led by `pid`.
fn kill_group(pid: u32) {
    #[cfg(unix)]
    if let Ok(pid) = i32::try_from(pid) {
        // SAFETY: kill(2) has no memory-safety preconditions; a stale group id fails with ESRCH.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
    #[cfg(not(unix))]
    let _ = pid;
}

/// Kill every running child and its group: called by the signal thread on an interrupt.
pub fn kill_all() {
    let live = LIVE.lock().unwrap_or_else(|e| e.into_inner());
    for &pid in live.iter() {
        kill_group(pid);
    }
}

/// A pipe being read to its end on a background thread, keeping only its tail.
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

fn drain(pipe: impl Read + Send + 'static) -> Drain {
    let buffer = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&buffer);
    let reader = std::thread::spawn(move || read_bounded(pipe, &sink, PIPE_KEEP_BYTES));
    Drain { buffer, reader }
}

/// Read `pipe` to its end into `sink`, keeping at most `2 * keep` bytes (at least the last
/// `keep`): only the tail is ever quoted, and a chatty suite must not fill cargo perf's memory.
fn read_bounded(mut pipe: impl Read, sink: &Mutex<Vec<u8>>, keep: usize) {
    let mut chunk = [0u8; 8192];
    while let Ok(n) = pipe.read(&mut chunk) {
        if n == 0 {
            break;
        }
        if let Ok(mut b) = sink.lock() {
            b.extend_from_slice(&chunk[..n]);
            if b.len() > keep * 2 {
                let cut = b.len() - keep;
                b.drain(..cut);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Command {
        let mut cmd = Command::new("/bin/sh");
        cmd.args(["-c", script]);
        cmd
    }

    #[test]
    fn output_is_kept_bounded_and_its_tail_survives() {
        // 16 MiB of output, then a last line: memory stays within the bound, the end is kept.
        let source = std::io::repeat(b'x')
            .take(16 << 20)
            .chain(&b"\nthe end\n"[..]);
        let sink = Mutex::new(Vec::new());
        read_bounded(source, &sink, PIPE_KEEP_BYTES);
        let kept = sink.into_inner().unwrap();
        assert!(
            kept.len() <= 2 * PIPE_KEEP_BYTES,
            "kept {} bytes",
            kept.len()
        );
        assert!(kept.len() >= PIPE_KEEP_BYTES);
        assert!(kept.ends_with(b"x\nthe end\n"));
    }

    #[test]
    fn a_real_flood_through_a_pipe_is_bounded_too() {
        let mut ignore = |_| {};
        let f = run(
            &mut sh("head -c 8000000 /dev/zero; head -c 8000000 /dev/zero >&2; echo last >&2"),
            Watch::limit(Duration::from_secs(60), &mut ignore),
        )
        .unwrap();
        assert!(f.status.success());
        assert_eq!(f.ended, Ended::Exited);
        assert!(f.stdout.len() <= 2 * PIPE_KEEP_BYTES, "{}", f.stdout.len());
        assert!(f.stderr.len() <= 2 * PIPE_KEEP_BYTES, "{}", f.stderr.len());
        assert!(f.stderr.ends_with(b"\0last\n"));
    }

    #[test]
    fn a_hanging_process_and_its_group_are_killed_at_the_limit_after_slow_warnings() {
        let marker =
            std::env::temp_dir().join(format!("cargo-perf-grandchild-{}", std::process::id()));
        let _ = std::fs::remove_file(&marker);
        // A grandchild in the same group that would write the marker if it outlived the kill.
        let script = format!("(sleep 1; touch {}) & sleep 30", marker.display());
        let mut slow = Vec::new();
        let mut on_slow = |d| slow.push(d);
        let f = run(
            &mut sh(&script),
            Watch {
                limit: Duration::from_millis(300),
                slow_every: Some(Duration::from_millis(100)),
                on_slow: &mut on_slow,
            },
        )
        .unwrap();
        assert_eq!(f.ended, Ended::TimedOut);
        assert!(!f.status.success());
        assert_eq!(
            slow,
            [Duration::from_millis(100), Duration::from_millis(200)],
            "a warning per period before the kill"
        );
        std::thread::sleep(Duration::from_millis(1300));
        assert!(!marker.exists(), "the grandchild outlived the kill");
    }

    #[test]
    fn the_child_sees_end_of_file_on_stdin_only_when_the_parent_lets_go() {
        // `cat` copies the lifeline to stdout: nothing arrives on it, and it stays open until
        // the kill, so `cat` runs to the limit rather than ending at once.
        let mut ignore = |_| {};
        let f = run(
            &mut sh("cat; echo eof"),
            Watch::limit(Duration::from_millis(300), &mut ignore),
        )
        .unwrap();
        assert_eq!(f.ended, Ended::TimedOut);
        assert!(f.stdout.is_empty());
    }
}
