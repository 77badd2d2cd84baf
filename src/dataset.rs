//! Labelled image folders in the ImageNetV2 layout: `<root>/<class index>/<image>`.
//! A user's ImageNetV2 MatchedFrequency copy (folders 0..999) works as is.
//!
//! `dataset.limit` judges a class-stratified sample of the images
//! ([`stratified`]), drawn with `dataset.seed` (0 unless set), never the first N
//! in sorted order (which would be the first classes only).

use std::collections::BTreeMap;
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

/// The images a run judges: every image, or with `dataset.limit` the
/// class-stratified subset of [`stratified`]; sorted by relative path.
///
/// Errors name the offending folder: missing root, a folder that is not a class
/// index, a class index out of range, no images at all.
pub fn scan(ds: &Dataset) -> Result<Vec<Sample>> {
    let all = scan_all(ds)?;
    Ok(match ds.limit {
        Some(limit) => stratified(all, limit, ds.seed),
        None => all,
    })
}

/// Every image of a dataset, sorted by relative path (deterministic order).
pub fn scan_all(ds: &Dataset) -> Result<Vec<Sample>> {
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
    if out.is_empty() {
        return Err(bad(
            root,
            "dataset holds no .jpg/.jpeg/.png images in <class index>/ folders".into(),
        ));
    }
    Ok(out)
}

/// splitmix64: a small, well-mixed generator for a seeded, reproducible draw.
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The generator of class `label`'s draw under `seed`: each class draws alone,
/// so adding images to one class leaves the others' picks unchanged.
fn class_rng(seed: u64, label: u32) -> u64 {
    let mut s = seed ^ (u64::from(label)).wrapping_mul(0xd6e8_feb8_6659_fd93);
    splitmix(&mut s)
}

/// A class-stratified sample of `limit` of `samples`, sorted by relative path.
///
/// Each class gets its proportional share `limit x n_c / n` rounded down; the
/// images left over go one each to the classes with the largest remainders
/// (ties, as when there are more classes than `limit`, broken by a seeded
/// draw, not by class index). Within a class the images are a seeded shuffle's
/// first. So every class is represented in proportion (within one image), and
/// the same (images, limit, seed) always give the same subset. All of them
/// when `limit` covers the dataset.
pub fn stratified(samples: Vec<Sample>, limit: usize, seed: u64) -> Vec<Sample> {
    let n = samples.len();
    if limit >= n {
        return samples;
    }
    let mut classes: BTreeMap<u32, Vec<Sample>> = BTreeMap::new();
    for s in samples {
        classes.entry(s.label).or_default().push(s);
    }
    let share = |len: usize| (limit as u128 * len as u128, n as u128);
    let mut quota: BTreeMap<u32, usize> = classes
        .iter()
        .map(|(&c, v)| {
            let (num, den) = share(v.len());
            (c, (num / den) as usize)
        })
        .collect();
    let mut order: Vec<(u128, u64, u32)> = classes
        .iter()
        .map(|(&c, v)| {
            let (num, den) = share(v.len());
            (num % den, class_rng(seed, c), c)
        })
        .collect();
    // Largest remainder first, then the seeded draw.
    order.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let left = limit - quota.values().sum::<usize>();
    for (_, _, c) in order.into_iter().take(left) {
        *quota.get_mut(&c).expect("every class has a quota") += 1;
    }
    let mut out = Vec::with_capacity(limit);
    for (c, mut imgs) in classes {
        let mut state = class_rng(seed, c);
        for i in (1..imgs.len()).rev() {
            let j = (splitmix(&mut state) % (i as u64 + 1)) as usize;
            imgs.swap(i, j);
        }
        imgs.truncate(quota[&c]);
        out.extend(imgs);
    }
    out.sort_by(|a, b| a.rel.cmp(&b.rel));
    out
}

/// SHA-256 over the list of images (relative path and label, in order): which
/// images a run judged, whatever their bytes.
pub fn list_hash(samples: &[Sample]) -> String {
    let mut text = String::new();
    for s in samples {
        text.push_str(&format!("{}\t{}\n", s.rel, s.label));
    }
    crate::fs::sha256_bytes(text.as_bytes())
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
            seed: 0,
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

    fn samples(per_class: &[usize]) -> Vec<Sample> {
        let mut out = Vec::new();
        for (c, &k) in per_class.iter().enumerate() {
            for i in 0..k {
                out.push(Sample {
                    rel: format!("{c:03}/{i:03}.jpg"),
                    path: PathBuf::new(),
                    label: c as u32,
                });
            }
        }
        out.sort_by(|a, b| a.rel.cmp(&b.rel));
        out
    }

    fn per_class(s: &[Sample]) -> BTreeMap<u32, usize> {
        let mut m = BTreeMap::new();
        for x in s {
            *m.entry(x.label).or_default() += 1;
        }
        m
    }

    #[test]
    fn a_limit_takes_every_class_in_proportion_not_the_first_ones() {
        // 10 classes x 10 images: the first 10 in sorted order are all class 0.
        let all = samples(&[10; 10]);
        let sub = stratified(all.clone(), 10, 0);
        assert_eq!(sub.len(), 10);
        assert!(
            per_class(&sub).values().all(|&k| k == 1),
            "{:?}",
            per_class(&sub)
        );
        assert!(sub.windows(2).all(|w| w[0].rel < w[1].rel), "sorted");
        // Unequal classes: each gets its share within one image.
        let all = samples(&[40, 30, 20, 10]);
        let sub = stratified(all.clone(), 25, 3);
        let got = per_class(&sub);
        assert_eq!(got.values().sum::<usize>(), 25);
        for (c, share) in [(0u32, 10.0), (1, 7.5), (2, 5.0), (3, 2.5)] {
            assert!((got[&c] as f64 - share).abs() < 1.0, "class {c}: {got:?}");
        }
    }

    #[test]
    fn a_subset_is_reproducible_and_its_seed_matters() {
        let all = samples(&[7, 9, 11, 3, 5]);
        let a = stratified(all.clone(), 12, 0);
        assert_eq!(a, stratified(all.clone(), 12, 0));
        assert_eq!(list_hash(&a), list_hash(&stratified(all.clone(), 12, 0)));
        let b = stratified(all.clone(), 12, 1);
        assert_ne!(list_hash(&a), list_hash(&b), "another seed, another draw");
        assert_eq!(
            stratified(all.clone(), 99, 0),
            all,
            "a limit past the set takes it all"
        );
        // More classes than images: which classes get one is drawn, not the first ones.
        let many = samples(&[2; 50]);
        let picked: Vec<u32> = per_class(&stratified(many, 5, 0)).into_keys().collect();
        assert_eq!(picked.len(), 5);
        assert_ne!(picked, vec![0, 1, 2, 3, 4], "{picked:?}");
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
