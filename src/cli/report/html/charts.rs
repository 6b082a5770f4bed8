//! The HTML report's figures, each an inline SVG drawn from the report's data: a test's
//! sample distribution, its per-process figures with the interval (base against head), a
//! load test's timeline with its stages, its history over the stored commits, and the growth
//! of a family of `args` tests with size.

use crate::cli::compare::growth::Family;
use crate::cli::compare::history::{interval, Series};
use crate::cli::compare::primary_metric;
use crate::cli::model::{TestReport, Verdict};
use crate::cli::report::words::{metric_value, short};
use crate::format;
use crate::protocol::LoadDetails;

use super::svg::{Axes, Plot};

/// The per-iteration percentiles of a bench, drawn on a "nines" axis (p90, p99, p99.9 evenly
/// spaced), or a load test's latency histogram; `None` without figures.
pub fn distribution(t: &TestReport) -> Option<String> {
    if let Some(load) = t.load.as_ref().filter(|l| !l.histogram_ns.is_empty()) {
        return Some(histogram(&load.histogram_ns));
    }
    let m = &t.metrics;
    let nines = |q: f64| -(1.0 - q).log10();
    let points: Vec<(f64, f64, &str)> = [
        (0.0, m.min_ns, "min"),
        (nines(0.5), m.p50_ns.or(m.median_ns), "p50"),
        (nines(0.9), m.p90_ns, "p90"),
        (nines(0.95), m.p95_ns, "p95"),
        (nines(0.99), m.p99_ns, "p99"),
        (nines(0.999), m.p999_ns, "p99.9"),
        (3.6, m.max_ns, "max"),
    ]
    .into_iter()
    .filter_map(|(x, v, label)| Some((x, v?, label)))
    .collect();
    if points.len() < 2 {
        return None;
    }
    let mut plot = Plot::new(
        "time per iteration by percentile",
        points.iter().map(|p| p.0),
        points.iter().map(|p| p.1),
        Axes {
            y_log: true,
            ..Axes::default()
        },
    );
    plot.y_axis(format::duration_ns);
    let labels: Vec<(f64, String)> = points.iter().map(|p| (p.0, p.2.to_owned())).collect();
    plot.x_labels(&labels);
    let line: Vec<(f64, f64)> = points.iter().map(|p| (p.0, p.1)).collect();
    plot.line("head", &line);
    for (x, v, label) in &points {
        plot.dot(
            "head",
            (*x, *v),
            3.5,
            &format!("{label}: {}", format::duration_ns(*v)),
        );
    }
    Some(plot.finish())
}

/// A latency histogram, `(ns, count)` pairs regrouped into log-spaced bins.
fn histogram(pairs: &[[u64; 2]]) -> String {
    const BINS: usize = 40;
    let values = pairs.iter().filter(|p| p[0] > 0 && p[1] > 0);
    let (lo, hi) = values.clone().fold((f64::INFINITY, 0f64), |(lo, hi), p| {
        (lo.min(p[0] as f64), hi.max(p[0] as f64))
    });
    let (lo, hi) = if lo < hi {
        (lo, hi)
    } else {
        (lo / 1.5, lo * 1.5)
    };
    let step = (hi / lo).ln() / BINS as f64;
    let mut counts = [0u64; BINS];
    for p in values {
        let i = (((p[0] as f64 / lo).ln() / step) as usize).min(BINS - 1);
        counts[i] += p[1];
    }
    let edge = |i: usize| lo * (step * i as f64).exp();
    let top = counts.iter().copied().max().unwrap_or(1) as f64;
    let mut plot = Plot::new(
        "latency histogram",
        [lo, hi],
        [0.0, top],
        Axes {
            x_log: true,
            ..Axes::default()
        },
    );
    plot.y_axis(format::sig3);
    plot.x_axis(format::duration_ns);
    for (i, &c) in counts.iter().enumerate().filter(|(_, c)| **c > 0) {
        let title = format!(
            "{} – {}: {c}",
            format::duration_ns(edge(i)),
            format::duration_ns(edge(i + 1))
        );
        plot.bar("bar", edge(i), edge(i + 1), c as f64, &title);
    }
    plot.finish()
}

/// Each process's figure of the primary metric as a dot, with the interval and the median as
/// a bar: the head's row, and the base's below it when the test was compared.
pub fn processes(t: &TestReport, base: Option<&TestReport>) -> Option<String> {
    let metric = primary_metric(t.kind);
    let rows: Vec<(&str, &TestReport, f64)> = [("base", base, 0.0), ("head", Some(t), 1.0)]
        .into_iter()
        .filter_map(|(label, r, y)| Some((label, r?, y)))
        .filter(|(_, r, _)| !r.processes.is_empty())
        .collect();
    if !rows.iter().any(|r| r.0 == "head") {
        return None;
    }
    let values =
        |r: &TestReport| -> Vec<f64> { r.processes.iter().filter_map(|m| metric.get(m)).collect() };
    let xs: Vec<f64> = rows
        .iter()
        .flat_map(|(_, r, _)| {
            values(r)
                .into_iter()
                .chain(interval(r, metric).into_iter().flatten())
        })
        .collect();
    let mut plot = Plot::new(
        &format!("{} of each process", metric.name()),
        xs,
        [-0.6, 1.6],
        Axes {
            height: 130.0,
            ..Axes::default()
        },
    );
    plot.x_axis(|v| metric_value(metric.name(), v));
    let labels: Vec<(f64, String)> = rows.iter().map(|(l, _, y)| (*y, (*l).to_owned())).collect();
    plot.y_labels(&labels);
    for (label, r, y) in &rows {
        if let Some([lo, hi]) = interval(r, metric) {
            plot.segment(&format!("ci {label}"), lo, hi, *y);
        }
        if let Some(m) = metric.get(&r.metrics) {
            plot.segment(&format!("median {label}"), m, m, *y);
            plot.marker(
                &format!("mid {label}"),
                (m, *y + 0.32),
                false,
                &format!("{label} median {}", metric_value(metric.name(), m)),
            );
        }
        for (i, v) in values(r).into_iter().enumerate() {
            let title = format!(
                "{label} process {}: {}",
                i + 1,
                metric_value(metric.name(), v)
            );
            plot.dot(label, (v, *y), 4.0, &title);
        }
    }
    Some(plot.finish())
}

/// A load test's timeline: throughput and p99 per bucket, and resident memory when sampled,
/// each with the plan's stages shaded.
pub fn timeline(load: &LoadDetails) -> Vec<String> {
    let tl = &load.timeline;
    if tl.is_empty() {
        return Vec::new();
    }
    let secs = |ns: u64| ns as f64 / 1e9;
    let end = tl
        .last()
        .map_or(0.0, |p| secs(p.start_ns + load.timeline_bucket_ns));
    let stages: Vec<(f64, f64, &str)> = load
        .stages
        .iter()
        .map(|s| {
            (
                secs(s.start_ns),
                secs(s.start_ns + s.duration_ns),
                s.name.as_str(),
            )
        })
        .collect();
    // A fault window as it happened (when its hooks ran), else as planned; its label says
    // how long recovery took.
    let faults: Vec<(f64, f64, String)> = load
        .faults
        .iter()
        .map(|f| {
            let recovery = match f.recovery_time_ns {
                Some(ns) => format!("recovered in {}", format::duration_ns(ns as f64)),
                None => "not recovered".to_owned(),
            };
            (
                secs(f.on_at_ns.unwrap_or(f.start_ns)),
                secs(f.off_at_ns.unwrap_or(f.end_ns)),
                format!("fault {}: {recovery}", f.name),
            )
        })
        .collect();
    let chart = |label: &str, points: Vec<(f64, f64)>, text: &dyn Fn(f64) -> String| {
        let mut plot = Plot::new(
            label,
            [0.0, end],
            points.iter().map(|p| p.1).chain([0.0]),
            Axes {
                height: 170.0,
                ..Axes::default()
            },
        );
        for (i, (a, b, name)) in stages.iter().enumerate() {
            plot.span(&format!("stage s{}", i % 2), *a, *b, name);
        }
        for (a, b, label) in &faults {
            plot.span("fault", *a, *b, label);
        }
        plot.y_axis(text);
        plot.x_axis(|v| format!("{}s", format::sig3(v)));
        plot.line("head", &points);
        plot.finish()
    };
    let mid = |start_ns: u64| secs(start_ns) + secs(load.timeline_bucket_ns) / 2.0;
    let mut charts = vec![chart(
        "throughput per second over the run",
        tl.iter()
            .map(|p| (mid(p.start_ns), p.throughput_per_sec))
            .collect(),
        &format::rate,
    )];
    let p99: Vec<(f64, f64)> = tl
        .iter()
        .filter_map(|p| Some((mid(p.start_ns), p.p99_ns?)))
        .collect();
    if !p99.is_empty() {
        charts.push(chart("p99 latency over the run", p99, &format::duration_ns));
    }
    if !load.resources.is_empty() {
        let rss = load
            .resources
            .iter()
            .map(|s| (secs(s.at_ns), s.rss_bytes as f64))
            .collect();
        charts.push(chart("resident memory over the run", rss, &format::bytes));
    }
    charts
}

/// The primary metric over the stored commits (oldest left) with its interval as a band; a
/// triangle where the verdict against the previous commit was a regression or improvement.
pub fn history(series: &Series) -> Option<String> {
    let points: Vec<(f64, &crate::cli::compare::history::Point, f64)> = series
        .points
        .iter()
        .enumerate()
        .filter_map(|(i, p)| Some((i as f64, p, p.value?)))
        .collect();
    if points.is_empty() {
        return None;
    }
    let ys = points
        .iter()
        .flat_map(|(_, p, v)| p.ci.into_iter().flatten().chain([*v]));
    let last = (series.points.len() - 1) as f64;
    let mut plot = Plot::new(
        &format!("{} over {} commits", series.metric, series.points.len()),
        [0.0, last.max(1.0)],
        ys,
        Axes::default(),
    );
    plot.y_axis(|v| metric_value(&series.metric, v));
    let every = (series.points.len() / 5).max(1);
    let labels: Vec<(f64, String)> = series
        .points
        .iter()
        .enumerate()
        .filter(|(i, _)| i % every == 0 || *i as f64 == last)
        .map(|(i, p)| (i as f64, short(&p.commit).to_owned()))
        .collect();
    plot.x_labels(&labels);
    let band: Vec<(f64, f64, f64)> = points
        .iter()
        .filter_map(|(x, p, _)| p.ci.map(|[lo, hi]| (*x, lo, hi)))
        .collect();
    plot.band("ci-band", &band);
    let line: Vec<(f64, f64)> = points.iter().map(|(x, _, v)| (*x, *v)).collect();
    plot.line("head", &line);
    for (x, p, v) in &points {
        let title = format!(
            "{} {}: {}{}",
            short(&p.commit),
            p.time.get(..10).unwrap_or(&p.time),
            metric_value(&series.metric, *v),
            p.change
                .map(|c| format!(" ({})", format::percent_change(c)))
                .unwrap_or_default()
        );
        match p.verdict {
            Some(Verdict::Regressed) => plot.marker("regressed", (*x, *v), true, &title),
            Some(Verdict::Improved) => plot.marker("improved", (*x, *v), false, &title),
            _ if points.len() <= 60 || *x == last => plot.dot("head", (*x, *v), 2.5, &title),
            _ => {}
        }
    }
    Some(plot.finish())
}

/// The primary metric against size on log-log axes, the head's curve and the base's (dashed)
/// when the members were compared; each point's interval as a vertical bar.
pub fn growth(family: &Family<'_>, base: &dyn Fn(&str) -> Option<f64>) -> Option<String> {
    let metric = family.members.first().map(|m| primary_metric(m.1.kind))?;
    let head: Vec<(f64, f64)> = family
        .members
        .iter()
        .filter_map(|(n, t)| Some((*n, metric.get(&t.metrics)?)))
        .collect();
    let based: Vec<(f64, f64)> = family
        .members
        .iter()
        .filter_map(|(n, t)| Some((*n, base(&t.id)?)))
        .collect();
    if head.len() < 2 {
        return None;
    }
    let cis: Vec<(f64, [f64; 2])> = family
        .members
        .iter()
        .filter_map(|(n, t)| Some((*n, interval(t, metric)?)))
        .collect();
    let ys = head
        .iter()
        .chain(&based)
        .map(|p| p.1)
        .chain(cis.iter().flat_map(|c| c.1));
    let mut plot = Plot::new(
        &format!("{} of {} by size", metric.name(), family.name),
        head.iter().map(|p| p.0),
        ys,
        Axes {
            x_log: true,
            y_log: true,
            ..Axes::default()
        },
    );
    plot.y_axis(|v| metric_value(metric.name(), v));
    let labels: Vec<(f64, String)> = head.iter().map(|p| (p.0, format::sig3(p.0))).collect();
    plot.x_labels(&labels);
    for (n, [lo, hi]) in &cis {
        plot.line("ci-bar", &[(*n, *lo), (*n, *hi)]);
    }
    plot.line("base dashed", &based);
    plot.line("head", &head);
    for (n, v) in &head {
        let title = format!(
            "n = {}: {}",
            format::sig3(*n),
            metric_value(metric.name(), *v)
        );
        plot.dot("head", (*n, *v), 4.0, &title);
    }
    Some(plot.finish())
}
