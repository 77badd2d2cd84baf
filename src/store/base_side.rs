//! The two sides of a confirmation as files on this machine: the base side
//! found, the head side checked. `commands::confirm` measures them.
//!
//! * **The base side is the base commit's whole path**: the base suite (read
//!   through git at the merge-base for `--against`, else at the baseline's own
//!   commit) gives the device (provider, options, threads) and the model entry
//!   (input, preprocessing); the model bytes are the base commit's (a git blob,
//!   a Git LFS object, never the pointer) or, for models git does not track, the
//!   bytes the baseline measured, found by their sha256 on disk or in the
//!   artifact store; the runtime library is the one the baseline ran (by sha256:
//!   at the base device's configured path, the recorded path, or the artifact
//!   store).
//! * **The head side** is the current suite's device and model on the run's
//!   library, as long as the model file still holds the bytes the run measured.
//!
//! What cannot be had here is a [`Side::Unavailable`]: why, and what would make
//! it available (a comparison reports it, and the path is inconclusive). A
//! failure to read or write (a corrupt repository, a full disk) stays an error.
//!
//! The store loads no runtime library: where a device's library is configured
//! and what version an old, unhashed library reports come from the engine,
//! through [`RuntimeLibraries`].

use std::fmt;
use std::path::{Path, PathBuf};

use super::artifacts::ArtifactStore;
use super::git::GitTree;
use super::lfs;
use crate::compare::short_hash;
use crate::error::{Error, Result};
use crate::record::baseline::Baseline;
use crate::record::PathRecord;
use crate::suite::{Device, Model, RuntimeKind, Suite};

/// A side of a path as files: the device and model entries (the model's file
/// holding the side's bytes) and the runtime library (or runner program).
#[derive(Debug, Clone, PartialEq)]
pub struct SideFiles {
    pub device: Device,
    pub model: Model,
    pub library: PathBuf,
}

/// Why a side cannot be had on this machine, and how to make it available.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unavailable {
    pub reason: String,
    pub fix: String,
}

impl fmt::Display for Unavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}; {}", self.reason, self.fix)
    }
}

/// The answer to "can this side be measured here?".
#[derive(Debug, Clone, PartialEq)]
pub enum Side {
    Available(Box<SideFiles>),
    Unavailable(Unavailable),
}

/// What only the engine knows about runtime libraries.
pub trait RuntimeLibraries {
    /// Where `device` is configured to find its runtime library, if anywhere.
    fn configured(&self, device: &Device) -> Option<PathBuf>;
    /// The version the library at `path` reports without a session, for the
    /// kinds that can be asked (ONNX Runtime); `None` otherwise or on failure.
    fn version(&self, kind: RuntimeKind, path: &Path) -> Option<String>;
}

/// A lookup that missed: unavailable here, or a real failure.
pub(super) enum Miss {
    Unavailable(Unavailable),
    Failed(Error),
}

impl From<Error> for Miss {
    fn from(e: Error) -> Miss {
        Miss::Failed(e)
    }
}

impl From<crate::fs::FsError> for Miss {
    fn from(e: crate::fs::FsError) -> Miss {
        Miss::Failed(e.into())
    }
}

pub(super) type Found<T> = std::result::Result<T, Miss>;

pub(super) fn unavailable<T>(reason: String, fix: impl Into<String>) -> Found<T> {
    Err(Miss::Unavailable(Unavailable {
        reason,
        fix: fix.into(),
    }))
}

/// The typed answer of a lookup.
pub(super) fn answer(found: Found<SideFiles>) -> Result<Side> {
    match found {
        Ok(files) => Ok(Side::Available(Box::new(files))),
        Err(Miss::Unavailable(u)) => Ok(Side::Unavailable(u)),
        Err(Miss::Failed(e)) => Err(e),
    }
}

/// Where the base side's files are looked for.
pub struct BaseSideFinder<'a> {
    /// The current suite: its file is read at the base commit, and it stands for
    /// the base suite when it is byte-for-byte the one the baseline ran.
    pub suite: &'a Suite,
    /// The commit whose files make the base side; `None` = each baseline's commit.
    pub base_tree: Option<&'a GitTree>,
    /// Where base files extracted from git are kept (content-addressed).
    pub scratch: PathBuf,
    /// The artifact store, when there is one.
    pub artifacts: Option<ArtifactStore>,
}

impl BaseSideFinder<'_> {
    /// The base side of the path `device`/`model`: the base commit's device
    /// and model, the bytes and the library the baseline measured.
    pub fn base_side(
        &self,
        device: &str,
        model: &str,
        base: &Baseline,
        libraries: &dyn RuntimeLibraries,
    ) -> Result<Side> {
        answer(self.find(device, model, base, libraries))
    }

    /// The base commit's inputs of the path `device`/`model`, to tell whether
    /// the head changed any of them (`compare::inputs`): its device and model
    /// entries and, when git tracks the model there, the sha256 of its bytes
    /// (an LFS pointer's object id, never the pointer's own). `None` when the
    /// base suite or its device or model cannot be had (then the path is
    /// measured, and the base side says why it cannot be).
    pub fn base_inputs(
        &self,
        device: &str,
        model: &str,
        base: &Baseline,
    ) -> Result<Option<crate::compare::inputs::BaseInputs>> {
        let own = self.tree_for(base);
        let tree = self.base_tree.or(own.as_ref());
        let suite = match self.base_suite(tree, base) {
            Ok(s) => s,
            Err(Miss::Unavailable(_)) => return Ok(None),
            Err(Miss::Failed(e)) => return Err(e),
        };
        let (Some(d), Some(m)) = (suite.device(device), suite.model(model)) else {
            return Ok(None);
        };
        let Ok(m) = m.for_device(d) else {
            return Ok(None);
        };
        let mut blob_sha256 = None;
        if let Some(t) = tree {
            if let Some(rel) = t.relative(&m.file) {
                if let Some(bytes) = t.read(&rel)? {
                    blob_sha256 = Some(match lfs::parse_pointer(&bytes) {
                        Some(p) => p.oid,
                        None => crate::fs::sha256_bytes(&bytes),
                    });
                }
            }
        }
        Ok(Some(crate::compare::inputs::BaseInputs {
            device: d.clone(),
            model: m,
            model_blob_sha256: blob_sha256,
        }))
    }

    fn find(
        &self,
        device: &str,
        model: &str,
        base: &Baseline,
        libraries: &dyn RuntimeLibraries,
    ) -> Found<SideFiles> {
        let own = self.tree_for(base);
        let tree = self.base_tree.or(own.as_ref());
        let suite = self.base_suite(tree, base)?;
        let missing = |what: &str, name: &str| {
            unavailable(
                format!(
                    "the base suite ({}) has no {what} {name:?}",
                    suite.path.display()
                ),
                format!("the {what} was renamed or removed since the baseline: accept a new baseline for this path"),
            )
        };
        let Some(device) = suite.device(device) else {
            return missing("device", device);
        };
        let Some(entry) = suite.model(model) else {
            return missing("model", model);
        };
        // The model file of the device's format (.onnx, or .tflite for LiteRT).
        let mut model = entry.for_device(device)?;
        model.file = self.model_file(tree, &model, base)?;
        let library = self.library(base, libraries.configured(device), libraries)?;
        Ok(SideFiles {
            device: device.clone(),
            model,
            library,
        })
    }

    /// The commit the base side comes from, when it is not given.
    fn tree_for(&self, base: &Baseline) -> Option<GitTree> {
        if self.base_tree.is_some() {
            return None;
        }
        base.git
            .as_ref()
            .and_then(|g| GitTree::at_commit(self.suite.dir(), &g.commit))
    }

    /// The base commit's suite: the suite file as `tree` has it; the current suite
    /// when it is byte-for-byte the one the baseline ran.
    fn base_suite(&self, tree: Option<&GitTree>, base: &Baseline) -> Found<Suite> {
        if let Some(t) = tree {
            if let Some(rel) = t.relative(&self.suite.path) {
                if let Some(bytes) = t.read(&rel)? {
                    let text = String::from_utf8_lossy(&bytes);
                    return Ok(Suite::parse(&t.shown(&rel), &text, self.suite.dir())?);
                }
            }
        }
        if base.suite_sha256 == self.suite.sha256 {
            return Ok(self.suite.clone());
        }
        match tree {
            Some(t) => unavailable(
                format!(
                    "base suite not available: {} is not tracked at {}, and the current suite is not the one the baseline ran",
                    self.suite.path.display(),
                    t.label
                ),
                "commit the suite file",
            ),
            None => unavailable(
                format!(
                    "base suite not available: the base commit {} is not in this repository",
                    base.git
                        .as_ref()
                        .map(|g| short_hash(&g.commit))
                        .unwrap_or("(unknown)")
                ),
                "fetch it (actions/checkout with fetch-depth: 0)",
            ),
        }
    }

    /// The base model's bytes as a file: the base commit's blob (a Git LFS
    /// pointer resolved) when git tracks it there, else the bytes the baseline
    /// measured, by sha256, on disk or in the artifact store.
    fn model_file(&self, tree: Option<&GitTree>, model: &Model, base: &Baseline) -> Found<PathBuf> {
        if let Some(t) = tree {
            if let Some(rel) = t.relative(&model.file) {
                if let Some(bytes) = t.read(&rel)? {
                    return self.model_from_blob(t, &rel, bytes);
                }
            }
        }
        let sha = &base.model_sha256;
        if crate::fs::sha256_file(&model.file).ok().as_deref() == Some(sha.as_str()) {
            return Ok(model.file.clone());
        }
        if let Some(p) = self.artifacts.as_ref().and_then(|a| a.model(sha)) {
            return Ok(p);
        }
        unavailable(
            format!(
                "base model not available: {} (sha256 {}) is not tracked in git at the base commit and not in the artifact store{}",
                model.name,
                short_hash(sha),
                self.artifacts
                    .as_ref()
                    .map(|a| format!(" {}", a.dir.display()))
                    .unwrap_or_else(|| " (turned off)".into())
            ),
            "run `edgeperf run` on the base commit on this runner (it fills the store), keep the store between jobs, or commit the model",
        )
    }

    /// A model blob from git as a file (LFS pointers resolved), cached by content.
    pub(super) fn model_from_blob(
        &self,
        t: &GitTree,
        rel: &Path,
        bytes: Vec<u8>,
    ) -> Found<PathBuf> {
        if let Some(p) = lfs::parse_pointer(&bytes) {
            let local = lfs::object_path(t.git_dir(), &p.oid).filter(|o| crate::fs::exists(o));
            let stored = self.artifacts.as_ref().and_then(|a| a.model(&p.oid));
            return match local.or(stored) {
                Some(file) => Ok(file),
                None => unavailable(
                    format!(
                        "base model not available: {} is a Git LFS pointer at {} (object {}) whose content is not on this runner",
                        rel.display(),
                        t.label,
                        short_hash(&p.oid)
                    ),
                    "run `git lfs fetch` for the base commit, or keep the artifact store between jobs",
                ),
            };
        }
        let sha = crate::fs::sha256_bytes(&bytes);
        // Keep the extension: a runtime may tell formats by it.
        let ext = rel.extension().and_then(|e| e.to_str()).unwrap_or("model");
        let file = self.scratch.join(format!("model-{sha}.{ext}"));
        if !crate::fs::exists(&file) {
            crate::fs::write_atomic(&file, &bytes)?;
        }
        Ok(file)
    }

    /// The runtime library the baseline ran: by its sha256 at the base device's
    /// configured library path, at the recorded path, or in the artifact store.
    fn library(
        &self,
        base: &Baseline,
        configured: Option<PathBuf>,
        libraries: &dyn RuntimeLibraries,
    ) -> Found<PathBuf> {
        let rt = &base.runtime;
        let candidates: Vec<PathBuf> = configured.into_iter().chain([rt.library.clone()]).collect();
        let Some(sha) = &rt.sha256 else {
            // A baseline from before libraries were hashed: its recorded path,
            // when the library there still reports the same version.
            let same = candidates
                .into_iter()
                .find(|c| libraries.version(rt.kind, c).as_deref() == Some(rt.version.as_str()));
            return match same {
                Some(c) => Ok(c),
                None => unavailable(
                    format!(
                        "base runtime library not available: {} {} at {}",
                        rt.kind.as_str(),
                        rt.version,
                        rt.library.display()
                    ),
                    "put that library back at its path, or accept a new baseline (it records the library's sha256)",
                ),
            };
        };
        for c in &candidates {
            if crate::fs::sha256_file(c).ok().as_deref() == Some(sha.as_str()) {
                return Ok(c.clone());
            }
        }
        if let Some(p) = self.artifacts.as_ref().and_then(|a| a.runtime(sha)) {
            return Ok(p);
        }
        unavailable(
            format!(
                "base runtime library not available: {} {} (sha256 {}) is neither at {} nor in the artifact store",
                rt.kind.as_str(),
                rt.version,
                short_hash(sha),
                rt.library.display()
            ),
            "install it on this runner or keep the artifact store between jobs",
        )
    }
}

/// The head side as the run measured it: the current suite's device and model
/// (whose file must still hold the bytes the run measured) on the run's library.
pub fn head_side(suite: &Suite, path: &PathRecord) -> Result<Side> {
    answer(find_head(suite, path))
}

fn find_head(suite: &Suite, path: &PathRecord) -> Found<SideFiles> {
    let not_in_suite = |what: &str, name: &str| {
        unavailable(
            format!(
                "the path's {what} {name:?} is not in the current suite ({})",
                suite.path.display()
            ),
            "compare the run against the suite it ran (--suite)",
        )
    };
    let Some(device) = suite.device(&path.device) else {
        return not_in_suite("device", &path.device);
    };
    let Some(entry) = suite.model(&path.model) else {
        return not_in_suite("model", &path.model);
    };
    let model = entry.for_device(device)?;
    let now = crate::fs::sha256_file(&model.file)?;
    if now != path.model_sha256 {
        return unavailable(
            format!(
                "{} changed since the run (sha256 {} -> {})",
                model.file.display(),
                short_hash(&path.model_sha256),
                short_hash(&now)
            ),
            "run again",
        );
    }
    Ok(SideFiles {
        device: device.clone(),
        model,
        library: path.runtime.library.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git_repo::GitRepo;
    use crate::suite::Provider;

    const SUITE: &str = "[[device]]\nname = \"cpu\"\nruntime = \"lib.so\"\n[[model]]\nname = \"m\"\nfile = \"models/m.onnx\"\naccuracy = false\npreprocess = { resize = 8, crop = 8 }\n";

    /// The engine's answers without the engine: a device's configured library is
    /// its `runtime`; the library at `dir/lib.so` reports `version`.
    struct Libraries {
        at: PathBuf,
        version: Option<String>,
    }

    impl RuntimeLibraries for Libraries {
        fn configured(&self, device: &Device) -> Option<PathBuf> {
            device.runtime.clone()
        }
        fn version(&self, _: RuntimeKind, path: &Path) -> Option<String> {
            (path == self.at).then(|| self.version.clone()).flatten()
        }
    }

    fn libraries(dir: &Path) -> Libraries {
        Libraries {
            at: dir.join("lib.so"),
            version: None,
        }
    }

    /// A repository whose committed suite has `suite_text` and model "v1"; the
    /// working tree then has model "v2" and `head_suite`.
    fn fixture(suite_text: &str, head_suite: &str) -> (tempfile::TempDir, String, Suite) {
        let d = tempfile::tempdir().unwrap();
        let repo = GitRepo::init(d.path());
        crate::fs::write_atomic(&d.path().join("edgeperf.toml"), suite_text.as_bytes()).unwrap();
        crate::fs::write_atomic(&d.path().join("models/m.onnx"), b"v1").unwrap();
        crate::fs::write_atomic(&d.path().join("lib.so"), b"library").unwrap();
        let oid = repo.commit_all("c");
        crate::fs::write_atomic(&d.path().join("models/m.onnx"), b"v2").unwrap();
        crate::fs::write_atomic(&d.path().join("edgeperf.toml"), head_suite.as_bytes()).unwrap();
        let suite = crate::store::load_suite(&d.path().join("edgeperf.toml")).unwrap();
        (d, oid, suite)
    }

    fn baseline(model_sha: &str, commit: &str, dir: &Path) -> Baseline {
        let p = crate::fixtures::path_record("cpu", "m", Provider::Cpu, &[vec![9.0]], None);
        let run = crate::fixtures::run_record(vec![p.clone()], commit, true);
        let mut b = Baseline::from_path(&run, &p);
        b.model_sha256 = model_sha.to_string();
        b.runtime.library = dir.join("lib.so");
        b.runtime.sha256 = Some(crate::fs::sha256_bytes(b"library"));
        b
    }

    fn finder<'a>(suite: &'a Suite, dir: &Path) -> BaseSideFinder<'a> {
        BaseSideFinder {
            suite,
            base_tree: None,
            scratch: dir.join("scratch"),
            artifacts: Some(ArtifactStore {
                dir: dir.join("artifacts"),
                max_bytes: 1 << 20,
            }),
        }
    }

    fn path() -> PathRecord {
        crate::fixtures::path_record("cpu", "m", Provider::Cpu, &[vec![9.0]], None)
    }

    fn available(side: Result<Side>) -> SideFiles {
        match side.unwrap() {
            Side::Available(files) => *files,
            Side::Unavailable(u) => panic!("unavailable: {u}"),
        }
    }

    fn unavailable(side: Result<Side>) -> Unavailable {
        match side.unwrap() {
            Side::Available(files) => panic!("available: {files:?}"),
            Side::Unavailable(u) => u,
        }
    }

    #[test]
    fn the_base_side_is_the_base_commits_device_model_and_library() {
        let base_suite = SUITE.replace("name = \"cpu\"\n", "name = \"cpu\"\nintra_threads = 2\n");
        let (d, oid, suite) = fixture(&base_suite, SUITE);
        let f = finder(&suite, d.path());
        let v1 = crate::fs::sha256_bytes(b"v1");
        let b = baseline(&v1, &oid, d.path());
        let side = available(f.base_side("cpu", "m", &b, &libraries(d.path())));
        assert_eq!(side.device.intra_threads, 2, "the base commit's threads");
        assert_eq!(suite.devices[0].intra_threads, 1);
        assert_eq!(crate::fs::read(&side.model.file).unwrap(), b"v1");
        assert_eq!(side.library, d.path().join("lib.so"));
    }

    #[test]
    fn an_untracked_base_model_is_found_by_its_hash_in_the_artifact_store() {
        // The suite names a model git never tracks (exported by the build).
        let untracked = SUITE.replace("models/m.onnx", "gen/m.onnx");
        let (d, oid, suite) = fixture(&untracked, &untracked);
        let f = finder(&suite, d.path());
        let libs = libraries(d.path());
        let old = d.path().join("old.onnx");
        crate::fs::write_atomic(&old, b"untracked base").unwrap();
        let sha = crate::fs::sha256_bytes(b"untracked base");
        let mut b = baseline(&sha, &oid, d.path());
        let u = unavailable(f.base_side("cpu", "m", &b, &libs));
        assert!(
            u.reason.starts_with("base model not available") && u.reason.contains("artifact store"),
            "{u}"
        );
        assert!(u.fix.contains("keep the store between jobs"), "{u}");
        f.artifacts.as_ref().unwrap().put_model(&old, &sha).unwrap();
        let side = available(f.base_side("cpu", "m", &b, &libs));
        assert_eq!(
            crate::fs::read(&side.model.file).unwrap(),
            b"untracked base"
        );
        // A library that is gone and not stored: unavailable, naming it.
        b.runtime.sha256 = Some("f".repeat(64));
        let u = unavailable(f.base_side("cpu", "m", &b, &libs));
        assert!(
            u.reason.starts_with("base runtime library not available"),
            "{u}"
        );
    }

    #[test]
    fn an_unhashed_base_library_is_the_recorded_one_if_it_reports_the_same_version() {
        let (d, oid, suite) = fixture(SUITE, SUITE);
        let f = finder(&suite, d.path());
        let mut b = baseline(&crate::fs::sha256_bytes(b"v1"), &oid, d.path());
        b.runtime.sha256 = None;
        let mut libs = libraries(d.path());
        libs.version = Some(b.runtime.version.clone());
        let side = available(f.base_side("cpu", "m", &b, &libs));
        assert_eq!(side.library, d.path().join("lib.so"));
        libs.version = Some("0.0.1".into());
        let u = unavailable(f.base_side("cpu", "m", &b, &libs));
        assert!(
            u.reason.starts_with("base runtime library not available")
                && u.reason.contains(&b.runtime.version),
            "{u}"
        );
    }

    #[test]
    fn a_base_commit_that_is_not_here_is_a_reason_not_a_panic() {
        let (d, _, suite) = fixture(SUITE, &SUITE.replace("resize = 8", "resize = 9"));
        let f = finder(&suite, d.path());
        let b = baseline("abc", &"9".repeat(40), d.path());
        let u = unavailable(f.base_side("cpu", "m", &b, &libraries(d.path())));
        assert!(u.reason.starts_with("base suite not available"), "{u}");
        assert!(u.fix.contains("fetch-depth"), "{u}");
    }

    #[test]
    fn a_path_the_base_suite_lacks_is_unavailable_naming_it() {
        let (d, oid, suite) = fixture(&SUITE.replace("\"cpu\"", "\"gpu\""), SUITE);
        let f = finder(&suite, d.path());
        let b = baseline("abc", &oid, d.path());
        let u = unavailable(f.base_side("cpu", "m", &b, &libraries(d.path())));
        assert!(u.reason.contains("has no device \"cpu\""), "{u}");
    }

    #[test]
    fn an_lfs_pointer_at_the_base_commit_is_resolved_never_loaded() {
        let d = tempfile::tempdir().unwrap();
        let repo = GitRepo::init(d.path());
        let real = b"the real model bytes";
        let oid = crate::fs::sha256_bytes(real);
        let pointer = format!(
            "version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {}\n",
            real.len()
        );
        crate::fs::write_atomic(&d.path().join("edgeperf.toml"), SUITE.as_bytes()).unwrap();
        crate::fs::write_atomic(&d.path().join("models/m.onnx"), pointer.as_bytes()).unwrap();
        crate::fs::write_atomic(&d.path().join("lib.so"), b"library").unwrap();
        let c = repo.commit_all("c");
        let suite = crate::store::load_suite(&d.path().join("edgeperf.toml")).unwrap();
        let f = finder(&suite, d.path());
        let libs = libraries(d.path());
        let b = baseline(&oid, &c, d.path());
        let u = unavailable(f.base_side("cpu", "m", &b, &libs));
        assert!(
            u.reason.contains("Git LFS pointer") && u.fix.contains("git lfs fetch"),
            "{u}"
        );
        let obj = lfs::object_path(repo.git2().commondir(), &oid).unwrap();
        crate::fs::write_atomic(&obj, real).unwrap();
        let side = available(f.base_side("cpu", "m", &b, &libs));
        assert_eq!(crate::fs::read(&side.model.file).unwrap(), real);
    }

    #[test]
    fn a_head_model_that_changed_since_the_run_is_refused() {
        let (d, _, suite) = fixture(SUITE, SUITE);
        let u = unavailable(head_side(&suite, &path()));
        assert!(u.reason.contains("changed since the run"), "{u}");
        assert_eq!(u.fix, "run again");
        // Once the file holds the bytes the run measured, the head side is there.
        let mut p = path();
        p.model_sha256 = crate::fs::sha256_bytes(b"v2");
        let side = available(head_side(&suite, &p));
        assert_eq!(side.model.file, d.path().join("models/m.onnx"));
        assert_eq!(side.library, p.runtime.library);
    }
}
