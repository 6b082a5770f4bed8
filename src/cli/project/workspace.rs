//! Finds the workspace, the packages to work on (`-p`, `--workspace`, or cargo's default) and
//! their perf targets (bench/test targets of packages that use `cargo-perf`) via cargo metadata.

use std::collections::BTreeSet;
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
    /// The selected packages (with or without perf targets), in selection order.
    pub packages: Vec<SelectedPackage>,
    /// Perf targets left out because their `required-features` are not enabled.
    pub skipped: Vec<SkippedTarget>,
}

/// A selected workspace member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectedPackage {
    pub name: String,
    /// Cargo's package id spec (`path+file:///..#name@1.0.0`): unlike the name, it is
    /// unambiguous when a dependency has the same name (a crate named `itoa` or `serde`
    /// that depends on cargo-perf, which pulls in the registry's `itoa` and `serde`).
    pub id: String,
}

/// A perf target that is not built: its `required-features` are off, as `cargo bench` skips it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedTarget {
    pub package: String,
    pub name: String,
    pub kind: TargetKind,
    pub missing_features: Vec<String>,
}

impl Workspace {
    /// The package id spec to pass to cargo's `-p` for the selected package `name`.
    pub fn package_spec<'a>(&'a self, name: &'a str) -> &'a str {
        self.packages
            .iter()
            .find(|p| p.name == name)
            .map_or(name, |p| p.id.as_str())
    }

    /// The names of the selected packages.
    pub fn package_names(&self) -> Vec<String> {
        self.packages.iter().map(|p| p.name.clone()).collect()
    }
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
    let packages = select_packages(&metadata, args, &start_manifest(args)?)?;
    workspace_of(&metadata, packages, args)
}

/// The workspace of another tree of the same project (`cargo perf ab`'s base checkout at
/// `args.manifest_path`), with the packages that `head` selected by name: their package ids
/// differ from head's (another path), and a package that the base does not have yet is left out.
pub fn discover_like(args: &BuildOptions, head: &Workspace) -> Result<Workspace, CliError> {
    let metadata = load_metadata(args)?;
    let names = head.package_names();
    let packages = metadata
        .workspace_packages()
        .into_iter()
        .filter(|p| names.iter().any(|n| n == p.name.as_str()))
        .collect();
    workspace_of(&metadata, packages, args)
}

/// Where cargo's package search starts: the given manifest or the current directory.
fn start_manifest(args: &BuildOptions) -> Result<PathBuf, CliError> {
    Ok(match &args.manifest_path {
        Some(p) => absolute(p),
        None => std::env::current_dir()
            .map_err(|e| {
                CliError::io(
                    format!("cannot read the current directory: {e}"),
                    "cd into your project and retry",
                )
            })?
            .join("Cargo.toml"),
    })
}

fn workspace_of(
    metadata: &Metadata,
    packages: Vec<&Package>,
    args: &BuildOptions,
) -> Result<Workspace, CliError> {
    let mut targets = Vec::new();
    let mut skipped = Vec::new();
    for package in &packages {
        if !uses_cargo_perf(package) {
            continue;
        }
        let root = package
            .manifest_path
            .parent()
            .map(|p| p.as_std_path().to_path_buf())
            .unwrap_or_default();
        let enabled = enabled_features(package, args);
        for target in &package.targets {
            if let Some(kind) = perf_target_kind(target) {
                let missing = missing_features(target, enabled.as_ref());
                if !missing.is_empty() {
                    skipped.push(SkippedTarget {
                        package: package.name.to_string(),
                        name: target.name.clone(),
                        kind,
                        missing_features: missing,
                    });
                    continue;
                }
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
        if let Some(s) = skipped.first() {
            return Err(CliError::config(
                format!(
                    "no perf suites found in {}: {} `{}` needs the feature(s) {}",
                    names.join(", "),
                    s.kind.cargo_flag().trim_start_matches("--"),
                    s.name,
                    s.missing_features.join(", ")
                ),
                format!(
                    "enable them, e.g. `cargo perf --features {}`",
                    s.missing_features.join(",")
                ),
            ));
        }
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
        packages: packages
            .iter()
            .map(|p| SelectedPackage {
                name: p.name.to_string(),
                id: p.id.repr.clone(),
            })
            .collect(),
        skipped,
    })
}

/// The features `args` turn on for `package`, closed over the feature table like cargo does;
/// `None` for `--all-features`.
fn enabled_features(package: &Package, args: &BuildOptions) -> Option<BTreeSet<String>> {
    if args.all_features {
        return None;
    }
    let mut todo: Vec<String> = Vec::new();
    if !args.no_default_features {
        todo.push("default".to_string());
    }
    for f in args.features.iter().flat_map(|f| f.split([' ', ','])) {
        match f.split_once('/') {
            // `package/feature` names one package's feature.
            Some((p, feature)) if p == package.name.as_str() => todo.push(feature.to_string()),
            Some(_) => {}
            None if !f.is_empty() => todo.push(f.to_string()),
            None => {}
        }
    }
    let mut enabled = BTreeSet::new();
    while let Some(f) = todo.pop() {
        if !enabled.insert(f.clone()) {
            continue;
        }
        for value in package.features.get(&f).into_iter().flatten() {
            if value.starts_with("dep:") || value.contains("?/") {
                continue;
            }
            // `dep/feature` also turns on the optional dependency's implicit feature `dep`.
            let name = value.split('/').next().unwrap_or(value);
            todo.push(name.to_string());
        }
    }
    Some(enabled)
}

/// The target's `required-features` that `enabled` lacks (`dep/feature` ones are cargo's call).
fn missing_features(target: &Target, enabled: Option<&BTreeSet<String>>) -> Vec<String> {
    let Some(enabled) = enabled else {
        return Vec::new();
    };
    target
        .required_features
        .iter()
        .filter(|f| !f.contains('/') && !enabled.contains(f.as_str()))
        .cloned()
        .collect()
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

/// Cargo's target directory for the workspace of `manifest_path` (or of the current
/// directory), as `cargo metadata` says (it knows `CARGO_TARGET_DIR` and `.cargo/config`).
pub fn target_directory(manifest_path: Option<&Path>) -> Result<PathBuf, CliError> {
    let args = BuildOptions {
        manifest_path: manifest_path.map(Path::to_path_buf),
        ..BuildOptions::default()
    };
    Ok(load_metadata(&args)?.target_directory.into_std_path_buf())
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

/// The workspace root: `cargo locate-project --workspace`, else the current directory (the
/// store commands also work on a bare `--store` outside any project).
pub fn root_or_current_dir(manifest_path: Option<&Path>) -> PathBuf {
    let mut cmd = std::process::Command::new(cargo_program());
    cmd.args(["locate-project", "--workspace", "--message-format", "plain"]);
    if let Some(p) = manifest_path {
        cmd.arg("--manifest-path").arg(p);
    }
    let located = cmd
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| {
            let path = PathBuf::from(String::from_utf8_lossy(&o.stdout).trim());
            path.parent().map(Path::to_path_buf)
        });
    located.unwrap_or_else(|| std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")))
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
            match members.iter().find(|p| matches_spec(p, spec)) {
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

/// Whether `spec` (cargo's package id spec: `name`, `name@1.2.3`, `name:1.2.3`, or a full
/// `path+file:///dir#name@1.2.3` / `file:///dir#1.2.3` as `cargo metadata` prints) names `package`.
fn matches_spec(package: &Package, spec: &str) -> bool {
    if spec == package.id.repr {
        return true;
    }
    let (url, rest) = match spec.rsplit_once('#') {
        Some((url, rest)) => (Some(url), rest),
        None => (None, spec),
    };
    let (name, version) = match rest.split_once(['@', ':']) {
        Some((n, v)) => (n, Some(v)),
        None => (rest, None),
    };
    // `url#1.2.3`: the name is the url's last path segment.
    let (name, version) = match (url, version) {
        (Some(url), None) if name.starts_with(|c: char| c.is_ascii_digit()) => {
            (url.rsplit('/').next().unwrap_or(""), Some(name))
        }
        _ => (name, version),
    };
    if name != package.name.as_str() {
        return false;
    }
    if let Some(v) = version {
        if package.version.to_string() != v {
            return false;
        }
    }
    if let Some(url) = url {
        let dir = package
            .manifest_path
            .parent()
            .map(|d| d.as_str().to_string())
            .unwrap_or_default();
        let path = url
            .trim_start_matches("path+")
            .trim_start_matches("file://");
        if path != dir {
            return false;
        }
    }
    true
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

    /// This repository's own `cargo-perf` package, as `cargo metadata` describes it.
    fn own_package() -> Package {
        let metadata = MetadataCommand::new()
            .cargo_path(cargo_program())
            .manifest_path(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
            .no_deps()
            .exec()
            .expect("cargo metadata on this repository");
        metadata
            .workspace_packages()
            .into_iter()
            .find(|p| p.name.as_str() == LIBRARY_PACKAGE)
            .expect("cargo-perf is a member")
            .clone()
    }

    #[test]
    fn package_specs_match_by_name_version_and_id() {
        let p = own_package();
        let version = p.version.to_string();
        assert!(matches_spec(&p, "cargo-perf"));
        assert!(matches_spec(&p, &format!("cargo-perf@{version}")));
        assert!(matches_spec(&p, &format!("cargo-perf:{version}")));
        assert!(matches_spec(&p, &p.id.repr));
        let dir = p.manifest_path.parent().unwrap().as_str().to_string();
        assert!(matches_spec(
            &p,
            &format!("path+file://{dir}#cargo-perf@{version}")
        ));
        assert!(!matches_spec(&p, "cargo-perf@99.0.0"));
        assert!(!matches_spec(&p, "perf-macros"));
        assert!(!matches_spec(
            &p,
            &format!("path+file:///elsewhere#cargo-perf@{version}")
        ));
    }

    #[test]
    fn required_features_follow_defaults_and_flags() {
        let p = own_package();
        let bin = p
            .targets
            .iter()
            .find(|t| t.is_bin())
            .expect("the cargo-perf binary, which requires `cli`");
        let missing =
            |args: &BuildOptions| missing_features(bin, enabled_features(&p, args).as_ref());
        // `cli` is a default feature.
        assert!(missing(&BuildOptions::default()).is_empty());
        let bare = BuildOptions {
            no_default_features: true,
            ..BuildOptions::default()
        };
        assert_eq!(missing(&bare), ["cli"]);
        for features in ["cli", "cargo-perf/cli", "x, cli"] {
            let on = BuildOptions {
                features: vec![features.into()],
                ..bare.clone()
            };
            assert!(missing(&on).is_empty(), "{features}");
        }
        let other = BuildOptions {
            features: vec!["other-package/cli".into()],
            ..bare.clone()
        };
        assert_eq!(missing(&other), ["cli"]);
        let all = BuildOptions {
            all_features: true,
            ..bare
        };
        assert!(missing(&all).is_empty());
    }

    #[test]
    fn outside_a_project_says_so() {
        let e = metadata_error(
            "error: could not find `Cargo.toml` in `/tmp/x` or any parent directory\n",
        );
        assert!(e.message().starts_with("not inside a Cargo project"), "{e}");
        assert!(e.help().contains("--manifest-path"), "{e}");
    }

    /// `ab` once recognised "the base has no perf suites" by the message's first words; the
    /// error now says so in its kind, which `ab` matches.
    #[test]
    fn a_project_without_perf_suites_is_its_own_kind_of_error() {
        let tmp = tempfile::tempdir().unwrap();
        let manifest = tmp.path().join("Cargo.toml");
        std::fs::write(
            &manifest,
            "[package]\nname = \"plain\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
        )
        .unwrap();
        std::fs::create_dir_all(tmp.path().join("src")).unwrap();
        std::fs::write(tmp.path().join("src/lib.rs"), "").unwrap();
        let e = discover(&BuildOptions {
            manifest_path: Some(manifest),
            profile: "bench".into(),
            ..BuildOptions::default()
        })
        .unwrap_err();
        assert_eq!(e.kind, crate::cli::errors::ErrorKind::NoSuites, "{e}");
        assert_eq!(e.exit_code(), 2);
    }
}
