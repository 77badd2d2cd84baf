//! The index page: the device x model matrix of every path's latest baseline,
//! then a table of every path. One function per section, built with maud.

use std::collections::{BTreeMap, BTreeSet};

use maud::{html, Markup};

use super::change::{change, Change};
use super::format::{ms, pct, whole};
use super::input::SiteInput;
use super::layout::{commit_cell, page};
use super::urls::page_path;
use crate::history::PathHistory;

/// The index: device x model matrix of the latest baselines, then every path.
pub fn index(input: &SiteInput<'_>) -> String {
    let hs = input.histories;
    let changes: Vec<Change> = hs.iter().map(|h| change(input, h)).collect();
    let memory = hs
        .iter()
        .any(|h| h.entries.iter().any(|e| e.peak_rss_mb.is_some()));
    let body = html! {
        (header(hs)) "\n"
        main {
            "\n"
            (matrix_section(input, &changes, memory))
            (paths_section(input, &changes, memory))
        }
        "\n"
    };
    page("edgeperf baselines", "", input.repo_url, body)
}

/// "s" for any count but one.
fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Title, how many paths, devices and baselines, and when the last was accepted.
fn header(hs: &[PathHistory]) -> Markup {
    let devices: BTreeSet<&str> = hs.iter().map(|h| h.device.as_str()).collect();
    let latest = hs
        .iter()
        .filter_map(|h| h.entries.last())
        .map(|e| e.accepted_at)
        .max();
    let baselines: usize = hs.iter().map(|h| h.entries.len()).sum();
    html! {
        header {
            h1 { "edgeperf baselines" }
            p class="meta" {
                (hs.len()) " path" (plural(hs.len())) " on " (devices.len()) " device"
                (plural(devices.len())) " · " (baselines) " accepted baselines · latest accepted "
                @if let Some(t) = latest {
                    (t.format("%Y-%m-%d %H:%M UTC").to_string())
                } @else {
                    "never"
                }
            }
        }
    }
}

/// The device x model matrix: one cell per path, its latest baseline and its
/// change against the previous one, coloured by the suite's thresholds.
fn matrix_section(input: &SiteInput<'_>, changes: &[Change], memory: bool) -> Markup {
    let hs = input.histories;
    let devices: BTreeSet<&str> = hs.iter().map(|h| h.device.as_str()).collect();
    let models: BTreeSet<&str> = hs.iter().map(|h| h.model.as_str()).collect();
    let at: BTreeMap<(&str, &str), usize> = hs
        .iter()
        .enumerate()
        .map(|(k, h)| ((h.device.as_str(), h.model.as_str()), k))
        .collect();
    let rule = &input.compare;
    html! {
        section {
            h2 { "Latest baseline of each path" } "\n"
            p class="legend" {
                "Each cell: p50 / p90 latency, top-1 / top-5, cold start (session creation + first inference)"
                @if memory { ", peak memory" }
                ", and the paired change against the previous baseline (the latest commit replayed interleaved against the previous one on one machine, the statistic the comparator judges), coloured "
                span class="chg v-bad" { "slower or less accurate" } " / "
                span class="chg v-good" { "faster or more accurate" }
                " when it is a step beyond the suite's thresholds ("
                (format_args!("{:.0}", rule.latency.min_change * 100.0)) "% latency, "
                (format_args!("{:.1}", rule.accuracy.max_top1_drop_points)) " points top-1). A baseline that is not paired shows the absolute change of two separate runs, uncoloured: it mostly shows the machine."
            }
            "\n"
            div class="scroll" {
                table class="matrix" {
                    thead { tr { th { "model" } @for d in &devices { th class="l" { (d) } } } }
                    "\n"
                    tbody {
                        "\n"
                        @for m in &models {
                            tr {
                                th { (m) }
                                @for d in &devices {
                                    (matrix_cell(at.get(&(*d, *m)).map(|k| (&hs[*k], &changes[*k]))))
                                }
                            }
                            "\n"
                        }
                    }
                }
            }
        }
        "\n"
    }
}

/// One cell of the matrix: p50 / p90, accuracy, cold start and memory, the
/// change (⚙ when a setting changed too, named in the tooltip); empty where a
/// device does not run the model.
fn matrix_cell(path: Option<(&PathHistory, &Change)>) -> Markup {
    let Some((h, ch, e)) = path.and_then(|(h, ch)| Some((h, ch, h.entries.last()?))) else {
        return html! { td class="empty" {} };
    };
    let mut resources = Vec::new();
    if let Some(c) = e.cold_start_ms {
        resources.push(format!("cold {c:.0} ms"));
    }
    if let Some(mb) = e.peak_rss_mb {
        resources.push(format!("{mb:.0} MB"));
    }
    let notes = (!ch.notes.is_empty()).then(|| ch.notes.join("; "));
    html! {
        td class=(ch.class) {
            a class="cell" href=(page_path(&h.device, &h.model)) title=[notes] {
                span class="big" { (ms(e.p50)) } " / " (ms(e.p90)) " ms"
                span class="sub" {
                    @if e.top1.is_none() && e.top5.is_none() {
                        "latency only"
                    } @else {
                        "top-1 " (pct(e.top1)) " · top-5 " (pct(e.top5))
                    }
                }
                @if !resources.is_empty() {
                    span class="sub" { (resources.join(" · ")) }
                }
                span class="chg" { (ch.text) @if !ch.notes.is_empty() { " ⚙" } }
            }
        }
    }
}

/// Every path, one row each: its latest baseline, change, count and commit.
fn paths_section(input: &SiteInput<'_>, changes: &[Change], memory: bool) -> Markup {
    html! {
        section {
            h2 { "Every path" } "\n"
            div class="scroll" {
                table class="paths" {
                    thead {
                        tr {
                            th class="l" { "device" } th class="l" { "model" } th { "p50 ms" }
                            th { "p90 ms" } th { "p99 ms" } th { "FPS" } th { "top-1" } th { "top-5" }
                            th { "cold ms" } @if memory { th { "peak MB" } }
                            th class="l" { "change" } th { "baselines" } th class="l" { "latest commit" }
                        }
                    }
                    "\n"
                    tbody {
                        "\n"
                        @for (h, ch) in input.histories.iter().zip(changes) {
                            (path_row(input, h, ch, memory))
                        }
                    }
                }
            }
        }
        "\n"
    }
}

/// One path's row of the table of every path (nothing for an empty history).
fn path_row(input: &SiteInput<'_>, h: &PathHistory, ch: &Change, memory: bool) -> Markup {
    let Some(e) = h.entries.last() else {
        return html! {};
    };
    let fps = e.mean.filter(|m| *m > 0.0).map(|m| 1000.0 / m);
    html! {
        tr {
            td class="l" { (h.device) }
            td class="l" { a href=(page_path(&h.device, &h.model)) { (h.model) } }
            td { (ms(e.p50)) } td { (ms(e.p90)) } td { (ms(e.p99)) }
            td {
                @if let Some(f) = fps { (format_args!("{f:.1}")) } @else { "-" }
            }
            td { (pct(e.top1)) } td { (pct(e.top5)) } td { (whole(e.cold_start_ms)) }
            @if memory { td { (whole(e.peak_rss_mb)) } }
            td class="l" { span class={ "chg " (ch.class) } { (ch.text) } }
            td { (h.entries.len()) }
            td class="l" { (commit_cell(input.repo_url, e.commit.as_deref())) }
        }
        "\n"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{dashboard_path, fake_commit};
    use crate::suite::CompareConfig;

    const REPO: &str = "https://github.com/o/r";

    fn site<'a>(
        hs: &'a [PathHistory],
        compare: &'a CompareConfig,
        repo: Option<&'a str>,
    ) -> SiteInput<'a> {
        SiteInput {
            histories: hs,
            repo_url: repo,
            compare,
        }
    }

    #[test]
    fn the_index_is_a_device_by_model_matrix_with_memory_only_when_recorded() {
        let cfg = CompareConfig::default();
        let mut hs = vec![
            dashboard_path("cpu", "mobilenet_v2", 4, 9.0, Some(0.75)),
            dashboard_path("cpu", "resnet|50", 4, 60.0, None),
            dashboard_path("rpi4", "mobilenet_v2", 4, 40.0, Some(0.75)),
        ];
        let index_html = index(&site(&hs, &cfg, Some(REPO)));
        assert_eq!(index_html.matches(r#"<a class="cell""#).count(), 3);
        // rpi4 has no resnet|50: an empty cell.
        assert_eq!(index_html.matches(r#"<td class="empty">"#).count(), 1);
        assert!(index_html.contains(r#"href="paths/cpu/resnet~7C50.html""#));
        assert!(index_html.contains("resnet|50"));
        assert!(!index_html.contains("peak MB"));
        hs[2].entries[3].peak_rss_mb = Some(212.4);
        let index_html = index(&site(&hs, &cfg, Some(REPO)));
        assert!(index_html.contains("<th>peak MB</th>"));
        assert!(index_html.contains("212 MB"));
        assert!(index_html.contains(&format!("{REPO}/commit/{}", fake_commit(3))));
    }
}
