//! Paired changes and chain levels as text, the same in every output: a
//! change as a signed percentage with its interval ("+1.2% [-0.3, +2.5]"),
//! what a history entry's pairing says ("not paired"), a step's words.

use crate::history::{Level, PathHistory};
use crate::record::paired::PairedChange;

/// A fraction as a signed percentage with one decimal: "+1.2%".
pub fn pct(x: f64) -> String {
    format!("{:+.1}%", x * 100.0)
}

/// An interval of fractions in percent: "[-0.3, +2.5]".
pub fn interval(ci: [f64; 2]) -> String {
    format!("[{:+.1}, {:+.1}]", ci[0] * 100.0, ci[1] * 100.0)
}

/// A paired change with its interval: "+1.2% [-0.3, +2.5]"; "unknown" when
/// the rounds gave none.
pub fn change_with_interval(c: &PairedChange) -> String {
    match (c.change, c.ci) {
        (Some(x), Some(ci)) => format!("{} {}", pct(x), interval(ci)),
        (Some(x), None) => pct(x),
        _ => "unknown".into(),
    }
}

/// A chain level against the anchor: "+0.8% [-1.2, +2.9]".
pub fn level(l: &Level) -> String {
    format!(
        "{} {}",
        pct(l.level - 1.0),
        interval([l.lo - 1.0, l.hi - 1.0])
    )
}

/// Entry `i`'s paired change as a table cell: the change and interval, or why
/// there is none ("not paired", "paired against 1a2b3c4d5e (not in this
/// history)").
pub fn paired_cell(h: &PathHistory, i: usize) -> String {
    let e = &h.entries[i];
    match (&e.paired, h.chain.pairing[i]) {
        (None, _) => "not paired".into(),
        (Some(p), crate::history::Pairing::Elsewhere) => format!(
            "{} vs {} (not in this history)",
            change_with_interval(&p.change),
            &p.base[..p.base.len().min(10)]
        ),
        (Some(p), _) => change_with_interval(&p.change),
    }
}

/// Entry `i`'s level in the chain as a table cell; "-" off the chain, "anchor"
/// for the anchor.
pub fn level_cell(h: &PathHistory, i: usize) -> String {
    if i == h.chain.anchor {
        return "anchor".into();
    }
    h.chain.levels[i]
        .as_ref()
        .map(level)
        .unwrap_or_else(|| "-".into())
}
