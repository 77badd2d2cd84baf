//! The site's pages as HTML strings: the index (device x model matrix and a
//! table of every path) and one page per path (charts over its baselines, its
//! model on every device, the latest baselines). Plain HTML and inline SVG, no
//! script; one shared style sheet ([`STYLE`]).

use std::collections::BTreeSet;
use std::fmt::Write;

use super::chart::{bars, Band, Bar, Marker, Point, Series, TimeChart, MAX_POINTS};
use super::html::escape;
use super::{band_low, commit_url, page_path, slug, SiteInput};
use crate::history::PathHistory;
use crate::record::baseline::HistoryEntry;

/// The style sheet every page links (`style.css`): light and dark colours
/// (`prefers-color-scheme`), charts that scale, tables that scroll on a phone.
/// On a narrow screen a chart shrinks with the page, so its text is set larger
/// in chart units (about 11 px on a phone) and only the first, middle and last
/// date label stay.
pub const STYLE: &str = r#":root{--bg:#fff;--fg:#1f2328;--muted:#59636e;--grid:#d1d9e0;--card:#f6f8fa;--link:#0969da;--band:rgba(9,105,218,.18);--p50:#0969da;--top1:#8250df;--top5:#1a7f37;--cold:#bc4c00;--mem:#6e7781;--cp:#cf222e;--note:#9a6700;--bad:#cf222e;--bad-bg:#ffebe9;--good:#1a7f37;--good-bg:#dafbe1}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--grid:#30363d;--card:#161b22;--link:#58a6ff;--band:rgba(56,139,253,.28);--p50:#58a6ff;--top1:#bc8cff;--top5:#3fb950;--cold:#f0883e;--mem:#9198a1;--cp:#ff7b72;--note:#d29922;--bad:#ff7b72;--bad-bg:#3c1618;--good:#3fb950;--good-bg:#12261e}}
html{color-scheme:light dark}
body{margin:0 auto;max-width:1100px;padding:12px 16px 40px;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:var(--bg);color:var(--fg)}
a{color:var(--link)}
h1{font-size:1.45rem;margin:.3em 0}
h2{font-size:1.15rem;margin:1.6em 0 .4em}
.meta,.legend,footer{color:var(--muted);font-size:.9em}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;font-variant-numeric:tabular-nums}
th,td{padding:4px 10px;border-bottom:1px solid var(--grid);text-align:right;white-space:nowrap}
th{font-weight:600}
.l{text-align:left}
.matrix td{padding:0;vertical-align:top;min-width:10.5em}
.matrix th{vertical-align:top;text-align:left}
.matrix a.cell{display:block;padding:6px 10px;color:inherit;text-decoration:none;text-align:left}
.matrix a.cell:hover{outline:2px solid var(--link)}
.big{font-size:1.1em;font-weight:600}
.sub{display:block;color:var(--muted);font-size:.85em}
.chg{font-size:.85em}
.matrix .chg{display:block}
.v-bad .chg,.chg.v-bad{color:var(--bad);font-weight:600}
.v-good .chg,.chg.v-good{color:var(--good);font-weight:600}
.matrix td.v-bad{background:var(--bad-bg)}
.matrix td.v-good{background:var(--good-bg)}
.chart-box{max-width:860px}
svg.chart{display:block;width:100%;height:auto}
svg.bars{min-width:0}
svg text{fill:var(--muted);font-size:12px}
svg .value{fill:var(--fg)}
.grid{stroke:var(--grid)}
.frame{stroke:var(--muted);fill:none}
.band{fill:var(--band)}
.line{fill:none;stroke-width:2}
.line.p50{stroke:var(--p50)}.line.top1{stroke:var(--top1)}.line.top5{stroke:var(--top5)}.line.cold{stroke:var(--cold)}.line.mem{stroke:var(--mem)}
circle.p50{fill:var(--p50)}circle.top1{fill:var(--top1)}circle.top5{fill:var(--top5)}circle.cold{fill:var(--cold)}circle.mem{fill:var(--mem)}
.pt circle{stroke:var(--bg);stroke-width:1}
.pt:hover circle,.pt:focus circle{r:6px}
.marker line{stroke-width:1.5}
.marker.cp line{stroke:var(--cp);stroke-dasharray:5 3}.marker.cp text{fill:var(--cp);font-weight:700}
.marker.note line{stroke:var(--note);stroke-dasharray:2 3}.marker.note text{fill:var(--note);font-weight:700}
.bars rect.current{fill:var(--p50)}.bars rect.other{fill:var(--muted);opacity:.6}
.bars a:hover rect{opacity:1}
.key{display:inline-block;width:14px;height:10px;margin:0 4px 0 12px;vertical-align:baseline;border-radius:2px}
.key:first-child{margin-left:0}
.key.band{background:var(--band)}.key.p50{background:var(--p50)}.key.top1{background:var(--top1)}.key.top5{background:var(--top5)}.key.cold{background:var(--cold)}.key.mem{background:var(--mem)}
.key.cp{border-left:3px dashed var(--cp);width:0;border-radius:0}.key.note{border-left:3px dotted var(--note);width:0;border-radius:0}
.two{display:grid;grid-template-columns:repeat(auto-fit,minmax(260px,1fr));gap:8px 24px;max-width:860px}
.two h3{font-size:1em;margin:.4em 0}
ol.notes{padding-left:1.6em}
footer{margin-top:3em}
@media (max-width:600px){body{padding:8px 10px 32px}svg.chart text{font-size:22px}svg.chart .xl.alt{display:none}svg.bars text{font-size:13px}}
"#;

/// Milliseconds with two decimals, or "-".
fn ms(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.2}")
    } else {
        "-".into()
    }
}

/// A whole number (ms of cold start, MiB of memory), or "-".
fn whole(x: Option<f64>) -> String {
    x.map(|v| format!("{v:.0}")).unwrap_or_else(|| "-".into())
}

fn pct(x: Option<f64>) -> String {
    x.map(|v| format!("{:.1}%", v * 100.0))
        .unwrap_or_else(|| "-".into())
}

/// The first 10 digits of a commit.
fn short(sha: &str) -> &str {
    match sha.char_indices().nth(10) {
        Some((i, _)) => &sha[..i],
        None => sha,
    }
}

/// "2026-11-28 10:15" (UTC), without chrono's format parser: pages format it
/// thousands of times.
fn when(e: &HistoryEntry) -> String {
    use chrono::{Datelike, Timelike};
    let t = &e.accepted_at;
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute()
    )
}

/// "ms per image": the mean, or p50 for lines written before the mean was.
fn ms_per_image(e: &HistoryEntry) -> f64 {
    e.mean.unwrap_or(e.p50)
}

fn threads(e: &HistoryEntry) -> String {
    e.threads
        .map(|t| format!("{}/{}", t.intra, t.inter))
        .unwrap_or_else(|| "-".into())
}

/// The page head, up to and including `<body>`; `root` leads back to the
/// site's root ("" or "../../").
fn head(title: &str, root: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="generator" content="edgeperf dashboard"><title>{}</title><link rel="stylesheet" href="{root}style.css"></head>
<body>
"#,
        escape(title)
    )
}

/// Where the site's data comes from, for the footer.
fn footer(input: &SiteInput<'_>) -> String {
    let repo = match input.repo_url {
        Some(r) => format!(r#" of <a href="{0}">{0}</a>"#, escape(r)),
        None => String::new(),
    };
    format!(
        "<footer>Drawn by <code>edgeperf dashboard</code> from the accepted baselines{repo} (<code>baselines/&lt;device&gt;/&lt;model&gt;.history.jsonl</code>); no script, no network.</footer>\n</body></html>\n"
    )
}

/// A path's change against its previous baseline, and how it reads.
pub struct Change {
    /// Change of the detection statistic (median round p10), a fraction.
    pub latency: Option<f64>,
    /// Change of top-1 in percentage points.
    pub top1_points: Option<f64>,
    /// `v-bad`, `v-good` or `v-same`; `v-new` for a first baseline.
    pub class: &'static str,
    /// "+5.2% slower", "-1.4 pts top-1", "first baseline".
    pub text: String,
    /// What else changed (runtime, threads, provider, model).
    pub notes: Vec<String>,
}

/// The latest baseline of `h` against the one before it, judged with the
/// suite's thresholds for the path (latency `min_change`, top-1
/// `max_top1_drop_points`), on the statistic the comparator uses.
pub fn change(input: &SiteInput<'_>, h: &PathHistory) -> Change {
    let n = h.entries.len();
    if n < 2 {
        return Change {
            latency: None,
            top1_points: None,
            class: "v-new",
            text: "first baseline".into(),
            notes: Vec::new(),
        };
    }
    let (prev, last) = (&h.entries[n - 2], &h.entries[n - 1]);
    let rule = crate::compare::rule_for(input.compare, &h.device, &h.model);
    let latency = (prev.p10_rounds > 0.0)
        .then(|| last.p10_rounds / prev.p10_rounds - 1.0)
        .filter(|x| x.is_finite());
    let top1_points = match (prev.top1, last.top1) {
        (Some(a), Some(b)) => Some((b - a) * 100.0),
        _ => None,
    };
    let slower = latency.is_some_and(|x| x > rule.latency.min_change);
    let faster = latency.is_some_and(|x| x < -rule.latency.min_change);
    let limit = rule.accuracy.max_top1_drop_points;
    let less_accurate = top1_points.is_some_and(|d| d < -limit);
    let more_accurate = top1_points.is_some_and(|d| d > limit);
    let mut words = Vec::new();
    if let Some(x) = latency {
        words.push(format!(
            "{:+.1}%{}",
            x * 100.0,
            if slower {
                " slower"
            } else if faster {
                " faster"
            } else {
                ""
            }
        ));
    }
    if let Some(d) = top1_points.filter(|d| d.abs() >= 0.05) {
        words.push(format!("{d:+.1} pts top-1"));
    }
    let class = if slower || less_accurate {
        "v-bad"
    } else if faster || more_accurate {
        "v-good"
    } else {
        "v-same"
    };
    Change {
        latency,
        top1_points,
        class,
        text: words.join(", "),
        notes: setting_changes(prev, last),
    }
}

/// What changed around a path between two baselines, each as a short phrase.
fn setting_changes(prev: &HistoryEntry, e: &HistoryEntry) -> Vec<String> {
    let mut out = Vec::new();
    if prev.runtime_version != e.runtime_version {
        out.push(format!(
            "onnxruntime {} → {}",
            prev.runtime_version, e.runtime_version
        ));
    }
    if prev.provider_ran != e.provider_ran {
        out.push(format!(
            "provider {} → {}",
            prev.provider_ran, e.provider_ran
        ));
    }
    if let (Some(a), Some(b)) = (prev.threads, e.threads) {
        if a != b {
            out.push(format!(
                "threads {}/{} → {}/{} (intra/inter)",
                a.intra, a.inter, b.intra, b.inter
            ));
        }
    }
    if prev.model_sha256 != e.model_sha256 {
        out.push(format!(
            "model file {} → {}",
            crate::compare::short_hash(&prev.model_sha256),
            crate::compare::short_hash(&e.model_sha256)
        ));
    }
    out
}

/// Entries where a setting changed: (index, what changed).
fn annotations(entries: &[HistoryEntry]) -> Vec<(usize, String)> {
    entries
        .windows(2)
        .enumerate()
        .filter_map(|(i, w)| {
            let c = setting_changes(&w[0], &w[1]);
            (!c.is_empty()).then(|| (i + 1, c.join("; ")))
        })
        .collect()
}

/// The tooltip of a baseline: when, which commit, every value.
fn tooltip(e: &HistoryEntry) -> String {
    let mut t = format!(
        "{} · {}\np50 {} ms (p10 {} – p90 {}), p99 {} ms",
        when(e),
        e.commit.as_deref().map(short).unwrap_or("no commit"),
        ms(e.p50),
        ms(band_low(e)),
        ms(e.p90),
        ms(e.p99)
    );
    if e.top1.is_some() || e.top5.is_some() {
        let _ = write!(t, "\ntop-1 {} · top-5 {}", pct(e.top1), pct(e.top5));
    }
    let mut extra = Vec::new();
    if let Some(c) = e.cold_start_ms {
        extra.push(format!("cold start {c:.0} ms"));
    }
    if let Some(m) = e.peak_rss_mb {
        extra.push(format!("peak memory {m:.0} MB"));
    }
    if !extra.is_empty() {
        let _ = write!(t, "\n{}", extra.join(" · "));
    }
    let _ = write!(
        t,
        "\nonnxruntime {} · {} · threads {}",
        e.runtime_version,
        e.provider_ran,
        threads(e)
    );
    t
}

/// The index: device x model matrix of the latest baselines, then every path.
pub fn index(input: &SiteInput<'_>) -> String {
    let hs = input.histories;
    let devices: BTreeSet<&str> = hs.iter().map(|h| h.device.as_str()).collect();
    let models: BTreeSet<&str> = hs.iter().map(|h| h.model.as_str()).collect();
    let latest = hs
        .iter()
        .filter_map(|h| h.entries.last())
        .map(|e| e.accepted_at)
        .max();
    let memory = hs
        .iter()
        .any(|h| h.entries.iter().any(|e| e.peak_rss_mb.is_some()));
    let changes: Vec<Change> = hs.iter().map(|h| change(input, h)).collect();
    let rule = &input.compare;
    let mut s = head("edgeperf baselines", "");
    let _ = write!(
        s,
        "<header><h1>edgeperf baselines</h1><p class=\"meta\">{} path{} on {} device{} · {} accepted baselines · latest accepted {}</p></header>\n<main>\n",
        hs.len(),
        if hs.len() == 1 { "" } else { "s" },
        devices.len(),
        if devices.len() == 1 { "" } else { "s" },
        hs.iter().map(|h| h.entries.len()).sum::<usize>(),
        latest
            .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
            .unwrap_or_else(|| "never".into())
    );
    let _ = write!(
        s,
        "<section><h2>Latest baseline of each path</h2>\n<p class=\"legend\">Each cell: p50 / p90 latency, top-1 / top-5, cold start (session creation + first inference){}, and the change against the previous baseline of the statistic the comparator judges (median round p10), coloured <span class=\"chg v-bad\">slower or less accurate</span> / <span class=\"chg v-good\">faster or more accurate</span> beyond the suite's thresholds ({:.0}% latency, {:.1} points top-1).</p>\n<div class=\"scroll\"><table class=\"matrix\"><thead><tr><th>model</th>",
        if memory { ", peak memory" } else { "" },
        rule.latency.min_change * 100.0,
        rule.accuracy.max_top1_drop_points
    );
    for d in &devices {
        let _ = write!(s, "<th class=\"l\">{}</th>", escape(d));
    }
    s.push_str("</tr></thead>\n<tbody>\n");
    for m in &models {
        let _ = write!(s, "<tr><th>{}</th>", escape(m));
        for d in &devices {
            let Some(k) = hs.iter().position(|h| h.device == *d && h.model == *m) else {
                s.push_str("<td class=\"empty\"></td>");
                continue;
            };
            let (h, ch) = (&hs[k], &changes[k]);
            let Some(e) = h.entries.last() else {
                s.push_str("<td class=\"empty\"></td>");
                continue;
            };
            let mut sub2 = Vec::new();
            if let Some(c) = e.cold_start_ms {
                sub2.push(format!("cold {c:.0} ms"));
            }
            if let Some(mb) = e.peak_rss_mb {
                sub2.push(format!("{mb:.0} MB"));
            }
            let title = if ch.notes.is_empty() {
                String::new()
            } else {
                format!(" title=\"{}\"", escape(&ch.notes.join("; ")))
            };
            let _ = write!(
                s,
                "<td class=\"{}\"><a class=\"cell\" href=\"{}\"{title}><span class=\"big\">{}</span> / {} ms<span class=\"sub\">{}</span>{}<span class=\"chg\">{}{}</span></a></td>",
                ch.class,
                escape(&page_path(d, m)),
                ms(e.p50),
                ms(e.p90),
                if e.top1.is_none() && e.top5.is_none() {
                    "latency only".to_string()
                } else {
                    format!("top-1 {} · top-5 {}", pct(e.top1), pct(e.top5))
                },
                if sub2.is_empty() {
                    String::new()
                } else {
                    format!("<span class=\"sub\">{}</span>", sub2.join(" · "))
                },
                escape(&ch.text),
                if ch.notes.is_empty() { "" } else { " ⚙" }
            );
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</tbody></table></div></section>\n");
    // Every path, one row each.
    s.push_str("<section><h2>Every path</h2>\n<div class=\"scroll\"><table class=\"paths\"><thead><tr><th class=\"l\">device</th><th class=\"l\">model</th><th>p50 ms</th><th>p90 ms</th><th>p99 ms</th><th>FPS</th><th>top-1</th><th>top-5</th><th>cold ms</th>");
    if memory {
        s.push_str("<th>peak MB</th>");
    }
    s.push_str("<th class=\"l\">change</th><th>baselines</th><th class=\"l\">latest commit</th></tr></thead>\n<tbody>\n");
    for (h, ch) in hs.iter().zip(&changes) {
        let Some(e) = h.entries.last() else { continue };
        let commit = match &e.commit {
            Some(c) => match commit_url(input.repo_url, c) {
                Some(u) => format!("<a href=\"{}\">{}</a>", escape(&u), escape(short(c))),
                None => escape(short(c)),
            },
            None => "-".into(),
        };
        let _ = write!(
            s,
            "<tr><td class=\"l\">{}</td><td class=\"l\"><a href=\"{}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
            escape(&h.device),
            escape(&page_path(&h.device, &h.model)),
            escape(&h.model),
            ms(e.p50),
            ms(e.p90),
            ms(e.p99),
            e.mean
                .filter(|m| *m > 0.0)
                .map(|m| format!("{:.1}", 1000.0 / m))
                .unwrap_or_else(|| "-".into()),
            pct(e.top1),
            pct(e.top5),
            whole(e.cold_start_ms),
        );
        if memory {
            let _ = write!(s, "<td>{}</td>", whole(e.peak_rss_mb));
        }
        let _ = writeln!(
            s,
            "<td class=\"l\"><span class=\"chg {}\">{}</span></td><td>{}</td><td class=\"l\">{commit}</td></tr>",
            ch.class,
            escape(&ch.text),
            h.entries.len()
        );
    }
    s.push_str("</tbody></table></div></section>\n</main>\n");
    s += &footer(input);
    s
}

/// The x labels of a chart over `entries` and its axis title: as short as
/// stays unambiguous (short labels stay apart on a phone), the rest of the
/// date in the title. All on one day: "HH:MM"; one year: "MM-DD", or
/// "MM-DD HH:MM" when two baselines share a day; else the full date.
fn x_axis(entries: &[HistoryEntry]) -> (Vec<String>, String) {
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

/// The legend under a chart: (CSS class of the key, text).
fn legend(keys: &[(&str, &str)]) -> String {
    let mut s = String::from("<p class=\"legend\">");
    for (class, text) in keys {
        let _ = write!(s, "<span class=\"key {class}\"></span>{}", escape(text));
    }
    s.push_str("</p>\n");
    s
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
                entries[*i]
                    .commit
                    .as_deref()
                    .map(short)
                    .unwrap_or("no commit")
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

/// One path's page: charts over its baselines, the model on every device, and
/// its latest baselines.
pub fn path_page(input: &SiteInput<'_>, h: &PathHistory) -> String {
    let entries = &h.entries;
    let n = entries.len();
    let name = format!("{} / {}", h.device, h.model);
    let mut s = head(&format!("{name} · edgeperf"), "../../");
    let _ = write!(
        s,
        "<header><p class=\"meta\"><a href=\"../../index.html\">← every path</a></p><h1>{}</h1>",
        escape(&name)
    );
    if let Some(e) = entries.last() {
        let ch = change(input, h);
        let _ = write!(
            s,
            "<p class=\"meta\">{n} accepted baseline{} · latest {}: p50 {} ms, p90 {} ms, p99 {} ms, top-1 {}, top-5 {}{} · onnxruntime {} · {} · threads {} · change against the previous baseline: <span class=\"chg {}\">{}</span>{}</p>",
            if n == 1 { "" } else { "s" },
            escape(&when(e)),
            ms(e.p50),
            ms(e.p90),
            ms(e.p99),
            pct(e.top1),
            pct(e.top5),
            e.cold_start_ms
                .map(|c| format!(", cold start {c:.0} ms"))
                .unwrap_or_default(),
            escape(&e.runtime_version),
            e.provider_ran,
            threads(e),
            ch.class,
            escape(if ch.text.is_empty() { "none" } else { &ch.text }),
            if ch.notes.is_empty() {
                String::new()
            } else {
                format!(" ({})", escape(&ch.notes.join("; ")))
            }
        );
    }
    s.push_str("</header>\n<main>\n");
    let (x_labels, x_title) = x_axis(entries);
    // Every chart's points link to the commits; the latency chart's tooltips
    // carry every value, the others their own (the page's weight grows with
    // the history: docs/PERFORMANCE.md).
    let hrefs: Vec<Option<String>> = entries
        .iter()
        .map(|e| {
            e.commit
                .as_deref()
                .and_then(|c| commit_url(input.repo_url, c))
        })
        .collect();
    // Tooltips only for the baselines a chart draws as points.
    let first_point = n.saturating_sub(MAX_POINTS);
    let points_with = |title: &dyn Fn(&HistoryEntry) -> String| -> Vec<Point> {
        entries
            .iter()
            .zip(&hrefs)
            .enumerate()
            .map(|(i, (e, href))| Point {
                href: href.clone(),
                title: if i >= first_point {
                    title(e)
                } else {
                    String::new()
                },
            })
            .collect()
    };
    let head_line = |e: &HistoryEntry| {
        format!(
            "{} · {}",
            when(e),
            e.commit.as_deref().map(short).unwrap_or("no commit")
        )
    };
    let points = points_with(&tooltip);
    let notes = annotations(entries);
    let notes_legend = if notes.is_empty() {
        vec![]
    } else {
        vec![(
            "note",
            "runtime, threads, provider or model changed (numbered below)",
        )]
    };
    // Latency.
    let lat_markers = markers(&h.latency_change_points, &notes, entries);
    let chart = TimeChart {
        id: "latency",
        label: &format!("latency of {name} over accepted baselines, ms"),
        y_title: "latency (ms)",
        x_labels: &x_labels,
        x_title: &x_title,
        band: Some(Band {
            class: "lat",
            low: entries.iter().map(|e| Some(band_low(e))).collect(),
            high: entries.iter().map(|e| Some(e.p90)).collect(),
        }),
        series: vec![Series {
            name: "p50",
            class: "p50",
            values: entries.iter().map(|e| Some(e.p50)).collect(),
        }],
        points: &points,
        markers: &lat_markers,
        y_min: Some(0.0),
        y_max: None,
    };
    let _ = write!(
        s,
        "<section><h2>Latency over commits</h2>\n<div class=\"chart-box\">{}</div>\n",
        chart.svg()
    );
    let point_note = if n > MAX_POINTS {
        format!("p50 (points: the newest {MAX_POINTS} of {n} baselines, linked to their commits)")
    } else {
        "p50 (point: the baseline, linked to its commit)".to_string()
    };
    let mut keys = vec![
        ("band", "p10–p90 of every inference"),
        ("p50", point_note.as_str()),
    ];
    if lat_markers.iter().any(|m| m.class == "cp") {
        keys.push(("cp", "new latency level (PELT change point)"));
    }
    keys.extend(notes_legend.iter().copied());
    s += &legend(&keys);
    s.push_str("</section>\n");
    // Accuracy.
    if entries.iter().any(|e| e.top1.is_some() || e.top5.is_some()) {
        let acc_markers = markers(&h.accuracy_change_points, &notes, entries);
        let acc_points = points_with(&|e| {
            format!(
                "{}\ntop-1 {} · top-5 {}",
                head_line(e),
                pct(e.top1),
                pct(e.top5)
            )
        });
        let chart = TimeChart {
            id: "accuracy",
            label: &format!("top-1 and top-5 accuracy of {name} over accepted baselines, %"),
            y_title: "accuracy (%)",
            x_labels: &x_labels,
            x_title: &x_title,
            band: None,
            series: vec![
                Series {
                    name: "top-1",
                    class: "top1",
                    values: entries.iter().map(|e| e.top1.map(|v| v * 100.0)).collect(),
                },
                Series {
                    name: "top-5",
                    class: "top5",
                    values: entries.iter().map(|e| e.top5.map(|v| v * 100.0)).collect(),
                },
            ],
            points: &acc_points,
            markers: &acc_markers,
            y_min: Some(0.0),
            y_max: Some(100.0),
        };
        let _ = write!(
            s,
            "<section><h2>Accuracy over commits</h2>\n<div class=\"chart-box\">{}</div>\n",
            chart.svg()
        );
        let mut keys = vec![("top1", "top-1"), ("top5", "top-5")];
        if acc_markers.iter().any(|m| m.class == "cp") {
            keys.push(("cp", "new top-1 level (PELT change point)"));
        }
        keys.extend(notes_legend.iter().copied());
        s += &legend(&keys);
        s.push_str("</section>\n");
    } else {
        s.push_str("<section><h2>Accuracy over commits</h2><p class=\"legend\">A latency-only model (<code>accuracy = false</code>): no accuracy is recorded.</p></section>\n");
    }
    // Cold start and memory, when recorded.
    for (id, title, unit, class, what, values) in [
        (
            "cold-start",
            "Cold start over commits",
            "cold start (ms)",
            "cold",
            ("cold start", "ms"),
            entries.iter().map(|e| e.cold_start_ms).collect::<Vec<_>>(),
        ),
        (
            "memory",
            "Peak memory over commits",
            "peak memory (MB)",
            "mem",
            ("peak memory", "MB"),
            entries.iter().map(|e| e.peak_rss_mb).collect::<Vec<_>>(),
        ),
    ] {
        if values.iter().all(Option::is_none) {
            continue;
        }
        let own_points = points_with(&|e| {
            let v = if id == "memory" {
                e.peak_rss_mb
            } else {
                e.cold_start_ms
            };
            format!(
                "{}\n{} {} {}",
                head_line(e),
                what.0,
                v.map(|x| format!("{x:.0}")).unwrap_or_else(|| "-".into()),
                what.1
            )
        });
        let chart = TimeChart {
            id,
            label: &format!("{title} of {name}"),
            y_title: unit,
            x_labels: &x_labels,
            x_title: &x_title,
            band: None,
            series: vec![Series {
                name: unit,
                class,
                values,
            }],
            points: &own_points,
            markers: &[],
            y_min: Some(0.0),
            y_max: None,
        };
        let _ = write!(
            s,
            "<section><h2>{title}</h2>\n<div class=\"chart-box\">{}</div></section>\n",
            chart.svg()
        );
    }
    // Setting changes, numbered as on the charts.
    if !notes.is_empty() {
        s.push_str("<section><h2>Setting changes</h2><ol class=\"notes\">");
        for (i, what) in &notes {
            let e = &entries[*i];
            let _ = write!(
                s,
                "<li>{} ({}): {}</li>",
                escape(&when(e)),
                escape(e.commit.as_deref().map(short).unwrap_or("no commit")),
                escape(what)
            );
        }
        s.push_str("</ol></section>\n");
    }
    s += &devices_section(input, h);
    s += &table_section(input, h);
    s.push_str("</main>\n");
    s += &footer(input);
    s
}

/// The model on every device: ms per image and FPS of each device's latest
/// baseline, side by side (the seed benchmark's view).
fn devices_section(input: &SiteInput<'_>, h: &PathHistory) -> String {
    let rows: Vec<(&PathHistory, &HistoryEntry)> = input
        .histories
        .iter()
        .filter(|o| o.model == h.model)
        .filter_map(|o| Some((o, o.entries.last()?)))
        .collect();
    let link = |o: &PathHistory| format!("../{}/{}.html", slug(&o.device), slug(&o.model));
    let ms_bars: Vec<Bar> = rows
        .iter()
        .map(|(o, e)| Bar {
            label: o.device.clone(),
            value: ms_per_image(e),
            text: format!("{:.2}", ms_per_image(e)),
            href: Some(link(o)),
            current: o.device == h.device,
        })
        .collect();
    let fps_bars: Vec<Bar> = rows
        .iter()
        .map(|(o, e)| {
            let fps = 1000.0 / ms_per_image(e);
            Bar {
                label: o.device.clone(),
                value: fps,
                text: format!("{fps:.1}"),
                href: Some(link(o)),
                current: o.device == h.device,
            }
        })
        .collect();
    let mean_missing = rows.iter().any(|(_, e)| e.mean.is_none());
    let mut s = format!(
        "<section><h2>{} on each device</h2>\n<p class=\"legend\">Latest baseline of each device: milliseconds per image (mean of every timed inference{}) and frames per second (1000 / ms per image), one image at a time.</p>\n<div class=\"two\"><div><h3>ms per image (lower is better)</h3>{}</div><div><h3>FPS (higher is better)</h3>{}</div></div>\n",
        escape(&h.model),
        if mean_missing {
            "; p50 for baselines accepted before the mean was recorded"
        } else {
            ""
        },
        bars(
            "devices-ms",
            &format!("ms per image of {} per device", h.model),
            "ms per image",
            &ms_bars
        ),
        bars(
            "devices-fps",
            &format!("frames per second of {} per device", h.model),
            "frames per second",
            &fps_bars
        )
    );
    s.push_str("<div class=\"scroll\"><table><thead><tr><th class=\"l\">device</th><th>ms per image</th><th>FPS</th><th>p50 ms</th><th>p90 ms</th><th>top-1</th><th>top-5</th><th class=\"l\">provider</th><th class=\"l\">onnxruntime</th><th class=\"l\">accepted</th></tr></thead><tbody>");
    for (o, e) in &rows {
        let _ = write!(
            s,
            "<tr><td class=\"l\"><a href=\"{}\">{}</a></td><td>{}</td><td>{:.1}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"l\">{}</td><td class=\"l\">{}</td><td class=\"l\">{}</td></tr>",
            escape(&link(o)),
            escape(&o.device),
            ms(ms_per_image(e)),
            1000.0 / ms_per_image(e),
            ms(e.p50),
            ms(e.p90),
            pct(e.top1),
            pct(e.top5),
            e.provider_ran,
            escape(&e.runtime_version),
            escape(&when(e))
        );
    }
    s.push_str("</tbody></table></div></section>\n");
    s
}

/// Most baselines shown in a page's table (the CSV beside it has them all).
const TABLE_ROWS: usize = 50;

/// The latest baselines, newest first, and the link to the whole history.
fn table_section(input: &SiteInput<'_>, h: &PathHistory) -> String {
    let memory = h.entries.iter().any(|e| e.peak_rss_mb.is_some());
    let n = h.entries.len();
    let mut s = format!(
        "<section><h2>Baselines</h2>\n<p class=\"legend\">{} · every baseline as CSV: <a href=\"{}.csv\">{}.csv</a></p>\n<div class=\"scroll\"><table class=\"entries\"><thead><tr><th class=\"l\">accepted (UTC)</th><th class=\"l\">commit</th><th>p10 ms</th><th>p50 ms</th><th>p90 ms</th><th>p99 ms</th><th>top-1</th><th>top-5</th><th>cold ms</th>",
        if n > TABLE_ROWS {
            format!("The newest {TABLE_ROWS} of {n}")
        } else {
            format!("All {n}, newest first")
        },
        slug(&h.model),
        escape(&slug(&h.model))
    );
    if memory {
        s.push_str("<th>peak MB</th>");
    }
    s.push_str("<th class=\"l\">onnxruntime</th><th class=\"l\">provider</th><th class=\"l\">threads</th><th class=\"l\"></th></tr></thead><tbody>\n");
    for (i, e) in h.entries.iter().enumerate().rev().take(TABLE_ROWS) {
        let commit = match &e.commit {
            Some(c) => match commit_url(input.repo_url, c) {
                Some(u) => format!("<a href=\"{}\">{}</a>", escape(&u), escape(short(c))),
                None => escape(short(c)),
            },
            None => "-".into(),
        };
        let mut flags = Vec::new();
        if h.latency_change_points.contains(&i) {
            flags.push("new latency level");
        }
        if h.accuracy_change_points.contains(&i) {
            flags.push("new top-1 level");
        }
        let _ = write!(
            s,
            "<tr><td class=\"l\">{}</td><td class=\"l\">{commit}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
            escape(&when(e)),
            ms(band_low(e)),
            ms(e.p50),
            ms(e.p90),
            ms(e.p99),
            pct(e.top1),
            pct(e.top5),
            whole(e.cold_start_ms)
        );
        if memory {
            let _ = write!(s, "<td>{}</td>", whole(e.peak_rss_mb));
        }
        let _ = writeln!(
            s,
            "<td class=\"l\">{}</td><td class=\"l\">{}</td><td class=\"l\">{}</td><td class=\"l\">{}</td></tr>",
            escape(&e.runtime_version),
            e.provider_ran,
            threads(e),
            flags.join(", ")
        );
    }
    s.push_str("</tbody></table></div></section>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{dashboard_path, fake_commit};
    use crate::suite::{CompareConfig, PathOverride};

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

    /// `h` with its last entry's p10 of the rounds (and top-1) set.
    fn with_last(mut h: PathHistory, p10_rounds: f64, top1: Option<f64>) -> PathHistory {
        let e = h.entries.last_mut().unwrap();
        e.p10_rounds = p10_rounds;
        e.top1 = top1;
        h
    }

    #[test]
    fn the_change_is_judged_on_the_round_p10_with_the_suites_thresholds() {
        let cfg = CompareConfig::default();
        let base = dashboard_path("cpu", "m", 6, 9.0, Some(0.75));
        let prev = base.entries[4].p10_rounds;
        let judge = |h: &PathHistory, cfg: &CompareConfig| {
            let hs = [h.clone()];
            let c = change(&site(&hs, cfg, None), &hs[0]);
            (c.class, c.text)
        };
        let slower = with_last(base.clone(), prev * 1.05, Some(0.75));
        assert_eq!(judge(&slower, &cfg), ("v-bad", "+5.0% slower".into()));
        let faster = with_last(base.clone(), prev * 0.9, Some(0.75));
        assert_eq!(judge(&faster, &cfg), ("v-good", "-10.0% faster".into()));
        let same = with_last(base.clone(), prev * 1.02, Some(0.75));
        assert_eq!(judge(&same, &cfg), ("v-same", "+2.0%".into()));
        // Three points of top-1 lost: beyond the 2-point floor.
        let less = with_last(base.clone(), prev, Some(0.72));
        assert_eq!(
            judge(&less, &cfg),
            ("v-bad", "+0.0%, -3.0 pts top-1".into())
        );
        // A per-path override of the suite applies.
        let mut loose = CompareConfig::default();
        loose.paths.insert(
            "cpu/m".into(),
            PathOverride {
                min_change: Some(0.10),
                ..Default::default()
            },
        );
        assert_eq!(judge(&slower, &loose).0, "v-same");
        let first = PathHistory::new("cpu".into(), "m".into(), base.entries[..1].to_vec());
        assert_eq!(judge(&first, &cfg), ("v-new", "first baseline".into()));
    }

    #[test]
    fn setting_changes_are_found_between_neighbours() {
        let h = dashboard_path("cpu", "m", 9, 9.0, None);
        let mut entries = h.entries.clone();
        for e in &mut entries[5..] {
            e.threads = Some(crate::record::Threads { intra: 2, inter: 1 });
            e.provider_ran = crate::suite::Provider::Openvino;
        }
        for e in &mut entries[7..] {
            e.model_sha256 = "cd".repeat(32);
        }
        let notes = annotations(&entries);
        let at: Vec<usize> = notes.iter().map(|(i, _)| *i).collect();
        assert_eq!(at, vec![3, 5, 7], "{notes:?}");
        assert_eq!(notes[0].1, "onnxruntime 1.24.1 → 1.31.1");
        assert!(notes[1].1.contains("provider cpu → openvino"), "{notes:?}");
        assert!(notes[1].1.contains("threads 1/1 → 2/1"), "{notes:?}");
        assert_eq!(notes[2].1, "model file abababababab → cdcdcdcdcdcd");
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

    #[test]
    fn names_are_escaped_everywhere() {
        let cfg = CompareConfig::default();
        let hs = [dashboard_path("<cpu>", "m\"&'", 2, 9.0, None)];
        let input = site(&hs, &cfg, None);
        for page in [index(&input), path_page(&input, &hs[0])] {
            assert!(!page.contains("<cpu>"), "{page}");
            assert!(page.contains("&lt;cpu&gt;"));
            assert!(page.contains("m&quot;&amp;&#39;"));
        }
    }
}
