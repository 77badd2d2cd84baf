//! Rendering comparisons: a terminal table (optionally coloured) and Markdown
//! (the pull-request comment body). Both list, per path, old vs new p50/p90 and
//! top-1/top-5, the change of the detection statistic with its interval, and the
//! verdict with its reason.

use super::markdown::{md_escape, model_cell, PathLink};
use super::table::{Align, Table};
use crate::compare::{Comparison, PathComparison, PathStatus};

fn ms(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.2}")
    } else {
        "-".into()
    }
}

fn pct1(x: Option<f64>) -> String {
    x.map(|v| format!("{:.1}%", v * 100.0))
        .unwrap_or_else(|| "-".into())
}

fn arrow(old: String, new: String) -> String {
    if old == "-" && new == "-" {
        "-".into()
    } else {
        format!("{old} → {new}")
    }
}

/// "+5.4% [+4.1, +6.8]" or "-" when unknown.
pub fn change_cell(p: &PathComparison) -> String {
    match &p.latency {
        Some(l) if l.change.is_finite() => {
            if l.ci[0].is_finite() && l.ci[1].is_finite() {
                format!(
                    "{:+.1}% [{:+.1}, {:+.1}]",
                    l.change * 100.0,
                    l.ci[0] * 100.0,
                    l.ci[1] * 100.0
                )
            } else {
                format!("{:+.1}%", l.change * 100.0)
            }
        }
        _ => "-".into(),
    }
}

fn status_word(s: PathStatus, color: bool) -> String {
    let (word, code) = match s {
        PathStatus::Regressed => ("REGRESSED", "1;31"),
        PathStatus::Improved => ("improved", "32"),
        PathStatus::Unchanged => ("unchanged", "0"),
        PathStatus::Inconclusive => ("inconclusive", "33"),
        PathStatus::New => ("new", "36"),
    };
    if color && code != "0" {
        format!("\x1b[{code}m{word}\x1b[0m")
    } else {
        word.to_string()
    }
}

/// Every reason worth reading for a path, in order: guards, latency, accuracy, notes.
pub fn reasons(p: &PathComparison) -> Vec<String> {
    let mut r: Vec<String> = p.guards.clone();
    if let Some(l) = &p.latency {
        r.push(format!(
            "latency ({}): {} — {}",
            l.statistic,
            l.verdict.as_str(),
            l.reason
        ));
    }
    if let Some(a) = &p.accuracy {
        r.push(format!("accuracy: {} — {}", a.verdict.as_str(), a.reason));
    }
    for x in &p.resources {
        if x.verdict != crate::compare::Verdict::Unchanged {
            r.push(format!("{}: {} — {}", x.what, x.verdict.as_str(), x.reason));
        }
    }
    r.extend(p.notes.iter().cloned());
    r
}

/// The terminal table plus one line per reason.
pub fn text(c: &Comparison, color: bool) -> String {
    let mut t = Table::new(&[
        ("device", Align::Left),
        ("model", Align::Left),
        ("p50 ms", Align::Right),
        ("p90 ms", Align::Right),
        ("top-1", Align::Right),
        ("top-5", Align::Right),
        ("latency change [CI]", Align::Right),
        ("verdict", Align::Left),
    ]);
    for p in &c.paths {
        let b = p.base.as_ref();
        t.row(vec![
            p.device.clone(),
            p.model.clone(),
            arrow(b.map(|b| ms(b.p50)).unwrap_or("-".into()), ms(p.head.p50)),
            arrow(b.map(|b| ms(b.p90)).unwrap_or("-".into()), ms(p.head.p90)),
            arrow(pct1(b.and_then(|b| b.top1)), pct1(p.head.top1)),
            arrow(pct1(b.and_then(|b| b.top5)), pct1(p.head.top5)),
            change_cell(p),
            status_word(p.status, color),
        ]);
    }
    let mut s = format!("edgeperf compare: {} against {}\n\n", c.run, c.baselines);
    s += &t.render();
    for p in &c.paths {
        let rs = reasons(p);
        if rs.is_empty() {
            continue;
        }
        s += &format!("\n{}/{}:\n", p.device, p.model);
        for r in rs {
            s += &format!("  - {r}\n");
        }
        // Issue 20: why the path changed (`edgeperf explain` has the tables).
        if let Some(e) = &p.explanation {
            s += &format!("  - why: {}\n", e.why);
        }
    }
    s += &format!("\n{}\n", summary_line(std::slice::from_ref(c)));
    s
}

/// One sentence: how many regressions over how many paths.
pub fn summary_line(cs: &[Comparison]) -> String {
    let paths: usize = cs.iter().map(|c| c.paths.len()).sum();
    let reg: usize = cs.iter().map(|c| c.regressions).sum();
    let inc: usize = cs
        .iter()
        .flat_map(|c| &c.paths)
        .filter(|p| p.status == PathStatus::Inconclusive)
        .count();
    let mut s = if reg == 0 {
        format!(
            "No regression in {paths} path{}.",
            if paths == 1 { "" } else { "s" }
        )
    } else {
        format!(
            "{reg} of {paths} path{} regressed.",
            if paths == 1 { "" } else { "s" }
        )
    };
    if inc > 0 {
        s += &format!(" {inc} inconclusive (see reasons).");
    }
    s
}

/// A device that was expected but produced no comparison.
pub struct Missing<'a> {
    pub device: &'a str,
}

/// The Markdown report for one or more comparisons (one per device), plus
/// devices that produced no result ("no result", never a pass).
pub fn markdown(cs: &[Comparison], missing: &[Missing<'_>]) -> String {
    markdown_linked(cs, missing, None)
}

/// [`markdown`] with each model linked to its dashboard page where `path_link`
/// gives one (`edgeperf dashboard`, published with the site URL).
pub fn markdown_linked(
    cs: &[Comparison],
    missing: &[Missing<'_>],
    path_link: Option<PathLink<'_>>,
) -> String {
    let mut s = headline(cs, missing) + "\n\n";
    s += &markdown_table(cs, missing, path_link);
    // Issue 20: each changed path's "why" line, its tables folded.
    s += &super::explain::markdown_section(cs);
    s += &why(cs);
    if let Some(c) = cs.first() {
        s += &footer(c);
    }
    s
}

/// The comment's first line: regressions, devices without a result, or all clear.
fn headline(cs: &[Comparison], missing: &[Missing<'_>]) -> String {
    let reg: usize = cs.iter().map(|c| c.regressions).sum();
    if reg > 0 {
        format!("### ❌ edgeperf: {}", summary_line(cs))
    } else if !missing.is_empty() {
        format!(
            "### ⚠️ edgeperf: {} {} device(s) produced no result.",
            summary_line(cs),
            missing.len()
        )
    } else {
        format!("### ✅ edgeperf: {}", summary_line(cs))
    }
}

/// One row per path, then one per device without a result.
fn markdown_table(
    cs: &[Comparison],
    missing: &[Missing<'_>],
    path_link: Option<PathLink<'_>>,
) -> String {
    let mut s = String::from(
        "| device | model | p50 ms | p90 ms | top-1 | top-5 | latency change [CI] | verdict |\n",
    );
    s += "|---|---|---:|---:|---:|---:|---:|---|\n";
    for p in cs.iter().flat_map(|c| &c.paths) {
        let b = p.base.as_ref();
        let verdict = match p.status {
            PathStatus::Regressed => "❌ **regressed**",
            PathStatus::Improved => "🚀 improved",
            PathStatus::Unchanged => "✅ unchanged",
            PathStatus::Inconclusive => "⚠️ inconclusive",
            PathStatus::New => "🆕 new",
        };
        s += &format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} |\n",
            md_escape(&p.device),
            model_cell(path_link, &p.device, &p.model),
            arrow(b.map(|b| ms(b.p50)).unwrap_or("-".into()), ms(p.head.p50)),
            arrow(b.map(|b| ms(b.p90)).unwrap_or("-".into()), ms(p.head.p90)),
            arrow(pct1(b.and_then(|b| b.top1)), pct1(p.head.top1)),
            arrow(pct1(b.and_then(|b| b.top5)), pct1(p.head.top5)),
            change_cell(p),
            verdict
        );
    }
    for m in missing {
        s += &format!(
            "| {} | (all) | - | - | - | - | - | ⛔ **no result** |\n",
            md_escape(m.device)
        );
    }
    s
}

/// The reasons of every path that has some, folded under "Why".
fn why(cs: &[Comparison]) -> String {
    let detailed: Vec<&PathComparison> = cs
        .iter()
        .flat_map(|c| &c.paths)
        .filter(|p| !reasons(p).is_empty())
        .collect();
    if detailed.is_empty() {
        return String::new();
    }
    let mut s = String::from("\n<details><summary>Why</summary>\n\n");
    for p in detailed {
        s += &format!("**{}/{}**\n", md_escape(&p.device), md_escape(&p.model));
        for r in reasons(p) {
            s += &format!("- {}\n", md_escape(&r));
        }
        s += "\n";
    }
    s + "</details>\n"
}

/// Where the baselines came from, how latency and accuracy are judged, the commit.
fn footer(c: &Comparison) -> String {
    format!(
        "\n<sub>Baselines: {}. Latency is judged on {} (steadier than p50 on shared machines); suspects are re-measured with base and head interleaved in the same processes; accuracy by paired exact McNemar on per-image top-1. Commit {}.</sub>\n",
        md_escape(&c.baselines),
        c.paths
            .iter()
            .find_map(|p| p.latency.as_ref().map(|l| md_escape(&l.statistic)))
            .unwrap_or_else(|| "each round's p10".into()),
        md_escape(c.head_commit.as_deref().map(|h| h.get(..10).unwrap_or(h)).unwrap_or("unknown"))
    )
}
