//! Growth with size, end to end on the growth fixture in a real git repository: the fitted
//! exponents of a linear and a quadratic `args` family, and the change of exponent flagged
//! when a second commit makes a linear family quadratic (in JSON, Markdown and the terminal,
//! and in the exit code only under `--fail-on growth`).

mod common;

use std::path::Path;

use serde_json::Value;

use common::schema::assert_valid;
use common::{cargo_perf_in, commit_all, git, Run};

/// A quick measured run, three processes a test (the interval is computed from them), saved.
fn quick_run(dir: &Path) -> Run {
    let run = cargo_perf_in(
        dir,
        &[
            "--quick",
            "--processes",
            "3",
            "--save",
            "--fail-on",
            "never",
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.dump());
    run
}

/// The `growth` entry of the family `name`.
fn family<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["growth"]
        .as_array()
        .unwrap_or_else(|| panic!("no growth in the report: {report:#}"))
        .iter()
        .find(|g| g["name"] == name)
        .unwrap_or_else(|| panic!("no growth of `{name}`: {report:#}"))
}

/// The fitted exponent, checked to lie inside its own interval.
fn exponent(fit: &Value) -> f64 {
    let e = fit["exponent"].as_f64().expect("an exponent");
    let (lo, hi) = (
        fit["ci"][0].as_f64().unwrap(),
        fit["ci"][1].as_f64().unwrap(),
    );
    assert!(lo <= e && e <= hi, "{fit}");
    e
}

#[test]
fn exponents_are_fitted_and_a_change_of_growth_is_flagged() {
    let repo = tempfile::tempdir().unwrap();
    let dir = repo.path();
    common::copy_fixture("growth", dir);
    git(dir, &["init", "-q", "-b", "main"]);
    commit_all(dir, "fixture");

    let first = quick_run(dir).json();
    // Honest margins: the loops' time is their step count, plus a few nanoseconds a call.
    for (name, k) in [("linear", 1.0), ("quadratic", 2.0), ("changing", 1.0)] {
        let g = family(&first, name);
        assert_eq!(
            g["args"],
            serde_json::json!(["32", "64", "128", "256"]),
            "{g}"
        );
        assert_eq!(g["fit"]["sizes"], 4, "{g}");
        let e = exponent(&g["fit"]);
        assert!((e - k).abs() < 0.25, "{name}: n^{e}, expected n^{k}: {g}");
        assert!(
            g["baseline"].is_null() && g["change"].is_null(),
            "nothing stored yet: {g}"
        );
    }

    // `changing` now spins n² steps instead of 64 n.
    let source = std::fs::read_to_string(dir.join("benches/perf.rs")).unwrap();
    let quadratic = source.replace("let work = 64 * n; // WORK", "let work = n * n; // WORK");
    assert_ne!(source, quadratic, "the fixture still has its WORK line");
    std::fs::write(dir.join("benches/perf.rs"), quadratic).unwrap();
    commit_all(dir, "changing grows as n²");

    let second = quick_run(dir).json();
    assert_valid("report.schema.json", &second, "the compared growth report");
    let changed = family(&second, "changing");
    assert_eq!(changed["change"], "steeper", "{changed}");
    let (head, base) = (exponent(&changed["fit"]), exponent(&changed["baseline"]));
    assert!(
        (head - 2.0).abs() < 0.25 && (base - 1.0).abs() < 0.25,
        "{changed}"
    );
    for name in ["linear", "quadratic"] {
        let g = family(&second, name);
        assert_eq!(g["change"], "unchanged", "{name} did not change: {g}");
    }

    // The stored records compared again: the finding in each format, the exit code only
    // when asked for.
    let compare = |args: &[&str]| cargo_perf_in(dir, &[&["compare"], args].concat(), &[]);
    let markdown = compare(&["--fail-on", "growth", "--format", "markdown"]);
    assert_eq!(
        markdown.code,
        1,
        "--fail-on growth fails: {}",
        markdown.dump()
    );
    assert!(
        markdown.stdout.contains("> 📈 growth changed: changing n^")
            && markdown.stdout.contains("(steeper)")
            && markdown
                .stdout
                .contains("<summary>Growth with size</summary>"),
        "{}",
        markdown.dump()
    );
    let human = compare(&["--fail-on", "never"]);
    assert_eq!(human.code, 0, "reported only: {}", human.dump());
    assert!(
        human
            .stdout
            .contains("growth with size (log-log fit, 95% interval):")
            // The exponents themselves are checked with margins above (a loaded machine
            // fitted n^0.99 once); here only that the change is worded.
            && human.stdout.contains("growth changed: changing n^")
            && human.stdout.contains("(steeper)"),
        "{}",
        human.dump()
    );
    assert!(
        !human.stdout.contains("growth changed: linear"),
        "{}",
        human.dump()
    );
}
