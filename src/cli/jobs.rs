//! Which share of a job this process is: `M/N` written out, or `ci`, the index and count that
//! the engine which started the process hands it. Shared by `--partition` (suite shards) and
//! `--segment` (load segments), so both read the same variables the same way.
//!
//! `ci` reads the first pair that is set:
//! - `CARGO_PERF_JOB_INDEX` (0-based) and `CARGO_PERF_JOB_TOTAL`: the generic pair, set by a
//!   GitHub Actions matrix (`${{ strategy.job-index }}`, `${{ strategy.job-total }}`), Slurm,
//!   Nomad, `mpirun` or an SSH loop;
//! - `JOB_COMPLETION_INDEX` (0-based, set by a Kubernetes Indexed Job) and `CARGO_PERF_JOB_TOTAL`
//!   (Kubernetes does not pass the completion count; `cargo perf k8s-job` sets it);
//! - `CI_NODE_INDEX` (1-based) and `CI_NODE_TOTAL`: GitLab's `parallel:`.

use std::fmt;

use crate::cli::errors::CliError;

/// The generic pair's variables; the Kubernetes pair reuses the total.
pub const ENV_JOB_INDEX: &str = "CARGO_PERF_JOB_INDEX";
pub const ENV_JOB_TOTAL: &str = "CARGO_PERF_JOB_TOTAL";
pub const ENV_K8S_INDEX: &str = "JOB_COMPLETION_INDEX";
pub const ENV_GITLAB_INDEX: &str = "CI_NODE_INDEX";
pub const ENV_GITLAB_TOTAL: &str = "CI_NODE_TOTAL";

/// The most shares a job can be split into: far above any CI matrix (GitHub allows 256 jobs),
/// low enough that a typo (`1/30000`) is caught rather than run as empty shards.
pub const MAX_SHARES: u32 = 10_000;

/// One share of N: `index` is 0-based; it is written 1-based (`2/3` is the second of three),
/// as nextest's partitions are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct JobIndex {
    pub index: u32,
    pub count: u32,
}

impl fmt::Display for JobIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index + 1, self.count)
    }
}

impl JobIndex {
    /// Parses `M/N` (1-based M) or `ci` (read from `env`, see the module docs). `flag` names the
    /// option in error messages (`--partition hash:`, `--segment`).
    pub fn parse(
        spec: &str,
        flag: &str,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<JobIndex, CliError> {
        if spec == "ci" {
            return from_env(flag, env);
        }
        let bad = |why: &str| {
            CliError::usage(
                format!("{flag}{spec}: {why}"),
                format!(
                    "write M/N with 1 <= M <= N (`{flag}2/3` is the second of three), or \
                     `{flag}ci` to read the CI's job index"
                ),
            )
        };
        let (m, n) = spec.split_once('/').ok_or_else(|| bad("expected M/N"))?;
        let m: u32 = m
            .trim()
            .parse()
            .map_err(|_| bad("M is not a whole number"))?;
        let n: u32 = n
            .trim()
            .parse()
            .map_err(|_| bad("N is not a whole number"))?;
        JobIndex::one_based(m, n).map_err(|why| bad(&why))
    }

    /// The share `m` (1-based) of `n`, checked.
    pub fn one_based(m: u32, n: u32) -> Result<JobIndex, String> {
        if n == 0 {
            return Err("N must be at least 1".into());
        }
        if n > MAX_SHARES {
            return Err(format!("N is above the limit of {MAX_SHARES}"));
        }
        if m == 0 || m > n {
            return Err(format!("M must be between 1 and {n}"));
        }
        Ok(JobIndex {
            index: m - 1,
            count: n,
        })
    }

    /// Whether this is the only share (`1/1`): the whole job.
    pub fn is_whole(&self) -> bool {
        self.count == 1
    }
}

/// The first pair of variables that is set, as a share; an error naming the variables when
/// none is, or when the one found is malformed.
fn from_env(flag: &str, env: impl Fn(&str) -> Option<String>) -> Result<JobIndex, CliError> {
    // (index variable, total variable, whether the index is 1-based)
    let pairs = [
        (ENV_JOB_INDEX, ENV_JOB_TOTAL, false),
        (ENV_K8S_INDEX, ENV_JOB_TOTAL, false),
        (ENV_GITLAB_INDEX, ENV_GITLAB_TOTAL, true),
    ];
    let Some((index_var, total_var, one_based, index)) = pairs
        .iter()
        .find_map(|&(i, t, one)| env(i).map(|v| (i, t, one, v)))
    else {
        return Err(CliError::usage(
            format!(
                "{flag}ci: no job index in the environment (looked for {ENV_JOB_INDEX}, \
                 {ENV_K8S_INDEX} and {ENV_GITLAB_INDEX})"
            ),
            format!(
                "set {ENV_JOB_INDEX} (0-based) and {ENV_JOB_TOTAL}, or write the share out: \
                 {flag}M/N"
            ),
        ));
    };
    let bad = |why: String| {
        CliError::usage(
            format!("{flag}ci: {why}"),
            format!(
                "{index_var} must be a whole number ({}) and {total_var} the number of jobs",
                if one_based { "1-based" } else { "0-based" }
            ),
        )
    };
    let index: u32 = index
        .trim()
        .parse()
        .map_err(|_| bad(format!("{index_var}={index:?} is not a whole number")))?;
    let total =
        env(total_var).ok_or_else(|| bad(format!("{index_var} is set but {total_var} is not")))?;
    let total: u32 = total
        .trim()
        .parse()
        .map_err(|_| bad(format!("{total_var}={total:?} is not a whole number")))?;
    let m = if one_based {
        index
    } else {
        index.saturating_add(1)
    };
    JobIndex::one_based(m, total).map_err(|why| {
        bad(format!(
            "{index_var}={index} and {total_var}={total} give share {m}/{total}: {why}"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn m_of_n_is_one_based() {
        let j = JobIndex::parse("2/3", "--segment ", env(&[])).unwrap();
        assert_eq!((j.index, j.count), (1, 3));
        assert_eq!(j.to_string(), "2/3");
        assert!(JobIndex::parse("1/1", "--segment ", env(&[]))
            .unwrap()
            .is_whole());
    }

    #[test]
    fn malformed_shares_are_usage_errors_that_say_how_to_write_one() {
        for spec in ["0/3", "4/3", "1/0", "3", "a/3", "1/b", "", "1/20000"] {
            let e = JobIndex::parse(spec, "--partition hash:", env(&[])).unwrap_err();
            assert_eq!(e.kind, crate::cli::errors::ErrorKind::Usage, "{spec}");
            assert!(e.message.starts_with("--partition hash:"), "{}", e.message);
            assert!(e.help.contains("M/N"), "{}", e.help);
        }
    }

    #[test]
    fn ci_reads_the_generic_pair_first_then_kubernetes_then_gitlab() {
        let generic = [
            ("CARGO_PERF_JOB_INDEX", "0"),
            ("CARGO_PERF_JOB_TOTAL", "4"),
            ("CI_NODE_INDEX", "3"),
            ("CI_NODE_TOTAL", "3"),
        ];
        let j = JobIndex::parse("ci", "--segment ", env(&generic)).unwrap();
        assert_eq!((j.index, j.count), (0, 4));

        let k8s = [("JOB_COMPLETION_INDEX", "2"), ("CARGO_PERF_JOB_TOTAL", "3")];
        let j = JobIndex::parse("ci", "--segment ", env(&k8s)).unwrap();
        assert_eq!((j.index, j.count), (2, 3));

        // GitLab's index is 1-based.
        let gitlab = [("CI_NODE_INDEX", "3"), ("CI_NODE_TOTAL", "3")];
        let j = JobIndex::parse("ci", "--segment ", env(&gitlab)).unwrap();
        assert_eq!((j.index, j.count), (2, 3));
    }

    #[test]
    fn ci_without_or_with_bad_variables_names_them() {
        let e = JobIndex::parse("ci", "--segment ", env(&[])).unwrap_err();
        assert!(e.message.contains("JOB_COMPLETION_INDEX"), "{}", e.message);
        assert!(e.message.contains("CI_NODE_INDEX"), "{}", e.message);

        let no_total = [("JOB_COMPLETION_INDEX", "1")];
        let e = JobIndex::parse("ci", "--segment ", env(&no_total)).unwrap_err();
        assert!(e.message.contains("CARGO_PERF_JOB_TOTAL"), "{}", e.message);

        let past_end = [("CI_NODE_INDEX", "0"), ("CI_NODE_TOTAL", "3")];
        let e = JobIndex::parse("ci", "--segment ", env(&past_end)).unwrap_err();
        assert!(e.message.contains("CI_NODE_INDEX=0"), "{}", e.message);

        let junk = [("CARGO_PERF_JOB_INDEX", "x"), ("CARGO_PERF_JOB_TOTAL", "3")];
        let e = JobIndex::parse("ci", "--segment ", env(&junk)).unwrap_err();
        assert!(e.message.contains("not a whole number"), "{}", e.message);
    }
}
