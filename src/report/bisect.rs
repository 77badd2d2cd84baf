//! `edgeperf bisect` as tables: each probe (commit, paired change against
//! GOOD with its interval, the rule's verdict, the decision, seconds) and the
//! culprit, for the terminal (`text`) and GitHub (`markdown`); `csv` and the
//! others build on [`step_row`].

use super::paired::change_with_interval;
use super::table::{Align, Table};
use crate::history::bisect::{Outcome, Report, Step};

/// The columns of the steps table.
pub const COLUMNS: [(&str, Align); 8] = [
    ("#", Align::Right),
    ("commit", Align::Left),
    ("position", Align::Right),
    ("change vs GOOD [CI %]", Align::Right),
    ("verdict", Align::Left),
    ("decision", Align::Left),
    ("seconds", Align::Right),
    ("subject", Align::Left),
];

fn short(c: &str) -> &str {
    &c[..c.len().min(10)]
}

/// Step `k` (0-based) of `r` as a row of [`COLUMNS`].
pub fn step_row(r: &Report, k: usize, s: &Step) -> Vec<String> {
    let decision = match &s.decision {
        crate::history::bisect::Decision::Skip(why) => format!("skip: {why}"),
        d => d.label().to_string(),
    };
    vec![
        (k + 1).to_string(),
        short(&s.commit).to_string(),
        format!("{}/{}", s.position + 1, r.candidates),
        s.paired
            .as_ref()
            .map(change_with_interval)
            .unwrap_or_else(|| "-".into()),
        s.paired
            .as_ref()
            .map(|p| format!("{} ({} rounds)", p.verdict.as_str(), p.rounds))
            .unwrap_or_else(|| "-".into()),
        decision,
        format!("{:.1}", s.seconds),
        s.subject.clone(),
    ]
}

/// The first line: what was searched.
pub fn title(r: &Report) -> String {
    format!(
        "bisect {}/{}: {} (good) .. {} (bad), {} commit{} on the first-parent chain, threshold {:.1}%{}",
        r.device,
        r.model,
        short(&r.good),
        short(&r.bad),
        r.candidates,
        if r.candidates == 1 { "" } else { "s" },
        r.threshold * 100.0,
        r.direction
            .map(|d| format!(", looking for {}", d.as_str()))
            .unwrap_or_default()
    )
}

/// The outcome in one line.
pub fn outcome(r: &Report) -> String {
    let change = |c: &str| {
        r.steps
            .iter()
            .rev()
            .find(|s| s.commit == c && s.paired.is_some())
            .and_then(|s| s.paired.as_ref())
            .map(|p| format!(" ({} against GOOD)", change_with_interval(p)))
            .unwrap_or_default()
    };
    match &r.outcome {
        Outcome::Culprit { commit, subject } => {
            format!("culprit: {commit} \"{subject}\"{}", change(commit))
        }
        Outcome::OneOf { commits } => format!(
            "the first changed commit is one of (skipped ones could not be judged): {}",
            commits
                .iter()
                .map(|c| format!("{} \"{}\"", short(&c.commit), c.subject))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Outcome::NoChange => format!(
            "no change: BAD is not changed by {:.1}% or more against GOOD{}",
            r.threshold * 100.0,
            change(&r.bad)
        ),
        Outcome::Undecided { reason } => format!("undecided: {reason}"),
    }
}

/// The last line: how much it cost.
pub fn cost(r: &Report) -> String {
    format!(
        "{} replay{} in {:.0} s ({} probe{})",
        r.replays,
        if r.replays == 1 { "" } else { "s" },
        r.seconds,
        r.steps.len(),
        if r.steps.len() == 1 { "" } else { "s" }
    )
}

pub fn text(r: &Report) -> String {
    let mut t = Table::new(&COLUMNS);
    for (k, s) in r.steps.iter().enumerate() {
        t.row(step_row(r, k, s));
    }
    format!("{}\n{}{}\n{}\n", title(r), t.render(), outcome(r), cost(r))
}

/// One probe in a line, as `bisect` prints it while it searches.
pub fn step_row_line(s: &Step) -> String {
    let decision = match &s.decision {
        crate::history::bisect::Decision::Skip(why) => format!("skip ({why})"),
        d => d.label().to_string(),
    };
    format!(
        "{} {}: {}{} -> {decision} ({:.1} s)",
        short(&s.commit),
        s.subject,
        s.paired
            .as_ref()
            .map(change_with_interval)
            .unwrap_or_else(|| "not measured".into()),
        s.paired
            .as_ref()
            .map(|p| format!(" {}", p.verdict.as_str()))
            .unwrap_or_default(),
        s.seconds
    )
}
