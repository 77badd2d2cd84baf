//! Horizontal bars, one per device (the model on every device), drawn as SVG
//! with maud. Every element is closed by an end tag (see `chart.rs`).

use maud::{html, Markup};

use super::svg::{link_or_group, Scale, C};

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

/// `viewBox` width, the label column, the value column and a row's height.
const W: f64 = 320.0;
const LABEL_W: f64 = 104.0;
const VALUE_W: f64 = 54.0;
const ROW: f64 = 26.0;

/// Horizontal bars, one per row, starting at zero; `id` and `label` (the
/// accessible name) as in `TimeChart`, `unit` under the bars.
pub fn bars(id: &str, label: &str, unit: &str, rows: &[Bar]) -> Markup {
    let h = 20.0 + ROW * rows.len() as f64 + 22.0;
    let max = rows
        .iter()
        .map(|b| b.value)
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    let x = Scale::new(0.0, if max > 0.0 { max } else { 1.0 }, LABEL_W, W - VALUE_W);
    html! {
        svg class="chart bars" id=(id) viewBox={ "0 0 " (W) " " (h) } role="img"
            aria-label=(label) xmlns="http://www.w3.org/2000/svg" {
            @for (k, b) in rows.iter().enumerate() {
                (bar(&x, 14.0 + ROW * k as f64, b))
            }
            path class="frame" d={ "M" (LABEL_W) " 10V" (C(h - 22.0)) } {}
            text class="axis" x=(C((LABEL_W + W - VALUE_W) / 2.0)) y=(C(h - 6.0)) text-anchor="middle" {
                (unit)
            }
        }
    }
}

/// One bar whose row starts at `top`: its label (shortened to 14 characters,
/// whole in the tooltip), the bar and its value.
fn bar(x: &Scale, top: f64, b: &Bar) -> Markup {
    let name: String = if b.label.chars().count() > 14 {
        b.label.chars().take(13).collect::<String>() + "…"
    } else {
        b.label.clone()
    };
    let end = if b.value.is_finite() {
        x.at(b.value)
    } else {
        LABEL_W
    };
    link_or_group(
        "bar",
        b.href.as_deref(),
        html! {
            title { (b.label) ": " (b.text) }
            text class="tick" x=(LABEL_W - 6.0) y=(C(top + 13.0)) text-anchor="end" { (name) }
            rect class=(if b.current { "current" } else { "other" }) x=(LABEL_W) y=(C(top + 3.0))
                width=(C((end - LABEL_W).max(0.0))) height=(ROW - 8.0) {}
            text class="value" x=(C(end + 4.0)) y=(C(top + 13.0)) { (b.text) }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

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
        )
        .into_string();
        assert!(svg.contains(r#"width="162.0""#), "{svg}");
        assert!(svg.contains(r#"width="81.0""#), "{svg}");
        assert!(svg.contains(">a-very-long-d…</text>"), "{svg}");
        assert!(svg.contains("<title>a-very-long-device-name: 5.0</title>"));
        assert_eq!(svg.matches(r#"class="current""#).count(), 1);
    }
}
