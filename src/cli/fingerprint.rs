//! What makes two records comparable: the machine (detected here: id, CPU model, cores, OS,
//! arch), the compiler and the profile. Figures from different fingerprints differ for reasons
//! that are not the code, so comparing them is refused (unless forced) with a message naming
//! what differs.

use std::fmt;
use std::process::Command;

use serde::{Deserialize, Serialize};
use sysinfo::{CpuRefreshKind, RefreshKind, System};

use crate::cli::model::MachineInfo;

/// The machine running this process; `id` is `--machine NAME` when given, else the hostname.
pub fn detect(id_override: Option<&str>) -> MachineInfo {
    let system =
        System::new_with_specifics(RefreshKind::nothing().with_cpu(CpuRefreshKind::nothing()));
    let cpu = system
        .cpus()
        .first()
        .map(|c| c.brand().trim().to_string())
        .filter(|b| !b.is_empty())
        .unwrap_or_else(|| "unknown".to_string());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or_else(|_| system.cpus().len().max(1));
    let id = id_override
        .map(str::to_string)
        .or_else(System::host_name)
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown".to_string());
    let os = System::long_os_version()
        .or_else(System::name)
        .unwrap_or_else(|| std::env::consts::OS.to_string());
    MachineInfo {
        id,
        cpu,
        cores,
        os,
        arch: std::env::consts::ARCH.to_string(),
    }
}

/// Everything besides the code that decides how fast a test runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    pub machine: MachineInfo,
    /// `rustc -V`, e.g. `rustc 1.95.0 (59807616e 2026-04-14)`.
    pub rustc: String,
    /// The cargo profile the suites were built with (`bench` by default).
    pub profile: String,
}

/// Appended to the machine id that Valgrind-mode results (instruction counts, no timing) are
/// stored under, which is how a stored record says it holds instruction counts only.
pub const VALGRIND_MACHINE_SUFFIX: &str = "+valgrind";

/// What two records must share to be compared.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    /// Timing figures: the same machine (CPU, cores, OS, arch), compiler and profile.
    #[default]
    Timing,
    /// Instruction counts (Valgrind mode, no timing): the same architecture, compiler and
    /// profile; the CPU model, core count and OS may differ, so a baseline stored by one
    /// hosted-CI job is compared in the next, on whatever machine it lands.
    Instructions,
}

impl Scope {
    /// The scope of records stored under `machine_id`.
    pub fn of_machine(machine_id: &str) -> Scope {
        if machine_id.ends_with(VALGRIND_MACHINE_SUFFIX) {
            Scope::Instructions
        } else {
            Scope::Timing
        }
    }

    fn covers(self, field: &str) -> bool {
        match self {
            Scope::Timing => true,
            Scope::Instructions => matches!(field, "arch" | "rustc" | "profile"),
        }
    }
}

/// One field two fingerprints disagree on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldDiff {
    pub field: &'static str,
    pub base: String,
    pub head: String,
}

impl Fingerprint {
    /// The fields that differ, in a fixed order. The machine id is not one of them: records
    /// are looked up by id, and two ids on one machine are the user's explicit choice.
    pub fn differences(&self, head: &Fingerprint) -> Vec<FieldDiff> {
        self.differences_in(head, Scope::Timing)
    }

    /// The differing fields that matter to `scope`.
    pub fn differences_in(&self, head: &Fingerprint, scope: Scope) -> Vec<FieldDiff> {
        let (b, h) = (&self.machine, &head.machine);
        let pairs = [
            ("cpu", b.cpu.clone(), h.cpu.clone()),
            ("cores", b.cores.to_string(), h.cores.to_string()),
            ("os", b.os.clone(), h.os.clone()),
            ("arch", b.arch.clone(), h.arch.clone()),
            ("rustc", self.rustc.clone(), head.rustc.clone()),
            ("profile", self.profile.clone(), head.profile.clone()),
        ];
        pairs
            .into_iter()
            .filter(|(field, base, head)| base != head && scope.covers(field))
            .map(|(field, base, head)| FieldDiff { field, base, head })
            .collect()
    }
}

/// Comparing across fingerprints was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    pub differences: Vec<FieldDiff>,
}

impl Mismatch {
    /// The `help:` line for the user.
    pub fn help(&self) -> &'static str {
        "compare results measured with the same machine, compiler and profile, or pass \
         --force to compare anyway"
    }

    /// One line per difference, for a note when the comparison was forced.
    pub fn describe(&self) -> String {
        self.differences
            .iter()
            .map(|d| format!("{}: `{}` vs `{}`", d.field, d.base, d.head))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the baseline was measured under a different fingerprint ({})",
            self.describe()
        )
    }
}

/// `Ok` when the fingerprints match, or when `force` is set (then the differences are
/// returned so the report can say what was compared anyway).
pub fn check(
    base: &Fingerprint,
    head: &Fingerprint,
    force: bool,
    scope: Scope,
) -> Result<Vec<FieldDiff>, Mismatch> {
    let differences = base.differences_in(head, scope);
    if differences.is_empty() || force {
        Ok(differences)
    } else {
        Err(Mismatch { differences })
    }
}

/// The compiler cargo will use (`$RUSTC`, else `rustc`), as `rustc -V` prints it.
pub fn rustc_version() -> Result<String, String> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let out = Command::new(&rustc)
        .arg("-V")
        .output()
        .map_err(|e| format!("could not run `{} -V`: {e}", rustc.to_string_lossy()))?;
    if !out.status.success() {
        return Err(format!(
            "`{} -V` failed: {}",
            rustc.to_string_lossy(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fp() -> Fingerprint {
        Fingerprint {
            machine: MachineInfo {
                id: "box".into(),
                cpu: "Ryzen 9".into(),
                cores: 16,
                os: "Linux".into(),
                arch: "x86_64".into(),
            },
            rustc: "rustc 1.95.0".into(),
            profile: "bench".into(),
        }
    }

    #[test]
    fn identical_fingerprints_compare() {
        assert_eq!(check(&fp(), &fp(), false, Scope::Timing), Ok(vec![]));
        let mut other_id = fp();
        other_id.machine.id = "renamed".into();
        assert_eq!(check(&fp(), &other_id, false, Scope::Timing), Ok(vec![]));
    }

    #[test]
    fn a_mismatch_names_every_differing_field() {
        let mut head = fp();
        head.rustc = "rustc 1.96.0".into();
        head.machine.cores = 8;
        let err = check(&fp(), &head, false, Scope::Timing).unwrap_err();
        let fields: Vec<_> = err.differences.iter().map(|d| d.field).collect();
        assert_eq!(fields, ["cores", "rustc"]);
        let text = err.to_string();
        assert!(text.contains("cores: `16` vs `8`"), "{text}");
        assert!(
            text.contains("rustc: `rustc 1.95.0` vs `rustc 1.96.0`"),
            "{text}"
        );
        assert!(err.help().contains("--force"));
    }

    #[test]
    fn instruction_counts_compare_across_machines_of_one_arch_and_compiler() {
        let mut head = fp();
        head.machine.cpu = "EPYC 7763".into();
        head.machine.cores = 4;
        head.machine.os = "Ubuntu 24.04".into();
        assert!(check(&fp(), &head, false, Scope::Timing).is_err());
        assert_eq!(check(&fp(), &head, false, Scope::Instructions), Ok(vec![]));
        head.rustc = "rustc 1.96.0".into();
        head.machine.arch = "aarch64".into();
        let err = check(&fp(), &head, false, Scope::Instructions).unwrap_err();
        let fields: Vec<_> = err.differences.iter().map(|d| d.field).collect();
        assert_eq!(fields, ["arch", "rustc"]);
    }

    #[test]
    fn forcing_compares_and_keeps_the_differences() {
        let mut head = fp();
        head.profile = "release".into();
        let diffs = check(&fp(), &head, true, Scope::Timing).unwrap();
        assert_eq!(diffs.len(), 1);
        assert_eq!(
            (diffs[0].base.as_str(), diffs[0].head.as_str()),
            ("bench", "release")
        );
    }

    #[test]
    fn rustc_version_reads_the_real_compiler() {
        let v = rustc_version().expect("rustc runs in the test environment");
        assert!(v.starts_with("rustc "), "{v}");
    }

    #[test]
    fn describes_this_machine() {
        let m = detect(None);
        assert!(!m.id.is_empty());
        assert!(!m.cpu.is_empty());
        assert!(m.cores >= 1);
        assert!(!m.os.is_empty());
        assert_eq!(m.arch, std::env::consts::ARCH);
    }

    #[test]
    fn machine_flag_sets_the_id() {
        assert_eq!(detect(Some("ci-runner-1")).id, "ci-runner-1");
    }
}
