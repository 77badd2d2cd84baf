//! Markdown pieces shared by the pull-request comment (`compare`) and
//! `--format markdown` (`export::markdown`): escaping a table cell, and linking a
//! path to its dashboard page.

/// Links from a report to the dashboard page of a path (`device`, `model`),
/// when a site URL is known.
pub type PathLink<'a> = &'a dyn Fn(&str, &str) -> Option<String>;

/// Text from a record made inert in Markdown (a table cell or a list line of
/// the PR comment): it renders as the same characters, but no link, image,
/// HTML, table cell, line break, @mention, issue reference or autolink comes
/// out of it (a code span may: it is inert). `\\ | [ ]` are backslash-escaped,
/// `& < >` become entities, a line break a space, and a zero-width space goes
/// after `@`, between `#` and a digit, inside `://` and after `www`.
pub fn md_escape(s: &str) -> String {
    const ZWSP: char = '\u{200B}';
    let mut out = String::with_capacity(s.len() + 8);
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        let next = chars.peek().copied();
        match c {
            '\\' | '|' | '[' | ']' => {
                out.push('\\');
                out.push(c);
            }
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' | '\n' => out.push(' '),
            '@' | '#' | ':' => {
                out.push(c);
                let breaks = match c {
                    '@' => true,
                    '#' => next.is_some_and(|n| n.is_ascii_digit()),
                    _ => next == Some('/'),
                };
                if breaks {
                    out.push(ZWSP);
                }
            }
            _ => out.push(c),
        }
    }
    out.replace("www.", "www\u{200B}.")
}

/// The model of a path as a link to its dashboard page where `path_link` gives
/// one, else as escaped text.
pub fn model_cell(path_link: Option<PathLink<'_>>, device: &str, model: &str) -> String {
    match path_link.and_then(|f| f(device, model)) {
        Some(url) => format!("[{}]({url})", md_escape(model)),
        None => md_escape(model),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_escaped_and_linked_where_a_page_exists() {
        assert_eq!(md_escape("a|<b>"), "a\\|&lt;b&gt;");
        let link = |d: &str, m: &str| (d == "cpu").then(|| format!("https://x/{d}/{m}"));
        assert_eq!(
            model_cell(Some(&link), "cpu", "m|1"),
            "[m\\|1](https://x/cpu/m|1)"
        );
        assert_eq!(model_cell(Some(&link), "gpu", "m"), "m");
        assert_eq!(model_cell(None, "cpu", "<m>"), "&lt;m&gt;");
    }
}
