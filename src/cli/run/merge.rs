//! One test's figures from its processes, the same for `run` (K processes) and `ab` (one
//! process per round and side): merged metrics (min/max are the extremes over processes,
//! medians are medians), the between-process interval, thresholds checked on the merged
//! figures, a load mix's operations merged the same way, and the details of the
//! representative process.

use crate::cli::compare::merge::merge_metric_by_metric;
use crate::cli::model::{OperationReport, Status, TestReport};
use crate::metrics::Metrics;
use crate::protocol::Measurement;
use crate::threshold::Threshold;

/// Fills `report` from `measurements` and checks `thresholds` on the merged figures: status
/// `passed` or `failed`. An error when there is nothing to merge.
pub fn fill(
    report: &mut TestReport,
    thresholds: &[Threshold],
    measurements: Vec<Measurement>,
) -> Result<(), String> {
    let merged = crate::cli::compare::merge::merge_processes(&measurements)
        .ok_or_else(|| "no process produced a measurement".to_string())?;
    report.thresholds = thresholds
        .iter()
        .map(|t| t.check(&merged.metrics))
        .collect();
    // Limits the harness checked (per operation, stage, fault; metrics; resources) and the
    // test's named checks: judged over every process.
    report.thresholds.extend(crate::limits::merge_checks(
        measurements.iter().map(|m| &m.checks[..]),
    ));
    report.status = if report.thresholds.iter().all(|c| c.passed) {
        Status::Passed
    } else {
        Status::Failed
    };
    report.metrics = merged.metrics;
    // A single process's interval knows nothing of between-process variation; still the best
    // available, and `processes` in the report says how many there were.
    report.median_ci_ns = (merged.ci_method != crate::cli::compare::merge::CiMethod::None)
        .then_some(merged.median_ci_ns);
    report.custom = merged.custom;
    report.throughput_unit = merged.throughput;
    if let Some(rep) = representative(&measurements) {
        report.load = measurements[rep].load.clone();
        report.memory = measurements[rep].memory.clone();
    }
    report.operations = operations(&measurements);
    report.levels = crate::cli::compare::levels::disagreeing(&merged.process_medians_ns);
    report.processes = measurements.into_iter().map(|m| m.metrics).collect();
    Ok(())
}

/// A load mix's operations, in the first process's order, each merged over the processes
/// like the test's headline figures.
fn operations(measurements: &[Measurement]) -> Vec<OperationReport> {
    let names: Vec<String> = measurements
        .first()
        .and_then(|m| m.load.as_ref())
        .map(|l| l.by_operation.iter().map(|o| o.name.clone()).collect())
        .unwrap_or_default();
    names
        .into_iter()
        .map(|name| {
            let processes: Vec<Metrics> = measurements
                .iter()
                .filter_map(|m| {
                    let l = m.load.as_ref()?;
                    l.by_operation
                        .iter()
                        .find(|o| o.name == name)
                        .map(|o| o.metrics())
                })
                .collect();
            OperationReport {
                metrics: merge_metric_by_metric(processes.iter()),
                processes,
                name,
                comparison: None,
            }
        })
        .collect()
}

/// The process whose headline figure (median time, or p50 latency) is the median of the
/// processes': its stage, timeline and memory details speak for the run better than the
/// first or the last process would.
fn representative(measurements: &[Measurement]) -> Option<usize> {
    let headline = |m: &Measurement| m.metrics.median_ns.or(m.metrics.p50_ns).unwrap_or(0.0);
    let mut order: Vec<usize> = (0..measurements.len()).collect();
    order.sort_by(|&a, &b| headline(&measurements[a]).total_cmp(&headline(&measurements[b])));
    order.get(order.len() / 2).copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::testing;
    use crate::metrics::Metrics;

    fn process(median: f64, min: f64, max: f64) -> Measurement {
        testing::measurement(Metrics {
            median_ns: Some(median),
            min_ns: Some(min),
            max_ns: Some(max),
            ..Metrics::default()
        })
    }

    /// `run` and `ab` agreed to disagree here once: `ab` reported the median of the processes'
    /// minima and maxima. The merged min/max are the extremes over every process.
    #[test]
    fn merged_min_and_max_are_the_extremes_not_medians_of_extremes() {
        let mut t = testing::bench("p/t/a").build();
        let runs = vec![
            process(100.0, 90.0, 130.0),
            process(101.0, 80.0, 120.0),
            process(102.0, 95.0, 400.0),
        ];
        fill(&mut t, &[], runs).unwrap();
        assert_eq!(t.metrics.min_ns, Some(80.0));
        assert_eq!(t.metrics.max_ns, Some(400.0));
        assert_eq!(t.metrics.median_ns, Some(101.0));
        assert_eq!(t.processes.len(), 3);
        assert_eq!(t.status, Status::Passed);
    }

    #[test]
    fn processes_that_disagree_are_reported_as_levels() {
        let mut t = testing::bench("p/t/a").build();
        let runs = [9.0, 9.1, 14.0, 14.2, 13.9]
            .iter()
            .map(|&m| process(m, m, m))
            .collect();
        fill(&mut t, &[], runs).unwrap();
        let found: Vec<(f64, usize)> = t
            .levels
            .iter()
            .map(|l| (l.median_ns, l.processes))
            .collect();
        assert_eq!(found, vec![(9.05, 2), (14.0, 3)]);

        let mut agree = testing::bench("p/t/b").build();
        let runs = vec![process(9.0, 9.0, 9.0), process(9.2, 9.2, 9.2)];
        fill(&mut agree, &[], runs).unwrap();
        assert!(agree.levels.is_empty());
    }

    #[test]
    fn nothing_to_merge_is_an_error() {
        let mut t = testing::bench("p/t/a").build();
        assert!(fill(&mut t, &[], Vec::new()).is_err());
    }
}
