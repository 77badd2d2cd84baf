//! What really runs a LiteRT path: LiteRT applies every registered accelerator
//! that does not compile just in time, whatever was asked for, so a model
//! compiled for a GPU on a host without one runs on the CPU without an error.
//! [`plan`] compares what will be applied with what the device asks for.

use std::ffi::c_int;

use super::ffi::{HW_CPU, HW_GPU, HW_NPU};
use crate::engine::backend::ProviderOutcome;
use crate::error::{Error, Result};
use crate::suite::{Device, Provider};

/// An accelerator registered in the LiteRT environment.
#[derive(Debug, Clone)]
pub(super) struct Accelerator {
    pub(super) name: String,
    pub(super) hardware: c_int,
    /// Applied only when its hardware is asked for (else: always applied).
    pub(super) jit: bool,
}

fn hardware_of(p: Provider) -> c_int {
    match p {
        Provider::Gpu => HW_GPU,
        Provider::Npu => HW_NPU,
        _ => HW_CPU,
    }
}

fn provider_of(hw: c_int) -> Provider {
    if hw & HW_NPU != 0 {
        Provider::Npu
    } else if hw & HW_GPU != 0 {
        Provider::Gpu
    } else {
        Provider::Cpu
    }
}

/// What LiteRT will apply when asked for `requested` hardware: every registered
/// accelerator without JIT, and the JIT ones whose hardware was asked for.
pub(super) fn applied(accelerators: &[Accelerator], requested: c_int) -> Vec<&Accelerator> {
    accelerators
        .iter()
        .filter(|a| !a.jit || a.hardware & requested != 0)
        .collect()
}

/// What really runs a path asked to run on `device.provider`: the provider, and
/// the accelerators applied. A requested GPU/NPU that no applied accelerator
/// provides is an error naming the device, unless it allows the fall back to CPU.
pub(super) fn plan(
    device: &Device,
    accelerators: &[Accelerator],
) -> Result<(c_int, ProviderOutcome)> {
    let want = hardware_of(device.provider);
    let names: Vec<&str> = accelerators.iter().map(|a| a.name.as_str()).collect();
    let provides = applied(accelerators, want)
        .iter()
        .any(|a| a.hardware & want != 0);
    if provides || want == HW_CPU {
        return Ok((
            want | HW_CPU,
            ProviderOutcome {
                requested: device.provider,
                ran: device.provider,
                fallback_reason: None,
            },
        ));
    }
    let reason = format!(
        "this LiteRT library registered no {} accelerator (registered: {})",
        device.provider,
        if names.is_empty() {
            "none".to_string()
        } else {
            names.join(", ")
        }
    );
    if !device.allow_fallback {
        return Err(Error::device(
            &device.name,
            format!("{reason}; LiteRT would run the model on the CPU instead (no CPU fallback: set allow_fallback = true for this device to permit it)"),
        ));
    }
    let ran = provider_of(
        applied(accelerators, HW_CPU)
            .iter()
            .fold(0, |h, a| h | a.hardware),
    );
    Ok((
        HW_CPU,
        ProviderOutcome {
            requested: device.provider,
            ran,
            fallback_reason: Some(reason),
        },
    ))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn device(provider: Provider, allow_fallback: bool) -> Device {
        let s = crate::suite::Suite::parse(
            Path::new("s.toml"),
            &format!("[[device]]\nname = \"lt\"\nruntime_kind = \"litert\"\nprovider = \"{provider}\"\nallow_fallback = {allow_fallback}\n[[model]]\nname = \"m\"\nfile = \"m.tflite\"\naccuracy = false\npreprocess = {{ resize = 8, crop = 8, layout = \"nhwc\" }}\n"),
            Path::new("."),
        )
        .unwrap();
        s.devices[0].clone()
    }

    fn cpu_only() -> Vec<Accelerator> {
        vec![Accelerator {
            name: "CpuAccelerator".into(),
            hardware: HW_CPU,
            jit: false,
        }]
    }

    #[test]
    fn cpu_runs_on_the_cpu_accelerator() {
        let (hw, p) = plan(&device(Provider::Cpu, false), &cpu_only()).unwrap();
        assert_eq!(hw, HW_CPU);
        assert_eq!((p.requested, p.ran), (Provider::Cpu, Provider::Cpu));
    }

    #[test]
    fn a_gpu_that_is_not_there_is_an_error_not_a_silent_cpu_run() {
        let e = plan(&device(Provider::Gpu, false), &cpu_only())
            .unwrap_err()
            .one_line();
        assert!(
            e.contains("\"lt\"")
                && e.contains("no gpu accelerator")
                && e.contains("CpuAccelerator")
                && e.contains("allow_fallback"),
            "{e}"
        );
        let (hw, p) = plan(&device(Provider::Gpu, true), &cpu_only()).unwrap();
        assert_eq!(hw, HW_CPU);
        assert_eq!((p.requested, p.ran), (Provider::Gpu, Provider::Cpu));
        assert!(p.fallback_reason.unwrap().contains("no gpu accelerator"));
    }

    #[test]
    fn a_registered_gpu_accelerator_runs_gpu_paths() {
        let mut acc = cpu_only();
        acc.push(Accelerator {
            name: "GpuAccelerator".into(),
            hardware: HW_GPU,
            jit: true,
        });
        let (hw, p) = plan(&device(Provider::Gpu, false), &acc).unwrap();
        assert_eq!(hw, HW_GPU | HW_CPU);
        assert_eq!(p.ran, Provider::Gpu);
        // A JIT accelerator is applied only when its hardware is asked for.
        assert_eq!(applied(&acc, HW_CPU).len(), 1);
        assert_eq!(applied(&acc, HW_GPU | HW_CPU).len(), 2);
    }
}
