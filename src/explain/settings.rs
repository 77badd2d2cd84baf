//! What changed in how a path runs, besides its model: the device's runtime,
//! execution provider, threads and options, and the model entry's input, as
//! each side's suite defines them, and the runtime each side measured on.

use crate::suite::{Device, Model};

/// One side's settings: its suite's device and model entries and the runtime it
/// ran (`onnxruntime 1.31.1`).
pub struct SideSettings<'a> {
    pub device: &'a Device,
    pub model: &'a Model,
    pub runtime: String,
}

/// The settings that differ, one line each (`intra_threads 2 → 1`).
pub fn changes(base: &SideSettings<'_>, head: &SideSettings<'_>) -> Vec<String> {
    let mut out = Vec::new();
    let mut cmp = |what: &str, b: String, h: String| {
        if b != h {
            out.push(format!("{what} {b} → {h}"));
        }
    };
    let (b, h) = (base.device, head.device);
    cmp("runtime", base.runtime.clone(), head.runtime.clone());
    cmp(
        "runtime kind",
        b.runtime_kind.to_string(),
        h.runtime_kind.to_string(),
    );
    cmp("provider", b.provider.to_string(), h.provider.to_string());
    cmp(
        "intra_threads",
        b.intra_threads.to_string(),
        h.intra_threads.to_string(),
    );
    cmp(
        "inter_threads",
        b.inter_threads.to_string(),
        h.inter_threads.to_string(),
    );
    cmp(
        "allow_fallback",
        b.allow_fallback.to_string(),
        h.allow_fallback.to_string(),
    );
    let keys: std::collections::BTreeSet<&String> =
        b.options.keys().chain(h.options.keys()).collect();
    let unset = || "(unset)".to_string();
    for k in keys {
        cmp(
            &format!("option {k}"),
            b.options.get(k).cloned().unwrap_or_else(unset),
            h.options.get(k).cloned().unwrap_or_else(unset),
        );
    }
    cmp(
        "input shape",
        format!("{:?}", base.model.preprocess.input_shape()),
        format!("{:?}", head.model.preprocess.input_shape()),
    );
    cmp(
        "model input",
        base.model.input.clone().unwrap_or_else(|| "(first)".into()),
        head.model.input.clone().unwrap_or_else(|| "(first)".into()),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn suite(device: &str) -> crate::suite::Suite {
        let text = format!(
            "[[device]]\nname = \"cpu\"\n{device}\n[[model]]\nname = \"m\"\nfile = \"m.onnx\"\naccuracy = false\npreprocess = {{ resize = 8, crop = 8 }}\n"
        );
        crate::suite::Suite::parse(Path::new("s.toml"), &text, Path::new("/x")).unwrap()
    }

    #[test]
    fn threads_options_and_runtime_changes_are_each_a_line() {
        let b = suite(
            "intra_threads = 2\nprovider = \"openvino\"\noptions = { device_type = \"CPU\" }",
        );
        let h = suite("intra_threads = 1\nprovider = \"openvino\"\noptions = { device_type = \"GPU\", cache = \"x\" }");
        let side = |s: &crate::suite::Suite, rt: &str| {
            (s.devices[0].clone(), s.models[0].clone(), rt.to_string())
        };
        let (bd, bm, br) = side(&b, "onnxruntime 1.24.1");
        let (hd, hm, hr) = side(&h, "onnxruntime 1.24.1");
        let lines = changes(
            &SideSettings {
                device: &bd,
                model: &bm,
                runtime: br,
            },
            &SideSettings {
                device: &hd,
                model: &hm,
                runtime: hr,
            },
        );
        assert_eq!(
            lines,
            vec![
                "intra_threads 2 → 1",
                "option cache (unset) → x",
                "option device_type CPU → GPU",
            ]
        );
        let same = changes(
            &SideSettings {
                device: &bd,
                model: &bm,
                runtime: "a".into(),
            },
            &SideSettings {
                device: &bd,
                model: &bm,
                runtime: "a".into(),
            },
        );
        assert!(same.is_empty());
    }
}
