//! The JUnit document's structure, counts and escaping.

use super::*;
use crate::cli::report::sample;

fn testcase_block<'a>(xml: &'a str, name: &str) -> &'a str {
    let start = xml
        .find(&format!("name=\"{name}\""))
        .unwrap_or_else(|| panic!("{name} missing:\n{xml}"));
    let rest = &xml[start..];
    let end = rest
        .find("</testcase>")
        .map(|e| e + "</testcase>".len())
        .into_iter()
        .chain(rest.find("/>\n").map(|e| e + 2))
        .min()
        .unwrap();
    &rest[..end]
}

#[test]
fn one_testcase_per_test_with_counts() {
    let xml = render(&sample::report());
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites "));
    assert_eq!(xml.matches("<testcase ").count(), 8);
    // sort/100 (threshold) and slow_now (regression) fail; the parse test errors.
    assert!(xml.contains(
        "<testsuites name=\"cargo-perf\" tests=\"8\" failures=\"2\" errors=\"1\" time=\"20.000\">"
    ));
    assert!(xml.contains("<testsuite name=\"pkg/perf\" tests=\"8\" failures=\"2\" errors=\"1\""));
    assert_eq!(
        xml.matches("<testsuite ").count(),
        xml.matches("</testsuite>").count()
    );
    assert!(xml.contains("<property name=\"machine\" value=\"ci-box\"/>"));
    // When the run was and how long it took.
    assert!(xml.contains("timestamp=\"2026-12-02T05:00:00\""), "{xml}");
    assert!(xml.contains("<property name=\"started_at\" value=\"2026-12-02T05:00:00Z\"/>"));
    assert!(xml.contains("<property name=\"duration_s\" value=\"83.500\"/>"));
}

#[test]
fn regressions_and_thresholds_are_failures_and_errors_are_errors() {
    let xml = render(&sample::report());
    let slow = testcase_block(&xml, "slow_now");
    assert!(slow.contains("<failure type=\"regression\" message=\"regressed +30% (+28% … +32%) (median_ns: 1.00 µs → 1.30 µs, critical)\">"), "{slow}");
    let sorted = testcase_block(&xml, "sort/100");
    assert!(sorted.contains("<failure type=\"threshold\" message=\"threshold failed: p99_ns &lt; 2.00 ms, was 3.10 ms\">"), "{sorted}");
    assert!(!sorted.contains("regression"));
    let fast = testcase_block(&xml, "fast_now");
    assert!(
        !fast.contains("<failure"),
        "an improvement is not a failure: {fast}"
    );
    let fresh = testcase_block(&xml, "fresh");
    assert!(!fresh.contains("<failure") && !fresh.contains("<error"));
}

#[test]
fn every_piece_of_test_text_is_escaped() {
    let xml = render(&sample::report());
    let broken = testcase_block(&xml, "parse &lt;a|b&gt; &amp; &quot;c&quot;");
    assert!(broken.contains("<error type=\"error\" message=\"panicked at &apos;x &lt; y&apos; | &lt;/details&gt;\">"), "{broken}");
    assert!(broken.contains("second line\u{FFFD}</error>"), "{broken}");
    assert_eq!(
        escape("a<b>&\"'\u{0}\n"),
        "a&lt;b&gt;&amp;&quot;&apos;\u{FFFD}\n"
    );
    // No raw markup characters survive outside the tags the renderer wrote.
    assert_eq!(xml.matches('<').count(), xml.matches('>').count());
}

#[test]
fn suites_split_by_package_and_target() {
    let mut report = sample::report();
    report.tests[0].package = "other".into();
    let xml = render(&report);
    assert_eq!(xml.matches("<testsuite ").count(), 2);
    let other = xml.find("name=\"other/perf\"").unwrap();
    let pkg = xml.find("name=\"pkg/perf\"").unwrap();
    assert!(other < pkg, "suites in name order");
}

#[test]
fn requirements_are_testcases_of_their_own_suite_and_count_as_failures_when_missed() {
    use crate::cli::model::RequirementCheck;
    let mut report = sample::report();
    let check = |passed: bool, margin: f64| RequirementCheck {
        requirement: "speedup >= 2x".into(),
        test: Some("pkg/perf/fast".into()),
        limit: 2.0,
        speedup: Some(2.0 * (1.0 + margin) + 0.1),
        ci: Some([2.0 * (1.0 + margin), 2.0 * (1.0 + margin) + 0.2]),
        margin: Some(margin),
        passed,
        note: None,
    };
    report.requirements = vec![check(true, 0.1), check(false, -0.25)];
    let xml = render(&report);
    assert_eq!(xml.matches("<testcase ").count(), 10);
    assert!(xml.contains("<testsuites name=\"cargo-perf\" tests=\"10\" failures=\"3\""));
    assert!(xml.contains(
        "<testsuite name=\"cargo-perf/requirements\" tests=\"2\" failures=\"1\" errors=\"0\">"
    ));
    assert_eq!(xml.matches("type=\"requirement\"").count(), 1);
    assert!(xml.contains("missed by 25.0 %"), "{xml}");
}
