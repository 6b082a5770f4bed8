//! Async load tests: the `LoadTest` a `#[perf_test]` function configures and runs.

use std::future::Future;
use std::time::Duration;

use crate::protocol::{Measurement, Settings};

/// Configures and runs a load test. Handed to `#[perf_test] fn f(load: &mut LoadTest)`.
pub struct LoadTest {
    #[allow(dead_code)]
    settings: Settings,
    concurrency: usize,
    duration: Option<Duration>,
}

/// Per-operation context handed to the operation closure.
pub struct Ctx {
    pub worker: usize,
    pub iteration: u64,
}

impl LoadTest {
    pub(crate) fn new(settings: Settings) -> LoadTest {
        LoadTest {
            settings,
            concurrency: 1,
            duration: None,
        }
    }

    pub fn concurrency(&mut self, n: usize) -> &mut Self {
        self.concurrency = n;
        self
    }

    pub fn duration(&mut self, d: Duration) -> &mut Self {
        self.duration = Some(d);
        self
    }

    pub fn run<F, Fut>(&mut self, _op: F)
    where
        F: Fn(Ctx) -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
    {
    }

    pub(crate) fn finish(self) -> Result<Measurement, String> {
        let _ = (self.concurrency, self.duration);
        Err("load tests are not supported yet".into())
    }
}
