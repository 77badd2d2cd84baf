//! `edgeperf doctor`: is this device ready to measure? Checks that each
//! device's runtime loads and its execution provider registers (a real
//! session on the suite's smallest model of its format, in a worker, as `run`
//! creates it), the device state now (governor, clocks, throttling,
//! temperature, Jetson power mode: `devstate`, judged by `report::doctor_checks`
//! against each device's `[device.state]`), free memory and disk, the artifact
//! store, and on a self-hosted GitHub runner the admission hook's marker.
//! Prints each finding with what to do; exit 0 ready, 1 problems, 2 error.

use std::path::{Path, PathBuf};

use clap::Args;

use super::output::print_out;
use crate::devstate::Root;
use crate::engine::{PathSpec, WorkerRequest, WORKER_PROTOCOL};
use crate::error::{Error, Result, EXIT_OK, EXIT_REGRESSION};
use crate::record::MemoryOf;
use crate::report::doctor::{Check, CheckStatus, DoctorReport};
use crate::report::doctor_checks::{checks, Readings};
use crate::report::export::{exporter, Format, Options};
use crate::suite::{Device, Sampling, Suite};

/// The oldest admission hook the workflows accept (`MIN_VERSION` of their
/// marker step, scripts/runner/job-started.sh's `HOOK_VERSION`).
pub const MIN_HOOK_VERSION: u32 = 2;

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// The suite: its devices are checked, by its `[device.state]`.
    #[arg(long, default_value = "edgeperf.toml", value_name = "FILE")]
    pub suite: PathBuf,
    /// Only this device (repeatable). Without it: every device with `default = true`.
    #[arg(long = "device", value_name = "NAME")]
    pub devices: Vec<String>,
    /// Read /sys, /proc, /etc and /var under DIR instead of / (a copy of a
    /// device's tree, tests).
    #[arg(long, env = "EDGEPERF_SYSROOT", value_name = "DIR")]
    pub sysroot: Option<PathBuf>,
    /// Do not create a session per device (only load its runtime).
    #[arg(long)]
    pub no_session: bool,
    /// Lines (text), the checks as a document (json), csv or markdown; bmf is
    /// refused (no measurements).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

pub fn run(a: DoctorArgs) -> Result<i32> {
    let root = match &a.sysroot {
        Some(d) if !d.as_os_str().is_empty() => {
            if !crate::fs::is_dir(d) {
                return Err(Error::argument(
                    "--sysroot",
                    format!(
                        "{}: not a directory (give the root of a system tree, e.g. /)",
                        d.display()
                    ),
                ));
            }
            Root::at(d)
        }
        _ => Root::system(),
    };
    let suite = if crate::fs::exists(&a.suite) {
        Some(crate::store::load_suite(&a.suite)?)
    } else if a.devices.is_empty() {
        None
    } else {
        return Err(Error::config(
            &a.suite,
            "--device",
            "the suite file does not exist",
        ));
    };
    let devices = match &suite {
        Some(s) => selected(s, &a.devices)?,
        None => Vec::new(),
    };
    let mut out = Vec::new();
    if suite.is_none() {
        out.push(
            Check::new("suite", CheckStatus::Skipped, format!("{} not found: no device's runtime checked", a.suite.display()))
                .fix("run in the repository (or pass --suite FILE) to check the runtimes and the [device.state] rules"),
        );
    }
    for d in &devices {
        out.extend(runtime_checks(
            suite.as_ref().expect("devices come from a suite"),
            d,
            a.no_session,
        ));
    }
    let rules: Vec<(String, crate::suite::DeviceStateRule)> = devices
        .iter()
        .map(|d| (d.name.clone(), d.state.clone()))
        .collect();
    let sample = crate::devstate::sample(&root, 0.0);
    let here = suite
        .as_ref()
        .map(|s| s.dir().to_path_buf())
        .unwrap_or_else(|| ".".into());
    let disk = crate::fs::free_space(&here)
        .ok()
        .map(|(free, total)| (here.display().to_string(), free, total));
    out.extend(checks(&Readings {
        sample: &sample,
        rules: &rules,
        memory_mb: crate::devstate::host::memory_mb(&root),
        disk,
    }));
    out.push(artifact_store());
    out.push(runner_hook(&|k| std::env::var(k).ok()));
    let report = DoctorReport::new(
        root.dir().display().to_string(),
        suite.as_ref().map(|s| s.path.display().to_string()),
        out,
    );
    print_out(&exporter(a.format, Options::default()).doctor(&report)?)?;
    Ok(if report.ready {
        EXIT_OK
    } else {
        EXIT_REGRESSION
    })
}

/// The devices named, else the suite's default ones.
fn selected<'a>(suite: &'a Suite, names: &[String]) -> Result<Vec<&'a Device>> {
    if names.is_empty() {
        return Ok(suite.devices.iter().filter(|d| d.default).collect());
    }
    suite.select(names, &[])?;
    Ok(names.iter().filter_map(|n| suite.device(n)).collect())
}

/// The runtime of `d` loads (its library and version) and, unless
/// `no_session`, a session on the suite's smallest model of its format
/// registers the provider asked for.
fn runtime_checks(suite: &Suite, d: &Device, no_session: bool) -> Vec<Check> {
    let runtime = match crate::engine::session::probe(d) {
        Ok((lib, Some(v))) => Check::new("runtime", CheckStatus::Ok, format!("{} {v} at {}", d.runtime_kind, lib.display())),
        Ok((lib, None)) => Check::new("runtime", CheckStatus::Ok, format!("external runner {}", lib.display())),
        Err(e) => Check::new("runtime", CheckStatus::Problem, e.one_line())
            .fix("run scripts/setup.sh, or point the device's `runtime` (ORT_DYLIB_PATH, LITERT_LIB_PATH) at the library"),
    };
    let loaded = runtime.status == CheckStatus::Ok;
    let mut out = vec![runtime.about(&d.name)];
    if loaded && !no_session {
        out.extend(
            session_checks(suite, d)
                .into_iter()
                .map(|c| c.about(&d.name)),
        );
    }
    out
}

/// The smallest existing model file `d` runs, as a side a worker can run.
fn smallest_model(suite: &Suite, d: &Device) -> Option<PathSpec> {
    suite
        .models
        .iter()
        .filter(|m| m.runs_on(d))
        .filter_map(|m| crate::engine::run::path_spec(d, m, None).ok())
        .filter(|s| crate::fs::exists(&s.model.file))
        .min_by_key(|s| crate::fs::tree_size_and_mtime(&s.model.file).0)
}

/// One short worker round on the device's smallest model: the provider
/// registered (or fell back), and whose memory the path will measure.
fn session_checks(suite: &Suite, d: &Device) -> Vec<Check> {
    let Some(mut spec) = smallest_model(suite, d) else {
        return vec![Check::new(
            "provider",
            CheckStatus::Problem,
            format!(
                "no model file of this device's format ({}) exists: nothing to create a session on",
                d.model_format()
            ),
        )
        .fix("run scripts/setup.sh (or fix the models' `file` / `tflite`)")];
    };
    spec.device.state.cooldown = None;
    let req = WorkerRequest {
        protocol: WORKER_PROTOCOL,
        round: 0,
        sampling: Sampling {
            warmup: 1,
            samples: 3,
            rounds: 1,
            max_seconds: 1.0,
            min_samples: 1,
        },
        accuracy: false,
        dataset: None,
        head: spec,
        paired: None,
        pairing: Default::default(),
        lockstep: false,
        profile: false,
    };
    let exe = match crate::engine::run::current_exe() {
        Ok(e) => e,
        Err(e) => return vec![Check::new("provider", CheckStatus::Problem, e.one_line())],
    };
    let r = match crate::engine::spawn::spawn_round(&exe, &req) {
        Ok(r) => r,
        Err(e) => {
            return vec![
            Check::new("provider", CheckStatus::Problem, e.one_line()).fix(
                "the error names what failed; `edgeperf run --device NAME --quick` shows the same",
            ),
        ]
        }
    };
    let on = format!(
        "session on {} in {:.0} ms",
        req.head.model.name, r.round.cold_start_ms.session_create
    );
    let provider = match &r.provider.fallback_reason {
        None => Check::new("provider", CheckStatus::Ok, format!("{} runs ({on}{})", r.provider.ran, r.accelerator.as_deref().map(|a| format!("; {a}")).unwrap_or_default())),
        Some(why) => Check::new("provider", CheckStatus::Problem, format!("{} asked for, {} ran: {why}", r.provider.requested, r.provider.ran))
            .fix("install the provider's libraries and drivers (docs/RUNNERS.md, 4), or measure on the provider that runs"),
    };
    let mut out = vec![provider];
    if r.round.peak_rss_of == Some(MemoryOf::NotMeasured) {
        out.push(
            Check::new("memory", CheckStatus::Warn, "the runner's memory cannot be measured: it runs the model outside its process tree and reports no peak_rss_mb")
                .fix("have the runner report peak_rss_mb in its `time` replies (docs/EXTERNAL_RUNNERS.md)"),
        );
    }
    out
}

/// The artifact store: where, writable, its size against its cap.
fn artifact_store() -> Check {
    use crate::store::artifacts::ArtifactStore;
    let Some(store) = ArtifactStore::from_env() else {
        return Check::new("artifact store", CheckStatus::Warn, "off (EDGEPERF_ARTIFACTS=off, or no home folder)")
            .fix("keep one between jobs (docs/RUNNERS.md, 3): compare finds base models and runtimes not in git there");
    };
    let at = store.dir.display().to_string();
    if let Err(e) = writable(&store.dir) {
        return Check::new(
            "artifact store",
            CheckStatus::Problem,
            format!("{at} is not writable: {}", e.one_line()),
        )
        .fix("create it for the runner user, or point EDGEPERF_ARTIFACTS elsewhere");
    }
    let (size, cap) = (store.size(), store.max_bytes);
    let mib = |b: u64| b as f64 / (1u64 << 20) as f64;
    let found = format!("{at}: {:.0} MiB of its {:.0} MiB cap", mib(size), mib(cap));
    if size > cap {
        Check::new(
            "artifact store",
            CheckStatus::Warn,
            format!("{found} (over: the least recently used entries go at the next run)"),
        )
    } else {
        Check::new("artifact store", CheckStatus::Ok, found)
    }
}

/// Creates `dir` if needed and writes and removes a file in it.
fn writable(dir: &Path) -> Result<()> {
    crate::fs::create_dir_all(dir)?;
    let probe = dir.join(format!(".edgeperf-doctor-{}", std::process::id()));
    crate::fs::write(&probe, b"ok")?;
    crate::fs::remove_file(&probe)?;
    Ok(())
}

/// On a self-hosted GitHub Actions runner, the admission hook's marker
/// (`EDGEPERF_RUNNER_HOOK="<version> <run id>.<attempt>"`, docs/RUNNERS.md 2.3)
/// must be there, recent enough and for this run. `var` reads the environment.
pub fn runner_hook(var: &dyn Fn(&str) -> Option<String>) -> Check {
    let on_runner = var("GITHUB_ACTIONS").as_deref() == Some("true")
        && var("RUNNER_ENVIRONMENT").as_deref() == Some("self-hosted");
    if !on_runner {
        return Check::new(
            "runner hook",
            CheckStatus::Skipped,
            "not a self-hosted GitHub Actions runner",
        );
    }
    let fix = "install scripts/runner/job-started.sh as the runner's ACTIONS_RUNNER_HOOK_JOB_STARTED (docs/RUNNERS.md 2.3)";
    let Some(marker) = var("EDGEPERF_RUNNER_HOOK").filter(|m| !m.trim().is_empty()) else {
        return Check::new(
            "runner hook",
            CheckStatus::Problem,
            "no EDGEPERF_RUNNER_HOOK: this runner has no edgeperf admission hook",
        )
        .fix(fix);
    };
    let this_run = format!(
        "{}.{}",
        var("GITHUB_RUN_ID").unwrap_or_default(),
        var("GITHUB_RUN_ATTEMPT").unwrap_or_default()
    );
    let mut parts = marker.split_whitespace();
    let version = parts.next().and_then(|v| v.parse::<u32>().ok());
    match (version, parts.next()) {
        (Some(v), Some(run)) if v >= MIN_HOOK_VERSION && run == this_run => Check::new(
            "runner hook",
            CheckStatus::Ok,
            format!("admitted by hook version {v} for run {run}"),
        ),
        _ => Check::new(
            "runner hook",
            CheckStatus::Problem,
            format!("marker {marker:?} is not version >= {MIN_HOOK_VERSION} for run {this_run}"),
        )
        .fix(format!("update the hook: {fix}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn the_runner_hook_is_checked_only_on_a_self_hosted_runner() {
        assert_eq!(runner_hook(&env(&[])).status, CheckStatus::Skipped);
        let runner = [
            ("GITHUB_ACTIONS", "true"),
            ("RUNNER_ENVIRONMENT", "self-hosted"),
            ("GITHUB_RUN_ID", "77"),
            ("GITHUB_RUN_ATTEMPT", "2"),
        ];
        assert_eq!(runner_hook(&env(&runner)).status, CheckStatus::Problem);
        let with = |m: &'static str| {
            let mut v = runner.to_vec();
            v.push(("EDGEPERF_RUNNER_HOOK", m));
            let status = runner_hook(&env(&v)).status;
            status
        };
        assert_eq!(with("2 77.2"), CheckStatus::Ok);
        assert_eq!(with("1 77.2"), CheckStatus::Problem, "too old");
        assert_eq!(with("2 76.1"), CheckStatus::Problem, "another run's");
    }
}
