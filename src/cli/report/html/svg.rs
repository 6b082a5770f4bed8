//! Inline SVG charts for the HTML report, drawn in Rust: a [`Plot`] maps data to a fixed
//! viewBox (the page scales it to any width), draws axes with round ticks, and takes lines,
//! bands, dots and spans. Colours are CSS classes, so the page's light and dark themes apply.

use std::fmt::Write;

use super::escape;

/// The viewBox: charts scale to their container's width, keeping this aspect.
const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 84.0;
const RIGHT: f64 = 14.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 30.0;

/// One axis: data values in `[lo, hi]` onto pixels `[from, to]`, linearly or on a log scale.
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    lo: f64,
    hi: f64,
    log: bool,
    from: f64,
    to: f64,
}

impl Scale {
    /// The axis spanning `values` (a little padding on a linear one; degenerate ranges widened).
    /// A log scale needs positive values; it falls back to linear otherwise.
    fn over(values: impl IntoIterator<Item = f64>, log: bool, from: f64, to: f64) -> Scale {
        let (mut lo, mut hi) = values
            .into_iter()
            .filter(|v| v.is_finite() && (!log || *v > 0.0))
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                (lo.min(v), hi.max(v))
            });
        if lo > hi {
            (lo, hi) = (0.0, 1.0);
        }
        let log = log && lo > 0.0;
        if log {
            // A little room at both ends, so that the extreme points' labels are not cut.
            let pad = (hi / lo).max(1.1).powf(0.04);
            (lo, hi) = (lo / pad, hi * pad);
        } else if hi - lo <= f64::EPSILON * hi.abs().max(1.0) {
            let pad = if hi == 0.0 { 1.0 } else { hi.abs() * 0.1 };
            (lo, hi) = (lo - pad, hi + pad);
        } else {
            let pad = (hi - lo) * 0.05;
            (lo, hi) = (lo - pad, hi + pad);
        }
        Scale {
            lo,
            hi,
            log,
            from,
            to,
        }
    }

    fn unit(&self, v: f64) -> f64 {
        if self.log {
            (v.max(f64::MIN_POSITIVE).ln() - self.lo.ln()) / (self.hi.ln() - self.lo.ln())
        } else {
            (v - self.lo) / (self.hi - self.lo)
        }
    }

    /// The pixel of `v`.
    pub fn at(&self, v: f64) -> f64 {
        self.from + self.unit(v) * (self.to - self.from)
    }

    /// Round values inside the axis to label: 1-2-5 steps, or powers of ten on a log scale
    /// that spans at least one.
    fn ticks(&self) -> Vec<f64> {
        if self.log {
            let decades: Vec<f64> = (self.lo.log10().ceil() as i32
                ..=self.hi.log10().floor() as i32)
                .map(|e| 10f64.powi(e))
                .collect();
            if decades.len() >= 2 {
                return decades;
            }
            let mid = (self.lo * self.hi).sqrt();
            return vec![self.lo * 1.05, mid, self.hi / 1.05];
        }
        // About five ticks: the 1-2-5 step nearest to a fifth of the span.
        let raw = (self.hi - self.lo) / 5.0;
        let mag = 10f64.powf(raw.log10().floor());
        let step = mag
            * match raw / mag {
                n if n < 1.5 => 1.0,
                n if n < 3.5 => 2.0,
                n if n < 7.5 => 5.0,
                _ => 10.0,
            };
        let mut v = (self.lo / step).ceil() * step;
        let mut out = Vec::new();
        while v <= self.hi + step * 1e-9 && out.len() < 12 {
            out.push(if v.abs() < step * 1e-9 { 0.0 } else { v });
            v += step;
        }
        out
    }
}

/// Which axes are logarithmic, and the chart's height in viewBox units.
#[derive(Debug, Clone, Copy)]
pub struct Axes {
    pub x_log: bool,
    pub y_log: bool,
    pub height: f64,
}

impl Default for Axes {
    fn default() -> Self {
        Axes {
            x_log: false,
            y_log: false,
            height: HEIGHT,
        }
    }
}

/// A chart being drawn: its scales and the SVG elements so far.
pub struct Plot {
    pub x: Scale,
    pub y: Scale,
    height: f64,
    label: String,
    body: String,
}

impl Plot {
    /// A plot whose axes span `xs` and `ys`, described by `label` for screen readers.
    pub fn new(
        label: &str,
        xs: impl IntoIterator<Item = f64>,
        ys: impl IntoIterator<Item = f64>,
        axes: Axes,
    ) -> Plot {
        Plot {
            x: Scale::over(xs, axes.x_log, LEFT, WIDTH - RIGHT),
            y: Scale::over(ys, axes.y_log, axes.height - BOTTOM, TOP),
            height: axes.height,
            label: label.to_owned(),
            body: String::new(),
        }
    }

    /// Horizontal grid lines with `text` labels on the left, and the frame.
    pub fn y_axis(&mut self, text: impl Fn(f64) -> String) {
        let bottom = self.bottom();
        for v in self.y.ticks() {
            let y = self.y.at(v);
            let _ = write!(
                self.body,
                r#"<line class="grid" x1="{LEFT}" x2="{:.1}" y1="{y:.1}" y2="{y:.1}"/><text class="tick" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
                WIDTH - RIGHT,
                LEFT - 6.0,
                y + 4.0,
                escape(&text(v))
            );
        }
        let _ = write!(
            self.body,
            r#"<line class="axis" x1="{LEFT}" x2="{:.1}" y1="{bottom}" y2="{bottom}"/><line class="axis" x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{bottom}"/>"#,
            WIDTH - RIGHT
        );
    }

    /// Vertical grid lines at round values, labelled by `text`.
    pub fn x_axis(&mut self, text: impl Fn(f64) -> String) {
        let labels: Vec<(f64, String)> = self.x.ticks().into_iter().map(|v| (v, text(v))).collect();
        self.x_labels(&labels);
    }

    /// Vertical grid lines at chosen values with their labels (commits, percentiles).
    pub fn x_labels(&mut self, labels: &[(f64, String)]) {
        let bottom = self.bottom();
        for (v, label) in labels {
            let x = self.x.at(*v);
            let _ = write!(
                self.body,
                r#"<line class="grid" x1="{x:.1}" x2="{x:.1}" y1="{TOP}" y2="{bottom}"/><text class="tick" x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                bottom + 16.0,
                escape(label)
            );
        }
    }

    /// Row labels on the left, in place of a y axis (a strip plot's rows).
    pub fn y_labels(&mut self, labels: &[(f64, String)]) {
        for (v, label) in labels {
            let _ = write!(
                self.body,
                r#"<text class="tick" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
                LEFT - 6.0,
                self.y.at(*v) + 4.0,
                escape(label)
            );
        }
    }

    fn bottom(&self) -> f64 {
        self.height - BOTTOM
    }

    /// A polyline through `points` (gaps are not drawn: pass each run separately).
    pub fn line(&mut self, class: &str, points: &[(f64, f64)]) {
        if points.is_empty() {
            return;
        }
        let path: Vec<String> = points
            .iter()
            .map(|&(x, y)| format!("{:.1},{:.1}", self.x.at(x), self.y.at(y)))
            .collect();
        let _ = write!(
            self.body,
            r#"<polyline class="{class}" points="{}"/>"#,
            path.join(" ")
        );
    }

    /// The area between `lo` and `hi` along x: `(x, lo, hi)` triples.
    pub fn band(&mut self, class: &str, points: &[(f64, f64, f64)]) {
        if points.is_empty() {
            return;
        }
        let upper = points
            .iter()
            .map(|&(x, _, hi)| format!("{:.1},{:.1}", self.x.at(x), self.y.at(hi)));
        let lower = points
            .iter()
            .rev()
            .map(|&(x, lo, _)| format!("{:.1},{:.1}", self.x.at(x), self.y.at(lo)));
        let all: Vec<String> = upper.chain(lower).collect();
        let _ = write!(
            self.body,
            r#"<polygon class="{class}" points="{}"/>"#,
            all.join(" ")
        );
    }

    /// A dot at `(x, y)` with a hover text.
    pub fn dot(&mut self, class: &str, (x, y): (f64, f64), r: f64, title: &str) {
        let _ = write!(
            self.body,
            r#"<circle class="{class}" cx="{:.1}" cy="{:.1}" r="{r}"><title>{}</title></circle>"#,
            self.x.at(x),
            self.y.at(y),
            escape(title)
        );
    }

    /// A triangle marker at `(x, y)`, pointing up or down, with a hover text.
    pub fn marker(&mut self, class: &str, (x, y): (f64, f64), up: bool, title: &str) {
        let (cx, cy) = (self.x.at(x), self.y.at(y));
        let d = if up { -7.0 } else { 7.0 };
        let _ = write!(
            self.body,
            r#"<polygon class="{class}" points="{:.1},{:.1} {:.1},{:.1} {:.1},{:.1}"><title>{}</title></polygon>"#,
            cx,
            cy + d,
            cx - 6.0,
            cy - d * 0.6,
            cx + 6.0,
            cy - d * 0.6,
            escape(title)
        );
    }

    /// A vertical span from `x0` to `x1` over the whole plot height, labelled at its top.
    pub fn span(&mut self, class: &str, x0: f64, x1: f64, label: &str) {
        let (a, b) = (self.x.at(x0), self.x.at(x1));
        let _ = write!(
            self.body,
            r#"<rect class="{class}" x="{a:.1}" y="{TOP}" width="{:.1}" height="{:.1}"><title>{}</title></rect><text class="span-label" x="{:.1}" y="{:.1}">{}</text>"#,
            (b - a).max(0.5),
            self.height - BOTTOM - TOP,
            escape(label),
            a + 3.0,
            TOP + 11.0,
            escape(label)
        );
    }

    /// A bar from the x axis up to `y`, between `x0` and `x1`.
    pub fn bar(&mut self, class: &str, x0: f64, x1: f64, y: f64, title: &str) {
        let (a, b) = (self.x.at(x0), self.x.at(x1));
        let base = self.bottom();
        let top = self.y.at(y).min(base);
        let _ = write!(
            self.body,
            r#"<rect class="{class}" x="{a:.1}" y="{top:.1}" width="{:.1}" height="{:.1}"><title>{}</title></rect>"#,
            (b - a).max(0.5),
            base - top,
            escape(title)
        );
    }

    /// A horizontal segment from `x0` to `x1` at height `y` (an interval on a strip).
    pub fn segment(&mut self, class: &str, x0: f64, x1: f64, y: f64) {
        let _ = write!(
            self.body,
            r#"<line class="{class}" x1="{:.1}" x2="{:.1}" y1="{:.1}" y2="{:.1}"/>"#,
            self.x.at(x0),
            self.x.at(x1),
            self.y.at(y),
            self.y.at(y)
        );
    }

    /// The finished `<svg>` element.
    pub fn finish(self) -> String {
        format!(
            r#"<svg class="chart" viewBox="0 0 {WIDTH} {}" role="img" aria-label="{}"><title>{}</title>{}</svg>"#,
            self.height,
            escape(&self.label),
            escape(&self.label),
            self.body
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_map_the_range_onto_the_pixels() {
        let s = Scale::over([0.0, 100.0], false, 0.0, 110.0);
        assert!(s.at(0.0) > 0.0 && s.at(100.0) < 110.0, "padded");
        assert!(
            (s.at(50.0) - 55.0).abs() < 1e-9,
            "the middle maps to the middle"
        );
        let log = Scale::over([10.0, 1000.0], true, 0.0, 100.0);
        assert!(
            (log.at(100.0) - 50.0).abs() < 1e-9,
            "a decade is half of two"
        );
        assert_eq!(log.ticks(), vec![10.0, 100.0, 1000.0]);
        let flat = Scale::over([5.0, 5.0], false, 0.0, 100.0);
        assert!(flat.at(5.0).is_finite() && (flat.at(5.0) - 50.0).abs() < 1e-9);
        let none = Scale::over([], true, 0.0, 100.0);
        assert!(!none.log, "no positive value: linear");
    }

    #[test]
    fn linear_ticks_are_round_and_inside() {
        let s = Scale::over([0.0, 950.0], false, 0.0, 1.0);
        let t = s.ticks();
        assert!(t.len() >= 3 && t.len() <= 12, "{t:?}");
        assert!(t.iter().all(|v| (v / 100.0).fract().abs() < 1e-9), "{t:?}");
        assert!(t.iter().all(|v| *v >= s.lo && *v <= s.hi));
    }

    #[test]
    fn a_plot_is_one_svg_with_escaped_text() {
        let mut p = Plot::new("a <b> & c", [0.0, 1.0], [0.0, 1.0], Axes::default());
        p.y_axis(|v| format!("{v}"));
        p.x_axis(|v| format!("{v}"));
        p.line("head", &[(0.0, 0.0), (1.0, 1.0)]);
        p.band("ci", &[(0.0, 0.0, 0.5), (1.0, 0.5, 1.0)]);
        p.dot("head", (0.5, 0.5), 3.0, "x<y");
        p.marker("regressed", (1.0, 1.0), true, "c1 & c2");
        p.span("stage", 0.0, 0.5, "ramp <up>");
        p.bar("bar", 0.0, 0.1, 0.7, "bin");
        let svg = p.finish();
        assert!(svg.starts_with("<svg class=\"chart\" viewBox=\"0 0 640 220\""));
        assert!(svg.ends_with("</svg>"));
        assert_eq!(svg.matches("<svg").count(), 1);
        for element in [
            "<polyline",
            "<polygon",
            "<circle",
            "<rect",
            "<text",
            "<line",
        ] {
            assert!(svg.contains(element), "{element} missing in {svg}");
        }
        assert!(svg.contains("a &lt;b&gt; &amp; c") && svg.contains("x&lt;y"));
        assert!(svg.contains("ramp &lt;up&gt;") && svg.contains("c1 &amp; c2"));
        assert!(!svg.contains("<b>") && !svg.contains("NaN"), "{svg}");
    }
}
