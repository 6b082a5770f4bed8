//! `cargo perf baseline list | show REF | rm REF`: the stored results, read and pruned.

use std::fmt::Write;

use crate::cli::compare::primary_metric;
use crate::cli::report::figures::{metric_value, short};
use crate::cli::report::model::Status;
use crate::cli::results::{Problem, Workspace};
use crate::cli::store::Record;

/// One line per stored record of `machine_id`, oldest first, then the damaged files.
pub fn list(ws: &Workspace, machine_id: &str) -> String {
    let listing = ws.store.list(Some(machine_id));
    let mut out = String::new();
    if listing.records.is_empty() {
        let _ = writeln!(
            out,
            "no stored results for machine `{machine_id}` in {}",
            ws.store.dir().display()
        );
    }
    for r in &listing.records {
        let _ = writeln!(
            out,
            "{}  {}  {:<12} {:>3} test{}  {}{}",
            short(&r.commit),
            r.time,
            r.branch.as_deref().unwrap_or("-"),
            r.tests.len(),
            if r.tests.len() == 1 { " " } else { "s" },
            r.rustc,
            if r.dirty { "  (dirty)" } else { "" }
        );
    }
    for d in &listing.damaged {
        let _ = writeln!(out, "warning: {d}");
    }
    out
}

/// The record `spec` names, in full.
pub fn show(ws: &Workspace, machine_id: &str, spec: &str) -> Result<(Record, String), Problem> {
    let commit = ws.resolve(spec, machine_id)?;
    let r = ws.load_required(spec, &commit, machine_id)?;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "commit   {}{}",
        r.commit,
        if r.dirty { " (dirty)" } else { "" }
    );
    let _ = writeln!(out, "time     {}", r.time);
    if let Some(b) = &r.branch {
        let _ = writeln!(out, "branch   {b}");
    }
    let m = &r.machine;
    let _ = writeln!(
        out,
        "machine  {} ({}, {} cores, {} {})",
        m.id, m.cpu, m.cores, m.os, m.arch
    );
    let _ = writeln!(out, "rustc    {} · profile {}", r.rustc, r.profile);
    let _ = writeln!(
        out,
        "tool     cargo-perf {} (store schema {})\n",
        r.tool_version, r.schema_version
    );
    for t in &r.tests {
        let metric = primary_metric(t.kind);
        let value = match t.status {
            Status::Error => format!("error: {}", t.error.as_deref().unwrap_or("")),
            _ => metric.get(&t.metrics).map_or_else(
                || "–".to_owned(),
                |v| format!("{} {}", metric.name(), metric_value(metric.name(), v)),
            ),
        };
        let _ = writeln!(
            out,
            "  {:<40} {value}  ({} process{})",
            t.id,
            t.processes.len(),
            if t.processes.len() == 1 { "" } else { "es" }
        );
    }
    Ok((r, out))
}

/// Deletes the record `spec` names; an error when there is none.
pub fn remove(ws: &Workspace, machine_id: &str, spec: &str) -> Result<String, Problem> {
    let commit = ws.resolve(spec, machine_id)?;
    let path = ws.store.record_path(machine_id, &commit);
    if ws.store.remove(machine_id, &commit)? {
        Ok(format!(
            "removed the results of {} ({})\n",
            short(&commit),
            path.display()
        ))
    } else {
        Err(Problem::new(
            format!(
                "no stored results for `{spec}` (commit {}) on machine `{machine_id}`",
                short(&commit)
            ),
            "see `cargo perf baseline list` for what is stored",
        ))
    }
}
