//! Finds the workspace, the packages to work on (`-p`, `--workspace`, or cargo's default) and
//! their perf targets (bench/test targets of packages that use `cargo-perf`) via cargo metadata.

use std::path::{Path, PathBuf};

use cargo_metadata::{Metadata, MetadataCommand, Package, Target};

use crate::cli::errors::CliError;

/// The package that provides `#[perf_test]`; its users (and itself) have perf suites.
const LIBRARY_PACKAGE: &str = "cargo-perf";

/// Which packages and features to build, as cargo's own flags say it (`-p`, `--features`, ...).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildOptions {
    pub packages: Vec<String>,
    pub workspace: bool,
    pub manifest_path: Option<PathBuf>,
    pub features: Vec<String>,
    pub all_features: bool,
    pub no_default_features: bool,
    pub profile: String,
    /// Build into this target directory instead of the workspace's (`ab`'s base builds apart:
    /// passed to cargo as `--target-dir`, never through the process environment).
    pub target_dir: Option<PathBuf>,
}

#[derive(Debug, Clone)]
pub struct Workspace {
    pub root: PathBuf,
    /// The workspace's Cargo.toml, which builds are run against.
    pub manifest_path: PathBuf,
    pub target_directory: PathBuf,
    /// The selected packages' perf targets, in package then target order.
    pub targets: Vec<PerfTarget>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TargetKind {
    Bench,
    Test,
}

impl TargetKind {
    /// The `cargo build` flag that selects a target of this kind.
    pub fn cargo_flag(self) -> &'static str {
        match self {
            TargetKind::Bench => "--bench",
            TargetKind::Test => "--test",
        }
    }
}

/// One bench or test target that may hold perf tests (the harness marker decides after the build).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PerfTarget {
    pub package: String,
    /// The package's directory: suites run with it as their working directory, like `cargo bench`.
    pub package_root: PathBuf,
    pub name: String,
    pub kind: TargetKind,
}

/// Run `cargo metadata` and select the perf targets.
pub fn discover(args: &BuildOptions) -> Result<Workspace, CliError> {
    let metadata = load_metadata(args)?;
    let start = match &args.manifest_path {
        Some(p) => absolute(p),
        None => std::env::current_dir()
            .map_err(|e| {
                CliError::io(
                    format!("cannot read the current directory: {e}"),
                    "cd into your project and retry",
                )
            })?
            .join("Cargo.toml"),
    };
    let packages = select_packages(&metadata, args, &start)?;
    let mut targets = Vec::new();
    for package in &packages {
        if !uses_cargo_perf(package) {
            continue;
        }
        let root = package
            .manifest_path
            .parent()
            .map(|p| p.as_std_path().to_path_buf())
            .unwrap_or_default();
        for target in &package.targets {
            if let Some(kind) = perf_target_kind(target) {
                targets.push(PerfTarget {
                    package: package.name.to_string(),
                    package_root: root.clone(),
                    name: target.name.clone(),
                    kind,
                });
            }
        }
    }
    let root = metadata.workspace_root.as_std_path().to_path_buf();
    if targets.is_empty() {
        let names: Vec<&str> = packages.iter().map(|p| p.name.as_str()).collect();
        return Err(CliError::new(
            crate::cli::errors::ErrorKind::NoSuites,
            format!("no perf suites found in {}", names.join(", ")),
            "add a `[[bench]]` target with `harness = false` whose file has `#[perf_test]` functions \
             and ends with `cargo_perf::main!()`, and `cargo-perf` under [dev-dependencies]",
        ));
    }
    Ok(Workspace {
        manifest_path: root.join("Cargo.toml"),
        target_directory: metadata.target_directory.as_std_path().to_path_buf(),
        root,
        targets,
    })
}

fn absolute(p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(p))
            .unwrap_or_else(|_| p.to_path_buf())
    }
}

fn load_metadata(args: &BuildOptions) -> Result<Metadata, CliError> {
    let mut cmd = MetadataCommand::new();
    cmd.cargo_path(cargo_program()).no_deps();
    if let Some(path) = &args.manifest_path {
        if !path.is_file() {
            return Err(CliError::config(
                format!("manifest path `{}` does not exist", path.display()),
                "pass the path of a Cargo.toml to --manifest-path",
            ));
        }
        cmd.manifest_path(path);
    }
    cmd.exec().map_err(|e| match e {
        cargo_metadata::Error::CargoMetadata { stderr } => metadata_error(&stderr),
        other => CliError::config(
            format!("`cargo metadata` failed: {other}"),
            "check that `cargo metadata` works in this directory",
        ),
    })
}

/// The cargo that invoked us (cargo sets `CARGO` for subcommands), else the one on PATH.
pub fn cargo_program() -> PathBuf {
    std::env::var_os("CARGO")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("cargo"))
}

fn metadata_error(stderr: &str) -> CliError {
    let first = stderr
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("cargo metadata failed");
    let what = first.trim_start_matches("error:").trim().to_string();
    if what.contains("could not find `Cargo.toml`") {
        CliError::config(
            format!("not inside a Cargo project: {what}"),
            "run `cargo perf` in a crate or workspace directory, or pass --manifest-path PATH/Cargo.toml",
        )
    } else {
        CliError::config(
            format!("cannot read the workspace: {what}"),
            "fix the Cargo.toml problem above (`cargo metadata` shows it too) and retry",
        )
    }
}

/// Like cargo: `-p` names packages, `--workspace` takes every member, otherwise the package
/// whose manifest is nearest the current directory, or the default members of a virtual workspace.
fn select_packages<'m>(
    metadata: &'m Metadata,
    args: &BuildOptions,
    start: &Path,
) -> Result<Vec<&'m Package>, CliError> {
    let members = metadata.workspace_packages();
    if args.workspace {
        return Ok(members);
    }
    if !args.packages.is_empty() {
        let mut out = Vec::new();
        for spec in &args.packages {
            let name = spec.split(['@', ':']).next().unwrap_or(spec);
            match members.iter().find(|p| p.name.as_str() == name) {
                Some(p) => out.push(*p),
                None => {
                    let names: Vec<&str> = members.iter().map(|p| p.name.as_str()).collect();
                    return Err(CliError::config(
                        format!("package `{spec}` is not a member of the workspace"),
                        format!("the members are: {}", names.join(", ")),
                    ));
                }
            }
        }
        return Ok(out);
    }
    if let Some(manifest) = nearest_manifest(start) {
        if let Some(p) = members
            .iter()
            .find(|p| p.manifest_path.as_std_path() == manifest)
        {
            return Ok(vec![*p]);
        }
    }
    if metadata.workspace_default_members.is_available() {
        let defaults = metadata.workspace_default_packages();
        if !defaults.is_empty() {
            return Ok(defaults);
        }
    }
    Ok(members)
}

/// `start` if it is a manifest, else the first Cargo.toml in its directory or a parent.
fn nearest_manifest(start: &Path) -> Option<PathBuf> {
    if start.is_file() {
        return start.canonicalize().ok();
    }
    let mut dir = start.parent();
    while let Some(d) = dir {
        let candidate = d.join("Cargo.toml");
        if candidate.is_file() {
            return candidate.canonicalize().ok();
        }
        dir = d.parent();
    }
    None
}

fn uses_cargo_perf(package: &Package) -> bool {
    package.name.as_str() == LIBRARY_PACKAGE
        || package
            .dependencies
            .iter()
            .any(|d| d.name == LIBRARY_PACKAGE)
}

/// A bench or test target whose source looks like a perf suite (it names the library and calls
/// `main!`): a cheap pre-filter, so that ordinary integration tests are not built for nothing.
/// The harness marker in the built executable has the final word.
fn perf_target_kind(target: &Target) -> Option<TargetKind> {
    let kind = if target.is_bench() {
        TargetKind::Bench
    } else if target.is_test() {
        TargetKind::Test
    } else {
        return None;
    };
    let source = std::fs::read_to_string(&target.src_path).ok()?;
    looks_like_suite(&source).then_some(kind)
}

fn looks_like_suite(source: &str) -> bool {
    (source.contains("perf_test") || source.contains("cargo_perf")) && source.contains("main!")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_this_repositorys_own_manifest() {
        let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/cli");
        let found = nearest_manifest(&here.join("Cargo.toml")).expect("a manifest above src/cli");
        assert_eq!(
            found,
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("Cargo.toml")
                .canonicalize()
                .unwrap()
        );
    }

    #[test]
    fn missing_manifest_path_is_a_config_error() {
        let args = BuildOptions {
            manifest_path: Some(PathBuf::from("/definitely/not/here/Cargo.toml")),
            ..BuildOptions::default()
        };
        let e = discover(&args).unwrap_err();
        assert_eq!(e.kind, crate::cli::errors::ErrorKind::Config, "{e}");
        assert!(e.message().contains("/definitely/not/here"), "{e}");
    }

    #[test]
    fn only_sources_that_call_main_look_like_suites() {
        assert!(looks_like_suite(
            "use cargo_perf::perf_test;\n#[perf_test] fn f(b: &mut Bencher) {}\ncargo_perf::main!();"
        ));
        // An integration test that merely uses the library is not a suite.
        assert!(!looks_like_suite(
            "use cargo_perf::memory::thread_counts;\n#[test] fn t() {}"
        ));
        assert!(!looks_like_suite("fn main() {}"));
    }

    #[test]
    fn outside_a_project_says_so() {
        let e = metadata_error(
            "error: could not find `Cargo.toml` in `/tmp/x` or any parent directory\n",
        );
        assert!(e.message().starts_with("not inside a Cargo project"), "{e}");
        assert!(e.help().contains("--manifest-path"), "{e}");
    }
}
