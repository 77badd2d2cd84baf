//! `edgeperf explain` without downloaded assets: an external runner
//! (`tests/fixtures/runners/fake_runner.py`, plain python3) that offers
//! profiles, one that does not, one whose profile is malformed, and the
//! command's own bad arguments. The runner's profile is fixed (docs of the
//! fixture), so the attribution is checked exactly.

mod common;

use std::path::{Path, PathBuf};

use edgeperf::explain::{ExplainDocument, Part};

fn fake_runner() -> PathBuf {
    common::root().join("tests/fixtures/runners/fake_runner.py")
}

/// A suite with one external device running the fake runner in `mode`, and a
/// model `m` whose file is `slow.onnx` (the runner adds a node for "slow").
fn suite(dir: &Path, mode: &str) -> PathBuf {
    std::fs::write(dir.join("slow.onnx"), b"not a real model").unwrap();
    std::fs::write(dir.join("fast.onnx"), b"not a real model either").unwrap();
    let text = format!(
        r#"schema_version = 1
[sampling]
warmup = 2
samples = 20
rounds = 1
max_seconds = 1
min_samples = 5
[[device]]
name = "fake"
runtime_kind = "external"
command = ["python3", "{runner}", "{mode}"]
provider = "cpu"
[[model]]
name = "m"
file = "slow.onnx"
accuracy = false
preprocess = {{ resize = 8, crop = 8 }}
[compare.explain]
seconds_per_side = 0.4
"#,
        runner = fake_runner().display()
    );
    common::write(dir, "edgeperf.toml", &text)
}

fn explain(dir: &Path, extra: &[&str]) -> (i32, String, String) {
    let mut args = vec![
        "explain",
        "--device",
        "fake",
        "--model",
        "m",
        "--base-model",
        "fast.onnx",
    ];
    args.extend_from_slice(extra);
    common::run(&args, dir)
}

fn document(dir: &Path) -> ExplainDocument {
    let (code, out, err) = explain(dir, &["--format", "json"]);
    assert_eq!(code, 0, "{out}{err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

#[test]
fn an_external_runners_profile_explains_the_change_through_the_protocol() {
    let d = tempfile::tempdir().unwrap();
    suite(d.path(), "profile");
    let doc = document(d.path());
    assert_eq!((doc.device.as_str(), doc.model.as_str()), ("fake", "m"));
    let e = &doc.explanation;
    let Part::Available(p) = &e.profile else {
        panic!("no profile: {:?}", e.profile)
    };
    // Base: conv0 1 ms + fc 0.25 ms + 0.1 outside; head adds extra 0.5 ms.
    assert!(
        (p.base_ms - 1.35).abs() < 1e-9 && (p.head_ms - 1.85).abs() < 1e-9,
        "{p:?}"
    );
    assert_eq!((p.only_head, p.only_base), (1, 0));
    let top = &p.nodes[0];
    assert_eq!((top.name.as_str(), top.op_type.as_str()), ("extra", "Conv"));
    assert_eq!(top.share, Some(1.0));
    assert_eq!(top.provider, "FakeEP");
    assert_eq!(
        e.why,
        "100% of the profiled +37.0% (1.35 → 1.85 ms) is in one node: extra (Conv, only in head, +0.50 ms)"
    );
    assert!(matches!(&e.graph, Part::NotAvailable(w) if w.contains("cannot read the ONNX graph")));
    // The terminal report has the same rows.
    let (code, text, _) = explain(d.path(), &[]);
    assert_eq!(code, 0);
    assert!(text.contains("why: 100% of the profiled +37.0%"), "{text}");
    assert!(text.contains("extra (only in head)"), "{text}");
    assert!(text.contains("graph diff not available: "), "{text}");
}

#[test]
fn a_runner_without_profiles_or_with_a_malformed_one_says_explanation_not_available() {
    for (mode, want) in [
        (
            "ok",
            "offers no profile (its hello has no \"profile\": true)",
        ),
        (
            "profile-garbage",
            "the profile reply needs \"nodes\" and \"runs\"",
        ),
    ] {
        let d = tempfile::tempdir().unwrap();
        suite(d.path(), mode);
        let e = document(d.path()).explanation;
        assert!(
            e.why.starts_with("explanation not available: "),
            "{mode}: {}",
            e.why
        );
        assert!(e.why.contains(want), "{mode}: {}", e.why);
        assert!(matches!(e.profile, Part::NotAvailable(_)));
    }
}

#[test]
fn bad_arguments_are_one_line_errors() {
    let d = tempfile::tempdir().unwrap();
    suite(d.path(), "ok");
    let (code, _, err) = explain(d.path(), &["--format", "csv"]);
    common::assert_error(
        code,
        &err,
        &["--format: explain writes text, json or markdown"],
    );
    let (code, _, err) = common::run(
        &[
            "explain",
            "--device",
            "gpu",
            "--model",
            "m",
            "--base-model",
            "fast.onnx",
        ],
        d.path(),
    );
    common::assert_error(code, &err, &["the suite has no device \"gpu\""]);
    let (code, _, err) = explain(d.path(), &["--seconds", "0"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("positive"), "{err}");
}
