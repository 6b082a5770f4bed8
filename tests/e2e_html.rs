//! End to end: `cargo perf report` on the demo fixture in a real git repository writes one
//! HTML page that a real headless Chromium loads without a console error, showing every test
//! of the run; screenshots at a phone's and a desktop's width are kept under target/ as the
//! test's artifacts. Without Chromium the browser part is skipped with a message, unless
//! `CARGO_PERF_REQUIRE_BROWSER=1` (CI sets it), where a missing browser fails the test.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{cargo_perf_in, commit_all, fixture_in_new_repo, test_names, Run};

const MACHINE: &str = "e2e-html";

fn quick_run(dir: &Path) -> serde_json::Value {
    let run = cargo_perf_in(
        dir,
        &[
            "--quick",
            "--processes",
            "2",
            "--machine",
            MACHINE,
            "--format",
            "json",
        ],
        &[],
    );
    // 1 is a verdict (a quick run on a busy machine may flag a change): fine here.
    assert!(run.code == 0 || run.code == 1, "{}", run.dump());
    run.json()
}

fn report(dir: &Path, args: &[&str]) -> Run {
    let mut all = vec!["report", "--machine", MACHINE];
    all.extend_from_slice(args);
    cargo_perf_in(dir, &all, &[])
}

/// The browser: `CARGO_PERF_CHROMIUM`, else the first of the usual names on PATH.
fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CARGO_PERF_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|name| {
            Command::new("sh")
                .args(["-c", &format!("command -v {name}")])
                .stdout(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        })
        .map(PathBuf::from)
}

/// Headless Chromium on `page` with `args`, its logging on stderr; killed after a minute.
fn browse(browser: &Path, profile: &Path, page: &Path, args: &[&str]) -> (String, String) {
    let mut child = Command::new(browser)
        .args([
            "--headless=new",
            "--disable-gpu",
            "--no-sandbox",
            "--no-first-run",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start chromium");
    let start = Instant::now();
    while child.try_wait().expect("wait for chromium").is_none() {
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!(
                "chromium did not finish within a minute on {}",
                page.display()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().expect("chromium output");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The lines of Chromium's log that report something the page's scripts said or threw.
fn console_lines(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|l| l.contains(":CONSOLE") || l.contains("Uncaught"))
        .collect()
}

#[test]
fn the_html_report_loads_in_a_browser_and_shows_every_test() {
    let repo = fixture_in_new_repo("demo");
    let dir = repo.path();

    // Nothing stored yet: a usage error, not an empty page.
    let none = report(dir, &[]);
    assert_eq!(none.code, 2, "{}", none.dump());
    assert!(
        none.stderr.contains("error: no stored results") && none.stderr.contains("help:"),
        "{}",
        none.dump()
    );

    // Two commits measured: a comparison and a history of two points.
    quick_run(dir);
    std::fs::write(dir.join("NOTES.md"), "a second commit\n").unwrap();
    commit_all(dir, "second");
    let run = quick_run(dir);
    let names = test_names(&run);
    assert!(names.len() >= 5, "{names:?}");

    let artifacts = common::repo_root().join("target").join("e2e-html");
    std::fs::create_dir_all(&artifacts).unwrap();
    let page = artifacts.join("report.html");
    let wrote = report(dir, &["-o", page.to_str().unwrap()]);
    assert_eq!(wrote.code, 0, "{}", wrote.dump());
    assert!(
        wrote.stderr.contains(&page.display().to_string()),
        "{}",
        wrote.dump()
    );
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        !html.contains("src=\"http") && !html.contains("href=\"http"),
        "self-contained"
    );

    // The default file is in cargo's target directory, and its path is said.
    let default = report(dir, &[]);
    assert_eq!(default.code, 0, "{}", default.dump());
    let expected = common::shared_target_dir()
        .join("cargo-perf")
        .join("report.html");
    assert!(
        default.stderr.contains(&expected.display().to_string()),
        "{}",
        default.dump()
    );
    assert!(expected.is_file());

    // An unwritable path is a usage-level error naming it. Missing directories are created
    // (as for `--emit`), and these tests may run as root: a path under a regular file is
    // what cannot be written whoever runs it.
    let blocker = dir.join("not-a-directory");
    std::fs::write(&blocker, "a file, not a directory").unwrap();
    let unwritable = blocker.join("report.html");
    let bad = report(dir, &["-o", unwritable.to_str().unwrap()]);
    assert_eq!(bad.code, 2, "{}", bad.dump());
    let said = format!("error: cannot write the report to {}", unwritable.display());
    assert!(bad.stderr.contains(&said), "{}", bad.dump());
    assert!(bad.stderr.contains("help:"), "{}", bad.dump());

    let Some(browser) = chromium() else {
        let required = std::env::var("CARGO_PERF_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
        assert!(
            !required,
            "CARGO_PERF_REQUIRE_BROWSER=1 but no chromium on PATH (set CARGO_PERF_CHROMIUM)"
        );
        eprintln!("skipped the browser check: no chromium on PATH (install it, or set CARGO_PERF_CHROMIUM)");
        return;
    };
    let profile = tempfile::tempdir().unwrap();

    // The console check can see an error: a page that throws is caught by it.
    let probe = profile.path().join("probe.html");
    std::fs::write(&probe, "<script>throw new Error('probe-error')</script>").unwrap();
    let (_, log) = browse(&browser, profile.path(), &probe, &["--dump-dom"]);
    assert!(
        console_lines(&log)
            .iter()
            .any(|l| l.contains("probe-error")),
        "chromium's log does not show a thrown error; the check below would be blind:\n{log}"
    );

    let (dom, log) = browse(
        &browser,
        profile.path(),
        &page,
        &["--dump-dom", "--virtual-time-budget=2000"],
    );
    assert_eq!(
        console_lines(&log),
        Vec::<&str>::new(),
        "console output:\n{log}"
    );
    assert!(
        dom.contains("data-ready=\"1\""),
        "the page's script did not finish:\n{dom}"
    );
    for t in run["tests"].as_array().unwrap() {
        let id = t["id"].as_str().unwrap();
        assert!(
            dom.contains(&format!("<span class=\"name\">{id}</span>")),
            "{id} has no section"
        );
        assert!(
            dom.contains(&format!("\">{}</a></td>", id.replace('/', "/<wbr>"))),
            "{id} has no summary row"
        );
    }
    assert!(dom.matches("<svg class=\"chart\"").count() >= names.len() * 2);

    let shots = [
        ("phone", "390,844", false),
        ("phone-dark", "390,844", true),
        ("desktop", "1280,1600", false),
    ];
    for (name, size, dark) in shots {
        let shot = artifacts.join(format!("report-{name}.png"));
        let _ = std::fs::remove_file(&shot);
        let mut args = vec![
            format!("--screenshot={}", shot.display()),
            format!("--window-size={size}"),
        ];
        if dark {
            // prefers-color-scheme: dark, as a phone in dark mode asks for it.
            args.push("--blink-settings=preferredColorScheme=0".into());
            args.push("--force-dark-mode".into());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (_, log) = browse(&browser, profile.path(), &page, &args);
        let png = std::fs::read(&shot).unwrap_or_else(|e| panic!("no screenshot ({e}):\n{log}"));
        assert!(
            png.starts_with(b"\x89PNG") && png.len() > 10_000,
            "{}",
            shot.display()
        );
        eprintln!("screenshot ({name}): {}", shot.display());
    }
}
