//! The one builder of hand-made `TestReport`s, reports and fingerprints for the CLI's unit
//! tests: each test says only what matters to it.

use crate::cli::fingerprint::Fingerprint;
use crate::cli::model::{Comparison, MachineInfo, Report, Status, TestId, TestReport, Verdict};
use crate::metrics::Metrics;
use crate::protocol::{Measurement, TestInfo, TestKind};

/// A passed bench test `package/target/name` (an id without slashes is `p/t/<id>`).
pub(crate) fn bench(id: &str) -> TestBuilder {
    let parts: Vec<&str> = id.splitn(3, '/').collect();
    let id = match parts.as_slice() {
        [p, t, n] => TestId::new(p, t, n),
        _ => TestId::new("p", "t", id),
    };
    let mut t = TestReport::new(&id, TestKind::Bench, Vec::new());
    t.status = Status::Passed;
    TestBuilder(t)
}

/// Builds a [`TestReport`] step by step.
#[derive(Debug, Clone)]
pub(crate) struct TestBuilder(TestReport);

impl TestBuilder {
    pub(crate) fn median(mut self, ns: f64) -> Self {
        self.0.metrics.median_ns = Some(ns);
        self
    }

    /// One process per median; the test's median is their middle one.
    pub(crate) fn processes(mut self, medians: &[f64]) -> Self {
        let mut sorted = medians.to_vec();
        sorted.sort_by(f64::total_cmp);
        self.0.metrics.median_ns = sorted.get(sorted.len() / 2).copied();
        self.0.processes = medians
            .iter()
            .map(|&m| Metrics {
                median_ns: Some(m),
                ..Metrics::default()
            })
            .collect();
        self
    }

    pub(crate) fn status(mut self, status: Status) -> Self {
        self.0.status = status;
        self
    }

    /// Status `error` with this message.
    pub(crate) fn error(mut self, message: &str) -> Self {
        self.0.status = Status::Error;
        self.0.error = Some(message.into());
        self
    }

    /// A comparison on `median_ns` with this verdict (figures absent).
    pub(crate) fn verdict(mut self, verdict: Verdict) -> Self {
        self.0.comparison = Some(comparison(verdict));
        self
    }

    pub(crate) fn comparison(mut self, c: Comparison) -> Self {
        self.0.comparison = Some(c);
        self
    }

    pub(crate) fn wall_ns(mut self, ns: u64) -> Self {
        self.0.wall_ns = ns;
        self
    }

    pub(crate) fn build(self) -> TestReport {
        self.0
    }
}

/// A comparison on `median_ns` with `verdict` and no figures.
pub(crate) fn comparison(verdict: Verdict) -> Comparison {
    Comparison {
        baseline_commit: None,
        metric: "median_ns".into(),
        baseline: None,
        current: None,
        change: None,
        ci: None,
        verdict,
        could_detect: None,
        rounds: None,
        severity: None,
        metrics: Vec::new(),
        note: None,
    }
}

/// A machine `id` with a plausible description.
pub(crate) fn machine(id: &str) -> MachineInfo {
    MachineInfo {
        id: id.into(),
        cpu: "cpu".into(),
        cores: 2,
        os: "linux".into(),
        arch: "x86_64".into(),
    }
}

/// Machine `id`, a fixed compiler, the bench profile.
pub(crate) fn fingerprint(id: &str) -> Fingerprint {
    Fingerprint {
        machine: machine(id),
        rustc: "rustc 1.95.0".into(),
        profile: "bench".into(),
    }
}

/// A finished report of `tests` on machine `m`.
pub(crate) fn report(tests: Vec<TestReport>) -> Report {
    Report::new(machine("m"), tests, Vec::new()).finish()
}

/// A listed test `name` of `kind`, untagged, without thresholds.
pub(crate) fn info(name: &str, kind: TestKind) -> TestInfo {
    TestInfo {
        name: name.into(),
        kind,
        tags: vec![],
        ignored: false,
        file: "benches/perf.rs".into(),
        line: 1,
        thresholds: vec![],
        ratios: vec![],
        threshold_error: None,
        timeout_ns: None,
        noise: None,
    }
}

/// One process's measurement with these metrics and nothing else.
pub(crate) fn measurement(metrics: Metrics) -> Measurement {
    Measurement {
        metrics,
        bench: None,
        load: None,
        memory: None,
        custom: Vec::new(),
        checks: Vec::new(),
        cpu_percent: None,
    }
}
