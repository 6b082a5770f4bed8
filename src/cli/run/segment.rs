//! `cargo perf --segment M/N`: this process runs one segment of each selected load test (the
//! library computes its stripe of the global timetable or of the workers), starting at a common
//! instant (`--start-at TIME`, or the `--rendezvous` of [`super::rendezvous`]).
//!
//! A segment's report is evidence for `cargo perf merge`, not a verdict:
//! - only load tests run (a micro benchmark has no share to split; they are skipped with a note);
//! - one process per load test: the segments are the independent processes;
//! - thresholds are NOT judged: a `throughput > N` limit would fail on a 1/N share. Each check
//!   stays in the report with `passed` as measured on the share (for diagnosis), but the test's
//!   status is `passed` unless it errored, and the report's top-level `segment` says so; the
//!   merge judges every threshold once, on the merged result;
//! - nothing is compared with a baseline or saved to the store (a share is not the test).

use super::events::Reporter;
use super::rendezvous::{Joiner, Leader};
use super::runner::{self, Planned, RunConfig};
use crate::cli::errors::CliError;
use crate::cli::jobs::JobIndex;
use crate::cli::model::{Report, SegmentMark, Status, TestReport};
use crate::cli::store::policy;
use crate::load::segment::{unix_now_ns, START_SKEW_WARN_NS};
use crate::protocol::{Segment, TestKind};

/// The environment variable that carries the rendezvous token (preferred to the flag: a flag's
/// value is visible to every user in `ps`).
pub const ENV_RENDEZVOUS_TOKEN: &str = "CARGO_PERF_RENDEZVOUS_TOKEN";

/// `--start-at TIME`: an instant. (No `now+DURATION`: each segment process would resolve it
/// on its own clock at its own moment, so the segments would never share the start; the
/// launcher computes one instant for all, e.g. `@$(( $(date +%s) + 30 ))`.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartAt {
    /// Nanoseconds since the Unix epoch (RFC 3339 UTC, or `@SECONDS[.frac]`).
    Unix(u64),
}

/// Parses `2026-12-02T18:30:00Z` (RFC 3339 in UTC, fractions of a second allowed),
/// or `@1796236200.25` (Unix seconds).
pub fn parse_start_at(text: &str) -> Result<StartAt, String> {
    let t = text.trim();
    if let Some(secs) = t.strip_prefix('@') {
        return match secs.parse::<f64>() {
            Ok(s) if (0.0..1e10).contains(&s) => Ok(StartAt::Unix((s * 1e9) as u64)),
            _ => Err(format!(
                "`{text}`: `@` must be followed by Unix seconds, e.g. @1796236200.5"
            )),
        };
    }
    rfc3339_ns(t).map(StartAt::Unix).ok_or_else(|| {
        format!(
            "`{text}` is not a start time: write RFC 3339 in UTC (2026-12-02T18:30:00Z), \
             or @UNIX_SECONDS (the same instant for every segment)"
        )
    })
}

/// `YYYY-MM-DDTHH:MM:SS[.fff]Z` as nanoseconds since the epoch; `None` when malformed.
fn rfc3339_ns(t: &str) -> Option<u64> {
    let t = t.strip_suffix('Z').or_else(|| t.strip_suffix('z'))?;
    let (date, time) = t.split_once(['T', 't', ' '])?;
    let mut d = date.splitn(3, '-').map(|p| p.parse::<i64>().ok());
    let (year, month, day) = (d.next()??, d.next()??, d.next()??);
    let (hms, frac) = time.split_once('.').unwrap_or((time, ""));
    let mut h = hms.splitn(3, ':').map(|p| p.parse::<i64>().ok());
    let (hour, min, sec) = (h.next()??, h.next()??, h.next()??);
    let valid = (1970..=9999).contains(&year)
        && (1..=12).contains(&month)
        && (1..=31).contains(&day)
        && hour < 24
        && min < 60
        && sec < 61
        && hour >= 0
        && min >= 0
        && sec >= 0
        && frac.len() <= 9
        && frac.bytes().all(|b| b.is_ascii_digit());
    if !valid {
        return None;
    }
    let frac_ns = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<9}").parse::<u64>().ok()?
    };
    // Days since 1970-01-01 from a civil date (Howard Hinnant's algorithm, the inverse of
    // `store::rfc3339`).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + hour * 3_600 + min * 60 + sec;
    // Nanoseconds in a u64 end in 2554: later instants are not start times.
    u64::try_from(secs)
        .ok()?
        .checked_mul(1_000_000_000)?
        .checked_add(frac_ns)
}

/// How the segments agree on when each load test starts.
#[derive(Debug, Clone)]
pub enum Start {
    /// No common start: each segment starts when it is ready (a local try-out).
    Whenever,
    /// `--start-at`: one instant, for the one selected load test.
    At(u64),
    /// `--rendezvous ADDR`: segment 1 listens there, the others connect.
    Rendezvous { addr: String, token: String },
}

/// What `--segment`, `--start-at` and `--rendezvous` asked, checked before anything is built.
#[derive(Debug, Clone)]
pub struct Segmenting {
    pub share: JobIndex,
    pub start: Start,
}

impl Segmenting {
    /// The segment options from the flags; `None` without `--segment`. Usage errors (exit 2):
    /// `--start-at`/`--rendezvous` without `--segment`, both at once, a start already past,
    /// a rendezvous without a token.
    pub fn from_flags(
        segment: Option<&str>,
        start_at: Option<StartAt>,
        rendezvous: Option<&str>,
        token: Option<&str>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<Segmenting>, CliError> {
        let Some(spec) = segment else {
            if start_at.is_some() || rendezvous.is_some() {
                return Err(CliError::usage(
                    "--start-at and --rendezvous start the segments of a load test together",
                    "add --segment M/N (or --segment ci) to run one segment of each load test",
                ));
            }
            return Ok(None);
        };
        let share = JobIndex::parse(spec, "--segment ", &env)?;
        let start = match (start_at, rendezvous) {
            (Some(_), Some(_)) => {
                return Err(CliError::usage(
                    "--start-at and --rendezvous both choose the start",
                    "give one: --start-at TIME when the launcher picks the instant, \
                     --rendezvous ADDR when segment 1 broadcasts it",
                ))
            }
            (Some(at), None) => Start::At(resolve(at)?),
            (None, Some(addr)) => {
                let token = token
                    .map(str::to_string)
                    .or_else(|| env(ENV_RENDEZVOUS_TOKEN))
                    .filter(|t| !t.is_empty())
                    .ok_or_else(|| {
                        CliError::usage(
                            "--rendezvous needs the run's token",
                            format!(
                                "set {ENV_RENDEZVOUS_TOKEN} (or --rendezvous-token) to the same \
                                 random value in every segment, e.g. `openssl rand -hex 16`"
                            ),
                        )
                    })?;
                if token.chars().any(char::is_whitespace) {
                    return Err(CliError::usage(
                        "the rendezvous token contains white space",
                        "use a token without spaces, e.g. `openssl rand -hex 16`",
                    ));
                }
                Start::Rendezvous {
                    addr: addr.to_string(),
                    token,
                }
            }
            (None, None) => Start::Whenever,
        };
        Ok(Some(Segmenting { share, start }))
    }

    /// The wire's 0-based segment.
    pub fn segment(&self) -> Segment {
        Segment {
            index: self.share.index,
            count: self.share.count,
        }
    }
}

/// `--start-at` as an instant; a start that has already passed is refused at once.
fn resolve(at: StartAt) -> Result<u64, CliError> {
    let now = unix_now_ns();
    let StartAt::Unix(ns) = at;
    if ns <= now {
        return Err(missed(now - ns));
    }
    Ok(ns)
}

/// A segment that missed the common start refuses to run: its stripe of the timetable would
/// be compressed or shifted against the others'.
fn missed(skew_ns: u64) -> CliError {
    CliError::usage(
        format!(
            "the common start has passed: this segment is {} late (start skew {skew_ns} ns)",
            crate::format::duration_ns(skew_ns as f64)
        ),
        "give every segment a --start-at far enough ahead to cover the build, or use \
         --rendezvous ADDR",
    )
}

/// Only load tests run in a segment; the others are skipped with a note. More than one load
/// test with a single `--start-at` instant is a usage error (one instant serves one test).
pub fn restrict<'s>(
    seg: Option<&Segmenting>,
    plan: Vec<Planned<'s>>,
    notes: &mut Vec<String>,
) -> Result<Vec<Planned<'s>>, CliError> {
    let Some(seg) = seg else {
        return Ok(plan);
    };
    let (load, other): (Vec<_>, Vec<_>) = plan
        .into_iter()
        .partition(|p| p.info.kind == TestKind::Load);
    if !other.is_empty() {
        notes.push(format!(
            "--segment {}: {} test(s) that are not load tests skipped (a segment runs only \
             load tests; run the others with --partition)",
            seg.share,
            other.len()
        ));
    }
    if load.is_empty() {
        return Err(CliError::usage(
            format!("--segment {}: no load test is selected", seg.share),
            "a segment runs only load tests (`#[perf_test]` taking `&mut LoadTest`): select \
             one, or run micro benchmarks with --partition",
        ));
    }
    if load.len() > 1 && matches!(seg.start, Start::At(_)) {
        return Err(CliError::usage(
            format!(
                "--start-at gives one instant, but {} load tests are selected",
                load.len()
            ),
            "select one load test (a FILTER), or use --rendezvous ADDR to start each test \
             together",
        ));
    }
    Ok(load)
}

/// The run's tests: as this segment ([`run_all`]) under `--segment`, else every process of
/// every test ([`runner::run_all`]).
pub fn run(
    seg: Option<&Segmenting>,
    plan: &[Planned<'_>],
    config: RunConfig,
    reporter: &mut dyn Reporter,
    notes: &mut Vec<String>,
) -> Result<Vec<TestReport>, CliError> {
    match seg {
        Some(seg) => run_all(seg, plan, config, reporter, notes),
        None => Ok(runner::run_all(plan, config, reporter)),
    }
}

/// A whole run is compared and saved; a segment is a share of each test: stamped with the
/// commit and its segment, never compared with a baseline or saved.
pub fn compare_and_save(
    seg: Option<&Segmenting>,
    report: &mut Report,
    opts: &policy::Options,
) -> Result<(), CliError> {
    match seg {
        Some(seg) => policy::stamp(report, opts, mark(seg)),
        None => policy::compare_and_save(report, opts),
    }
}

/// Runs each load test once, as this segment, at the common start; reports in plan order.
/// Thresholds are kept but not judged (see the module docs).
pub fn run_all(
    seg: &Segmenting,
    plan: &[Planned<'_>],
    mut config: RunConfig,
    reporter: &mut dyn Reporter,
    notes: &mut Vec<String>,
) -> Result<Vec<TestReport>, CliError> {
    config.load_processes = 1;
    config.segment = Some(seg.segment());
    let mut leader = None;
    let mut reports = Vec::new();
    for (i, planned) in plan.iter().enumerate() {
        let id = planned.id().to_string();
        config.start_at_unix_ns = match &seg.start {
            Start::Whenever => None,
            Start::At(ns) => {
                let now = unix_now_ns();
                if now >= *ns {
                    return Err(missed(now - ns));
                }
                Some(*ns)
            }
            Start::Rendezvous { addr, token } if seg.share.index == 0 => {
                if leader.is_none() {
                    leader = Some(Leader::bind(addr, token, seg.share.count)?);
                }
                let l = leader.as_mut().expect("bound above");
                Some(l.start(&id, super::rendezvous::CHECK_IN_TIMEOUT)?)
            }
            Start::Rendezvous { addr, token } => {
                let joiner = Joiner::new(addr, token, seg.share);
                Some(joiner.join(&id, super::rendezvous::CHECK_IN_TIMEOUT)?)
            }
        };
        let mut done = runner::run_all(&plan[i..=i], config, reporter);
        for report in &mut done {
            unjudged(report);
            warn_skew(report, seg);
        }
        reports.extend(done);
    }
    notes.push(format!(
        "segment {} of each load test: thresholds are judged by `cargo perf merge` of all {} \
         segment reports, not here; nothing compared or saved",
        seg.share, seg.share.count
    ));
    Ok(reports)
}

/// The report's top-level marking of a segment.
fn mark(seg: &Segmenting) -> SegmentMark {
    SegmentMark {
        index: seg.share.index,
        count: seg.share.count,
    }
}

/// A segment's checks are kept, not judged: a failed check does not fail the test.
fn unjudged(report: &mut TestReport) {
    if report.status == Status::Failed && report.error.is_none() {
        report.status = Status::Passed;
    }
}

/// A warning on stderr when a segment's plan began more than 10 ms off the common start.
fn warn_skew(report: &TestReport, seg: &Segmenting) {
    if let Some(w) = skew_warning(report, seg) {
        eprintln!("{w}");
    }
}

fn skew_warning(report: &TestReport, seg: &Segmenting) -> Option<String> {
    let skew = report
        .load
        .as_ref()
        .and_then(|l| l.segment.as_ref())
        .and_then(|s| s.start_skew_ns)?;
    (skew.unsigned_abs() > START_SKEW_WARN_NS).then(|| {
        format!(
            "warning: segment {} of {} started {} off the common start (above {})",
            seg.share,
            report.id,
            crate::format::duration_ns(skew.unsigned_abs() as f64),
            crate::format::duration_ns(START_SKEW_WARN_NS as f64)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_and_unix_seconds_give_the_same_instant() {
        let a = parse_start_at("2026-12-02T18:30:00Z").unwrap();
        let b = parse_start_at("@1796236200").unwrap();
        assert_eq!(a, b);
        assert_eq!(
            crate::cli::store::rfc3339(1_796_236_200),
            "2026-12-02T18:30:00Z"
        );
        assert_eq!(
            parse_start_at("2026-12-02T18:30:00.25Z").unwrap(),
            StartAt::Unix(1_796_236_200_250_000_000)
        );
        assert_eq!(
            parse_start_at("@1796236200.5").unwrap(),
            StartAt::Unix(1_796_236_200_500_000_000)
        );
        // Leap-year days and the turn of a century.
        assert_eq!(
            parse_start_at("2000-03-01T00:00:00Z").unwrap(),
            StartAt::Unix(951_868_800_000_000_000)
        );
    }

    proptest::proptest! {
        /// The civil-date arithmetic against the store's formatter, over every second from
        /// 1970 to 2554 (the end of u64 nanoseconds); and no text makes the parser panic.
        #[test]
        fn rfc3339_round_trips_and_nothing_panics(secs in 0u64..18_446_744_073, text in ".*") {
            let written = crate::cli::store::rfc3339(secs);
            proptest::prop_assert_eq!(
                parse_start_at(&written),
                Ok(StartAt::Unix(secs * 1_000_000_000))
            );
            let _ = parse_start_at(&text);
        }
    }

    #[test]
    fn malformed_start_times_say_how_to_write_one() {
        for t in [
            "",
            "soon",
            "2026-12-02T18:30:00",
            "2026-13-02T18:30:00Z",
            "2026-12-02T25:30:00Z",
            "2026-12-02T18:30:00+01:00",
            "@x",
            "@-5",
            "now+3s",
            "9999-12-31T23:59:59Z",
        ] {
            let e = parse_start_at(t).unwrap_err();
            assert!(e.contains(&format!("`{t}`")), "{t}: {e}");
        }
    }

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn flags_are_checked_before_anything_runs() {
        let usage = |r: Result<Option<Segmenting>, CliError>| {
            assert_eq!(r.unwrap_err().kind, crate::cli::errors::ErrorKind::Usage)
        };
        assert!(Segmenting::from_flags(None, None, None, None, no_env)
            .unwrap()
            .is_none());
        usage(Segmenting::from_flags(
            None,
            Some(StartAt::Unix(unix_now_ns() + 60_000_000_000)),
            None,
            None,
            no_env,
        ));
        let later = Some(StartAt::Unix(unix_now_ns() + 60_000_000_000));
        usage(Segmenting::from_flags(
            Some("1/3"),
            later,
            Some("127.0.0.1:1"),
            Some("t"),
            no_env,
        ));
        // A rendezvous without a token, or with one that would break the line protocol.
        usage(Segmenting::from_flags(
            Some("1/3"),
            None,
            Some("127.0.0.1:1"),
            None,
            no_env,
        ));
        usage(Segmenting::from_flags(
            Some("1/3"),
            None,
            Some("127.0.0.1:1"),
            Some("a b"),
            no_env,
        ));
        let env_token = |k: &str| (k == ENV_RENDEZVOUS_TOKEN).then(|| "s3cret".to_string());
        let s = Segmenting::from_flags(Some("2/3"), None, Some("127.0.0.1:1"), None, env_token)
            .unwrap()
            .unwrap();
        assert!(matches!(s.start, Start::Rendezvous { ref token, .. } if token == "s3cret"));
        assert_eq!(s.segment(), Segment { index: 1, count: 3 });
    }

    #[test]
    fn a_start_skew_above_10_ms_is_warned_about() {
        let seg = Segmenting::from_flags(Some("2/3"), None, None, None, no_env)
            .unwrap()
            .unwrap();
        let with_skew = |ns: i64| {
            let mut t = TestReport::new(
                &crate::cli::model::TestId::new("p", "t", "load"),
                TestKind::Load,
                Vec::new(),
            );
            t.load = Some(crate::protocol::LoadDetails {
                segment: Some(crate::protocol::SegmentFigures {
                    index: 1,
                    count: 3,
                    start_at_unix_ns: Some(1),
                    start_skew_ns: Some(ns),
                }),
                ..Default::default()
            });
            skew_warning(&t, &seg)
        };
        assert_eq!(with_skew(9_000_000), None);
        let w = with_skew(12_500_000).expect("a warning");
        assert!(w.contains("2/3") && w.contains("p/t/load"), "{w}");
    }

    #[test]
    fn a_start_in_the_past_is_refused_naming_the_skew() {
        let past = Some(StartAt::Unix(unix_now_ns() - 2_000_000_000));
        let e = Segmenting::from_flags(Some("1/2"), past, None, None, no_env).unwrap_err();
        assert!(e.message.contains("late"), "{}", e.message);
        assert!(e.message.contains("skew"), "{}", e.message);
    }
}
