//! `.config/perf.toml` profiles end to end: the demo fixture in a fresh git repository, with a
//! profile file written into it, run by the real binary.

mod common;

use common::{
    cargo_perf_in, commit_all, fixture_in_new_repo, test_named, with_args, Run, QUICK_JSON,
};
use std::path::Path;

const PROFILES: &str = "\
[profile.default]
threshold = \"5%\"

[profile.ci]
processes = 2
threshold = \"3%\"
machine = \"ci-runner\"
";

/// One quick micro benchmark of the demo fixture, in JSON; no `--processes` or `--threshold`,
/// so what the profile sets shows.
fn run(dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> Run {
    let mut args = vec![
        "--quick",
        "--exact",
        "tokenize_sentence",
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    cargo_perf_in(dir, &args, env)
}

fn write_profiles(dir: &Path, text: &str) {
    std::fs::create_dir_all(dir.join(".config")).unwrap();
    std::fs::write(dir.join(".config/perf.toml"), text).unwrap();
}

#[test]
fn the_chosen_profile_sets_processes_threshold_and_machine_and_is_recorded() {
    let repo = fixture_in_new_repo("demo");
    let dir = repo.path();
    write_profiles(dir, PROFILES);
    commit_all(dir, "profiles");

    // `ci` by flag: two processes (the quick rule alone would take three or more), stored
    // under the profile's machine id, with the profile named in the report and the record.
    let ci = run(dir, &["--perf-profile", "ci", "--save"], &[]);
    assert_eq!(ci.code, 0, "{}", ci.dump());
    let report = ci.json();
    assert_eq!(report["perf_profile"], "ci", "{report:#}");
    assert_eq!(report["machine"]["id"], "ci-runner", "{report:#}");
    let test = test_named(&report, "tokenize_sentence");
    assert_eq!(test["processes"].as_array().unwrap().len(), 2, "{test:#}");
    let record_dir = dir.join(".perf").join("ci-runner");
    let records: Vec<String> = std::fs::read_dir(&record_dir)
        .unwrap_or_else(|e| panic!("{}: {e}\n{}", record_dir.display(), ci.dump()))
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap_or_default())
        .collect();
    assert!(
        records.iter().any(
            |r| r.contains("\"perf_profile\": \"ci\"") || r.contains("\"perf_profile\":\"ci\"")
        ),
        "{records:?}"
    );

    // `compare` reads the records of the profile's machine id (this host has none of its own).
    let compare = ["compare", "HEAD", "HEAD", "--format", "json"];
    let ci_compare = cargo_perf_in(dir, &compare, &[("CARGO_PERF_PROFILE", "ci")]);
    assert_eq!(ci_compare.code, 0, "{}", ci_compare.dump());
    let report = ci_compare.json();
    assert_eq!(report["perf_profile"], "ci", "{report:#}");
    test_named(&report, "tokenize_sentence");
    let mine = cargo_perf_in(dir, &compare, &[]);
    assert_eq!(mine.code, 2, "no records of this host: {}", mine.dump());

    // An explicit flag wins over the profile; `default` applies when none is chosen.
    let flags = run(
        dir,
        &["--perf-profile", "ci", "--processes", "1", "--no-save"],
        &[],
    );
    let report = flags.json();
    let test = test_named(&report, "tokenize_sentence");
    assert_eq!(test["processes"].as_array().unwrap().len(), 1, "{test:#}");
    let plain = run(dir, &["--no-save"], &[]);
    assert_eq!(plain.json()["perf_profile"], "default", "{}", plain.dump());

    // The environment variable chooses too.
    let env = run(dir, &["--no-save"], &[("CARGO_PERF_PROFILE", "ci")]);
    let report = env.json();
    assert_eq!(report["perf_profile"], "ci", "{}", env.dump());
    assert_eq!(report["machine"]["id"], "ci-runner", "{report:#}");
}

#[test]
fn a_typo_or_an_unknown_profile_fails_with_exit_2_naming_the_line() {
    let repo = fixture_in_new_repo("demo");
    let dir = repo.path();
    write_profiles(
        dir,
        &PROFILES.replace("threshold = \"3%\"", "threshhold = \"3%\""),
    );

    // The typo is in `ci`: a run without a chosen profile fails on it too, before building.
    let typo = run(dir, &["--no-save"], &[]);
    assert_eq!(typo.code, 2, "{}", typo.dump());
    assert!(
        typo.stderr
            .contains(".config/perf.toml:6: unknown key `threshhold` in [profile.ci]"),
        "{}",
        typo.dump()
    );
    assert!(
        typo.stderr.contains("help: did you mean `threshold`?"),
        "{}",
        typo.dump()
    );
    assert!(!typo.stderr.contains("Compiling"), "{}", typo.dump());

    // An override whose filter matches no test of the suite.
    let nothing = format!(
        "{PROFILES}\n[[profile.ci.overrides]]\nfilter = \"tokenise\"\nthreshold = \"10%\"\n"
    );
    write_profiles(dir, &nothing);
    let unmatched = run(dir, &["--no-save", "--perf-profile", "ci"], &[]);
    assert_eq!(unmatched.code, 2, "{}", unmatched.dump());
    assert!(
        unmatched
            .stderr
            .contains(".config/perf.toml:10: override filter `tokenise` matches no listed test"),
        "{}",
        unmatched.dump()
    );
    assert!(
        unmatched.stdout.is_empty(),
        "no test ran: {}",
        unmatched.dump()
    );

    write_profiles(dir, PROFILES);
    let unknown = run(dir, &["--no-save"], &[("CARGO_PERF_PROFILE", "cj")]);
    assert_eq!(unknown.code, 2, "{}", unknown.dump());
    assert!(
        unknown.stderr.contains("has no profile `cj`")
            && unknown.stderr.contains("did you mean `ci`?"),
        "{}",
        unknown.dump()
    );
}

/// `misses_threshold` of `fixtures/failures` (`mean < "1ns"`) fails on every machine: a `ci`
/// override with an explicit limit makes it pass, a multiple of its own limit loosens it (and
/// still fails: 3 ns is no more reachable than 1 ns), and an unknown key names its line.
#[test]
fn a_profile_override_loosens_a_limit_by_value_or_by_a_multiple() {
    let repo = fixture_in_new_repo("failures");
    let dir = repo.path();
    write_profiles(
        dir,
        "\
[[profile.default.overrides]]
filter = \"misses_\"
mean = \"3x\"

[[profile.ci.overrides]]
filter = \"misses_threshold\"
mean = \"10s\"
",
    );
    commit_all(dir, "profiles");
    let args = with_args(QUICK_JSON, &["--exact", "misses_threshold"]);
    let with = |extra: &[&str], env: &[(&str, &str)]| {
        let mut all = args.to_vec();
        all.extend_from_slice(extra);
        cargo_perf_in(dir, &all, env)
    };

    let ci = with(&["--perf-profile", "ci"], &[]);
    assert_eq!(ci.code, 0, "{}", ci.dump());
    let report = ci.json();
    let test = test_named(&report, "misses_threshold");
    assert_eq!(test["status"], "passed", "{test:#}");
    assert_eq!(test["thresholds"][0]["limit"], 10e9, "{test:#}");

    let default = with(&[], &[]);
    assert_eq!(default.code, 1, "{}", default.dump());
    let report = default.json();
    assert_eq!(report["perf_profile"], "default", "{report:#}");
    let test = test_named(&report, "misses_threshold");
    assert_eq!(test["status"], "failed", "{test:#}");
    assert_eq!(
        test["thresholds"][0]["limit"], 3.0,
        "3x the own 1 ns: {test:#}"
    );

    // The user's own PERF_<TEST>_<KEY> wins over the profile.
    let own = with(
        &["--perf-profile", "ci"],
        &[("PERF_MISSES_THRESHOLD_MEAN", "2ns")],
    );
    let report = own.json();
    let test = test_named(&report, "misses_threshold");
    assert_eq!(test["thresholds"][0]["limit"], 2.0, "{}", own.dump());

    write_profiles(
        dir,
        "[[profile.ci.overrides]]\nfilter = \"misses_threshold\"\nmaen = \"2x\"\n",
    );
    let typo = with(&[], &[]);
    assert_eq!(typo.code, 2, "{}", typo.dump());
    assert!(
        typo.stderr
            .contains(".config/perf.toml:3: unknown key `maen` in [[profile.ci.overrides]]"),
        "{}",
        typo.dump()
    );
    assert!(
        typo.stderr.contains("help: did you mean `mean`?"),
        "{}",
        typo.dump()
    );
}

/// `ab` (here against HEAD itself) judges with the profile's threshold and its per-test
/// override, which its JSON shows per test, and names the profile.
#[test]
fn ab_judges_with_the_profile_threshold() {
    let repo = fixture_in_new_repo("ab");
    let dir = repo.path();
    write_profiles(
        dir,
        "[profile.ci]\nthreshold = \"7%\"\nbudget = \"1s\"\nfail-on = \"never\"\n\n\
         [[profile.ci.overrides]]\nfilter = \"steady_a\"\nthreshold = \"11%\"\n",
    );
    commit_all(dir, "profiles");
    let ab = |extra: &[&str]| {
        let mut args = vec![
            "ab",
            "HEAD",
            "--quick",
            "--exact",
            "steady_a",
            "steady_b",
            "--min-rounds",
            "6",
            "--max-rounds",
            "6",
            "--no-save",
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        cargo_perf_in(dir, &args, &[])
    };
    let run = ab(&["--perf-profile", "ci"]);
    assert_eq!(run.code, 0, "{}", run.dump());
    let report = run.json();
    assert_eq!(report["perf_profile"], "ci", "{report:#}");
    let test = test_named(&report, "steady_b");
    assert_eq!(test["comparison"]["rounds"]["threshold"], 0.07, "{test:#}");
    // A per-test override: its threshold is the test's own, on both sides.
    let test = test_named(&report, "steady_a");
    assert_eq!(test["comparison"]["rounds"]["threshold"], 0.11, "{test:#}");

    // The flag wins.
    let run = ab(&["--perf-profile", "ci", "--threshold", "9"]);
    let report = run.json();
    let test = test_named(&report, "steady_b");
    assert_eq!(
        test["comparison"]["rounds"]["threshold"],
        0.09,
        "{}",
        run.dump()
    );
}
