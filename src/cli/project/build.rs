//! Builds the perf targets with `cargo build --message-format=json-render-diagnostics` and
//! collects their executables. Cargo's progress and diagnostics go to the user's stderr.

use std::collections::BTreeMap;
use std::io::BufReader;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use cargo_metadata::Message;

use super::workspace::{cargo_program, BuildOptions, PerfTarget, Workspace};
use crate::cli::errors::CliError;

/// A built perf target: where its executable is.
#[derive(Debug, Clone)]
pub struct BuiltTarget {
    pub target: PerfTarget,
    pub executable: PathBuf,
}

/// Build every perf target of `ws`, one `cargo build` per package (a `--bench X` flag applies
/// to every selected package, so packages are built separately to keep target names unambiguous).
pub fn build(ws: &Workspace, args: &BuildOptions) -> Result<Vec<BuiltTarget>, CliError> {
    let mut by_package: BTreeMap<&str, Vec<&PerfTarget>> = BTreeMap::new();
    for t in &ws.targets {
        by_package.entry(t.package.as_str()).or_default().push(t);
    }
    let mut built = Vec::new();
    // Keep the workspace's order of packages, not the map's.
    let mut order: Vec<&str> = Vec::new();
    for t in &ws.targets {
        if !order.contains(&t.package.as_str()) {
            order.push(&t.package);
        }
    }
    for package in order {
        let targets = &by_package[package];
        let executables = build_package(ws, args, package, targets)?;
        for t in targets {
            match executables.get(&(t.name.clone(), t.kind)) {
                Some(exe) => built.push(BuiltTarget {
                    target: (*t).clone(),
                    executable: exe.clone(),
                }),
                None => {
                    return Err(CliError::build(
                        format!(
                        "`cargo build` produced no executable for {} target `{}` of package `{}`",
                        t.kind.cargo_flag().trim_start_matches("--"),
                        t.name,
                        t.package
                    ),
                        "check the target's `required-features` and pass them with --features",
                    ))
                }
            }
        }
    }
    Ok(built)
}

type Executables = BTreeMap<(String, super::workspace::TargetKind), PathBuf>;

fn build_package(
    ws: &Workspace,
    args: &BuildOptions,
    package: &str,
    targets: &[&PerfTarget],
) -> Result<Executables, CliError> {
    let mut cmd = Command::new(cargo_program());
    cmd.arg("build")
        .arg("--message-format=json-render-diagnostics")
        .arg("--profile")
        .arg(&args.profile)
        .arg("--manifest-path")
        .arg(&ws.manifest_path)
        .arg("-p")
        .arg(package);
    for t in targets {
        cmd.arg(t.kind.cargo_flag()).arg(&t.name);
    }
    if let Some(dir) = &args.target_dir {
        cmd.arg("--target-dir").arg(dir);
    }
    for f in &args.features {
        cmd.arg("--features").arg(f);
    }
    if args.all_features {
        cmd.arg("--all-features");
    }
    if args.no_default_features {
        cmd.arg("--no-default-features");
    }
    cmd.current_dir(&ws.root)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut child = cmd.spawn().map_err(|e| {
        CliError::io(
            format!("cannot start `{}`: {e}", cargo_program().display()),
            "make sure cargo is installed and on PATH",
        )
    })?;
    let mut executables = Executables::new();
    if let Some(stdout) = child.stdout.take() {
        for message in Message::parse_stream(BufReader::new(stdout)).flatten() {
            if let Message::CompilerArtifact(artifact) = message {
                let Some(exe) = artifact.executable else {
                    continue;
                };
                let kind = if artifact.target.is_bench() {
                    super::workspace::TargetKind::Bench
                } else if artifact.target.is_test() {
                    super::workspace::TargetKind::Test
                } else {
                    continue;
                };
                executables.insert(
                    (artifact.target.name.clone(), kind),
                    exe.into_std_path_buf(),
                );
            }
        }
    }
    let status = child.wait().map_err(|e| {
        CliError::io(
            format!("waiting for `cargo build` failed: {e}"),
            "retry; if it persists, run `cargo build` yourself to see what happens",
        )
    })?;
    if !status.success() {
        return Err(CliError::build(
            format!("could not build the perf suites of package `{package}` (cargo {status})"),
            "fix the errors cargo reported above, then run `cargo perf` again",
        ));
    }
    Ok(executables)
}
