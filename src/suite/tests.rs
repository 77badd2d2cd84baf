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
