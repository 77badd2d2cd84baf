//! A chart over accepted baselines, drawn as SVG with maud: a band, lines, one
//! linked point per baseline with its values as a tooltip, and markers for
//! change points and annotations.
//!
//! Drawn here rather than with plotters: the output is a few kilobytes of SVG
//! that the page's CSS colours (dark mode through `prefers-color-scheme`), every
//! point can be an `<a href>` with a `<title>`, and nothing is rasterised or
//! measured with a font. Sizes are in `viewBox` units; the page scales them.
//! Every SVG element is closed by an end tag (`<line ...></line>`): inside HTML,
//! a foreign element without `/>` or an end tag would swallow its siblings.

use maud::{html, Markup};

use super::svg::{link_or_group, nice_ticks, path_cmd, tick_label, Scale, C};

/// `viewBox` width and height of a chart over baselines.
pub const WIDTH: f64 = 640.0;
pub const HEIGHT: f64 = 300.0;
const LEFT: f64 = 62.0;
const RIGHT: f64 = 14.0;
const TOP: f64 = 28.0;
const BOTTOM: f64 = 56.0;

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
    pub fn svg(&self) -> Markup {
        let (d0, d1, ticks) = self.y_ticks();
        let y = Scale::new(d0, d1, HEIGHT - BOTTOM, TOP);
        html! {
            svg class="chart" id=(self.id) viewBox={ "0 0 " (WIDTH) " " (HEIGHT) } role="img"
                aria-label=(self.label) xmlns="http://www.w3.org/2000/svg" {
                (self.y_axis(&y, &ticks))
                (self.x_axis())
                path class="frame" d={ "M" (LEFT) " " (TOP) "V" (HEIGHT - BOTTOM) "H" (WIDTH - RIGHT) } {}
                (self.band_areas(&y))
                (self.marker_lines())
                (self.lines(&y))
                (self.point_marks(&y))
            }
        }
    }

    /// Grid lines with their tick labels, and the y axis title.
    fn y_axis(&self, y: &Scale, ticks: &[f64]) -> Markup {
        html! {
            @for t in ticks {
                line class="grid" x1=(LEFT) x2=(WIDTH - RIGHT) y1=(C(y.at(*t))) y2=(C(y.at(*t))) {}
                text class="tick" x=(LEFT - 6.0) y=(C(y.at(*t) + 4.0)) text-anchor="end" {
                    (tick_label(*t, ticks))
                }
            }
            text class="axis" text-anchor="middle"
                transform={ "translate(15 " (C((TOP + HEIGHT - BOTTOM) / 2.0)) ") rotate(-90)" } {
                (self.y_title)
            }
        }
    }

    /// X labels: up to six, evenly spread, always the first and the last,
    /// centred on their entry but kept inside the chart; then the axis title.
    /// Narrow screens show only the first, middle and last label (the others
    /// are `alt`).
    fn x_axis(&self) -> Markup {
        let n = self.n();
        let m = n.min(6);
        let mut shown: Vec<(usize, bool)> = Vec::with_capacity(m);
        for k in 0..m {
            let i = if m == 1 { 0 } else { k * (n - 1) / (m - 1) };
            if shown.last().is_some_and(|(last, _)| *last == i) {
                continue;
            }
            shown.push((i, !(k == 0 || k == m / 2 || k + 1 == m)));
        }
        html! {
            @for (i, alt) in shown {
                text class={ "tick xl" @if alt { " alt" } }
                    x=(C(self.x(i as f64).clamp(LEFT + 16.0, WIDTH - RIGHT - 34.0)))
                    y=(HEIGHT - BOTTOM + 20.0) text-anchor="middle" {
                    (self.x_labels.get(i).map(String::as_str).unwrap_or(""))
                }
            }
            text class="axis" x=(C((LEFT + WIDTH - RIGHT) / 2.0)) y=(HEIGHT - 6.0) text-anchor="middle" {
                (self.x_title)
            }
        }
    }

    /// The band: one polygon per run of entries with both edges (a run of one
    /// entry is a short box around it).
    fn band_areas(&self, y: &Scale) -> Markup {
        let Some(b) = &self.band else {
            return html! {};
        };
        let n = self.n();
        let half = ((WIDTH - LEFT - RIGHT) / n.max(1) as f64 / 4.0).min(4.0);
        let runs = runs(n, |i| {
            Some((b.low.get(i).copied()??, b.high.get(i).copied()??))
        });
        html! {
            @for run in &runs {
                path class={ "band " (b.class) } d=(self.band_path(y, run, half)) {}
            }
        }
    }

    /// The outline of one run of the band: along the high edge left to right,
    /// back along the low edge.
    fn band_path(&self, y: &Scale, run: &[(usize, (f64, f64))], half: f64) -> String {
        let mut d = String::with_capacity(24 * run.len());
        if let [(i, (lo, hi))] = run {
            let x = self.x(*i as f64);
            path_cmd(&mut d, 'M', x - half, Some(y.at(*hi)));
            path_cmd(&mut d, 'H', x + half, None);
            path_cmd(&mut d, 'V', y.at(*lo), None);
            path_cmd(&mut d, 'H', x - half, None);
        } else {
            for (k, (i, (_, hi))) in run.iter().enumerate() {
                let cmd = if k == 0 { 'M' } else { 'L' };
                path_cmd(&mut d, cmd, self.x(*i as f64), Some(y.at(*hi)));
            }
            for (i, (lo, _)) in run.iter().rev() {
                path_cmd(&mut d, 'L', self.x(*i as f64), Some(y.at(*lo)));
            }
        }
        d.push('Z');
        d
    }

    /// Markers, drawn under the lines.
    fn marker_lines(&self) -> Markup {
        html! {
            @for mk in self.markers {
                @let x = C(self.x(mk.at as f64 - 0.5));
                g class={ "marker " (mk.class) } {
                    title { (mk.title) }
                    line x1=(x) x2=(x) y1=(TOP) y2=(HEIGHT - BOTTOM) {}
                    text x=(x) y=(TOP - 8.0) text-anchor="middle" { (mk.label) }
                }
            }
        }
    }

    /// Each series as lines through its runs of two entries or more.
    fn lines(&self, y: &Scale) -> Markup {
        let n = self.n();
        html! {
            @for se in &self.series {
                @for run in runs(n, |i| se.values.get(i).copied().flatten()) {
                    @if run.len() >= 2 {
                        path class={ "line " (se.class) } d=(self.line_path(y, &run)) {
                            title { (se.name) }
                        }
                    }
                }
            }
        }
    }

    fn line_path(&self, y: &Scale, run: &[(usize, f64)]) -> String {
        let mut d = String::with_capacity(14 * run.len());
        for (k, (i, v)) in run.iter().enumerate() {
            let cmd = if k == 0 { 'M' } else { 'L' };
            path_cmd(&mut d, cmd, self.x(*i as f64), Some(y.at(*v)));
        }
        d
    }

    /// One point per baseline that has a value here (the newest
    /// [`MAX_POINTS`]), linked to its commit, its values as a tooltip.
    fn point_marks(&self, y: &Scale) -> Markup {
        let n = self.n();
        let r = if n > 150 { 2.0 } else { 3.5 };
        let first = n.saturating_sub(MAX_POINTS);
        let value = |se: &Series<'_>, i: usize| se.values.get(i).copied().flatten();
        html! {
            @for (i, p) in self.points.iter().enumerate().skip(first) {
                @if self.series.iter().any(|se| value(se, i).is_some()) {
                    @let x = C(self.x(i as f64));
                    (link_or_group("pt", p.href.as_deref(), html! {
                        title { (p.title) }
                        @for se in &self.series {
                            @if let Some(v) = value(se, i) {
                                circle class=(se.class) cx=(x) cy=(C(y.at(v))) r=(r) {}
                            }
                        }
                    }))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        .into_string()
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
        // Inside HTML an SVG element needs its end tag (or `/>`): every one has it.
        for tag in ["line", "path", "circle", "text", "g", "a"] {
            assert_eq!(
                svg.matches(&format!("<{tag} ")).count(),
                svg.matches(&format!("</{tag}>")).count(),
                "{tag}: {svg}"
            );
        }
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
}
