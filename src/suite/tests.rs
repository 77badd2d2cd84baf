//! Unit tests of suite parsing and validation.
use super::*;

const GOOD: &str = r#"
schema_version = 1
[sampling]
rounds = 2
[dataset]
root = "data"
[[device]]
name = "cpu"
runtime = "lib/libonnxruntime.so"
[[device]]
name = "ov"
provider = "openvino"
default = false
options = { device_type = "CPU", num_of_threads = 1 }
[[model]]
name = "m"
file = "m.onnx"
preprocess = { resize = 256, crop = 224, interpolation = "bicubic", divisor = 255, mean = [0.485, 0.456, 0.406], std = [0.229, 0.224, 0.225] }
"#;

fn parse(text: &str) -> Result<Suite> {
    Suite::parse(Path::new("suite.toml"), text, Path::new("/base"))
}

#[test]
fn parses_and_resolves_paths() {
    let s = parse(GOOD).unwrap();
    assert_eq!(s.sampling.rounds, 2);
    assert_eq!(
        s.devices[0].runtime.as_deref(),
        Some(Path::new("/base/lib/libonnxruntime.so"))
    );
    assert_eq!(s.devices[1].provider, Provider::Openvino);
    assert_eq!(s.devices[1].options["num_of_threads"], "1");
    assert_eq!(s.models[0].preprocess.normalize().divisor, 255.0);
    assert_eq!(s.models[0].file, Path::new("/base/m.onnx"));
    // Default selection skips non-default devices.
    assert_eq!(s.select(&[], &[]).unwrap().len(), 1);
    assert_eq!(s.select(&["ov".into()], &[]).unwrap().len(), 1);
    let e = s.select(&["gpu".into()], &[]).unwrap_err().to_string();
    assert!(e.contains("no device named \"gpu\""), "{e}");
}

#[test]
fn errors_name_file_and_key() {
    let e = parse(&GOOD.replace("crop = 224", "crop = 300"))
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("suite.toml: model[0].preprocess.resize:"),
        "{e}"
    );
    let e = parse(&GOOD.replace("provider = \"openvino\"", "provider = \"npu\""))
        .unwrap_err()
        .to_string();
    assert!(e.contains("device[1].provider"), "{e}");
    let e = parse(&GOOD.replace("rounds = 2", "rounds = 0"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("sampling.rounds"), "{e}");
    let e = parse(&GOOD.replace("rounds = 2", "roundz = 2"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("suite.toml: line 4") && e.contains("roundz"),
        "{e}"
    );
    let e = parse(&GOOD.replace("mean = [0.485, 0.456, 0.406]", "mean = [1.0]"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("model[0].preprocess.mean"), "{e}");
    let e = parse(&GOOD.replace("schema_version = 1", "schema_version = 9"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("schema_version") && e.contains("newer"), "{e}");
    let e = parse("[[device]]\nname='a b'\n").unwrap_err().to_string();
    assert!(e.contains("device[0].name"), "{e}");
}

#[test]
fn accuracy_without_dataset_is_refused() {
    let text = GOOD.replace("[dataset]\nroot = \"data\"\n", "");
    let e = parse(&text).unwrap_err().to_string();
    assert!(e.contains("model[0].accuracy"), "{e}");
}

#[test]
fn samples_per_round_respects_budget_and_floor() {
    let s = Sampling {
        warmup: 0,
        samples: 200,
        rounds: 3,
        max_seconds: 12.0,
        min_samples: 20,
    };
    assert_eq!(s.samples_per_round(9.0), 200); // 4 s / 9 ms = 444 -> capped
    assert_eq!(s.samples_per_round(100.0), 40); // 4 s / 100 ms
    assert_eq!(s.samples_per_round(1000.0), 20); // floor
}

const RUNTIMES: &str = r#"
[[device]]
name = "cpu"
[[device]]
name = "lt"
runtime_kind = "litert"
provider = "gpu"
runtime = "lib/libLiteRtRuntimeCApi.so"
[[device]]
name = "py"
runtime_kind = "external"
command = ["runners/x.py", "--fast"]
model_format = "tflite"
timeout_s = 5
provider = "edgetpu"
[[model]]
name = "both"
file = "m.onnx"
tflite = "m.tflite"
accuracy = false
preprocess = { resize = 8, crop = 8 }
[[model]]
name = "onnx_only"
file = "o.onnx"
accuracy = false
preprocess = { resize = 8, crop = 8 }
[[model]]
name = "tflite_only"
file = "t.tflite"
accuracy = false
preprocess = { resize = 8, crop = 8, layout = "nhwc" }
"#;

#[test]
fn runtime_kinds_parse_and_devices_run_the_models_of_their_format() {
    let s = parse(RUNTIMES).unwrap();
    let (cpu, lt, py) = (&s.devices[0], &s.devices[1], &s.devices[2]);
    assert_eq!(cpu.runtime_kind, RuntimeKind::Onnxruntime);
    assert_eq!(
        (lt.runtime_kind, lt.provider),
        (RuntimeKind::Litert, Provider::Gpu)
    );
    assert_eq!(lt.model_format(), ModelFormat::Tflite);
    let x = py.external.as_ref().unwrap();
    assert_eq!(x.command, vec!["/base/runners/x.py", "--fast"]);
    assert_eq!((x.model_format, x.timeout_s), (ModelFormat::Tflite, 5.0));
    assert_eq!(x.workdir, Path::new("/base"));
    let names = |d: &str| -> Vec<String> {
        s.select(&[d.into()], &[])
            .unwrap()
            .iter()
            .map(|(_, m)| m.name.clone())
            .collect()
    };
    assert_eq!(names("cpu"), vec!["both", "onnx_only"]);
    assert_eq!(names("lt"), vec!["both", "tflite_only"]);
    assert_eq!(names("py"), vec!["both", "tflite_only"]);
    // A model one named device runs is fine; one that none of them runs is refused.
    let two = s
        .select(&["cpu".into(), "lt".into()], &["onnx_only".into()])
        .unwrap();
    assert_eq!(two.len(), 1);
    let e = s
        .select(&["lt".into()], &["onnx_only".into()])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("--model") && e.contains("no tflite file") && e.contains("tflite = "),
        "{e}"
    );
}

#[test]
fn a_tflite_alternative_takes_the_preprocessing_in_nhwc() {
    let s = parse(RUNTIMES).unwrap();
    let both = s.model("both").unwrap();
    let on_lt = both.for_device(&s.devices[1]).unwrap();
    assert_eq!(on_lt.file, Path::new("/base/m.tflite"));
    assert_eq!(on_lt.preprocess.input_shape(), [1, 8, 8, 3]);
    let on_cpu = both.for_device(&s.devices[0]).unwrap();
    assert_eq!(on_cpu.file, Path::new("/base/m.onnx"));
    assert_eq!(on_cpu.preprocess.input_shape(), [1, 3, 8, 8]);
    // A TFLite-only model keeps the layout its entry says.
    let t = s
        .model("tflite_only")
        .unwrap()
        .for_device(&s.devices[1])
        .unwrap();
    assert_eq!(t.preprocess.input_shape(), [1, 8, 8, 3]);
    assert!(s
        .model("tflite_only")
        .unwrap()
        .for_device(&s.devices[0])
        .is_err());
}

#[test]
fn runtime_kind_keys_are_checked_by_name() {
    for (from, to, key) in [
        (
            "provider = \"gpu\"",
            "provider = \"cuda\"",
            "device[1].provider",
        ),
        (
            "runtime_kind = \"litert\"",
            "runtime_kind = \"tf\"",
            "device[1].runtime_kind",
        ),
        (
            "model_format = \"tflite\"",
            "model_format = \"pt\"",
            "device[2].model_format",
        ),
        ("timeout_s = 5", "timeout_s = -1", "device[2].timeout_s"),
        (
            "command = [\"runners/x.py\", \"--fast\"]",
            "command = []",
            "device[2].command",
        ),
        (
            "tflite = \"m.tflite\"",
            "tflite = \"m.onnx\"",
            "model[0].tflite",
        ),
    ] {
        let e = parse(&RUNTIMES.replace(from, to)).unwrap_err().to_string();
        assert!(e.contains(key), "{from} -> {to}: {e}");
    }
    let e = parse(&RUNTIMES.replace("name = \"cpu\"", "name = \"cpu\"\ntimeout_s = 3"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("device[0].timeout_s") && e.contains("only an external device"),
        "{e}"
    );
    let e = parse(&RUNTIMES.replace(
        "provider = \"edgetpu\"",
        "provider = \"edgetpu\"\nruntime = \"x.so\"",
    ))
    .unwrap_err()
    .to_string();
    assert!(e.contains("device[2].runtime"), "{e}");
}

#[test]
fn a_device_of_an_older_edgeperf_reads_as_onnxruntime() {
    // Worker requests and base-commit suites written before runtime kinds existed.
    let d: Device = serde_json::from_str(
        r#"{"name":"cpu","provider":"cpu","intra_threads":1,"inter_threads":1,"runtime":null,"allow_fallback":false,"default":true,"options":{}}"#,
    )
    .unwrap();
    assert_eq!(d.runtime_kind, RuntimeKind::Onnxruntime);
    assert!(d.external.is_none());
}

/// A floor that may be 0 says "at least 0", never a made-up bound such as
/// "-0.000000000001" (the old way to let 0 through a strict range).
#[test]
fn a_range_that_includes_zero_says_so_in_plain_numbers() {
    let bad = |extra: &str| {
        parse(&format!("{GOOD}[compare]\n{extra}\n"))
            .unwrap_err()
            .to_string()
    };
    let e = bad("cold_start.min_increase = -1");
    assert!(
        e.ends_with(
            "compare.cold_start.min_increase: must be at least 0 and less than 1000000000, got -1"
        ),
        "{e}"
    );
    let e = bad("accuracy.max_top1_drop_points = -0.5");
    assert!(
        e.ends_with("must be at least 0 and less than 100, got -0.5"),
        "{e}"
    );
    let e = bad("latency.min_change = -0.0");
    assert!(
        e.ends_with("must be between 0 and 10 (exclusive), got 0"),
        "{e}"
    );
    for ok in [
        "cold_start.min_increase = 0",
        "memory.min_increase = -0.0",
        "accuracy.max_top1_drop_points = 0",
    ] {
        parse(&format!("{GOOD}[compare]\n{ok}\n")).unwrap_or_else(|e| panic!("{ok}: {e}"));
    }
}
