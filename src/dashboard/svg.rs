//! The pieces every SVG chart of the site is built from: linear scales, round
//! tick values and their labels, coordinates written with one decimal, and a
//! mark that links somewhere when it can. A leaf of the dashboard.

use std::fmt::Write;

use maud::{html, Markup, Render};

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

/// A coordinate in `viewBox` units, written with one decimal (the SVG's weight
/// is mostly numbers). Digits, `-` and `.` (or `NaN`/`inf`) need no escaping,
/// so it is written straight into the page.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct C(pub f64);

impl Render for C {
    fn render_to(&self, buffer: &mut String) {
        let _ = write!(buffer, "{:.1}", self.0);
    }
}

/// Appends path data (`M`, `L`, `H`, `V` commands) to `d`, one decimal per
/// number.
pub fn path_cmd(d: &mut String, cmd: char, a: f64, b: Option<f64>) {
    let _ = match b {
        Some(b) => write!(d, "{cmd}{a:.1} {b:.1}"),
        None => write!(d, "{cmd}{a:.1}"),
    };
}

/// `inner` inside `<a class="{class}" href="{href}">` when there is somewhere
/// to go, else inside `<g class="{class}">`.
pub fn link_or_group(class: &str, href: Option<&str>, inner: Markup) -> Markup {
    html! {
        @if let Some(href) = href {
            a class=(class) href=(href) { (inner) }
        } @else {
            g class=(class) { (inner) }
        }
    }
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

    #[test]
    fn coordinates_have_one_decimal_and_marks_link_when_they_can() {
        assert_eq!(html! { (C(12.345)) (C(-3.0)) }.into_string(), "12.3-3.0");
        let mut d = String::new();
        path_cmd(&mut d, 'M', 1.04, Some(2.06));
        path_cmd(&mut d, 'H', 3.0, None);
        assert_eq!(d, "M1.0 2.1H3.0");
        let inner = html! { title { "a & b" } };
        assert_eq!(
            link_or_group("pt", Some("https://x/?a=1&b=\"2\""), inner.clone()).into_string(),
            r#"<a class="pt" href="https://x/?a=1&amp;b=&quot;2&quot;"><title>a &amp; b</title></a>"#
        );
        assert_eq!(
            link_or_group("pt", None, inner).into_string(),
            r#"<g class="pt"><title>a &amp; b</title></g>"#
        );
    }
}
