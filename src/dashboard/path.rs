//! A path's page: its header (the latest baseline and its change), the charts
//! over its baselines (`path_charts.rs`), the setting changes they number, why
//! explained steps changed (`path_why.rs`), its model on every device and its
//! latest baselines (`path_tables.rs`).

use maud::{html, Markup};

use super::change::change;
use super::format::{commit_or_none, ms, pct, runtime, threads, when};
use super::input::SiteInput;
use super::layout::page;
use super::path_charts::{
    accuracy_section, chain_section, latency_section, resource_sections, PageCharts,
};
use super::path_tables::{devices_section, table_section};
use super::path_why::why_section;
use crate::history::PathHistory;

/// One path's page: charts over its baselines, the model on every device, and
/// its latest baselines.
pub fn path_page(input: &SiteInput<'_>, h: &PathHistory) -> String {
    let charts = PageCharts::new(input, h);
    let body = html! {
        (header(input, h, &charts.name)) "\n"
        main {
            "\n"
            (chain_section(&charts))
            (latency_section(&charts))
            (accuracy_section(&charts))
            (resource_sections(&charts))
            (notes_section(h, &charts.notes))
            (why_section(h))
            (devices_section(input, h))
            (table_section(input, h))
        }
        "\n"
    };
    page(
        &format!("{} · edgeperf", charts.name),
        "../../",
        input.repo_url,
        body,
    )
}

/// The way back to the index, the path's name and its latest baseline: every
/// value, the runtime and the change against the previous baseline.
fn header(input: &SiteInput<'_>, h: &PathHistory, name: &str) -> Markup {
    let n = h.entries.len();
    html! {
        header {
            p class="meta" { a href="../../index.html" { "← every path" } }
            h1 { (name) }
            @if let Some(e) = h.entries.last() {
                @let ch = change(input, h);
                p class="meta" {
                    (n) " accepted baseline" @if n != 1 { "s" } " · latest " (when(e)) ": p50 "
                    (ms(e.p50)) " ms, p90 " (ms(e.p90)) " ms, p99 " (ms(e.p99)) " ms, top-1 "
                    (pct(e.top1)) ", top-5 " (pct(e.top5))
                    @if let Some(c) = e.cold_start_ms { ", cold start " (format_args!("{c:.0}")) " ms" }
                    " · " (runtime(e)) " · " (e.provider_ran.as_str())
                    " · threads " (threads(e)) " · change against the previous baseline: "
                    span class={ "chg " (ch.class) } {
                        (if ch.text.is_empty() { "none" } else { &ch.text })
                    }
                    @if !ch.notes.is_empty() { " (" (ch.notes.join("; ")) ")" }
                }
                @if let Some(d) = &e.device {
                    p class="meta" { "Device state of its rounds: " (d.text()) }
                }
            }
        }
    }
}

/// The setting changes, numbered as on the charts.
fn notes_section(h: &PathHistory, notes: &[(usize, String)]) -> Markup {
    if notes.is_empty() {
        return html! {};
    }
    html! {
        section {
            h2 { "Setting changes" }
            ol class="notes" {
                @for (i, what) in notes {
                    @let e = &h.entries[*i];
                    li { (when(e)) " (" (commit_or_none(e)) "): " (what) }
                }
            }
        }
        "\n"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{dashboard_path, fake_commit};
    use crate::suite::{CompareConfig, Provider, RuntimeKind};

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

    /// The part of `html` from `<svg ... id="{id}"` to its `</svg>`.
    fn svg<'a>(html: &'a str, id: &str) -> &'a str {
        let start = html
            .find(&format!(r#"id="{id}""#))
            .unwrap_or_else(|| panic!("no chart {id}"));
        let end = start + html[start..].find("</svg>").unwrap();
        &html[start..end]
    }

    #[test]
    fn a_path_page_draws_a_point_per_baseline_linked_to_its_commit() {
        let cfg = CompareConfig::default();
        let hs = [
            dashboard_path("cpu", "mobilenet_v2", 12, 9.0, Some(0.75)),
            dashboard_path("openvino-cpu", "mobilenet_v2", 5, 7.0, Some(0.75)),
        ];
        let page = path_page(&site(&hs, &cfg, Some(REPO)), &hs[0]);
        for id in ["latency", "accuracy", "cold-start"] {
            let chart = svg(&page, id);
            assert_eq!(chart.matches(r#"<a class="pt""#).count(), 12, "{id}");
            assert!(chart.contains(&format!(r#"href="{REPO}/commit/{}""#, fake_commit(11))));
        }
        assert!(
            !page.contains(r#"id="memory""#),
            "no memory recorded, no memory chart"
        );
        // The band, the p50 line, the level change at entry 8 and the runtime change.
        let latency = svg(&page, "latency");
        assert_eq!(latency.matches(r#"class="band lat""#).count(), 1);
        assert_eq!(latency.matches(r#"class="marker cp""#).count(), 1);
        assert_eq!(latency.matches(r#"class="marker note""#).count(), 1);
        assert!(page.contains("onnxruntime 1.24.1 → 1.31.1"));
        // Both devices of the model, side by side, this one highlighted.
        let bars = svg(&page, "devices-ms");
        assert_eq!(bars.matches("<rect").count(), 2);
        assert_eq!(bars.matches(r#"class="current""#).count(), 1);
        assert!(bars.contains(r#"href="../openvino-cpu/mobilenet_v2.html""#));
        assert!(page.contains(r#"href="mobilenet_v2.csv""#));
        assert!(page.contains(r#"href="../../style.css""#));
    }

    #[test]
    fn a_path_page_shows_the_device_state_of_its_baselines() {
        use crate::record::devsummary::DeviceSummary;
        let cfg = CompareConfig::default();
        let mut h = dashboard_path("rpi4", "m", 3, 9.0, Some(0.75));
        let page = path_page(&site(std::slice::from_ref(&h), &cfg, None), &h);
        assert!(!page.contains("device state"), "older baselines: no column");
        let summary = |problems| DeviceSummary {
            rounds: 3,
            problem_rounds: problems,
            temp_c: Some([48.3, 85.0]),
            zone: Some("cpu-thermal".into()),
            governors: vec!["ondemand".into()],
            throttle: Some(if problems > 0 {
                vec!["under-voltage".into()]
            } else {
                vec![]
            }),
            ..Default::default()
        };
        h.entries[1].device = Some(summary(0));
        h.entries[2].device = Some(summary(2));
        let page = path_page(&site(std::slice::from_ref(&h), &cfg, None), &h);
        assert!(page.contains("Device state of its rounds: 48.3-85.0 °C (cpu-thermal) · governor ondemand · Pi firmware: under-voltage · device problems in 2 of 3 rounds"), "{page}");
        let table = &page[page.find(r#"<table class="entries">"#).unwrap()..];
        assert!(table.contains(r#"<th class="l">device state</th>"#));
        assert!(table.contains(">48-85 °C · ondemand · Pi firmware: under-voltage · problems in 2 of 3 rounds</td>"), "{table}");
        assert!(
            table.contains("device problems in 2 of 3 rounds</td>"),
            "the flag"
        );
        assert_eq!(
            table.matches(r#"<td class="l">-</td>"#).count(),
            1,
            "the oldest has none"
        );
    }

    #[test]
    fn without_a_repository_points_carry_the_commit_in_their_tooltip_only() {
        let cfg = CompareConfig::default();
        let hs = [dashboard_path("cpu", "resnet50", 3, 60.0, None)];
        let page = path_page(&site(&hs, &cfg, None), &hs[0]);
        let latency = svg(&page, "latency");
        assert_eq!(latency.matches(r#"<g class="pt">"#).count(), 3);
        assert!(!latency.contains("<a "));
        assert!(latency.contains(&fake_commit(2)[..10]));
        // A latency-only model says so instead of an empty accuracy chart.
        assert!(!page.contains(r#"id="accuracy""#));
        assert!(page.contains("latency-only model"));
    }

    /// `h` measured by `kind` at `version` on `provider`, every entry.
    fn on_runtime(
        mut h: PathHistory,
        kind: Option<RuntimeKind>,
        version: &str,
        provider: Provider,
    ) -> PathHistory {
        for e in &mut h.entries {
            (e.runtime_kind, e.runtime_version) = (kind, version.into());
            e.provider_ran = provider;
        }
        h
    }

    #[test]
    fn litert_and_external_runner_paths_are_labelled_with_their_runtime() {
        let cfg = CompareConfig::default();
        let hs = [
            on_runtime(
                dashboard_path("coral", "m", 4, 5.0, Some(0.75)),
                Some(RuntimeKind::External),
                "edgetpu 16.0",
                Provider::Npu,
            ),
            on_runtime(
                dashboard_path("cpu", "m", 4, 9.0, Some(0.75)),
                Some(RuntimeKind::Onnxruntime),
                "1.31.1",
                Provider::Cpu,
            ),
            on_runtime(
                dashboard_path("npu", "m", 4, 3.0, Some(0.75)),
                Some(RuntimeKind::Litert),
                "1.4.0",
                Provider::Npu,
            ),
            on_runtime(
                dashboard_path("old", "m", 4, 7.0, Some(0.75)),
                None,
                "1.31.1",
                Provider::Cpu,
            ),
        ];
        let input = site(&hs, &cfg, Some(REPO));
        let labels = [
            "external edgetpu 16.0",
            "onnxruntime 1.31.1",
            "litert 1.4.0",
            "unknown runtime 1.31.1",
        ];
        for (h, label) in hs.iter().zip(labels) {
            let page = path_page(&input, h);
            let provider = h.entries[0].provider_ran;
            // The header, every latency tooltip and every row of the baselines table.
            assert!(
                page.contains(&format!(" · {label} · {provider} · threads 1/1 · ")),
                "{label}: {page}"
            );
            let tips = format!("{label} · {provider} · threads 1/1</title>");
            assert_eq!(svg(&page, "latency").matches(&tips).count(), 4, "{label}");
            let table = &page[page.find(r#"<table class="entries">"#).unwrap()..];
            assert_eq!(
                table
                    .matches(&format!(r#"<td class="l">{label}</td>"#))
                    .count(),
                4,
                "{label}"
            );
            assert!(table.contains(r#"<th class="l">runtime</th>"#));
            // The model on every device names each device's runtime.
            for other in labels {
                assert!(page.contains(&format!(r#"<td class="l">{other}</td>"#)));
            }
        }
        // Only the ONNX Runtime path names onnxruntime in its own rows.
        let npu = path_page(&input, &hs[2]);
        let own = &npu[npu.find(r#"<table class="entries">"#).unwrap()..];
        assert!(!own.contains("onnxruntime"), "{own}");
    }
}
