//! What every page shares: the document around its content (head, style
//! sheet, footer), legends under charts, and a commit cell that links to the
//! commit when it can. Built with maud, so every value is escaped.

use maud::{html, Markup, DOCTYPE};

use super::format::short;
use super::urls::commit_url;

/// The style sheet every page links (`style.css`), included at build time:
/// light and dark colours (`prefers-color-scheme`), charts that scale, tables
/// that scroll on a phone. On a narrow screen a chart shrinks with the page, so
/// its text is set larger in chart units (about 11 px on a phone) and only the
/// first, middle and last date label stay.
pub const STYLE: &str = include_str!("assets/style.css");

/// A whole page: `body` (header and main) between the head and the footer;
/// `root` leads back to the site's root ("" or "../../").
pub fn page(title: &str, root: &str, repo_url: Option<&str>, body: Markup) -> String {
    html! {
        (DOCTYPE) "\n"
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width,initial-scale=1";
                meta name="generator" content="edgeperf dashboard";
                title { (title) }
                link rel="stylesheet" href={ (root) "style.css" };
            }
            "\n"
            body { "\n" (body) (footer(repo_url)) "\n" }
        }
        "\n"
    }
    .into_string()
}

/// Where the site's data comes from.
fn footer(repo_url: Option<&str>) -> Markup {
    html! {
        footer {
            "Drawn by " code { "edgeperf dashboard" } " from the accepted baselines"
            @if let Some(r) = repo_url {
                " of " a href=(r) { (r) }
            }
            " (" code { "baselines/<device>/<model>.history.jsonl" } "); no script, no network."
        }
    }
}

/// The legend under a chart: (CSS class of the key, text).
pub fn legend(keys: &[(&str, &str)]) -> Markup {
    html! {
        p class="legend" {
            @for (class, text) in keys {
                span class={ "key " (class) } {}
                (text)
            }
        }
        "\n"
    }
}

/// A commit, short, linked to its page when the repository is known; "-"
/// without a commit.
pub fn commit_cell(repo_url: Option<&str>, commit: Option<&str>) -> Markup {
    html! {
        @if let Some(c) = commit {
            @if let Some(u) = commit_url(repo_url, c) {
                a href=(u) { (short(c)) }
            } @else {
                (short(c))
            }
        } @else {
            "-"
        }
    }
}
