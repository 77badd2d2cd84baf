//! Markdown pieces shared by the pull-request comment (`compare`) and
//! `--format markdown` (`export::markdown`): escaping a table cell, and linking a
//! path to its dashboard page.

/// Links from a report to the dashboard page of a path (`device`, `model`),
/// when a site URL is known.
pub type PathLink<'a> = &'a dyn Fn(&str, &str) -> Option<String>;

/// Text made safe for a Markdown table cell (`|`, `<`, `>`).
pub fn md_escape(s: &str) -> String {
    s.replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
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
