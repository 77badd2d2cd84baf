//! The root every device-state path is read under: `/` on a real device, or a
//! fake system tree (tests, `EDGEPERF_SYSROOT`, `edgeperf doctor --sysroot`)
//! holding the same relative paths (`sys/class/thermal/...`).

use std::path::{Path, PathBuf};

/// The environment variable naming a fake system root.
pub const SYSROOT_ENV: &str = "EDGEPERF_SYSROOT";

/// Where `/sys`, `/proc`, `/etc` and `/var` are read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Root {
    dir: PathBuf,
}

/// One entry of a listed directory: its name and path under the root.
#[derive(Debug, Clone)]
pub struct Entry {
    pub name: String,
    pub path: PathBuf,
}

impl Root {
    /// The machine's own `/`.
    pub fn system() -> Root {
        Root { dir: "/".into() }
    }

    /// A tree standing in for `/`.
    pub fn at(dir: impl Into<PathBuf>) -> Root {
        Root { dir: dir.into() }
    }

    /// `EDGEPERF_SYSROOT` when set (and not empty), else `/`.
    pub fn from_env() -> Root {
        match std::env::var_os(SYSROOT_ENV).filter(|v| !v.is_empty()) {
            Some(d) => Root::at(d),
            None => Root::system(),
        }
    }

    /// Whether this is the machine's own root (programs such as `vcgencmd`
    /// are only asked on it: a fake tree holds files, not the board).
    pub fn is_system(&self) -> bool {
        self.dir == Path::new("/")
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file `abs` (an absolute system path) under this root.
    pub fn path(&self, abs: &str) -> PathBuf {
        self.dir.join(abs.trim_start_matches('/'))
    }

    /// A file's text, trimmed; `None` when it is absent or cannot be read
    /// (sysfs files that error on read, files only root may read).
    pub fn read(&self, abs: &str) -> Option<String> {
        self.read_path(&self.path(abs))
    }

    /// [`Root::read`] of a path already under the root.
    pub fn read_path(&self, path: &Path) -> Option<String> {
        crate::fs::read_to_string(path)
            .ok()
            .map(|s| s.trim().to_string())
    }

    /// A number in a file (`temp`, `scaling_cur_freq`), when it holds one.
    pub fn number(&self, path: &Path) -> Option<f64> {
        self.read_path(path)?
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
    }

    /// The entries of directory `abs` whose name starts with `prefix`, sorted
    /// by the number after the prefix (`thermal_zone2` before `thermal_zone10`),
    /// then by name; empty when the directory is absent.
    pub fn entries(&self, abs: &str, prefix: &str) -> Vec<Entry> {
        let mut out: Vec<Entry> = crate::fs::list_dir(&self.path(abs))
            .unwrap_or_default()
            .into_iter()
            .filter(|e| e.name.starts_with(prefix))
            .map(|e| Entry {
                name: e.name,
                path: e.path,
            })
            .collect();
        let key = |e: &Entry| e.name[prefix.len()..].parse::<u64>().unwrap_or(u64::MAX);
        out.sort_by(|a, b| key(a).cmp(&key(b)).then_with(|| a.name.cmp(&b.name)));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_read_under_the_root() {
        let d = tempfile::tempdir().unwrap();
        let r = Root::at(d.path());
        assert!(!r.is_system() && Root::system().is_system());
        assert_eq!(r.path("/sys/x"), d.path().join("sys/x"));
        assert_eq!(r.read("/sys/x"), None);
        std::fs::create_dir_all(d.path().join("sys/d/zone10")).unwrap();
        std::fs::create_dir_all(d.path().join("sys/d/zone2")).unwrap();
        std::fs::create_dir_all(d.path().join("sys/d/other")).unwrap();
        std::fs::write(d.path().join("sys/x"), " 42000\n").unwrap();
        assert_eq!(r.read("/sys/x").as_deref(), Some("42000"));
        assert_eq!(r.number(&r.path("/sys/x")), Some(42000.0));
        let names: Vec<_> = r
            .entries("/sys/d", "zone")
            .into_iter()
            .map(|e| e.name)
            .collect();
        assert_eq!(names, ["zone2", "zone10"]);
    }
}
