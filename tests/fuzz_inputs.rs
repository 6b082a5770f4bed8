//! Fuzzing every reader of outside input: no input may panic. Stored records (and what
//! `compare` does with them), the harness's protocol files, the duration/size/percent parsers
//! of the runtime, the macro and the CLI, and the CLI's arguments get arbitrary bytes and
//! structured mutations of valid inputs (byte flips, truncation, deleted fields, values of the
//! wrong type or range). Runs under `cargo test` with a fixed seed and case count; set
//! `FUZZ_CASES=N` (per target) and `FUZZ_SEED=S` for a longer or different search.

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestError, TestRng, TestRunner};
use serde_json::{json, Value};

/// The entry points under test, in one place: when the library's internals move, re-point
/// these and nothing else.
mod entry {
    use std::ffi::OsString;
    use std::path::Path;

    use cargo_perf::__internals::{self as threshold, Threshold};
    use cargo_perf::__internals::{Envelope, Request, Response};
    use cargo_perf::cli::compare::unpaired::{compare_all, Pair};
    use cargo_perf::cli::compare::CompareOptions;
    pub use cargo_perf::cli::store::Record;
    use cargo_perf::cli::store::{read_record, Store};
    use perf_spec::Unit;

    /// The unit parsers of `#[perf_test(...)]` literals, as the macro calls them (perf-spec,
    /// the one vocabulary the macro, the runtime and the CLI share).
    pub mod macro_units {
        pub fn duration_ns(text: &str) -> Result<f64, String> {
            perf_spec::duration_ns(text).map_err(String::from)
        }
        pub fn bytes(text: &str) -> Result<f64, String> {
            perf_spec::bytes(text).map_err(String::from)
        }
        pub fn percent_string(text: &str) -> Result<f64, String> {
            perf_spec::percent_with_sign(text).map_err(String::from)
        }
        pub fn number(text: &str) -> Result<f64, String> {
            perf_spec::number(text).map_err(String::from)
        }
    }

    /// `cargo perf` reading one record file.
    pub fn read_record_file(path: &Path) -> Result<Record, String> {
        read_record(path).map_err(|d| d.to_string())
    }

    /// What `baseline list`/`compare` do with a store directory holding damaged records.
    pub fn list_store(dir: &Path) -> usize {
        let listing = Store::open(dir).expect("open store").list(None);
        listing.records.len() + listing.damaged.len()
    }

    /// Compare two records' tests the way `cargo perf compare` does.
    pub fn compare_records(base: &Record, head: &Record) -> usize {
        let pairs: Vec<Pair<'_>> = head
            .tests
            .iter()
            .map(|h| Pair {
                base: base.tests.iter().find(|b| b.id == h.id),
                head: h,
                noise: head.noise.get(&h.id).copied(),
            })
            .collect();
        compare_all(&pairs, Some(&base.commit), &CompareOptions::default())
            .iter()
            .flatten()
            .count()
    }

    /// The harness's response file as `cargo perf` reads it, then merged as the runner merges
    /// a test's processes.
    pub fn read_envelope(bytes: &[u8]) -> bool {
        let Ok(envelope) = serde_json::from_slice::<Envelope>(bytes) else {
            return false;
        };
        if let Response::Run(run) = envelope.body {
            if let Some(m) = run.measurement {
                let _ = cargo_perf::cli::compare::merge::merge_processes(&[m.clone(), m]);
            }
        }
        true
    }

    /// The request file as the harness reads it.
    pub fn read_request(bytes: &[u8]) -> bool {
        serde_json::from_slice::<Request>(bytes).is_ok()
    }

    /// The runtime's parser of `PERF_<TEST>_<KEY>` values, for every unit.
    pub fn runtime_value(unit: &str, text: &str) -> Result<f64, String> {
        let unit = match unit {
            "duration" => Unit::Duration,
            "bytes" => Unit::Bytes,
            "percent" => Unit::Percent,
            _ => Unit::Number,
        };
        unit.parse(text.trim()).map_err(String::from)
    }

    pub fn runtime_duration_ns(text: &str) -> Result<f64, String> {
        Unit::Duration.parse(text).map_err(String::from)
    }

    pub fn runtime_bytes(text: &str) -> Result<f64, String> {
        Unit::Bytes.parse(text).map_err(String::from)
    }

    /// Every override variable of one test, looked up in `vars`.
    pub fn env_overrides(test: &str, vars: &[(String, String)]) -> Result<Vec<Threshold>, String> {
        threshold::apply_env_overrides(test, &[], |name| {
            vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        })
    }

    /// The CLI's argument parser (its `--threshold` percent parser among them); `Err` is the
    /// usage error text.
    pub fn parse_cli(args: &[String]) -> Result<bool, String> {
        let argv = std::iter::once(OsString::from("cargo-perf"))
            .chain(args.iter().map(OsString::from))
            .collect::<Vec<_>>();
        cargo_perf::cli::args::parse(argv)
            .map(|cli| cli.is_some())
            .map_err(|e| e.to_string())
    }

    /// `cargo perf ab --budget TEXT`, through the CLI parser.
    pub fn cli_budget(text: &str) -> Result<std::time::Duration, String> {
        let argv = ["cargo-perf", "perf", "ab", "main", "--budget", text].map(OsString::from);
        match cargo_perf::cli::args::parse(argv) {
            Ok(Some(cli)) => match cli.command {
                cargo_perf::cli::args::Command::Ab(ab) => Ok(ab.budget.unwrap_or_default()),
                _ => Err("not ab".into()),
            },
            Ok(None) => Err("help printed".into()),
            Err(e) => Err(e.to_string()),
        }
    }

    /// `--threshold TEXT` as a fraction, through the CLI parser.
    pub fn cli_threshold(text: &str) -> Result<f64, String> {
        let argv = ["cargo-perf", "perf", "run", "--threshold", text].map(OsString::from);
        match cargo_perf::cli::args::parse(argv) {
            Ok(Some(cli)) => match cli.command {
                cargo_perf::cli::args::Command::Run(run) => Ok(run.regression_threshold()),
                _ => Err("not a run".into()),
            },
            Ok(None) => Err("help printed".into()),
            Err(e) => Err(e.to_string()),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The runner: fixed seed, fixed case count, a printed count.

const DEFAULT_SEED: u64 = 0x00c0_ffee_5eed;

fn cases(default: u32) -> u32 {
    std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Run `test` on `cases` inputs of `strategy`; a failing input is shrunk and reported.
fn fuzz<S: Strategy>(target: &str, default_cases: u32, strategy: S, test: impl Fn(S::Value))
where
    S::Value: std::fmt::Debug,
{
    let seed = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_SEED);
    let mut seed_bytes = [0u8; 32];
    seed_bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let config = Config {
        cases: cases(default_cases),
        failure_persistence: None,
        // Inputs are rejected inside the test (not by filters), so this never binds.
        max_global_rejects: 1 << 20,
        ..Config::default()
    };
    let ran = AtomicUsize::new(0);
    let mut runner = TestRunner::new_with_rng(
        config,
        TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes),
    );
    let result = runner.run(&strategy, |input| {
        ran.fetch_add(1, Ordering::Relaxed);
        test(input);
        Ok(())
    });
    // Written to the real stderr (not through the test harness's capture), so the count shows
    // in every `cargo test` log.
    let _ = writeln!(
        std::io::stderr(),
        "fuzz_inputs: {target}: {} cases run (seed {seed})",
        ran.load(Ordering::Relaxed)
    );
    match result {
        Ok(()) => {}
        Err(TestError::Fail(why, input)) => {
            panic!("{target} failed on {input:?}: {why}")
        }
        Err(TestError::Abort(why)) => panic!("{target} aborted: {why}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Valid inputs to mutate.

fn bench_metrics(median: f64) -> Value {
    json!({ "median_ns": median, "mean_ns": median * 1.01, "min_ns": median * 0.9,
            "p50_ns": median, "p90_ns": median * 1.1, "p95_ns": median * 1.2,
            "p99_ns": median * 1.5, "p999_ns": median * 2.0, "max_ns": median * 3.0,
            "std_dev_ns": median * 0.02, "mad_ns": median * 0.01,
            "throughput_per_sec": 1e9 / median, "allocs_per_iter": 1.0,
            "alloc_bytes_per_iter": 64.0, "rss_growth_bytes": 4096 })
}

fn load_metrics(p99: f64) -> Value {
    json!({ "median_ns": p99 / 3.0, "mean_ns": p99 / 2.5, "min_ns": 1000.0, "p50_ns": p99 / 3.0,
            "p90_ns": p99 / 1.5, "p95_ns": p99 / 1.2, "p99_ns": p99, "p999_ns": p99 * 2.0,
            "max_ns": p99 * 4.0, "throughput_per_sec": 5000.0, "success_rate": 99.5,
            "rss_growth_bytes": -8192 })
}

fn load_details() -> Value {
    json!({
        "model": "open", "rate_per_sec": 1000.0, "max_in_flight": 64,
        "duration_ns": 2_000_000_000u64, "operations": 2000, "failures": 10,
        "errors": [ { "message": "timeout", "count": 10 } ],
        "dropped": 1, "late": 3, "unfinished": 0,
        "scheduler_lag_p50_ns": 150.0, "scheduler_lag_p99_ns": 90000.0,
        "scheduler_lag_max_ns": 200000.0,
        "stages": [ { "name": "steady", "start_ns": 0, "duration_ns": 2_000_000_000u64,
                      "from": 1000.0, "to": 1000.0, "operations": 2000, "failures": 10,
                      "throughput_per_sec": 1000.0, "p50_ns": 30000.0, "p99_ns": 90000.0,
                      "max_ns": 400000.0, "mean_ns": 35000.0 } ],
        "timeline_bucket_ns": 100_000_000u64,
        "timeline": [ { "start_ns": 0, "operations": 100, "failures": 0,
                        "throughput_per_sec": 1000.0, "p99_ns": 80000.0 } ],
        "resources": [ { "at_ns": 0, "cpu_percent": 50.0, "rss_bytes": 4_000_000u64 } ],
        "valid": true,
        "histogram_ns": [[30000, 1500], [90000, 490], [400000, 10]],
        "capacity": { "p99_limit_ns": 2e7, "min_success_rate": 99.9, "capacity_per_sec": 1000.0,
                      "steps": [ { "rate_per_sec": 1000.0, "achieved_per_sec": 998.0,
                                   "p99_ns": 90000.0, "success_rate": 99.5, "passed": true } ] }
    })
}

fn memory_details() -> Value {
    json!({ "rss_before_bytes": 1_000_000u64, "rss_after_bytes": 1_004_096u64,
            "rss_peak_bytes": 1_100_000u64,
            "allocations": { "allocs": 10, "deallocs": 9, "reallocs": 1,
                             "bytes_allocated": 640, "bytes_deallocated": 576 },
            "peak_live_bytes": 128, "samples": 12,
            "leak": { "bytes_per_iter": 8.0, "bytes_per_sec": 800.0, "growth_bytes": 70000,
                      "confidence": 0.95 } })
}

fn seed_record() -> Value {
    let bench = |name: &str, median: f64| {
        json!({
            "id": format!("demo/perf/{name}"), "package": "demo", "target": "perf",
            "name": name, "kind": "bench", "status": "passed", "error": null,
            "metrics": bench_metrics(median), "median_ci_ns": [median * 0.99, median * 1.01],
            "thresholds": [ { "metric": "median_ns", "op": "<", "limit": 1e6,
                              "actual": median, "passed": true } ],
            "comparison": null,
            "processes": [bench_metrics(median), bench_metrics(median * 1.01),
                          bench_metrics(median * 0.99)],
            "custom": [ { "name": "ratio", "value": 1.5, "direction": "higher_is_better" } ],
            "tags": ["slow"], "wall_ns": 3_000_000_000u64,
            "throughput_unit": { "bytes": 1024 },
            "memory": memory_details()
        })
    };
    json!({
        "schema_version": 1, "tool_version": "0.1.0",
        "commit": "0123456789abcdef0123456789abcdef01234567", "dirty": false,
        "branch": "main",
        "machine": { "id": "box", "cpu": "cpu", "cores": 2, "os": "linux", "arch": "x86_64" },
        "rustc": "rustc 1.95.0", "profile": "bench",
        "time": "2026-01-01T00:00:00Z", "unix_time": 1_767_225_600u64,
        "noise": { "demo/perf/sum": 0.1 },
        "tests": [
            bench("sum", 120.0),
            bench("sort/100", 2500.0),
            {
                "id": "demo/perf/cache_get", "package": "demo", "target": "perf",
                "name": "cache_get", "kind": "load", "status": "failed", "error": null,
                "metrics": load_metrics(90000.0),
                "thresholds": [ { "metric": "p99_ns", "op": "<", "limit": 20000.0,
                                  "actual": 90000.0, "passed": false } ],
                "comparison": { "baseline_commit": null, "metric": "p99_ns", "baseline": null,
                                "current": 90000.0, "change": null, "ci": null,
                                "verdict": "new", "could_detect": 0.03,
                                "rounds": { "pairs": [[1.0, 1.1], [1.0, 0.9]],
                                            "confirm_pairs": [[1.0, 1.0]], "p_value": 0.5,
                                            "adjusted_p": 1.0, "threshold": 0.02 } },
                "processes": [load_metrics(90000.0), load_metrics(95000.0)],
                "wall_ns": 4_000_000_000u64,
                "load": load_details(),
                "memory": memory_details()
            },
            {
                "id": "demo/perf/broken", "package": "demo", "target": "perf",
                "name": "broken", "kind": "bench", "status": "error",
                "error": "panicked: boom", "metrics": {}, "thresholds": [], "comparison": null
            }
        ]
    })
}

fn seed_run_envelope() -> Value {
    json!({
        "protocol": 1, "library_version": "0.1.0",
        "body": { "type": "run", "name": "sum", "kind": "bench",
                  "outcome": { "status": "passed" },
                  "measurement": {
                      "metrics": bench_metrics(120.0),
                      "bench": { "iterations": 1_000_000, "samples": 100, "batch": 10_000,
                                 "timer_overhead_ns": 20.0, "median_ci_ns": [119.0, 121.0],
                                 "outliers": { "low_severe": 0, "low_mild": 1, "high_mild": 2,
                                               "high_severe": 3 },
                                 "histogram_ps": [[119000, 40], [120000, 50], [125000, 10]],
                                 "throughput": { "elements": 1000 } },
                      "load": load_details(),
                      "memory": memory_details(),
                      "custom": [ { "name": "x", "value": 1.0, "direction": "lower_is_better" } ]
                  },
                  "wall_ns": 800_000_000u64 }
    })
}

fn seed_list_envelope() -> Value {
    json!({
        "protocol": 1, "library_version": "0.1.0",
        "body": { "type": "list", "tests": [ {
            "name": "cache_get", "kind": "load", "tags": ["slow"], "ignored": false,
            "file": "benches/perf.rs", "line": 12,
            "thresholds": [ { "key": "p99", "op": "<", "value": 2e7 } ],
            "threshold_error": null, "timeout_ns": 30_000_000_000u64, "noise": 0.05 } ] }
    })
}

fn seed_failed_envelope() -> Value {
    json!({ "protocol": 1, "library_version": "0.1.0",
            "body": { "type": "run", "name": "t", "kind": "load",
                      "outcome": { "status": "timed_out", "after_ns": 5 },
                      "measurement": null, "wall_ns": 5 } })
}

fn seed_request() -> Value {
    json!({ "protocol": 1, "tool_version": "0.1.0", "out": "/tmp/out.json",
            "action": { "type": "run", "test": "sum",
                        "settings": { "mode": "measure", "warmup_ns": 1, "measure_ns": 2,
                                      "process_index": 0, "processes": 5 } } })
}

// ---------------------------------------------------------------------------------------------
// Mutations of a valid JSON document.

/// What to do to a valid document.
#[derive(Debug, Clone)]
enum Mutation {
    /// XOR these bytes at these positions (positions taken modulo the length).
    FlipBytes(Vec<(usize, u8)>),
    /// Keep only the first `n` bytes (modulo the length).
    Truncate(usize),
    /// Insert bytes at a position.
    Insert(usize, Vec<u8>),
    /// Remove the `n`th field (in document order) of any object.
    DeleteField(usize),
    /// Replace the `n`th value (any depth) with another.
    Replace(usize, Value),
    /// Several structured edits, then a serialisation.
    Many(Vec<Mutation>),
}

/// Values of every JSON type, and numbers at the edges of what the readers' types hold.
fn odd_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        Just(json!(0)),
        Just(json!(-1)),
        Just(json!(-1e300)),
        Just(json!(1e300)),
        Just(json!(f64::MIN_POSITIVE)),
        Just(json!(u64::MAX)),
        Just(json!(i64::MIN)),
        Just(json!(u32::MAX as u64 + 1)),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("JSON has no NaN or infinity", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        ".{0,12}".prop_map(Value::String),
        Just(json!("")),
        Just(json!([])),
        Just(json!({})),
        Just(json!([[0, 0]])),
        Just(json!([[u64::MAX, u64::MAX], [u64::MAX, u64::MAX]])),
        Just(json!([1.0])),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let single = prop_oneof![
        2 => any::<usize>().prop_map(Mutation::DeleteField),
        3 => (any::<usize>(), odd_value()).prop_map(|(i, v)| Mutation::Replace(i, v)),
    ];
    prop_oneof![
        2 => prop::collection::vec((any::<usize>(), 1..=255u8), 1..6).prop_map(Mutation::FlipBytes),
        1 => any::<usize>().prop_map(Mutation::Truncate),
        1 => (any::<usize>(), prop::collection::vec(any::<u8>(), 1..8))
            .prop_map(|(i, b)| Mutation::Insert(i, b)),
        2 => any::<usize>().prop_map(Mutation::DeleteField),
        4 => (any::<usize>(), odd_value()).prop_map(|(i, v)| Mutation::Replace(i, v)),
        2 => prop::collection::vec(single, 2..6).prop_map(Mutation::Many),
    ]
}

/// Visit every value (pre-order) with a callback that may edit it.
fn nth_value(doc: &mut Value, n: &mut usize, f: &mut dyn FnMut(&mut Value)) -> bool {
    if *n == 0 {
        f(doc);
        return true;
    }
    *n -= 1;
    match doc {
        Value::Array(items) => items.iter_mut().any(|v| nth_value(v, n, f)),
        Value::Object(map) => map.values_mut().any(|v| nth_value(v, n, f)),
        _ => false,
    }
}

fn count_values(doc: &Value) -> usize {
    1 + match doc {
        Value::Array(items) => items.iter().map(count_values).sum(),
        Value::Object(map) => map.values().map(count_values).sum(),
        _ => 0,
    }
}

fn count_fields(doc: &Value) -> usize {
    match doc {
        Value::Array(items) => items.iter().map(count_fields).sum(),
        Value::Object(map) => map.len() + map.values().map(count_fields).sum::<usize>(),
        _ => 0,
    }
}

fn delete_nth_field(doc: &mut Value, n: &mut usize) -> bool {
    match doc {
        Value::Array(items) => items.iter_mut().any(|v| delete_nth_field(v, n)),
        Value::Object(map) => {
            if *n < map.len() {
                let key = map.keys().nth(*n).cloned().expect("n < len");
                map.remove(&key);
                return true;
            }
            *n -= map.len();
            map.values_mut().any(|v| delete_nth_field(v, n))
        }
        _ => false,
    }
}

fn edit(doc: &mut Value, m: &Mutation) {
    match m {
        Mutation::DeleteField(i) => {
            let fields = count_fields(doc);
            if fields > 0 {
                delete_nth_field(doc, &mut (i % fields));
            }
        }
        Mutation::Replace(i, v) => {
            let mut n = i % count_values(doc);
            nth_value(doc, &mut n, &mut |slot| *slot = v.clone());
        }
        Mutation::Many(all) => all.iter().for_each(|m| edit(doc, m)),
        _ => {}
    }
}

fn apply(seed: &Value, m: &Mutation) -> Vec<u8> {
    let bytes = serde_json::to_vec_pretty(seed).expect("serialise seed");
    match m {
        Mutation::FlipBytes(flips) => {
            let mut b = bytes;
            for &(at, x) in flips {
                let len = b.len();
                b[at % len] ^= x;
            }
            b
        }
        Mutation::Truncate(n) => bytes[..n % bytes.len()].to_vec(),
        Mutation::Insert(at, extra) => {
            let mut b = bytes;
            let at = at % (b.len() + 1);
            b.splice(at..at, extra.iter().copied());
            b
        }
        structured => {
            let mut doc = seed.clone();
            edit(&mut doc, structured);
            serde_json::to_vec(&doc).expect("serialise mutated document")
        }
    }
}

/// Arbitrary bytes, biased towards JSON-looking ones.
fn arbitrary_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..256),
        "[\\[\\]{}\":,0-9a-z .eE+-]{0,120}".prop_map(String::into_bytes),
    ]
}

// ---------------------------------------------------------------------------------------------
// The store reader.

fn check_record_bytes(dir: &std::path::Path, bytes: &[u8], seed: &entry::Record) {
    let path = dir.join("record.json");
    std::fs::write(&path, bytes).expect("write the fuzzed record");
    if let Ok(record) = entry::read_record_file(&path) {
        // A record that reads is compared, both ways, with the valid one.
        entry::compare_records(seed, &record);
        entry::compare_records(&record, seed);
    }
}

#[test]
fn store_reader_survives_mutated_records() {
    let dir = tempfile::tempdir().expect("temp dir");
    let seed = seed_record();
    let seed_path = dir.path().join("seed.json");
    std::fs::write(&seed_path, seed.to_string()).expect("write seed");
    let valid = entry::read_record_file(&seed_path).expect("the seed record is valid");
    assert_eq!(valid.tests.len(), 4);
    assert_eq!(
        entry::compare_records(&valid, &valid),
        3,
        "every measured test compares"
    );
    fuzz("store reader, mutated records", 600, mutation(), |m| {
        check_record_bytes(dir.path(), &apply(&seed, &m), &valid)
    });
}

#[test]
fn store_reader_survives_arbitrary_bytes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let seed = seed_record();
    let seed_path = dir.path().join("seed.json");
    std::fs::write(&seed_path, seed.to_string()).expect("write seed");
    let valid = entry::read_record_file(&seed_path).expect("the seed record is valid");
    fuzz(
        "store reader, arbitrary bytes",
        600,
        arbitrary_bytes(),
        |bytes| {
            check_record_bytes(dir.path(), &bytes, &valid);
        },
    );
}

#[test]
fn store_listing_skips_damaged_records() {
    let store = tempfile::tempdir().expect("temp dir");
    let machine = store.path().join("box");
    std::fs::create_dir_all(&machine).expect("machine dir");
    let seed = seed_record();
    fuzz("store listing, mutated records", 200, mutation(), |m| {
        let path = machine.join("0123456789abcdef0123456789abcdef01234567.json");
        std::fs::write(&path, apply(&seed, &m)).expect("write");
        assert_eq!(
            entry::list_store(store.path()),
            1,
            "read or reported as damaged"
        );
    });
}

// ---------------------------------------------------------------------------------------------
// The protocol reader.

#[test]
fn protocol_reader_survives_mutated_files() {
    let seeds = [
        seed_run_envelope(),
        seed_list_envelope(),
        seed_failed_envelope(),
    ];
    for s in &seeds {
        assert!(
            entry::read_envelope(s.to_string().as_bytes()),
            "seed {s} is valid"
        );
    }
    assert!(entry::read_request(seed_request().to_string().as_bytes()));
    let strategy = (0..seeds.len(), mutation());
    fuzz(
        "protocol reader, mutated responses",
        1500,
        strategy,
        |(i, m)| {
            entry::read_envelope(&apply(&seeds[i], &m));
        },
    );
    let request = seed_request();
    fuzz("protocol reader, mutated requests", 500, mutation(), |m| {
        entry::read_request(&apply(&request, &m));
    });
}

#[test]
fn protocol_reader_survives_arbitrary_bytes() {
    fuzz(
        "protocol reader, arbitrary bytes",
        1000,
        arbitrary_bytes(),
        |bytes| {
            entry::read_envelope(&bytes);
            entry::read_request(&bytes);
        },
    );
}

// ---------------------------------------------------------------------------------------------
// Unit parsers: the runtime's, the macro's and the CLI's.

/// Text that looks like a limit: numbers with units, signs, separators, spaces, exponents,
/// long digit runs, and arbitrary text.
fn limit_text() -> impl Strategy<Value = String> {
    let number = prop_oneof![
        "[0-9]{1,4}",
        "[0-9]{0,3}\\.[0-9]{0,3}",
        "[0-9_]{1,6}",
        "[0-9]{300,330}",
        "[-+]?[0-9]{1,3}(e[-+]?[0-9]{1,3})?",
        Just(String::new()),
        Just("NaN".to_string()),
        Just("inf".to_string()),
    ];
    let unit = prop_oneof![
        Just(""),
        Just("ns"),
        Just("us"),
        Just("µs"),
        Just("ms"),
        Just("s"),
        Just("min"),
        Just("B"),
        Just("KB"),
        Just("kB"),
        Just("MB"),
        Just("GB"),
        Just("KiB"),
        Just("MiB"),
        Just("GiB"),
        Just("%"),
        Just("%%"),
        Just(" ms"),
        Just("mb"),
        Just("m"),
        Just("h"),
    ];
    prop_oneof![
        4 => ("[ \t]{0,1}", number, unit, "[ \t]{0,1}")
            .prop_map(|(a, n, u, b)| format!("{a}{n}{u}{b}")),
        1 => ".{0,16}",
        1 => any::<Vec<char>>().prop_map(|c| c.into_iter().take(12).collect()),
    ]
}

/// A parsed limit is a finite, non-negative number.
fn sane(what: &str, text: &str, parsed: &Result<f64, String>) {
    if let Ok(v) = parsed {
        assert!(
            v.is_finite() && *v >= 0.0,
            "{what}({text:?}) accepted {v}: a limit must be finite and non-negative"
        );
    }
}

#[test]
fn unit_parsers_never_panic_and_agree() {
    fuzz("unit parsers", 1500, limit_text(), |text| {
        let trimmed = text.trim();
        for unit in ["duration", "bytes", "percent", "number"] {
            let parsed = entry::runtime_value(unit, &text);
            sane(unit, &text, &parsed);
            if unit == "percent" {
                if let Ok(p) = parsed {
                    assert!(p <= 100.0, "percent({text:?}) = {p}");
                }
            }
        }
        let rt_d = entry::runtime_duration_ns(trimmed);
        let rt_b = entry::runtime_bytes(trimmed);
        let mac_d = entry::macro_units::duration_ns(&text);
        let mac_b = entry::macro_units::bytes(&text);
        let mac_p = entry::macro_units::percent_string(&text);
        let mac_n = entry::macro_units::number(&text);
        for (what, r) in [
            ("runtime duration", &rt_d),
            ("runtime bytes", &rt_b),
            ("macro duration", &mac_d),
            ("macro bytes", &mac_b),
            ("macro percent", &mac_p),
            ("macro number", &mac_n),
        ] {
            sane(what, &text, r);
        }
        // The attribute and the `PERF_*` override accept the same spellings, to the same value.
        assert_eq!(
            rt_d.as_ref().ok(),
            mac_d.as_ref().ok(),
            "durations differ on {text:?}"
        );
        assert_eq!(
            rt_b.as_ref().ok(),
            mac_b.as_ref().ok(),
            "sizes differ on {text:?}"
        );
        if trimmed.ends_with('%') {
            let rt_p = entry::runtime_value("percent", &text);
            assert_eq!(rt_p.ok(), mac_p.ok(), "percentages differ on {text:?}");
        }
        // `--threshold`: a fraction, finite and non-negative, or a usage error.
        let cli = entry::cli_threshold(&text);
        sane("--threshold", &text, &cli);
        // `ab --budget`: a duration or a usage error.
        let _ = entry::cli_budget(&text);
    });
}

#[test]
fn env_overrides_never_panic() {
    let keys = [
        "P50",
        "P90",
        "P95",
        "P99",
        "P999",
        "MEAN",
        "MAX",
        "THROUGHPUT",
        "SUCCESS_RATE",
        "ALLOCS",
        "ALLOC_BYTES",
        "RSS_GROWTH",
    ];
    let strategy = (
        prop::collection::vec((0..keys.len(), limit_text()), 0..4),
        "[a-z_/0-9]{1,10}",
    );
    fuzz("PERF_* overrides", 1000, strategy, |(vars, test)| {
        let vars: Vec<(String, String)> = vars
            .into_iter()
            .map(|(k, v)| (cargo_perf::__internals::env_var_name(&test, keys[k]), v))
            .collect();
        if let Ok(limits) = entry::env_overrides(&test, &vars) {
            for t in limits {
                assert!(t.value.is_finite() && t.value >= 0.0, "{t:?} from {vars:?}");
            }
        }
    });
}

/// Argument vectors: real subcommands and flags with odd values, and arbitrary words.
fn cli_args() -> impl Strategy<Value = Vec<String>> {
    let word = prop_oneof![
        Just("perf"),
        Just("run"),
        Just("ab"),
        Just("compare"),
        Just("history"),
        Just("baseline"),
        Just("list"),
        Just("show"),
        Just("rm"),
        Just("--threshold"),
        Just("--fail-on"),
        Just("--format"),
        Just("--processes"),
        Just("--budget"),
        Just("-n"),
        Just("-p"),
        Just("--baseline"),
        Just("--machine"),
        Just("--quick"),
        Just("--save"),
        Just("--no-save"),
        Just("--"),
        Just("-o"),
        Just("--max-rounds"),
        Just("json"),
        Just("never"),
        Just("regression,error"),
        Just("5%"),
        Just("0"),
        Just("-1"),
        Just("1e999"),
        Just("10m"),
    ]
    .prop_map(String::from);
    let any_word = prop_oneof![3 => word, 1 => limit_text()];
    prop::collection::vec(any_word, 0..7).prop_map(|mut v| {
        // `--help` and `--version` print and succeed; they are not what is fuzzed here.
        v.retain(|w| !w.starts_with("--h") && !w.starts_with("--v") && w != "-h" && w != "-V");
        v
    })
}

#[test]
fn cli_arguments_never_panic() {
    fuzz("CLI arguments", 800, cli_args(), |args| {
        if let Err(message) = entry::parse_cli(&args) {
            assert!(
                message.contains("error"),
                "a usage error says what is wrong: {message:?} for {args:?}"
            );
        }
    });
}

// ---------------------------------------------------------------------------------------------
// Inputs the fuzzing found, kept as regression tests.

/// Merging two processes whose response files claim `u64::MAX` iterations overflowed the sum
/// (a panic in debug builds, a wrapped count in release).
#[test]
fn regression_huge_counts_in_a_response_merge_without_overflow() {
    for field in ["iterations", "samples"] {
        let mut envelope = seed_run_envelope();
        envelope["body"]["measurement"]["bench"][field] = json!(u64::MAX);
        assert!(
            entry::read_envelope(envelope.to_string().as_bytes()),
            "{field}"
        );
    }
    let mut envelope = seed_run_envelope();
    envelope["body"]["measurement"]["bench"]["outliers"]["high_mild"] = json!(u64::MAX);
    assert!(entry::read_envelope(envelope.to_string().as_bytes()));
}

/// A 300-digit duration or size was accepted as an infinite limit, which serialises as `null`
/// and made the harness's list response unreadable; it is rejected as too large now.
#[test]
fn regression_limits_too_large_for_a_float_are_rejected() {
    let digits = format!("2{}", "0".repeat(300));
    for text in [format!("{digits}s"), format!("{digits}GiB")] {
        let unit = if text.ends_with('s') {
            "duration"
        } else {
            "bytes"
        };
        let err = entry::runtime_value(unit, &text).unwrap_err();
        assert!(err.contains("too large"), "{err}");
        let err = if unit == "duration" {
            entry::macro_units::duration_ns(&text)
        } else {
            entry::macro_units::bytes(&text)
        }
        .unwrap_err();
        assert!(err.contains("too large"), "{err}");
    }
    assert_eq!(entry::runtime_value("duration", "2s"), Ok(2e9));
}

/// `cargo perf ab --budget` with a number of minutes or hours too large for a `Duration`
/// panicked in `Duration::from_secs_f64` (cargo-perf then reported an internal error).
#[test]
fn regression_a_budget_too_large_is_a_usage_error() {
    let digits = format!("1{}", "0".repeat(300));
    for text in [format!("{digits}m"), format!("{digits}h")] {
        let err = entry::cli_budget(&text).unwrap_err();
        assert!(
            err.contains("too large") || err.contains("too long"),
            "{text}: {err}"
        );
    }
    // Finite as a number of seconds, too long for a `Duration`.
    let err = entry::cli_budget(&format!("1{}h", "0".repeat(30))).unwrap_err();
    assert!(err.contains("too long a duration"), "{err}");
    assert_eq!(
        entry::cli_budget("90s"),
        Ok(std::time::Duration::from_secs(90))
    );
    assert_eq!(
        entry::cli_budget("2m"),
        Ok(std::time::Duration::from_secs(120))
    );
}
