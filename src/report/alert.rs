//! Regression alerts on the default branch: one GitHub issue per path and
//! paired step (a slower step of the paired chain), found again by a hidden
//! marker so a re-run updates it instead of opening another. This file decides
//! which steps alert and writes each issue's title and body (Markdown): the
//! commit range, the paired change and its interval, the model's table on
//! every device at that commit, and the command that bisects the range.
//! `commands::report` sends them through `github`.
//!
//! Every text taken from a history line is inert in the body: device and model
//! names follow the suite's name rules and are escaped, commits are hex ids.

use super::markdown::md_escape;
use super::paired::{change_with_interval, pct};
use crate::history::{Direction, PathHistory};
use crate::record::paired::is_commit_id;

/// The label alerts carry.
pub const LABEL: &str = "edgeperf-regression";

/// One issue to open or update.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    pub device: String,
    pub model: String,
    /// The previous baseline's commit and this one: the culprit is after the
    /// first, up to the second.
    pub base: String,
    pub head: String,
    /// The hidden marker that finds the issue again (per path and step).
    pub marker: String,
    pub title: String,
    pub body: String,
}

/// The hidden marker of the alert on `device/model` for the step `base..head`.
pub fn marker(device: &str, model: &str, base: &str, head: &str) -> String {
    format!("<!-- edgeperf-alert {device}/{model} {base}..{head} -->")
}

fn short(c: &str) -> &str {
    &c[..c.len().min(10)]
}

/// `commit` as a link to its page when the repository is known.
fn commit_link(repo: Option<&str>, c: &str) -> String {
    match repo {
        Some(r) => format!("[`{}`]({r}/commit/{c})", short(c)),
        None => format!("`{}`", short(c)),
    }
}

/// The model's paired change at `head` on every device that has a line there.
fn device_table(all: &[PathHistory], model: &str, head: &str) -> String {
    let mut s = String::from(
        "| device | paired change [CI %] | verdict | step | p50 ms (absolute) |\n|---|---:|---|---|---:|\n",
    );
    for h in all.iter().filter(|h| h.model == model) {
        let Some(i) = h.find_commit(head) else {
            continue;
        };
        let e = &h.entries[i];
        let (change, verdict) = match &e.paired {
            Some(p) => (
                change_with_interval(&p.change),
                p.change.verdict.as_str().to_string(),
            ),
            None => ("not paired".into(), "-".into()),
        };
        let step = h.chain.steps[i].map(Direction::as_str).unwrap_or("-");
        s += &format!(
            "| {} | {change} | {verdict} | {step} | {:.2} |\n",
            md_escape(&h.device),
            e.p50
        );
    }
    s
}

/// The alert of entry `i` of `h`, a slower step (see [`alerts`]).
fn alert(h: &PathHistory, i: usize, all: &[PathHistory], repo: Option<&str>) -> Option<Alert> {
    let e = &h.entries[i];
    let p = e.paired.as_ref()?;
    let head = e.commit.clone()?;
    if !(is_commit_id(&head) && is_commit_id(&p.base)) {
        return None;
    }
    let (d, m) = (md_escape(&h.device), md_escape(&h.model));
    let change = p.change.change.map(pct).unwrap_or_default();
    let marker = marker(&h.device, &h.model, &p.base, &head);
    let title = format!(
        "edgeperf: {} on {} {change} slower at {}",
        h.model,
        h.device,
        short(&head)
    );
    let range = match repo {
        Some(r) => format!(
            "{}..{} ([the commits]({r}/compare/{}...{}))",
            commit_link(repo, &p.base),
            commit_link(repo, &head),
            p.base,
            head
        ),
        None => format!(
            "{}..{}",
            commit_link(None, &p.base),
            commit_link(None, &head)
        ),
    };
    let ci = p
        .change
        .ci
        .map(|[lo, hi]| format!(", interval {} to {}", pct(lo), pct(hi)))
        .unwrap_or_default();
    let body = format!(
        "{marker}\n## {m} on {d}: {change} slower\n\n\
The baseline of {} on the default branch, replayed interleaved against the whole path of the previous baseline {} on the {d} runner, is **{change}** slower{ci} ({}, {} rounds): a paired step past the path's threshold.\n\n\
**Commit range**: {range}. The change came with one of the commits after the first, up to the second.\n\n\
### {m} on every device at {}\n\n{}\n\
### Find the commit\n\nOn a {d} runner (or this device):\n\n```sh\nedgeperf bisect {} {} --path {}/{}\n```\n\n\
or run the **edgeperf (bisect)** workflow with `good` = `{}`, `bad` = `{}`, `path` = `{}/{}`.\n\n\
*Opened by edgeperf; a re-run of this step updates this issue.*\n",
        short(&head),
        short(&p.base),
        p.change.verdict.as_str(),
        p.change.rounds,
        short(&head),
        device_table(all, &h.model, &head),
        p.base,
        head,
        h.device,
        h.model,
        p.base,
        head,
        h.device,
        h.model,
    );
    Some(Alert {
        device: h.device.clone(),
        model: h.model.clone(),
        base: p.base.clone(),
        head,
        marker,
        title,
        body,
    })
}

/// Every slower paired step of `histories` (only those of commit `at`, when
/// given: a prefix of 7+ digits or the full id), oldest first per path.
pub fn alerts(histories: &[PathHistory], at: Option<&str>, repo: Option<&str>) -> Vec<Alert> {
    let mut out = Vec::new();
    for h in histories {
        for i in h.chain.step_indices() {
            if h.chain.steps[i] != Some(Direction::Slower) {
                continue;
            }
            let commit = h.entries[i].commit.as_deref().unwrap_or("");
            if at.is_some_and(|a| a.len() < 7 || !commit.starts_with(a)) {
                continue;
            }
            out.extend(alert(h, i, histories, repo));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{fake_commit, history_entry, paired_chain};

    /// cpu/m and npu/m over 6 commits; cpu/m 8% slower from entry 4.
    fn histories() -> Vec<PathHistory> {
        let cpu: Vec<_> = (0..6)
            .map(|i| history_entry(i, if i >= 4 { 9.72 } else { 9.0 }, None))
            .collect();
        let npu: Vec<_> = (0..6).map(|i| history_entry(i, 3.0, None)).collect();
        vec![
            PathHistory::new("cpu".into(), "m".into(), paired_chain(cpu)),
            PathHistory::new("npu".into(), "m".into(), paired_chain(npu)),
        ]
    }

    #[test]
    fn a_slower_step_alerts_once_with_its_range_table_and_bisect_command() {
        let hs = histories();
        let a = alerts(&hs, None, Some("https://github.com/o/r"));
        assert_eq!(a.len(), 1, "{a:?}");
        let a = &a[0];
        assert_eq!(
            (a.base.as_str(), a.head.as_str()),
            (fake_commit(3).as_str(), fake_commit(4).as_str())
        );
        assert_eq!(
            a.title,
            format!(
                "edgeperf: m on cpu +8.0% slower at {}",
                &fake_commit(4)[..10]
            )
        );
        assert!(a.body.starts_with(&a.marker), "{}", a.body);
        assert!(
            a.body.contains("**+8.0%** slower, interval +7.0% to +9.0%"),
            "{}",
            a.body
        );
        assert!(a.body.contains(&format!(
            "edgeperf bisect {} {} --path cpu/m",
            fake_commit(3),
            fake_commit(4)
        )));
        assert!(a.body.contains(&format!(
            "https://github.com/o/r/compare/{}...{}",
            fake_commit(3),
            fake_commit(4)
        )));
        // The table has every device of the model at that commit.
        assert!(
            a.body
                .contains("| cpu | +8.0% [+7.0, +9.0] | regressed | slower | 10.21 |"),
            "{}",
            a.body
        );
        assert!(
            a.body
                .contains("| npu | +0.0% [-1.0, +1.0] | unchanged | - | 3.15 |"),
            "{}",
            a.body
        );
        // Only the steps of one commit.
        assert_eq!(alerts(&hs, Some(&fake_commit(4)[..8]), None).len(), 1);
        assert!(alerts(&hs, Some(&fake_commit(5)), None).is_empty());
    }

    #[test]
    fn unchanged_histories_and_faster_steps_raise_no_alert() {
        let flat: Vec<_> = (0..10)
            .map(|i| history_entry(i, 9.0 * (1.0 + 0.004 * (i % 3) as f64), None))
            .collect();
        let faster: Vec<_> = (0..4)
            .map(|i| history_entry(i, if i >= 2 { 8.0 } else { 9.0 }, None))
            .collect();
        let hs = vec![
            PathHistory::new("cpu".into(), "a".into(), paired_chain(flat)),
            PathHistory::new("cpu".into(), "b".into(), paired_chain(faster)),
        ];
        assert!(alerts(&hs, None, None).is_empty());
        assert_eq!(
            hs[1].latency_change_points,
            vec![2],
            "a faster step, not alerted"
        );
    }
}
