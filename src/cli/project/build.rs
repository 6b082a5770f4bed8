//! Builds the perf targets with `cargo build --message-format=json` and collects their
//! executables where cargo says it put them. Cargo's progress and the compiler's rendered
//! diagnostics go to the user's stderr; a failed build names the target that did not compile.

use std::collections::BTreeMap;
use std::io::{BufReader, IsTerminal, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use cargo_metadata::diagnostic::DiagnosticLevel;
use cargo_metadata::{Message, Target};

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
/// Targets skipped for missing features are told to `note` (the caller's reporter), not printed
/// here.
pub fn build(
    ws: &Workspace,
    args: &BuildOptions,
    note: &mut dyn FnMut(String),
) -> Result<Vec<BuiltTarget>, CliError> {
    for s in &ws.skipped {
        note(format!(
            "skipping {} `{}` of package `{}`: it requires the feature(s) {} (pass `--features {}`)",
            s.kind.cargo_flag().trim_start_matches("--"),
            s.name,
            s.package,
            s.missing_features.join(", "),
            s.missing_features.join(","),
        ));
    }
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
    // Rendered with colours when they reach a terminal, as cargo itself would.
    let format = if std::io::stderr().is_terminal() {
        "--message-format=json-diagnostic-rendered-ansi"
    } else {
        "--message-format=json"
    };
    let mut cmd = Command::new(cargo_program());
    cmd.arg("build")
        .arg(format)
        .arg("--profile")
        .arg(&args.profile)
        .arg("--manifest-path")
        .arg(&ws.manifest_path)
        .arg("-p")
        .arg(ws.package_spec(package));
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
    // The targets the compiler reported errors for, in order.
    let mut failed: Vec<(Target, String)> = Vec::new();
    if let Some(stdout) = child.stdout.take() {
        let mut stderr = std::io::stderr().lock();
        for message in Message::parse_stream(BufReader::new(stdout)).flatten() {
            if let Message::CompilerMessage(m) = &message {
                if let Some(rendered) = &m.message.rendered {
                    let _ = stderr.write_all(rendered.as_bytes());
                }
                let error = matches!(
                    m.message.level,
                    DiagnosticLevel::Error | DiagnosticLevel::Ice
                );
                let package = package_name(&m.package_id.repr).to_string();
                if error && !failed.iter().any(|(t, p)| *t == m.target && *p == package) {
                    failed.push((m.target.clone(), package));
                }
                continue;
            }
            if let Message::TextLine(line) = &message {
                let _ = writeln!(stderr, "{line}");
                continue;
            }
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
        return Err(build_failure(package, &failed, targets, status));
    }
    Ok(executables)
}

/// The error for a failed build: which target did not compile, and how to leave it out.
fn build_failure(
    package: &str,
    failed: &[(Target, String)],
    targets: &[&PerfTarget],
    status: std::process::ExitStatus,
) -> CliError {
    let Some((first, first_package)) = failed.first() else {
        // Not the compiler: a build script, a dependency that cannot be fetched, a bad flag.
        return CliError::build(
            format!("could not build the perf suites of package `{package}` (cargo {status})"),
            "fix the errors cargo reported above, then run `cargo perf` again",
        );
    };
    let names: Vec<String> = failed
        .iter()
        .map(|(t, p)| {
            if p == package {
                describe(t)
            } else {
                format!("{} of dependency `{p}`", describe(t))
            }
        })
        .collect();
    let suite = targets.iter().find(|t| {
        first_package == package && t.name == first.name && (first.is_bench() || first.is_test())
    });
    match suite {
        Some(t) => CliError::build(
            format!(
                "could not build {} of package `{package}`: it does not compile",
                names.join(", ")
            ),
            format!(
                "fix the errors above; to leave `{name}` out of `cargo perf` meanwhile, give its \
                 `[[{kind}]]` a `required-features = [\"...\"]` that is off by default \
                 (only targets whose source calls `cargo_perf::main!()` are built)",
                name = t.name,
                kind = t.kind.cargo_flag().trim_start_matches("--"),
            ),
        ),
        None => CliError::build(
            format!(
                "could not build the perf suites of package `{package}`: {} does not compile",
                names.join(", ")
            ),
            "fix the errors cargo reported above (`cargo build --benches` shows them too)",
        ),
    }
}

/// The name in a package id (`registry+https://..#serde@1.0.1`, `path+file:///d/itoa#0.1.0`).
fn package_name(id: &str) -> &str {
    let Some((url, rest)) = id.rsplit_once('#') else {
        return id.split(' ').next().unwrap_or(id);
    };
    match rest.split_once('@') {
        Some((name, _)) => name,
        None => url.rsplit('/').next().unwrap_or(rest),
    }
}

/// `bench target `perf``, `the library`, ...
fn describe(target: &Target) -> String {
    if target.is_lib() || target.is_proc_macro() {
        format!("the library `{}`", target.name)
    } else if target.is_custom_build() {
        "the build script".to_string()
    } else {
        let kind = target
            .kind
            .first()
            .map(|k| k.to_string())
            .unwrap_or_else(|| "target".into());
        format!("{kind} target `{}`", target.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_names_come_out_of_every_id_form() {
        assert_eq!(
            package_name("registry+https://github.com/rust-lang/crates.io-index#itoa@1.0.19"),
            "itoa"
        );
        assert_eq!(package_name("path+file:///work/itoa#itoa@0.1.0"), "itoa");
        assert_eq!(package_name("path+file:///work/itoa#0.1.0"), "itoa");
        // The pre-1.77 form.
        assert_eq!(package_name("itoa 0.1.0 (path+file:///work/itoa)"), "itoa");
    }
}
