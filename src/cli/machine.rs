//! Describes the machine results are measured on (contract: id, CPU model, cores, OS, arch).

use sysinfo::{CpuRefreshKind, RefreshKind, System};

use super::model::MachineInfo;

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

#[cfg(test)]
mod tests {
    use super::*;

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
