//! Several reports from one run (`--emit FORMAT=PATH`), on the store fixture in a real git
//! repository: a commit that makes one test three times slower is run once, and every
//! emitted file is read back by its consumer's rules (JSON schema, an RFC 4180 reader,
//! Bencher Metric Format, github-action-benchmark's input, JUnit, the PR comment).

mod common;

use std::fs;
use std::path::Path;

use serde_json::Value;

use common::{commit_all, git};

/// `cargo perf` on a copy of the store fixture, all copies building into one target directory.
fn cargo_perf(dir: &Path, args: &[&str]) -> std::process::Output {
    common::cargo_perf_at(dir, args, &common::own_target_dir("e2e-store-fixture"))
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

const SLOWED: &str = "store-fixture/perf/steady_c";

#[test]
fn one_run_emits_every_format_and_each_reads_back() {
    let repo = tempfile::tempdir().unwrap();
    let dir = repo.path();
    common::copy_fixture("store", dir);
    git(dir, &["init", "-q", "-b", "main"]);
    commit_all(dir, "fixture");
    let quick = ["--quick", "--processes", "3"];
    let first = cargo_perf(dir, &quick);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));

    // steady_c does three times the work: +200 %, 40x the 5 % threshold.
    let source = fs::read_to_string(dir.join("benches/perf.rs")).unwrap();
    let slower = source.replace("const WORK_C: u64 = 20_000;", "const WORK_C: u64 = 60_000;");
    assert_ne!(source, slower, "the fixture still has WORK_C");
    fs::write(dir.join("benches/perf.rs"), slower).unwrap();
    commit_all(dir, "steady_c does three times the work");

    let emits = [
        "json=out/report.json",
        "csv=out/report.csv",
        "bmf=out/bmf.json",
        "github-benchmark=out/github.json",
        "markdown=out/comment.md",
        "junit=out/junit.xml",
    ];
    let mut args: Vec<&str> = quick.to_vec();
    args.extend(["--fail-on", "never", "--format", "json", "-o", "main.json"]);
    for e in emits {
        args.extend(["--emit", e]);
    }
    let run = cargo_perf(dir, &args);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let read =
        |name: &str| fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));

    // JSON: the same report as `--format json -o`, valid against the documented schema,
    // with the slowed test's severity, and when and how long.
    let json: Value = serde_json::from_str(&read("out/report.json")).unwrap();
    let main: Value = serde_json::from_str(&read("main.json")).unwrap();
    assert_eq!(json["tests"], main["tests"], "--emit json is --format json");
    common::schema::assert_valid("report.schema.json", &json, "the emitted JSON report");
    assert!(json["started_at"]
        .as_str()
        .is_some_and(|t| t.ends_with('Z')));
    assert!(json["duration_ns"].as_u64().is_some_and(|ns| ns > 0));
    let tests = json["tests"].as_array().unwrap();
    let slowed = tests.iter().find(|t| t["id"] == SLOWED).expect("steady_c");
    let c = &slowed["comparison"];
    assert_eq!(c["verdict"], "regressed", "{c:#}");
    assert_eq!(c["severity"], "critical", "{c:#}");
    assert!(
        c["change"].as_f64().is_some_and(|x| x > 1.0),
        "about +200 %: {c:#}"
    );
    assert!(
        c["metrics"].as_array().is_some_and(|m| !m.is_empty()),
        "{c:#}"
    );

    // CSV: one record per test and metric, as wide as the header, the slowed median
    // regressed and critical.
    let csv = read("out/report.csv");
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no {name} column: {header:?}"))
    };
    let records: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    let measured: usize = tests
        .iter()
        .map(|t| t["metrics"].as_object().map_or(0, |m| m.len()))
        .sum();
    assert_eq!(
        records.len(),
        measured,
        "one row per test and metric:\n{csv}"
    );
    let median = records
        .iter()
        .find(|r| &r[col("id")] == SLOWED && &r[col("metric")] == "median_ns")
        .unwrap_or_else(|| panic!("no median row of steady_c:\n{csv}"));
    assert_eq!(&median[col("unit")], "ns");
    assert_eq!(&median[col("verdict")], "regressed");
    assert_eq!(&median[col("severity")], "critical");
    let base: f64 = median[col("base")].parse().unwrap();
    let head: f64 = median[col("head")].parse().unwrap();
    assert!(head / base > 2.0, "three times the work: {base} -> {head}");
    let (lo, hi): (f64, f64) = (
        median[col("ci_low")].parse().unwrap(),
        median[col("ci_high")].parse().unwrap(),
    );
    assert!(
        lo <= hi && lo > 0.5,
        "the interval is of a large slowdown: [{lo}, {hi}]"
    );
    assert_eq!(
        &median[col("started_at")],
        json["started_at"].as_str().unwrap()
    );

    // Bencher Metric Format: {test: {measure: {value, lower_value?, upper_value?}}}, every
    // test there with its median as `latency`.
    let bmf: Value = serde_json::from_str(&read("out/bmf.json")).unwrap();
    let benchmarks = bmf.as_object().expect("a BMF document is an object");
    assert_eq!(benchmarks.len(), tests.len(), "{bmf:#}");
    for (name, measures) in benchmarks {
        for (measure, figure) in measures.as_object().expect("measures") {
            let value = figure["value"].as_f64().expect("every measure has a value");
            if let (Some(lo), Some(hi)) = (
                figure["lower_value"].as_f64(),
                figure["upper_value"].as_f64(),
            ) {
                assert!(lo <= value && value <= hi, "{name} {measure}: {figure}");
            }
            for key in figure.as_object().unwrap().keys() {
                assert!(
                    ["value", "lower_value", "upper_value"].contains(&key.as_str()),
                    "BMF has no {key}"
                );
            }
        }
    }
    let latency = &bmf[SLOWED]["latency"];
    let json_median = slowed["metrics"]["median_ns"].as_f64().unwrap();
    assert_eq!(latency["value"].as_f64(), Some(json_median), "{latency}");

    // github-action-benchmark: [{name, unit, value, range?, extra?}], smaller is better.
    let gh: Value = serde_json::from_str(&read("out/github.json")).unwrap();
    let entries = gh.as_array().expect("an array");
    assert!(!entries.is_empty());
    for e in entries {
        assert!(
            e["name"].is_string() && e["unit"].is_string() && e["value"].is_number(),
            "{e}"
        );
    }
    let entry = entries
        .iter()
        .find(|e| e["name"] == format!("{SLOWED} (median_ns)"))
        .expect("steady_c's median");
    assert!(entry["extra"]
        .as_str()
        .unwrap()
        .contains("severity: critical"));

    // The PR comment puts the slowed test first with its severity; JUnit fails it.
    let md = read("out/comment.md");
    let first_row = md
        .lines()
        .find(|l| l.starts_with("| `"))
        .unwrap_or_else(|| panic!("no table:\n{md}"));
    assert!(
        first_row.contains(SLOWED) && first_row.contains("critical"),
        "{md}"
    );
    let junit = read("out/junit.xml");
    assert!(
        junit.contains("<failure type=\"regression\"") && junit.contains("critical)"),
        "{junit}"
    );
    // Written atomically: no temporary file is left beside the reports.
    let leftovers: Vec<String> = fs::read_dir(dir.join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// A malformed `--emit` stops `run`, `compare` and `ab` before anything is built or read,
/// with exit 2 and a help line.
#[test]
fn a_bad_emit_is_exit_2_before_anything_runs() {
    let repo = tempfile::tempdir().unwrap();
    let dir = repo.path();
    common::copy_fixture("store", dir);
    git(dir, &["init", "-q", "-b", "main"]);
    commit_all(dir, "fixture");
    for command in [&["run"][..], &["compare"][..], &["ab", "main"][..]] {
        for (emit, help) in [
            ("jsn=report.json", "did you mean `json`?"),
            ("json=", "json=perf-report.json"),
            ("report.json", "FORMAT=PATH"),
        ] {
            let mut args = command.to_vec();
            args.extend(["--emit", emit]);
            let out = cargo_perf(dir, &args);
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
            assert!(err.contains("error: ") && err.contains("help: "), "{err}");
            assert!(err.contains(help), "{args:?}: {err}");
            assert!(!err.contains("Compiling"), "nothing was built: {err}");
        }
    }
    assert!(
        !dir.join(".perf").exists(),
        "nothing ran, nothing was stored"
    );
    assert!(!dir.join("report.json").exists());
}
