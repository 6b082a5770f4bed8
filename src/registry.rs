//! The static registry that `#[perf_test]` fills at link time, and the names it gives tests.

use crate::load::LoadTest;
use crate::measure::Bencher;
use crate::protocol::{TestInfo, TestKind};
use crate::threshold::{self, Threshold};

/// One `#[perf_test]` function, as the attribute registers it. Built only by the macro.
#[doc(hidden)]
pub struct Entry {
    /// `name = "..."`, when given.
    pub name: Option<&'static str>,
    pub fn_name: &'static str,
    pub module_path: &'static str,
    pub file: &'static str,
    pub line: u32,
    pub tags: &'static [&'static str],
    /// One label per `args = [..]` element; empty when the function takes no argument.
    pub args: &'static [&'static str],
    pub thresholds: &'static [Threshold],
    /// Limits the harness checks: per operation, stage or fault, custom metrics, resources.
    pub limits: &'static [crate::limits::Limit],
    /// Ratios to other tests of the run (`overhead("plain") <= "20%"`), judged by `cargo perf`.
    pub ratios: &'static [crate::threshold::RatioLimit],
    pub timeout_ns: Option<u64>,
    /// `noise = "5%"` as a fraction.
    pub noise: Option<f64>,
    pub ignore: bool,
    /// One function per argument (exactly one when there are no `args`).
    pub test: TestFn,
}

#[doc(hidden)]
pub enum TestFn {
    Bench(&'static [fn(&mut Bencher)]),
    Load(&'static [fn(&mut LoadTest)]),
}

#[doc(hidden)]
#[linkme::distributed_slice]
pub static PERF_TESTS: [Entry];

/// One runnable test: an entry, and which of its arguments.
#[derive(Clone, Copy)]
pub struct Case {
    pub entry: &'static Entry,
    pub index: usize,
}

impl Case {
    /// The full test name: the explicit `name`, or the function's path inside the target
    /// (as libtest names tests), then `/arg` for parameterised tests.
    pub fn name(&self) -> String {
        let e = self.entry;
        let base = match e.name {
            Some(n) => n.to_string(),
            None => {
                // module_path!() starts with the crate (the target) name, which libtest omits.
                match e.module_path.split_once("::") {
                    Some((_, rest)) => format!("{rest}::{}", e.fn_name),
                    None => e.fn_name.to_string(),
                }
            }
        };
        match e.args.get(self.index) {
            Some(arg) => format!("{base}/{arg}"),
            None => base,
        }
    }

    pub fn kind(&self) -> TestKind {
        match self.entry.test {
            TestFn::Bench(_) => TestKind::Bench,
            TestFn::Load(_) => TestKind::Load,
        }
    }

    /// The attribute's thresholds with `PERF_<TEST>_<KEY>` overrides from the environment.
    pub fn thresholds(&self) -> Result<Vec<Threshold>, String> {
        threshold::apply_env_overrides(&self.name(), self.entry.thresholds, |v| {
            std::env::var(v).ok()
        })
    }

    pub fn info(&self) -> TestInfo {
        let (thresholds, mut threshold_error) = match self.thresholds() {
            Ok(t) => (t, None),
            Err(e) => (self.entry.thresholds.to_vec(), Some(e)),
        };
        if self.kind() == TestKind::Load && threshold_error.is_none() {
            // A malformed PERF_<TEST>_CONCURRENCY/_RATE/_DURATION: not run, like a bad limit.
            threshold_error = crate::load::check_env(&self.name(), |v| std::env::var(v).ok()).err();
        }
        TestInfo {
            name: self.name(),
            kind: self.kind(),
            tags: self.entry.tags.iter().map(|t| t.to_string()).collect(),
            ignored: self.entry.ignore,
            file: self.entry.file.to_string(),
            line: self.entry.line,
            thresholds,
            ratios: self.entry.ratios.iter().map(Into::into).collect(),
            threshold_error,
            timeout_ns: self.entry.timeout_ns,
            noise: self.entry.noise,
        }
    }
}

/// Every registered test, sorted by name so that listings are stable.
pub fn cases() -> Vec<Case> {
    let mut cases: Vec<Case> = PERF_TESTS
        .iter()
        .flat_map(|entry| {
            let n = match entry.test {
                TestFn::Bench(fns) => fns.len(),
                TestFn::Load(fns) => fns.len(),
            };
            (0..n).map(move |index| Case { entry, index })
        })
        .collect();
    cases.sort_by_key(|c| c.name());
    cases
}
