//! Labelled image folders in the ImageNetV2 layout: `<root>/<class index>/<image>`.
//! A user's ImageNetV2 MatchedFrequency copy (folders 0..999) works as is.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::suite::Dataset;

/// One labelled image.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Path relative to the dataset root with `/` separators, e.g. `281/cat.jpg`.
    pub rel: String,
    pub path: PathBuf,
    pub label: u32,
}

const IMAGE_EXTS: &[&str] = &["jpg", "jpeg", "png"];

/// Lists a dataset, sorted by relative path (deterministic order).
///
/// Errors name the offending folder: missing root, a folder that is not a class
/// index, a class index out of range, no images at all.
pub fn scan(ds: &Dataset) -> Result<Vec<Sample>> {
    let root = &ds.root;
    let bad = |path: &Path, message: String| Error::Dataset {
        path: path.to_path_buf(),
        message,
    };
    let entries = crate::fs::list_dir(root).map_err(|e| {
        bad(
            root,
            format!(
                "cannot read dataset root: {} (dataset.root; run scripts/setup.sh for the default photos)",
                e.source
            ),
        )
    })?;
    let mut out = Vec::new();
    for entry in entries {
        let name = entry.name;
        let dir = entry.path;
        if name.starts_with('.') || !entry.is_dir {
            continue;
        }
        let label: u32 = name.parse().map_err(|_| {
            bad(
                &dir,
                "folder name is not a class index (dataset.layout = \"class-folders\" expects <class index>/<image>)".into(),
            )
        })?;
        if label >= ds.num_classes {
            return Err(bad(
                &dir,
                format!(
                    "class {label} is out of range (dataset.num_classes = {})",
                    ds.num_classes
                ),
            ));
        }
        for f in crate::fs::list_dir(&dir)? {
            let fname = f.name;
            let ext = Path::new(&fname)
                .extension()
                .map(|e| e.to_string_lossy().to_ascii_lowercase())
                .unwrap_or_default();
            if fname.starts_with('.') || !IMAGE_EXTS.contains(&ext.as_str()) {
                continue;
            }
            out.push(Sample {
                rel: format!("{name}/{fname}"),
                path: f.path,
                label,
            });
        }
    }
    out.sort_by(|a, b| a.rel.cmp(&b.rel));
    if let Some(limit) = ds.limit {
        out.truncate(limit);
    }
    if out.is_empty() {
        return Err(bad(
            root,
            "dataset holds no .jpg/.jpeg/.png images in <class index>/ folders".into(),
        ));
    }
    Ok(out)
}

/// A content fingerprint of the dataset: SHA-256 over every image's relative path
/// and SHA-256, in order. Two runs with the same fingerprint judged the same photos.
pub fn fingerprint(samples: &[Sample]) -> Result<String> {
    let mut text = String::new();
    for s in samples {
        let h = crate::fs::sha256_file(&s.path)?;
        text.push_str(&s.rel);
        text.push('\t');
        text.push_str(&h);
        text.push('\n');
    }
    Ok(crate::fs::sha256_bytes(text.as_bytes()))
}

/// Optional class names (a JSON array, index order), for readable reports.
pub fn class_names(path: &Path) -> Result<Vec<String>> {
    crate::record::parse_json(path, &crate::fs::read(path)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ds(root: &Path) -> Dataset {
        Dataset {
            root: root.to_path_buf(),
            classes: None,
            num_classes: 1000,
            limit: None,
        }
    }

    #[test]
    fn scans_class_folders_in_order() {
        let d = tempfile::tempdir().unwrap();
        for (c, f) in [
            ("7", "b.jpg"),
            ("7", "a.PNG"),
            ("12", "x.jpeg"),
            ("12", "notes.txt"),
        ] {
            std::fs::create_dir_all(d.path().join(c)).unwrap();
            std::fs::write(d.path().join(c).join(f), b"x").unwrap();
        }
        let s = scan(&ds(d.path())).unwrap();
        let rels: Vec<_> = s.iter().map(|s| (s.rel.as_str(), s.label)).collect();
        assert_eq!(
            rels,
            vec![("12/x.jpeg", 12), ("7/a.PNG", 7), ("7/b.jpg", 7)]
        );
        let fp = fingerprint(&s).unwrap();
        assert_eq!(fp.len(), 64);
        std::fs::write(d.path().join("7/b.jpg"), b"y").unwrap();
        assert_ne!(
            fingerprint(&s).unwrap(),
            fp,
            "content change must change the fingerprint"
        );
    }

    #[test]
    fn label_out_of_range_names_folder() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("1200")).unwrap();
        std::fs::write(d.path().join("1200/a.jpg"), b"x").unwrap();
        let e = scan(&ds(d.path())).unwrap_err().to_string();
        assert!(e.contains("1200") && e.contains("out of range"), "{e}");
        std::fs::create_dir_all(d.path().join("cats")).unwrap();
    }

    #[test]
    fn missing_root_and_empty() {
        let d = tempfile::tempdir().unwrap();
        let e = scan(&ds(&d.path().join("nope"))).unwrap_err().to_string();
        assert!(e.contains("nope") && e.contains("dataset root"), "{e}");
        let e = scan(&ds(d.path())).unwrap_err().to_string();
        assert!(e.contains("no .jpg"), "{e}");
    }
}
