//! `--rendezvous ADDR`: how the segments of a load test agree on one start instant without a
//! launcher that picks it. Segment 1 (the leader) listens ONLY on ADDR; before each load test
//! every other segment connects (retrying until the leader is up), presents the run's token,
//! its index and the test's id, and waits. When all N-1 have checked in, the leader answers
//! each with one start time, `now + START_LEAD`, and starts itself at the same instant. The
//! lead covers the answers' delivery and the test processes' spawning, so every segment is
//! waiting before the instant comes.
//!
//! The protocol is one line each way over plain TCP (std only):
//! - segment → leader: `cargo-perf-rendezvous 1 TOKEN INDEX COUNT TEST_ID` (INDEX 0-based);
//! - leader → segment: `start UNIX_NS` or `refused REASON`.
//!
//! The leader answers only check-ins with the run's token; a wrong token, a foreign segment
//! count, a duplicate index or another test gets a refusal line and a warning on the leader's
//! stderr. A segment that checks in for a test whose start was already broadcast is refused
//! (it missed the start) and refuses to run. A leader still missing segments after the
//! timeout fails naming them.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::cli::errors::CliError;
use crate::cli::jobs::JobIndex;
use crate::load::segment::unix_now_ns;

/// How far ahead of the broadcast the common start lies: long enough to deliver N-1 answers
/// and spawn a test process on a loaded machine, short enough not to waste a run's time.
pub const START_LEAD: Duration = Duration::from_millis(500);

/// How long the leader waits for the other segments, and they for the leader (its build may
/// finish later than theirs; CI jobs of one matrix start within seconds of each other).
pub const CHECK_IN_TIMEOUT: Duration = Duration::from_secs(120);

/// The first word of a check-in: anything else on the port is not a segment.
const HELLO: &str = "cargo-perf-rendezvous 1";

/// How long one connection may take to say its line: a silent peer cannot stall the leader.
const LINE_TIMEOUT: Duration = Duration::from_secs(5);

/// How often a waiting side polls (connect retries, accepts on the non-blocking listener).
const POLL: Duration = Duration::from_millis(20);

/// One segment's check-in.
#[derive(Debug, Clone, PartialEq, Eq)]
struct CheckIn {
    token: String,
    index: u32,
    count: u32,
    test: String,
}

impl CheckIn {
    fn line(&self) -> String {
        format!(
            "{HELLO} {} {} {} {}\n",
            self.token, self.index, self.count, self.test
        )
    }

    fn parse(line: &str) -> Option<CheckIn> {
        let rest = line.trim_end().strip_prefix(HELLO)?.strip_prefix(' ')?;
        let mut words = rest.splitn(4, ' ');
        Some(CheckIn {
            token: words.next()?.to_string(),
            index: words.next()?.parse().ok()?,
            count: words.next()?.parse().ok()?,
            test: words.next()?.to_string(),
        })
    }
}

/// Check-ins the leader has read but not yet answered (they are for a later test), kept by
/// the background refuser for the next [`Leader::start`].
type Pending = Arc<Mutex<Vec<(CheckIn, TcpStream)>>>;

/// Segment 1's side: the listener, kept for the whole run (one rendezvous per load test).
pub struct Leader {
    listener: TcpListener,
    token: String,
    count: u32,
    pending: Pending,
    /// After a broadcast: refuses late check-ins for the test just started, keeps the others.
    refuser: Option<(Arc<AtomicBool>, JoinHandle<()>)>,
}

/// How long segment 1 keeps trying a host name that does not resolve to an address of its own
/// yet: in a Kubernetes Indexed Job pod 0's own DNS name (`NAME-0.NAME`) appears a moment after
/// the pod starts.
const NAME_RESOLUTION_WAIT: Duration = Duration::from_secs(30);

/// Binds `addr`; a host name (not an IP literal) that cannot be bound yet is retried for
/// [`NAME_RESOLUTION_WAIT`], an address in use or forbidden fails at once.
fn listen(addr: &str) -> std::io::Result<TcpListener> {
    let named = addr.parse::<std::net::SocketAddr>().is_err();
    let deadline = Instant::now() + NAME_RESOLUTION_WAIT;
    loop {
        match TcpListener::bind(addr) {
            Ok(l) => return Ok(l),
            Err(e)
                if named
                    && Instant::now() < deadline
                    && !matches!(
                        e.kind(),
                        std::io::ErrorKind::AddrInUse | std::io::ErrorKind::PermissionDenied
                    ) =>
            {
                std::thread::sleep(Duration::from_millis(500));
            }
            Err(e) => return Err(e),
        }
    }
}

impl Leader {
    /// Listens on `addr` (only there: no wildcard unless the user wrote one).
    pub fn bind(addr: &str, token: &str, count: u32) -> Result<Leader, CliError> {
        let listener = listen(addr).map_err(|e| {
            CliError::config(
                format!("--rendezvous {addr}: segment 1 cannot listen there: {e}"),
                "give an address of this machine that the other segments can reach, e.g. \
                 10.0.0.5:7070 (segment 1 listens, the others connect)",
            )
        })?;
        listener
            .set_nonblocking(true)
            .map_err(|e| CliError::io(format!("--rendezvous {addr}: {e}"), "try again"))?;
        Ok(Leader {
            listener,
            token: token.to_string(),
            count,
            pending: Arc::default(),
            refuser: None,
        })
    }

    /// The address actually bound (port 0 picks a free one: tests).
    pub fn local_addr(&self) -> std::net::SocketAddr {
        self.listener.local_addr().expect("a bound listener")
    }

    /// Waits until every other segment checked in for `test`, then answers all with one start
    /// instant (Unix ns) and returns it. An error names the segments still missing at the
    /// timeout.
    pub fn start(&mut self, test: &str, timeout: Duration) -> Result<u64, CliError> {
        self.stop_refuser();
        let deadline = Instant::now() + timeout;
        let mut waiting: BTreeMap<u32, TcpStream> = BTreeMap::new();
        let pending = std::mem::take(&mut *self.pending.lock().expect("no panics under lock"));
        for (check_in, stream) in pending {
            self.admit(test, check_in, stream, &mut waiting);
        }
        while waiting.len() + 1 < self.count as usize {
            if Instant::now() >= deadline {
                let missing: Vec<String> = (1..self.count)
                    .filter(|i| !waiting.contains_key(i))
                    .map(|i| format!("{}/{}", i + 1, self.count))
                    .collect();
                for stream in waiting.values_mut() {
                    let _ = stream.write_all(b"refused segment 1 gave up waiting\n");
                }
                return Err(CliError::config(
                    format!(
                        "rendezvous for {test}: segment(s) {} did not check in within {}",
                        missing.join(", "),
                        crate::format::duration_ns(timeout.as_nanos() as f64)
                    ),
                    "start every segment with the same --rendezvous ADDR and token, and check \
                     that they can reach ADDR",
                ));
            }
            match self.listener.accept() {
                Ok((stream, _)) => {
                    if let Some(check_in) = read_check_in(&stream) {
                        self.admit(test, check_in, stream, &mut waiting);
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => std::thread::sleep(POLL),
                Err(_) => std::thread::sleep(POLL),
            }
        }
        let start = unix_now_ns() + START_LEAD.as_nanos() as u64;
        for stream in waiting.values_mut() {
            // A segment that vanished meanwhile misses the start; the merge will say so.
            let _ = stream.write_all(format!("start {start}\n").as_bytes());
        }
        self.start_refuser(test, start);
        Ok(start)
    }

    /// Keeps a check-in that belongs to `test`, or refuses it with the reason.
    fn admit(
        &self,
        test: &str,
        check_in: CheckIn,
        mut stream: TcpStream,
        waiting: &mut BTreeMap<u32, TcpStream>,
    ) {
        let peer = peer(&stream);
        let refusal = if check_in.token != self.token {
            Some("wrong token".to_string())
        } else if check_in.count != self.count {
            Some(format!(
                "segment count {} is not this run's {}",
                check_in.count, self.count
            ))
        } else if check_in.index == 0 || check_in.index >= self.count {
            Some(format!(
                "segment index {} is not one of 2..={} (1-based)",
                check_in.index + 1,
                self.count
            ))
        } else if check_in.test != test {
            Some(format!(
                "segment 1 is starting {test}, not {}",
                check_in.test
            ))
        } else if waiting.contains_key(&check_in.index) {
            Some(format!(
                "segment {}/{} already checked in",
                check_in.index + 1,
                self.count
            ))
        } else {
            None
        };
        match refusal {
            Some(why) => {
                eprintln!("warning: rendezvous: refused a check-in from {peer}: {why}");
                let _ = stream.write_all(format!("refused {why}\n").as_bytes());
            }
            None => {
                waiting.insert(check_in.index, stream);
            }
        }
    }

    /// After a broadcast, a thread answers check-ins: for the started test a refusal (late),
    /// for another test nothing yet (kept for the next [`Leader::start`]).
    fn start_refuser(&mut self, test: &str, start: u64) {
        let Ok(listener) = self.listener.try_clone() else {
            return;
        };
        let stop = Arc::new(AtomicBool::new(false));
        let (stop2, pending, test) = (stop.clone(), self.pending.clone(), test.to_string());
        let token = self.token.clone();
        let handle = std::thread::spawn(move || {
            while !stop2.load(Ordering::Relaxed) {
                let Ok((mut stream, _)) = listener.accept() else {
                    std::thread::sleep(POLL);
                    continue;
                };
                let Some(check_in) = read_check_in(&stream) else {
                    continue;
                };
                if check_in.test == test && check_in.token == token {
                    let late = unix_now_ns().saturating_sub(start);
                    let why = format!(
                        "late: the start of {test} was broadcast and is {} past",
                        crate::format::duration_ns(late as f64)
                    );
                    eprintln!(
                        "warning: rendezvous: refused segment {}/{} from {}: {why}",
                        check_in.index + 1,
                        check_in.count,
                        peer(&stream)
                    );
                    let _ = stream.write_all(format!("refused {why}\n").as_bytes());
                } else {
                    pending
                        .lock()
                        .expect("no panics under lock")
                        .push((check_in, stream));
                }
            }
        });
        self.refuser = Some((stop, handle));
    }

    fn stop_refuser(&mut self) {
        if let Some((stop, handle)) = self.refuser.take() {
            stop.store(true, Ordering::Relaxed);
            let _ = handle.join();
        }
    }
}

impl Drop for Leader {
    fn drop(&mut self) {
        self.stop_refuser();
    }
}

/// Reads one check-in line; `None` (and the connection dropped) for anything else.
fn read_check_in(stream: &TcpStream) -> Option<CheckIn> {
    // Accepted sockets may inherit the listener's non-blocking mode on some platforms.
    stream.set_nonblocking(false).ok()?;
    stream.set_read_timeout(Some(LINE_TIMEOUT)).ok()?;
    let mut line = String::new();
    BufReader::new(stream.try_clone().ok()?)
        .take_line(&mut line)
        .ok()?;
    let parsed = CheckIn::parse(&line);
    if parsed.is_none() {
        eprintln!(
            "warning: rendezvous: ignored a connection from {} that is not a segment",
            peer(stream)
        );
    }
    parsed
}

fn peer(stream: &TcpStream) -> String {
    stream
        .peer_addr()
        .map_or_else(|_| "an unknown peer".to_string(), |a| a.to_string())
}

/// A bounded `read_line`: a peer cannot make the leader buffer an endless line.
trait TakeLine {
    fn take_line(self, line: &mut String) -> std::io::Result<usize>;
}

impl<R: std::io::Read> TakeLine for BufReader<R> {
    fn take_line(self, line: &mut String) -> std::io::Result<usize> {
        use std::io::Read;
        BufReader::new(self.take(4096)).read_line(line)
    }
}

/// Any other segment's side.
pub struct Joiner {
    addr: String,
    token: String,
    share: JobIndex,
}

impl Joiner {
    pub fn new(addr: &str, token: &str, share: JobIndex) -> Joiner {
        Joiner {
            addr: addr.to_string(),
            token: token.to_string(),
            share,
        }
    }

    /// Checks in for `test` (retrying the connection until the leader listens) and returns the
    /// broadcast start (Unix ns). A refusal, a start already past or the timeout is an error:
    /// this segment does not run.
    pub fn join(&self, test: &str, timeout: Duration) -> Result<u64, CliError> {
        let deadline = Instant::now() + timeout;
        let check_in = CheckIn {
            token: self.token.clone(),
            index: self.share.index,
            count: self.share.count,
            test: test.to_string(),
        };
        let fail = |what: String| {
            CliError::config(
                format!("rendezvous at {} for {test}: {what}", self.addr),
                "start segment 1 with the same --rendezvous ADDR, token and segment count; \
                 a segment that misses the start cannot join it",
            )
        };
        let mut last_error = String::from("no answer");
        while Instant::now() < deadline {
            let mut stream = match self.connect() {
                Ok(s) => s,
                Err(e) => {
                    last_error = e;
                    std::thread::sleep(POLL * 5);
                    continue;
                }
            };
            let left = deadline.saturating_duration_since(Instant::now());
            let sent = stream
                .set_read_timeout(Some(left.max(Duration::from_millis(1))))
                .and_then(|()| stream.write_all(check_in.line().as_bytes()));
            if let Err(e) = sent {
                last_error = e.to_string();
                continue;
            }
            let mut answer = String::new();
            match BufReader::new(stream).take_line(&mut answer) {
                Ok(0) => {
                    // The leader closed without answering (it was not yet at this test's
                    // rendezvous and restarted, or it is going away): try again.
                    last_error = "segment 1 closed the connection".into();
                    std::thread::sleep(POLL * 5);
                    continue;
                }
                Ok(_) => return answered(answer.trim_end()).map_err(fail),
                Err(e) => {
                    last_error = e.to_string();
                    continue;
                }
            }
        }
        Err(fail(format!(
            "segment 1 did not answer within {} ({last_error})",
            crate::format::duration_ns(timeout.as_nanos() as f64)
        )))
    }

    fn connect(&self) -> Result<TcpStream, String> {
        let addrs = self.addr.to_socket_addrs().map_err(|e| e.to_string())?;
        let mut last = String::from("no address");
        for addr in addrs {
            match TcpStream::connect_timeout(&addr, LINE_TIMEOUT) {
                Ok(s) => return Ok(s),
                Err(e) => last = e.to_string(),
            }
        }
        Err(last)
    }
}

/// The leader's answer as a start instant; a start already past is refused here too.
fn answered(answer: &str) -> Result<u64, String> {
    if let Some(why) = answer.strip_prefix("refused ") {
        return Err(format!("segment 1 refused this segment: {why}"));
    }
    let start: u64 = answer
        .strip_prefix("start ")
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| format!("segment 1 answered {answer:?}, not a start"))?;
    let now = unix_now_ns();
    if now >= start {
        return Err(format!(
            "the broadcast start has passed: this segment is {} late (start skew {} ns)",
            crate::format::duration_ns((now - start) as f64),
            now - start
        ));
    }
    Ok(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Duration = Duration::from_secs(10);

    fn leader(count: u32) -> (Leader, String) {
        let l = Leader::bind("127.0.0.1:0", "tok", count).unwrap();
        let addr = l.local_addr().to_string();
        (l, addr)
    }

    fn joiner(addr: &str, token: &str, m: u32, n: u32) -> Joiner {
        Joiner::new(addr, token, JobIndex::one_based(m, n).unwrap())
    }

    proptest::proptest! {
        /// Whatever a peer sends, reading it as a check-in or an answer does not panic.
        #[test]
        fn no_line_panics_the_readers(line in ".*") {
            let _ = CheckIn::parse(&line);
            let _ = answered(&line);
        }
    }

    /// A host name binds (as pod 0's own DNS name does once it resolves); an address in use
    /// fails at once. (`localhost:PORT` in use is not asserted: with IPv6, `::1` may be free.)
    #[test]
    fn a_host_name_binds_and_an_address_in_use_fails_at_once() {
        let named = listen("localhost:0").expect("localhost resolves and binds");
        let taken = named.local_addr().unwrap();
        let started = Instant::now();
        assert!(listen(&taken.to_string()).is_err());
        assert!(started.elapsed() < NAME_RESOLUTION_WAIT / 2);
    }

    #[test]
    fn check_ins_round_trip() {
        let c = CheckIn {
            token: "t0k".into(),
            index: 2,
            count: 3,
            test: "p/t/with space".into(),
        };
        assert_eq!(CheckIn::parse(&c.line()), Some(c));
        assert_eq!(CheckIn::parse("GET / HTTP/1.1\r\n"), None);
    }

    #[test]
    fn every_segment_gets_the_same_start_ahead_of_now() {
        let (mut l, addr) = leader(3);
        let joins: Vec<_> = [2, 3]
            .into_iter()
            .map(|m| {
                let addr = addr.clone();
                std::thread::spawn(move || joiner(&addr, "tok", m, 3).join("p/t/a", T))
            })
            .collect();
        let before = unix_now_ns();
        let start = l.start("p/t/a", T).unwrap();
        assert!(start > before, "the start lies ahead");
        for j in joins {
            assert_eq!(j.join().unwrap().unwrap(), start);
        }
        // A second test of the same run: a new rendezvous, a later start.
        let addr2 = addr.clone();
        let late = std::thread::spawn(move || joiner(&addr2, "tok", 2, 3).join("p/t/a", T));
        let refused = late.join().unwrap().unwrap_err();
        assert!(refused.message.contains("late"), "{}", refused.message);
        drop(l);
    }

    #[test]
    fn a_wrong_token_is_refused_and_the_right_ones_still_start() {
        let (mut l, addr) = leader(2);
        let a2 = addr.clone();
        let wrong = std::thread::spawn(move || joiner(&a2, "guess", 2, 2).join("p/t/a", T));
        // The wrong token's refusal comes back while the leader still waits for segment 2.
        let a3 = addr.clone();
        let right = std::thread::spawn(move || {
            let refused = wrong.join().unwrap().unwrap_err();
            assert!(
                refused.message.contains("wrong token"),
                "{}",
                refused.message
            );
            joiner(&a3, "tok", 2, 2).join("p/t/a", T)
        });
        let start = l.start("p/t/a", T).unwrap();
        assert_eq!(right.join().unwrap().unwrap(), start);
    }

    #[test]
    fn a_missing_segment_times_out_naming_it() {
        let (mut l, addr) = leader(3);
        let a2 = addr.clone();
        let only = std::thread::spawn(move || joiner(&a2, "tok", 3, 3).join("p/t/a", T));
        let e = l.start("p/t/a", Duration::from_millis(600)).unwrap_err();
        assert!(e.message.contains("2/3"), "{}", e.message);
        assert!(!e.message.contains("3/3"), "{}", e.message);
        // The segment that did check in is told, rather than left waiting.
        assert!(only.join().unwrap().is_err());
    }

    #[test]
    fn a_joiner_without_a_leader_gives_up_at_its_timeout() {
        // A port nothing listens on: bind one, note it, close it.
        let addr = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .to_string();
        let e = joiner(&addr, "tok", 2, 2)
            .join("p/t/a", Duration::from_millis(300))
            .unwrap_err();
        assert!(e.message.contains("did not answer"), "{}", e.message);
    }

    #[test]
    fn a_start_already_past_is_refused() {
        let e = answered(&format!("start {}", unix_now_ns() - 1_000_000)).unwrap_err();
        assert!(e.contains("skew"), "{e}");
        assert!(answered("refused wrong token")
            .unwrap_err()
            .contains("wrong token"));
        assert!(answered("hello").is_err());
    }
}
