//! End to end: a suite split with `--partition` and recombined with `cargo perf merge`, with the
//! built binary on the ab fixture (four tests). Three `hash:M/3` shards, compared against a
//! stored whole run, merge into the whole suite's test set with every test compared (exit 0);
//! two of three files are `incomplete`, a file given twice is a duplicate, a damaged file is
//! named, all exit 2; `hash:ci` reads GitLab's `CI_NODE_INDEX`/`CI_NODE_TOTAL`. Two `ab`
//! `slice:M/2` shards merge into the whole suite, with `ab`'s Holm step redone over it.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use common::schema::assert_valid;
use common::{fixture, Fixture};
use serde_json::Value;

/// Quick, one process a test; only errors fail (the VM is shared and the tests run side by
/// side: a noisy minor "regression" must not fail a test of sharding).
const SHARD: &[&str] = &[
    "--quick",
    "--processes",
    "1",
    "--fail-on",
    "error",
    "--format",
    "json",
];

fn ids(report: &Value) -> BTreeSet<String> {
    report["tests"]
        .as_array()
        .expect("tests")
        .iter()
        .map(|t| t["id"].as_str().expect("id").to_string())
        .collect()
}

/// Shard `m` of 3 written to `dir/shard-m.json`, compared with `store`'s record of HEAD.
fn shard(f: &Fixture, dir: &Path, store: &str, m: u32, env: &[(&str, &str)]) -> PathBuf {
    let path = dir.join(format!("shard-{m}.json"));
    let spec = if env.is_empty() {
        format!("hash:{m}/3")
    } else {
        "hash:ci".to_string()
    };
    let out = path.to_str().unwrap();
    let at = [
        "--partition",
        &spec,
        "--baseline",
        "HEAD",
        "--store",
        store,
        "-o",
        out,
    ];
    let args = [SHARD, &at].concat();
    let run = f.cargo_perf_env(&args, env);
    assert_eq!(run.code, 0, "shard {m}: {}", run.dump());
    path
}

fn merge(f: &Fixture, files: &[&Path]) -> common::Run {
    let mut args = vec!["merge", "--fail-on", "error", "--format", "json"];
    args.extend(files.iter().map(|p| p.to_str().unwrap()));
    f.cargo_perf(&args)
}

#[test]
fn three_shards_merge_into_the_whole_suite_and_bad_sets_exit_2() {
    let f = fixture("ab");
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let store = store.to_str().unwrap();

    // The whole run, saved: the baseline every shard compares with.
    let whole = f.cargo_perf(&[SHARD, &["--save", "--store", store]].concat());
    assert_eq!(whole.code, 0, "{}", whole.dump());
    let whole = whole.json();
    assert!(whole.get("shard").is_none(), "{whole:#}");

    let gitlab = [[("CI_NODE_INDEX", "2"), ("CI_NODE_TOTAL", "3")]];
    let files: Vec<PathBuf> = (1..=3)
        .map(|m| {
            let env: &[(&str, &str)] = if m == 2 { &gitlab[0] } else { &[] };
            shard(f, tmp.path(), store, m, env)
        })
        .collect();
    let reports: Vec<Value> = files
        .iter()
        .map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap())
        .collect();
    let mut seen = BTreeSet::new();
    for (i, r) in reports.iter().enumerate() {
        assert_valid("report.schema.json", r, "shard report");
        // `hash:ci` with CI_NODE_INDEX=2 (1-based) is the second shard, index 1.
        assert_eq!(r["shard"]["index"], i, "{:#}", r["shard"]);
        assert_eq!(
            r["shard"]["suite_tests"],
            whole["tests"].as_array().unwrap().len()
        );
        let notes = r["notes"].to_string();
        assert!(notes.contains("cargo perf merge --save"), "{notes}");
        for id in ids(r) {
            assert!(seen.insert(id.clone()), "{id} is in two shards");
        }
    }
    assert_eq!(seen, ids(&whole), "the shards cover the suite exactly");

    let paths: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let merged = merge(f, &paths);
    assert_eq!(merged.code, 0, "{}", merged.dump());
    let merged = merged.json();
    assert_valid("report.schema.json", &merged, "merged report");
    assert_eq!(ids(&merged), ids(&whole));
    assert!(merged.get("shard").is_none());
    assert_eq!(merged["summary"]["total"], seen.len());
    for t in merged["tests"].as_array().unwrap() {
        let c = &t["comparison"];
        assert_eq!(c["baseline_commit"], whole["commit"], "{t:#}");
        assert_ne!(c["verdict"], "new", "compared with the stored run: {t:#}");
    }

    // `--save` stores the merged run as one run's record: in an empty store, a `compare` of
    // HEAD with itself then finds every test.
    let fresh = tmp.path().join("fresh");
    let fresh = fresh.to_str().unwrap();
    let mut args = vec!["merge", "--save", "--store", fresh, "--fail-on", "error"];
    args.extend(["--format", "json"]);
    args.extend(paths.iter().map(|p| p.to_str().unwrap()));
    let saved = f.cargo_perf(&args);
    assert_eq!(saved.code, 0, "{}", saved.dump());
    let notes = saved.json()["notes"].to_string();
    assert!(notes.contains("results saved for"), "{notes}");
    let again = [
        "compare", "HEAD", "HEAD", "--store", fresh, "--format", "json",
    ];
    let compared = f.cargo_perf(&again);
    assert_eq!(compared.code, 0, "{}", compared.dump());
    assert_eq!(ids(&compared.json()), ids(&whole));

    // Two of three: incomplete, naming the missing shard.
    let two = merge(f, &[paths[0], paths[2]]);
    assert_eq!(two.code, 2, "{}", two.dump());
    assert!(
        two.stderr.contains("incomplete: shard 2/3 missing"),
        "{}",
        two.dump()
    );

    // A file given twice: a duplicate.
    let dup = merge(f, &[paths[0], paths[1], paths[2], paths[1]]);
    assert_eq!(dup.code, 2, "{}", dup.dump());
    assert!(dup.stderr.contains("duplicate"), "{}", dup.dump());

    // A file cut short: damaged, named.
    let cut = tmp.path().join("cut.json");
    let text = std::fs::read_to_string(paths[1]).unwrap();
    std::fs::write(&cut, &text[..text.len() / 2]).unwrap();
    let damaged = merge(f, &[paths[0], &cut, paths[2]]);
    assert_eq!(damaged.code, 2, "{}", damaged.dump());
    assert!(
        damaged.stderr.contains("cut.json is damaged"),
        "{}",
        damaged.dump()
    );

    // A shard of another suite (another selection): foreign, naming the field.
    let other = tmp.path().join("other.json");
    let mut r = reports[1].clone();
    r["shard"]["suite_digest"] = Value::String("0123456789abcdef".into());
    std::fs::write(&other, r.to_string()).unwrap();
    let foreign = merge(f, &[paths[0], &other, paths[2]]);
    assert_eq!(foreign.code, 2, "{}", foreign.dump());
    let said = &foreign.stderr;
    assert!(
        said.contains("other.json is foreign") && said.contains("suite_digest"),
        "{said}"
    );
}

#[test]
fn a_malformed_partition_or_missing_ci_variables_exit_2_before_building() {
    let f = fixture("ab");
    let bad = f.cargo_perf(&["--partition", "hash:4/3", "--no-save"]);
    assert_eq!(bad.code, 2, "{}", bad.dump());
    assert!(bad.stderr.contains("help:"), "{}", bad.dump());
    let ci = f.cargo_perf(&["--partition", "slice:ci", "--no-save"]);
    assert_eq!(ci.code, 2, "{}", ci.dump());
    assert!(ci.stderr.contains("CI_NODE_INDEX"), "{}", ci.dump());
}

#[test]
fn a_ratio_across_shards_runs_its_other_test_beside_it_and_merge_keeps_one_copy() {
    // `instrumented` and `heavy` compare with `plain`: in 3 shards, some shard runs `plain`
    // as a companion; the merge keeps the owner's copy, once.
    let f = fixture("ratios");
    let tmp = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| f.cargo_perf(&[SHARD, &["--no-save"], args].concat());
    let whole = run(&[]);
    assert_eq!(whole.code, 0, "{}", whole.dump());
    let whole = whole.json();
    let mut files = Vec::new();
    let mut companions = 0;
    for m in 1..=3 {
        let path = tmp.path().join(format!("r-{m}.json"));
        let spec = format!("hash:{m}/3");
        let r = run(&["--partition", &spec, "-o", path.to_str().unwrap()]);
        assert_eq!(r.code, 0, "{}", r.dump());
        let report: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        companions += report["shard"]["companions"].as_array().map_or(0, Vec::len);
        files.push(path);
    }
    let paths: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let merged = merge(f, &paths);
    assert_eq!(merged.code, 0, "{}", merged.dump());
    let merged = merged.json();
    assert_eq!(ids(&merged), ids(&whole));
    assert_eq!(merged["tests"].as_array().unwrap().len(), ids(&whole).len());
    // `heavy` misses its overhead limit in the merged report as in the whole run.
    let heavy = common::test_named(&merged, "heavy");
    assert_eq!(heavy["status"], "failed", "{heavy:#}");
    // The hash is fixed: `plain` and `sequential` own other shards than the tests that
    // compare with them, so two companions ran (a change of the hash fails here).
    assert_eq!(companions, 2);
}

#[test]
fn ab_takes_the_same_partition_and_its_shards_merge_with_suite_wide_holm() {
    let f = fixture("ab");
    let tmp = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for m in 1..=2 {
        let path = tmp.path().join(format!("ab-{m}.json"));
        let spec = format!("slice:{m}/2");
        let args = [
            common::QUICK_AB_HEAD,
            &["--partition", &spec, "-o", path.to_str().unwrap()],
        ]
        .concat();
        let run = f.cargo_perf(&args);
        assert_eq!(run.code, 0, "shard {m}: {}", run.dump());
        files.push(path);
    }
    let read =
        |p: &Path| -> Value { serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap() };
    let report = read(&files[0]);
    assert_valid("report.schema.json", &report, "ab shard");
    let shard = &report["shard"];
    assert_eq!(
        (shard["kind"].as_str(), shard["command"].as_str()),
        (Some("slice"), Some("ab"))
    );
    assert!(shard["ci_alpha"].as_f64().is_some(), "{shard:#}");
    // Four tests dealt round-robin: the first and third by id.
    assert_eq!(shard["suite_tests"], 4, "{shard:#}");
    assert_eq!(report["tests"].as_array().unwrap().len(), 2, "{report:#}");
    let both = ids(&report)
        .union(&ids(&read(&files[1])))
        .cloned()
        .collect();

    let paths: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let merged = merge(f, &paths);
    assert_eq!(merged.code, 0, "{}", merged.dump());
    let merged: Value = serde_json::from_str(&merged.stdout).expect("merged json");
    assert_valid("report.schema.json", &merged, "merged ab shards");
    assert_eq!(ids(&merged), both, "every test of the suite once");
    assert_eq!(merged["summary"]["total"], 4, "{:#}", merged["summary"]);
    // Every paired test carries the evidence the suite-wide Holm step was redone from.
    let mut paired = 0;
    for t in merged["tests"].as_array().unwrap() {
        let rounds = &t["comparison"]["rounds"];
        if rounds["p_value"].is_number() {
            paired += 1;
            assert!(rounds["looks"].as_u64().is_some_and(|l| l >= 1), "{t:#}");
            let (p, adj) = (rounds["p_value"].as_f64(), rounds["adjusted_p"].as_f64());
            assert!(adj >= p, "Holm never lowers a p-value: {t:#}");
        }
    }
    assert!(paired > 0, "{merged:#}");
}
