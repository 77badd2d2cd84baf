//! The content-addressed artifact store: models and runtime libraries kept by
//! their SHA-256 on the runner between jobs, so that a comparison finds the base
//! side's files even when they are not in git (models exported in CI, Git LFS,
//! downloaded runtimes).
//!
//! Layout under the store directory (default `$EDGEPERF_ARTIFACTS`, else
//! `$XDG_CACHE_HOME/edgeperf/artifacts`, else `~/.cache/edgeperf/artifacts`):
//!
//! ```text
//! models/<sha256>            the model file's bytes
//! runtimes/<sha256>/<name>   the runtime library's directory (a library loads its
//!                            providers and dependencies from beside it), keyed by
//!                            the library file's sha256; <name> is the library
//! ```
//!
//! Entries are written atomically (a temporary name, then a rename) and their
//! modification time is refreshed on every use; when the store grows past its cap
//! the least recently used entries are removed.

use std::path::{Path, PathBuf};

use crate::error::Result;

/// Default size cap of the store.
pub const DEFAULT_MAX_BYTES: u64 = 4 << 30;

#[derive(Debug, Clone)]
pub struct ArtifactStore {
    pub dir: PathBuf,
    pub max_bytes: u64,
}

impl ArtifactStore {
    /// The store configured by the environment: `EDGEPERF_ARTIFACTS` (a directory,
    /// or `off`), `EDGEPERF_ARTIFACTS_MAX_MB`; `None` when turned off or when no
    /// home or cache directory is known.
    pub fn from_env() -> Option<ArtifactStore> {
        let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
        let dir = match var("EDGEPERF_ARTIFACTS") {
            Some(v) if v == "off" => return None,
            Some(v) => PathBuf::from(v),
            None => match (var("XDG_CACHE_HOME"), var("HOME")) {
                (Some(c), _) => PathBuf::from(c).join("edgeperf/artifacts"),
                (None, Some(h)) => PathBuf::from(h).join(".cache/edgeperf/artifacts"),
                (None, None) => return None,
            },
        };
        let max_bytes = var("EDGEPERF_ARTIFACTS_MAX_MB")
            .and_then(|v| v.to_str()?.parse::<u64>().ok())
            .map(|mb| mb << 20)
            .unwrap_or(DEFAULT_MAX_BYTES);
        Some(ArtifactStore { dir, max_bytes })
    }

    fn model_path(&self, sha: &str) -> PathBuf {
        self.dir.join("models").join(sha)
    }

    fn runtime_dir(&self, sha: &str) -> PathBuf {
        self.dir.join("runtimes").join(sha)
    }

    /// The stored model with this sha256, if the store has it.
    pub fn model(&self, sha: &str) -> Option<PathBuf> {
        let p = self.model_path(sha);
        crate::fs::exists(&p).then(|| {
            touch(&p);
            p
        })
    }

    /// The stored runtime library with this sha256 (inside its directory).
    pub fn runtime(&self, sha: &str) -> Option<PathBuf> {
        let dir = self.runtime_dir(sha);
        let name = crate::fs::read_to_string(&dir.join(".library")).ok()?;
        let lib = dir.join(name.trim());
        crate::fs::exists(&lib).then(|| {
            touch(&dir.join(".library"));
            lib
        })
    }

    /// Keeps a model file whose content hashes to `sha` (checked); returns its
    /// place in the store. A model already stored is only touched.
    pub fn put_model(&self, file: &Path, sha: &str) -> Result<PathBuf> {
        if let Some(p) = self.model(sha) {
            return Ok(p);
        }
        let bytes = crate::fs::read(file)?;
        if crate::fs::sha256_bytes(&bytes) != sha {
            return Err(crate::Error::model(
                file,
                "changed while edgeperf was storing it (its sha256 differs from the run's)",
            ));
        }
        let p = self.model_path(sha);
        crate::fs::write_atomic(&p, &bytes)?;
        self.evict()?;
        Ok(p)
    }

    /// Keeps a runtime library and the files beside it (its directory, not
    /// recursively), keyed by the library's sha256; returns the stored library.
    pub fn put_runtime(&self, library: &Path, sha: &str) -> Result<PathBuf> {
        if let Some(p) = self.runtime(sha) {
            return Ok(p);
        }
        let src_dir = crate::fs::parent_dir(library);
        let name = library
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let dir = self.runtime_dir(sha);
        let tmp = self.dir.join("runtimes").join(format!(".{sha}.partial"));
        let _ = crate::fs::remove_dir_all(&tmp);
        crate::fs::create_dir_all(&tmp)?;
        for e in crate::fs::list_dir(src_dir)? {
            if !e.is_dir {
                crate::fs::copy(&e.path, &tmp.join(&e.name))?;
            }
        }
        crate::fs::write_atomic(&tmp.join(".library"), name.as_bytes())?;
        crate::fs::rename(&tmp, &dir)?;
        self.evict()?;
        Ok(dir.join(name))
    }

    /// Total bytes stored.
    pub fn size(&self) -> u64 {
        self.entries().iter().map(|e| e.1).sum()
    }

    /// (path, bytes, last use) of every entry.
    fn entries(&self) -> Vec<(PathBuf, u64, std::time::SystemTime)> {
        let mut out = Vec::new();
        for kind in ["models", "runtimes"] {
            let Ok(list) = crate::fs::list_dir(&self.dir.join(kind)) else {
                continue;
            };
            for e in list.into_iter().filter(|e| !e.name.starts_with('.')) {
                let (bytes, used) = crate::fs::tree_size_and_mtime(&e.path);
                out.push((e.path, bytes, used));
            }
        }
        out
    }

    /// Removes the least recently used entries until the store is under its cap.
    pub fn evict(&self) -> Result<()> {
        let mut entries = self.entries();
        let mut total: u64 = entries.iter().map(|e| e.1).sum();
        entries.sort_by_key(|e| e.2);
        for (path, bytes, _) in entries {
            if total <= self.max_bytes {
                break;
            }
            crate::fs::remove_all(&path)?;
            total = total.saturating_sub(bytes);
        }
        Ok(())
    }
}

/// Keeps the models and runtime libraries a run used, so that later comparisons
/// find them as a base side. A file that changed since the run is skipped; a file
/// already stored is only marked used (not hashed again). Returns one warning per
/// file that could not be stored (the store is a cache: failing to fill it never
/// fails a command).
pub fn keep_run(store: &ArtifactStore, run: &crate::record::RunRecord) -> Vec<String> {
    let mut warnings = Vec::new();
    for p in &run.paths {
        let model = PathBuf::from(&p.model_file);
        if store.model(&p.model_sha256).is_none()
            && crate::fs::sha256_file(&model).ok().as_deref() == Some(p.model_sha256.as_str())
        {
            if let Err(e) = store.put_model(&model, &p.model_sha256) {
                warnings.push(e.one_line());
            }
        }
        if let Some(sha) = &p.runtime.sha256 {
            if store.runtime(sha).is_none()
                && crate::fs::sha256_file(&p.runtime.library).ok().as_deref() == Some(sha.as_str())
            {
                if let Err(e) = store.put_runtime(&p.runtime.library, sha) {
                    warnings.push(e.one_line());
                }
            }
        }
    }
    warnings
}

/// Marks an entry as just used (eviction is least-recently-used).
fn touch(path: &Path) {
    let _ = crate::fs::set_mtime_now(path);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(dir: &Path, max_bytes: u64) -> ArtifactStore {
        ArtifactStore {
            dir: dir.to_path_buf(),
            max_bytes,
        }
    }

    #[test]
    fn models_are_found_by_content() {
        let d = tempfile::tempdir().unwrap();
        let s = store(&d.path().join("store"), 1 << 20);
        let f = d.path().join("m.onnx");
        crate::fs::write_atomic(&f, b"model bytes").unwrap();
        let sha = crate::fs::sha256_bytes(b"model bytes");
        assert!(s.model(&sha).is_none());
        let p = s.put_model(&f, &sha).unwrap();
        crate::fs::write_atomic(&f, b"changed").unwrap();
        assert_eq!(s.model(&sha).unwrap(), p);
        assert_eq!(crate::fs::read(&p).unwrap(), b"model bytes");
        let e = s.put_model(&f, &"0".repeat(64)).unwrap_err().one_line();
        assert!(e.contains("m.onnx") && e.contains("sha256"), "{e}");
    }

    #[test]
    fn runtimes_keep_their_directory() {
        let d = tempfile::tempdir().unwrap();
        let s = store(&d.path().join("store"), 1 << 20);
        let lib_dir = d.path().join("ort");
        crate::fs::write_atomic(&lib_dir.join("libonnxruntime.so.1"), b"lib").unwrap();
        crate::fs::write_atomic(&lib_dir.join("libprovider.so"), b"provider").unwrap();
        let sha = crate::fs::sha256_bytes(b"lib");
        let lib = s
            .put_runtime(&lib_dir.join("libonnxruntime.so.1"), &sha)
            .unwrap();
        assert_eq!(lib.file_name().unwrap(), "libonnxruntime.so.1");
        assert!(crate::fs::exists(
            &lib.parent().unwrap().join("libprovider.so")
        ));
        assert_eq!(s.runtime(&sha).unwrap(), lib);
    }

    #[test]
    fn the_least_recently_used_entries_go_first() {
        let d = tempfile::tempdir().unwrap();
        let s = store(&d.path().join("store"), 25);
        let mut shas = Vec::new();
        for i in 0..3u8 {
            let bytes = vec![i; 10];
            let f = d.path().join(format!("m{i}"));
            crate::fs::write_atomic(&f, &bytes).unwrap();
            let sha = crate::fs::sha256_bytes(&bytes);
            // Distinct, increasing last-use times.
            std::thread::sleep(std::time::Duration::from_millis(20));
            s.put_model(&f, &sha).unwrap();
            shas.push(sha);
        }
        assert!(s.size() <= 25, "{}", s.size());
        assert!(s.model(&shas[0]).is_none(), "the oldest entry was evicted");
        assert!(s.model(&shas[2]).is_some());
    }
}
