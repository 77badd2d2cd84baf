//! One end-to-end test per kind of change a pull request makes, in a throw-away
//! git repository with the real worker and the real models: main is measured and
//! accepted as the baseline, a branch changes one thing, is measured, and
//! `edgeperf compare --against main` must give the verdict the change deserves,
//! having measured the base side as main defines it (its threads, provider
//! options, runtime library and model bytes), also when git does not track the
//! model.
//!
//! A latency verdict on a shared machine can come out inconclusive when the
//! machine is too noisy (that never passes a regression, and is never a wrong
//! verdict). A test that expects a change gives the confirmation more rounds
//! than the default ([`LONGER`]) and measures again, at most twice, when the
//! verdict still came out inconclusive; the no-change test keeps the shipped
//! defaults and measures again when the machine was too noisy.

mod common;

use std::path::{Path, PathBuf};

use common::git_repo::git;
use edgeperf::compare::{Comparison, PathStatus, Verdict};

struct Repo {
    _dir: tempfile::TempDir,
    path: PathBuf,
    artifacts: PathBuf,
}

/// Confirmation settings of the tests that expect a change: up to 40 rounds
/// (24 s per side) instead of 20 (12 s). A clear change still stops at the first
/// decisive look (~10 rounds); on a loaded CI machine 20 rounds of a +11% model
/// were seen to end at +7.5% [+2.1, +12.8] with 3 of the 20 ratios below zero,
/// which at 99.5% per look is not yet a decision.
const LONGER: &str = "[compare]\nconfirm.rounds = 40\nconfirm.budget_seconds = 24\n";

/// The suite of the test repository: one device (`device_lines`), mobilenet_v2
/// from `models/m.onnx`, short runs (the verdict comes from the confirmation),
/// compare settings at their defaults.
fn suite(device_lines: &str) -> String {
    suite_with(device_lines, "")
}

/// [`suite`] with the longer confirmation of [`LONGER`].
fn change_suite(device_lines: &str) -> String {
    suite_with(device_lines, LONGER)
}

fn suite_with(device_lines: &str, compare: &str) -> String {
    let a = common::assets();
    format!(
        r#"schema_version = 1
[sampling]
warmup = 3
samples = 100
rounds = 2
max_seconds = 1.5
min_samples = 10
[dataset]
root = "{ds}"
limit = 5
[[device]]
name = "dev"
{device_lines}
[[model]]
name = "m"
file = "models/m.onnx"
accuracy = false
preprocess = {{ resize = 256, crop = 224, interpolation = "bilinear", divisor = 255, mean = [0.485, 0.456, 0.406], std = [0.229, 0.224, 0.225] }}
{compare}"#,
        ds = a.join("data/imagenet-samples").display()
    )
}

fn cpu_lines(threads: usize, runtime: &Path) -> String {
    format!(
        "provider = \"cpu\"\nintra_threads = {threads}\nruntime = \"{}\"",
        runtime.display()
    )
}

fn openvino_runtime() -> PathBuf {
    common::assets().join("runtime/onnxruntime-openvino-1.24.1/libonnxruntime.so.1.24.1")
}

fn model(name: &str) -> PathBuf {
    common::assets().join("models").join(name)
}

impl Repo {
    /// A repository on `main` with the suite and the model (committed unless
    /// `ignore_models`), measured and accepted as the baseline.
    fn new(suite_text: &str, ignore_models: bool) -> Repo {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("repo");
        let artifacts = dir.path().join("artifacts");
        std::fs::create_dir_all(path.join("models")).unwrap();
        git(&path, &["init", "-q"]);
        std::fs::write(path.join("edgeperf.toml"), suite_text).unwrap();
        std::fs::copy(model("mobilenet_v2.onnx"), path.join("models/m.onnx")).unwrap();
        let mut ignore = String::from(".edgeperf/\n/base.json\n/head.json\n/cmp.json\n/x.json\n");
        if ignore_models {
            ignore.push_str("models/\n");
        }
        std::fs::write(path.join(".gitignore"), ignore).unwrap();
        git(&path, &["add", "-A"]);
        git(&path, &["commit", "-qm", "main"]);
        let r = Repo {
            _dir: dir,
            path,
            artifacts,
        };
        r.ok(&["run", "--out", "base.json"]);
        r.ok(&["baseline", "accept", "base.json"]);
        git(&r.path, &["add", "-A"]);
        git(&r.path, &["commit", "-qm", "baselines"]);
        git(&r.path, &["checkout", "-qb", "pr"]);
        r
    }

    fn edgeperf(&self, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
        let mut cmd = common::bin();
        cmd.args(args)
            .current_dir(&self.path)
            .env_remove("ORT_DYLIB_PATH")
            .env("NO_COLOR", "1")
            .env("EDGEPERF_ARTIFACTS", &self.artifacts);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("edgeperf");
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(!stderr.contains("panicked"), "edgeperf panicked: {stderr}");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr,
        )
    }

    fn ok(&self, args: &[&str]) {
        let (code, out, err) = self.edgeperf(args, &[]);
        assert_eq!(code, 0, "edgeperf {args:?}: {out}{err}");
    }

    /// Commits the change made by `f` on the branch (models may stay untracked).
    fn change(&self, f: impl FnOnce(&Path)) {
        f(&self.path);
        git(&self.path, &["add", "-A"]);
        git(&self.path, &["commit", "-qm", "change", "--allow-empty"]);
    }

    /// Measures the branch and compares it against main. Measures again when the
    /// latency verdict came out inconclusive: up to three attempts when the test
    /// expects a change (`want_change`), else once more and only when the machine
    /// was too noisy (an inconclusive no-change is a right answer).
    fn compare(
        &self,
        want_change: bool,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> (i32, Comparison, String) {
        let mut last = None;
        let attempts = if want_change { 3 } else { 2 };
        for attempt in 0..attempts {
            self.ok(&["run", "--out", "head.json"]);
            let mut args = vec![
                "compare",
                "head.json",
                "--against",
                "main",
                "--format",
                "json",
                "--out",
                "cmp.json",
            ];
            args.extend_from_slice(extra);
            let (code, out, err) = self.edgeperf(&args, env);
            assert!(code == 0 || code == 1, "compare failed: {out}{err}");
            let c = edgeperf::store::load_comparison(&self.path.join("cmp.json")).unwrap();
            let text = edgeperf::report::compare::text(&c, false);
            eprintln!("attempt {attempt}:\n{text}");
            let again = c.paths[0].latency.as_ref().is_some_and(|l| {
                l.verdict == Verdict::Inconclusive
                    && (want_change || l.reason.contains("too noisy"))
            });
            last = Some((code, c, text));
            if !again {
                break;
            }
        }
        last.unwrap()
    }
}

fn latency(c: &Comparison) -> &edgeperf::compare::LatencyResult {
    c.paths[0].latency.as_ref().expect("a latency verdict")
}

/// No change is never a regression or an improvement. At the default budget it
/// is "unchanged" only when the interval of the measured comparison lies within
/// ±3%; on this machine that takes more than 12 s per side about half of the time
/// (docs/DETECTION.md), so "inconclusive", with the interval, is also right.
///
/// The rule's false-alarm rate is not zero (0-0.5% measured quiet, more while other
/// jobs load the machine): a verdict of change is measured once more, and a bias
/// (a change verdict twice running, ~1 in 40,000 by chance) fails the test.
#[test]
fn nothing_changed_is_never_a_verdict_of_change() {
    let r = Repo::new(&suite(&cpu_lines(1, &common::cpu_runtime())), false);
    let mut seen = Vec::new();
    for _ in 0..2 {
        let (code, c, text) = r.compare(false, &[], &[]);
        let l = latency(&c);
        let conf = l
            .confirmation
            .as_ref()
            .expect("an interleaved confirmation");
        assert!(
            conf.head.len() >= 6 && conf.base.len() == conf.head.len(),
            "{text}"
        );
        match l.verdict {
            Verdict::Unchanged => {
                assert!(
                    conf.ci[0] > -0.03 && conf.ci[1] < 0.03,
                    "unchanged needs the interval within ±3%: {text}"
                );
                assert_eq!(code, 0, "{text}");
                return;
            }
            Verdict::Inconclusive => {
                assert!(
                    conf.ci[0] < 0.03 && conf.ci[1] > -0.03 || l.reason.contains("too noisy"),
                    "{text}"
                );
                assert_eq!(code, 0, "{text}");
                return;
            }
            v => {
                eprintln!("no change judged {v:?} (measuring once more):\n{text}");
                seen.push(text);
            }
        }
    }
    panic!("no change judged a change twice:\n{}", seen.join("\n"));
}

#[test]
fn a_slower_committed_model_is_a_regression() {
    let r = Repo::new(&change_suite(&cpu_lines(1, &common::cpu_runtime())), false);
    r.change(|p| {
        std::fs::copy(model("mobilenet_v2_slow11.onnx"), p.join("models/m.onnx")).unwrap();
    });
    let (code, c, text) = r.compare(true, &[], &[]);
    assert_eq!(code, 1, "{text}");
    assert_eq!(c.paths[0].status, PathStatus::Regressed, "{text}");
    assert!(latency(&c).change > 0.05, "{text}");
}

#[test]
fn halving_the_threads_is_a_regression_measured_with_each_sides_threads() {
    let r = Repo::new(&change_suite(&cpu_lines(2, &common::cpu_runtime())), false);
    r.change(|p| {
        std::fs::write(
            p.join("edgeperf.toml"),
            change_suite(&cpu_lines(1, &common::cpu_runtime())),
        )
        .unwrap();
    });
    let (code, c, text) = r.compare(true, &[], &[]);
    assert_eq!(code, 1, "{text}");
    assert_eq!(latency(&c).verdict, Verdict::Regressed, "{text}");
    assert!(
        latency(&c).change > 0.2,
        "two threads to one on 2 cores: {text}"
    );
}

#[test]
fn doubling_the_threads_is_an_improvement() {
    let r = Repo::new(&change_suite(&cpu_lines(1, &common::cpu_runtime())), false);
    r.change(|p| {
        std::fs::write(
            p.join("edgeperf.toml"),
            change_suite(&cpu_lines(2, &common::cpu_runtime())),
        )
        .unwrap();
    });
    let (code, c, text) = r.compare(true, &[], &[]);
    assert_eq!(latency(&c).verdict, Verdict::Improved, "{text}");
    // A second intra-op thread also takes memory (its stack and malloc arena):
    // +6..+10 MiB measured here, past the +8 MiB memory gate on some machines. That
    // is a true regression of memory, so the path may fail on it, and on nothing else.
    let p = &c.paths[0];
    let regressed: Vec<_> = p
        .resources
        .iter()
        .filter(|j| j.verdict == Verdict::Regressed)
        .collect();
    for j in &regressed {
        assert_eq!(
            j.what, "memory",
            "only memory may rise with a thread: {text}"
        );
        assert!(j.head > j.base, "{text}");
    }
    let (want_status, want_code) = if regressed.is_empty() {
        (PathStatus::Improved, 0)
    } else {
        (PathStatus::Regressed, 1)
    };
    assert_eq!(p.status, want_status, "{text}");
    assert_eq!(code, want_code, "{text}");
}

#[test]
fn a_provider_option_change_is_measured_with_each_sides_options() {
    let ov = |threads: u32| {
        format!(
            "provider = \"openvino\"\nruntime = \"{}\"\noptions = {{ device_type = \"CPU\", num_of_threads = {threads} }}",
            openvino_runtime().display()
        )
    };
    let r = Repo::new(&change_suite(&ov(2)), false);
    r.change(|p| std::fs::write(p.join("edgeperf.toml"), change_suite(&ov(1))).unwrap());
    let (code, c, text) = r.compare(true, &[], &[]);
    assert_eq!(code, 1, "{text}");
    assert_eq!(latency(&c).verdict, Verdict::Regressed, "{text}");
}

#[test]
fn a_runtime_change_is_judged_across_processes_on_both_libraries() {
    let r = Repo::new(&suite(&cpu_lines(1, &common::cpu_runtime())), false);
    r.change(|p| {
        std::fs::write(
            p.join("edgeperf.toml"),
            suite(&cpu_lines(1, &openvino_runtime())),
        )
        .unwrap();
    });
    let (_, c, text) = r.compare(false, &[], &[]);
    let conf = latency(&c).confirmation.as_ref().expect("a confirmation");
    let across = conf
        .pairing
        .across_processes
        .as_deref()
        .expect("two processes");
    assert!(
        across.contains("1.31.1") && across.contains("1.24.1"),
        "{text}"
    );
    assert!(latency(&c).reason.contains("across processes"), "{text}");
    assert_eq!(c.paths[0].base.as_ref().unwrap().runtime_version, "1.31.1");
    assert_eq!(c.paths[0].head.runtime_version, "1.24.1");
}

#[test]
fn an_untracked_slower_model_is_found_through_the_artifact_store() {
    let r = Repo::new(&change_suite(&cpu_lines(1, &common::cpu_runtime())), true);
    r.change(|p| {
        std::fs::copy(model("mobilenet_v2_slow11.onnx"), p.join("models/m.onnx")).unwrap();
    });
    let (code, c, text) = r.compare(true, &[], &[]);
    assert_eq!(code, 1, "{text}");
    assert_eq!(latency(&c).verdict, Verdict::Regressed, "{text}");
    // Without the store the base model cannot be had: inconclusive, saying why,
    // or a failure with --require-base.
    // (The slower model also starts slower, which may fail the path on its own:
    // the latency verdict is what is checked here.)
    let off = [("EDGEPERF_ARTIFACTS", "off")];
    let (code, out, err) = r.edgeperf(&["compare", "head.json", "--against", "main"], &off);
    assert!(code == 0 || code == 1, "{out}{err}");
    assert!(
        out.contains("latency (p10 per round): inconclusive")
            && out.contains("base model not available"),
        "{out}"
    );
    let (code, out, _) = r.edgeperf(
        &[
            "compare",
            "head.json",
            "--against",
            "main",
            "--require-base",
        ],
        &off,
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("--require-base"), "{out}");
}

#[test]
fn a_git_lfs_pointer_is_never_loaded_as_a_model() {
    let r = Repo::new(&suite(&cpu_lines(1, &common::cpu_runtime())), false);
    let pointer = format!(
        "version https://git-lfs.github.com/spec/v1\noid sha256:{}\nsize 14000000\n",
        "ab".repeat(32)
    );
    std::fs::write(r.path.join("models/m.onnx"), pointer).unwrap();
    let (code, _, err) = r.edgeperf(&["run", "--out", "x.json"], &[]);
    common::assert_error(code, &err, &["m.onnx", "Git LFS pointer", "git lfs pull"]);
}
