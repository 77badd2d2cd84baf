//! The charts of a path's page: latency (p10-p90 band, p50, change points and
//! setting changes), accuracy, cold start and peak memory over the accepted
//! baselines, each a section with its legend. Built with maud.

use std::fmt::Write;

use maud::{html, Markup};

use super::change::annotations;
use super::chart::{Band, Marker, Point, Series, TimeChart, MAX_POINTS};
use super::format::{band_low, commit_or_none, ms, pct, runtime_name, threads, when};
use super::input::SiteInput;
use super::layout::legend;
use super::urls::commit_url;
use crate::history::PathHistory;
use crate::record::baseline::HistoryEntry;

/// What every chart of one page shares.
pub struct PageCharts<'a> {
    pub history: &'a PathHistory,
    /// "device / model".
    pub name: String,
    /// Per entry, the date label of the x axis, and the axis title.
    pub x_labels: Vec<String>,
    pub x_title: String,
    /// Per entry, its commit's page (when the repository is known), for the
    /// entries a chart draws as points ([`MAX_POINTS`]); `None` before them.
    pub hrefs: Vec<Option<String>>,
    /// Entries where a setting changed: (index, what changed).
    pub notes: Vec<(usize, String)>,
}

impl<'a> PageCharts<'a> {
    pub fn new(input: &SiteInput<'_>, h: &'a PathHistory) -> PageCharts<'a> {
        let (x_labels, x_title) = x_axis(&h.entries);
        PageCharts {
            history: h,
            name: format!("{} / {}", h.device, h.model),
            x_labels,
            x_title,
            hrefs: h
                .entries
                .iter()
                .enumerate()
                .map(|(i, e)| {
                    let drawn = i >= first_point(h.entries.len());
                    e.commit
                        .as_deref()
                        .filter(|_| drawn)
                        .and_then(|c| commit_url(input.repo_url, c))
                })
                .collect(),
            notes: annotations(&h.entries),
        }
    }

    fn entries(&self) -> &'a [HistoryEntry] {
        &self.history.entries
    }

    /// One point per entry, linked to its commit; a link and a tooltip
    /// (`title`) only for the baselines a chart draws as points (the page's
    /// weight grows with the history: docs/PERFORMANCE.md).
    fn points(&self, title: impl Fn(&HistoryEntry) -> String) -> Vec<Point> {
        let entries = self.entries();
        self.points_indexed(|i| title(&entries[i]))
    }

    /// [`Self::points`] with the tooltip of entry `i` from `title(i)`.
    fn points_indexed(&self, title: impl Fn(usize) -> String) -> Vec<Point> {
        let first_point = first_point(self.entries().len());
        self.hrefs
            .iter()
            .enumerate()
            .map(|(i, href)| Point {
                href: href.clone(),
                title: if i >= first_point {
                    title(i)
                } else {
                    String::new()
                },
            })
            .collect()
    }

    /// The legend's key for the numbered setting-change markers, if any.
    fn notes_key(&self) -> Option<(&'static str, &'static str)> {
        (!self.notes.is_empty()).then_some((
            "note",
            "runtime, threads, provider or model changed (numbered below)",
        ))
    }

    /// A chart over every entry with the page's axes.
    fn chart<'c>(
        &'c self,
        id: &'c str,
        label: &'c str,
        y_title: &'c str,
        series: Vec<Series<'c>>,
        points: &'c [Point],
        markers: &'c [Marker],
    ) -> TimeChart<'c> {
        TimeChart {
            id,
            label,
            y_title,
            x_labels: &self.x_labels,
            x_title: &self.x_title,
            band: None,
            series,
            points,
            markers,
            y_min: Some(0.0),
            y_max: None,
        }
    }
}

/// The first of `n` entries that a chart draws as a point: the newest
/// [`MAX_POINTS`] are.
fn first_point(n: usize) -> usize {
    n.saturating_sub(MAX_POINTS)
}

/// "when · commit", the first line of every tooltip.
fn head_line(e: &HistoryEntry) -> String {
    format!("{} · {}", when(e), commit_or_none(e))
}

/// The tooltip of a baseline on the latency chart: when, which commit, every value.
fn tooltip(e: &HistoryEntry) -> String {
    let mut t = String::with_capacity(200);
    let _ = write!(
        t,
        "{} · {}\np50 {} ms (p10 {} – p90 {}), p99 {} ms",
        when(e),
        commit_or_none(e),
        ms(e.p50),
        ms(band_low(e)),
        ms(e.p90),
        ms(e.p99)
    );
    if e.top1.is_some() || e.top5.is_some() {
        let _ = write!(t, "\ntop-1 {} · top-5 {}", pct(e.top1), pct(e.top5));
    }
    match (e.cold_start_ms, e.peak_rss_mb) {
        (Some(c), Some(m)) => write!(t, "\ncold start {c:.0} ms · peak memory {m:.0} MB"),
        (Some(c), None) => write!(t, "\ncold start {c:.0} ms"),
        (None, Some(m)) => write!(t, "\npeak memory {m:.0} MB"),
        (None, None) => Ok(()),
    }
    .ok();
    let _ = write!(t, "\n{}", runtime_name(e));
    if !e.runtime_version.is_empty() {
        let _ = write!(t, " {}", e.runtime_version);
    }
    let _ = write!(t, " · {} · threads {}", e.provider_ran, threads(e));
    t
}

/// The x labels of a chart over `entries` and its axis title: as short as
/// stays unambiguous (short labels stay apart on a phone), the rest of the
/// date in the title. All on one day: "HH:MM"; one year: "MM-DD", or
/// "MM-DD HH:MM" when two baselines share a day; else the full date.
pub fn x_axis(entries: &[HistoryEntry]) -> (Vec<String>, String) {
    use chrono::{Datelike, Timelike};
    let day = |e: &HistoryEntry| e.accepted_at.date_naive();
    let (Some(first), Some(last)) = (entries.first(), entries.last()) else {
        return (Vec::new(), String::new());
    };
    let same_day = entries.iter().all(|e| day(e) == day(first));
    let same_year = first.accepted_at.year() == last.accepted_at.year();
    let shared_day = entries.windows(2).any(|w| day(&w[0]) == day(&w[1]));
    let labels = entries
        .iter()
        .map(|e| {
            let t = &e.accepted_at;
            if same_day {
                format!("{:02}:{:02}", t.hour(), t.minute())
            } else if same_year && shared_day {
                format!(
                    "{:02}-{:02} {:02}:{:02}",
                    t.month(),
                    t.day(),
                    t.hour(),
                    t.minute()
                )
            } else if same_year {
                format!("{:02}-{:02}", t.month(), t.day())
            } else {
                format!("{:04}-{:02}-{:02}", t.year(), t.month(), t.day())
            }
        })
        .collect();
    let title = if same_day {
        format!("baselines, oldest → newest ({}, UTC)", day(first))
    } else if same_year {
        format!(
            "baselines, oldest → newest ({}, UTC)",
            first.accepted_at.year()
        )
    } else {
        "baselines, oldest → newest (UTC)".to_string()
    };
    (labels, title)
}

/// Markers of a chart: its change points (Δ) and the setting changes (numbered).
fn markers(
    change_points: &[usize],
    notes: &[(usize, String)],
    entries: &[HistoryEntry],
) -> Vec<Marker> {
    let mut out: Vec<Marker> = change_points
        .iter()
        .filter(|i| **i > 0 && **i < entries.len())
        .map(|i| Marker {
            at: *i,
            class: "cp",
            label: "Δ".into(),
            title: format!(
                "new level from {} ({})",
                when(&entries[*i]),
                commit_or_none(&entries[*i])
            ),
        })
        .collect();
    out.extend(notes.iter().enumerate().map(|(k, (i, what))| Marker {
        at: *i,
        class: "note",
        label: (k + 1).to_string(),
        title: format!("{}: {what}", when(&entries[*i])),
    }));
    out
}

/// A section with a chart in its box and, below, its legend (if any).
fn chart_section(title: &str, chart: &TimeChart<'_>, keys: Option<&[(&str, &str)]>) -> Markup {
    html! {
        section {
            h2 { (title) } "\n"
            div class="chart-box" { (chart.svg()) }
            @if let Some(keys) = keys { "\n" (legend(keys)) }
        }
        "\n"
    }
}

/// Latency over commits: the p10-p90 band, the p50 line and a linked point
/// per baseline, change points and setting changes.
pub fn latency_section(pc: &PageCharts<'_>) -> Markup {
    let (entries, n) = (pc.entries(), pc.entries().len());
    let points = pc.points(tooltip);
    let marks = markers(&pc.history.latency_change_points, &pc.notes, entries);
    let label = format!("latency of {} over accepted baselines, ms", pc.name);
    let series = vec![Series {
        name: "p50",
        class: "p50",
        values: entries.iter().map(|e| Some(e.p50)).collect(),
    }];
    let mut chart = pc.chart("latency", &label, "latency (ms)", series, &points, &marks);
    chart.band = Some(Band {
        class: "lat",
        low: entries.iter().map(|e| Some(band_low(e))).collect(),
        high: entries.iter().map(|e| Some(e.p90)).collect(),
    });
    let point_note = if n > MAX_POINTS {
        format!("p50 (points: the newest {MAX_POINTS} of {n} baselines, linked to their commits)")
    } else {
        "p50 (point: the baseline, linked to its commit)".to_string()
    };
    let mut keys = vec![
        ("band", "p10–p90 of every inference"),
        ("p50", point_note.as_str()),
    ];
    if marks.iter().any(|m| m.class == "cp") {
        keys.push(("cp", "paired step (from the chain below)"));
    }
    keys.extend(pc.notes_key());
    chart_section(
        "Latency over commits (absolute: each baseline's own run)",
        &chart,
        Some(&keys),
    )
}

/// The tooltip of a baseline on the chain chart: its level against the
/// anchor and its own paired change.
fn chain_tooltip(pc: &PageCharts<'_>, i: usize) -> String {
    let h = pc.history;
    let e = &h.entries[i];
    let level = crate::report::paired::level_cell(h, i);
    let paired = match &e.paired {
        Some(p) => format!(
            "paired against {}: {} ({})",
            short(&p.base),
            crate::report::paired::paired_cell(h, i),
            p.change.verdict.as_str()
        ),
        None => "not paired".to_string(),
    };
    format!("{}\nchain vs anchor: {level}\n{paired}", head_line(e))
}

fn short(c: &str) -> &str {
    &c[..c.len().min(10)]
}

/// The paired chain: each baseline's level against the anchor (its paired
/// changes multiplied), with its approximate interval, steps marked. The
/// trend of the path; a section only when some baseline is paired.
pub fn chain_section(pc: &PageCharts<'_>) -> Markup {
    let h = pc.history;
    if h.entries.iter().all(|e| e.paired.is_none()) {
        return html! {
            section {
                h2 { "Paired chain" }
                p class="legend" {
                    "No baseline of this path is paired yet (accepted before pairing, or with "
                    code { "baseline accept" } " without " code { "--paired" }
                    "): its trend cannot be told from the machine's level."
                }
            }
            "\n"
        };
    }
    let pct = |f: fn(&crate::history::Level) -> f64| -> Vec<Option<f64>> {
        h.chain
            .levels
            .iter()
            .map(|l| l.as_ref().map(|l| (f(l) - 1.0) * 100.0))
            .collect()
    };
    let entries = pc.entries();
    let points = pc.points_indexed(|i| chain_tooltip(pc, i));
    let marks = markers(&h.latency_change_points, &pc.notes, entries);
    let label = format!("paired chain of {} against its anchor, %", pc.name);
    let series = vec![Series {
        name: "chain",
        class: "chain",
        values: pct(|l| l.level),
    }];
    let mut chart = pc.chart(
        "chain",
        &label,
        "change vs anchor (%)",
        series,
        &points,
        &marks,
    );
    chart.y_min = None;
    chart.band = Some(Band {
        class: "chain",
        low: pct(|l| l.lo),
        high: pct(|l| l.hi),
    });
    let anchor = entries
        .get(h.chain.anchor)
        .map(commit_or_none)
        .unwrap_or("-");
    let what = format!(
        "paired changes multiplied from the anchor {anchor}; a gap where a baseline is not paired"
    );
    let mut keys = vec![
        ("band chain", "approximate interval"),
        ("chain", what.as_str()),
    ];
    if marks.iter().any(|m| m.class == "cp") {
        keys.push((
            "cp",
            "paired step: a change the confirmation decided, at least the path's threshold",
        ));
    }
    keys.extend(pc.notes_key());
    chart_section("Paired chain (the trend)", &chart, Some(&keys))
}

/// Accuracy over commits: top-1 and top-5 with top-1 change points; a
/// latency-only model says so instead.
pub fn accuracy_section(pc: &PageCharts<'_>) -> Markup {
    let entries = pc.entries();
    if !entries.iter().any(|e| e.top1.is_some() || e.top5.is_some()) {
        return html! {
            section {
                h2 { "Accuracy over commits" }
                p class="legend" {
                    "A latency-only model (" code { "accuracy = false" } "): no accuracy is recorded."
                }
            }
            "\n"
        };
    }
    let marks = markers(&pc.history.accuracy_change_points, &pc.notes, entries);
    let points = pc.points(|e| {
        format!(
            "{}\ntop-1 {} · top-5 {}",
            head_line(e),
            pct(e.top1),
            pct(e.top5)
        )
    });
    let percent = |f: fn(&HistoryEntry) -> Option<f64>| -> Vec<Option<f64>> {
        entries.iter().map(|e| f(e).map(|v| v * 100.0)).collect()
    };
    let series = vec![
        Series {
            name: "top-1",
            class: "top1",
            values: percent(|e| e.top1),
        },
        Series {
            name: "top-5",
            class: "top5",
            values: percent(|e| e.top5),
        },
    ];
    let label = format!(
        "top-1 and top-5 accuracy of {} over accepted baselines, %",
        pc.name
    );
    let mut chart = pc.chart("accuracy", &label, "accuracy (%)", series, &points, &marks);
    chart.y_max = Some(100.0);
    let mut keys = vec![("top1", "top-1"), ("top5", "top-5")];
    if marks.iter().any(|m| m.class == "cp") {
        keys.push(("cp", "new top-1 level (PELT change point)"));
    }
    keys.extend(pc.notes_key());
    chart_section("Accuracy over commits", &chart, Some(&keys))
}

/// A resource measured per baseline: cold start or peak memory.
struct Resource {
    id: &'static str,
    title: &'static str,
    /// Y axis title and the line's name.
    axis: &'static str,
    class: &'static str,
    /// In the tooltip: "cold start 152 ms".
    what: &'static str,
    unit: &'static str,
    value: fn(&HistoryEntry) -> Option<f64>,
}

const COLD_START: Resource = Resource {
    id: "cold-start",
    title: "Cold start over commits",
    axis: "cold start (ms)",
    class: "cold",
    what: "cold start",
    unit: "ms",
    value: |e| e.cold_start_ms,
};

const MEMORY: Resource = Resource {
    id: "memory",
    title: "Peak memory over commits",
    axis: "peak memory (MB)",
    class: "mem",
    what: "peak memory",
    unit: "MB",
    value: |e| e.peak_rss_mb,
};

/// Cold start and peak memory over commits, each when recorded.
pub fn resource_sections(pc: &PageCharts<'_>) -> Markup {
    html! {
        (resource_section(pc, &COLD_START))
        (resource_section(pc, &MEMORY))
    }
}

fn resource_section(pc: &PageCharts<'_>, r: &Resource) -> Markup {
    let values: Vec<Option<f64>> = pc.entries().iter().map(r.value).collect();
    if values.iter().all(Option::is_none) {
        return html! {};
    }
    let points = pc.points(|e| {
        let v = (r.value)(e).map(|x| format!("{x:.0}"));
        let v = v.as_deref().unwrap_or("-");
        format!("{}\n{} {v} {}", head_line(e), r.what, r.unit)
    });
    let series = vec![Series {
        name: r.axis,
        class: r.class,
        values,
    }];
    let label = format!("{} of {}", r.title, pc.name);
    let chart = pc.chart(r.id, &label, r.axis, series, &points, &[]);
    chart_section(r.title, &chart, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::dashboard_path;

    #[test]
    fn date_labels_are_as_short_as_stays_unambiguous() {
        let h = dashboard_path("cpu", "m", 3, 9.0, None);
        // A baseline a day (fixtures): month and day, the year in the title.
        let (labels, title) = x_axis(&h.entries);
        assert_eq!(labels, ["01-02", "01-03", "01-04"]);
        assert!(title.contains("(2026, UTC)"), "{title}");
        // Two on one day: the time too.
        let mut e = h.entries.clone();
        e[1].accepted_at = e[0].accepted_at + chrono::Duration::minutes(150);
        assert_eq!(x_axis(&e).0, ["01-02 03:04", "01-02 05:34", "01-04 03:04"]);
        // All on one day: the time, the date in the title.
        e[2].accepted_at = e[0].accepted_at + chrono::Duration::minutes(300);
        let (labels, title) = x_axis(&e);
        assert_eq!(labels, ["03:04", "05:34", "08:04"]);
        assert!(title.contains("(2026-01-02, UTC)"), "{title}");
        // Across years: the full date.
        e[2].accepted_at = e[0].accepted_at + chrono::Duration::days(400);
        assert_eq!(x_axis(&e).0[2], "2027-02-06");
    }
}
