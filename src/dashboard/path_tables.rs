//! The tables of a path's page: its model on every device (bars and a table)
//! and its latest baselines. Built with maud.

use maud::{html, Markup};

use super::bars::{bars, Bar};
use super::format::{band_low, ms, ms_per_image, pct, runtime, threads, when, whole};
use super::input::SiteInput;
use super::layout::commit_cell;
use super::urls::slug;
use crate::history::PathHistory;
use crate::record::baseline::HistoryEntry;

/// The model on every device: ms per image and FPS of each device's latest
/// baseline, side by side (the seed benchmark's view).
pub fn devices_section(input: &SiteInput<'_>, h: &PathHistory) -> Markup {
    let rows: Vec<(&PathHistory, &HistoryEntry)> = input
        .histories
        .iter()
        .filter(|o| o.model == h.model)
        .filter_map(|o| Some((o, o.entries.last()?)))
        .collect();
    let mean_missing = rows.iter().any(|(_, e)| e.mean.is_none());
    html! {
        section {
            h2 { (h.model) " on each device" } "\n"
            p class="legend" {
                "Latest baseline of each device: milliseconds per image (mean of every timed inference"
                @if mean_missing { "; p50 for baselines accepted before the mean was recorded" }
                ") and frames per second (1000 / ms per image), one image at a time."
            }
            "\n"
            (device_bars(h, &rows)) "\n"
            div class="scroll" {
                table {
                    thead {
                        tr {
                            th class="l" { "device" } th { "ms per image" } th { "FPS" }
                            th { "p50 ms" } th { "p90 ms" } th { "top-1" } th { "top-5" }
                            th class="l" { "provider" } th class="l" { "runtime" }
                            th class="l" { "accepted" }
                        }
                    }
                    tbody { @for (o, e) in &rows { (device_row(o, e)) } }
                }
            }
        }
        "\n"
    }
}

/// The page of `o`, from another path's page.
fn sibling(o: &PathHistory) -> String {
    format!("../{}/{}.html", slug(&o.device), slug(&o.model))
}

/// ms per image and FPS of each device as bars, the page's own highlighted.
fn device_bars(h: &PathHistory, rows: &[(&PathHistory, &HistoryEntry)]) -> Markup {
    let bar = |o: &PathHistory, value: f64, text: String| Bar {
        label: o.device.clone(),
        value,
        text,
        href: Some(sibling(o)),
        current: o.device == h.device,
    };
    let ms_bars: Vec<Bar> = rows
        .iter()
        .map(|(o, e)| bar(o, ms_per_image(e), format!("{:.2}", ms_per_image(e))))
        .collect();
    let fps_bars: Vec<Bar> = rows
        .iter()
        .map(|(o, e)| {
            let fps = 1000.0 / ms_per_image(e);
            bar(o, fps, format!("{fps:.1}"))
        })
        .collect();
    let (ms_label, fps_label) = (
        format!("ms per image of {} per device", h.model),
        format!("frames per second of {} per device", h.model),
    );
    html! {
        div class="two" {
            div {
                h3 { "ms per image (lower is better)" }
                (bars("devices-ms", &ms_label, "ms per image", &ms_bars))
            }
            div {
                h3 { "FPS (higher is better)" }
                (bars("devices-fps", &fps_label, "frames per second", &fps_bars))
            }
        }
    }
}

/// One device's row: its latest baseline.
fn device_row(o: &PathHistory, e: &HistoryEntry) -> Markup {
    html! {
        tr {
            td class="l" { a href=(sibling(o)) { (o.device) } }
            td { (ms(ms_per_image(e))) }
            td { (format_args!("{:.1}", 1000.0 / ms_per_image(e))) }
            td { (ms(e.p50)) } td { (ms(e.p90)) } td { (pct(e.top1)) } td { (pct(e.top5)) }
            td class="l" { (e.provider_ran.as_str()) }
            td class="l" { (runtime(e)) }
            td class="l" { (when(e)) }
        }
    }
}

/// Most baselines shown in a page's table (the CSV beside it has them all).
const TABLE_ROWS: usize = 50;

/// The latest baselines, newest first, and the link to the whole history.
pub fn table_section(input: &SiteInput<'_>, h: &PathHistory) -> Markup {
    let memory = h.entries.iter().any(|e| e.peak_rss_mb.is_some());
    let device = h.entries.iter().any(|e| e.device.is_some());
    let n = h.entries.len();
    let csv = format!("{}.csv", slug(&h.model));
    html! {
        section {
            h2 { "Baselines" } "\n"
            p class="legend" {
                @if n > TABLE_ROWS {
                    "The newest " (TABLE_ROWS) " of " (n)
                } @else {
                    "All " (n) ", newest first"
                }
                " · every baseline as CSV: " a href=(csv) { (csv) }
            }
            "\n"
            div class="scroll" {
                table class="entries" {
                    thead {
                        tr {
                            th class="l" { "accepted (UTC)" } th class="l" { "commit" }
                            th { "paired change [CI %]" } th { "chain vs anchor [CI %]" }
                            th { "p10 ms (abs)" } th { "p50 ms (abs)" } th { "p90 ms (abs)" } th { "p99 ms (abs)" }
                            th { "top-1" } th { "top-5" } th { "cold ms" }
                            @if memory { th { "peak MB" } }
                            th class="l" { "runtime" } th class="l" { "provider" }
                            th class="l" { "threads" }
                            @if device { th class="l" { "device state" } }
                            th class="l" {}
                        }
                    }
                    tbody {
                        "\n"
                        @for i in (0..n).rev().take(TABLE_ROWS) {
                            (entry_row(input, h, i, Columns { memory, device }))
                        }
                    }
                }
            }
        }
        "\n"
    }
}

/// The optional columns of the baselines table.
#[derive(Clone, Copy)]
struct Columns {
    /// Peak memory.
    memory: bool,
    /// The device state (temperatures, governor, throttling) of the rounds.
    device: bool,
}

/// Entry `i` of the path as a row of the baselines table.
fn entry_row(input: &SiteInput<'_>, h: &PathHistory, i: usize, cols: Columns) -> Markup {
    let e = &h.entries[i];
    let mut flags = Vec::new();
    if let Some(d) = h.chain.steps[i] {
        flags.push(format!("paired step: {}", d.as_str()));
    }
    if h.accuracy_change_points.contains(&i) {
        flags.push("new top-1 level".to_string());
    }
    if let Some(d) = e.device.as_ref().filter(|d| d.problem_rounds > 0) {
        flags.push(format!(
            "device problems in {} of {} rounds",
            d.problem_rounds, d.rounds
        ));
    }
    html! {
        tr {
            td class="l" { (when(e)) }
            td class="l" { (commit_cell(input.repo_url, e.commit.as_deref())) }
            td { (crate::report::paired::paired_cell(h, i)) }
            td { (crate::report::paired::level_cell(h, i)) }
            td { (ms(band_low(e))) } td { (ms(e.p50)) } td { (ms(e.p90)) } td { (ms(e.p99)) }
            td { (pct(e.top1)) } td { (pct(e.top5)) } td { (whole(e.cold_start_ms)) }
            @if cols.memory { td { (whole(e.peak_rss_mb)) } }
            td class="l" { (runtime(e)) }
            td class="l" { (e.provider_ran.as_str()) }
            td class="l" { (threads(e)) }
            @if cols.device {
                @match &e.device {
                    Some(d) => td class="l" title=(d.text()) { (d.short()) },
                    None => td class="l" { "-" },
                }
            }
            td class="l" { (flags.join(", ")) }
        }
        "\n"
    }
}
