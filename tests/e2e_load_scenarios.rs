//! End to end on `fixtures/load`: a weighted mix of named operations with named stages, a
//! fault window, limits per operation, stage and fault, a custom ratio and a named check,
//! through the built `cargo perf`; `--load-scale`; malformed load parameters exit 2.

mod common;

use common::{fixture, test_named};

fn json(args: &[&str], env: &[(&str, &str)]) -> common::Run {
    let mut all = vec!["--processes", "1", "--no-save", "--format", "json"];
    all.extend_from_slice(args);
    fixture("load").cargo_perf_env(&all, env)
}

fn f(v: &serde_json::Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[test]
fn a_mix_reports_operations_stages_faults_and_checks() {
    let run = json(&["--exact", "mixed_read_write"], &[]);
    assert_eq!(run.code, 0, "{}", run.dump());
    let report = run.json();
    let t = test_named(&report, "mixed_read_write");
    assert_eq!(t["status"], "passed", "{t:#}");
    let load = &t["load"];
    let ops = load["by_operation"]
        .as_array()
        .expect("per-operation figures");
    let names: Vec<&str> = ops.iter().map(|o| o["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["read", "write"]);
    let (reads, writes) = (f(&ops[0]["operations"]), f(&ops[1]["operations"]));
    let share = reads / (reads + writes) * 100.0;
    assert!(
        (share - 80.0).abs() < 1.6,
        "weights held within 2 %: {share}"
    );
    assert!(
        f(&ops[0]["p50_ns"]) < f(&ops[1]["p50_ns"]),
        "a ping is faster than a 3 ms write: {ops:#?}"
    );
    assert!(
        ops[0]["errors"][0]["message"] == "store down",
        "{:#}",
        ops[0]
    );
    let stages: Vec<&str> = load["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(stages, ["warm", "hold"]);
    assert_eq!(
        load["stages"][1]["by_operation"].as_array().unwrap().len(),
        2
    );
    let fault = &load["faults"][0];
    assert_eq!(fault["name"], "outage");
    assert!(
        fault["on_at_ns"].as_u64().unwrap() >= 800_000_000,
        "{fault:#}"
    );
    assert!(
        fault["off_at_ns"].as_u64().unwrap() >= 1_100_000_000,
        "{fault:#}"
    );
    assert!(fault["recovery_time_ns"].as_u64().is_some(), "{fault:#}");
    let checks: Vec<(&str, bool)> = t["thresholds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["metric"].as_str().unwrap(),
                c["passed"].as_bool().unwrap(),
            )
        })
        .collect();
    for want in [
        "p99_ns[read]",
        "p99_ns[write]",
        "success_rate[stage=warm]",
        "recovery_time_ns[outage]",
        "metric[hit_rate]",
        "cpu_percent",
        "peak_rss_bytes",
        "check[reads faster than writes]",
    ] {
        assert!(checks.contains(&(want, true)), "{want} in {checks:?}");
    }
    let custom: Vec<&str> = t["custom"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    for want in ["hit_rate", "writes", "cpu_percent"] {
        assert!(custom.contains(&want), "{want} in {custom:?}");
    }
    let hit = t["custom"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "hit_rate")
        .unwrap();
    assert!((f(&hit["value"]) - 75.0).abs() < 1.0, "{hit}");
}

#[test]
fn load_scale_shortens_the_plan_and_bad_parameters_exit_2() {
    let run = json(&["--exact", "mixed_read_write", "--load-scale", "0.5"], &[]);
    let report = run.json();
    let t = test_named(&report, "mixed_read_write");
    let stages = t["load"]["stages"].as_array().unwrap();
    let planned: f64 = [400e6, 1600e6].iter().sum::<f64>() * 0.5;
    let total: f64 = stages.iter().map(|s| f(&s["duration_ns"])).sum();
    assert!(
        (total - planned).abs() < 0.05 * planned,
        "{total} vs {planned}"
    );
    assert_eq!(t["load"]["faults"][0]["start_ns"], 400_000_000u64);

    let bad = json(
        &["--exact", "mixed_read_write", "--load-scale", "zero"],
        &[],
    );
    assert_eq!(bad.code, 2, "{}", bad.dump());
    let bad = json(
        &["--exact", "mixed_read_write"],
        &[("PERF_MIXED_READ_WRITE_CONCURRENCY", "lots")],
    );
    assert_eq!(bad.code, 2, "{}", bad.dump());
    assert!(
        bad.stderr.contains("PERF_MIXED_READ_WRITE_CONCURRENCY"),
        "{}",
        bad.dump()
    );
}

#[test]
fn an_unknown_operation_in_a_limit_names_the_known_ones() {
    let run = json(&["--exact", "mixed_unknown_operation"], &[]);
    assert_eq!(run.code, 1, "{}", run.dump());
    let report = run.json();
    let t = test_named(&report, "mixed_unknown_operation");
    assert_eq!(t["status"], "error");
    let e = t["error"].as_str().unwrap();
    assert!(
        e.contains("\"reed\"") && e.contains("operations: read, write"),
        "{e}"
    );
}
