//! A path page's "Why it changed" section: the accepted steps whose history
//! line keeps an explanation (`baseline accept --explanations`), newest first,
//! each with its "why" line and details.

use maud::{html, Markup};

use super::format::{commit_or_none, when};
use crate::history::PathHistory;

/// Steps shown at most (the newest).
pub const MAX_STEPS: usize = 20;

/// The section, or nothing when no step of the path was explained.
pub fn why_section(h: &PathHistory) -> Markup {
    let explained: Vec<_> = h
        .entries
        .iter()
        .rev()
        .filter_map(|e| Some((e, e.explanation.as_ref()?)))
        .take(MAX_STEPS)
        .collect();
    if explained.is_empty() {
        return html! {};
    }
    html! {
        section id="why" {
            h2 { "Why it changed" }
            ul class="why" {
                @for (e, x) in &explained {
                    li {
                        (when(e)) " (" (commit_or_none(e)) "): " (x.why)
                        @if !x.details.is_empty() {
                            ul { @for d in &x.details { li { (d) } } }
                        }
                    }
                }
            }
        }
        "\n"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::explain::Brief;
    use crate::fixtures::dashboard_path;

    #[test]
    fn explained_steps_are_listed_newest_first_and_escaped() {
        let mut h = dashboard_path("cpu", "m", 4, 9.0, None);
        assert_eq!(why_section(&h).into_string(), "");
        h.entries[1].explanation = Some(Brief {
            why: "90% of it is in one node: extra <Conv>".into(),
            details: vec!["nodes 100 → 101: +1 Conv".into()],
        });
        h.entries[3].explanation = Some(Brief {
            why: "settings changed (intra_threads 2 → 1)".into(),
            details: vec![],
        });
        let html = why_section(&h).into_string();
        let (a, b) = (
            html.find("intra_threads").unwrap(),
            html.find("extra").unwrap(),
        );
        assert!(a < b, "newest first: {html}");
        assert!(html.contains("extra &lt;Conv&gt;"), "{html}");
        assert!(html.contains("<li>nodes 100 → 101: +1 Conv</li>"), "{html}");
    }
}
