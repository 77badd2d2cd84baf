//! The static dashboard (`edgeperf dashboard`): an index of every path and one
//! page per path, drawn from the baseline history alone. Pure: [`render`] turns
//! histories into files (relative path + text); `commands::dashboard` loads the
//! histories through `store` and writes the files through `crate::fs`.
//!
//! The site needs no network and no script: HTML, one style sheet and SVG
//! charts drawn here, so it opens from the file system and from GitHub Pages
//! alike. Pages and charts are built with maud's `html!`, which escapes every
//! value it splices in; the style sheet is `assets/style.css`, included at
//! build time. Dark mode follows `prefers-color-scheme`; charts scale with
//! their `viewBox` and scroll sideways inside their box on a phone.
//!
//! Layout of the site:
//!
//! ```text
//! index.html                   device x model matrix and a table of every path
//! style.css
//! paths/<device>/<model>.html  latency band, accuracy, cold start, memory, devices
//! paths/<device>/<model>.csv   the path's history (edgeperf history --format csv)
//! ```
//!
//! Files, each importing only those below it: `index.rs` and `path.rs` (the
//! pages) over `path_charts.rs`, `path_tables.rs` and `path_why.rs` (a path
//! page's sections),
//! over `layout.rs` (page shell, legends, commit cells), `chart.rs` and
//! `bars.rs` (SVG) and `change.rs` (a baseline against the previous one), over
//! the leaves `svg.rs` (scales, ticks, coordinates), `format.rs` (values as
//! text), `urls.rs` (file paths and links) and `input.rs` (the site's types).

mod bars;
mod change;
mod chart;
mod format;
mod index;
mod input;
mod layout;
mod path;
mod path_charts;
mod path_tables;
mod path_why;
mod svg;
mod urls;

pub use change::{change, Change};
pub use format::band_low;
pub use input::{SiteFile, SiteInput};
pub use svg::{nice_ticks, Scale};
pub use urls::{
    commit_url, csv_path, page_path, page_url, repo_url_from_github, repo_web_url, slug,
};

use crate::report::export::csv;

/// Renders the whole site.
pub fn render(input: &SiteInput<'_>) -> Vec<SiteFile> {
    let mut files = Vec::with_capacity(2 + 2 * input.histories.len());
    files.push(SiteFile {
        path: "style.css".into(),
        text: layout::STYLE.to_string(),
    });
    files.push(SiteFile {
        path: "index.html".into(),
        text: index::index(input),
    });
    for h in input.histories {
        files.push(SiteFile {
            path: page_path(&h.device, &h.model),
            text: path::path_page(input, h),
        });
        files.push(SiteFile {
            path: csv_path(&h.device, &h.model),
            text: csv::table(
                &csv::HISTORY_HEADER,
                &csv::history_rows(std::slice::from_ref(h)),
            ),
        });
    }
    files
}

#[cfg(test)]
mod tests {
    use super::index::index;
    use super::path::path_page;
    use super::*;
    use crate::fixtures::dashboard_path;
    use crate::history::PathHistory;
    use crate::suite::CompareConfig;

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

    #[test]
    fn names_are_escaped_everywhere() {
        let cfg = CompareConfig::default();
        let hs = [dashboard_path("<cpu>", "m\"&'", 2, 9.0, None)];
        let input = site(&hs, &cfg, None);
        for page in [index(&input), path_page(&input, &hs[0])] {
            assert!(!page.contains("<cpu>"), "{page}");
            assert!(page.contains("&lt;cpu&gt;"));
            // maud escapes `&`, `<`, `>` and `"`; attributes are always in
            // double quotes, so a `'` stays as it is.
            assert!(page.contains("m&quot;&amp;'"), "{page}");
            assert!(!page.contains("m\"&"), "{page}");
        }
        // A repository address with markup in it cannot break out of its attribute.
        let page = path_page(&site(&hs, &cfg, Some("https://x/\"><b>")), &hs[0]);
        assert!(
            page.contains(r#"href="https://x/&quot;&gt;&lt;b&gt;""#),
            "{page}"
        );
        assert!(!page.contains("<b>"), "{page}");
    }
}
