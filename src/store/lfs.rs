//! Git LFS pointer files: a model committed through Git LFS is, in git and in a
//! checkout without `git lfs pull`, a small text file naming the real content by
//! its sha256. edgeperf never loads such a pointer as a model; it finds the object
//! in the repository's local LFS store (`.git/lfs/objects/aa/bb/<oid>`) or in the
//! artifact store, whose keys are the same sha256.

use std::path::{Path, PathBuf};

/// What a pointer file names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pointer {
    /// sha256 of the object's content, lowercase hex.
    pub oid: String,
    pub size: u64,
}

/// Parses a Git LFS pointer (spec v1: `version`, `oid sha256:<hex>`, `size`);
/// `None` for anything else, e.g. a real model.
pub fn parse_pointer(bytes: &[u8]) -> Option<Pointer> {
    if bytes.len() > 1024 || !bytes.starts_with(b"version https://git-lfs.github.com/spec/") {
        return None;
    }
    let text = std::str::from_utf8(bytes).ok()?;
    let mut oid = None;
    let mut size = None;
    for line in text.lines() {
        if let Some(h) = line.strip_prefix("oid sha256:") {
            let h = h.trim();
            if h.len() == 64 && h.chars().all(|c| c.is_ascii_hexdigit()) {
                oid = Some(h.to_ascii_lowercase());
            }
        } else if let Some(n) = line.strip_prefix("size ") {
            size = n.trim().parse().ok();
        }
    }
    Some(Pointer {
        oid: oid?,
        size: size?,
    })
}

/// Whether the file at `path` is an LFS pointer (reads at most its first 1 KiB).
pub fn pointer_at(path: &Path) -> Option<Pointer> {
    let head = crate::fs::read_prefix(path, 1025).ok()?;
    parse_pointer(&head)
}

/// Where git-lfs keeps an object in a repository whose git directory is `git_dir`.
pub fn object_path(git_dir: &Path, oid: &str) -> Option<PathBuf> {
    (oid.len() == 64).then(|| {
        git_dir
            .join("lfs/objects")
            .join(&oid[..2])
            .join(&oid[2..4])
            .join(oid)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const POINTER: &str = "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n";

    #[test]
    fn pointers_are_recognised_and_models_are_not() {
        let p = parse_pointer(POINTER.as_bytes()).unwrap();
        assert_eq!(p.size, 12345);
        assert!(p.oid.starts_with("4d7a2146"));
        assert_eq!(parse_pointer(b"\x08\x07\x12\x04onnx"), None);
        assert_eq!(
            parse_pointer(POINTER.replace("oid sha256:", "oid md5:").as_bytes()),
            None
        );
        let o = object_path(Path::new("/r/.git"), &p.oid).unwrap();
        assert!(o.ends_with(
            "lfs/objects/4d/7a/4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393"
        ));
    }
}
