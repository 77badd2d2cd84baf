//! SVG charts drawn by hand: a chart over accepted baselines (a band, lines,
//! one linked point per baseline with its values as a tooltip, markers for
//! change points and annotations) and horizontal bars (devices side by side).
//!
//! Hand-written rather than plotters: the output is a few kilobytes of SVG that
//! the page's CSS colours (dark mode through `prefers-color-scheme`), every point
//! can be an `<a href>` with a `<title>`, and nothing is rasterised or measured
//! with a font. Sizes are in `viewBox` units; the page scales them.

use std::fmt::Write;

use super::html::escape;

/// `viewBox` width and height of a chart over baselines.
pub const WIDTH: f64 = 640.0;
pub const HEIGHT: f64 = 300.0;
const LEFT: f64 = 62.0;
const RIGHT: f64 = 14.0;
const TOP: f64 = 28.0;
const BOTTOM: f64 = 56.0;

/// A linear map from data values to pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scale {
    d0: f64,
    d1: f64,
    p0: f64,
    p1: f64,
}

impl Scale {
    /// Maps `[d0, d1]` onto `[p0, p1]`; a zero-width domain maps to the middle.
    pub fn new(d0: f64, d1: f64, p0: f64, p1: f64) -> Scale {
        Scale { d0, d1, p0, p1 }
    }

    pub fn at(&self, v: f64) -> f64 {
        if self.d1 == self.d0 {
            return (self.p0 + self.p1) / 2.0;
        }
        self.p0 + (v - self.d0) / (self.d1 - self.d0) * (self.p1 - self.p0)
    }
}

/// Round tick values for data in `[lo, hi]`: about `n` ticks, steps of 1, 2,
/// 2.5 or 5 times a power of ten. Returns the domain the ticks cover (`lo` and
/// `hi` rounded out to a step) and the ticks. A degenerate range is widened
/// around its value first.
pub fn nice_ticks(lo: f64, hi: f64, n: usize) -> (f64, f64, Vec<f64>) {
    let (mut lo, mut hi) = if lo.is_finite() && hi.is_finite() && lo <= hi {
        (lo, hi)
    } else {
        (0.0, 1.0)
    };
    if hi - lo < 1e-9 * lo.abs().max(1.0) {
        let pad = (lo.abs() * 0.05).max(0.5);
        lo -= pad;
        hi += pad;
    }
    let raw = (hi - lo) / n.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let d0 = (lo / step).floor() * step;
    let d1 = (hi / step).ceil() * step;
    let count = ((d1 - d0) / step).round() as usize;
    let ticks = (0..=count).map(|k| d0 + k as f64 * step).collect();
    (d0, d1, ticks)
}

/// A tick label with as many decimals as the step needs.
pub fn tick_label(v: f64, ticks: &[f64]) -> String {
    let step = match ticks {
        [a, b, ..] => (b - a).abs(),
        _ => 1.0,
    };
    let decimals = (0..=6)
        .find(|d| {
            let scaled = step * 10f64.powi(*d);
            (scaled - scaled.round()).abs() < 1e-6 * scaled.max(1.0)
        })
        .unwrap_or(6) as usize;
    format!("{v:.decimals$}")
}

/// A line over the baselines (`None` where an entry has no value).
pub struct Series<'a> {
    /// What the line is (its tooltip; the page draws the legend).
    pub name: &'a str,
    /// CSS class that colours the line and its points.
    pub class: &'a str,
    pub values: Vec<Option<f64>>,
}

/// A filled band between two edges (p10 to p90).
pub struct Band<'a> {
    pub class: &'a str,
    pub low: Vec<Option<f64>>,
    pub high: Vec<Option<f64>>,
}

/// A vertical marker before entry `at`: a change point or an annotation.
pub struct Marker {
    pub at: usize,
    /// `cp` (change point) or `note` (runtime, threads, provider, model).
    pub class: &'static str,
    /// Short text above the plot ("Δ", "1").
    pub label: String,
    /// What the tooltip says.
    pub title: String,
}

/// One baseline's point: where it links to and what its tooltip says.
pub struct Point {
    pub href: Option<String>,
    pub title: String,
}

/// The most baselines a chart draws as points (linked, with a tooltip): the
/// newest ones. On a chart 860 px wide they are ~3 px apart, about the densest a
/// pointer can pick; older baselines stay in the lines and the band (and in the
/// page's CSV), which keeps a page of 1,000 baselines near 300 KB.
pub const MAX_POINTS: usize = 250;

/// A chart over accepted baselines, oldest left.
pub struct TimeChart<'a> {
    pub id: &'a str,
    /// Accessible name of the chart.
    pub label: &'a str,
    /// Y axis title with its unit, e.g. "latency (ms)".
    pub y_title: &'a str,
    /// Per entry, the x label (a date).
    pub x_labels: &'a [String],
    /// X axis title.
    pub x_title: &'a str,
    pub band: Option<Band<'a>>,
    pub series: Vec<Series<'a>>,
    /// One per entry.
    pub points: &'a [Point],
    pub markers: &'a [Marker],
    /// Clamp the y domain (e.g. 0..100 for percentages).
    pub y_min: Option<f64>,
    pub y_max: Option<f64>,
}

/// Formats a coordinate with one decimal (the SVG's weight is mostly numbers).
fn c(v: f64) -> String {
    format!("{v:.1}")
}

/// Runs of consecutive indices where `f` has a value.
fn runs<T: Copy>(n: usize, f: impl Fn(usize) -> Option<T>) -> Vec<Vec<(usize, T)>> {
    let mut out: Vec<Vec<(usize, T)>> = Vec::new();
    let mut cur = Vec::new();
    for i in 0..n {
        match f(i) {
            Some(v) => cur.push((i, v)),
            None if !cur.is_empty() => out.push(std::mem::take(&mut cur)),
            None => {}
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

impl TimeChart<'_> {
    fn n(&self) -> usize {
        self.points.len()
    }

    /// x of entry `i`: entries are evenly spaced, half a step from each edge.
    fn x(&self, i: f64) -> f64 {
        let w = WIDTH - LEFT - RIGHT;
        LEFT + (i + 0.5) * w / self.n().max(1) as f64
    }

    /// The y domain and ticks covering every value drawn.
    fn y_ticks(&self) -> (f64, f64, Vec<f64>) {
        let mut lo = f64::INFINITY;
        let mut hi = f64::NEG_INFINITY;
        let mut see = |v: f64| {
            if v.is_finite() {
                lo = lo.min(v);
                hi = hi.max(v);
            }
        };
        for s in &self.series {
            s.values.iter().flatten().for_each(|v| see(*v));
        }
        if let Some(b) = &self.band {
            b.low.iter().chain(&b.high).flatten().for_each(|v| see(*v));
        }
        if lo > hi {
            (lo, hi) = (0.0, 1.0);
        }
        let pad = (hi - lo) * 0.08;
        let (mut lo, mut hi) = (lo - pad, hi + pad);
        if let Some(m) = self.y_min {
            lo = lo.max(m);
        }
        if let Some(m) = self.y_max {
            hi = hi.min(m);
        }
        let (d0, d1, ticks) = nice_ticks(lo, hi, 5);
        let d0 = self.y_min.map_or(d0, |m| d0.max(m));
        let d1 = self.y_max.map_or(d1, |m| d1.min(m));
        let ticks = ticks
            .into_iter()
            .filter(|t| *t >= d0 - 1e-9 && *t <= d1 + 1e-9)
            .collect();
        (d0, d1, ticks)
    }

    /// The chart as an `<svg>` element.
    pub fn svg(&self) -> String {
        let n = self.n();
        let (d0, d1, ticks) = self.y_ticks();
        let y = Scale::new(d0, d1, HEIGHT - BOTTOM, TOP);
        let mut s = String::with_capacity(1024 + n * 260);
        let _ = write!(
            s,
            r#"<svg class="chart" id="{}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{}" xmlns="http://www.w3.org/2000/svg">"#,
            escape(self.id),
            escape(self.label)
        );
        // Grid and y ticks.
        for t in &ticks {
            let ty = c(y.at(*t));
            let _ = write!(
                s,
                r#"<line class="grid" x1="{LEFT}" x2="{}" y1="{ty}" y2="{ty}"/><text class="tick" x="{}" y="{}" text-anchor="end">{}</text>"#,
                WIDTH - RIGHT,
                LEFT - 6.0,
                c(y.at(*t) + 4.0),
                tick_label(*t, &ticks)
            );
        }
        let _ = write!(
            s,
            r#"<text class="axis" text-anchor="middle" transform="translate(15 {}) rotate(-90)">{}</text>"#,
            c((TOP + HEIGHT - BOTTOM) / 2.0),
            escape(self.y_title)
        );
        // X labels: up to six, evenly spread, always the first and the last,
        // centred on their entry but kept inside the chart.
        let m = n.min(6);
        let mut last_shown = None;
        for k in 0..m {
            let i = if m == 1 { 0 } else { k * (n - 1) / (m - 1) };
            if last_shown == Some(i) {
                continue;
            }
            last_shown = Some(i);
            let label = self.x_labels.get(i).map(String::as_str).unwrap_or("");
            let x = self.x(i as f64).clamp(LEFT + 16.0, WIDTH - RIGHT - 34.0);
            // Narrow screens show only the first, middle and last label.
            let alt = if k == 0 || k == m / 2 || k + 1 == m {
                ""
            } else {
                " alt"
            };
            let _ = write!(
                s,
                r#"<text class="tick xl{alt}" x="{}" y="{}" text-anchor="middle">{}</text>"#,
                c(x),
                HEIGHT - BOTTOM + 20.0,
                escape(label)
            );
        }
        let _ = write!(
            s,
            r#"<text class="axis" x="{}" y="{}" text-anchor="middle">{}</text>"#,
            c((LEFT + WIDTH - RIGHT) / 2.0),
            HEIGHT - 6.0,
            escape(self.x_title)
        );
        let _ = write!(
            s,
            r#"<path class="frame" d="M{LEFT} {TOP}V{}H{}"/>"#,
            HEIGHT - BOTTOM,
            WIDTH - RIGHT
        );
        // Band: one polygon per run of entries with both edges.
        if let Some(b) = &self.band {
            let half = ((WIDTH - LEFT - RIGHT) / n.max(1) as f64 / 4.0).min(4.0);
            for run in runs(n, |i| {
                Some((b.low.get(i).copied()??, b.high.get(i).copied()??))
            }) {
                let mut d = String::new();
                let single = run.len() == 1;
                for (k, (i, (_, hi))) in run.iter().enumerate() {
                    let x = self.x(*i as f64);
                    if single {
                        let _ = write!(d, "M{} {}H{}", c(x - half), c(y.at(*hi)), c(x + half));
                    } else {
                        let _ = write!(
                            d,
                            "{}{} {}",
                            if k == 0 { 'M' } else { 'L' },
                            c(x),
                            c(y.at(*hi))
                        );
                    }
                }
                for (i, (lo, _)) in run.iter().rev() {
                    let x = self.x(*i as f64);
                    if single {
                        let _ = write!(d, "V{}H{}", c(y.at(*lo)), c(x - half));
                    } else {
                        let _ = write!(d, "L{} {}", c(x), c(y.at(*lo)));
                    }
                }
                let _ = write!(s, r#"<path class="band {}" d="{d}Z"/>"#, b.class);
            }
        }
        // Markers under the lines.
        for mk in self.markers {
            let x = c(self.x(mk.at as f64 - 0.5));
            let _ = write!(
                s,
                r#"<g class="marker {}"><title>{}</title><line x1="{x}" x2="{x}" y1="{TOP}" y2="{}"/><text x="{x}" y="{}" text-anchor="middle">{}</text></g>"#,
                mk.class,
                escape(&mk.title),
                HEIGHT - BOTTOM,
                TOP - 8.0,
                escape(&mk.label)
            );
        }
        // Lines.
        for se in &self.series {
            for run in runs(n, |i| se.values.get(i).copied().flatten()) {
                if run.len() < 2 {
                    continue;
                }
                let mut d = String::new();
                for (k, (i, v)) in run.iter().enumerate() {
                    let _ = write!(
                        d,
                        "{}{} {}",
                        if k == 0 { 'M' } else { 'L' },
                        c(self.x(*i as f64)),
                        c(y.at(*v))
                    );
                }
                let _ = write!(
                    s,
                    r#"<path class="line {}" d="{d}"><title>{}</title></path>"#,
                    se.class,
                    escape(se.name)
                );
            }
        }
        // One point per baseline that has a value here (the newest MAX_POINTS),
        // linked to its commit, its values as a tooltip.
        let r = if n > 150 { 2.0 } else { 3.5 };
        let first = n.saturating_sub(MAX_POINTS);
        for (i, p) in self.points.iter().enumerate().skip(first) {
            let has_value = self
                .series
                .iter()
                .any(|se| se.values.get(i).copied().flatten().is_some());
            if !has_value {
                continue;
            }
            let x = c(self.x(i as f64));
            match &p.href {
                Some(h) => {
                    let _ = write!(s, r#"<a class="pt" href="{}">"#, escape(h));
                }
                None => s.push_str(r#"<g class="pt">"#),
            }
            let _ = write!(s, "<title>{}</title>", escape(&p.title));
            for se in &self.series {
                if let Some(v) = se.values.get(i).copied().flatten() {
                    let _ = write!(
                        s,
                        r#"<circle class="{}" cx="{x}" cy="{}" r="{r}"/>"#,
                        se.class,
                        c(y.at(v))
                    );
                }
            }
            s.push_str(if p.href.is_some() { "</a>" } else { "</g>" });
        }
        s.push_str("</svg>");
        s
    }
}

/// One bar of a bar chart.
pub struct Bar {
    pub label: String,
    pub value: f64,
    /// The value as printed at the end of the bar.
    pub text: String,
    pub href: Option<String>,
    /// Drawn highlighted (the page's own device).
    pub current: bool,
}

/// Horizontal bars, one per row, starting at zero; `id`, `label` as in
/// [`TimeChart`], `unit` under the bars.
pub fn bars(id: &str, label: &str, unit: &str, rows: &[Bar]) -> String {
    const W: f64 = 320.0;
    const LABEL_W: f64 = 104.0;
    const VALUE_W: f64 = 54.0;
    const ROW: f64 = 26.0;
    let h = 20.0 + ROW * rows.len() as f64 + 22.0;
    let max = rows
        .iter()
        .map(|b| b.value)
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    let x = Scale::new(0.0, if max > 0.0 { max } else { 1.0 }, LABEL_W, W - VALUE_W);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart bars" id="{}" viewBox="0 0 {W} {h}" role="img" aria-label="{}" xmlns="http://www.w3.org/2000/svg">"#,
        escape(id),
        escape(label)
    );
    for (k, b) in rows.iter().enumerate() {
        let top = 14.0 + ROW * k as f64;
        let name: String = if b.label.chars().count() > 14 {
            b.label.chars().take(13).collect::<String>() + "…"
        } else {
            b.label.clone()
        };
        let (open, close) = match &b.href {
            Some(href) => (
                format!(r#"<a class="bar" href="{}">"#, escape(href)),
                "</a>",
            ),
            None => (r#"<g class="bar">"#.to_string(), "</g>"),
        };
        let end = if b.value.is_finite() {
            x.at(b.value)
        } else {
            LABEL_W
        };
        let _ = write!(
            s,
            r#"{open}<title>{}: {}</title><text class="tick" x="{}" y="{}" text-anchor="end">{}</text><rect class="{}" x="{LABEL_W}" y="{}" width="{}" height="{}"/><text class="value" x="{}" y="{}">{}</text>{close}"#,
            escape(&b.label),
            escape(&b.text),
            LABEL_W - 6.0,
            c(top + 13.0),
            escape(&name),
            if b.current { "current" } else { "other" },
            c(top + 3.0),
            c((end - LABEL_W).max(0.0)),
            ROW - 8.0,
            c(end + 4.0),
            c(top + 13.0),
            escape(&b.text)
        );
    }
    let _ = write!(
        s,
        r#"<path class="frame" d="M{LABEL_W} 10V{}"/><text class="axis" x="{}" y="{}" text-anchor="middle">{}</text></svg>"#,
        c(h - 22.0),
        c((LABEL_W + W - VALUE_W) / 2.0),
        c(h - 6.0),
        escape(unit)
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_ticks_cover_the_data_with_round_steps() {
        let (d0, d1, t) = nice_ticks(8.7, 11.3, 5);
        assert_eq!((d0, d1), (8.0, 12.0));
        assert_eq!(t, vec![8.0, 9.0, 10.0, 11.0, 12.0]);
        let (d0, d1, t) = nice_ticks(9.1, 10.2, 5);
        assert_eq!((d0, d1), (9.0, 10.25));
        assert_eq!(t, vec![9.0, 9.25, 9.5, 9.75, 10.0, 10.25]);
        let (d0, d1, t) = nice_ticks(0.0, 100.0, 5);
        assert_eq!((d0, d1, t.len()), (0.0, 100.0, 6));
        // A constant series still gets a range around its value.
        let (d0, d1, t) = nice_ticks(9.0, 9.0, 5);
        assert!(d0 < 9.0 && d1 > 9.0 && t.len() >= 2, "{d0} {d1} {t:?}");
        // Nonsense in, a usable axis out.
        let (d0, d1, _) = nice_ticks(f64::NAN, 3.0, 5);
        assert_eq!((d0, d1), (0.0, 1.0));
    }

    #[test]
    fn tick_labels_show_the_decimals_the_step_needs() {
        assert_eq!(tick_label(10.0, &[9.5, 10.0]), "10.0");
        assert_eq!(tick_label(10.0, &[8.0, 10.0]), "10");
        assert_eq!(tick_label(0.25, &[0.0, 0.25]), "0.25");
        assert_eq!(tick_label(120.0, &[100.0, 120.0]), "120");
    }

    #[test]
    fn scale_maps_linearly_and_survives_a_zero_domain() {
        let s = Scale::new(0.0, 10.0, 100.0, 0.0);
        assert_eq!((s.at(0.0), s.at(5.0), s.at(10.0)), (100.0, 50.0, 0.0));
        assert_eq!(Scale::new(3.0, 3.0, 0.0, 10.0).at(3.0), 5.0);
    }

    fn chart_with(points: &[Point], values: Vec<Option<f64>>) -> String {
        let labels: Vec<String> = (0..points.len()).map(|i| format!("d{i}")).collect();
        TimeChart {
            id: "t",
            label: "test <chart>",
            y_title: "latency (ms)",
            x_labels: &labels,
            x_title: "accepted baselines",
            band: Some(Band {
                class: "b",
                low: values.iter().map(|v| v.map(|x| x - 1.0)).collect(),
                high: values.iter().map(|v| v.map(|x| x + 1.0)).collect(),
            }),
            series: vec![Series {
                name: "p50",
                class: "p50",
                values,
            }],
            points,
            markers: &[Marker {
                at: 1,
                class: "cp",
                label: "Δ".into(),
                title: "level change".into(),
            }],
            y_min: None,
            y_max: None,
        }
        .svg()
    }

    #[test]
    fn a_time_chart_has_a_point_per_baseline_with_a_value_linked_when_it_can_be() {
        let points = vec![
            Point {
                href: Some("https://x/commit/abc1234".into()),
                title: "a & b".into(),
            },
            Point {
                href: None,
                title: "no commit".into(),
            },
            Point {
                href: Some("https://x/commit/def5678".into()),
                title: "c".into(),
            },
        ];
        let svg = chart_with(&points, vec![Some(9.0), None, Some(10.0)]);
        assert_eq!(svg.matches("<a class=\"pt\" href=").count(), 2);
        assert_eq!(svg.matches("<circle").count(), 2);
        // The entry without a value has no point.
        assert!(!svg.contains("no commit"));
        assert!(svg.contains("<title>a &amp; b</title>"));
        assert!(svg.contains(r#"aria-label="test &lt;chart&gt;""#));
        // Two runs of one entry each: two band pieces, no line.
        assert_eq!(svg.matches(r#"class="band b""#).count(), 2);
        assert!(!svg.contains(r#"class="line"#));
        assert_eq!(svg.matches(r#"class="marker cp""#).count(), 1);
        // Every entry with a value: three points, the one without a commit unlinked.
        let svg = chart_with(&points, vec![Some(9.0), Some(9.5), Some(10.0)]);
        assert_eq!(svg.matches(r#"class="pt""#).count(), 3);
        assert_eq!(
            svg.matches(r#"<g class="pt"><title>no commit</title>"#)
                .count(),
            1
        );
        assert_eq!(svg.matches(r#"class="band b""#).count(), 1);
        assert_eq!(svg.matches(r#"class="line p50""#).count(), 1);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
    }

    #[test]
    fn a_long_history_draws_points_for_the_newest_baselines_only() {
        let n = MAX_POINTS + 50;
        let points: Vec<Point> = (0..n)
            .map(|i| Point {
                href: Some(format!("https://x/commit/{i:07x}")),
                title: format!("entry {i}"),
            })
            .collect();
        let svg = chart_with(
            &points,
            (0..n).map(|i| Some(9.0 + i as f64 / 100.0)).collect(),
        );
        assert_eq!(svg.matches("<a class=\"pt\"").count(), MAX_POINTS);
        assert!(!svg.contains(">entry 49<"));
        assert!(svg.contains(">entry 50<") && svg.contains(&format!(">entry {}<", n - 1)));
        // The line still runs through every baseline.
        let line = svg.split(r#"class="line p50" d=""#).nth(1).unwrap();
        let d = &line[..line.find('"').unwrap()];
        assert_eq!(d.matches('L').count(), n - 1);
    }

    #[test]
    fn bars_start_at_zero_and_scale_to_the_largest() {
        let svg = bars(
            "b",
            "ms per image",
            "ms per image",
            &[
                Bar {
                    label: "cpu".into(),
                    value: 10.0,
                    text: "10.0".into(),
                    href: Some("../cpu/m.html".into()),
                    current: true,
                },
                Bar {
                    label: "a-very-long-device-name".into(),
                    value: 5.0,
                    text: "5.0".into(),
                    href: None,
                    current: false,
                },
            ],
        );
        assert!(svg.contains(r#"width="162.0""#), "{svg}");
        assert!(svg.contains(r#"width="81.0""#), "{svg}");
        assert!(svg.contains(">a-very-long-d…</text>"), "{svg}");
        assert!(svg.contains("<title>a-very-long-device-name: 5.0</title>"));
        assert_eq!(svg.matches(r#"class="current""#).count(), 1);
    }
}
