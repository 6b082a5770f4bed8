//! `cargo perf report [-o FILE]`: the stored records along HEAD's first parents → the newest
//! (the last run) compared with the one before it, and every test's history → one
//! self-contained HTML file, its path said on stderr.

use std::path::PathBuf;

use crate::cli::args::ReportArgs;
use crate::cli::compare::history;
use crate::cli::errors::{exit, CliError};
use crate::cli::project::workspace;
use crate::cli::report::{self, html};
use crate::cli::store::policy::{self, Session};

pub fn run(args: &ReportArgs) -> Result<i32, CliError> {
    let opts = super::store_options(&args.store, args.threshold, args.force);
    let machine_id = &opts.fingerprint.machine.id;
    let session = Session::open(&opts)?;
    let (records, notes) = session.history_records(machine_id, args.n.max(1));
    let Some((head, older)) = records.split_last() else {
        return Err(CliError::store(
            format!("no stored results for machine `{machine_id}`"),
            "run `cargo perf` on a clean commit (or with --save) first; the report shows what it stored",
        ));
    };
    let base = older.last();
    let mut compared =
        policy::compare_records(head, base.map(|b| (None, b)), &opts, Some(&session))?;
    compared.notes.extend(notes);
    let series = history::series(&records, None, &opts.compare);
    let page = html::render(&html::Page {
        report: &compared,
        base: base.map_or(&[], |b| &b.tests),
        history: &series,
        measured_at: &head.time,
    });

    let path = match &args.output {
        Some(path) => path.clone(),
        None => default_path(&args.store.manifest_path, &opts.workspace_root)?,
    };
    report::write_file(&path, &page, "-o")?;
    eprintln!("wrote the HTML report to {}", path.display());
    Ok(exit::OK)
}

/// `target/cargo-perf/report.html` in cargo's target directory (created when missing); a
/// bare store outside any project gets `target/` under the current root.
fn default_path(manifest: &Option<PathBuf>, root: &std::path::Path) -> Result<PathBuf, CliError> {
    let target =
        workspace::target_directory(manifest.as_deref()).unwrap_or_else(|_| root.join("target"));
    let dir = target.join("cargo-perf");
    std::fs::create_dir_all(&dir).map_err(|e| {
        CliError::io(
            format!("cannot create {}: {e}", dir.display()),
            "pass -o FILE in a writable directory",
        )
    })?;
    Ok(dir.join("report.html"))
}
