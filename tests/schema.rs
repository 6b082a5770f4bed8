//! The JSON report and the store record are documented schemas (docs/schema.md,
//! docs/report.schema.json, docs/record.schema.json): real output of the built binary on the
//! fixtures is validated against them, with every object closed, so no field ships undocumented.

mod common;

use std::path::PathBuf;

use serde_json::Value;

use common::fixture;
use common::schema::{assert_valid, docs, read_json, validator};

/// Keep a copy of what was validated, for a reader of a failure.
fn keep(name: &str, value: &Value) {
    let dir = common::shared_target_dir().join("schema-samples");
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(
        dir.join(name),
        serde_json::to_string_pretty(value).expect("serialise"),
    );
}

/// Every object key of `value`, as `path.key`, with array items as `[]`.
fn keys(value: &Value, at: &str, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let path = format!("{at}.{k}");
                out.push(path.clone());
                keys(v, &path, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| keys(v, &format!("{at}[]"), out)),
        _ => {}
    }
}

/// Every property name a schema defines.
fn schema_properties(schema: &Value, out: &mut Vec<String>) {
    match schema {
        Value::Object(map) => {
            if let Some(Value::Object(props)) = map.get("properties") {
                out.extend(props.keys().cloned());
            }
            map.values().for_each(|v| schema_properties(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| schema_properties(v, out)),
        _ => {}
    }
}

#[test]
fn closed_schemas_reject_an_undocumented_field() {
    // The check below can fail: an extra field anywhere is an error.
    let v = validator("report.schema.json");
    let mut report = serde_json::json!({
        "schema_version": 1, "tool_version": "0.1.0", "commit": null, "dirty": false,
        "baseline": { "commit": null, "ref": null },
        "machine": { "id": "m", "cpu": "c", "cores": 1, "os": "linux", "arch": "x86_64" },
        "summary": { "total": 0, "passed": 0, "failed": 0, "regressed": 0, "improved": 0,
                     "unchanged": 0, "new": 0, "inconclusive": 0 },
        "tests": [], "notes": []
    });
    assert!(v.is_valid(&report), "{:?}", v.iter_errors(&report).next());
    report["summary"]["undocumented"] = 1.into();
    assert!(!v.is_valid(&report));
}

#[test]
fn every_schema_field_is_described_in_schema_md() {
    let md = std::fs::read_to_string(docs("schema.md")).expect("docs/schema.md");
    let mut names = Vec::new();
    for s in [
        "report.schema.json",
        "record.schema.json",
        "bisect.schema.json",
    ] {
        schema_properties(&read_json(&docs(s)), &mut names);
    }
    names.sort();
    names.dedup();
    let missing: Vec<_> = names
        .iter()
        .filter(|n| !md.contains(&format!("`{n}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/schema.md does not describe {missing:?}"
    );
}

/// The demo suite run twice into one store: the first run saves a record, the second is
/// compared with it. Both reports and the record must match the schemas.
#[test]
fn real_reports_and_records_match_the_schemas() {
    let store = tempfile::tempdir().expect("temp store");
    let store_arg = store.path().to_str().expect("utf-8 temp path");
    let demo = fixture("demo");
    let args = [
        "--quick",
        "--processes",
        "2",
        "--format",
        "json",
        "--save",
        "--machine",
        "schema-test",
        "--store",
        store_arg,
    ];
    let first = demo.cargo_perf(&args);
    assert!(first.code == 0 || first.code == 1, "{}", first.dump());
    // A clean HEAD is compared with its ancestors by default; name it to compare with itself.
    let second = demo.cargo_perf(&[&args[..], &["--baseline", "HEAD"]].concat());
    assert!(second.code == 0 || second.code == 1, "{}", second.dump());

    let (first, second) = (first.json(), second.json());
    keep("report-first.json", &first);
    keep("report-second.json", &second);
    assert!(
        second["tests"]
            .as_array()
            .expect("tests")
            .iter()
            .any(|t| t["comparison"].is_object()),
        "the second run is compared with the first: {second:#}"
    );
    for report in [&first, &second] {
        assert!(
            report["started_at"]
                .as_str()
                .is_some_and(|t| t.ends_with('Z'))
                && report["duration_ns"].as_u64().is_some_and(|ns| ns > 0),
            "every report says when the run was and how long it took: {report:#}"
        );
    }
    assert!(
        second["tests"]
            .as_array()
            .expect("tests")
            .iter()
            .any(|t| t["comparison"]["metrics"].is_array()),
        "a compared test lists its compared metrics: {second:#}"
    );
    assert_valid("report.schema.json", &first, "the first run's report");
    assert_valid("report.schema.json", &second, "the compared run's report");

    let records: Vec<PathBuf> = std::fs::read_dir(store.path().join("schema-test"))
        .expect("the runs saved into the store")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    assert_eq!(records.len(), 1, "one record per commit and machine");
    let record = read_json(&records[0]);
    keep("record.json", &record);
    assert_valid("record.schema.json", &record, "the stored record");

    // What the schema requires is really there, and the record keeps what the report says.
    let mut emitted = Vec::new();
    keys(&record, "", &mut emitted);
    for must in [".tests[].processes", ".tests[].metrics.median_ns", ".noise"] {
        assert!(emitted.iter().any(|k| k == must), "record has no {must}");
    }
}

/// Load and memory details (the largest nested parts) from real runs of those fixtures.
#[test]
fn real_load_and_memory_reports_match_the_schema() {
    let memory = fixture("memory").cargo_perf(common::QUICK_JSON_TWO_PROCESSES);
    let memory_report = memory.json();
    keep("report-memory.json", &memory_report);
    assert_valid(
        "report.schema.json",
        &memory_report,
        "the memory fixture's report",
    );
    assert!(
        memory_report["tests"]
            .as_array()
            .expect("tests")
            .iter()
            .any(|t| t["memory"]["leak"].is_object()),
        "the memory fixture flags a leak: {memory_report:#}"
    );

    let load = fixture("load").cargo_perf(&common::with_args(
        common::QUICK_JSON_TWO_PROCESSES,
        &[
            "echo_open",
            "flaky_errors",
            "serial_capacity",
            "mixed_read_write",
        ],
    ));
    let load_report = load.json();
    keep("report-load.json", &load_report);
    assert_valid(
        "report.schema.json",
        &load_report,
        "the load fixture's report",
    );
    let tests = load_report["tests"].as_array().expect("tests");
    assert!(tests.len() >= 3, "{}", load.dump());
    assert!(
        tests.iter().all(|t| t["load"].is_object()),
        "{}",
        load.dump()
    );
    // The optional parts were really there to be checked.
    for part in [
        "capacity",
        "errors",
        "stages",
        "timeline",
        "scheduler_lag_p99_ns",
        "by_operation",
        "faults",
    ] {
        assert!(
            tests.iter().any(|t| !t["load"][part].is_null()),
            "no load test reported `{part}`"
        );
    }
}
