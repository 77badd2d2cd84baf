//! Where the site's files live and where its links point: safe path
//! segments, page and CSV paths, page addresses on a published site, and the
//! repository's and its commits' web addresses. A leaf of the dashboard.

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
