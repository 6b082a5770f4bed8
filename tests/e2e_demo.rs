//! End to end on `fixtures/demo`: listing, the JSON report's structure, exit 0, filters and
//! tag selection, `--quick` skipping `slow`, and `-o FILE`.

mod common;

use common::{fixture, test_named, test_names};

/// Run the demo with the short budget and one process per test: these tests check behaviour,
/// not figures.
fn quick_json(args: &[&str]) -> common::Run {
    fixture("demo").quick_json(args, &[])
}

#[test]
fn list_shows_every_test_with_kind_and_tags() {
    let run = fixture("demo").cargo_perf(&["--list"]);
    assert_eq!(run.code, 0, "{}", run.dump());
    for line in [
        "demo/perf:",
        "tokenize_sentence: bench",
        "count_words/10: bench",
        "count_words/200: bench",
        "rank_top_words: bench",
        "tokenize_throughput: bench",
        "tokenize_with_limit: bench",
        "count_words_large: bench [slow]",
        "7 perf test(s)",
    ] {
        assert!(
            run.stdout.contains(line),
            "missing {line:?}\n{}",
            run.dump()
        );
    }
}

#[test]
fn json_report_has_every_contract_field() {
    let run = quick_json(&["tokenize_throughput", "tokenize_with_limit"]);
    assert_eq!(run.code, 0, "{}", run.dump());
    let report = run.json();
    assert_eq!(report["schema_version"], 1);
    assert!(report["tool_version"].is_string());
    assert!(report.get("commit").is_some() && report["dirty"].is_boolean());
    assert!(report["baseline"].get("commit").is_some());
    assert!(report["baseline"].get("ref").is_some());
    for key in ["id", "cpu", "os", "arch"] {
        assert!(report["machine"][key].is_string(), "machine.{key}");
    }
    assert!(report["machine"]["cores"].as_u64().unwrap() >= 1);
    for key in [
        "total",
        "passed",
        "failed",
        "regressed",
        "improved",
        "unchanged",
        "new",
    ] {
        assert!(report["summary"][key].is_u64(), "summary.{key}");
    }
    assert_eq!(report["summary"]["total"], 2);
    assert_eq!(report["summary"]["passed"], 2);
    assert_eq!(report["summary"]["failed"], 0);

    let t = test_named(&report, "tokenize_throughput");
    assert_eq!(t["id"], "demo/perf/tokenize_throughput");
    assert_eq!(t["package"], "demo");
    assert_eq!(t["target"], "perf");
    assert_eq!(t["kind"], "bench");
    assert_eq!(t["status"], "passed");
    assert!(t["error"].is_null());
    assert!(t.get("comparison").is_some());
    let m = &t["metrics"];
    for key in ["median_ns", "mean_ns", "min_ns", "max_ns"] {
        let v = m[key]
            .as_f64()
            .unwrap_or_else(|| panic!("metrics.{key} in {m}"));
        assert!(v > 0.0, "metrics.{key} = {v}");
    }
    assert!(m["min_ns"].as_f64() <= m["median_ns"].as_f64());
    assert!(m["median_ns"].as_f64() <= m["max_ns"].as_f64());
    // Load-test metrics do not apply to a micro-benchmark: absent, not zero.
    assert!(m.get("success_rate").is_none(), "{m}");

    let limited = test_named(&report, "tokenize_with_limit");
    let checks = limited["thresholds"].as_array().unwrap();
    assert_eq!(checks.len(), 1, "{limited}");
    assert_eq!(checks[0]["metric"], "mean_ns");
    assert_eq!(checks[0]["op"], "<");
    assert_eq!(checks[0]["limit"], 50_000_000.0);
    assert!(checks[0]["actual"].as_f64().unwrap() > 0.0);
    assert_eq!(checks[0]["passed"], true);
}

#[test]
fn default_run_of_a_healthy_suite_exits_0_with_a_table() {
    let run = fixture("demo").cargo_perf(&[
        "--quick",
        "--processes",
        "2",
        "--no-save",
        "tokenize_sentence",
    ]);
    assert_eq!(run.code, 0, "{}", run.dump());
    assert!(
        run.stdout.contains("demo/perf/tokenize_sentence"),
        "{}",
        run.dump()
    );
    assert!(run.stdout.contains("median"), "{}", run.dump());
    assert!(run.stdout.contains("1 passed; 0 failed"), "{}", run.dump());
}

#[test]
fn filters_skip_and_exact_select_like_libtest() {
    let report = quick_json(&["count_words"]).json();
    assert_eq!(
        test_names(&report),
        ["count_words/10", "count_words/200"],
        "substring filter (slow one skipped by --quick)"
    );
    let report = quick_json(&["--exact", "count_words/10"]).json();
    assert_eq!(test_names(&report), ["count_words/10"]);
    let report = quick_json(&["count_words", "--skip", "/200"]).json();
    assert_eq!(test_names(&report), ["count_words/10"]);
    // An empty selection is an error by default (tests/e2e_selection.rs); accepted here.
    let report = quick_json(&["--exact", "count_words", "--no-tests=pass"]).json();
    assert!(test_names(&report).is_empty(), "{report:#}");
}

#[test]
fn tags_select_and_exclude() {
    let run = fixture("demo").cargo_perf(&[
        "--processes",
        "1",
        "--no-save",
        "--format",
        "json",
        "--tag",
        "slow",
    ]);
    assert_eq!(run.code, 0, "{}", run.dump());
    assert_eq!(test_names(&run.json()), ["count_words_large"]);

    let report = quick_json(&["tokenize", "--exclude-tag", "slow"]).json();
    assert_eq!(
        test_names(&report),
        [
            "tokenize_sentence",
            "tokenize_throughput",
            "tokenize_with_limit"
        ]
    );
}

#[test]
fn quick_skips_slow_tests_and_says_so() {
    let run = quick_json(&["--tag", "slow", "--no-tests=warn"]);
    assert_eq!(run.code, 0, "{}", run.dump());
    let report = run.json();
    assert!(test_names(&report).is_empty(), "{report:#}");
    let notes = report["notes"].to_string();
    assert!(
        notes.contains("slow") && notes.contains("--quick"),
        "{notes}"
    );
}

#[test]
fn output_file_gets_the_json_and_the_terminal_the_summary() {
    let scratch = tempfile::tempdir().unwrap();
    let out = scratch.path().join("report-out.json");
    let run = fixture("demo").cargo_perf(&common::with_args(
        common::QUICK_JSON,
        &["-o", out.to_str().unwrap(), "--exact", "rank_top_words"],
    ));
    assert_eq!(run.code, 0, "{}", run.dump());
    assert!(
        run.stdout.contains("demo/perf/rank_top_words"),
        "{}",
        run.dump()
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(test_names(&report), ["rank_top_words"]);
}

#[test]
fn machine_flag_names_the_machine() {
    let report = quick_json(&["--machine", "e2e-box", "--exact", "tokenize_sentence"]).json();
    assert_eq!(report["machine"]["id"], "e2e-box");
}

/// `--quick`'s sequential rule: at least 3 processes, at most 6 (more only while the median's
/// interval is wider than ±1 % or the processes disagree).
#[test]
fn each_test_runs_in_3_to_6_quick_processes() {
    let run = fixture("demo").cargo_perf(&[
        "--quick",
        "--no-save",
        "--format",
        "json",
        "--exact",
        "tokenize_sentence",
    ]);
    assert_eq!(run.code, 0, "{}", run.dump());
    let report = run.json();
    let t = test_named(&report, "tokenize_sentence");
    let k = t["processes"].as_array().unwrap().len();
    assert!((3..=6).contains(&k), "--quick ran {k} processes");
    let ci = t["median_ci_ns"].as_array().expect("a CI across processes");
    let median = t["metrics"]["median_ns"].as_f64().unwrap();
    assert!(ci[0].as_f64().unwrap() <= median && median <= ci[1].as_f64().unwrap());
}

#[test]
fn manifest_path_works_from_anywhere() {
    let elsewhere = tempfile::tempdir().unwrap();
    let manifest = fixture("demo").dir.join("Cargo.toml");
    let run = common::cargo_perf_in(
        elsewhere.path(),
        &["--manifest-path", manifest.to_str().unwrap(), "--list"],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.dump());
    assert!(run.stdout.contains("demo/perf:"), "{}", run.dump());
}
