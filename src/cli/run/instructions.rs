//! `cargo perf --instructions`: which way instructions are counted on this machine (hardware
//! counters when the kernel gives them, else Callgrind when Valgrind is installed, else a
//! usage error), how a test process is started under Callgrind, and what the report says about
//! the mode.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cli::compare;
use crate::cli::errors::CliError;
use crate::cli::fingerprint;
use crate::cli::store::policy;
use crate::protocol::{Counting, TestKind, ENV_CALLGRIND_OUT};

/// `CARGO_PERF_VALGRIND`: the Valgrind executable to use (default `valgrind` on `PATH`).
pub const ENV_VALGRIND: &str = "CARGO_PERF_VALGRIND";
/// Processes per test in Valgrind mode unless `--processes` says otherwise: the count is
/// deterministic, so two processes are enough to see that they agree.
pub const VALGRIND_PROCESSES: u32 = 2;

/// What `--instructions[=MODE]` asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requested {
    /// Hardware counters when available, else Valgrind.
    Auto,
    Hardware,
    Valgrind,
}

/// The counting mode for `requested`: an error naming what is missing and what to install
/// when this machine can count neither way.
pub fn choose(requested: Requested) -> Result<Counting, CliError> {
    let hardware = || crate::measure::hardware_available();
    match requested {
        Requested::Hardware => hardware().map(|()| Counting::Hardware).map_err(|e| {
            CliError::config(
                format!("--instructions=hardware: {e}"),
                "use `--instructions=valgrind` (install valgrind) on machines without a PMU",
            )
        }),
        Requested::Valgrind => valgrind_version()
            .map(|_| Counting::Valgrind)
            .map_err(|e| CliError::config(format!("--instructions=valgrind: {e}"), install_help())),
        Requested::Auto => match hardware() {
            Ok(()) => Ok(Counting::Hardware),
            Err(hw) => match valgrind_version() {
                Ok(_) => Ok(Counting::Valgrind),
                Err(vg) => Err(CliError::config(
                    format!("--instructions: cannot count instructions here: {hw}, and {vg}"),
                    install_help(),
                )),
            },
        },
    }
}

/// The counting mode of a command's `--instructions` (`None`: not given, nothing counted).
pub fn chosen(requested: Option<Requested>) -> Result<Counting, CliError> {
    requested.map_or(Ok(Counting::Off), choose)
}

fn install_help() -> String {
    format!(
        "install valgrind (e.g. `sudo apt-get install valgrind`, `dnf install valgrind`), or set \
         {ENV_VALGRIND} to its path"
    )
}

fn valgrind_program() -> PathBuf {
    std::env::var_os(ENV_VALGRIND)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("valgrind"))
}

/// `valgrind --version` (e.g. `valgrind-3.19.0`), or why it cannot run.
pub fn valgrind_version() -> Result<String, String> {
    let program = valgrind_program();
    let out = Command::new(&program)
        .arg("--version")
        .output()
        .map_err(|e| format!("Valgrind is not installed (`{}`: {e})", program.display()))?;
    let version = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if !out.status.success() || !version.starts_with("valgrind") {
        return Err(format!(
            "`{} --version` did not answer like Valgrind",
            program.display()
        ));
    }
    Ok(version)
}

/// The counting mode of one test: load tests are timed as usual (their operations interleave
/// on a runtime, which a per-iteration count does not describe).
pub fn for_test(counting: Counting, kind: TestKind) -> Counting {
    match kind {
        TestKind::Bench => counting,
        TestKind::Load => Counting::Off,
    }
}

/// The command that runs one test process of `executable`: itself, or under Callgrind with
/// collection off until the harness's first counting region, dumping to `callgrind_out`.
pub fn command(executable: &Path, counting: Counting, callgrind_out: &Path) -> Command {
    if counting != Counting::Valgrind {
        return Command::new(executable);
    }
    let mut cmd = Command::new(valgrind_program());
    cmd.arg("--tool=callgrind")
        .arg("--collect-atstart=no")
        .arg(format!("--callgrind-out-file={}", callgrind_out.display()))
        .arg("--quiet")
        .arg(executable)
        .env(ENV_CALLGRIND_OUT, callgrind_out);
    cmd
}

/// Valgrind-mode results are stored apart from timed ones (machine id `<id>+valgrind`): a
/// record holds one kind of figure, so a timed run never finds an untimed baseline, and they
/// are compared across machines of one architecture and compiler
/// ([`fingerprint::Scope::Instructions`]).
pub fn store_options(counting: Counting, opts: &mut policy::Options) {
    if counting == Counting::Valgrind {
        let id = &mut opts.fingerprint.machine.id;
        id.push_str(fingerprint::VALGRIND_MACHINE_SUFFIX);
        opts.scope = fingerprint::Scope::of_machine(id);
    }
}

/// What the report says about the mode, once.
pub fn note(counting: Counting) -> Option<String> {
    let threshold = format!("{}%", compare::exact::INSTRUCTIONS_THRESHOLD * 100.0);
    match counting {
        Counting::Off => None,
        Counting::Hardware => Some(format!(
            "instructions counted with hardware counters (user space); instruction counts are \
             compared as a deterministic metric: a change above {threshold} counts, with no \
             between-process noise model"
        )),
        Counting::Valgrind => Some(format!(
            "instructions counted under Valgrind (Callgrind, measured region only): timing \
             figures are not measured in this mode and not compared; instruction counts are \
             compared as a deterministic metric: a change above {threshold} counts, with no \
             between-process noise model"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_tests_are_timed_and_plain_runs_are_not_wrapped() {
        assert_eq!(for_test(Counting::Valgrind, TestKind::Load), Counting::Off);
        assert_eq!(
            for_test(Counting::Valgrind, TestKind::Bench),
            Counting::Valgrind
        );
        let plain = command(Path::new("/bin/true"), Counting::Off, Path::new("/tmp/x"));
        assert_eq!(plain.get_program(), "/bin/true");
        let wrapped = command(
            Path::new("/bin/true"),
            Counting::Valgrind,
            Path::new("/tmp/x"),
        );
        let args: Vec<_> = wrapped.get_args().map(|a| a.to_string_lossy()).collect();
        assert!(args.contains(&"--collect-atstart=no".into()), "{args:?}");
        assert_eq!(args.last().map(|a| a.as_ref()), Some("/bin/true"));
        assert!(note(Counting::Valgrind).unwrap().contains("not compared"));
        assert_eq!(note(Counting::Off), None);
    }
}
