//! The base's built executables, kept aside per (commit, build options): a later
//! `cargo perf ab` against the same base reuses them instead of building the base again.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::cli::args::BuildArgs;
use crate::cli::build::BuiltTarget;
use crate::cli::workspace::{PerfTarget, TargetKind};

const INDEX_FILE: &str = "built.json";

#[derive(Debug, Serialize, Deserialize)]
struct CachedTarget {
    package: String,
    package_root: PathBuf,
    name: String,
    /// `bench` or `test`.
    kind: String,
    executable: PathBuf,
}

/// The directory holding `commit`'s executables of `packages` built with `args`: the options
/// are hashed in because another profile or feature set is another binary, and the selected
/// packages because the same flags select other packages from another directory.
pub fn dir_for(root: &Path, commit: &str, args: &BuildArgs, packages: &[String]) -> PathBuf {
    let mut options = args.clone();
    options.manifest_path = None;
    root.join(format!(
        "{commit}-{:016x}",
        fnv1a(format!("{options:?} {packages:?}").as_bytes())
    ))
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The cached executables, when the index is readable and every executable is still there.
pub fn load(dir: &Path) -> Option<Vec<BuiltTarget>> {
    let text = fs::read_to_string(dir.join(INDEX_FILE)).ok()?;
    let cached: Vec<CachedTarget> = serde_json::from_str(&text).ok()?;
    cached
        .into_iter()
        .map(|c| {
            let kind = match c.kind.as_str() {
                "bench" => TargetKind::Bench,
                "test" => TargetKind::Test,
                _ => return None,
            };
            c.executable.is_file().then_some(BuiltTarget {
                target: PerfTarget {
                    package: c.package,
                    package_root: c.package_root,
                    name: c.name,
                    kind,
                },
                executable: c.executable,
            })
        })
        .collect()
}

/// Copy `built` into `dir` and write the index last, so a half-copied set is never loaded.
pub fn store(dir: &Path, built: Vec<BuiltTarget>) -> io::Result<Vec<BuiltTarget>> {
    fs::create_dir_all(dir)?;
    let mut moved = Vec::with_capacity(built.len());
    let mut index = Vec::with_capacity(built.len());
    for b in built {
        let file = b.executable.file_name().unwrap_or_default();
        let dest = dir.join(file);
        fs::copy(&b.executable, &dest)?;
        index.push(CachedTarget {
            package: b.target.package.clone(),
            package_root: b.target.package_root.clone(),
            name: b.target.name.clone(),
            kind: match b.target.kind {
                TargetKind::Bench => "bench".into(),
                TargetKind::Test => "test".into(),
            },
            executable: dest.clone(),
        });
        moved.push(BuiltTarget {
            target: b.target,
            executable: dest,
        });
    }
    let json = serde_json::to_vec_pretty(&index).map_err(io::Error::other)?;
    let tmp = dir.join(format!("{INDEX_FILE}.tmp"));
    fs::write(&tmp, json)?;
    fs::rename(tmp, dir.join(INDEX_FILE))?;
    Ok(moved)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn built(dir: &Path, name: &str) -> BuiltTarget {
        let exe = dir.join(format!("{name}-0123"));
        fs::write(&exe, format!("binary {name}")).unwrap();
        BuiltTarget {
            target: PerfTarget {
                package: "demo".into(),
                package_root: dir.to_path_buf(),
                name: name.into(),
                kind: TargetKind::Bench,
            },
            executable: exe,
        }
    }

    #[test]
    fn stored_executables_come_back_and_a_missing_one_voids_the_cache() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("build");
        fs::create_dir_all(&out).unwrap();
        let args = BuildArgs::default();
        let dir = dir_for(&tmp.path().join("bin"), "abc", &args, &[]);
        assert!(load(&dir).is_none());
        let moved = store(&dir, vec![built(&out, "perf"), built(&out, "more")]).unwrap();
        assert!(moved.iter().all(|b| b.executable.starts_with(&dir)));
        let back = load(&dir).unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!(back[1].target.name, "more");
        assert_eq!(
            fs::read_to_string(&back[0].executable).unwrap(),
            "binary perf"
        );
        fs::remove_file(&back[1].executable).unwrap();
        assert!(load(&dir).is_none());
    }

    #[test]
    fn other_build_options_get_another_directory() {
        let root = Path::new("/t");
        let one = ["a".to_string()];
        let plain = BuildArgs::default();
        let featured = BuildArgs {
            features: vec!["simd".into()],
            ..BuildArgs::default()
        };
        let moved_manifest = BuildArgs {
            manifest_path: Some("/elsewhere/Cargo.toml".into()),
            ..BuildArgs::default()
        };
        assert_ne!(
            dir_for(root, "abc", &plain, &one),
            dir_for(root, "abc", &featured, &one)
        );
        assert_ne!(
            dir_for(root, "abc", &plain, &one),
            dir_for(root, "abd", &plain, &one)
        );
        assert_eq!(
            dir_for(root, "abc", &plain, &one),
            dir_for(root, "abc", &moved_manifest, &one)
        );
        // Run from a member's directory, the same flags select another package.
        assert_ne!(
            dir_for(root, "abc", &plain, &one),
            dir_for(root, "abc", &plain, &["a".to_string(), "b".to_string()])
        );
    }
}
