//! Micro-benchmark measurement: the `Bencher` a `#[perf_test]` function drives.

use std::future::Future;
use std::time::Instant;

use crate::protocol::{
    BenchDetails, CustomMetric, Direction, Measurement, Metrics, Settings, Throughput,
};

/// Times the body of a micro-benchmark. Handed to `#[perf_test] fn f(b: &mut Bencher)`.
pub struct Bencher {
    settings: Settings,
    samples_ns: Vec<f64>,
    throughput: Option<Throughput>,
    custom: Vec<CustomMetric>,
    measured: bool,
}

impl Bencher {
    pub(crate) fn new(settings: Settings) -> Bencher {
        Bencher {
            settings,
            samples_ns: Vec::new(),
            throughput: None,
            custom: Vec::new(),
            measured: false,
        }
    }

    /// Measure `f`, called repeatedly; its output is passed through `black_box` and dropped.
    pub fn iter<O, F: FnMut() -> O>(&mut self, mut f: F) {
        let deadline = self.settings.measure_ns;
        let start = Instant::now();
        loop {
            let t = Instant::now();
            std::hint::black_box(f());
            self.samples_ns.push(t.elapsed().as_nanos() as f64);
            if start.elapsed().as_nanos() as u64 >= deadline {
                break;
            }
        }
        self.measured = true;
    }

    /// Measure `routine` on a fresh input from `setup` each time; `setup` is not timed.
    pub fn iter_with_setup<I, O, S: FnMut() -> I, F: FnMut(I) -> O>(
        &mut self,
        mut setup: S,
        mut routine: F,
    ) {
        self.iter(|| routine(setup()));
    }

    /// Measure an async body on a current-thread tokio runtime.
    pub fn iter_async<O, Fut: Future<Output = O>, F: FnMut() -> Fut>(&mut self, mut f: F) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio runtime");
        self.iter(|| rt.block_on(f()));
    }

    /// Declare what one iteration processes, to report bytes or elements per second.
    pub fn throughput(&mut self, throughput: Throughput) -> &mut Self {
        self.throughput = Some(throughput);
        self
    }

    /// Report a custom metric, stored, compared and reported like the built-in ones.
    pub fn metric(
        &mut self,
        name: impl Into<String>,
        value: f64,
        direction: Direction,
    ) -> &mut Self {
        self.custom.push(CustomMetric {
            name: name.into(),
            value,
            direction,
        });
        self
    }

    pub(crate) fn finish(mut self) -> Result<Measurement, String> {
        if !self.measured {
            return Err("the test never called `iter`, `iter_with_setup` or `iter_async`".into());
        }
        self.samples_ns.sort_by(f64::total_cmp);
        let n = self.samples_ns.len();
        let median = self.samples_ns[n / 2];
        let mean = self.samples_ns.iter().sum::<f64>() / n as f64;
        Ok(Measurement {
            metrics: Metrics {
                median_ns: Some(median),
                mean_ns: Some(mean),
                min_ns: Some(self.samples_ns[0]),
                max_ns: Some(self.samples_ns[n - 1]),
                throughput_per_sec: Some(1e9 / median),
                ..Metrics::default()
            },
            bench: Some(BenchDetails {
                iterations: n as u64,
                samples: n as u64,
                batch: 1,
                median_ci_ns: [median, median],
                throughput: self.throughput,
                ..BenchDetails::default()
            }),
            custom: self.custom,
            ..Measurement::default()
        })
    }
}
