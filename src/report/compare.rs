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
        PathStatus::NotConfirmed => ("NOT CONFIRMED", "33"),
        PathStatus::Identical => ("identical", "2"),
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
        // A reason may open with its verdict ("unchanged: +0.4% ..."): said once.
        let word = l.verdict.as_str();
        let reason = l
            .reason
            .strip_prefix(word)
            .and_then(|r| r.strip_prefix(": "))
            .unwrap_or(&l.reason);
        r.push(format!("latency ({}): {word} — {reason}", l.statistic));
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
        let [p50, p90, top1, top5] = side_cells(p);
        t.row(vec![
            p.device.clone(),
            p.model.clone(),
            p50,
            p90,
            top1,
            top5,
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

/// How many paths of the comparisons are in each state that the summary names.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub paths: usize,
    pub regressed: usize,
    pub inconclusive: usize,
    pub not_confirmed: usize,
    /// Undecided paths whose estimate points to a slowdown past the minimum.
    pub probably_slower: usize,
    pub identical: usize,
}

impl Counts {
    pub fn of(cs: &[Comparison]) -> Counts {
        let mut n = Counts::default();
        for p in cs.iter().flat_map(|c| &c.paths) {
            n.paths += 1;
            match p.status {
                PathStatus::Regressed => n.regressed += 1,
                PathStatus::Inconclusive => n.inconclusive += 1,
                PathStatus::NotConfirmed => n.not_confirmed += 1,
                PathStatus::Identical => n.identical += 1,
                _ => {}
            }
            let slower = p
                .latency
                .as_ref()
                .is_some_and(|l| l.leaning == Some(crate::compare::Leaning::Slower));
            if p.status.is_undecided() && slower {
                n.probably_slower += 1;
            }
        }
        n
    }

    pub fn undecided(&self) -> usize {
        self.inconclusive + self.not_confirmed
    }
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// One sentence: regressions over how many paths, and every undecided path.
/// It never says "No regression" while a path is undecided.
pub fn summary_line(cs: &[Comparison]) -> String {
    let n = Counts::of(cs);
    let identical = if n.identical > 0 {
        format!(" ({} identical: not re-measured)", n.identical)
    } else {
        String::new()
    };
    let mut s = if n.regressed > 0 {
        format!("{} of {} regressed.", n.regressed, plural(n.paths, "path"))
    } else if n.undecided() == 0 {
        format!("No regression in {}{identical}.", plural(n.paths, "path"))
    } else {
        format!("None of {} confirmed regressed.", plural(n.paths, "path"))
    };
    if n.undecided() > 0 {
        let mut parts = Vec::new();
        if n.inconclusive > 0 {
            parts.push(format!("{} inconclusive", n.inconclusive));
        }
        if n.not_confirmed > 0 {
            parts.push(format!("{} not confirmed", n.not_confirmed));
        }
        if n.probably_slower > 0 {
            parts.push(format!("{} probably slower", n.probably_slower));
        }
        s += &format!(
            " {} undecided ({}): see reasons.",
            plural(n.undecided(), "path"),
            parts.join(", ")
        );
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

/// The comment's first line: regressions, devices without a result,
/// undecided paths, or all clear.
fn headline(cs: &[Comparison], missing: &[Missing<'_>]) -> String {
    let n = Counts::of(cs);
    let no_result = if missing.is_empty() {
        String::new()
    } else {
        format!(" {} device(s) produced no result.", missing.len())
    };
    let mark = if n.regressed > 0 {
        "❌"
    } else if n.undecided() > 0 || !missing.is_empty() {
        "⚠️"
    } else {
        "✅"
    };
    format!("### {mark} edgeperf: {}{no_result}", summary_line(cs))
}

/// The p50, p90, top-1 and top-5 cells of a path: base → head, or the base
/// alone for an identical path (its head was not measured).
fn side_cells(p: &PathComparison) -> [String; 4] {
    let b = p.base.as_ref();
    let pair = |old: String, new: String| {
        if p.status == PathStatus::Identical {
            old
        } else {
            arrow(old, new)
        }
    };
    [
        pair(b.map(|b| ms(b.p50)).unwrap_or("-".into()), ms(p.head.p50)),
        pair(b.map(|b| ms(b.p90)).unwrap_or("-".into()), ms(p.head.p90)),
        pair(pct1(b.and_then(|b| b.top1)), pct1(p.head.top1)),
        pair(pct1(b.and_then(|b| b.top5)), pct1(p.head.top5)),
    ]
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
        let [p50, p90, top1, top5] = side_cells(p);
        let verdict = match p.status {
            PathStatus::Regressed => "❌ **regressed**",
            PathStatus::Improved => "🚀 improved",
            PathStatus::Unchanged => "✅ unchanged",
            PathStatus::Inconclusive => "⚠️ inconclusive",
            PathStatus::NotConfirmed => "⚠️ **not confirmed**",
            PathStatus::Identical => "➖ identical: not re-measured",
            PathStatus::New => "🆕 new",
        };
        s += &format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} |\n",
            md_escape(&p.device),
            model_cell(path_link, &p.device, &p.model),
            p50,
            p90,
            top1,
            top5,
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
        "\n<sub>Baselines: {}. Latency: base and head re-measured in alternating blocks on the device, each round's median head/base block ratio judged by a sequential sign test whose error bounds hold over all looks; a path whose inputs are all byte-identical to the base's is not re-measured. Accuracy by paired exact McNemar on per-image top-1. Commit {}.</sub>\n",
        md_escape(&c.baselines),
        md_escape(c.head_commit.as_deref().map(|h| h.get(..10).unwrap_or(h)).unwrap_or("unknown"))
    )
}
