//! End to end, the local launcher test: the segments fixture's server (its own
//! binary on 127.0.0.1), three `cargo perf --segment ci` processes started with the variables
//! the engines set (a Kubernetes Indexed Job's `JOB_COMPLETION_INDEX`, GitLab's
//! `CI_NODE_INDEX`/`CI_NODE_TOTAL`, the generic `CARGO_PERF_JOB_INDEX`/`_TOTAL`) and one
//! `--rendezvous` (then again with one `--start-at` instant), then `cargo perf merge`: every operation of the global timetable reached the
//! server exactly once (no gap, no duplicate), the merged count is the timetable's, the
//! `throughput > 180` limit that each segment's own file shows missed passes merged; two of
//! three files, or three with a killed segment's, are `incomplete` (exit 2); a segment whose
//! `--start-at` has passed refuses.
//! It prints the largest start skew and the merged p99 against one unsegmented process's.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{cargo_perf_command, fixture, run_in_fixture, shared_target_dir, test_named};
use serde_json::Value;

/// The fixture's `rate(240)` for `duration(2s)`: the global timetable's operations.
const TIMETABLE: u64 = 480;

/// Every variable a launcher might have left in this test's own environment.
const JOB_VARS: &[&str] = &[
    "CARGO_PERF_JOB_INDEX",
    "CARGO_PERF_JOB_TOTAL",
    "JOB_COMPLETION_INDEX",
    "CI_NODE_INDEX",
    "CI_NODE_TOTAL",
    "CARGO_PERF_RENDEZVOUS_TOKEN",
];

/// The fixture's server, killed when dropped.
struct Server {
    child: Child,
    addr: String,
    seen: PathBuf,
}

impl Server {
    fn start(dir: &Path, work: &Path) -> Server {
        let built = run_in_fixture(dir, || {
            Command::new(env!("CARGO"))
                .args(["build", "--quiet", "--bin", "server"])
                .current_dir(dir)
                .env("CARGO_TARGET_DIR", shared_target_dir())
                .status()
                .expect("cargo builds the server")
        });
        assert!(built.success(), "the fixture's server builds");
        let port_file = work.join("port");
        let seen = work.join("seen");
        let child = Command::new(shared_target_dir().join("debug").join("server"))
            .arg(&port_file)
            .arg(&seen)
            .spawn()
            .expect("the server starts");
        let deadline = Instant::now() + Duration::from_secs(30);
        let port = loop {
            if let Ok(p) = std::fs::read_to_string(&port_file) {
                break p;
            }
            assert!(Instant::now() < deadline, "the server wrote no port file");
            std::thread::sleep(Duration::from_millis(20));
        };
        Server {
            child,
            addr: format!("127.0.0.1:{}", port.trim()),
            seen,
        }
    }

    /// `requests=N distinct=D duplicates=U min=A max=B gaps=G` as numbers, by name.
    fn seen(&self) -> std::collections::BTreeMap<String, u64> {
        let mut s = TcpStream::connect(&self.addr).expect("connect to the server");
        s.write_all(b"dump\n").unwrap();
        let mut reply = String::new();
        BufReader::new(s).read_line(&mut reply).unwrap();
        assert_eq!(reply.trim(), "ok");
        std::fs::read_to_string(&self.seen)
            .unwrap()
            .split_whitespace()
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap();
                (k.to_string(), v.parse().unwrap())
            })
            .collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A free port on 127.0.0.1 for segment 1 to listen on.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn segment(dir: &Path, args: &[&str], env: &[(&str, &str)], server: &str) -> Command {
    let mut cmd = cargo_perf_command(dir, args);
    for v in JOB_VARS {
        cmd.env_remove(v);
    }
    cmd.env("SEGMENTS_SERVER", server);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd
}

/// Waits for every segment; each must exit 0 (its stderr shown when one does not).
fn all_succeed(dir: &Path, children: Vec<Child>) {
    let outputs: Vec<_> = run_in_fixture(dir, || {
        children
            .into_iter()
            .map(|c| c.wait_with_output().unwrap())
            .collect()
    });
    for (m, out) in outputs.iter().enumerate() {
        assert_eq!(
            out.status.code(),
            Some(0),
            "segment {}: {}",
            m + 1,
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn unix_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn throughput_check(test: &Value) -> &Value {
    test["thresholds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["metric"] == "throughput_per_sec")
        .expect("a throughput check")
}

#[test]
fn three_segments_from_three_engines_merge_exactly_and_bad_sets_refuse() {
    let f = fixture("segments");
    let work = tempfile::tempdir().unwrap();
    let server = Server::start(&f.dir, work.path());
    // Build once, so the three segments do not queue on cargo's lock one build after another.
    let listed = common::cargo_perf_in(&f.dir, &["--list"], &[]);
    assert_eq!(listed.code, 0, "{}", listed.dump());

    let rendezvous = format!("127.0.0.1:{}", free_port());
    let token = "e2e-7f3a9c";
    let engines: [&[(&str, &str)]; 3] = [
        // Kubernetes Indexed Job: 0-based completion index, the count from cargo-perf's own.
        &[("JOB_COMPLETION_INDEX", "0"), ("CARGO_PERF_JOB_TOTAL", "3")],
        // GitLab `parallel: 3`: 1-based.
        &[("CI_NODE_INDEX", "2"), ("CI_NODE_TOTAL", "3")],
        // GitHub Actions matrix / Slurm / SSH: the generic pair, 0-based.
        &[("CARGO_PERF_JOB_INDEX", "2"), ("CARGO_PERF_JOB_TOTAL", "3")],
    ];
    let files: Vec<PathBuf> = (1..=3)
        .map(|m| work.path().join(format!("segment-{m}.json")))
        .collect();
    let children: Vec<Child> = engines
        .iter()
        .zip(&files)
        .map(|(env, file)| {
            let args = [
                "--segment",
                "ci",
                "--rendezvous",
                &rendezvous,
                "--format",
                "json",
                "-o",
                file.to_str().unwrap(),
            ];
            let mut env = env.to_vec();
            env.push(("CARGO_PERF_RENDEZVOUS_TOKEN", token));
            segment(&f.dir, &args, &env, &server.addr)
                .spawn()
                .expect("a segment starts")
        })
        .collect();
    all_succeed(&f.dir, children);

    // Each segment's own file: its segment, a passed status, and the share below the limit.
    let mut skews = Vec::new();
    for (m, file) in files.iter().enumerate() {
        let r = common::schema::read_json(file);
        assert_eq!(r["segment"]["index"], m as u64, "{r}");
        assert_eq!(r["segment"]["count"], 3);
        let t = test_named(&r, "numbered");
        assert_eq!(t["status"], "passed", "a segment does not judge: {t}");
        let check = throughput_check(t);
        assert_eq!(check["passed"], false, "one segment alone misses: {check}");
        assert!(check["actual"].as_f64().unwrap() < 180.0, "{check}");
        let seg = &t["load"]["segment"];
        assert_eq!(seg["index"], m as u64, "{seg}");
        skews.push(seg["start_skew_ns"].as_i64().unwrap_or(0));
        common::schema::assert_valid("report.schema.json", &r, "a segment report");
    }

    // The server saw every operation of the timetable exactly once.
    let seen = server.seen();
    assert_eq!(seen["duplicates"], 0, "{seen:?}");
    assert_eq!(seen["gaps"], 0, "{seen:?}");
    assert_eq!(seen["min"], 0, "{seen:?}");

    let file_args: Vec<&str> = files.iter().map(|p| p.to_str().unwrap()).collect();
    let merged = common::cargo_perf_in(
        &f.dir,
        &[&["merge", "--format", "json"][..], &file_args].concat(),
        &[],
    );
    assert_eq!(merged.code, 0, "{}", merged.dump());
    let report = merged.json();
    common::schema::assert_valid("report.schema.json", &report, "the merged segments");
    let t = test_named(&report, "numbered");
    assert_eq!(t["status"], "passed", "{t}");
    let check = throughput_check(t);
    assert_eq!(check["passed"], true, "the whole meets the limit: {check}");
    let load = &t["load"];
    let done = load["operations"].as_u64().unwrap();
    let (dropped, unfinished) = (
        load["dropped"].as_u64().unwrap(),
        load["unfinished"].as_u64().unwrap(),
    );
    // Every operation of the timetable is accounted for, once, by one segment.
    assert_eq!(done + dropped + unfinished, TIMETABLE, "{load}");
    // A dropped operation is never sent (and would show as a gap above); an unfinished one
    // may have reached the server before the run ended.
    assert_eq!(dropped, 0, "no gap means nothing was dropped: {load}");
    let distinct = seen["distinct"];
    assert!(
        (done..=done + unfinished).contains(&distinct),
        "the server saw {distinct} operations, the merge counts {done} (+{unfinished} unfinished)"
    );
    assert_eq!(load["segments"].as_array().unwrap().len(), 3, "{load}");

    // Two of three: incomplete, exit 2, naming the missing segment.
    let two = common::cargo_perf_in(
        &f.dir,
        &["merge", "--format", "json", file_args[0], file_args[2]],
        &[],
    );
    assert_eq!(two.code, 2, "{}", two.dump());
    assert!(two.stderr.contains("incomplete"), "{}", two.dump());
    assert!(two.stderr.contains("2/3"), "{}", two.dump());

    // The launcher's other way: one instant it computed, given to every segment.
    let at = format!("@{}", unix_secs() + 20);
    let at_files: Vec<PathBuf> = (1..=3)
        .map(|m| work.path().join(format!("at-{m}.json")))
        .collect();
    let children: Vec<Child> = at_files
        .iter()
        .enumerate()
        .map(|(i, file)| {
            let share = format!("{}/3", i + 1);
            let args = [
                "--segment",
                &share,
                "--start-at",
                &at,
                "--format",
                "json",
                "-o",
                file.to_str().unwrap(),
            ];
            segment(&f.dir, &args, &[], &server.addr)
                .spawn()
                .expect("a segment starts")
        })
        .collect();
    all_succeed(&f.dir, children);
    for file in &at_files {
        let t = test_named(&common::schema::read_json(file), "numbered").clone();
        skews.push(t["load"]["segment"]["start_skew_ns"].as_i64().unwrap_or(0));
    }
    let at_args: Vec<&str> = at_files.iter().map(|p| p.to_str().unwrap()).collect();
    let at_merged = common::cargo_perf_in(
        &f.dir,
        &[&["merge", "--format", "json"][..], &at_args].concat(),
        &[],
    );
    assert_eq!(at_merged.code, 0, "{}", at_merged.dump());
    let at_report = at_merged.json();
    let at_load = &test_named(&at_report, "numbered")["load"];
    assert_eq!(
        at_load["operations"].as_u64().unwrap() + at_load["unfinished"].as_u64().unwrap(),
        TIMETABLE,
        "{at_load}"
    );

    // A killed segment (its test process stopped by --test-timeout halfway through the 2 s
    // load): its file says the test errored, and the merge with it is incomplete.
    let killed_file = work.path().join("killed.json");
    let killed = segment(
        &f.dir,
        &[
            "--segment",
            "3/3",
            "--test-timeout",
            "1s",
            "--format",
            "json",
            "-o",
            killed_file.to_str().unwrap(),
        ],
        &[],
        &server.addr,
    )
    .output()
    .unwrap();
    let killed_report = common::schema::read_json(&killed_file);
    let status = &test_named(&killed_report, "numbered")["status"];
    assert_eq!(
        status,
        "error",
        "{}",
        String::from_utf8_lossy(&killed.stderr)
    );
    let with_killed = common::cargo_perf_in(
        &f.dir,
        &[
            "merge",
            "--format",
            "json",
            file_args[0],
            file_args[1],
            killed_file.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(with_killed.code, 2, "{}", with_killed.dump());
    assert!(
        with_killed.stderr.contains("incomplete"),
        "{}",
        with_killed.dump()
    );
    assert!(
        with_killed.stderr.contains("killed.json"),
        "{}",
        with_killed.dump()
    );

    // A segment whose start has passed refuses, naming its skew.
    let past = format!("@{}", unix_secs() - 5);
    let late = segment(
        &f.dir,
        &["--segment", "2/3", "--start-at", &past, "--format", "json"],
        &[],
        &server.addr,
    )
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&late.stderr);
    assert_ne!(late.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("skew"), "{stderr}");

    // Figures for the lead: the largest start skew, and merged p99 against one process's.
    let single = segment(
        &f.dir,
        &["--processes", "1", "--no-save", "--format", "json"],
        &[],
        &server.addr,
    )
    .output()
    .unwrap();
    let single: Value = serde_json::from_slice(&single.stdout).unwrap();
    let p99 = |t: &Value| t["metrics"]["p99_ns"].as_f64().unwrap_or(f64::NAN) / 1e6;
    eprintln!(
        "figures: largest start skew {:.3} ms; merged p99 {:.3} ms vs one process {:.3} ms",
        skews.iter().map(|s| s.unsigned_abs()).max().unwrap_or(0) as f64 / 1e6,
        p99(t),
        p99(test_named(&single, "numbered"))
    );
}
