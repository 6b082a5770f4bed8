//! `cargo perf baseline list | show REF`'s text: the stored records, one line each, or one
//! record in full.

use std::fmt::Write;
use std::path::Path;

use crate::cli::compare::primary_metric;
use crate::cli::model::Status;
use crate::cli::report::words::{metric_value, short};
use crate::cli::store::{Listing, Record};

/// One line per stored record of `machine_id`, oldest first, then the damaged files.
pub fn list(listing: &Listing, machine_id: &str, store_dir: &Path) -> String {
    let mut out = String::new();
    if listing.records.is_empty() {
        let _ = writeln!(
            out,
            "no stored results for machine `{machine_id}` in {}",
            store_dir.display()
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

/// One record, in full.
pub fn show(r: &Record) -> String {
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
    out
}
