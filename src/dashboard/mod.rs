//! The static dashboard (`edgeperf dashboard`): an index of every path and one
//! page per path, drawn from the baseline history alone. Pure: [`render`] turns
//! histories into files (relative path + text); `commands::dashboard` loads the
//! histories through `store` and writes the files through `crate::fs`.
//!
//! The site needs no network and no script: HTML, one style sheet and SVG
//! charts drawn here (`chart.rs`), so it opens from the file system and from
//! GitHub Pages alike. Dark mode follows `prefers-color-scheme`; charts scale
//! with their `viewBox` and scroll sideways inside their box on a phone.
//!
//! Layout of the site:
//!
//! ```text
//! index.html                   device x model matrix and a table of every path
//! style.css
//! paths/<device>/<model>.html  latency band, accuracy, cold start, memory, devices
//! paths/<device>/<model>.csv   the path's history (edgeperf history --format csv)
//! ```

mod chart;
mod html;
mod pages;

use crate::history::PathHistory;
use crate::record::baseline::HistoryEntry;
use crate::suite::CompareConfig;

pub use chart::{nice_ticks, Scale};
pub use html::escape;
pub use pages::{change, Change};

/// What the site is drawn from.
pub struct SiteInput<'a> {
    /// Every path's history (oldest entry first), sorted by device then model.
    pub histories: &'a [PathHistory],
    /// Web address of the repository (`https://github.com/owner/name`): each
    /// point links to `<repo>/commit/<sha>`. Without it points show the commit
    /// in their tooltip only.
    pub repo_url: Option<&'a str>,
    /// Thresholds that colour the change against the previous baseline (the
    /// suite's `[compare]`, defaults without a suite).
    pub compare: &'a CompareConfig,
}

/// One file of the site.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteFile {
    /// Relative to the site's root, `/`-separated.
    pub path: String,
    pub text: String,
}

/// Renders the whole site.
pub fn render(input: &SiteInput<'_>) -> Vec<SiteFile> {
    let mut files = Vec::with_capacity(2 + 2 * input.histories.len());
    files.push(SiteFile {
        path: "style.css".into(),
        text: pages::STYLE.to_string(),
    });
    files.push(SiteFile {
        path: "index.html".into(),
        text: pages::index(input),
    });
    for h in input.histories {
        files.push(SiteFile {
            path: page_path(&h.device, &h.model),
            text: pages::path_page(input, h),
        });
        files.push(SiteFile {
            path: csv_path(&h.device, &h.model),
            text: crate::report::export::csv::table(
                &crate::report::export::csv::HISTORY_HEADER,
                &crate::report::export::csv::history_rows(std::slice::from_ref(h)),
            ),
        });
    }
    files
}

/// A name as one safe path segment: ASCII letters, digits, `-` and `_` stay,
/// every other byte (and a leading `.`) becomes `~XX` (hex), so distinct names
/// give distinct segments that need no escaping in a URL.
pub fn slug(name: &str) -> String {
    let mut s = String::with_capacity(name.len());
    for (i, b) in name.bytes().enumerate() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' => s.push(b as char),
            b'.' if i > 0 => s.push('.'),
            _ => s.push_str(&format!("~{b:02X}")),
        }
    }
    if s.is_empty() {
        s.push('~');
    }
    s
}

/// Where a path's page lives, relative to the site's root.
pub fn page_path(device: &str, model: &str) -> String {
    format!("paths/{}/{}.html", slug(device), slug(model))
}

/// Where a path's history CSV lives, relative to the site's root.
pub fn csv_path(device: &str, model: &str) -> String {
    format!("paths/{}/{}.csv", slug(device), slug(model))
}

/// The address of a path's page on a site published at `site_url`.
pub fn page_url(site_url: &str, device: &str, model: &str) -> Option<String> {
    let site = site_url.trim().trim_end_matches('/');
    if site.is_empty() {
        return None;
    }
    Some(format!("{site}/{}", page_path(device, model)))
}

/// The web address of a repository from a git remote URL: `https://` and
/// `http://` as they are (credentials and `.git` removed), `git@host:owner/name`,
/// `ssh://[user@]host[:port]/owner/name` and `git://host/owner/name` as
/// `https://host/owner/name`. `None` for anything else (a local path).
pub fn repo_web_url(remote: &str) -> Option<String> {
    let r = remote.trim();
    let (scheme, rest) = if let Some(rest) = r.strip_prefix("https://") {
        ("https", rest)
    } else if let Some(rest) = r.strip_prefix("http://") {
        ("http", rest)
    } else if let Some(rest) = r.strip_prefix("ssh://") {
        ("https", rest)
    } else if let Some(rest) = r.strip_prefix("git://") {
        ("https", rest)
    } else if !r.contains("://") && r.contains('@') && r.contains(':') {
        // scp-like: git@github.com:owner/name.git
        let (host, path) = r.split_once(':')?;
        let host = host.rsplit('@').next()?;
        return join_host_path("https", host, path);
    } else {
        return None;
    };
    let (authority, path) = rest.split_once('/')?;
    let host = authority.rsplit('@').next()?;
    let host = if scheme == "https" && !r.starts_with("https://") {
        // An ssh or git port is not the web server's.
        host.split(':').next()?
    } else {
        host
    };
    join_host_path(scheme, host, path)
}

fn join_host_path(scheme: &str, host: &str, path: &str) -> Option<String> {
    let path = path.trim_matches('/');
    let path = path.strip_suffix(".git").unwrap_or(path);
    if host.is_empty() || path.is_empty() || host.contains(char::is_whitespace) {
        return None;
    }
    Some(format!("{scheme}://{host}/{path}"))
}

/// The repository's web address from GitHub Actions' `GITHUB_SERVER_URL` and
/// `GITHUB_REPOSITORY` (`owner/name`).
pub fn repo_url_from_github(server: &str, repository: &str) -> Option<String> {
    let server = server.trim().trim_end_matches('/');
    let repository = repository.trim().trim_matches('/');
    let ok = (server.starts_with("https://") || server.starts_with("http://"))
        && repository.split('/').count() == 2
        && !repository.contains(char::is_whitespace);
    ok.then(|| format!("{server}/{repository}"))
}

/// The page of a commit, when `sha` looks like a commit id (hex, 7 to 64 digits).
pub fn commit_url(repo_url: Option<&str>, sha: &str) -> Option<String> {
    let repo = repo_url?;
    let is_sha = (7..=64).contains(&sha.len()) && sha.bytes().all(|b| b.is_ascii_hexdigit());
    is_sha.then(|| format!("{}/commit/{sha}", repo.trim_end_matches('/')))
}

/// The lower edge of the latency band: the pooled p10, or the median round p10
/// for history lines written before `p10` was recorded.
pub fn band_low(e: &HistoryEntry) -> f64 {
    e.p10.unwrap_or(e.p10_rounds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_safe_and_distinct() {
        assert_eq!(slug("mobilenet_v2"), "mobilenet_v2");
        assert_eq!(slug("openvino-cpu"), "openvino-cpu");
        assert_eq!(slug("resnet|18"), "resnet~7C18");
        assert_eq!(slug("resnet~7C18"), "resnet~7E7C18");
        assert_eq!(slug("a.b"), "a.b");
        assert_eq!(slug(".."), "~2E.");
        assert_eq!(slug("a/b"), "a~2Fb");
        assert_eq!(slug("é"), "~C3~A9");
        assert_eq!(slug(""), "~");
        assert_eq!(page_path("cpu", "m v2"), "paths/cpu/m~20v2.html");
    }

    #[test]
    fn page_urls_join_the_site_url() {
        assert_eq!(
            page_url("https://o.github.io/r/", "cpu", "mobilenet_v2").as_deref(),
            Some("https://o.github.io/r/paths/cpu/mobilenet_v2.html")
        );
        assert_eq!(
            page_url("https://o.github.io/r", "cpu", "m").as_deref(),
            Some("https://o.github.io/r/paths/cpu/m.html")
        );
        assert_eq!(page_url("  ", "cpu", "m"), None);
    }

    #[test]
    fn remotes_become_web_addresses() {
        for (remote, want) in [
            ("https://github.com/o/r.git", Some("https://github.com/o/r")),
            ("https://github.com/o/r", Some("https://github.com/o/r")),
            (
                "https://x-access-token:ghs_secret@github.com/o/r.git",
                Some("https://github.com/o/r"),
            ),
            ("git@github.com:o/r.git", Some("https://github.com/o/r")),
            (
                "ssh://git@github.com/o/r.git",
                Some("https://github.com/o/r"),
            ),
            (
                "ssh://git@git.example.com:2222/team/r.git",
                Some("https://git.example.com/team/r"),
            ),
            ("git://github.com/o/r.git", Some("https://github.com/o/r")),
            (
                "http://localhost:8080/o/r",
                Some("http://localhost:8080/o/r"),
            ),
            ("/srv/git/r.git", None),
            ("../r", None),
            ("https://github.com", None),
        ] {
            assert_eq!(repo_web_url(remote).as_deref(), want, "{remote}");
        }
        assert_eq!(
            repo_url_from_github("https://github.com/", "o/r").as_deref(),
            Some("https://github.com/o/r")
        );
        assert_eq!(repo_url_from_github("https://github.com", "nope"), None);
        assert_eq!(repo_url_from_github("github.com", "o/r"), None);
    }

    #[test]
    fn commit_links_need_a_repository_and_a_commit_id() {
        let sha = "0123456789abcdef0123456789abcdef01234567";
        assert_eq!(
            commit_url(Some("https://github.com/o/r/"), sha),
            Some(format!("https://github.com/o/r/commit/{sha}"))
        );
        assert_eq!(commit_url(None, sha), None);
        assert_eq!(commit_url(Some("https://github.com/o/r"), "main"), None);
        assert_eq!(
            commit_url(Some("https://github.com/o/r"), "\"><script>"),
            None
        );
    }
}
