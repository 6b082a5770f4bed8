//! The docs work from a fresh clone: every repository path that README.md and docs/ mention
//! exists, every `cargo perf` flag they show is accepted by the real binary, and no install
//! command names a registry release that does not exist.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use common::repo_root;

/// The documents checked: README.md and every text file in docs/.
fn documents() -> Vec<(PathBuf, String)> {
    let root = repo_root();
    let mut paths = vec![root.join("README.md")];
    let mut in_docs: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .expect("docs/")
        .map(|e| e.expect("entry").path())
        .filter(|p| {
            p.extension()
                .is_some_and(|x| x == "md" || x == "yml" || x == "yaml")
        })
        .collect();
    in_docs.sort();
    paths.extend(in_docs);
    paths.push(root.join(".pre-commit-hooks.yaml"));
    paths
        .into_iter()
        .map(|p| {
            let text =
                std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()));
            (p, text)
        })
        .collect()
}

fn rel(path: &Path) -> String {
    path.strip_prefix(repo_root())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// Top-level folders (and files) of this repository whose mentions are repository paths.
/// `benches/perf.rs`, `.perf/`, `target/` and `.github/` also appear as paths in the *user's*
/// crate or build, so they are not on this list.
const REPO_PREFIXES: &[&str] = &[
    "docs/",
    "scripts/",
    "fixtures/",
    "src/",
    "tests/",
    "perf-macros/",
    ".ci/",
    "benches/aa_detection.py",
    "benches/self_perf.rs",
    ".pre-commit-hooks.yaml",
];

fn is_path_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/')
}

/// Repository paths mentioned in `text`: relative Markdown links (resolved from the document's
/// folder) and words starting with one of [`REPO_PREFIXES`] (from the repository root).
fn mentioned_paths(doc: &Path, text: &str) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    // Markdown links and link definitions: `](target)` and `]: target`.
    for (i, _) in text.match_indices("](") {
        let rest = &text[i + 2..];
        let Some(end) = rest.find(')') else { continue };
        let target = rest[..end].split('#').next().unwrap_or("").trim();
        if target.is_empty() || target.contains("://") || target.starts_with("mailto:") {
            continue;
        }
        let dir = doc.parent().expect("a document has a folder");
        out.push((dir.join(target), format!("link ({target})")));
    }
    // Bare mentions, in prose and code alike.
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    for (n, &(i, _)) in chars.iter().enumerate() {
        let starts_word = n == 0 || !is_path_char(chars[n - 1].1);
        if !starts_word {
            continue;
        }
        let Some(prefix) = REPO_PREFIXES.iter().find(|p| text[i..].starts_with(*p)) else {
            continue;
        };
        let word: String = text[i..].chars().take_while(|&c| is_path_char(c)).collect();
        // A mention may end a sentence; a placeholder (`<name>`) stops the word too.
        let word = word.trim_end_matches(['.', ',', ':', ';']);
        if text[i + word.len()..].starts_with('<') || text[i + word.len()..].starts_with('*') {
            continue; // `.perf/<machine>/..`, `docs/*.schema.json`: patterns, not paths
        }
        if word.len() > prefix.len() || !prefix.ends_with('/') {
            out.push((repo_root().join(word), word.to_string()));
        }
    }
    out
}

#[test]
fn every_path_the_docs_mention_exists() {
    let mut missing = Vec::new();
    let mut checked = 0;
    for (doc, text) in documents() {
        for (path, as_written) in mentioned_paths(&doc, &text) {
            checked += 1;
            if !path.exists() {
                missing.push(format!("{}: {as_written}", rel(&doc)));
            }
        }
    }
    assert!(checked > 20, "the scan found only {checked} paths");
    assert!(
        missing.is_empty(),
        "paths the docs mention that do not exist:\n  {}",
        missing.join("\n  ")
    );
}

/// cargo-perf is not published on a registry: an install command must build from a path or a
/// git repository.
#[test]
fn install_commands_do_not_name_a_registry_release() {
    let mut wrong = Vec::new();
    for (doc, text) in documents() {
        for line in text.lines() {
            let Some(i) = line.find("cargo install") else {
                continue;
            };
            let cmd = &line[i..];
            if !(cmd.contains("--path") || cmd.contains("--git")) {
                wrong.push(format!("{}: {}", rel(&doc), line.trim()));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "cargo-perf is not on crates.io; install with `cargo install --path .` from a clone \
         (or `--git`):\n  {}",
        wrong.join("\n  ")
    );
}

/// One documented command: the subcommand and the flags written after it.
#[derive(Debug)]
struct Documented {
    doc: String,
    sub: String,
    flags: Vec<String>,
    line: String,
}

/// The flags of a command's text (`--long`, `-s`), placeholders and values skipped.
fn flags_in(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || matches!(c, '[' | ']' | '|' | '`' | '(' | ')' | ','))
        .filter_map(|w| {
            let w = w.split('=').next().unwrap_or(w);
            let long = w.len() > 2
                && w.starts_with("--")
                && w[2..].chars().all(|c| c.is_ascii_lowercase() || c == '-');
            let short = w.len() == 2
                && w.starts_with('-')
                && w[1..].chars().all(|c| c.is_ascii_alphabetic());
            (long || short).then(|| w.to_string())
        })
        .collect()
}

/// Every `cargo perf ...` command in the docs (code lines, with `\` continuations, and inline
/// code spans), and the rows of the options tables of `run` and `ab`.
fn documented_commands(subcommands: &BTreeSet<String>) -> Vec<Documented> {
    let mut out = Vec::new();
    for (doc, text) in documents() {
        let doc_name = rel(&doc);
        // Join continuation lines so a command split over lines is read whole.
        let joined = text.replace("\\\n", " ");
        let mut table_sub: Option<&str> = None;
        for line in joined.lines() {
            if line.starts_with('#') {
                table_sub = match line {
                    l if l.contains("`run` options") => Some("run"),
                    l if doc_name.ends_with("ab.md") && l.trim() == "## Options" => Some("ab"),
                    _ => None,
                };
            }
            if let (Some(sub), true) = (table_sub, line.starts_with("| `-")) {
                let first_cell = line.split(" | ").next().unwrap_or(line);
                out.push(Documented {
                    doc: doc_name.clone(),
                    sub: sub.to_string(),
                    flags: flags_in(first_cell),
                    line: line.to_string(),
                });
            }
            // `cargo run --release -- perf` is `cargo perf` run from this repository.
            let line = line.replace("cargo run --release -- perf", "cargo perf");
            for (i, _) in line.match_indices("cargo perf") {
                let rest = &line[i + "cargo perf".len()..];
                // The command ends at the next one, a closing backtick or a shell comment.
                let end = [rest.find("cargo perf"), rest.find('`'), rest.find(" #")]
                    .into_iter()
                    .flatten()
                    .min()
                    .unwrap_or(rest.len());
                let cmd = &rest[..end];
                let first = cmd.split_whitespace().next().unwrap_or("");
                let sub = if subcommands.contains(first) {
                    first
                } else {
                    "run"
                };
                let flags = flags_in(cmd);
                if !flags.is_empty() {
                    out.push(Documented {
                        doc: doc_name.clone(),
                        sub: sub.to_string(),
                        flags,
                        line: line.trim().to_string(),
                    });
                }
            }
        }
    }
    out
}

fn help(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_cargo-perf"))
        .arg("perf")
        .args(args)
        .arg("--help")
        .env("NO_COLOR", "1")
        .env("COLUMNS", "200")
        .output()
        .expect("run cargo-perf --help");
    assert!(
        out.status.success(),
        "cargo-perf perf {args:?} --help failed"
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The names listed under `Commands:` in a help text.
fn commands_of(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .filter(|c| c != "help")
        .collect()
}

#[test]
fn every_documented_flag_is_accepted_by_the_cli() {
    let top = help(&[]);
    let subcommands: BTreeSet<String> = commands_of(&top).into_iter().collect();
    assert!(
        subcommands.contains("ab") && subcommands.contains("run"),
        "{top}"
    );
    // Each subcommand's help, with the help of its own subcommands (`baseline show`, ...).
    let mut helps: BTreeMap<String, String> = BTreeMap::new();
    for sub in &subcommands {
        let mut text = help(&[sub]);
        for nested in commands_of(&text) {
            text.push_str(&help(&[sub, &nested]));
        }
        helps.insert(sub.clone(), text);
    }
    let documented = documented_commands(&subcommands);
    assert!(
        documented.len() > 20,
        "found only {} commands",
        documented.len()
    );
    let mut unknown = Vec::new();
    for d in &documented {
        let help = &helps[&d.sub];
        for flag in &d.flags {
            // clap lists `-o, --output <FILE>`, `--quick` and `--instructions[=<MODE>]`: a flag
            // is followed by one of these.
            let listed = [" ", ",", "\n", "=", "["]
                .iter()
                .any(|end| help.contains(&format!("{flag}{end}")));
            if !listed {
                unknown.push(format!("{}: `{flag}` of `{}` in: {}", d.doc, d.sub, d.line));
            }
        }
    }
    assert!(
        unknown.is_empty(),
        "flags the docs show that the CLI does not accept:\n  {}",
        unknown.join("\n  ")
    );
}
