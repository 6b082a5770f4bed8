//! A compact terminal chart of a load test's timeline: one sparkline per series
//! (throughput, p99, failures, CPU, RSS), for the CLI's human report.

use crate::format;
use crate::protocol::LoadDetails;

const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
/// Sparklines are at most this many characters wide; longer series are averaged down.
const WIDTH: usize = 48;

/// Renders the timeline as labelled sparklines, one line per series, each ending with the
/// series' peak. Empty when the run has no timeline.
pub fn render(details: &LoadDetails) -> String {
    let tl = &details.timeline;
    if tl.is_empty() {
        return String::new();
    }
    let mut lines = Vec::new();
    let rate: Vec<f64> = tl.iter().map(|p| p.throughput_per_sec).collect();
    lines.push(line("ops/s", &rate, format::rate(max(&rate))));
    let p99: Vec<f64> = tl.iter().map(|p| p.p99_ns.unwrap_or(0.0)).collect();
    lines.push(line("p99", &p99, format::duration_ns(max(&p99))));
    let failures: Vec<f64> = tl.iter().map(|p| p.failures as f64).collect();
    if max(&failures) > 0.0 {
        lines.push(line(
            "errors",
            &failures,
            format!("{}", max(&failures) as u64),
        ));
    }
    if !details.faults.is_empty() {
        // Fault windows marked on the same buckets as the series above.
        let width = details.timeline_bucket_ns.max(1);
        let open: Vec<f64> = tl
            .iter()
            .map(|p| {
                let end = p.start_ns + width;
                let hit = details
                    .faults
                    .iter()
                    .any(|f| f.start_ns < end && p.start_ns < f.end_ns);
                if hit {
                    1.0
                } else {
                    0.0
                }
            })
            .collect();
        let names: Vec<&str> = details.faults.iter().map(|f| f.name.as_str()).collect();
        let marks: String = sparkline(&open)
            .chars()
            .map(|c| if c == ' ' { ' ' } else { '▒' })
            .collect();
        lines.push(format!("{:>6}  {marks}  {}", "faults", names.join(", ")));
    }
    let res = &details.resources;
    if !res.is_empty() {
        let cpu: Vec<f64> = res.iter().map(|s| s.cpu_percent).collect();
        lines.push(line("cpu %", &cpu, format!("{:.0}%", max(&cpu))));
        let rss: Vec<f64> = res.iter().map(|s| s.rss_bytes as f64).collect();
        lines.push(line("rss", &rss, format::bytes(max(&rss))));
    }
    let secs = tl.len() as f64 * details.timeline_bucket_ns as f64 / 1e9;
    lines.push(format!(
        "{:>6}  {secs:.1} s, {} per bucket",
        "",
        format::duration_ns(details.timeline_bucket_ns as f64)
    ));
    lines.join("\n")
}

fn max(v: &[f64]) -> f64 {
    v.iter().copied().fold(0.0, f64::max)
}

fn line(label: &str, values: &[f64], peak: String) -> String {
    format!("{label:>6}  {}  peak {peak}", sparkline(values))
}

/// One character per value (averaged down to [`WIDTH`]); heights are relative to the peak.
pub fn sparkline(values: &[f64]) -> String {
    let chunk = values.len().div_ceil(WIDTH).max(1);
    let points: Vec<f64> = values
        .chunks(chunk)
        .map(|c| c.iter().sum::<f64>() / c.len() as f64)
        .collect();
    let top = max(&points);
    points
        .iter()
        .map(|&v| {
            if top <= 0.0 || v <= 0.0 {
                ' '
            } else {
                let i = ((v / top) * (BARS.len() - 1) as f64).round() as usize;
                BARS[i.min(BARS.len() - 1)]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{ResourceSample, TimelinePoint};

    #[test]
    fn sparkline_scales_to_the_peak_and_width() {
        assert_eq!(sparkline(&[0.0, 1.0, 2.0, 4.0]), " ▃▅█");
        let long: Vec<f64> = (0..480).map(|i| i as f64).collect();
        let s = sparkline(&long);
        assert_eq!(s.chars().count(), WIDTH);
        assert_eq!(s.chars().last(), Some('█'));
    }

    #[test]
    fn render_draws_every_series_present() {
        let details = LoadDetails {
            timeline_bucket_ns: 1_000_000_000,
            timeline: (0..5)
                .map(|i| TimelinePoint {
                    start_ns: i * 1_000_000_000,
                    operations: 100 * (i + 1),
                    failures: u64::from(i == 3),
                    throughput_per_sec: 100.0 * (i + 1) as f64,
                    p99_ns: Some(1e6),
                    ..TimelinePoint::default()
                })
                .collect(),
            resources: vec![ResourceSample {
                at_ns: 0,
                cpu_percent: 50.0,
                rss_bytes: 10 << 20,
            }],
            ..LoadDetails::default()
        };
        let text = render(&details);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 6, "{text}");
        assert!(
            lines[0].contains("ops/s") && lines[0].contains("peak 500/s"),
            "{text}"
        );
        assert!(lines[2].starts_with("errors"), "{text}");
        assert!(lines[4].contains("10.0 MiB"), "{text}");
        assert_eq!(render(&LoadDetails::default()), "");
        let with_fault = LoadDetails {
            faults: vec![crate::protocol::FaultFigures {
                name: "outage".into(),
                start_ns: 1_000_000_000,
                end_ns: 3_000_000_000,
                ..Default::default()
            }],
            ..details
        };
        let text = render(&with_fault);
        let line = text.lines().find(|l| l.contains("faults")).unwrap();
        assert!(line.contains(" ▒▒ ") && line.ends_with("outage"), "{text}");
    }
}
