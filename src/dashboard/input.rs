//! What the site is drawn from and what it is made of. A leaf: every other
//! file of the dashboard may use these types.

use crate::history::PathHistory;
use crate::suite::CompareConfig;

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
